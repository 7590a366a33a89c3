/*
 * store: the state of orders, items and the audit trail, behind one
 * interface with a backend per URI scheme (sqlite:, dynamodb:).
 * This is what makes the bot safe (design.md section 4, rules.md "Order
 * states"):
 *   - a pending order is created only if the item has no open order
 *     (pending, sending, on-order) and no order has the same order_id;
 *   - every transition is conditional on the state it starts from;
 *   - every write appends an audit row in the same transaction.
 * Reading the state of N items costs a constant number of queries on
 * SQLite and at most one request per 100 items on remote backends.
 *
 * Ownership: the store owns its connection. Structs filled by the store
 * are the caller's; strings in them are fixed arrays (no frees) except
 * store_order.record and store_flush.record, which the caller frees with
 * free().
 */
#ifndef IR_STORE_H
#define IR_STORE_H

#include <stddef.h>
#include <time.h>

enum store_result {
	STORE_OK = 0,
	STORE_CONFLICT = 1,	/* the condition did not hold: see *cur */
	STORE_NOTFOUND = 2,
	STORE_ERR = -1,		/* backend failure: see store_error() */
	STORE_UNAVAILABLE = -2	/* service down / locked: retry later */
};

enum order_status {
	ORDER_NONE = 0, ORDER_PENDING, ORDER_SENDING, ORDER_ON_ORDER,
	ORDER_RECEIVED, ORDER_SKIPPED
};

#define STORE_ID_MAX	256

struct store_order {
	char	 order_id[STORE_ID_MAX];
	char	 item_id[STORE_ID_MAX];
	int	 status;			/* enum order_status */
	long long qty;				/* drafted, then approved */
	char	 supplier[STORE_ID_MAX];
	char	 unit_cost[32];			/* decimal text, "" unknown */
	char	 draft_date[11];		/* YYYY-MM-DD */
	char	 expected_date[11];		/* "" until on-order */
	char	 message_id[STORE_ID_MAX];	/* supplier mail, on-order */
	char	 by_user[128];			/* who approved/skipped */
	char	 updated_at[40];		/* RFC 3339 */
	char	*record;			/* the draft record, or NULL */
};

struct store_item_state {
	char	 item_id[STORE_ID_MAX];
	/* the open order, if any */
	char	 order_id[STORE_ID_MAX];
	int	 status;			/* ORDER_NONE when no open order */
	char	 expected_date[11];
	char	 skip_until[11];		/* "" when not snoozed */
	char	 last_move[32];
	char	 last_checked[40];
};

struct store_move_note {
	const char *item_id;
	const char *move;
	const char *checked_at;			/* RFC 3339 */
};

struct store_transition {
	const char *order_id;
	int	 from, to;			/* enum order_status */
	const char *action;	/* audit action: approved, edited, skipped,
				   sent, send_failed, received, ... */
	const char *by_user;
	const char *at;				/* RFC 3339 */
	long long qty;				/* < 0: keep */
	const char *expected_date;		/* NULL: keep */
	const char *message_id;			/* NULL: keep */
	const char *skip_until;	/* NULL: none; else set on the item */
	const char *note;			/* audit detail or NULL */
};

struct store_audit {
	long long id;
	char	 ts[40];
	char	 item_id[STORE_ID_MAX];
	char	 order_id[STORE_ID_MAX];
	char	 action[32];
	char	 by_user[128];
	char	 before[16];			/* status names, "" none */
	char	 after[16];
	char	 note[512];
};

struct store;

/*
 * Opens the backend named by uri ("sqlite:PATH"; a bare path is taken as
 * SQLite). Creates or migrates the schema. NULL with a message in err.
 */
struct store *store_open(const char *uri, char *err, size_t errsz);
void	store_close(struct store *);
/* The last failure, for people; never holds a secret. */
const char *store_error(const struct store *);

/*
 * Fills states[i] for ids[i], i < n: the open order and skip_until (what
 * ir-check decides on). last_move / last_checked are left empty here;
 * store_list_items shows them.
 */
int	store_item_states(struct store *, const char *const *ids, size_t n,
	    struct store_item_state *states);
/* Records last_move / last_checked for n items, one transaction. */
int	store_note_moves(struct store *, const struct store_move_note *,
	    size_t n);

/*
 * Creates o as pending (o->status is ignored), with an audit row "drafted"
 * by by_user at o->updated_at. STORE_CONFLICT when the item already has an
 * open order or the order_id exists: *cur is that order.
 */
int	store_create_pending(struct store *, const struct store_order *o,
	    const char *by_user, struct store_order *cur);
int	store_get_order(struct store *, const char *order_id,
	    struct store_order *o);
/*
 * Moves t->order_id from t->from to t->to if it is in t->from. STORE_OK
 * (*cur is the order after), STORE_CONFLICT (*cur is the order as it is),
 * STORE_NOTFOUND.
 */
int	store_transition(struct store *, const struct store_transition *t,
	    struct store_order *cur);
/* The latest audit row of order_id with one of the actions (comma list). */
int	store_last_audit(struct store *, const char *order_id,
	    const char *actions, struct store_audit *a);

/* Deferred drafts: one per item, replaced by a later deferral. */
int	store_defer(struct store *, const char *item_id, time_t until,
	    const char *record, size_t len);
/* Calls fn for each deferral due at now, oldest first; stops if fn != 0. */
int	store_due(struct store *, time_t now,
	    int (*fn)(void *ctx, const char *item_id, const char *record),
	    void *ctx);
int	store_undefer(struct store *, const char *item_id);

/* Read-only listings. Filters may be NULL. fn returning non-zero stops. */
int	store_list_orders(struct store *, const char *status,
	    const char *item_id,
	    int (*fn)(void *ctx, const struct store_order *), void *ctx);
int	store_list_audit(struct store *, const char *item_or_order,
	    int (*fn)(void *ctx, const struct store_audit *), void *ctx);
int	store_list_items(struct store *, const char *item_id,
	    int (*fn)(void *ctx, const struct store_item_state *), void *ctx);

const char *store_status_name(int status);	/* "on-order", ... */
int	store_status_parse(const char *name);	/* -1 unknown */
int	store_status_open(int status);		/* pending/sending/on-order */

/*
 * Point-of-sale deltas (ir-pos, ir-flush; design.md "ir-pos", "ir-flush").
 * Each item has a pending delta: POS events not yet written to the stock
 * sheet.
 *
 * store_pos_event records event_id and adds delta (non-zero: negative
 * for a sale, positive for received stock) to item_id's pending delta,
 * atomically: both happen or neither, whatever crashes. STORE_OK: the
 * event was new and is counted. STORE_CONFLICT: event_id was counted
 * before (however often the POS retries), nothing changed. *cur_pending,
 * when not NULL, is the item's pending delta after the call.
 */
int	store_pos_event(struct store *, const char *event_id,
	    const char *item_id, long long delta, const char *at,
	    long long *cur_pending);
/* STORE_OK when event_id has been counted, STORE_NOTFOUND when not. */
int	store_pos_seen(struct store *, const char *event_id);
/*
 * Calls fn for each item with a non-zero pending delta, by item_id. The
 * item_id is the store's, valid during the call; fn should not write to
 * the store (copy out first). fn returning non-zero stops.
 */
int	store_pos_pending(struct store *,
	    int (*fn)(void *ctx, const char *item_id, long long delta),
	    void *ctx);
/*
 * Subtracts exactly delta (what flush flush_id wrote to the sheet) from
 * item_id's pending delta, with an audit row "flushed" at at. Idempotent
 * by flush_id: STORE_CONFLICT when this flush was settled for the item
 * already (nothing changed). Sales counted meanwhile stay pending.
 * STORE_NOTFOUND when the item has no POS state at all.
 */
int	store_pos_settle(struct store *, const char *item_id, long long delta,
	    const char *flush_id, const char *at);

/*
 * The flush intent: at most one per store, what an ir-flush in progress
 * is doing, so that a flush that died can be finished or undone by the
 * next one (ir-flush(1)). record is the flusher's own text (JSON); the
 * store only keeps it. A struct filled by store_flush_get carries record
 * as a malloc'd copy that the caller frees.
 */
struct store_flush {
	char	 flush_id[STORE_ID_MAX];
	char	 owner[STORE_ID_MAX];	/* who holds it: "host pid start" */
	char	*record;
};

/* The intent: STORE_OK (*cur filled), STORE_NOTFOUND when none. */
int	store_flush_get(struct store *, struct store_flush *cur);
/*
 * Compare and swap: when the intent is the one named by expect_id and
 * expect_owner (expect_id NULL: when there is none), replaces it with
 * next (NULL: removes it). STORE_CONFLICT when it is not, with nothing
 * changed.
 */
int	store_flush_swap(struct store *, const char *expect_id,
	    const char *expect_owner, const struct store_flush *next);

/* Test-only counters: round trips made (queries, requests). */
unsigned long store_round_trips(const struct store *);

#endif
