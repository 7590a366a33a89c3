/*
 * store: the dispatcher. It picks a backend by the URI scheme, checks the
 * arguments every backend would have to check (so they agree), and passes
 * each call on. See store.h for the contract and store_backend.h for what
 * a backend fills.
 *
 * URIs: "sqlite:PATH", or a bare PATH (no "scheme:" prefix), opens the
 * SQLite backend. A scheme is what RFC 3986 calls one: a letter, then
 * letters, digits, '+', '-' or '.', then ':'. So "var/ir.db" and
 * "./a:b.db" are paths, while "dynamodb:" or "a:b.db" name a backend; write
 * "sqlite:a:b.db" for a file whose name looks like a scheme.
 *
 * Ownership, beyond store.h: a struct store_order filled by
 * store_get_order, store_create_pending or store_transition carries
 * record as a malloc'd copy (or NULL) that the caller frees, whatever the
 * result. The structs passed to the store_list_* callbacks, and the
 * strings passed to the store_due callback, are the store's: they are
 * valid during the call only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uri.h"
#include "errmsg.h"
#include "store.h"
#include "store_backend.h"

struct store {
	const struct store_ops *ops;
	void	*be;		/* the backend's connection */
	int	 errset;	/* the last failure was the dispatcher's */
	char	 err[256];
};

/*
 * The backends this build knows, by scheme. A new backend is one file
 * that defines its store_ops, and one line here.
 */
static const struct store_ops *const backends[] = {
	&store_sqlite_ops,
	&store_dynamodb_ops,
};
#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

/* The default backend for a bare path. */
static const struct store_ops *const default_backend = &store_sqlite_ops;

static const char *const status_names[] = {
	[ORDER_NONE] = "",
	[ORDER_PENDING] = "pending",
	[ORDER_SENDING] = "sending",
	[ORDER_ON_ORDER] = "on-order",
	[ORDER_RECEIVED] = "received",
	[ORDER_SKIPPED] = "skipped",
};
#define NSTATUS	((int)(sizeof(status_names) / sizeof(status_names[0])))

/*
 * The edges of the order state machine (rules.md, "Order states"). A
 * transition along any other edge is a bug in the caller, refused before
 * it reaches a backend, so no backend can store an impossible history.
 */
static const struct {
	int	 from, to;
} edges[] = {
	{ ORDER_PENDING, ORDER_SENDING },	/* approve, edit */
	{ ORDER_PENDING, ORDER_SKIPPED },	/* skip */
	{ ORDER_SENDING, ORDER_ON_ORDER },	/* the PO was sent */
	{ ORDER_SENDING, ORDER_PENDING },	/* the send failed */
	{ ORDER_ON_ORDER, ORDER_RECEIVED },	/* receive */
};

/* Records a failure found by the dispatcher; returns STORE_ERR. */
static int
fail(struct store *s, const char *msg)
{
	snprintf(s->err, sizeof(s->err), "%s", msg);
	s->errset = 1;
	return STORE_ERR;
}

/*
 * Opens the backend named by uri. On failure returns NULL with a message
 * for people in err: the backend's, or which schemes this build knows.
 */
struct store *
store_open(const char *uri, char *err, size_t errsz)
{
	const struct store_ops *ops = NULL;
	const char *rest;
	struct store *s;
	char known[128];
	size_t n, i, len;
	void *be;

	errmsg_set(err, errsz, "%s", "");
	if (uri == NULL || *uri == '\0') {
		errmsg_set(err, errsz, "no store given");
		return NULL;
	}
	if ((n = uri_scheme_len(uri)) == 0) {
		ops = default_backend;
		rest = uri;
	} else {
		for (i = 0; i < NBACKENDS; i++)
			if (strlen(backends[i]->scheme) == n &&
			    strncasecmp(backends[i]->scheme, uri, n) == 0)
				ops = backends[i];
		rest = uri + n + 1;
	}
	if (ops == NULL) {
		known[0] = '\0';
		for (i = 0; i < NBACKENDS; i++) {
			len = strlen(known);
			snprintf(known + len, sizeof(known) - len, "%s%s",
			    i ? ", " : "", backends[i]->scheme);
		}
		errmsg_set(err, errsz, "unknown store backend \"%.*s\" (known: %s)",
		    (int)n, uri, known);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		errmsg_set(err, errsz, "out of memory");
		return NULL;
	}
	if ((be = ops->open(rest, err, errsz)) == NULL) {
		free(s);
		return NULL;
	}
	s->ops = ops;
	s->be = be;
	return s;
}

/* Closes the backend and frees s. NULL is a no-op. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->be);
	free(s);
}

/* The last failure of any call on s, for people. */
const char *
store_error(const struct store *s)
{
	if (s == NULL)
		return "no store";
	if (s->errset)
		return s->err;
	return s->ops->error(s->be);
}

/* Clears the dispatcher's failure before each call. */
static void
begin(struct store *s)
{
	s->errset = 0;
	s->err[0] = '\0';
}

/* Fills states[i] for ids[i] from the backend's batch read. */
int
store_item_states(struct store *s, const char *const *ids, size_t n,
    struct store_item_state *states)
{
	begin(s);
	if (n == 0)
		return STORE_OK;
	if (ids == NULL || states == NULL)
		return fail(s, "store_item_states: no ids or no states");
	return s->ops->item_states(s->be, ids, n, states);
}

/* Records the moves of n items in one transaction. */
int
store_note_moves(struct store *s, const struct store_move_note *m, size_t n)
{
	size_t i;

	begin(s);
	if (n == 0)
		return STORE_OK;
	if (m == NULL)
		return fail(s, "store_note_moves: no moves");
	for (i = 0; i < n; i++)
		if (m[i].item_id == NULL || m[i].item_id[0] == '\0')
			return fail(s, "store_note_moves: a move has no "
			    "item_id");
	return s->ops->note_moves(s->be, m, n);
}

/* Creates o as pending, conditional on the item having no open order. */
int
store_create_pending(struct store *s, const struct store_order *o,
    const char *by_user, struct store_order *cur)
{
	begin(s);
	if (cur != NULL)
		memset(cur, 0, sizeof(*cur));
	if (o == NULL || cur == NULL)
		return fail(s, "store_create_pending: no order");
	if (o->order_id[0] == '\0')
		return fail(s, "store_create_pending: the order has no "
		    "order_id");
	if (o->item_id[0] == '\0')
		return fail(s, "store_create_pending: the order has no "
		    "item_id");
	return s->ops->create_pending(s->be, o, by_user, cur);
}

/* Reads one order; o->record is the caller's to free. */
int
store_get_order(struct store *s, const char *order_id, struct store_order *o)
{
	begin(s);
	if (o != NULL)
		memset(o, 0, sizeof(*o));
	if (order_id == NULL || o == NULL)
		return fail(s, "store_get_order: no order_id");
	return s->ops->get_order(s->be, order_id, o);
}

/*
 * Moves an order along one edge of the state machine, conditional on the
 * state it starts from. An edge rules.md does not draw is refused with
 * STORE_ERR before the backend sees it.
 */
int
store_transition(struct store *s, const struct store_transition *t,
    struct store_order *cur)
{
	size_t i;

	begin(s);
	if (cur != NULL)
		memset(cur, 0, sizeof(*cur));
	if (t == NULL || cur == NULL || t->order_id == NULL ||
	    t->order_id[0] == '\0')
		return fail(s, "store_transition: no order_id");
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (edges[i].from == t->from && edges[i].to == t->to)
			break;
	if (i == sizeof(edges) / sizeof(edges[0])) {
		snprintf(s->err, sizeof(s->err), "store_transition: "
		    "\"%s\" -> \"%s\" is not a move of the order states",
		    store_status_name(t->from), store_status_name(t->to));
		s->errset = 1;
		return STORE_ERR;
	}
	return s->ops->transition(s->be, t, cur);
}

/* The latest audit row of order_id with one of the actions. */
int
store_last_audit(struct store *s, const char *order_id, const char *actions,
    struct store_audit *a)
{
	begin(s);
	if (a != NULL)
		memset(a, 0, sizeof(*a));
	if (order_id == NULL || a == NULL)
		return fail(s, "store_last_audit: no order_id");
	return s->ops->last_audit(s->be, order_id, actions, a);
}

/* Keeps record (len bytes) for item_id until the time until. */
int
store_defer(struct store *s, const char *item_id, time_t until,
    const char *record, size_t len)
{
	begin(s);
	if (item_id == NULL || item_id[0] == '\0')
		return fail(s, "store_defer: no item_id");
	if (record == NULL)
		len = 0;
	return s->ops->defer(s->be, item_id, until, record, len);
}

/*
 * Calls fn for each deferral due at now, oldest first. The strings are
 * valid during the call; fn may write to the store (undefer, create).
 */
int
store_due(struct store *s, time_t now,
    int (*fn)(void *ctx, const char *item_id, const char *record), void *ctx)
{
	begin(s);
	if (fn == NULL)
		return fail(s, "store_due: no callback");
	return s->ops->due(s->be, now, fn, ctx);
}

/* Forgets the deferral of item_id; STORE_OK also when there was none. */
int
store_undefer(struct store *s, const char *item_id)
{
	begin(s);
	if (item_id == NULL)
		return fail(s, "store_undefer: no item_id");
	return s->ops->undefer(s->be, item_id);
}

/*
 * The listings. fn gets a struct that is the store's, valid during the
 * call; it should not write to the store (a backend may hold a read
 * snapshot while it iterates). fn returning non-zero stops the listing,
 * which still returns STORE_OK.
 */
int
store_list_orders(struct store *s, const char *status, const char *item_id,
    int (*fn)(void *ctx, const struct store_order *), void *ctx)
{
	begin(s);
	if (fn == NULL)
		return fail(s, "store_list_orders: no callback");
	return s->ops->list_orders(s->be, status, item_id, fn, ctx);
}

int
store_list_audit(struct store *s, const char *item_or_order,
    int (*fn)(void *ctx, const struct store_audit *), void *ctx)
{
	begin(s);
	if (fn == NULL)
		return fail(s, "store_list_audit: no callback");
	return s->ops->list_audit(s->be, item_or_order, fn, ctx);
}

int
store_list_items(struct store *s, const char *item_id,
    int (*fn)(void *ctx, const struct store_item_state *), void *ctx)
{
	begin(s);
	if (fn == NULL)
		return fail(s, "store_list_items: no callback");
	return s->ops->list_items(s->be, item_id, fn, ctx);
}

/* Whether id is a usable key: not empty, shorter than STORE_ID_MAX. */
static int
id_ok(const char *id)
{
	return id != NULL && id[0] != '\0' && strlen(id) < STORE_ID_MAX;
}

/* Counts a POS event once: see store.h. */
int
store_pos_event(struct store *s, const char *event_id, const char *item_id,
    long long delta, const char *at, long long *cur_pending)
{
	long long dummy;

	begin(s);
	if (cur_pending == NULL)
		cur_pending = &dummy;
	*cur_pending = 0;
	if (!id_ok(event_id))
		return fail(s, "store_pos_event: no usable event_id");
	if (!id_ok(item_id))
		return fail(s, "store_pos_event: no usable item_id");
	if (delta == 0)
		return fail(s, "store_pos_event: a delta of 0 counts nothing");
	return s->ops->pos_event(s->be, event_id, item_id, delta,
	    at != NULL ? at : "", cur_pending);
}

/* Whether event_id has been counted. */
int
store_pos_seen(struct store *s, const char *event_id)
{
	begin(s);
	if (!id_ok(event_id))
		return fail(s, "store_pos_seen: no usable event_id");
	return s->ops->pos_seen(s->be, event_id);
}

/* Items with a pending delta, by item_id. */
int
store_pos_pending(struct store *s,
    int (*fn)(void *ctx, const char *item_id, long long delta), void *ctx)
{
	begin(s);
	if (fn == NULL)
		return fail(s, "store_pos_pending: no callback");
	return s->ops->pos_pending(s->be, fn, ctx);
}

/* Subtracts what flush_id wrote, once. */
int
store_pos_settle(struct store *s, const char *item_id, long long delta,
    const char *flush_id, const char *at)
{
	begin(s);
	if (!id_ok(item_id))
		return fail(s, "store_pos_settle: no usable item_id");
	if (!id_ok(flush_id))
		return fail(s, "store_pos_settle: no usable flush_id");
	if (delta == 0)
		return fail(s, "store_pos_settle: a delta of 0 settles "
		    "nothing");
	return s->ops->pos_settle(s->be, item_id, delta, flush_id,
	    at != NULL ? at : "");
}

/* The flush intent; cur->record is the caller's to free. */
int
store_flush_get(struct store *s, struct store_flush *cur)
{
	begin(s);
	if (cur == NULL)
		return fail(s, "store_flush_get: nowhere to put it");
	memset(cur, 0, sizeof(*cur));
	return s->ops->flush_get(s->be, cur);
}

/* Compare and swap of the flush intent. */
int
store_flush_swap(struct store *s, const char *expect_id,
    const char *expect_owner, const struct store_flush *next)
{
	begin(s);
	if (expect_id == NULL && next == NULL)
		return fail(s, "store_flush_swap: nothing to compare or set");
	if (expect_id != NULL && (!id_ok(expect_id) || expect_owner == NULL))
		return fail(s, "store_flush_swap: no usable intent to expect");
	if (next != NULL && (next->flush_id[0] == '\0' ||
	    next->owner[0] == '\0' || next->record == NULL))
		return fail(s, "store_flush_swap: the intent needs a flush_id, "
		    "an owner and a record");
	return s->ops->flush_swap(s->be, expect_id, expect_owner, next);
}

/* The name of a status as stored and shown; "" for ORDER_NONE or junk. */
const char *
store_status_name(int status)
{
	if (status < 0 || status >= NSTATUS)
		return "";
	return status_names[status];
}

/* The status named name, or -1. "" is not a status. */
int
store_status_parse(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = ORDER_PENDING; i < NSTATUS; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

/* Whether status is open: the item may not get another order. */
int
store_status_open(int status)
{
	return status == ORDER_PENDING || status == ORDER_SENDING ||
	    status == ORDER_ON_ORDER;
}

/* Round trips the backend made since it opened (for tests). */
unsigned long
store_round_trips(const struct store *s)
{
	if (s == NULL)
		return 0;
	return s->ops->round_trips(s->be);
}
