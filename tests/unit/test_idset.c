/*
 * test_idset: the duplicate check ir-sync uses, past its exact table:
 * every duplicate found, no good id taken for one, records in order.
 * Driven the way ir-sync drives it (add, hold while holding, settle when
 * due and at the end); the answer is checked against a plain bitmap of
 * the ids seen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "unit.h"

struct run {
	unsigned long	 next;		/* the line the next event must have */
	unsigned long	 nemit, ndup;
	const unsigned char *isdup;	/* expected, by line */
	int		 bad;
};

/* A record is "<line> <padding>\n": its line is read back from it. */
static int
emit(void *ctx, const char *rec, size_t len)
{
	struct run *r = ctx;
	unsigned long line = strtoul(rec, NULL, 10);

	if (line != r->next || r->isdup[line] || len < 2 ||
	    rec[len - 1] != '\n')
		r->bad++;
	r->next = line + 1;
	r->nemit++;
	return 0;
}

static void
dup(void *ctx, const char *id, unsigned long line)
{
	struct run *r = ctx;

	if (line != r->next || !r->isdup[line] || strncmp(id, "SKU-", 4))
		r->bad++;
	r->next = line + 1;
	r->ndup++;
}

/*
 * The id of line i (from 1): mostly new, but every 613th line repeats an
 * id from far back (the exact table's or the filter's time) and every
 * 4099th one the line before it.
 */
static unsigned long
id_of(unsigned long i)
{
	if (i > 1 && i % 4099 == 0)
		return id_of(i - 1);
	if (i > 1 && i % 613 == 0)
		return id_of((i * 7919) % (i - 1) + 1);
	return i;
}

static void
drive(unsigned long n, unsigned long expect)
{
	struct idset *s = idset_new();
	unsigned char *seen = calloc(n + 2, 1), *isdup = calloc(n + 2, 1);
	struct run r = { 1, 0, 0, NULL, 0 };
	char id[32], rec[320];
	unsigned long i, k, ndup = 0;
	int rc, len;

	CHECK(s != NULL && seen != NULL && isdup != NULL);
	if (s == NULL || seen == NULL || isdup == NULL)
		goto out;
	for (i = 1; i <= n; i++) {
		k = id_of(i);
		if (seen[k])
			isdup[i] = 1, ndup++;
		seen[k] = 1;
	}
	r.isdup = isdup;
	if (expect)
		idset_expect(s, expect);
	for (i = 1; i <= n && r.bad == 0; i++) {
		snprintf(id, sizeof(id), "SKU-%lu", id_of(i));
		rc = idset_add(s, id, strlen(id), i);
		if (rc == -1) {
			r.bad++;
			break;
		}
		if (rc == IDSET_DUP) {
			dup(&r, id, i);
			continue;
		}
		len = snprintf(rec, sizeof(rec), "%lu %0250d\n", i, 0);
		if (rc == IDSET_MAYBE || idset_holding(s)) {
			if (idset_hold(s, id, strlen(id), i, rc == IDSET_MAYBE,
			    rec, (size_t)len) == -1 || (idset_due(s) &&
			    idset_settle(s, emit, dup, &r) == -1))
				r.bad++;
		} else
			emit(&r, rec, (size_t)len);
	}
	CHECK(idset_settle(s, emit, dup, &r) == 0);
	CHECK_EQ_INT(r.bad, 0);
	CHECK_EQ_INT(r.next, n + 1);
	CHECK_EQ_INT(r.ndup, ndup);
	CHECK_EQ_INT(r.nemit, n - ndup);
	CHECK(ndup > 100);
out:
	idset_free(s);
	free(seen);
	free(isdup);
}

/* A sized filter: few suspects, most records go straight out. */
TEST(sized_filter_finds_every_duplicate)
{
	drive(150000, 150000);
}

/*
 * The smallest filter, saturated: many suspects, held records spill to
 * the temporary file, settles are forced by the bounds.
 */
TEST(saturated_filter_finds_every_duplicate)
{
	drive(120000, 1);
}

/*
 * Read first: pass 1 adds every id, pass 2 asks for each the same way;
 * the answers are exact and nothing is held. ids(i) gives line i's id.
 */
static void
drive_pre(unsigned long n, size_t mem, unsigned long (*ids)(unsigned long))
{
	struct idset *s = idset_new();
	unsigned char *seen = calloc(n + 2, 1);
	char id[32];
	unsigned long i, k, ndup = 0, got = 0, wrong = 0;
	int rc;

	CHECK(s != NULL && seen != NULL);
	if (s == NULL || seen == NULL)
		goto out;
	if (mem)
		idset_pre_mem(s, mem);
	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof(id), "SKU-%lu", ids(i));
		CHECK_EQ_INT(idset_pre_add(s, id, strlen(id), i), 0);
	}
	CHECK_EQ_INT(idset_pre_done(s), 0);
	for (i = 1; i <= n; i++) {
		k = ids(i);
		snprintf(id, sizeof(id), "SKU-%lu", k);
		rc = idset_add(s, id, strlen(id), i);
		if (rc == IDSET_DUP)
			got++;
		if (rc != (seen[k] ? IDSET_DUP : IDSET_NEW))
			wrong++;
		if (seen[k])
			ndup++;
		seen[k] = 1;
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(got, ndup);
	CHECK_EQ_INT(idset_holding(s), 0);
out:
	idset_free(s);
	free(seen);
}

static unsigned long
one_id(unsigned long i)
{
	(void)i;
	return 7;
}

/* 150k ids, parts sorted in memory as they come. */
TEST(read_first_finds_every_duplicate)
{
	drive_pre(150000, 0, id_of);
}

/* Parts of 4 kB at most: every part is split, some twice. */
TEST(read_first_splits_large_parts)
{
	drive_pre(150000, 4096, id_of);
}

/* One id on every line: no split separates them; read as one run. */
TEST(read_first_one_id_everywhere)
{
	drive_pre(20000, 4096, one_id);
}

/* Within the exact table: answered at once, nothing held. */
TEST(exact_table_answers_at_once)
{
	struct idset *s = idset_new();

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(idset_add(s, "A", 1, 1), IDSET_NEW);
	CHECK_EQ_INT(idset_add(s, "B", 1, 2), IDSET_NEW);
	CHECK_EQ_INT(idset_add(s, "A", 1, 3), IDSET_DUP);
	CHECK_EQ_INT(idset_add(s, "a", 1, 4), IDSET_NEW);
	CHECK_EQ_INT(idset_holding(s), 0);
	idset_free(s);
}

TEST(id_too_long_is_refused)
{
	struct idset *s = idset_new();
	char id[IDSET_ID_MAX + 2];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	memset(id, 'x', sizeof(id));
	CHECK_EQ_INT(idset_add(s, id, IDSET_ID_MAX, 1), IDSET_NEW);
	errno = 0;
	CHECK_EQ_INT(idset_add(s, id, IDSET_ID_MAX + 1, 2), -1);
	CHECK_EQ_INT(errno, EINVAL);
	idset_free(s);
}

int
main(void)
{
	RUN(sized_filter_finds_every_duplicate);
	RUN(saturated_filter_finds_every_duplicate);
	RUN(exact_table_answers_at_once);
	RUN(read_first_finds_every_duplicate);
	RUN(read_first_splits_large_parts);
	RUN(read_first_one_id_everywhere);
	RUN(id_too_long_is_refused);
	return unit_summary();
}
