/*
 * channel_backend: what a notifier or mailer backend fills. One file per
 * backend (channel_outbox.c, channel_slack.c, channel_email.c,
 * channel_smtp.c, channel_ses.c); channel.c picks one by the URI scheme
 * and dispatches. Programs never include this header (the unit tests do,
 * for the parsers below).
 *
 * open() gets the URI after "scheme:" and returns the backend's state, or
 * NULL with a message in err (never a secret from the URI). error() is the
 * message of the last CHANNEL_ERR or CHANNEL_UNAVAILABLE; close() releases
 * the state and accepts NULL.
 */
#ifndef IR_CHANNEL_BACKEND_H
#define IR_CHANNEL_BACKEND_H

#include "buf.h"
#include "channel.h"

struct notify_ops {
	const char *scheme;		/* "outbox" */
	void	*(*open)(const char *rest, char *err, size_t errsz);
	int	 (*send)(void *, const struct owner_msg *, char *, size_t);
	const char *(*error)(void *);
	void	 (*close)(void *);
};

struct mailer_ops {
	const char *scheme;		/* "outbox" */
	void	*(*open)(const char *rest, char *err, size_t errsz);
	int	 (*send)(void *, const char *, const char *,
		    const char *const *, const char *, size_t, char *, size_t);
	const char *(*error)(void *);
	void	 (*close)(void *);
};

extern const struct notify_ops notify_outbox_ops;
extern const struct notify_ops notify_slack_ops;	/* slack:CHANNEL */
extern const struct notify_ops notify_email_ops;	/* email:ADDRESS */
extern const struct mailer_ops mailer_outbox_ops;
extern const struct mailer_ops mailer_smtp_ops;		/* smtp://... */
extern const struct mailer_ops mailer_smtps_ops;	/* smtps://... */
extern const struct mailer_ops mailer_ses_ops;		/* ses: */

/*
 * channel_crlf: appends raw (len bytes) to out with every line ending
 * made CRLF (a lone LF or a lone CR becomes CRLF; CRLF stays) and a final
 * CRLF added when missing, as SMTP and SES want it on the wire. 0, or -1
 * on ENOMEM (out then as it was).
 */
int	channel_crlf(struct buf *out, const char *raw, size_t len);

/*
 * channel_message_id: the Message-ID of a raw message (its header part
 * only, without the angle brackets) into dst; -1 when it has none (dst
 * then ""). For refs: "smtp:HOST/ID".
 */
int	channel_message_id(const char *raw, size_t len, char *dst,
	    size_t dstsz);

/*
 * An SMTP URI, parsed: smtp://[USER[:PASS]@]HOST[:PORT][/][?tls=none]
 * [&insecure=1], or smtps://... (TLS from the first byte). USER and PASS
 * are percent-decoded. The password is a secret: it is only ever handed
 * to libcurl, never put in a message.
 */
enum channel_smtp_tls {
	CHANNEL_TLS_NONE,		/* ?tls=none: a local relay only */
	CHANNEL_TLS_STARTTLS,		/* smtp://: STARTTLS required */
	CHANNEL_TLS_IMPLICIT		/* smtps:// */
};

struct channel_smtp_uri {
	char	 host[256];		/* as in a URL: "[::1]" for IPv6 */
	long	 port;
	char	 user[256];
	char	 pass[256];
	enum channel_smtp_tls tls;
	int	 insecure;		/* skip certificate checks: tests */
};

/*
 * channel_smtp_parse: parses rest, the URI after "smtp:" or "smtps:"
 * (implicit_tls says which), into u. 0, or -1 with a message in err that
 * never holds the password.
 */
int	channel_smtp_parse(const char *rest, int implicit_tls,
	    struct channel_smtp_uri *u, char *err, size_t errsz);

#endif
