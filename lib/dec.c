/*
 * dec: exact decimals scaled by 10^9. Hand-written because no Debian
 * library offers fixed-point parsing of JSON/CSV number text, and binary
 * floating point gets rules.md example 10 wrong.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dec.h"

/*
 * Keeps the first DEC_SIG significant digits of the mantissa, which is
 * enough: a value in range has at most 19 digits up to its 10^-9 place,
 * so the digit that decides the rounding is always kept. Digits further
 * on only move the decimal point (integer part) or are below the rounding
 * digit (fraction), wherever the exponent puts them.
 */
#define DEC_SIG		36

/*
 * The common case, exact without rounding: 1 to 9 integer digits and at
 * most 9 fractional ones, no exponent. 0 when it applies, -1 otherwise
 * (dec_parse then takes the general way).
 */
static int
parse_plain(const char *p, const char *end, int neg, int64_t *out)
{
	static const int64_t pow10[DEC_DIGITS + 1] = { 1, 10, 100, 1000,
	    10000, 100000, 1000000, 10000000, 100000000, 1000000000 };
	const char *q = p;
	int64_t ip = 0, fp = 0;

	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (q - p == DEC_DIGITS)
			return -1;
		ip = ip * 10 + (*q - '0');
	}
	if (q == p)
		return -1;
	if (q < end && *q == '.') {
		p = ++q;
		for (; q < end && *q >= '0' && *q <= '9'; q++) {
			if (q - p == DEC_DIGITS)
				return -1;
			fp = fp * 10 + (*q - '0');
		}
		fp *= pow10[DEC_DIGITS - (q - p)];
	}
	if (q != end)
		return -1;
	ip = ip * DEC_SCALE + fp;
	*out = neg ? -ip : ip;
	return 0;
}

int
dec_parse(const char *s, size_t n, int64_t *out)
{
	const char *p = s, *end = s + n;
	int neg = 0, ndig = 0, nsig = 0, frac = 0, round_up = 0, d;
	long long exp = 0, scale = 0;	/* the value is v * 10^scale */
	__int128 v = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (parse_plain(p, end, neg, out) == 0)
		return 0;
	for (; p < end; p++) {
		if (*p == '.' && !frac) {
			frac = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		d = *p - '0';
		ndig++;
		if (nsig < DEC_SIG && (nsig > 0 || d != 0)) {
			v = v * 10 + d;
			nsig++;
			scale -= frac;
		} else if (nsig == DEC_SIG)
			scale += !frac;		/* a dropped digit */
		else
			scale -= frac;		/* a leading zero */
	}
	if (ndig == 0)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, edig = 0;

		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++, edig++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		if (edig == 0)
			return -1;
		scale += eneg ? -exp : exp;
	}
	if (p != end)
		return -1;
	/* v * 10^(scale + 9), rounded half away from zero at the units */
	scale += DEC_DIGITS;
	for (; v != 0 && scale > 0; scale--) {
		if (v > (__int128)INT64_MAX)
			return -1;
		v *= 10;
	}
	for (; v != 0 && scale < 0; scale++) {
		if (scale == -1)
			round_up = (int)(v % 10) >= 5;
		v /= 10;
	}
	v += round_up;
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
	unsigned long long v = 0, lim, d;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == end)
		return -1;
	/* up to 18 digits cannot overflow: no range check */
	if (end - p <= 18) {
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v = v * 10 + (unsigned long long)(*p - '0');
		}
		*out = neg ? -(long long)v : (long long)v;
		return 0;
	}
	/* the whole int64 range, INT64_MIN included */
	lim = neg ? (unsigned long long)INT64_MAX + 1 : INT64_MAX;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		d = (unsigned long long)(*p - '0');
		if (v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (long long)v;
	else
		*out = v > INT64_MAX ? INT64_MIN : -(long long)v;
	return 0;
}

/* Writes the digits of u right-aligned, ending before end; returns start. */
static char *
digits(char *end, unsigned long long u)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";
	unsigned k;

	/* two digits a division: the record path writes a dozen a row */
	while (u >= 100) {
		k = (unsigned)(u % 100) * 2;
		u /= 100;
		*--end = pairs[k + 1];
		*--end = pairs[k];
	}
	if (u >= 10) {
		k = (unsigned)u * 2;
		*--end = pairs[k + 1];
		*--end = pairs[k];
	} else
		*--end = (char)('0' + u);
	return end;
}

int
dec_format_int(struct buf *b, long long v)
{
	char tmp[24], *p;
	unsigned long long u;

	if (v >= 0 && v < 10)
		return buf_addc(b, '0' + (int)v);
	u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
	p = digits(tmp + sizeof(tmp), u);
	if (v < 0)
		*--p = '-';
	return buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* On the record path: no printf. */
int
dec_format(struct buf *b, int64_t v)
{
	char tmp[48], *p, *end = tmp + sizeof(tmp);
	unsigned long long u, ip, fp;
	int i;

	u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
	ip = u / DEC_SCALE;
	fp = u % DEC_SCALE;
	p = end;
	if (fp) {
		/* nine digits, trailing zeros dropped */
		for (i = 0; i < DEC_DIGITS && fp % 10 == 0; i++)
			fp /= 10;
		for (; i < DEC_DIGITS; i++) {
			*--p = (char)('0' + fp % 10);
			fp /= 10;
		}
		*--p = '.';
	}
	p = digits(p, ip);
	if (v < 0)
		*--p = '-';
	return buf_add(b, p, (size_t)(end - p));
}

long long
dec_ceil_mul(int64_t a, long long k)
{
	__int128 p, q;
	int64_t p64, q64;

	/* in 64 bits when the product fits: no 128-bit division */
	if (!__builtin_mul_overflow(a, (int64_t)k, &p64)) {
		q64 = p64 / DEC_SCALE;
		if (p64 % DEC_SCALE > 0)
			q64++;
		return (long long)q64;
	}
	p = (__int128)a * k;
	q = p / DEC_SCALE;
	if (p % DEC_SCALE > 0)
		q++;
	return (long long)q;
}
