/*
 * csvin: a streaming CSV reader on libcsv. See csvin.h.
 *
 * The input is cut into physical lines by our own bounded reader (a line
 * ends at \n, \r\n or a lone \r) and each line is fed to libcsv in its
 * lenient mode, followed by a "\n". A row can only end at a line end, so
 * feeding one line completes at most one row: that is what lets csvin_next()
 * hand out one row per call and know the line each row started on.
 *
 * A row that spans lines is inside a quote. Its lines are kept (at most
 * max_row bytes) so that, when the quote turns out never to close, or the
 * row grows past max_row, the row is reported once and the lines after its
 * first one are read again as rows by a fresh parser ("replay"). Replayed
 * lines are rows of one line each: one that leaves a quote open is itself
 * reported as an unterminated quote. So no line is read more than twice,
 * and a file of stray quotes costs linear time, not quadratic.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "buf.h"
#include "csvin.h"

#define CHUNK		(64 * 1024)

enum { L_LINE, L_LONG, L_EOF, L_ERR };

struct csvin {
	FILE		*fp;
	size_t		 max_field, max_row;
	struct csv_parser parser;

	/* The input, read in chunks. */
	char		*in;
	size_t		 in_pos, in_len;
	int		 in_eof;
	int		 in_cr;		/* the chunk holds a \r somewhere */
	int		 skip_lf;	/* a line ended in \r: eat one \n */
	int		 first;		/* no line read yet: look for a BOM */
	struct buf	 line;		/* a line that straddles two chunks */

	/* Lines to read again, each ending in \n, then maybe a long line. */
	struct buf	 replay;
	size_t		 replay_pos;
	int		 replay_long;

	unsigned long	 lineno;	/* the line read last */

	/* The row libcsv is inside of, if any. */
	int		 open;
	unsigned long	 start;
	struct buf	 raw;		/* its lines, each ending in \n */
	size_t		 first_len;	/* bytes of its first line in raw */

	struct buf	 scratch;	/* split's unescaped quoted fields */

	/* Fields of that row, copied out of the callbacks. */
	struct buf	 fields;	/* each NUL-terminated */
	size_t		*off, *len;
	const char	**ptr;
	size_t		 nf, cap, col;
	int		 done, bad, oom, empty;
	int		 clean;		/* the row's lines so far: no NUL, UTF-8 */
	int		 slow;		/* csvin_set_fast(0): libcsv only */
	int		 inplace;	/* the row's fields are in the line */

	unsigned long	 bad_line;
	char		 err[160];
};

/* The caller keeps fp; csvin only reads from it. */
struct csvin *
csvin_open(FILE *fp, size_t max_field, size_t max_row)
{
	struct csvin *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->in = malloc(CHUNK)) == NULL) {
		free(c);
		return NULL;
	}
	c->fp = fp;
	c->max_field = max_field ? max_field : CSVIN_MAX_FIELD;
	c->max_row = max_row ? max_row : CSVIN_MAX_ROW;
	c->first = 1;
	if (csv_init(&c->parser, 0) != 0) {
		free(c->in);
		free(c);
		return NULL;
	}
	/* libcsv grows its field buffer linearly: keep the steps large. */
	csv_set_blk_size(&c->parser, 4096);
	return c;
}

void
csvin_close(struct csvin *c)
{
	if (c == NULL)
		return;
	csv_free(&c->parser);
	free(c->in);
	buf_free(&c->line);
	buf_free(&c->replay);
	buf_free(&c->raw);
	buf_free(&c->fields);
	buf_free(&c->scratch);
	free(c->off);
	free(c->len);
	free(c->ptr);
	free(c);
}

void
csvin_set_fast(struct csvin *c, int on)
{
	c->slow = !on;
}

const char *
csvin_error(const struct csvin *c)
{
	return c->err;
}

unsigned long
csvin_bad_line(const struct csvin *c)
{
	return c->bad_line;
}

/*
 * Returns the end of the line starting at p (n bytes): the first \n or \r,
 * or NULL when the line goes on past n. cr: 0 when the chunk has no \r.
 */
static const char *
line_end(const char *p, size_t n, int cr)
{
	const char *nl, *r;

	nl = memchr(p, '\n', n);
	if (!cr)
		return nl;
	r = memchr(p, '\r', nl ? (size_t)(nl - p) : n);
	return r ? r : nl;
}

enum { LN_QUOTE = 1, LN_NUL = 2, LN_HIGH = 4 };

/*
 * What a line holds, in one pass eight bytes at a time: a quote (libcsv
 * must split it), a NUL, bytes above 0x7f (UTF-8 to check). Checking a
 * line once costs less than a memchr and a UTF-8 pass for each field.
 */
static int
line_flags(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	const uint64_t quotes = 0x2222222222222222ULL;
	uint64_t w, q, high = 0, nul = 0, quote = 0;
	size_t i = 0;
	int f = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		high |= w;
		nul |= (w - ones) & ~w;
		q = w ^ quotes;
		quote |= (q - ones) & ~q;
	}
	/* (x - ones) & ~x & highs is not 0 exactly when x has a zero byte */
	if (high & highs)
		f |= LN_HIGH;
	if (nul & highs)
		f |= LN_NUL;
	if (quote & highs)
		f |= LN_QUOTE;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"')
			f |= LN_QUOTE;
		else if (c == '\0')
			f |= LN_NUL;
		else if (c >= 0x80)
			f |= LN_HIGH;
	}
	return f;
}

/*
 * Reads the next physical line of the file into *lp and *np, without its
 * terminator. The bytes live until the next call. A line longer than
 * max_row is skipped to its end and reported as L_LONG. A last line
 * without a terminator is still a line.
 */
static int
file_line(struct csvin *c, const char **lp, size_t *np)
{
	const char *p, *e;
	size_t avail, seg, got = 0, n;
	int toolong = 0;

	*lp = NULL;
	*np = 0;
	buf_reset(&c->line);
	for (;;) {
		if (c->in_pos == c->in_len) {
			if (c->in_eof)
				break;
			n = fread(c->in, 1, CHUNK, c->fp);
			if (n == 0) {
				if (ferror(c->fp)) {
					snprintf(c->err, sizeof(c->err),
					    "read error: %s", strerror(errno));
					return L_ERR;
				}
				c->in_eof = 1;
				break;
			}
			c->in_pos = 0;
			c->in_len = n;
			c->in_cr = memchr(c->in, '\r', n) != NULL;
		}
		p = c->in + c->in_pos;
		avail = c->in_len - c->in_pos;
		if (c->skip_lf) {
			c->skip_lf = 0;
			if (*p == '\n') {
				c->in_pos++;
				continue;
			}
		}
		e = line_end(p, avail, c->in_cr);
		seg = e ? (size_t)(e - p) : avail;
		got += seg;
		if (toolong)
			;
		else if (c->line.len + seg > c->max_row) {
			toolong = 1;
			buf_reset(&c->line);
		} else if (e != NULL && c->line.len == 0) {
			*lp = p;	/* the whole line is in the chunk */
			*np = seg;
		} else if (buf_add(&c->line, p, seg) == -1) {
			errno = ENOMEM;
			snprintf(c->err, sizeof(c->err), "out of memory");
			return L_ERR;
		}
		c->in_pos += seg;
		if (e != NULL) {
			c->in_pos++;
			if (*e == '\r')
				c->skip_lf = 1;
			goto line;
		}
	}
	if (got == 0)
		return L_EOF;
line:
	c->lineno++;
	if (toolong) {
		c->first = 0;
		return L_LONG;
	}
	if (*lp == NULL) {
		*lp = c->line.p ? c->line.p : "";
		*np = c->line.len;
	}
	if (c->first) {
		c->first = 0;
		if (*np >= 3 && memcmp(*lp, "\xef\xbb\xbf", 3) == 0) {
			*lp += 3;
			*np -= 3;
		}
	}
	return L_LINE;
}

/*
 * The next line to parse: from the replay buffer first (*replayed set),
 * then the file.
 */
static int
next_line(struct csvin *c, const char **lp, size_t *np, int *replayed)
{
	const char *p, *e;

	*replayed = c->replay_pos < c->replay.len;
	if (*replayed) {
		p = c->replay.p + c->replay_pos;
		e = memchr(p, '\n', c->replay.len - c->replay_pos);
		*lp = p;
		*np = (size_t)(e - p);
		c->replay_pos += *np + 1;
		c->lineno++;
		return L_LINE;
	}
	if (c->replay.len) {
		buf_reset(&c->replay);
		c->replay_pos = 0;
	}
	if (c->replay_long) {
		c->replay_long = 0;
		c->lineno++;
		return L_LONG;
	}
	return file_line(c, lp, np);
}

/* libcsv's field callback: check the field and copy it. */
static void
on_field(void *s, size_t n, void *data)
{
	struct csvin *c = data;
	size_t ncap;
	void *np;

	c->col++;
	if (c->bad || c->oom)
		return;
	if (c->col > CSVIN_MAX_FIELDS) {
		c->bad = 1;
		snprintf(c->err, sizeof(c->err), "more than %d columns",
		    CSVIN_MAX_FIELDS);
		return;
	}
	if (n > c->max_field) {
		c->bad = 1;
		snprintf(c->err, sizeof(c->err),
		    "column %zu: field longer than %zu bytes", c->col,
		    c->max_field);
		return;
	}
	/* c->clean: the whole line was checked (no NUL, valid UTF-8) */
	if (!c->clean && n > 0 && memchr(s, '\0', n) != NULL) {
		c->bad = 1;
		snprintf(c->err, sizeof(c->err),
		    "column %zu: contains a NUL byte (is the file UTF-16? "
		    "save it as \"CSV UTF-8\")", c->col);
		return;
	}
	if (!c->clean && !utf8_valid(s, n)) {
		c->bad = 1;
		snprintf(c->err, sizeof(c->err),
		    "column %zu: not valid UTF-8 (save the sheet as "
		    "\"CSV UTF-8\")", c->col);
		return;
	}
	if (c->nf == c->cap) {
		ncap = c->cap ? c->cap * 2 : 16;
		if ((np = realloc(c->off, ncap * sizeof(*c->off))) == NULL)
			goto oom;
		c->off = np;
		if ((np = realloc(c->len, ncap * sizeof(*c->len))) == NULL)
			goto oom;
		c->len = np;
		if ((np = realloc(c->ptr, ncap * sizeof(*c->ptr))) == NULL)
			goto oom;
		c->ptr = np;
		c->cap = ncap;
	}
	c->len[c->nf] = n;
	if (c->inplace) {
		/* split's field: ended in place (see split) */
		c->ptr[c->nf] = s;
		((char *)s)[n] = '\0';
	} else {
		c->off[c->nf] = c->fields.len;
		if (buf_grow(&c->fields, n + 1) == -1)
			goto oom;
		memcpy(c->fields.p + c->fields.len, s, n);
		c->fields.len += n;
		c->fields.p[c->fields.len++] = '\0';
	}
	if (n > 0)
		c->empty = 0;
	c->nf++;
	return;
oom:
	c->oom = 1;
}

/* libcsv's end-of-row callback. */
static void
on_row(int term, void *data)
{
	struct csvin *c = data;

	c->done = 1;
}

/* Forgets the fields of the row being built. */
static void
row_reset(struct csvin *c)
{
	buf_reset(&c->fields);
	c->nf = c->col = 0;
	c->done = c->bad = c->inplace = 0;
	c->empty = 1;
}

/* 1 when the line holds nothing libcsv would not skip. */
static int
blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	return 1;
}

/* Forgets the open row and resets libcsv for the next one. */
static void
close_row(struct csvin *c)
{
	c->open = 0;
	buf_reset(&c->raw);
	csv_fini(&c->parser, NULL, NULL, NULL);	/* resets the parser */
	row_reset(c);
}

/*
 * Gives up on the open row (whose message is in c->err): the lines after
 * its first one, then the line cur (not yet part of the row, may be NULL),
 * are queued to be read again. Rows only span lines outside a replay, so
 * the queue is empty here and ends up under 2 * max_row bytes.
 */
static int
drop_row(struct csvin *c, const char *cur, size_t n)
{
	struct buf nb = { NULL, 0, 0 };

	if ((c->raw.len > c->first_len && buf_add(&nb,
	    c->raw.p + c->first_len, c->raw.len - c->first_len) == -1) ||
	    (cur != NULL && (buf_add(&nb, cur, n) == -1 ||
	    buf_addc(&nb, '\n') == -1))) {
		buf_free(&nb);
		errno = ENOMEM;
		snprintf(c->err, sizeof(c->err), "out of memory");
		return CSVIN_IOERR;
	}
	buf_free(&c->replay);
	c->replay = nb;
	c->replay_pos = 0;
	c->bad_line = c->start;
	c->lineno = c->start;
	close_row(c);
	return CSVIN_BAD;
}

/*
 * A line that starts a row is split here when its fields are plain:
 * unquoted with no quote inside, or wholly quoted ("a, b", "12"" pan")
 * with only blanks around the quotes. libcsv (lenient) finds the
 * same fields -- blanks around an unquoted field or outside the quotes
 * dropped -- and the same callbacks check and copy them, at a third of
 * the cost; a shop's sheet is almost all such lines. Anything else (a
 * quote inside an unquoted field, text after a closing quote, a quote running on to the next
 * line, more than SPLIT_MAX fields) returns -1 before any callback, and
 * libcsv reads the line. quotes: 0 when the line has none. The fuzz
 * target checks that both give the same rows.
 */
#define SPLIT_MAX	128

/* Field i of a line without quotes, blanks around it dropped. */
static void
plain_field(const char *f, const char *e, const char **fs, const char **fe)
{
	while (f < e && (*f == ' ' || *f == '\t'))
		f++;
	while (e > f && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*fs = f;
	*fe = e;
}

/*
 * Splits a line without quotes at its commas into at most SPLIT_MAX
 * fields: their count, or 0 when there are more. Eight bytes at a time
 * where the byte order allows: ~(((x & 0x7f..) + 0x7f..) | x | 0x7f..)
 * has the high bit of exactly the zero bytes of x, here the commas of w.
 */
static size_t
commas(const char *p, size_t n, const char **fs, const char **fe)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	const uint64_t comma = 0x2c2c2c2c2c2c2c2cULL;
	uint64_t w, x, m;
	size_t i = 0, at, start = 0, nf = 0;

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		x = w ^ comma;
		m = ~(((x & low7) + low7) | x | low7);
		for (; m != 0; m &= m - 1) {
			if (nf + 1 == SPLIT_MAX)
				return 0;
			at = i + ((size_t)__builtin_ctzll(m) >> 3);
			plain_field(p + start, p + at, &fs[nf], &fe[nf]);
			nf++;
			start = at + 1;
		}
	}
#else
	(void)low7, (void)comma, (void)w, (void)x, (void)m, (void)at;
#endif
	for (; i < n; i++)
		if (p[i] == ',') {
			if (nf + 1 == SPLIT_MAX)
				return 0;
			plain_field(p + start, p + i, &fs[nf], &fe[nf]);
			nf++;
			start = i + 1;
		}
	plain_field(p + start, p + n, &fs[nf], &fe[nf]);
	return nf + 1;
}

static int
split(struct csvin *c, const char *p, size_t n, int quotes)
{
	const char *end = p + n, *fs[SPLIT_MAX], *fe[SPLIT_MAX];
	const char *f, *e, *q, *comma, *r = NULL;
	char *w, *w0;
	size_t nf = 0, i;

	/* unescaped fields and their NULs fit in n: w never moves it */
	if (quotes && buf_grow(&c->scratch, n) == -1)
		return -1;
	w = c->scratch.p;

	if (!quotes) {
		/* the commas found eight bytes at a time, not a call a field */
		if ((nf = commas(p, n, fs, fe)) == 0)
			return -1;
		goto done;
	}
	for (;;) {
		if (nf == SPLIT_MAX)
			return -1;
		f = p;
		while (f < end && (*f == ' ' || *f == '\t'))
			f++;
		if (quotes && f < end && *f == '"') {
			/* "" inside is one quote: unescaped into scratch */
			for (q = f + 1, w0 = NULL;; q += 2) {
				if ((q = memchr(q, '"', (size_t)(end - q))) ==
				    NULL)
					return -1;
				if (q + 1 == end || q[1] != '"')
					break;
				if (w0 == NULL) {
					w0 = w;
					r = f + 1;
				}
				memcpy(w, r, (size_t)(q + 1 - r));
				w += q + 1 - r;
				r = q + 2;
			}
			e = q + 1;
			while (e < end && (*e == ' ' || *e == '\t'))
				e++;
			if (e < end && *e != ',')
				return -1;
			if (w0 != NULL) {
				memcpy(w, r, (size_t)(q - r));
				w += q - r;
				fs[nf] = w0;
				fe[nf++] = w++;		/* room for its NUL */
			} else {
				fs[nf] = f + 1;
				fe[nf++] = q;
			}
			if (e == end)
				break;
			p = e + 1;
			continue;
		}
		comma = memchr(p, ',', (size_t)(end - p));
		e = comma ? comma : end;
		if (quotes && memchr(f, '"', (size_t)(e - f)) != NULL)
			return -1;
		while (e > f && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		fs[nf] = f;
		fe[nf++] = e;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
done:
	/*
	 * The fields are not copied: each is ended by a NUL where it ends
	 * in the line (a blank, a comma, a closing quote or the line's end:
	 * nothing another field needs) or in scratch. The line's bytes are
	 * csvin's own buffers, kept until the next call.
	 */
	c->inplace = 1;
	for (i = 0; i < nf; i++)
		on_field((void *)(uintptr_t)fs[i], (size_t)(fe[i] - fs[i]), c);
	on_row('\n', c);
	return 0;
}

/* Feeds one line and its newline to libcsv. 0, or -1 out of memory. */
static int
feed(struct csvin *c, const char *p, size_t n)
{
	if ((n > 0 && csv_parse(&c->parser, p, n, on_field, on_row, c) < n) ||
	    csv_parse(&c->parser, "\n", 1, on_field, on_row, c) < 1 ||
	    c->oom) {
		errno = ENOMEM;
		snprintf(c->err, sizeof(c->err), "out of memory");
		return -1;
	}
	return 0;
}

/*
 * The pull loop: reads lines until one completes a row, or something is
 * wrong with the row. See csvin.h for what each result means.
 */
int
csvin_next(struct csvin *c, struct csvin_row *row)
{
	const char *p;
	size_t n, i;
	int r, replayed, flags;

	c->err[0] = '\0';
	for (;;) {
		r = next_line(c, &p, &n, &replayed);
		if (r == L_ERR)
			return CSVIN_IOERR;
		if (r == L_EOF) {
			if (!c->open)
				return CSVIN_EOF;
			snprintf(c->err, sizeof(c->err), "unterminated quote: "
			    "the row starting here runs to the end of the "
			    "file");
			return drop_row(c, NULL, 0);
		}
		if (r == L_LONG) {
			if (c->open) {
				c->replay_long = 1;
				snprintf(c->err, sizeof(c->err),
				    "row longer than %zu bytes (a quote opened "
				    "here may be missing its closing quote)",
				    c->max_row);
				return drop_row(c, NULL, 0);
			}
			c->bad_line = c->lineno;
			snprintf(c->err, sizeof(c->err),
			    "row longer than %zu bytes", c->max_row);
			return CSVIN_BAD;
		}
		if (!c->open) {
			if (blank(p, n))
				continue;
			c->open = 1;
			c->start = c->lineno;
			buf_reset(&c->raw);
			row_reset(c);
		} else if (c->raw.len + n > c->max_row) {
			snprintf(c->err, sizeof(c->err),
			    "row longer than %zu bytes (a quote opened here "
			    "may be missing its closing quote)", c->max_row);
			return drop_row(c, p, n);
		}
		flags = line_flags(p, n);
		/* a row's fields are clean when each of its lines is */
		if (c->raw.len == 0)
			c->clean = 1;
		if ((flags & LN_NUL) || ((flags & LN_HIGH) &&
		    !utf8_valid(p, n)))
			c->clean = 0;
		if (c->raw.len == 0 && !c->slow &&
		    split(c, p, n, flags & LN_QUOTE) == 0) {
			if (c->oom) {
				errno = ENOMEM;
				snprintf(c->err, sizeof(c->err),
				    "out of memory");
				return CSVIN_IOERR;
			}
		} else if (feed(c, p, n) == -1)
			return CSVIN_IOERR;
		if (!c->done && replayed) {
			c->bad_line = c->start;
			snprintf(c->err, sizeof(c->err), "unterminated quote: "
			    "a quote opened on this line is not closed on it");
			close_row(c);
			return CSVIN_BAD;
		}
		if (!c->done) {
			/* Inside a quote: keep the line for a replay. */
			if (c->raw.len == 0)
				c->first_len = n + 1;
			if (buf_add(&c->raw, p, n) == -1 ||
			    buf_addc(&c->raw, '\n') == -1) {
				errno = ENOMEM;
				snprintf(c->err, sizeof(c->err),
				    "out of memory");
				return CSVIN_IOERR;
			}
			continue;
		}
		c->open = 0;
		buf_reset(&c->raw);
		if (c->bad) {
			c->bad_line = c->start;
			return CSVIN_BAD;
		}
		if (c->empty)
			continue;	/* ",,," as spreadsheets export */
		for (i = 0; i < c->nf && !c->inplace; i++)
			c->ptr[i] = c->fields.p + c->off[i];
		row->n = c->nf;
		row->field = c->ptr;
		row->len = c->len;
		row->line = c->start;
		return CSVIN_ROW;
	}
}

/*
 * Lower-cases ASCII, turns ' ', '-' and '_' into '_' (a run of them into
 * one) and trims surrounding blanks. A name that does not fit in dstsz
 * gives "", which matches no column.
 */
void
csvin_normalize(const char *name, char *dst, size_t dstsz)
{
	const char *s = name, *e;
	size_t o = 0;
	int sep = 0;
	unsigned char ch;

	if (dstsz == 0)
		return;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	for (; s < e; s++) {
		ch = (unsigned char)*s;
		if (ch == ' ' || ch == '-' || ch == '_' || ch == '\t') {
			if (sep)
				continue;
			sep = 1;
			ch = '_';
		} else {
			sep = 0;
			if (ch >= 'A' && ch <= 'Z')
				ch = (unsigned char)(ch - 'A' + 'a');
		}
		if (o + 1 >= dstsz) {
			dst[0] = '\0';
			return;
		}
		dst[o++] = (char)ch;
	}
	dst[o] = '\0';
}

/*
 * Validates UTF-8 as in Unicode's table 3-7: no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p, *e;
	unsigned char c, lo, hi;
	size_t k, i;

	if (n == 0)
		return 1;
	p = (const unsigned char *)s;
	e = p + n;
	while (p < e) {
		c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if ((size_t)(e - p) <= k)
			return 0;
		if (p[1] < lo || p[1] > hi)
			return 0;
		for (i = 2; i <= k; i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return 0;
		p += k + 1;
	}
	return 1;
}
