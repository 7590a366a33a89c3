/*
 * gen: a realistic stock sheet of N rows from a seed, for make bench.
 *
 * Writes into DIR:
 *   stock.csv      the sheet, with the column names a spreadsheet has
 *                  ("Item ID", "On Hand", ...), names that need CSV quoting
 *                  (commas, double quotes, now and then a line break),
 *                  empty optional columns, mixed-case supplier keys, an
 *                  extra "Shelf" column that passes through, and about one
 *                  row in ten at or below its reorder point;
 *   rules.txt      a rules doc: [default] buffer and supplier, and a few
 *                  [item SKU] sections that beat the sheet;
 *   suppliers.txt  a suppliers doc with lead times, packs and minimums;
 *   policy.json    the same figures as one JSON object, for the baselines
 *                  (jq, Miller, Python), as a user would copy them by hand;
 *   expected.tsv   item_id, move and point of every row that needs an
 *                  order, computed here in integers (rules.md), unsorted.
 *
 * The same seed and N give the same bytes. Fast enough for 10M rows (one
 * pass, no allocation per row).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_BUFFER	1
#define DEFAULT_LEAD	7
#define NOVERRIDE	100	/* [item] sections in the rules doc */

struct supplier {
	const char	*key;		/* as in the doc */
	const char	*sheet;		/* as the sheet spells it */
	const char	*name;
	int		 lead;		/* -1: the built-in default */
	int		 pack, min;
};

static const struct supplier suppliers[] = {
	{ "acme", "acme", "Acme Wholesale", 5, 1, 0 },
	{ "beanco", "BeanCo", "BeanCo Roasters", 3, 1, 0 },
	{ "dairyfresh", "dairyfresh", "DairyFresh Distributors", 2, 6, 12 },
	{ "paperworks", "PaperWorks", "PaperWorks Ltd", 10, 50, 100 },
	{ "teahouse", "teahouse", "The Tea House", 14, 1, 0 },
	{ "syrupco", "SyrupCo", "SyrupCo Asia", 6, 6, 24 },
	{ "cleanpro", "cleanpro", "CleanPro Supplies", -1, 1, 0 },
	{ "bakerstreet", "BakerStreet", "Baker Street Bakery", 1, 12, 0 },
};
#define NSUP	(sizeof(suppliers) / sizeof(suppliers[0]))

static const char *const prefixes[] = {
	"CF", "TEA", "MLK", "SYR", "PW", "SNK", "CLN", "BAK"
};

/* Names: some need quoting for a comma or a double quote. */
static const char *const names[] = {
	"Espresso blend 1 kg",
	"Single origin, Ethiopia Guji 1 kg",
	"Decaf espresso 1 kg",
	"Oat milk 1 L",
	"Cup 12\" lid, black",
	"Vanilla syrup 750 ml",
	"Paper cup 8oz",
	"Almond croissant",
	"Earl Grey, loose leaf 500 g",
	"Bin liner roll",
	"Hot chocolate powder 2 kg",
	"Napkins \"eco\" 500 pack",
	"Sugar sticks",
	"Matcha, ceremonial grade 100 g",
	"Cleaning tablets",
	"Banana bread loaf",
};
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static uint64_t rng;

/* splitmix64: small, fast and good enough for test data. */
static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static unsigned
pick(unsigned n)
{
	return (unsigned)(next() % n);
}

/* 1 with probability pct/100. */
static int
chance(unsigned pct)
{
	return pick(1000) < pct * 10;
}

/* The item id of row i: unique, since i -> i * odd is a bijection. */
static void
item_id(unsigned long i, uint32_t mix, char *dst, size_t sz)
{
	uint32_t h = (uint32_t)i * 0x9e3779b1u ^ mix;

	snprintf(dst, sz, "%s-%08X", prefixes[i % 8], (unsigned)h);
}

/* The rows of the rules doc's [item] sections: every stride-th row. */
static unsigned long
override_stride(unsigned long n)
{
	unsigned long k = n / 10 < NOVERRIDE ? n / 10 : NOVERRIDE;

	return k ? n / k : 0;
}

/*
 * What an [item] section sets for row i: 0 point, 1 lead time, 2 buffer;
 * -1 for a row without one. The k-th section is row k * stride +
 * stride / 2 + k % 4, so the prefixes and the values vary.
 */
static int
override_kind(unsigned long i, unsigned long stride)
{
	unsigned long k;

	if (stride < 10)
		return -1;
	k = i / stride;
	if (i % stride != stride / 2 + k % 4)
		return -1;
	return (int)(k % 3);
}

static int
override_value(unsigned long i, unsigned long stride, int kind)
{
	unsigned long k = i / stride;

	switch (kind) {
	case 0:	 return (int)(k % 40) + 5;	/* point */
	case 1:	 return (int)(k % 20) + 2;	/* lead time */
	default: return (int)(k % 6);		/* buffer */
	}
}

/* Writes a CSV field, quoted when it needs to be. */
static void
put_field(FILE *fp, const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, fp);
		return;
	}
	putc('"', fp);
	for (p = s; *p; p++) {
		if (*p == '"')
			putc('"', fp);
		putc(*p, fp);
	}
	putc('"', fp);
}

static FILE *
create(const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(73);
	}
	return fp;
}

static int
finish(FILE *fp, const char *name)
{
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF) {
		fprintf(stderr, "gen: %s: write error\n", name);
		return 74;
	}
	return 0;
}

static int
write_docs(const char *dir, unsigned long n, uint32_t mix)
{
	static const char *const kname[] = { "point", "lead time", "buffer" };
	static const char *const kunit[] = { " units", " days", " units" };
	static const char *const kjson[] = { "point", "lead", "buffer" };
	FILE *r, *s, *p;
	unsigned long i, stride = override_stride(n);
	char id[32];
	size_t k;
	int kind, first = 1, rc;

	r = create(dir, "rules.txt");
	fprintf(r, "# Reorder rules for the benchmark shop (bench/gen).\n\n"
	    "[default]\n# One unit of safety stock unless the sheet says.\n"
	    "buffer: %d unit\nsupplier: acme\n", DEFAULT_BUFFER);
	p = create(dir, "policy.json");
	fprintf(p, "{\"default_buffer\":%d,\"default_lead\":%d,"
	    "\"default_supplier\":\"acme\",\"supplier_lead\":{",
	    DEFAULT_BUFFER, DEFAULT_LEAD);
	for (k = 0; k < NSUP; k++)
		if (suppliers[k].lead >= 0) {
			fprintf(p, "%s\"%s\":%d", first ? "" : ",",
			    suppliers[k].key, suppliers[k].lead);
			first = 0;
		}
	fprintf(p, "},\"item\":{");
	first = 1;
	for (i = 0; stride && i < n; i++) {
		if ((kind = override_kind(i, stride)) < 0)
			continue;
		item_id(i, mix, id, sizeof(id));
		fprintf(r, "\n[item %s]\n%s: %d%s\n", id, kname[kind],
		    override_value(i, stride, kind), kunit[kind]);
		fprintf(p, "%s\"%s\":{\"%s\":%d}", first ? "" : ",", id,
		    kjson[kind], override_value(i, stride, kind));
		first = 0;
	}
	fprintf(p, "}}\n");
	s = create(dir, "suppliers.txt");
	fprintf(s, "# Who the benchmark shop buys from (bench/gen).\n");
	for (k = 0; k < NSUP; k++) {
		fprintf(s, "\n[supplier %s]\nname: %s\nemail: orders@%s."
		    "example.com\n", suppliers[k].key, suppliers[k].name,
		    suppliers[k].key);
		if (suppliers[k].lead >= 0)
			fprintf(s, "lead time: %d days\n", suppliers[k].lead);
		fprintf(s, "pack: %d\nminimum order: %d units\ncurrency: SGD\n",
		    suppliers[k].pack, suppliers[k].min);
	}
	rc = finish(r, "rules.txt");
	if (finish(s, "suppliers.txt") || finish(p, "policy.json"))
		rc = 74;
	return rc;
}

/* One row: the sheet's cells, and its move for expected.tsv. */
static void
write_row(FILE *fp, FILE *ex, unsigned long i, unsigned long stride,
    uint32_t mix)
{
	static const int packs[] = { 1, 6, 12, 24, 50 };
	static const int mins[] = { 0, 12, 24, 48 };
	const struct supplier *sup;
	char id[32], name[96], cell[32];
	long long rate_milli = 0, point, on_hand, lead, buffer, lo;
	int has_lead, has_buffer, has_over, over = 0, kind, sup_empty;
	unsigned d;

	item_id(i, mix, id, sizeof(id));
	if (chance(1) && pick(20) == 0)	/* 1 in 2000: an Alt-Enter */
		snprintf(name, sizeof(name), "Gift box %lu\nassorted", i);
	else
		snprintf(name, sizeof(name), "%s #%lu", names[pick(NNAMES)], i);

	/* rate: empty 10%, "0" 5%, else up to three decimals */
	d = pick(100);
	if (d >= 15) {
		rate_milli = pick(20) * 1000;
		switch (pick(4)) {
		case 0:	break;
		case 1:	rate_milli += pick(10) * 100; break;
		case 2:	rate_milli += pick(100) * 10; break;
		default: rate_milli += pick(1000); break;
		}
	}
	sup_empty = chance(5);
	sup = &suppliers[pick(NSUP)];
	if (sup_empty)
		sup = &suppliers[0];	/* the rules doc's default */
	has_lead = !chance(40);
	lead = has_lead ? 1 + (long long)pick(30) : sup->lead >= 0 ? sup->lead :
	    DEFAULT_LEAD;
	has_buffer = !chance(50);
	buffer = has_buffer ? (long long)pick(11) : DEFAULT_BUFFER;
	has_over = chance(3);
	if (has_over)
		over = (int)pick(51);
	if ((kind = override_kind(i, stride)) == 0) {
		has_over = 1;	/* the doc's point beats the sheet's */
		over = override_value(i, stride, kind);
	} else if (kind == 1)
		lead = override_value(i, stride, kind);
	else if (kind == 2)
		buffer = override_value(i, stride, kind);
	point = has_over ? over : (rate_milli * lead + 999) / 1000 + buffer;

	/* about one row in ten at or below its point */
	if (point > 0 && chance(10)) {
		lo = (buffer < point ? buffer : point) - 3;
		on_hand = lo + pick((unsigned)(point - lo + 1));
	} else
		on_hand = point + 1 + pick((unsigned)(point + 20));

	put_field(fp, id);
	putc(',', fp);
	put_field(fp, name);
	fprintf(fp, ",%lld,", on_hand);
	if (d >= 10) {
		if (rate_milli % 1000 == 0)
			fprintf(fp, "%lld", rate_milli / 1000);
		else if (rate_milli % 100 == 0)
			fprintf(fp, "%lld.%lld", rate_milli / 1000,
			    rate_milli % 1000 / 100);
		else if (rate_milli % 10 == 0)
			fprintf(fp, "%lld.%02lld", rate_milli / 1000,
			    rate_milli % 1000 / 10);
		else
			fprintf(fp, "%lld.%03lld", rate_milli / 1000,
			    rate_milli % 1000);
	}
	putc(',', fp);
	if (has_lead)
		fprintf(fp, "%lld", kind == 1 ? (long long)1 + pick(30) : lead);
	putc(',', fp);
	if (has_buffer)
		fprintf(fp, "%lld", kind == 2 ? (long long)pick(11) : buffer);
	putc(',', fp);
	if (has_over && kind != 0)
		fprintf(fp, "%d", over);
	putc(',', fp);
	if (!sup_empty)
		fputs(sup->sheet, fp);
	putc(',', fp);
	if (chance(50))
		fprintf(fp, "%d", packs[pick(5)]);
	putc(',', fp);
	if (chance(30))
		fprintf(fp, "%d", mins[pick(4)]);
	putc(',', fp);
	if (!chance(10))
		fprintf(fp, "%u.%02u", 1 + pick(80), pick(100));
	putc(',', fp);
	if (!chance(30)) {
		snprintf(cell, sizeof(cell), "%c%u", 'A' + pick(6),
		    1 + pick(9));
		fputs(cell, fp);
	}
	putc('\n', fp);

	/* rules.md: stocked at point 0, then urgent, then reorder */
	if (point > 0 && (on_hand <= buffer || on_hand <= point))
		fprintf(ex, "%s\t%s\t%lld\n", id, on_hand <= buffer ?
		    "urgent_reorder" : "reorder", point);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen -n ROWS [-s SEED] DIR\n");
	exit(64);
}

int
main(int argc, char *argv[])
{
	FILE *fp, *ex;
	unsigned long n = 0, i, stride;
	unsigned long long seed = 1;
	char *end;
	uint32_t mix;
	int ch, rc;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || n == 0)
				usage();
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno || *end)
				usage();
			break;
		default:
			usage();
		}
	}
	if (n == 0 || argc - optind != 1)
		usage();
	rng = seed;
	mix = (uint32_t)next();
	if ((rc = write_docs(argv[optind], n, mix)) != 0)
		return rc;
	fp = create(argv[optind], "stock.csv");
	ex = create(argv[optind], "expected.tsv");
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	fputs("Item ID,Name,On Hand,Rate,Lead Time Days,Buffer,Point Override,"
	    "Supplier,Pack Size,Min Order,Unit Cost,Shelf\n", fp);
	stride = override_stride(n);
	for (i = 0; i < n; i++)
		write_row(fp, ex, i, stride, mix);
	rc = finish(fp, "stock.csv");
	if (finish(ex, "expected.tsv"))
		rc = 74;
	return rc;
}
