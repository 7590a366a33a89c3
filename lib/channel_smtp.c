/*
 * channel_smtp: the "smtp://" and "smtps://" mailers, through libcurl's
 * SMTP client.
 *
 *   smtp://[USER[:PASS]@]HOST[:PORT][?tls=none][&insecure=1]
 *   smtps://[USER[:PASS]@]HOST[:PORT][?insecure=1]
 *
 * smtp:// requires STARTTLS (the session fails rather than send the
 * password or the message in the clear) unless ?tls=none, which is for a
 * relay on the same machine or network only; smtps:// speaks TLS from the
 * first byte. The default port is 587 (submission, RFC 6409) for smtp://
 * and 465 for smtps://. USER and PASS are percent-decoded (write "%40"
 * for an '@' in a user name, "%3A" for a ':' in a password).
 * ?insecure=1 skips the certificate and host name checks: it exists for
 * the tests, whose server has a self-signed certificate, and must not be
 * used against a real server.
 *
 * The password goes to libcurl and nowhere else: no message, no ref, no
 * log line holds it (an error text from libcurl is scrubbed of it too, in
 * case a server echoes it back).
 *
 * On the wire every line ends in CRLF (compose writes LF); libcurl adds
 * the dot-stuffing and the final ".". ref is "smtp:HOST/MESSAGE-ID" (the
 * Message-ID header of the message: libcurl does not expose the server's
 * queue id).
 *
 * Idempotency: SMTP has no idempotency key, and one attempt is made per
 * call, never retried here: a timeout after the message was handed over
 * cannot tell "delivered" from "lost", and sending again could make two.
 * The caller's state (ir-approve's claim before the send) is what keeps a
 * retry from sending twice; a second call with the same id sends again.
 *
 * Results: a refused or unresolvable server, a refused login, a refused
 * sender or recipient (5xx), libcurl missing (it is loaded by the first
 * send, see curlapi.h) are CHANNEL_ERR; a 4xx ("try later") reply
 * is CHANNEL_UNAVAILABLE; a timeout or a dropped connection, after which
 * the message may have been taken, is CHANNEL_UNKNOWN.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "channel.h"
#include "channel_backend.h"
#include "config.h"
#include "curlapi.h"
#include "http.h"

#define SMTP_TIMEOUT_MS	120000L	/* a whole session, large messages too */

struct smtp {
	struct channel_smtp_uri u;
	char	 url[300];		/* smtp://HOST:PORT, no credentials */
	char	 err[512];
};

/* The read position in the message being uploaded. */
struct upload {
	const char	*p;
	size_t		 left;
};

static void	redact(char *, const char *);

/* Stores a message for people, "smtp: ..." (never with the password). */
static void
smtp_seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
smtp_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errsz == 0)
		return;
	n = snprintf(err, errsz, "smtp: ");
	va_start(ap, fmt);
	vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The value of one hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes the n bytes at s into dst (dstsz with its NUL). -1 on a
 * bad escape, an encoded NUL or no room.
 */
static int
pct_decode(const char *s, size_t n, char *dst, size_t dstsz)
{
	size_t i, k = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (k + 1 >= dstsz)
			return -1;
		if (s[i] != '%') {
			dst[k++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		if ((hi = hexval((unsigned char)s[i + 1])) == -1 ||
		    (lo = hexval((unsigned char)s[i + 2])) == -1 ||
		    (hi == 0 && lo == 0))
			return -1;
		dst[k++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[k] = '\0';
	return 0;
}

/* Whether the n bytes at s are a host name or an IPv4 address. */
static int
host_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.' || s[i] == '_'))
			return 0;
	return 1;
}

/* Parses the query (after '?'): tls=none|starttls, insecure=0|1. */
static int
parse_query(const char *q, int implicit_tls, struct channel_smtp_uri *u,
    char *err, size_t errsz)
{
	const char *p, *amp, *eq;
	size_t klen, vlen;

	for (p = q; *p != '\0'; p = *amp ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = eq ? (size_t)(eq - p) : (size_t)(amp - p);
		vlen = eq ? (size_t)(amp - eq - 1) : 0;
		if (klen == 3 && strncmp(p, "tls", 3) == 0 && !implicit_tls &&
		    vlen == 4 && strncmp(eq + 1, "none", 4) == 0)
			u->tls = CHANNEL_TLS_NONE;
		else if (klen == 3 && strncmp(p, "tls", 3) == 0 &&
		    !implicit_tls && vlen == 8 &&
		    strncmp(eq + 1, "starttls", 8) == 0)
			u->tls = CHANNEL_TLS_STARTTLS;
		else if (klen == 8 && strncmp(p, "insecure", 8) == 0 &&
		    vlen == 1 && (eq[1] == '0' || eq[1] == '1'))
			u->insecure = eq[1] == '1';
		else if (klen == 3 && strncmp(p, "tls", 3) == 0) {
			smtp_seterr(err, errsz, "tls must be none or starttls "
			    "(smtps:// is always TLS)");
			return -1;
		} else if (klen == 8 && strncmp(p, "insecure", 8) == 0) {
			smtp_seterr(err, errsz, "insecure must be 0 or 1");
			return -1;
		} else {
			smtp_seterr(err, errsz, "unknown option \"%.*s\" "
			    "(known: tls=none, insecure=1)",
			    klen > 32 ? 32 : (int)klen, p);
			return -1;
		}
	}
	return 0;
}

/* channel_smtp_parse: see channel_backend.h. */
int
channel_smtp_parse(const char *rest, int implicit_tls,
    struct channel_smtp_uri *u, char *err, size_t errsz)
{
	const char *auth, *aend, *at, *colon, *host, *hend, *port, *p;
	char *end;
	long v;

	memset(u, 0, sizeof(*u));
	u->tls = implicit_tls ? CHANNEL_TLS_IMPLICIT : CHANNEL_TLS_STARTTLS;
	u->port = implicit_tls ? 465 : 587;
	if (strncmp(rest, "//", 2) != 0) {
		smtp_seterr(err, errsz, "write smtp%s://[USER:PASSWORD@]HOST"
		    "[:PORT]", implicit_tls ? "s" : "");
		return -1;
	}
	auth = rest + 2;
	aend = auth + strcspn(auth, "/?#");
	/* the last '@': a password with a bare '@' still parses */
	for (at = NULL, p = auth; p < aend; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (pct_decode(auth, (size_t)((colon ? colon : at) - auth),
		    u->user, sizeof(u->user)) == -1 || (colon != NULL &&
		    pct_decode(colon + 1, (size_t)(at - colon - 1), u->pass,
		    sizeof(u->pass)) == -1)) {
			explicit_bzero(u->pass, sizeof(u->pass));
			smtp_seterr(err, errsz, "the user name or password is "
			    "badly percent-encoded or too long");
			return -1;
		}
		if (u->user[0] == '\0') {
			explicit_bzero(u->pass, sizeof(u->pass));
			smtp_seterr(err, errsz, "a password without a user "
			    "name");
			return -1;
		}
		host = at + 1;
	} else
		host = auth;
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(aend - host))) == NULL)
			goto badhost;
		for (p = host + 1; p < hend; p++)
			if (hexval((unsigned char)*p) == -1 && *p != ':' &&
			    *p != '.')
				goto badhost;
		hend++;
	} else {
		hend = memchr(host, ':', (size_t)(aend - host));
		if (hend == NULL)
			hend = aend;
		if (!host_ok(host, (size_t)(hend - host)))
			goto badhost;
	}
	if ((size_t)(hend - host) >= sizeof(u->host))
		goto badhost;
	memcpy(u->host, host, (size_t)(hend - host));
	u->host[hend - host] = '\0';
	if (hend < aend) {
		if (*hend != ':')
			goto badhost;
		port = hend + 1;
		errno = 0;
		v = strtol(port, &end, 10);
		if (end == port || end != aend || errno != 0 || v < 1 ||
		    v > 65535 || *port == '+' || *port == '-') {
			smtp_seterr(err, errsz, "the port must be a number "
			    "from 1 to 65535");
			goto fail;
		}
		u->port = v;
	}
	p = aend;
	if (*p == '/')
		p++;
	if (*p == '#' || (*p != '\0' && *p != '?')) {
		smtp_seterr(err, errsz, "unexpected text after the host "
		    "(only ?tls=none and ?insecure=1 may follow)");
		goto fail;
	}
	if (*p == '?' && parse_query(p + 1, implicit_tls, u, err,
	    errsz) == -1)
		goto fail;
	return 0;
badhost:
	smtp_seterr(err, errsz, "no valid host name (write smtp%s://"
	    "[USER:PASSWORD@]HOST[:PORT])", implicit_tls ? "s" : "");
fail:
	/* an option's name is quoted: it could be a misplaced password */
	if (errsz > 0)
		redact(err, u->pass);
	explicit_bzero(u->pass, sizeof(u->pass));
	return -1;
}

/* Opens the mailer; the state is owned by the caller (smtp_close). */
static void *
smtp_open_tls(const char *rest, int implicit_tls, char *err, size_t errsz)
{
	struct smtp *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (channel_smtp_parse(rest, implicit_tls, &s->u, err, errsz) == -1) {
		free(s);
		return NULL;
	}
	snprintf(s->url, sizeof(s->url), "%s://%s:%ld",
	    implicit_tls ? "smtps" : "smtp", s->u.host, s->u.port);
	return s;
}

static void *
smtp_open(const char *rest, char *err, size_t errsz)
{
	return smtp_open_tls(rest, 0, err, errsz);
}

static void *
smtps_open(const char *rest, char *err, size_t errsz)
{
	return smtp_open_tls(rest, 1, err, errsz);
}

/* Wipes the password and frees the state; NULL is a no-op. */
static void
smtp_close(void *be)
{
	struct smtp *s = be;

	if (s == NULL)
		return;
	explicit_bzero(s->u.pass, sizeof(s->u.pass));
	free(s);
}

static const char *
smtp_error(void *be)
{
	struct smtp *s = be;

	return s->err;
}

/* libcurl's read callback: the next piece of the message. */
static size_t
on_read(char *dst, size_t size, size_t n, void *ctx)
{
	struct upload *up = ctx;
	size_t len = size * n;

	if (len > up->left)
		len = up->left;
	memcpy(dst, up->p, len);
	up->p += len;
	up->left -= len;
	return len;
}

/*
 * "<addr>" for the envelope, unless it is already in angle brackets. -1
 * when addr holds a control character: a CR or LF would end the SMTP
 * command and start another.
 */
static int
envelope(const char *addr, char *dst, size_t dstsz)
{
	const char *lt, *gt, *p;

	if (addr == NULL)
		addr = "";
	for (p = addr; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return -1;
	if ((lt = strchr(addr, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL)
		snprintf(dst, dstsz, "%.*s", (int)(gt - lt + 1), lt);
	else
		snprintf(dst, dstsz, "<%s>", addr);
	return 0;
}

/*
 * Overwrites every copy of secret in msg with '*', in case a server
 * echoes it. A secret shorter than 4 bytes is left alone: it cannot be
 * told from ordinary words (a password "p" would blank every 'p').
 */
static void
redact(char *msg, const char *secret)
{
	size_t sl = strlen(secret);
	char *p = msg;

	if (sl < 4)
		return;
	while ((p = strstr(p, secret)) != NULL) {
		memset(p, '*', sl);
		p += sl;
	}
}

/* The configured total timeout (IR_HTTP_TIMEOUT_MS) or ours. */
static long
timeout_ms(void)
{
	const char *v = config_get(config_global(), "IR_HTTP_TIMEOUT_MS");
	char *end;
	long ms;

	if (v == NULL)
		return SMTP_TIMEOUT_MS;
	ms = strtol(v, &end, 10);
	return end == v || *end != '\0' || ms <= 0 ? SMTP_TIMEOUT_MS : ms;
}

/*
 * Maps a failed session to a result and a message for people: the
 * server, what went wrong, libcurl's detail and the server's refusal code
 * (4xx, 5xx), and what to do about it.
 */
static int
smtp_fail(struct smtp *s, CURLcode rc, long code, const char *detail)
{
	const char *why, *hint = NULL;
	char reply[32] = "";
	int res = CHANNEL_ERR;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		why = "cannot connect to the mail server";
		break;
	case CURLE_LOGIN_DENIED:
		why = "the mail server refused the login";
		hint = "check the user name and password in IR_MAIL";
		break;
	case CURLE_USE_SSL_FAILED:
		why = "the mail server does not offer STARTTLS";
		hint = "smtp://...?tls=none sends in the clear, for a relay on "
		    "this machine only";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		why = "the mail server's certificate is not trusted";
		hint = "add its CA to the system's certificates";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		why = "TLS with the mail server failed";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		why = "the mail server timed out; the message may or may not "
		    "have been taken";
		res = CHANNEL_UNKNOWN;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		why = "the connection to the mail server broke off";
		res = CHANNEL_UNKNOWN;
		break;
	default:
		why = "the mail server did not take the message";
		break;
	}
	/* A refusal code decides when there is one: 4xx later, 5xx never. */
	if (code >= 400 && code < 500 && rc != CURLE_LOGIN_DENIED)
		res = CHANNEL_UNAVAILABLE;
	else if (code >= 500 && code < 600)
		res = CHANNEL_ERR;
	if (code >= 400 && code < 600)
		snprintf(reply, sizeof(reply), ", reply %ld", code);
	smtp_seterr(s->err, sizeof(s->err), "%s:%ld: %s (%s%s)%s%s",
	    s->u.host, s->u.port, why, detail, reply, hint ? "; " : "",
	    hint ? hint : "");
	redact(s->err, s->u.pass);
	return res;
}

/*
 * Sends the raw message (len bytes, LF or CRLF) from the envelope sender
 * from to the NULL-terminated rcpt, in one SMTP session.
 */
static int
smtp_send(void *be, const char *id, const char *from,
    const char *const *rcpt, const char *raw, size_t len, char *ref,
    size_t refsz)
{
	struct smtp *s = be;
	const struct curlapi *curl;
	struct curl_slist *rl = NULL, *t;
	struct buf wire = { 0 };
	struct upload up;
	char addr[1024], sender[1024], ebuf[CURL_ERROR_SIZE], msgid[512];
	char why[256];
	const char *const *r;
	long code = 0;
	CURLcode rc;
	CURL *c;
	int res = CHANNEL_ERR;

	s->err[0] = '\0';
	ebuf[0] = '\0';
	/* the first send of the process loads libcurl: nothing sent */
	if ((curl = curlapi_get(why, sizeof(why))) == NULL) {
		smtp_seterr(s->err, sizeof(s->err), "%s", why);
		return CHANNEL_ERR;
	}
	if (channel_crlf(&wire, raw, len) == -1) {
		smtp_seterr(s->err, sizeof(s->err), "out of memory");
		return CHANNEL_ERR;
	}
	for (r = rcpt; *r != NULL; r++) {
		if (envelope(*r, addr, sizeof(addr)) == -1)
			goto badaddr;
		if ((t = curl->slist_append(rl, addr)) == NULL)
			goto nomem;
		rl = t;
	}
	if (envelope(from, sender, sizeof(sender)) == -1)
		goto badaddr;
	if ((c = curl->easy_init()) == NULL)
		goto nomem;
	up.p = wire.p;
	up.left = wire.len;
	curl->easy_setopt(c, CURLOPT_URL, s->url);
	curl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_CONNECT_MS);
	curl->easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms());
	curl->easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl->easy_setopt(c, CURLOPT_USE_SSL, s->u.tls == CHANNEL_TLS_NONE ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (s->u.insecure) {
		curl->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (s->u.user[0] != '\0') {
		curl->easy_setopt(c, CURLOPT_USERNAME, s->u.user);
		curl->easy_setopt(c, CURLOPT_PASSWORD, s->u.pass);
	}
	curl->easy_setopt(c, CURLOPT_MAIL_FROM, sender);
	curl->easy_setopt(c, CURLOPT_MAIL_RCPT, rl);
	curl->easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl->easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl->easy_setopt(c, CURLOPT_READDATA, &up);
	curl->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)wire.len);
	rc = curl->easy_perform(c);
	curl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl->easy_cleanup(c);
	if (rc != CURLE_OK)
		res = smtp_fail(s, rc, code, ebuf[0] ? ebuf :
		    curl->easy_strerror(rc));
	else {
		res = CHANNEL_SENT;
		if (ref != NULL && refsz > 0) {
			if (channel_message_id(raw, len, msgid,
			    sizeof(msgid)) == 0)
				snprintf(ref, refsz, "smtp:%s/%s", s->u.host,
				    msgid);
			else
				snprintf(ref, refsz, "smtp:%s/%s", s->u.host,
				    id);
		}
	}
	curl->slist_free_all(rl);
	buf_free(&wire);
	return res;
badaddr:
	curl->slist_free_all(rl);
	buf_free(&wire);
	smtp_seterr(s->err, sizeof(s->err), "message %s: a sender or "
	    "recipient address holds a control character", id);
	return CHANNEL_ERR;
nomem:
	curl->slist_free_all(rl);
	buf_free(&wire);
	smtp_seterr(s->err, sizeof(s->err), "out of memory");
	return CHANNEL_ERR;
}

const struct mailer_ops mailer_smtp_ops = {
	.scheme = "smtp",
	.open = smtp_open,
	.send = smtp_send,
	.error = smtp_error,
	.close = smtp_close,
};

const struct mailer_ops mailer_smtps_ops = {
	.scheme = "smtps",
	.open = smtps_open,
	.send = smtp_send,
	.error = smtp_error,
	.close = smtp_close,
};
