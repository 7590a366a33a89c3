/*
 * ir-approve: the owner's answer to a draft, and the only program that
 * writes to a supplier.
 *
 * Reads "action" records (approve, edit, skip, receive) from the files
 * named or stdin, or takes one action from the command line:
 *   --approve ORDER [--qty N] [--by NAME], --skip ORDER, --receive ORDER,
 *   --confirm ORDER, --reset ORDER.
 * Writes an "order" record per action that changed something.
 *
 * Approve / edit, step by step, so that a crash between any two steps is
 * safe (rules.md "Order states"):
 *   1. claim: pending -> sending, conditionally (a second click, a retried
 *      webhook or two people at once: only one claim wins; the loser is
 *      told who acted first and nothing is sent);
 *   2. send the purchase order email to the supplier, idempotent by the
 *      order id;
 *   3. sending -> on-order with qty, expected date and the Message-ID.
 * A crash after 1 leaves the order "sending": never re-sent on its own,
 * reported by every later ir-check until the owner runs --confirm (the
 * supplier has it) or --reset (back to pending, to approve again). If the
 * mail transport refuses, the order goes back to pending (audit
 * send_failed). An order is never on-order without its email.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "channel.h"
#include "cli.h"
#include "clock.h"
#include "compose.h"
#include "config.h"
#include "dec.h"
#include "docs.h"
#include "log.h"
#include "ndjson.h"
#include "slack.h"
#include "store.h"

struct approve {
	struct config	*cfg;
	struct store	*store;
	struct mailer	*mail;
	struct docs	*docs;
	int		 have_suppliers, dry_run;
	long long	 cooldown, default_lead;
	time_t		 now;
	char		 today[CLOCK_DATE_LEN];
	char		 at[CLOCK_TIME_LEN];
	struct rec	 rec;
	struct buf	 out;
	int		 status;
};

struct action {
	char		 action[16];
	char		 order_id[STORE_ID_MAX];
	long long	 qty;		/* < 0: keep the drafted quantity */
	char		 by[128];
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-approve [--dry-run] [--by NAME] [--config FILE] "
	    "[--mail URI] [--now TIME]\n"
	    "                  [--store URI] [--suppliers FILE]\n"
	    "                  [--approve ORDER [--qty N] | --skip ORDER | "
	    "--receive ORDER |\n"
	    "                  --confirm ORDER | --reset ORDER | file ...]\n");
}

static void
write_order(struct approve *a, const struct store_order *o)
{
	buf_reset(&a->out);
	recw_begin(&a->out, "order");
	recw_str(&a->out, "order_id", o->order_id);
	recw_str(&a->out, "item_id", o->item_id);
	recw_str(&a->out, "status", store_status_name(o->status));
	recw_int(&a->out, "qty", o->qty);
	recw_str(&a->out, "supplier", o->supplier);
	if (o->unit_cost[0])
		recw_str(&a->out, "unit_cost", o->unit_cost);
	else
		recw_null(&a->out, "unit_cost");
	recw_str(&a->out, "draft_date", o->draft_date);
	if (o->expected_date[0])
		recw_str(&a->out, "expected_date", o->expected_date);
	else
		recw_null(&a->out, "expected_date");
	if (o->message_id[0])
		recw_str(&a->out, "message_id", o->message_id);
	else
		recw_null(&a->out, "message_id");
	recw_str(&a->out, "by_user", o->by_user);
	recw_str(&a->out, "updated_at", o->updated_at);
	recw_end(&a->out);
	fwrite(a->out.p, 1, a->out.len, stdout);
}

/* Says why an action found the order in another state. */
static void
explain_state(struct approve *a, const char *where, const struct action *x,
    const struct store_order *o)
{
	struct store_audit au;
	const char *who = o->by_user[0] ? o->by_user : "someone";
	const char *when = o->updated_at;

	if (store_last_audit(a->store, o->order_id,
	    "approved,edited,skipped,received,confirmed", &au) == STORE_OK) {
		who = au.by_user[0] ? au.by_user : who;
		when = au.ts;
	}
	switch (o->status) {
	case ORDER_SENDING:
		if (strcmp(x->action, "approve") == 0 ||
		    strcmp(x->action, "edit") == 0) {
			log_warn(where, "order %s was already approved by %s "
			    "at %s; its purchase order is being sent, or the "
			    "send was not confirmed, so nothing is sent again. "
			    "If ir-orders still shows it as sending later, run "
			    "ir-approve --confirm %s if the supplier has it, or "
			    "--reset %s to approve it again", o->order_id, who,
			    when, o->order_id, o->order_id);
			return;
		}
		break;
	case ORDER_ON_ORDER:
	case ORDER_RECEIVED:
		if (strcmp(x->action, "approve") == 0 ||
		    strcmp(x->action, "edit") == 0) {
			log_info(where, "order %s was already approved by %s at "
			    "%s (now %s); nothing sent again", o->order_id, who,
			    when, store_status_name(o->status));
			return;
		}
		break;
	case ORDER_SKIPPED:
		log_error(where, "order %s was skipped by %s at %s; nothing "
		    "changed", o->order_id, who, when);
		a->status = EX_DATAERR;
		return;
	default:
		break;
	}
	log_error(where, "cannot %s order %s: it is %s; nothing changed",
	    x->action, o->order_id, store_status_name(o->status));
	a->status = EX_DATAERR;
}

/* The draft record kept with the order: lead time, item name, currency. */
static void
draft_details(struct approve *a, const struct store_order *o,
    long long *lead, char *name, size_t namesz)
{
	*lead = a->default_lead;
	snprintf(name, namesz, "%s", o->item_id);
	if (o->record == NULL ||
	    rec_parse(&a->rec, o->record, strlen(o->record)) == -1)
		return;
	rec_int(&a->rec, "lead_time_days", lead);
	if (rec_str(&a->rec, "name", name, namesz) <= 0)
		snprintf(name, namesz, "%s", o->item_id);
}

/* Counts the owner's resets of an order (each allows one new send). */
static int
count_reset(void *ctx, const struct store_audit *au)
{
	int *n = ctx;

	if (strcmp(au->action, "reset") == 0)
		(*n)++;
	return 0;
}

/*
 * The purchase order's outbox id and Message-ID: "po-ORDER" for the first
 * send; after the owner reset an unconfirmed send, "po-ORDER-rN", so the
 * new email (perhaps with a new quantity) is a new message while a retry
 * of the same attempt is still the same one.
 */
static void
po_ids(struct approve *a, const char *order_id, char *id, size_t idsz,
    char *msgid, size_t msgidsz)
{
	const char *from = config_get(a->cfg, "IR_FROM"), *at_sign;
	char attempt[32] = "";
	int resets = 0;

	store_list_audit(a->store, order_id, count_reset, &resets);
	if (resets > 0)
		snprintf(attempt, sizeof(attempt), "-r%d", resets);
	at_sign = from ? strrchr(from, '@') : NULL;
	snprintf(id, idsz, "po-%s%s", order_id, attempt);
	snprintf(msgid, msgidsz, "po-%s%s@%s", order_id, attempt,
	    at_sign ? at_sign + 1 : "localhost");
}

/*
 * Shows the outcome on the owner's original Slack message (chat.update),
 * when the draft went to Slack: its message_ref is "slack:CHANNEL/TS".
 * The order is already recorded; a failure here is only a warning.
 */
static void
slack_outcome(const char *where, const struct store_order *o,
    const char *text)
{
	static struct rec r;
	char ref[512], err[512], *slash;
	json_t *blocks;
	char *bj;
	struct buf esc = { 0 };
	const char *p;

	if (o->record == NULL || rec_parse(&r, o->record,
	    strlen(o->record)) == -1 || rec_str(&r, "message_ref", ref,
	    sizeof(ref)) <= 0 || strncmp(ref, "slack:", 6) != 0 ||
	    (slash = strchr(ref + 6, '/')) == NULL)
		return;
	*slash = '\0';
	/* mrkdwn wants &, < and > escaped */
	for (p = text; *p; p++)
		buf_adds(&esc, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" :
		    *p == '>' ? "&gt;" : (char[2]){ *p, 0 });
	blocks = json_pack("[{s:s, s:{s:s, s:s}}]", "type", "section", "text",
	    "type", "mrkdwn", "text", esc.p ? esc.p : "");
	bj = blocks ? json_dumps(blocks, JSON_COMPACT) : NULL;
	if (bj == NULL || slack_update(ref + 6, slash + 1, text, bj, err,
	    sizeof(err)) < 0)
		log_warn(where, "order %s: could not update the Slack message: "
		    "%s", o->order_id, bj ? err : "out of memory");
	free(bj);
	json_decref(blocks);
	buf_free(&esc);
}

static int
do_approve(struct approve *a, const char *where, const struct action *x)
{
	const struct docs_supplier *sup = NULL;
	struct store_transition t;
	struct store_order o, cur;
	struct compose_po po;
	struct buf text = { 0 }, eml = { 0 }, tmpl = { 0 };
	const char *rcpt[2], *from, *vars[32];
	char note[128], expected[CLOCK_DATE_LEN], name[512], msgid[600];
	char id[STORE_ID_MAX + 40], ref[1024], qtys[32];
	long long lead, qty;
	int rc, k, edited;

	memset(&o, 0, sizeof(o));
	memset(&cur, 0, sizeof(cur));
	if ((rc = store_get_order(a->store, x->order_id, &o)) ==
	    STORE_NOTFOUND) {
		log_error(where, "no order %s (check the id in the draft, or "
		    "list them with ir-orders); nothing changed", x->order_id);
		a->status = EX_DATAERR;
		return 0;
	}
	if (rc != STORE_OK)
		goto store_down;
	if (o.status != ORDER_PENDING) {
		explain_state(a, where, x, &o);
		goto done;
	}
	qty = x->qty > 0 ? x->qty : o.qty;
	edited = qty != o.qty;
	if (a->have_suppliers)
		sup = docs_supplier(a->docs, o.supplier);
	if (sup == NULL || sup->email == NULL) {
		log_error(where, "order %s: no email address for supplier "
		    "\"%s\"%s%s; nothing sent, the order stays pending",
		    o.order_id, o.supplier, a->have_suppliers ? " in " : "",
		    a->have_suppliers ? docs_suppliers_source(a->docs) :
		    " (no suppliers doc: set IR_SUPPLIERS)");
		a->status = EX_CONFIG;
		goto done;
	}
	draft_details(a, &o, &lead, name, sizeof(name));
	clock_add_days(a->today, lead, expected);
	if (a->dry_run) {
		log_info(where, "would send order %s to %s <%s>: %lld x %s, "
		    "expected %s", o.order_id, sup->name ? sup->name : sup->key,
		    sup->email, qty, name, expected);
		goto done;
	}

	/* 1. Claim it. */
	memset(&t, 0, sizeof(t));
	t.order_id = o.order_id;
	t.from = ORDER_PENDING;
	t.to = ORDER_SENDING;
	t.action = edited ? "edited" : "approved";
	t.by_user = x->by;
	t.at = a->at;
	t.qty = qty;
	snprintf(note, sizeof(note), "qty %lld -> %lld", o.qty, qty);
	t.note = edited ? note : NULL;
	rc = store_transition(a->store, &t, &cur);
	free(cur.record);
	cur.record = NULL;
	if (rc == STORE_CONFLICT) {
		explain_state(a, where, x, &cur);
		goto done;
	}
	if (rc != STORE_OK)
		goto store_down;
	cli_fault(a->cfg, "approve-claimed");

	/* 2. The purchase order email, idempotent by the order id. */
	from = config_get(a->cfg, "IR_FROM");
	po_ids(a, o.order_id, id, sizeof(id), msgid, sizeof(msgid));
	snprintf(qtys, sizeof(qtys), "%lld", qty);
	k = 0;
	vars[k++] = "supplier_name";
	vars[k++] = sup->name ? sup->name : sup->key;
	vars[k++] = "shop_name"; vars[k++] = config_get(a->cfg, "IR_SHOP_NAME");
	vars[k++] = "order_id"; vars[k++] = o.order_id;
	vars[k++] = "item_id"; vars[k++] = o.item_id;
	vars[k++] = "item_name"; vars[k++] = name;
	vars[k++] = "qty"; vars[k++] = qtys;
	vars[k++] = "unit_cost"; vars[k++] = o.unit_cost[0] ? o.unit_cost :
	    "(price to confirm)";
	vars[k++] = "currency"; vars[k++] = sup->currency ? sup->currency : "";
	vars[k++] = "expected_date"; vars[k++] = expected;
	vars[k++] = "owner_email";
	vars[k++] = config_get(a->cfg, "IR_OWNER_EMAIL");
	vars[k] = NULL;
	if (sup->template_path && cli_read_small(sup->template_path,
	    &tmpl) == -1)
		buf_reset(&tmpl);
	if (tmpl.len == 0)
		buf_adds(&tmpl, compose_default_template());
	compose_template(tmpl.p, vars, &text);
	memset(&po, 0, sizeof(po));
	po.order_id = o.order_id;
	po.message_id = msgid;
	po.from = from;
	po.reply_to = config_get(a->cfg, "IR_OWNER_EMAIL");
	po.to = sup->email;
	po.to_name = sup->name ? sup->name : sup->key;
	{
		static char subject[700];

		snprintf(subject, sizeof(subject), "Purchase order %s: %lld x "
		    "%s", o.order_id, qty, name);
		po.subject = subject;
	}
	po.text = text.p;
	po.item_id = o.item_id;
	po.item_name = name;
	po.qty = qty;
	po.unit_cost = o.unit_cost;
	po.currency = sup->currency ? sup->currency : "";
	po.date = a->now;
	rcpt[0] = sup->email;
	rcpt[1] = NULL;
	if (compose_po_eml(&po, &eml) == -1)
		rc = CHANNEL_ERR;
	else
		rc = mailer_send(a->mail, id, from, rcpt, eml.p, eml.len, ref,
		    sizeof(ref));
	if (rc == CHANNEL_ERR || rc == CHANNEL_UNAVAILABLE) {
		char why[300];

		snprintf(why, sizeof(why), "%s", *mailer_error(a->mail) ?
		    mailer_error(a->mail) : "cannot format the email");
		memset(&t, 0, sizeof(t));
		t.order_id = o.order_id;
		t.from = ORDER_SENDING;
		t.to = ORDER_PENDING;
		t.action = "send_failed";
		t.by_user = "ir-approve";
		t.at = a->at;
		t.qty = -1;
		t.note = why;
		store_transition(a->store, &t, &cur);
		free(cur.record);
		cur.record = NULL;
		log_error(where, "order %s: the purchase order could not be "
		    "sent to %s: %s; the order is pending again, approve it "
		    "again later", o.order_id, sup->email, why);
		a->status = rc == CHANNEL_UNAVAILABLE ? EX_TEMPFAIL :
		    EX_UNAVAILABLE;
		goto done;
	}
	cli_fault(a->cfg, "approve-sent");

	/* 3. On order. */
	memset(&t, 0, sizeof(t));
	t.order_id = o.order_id;
	t.from = ORDER_SENDING;
	t.to = ORDER_ON_ORDER;
	t.action = "sent";
	t.by_user = x->by;
	t.at = a->at;
	t.qty = -1;
	t.expected_date = expected;
	t.message_id = msgid;
	t.note = ref;
	rc = store_transition(a->store, &t, &cur);
	if (rc != STORE_OK) {
		log_error(where, "order %s: the purchase order was sent (%s) "
		    "but the order could not be marked on-order: %s; run "
		    "ir-approve --confirm %s", o.order_id, ref,
		    rc == STORE_CONFLICT ? "it changed meanwhile" :
		    store_error(a->store), o.order_id);
		a->status = rc == STORE_CONFLICT ? EX_SOFTWARE :
		    cli_store_status(rc);
		goto done;
	}
	write_order(a, &cur);
	{
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s by %s: %lld x %s ordered from %s "
		    "(purchase order %s, expected %s)", edited ? "Edited and "
		    "approved" : "Approved", x->by, qty, name,
		    sup->name ? sup->name : sup->key, o.order_id, expected);
		slack_outcome(where, &cur, msg);
	}
done:
	free(o.record);
	free(cur.record);
	buf_free(&text);
	buf_free(&eml);
	buf_free(&tmpl);
	return 0;
store_down:
	log_error(where, "order %s: %s; nothing changed", x->order_id,
	    store_error(a->store));
	free(o.record);
	free(cur.record);
	return cli_store_status(rc);
}

/* skip, receive, confirm, reset: one conditional transition each. */
static int
do_simple(struct approve *a, const char *where, const struct action *x)
{
	struct store_transition t;
	struct store_order o, cur;
	char until[CLOCK_DATE_LEN], msgid[600], id[STORE_ID_MAX + 40];
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&cur, 0, sizeof(cur));
	memset(&t, 0, sizeof(t));
	t.order_id = x->order_id;
	t.by_user = x->by;
	t.at = a->at;
	t.qty = -1;
	if (strcmp(x->action, "skip") == 0) {
		t.from = ORDER_PENDING;
		t.to = ORDER_SKIPPED;
		t.action = "skipped";
		clock_add_days(a->today, a->cooldown, until);
		t.skip_until = until;
	} else if (strcmp(x->action, "receive") == 0) {
		t.from = ORDER_ON_ORDER;
		t.to = ORDER_RECEIVED;
		t.action = "received";
	} else if (strcmp(x->action, "confirm") == 0) {
		t.from = ORDER_SENDING;
		t.to = ORDER_ON_ORDER;
		t.action = "confirmed";
		if ((rc = store_get_order(a->store, x->order_id, &o)) ==
		    STORE_OK) {
			long long lead;
			char name[8], expected[CLOCK_DATE_LEN];
			static char exp_keep[CLOCK_DATE_LEN];

			draft_details(a, &o, &lead, name, sizeof(name));
			clock_add_days(a->today, lead, expected);
			snprintf(exp_keep, sizeof(exp_keep), "%s", expected);
			t.expected_date = exp_keep;
		}
		po_ids(a, x->order_id, id, sizeof(id), msgid, sizeof(msgid));
		t.message_id = msgid;
	} else {	/* reset */
		t.from = ORDER_SENDING;
		t.to = ORDER_PENDING;
		t.action = "reset";
		t.note = "owner reset an unconfirmed send";
	}
	if (a->dry_run) {
		log_info(where, "would %s order %s", x->action, x->order_id);
		free(o.record);
		return 0;
	}
	rc = store_transition(a->store, &t, &cur);
	if (rc == STORE_OK) {
		char msg[512];

		write_order(a, &cur);
		if (t.to == ORDER_SKIPPED)
			snprintf(msg, sizeof(msg), "Skipped by %s: not "
			    "drafted again before %s", x->by, t.skip_until);
		else if (t.to == ORDER_RECEIVED)
			snprintf(msg, sizeof(msg), "Received: %lld delivered "
			    "(marked by %s)", cur.qty, x->by);
		else if (t.to == ORDER_ON_ORDER)
			snprintf(msg, sizeof(msg), "Confirmed by %s: the "
			    "supplier has purchase order %s", x->by,
			    cur.order_id);
		else
			snprintf(msg, sizeof(msg), "Reset by %s: waiting for "
			    "approval again", x->by);
		slack_outcome(where, &cur, msg);
	} else if (rc == STORE_NOTFOUND) {
		log_error(where, "no order %s; nothing changed", x->order_id);
		a->status = EX_DATAERR;
	} else if (rc == STORE_CONFLICT)
		explain_state(a, where, x, &cur);
	else {
		log_error(where, "order %s: %s; nothing changed", x->order_id,
		    store_error(a->store));
		free(o.record);
		free(cur.record);
		return cli_store_status(rc);
	}
	free(o.record);
	free(cur.record);
	return 0;
}

static int
act(struct approve *a, const char *where, const struct action *x)
{
	if (strcmp(x->action, "approve") == 0 || strcmp(x->action, "edit") == 0)
		return do_approve(a, where, x);
	return do_simple(a, where, x);
}

/* An action record from the stream. */
static int
take(struct approve *a, const char *where, const char *line, size_t len)
{
	struct action x;
	int rc;

	if (rec_parse(&a->rec, line, len) == -1) {
		log_error(where, "%s", a->rec.err);
		a->status = EX_DATAERR;
		return 0;
	}
	if (rec_get(&a->rec, "type") == NULL) {
		log_error(where, "record has no \"type\"");
		a->status = EX_DATAERR;
		return 0;
	}
	if (!rec_is(&a->rec, "action")) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	memset(&x, 0, sizeof(x));
	x.qty = -1;
	if (rec_str(&a->rec, "action", x.action, sizeof(x.action)) <= 0 ||
	    (strcmp(x.action, "approve") && strcmp(x.action, "edit") &&
	    strcmp(x.action, "skip") && strcmp(x.action, "receive"))) {
		log_error(where, "action must be approve, edit, skip or "
		    "receive");
		a->status = EX_DATAERR;
		return 0;
	}
	if (rec_str(&a->rec, "order_id", x.order_id, sizeof(x.order_id)) <=
	    0) {
		log_error(where, "action has no order_id");
		a->status = EX_DATAERR;
		return 0;
	}
	if ((rc = rec_int(&a->rec, "qty", &x.qty)) == -2 ||
	    (rc == 0 && x.qty < 1)) {
		log_error(where, "qty must be a whole number of at least 1");
		a->status = EX_DATAERR;
		return 0;
	}
	if (strcmp(x.action, "edit") == 0 && x.qty < 1) {
		log_error(where, "an edit needs a qty");
		a->status = EX_DATAERR;
		return 0;
	}
	if (rec_str(&a->rec, "by_user", x.by, sizeof(x.by)) <= 0)
		snprintf(x.by, sizeof(x.by), "unknown");
	return act(a, where, &x);
}

static int
run_file(struct approve *a, const char *path)
{
	struct ndjson_reader *r;
	const char *line, *source = strcmp(path, "-") ? path : "stdin";
	char where[300];
	size_t len;
	unsigned long lineno;
	FILE *fp;
	int rc = 0, got;

	if ((fp = cli_open_input(path)) == NULL) {
		a->status = cli_worst(a->status, EX_NOINPUT);
		return 0;
	}
	if ((r = ndjson_open(fp, 0)) == NULL)
		return EX_OSERR;
	while (rc == 0 && (got = ndjson_next(r, &line, &len, &lineno)) !=
	    NDJSON_EOF) {
		snprintf(where, sizeof(where), "%s:%lu", source, lineno);
		if (got == NDJSON_IOERR) {
			log_error(source, "read error");
			rc = EX_IOERR;
		} else if (got == NDJSON_TOOLONG) {
			log_error(where, "record too long (skipped)");
			a->status = EX_DATAERR;
		} else
			rc = take(a, where, line, len);
	}
	ndjson_close(r);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "approve",	required_argument,	NULL, 'a' },
		{ "by",		required_argument,	NULL, 'b' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "confirm",	required_argument,	NULL, 'C' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "mail",	required_argument,	NULL, 'm' },
		{ "now",	required_argument,	NULL, 'N' },
		{ "qty",	required_argument,	NULL, 'q' },
		{ "receive",	required_argument,	NULL, 'r' },
		{ "reset",	required_argument,	NULL, 'R' },
		{ "skip",	required_argument,	NULL, 'k' },
		{ "store",	required_argument,	NULL, 's' },
		{ "suppliers",	required_argument,	NULL, 'S' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct approve *a;
	struct action one;
	const char *conf = NULL, *now = NULL, *store_uri = NULL, *v;
	const char *mail_uri = NULL, *suppliers = NULL, *qty = NULL;
	char err[512];
	int ch, i, rc = 0, nact = 0;

	log_init(argv[0]);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return EX_OSERR;
	memset(&one, 0, sizeof(one));
	one.qty = -1;
	while ((ch = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': case 'C': case 'k': case 'r': case 'R':
			nact++;
			snprintf(one.action, sizeof(one.action), "%s",
			    ch == 'a' ? "approve" : ch == 'C' ? "confirm" :
			    ch == 'k' ? "skip" : ch == 'r' ? "receive" :
			    "reset");
			snprintf(one.order_id, sizeof(one.order_id), "%s",
			    optarg);
			break;
		case 'b': snprintf(one.by, sizeof(one.by), "%s", optarg); break;
		case 'c': conf = optarg; break;
		case 'm': mail_uri = optarg; break;
		case 'n': a->dry_run = 1; break;
		case 'N': now = optarg; break;
		case 'q': qty = optarg; break;
		case 's': store_uri = optarg; break;
		case 'S': suppliers = optarg; break;
		case 'h': usage(stdout); free(a); return 0;
		case 'V': cli_version(); free(a); return 0;
		default: usage(stderr); free(a); return EX_USAGE;
		}
	}
	if (nact > 1 || (nact == 1 && optind < argc) || (qty && (nact != 1 ||
	    strcmp(one.action, "approve") != 0))) {
		usage(stderr);
		free(a);
		return EX_USAGE;
	}
	if (qty != NULL) {
		char *end;
		long long q;

		errno = 0;
		q = strtoll(qty, &end, 10);
		if (*qty == '\0' || *end != '\0' || errno || q < 1 ||
		    q > 1000000000) {
			fprintf(stderr, "ir-approve: --qty %s: the quantity "
			    "must be a whole number of at least 1\n", qty);
			free(a);
			return EX_USAGE;
		}
		one.qty = q;
	}
	if (one.by[0] == '\0') {
		const char *u = getenv("USER");

		snprintf(one.by, sizeof(one.by), "%s", u && *u ? u : "owner");
	}
	if ((a->cfg = cli_config(conf, now)) == NULL) {
		free(a);
		return cli_last_status;
	}
	if (store_uri)
		config_set(a->cfg, "IR_STORE", store_uri);
	if (mail_uri)
		config_set(a->cfg, "IR_MAIL", mail_uri);
	if (suppliers)
		config_set(a->cfg, "IR_SUPPLIERS", suppliers);
	a->cooldown = 7;
	a->default_lead = 7;
	if (config_int(a->cfg, "IR_SKIP_COOLDOWN_DAYS", 0, 3650, &a->cooldown,
	    err, sizeof(err)) == -1 || config_int(a->cfg,
	    "IR_DEFAULT_LEAD_TIME_DAYS", 0, 3650, &a->default_lead, err,
	    sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	a->docs = docs_new();
	if ((v = config_get(a->cfg, "IR_SUPPLIERS")) != NULL) {
		if ((rc = cli_load_doc(a->docs, v, 1)) != 0)
			goto out;
		a->have_suppliers = 1;
	}
	a->now = clock_now();
	clock_date(a->now, a->today);
	clock_rfc3339(a->now, a->at);
	if ((a->store = store_open(config_get(a->cfg, "IR_STORE"), err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if (!a->dry_run && (a->mail = mailer_open(config_get(a->cfg,
	    "IR_MAIL"), err, sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	cli_stdout_buffering();
	if (nact == 1)
		rc = act(a, one.order_id, &one);
	else if (optind == argc)
		rc = run_file(a, "-");
	for (i = optind; nact == 0 && rc == 0 && i < argc; i++)
		rc = run_file(a, argv[i]);
out:
	mailer_close(a->mail);
	store_close(a->store);
	docs_free(a->docs);
	buf_free(&a->out);
	rc = cli_exit(cli_worst(rc, a->status));
	config_free(a->cfg);
	free(a);
	return rc;
}
