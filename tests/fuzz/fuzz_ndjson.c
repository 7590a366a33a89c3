/*
 * fuzz_ndjson: the record path (lib/ndjson.h), differential against
 * jansson as design.md section 9 asks.
 *
 * The line reader is checked against a model (split at '\n', one '\r'
 * before it dropped, blank lines skipped, longer than max_line: TOOLONG).
 * Each line it gives, and the whole input as one line, goes to rec_parse
 * and to json_loadb(JSON_REJECT_DUPLICATES): rec_parse accepts exactly
 * when jansson returns an object, except for the differences
 * tests/fuzz/LIMITS.md documents:
 *   - we reject nesting deeper than NDJSON_MAX_DEPTH (jansson: 2048);
 *   - we reject more than NDJSON_MAX_FIELDS top-level members;
 *   - we accept a duplicate key inside a nested object (only top-level
 *     keys are looked up; nested values are copied as they came);
 *   - we accept numbers beyond int64 / double (kept as text; rec_int and
 *     rec_dec then say "not a number"), which jansson refuses;
 *   - jansson 2.14 skips a NUL byte after a number or literal, so lines
 *     with a NUL byte (never valid JSON) must only be rejected by us.
 * When both accept, every top-level member's rec_str / rec_int / rec_dec
 * agrees with jansson's value, and recw_copy writes a record jansson reads
 * back with the same members.
 */
#include <errno.h>
#include <math.h>

#include <jansson.h>

#include "buf.h"
#include "dec.h"
#include "fuzz.h"
#include "ndjson.h"

static struct rec r;

static int
has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

static int
number_error(const json_error_t *e)
{
	return has(e->text, "too big integer") ||
	    has(e->text, "too big negative integer") ||
	    has(e->text, "real number overflow");
}

/* jansson refused a line we took: only for a documented difference. */
static void
we_accept_more(const char *line, size_t len, const json_error_t *e)
{
	json_error_t e2;
	json_t *j2;

	if (number_error(e))
		return;
	FUZZ_CHECK(has(e->text, "duplicate object key"));
	/* the duplicate must be nested: top-level keys are all distinct */
	j2 = json_loadb(line, len, 0, &e2);
	if (j2 == NULL) {
		FUZZ_CHECK(number_error(&e2));
		return;
	}
	FUZZ_CHECK(json_is_object(j2));
	FUZZ_CHECK(json_object_size(j2) == (size_t)r.nfields);
	json_decref(j2);
}

/* A jansson string that is an int64 in plain digits. */
static int
plain_int(const char *s, size_t n, long long *v)
{
	char *end;
	size_t i = 0;

	if (n == 0)
		return 0;
	if (s[0] == '-' || s[0] == '+')
		i++;
	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && end == s + n;
}

static void
check_member(const char *key, json_t *v, size_t linelen)
{
	const struct rec_field *f;
	char *dst;
	long long iv, sv;
	int64_t dv;
	size_t n, cap = linelen + 8;
	int rc;

	FUZZ_CHECK((f = rec_get(&r, key)) != NULL);
	dst = malloc(cap);
	FUZZ_CHECK(dst != NULL);
	rc = rec_str(&r, key, dst, cap);
	switch (json_typeof(v)) {
	case JSON_STRING:
		n = json_string_length(v);
		FUZZ_CHECK(f->kind == REC_STRING);
		FUZZ_CHECK(rc >= 0 && (size_t)rc == n);
		FUZZ_CHECK(memcmp(dst, json_string_value(v), n) == 0);
		FUZZ_CHECK(dst[n] == '\0');
		/* exactly n + 1 bytes fit, n do not */
		FUZZ_CHECK(rec_str(&r, key, dst, n + 1) == (int)n);
		FUZZ_CHECK(rec_str(&r, key, dst, n) == -3);
		if (strcmp(key, "type") == 0)
			FUZZ_CHECK(rec_is(&r, json_string_value(v)));
		rc = rec_int(&r, key, &iv);
		if (rc == 0)
			FUZZ_CHECK(plain_int(json_string_value(v), n, &sv) &&
			    sv == iv);
		else if (!f->escaped && plain_int(json_string_value(v), n,
		    &sv))
			FUZZ_CHECK(0);	/* "12" is a whole number */
		break;
	case JSON_INTEGER:
		FUZZ_CHECK(f->kind == REC_NUMBER && rc == -2);
		FUZZ_CHECK(rec_int(&r, key, &iv) == 0);
		FUZZ_CHECK(iv == json_integer_value(v));
		iv = json_integer_value(v);
		rc = rec_dec(&r, key, &dv);
		if (iv <= INT64_MAX / DEC_SCALE && iv >= -(INT64_MAX / DEC_SCALE))
			FUZZ_CHECK(rc == 0 && dv == iv * DEC_SCALE);
		else
			FUZZ_CHECK(rc == -2);
		break;
	case JSON_REAL:
		FUZZ_CHECK(f->kind == REC_NUMBER && rc == -2);
		FUZZ_CHECK(rec_int(&r, key, &iv) == -2);
		if (rec_dec(&r, key, &dv) == 0)
			FUZZ_CHECK(fabs((double)dv / DEC_SCALE -
			    json_real_value(v)) <= 1e-9 +
			    fabs(json_real_value(v)) * 1e-12);
		else
			FUZZ_CHECK(fabs(json_real_value(v)) > 9.2e9);
		break;
	case JSON_NULL:
		FUZZ_CHECK(f->kind == REC_NULL && rc == -1);
		FUZZ_CHECK(rec_int(&r, key, &iv) == -1);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_OBJECT:
	case JSON_ARRAY:
		FUZZ_CHECK(rc == -2);
		FUZZ_CHECK(rec_int(&r, key, &iv) == -2);
		break;
	}
	free(dst);
}

/* recw_copy of the record reads back with the same members. */
static void
check_copy(json_t *j)
{
	struct buf b = { NULL, 0, 0 };
	json_error_t e;
	json_t *back, *v;
	const char *key;

	FUZZ_CHECK(recw_begin(&b, "copy") == 0);
	FUZZ_CHECK(recw_copy(&b, &r, NULL) == 0);
	FUZZ_CHECK(recw_end(&b) == 0);
	back = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &e);
	FUZZ_CHECK(back != NULL && json_is_object(back));
	FUZZ_CHECK(json_object_size(back) == json_object_size(j) + 1 -
	    (json_object_get(j, "type") != NULL));
	json_object_foreach(j, key, v) {
		if (strcmp(key, "type") != 0)
			FUZZ_CHECK(json_equal(v, json_object_get(back, key)));
	}
	json_decref(back);
	buf_free(&b);
}

static void
differential(const char *line, size_t len)
{
	json_error_t e;
	json_t *j, *v;
	const char *key;
	int ours, theirs;

	ours = rec_parse(&r, line, len) == 0;
	if (memchr(line, '\0', len) != NULL) {
		/*
		 * A NUL byte is never valid JSON, but jansson 2.14 skips one
		 * that follows a number or literal ("{\"a\":0\0}" loads):
		 * no differential here, we must reject.
		 */
		FUZZ_CHECK(!ours);
		return;
	}
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
	theirs = j != NULL && json_is_object(j);
	if (!ours)
		FUZZ_CHECK(r.err[0] != '\0');
	if (ours && !theirs && j == NULL)
		we_accept_more(line, len, &e);
	else if (!ours && theirs)
		FUZZ_CHECK(has(r.err, "nested too deeply") ||
		    has(r.err, "too many fields"));
	else
		FUZZ_CHECK(ours == theirs);
	if (ours && theirs) {
		FUZZ_CHECK(r.nfields >= 0 &&
		    (size_t)r.nfields == json_object_size(j));
		json_object_foreach(j, key, v)
			check_member(key, v, len);
		check_copy(j);
	}
	json_decref(j);
}

/* The reader against the model, with limit max_line. */
static void
check_reader(const uint8_t *data, size_t size, size_t max_line)
{
	struct ndjson_reader *rd;
	const uint8_t *p = data, *end = data + size, *nl;
	const char *line;
	size_t len, n, k, lim = max_line ? max_line : NDJSON_MAX_LINE;
	unsigned long no, want_no = 0;
	FILE *fp;
	int rc;

	fp = fuzz_file(data, size);
	FUZZ_CHECK((rd = ndjson_open(fp, max_line)) != NULL);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		want_no++;
		k = n;
		if (k > 0 && p[k - 1] == '\r')
			k--;
		if (k <= lim) {
			size_t i;

			for (i = 0; i < k; i++)
				if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
					break;
			if (i == k) {		/* blank: skipped */
				p += n + (nl != NULL);
				continue;
			}
		}	/* a long line is TOOLONG even when blank */
		rc = ndjson_next(rd, &line, &len, &no);
		FUZZ_CHECK(no == want_no);
		if (k > lim)
			FUZZ_CHECK(rc == NDJSON_TOOLONG);
		else {
			FUZZ_CHECK(rc == NDJSON_OK);
			FUZZ_CHECK(len == k && memcmp(line, p, k) == 0);
			FUZZ_CHECK(line[len] == '\0');
			if (max_line == 0)
				differential(line, len);
		}
		p += n + (nl != NULL);
	}
	FUZZ_CHECK(ndjson_next(rd, &line, &len, &no) == NDJSON_EOF);
	ndjson_close(rd);
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reader(data, size, 0);
	check_reader(data, size, 16);
	differential((const char *)data, size);
	return 0;
}
