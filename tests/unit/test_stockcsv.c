/*
 * test_stockcsv: the on_hand cells ir-flush rewrites, and every other
 * byte of the owner's sheet kept: quotes, line ends, a BOM, blank rows,
 * columns stockcsv does not know. Row numbers are those of a Google
 * Sheet exported as CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stockcsv.h"
#include "unit.h"

/* What the callback saw, and what it replaces: item=value pairs. */
struct seen {
	const char *set[8][2];
	char	 rows[1024];
	int	 n, stop_at;
};

static int
cb(void *ctx, const struct stockcsv_row *r, char *repl, size_t replsz)
{
	struct seen *s = ctx;
	size_t len = strlen(s->rows);
	int i;

	snprintf(s->rows + len, sizeof(s->rows) - len, "%lu/%lu:%s=%s;",
	    r->row, r->line, r->item_id, r->on_hand);
	if (++s->n == s->stop_at)
		return -1;
	for (i = 0; i < 8 && s->set[i][0] != NULL; i++)
		if (strcmp(s->set[i][0], r->item_id) == 0) {
			snprintf(repl, replsz, "%s", s->set[i][1]);
			return 1;
		}
	return 0;
}

/*
 * Runs stockcsv_rewrite on text; *out (malloc'd, caller frees) is the
 * copy. Returns its result.
 */
static int
run(const char *text, struct seen *s, struct stockcsv_info *info,
    char **out, char *err, size_t errsz)
{
	FILE *in, *o;
	size_t len;
	int rc;

	*out = NULL;
	in = fmemopen((void *)text, strlen(text), "r");
	o = open_memstream(out, &len);
	if (in == NULL || o == NULL)
		return -2;
	rc = stockcsv_rewrite(in, o, cb, s, info, err, errsz);
	fclose(in);
	fclose(o);
	return rc;
}

TEST(test_rewrites_only_on_hand)
{
	static const char in[] =
	    "\xef\xbb\xbfItem ID,Name,On Hand,Notes\r\n"
	    "A,\"Cups, 8oz\",10,\"say \"\"hi\"\"\"\r\n"
	    "B,Lids, 7 ,\"two\r\nlines\"\r\n"
	    "\r\n"
	    "C,Straws,\"3\",\r\n"
	    "D,Spoons,-2,x";
	static const char want[] =
	    "\xef\xbb\xbfItem ID,Name,On Hand,Notes\r\n"
	    "A,\"Cups, 8oz\",10,\"say \"\"hi\"\"\"\r\n"
	    "B,Lids,4,\"two\r\nlines\"\r\n"
	    "\r\n"
	    "C,Straws,12,\r\n"
	    "D,Spoons,-5,x";
	struct stockcsv_info info;
	struct seen s;
	char err[256], *out;

	memset(&s, 0, sizeof(s));
	s.set[0][0] = "B";
	s.set[0][1] = "4";
	s.set[1][0] = "C";
	s.set[1][1] = "12";
	s.set[2][0] = "D";
	s.set[2][1] = "-5";
	CHECK_EQ_INT(run(in, &s, &info, &out, err, sizeof(err)), 0);
	CHECK_EQ_STR(out, want);
	free(out);
	CHECK_EQ_INT(info.item_col, 0);
	CHECK_EQ_INT(info.on_hand_col, 2);
	CHECK_EQ_INT(info.header_row, 1);
	CHECK_EQ_INT(info.rows, 6);
	/* Records and their first lines: B spans two lines. */
	CHECK_EQ_STR(s.rows, "2/2:A=10;3/3:B=7;4/5:=;5/6:C=3;6/7:D=-2;");
}

TEST(test_row_numbers_and_line_ends)
{
	static const char in[] =
	    ",,\n"
	    "sku,on-hand\n"
	    "X,1\r"
	    "Y,2\n"
	    ",\n"
	    "Z,3\n";
	struct stockcsv_info info;
	struct seen s;
	char err[256], *out;

	memset(&s, 0, sizeof(s));
	s.set[0][0] = "Z";
	s.set[0][1] = "30";
	CHECK_EQ_INT(run(in, &s, &info, &out, err, sizeof(err)), 0);
	CHECK_EQ_STR(out, ",,\nsku,on-hand\nX,1\rY,2\n,\nZ,30\n");
	free(out);
	/* The blank record before the header counts: sheet row 2 is it. */
	CHECK_EQ_INT(info.header_row, 2);
	CHECK_EQ_STR(s.rows, "3/3:X=1;4/4:Y=2;5/5:=;6/6:Z=3;");
}

TEST(test_bad_sheets)
{
	struct stockcsv_info info;
	struct seen s;
	char err[256], *out;

	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(run("item_id,name\nA,x\n", &s, &info, &out, err,
	    sizeof(err)), -1);
	CHECK_EQ_STR(err, "line 1: the header has no on_hand column");
	free(out);
	CHECK_EQ_INT(run("name,on_hand\nx,1\n", &s, &info, &out, err,
	    sizeof(err)), -1);
	CHECK_EQ_STR(err, "line 1: the header has no item_id (or sku) "
	    "column");
	free(out);
	CHECK_EQ_INT(run("item_id,on_hand\nA,\"1\nB,2\n", &s, &info, &out, err,
	    sizeof(err)), -1);
	CHECK_EQ_STR(err, "line 2: a quoted field is not closed");
	free(out);
	CHECK_EQ_INT(run("", &s, &info, &out, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "the sheet is empty: no header row");
	free(out);
	/* The callback stops it. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK_EQ_INT(run("item_id,on_hand\nA,1\nB,2\nC,3\n", &s, &info, &out,
	    err, sizeof(err)), -1);
	CHECK_EQ_INT(s.n, 2);
	free(out);
	/* A row cut short cannot take a value. */
	memset(&s, 0, sizeof(s));
	s.set[0][0] = "A";
	s.set[0][1] = "5";
	CHECK_EQ_INT(run("item_id,name,on_hand\nA\n", &s, &info, &out, err,
	    sizeof(err)), -1);
	CHECK_EQ_STR(err, "line 2: the row ends before its on_hand column");
	free(out);
}

TEST(test_scan_only)
{
	struct stockcsv_info info;
	struct seen s;
	char err[256];
	FILE *in;

	memset(&s, 0, sizeof(s));
	in = fmemopen("item_id,on_hand\nA,1\n", 20, "r");
	CHECK(in != NULL);
	if (in == NULL)
		return;
	CHECK_EQ_INT(stockcsv_rewrite(in, NULL, cb, &s, &info, err,
	    sizeof(err)), 0);
	fclose(in);
	CHECK_EQ_STR(s.rows, "2/2:A=1;");
}

TEST(test_col_names)
{
	char b[8];

	stockcsv_col_name(0, b, sizeof(b));
	CHECK_EQ_STR(b, "A");
	stockcsv_col_name(2, b, sizeof(b));
	CHECK_EQ_STR(b, "C");
	stockcsv_col_name(25, b, sizeof(b));
	CHECK_EQ_STR(b, "Z");
	stockcsv_col_name(26, b, sizeof(b));
	CHECK_EQ_STR(b, "AA");
	stockcsv_col_name(701, b, sizeof(b));
	CHECK_EQ_STR(b, "ZZ");
	stockcsv_col_name(702, b, sizeof(b));
	CHECK_EQ_STR(b, "AAA");
}

int
main(void)
{
	RUN(test_rewrites_only_on_hand);
	RUN(test_row_numbers_and_line_ends);
	RUN(test_bad_sheets);
	RUN(test_scan_only);
	RUN(test_col_names);
	return unit_summary();
}
