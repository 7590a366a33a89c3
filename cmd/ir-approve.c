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
 * With --http it is the approve handler behind a Function URL (or
 * ir-serve): it reads request events (protocols.md section 4) and writes
 * exactly one response record per request, and nothing else, on stdout.
 *   POST /slack        Slack interactivity: the v0 signature is checked
 *                      over the raw body before anything is parsed; then
 *                      Approve and Skip act in one tap, Edit opens a modal,
 *                      its submission approves with the typed quantity.
 *   GET  /a/TOKEN      a signed link from the draft email: only shows what
 *                      would happen and a Confirm button (mail scanners
 *                      open every link, so a GET changes nothing);
 *   POST /a/TOKEN      checks the token again and acts.
 * The answer goes out (and stdout is flushed) before the Slack calls that
 * follow it (chat.update, views.open), so Slack gets its 200 in time.
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
#include <stdarg.h>
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
#include "httpev.h"
#include "interact.h"
#include "log.h"
#include "ndjson.h"
#include "pages.h"
#include "sig.h"
#include "slack.h"
#include "store.h"

/* What the last action came to: the HTTP answers are made from it. */
enum result_kind {
	RES_DONE = 0,		/* it happened (or would, with --dry-run) */
	RES_NOTFOUND,		/* no such order */
	RES_STATE,		/* not in a state for it: who acted first */
	RES_FAILED,		/* not sent; the order is still pending */
	RES_UNKNOWN,		/* may have been sent: left "sending" */
	RES_DOWN		/* the store did not answer; nothing changed */
};

struct result {
	int		 kind;		/* enum result_kind */
	int		 status;	/* RES_STATE: the order's status */
	char		 msg[1024];	/* for people: what happened, or not */
	char		 who[128];	/* RES_STATE: who acted first */
};

/*
 * The Slack calls to make once the HTTP answer is out: chat.update of the
 * message the click came from (or of the draft's message_ref), and
 * views.open for the Edit modal. payload keeps the request's payload
 * (owned) alive until then, for the message's blocks.
 */
struct after {
	char		 channel[64], ts[64];	/* from the click's container */
	int		 update;
	struct buf	 text, blocks;
	char		 trigger[INTERACT_ID_MAX];
	struct buf	 view;
	json_t		*payload;		/* owned */
};

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
	int		 http;		/* --http: answering request events */
	long long	 cap;		/* IR_ORDER_CAP, -1 none */
	struct result	 res;
	struct after	 after;
	struct buf	 resp;		/* the response record being made */
	int		 resp_status;
	int		 broken;	/* --http: exit status of a backend that
					   could not be opened; every request
					   gets a 503 */
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
	    "                  --confirm ORDER | --reset ORDER | file ...]\n"
	    "       ir-approve --http [--dry-run] [--config FILE] "
	    "[--mail URI] [--now TIME]\n"
	    "                  [--store URI] [--suppliers FILE] "
	    "[file ...]\n");
}

/* Sets what the action came to, and the words for people. */
static void
result(struct approve *a, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
result(struct approve *a, int kind, const char *fmt, ...)
{
	va_list ap;

	a->res.kind = kind;
	va_start(ap, fmt);
	vsnprintf(a->res.msg, sizeof(a->res.msg), fmt, ap);
	va_end(ap);
}

/* The order record on stdout; with --http only a log line (stdout carries
 * the responses and nothing else). */
static void
write_order(struct approve *a, const struct store_order *o)
{
	if (a->http) {
		log_info(o->order_id, "%s, qty %lld, by %s",
		    store_status_name(o->status), o->qty, o->by_user);
		return;
	}
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

/* An RFC 3339 time as "2026-12-04 09:00" in the shop's time zone. */
static void
people_time(const char *rfc3339, char *dst, size_t dstsz)
{
	struct tm tm;
	time_t t;

	if (clock_parse(rfc3339, &t) == -1 || localtime_r(&t, &tm) == NULL ||
	    strftime(dst, dstsz, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(dst, dstsz, "%s", rfc3339);
}

/*
 * Says why an action found the order in another state, and who acted
 * first (from the audit trail): logged, and kept in a->res for the HTTP
 * answers.
 */
static void
explain_state(struct approve *a, const char *where, const struct action *x,
    const struct store_order *o)
{
	struct store_audit au;
	struct result *r = &a->res;
	const char *who = o->by_user[0] ? o->by_user : "someone";
	char when[40];
	int approving = strcmp(x->action, "approve") == 0 ||
	    strcmp(x->action, "edit") == 0;

	people_time(o->updated_at, when, sizeof(when));
	if (store_last_audit(a->store, o->order_id, o->status ==
	    ORDER_SKIPPED ? "skipped" : "approved,edited,confirmed",
	    &au) == STORE_OK) {
		who = au.by_user[0] ? au.by_user : who;
		people_time(au.ts, when, sizeof(when));
	}
	r->kind = RES_STATE;
	r->status = o->status;
	snprintf(r->who, sizeof(r->who), "%s", who);
	switch (o->status) {
	case ORDER_SENDING:
		if (approving) {
			result(a, RES_STATE, "order %s was already approved by "
			    "%s on %s; its purchase order is being sent, or "
			    "the send was not confirmed, so nothing is sent "
			    "again. If ir-orders still shows it as sending "
			    "later, run ir-approve --confirm %s if the "
			    "supplier has it, or --reset %s to approve it "
			    "again",
			    o->order_id, who, when, o->order_id, o->order_id);
			log_warn(where, "%s", r->msg);
			return;
		}
		result(a, RES_STATE, "order %s was approved by %s on %s and "
		    "its purchase order is being sent; it cannot be %s now",
		    o->order_id, who, when, strcmp(x->action, "skip") == 0 ?
		    "skipped" : "changed");
		break;
	case ORDER_ON_ORDER:
	case ORDER_RECEIVED:
		if (approving) {
			result(a, RES_STATE, "order %s was already approved by "
			    "%s on %s (now %s); nothing sent again",
			    o->order_id, who, when,
			    store_status_name(o->status));
			log_info(where, "%s", r->msg);
			return;
		}
		if (strcmp(x->action, "skip") == 0) {
			result(a, RES_STATE, "order %s was already approved by "
			    "%s on %s (now %s); it cannot be skipped, nothing "
			    "changed", o->order_id, who, when,
			    store_status_name(o->status));
			break;
		}
		result(a, RES_STATE, "cannot %s order %s: it is %s; nothing "
		    "changed", x->action, o->order_id,
		    store_status_name(o->status));
		break;
	case ORDER_SKIPPED:
		result(a, RES_STATE, "order %s was skipped by %s on %s; "
		    "nothing changed", o->order_id, who, when);
		break;
	default:
		result(a, RES_STATE, "cannot %s order %s: it is %s; nothing "
		    "changed", x->action, o->order_id,
		    store_status_name(o->status));
		break;
	}
	log_error(where, "%s", r->msg);
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
 * Where the outcome is shown: the message the click came from (--http,
 * block_actions), else the draft's own message when it went to Slack (its
 * message_ref is "slack:CHANNEL/TS"). 0 when there is none.
 */
static int
outcome_target(struct approve *a, const struct store_order *o, char *chan,
    size_t chansz, char *ts, size_t tssz)
{
	static struct rec r;
	char ref[512], *slash;

	if (a->after.channel[0] != '\0' && a->after.ts[0] != '\0') {
		snprintf(chan, chansz, "%s", a->after.channel);
		snprintf(ts, tssz, "%s", a->after.ts);
		return 1;
	}
	if (o->record == NULL || rec_parse(&r, o->record,
	    strlen(o->record)) == -1 || rec_str(&r, "message_ref", ref,
	    sizeof(ref)) <= 0 || strncmp(ref, "slack:", 6) != 0 ||
	    (slash = strchr(ref + 6, '/')) == NULL)
		return 0;
	*slash = '\0';
	snprintf(chan, chansz, "%s", ref + 6);
	snprintf(ts, tssz, "%s", slash + 1);
	return 1;
}

/*
 * chat.update of channel/ts with text, and blocks (a JSON array; NULL:
 * one section of text). With --http it is only noted, and made once the
 * answer is out. A failure is a warning: the order is already recorded.
 */
static void
slack_show(struct approve *a, const char *where, const char *order_id,
    const char *chan, const char *ts, const char *text, const char *blocks)
{
	struct buf esc = { 0 }, made = { 0 };
	json_t *b = NULL;		/* owned */
	char *bj = NULL;		/* owned, malloc'd by jansson */
	char err[512], c[64], t[64];

	if (blocks == NULL) {
		/* mrkdwn wants &, < and > escaped */
		if (interact_mrkdwn(text, &esc) == 0)
			b = json_pack("[{s:s, s:{s:s, s:s}}]", "type",
			    "section", "text", "type", "mrkdwn", "text",
			    esc.p);
		if (b != NULL && (bj = json_dumps(b, JSON_COMPACT)) != NULL)
			buf_adds(&made, bj);
		blocks = made.p;
	}
	if (a->http) {
		/* chan and ts may be a->after's own: copy through locals */
		snprintf(c, sizeof(c), "%s", chan);
		snprintf(t, sizeof(t), "%s", ts);
		snprintf(a->after.channel, sizeof(a->after.channel), "%s", c);
		snprintf(a->after.ts, sizeof(a->after.ts), "%s", t);
		buf_reset(&a->after.text);
		buf_reset(&a->after.blocks);
		a->after.update = buf_adds(&a->after.text, text) == 0 &&
		    blocks != NULL && buf_adds(&a->after.blocks, blocks) == 0;
	} else if (blocks == NULL || slack_update(chan, ts, text, blocks, err,
	    sizeof(err)) < 0)
		log_warn(where, "order %s: could not update the Slack message: "
		    "%s", order_id, blocks ? err : "out of memory");
	free(bj);
	json_decref(b);
	buf_free(&esc);
	buf_free(&made);
}

/* Shows the outcome of an action on the owner's Slack message, if any. */
static void
slack_outcome(struct approve *a, const char *where,
    const struct store_order *o, const char *text)
{
	char chan[64], ts[64];

	if (outcome_target(a, o, chan, sizeof(chan), ts, sizeof(ts)))
		slack_show(a, where, o->order_id, chan, ts, text, NULL);
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
		result(a, RES_NOTFOUND, "no order %s (check the id in the "
		    "draft, or list them with ir-orders); nothing changed",
		    x->order_id);
		log_error(where, "%s", a->res.msg);
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
		result(a, RES_FAILED, "order %s: no email address for "
		    "supplier \"%s\"%s%s; nothing sent, the order stays "
		    "pending", o.order_id, o.supplier,
		    a->have_suppliers ? " in " : "", a->have_suppliers ?
		    docs_suppliers_source(a->docs) :
		    " (no suppliers doc: set IR_SUPPLIERS)");
		log_error(where, "%s", a->res.msg);
		a->status = EX_CONFIG;
		goto done;
	}
	draft_details(a, &o, &lead, name, sizeof(name));
	clock_add_days(a->today, lead, expected);
	if (a->dry_run) {
		result(a, RES_DONE, "would send order %s to %s <%s>: %lld x "
		    "%s, expected %s", o.order_id, sup->name ? sup->name :
		    sup->key, sup->email, qty, name, expected);
		log_info(where, "%s", a->res.msg);
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
	if (rc == CHANNEL_UNKNOWN) {
		/*
		 * A timeout or a broken connection after the email was
		 * handed over: it may have gone out. The order stays
		 * "sending", which is never re-sent on its own, until the
		 * owner confirms or resets it.
		 */
		result(a, RES_UNKNOWN, "order %s: the purchase order may or "
		    "may not have reached %s (%s); it stays \"sending\" and "
		    "is not sent again on its own. Look in the sent mail (or "
		    "ask the supplier), then run ir-approve --confirm %s if it "
		    "went out, or ir-approve --reset %s to approve it again",
		    o.order_id, sup->email, *mailer_error(a->mail) ?
		    mailer_error(a->mail) : "no answer", o.order_id,
		    o.order_id);
		log_error(where, "%s", a->res.msg);
		a->status = EX_TEMPFAIL;
		goto done;
	}
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
		result(a, RES_FAILED, "order %s: the purchase order could "
		    "not be sent to %s: %s; the order is pending again, "
		    "approve it again later", o.order_id, sup->email, why);
		log_error(where, "%s", a->res.msg);
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
		result(a, RES_FAILED, "order %s: the purchase order was sent "
		    "(%s) but the order could not be marked on-order: %s; run "
		    "ir-approve --confirm %s", o.order_id, ref,
		    rc == STORE_CONFLICT ? "it changed meanwhile" :
		    store_error(a->store), o.order_id);
		log_error(where, "%s", a->res.msg);
		a->status = rc == STORE_CONFLICT ? EX_SOFTWARE :
		    cli_store_status(rc);
		goto done;
	}
	write_order(a, &cur);
	result(a, RES_DONE, "%s by %s: %lld x %s ordered from %s (purchase "
	    "order %s, expected %s)", edited ? "Edited and approved" :
	    "Approved", x->by, qty, name, sup->name ? sup->name : sup->key,
	    o.order_id, expected);
	slack_outcome(a, where, &cur, a->res.msg);
done:
	free(o.record);
	free(cur.record);
	buf_free(&text);
	buf_free(&eml);
	buf_free(&tmpl);
	return 0;
store_down:
	result(a, RES_DOWN, "order %s: %s; nothing changed", x->order_id,
	    store_error(a->store));
	log_error(where, "%s", a->res.msg);
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
		result(a, RES_DONE, "would %s order %s", x->action,
		    x->order_id);
		log_info(where, "%s", a->res.msg);
		free(o.record);
		return 0;
	}
	rc = store_transition(a->store, &t, &cur);
	if (rc == STORE_OK) {
		write_order(a, &cur);
		if (t.to == ORDER_SKIPPED)
			result(a, RES_DONE, "Skipped by %s: not drafted again "
			    "before %s", x->by, t.skip_until);
		else if (t.to == ORDER_RECEIVED)
			result(a, RES_DONE, "Received: %lld delivered (marked "
			    "by %s)", cur.qty, x->by);
		else if (t.to == ORDER_ON_ORDER)
			result(a, RES_DONE, "Confirmed by %s: the supplier has "
			    "purchase order %s", x->by, cur.order_id);
		else
			result(a, RES_DONE, "Reset by %s: waiting for approval "
			    "again", x->by);
		slack_outcome(a, where, &cur, a->res.msg);
	} else if (rc == STORE_NOTFOUND) {
		result(a, RES_NOTFOUND, "no order %s; nothing changed",
		    x->order_id);
		log_error(where, "%s", a->res.msg);
		a->status = EX_DATAERR;
	} else if (rc == STORE_CONFLICT)
		explain_state(a, where, x, &cur);
	else {
		result(a, RES_DOWN, "order %s: %s; nothing changed",
		    x->order_id, store_error(a->store));
		log_error(where, "%s", a->res.msg);
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
	memset(&a->res, 0, sizeof(a->res));
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
take_record(void *ctx, const char *source, unsigned long lineno,
    const char *line, size_t len)
{
	char where[300];

	return take(ctx, cli_where(where, sizeof(where), source, lineno),
	    line, len);
}

static int
run_file(struct approve *a, const char *path)
{
	struct cli_records cr = { 0, take_record, NULL, a, &a->status };

	return cli_each_record(path, &cr);
}

/* ---- --http: request events in, one response record out for each ---- */

#define TEXT_PLAIN	"text/plain; charset=utf-8"
#define APP_JSON	"application/json; charset=utf-8"

/* The clock, once per request: a long-running handler moves on. */
static void
set_now(struct approve *a)
{
	a->now = clock_now();
	clock_date(a->now, a->today);
	clock_rfc3339(a->now, a->at);
}

static void
after_reset(struct approve *a)
{
	a->after.channel[0] = a->after.ts[0] = a->after.trigger[0] = '\0';
	a->after.update = 0;
	buf_reset(&a->after.text);
	buf_reset(&a->after.blocks);
	buf_reset(&a->after.view);
	json_decref(a->after.payload);
	a->after.payload = NULL;
}

/* The response record (replacing any); a 500 if it cannot be made. */
static void
answer(struct approve *a, int status, const char *ctype, const char *body,
    size_t len, const char *const *extra)
{
	static const char oops[] = "internal error\n";

	buf_reset(&a->resp);
	a->resp_status = status;
	if (httpev_respond(&a->resp, status, ctype, body ? body : "",
	    body ? len : 0, extra) == -1) {
		buf_reset(&a->resp);
		a->resp_status = 500;
		httpev_respond(&a->resp, 500, TEXT_PLAIN, oops,
		    sizeof(oops) - 1, NULL);
	}
}

/* A short reason in plain text; it never echoes the request. */
static void
answer_text(struct approve *a, int status, const char *reason,
    const char *const *extra)
{
	struct buf b = { 0 };

	buf_addf(&b, "%s\n", reason);
	answer(a, status, TEXT_PLAIN, b.p, b.len, extra);
	buf_free(&b);
}

static void
answer_page(struct approve *a, int status, const struct page *pg)
{
	struct buf html = { 0 };

	if (pages_render(pg, &html) == -1)
		answer_text(a, 500, "internal error", NULL);
	else
		answer(a, status, PAGES_CONTENT_TYPE, html.p, html.len,
		    pages_headers());
	buf_free(&html);
}

/* msg as a sentence for people: a capital first, a full stop last. */
static const char *
sentence(const char *msg, char *dst, size_t dstsz)
{
	size_t n;

	snprintf(dst, dstsz, "%s", msg);
	if (dst[0] >= 'a' && dst[0] <= 'z')
		dst[0] = (char)(dst[0] - 'a' + 'A');
	n = strlen(dst);
	if (n > 0 && n + 1 < dstsz && strchr(".!?", dst[n - 1]) == NULL) {
		dst[n] = '.';
		dst[n + 1] = '\0';
	}
	return dst;
}

/* s cut to at most max bytes at a UTF-8 character boundary, into dst. */
static const char *
cut_utf8(const char *s, size_t max, char *dst, size_t dstsz)
{
	size_t n = strlen(s);

	if (max > dstsz - 1)
		max = dstsz - 1;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return dst;
}

/* The order cap of an order: the item's, else IR_ORDER_CAP; -1 none. */
static long long
order_cap(struct approve *a, const struct store_order *o)
{
	long long v;

	if (o->record != NULL && rec_parse(&a->rec, o->record,
	    strlen(o->record)) == 0 && rec_int(&a->rec, "order_cap",
	    &v) == 0 && v >= 0)
		return v;
	return a->cap;
}

/* The supplier for people: the name, and the address on a second line
 * (with_email). */
static const char *
supplier_words(struct approve *a, const struct store_order *o,
    int with_email, char *dst, size_t dstsz)
{
	const struct docs_supplier *sup = a->have_suppliers ?
	    docs_supplier(a->docs, o->supplier) : NULL;

	if (sup == NULL)
		snprintf(dst, dstsz, "%s", o->supplier);
	else if (with_email && sup->email != NULL)
		snprintf(dst, dstsz, "%s\n%s", sup->name ? sup->name :
		    sup->key, sup->email);
	else
		snprintf(dst, dstsz, "%s", sup->name ? sup->name : sup->key);
	return dst;
}

/* ---- Slack interactivity ---- */

/* The message the click came from now says text; its buttons go. */
static void
show_on_click(struct approve *a, const char *order_id, const char *text)
{
	if (a->after.channel[0] != '\0' && a->after.ts[0] != '\0')
		slack_show(a, "slack", order_id, a->after.channel,
		    a->after.ts, text, NULL);
}

/* A note under the message the click came from; its buttons stay. */
static void
note_on_click(struct approve *a, json_t *blocks, const char *fallback,
    const char *order_id, const char *text)
{
	struct buf b = { 0 };

	if (a->after.channel[0] == '\0' || a->after.ts[0] == '\0' ||
	    blocks == NULL)
		return;
	if (interact_note_blocks(blocks, text, &b) == 0)
		slack_show(a, "slack", order_id, a->after.channel, a->after.ts,
		    fallback ? fallback : text, b.p);
	buf_free(&b);
}

/*
 * A click on an order that is no longer pending: the message says who
 * acted first. Not for a retry of a click already answered, nor for the
 * second click of a double click (the first answer stands).
 */
static void
late_click(struct approve *a, const struct action *x, int retry)
{
	char text[1400], msg[1024];
	int same;

	same = strcmp(a->res.who, x->by) == 0 &&
	    (strcmp(x->action, "skip") == 0) ==
	    (a->res.status == ORDER_SKIPPED);
	if (retry || same)
		return;
	snprintf(text, sizeof(text), "%s %s pressed %s after that.",
	    sentence(a->res.msg, msg, sizeof(msg)), x->by,
	    strcmp(x->action, "skip") == 0 ? "Skip" :
	    strcmp(x->action, "edit") == 0 ? "Edit" : "Approve");
	show_on_click(a, x->order_id, text);
}

static void
no_such_order_on_click(struct approve *a, const char *order_id)
{
	char text[600];

	snprintf(text, sizeof(text), "No order %s in the store: nothing "
	    "changed. It may have been drafted in another store; list the "
	    "orders with ir-orders.", order_id);
	show_on_click(a, order_id, text);
}

/* Edit: the modal, unless the order is no longer pending. */
static void
slack_edit(struct approve *a, const struct interact *ia,
    struct action *x, int retry)
{
	struct interact_edit e;
	struct store_order o;
	char name[512], item[800], sup[600], text[1200];
	long long lead;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&a->res, 0, sizeof(a->res));
	if (ia->trigger_id[0] == '\0') {
		answer_text(a, 400, "no trigger_id", NULL);
		return;
	}
	rc = store_get_order(a->store, x->order_id, &o);
	if (rc == STORE_NOTFOUND)
		no_such_order_on_click(a, x->order_id);
	else if (rc != STORE_OK) {
		log_error("slack", "order %s: %s", x->order_id,
		    store_error(a->store));
		note_on_click(a, ia->blocks, ia->text, x->order_id, "Could "
		    "not open the form: the order store did not answer. "
		    "Nothing changed; try again in a minute.");
	} else if (o.status != ORDER_PENDING) {
		explain_state(a, "slack", x, &o);
		late_click(a, x, retry);
	} else {
		draft_details(a, &o, &lead, name, sizeof(name));
		snprintf(item, sizeof(item), "%s (%s)", name, o.item_id);
		memset(&e, 0, sizeof(e));
		e.order_id = o.order_id;
		e.item = item;
		e.supplier = supplier_words(a, &o, 0, sup, sizeof(sup));
		e.qty = o.qty;
		e.cap = order_cap(a, &o);
		if (interact_edit_view(&e, &a->after.view) == 0)
			snprintf(a->after.trigger, sizeof(a->after.trigger),
			    "%s", ia->trigger_id);
		else {
			snprintf(text, sizeof(text), "Could not open the form "
			    "for order %s; approve it with ir-approve "
			    "--approve %s --qty N instead.", o.order_id,
			    o.order_id);
			note_on_click(a, ia->blocks, ia->text, o.order_id,
			    text);
		}
	}
	free(o.record);
	answer(a, 200, TEXT_PLAIN, "", 0, NULL);
}

/* block_actions: Approve and Skip in one tap, Edit opens the modal. */
static void
slack_action(struct approve *a, const struct interact *ia, int retry)
{
	struct action x;
	char text[1400], msg[1024];

	if (strcmp(ia->action_id, "approve") != 0 &&
	    strcmp(ia->action_id, "skip") != 0 &&
	    strcmp(ia->action_id, "edit") != 0) {
		log_warn("slack", "unknown action id; nothing changed");
		answer_text(a, 400, "unknown action", NULL);
		return;
	}
	if (ia->value[0] == '\0') {
		answer_text(a, 400, "no order id", NULL);
		return;
	}
	snprintf(a->after.channel, sizeof(a->after.channel), "%s",
	    ia->channel);
	snprintf(a->after.ts, sizeof(a->after.ts), "%s", ia->ts);
	memset(&x, 0, sizeof(x));
	x.qty = -1;
	snprintf(x.action, sizeof(x.action), "%s", ia->action_id);
	snprintf(x.order_id, sizeof(x.order_id), "%s", ia->value);
	snprintf(x.by, sizeof(x.by), "%s", ia->by[0] ? ia->by :
	    "someone on Slack");
	if (strcmp(x.action, "edit") == 0) {
		slack_edit(a, ia, &x, retry);
		return;
	}
	act(a, "slack", &x);
	switch (a->res.kind) {
	case RES_DONE:		/* the outcome is on the message already */
		break;
	case RES_NOTFOUND:
		no_such_order_on_click(a, x.order_id);
		break;
	case RES_STATE:
		late_click(a, &x, retry);
		break;
	case RES_UNKNOWN:	/* no longer pending: the buttons go */
		show_on_click(a, x.order_id, sentence(a->res.msg, msg,
		    sizeof(msg)));
		break;
	default:		/* still pending: keep the buttons */
		snprintf(text, sizeof(text), "Could not %s: %s",
		    x.action, a->res.msg);
		note_on_click(a, ia->blocks, ia->text, x.order_id,
		    sentence(text, msg, sizeof(msg)));
		break;
	}
	answer(a, 200, TEXT_PLAIN, "", 0, NULL);
}

/* A field error in the modal (the message cut to what Slack shows). */
static void
modal_error(struct approve *a, const char *block, const char *msg)
{
	struct buf b = { 0 };
	char cut[300];

	if (interact_errors(block, cut_utf8(msg, 280, cut, sizeof(cut)),
	    &b) == -1)
		answer_text(a, 500, "internal error", NULL);
	else
		answer(a, 200, APP_JSON, b.p, b.len, NULL);
	buf_free(&b);
}

/* The modal replaced by a message with a Close button. */
static void
modal_info(struct approve *a, const char *title, const char *msg)
{
	struct buf b = { 0 };
	char text[1100];

	if (interact_info_view(title, sentence(msg, text, sizeof(text)),
	    &b) == -1)
		answer_text(a, 500, "internal error", NULL);
	else
		answer(a, 200, APP_JSON, b.p, b.len, NULL);
	buf_free(&b);
}

/* view_submission of the Edit modal: check the quantity, then approve. */
static void
slack_submit(struct approve *a, const struct interact *ia)
{
	struct store_order o;
	struct action x;
	char err[256], msg[1100];
	long long q;
	int over, rc;

	if (strcmp(ia->callback_id, INTERACT_EDIT_CALLBACK) != 0) {
		log_warn("slack", "unknown view submitted; nothing changed");
		answer_text(a, 400, "unknown view", NULL);
		return;
	}
	if (ia->order_id[0] == '\0') {
		answer_text(a, 400, "no order id", NULL);
		return;
	}
	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
	snprintf(x.action, sizeof(x.action), "edit");
	snprintf(x.order_id, sizeof(x.order_id), "%s", ia->order_id);
	snprintf(x.by, sizeof(x.by), "%s", ia->by[0] ? ia->by :
	    "someone on Slack");
	rc = store_get_order(a->store, x.order_id, &o);
	if (rc == STORE_NOTFOUND) {
		snprintf(msg, sizeof(msg), "No order %s in the store: nothing "
		    "changed.", x.order_id);
		modal_info(a, "No such order", msg);
	} else if (rc != STORE_OK) {
		log_error("slack", "order %s: %s", x.order_id,
		    store_error(a->store));
		modal_error(a, INTERACT_QTY_BLOCK, "The order store did not "
		    "answer. Nothing changed; try again in a minute.");
	} else if (o.status != ORDER_PENDING) {
		explain_state(a, "slack", &x, &o);
		modal_info(a, "Already done", a->res.msg);
	} else if (ia->qty_cut)
		modal_error(a, INTERACT_QTY_BLOCK, "Enter a whole number, for "
		    "example 12.");
	else if (interact_qty(ia->qty, order_cap(a, &o), ia->confirmed, &q,
	    &over, err, sizeof(err)) == -1)
		modal_error(a, over ? INTERACT_CONFIRM_BLOCK :
		    INTERACT_QTY_BLOCK, err);
	else {
		x.qty = q;
		act(a, "slack", &x);
		if (a->res.kind == RES_DONE)
			answer(a, 200, TEXT_PLAIN, "", 0, NULL);
		else if (a->res.kind == RES_STATE)
			modal_info(a, "Already done", a->res.msg);
		else if (a->res.kind == RES_NOTFOUND)
			modal_info(a, "No such order", a->res.msg);
		else if (a->res.kind == RES_UNKNOWN)
			modal_info(a, "Not sure it was sent", a->res.msg);
		else {
			snprintf(msg, sizeof(msg), "Not sent: %s", a->res.msg);
			modal_error(a, INTERACT_QTY_BLOCK, msg);
		}
	}
	free(o.record);
}

/*
 * POST /slack. The signature is checked over the raw body before
 * anything in it is read.
 */
static void
slack_request(struct approve *a, const struct httpev *ev)
{
	const char *secret = config_get(a->cfg, "IR_SLACK_SIGNING_SECRET");
	struct interact ia;
	struct buf pl = { 0 };
	json_error_t je;
	char why[128];
	int rc, retry;

	if (secret == NULL) {
		log_error("slack", "IR_SLACK_SIGNING_SECRET is not set: Slack "
		    "requests cannot be checked and are refused");
		answer_text(a, 503, "not configured", NULL);
		return;
	}
	if (sig_slack(secret, httpev_header(ev, "x-slack-request-timestamp"),
	    httpev_header(ev, "x-slack-signature"), ev->body, ev->body_len,
	    a->now, why, sizeof(why)) == -1) {
		log_warn("slack", "request from %s refused: %s",
		    ev->source_ip[0] ? ev->source_ip : "?", why);
		answer_text(a, 401, why, NULL);
		return;
	}
	retry = httpev_header(ev, "x-slack-retry-num") != NULL;
	if ((rc = form_get(ev->body, ev->body_len, "payload", &pl)) != 1) {
		answer_text(a, 400, rc == 0 ? "no payload" :
		    "bad form encoding", NULL);
		buf_free(&pl);
		return;
	}
	a->after.payload = json_loadb(pl.p ? pl.p : "", pl.len,
	    JSON_REJECT_DUPLICATES, &je);
	buf_free(&pl);
	if (a->after.payload == NULL) {
		answer_text(a, 400, "payload is not JSON", NULL);
		return;
	}
	if (interact_parse(a->after.payload, &ia, why, sizeof(why)) == -1) {
		answer_text(a, 400, why, NULL);
		return;
	}
	if (ia.kind == INTERACT_ACTION)
		slack_action(a, &ia, retry);
	else if (ia.kind == INTERACT_SUBMIT)
		slack_submit(a, &ia);
	else if (ia.kind == INTERACT_CLOSED)
		answer(a, 200, TEXT_PLAIN, "", 0, NULL);
	else
		answer_text(a, 400, "unsupported payload type", NULL);
}

/* ---- Signed links: /a/TOKEN ---- */

/* The rows of a page about one order, with room for their text. */
struct order_view {
	char		 item[800], qty[64], supplier[700], cost[96];
	char		 expected[64], cap[64], until[64];
	struct page_row	 rows[9];
	int		 n;
};

static void
order_rows(struct approve *a, const struct store_order *o,
    const char *action, struct order_view *v)
{
	const struct docs_supplier *sup = a->have_suppliers ?
	    docs_supplier(a->docs, o->supplier) : NULL;
	char name[512], date[CLOCK_DATE_LEN];
	long long lead, cap;
	int edit = strcmp(action, "edit") == 0;

	memset(v, 0, sizeof(*v));
	draft_details(a, o, &lead, name, sizeof(name));
	snprintf(v->item, sizeof(v->item), "%s (%s)", name, o->item_id);
	snprintf(v->qty, sizeof(v->qty), "%lld", o->qty);
	supplier_words(a, o, 1, v->supplier, sizeof(v->supplier));
	v->rows[v->n].head = "Item";
	v->rows[v->n++].value = v->item;
	v->rows[v->n].head = edit ? "Drafted quantity" : "Quantity";
	v->rows[v->n++].value = v->qty;
	v->rows[v->n].head = "Supplier";
	v->rows[v->n++].value = v->supplier;
	if (o->unit_cost[0] != '\0') {
		snprintf(v->cost, sizeof(v->cost), "%s%s%s", o->unit_cost,
		    sup && sup->currency ? " " : "",
		    sup && sup->currency ? sup->currency : "");
		v->rows[v->n].head = "Unit cost";
		v->rows[v->n++].value = v->cost;
	}
	if (edit && (cap = order_cap(a, o)) >= 0) {
		snprintf(v->cap, sizeof(v->cap), "%lld", cap);
		v->rows[v->n].head = "Order cap";
		v->rows[v->n++].value = v->cap;
	}
	if (o->status == ORDER_PENDING && strcmp(action, "skip") == 0) {
		clock_add_days(a->today, a->cooldown, date);
		snprintf(v->until, sizeof(v->until), "%s", date);
		v->rows[v->n].head = "Snoozed until";
		v->rows[v->n++].value = v->until;
	} else if (o->status == ORDER_PENDING &&
	    clock_add_days(a->today, lead, date) == 0) {
		snprintf(v->expected, sizeof(v->expected), "about %s", date);
		v->rows[v->n].head = "Expected delivery";
		v->rows[v->n++].value = v->expected;
	} else if (o->expected_date[0] != '\0') {
		v->rows[v->n].head = "Expected delivery";
		v->rows[v->n++].value = o->expected_date;
	}
	if (o->status != ORDER_PENDING && o->by_user[0] != '\0') {
		v->rows[v->n].head = o->status == ORDER_SKIPPED ?
		    "Skipped by" : "Approved by";
		v->rows[v->n++].value = o->by_user;
	}
	v->rows[v->n].head = o->status == ORDER_ON_ORDER ||
	    o->status == ORDER_RECEIVED ? "Purchase order" : "Order";
	v->rows[v->n++].value = o->order_id;
}

/* The confirmation page of a link (GET), or again with an error (POST). */
static void
link_confirm(struct approve *a, int status, const struct store_order *o,
    const char *action, const char *qty, int ticked, const char *error)
{
	struct order_view v;
	struct page pg;
	char lead[900], name[512];
	long long ignored;

	order_rows(a, o, action, &v);
	memset(&pg, 0, sizeof(pg));
	pg.kind = PAGE_ASK;
	pg.rows = v.rows;
	pg.nrows = v.n;
	pg.error = error;
	pg.cap = -1;
	pg.note = "Nothing has happened yet: it happens when you press "
	    "the button.";
	if (strcmp(action, "approve") == 0) {
		pg.title = "Send this order?";
		pg.lead = "Confirm to email this purchase order to the "
		    "supplier now.";
		pg.button = "Confirm: send the order";
	} else if (strcmp(action, "edit") == 0) {
		pg.title = "Change the quantity";
		pg.lead = "Enter how many to order, then confirm: the "
		    "purchase order goes to the supplier with that quantity.";
		pg.button = "Confirm: send with this quantity";
		pg.qty_field = 1;
		pg.qty_value = qty != NULL ? qty : v.qty;
		pg.cap = order_cap(a, o);
		pg.cap_checked = ticked;
	} else {
		draft_details(a, o, &ignored, name, sizeof(name));
		snprintf(lead, sizeof(lead), "Nothing is sent to the supplier, "
		    "and %s is not drafted again before %s.", name, v.until);
		pg.title = "Skip this order?";
		pg.lead = lead;
		pg.button = "Confirm: skip it";
		pg.danger = 1;
	}
	answer_page(a, status, &pg);
}

/* A page that refuses or reports, with the order's rows when given. */
static void
link_page(struct approve *a, int status, int kind, const char *title,
    const char *lead, const struct store_order *o, const char *note)
{
	struct order_view v;
	struct page pg;
	char text[1100];

	memset(&pg, 0, sizeof(pg));
	pg.kind = kind;
	pg.title = title;
	pg.lead = lead ? sentence(lead, text, sizeof(text)) : NULL;
	pg.note = note;
	pg.cap = -1;
	if (o != NULL) {
		order_rows(a, o, "", &v);
		pg.rows = v.rows;
		pg.nrows = v.n;
	}
	answer_page(a, status, &pg);
}

/* POST: checks the form, then acts. */
static void
link_act(struct approve *a, const struct httpev *ev,
    const struct store_order *o, const char *action)
{
	struct buf qty = { 0 }, box = { 0 };
	struct store_order now;
	struct action x;
	char err[256], lead[800], sup[600], name[512], until[CLOCK_DATE_LEN];
	long long lead_days;
	long long q = -1;
	int over, ticked = 0, rc;

	memset(&x, 0, sizeof(x));
	if (strcmp(action, "edit") == 0) {
		if ((rc = form_get(ev->body, ev->body_len, "qty", &qty)) ==
		    -1 || form_get(ev->body, ev->body_len, "confirm",
		    &box) == -1) {
			link_page(a, 400, PAGE_PROBLEM, "This form could not "
			    "be read", "Nothing was changed. Go back to the "
			    "link in the email and try again.", NULL, NULL);
			goto out;
		}
		ticked = box.p != NULL &&
		    strcmp(box.p, INTERACT_OVER_CAP) == 0;
		if (interact_qty(qty.p, order_cap(a, o), ticked, &q, &over,
		    err, sizeof(err)) == -1) {
			link_confirm(a, 422, o, action, qty.p ? qty.p : "",
			    ticked, err);
			goto out;
		}
	}
	snprintf(x.action, sizeof(x.action), "%s", action);
	snprintf(x.order_id, sizeof(x.order_id), "%s", o->order_id);
	snprintf(x.by, sizeof(x.by), "%s (email link)",
	    config_get(a->cfg, "IR_OWNER_EMAIL") ?
	    config_get(a->cfg, "IR_OWNER_EMAIL") : "owner");
	x.qty = q;
	act(a, "link", &x);
	switch (a->res.kind) {
	case RES_DONE:
		memset(&now, 0, sizeof(now));
		if (a->dry_run || store_get_order(a->store, o->order_id,
		    &now) != STORE_OK)
			link_page(a, 200, PAGE_DONE, a->dry_run ? "Dry run: "
			    "nothing was done" : "Done", a->res.msg, NULL,
			    NULL);
		else if (now.status == ORDER_SKIPPED) {
			draft_details(a, &now, &lead_days, name, sizeof(name));
			clock_add_days(a->today, a->cooldown, until);
			snprintf(lead, sizeof(lead), "Nothing was sent to the "
			    "supplier, and %s is not drafted again before %s.",
			    name, until);
			link_page(a, 200, PAGE_DONE, "Order skipped", lead,
			    &now, "You can close this page.");
		}
		else {
			snprintf(lead, sizeof(lead), "The purchase order was "
			    "emailed to %s.", supplier_words(a, &now, 0, sup,
			    sizeof(sup)));
			link_page(a, 200, PAGE_DONE, "Order sent", lead, &now,
			    "You can close this page.");
		}
		free(now.record);
		break;
	case RES_NOTFOUND:
		link_page(a, 404, PAGE_REFUSED, "No such order", a->res.msg,
		    NULL, NULL);
		break;
	case RES_STATE:
		link_page(a, 409, PAGE_REFUSED, "Already done", a->res.msg, o,
		    "Nothing was changed by this link.");
		break;
	case RES_FAILED:
		link_page(a, a->status == EX_CONFIG ? 500 : 503, PAGE_PROBLEM,
		    "The order was not sent", a->res.msg, o, NULL);
		break;
	case RES_UNKNOWN:
		link_page(a, 504, PAGE_PROBLEM, "Not sure the order was sent",
		    a->res.msg, NULL, NULL);
		break;
	default:
		link_page(a, 503, PAGE_PROBLEM, "Try again in a minute",
		    "The order store did not answer. Nothing was changed.",
		    NULL, NULL);
		break;
	}
out:
	buf_free(&qty);
	buf_free(&box);
}

/*
 * GET or POST /a/TOKEN. The token is checked on both; only POST acts. A
 * refusal changes nothing.
 */
static void
link_request(struct approve *a, const struct httpev *ev)
{
	const char *key = config_get(a->cfg, "IR_LINK_KEY");
	struct store_order o;
	struct action x;
	char order[STORE_ID_MAX], action[16], why[64], note[600];
	int rc, known;

	memset(&o, 0, sizeof(o));
	if (key == NULL) {
		log_error("link", "IR_LINK_KEY is not set: email links cannot "
		    "be checked and are refused");
		link_page(a, 503, PAGE_PROBLEM, "Links are not set up",
		    "This shop has not set up approval links (IR_LINK_KEY). "
		    "Nothing was changed.", NULL, NULL);
		return;
	}
	rc = sig_link_check(key, ev->path + 3, a->now, order, sizeof(order),
	    action, sizeof(action), why, sizeof(why));
	known = strcmp(action, "approve") == 0 || strcmp(action, "edit") ==
	    0 || strcmp(action, "skip") == 0;
	if (rc == -1 || !known) {
		log_warn("link", "%s /a/...: %s", ev->method, known ? why :
		    "bad link");
		if (known && strcmp(why, "expired link") == 0) {
			snprintf(note, sizeof(note), "Order %s: approve it "
			    "from a newer draft email, or on the shop's "
			    "computer with ir-approve.", order);
			link_page(a, 403, PAGE_REFUSED, "This link has "
			    "expired", "Approval links work for 7 days, and "
			    "this one is older. Nothing was changed.", NULL,
			    note);
		} else
			link_page(a, 403, PAGE_REFUSED, "This link is not "
			    "valid", "It is incomplete, or it was changed "
			    "after it was sent. Nothing was changed.", NULL,
			    "Open the link again from the draft email. If "
			    "your mail app split it over two lines, copy the "
			    "whole link.");
		return;
	}
	rc = store_get_order(a->store, order, &o);
	if (rc == STORE_NOTFOUND) {
		snprintf(note, sizeof(note), "There is no order %s in the "
		    "store. Nothing was changed.", order);
		link_page(a, 404, PAGE_REFUSED, "No such order", note, NULL,
		    NULL);
	} else if (rc != STORE_OK) {
		log_error("link", "order %s: %s", order, store_error(a->store));
		link_page(a, 503, PAGE_PROBLEM, "Try again in a minute",
		    "The order store did not answer. Nothing was changed.",
		    NULL, NULL);
	} else if (o.status != ORDER_PENDING) {
		memset(&x, 0, sizeof(x));
		snprintf(x.action, sizeof(x.action), "%s", action);
		explain_state(a, "link", &x, &o);
		link_page(a, 409, PAGE_REFUSED, "Already done", a->res.msg, &o,
		    "Nothing was changed by this link.");
	} else if (strcmp(ev->method, "POST") != 0)
		link_confirm(a, 200, &o, action, NULL, 0, NULL);
	else
		link_act(a, ev, &o, action);
	free(o.record);
}

/* One request: its route, or 404 / 405. */
static void
route(struct approve *a, const struct httpev *ev)
{
	static const char *const allow_post[] = { "Allow: POST", NULL };
	static const char *const allow_link[] = { "Allow: GET, POST", NULL };
	int get = strcmp(ev->method, "GET") == 0;
	int post = strcmp(ev->method, "POST") == 0;

	if (strcmp(ev->path, "/slack") == 0) {
		if (!post)
			answer_text(a, 405, "method not allowed", allow_post);
		else if (a->broken)
			answer_text(a, 503, "service unavailable", NULL);
		else
			slack_request(a, ev);
	} else if (strncmp(ev->path, "/a/", 3) == 0) {
		if (!get && !post)
			answer_text(a, 405, "method not allowed", allow_link);
		else if (a->broken)
			link_page(a, 503, PAGE_PROBLEM, "Try again later",
			    "The approval service cannot reach its store or "
			    "its mail. Nothing was changed.", NULL, NULL);
		else
			link_request(a, ev);
	} else
		answer_text(a, 404, "not found", NULL);
}

/* The Slack calls noted while answering, made once the answer is out. */
static void
run_after(struct approve *a)
{
	struct buf b = { 0 };
	json_t *msg;			/* borrowed from the payload */
	char err[512], text[700];

	if (a->after.trigger[0] != '\0' && a->after.view.len > 0 &&
	    slack_views_open(a->after.trigger, a->after.view.p, err,
	    sizeof(err)) < 0) {
		log_warn("slack", "could not open the Edit form: %s", err);
		msg = json_object_get(a->after.payload, "message");
		snprintf(text, sizeof(text), "Could not open the Edit form "
		    "(%s). Press Edit again.", err);
		/* without the message's blocks, a note would replace it */
		if (a->after.channel[0] != '\0' &&
		    json_is_array(json_object_get(msg, "blocks")) &&
		    interact_note_blocks(json_object_get(msg, "blocks"), text,
		    &b) == 0 && slack_update(a->after.channel, a->after.ts,
		    json_string_value(json_object_get(msg, "text")) ?
		    json_string_value(json_object_get(msg, "text")) : text,
		    b.p, err, sizeof(err)) < 0)
			log_warn("slack", "could not update the Slack message: "
			    "%s", err);
	}
	if (a->after.update && slack_update(a->after.channel, a->after.ts,
	    a->after.text.p, a->after.blocks.p, err, sizeof(err)) < 0)
		log_warn("slack", "could not update the Slack message: %s",
		    err);
	buf_free(&b);
}

/*
 * The --http loop: one response record per request event, flushed before
 * the Slack calls that follow it. Returns 0, or an exit status when the
 * input or stdout fails.
 */
static int
run_http(struct approve *a, const char *path)
{
	struct ndjson_reader *r;
	struct httpev ev;
	const char *line, *source = strcmp(path, "-") ? path : "stdin";
	char where[300], err[256];
	size_t len;
	unsigned long lineno;
	FILE *fp;
	int rc = 0, got;

	if ((fp = cli_open_input(path)) == NULL)
		return EX_NOINPUT;
	if ((r = ndjson_open(fp, HTTPEV_MAX_EVENT)) == NULL)
		return EX_OSERR;
	while (rc == 0 && (got = ndjson_next(r, &line, &len, &lineno)) !=
	    NDJSON_EOF) {
		snprintf(where, sizeof(where), "%s:%lu", source, lineno);
		if (got == NDJSON_IOERR) {
			log_error(source, "read error");
			rc = EX_IOERR;
			break;
		}
		set_now(a);
		after_reset(a);
		a->status = 0;
		if (got == NDJSON_TOOLONG) {
			log_warn(where, "request event over %d bytes: 413",
			    HTTPEV_MAX_EVENT);
			answer_text(a, 413, "request too large", NULL);
		} else if (httpev_parse(line, len, &ev, err,
		    sizeof(err)) == -1) {
			log_warn(where, "%s", err);
			answer_text(a, strstr(err, "large") != NULL ? 413 : 400,
			    err, NULL);
		} else {
			route(a, &ev);
			log_info(where, "%s %s: %d", ev.method,
			    strcmp(ev.path, "/slack") == 0 ? "/slack" :
			    strncmp(ev.path, "/a/", 3) == 0 ? "/a/..." :
			    "(other path)", a->resp_status);
			httpev_free(&ev);
		}
		if (fwrite(a->resp.p, 1, a->resp.len, stdout) != a->resp.len ||
		    fflush(stdout) == EOF) {
			log_error(NULL, "cannot write the response: %s",
			    strerror(errno));
			rc = EX_IOERR;
			break;
		}
		run_after(a);
	}
	after_reset(a);
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
		{ "http",	no_argument,		NULL, 'H' },
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
	int ch, i, rc = 0, nact = 0, by_given = 0, has_cap;

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
		case 'b':
			snprintf(one.by, sizeof(one.by), "%s", optarg);
			by_given = 1;
			break;
		case 'c': conf = optarg; break;
		case 'm': mail_uri = optarg; break;
		case 'n': a->dry_run = 1; break;
		case 'N': now = optarg; break;
		case 'q': qty = optarg; break;
		case 's': store_uri = optarg; break;
		case 'S': suppliers = optarg; break;
		case 'h': usage(stdout); free(a); return 0;
		case 'H': a->http = 1; break;
		case 'V': cli_version(); free(a); return 0;
		default: usage(stderr); free(a); return EX_USAGE;
		}
	}
	if (nact > 1 || (nact == 1 && optind < argc) || (qty && (nact != 1 ||
	    strcmp(one.action, "approve") != 0)) || (a->http && (nact > 0 ||
	    by_given))) {
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
	    sizeof(err)) == -1 || (has_cap = config_int(a->cfg, "IR_ORDER_CAP",
	    0, 1000000000, &a->cap, err, sizeof(err))) == -1) {
		log_error(NULL, "%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	if (has_cap == 0)
		a->cap = -1;
	/*
	 * With --http a backend that cannot be opened does not stop the
	 * loop: every request is still answered (503), and the exit status
	 * says what failed.
	 */
	a->docs = docs_new();
	if ((v = config_get(a->cfg, "IR_SUPPLIERS")) != NULL) {
		if ((rc = cli_load_doc(a->docs, v, 1)) != 0 && !a->http)
			goto out;
		a->broken = rc;
		a->have_suppliers = rc == 0;
		rc = 0;
	}
	a->now = clock_now();
	clock_date(a->now, a->today);
	clock_rfc3339(a->now, a->at);
	if (!a->broken && (a->store = store_open(config_get(a->cfg,
	    "IR_STORE"), err, sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		a->broken = EX_UNAVAILABLE;
		if (!a->http) {
			rc = a->broken;
			goto out;
		}
	}
	if (!a->broken && !a->dry_run && (a->mail = mailer_open(
	    config_get(a->cfg, "IR_MAIL"), err, sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		a->broken = EX_CONFIG;
		if (!a->http) {
			rc = a->broken;
			goto out;
		}
	}
	cli_stdout_buffering();
	if (a->http) {
		rc = optind == argc ? run_http(a, "-") : 0;
		for (i = optind; rc == 0 && i < argc; i++)
			rc = run_http(a, argv[i]);
		/* each request had its answer: only what failed to run */
		a->status = a->broken;
	} else if (nact == 1)
		rc = act(a, one.order_id, &one);
	else if (optind == argc)
		rc = run_file(a, "-");
	for (i = optind; !a->http && nact == 0 && rc == 0 && i < argc; i++)
		rc = run_file(a, argv[i]);
out:
	mailer_close(a->mail);
	store_close(a->store);
	docs_free(a->docs);
	buf_free(&a->out);
	buf_free(&a->resp);
	after_reset(a);
	buf_free(&a->after.text);
	buf_free(&a->after.blocks);
	buf_free(&a->after.view);
	rc = cli_exit(cli_worst(rc, a->status));
	config_free(a->cfg);
	free(a);
	return rc;
}
