/* clock: parsing, dates, quiet hours across midnight and DST. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "unit.h"

static time_t
at(const char *s)
{
	time_t t = 0;

	if (clock_parse(s, &t) != 0)
		fprintf(stderr, "cannot parse %s\n", s);
	return t;
}

static const char *
fmt(time_t t)
{
	static char out[CLOCK_TIME_LEN];

	clock_rfc3339(t, out);
	return out;
}

TEST(parse_and_format)
{
	char err[256], d[CLOCK_DATE_LEN];

	CHECK(clock_init(NULL, "Asia/Singapore", err, sizeof(err)) == 0);
	CHECK_EQ_INT(at("2026-12-04T01:00:00Z"), 1796346000);
	CHECK_EQ_STR(fmt(at("2026-12-04T01:00:00Z")),
	    "2026-12-04T09:00:00+08:00");
	CHECK_EQ_INT(at("2026-12-04T09:00:00+08:00"), 1796346000);
	CHECK_EQ_INT(at("2026-12-04T09:00"), 1796346000);	/* local */
	CHECK_EQ_INT(at("@1796346000"), 1796346000);
	CHECK_EQ_INT(at("2026-12-04T01:00:00.250Z"), 1796346000);
	{
		time_t t;

		CHECK(clock_parse("2026-13-01", &t) == -1);
		CHECK(clock_parse("yesterday", &t) == -1);
		CHECK(clock_parse("2026-12-04T25:00", &t) == -1);
		CHECK(clock_parse("2026-12-04T09:00:00+0800", &t) == -1);
	}
	clock_date(at("2026-12-04T17:00:00Z"), d);
	CHECK_EQ_STR(d, "2026-12-05");
	CHECK(clock_add_days("2026-12-28", 7, d) == 0);
	CHECK_EQ_STR(d, "2027-01-04");
	CHECK(clock_add_days("2028-02-28", 1, d) == 0);
	CHECK_EQ_STR(d, "2028-02-29");
	CHECK(!clock_valid_date("2026-02-30"));
	CHECK(clock_valid_date("2028-02-29"));
	CHECK(clock_init(NULL, "Mars/Olympus", err, sizeof(err)) == -1);
	CHECK(clock_init(NULL, "../../etc/passwd", err, sizeof(err)) == -1);
}

TEST(quiet_hours_wrap_midnight)
{
	struct quiet q;
	char err[256];

	CHECK(clock_init(NULL, "Asia/Singapore", err, sizeof(err)) == 0);
	CHECK(clock_quiet_parse("21:00-08:00", NULL, &q, err,
	    sizeof(err)) == 0);
	CHECK(clock_is_quiet(&q, at("2026-12-04T21:00")));
	CHECK(!clock_is_quiet(&q, at("2026-12-04T20:59")));
	CHECK(clock_is_quiet(&q, at("2026-12-05T07:59")));
	CHECK(!clock_is_quiet(&q, at("2026-12-05T08:00")));
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-12-04T23:10:30"))),
	    "2026-12-05T08:00:00+08:00");
	/* not quiet: now, to the minute */
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-12-05T12:00"))),
	    "2026-12-05T12:00:00+08:00");
	CHECK(clock_quiet_parse("12:00-13:00", NULL, &q, err,
	    sizeof(err)) == 0);
	CHECK(clock_is_quiet(&q, at("2026-12-05T12:30")));
	CHECK(!clock_is_quiet(&q, at("2026-12-05T13:00")));
	CHECK(clock_quiet_parse("9pm-8am", NULL, &q, err, sizeof(err)) == -1);
	CHECK(clock_quiet_parse(NULL, "someday", &q, err, sizeof(err)) == -1);
}

TEST(quiet_days)
{
	struct quiet q;
	char err[256];

	CHECK(clock_init(NULL, "Asia/Singapore", err, sizeof(err)) == 0);
	CHECK(clock_quiet_parse("21:00-08:00", "Saturday, sun 2026-12-25", &q,
	    err, sizeof(err)) == 0);
	/* Friday 4 Dec 22:00 -> Monday 7 Dec 08:00 */
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-12-04T22:00"))),
	    "2026-12-07T08:00:00+08:00");
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-12-25T10:00"))),
	    "2026-12-28T08:00:00+08:00");	/* the 26th is a Saturday */
	CHECK(clock_quiet_parse(NULL, "mon tue wed thu fri sat sun", &q, err,
	    sizeof(err)) == 0);
	CHECK(clock_next_open(&q, at("2026-12-25T10:00")) == (time_t)-1);
}

TEST(daylight_saving_new_york)
{
	struct quiet q;
	char err[256];

	CHECK(clock_init(NULL, "America/New_York", err, sizeof(err)) == 0);
	CHECK(clock_quiet_parse("21:00-08:00", NULL, &q, err,
	    sizeof(err)) == 0);
	/* spring forward: 9 real hours from 22:00 EST to 08:00 EDT */
	CHECK_EQ_INT(clock_next_open(&q, at("2026-03-07T22:00:00-05:00")) -
	    at("2026-03-07T22:00:00-05:00"), 9 * 3600);
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-03-07T22:00:00-05:00"))),
	    "2026-03-08T08:00:00-04:00");
	/* fall back: 10 real hours from 23:00 EDT to 08:00 EST */
	CHECK_EQ_INT(clock_next_open(&q, at("2026-10-31T23:00:00-04:00")) -
	    at("2026-10-31T23:00:00-04:00"), 10 * 3600);
	/* 02:30 does not exist on 8 March: quiet 01:00-03:00 ends at 03:00 EDT,
	 * one real hour after 01:00 EST */
	CHECK(clock_quiet_parse("01:00-03:00", NULL, &q, err,
	    sizeof(err)) == 0);
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-03-08T01:00:00-05:00"))),
	    "2026-03-08T03:00:00-04:00");
	/* 01:30 happens twice on 1 November: both are quiet */
	CHECK(clock_is_quiet(&q, at("2026-11-01T01:30:00-04:00")));
	CHECK(clock_is_quiet(&q, at("2026-11-01T01:30:00-05:00")));
	CHECK_EQ_STR(fmt(clock_next_open(&q, at("2026-11-01T01:30:00-04:00"))),
	    "2026-11-01T03:00:00-05:00");
}

int
main(void)
{
	RUN(parse_and_format);
	RUN(quiet_hours_wrap_midnight);
	RUN(quiet_days);
	RUN(daylight_saving_new_york);
	return unit_summary();
}
