/*
 * ndjson: bounded line reader, one-pass validating record scanner and the
 * record writer. See ndjson.h.
 *
 * Hand-written on purpose: design.md section 9 measures jansson at 3.95 s
 * per 1M records to parse and 3.8 s to encode, slower than the Python
 * script this pipeline must beat. The scanner validates the whole line (a
 * record that is not JSON is rejected, as jansson would) but keeps only the
 * spans of the top-level members. It is differential-fuzzed against
 * jansson (tests/fuzz).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "jsonw.h"
#include "ndjson.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CHUNK	(64 * 1024)

struct ndjson_reader {
	FILE		*fp;
	char		*b;
	size_t		 cap, start, end, scan;
	size_t		 max;
	unsigned long	 lineno;
	int		 eof, skipping;
};

struct ndjson_reader *
ndjson_open(FILE *fp, size_t max_line)
{
	struct ndjson_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fp = fp;
	r->max = max_line ? max_line : NDJSON_MAX_LINE;
	r->cap = CHUNK * 2;
	if ((r->b = malloc(r->cap)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
ndjson_close(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	free(r->b);
	free(r);
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/*
 * Finds the next line in the buffer, reading more as needed. A line longer
 * than max is dropped while it streams past (memory stays at max + CHUNK).
 */
int
ndjson_next(struct ndjson_reader *r, const char **line, size_t *len,
    unsigned long *lineno)
{
	char *nl;
	size_t n, ll;

	for (;;) {
		nl = memchr(r->b + r->scan, '\n', r->end - r->scan);
		if (nl != NULL || (r->eof && r->start < r->end)) {
			char *s = r->b + r->start;

			ll = nl ? (size_t)(nl - s) : r->end - r->start;
			r->start = r->scan = nl ? (size_t)(nl - r->b) + 1 :
			    r->end;
			r->lineno++;
			*lineno = r->lineno;
			if (r->skipping) {
				r->skipping = 0;
				return NDJSON_TOOLONG;
			}
			if (ll > 0 && s[ll - 1] == '\r')
				ll--;
			/* too long before blank, as when it streams past */
			if (ll > r->max)
				return NDJSON_TOOLONG;
			if (blank(s, ll))
				continue;
			*line = s;
			*len = ll;
			s[ll] = '\0';	/* the \n or \r, or spare room */
			return NDJSON_OK;
		}
		if (r->eof) {
			if (r->skipping) {
				r->skipping = 0;
				*lineno = ++r->lineno;
				return NDJSON_TOOLONG;
			}
			return ferror(r->fp) ? NDJSON_IOERR : NDJSON_EOF;
		}
		/*
		 * No newline yet: drop an overlong line (max bytes and a
		 * '\r' still fit), compact, read.
		 */
		if (r->end - r->start > r->max + 1) {
			r->skipping = 1;
			r->start = r->scan = r->end = 0;
		} else if (r->start > 0) {
			memmove(r->b, r->b + r->start, r->end - r->start);
			r->end -= r->start;
			r->scan = r->end;
			r->start = 0;
		} else
			r->scan = r->end;
		if (r->cap - r->end < CHUNK + 1) {
			char *nb;
			size_t ncap = r->cap * 2;

			if ((nb = realloc(r->b, ncap)) == NULL)
				return NDJSON_IOERR;
			r->b = nb;
			r->cap = ncap;
		}
		n = fread(r->b + r->end, 1, r->cap - r->end - 1, r->fp);
		r->end += n;
		if (n == 0) {
			if (ferror(r->fp) && errno == EINTR) {
				clearerr(r->fp);
				continue;
			}
			r->eof = 1;
		}
	}
}

/* The scanner. */

struct scan {
	const char	*p, *end;
	const char	*err;
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* The index of the lowest bit set in m (not 0). */
static int
low_bit(uint64_t m)
{
#if defined(__GNUC__)
	return __builtin_ctzll(m);
#else
	int i = 0;

	while (!(m & 1)) {
		m >>= 1;
		i++;
	}
	return i;
#endif
}

/*
 * The first byte at or after p that is not printable ASCII other than '"'
 * and '\\' (the common content of a string), or end. Sixteen bytes at a
 * time with SSE2 (signed bytes: below 0x20 also catches 0x80 and up),
 * else eight where the byte order allows: there each term flags the bytes
 * it looks for, and a false flag can only sit above a true one of the same
 * term, so the lowest flag is exact.
 */
static inline const unsigned char *
plain_run(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x20);
	__m128i x;
	unsigned m;

	while (end - p >= 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)p);
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bs)),
		    _mm_cmplt_epi8(x, ctl)));
		if (m != 0)
			return p + low_bit(m);
		p += 16;
	}
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		const uint64_t ones = 0x0101010101010101ULL;
		uint64_t y, q, b, w;

		while (end - p >= 8) {
			memcpy(&y, p, 8);
			q = y ^ (ones * '"');
			b = y ^ (ones * '\\');
			w = ((q - ones) & ~q) | ((b - ones) & ~b) |
			    ((y - ones * 0x20) & ~y) | y;
			if ((w &= ones * 0x80) != 0)
				return p + (low_bit(w) >> 3);
			p += 8;
		}
	}
#endif
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* A string at s->p (on the quote). Sets *escaped. */
static int
scan_string_full(struct scan *s, int *escaped)
{
	const unsigned char *p = (const unsigned char *)s->p + 1;
	const unsigned char *end = (const unsigned char *)s->end;
	size_t n;
	unsigned u, lo;

	*escaped = 0;
	while (p < end) {
		/* the common case: printable ASCII that is not '"' or '\\' */
		p = plain_run(p, end);
		if (p >= end)
			break;
		if (*p == '"') {
			s->p = (const char *)p + 1;
			return 0;
		}
		if (*p == '\\') {
			*escaped = 1;
			if (++p >= end)
				break;
			switch (*p) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p++;
				continue;
			case 'u':
				if (end - p < 5 || hex4((const char *)p + 1, &u))
					goto bad_escape;
				p += 5;
				if (u == 0) {
					/* as jansson: C strings end at a NUL */
					s->err = "\\u0000 in a string";
					return -1;
				}
				if (u >= 0xdc00 && u <= 0xdfff)
					goto bad_escape;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (end - p < 6 || p[0] != '\\' ||
					    p[1] != 'u' ||
					    hex4((const char *)p + 2, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						goto bad_escape;
					p += 6;
				}
				continue;
			default:
				goto bad_escape;
			}
		}
		if (*p < 0x20) {
			s->err = "control character in a string";
			return -1;
		}
		if ((n = utf8_seq(p, end)) == 0) {
			s->err = "invalid UTF-8";
			return -1;
		}
		p += n;
	}
	s->err = "unterminated string";
	return -1;
bad_escape:
	s->err = "bad escape in a string";
	return -1;
}

/* scan_string_full, with the plain ASCII string inline. */
static inline int
scan_string(struct scan *s, int *escaped)
{
	const unsigned char *end = (const unsigned char *)s->end;
	const unsigned char *p;

	p = plain_run((const unsigned char *)s->p + 1, end);
	if (p < end && *p == '"') {
		*escaped = 0;
		s->p = (const char *)p + 1;
		return 0;
	}
	return scan_string_full(s, escaped);
}

static int
scan_number(struct scan *s)
{
	const char *p = s->p, *end = s->end;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		goto bad;
	if (p < end && *p == '.') {
		if (++p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
bad:
	s->err = "bad number";
	return -1;
}

static int
scan_lit(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) {
		s->err = "not JSON";
		return -1;
	}
	s->p += n;
	return 0;
}

static int scan_value(struct scan *, int depth, int *kind, int *escaped);

static int
scan_container(struct scan *s, int depth, char close)
{
	int kind, esc, first = 1;

	if (depth > NDJSON_MAX_DEPTH) {
		s->err = "nested too deeply";
		return -1;
	}
	s->p++;
	for (;;) {
		skip_ws(s);
		if (s->p < s->end && *s->p == close && first) {
			s->p++;
			return 0;
		}
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"') {
				s->err = "expected a key";
				return -1;
			}
			if (scan_string(s, &esc) == -1)
				return -1;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':') {
				s->err = "expected ':'";
				return -1;
			}
			s->p++;
		}
		if (scan_value(s, depth + 1, &kind, &esc) == -1)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			first = 0;
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		s->err = close == '}' ? "expected ',' or '}'" :
		    "expected ',' or ']'";
		return -1;
	}
}

static int
scan_value(struct scan *s, int depth, int *kind, int *escaped)
{
	skip_ws(s);
	*escaped = 0;
	if (s->p >= s->end) {
		s->err = "unexpected end of line";
		return -1;
	}
	switch (*s->p) {
	case '"':
		*kind = REC_STRING;
		return scan_string(s, escaped);
	case '{':
		*kind = REC_OBJECT;
		return scan_container(s, depth, '}');
	case '[':
		*kind = REC_ARRAY;
		return scan_container(s, depth, ']');
	case 't':
		*kind = REC_TRUE;
		return scan_lit(s, "true", 4);
	case 'f':
		*kind = REC_FALSE;
		return scan_lit(s, "false", 5);
	case 'n':
		*kind = REC_NULL;
		return scan_lit(s, "null", 4);
	default:
		*kind = REC_NUMBER;
		return scan_number(s);
	}
}

/*
 * A cursor over the decoded bytes of a string: JSON string content as
 * scanned (escapes valid, json set) or plain bytes (json 0).
 */
struct cur {
	const char	*p, *end;
	unsigned char	 pend[4];
	int		 npend, ipend, json;
};

static void
cur_init(struct cur *c, const char *p, size_t n, int json)
{
	c->p = p;
	c->end = p + n;
	c->npend = c->ipend = 0;
	c->json = json;
}

/* The next decoded byte, or -1 at the end. */
static int
cur_next(struct cur *c)
{
	unsigned u, lo;
	char e;

	if (c->ipend < c->npend)
		return c->pend[c->ipend++];
	if (c->p >= c->end)
		return -1;
	if (!c->json || *c->p != '\\')
		return (unsigned char)*c->p++;
	c->p++;
	switch ((e = *c->p++)) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u':
		break;
	default:
		return (unsigned char)e;	/* '"', '\\', '/' */
	}
	hex4(c->p, &u);
	c->p += 4;
	if (u >= 0xd800 && u <= 0xdbff) {
		hex4(c->p + 2, &lo);
		c->p += 6;
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	c->npend = c->ipend = 0;
	if (u < 0x80)
		return (int)u;
	if (u < 0x800) {
		c->pend[c->npend++] = (unsigned char)(0x80 | (u & 0x3f));
		return (int)(0xc0 | (u >> 6));
	}
	if (u < 0x10000) {
		c->pend[c->npend++] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		c->pend[c->npend++] = (unsigned char)(0x80 | (u & 0x3f));
		return (int)(0xe0 | (u >> 12));
	}
	c->pend[c->npend++] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
	c->pend[c->npend++] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
	c->pend[c->npend++] = (unsigned char)(0x80 | (u & 0x3f));
	return (int)(0xf0 | (u >> 18));
}

/*
 * Decodes JSON string content (between quotes) into dst; its length, or
 * -1 when it does not fit in dstsz with the NUL.
 */
static int
unescape(const char *p, size_t n, char *dst, size_t dstsz)
{
	struct cur c;
	size_t o = 0;
	int ch;

	if (dstsz == 0)
		return -1;
	cur_init(&c, p, n, 1);
	while ((ch = cur_next(&c)) != -1) {
		if (o + 1 >= dstsz)
			return -1;
		dst[o++] = (char)ch;
	}
	dst[o] = '\0';
	return (int)o;
}

/* 1 when a and b (each JSON content if its flag says so) decode alike. */
static int
text_eq(const char *a, size_t an, int ajson, const char *b, size_t bn,
    int bjson)
{
	struct cur ca, cb;
	int x;

	cur_init(&ca, a, an, ajson);
	cur_init(&cb, b, bn, bjson);
	do {
		if ((x = cur_next(&ca)) != cur_next(&cb))
			return 0;
	} while (x != -1);
	return 1;
}

/* A key as scanned (k, kn) against a plain key. */
static int
key_eq(const char *k, size_t kn, const char *key, size_t keyn)
{
	/*
	 * An escape decodes to fewer bytes than it takes, so a key with one
	 * is shorter than its raw bytes; one without starts with its own
	 * first byte. Most keys differ there, so memchr is rarely needed.
	 */
	if (kn < keyn || (kn > 0 && k[0] != '\\' &&
	    (keyn == 0 || k[0] != key[0])))
		return 0;
	if (kn == keyn)
		return memcmp(k, key, kn) == 0 && memchr(k, '\\', kn) == NULL;
	return memchr(k, '\\', kn) != NULL && text_eq(k, kn, 1, key, keyn, 0);
}

/* Past blanks at p. */
static inline const char *
past_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/*
 * Past the string at p (on the quote): inline for plain ASCII, else
 * through s (scan_string_full). NULL on an error, with s->p and s->err
 * set.
 */
static inline const char *
past_string(struct scan *s, const char *p, int *esc)
{
	const unsigned char *q;

	q = plain_run((const unsigned char *)p + 1,
	    (const unsigned char *)s->end);
	if (q < (const unsigned char *)s->end && *q == '"') {
		*esc = 0;
		return (const char *)q + 1;
	}
	s->p = p;
	if (scan_string_full(s, esc) == -1)
		return NULL;
	return s->p;
}

/* The first byte at or after p that is not a digit, or end. */
static inline const char *
digit_run(const char *p, const char *end)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t x, m;

	/*
	 * Flags below '0', above '9' (+0x46 sets the top bit) and 0x80 and
	 * up; as in plain_run, the lowest flag is exact.
	 */
	while (end - p >= 8) {
		memcpy(&x, p, 8);
		m = ((x - ones * '0') & ~x) | (x + ones * 0x46) | x;
		if ((m &= ones * 0x80) != 0)
			return p + (low_bit(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/*
 * Past the number at p (on '-' or a digit): inline for an integer or a
 * plain fraction, else through s (scan_number). NULL on an error, with
 * s->p and s->err set.
 */
static inline const char *
past_number(struct scan *s, const char *p)
{
	const char *q = p, *end = s->end;

	if (q < end && *q == '-')
		q++;
	if (q < end && *q == '0')
		q++;
	else if (q < end && *q >= '1' && *q <= '9')
		q = digit_run(q + 1, end);
	else
		goto full;
	if (q < end && *q == '.') {
		if (end - q < 2 || q[1] < '0' || q[1] > '9')
			goto full;
		q = digit_run(q + 2, end);
	}
	if (q == end || (*q != 'e' && *q != 'E'))
		return q;
full:
	s->p = p;
	if (scan_number(s) == -1)
		return NULL;
	return s->p;
}

/*
 * The scan position lives in p, a register, on the common path; s.p
 * takes it for the helpers that are not inlined and for messages.
 */
int
rec_parse(struct rec *r, const char *line, size_t len)
{
	struct scan s = { line, line + len, NULL };
	struct rec_field *f;
	const char *k, *p, *q, *end = line + len;
	unsigned char kesc[NDJSON_MAX_FIELDS];	/* the key has escapes */
	uint64_t seen = 0, bit;
	int kind, esc, i, any_esc = 0;

	r->line = line;
	r->len = len;
	r->nfields = 0;
	r->err[0] = '\0';
	p = past_ws(line, end);
	if (p >= end || *p != '{') {
		snprintf(r->err, sizeof(r->err), "not valid JSON: a record is "
		    "one JSON object per line");
		return -1;
	}
	p = past_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		p = past_ws(p, end);
		if (p >= end || *p != '"') {
			s.p = p;
			s.err = "expected a key";
			goto bad;
		}
		k = p + 1;
		if ((p = past_string(&s, p, &esc)) == NULL)
			goto bad;
		if (r->nfields == NDJSON_MAX_FIELDS) {
			s.p = p;
			s.err = "too many fields";
			goto bad;
		}
		f = &r->f[r->nfields];
		f->key = k;
		f->klen = (size_t)(p - 1 - k);
		kesc[r->nfields] = (unsigned char)esc;
		f->kesc = esc;
		/*
		 * Plain keys first meet a cheap signature (length and ends):
		 * a key no earlier key shares it with is new. Escaped keys
		 * are compared in full.
		 */
		bit = 1ULL << ((f->klen * 7 + (f->klen ? (size_t)(unsigned char)
		    k[0] + (size_t)(unsigned char)k[f->klen - 1] * 3 : 0)) & 63);
		if (!esc && !any_esc && !(seen & bit))
			i = r->nfields;
		else
			i = 0;
		if (esc)
			any_esc = 1;
		seen |= bit;
		/* "a" and "\u0061" are the same key, as for jansson */
		for (; i < r->nfields; i++)
			if ((!esc && !kesc[i]) ? (r->f[i].klen == f->klen &&
			    memcmp(r->f[i].key, k, f->klen) == 0) :
			    text_eq(r->f[i].key, r->f[i].klen, 1, k, f->klen,
			    1)) {
				s.p = p;
				s.err = "duplicate key";
				goto bad;
			}
		p = past_ws(p, end);
		if (p >= end || *p != ':') {
			s.p = p;
			s.err = "expected ':'";
			goto bad;
		}
		p = past_ws(p + 1, end);
		f->val = p;
		/* strings and numbers, most values, without the dispatch */
		esc = 0;
		if (p < end && *p == '"') {
			kind = REC_STRING;
			q = past_string(&s, p, &esc);
		} else if (p < end && ((*p >= '0' && *p <= '9') ||
		    *p == '-')) {
			kind = REC_NUMBER;
			q = past_number(&s, p);
		} else {
			s.p = p;
			q = scan_value(&s, 2, &kind, &esc) == -1 ? NULL : s.p;
		}
		if ((p = q) == NULL)
			goto bad;
		f->vlen = (size_t)(p - f->val);
		f->kind = kind;
		f->escaped = esc;
		r->nfields++;
		p = past_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		s.p = p;
		s.err = "expected ',' or '}'";
		goto bad;
	}
done:
	p = past_ws(p, end);
	if (p != end) {
		s.p = p;
		s.err = "text after the object";
		goto bad;
	}
	return 0;
bad:
	snprintf(r->err, sizeof(r->err), "not valid JSON: %s at byte %zu",
	    s.err ? s.err : "syntax error", (size_t)(s.p - line) + 1);
	return -1;
}

const struct rec_field *
rec_get(const struct rec *r, const char *key)
{
	size_t kn = strlen(key);
	int i;

	for (i = 0; i < r->nfields; i++) {
		if (!r->f[i].kesc) {
			if (r->f[i].klen == kn &&
			    memcmp(r->f[i].key, key, kn) == 0)
				return &r->f[i];
		} else if (key_eq(r->f[i].key, r->f[i].klen, key, kn))
			return &r->f[i];
	}
	return NULL;
}

/*
 * memcmp(a, b, n) == 0 for the few bytes of a key: keys of 4 to 16 bytes
 * in two overlapping loads each, without the call.
 */
static inline int
same(const char *a, const char *b, size_t n)
{
	uint64_t w, x, y, z;
	uint32_t u, v, s, t;

	if (n >= 8 && n <= 16) {
		memcpy(&w, a, 8);
		memcpy(&x, b, 8);
		memcpy(&y, a + n - 8, 8);
		memcpy(&z, b + n - 8, 8);
		return ((w ^ x) | (y ^ z)) == 0;
	}
	if (n >= 4 && n < 8) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		memcpy(&s, a + n - 4, 4);
		memcpy(&t, b + n - 4, 4);
		return ((u ^ v) | (s ^ t)) == 0;
	}
	return memcmp(a, b, n) == 0;
}

/* A cheap signature of a plain key: its length and its ends. */
#define KEY_SIG(k, n) \
	(((n) * 7 + ((n) ? (size_t)(unsigned char)(k)[0] + \
	(size_t)(unsigned char)(k)[(n) - 1] * 3 : 0)) & 31)

void
rec_get_many(const struct rec *r, struct rec_key *keys, size_t n,
    const struct rec_field **out)
{
	const struct rec_field *f;
	struct rec_key *k;
	uint64_t by_sig[32], m, missing = 0;
	size_t j;
	int i;

	/* keys past the 64th: one rec_get each */
	for (j = 64; j < n; j++)
		out[j] = rec_get(r, keys[j].name);
	n = n < 64 ? n : 64;
	/*
	 * First where each key was the last time: the records of a stream
	 * usually share their layout. Keys are unique in a record, so a
	 * member there with that name is the one.
	 */
	for (j = 0; j < n; j++) {
		k = &keys[j];
		f = k->hint >= 0 && k->hint < r->nfields ? &r->f[k->hint] :
		    NULL;
		if (f != NULL && !f->kesc && f->klen == k->len &&
		    same(f->key, k->name, k->len))
			out[j] = f;
		else {
			out[j] = NULL;
			missing |= 1ULL << j;
		}
	}
	if (missing == 0)
		return;
	memset(by_sig, 0, sizeof(by_sig));
	for (m = missing; m != 0; m &= m - 1) {
		k = &keys[low_bit(m)];
		by_sig[KEY_SIG(k->name, k->len)] |= 1ULL << low_bit(m);
	}
	for (i = 0; i < r->nfields; i++) {
		f = &r->f[i];
		if (f->kesc) {
			for (j = 0; j < n; j++)
				if (out[j] == NULL && key_eq(f->key, f->klen,
				    keys[j].name, keys[j].len))
					out[j] = f;
			continue;
		}
		for (m = by_sig[KEY_SIG(f->key, f->klen)]; m != 0;
		    m &= m - 1) {
			k = &keys[low_bit(m)];
			if (f->klen == k->len &&
			    same(f->key, k->name, k->len)) {
				out[k - keys] = f;
				k->hint = i;
				break;
			}
		}
	}
}

int
rec_field_is(const struct rec_field *f, const char *type)
{
	size_t n = strlen(type);

	if (f == NULL || f->kind != REC_STRING)
		return 0;
	if (!f->escaped)
		return f->vlen == n + 2 && memcmp(f->val + 1, type, n) == 0;
	return key_eq(f->val + 1, f->vlen - 2, type, n);
}

int
rec_is(const struct rec *r, const char *type)
{
	return rec_field_is(rec_get(r, "type"), type);
}

int
rec_field_str(const struct rec_field *f, char *dst, size_t dstsz)
{
	int n;

	if (f == NULL || f->kind == REC_NULL)
		return -1;
	if (f->kind != REC_STRING)
		return -2;
	if (!f->escaped) {
		if (f->vlen - 2 >= dstsz)
			return -3;
		memcpy(dst, f->val + 1, f->vlen - 2);
		dst[f->vlen - 2] = '\0';
		return (int)(f->vlen - 2);
	}
	if ((n = unescape(f->val + 1, f->vlen - 2, dst, dstsz)) < 0)
		return -3;
	return n;
}

int
rec_str(const struct rec *r, const char *key, char *dst, size_t dstsz)
{
	return rec_field_str(rec_get(r, key), dst, dstsz);
}

/* The number text of a field: a JSON number, or a string holding one. */
static int
num_text(const struct rec_field *f, const char **p, size_t *n)
{
	if (f == NULL || f->kind == REC_NULL)
		return -1;
	if (f->kind == REC_NUMBER) {
		*p = f->val;
		*n = f->vlen;
		return 0;
	}
	if (f->kind == REC_STRING && !f->escaped && f->vlen > 2) {
		*p = f->val + 1;
		*n = f->vlen - 2;
		return 0;
	}
	return -2;
}

int
rec_field_int(const struct rec_field *f, long long *out)
{
	const char *p;
	size_t n;
	int rc;

	if ((rc = num_text(f, &p, &n)) != 0)
		return rc;
	return dec_parse_int(p, n, out) == 0 ? 0 : -2;
}

int
rec_int(const struct rec *r, const char *key, long long *out)
{
	return rec_field_int(rec_get(r, key), out);
}

int
rec_field_dec(const struct rec_field *f, int64_t *out)
{
	const char *p;
	size_t n;
	int rc;

	if ((rc = num_text(f, &p, &n)) != 0)
		return rc;
	return dec_parse(p, n, out) == 0 ? 0 : -2;
}

int
rec_dec(const struct rec *r, const char *key, int64_t *out)
{
	return rec_field_dec(rec_get(r, key), out);
}

/* The writer. */

int
recw_begin(struct buf *b, const char *type)
{
	if (buf_adds(b, "{\"type\":") == -1)
		return -1;
	return jsonw_str(b, type, strlen(type));
}

int
recw_copy(struct buf *b, const struct rec *r, const char *const *skip)
{
	const struct rec_field *f;
	const char *const *sk;
	int i;

	for (i = 0; i < r->nfields; i++) {
		f = &r->f[i];
		if (key_eq(f->key, f->klen, "type", 4))
			continue;
		for (sk = skip; sk && *sk; sk++)
			if (key_eq(f->key, f->klen, *sk, strlen(*sk)))
				break;
		if (sk && *sk)
			continue;
		if (buf_grow(b, f->klen + f->vlen + 4) == -1)
			return -1;
		b->p[b->len++] = ',';
		b->p[b->len++] = '"';
		memcpy(b->p + b->len, f->key, f->klen);
		b->len += f->klen;
		b->p[b->len++] = '"';
		b->p[b->len++] = ':';
		memcpy(b->p + b->len, f->val, f->vlen);
		b->len += f->vlen;
		b->p[b->len] = '\0';
	}
	return 0;
}

/*
 * ,"key": -- keys are short and rarely need escaping: copied. Reserves
 * room for more bytes after the key too, so that the value's writer
 * finds it there.
 */
static int
key(struct buf *b, const char *k, size_t more)
{
	size_t n = strlen(k);
	char *o;

	if (!jsonw_plain(k, n)) {
		if (buf_addc(b, ',') == -1 || jsonw_str(b, k, n) == -1)
			return -1;
		return buf_addc(b, ':');
	}
	if (buf_grow(b, n + 4 + more) == -1)
		return -1;
	o = b->p + b->len;
	o[0] = ',';
	o[1] = '"';
	memcpy(o + 2, k, n);
	o[n + 2] = '"';
	o[n + 3] = ':';
	o[n + 4] = '\0';
	b->len += n + 4;
	return 0;
}

int
recw_str(struct buf *b, const char *k, const char *val)
{
	return recw_strn(b, k, val, strlen(val));
}

int
recw_strn(struct buf *b, const char *k, const char *val, size_t n)
{
	if (key(b, k, n + 2) == -1)
		return -1;
	return jsonw_str(b, val, n);
}

int
recw_int(struct buf *b, const char *k, long long v)
{
	if (key(b, k, 24) == -1)
		return -1;
	return dec_format_int(b, v);
}

int
recw_dec(struct buf *b, const char *k, int64_t v)
{
	if (key(b, k, 32) == -1)
		return -1;
	return dec_format(b, v);
}

int
recw_raw(struct buf *b, const char *k, const char *json, size_t n)
{
	if (key(b, k, n) == -1)
		return -1;
	return buf_add(b, json, n);
}

int
recw_null(struct buf *b, const char *k)
{
	if (key(b, k, 4) == -1)
		return -1;
	return buf_add(b, "null", 4);
}

int
recw_key(struct buf *b, const char *k)
{
	return key(b, k, 0);
}

/* ,"key": made by RECW_K, and room for more bytes after it. */
static int
kkey(struct buf *b, const char *kq, size_t kn, size_t more)
{
	if (buf_grow(b, kn + more) == -1)
		return -1;
	memcpy(b->p + b->len, kq, kn);
	b->len += kn;
	return 0;
}

int
recw_kstrn(struct buf *b, const char *kq, size_t kn, const char *val,
    size_t n)
{
	if (kkey(b, kq, kn, n + 2) == -1)
		return -1;
	return jsonw_str(b, val, n);
}

int
recw_kint(struct buf *b, const char *kq, size_t kn, long long v)
{
	if (kkey(b, kq, kn, 24) == -1)
		return -1;
	return dec_format_int(b, v);
}

int
recw_kdec(struct buf *b, const char *kq, size_t kn, int64_t v)
{
	if (kkey(b, kq, kn, 32) == -1)
		return -1;
	return dec_format(b, v);
}

int
recw_knull(struct buf *b, const char *kq, size_t kn)
{
	if (kkey(b, kq, kn, 4) == -1)
		return -1;
	return buf_add(b, "null", 4);
}

int
recw_end(struct buf *b)
{
	return buf_add(b, "}\n", 2);
}
