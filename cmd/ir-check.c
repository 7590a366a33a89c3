/*
 * ir-check: item records in, move records out (rules.md "Reorder point and
 * move").
 *
 * Reads NDJSON from the files named (or stdin). For each "item" it computes
 * the reorder point and the move, reading the item's open order and skip
 * state from the store in batches of up to 100 items (a constant number of
 * queries on SQLite). Writes "move" records for reorder and urgent_reorder
 * (every move with --all); other record types pass through unchanged, in
 * order. Side effect: last_move and last_checked per item (not with
 * --dry-run). A record that is not JSON, has no type, or an item without a
 * usable item_id/on_hand is reported with its source and line and
 * skipped; the exit status is then 65.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "dec.h"
#include "events.h"
#include "log.h"
#include "ndjson.h"
#include "reorder.h"
#include "store.h"

#define BATCH	100
#define NOTE_BATCH	5000	/* last_move writes per transaction */

enum { K_TYPE, K_ITEM_ID, K_ON_HAND, K_RATE, K_LEAD, K_BUFFER, K_OVERRIDE,
	K__N };
/* The members a move writes: not copied from the item. */
#define S__N	8

struct pending {
	size_t	 off, len;	/* of its line in the batch's lines */
	int	 is_item;
	char	 item_id[STORE_ID_MAX];
	struct reorder_item it;
	long long point;	/* reorder_point(&it) */
};

struct check {
	struct store	*store;
	int		 all, dry_run;
	int64_t		 margin;
	long long	 default_lead;
	char		 today[CLOCK_DATE_LEN];
	char		 now[CLOCK_TIME_LEN];
	struct pending	 batch[BATCH];
	size_t		 n;
	struct buf	 lines;		/* the batch's lines, in one */
	struct rec	 rec;
	/* key_names and skip_names, with rec_get_many's hints */
	struct rec_key	 keys[K__N];
	struct rec_key	 skip_keys[S__N];
	struct buf	 out;
	int		 status;
	unsigned long	 items, moves;
	struct events_batch *emit;	/* --emit eventbridge, or NULL */
	int		 emit_status;
	char		 emit_err[512];
	/* last_move notes waiting for their write (flush_notes) */
	struct buf	 note_ids;	/* the item ids, NUL-separated */
	size_t		 note_off[NOTE_BATCH];
	const char	*note_move[NOTE_BATCH];	/* static names */
	size_t		 nnotes;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-check [--all] [--dry-run] [--config FILE] "
	    "[--emit eventbridge]\n"
	    "                [--now TIME] [--store URI] [file ...]\n");
}

/* The members ir-check reads, found in one pass (rec_get_many). */
static const struct rec_key key_names[K__N] = {
	[K_TYPE] = REC_KEY("type"),
	[K_ITEM_ID] = REC_KEY("item_id"),
	[K_ON_HAND] = REC_KEY("on_hand"),
	[K_RATE] = REC_KEY("rate"),
	[K_LEAD] = REC_KEY("lead_time_days"),
	[K_BUFFER] = REC_KEY("buffer"),
	[K_OVERRIDE] = REC_KEY("point_override"),
};

static const struct rec_key skip_names[S__N] = {
	REC_KEY("move"), REC_KEY("point"), REC_KEY("checked_at"),
	REC_KEY("reason"), REC_KEY("order_id"), REC_KEY("order_status"),
	REC_KEY("expected_date"), REC_KEY("overdue"),
};

/* Reads the fields ir-check needs from an item record's members v. */
static int
parse_item(struct check *c, const struct rec_field *const *v,
    struct pending *p, char *err, size_t errsz)
{
	struct reorder_item *it = &p->it;
	long long n;
	int rc;

	memset(it, 0, sizeof(*it));
	rc = rec_field_str(v[K_ITEM_ID], p->item_id, sizeof(p->item_id));
	if (rc <= 0) {
		snprintf(err, errsz, rc == -3 ? "item_id is too long" :
		    "item has no item_id");
		return -1;
	}
	if (rec_field_int(v[K_ON_HAND], &it->on_hand) != 0) {
		snprintf(err, errsz, "%s: on_hand is missing or not a whole "
		    "number", p->item_id);
		return -1;
	}
	if ((rc = rec_field_dec(v[K_RATE], &it->rate)) == -2 ||
	    it->rate < 0) {
		snprintf(err, errsz, "%s: rate is not a number of units a day "
		    "(0 or more)", p->item_id);
		return -1;
	}
	it->lead = c->default_lead;
	if ((rc = rec_field_int(v[K_LEAD], &n)) == 0 && n >= 0)
		it->lead = n;
	else if (rc == -2 || (rc == 0 && n < 0)) {
		snprintf(err, errsz, "%s: lead_time_days is not a whole number "
		    "of days", p->item_id);
		return -1;
	}
	if ((rc = rec_field_int(v[K_BUFFER], &it->buffer)) == -2 ||
	    it->buffer < 0) {
		snprintf(err, errsz, "%s: buffer is not a whole number (0 or "
		    "more)", p->item_id);
		return -1;
	}
	if ((rc = rec_field_int(v[K_OVERRIDE], &n)) == 0) {
		if (n < 0) {
			snprintf(err, errsz, "%s: point_override is negative",
			    p->item_id);
			return -1;
		}
		it->has_override = 1;
		it->point_override = n;
	} else if (rc == -2) {
		snprintf(err, errsz, "%s: point_override is not a whole number",
		    p->item_id);
		return -1;
	}
	return 0;
}

/* Decides and writes one item's move. */
static void
decide(struct check *c, struct pending *p, const struct store_item_state *st,
    struct store_move_note *note)
{
	const struct rec_field *had[S__N];
	const char *skip[S__N + 1];
	long long point = p->point;
	int open = st->status != ORDER_NONE;
	int snoozed = st->skip_until[0] && strcmp(st->skip_until, c->today) > 0;
	int move = reorder_move(&p->it, point, c->margin, open, snoozed);
	char reason[256];
	size_t i, n;

	note->item_id = p->item_id;
	note->move = reorder_move_name(move);
	note->checked_at = c->now;
	c->items++;
	if (st->status == ORDER_SENDING)
		log_warn(p->item_id, "order %s was approved but sending it to "
		    "the supplier was never confirmed; nothing will be re-sent "
		    "on its own: check the outbox and with the supplier, then "
		    "run ir-approve --confirm %s (the supplier has it) or "
		    "--reset %s (to approve it again)", st->order_id,
		    st->order_id, st->order_id);
	if (!c->all && move != MOVE_REORDER && move != MOVE_URGENT)
		return;
	/* take() kept the line: without --all, a move it may write */
	if (rec_parse(&c->rec, c->lines.p + p->off, p->len) == -1)
		return;		/* parsed once already: cannot happen */
	/*
	 * recw_copy compares every member with every name to skip: give it
	 * only the ones this record has (usually none).
	 */
	rec_get_many(&c->rec, c->skip_keys, S__N, had);
	for (i = 0, n = 0; i < S__N; i++)
		if (had[i] != NULL)
			skip[n++] = skip_names[i].name;
	skip[n] = NULL;
	reorder_reason(&p->it, point, c->margin, move, reason, sizeof(reason));
	buf_reset(&c->out);
	recw_begin(&c->out, "move");
	recw_copy(&c->out, &c->rec, skip);
	recw_str(&c->out, "move", reorder_move_name(move));
	recw_int(&c->out, "point", point);
	recw_str(&c->out, "checked_at", c->now);
	recw_str(&c->out, "reason", reason);
	if (open) {
		recw_str(&c->out, "order_id", st->order_id);
		recw_str(&c->out, "order_status",
		    store_status_name(st->status));
		if (st->expected_date[0]) {
			recw_str(&c->out, "expected_date", st->expected_date);
			if (st->status == ORDER_ON_ORDER &&
			    strcmp(st->expected_date, c->today) < 0)
				recw_raw(&c->out, "overdue", "true", 4);
		}
	}
	recw_end(&c->out);
	fwrite(c->out.p, 1, c->out.len, stdout);
	c->moves++;
	if (c->emit != NULL && c->emit_status == 0 &&
	    (move == MOVE_REORDER || move == MOVE_URGENT) &&
	    events_add(c->emit, move == MOVE_URGENT ? "ir.urgent_reorder" :
	    "ir.reorder", c->out.p, c->out.len - 1, &c->emit_status,
	    c->emit_err, sizeof(c->emit_err)) == -1 && c->emit_status == 0)
		c->emit_status = EX_SOFTWARE;
}

/*
 * Records last_move / last_checked for the notes kept so far, in one store
 * call: reads go by BATCH (the store's batch size), writes by NOTE_BATCH,
 * because every SQLite commit rewrites the pages it touched and 10k small
 * commits made 1M items take 17 s.
 */
static int
flush_notes(struct check *c)
{
	struct store_move_note *notes;
	size_t i;
	int rc = 0;

	if (c->nnotes == 0)
		return 0;
	if ((notes = calloc(c->nnotes, sizeof(*notes))) == NULL) {
		log_error(NULL, "out of memory");
		return EX_OSERR;
	}
	for (i = 0; i < c->nnotes; i++) {
		notes[i].item_id = c->note_ids.p + c->note_off[i];
		notes[i].move = c->note_move[i];
		notes[i].checked_at = c->now;
	}
	if ((rc = store_note_moves(c->store, notes, c->nnotes)) != STORE_OK) {
		log_error(NULL, "cannot record last moves: %s",
		    store_error(c->store));
		rc = cli_store_status(rc);
	}
	free(notes);
	c->nnotes = 0;
	buf_reset(&c->note_ids);
	return rc;
}

/* Looks up the batch's items in one store call, then writes in order. */
static int
flush_batch(struct check *c)
{
	const char *ids[BATCH];
	struct store_item_state st[BATCH];
	struct store_move_note notes[BATCH];
	size_t i, k = 0, nn = 0;
	int rc;

	for (i = 0; i < c->n; i++)
		if (c->batch[i].is_item)
			ids[k++] = c->batch[i].item_id;
	/* store_item_states fills each of the k states it is given */
	if (k > 0 && (rc = store_item_states(c->store, ids, k, st)) !=
	    STORE_OK) {
		log_error(NULL, "cannot read order state: %s",
		    store_error(c->store));
		return cli_store_status(rc);
	}
	for (i = 0, k = 0; i < c->n; i++) {
		struct pending *p = &c->batch[i];

		if (p->is_item)
			decide(c, p, &st[k++], &notes[nn++]);
		else
			fwrite(c->lines.p + p->off, 1, p->len, stdout);
	}
	/* the notes wait for a bigger write batch (see flush_notes) */
	for (i = 0; !c->dry_run && i < nn; i++) {
		if (c->nnotes == NOTE_BATCH && (rc = flush_notes(c)) != 0)
			return rc;
		c->note_off[c->nnotes] = c->note_ids.len;
		c->note_move[c->nnotes++] = notes[i].move;
		if (buf_add(&c->note_ids, notes[i].item_id,
		    strlen(notes[i].item_id) + 1) == -1) {
			log_error(NULL, "out of memory");
			return EX_OSERR;
		}
	}
	buf_reset(&c->lines);
	c->n = 0;
	return 0;
}

/* One input record: queue it (item or pass-through) or report it. */
static int
take(struct check *c, const char *source, const char *line, size_t len,
    unsigned long lineno)
{
	struct pending *p = &c->batch[c->n];
	const struct rec_field *v[K__N];
	char err[256], where[300];
	int rc, move;

	if (rec_parse(&c->rec, line, len) == -1) {
		snprintf(where, sizeof(where), "%s:%lu", source, lineno);
		log_error(where, "%s", c->rec.err);
		c->status = EX_DATAERR;
		return 0;
	}
	rec_get_many(&c->rec, c->keys, K__N, v);
	if (v[K_TYPE] == NULL) {
		snprintf(where, sizeof(where), "%s:%lu", source, lineno);
		log_error(where, "record has no \"type\"");
		c->status = EX_DATAERR;
		return 0;
	}
	p->is_item = rec_field_is(v[K_TYPE], "item");
	if (p->is_item && parse_item(c, v, p, err, sizeof(err)) == -1) {
		snprintf(where, sizeof(where), "%s:%lu", source, lineno);
		log_error(where, "%s", err);
		c->status = EX_DATAERR;
		return 0;
	}
	/*
	 * The batch's lines share one buffer: no allocation per record.
	 * Without --all, only reorder and urgent_reorder are written, and
	 * the store can only turn a move into on_order or snoozed: the line
	 * of an item that is neither before the store is read is not kept.
	 */
	p->off = c->lines.len;
	p->len = 0;
	if (p->is_item) {
		p->point = reorder_point(&p->it);
		move = reorder_move(&p->it, p->point, c->margin, 0, 0);
		if (!c->all && move != MOVE_REORDER && move != MOVE_URGENT)
			goto queued;
	}
	if (buf_add(&c->lines, line, len) == -1 ||
	    buf_addc(&c->lines, '\n') == -1) {
		log_error(NULL, "out of memory");
		return EX_OSERR;
	}
	p->len = len + 1;
queued:
	if (++c->n == BATCH && (rc = flush_batch(c)) != 0)
		return rc;
	return 0;
}

static int
take_record(void *ctx, const char *source, unsigned long lineno,
    const char *line, size_t len)
{
	return take(ctx, source, line, len, lineno);
}

static int
run_file(struct check *c, const char *path)
{
	struct cli_records cr = { 0, take_record, NULL, c, &c->status };

	return cli_each_record(path, &cr);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "all",	no_argument,		NULL, 'a' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "emit",	required_argument,	NULL, 'e' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "now",	required_argument,	NULL, 'N' },
		{ "store",	required_argument,	NULL, 's' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct check *c;
	struct config *cfg;
	const char *conf = NULL, *now = NULL, *store_uri = NULL;
	char err[512];
	int ch, i, rc = 0, emit = 0;

	log_init(argv[0]);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return EX_OSERR;
	while ((ch = getopt_long(argc, argv, "anh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': c->all = 1; break;
		case 'c': conf = optarg; break;
		case 'e':
			if (strcmp(optarg, "eventbridge") != 0) {
				usage(stderr);
				free(c);
				return EX_USAGE;
			}
			emit = 1;
			break;
		case 'n': c->dry_run = 1; break;
		case 'N': now = optarg; break;
		case 's': store_uri = optarg; break;
		case 'h': usage(stdout); free(c); return 0;
		case 'V': cli_version(); free(c); return 0;
		default: usage(stderr); free(c); return EX_USAGE;
		}
	}
	if ((cfg = cli_config(conf, now)) == NULL) {
		free(c);
		return cli_last_status;
	}
	if (store_uri != NULL)
		config_set(cfg, "IR_STORE", store_uri);
	memcpy(c->keys, key_names, sizeof(c->keys));
	memcpy(c->skip_keys, skip_names, sizeof(c->skip_keys));
	c->margin = DEC_SCALE / 4;
	c->default_lead = 7;
	if (config_fraction(cfg, "IR_WATCH_MARGIN", &c->margin, err,
	    sizeof(err)) == -1 || config_int(cfg, "IR_DEFAULT_LEAD_TIME_DAYS",
	    0, 3650, &c->default_lead, err, sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	if ((c->store = store_open(config_get(cfg, "IR_STORE"), err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if (emit && !c->dry_run && (c->emit = events_batch_new(config_get(cfg,
	    "IR_EVENT_BUS"), "ir.checker")) == NULL) {
		log_error(NULL, "out of memory");
		rc = EX_OSERR;
		goto out;
	}
	clock_date(clock_now(), c->today);
	clock_rfc3339(clock_now(), c->now);
	cli_stdout_buffering();
	if (optind == argc)
		rc = run_file(c, "-");
	for (i = optind; rc == 0 && i < argc; i++)
		rc = run_file(c, argv[i]);
	if (rc == 0 && c->n > 0)
		rc = flush_batch(c);
	if (rc == 0)
		rc = flush_notes(c);
	if (c->emit != NULL && c->emit_status == 0)
		events_flush(c->emit, &c->emit_status, c->emit_err,
		    sizeof(c->emit_err));
	if (c->emit != NULL && c->emit_status != 0) {
		log_error(NULL, "%s", c->emit_err);
		rc = cli_worst(rc, c->emit_status);
	} else if (c->emit != NULL && config_get(cfg, "IR_STORE_TRACE"))
		log_info(NULL, "%lu events in %lu PutEvents requests",
		    events_sent(c->emit), events_requests(c->emit));
	if (config_get(cfg, "IR_STORE_TRACE") != NULL)
		log_info(NULL, "%lu items, %lu moves written, store round "
		    "trips: %lu", c->items, c->moves,
		    store_round_trips(c->store));
	store_close(c->store);
out:
	buf_free(&c->lines);
	buf_free(&c->out);
	buf_free(&c->note_ids);
	events_batch_free(c->emit);
	rc = cli_exit(cli_worst(rc, c->status));
	free(c);
	config_free(cfg);
	return rc;
}
