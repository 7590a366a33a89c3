/*
 * ir-draft: move records in, draft (or deferred) records out.
 *
 * For each "move" of reorder or urgent_reorder: resolves the supplier (the
 * fallback supplier, flagged, when the item's is not in the suppliers
 * doc), computes the quantity and flags (rules.md "Order quantity"),
 * formats the purchase-order text from the supplier's template, and sends
 * the draft to the owner (IR_NOTIFY) as a Slack Block Kit message and an
 * email. Only after that delivery succeeded is the pending order written,
 * conditionally: never a second open order for an item. In quiet hours or
 * on a quiet day the move is kept in the store instead and a "deferred"
 * record says until when; --due sends those whose time has come.
 *
 * With IR_PUBLIC_URL and IR_LINK_KEY set, the owner's email carries signed
 * Approve / Edit / Skip links to IR_PUBLIC_URL/a/TOKEN (ir-approve --http
 * answers them), valid for LINK_DAYS days; without them it names the
 * ir-approve commands instead. A token is never logged or written to a
 * record.
 *
 * Order of side effects, and why a crash between any two is safe: the
 * order id is deterministic (item and draft date) and the owner message is
 * idempotent by it, so a re-run after a crash re-delivers nothing and then
 * writes the pending order. This program never writes to a supplier.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channel.h"
#include "cli.h"
#include "clock.h"
#include "compose.h"
#include "config.h"
#include "dec.h"
#include "docs.h"
#include "events.h"
#include "jsonw.h"
#include "log.h"
#include "ndjson.h"
#include "reorder.h"
#include "sig.h"
#include "store.h"

#define LINK_DAYS	7	/* how long the email's links work */

struct draft {
	struct config	*cfg;
	struct store	*store;
	struct notifier	*notify;
	struct docs	*docs;
	int		 dry_run, have_suppliers;
	long long	 days_of_cover, default_lead;
	int		 has_cap;
	long long	 cap;
	struct quiet	 quiet;
	const char	*fallback;
	const char	*channel;
	char		*link_base;	/* IR_PUBLIC_URL without a trailing
					   '/', or NULL: no links (owned) */
	const char	*link_key;	/* IR_LINK_KEY */
	time_t		 now;
	struct rec	 rec;
	struct buf	 out, tmp, msg_eml, msg_json, text;
	int		 status;
	unsigned long	 drafted, deferred;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-draft [--dry-run] [--config FILE] [--notify URI] "
	    "[--now TIME]\n"
	    "                [--store URI] [--suppliers FILE] [file ...]\n"
	    "       ir-draft --due [--dry-run] [--config FILE] [--notify URI] "
	    "[--now TIME]\n"
	    "                [--store URI] [--suppliers FILE]\n");
}

struct item {
	char	 item_id[STORE_ID_MAX];
	char	 name[512];
	char	 supplier[STORE_ID_MAX];
	char	 unit_cost[32];
	char	 move[32];
	struct reorder_item it;
	long long point;
};

static int
read_item(struct draft *d, const struct rec *r, struct item *x, char *err,
    size_t errsz)
{
	long long v;
	int rc;

	memset(x, 0, sizeof(*x));
	if (rec_str(r, "item_id", x->item_id, sizeof(x->item_id)) <= 0) {
		snprintf(err, errsz, "move has no item_id");
		return -1;
	}
	if (rec_str(r, "name", x->name, sizeof(x->name)) <= 0)
		snprintf(x->name, sizeof(x->name), "%s", x->item_id);
	rec_str(r, "supplier", x->supplier, sizeof(x->supplier));
	rec_str(r, "move", x->move, sizeof(x->move));
	if (rec_str(r, "unit_cost", x->unit_cost, sizeof(x->unit_cost)) < 0) {
		int64_t cost;

		x->unit_cost[0] = '\0';
		if (rec_dec(r, "unit_cost", &cost) == 0) {
			struct buf b = { 0 };

			dec_format(&b, cost);
			snprintf(x->unit_cost, sizeof(x->unit_cost), "%s",
			    b.p ? b.p : "");
			buf_free(&b);
		}
	}
	if (rec_int(r, "on_hand", &x->it.on_hand) != 0) {
		snprintf(err, errsz, "%s: on_hand is missing or not a whole "
		    "number", x->item_id);
		return -1;
	}
	if (rec_dec(r, "rate", &x->it.rate) == -2 || x->it.rate < 0) {
		snprintf(err, errsz, "%s: rate is not a number", x->item_id);
		return -1;
	}
	x->it.lead = d->default_lead;
	if (rec_int(r, "lead_time_days", &v) == 0 && v >= 0)
		x->it.lead = v;
	rec_int(r, "buffer", &x->it.buffer);
	if (rec_int(r, "point_override", &v) == 0) {
		x->it.has_override = 1;
		x->it.point_override = v;
	}
	x->it.pack = 1;
	if (rec_int(r, "pack_size", &v) == 0 && v >= 1)
		x->it.pack = v;
	if (rec_int(r, "min_order", &v) == 0 && v >= 0)
		x->it.min_order = v;
	x->it.has_cap = d->has_cap;
	x->it.cap = d->cap;
	if ((rc = rec_int(r, "order_cap", &v)) == 0 && v >= 0) {
		x->it.has_cap = 1;
		x->it.cap = v;
	}
	if (rec_int(r, "point", &x->point) != 0)
		x->point = reorder_point(&x->it);
	return 0;
}

/*
 * The three signed links of a draft: IR_PUBLIC_URL/a/TOKEN for approve,
 * edit and skip, each token naming the order, the action and the expiry
 * (now + LINK_DAYS), signed with IR_LINK_KEY. until gets the expiry for
 * people, in the shop's time zone. 0, or -1 on ENOMEM.
 */
static int
make_links(struct draft *d, const char *oid, struct buf links[3],
    char *until, size_t untilsz)
{
	static const char *const acts[3] = { "approve", "edit", "skip" };
	time_t expiry = d->now + (time_t)LINK_DAYS * 86400;
	struct tm tm;
	char when[32];
	int i;

	for (i = 0; i < 3; i++)
		if (buf_addf(&links[i], "%s/a/", d->link_base) == -1 ||
		    sig_link_make(d->link_key, oid, acts[i], expiry,
		    &links[i]) == -1)
			return -1;
	localtime_r(&expiry, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	snprintf(until, untilsz, "%s (%s)", when, clock_tz());
	return 0;
}

/* The order id: deterministic per item and draft date (rules.md). */
static void
order_id(const char *item_id, const char *date, char *dst, size_t dstsz)
{
	char safe[200];

	/* bounded here, not cut afterwards, so the hash suffix survives */
	channel_safe_id(item_id, safe, sizeof(safe));
	snprintf(dst, dstsz, "%s-%.4s%.2s%.2s", safe, date, date + 5,
	    date + 8);
}

/*
 * The links are made when both IR_PUBLIC_URL and IR_LINK_KEY are set.
 * Returns 0, or EX_CONFIG after saying what is wrong with the URL.
 */
static int
link_setup(struct draft *d)
{
	const char *url = config_get(d->cfg, "IR_PUBLIC_URL");
	size_t n;

	d->link_key = config_get(d->cfg, "IR_LINK_KEY");
	if (url == NULL || d->link_key == NULL)
		return 0;
	if ((strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) || strpbrk(url, " \t\r\n<>\"") !=
	    NULL || strlen(url) > 1000) {
		log_error(NULL, "IR_PUBLIC_URL (%s): must be the https:// "
		    "address where ir-serve or the approve Function URL "
		    "answers, such as https://shop.example.com",
		    config_origin(d->cfg, "IR_PUBLIC_URL"));
		return EX_CONFIG;
	}
	if ((d->link_base = strdup(url)) == NULL)
		return EX_OSERR;
	n = strlen(d->link_base);
	while (n > 0 && d->link_base[n - 1] == '/')
		d->link_base[--n] = '\0';
	return 0;
}

static void
write_deferred(struct draft *d, const struct rec *r, time_t until)
{
	static const char *const skip[] = { "until", NULL };
	char t[CLOCK_TIME_LEN];

	clock_rfc3339(until, t);
	buf_reset(&d->out);
	recw_begin(&d->out, "deferred");
	recw_copy(&d->out, r, skip);
	recw_str(&d->out, "until", t);
	recw_end(&d->out);
	fwrite(d->out.p, 1, d->out.len, stdout);
}

/*
 * Drafts one move. Returns 0, or an exit status that stops the run (a
 * service is down: later moves would fail the same way).
 */
static int
draft_one(struct draft *d, const char *where, const char *line, size_t len,
    int from_due)
{
	static const char *const skip[] = { "order_id", "qty", "flags",
	    "explain", "channel", "message_ref", "drafted_at", "supplier_name",
	    "supplier_email", "order_status", "until", "supplier", NULL };
	const struct docs_supplier *sup = NULL;
	struct compose_draft cd;
	struct store_order o, cur;
	struct store_item_state st;
	struct reorder_qty q;
	struct owner_msg m;
	struct item x;
	const char *ids[1], *vars[32], *sup_name, *sup_email = "";
	char err[512], today[CLOCK_DATE_LEN], expected[CLOCK_DATE_LEN];
	char oid[STORE_ID_MAX], msgid[STORE_ID_MAX], ref[1024];
	char drafted[CLOCK_TIME_LEN], qtys[32], approve[STORE_ID_MAX + 40];
	char links_until[64];
	struct buf links[3] = { { 0 }, { 0 }, { 0 } };
	int fallback = 0, rc, k;

	if (rec_parse(&d->rec, line, len) == -1 || read_item(d, &d->rec, &x,
	    err, sizeof(err)) == -1) {
		log_error(where, "%s", d->rec.err[0] ? d->rec.err : err);
		d->status = EX_DATAERR;
		return 0;
	}
	/* Supplier: the item's, else the fallback (flagged), else reject. */
	if (d->have_suppliers) {
		sup = x.supplier[0] ? docs_supplier(d->docs, x.supplier) : NULL;
		if (sup == NULL) {
			if (d->fallback == NULL ||
			    (sup = docs_supplier(d->docs, d->fallback)) ==
			    NULL) {
				log_error(where, "%s: supplier \"%s\" is not in "
				    "%s and no fallback supplier is set "
				    "(IR_FALLBACK_SUPPLIER); no draft", x.item_id,
				    x.supplier, docs_suppliers_source(d->docs));
				d->status = EX_DATAERR;
				return 0;
			}
			log_warn(where, "%s: supplier \"%s\" is not in %s; "
			    "drafting for the fallback supplier \"%s\"",
			    x.item_id, x.supplier,
			    docs_suppliers_source(d->docs), sup->key);
			fallback = 1;
		}
		/* The supplier's minimum applies when the item has none. */
		if (x.it.min_order == 0 && sup->min_order.set)
			x.it.min_order = sup->min_order.v;
	} else if (x.supplier[0] == '\0') {
		log_error(where, "%s: no supplier for this item and no "
		    "suppliers doc (IR_SUPPLIERS); no draft", x.item_id);
		d->status = EX_DATAERR;
		return 0;
	}
	sup_name = sup && sup->name ? sup->name : sup ? sup->key : x.supplier;
	if (sup && sup->email)
		sup_email = sup->email;

	/* Quiet hours: keep the move for later, send nothing now. */
	if (clock_is_quiet(&d->quiet, d->now)) {
		time_t until = clock_next_open(&d->quiet, d->now);

		if (until == (time_t)-1) {
			log_error(where, "%s: every day is quiet "
			    "(IR_QUIET_DAYS); cannot schedule the draft",
			    x.item_id);
			d->status = EX_CONFIG;
			return 0;
		}
		if (!d->dry_run && (rc = store_defer(d->store, x.item_id,
		    until, line, len)) != STORE_OK) {
			log_error(where, "cannot keep the deferred draft: %s",
			    store_error(d->store));
			return cli_store_status(rc);
		}
		if (!d->dry_run && config_get(d->cfg,
		    "IR_SCHEDULER_TARGET_ARN") != NULL) {
			char name[64], safe[40], stamp[16], err2[512];
			struct tm tm;
			int sst;

			/* one schedule per item and minute: a retry finds it */
			channel_safe_id(x.item_id, safe, sizeof(safe));
			localtime_r(&until, &tm);
			strftime(stamp, sizeof(stamp), "%Y%m%d%H%M", &tm);
			snprintf(name, sizeof(name), "ir-%s-%s", safe, stamp);
			if (events_schedule_at(name, until, clock_tz(),
			    config_get(d->cfg, "IR_SCHEDULER_TARGET_ARN"),
			    config_get(d->cfg, "IR_SCHEDULER_ROLE_ARN") ?
			    config_get(d->cfg, "IR_SCHEDULER_ROLE_ARN") : "",
			    line, &sst, err2, sizeof(err2)) == -1) {
				log_error(where, "%s: cannot schedule the "
				    "deferred draft: %s", x.item_id, err2);
				return sst ? sst : EX_UNAVAILABLE;
			}
		}
		write_deferred(d, &d->rec, until);
		d->deferred++;
		return 0;
	}

	reorder_qty(&x.it, x.point, d->days_of_cover, &q);
	clock_date(d->now, today);
	clock_rfc3339(d->now, drafted);
	order_id(x.item_id, today, oid, sizeof(oid));
	clock_add_days(today, x.it.lead, expected);

	/* Already an open order: nothing to draft (a re-run, or a race). */
	{
		ids[0] = x.item_id;
		memset(&st, 0, sizeof(st));
		if ((rc = store_item_states(d->store, ids, 1, &st)) !=
		    STORE_OK) {
			log_error(where, "cannot read order state: %s",
			    store_error(d->store));
			return cli_store_status(rc);
		}
		if (st.status != ORDER_NONE) {
			log_info(where, "%s: order %s is already %s; no new "
			    "draft", x.item_id, st.order_id,
			    store_status_name(st.status));
			if (from_due)
				store_undefer(d->store, x.item_id);
			return 0;
		}
	}

	/* The record, then the messages made from it. */
	buf_reset(&d->tmp);
	reorder_explain(&d->tmp, &x.it, x.point, d->days_of_cover, &q);
	buf_reset(&d->text);
	reorder_flags(&d->text, q.flags);
	if (fallback)
		buf_addf(&d->text, "%sfallback_supplier",
		    d->text.len ? "," : "");
	buf_reset(&d->out);
	recw_begin(&d->out, "draft");
	recw_copy(&d->out, &d->rec, skip);
	recw_str(&d->out, "order_id", oid);
	recw_int(&d->out, "qty", q.qty);
	{
		struct buf fl = { 0 };
		const char *p = d->text.p ? d->text.p : "", *e;

		buf_addc(&fl, '[');
		while (*p) {
			e = strchr(p, ',');
			if (e == NULL)
				e = p + strlen(p);
			if (fl.len > 1)
				buf_addc(&fl, ',');
			jsonw_str(&fl, p, (size_t)(e - p));
			p = *e ? e + 1 : e;
		}
		buf_addc(&fl, ']');
		recw_raw(&d->out, "flags", fl.p, fl.len);
		buf_free(&fl);
	}
	recw_str(&d->out, "explain", d->tmp.p);
	recw_str(&d->out, "channel", d->dry_run ? "dry-run" : d->channel);
	recw_str(&d->out, "supplier_name", sup_name);
	recw_str(&d->out, "supplier_email", sup_email);
	recw_str(&d->out, "supplier", sup ? sup->key : x.supplier);

	/* PO text from the supplier's template, or the built-in one. */
	snprintf(qtys, sizeof(qtys), "%lld", q.qty);
	k = 0;
	vars[k++] = "supplier_name"; vars[k++] = sup_name;
	vars[k++] = "shop_name"; vars[k++] = config_get(d->cfg, "IR_SHOP_NAME");
	vars[k++] = "order_id"; vars[k++] = oid;
	vars[k++] = "item_id"; vars[k++] = x.item_id;
	vars[k++] = "item_name"; vars[k++] = x.name;
	vars[k++] = "qty"; vars[k++] = qtys;
	vars[k++] = "unit_cost"; vars[k++] = x.unit_cost[0] ? x.unit_cost :
	    "(price to confirm)";
	vars[k++] = "currency"; vars[k++] = sup && sup->currency ?
	    sup->currency : "";
	vars[k++] = "expected_date"; vars[k++] = expected;
	vars[k++] = "owner_email"; vars[k++] = config_get(d->cfg,
	    "IR_OWNER_EMAIL");
	vars[k] = NULL;
	{
		struct buf tmpl = { 0 };
		struct buf po = { 0 };

		if (sup && sup->template_path) {
			if (cli_read_small(sup->template_path, &tmpl) == -1) {
				log_warn(where, "template %s unreadable; using "
				    "the built-in one", sup->template_path);
				buf_reset(&tmpl);
				buf_adds(&tmpl, compose_default_template());
			}
		} else
			buf_adds(&tmpl, compose_default_template());
		if (compose_template(tmpl.p, vars, &po) > 0)
			log_warn(where, "template %s has a {{placeholder}} it "
			    "does not know; left as written",
			    sup && sup->template_path ? sup->template_path :
			    "(built-in)");
		snprintf(approve, sizeof(approve), "ir-approve --approve %s",
		    oid);
		if (d->link_base != NULL && make_links(d, oid, links,
		    links_until, sizeof(links_until)) == -1) {
			buf_free(&tmpl);
			buf_free(&po);
			log_error(where, "%s: cannot make the approval links",
			    x.item_id);
			rc = EX_SOFTWARE;
			goto free_links;
		}
		memset(&cd, 0, sizeof(cd));
		cd.order_id = oid;
		cd.item_id = x.item_id;
		cd.item_name = x.name;
		cd.supplier_name = sup_name;
		cd.supplier_email = sup_email;
		cd.qty = q.qty;
		cd.on_hand = x.it.on_hand;
		cd.point = x.point;
		cd.move = x.move;
		cd.explain = d->tmp.p;
		cd.flags = d->text.p ? d->text.p : "";
		cd.unit_cost = x.unit_cost;
		cd.po_text = po.p ? po.p : "";
		cd.shop_name = config_get(d->cfg, "IR_SHOP_NAME");
		cd.from = config_get(d->cfg, "IR_FROM");
		cd.owner_email = config_get(d->cfg, "IR_OWNER_EMAIL");
		cd.approve_cmd = approve;
		if (d->link_base != NULL) {
			cd.approve_url = links[0].p;
			cd.edit_url = links[1].p;
			cd.skip_url = links[2].p;
			cd.links_until = links_until;
		}
		cd.date = d->now;
		buf_reset(&d->msg_eml);
		buf_reset(&d->msg_json);
		rc = compose_draft_eml(&cd, &d->msg_eml) == -1 ||
		    compose_draft_slack(&cd, &d->msg_json) == -1;
		buf_free(&tmpl);
		buf_free(&po);
		if (rc) {
			log_error(where, "%s: cannot format the draft",
			    x.item_id);
			rc = EX_SOFTWARE;
		}
free_links:
		/* the tokens go no further than the email */
		for (k = 0; k < 3; k++)
			buf_free(&links[k]);
		if (rc)
			return rc;
	}
	if (d->dry_run) {
		recw_str(&d->out, "drafted_at", drafted);
		recw_end(&d->out);
		fwrite(d->out.p, 1, d->out.len, stdout);
		d->drafted++;
		return 0;
	}

	/* 1. Deliver to the owner (idempotent by order id). */
	snprintf(msgid, sizeof(msgid), "draft-%s", oid);
	memset(&m, 0, sizeof(m));
	m.id = msgid;
	m.subject = x.name;
	m.text = d->tmp.p;
	m.slack_json = d->msg_json.p;
	m.eml = d->msg_eml.p;
	m.eml_len = d->msg_eml.len;
	rc = notify_send(d->notify, &m, ref, sizeof(ref));
	if (rc < 0) {
		/* CHANNEL_UNKNOWN: it may have arrived; the re-run decides
		 * (Slack and the outbox find it by id, an email may repeat
		 * with the same Message-ID) */
		log_error(where, "%s: the draft could not be sent to the "
		    "owner: %s; no order written, run again later",
		    x.item_id, notify_error(d->notify));
		return rc == CHANNEL_ERR ? EX_UNAVAILABLE : EX_TEMPFAIL;
	}
	cli_fault(d->cfg, "draft-delivered");
	recw_str(&d->out, "message_ref", ref);
	recw_str(&d->out, "drafted_at", drafted);

	/* 2. Then the pending order, conditionally. */
	memset(&o, 0, sizeof(o));
	snprintf(o.order_id, sizeof(o.order_id), "%s", oid);
	snprintf(o.item_id, sizeof(o.item_id), "%s", x.item_id);
	o.qty = q.qty;
	snprintf(o.supplier, sizeof(o.supplier), "%s",
	    sup ? sup->key : x.supplier);
	snprintf(o.unit_cost, sizeof(o.unit_cost), "%s", x.unit_cost);
	snprintf(o.draft_date, sizeof(o.draft_date), "%s", today);
	snprintf(o.updated_at, sizeof(o.updated_at), "%s", drafted);
	/* the record without its "}\n", closed here for the store */
	buf_reset(&d->tmp);
	buf_add(&d->tmp, d->out.p, d->out.len);
	buf_adds(&d->tmp, "}");
	o.record = d->tmp.p;
	memset(&cur, 0, sizeof(cur));
	rc = store_create_pending(d->store, &o, "ir-draft", &cur);
	free(cur.record);
	if (rc == STORE_CONFLICT) {
		log_info(where, "%s: order %s is already %s; no new draft",
		    x.item_id, cur.order_id, store_status_name(cur.status));
		if (from_due)
			store_undefer(d->store, x.item_id);
		return 0;
	}
	if (rc != STORE_OK) {
		log_error(where, "%s: the draft was sent but the order could "
		    "not be written: %s; run again to finish (nothing will be "
		    "sent twice)", x.item_id, store_error(d->store));
		return cli_store_status(rc);
	}
	/* whichever way the draft came (--due, a Scheduler invocation, the
	 * next daily run), a deferral kept for the item is done with */
	store_undefer(d->store, x.item_id);
	recw_end(&d->out);
	fwrite(d->out.p, 1, d->out.len, stdout);
	d->drafted++;
	return 0;
}

/* One input record: a move to draft, or a record to pass through. */
static int
take(struct draft *, const char *, const char *, size_t);

static int
take(struct draft *d, const char *where, const char *line, size_t len)
{
	char move[32];

	if (rec_parse(&d->rec, line, len) == -1) {
		log_error(where, "%s", d->rec.err);
		d->status = EX_DATAERR;
		return 0;
	}
	if (rec_get(&d->rec, "type") == NULL) {
		struct buf ev = { 0 };
		int rc;

		/* an EventBridge event as a Lambda target gets it: its
		 * detail is the move */
		if (events_unwrap(line, len, &ev) == 1) {
			rc = take(d, where, ev.p, ev.len);
			buf_free(&ev);
			return rc;
		}
		buf_free(&ev);
		log_error(where, "record has no \"type\"");
		d->status = EX_DATAERR;
		return 0;
	}
	if (!rec_is(&d->rec, "move") || rec_str(&d->rec, "move", move,
	    sizeof(move)) <= 0 || (strcmp(move, "reorder") != 0 &&
	    strcmp(move, "urgent_reorder") != 0)) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	return draft_one(d, where, line, len, 0);
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
run_file(struct draft *d, const char *path)
{
	struct cli_records cr = { 0, take_record, NULL, d, &d->status };

	return cli_each_record(path, &cr);
}

struct due_ctx {
	struct draft	*d;
	int		 rc;
};

static int
due_one(void *ctx, const char *item_id, const char *record)
{
	struct due_ctx *dc = ctx;
	char where[STORE_ID_MAX + 20];

	snprintf(where, sizeof(where), "deferred %s", item_id);
	dc->rc = draft_one(dc->d, where, record, strlen(record), 1);
	return dc->rc;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "due",	no_argument,		NULL, 'D' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "notify",	required_argument,	NULL, 'o' },
		{ "now",	required_argument,	NULL, 'N' },
		{ "store",	required_argument,	NULL, 's' },
		{ "suppliers",	required_argument,	NULL, 'S' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct draft *d;
	const char *conf = NULL, *now = NULL, *store_uri = NULL, *v;
	const char *notify_uri = NULL, *suppliers = NULL;
	char err[512];
	int ch, i, rc = 0, due = 0;

	log_init(argv[0]);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return EX_OSERR;
	while ((ch = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'D': due = 1; break;
		case 'n': d->dry_run = 1; break;
		case 'o': notify_uri = optarg; break;
		case 'N': now = optarg; break;
		case 's': store_uri = optarg; break;
		case 'S': suppliers = optarg; break;
		case 'h': usage(stdout); free(d); return 0;
		case 'V': cli_version(); free(d); return 0;
		default: usage(stderr); free(d); return EX_USAGE;
		}
	}
	if (due && optind < argc) {
		usage(stderr);
		free(d);
		return EX_USAGE;
	}
	if ((d->cfg = cli_config(conf, now)) == NULL) {
		free(d);
		return cli_last_status;
	}
	if (store_uri)
		config_set(d->cfg, "IR_STORE", store_uri);
	if (notify_uri)
		config_set(d->cfg, "IR_NOTIFY", notify_uri);
	if (suppliers)
		config_set(d->cfg, "IR_SUPPLIERS", suppliers);
	d->days_of_cover = 14;
	d->default_lead = 7;
	if (config_int(d->cfg, "IR_DAYS_OF_COVER", 0, 3650, &d->days_of_cover,
	    err, sizeof(err)) == -1 || config_int(d->cfg,
	    "IR_DEFAULT_LEAD_TIME_DAYS", 0, 3650, &d->default_lead, err,
	    sizeof(err)) == -1 || (d->has_cap = config_int(d->cfg,
	    "IR_ORDER_CAP", 0, 1000000000, &d->cap, err, sizeof(err))) == -1 ||
	    clock_quiet_parse(config_get(d->cfg, "IR_QUIET_HOURS"),
	    config_get(d->cfg, "IR_QUIET_DAYS"), &d->quiet, err,
	    sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	if (config_get(d->cfg, "IR_SCHEDULER_TARGET_ARN") != NULL &&
	    config_get(d->cfg, "IR_SCHEDULER_ROLE_ARN") == NULL) {
		log_error(NULL, "IR_SCHEDULER_TARGET_ARN is set but "
		    "IR_SCHEDULER_ROLE_ARN is not: the schedule needs the role "
		    "that may invoke the target");
		rc = EX_CONFIG;
		goto out;
	}
	d->fallback = config_get(d->cfg, "IR_FALLBACK_SUPPLIER");
	if ((rc = link_setup(d)) != 0)
		goto out;
	d->docs = docs_new();
	if ((v = config_get(d->cfg, "IR_SUPPLIERS")) != NULL) {
		if ((rc = cli_load_doc(d->docs, v, 1)) != 0)
			goto out;
		d->have_suppliers = 1;
	}
	d->now = clock_now();
	v = config_get(d->cfg, "IR_NOTIFY");
	d->channel = v;
	if ((d->store = store_open(config_get(d->cfg, "IR_STORE"), err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if (!d->dry_run && (d->notify = notify_open(v, err, sizeof(err))) ==
	    NULL) {
		log_error(NULL, "%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	cli_stdout_buffering();
	if (due) {
		struct due_ctx dc = { d, 0 };

		int src = store_due(d->store, d->now, due_one, &dc);

		if (src != STORE_OK && dc.rc == 0) {
			log_error(NULL, "cannot read deferred drafts: %s",
			    store_error(d->store));
			rc = cli_store_status(src);
		} else
			rc = dc.rc;
	} else if (optind == argc)
		rc = run_file(d, "-");
	for (i = optind; !due && rc == 0 && i < argc; i++)
		rc = run_file(d, argv[i]);
out:
	notify_close(d->notify);
	store_close(d->store);
	docs_free(d->docs);
	buf_free(&d->out);
	buf_free(&d->tmp);
	buf_free(&d->msg_eml);
	buf_free(&d->msg_json);
	buf_free(&d->text);
	free(d->link_base);
	rc = cli_exit(cli_worst(rc, d->status));
	config_free(d->cfg);
	free(d);
	return rc;
}
