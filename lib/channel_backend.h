/*
 * channel_backend: what a notifier or mailer backend fills. One file per
 * backend (channel_outbox.c now; channel_slack.c, channel_smtp.c,
 * channel_ses.c later); channel.c picks one by the URI scheme and
 * dispatches. Programs never include this header.
 *
 * open() gets the URI after "scheme:" and returns the backend's state, or
 * NULL with a message in err (never a secret from the URI). error() is the
 * message of the last CHANNEL_ERR or CHANNEL_UNAVAILABLE; close() releases
 * the state and accepts NULL.
 */
#ifndef IR_CHANNEL_BACKEND_H
#define IR_CHANNEL_BACKEND_H

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
extern const struct mailer_ops mailer_outbox_ops;

#endif
