/*
 * store_dynamodb: the store in DynamoDB ("dynamodb:" or
 * "dynamodb:?prefix=shop1-"), the AWS deployment's backend. See store.h
 * for the contract; this file adds how DynamoDB keeps it. Every request
 * goes through aws_json() (SigV4, endpoint, retries of throttling and
 * 5xx); settings come from the process config.
 *
 * Tables (PREFIX + name; scripts/create-tables makes them, on-demand):
 *
 *   ir-orders   PK item_id, SK order_id. Three kinds of row:
 *               - an order: SK is its order_id (never starting with '#');
 *               - the item's head, SK "#head": open_order_id, open_status,
 *                 open_expected (the open order, if any), skip_until, ver
 *                 (a counter bumped by every write to the item's orders)
 *                 and j, the journal of the last write (below);
 *               - an order-id pointer, PK order_id, SK "#item": item, the
 *                 item the order belongs to.
 *   ir-state    PK item_id: last_move, last_checked (ir-check's notes).
 *               skip_until lives on the head, not here: it is written in
 *               the same conditional write as the skip itself.
 *   ir-audit    PK item_id, SK ts: one row per write. ts is the time in
 *               UTC, RFC 3339, then '#' and the item's ver: unique, and in
 *               the order written while the clock goes forward (seq has
 *               the ver, at the time as given).
 *   ir-deferred PK item_id: until (Unix seconds), record (the draft).
 *
 * Why this shape. DynamoDB makes one item's conditional write atomic, and
 * dynalite, the emulator the tests run against (design.md section 8),
 * implements no TransactWriteItems. So the item's head is the one place
 * every decision about the item's orders is taken, by one conditional
 * UpdateItem on the version read before it:
 *
 *   create_pending  the head has no open order and the order row does
 *                   not exist (read with the head): SET the open order,
 *                   ver + 1 and the journal;
 *   transition      the head's open order is this one, in t->from: SET
 *                   or REMOVE the open order, skip_until, ver + 1 and the
 *                   journal.
 *
 * The condition is "ver is what I read", so of two writers racing on an
 * item exactly one wins; the other reads again and sees why it lost
 * (STORE_CONFLICT, with the order as it is now). The journal j holds what
 * the write means for the other rows: the order's new image and its audit
 * row. Once the head is written the change has happened; the writer then
 * applies the journal (Put the order if its ver is older, Put the audit
 * row, REMOVE j if it is still this one). Whoever reads the head next
 * applies a journal left by a writer that died in between, before it
 * decides anything, so the audit row and the order row always follow the
 * head, exactly once: that is the guarantee SQLite's transaction gives.
 * Readers of an order take its image from the journal when it is newer.
 *
 * Lookups by order_id alone (get_order, transition, last_audit) read the
 * pointer row, written first and conditionally by create_pending: so an
 * order id is unique across items, and the lookup is a strongly
 * consistent GetItem. A global secondary index on order_id was the other
 * choice; GSI reads are only eventually consistent, so an approval right
 * after the draft could miss the order. A pointer left by a create that
 * was then refused points at the item it was written for and stays
 * harmless: that item may use the id later, no other item may.
 *
 * POS events (store_pos_event). The item's pending delta is a counter on
 * its head (pending_delta), changed only by UpdateItem ADD, so no write
 * of the head loses another's. Each event id has a marker row, PK the
 * event id, SK "#event": item, delta, at, applied. The head has pos_ver,
 * bumped by every ADD of a sale, and pos_inflight, the string set of the
 * events whose ADD is done but whose marker does not say so yet. An event
 * is counted exactly when its id is in its head's pos_inflight or its
 * marker says applied; it is written in four requests:
 *
 *   1. PutItem the marker (applied false), if absent. Present: the event
 *      was seen; unless it says applied, it is finished below (with the
 *      item and delta it first came with) for a writer that stopped.
 *   2. GetItem the head (pos_ver v, pos_inflight), then GetItem the
 *      marker. In the set, or applied: counted already, STORE_CONFLICT.
 *   3. UpdateItem the head: ADD pending_delta delta, pos_inflight {id},
 *      pos_ver 1, on the condition pos_ver = v. Lost to another sale of
 *      the item: back to 2.
 *   4. The marker SET applied; then DELETE id from pos_inflight.
 *
 * Why it counts once. The ADD in 3 is the one decision, and it happens
 * only if the head did not change since the head was read in 2: if
 * another writer's ADD of the same event came first, pos_ver moved and
 * 3 fails; if it came before that read, the event was in pos_inflight at
 * the read, or it had already left the set, which is done only after the
 * marker says applied, and the marker is read after the head. A crash
 * after 1 leaves the event uncounted (the POS, which got no answer,
 * retries: step 1 finds the marker and the retry counts it); after 3 or
 * between the two steps of 4, counted, and any retry says duplicate and
 * finishes 4. Only a writer that dies after 3 and is never retried leaves
 * its id in the head's set, where it costs a few bytes. Two deliveries of
 * one event id with different items: the first one's item and delta win.
 * The marker rows are the events' record (no audit row per sale).
 *
 * Flushes (store_pos_settle): a settle is a write of the head like a
 * transition: conditional on ver, ADD pending_delta -delta, SET
 * last_flush and the journal with the audit row "flushed", then the
 * journal applied. last_flush makes it idempotent: ir-flush settles one
 * flush at a time (the intent), so the last flush is the only one that
 * can come again. Sales do not bump ver, so they never make a settle
 * retry. The flush intent is one row, ("#flush", "#intent"): flush_id,
 * owner, record; store_flush_swap is one PutItem or DeleteItem with a
 * condition on flush_id and owner (or on its absence).
 *
 * Round trips (store_round_trips counts HTTP requests, one per
 * aws_json call): item_states is one BatchGetItem of heads per 100
 * items; note_moves one BatchWriteItem per 25 items (DynamoDB's limit;
 * whole-row Puts, which is why the notes have ir-state to themselves);
 * create_pending and transition about six requests each; the listings
 * and store_due are Scans or Queries, page by page, sorted in memory (the
 * volume of a small shop: a Scan with a FilterExpression is fine here).
 * store_open makes one DescribeTable, so a store that is down or has no
 * tables fails at the start, with nothing sent.
 *
 * Errors: a condition that fails is a result, not an error. Throttling
 * and 5xx are retried by aws.c; what is still transient (and a service
 * that cannot be reached) is STORE_UNAVAILABLE; the rest is STORE_ERR
 * with the service's words. Neither ever holds a key or a secret.
 *
 * Ownership: jansson values from json_pack, json_object and the replies
 * of call() are owned and released once in the function that made them;
 * json_object_get results are borrowed from their parent. call() takes
 * ownership of its request.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aws.h"
#include "clock.h"
#include "store.h"
#include "store_backend.h"

#define HEAD_SK		"#head"
#define PTR_SK		"#item"
#define EVENT_SK	"#event"	/* a POS event's marker, PK the event id */
#define FLUSH_PK	"#flush"	/* the flush intent: (#flush, #intent) */
#define FLUSH_SK	"#intent"
#define POS_ATTEMPTS	64	/* POS writes lost to other sales, in a row */
#define GET_MAX		100	/* keys per BatchGetItem */
#define PUT_MAX		25	/* requests per BatchWriteItem */
#define ATTEMPTS	20	/* writes lost to other writers, in a row */
#define UNPROCESSED	8	/* rounds of UnprocessedKeys/Items */
#define CHECK_FAILED	100	/* call(): the condition did not hold */

enum tab { T_ORDERS, T_STATE, T_AUDIT, T_DEFERRED, T__N };

static const char *const table_names[T__N] = {
	"ir-orders", "ir-state", "ir-audit", "ir-deferred"
};

struct ddb {
	char	 table[T__N][256];
	unsigned long trips;
	char	 err[512];
};

/* Copies src into dst of size sz, truncating; "" for NULL. */
static void
scopy(char *dst, size_t sz, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strnlen(src, sz - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Records a failure that is not the service's; returns STORE_ERR. */
static int
fail(struct ddb *d, const char *what, const char *why)
{
	snprintf(d->err, sizeof(d->err), "%s: %s", what, why);
	return STORE_ERR;
}

static int
nomem(struct ddb *d, const char *what)
{
	return fail(d, what, "out of memory (or text that is not UTF-8)");
}

/*
 * Maps a failed request to a result: CHECK_FAILED for a condition that did
 * not hold (no error recorded), STORE_UNAVAILABLE for what may pass, else
 * STORE_ERR. The message names the table prefix's fix when a table is
 * missing; aws.c keeps keys out of e.
 */
static int
aws_fail(struct ddb *d, const struct aws_error *e, const char *what)
{
	if (strcmp(e->code, "ConditionalCheckFailedException") == 0)
		return CHECK_FAILED;
	if (e->transient || e->status == 0) {
		snprintf(d->err, sizeof(d->err), "%s: dynamodb is unavailable "
		    "(%s); try again later", what, e->message);
		return STORE_UNAVAILABLE;
	}
	if (strcmp(e->code, "ResourceNotFoundException") == 0) {
		snprintf(d->err, sizeof(d->err), "%s: a table of the store is "
		    "missing (%s): create them with scripts/create-tables",
		    what, e->message[0] ? e->message : e->code);
		return STORE_ERR;
	}
	snprintf(d->err, sizeof(d->err), "%s: dynamodb: %s%s%s", what,
	    e->code[0] ? e->code : "error", e->message[0] ? ": " : "",
	    e->message);
	return STORE_ERR;
}

/*
 * One DynamoDB request: op with the body req, which this takes ownership
 * of (NULL, from a failed json_pack, is out of memory). *out, when asked
 * for, is the reply, owned by the caller. STORE_OK, CHECK_FAILED, or a
 * failure recorded in d->err.
 */
static int
call(struct ddb *d, const char *op, json_t *req, json_t **out,
    const char *what)
{
	struct aws_error e;
	char target[64];
	int rc;

	if (out != NULL)
		*out = NULL;
	if (req == NULL)
		return nomem(d, what);
	snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
	d->trips++;
	rc = aws_json(&aws_dynamodb, "1.0", target, req, out, &e);
	json_decref(req);
	if (rc == 0) {
		if (out != NULL && *out == NULL && (*out = json_object()) ==
		    NULL)
			return nomem(d, what);
		return STORE_OK;
	}
	return aws_fail(d, &e, what);
}

/* A pause before asking again for what DynamoDB left unprocessed. */
static void
pause_round(int round)
{
	usleep((useconds_t)(20000 << (round < 6 ? round : 6)));
}

/* Attribute values: owned results, NULL when out of memory or not UTF-8. */
static json_t *
av_s(const char *s)
{
	return json_pack("{s:s}", "S", s != NULL ? s : "");
}

/* A fixed array field, which may lack its NUL when full. */
static json_t *
av_f(const char *f, size_t sz)
{
	return json_pack("{s:s%}", "S", f, strnlen(f, sz));
}

static json_t *
av_n(long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	return json_pack("{s:s}", "N", b);
}

/* A key of ir-orders: owned. */
static json_t *
key2(const char *pk, const char *sk)
{
	return json_pack("{s:{s:s},s:{s:s}}", "item_id", "S", pk, "order_id",
	    "S", sk);
}

/* A key of the other tables: owned. */
static json_t *
key1(const char *pk)
{
	return json_pack("{s:{s:s}}", "item_id", "S", pk);
}

/* Sets item[name] to v (stolen); -1 when v is NULL or out of memory. */
static int
put_av(json_t *item, const char *name, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(item, name, v);
}

/* item[name] as a string (borrowed), or NULL. */
static const char *
get_s(const json_t *item, const char *name)
{
	return json_string_value(json_object_get(json_object_get(item, name),
	    "S"));
}

/* item[name] as a string, "" when absent. */
static const char *
get_sz(const json_t *item, const char *name)
{
	const char *s = get_s(item, name);

	return s != NULL ? s : "";
}

/* item[name] as a number; dflt when absent or not an integer. */
static long long
get_n(const json_t *item, const char *name, long long dflt)
{
	const char *s;
	char *end;
	long long v;

	s = json_string_value(json_object_get(json_object_get(item, name),
	    "N"));
	if (s == NULL)
		return dflt;
	v = strtoll(s, &end, 10);
	return end == s || *end != '\0' ? dflt : v;
}

/* item[name] as a map (borrowed), or NULL. */
static json_t *
get_m(const json_t *item, const char *name)
{
	json_t *m = json_object_get(json_object_get(item, name), "M");

	return json_is_object(m) ? m : NULL;
}

/*
 * The order o as an ir-orders row with status and ver (owned), or NULL.
 * record is kept only when there is one: its absence is NULL.
 */
static json_t *
order_item(const struct store_order *o, int status, long long ver,
    const char *created_at)
{
	json_t *it;
	int bad = 0;

	if ((it = key2(o->item_id, o->order_id)) == NULL)
		return NULL;
	bad |= put_av(it, "status", av_s(store_status_name(status)));
	bad |= put_av(it, "qty", av_n(o->qty));
	bad |= put_av(it, "supplier", av_f(o->supplier, sizeof(o->supplier)));
	bad |= put_av(it, "unit_cost", av_f(o->unit_cost,
	    sizeof(o->unit_cost)));
	bad |= put_av(it, "draft_date", av_f(o->draft_date,
	    sizeof(o->draft_date)));
	bad |= put_av(it, "expected_date", av_f(o->expected_date,
	    sizeof(o->expected_date)));
	bad |= put_av(it, "message_id", av_f(o->message_id,
	    sizeof(o->message_id)));
	bad |= put_av(it, "by_user", av_f(o->by_user, sizeof(o->by_user)));
	bad |= put_av(it, "created_at", av_s(created_at));
	bad |= put_av(it, "updated_at", av_f(o->updated_at,
	    sizeof(o->updated_at)));
	bad |= put_av(it, "ver", av_n(ver));
	if (o->record != NULL)
		bad |= put_av(it, "record", av_s(o->record));
	if (bad) {
		json_decref(it);
		return NULL;
	}
	return it;
}

/*
 * Fills o from an ir-orders row. o->record is a malloc'd copy or NULL;
 * -1 when that copy cannot be made.
 */
static int
order_read(const json_t *it, struct store_order *o)
{
	const char *rec;
	int s;

	memset(o, 0, sizeof(*o));
	scopy(o->order_id, sizeof(o->order_id), get_s(it, "order_id"));
	scopy(o->item_id, sizeof(o->item_id), get_s(it, "item_id"));
	s = store_status_parse(get_sz(it, "status"));
	o->status = s < 0 ? ORDER_NONE : s;
	o->qty = get_n(it, "qty", 0);
	scopy(o->supplier, sizeof(o->supplier), get_s(it, "supplier"));
	scopy(o->unit_cost, sizeof(o->unit_cost), get_s(it, "unit_cost"));
	scopy(o->draft_date, sizeof(o->draft_date), get_s(it, "draft_date"));
	scopy(o->expected_date, sizeof(o->expected_date),
	    get_s(it, "expected_date"));
	scopy(o->message_id, sizeof(o->message_id), get_s(it, "message_id"));
	scopy(o->by_user, sizeof(o->by_user), get_s(it, "by_user"));
	scopy(o->updated_at, sizeof(o->updated_at), get_s(it, "updated_at"));
	if ((rec = get_s(it, "record")) != NULL &&
	    (o->record = strdup(rec)) == NULL)
		return -1;
	return 0;
}

/*
 * The sort key of an audit row: at in UTC ("2024-03-04T08:00:00Z"), or
 * as given when it is not a time, then '#' and the item's version.
 */
static void
audit_key(const char *at, long long seq, char *dst, size_t dstsz)
{
	char utc[40];
	struct tm tm;
	time_t t;

	if (at != NULL && clock_parse(at, &t) == 0 &&
	    gmtime_r(&t, &tm) != NULL &&
	    strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		snprintf(dst, dstsz, "%s#%012lld", utc, seq);
	else
		snprintf(dst, dstsz, "%s#%012lld", at != NULL ? at : "", seq);
}

/* One audit row (owned), or NULL. before/after are statuses. */
static json_t *
audit_item(const char *item_id, const char *order_id, const char *action,
    const char *by_user, int before, int after, const char *note,
    const char *at, long long seq)
{
	char ts[96];

	audit_key(at, seq, ts, sizeof(ts));
	return json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},"
	    "s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:o}",
	    "item_id", "S", item_id,
	    "ts", "S", ts,
	    "at", "S", at != NULL ? at : "",
	    "order_id", "S", order_id,
	    "action", "S", action != NULL ? action : "",
	    "by_user", "S", by_user != NULL ? by_user : "",
	    "before", "S", store_status_name(before),
	    "after", "S", store_status_name(after),
	    "note", "S", note != NULL ? note : "",
	    "seq", av_n(seq));
}

/* Fills a from an ir-audit row. */
static void
audit_read(const json_t *it, struct store_audit *a)
{
	memset(a, 0, sizeof(*a));
	a->id = get_n(it, "seq", 0);
	scopy(a->ts, sizeof(a->ts), get_s(it, "at"));
	scopy(a->item_id, sizeof(a->item_id), get_s(it, "item_id"));
	scopy(a->order_id, sizeof(a->order_id), get_s(it, "order_id"));
	scopy(a->action, sizeof(a->action), get_s(it, "action"));
	scopy(a->by_user, sizeof(a->by_user), get_s(it, "by_user"));
	scopy(a->before, sizeof(a->before), get_s(it, "before"));
	scopy(a->after, sizeof(a->after), get_s(it, "after"));
	scopy(a->note, sizeof(a->note), get_s(it, "note"));
}

/*
 * GetItem with a strongly consistent read. key is taken. *item is the
 * row (owned) or NULL when there is none.
 */
static int
get_item(struct ddb *d, enum tab t, json_t *key, json_t **item,
    const char *what)
{
	json_t *out;
	int r;

	*item = NULL;
	if (key == NULL)
		return nomem(d, what);
	r = call(d, "GetItem", json_pack("{s:s,s:o,s:b}", "TableName",
	    d->table[t], "Key", key, "ConsistentRead", 1), &out, what);
	if (r != STORE_OK)
		return r;
	if ((*item = json_object_get(out, "Item")) != NULL)
		json_incref(*item);
	json_decref(out);
	return STORE_OK;
}

/*
 * BatchGetItem of keys (taken; at most GET_MAX, no two the same) on
 * table t, strongly consistent, asking again for UnprocessedKeys. fn gets
 * each row (borrowed, valid during the call).
 */
static int
batch_get(struct ddb *d, enum tab t, json_t *keys,
    void (*fn)(void *, json_t *), void *ctx, const char *what)
{
	json_t *out, *rows, *row, *left;
	size_t i;
	int r, round = 0;

	if (keys == NULL)
		return nomem(d, what);
	while (json_array_size(keys) > 0) {
		r = call(d, "BatchGetItem", json_pack("{s:{s:{s:O,s:b}}}",
		    "RequestItems", d->table[t], "Keys", keys,
		    "ConsistentRead", 1), &out, what);
		json_decref(keys);
		keys = NULL;
		if (r != STORE_OK)
			return r;
		rows = json_object_get(json_object_get(out, "Responses"),
		    d->table[t]);
		json_array_foreach(rows, i, row)
			fn(ctx, row);
		left = json_object_get(json_object_get(json_object_get(out,
		    "UnprocessedKeys"), d->table[t]), "Keys");
		if (json_array_size(left) > 0) {
			if (++round > UNPROCESSED) {
				json_decref(out);
				snprintf(d->err, sizeof(d->err), "%s: dynamodb "
				    "kept keys unprocessed; try again later",
				    what);
				return STORE_UNAVAILABLE;
			}
			keys = json_incref(left);
			pause_round(round);
		}
		json_decref(out);
		if (keys == NULL)
			break;
	}
	json_decref(keys);
	return STORE_OK;
}

/*
 * Query (pk given) or Scan (pk NULL) of table t, every page, strongly
 * consistent. extra holds more request fields (FilterExpression, ...)
 * and is borrowed. fn gets each row, borrowed; non-zero stops. Returns
 * STORE_OK also when fn stopped.
 */
static int
each_row(struct ddb *d, enum tab t, const char *pk, const json_t *extra,
    int (*fn)(void *, json_t *), void *ctx, const char *what)
{
	json_t *req, *out, *rows, *row, *last = NULL, *names, *vals;
	size_t i;
	int r, stop = 0;

	do {
		req = extra != NULL ? json_deep_copy(extra) : json_object();
		if (req == NULL || json_object_set_new(req, "TableName",
		    json_string(d->table[t])) == -1 ||
		    json_object_set_new(req, "ConsistentRead",
		    json_true()) == -1)
			goto oom;
		if (pk != NULL) {
			if ((names = json_object_get(req,
			    "ExpressionAttributeNames")) == NULL &&
			    json_object_set_new(req,
			    "ExpressionAttributeNames", (names =
			    json_object())) == -1)
				goto oom;
			if ((vals = json_object_get(req,
			    "ExpressionAttributeValues")) == NULL &&
			    json_object_set_new(req,
			    "ExpressionAttributeValues", (vals =
			    json_object())) == -1)
				goto oom;
			if (json_object_set_new(names, "#pk",
			    json_string("item_id")) == -1 ||
			    put_av(vals, ":pk", av_s(pk)) == -1 ||
			    json_object_set_new(req, "KeyConditionExpression",
			    json_string("#pk = :pk")) == -1)
				goto oom;
		}
		if (last != NULL && json_object_set_new(req,
		    "ExclusiveStartKey", last) == -1) {
			last = NULL;
			goto oom;
		}
		last = NULL;
		if ((r = call(d, pk != NULL ? "Query" : "Scan", req, &out,
		    what)) != STORE_OK)
			return r;
		rows = json_object_get(out, "Items");
		json_array_foreach(rows, i, row)
			if ((stop = fn(ctx, row)) != 0)
				break;
		if (!stop && (last = json_object_get(out,
		    "LastEvaluatedKey")) != NULL)
			json_incref(last);
		json_decref(out);
	} while (last != NULL);
	return STORE_OK;
oom:
	json_decref(req);
	json_decref(last);
	return nomem(d, what);
}

/*
 * Applies the journal j of item_id's head (borrowed): the order image,
 * if its row is older; the audit row; then the journal's removal, if it
 * is still this one. Each step may have been done already, by the writer
 * or another reader: a failed condition is success here.
 */
static int
settle(struct ddb *d, const char *item_id, const json_t *j)
{
	static const char what[] = "applying the last write";
	json_t *image, *audit;
	long long v;
	int r;

	v = get_n(j, "v", -1);
	image = get_m(j, "order");
	audit = get_m(j, "audit");
	if (image != NULL) {
		r = call(d, "PutItem", json_pack("{s:s,s:O,s:s,s:{s:s},"
		    "s:{s:o}}", "TableName", d->table[T_ORDERS], "Item",
		    image, "ConditionExpression",
		    "attribute_not_exists(#v) OR #v < :v",
		    "ExpressionAttributeNames", "#v", "ver",
		    "ExpressionAttributeValues", ":v", av_n(v)), NULL, what);
		if (r != STORE_OK && r != CHECK_FAILED)
			return r;
	}
	if (audit != NULL) {
		r = call(d, "PutItem", json_pack("{s:s,s:O}", "TableName",
		    d->table[T_AUDIT], "Item", audit), NULL, what);
		if (r != STORE_OK)
			return r;
	}
	r = call(d, "UpdateItem", json_pack("{s:s,s:o,s:s,s:s,s:{s:s,s:s},"
	    "s:{s:o}}", "TableName", d->table[T_ORDERS], "Key",
	    key2(item_id, HEAD_SK), "UpdateExpression", "REMOVE #j",
	    "ConditionExpression", "#j.#v = :v",
	    "ExpressionAttributeNames", "#j", "j", "#v", "v",
	    "ExpressionAttributeValues", ":v", av_n(v)), NULL, what);
	return r == CHECK_FAILED ? STORE_OK : r;
}

/* What load() read of one item: rows owned, NULL when absent. */
struct view {
	json_t	*head;		/* the "#head" row */
	json_t	*order;		/* the newest image of the order asked */
	long long ver;		/* head's ver, 0 without a head */
};

static void
view_free(struct view *v)
{
	json_decref(v->head);
	json_decref(v->order);
	memset(v, 0, sizeof(*v));
}

/* batch_get callback for load(): sorts the head from the order. */
static void
view_row(void *ctx, json_t *row)
{
	struct view *v = ctx;
	const char *sk = get_sz(row, "order_id");

	if (strcmp(sk, HEAD_SK) == 0) {
		json_decref(v->head);
		v->head = json_incref(row);
	} else {
		json_decref(v->order);
		v->order = json_incref(row);
	}
}

/*
 * Reads item_id's head and, if order_id is given, that order, in one
 * request. A journal on the head is applied first (and its image taken
 * for the order when it is that order), so what is returned is settled.
 */
static int
load(struct ddb *d, const char *item_id, const char *order_id,
    struct view *v)
{
	json_t *keys, *j, *image;
	int r;

	memset(v, 0, sizeof(*v));
	keys = json_array();
	if (keys == NULL || json_array_append_new(keys,
	    key2(item_id, HEAD_SK)) == -1 || (order_id != NULL &&
	    json_array_append_new(keys, key2(item_id, order_id)) == -1)) {
		json_decref(keys);
		return nomem(d, "reading an item");
	}
	if ((r = batch_get(d, T_ORDERS, keys, view_row, v,
	    "reading an item")) != STORE_OK) {
		view_free(v);
		return r;
	}
	if (v->head == NULL)
		return STORE_OK;
	v->ver = get_n(v->head, "ver", 0);
	if ((j = get_m(v->head, "j")) == NULL)
		return STORE_OK;
	if ((r = settle(d, item_id, j)) != STORE_OK) {
		view_free(v);
		return r;
	}
	image = get_m(j, "order");
	if (order_id != NULL && image != NULL &&
	    strcmp(get_sz(image, "order_id"), order_id) == 0 &&
	    (v->order == NULL || get_n(v->order, "ver", 0) <
	    get_n(image, "ver", 0))) {
		json_decref(v->order);
		v->order = json_incref(image);
	}
	json_object_del(v->head, "j");
	return STORE_OK;
}

/* The item of order_id from its pointer row, into item (STORE_ID_MAX). */
static int
find_item(struct ddb *d, const char *order_id, char *item,
    const char *what)
{
	json_t *row;
	int r;

	item[0] = '\0';
	if (order_id[0] == '\0')
		return STORE_NOTFOUND;
	if ((r = get_item(d, T_ORDERS, key2(order_id, PTR_SK), &row,
	    what)) != STORE_OK)
		return r;
	if (row == NULL)
		return STORE_NOTFOUND;
	scopy(item, STORE_ID_MAX, get_s(row, "item"));
	json_decref(row);
	return item[0] != '\0' ? STORE_OK : STORE_NOTFOUND;
}

/* The order order_id of item_id as it is, into o. */
static int
read_order_at(struct ddb *d, const char *item_id, const char *order_id,
    struct store_order *o)
{
	struct view v;
	int r;

	memset(o, 0, sizeof(*o));
	if ((r = load(d, item_id, order_id, &v)) != STORE_OK)
		return r;
	if (v.order == NULL)
		r = STORE_NOTFOUND;
	else if (order_read(v.order, o) == -1)
		r = nomem(d, "reading an order");
	view_free(&v);
	return r;
}

/*
 * A journal's map (owned) of version v: the order image and its audit
 * row, both taken. NULL when out of memory (or either is NULL).
 */
static json_t *
journal(long long v, json_t *image, json_t *audit)
{
	return json_pack("{s:o,s:{s:o},s:{s:o}}", "v", av_n(v), "order", "M",
	    image, "audit", "M", audit);
}

/* Opens the store: parses "?prefix=P" and checks the service answers. */
static void *
ddb_open(const char *rest, char *err, size_t errsz)
{
	struct ddb *d;
	const char *p, *prefix = "";
	char why[256];
	size_t plen = 0, i;
	json_t *out;
	int t, r;

	if (strncmp(rest, "//", 2) == 0)
		rest += 2;
	if (*rest != '\0' && *rest != '?') {
		snprintf(err, errsz, "dynamodb: \"%s\": write dynamodb: or "
		    "dynamodb:?prefix=NAME-", rest);
		return NULL;
	}
	for (p = rest; *p != '\0'; ) {
		p++;
		if (strncmp(p, "prefix=", 7) != 0) {
			snprintf(err, errsz, "dynamodb: unknown option "
			    "\"%.*s\" (known: prefix)", (int)strcspn(p, "&"),
			    p);
			return NULL;
		}
		prefix = p + 7;
		plen = strcspn(prefix, "&");
		p = prefix + plen;
	}
	for (i = 0; i < plen; i++)
		if (!((prefix[i] >= 'a' && prefix[i] <= 'z') ||
		    (prefix[i] >= 'A' && prefix[i] <= 'Z') ||
		    (prefix[i] >= '0' && prefix[i] <= '9') ||
		    prefix[i] == '-' || prefix[i] == '_' || prefix[i] == '.')) {
			snprintf(err, errsz, "dynamodb: table prefix \"%.*s\": "
			    "use letters, digits, '-', '_' and '.'",
			    (int)plen, prefix);
			return NULL;
		}
	if (plen > 200) {
		snprintf(err, errsz, "dynamodb: the table prefix is longer "
		    "than 200 characters");
		return NULL;
	}
	if (aws_ready(why, sizeof(why)) == -1) {
		snprintf(err, errsz, "dynamodb: %s", why);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errsz, "dynamodb: out of memory");
		return NULL;
	}
	for (t = 0; t < T__N; t++)
		snprintf(d->table[t], sizeof(d->table[t]), "%.*s%s",
		    (int)plen, prefix, table_names[t]);
	r = call(d, "DescribeTable", json_pack("{s:s}", "TableName",
	    d->table[T_ORDERS]), &out, "opening the store");
	if (r == STORE_OK) {
		p = json_string_value(json_object_get(json_object_get(out,
		    "Table"), "TableStatus"));
		if (p != NULL && strcmp(p, "ACTIVE") != 0 &&
		    strcmp(p, "UPDATING") != 0) {
			snprintf(d->err, sizeof(d->err), "opening the store: "
			    "table %s is %s; try again when it is ACTIVE",
			    d->table[T_ORDERS], p);
			r = STORE_UNAVAILABLE;
		}
		json_decref(out);
	}
	if (r != STORE_OK) {
		snprintf(err, errsz, "dynamodb: %s", d->err);
		free(d);
		return NULL;
	}
	return d;
}

/* Frees the handle: requests hold nothing between calls. */
static void
ddb_close(void *p)
{
	free(p);
}

/* The last failure's text, the service's words or ours; never a key. */
static const char *
ddb_error(void *p)
{
	struct ddb *d = p;

	return d->err;
}

/* Where item_states puts what a head row says. */
struct states {
	const char *const *ids;
	struct store_item_state *out;
	size_t	 from, to;		/* the chunk of ids asked */
};

/* batch_get callback: the head row of an item, to every slot asking. */
static void
state_row(void *ctx, json_t *row)
{
	struct states *ss = ctx;
	struct store_item_state *s;
	const char *id = get_sz(row, "item_id"), *open;
	size_t i;
	int st;

	open = get_s(row, "open_order_id");
	for (i = ss->from; i < ss->to; i++) {
		if (ss->ids[i] == NULL || strcmp(ss->ids[i], id) != 0)
			continue;
		s = &ss->out[i];
		if (open != NULL && open[0] != '\0') {
			scopy(s->order_id, sizeof(s->order_id), open);
			st = store_status_parse(get_sz(row, "open_status"));
			s->status = st < 0 ? ORDER_NONE : st;
			scopy(s->expected_date, sizeof(s->expected_date),
			    get_s(row, "open_expected"));
		}
		scopy(s->skip_until, sizeof(s->skip_until),
		    get_s(row, "skip_until"));
	}
}

/*
 * The heads of up to GET_MAX distinct items per BatchGetItem. The head
 * holds the open order and skip_until as its last write left them (the
 * journal only follows), so no order row is read.
 */
static int
ddb_item_states(void *p, const char *const *ids, size_t n,
    struct store_item_state *states)
{
	struct ddb *d = p;
	struct states ss;
	json_t *keys;
	size_t i, j, nkeys;
	int r, dup;

	for (i = 0; i < n; i++) {
		memset(&states[i], 0, sizeof(states[i]));
		scopy(states[i].item_id, sizeof(states[i].item_id), ids[i]);
		states[i].status = ORDER_NONE;
	}
	ss.ids = ids;
	ss.out = states;
	for (i = 0; i < n; i = ss.to) {
		if ((keys = json_array()) == NULL)
			return nomem(d, "reading item states");
		nkeys = 0;
		for (j = i; j < n && nkeys < GET_MAX; j++) {
			if (ids[j] == NULL || ids[j][0] == '\0')
				continue;
			for (dup = 0, ss.from = i; ss.from < j; ss.from++)
				if (ids[ss.from] != NULL &&
				    strcmp(ids[ss.from], ids[j]) == 0)
					dup = 1;
			if (dup)
				continue;
			if (json_array_append_new(keys, key2(ids[j],
			    HEAD_SK)) == -1) {
				json_decref(keys);
				return nomem(d, "reading item states");
			}
			nkeys++;
		}
		/* The chunk is ids[i, j): each row fills every slot asking. */
		ss.from = i;
		ss.to = j;
		if (nkeys == 0) {
			json_decref(keys);
			continue;
		}
		if ((r = batch_get(d, T_ORDERS, keys, state_row, &ss,
		    "reading item states")) != STORE_OK)
			return r;
	}
	return STORE_OK;
}

/*
 * Whole-row Puts of {item_id, last_move, last_checked} on ir-state, up
 * to PUT_MAX per BatchWriteItem (an item twice in one batch is refused by
 * DynamoDB, so a later note of the same item starts the next batch), and
 * UnprocessedItems asked again. Rows hold nothing else, so a Put loses
 * nothing.
 */
static int
ddb_note_moves(void *p, const struct store_move_note *m, size_t n)
{
	static const char what[] = "recording moves";
	struct ddb *d = p;
	json_t *reqs, *item, *out, *left;
	size_t i = 0, j, k, cnt;
	int r, round, dup;

	while (i < n) {
		if ((reqs = json_array()) == NULL)
			return nomem(d, what);
		for (j = i, cnt = 0; j < n && cnt < PUT_MAX; j++, cnt++) {
			for (dup = 0, k = i; k < j; k++)
				if (strcmp(m[k].item_id, m[j].item_id) == 0)
					dup = 1;
			if (dup)
				break;
			item = json_pack("{s:{s:s},s:{s:s},s:{s:s}}",
			    "item_id", "S", m[j].item_id,
			    "last_move", "S", m[j].move ? m[j].move : "",
			    "last_checked", "S",
			    m[j].checked_at ? m[j].checked_at : "");
			if (item == NULL || json_array_append_new(reqs,
			    json_pack("{s:{s:o}}", "PutRequest", "Item",
			    item)) == -1) {
				json_decref(reqs);
				return nomem(d, what);
			}
		}
		i = j;
		for (round = 0; json_array_size(reqs) > 0; ) {
			r = call(d, "BatchWriteItem", json_pack("{s:{s:O}}",
			    "RequestItems", d->table[T_STATE], reqs), &out,
			    what);
			json_decref(reqs);
			reqs = NULL;
			if (r != STORE_OK)
				return r;
			left = json_object_get(json_object_get(out,
			    "UnprocessedItems"), d->table[T_STATE]);
			if (json_array_size(left) > 0) {
				if (++round > UNPROCESSED) {
					json_decref(out);
					snprintf(d->err, sizeof(d->err), "%s: "
					    "dynamodb kept writes "
					    "unprocessed; try again later",
					    what);
					return STORE_UNAVAILABLE;
				}
				reqs = json_incref(left);
				pause_round(round);
			}
			json_decref(out);
			if (reqs == NULL)
				break;
		}
		json_decref(reqs);
	}
	return STORE_OK;
}

/*
 * Claims order_id for item_id with its pointer row: written if absent,
 * or already this item's. CHECK_FAILED when another item has it.
 */
static int
claim_id(struct ddb *d, const char *order_id, const char *item_id)
{
	return call(d, "PutItem", json_pack("{s:s,s:{s:{s:s},s:{s:s},s:{s:s}},"
	    "s:s,s:{s:s,s:s},s:{s:o}}", "TableName", d->table[T_ORDERS],
	    "Item", "item_id", "S", order_id, "order_id", "S", PTR_SK,
	    "item", "S", item_id,
	    "ConditionExpression", "attribute_not_exists(#pk) OR #it = :it",
	    "ExpressionAttributeNames", "#pk", "item_id", "#it", "item",
	    "ExpressionAttributeValues", ":it", av_s(item_id)), NULL,
	    "creating the order");
}

/*
 * The conditional write of a head: expr with the condition on the ver
 * read (no head: none may have appeared). names and vals are taken.
 */
static int
write_head(struct ddb *d, const char *item_id, long long ver,
    const char *expr, json_t *names, json_t *vals, const char *what)
{
	const char *cond;

	if (names == NULL || vals == NULL) {
		json_decref(names);
		json_decref(vals);
		return nomem(d, what);
	}
	json_object_set_new(names, "#ver", json_string("ver"));
	if (ver == 0)
		cond = "attribute_not_exists(#ver)";
	else {
		cond = "#ver = :v0";
		if (put_av(vals, ":v0", av_n(ver)) == -1) {
			json_decref(names);
			json_decref(vals);
			return nomem(d, what);
		}
	}
	return call(d, "UpdateItem", json_pack("{s:s,s:o,s:s,s:s,s:o,s:o}",
	    "TableName", d->table[T_ORDERS], "Key", key2(item_id, HEAD_SK),
	    "UpdateExpression", expr, "ConditionExpression", cond,
	    "ExpressionAttributeNames", names, "ExpressionAttributeValues",
	    vals), NULL, what);
}

/*
 * Claims the order id; then, until a write wins or a check says no:
 * reads the head with the order, refuses if the item has an open order
 * or the order exists, else sets the open order and the journal on the
 * head, conditional on its version. Then applies the journal.
 */
static int
ddb_create_pending(void *p, const struct store_order *o,
    const char *by_user, struct store_order *cur)
{
	static const char what[] = "creating the order";
	struct ddb *d = p;
	struct view v;
	json_t *image, *audit, *names, *vals, *j;
	char item[STORE_ID_MAX];
	const char *open;
	long long ver;
	int r, attempt;

	if (o->order_id[0] == '#')
		return fail(d, what, "an order id may not start with '#'");
	if ((r = claim_id(d, o->order_id, o->item_id)) == CHECK_FAILED) {
		/* The id is another item's: that order, if it got made. */
		if ((r = find_item(d, o->order_id, item, what)) != STORE_OK)
			return r == STORE_NOTFOUND ? STORE_CONFLICT : r;
		r = read_order_at(d, item, o->order_id, cur);
		return r == STORE_NOTFOUND || r == STORE_OK ? STORE_CONFLICT :
		    r;
	}
	if (r != STORE_OK)
		return r;
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		if ((r = load(d, o->item_id, o->order_id, &v)) != STORE_OK)
			return r;
		open = v.head != NULL ? get_s(v.head, "open_order_id") : NULL;
		if (open != NULL && open[0] != '\0') {
			if (v.order != NULL &&
			    strcmp(open, o->order_id) == 0)
				r = order_read(v.order, cur) == -1 ?
				    nomem(d, what) : STORE_CONFLICT;
			else {
				r = read_order_at(d, o->item_id, open, cur);
				if (r == STORE_OK || r == STORE_NOTFOUND)
					r = STORE_CONFLICT;
			}
			view_free(&v);
			return r;
		}
		if (v.order != NULL) {
			r = order_read(v.order, cur) == -1 ? nomem(d, what) :
			    STORE_CONFLICT;
			view_free(&v);
			return r;
		}
		image = order_item(o, ORDER_PENDING, v.ver + 1,
		    o->updated_at);
		audit = audit_item(o->item_id, o->order_id, "drafted",
		    by_user, ORDER_NONE, ORDER_PENDING, NULL, o->updated_at,
		    v.ver + 1);
		j = journal(v.ver + 1, image, audit);
		names = json_pack("{s:s,s:s,s:s,s:s}", "#open",
		    "open_order_id", "#os", "open_status", "#oe",
		    "open_expected", "#j", "j");
		vals = json_pack("{s:o,s:o,s:o,s:o,s:{s:O}}", ":v1",
		    av_n(v.ver + 1), ":x", av_s(o->order_id), ":st",
		    av_s("pending"), ":oe", av_f(o->expected_date,
		    sizeof(o->expected_date)), ":j", "M", j);
		ver = v.ver;
		view_free(&v);
		r = write_head(d, o->item_id, ver, "SET #ver = :v1, "
		    "#open = :x, #os = :st, #oe = :oe, #j = :j", names, vals,
		    what);
		if (r == CHECK_FAILED) {
			json_decref(j);
			continue;
		}
		if (r != STORE_OK) {
			json_decref(j);
			return r;
		}
		/* Made: the journal is applied now, or by the next reader. */
		if (j != NULL)
			settle(d, o->item_id, j);
		json_decref(j);
		*cur = *o;
		cur->status = ORDER_PENDING;
		cur->record = NULL;
		if (o->record != NULL && (cur->record = strdup(o->record)) ==
		    NULL)
			return nomem(d, "the order was created, but copying "
			    "it");
		return STORE_OK;
	}
	snprintf(d->err, sizeof(d->err), "%s: item %s is being changed by "
	    "other programs; try again later", what, o->item_id);
	return STORE_UNAVAILABLE;
}

/* One order by id, through its pointer; the newest image. */
static int
ddb_get_order(void *p, const char *order_id, struct store_order *o)
{
	struct ddb *d = p;
	char item[STORE_ID_MAX];
	int r;

	if ((r = find_item(d, order_id, item, "reading an order")) !=
	    STORE_OK)
		return r;
	return read_order_at(d, item, order_id, o);
}

/*
 * Finds the item, then until a write wins or the check says no: reads
 * head and order, checks that the head's open order is this one in
 * t->from, and writes the head (open order moved or released, snooze,
 * journal) conditional on its version. Then applies the journal.
 */
static int
ddb_transition(void *p, const struct store_transition *t,
    struct store_order *cur)
{
	static const char what[] = "moving the order";
	struct ddb *d = p;
	struct store_order o;
	struct view v;
	json_t *image, *audit, *names, *vals, *j;
	char item[STORE_ID_MAX], expr[256], created[40];
	const char *open, *action, *set, *drop;
	long long ver;
	int r, attempt, to_open;

	if ((r = find_item(d, t->order_id, item, what)) != STORE_OK)
		return r;
	action = t->action != NULL ? t->action : store_status_name(t->to);
	to_open = store_status_open(t->to);
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		if ((r = load(d, item, t->order_id, &v)) != STORE_OK)
			return r;
		if (v.order == NULL) {
			view_free(&v);
			return STORE_NOTFOUND;
		}
		if (order_read(v.order, &o) == -1) {
			view_free(&v);
			return nomem(d, what);
		}
		scopy(created, sizeof(created), get_s(v.order, "created_at"));
		open = v.head != NULL ? get_s(v.head, "open_order_id") : NULL;
		if (open == NULL || strcmp(open, t->order_id) != 0 ||
		    store_status_parse(get_sz(v.head, "open_status")) !=
		    t->from || o.status != t->from) {
			view_free(&v);
			*cur = o;
			return STORE_CONFLICT;
		}
		o.status = t->to;
		if (t->qty >= 0)
			o.qty = t->qty;
		if (t->expected_date != NULL)
			scopy(o.expected_date, sizeof(o.expected_date),
			    t->expected_date);
		if (t->message_id != NULL)
			scopy(o.message_id, sizeof(o.message_id),
			    t->message_id);
		if (t->by_user != NULL)
			scopy(o.by_user, sizeof(o.by_user), t->by_user);
		if (t->at != NULL)
			scopy(o.updated_at, sizeof(o.updated_at), t->at);
		ver = v.ver;
		view_free(&v);
		image = order_item(&o, t->to, ver + 1, created);
		audit = audit_item(item, t->order_id, action, t->by_user,
		    t->from, t->to, t->note, t->at, ver + 1);
		j = journal(ver + 1, image, audit);
		/*
		 * Into an open state the head keeps the order (its status and
		 * expected date); out of one it lets the item go. A skip
		 * snoozes the item in the same write.
		 */
		names = json_pack("{s:s,s:s,s:s}", "#os", "open_status",
		    "#oe", "open_expected", "#j", "j");
		vals = json_pack("{s:o,s:{s:O}}", ":v1", av_n(ver + 1), ":j",
		    "M", j);
		if (to_open) {
			set = "#os = :st, #oe = :oe";
			if (vals != NULL && (put_av(vals, ":st",
			    av_s(store_status_name(t->to))) == -1 ||
			    put_av(vals, ":oe", av_f(o.expected_date,
			    sizeof(o.expected_date))) == -1)) {
				json_decref(vals);
				vals = NULL;
			}
			drop = "";
		} else {
			set = NULL;
			drop = " REMOVE #open, #os, #oe";
			if (names != NULL && json_object_set_new(names,
			    "#open", json_string("open_order_id")) == -1) {
				json_decref(names);
				names = NULL;
			}
		}
		if (t->skip_until != NULL) {
			if (names != NULL && json_object_set_new(names, "#sk",
			    json_string("skip_until")) == -1) {
				json_decref(names);
				names = NULL;
			}
			if (vals != NULL && put_av(vals, ":sk",
			    av_s(t->skip_until)) == -1) {
				json_decref(vals);
				vals = NULL;
			}
		}
		snprintf(expr, sizeof(expr), "SET #ver = :v1, #j = :j%s%s%s%s",
		    set != NULL ? ", " : "", set != NULL ? set : "",
		    t->skip_until != NULL ? ", #sk = :sk" : "", drop);
		r = write_head(d, item, ver, expr, names, vals, what);
		if (r == CHECK_FAILED) {
			json_decref(j);
			free(o.record);
			continue;
		}
		if (r != STORE_OK) {
			json_decref(j);
			free(o.record);
			return r;
		}
		/* Moved: the journal is applied now, or by the next reader. */
		if (j != NULL)
			settle(d, item, j);
		json_decref(j);
		*cur = o;
		return STORE_OK;
	}
	snprintf(d->err, sizeof(d->err), "%s: order %s is being changed by "
	    "other programs; try again later", what, t->order_id);
	return STORE_UNAVAILABLE;
}

/* Whether action is in the comma list (spaces ignored); NULL is any. */
static int
action_in(const char *action, const char *list)
{
	const char *p, *q;
	size_t n = strlen(action), len;

	if (list == NULL)
		return 1;
	for (p = list; *p != '\0'; p = *q ? q + 1 : q) {
		while (*p == ' ')
			p++;
		q = p + strcspn(p, ",");
		len = (size_t)(q - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == n && strncmp(p, action, n) == 0)
			return 1;
	}
	return 0;
}

/* What last_audit looks for, and where it puts it. */
struct last {
	const char *order_id, *actions;
	struct store_audit *a;
	int	 found;
};

static int
last_row(void *ctx, json_t *row)
{
	struct last *l = ctx;

	if (strcmp(get_sz(row, "order_id"), l->order_id) != 0 ||
	    !action_in(get_sz(row, "action"), l->actions))
		return 0;
	audit_read(row, l->a);
	l->found = 1;
	return 1;
}

/*
 * The item's audit, newest first (a Query read backwards), after the
 * item's journal is applied; the first row of the order with one of the
 * actions.
 */
static int
ddb_last_audit(void *p, const char *order_id, const char *actions,
    struct store_audit *a)
{
	static const char what[] = "reading the audit";
	struct ddb *d = p;
	struct last l;
	struct view v;
	json_t *extra;
	char item[STORE_ID_MAX];
	int r;

	if ((r = find_item(d, order_id, item, what)) != STORE_OK)
		return r;
	if ((r = load(d, item, NULL, &v)) != STORE_OK)
		return r;
	view_free(&v);
	if ((extra = json_pack("{s:b}", "ScanIndexForward", 0)) == NULL)
		return nomem(d, what);
	l.order_id = order_id;
	l.actions = actions;
	l.a = a;
	l.found = 0;
	r = each_row(d, T_AUDIT, item, extra, last_row, &l, what);
	json_decref(extra);
	if (r != STORE_OK)
		return r;
	return l.found ? STORE_OK : STORE_NOTFOUND;
}

/* One PutItem: the item's deferral replaces the one before. */
static int
ddb_defer(void *p, const char *item_id, time_t until, const char *record,
    size_t len)
{
	struct ddb *d = p;

	return call(d, "PutItem", json_pack("{s:s,s:{s:{s:s},s:o,s:{s:s%}}}",
	    "TableName", d->table[T_DEFERRED], "Item", "item_id", "S",
	    item_id, "until", av_n((long long)until), "record", "S",
	    record != NULL ? record : "", len), NULL, "deferring a draft");
}

/* A due deferral, copied out so the callback may write to the store. */
struct due {
	long long until;
	char	*item_id;
	char	*record;
};

struct dues {
	struct due *v;
	size_t	 n, cap;
	int	 oom;
};

static int
due_row(void *ctx, json_t *row)
{
	struct dues *ds = ctx;
	struct due *nv;

	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 16;
		if ((nv = realloc(ds->v, ds->cap * sizeof(*nv))) == NULL) {
			ds->oom = 1;
			return 1;
		}
		ds->v = nv;
	}
	nv = &ds->v[ds->n];
	nv->until = get_n(row, "until", 0);
	nv->item_id = strdup(get_sz(row, "item_id"));
	nv->record = strdup(get_sz(row, "record"));
	ds->n++;
	if (nv->item_id == NULL || nv->record == NULL) {
		ds->oom = 1;
		return 1;
	}
	return 0;
}

static int
due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->until != y->until)
		return x->until < y->until ? -1 : 1;
	return strcmp(x->item_id, y->item_id);
}

/*
 * A Scan of ir-deferred filtered on until <= now (one row per item with a
 * deferred draft: a shop's handful), sorted oldest first, then the
 * callbacks, which may write.
 */
static int
ddb_due(void *p, time_t now, int (*fn)(void *, const char *, const char *),
    void *ctx)
{
	static const char what[] = "reading deferrals";
	struct ddb *d = p;
	struct dues ds;
	json_t *extra;
	size_t i;
	int r;

	memset(&ds, 0, sizeof(ds));
	extra = json_pack("{s:s,s:{s:s},s:{s:o}}", "FilterExpression",
	    "#u <= :now", "ExpressionAttributeNames", "#u", "until",
	    "ExpressionAttributeValues", ":now", av_n((long long)now));
	if (extra == NULL)
		return nomem(d, what);
	r = each_row(d, T_DEFERRED, NULL, extra, due_row, &ds, what);
	json_decref(extra);
	if (r == STORE_OK && ds.oom)
		r = nomem(d, what);
	if (r == STORE_OK) {
		if (ds.n > 0)
			qsort(ds.v, ds.n, sizeof(*ds.v), due_cmp);
		for (i = 0; i < ds.n; i++)
			if (fn(ctx, ds.v[i].item_id, ds.v[i].record) != 0)
				break;
	}
	for (i = 0; i < ds.n; i++) {
		free(ds.v[i].item_id);
		free(ds.v[i].record);
	}
	free(ds.v);
	return r;
}

/* Idempotent: DeleteItem of an absent row succeeds. */
static int
ddb_undefer(void *p, const char *item_id)
{
	struct ddb *d = p;

	if (item_id[0] == '\0')
		return STORE_OK;
	return call(d, "DeleteItem", json_pack("{s:s,s:o}", "TableName",
	    d->table[T_DEFERRED], "Key", key1(item_id)), NULL, "undeferring");
}

/* Heads with a journal left by a writer that stopped, seen by a Scan. */
struct heads {
	char	**ids;
	size_t	 n, cap;
	int	 oom;
};

static int
head_row(void *ctx, json_t *row)
{
	struct heads *h = ctx;
	char **nv;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		if ((nv = realloc(h->ids, h->cap * sizeof(*nv))) == NULL) {
			h->oom = 1;
			return 1;
		}
		h->ids = nv;
	}
	if ((h->ids[h->n] = strdup(get_sz(row, "item_id"))) == NULL) {
		h->oom = 1;
		return 1;
	}
	h->n++;
	return 0;
}

/*
 * Applies every journal still on a head (item_id NULL: all of them, by a
 * Scan for heads that have one), so that a listing of orders or audit
 * rows shows every write that happened.
 */
static int
settle_all(struct ddb *d, const char *item_id)
{
	static const char what[] = "applying the last writes";
	struct heads h;
	struct view v;
	json_t *extra;
	size_t i;
	int r;

	if (item_id != NULL) {
		if (item_id[0] == '\0')
			return STORE_OK;
		if ((r = load(d, item_id, NULL, &v)) == STORE_OK)
			view_free(&v);
		return r;
	}
	memset(&h, 0, sizeof(h));
	extra = json_pack("{s:s,s:{s:s,s:s},s:{s:{s:s}}}", "FilterExpression",
	    "#sk = :h AND attribute_exists(#j)", "ExpressionAttributeNames",
	    "#sk", "order_id", "#j", "j", "ExpressionAttributeValues", ":h",
	    "S", HEAD_SK);
	if (extra == NULL)
		return nomem(d, what);
	r = each_row(d, T_ORDERS, NULL, extra, head_row, &h, what);
	json_decref(extra);
	if (r == STORE_OK && h.oom)
		r = nomem(d, what);
	for (i = 0; r == STORE_OK && i < h.n; i++)
		if ((r = load(d, h.ids[i], NULL, &v)) == STORE_OK)
			view_free(&v);
	for (i = 0; i < h.n; i++)
		free(h.ids[i]);
	free(h.ids);
	return r;
}

/* The orders a listing collects before it sorts them. */
struct olist {
	struct store_order *v;
	size_t	 n, cap;
	const char *status;
	int	 oom;
};

static int
order_row(void *ctx, json_t *row)
{
	struct olist *ol = ctx;
	struct store_order *nv;

	if (get_sz(row, "order_id")[0] == '#' || (ol->status != NULL &&
	    strcmp(get_sz(row, "status"), ol->status) != 0))
		return 0;
	if (ol->n == ol->cap) {
		ol->cap = ol->cap ? ol->cap * 2 : 16;
		if ((nv = realloc(ol->v, ol->cap * sizeof(*nv))) == NULL) {
			ol->oom = 1;
			return 1;
		}
		ol->v = nv;
	}
	if (order_read(row, &ol->v[ol->n]) == -1) {
		ol->oom = 1;
		return 1;
	}
	ol->n++;
	return 0;
}

/* Newest draft first, then by order id (as SQLite's ORDER BY). */
static int
order_cmp(const void *a, const void *b)
{
	const struct store_order *x = a, *y = b;
	int c;

	if ((c = strcmp(y->draft_date, x->draft_date)) != 0)
		return c;
	return strcmp(x->order_id, y->order_id);
}

/*
 * Orders, newest draft first: the item's partition (Query) or the whole
 * table (Scan), without the head and pointer rows, after the journals
 * are applied. Collected and sorted in memory.
 */
static int
ddb_list_orders(void *p, const char *status, const char *item_id,
    int (*fn)(void *, const struct store_order *), void *ctx)
{
	static const char what[] = "listing orders";
	struct ddb *d = p;
	struct olist ol;
	size_t i;
	int r;

	if ((r = settle_all(d, item_id)) != STORE_OK)
		return r;
	if (item_id != NULL && item_id[0] == '\0')
		return STORE_OK;
	memset(&ol, 0, sizeof(ol));
	ol.status = status;
	r = each_row(d, T_ORDERS, item_id, NULL, order_row, &ol, what);
	if (r == STORE_OK && ol.oom)
		r = nomem(d, what);
	if (r == STORE_OK) {
		if (ol.n > 0)
			qsort(ol.v, ol.n, sizeof(*ol.v), order_cmp);
		for (i = 0; i < ol.n; i++)
			if (fn(ctx, &ol.v[i]) != 0)
				break;
	}
	for (i = 0; i < ol.n; i++)
		free(ol.v[i].record);
	free(ol.v);
	return r;
}

/* Audit rows a listing collects, with their sort keys. */
struct arow {
	char	 ts[96];
	struct store_audit a;
};

struct alist {
	struct arow *v;
	size_t	 n, cap;
	const char *order_id;		/* only this order's rows, or all */
	const char *skip_item;		/* rows of this item were taken */
	int	 oom;
};

static int
audit_row(void *ctx, json_t *row)
{
	struct alist *al = ctx;
	struct arow *nv;

	if (al->order_id != NULL &&
	    strcmp(get_sz(row, "order_id"), al->order_id) != 0)
		return 0;
	if (al->skip_item != NULL &&
	    strcmp(get_sz(row, "item_id"), al->skip_item) == 0)
		return 0;
	if (al->n == al->cap) {
		al->cap = al->cap ? al->cap * 2 : 16;
		if ((nv = realloc(al->v, al->cap * sizeof(*nv))) == NULL) {
			al->oom = 1;
			return 1;
		}
		al->v = nv;
	}
	scopy(al->v[al->n].ts, sizeof(al->v[0].ts), get_s(row, "ts"));
	audit_read(row, &al->v[al->n].a);
	al->n++;
	return 0;
}

/* By time, then by item and the item's write order. */
static int
arow_cmp(const void *a, const void *b)
{
	const struct arow *x = a, *y = b;
	int c;

	if ((c = strcmp(x->ts, y->ts)) != 0)
		return c;
	if ((c = strcmp(x->a.item_id, y->a.item_id)) != 0)
		return c;
	return x->a.id < y->a.id ? -1 : x->a.id > y->a.id;
}

/*
 * Audit rows of an item or of an order (or all), oldest first. An id is
 * matched as an item (its partition) and as an order (through the
 * pointer, the order's rows in its item's partition), like SQLite's
 * "item_id = ? OR order_id = ?".
 */
static int
ddb_list_audit(void *p, const char *key,
    int (*fn)(void *, const struct store_audit *), void *ctx)
{
	static const char what[] = "listing the audit";
	struct ddb *d = p;
	struct alist al;
	char item[STORE_ID_MAX];
	size_t i;
	int r;

	memset(&al, 0, sizeof(al));
	item[0] = '\0';
	if (key != NULL && key[0] == '\0')
		return STORE_OK;
	if (key != NULL && (r = find_item(d, key, item, what)) != STORE_OK &&
	    r != STORE_NOTFOUND)
		return r;
	if ((r = settle_all(d, key)) != STORE_OK)
		return r;
	if (item[0] != '\0' && strcmp(item, key) != 0 &&
	    (r = settle_all(d, item)) != STORE_OK)
		return r;
	r = each_row(d, T_AUDIT, key, NULL, audit_row, &al, what);
	if (r == STORE_OK && item[0] != '\0' && strcmp(item, key) != 0) {
		al.order_id = key;
		r = each_row(d, T_AUDIT, item, NULL, audit_row, &al, what);
	}
	if (r == STORE_OK && al.oom)
		r = nomem(d, what);
	if (r == STORE_OK) {
		if (al.n > 0)
			qsort(al.v, al.n, sizeof(*al.v), arow_cmp);
		for (i = 0; i < al.n; i++)
			if (fn(ctx, &al.v[i].a) != 0)
				break;
	}
	free(al.v);
	return r;
}

/* Item states a listing collects: the moves and the heads, merged. */
struct ilist {
	struct store_item_state *v;
	size_t	 n, cap;
	int	 oom;
};

/* The entry of id, added if missing; NULL when out of memory. */
static struct store_item_state *
ilist_get(struct ilist *il, const char *id)
{
	struct store_item_state *nv;
	size_t i;

	for (i = il->n; i > 0; i--)
		if (strcmp(il->v[i - 1].item_id, id) == 0)
			return &il->v[i - 1];
	if (il->n == il->cap) {
		il->cap = il->cap ? il->cap * 2 : 16;
		if ((nv = realloc(il->v, il->cap * sizeof(*nv))) == NULL)
			return NULL;
		il->v = nv;
	}
	nv = &il->v[il->n++];
	memset(nv, 0, sizeof(*nv));
	scopy(nv->item_id, sizeof(nv->item_id), id);
	nv->status = ORDER_NONE;
	return nv;
}

static int
move_row(void *ctx, json_t *row)
{
	struct ilist *il = ctx;
	struct store_item_state *s;

	if ((s = ilist_get(il, get_sz(row, "item_id"))) == NULL) {
		il->oom = 1;
		return 1;
	}
	scopy(s->last_move, sizeof(s->last_move), get_s(row, "last_move"));
	scopy(s->last_checked, sizeof(s->last_checked),
	    get_s(row, "last_checked"));
	return 0;
}

/* A head with an open order or a snooze makes the item listed. */
static int
ihead_row(void *ctx, json_t *row)
{
	struct ilist *il = ctx;
	struct store_item_state *s;
	const char *open, *skip;
	int st;

	if (strcmp(get_sz(row, "order_id"), HEAD_SK) != 0)
		return 0;
	open = get_s(row, "open_order_id");
	skip = get_s(row, "skip_until");
	if ((open == NULL || open[0] == '\0') && (skip == NULL ||
	    skip[0] == '\0'))
		return 0;
	if ((s = ilist_get(il, get_sz(row, "item_id"))) == NULL) {
		il->oom = 1;
		return 1;
	}
	if (open != NULL && open[0] != '\0') {
		scopy(s->order_id, sizeof(s->order_id), open);
		st = store_status_parse(get_sz(row, "open_status"));
		s->status = st < 0 ? ORDER_NONE : st;
		scopy(s->expected_date, sizeof(s->expected_date),
		    get_s(row, "open_expected"));
	}
	scopy(s->skip_until, sizeof(s->skip_until), skip);
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct store_item_state *x = a, *y = b;

	return strcmp(x->item_id, y->item_id);
}

/*
 * Items with moves noted, an open order or a snooze, by item_id: ir-state
 * and the heads (GetItems for one item, Scans for all), merged.
 */
static int
ddb_list_items(void *p, const char *item_id,
    int (*fn)(void *, const struct store_item_state *), void *ctx)
{
	static const char what[] = "listing items";
	struct ddb *d = p;
	struct ilist il;
	json_t *row, *extra;
	size_t i;
	int r;

	memset(&il, 0, sizeof(il));
	if (item_id != NULL) {
		if (item_id[0] == '\0')
			return STORE_OK;
		if ((r = get_item(d, T_STATE, key1(item_id), &row, what)) !=
		    STORE_OK)
			return r;
		if (row != NULL)
			move_row(&il, row);
		json_decref(row);
		if (!il.oom && (r = get_item(d, T_ORDERS, key2(item_id,
		    HEAD_SK), &row, what)) == STORE_OK) {
			if (row != NULL)
				ihead_row(&il, row);
			json_decref(row);
		}
	} else {
		r = each_row(d, T_STATE, NULL, NULL, move_row, &il, what);
		extra = json_pack("{s:s,s:{s:s},s:{s:{s:s}}}",
		    "FilterExpression", "#sk = :h",
		    "ExpressionAttributeNames", "#sk", "order_id",
		    "ExpressionAttributeValues", ":h", "S", HEAD_SK);
		if (r == STORE_OK && !il.oom && extra == NULL)
			r = nomem(d, what);
		if (r == STORE_OK && !il.oom)
			r = each_row(d, T_ORDERS, NULL, extra, ihead_row, &il,
			    what);
		json_decref(extra);
	}
	if (r == STORE_OK && il.oom)
		r = nomem(d, what);
	if (r == STORE_OK) {
		if (il.n > 0)
			qsort(il.v, il.n, sizeof(*il.v), item_cmp);
		for (i = 0; i < il.n; i++)
			if (fn(ctx, &il.v[i]) != 0)
				break;
	}
	free(il.v);
	return r;
}

/* item[name] as a boolean; 0 when absent. */
static int
get_bool(const json_t *item, const char *name)
{
	return json_is_true(json_object_get(json_object_get(item, name),
	    "BOOL"));
}

/* Whether the string set item[name] holds s. */
static int
set_has(const json_t *item, const char *name, const char *s)
{
	json_t *set, *v;
	size_t i;

	set = json_object_get(json_object_get(item, name), "SS");
	json_array_foreach(set, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/*
 * A pause before another try at a write lost to another writer: 1 ms and
 * up, with a jitter of its own per process (a small LCG seeded by the
 * pid), so that writers that collided do not collide again in step.
 */
static void
pause_retry(int attempt)
{
	static unsigned long seed;

	if (seed == 0)
		seed = (unsigned long)getpid() * 2654435761UL +
		    (unsigned long)time(NULL);
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	usleep((useconds_t)(1000 + ((seed >> 33) % 4000) * (attempt < 8 ?
	    (unsigned long)attempt + 1 : 8)));
}

/* The pending delta on item_id's head into *v, 0 without one. */
static int
head_pending(struct ddb *d, const char *item_id, long long *v)
{
	json_t *head;
	int r;

	*v = 0;
	if ((r = get_item(d, T_ORDERS, key2(item_id, HEAD_SK), &head,
	    "reading the pending delta")) != STORE_OK)
		return r;
	if (head != NULL)
		*v = get_n(head, "pending_delta", 0);
	json_decref(head);
	return STORE_OK;
}

/*
 * The last two steps of a POS event, after the head's ADD: the marker
 * says applied, then the event leaves the head's in-flight set. Both are
 * idempotent; a failure leaves the event in the set, where it still
 * counts as applied (see the header), so it is not reported.
 */
static void
pos_finish(struct ddb *d, const char *event_id, const char *item_id)
{
	static const char what[] = "counting a POS event";

	if (call(d, "UpdateItem", json_pack("{s:s,s:o,s:s,s:{s:s},"
	    "s:{s:{s:b}}}", "TableName", d->table[T_ORDERS], "Key",
	    key2(event_id, EVENT_SK), "UpdateExpression", "SET #a = :t",
	    "ExpressionAttributeNames", "#a", "applied",
	    "ExpressionAttributeValues", ":t", "BOOL", 1), NULL, what) !=
	    STORE_OK)
		return;
	call(d, "UpdateItem", json_pack("{s:s,s:o,s:s,s:{s:s},s:{s:{s:[s]}}}",
	    "TableName", d->table[T_ORDERS], "Key", key2(item_id, HEAD_SK),
	    "UpdateExpression", "DELETE #pj :e",
	    "ExpressionAttributeNames", "#pj", "pos_inflight",
	    "ExpressionAttributeValues", ":e", "SS", event_id), NULL, what);
}

/*
 * A duplicate's answer: STORE_CONFLICT with *cur the pending delta of the
 * caller's item_id (read again when the event was first recorded for
 * another item, whose pending delta *cur holds).
 */
static int
conflict_pending(struct ddb *d, const char *item, const char *item_id,
    long long *cur)
{
	int r;

	if (strcmp(item, item_id) != 0 &&
	    (r = head_pending(d, item_id, cur)) != STORE_OK)
		return r;
	return STORE_CONFLICT;
}

/*
 * Counts a POS event: the marker, then the head's ADD, then the marker
 * flipped to applied and the head's in-flight set cleared (see the
 * header, "POS events", for why each step is where it is).
 */
static int
ddb_pos_event(void *p, const char *event_id, const char *item_id,
    long long delta, const char *at, long long *cur)
{
	static const char what[] = "counting a POS event";
	struct ddb *d = p;
	json_t *head, *marker, *out, *names, *vals;
	char item[STORE_ID_MAX];
	long long pver, mdelta;
	int r, attempt, mine = 1;

	r = call(d, "PutItem", json_pack("{s:s,s:{s:{s:s},s:{s:s},s:{s:s},"
	    "s:o,s:{s:s},s:{s:b}},s:s}", "TableName", d->table[T_ORDERS],
	    "Item", "item_id", "S", event_id, "order_id", "S", EVENT_SK,
	    "item", "S", item_id, "delta", av_n(delta), "at", "S", at,
	    "applied", "BOOL", 0, "ConditionExpression",
	    "attribute_not_exists(item_id)"), NULL, what);
	if (r != STORE_OK && r != CHECK_FAILED)
		return r;
	scopy(item, sizeof(item), item_id);
	mdelta = delta;
	if (r == CHECK_FAILED) {
		/* Seen before: counted, or its writer stopped half way. */
		if ((r = get_item(d, T_ORDERS, key2(event_id, EVENT_SK),
		    &marker, what)) != STORE_OK)
			return r;
		if (marker == NULL)
			return fail(d, what, "the event's marker vanished");
		scopy(item, sizeof(item), get_s(marker, "item"));
		mdelta = get_n(marker, "delta", 0);
		mine = strcmp(item, item_id) == 0 && mdelta == delta;
		json_decref(marker);
	}
	for (attempt = 0; attempt < POS_ATTEMPTS; attempt++) {
		/* The head first, then the marker: see the header. */
		if ((r = get_item(d, T_ORDERS, key2(item, HEAD_SK), &head,
		    what)) != STORE_OK)
			return r;
		pver = head != NULL ? get_n(head, "pos_ver", 0) : 0;
		*cur = head != NULL ? get_n(head, "pending_delta", 0) : 0;
		if (head != NULL && set_has(head, "pos_inflight", event_id)) {
			json_decref(head);
			pos_finish(d, event_id, item);
			return conflict_pending(d, item, item_id, cur);
		}
		json_decref(head);
		if ((r = get_item(d, T_ORDERS, key2(event_id, EVENT_SK),
		    &marker, what)) != STORE_OK)
			return r;
		if (marker == NULL)
			return fail(d, what, "the event's marker vanished");
		if (get_bool(marker, "applied")) {
			json_decref(marker);
			return conflict_pending(d, item, item_id, cur);
		}
		json_decref(marker);
		names = json_pack("{s:s,s:s,s:s}", "#pd", "pending_delta",
		    "#pj", "pos_inflight", "#pv", "pos_ver");
		vals = json_pack("{s:o,s:{s:[s]},s:{s:s}}", ":d", av_n(mdelta),
		    ":e", "SS", event_id, ":one", "N", "1");
		if (names == NULL || vals == NULL || (pver > 0 &&
		    put_av(vals, ":pv", av_n(pver)) == -1)) {
			json_decref(names);
			json_decref(vals);
			return nomem(d, what);
		}
		r = call(d, "UpdateItem", json_pack("{s:s,s:o,s:s,s:s,s:o,s:o,"
		    "s:s}", "TableName", d->table[T_ORDERS], "Key", key2(item,
		    HEAD_SK), "UpdateExpression",
		    "ADD #pd :d, #pj :e, #pv :one", "ConditionExpression",
		    pver > 0 ? "#pv = :pv" : "attribute_not_exists(#pv)",
		    "ExpressionAttributeNames", names,
		    "ExpressionAttributeValues", vals, "ReturnValues",
		    "ALL_NEW"), &out, what);
		if (r == CHECK_FAILED) {
			pause_retry(attempt);
			continue;
		}
		if (r != STORE_OK)
			return r;
		*cur = get_n(json_object_get(out, "Attributes"),
		    "pending_delta", 0);
		json_decref(out);
		pos_finish(d, event_id, item);
		if (!mine)	/* the first delivery's event, finished for it */
			return conflict_pending(d, item, item_id, cur);
		return STORE_OK;
	}
	snprintf(d->err, sizeof(d->err), "%s: item %s is being changed by "
	    "other programs; try again later", what, item);
	return STORE_UNAVAILABLE;
}

/* Counted: the marker says so, or the event is in its head's set. */
static int
ddb_pos_seen(void *p, const char *event_id)
{
	static const char what[] = "looking up a POS event";
	struct ddb *d = p;
	json_t *marker, *head;
	char item[STORE_ID_MAX];
	int r, applied;

	if ((r = get_item(d, T_ORDERS, key2(event_id, EVENT_SK), &marker,
	    what)) != STORE_OK)
		return r;
	if (marker == NULL)
		return STORE_NOTFOUND;
	applied = get_bool(marker, "applied");
	scopy(item, sizeof(item), get_s(marker, "item"));
	json_decref(marker);
	if (applied)
		return STORE_OK;
	if (item[0] == '\0')
		return STORE_NOTFOUND;
	if ((r = get_item(d, T_ORDERS, key2(item, HEAD_SK), &head, what)) !=
	    STORE_OK)
		return r;
	applied = head != NULL && set_has(head, "pos_inflight", event_id);
	json_decref(head);
	return applied ? STORE_OK : STORE_NOTFOUND;
}

/* The pending deltas a Scan collects before they are sorted. */
struct pend {
	char	*item_id;
	long long delta;
};

struct pends {
	struct pend *v;
	size_t	 n, cap;
	int	 oom;
};

static int
pend_row(void *ctx, json_t *row)
{
	struct pends *ps = ctx;
	struct pend *nv;
	long long delta = get_n(row, "pending_delta", 0);

	if (delta == 0)
		return 0;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		if ((nv = realloc(ps->v, ps->cap * sizeof(*nv))) == NULL) {
			ps->oom = 1;
			return 1;
		}
		ps->v = nv;
	}
	if ((ps->v[ps->n].item_id = strdup(get_sz(row, "item_id"))) == NULL) {
		ps->oom = 1;
		return 1;
	}
	ps->v[ps->n++].delta = delta;
	return 0;
}

static int
pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	return strcmp(x->item_id, y->item_id);
}

/*
 * A Scan of the heads with a pending delta (one row per item sold since
 * the last flush), sorted by item_id, then the callbacks.
 */
static int
ddb_pos_pending(void *p, int (*fn)(void *, const char *, long long),
    void *ctx)
{
	static const char what[] = "listing pending deltas";
	struct ddb *d = p;
	struct pends ps;
	json_t *extra;
	size_t i;
	int r;

	memset(&ps, 0, sizeof(ps));
	extra = json_pack("{s:s,s:{s:s,s:s},s:{s:{s:s},s:{s:s}}}",
	    "FilterExpression", "#sk = :h AND #pd <> :z",
	    "ExpressionAttributeNames", "#sk", "order_id", "#pd",
	    "pending_delta", "ExpressionAttributeValues", ":h", "S", HEAD_SK,
	    ":z", "N", "0");
	if (extra == NULL)
		return nomem(d, what);
	r = each_row(d, T_ORDERS, NULL, extra, pend_row, &ps, what);
	json_decref(extra);
	if (r == STORE_OK && ps.oom)
		r = nomem(d, what);
	if (r == STORE_OK) {
		if (ps.n > 0)
			qsort(ps.v, ps.n, sizeof(*ps.v), pend_cmp);
		for (i = 0; i < ps.n; i++)
			if (fn(ctx, ps.v[i].item_id, ps.v[i].delta) != 0)
				break;
	}
	for (i = 0; i < ps.n; i++)
		free(ps.v[i].item_id);
	free(ps.v);
	return r;
}

/*
 * Settles a flushed delta through the head, as transition does: read it
 * (its journal applied), refuse if last_flush is this flush, else one
 * conditional write on its ver: ADD -delta, SET last_flush, ver + 1 and a
 * journal holding the audit row "flushed"; then the journal is applied.
 */
static int
ddb_pos_settle(void *p, const char *item_id, long long delta,
    const char *flush_id, const char *at)
{
	static const char what[] = "settling a flushed delta";
	struct ddb *d = p;
	struct view v;
	json_t *audit, *j, *names, *vals;
	char note[STORE_ID_MAX + 128];
	const char *last;
	long long ver, left;
	int r, attempt;

	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		if ((r = load(d, item_id, NULL, &v)) != STORE_OK)
			return r;
		if (v.head == NULL) {
			view_free(&v);
			return STORE_NOTFOUND;
		}
		last = get_s(v.head, "last_flush");
		if (last != NULL && strcmp(last, flush_id) == 0) {
			view_free(&v);
			return STORE_CONFLICT;
		}
		ver = v.ver;
		left = get_n(v.head, "pending_delta", 0) - delta;
		view_free(&v);
		snprintf(note, sizeof(note), "%+lld written to the stock sheet "
		    "by flush %s; %lld still pending", delta, flush_id, left);
		audit = audit_item(item_id, "", "flushed", "ir-flush",
		    ORDER_NONE, ORDER_NONE, note, at, ver + 1);
		j = json_pack("{s:o,s:{s:o}}", "v", av_n(ver + 1), "audit",
		    "M", audit);
		names = json_pack("{s:s,s:s,s:s}", "#pd", "pending_delta",
		    "#lf", "last_flush", "#j", "j");
		vals = json_pack("{s:o,s:o,s:o,s:{s:O}}", ":v1", av_n(ver + 1),
		    ":neg", av_n(-delta), ":f", av_s(flush_id), ":j", "M", j);
		r = write_head(d, item_id, ver, "SET #ver = :v1, #lf = :f, "
		    "#j = :j ADD #pd :neg", names, vals, what);
		if (r == CHECK_FAILED) {
			json_decref(j);
			continue;
		}
		if (r != STORE_OK) {
			json_decref(j);
			return r;
		}
		if (j != NULL)
			settle(d, item_id, j);
		json_decref(j);
		return STORE_OK;
	}
	snprintf(d->err, sizeof(d->err), "%s: item %s is being changed by "
	    "other programs; try again later", what, item_id);
	return STORE_UNAVAILABLE;
}

/* The intent row, (#flush, #intent), into cur. */
static int
ddb_flush_get(void *p, struct store_flush *cur)
{
	struct ddb *d = p;
	json_t *row;
	int r;

	if ((r = get_item(d, T_ORDERS, key2(FLUSH_PK, FLUSH_SK), &row,
	    "reading the flush intent")) != STORE_OK)
		return r;
	if (row == NULL)
		return STORE_NOTFOUND;
	scopy(cur->flush_id, sizeof(cur->flush_id), get_s(row, "flush_id"));
	scopy(cur->owner, sizeof(cur->owner), get_s(row, "owner"));
	cur->record = strdup(get_sz(row, "record"));
	json_decref(row);
	return cur->record != NULL ? STORE_OK :
	    nomem(d, "reading the flush intent");
}

/*
 * One conditional request: PutItem if absent, PutItem or DeleteItem if it
 * is the one expected.
 */
static int
ddb_flush_swap(void *p, const char *expect_id, const char *expect_owner,
    const struct store_flush *next)
{
	static const char what[] = "writing the flush intent";
	struct ddb *d = p;
	json_t *req, *item = NULL;
	int r;

	if (next != NULL) {
		item = key2(FLUSH_PK, FLUSH_SK);
		if (item == NULL || put_av(item, "flush_id",
		    av_f(next->flush_id, sizeof(next->flush_id))) == -1 ||
		    put_av(item, "owner", av_f(next->owner,
		    sizeof(next->owner))) == -1 || put_av(item, "record",
		    av_s(next->record)) == -1) {
			json_decref(item);
			return nomem(d, what);
		}
	}
	if (expect_id == NULL)
		req = json_pack("{s:s,s:o,s:s}", "TableName",
		    d->table[T_ORDERS], "Item", item, "ConditionExpression",
		    "attribute_not_exists(item_id)");
	else if (next != NULL)
		req = json_pack("{s:s,s:o,s:s,s:{s:s,s:s},s:{s:o,s:o}}",
		    "TableName", d->table[T_ORDERS], "Item", item,
		    "ConditionExpression", "#f = :f AND #o = :o",
		    "ExpressionAttributeNames", "#f", "flush_id", "#o", "owner",
		    "ExpressionAttributeValues", ":f", av_s(expect_id), ":o",
		    av_s(expect_owner));
	else
		req = json_pack("{s:s,s:o,s:s,s:{s:s,s:s},s:{s:o,s:o}}",
		    "TableName", d->table[T_ORDERS], "Key", key2(FLUSH_PK,
		    FLUSH_SK), "ConditionExpression", "#f = :f AND #o = :o",
		    "ExpressionAttributeNames", "#f", "flush_id", "#o", "owner",
		    "ExpressionAttributeValues", ":f", av_s(expect_id), ":o",
		    av_s(expect_owner));
	r = call(d, next != NULL ? "PutItem" : "DeleteItem", req, NULL, what);
	return r == CHECK_FAILED ? STORE_CONFLICT : r;
}

/* HTTP requests made since open. */
static unsigned long
ddb_round_trips(void *p)
{
	const struct ddb *d = p;

	return d->trips;
}

const struct store_ops store_dynamodb_ops = {
	.scheme = "dynamodb",
	.open = ddb_open,
	.close = ddb_close,
	.error = ddb_error,
	.item_states = ddb_item_states,
	.note_moves = ddb_note_moves,
	.create_pending = ddb_create_pending,
	.get_order = ddb_get_order,
	.transition = ddb_transition,
	.last_audit = ddb_last_audit,
	.defer = ddb_defer,
	.due = ddb_due,
	.undefer = ddb_undefer,
	.list_orders = ddb_list_orders,
	.list_audit = ddb_list_audit,
	.list_items = ddb_list_items,
	.pos_event = ddb_pos_event,
	.pos_seen = ddb_pos_seen,
	.pos_pending = ddb_pos_pending,
	.pos_settle = ddb_pos_settle,
	.flush_get = ddb_flush_get,
	.flush_swap = ddb_flush_swap,
	.round_trips = ddb_round_trips,
};
