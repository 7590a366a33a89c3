/*
 * channel: the dispatcher for notifiers and mailers. It picks a backend by
 * the URI scheme, checks what every backend would have to check (the
 * message id), and passes each call on. See channel.h for the contract and
 * channel_backend.h for what a backend fills.
 *
 * URIs are "scheme:rest" (a scheme as RFC 3986 has it: a letter, then
 * letters, digits, '+', '-' or '.'). There is no default backend: a value
 * without a scheme is refused, and an error names only the scheme, never
 * the rest of the URI, which may hold a password or a token.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uri.h"
#include "errmsg.h"
#include "channel.h"
#include "channel_backend.h"

struct notifier {
	const struct notify_ops *ops;
	void	*be;		/* the backend's state */
	int	 errset;	/* the last failure was the dispatcher's */
	char	 err[256];
};

struct mailer {
	const struct mailer_ops *ops;
	void	*be;
	int	 errset;
	char	 err[256];
};

/*
 * The backends this build knows, by scheme. A new backend is one file
 * that defines its ops, and one line here.
 */
static const struct notify_ops *const notifiers[] = {
	&notify_outbox_ops,
	&notify_slack_ops,
	&notify_email_ops,
};
#define NNOTIFIERS	(sizeof(notifiers) / sizeof(notifiers[0]))

static const struct mailer_ops *const mailers[] = {
	&mailer_outbox_ops,
	&mailer_smtp_ops,
	&mailer_smtps_ops,
	&mailer_ses_ops,
};
#define NMAILERS	(sizeof(mailers) / sizeof(mailers[0]))

/*
 * Finds uri's scheme among the n schemes at schemes[0], schemes[stride],
 * ... (the first member of each ops struct). Returns its index, or -1 with
 * a message in err: what is wrong, and the schemes this build knows.
 */
static int
pick(const char *what, const char *uri, const char *const *schemes,
    size_t n, char *err, size_t errsz)
{
	char known[256];
	size_t len, i, slen;

	if (uri == NULL || *uri == '\0') {
		errmsg_set(err, errsz, "no %s given", what);
		return -1;
	}
	slen = uri_scheme_len(uri);
	for (i = 0; slen > 0 && i < n; i++)
		if (strlen(schemes[i]) == slen &&
		    strncasecmp(schemes[i], uri, slen) == 0)
			return (int)i;
	known[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(known);
		snprintf(known + len, sizeof(known) - len, "%s%s",
		    i ? ", " : "", schemes[i]);
	}
	if (slen == 0)
		errmsg_set(err, errsz, "%s has no scheme, as in outbox:DIR "
		    "(known: %s)", what, known);
	else
		errmsg_set(err, errsz, "unknown %s \"%.*s\" (known: %s)", what,
		    slen > 32 ? 32 : (int)slen, uri, known);
	return -1;
}

/* 32-bit FNV-1a of the bytes of s. */
static uint32_t
fnv1a32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Whether c may stand at position i of an id. */
static int
id_char(char c, size_t i)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	    (c == '.' && i > 0);
}

/*
 * Whether id can name a file in any backend: [A-Za-z0-9._-], not
 * starting with a dot, 1 to CHANNEL_ID_MAX bytes.
 */
static int
id_ok(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0')
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (!id_char(id[i], i) || i == CHANNEL_ID_MAX)
			return 0;
	return 1;
}

/*
 * notify_open: opens the notifier named by uri ("outbox:DIR"). On failure
 * returns NULL with a message for people in err.
 */
struct notifier *
notify_open(const char *uri, char *err, size_t errsz)
{
	const char *schemes[NNOTIFIERS];
	struct notifier *n;
	size_t i;
	int k;
	void *be;

	errmsg_set(err, errsz, "%s", "");
	for (i = 0; i < NNOTIFIERS; i++)
		schemes[i] = notifiers[i]->scheme;
	if ((k = pick("notify channel", uri, schemes, NNOTIFIERS, err,
	    errsz)) == -1)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		errmsg_set(err, errsz, "out of memory");
		return NULL;
	}
	if ((be = notifiers[k]->open(uri + strlen(schemes[k]) + 1, err,
	    errsz)) == NULL) {
		free(n);
		return NULL;
	}
	n->ops = notifiers[k];
	n->be = be;
	return n;
}

/*
 * notify_send: delivers the owner message once per msg->id. Returns
 * CHANNEL_SENT, CHANNEL_ALREADY (delivered before: nothing sent now),
 * CHANNEL_ERR or CHANNEL_UNAVAILABLE (see notify_error()). ref, when
 * refsz > 0, receives where the message is, also for CHANNEL_ALREADY.
 */
int
notify_send(struct notifier *n, const struct owner_msg *msg, char *ref,
    size_t refsz)
{
	n->errset = 0;
	n->err[0] = '\0';
	if (ref != NULL && refsz > 0)
		ref[0] = '\0';
	if (msg == NULL || !id_ok(msg->id)) {
		snprintf(n->err, sizeof(n->err), "invalid message id (want "
		    "[A-Za-z0-9._-], not starting with a dot, at most %d "
		    "bytes)", CHANNEL_ID_MAX);
		n->errset = 1;
		return CHANNEL_ERR;
	}
	return n->ops->send(n->be, msg, ref, refsz);
}

/* notify_error: the last failure on n, for people. */
const char *
notify_error(const struct notifier *n)
{
	if (n == NULL)
		return "no notifier";
	if (n->errset)
		return n->err;
	return n->ops->error(n->be);
}

/* notify_close: closes the backend and frees n. NULL is a no-op. */
void
notify_close(struct notifier *n)
{
	if (n == NULL)
		return;
	n->ops->close(n->be);
	free(n);
}

/*
 * mailer_open: opens the mail transport named by uri ("outbox:DIR"). On
 * failure returns NULL with a message for people in err.
 */
struct mailer *
mailer_open(const char *uri, char *err, size_t errsz)
{
	const char *schemes[NMAILERS];
	struct mailer *m;
	size_t i;
	int k;
	void *be;

	errmsg_set(err, errsz, "%s", "");
	for (i = 0; i < NMAILERS; i++)
		schemes[i] = mailers[i]->scheme;
	if ((k = pick("mail transport", uri, schemes, NMAILERS, err,
	    errsz)) == -1)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		errmsg_set(err, errsz, "out of memory");
		return NULL;
	}
	if ((be = mailers[k]->open(uri + strlen(schemes[k]) + 1, err,
	    errsz)) == NULL) {
		free(m);
		return NULL;
	}
	m->ops = mailers[k];
	m->be = be;
	return m;
}

/*
 * mailer_send: sends the raw message (len bytes) once per id, from the
 * envelope sender from to the NULL-terminated rcpt. Results and ref as
 * for notify_send().
 */
int
mailer_send(struct mailer *m, const char *id, const char *from,
    const char *const *rcpt, const char *raw, size_t len, char *ref,
    size_t refsz)
{
	m->errset = 0;
	m->err[0] = '\0';
	if (ref != NULL && refsz > 0)
		ref[0] = '\0';
	if (!id_ok(id))
		snprintf(m->err, sizeof(m->err), "invalid message id (want "
		    "[A-Za-z0-9._-], not starting with a dot, at most %d "
		    "bytes)", CHANNEL_ID_MAX);
	else if (rcpt == NULL || rcpt[0] == NULL || rcpt[0][0] == '\0')
		snprintf(m->err, sizeof(m->err), "message %s has no "
		    "recipient", id);
	else if (raw == NULL || len == 0)
		snprintf(m->err, sizeof(m->err), "message %s is empty", id);
	else
		return m->ops->send(m->be, id, from, rcpt, raw, len, ref,
		    refsz);
	m->errset = 1;
	return CHANNEL_ERR;
}

/* mailer_error: the last failure on m, for people. */
const char *
mailer_error(const struct mailer *m)
{
	if (m == NULL)
		return "no mailer";
	if (m->errset)
		return m->err;
	return m->ops->error(m->be);
}

/* mailer_close: closes the backend and frees m. NULL is a no-op. */
void
mailer_close(struct mailer *m)
{
	if (m == NULL)
		return;
	m->ops->close(m->be);
	free(m);
}

/*
 * channel_safe_id: see channel.h. The empty string counts as one replaced
 * character ("_-811c9dc5"). The output is also shortened to fit dstsz: a
 * shortened id keeps the hash, so distinct inputs stay distinct as long as
 * dstsz leaves room for it (11 bytes or more).
 */
void
channel_safe_id(const char *s, char *dst, size_t dstsz)
{
	uint32_t h = fnv1a32(s);
	size_t n = strlen(s), keep, i;
	int changed = n == 0;

	if (dstsz == 0)
		return;
	for (i = 0; i < n; i++)
		if (!id_char(s[i], i))
			changed = 1;
	if (!changed && n < dstsz) {
		memcpy(dst, s, n + 1);
		return;
	}
	if (n == 0) {
		s = "_";
		n = 1;
	}
	/* The kept part, then "-" and 8 hex digits and the NUL. */
	keep = dstsz >= 11 ? dstsz - 10 : dstsz - 1;
	if (keep > n)
		keep = n;
	for (i = 0; i < keep; i++)
		dst[i] = id_char(s[i], i) ? s[i] : '_';
	dst[keep] = '\0';
	if (dstsz - keep >= 10)
		snprintf(dst + keep, dstsz - keep, "-%08" PRIx32, h);
}

/* channel_crlf: see channel_backend.h. */
int
channel_crlf(struct buf *out, const char *raw, size_t len)
{
	size_t orig = out->len, i, start;

	/* one pass to size it: at most one extra byte per line end, + 2 */
	if (buf_grow(out, len + len / 8 + 2) == -1)
		return -1;
	for (i = start = 0; i < len; i++) {
		if (raw[i] != '\r' && raw[i] != '\n')
			continue;
		if (buf_add(out, raw + start, i - start) == -1 ||
		    buf_add(out, "\r\n", 2) == -1)
			goto fail;
		if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	if (buf_add(out, raw + start, len - start) == -1)
		goto fail;
	if (out->len == orig || start < len)
		if (buf_add(out, "\r\n", 2) == -1)
			goto fail;
	return 0;
fail:
	out->len = orig;
	if (out->p != NULL)
		out->p[orig] = '\0';
	return -1;
}

/*
 * channel_message_id: see channel_backend.h. A header may be folded over
 * several lines (a continuation line starts with a space or a tab).
 */
int
channel_message_id(const char *raw, size_t len, char *dst, size_t dstsz)
{
	static const char name[] = "message-id:";
	const char *p = raw, *end = raw + len, *eol, *lt, *gt;
	size_t n = sizeof(name) - 1;

	if (dstsz > 0)
		dst[0] = '\0';
	while (p < end && *p != '\r' && *p != '\n') {
		/* the whole header, continuation lines included */
		for (eol = p; (eol = memchr(eol, '\n',
		    (size_t)(end - eol))) != NULL; eol++)
			if (eol + 1 >= end || (eol[1] != ' ' && eol[1] != '\t'))
				break;
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 &&
		    (lt = memchr(p, '<', (size_t)(eol - p))) != NULL &&
		    (gt = memchr(lt, '>', (size_t)(eol - lt))) != NULL &&
		    gt > lt + 1) {
			snprintf(dst, dstsz, "%.*s", (int)(gt - lt - 1),
			    lt + 1);
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}
