/*
 * stockcsv: find and rewrite on_hand cells of the stock sheet, copying
 * every other byte. See stockcsv.h.
 *
 * One record at a time: its raw bytes (line end included) go into a
 * buffer, with the span of each field in it; the record is then written
 * out whole, or in three pieces around a replaced on_hand span. A field's
 * span runs from after the comma before it to the comma or line end after
 * it, so a replacement also drops the quotes and blanks the old value had.
 */
#include <string.h>

#include "buf.h"
#include "csvin.h"
#include "errmsg.h"
#include "stockcsv.h"

struct rd {
	FILE		*in;
	struct buf	 raw;			/* the record's bytes */
	size_t		 start[CSVIN_MAX_FIELDS];
	size_t		 end[CSVIN_MAX_FIELDS];
	int		 n;			/* fields */
	unsigned long	 line;			/* the next line's number */
	unsigned long	 rec_line;		/* the record's first line */
};

/* Whether c is a blank that surrounds an unquoted value. */
static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Ends the current field at the buffer's end; -1 when too many. */
static int
end_field(struct rd *r)
{
	if (r->n >= CSVIN_MAX_FIELDS)
		return -1;
	r->end[r->n] = r->raw.len;
	r->n++;
	if (r->n < CSVIN_MAX_FIELDS)
		r->start[r->n] = r->raw.len + 1;	/* after the comma */
	return 0;
}

/*
 * Reads one record into r. 1 read, 0 at the end of the file, -1 with err
 * (a quote left open, a record too long or too wide, a read error).
 */
static int
read_record(struct rd *r, int first, char *err, size_t errsz)
{
	int c, q = 0, only_blanks = 1;

	buf_reset(&r->raw);
	r->n = 0;
	r->start[0] = 0;
	r->rec_line = r->line;
	if (first) {
		/* A UTF-8 BOM is copied, but is not part of the first name. */
		if ((c = getc(r->in)) == 0xef) {
			int c2 = getc(r->in), c3 = getc(r->in);

			if (c2 != 0xbb || c3 != 0xbf) {
				errmsg_set(err, errsz, "line 1: not UTF-8");
				return -1;
			}
			buf_add(&r->raw, "\xef\xbb\xbf", 3);
			r->start[0] = 3;
		} else if (c != EOF)
			ungetc(c, r->in);
	}
	for (;;) {
		if (r->raw.len > CSVIN_MAX_ROW) {
			errmsg_set(err, errsz, "line %lu: a record longer "
			    "than %d bytes", r->rec_line, CSVIN_MAX_ROW);
			return -1;
		}
		c = getc(r->in);
		if (c == EOF) {
			if (ferror(r->in)) {
				errmsg_set(err, errsz, "read error");
				return -1;
			}
			if (q) {
				errmsg_set(err, errsz, "line %lu: a quoted "
				    "field is not closed", r->rec_line);
				return -1;
			}
			if (r->raw.len == r->start[0] && r->n == 0)
				return 0;
			goto record;
		}
		if (q) {
			if (c == '"') {
				int d = getc(r->in);

				if (d == '"')
					buf_addc(&r->raw, '"');
				else {
					q = 0;
					if (d != EOF)
						ungetc(d, r->in);
				}
			} else if (c == '\n')
				r->line++;
			else if (c == '\r') {
				int d = getc(r->in);

				if (d != '\n')
					r->line++;	/* a lone CR */
				if (d != EOF)
					ungetc(d, r->in);
			}
			if (buf_addc(&r->raw, c) == -1)
				goto nomem;
			continue;
		}
		if (c == '"' && only_blanks) {
			q = 1;
			only_blanks = 0;
		} else if (c == ',') {
			if (end_field(r) == -1)
				goto wide;
			only_blanks = 1;
		} else if (c == '\n' || c == '\r') {
			if (end_field(r) == -1)
				goto wide;
			if (buf_addc(&r->raw, c) == -1)
				goto nomem;
			if (c == '\r') {
				int d = getc(r->in);

				if (d == '\n')
					buf_addc(&r->raw, '\n');
				else if (d != EOF)
					ungetc(d, r->in);
			}
			r->line++;
			return 1;
		} else if (!blank(c))
			only_blanks = 0;
		if (buf_addc(&r->raw, c) == -1)
			goto nomem;
	}
record:
	if (end_field(r) == -1)
		goto wide;
	return 1;
wide:
	errmsg_set(err, errsz, "line %lu: more than %d fields", r->rec_line,
	    CSVIN_MAX_FIELDS);
	return -1;
nomem:
	errmsg_set(err, errsz, "out of memory");
	return -1;
}

/* Field i's value, unquoted and trimmed, into out (reset first). */
static int
field(const struct rd *r, int i, struct buf *out)
{
	const char *p, *e;

	buf_reset(out);
	if (buf_add(out, "", 0) == -1)
		return -1;
	if (i < 0 || i >= r->n)
		return 0;
	p = r->raw.p + r->start[i];
	e = r->raw.p + r->end[i];
	while (p < e && blank((unsigned char)*p))
		p++;
	if (p < e && *p == '"') {
		for (p++; p < e; p++) {
			if (*p == '"' && p + 1 < e && p[1] == '"')
				p++;
			else if (*p == '"')
				break;
			if (buf_addc(out, *p) == -1)
				return -1;
		}
		return 0;
	}
	while (e > p && blank((unsigned char)e[-1]))
		e--;
	return buf_add(out, p, (size_t)(e - p));
}

/* Finds the two columns in a header record; -1 with err without them. */
static int
header(const struct rd *r, struct stockcsv_info *info, struct buf *tmp,
    char *err, size_t errsz)
{
	char norm[64];
	int i, sku = -1;

	for (i = 0; i < r->n; i++) {
		if (field(r, i, tmp) == -1) {
			errmsg_set(err, errsz, "out of memory");
			return -1;
		}
		csvin_normalize(tmp->p, norm, sizeof(norm));
		if (strcmp(norm, "item_id") == 0 && info->item_col < 0)
			info->item_col = i;
		else if (strcmp(norm, "sku") == 0 && sku < 0)
			sku = i;
		else if (strcmp(norm, "on_hand") == 0 &&
		    info->on_hand_col < 0)
			info->on_hand_col = i;
	}
	if (info->item_col < 0)
		info->item_col = sku;
	if (info->item_col < 0 || info->on_hand_col < 0) {
		errmsg_set(err, errsz, "line %lu: the header has no %s column",
		    r->rec_line, info->item_col < 0 ? "item_id (or sku)" :
		    "on_hand");
		return -1;
	}
	return 0;
}

/* Whether every field of the record is empty. */
static int
empty_record(const struct rd *r, struct buf *tmp)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (field(r, i, tmp) == 0 && tmp->len > 0)
			return 0;
	return 1;
}

int
stockcsv_rewrite(FILE *in, FILE *out,
    int (*fn)(void *, const struct stockcsv_row *, char *, size_t),
    void *ctx, struct stockcsv_info *info, char *err, size_t errsz)
{
	struct rd r;
	struct buf id = { 0 }, oh = { 0 };
	struct stockcsv_row row;
	char repl[64];
	size_t s, e;
	int got, rc = -1, k;

	memset(&r, 0, sizeof(r));
	memset(info, 0, sizeof(*info));
	info->on_hand_col = info->item_col = -1;
	r.in = in;
	r.line = 1;
	while ((got = read_record(&r, info->rows == 0, err, errsz)) == 1) {
		info->rows++;
		k = 0;
		if (info->header_row == 0) {
			if (!empty_record(&r, &id)) {
				if (header(&r, info, &id, err, errsz) == -1)
					goto out;
				info->header_row = info->rows;
			}
		} else {
			if (field(&r, info->item_col, &id) == -1 ||
			    field(&r, info->on_hand_col, &oh) == -1) {
				errmsg_set(err, errsz, "out of memory");
				goto out;
			}
			row.row = info->rows;
			row.line = r.rec_line;
			row.item_id = id.p;
			row.on_hand = oh.p;
			repl[0] = '\0';
			if ((k = fn(ctx, &row, repl, sizeof(repl))) == -1)
				goto out;
			if (k == 1 && info->on_hand_col >= r.n) {
				errmsg_set(err, errsz, "line %lu: the row "
				    "ends before its on_hand column",
				    r.rec_line);
				goto out;
			}
		}
		if (out == NULL)
			continue;
		if (k == 1) {
			s = r.start[info->on_hand_col];
			e = r.end[info->on_hand_col];
			repl[sizeof(repl) - 1] = '\0';
			if (fwrite(r.raw.p, 1, s, out) != s ||
			    fputs(repl, out) == EOF ||
			    fwrite(r.raw.p + e, 1, r.raw.len - e, out) !=
			    r.raw.len - e)
				goto wrerr;
		} else if (fwrite(r.raw.p, 1, r.raw.len, out) != r.raw.len)
			goto wrerr;
	}
	if (got == -1)
		goto out;
	if (info->header_row == 0) {
		errmsg_set(err, errsz, "the sheet is empty: no header row");
		goto out;
	}
	rc = 0;
	goto out;
wrerr:
	errmsg_set(err, errsz, "cannot write the new sheet");
out:
	buf_free(&r.raw);
	buf_free(&id);
	buf_free(&oh);
	return rc;
}

void
stockcsv_col_name(int col, char *dst, size_t dstsz)
{
	char tmp[16];
	int n = 0, i;

	if (dstsz == 0)
		return;
	for (col += 1; col > 0 && n < (int)sizeof(tmp); col = (col - 1) / 26)
		tmp[n++] = (char)('A' + (col - 1) % 26);
	for (i = 0; i < n && (size_t)i + 1 < dstsz; i++)
		dst[i] = tmp[n - 1 - i];
	dst[i] = '\0';
}
