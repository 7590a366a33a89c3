/* The ten worked examples of rules.md, and the decimal arithmetic. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dec.h"
#include "reorder.h"
#include "unit.h"

static const struct {
	long long on_hand; const char *rate; long long lead, buffer;
	int has_override; long long override, pack, min; int has_cap;
	long long cap, point; int move; long long qty; unsigned flags;
} ex[] = {
	{ 10, "2", 7, 4, 0, 0, 12, 48, 0, 0, 18, MOVE_REORDER, 48, 0 },
	{ 3, "2", 7, 4, 0, 0, 12, 0, 0, 0, 18, MOVE_URGENT, 48, 0 },
	{ 22, "2", 7, 4, 0, 0, 12, 0, 0, 0, 18, MOVE_WATCH, -1, 0 },
	{ 23, "2", 7, 4, 0, 0, 12, 0, 0, 0, 18, MOVE_STOCKED, -1, 0 },
	{ 0, "0", 7, 0, 0, 0, 1, 0, 0, 0, 0, MOVE_STOCKED, -1, 0 },
	{ 5, "0", 7, 0, 1, 6, 1, 0, 0, 0, 6, MOVE_REORDER, 1, 0 },
	{ 10, "2.5", 5, 0, 0, 0, 10, 0, 1, 35, 13, MOVE_REORDER, 30,
	    QTY_CAPPED },
	{ 1, "1", 3, 1, 0, 0, 24, 30, 1, 20, 4, MOVE_URGENT, 20,
	    QTY_CAPPED | QTY_CAP_BREAKS_PACK | QTY_BELOW_MIN },
	{ -4, "0.3", 10, 2, 0, 0, 6, 0, 0, 0, 5, MOVE_URGENT, 18, 0 },
	{ 7, "0.28", 25, 0, 0, 0, 1, 0, 0, 0, 7, MOVE_REORDER, 4, 0 },
};

TEST(worked_examples)
{
	size_t i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct reorder_item it;
		struct reorder_qty q;
		long long point;

		memset(&it, 0, sizeof(it));
		it.on_hand = ex[i].on_hand;
		CHECK(dec_parse(ex[i].rate, strlen(ex[i].rate), &it.rate) == 0);
		it.lead = ex[i].lead;
		it.buffer = ex[i].buffer;
		it.has_override = ex[i].has_override;
		it.point_override = ex[i].override;
		it.pack = ex[i].pack;
		it.min_order = ex[i].min;
		it.has_cap = ex[i].has_cap;
		it.cap = ex[i].cap;
		point = reorder_point(&it);
		CHECK_EQ_INT(point, ex[i].point);
		CHECK_EQ_INT(reorder_move(&it, point, DEC_SCALE / 4, 0, 0),
		    ex[i].move);
		if (ex[i].qty < 0)
			continue;
		reorder_qty(&it, point, 14, &q);
		CHECK_EQ_INT(q.qty, ex[i].qty);
		CHECK_EQ_INT(q.flags, ex[i].flags);
	}
}

TEST(move_precedence)
{
	struct reorder_item it = { 0 };

	it.on_hand = 0;
	it.rate = DEC_SCALE;
	it.lead = 7;
	CHECK_EQ_INT(reorder_move(&it, 7, DEC_SCALE / 4, 1, 1), MOVE_ON_ORDER);
	CHECK_EQ_INT(reorder_move(&it, 7, DEC_SCALE / 4, 0, 1), MOVE_SNOOZED);
	CHECK_EQ_INT(reorder_move(&it, 0, DEC_SCALE / 4, 0, 0), MOVE_STOCKED);
}

TEST(explain_line)
{
	struct reorder_item it = { 0 };
	struct reorder_qty q;
	struct buf b = { 0 };

	it.on_hand = 10;
	it.rate = 2 * DEC_SCALE;
	it.lead = 7;
	it.buffer = 4;
	it.pack = 12;
	it.min_order = 48;
	reorder_qty(&it, 18, 14, &q);
	reorder_explain(&b, &it, 18, 14, &q);
	CHECK_EQ_STR(b.p, "target 46 = point 18 + 14 days' cover 28; need 36; "
	    "packs of 12: 36; supplier minimum 48: 48");
	buf_free(&b);
}

TEST(decimals)
{
	int64_t v;
	struct buf b = { 0 };

	CHECK(dec_parse("0.28", 4, &v) == 0 && v == 280000000);
	CHECK(dec_parse("-4", 2, &v) == 0 && v == -4 * DEC_SCALE);
	CHECK(dec_parse("2.5e1", 5, &v) == 0 && v == 25 * DEC_SCALE);
	CHECK(dec_parse("1e-10", 5, &v) == 0 && v == 0);
	CHECK(dec_parse("0.0000000005", 12, &v) == 0 && v == 1);
	CHECK(dec_parse("abc", 3, &v) == -1);
	CHECK(dec_parse("", 0, &v) == -1);
	CHECK(dec_parse("1.", 2, &v) == 0 && v == DEC_SCALE);
	CHECK(dec_parse("99999999999", 11, &v) == -1);
	CHECK_EQ_INT(dec_ceil_mul(280000000, 25), 7);
	CHECK_EQ_INT(dec_ceil_mul(300000000, 14), 5);
	CHECK_EQ_INT(dec_ceil_mul(2500000000LL, 14), 35);
	dec_format(&b, 2500000000LL);
	CHECK_EQ_STR(b.p, "2.5");
	buf_reset(&b);
	dec_format(&b, -280000000);
	CHECK_EQ_STR(b.p, "-0.28");
	buf_free(&b);
}

/* Whole numbers, two digits at a time: every length and both ends. */
TEST(format_int)
{
	static const long long v[] = { 0, 7, 9, 10, 42, 99, 100, 101, 999,
	    1000, 12345, 100000, 9999999, -1, -9, -10, -100, -12345,
	    LLONG_MAX, LLONG_MIN };
	struct buf b = { NULL, 0, 0 };
	char want[32];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		dec_format_int(&b, v[i]);
		snprintf(want, sizeof(want), "%lld", v[i]);
		CHECK_EQ_STR(b.p, want);
	}
	buf_free(&b);
}

/* The plain fast path of dec_parse and dec_parse_int, at its edges. */
TEST(decimal_fast_paths)
{
	int64_t v;
	long long n;

	CHECK(dec_parse("999999999.999999999", 19, &v) == 0 &&
	    v == 999999999999999999LL);
	/* ten integer digits, ten fractional: the general way, same values */
	CHECK(dec_parse("1234567890", 10, &v) == 0 &&
	    v == 1234567890LL * DEC_SCALE);
	CHECK(dec_parse("0.0000000015", 12, &v) == 0 && v == 2);
	CHECK(dec_parse("0.0000000014", 12, &v) == 0 && v == 1);
	CHECK(dec_parse("-0.5", 4, &v) == 0 && v == -500000000);
	CHECK(dec_parse("+7", 2, &v) == 0 && v == 7 * DEC_SCALE);
	CHECK(dec_parse("-0", 2, &v) == 0 && v == 0);
	CHECK(dec_parse(".5", 2, &v) == 0 && v == 500000000);
	CHECK(dec_parse("5.5.", 4, &v) == -1);
	CHECK(dec_parse("-", 1, &v) == -1);
	CHECK(dec_parse("9223372036854775808", 19, &v) == -1);
	CHECK(dec_parse("1x", 2, &v) == -1);
	CHECK(dec_parse_int("999999999999999999", 18, &n) == 0 &&
	    n == 999999999999999999LL);
	CHECK(dec_parse_int("-9223372036854775808", 20, &n) == 0 &&
	    n == INT64_MIN);
	CHECK(dec_parse_int("9223372036854775808", 19, &n) == -1);
	CHECK(dec_parse_int("12a", 3, &n) == -1);
	CHECK(dec_parse_int("-", 1, &n) == -1);
	/* in 64 bits and past them, negative products rounding up to 0 */
	CHECK_EQ_INT(dec_ceil_mul(-500000000, 1), 0);
	CHECK_EQ_INT(dec_ceil_mul(-1500000000, 1), -1);
	CHECK_EQ_INT(dec_ceil_mul(INT64_MAX, 2), 18446744074LL);
	CHECK_EQ_INT(dec_ceil_mul(INT64_MAX, -2), -18446744073LL);
}

int
main(void)
{
	RUN(worked_examples);
	RUN(move_precedence);
	RUN(explain_line);
	RUN(decimals);
	RUN(decimal_fast_paths);
	RUN(format_int);
	return unit_summary();
}
