/*
 * test_channels: the remote channels' rules that need no server: SMTP URI
 * parsing (table), CRLF conversion, Message-ID extraction, the Block Kit
 * preparation (cuts, splits, the actions in the last message, errors for
 * what cannot be cut), and that no error ever holds the password or the
 * token (the failures here are a closed port and bad settings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "channel.h"
#include "channel_backend.h"
#include "config.h"
#include "slack.h"
#include "unit.h"

#define TOKEN		"xoxb-unit-secret-token-4711"
#define PASSWORD	"s3cret-Pass-0815"
#define CLOSED_PORT	"1"	/* nothing listens on tcpmux */

static struct config *cfg;

/* Characters (code points) of a JSON string member, 0 if absent. */
static size_t
chars(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* n copies of the UTF-8 character c (1 to 4 bytes), owned by the caller. */
static char *
repeat(const char *c, size_t n)
{
	size_t cl = strlen(c), i;
	char *s = malloc(n * cl + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * cl, c, cl);
	s[n * cl] = '\0';
	return s;
}

/* The payload as text, owned by the caller (free()). */
static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s == NULL)
		abort();
	return s;
}

/* A section block with text (borrowed), as a new reference. */
static json_t *
section(const char *text)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
	    "type", "mrkdwn", "text", text);
}

/* An actions block with n buttons whose value is the order id. */
static json_t *
actions(size_t n, const char *value)
{
	json_t *els = json_array();
	size_t i;
	char aid[32];

	for (i = 0; i < n; i++) {
		snprintf(aid, sizeof(aid), "a%zu", i);
		json_array_append_new(els, json_pack("{s:s, s:{s:s, s:s}, s:s, "
		    "s:s}", "type", "button", "text", "type", "plain_text",
		    "text", "Approve", "action_id", aid, "value", value));
	}
	return json_pack("{s:s, s:o}", "type", "actions", "elements", els);
}

/* {"text": text, "blocks": blocks (taken)} as JSON text, owned. */
static char *
payload(const char *text, json_t *blocks)
{
	json_t *p = json_pack("{s:s, s:o}", "text", text, "blocks", blocks);
	char *s = dump(p);

	json_decref(p);
	return s;
}

/*
 * Whether every message keeps every Block Kit limit (checked here
 * independently of channel_slack.c's code).
 */
static int
within_limits(json_t *msgs)
{
	json_t *m, *b, *x, *e;
	size_t i, j, k;

	json_array_foreach(msgs, i, m) {
		json_t *blocks = json_object_get(m, "blocks");

		if (json_array_size(blocks) > 50)
			return 0;
		json_array_foreach(blocks, j, b) {
			const char *t = json_string_value(json_object_get(b,
			    "type"));

			if (t == NULL)
				return 0;
			if (strcmp(t, "section") == 0) {
				if (chars(json_object_get(b, "text"), "text") >
				    3000 || json_array_size(json_object_get(b,
				    "fields")) > 10)
					return 0;
				json_array_foreach(json_object_get(b, "fields"),
				    k, x)
					if (chars(x, "text") > 2000)
						return 0;
			} else if (strcmp(t, "header") == 0 &&
			    chars(json_object_get(b, "text"), "text") > 150)
				return 0;
			else if (strcmp(t, "actions") == 0) {
				x = json_object_get(b, "elements");
				if (json_array_size(x) > 25)
					return 0;
				json_array_foreach(x, k, e)
					if (chars(json_object_get(e, "text"),
					    "text") > 75 || chars(e, "value") >
					    2000)
						return 0;
			} else if (strcmp(t, "context") == 0 &&
			    json_array_size(json_object_get(b, "elements")) >
			    10)
				return 0;
		}
	}
	return 1;
}

/* Blocks of a given type in message i. */
static size_t
count_type(json_t *msgs, size_t i, const char *type)
{
	json_t *b;
	size_t j, n = 0;

	json_array_foreach(json_object_get(json_array_get(msgs, i), "blocks"),
	    j, b)
		if (strcmp(json_string_value(json_object_get(b, "type")),
		    type) == 0)
			n++;
	return n;
}

/* ---- SMTP URIs ---- */

struct uri_case {
	const char	*rest;
	int		 implicit;
	int		 ok;
	const char	*host;
	long		 port;
	const char	*user;
	const char	*pass;
	enum channel_smtp_tls tls;
	int		 insecure;
};

TEST(smtp_uri_table)
{
	static const struct uri_case cases[] = {
		{ "//user:pw@mail.example.com:2525", 0, 1, "mail.example.com",
		    2525, "user", "pw", CHANNEL_TLS_STARTTLS, 0 },
		{ "//mail.example.com", 0, 1, "mail.example.com", 587, "", "",
		    CHANNEL_TLS_STARTTLS, 0 },
		{ "//mail.example.com/", 0, 1, "mail.example.com", 587, "", "",
		    CHANNEL_TLS_STARTTLS, 0 },
		{ "//u:p@smtp.example.com", 1, 1, "smtp.example.com", 465, "u",
		    "p", CHANNEL_TLS_IMPLICIT, 0 },
		{ "//us%40er:p%3Ass%40w@127.0.0.1:25?tls=none&insecure=1", 0, 1,
		    "127.0.0.1", 25, "us@er", "p:ss@w", CHANNEL_TLS_NONE, 1 },
		{ "//u:p@ss@h", 0, 1, "h", 587, "u", "p@ss",
		    CHANNEL_TLS_STARTTLS, 0 },
		{ "//u@[::1]:2525?insecure=1", 0, 1, "[::1]", 2525, "u", "",
		    CHANNEL_TLS_STARTTLS, 1 },
		{ "//h?tls=starttls", 0, 1, "h", 587, "", "",
		    CHANNEL_TLS_STARTTLS, 0 },
		{ "mail.example.com", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "@", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "@h:0", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "@h:99999", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "@h:25x", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "@h:25/path", 0, 0, NULL, 0, NULL, NULL, 0,
		    0 },
		{ "//u:" PASSWORD "@h?tls=maybe", 0, 0, NULL, 0, NULL, NULL, 0,
		    0 },
		{ "//u:" PASSWORD "@h?tls=none", 1, 0, NULL, 0, NULL, NULL, 0,
		    0 },
		{ "//u:" PASSWORD "@h?" PASSWORD "=1", 0, 0, NULL, 0, NULL,
		    NULL, 0, 0 },
		{ "//u:" PASSWORD "%zz@h", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "%00@h", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//:" PASSWORD "@h", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
		{ "//u:" PASSWORD "@bad host", 0, 0, NULL, 0, NULL, NULL, 0,
		    0 },
		{ "//u:" PASSWORD "@[::1", 0, 0, NULL, 0, NULL, NULL, 0, 0 },
	};
	struct channel_smtp_uri u;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct uri_case *c = &cases[i];

		err[0] = '\0';
		rc = channel_smtp_parse(c->rest, c->implicit, &u, err,
		    sizeof(err));
		if ((rc == 0) != c->ok)
			fprintf(stderr, "case %zu: %s: %s\n", i, c->rest, err);
		CHECK_EQ_INT(rc == 0, c->ok);
		if (!c->ok) {
			CHECK(strncmp(err, "smtp: ", 6) == 0);
			CHECK(strstr(err, PASSWORD) == NULL);
			CHECK_EQ_STR(u.pass, "");
			continue;
		}
		CHECK_EQ_STR(u.host, c->host);
		CHECK_EQ_INT(u.port, c->port);
		CHECK_EQ_STR(u.user, c->user);
		CHECK_EQ_STR(u.pass, c->pass);
		CHECK_EQ_INT(u.tls, c->tls);
		CHECK_EQ_INT(u.insecure, c->insecure);
	}
}

TEST(mailer_open_errors_never_hold_the_password)
{
	static const char *const bad[] = {
		"smtp://u:" PASSWORD "@h:0",
		"smtps://u:" PASSWORD "@h?tls=none",
		"smtp:u:" PASSWORD "@h",
		"smtp://u:" PASSWORD "@h?x=" PASSWORD,
	};
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(mailer_open(bad[i], err, sizeof(err)) == NULL);
		CHECK(err[0] != '\0');
		CHECK(strstr(err, PASSWORD) == NULL);
	}
}

TEST(smtp_send_failure_never_holds_the_password)
{
	static const char raw[] = "From: a@example.com\nTo: b@example.com\n"
	    "Message-ID: <m1@example.com>\nSubject: s\n\nbody\n";
	const char *rcpt[] = { "b@example.com", NULL };
	struct mailer *m;
	char err[512], ref[256];

	m = mailer_open("smtp://user:" PASSWORD "@127.0.0.1:" CLOSED_PORT,
	    err, sizeof(err));
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_EQ_INT(mailer_send(m, "po-1", "a@example.com", rcpt, raw,
	    strlen(raw), ref, sizeof(ref)), CHANNEL_ERR);
	CHECK(strstr(mailer_error(m), "cannot connect") != NULL);
	CHECK(strstr(mailer_error(m), "127.0.0.1:" CLOSED_PORT) != NULL);
	CHECK(strstr(mailer_error(m), PASSWORD) == NULL);
	/* a CR LF in an address would smuggle in an SMTP command */
	rcpt[0] = "b@example.com>\r\nRCPT TO:<c@example.com";
	CHECK_EQ_INT(mailer_send(m, "po-1", "a@example.com", rcpt, raw,
	    strlen(raw), ref, sizeof(ref)), CHANNEL_ERR);
	CHECK(strstr(mailer_error(m), "control character") != NULL);
	mailer_close(m);
}

/* ---- CRLF and Message-ID ---- */

TEST(crlf_table)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "a\nb\n", "a\r\nb\r\n" },
		{ "a\r\nb", "a\r\nb\r\n" },
		{ "a\rb\r\n", "a\r\nb\r\n" },
		{ "\n\n", "\r\n\r\n" },
		{ "x\r", "x\r\n" },
		{ "h: v\n\r\n.\nbody", "h: v\r\n\r\n.\r\nbody\r\n" },
		{ "no end", "no end\r\n" },
		{ "a\r\r\nb\n", "a\r\n\r\nb\r\n" },
	};
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		CHECK_EQ_INT(channel_crlf(&b, cases[i].in,
		    strlen(cases[i].in)), 0);
		CHECK_EQ_INT(b.len, strlen(cases[i].out));
		CHECK(b.p != NULL && memcmp(b.p, cases[i].out, b.len) == 0);
	}
	/* appends: what was there stays */
	buf_reset(&b);
	buf_adds(&b, "X");
	CHECK_EQ_INT(channel_crlf(&b, "y\n", 2), 0);
	CHECK_EQ_STR(b.p, "Xy\r\n");
	buf_free(&b);
}

TEST(message_id)
{
	char id[128];

	CHECK_EQ_INT(channel_message_id("From: a\nMessage-ID: <x@y>\n\nb", 28,
	    id, sizeof(id)), 0);
	CHECK_EQ_STR(id, "x@y");
	CHECK_EQ_INT(channel_message_id("Message-Id:\r\n <f@g>\r\n\r\n", 23,
	    id, sizeof(id)), 0);
	CHECK_EQ_STR(id, "f@g");
	/* only the header counts */
	CHECK_EQ_INT(channel_message_id("Subject: s\n\nMessage-ID: <no@x>\n",
	    31, id, sizeof(id)), -1);
	CHECK_EQ_STR(id, "");
}

/* ---- Block Kit ---- */

TEST(prepare_keeps_a_small_message)
{
	json_t *blocks = json_array(), *msgs;
	char err[256], *p;

	json_array_append_new(blocks, section("hello"));
	json_array_append_new(blocks, actions(3, "EX01-20261204"));
	p = payload("Reorder: Beans", blocks);
	msgs = slack_prepare(p, strlen(p), err, sizeof(err));
	CHECK(msgs != NULL);
	CHECK_EQ_INT(json_array_size(msgs), 1);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(msgs, 0),
	    "text")), "Reorder: Beans");
	CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(msgs, 0),
	    "blocks")), 2);
	json_decref(msgs);
	free(p);
}

TEST(prepare_splits_over_50_blocks_actions_last)
{
	json_t *blocks = json_array(), *msgs, *b;
	char err[256], txt[32], *p;
	size_t i, total = 0;

	/* the actions block first in the payload: it still ends up last */
	json_array_append_new(blocks, actions(3, "EX01-20261204"));
	for (i = 0; i < 60; i++) {
		snprintf(txt, sizeof(txt), "line %zu", i);
		json_array_append_new(blocks, section(txt));
	}
	p = payload("Drafts", blocks);
	msgs = slack_prepare(p, strlen(p), err, sizeof(err));
	CHECK(msgs != NULL);
	if (msgs == NULL)
		goto out;
	CHECK_EQ_INT(json_array_size(msgs), 2);
	CHECK(within_limits(msgs));
	json_array_foreach(msgs, i, b)
		total += json_array_size(json_object_get(b, "blocks"));
	CHECK_EQ_INT(total, 61);
	CHECK_EQ_INT(count_type(msgs, 0, "actions"), 0);
	CHECK_EQ_INT(count_type(msgs, 1, "actions"), 1);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(msgs, 0),
	    "text")), "Drafts (part 1 of 2)");
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(msgs, 1),
	    "text")), "Drafts (part 2 of 2)");
	/* order kept: the first message starts with line 0 */
	b = json_array_get(json_object_get(json_array_get(msgs, 0), "blocks"),
	    0);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(b,
	    "text"), "text")), "line 0");
out:
	json_decref(msgs);
	free(p);
}

TEST(prepare_cuts_long_texts_in_characters)
{
	json_t *blocks = json_array(), *msgs, *b, *hdr, *fields;
	char err[256], *p, *long_e = repeat("\xc3\xa9", 5000);	/* é */
	char *long_h = repeat("H", 200), *long_f = repeat("f", 2500);
	const char *t;

	json_array_append_new(blocks, section(long_e));
	hdr = json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text",
	    "type", "plain_text", "text", long_h);
	json_array_append_new(blocks, hdr);
	fields = json_pack("[{s:s, s:s}]", "type", "mrkdwn", "text", long_f);
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type",
	    "section", "fields", fields));
	p = payload("x", blocks);
	msgs = slack_prepare(p, strlen(p), err, sizeof(err));
	CHECK(msgs != NULL);
	if (msgs == NULL)
		goto out;
	CHECK(within_limits(msgs));
	b = json_array_get(json_object_get(json_array_get(msgs, 0), "blocks"),
	    0);
	CHECK_EQ_INT(chars(json_object_get(b, "text"), "text"), 3000);
	t = json_string_value(json_object_get(json_object_get(b, "text"),
	    "text"));
	CHECK(t != NULL && strstr(t, "cut to Slack's 3000-character limit"));
	CHECK(t != NULL && strncmp(t, "\xc3\xa9\xc3\xa9", 4) == 0);
	b = json_array_get(json_object_get(json_array_get(msgs, 0), "blocks"),
	    1);
	CHECK_EQ_INT(chars(json_object_get(b, "text"), "text"), 150);
	b = json_array_get(json_object_get(json_array_get(msgs, 0), "blocks"),
	    2);
	CHECK_EQ_INT(chars(json_array_get(json_object_get(b, "fields"), 0),
	    "text"), 2000);
out:
	json_decref(msgs);
	free(p);
	free(long_e);
	free(long_h);
	free(long_f);
}

TEST(prepare_continues_fields_and_buttons_in_new_blocks)
{
	json_t *blocks = json_array(), *fields = json_array(), *msgs;
	char err[256], *p;
	size_t i;

	for (i = 0; i < 12; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "type",
		    "mrkdwn", "text", "f"));
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type",
	    "section", "fields", fields));
	json_array_append_new(blocks, actions(30, "EX01"));
	p = payload("x", blocks);
	msgs = slack_prepare(p, strlen(p), err, sizeof(err));
	CHECK(msgs != NULL);
	if (msgs != NULL) {
		CHECK(within_limits(msgs));
		CHECK_EQ_INT(json_array_size(msgs), 1);
		CHECK_EQ_INT(count_type(msgs, 0, "section"), 2);
		CHECK_EQ_INT(count_type(msgs, 0, "actions"), 2);
	}
	json_decref(msgs);
	free(p);
}

TEST(prepare_splits_by_text_budget)
{
	json_t *blocks = json_array(), *msgs, *m;
	char err[256], *p, *t = repeat("t", 2900);
	size_t i, n;

	for (i = 0; i < 6; i++)
		json_array_append_new(blocks, section(t));
	json_array_append_new(blocks, actions(3, "EX01"));
	p = payload("x", blocks);
	msgs = slack_prepare(p, strlen(p), err, sizeof(err));
	CHECK(msgs != NULL);
	if (msgs != NULL) {
		n = json_array_size(msgs);
		CHECK_EQ_INT(n, 2);
		json_array_foreach(msgs, i, m)
			CHECK(json_array_size(json_object_get(m, "blocks")) *
			    2900 <= SLACK_MSG_TEXT_BUDGET + 2900);
		CHECK_EQ_INT(count_type(msgs, n - 1, "actions"), 1);
	}
	json_decref(msgs);
	free(p);
	free(t);
}

TEST(prepare_refuses_what_cannot_be_cut)
{
	json_t *blocks, *msgs;
	char err[256], *p, *v = repeat("v", 2001), *id = repeat("i", 256);

	blocks = json_array();
	json_array_append_new(blocks, actions(1, v));
	p = payload("x", blocks);
	err[0] = '\0';
	msgs = slack_prepare(p, strlen(p), err, sizeof(err));
	CHECK(msgs == NULL);
	CHECK(strstr(err, "button value") != NULL);
	free(p);

	blocks = json_array();
	json_array_append_new(blocks, json_pack("{s:s, s:s}", "type",
	    "divider", "block_id", id));
	p = payload("x", blocks);
	CHECK(slack_prepare(p, strlen(p), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "block_id") != NULL);
	free(p);

	CHECK(slack_prepare("not json", 8, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a JSON object") != NULL);
	CHECK(slack_prepare("{\"text\":\"\"}", 11, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "empty") != NULL);
	CHECK(slack_prepare("{\"blocks\":{}}", 13, err, sizeof(err)) ==
	    NULL);
	free(v);
	free(id);
}

/* ---- Slack: errors never hold the token ---- */

TEST(slack_errors_never_hold_the_token)
{
	struct owner_msg m;
	struct notifier *n;
	char err[512], ref[256];

	memset(&m, 0, sizeof(m));
	m.id = "draft-EX01-20261204";
	m.slack_json = "{\"text\":\"x\",\"blocks\":[]}";
	n = notify_open("slack:#orders", err, sizeof(err));
	CHECK(n != NULL);
	if (n != NULL) {
		CHECK_EQ_INT(notify_send(n, &m, ref, sizeof(ref)),
		    CHANNEL_ERR);
		CHECK(strstr(notify_error(n), "cannot reach Slack") != NULL);
		CHECK(strstr(notify_error(n), TOKEN) == NULL);
		notify_close(n);
	}
	CHECK_EQ_INT(slack_update("C0123", "1.000100", "x", NULL, err,
	    sizeof(err)), CHANNEL_ERR);
	CHECK(strstr(err, TOKEN) == NULL);
	CHECK_EQ_INT(slack_views_open("trig", "{\"type\":\"modal\"}", err,
	    sizeof(err)), CHANNEL_ERR);
	CHECK(strstr(err, TOKEN) == NULL);

	/* a token that is not one: refused without quoting it */
	config_set(cfg, "IR_SLACK_BOT_TOKEN", "xoxb bad " TOKEN);
	CHECK(notify_open("slack:#orders", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "IR_SLACK_BOT_TOKEN") != NULL);
	CHECK(strstr(err, TOKEN) == NULL);
	config_set(cfg, "IR_SLACK_BOT_TOKEN", TOKEN);
}

TEST(slack_uris)
{
	static const char *const good[] = { "slack:#orders", "slack:orders",
	    "slack:C0123ABCD", "slack:G0123", "slack:#a-b_c" };
	static const char *const bad[] = { "slack:", "slack:#", "slack:#Orders",
	    "slack:#a b", "slack:x0123%" };
	struct notifier *n;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = notify_open(good[i], err, sizeof(err));
		CHECK(n != NULL);
		notify_close(n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(notify_open(bad[i], err, sizeof(err)) == NULL);
		CHECK(strncmp(err, "slack: ", 7) == 0);
	}
}

TEST(email_and_ses_uris)
{
	struct notifier *n;
	struct mailer *m;
	char err[256];

	CHECK(notify_open("email:owner", err, sizeof(err)) == NULL);
	CHECK(notify_open("email:a@b@c", err, sizeof(err)) == NULL);
	CHECK(notify_open("email:<a@b>", err, sizeof(err)) == NULL);
	/* IR_MAIL is an SMTP URI here: opened, nothing sent */
	n = notify_open("email:owner@example.com", err, sizeof(err));
	CHECK(n != NULL);
	notify_close(n);
	CHECK(mailer_open("ses:?region=x", err, sizeof(err)) == NULL);
	CHECK(mailer_open("ses:?configuration_set=a b", err, sizeof(err)) ==
	    NULL);
	m = mailer_open("ses:?configuration_set=ir-orders", err, sizeof(err));
	CHECK(m != NULL);
	mailer_close(m);
}

int
main(void)
{
	char err[256];

	/* the environment must not leak into these settings */
	unsetenv("IR_CONF");
	if ((cfg = config_load("/dev/null", NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	config_set(cfg, "IR_SLACK_BOT_TOKEN", TOKEN);
	config_set(cfg, "IR_SLACK_API_URL", "http://127.0.0.1:" CLOSED_PORT
	    "/api");
	config_set(cfg, "IR_HTTP_RETRIES", "0");
	config_set(cfg, "IR_MAIL", "smtp://u:" PASSWORD "@127.0.0.1:"
	    CLOSED_PORT);
	config_set(cfg, "AWS_ACCESS_KEY_ID", "AKIDUNIT");
	config_set(cfg, "AWS_SECRET_ACCESS_KEY", "unit-secret");
	config_set(cfg, "AWS_REGION", "ap-southeast-1");
	config_set_global(cfg);

	RUN(smtp_uri_table);
	RUN(mailer_open_errors_never_hold_the_password);
	RUN(smtp_send_failure_never_holds_the_password);
	RUN(crlf_table);
	RUN(message_id);
	RUN(prepare_keeps_a_small_message);
	RUN(prepare_splits_over_50_blocks_actions_last);
	RUN(prepare_cuts_long_texts_in_characters);
	RUN(prepare_continues_fields_and_buttons_in_new_blocks);
	RUN(prepare_splits_by_text_budget);
	RUN(prepare_refuses_what_cannot_be_cut);
	RUN(slack_errors_never_hold_the_token);
	RUN(slack_uris);
	RUN(email_and_ses_uris);
	config_set_global(NULL);
	config_free(cfg);
	return unit_summary();
}
