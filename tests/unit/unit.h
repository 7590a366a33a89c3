/*
 * unit.h: the smallest test harness. Each test file defines tests with
 * TEST(name) and lists them in main() with RUN(name). CHECK failures are
 * counted and reported with file:line; main returns unit_summary(), which
 * prints "N passed, N failed" for the whole file.
 */
#ifndef IR_UNIT_H
#define IR_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail, unit_cur_failed;

#define TEST(name) static void name(void)
#define RUN(name) do {							\
	unit_cur_failed = 0;						\
	name();								\
	if (unit_cur_failed) {						\
		unit_fail++;						\
		fprintf(stderr, "FAIL %s\n", #name);			\
	} else								\
		unit_pass++;						\
} while (0)
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
		unit_cur_failed = 1;					\
	}								\
} while (0)
#define CHECK_EQ_INT(a, b) do {						\
	long long unit_a = (long long)(a), unit_b = (long long)(b);	\
	if (unit_a != unit_b) {						\
		fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",	\
		    __FILE__, __LINE__, #a, unit_a, unit_b);		\
		unit_cur_failed = 1;					\
	}								\
} while (0)
#define CHECK_EQ_STR(a, b) do {						\
	const char *unit_s = (a), *unit_t = (b);			\
	if (unit_s == NULL || unit_t == NULL || strcmp(unit_s, unit_t)) { \
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
		    __FILE__, __LINE__, #a, unit_s ? unit_s : "(null)",	\
		    unit_t ? unit_t : "(null)");			\
		unit_cur_failed = 1;					\
	}								\
} while (0)

static int
unit_summary(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
