/*
 * fuzz_clock: the time parsers of lib/clock.h, in a zone with daylight
 * saving. The first line goes to clock_parse, the second and third to
 * clock_quiet_parse as IR_QUIET_HOURS and IR_QUIET_DAYS. Properties: a
 * parsed time formats (clock_rfc3339, clock_date) as NUL-terminated text
 * that parses back to the same instant, quiet hours are minutes of a day,
 * dates listed are valid and within the limit, and clock_next_open gives
 * a minute that is not quiet (or -1 when every day is).
 */
#include "clock.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[128];

	FUZZ_CHECK(clock_init("2026-03-08T01:30:00", "America/New_York", err,
	    sizeof(err)) == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3], err[256], out[CLOCK_TIME_LEN], date[CLOCK_DATE_LEN];
	struct quiet q;
	struct tm tm;
	time_t t, back, open;
	size_t rest;
	int i;

	fuzz_fields(data, size, f, 3, &rest);
	if (clock_parse(f[0], &t) == 0) {
		/* whatever parses, formats */
		clock_rfc3339(t, out);
		FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
		FUZZ_CHECK(out[0] != '\0');
		clock_date(t, date);
		FUZZ_CHECK(memchr(date, '\0', sizeof(date)) != NULL);
		FUZZ_CHECK(date[0] != '\0');
		/*
		 * A four-digit year (the form clock_parse reads) and a UTC
		 * offset in whole minutes (before 1883 New York's is LMT,
		 * -4:56:02, which RFC 3339 cannot write).
		 */
		if (strlen(out) >= 20 && out[4] == '-' && out[0] != '-' &&
		    localtime_r(&t, &tm) != NULL && tm.tm_gmtoff % 60 == 0) {
			FUZZ_CHECK(clock_parse(out, &back) == 0);
			FUZZ_CHECK(back == t);
			FUZZ_CHECK(clock_valid_date(date));
		}
	}
	if (clock_quiet_parse(f[1], f[2], &q, err, sizeof(err)) == 0) {
		FUZZ_CHECK(q.start >= 0 && q.start <= 24 * 60);
		FUZZ_CHECK(q.end >= 0 && q.end <= 24 * 60);
		FUZZ_CHECK(q.wdays < 128);
		FUZZ_CHECK(q.ndates >= 0 && q.ndates <= 64);
		for (i = 0; i < q.ndates; i++)
			FUZZ_CHECK(clock_valid_date(q.dates[i]));
		t = 1772937000;		/* 2026-03-08, the spring-forward day */
		open = clock_next_open(&q, t);
		if (open != (time_t)-1) {
			FUZZ_CHECK(open >= t - 60);
			FUZZ_CHECK(!clock_is_quiet(&q, open));
		} else
			FUZZ_CHECK(q.wdays == 127 || (q.has_hours &&
			    q.start == 0 && q.end == 24 * 60));
	} else
		FUZZ_CHECK(err[0] != '\0');
	fuzz_free_fields(f, 3);
	return 0;
}
