/*
 * test_csvin: the CSV reader, driven through its pull API. Each case feeds
 * a file's bytes and compares a transcript of what csvin_next() returned:
 * "ROW line [f1|f2]" per row, "BAD line: message" per rejected row, then
 * "EOF". Newlines inside fields show as \n.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvin.h"
#include "unit.h"

/* A read-only stream holding n bytes of s. */
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

/* Appends field bytes to the transcript, newlines made visible. */
static void
add_field(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			buf_adds(b, "\\n");
		else if (s[i] == '\r')
			buf_adds(b, "\\r");
		else
			buf_addc(b, s[i]);
	}
}

/*
 * Reads all of s (n bytes, or up to its NUL when n is 0) and returns the
 * transcript; caller frees.
 */
static char *
transcript_n(const char *s, size_t n, size_t max_field, size_t max_row)
{
	struct buf b = { NULL, 0, 0 };
	struct csvin_row row;
	struct csvin *c;
	FILE *fp;
	size_t i;
	int r;

	if (n == 0)
		n = strlen(s);
	if ((fp = mem_file(s, n)) == NULL)
		return NULL;
	if ((c = csvin_open(fp, max_field, max_row)) == NULL) {
		fclose(fp);
		return NULL;
	}
	while ((r = csvin_next(c, &row)) != CSVIN_EOF) {
		if (r == CSVIN_ROW) {
			buf_addf(&b, "ROW %lu [", row.line);
			for (i = 0; i < row.n; i++) {
				if (i > 0)
					buf_addc(&b, '|');
				/* the copy is NUL-terminated at len */
				if (row.field[i][row.len[i]] != '\0')
					buf_adds(&b, "(no NUL)");
				add_field(&b, row.field[i], row.len[i]);
			}
			buf_adds(&b, "]\n");
		} else if (r == CSVIN_BAD)
			buf_addf(&b, "BAD %lu: %s\n", csvin_bad_line(c),
			    csvin_error(c));
		else {
			buf_addf(&b, "IOERR: %s\n", csvin_error(c));
			break;
		}
	}
	if (r == CSVIN_EOF)
		buf_adds(&b, "EOF\n");
	csvin_close(c);
	fclose(fp);
	return buf_steal(&b);
}

static char *
transcript(const char *s)
{
	return transcript_n(s, strlen(s), 0, 0);
}

/* Checks the transcript of s against want. */
#define CHECK_CSV(s, want) do {						\
	char *got_ = transcript(s);					\
	CHECK_EQ_STR(got_, want);					\
	free(got_);							\
} while (0)

/* n copies of ch, NUL-terminated; caller frees. */
static char *
repeat(int ch, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memset(p, ch, n);
	p[n] = '\0';
	return p;
}

TEST(quoted_fields_and_lines)
{
	CHECK_CSV("item_id,name,on_hand\n"
	    "A1,\"Widget, large\",5\n"
	    "A2,\"Say \"\"hi\"\"\",3\n"
	    "A3,\"two\nlines\",4\n"
	    "A4,\"three\n\nlines\",1\n"
	    "A5,x,2\n",
	    "ROW 1 [item_id|name|on_hand]\n"
	    "ROW 2 [A1|Widget, large|5]\n"
	    "ROW 3 [A2|Say \"hi\"|3]\n"
	    "ROW 4 [A3|two\\nlines|4]\n"
	    "ROW 6 [A4|three\\n\\nlines|1]\n"
	    "ROW 9 [A5|x|2]\n"
	    "EOF\n");
}

TEST(lenient_quotes_and_spaces)
{
	CHECK_CSV("P1,Pipe 3/4\" copper,  7  \n"
	    "P2, \"padded\" ,\"\"\n",
	    "ROW 1 [P1|Pipe 3/4\" copper|7]\n"
	    "ROW 2 [P2|padded|]\n"
	    "EOF\n");
}

TEST(crlf_and_cr)
{
	CHECK_CSV("a,b\r\n1,\"x\r\ny\"\r\n2,3\r\n",
	    "ROW 1 [a|b]\n"
	    "ROW 2 [1|x\\ny]\n"
	    "ROW 4 [2|3]\n"
	    "EOF\n");
	CHECK_CSV("a,b\r1,2\r\r3,4",
	    "ROW 1 [a|b]\n"
	    "ROW 2 [1|2]\n"
	    "ROW 4 [3|4]\n"
	    "EOF\n");
}

TEST(crlf_across_chunks)
{
	/* The \r is the last byte of the first 64 KiB read, \n the next. */
	struct buf in = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	char *a = repeat('a', 65535), *got;

	buf_adds(&in, a);
	buf_adds(&in, "\r\nb,c\r\nd,e\r\n");
	buf_addf(&want, "ROW 1 [%s]\nROW 2 [b|c]\nROW 3 [d|e]\nEOF\n", a);
	got = transcript(in.p);
	CHECK_EQ_STR(got, want.p);
	free(got);
	free(a);
	buf_free(&in);
	buf_free(&want);
}

TEST(bom)
{
	CHECK_CSV("\xef\xbb\xbfitem_id,on_hand\nA,1\n",
	    "ROW 1 [item_id|on_hand]\n"
	    "ROW 2 [A|1]\n"
	    "EOF\n");
	/* Only at the start of the file. */
	CHECK_CSV("a\n\xef\xbb\xbf" "b\n",
	    "ROW 1 [a]\n"
	    "ROW 2 [\xef\xbb\xbf" "b]\n"
	    "EOF\n");
}

TEST(blank_lines)
{
	CHECK_CSV("a,b\n\n  \n1,2\n,,\n\"\",\n\n\n\n",
	    "ROW 1 [a|b]\n"
	    "ROW 4 [1|2]\n"
	    "EOF\n");
	CHECK_CSV("\n\na,b\r\n\r\n",
	    "ROW 3 [a|b]\n"
	    "EOF\n");
}

TEST(extra_columns)
{
	CHECK_CSV("a,b\n1,2,3,4\n5\n",
	    "ROW 1 [a|b]\n"
	    "ROW 2 [1|2|3|4]\n"
	    "ROW 3 [5]\n"
	    "EOF\n");
}

TEST(empty_and_header_only)
{
	CHECK_CSV("", "EOF\n");
	CHECK_CSV("\xef\xbb\xbf", "EOF\n");
	CHECK_CSV("item_id,on_hand\n", "ROW 1 [item_id|on_hand]\nEOF\n");
	CHECK_CSV("item_id,on_hand", "ROW 1 [item_id|on_hand]\nEOF\n");
}

TEST(unterminated_quote)
{
	CHECK_CSV("h1,h2\n"
	    "A,\"oops\n"
	    "B,2\n"
	    "C,3\n",
	    "ROW 1 [h1|h2]\n"
	    "BAD 2: unterminated quote: the row starting here runs to "
	    "the end of the file\n"
	    "ROW 3 [B|2]\n"
	    "ROW 4 [C|3]\n"
	    "EOF\n");
	/* On the last line, with no newline after it. */
	CHECK_CSV("h\nA,\"x",
	    "ROW 1 [h]\n"
	    "BAD 2: unterminated quote: the row starting here runs to "
	    "the end of the file\n"
	    "EOF\n");
	/*
	 * Two of them: the second is found while reading the first one's
	 * lines again, where rows are one line each.
	 */
	CHECK_CSV("h\n"
	    "A,\"x\n"
	    "B,1\n"
	    "\n"
	    "C,\"y\n"
	    "D,2\n",
	    "ROW 1 [h]\n"
	    "BAD 2: unterminated quote: the row starting here runs to "
	    "the end of the file\n"
	    "ROW 3 [B|1]\n"
	    "BAD 5: unterminated quote: a quote opened on this line is not "
	    "closed on it\n"
	    "ROW 6 [D|2]\n"
	    "EOF\n");
	/* The quote closes on a later line: one row, as CSV says. */
	CHECK_CSV("A,\"x\nB,1\nC,\"y\",2\nD,3\n",
	    "ROW 1 [A|x\\nB,1\\nC,\"y|2]\n"
	    "ROW 4 [D|3]\n"
	    "EOF\n");
}

TEST(quote_outgrows_row)
{
	char *got;

	/* max_row 20: the open row reaches 29 bytes on line 4. */
	got = transcript_n("h\nA,\"aaaa\nbbbbbbbbbb\ncccccccccc\nD,1\n", 0,
	    0, 20);
	CHECK_EQ_STR(got, "ROW 1 [h]\n"
	    "BAD 2: row longer than 20 bytes (a quote opened here may be "
	    "missing its closing quote)\n"
	    "ROW 3 [bbbbbbbbbb]\n"
	    "ROW 4 [cccccccccc]\n"
	    "ROW 5 [D|1]\n"
	    "EOF\n");
	free(got);
	/* A line too long on its own while a quote is open. */
	got = transcript_n("h\nA,\"x\nB,1\n0123456789012345678901234\nC,2\n",
	    0, 0, 20);
	CHECK_EQ_STR(got, "ROW 1 [h]\n"
	    "BAD 2: row longer than 20 bytes (a quote opened here may be "
	    "missing its closing quote)\n"
	    "ROW 3 [B|1]\n"
	    "BAD 4: row longer than 20 bytes\n"
	    "ROW 5 [C|2]\n"
	    "EOF\n");
	free(got);
}

TEST(stray_quotes_linear)
{
	struct buf in = { NULL, 0, 0 };
	struct csvin_row row;
	struct csvin *c;
	unsigned long i, bad = 0, rows = 0, next = 1, order = 0;
	FILE *fp;
	int r;

	/*
	 * Every line opens a quote that the next line keeps open. Each line
	 * must be reported once, in order, and in linear time (re-reading
	 * the swallowed lines as multi-line rows would take minutes).
	 */
	for (i = 0; i < 200000; i++)
		buf_adds(&in, "\"x\n");
	fp = mem_file(in.p, in.len);
	c = csvin_open(fp, 0, 0);
	while ((r = csvin_next(c, &row)) != CSVIN_EOF && r != CSVIN_IOERR) {
		if (r == CSVIN_ROW)
			rows++;
		else {
			bad++;
			if (csvin_bad_line(c) != next)
				order++;
			next = csvin_bad_line(c) + 1;
		}
	}
	CHECK_EQ_INT(r, CSVIN_EOF);
	CHECK_EQ_INT(rows, 0);
	CHECK_EQ_INT(bad, 200000);
	CHECK_EQ_INT(order, 0);
	csvin_close(c);
	fclose(fp);
	buf_free(&in);
}

TEST(megabyte_field)
{
	struct buf in = { NULL, 0, 0 };
	char *big = repeat('x', 1024 * 1024), *got;

	buf_addf(&in, "h1,h2\nA,%s\nB,2\nC,\"%s\"\nD,4\n", big, big);
	got = transcript(in.p);
	CHECK_EQ_STR(got, "ROW 1 [h1|h2]\n"
	    "BAD 2: row longer than 262144 bytes\n"
	    "ROW 3 [B|2]\n"
	    "BAD 4: row longer than 262144 bytes\n"
	    "ROW 5 [D|4]\n"
	    "EOF\n");
	free(got);
	free(big);
	buf_free(&in);
}

TEST(field_bound)
{
	struct buf in = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	char *f = repeat('y', CSVIN_MAX_FIELD), *got;

	/* Defaults: 65536 bytes pass, 65537 do not. */
	buf_addf(&in, "A,%s\nB,%sy\nC,\"%s\"\nD,1\n", f, f, f);
	buf_addf(&want, "ROW 1 [A|%s]\n"
	    "BAD 2: column 2: field longer than 65536 bytes\n"
	    "ROW 3 [C|%s]\n"
	    "ROW 4 [D|1]\n"
	    "EOF\n", f, f);
	got = transcript(in.p);
	CHECK_EQ_STR(got, want.p);
	free(got);
	free(f);

	/* Small limits: the row bound counts the bytes of the line. */
	got = transcript_n("0123456789abcdef,x\n"
	    "0123456789abcdefg,x\n"
	    "x,\"0123456789abcdef\"\n"
	    "\"012345678\n"
	    "abcdef\"\n"
	    "\"012345678\n"
	    "abcdefg\"\n"
	    "012345678901234567890123\n"
	    "0123456789012345678901234\n"
	    "z\n", 0, 16, 24);
	CHECK_EQ_STR(got, "ROW 1 [0123456789abcdef|x]\n"
	    "BAD 2: column 1: field longer than 16 bytes\n"
	    "ROW 3 [x|0123456789abcdef]\n"
	    "ROW 4 [012345678\\nabcdef]\n"
	    "BAD 6: column 1: field longer than 16 bytes\n"
	    "BAD 8: column 1: field longer than 16 bytes\n"
	    "BAD 9: row longer than 24 bytes\n"
	    "ROW 10 [z]\n"
	    "EOF\n");
	free(got);

	/* A long field on the first line of a row that goes on. */
	got = transcript_n("0123456789abcdefg,\"x\ny\"\nz\n", 0, 16, 24);
	CHECK_EQ_STR(got, "BAD 1: column 1: field longer than 16 bytes\n"
	    "ROW 3 [z]\n"
	    "EOF\n");
	free(got);
	buf_free(&in);
	buf_free(&want);
}

TEST(bad_bytes)
{
	CHECK_CSV("h\nA,caf\xe9\nB,ok\n",
	    "ROW 1 [h]\n"
	    "BAD 2: column 2: not valid UTF-8 (save the sheet as "
	    "\"CSV UTF-8\")\n"
	    "ROW 3 [B|ok]\n"
	    "EOF\n");
	CHECK_CSV("h\nA,caf\xc3\xa9,\"\xc0\xaf\"\nB,ok\n",
	    "ROW 1 [h]\n"
	    "BAD 2: column 3: not valid UTF-8 (save the sheet as "
	    "\"CSV UTF-8\")\n"
	    "ROW 3 [B|ok]\n"
	    "EOF\n");
}

TEST(nul_byte)
{
	char *got = transcript_n("h\nA,a\0b\nB,1\n", 12, 0, 0);

	CHECK_EQ_STR(got, "ROW 1 [h]\n"
	    "BAD 2: column 2: contains a NUL byte (is the file UTF-16? "
	    "save it as \"CSV UTF-8\")\n"
	    "ROW 3 [B|1]\n"
	    "EOF\n");
	free(got);
}

/*
 * Lines are checked once, eight bytes at a time, and per field only when
 * the line is not clean: a NUL, a high byte or a quote at every place in
 * a word and in the tail, and rows over several lines, clean or not.
 */
TEST(line_checks_at_every_offset)
{
	static const char *const bad[] = { "\0", "\xff", "\xc3" };
	struct buf in = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	char *got;
	size_t k, at;

	for (k = 0; k < 3; k++)
		for (at = 0; at < 20; at++) {
			buf_reset(&in);
			buf_reset(&want);
			buf_add(&in, "h\n", 2);
			buf_add(&in, "abcdefghijklmnopqrstu", at);
			buf_add(&in, bad[k], 1);
			buf_add(&in, ",x\nB,\"q\"\n", 9);
			buf_addf(&want, "ROW 1 [h]\nBAD 2: column 1: %s\n"
			    "ROW 3 [B|q]\nEOF\n", k == 0 ? "contains a NUL "
			    "byte (is the file UTF-16? save it as \"CSV "
			    "UTF-8\")" : "not valid UTF-8 (save the sheet as "
			    "\"CSV UTF-8\")");
			got = transcript_n(in.p, in.len, 0, 0);
			CHECK_EQ_STR(got, want.p);
			free(got);
		}
	/* a quoted field over two lines: bad bytes on its second line */
	got = transcript_n("h\n\"ok\nb\xff\",x\nC\n", 0, 0, 0);
	CHECK_EQ_STR(got, "ROW 1 [h]\nBAD 2: column 1: not valid UTF-8 (save "
	    "the sheet as \"CSV UTF-8\")\nROW 4 [C]\nEOF\n");
	free(got);
	/* ... and on its first line */
	got = transcript_n("h\n\"o\xff\nb\",x\nC\n", 0, 0, 0);
	CHECK_EQ_STR(got, "ROW 1 [h]\nBAD 2: column 1: not valid UTF-8 (save "
	    "the sheet as \"CSV UTF-8\")\nROW 4 [C]\nEOF\n");
	free(got);
	/* clean multi-byte text on both lines stays */
	got = transcript_n("h\n\"caf\xc3\xa9\n\xe2\x82\xac\",x\n", 0, 0, 0);
	CHECK_EQ_STR(got, "ROW 1 [h]\nROW 2 [caf\xc3\xa9\\n\xe2\x82\xac|x]\n"
	    "EOF\n");
	free(got);
	buf_free(&in);
	buf_free(&want);
}

TEST(too_many_columns)
{
	struct buf in = { NULL, 0, 0 };
	char *commas = repeat(',', CSVIN_MAX_FIELDS), *got;

	buf_addf(&in, "a%s\nb%s\nc\n", commas + 1, commas);
	got = transcript(in.p);
	CHECK(got != NULL && strncmp(got, "ROW 1 [a|||", 11) == 0);
	CHECK(got != NULL && strstr(got, "]\nBAD 2: more than 512 columns\n"
	    "ROW 3 [c]\nEOF\n") != NULL);
	free(got);
	free(commas);
	buf_free(&in);
}

TEST(many_rows)
{
	struct buf in = { NULL, 0, 0 };
	struct csvin_row row;
	struct csvin *c;
	unsigned long i, rows = 0, badlines = 0;
	FILE *fp;
	char want[64];
	int r;

	buf_adds(&in, "item_id,name,on_hand\n");
	for (i = 2; i <= 100000; i++)
		buf_addf(&in, "SKU-%lu,\"Item %lu, blue\",%lu\r\n", i, i,
		    i % 97);
	fp = mem_file(in.p, in.len);
	CHECK(fp != NULL);
	c = csvin_open(fp, 0, 0);
	CHECK(c != NULL);
	while ((r = csvin_next(c, &row)) == CSVIN_ROW) {
		rows++;
		if (row.line == 1)
			continue;
		snprintf(want, sizeof(want), "SKU-%lu", row.line);
		if (row.n != 3 || strcmp(row.field[0], want) != 0)
			badlines++;
	}
	CHECK_EQ_INT(r, CSVIN_EOF);
	CHECK_EQ_INT(rows, 100000);
	CHECK_EQ_INT(badlines, 0);
	csvin_close(c);
	fclose(fp);
	buf_free(&in);
}

TEST(read_error)
{
	struct csvin_row row;
	struct csvin *c;
	FILE *fp;

	/* Reading a write-only stream fails. */
	fp = fopen("/dev/null", "w");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	c = csvin_open(fp, 0, 0);
	CHECK_EQ_INT(csvin_next(c, &row), CSVIN_IOERR);
	CHECK(strncmp(csvin_error(c), "read error: ", 12) == 0);
	csvin_close(c);
	fclose(fp);
}

TEST(normalize)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "item_id", "item_id" },
		{ "Item ID", "item_id" },
		{ "  On-Hand ", "on_hand" },
		{ "LEAD_TIME-DAYS", "lead_time_days" },
		{ "lead  time", "lead_time" },
		{ "lead - time", "lead_time" },
		{ "\tSKU\t", "sku" },
		{ "unit cost\r\n", "unit_cost" },
		{ "Caf\xc3\x89", "caf\xc3\x89" },
		{ "", "" },
		{ "   ", "" },
	};
	char dst[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		csvin_normalize(t[i].in, dst, sizeof(dst));
		CHECK_EQ_STR(dst, t[i].out);
	}
	/* Too long for dst: "", never a prefix that could match. */
	csvin_normalize("on_hand_yesterday", dst, 8);
	CHECK_EQ_STR(dst, "");
	csvin_normalize("on_hand", dst, 8);
	CHECK_EQ_STR(dst, "on_hand");
}

TEST(utf8)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "plain", 1 },
		{ "caf\xc3\xa9", 1 },			/* U+00E9 */
		{ "\xe2\x82\xac", 1 },			/* U+20AC */
		{ "\xf0\x9f\x93\xa6", 1 },		/* U+1F4E6 */
		{ "\xf4\x8f\xbf\xbf", 1 },		/* U+10FFFF */
		{ "\xed\x9f\xbf", 1 },			/* U+D7FF */
		{ "\xee\x80\x80", 1 },			/* U+E000 */
		{ "caf\xe9", 0 },			/* Latin-1 */
		{ "\xc0\xaf", 0 },			/* overlong '/' */
		{ "\xc1\xbf", 0 },			/* overlong */
		{ "\xe0\x80\xaf", 0 },			/* overlong */
		{ "\xe0\x9f\xbf", 0 },			/* overlong */
		{ "\xf0\x80\x80\xaf", 0 },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", 0 },		/* overlong */
		{ "\xed\xa0\x80", 0 },			/* U+D800 */
		{ "\xed\xbf\xbf", 0 },			/* U+DFFF */
		{ "\xf4\x90\x80\x80", 0 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 },
		{ "\x80", 0 },				/* lone continuation */
		{ "\xc3", 0 },				/* truncated */
		{ "\xe2\x82", 0 },			/* truncated */
		{ "\xe2\x28\xac", 0 },			/* bad continuation */
		{ "\xf0\x9f\x93", 0 },			/* truncated */
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (utf8_valid(t[i].s, strlen(t[i].s)) != t[i].ok) {
			fprintf(stderr, "utf8 case %zu\n", i);
			CHECK(0);
		}
	CHECK(utf8_valid(NULL, 0));
	CHECK(utf8_valid("a\0b", 3));
}

int
main(void)
{
	RUN(quoted_fields_and_lines);
	RUN(lenient_quotes_and_spaces);
	RUN(crlf_and_cr);
	RUN(crlf_across_chunks);
	RUN(bom);
	RUN(blank_lines);
	RUN(extra_columns);
	RUN(empty_and_header_only);
	RUN(unterminated_quote);
	RUN(quote_outgrows_row);
	RUN(stray_quotes_linear);
	RUN(megabyte_field);
	RUN(field_bound);
	RUN(bad_bytes);
	RUN(nul_byte);
	RUN(too_many_columns);
	RUN(many_rows);
	RUN(read_error);
	RUN(normalize);
	RUN(utf8);
	RUN(line_checks_at_every_offset);
	return unit_summary();
}
