/* The record scanner and writer, checked against jansson. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dec.h"
#include "ndjson.h"
#include "unit.h"

static struct rec r;

/* Our verdict must match jansson's for objects. */
static int
agree(const char *s)
{
	json_error_t e;
	json_t *j = json_loadb(s, strlen(s), JSON_REJECT_DUPLICATES, &e);
	int ours = rec_parse(&r, s, strlen(s)) == 0;
	int theirs = j != NULL && json_is_object(j);

	json_decref(j);
	if (ours != theirs)
		fprintf(stderr, "disagree on %s: ours %d jansson %d\n", s, ours,
		    theirs);
	return ours == theirs;
}

TEST(validation_matches_jansson)
{
	static const char *cases[] = {
		"{}", "{\"a\":1}", "{\"a\":1,}", "{\"a\" 1}", "[1]", "1",
		"{\"a\":\"\\u00e9\"}", "{\"a\":\"\\ud83d\\ude00\"}",
		"{\"a\":\"\\ud83d\"}", "{\"a\":01}", "{\"a\":-0.5e+3}",
		"{\"a\":1.}", "{\"a\":tru}", "{\"a\":null,\"b\":[true,false]}",
		"{\"a\":1,\"a\":2}", "{\"a\":\"x\ty\"}", "{\"a\":{\"b\":[]}}",
		"{\"a\":1} x", "  {\"a\" : 1 }  ", "{\"a\":\"\xc3\xa9\"}",
		"{\"a\":\"\xff\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":-}",
		"{\"a\":\"\\x\"}", "{1:2}", "{\"a\":[1,2,]}",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(agree(cases[i]));
}

TEST(depth_limit)
{
	struct buf b = { 0 };
	int i;

	buf_adds(&b, "{\"a\":");
	for (i = 0; i < NDJSON_MAX_DEPTH - 1; i++)
		buf_addc(&b, '[');
	for (i = 0; i < NDJSON_MAX_DEPTH - 1; i++)
		buf_addc(&b, ']');
	buf_addc(&b, '}');
	CHECK(rec_parse(&r, b.p, b.len) == 0);
	buf_reset(&b);
	buf_adds(&b, "{\"a\":");
	for (i = 0; i < NDJSON_MAX_DEPTH; i++)
		buf_addc(&b, '[');
	for (i = 0; i < NDJSON_MAX_DEPTH; i++)
		buf_addc(&b, ']');
	buf_addc(&b, '}');
	CHECK(rec_parse(&r, b.p, b.len) == -1);
	CHECK(strstr(r.err, "nested") != NULL);
	buf_free(&b);
}

TEST(getters)
{
	const char *s = "{\"type\":\"item\",\"item_id\":\"A\\\"1\",\"on_hand\":-4,"
	    "\"rate\":0.28,\"s\":\"12\",\"n\":null,\"f\":1.5,\"x\":{\"y\":1}}";
	char buf[64];
	long long v;
	int64_t d;

	CHECK(rec_parse(&r, s, strlen(s)) == 0);
	CHECK(rec_is(&r, "item"));
	CHECK(!rec_is(&r, "move"));
	CHECK_EQ_INT(rec_str(&r, "item_id", buf, sizeof(buf)), 3);
	CHECK_EQ_STR(buf, "A\"1");
	CHECK(rec_int(&r, "on_hand", &v) == 0 && v == -4);
	CHECK(rec_dec(&r, "rate", &d) == 0 && d == 280000000);
	CHECK(rec_int(&r, "s", &v) == 0 && v == 12);
	CHECK_EQ_INT(rec_int(&r, "n", &v), -1);
	CHECK_EQ_INT(rec_int(&r, "missing", &v), -1);
	CHECK_EQ_INT(rec_int(&r, "f", &v), -2);
	CHECK_EQ_INT(rec_str(&r, "on_hand", buf, sizeof(buf)), -2);
	CHECK_EQ_INT(rec_str(&r, "item_id", buf, 2), -3);
}

TEST(get_many)
{
	struct rec_key keys[] = { REC_KEY("type"), REC_KEY("item_id"),
	    REC_KEY("rate"), REC_KEY("missing"), REC_KEY("") };
	const struct rec_field *v[5];
	const char *a = "{\"type\":\"item\",\"item_id\":\"A1\",\"rate\":2}";
	/* another layout, an escaped key and an empty one */
	const char *b = "{\"\":0,\"r\\u0061te\":\"1.5\",\"item_id\":\"B\","
	    "\"type\":\"it\\u0065m\",\"ratf\":1}";
	char buf[16];
	long long n;
	int64_t d;

	CHECK(rec_parse(&r, a, strlen(a)) == 0);
	rec_get_many(&r, keys, 5, v);
	CHECK(v[0] == &r.f[0] && v[1] == &r.f[1] && v[2] == &r.f[2]);
	CHECK(v[3] == NULL && v[4] == NULL);
	CHECK(rec_field_is(v[0], "item") && !rec_field_is(v[0], "ite"));
	CHECK_EQ_INT(rec_field_str(v[1], buf, sizeof(buf)), 2);
	CHECK_EQ_STR(buf, "A1");
	CHECK(rec_field_int(v[2], &n) == 0 && n == 2);
	CHECK_EQ_INT(rec_field_int(v[3], &n), -1);
	CHECK_EQ_INT(rec_field_str(v[2], buf, sizeof(buf)), -2);
	CHECK_EQ_INT(keys[2].hint, 2);
	/* the hints from a point to the wrong members of b */
	CHECK(rec_parse(&r, b, strlen(b)) == 0);
	rec_get_many(&r, keys, 5, v);
	CHECK(v[0] == &r.f[3] && v[1] == &r.f[2] && v[2] == &r.f[1]);
	CHECK(v[3] == NULL && v[4] == &r.f[0]);
	CHECK(rec_field_is(v[0], "item"));
	CHECK(rec_field_dec(v[2], &d) == 0 && d == 1500000000);
	/* and again, from the hints b left */
	rec_get_many(&r, keys, 5, v);
	CHECK(v[0] == &r.f[3] && v[2] == &r.f[1] && v[4] == &r.f[0]);
	CHECK(rec_get(&r, "rate") == &r.f[1] && rec_get(&r, "ratf") ==
	    &r.f[4] && rec_get(&r, "rat") == NULL);
}

/* Strings longer than the 16 and 8 bytes scanned at once, ends anywhere. */
TEST(long_strings)
{
	static const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
	struct buf b = { 0 };
	char out[64];
	const char *s;
	size_t n, i;

	for (n = 0; n < 40; n++) {
		for (i = 0; i < 4; i++) {
			buf_reset(&b);
			buf_adds(&b, "{\"k\":\"");
			buf_add(&b, text, n);
			s = i == 0 ? "" : i == 1 ? "\\n" : i == 2 ? "\xc3\xa9" :
			    "\x01";
			buf_adds(&b, s);
			buf_adds(&b, "\"}");
			if (i == 3) {
				CHECK(rec_parse(&r, b.p, b.len) == -1);
				continue;
			}
			CHECK(rec_parse(&r, b.p, b.len) == 0);
			CHECK_EQ_INT(rec_str(&r, "k", out, sizeof(out)),
			    (int)n + (i == 0 ? 0 : i == 1 ? 1 : 2));
			CHECK(memcmp(out, text, n) == 0);
			/* the line cut inside the string */
			CHECK(rec_parse(&r, b.p, b.len - 2) == -1);
		}
	}
	buf_free(&b);
}

TEST(writer_round_trip)
{
	const char *s = "{\"type\":\"item\",\"item_id\":\"A\",\"name\":\"Caf\xc3\xa9 \\\"x\\\"\","
	    "\"on_hand\":3,\"point\":9}";
	static const char *const skip[] = { "point", NULL };
	struct buf b = { 0 };
	json_t *j;
	json_error_t e;

	CHECK(rec_parse(&r, s, strlen(s)) == 0);
	recw_begin(&b, "move");
	recw_copy(&b, &r, skip);
	recw_int(&b, "point", 18);
	recw_str(&b, "reason", "tab\there \"q\" \x01");
	recw_dec(&b, "rate", 2500000000LL);
	recw_end(&b);
	j = json_loadb(b.p, b.len - 1, JSON_REJECT_DUPLICATES, &e);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_EQ_STR(json_string_value(json_object_get(j, "type")),
		    "move");
		CHECK_EQ_STR(json_string_value(json_object_get(j, "name")),
		    "Caf\xc3\xa9 \"x\"");
		CHECK_EQ_INT(json_integer_value(json_object_get(j, "point")),
		    18);
		CHECK_EQ_STR(json_string_value(json_object_get(j, "reason")),
		    "tab\there \"q\" \x01");
		CHECK(json_real_value(json_object_get(j, "rate")) == 2.5);
		json_decref(j);
	}
	CHECK(b.p[b.len - 1] == '\n');
	buf_free(&b);
}

TEST(reader_lines)
{
	static const char in[] = "{\"a\":1}\r\n\n   \n{\"b\":2}\nxxxxxxxxxxxxxxxxxxxx\n{\"c\":3}";
	FILE *fp = fmemopen((void *)in, sizeof(in) - 1, "r");
	struct ndjson_reader *rd = ndjson_open(fp, 16);
	const char *line;
	size_t len;
	unsigned long no;

	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_OK);
	CHECK(len == 7 && memcmp(line, "{\"a\":1}", 7) == 0 && no == 1);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_OK);
	CHECK(no == 4);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_TOOLONG);
	CHECK(no == 5);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_OK);
	CHECK(no == 6 && len == 7);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_EOF);
	ndjson_close(rd);
	fclose(fp);
}

TEST(reader_long_line_streams_past)
{
	/* a 300 kB line with a 1 kB limit: skipped without holding it */
	size_t n = 300000, i;
	char *in = malloc(n + 20);
	FILE *fp;
	struct ndjson_reader *rd;
	const char *line;
	size_t len;
	unsigned long no;

	for (i = 0; i < n; i++)
		in[i] = 'x';
	memcpy(in + n, "\n{\"ok\":1}\n", 10);
	fp = fmemopen(in, n + 10, "r");
	rd = ndjson_open(fp, 1024);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_TOOLONG);
	CHECK_EQ_INT(no, 1);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_OK);
	CHECK_EQ_INT(no, 2);
	CHECK_EQ_INT(ndjson_next(rd, &line, &len, &no), NDJSON_EOF);
	ndjson_close(rd);
	fclose(fp);
	free(in);
}

int
main(void)
{
	RUN(validation_matches_jansson);
	RUN(depth_limit);
	RUN(getters);
	RUN(get_many);
	RUN(long_strings);
	RUN(writer_round_trip);
	RUN(reader_lines);
	RUN(reader_long_line_streams_past);
	return unit_summary();
}
