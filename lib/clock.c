/*
 * clock: the shop's time. See clock.h. Local-time arithmetic goes through
 * the C library (localtime_r, mktime) so daylight-saving rules come from
 * the system tz database, never from our own tables.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define CLOCK_EPOCH_MIN	(-62167219200LL)
#define CLOCK_EPOCH_MAX	253402300799LL

static time_t fixed_now = (time_t)-1;
static char tzname_buf[128] = "UTC";

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
clock_init(const char *now, const char *tz, char *err, size_t errsz)
{
	char path[300];

	if (tz == NULL || *tz == '\0')
		tz = "UTC";
	if (strlen(tz) >= sizeof(tzname_buf) || strstr(tz, "..") ||
	    tz[0] == '/') {
		snprintf(err, errsz, "IR_TZ \"%.60s\" is not a time zone name",
		    tz);
		return -1;
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (strcmp(tz, "UTC") != 0 && access(path, R_OK) != 0) {
		snprintf(err, errsz, "IR_TZ \"%.60s\" is not a known time zone "
		    "(like Asia/Singapore or America/New_York)", tz);
		return -1;
	}
	snprintf(tzname_buf, sizeof(tzname_buf), "%s", tz);
	if (setenv("TZ", strcmp(tz, "UTC") == 0 ? "UTC0" : tz, 1) == -1) {
		snprintf(err, errsz, "cannot set the time zone");
		return -1;
	}
	tzset();
	fixed_now = (time_t)-1;
	if (now != NULL && *now != '\0' && clock_parse(now, &fixed_now)) {
		snprintf(err, errsz, "IR_NOW \"%.60s\" is not a time like "
		    "2026-12-04T09:00:00+08:00", now);
		return -1;
	}
	return 0;
}

time_t
clock_now(void)
{
	return fixed_now != (time_t)-1 ? fixed_now : time(NULL);
}

const char *
clock_tz(void)
{
	return tzname_buf;
}

void
clock_date(time_t t, char out[CLOCK_DATE_LEN])
{
	struct tm tm;

	/* "" for a time beyond what struct tm holds, never garbage */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, CLOCK_DATE_LEN, "%Y-%m-%d", &tm) == 0)
		out[0] = '\0';
}

void
clock_rfc3339(time_t t, char out[CLOCK_TIME_LEN])
{
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL) {
		out[0] = '\0';		/* as clock_date */
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off == 0) {
		if (strftime(out, CLOCK_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ",
		    &tm) == 0)
			out[0] = '\0';
		return;
	}
	{
		char base[24];

		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out, CLOCK_TIME_LEN, "%.19s%c%02ld:%02ld", base,
		    off < 0 ? '-' : '+', labs(off) / 60 % 100, labs(off) % 60);
	}
}

int
clock_valid_date(const char *s)
{
	int y = 0, m = 0, d = 0;
	struct tm tm;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1)
		return 0;
	return tm.tm_mday == d;	/* rejects 2026-02-30 */
}

int
clock_parse(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	size_t n = strlen(s);
	const char *p;
	char *end;
	long long e;
	time_t t;

	if (s[0] == '@') {
		errno = 0;
		e = strtoll(s + 1, &end, 10);
		/* years 0000 to 9999, as the other forms */
		if (end == s + 1 || *end != '\0' || errno == ERANGE ||
		    e < CLOCK_EPOCH_MIN || e > CLOCK_EPOCH_MAX)
			return -1;
		*out = (time_t)e;
		return 0;
	}
	if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) ||
	    digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || mo < 1 ||
	    mo > 12 || d < 1 || d > 31)
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (strlen(p) < 6 || digits(p + 1, 2, &h) || p[3] != ':' ||
		    digits(p + 4, 2, &mi) || h > 23 || mi > 59)
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec) || sec > 60)
				return -1;
			p += 3;
			if (*p == '.')
				for (p++; isdigit((unsigned char)*p); p++)
					;
		}
	} else if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (*p == '\0') {		/* local time in the shop's zone */
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
		*out = t;
		return 0;
	}
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		if (p[1] != '\0')
			return -1;
	} else if (*p == '+' || *p == '-') {
		if (strlen(p) != 6 || digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		t += (*p == '+' ? -1 : 1) * (oh * 3600 + om * 60);
	} else
		return -1;
	*out = t;
	return 0;
}

int
clock_add_days(const char *date, long long days, char out[CLOCK_DATE_LEN])
{
	struct tm tm;
	int y = 0, m = 0, d = 0;

	if (!clock_valid_date(date) || days > 100000 || days < -100000)
		return -1;
	digits(date, 4, &y);
	digits(date + 5, 2, &m);
	digits(date + 8, 2, &d);
	/* Calendar arithmetic in UTC: a date has no time of day, no DST. */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + (int)days;
	tm.tm_hour = 12;
	if (timegm(&tm) == (time_t)-1)
		return -1;
	strftime(out, CLOCK_DATE_LEN, "%Y-%m-%d", &tm);
	return 0;
}

static const char *const wday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static int
parse_hhmm(const char *s, int *min)
{
	int h, m;

	if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &m) ||
	    h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

int
clock_quiet_parse(const char *hours, const char *days, struct quiet *q,
    char *err, size_t errsz)
{
	char tmp[1024], *tok, *save;
	int i, found;

	memset(q, 0, sizeof(*q));
	if (hours != NULL && *hours != '\0') {
		while (isspace((unsigned char)*hours))
			hours++;
		if (strlen(hours) < 11 || parse_hhmm(hours, &q->start) ||
		    hours[5] != '-' || parse_hhmm(hours + 6, &q->end)) {
			snprintf(err, errsz, "IR_QUIET_HOURS \"%.40s\" is not "
			    "like 21:00-08:00", hours);
			return -1;
		}
		q->has_hours = q->start != q->end;
	}
	if (days == NULL || *days == '\0')
		return 0;
	snprintf(tmp, sizeof(tmp), "%s", days);
	for (tok = strtok_r(tmp, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (clock_valid_date(tok)) {
			if (q->ndates == (int)(sizeof(q->dates) /
			    sizeof(q->dates[0]))) {
				snprintf(err, errsz, "IR_QUIET_DAYS lists more "
				    "than 64 dates");
				return -1;
			}
			snprintf(q->dates[q->ndates++], CLOCK_DATE_LEN, "%s",
			    tok);
			continue;
		}
		for (found = 0, i = 0; i < 7; i++)
			if (strlen(tok) >= 3 &&
			    strncasecmp(tok, wday_names[i], 3) == 0) {
				q->wdays |= 1u << i;
				found = 1;
			}
		if (!found) {
			snprintf(err, errsz, "IR_QUIET_DAYS: \"%.40s\" is not a "
			    "weekday (mon, tue, ...) or a date (YYYY-MM-DD)",
			    tok);
			return -1;
		}
	}
	return 0;
}

static int
day_quiet(const struct quiet *q, const struct tm *tm)
{
	char d[CLOCK_DATE_LEN];
	int i;

	if (q->wdays & (1u << tm->tm_wday))
		return 1;
	if (q->ndates == 0)
		return 0;
	strftime(d, sizeof(d), "%Y-%m-%d", tm);
	for (i = 0; i < q->ndates; i++)
		if (strcmp(q->dates[i], d) == 0)
			return 1;
	return 0;
}

static int
minute_quiet(const struct quiet *q, const struct tm *tm)
{
	int m = tm->tm_hour * 60 + tm->tm_min;

	if (!q->has_hours)
		return 0;
	if (q->start < q->end)
		return m >= q->start && m < q->end;
	return m >= q->start || m < q->end;	/* wraps midnight */
}

int
clock_is_quiet(const struct quiet *q, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return day_quiet(q, &tm) || minute_quiet(q, &tm);
}

/*
 * Walks forward in real (UTC) minutes and looks at the local clock each
 * time, so DST gaps and repeated hours come out right by construction.
 * A quiet day jumps to the next local midnight.
 */
time_t
clock_next_open(const struct quiet *q, time_t t)
{
	struct tm tm;
	time_t limit = t + 400L * 86400, next;

	if (q->has_hours && q->start == 0 && q->end == 24 * 60)
		return (time_t)-1;	/* every minute of every day */
	t -= t % 60;
	while (t < limit) {
		localtime_r(&t, &tm);
		if (day_quiet(q, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
			tm.tm_isdst = -1;
			next = mktime(&tm);
			t = next > t ? next : t + 60;
			continue;
		}
		if (!minute_quiet(q, &tm))
			return t;
		t += 60;
	}
	return (time_t)-1;
}
