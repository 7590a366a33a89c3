/*
 * channel_ses: the "ses:" mailer (optionally "ses:?configuration_set=NAME"),
 * Amazon SES's SendEmail with raw content, API v2:
 *
 *   POST /v2/email/outbound-emails
 *   {"FromEmailAddress": from, "Destination": {"ToAddresses": [...]},
 *    "ConfigurationSetName": NAME, "Content": {"Raw": {"Data": base64}}}
 *
 * through aws_request() (SigV4 service "ses", endpoint
 * AWS_ENDPOINT_URL_SES, else AWS_ENDPOINT_URL, else
 * https://email.REGION.amazonaws.com). v2 rather than v1's SendRawEmail:
 * v2 takes 40 MB where v1 takes 10 MB, answers JSON rather than XML, and
 * the local emulator the tests run (aws-ses-v2-local) implements both, so
 * nothing pulls towards v1.
 *
 * The message goes out with CRLF line ends (RFC 5322; compose writes LF),
 * base64-encoded with OpenSSL's EVP_EncodeBlock: one call into a buffer
 * sized exactly beforehand, no line breaks (a JSON string wants none), no
 * second copy; GLib's g_base64_encode would allocate its own copy that we
 * would then copy again. The limit is checked before anything is sent:
 * 40 MB for the encoded data (SES counts the message after base64
 * encoding; v1 would be 10 MB) and 50 recipients. libcrypto is loaded for
 * it (cryptoapi.h); when it cannot be, nothing is sent (CHANNEL_ERR).
 *
 * ref is the SES MessageId. The send is never repeated when its outcome
 * is unknown (aws_request_once): throttling (a 400 whose code says so,
 * 429) is retried and, still failing, is CHANNEL_UNAVAILABLE (not sent);
 * a timeout or a 5xx is CHANNEL_UNKNOWN (it may have been sent). A server
 * that cannot be reached at all, and every other refusal (an unverified
 * address, bad credentials, a malformed message), are CHANNEL_ERR.
 *
 * Idempotency: SES has no idempotency key, so a second call with the same
 * id sends a second email. The caller's state keeps a retry from getting
 * here twice (ir-approve claims the order before it sends).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws.h"
#include "buf.h"
#include "channel.h"
#include "channel_backend.h"
#include "cryptoapi.h"

#define SES_MAX_ENCODED	(40L * 1024 * 1024)	/* v2, after base64 */
#define SES_MAX_RCPT	50

struct ses {
	char	 config_set[256];	/* "" none */
	char	 err[512];
};

/* Opens the mailer from rest ("" or "?configuration_set=NAME"). */
static void *
ses_open(const char *rest, char *err, size_t errsz)
{
	static const char key[] = "?configuration_set=";
	struct ses *s;
	const char *v = NULL;
	size_t n;

	if (*rest != '\0') {
		if (strncmp(rest, key, sizeof(key) - 1) != 0) {
			snprintf(err, errsz, "ses: the only option is "
			    "ses:?configuration_set=NAME");
			return NULL;
		}
		v = rest + sizeof(key) - 1;
		n = strlen(v);
		if (n == 0 || n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
			snprintf(err, errsz, "ses: a configuration set name is "
			    "1 to 64 letters, digits, '-' or '_'");
			return NULL;
		}
	}
	if (aws_ready(err, errsz) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (v != NULL)
		snprintf(s->config_set, sizeof(s->config_set), "%s", v);
	return s;
}

static void
ses_close(void *be)
{
	free(be);
}

static const char *
ses_error(void *be)
{
	struct ses *s = be;

	return s->err;
}

/*
 * The request body without the message: {"FromEmailAddress": ...,
 * "Destination": ..., "ConfigurationSetName": ...} as compact JSON, owned
 * by the caller (free()). NULL when an address is not UTF-8 (or ENOMEM).
 */
static char *
envelope_json(const struct ses *s, const char *from,
    const char *const *rcpt)
{
	json_t *root, *to;	/* owned; to is given to root */
	const char *const *r;
	char *text = NULL;

	if ((root = json_object()) == NULL)
		return NULL;
	if ((to = json_array()) == NULL ||
	    json_object_set_new(root, "Destination",
	    json_pack("{s:o}", "ToAddresses", to)) == -1)
		goto out;
	for (r = rcpt; *r != NULL; r++)
		if (json_array_append_new(to, json_string(*r)) == -1)
			goto out;
	if (from != NULL && *from != '\0' && json_object_set_new(root,
	    "FromEmailAddress", json_string(from)) == -1)
		goto out;
	if (s->config_set[0] != '\0' && json_object_set_new(root,
	    "ConfigurationSetName", json_string(s->config_set)) == -1)
		goto out;
	text = json_dumps(root, JSON_COMPACT);
out:
	json_decref(root);
	return text;
}

/*
 * Builds the whole request body into body: the envelope, then the
 * message, CRLF and base64. -1 with a message in s->err.
 */
static int
build_body(struct ses *s, const char *from, const char *const *rcpt,
    const char *raw, size_t len, struct buf *body)
{
	const struct cryptoapi *crypto;
	struct buf wire = { 0 };
	char *env = NULL, why[384];
	size_t enc, n;
	int rc = -1;

	for (n = 0; rcpt[n] != NULL; n++)
		;
	if (n > SES_MAX_RCPT) {
		snprintf(s->err, sizeof(s->err), "ses: %zu recipients; SES "
		    "takes at most %d per message", n, SES_MAX_RCPT);
		return -1;
	}
	if ((crypto = cryptoapi_get(why, sizeof(why))) == NULL) {
		snprintf(s->err, sizeof(s->err), "ses: %s", why);
		return -1;
	}
	if (channel_crlf(&wire, raw, len) == -1)
		goto nomem;
	enc = (wire.len + 2) / 3 * 4;
	if (enc > (size_t)SES_MAX_ENCODED || wire.len > (size_t)INT_MAX) {
		snprintf(s->err, sizeof(s->err), "ses: the message is %zu "
		    "bytes after base64 encoding; SES takes at most %ld",
		    enc, SES_MAX_ENCODED);
		goto out;
	}
	if ((env = envelope_json(s, from, rcpt)) == NULL) {
		snprintf(s->err, sizeof(s->err), "ses: a sender or recipient "
		    "address is not valid UTF-8");
		goto out;
	}
	/* env is "{...}": reopen it for the Content member */
	n = strlen(env);
	if (buf_grow(body, n + enc + 40) == -1 ||
	    buf_add(body, env, n - 1) == -1 ||
	    buf_adds(body, ",\"Content\":{\"Raw\":{\"Data\":\"") == -1)
		goto nomem;
	/* room for enc bytes and the NUL EVP_EncodeBlock writes */
	if (buf_grow(body, enc + 1) == -1)
		goto nomem;
	body->len += (size_t)crypto->evp_encode_block((unsigned char *)
	    body->p + body->len, (const unsigned char *)wire.p,
	    (int)wire.len);
	if (buf_adds(body, "\"}}}") == -1)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	snprintf(s->err, sizeof(s->err), "out of memory");
out:
	free(env);
	buf_free(&wire);
	return rc;
}

/* Sends the raw message; ref receives the SES MessageId. */
static int
ses_send(void *be, const char *id, const char *from,
    const char *const *rcpt, const char *raw, size_t len, char *ref,
    size_t refsz)
{
	static const char *const hdr[] = {
		"Content-Type: application/json", NULL
	};
	struct ses *s = be;
	struct buf body = { 0 };
	struct http_resp resp;
	struct aws_error e;
	json_t *reply;		/* owned */
	const char *mid;
	int rc;

	s->err[0] = '\0';
	if (build_body(s, from, rcpt, raw, len, &body) == -1) {
		buf_free(&body);
		return CHANNEL_ERR;
	}
	/* once: a timeout or a 5xx is not repeated (SES may have sent it) */
	rc = aws_request_once(&aws_ses, "POST", "/v2/email/outbound-emails",
	    hdr, body.p, body.len, &resp, &e);
	buf_free(&body);
	if (rc == -1) {
		snprintf(s->err, sizeof(s->err), "ses: %s%s", e.message,
		    e.unknown ? " (the message may have been sent)" : "");
		http_resp_free(&resp);
		return e.unknown ? CHANNEL_UNKNOWN : e.transient ?
		    CHANNEL_UNAVAILABLE : CHANNEL_ERR;
	}
	if (e.unknown) {
		snprintf(s->err, sizeof(s->err), "ses: SES failed with HTTP %ld "
		    "(%s) after taking message %s: it may have been sent",
		    resp.status, e.code, id);
		http_resp_free(&resp);
		return CHANNEL_UNKNOWN;
	}
	if (resp.status < 200 || resp.status >= 300) {
		if (e.transient)
			snprintf(s->err, sizeof(s->err), "ses: SES is "
			    "throttling or failing (HTTP %ld %s: %s); message "
			    "%s not sent, try again later", resp.status,
			    e.code, e.message, id);
		else
			snprintf(s->err, sizeof(s->err), "ses: SES refused "
			    "message %s (HTTP %ld %s): %s", id, resp.status,
			    e.code, e.message);
		http_resp_free(&resp);
		return e.transient ? CHANNEL_UNAVAILABLE : CHANNEL_ERR;
	}
	reply = json_loadb(resp.body.p ? resp.body.p : "", resp.body.len, 0,
	    NULL);
	http_resp_free(&resp);
	mid = json_string_value(json_object_get(reply, "MessageId"));
	if (mid == NULL || *mid == '\0') {
		/* It was accepted: a second send would make two emails. */
		snprintf(s->err, sizeof(s->err), "ses: SES took message %s "
		    "but its answer has no MessageId", id);
		json_decref(reply);
		if (ref != NULL && refsz > 0)
			snprintf(ref, refsz, "ses:%s", id);
		return CHANNEL_SENT;
	}
	if (ref != NULL && refsz > 0)
		snprintf(ref, refsz, "%s", mid);
	json_decref(reply);
	return CHANNEL_SENT;
}

const struct mailer_ops mailer_ses_ops = {
	.scheme = "ses",
	.open = ses_open,
	.send = ses_send,
	.error = ses_error,
	.close = ses_close,
};
