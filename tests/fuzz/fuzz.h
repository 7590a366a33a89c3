/*
 * fuzz.h: what the libFuzzer targets in tests/fuzz share. A target is one
 * file, tests/fuzz/fuzz_<name>.c, defining LLVMFuzzerTestOneInput; the
 * Makefile finds it by its name, scripts/fuzz runs it on
 * tests/fuzz/corpus/<name>/ with tests/fuzz/dict/<name>.dict if there is
 * one. Targets check properties with FUZZ_CHECK: a broken one aborts, and
 * libFuzzer saves the input as a crash like any ASan or UBSan report.
 */
#ifndef IR_FUZZ_H
#define IR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/*
 * The input as a read-only stream (fmemopen wants at least one byte, so
 * an empty input reads from an empty tmpfile). fclose it.
 */
static inline FILE *
fuzz_file(const uint8_t *data, size_t size)
{
	FILE *fp;

	if (size == 0)
		return tmpfile();
	fp = fmemopen((void *)(uintptr_t)data, size, "r");
	FUZZ_CHECK(fp != NULL);
	return fp;
}

/* A NUL-terminated copy of n bytes; free it. */
static inline char *
fuzz_str(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	FUZZ_CHECK(s != NULL);
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Cuts the input into nf fields at '\n': fields 0..nf-2 are C strings
 * (a NUL inside one ends it early, as it would for a caller), the last
 * takes the rest of the input as bytes (length in *lastlen). Missing
 * fields are "". Frees with fuzz_free_fields.
 */
static inline void
fuzz_fields(const uint8_t *data, size_t size, char **f, int nf,
    size_t *lastlen)
{
	const uint8_t *p = data, *end = data + size, *nl;
	int i;

	for (i = 0; i < nf - 1; i++) {
		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (nl == NULL) {
			f[i] = fuzz_str(p, (size_t)(end - p));
			p = end;
		} else {
			f[i] = fuzz_str(p, (size_t)(nl - p));
			p = nl + 1;
		}
	}
	*lastlen = (size_t)(end - p);
	f[nf - 1] = fuzz_str(p, *lastlen);
}

static inline void
fuzz_free_fields(char **f, int nf)
{
	int i;

	for (i = 0; i < nf; i++)
		free(f[i]);
}

#endif
