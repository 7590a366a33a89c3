/*
 * fuzz_docs: the rules and suppliers docs (lib/docs.h) on any bytes, read
 * from a stream as a fetched doc is. The input is loaded as a rules doc
 * twice into the same struct docs (the second load merges), and as a
 * suppliers doc once with a remote name (templates resolve to URIs, no
 * file is touched) and once with a local name in a directory that does
 * not exist (templates are looked up and not found). Properties: loading
 * succeeds, every warning names a line of the input, what is kept is
 * within the documented ranges, and every section found can be looked up.
 */
#include <strings.h>

#include "dec.h"
#include "docs.h"
#include "fuzz.h"

struct ctx {
	unsigned long	 lines;
	int		 nwarn;
};

static void
warned(void *arg, const char *source, unsigned long line, const char *msg)
{
	struct ctx *c = arg;

	FUZZ_CHECK(source != NULL && msg != NULL && msg[0] != '\0');
	FUZZ_CHECK(line >= 1 && line <= c->lines);
	FUZZ_CHECK(strlen(msg) < 512);
	c->nwarn++;
}

static void
num_ok(const struct docs_num *n, unsigned long lines, long long min)
{
	if (!n->set)
		return;
	FUZZ_CHECK(n->v >= min && n->v <= DOCS_COUNT_MAX);
	FUZZ_CHECK(n->line >= 1 && n->line <= lines);
}

static void
rules_ok(const struct docs_rules *r, unsigned long lines)
{
	const char *p;

	if (r == NULL)
		return;
	FUZZ_CHECK(r->line >= 1 && r->line <= lines);
	num_ok(&r->buffer, lines, 0);
	num_ok(&r->point_override, lines, 0);
	num_ok(&r->order_cap, lines, 0);
	num_ok(&r->lead_time_days, lines, 0);
	num_ok(&r->pack_size, lines, 1);
	num_ok(&r->min_order, lines, 0);
	if (r->supplier != NULL)
		for (p = r->supplier; *p; p++)
			FUZZ_CHECK(*p < 'A' || *p > 'Z');
}

static void
supplier_ok(const struct docs_supplier *s, unsigned long lines)
{
	const char *p;

	FUZZ_CHECK(s->line >= 1 && s->line <= lines);
	for (p = s->key; *p; p++)
		FUZZ_CHECK(*p < 'A' || *p > 'Z');
	if (s->currency != NULL) {
		FUZZ_CHECK(strlen(s->currency) == 3);
		for (p = s->currency; *p; p++)
			FUZZ_CHECK(*p >= 'A' && *p <= 'Z');
	}
	if (s->email != NULL)
		FUZZ_CHECK(strchr(s->email, '@') != NULL);
	num_ok(&s->lead_time_days, lines, 0);
	num_ok(&s->min_order, lines, 0);
	num_ok(&s->pack_size, lines, 1);
}

/*
 * The names the input could have put in section headers: each line's
 * text after the first blank up to the first ']' (a probe, not a parser:
 * a miss proves nothing, a hit must be consistent).
 */
static void
probe(const struct docs *d, const uint8_t *data, size_t size,
    unsigned long lines)
{
	const char *s = (const char *)data, *end = s + size, *nl, *b, *e;
	const struct docs_rules *r;
	const struct docs_supplier *sp;
	char name[128];
	size_t n;

	for (; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if ((b = memchr(s, ' ', (size_t)(nl - s))) == NULL ||
		    (e = memchr(b, ']', (size_t)(nl - b))) == NULL)
			continue;
		n = (size_t)(e - b - 1);
		if (n == 0 || n >= sizeof(name))
			continue;
		memcpy(name, b + 1, n);
		name[n] = '\0';
		if ((r = docs_item(d, name)) != NULL) {
			FUZZ_CHECK(r->item_id != NULL &&
			    strcmp(r->item_id, name) == 0);
			rules_ok(r, lines);
		}
		if ((sp = docs_supplier(d, name)) != NULL) {
			FUZZ_CHECK(strcasecmp(sp->key, name) == 0);
			supplier_ok(sp, lines);
		}
	}
}

static void
load(const uint8_t *data, size_t size, int suppliers, const char *source)
{
	struct ctx c = { 1, 0 };
	struct docs_warner w = { warned, &c };
	struct docs *d;
	FILE *fp;
	size_t i;
	int rounds = suppliers ? 1 : 2, k;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			c.lines++;
	FUZZ_CHECK((d = docs_new()) != NULL);
	for (k = 0; k < rounds; k++) {
		fp = fuzz_file(data, size);
		FUZZ_CHECK((suppliers ? docs_load_suppliers_fp(d, fp, source,
		    &w) : docs_load_rules_fp(d, fp, source, &w)) == 0);
		fclose(fp);
	}
	FUZZ_CHECK(strcmp(suppliers ? docs_suppliers_source(d) :
	    docs_rules_source(d), source) == 0);
	rules_ok(docs_default(d), c.lines);
	if (suppliers)
		FUZZ_CHECK(docs_default(d) == NULL);
	else
		FUZZ_CHECK(!docs_has_suppliers(d));
	probe(d, data, size, c.lines);
	docs_free(d);
}

/* The value parsers on the first line. */
static void
values(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *s = fuzz_str(data, nl ? (size_t)(nl - data) : size);
	long long v;
	int64_t f;

	if (docs_parse_count(s, &v) == 0)
		FUZZ_CHECK(v >= 0 && v <= DOCS_COUNT_MAX);
	if (docs_parse_fraction(s, &f) == 0)
		FUZZ_CHECK(f >= 0);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size, 0, "/nonexistent.fuzz/rules.txt");
	load(data, size, 1, "s3://fuzz/suppliers.txt");
	load(data, size, 1, "/nonexistent.fuzz/suppliers.txt");
	values(data, size);
	return 0;
}
