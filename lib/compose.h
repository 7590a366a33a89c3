/*
 * compose: the messages people read. Emails are built with GMime (RFC 5322,
 * encoded-words for non-ASCII headers, quoted-printable/base64 bodies),
 * Slack payloads with jansson; neither is on the per-record path.
 *
 * Ownership: inputs are borrowed; output is appended to the caller's buf.
 * NULL string fields read as "". Emails end lines with LF (a transport
 * that needs CRLF converts); they are deterministic for their inputs, so a
 * re-composed message is byte for byte the one sent before.
 *
 * The compose_*_eml and compose_draft_slack functions return 0, or -1 with
 * errno EINVAL (no usable From/To address; an order id that is empty, not
 * UTF-8 or over 2000 characters for Slack) or ENOMEM; out is then as it
 * was.
 */
#ifndef IR_COMPOSE_H
#define IR_COMPOSE_H

#include <time.h>

#include "buf.h"

/* A draft purchase order shown to the owner. */
struct compose_draft {
	const char	*order_id;
	const char	*item_id;
	const char	*item_name;
	const char	*supplier_name;	/* for people */
	const char	*supplier_email; /* "" when unknown */
	long long	 qty;
	long long	 on_hand;
	long long	 point;
	const char	*move;		/* "reorder" or "urgent_reorder" */
	const char	*explain;	/* the one-line quantity explanation */
	const char	*flags;		/* comma list, "" none */
	const char	*unit_cost;	/* decimal text or "" */
	const char	*po_text;	/* the PO body from the template */
	const char	*shop_name;
	const char	*from;		/* IR_FROM */
	const char	*owner_email;	/* IR_OWNER_EMAIL */
	const char	*approve_cmd;	/* "ir-approve --approve ID" */
	/*
	 * The signed links of ir-approve --http (GET shows a confirmation
	 * page, its button acts): all three, or NULL for none, when the shop
	 * has no IR_PUBLIC_URL or IR_LINK_KEY. links_until says until when
	 * they work, for people.
	 */
	const char	*approve_url;
	const char	*edit_url;
	const char	*skip_url;
	const char	*links_until;
	time_t		 date;
};

/* The purchase order email to the supplier. */
struct compose_po {
	const char	*order_id;
	const char	*message_id;	/* without <>, e.g. "ID@host" */
	const char	*from;
	const char	*reply_to;	/* the owner */
	const char	*to;
	const char	*to_name;
	const char	*subject;
	const char	*text;		/* the PO text (template output) */
	const char	*item_id;
	const char	*item_name;
	long long	 qty;
	const char	*unit_cost;	/* "" unknown */
	const char	*currency;	/* "" unknown */
	time_t		 date;
};

/* Appends s with the five HTML metacharacters (& < > " ') escaped. */
int	compose_html(struct buf *out, const char *s);
/* Appends s escaped for Slack mrkdwn: exactly &, < and > as entities, so
 * that a name like "<!channel>" cannot ping anyone. */
int	compose_mrkdwn(struct buf *out, const char *s);

/* Substitutes {{key}} from vars (key, value, ..., NULL). Unknown keys are
 * left as written; returns how many there were, or -1 on ENOMEM. */
int	compose_template(const char *tmpl, const char *const *vars,
	    struct buf *out);
/* The built-in PO template, used when a supplier has none. Its keys:
 * supplier_name, shop_name, order_id, item_id, item_name, qty, unit_cost,
 * currency, expected_date, owner_email (give unit_cost words such as "as
 * quoted" when it is unknown). Static storage. */
const char *compose_default_template(void);

int	compose_draft_eml(const struct compose_draft *, struct buf *out);
/* {"text": fallback, "blocks": [...]} with Approve / Edit / Skip buttons
 * whose value is the order id (action_id approve, edit, skip). */
int	compose_draft_slack(const struct compose_draft *, struct buf *out);
/* text and HTML alternatives, plus the PO lines as a CSV attachment. */
int	compose_po_eml(const struct compose_po *, struct buf *out);

#endif
