/*
 * test_docs: the rules doc and suppliers doc parser. Docs are written to a
 * scratch directory (templates resolve next to them); warnings are
 * collected as "line: message" lines and compared whole.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "docs.h"
#include "unit.h"

static char tmpdir[64];
static struct buf warnings;
static char *made[16];		/* files put_file() made, to remove */
static size_t nmade;

static void
collect(void *ctx, const char *source, unsigned long line, const char *msg)
{
	struct buf *b = ctx;

	buf_addf(b, "%lu: %s\n", line, msg);
}

static const struct docs_warner warner = { collect, &warnings };

/* Writes s to tmpdir/name; returns the path in a static buffer. */
static const char *
put_file(const char *name, const char *s)
{
	static char path[128];
	FILE *fp;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return path;
	for (i = 0; i < nmade && strcmp(made[i], path) != 0; i++)
		;
	if (i == nmade && nmade < sizeof(made) / sizeof(made[0]))
		made[nmade++] = strdup(path);
	fputs(s, fp);
	fclose(fp);
	return path;
}

/* A fresh docs with the rules doc s loaded; warnings in `warnings`. */
static struct docs *
rules_doc(const char *s)
{
	struct docs *d = docs_new();

	buf_reset(&warnings);
	if (d != NULL && docs_load_rules(d, put_file("rules.txt", s),
	    &warner) == -1)
		buf_adds(&warnings, "LOAD FAILED\n");
	return d;
}

static struct docs *
suppliers_doc(const char *s)
{
	struct docs *d = docs_new();

	buf_reset(&warnings);
	if (d != NULL && docs_load_suppliers(d, put_file("suppliers.txt", s),
	    &warner) == -1)
		buf_adds(&warnings, "LOAD FAILED\n");
	return d;
}

/* Removes the scratch directory and what the tests put in it. */
static void
cleanup(void)
{
	char sub[128];

	while (nmade > 0) {
		unlink(made[--nmade]);
		free(made[nmade]);
	}
	snprintf(sub, sizeof(sub), "%s/tpl", tmpdir);
	rmdir(sub);
	rmdir(tmpdir);
}

static const char *
warned(void)
{
	return warnings.p ? warnings.p : "";
}

TEST(rules_basic)
{
	struct docs *d = rules_doc(
	    "# Reorder rules for the shop\n"
	    "[default]\n"
	    "buffer: 4\n"
	    "lead time: 7 days\n"
	    "\n"
	    "[item A-100]\n"
	    "buffer = 10 units\n"
	    "point: 20\n"
	    "cap: 500\n"
	    "pack: 12 per pack\n"
	    "moq: 48\n"
	    "supplier: Acme\n"
	    "[item a-100]\n"
	    "max order: 30\n");
	const struct docs_rules *r;

	CHECK_EQ_STR(warned(), "");
	CHECK(docs_rules_source(d) != NULL &&
	    strncmp(docs_rules_source(d), tmpdir, strlen(tmpdir)) == 0 &&
	    strcmp(docs_rules_source(d) + strlen(tmpdir), "/rules.txt") == 0);
	CHECK(docs_suppliers_source(d) == NULL);
	CHECK(!docs_has_suppliers(d));

	r = docs_default(d);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(r->item_id == NULL);
		CHECK_EQ_INT(r->line, 2);
		CHECK_EQ_INT(r->buffer.set, 1);
		CHECK_EQ_INT(r->buffer.v, 4);
		CHECK_EQ_INT(r->buffer.line, 3);
		CHECK_EQ_INT(r->lead_time_days.v, 7);
		CHECK_EQ_INT(r->lead_time_days.line, 4);
		CHECK_EQ_INT(r->point_override.set, 0);
		CHECK(r->supplier == NULL);
	}
	r = docs_item(d, "A-100");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_EQ_STR(r->item_id, "A-100");
		CHECK_EQ_INT(r->line, 6);
		CHECK_EQ_INT(r->buffer.v, 10);
		CHECK_EQ_INT(r->point_override.v, 20);
		CHECK_EQ_INT(r->order_cap.v, 500);
		CHECK_EQ_INT(r->pack_size.v, 12);
		CHECK_EQ_INT(r->min_order.v, 48);
		CHECK_EQ_INT(r->min_order.line, 11);
		CHECK_EQ_STR(r->supplier, "acme");
		CHECK_EQ_INT(r->supplier_line, 12);
		CHECK_EQ_INT(r->lead_time_days.set, 0);
	}
	/* SKUs are case-sensitive. */
	r = docs_item(d, "a-100");
	CHECK(r != NULL && r->order_cap.v == 30 && !r->buffer.set);
	CHECK(docs_item(d, "A-101") == NULL);
	CHECK(docs_item(d, "") == NULL);
	docs_free(d);
}

TEST(aliases)
{
	static const struct {
		const char	*key;
		size_t		 field;
	} t[] = {
#define F(name)	offsetof(struct docs_rules, name)
		{ "buffer", F(buffer) }, { "Buffer", F(buffer) },
		{ "point_override", F(point_override) },
		{ "point override", F(point_override) },
		{ "point", F(point_override) },
		{ "reorder point", F(point_override) },
		{ "Reorder-Point", F(point_override) },
		{ "order_cap", F(order_cap) }, { "cap", F(order_cap) },
		{ "max order", F(order_cap) },
		{ "lead_time_days", F(lead_time_days) },
		{ "lead time", F(lead_time_days) },
		{ "Lead-Time", F(lead_time_days) },
		{ "lead", F(lead_time_days) },
		{ "pack_size", F(pack_size) }, { "pack size", F(pack_size) },
		{ "pack", F(pack_size) },
		{ "min_order", F(min_order) },
		{ "minimum order", F(min_order) },
		{ "min order", F(min_order) }, { "moq", F(min_order) },
		{ "MOQ", F(min_order) }, { "minimum", F(min_order) },
#undef F
	};
	const struct docs_rules *r;
	const struct docs_num *num;
	struct docs *d;
	char doc[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(doc, sizeof(doc), "[item X]\n  %s :  3\n", t[i].key);
		d = rules_doc(doc);
		r = docs_item(d, "X");
		CHECK(r != NULL);
		if (r == NULL) {
			docs_free(d);
			continue;
		}
		num = (const struct docs_num *)(const void *)
		    ((const char *)r + t[i].field);
		if (!num->set || num->v != 3 || num->line != 2 ||
		    *warned() != '\0') {
			fprintf(stderr, "alias \"%s\": %s", t[i].key,
			    warned());
			CHECK(0);
		}
		docs_free(d);
	}
}

TEST(suppliers_keys)
{
	struct docs *d;
	const struct docs_supplier *s;

	put_file("acme.txt", "Dear {name}\n");
	d = suppliers_doc(
	    "[supplier Acme]\n"
	    "name: Acme Tools Ltd\n"
	    "email: orders@acme.example\n"
	    "lead time: 2 weeks\n"
	    "minimum order: 48 units\n"
	    "pack: 12\n"
	    "currency: usd\n"
	    "template: acme.txt\n"
	    "\n"
	    "[supplier bolt co]\n"
	    "min order: 10\n"
	    "lead: 3 days\n"
	    "pack_size: 6 per box\n");
	CHECK_EQ_STR(warned(), "");
	CHECK(docs_has_suppliers(d));
	CHECK(strstr(docs_suppliers_source(d), "suppliers.txt") != NULL);
	s = docs_supplier(d, "acme");
	CHECK(s != NULL);
	CHECK(s == docs_supplier(d, "ACME"));
	if (s != NULL) {
		CHECK_EQ_STR(s->key, "acme");
		CHECK_EQ_INT(s->line, 1);
		CHECK_EQ_STR(s->name, "Acme Tools Ltd");
		CHECK_EQ_STR(s->email, "orders@acme.example");
		CHECK_EQ_INT(s->lead_time_days.v, 14);
		CHECK_EQ_INT(s->lead_time_days.line, 4);
		CHECK_EQ_INT(s->min_order.v, 48);
		CHECK_EQ_INT(s->pack_size.v, 12);
		CHECK_EQ_STR(s->currency, "USD");
		CHECK(s->template_path != NULL &&
		    strcmp(s->template_path, put_file("acme.txt",
		    "Dear {name}\n")) == 0);
	}
	s = docs_supplier(d, "Bolt Co");
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_EQ_STR(s->key, "bolt co");
		CHECK(s->name == NULL && s->email == NULL &&
		    s->currency == NULL && s->template_path == NULL);
		CHECK_EQ_INT(s->min_order.v, 10);
		CHECK_EQ_INT(s->lead_time_days.v, 3);
		CHECK_EQ_INT(s->pack_size.v, 6);
	}
	CHECK(docs_supplier(d, "bolt") == NULL);
	CHECK(docs_item(d, "acme") == NULL);
	CHECK(docs_default(d) == NULL);
	docs_free(d);
}

TEST(counts)
{
	static const struct {
		const char	*s;
		long long	 v;		/* -1: rejected */
	} t[] = {
		{ "5", 5 }, { " 7 ", 7 }, { "0", 0 }, { "+3", 3 },
		{ "5 days", 5 }, { "5 day", 5 }, { "5days", 5 },
		{ "5 Days", 5 }, { "5d", 5 },
		{ "1 week", 7 }, { "2 weeks", 14 }, { "3 wks", 21 },
		{ "48 units", 48 }, { "1 unit", 1 }, { "10 pcs", 10 },
		{ "12 per pack", 12 }, { "12 units per pack", 12 },
		{ "12/pack", 12 }, { "12 units/pack", 12 },
		{ "12 in a pack", 12 }, { "24 per case", 24 },
		{ "12 pack", 12 },
		{ "5.0", 5 }, { "5.", 5 }, { "-0", 0 },
		{ "1000000000", 1000000000 },
		{ "5.5", -1 }, { "-1", -1 }, { "soon", -1 }, { "", -1 },
		{ "days", -1 }, { "5 dayz", -1 }, { "1e3", -1 },
		{ "1,000", -1 }, { "5 days 2", -1 }, { "12 per", -1 },
		{ "1000000001", -1 }, { "99999999999999999999999", -1 },
		{ "200000000 weeks", -1 }, { ".5", -1 }, { "-", -1 },
	};
	long long v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = -42;
		r = docs_parse_count(t[i].s, &v);
		if (t[i].v < 0 ? r != -1 : (r != 0 || v != t[i].v)) {
			fprintf(stderr, "count \"%s\": %d %lld\n", t[i].s, r,
			    v);
			CHECK(0);
		}
	}
}

TEST(count_units_by_key)
{
	struct docs *d = rules_doc(
	    "[item X]\n"
	    "buffer: 2 weeks\n"
	    "lead time: 48 units\n"
	    "pack: 0\n"
	    "lead time: -3 days\n"
	    "min order: 2.5\n"
	    "cap: 12 per pack\n"
	    "pack: many\n"
	    "buffer: 5000000000\n"
	    "pack: 1 pack\n"
	    "pack: 6 units\n"
	    "lead: 1 week\n");
	const struct docs_rules *r = docs_item(d, "X");

	CHECK_EQ_STR(warned(),
	    "2: buffer: \"2 weeks\" is not a number of units (ignored)\n"
	    "3: lead time: \"48 units\" is not a number of days (ignored)\n"
	    "4: pack: \"0\" must be at least 1 (ignored)\n"
	    "5: lead time: \"-3 days\" cannot be negative (ignored)\n"
	    "6: min order: \"2.5\" is not a whole number (ignored)\n"
	    "7: cap: \"12 per pack\" is not a number of units (ignored)\n"
	    "8: pack: \"many\" is not a number of units per pack (ignored)\n"
	    "9: buffer: \"5000000000\" is too large (ignored)\n"
	    "11: pack: set again (first on line 10); this line wins\n");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_EQ_INT(r->buffer.set, 0);
		CHECK_EQ_INT(r->min_order.set, 0);
		CHECK_EQ_INT(r->pack_size.v, 6);
		CHECK_EQ_INT(r->pack_size.line, 11);
		CHECK_EQ_INT(r->lead_time_days.v, 7);
		CHECK_EQ_INT(r->lead_time_days.line, 12);
	}
	docs_free(d);
}

TEST(fractions)
{
	static const struct {
		const char	*s;
		int64_t		 v;		/* -1: rejected */
	} t[] = {
		{ "25%", 250000000 }, { "0.25", 250000000 },
		{ "25 %", 250000000 }, { ".25", 250000000 },
		{ " 25% ", 250000000 }, { "25 percent", 250000000 },
		{ "12.5%", 125000000 }, { "100%", DEC_SCALE },
		{ "0", 0 }, { "0%", 0 }, { "1.5", 1500000000 },
		{ "150%", 1500000000 }, { "1", DEC_SCALE },
		{ "0.000000001", 1 }, { "0.0000001%", 1 },
		{ "0.1234567894", 123456789 }, { "0.1234567895", 123456790 },
		{ "33.3333333%", 333333333 }, { "+5%", 50000000 },
		{ "", -1 }, { "%", -1 }, { "-5%", -1 }, { "abc", -1 },
		{ "25%%", -1 }, { "0.25x", -1 }, { "25 per cent", -1 },
		{ ".", -1 }, { "1e-2", -1 },
		{ "99999999999999999999", -1 }, { "9300000000", -1 },
	};
	int64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = -42;
		r = docs_parse_fraction(t[i].s, &v);
		if (t[i].v < 0 ? r != -1 : (r != 0 || v != t[i].v)) {
			fprintf(stderr, "fraction \"%s\": %d %lld\n", t[i].s,
			    r, (long long)v);
			CHECK(0);
		}
	}
}

TEST(comments_and_quotes)
{
	struct docs *d;
	const struct docs_rules *r;
	const struct docs_supplier *s;

	d = rules_doc(
	    "# whole line\n"
	    "   # indented comment\n"
	    "[item #123]   # a SKU with a hash\n"
	    "buffer: 5 # safety stock\n"
	    "supplier: acme#2\n"
	    "[item A]B] # a bracket in the SKU\n"
	    "point: \"7\"\n"
	    "[ item   spaced sku  ]\n"
	    "cap: '9' # quoted\n");
	CHECK_EQ_STR(warned(), "");
	r = docs_item(d, "#123");
	CHECK(r != NULL && r->buffer.v == 5 && r->line == 3);
	CHECK(r != NULL && r->supplier != NULL &&
	    strcmp(r->supplier, "acme#2") == 0);
	r = docs_item(d, "A]B");
	CHECK(r != NULL && r->point_override.v == 7);
	r = docs_item(d, "spaced sku");
	CHECK(r != NULL && r->order_cap.v == 9);
	docs_free(d);

	d = suppliers_doc(
	    "[supplier acme]\n"
	    "name: \"Bob's # 1 Shop\"  # the quotes keep the hash\n"
	    "email: \"orders@acme.example\"\n"
	    "[supplier b]\n"
	    "name: \xe2\x80\x9c" "Curly\xe2\x80\x9d\n"
	    "[supplier c]\n"
	    "name:   plain   words   \n"
	    "[supplier d]\n"
	    "name: 'Mismatched\"\n");
	CHECK_EQ_STR(warned(), "");
	s = docs_supplier(d, "acme");
	CHECK(s != NULL && s->name && strcmp(s->name, "Bob's # 1 Shop") == 0);
	CHECK(s != NULL && s->email &&
	    strcmp(s->email, "orders@acme.example") == 0);
	s = docs_supplier(d, "b");
	CHECK(s != NULL && s->name && strcmp(s->name, "Curly") == 0);
	s = docs_supplier(d, "c");
	CHECK(s != NULL && s->name && strcmp(s->name, "plain   words") == 0);
	s = docs_supplier(d, "d");
	CHECK(s != NULL && s->name &&
	    strcmp(s->name, "'Mismatched\"") == 0);
	docs_free(d);
}

TEST(rules_warnings)
{
	struct docs *d = rules_doc(
	    "lead time: 5\n"				/* 1 */
	    "[default]\n"				/* 2 */
	    "colour: blue\n"				/* 3 */
	    "lead time: soon\n"				/* 4 */
	    "just some text\n"				/* 5 */
	    "[widgets]\n"				/* 6 */
	    "buffer: 3\n"				/* 7 */
	    "[default]\n"				/* 8 */
	    "buffer: 2\n"				/* 9 */
	    "buffer: 3\n"				/* 10 */
	    "email: a@b.example\n"			/* 11 */
	    "[supplier acme]\n"				/* 12 */
	    "name: x\n"					/* 13 */
	    "[item]\n"					/* 14 */
	    "[item X\n"					/* 15 */
	    "pack: 0\n"					/* 16 */
	    "[default extra]\n"				/* 17 */
	    "[item Y]\n"				/* 18 */
	    "buffer:\n"					/* 19 */
	    ": 5\n"					/* 20 */
	    "[item Y]\n"				/* 21 */
	    "lead time = 4\n"				/* 22 */
	    "[item Y] trailing\n");			/* 23 */
	const struct docs_rules *r;

	CHECK_EQ_STR(warned(),
	    "1: \"lead time\" is outside any section (put it under "
	    "[default] or [item SKU]); ignored\n"
	    "3: unknown key \"colour\" (ignored)\n"
	    "4: lead time: \"soon\" is not a number of days (ignored)\n"
	    "5: \"just some text\" is not a \"key: value\" line (ignored)\n"
	    "6: unknown section [widgets] (expected [default] or "
	    "[item SKU]); its lines are ignored\n"
	    "8: [default] already appeared on line 2; the two are merged, "
	    "later lines win\n"
	    "10: buffer: set again (first on line 9); this line wins\n"
	    "11: \"email\" is a supplier setting: it belongs in the "
	    "suppliers doc (ignored)\n"
	    "12: [supplier] sections belong in the suppliers doc (its lines "
	    "are ignored)\n"
	    "14: [item] needs a SKU, like [item A-100] (its lines are "
	    "ignored)\n"
	    "15: section header \"[item X\" has no closing \"]\" (its lines "
	    "are ignored)\n"
	    "17: [default] takes no name, not \"extra\" (its lines are "
	    "ignored)\n"
	    "19: buffer: no value (ignored)\n"
	    "20: a value with no key before the \":\" (ignored)\n"
	    "21: [item Y] already appeared on line 18; the two are merged, "
	    "later lines win\n"
	    "23: section header \"[item Y] trailing\" has no closing \"]\" "
	    "(its lines are ignored)\n");
	r = docs_default(d);
	CHECK(r != NULL && r->buffer.v == 3 && r->buffer.line == 10);
	CHECK(r != NULL && !r->lead_time_days.set);
	CHECK(docs_item(d, "X") == NULL);
	r = docs_item(d, "Y");
	CHECK(r != NULL && r->line == 18 && r->lead_time_days.v == 4);
	docs_free(d);
}

TEST(suppliers_warnings)
{
	struct docs *d;
	const struct docs_supplier *s;

	char sub[128];

	put_file("acme.txt", "x\n");
	snprintf(sub, sizeof(sub), "%s/tpl", tmpdir);
	CHECK(mkdir(sub, 0700) == 0);
	put_file("tpl/b.txt", "y\n");
	d = suppliers_doc(
	    "[default]\n"				/* 1 */
	    "buffer: 3\n"				/* 2 */
	    "[supplier]\n"				/* 3 */
	    "[supplier Acme]\n"				/* 4 */
	    "email: orders at acme\n"			/* 5 */
	    "email: a@b@c.example\n"			/* 6 */
	    "email: orders@acme.example\n"		/* 7 */
	    "currency: dollars\n"			/* 8 */
	    "template: missing.txt\n"			/* 9 */
	    "template: ../acme.txt\n"			/* 10 */
	    "template: /etc/passwd\n"			/* 11 */
	    "buffer: 4\n"				/* 12 */
	    "template: acme.txt\n"			/* 13 */
	    "[supplier ACME]\n"				/* 14 */
	    "template: tpl/b.txt\n"			/* 15 */
	    "template: tpl\n"				/* 16 */
	    "[supplier b]\n"				/* 17 */
	    "lead time: soon\n"				/* 18 */
	    "point: 5\n");				/* 19 */
	s = docs_supplier(d, "acme");
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_EQ_STR(s->email, "orders@acme.example");
		CHECK(s->currency == NULL);
		CHECK(s->template_path != NULL &&
		    strstr(s->template_path, "/tpl/b.txt") != NULL &&
		    strncmp(s->template_path, tmpdir, strlen(tmpdir)) == 0);
	}
	{
		struct buf want = { NULL, 0, 0 };

		buf_addf(&want,
		    "1: [default] belongs in the rules doc (its lines are "
		    "ignored)\n"
		    "3: [supplier] needs a key, like [supplier acme] (its "
		    "lines are ignored)\n"
		    "5: email: \"orders at acme\" does not look like an email "
		    "address (ignored)\n"
		    "6: email: \"a@b@c.example\" does not look like an email "
		    "address (ignored)\n"
		    "8: currency: \"dollars\" is not a 3-letter currency code "
		    "like USD or EUR (ignored)\n"
		    "9: template: cannot read \"%s/missing.txt\": No such file "
		    "or directory (the built-in template is used)\n"
		    "10: template: \"../acme.txt\" must be a file next to the "
		    "suppliers doc (ignored; the built-in template is used)\n"
		    "11: template: \"/etc/passwd\" must be a file next to the "
		    "suppliers doc (ignored; the built-in template is used)\n"
		    "12: \"buffer\" is an item setting: it belongs in the "
		    "rules doc (ignored)\n"
		    "14: [supplier acme] already appeared on line 4; the two "
		    "are merged, later lines win\n"
		    "15: template: set again (first on line 13); this line "
		    "wins\n"
		    "16: template: \"%s/tpl\" is not a file (the built-in "
		    "template is used)\n"
		    "18: lead time: \"soon\" is not a number of days "
		    "(ignored)\n"
		    "19: \"point\" is an item setting: it belongs in the rules "
		    "doc (ignored)\n", tmpdir, tmpdir);
		CHECK_EQ_STR(warned(), want.p);
		buf_free(&want);
	}
	docs_free(d);
}

TEST(bom_crlf_bullets)
{
	struct docs *d = rules_doc(
	    "\xef\xbb\xbf[default]\r\n"
	    "- buffer: 2\r\n"
	    "* lead time: 3\r\n"
	    "\xe2\x80\xa2 cap: 4\r\n"
	    "\xc2\xa0pack:\xc2\xa0" "6\xc2\xa0\r\n"
	    "\r\n"
	    "[item Z]\r\n"
	    "moq: 5\r\n");
	const struct docs_rules *r = docs_default(d);

	CHECK_EQ_STR(warned(), "");
	CHECK(r != NULL && r->buffer.v == 2 && r->lead_time_days.v == 3 &&
	    r->order_cap.v == 4 && r->pack_size.v == 6);
	r = docs_item(d, "Z");
	CHECK(r != NULL && r->min_order.v == 5 && r->min_order.line == 8);
	docs_free(d);
}

TEST(bad_lines)
{
	struct buf in = { NULL, 0, 0 };
	struct docs *d;
	size_t i;

	buf_adds(&in, "[item A]\nbuffer: 1\nname: caf\xe9\n# ");
	for (i = 0; i < 5000; i++)
		buf_addc(&in, 'x');
	buf_adds(&in, "\ncap: 2\n");
	d = rules_doc(in.p);
	CHECK_EQ_STR(warned(),
	    "3: not UTF-8 text (line ignored; save the doc as UTF-8)\n"
	    "4: line longer than 4096 bytes (ignored)\n");
	CHECK(docs_item(d, "A") != NULL && docs_item(d, "A")->order_cap.v == 2
	    && docs_item(d, "A")->order_cap.line == 5);
	docs_free(d);
	buf_free(&in);
}

TEST(many_items)
{
	struct buf in = { NULL, 0, 0 };
	const struct docs_rules *r;
	struct docs *d;
	char sku[32];
	int i, bad = 0;

	for (i = 0; i < 20000; i++)
		buf_addf(&in, "[item SKU-%d]\nbuffer: %d\n", i, i % 50);
	d = rules_doc(in.p);
	CHECK_EQ_STR(warned(), "");
	for (i = 0; i < 20000; i++) {
		snprintf(sku, sizeof(sku), "SKU-%d", i);
		r = docs_item(d, sku);
		if (r == NULL || strcmp(r->item_id, sku) != 0 ||
		    r->buffer.v != i % 50 ||
		    r->line != (unsigned long)i * 2 + 1)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(docs_item(d, "SKU-20000") == NULL);
	CHECK(docs_item(d, "sku-1") == NULL);
	docs_free(d);
	buf_free(&in);
}

TEST(unreadable)
{
	struct docs *d = docs_new();
	char path[128];

	snprintf(path, sizeof(path), "%s/no-such-doc.txt", tmpdir);
	errno = 0;
	CHECK_EQ_INT(docs_load_rules(d, path, &warner), -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(docs_rules_source(d) == NULL);
	errno = 0;
	CHECK_EQ_INT(docs_load_suppliers(d, tmpdir, NULL), -1);
	CHECK_EQ_INT(errno, EISDIR);
	CHECK(docs_suppliers_source(d) == NULL);
	CHECK(!docs_has_suppliers(d));
	docs_free(d);
	docs_free(NULL);
}

TEST(no_warner)
{
	struct docs *d = docs_new();

	CHECK_EQ_INT(docs_load_rules(d, put_file("r.txt",
	    "nonsense\n[item Q]\nbuffer: x\ncap: 3\n"), NULL), 0);
	CHECK(docs_item(d, "Q") != NULL && docs_item(d, "Q")->order_cap.v == 3);
	docs_free(d);
}

int
main(void)
{
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_docs.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(rules_basic);
	RUN(aliases);
	RUN(suppliers_keys);
	RUN(counts);
	RUN(count_units_by_key);
	RUN(fractions);
	RUN(comments_and_quotes);
	RUN(rules_warnings);
	RUN(suppliers_warnings);
	RUN(bom_crlf_bullets);
	RUN(bad_lines);
	RUN(many_items);
	RUN(unreadable);
	RUN(no_warner);
	rc = unit_summary();
	buf_free(&warnings);
	cleanup();
	return rc;
}
