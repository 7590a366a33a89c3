/*
 * ir-pos: point-of-sale events in, each counted once, accumulated per
 * item in the store for ir-flush to write to the stock sheet.
 *
 * Reads NDJSON from the files named (or stdin):
 *   - with --http, Function URL request events (one per POS webhook
 *     delivery): each is verified, validated, applied, and answered with
 *     exactly one HTTP response record on stdout, in order;
 *   - "sale" records {event_id, item_id, delta, at} (trusted local input:
 *     scripts, replays): applied directly; without --http each event
 *     counted is written back as a "sale" record.
 * Other records pass through unchanged (without --http; with it stdout
 * carries only responses, and they are reported and dropped).
 *
 * A request, step by step; nothing is written before the last step:
 *   1. method POST (405), the signature (401 {"error": "bad signature"},
 *      one log line without the body): X-IR-Signature (t=..,v1=.., 300 s),
 *      Square's x-square-hmacsha256-signature over IR_PUBLIC_URL + path
 *      (+ "?" query), or Shopify's X-Shopify-Hmac-Sha256; keys from
 *      IR_POS_HMAC_KEY, two comma-separated during a rotation;
 *   2. content type JSON and a JSON body (400), mapped to events (400);
 *   3. every SKU in the current stock sheet (IR_STOCK, read once per
 *      process): one unknown is 422 for the whole request;
 *   4. each event counted once by its id (store_pos_event); a received-
 *      stock event first closes the item's on-order order as received.
 * Side effects: the store only. Exit: 0, 65 a record rejected (not a
 * request: a refused request is answered, and counts as handled), 69/75
 * the store or the sheet unavailable (the request got a 503).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "csvin.h"
#include "docsrc.h"
#include "httpev.h"
#include "log.h"
#include "ndjson.h"
#include "sig.h"
#include "store.h"

#define MAX_EVENTS	1000		/* events in one request */
#define MAX_SKUS	1000000		/* ids kept from the stock sheet */
#define MAX_SKU_BYTES	(64 * 1024 * 1024)
#define EVENT_ID_MAX	200		/* leaves room in STORE_ID_MAX */

/* The stock sheet's item ids: open addressing, never deletes. */
struct skuset {
	char	**slot;
	size_t	 cap, n, bytes;
};

struct event {
	char		 event_id[STORE_ID_MAX];
	char		 item_id[STORE_ID_MAX];
	long long	 delta;
	char		 at[40];	/* RFC 3339: when it happened */
};

/* A request's answer before it is written. */
struct answer {
	int		 status;
	json_t		*body;		/* owned */
	char		 why[256];	/* for the log, never the body */
};

struct pos {
	struct config	*cfg;
	struct store	*store;
	int		 http, dry_run;
	const char	*keys, *public_url, *stock_uri;
	struct skuset	 skus;
	int		 skus_loaded;
	char		 at[CLOCK_TIME_LEN];
	struct rec	 rec;
	struct buf	 out;
	struct event	*ev;		/* a request's events */
	size_t		 nev;
	unsigned long	 applied, dups;
	int		 status;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-pos [--dry-run] [--http] [--config FILE] "
	    "[--now TIME] [--stock URI]\n"
	    "              [--store URI] [file ...]\n");
}

/* FNV-1a. */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static int
skuset_has(const struct skuset *set, const char *id)
{
	size_t i;

	if (set->cap == 0)
		return 0;
	for (i = hash(id) & (set->cap - 1); set->slot[i] != NULL;
	    i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], id) == 0)
			return 1;
	return 0;
}

/* Adds id (copied); 0, or -1 out of memory. */
static int
skuset_add(struct skuset *set, const char *id)
{
	char **slot, *copy;
	size_t cap, i, j;

	if (skuset_has(set, id))
		return 0;
	if ((set->n + 1) * 4 > set->cap * 3) {
		cap = set->cap ? set->cap * 2 : 1024;
		if ((slot = calloc(cap, sizeof(*slot))) == NULL)
			return -1;
		for (i = 0; i < set->cap; i++) {
			if (set->slot[i] == NULL)
				continue;
			for (j = hash(set->slot[i]) & (cap - 1);
			    slot[j] != NULL; j = (j + 1) & (cap - 1))
				;
			slot[j] = set->slot[i];
		}
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
	}
	if ((copy = strdup(id)) == NULL)
		return -1;
	for (i = hash(id) & (set->cap - 1); set->slot[i] != NULL;
	    i = (i + 1) & (set->cap - 1))
		;
	set->slot[i] = copy;
	set->n++;
	set->bytes += strlen(id) + 1 + sizeof(char *);
	return 0;
}

static void
skuset_free(struct skuset *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/*
 * Reads the item ids of the stock sheet once per process: only the ids
 * are kept, up to MAX_SKUS. 0, or an exit status after logging why (66,
 * 69, 75 as docsrc says; 65 a sheet without an item_id column; 78 not
 * configured).
 */
static int
load_skus(struct pos *p)
{
	struct docsrc_info info;
	struct csvin_row row;
	struct csvin *c;
	char err[512], norm[64];
	size_t i;
	int st = 0, col = -1, sku = -1, got;
	FILE *fp;

	if (p->skus_loaded)
		return 0;
	if (p->stock_uri == NULL) {
		log_error(NULL, "IR_STOCK is not set: the SKUs cannot be "
		    "checked against the stock sheet");
		return EX_CONFIG;
	}
	if ((fp = docsrc_open_always(p->stock_uri, &info, &st, err,
	    sizeof(err))) == NULL) {
		log_error(p->stock_uri, "%s", err);
		return st != 0 ? st : EX_UNAVAILABLE;
	}
	if ((c = csvin_open(fp, 0, 0)) == NULL) {
		fclose(fp);
		return EX_OSERR;
	}
	while ((got = csvin_next(c, &row)) != CSVIN_EOF) {
		if (got == CSVIN_IOERR) {
			log_error(p->stock_uri, "%s", csvin_error(c));
			st = EX_IOERR;
			break;
		}
		if (got == CSVIN_BAD)
			continue;	/* ir-sync reports it */
		if (col < 0) {
			for (i = 0; i < row.n; i++) {
				csvin_normalize(row.field[i], norm,
				    sizeof(norm));
				if (strcmp(norm, "item_id") == 0 && col < 0)
					col = (int)i;
				else if (strcmp(norm, "sku") == 0 && sku < 0)
					sku = (int)i;
			}
			if (col < 0)
				col = sku;
			if (col < 0) {
				log_error(p->stock_uri, "the sheet has no "
				    "item_id (or sku) column");
				st = EX_DATAERR;
				break;
			}
			continue;
		}
		if ((size_t)col >= row.n || row.field[col][0] == '\0')
			continue;
		if (p->skus.n >= MAX_SKUS || p->skus.bytes > MAX_SKU_BYTES) {
			log_error(p->stock_uri, "more than %d items: only the "
			    "first are known", MAX_SKUS);
			break;
		}
		if (skuset_add(&p->skus, row.field[col]) == -1) {
			st = EX_OSERR;
			break;
		}
	}
	csvin_close(c);
	fclose(fp);
	if (st != 0) {
		skuset_free(&p->skus);
		return st;
	}
	p->skus_loaded = 1;
	return 0;
}

/* Opens the store on first use. 0 or the exit status, logged. */
static int
need_store(struct pos *p)
{
	char err[512];

	if (p->store != NULL)
		return 0;
	if ((p->store = store_open(config_get(p->cfg, "IR_STORE"), err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/*
 * Closes the item's on-order order as received, by "pos", for a received-
 * stock event. An order that moved meanwhile is left as it is.
 */
static int
close_received(struct pos *p, const struct event *e)
{
	struct store_item_state st;
	struct store_transition t;
	struct store_order cur;
	const char *ids[1] = { e->item_id };
	char note[STORE_ID_MAX + 64];
	int rc;

	if ((rc = store_item_states(p->store, ids, 1, &st)) != STORE_OK)
		return rc;
	if (st.status != ORDER_ON_ORDER)
		return STORE_OK;
	snprintf(note, sizeof(note), "received-stock event %s: %+lld",
	    e->event_id, e->delta);
	memset(&t, 0, sizeof(t));
	t.order_id = st.order_id;
	t.from = ORDER_ON_ORDER;
	t.to = ORDER_RECEIVED;
	t.action = "received";
	t.by_user = "pos";
	t.at = p->at;
	t.qty = -1;
	t.note = note;
	memset(&cur, 0, sizeof(cur));
	rc = store_transition(p->store, &t, &cur);
	free(cur.record);
	if (rc == STORE_OK)
		log_info(e->item_id, "order %s received (event %s)",
		    st.order_id, e->event_id);
	return rc == STORE_CONFLICT || rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/*
 * Counts one event: STORE_OK counted now, STORE_CONFLICT counted before,
 * or a store failure. Received stock closes the open order first, so a
 * crash between the two leaves the count to the POS's retry, never an
 * order closed by an old event.
 */
static int
apply(struct pos *p, const struct event *e)
{
	long long pending;
	int rc;

	if (p->dry_run) {
		rc = store_pos_seen(p->store, e->event_id);
		return rc == STORE_OK ? STORE_CONFLICT :
		    rc == STORE_NOTFOUND ? STORE_OK : rc;
	}
	if (e->delta > 0) {
		if ((rc = store_pos_seen(p->store, e->event_id)) == STORE_OK)
			return STORE_CONFLICT;
		if (rc != STORE_NOTFOUND)
			return rc;
		if ((rc = close_received(p, e)) != STORE_OK)
			return rc;
	}
	return store_pos_event(p->store, e->event_id, e->item_id, e->delta,
	    e->at[0] ? e->at : p->at, &pending);
}

/* Writes the sale record of a counted event (without --http). */
static void
write_sale(struct pos *p, const struct event *e)
{
	buf_reset(&p->out);
	recw_begin(&p->out, "sale");
	recw_str(&p->out, "event_id", e->event_id);
	recw_str(&p->out, "item_id", e->item_id);
	recw_int(&p->out, "delta", e->delta);
	recw_str(&p->out, "at", e->at[0] ? e->at : p->at);
	if (p->dry_run)
		recw_raw(&p->out, "dry_run", "true", 4);
	recw_end(&p->out);
	fwrite(p->out.p, 1, p->out.len, stdout);
}

/* Sets an answer: status and {"error": msg}. */
static void
refuse(struct answer *a, int status, const char *msg)
{
	a->status = status;
	json_decref(a->body);
	a->body = json_pack("{s:s}", "error", msg);
	snprintf(a->why, sizeof(a->why), "%s", msg);
}

/* Adds an event for this request; -1 with the answer set. */
static int
add_event(struct pos *p, struct answer *a, const char *id, const char *sku,
    long long delta)
{
	struct event *e;

	if (p->nev == MAX_EVENTS) {
		refuse(a, 400, "too many events in one request");
		return -1;
	}
	if (id == NULL || id[0] == '\0' || strlen(id) > EVENT_ID_MAX) {
		refuse(a, 400, "an event has no usable event_id");
		return -1;
	}
	if (sku == NULL || sku[0] == '\0' || strlen(sku) >= STORE_ID_MAX) {
		refuse(a, 400, "an event has no usable sku");
		return -1;
	}
	e = &p->ev[p->nev++];
	snprintf(e->event_id, sizeof(e->event_id), "%s", id);
	snprintf(e->item_id, sizeof(e->item_id), "%s", sku);
	e->delta = delta;
	return 0;
}

/* A whole number of units, 1 to 1e9: a JSON integer or digits. */
static int
quantity(const json_t *v, long long *q)
{
	const char *s;
	char *end;

	if (json_is_integer(v))
		*q = json_integer_value(v);
	else if ((s = json_string_value(v)) != NULL && *s >= '0' &&
	    *s <= '9') {
		*q = strtoll(s, &end, 10);
		if (*end != '\0')
			return -1;
	} else
		return -1;
	return *q >= 1 && *q <= 1000000000 ? 0 : -1;
}

/* The generic body: one event object or an array of them. */
static int
map_generic(struct pos *p, struct answer *a, json_t *body)
{
	json_t *one, *sku;
	const char *kind;
	size_t i, n;
	long long q;
	char msg[128];

	n = json_is_array(body) ? json_array_size(body) : 1;
	if (!json_is_array(body) && !json_is_object(body)) {
		refuse(a, 400, "the body must be an event object or an array "
		    "of them");
		return -1;
	}
	for (i = 0; i < n; i++) {
		one = json_is_array(body) ? json_array_get(body, i) : body;
		if (!json_is_object(one)) {
			refuse(a, 400, "the body must be an event object or "
			    "an array of them");
			return -1;
		}
		if ((sku = json_object_get(one, "sku")) == NULL)
			sku = json_object_get(one, "item_id");
		if (quantity(json_object_get(one, "qty"), &q) == -1) {
			snprintf(msg, sizeof(msg), "event %zu: qty must be a "
			    "whole number of at least 1", i + 1);
			refuse(a, 400, msg);
			return -1;
		}
		kind = json_string_value(json_object_get(one, "kind"));
		if (json_object_get(one, "kind") != NULL && (kind == NULL ||
		    (strcmp(kind, "sale") != 0 &&
		    strcmp(kind, "received") != 0))) {
			snprintf(msg, sizeof(msg), "event %zu: kind must be "
			    "sale or received", i + 1);
			refuse(a, 400, msg);
			return -1;
		}
		if (add_event(p, a, json_string_value(json_object_get(one,
		    "event_id")), json_string_value(sku), kind != NULL &&
		    strcmp(kind, "received") == 0 ? q : -q) == -1)
			return -1;
	}
	return 0;
}

/*
 * Shopify orders/create: one sale per line item with a SKU, its event id
 * the webhook id (the same on every retry) and the line item id. Line
 * items without a SKU (tips, gift cards) are not stock: skipped. Other
 * topics are acknowledged and ignored.
 */
static int
map_shopify(struct pos *p, struct answer *a, const struct httpev *ev,
    json_t *body)
{
	const char *topic = httpev_header(ev, "x-shopify-topic");
	const char *hook = httpev_header(ev, "x-shopify-webhook-id");
	json_t *items, *li, *lid;
	const char *sku;
	char id[STORE_ID_MAX];
	size_t i;
	long long q;

	if (topic == NULL || strcmp(topic, "orders/create") != 0) {
		a->status = 200;
		a->body = json_pack("{s:i,s:i,s:s}", "applied", 0,
		    "duplicates", 0, "ignored", topic ? topic : "(no topic)");
		return 1;
	}
	if (hook == NULL || *hook == '\0' || strlen(hook) > 100) {
		refuse(a, 400, "no X-Shopify-Webhook-Id");
		return -1;
	}
	if (!json_is_object(body) || !json_is_array(items =
	    json_object_get(body, "line_items"))) {
		refuse(a, 400, "an order without line_items");
		return -1;
	}
	json_array_foreach(items, i, li) {
		sku = json_string_value(json_object_get(li, "sku"));
		if (sku == NULL || *sku == '\0')
			continue;
		if (quantity(json_object_get(li, "quantity"), &q) == -1) {
			refuse(a, 400, "a line item's quantity is not a whole "
			    "number of at least 1");
			return -1;
		}
		lid = json_object_get(li, "id");
		if (json_is_integer(lid))
			snprintf(id, sizeof(id), "shopify:%s:%lld", hook,
			    (long long)json_integer_value(lid));
		else if (json_is_string(lid))
			snprintf(id, sizeof(id), "shopify:%s:%.60s", hook,
			    json_string_value(lid));
		else
			snprintf(id, sizeof(id), "shopify:%s:#%zu", hook, i);
		if (add_event(p, a, id, sku, -q) == -1)
			return -1;
	}
	return 0;
}

/*
 * Square: payment.* and order.* events name an order but carry no line
 * items (protocols.md section 13); they must be fetched from the Orders
 * API, which this release does not do: the answer is 202 with a note and
 * a warning is logged. An event whose data.object.order does carry
 * line_items with a sku (as some middleware sends them) is counted: one
 * sale per line item, its event id the order id and the line item's uid,
 * so payment and order events of one order count once. Other types (such
 * as webhooks.test_notification) are acknowledged and ignored.
 */
static int
map_square(struct pos *p, struct answer *a, const char *where, json_t *body)
{
	const char *type, *sku, *oid, *status, *uid;
	json_t *obj, *order, *items, *li;
	char id[STORE_ID_MAX], note[300];
	size_t i;
	long long q;

	type = json_string_value(json_object_get(body, "type"));
	if (!json_is_object(body) || type == NULL) {
		refuse(a, 400, "not a Square event");
		return -1;
	}
	obj = json_object_get(json_object_get(body, "data"), "object");
	if (strncmp(type, "payment.", 8) != 0 && strncmp(type, "order.",
	    6) != 0) {
		a->status = 200;
		a->body = json_pack("{s:i,s:i,s:s}", "applied", 0,
		    "duplicates", 0, "ignored", type);
		return 1;
	}
	status = json_string_value(json_object_get(json_object_get(obj,
	    "payment"), "status"));
	if (strncmp(type, "payment.", 8) == 0 && (status == NULL ||
	    strcmp(status, "COMPLETED") != 0)) {
		a->status = 200;
		a->body = json_pack("{s:i,s:i,s:s}", "applied", 0,
		    "duplicates", 0, "ignored", "payment not completed");
		return 1;
	}
	order = json_object_get(obj, "order");
	items = json_object_get(order, "line_items");
	oid = json_string_value(json_object_get(order, "id"));
	if (json_array_size(items) == 0 || oid == NULL) {
		if ((oid = json_string_value(json_object_get(json_object_get(
		    obj, "payment"), "order_id"))) == NULL)
			oid = json_string_value(json_object_get(
			    json_object_get(obj, json_object_get(obj,
			    "order_updated") ? "order_updated" :
			    "order_created"), "order_id"));
		snprintf(note, sizeof(note), "Square %s for order %.80s has no "
		    "line items: they must be fetched from the Square Orders "
		    "API, which ir-pos does not do; nothing counted", type,
		    oid ? oid : "(none)");
		log_warn(where, "%s", note);
		a->status = 202;
		a->body = json_pack("{s:i,s:i,s:s}", "applied", 0,
		    "duplicates", 0, "note", note);
		return 1;
	}
	json_array_foreach(items, i, li) {
		sku = json_string_value(json_object_get(li, "sku"));
		if (sku == NULL || *sku == '\0') {
			refuse(a, 422, "a Square line item has no sku (the "
			    "catalog lookup is not done here)");
			return -1;
		}
		if (quantity(json_object_get(li, "quantity"), &q) == -1) {
			refuse(a, 400, "a line item's quantity is not a whole "
			    "number of at least 1");
			return -1;
		}
		uid = json_string_value(json_object_get(li, "uid"));
		if (uid != NULL)
			snprintf(id, sizeof(id), "square:%.80s:%.80s", oid,
			    uid);
		else
			snprintf(id, sizeof(id), "square:%.80s:#%zu", oid, i);
		if (add_event(p, a, id, sku, -q) == -1)
			return -1;
	}
	return 0;
}

/*
 * Checks the request's signature by the scheme its headers name. 0, or
 * -1 with why (for the log). Square signs the notification URL as
 * registered: IR_PUBLIC_URL (without a trailing '/') + the path, + '?'
 * and the query when there is one.
 */
static int
verify(struct pos *p, const struct httpev *ev, int *scheme, char *why,
    size_t whysz)
{
	const char *s;
	struct buf url = { 0 };
	size_t n;
	int rc;

	if ((s = httpev_header(ev, "x-square-hmacsha256-signature")) != NULL) {
		*scheme = 's';
		if (p->public_url == NULL) {
			snprintf(why, whysz, "IR_PUBLIC_URL is not set: a "
			    "Square signature cannot be checked");
			return -1;
		}
		n = strlen(p->public_url);
		while (n > 0 && p->public_url[n - 1] == '/')
			n--;
		buf_add(&url, p->public_url, n);
		buf_adds(&url, ev->path);
		if (ev->query[0] != '\0') {
			buf_addc(&url, '?');
			buf_adds(&url, ev->query);
		}
		rc = url.p == NULL ? -1 : sig_square(p->keys, url.p, s,
		    ev->body, ev->body_len, why, whysz);
		buf_free(&url);
		return rc;
	}
	if ((s = httpev_header(ev, "x-shopify-hmac-sha256")) != NULL) {
		*scheme = 'y';
		return sig_shopify(p->keys, s, ev->body, ev->body_len, why,
		    whysz);
	}
	*scheme = 'g';
	return sig_generic(p->keys, httpev_header(ev, "x-ir-signature"),
	    ev->body, ev->body_len, clock_now(), why, whysz);
}

/* Whether the request says its body is JSON. */
static int
is_json(const struct httpev *ev)
{
	const char *ct = httpev_header(ev, "content-type");

	return ct != NULL && strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

/*
 * Decides a parsed request: the answer is filled. The store is written
 * only once every check above has passed.
 */
static void
decide(struct pos *p, const char *where, const struct httpev *ev,
    struct answer *a)
{
	json_error_t je;
	json_t *body;
	char why[256], msg[STORE_ID_MAX + 32];
	unsigned long applied = 0, dups = 0;
	size_t i;
	int scheme, rc;

	if (strcmp(ev->method, "POST") != 0) {
		refuse(a, 405, "method not allowed: use POST");
		return;
	}
	if (verify(p, ev, &scheme, why, sizeof(why)) == -1) {
		refuse(a, 401, "bad signature");
		if (strcmp(why, "bad signature") != 0)
			snprintf(a->why, sizeof(a->why), "bad signature (%s)",
			    why);
		return;
	}
	if (!is_json(ev)) {
		refuse(a, 400, "the content type must be application/json");
		return;
	}
	if ((body = json_loadb(ev->body, ev->body_len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL) {
		snprintf(msg, sizeof(msg), "invalid JSON at line %d, column %d",
		    je.line, je.column);
		refuse(a, 400, msg);
		return;
	}
	p->nev = 0;
	rc = scheme == 's' ? map_square(p, a, where, body) : scheme == 'y' ?
	    map_shopify(p, a, ev, body) : map_generic(p, a, body);
	json_decref(body);
	if (rc != 0)
		return;
	if ((rc = load_skus(p)) != 0) {
		refuse(a, 503, "the stock sheet cannot be read; try again "
		    "later");
		p->status = cli_worst(p->status, rc);
		return;
	}
	for (i = 0; i < p->nev; i++)
		if (!skuset_has(&p->skus, p->ev[i].item_id)) {
			snprintf(msg, sizeof(msg), "unknown sku %.64s",
			    p->ev[i].item_id);
			refuse(a, 422, msg);
			return;
		}
	if (p->nev > 0 && (rc = need_store(p)) != 0) {
		refuse(a, 503, "the store is unavailable; try again later");
		p->status = cli_worst(p->status, rc);
		return;
	}
	for (i = 0; i < p->nev; i++) {
		rc = apply(p, &p->ev[i]);
		if (rc == STORE_OK)
			applied++;
		else if (rc == STORE_CONFLICT)
			dups++;
		else {
			log_error(where, "event %s: %s", p->ev[i].event_id,
			    store_error(p->store));
			refuse(a, 503, "the store is unavailable; try again "
			    "later");
			p->status = cli_worst(p->status, cli_store_status(rc));
			return;
		}
	}
	p->applied += applied;
	p->dups += dups;
	a->status = 200;
	a->body = json_pack("{s:I,s:I}", "applied", (json_int_t)applied,
	    "duplicates", (json_int_t)dups);
	if (a->body != NULL && applied == 0 && dups > 0)
		json_object_set_new(a->body, "duplicate", json_true());
	if (a->body != NULL && p->dry_run)
		json_object_set_new(a->body, "dry_run", json_true());
}

/* Writes one response record for the request (or the line) at where. */
static int
respond(struct pos *p, const char *where, const struct httpev *ev,
    struct answer *a)
{
	static const char *const allow[] = { "Allow: POST", NULL };
	char *text;
	int rc;

	if (a->status >= 400)
		log_warn(where, "%s %s%s%s: %d %s", ev ? ev->method : "?",
		    ev ? ev->path : "(request)", ev && ev->source_ip[0] ?
		    " from " : "", ev ? ev->source_ip : "", a->status, a->why);
	text = a->body != NULL ? json_dumps(a->body, JSON_COMPACT) : NULL;
	buf_reset(&p->out);
	rc = httpev_respond(&p->out, a->status, "application/json",
	    text ? text : "{}", text ? strlen(text) : 2,
	    a->status == 405 ? allow : NULL);
	free(text);
	json_decref(a->body);
	a->body = NULL;
	if (rc == -1)
		return EX_OSERR;
	fwrite(p->out.p, 1, p->out.len, stdout);
	fflush(stdout);
	return 0;
}

/* One request event line: parsed, decided, answered. */
static int
take_request(struct pos *p, const char *where, const char *line, size_t len)
{
	struct httpev ev;
	struct answer a;
	char err[256];
	int rc;

	memset(&a, 0, sizeof(a));
	if (httpev_parse(line, len, &ev, err, sizeof(err)) == -1) {
		refuse(&a, strstr(err, "larger than") != NULL ||
		    strstr(err, "too large") != NULL ? 413 : 400, err);
		return respond(p, where, NULL, &a);
	}
	decide(p, where, &ev, &a);
	rc = respond(p, where, &ev, &a);
	httpev_free(&ev);
	return rc;
}

/* A "sale" record: trusted, applied directly. */
static int
take_sale(struct pos *p, const char *where)
{
	struct event e;
	time_t t;
	int rc;

	memset(&e, 0, sizeof(e));
	if (rec_str(&p->rec, "event_id", e.event_id, EVENT_ID_MAX + 1) <= 0) {
		log_error(where, "sale has no usable event_id");
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (rec_str(&p->rec, "item_id", e.item_id, sizeof(e.item_id)) <= 0) {
		log_error(where, "sale %s has no usable item_id", e.event_id);
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (rec_int(&p->rec, "delta", &e.delta) != 0 || e.delta == 0 ||
	    e.delta < -1000000000 || e.delta > 1000000000) {
		log_error(where, "sale %s: delta must be a whole number other "
		    "than 0", e.event_id);
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (rec_str(&p->rec, "at", e.at, sizeof(e.at)) > 0 &&
	    clock_parse(e.at, &t) == -1) {
		log_error(where, "sale %s: at is not a time (RFC 3339)",
		    e.event_id);
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (p->stock_uri != NULL) {
		if ((rc = load_skus(p)) != 0)
			return rc;
		if (!skuset_has(&p->skus, e.item_id)) {
			log_error(where, "sale %s: unknown sku %s (not in %s)",
			    e.event_id, e.item_id, p->stock_uri);
			p->status = cli_worst(p->status, EX_DATAERR);
			return 0;
		}
	}
	if ((rc = need_store(p)) != 0)
		return rc;
	rc = apply(p, &e);
	if (rc == STORE_CONFLICT) {
		log_info(where, "event %s was counted before: skipped",
		    e.event_id);
		p->dups++;
		return 0;
	}
	if (rc != STORE_OK) {
		log_error(where, "event %s: %s", e.event_id,
		    store_error(p->store));
		return cli_store_status(rc);
	}
	p->applied++;
	if (!p->http)
		write_sale(p, &e);
	return 0;
}

/* One line of input. */
static int
take(struct pos *p, const char *where, const char *line, size_t len)
{
	if (httpev_is_request(line, len)) {
		if (p->http)
			return take_request(p, where, line, len);
		log_error(where, "an HTTP request event: run ir-pos --http to "
		    "answer it");
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (rec_parse(&p->rec, line, len) == -1) {
		log_error(where, "%s", p->rec.err);
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (rec_get(&p->rec, "type") == NULL) {
		log_error(where, "record has no \"type\"");
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	if (rec_is(&p->rec, "sale"))
		return take_sale(p, where);
	if (p->http) {
		log_error(where, "not a request or a sale record (dropped: "
		    "with --http the output is responses only)");
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	fwrite(line, 1, len, stdout);
	putchar('\n');
	return 0;
}

static int
take_record(void *ctx, const char *source, unsigned long lineno,
    const char *line, size_t len)
{
	char where[300];

	return take(ctx, cli_where(where, sizeof(where), source, lineno),
	    line, len);
}

/* With --http, an event over the limit still gets its answer. */
static int
too_long(void *ctx, const char *where)
{
	struct pos *p = ctx;
	struct answer a;

	if (!p->http) {
		log_error(where, "record longer than %d bytes (skipped)",
		    HTTPEV_MAX_EVENT);
		p->status = cli_worst(p->status, EX_DATAERR);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	refuse(&a, 413, "request too large");
	return respond(p, where, NULL, &a);
}

static int
run_file(struct pos *p, const char *path)
{
	struct cli_records cr = { HTTPEV_MAX_EVENT, take_record, too_long, p,
	    &p->status };

	return cli_each_record(path, &cr);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "http",	no_argument,		NULL, 'H' },
		{ "now",	required_argument,	NULL, 'N' },
		{ "stock",	required_argument,	NULL, 'k' },
		{ "store",	required_argument,	NULL, 's' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct pos *p;
	const char *conf = NULL, *now = NULL, *store_uri = NULL;
	const char *stock = NULL;
	int ch, i, rc = 0;

	log_init(argv[0]);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return EX_OSERR;
	while ((ch = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'H': p->http = 1; break;
		case 'k': stock = optarg; break;
		case 'n': p->dry_run = 1; break;
		case 'N': now = optarg; break;
		case 's': store_uri = optarg; break;
		case 'h': usage(stdout); free(p); return 0;
		case 'V': cli_version(); free(p); return 0;
		default: usage(stderr); free(p); return EX_USAGE;
		}
	}
	if ((p->cfg = cli_config(conf, now)) == NULL) {
		free(p);
		return cli_last_status;
	}
	if (store_uri != NULL)
		config_set(p->cfg, "IR_STORE", store_uri);
	if (stock != NULL)
		config_set(p->cfg, "IR_STOCK", stock);
	p->keys = config_get(p->cfg, "IR_POS_HMAC_KEY");
	p->public_url = config_get(p->cfg, "IR_PUBLIC_URL");
	p->stock_uri = config_get(p->cfg, "IR_STOCK");
	if ((p->ev = calloc(MAX_EVENTS, sizeof(*p->ev))) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	clock_rfc3339(clock_now(), p->at);
	cli_stdout_buffering();
	if (optind == argc)
		rc = run_file(p, "-");
	for (i = optind; rc == 0 && i < argc; i++)
		rc = run_file(p, argv[i]);
	if (config_get(p->cfg, "IR_STORE_TRACE") != NULL)
		log_info(NULL, "%lu events counted, %lu duplicates, store "
		    "round trips: %lu", p->applied, p->dups,
		    store_round_trips(p->store));
out:
	store_close(p->store);
	skuset_free(&p->skus);
	free(p->ev);
	buf_free(&p->out);
	rc = cli_exit(cli_worst(rc, p->status));
	config_free(p->cfg);
	free(p);
	return rc;
}
