/*
 * test_store: the store's guarantees (store.h, design.md section 4,
 * rules.md "Order states"): conditional creates and transitions, the
 * audit written with them, the batch read's round trips, deferrals, and
 * races between processes.
 *
 * The backend comes from IR_TEST_STORE: unset (or "sqlite:") runs every
 * test on SQLite, each in its own directory under one mkdtemp(3)
 * directory, removed at the end. "dynamodb:?prefix=P" runs them on
 * DynamoDB at the endpoint and with the credentials of the environment
 * (AWS_ENDPOINT_URL_DYNAMODB, ...): each test gets four fresh tables,
 * named P + a run id + the test's name, made here with CreateTable (the
 * same definitions as scripts/create-tables, which the bats suite checks
 * separately). Tests of SQLite's own machinery (the file, the schema
 * version, the lock) run on SQLite only; the DynamoDB run has its own for
 * a service that cannot be reached.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "aws.h"
#include "config.h"
#include "store.h"
#include "unit.h"

#define NCHILD	8

static char topdir[64];
static int dynamo;			/* the run is on DynamoDB */
static char ddb_prefix[64];		/* P + run id, for DynamoDB */
static struct config *cfg;		/* the process config (AWS) */

/* Removes path and everything under it. */
static void
rm_rf(const char *path)
{
	struct dirent *de;
	struct stat sb;
	char sub[1024];
	DIR *d;

	if (lstat(path, &sb) == -1)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* A path for the database of one test: TOP/name/ir.db. */
static void
dbpath(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s/ir.db", topdir, name);
}

/* The DynamoDB table prefix of one test: P, run id, name, '-'. */
static void
ddb_test_prefix(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s%s-", ddb_prefix, name);
}

/* One DynamoDB request for the test's setup; the reply is dropped. */
static int
ddb_req(const char *op, json_t *body, const char **status)
{
	struct aws_error e;
	json_t *out = NULL;
	const char *t;
	char target[64];
	static char st[32];
	int rc;

	if (body == NULL)
		return -1;
	snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
	rc = aws_json(&aws_dynamodb, "1.0", target, body, &out, &e);
	json_decref(body);
	if (rc == -1 && strcmp(e.code, "ResourceInUseException") != 0) {
		fprintf(stderr, "%s: %s: %s\n", op, e.code, e.message);
		return -1;
	}
	if (status != NULL) {
		t = json_string_value(json_object_get(json_object_get(out,
		    "Table"), "TableStatus"));
		snprintf(st, sizeof(st), "%s", t != NULL ? t : "");
		*status = st;
	}
	json_decref(out);
	return 0;
}

/*
 * Makes the four tables of one test (once per name and process) and waits
 * until they are ACTIVE. The definitions are scripts/create-tables'.
 */
static int
ddb_tables(const char *name)
{
	static char made[32][32];
	static int nmade;
	static const char *const tabs[] = {
		"ir-orders", "ir-state", "ir-audit", "ir-deferred"
	};
	char prefix[128], tname[192];
	const char *status;
	json_t *body;
	int i, tries;

	for (i = 0; i < nmade; i++)
		if (strcmp(made[i], name) == 0)
			return 0;
	ddb_test_prefix(prefix, sizeof(prefix), name);
	for (i = 0; i < 4; i++) {
		snprintf(tname, sizeof(tname), "%s%s", prefix, tabs[i]);
		if (i == 0 || i == 2)
			body = json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],"
			    "s:[{s:s,s:s},{s:s,s:s}]}", "TableName", tname,
			    "BillingMode", "PAY_PER_REQUEST",
			    "AttributeDefinitions",
			    "AttributeName", "item_id", "AttributeType", "S",
			    "AttributeName", i == 0 ? "order_id" : "ts",
			    "AttributeType", "S", "KeySchema",
			    "AttributeName", "item_id", "KeyType", "HASH",
			    "AttributeName", i == 0 ? "order_id" : "ts",
			    "KeyType", "RANGE");
		else
			body = json_pack("{s:s,s:s,s:[{s:s,s:s}],"
			    "s:[{s:s,s:s}]}", "TableName", tname,
			    "BillingMode", "PAY_PER_REQUEST",
			    "AttributeDefinitions",
			    "AttributeName", "item_id", "AttributeType", "S",
			    "KeySchema",
			    "AttributeName", "item_id", "KeyType", "HASH");
		if (ddb_req("CreateTable", body, NULL) == -1)
			return -1;
	}
	for (i = 0; i < 4; i++) {
		snprintf(tname, sizeof(tname), "%s%s", prefix, tabs[i]);
		for (tries = 0; tries < 200; tries++) {
			if (ddb_req("DescribeTable", json_pack("{s:s}",
			    "TableName", tname), &status) == -1)
				return -1;
			if (strcmp(status, "ACTIVE") == 0)
				break;
			usleep(50000);
		}
		if (tries == 200)
			return -1;
	}
	if (nmade < 32)
		snprintf(made[nmade++], sizeof(made[0]), "%s", name);
	return 0;
}

/* The URI of one test's store. */
static void
store_uri(char *buf, size_t sz, const char *name)
{
	char path[256], prefix[128];

	if (dynamo) {
		ddb_test_prefix(prefix, sizeof(prefix), name);
		snprintf(buf, sz, "dynamodb:?prefix=%s", prefix);
	} else {
		dbpath(path, sizeof(path), name);
		snprintf(buf, sz, "sqlite:%s", path);
	}
}

/*
 * Makes what the store of one test needs before programs open it: on
 * DynamoDB its tables (SQLite makes its file itself).
 */
static int
prepare_store(const char *name)
{
	if (dynamo && ddb_tables(name) == -1) {
		fprintf(stderr, "cannot make the tables of %s\n", name);
		return -1;
	}
	return 0;
}

/* Opens the store of one test, or fails the test. */
static struct store *
open_store(const char *name)
{
	char uri[300], err[512];
	struct store *s;

	if (prepare_store(name) == -1)
		return NULL;
	store_uri(uri, sizeof(uri), name);
	if ((s = store_open(uri, err, sizeof(err))) == NULL)
		fprintf(stderr, "store_open %s: %s\n", uri, err);
	return s;
}

/* A draft as ir-draft would write it. */
static void
mkorder(struct store_order *o, const char *order_id, const char *item_id,
    const char *draft_date, long long qty)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->order_id, sizeof(o->order_id), "%s", order_id);
	snprintf(o->item_id, sizeof(o->item_id), "%s", item_id);
	o->qty = qty;
	snprintf(o->supplier, sizeof(o->supplier), "acme");
	snprintf(o->unit_cost, sizeof(o->unit_cost), "2.50");
	snprintf(o->draft_date, sizeof(o->draft_date), "%s", draft_date);
	snprintf(o->updated_at, sizeof(o->updated_at), "%sT09:00:00+01:00",
	    draft_date);
	o->record = "{\"type\":\"draft\",\"qty\":48}";
}

/* A transition with the fields every one needs. */
static struct store_transition
mktrans(const char *order_id, int from, int to, const char *action,
    const char *by_user)
{
	struct store_transition t;

	memset(&t, 0, sizeof(t));
	t.order_id = order_id;
	t.from = from;
	t.to = to;
	t.action = action;
	t.by_user = by_user;
	t.at = "2024-03-04T10:00:00+01:00";
	t.qty = -1;
	return t;
}

/* Collects audit rows (up to 16) for the tests to look at. */
struct audits {
	struct store_audit a[16];
	int	 n;
};

static int
collect_audit(void *ctx, const struct store_audit *a)
{
	struct audits *as = ctx;

	if (as->n < 16)
		as->a[as->n] = *a;
	as->n++;
	return 0;
}

/* Counts the audit rows with action (NULL: any) for item_or_order. */
static int
count_audit(struct store *s, const char *item_or_order, const char *action)
{
	struct audits as;
	int i, n = 0;

	memset(&as, 0, sizeof(as));
	if (store_list_audit(s, item_or_order, collect_audit, &as) !=
	    STORE_OK)
		return -1;
	for (i = 0; i < as.n && i < 16; i++)
		if (action == NULL || strcmp(as.a[i].action, action) == 0)
			n++;
	return action == NULL ? as.n : n;
}

/* Reads one integer from a query run straight on the file. */
static int
sql_int(const char *path, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

TEST(test_status_names)
{
	int i;

	CHECK_EQ_STR(store_status_name(ORDER_NONE), "");
	CHECK_EQ_STR(store_status_name(ORDER_PENDING), "pending");
	CHECK_EQ_STR(store_status_name(ORDER_SENDING), "sending");
	CHECK_EQ_STR(store_status_name(ORDER_ON_ORDER), "on-order");
	CHECK_EQ_STR(store_status_name(ORDER_RECEIVED), "received");
	CHECK_EQ_STR(store_status_name(ORDER_SKIPPED), "skipped");
	CHECK_EQ_STR(store_status_name(42), "");
	for (i = ORDER_PENDING; i <= ORDER_SKIPPED; i++)
		CHECK_EQ_INT(store_status_parse(store_status_name(i)), i);
	CHECK_EQ_INT(store_status_parse(""), -1);
	CHECK_EQ_INT(store_status_parse("on_order"), -1);
	CHECK_EQ_INT(store_status_parse(NULL), -1);
	CHECK_EQ_INT(store_status_open(ORDER_NONE), 0);
	CHECK_EQ_INT(store_status_open(ORDER_PENDING), 1);
	CHECK_EQ_INT(store_status_open(ORDER_SENDING), 1);
	CHECK_EQ_INT(store_status_open(ORDER_ON_ORDER), 1);
	CHECK_EQ_INT(store_status_open(ORDER_RECEIVED), 0);
	CHECK_EQ_INT(store_status_open(ORDER_SKIPPED), 0);
}

TEST(test_unknown_backend)
{
	char err[256];

	CHECK(store_open("mysql:ir-orders", err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "unknown store backend \"mysql\" (known: sqlite, "
	    "dynamodb)");
	CHECK(store_open("s3://bucket/ir.db", err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "unknown store backend \"s3\" (known: sqlite, "
	    "dynamodb)");
	/* DynamoDB's URI is checked before anything is asked of AWS. */
	CHECK(store_open("dynamodb:ir-orders", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "dynamodb:?prefix=") != NULL);
	CHECK(store_open("dynamodb:?table=x", err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "dynamodb: unknown option \"table=x\" (known: "
	    "prefix)");
	CHECK(store_open("dynamodb:?prefix=a/b", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "table prefix \"a/b\"") != NULL);
	CHECK(store_open("", err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
	CHECK(store_open("sqlite:", err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
	/* No room for the message is no crash. */
	CHECK(store_open("dynamodb:x", NULL, 0) == NULL);
}

TEST(test_open_create_reopen)
{
	char dir[256], path[272], uri[300], err[512];
	struct store_order o, cur;
	struct store *s;
	struct stat sb;

	/* Parents are created like mkdir -p. */
	snprintf(dir, sizeof(dir), "%s/open/a/b", topdir);
	snprintf(path, sizeof(path), "%s/ir.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	if (dynamo) {
		CHECK_EQ_INT(prepare_store("open"), 0);
		store_uri(uri, sizeof(uri), "open");
	}
	s = store_open(uri, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	if (!dynamo) {
		CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode));
		CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), 2);
	}
	mkorder(&o, "SKU-1-20240304", "SKU-1", "2024-03-04", 48);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	CHECK_EQ_STR(cur.order_id, "SKU-1-20240304");
	CHECK_EQ_INT(cur.status, ORDER_PENDING);
	CHECK_EQ_STR(cur.record, o.record);
	free(cur.record);
	store_close(s);

	/* A bare path is SQLite too, and the order is still there. */
	s = store_open(dynamo ? uri : path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(store_get_order(s, "SKU-1-20240304", &cur), STORE_OK);
	CHECK_EQ_STR(cur.item_id, "SKU-1");
	CHECK_EQ_INT(cur.status, ORDER_PENDING);
	CHECK_EQ_INT(cur.qty, 48);
	CHECK_EQ_STR(cur.supplier, "acme");
	CHECK_EQ_STR(cur.unit_cost, "2.50");
	CHECK_EQ_STR(cur.draft_date, "2024-03-04");
	CHECK_EQ_STR(cur.expected_date, "");
	CHECK_EQ_STR(cur.updated_at, "2024-03-04T09:00:00+01:00");
	CHECK_EQ_STR(cur.record, "{\"type\":\"draft\",\"qty\":48}");
	free(cur.record);
	store_close(s);
	if (dynamo)
		return;
	CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM orders"), 1);
	CHECK_EQ_INT(sql_int(path, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
}

TEST(test_schema_newer_refused)
{
	char path[256], err[256];
	struct store *s;
	sqlite3 *db;

	if ((s = open_store("newer")) == NULL) {
		CHECK(0);
		return;
	}
	store_close(s);
	dbpath(path, sizeof(path), "newer");
	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);

	err[0] = '\0';
	s = store_open(path, err, sizeof(err));
	CHECK(s == NULL);
	store_close(s);
	CHECK(strstr(err, "store was written by a newer release (schema 99)")
	    != NULL);
	/* Refused without a change to the file. */
	CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), 99);
}

TEST(test_create_conflict_same_item)
{
	struct store_order o, cur;
	struct store *s;

	if ((s = open_store("create")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "SKU-1-20240304", "SKU-1", "2024-03-04", 48);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);

	/* A draft of the next day for the same item: refused. */
	mkorder(&o, "SKU-1-20240305", "SKU-1", "2024-03-05", 60);
	o.record = NULL;
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur),
	    STORE_CONFLICT);
	CHECK_EQ_STR(cur.order_id, "SKU-1-20240304");
	CHECK_EQ_INT(cur.status, ORDER_PENDING);
	CHECK_EQ_INT(cur.qty, 48);
	CHECK_EQ_STR(cur.record, "{\"type\":\"draft\",\"qty\":48}");
	free(cur.record);
	CHECK_EQ_INT(store_get_order(s, "SKU-1-20240305", &cur),
	    STORE_NOTFOUND);
	CHECK(cur.record == NULL);

	/* Another item is not blocked. */
	mkorder(&o, "SKU-2-20240305", "SKU-2", "2024-03-05", 12);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, "SKU-1", "drafted"), 1);
	CHECK_EQ_INT(count_audit(s, NULL, NULL), 2);
	store_close(s);
}

TEST(test_create_conflict_same_id)
{
	struct store_transition t;
	struct store_order o, cur;
	struct store *s;

	if ((s = open_store("sameid")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "SKU-1-20240304", "SKU-1", "2024-03-04", 48);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	/* The same draft again (a re-run): refused with the order. */
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur),
	    STORE_CONFLICT);
	CHECK_EQ_STR(cur.order_id, "SKU-1-20240304");
	free(cur.record);

	/* Skipped, the item is free, but the id is still taken. */
	t = mktrans("SKU-1-20240304", ORDER_PENDING, ORDER_SKIPPED, "skipped",
	    "bob");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur),
	    STORE_CONFLICT);
	CHECK_EQ_STR(cur.order_id, "SKU-1-20240304");
	CHECK_EQ_INT(cur.status, ORDER_SKIPPED);
	CHECK_EQ_STR(cur.by_user, "bob");
	free(cur.record);
	mkorder(&o, "SKU-1-20240311", "SKU-1", "2024-03-11", 48);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, "SKU-1", "drafted"), 2);
	store_close(s);
}

TEST(test_lifecycle)
{
	struct store_transition t;
	struct store_order o, cur;
	struct store_audit a;
	struct audits as;
	struct store *s;
	const char *id = "SKU-7-20240304";

	if ((s = open_store("life")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, id, "SKU-7", "2024-03-04", 48);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);

	t = mktrans(id, ORDER_PENDING, ORDER_SENDING, "edited", "alice");
	t.qty = 60;
	t.note = "qty 48 -> 60";
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_SENDING);
	CHECK_EQ_INT(cur.qty, 60);
	CHECK_EQ_STR(cur.by_user, "alice");
	CHECK_EQ_STR(cur.updated_at, "2024-03-04T10:00:00+01:00");
	free(cur.record);

	t = mktrans(id, ORDER_SENDING, ORDER_ON_ORDER, "sent", "ir-approve");
	t.at = "2024-03-04T10:00:05+01:00";
	t.expected_date = "2024-03-11";
	t.message_id = "<po-1@shop.example>";
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_ON_ORDER);
	CHECK_EQ_INT(cur.qty, 60);
	CHECK_EQ_STR(cur.expected_date, "2024-03-11");
	CHECK_EQ_STR(cur.message_id, "<po-1@shop.example>");
	free(cur.record);

	t = mktrans(id, ORDER_ON_ORDER, ORDER_RECEIVED, "received", "pos");
	t.at = "2024-03-10T15:00:00+01:00";
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_RECEIVED);
	CHECK_EQ_STR(cur.expected_date, "2024-03-11");
	CHECK_EQ_STR(cur.message_id, "<po-1@shop.example>");
	CHECK_EQ_STR(cur.record, "{\"type\":\"draft\",\"qty\":48}");
	free(cur.record);

	memset(&as, 0, sizeof(as));
	CHECK_EQ_INT(store_list_audit(s, id, collect_audit, &as), STORE_OK);
	CHECK_EQ_INT(as.n, 4);
	if (as.n == 4) {
		CHECK_EQ_STR(as.a[0].action, "drafted");
		CHECK_EQ_STR(as.a[0].before, "");
		CHECK_EQ_STR(as.a[0].after, "pending");
		CHECK_EQ_STR(as.a[0].by_user, "ir-draft");
		CHECK_EQ_STR(as.a[0].ts, "2024-03-04T09:00:00+01:00");
		CHECK_EQ_STR(as.a[0].item_id, "SKU-7");
		CHECK_EQ_STR(as.a[1].action, "edited");
		CHECK_EQ_STR(as.a[1].before, "pending");
		CHECK_EQ_STR(as.a[1].after, "sending");
		CHECK_EQ_STR(as.a[1].by_user, "alice");
		CHECK_EQ_STR(as.a[1].note, "qty 48 -> 60");
		CHECK_EQ_STR(as.a[1].ts, "2024-03-04T10:00:00+01:00");
		CHECK_EQ_STR(as.a[2].action, "sent");
		CHECK_EQ_STR(as.a[2].before, "sending");
		CHECK_EQ_STR(as.a[2].after, "on-order");
		CHECK_EQ_STR(as.a[3].action, "received");
		CHECK_EQ_STR(as.a[3].before, "on-order");
		CHECK_EQ_STR(as.a[3].after, "received");
		CHECK_EQ_STR(as.a[3].by_user, "pos");
		CHECK(as.a[0].id < as.a[1].id && as.a[1].id < as.a[2].id &&
		    as.a[2].id < as.a[3].id);
	}
	/* The audit of the item is the same rows. */
	CHECK_EQ_INT(count_audit(s, "SKU-7", NULL), 4);

	CHECK_EQ_INT(store_last_audit(s, id, "approved, edited", &a),
	    STORE_OK);
	CHECK_EQ_STR(a.action, "edited");
	CHECK_EQ_STR(a.by_user, "alice");
	CHECK_EQ_INT(store_last_audit(s, id, NULL, &a), STORE_OK);
	CHECK_EQ_STR(a.action, "received");
	/* "send_failed" is matched exactly, '_' is no wildcard. */
	CHECK_EQ_INT(store_last_audit(s, id, "send_failed", &a),
	    STORE_NOTFOUND);
	CHECK_EQ_INT(store_last_audit(s, id, "sent_", &a), STORE_NOTFOUND);
	CHECK_EQ_INT(store_last_audit(s, "nope", "sent", &a), STORE_NOTFOUND);
	store_close(s);
}

TEST(test_send_failed_back_to_pending)
{
	struct store_transition t;
	struct store_order o, cur;
	struct store_audit a;
	struct store *s;

	if ((s = open_store("sendfail")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "SKU-8-20240304", "SKU-8", "2024-03-04", 10);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	t = mktrans(o.order_id, ORDER_PENDING, ORDER_SENDING, "approved",
	    "alice");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);
	t = mktrans(o.order_id, ORDER_SENDING, ORDER_PENDING, "send_failed",
	    "ir-approve");
	t.note = "smtp: 451 try later";
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_PENDING);
	free(cur.record);
	CHECK_EQ_INT(store_last_audit(s, o.order_id, "send_failed", &a),
	    STORE_OK);
	CHECK_EQ_STR(a.before, "sending");
	CHECK_EQ_STR(a.after, "pending");
	CHECK_EQ_STR(a.note, "smtp: 451 try later");
	store_close(s);
}

TEST(test_wrong_state_and_notfound)
{
	struct store_transition t;
	struct store_order o, cur;
	struct store *s;

	if ((s = open_store("wrong")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "SKU-3-20240304", "SKU-3", "2024-03-04", 5);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	t = mktrans(o.order_id, ORDER_PENDING, ORDER_SENDING, "approved",
	    "alice");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);

	/* A second click: the order is no longer pending. */
	t = mktrans(o.order_id, ORDER_PENDING, ORDER_SENDING, "approved",
	    "bob");
	t.qty = 99;
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_CONFLICT);
	CHECK_EQ_INT(cur.status, ORDER_SENDING);
	CHECK_EQ_STR(cur.by_user, "alice");
	CHECK_EQ_INT(cur.qty, 5);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, o.order_id, NULL), 2);

	/* A skip of an order already sending: nothing written. */
	t = mktrans(o.order_id, ORDER_PENDING, ORDER_SKIPPED, "skipped",
	    "bob");
	t.skip_until = "2024-03-11";
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_CONFLICT);
	CHECK_EQ_INT(cur.status, ORDER_SENDING);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, o.order_id, NULL), 2);

	/* An edge the state machine does not have. */
	t = mktrans(o.order_id, ORDER_SENDING, ORDER_RECEIVED, "received",
	    "bob");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_ERR);
	CHECK(strstr(store_error(s), "\"sending\" -> \"received\"") != NULL);
	CHECK_EQ_INT(count_audit(s, o.order_id, NULL), 2);

	t = mktrans("nope", ORDER_PENDING, ORDER_SENDING, "approved", "bob");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_NOTFOUND);
	CHECK(cur.record == NULL);
	CHECK_EQ_INT(store_get_order(s, "nope", &cur), STORE_NOTFOUND);
	CHECK_EQ_INT(count_audit(s, NULL, NULL), 2);
	store_close(s);
}

TEST(test_skip_sets_skip_until)
{
	struct store_item_state st[2];
	struct store_transition t;
	struct store_order o, cur;
	struct audits as;
	const char *ids[2] = { "SKU-4", "SKU-5" };
	struct store *s;
	char path[256];

	if ((s = open_store("skip")) == NULL) {
		CHECK(0);
		return;
	}
	/* Load the table first: the writes after must show in it. */
	CHECK_EQ_INT(store_item_states(s, ids, 2, st), STORE_OK);
	CHECK_EQ_INT(st[0].status, ORDER_NONE);
	CHECK_EQ_STR(st[0].item_id, "SKU-4");
	CHECK_EQ_STR(st[0].skip_until, "");

	mkorder(&o, "SKU-4-20240304", "SKU-4", "2024-03-04", 5);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(store_item_states(s, ids, 2, st), STORE_OK);
	CHECK_EQ_INT(st[0].status, ORDER_PENDING);
	CHECK_EQ_STR(st[0].order_id, "SKU-4-20240304");
	CHECK_EQ_INT(st[1].status, ORDER_NONE);

	t = mktrans(o.order_id, ORDER_PENDING, ORDER_SKIPPED, "skipped",
	    "alice");
	t.skip_until = "2024-03-11";
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_SKIPPED);
	free(cur.record);
	CHECK_EQ_INT(store_item_states(s, ids, 2, st), STORE_OK);
	CHECK_EQ_INT(st[0].status, ORDER_NONE);
	CHECK_EQ_STR(st[0].order_id, "");
	CHECK_EQ_STR(st[0].skip_until, "2024-03-11");
	CHECK_EQ_STR(st[1].skip_until, "");
	store_close(s);

	/* A new connection reads the same from the file. */
	if ((s = open_store("skip")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(store_item_states(s, ids, 2, st), STORE_OK);
	CHECK_EQ_INT(st[0].status, ORDER_NONE);
	CHECK_EQ_STR(st[0].skip_until, "2024-03-11");
	memset(&as, 0, sizeof(as));
	CHECK_EQ_INT(store_list_audit(s, "SKU-4", collect_audit, &as),
	    STORE_OK);
	CHECK_EQ_INT(as.n, 2);
	if (as.n == 2) {
		CHECK_EQ_STR(as.a[1].action, "skipped");
		CHECK_EQ_STR(as.a[1].before, "pending");
		CHECK_EQ_STR(as.a[1].after, "skipped");
		CHECK_EQ_STR(as.a[1].by_user, "alice");
	}
	store_close(s);
	if (dynamo)
		return;
	dbpath(path, sizeof(path), "skip");
	CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM audit WHERE "
	    "action = 'skipped' AND \"before\" = 'pending' AND "
	    "\"after\" = 'skipped' AND by_user = 'alice'"), 1);
}

TEST(test_item_states_constant_round_trips)
{
	static char idbuf[10000][16];
	static const char *ids[10000];
	static struct store_item_state st[100];
	struct store_move_note m[3];
	struct store_order o, cur;
	struct store *s;
	unsigned long before;
	char oid[64];
	int i, j, open = 0, other = 0;

	if ((s = open_store("trips")) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < 10000; i++) {
		snprintf(idbuf[i], sizeof(idbuf[i]), "SKU-%05d", i);
		ids[i] = idbuf[i];
	}
	for (i = 0; i < 10000; i += 500) {
		snprintf(oid, sizeof(oid), "%s-20240304", ids[i]);
		mkorder(&o, oid, ids[i], "2024-03-04", 12);
		CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur),
		    STORE_OK);
		free(cur.record);
	}
	m[0] = (struct store_move_note){ "SKU-00001", "watch",
	    "2024-03-04T08:00:00+01:00" };
	m[1] = (struct store_move_note){ "SKU-00002", "reorder",
	    "2024-03-04T08:00:00+01:00" };
	m[2] = (struct store_move_note){ "SKU-00003", "stocked",
	    "2024-03-04T08:00:00+01:00" };
	CHECK_EQ_INT(store_note_moves(s, m, 3), STORE_OK);
	store_close(s);

	/* A fresh connection: the first call loads, the rest are free. */
	if ((s = open_store("trips")) == NULL) {
		CHECK(0);
		return;
	}
	before = store_round_trips(s);
	for (i = 0; i < 10000; i += 100) {
		CHECK_EQ_INT(store_item_states(s, ids + i, 100, st), STORE_OK);
		for (j = 0; j < 100; j++) {
			if (st[j].status == ORDER_PENDING)
				open++;
			else if (st[j].status != ORDER_NONE)
				other++;
			/* Moves are store_list_items' to show. */
			if (i + j == 2) {
				CHECK_EQ_STR(st[j].item_id, "SKU-00002");
				CHECK_EQ_STR(st[j].last_move, "");
				CHECK_EQ_STR(st[j].last_checked, "");
			}
			if (i + j == 500) {
				CHECK_EQ_STR(st[j].order_id,
				    "SKU-00500-20240304");
				CHECK_EQ_STR(st[j].item_id, "SKU-00500");
			}
		}
	}
	/* SQLite: one query; DynamoDB: one BatchGetItem per 100 items. */
	if (dynamo)
		CHECK(store_round_trips(s) - before <= 10000 / 100);
	else
		CHECK(store_round_trips(s) - before <= 3);
	CHECK_EQ_INT(open, 20);
	CHECK_EQ_INT(other, 0);

	/* Its own write is seen without another load. */
	mkorder(&o, "SKU-00007-20240305", "SKU-00007", "2024-03-05", 12);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	before = store_round_trips(s);
	CHECK_EQ_INT(store_item_states(s, ids, 100, st), STORE_OK);
	CHECK_EQ_INT(st[7].status, ORDER_PENDING);
	CHECK_EQ_INT(store_round_trips(s) - before, dynamo ? 1 : 0);
	store_close(s);
}

/* Collects item states (up to 8). */
struct items {
	struct store_item_state s[8];
	int	 n;
};

static int
collect_item(void *ctx, const struct store_item_state *s)
{
	struct items *it = ctx;

	if (it->n < 8)
		it->s[it->n] = *s;
	it->n++;
	return 0;
}

TEST(test_note_moves_list_items)
{
	struct store_move_note m[3];
	struct store_item_state st[1];
	struct store_order o, cur;
	struct items it;
	struct store *s;
	const char *ids[1] = { "B" };
	unsigned long before;

	if ((s = open_store("moves")) == NULL) {
		CHECK(0);
		return;
	}
	m[0] = (struct store_move_note){ "B", "watch",
	    "2024-03-04T08:00:00+01:00" };
	m[1] = (struct store_move_note){ "A", "reorder",
	    "2024-03-04T08:00:00+01:00" };
	m[2] = (struct store_move_note){ "C", "stocked",
	    "2024-03-04T08:00:00+01:00" };
	before = store_round_trips(s);
	CHECK_EQ_INT(store_note_moves(s, m, 3), STORE_OK);
	/*
	 * SQLite: BEGIN, the batch of upserts (one trip, as a batch write),
	 * COMMIT. DynamoDB: one BatchWriteItem (up to 25 items).
	 */
	CHECK_EQ_INT(store_round_trips(s) - before, dynamo ? 1 : 3);

	/* item_states leaves moves empty; list_items has the latest. */
	CHECK_EQ_INT(store_item_states(s, ids, 1, st), STORE_OK);
	CHECK_EQ_STR(st[0].item_id, "B");
	CHECK_EQ_STR(st[0].last_move, "");
	CHECK_EQ_INT(st[0].status, ORDER_NONE);
	m[0].move = "reorder";
	m[0].checked_at = "2024-03-05T08:00:00+01:00";
	CHECK_EQ_INT(store_note_moves(s, m, 1), STORE_OK);

	/* An item with an open order and no state row is listed too. */
	mkorder(&o, "D-20240304", "D", "2024-03-04", 3);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	mkorder(&o, "A-20240304", "A", "2024-03-04", 3);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);

	memset(&it, 0, sizeof(it));
	CHECK_EQ_INT(store_list_items(s, NULL, collect_item, &it), STORE_OK);
	CHECK_EQ_INT(it.n, 4);
	if (it.n == 4) {
		CHECK_EQ_STR(it.s[0].item_id, "A");
		CHECK_EQ_STR(it.s[0].last_move, "reorder");
		CHECK_EQ_STR(it.s[0].order_id, "A-20240304");
		CHECK_EQ_INT(it.s[0].status, ORDER_PENDING);
		CHECK_EQ_STR(it.s[1].item_id, "B");
		CHECK_EQ_STR(it.s[1].last_move, "reorder");
		CHECK_EQ_STR(it.s[1].last_checked,
		    "2024-03-05T08:00:00+01:00");
		CHECK_EQ_INT(it.s[1].status, ORDER_NONE);
		CHECK_EQ_STR(it.s[1].order_id, "");
		CHECK_EQ_STR(it.s[2].item_id, "C");
		CHECK_EQ_STR(it.s[2].last_move, "stocked");
		CHECK_EQ_STR(it.s[3].item_id, "D");
		CHECK_EQ_STR(it.s[3].last_move, "");
		CHECK_EQ_INT(it.s[3].status, ORDER_PENDING);
	}
	memset(&it, 0, sizeof(it));
	CHECK_EQ_INT(store_list_items(s, "C", collect_item, &it), STORE_OK);
	CHECK_EQ_INT(it.n, 1);
	CHECK_EQ_INT(store_note_moves(s, m, 0), STORE_OK);
	store_close(s);
}

/* Collects orders' ids in listing order. */
struct orders {
	char	 ids[8][STORE_ID_MAX];
	int	 n, stop_after;
};

static int
collect_order(void *ctx, const struct store_order *o)
{
	struct orders *os = ctx;

	if (os->n < 8)
		snprintf(os->ids[os->n], sizeof(os->ids[0]), "%s",
		    o->order_id);
	os->n++;
	return os->stop_after != 0 && os->n >= os->stop_after;
}

TEST(test_list_orders)
{
	struct store_transition t;
	struct store_order o, cur;
	struct orders os;
	struct store *s;

	if ((s = open_store("list")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "X-20240301", "X", "2024-03-01", 1);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	t = mktrans(o.order_id, ORDER_PENDING, ORDER_SKIPPED, "skipped", "a");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);
	mkorder(&o, "X-20240305", "X", "2024-03-05", 1);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	mkorder(&o, "Y-20240305", "Y", "2024-03-05", 1);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);

	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, NULL, NULL, collect_order, &os),
	    STORE_OK);
	CHECK_EQ_INT(os.n, 3);
	CHECK_EQ_STR(os.ids[0], "X-20240305");
	CHECK_EQ_STR(os.ids[1], "Y-20240305");
	CHECK_EQ_STR(os.ids[2], "X-20240301");

	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, "pending", NULL, collect_order,
	    &os), STORE_OK);
	CHECK_EQ_INT(os.n, 2);
	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, NULL, "X", collect_order, &os),
	    STORE_OK);
	CHECK_EQ_INT(os.n, 2);
	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, "skipped", "X", collect_order,
	    &os), STORE_OK);
	CHECK_EQ_INT(os.n, 1);
	CHECK_EQ_STR(os.ids[0], "X-20240301");

	/* A callback returning non-zero stops the listing. */
	memset(&os, 0, sizeof(os));
	os.stop_after = 1;
	CHECK_EQ_INT(store_list_orders(s, NULL, NULL, collect_order, &os),
	    STORE_OK);
	CHECK_EQ_INT(os.n, 1);
	/* The statement was reset: the next listing starts over. */
	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, NULL, NULL, collect_order, &os),
	    STORE_OK);
	CHECK_EQ_INT(os.n, 3);
	store_close(s);
}

/* What the store_due callback saw; it may undefer as it goes. */
struct dues {
	struct store *s;
	char	 items[8][16];
	char	 records[8][32];
	int	 n, undefer;
};

static int
collect_due(void *ctx, const char *item_id, const char *record)
{
	struct dues *d = ctx;

	if (d->n < 8) {
		snprintf(d->items[d->n], sizeof(d->items[0]), "%s", item_id);
		snprintf(d->records[d->n], sizeof(d->records[0]), "%s",
		    record);
	}
	d->n++;
	if (d->undefer && store_undefer(d->s, item_id) != STORE_OK)
		return 1;
	return 0;
}

TEST(test_defer_due_undefer)
{
	struct dues d;
	struct store *s;

	if ((s = open_store("defer")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(store_defer(s, "A", 100, "{\"a\":1}", 7), STORE_OK);
	CHECK_EQ_INT(store_defer(s, "B", 50, "{\"b\":1}", 7), STORE_OK);
	/* len, not the NUL, ends the record. */
	CHECK_EQ_INT(store_defer(s, "C", 200, "{\"c\":1}trailing", 7),
	    STORE_OK);

	memset(&d, 0, sizeof(d));
	CHECK_EQ_INT(store_due(s, 150, collect_due, &d), STORE_OK);
	CHECK_EQ_INT(d.n, 2);
	CHECK_EQ_STR(d.items[0], "B");
	CHECK_EQ_STR(d.records[0], "{\"b\":1}");
	CHECK_EQ_STR(d.items[1], "A");

	/* A later deferral of A replaces the first. */
	CHECK_EQ_INT(store_defer(s, "A", 300, "{\"a\":2}", 7), STORE_OK);
	memset(&d, 0, sizeof(d));
	CHECK_EQ_INT(store_due(s, 150, collect_due, &d), STORE_OK);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_STR(d.items[0], "B");

	/* The callback may write: each due draft is undeferred as sent. */
	memset(&d, 0, sizeof(d));
	d.s = s;
	d.undefer = 1;
	CHECK_EQ_INT(store_due(s, 1000, collect_due, &d), STORE_OK);
	CHECK_EQ_INT(d.n, 3);
	CHECK_EQ_STR(d.items[0], "B");
	CHECK_EQ_STR(d.items[1], "C");
	CHECK_EQ_STR(d.records[1], "{\"c\":1}");
	CHECK_EQ_STR(d.items[2], "A");
	CHECK_EQ_STR(d.records[2], "{\"a\":2}");
	memset(&d, 0, sizeof(d));
	CHECK_EQ_INT(store_due(s, 1000, collect_due, &d), STORE_OK);
	CHECK_EQ_INT(d.n, 0);
	/* Undefer is idempotent. */
	CHECK_EQ_INT(store_undefer(s, "A"), STORE_OK);
	store_close(s);
}

/* A listing callback that calls the same listing: refused, not broken. */
static int
nested_list(void *ctx, const struct store_order *o)
{
	struct store *s = ctx;
	struct orders os;

	memset(&os, 0, sizeof(os));
	return store_list_orders(s, NULL, NULL, collect_order, &os) ==
	    STORE_ERR ? 0 : 1;
}

TEST(test_reentrant_listing)
{
	struct store_order o, cur;
	struct orders os;
	struct store *s;

	if ((s = open_store("nested")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "N-1", "N", "2024-03-01", 1);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(store_list_orders(s, NULL, NULL, nested_list, s),
	    STORE_OK);
	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, NULL, NULL, collect_order, &os),
	    STORE_OK);
	CHECK_EQ_INT(os.n, 1);
	store_close(s);
}

TEST(test_locked_is_unavailable)
{
	struct store_transition t;
	struct store_order o, cur;
	struct store *s;
	char path[256];
	sqlite3 *db;

	if ((s = open_store("locked")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "L-1", "L", "2024-03-01", 1);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	dbpath(path, sizeof(path), "locked");
	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	/* Waits the busy timeout (5 s), then asks for a retry. */
	t = mktrans("L-1", ORDER_PENDING, ORDER_SENDING, "approved", "alice");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_UNAVAILABLE);
	CHECK(strstr(store_error(s), "locked") != NULL);
	/* Readers are not blocked by the writer (WAL). */
	CHECK_EQ_INT(store_get_order(s, "L-1", &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_PENDING);
	free(cur.record);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);
	store_close(s);
}

/*
 * Reads a row of one test's DynamoDB table: *out (owned) or NULL. The
 * key is taken.
 */
static int
ddb_row(const char *name, const char *table, json_t *key, json_t **out)
{
	struct aws_error e;
	json_t *reply = NULL, *req;
	char prefix[128], tname[192];
	int rc;

	*out = NULL;
	ddb_test_prefix(prefix, sizeof(prefix), name);
	snprintf(tname, sizeof(tname), "%s%s", prefix, table);
	if ((req = json_pack("{s:s,s:o,s:b}", "TableName", tname, "Key", key,
	    "ConsistentRead", 1)) == NULL)
		return -1;
	rc = aws_json(&aws_dynamodb, "1.0", "DynamoDB_20120810.GetItem",
	    req, &reply, &e);
	json_decref(req);
	if (rc == 0 && (*out = json_object_get(reply, "Item")) != NULL)
		json_incref(*out);
	json_decref(reply);
	return rc;
}

/*
 * DynamoDB: a writer that stopped right after its one deciding write (the
 * item's head, with the journal of what it means) and before the order
 * and audit rows. The write has happened: the next program that touches
 * the item applies the journal first, so it decides on the truth, the
 * audit row appears exactly once, and the order row catches up.
 */
TEST(test_journal_applied_by_next_reader)
{
	struct store_transition t;
	struct store_order o, cur;
	struct aws_error e;
	json_t *row = NULL, *image, *audit, *req, *head = NULL;
	char prefix[128], tname[192];
	struct store *s;
	int rc;

	if ((s = open_store("journal")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "J-1", "J", "2024-03-04", 6);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);

	/* carol's approval, as a program that died would have left it. */
	CHECK_EQ_INT(ddb_row("journal", "ir-orders", json_pack("{s:{s:s},"
	    "s:{s:s}}", "item_id", "S", "J", "order_id", "S", "J-1"), &row),
	    0);
	CHECK(row != NULL);
	if (row == NULL) {
		store_close(s);
		return;
	}
	image = json_deep_copy(row);
	json_object_set_new(image, "status", json_pack("{s:s}", "S",
	    "sending"));
	json_object_set_new(image, "by_user", json_pack("{s:s}", "S",
	    "carol"));
	json_object_set_new(image, "ver", json_pack("{s:s}", "N", "2"));
	audit = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},"
	    "s:{s:s},s:{s:s},s:{s:s},s:{s:s}}", "item_id", "S", "J", "ts",
	    "S", "2024-03-04T09:30:00Z#000000000002", "at", "S",
	    "2024-03-04T10:30:00+01:00", "order_id", "S", "J-1", "action",
	    "S", "approved", "by_user", "S", "carol", "before", "S",
	    "pending", "after", "S", "sending", "note", "S", "", "seq", "N",
	    "2");
	ddb_test_prefix(prefix, sizeof(prefix), "journal");
	snprintf(tname, sizeof(tname), "%sir-orders", prefix);
	req = json_pack("{s:s,s:{s:{s:s},s:{s:s}},s:s,s:s,s:{s:s,s:s,s:s},"
	    "s:{s:{s:s},s:{s:s},s:{s:{s:{s:s},s:{s:o},s:{s:o}}},s:{s:s}}}",
	    "TableName", tname, "Key", "item_id", "S", "J", "order_id", "S",
	    "#head", "UpdateExpression",
	    "SET #ver = :v2, #os = :st, #j = :j",
	    "ConditionExpression", "#ver = :v1",
	    "ExpressionAttributeNames", "#ver", "ver", "#os", "open_status",
	    "#j", "j", "ExpressionAttributeValues",
	    ":v2", "N", "2", ":st", "S", "sending",
	    ":j", "M", "v", "N", "2", "order", "M", image, "audit", "M",
	    audit, ":v1", "N", "1");
	rc = aws_json(&aws_dynamodb, "1.0", "DynamoDB_20120810.UpdateItem",
	    req, NULL, &e);
	json_decref(req);
	json_decref(row);
	CHECK_EQ_INT(rc, 0);

	/* dave's approval loses to carol's, which did happen. */
	t = mktrans("J-1", ORDER_PENDING, ORDER_SENDING, "approved", "dave");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_CONFLICT);
	CHECK_EQ_INT(cur.status, ORDER_SENDING);
	CHECK_EQ_STR(cur.by_user, "carol");
	free(cur.record);
	/* The rows caught up, once: the journal is gone. */
	CHECK_EQ_INT(count_audit(s, "J-1", "approved"), 1);
	CHECK_EQ_INT(count_audit(s, "J", NULL), 2);
	CHECK_EQ_INT(ddb_row("journal", "ir-orders", json_pack("{s:{s:s},"
	    "s:{s:s}}", "item_id", "S", "J", "order_id", "S", "J-1"), &row),
	    0);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(row,
	    "status"), "S")), "sending");
	json_decref(row);
	CHECK_EQ_INT(ddb_row("journal", "ir-orders", json_pack("{s:{s:s},"
	    "s:{s:s}}", "item_id", "S", "J", "order_id", "S", "#head"),
	    &head), 0);
	CHECK(head != NULL && json_object_get(head, "j") == NULL);
	json_decref(head);
	/* And the order goes on from where carol left it. */
	t = mktrans("J-1", ORDER_SENDING, ORDER_ON_ORDER, "sent", "ir-approve");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, "J", NULL), 3);
	store_close(s);
}

/*
 * DynamoDB down: a call fails as STORE_UNAVAILABLE (the programs exit 75,
 * retry later), opening fails with what to fix (they exit 69), nothing is
 * half written, and the same call passes when the service is back.
 */
TEST(test_unreachable_is_unavailable)
{
	struct store_transition t;
	struct store_order o, cur;
	struct store *s;
	char uri[300], err[512], saved[512];
	const char *v;

	if ((s = open_store("down")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "D-1", "D", "2024-03-01", 1);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	v = config_get(cfg, "AWS_ENDPOINT_URL_DYNAMODB");
	snprintf(saved, sizeof(saved), "%s", v != NULL ? v : "");
	CHECK_EQ_INT(config_set(cfg, "AWS_ENDPOINT_URL_DYNAMODB",
	    "http://127.0.0.1:1"), 0);
	CHECK_EQ_INT(config_set(cfg, "IR_HTTP_RETRIES", "1"), 0);

	t = mktrans("D-1", ORDER_PENDING, ORDER_SENDING, "approved", "alice");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_UNAVAILABLE);
	CHECK(strstr(store_error(s), "unavailable") != NULL);
	CHECK(strstr(store_error(s), "127.0.0.1:1") != NULL);
	store_uri(uri, sizeof(uri), "down");
	err[0] = '\0';
	CHECK(store_open(uri, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot reach http://127.0.0.1:1") != NULL);

	CHECK_EQ_INT(config_set(cfg, "AWS_ENDPOINT_URL_DYNAMODB", saved), 0);
	CHECK_EQ_INT(config_set(cfg, "IR_HTTP_RETRIES", ""), 0);
	CHECK_EQ_INT(count_audit(s, "D-1", NULL), 1);
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_SENDING);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, "D-1", NULL), 2);
	store_close(s);
}

/*
 * Runs fn(i) in NCHILD forked children, each with its own connection,
 * released together through a pipe. res[i] is child i's exit status
 * (a store result + 10), or -1.
 */
static void
race(const char *name, int (*fn)(struct store *, int), int *res)
{
	pid_t pids[NCHILD], pid;
	int gate[2], i, j, status, r;
	struct store *s;
	char c;

	for (i = 0; i < NCHILD; i++)
		res[i] = -1;
	if (prepare_store(name) == -1 || pipe(gate) == -1)
		return;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < NCHILD; i++) {
		if ((pids[i] = fork()) == -1)
			break;
		if (pids[i] == 0) {
			close(gate[1]);
			if ((s = open_store(name)) == NULL)
				_exit(2);
			/* EOF when the parent closes its end: all start. */
			while (read(gate[0], &c, 1) == -1 && errno == EINTR)
				;
			r = fn(s, i);
			store_close(s);
			_exit(r + 10);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (j = 0; j < i; j++) {
		if ((pid = waitpid(pids[j], &status, 0)) == -1)
			continue;
		if (WIFEXITED(status))
			res[j] = WEXITSTATUS(status);
	}
}

static int
race_approve(struct store *s, int i)
{
	struct store_transition t;
	struct store_order cur;
	char user[32];
	int r;

	snprintf(user, sizeof(user), "user-%d", i);
	t = mktrans("R-1", ORDER_PENDING, ORDER_SENDING, "approved", user);
	r = store_transition(s, &t, &cur);
	free(cur.record);
	return r;
}

TEST(test_race_transition)
{
	struct store_order o, cur;
	struct store *s;
	int res[NCHILD], i, ok = 0, conflict = 0, winner = -1;
	char user[32];

	if ((s = open_store("race1")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "R-1", "R", "2024-03-04", 24);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	store_close(s);

	race("race1", race_approve, res);
	for (i = 0; i < NCHILD; i++) {
		if (res[i] == STORE_OK + 10) {
			ok++;
			winner = i;
		} else if (res[i] == STORE_CONFLICT + 10)
			conflict++;
		else
			fprintf(stderr, "child %d: status %d\n", i, res[i]);
	}
	CHECK_EQ_INT(ok, 1);
	CHECK_EQ_INT(conflict, NCHILD - 1);

	if ((s = open_store("race1")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(store_get_order(s, "R-1", &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_SENDING);
	snprintf(user, sizeof(user), "user-%d", winner);
	CHECK_EQ_STR(cur.by_user, user);
	free(cur.record);
	CHECK_EQ_INT(count_audit(s, "R-1", "approved"), 1);
	store_close(s);
}

static int
race_create(struct store *s, int i)
{
	struct store_order o, cur;
	char oid[32];
	int r;

	snprintf(oid, sizeof(oid), "R-2-%d", i);
	mkorder(&o, oid, "R-2", "2024-03-04", 24);
	r = store_create_pending(s, &o, "ir-draft", &cur);
	/* The loser is told which order won. */
	if (r == STORE_CONFLICT && (cur.status != ORDER_PENDING ||
	    strncmp(cur.order_id, "R-2-", 4) != 0))
		r = 40;
	free(cur.record);
	return r;
}

TEST(test_race_create)
{
	struct orders os;
	struct store *s;
	int res[NCHILD], i, ok = 0, conflict = 0;

	if ((s = open_store("race2")) == NULL) {
		CHECK(0);
		return;
	}
	store_close(s);

	race("race2", race_create, res);
	for (i = 0; i < NCHILD; i++) {
		if (res[i] == STORE_OK + 10)
			ok++;
		else if (res[i] == STORE_CONFLICT + 10)
			conflict++;
		else
			fprintf(stderr, "child %d: status %d\n", i, res[i]);
	}
	CHECK_EQ_INT(ok, 1);
	CHECK_EQ_INT(conflict, NCHILD - 1);

	if ((s = open_store("race2")) == NULL) {
		CHECK(0);
		return;
	}
	memset(&os, 0, sizeof(os));
	CHECK_EQ_INT(store_list_orders(s, NULL, "R-2", collect_order, &os),
	    STORE_OK);
	CHECK_EQ_INT(os.n, 1);
	CHECK_EQ_INT(count_audit(s, "R-2", "drafted"), 1);
	store_close(s);
}

static int
race_nothing(struct store *s, int i)
{
	return STORE_OK;
}

TEST(test_race_first_open)
{
	char path[256];
	int res[NCHILD], i, ok = 0;

	/* Eight programs start on a store that does not exist yet. */
	race("race3", race_nothing, res);
	for (i = 0; i < NCHILD; i++) {
		if (res[i] == STORE_OK + 10)
			ok++;
		else
			fprintf(stderr, "child %d: status %d\n", i, res[i]);
	}
	CHECK_EQ_INT(ok, NCHILD);
	if (dynamo)
		return;
	dbpath(path, sizeof(path), "race3");
	CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), 2);
}

/* Pending deltas a listing collects (up to 16). */
struct pendings {
	char	 item[16][32];
	long long delta[16];
	int	 n;
};

static int
collect_pending(void *ctx, const char *item_id, long long delta)
{
	struct pendings *ps = ctx;

	if (ps->n < 16) {
		snprintf(ps->item[ps->n], sizeof(ps->item[0]), "%s", item_id);
		ps->delta[ps->n] = delta;
	}
	ps->n++;
	return 0;
}

/* The pending delta of item as the listing shows it (0: not listed). */
static long long
pending_of(struct store *s, const char *item)
{
	struct pendings ps;
	int i;

	memset(&ps, 0, sizeof(ps));
	if (store_pos_pending(s, collect_pending, &ps) != STORE_OK)
		return -999999;
	for (i = 0; i < ps.n && i < 16; i++)
		if (strcmp(ps.item[i], item) == 0)
			return ps.delta[i];
	return 0;
}

/*
 * POS events: each id counts once, deltas add up per item, the listing
 * shows the items with a non-zero delta by item_id, and an item with POS
 * state still gets and moves its orders.
 */
TEST(test_pos_event_counts_once)
{
	struct store_transition t;
	struct store_order o, cur;
	struct pendings ps;
	struct store *s;
	long long p;

	if ((s = open_store("pos")) == NULL) {
		CHECK(0);
		return;
	}
	memset(&ps, 0, sizeof(ps));
	CHECK_EQ_INT(store_pos_pending(s, collect_pending, &ps), STORE_OK);
	CHECK_EQ_INT(ps.n, 0);
	CHECK_EQ_INT(store_pos_seen(s, "E1"), STORE_NOTFOUND);

	p = 42;
	CHECK_EQ_INT(store_pos_event(s, "E1", "B", -3, "2024-03-04T10:00:00Z",
	    &p), STORE_OK);
	CHECK_EQ_INT(p, -3);
	/* The POS retries: nothing changes, the answer says so. */
	p = 42;
	CHECK_EQ_INT(store_pos_event(s, "E1", "B", -3, "2024-03-04T10:00:00Z",
	    &p), STORE_CONFLICT);
	CHECK_EQ_INT(p, -3);
	/* The same id for another item is the same event. */
	CHECK_EQ_INT(store_pos_event(s, "E1", "A", -9, NULL, &p),
	    STORE_CONFLICT);
	CHECK_EQ_INT(p, 0);
	CHECK_EQ_INT(store_pos_seen(s, "E1"), STORE_OK);
	CHECK_EQ_INT(store_pos_event(s, "E2", "B", 5, NULL, &p), STORE_OK);
	CHECK_EQ_INT(p, 2);
	CHECK_EQ_INT(store_pos_event(s, "E3", "A", -1, NULL, NULL), STORE_OK);
	CHECK_EQ_INT(store_pos_event(s, "E4", "C", -2, NULL, &p), STORE_OK);
	CHECK_EQ_INT(store_pos_event(s, "E5", "C", 2, NULL, &p), STORE_OK);
	CHECK_EQ_INT(p, 0);

	/* C is back to 0: not listed. */
	memset(&ps, 0, sizeof(ps));
	CHECK_EQ_INT(store_pos_pending(s, collect_pending, &ps), STORE_OK);
	CHECK_EQ_INT(ps.n, 2);
	CHECK_EQ_STR(ps.item[0], "A");
	CHECK_EQ_INT(ps.delta[0], -1);
	CHECK_EQ_STR(ps.item[1], "B");
	CHECK_EQ_INT(ps.delta[1], 2);

	/* Refused before the backend: nothing to count, no id. */
	CHECK_EQ_INT(store_pos_event(s, "E6", "B", 0, NULL, &p), STORE_ERR);
	CHECK_EQ_INT(store_pos_event(s, "", "B", -1, NULL, &p), STORE_ERR);
	CHECK_EQ_INT(store_pos_event(s, "E7", "", -1, NULL, &p), STORE_ERR);
	CHECK_EQ_INT(store_pos_seen(s, "E6"), STORE_NOTFOUND);

	/* B's orders work as before, and leave its pending delta alone. */
	mkorder(&o, "B-1", "B", "2024-03-04", 12);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	t = mktrans("B-1", ORDER_PENDING, ORDER_SENDING, "approved", "alice");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	free(cur.record);
	CHECK_EQ_INT(store_pos_event(s, "E8", "B", -1, NULL, &p), STORE_OK);
	CHECK_EQ_INT(p, 1);
	t = mktrans("B-1", ORDER_SENDING, ORDER_ON_ORDER, "sent", "alice");
	CHECK_EQ_INT(store_transition(s, &t, &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_ON_ORDER);
	free(cur.record);
	CHECK_EQ_INT(pending_of(s, "B"), 1);
	CHECK_EQ_INT(count_audit(s, "B", NULL), 3);
	store_close(s);
}

/*
 * A flush settles exactly what it wrote, once: a second settle of the
 * same flush changes nothing, a sale counted meanwhile stays pending, and
 * each settle leaves one audit row.
 */
TEST(test_pos_settle)
{
	struct audits as;
	struct store *s;
	long long p;
	int i, flushed;

	if ((s = open_store("settle")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(store_pos_event(s, "S1", "A", -4, NULL, &p), STORE_OK);
	CHECK_EQ_INT(store_pos_event(s, "S2", "A", -3, NULL, &p), STORE_OK);
	CHECK_EQ_INT(store_pos_event(s, "S3", "B", 6, NULL, &p), STORE_OK);
	/* The flush took A -7, B +6; then A sells 2 more. */
	CHECK_EQ_INT(store_pos_event(s, "S4", "A", -2, NULL, &p), STORE_OK);
	CHECK_EQ_INT(p, -9);
	CHECK_EQ_INT(store_pos_settle(s, "A", -7, "F1", "2024-03-04T10:05:00Z"),
	    STORE_OK);
	CHECK_EQ_INT(pending_of(s, "A"), -2);
	/* Again (a flush finished by the next one): nothing changes. */
	CHECK_EQ_INT(store_pos_settle(s, "A", -7, "F1", "2024-03-04T10:06:00Z"),
	    STORE_CONFLICT);
	CHECK_EQ_INT(pending_of(s, "A"), -2);
	CHECK_EQ_INT(store_pos_settle(s, "B", 6, "F1", "2024-03-04T10:05:00Z"),
	    STORE_OK);
	CHECK_EQ_INT(pending_of(s, "B"), 0);
	CHECK_EQ_INT(store_pos_settle(s, "B", 6, "F1", "2024-03-04T10:05:00Z"),
	    STORE_CONFLICT);
	/* The next flush takes the rest. */
	CHECK_EQ_INT(store_pos_settle(s, "A", -2, "F2", "2024-03-04T10:10:00Z"),
	    STORE_OK);
	CHECK_EQ_INT(pending_of(s, "A"), 0);
	CHECK_EQ_INT(store_pos_settle(s, "Z", -1, "F2", NULL), STORE_NOTFOUND);
	CHECK_EQ_INT(store_pos_settle(s, "A", 0, "F3", NULL), STORE_ERR);
	CHECK_EQ_INT(store_pos_settle(s, "A", -1, "", NULL), STORE_ERR);

	memset(&as, 0, sizeof(as));
	CHECK_EQ_INT(store_list_audit(s, "A", collect_audit, &as), STORE_OK);
	for (i = flushed = 0; i < as.n && i < 16; i++)
		if (strcmp(as.a[i].action, "flushed") == 0) {
			flushed++;
			CHECK_EQ_STR(as.a[i].by_user, "ir-flush");
			CHECK_EQ_STR(as.a[i].order_id, "");
		}
	CHECK_EQ_INT(flushed, 2);
	CHECK_EQ_INT(as.n, 2);
	CHECK(as.n > 0 && strstr(as.a[0].note, "-7") != NULL &&
	    strstr(as.a[0].note, "F1") != NULL);
	CHECK_EQ_STR(as.a[0].ts, "2024-03-04T10:05:00Z");
	CHECK_EQ_INT(count_audit(s, "B", "flushed"), 1);
	store_close(s);
}

/* The flush intent: one at a time, compare and swap. */
TEST(test_flush_intent)
{
	struct store_flush f, g, cur;
	struct store *s;

	if ((s = open_store("intent")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(store_flush_get(s, &cur), STORE_NOTFOUND);
	memset(&f, 0, sizeof(f));
	snprintf(f.flush_id, sizeof(f.flush_id), "F1");
	snprintf(f.owner, sizeof(f.owner), "host 10 1700000000");
	f.record = "{\"state\":\"claimed\"}";
	g = f;
	snprintf(g.flush_id, sizeof(g.flush_id), "F2");
	snprintf(g.owner, sizeof(g.owner), "host 11 1700000001");

	CHECK_EQ_INT(store_flush_swap(s, NULL, NULL, &f), STORE_OK);
	/* A second flusher cannot claim it. */
	CHECK_EQ_INT(store_flush_swap(s, NULL, NULL, &g), STORE_CONFLICT);
	CHECK_EQ_INT(store_flush_get(s, &cur), STORE_OK);
	CHECK_EQ_STR(cur.flush_id, "F1");
	CHECK_EQ_STR(cur.owner, "host 10 1700000000");
	CHECK_EQ_STR(cur.record, "{\"state\":\"claimed\"}");
	free(cur.record);

	/* Its owner writes it on; nobody else does. */
	f.record = "{\"state\":\"written\"}";
	CHECK_EQ_INT(store_flush_swap(s, "F1", "host 10 1700000000", &f),
	    STORE_OK);
	CHECK_EQ_INT(store_flush_swap(s, "F1", "host 11 1700000001", &g),
	    STORE_CONFLICT);
	CHECK_EQ_INT(store_flush_swap(s, "F9", "host 10 1700000000", &g),
	    STORE_CONFLICT);
	CHECK_EQ_INT(store_flush_get(s, &cur), STORE_OK);
	CHECK_EQ_STR(cur.record, "{\"state\":\"written\"}");
	free(cur.record);

	/* A takeover is a swap of the owner. */
	snprintf(g.flush_id, sizeof(g.flush_id), "F1");
	CHECK_EQ_INT(store_flush_swap(s, "F1", "host 10 1700000000", &g),
	    STORE_OK);
	CHECK_EQ_INT(store_flush_swap(s, "F1", "host 10 1700000000", NULL),
	    STORE_CONFLICT);
	CHECK_EQ_INT(store_flush_swap(s, "F1", "host 11 1700000001", NULL),
	    STORE_OK);
	CHECK_EQ_INT(store_flush_get(s, &cur), STORE_NOTFOUND);
	CHECK_EQ_INT(store_flush_swap(s, "F1", "host 11 1700000001", NULL),
	    STORE_CONFLICT);
	CHECK_EQ_INT(store_flush_swap(s, NULL, NULL, NULL), STORE_ERR);
	store_close(s);
}

#define POS_EACH	6

/*
 * Child i counts POS_EACH events of its own for item P (delta -(i + 1)
 * each) and one event all children share. Exit: how many of its own were
 * counted, + 10 when the shared one was its.
 */
static int
race_pos(struct store *s, int i)
{
	char id[32];
	long long p;
	int k, mine = 0, r;

	snprintf(id, sizeof(id), "shared");
	r = store_pos_event(s, id, "P", -100, NULL, &p);
	if (r != STORE_OK && r != STORE_CONFLICT)
		return 90;
	for (k = 0; k < POS_EACH; k++) {
		snprintf(id, sizeof(id), "ev-%d-%d", i, k);
		if (store_pos_event(s, id, "P", -(i + 1), NULL, &p) == STORE_OK)
			mine++;
	}
	return mine + (r == STORE_OK ? 10 : 0) - 10;
}

/* Eight programs sell the same item at once: the sum, exactly. */
TEST(test_race_pos_events)
{
	struct store *s;
	int res[NCHILD], i, shared = 0;
	long long want = -100;

	if ((s = open_store("race4")) == NULL) {
		CHECK(0);
		return;
	}
	store_close(s);
	race("race4", race_pos, res);
	for (i = 0; i < NCHILD; i++) {
		want -= (long long)(i + 1) * POS_EACH;
		if (res[i] == POS_EACH + 10)
			shared++;
		else if (res[i] != POS_EACH)
			fprintf(stderr, "child %d: status %d\n", i, res[i]);
		CHECK(res[i] == POS_EACH || res[i] == POS_EACH + 10);
	}
	CHECK_EQ_INT(shared, 1);
	if ((s = open_store("race4")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(pending_of(s, "P"), want);
	CHECK_EQ_INT(store_pos_seen(s, "ev-7-5"), STORE_OK);
	store_close(s);
}

/* Writes one raw row of one test's DynamoDB table (the item is taken). */
static int
ddb_put(const char *name, const char *table, json_t *item)
{
	struct aws_error e;
	char prefix[128], tname[192];
	json_t *req;
	int rc;

	ddb_test_prefix(prefix, sizeof(prefix), name);
	snprintf(tname, sizeof(tname), "%s%s", prefix, table);
	if ((req = json_pack("{s:s,s:o}", "TableName", tname, "Item",
	    item)) == NULL)
		return -1;
	rc = aws_json(&aws_dynamodb, "1.0", "DynamoDB_20120810.PutItem", req,
	    NULL, &e);
	json_decref(req);
	return rc;
}

/* The head of item as it is: pending_delta, and whether id is in flight. */
static long long
head_pending(const char *name, const char *item, const char *id,
    int *inflight)
{
	json_t *row = NULL, *set, *v;
	long long p = -999999;
	size_t i;

	*inflight = 0;
	if (ddb_row(name, "ir-orders", json_pack("{s:{s:s},s:{s:s}}",
	    "item_id", "S", item, "order_id", "S", "#head"), &row) == -1 ||
	    row == NULL)
		return p;
	p = strtoll(json_string_value(json_object_get(json_object_get(row,
	    "pending_delta"), "N")) ? json_string_value(json_object_get(
	    json_object_get(row, "pending_delta"), "N")) : "0", NULL, 10);
	set = json_object_get(json_object_get(row, "pos_inflight"), "SS");
	json_array_foreach(set, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			*inflight = 1;
	json_decref(row);
	return p;
}

/* Whether the marker of event id says applied (-1: no marker). */
static int
marker_applied(const char *name, const char *id)
{
	json_t *row = NULL;
	int a;

	if (ddb_row(name, "ir-orders", json_pack("{s:{s:s},s:{s:s}}",
	    "item_id", "S", id, "order_id", "S", "#event"), &row) == -1 ||
	    row == NULL)
		return -1;
	a = json_is_true(json_object_get(json_object_get(row, "applied"),
	    "BOOL"));
	json_decref(row);
	return a;
}

/* A marker as step 1 of store_pos_event writes it. */
static json_t *
marker(const char *id, const char *item, const char *delta, int applied)
{
	return json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:b}}",
	    "item_id", "S", id, "order_id", "S", "#event", "item", "S", item,
	    "delta", "N", delta, "at", "S", "2024-03-04T10:00:00Z", "applied",
	    "BOOL", applied);
}

/*
 * DynamoDB: a POS writer that died between its requests (store_dynamodb.c,
 * "POS events"), planted as it would have left the rows; the POS retries
 * the event each time. After step 1 (marker only): the retry counts it.
 * After step 3 (ADD done, marker not flipped): the retry is a duplicate,
 * the count stays, and the retry finishes the marker and the set. Between
 * the two halves of step 4: the same.
 */
TEST(test_pos_half_written)
{
	struct store *s;
	long long p;
	int in;

	if ((s = open_store("poshalf")) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(store_pos_event(s, "H0", "H", -1, NULL, &p), STORE_OK);

	/* 1. Died after the marker. */
	CHECK_EQ_INT(ddb_put("poshalf", "ir-orders", marker("H1", "H", "-2",
	    0)), 0);
	CHECK_EQ_INT(store_pos_seen(s, "H1"), STORE_NOTFOUND);
	CHECK_EQ_INT(store_pos_event(s, "H1", "H", -2, NULL, &p), STORE_OK);
	CHECK_EQ_INT(p, -3);
	CHECK_EQ_INT(marker_applied("poshalf", "H1"), 1);
	CHECK_EQ_INT(head_pending("poshalf", "H", "H1", &in), -3);
	CHECK_EQ_INT(in, 0);

	/* 3. Died after the ADD: the head has it, the marker does not. */
	CHECK_EQ_INT(ddb_put("poshalf", "ir-orders", marker("H2", "H", "-4",
	    0)), 0);
	CHECK_EQ_INT(ddb_put("poshalf", "ir-orders", json_pack("{s:{s:s},"
	    "s:{s:s},s:{s:s},s:{s:[s,s]},s:{s:s}}", "item_id", "S", "H",
	    "order_id", "S", "#head", "pending_delta", "N", "-7",
	    "pos_inflight", "SS", "H2", "H-other", "pos_ver", "N", "9")), 0);
	CHECK_EQ_INT(store_pos_seen(s, "H2"), STORE_OK);
	CHECK_EQ_INT(store_pos_event(s, "H2", "H", -4, NULL, &p),
	    STORE_CONFLICT);
	CHECK_EQ_INT(p, -7);
	CHECK_EQ_INT(marker_applied("poshalf", "H2"), 1);
	CHECK_EQ_INT(head_pending("poshalf", "H", "H2", &in), -7);
	CHECK_EQ_INT(in, 0);
	/* Another writer's id in flight is left alone. */
	head_pending("poshalf", "H", "H-other", &in);
	CHECK_EQ_INT(in, 1);

	/* 4. Died between the marker's flip and the set's cleanup. */
	CHECK_EQ_INT(ddb_put("poshalf", "ir-orders", marker("H3", "H", "-5",
	    1)), 0);
	CHECK_EQ_INT(ddb_put("poshalf", "ir-orders", json_pack("{s:{s:s},"
	    "s:{s:s},s:{s:s},s:{s:[s]},s:{s:s}}", "item_id", "S", "H",
	    "order_id", "S", "#head", "pending_delta", "N", "-12",
	    "pos_inflight", "SS", "H3", "pos_ver", "N", "10")), 0);
	CHECK_EQ_INT(store_pos_event(s, "H3", "H", -5, NULL, &p),
	    STORE_CONFLICT);
	CHECK_EQ_INT(p, -12);
	CHECK_EQ_INT(head_pending("poshalf", "H", "H3", &in), -12);
	CHECK_EQ_INT(in, 0);

	/* And the next sale counts on top, once. */
	CHECK_EQ_INT(store_pos_event(s, "H4", "H", -1, NULL, &p), STORE_OK);
	CHECK_EQ_INT(p, -13);
	CHECK_EQ_INT(pending_of(s, "H"), -13);
	store_close(s);
}

/*
 * SQLite: a file of schema 1 (as the release before POS left it) is
 * brought to schema 2 on open, its orders kept, POS events then work.
 */
TEST(test_schema_1_migrated)
{
	struct store_order o, cur;
	struct store *s;
	char path[256], err[256];
	sqlite3 *db;
	long long p;

	if ((s = open_store("migrate")) == NULL) {
		CHECK(0);
		return;
	}
	mkorder(&o, "M-1", "M", "2024-03-01", 3);
	CHECK_EQ_INT(store_create_pending(s, &o, "ir-draft", &cur), STORE_OK);
	free(cur.record);
	store_close(s);
	/* Back to schema 1: what migrate_to_2 adds, taken away. */
	dbpath(path, sizeof(path), "migrate");
	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "DROP TABLE pos_events;"
	    "DROP TABLE flush_intent; DROP INDEX state_pending;"
	    "ALTER TABLE state DROP COLUMN last_flush;"
	    "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'pos_events'"), 0);

	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), 2);
	CHECK_EQ_INT(store_get_order(s, "M-1", &cur), STORE_OK);
	CHECK_EQ_INT(cur.status, ORDER_PENDING);
	free(cur.record);
	CHECK_EQ_INT(store_pos_event(s, "ME1", "M", -2, NULL, &p), STORE_OK);
	CHECK_EQ_INT(store_pos_settle(s, "M", -2, "F1", NULL), STORE_OK);
	CHECK_EQ_INT(pending_of(s, "M"), 0);
	store_close(s);
}

int
main(void)
{
	const char *ts, *base;
	char err[512];
	int r;

	ts = getenv("IR_TEST_STORE");
	if (ts != NULL && strncmp(ts, "dynamodb:", 9) == 0) {
		dynamo = 1;
		base = strstr(ts, "prefix=");
		snprintf(ddb_prefix, sizeof(ddb_prefix), "%.24s%lx%lx-",
		    base != NULL ? base + 7 : "ut-", (long)getpid(),
		    (long)time(NULL) & 0xfffff);
	} else if (ts != NULL && ts[0] != '\0' && strcmp(ts, "sqlite:") != 0) {
		fprintf(stderr, "IR_TEST_STORE: \"%s\": use sqlite: or "
		    "dynamodb:?prefix=NAME-\n", ts);
		return 1;
	}
	/* AWS settings (DynamoDB runs) come from the environment. */
	if ((cfg = config_load(NULL, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	config_set_global(cfg);
	http_set_backoff(10, 50);
	snprintf(topdir, sizeof(topdir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(topdir) == NULL) {
		perror("mkdtemp");
		config_free(cfg);
		return 1;
	}
	RUN(test_status_names);
	RUN(test_unknown_backend);
	RUN(test_open_create_reopen);
	if (!dynamo)
		RUN(test_schema_newer_refused);
	RUN(test_create_conflict_same_item);
	RUN(test_create_conflict_same_id);
	RUN(test_lifecycle);
	RUN(test_send_failed_back_to_pending);
	RUN(test_wrong_state_and_notfound);
	RUN(test_skip_sets_skip_until);
	RUN(test_item_states_constant_round_trips);
	RUN(test_note_moves_list_items);
	RUN(test_list_orders);
	RUN(test_defer_due_undefer);
	RUN(test_reentrant_listing);
	RUN(test_pos_event_counts_once);
	RUN(test_pos_settle);
	RUN(test_flush_intent);
	if (dynamo) {
		RUN(test_journal_applied_by_next_reader);
		RUN(test_unreachable_is_unavailable);
		RUN(test_pos_half_written);
	} else {
		RUN(test_locked_is_unavailable);
		RUN(test_schema_1_migrated);
	}
	RUN(test_race_transition);
	RUN(test_race_create);
	RUN(test_race_first_open);
	RUN(test_race_pos_events);
	r = unit_summary();
	rm_rf(topdir);
	config_set_global(NULL);
	config_free(cfg);
	return r;
}
