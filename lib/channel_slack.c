/*
 * channel_slack: the "slack:CHANNEL" notifier ("slack:#orders" by name,
 * "slack:C0123ABCD" by id), and the Web API calls of slack.h.
 *
 * A draft is posted with chat.postMessage (Authorization: Bearer token,
 * JSON body). Slack answers HTTP 200 even when it refuses ("ok": false,
 * "error": "invalid_auth"): that is read and told in words, never with
 * the token. Before posting, the payload goes through slack_prepare(),
 * so that no message breaks a Block Kit limit: Slack would refuse it.
 *
 * Idempotency. Slack has no idempotency key, so every message carries
 * metadata {"event_type": "ir_draft", "event_payload": {"id": ID,
 * "part": i, "parts": n}} and, before posting, the channel's last 7 days
 * are searched for it (conversations.history, include_all_metadata,
 * newest first, 100 a page). Found: CHANNEL_ALREADY with that message's
 * ref. Seven days is enough because ids are per day: an id carries its
 * draft date ("draft-ITEM-YYYYMMDD"), so the same id only comes back on a
 * re-run of that day's drafts (after a crash, a retry, a deferred draft
 * sent later that day), never a week later. A payload split into several
 * messages is delivered once it has all its parts; a crash between parts
 * leaves the missing ones for the re-run to post.
 *
 * The bound is taken from the real clock, not IR_NOW: it is compared with
 * Slack's timestamps, which are Slack's real time even in a replay.
 *
 * A channel given by name is resolved to its id once per process
 * (conversations.list, public and private channels the bot can see):
 * conversations.history takes only ids. ref is "slack:CHANNEL_ID/TS".
 *
 * Retries. Reads (history, list, update) are retried by http.c on a
 * transport error, 429 (after Retry-After) and 5xx. chat.postMessage is
 * not idempotent, so it is not left to http.c, which would also repeat it
 * after a timeout or a 5xx, when Slack may have posted it: it is retried
 * here, after the wait Slack asks for on a 429 ("ratelimited"), and after
 * a timeout or a 5xx only when a new search shows the message did not
 * land. Slack unreachable (refused, no such host) is CHANNEL_ERR: a
 * service down (exit 69); still rate limited or failing after the
 * retries is CHANNEL_UNAVAILABLE (exit 75, try later).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "channel.h"
#include "channel_backend.h"
#include "config.h"
#include "http.h"
#include "slack.h"

#define SLACK_DEFAULT_API	"https://slack.com/api"
#define SLACK_EVENT_TYPE	"ir_draft"
#define SLACK_LOOKBACK_S	(7L * 86400)
#define SLACK_HISTORY_PAGES	10	/* of 100 messages */
#define SLACK_LIST_PAGES	50	/* of 200 channels */
#define SLACK_RETRY_AFTER_MAX	30	/* seconds we agree to wait */
#define SLACK_TS_MAX		32

/* How a call ended, which decides whether and how to retry it. */
enum api_result {
	API_OK,
	API_REFUSED,		/* Slack said no: retrying will not help */
	API_THROTTLED,		/* 429, "ratelimited": nothing done, wait */
	API_DOWN,		/* no connection at all: nothing done */
	API_MAYBE		/* timeout, 5xx: it may have been done */
};

/* Where and how to call the Web API. auth holds the token: a secret. */
struct slack_api {
	char	 base[512];	/* IR_SLACK_API_URL, no trailing '/' */
	char	 auth[640];	/* "Authorization: Bearer TOKEN" */
	int	 retries;	/* IR_HTTP_RETRIES, -1: http.c's default */
	long	 timeout_ms;	/* IR_HTTP_TIMEOUT_MS, 0: http.c's */
};

struct api_reply {
	json_t	*json;		/* owned: the answer, on API_OK only */
	long	 retry_after;	/* seconds, on API_THROTTLED; 0 none */
};

struct slack {
	struct slack_api api;
	char	 channel[96];	/* as given, for messages: "#orders" */
	char	 name[96];	/* without '#'; "" when given by id */
	char	 id[64];	/* the channel id; "" until resolved */
	char	 err[512];
};

/* ---- UTF-8 and JSON helpers ---- */

/* The number of characters (code points) in the n bytes at s. */
static size_t
u8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* The bytes taken by the first chars characters of the n bytes at s. */
static size_t
u8_prefix(const char *s, size_t n, size_t chars)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == chars)
			return i;
	return n;
}

/* The length in characters of obj[key] when a string, else 0. */
static size_t
str_chars(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);	/* borrowed */

	return json_is_string(v) ? u8_chars(json_string_value(v),
	    json_string_length(v)) : 0;
}

/*
 * Cuts the string obj[key] to max characters, the last ones being note.
 * 1 when cut, 0 when it fitted (or is not a string), -1 on ENOMEM.
 */
static int
cut_string(json_t *obj, const char *key, size_t max, const char *note)
{
	json_t *v = json_object_get(obj, key);	/* borrowed */
	struct buf b = { 0 };
	const char *s;
	size_t n, nl, keep;
	int rc;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	if (u8_chars(s, n) <= max)
		return 0;
	nl = u8_chars(note, strlen(note));
	keep = u8_prefix(s, n, max > nl ? max - nl : 0);
	/* copy first: setting the key releases s */
	if (buf_add(&b, s, keep) == -1 || buf_adds(&b, note) == -1) {
		buf_free(&b);
		return -1;
	}
	rc = json_object_set_new(obj, key, json_stringn(b.p, b.len));
	buf_free(&b);
	return rc == -1 ? -1 : 1;
}

/* cut_string() on the "text" of the text object obj[key]. */
static int
cut_text(json_t *obj, const char *key, size_t max, const char *note)
{
	json_t *t = json_object_get(obj, key);	/* borrowed */

	return json_is_object(t) ? cut_string(t, "text", max, note) : 0;
}

/* Characters of block text in v: every string under a "text" key. */
static size_t
text_weight(json_t *v)
{
	const char *key;
	json_t *x;	/* borrowed */
	size_t i, w = 0;

	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (strcmp(key, "text") == 0 && json_is_string(x))
				w += u8_chars(json_string_value(x),
				    json_string_length(x));
			else
				w += text_weight(x);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, x)
			w += text_weight(x);
	return w;
}

/* ---- Block Kit preparation ---- */

/*
 * Appends blk to out (a new reference) and, when blk[key] has more than
 * max elements, new blocks {"type": type, key: [the next max]} after it,
 * blk keeping the first max. -1 on ENOMEM.
 */
static int
append_split(json_t *out, json_t *blk, const char *key, size_t max)
{
	json_t *arr = json_object_get(blk, key);	/* borrowed */
	json_t *keep, *slice, *nb;			/* owned */
	const char *type = json_string_value(json_object_get(blk, "type"));
	size_t n = json_array_size(arr), i, k;
	int rc = -1;

	if (n <= max)
		return json_array_append(out, blk);
	keep = json_incref(arr);	/* blk lets go of it below */
	if ((slice = json_array()) == NULL)
		goto out;
	for (k = 0; k < max; k++)
		if (json_array_append(slice, json_array_get(keep, k)) == -1) {
			json_decref(slice);
			goto out;
		}
	if (json_object_set_new(blk, key, slice) == -1 ||
	    json_array_append(out, blk) == -1)
		goto out;
	for (i = max; i < n; i += max) {
		if ((slice = json_array()) == NULL)
			goto out;
		for (k = i; k < n && k < i + max; k++)
			if (json_array_append(slice,
			    json_array_get(keep, k)) == -1) {
				json_decref(slice);
				goto out;
			}
		if ((nb = json_object()) == NULL) {
			json_decref(slice);
			goto out;
		}
		if (json_object_set_new(nb, "type", json_string(type)) == -1 ||
		    json_object_set_new(nb, key, slice) == -1 ||
		    json_array_append_new(out, nb) == -1)
			goto out;
	}
	rc = 0;
out:
	json_decref(keep);
	return rc;
}

/* Fails with "block N: what" in err. */
static int
block_err(char *err, size_t errsz, size_t n, const char *what)
{
	snprintf(err, errsz, "slack: block %zu: %s", n + 1, what);
	return -1;
}

/*
 * The limits of one actions element: its text is cut, but a value,
 * action_id or URL cannot be cut without breaking the button.
 */
static int
prep_element(json_t *el, size_t nb, char *err, size_t errsz)
{
	if (str_chars(el, "value") > SLACK_BUTTON_VALUE_MAX)
		return block_err(err, errsz, nb, "a button value is over "
		    "Slack's 2000 characters");
	if (str_chars(el, "action_id") > SLACK_ID_MAX)
		return block_err(err, errsz, nb, "an action_id is over "
		    "Slack's 255 characters");
	if (str_chars(el, "url") > SLACK_URL_MAX)
		return block_err(err, errsz, nb, "a button URL is over "
		    "Slack's 3000 characters");
	if (cut_text(el, "text", SLACK_BUTTON_TEXT_MAX, "…") == -1)
		return block_err(err, errsz, nb, "out of memory");
	return 0;
}

/*
 * Brings block number nb (blk, owned by the parsed payload and changed in
 * place) within Block Kit's limits and appends it, perhaps as several
 * blocks, to out.
 */
static int
prep_block(json_t *blk, size_t nb, json_t *out, char *err, size_t errsz)
{
	char note[80];
	const char *type;
	json_t *arr, *x;	/* borrowed */
	size_t i;

	if (!json_is_object(blk) || (type = json_string_value(
	    json_object_get(blk, "type"))) == NULL)
		return block_err(err, errsz, nb, "not a block (no \"type\")");
	if (str_chars(blk, "block_id") > SLACK_ID_MAX)
		return block_err(err, errsz, nb, "block_id is over Slack's "
		    "255 characters");
	if (strcmp(type, "section") == 0) {
		snprintf(note, sizeof(note), "\n… (cut to Slack's "
		    "%d-character limit)", SLACK_SECTION_TEXT_MAX);
		if (cut_text(blk, "text", SLACK_SECTION_TEXT_MAX, note) == -1)
			goto nomem;
		arr = json_object_get(blk, "fields");
		json_array_foreach(arr, i, x)
			if (cut_string(x, "text", SLACK_FIELD_TEXT_MAX,
			    " … (cut)") == -1)
				goto nomem;
		if (append_split(out, blk, "fields", SLACK_FIELDS_MAX) == -1)
			goto nomem;
		return 0;
	}
	if (strcmp(type, "header") == 0) {
		if (cut_text(blk, "text", SLACK_HEADER_TEXT_MAX, "…") == -1)
			goto nomem;
	} else if (strcmp(type, "context") == 0) {
		arr = json_object_get(blk, "elements");
		json_array_foreach(arr, i, x)
			if (cut_string(x, "text", SLACK_SECTION_TEXT_MAX,
			    " … (cut)") == -1)
				goto nomem;
		if (append_split(out, blk, "elements", SLACK_CONTEXT_MAX) ==
		    -1)
			goto nomem;
		return 0;
	} else if (strcmp(type, "actions") == 0) {
		arr = json_object_get(blk, "elements");
		json_array_foreach(arr, i, x)
			if (prep_element(x, nb, err, errsz) == -1)
				return -1;
		if (append_split(out, blk, "elements", SLACK_ACTIONS_MAX) ==
		    -1)
			goto nomem;
		return 0;
	}
	if (json_array_append(out, blk) == -1)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errsz, "out of memory");
	return -1;
}

static int
is_actions(json_t *blk)
{
	const char *t = json_string_value(json_object_get(blk, "type"));

	return t != NULL && strcmp(t, "actions") == 0;
}

/*
 * Splits the prepared blocks into messages: an array of block arrays
 * (owned by the caller). Actions blocks go last, all in the last message;
 * the messages are filled from the end, each with at most
 * SLACK_MAX_BLOCKS blocks and about SLACK_MSG_TEXT_BUDGET characters.
 */
static json_t *
chunk_blocks(json_t *blocks, char *err, size_t errsz)
{
	json_t *order, *chunks, *cur, *res = NULL;	/* owned */
	json_t *b;					/* borrowed */
	size_t n, i, nact = 0, cnt = 0, w = 0, bw;

	order = json_array();
	chunks = json_array();
	cur = json_array();
	if (order == NULL || chunks == NULL || cur == NULL)
		goto nomem;
	json_array_foreach(blocks, i, b)
		if (!is_actions(b) && json_array_append(order, b) == -1)
			goto nomem;
	json_array_foreach(blocks, i, b)
		if (is_actions(b)) {
			if (json_array_append(order, b) == -1)
				goto nomem;
			nact++;
		}
	if (nact > SLACK_MAX_BLOCKS) {
		snprintf(err, errsz, "slack: %zu actions blocks do not fit in "
		    "one message", nact);
		goto out;
	}
	n = json_array_size(order);
	for (i = n; i-- > 0;) {
		b = json_array_get(order, i);
		bw = text_weight(b);
		if (cnt > 0 && i < n - nact && (cnt + 1 > SLACK_MAX_BLOCKS ||
		    w + bw > SLACK_MSG_TEXT_BUDGET)) {
			if (json_array_insert_new(chunks, 0, cur) == -1) {
				cur = NULL;
				goto nomem;
			}
			if ((cur = json_array()) == NULL)
				goto nomem;
			cnt = w = 0;
		}
		if (json_array_insert(cur, 0, b) == -1)
			goto nomem;
		cnt++;
		w += bw;
	}
	if (json_array_insert_new(chunks, 0, cur) == -1) {
		cur = NULL;
		goto nomem;
	}
	cur = NULL;
	res = json_incref(chunks);
	goto out;
nomem:
	snprintf(err, errsz, "out of memory");
out:
	json_decref(cur);
	json_decref(order);
	json_decref(chunks);
	return res;
}

/* A message {"text": text (+ part i of n), "blocks": blocks}, owned. */
static json_t *
make_message(const char *text, size_t tlen, json_t *blocks, size_t i,
    size_t n)
{
	struct buf t = { 0 };
	json_t *m;	/* owned */
	size_t keep = u8_prefix(text, tlen, SLACK_FALLBACK_MAX - 40);

	if (buf_add(&t, text, keep) == -1 || (n > 1 &&
	    buf_addf(&t, "%s(part %zu of %zu)", keep ? " " : "", i + 1,
	    n) == -1) || buf_addc(&t, '\0') == -1) {
		buf_free(&t);
		return NULL;
	}
	m = json_object();
	if (m != NULL && (json_object_set_new(m, "text",
	    json_stringn(t.p, t.len - 1)) == -1 || (blocks != NULL &&
	    json_object_set(m, "blocks", blocks) == -1))) {
		json_decref(m);
		m = NULL;
	}
	buf_free(&t);
	return m;
}

/* slack_prepare: see slack.h. */
json_t *
slack_prepare(const char *payload, size_t len, char *err, size_t errsz)
{
	json_t *root = NULL, *prepped = NULL, *chunks = NULL;	/* owned */
	json_t *out = NULL, *m;					/* owned */
	json_t *blocks, *b, *t;					/* borrowed */
	json_error_t je;
	const char *text = "";
	size_t i, n, tlen = 0;

	if ((root = json_loadb(payload, len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL || !json_is_object(root)) {
		snprintf(err, errsz, "slack: the message is not a JSON object"
		    "%s%s", root ? "" : ": ", root ? "" : je.text);
		goto fail;
	}
	if ((t = json_object_get(root, "text")) != NULL) {
		if (!json_is_string(t)) {
			snprintf(err, errsz, "slack: the message's \"text\" is "
			    "not a string");
			goto fail;
		}
		text = json_string_value(t);
		tlen = json_string_length(t);
	}
	blocks = json_object_get(root, "blocks");
	if (blocks != NULL && !json_is_array(blocks)) {
		snprintf(err, errsz, "slack: the message's \"blocks\" is not "
		    "an array");
		goto fail;
	}
	if ((prepped = json_array()) == NULL || (out = json_array()) == NULL)
		goto nomem;
	json_array_foreach(blocks, i, b)
		if (prep_block(b, i, prepped, err, errsz) == -1)
			goto fail;
	if (json_array_size(prepped) == 0) {
		if (tlen == 0) {
			snprintf(err, errsz, "slack: the message is empty");
			goto fail;
		}
		if ((m = make_message(text, tlen, NULL, 0, 1)) == NULL ||
		    json_array_append_new(out, m) == -1)
			goto nomem;
	} else {
		if ((chunks = chunk_blocks(prepped, err, errsz)) == NULL)
			goto fail;
		n = json_array_size(chunks);
		json_array_foreach(chunks, i, b)
			if ((m = make_message(text, tlen, b, i, n)) == NULL ||
			    json_array_append_new(out, m) == -1)
				goto nomem;
	}
	json_decref(root);
	json_decref(prepped);
	json_decref(chunks);
	return out;
nomem:
	snprintf(err, errsz, "out of memory");
fail:
	json_decref(root);
	json_decref(prepped);
	json_decref(chunks);
	json_decref(out);
	return NULL;
}

/* ---- The Web API ---- */

/* A small count or duration from the config; dflt when unset or bad. */
static long
config_long(const char *key, long max, long dflt)
{
	const char *v = config_get(config_global(), key);
	char *end;
	long x;

	if (v == NULL)
		return dflt;
	errno = 0;
	x = strtol(v, &end, 10);
	return end == v || *end != '\0' || errno || x < 0 || x > max ?
	    dflt : x;
}

/*
 * Reads the token and the API base from the config into a. -1 with a
 * message in err (naming the setting, never its value).
 */
static int
api_init(struct slack_api *a, char *err, size_t errsz)
{
	const char *tok = config_get(config_global(), "IR_SLACK_BOT_TOKEN");
	const char *base = config_get(config_global(), "IR_SLACK_API_URL");
	size_t n, i;

	memset(a, 0, sizeof(*a));
	if (tok == NULL) {
		snprintf(err, errsz, "slack: no bot token: set "
		    "IR_SLACK_BOT_TOKEN (xoxb-...)");
		return -1;
	}
	n = strlen(tok);
	for (i = 0; i < n; i++)
		if ((unsigned char)tok[i] <= ' ' ||
		    (unsigned char)tok[i] >= 0x7f)
			break;
	if (i < n || n > 512) {
		snprintf(err, errsz, "slack: IR_SLACK_BOT_TOKEN is not a "
		    "token (spaces, control characters, or too long)");
		return -1;
	}
	if (base == NULL)
		base = SLACK_DEFAULT_API;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(a->base) || (strncmp(base, "https://", 8) &&
	    strncmp(base, "http://", 7))) {
		snprintf(err, errsz, "slack: IR_SLACK_API_URL must be an "
		    "http(s):// URL");
		return -1;
	}
	memcpy(a->base, base, n);
	a->base[n] = '\0';
	snprintf(a->auth, sizeof(a->auth), "Authorization: Bearer %s", tok);
	a->retries = (int)config_long("IR_HTTP_RETRIES", 20, -1);
	a->timeout_ms = config_long("IR_HTTP_TIMEOUT_MS", 3600000L, 0);
	return 0;
}

/* Forgets the token. */
static void
api_wipe(struct slack_api *a)
{
	explicit_bzero(a->auth, sizeof(a->auth));
}

/* Slack's error code from an answer, reduced to [a-z0-9_]. */
static void
error_code(json_t *j, const char *key, char *dst, size_t dstsz)
{
	const char *e = json_string_value(json_object_get(j, key));
	size_t k = 0;

	for (; e != NULL && *e != '\0' && k + 1 < dstsz && k < 64; e++)
		if ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
		    *e == '_' || *e == ':' || *e == ',' || *e == '.')
			dst[k++] = *e;
	dst[k] = '\0';
}

/*
 * What an "ok": false answer means, in words: the result, and the message
 * in err. what names the channel (or the object) the call was about.
 */
static enum api_result
api_refusal(const char *method, const char *what, json_t *j, long status,
    char *err, size_t errsz)
{
	static const char *const auth[] = { "invalid_auth", "not_authed",
	    "account_inactive", "token_revoked", "token_expired",
	    "no_permission", "org_login_required", "ekm_access_denied",
	    NULL };
	static const char *const layout[] = { "invalid_blocks",
	    "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long",
	    "too_many_attachments", "invalid_metadata_format",
	    "invalid_metadata_schema", "metadata_too_large",
	    "metadata_must_be_sent_from_app", "no_text", NULL };
	static const char *const later[] = { "internal_error", "fatal_error",
	    "service_unavailable", "request_timeout", NULL };
	const char *const *p;
	char code[72], needed[72];

	error_code(j, "error", code, sizeof(code));
	if (code[0] == '\0')
		snprintf(code, sizeof(code), "HTTP %ld", status);
	for (p = auth; *p; p++)
		if (strcmp(code, *p) == 0) {
			snprintf(err, errsz, "slack: %s: Slack refused the bot "
			    "token (%s): check IR_SLACK_BOT_TOKEN", method,
			    code);
			return API_REFUSED;
		}
	for (p = layout; *p; p++)
		if (strcmp(code, *p) == 0) {
			snprintf(err, errsz, "slack: %s: Slack refused the "
			    "message's layout (%s)", method, code);
			return API_REFUSED;
		}
	for (p = later; *p; p++)
		if (strcmp(code, *p) == 0) {
			snprintf(err, errsz, "slack: %s: Slack failed (%s); "
			    "try again later", method, code);
			return API_MAYBE;
		}
	if (strcmp(code, "ratelimited") == 0) {
		snprintf(err, errsz, "slack: %s: Slack is rate limiting the "
		    "bot (ratelimited); try again later", method);
		return API_THROTTLED;
	}
	if (strcmp(code, "channel_not_found") == 0)
		snprintf(err, errsz, "slack: %s: Slack has no channel %s the "
		    "bot can see (channel_not_found): check IR_NOTIFY, and "
		    "invite the bot to a private channel", method, what);
	else if (strcmp(code, "not_in_channel") == 0)
		snprintf(err, errsz, "slack: %s: the bot is not in channel %s "
		    "(not_in_channel): invite it with /invite", method, what);
	else if (strcmp(code, "is_archived") == 0)
		snprintf(err, errsz, "slack: %s: channel %s is archived "
		    "(is_archived)", method, what);
	else if (strcmp(code, "missing_scope") == 0) {
		error_code(j, "needed", needed, sizeof(needed));
		snprintf(err, errsz, "slack: %s: the Slack app lacks a "
		    "permission (missing_scope%s%s): add it and reinstall the "
		    "app", method, needed[0] ? ", needs " : "", needed);
	} else if (strcmp(code, "expired_trigger_id") == 0 ||
	    strcmp(code, "invalid_trigger_id") == 0)
		snprintf(err, errsz, "slack: %s: the click that opens the "
		    "form is too old (%s; Slack allows 3 s)", method, code);
	else
		snprintf(err, errsz, "slack: %s: Slack refused the request "
		    "(%s)", method, code);
	return API_REFUSED;
}

/*
 * Calls a Web API method: POST with body (JSON, borrowed) or, when body
 * is NULL, GET with query (escaped already; NULL none). retries is for
 * http.c (0: one attempt; < 0: its default). what names the channel for
 * messages. On API_OK r->json is the answer, owned by the caller.
 */
static enum api_result
api_call(const struct slack_api *a, const char *method, const char *query,
    json_t *body, int retries, const char *what, struct api_reply *r,
    char *err, size_t errsz)
{
	struct http_req q;
	struct http_resp resp;
	struct buf url = { 0 };
	const char *hdr[3];
	char *text = NULL;	/* owned, malloc'd by jansson */
	json_t *j = NULL;	/* owned */
	char ra[32];
	enum api_result res = API_REFUSED;

	memset(r, 0, sizeof(*r));
	memset(&resp, 0, sizeof(resp));
	if (buf_addf(&url, "%s/%s%s%s", a->base, method, query ? "?" : "",
	    query ? query : "") == -1 || (body != NULL &&
	    (text = json_dumps(body, JSON_COMPACT)) == NULL)) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	hdr[0] = a->auth;
	hdr[1] = body ? "Content-Type: application/json; charset=utf-8" :
	    NULL;
	hdr[2] = NULL;
	memset(&q, 0, sizeof(q));
	q.method = body ? "POST" : "GET";
	q.url = url.p;
	q.headers = hdr;
	q.body = text;
	q.body_len = text ? strlen(text) : 0;
	q.retries = retries;
	q.timeout_ms = a->timeout_ms;
	if (http_do(&q, &resp) == -1) {
		res = resp.connected ? API_MAYBE : API_DOWN;
		snprintf(err, errsz, "slack: %s: cannot reach Slack at %s: %s",
		    method, a->base, resp.err);
		goto out;
	}
	if (resp.body.len > 0 && (j = json_loadb(resp.body.p, resp.body.len,
	    0, NULL)) != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	if (resp.status == 429) {
		if (http_header(&resp, "Retry-After", ra, sizeof(ra)) == 0)
			r->retry_after = strtol(ra, NULL, 10);
		snprintf(err, errsz, "slack: %s: Slack is rate limiting the "
		    "bot (HTTP 429); try again later", method);
		res = API_THROTTLED;
	} else if (resp.status >= 500) {
		snprintf(err, errsz, "slack: %s: Slack answered HTTP %ld; try "
		    "again later", method, resp.status);
		res = API_MAYBE;
	} else if (j == NULL)
		snprintf(err, errsz, "slack: %s: the answer from %s (HTTP %ld) "
		    "is not the Slack Web API's: check IR_SLACK_API_URL",
		    method, a->base, resp.status);
	else if (resp.status == 200 &&
	    json_is_true(json_object_get(j, "ok"))) {
		r->json = j;
		j = NULL;
		res = API_OK;
	} else {
		res = api_refusal(method, what, j, resp.status, err, errsz);
		if (res == API_THROTTLED && http_header(&resp, "Retry-After",
		    ra, sizeof(ra)) == 0)
			r->retry_after = strtol(ra, NULL, 10);
	}
out:
	json_decref(j);
	free(text);
	buf_free(&url);
	http_resp_free(&resp);
	return res;
}

/* The channel.h result for an API result. */
static int
channel_result(enum api_result k)
{
	switch (k) {
	case API_OK:
		return CHANNEL_SENT;
	case API_THROTTLED:
	case API_MAYBE:
		return CHANNEL_UNAVAILABLE;
	default:
		return CHANNEL_ERR;
	}
}

/* Whether s is made of the bytes in set, 1 to max of them. */
static int
made_of(const char *s, const char *set, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= max && strspn(s, set) == n;
}

#define ID_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define TS_CHARS	"0123456789."
#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789-_"

/* ---- The notifier ---- */

/* Opens "slack:CHANNEL"; the state is owned by the caller. */
static void *
slack_open(const char *rest, char *err, size_t errsz)
{
	struct slack *s;
	const char *name = rest[0] == '#' ? rest + 1 : rest;
	int by_id;

	by_id = rest[0] != '#' && (rest[0] == 'C' || rest[0] == 'G' ||
	    rest[0] == 'D') && made_of(rest, ID_CHARS, 32);
	if (!by_id && !made_of(name, NAME_CHARS, 80)) {
		snprintf(err, errsz, "slack: write slack:#CHANNEL (a name: "
		    "lowercase letters, digits, '-', '_') or slack:CHANNEL_ID "
		    "(as in slack:C0123ABCD)");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (api_init(&s->api, err, errsz) == -1) {
		free(s);
		return NULL;
	}
	if (by_id) {
		snprintf(s->id, sizeof(s->id), "%s", rest);
		snprintf(s->channel, sizeof(s->channel), "%s", rest);
	} else {
		snprintf(s->name, sizeof(s->name), "%s", name);
		snprintf(s->channel, sizeof(s->channel), "#%s", name);
	}
	return s;
}

static void
slack_close(void *be)
{
	struct slack *s = be;

	if (s == NULL)
		return;
	api_wipe(&s->api);
	free(s);
}

static const char *
slack_error(void *be)
{
	struct slack *s = be;

	return s->err;
}

/* Appends "&cursor=C" when the answer j has a next cursor; 1 if so. */
static int
next_cursor(json_t *j, struct buf *q)
{
	const char *c = json_string_value(json_object_get(json_object_get(j,
	    "response_metadata"), "next_cursor"));

	if (c == NULL || *c == '\0')
		return 0;
	return buf_adds(q, "&cursor=") == 0 && http_escape(q, c,
	    strlen(c)) == 0;
}

/* Finds the channel's id by its name, once (conversations.list). */
static enum api_result
resolve(struct slack *s)
{
	struct api_reply r;
	struct buf q = { 0 };
	json_t *ch;		/* borrowed from r.json */
	const char *name, *id;
	size_t i;
	int page, more = 1;
	enum api_result k = API_OK;

	if (s->id[0] != '\0')
		return API_OK;
	if (buf_adds(&q, "exclude_archived=true&limit=200&"
	    "types=public_channel%2Cprivate_channel") == -1) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return API_REFUSED;
	}
	for (page = 0; more && page < SLACK_LIST_PAGES; page++) {
		if ((k = api_call(&s->api, "conversations.list", q.p, NULL,
		    s->api.retries, s->channel, &r, s->err,
		    sizeof(s->err))) != API_OK)
			break;
		json_array_foreach(json_object_get(r.json, "channels"), i,
		    ch) {
			name = json_string_value(json_object_get(ch, "name"));
			id = json_string_value(json_object_get(ch, "id"));
			if (name && strcmp(name, s->name) == 0 &&
			    made_of(id, ID_CHARS, sizeof(s->id) - 1)) {
				snprintf(s->id, sizeof(s->id), "%s", id);
				more = 0;
				break;
			}
		}
		/* the query for the next page is the first one + cursor */
		if (more) {
			char *amp = strstr(q.p, "&cursor=");

			if (amp != NULL) {
				q.len = (size_t)(amp - q.p);
				q.p[q.len] = '\0';
			}
			more = next_cursor(r.json, &q);
		}
		json_decref(r.json);
	}
	buf_free(&q);
	if (k != API_OK)
		return k;
	if (s->id[0] == '\0') {
		snprintf(s->err, sizeof(s->err), "slack: Slack has no channel "
		    "%s the bot can see: check IR_NOTIFY; for a private "
		    "channel, invite the bot; or give the channel id, as in "
		    "slack:C0123ABCD", s->channel);
		return API_REFUSED;
	}
	return API_OK;
}

/*
 * Searches the channel's last 7 days for the parts of message id: ts[i]
 * receives part i+1's timestamp ("" when not found; the newest copy when
 * there are several). nparts entries of SLACK_TS_MAX bytes.
 */
static enum api_result
lookup(struct slack *s, const char *id, size_t nparts,
    char (*ts)[SLACK_TS_MAX])
{
	struct api_reply r;
	struct buf q = { 0 }, q0 = { 0 };
	json_t *m, *md, *pl;	/* borrowed from r.json */
	const char *et, *pid, *mts;
	json_int_t part;
	size_t i, found = 0;
	int page, more = 1;
	enum api_result k = API_OK;

	for (i = 0; i < nparts; i++)
		ts[i][0] = '\0';
	if (buf_addf(&q0, "channel=%s&limit=100&include_all_metadata=true&"
	    "oldest=%lld.000000", s->id, (long long)time(NULL) -
	    SLACK_LOOKBACK_S) == -1 || buf_add(&q, q0.p, q0.len) == -1) {
		buf_free(&q0);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return API_REFUSED;
	}
	for (page = 0; more && found < nparts && page < SLACK_HISTORY_PAGES;
	    page++) {
		if ((k = api_call(&s->api, "conversations.history", q.p, NULL,
		    s->api.retries, s->channel, &r, s->err,
		    sizeof(s->err))) != API_OK)
			break;
		json_array_foreach(json_object_get(r.json, "messages"), i, m) {
			md = json_object_get(m, "metadata");
			et = json_string_value(json_object_get(md,
			    "event_type"));
			pl = json_object_get(md, "event_payload");
			pid = json_string_value(json_object_get(pl, "id"));
			mts = json_string_value(json_object_get(m, "ts"));
			if (et == NULL || strcmp(et, SLACK_EVENT_TYPE) != 0 ||
			    pid == NULL || strcmp(pid, id) != 0 ||
			    !made_of(mts, TS_CHARS, SLACK_TS_MAX - 1))
				continue;
			part = json_is_integer(json_object_get(pl, "part")) ?
			    json_integer_value(json_object_get(pl, "part")) : 1;
			if (part < 1 || (size_t)part > nparts ||
			    ts[part - 1][0] != '\0')
				continue;
			snprintf(ts[part - 1], SLACK_TS_MAX, "%s", mts);
			found++;
		}
		buf_reset(&q);
		more = json_is_true(json_object_get(r.json, "has_more")) &&
		    buf_add(&q, q0.p, q0.len) == 0 && next_cursor(r.json, &q);
		json_decref(r.json);
	}
	buf_free(&q);
	buf_free(&q0);
	return k;
}

/*
 * Posts part i (of n) of message id: msg ({"text", "blocks"}, borrowed)
 * with the channel and the metadata. Retried here, see the top of the
 * file. ts receives the new message's timestamp.
 */
static enum api_result
post(struct slack *s, json_t *msg, const char *id, size_t i, size_t n,
    char *ts)
{
	struct api_reply r;
	char (*seen)[SLACK_TS_MAX];
	json_t *body;		/* owned */
	const char *t;
	long wait;
	int attempt, max = s->api.retries < 0 ? HTTP_RETRIES : s->api.retries;
	enum api_result k = API_REFUSED;

	if ((body = json_copy(msg)) == NULL ||
	    json_object_set_new(body, "channel", json_string(s->id)) == -1 ||
	    json_object_set_new(body, "metadata", json_pack("{s:s, s:{s:s, "
	    "s:I, s:I}}", "event_type", SLACK_EVENT_TYPE, "event_payload",
	    "id", id, "part", (json_int_t)(i + 1), "parts",
	    (json_int_t)n)) == -1) {
		json_decref(body);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return API_REFUSED;
	}
	for (attempt = 0;; attempt++) {
		k = api_call(&s->api, "chat.postMessage", NULL, body, 0,
		    s->channel, &r, s->err, sizeof(s->err));
		if (k == API_OK || k == API_REFUSED || attempt >= max)
			break;
		wait = (long)HTTP_BACKOFF_BASE_MS << (attempt > 8 ? 8 :
		    attempt);
		if (wait > HTTP_BACKOFF_CAP_MS)
			wait = HTTP_BACKOFF_CAP_MS;
		if (k == API_THROTTLED && r.retry_after > 0)
			wait = (r.retry_after > SLACK_RETRY_AFTER_MAX ?
			    SLACK_RETRY_AFTER_MAX : r.retry_after) * 1000;
		http_sleep_ms(wait);
		if (k != API_MAYBE)
			continue;
		/* It may have landed: look before posting again. */
		if ((seen = calloc(n, sizeof(*seen))) == NULL)
			break;
		if (lookup(s, id, n, seen) == API_OK && seen[i][0] != '\0') {
			snprintf(ts, SLACK_TS_MAX, "%s", seen[i]);
			free(seen);
			json_decref(body);
			return API_OK;
		}
		free(seen);
	}
	json_decref(body);
	if (k != API_OK)
		return k;
	t = json_string_value(json_object_get(r.json, "ts"));
	if (!made_of(t, TS_CHARS, SLACK_TS_MAX - 1)) {
		/* posted, but no usable ts: the ref will say so */
		snprintf(ts, SLACK_TS_MAX, "unknown");
	} else
		snprintf(ts, SLACK_TS_MAX, "%s", t);
	json_decref(r.json);
	return API_OK;
}

/*
 * Delivers the owner message: every part not in the channel yet.
 * CHANNEL_ALREADY when all were there.
 */
static int
slack_send(void *be, const struct owner_msg *m, char *ref, size_t refsz)
{
	struct slack *s = be;
	char (*ts)[SLACK_TS_MAX] = NULL;
	json_t *msgs;		/* owned */
	size_t i, n, posted = 0;
	enum api_result k;

	s->err[0] = '\0';
	if (m->slack_json == NULL) {
		snprintf(s->err, sizeof(s->err), "slack: message %s has no "
		    "Slack payload", m->id);
		return CHANNEL_ERR;
	}
	if ((msgs = slack_prepare(m->slack_json, strlen(m->slack_json),
	    s->err, sizeof(s->err))) == NULL)
		return CHANNEL_ERR;
	n = json_array_size(msgs);
	if ((ts = calloc(n, sizeof(*ts))) == NULL) {
		json_decref(msgs);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return CHANNEL_ERR;
	}
	if ((k = resolve(s)) != API_OK || (k = lookup(s, m->id, n, ts)) !=
	    API_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (ts[i][0] != '\0')
			continue;
		if ((k = post(s, json_array_get(msgs, i), m->id, i, n,
		    ts[i])) != API_OK)
			goto out;
		posted++;
	}
	if (ref != NULL && refsz > 0)
		snprintf(ref, refsz, "slack:%s/%s", s->id, ts[n - 1]);
out:
	free(ts);
	json_decref(msgs);
	if (k != API_OK)
		return channel_result(k);
	return posted > 0 ? CHANNEL_SENT : CHANNEL_ALREADY;
}

const struct notify_ops notify_slack_ops = {
	.scheme = "slack",
	.open = slack_open,
	.send = slack_send,
	.error = slack_error,
	.close = slack_close,
};

/* ---- chat.update and views.open (slack.h) ---- */

/* slack_update: see slack.h. */
int
slack_update(const char *channel, const char *ts, const char *text,
    const char *blocks_json, char *err, size_t errsz)
{
	struct slack_api a;
	struct api_reply r;
	json_t *pl = NULL, *msgs = NULL, *body = NULL;	/* owned */
	json_t *blocks = NULL;				/* owned */
	json_error_t je;
	char *dump = NULL;	/* owned, malloc'd by jansson */
	enum api_result k = API_REFUSED;

	if (!made_of(channel, ID_CHARS, 32) || !made_of(ts, TS_CHARS,
	    SLACK_TS_MAX - 1)) {
		snprintf(err, errsz, "slack: chat.update needs a channel id "
		    "and a message ts");
		return CHANNEL_ERR;
	}
	if (blocks_json != NULL && ((blocks = json_loads(blocks_json,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_array(blocks))) {
		snprintf(err, errsz, "slack: the blocks are not a JSON array");
		json_decref(blocks);
		return CHANNEL_ERR;
	}
	if (api_init(&a, err, errsz) == -1) {
		json_decref(blocks);
		return CHANNEL_ERR;
	}
	if ((pl = json_object()) == NULL || json_object_set_new(pl, "text",
	    json_string(text ? text : "")) == -1 || (blocks != NULL &&
	    json_object_set(pl, "blocks", blocks) == -1) ||
	    (dump = json_dumps(pl, JSON_COMPACT)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if ((msgs = slack_prepare(dump, strlen(dump), err, errsz)) == NULL)
		goto out;
	if (json_array_size(msgs) != 1) {
		snprintf(err, errsz, "slack: chat.update: the blocks do not "
		    "fit in one message (at most %d blocks, about %d "
		    "characters)", SLACK_MAX_BLOCKS, SLACK_MSG_TEXT_BUDGET);
		goto out;
	}
	if ((body = json_copy(json_array_get(msgs, 0))) == NULL ||
	    json_object_set_new(body, "channel", json_string(channel)) ==
	    -1 || json_object_set_new(body, "ts", json_string(ts)) == -1) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	/* the same content again is harmless: http.c may retry it */
	if ((k = api_call(&a, "chat.update", NULL, body, a.retries, channel,
	    &r, err, errsz)) == API_OK)
		json_decref(r.json);
out:
	api_wipe(&a);
	free(dump);
	json_decref(pl);
	json_decref(blocks);
	json_decref(msgs);
	json_decref(body);
	return channel_result(k);
}

/* slack_views_open: see slack.h. */
int
slack_views_open(const char *trigger_id, const char *view_json, char *err,
    size_t errsz)
{
	struct slack_api a;
	struct api_reply r;
	json_t *view = NULL, *body = NULL;	/* owned */
	json_error_t je;
	const char *pm;
	size_t i;
	enum api_result k = API_REFUSED;

	for (i = 0; trigger_id != NULL && trigger_id[i] != '\0'; i++)
		if ((unsigned char)trigger_id[i] <= ' ' ||
		    (unsigned char)trigger_id[i] >= 0x7f)
			break;
	if (trigger_id == NULL || i == 0 || trigger_id[i] != '\0' ||
	    i > 255) {
		snprintf(err, errsz, "slack: views.open needs a trigger_id");
		return CHANNEL_ERR;
	}
	if (view_json == NULL || (view = json_loads(view_json,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(view) ||
	    json_string_value(json_object_get(view, "type")) == NULL) {
		snprintf(err, errsz, "slack: the view is not a JSON object "
		    "with a \"type\"");
		json_decref(view);
		return CHANNEL_ERR;
	}
	pm = json_string_value(json_object_get(view, "private_metadata"));
	if (json_array_size(json_object_get(view, "blocks")) >
	    SLACK_MAX_VIEW_BLOCKS || (pm != NULL && u8_chars(pm,
	    strlen(pm)) > SLACK_PRIVATE_MAX)) {
		snprintf(err, errsz, "slack: the view is over Slack's limits "
		    "(%d blocks, %d characters of private_metadata)",
		    SLACK_MAX_VIEW_BLOCKS, SLACK_PRIVATE_MAX);
		json_decref(view);
		return CHANNEL_ERR;
	}
	if (api_init(&a, err, errsz) == -1) {
		json_decref(view);
		return CHANNEL_ERR;
	}
	if ((body = json_pack("{s:s, s:O}", "trigger_id", trigger_id,
	    "view", view)) == NULL)
		snprintf(err, errsz, "out of memory");
	/* a trigger is good for one view and 3 s: one attempt */
	else if ((k = api_call(&a, "views.open", NULL, body, 0, "the form",
	    &r, err, errsz)) == API_OK)
		json_decref(r.json);
	api_wipe(&a);
	json_decref(view);
	json_decref(body);
	return channel_result(k);
}
