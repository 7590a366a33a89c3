/*
 * fuzz_csvin: the CSV reader (lib/csvin.h) on any bytes, with the default
 * limits and with small ones so that the field, row and replay paths are
 * reached by short inputs. Properties: every row is within the limits, its
 * fields are NUL-terminated valid UTF-8 of the stated length, rows and
 * rejects come in line order, and the reader ends (EOF) in a number of
 * calls linear in the input. Differential: the fast split of plain lines
 * gives exactly what libcsv alone gives (csvin_set_fast(c, 0)): the same
 * rows, fields, rejected lines and messages.
 */
#include "buf.h"
#include "csvin.h"
#include "fuzz.h"

/* Reads data through and checks it; its transcript goes to t. */
static void
read_all(const uint8_t *data, size_t size, size_t max_field, size_t max_row,
    int fast, struct buf *t)
{
	struct csvin_row row;
	struct csvin *c;
	size_t i, calls = 0, mf = max_field ? max_field : CSVIN_MAX_FIELD;
	unsigned long last = 0, lines = 1;
	char norm[32];
	FILE *fp;
	int r;

	for (i = 0; i < size; i++)
		if (data[i] == '\n' || data[i] == '\r')
			lines++;
	fp = fuzz_file(data, size);
	FUZZ_CHECK((c = csvin_open(fp, max_field, max_row)) != NULL);
	csvin_set_fast(c, fast);
	while ((r = csvin_next(c, &row)) != CSVIN_EOF) {
		FUZZ_CHECK(r == CSVIN_ROW || r == CSVIN_BAD);
		/* each line is read at most twice, plus one report per row */
		FUZZ_CHECK(++calls <= 3 * lines + 3);
		if (r == CSVIN_BAD) {
			FUZZ_CHECK(csvin_error(c)[0] != '\0');
			FUZZ_CHECK(csvin_bad_line(c) >= 1);
			FUZZ_CHECK(csvin_bad_line(c) > last || last == 0);
			FUZZ_CHECK(csvin_bad_line(c) <= lines);
			last = csvin_bad_line(c);
			buf_addf(t, "BAD %lu %s\n", last, csvin_error(c));
			continue;
		}
		FUZZ_CHECK(row.n >= 1 && row.n <= CSVIN_MAX_FIELDS);
		FUZZ_CHECK(row.line >= 1 && row.line <= lines);
		FUZZ_CHECK(row.line > last || last == 0);
		last = row.line;
		buf_addf(t, "ROW %lu %zu", row.line, row.n);
		for (i = 0; i < row.n; i++) {
			buf_addf(t, " %zu:", row.len[i]);
			buf_add(t, row.field[i], row.len[i]);
			FUZZ_CHECK(row.len[i] <= mf);
			FUZZ_CHECK(row.field[i][row.len[i]] == '\0');
			FUZZ_CHECK(strlen(row.field[i]) == row.len[i]);
			FUZZ_CHECK(utf8_valid(row.field[i], row.len[i]));
			csvin_normalize(row.field[i], norm, sizeof(norm));
			FUZZ_CHECK(strlen(norm) < sizeof(norm));
		}
	}
	buf_addc(t, '\n');
	csvin_close(c);
	fclose(fp);
}

static void
both(const uint8_t *data, size_t size, size_t max_field, size_t max_row)
{
	struct buf fast = { NULL, 0, 0 }, slow = { NULL, 0, 0 };

	read_all(data, size, max_field, max_row, 1, &fast);
	read_all(data, size, max_field, max_row, 0, &slow);
	FUZZ_CHECK(fast.len == slow.len &&
	    (fast.len == 0 || memcmp(fast.p, slow.p, fast.len) == 0));
	buf_free(&fast);
	buf_free(&slow);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	both(data, size, 0, 0);
	/* small limits: the first byte picks them */
	if (size > 0)
		both(data, size, 1 + data[0] % 16, 4 + data[0] / 16 * 3);
	return 0;
}
