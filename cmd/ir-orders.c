/*
 * ir-orders: a read-only view of the store, so nobody needs SQL to see
 * what the bot did. Lists orders (default), the audit trail, or per-item
 * state, as a table for people or as NDJSON with --json. Writes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "ndjson.h"
#include "store.h"

struct view {
	int		 json;
	unsigned long	 rows;
	struct buf	 out;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-orders [--json] [--config FILE] [--item ID] "
	    "[--status STATUS]\n"
	    "                 [--store URI] [orders | audit | items]\n");
}

/* An empty text is written as null, as the other programs' records do. */
static void
str_or_null(struct buf *b, const char *key, const char *v)
{
	if (v[0] == '\0')
		recw_null(b, key);
	else
		recw_str(b, key, v);
}

static void
emit(struct view *v)
{
	fwrite(v->out.p, 1, v->out.len, stdout);
	buf_reset(&v->out);
}

static int
show_order(void *ctx, const struct store_order *o)
{
	struct view *v = ctx;

	if (v->json) {
		recw_begin(&v->out, "order");
		recw_str(&v->out, "order_id", o->order_id);
		recw_str(&v->out, "item_id", o->item_id);
		recw_str(&v->out, "status", store_status_name(o->status));
		recw_int(&v->out, "qty", o->qty);
		str_or_null(&v->out, "supplier", o->supplier);
		str_or_null(&v->out, "unit_cost", o->unit_cost);
		str_or_null(&v->out, "draft_date", o->draft_date);
		str_or_null(&v->out, "expected_date", o->expected_date);
		str_or_null(&v->out, "message_id", o->message_id);
		str_or_null(&v->out, "by_user", o->by_user);
		str_or_null(&v->out, "updated_at", o->updated_at);
		recw_end(&v->out);
	} else {
		if (v->rows == 0)
			buf_addf(&v->out, "%-28s %-9s %6s %-12s %-10s %-10s "
			    "%s\n", "ORDER", "STATUS", "QTY", "SUPPLIER",
			    "DRAFTED", "EXPECTED", "BY");
		buf_addf(&v->out, "%-28s %-9s %6lld %-12s %-10s %-10s %s%s\n",
		    o->order_id, store_status_name(o->status), o->qty,
		    o->supplier, o->draft_date,
		    o->expected_date[0] ? o->expected_date : "-",
		    o->by_user[0] ? o->by_user : "-",
		    o->status == ORDER_SENDING ?
		    "  (send not confirmed: ir-approve --confirm or --reset)" :
		    "");
	}
	v->rows++;
	emit(v);
	return 0;
}

static int
show_audit(void *ctx, const struct store_audit *a)
{
	struct view *v = ctx;

	if (v->json) {
		recw_begin(&v->out, "audit");
		recw_int(&v->out, "id", a->id);
		recw_str(&v->out, "ts", a->ts);
		recw_str(&v->out, "item_id", a->item_id);
		recw_str(&v->out, "order_id", a->order_id);
		recw_str(&v->out, "action", a->action);
		str_or_null(&v->out, "by_user", a->by_user);
		str_or_null(&v->out, "before", a->before);
		str_or_null(&v->out, "after", a->after);
		str_or_null(&v->out, "note", a->note);
		recw_end(&v->out);
	} else {
		if (v->rows == 0)
			buf_addf(&v->out, "%-25s %-28s %-12s %-10s %-9s %-9s "
			    "%s\n", "TIME", "ORDER", "ACTION", "BY", "BEFORE",
			    "AFTER", "NOTE");
		buf_addf(&v->out, "%-25s %-28s %-12s %-10s %-9s %-9s %s\n",
		    a->ts, a->order_id, a->action,
		    a->by_user[0] ? a->by_user : "-",
		    a->before[0] ? a->before : "-",
		    a->after[0] ? a->after : "-", a->note);
	}
	v->rows++;
	emit(v);
	return 0;
}

static int
show_item(void *ctx, const struct store_item_state *s)
{
	struct view *v = ctx;

	if (v->json) {
		recw_begin(&v->out, "item_state");
		recw_str(&v->out, "item_id", s->item_id);
		str_or_null(&v->out, "last_move", s->last_move);
		str_or_null(&v->out, "last_checked", s->last_checked);
		str_or_null(&v->out, "skip_until", s->skip_until);
		recw_str(&v->out, "order_id", s->order_id);
		recw_str(&v->out, "order_status", store_status_name(s->status));
		recw_end(&v->out);
	} else {
		if (v->rows == 0)
			buf_addf(&v->out, "%-20s %-15s %-25s %-10s %s\n",
			    "ITEM", "LAST MOVE", "CHECKED", "SKIP UNTIL",
			    "OPEN ORDER");
		buf_addf(&v->out, "%-20s %-15s %-25s %-10s %s%s%s%s\n",
		    s->item_id, s->last_move[0] ? s->last_move : "-",
		    s->last_checked[0] ? s->last_checked : "-",
		    s->skip_until[0] ? s->skip_until : "-",
		    s->order_id[0] ? s->order_id : "-",
		    s->order_id[0] ? " (" : "", store_status_name(s->status),
		    s->order_id[0] ? ")" : "");
	}
	v->rows++;
	emit(v);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "item",	required_argument,	NULL, 'i' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "status",	required_argument,	NULL, 't' },
		{ "store",	required_argument,	NULL, 's' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct view v = { 0 };
	struct config *cfg;
	struct store *st;
	const char *conf = NULL, *item = NULL, *status = NULL;
	const char *store_uri = NULL, *what = "orders";
	char err[512];
	int ch, rc;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "hj", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'i': item = optarg; break;
		case 'j': v.json = 1; break;
		case 's': store_uri = optarg; break;
		case 't': status = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc)
		what = argv[optind++];
	if (optind < argc || (strcmp(what, "orders") && strcmp(what, "audit") &&
	    strcmp(what, "items"))) {
		usage(stderr);
		return EX_USAGE;
	}
	if (status && store_status_parse(status) <= 0) {
		fprintf(stderr, "ir-orders: --status %s: one of pending, "
		    "sending, on-order, received, skipped\n", status);
		return EX_USAGE;
	}
	if ((cfg = cli_config(conf, NULL)) == NULL)
		return cli_last_status;
	if (store_uri)
		config_set(cfg, "IR_STORE", store_uri);
	if ((st = store_open(config_get(cfg, "IR_STORE"), err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	if (strcmp(what, "orders") == 0)
		rc = store_list_orders(st, status, item, show_order, &v);
	else if (strcmp(what, "audit") == 0)
		rc = store_list_audit(st, item, show_audit, &v);
	else
		rc = store_list_items(st, item, show_item, &v);
	if (rc != STORE_OK) {
		log_error(NULL, "%s", store_error(st));
		rc = cli_store_status(rc);
	} else
		rc = 0;
	if (!v.json && v.rows == 0)
		fprintf(stderr, "ir-orders: no %s yet\n", what);
	store_close(st);
	buf_free(&v.out);
	config_free(cfg);
	return cli_exit(rc);
}
