/*
 * test_interact: Slack interactivity payloads read into struct interact,
 * the typed quantity's checks (the same ones the link page uses), and the
 * views built for Slack, read back with jansson the way Slack reads them
 * (limits counted in characters).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "interact.h"
#include "unit.h"

/* A payload from JSON text; the caller json_decref()s it. */
static json_t *
load(const char *s)
{
	json_error_t je;

	return json_loads(s, JSON_REJECT_DUPLICATES, &je);
}

/* The JSON in b as a tree; the caller json_decref()s it. */
static json_t *
tree(const struct buf *b)
{
	json_error_t je;

	return b->p != NULL ? json_loadb(b->p, b->len, 0, &je) : NULL;
}

/* Characters (code points) of a UTF-8 string. */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

TEST(qty_table)
{
	static const struct {
		const char	*in;
		long long	 cap;
		int		 confirmed, ok, over;
		long long	 want;
		const char	*err;	/* start of the message */
	} cases[] = {
		{ "48", -1, 0, 1, 0, 48, NULL },
		{ " 12\t", -1, 0, 1, 0, 12, NULL },
		{ "007", -1, 0, 1, 0, 7, NULL },
		{ "1000000000", -1, 0, 1, 0, 1000000000, NULL },
		{ "1000000001", -1, 0, 0, 0, 0, "That is more than" },
		{ "99999999999999999999999", -1, 0, 0, 0, 0,
		    "That is more than" },
		{ "", -1, 0, 0, 0, 0, "Enter how many" },
		{ "   ", -1, 0, 0, 0, 0, "Enter how many" },
		{ NULL, -1, 0, 0, 0, 0, "Enter how many" },
		{ "abc", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "12abc", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "+3", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "1,000", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "3 0", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "1e3", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "0x10", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "-", -1, 0, 0, 0, 0, "Enter a whole number" },
		{ "2.5", -1, 0, 0, 0, 0, "Enter a whole number of units" },
		{ "2.0", -1, 0, 0, 0, 0, "Enter a whole number of units" },
		{ "1.2.3", -1, 0, 0, 0, 0, "Enter a whole number," },
		{ "0", -1, 0, 0, 0, 0, "The quantity must be at least 1" },
		{ "000", -1, 0, 0, 0, 0, "The quantity must be at least 1" },
		{ "-3", -1, 0, 0, 0, 0, "The quantity must be at least 1" },
		{ "35", 35, 0, 1, 0, 35, NULL },
		{ "36", 35, 0, 0, 1, 0, "This is above the order cap of 35." },
		{ "36", 35, 1, 1, 0, 36, NULL },
		{ "1", 0, 0, 0, 1, 0, "This is above the order cap of 0." },
		{ "abc", 35, 1, 0, 0, 0, "Enter a whole number" },
	};
	char err[256];
	long long q;
	int over, rc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		rc = interact_qty(cases[i].in, cases[i].cap, cases[i].confirmed,
		    &q, &over, err, sizeof(err));
		if ((rc == 0) != cases[i].ok || over != cases[i].over)
			fprintf(stderr, "case %zu: \"%s\"\n", i,
			    cases[i].in ? cases[i].in : "(null)");
		CHECK_EQ_INT(rc == 0, cases[i].ok);
		CHECK_EQ_INT(over, cases[i].over);
		if (cases[i].ok)
			CHECK_EQ_INT(q, cases[i].want);
		else
			CHECK(strncmp(err, cases[i].err,
			    strlen(cases[i].err)) == 0);
	}
}

TEST(parse_block_actions)
{
	json_t *p = load("{\"type\":\"block_actions\","
	    "\"user\":{\"id\":\"U1\",\"username\":\"mei\",\"name\":\"Mei\"},"
	    "\"trigger_id\":\"1.2.abc\",\"container\":{\"type\":\"message\","
	    "\"message_ts\":\"1700000000.000100\",\"channel_id\":\"C1\"},"
	    "\"channel\":{\"id\":\"COLD\"},\"message\":{\"text\":\"t\","
	    "\"blocks\":[{\"type\":\"divider\"}]},\"actions\":[{\"action_id\":"
	    "\"approve\",\"value\":\"EX01-20261204\"},{\"action_id\":\"skip\","
	    "\"value\":\"other\"}]}");
	struct interact ia;
	char err[64];

	CHECK(p != NULL);
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_INT(ia.kind, INTERACT_ACTION);
	CHECK_EQ_STR(ia.by, "mei");
	CHECK_EQ_STR(ia.action_id, "approve");
	CHECK_EQ_STR(ia.value, "EX01-20261204");
	CHECK_EQ_STR(ia.trigger_id, "1.2.abc");
	CHECK_EQ_STR(ia.channel, "C1");
	CHECK_EQ_STR(ia.ts, "1700000000.000100");
	CHECK_EQ_STR(ia.text, "t");
	CHECK_EQ_INT(json_array_size(ia.blocks), 1);
	json_decref(p);
}

TEST(parse_who_and_bounds)
{
	struct interact ia;
	char err[64], *big;
	json_t *p;

	/* no username: the name; no name: the id */
	p = load("{\"type\":\"block_actions\",\"user\":{\"id\":\"U9\","
	    "\"name\":\"sam\"},\"actions\":[]}");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_STR(ia.by, "sam");
	CHECK_EQ_STR(ia.action_id, "");
	json_decref(p);
	p = load("{\"type\":\"block_actions\",\"user\":{\"id\":\"U9\"}}");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_STR(ia.by, "U9");
	CHECK(ia.blocks == NULL);
	json_decref(p);
	/* a value over its field is left empty, never cut */
	big = malloc(5000);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	p = json_pack("{s:s, s:[{s:s, s:s}], s:{s:s}}", "type",
	    "block_actions", "actions", "action_id", "approve", "value", big,
	    "user", "id", big);
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_STR(ia.value, "");
	CHECK_EQ_STR(ia.by, "");
	json_decref(p);
	/* an embedded NUL is refused like an over-long value */
	p = json_pack("{s:s, s:[{s:s, s:s%}]}", "type", "block_actions",
	    "actions", "action_id", "approve", "value", "EX\0tail",
	    (size_t)7);
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_STR(ia.value, "");
	json_decref(p);
	free(big);
	/* not an object, or no type */
	p = load("[1]");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "payload has no type");
	json_decref(p);
	p = load("{\"type\":7}");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), -1);
	json_decref(p);
	p = load("{\"type\":\"shortcut\"}");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_INT(ia.kind, INTERACT_OTHER);
	json_decref(p);
}

TEST(parse_view_submission)
{
	struct interact ia;
	char err[64], *big;
	json_t *p;

	p = load("{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\","
	    "\"username\":\"mei\"},\"view\":{\"callback_id\":\"ir_edit\","
	    "\"private_metadata\":\"EX07-20261204\",\"state\":{\"values\":{"
	    "\"qty\":{\"qty\":{\"type\":\"plain_text_input\",\"value\":"
	    "\"40\"}},\"confirm\":{\"confirm\":{\"type\":\"checkboxes\","
	    "\"selected_options\":[{\"value\":\"over_cap\"}]}}}}}}");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_INT(ia.kind, INTERACT_SUBMIT);
	CHECK_EQ_STR(ia.callback_id, "ir_edit");
	CHECK_EQ_STR(ia.order_id, "EX07-20261204");
	CHECK_EQ_STR(ia.qty, "40");
	CHECK_EQ_INT(ia.qty_cut, 0);
	CHECK_EQ_INT(ia.confirmed, 1);
	json_decref(p);
	/* nothing ticked; a typed value too long for the field is flagged */
	big = malloc(200);
	memset(big, '9', 199);
	big[199] = '\0';
	p = json_pack("{s:s, s:{s:s, s:{s:{s:{s:{s:s}}, s:{s:{s:[]}}}}}}",
	    "type", "view_submission", "view", "callback_id", "ir_edit",
	    "state", "values", "qty", "qty", "value", big, "confirm",
	    "confirm", "selected_options");
	CHECK_EQ_INT(interact_parse(p, &ia, err, sizeof(err)), 0);
	CHECK_EQ_INT(ia.qty_cut, 1);
	CHECK_EQ_STR(ia.qty, "");
	CHECK_EQ_INT(ia.confirmed, 0);
	json_decref(p);
	free(big);
}

TEST(edit_view)
{
	struct interact_edit e = { "EX07-20261204", "Beans <b> & co (EX07)",
	    "Acme", 30, 35 };
	struct buf b = { 0 };
	json_t *v, *blocks, *in;
	char *long_name;

	CHECK_EQ_INT(interact_edit_view(&e, &b), 0);
	if ((v = tree(&b)) == NULL) {
		CHECK(v != NULL);
		return;
	}
	CHECK_EQ_STR(json_string_value(json_object_get(v, "type")), "modal");
	CHECK_EQ_STR(json_string_value(json_object_get(v, "callback_id")),
	    "ir_edit");
	CHECK_EQ_STR(json_string_value(json_object_get(v,
	    "private_metadata")), "EX07-20261204");
	CHECK(chars(json_string_value(json_object_get(json_object_get(v,
	    "title"), "text"))) <= 24);
	CHECK(chars(json_string_value(json_object_get(json_object_get(v,
	    "submit"), "text"))) <= 24);
	CHECK(chars(json_string_value(json_object_get(json_object_get(v,
	    "close"), "text"))) <= 24);
	blocks = json_object_get(v, "blocks");
	CHECK_EQ_INT(json_array_size(blocks), 3);
	/* the item's name escaped for mrkdwn */
	CHECK(strstr(json_string_value(json_object_get(json_object_get(
	    json_array_get(blocks, 0), "text"), "text")),
	    "*Beans &lt;b&gt; &amp; co (EX07)* from Acme") != NULL);
	in = json_array_get(blocks, 1);
	CHECK_EQ_STR(json_string_value(json_object_get(in, "type")), "input");
	CHECK_EQ_STR(json_string_value(json_object_get(in, "block_id")), "qty");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(in,
	    "element"), "initial_value")), "30");
	in = json_array_get(blocks, 2);
	CHECK_EQ_STR(json_string_value(json_object_get(in, "block_id")),
	    "confirm");
	CHECK(json_is_true(json_object_get(in, "optional")));
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(in, "element"), "options"), 0),
	    "value")), "over_cap");
	json_decref(v);
	/* no cap: no checkbox */
	buf_reset(&b);
	e.cap = -1;
	CHECK_EQ_INT(interact_edit_view(&e, &b), 0);
	if ((v = tree(&b)) != NULL) {
		CHECK_EQ_INT(json_array_size(json_object_get(v, "blocks")), 2);
		json_decref(v);
	}
	/* names are cut (with an ellipsis): the section stays in bounds */
	long_name = malloc(20001);
	memset(long_name, '<', 20000);
	long_name[20000] = '\0';
	e.item = long_name;
	e.supplier = long_name;
	buf_reset(&b);
	CHECK_EQ_INT(interact_edit_view(&e, &b), 0);
	if ((v = tree(&b)) != NULL) {
		const char *t = json_string_value(json_object_get(
		    json_object_get(json_array_get(json_object_get(v,
		    "blocks"), 0), "text"), "text"));

		CHECK(t != NULL && chars(t) < 3000);
		CHECK(t != NULL && strstr(t, "\xe2\x80\xa6*") != NULL);
		json_decref(v);
	}
	free(long_name);
	buf_free(&b);
}

TEST(answers)
{
	struct buf b = { 0 };
	json_t *v, *s;
	char *long_text;

	CHECK_EQ_INT(interact_errors("qty", "Enter a whole number.", &b), 0);
	CHECK_EQ_STR(b.p, "{\"response_action\":\"errors\",\"errors\":"
	    "{\"qty\":\"Enter a whole number.\"}}");
	buf_reset(&b);
	CHECK_EQ_INT(interact_info_view("Already done", "Approved by <mei>",
	    &b), 0);
	if ((v = tree(&b)) != NULL) {
		CHECK_EQ_STR(json_string_value(json_object_get(v,
		    "response_action")), "update");
		s = json_array_get(json_object_get(json_object_get(v, "view"),
		    "blocks"), 0);
		CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(
		    s, "text"), "text")), "Approved by &lt;mei&gt;");
		CHECK(json_object_get(json_object_get(v, "view"), "submit") ==
		    NULL);
		json_decref(v);
	}
	/* a long text is cut to Slack's 3000, never inside an entity */
	long_text = malloc(7000);
	memset(long_text, '&', 6999);
	long_text[6999] = '\0';
	buf_reset(&b);
	CHECK_EQ_INT(interact_info_view("T", long_text, &b), 0);
	if ((v = tree(&b)) != NULL) {
		const char *t = json_string_value(json_object_get(
		    json_object_get(json_array_get(json_object_get(
		    json_object_get(v, "view"), "blocks"), 0), "text"),
		    "text"));

		CHECK(t != NULL && chars(t) <= 3000);
		CHECK(t != NULL && strlen(t) % 5 == 0);
		json_decref(v);
	}
	free(long_text);
	buf_free(&b);
}

TEST(note_blocks)
{
	json_t *blocks = load("[{\"type\":\"section\",\"text\":{\"type\":"
	    "\"mrkdwn\",\"text\":\"x\"}},{\"type\":\"context\",\"block_id\":"
	    "\"ir_note\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":\"old\"}]},"
	    "{\"type\":\"actions\",\"elements\":[]}]");
	struct buf b = { 0 };
	json_t *v, *last;

	CHECK_EQ_INT(interact_note_blocks(blocks, "Could not <send>", &b), 0);
	if ((v = tree(&b)) != NULL) {
		CHECK_EQ_INT(json_array_size(v), 3);
		CHECK_EQ_STR(json_string_value(json_object_get(
		    json_array_get(v, 1), "type")), "actions");
		last = json_array_get(v, 2);
		CHECK_EQ_STR(json_string_value(json_object_get(last,
		    "block_id")), "ir_note");
		CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(
		    json_object_get(last, "elements"), 0), "text")),
		    "Could not &lt;send&gt;");
		json_decref(v);
	}
	/* the payload's blocks are borrowed: unchanged */
	CHECK_EQ_INT(json_array_size(blocks), 3);
	json_decref(blocks);
	buf_reset(&b);
	CHECK_EQ_INT(interact_note_blocks(NULL, "n", &b), 0);
	CHECK(b.p != NULL && strncmp(b.p, "[{\"type\":\"context\"", 18) == 0);
	buf_free(&b);
}

int
main(void)
{
	RUN(qty_table);
	RUN(parse_block_actions);
	RUN(parse_who_and_bounds);
	RUN(parse_view_submission);
	RUN(edit_view);
	RUN(answers);
	RUN(note_blocks);
	return unit_summary();
}
