/*
 * test_bounds: every limit that protects the process from its input, at
 * the bound (accepted) and one past it (refused), with the defaults of
 * the headers. tests/fuzz/LIMITS.md lists them; the bounds the other test files
 * already check there (CSVIN_MAX_FIELD and CSVIN_MAX_FIELDS in
 * test_csvin.c, NDJSON_MAX_DEPTH in test_ndjson.c) are not repeated.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "csvin.h"
#include "docs.h"
#include "httpev.h"
#include "ndjson.h"
#include "sig.h"
#include "unit.h"

#define DOCS_LINE_LIMIT	4096	/* LINE_MAX_BYTES in lib/docs.c */
#define LINK_PART_LIMIT	4096	/* base64url bytes, unb64url in lib/sig.c */

/* A read-only stream of n bytes of s (tmpfile: fmemopen wants n > 0). */
static FILE *
mem_file(const char *s, size_t n)
{
	FILE *fp;

	if ((fp = tmpfile()) == NULL)
		return NULL;
	if (n > 0 && fwrite(s, 1, n, fp) != n) {
		fclose(fp);
		return NULL;
	}
	rewind(fp);
	return fp;
}

static void
add_rep(struct buf *b, int c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_addc(b, c);
}

/* The results of csvin_next over s, as "R<nfields>" and "B" letters. */
static char *
csv_results(const char *s, size_t n, size_t max_field, size_t max_row)
{
	struct buf out = { NULL, 0, 0 };
	struct csvin_row row;
	struct csvin *c;
	FILE *fp = mem_file(s, n ? n : strlen(s));
	int r;

	c = csvin_open(fp, max_field, max_row);
	while ((r = csvin_next(c, &row)) != CSVIN_EOF && r != CSVIN_IOERR) {
		if (r == CSVIN_ROW)
			buf_addf(&out, "R%zu@%lu ", row.n, row.line);
		else
			buf_addf(&out, "B@%lu ", csvin_bad_line(c));
	}
	buf_adds(&out, r == CSVIN_EOF ? "EOF" : "IOERR");
	csvin_close(c);
	fclose(fp);
	return buf_steal(&out);
}

TEST(csvin_row_default)
{
	struct buf in = { NULL, 0, 0 };
	char *got;

	/* CSVIN_MAX_ROW bytes on one line: four fields within the field
	 * bound, three commas */
	add_rep(&in, 'a', CSVIN_MAX_FIELD);
	buf_addc(&in, ',');
	add_rep(&in, 'b', CSVIN_MAX_ROW - CSVIN_MAX_FIELD - 3 - 2 *
	    (CSVIN_MAX_FIELD - 1));
	buf_addc(&in, ',');
	add_rep(&in, 'c', CSVIN_MAX_FIELD - 1);
	buf_addc(&in, ',');
	add_rep(&in, 'd', CSVIN_MAX_FIELD - 1);
	CHECK_EQ_INT(in.len, CSVIN_MAX_ROW);
	buf_adds(&in, "\r\nx\n");
	/* and one byte more */
	add_rep(&in, 'e', CSVIN_MAX_FIELD);
	buf_addc(&in, ',');
	add_rep(&in, 'f', CSVIN_MAX_ROW - CSVIN_MAX_FIELD - 3 - 2 *
	    (CSVIN_MAX_FIELD - 1) + 1);
	buf_addc(&in, ',');
	add_rep(&in, 'g', CSVIN_MAX_FIELD - 1);
	buf_addc(&in, ',');
	add_rep(&in, 'h', CSVIN_MAX_FIELD - 1);
	buf_adds(&in, "\ny\n");
	got = csv_results(in.p, in.len, 0, 0);
	CHECK_EQ_STR(got, "R4@1 R1@2 B@3 R1@4 EOF");
	free(got);
	buf_free(&in);
}

TEST(csvin_row_spanning_lines)
{
	char *got;

	/* a quoted row over two lines counts its newline: 12 + 1 + 11 */
	got = csv_results("\"01234567890\n0123456789\"\nz\n", 0, 0, 24);
	CHECK_EQ_STR(got, "R1@1 R1@3 EOF");
	free(got);
	/* 12 + 1 + 12: the row is dropped, its second line read again (a
	 * row of its own: a stray quote in an unquoted field is text) */
	got = csv_results("\"01234567890\n01234567890\"\nz\n", 0, 0, 24);
	CHECK_EQ_STR(got, "B@1 R1@2 R1@3 EOF");
	free(got);
}

/* The results of ndjson_next over s with max_line, as letters. */
static char *
ndjson_results(const char *s, size_t n, size_t max_line)
{
	struct buf out = { NULL, 0, 0 };
	struct ndjson_reader *rd;
	const char *line;
	size_t len;
	unsigned long no;
	FILE *fp = mem_file(s, n);
	int r;

	rd = ndjson_open(fp, max_line);
	while ((r = ndjson_next(rd, &line, &len, &no)) == NDJSON_OK ||
	    r == NDJSON_TOOLONG) {
		if (r == NDJSON_OK)
			buf_addf(&out, "OK%zu@%lu ", len, no);
		else
			buf_addf(&out, "LONG@%lu ", no);
	}
	buf_adds(&out, r == NDJSON_EOF ? "EOF" : "IOERR");
	ndjson_close(rd);
	fclose(fp);
	return buf_steal(&out);
}

TEST(ndjson_line_default)
{
	struct buf in = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	char *got;

	add_rep(&in, ' ', NDJSON_MAX_LINE - 2);
	buf_adds(&in, "{}\n");		/* NDJSON_MAX_LINE bytes */
	add_rep(&in, ' ', NDJSON_MAX_LINE - 2);
	buf_adds(&in, "{}\r\n");	/* the same with CRLF */
	add_rep(&in, ' ', NDJSON_MAX_LINE - 1);
	buf_adds(&in, "{}\n");		/* one byte more */
	buf_adds(&in, "{}\n");
	add_rep(&in, ' ', NDJSON_MAX_LINE - 1);
	buf_adds(&in, "{}");		/* one more, at the end of the file */
	got = ndjson_results(in.p, in.len, 0);
	buf_addf(&want, "OK%d@1 OK%d@2 LONG@3 OK2@4 LONG@5 EOF",
	    NDJSON_MAX_LINE, NDJSON_MAX_LINE);
	CHECK_EQ_STR(got, want.p);
	free(got);
	buf_free(&in);
	buf_free(&want);
}

TEST(ndjson_line_crlf_at_chunk_end)
{
	struct buf in = { NULL, 0, 0 };
	char *got;
	size_t i;

	/*
	 * The reader's first read takes 131071 bytes. A line of exactly
	 * max_line bytes whose '\r' is the last of them used to be taken
	 * for too long (the '\n' not read yet): it is not.
	 */
	for (i = 0; i < 13105; i++)
		buf_adds(&in, "{\"a\":123}\n");
	buf_adds(&in, "{ }\n");
	CHECK_EQ_INT(in.len, 131054);
	buf_adds(&in, "{\"k\":\"abcdefgh\"}\r\n{}\n");
	got = ndjson_results(in.p, in.len, 16);
	CHECK(got != NULL && strstr(got, "OK3@13106 OK16@13107 OK2@13108 "
	    "EOF") != NULL);
	free(got);
	/* max_line bytes and a '\r' at the end of the file, no '\n' */
	got = ndjson_results("{\"k\":\"abcdefgh\"}\r", 17, 16);
	CHECK_EQ_STR(got, "OK16@1 EOF");
	free(got);
	buf_free(&in);
}

TEST(ndjson_fields)
{
	struct buf in = { NULL, 0, 0 };
	struct rec *r = malloc(sizeof(*r));
	int i;

	buf_addc(&in, '{');
	for (i = 0; i < NDJSON_MAX_FIELDS; i++)
		buf_addf(&in, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_addc(&in, '}');
	CHECK(rec_parse(r, in.p, in.len) == 0);
	CHECK_EQ_INT(r->nfields, NDJSON_MAX_FIELDS);
	in.len--;
	buf_adds(&in, ",\"one_more\":1}");
	CHECK(rec_parse(r, in.p, in.len) == -1);
	CHECK(strstr(r->err, "too many fields") != NULL);
	free(r);
	buf_free(&in);
}

/* A request event whose body member is the JSON text body_json. */
static void
event(struct buf *b, const char *body_json, int b64, int nheaders)
{
	int i;

	buf_reset(b);
	buf_adds(b, "{\"version\":\"2.0\",\"rawPath\":\"/x\",\"requestContext\":"
	    "{\"http\":{\"method\":\"POST\"}},\"headers\":{");
	for (i = 0; i < nheaders; i++)
		buf_addf(b, "%s\"h%d\":\"v\"", i ? "," : "", i);
	buf_addf(b, "},\"isBase64Encoded\":%s,\"body\":%s", b64 ? "true" :
	    "false", body_json);
}

TEST(httpev_body)
{
	struct buf ev = { NULL, 0, 0 }, body = { NULL, 0, 0 };
	struct httpev h;
	char err[128];

	/* HTTPEV_MAX_BODY bytes of text, then one more */
	buf_addc(&body, '"');
	add_rep(&body, 'x', HTTPEV_MAX_BODY);
	buf_addc(&body, '"');
	event(&ev, body.p, 0, 1);
	buf_addc(&ev, '}');
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == 0);
	CHECK_EQ_INT(h.body_len, HTTPEV_MAX_BODY);
	httpev_free(&h);
	body.len--;
	buf_adds(&body, "x\"");
	event(&ev, body.p, 0, 1);
	buf_addc(&ev, '}');
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == -1);
	CHECK(strstr(err, "body larger than") != NULL);

	/* the bound is on decoded bytes: base64 of HTTPEV_MAX_BODY "AAA"s
	 * is "QUFB"s */
	buf_reset(&body);
	buf_addc(&body, '"');
	for (size_t i = 0; i < HTTPEV_MAX_BODY / 3; i++)
		buf_adds(&body, "QUFB");
	buf_adds(&body, "QQ==\"");	/* one more "A": 1048576 bytes */
	event(&ev, body.p, 1, 1);
	buf_addc(&ev, '}');
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == 0);
	CHECK_EQ_INT(h.body_len, HTTPEV_MAX_BODY);
	httpev_free(&h);
	body.len -= 5;
	buf_adds(&body, "QUE=\"");	/* "AA": one byte more */
	event(&ev, body.p, 1, 1);
	buf_addc(&ev, '}');
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == -1);
	CHECK(strstr(err, "body larger than") != NULL);
	buf_free(&ev);
	buf_free(&body);
}

TEST(httpev_event_size)
{
	struct buf ev = { NULL, 0, 0 };
	struct httpev h;
	char err[128];

	/* an event of exactly HTTPEV_MAX_EVENT bytes (white space pads
	 * it), then one more */
	event(&ev, "\"b\"", 0, 1);
	add_rep(&ev, ' ', HTTPEV_MAX_EVENT - ev.len - 1);
	buf_addc(&ev, '}');
	CHECK_EQ_INT(ev.len, HTTPEV_MAX_EVENT);
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == 0);
	httpev_free(&h);
	ev.len--;
	buf_adds(&ev, " }");
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == -1);
	CHECK_EQ_STR(err, "request too large");
	buf_free(&ev);
}

TEST(httpev_headers)
{
	struct buf ev = { NULL, 0, 0 };
	struct httpev h;
	char err[128];

	event(&ev, "\"b\"", 0, HTTPEV_MAX_HEADERS);
	buf_addc(&ev, '}');
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == 0);
	CHECK_EQ_INT(h.nheaders, HTTPEV_MAX_HEADERS);
	CHECK_EQ_STR(httpev_header(&h, "h63"), "v");
	httpev_free(&h);
	event(&ev, "\"b\"", 0, HTTPEV_MAX_HEADERS + 1);
	buf_addc(&ev, '}');
	CHECK(httpev_parse(ev.p, ev.len, &h, err, sizeof(err)) == -1);
	CHECK_EQ_STR(err, "too many headers");
	buf_free(&ev);
}

static struct buf warnings;

static void
collect(void *ctx, const char *source, unsigned long line, const char *msg)
{
	buf_addf(&warnings, "%lu: %s\n", line, msg);
}

TEST(docs_line)
{
	struct docs_warner w = { collect, NULL };
	struct buf in = { NULL, 0, 0 };
	struct docs *d = docs_new();
	FILE *fp;

	/* comment lines of DOCS_LINE_LIMIT bytes (LF, then CRLF), then
	 * one byte more */
	buf_adds(&in, "[default]\n# ");
	add_rep(&in, 'x', DOCS_LINE_LIMIT - 2);
	buf_adds(&in, "\n# ");
	add_rep(&in, 'x', DOCS_LINE_LIMIT - 2);
	buf_adds(&in, "\r\n# ");
	add_rep(&in, 'x', DOCS_LINE_LIMIT - 1);
	buf_adds(&in, "\r\nbuffer: 3\n");
	fp = mem_file(in.p, in.len);
	buf_reset(&warnings);
	CHECK(docs_load_rules_fp(d, fp, "rules.txt", &w) == 0);
	CHECK_EQ_STR(warnings.p ? warnings.p : "",
	    "4: line longer than 4096 bytes (ignored)\n");
	CHECK(docs_default(d) != NULL && docs_default(d)->buffer.v == 3 &&
	    docs_default(d)->buffer.line == 5);
	fclose(fp);
	docs_free(d);
	buf_free(&in);
	buf_free(&warnings);
}

TEST(link_token_part)
{
	struct buf t = { NULL, 0, 0 }, order = { NULL, 0, 0 };
	char got[4096], action[16], why[64];
	char *dot;

	/* "ORDER\napprove\n2000" of 3072 bytes is 4096 base64url bytes */
	add_rep(&order, 'o', 3072 - 13);
	CHECK(sig_link_make("k", order.p, "approve", 2000, &t) == 0);
	dot = strchr(t.p, '.');
	CHECK(dot != NULL && dot - t.p == LINK_PART_LIMIT);
	CHECK(sig_link_check("k", t.p, 1999, got, sizeof(got), action,
	    sizeof(action), why, sizeof(why)) == 0);
	CHECK_EQ_STR(got, order.p);
	buf_reset(&t);
	buf_addc(&order, 'o');
	CHECK(sig_link_make("k", order.p, "approve", 2000, &t) == 0);
	CHECK(sig_link_check("k", t.p, 1999, got, sizeof(got), action,
	    sizeof(action), why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "bad link");
	buf_free(&t);
	buf_free(&order);
}

TEST(quiet_dates)
{
	struct buf days = { NULL, 0, 0 };
	struct quiet q;
	char err[160];
	int i;

	for (i = 0; i < 64; i++)
		buf_addf(&days, "%s2026-%02d-%02d", i ? "," : "", 1 + i / 28,
		    1 + i % 28);
	CHECK(clock_quiet_parse(NULL, days.p, &q, err, sizeof(err)) == 0);
	CHECK_EQ_INT(q.ndates, 64);
	buf_adds(&days, ",2026-12-25");
	CHECK(clock_quiet_parse(NULL, days.p, &q, err, sizeof(err)) == -1);
	CHECK(strstr(err, "more than 64 dates") != NULL);
	buf_free(&days);
}

int
main(void)
{
	RUN(csvin_row_default);
	RUN(csvin_row_spanning_lines);
	RUN(ndjson_line_default);
	RUN(ndjson_line_crlf_at_chunk_end);
	RUN(ndjson_fields);
	RUN(httpev_body);
	RUN(httpev_event_size);
	RUN(httpev_headers);
	RUN(docs_line);
	RUN(link_token_part);
	RUN(quiet_dates);
	return unit_summary();
}
