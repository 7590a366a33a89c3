/*
 * interact: Slack interactivity payloads, the Edit modal and the check of
 * a typed quantity. See interact.h.
 *
 * Payloads are small (one click), so jansson is used throughout. Every
 * value is borrowed from the payload while it is read and copied into the
 * struct with its bound checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "errmsg.h"
#include "interact.h"

#define NAME_MAX_CHARS	200	/* an item or supplier name in the modal */

/*
 * Copies the string at the end of a path of object keys (NULL-terminated)
 * into dst. 1 copied, 0 missing or not a string, -1 too long (dst is then
 * empty).
 */
static int
get_str(json_t *root, char *dst, size_t dstsz, ...)
{
	va_list ap;
	const char *key, *s;
	json_t *v = root;		/* borrowed */
	size_t n;

	dst[0] = '\0';
	va_start(ap, dstsz);
	while (v != NULL && (key = va_arg(ap, const char *)) != NULL)
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
	va_end(ap);
	if ((s = json_string_value(v)) == NULL)
		return 0;
	n = json_string_length(v);
	if (n >= dstsz || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(dst, s, n + 1);
	return 1;
}

/* Whether view.state.values.confirm.confirm has the over-cap option. */
static int
over_cap_ticked(json_t *values)
{
	json_t *opts, *o;		/* borrowed */
	size_t i;

	opts = json_object_get(json_object_get(json_object_get(values,
	    INTERACT_CONFIRM_BLOCK), INTERACT_CONFIRM_BLOCK),
	    "selected_options");
	json_array_foreach(opts, i, o) {
		const char *v = json_string_value(json_object_get(o, "value"));

		if (v != NULL && strcmp(v, INTERACT_OVER_CAP) == 0)
			return 1;
	}
	return 0;
}

/* interact_parse: see interact.h. */
int
interact_parse(json_t *payload, struct interact *ia, char *err,
    size_t errsz)
{
	json_t *act, *values;		/* borrowed */

	memset(ia, 0, sizeof(*ia));
	if (!json_is_object(payload) || get_str(payload, ia->type,
	    sizeof(ia->type), "type", NULL) != 1) {
		errmsg_set(err, errsz, "payload has no type");
		return -1;
	}
	if (strcmp(ia->type, "block_actions") == 0)
		ia->kind = INTERACT_ACTION;
	else if (strcmp(ia->type, "view_submission") == 0)
		ia->kind = INTERACT_SUBMIT;
	else if (strcmp(ia->type, "view_closed") == 0)
		ia->kind = INTERACT_CLOSED;
	/* who: the handle, else the display name, else the id */
	if (get_str(payload, ia->by, sizeof(ia->by), "user", "username",
	    NULL) != 1 || ia->by[0] == '\0')
		if (get_str(payload, ia->by, sizeof(ia->by), "user", "name",
		    NULL) != 1 || ia->by[0] == '\0')
			get_str(payload, ia->by, sizeof(ia->by), "user", "id",
			    NULL);
	get_str(payload, ia->trigger_id, sizeof(ia->trigger_id),
	    "trigger_id", NULL);
	if (ia->kind == INTERACT_ACTION) {
		act = json_array_get(json_object_get(payload, "actions"), 0);
		get_str(act, ia->action_id, sizeof(ia->action_id),
		    "action_id", NULL);
		get_str(act, ia->value, sizeof(ia->value), "value", NULL);
		get_str(payload, ia->channel, sizeof(ia->channel),
		    "container", "channel_id", NULL);
		get_str(payload, ia->ts, sizeof(ia->ts), "container",
		    "message_ts", NULL);
		/* older payloads name the channel only here */
		if (ia->channel[0] == '\0')
			get_str(payload, ia->channel, sizeof(ia->channel),
			    "channel", "id", NULL);
		ia->blocks = json_object_get(json_object_get(payload,
		    "message"), "blocks");
		if (!json_is_array(ia->blocks))
			ia->blocks = NULL;
		ia->text = json_string_value(json_object_get(json_object_get(
		    payload, "message"), "text"));
	} else if (ia->kind == INTERACT_SUBMIT) {
		get_str(payload, ia->callback_id, sizeof(ia->callback_id),
		    "view", "callback_id", NULL);
		get_str(payload, ia->order_id, sizeof(ia->order_id), "view",
		    "private_metadata", NULL);
		values = json_object_get(json_object_get(json_object_get(
		    payload, "view"), "state"), "values");
		if (get_str(values, ia->qty, sizeof(ia->qty),
		    INTERACT_QTY_BLOCK, INTERACT_QTY_BLOCK, "value", NULL) ==
		    -1)
			ia->qty_cut = 1;
		ia->confirmed = over_cap_ticked(values);
	}
	return 0;
}

/* interact_qty: see interact.h. */
int
interact_qty(const char *s, long long cap, int confirmed, long long *qty,
    int *over_cap, char *err, size_t errsz)
{
	const char *p, *end;
	long long v = 0;
	int digits = 0, dot = 0, other = 0, big = 0;

	*over_cap = 0;
	*qty = 0;
	if (s == NULL)
		s = "";
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (s == end) {
		errmsg_set(err, errsz, "Enter how many to order, for "
		    "example 12.");
		return -1;
	}
	for (p = *s == '-' ? s + 1 : s; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			digits++;
			if (v > (INTERACT_QTY_MAX - (*p - '0')) / 10)
				big = 1;
			else
				v = v * 10 + (*p - '0');
		} else if (*p == '.')
			dot++;
		else
			other++;
	}
	if (other || digits == 0 || dot > 1) {
		errmsg_set(err, errsz, "Enter a whole number, for example "
		    "12.");
		return -1;
	}
	if (dot) {
		errmsg_set(err, errsz, "Enter a whole number of units, "
		    "without a decimal point.");
		return -1;
	}
	if (*s == '-' || v == 0) {
		errmsg_set(err, errsz, "The quantity must be at least 1. To "
		    "order none, skip the order instead.");
		return -1;
	}
	if (big) {
		errmsg_set(err, errsz, "That is more than %lld: enter a "
		    "smaller number.", INTERACT_QTY_MAX);
		return -1;
	}
	if (cap >= 0 && v > cap && !confirmed) {
		*over_cap = 1;
		errmsg_set(err, errsz, "This is above the order cap of %lld. "
		    "Tick \"Order more than the cap\" to confirm it.", cap);
		return -1;
	}
	*qty = v;
	return 0;
}

/* {"type": "plain_text", "text": s}, owned. */
static json_t *
plain(const char *s)
{
	return json_pack("{s:s, s:s}", "type", "plain_text", "text", s);
}

/* Dumps v (owned, released here) compact onto out. */
static int
dump_to(json_t *v, struct buf *out)
{
	char *s;			/* owned, malloc'd by jansson */
	int rc;

	if (v == NULL)
		return -1;
	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (s == NULL)
		return -1;
	rc = buf_adds(out, s);
	free(s);
	return rc;
}

/* interact_mrkdwn: see interact.h. */
int
interact_mrkdwn(const char *s, struct buf *out)
{
	return compose_mrkdwn(out, s);
}

/*
 * A section of mrkdwn text, owned: escaped here and cut to Slack's 3000
 * characters at a character boundary, never inside an "&amp;".
 */
static json_t *
section(const char *text)
{
	struct buf esc = { 0 };
	json_t *b;			/* owned, returned */
	size_t n, chars = 0, amp;

	if (interact_mrkdwn(*text != '\0' ? text : " ", &esc) == -1)
		return NULL;
	for (n = 0; n < esc.len; n++)
		if (((unsigned char)esc.p[n] & 0xc0) != 0x80 &&
		    ++chars > 2990)
			break;
	if (n < esc.len) {
		for (amp = n; amp > 0 && n - amp < 5; amp--)
			if (esc.p[amp - 1] == ';')
				break;
			else if (esc.p[amp - 1] == '&') {
				n = amp - 1;
				break;
			}
	}
	b = json_pack("{s:s, s:{s:s, s:s%}}", "type", "section", "text",
	    "type", "mrkdwn", "text", esc.p, n);
	buf_free(&esc);
	return b;
}

/*
 * Appends a name for the modal: its first NAME_MAX_CHARS characters
 * (with an ellipsis when cut), escaped for mrkdwn. s is valid UTF-8 (it
 * comes from a record or a document read as such).
 */
static int
add_name(struct buf *out, const char *s)
{
	struct buf cut = { 0 };
	size_t n, chars = 0;
	int rc;

	for (n = 0; s[n] != '\0'; n++)
		if (((unsigned char)s[n] & 0xc0) != 0x80 &&
		    ++chars > NAME_MAX_CHARS)
			break;
	rc = buf_add(&cut, s, n) == -1 || (s[n] != '\0' &&
	    buf_adds(&cut, "\xe2\x80\xa6") == -1) ||
	    interact_mrkdwn(cut.p, out) == -1 ? -1 : 0;
	buf_free(&cut);
	return rc;
}

/* interact_edit_view: see interact.h. */
int
interact_edit_view(const struct interact_edit *e, struct buf *out)
{
	struct buf text = { 0 }, init = { 0 }, label = { 0 };
	json_t *view = NULL, *blocks;	/* owned; blocks borrowed from view */
	json_t *input, *box;		/* owned until given away */
	int rc = -1;

	if (e->order_id == NULL || strlen(e->order_id) > 3000 ||
	    buf_addf(&init, "%lld", e->qty) == -1)
		goto out;
	view = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:[]}",
	    "type", "modal",
	    "callback_id", INTERACT_EDIT_CALLBACK,
	    "private_metadata", e->order_id,
	    "title", plain("Edit quantity"),
	    "submit", plain("Send order"),
	    "close", plain("Cancel"),
	    "blocks");
	if (view == NULL)
		goto out;
	blocks = json_object_get(view, "blocks");
	/* the names are cut and escaped for mrkdwn, the bold markers added
	 * after: the section stays far below Slack's 3000 characters */
	if (buf_addc(&text, '*') == -1 || add_name(&text, e->item ? e->item :
	    e->order_id) == -1 || buf_addc(&text, '*') == -1 ||
	    (e->supplier != NULL && (buf_adds(&text, " from ") == -1 ||
	    add_name(&text, e->supplier) == -1)) ||
	    buf_addf(&text, "\nDrafted quantity: %lld", e->qty) == -1 ||
	    (e->cap >= 0 && buf_addf(&text, "\nOrder cap: %lld", e->cap) ==
	    -1) ||
	    buf_adds(&text, "\nSubmitting sends the purchase order to the "
	    "supplier with the quantity below.") == -1 ||
	    json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}",
	    "type", "section", "text", "type", "mrkdwn", "text", text.p)) ==
	    -1)
		goto out;
	input = json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s, s:o}}",
	    "type", "input", "block_id", INTERACT_QTY_BLOCK,
	    "label", plain("Quantity"),
	    "element", "type", "plain_text_input",
	    "action_id", INTERACT_QTY_BLOCK, "initial_value", init.p,
	    "placeholder", plain("A whole number, such as 12"));
	if (input == NULL || json_array_append_new(blocks, input) == -1)
		goto out;
	if (e->cap >= 0) {
		if (buf_addf(&label, "Order more than the cap of %lld",
		    e->cap) == -1)
			goto out;
		box = json_pack("{s:s, s:s, s:b, s:o, s:{s:s, s:s, s:[{s:o, "
		    "s:s}]}}", "type", "input", "block_id",
		    INTERACT_CONFIRM_BLOCK, "optional", 1,
		    "label", plain("Above the cap"),
		    "element", "type", "checkboxes",
		    "action_id", INTERACT_CONFIRM_BLOCK, "options",
		    "text", plain(label.p), "value", INTERACT_OVER_CAP);
		if (box == NULL || json_array_append_new(blocks, box) == -1)
			goto out;
	}
	rc = dump_to(view, out);
	view = NULL;
out:
	json_decref(view);
	buf_free(&text);
	buf_free(&init);
	buf_free(&label);
	return rc;
}

/* interact_errors: see interact.h. */
int
interact_errors(const char *block_id, const char *msg, struct buf *out)
{
	return dump_to(json_pack("{s:s, s:{s:s}}", "response_action",
	    "errors", "errors", block_id, msg), out);
}

/* interact_info_view: see interact.h. */
int
interact_info_view(const char *title, const char *text, struct buf *out)
{
	json_t *s = section(text);	/* owned until given away */

	if (s == NULL)
		return -1;
	return dump_to(json_pack("{s:s, s:{s:s, s:o, s:o, s:[o]}}",
	    "response_action", "update", "view", "type", "modal",
	    "title", plain(title), "close", plain("Close"), "blocks", s), out);
}

/* interact_note_blocks: see interact.h. */
int
interact_note_blocks(json_t *blocks, const char *text, struct buf *out)
{
	struct buf esc = { 0 };
	json_t *all, *b;		/* owned; b borrowed from blocks */
	const char *id;
	size_t i;

	if ((all = json_array()) == NULL)
		return -1;
	json_array_foreach(blocks, i, b) {
		id = json_string_value(json_object_get(b, "block_id"));
		if (id != NULL && strcmp(id, INTERACT_NOTE_BLOCK) == 0)
			continue;
		if (json_array_append(all, b) == -1) {
			json_decref(all);
			return -1;
		}
	}
	if (interact_mrkdwn(text, &esc) == -1 || json_array_append_new(all,
	    json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "type", "context",
	    "block_id", INTERACT_NOTE_BLOCK, "elements", "type", "mrkdwn",
	    "text", esc.p)) == -1) {
		buf_free(&esc);
		json_decref(all);
		return -1;
	}
	buf_free(&esc);
	return dump_to(all, out);
}
