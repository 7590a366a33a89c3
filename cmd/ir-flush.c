/*
 * ir-flush: writes the point-of-sale deltas accumulated in the store
 * (ir-pos) to the stock sheet, as absolute on_hand values computed once
 * per batch, crash-safe: a flush killed at any point and run again
 * neither loses a sale nor counts one twice.
 *
 * The sheet is IR_STOCK: a local CSV file, rewritten whole (every byte
 * but the on_hand cells copied, lib/stockcsv.c) to a temporary file in
 * the same directory, fsync'd, renamed over the sheet, the directory
 * fsync'd; or gsheet://ID, whose on_hand cells are written with Sheets
 * values.batchUpdate (RAW), one cell per item, found by item_id in the
 * CSV export of the first sheet.
 *
 * The steps, each a point a crash may stop at (IR_FAULT=flush-STEP kills
 * the process there, for the tests):
 *   0. an intent left by a flush that died is resolved first (below);
 *   1. claim: the store's flush intent, created only if there is none, so
 *      flushes take turns ("claimed");
 *   2. snapshot P, the items with a pending delta (at most FLUSH_MAX);
 *   3. read the sheet; the new on_hand = sheet value + P for each item;
 *      local: the new file written to the temporary file, fsync'd
 *      ("temp");
 *   4. the intent records P, each item's value before and after, the
 *      sha256 of the sheet read and of the new file ("intent");
 *   5. local: if the sheet is still the one read, rename; gsheet: write
 *      the cells ("renamed");
 *   6. settle each item: pending -= exactly its delta in P, idempotent by
 *      the flush id ("settling" after the first, "settled");
 *   7. release the intent ("released"), write the flush record.
 * A sale counted after step 2 is not in P, so it stays pending for the
 * next flush: settle subtracts P, it never sets 0.
 *
 * Resolving an intent: its owner ("host pid start") must be gone (no such
 * process on this host, or the lease of FLUSH_LEASE seconds over); the
 * intent is then taken over by a conditional swap (one resolver wins).
 * "claimed": nothing reached the sheet, drop it. "written": an item is on
 * the sheet when the sheet shows its value after (local: the whole file
 * has the sha256 of the new one, or per item); those are settled with the
 * old flush id (a settle done before is not done again), the others stay
 * pending; then the intent is released and a new flush starts.
 *
 * Writes one "flush" record per batch: flush_id, items, units (the net
 * change), sheet, changes. --dry-run prints it without writing anything.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "cryptoapi.h"
#include "google.h"
#include "jsonw.h"
#include "log.h"
#include "ndjson.h"
#include "stockcsv.h"
#include "store.h"

#define FLUSH_MAX	1000	/* items per flush (the intent stays small) */
#define FLUSH_ROUNDS	100	/* batches per run */
#define FLUSH_LEASE	1200	/* s: a live-looking owner is presumed gone */
#define SHA_HEX		65

/* One item of P. */
struct item {
	char		*item_id;
	long long	 delta;
	long long	 before, after;	/* on the sheet */
	unsigned long	 row;		/* record number in the sheet */
	int		 found;		/* 1 to write, -1 not writable */
	int		 applied;	/* resolving: on the sheet */
};

struct flush {
	struct config	*cfg;
	struct store	*store;
	int		 dry_run;
	const char	*sheet;		/* IR_STOCK */
	const char	*gid;		/* gsheet: the id, else NULL */
	char		 flush_id[64];
	char		 owner[STORE_ID_MAX];
	char		 host[128];
	char		 at[CLOCK_TIME_LEN];
	char		 tmp[PATH_MAX];
	char		 base_sha[SHA_HEX], new_sha[SHA_HEX];
	int		 col;		/* on_hand column (gsheet) */
	struct item	*items;
	size_t		 n;
	int		 full;		/* P was cut at FLUSH_MAX */
	struct buf	 out;
	int		 status;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-flush [--dry-run] [--config FILE] [--now TIME] "
	    "[--stock URI]\n"
	    "                [--store URI]\n");
}

static void
items_free(struct flush *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->items[i].item_id);
	f->n = 0;
	f->full = 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return strcmp(x->item_id, y->item_id);
}

static struct item *
item_find(struct flush *f, const char *id)
{
	struct item key;

	key.item_id = (char *)id;
	return f->n == 0 ? NULL : bsearch(&key, f->items, f->n,
	    sizeof(*f->items), item_cmp);
}

/* store_pos_pending callback: P, at most FLUSH_MAX items. */
static int
snap_one(void *ctx, const char *item_id, long long delta)
{
	struct flush *f = ctx;
	struct item *it;

	if (f->n == FLUSH_MAX) {
		f->full = 1;
		return 1;
	}
	it = &f->items[f->n];
	memset(it, 0, sizeof(*it));
	if ((it->item_id = strdup(item_id)) == NULL)
		return 1;
	it->delta = delta;
	f->n++;
	return 0;
}

/* Step 2: P, sorted by item_id. 0 or an exit status. */
static int
snapshot(struct flush *f)
{
	int rc;

	items_free(f);
	if ((rc = store_pos_pending(f->store, snap_one, f)) != STORE_OK) {
		log_error(NULL, "cannot read the pending deltas: %s",
		    store_error(f->store));
		return cli_store_status(rc);
	}
	qsort(f->items, f->n, sizeof(*f->items), item_cmp);
	return 0;
}

static const struct cryptoapi *crypto;	/* NULL until a local sheet */

/*
 * Loads libcrypto for the sha256 of a local sheet: 0, or EX_UNAVAILABLE
 * with the reason logged. Before sha256_file is first called.
 */
static int
crypto_load(void)
{
	char err[512];

	if (crypto == NULL && (crypto = cryptoapi_get(err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/*
 * The sha256 of a file, as hex; -1 when it cannot be read. libcrypto is
 * loaded (crypto_load).
 */
static int
sha256_file(const char *path, char hex[SHA_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	size_t n;
	FILE *fp;
	int ok;

	if (crypto == NULL || (fp = fopen(path, "rb")) == NULL)
		return -1;
	if ((ctx = crypto->evp_md_ctx_new()) == NULL) {
		fclose(fp);
		return -1;
	}
	ok = crypto->evp_digest_init_ex(ctx, crypto->evp_sha256(), NULL) == 1;
	while (ok && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ok = crypto->evp_digest_update(ctx, chunk, n) == 1;
	ok = ok && !ferror(fp) &&
	    crypto->evp_digest_final_ex(ctx, md, &mdlen) == 1;
	crypto->evp_md_ctx_free(ctx);
	fclose(fp);
	if (!ok)
		return -1;
	for (i = 0; i < mdlen && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * i] = '\0';
	return 0;
}

/* A whole number, all of s; -1 otherwise. */
static int
whole(const char *s, long long *v)
{
	char *end;

	errno = 0;
	if (*s == '\0')
		return -1;
	*v = strtoll(s, &end, 10);
	return *end != '\0' || errno != 0 ? -1 : 0;
}

/*
 * stockcsv callback of a flush: the new on_hand of an item of P, on its
 * first row. Rows whose on_hand is not a whole number cannot take a
 * delta: the item stays pending, with a message.
 */
static int
plan_row(void *ctx, const struct stockcsv_row *r, char *repl,
    size_t replsz)
{
	struct flush *f = ctx;
	struct item *it;
	long long b;
	char where[PATH_MAX + 32];

	if (r->item_id[0] == '\0' || (it = item_find(f, r->item_id)) ==
	    NULL)
		return 0;
	snprintf(where, sizeof(where), "%s:%lu", f->sheet, r->line);
	if (it->found != 0) {
		log_warn(where, "%s appears again; only its first row "
		    "(line %lu) is updated", r->item_id, it->row);
		return 0;
	}
	if (whole(r->on_hand, &b) == -1 || b > 1000000000000LL ||
	    b < -1000000000000LL) {
		log_error(where, "%s: on_hand \"%.40s\" is not a whole number; "
		    "its pending %+lld stays pending", r->item_id, r->on_hand,
		    it->delta);
		it->found = -1;
		return 0;
	}
	it->found = 1;
	it->row = r->row;
	it->before = b;
	it->after = b + it->delta;
	snprintf(repl, replsz, "%lld", it->after);
	return 1;
}

/* stockcsv callback of a resolution: which items show their new value. */
static int
check_row(void *ctx, const struct stockcsv_row *r, char *repl,
    size_t replsz)
{
	struct flush *f = ctx;
	struct item *it;
	long long v;

	if (r->item_id[0] == '\0' || (it = item_find(f, r->item_id)) ==
	    NULL || it->found != 0)
		return 0;
	it->found = 1;
	if (whole(r->on_hand, &v) == 0 && v == it->after)
		it->applied = 1;
	else if (whole(r->on_hand, &v) == -1 || v != it->before)
		log_warn(f->sheet, "the sheet was edited after an interrupted "
		    "flush: %s shows %.40s, neither %lld (before) nor %lld "
		    "(after); its %+lld stays pending", it->item_id,
		    r->on_hand, it->before, it->after, it->delta);
	return 0;
}

/* Opens the Google Sheet's CSV export. NULL after logging (status set). */
static FILE *
gsheet_open(struct flush *f, int *status)
{
	struct docsrc_info info;
	char err[512];
	FILE *fp;

	*status = 0;
	if ((fp = google_docsrc_fetch(f->gid, &info, status, err,
	    sizeof(err))) == NULL) {
		log_error(f->sheet, "%s", err);
		if (*status == 0)
			*status = EX_UNAVAILABLE;
	}
	return fp;
}

/* The intent record (JSON text, malloc'd) of f in state. */
static char *
intent_text(struct flush *f, const char *state, time_t started)
{
	json_t *root, *items, *one;
	char *text;
	size_t i;

	items = json_array();
	for (i = 0; items != NULL && i < f->n; i++) {
		if (f->items[i].found != 1)
			continue;
		one = json_pack("{s:s,s:I,s:I,s:I,s:I}", "item_id",
		    f->items[i].item_id, "delta",
		    (json_int_t)f->items[i].delta, "before",
		    (json_int_t)f->items[i].before, "after",
		    (json_int_t)f->items[i].after, "row",
		    (json_int_t)f->items[i].row);
		if (json_array_append_new(items, one) == -1) {
			json_decref(items);
			return NULL;
		}
	}
	root = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:i,s:o}",
	    "state", state, "flush_id", f->flush_id, "host", f->host,
	    "started", (json_int_t)started, "sheet", f->sheet, "tmp", f->tmp,
	    "base_sha", f->base_sha, "new_sha", f->new_sha, "col", f->col,
	    "items", items);
	if (root == NULL)
		return NULL;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

/* Compare and swap of our intent; a store failure is logged. */
static int
intent_swap(struct flush *f, const char *expect_id, const char *expect_owner,
    const char *owner, const char *text)
{
	struct store_flush next;
	int rc;

	memset(&next, 0, sizeof(next));
	snprintf(next.flush_id, sizeof(next.flush_id), "%s", f->flush_id);
	snprintf(next.owner, sizeof(next.owner), "%s", owner);
	next.record = (char *)text;
	rc = store_flush_swap(f->store, expect_id, expect_owner,
	    text != NULL ? &next : NULL);
	if (rc != STORE_OK && rc != STORE_CONFLICT)
		log_error(NULL, "the flush intent: %s", store_error(f->store));
	return rc;
}

/* Whether the owner of an intent is gone (or its lease is over). */
static int
owner_gone(struct flush *f, const char *owner, time_t now)
{
	char host[128];
	long long pid, started;

	if (strcmp(owner, "abandoned") == 0)
		return 1;
	if (sscanf(owner, "%127s %lld %lld", host, &pid, &started) != 3)
		return 1;
	if (now - started > FLUSH_LEASE)
		return 1;
	if (strcmp(host, f->host) != 0 || pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/* Settles the applied (or all found) items with f->flush_id. */
static int
settle_items(struct flush *f, int only_applied, const char *fault)
{
	size_t i, k = 0;
	int rc;

	for (i = 0; i < f->n; i++) {
		if (f->items[i].found != 1 || (only_applied &&
		    !f->items[i].applied))
			continue;
		rc = store_pos_settle(f->store, f->items[i].item_id,
		    f->items[i].delta, f->flush_id, f->at);
		if (rc != STORE_OK && rc != STORE_CONFLICT) {
			log_error(f->items[i].item_id, "cannot settle flush "
			    "%s: %s", f->flush_id, store_error(f->store));
			return cli_store_status(rc);
		}
		if (++k == 1)
			cli_fault(f->cfg, fault);
	}
	return 0;
}

/* Loads an intent's items into f (found = 1 each, applied 0). */
static int
intent_load(struct flush *f, json_t *root)
{
	json_t *items, *one;
	const char *s;
	size_t i;

	items_free(f);
	snprintf(f->tmp, sizeof(f->tmp), "%s", (s = json_string_value(
	    json_object_get(root, "tmp"))) ? s : "");
	snprintf(f->base_sha, sizeof(f->base_sha), "%s", (s =
	    json_string_value(json_object_get(root, "base_sha"))) ? s : "");
	snprintf(f->new_sha, sizeof(f->new_sha), "%s", (s =
	    json_string_value(json_object_get(root, "new_sha"))) ? s : "");
	items = json_object_get(root, "items");
	json_array_foreach(items, i, one) {
		if (f->n == FLUSH_MAX || (s = json_string_value(
		    json_object_get(one, "item_id"))) == NULL)
			break;
		memset(&f->items[f->n], 0, sizeof(f->items[0]));
		if ((f->items[f->n].item_id = strdup(s)) == NULL)
			return EX_OSERR;
		f->items[f->n].delta = json_integer_value(json_object_get(one,
		    "delta"));
		f->items[f->n].before = json_integer_value(json_object_get(one,
		    "before"));
		f->items[f->n].after = json_integer_value(json_object_get(one,
		    "after"));
		f->items[f->n].row = (unsigned long)json_integer_value(
		    json_object_get(one, "row"));
		f->items[f->n].found = 1;
		f->n++;
	}
	qsort(f->items, f->n, sizeof(*f->items), item_cmp);
	return 0;
}

/*
 * Which items of a written intent reached the sheet: all when the local
 * sheet is the new file, none when it is the one read, else per item by
 * its on_hand. 0 or an exit status.
 */
static int
intent_applied(struct flush *f)
{
	struct stockcsv_info info;
	char sha[SHA_HEX], err[512];
	size_t i;
	FILE *fp;
	int st;

	if (f->gid == NULL && (st = crypto_load()) != 0)
		return st;
	if (f->gid == NULL && sha256_file(f->sheet, sha) == 0) {
		if (strcmp(sha, f->new_sha) == 0 || strcmp(sha,
		    f->base_sha) == 0) {
			for (i = 0; i < f->n; i++)
				f->items[i].applied = strcmp(sha,
				    f->new_sha) == 0;
			return 0;
		}
	}
	for (i = 0; i < f->n; i++)
		f->items[i].found = 0;
	if (f->gid != NULL)
		fp = gsheet_open(f, &st);
	else if ((fp = fopen(f->sheet, "r")) == NULL) {
		log_error(f->sheet, "%s", strerror(errno));
		return EX_NOINPUT;
	}
	if (fp == NULL)
		return st;
	if (stockcsv_rewrite(fp, NULL, check_row, f, &info, err,
	    sizeof(err)) == -1) {
		log_error(f->sheet, "%s", err);
		fclose(fp);
		return EX_DATAERR;
	}
	fclose(fp);
	for (i = 0; i < f->n; i++)
		f->items[i].found = 1;
	return 0;
}

/*
 * Step 0: an intent left by another flush. 0 when there is none (left),
 * or an exit status (75: its owner is still at work).
 */
static int
resolve(struct flush *f)
{
	struct store_flush cur;
	json_error_t je;
	json_t *root = NULL;
	const char *state, *s, *sheet = f->sheet, *gid = f->gid;
	char mine[STORE_ID_MAX];
	size_t i, on = 0;
	int rc;

	memset(&cur, 0, sizeof(cur));
	if ((rc = store_flush_get(f->store, &cur)) == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK) {
		log_error(NULL, "cannot read the flush intent: %s",
		    store_error(f->store));
		return cli_store_status(rc);
	}
	if (!owner_gone(f, cur.owner, time(NULL))) {
		log_error(NULL, "flush %s is in progress (%s); try again later",
		    cur.flush_id, cur.owner);
		free(cur.record);
		return EX_TEMPFAIL;
	}
	if (f->dry_run) {
		log_info(NULL, "flush %s was interrupted: a real run finishes "
		    "it first", cur.flush_id);
		free(cur.record);
		return 0;
	}
	/* Take it over: one resolver wins. */
	snprintf(f->flush_id, sizeof(f->flush_id), "%s", cur.flush_id);
	snprintf(mine, sizeof(mine), "%s", f->owner);
	rc = intent_swap(f, cur.flush_id, cur.owner, mine, cur.record);
	if (rc == STORE_CONFLICT) {
		log_error(NULL, "flush %s is being finished by another "
		    "ir-flush; try again later", cur.flush_id);
		rc = EX_TEMPFAIL;
	}
	if (rc != STORE_OK)
		goto out;
	if ((root = json_loads(cur.record, 0, &je)) == NULL ||
	    (state = json_string_value(json_object_get(root, "state"))) ==
	    NULL) {
		log_error(NULL, "flush %s: the intent cannot be read; it is "
		    "left in the store", cur.flush_id);
		rc = EX_SOFTWARE;
		goto out;
	}
	if ((rc = intent_load(f, root)) != 0)
		goto out;
	/* Finished on the sheet it was writing, whatever IR_STOCK is now. */
	if ((s = json_string_value(json_object_get(root, "sheet"))) != NULL &&
	    strcmp(s, f->sheet) != 0) {
		f->sheet = s;
		f->gid = strncmp(s, "gsheet://", 9) == 0 ? s + 9 : NULL;
	}
	if (strcmp(state, "written") == 0) {
		if ((rc = intent_applied(f)) != 0)
			goto out;
		if ((rc = settle_items(f, 1, "flush-resume-settling")) != 0)
			goto out;
		for (i = 0; i < f->n; i++)
			on += f->items[i].applied != 0;
		log_info(NULL, "finished the interrupted flush %s: %zu of its "
		    "%zu items were on the sheet", f->flush_id, on, f->n);
	} else
		log_info(NULL, "the interrupted flush %s wrote nothing: "
		    "dropped", f->flush_id);
	if (f->tmp[0] != '\0' && unlink(f->tmp) == -1 && errno != ENOENT)
		log_warn(f->tmp, "cannot remove: %s", strerror(errno));
	rc = intent_swap(f, f->flush_id, mine, mine, NULL);
	rc = rc == STORE_OK || rc == STORE_CONFLICT ? 0 : cli_store_status(rc);
out:
	f->sheet = sheet;
	f->gid = gid;
	json_decref(root);
	free(cur.record);
	items_free(f);
	f->tmp[0] = '\0';
	return rc;
}

/* fsyncs the directory of path, so a rename in it is durable. */
static int
sync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		free(copy);
		return -1;
	}
	rc = fsync(fd);
	close(fd);
	free(copy);
	return rc;
}

/*
 * Step 3, local: the new sheet into the temporary file, fsync'd, with
 * the sheet's mode. 0 or an exit status.
 */
static int
write_temp(struct flush *f)
{
	struct stockcsv_info info;
	struct stat sb;
	char err[512];
	FILE *in, *out;
	int fd, rc;

	if ((in = fopen(f->sheet, "r")) == NULL) {
		log_error(f->sheet, "%s", strerror(errno));
		return errno == ENOENT ? EX_NOINPUT : EX_IOERR;
	}
	if (fstat(fileno(in), &sb) == -1 || (fd = open(f->tmp, O_WRONLY |
	    O_CREAT | O_EXCL, 0600)) == -1) {
		log_error(f->tmp, "cannot create: %s", strerror(errno));
		fclose(in);
		return EX_CANTCREAT;
	}
	if (fchmod(fd, sb.st_mode & 07777) == -1 ||
	    (out = fdopen(fd, "w")) == NULL) {
		log_error(f->tmp, "%s", strerror(errno));
		close(fd);
		fclose(in);
		unlink(f->tmp);
		return EX_CANTCREAT;
	}
	rc = stockcsv_rewrite(in, out, plan_row, f, &info, err, sizeof(err));
	fclose(in);
	if (rc == -1)
		log_error(f->sheet, "%s", err);
	if (fflush(out) == EOF || fsync(fd) == -1) {
		if (rc == 0)
			log_error(f->tmp, "%s", strerror(errno));
		rc = -2;
	}
	if (fclose(out) == EOF && rc == 0) {
		log_error(f->tmp, "%s", strerror(errno));
		rc = -2;
	}
	if (rc != 0) {
		unlink(f->tmp);
		return rc == -1 ? EX_DATAERR : EX_IOERR;
	}
	if (sha256_file(f->tmp, f->new_sha) == -1) {
		log_error(f->tmp, "cannot read back");
		unlink(f->tmp);
		return EX_IOERR;
	}
	return 0;
}

/* Step 3, gsheet: where each item's cell is, from the export. */
static int
plan_gsheet(struct flush *f)
{
	struct stockcsv_info info;
	char err[512];
	FILE *fp;
	int st;

	if ((fp = gsheet_open(f, &st)) == NULL)
		return st;
	if (stockcsv_rewrite(fp, NULL, plan_row, f, &info, err,
	    sizeof(err)) == -1) {
		log_error(f->sheet, "%s", err);
		fclose(fp);
		return EX_DATAERR;
	}
	fclose(fp);
	f->col = info.on_hand_col;
	return 0;
}

/* Step 5, gsheet: one RAW write per cell. 0 or an exit status. */
static int
write_gsheet(struct flush *f)
{
	char range[32], val[32], err[512];
	const char *v[1];
	size_t i;
	int rc;

	for (i = 0; i < f->n; i++) {
		if (f->items[i].found != 1)
			continue;
		stockcsv_col_name(f->col, range, sizeof(range));
		snprintf(range + strlen(range), sizeof(range) - strlen(range),
		    "%lu", f->items[i].row);
		snprintf(val, sizeof(val), "%lld", f->items[i].after);
		v[0] = val;
		if ((rc = google_sheet_write(f->gid, range, v, 1, err,
		    sizeof(err))) != 0) {
			log_error(f->sheet, "%s: %s", f->items[i].item_id, err);
			return rc;
		}
	}
	return 0;
}

/* The flush record: what was (or would be) written. */
static void
write_record(struct flush *f, int written)
{
	struct buf arr = { 0 };
	long long units = 0;
	size_t i, n = 0;

	buf_addc(&arr, '[');
	for (i = 0; i < f->n; i++) {
		if (f->items[i].found != 1)
			continue;
		units += f->items[i].delta;
		if (n++ > 0)
			buf_addc(&arr, ',');
		buf_adds(&arr, "{\"item_id\":");
		jsonw_str(&arr, f->items[i].item_id,
		    strlen(f->items[i].item_id));
		buf_addf(&arr, ",\"before\":%lld,\"after\":%lld,"
		    "\"delta\":%lld}", f->items[i].before, f->items[i].after,
		    f->items[i].delta);
	}
	buf_addc(&arr, ']');
	buf_reset(&f->out);
	recw_begin(&f->out, "flush");
	if (written)
		recw_str(&f->out, "flush_id", f->flush_id);
	else
		recw_null(&f->out, "flush_id");
	recw_int(&f->out, "items", (long long)n);
	recw_int(&f->out, "units", units);
	recw_str(&f->out, "sheet", f->sheet);
	if (f->dry_run)
		recw_raw(&f->out, "dry_run", "true", 4);
	recw_raw(&f->out, "changes", arr.p != NULL ? arr.p : "[]",
	    arr.p != NULL ? arr.len : 2);
	recw_end(&f->out);
	fwrite(f->out.p, 1, f->out.len, stdout);
	buf_free(&arr);
}

/* Reports items of P the sheet cannot take (they stay pending). */
static void
report_unwritable(struct flush *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->items[i].found == 1)
			continue;
		if (f->items[i].found == 0)
			log_error(f->items[i].item_id, "not in %s: its pending "
			    "%+lld stays pending", f->sheet,
			    f->items[i].delta);
		f->status = cli_worst(f->status, EX_DATAERR);
	}
}

/* Whether any item of P can be written. */
static int
writable(const struct flush *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].found == 1)
			return 1;
	return 0;
}

/*
 * Gives the intent up after a failure past step 4: the next ir-flush may
 * take it over at once (its owner is "abandoned"), and resolves it.
 */
static void
abandon(struct flush *f, const char *text)
{
	if (intent_swap(f, f->flush_id, f->owner, "abandoned", text) ==
	    STORE_OK)
		log_info(NULL, "flush %s stopped; the next ir-flush finishes "
		    "it", f->flush_id);
}

/* A new flush id: the real time, the pid, and a random part. */
static void
new_flush_id(struct flush *f)
{
	unsigned char r[3] = { 0, 0, 0 };
	struct tm tm;
	time_t now = time(NULL);
	FILE *fp;

	if ((fp = fopen("/dev/urandom", "r")) != NULL) {
		if (fread(r, 1, sizeof(r), fp) != sizeof(r))
			r[0] = r[1] = r[2] = 0;
		fclose(fp);
	}
	gmtime_r(&now, &tm);
	snprintf(f->flush_id, sizeof(f->flush_id),
	    "flush-%04d%02d%02dT%02d%02d%02dZ-%ld-%02x%02x%02x",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)getpid(), r[0], r[1], r[2]);
}

/* The temporary file of a flush: beside the sheet, named by the flush. */
static void
temp_name(struct flush *f)
{
	char *copy, *dir, *base;

	f->tmp[0] = '\0';
	if (f->gid != NULL)
		return;
	if ((copy = strdup(f->sheet)) == NULL)
		return;
	dir = dirname(copy);
	base = strrchr(f->sheet, '/');
	base = base != NULL ? base + 1 : (char *)f->sheet;
	snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.%s.tmp", dir, base,
	    f->flush_id);
	free(copy);
}

/* --dry-run: P and what the sheet would become; nothing written. */
static int
dry_run(struct flush *f)
{
	int rc;

	if ((rc = snapshot(f)) != 0)
		return rc;
	if (f->n > 0) {
		if (f->gid != NULL)
			rc = plan_gsheet(f);
		else {
			/* Plan on a scan: nothing is created. */
			struct stockcsv_info info;
			char err[512];
			FILE *fp;

			if ((fp = fopen(f->sheet, "r")) == NULL) {
				log_error(f->sheet, "%s", strerror(errno));
				return EX_NOINPUT;
			}
			if (stockcsv_rewrite(fp, NULL, plan_row, f, &info, err,
			    sizeof(err)) == -1) {
				log_error(f->sheet, "%s", err);
				rc = EX_DATAERR;
			}
			fclose(fp);
		}
		if (rc != 0)
			return rc;
		report_unwritable(f);
	}
	write_record(f, 0);
	return 0;
}

/*
 * One flush, steps 1 to 7 (see the top of the file). 0 or an exit
 * status; f->full tells whether P was cut at FLUSH_MAX.
 */
static int
flush_once(struct flush *f)
{
	char *claimed = NULL, *written = NULL, sha[SHA_HEX];
	time_t started = time(NULL);
	int rc;

	/* A look first: nothing pending, nothing claimed. */
	if ((rc = snapshot(f)) != 0)
		return rc;
	if (f->n == 0) {
		write_record(f, 0);
		return 0;
	}
	/* a local sheet is compared by its sha256: before the claim */
	if (f->gid == NULL && (rc = crypto_load()) != 0)
		return rc;
	new_flush_id(f);
	temp_name(f);
	f->base_sha[0] = f->new_sha[0] = '\0';
	f->col = -1;

	/* 1. claim */
	items_free(f);
	if ((claimed = intent_text(f, "claimed", started)) == NULL)
		return EX_OSERR;
	if ((rc = intent_swap(f, NULL, NULL, f->owner, claimed)) ==
	    STORE_CONFLICT) {
		log_error(NULL, "another ir-flush started just now; try again "
		    "later");
		rc = EX_TEMPFAIL;
		goto out;
	}
	if (rc != STORE_OK) {
		rc = cli_store_status(rc);
		goto out;
	}
	cli_fault(f->cfg, "flush-claimed");

	/* 2. snapshot P, 3. plan (local: the new file) */
	if ((rc = snapshot(f)) != 0)
		goto drop;
	if (f->gid != NULL)
		rc = plan_gsheet(f);
	else if ((rc = sha256_file(f->sheet, f->base_sha)) == -1) {
		log_error(f->sheet, "cannot read: %s", strerror(errno));
		rc = errno == ENOENT ? EX_NOINPUT : EX_IOERR;
	} else
		rc = write_temp(f);
	if (rc != 0)
		goto drop;
	report_unwritable(f);
	cli_fault(f->cfg, "flush-temp");
	if (!writable(f)) {
		rc = 0;
		goto drop;
	}

	/* 4. the intent holds P, before and after */
	if ((written = intent_text(f, "written", started)) == NULL) {
		rc = EX_OSERR;
		goto drop;
	}
	if ((rc = intent_swap(f, f->flush_id, f->owner, f->owner,
	    written)) != STORE_OK) {
		if (rc == STORE_CONFLICT)
			log_error(NULL, "flush %s was taken over by another "
			    "ir-flush; try again later", f->flush_id);
		rc = rc == STORE_CONFLICT ? EX_TEMPFAIL : cli_store_status(rc);
		if (f->tmp[0] != '\0')
			unlink(f->tmp);
		goto out;
	}
	cli_fault(f->cfg, "flush-intent");

	/* 5. the sheet */
	if (f->gid != NULL) {
		if ((rc = write_gsheet(f)) != 0) {
			abandon(f, written);
			goto out;
		}
	} else {
		if (sha256_file(f->sheet, sha) == -1 || strcmp(sha,
		    f->base_sha) != 0) {
			log_error(f->sheet, "the sheet changed while it was "
			    "being flushed; nothing written, run again");
			rc = EX_TEMPFAIL;
			goto drop;
		}
		if (rename(f->tmp, f->sheet) == -1) {
			log_error(f->sheet, "cannot replace: %s",
			    strerror(errno));
			rc = EX_IOERR;
			goto drop;
		}
		if (sync_dir(f->sheet) == -1)
			log_warn(f->sheet, "cannot sync its directory: %s",
			    strerror(errno));
	}
	cli_fault(f->cfg, "flush-renamed");

	/* 6. settle exactly P */
	if ((rc = settle_items(f, 0, "flush-settling")) != 0) {
		abandon(f, written);
		goto out;
	}
	cli_fault(f->cfg, "flush-settled");

	/* 7. release, report */
	if ((rc = intent_swap(f, f->flush_id, f->owner, f->owner, NULL)) !=
	    STORE_OK) {
		rc = rc == STORE_CONFLICT ? EX_TEMPFAIL : cli_store_status(rc);
		goto out;
	}
	cli_fault(f->cfg, "flush-released");
	write_record(f, 1);
	rc = 0;
	goto out;
drop:
	/* Nothing reached the sheet: the intent goes, P stays pending. */
	if (f->tmp[0] != '\0')
		unlink(f->tmp);
	if (intent_swap(f, f->flush_id, f->owner, f->owner, NULL) !=
	    STORE_OK)
		log_warn(NULL, "flush %s: the intent is left for the next "
		    "ir-flush", f->flush_id);
	if (rc == 0)
		write_record(f, 0);
out:
	free(claimed);
	free(written);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "now",	required_argument,	NULL, 'N' },
		{ "stock",	required_argument,	NULL, 'k' },
		{ "store",	required_argument,	NULL, 's' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct flush *f;
	const char *conf = NULL, *now = NULL, *store_uri = NULL;
	const char *stock = NULL;
	char err[512];
	int ch, rc = 0, round;

	log_init(argv[0]);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return EX_OSERR;
	while ((ch = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'k': stock = optarg; break;
		case 'n': f->dry_run = 1; break;
		case 'N': now = optarg; break;
		case 's': store_uri = optarg; break;
		case 'h': usage(stdout); free(f); return 0;
		case 'V': cli_version(); free(f); return 0;
		default: usage(stderr); free(f); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		free(f);
		return EX_USAGE;
	}
	if ((f->cfg = cli_config(conf, now)) == NULL) {
		free(f);
		return cli_last_status;
	}
	if (store_uri != NULL)
		config_set(f->cfg, "IR_STORE", store_uri);
	if (stock != NULL)
		config_set(f->cfg, "IR_STOCK", stock);
	if ((f->sheet = config_get(f->cfg, "IR_STOCK")) == NULL) {
		log_error(NULL, "no stock sheet: set IR_STOCK or --stock");
		rc = EX_CONFIG;
		goto out;
	}
	if (strncmp(f->sheet, "gsheet://", 9) == 0)
		f->gid = f->sheet + 9;
	else if (strncmp(f->sheet, "s3://", 5) == 0 ||
	    strcmp(f->sheet, "-") == 0) {
		log_error(f->sheet, "ir-flush writes a local CSV file or a "
		    "Google Sheet (gsheet://ID), not %s", f->sheet[0] == '-' ?
		    "standard input" : "an S3 mirror");
		rc = EX_CONFIG;
		goto out;
	}
	if ((f->items = calloc(FLUSH_MAX, sizeof(*f->items))) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	if (gethostname(f->host, sizeof(f->host)) == -1 || f->host[0] == '\0')
		snprintf(f->host, sizeof(f->host), "localhost");
	f->host[sizeof(f->host) - 1] = '\0';
	for (char *h = f->host; *h; h++)
		if (*h == ' ')
			*h = '_';
	/* Who holds an intent: this process, since now (the real clock). */
	snprintf(f->owner, sizeof(f->owner), "%s %ld %lld", f->host,
	    (long)getpid(), (long long)time(NULL));
	clock_rfc3339(clock_now(), f->at);
	if ((f->store = store_open(config_get(f->cfg, "IR_STORE"), err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	cli_stdout_buffering();
	if ((rc = resolve(f)) != 0)
		goto out;
	if (f->dry_run) {
		rc = dry_run(f);
		goto out;
	}
	for (round = 0; round < FLUSH_ROUNDS; round++)
		if ((rc = flush_once(f)) != 0 || !f->full)
			break;
out:
	items_free(f);
	free(f->items);
	store_close(f->store);
	buf_free(&f->out);
	rc = cli_exit(cli_worst(rc, f->status));
	config_free(f->cfg);
	free(f);
	return rc;
}
