/*
 * ir-sync: the stock sheet in, item records out.
 *
 * Reads a stock CSV (a path, "-" for stdin, or IR_STOCK), matches its
 * columns (rules.md "Inputs"), and merges each row with the rules doc
 * (--rules / IR_RULES) and the suppliers doc (--suppliers / IR_SUPPLIERS):
 *   rules doc [item] > sheet column > rules doc [default] > supplier's >
 *   built-in default.
 * Writes one "item" record per good row, streaming: memory does not grow
 * with the rows. Columns it does not know pass through as strings. A bad
 * row is reported with its line and reason and skipped; the exit status is
 * then 65.
 *
 * Duplicate item ids are found exactly in bounded memory (lib/idset.h): the
 * first 32768 ids from memory, the rest with a Bloom filter and an on-disk
 * log of ids. A row whose id the filter may have seen holds back its record
 * and the ones after it (in a temporary file, in order) until a read of the
 * log settles it, so output keeps the sheet's order. Rejected: a constant
 * 64-bit hash set (8-16 bytes a row: 160 MB at 10M rows) and any
 * probabilistic answer (a false "duplicate" would drop a good row).
 * The record path allocates nothing per row and formats messages only
 * when it prints one.
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
#include "idset.h"
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

struct sync {
	struct config	*cfg;
	struct docs	*docs;
	int		 have_rules, have_suppliers;
	const char	*source;
	int		 col[NCOLS];		/* field index or -1 */
	size_t		 ncols;
	char		**header;		/* original names */
	int		*extra;			/* 1: pass through */
	struct buf	*xkey;			/* its ,"key": made once */
	char		 last_sup[256];		/* last supplier looked up */
	const struct docs_supplier *last_sup_doc;
	long long	 default_lead;
	const char	*fallback;
	struct idset	*ids;
	struct buf	 out;		/* records not yet written */
	size_t		 flush_at;	/* write out at this many bytes */
	struct buf	 tail;		/* ,"source":"...","line": */
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

static int
is_reserved(const char *norm)
{
	const char *const *r;

	for (r = reserved; *r; r++)
		if (strcmp(*r, norm) == 0)
			return 1;
	return 0;
}

/* The column a normalized header name is, or -1. */
static int
column_of(const char *norm)
{
	size_t k;

	for (k = 0; k < sizeof(colnames) / sizeof(colnames[0]); k++)
		if (strcmp(norm, colnames[k].name) == 0)
			return colnames[k].col;
	return -1;
}

/* Maps the header row to columns. -1 when a required column is missing. */
static int
read_header(struct sync *s, const struct csvin_row *row)
{
	char norm[256], where[300];
	size_t i;
	int c, missing = 0;

	snprintf(where, sizeof(where), "%s:%lu", s->source, row->line);
	for (i = 0; i < NCOLS; i++)
		s->col[i] = -1;
	s->ncols = row->n;
	s->header = calloc(row->n, sizeof(*s->header));
	s->extra = calloc(row->n, sizeof(*s->extra));
	s->xkey = calloc(row->n, sizeof(*s->xkey));
	if (s->header == NULL || s->extra == NULL || s->xkey == NULL)
		return -1;
	for (i = 0; i < row->n; i++) {
		if ((s->header[i] = strdup(row->field[i])) == NULL)
			return -1;
		csvin_normalize(row->field[i], norm, sizeof(norm));
		if (norm[0] == '\0')
			continue;
		if ((c = column_of(norm)) != -1) {
			if (s->col[c] != -1)
				log_warn(where, "column \"%s\" appears twice; "
				    "using the first", row->field[i]);
			else
				s->col[c] = (int)i;
		} else if (is_reserved(norm))
			log_warn(where, "column \"%s\" has a name the bot "
			    "uses itself; ignored", row->field[i]);
		else {
			s->extra[i] = 1;
			/* the record's key, escaped if it must be: once */
			if (recw_key(&s->xkey[i], row->field[i]) == -1)
				return -1;
		}
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

/* The cell of column c in row (length in *n), "" when absent. */
static const char *
field(const struct sync *s, const struct csvin_row *row, int c, size_t *n)
{
	int i = s->col[c];

	if (i < 0 || (size_t)i >= row->n) {
		*n = 0;
		return "";
	}
	*n = row->len[i];
	return row->field[i];
}

/* The cell without surrounding blanks: its start, length in *n. */
static const char *
trim(const char *v, size_t *n)
{
	size_t len = *n;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	*n = len;
	return v;
}

/*
 * Copies n bytes of v into dst (dstsz > 0), cut to fit, NUL-terminated.
 * Returns the length copied.
 */
static size_t
copy_cut(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return n;
}

/* "source:line" for a message, built only when one is printed. */
static const char *
where_of(const struct sync *s, unsigned long line, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s:%lu", s->source, line);
	return buf;
}

/* A whole number cell: 1 set, 0 empty, -1 bad (reported). */
static int
cell_int(const struct sync *s, unsigned long line, const char *col,
    const char *v, size_t vn, long long min, long long *out)
{
	char t[64], where[300];
	const char *p;
	size_t n = vn;
	long long ll;
	int64_t d;

	p = trim(v, &n);
	if (n == 0)
		return 0;
	/* The usual "12": the same answer dec_parse gives, without it. */
	if (n < 20 && dec_parse_int(p, n, &ll) == 0 &&
	    ll <= INT64_MAX / DEC_SCALE && ll >= -(INT64_MAX / DEC_SCALE))
		*out = ll;
	else {
		copy_cut(t, sizeof(t), p, n);
		if (dec_parse(t, strlen(t), &d) == -1 || d % DEC_SCALE != 0) {
			log_error(where_of(s, line, where, sizeof(where)),
			    "%s: \"%.40s\" is not a whole number", col, v);
			return -1;
		}
		*out = d / DEC_SCALE;
	}
	if (*out < min) {
		log_error(where_of(s, line, where, sizeof(where)),
		    "%s: %lld is %s", col, *out, min == 1 ? "less than 1" :
		    "negative");
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
write_num(struct buf *b, const char *kq, size_t kn, int set, long long v)
{
	if (set)
		recw_kint(b, kq, kn, v);
	else
		recw_knull(b, kq, kn);
}

/* The suppliers doc's entry for key; the last answer is kept. */
static const struct docs_supplier *
supplier_doc(struct sync *s, const char *key)
{
	if (strcmp(key, s->last_sup) != 0) {
		copy_cut(s->last_sup, sizeof(s->last_sup), key, strlen(key));
		s->last_sup_doc = docs_supplier(s->docs, key);
	}
	return s->last_sup_doc;
}

/*
 * Records are made in s->out and written a block at a time (one line at
 * a time to a terminal): one copy and one stdio call a block, not a
 * record.
 */
static int
out_flush(struct sync *s)
{
	if (s->out.len > 0 && fwrite(s->out.p, 1, s->out.len, stdout) !=
	    s->out.len)
		return EX_IOERR;
	buf_reset(&s->out);
	return 0;
}

/* A held record, settled: it goes out after those made before it. */
static int
emit(void *ctx, const char *rec, size_t len)
{
	struct sync *s = ctx;

	if (buf_add(&s->out, rec, len) == -1)
		return EX_OSERR;
	s->items++;
	return s->out.len >= s->flush_at ? out_flush(s) : 0;
}

static void
reject_dup(void *ctx, const char *id, unsigned long line)
{
	struct sync *s = ctx;
	char where[300];

	log_error(where_of(s, line, where, sizeof(where)), "item_id %s "
	    "appears earlier in the sheet; this row skipped", id);
	s->status = EX_DATAERR;
}

/* Hands the held records out once their suspects are settled. */
static int
settle(struct sync *s)
{
	int rc;

	if ((rc = idset_settle(s->ids, emit, reject_dup, s)) == -1) {
		log_error(NULL, "duplicate check: temporary file: %s",
		    strerror(errno));
		return EX_IOERR;
	}
	return rc;
}

/* One data row: validate, merge, write. Bad rows are reported. */
static int
do_row(struct sync *s, const struct csvin_row *row)
{
	const struct docs_rules *ir = NULL, *dr = NULL;
	const struct docs_supplier *sup = NULL;
	char where[300], id[ID_MAX + 1], t[256], supplier[256];
	long long on_hand, lead = 0, buffer = 0, point = 0, pack = 1;
	long long min_order = 0, cap = 0;
	int64_t rate = 0, cost;
	uint64_t idh;
	int set[NCOLS] = { 0 }, rc, bad = 0, pset, cset, unused;
	const char *v, *p, *cost_text = NULL;
	size_t i, n, idn, cost_n = 0, start, supplier_n;
	unsigned long line = row->line;

	v = field(s, row, C_ITEM_ID, &n);
	idn = n;
	p = trim(v, &idn);
	if (idn == 0) {
		log_error(where_of(s, line, where, sizeof(where)),
		    "item_id is empty; row skipped");
		return EX_DATAERR;
	}
	if (n > ID_MAX) {
		log_error(where_of(s, line, where, sizeof(where)),
		    "item_id is longer than %d characters; row skipped",
		    ID_MAX);
		return EX_DATAERR;
	}
	copy_cut(id, sizeof(id), p, idn);
	idh = idset_hash(id, idn);
	idset_prefetch(s->ids, idh);
	v = field(s, row, C_ON_HAND, &n);
	rc = cell_int(s, line, "on_hand", v, n, LLONG_MIN, &on_hand);
	if (rc == 0)
		log_error(where_of(s, line, where, sizeof(where)),
		    "%s: on_hand is empty", id);
	if (rc != 1)
		bad = 1;
	v = field(s, row, C_RATE, &n);
	p = trim(v, &n);
	if (n > 0) {
		copy_cut(t, sizeof(t), p, n);
		if (dec_parse(t, strlen(t), &rate) == -1) {
			log_error(where_of(s, line, where, sizeof(where)),
			    "rate: \"%.40s\" is not a number of units a day",
			    t);
			bad = 1;
		} else if (rate < 0) {
			log_error(where_of(s, line, where, sizeof(where)),
			    "rate: %s is negative", t);
			bad = 1;
		}
	}
	v = field(s, row, C_LEAD, &n);
	set[C_LEAD] = cell_int(s, line, "lead_time_days", v, n, 0, &lead);
	v = field(s, row, C_BUFFER, &n);
	set[C_BUFFER] = cell_int(s, line, "buffer", v, n, 0, &buffer);
	v = field(s, row, C_POINT, &n);
	set[C_POINT] = cell_int(s, line, "point_override", v, n, 0, &point);
	v = field(s, row, C_PACK, &n);
	set[C_PACK] = cell_int(s, line, "pack_size", v, n, 1, &pack);
	v = field(s, row, C_MIN_ORDER, &n);
	set[C_MIN_ORDER] = cell_int(s, line, "min_order", v, n, 0,
	    &min_order);
	v = field(s, row, C_CAP, &n);
	set[C_CAP] = cell_int(s, line, "order_cap", v, n, 0, &cap);
	for (i = 0; i < NCOLS; i++)
		if (set[i] == -1)
			bad = 1;
	v = field(s, row, C_UNIT_COST, &n);
	p = trim(v, &n);
	if (n > 0) {
		copy_cut(t, sizeof(t), p, n);
		if (dec_parse(t, strlen(t), &cost) == -1 || cost < 0 ||
		    strchr(t, 'e') || strchr(t, 'E')) {
			log_error(where_of(s, line, where, sizeof(where)),
			    "unit_cost: \"%.40s\" is not a price like 18.50",
			    t);
			bad = 1;
		} else {
			cost_text = p;
			cost_n = n;
		}
	}
	/* A bad row's id counts as seen all the same: the first row with an
	 * id is the one that counts, as when the ids are read first. */
	rc = idset_add_hashed(s->ids, id, idn, idh, line);
	if (bad && rc != -1)
		return EX_DATAERR;
	if (rc == IDSET_DUP) {
		log_error(where_of(s, line, where, sizeof(where)),
		    "item_id %s appears earlier in the sheet; this row "
		    "skipped", id);
		return EX_DATAERR;
	} else if (rc == -1) {
		log_error(NULL, "duplicate check: %s", strerror(errno));
		return errno == ENOMEM ? EX_OSERR : EX_IOERR;
	}

	/* Merge with the docs (looked up only when there are docs). */
	if (s->have_rules) {
		ir = docs_item(s->docs, id);
		dr = docs_default(s->docs);
	}
	v = field(s, row, C_SUPPLIER, &n);
	p = trim(v, &n);
	supplier_n = copy_cut(supplier, sizeof(supplier), p, n);
	if (ir && ir->supplier) {
		if (supplier[0] && strcasecmp(supplier, ir->supplier) != 0) {
			char w2[600];

			snprintf(w2, sizeof(w2), "%s:%lu",
			    docs_rules_source(s->docs), ir->supplier_line);
			log_warn(w2, "%s: supplier %s from the rules doc replaces "
			    "the sheet's %s", id, ir->supplier, supplier);
		}
		supplier_n = copy_cut(supplier, sizeof(supplier),
		    ir->supplier, strlen(ir->supplier));
	} else if (supplier[0] == '\0' && dr && dr->supplier)
		supplier_n = copy_cut(supplier, sizeof(supplier),
		    dr->supplier, strlen(dr->supplier));
	else if (supplier[0] == '\0' && s->fallback)
		supplier_n = copy_cut(supplier, sizeof(supplier), s->fallback,
		    strlen(s->fallback));
	if (supplier[0] && s->have_suppliers &&
	    (sup = supplier_doc(s, supplier)) == NULL)
		log_warn(where_of(s, line, where, sizeof(where)), "%s: "
		    "supplier \"%s\" is not in %s (ir-draft will use the "
		    "fallback supplier)", id, supplier,
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

	/* Make the item record at the end of s->out. */
	start = s->out.len;
	buf_add(&s->out, "{\"type\":\"item\",\"item_id\":", 25);
	jsonw_str(&s->out, id, idn);
	v = field(s, row, C_NAME, &n);
	i = n;
	trim(v, &i);
	if (i > 0)
		recw_kstrn(&s->out, RECW_K("name"), v, n);
	else
		recw_kstrn(&s->out, RECW_K("name"), id, idn);
	recw_kint(&s->out, RECW_K("on_hand"), on_hand);
	recw_kdec(&s->out, RECW_K("rate"), rate);
	recw_kint(&s->out, RECW_K("lead_time_days"), lead);
	recw_kint(&s->out, RECW_K("buffer"), buffer);
	write_num(&s->out, RECW_K("point_override"), pset, point);
	recw_kstrn(&s->out, RECW_K("supplier"), supplier, supplier_n);
	recw_kint(&s->out, RECW_K("pack_size"), pack);
	recw_kint(&s->out, RECW_K("min_order"), min_order);
	write_num(&s->out, RECW_K("order_cap"), cset, cap);
	if (cost_text)
		recw_kstrn(&s->out, RECW_K("unit_cost"), cost_text,
		    cost_n < sizeof(t) ? cost_n : sizeof(t) - 1);
	else
		recw_knull(&s->out, RECW_K("unit_cost"));
	for (i = 0; i < row->n && i < s->ncols; i++)
		if (s->extra[i])
			recw_kstrn(&s->out, s->xkey[i].p, s->xkey[i].len,
			    row->field[i], row->len[i]);
	buf_add(&s->out, s->tail.p, s->tail.len);
	dec_format_int(&s->out, (long long)line);
	if (recw_end(&s->out) == -1) {
		log_error(NULL, "out of memory");
		return EX_OSERR;
	}
	if (rc == IDSET_MAYBE || idset_holding(s->ids)) {
		rc = idset_hold(s->ids, id, idn, line, rc == IDSET_MAYBE,
		    s->out.p + start, s->out.len - start);
		s->out.len = start;
		s->out.p[start] = '\0';
		if (rc == -1) {
			log_error(NULL, "duplicate check: temporary file: %s",
			    strerror(errno));
			return EX_IOERR;
		}
		return idset_due(s->ids) ? settle(s) : 0;
	}
	s->items++;
	return s->out.len >= s->flush_at ? out_flush(s) : 0;
}

/*
 * The rows of a file, estimated once from its size and its first 64 kB
 * (0 for a pipe). It sizes the duplicate filter; a sheet of more than
 * READ_FIRST rows has its ids read first instead: the filter stops
 * telling ids apart around there (lib/idset.h).
 */
#define READ_FIRST	1500000UL

static unsigned long
estimate_rows(FILE *fp)
{
	double est;
	char b[65536];
	struct stat st;
	ssize_t n;
	off_t pos;
	size_t lines = 0, i;

	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    (pos = ftello(fp)) == -1 ||
	    (n = pread(fileno(fp), b, sizeof(b), pos)) <= 0)
		return 0;
	for (i = 0; i < (size_t)n; i++)
		lines += b[i] == '\n';
	est = (double)(st.st_size - pos) / (double)n * (double)lines;
	return (unsigned long)est + 1;
}

/*
 * Reads the ids of every row (as do_row finds them) into the duplicate
 * check, then goes back to where the sheet starts. Quiet: every message
 * about the sheet comes from the second read. -1 with errno set.
 */
static int
read_ids_first(struct sync *s, FILE *fp)
{
	struct csvin *c;
	struct csvin_row row;
	char norm[256];
	const char *p;
	size_t i, n, idn;
	unsigned long rows = 0;
	int got, idcol = -1, rc = 0;
	off_t start;

	if ((start = ftello(fp)) == -1 ||
	    (c = csvin_open(fp, 0, 0)) == NULL)
		return -1;
	while (rc == 0 && (got = csvin_next(c, &row)) != CSVIN_EOF) {
		if (got == CSVIN_IOERR)
			rc = -1;
		else if (got == CSVIN_BAD)
			continue;
		else if (idcol == -1) {
			for (i = 0; i < row.n && idcol == -1; i++) {
				csvin_normalize(row.field[i], norm,
				    sizeof(norm));
				if (column_of(norm) == C_ITEM_ID)
					idcol = (int)i;
			}
			if (idcol == -1)
				break;	/* the second read says so */
		} else if ((size_t)idcol < row.n) {
			n = row.len[idcol];
			idn = n;
			p = trim(row.field[idcol], &idn);
			if (idn > 0 && n <= ID_MAX &&
			    idset_pre_add(s->ids, p, idn, row.line) == -1)
				rc = -1;
			if (s->progress && ++rows % 100000 == 0)
				fprintf(stderr, "\rir-sync: reading the ids "
				    "first: %lu rows", rows);
		}
	}
	csvin_close(c);
	if (s->progress && rows >= 100000)
		fputc('\n', stderr);
	if (rc == 0 && idcol != -1 && idset_pre_done(s->ids) == -1)
		rc = -1;
	if (fseeko(fp, start, SEEK_SET) == -1)
		rc = -1;
	clearerr(fp);
	return rc;
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
	if (rc == 0)
		rc = settle(s);
	/* what was made goes out, even after an error */
	if ((got = out_flush(s)) != 0 && rc == 0) {
		log_error(NULL, "cannot write the records: %s",
		    strerror(errno));
		rc = got;
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
	unsigned long est;
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
	if ((s->ids = idset_new()) == NULL) {
		log_error(NULL, "out of memory");
		rc = EX_OSERR;
		goto out;
	}
	s->progress = isatty(STDERR_FILENO);
	est = estimate_rows(parse_from);
	if (est > 0 && est <= READ_FIRST)
		idset_expect(s->ids, est);
	else if (est > READ_FIRST) {
		log_info(s->source, "about %lu rows: the item ids are read "
		    "first, to find duplicates", est);
		if (read_ids_first(s, parse_from) == -1) {
			log_error(s->source, "reading the item ids first: %s",
			    strerror(errno));
			rc = errno == ENOMEM ? EX_OSERR : EX_IOERR;
			goto out;
		}
	}
	s->flush_at = isatty(STDOUT_FILENO) ? 1 : 64 * 1024;
	if (recw_str(&s->tail, "source", s->source) == -1 ||
	    buf_add(&s->tail, ",\"line\":", 8) == -1) {
		log_error(NULL, "out of memory");
		rc = EX_OSERR;
		goto out;
	}
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
	for (i = 0; s->xkey && i < s->ncols; i++)
		buf_free(&s->xkey[i]);
	free(s->xkey);
	free(s->header);
	free(s->extra);
	idset_free(s->ids);
	buf_free(&s->out);
	buf_free(&s->tail);
	rc = cli_exit(cli_worst(rc, s->status));
	config_free(s->cfg);
	free(s);
	return rc;
}
