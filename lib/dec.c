/*
 * dec: exact decimals scaled by 10^9. Hand-written because no Debian
 * library offers fixed-point parsing of JSON/CSV number text, and binary
 * floating point gets rules.md example 10 wrong.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dec.h"

int
dec_parse(const char *s, size_t n, int64_t *out)
{
	const char *p = s, *end = s + n;
	int neg = 0, ndig = 0, frac = 0, round_up = 0;
	long long exp = 0;
	__int128 v = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++, ndig++) {
		v = v * 10 + (*p - '0');
		if (v > (__int128)INT64_MAX)
			return -1;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, ndig++) {
			/* digits past 18 cannot change the rounding */
			if (frac < DEC_DIGITS + 9) {
				v = v * 10 + (*p - '0');
				frac++;
			}
		}
	}
	if (ndig == 0)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, edig = 0;

		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++, edig++)
			if (exp < 100)
				exp = exp * 10 + (*p - '0');
		if (edig == 0)
			return -1;
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return -1;
	/* v * 10^(exp - frac) * 10^9 */
	exp += DEC_DIGITS - frac;
	while (exp > 0) {
		if (v > (__int128)INT64_MAX)
			return -1;
		v *= 10;
		exp--;
	}
	while (exp < 0) {
		round_up = (int)(v % 10) >= 5;
		v /= 10;
		exp++;
		if (exp == 0 && round_up)
			v++;
	}
	if (v > (__int128)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int
dec_parse_int(const char *s, size_t n, long long *out)
{
	const char *p = s, *end = s + n;
	int neg = 0;
	unsigned long long v = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > ((unsigned long long)INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

int
dec_format(struct buf *b, int64_t v)
{
	char tmp[32];
	unsigned long long u, ip, fp;
	int n, i;

	u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
	ip = u / DEC_SCALE;
	fp = u % DEC_SCALE;
	n = snprintf(tmp, sizeof(tmp), "%s%llu", v < 0 ? "-" : "", ip);
	if (fp) {
		char f[16];

		snprintf(f, sizeof(f), "%09llu", fp);
		for (i = 8; i > 0 && f[i] == '0'; i--)
			f[i] = '\0';
		n = snprintf(tmp, sizeof(tmp), "%s%llu.%s",
		    v < 0 ? "-" : "", ip, f);
	}
	return buf_add(b, tmp, (size_t)n);
}

long long
dec_ceil_mul(int64_t a, long long k)
{
	__int128 p = (__int128)a * k, q;

	q = p / DEC_SCALE;
	if (p % DEC_SCALE > 0)
		q++;
	return (long long)q;
}
