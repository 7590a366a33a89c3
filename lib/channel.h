/*
 * channel: where messages go, chosen by URI.
 *   notifier: messages to the owner: outbox:DIR, slack:CHANNEL (Web API),
 *             email:ADDRESS (through the mailer of IR_MAIL).
 *   mailer:   email transport (supplier purchase orders, owner emails):
 *             outbox:DIR, smtp:// and smtps:// (libcurl), ses: (SES v2).
 * Sends are idempotent by id where the transport allows it: the outbox
 * refuses a second file of the same id, Slack is searched for a message
 * carrying the id in its metadata. SES and SMTP have no idempotency key:
 * for supplier emails ir-approve's claim (pending -> sending) makes sure a
 * message is sent at most once; an owner's draft email may be sent again
 * after a crash between sending and recording it (same Message-ID, so
 * mail clients show one).
 *
 * The outbox backend writes DIR/<id>.json (the Slack Block Kit payload) and
 * DIR/<id>.eml (the RFC 5322 message), each atomically (temporary file,
 * fsync, link into place, fsync of the directory).
 *
 * Ownership: callers own what they pass; ids must be filename-safe
 * ([A-Za-z0-9._-], not starting with a dot).
 */
#ifndef IR_CHANNEL_H
#define IR_CHANNEL_H

#include <stddef.h>

enum channel_result {
	CHANNEL_SENT = 0,
	CHANNEL_ALREADY = 1,
	CHANNEL_ERR = -1,		/* will not work as is: see *_error() */
	CHANNEL_UNAVAILABLE = -2,	/* not sent; try again later */
	CHANNEL_UNKNOWN = -3		/* may have been sent (a timeout or a
					   5xx after the message went out):
					   never send it again on its own */
};

/* The longest id, in bytes; a buffer for an id is CHANNEL_ID_MAX + 1. */
#define CHANNEL_ID_MAX	240

struct owner_msg {
	const char	*id;		/* "draft-<order_id>" */
	const char	*subject;
	const char	*text;		/* plain-text body */
	const char	*slack_json;	/* {"text":..., "blocks":[...]} */
	const char	*eml;		/* the whole RFC 5322 message */
	size_t		 eml_len;
};

struct notifier;
struct mailer;

struct notifier *notify_open(const char *uri, char *err, size_t errsz);
/* ref receives where the message went (a path, a channel and ts, ...). */
int	notify_send(struct notifier *, const struct owner_msg *, char *ref,
	    size_t refsz);
const char *notify_error(const struct notifier *);
void	notify_close(struct notifier *);

struct mailer *mailer_open(const char *uri, char *err, size_t errsz);
/* rcpt is NULL-terminated. raw is the whole message, CRLF or LF. */
int	mailer_send(struct mailer *, const char *id, const char *from,
	    const char *const *rcpt, const char *raw, size_t len, char *ref,
	    size_t refsz);
const char *mailer_error(const struct mailer *);
void	mailer_close(struct mailer *);

/* Makes a filename-safe id from any text (an item id): keeps
 * [A-Za-z0-9._-], replaces the rest with '_' and, if anything was replaced,
 * appends '-' and 8 hex digits of a hash of the original. A leading dot
 * counts as replaced. An id too long for dst is cut and gets the hash too
 * (with dstsz >= 11), so it stays unique: pick dstsz so that the id with
 * any prefix added later ("draft-") stays within CHANNEL_ID_MAX. */
void	channel_safe_id(const char *s, char *dst, size_t dstsz);

#endif
