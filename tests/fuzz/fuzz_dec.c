/*
 * fuzz_dec: exact decimals (lib/dec.h). The input is number text.
 * Properties: dec_parse agrees with strtod to within the rounding of the
 * scale, dec_format gives text that parses back to the same value,
 * dec_parse_int agrees with strtoll on plain integers over the whole int64
 * range, and a whole number parses the same both ways.
 */
#include <errno.h>
#include <math.h>

#include "buf.h"
#include "dec.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf b = { NULL, 0, 0 };
	char *str, *end;
	int64_t v, back;
	long long iv, sv;
	long double x;
	int ok;

	str = fuzz_str(data, size);
	if (dec_parse(s, size, &v) == 0) {
		/* strtod reads a superset (hex, inf, blanks) of our syntax */
		x = strtold(str, &end);
		FUZZ_CHECK(end == str + size);
		FUZZ_CHECK(fabsl((long double)v / DEC_SCALE - x) <=
		    0.5e-9L + fabsl(x) * 1e-17L);
		FUZZ_CHECK(dec_format(&b, v) == 0);
		FUZZ_CHECK(dec_parse(b.p, b.len, &back) == 0 && back == v);
		/* ceil(v * 1) is the smallest whole number >= v */
		if (v > -9 * DEC_SCALE * 1000000LL &&
		    v < 9 * DEC_SCALE * 1000000LL) {
			iv = dec_ceil_mul(v, 1);
			FUZZ_CHECK((__int128)iv * DEC_SCALE >= v &&
			    ((__int128)iv - 1) * DEC_SCALE < v);
		}
	}
	ok = dec_parse_int(s, size, &iv) == 0;
	if (ok) {
		errno = 0;
		sv = strtoll(str, &end, 10);
		FUZZ_CHECK(errno == 0 && end == str + size && sv == iv);
		if (iv <= INT64_MAX / DEC_SCALE && iv >= -(INT64_MAX /
		    DEC_SCALE))
			FUZZ_CHECK(dec_parse(s, size, &v) == 0 &&
			    v == iv * DEC_SCALE);
	} else if (size > 0 && strspn(str + (str[0] == '-' ||
	    str[0] == '+'), "0123456789") == size - (str[0] == '-' ||
	    str[0] == '+') && size > (size_t)(str[0] == '-' ||
	    str[0] == '+')) {
		/* plain digits refused: only when out of range */
		errno = 0;
		(void)strtoll(str, &end, 10);
		FUZZ_CHECK(errno == ERANGE);
	}
	buf_free(&b);
	free(str);
	return 0;
}
