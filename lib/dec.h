/*
 * dec: exact decimals as integers scaled by 10^9 (DEC_SCALE), so that
 * rates like 0.28 multiply by lead times without binary rounding
 * (rules.md example 10). Enough for 9.2e9 units a day.
 */
#ifndef IR_DEC_H
#define IR_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DEC_SCALE	1000000000LL
#define DEC_DIGITS	9

/*
 * Parses an optional sign, digits, an optional fraction and an optional
 * exponent (JSON number syntax, leading zeros and a bare "5." allowed).
 * More than 9 fractional digits round half away from zero.
 * Returns 0, or -1 when s is not a number or out of range.
 */
int	dec_parse(const char *s, size_t n, int64_t *out);
/* Parses a whole number (no fraction, no exponent), range-checked. */
int	dec_parse_int(const char *s, size_t n, long long *out);
/* Appends the shortest exact decimal text of v ("2.5", "0.28", "-4"). */
int	dec_format(struct buf *, int64_t v);
/* Appends the whole number v in decimal, as printf's %lld would. */
int	dec_format_int(struct buf *, long long v);
/* ceil(a * k) of a scaled decimal and an integer, as an integer. */
long long dec_ceil_mul(int64_t a, long long k);

#endif
