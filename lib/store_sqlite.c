/*
 * store_sqlite: the store in one SQLite file ("sqlite:PATH"), the embedded
 * default. See store.h for the contract; this file adds how SQLite keeps
 * it:
 *
 *   - WAL journal, synchronous=FULL, busy_timeout 5000 ms. A writer that
 *     waits longer gets STORE_UNAVAILABLE (the program exits 75, retry).
 *   - Every write that changes an order is BEGIN IMMEDIATE; check; write;
 *     audit row; COMMIT. IMMEDIATE takes the write lock first, so the check
 *     and the write see the same database; the partial UNIQUE index
 *     orders_one_open makes the file itself refuse a second open order for
 *     an item, whoever writes it.
 *   - The schema is versioned with PRAGMA user_version: migrations[i]
 *     brings version i to i + 1, and a file newer than this release is
 *     refused, never touched.
 *   - Statements are prepared once per connection (on first use) and kept
 *     until store_close. round_trips counts executions: one per statement
 *     run from its first step to its reset.
 *   - item_states reads every open order and every snooze in one query on
 *     its first call, into a hash table by item_id, and answers every later
 *     call from it. This connection's own writes update the table as they
 *     commit; other programs' writes are seen by the next store_open. The
 *     table holds one entry (about 64 bytes) per item with an open order or
 *     a skip_until: it grows with open orders and snoozes, never with the
 *     number of ids asked for. last_move / last_checked are not in it
 *     (store.h: item_states leaves them empty; store_list_items has them).
 *   - One connection per thread, and a forked child opens its own.
 *   - POS events (schema 2): store_pos_event inserts the event row and
 *     adds to state.pending_delta in one IMMEDIATE transaction; the event
 *     id is the primary key of pos_events, so a retry is refused by the
 *     file. A settle subtracts, records last_flush and the audit row in
 *     one transaction too. The flush intent is the one row of
 *     flush_intent, compared and swapped under the write lock.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_backend.h"

#define BUSY_TIMEOUT_MS	5000

/* The SQL list of open statuses; the same text in the index and queries. */
#define OPEN_IN		"('pending', 'sending', 'on-order')"

/* The columns row_order() and row_audit() read, in their order. */
#define ORDER_COLS	"order_id, item_id, status, qty, supplier, "	\
			"unit_cost, draft_date, expected_date, message_id, " \
			"by_user, updated_at, record"
#define AUDIT_COLS	"id, ts, item_id, order_id, action, by_user, "	\
			"\"before\", \"after\", note"

/* Schema 1. Status is stored by name, so the file reads well in sqlite3. */
static const char schema_1[] =
	"CREATE TABLE orders ("
	" order_id TEXT PRIMARY KEY,"
	" item_id TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN"
	"  ('pending', 'sending', 'on-order', 'received', 'skipped')),"
	" qty INTEGER NOT NULL DEFAULT 0,"
	" supplier TEXT NOT NULL DEFAULT '',"
	" unit_cost TEXT NOT NULL DEFAULT '',"
	" draft_date TEXT NOT NULL DEFAULT '',"
	" expected_date TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" by_user TEXT NOT NULL DEFAULT '',"
	" created_at TEXT NOT NULL DEFAULT '',"
	" updated_at TEXT NOT NULL DEFAULT '',"
	" record TEXT);"
	"CREATE UNIQUE INDEX orders_one_open ON orders (item_id)"
	" WHERE status IN " OPEN_IN ";"
	"CREATE INDEX orders_item ON orders (item_id, draft_date);"
	"CREATE TABLE state ("
	" item_id TEXT PRIMARY KEY,"
	" skip_until TEXT,"
	" last_move TEXT,"
	" last_checked TEXT,"
	" pending_delta INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts TEXT NOT NULL DEFAULT '',"
	" item_id TEXT NOT NULL DEFAULT '',"
	" order_id TEXT NOT NULL DEFAULT '',"
	" action TEXT NOT NULL DEFAULT '',"
	" by_user TEXT NOT NULL DEFAULT '',"
	" \"before\" TEXT NOT NULL DEFAULT '',"
	" \"after\" TEXT NOT NULL DEFAULT '',"
	" note TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX audit_order ON audit (order_id, id);"
	"CREATE INDEX audit_item ON audit (item_id, id);"
	"CREATE TABLE deferred ("
	" item_id TEXT PRIMARY KEY,"
	" until INTEGER NOT NULL,"
	" record TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX deferred_until ON deferred (until);";

/* 0 -> 1: a new file gets the first schema. */
static int
migrate_to_1(sqlite3 *db)
{
	return sqlite3_exec(db, schema_1, NULL, NULL, NULL);
}

/*
 * Schema 2: point-of-sale events and the flush (ir-pos, ir-flush).
 *   pos_events    one row per event id ever counted: the event id is the
 *                 primary key, so a retried event is refused by the file;
 *   state         pending_delta (already in schema 1) is the sum of the
 *                 deltas not yet on the sheet; last_flush, the last flush
 *                 settled for the item, makes a settle idempotent (flushes
 *                 take turns through the intent, so the last one is the
 *                 only one that can be settled again);
 *   flush_intent  at most one row: the flush in progress.
 */
static const char schema_2[] =
	"ALTER TABLE state ADD COLUMN last_flush TEXT;"
	"CREATE INDEX state_pending ON state (item_id)"
	" WHERE pending_delta <> 0;"
	"CREATE TABLE pos_events ("
	" event_id TEXT PRIMARY KEY,"
	" item_id TEXT NOT NULL,"
	" delta INTEGER NOT NULL,"
	" at TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE flush_intent ("
	" one INTEGER PRIMARY KEY CHECK (one = 1),"
	" flush_id TEXT NOT NULL,"
	" owner TEXT NOT NULL,"
	" record TEXT NOT NULL);";

/* 1 -> 2: POS events and the flush. */
static int
migrate_to_2(sqlite3 *db)
{
	return sqlite3_exec(db, schema_2, NULL, NULL, NULL);
}

/*
 * migrations[i] brings a file from schema i to i + 1, inside the open's
 * transaction; it returns an SQLite result code. A new schema is one
 * function appended here (SCHEMA_VERSION follows).
 */
static int (*const migrations[])(sqlite3 *) = {
	migrate_to_1,
	migrate_to_2,
};
#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

/* The statements, prepared on first use and kept until close. */
enum st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_LOAD_STATES,
	ST_NOTE_MOVE,
	ST_GET_ORDER,
	ST_FIND_CONFLICT,
	ST_INSERT_ORDER,
	ST_UPDATE_ORDER,
	ST_INSERT_AUDIT,
	ST_SET_SKIP,
	ST_LAST_AUDIT,
	ST_DEFER,
	ST_DUE,
	ST_UNDEFER,
	ST_LIST_ORDERS,
	ST_LIST_AUDIT,
	ST_LIST_ITEMS,
	ST_POS_INSERT,
	ST_POS_ADD,
	ST_POS_GET,
	ST_POS_SEEN,
	ST_POS_PENDING,
	ST_POS_SETTLE,
	ST_POS_LAST_FLUSH,
	ST_FLUSH_GET,
	ST_FLUSH_PUT,
	ST_FLUSH_DEL,
	ST__N
};

static const char *const sql[ST__N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* Columns 1-3 are NULL for a snooze row, 4 for an order row. */
	[ST_LOAD_STATES] =
	    "SELECT item_id, order_id, status, expected_date, NULL"
	    " FROM orders WHERE status IN " OPEN_IN
	    " UNION ALL "
	    "SELECT item_id, NULL, NULL, NULL, skip_until"
	    " FROM state WHERE skip_until IS NOT NULL",
	[ST_NOTE_MOVE] =
	    "INSERT INTO state (item_id, last_move, last_checked)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (item_id) DO UPDATE SET"
	    " last_move = excluded.last_move,"
	    " last_checked = excluded.last_checked",
	[ST_GET_ORDER] =
	    "SELECT " ORDER_COLS " FROM orders WHERE order_id = ?1",
	/* The order with the same id first: it is the idempotency key. */
	[ST_FIND_CONFLICT] =
	    "SELECT " ORDER_COLS " FROM orders WHERE order_id = ?1"
	    " OR (item_id = ?2 AND status IN " OPEN_IN ")"
	    " ORDER BY order_id = ?1 DESC LIMIT 1",
	[ST_INSERT_ORDER] =
	    "INSERT INTO orders (order_id, item_id, status, qty, supplier,"
	    " unit_cost, draft_date, expected_date, message_id, by_user,"
	    " created_at, updated_at, record)"
	    " VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?10, ?11)",
	/* Conditional on the status it starts from; NULL or qty < 0 keep. */
	[ST_UPDATE_ORDER] =
	    "UPDATE orders SET status = ?3,"
	    " qty = CASE WHEN ?4 < 0 THEN qty ELSE ?4 END,"
	    " expected_date = coalesce(?5, expected_date),"
	    " message_id = coalesce(?6, message_id),"
	    " by_user = coalesce(?7, by_user),"
	    " updated_at = coalesce(?8, updated_at)"
	    " WHERE order_id = ?1 AND status = ?2 RETURNING " ORDER_COLS,
	[ST_INSERT_AUDIT] =
	    "INSERT INTO audit (ts, item_id, order_id, action, by_user,"
	    " \"before\", \"after\", note)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_SET_SKIP] =
	    "INSERT INTO state (item_id, skip_until) VALUES (?1, ?2)"
	    " ON CONFLICT (item_id) DO UPDATE SET"
	    " skip_until = excluded.skip_until",
	/* ?2 is a comma list of actions (spaces ignored), NULL for any. */
	[ST_LAST_AUDIT] =
	    "SELECT " AUDIT_COLS " FROM audit WHERE order_id = ?1"
	    " AND (?2 IS NULL OR instr(',' || replace(?2, ' ', '') || ',',"
	    " ',' || action || ',') > 0)"
	    " ORDER BY id DESC LIMIT 1",
	[ST_DEFER] =
	    "INSERT INTO deferred (item_id, until, record) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (item_id) DO UPDATE SET"
	    " until = excluded.until, record = excluded.record",
	[ST_DUE] =
	    "SELECT item_id, record FROM deferred WHERE until <= ?1"
	    " ORDER BY until, item_id",
	[ST_UNDEFER] = "DELETE FROM deferred WHERE item_id = ?1",
	[ST_LIST_ORDERS] =
	    "SELECT " ORDER_COLS " FROM orders"
	    " WHERE (?1 IS NULL OR status = ?1)"
	    " AND (?2 IS NULL OR item_id = ?2)"
	    " ORDER BY draft_date DESC, order_id",
	[ST_LIST_AUDIT] =
	    "SELECT " AUDIT_COLS " FROM audit"
	    " WHERE ?1 IS NULL OR item_id = ?1 OR order_id = ?1 ORDER BY id",
	/* Items with a state row or an open order, with that order. */
	[ST_LIST_ITEMS] =
	    "SELECT i.item_id, o.order_id, o.status, o.expected_date,"
	    " s.skip_until, s.last_move, s.last_checked"
	    " FROM (SELECT item_id FROM state UNION"
	    " SELECT item_id FROM orders WHERE status IN " OPEN_IN ") AS i"
	    " LEFT JOIN state AS s ON s.item_id = i.item_id"
	    " LEFT JOIN orders AS o ON o.item_id = i.item_id"
	    " AND o.status IN " OPEN_IN
	    " WHERE ?1 IS NULL OR i.item_id = ?1 ORDER BY i.item_id",
	/* A row only when the event is new: the key refuses a retry. */
	[ST_POS_INSERT] =
	    "INSERT INTO pos_events (event_id, item_id, delta, at)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (event_id) DO NOTHING"
	    " RETURNING event_id",
	[ST_POS_ADD] =
	    "INSERT INTO state (item_id, pending_delta) VALUES (?1, ?2)"
	    " ON CONFLICT (item_id) DO UPDATE SET"
	    " pending_delta = pending_delta + excluded.pending_delta"
	    " RETURNING pending_delta",
	[ST_POS_GET] =
	    "SELECT pending_delta FROM state WHERE item_id = ?1",
	[ST_POS_SEEN] =
	    "SELECT 1 FROM pos_events WHERE event_id = ?1",
	[ST_POS_PENDING] =
	    "SELECT item_id, pending_delta FROM state"
	    " WHERE pending_delta <> 0 ORDER BY item_id",
	/* Not twice for the same flush. */
	[ST_POS_SETTLE] =
	    "UPDATE state SET pending_delta = pending_delta - ?2,"
	    " last_flush = ?3 WHERE item_id = ?1"
	    " AND (last_flush IS NULL OR last_flush <> ?3)"
	    " RETURNING pending_delta",
	[ST_POS_LAST_FLUSH] =
	    "SELECT last_flush = ?2 FROM state WHERE item_id = ?1",
	[ST_FLUSH_GET] =
	    "SELECT flush_id, owner, record FROM flush_intent WHERE one = 1",
	[ST_FLUSH_PUT] =
	    "INSERT INTO flush_intent (one, flush_id, owner, record)"
	    " VALUES (1, ?1, ?2, ?3) ON CONFLICT (one) DO UPDATE SET"
	    " flush_id = excluded.flush_id, owner = excluded.owner,"
	    " record = excluded.record",
	[ST_FLUSH_DEL] = "DELETE FROM flush_intent",
};

/* One item in the item_states table; item_id is allocated with it. */
struct ent {
	char	*order_id;		/* the open order, NULL if none */
	unsigned char status;
	char	 expected_date[11];
	char	 skip_until[11];
	char	 item_id[];
};

/*
 * The item_states table: open addressing, linear probing, never deletes;
 * cap a power of two.
 */
struct cache {
	struct ent **slot;
	size_t	 cap;
	size_t	 n;
	int	 loaded;
};

struct sq {
	sqlite3	*db;
	sqlite3_stmt *st[ST__N];
	int	 bindrc;		/* first failed bind since the step */
	unsigned long trips;
	struct cache cache;
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

/*
 * Records the failure rc of what (with SQLite's words, which name tables
 * and columns, never values) and maps it: locked or busy past the timeout
 * is STORE_UNAVAILABLE, anything else STORE_ERR.
 */
static int
sqerr(struct sq *sq, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snprintf(sq->err, sizeof(sq->err), "%s: the store is locked "
		    "by another program; try again later", what);
		return STORE_UNAVAILABLE;
	case SQLITE_NOMEM:
		snprintf(sq->err, sizeof(sq->err), "%s: out of memory", what);
		return STORE_ERR;
	default:
		snprintf(sq->err, sizeof(sq->err), "%s: %s", what,
		    sqlite3_errmsg(sq->db));
		return STORE_ERR;
	}
}

/* Records an allocation failure; returns STORE_ERR. */
static int
nomem(struct sq *sq, const char *what)
{
	snprintf(sq->err, sizeof(sq->err), "%s: out of memory", what);
	return STORE_ERR;
}

/*
 * Gives the statement id, prepared once. A statement still stepping means
 * a listing's callback called the same listing: refused, not reset under
 * the caller's feet.
 */
static int
stmt(struct sq *sq, enum st id, sqlite3_stmt **out)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if ((st = sq->st[id]) == NULL) {
		rc = sqlite3_prepare_v3(sq->db, sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK)
			return sqerr(sq, rc, "preparing a query");
		sq->st[id] = st;
	} else if (sqlite3_stmt_busy(st)) {
		snprintf(sq->err, sizeof(sq->err), "a store callback called "
		    "the store listing it was called from");
		return STORE_ERR;
	}
	sq->bindrc = SQLITE_OK;
	*out = st;
	return STORE_OK;
}

/* Ends a statement's run: it holds no snapshot and no bound pointers. */
static void
done(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Bind helpers: text is bound SQLITE_STATIC (it outlives the run, which
 * done() ends); the first failure is kept for step() to report.
 */
static void
bind_rc(struct sq *sq, int rc)
{
	if (rc != SQLITE_OK && sq->bindrc == SQLITE_OK)
		sq->bindrc = rc;
}

/* Binds s, or NULL for NULL. */
static void
bind_text(struct sq *sq, sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		bind_rc(sq, sqlite3_bind_null(st, i));
	else
		bind_rc(sq, sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC));
}

/* Binds s, or "" for NULL (for NOT NULL columns). */
static void
bind_str(struct sq *sq, sqlite3_stmt *st, int i, const char *s)
{
	bind_text(sq, st, i, s != NULL ? s : "");
}

/* Binds a fixed array field, which may lack its NUL when full. */
static void
bind_field(struct sq *sq, sqlite3_stmt *st, int i, const char *f, size_t sz)
{
	bind_rc(sq, sqlite3_bind_text(st, i, f, (int)strnlen(f, sz),
	    SQLITE_STATIC));
}

static void
bind_int(struct sq *sq, sqlite3_stmt *st, int i, long long v)
{
	bind_rc(sq, sqlite3_bind_int64(st, i, v));
}

/*
 * Steps st, counting a round trip when the run starts. Returns
 * SQLITE_ROW, SQLITE_DONE or the failure (a failed bind first).
 */
static int
step(struct sq *sq, sqlite3_stmt *st)
{
	int rc;

	if ((rc = sq->bindrc) != SQLITE_OK) {
		sq->bindrc = SQLITE_OK;
		return rc;
	}
	if (!sqlite3_stmt_busy(st))
		sq->trips++;
	return sqlite3_step(st);
}

/* Runs a statement that returns no rows (BEGIN, COMMIT, ...). */
static int
exec_st(struct sq *sq, enum st id, const char *what)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = stmt(sq, id, &st)) != STORE_OK)
		return r;
	rc = step(sq, st);
	r = rc == SQLITE_DONE || rc == SQLITE_ROW ? STORE_OK :
	    sqerr(sq, rc, what);
	done(st);
	return r;
}

/* Takes the write lock: waits up to the busy timeout. */
static int
tx_begin(struct sq *sq)
{
	return exec_st(sq, ST_BEGIN, "starting a write");
}

/* Undoes the open transaction, if any, keeping the error already set. */
static void
tx_rollback(struct sq *sq)
{
	char keep[sizeof(sq->err)];

	if (sqlite3_get_autocommit(sq->db))
		return;
	memcpy(keep, sq->err, sizeof(keep));
	if (exec_st(sq, ST_ROLLBACK, "rolling back") != STORE_OK &&
	    !sqlite3_get_autocommit(sq->db))
		sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
	memcpy(sq->err, keep, sizeof(keep));
}

/* Commits, or rolls back and reports why not. */
static int
tx_commit(struct sq *sq)
{
	int r;

	if ((r = exec_st(sq, ST_COMMIT, "committing")) != STORE_OK)
		tx_rollback(sq);
	return r;
}

/* Column i as text, "" for NULL. */
static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : "";
}

static int
col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

/*
 * Fills o from a row of ORDER_COLS. o->record is a malloc'd copy, or NULL;
 * -1 when that copy cannot be made (o->record is then NULL).
 */
static int
row_order(sqlite3_stmt *st, struct store_order *o)
{
	int s;

	memset(o, 0, sizeof(*o));
	scopy(o->order_id, sizeof(o->order_id), col(st, 0));
	scopy(o->item_id, sizeof(o->item_id), col(st, 1));
	o->status = (s = store_status_parse(col(st, 2))) < 0 ? ORDER_NONE : s;
	o->qty = sqlite3_column_int64(st, 3);
	scopy(o->supplier, sizeof(o->supplier), col(st, 4));
	scopy(o->unit_cost, sizeof(o->unit_cost), col(st, 5));
	scopy(o->draft_date, sizeof(o->draft_date), col(st, 6));
	scopy(o->expected_date, sizeof(o->expected_date), col(st, 7));
	scopy(o->message_id, sizeof(o->message_id), col(st, 8));
	scopy(o->by_user, sizeof(o->by_user), col(st, 9));
	scopy(o->updated_at, sizeof(o->updated_at), col(st, 10));
	if (!col_null(st, 11) && (o->record = strdup(col(st, 11))) == NULL)
		return -1;
	return 0;
}

/* Fills a from a row of AUDIT_COLS. */
static void
row_audit(sqlite3_stmt *st, struct store_audit *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	scopy(a->ts, sizeof(a->ts), col(st, 1));
	scopy(a->item_id, sizeof(a->item_id), col(st, 2));
	scopy(a->order_id, sizeof(a->order_id), col(st, 3));
	scopy(a->action, sizeof(a->action), col(st, 4));
	scopy(a->by_user, sizeof(a->by_user), col(st, 5));
	scopy(a->before, sizeof(a->before), col(st, 6));
	scopy(a->after, sizeof(a->after), col(st, 7));
	scopy(a->note, sizeof(a->note), col(st, 8));
}

/*
 * Runs a bound statement that returns at most one order into o: STORE_OK,
 * STORE_NOTFOUND, or the failure. Ends the run.
 */
static int
fetch_order(struct sq *sq, sqlite3_stmt *st, struct store_order *o,
    const char *what)
{
	int r, rc;

	memset(o, 0, sizeof(*o));
	rc = step(sq, st);
	if (rc == SQLITE_ROW)
		r = row_order(st, o) == 0 ? STORE_OK : nomem(sq, what);
	else if (rc == SQLITE_DONE)
		r = STORE_NOTFOUND;
	else
		r = sqerr(sq, rc, what);
	done(st);
	return r;
}

/* The order with id order_id, into o. */
static int
read_order(struct sq *sq, const char *order_id, struct store_order *o)
{
	sqlite3_stmt *st;
	int r;

	if ((r = stmt(sq, ST_GET_ORDER, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, order_id);
	return fetch_order(sq, st, o, "reading an order");
}

/* The order that stops o being created: same id, else the open one. */
static int
read_conflict(struct sq *sq, const struct store_order *o,
    struct store_order *cur)
{
	sqlite3_stmt *st;
	int r;

	if ((r = stmt(sq, ST_FIND_CONFLICT, &st)) != STORE_OK)
		return r;
	bind_field(sq, st, 1, o->order_id, sizeof(o->order_id));
	bind_field(sq, st, 2, o->item_id, sizeof(o->item_id));
	return fetch_order(sq, st, cur, "reading the open order");
}

/* Appends one audit row; before and after are statuses, ORDER_NONE "". */
static int
audit_add(struct sq *sq, const char *ts, const char *item_id,
    const char *order_id, const char *action, const char *by_user,
    int before, int after, const char *note)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = stmt(sq, ST_INSERT_AUDIT, &st)) != STORE_OK)
		return r;
	bind_str(sq, st, 1, ts);
	bind_str(sq, st, 2, item_id);
	bind_str(sq, st, 3, order_id);
	bind_str(sq, st, 4, action);
	bind_str(sq, st, 5, by_user);
	bind_str(sq, st, 6, store_status_name(before));
	bind_str(sq, st, 7, store_status_name(after));
	bind_str(sq, st, 8, note);
	rc = step(sq, st);
	r = rc == SQLITE_DONE ? STORE_OK : sqerr(sq, rc, "writing the audit");
	done(st);
	return r;
}

/* FNV-1a: short keys, no adversary worth a keyed hash here. */
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

/* The entry of id, or NULL. */
static struct ent *
cache_find(const struct cache *c, const char *id)
{
	size_t i, mask;

	if (c->cap == 0)
		return NULL;
	mask = c->cap - 1;
	for (i = hash(id) & mask; c->slot[i] != NULL; i = (i + 1) & mask)
		if (strcmp(c->slot[i]->item_id, id) == 0)
			return c->slot[i];
	return NULL;
}

/* Doubles the table; -1 when out of memory (the table is unchanged). */
static int
cache_grow(struct cache *c)
{
	struct ent **slot;
	size_t cap, i, j;

	cap = c->cap ? c->cap * 2 : 1024;
	if ((slot = calloc(cap, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < c->cap; i++) {
		if (c->slot[i] == NULL)
			continue;
		for (j = hash(c->slot[i]->item_id) & (cap - 1);
		    slot[j] != NULL; j = (j + 1) & (cap - 1))
			;
		slot[j] = c->slot[i];
	}
	free(c->slot);
	c->slot = slot;
	c->cap = cap;
	return 0;
}

/* The entry of id, made empty if missing; NULL when out of memory. */
static struct ent *
cache_get(struct cache *c, const char *id)
{
	struct ent *e;
	size_t i, len;

	if ((e = cache_find(c, id)) != NULL)
		return e;
	if ((c->n + 1) * 4 > c->cap * 3 && cache_grow(c) == -1)
		return NULL;
	len = strlen(id);
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->item_id, id, len + 1);
	for (i = hash(id) & (c->cap - 1); c->slot[i] != NULL;
	    i = (i + 1) & (c->cap - 1))
		;
	c->slot[i] = e;
	c->n++;
	return e;
}

/* Frees the table; the next item_states loads it again. */
static void
cache_drop(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++) {
		if (c->slot[i] == NULL)
			continue;
		free(c->slot[i]->order_id);
		free(c->slot[i]);
	}
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

/* Sets the open order of e; -1 when out of memory. */
static int
ent_set_order(struct ent *e, const char *order_id, int status,
    const char *expected_date)
{
	char *id;

	if (e->order_id == NULL || strcmp(e->order_id, order_id) != 0) {
		if ((id = strdup(order_id)) == NULL)
			return -1;
		free(e->order_id);
		e->order_id = id;
	}
	e->status = (unsigned char)status;
	scopy(e->expected_date, sizeof(e->expected_date), expected_date);
	return 0;
}

/*
 * Loads the item_states table in one query: every open order and every
 * snooze.
 */
static int
cache_load(struct sq *sq)
{
	sqlite3_stmt *st;
	struct ent *e;
	int r, rc, s;

	if ((r = stmt(sq, ST_LOAD_STATES, &st)) != STORE_OK)
		return r;
	r = STORE_OK;
	while ((rc = step(sq, st)) == SQLITE_ROW) {
		if ((e = cache_get(&sq->cache, col(st, 0))) == NULL) {
			r = nomem(sq, "reading item states");
			break;
		}
		if (!col_null(st, 1)) {
			s = store_status_parse(col(st, 2));
			if (ent_set_order(e, col(st, 1), s < 0 ? ORDER_NONE : s,
			    col(st, 3)) == -1) {
				r = nomem(sq, "reading item states");
				break;
			}
		} else {
			scopy(e->skip_until, sizeof(e->skip_until),
			    col(st, 4));
		}
	}
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = sqerr(sq, rc, "reading item states");
	done(st);
	if (r != STORE_OK)
		cache_drop(&sq->cache);
	else
		sq->cache.loaded = 1;
	return r;
}

/*
 * Brings the table in line with o as this connection just wrote or read
 * it: o is the item's open order, or no longer is. Out of memory drops
 * the table rather than keep a wrong one.
 */
static void
cache_note_order(struct sq *sq, const struct store_order *o)
{
	struct ent *e;

	if (!sq->cache.loaded || o->order_id[0] == '\0')
		return;
	if (store_status_open(o->status)) {
		if ((e = cache_get(&sq->cache, o->item_id)) == NULL ||
		    ent_set_order(e, o->order_id, o->status,
		    o->expected_date) == -1)
			cache_drop(&sq->cache);
	} else if ((e = cache_find(&sq->cache, o->item_id)) != NULL &&
	    e->order_id != NULL && strcmp(e->order_id, o->order_id) == 0) {
		free(e->order_id);
		e->order_id = NULL;
		e->status = ORDER_NONE;
		e->expected_date[0] = '\0';
	}
}

/* The table's copy of a snooze this connection wrote. */
static void
cache_note_skip(struct sq *sq, const char *item_id, const char *skip_until)
{
	struct ent *e;

	if (!sq->cache.loaded)
		return;
	if ((e = cache_get(&sq->cache, item_id)) == NULL) {
		cache_drop(&sq->cache);
		return;
	}
	scopy(e->skip_until, sizeof(e->skip_until), skip_until);
}

/* Creates the parent directories of path, like mkdir -p, mode 0755. */
static int
mkdir_parents(const char *path, char *err, size_t errsz)
{
	char *dir, *p;
	int r = 0;

	if ((dir = strdup(path)) == NULL) {
		snprintf(err, errsz, "%s: out of memory", path);
		return -1;
	}
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; r == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
				snprintf(err, errsz, "%s: cannot create "
				    "directory %s: %s", path, dir,
				    strerror(errno));
				r = -1;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	free(dir);
	return r;
}

/* Reads PRAGMA user_version; an SQLite result code. */
static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Brings the schema to SCHEMA_VERSION in one write transaction, reading
 * the version again under the lock (another program may have just created
 * it). An SQLite result code; *v the version found.
 */
static int
migrate(sqlite3 *db, int *v)
{
	char set[64];
	int rc, i;

	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL)) != SQLITE_OK)
		return rc;
	if ((rc = user_version(db, v)) != SQLITE_OK || *v >= SCHEMA_VERSION)
		goto out;
	for (i = *v; i < SCHEMA_VERSION; i++)
		if ((rc = migrations[i](db)) != SQLITE_OK)
			goto out;
	snprintf(set, sizeof(set), "PRAGMA user_version = %d",
	    SCHEMA_VERSION);
	if ((rc = sqlite3_exec(db, set, NULL, NULL, NULL)) != SQLITE_OK)
		goto out;
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
out:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Formats an open failure: the path, then what went wrong. */
static void
open_err(sqlite3 *db, int rc, const char *path, const char *what,
    char *err, size_t errsz)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		snprintf(err, errsz, "%s: %s: the store is locked by another "
		    "program; try again later", path, what);
	else
		snprintf(err, errsz, "%s: %s: %s", path, what,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/*
 * Puts the file in WAL mode. The mode is kept in the file, so a file
 * already in WAL is left alone. Switching takes an exclusive lock and
 * SQLite does not call the busy handler for it: when the programs of a
 * pipe open a new file at the same moment, the losers see SQLITE_BUSY
 * at once, so this retries until the busy timeout has passed.
 * Returns an SQLite code, or -1 with err set (a file that cannot use WAL).
 */
static int
set_wal(sqlite3 *db, int mem, const char *path, char *err, size_t errsz)
{
	sqlite3_stmt *st;
	const char *mode;
	int rc, waited = 0, i;

	for (i = 0; i < 2; i++) {
		for (;;) {
			rc = sqlite3_prepare_v2(db, i == 0 ?
			    "PRAGMA journal_mode" : "PRAGMA journal_mode = WAL",
			    -1, &st, NULL);
			if (rc == SQLITE_OK && (rc = sqlite3_step(st)) ==
			    SQLITE_ROW)
				rc = SQLITE_OK;
			if ((rc & 0xff) != SQLITE_BUSY &&
			    (rc & 0xff) != SQLITE_LOCKED)
				break;
			sqlite3_finalize(st);
			if (waited >= BUSY_TIMEOUT_MS)
				return rc;
			sqlite3_sleep(20);
			waited += 20;
		}
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			return rc;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (mem || (mode != NULL && sqlite3_stricmp(mode, "wal") == 0)) {
			sqlite3_finalize(st);
			return SQLITE_OK;
		}
		if (i == 1) {
			snprintf(err, errsz, "%s: cannot use a WAL journal here "
			    "(journal mode %s)", path, mode != NULL ? mode :
			    "unknown");
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
	}
	return SQLITE_OK;
}

/*
 * Opens (creating if missing) the SQLite store at path. Refuses a schema
 * newer than this release before it changes anything in the file.
 */
static void *
sq_open(const char *path, char *err, size_t errsz)
{
	struct sq *sq;
	sqlite3 *db = NULL;
	int rc, v, mem;

	if (*path == '\0') {
		snprintf(err, errsz, "sqlite: no file named");
		return NULL;
	}
	mem = strcmp(path, ":memory:") == 0;
	if (!mem && mkdir_parents(path, err, errsz) == -1)
		return NULL;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		open_err(db, rc, path, "cannot open", err, errsz);
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if ((rc = user_version(db, &v)) != SQLITE_OK) {
		open_err(db, rc, path, "cannot read", err, errsz);
		goto fail;
	}
	if (v > SCHEMA_VERSION)
		goto newer;

	/* WAL: readers never wait for the writer, the writer waits in turn. */
	if ((rc = set_wal(db, mem, path, err, errsz)) == -1)
		goto fail;
	if (rc != SQLITE_OK) {
		open_err(db, rc, path, "cannot set the journal", err, errsz);
		goto fail;
	}
	/*
	 * synchronous=FULL: in WAL mode NORMAL is safe from corruption but
	 * may lose the last commits on a power cut. A lost "sending" or
	 * "on-order" after the supplier was emailed would let a retry email
	 * the supplier again, so every commit is synced; the cost is one
	 * fsync per transaction, and writes are batched (note_moves).
	 */
	if ((rc = sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL,
	    NULL)) != SQLITE_OK) {
		open_err(db, rc, path, "cannot set synchronous", err, errsz);
		goto fail;
	}
	/*
	 * A page cache of 1 MB rather than SQLite's 2 MB: a stage's memory
	 * stays under 8 MB (issue 5) while a 5000-item batch of last_move
	 * writes still fits; reads are one indexed query per batch.
	 */
	if ((rc = sqlite3_exec(db, "PRAGMA cache_size = -1024", NULL, NULL,
	    NULL)) != SQLITE_OK) {
		open_err(db, rc, path, "cannot set cache_size", err, errsz);
		goto fail;
	}
	if (v < SCHEMA_VERSION) {
		if ((rc = migrate(db, &v)) != SQLITE_OK) {
			open_err(db, rc, path, "cannot create the schema", err,
			    errsz);
			goto fail;
		}
		if (v > SCHEMA_VERSION)
			goto newer;
	}
	if ((sq = calloc(1, sizeof(*sq))) == NULL) {
		snprintf(err, errsz, "%s: out of memory", path);
		goto fail;
	}
	sq->db = db;
	return sq;
newer:
	snprintf(err, errsz, "%s: store was written by a newer release "
	    "(schema %d); this release reads schema %d", path, v,
	    SCHEMA_VERSION);
fail:
	sqlite3_close(db);
	return NULL;
}

/* Finalizes every statement, frees the table, closes the file. */
static void
sq_close(void *p)
{
	struct sq *sq = p;
	int i;

	if (sq == NULL)
		return;
	for (i = 0; i < ST__N; i++)
		sqlite3_finalize(sq->st[i]);
	cache_drop(&sq->cache);
	sqlite3_close(sq->db);
	free(sq);
}

/* The last failure's text: SQLite's words or ours, never a value. */
static const char *
sq_error(void *p)
{
	struct sq *sq = p;

	return sq->err;
}

/*
 * Answers every call from the table loaded on the first: one query per
 * connection, whatever n and the number of calls.
 */
static int
sq_item_states(void *p, const char *const *ids, size_t n,
    struct store_item_state *states)
{
	struct sq *sq = p;
	struct store_item_state *s;
	const struct ent *e;
	size_t i;
	int r;

	if (!sq->cache.loaded && (r = cache_load(sq)) != STORE_OK)
		return r;
	for (i = 0; i < n; i++) {
		s = &states[i];
		/* every string empty, not all 600 bytes zeroed: per item */
		scopy(s->item_id, sizeof(s->item_id), ids[i]);
		s->order_id[0] = '\0';
		s->status = ORDER_NONE;
		s->expected_date[0] = '\0';
		s->skip_until[0] = '\0';
		s->last_move[0] = '\0';
		s->last_checked[0] = '\0';
		if (ids[i] == NULL || (e = cache_find(&sq->cache,
		    ids[i])) == NULL)
			continue;
		if (e->order_id != NULL) {
			scopy(s->order_id, sizeof(s->order_id), e->order_id);
			s->status = e->status;
			memcpy(s->expected_date, e->expected_date,
			    sizeof(s->expected_date));
		}
		memcpy(s->skip_until, e->skip_until, sizeof(s->skip_until));
	}
	return STORE_OK;
}

/* One transaction, one upsert statement run n times. */
static int
sq_note_moves(void *p, const struct store_move_note *m, size_t n)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	unsigned long trips0;
	size_t i;
	int r, rc;

	/* set outside the transaction: see the commit below */
	sqlite3_exec(sq->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if ((r = tx_begin(sq)) != STORE_OK) {
		sqlite3_exec(sq->db, "PRAGMA synchronous = FULL", NULL, NULL,
		    NULL);
		return r;
	}
	trips0 = sq->trips;
	if ((r = stmt(sq, ST_NOTE_MOVE, &st)) != STORE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		bind_text(sq, st, 1, m[i].item_id);
		bind_text(sq, st, 2, m[i].move);
		bind_text(sq, st, 3, m[i].checked_at);
		rc = step(sq, st);
		done(st);
		if (rc != SQLITE_DONE) {
			r = sqerr(sq, rc, "recording moves");
			goto fail;
		}
	}
	/*
	 * The n upserts run inside one transaction in this process: count
	 * the batch as one round trip, as a remote backend's batch write is.
	 * The cache is not touched: it holds only open orders and snoozes,
	 * so that it stays small however many items are checked.
	 */
	sq->trips = trips0 + 1;
	/*
	 * last_move is scratch state (the digest's watch list): a power cut
	 * may lose the last batches, never an order. So this commit does not
	 * wait for fsync (synchronous=NORMAL, still crash-consistent in WAL);
	 * every other commit stays FULL. 10k fsyncs made 1M items take 30 s.
	 */
	r = tx_commit(sq);
	sqlite3_exec(sq->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	return r;
fail:
	tx_rollback(sq);
	sqlite3_exec(sq->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	return r;
}

/*
 * Looks up the order that stopped a create when a constraint fired
 * anyway (the check should have seen it). STORE_CONFLICT, with *cur
 * zeroed if the order cannot be found, unless the read itself fails.
 */
static int
conflict_after(struct sq *sq, const struct store_order *o,
    struct store_order *cur)
{
	int r;

	if ((r = read_conflict(sq, o, cur)) == STORE_NOTFOUND)
		return STORE_CONFLICT;
	return r == STORE_OK ? STORE_CONFLICT : r;
}

/*
 * BEGIN IMMEDIATE; is there an order with this id, or an open one for the
 * item?; insert; audit "drafted"; COMMIT. On STORE_OK *cur is the order
 * created.
 */
static int
sq_create_pending(void *p, const struct store_order *o, const char *by_user,
    struct store_order *cur)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = tx_begin(sq)) != STORE_OK)
		return r;
	if ((r = read_conflict(sq, o, cur)) == STORE_OK) {
		tx_rollback(sq);
		cache_note_order(sq, cur);
		return STORE_CONFLICT;
	}
	if (r != STORE_NOTFOUND)
		goto fail;
	if ((r = stmt(sq, ST_INSERT_ORDER, &st)) != STORE_OK)
		goto fail;
	bind_field(sq, st, 1, o->order_id, sizeof(o->order_id));
	bind_field(sq, st, 2, o->item_id, sizeof(o->item_id));
	bind_int(sq, st, 3, o->qty);
	bind_field(sq, st, 4, o->supplier, sizeof(o->supplier));
	bind_field(sq, st, 5, o->unit_cost, sizeof(o->unit_cost));
	bind_field(sq, st, 6, o->draft_date, sizeof(o->draft_date));
	bind_field(sq, st, 7, o->expected_date, sizeof(o->expected_date));
	bind_field(sq, st, 8, o->message_id, sizeof(o->message_id));
	bind_field(sq, st, 9, o->by_user, sizeof(o->by_user));
	bind_field(sq, st, 10, o->updated_at, sizeof(o->updated_at));
	bind_text(sq, st, 11, o->record);
	rc = step(sq, st);
	done(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		r = conflict_after(sq, o, cur);
		tx_rollback(sq);
		if (r == STORE_CONFLICT)
			cache_note_order(sq, cur);
		return r;
	}
	if (rc != SQLITE_DONE) {
		r = sqerr(sq, rc, "creating the order");
		goto fail;
	}
	if ((r = audit_add(sq, o->updated_at, o->item_id, o->order_id,
	    "drafted", by_user, ORDER_NONE, ORDER_PENDING, NULL)) != STORE_OK)
		goto fail;
	if ((r = tx_commit(sq)) != STORE_OK)
		return r;
	*cur = *o;
	cur->status = ORDER_PENDING;
	cur->record = NULL;
	if (o->record != NULL && (cur->record = strdup(o->record)) == NULL)
		return nomem(sq, "the order was created, but copying it");
	cache_note_order(sq, cur);
	return STORE_OK;
fail:
	tx_rollback(sq);
	return r;
}

/* One order by id; o->record is the caller's to free. */
static int
sq_get_order(void *p, const char *order_id, struct store_order *o)
{
	return read_order(p, order_id, o);
}

/*
 * BEGIN IMMEDIATE; UPDATE ... WHERE status = from RETURNING the order
 * (the check and the write in one statement); audit; snooze; COMMIT.
 * When no row moved, the order as it is tells CONFLICT from NOTFOUND,
 * and nothing was written.
 */
static int
sq_transition(void *p, const struct store_transition *t,
    struct store_order *cur)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	const char *action;
	int r, rc, moved = 0;

	if ((r = tx_begin(sq)) != STORE_OK)
		return r;
	if ((r = stmt(sq, ST_UPDATE_ORDER, &st)) != STORE_OK)
		goto fail;
	bind_text(sq, st, 1, t->order_id);
	bind_text(sq, st, 2, store_status_name(t->from));
	bind_text(sq, st, 3, store_status_name(t->to));
	bind_int(sq, st, 4, t->qty);
	bind_text(sq, st, 5, t->expected_date);
	bind_text(sq, st, 6, t->message_id);
	bind_text(sq, st, 7, t->by_user);
	bind_text(sq, st, 8, t->at);
	while ((rc = step(sq, st)) == SQLITE_ROW) {
		free(cur->record);
		if (row_order(st, cur) == -1) {
			done(st);
			r = nomem(sq, "moving the order");
			goto fail;
		}
		moved = 1;
	}
	done(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		moved = 0;
	else if (rc != SQLITE_DONE) {
		r = sqerr(sq, rc, "moving the order");
		goto fail;
	}
	if (!moved) {
		/* Read under the same lock that saw the check fail. */
		free(cur->record);
		r = read_order(sq, t->order_id, cur);
		tx_rollback(sq);
		if (r != STORE_OK)
			return r;
		cache_note_order(sq, cur);
		return STORE_CONFLICT;
	}
	action = t->action != NULL ? t->action : store_status_name(t->to);
	if ((r = audit_add(sq, t->at, cur->item_id, cur->order_id, action,
	    t->by_user, t->from, t->to, t->note)) != STORE_OK)
		goto fail;
	if (t->skip_until != NULL) {
		if ((r = stmt(sq, ST_SET_SKIP, &st)) != STORE_OK)
			goto fail;
		bind_text(sq, st, 1, cur->item_id);
		bind_text(sq, st, 2, t->skip_until);
		rc = step(sq, st);
		done(st);
		if (rc != SQLITE_DONE) {
			r = sqerr(sq, rc, "snoozing the item");
			goto fail;
		}
	}
	if ((r = tx_commit(sq)) != STORE_OK)
		goto out;
	cache_note_order(sq, cur);
	if (t->skip_until != NULL)
		cache_note_skip(sq, cur->item_id, t->skip_until);
	return STORE_OK;
fail:
	tx_rollback(sq);
out:
	free(cur->record);
	memset(cur, 0, sizeof(*cur));
	return r;
}

/* The newest audit row of order_id whose action is in the comma list. */
static int
sq_last_audit(void *p, const char *order_id, const char *actions,
    struct store_audit *a)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = stmt(sq, ST_LAST_AUDIT, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, order_id);
	bind_text(sq, st, 2, actions);
	rc = step(sq, st);
	if (rc == SQLITE_ROW) {
		row_audit(st, a);
		r = STORE_OK;
	} else if (rc == SQLITE_DONE)
		r = STORE_NOTFOUND;
	else
		r = sqerr(sq, rc, "reading the audit");
	done(st);
	return r;
}

/* One statement: the deferral of an item replaces the one before. */
static int
sq_defer(void *p, const char *item_id, time_t until, const char *record,
    size_t len)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	int r, rc;

	if (len > (size_t)INT32_MAX) {
		snprintf(sq->err, sizeof(sq->err), "deferring a draft: the "
		    "record is too large");
		return STORE_ERR;
	}
	if ((r = stmt(sq, ST_DEFER, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, item_id);
	bind_int(sq, st, 2, (long long)until);
	bind_rc(sq, sqlite3_bind_text(st, 3, record != NULL ? record : "",
	    (int)len, SQLITE_STATIC));
	rc = step(sq, st);
	r = rc == SQLITE_DONE ? STORE_OK : sqerr(sq, rc, "deferring a draft");
	done(st);
	return r;
}

/* A due deferral, copied out so the callback may write to the store. */
struct due {
	char	*item_id;
	char	*record;
};

/*
 * Reads the due deferrals first, then calls fn: the callback typically
 * sends the draft, creates the order and undefers, which it could not do
 * safely while a read of the same table is open on the connection. The
 * copies are as many as the deferrals due, one per item at most.
 */
static int
sq_due(void *p, time_t now, int (*fn)(void *, const char *, const char *),
    void *ctx)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	struct due *d = NULL, *nd;
	size_t n = 0, cap = 0, i;
	int r, rc;

	if ((r = stmt(sq, ST_DUE, &st)) != STORE_OK)
		return r;
	bind_int(sq, st, 1, (long long)now);
	while ((rc = step(sq, st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nd = realloc(d, cap * sizeof(*d))) == NULL) {
				r = nomem(sq, "reading deferrals");
				break;
			}
			d = nd;
		}
		d[n].item_id = strdup(col(st, 0));
		d[n].record = strdup(col(st, 1));
		n++;
		if (d[n - 1].item_id == NULL || d[n - 1].record == NULL) {
			r = nomem(sq, "reading deferrals");
			break;
		}
	}
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = sqerr(sq, rc, "reading deferrals");
	done(st);
	for (i = 0; r == STORE_OK && i < n; i++)
		if (fn(ctx, d[i].item_id, d[i].record) != 0)
			break;
	for (i = 0; i < n; i++) {
		free(d[i].item_id);
		free(d[i].record);
	}
	free(d);
	return r;
}

/* Idempotent: STORE_OK whether or not a deferral was there. */
static int
sq_undefer(void *p, const char *item_id)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = stmt(sq, ST_UNDEFER, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, item_id);
	rc = step(sq, st);
	r = rc == SQLITE_DONE ? STORE_OK : sqerr(sq, rc, "undeferring");
	done(st);
	return r;
}

/* Orders, newest draft first; record is freed after each callback. */
static int
sq_list_orders(void *p, const char *status, const char *item_id,
    int (*fn)(void *, const struct store_order *), void *ctx)
{
	struct sq *sq = p;
	struct store_order o;
	sqlite3_stmt *st;
	int r, rc, stop = 0;

	if ((r = stmt(sq, ST_LIST_ORDERS, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, status);
	bind_text(sq, st, 2, item_id);
	while (!stop && (rc = step(sq, st)) == SQLITE_ROW) {
		if (row_order(st, &o) == -1) {
			r = nomem(sq, "listing orders");
			break;
		}
		stop = fn(ctx, &o);
		free(o.record);
	}
	if (r == STORE_OK && !stop && rc != SQLITE_DONE)
		r = sqerr(sq, rc, "listing orders");
	done(st);
	return r;
}

/* Audit rows of an item or an order (or all), oldest first. */
static int
sq_list_audit(void *p, const char *item_or_order,
    int (*fn)(void *, const struct store_audit *), void *ctx)
{
	struct sq *sq = p;
	struct store_audit a;
	sqlite3_stmt *st;
	int r, rc, stop = 0;

	if ((r = stmt(sq, ST_LIST_AUDIT, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, item_or_order);
	while (!stop && (rc = step(sq, st)) == SQLITE_ROW) {
		row_audit(st, &a);
		stop = fn(ctx, &a);
	}
	if (!stop && rc != SQLITE_DONE)
		r = sqerr(sq, rc, "listing the audit");
	done(st);
	return r;
}

/* Items with a state row or an open order, by item_id. */
static int
sq_list_items(void *p, const char *item_id,
    int (*fn)(void *, const struct store_item_state *), void *ctx)
{
	struct sq *sq = p;
	struct store_item_state s;
	sqlite3_stmt *st;
	int r, rc, stop = 0, status;

	if ((r = stmt(sq, ST_LIST_ITEMS, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, item_id);
	while (!stop && (rc = step(sq, st)) == SQLITE_ROW) {
		memset(&s, 0, sizeof(s));
		scopy(s.item_id, sizeof(s.item_id), col(st, 0));
		scopy(s.order_id, sizeof(s.order_id), col(st, 1));
		status = store_status_parse(col(st, 2));
		s.status = status < 0 ? ORDER_NONE : status;
		scopy(s.expected_date, sizeof(s.expected_date), col(st, 3));
		scopy(s.skip_until, sizeof(s.skip_until), col(st, 4));
		scopy(s.last_move, sizeof(s.last_move), col(st, 5));
		scopy(s.last_checked, sizeof(s.last_checked), col(st, 6));
		stop = fn(ctx, &s);
	}
	if (!stop && rc != SQLITE_DONE)
		r = sqerr(sq, rc, "listing items");
	done(st);
	return r;
}

/*
 * Runs a bound statement that returns at most one integer into *v:
 * STORE_OK, STORE_NOTFOUND (no row), or the failure. Ends the run.
 */
static int
fetch_int(struct sq *sq, sqlite3_stmt *st, long long *v, const char *what)
{
	int r, rc;

	rc = step(sq, st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		r = STORE_OK;
	} else if (rc == SQLITE_DONE)
		r = STORE_NOTFOUND;
	else
		r = sqerr(sq, rc, what);
	done(st);
	return r;
}

/* The pending delta of item_id into *v (0 without a state row). */
static int
read_pending(struct sq *sq, const char *item_id, long long *v)
{
	sqlite3_stmt *st;
	int r;

	*v = 0;
	if ((r = stmt(sq, ST_POS_GET, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, item_id);
	r = fetch_int(sq, st, v, "reading the pending delta");
	return r == STORE_NOTFOUND ? STORE_OK : r;
}

/*
 * BEGIN IMMEDIATE; insert the event (nothing when its id is there);
 * add the delta; COMMIT. One transaction: the event is counted exactly
 * when its row exists.
 */
static int
sq_pos_event(void *p, const char *event_id, const char *item_id,
    long long delta, const char *at, long long *cur)
{
	static const char what[] = "counting a POS event";
	struct sq *sq = p;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = tx_begin(sq)) != STORE_OK)
		return r;
	if ((r = stmt(sq, ST_POS_INSERT, &st)) != STORE_OK)
		goto fail;
	bind_text(sq, st, 1, event_id);
	bind_text(sq, st, 2, item_id);
	bind_int(sq, st, 3, delta);
	bind_text(sq, st, 4, at);
	rc = step(sq, st);
	done(st);
	if (rc == SQLITE_DONE) {
		/* Seen before: read under the same lock, change nothing. */
		r = read_pending(sq, item_id, cur);
		tx_rollback(sq);
		return r == STORE_OK ? STORE_CONFLICT : r;
	}
	if (rc != SQLITE_ROW) {
		r = sqerr(sq, rc, what);
		goto fail;
	}
	if ((r = stmt(sq, ST_POS_ADD, &st)) != STORE_OK)
		goto fail;
	bind_text(sq, st, 1, item_id);
	bind_int(sq, st, 2, delta);
	if ((r = fetch_int(sq, st, cur, what)) != STORE_OK) {
		if (r == STORE_NOTFOUND)
			r = sqerr(sq, SQLITE_ERROR, what);
		goto fail;
	}
	return tx_commit(sq);
fail:
	tx_rollback(sq);
	return r;
}

/* One lookup by the primary key. */
static int
sq_pos_seen(void *p, const char *event_id)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	long long v;
	int r;

	if ((r = stmt(sq, ST_POS_SEEN, &st)) != STORE_OK)
		return r;
	bind_text(sq, st, 1, event_id);
	return fetch_int(sq, st, &v, "looking up a POS event");
}

/* Items with a pending delta, through the partial index. */
static int
sq_pos_pending(void *p, int (*fn)(void *, const char *, long long),
    void *ctx)
{
	struct sq *sq = p;
	sqlite3_stmt *st;
	int r, rc, stop = 0;

	if ((r = stmt(sq, ST_POS_PENDING, &st)) != STORE_OK)
		return r;
	while (!stop && (rc = step(sq, st)) == SQLITE_ROW)
		stop = fn(ctx, col(st, 0), sqlite3_column_int64(st, 1));
	if (!stop && rc != SQLITE_DONE)
		r = sqerr(sq, rc, "listing pending deltas");
	done(st);
	return r;
}

/*
 * BEGIN IMMEDIATE; subtract delta unless last_flush is this flush; audit
 * "flushed"; COMMIT. When no row moved, last_flush tells CONFLICT (done
 * before) from NOTFOUND (no state row).
 */
static int
sq_pos_settle(void *p, const char *item_id, long long delta,
    const char *flush_id, const char *at)
{
	static const char what[] = "settling a flushed delta";
	struct sq *sq = p;
	sqlite3_stmt *st;
	long long left, same;
	char note[STORE_ID_MAX + 128];
	int r;

	if ((r = tx_begin(sq)) != STORE_OK)
		return r;
	if ((r = stmt(sq, ST_POS_SETTLE, &st)) != STORE_OK)
		goto fail;
	bind_text(sq, st, 1, item_id);
	bind_int(sq, st, 2, delta);
	bind_text(sq, st, 3, flush_id);
	if ((r = fetch_int(sq, st, &left, what)) == STORE_NOTFOUND) {
		if ((r = stmt(sq, ST_POS_LAST_FLUSH, &st)) != STORE_OK)
			goto fail;
		bind_text(sq, st, 1, item_id);
		bind_text(sq, st, 2, flush_id);
		r = fetch_int(sq, st, &same, what);
		tx_rollback(sq);
		if (r == STORE_OK)
			return STORE_CONFLICT;
		return r;
	}
	if (r != STORE_OK)
		goto fail;
	snprintf(note, sizeof(note), "%+lld written to the stock sheet by "
	    "flush %s; %lld still pending", delta, flush_id, left);
	if ((r = audit_add(sq, at, item_id, NULL, "flushed", "ir-flush",
	    ORDER_NONE, ORDER_NONE, note)) != STORE_OK)
		goto fail;
	return tx_commit(sq);
fail:
	tx_rollback(sq);
	return r;
}

/* The intent row into cur (record malloc'd). */
static int
read_flush(struct sq *sq, struct store_flush *cur)
{
	sqlite3_stmt *st;
	int r, rc;

	memset(cur, 0, sizeof(*cur));
	if ((r = stmt(sq, ST_FLUSH_GET, &st)) != STORE_OK)
		return r;
	rc = step(sq, st);
	if (rc == SQLITE_ROW) {
		scopy(cur->flush_id, sizeof(cur->flush_id), col(st, 0));
		scopy(cur->owner, sizeof(cur->owner), col(st, 1));
		r = (cur->record = strdup(col(st, 2))) == NULL ?
		    nomem(sq, "reading the flush intent") : STORE_OK;
	} else if (rc == SQLITE_DONE)
		r = STORE_NOTFOUND;
	else
		r = sqerr(sq, rc, "reading the flush intent");
	done(st);
	return r;
}

static int
sq_flush_get(void *p, struct store_flush *cur)
{
	return read_flush(p, cur);
}

/* BEGIN IMMEDIATE; compare; put or delete; COMMIT. */
static int
sq_flush_swap(void *p, const char *expect_id, const char *expect_owner,
    const struct store_flush *next)
{
	static const char what[] = "writing the flush intent";
	struct sq *sq = p;
	struct store_flush cur;
	sqlite3_stmt *st;
	int r, rc, match;

	if ((r = tx_begin(sq)) != STORE_OK)
		return r;
	r = read_flush(sq, &cur);
	free(cur.record);
	if (r != STORE_OK && r != STORE_NOTFOUND)
		goto fail;
	if (expect_id == NULL)
		match = r == STORE_NOTFOUND;
	else
		match = r == STORE_OK && strcmp(cur.flush_id, expect_id) == 0 &&
		    strcmp(cur.owner, expect_owner) == 0;
	if (!match) {
		tx_rollback(sq);
		return STORE_CONFLICT;
	}
	if ((r = stmt(sq, next != NULL ? ST_FLUSH_PUT : ST_FLUSH_DEL,
	    &st)) != STORE_OK)
		goto fail;
	if (next != NULL) {
		bind_field(sq, st, 1, next->flush_id, sizeof(next->flush_id));
		bind_field(sq, st, 2, next->owner, sizeof(next->owner));
		bind_text(sq, st, 3, next->record);
	}
	rc = step(sq, st);
	done(st);
	if (rc != SQLITE_DONE) {
		r = sqerr(sq, rc, what);
		goto fail;
	}
	return tx_commit(sq);
fail:
	tx_rollback(sq);
	return r;
}

/* Statement runs since open (a note_moves batch counts one). */
static unsigned long
sq_round_trips(void *p)
{
	const struct sq *sq = p;

	return sq->trips;
}

const struct store_ops store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.error = sq_error,
	.item_states = sq_item_states,
	.note_moves = sq_note_moves,
	.create_pending = sq_create_pending,
	.get_order = sq_get_order,
	.transition = sq_transition,
	.last_audit = sq_last_audit,
	.defer = sq_defer,
	.due = sq_due,
	.undefer = sq_undefer,
	.list_orders = sq_list_orders,
	.list_audit = sq_list_audit,
	.list_items = sq_list_items,
	.pos_event = sq_pos_event,
	.pos_seen = sq_pos_seen,
	.pos_pending = sq_pos_pending,
	.pos_settle = sq_pos_settle,
	.flush_get = sq_flush_get,
	.flush_swap = sq_flush_swap,
	.round_trips = sq_round_trips,
};
