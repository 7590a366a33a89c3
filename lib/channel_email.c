/*
 * channel_email: the "email:ADDRESS" notifier. The owner's message goes
 * out as its email form (owner_msg.eml) to ADDRESS, through the mail
 * transport named by IR_MAIL (smtp://, ses:, outbox:DIR), opened once
 * with the notifier. The envelope sender is IR_FROM.
 *
 * ADDRESS is the envelope recipient; the message's own To: header is the
 * one compose wrote (IR_OWNER_EMAIL), so set both to the same address.
 *
 * Idempotency is the transport's: an outbox delivers an id once; SMTP
 * and SES cannot tell, so a re-run after a crash between "sent" and
 * "recorded" can send the owner the same email twice (never a supplier:
 * ir-approve claims before it sends). ref is the transport's ref.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "channel_backend.h"
#include "config.h"

struct email {
	struct mailer	*mail;		/* owned */
	char		 to[320];
	char		 err[512];
};

/* Whether s looks like one plain address: local@domain, no spaces. */
static int
address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '<' || s[i] == '>' ||
		    s[i] == ',' || s[i] == '"' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Opens the notifier and IR_MAIL's transport; owned, email_close(). */
static void *
email_open(const char *rest, char *err, size_t errsz)
{
	const char *uri = config_get(config_global(), "IR_MAIL");
	struct email *em;
	char why[400];

	if (strlen(rest) >= sizeof(em->to) || !address_ok(rest)) {
		snprintf(err, errsz, "email: write email:ADDRESS with one "
		    "address, as in email:owner@example.com");
		return NULL;
	}
	if (uri == NULL) {
		snprintf(err, errsz, "email: no mail transport to send with "
		    "(set IR_MAIL, as in smtp://HOST or ses:)");
		return NULL;
	}
	if ((em = calloc(1, sizeof(*em))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if ((em->mail = mailer_open(uri, why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "email: IR_MAIL: %s", why);
		free(em);
		return NULL;
	}
	snprintf(em->to, sizeof(em->to), "%s", rest);
	return em;
}

static void
email_close(void *be)
{
	struct email *em = be;

	if (em == NULL)
		return;
	mailer_close(em->mail);
	free(em);
}

static const char *
email_error(void *be)
{
	struct email *em = be;

	return em->err;
}

/* Sends the message's email form to the address, under the message id. */
static int
email_send(void *be, const struct owner_msg *msg, char *ref, size_t refsz)
{
	struct email *em = be;
	const char *rcpt[2];
	int rc;

	em->err[0] = '\0';
	if (msg->eml == NULL || *msg->eml == '\0') {
		snprintf(em->err, sizeof(em->err), "email: message %s has no "
		    "email form", msg->id);
		return CHANNEL_ERR;
	}
	rcpt[0] = em->to;
	rcpt[1] = NULL;
	rc = mailer_send(em->mail, msg->id, config_get(config_global(),
	    "IR_FROM"), rcpt, msg->eml, msg->eml_len > 0 ? msg->eml_len :
	    strlen(msg->eml), ref, refsz);
	if (rc < 0)
		snprintf(em->err, sizeof(em->err), "email to %s: %s", em->to,
		    mailer_error(em->mail));
	return rc;
}

const struct notify_ops notify_email_ops = {
	.scheme = "email",
	.open = email_open,
	.send = email_send,
	.error = email_error,
	.close = email_close,
};
