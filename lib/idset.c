/*
 * idset: exact duplicate detection in bounded memory. See idset.h.
 *
 * Sizes: the exact table is 64k slots (a hash and an arena offset each)
 * for IDSET_EXACT ids; it is freed when the Bloom filter takes over (its
 * ids go into the log, as line 0: earlier than any suspect). The filter
 * gets 32 bits per expected id, from 128 kB to 4 MB (4 MB when the count
 * is unknown), blocked, four bits an id: measured on bench/gen sheets,
 * about 50 suspects in 1M ids; at 10M ids the filter is full and about
 * one id in four is a suspect, which costs time (log reads), not memory.
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
#define BLOOM_DEFAULT	(1UL << 25)	/* 4 MB: the count is unknown */
#define BLOOM_MAX	(1UL << 25)	/* 4 MB */
#define BLOOM_PER_ID	32		/* bits an expected id gets */
#define BLOOM_K		4
#define NPART		64
#define HOLD_MEM	(256UL << 10)	/* held in memory, then on disk */
#define HOLD_MAX	(256UL << 20)
#define SCAN_CHEAP	(64UL << 10)	/* a log read to do at once */
#define SCAN_BUF	(64UL << 10)	/* the log is read in blocks of this */
#define LOG_HDR		20		/* hash 8, line 8, id length 4 */
#define PART_BUF	4096		/* a part's entries not yet written */
_Static_assert(LOG_HDR + IDSET_ID_MAX <= PART_BUF &&
    PART_BUF <= SCAN_BUF, "a log entry fits a part's buffer and a block");
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
	return b + ((h & (bits / 512 - 1)) << 6);
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

	if (s->bloom_bits == 0)
		s->bloom_bits = BLOOM_DEFAULT;
	if ((s->bloom = calloc(s->bloom_bits / 8, 1)) == NULL)
		return -1;
	for (i = 0; i < EXACT_SLOTS; i++) {
		if (s->ehash[i] == 0)
			continue;
		bloom_add(s->bloom, s->bloom_bits, s->ehash[i]);
		if (log_add(s, s->ehash[i], 0, s->earena.p + s->eoff[i],
		    strlen(s->earena.p + s->eoff[i])) == -1)
			return -1;
	}
	free(s->ehash);
	free(s->eoff);
	s->ehash = NULL;
	s->eoff = NULL;
	buf_free(&s->earena);
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
	size_t bits = BLOOM_MIN;

	if (s->bloom != NULL)
		return;
	while (bits < BLOOM_MAX && bits / BLOOM_PER_ID < n)
		bits *= 2;
	s->bloom_bits = bits;
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

/*
 * Marks the suspects that a log part shows were seen on an earlier line.
 * The part is read in SCAN_BUF blocks (an entry may straddle two).
 */
static int
scan_part(struct idset *s, size_t part, size_t tabsz)
{
	FILE *fp = s->part[part];
	unsigned char *b;
	struct suspect *sp;
	uint64_t h, line;
	uint32_t len, k;
	size_t have = 0, used, got, i;

	if (part_flush(s, part) == -1)
		return -1;
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
			for (i = h & (tabsz - 1); (k = s->stab[i]) != 0;
			    i = (i + 1) & (tabsz - 1)) {
				sp = &s->susp[k - 1];
				if (sp->hash == h && line < sp->line &&
				    sp->len == len && memcmp(s->sarena.p +
				    sp->off, b + used + LOG_HDR, len) == 0)
					sp->dup = 1;
			}
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
	return fseeko(fp, 0, SEEK_END);
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
