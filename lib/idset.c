/*
 * idset: exact duplicate detection in bounded memory. See idset.h.
 *
 * Sizes: the exact table is 64k slots (a hash and an arena offset each)
 * for IDSET_EXACT ids; it is freed when the Bloom filter takes over (its
 * ids go into the log, as line 0: earlier than any suspect). The filter
 * gets 32 bits per expected id, from 128 kB to 3 MB (3 MB when the count
 * is unknown), blocked, six bits an id: measured on bench/gen sheets,
 * about 160 suspects in 1M ids (700 with four bits); at 10M ids the filter
 * is full and about one id in four is a suspect, which costs time (log
 * reads), not memory -- ir-sync reads the ids of a file that large first
 * (idset_pre_*) instead.
 * Held records stay in memory up to HOLD_MEM, then go to a temporary
 * file. Suspects are settled as soon as reading their parts of the log
 * costs less than what is held (or is tiny), else when there are
 * SUSPECT_MAX of them or HOLD_MAX bytes are held. A log entry is the
 * id's 64-bit hash, its line, its length (LOG_HDR bytes) and its bytes;
 * a settle reads the log in SCAN_BUF blocks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "idset.h"

#define EXACT_SLOTS	(IDSET_EXACT * 2)
#define BLOOM_MIN	(1UL << 20)	/* bits: 128 kB */
#define BLOOM_MAX	(24UL << 20)	/* 3 MB */
#define BLOOM_DEFAULT	BLOOM_MAX	/* the count is unknown */
#define BLOOM_PER_ID	32		/* bits an expected id gets */
#define BLOOM_K		6
#define NPART		64
#define HOLD_MEM	(256UL << 10)	/* held in memory, then on disk */
#define HOLD_MAX	(256UL << 20)
#define SCAN_CHEAP	(64UL << 10)	/* a log read to do at once */
#define SCAN_BUF	(64UL << 10)	/* the log is read in blocks of this */
#define LOG_HDR		20		/* hash 8, line 8, id length 4 */
#define PART_BUF	2048		/* a part's entries not yet written */
_Static_assert(LOG_HDR + IDSET_ID_MAX <= PART_BUF &&
    PART_BUF <= SCAN_BUF, "a log entry fits a part's buffer and a block");
#define PRE_MEM		(1UL << 20)	/* a part larger is split first */
#define PRE_FANOUT	16		/* parts a split makes */
#define RUN_DISTINCT	16		/* ids sharing one 64-bit hash */
#define BITS_BLK	4096
#define SUSPECT_MAX	32768
#define SUSPECT_BYTES	(1UL << 20)
#define NOT_SUSPECT	UINT32_MAX

struct suspect {
	uint64_t	 hash;
	unsigned long	 line;
	size_t		 off;		/* of its id in sarena */
	uint32_t	 len;
	int		 dup;
};

/* The header of a held record. */
struct entry {
	unsigned long	 line;
	uint32_t	 idlen;
	uint32_t	 reclen;	/* held records only */
	uint32_t	 suspect;	/* held: index or NOT_SUSPECT */
};

struct idset {
	/* The first ids, exactly. */
	uint64_t	*ehash;		/* 0: empty */
	uint32_t	*eoff;
	struct buf	 earena;
	size_t		 nexact;

	/* The rest: filter, log, suspects, held records. */
	unsigned char	*bloom;
	size_t		 bloom_bits;	/* a power of two */
	FILE		*part[NPART];	/* unbuffered: pbuf is the buffer */
	size_t		 part_bytes[NPART];
	unsigned char	*pbuf[NPART];	/* PART_BUF bytes each */
	size_t		 plen[NPART];
	uint64_t	 partmask;	/* parts a suspect hashes to */
	struct suspect	*susp;
	size_t		 nsusp;
	struct buf	 sarena;
	uint32_t	*stab;		/* suspects by hash, index + 1 */
	FILE		*hold;		/* held past HOLD_MEM */
	struct buf	 holdbuf;	/* the latest held records */
	size_t		 held;		/* bytes held, in both */
	int		 holding;
	struct buf	 rd;		/* a record read back */
	unsigned char	*scan;		/* SCAN_BUF bytes of the log */

	/* Read first (idset_pre_*): the duplicates' lines, a bit a line. */
	int		 pre;		/* 1: adding, 2: done, answering */
	size_t		 pre_mem;	/* a part sorted in memory up to this */
	FILE		*bits;
	off_t		 bits_size;	/* no duplicate at or past this byte */
	unsigned char	 blk[BITS_BLK];	/* bits' block at blk_off */
	off_t		 blk_off;
	size_t		 blk_len;
};

uint64_t
idset_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	/* murmur3's finaliser: FNV's high bits alone are not mixed enough */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h | 1;		/* 0 marks an empty slot */
}

struct idset *
idset_new(void)
{
	struct idset *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->ehash = calloc(EXACT_SLOTS, sizeof(*s->ehash))) == NULL ||
	    (s->eoff = calloc(EXACT_SLOTS, sizeof(*s->eoff))) == NULL) {
		idset_free(s);
		return NULL;
	}
	return s;
}

void
idset_free(struct idset *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->ehash);
	free(s->eoff);
	buf_free(&s->earena);
	free(s->bloom);
	for (i = 0; i < NPART; i++)
		if (s->part[i] != NULL)
			fclose(s->part[i]);
	for (i = 0; i < NPART; i++)
		free(s->pbuf[i]);
	free(s->susp);
	buf_free(&s->sarena);
	free(s->stab);
	if (s->hold != NULL)
		fclose(s->hold);
	buf_free(&s->holdbuf);
	buf_free(&s->rd);
	free(s->scan);
	if (s->bits != NULL)
		fclose(s->bits);
	free(s);
}

/* The exact table's slot for id: its own, or the empty one to fill. */
static size_t
exact_slot(const struct idset *s, uint64_t h, const char *id, size_t n)
{
	size_t i;
	const char *e;

	for (i = h & (EXACT_SLOTS - 1); s->ehash[i] != 0;
	    i = (i + 1) & (EXACT_SLOTS - 1)) {
		if (s->ehash[i] != h)
			continue;
		e = s->earena.p + s->eoff[i];
		if (strlen(e) == n && memcmp(e, id, n) == 0)
			break;
	}
	return i;
}

/*
 * The filter is blocked: an id's BLOOM_K bits lie in one 64-byte block
 * (chosen by h's low bits), so a lookup costs one cache miss, not
 * BLOOM_K. Their places in the block come from a second mix of h.
 */
static unsigned char *
bloom_block(unsigned char *b, size_t bits, uint64_t h, uint64_t *g)
{
	*g = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
	/* any number of blocks: h's high half scaled to it */
	return b + ((((h >> 32) * (bits / 512)) >> 32) << 6);
}

/* Sets the filter's bits for h; 1 when they were all set already. */
static int
bloom_add(unsigned char *b, size_t bits, uint64_t h)
{
	unsigned char *blk;
	uint64_t g;
	unsigned bit, i;
	int seen = 1;

	blk = bloom_block(b, bits, h, &g);
	for (i = 0; i < BLOOM_K; i++) {
		bit = (unsigned)(g >> (i * 9)) & 511;
		if (!(blk[bit >> 3] & (1u << (bit & 7)))) {
			seen = 0;
			blk[bit >> 3] |= (unsigned char)(1u << (bit & 7));
		}
	}
	return seen;
}

/*
 * A part's file and buffer, made on first use. The entries are buffered
 * here rather than by stdio: one memcpy an entry, no stdio call.
 */
static int
part_open(struct idset *s, size_t p)
{
	if (s->part[p] != NULL)
		return 0;
	if (s->pbuf[p] == NULL && (s->pbuf[p] = malloc(PART_BUF)) == NULL)
		return -1;
	if ((s->part[p] = tmpfile()) == NULL)
		return -1;
	setvbuf(s->part[p], NULL, _IONBF, 0);
	return 0;
}

/* Writes out what part p has buffered. */
static int
part_flush(struct idset *s, size_t p)
{
	if (s->plen[p] > 0 && fwrite(s->pbuf[p], 1, s->plen[p], s->part[p]) !=
	    s->plen[p])
		return -1;
	s->plen[p] = 0;
	return 0;
}

/* Appends id's log entry (hash h, line) to its part. */
static int
log_add(struct idset *s, uint64_t h, unsigned long line, const char *id,
    size_t n)
{
	size_t p = (size_t)(h >> 58);
	unsigned char *e;
	uint64_t l = line;
	uint32_t len = (uint32_t)n;

	if (part_open(s, p) == -1)
		return -1;
	if (s->plen[p] + LOG_HDR + n > PART_BUF && part_flush(s, p) == -1)
		return -1;
	e = s->pbuf[p] + s->plen[p];
	memcpy(e, &h, 8);
	memcpy(e + 8, &l, 8);
	memcpy(e + 16, &len, 4);
	memcpy(e + LOG_HDR, id, n);
	s->plen[p] += LOG_HDR + n;
	s->part_bytes[p] += LOG_HDR + n;
	return 0;
}

/*
 * The exact table is full: the filter starts, holding its ids too, and
 * the table's ids go into the log as line 0 (every one of them comes
 * before any suspect), so the table's memory is given back.
 */
static int
bloom_start(struct idset *s)
{
	size_t i;

	/* the ids to the log, then their memory back before the filter's */
	for (i = 0; i < EXACT_SLOTS; i++)
		if (s->ehash[i] != 0 && log_add(s, s->ehash[i], 0,
		    s->earena.p + s->eoff[i], strlen(s->earena.p +
		    s->eoff[i])) == -1)
			return -1;
	free(s->eoff);
	s->eoff = NULL;
	buf_free(&s->earena);
	if (s->bloom_bits == 0)
		s->bloom_bits = BLOOM_DEFAULT;
	if ((s->bloom = calloc(s->bloom_bits / 8, 1)) == NULL)
		return -1;
	for (i = 0; i < EXACT_SLOTS; i++)
		if (s->ehash[i] != 0)
			bloom_add(s->bloom, s->bloom_bits, s->ehash[i]);
	free(s->ehash);
	s->ehash = NULL;
	return 0;
}

void
idset_prefetch(const struct idset *s, uint64_t h)
{
	uint64_t g;

	if (s->bloom != NULL)
		__builtin_prefetch(bloom_block(s->bloom, s->bloom_bits, h, &g),
		    1);
}

/*
 * Read first (idset_pre_add, idset_pre_done): every id goes to the log's
 * parts as in the filter's time. Then each part is sorted by (hash, line)
 * in memory -- split PRE_FANOUT ways by more bits of the hash first while
 * it is larger than pre_mem -- and in each run of equal hashes the
 * entries whose id appeared earlier in the run are duplicates: their
 * lines are set in a bit file (a bit a line, mostly holes), which
 * idset_add then reads in order, a block at a time.
 */
static int
bit_set(struct idset *s, uint64_t line)
{
	unsigned char b = 0;
	off_t at = (off_t)(line >> 3);
	ssize_t r;

	if ((r = pread(fileno(s->bits), &b, 1, at)) == -1)
		return -1;
	if (r == 0)
		b = 0;
	b |= (unsigned char)(1u << (line & 7));
	return pwrite(fileno(s->bits), &b, 1, at) == 1 ? 0 : -1;
}

static int
pre_answer(struct idset *s, unsigned long line)
{
	off_t at = (off_t)(line >> 3);
	ssize_t r;

	if (at >= s->bits_size)
		return IDSET_NEW;	/* past the last duplicate */
	if (at < s->blk_off || at >= s->blk_off + (off_t)s->blk_len) {
		s->blk_off = at - at % BITS_BLK;
		if ((r = pread(fileno(s->bits), s->blk, BITS_BLK,
		    s->blk_off)) == -1)
			return -1;
		s->blk_len = (size_t)r;
		if (at >= s->blk_off + (off_t)s->blk_len)
			return IDSET_NEW;
	}
	return s->blk[at - s->blk_off] >> (line & 7) & 1 ? IDSET_DUP :
	    IDSET_NEW;
}

int
idset_pre_add(struct idset *s, const char *id, size_t n, unsigned long line)
{
	if (n > IDSET_ID_MAX) {
		errno = EINVAL;
		return -1;
	}
	s->pre = 1;
	return log_add(s, idset_hash(id, n), line, id, n);
}

void
idset_pre_mem(struct idset *s, size_t bytes)
{
	s->pre_mem = bytes;
}

/* An entry of a part being sorted. */
struct sorted {
	uint64_t	 hash, line;
	const unsigned char *id;
	uint32_t	 len;
};

static int
by_hash_line(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * The distinct ids of a run of equal hashes, in line order: an entry
 * equal to one before it is a duplicate. ids are copied (a run may be
 * read in blocks); more than RUN_DISTINCT different ids with one 64-bit
 * hash is EOVERFLOW, which no sheet will meet.
 */
struct run {
	uint64_t	 hash;
	int		 n;
	uint32_t	 len[RUN_DISTINCT];
	unsigned char	 id[RUN_DISTINCT][IDSET_ID_MAX];
};

static int
run_next(struct idset *s, struct run *r, uint64_t h, uint64_t line,
    const unsigned char *id, uint32_t len)
{
	int k;

	if (r->n == 0 || r->hash != h) {
		r->hash = h;
		r->n = 0;
	}
	for (k = 0; k < r->n; k++)
		if (r->len[k] == len && memcmp(r->id[k], id, len) == 0)
			return bit_set(s, line);
	if (r->n == RUN_DISTINCT) {
		errno = EOVERFLOW;
		return -1;
	}
	memcpy(r->id[r->n], id, len);
	r->len[r->n++] = len;
	return 0;
}

/* Calls fn for each entry of fp (from its start), read in blocks. */
static int
each_entry(struct idset *s, FILE *fp,
    int (*fn)(struct idset *, void *, uint64_t, uint64_t,
    const unsigned char *, uint32_t), void *ctx)
{
	unsigned char *b;
	uint64_t h, line;
	uint32_t len;
	size_t have = 0, used, got;

	rewind(fp);
	if (s->scan == NULL && (s->scan = malloc(SCAN_BUF)) == NULL)
		return -1;
	b = s->scan;
	do {
		got = fread(b + have, 1, SCAN_BUF - have, fp);
		have += got;
		for (used = 0; have - used >= LOG_HDR; used += LOG_HDR + len) {
			memcpy(&h, b + used, 8);
			memcpy(&line, b + used + 8, 8);
			memcpy(&len, b + used + 16, 4);
			if (len > IDSET_ID_MAX) {
				errno = EIO;
				return -1;
			}
			if (have - used < LOG_HDR + len)
				break;
			if (fn(s, ctx, h, line, b + used + LOG_HDR, len) == -1)
				return -1;
		}
		memmove(b, b + used, have - used);
		have -= used;
	} while (got > 0);
	if (ferror(fp))
		return -1;
	if (have != 0) {
		errno = EIO;	/* a cut entry: the file is ours */
		return -1;
	}
	return 0;
}

struct split {
	FILE		*child[PRE_FANOUT];
	size_t		 bytes[PRE_FANOUT];
	unsigned	 shift;
	uint64_t	 mask;
	uint64_t	 first;		/* the first entry's hash */
	int		 any, mixed;	/* mixed: not all of one hash */
};

static int
split_entry(struct idset *s, void *ctx, uint64_t h, uint64_t line,
    const unsigned char *id, uint32_t len)
{
	struct split *sp = ctx;
	unsigned char e[LOG_HDR];
	size_t k = (size_t)((h >> sp->shift) & sp->mask);

	if (!sp->any) {
		sp->any = 1;
		sp->first = h;
	} else if (h != sp->first)
		sp->mixed = 1;

	memcpy(e, &h, 8);
	memcpy(e + 8, &line, 8);
	memcpy(e + 16, &len, 4);
	if (sp->child[k] == NULL && (sp->child[k] = tmpfile()) == NULL)
		return -1;
	if (fwrite(e, 1, LOG_HDR, sp->child[k]) != LOG_HDR ||
	    fwrite(id, 1, len, sp->child[k]) != len)
		return -1;
	sp->bytes[k] += LOG_HDR + len;
	return 0;
}

static int
stream_entry(struct idset *s, void *ctx, uint64_t h, uint64_t line,
    const unsigned char *id, uint32_t len)
{
	return run_next(s, ctx, h, line, id, len);
}

/* Sorts fp (bytes long) in memory and marks its duplicates. */
static int
pre_sort(struct idset *s, FILE *fp, size_t bytes)
{
	unsigned char *b = NULL;
	struct sorted *e = NULL;
	struct run *r = NULL;
	size_t n = 0, i, off;
	uint32_t len;
	int rc = -1;

	if ((b = malloc(bytes ? bytes : 1)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	rewind(fp);
	if (fread(b, 1, bytes, fp) != bytes) {
		if (!ferror(fp))
			errno = EIO;
		goto out;
	}
	for (off = 0; off + LOG_HDR <= bytes; off += LOG_HDR + len, n++)
		memcpy(&len, b + off + 16, 4);
	if (off != bytes || (e = calloc(n ? n : 1, sizeof(*e))) == NULL) {
		if (off != bytes)
			errno = EIO;
		goto out;
	}
	for (off = 0, i = 0; i < n; i++) {
		memcpy(&e[i].hash, b + off, 8);
		memcpy(&e[i].line, b + off + 8, 8);
		memcpy(&e[i].len, b + off + 16, 4);
		if (e[i].len > IDSET_ID_MAX) {
			errno = EIO;
			goto out;
		}
		e[i].id = b + off + LOG_HDR;
		off += LOG_HDR + e[i].len;
	}
	qsort(e, n, sizeof(*e), by_hash_line);
	for (i = 0; i < n; i++) {
		/* a hash alone in the part is an id alone */
		if ((i == 0 || e[i - 1].hash != e[i].hash) &&
		    (i + 1 == n || e[i + 1].hash != e[i].hash))
			continue;
		if (run_next(s, r, e[i].hash, e[i].line, e[i].id,
		    e[i].len) == -1)
			goto out;
	}
	rc = 0;
out:
	free(b);
	free(e);
	free(r);
	return rc;
}

/*
 * Marks the duplicates of fp (bytes long, its entries in line order and
 * sharing the hash's top `used` bits).
 */
static int
pre_part(struct idset *s, FILE *fp, size_t bytes, unsigned used)
{
	struct split sp;
	struct run *r;
	size_t k;
	unsigned bits = used + 4 <= 64 ? 4 : 64 - used;
	int rc = 0;

	if (bytes <= s->pre_mem)
		return pre_sort(s, fp, bytes);
	memset(&sp, 0, sizeof(sp));
	sp.shift = 64 - used - bits;
	sp.mask = (1ULL << bits) - 1;
	if (each_entry(s, fp, split_entry, &sp) == -1)
		rc = -1;
	if (rc == 0 && !sp.mixed) {
		/* one hash (one id, surely) all through: a run, in order */
		if ((r = calloc(1, sizeof(*r))) == NULL)
			rc = -1;
		else
			rc = each_entry(s, fp, stream_entry, r);
		free(r);
		goto out;
	}
	for (k = 0; k < PRE_FANOUT; k++) {
		if (rc == 0 && sp.child[k] != NULL &&
		    (fflush(sp.child[k]) == EOF || pre_part(s, sp.child[k],
		    sp.bytes[k], used + bits) == -1))
			rc = -1;
	}
out:
	for (k = 0; k < PRE_FANOUT; k++)
		if (sp.child[k] != NULL)
			fclose(sp.child[k]);
	return rc;
}

int
idset_pre_done(struct idset *s)
{
	size_t p;

	if (s->bits == NULL && (s->bits = tmpfile()) == NULL)
		return -1;
	if (s->pre_mem == 0)
		s->pre_mem = PRE_MEM;
	for (p = 0; p < NPART; p++) {
		if (s->part[p] == NULL)
			continue;
		if (part_flush(s, p) == -1 ||
		    pre_part(s, s->part[p], s->part_bytes[p], 6) == -1)
			return -1;
		/* the part is done with: its disk space goes back */
		fclose(s->part[p]);
		s->part[p] = NULL;
		free(s->pbuf[p]);
		s->pbuf[p] = NULL;
		s->part_bytes[p] = 0;
	}
	if (fflush(s->bits) == EOF ||
	    (s->bits_size = lseek(fileno(s->bits), 0, SEEK_END)) == -1)
		return -1;
	s->pre = 2;
	s->blk_off = 0;
	s->blk_len = 0;
	return 0;
}

int
idset_add(struct idset *s, const char *id, size_t n, unsigned long line)
{
	return idset_add_hashed(s, id, n, idset_hash(id, n), line);
}

int
idset_add_hashed(struct idset *s, const char *id, size_t n, uint64_t h,
    unsigned long line)
{
	struct suspect *sp;
	size_t i;

	if (n > IDSET_ID_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (s->pre == 2)
		return pre_answer(s, line);
	if (s->bloom == NULL) {
		i = exact_slot(s, h, id, n);
		if (s->ehash[i] != 0)
			return IDSET_DUP;
		if (s->nexact < IDSET_EXACT) {
			if (s->earena.len > UINT32_MAX - n - 1) {
				errno = ENOMEM;
				return -1;
			}
			s->eoff[i] = (uint32_t)s->earena.len;
			if (buf_add(&s->earena, id, n) == -1 ||
			    buf_addc(&s->earena, '\0') == -1)
				return -1;
			s->ehash[i] = h;
			s->nexact++;
			return IDSET_NEW;
		}
		if (bloom_start(s) == -1)
			return -1;
	}
	/* The filter holds every id so far. */
	if (bloom_add(s->bloom, s->bloom_bits, h) == 0)
		return log_add(s, h, line, id, n) == -1 ? -1 : IDSET_NEW;
	if (log_add(s, h, line, id, n) == -1)
		return -1;
	if (s->nsusp % 1024 == 0) {
		sp = realloc(s->susp, (s->nsusp + 1024) * sizeof(*sp));
		if (sp == NULL)
			return -1;
		s->susp = sp;
	}
	sp = &s->susp[s->nsusp];
	sp->hash = h;
	sp->line = line;
	sp->off = s->sarena.len;
	sp->len = (uint32_t)n;
	sp->dup = 0;
	if (buf_add(&s->sarena, id, n) == -1)
		return -1;
	s->nsusp++;
	s->partmask |= 1ULL << (h >> 58);
	s->holding = 1;
	return IDSET_MAYBE;
}

void
idset_expect(struct idset *s, unsigned long n)
{
	size_t bits;

	if (s->bloom != NULL)
		return;
	bits = n > BLOOM_MAX / BLOOM_PER_ID ? BLOOM_MAX : n * BLOOM_PER_ID;
	if (bits < BLOOM_MIN)
		bits = BLOOM_MIN;
	s->bloom_bits = (bits + 511) / 512 * 512;	/* whole blocks */
}

int
idset_holding(const struct idset *s)
{
	return s->holding;
}

int
idset_hold(struct idset *s, const char *id, size_t n, unsigned long line,
    int maybe, const char *rec, size_t len)
{
	struct entry e;
	size_t need = sizeof(e) + n + len;

	if (s->holdbuf.len > 0 && s->holdbuf.len + need > HOLD_MEM) {
		if ((s->hold == NULL && (s->hold = tmpfile()) == NULL) ||
		    fwrite(s->holdbuf.p, 1, s->holdbuf.len, s->hold) !=
		    s->holdbuf.len)
			return -1;
		buf_reset(&s->holdbuf);
	}
	memset(&e, 0, sizeof(e));
	e.line = line;
	e.idlen = (uint32_t)n;
	e.reclen = (uint32_t)len;
	e.suspect = maybe ? (uint32_t)(s->nsusp - 1) : NOT_SUSPECT;
	if (buf_grow(&s->holdbuf, need) == -1)
		return -1;
	memcpy(s->holdbuf.p + s->holdbuf.len, &e, sizeof(e));
	memcpy(s->holdbuf.p + s->holdbuf.len + sizeof(e), id, n);
	memcpy(s->holdbuf.p + s->holdbuf.len + sizeof(e) + n, rec, len);
	s->holdbuf.len += need;
	s->held += need;
	return 0;
}

/*
 * Settle when reading the suspects' parts of the log is cheap, or costs
 * less than what is held; or when the suspects or the held bytes reach
 * their bounds.
 */
int
idset_due(const struct idset *s)
{
	size_t cost = 0, p;

	if (!s->holding)
		return 0;
	if (s->nsusp >= SUSPECT_MAX || s->sarena.len >= SUSPECT_BYTES ||
	    s->held >= HOLD_MAX)
		return 1;
	for (p = 0; p < NPART; p++)
		if (s->partmask >> p & 1)
			cost += s->part_bytes[p];
	return cost <= SCAN_CHEAP || cost <= s->held * 4;
}

/* Reads n bytes; -1 on a short read (the file is ours: an I/O error). */
static int
read_all(FILE *fp, void *p, size_t n)
{
	if (n > 0 && fread(p, 1, n, fp) != n) {
		if (!ferror(fp))
			errno = EIO;
		return -1;
	}
	return 0;
}

/* each_entry's call for a settle: marks the suspects the entry precedes. */
static int
mark_entry(struct idset *s, void *ctx, uint64_t h, uint64_t line,
    const unsigned char *id, uint32_t len)
{
	size_t tabsz = *(size_t *)ctx, i;
	struct suspect *sp;
	uint32_t k;

	for (i = h & (tabsz - 1); (k = s->stab[i]) != 0;
	    i = (i + 1) & (tabsz - 1)) {
		sp = &s->susp[k - 1];
		if (sp->hash == h && line < sp->line && sp->len == len &&
		    memcmp(s->sarena.p + sp->off, id, len) == 0)
			sp->dup = 1;
	}
	return 0;
}

/* Marks the suspects that a log part shows were seen on an earlier line. */
static int
scan_part(struct idset *s, size_t part, size_t tabsz)
{
	if (part_flush(s, part) == -1 ||
	    each_entry(s, s->part[part], mark_entry, &tabsz) == -1)
		return -1;
	return fseeko(s->part[part], 0, SEEK_END);
}

int
idset_settle(struct idset *s, int (*emit)(void *, const char *, size_t),
    void (*dup)(void *, const char *, unsigned long), void *ctx)
{
	struct entry e;
	size_t tabsz = 16, i, p;
	const char *rec;
	int rc;

	if (!s->holding)
		return 0;
	while (tabsz < s->nsusp * 2)
		tabsz *= 2;
	free(s->stab);
	if ((s->stab = calloc(tabsz, sizeof(*s->stab))) == NULL)
		return -1;
	for (i = 0; i < s->nsusp; i++) {
		p = s->susp[i].hash & (tabsz - 1);
		while (s->stab[p] != 0)
			p = (p + 1) & (tabsz - 1);
		s->stab[p] = (uint32_t)i + 1;
	}
	for (p = 0; p < NPART; p++)
		if ((s->partmask >> p & 1) && scan_part(s, p,
		    tabsz) == -1)
			return -1;

	/* The held records, in order: those on disk, then in memory. */
	if (s->hold != NULL) {
		if (fflush(s->hold) == EOF)
			return -1;
		rewind(s->hold);
	}
	for (i = 0; i < s->held; i += sizeof(e) + e.idlen + e.reclen) {
		if (i < s->held - s->holdbuf.len) {
			if (read_all(s->hold, &e, sizeof(e)) == -1 ||
			    buf_grow(&s->rd, (size_t)e.idlen + e.reclen) ==
			    -1 || read_all(s->hold, s->rd.p, (size_t)e.idlen +
			    e.reclen) == -1)
				return -1;
			rec = s->rd.p;
		} else {
			rec = s->holdbuf.p + (i - (s->held - s->holdbuf.len));
			memcpy(&e, rec, sizeof(e));
			rec += sizeof(e);
		}
		if (e.suspect != NOT_SUSPECT && s->susp[e.suspect].dup) {
			if (buf_grow(&s->rd, e.idlen) == -1)
				return -1;
			memmove(s->rd.p, rec, e.idlen);
			s->rd.p[e.idlen] = '\0';
			dup(ctx, s->rd.p, e.line);
		} else if ((rc = emit(ctx, rec + e.idlen, e.reclen)) != 0)
			return rc;
	}
	if (s->hold != NULL) {
		rewind(s->hold);
		if (ftruncate(fileno(s->hold), 0) == -1)
			return -1;
	}
	buf_reset(&s->holdbuf);
	s->held = 0;
	s->nsusp = 0;
	buf_reset(&s->sarena);
	s->partmask = 0;
	s->holding = 0;
	free(s->stab);
	s->stab = NULL;
	return 0;
}
