/*
 * interact: the owner's answers as they arrive over HTTP (ir-approve
 * --http). Slack interactivity payloads (protocols.md section 2) read into
 * a flat struct, the Edit modal and the views that answer a submission,
 * and the check of a quantity typed by a person, shared by the Slack modal
 * and the signed-link page.
 *
 * Untrusted input: every string taken from a payload is bounded (cut
 * values are flagged, never silently used), nothing is echoed back
 * unescaped.
 *
 * Ownership: interact_parse borrows the payload; the struct it fills
 * holds copies, except blocks and text, which are borrowed from the
 * payload and live as long as it. Builders append compact JSON to the
 * caller's buf.
 */
#ifndef IR_INTERACT_H
#define IR_INTERACT_H

#include <jansson.h>

#include "buf.h"

#define INTERACT_ID_MAX		256	/* an order id, a trigger id */
#define INTERACT_QTY_MAX	1000000000LL
/* The Edit modal: its callback_id, and the block and action ids of its
 * inputs (block_id and action_id are the same word). */
#define INTERACT_EDIT_CALLBACK	"ir_edit"
#define INTERACT_QTY_BLOCK	"qty"
#define INTERACT_CONFIRM_BLOCK	"confirm"
#define INTERACT_OVER_CAP	"over_cap"	/* the checkbox's value */
/* The block_id of the note interact_note_blocks adds to a message. */
#define INTERACT_NOTE_BLOCK	"ir_note"

enum interact_kind {
	INTERACT_OTHER = 0,	/* a type this bot does not handle */
	INTERACT_ACTION,	/* block_actions: a button was pressed */
	INTERACT_SUBMIT,	/* view_submission */
	INTERACT_CLOSED		/* view_closed */
};

struct interact {
	int	 kind;			/* enum interact_kind */
	char	 type[32];		/* the payload's type, as sent */
	char	 by[128];		/* user.username, .name or .id */
	char	 action_id[64];		/* block_actions: the first action */
	char	 value[INTERACT_ID_MAX]; /* its value: the order id */
	char	 trigger_id[INTERACT_ID_MAX];
	char	 channel[64];		/* container.channel_id */
	char	 ts[64];		/* container.message_ts */
	char	 callback_id[64];	/* view_submission: view.callback_id */
	char	 order_id[INTERACT_ID_MAX]; /* its private_metadata */
	char	 qty[64];		/* the typed quantity */
	int	 qty_cut;		/* it was longer than qty holds */
	int	 confirmed;		/* the over-cap box is ticked */
	json_t	*blocks;		/* message.blocks: borrowed, or NULL */
	const char *text;		/* message.text: borrowed, or NULL */
};

/*
 * Reads a parsed interactivity payload into *ia. A value too long for its
 * field is left empty (qty: flagged in qty_cut), so that it is refused
 * later rather than used cut. Returns 0, or -1 with a short reason in err
 * when the payload is not an object with a string "type".
 */
int	interact_parse(json_t *payload, struct interact *ia, char *err,
	    size_t errsz);

/*
 * Checks a quantity typed by a person: digits only (spaces around it are
 * allowed), at least 1, at most INTERACT_QTY_MAX, and not above cap (cap
 * < 0: none) unless confirmed. Returns 0 with *qty set, or -1 with a
 * sentence for that person in err (it never repeats the input).
 * over_cap is set to 1 when the only problem is the cap.
 */
int	interact_qty(const char *s, long long cap, int confirmed,
	    long long *qty, int *over_cap, char *err, size_t errsz);

/* The Edit modal for one order. */
struct interact_edit {
	const char	*order_id;	/* becomes private_metadata */
	const char	*item;		/* "Name (ID)" for people */
	const char	*supplier;	/* for people, or NULL */
	long long	 qty;		/* the drafted quantity */
	long long	 cap;		/* < 0: no cap, no checkbox */
};
/*
 * Appends the modal view (type modal, callback_id ir_edit, a plain_text
 * input for the quantity with the drafted one as its initial value, and
 * when the order has a cap an optional "order more than the cap"
 * checkbox). -1 when the order id is over Slack's private_metadata limit
 * or on ENOMEM.
 */
int	interact_edit_view(const struct interact_edit *, struct buf *out);
/*
 * The answer to a view_submission that shows a field error:
 * {"response_action":"errors","errors":{block_id: msg}}.
 */
int	interact_errors(const char *block_id, const char *msg,
	    struct buf *out);
/*
 * The answer to a view_submission that replaces the modal with a message
 * and a Close button: {"response_action":"update","view":{...}}.
 */
int	interact_info_view(const char *title, const char *text,
	    struct buf *out);
/*
 * Appends, as a JSON array, the blocks of a message (borrowed; NULL: none)
 * without an earlier note, followed by a context block (block_id
 * ir_note) with text escaped for mrkdwn: a message keeps its buttons and
 * says what went wrong.
 */
int	interact_note_blocks(json_t *blocks, const char *text,
	    struct buf *out);
/* Appends s escaped for Slack mrkdwn (&, < and >). */
int	interact_mrkdwn(const char *s, struct buf *out);

#endif
