/*
 * clock: "now" (IR_NOW / --now for replays and tests), the shop's timezone
 * (IR_TZ, with its daylight-saving rules from the system tz database),
 * dates in that timezone, and quiet hours.
 *
 * clock_init sets the process timezone once (TZ); every local-time call
 * after it is in the shop's timezone.
 */
#ifndef IR_CLOCK_H
#define IR_CLOCK_H

#include <time.h>

#define CLOCK_DATE_LEN	11	/* YYYY-MM-DD + NUL */
#define CLOCK_TIME_LEN	32	/* 2026-12-04T09:00:00+08:00 + NUL */

/*
 * tz: an IANA name ("Asia/Singapore") or "UTC". now: NULL for the real
 * clock, else a time clock_parse accepts. 0, or -1 with err.
 */
int	clock_init(const char *now, const char *tz, char *err, size_t errsz);
time_t	clock_now(void);
const char *clock_tz(void);
/* Local date / RFC 3339 time with offset, in the shop's timezone. */
void	clock_date(time_t, char out[CLOCK_DATE_LEN]);
void	clock_rfc3339(time_t, char out[CLOCK_TIME_LEN]);
/*
 * Accepts RFC 3339 with Z or an offset, a local "YYYY-MM-DDTHH:MM[:SS]"
 * (in the shop's timezone), "YYYY-MM-DD" (local midnight) or "@EPOCH".
 */
int	clock_parse(const char *s, time_t *out);
/* date + days, as a date. -1 if date is not YYYY-MM-DD. */
int	clock_add_days(const char *date, long long days,
	    char out[CLOCK_DATE_LEN]);
/* 1 if s is a valid YYYY-MM-DD. */
int	clock_valid_date(const char *s);

struct quiet {
	int	 has_hours;
	int	 start, end;		/* minutes after midnight */
	unsigned wdays;			/* bit 0 Sunday .. bit 6 Saturday */
	int	 ndates;
	char	 dates[64][CLOCK_DATE_LEN];	/* whole quiet dates */
};

/*
 * hours: "HH:MM-HH:MM" (start inclusive, end exclusive, may wrap
 * midnight) or NULL; days: weekday names or dates, separated by commas or
 * spaces ("sat,sun", "Sunday 2026-12-25") or NULL.
 */
int	clock_quiet_parse(const char *hours, const char *days, struct quiet *,
	    char *err, size_t errsz);
int	clock_is_quiet(const struct quiet *, time_t);
/* The first minute at or after t that is not quiet; -1 if none within
 * 400 days (every day quiet). */
time_t	clock_next_open(const struct quiet *, time_t);

#endif
