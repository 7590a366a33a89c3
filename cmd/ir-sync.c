/*
 * ir-sync: the stock sheet in, item records out.
 *
 * Reads a stock CSV (a path, "-" for stdin, or IR_STOCK), matches its
 * columns (rules.md "Inputs"), and merges each row with the rules doc
 * (--rules / IR_RULES) and the suppliers doc (--suppliers / IR_SUPPLIERS):
 *   rules doc [item] > sheet column > rules doc [default] > supplier's >
 *   built-in default.
 * Writes one "item" record per good row, streaming: memory does not grow
 * with the rows (except 16 bytes per row for the duplicate check). Columns
 * it does not know pass through as strings. A bad row is reported with its
 * line and reason and skipped; the exit status is then 65.
 * --mirror DEST copies the source to DEST only when its content changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "csvin.h"
#include "dec.h"
#include "docs.h"
#include "docsrc.h"
#include "jsonw.h"
#include "log.h"
#include "ndjson.h"

#define ID_MAX	200

enum col {
	C_ITEM_ID, C_NAME, C_ON_HAND, C_RATE, C_LEAD, C_BUFFER, C_POINT,
	C_SUPPLIER, C_PACK, C_UNIT_COST, C_MIN_ORDER, C_CAP, NCOLS
};

/* Column names after csvin_normalize, with their aliases. */
static const struct {
	const char *name;
	int col;
} colnames[] = {
	{ "item_id", C_ITEM_ID }, { "sku", C_ITEM_ID },
	{ "name", C_NAME }, { "description", C_NAME },
	{ "on_hand", C_ON_HAND },
	{ "rate", C_RATE },
	{ "lead_time_days", C_LEAD }, { "lead_time", C_LEAD },
	{ "buffer", C_BUFFER },
	{ "point_override", C_POINT }, { "point", C_POINT },
	{ "supplier", C_SUPPLIER },
	{ "pack_size", C_PACK }, { "pack", C_PACK },
	{ "unit_cost", C_UNIT_COST },
	{ "min_order", C_MIN_ORDER }, { "moq", C_MIN_ORDER },
	{ "minimum_order", C_MIN_ORDER },
	{ "order_cap", C_CAP }, { "cap", C_CAP },
};

/* Output keys an extra column may not take. */
static const char *const reserved[] = {
	"type", "source", "line", "item_id", "name", "on_hand", "rate",
	"lead_time_days", "buffer", "point_override", "supplier", "pack_size",
	"min_order", "order_cap", "unit_cost", "move", "point", NULL
};

struct idset {			/* 64-bit hashes of item ids seen */
	uint64_t	*slot;
	size_t		 cap, n;
};

struct sync {
	struct config	*cfg;
	struct docs	*docs;
	int		 have_rules, have_suppliers;
	const char	*source;
	int		 col[NCOLS];		/* field index or -1 */
	size_t		 ncols;
	char		**header;		/* original names */
	int		*extra;			/* 1: pass through */
	long long	 default_lead;
	const char	*fallback;
	struct idset	 ids;
	struct buf	 out;
	int		 status;
	unsigned long	 rows, items;
	int		 progress;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-sync [--config FILE] [--mirror DEST] "
	    "[--now TIME] [--rules FILE]\n"
	    "               [--suppliers FILE] [file | - | s3://B/K | "
	    "gsheet://ID]\n"
	    "       ir-sync --versions s3://BUCKET/KEY\n");
}

static uint64_t
hash64(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h | 1;	/* 0 marks an empty slot */
}

/* 1 if id was already seen (then nothing changes), 0 after adding it. */
static int
idset_add(struct idset *s, const char *id)
{
	uint64_t h = hash64(id);
	size_t i;

	if (s->n * 2 >= s->cap) {
		struct idset ns = { NULL, s->cap ? s->cap * 2 : 1024, 0 };

		if ((ns.slot = calloc(ns.cap, sizeof(*ns.slot))) == NULL)
			return -1;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t j = s->slot[i] & (ns.cap - 1);

				while (ns.slot[j])
					j = (j + 1) & (ns.cap - 1);
				ns.slot[j] = s->slot[i];
				ns.n++;
			}
		free(s->slot);
		*s = ns;
	}
	for (i = h & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == h)
			return 1;
	s->slot[i] = h;
	s->n++;
	return 0;
}

static int
is_reserved(const char *norm)
{
	const char *const *r;

	for (r = reserved; *r; r++)
		if (strcmp(*r, norm) == 0)
			return 1;
	return 0;
}

/* Maps the header row to columns. -1 when a required column is missing. */
static int
read_header(struct sync *s, const struct csvin_row *row)
{
	char norm[256], where[300];
	size_t i, k;
	int missing = 0;

	snprintf(where, sizeof(where), "%s:%lu", s->source, row->line);
	for (i = 0; i < NCOLS; i++)
		s->col[i] = -1;
	s->ncols = row->n;
	s->header = calloc(row->n, sizeof(*s->header));
	s->extra = calloc(row->n, sizeof(*s->extra));
	if (s->header == NULL || s->extra == NULL)
		return -1;
	for (i = 0; i < row->n; i++) {
		if ((s->header[i] = strdup(row->field[i])) == NULL)
			return -1;
		csvin_normalize(row->field[i], norm, sizeof(norm));
		if (norm[0] == '\0')
			continue;
		for (k = 0; k < sizeof(colnames) / sizeof(colnames[0]); k++)
			if (strcmp(norm, colnames[k].name) == 0)
				break;
		if (k < sizeof(colnames) / sizeof(colnames[0])) {
			if (s->col[colnames[k].col] != -1)
				log_warn(where, "column \"%s\" appears twice; "
				    "using the first", row->field[i]);
			else
				s->col[colnames[k].col] = (int)i;
		} else if (is_reserved(norm))
			log_warn(where, "column \"%s\" has a name the bot "
			    "uses itself; ignored", row->field[i]);
		else
			s->extra[i] = 1;
	}
	if (s->col[C_ITEM_ID] == -1) {
		log_error(where, "the sheet has no item_id (or sku) column; "
		    "no rows read");
		missing = 1;
	}
	if (s->col[C_ON_HAND] == -1) {
		log_error(where, "the sheet has no on_hand column; no rows "
		    "read");
		missing = 1;
	}
	return missing ? -2 : 0;
}

static const char *
field(const struct sync *s, const struct csvin_row *row, int c)
{
	int i = s->col[c];

	if (i < 0 || (size_t)i >= row->n)
		return "";
	return row->field[i];
}

/* Trims spaces in place-free fashion: returns a copy in dst. */
static const char *
trimmed(const char *v, char *dst, size_t dstsz)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return dst;
}

/* A whole number cell: 1 set, 0 empty, -1 bad (reported). */
static int
cell_int(const char *where, const char *col, const char *v, long long min,
    long long *out)
{
	char t[64];
	int64_t d;

	trimmed(v, t, sizeof(t));
	if (t[0] == '\0')
		return 0;
	if (dec_parse(t, strlen(t), &d) == -1 || d % DEC_SCALE != 0) {
		log_error(where, "%s: \"%.40s\" is not a whole number", col, v);
		return -1;
	}
	*out = d / DEC_SCALE;
	if (*out < min) {
		log_error(where, "%s: %lld is %s", col, *out, min == 1 ?
		    "less than 1" : "negative");
		return -1;
	}
	return 1;
}

/*
 * One merged field. Precedence: rules [item] > sheet > rules [default] >
 * supplier > built-in. Says once where the rules doc replaces the sheet.
 */
static long long
merge(struct sync *s, const char *item_id, const char *what,
    const struct docs_num *item, int sheet_set, long long sheet,
    const struct docs_num *def, const struct docs_num *sup, long long dflt,
    int *set)
{
	char where[600];

	*set = 1;
	if (item && item->set) {
		if (sheet_set && sheet != item->v) {
			snprintf(where, sizeof(where), "%s:%lu",
			    docs_rules_source(s->docs), item->line);
			log_warn(where, "%s: %s %lld from the rules doc replaces "
			    "the sheet's %lld", item_id, what, item->v, sheet);
		}
		return item->v;
	}
	if (sheet_set)
		return sheet;
	if (def && def->set)
		return def->v;
	if (sup && sup->set)
		return sup->v;
	*set = dflt >= 0;
	return dflt;
}

static void
write_num(struct buf *b, const char *key, int set, long long v)
{
	if (set)
		recw_int(b, key, v);
	else
		recw_null(b, key);
}

/* One data row: validate, merge, write. Bad rows are reported. */
static int
do_row(struct sync *s, const struct csvin_row *row)
{
	const struct docs_rules *ir, *dr;
	const struct docs_supplier *sup = NULL;
	char where[300], id[ID_MAX + 1], t[256], supplier[256];
	long long on_hand, lead = 0, buffer = 0, point = 0, pack = 1;
	long long min_order = 0, cap = 0;
	int64_t rate = 0, cost;
	int set[NCOLS] = { 0 }, rc, bad = 0, pset, cset, unused;
	const char *cost_text = NULL;
	size_t i;

	snprintf(where, sizeof(where), "%s:%lu", s->source, row->line);
	trimmed(field(s, row, C_ITEM_ID), t, sizeof(t));
	if (t[0] == '\0') {
		log_error(where, "item_id is empty; row skipped");
		return EX_DATAERR;
	}
	if (strlen(field(s, row, C_ITEM_ID)) > ID_MAX) {
		log_error(where, "item_id is longer than %d characters; row "
		    "skipped", ID_MAX);
		return EX_DATAERR;
	}
	snprintf(id, sizeof(id), "%s", t);
	rc = cell_int(where, "on_hand", field(s, row, C_ON_HAND), LLONG_MIN,
	    &on_hand);
	if (rc == 0)
		log_error(where, "%s: on_hand is empty", id);
	if (rc != 1)
		bad = 1;
	trimmed(field(s, row, C_RATE), t, sizeof(t));
	if (t[0] != '\0') {
		if (dec_parse(t, strlen(t), &rate) == -1) {
			log_error(where, "rate: \"%.40s\" is not a number of "
			    "units a day", t);
			bad = 1;
		} else if (rate < 0) {
			log_error(where, "rate: %s is negative", t);
			bad = 1;
		}
	}
	set[C_LEAD] = cell_int(where, "lead_time_days", field(s, row, C_LEAD),
	    0, &lead);
	set[C_BUFFER] = cell_int(where, "buffer", field(s, row, C_BUFFER), 0,
	    &buffer);
	set[C_POINT] = cell_int(where, "point_override", field(s, row,
	    C_POINT), 0, &point);
	set[C_PACK] = cell_int(where, "pack_size", field(s, row, C_PACK), 1,
	    &pack);
	set[C_MIN_ORDER] = cell_int(where, "min_order", field(s, row,
	    C_MIN_ORDER), 0, &min_order);
	set[C_CAP] = cell_int(where, "order_cap", field(s, row, C_CAP), 0,
	    &cap);
	for (i = 0; i < NCOLS; i++)
		if (set[i] == -1)
			bad = 1;
	trimmed(field(s, row, C_UNIT_COST), t, sizeof(t));
	if (t[0] != '\0') {
		if (dec_parse(t, strlen(t), &cost) == -1 || cost < 0 ||
		    strchr(t, 'e') || strchr(t, 'E')) {
			log_error(where, "unit_cost: \"%.40s\" is not a price "
			    "like 18.50", t);
			bad = 1;
		} else
			cost_text = field(s, row, C_UNIT_COST);
	}
	if (bad)
		return EX_DATAERR;
	if ((rc = idset_add(&s->ids, id)) == 1) {
		log_error(where, "item_id %s appears earlier in the sheet; "
		    "this row skipped", id);
		return EX_DATAERR;
	} else if (rc == -1) {
		log_error(NULL, "out of memory");
		return EX_OSERR;
	}

	/* Merge with the docs. */
	ir = docs_item(s->docs, id);
	dr = docs_default(s->docs);
	trimmed(field(s, row, C_SUPPLIER), supplier, sizeof(supplier));
	if (ir && ir->supplier) {
		if (supplier[0] && strcasecmp(supplier, ir->supplier) != 0) {
			char w2[600];

			snprintf(w2, sizeof(w2), "%s:%lu",
			    docs_rules_source(s->docs), ir->supplier_line);
			log_warn(w2, "%s: supplier %s from the rules doc replaces "
			    "the sheet's %s", id, ir->supplier, supplier);
		}
		snprintf(supplier, sizeof(supplier), "%s", ir->supplier);
	} else if (supplier[0] == '\0' && dr && dr->supplier)
		snprintf(supplier, sizeof(supplier), "%s", dr->supplier);
	else if (supplier[0] == '\0' && s->fallback)
		snprintf(supplier, sizeof(supplier), "%s", s->fallback);
	if (supplier[0] && s->have_suppliers &&
	    (sup = docs_supplier(s->docs, supplier)) == NULL)
		log_warn(where, "%s: supplier \"%s\" is not in %s (ir-draft "
		    "will use the fallback supplier)", id, supplier,
		    docs_suppliers_source(s->docs));

	lead = merge(s, id, "lead time", ir ? &ir->lead_time_days : NULL,
	    set[C_LEAD] == 1, lead, dr ? &dr->lead_time_days : NULL,
	    sup ? &sup->lead_time_days : NULL, s->default_lead, &unused);
	buffer = merge(s, id, "buffer", ir ? &ir->buffer : NULL,
	    set[C_BUFFER] == 1, buffer, dr ? &dr->buffer : NULL, NULL, 0,
	    &unused);
	point = merge(s, id, "reorder point", ir ? &ir->point_override : NULL,
	    set[C_POINT] == 1, point, dr ? &dr->point_override : NULL, NULL,
	    -1, &pset);
	pack = merge(s, id, "pack size", ir ? &ir->pack_size : NULL,
	    set[C_PACK] == 1, pack, dr ? &dr->pack_size : NULL,
	    sup ? &sup->pack_size : NULL, 1, &unused);
	min_order = merge(s, id, "minimum order", ir ? &ir->min_order : NULL,
	    set[C_MIN_ORDER] == 1, min_order, dr ? &dr->min_order : NULL,
	    sup ? &sup->min_order : NULL, 0, &unused);
	cap = merge(s, id, "order cap", ir ? &ir->order_cap : NULL,
	    set[C_CAP] == 1, cap, dr ? &dr->order_cap : NULL, NULL, -1, &cset);

	/* Write the item record. */
	buf_reset(&s->out);
	recw_begin(&s->out, "item");
	recw_str(&s->out, "item_id", id);
	trimmed(field(s, row, C_NAME), t, sizeof(t));
	recw_str(&s->out, "name", t[0] ? field(s, row, C_NAME) : id);
	recw_int(&s->out, "on_hand", on_hand);
	recw_dec(&s->out, "rate", rate);
	recw_int(&s->out, "lead_time_days", lead);
	recw_int(&s->out, "buffer", buffer);
	write_num(&s->out, "point_override", pset, point);
	recw_str(&s->out, "supplier", supplier);
	recw_int(&s->out, "pack_size", pack);
	recw_int(&s->out, "min_order", min_order);
	write_num(&s->out, "order_cap", cset, cap);
	if (cost_text)
		recw_str(&s->out, "unit_cost", trimmed(cost_text, t,
		    sizeof(t)));
	else
		recw_null(&s->out, "unit_cost");
	for (i = 0; i < row->n && i < s->ncols; i++)
		if (s->extra[i])
			recw_str(&s->out, s->header[i], row->field[i]);
	recw_str(&s->out, "source", s->source);
	recw_int(&s->out, "line", (long long)row->line);
	recw_end(&s->out);
	if (fwrite(s->out.p, 1, s->out.len, stdout) != s->out.len)
		return EX_IOERR;
	s->items++;
	return 0;
}

static int
parse(struct sync *s, FILE *fp)
{
	struct csvin *c;
	struct csvin_row row;
	char where[300];
	int got, rc = 0, have_header = 0;

	if ((c = csvin_open(fp, 0, 0)) == NULL) {
		log_error(NULL, "out of memory");
		return EX_OSERR;
	}
	while (rc == 0 && (got = csvin_next(c, &row)) != CSVIN_EOF) {
		if (got == CSVIN_IOERR) {
			log_error(s->source, "read error: %s", strerror(errno));
			rc = EX_IOERR;
			break;
		}
		if (got == CSVIN_BAD) {
			snprintf(where, sizeof(where), "%s:%lu", s->source,
			    csvin_bad_line(c));
			log_error(where, "%s; row skipped", csvin_error(c));
			s->status = EX_DATAERR;
			continue;
		}
		if (!have_header) {
			have_header = 1;
			if ((rc = read_header(s, &row)) == -2) {
				s->status = EX_DATAERR;
				rc = 0;
				break;
			} else if (rc == -1) {
				log_error(NULL, "out of memory");
				rc = EX_OSERR;
			}
			continue;
		}
		s->rows++;
		if (s->progress && s->rows % 100000 == 0)
			fprintf(stderr, "\rir-sync: %lu rows", s->rows);
		switch ((got = do_row(s, &row))) {
		case 0:
			break;
		case EX_DATAERR:
			s->status = EX_DATAERR;
			break;
		default:
			rc = got;
		}
	}
	if (s->progress && s->rows >= 100000)
		fprintf(stderr, "\rir-sync: %lu rows\n", s->rows);
	if (rc == 0 && !have_header) {
		log_error(s->source, "the file is empty (no header row)");
		s->status = EX_DATAERR;
	} else if (rc == 0 && s->rows == 0 && have_header && s->status == 0)
		log_warn(s->source, "the sheet has a header but no rows");
	csvin_close(c);
	return rc;
}

/* A stream that can be read twice: stdin or a pipe is copied first. */
static FILE *
seekable(FILE *fp)
{
	char chunk[65536];
	FILE *tmp;
	size_t n;

	if (fseeko(fp, 0, SEEK_CUR) == 0)
		return fp;
	if ((tmp = tmpfile()) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (fwrite(chunk, 1, n, tmp) != n) {
			fclose(tmp);
			return NULL;
		}
	if (ferror(fp) || fflush(tmp) == EOF) {
		fclose(tmp);
		return NULL;
	}
	rewind(tmp);
	return tmp;
}

static int
print_version(void *ctx, const char *id, const char *modified, int latest)
{
	struct buf b = { 0 };

	recw_begin(&b, "version");
	recw_str(&b, "uri", ctx);
	recw_str(&b, "version_id", id);
	recw_str(&b, "modified", modified);
	recw_raw(&b, "latest", latest ? "true" : "false", latest ? 4 : 5);
	recw_end(&b);
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	return 0;
}

/* --versions: the archived versions of an S3 sheet, for replays. */
static int
list_versions(const char *uri)
{
	char err[512];
	int st;

	if (docsrc_versions(uri, print_version, (void *)uri, &st, err,
	    sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		return st ? st : EX_UNAVAILABLE;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "mirror",	required_argument,	NULL, 'm' },
		{ "now",	required_argument,	NULL, 'N' },
		{ "rules",	required_argument,	NULL, 'r' },
		{ "versions",	no_argument,		NULL, 'v' },
		{ "suppliers",	required_argument,	NULL, 'S' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sync *s;
	const char *conf = NULL, *now = NULL, *rules = NULL, *sup = NULL;
	const char *dest = NULL, *path, *v;
	struct docsrc_info info;
	int versions = 0;
	FILE *fp = NULL, *parse_from = NULL;
	size_t i;
	int ch, rc = 0;

	log_init(argv[0]);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EX_OSERR;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'm': dest = optarg; break;
		case 'N': now = optarg; break;
		case 'r': rules = optarg; break;
		case 'S': sup = optarg; break;
		case 'v': versions = 1; break;
		case 'h': usage(stdout); free(s); return 0;
		case 'V': cli_version(); free(s); return 0;
		default: usage(stderr); free(s); return EX_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		free(s);
		return EX_USAGE;
	}
	if ((s->cfg = cli_config(conf, now)) == NULL) {
		free(s);
		return cli_last_status;
	}
	if (rules)
		config_set(s->cfg, "IR_RULES", rules);
	if (sup)
		config_set(s->cfg, "IR_SUPPLIERS", sup);
	if (optind < argc)
		config_set(s->cfg, "IR_STOCK", argv[optind]);
	if ((path = config_get(s->cfg, "IR_STOCK")) == NULL) {
		log_error(NULL, "no stock sheet: name a file (or - for stdin) "
		    "or set IR_STOCK");
		rc = EX_USAGE;
		goto out;
	}
	if (versions) {
		rc = list_versions(path);
		goto out;
	}
	s->default_lead = 7;
	{
		char err[512];

		if (config_int(s->cfg, "IR_DEFAULT_LEAD_TIME_DAYS", 0, 3650,
		    &s->default_lead, err, sizeof(err)) == -1) {
			log_error(NULL, "%s", err);
			rc = EX_CONFIG;
			goto out;
		}
	}
	s->fallback = config_get(s->cfg, "IR_FALLBACK_SUPPLIER");
	s->docs = docs_new();
	if ((v = config_get(s->cfg, "IR_RULES")) != NULL) {
		if ((rc = cli_load_doc(s->docs, v, 0)) != 0)
			goto out;
		s->have_rules = 1;
	}
	if ((v = config_get(s->cfg, "IR_SUPPLIERS")) != NULL) {
		if ((rc = cli_load_doc(s->docs, v, 1)) != 0)
			goto out;
		s->have_suppliers = 1;
	}
	s->source = strcmp(path, "-") == 0 ? "stdin" : path;
	{
		char err[512];
		int st;

		if ((fp = docsrc_open(path, &info, &st, err, sizeof(err))) ==
		    NULL) {
			if (st == 0 && info.unchanged) {
				log_info(path, "unchanged since the last sync; "
				    "nothing to do");
				goto out;
			}
			log_error(NULL, "%s", err);
			rc = st ? st : EX_NOINPUT;
			goto out;
		}
		parse_from = fp;
		if (dest != NULL) {
			if ((parse_from = seekable(fp)) == NULL) {
				log_error(s->source, "cannot copy the input: %s",
				    strerror(errno));
				rc = EX_IOERR;
				goto out;
			}
			switch (docsrc_mirror(parse_from, dest, &st, err,
			    sizeof(err))) {
			case 1:
				log_info(dest, "mirror updated (the source "
				    "changed)");
				break;
			case 0:
				log_info(dest, "mirror unchanged");
				break;
			default:
				log_error(NULL, "%s", err);
				rc = st ? st : EX_IOERR;
				goto out;
			}
		}
	}
	s->progress = isatty(STDERR_FILENO);
	cli_stdout_buffering();
	rc = parse(s, parse_from);
	/* only once the records are out: a crash before re-reads the sheet */
	if (rc == 0 && fflush(stdout) == 0 && !ferror(stdout)) {
		char err[512];
		int st;

		if ((st = docsrc_commit(path, &info, err, sizeof(err))) != 0) {
			log_error(NULL, "%s", err);
			rc = st;
		}
	}
out:
	if (parse_from != NULL && parse_from != fp)
		fclose(parse_from);
	if (fp != NULL && fp != stdin)
		fclose(fp);
	docs_free(s->docs);
	for (i = 0; s->header && i < s->ncols; i++)
		free(s->header[i]);
	free(s->header);
	free(s->extra);
	free(s->ids.slot);
	buf_free(&s->out);
	rc = cli_exit(cli_worst(rc, s->status));
	config_free(s->cfg);
	free(s);
	return rc;
}
