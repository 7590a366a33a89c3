/*
 * test_google_write: google_sheet_write against the fake Google server of
 * tests/servers/fake-apis.js, asserting on what the server received (its
 * GET /_requests) and stored (GET /_state): valueInputOption RAW, values
 * sent as the literal strings ("=1+1" stays text), one token exchange for
 * the whole process, a new exchange after a 401, and the exit statuses of
 * a missing sheet (66), a denied one (77, naming the service account's
 * email) and a server that stays down (75). Then the docsrc hooks: open
 * exports once and then reports the sheet unchanged; fetch always exports
 * and keeps no state.
 *
 * It needs the environment of `scripts/services up DIR` (services.env:
 * FAKE_APIS_URL, IR_GOOGLE_*); without FAKE_APIS_URL it skips, so `make
 * unit` passes on a machine without node. tests/bats/google.bats runs it
 * with the servers up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "docsrc.h"
#include "google.h"
#include "http.h"
#include "unit.h"

#define SHEET	"write-test-sheet"
#define EMAIL	"ir-test@fake-project.iam.gserviceaccount.com"

static const char *fake;	/* FAKE_APIS_URL */
static struct config *cfg;	/* the process's config, made in main */

/*
 * A control call to the fake server: method, path, JSON body or NULL. The
 * parsed answer (owned by the caller), or NULL.
 */
static json_t *
control(const char *method, const char *path, const char *body)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json", NULL
	};
	struct http_req q = { 0 };
	struct http_resp r = { 0 };
	char url[512];
	json_t *v = NULL;

	snprintf(url, sizeof(url), "%s%s", fake, path);
	q.method = method;
	q.url = url;
	q.headers = hdrs;
	q.body = body;
	q.body_len = body != NULL ? strlen(body) : 0;
	q.retries = 0;
	if (http_do(&q, &r) == 0 && r.status == 200)
		v = json_loadb(r.body.p, r.body.len, 0, NULL);
	http_resp_free(&r);
	return v;
}

/* The recorded requests whose path starts with prefix (owned), or NULL. */
static json_t *
requests(const char *method, const char *prefix)
{
	json_t *all, *out, *q;	/* all, out owned; q borrowed from all */
	const char *m, *p;
	size_t i;

	if ((all = control("GET", "/_requests", NULL)) == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(all, i, q) {
		m = json_string_value(json_object_get(q, "method"));
		p = json_string_value(json_object_get(q, "path"));
		if (m != NULL && p != NULL && strcmp(m, method) == 0 &&
		    strncmp(p, prefix, strlen(prefix)) == 0)
			json_array_append(out, q);
	}
	json_decref(all);
	return out;
}

/* The body of the last request to prefix, parsed (owned), or NULL. */
static json_t *
last_body(const char *method, const char *prefix)
{
	json_t *rs, *v = NULL;
	const char *b;

	if ((rs = requests(method, prefix)) == NULL)
		return NULL;
	b = json_string_value(json_object_get(json_array_get(rs,
	    json_array_size(rs) - 1), "body"));
	if (b != NULL)
		v = json_loads(b, JSON_REJECT_DUPLICATES, NULL);
	json_decref(rs);
	return v;
}

/* How many requests went to prefix. */
static size_t
count(const char *method, const char *prefix)
{
	json_t *rs = requests(method, prefix);
	size_t n = json_array_size(rs);

	json_decref(rs);
	return n;
}

TEST(values_are_sent_raw_and_stored_as_text)
{
	const char *v[] = { "=1+1", "+1", "=HYPERLINK(\"http://x.example\")",
	    "007", "" };
	char err[512] = "";
	json_t *b, *d, *st, *row;

	CHECK_EQ_INT(google_sheet_write(SHEET, "Sheet1!A2:E2", v, 5, err,
	    sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	b = last_body("POST", "/v4/spreadsheets/" SHEET "/values:batchUpdate");
	CHECK(b != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(b,
	    "valueInputOption")), "RAW");
	CHECK_EQ_INT(json_array_size(json_object_get(b, "data")), 1);
	d = json_array_get(json_object_get(b, "data"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(d, "range")),
	    "Sheet1!A2:E2");
	row = json_array_get(json_object_get(d, "values"), 0);
	CHECK_EQ_INT(json_array_size(json_object_get(d, "values")), 1);
	CHECK_EQ_INT(json_array_size(row), 5);
	CHECK_EQ_STR(json_string_value(json_array_get(row, 0)), "=1+1");
	CHECK_EQ_STR(json_string_value(json_array_get(row, 1)), "+1");
	CHECK_EQ_STR(json_string_value(json_array_get(row, 2)),
	    "=HYPERLINK(\"http://x.example\")");
	CHECK_EQ_STR(json_string_value(json_array_get(row, 3)), "007");
	CHECK_EQ_STR(json_string_value(json_array_get(row, 4)), "");
	json_decref(b);
	/* what the sheet holds now: the strings, not their values */
	st = control("GET", "/_state", NULL);
	row = json_array_get(json_object_get(json_object_get(json_object_get(
	    st, "sheets"), SHEET), "rows"), 1);
	CHECK_EQ_STR(json_string_value(json_array_get(row, 0)), "=1+1");
	CHECK_EQ_STR(json_string_value(json_array_get(row, 1)), "+1");
	json_decref(st);
}

TEST(null_skips_a_cell)
{
	const char *v[] = { NULL, "12" };
	char err[512] = "";
	json_t *b, *row;

	CHECK_EQ_INT(google_sheet_write(SHEET, "Sheet1!B3", v, 2, err,
	    sizeof(err)), 0);
	b = last_body("POST", "/v4/spreadsheets/" SHEET "/values:batchUpdate");
	row = json_array_get(json_object_get(json_array_get(json_object_get(b,
	    "data"), 0), "values"), 0);
	CHECK(json_is_null(json_array_get(row, 0)));
	CHECK_EQ_STR(json_string_value(json_array_get(row, 1)), "12");
	json_decref(b);
}

TEST(one_token_exchange_per_process)
{
	json_t *rs;
	const char *auth;

	CHECK_EQ_INT(count("POST", "/token"), 1);
	CHECK_EQ_INT(count("POST", "/v4/"), 2);
	/* both writes carried the bearer token, and the same one */
	rs = requests("POST", "/v4/");
	auth = json_string_value(json_object_get(json_object_get(
	    json_array_get(rs, 0), "headers"), "authorization"));
	CHECK(auth != NULL && strncmp(auth, "Bearer fake-access-", 19) == 0);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(
	    json_array_get(rs, 1), "headers"), "authorization")), auth);
	json_decref(rs);
}

TEST(a_401_gets_one_new_token)
{
	const char *v[] = { "5" };
	char err[512] = "";

	json_decref(control("POST", "/_fail", "{\"path_prefix\": "
	    "\"/v4/spreadsheets/" SHEET "\", \"status\": 401, \"count\": 1}"));
	CHECK_EQ_INT(google_sheet_write(SHEET, "Sheet1!C4", v, 1, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(count("POST", "/token"), 2);
	CHECK_EQ_INT(count("POST", "/v4/"), 4);
}

TEST(missing_sheet_is_66)
{
	const char *v[] = { "1" };
	char err[512] = "";

	CHECK_EQ_INT(google_sheet_write("no-such-sheet", "Sheet1!A1", v, 1,
	    err, sizeof(err)), EX_NOINPUT);
	CHECK(strstr(err, "gsheet://no-such-sheet was not found") != NULL);
	CHECK(strstr(err, EMAIL) != NULL);
}

TEST(denied_is_77_and_names_the_fix)
{
	const char *v[] = { "1" };
	char err[512] = "";

	json_decref(control("POST", "/_fail", "{\"path_prefix\": "
	    "\"/v4/spreadsheets/" SHEET "\", \"status\": 403, \"body\": "
	    "{\"error\": {\"code\": 403, \"message\": \"The caller does not "
	    "have permission\", \"status\": \"PERMISSION_DENIED\"}}}"));
	CHECK_EQ_INT(google_sheet_write(SHEET, "Sheet1!A1", v, 1, err,
	    sizeof(err)), EX_NOPERM);
	CHECK(strstr(err, "The caller does not have permission") != NULL);
	CHECK(strstr(err, "share the sheet with the service account's "
	    "email, " EMAIL) != NULL);
	CHECK(strstr(err, "fake-access-") == NULL);
}

TEST(down_after_retries_is_75)
{
	const char *v[] = { "1" };
	char err[512] = "";
	size_t before = count("POST", "/v4/");

	json_decref(control("POST", "/_fail", "{\"path_prefix\": "
	    "\"/v4/spreadsheets/" SHEET "\", \"status\": 503, \"count\": 5}"));
	CHECK_EQ_INT(google_sheet_write(SHEET, "Sheet1!A1", v, 1, err,
	    sizeof(err)), EX_TEMPFAIL);
	CHECK(strstr(err, "retry later") != NULL);
	/* the first try and IR_HTTP_RETRIES more */
	CHECK_EQ_INT(count("POST", "/v4/") - before, 1 + 4);
}

/* The first line of fp, or "" (fp is closed). */
static const char *
first_line(FILE *fp)
{
	static char line[256];

	line[0] = '\0';
	if (fp == NULL)
		return line;
	if (fgets(line, sizeof(line), fp) != NULL)
		line[strcspn(line, "\r\n")] = '\0';
	fclose(fp);
	return line;
}

TEST(docsrc_open_then_unchanged_fetch_always)
{
	struct docsrc_info info;
	char state[] = "/tmp/test_google_write.XXXXXX", path[64], err[512];
	size_t before;
	FILE *fp;
	int st = -1;

	if (mkdtemp(state) == NULL) {
		CHECK(0 && "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/state.json", state);
	config_set(cfg, "IR_GOOGLE_STATE", path);
	before = count("GET", "/drive/v3/files/" SHEET "/export");
	fp = google_docsrc_open(SHEET, &info, &st, err, sizeof(err));
	CHECK(fp != NULL);
	CHECK_EQ_INT(st, 0);
	CHECK_EQ_INT(info.unchanged, 0);
	CHECK(strncmp(info.version, "20", 2) == 0);
	CHECK(strncmp(first_line(fp), "item_id,on_hand,note,", 21) == 0);
	/* not committed yet (as after a crash before the records were
	 * written): the next open exports again */
	fp = google_docsrc_open(SHEET, &info, &st, err, sizeof(err));
	CHECK(fp != NULL);
	CHECK_EQ_INT(info.unchanged, 0);
	CHECK(strncmp(first_line(fp), "item_id,on_hand,note,", 21) == 0);
	CHECK_EQ_INT(google_docsrc_commit(SHEET, info.version, err,
	    sizeof(err)), 0);
	before++;
	/* unchanged: NULL, status 0, the flag and the version; no export */
	CHECK(google_docsrc_open(SHEET, &info, &st, err, sizeof(err)) ==
	    NULL);
	CHECK_EQ_INT(st, 0);
	CHECK_EQ_INT(info.unchanged, 1);
	CHECK(strncmp(info.version, "20", 2) == 0);
	CHECK(strstr(err, "unchanged since the last sync") != NULL);
	CHECK(google_docsrc_open(SHEET, NULL, &st, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(st, 0);
	CHECK_EQ_INT(count("GET", "/drive/v3/files/" SHEET "/export") -
	    before, 1);
	/* fetch: exports every time, and leaves the state alone */
	unlink(path);
	CHECK(strncmp(first_line(google_docsrc_fetch(SHEET, &info, &st, err,
	    sizeof(err))), "item_id,on_hand,note,", 21) == 0);
	CHECK(strncmp(first_line(google_docsrc_fetch(SHEET, NULL, &st, err,
	    sizeof(err))), "item_id,on_hand,note,", 21) == 0);
	CHECK_EQ_INT(info.unchanged, 0);
	CHECK_EQ_INT(count("GET", "/drive/v3/files/" SHEET "/export") -
	    before, 3);
	CHECK(access(path, F_OK) == -1);
	rmdir(state);
}

int
main(void)
{
	char err[512];
	json_t *ok;

	if ((fake = getenv("FAKE_APIS_URL")) == NULL) {
		fprintf(stderr, "test_google_write: skipped: FAKE_APIS_URL is "
		    "not set (see tests/bats/google.bats)\n");
		return unit_summary();
	}
	if ((cfg = config_load(NULL, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "test_google_write: %s\n", err);
		return 1;
	}
	config_set_global(cfg);
	/* the retry count is asserted: http.c's default, no waiting */
	config_set(cfg, "IR_HTTP_RETRIES", "4");
	http_set_backoff(0, 0);
	ok = control("POST", "/_sheet", "{\"id\": \"" SHEET "\", \"csv\": "
	    "\"item_id,on_hand,note\\nA1,5,x\\n\", \"modifiedTime\": "
	    "\"2026-12-01T10:00:00.000Z\"}");
	json_decref(ok);
	json_decref(control("POST", "/_reset", "{}"));
	if (ok == NULL) {
		fprintf(stderr, "test_google_write: the fake server at %s does "
		    "not answer\n", fake);
		return 1;
	}
	RUN(values_are_sent_raw_and_stored_as_text);
	RUN(null_skips_a_cell);
	RUN(one_token_exchange_per_process);
	RUN(a_401_gets_one_new_token);
	RUN(missing_sheet_is_66);
	RUN(denied_is_77_and_names_the_fix);
	RUN(down_after_retries_is_75);
	RUN(docsrc_open_then_unchanged_fetch_always);
	config_set_global(NULL);
	config_free(cfg);
	return unit_summary();
}
