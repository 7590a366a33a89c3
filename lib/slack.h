/*
 * slack: the Slack Web API calls the bot makes beyond posting drafts
 * (that is the "slack:CHANNEL" notifier, channel_slack.c, which shares
 * this code): chat.update, to show on a draft who approved, edited or
 * skipped it, and views.open, for the Edit modal. Also the Block Kit
 * preparation every outgoing message goes through, exported for the
 * tests.
 *
 * Settings from the process config (config_global()): IR_SLACK_BOT_TOKEN
 * (a secret: it goes in the Authorization header and nowhere else, never
 * in an error message), IR_SLACK_API_URL (default https://slack.com/api),
 * IR_HTTP_RETRIES and IR_HTTP_TIMEOUT_MS.
 *
 * Results are the channel.h codes: CHANNEL_SENT when Slack said ok,
 * CHANNEL_ERR when it will not work as is (a bad token, an unknown
 * channel, a layout Slack refuses, Slack unreachable), CHANNEL_UNAVAILABLE
 * when Slack is rate limiting or failing: try again later. err receives a
 * message for people.
 */
#ifndef IR_SLACK_H
#define IR_SLACK_H

#include <stddef.h>

#include <jansson.h>

/* Block Kit limits (protocols.md section 2), in characters. */
#define SLACK_MAX_BLOCKS	50	/* per message; 100 in a modal */
#define SLACK_MAX_VIEW_BLOCKS	100
#define SLACK_SECTION_TEXT_MAX	3000
#define SLACK_FIELDS_MAX	10
#define SLACK_FIELD_TEXT_MAX	2000
#define SLACK_HEADER_TEXT_MAX	150
#define SLACK_CONTEXT_MAX	10
#define SLACK_ACTIONS_MAX	25
#define SLACK_BUTTON_TEXT_MAX	75
#define SLACK_BUTTON_VALUE_MAX	2000
#define SLACK_ID_MAX		255	/* block_id, action_id */
#define SLACK_URL_MAX		3000
#define SLACK_PRIVATE_MAX	3000	/* a view's private_metadata */
#define SLACK_FALLBACK_MAX	40000	/* top-level "text" */
/*
 * Not documented: Slack refuses a message whose blocks carry much more
 * than about 13,000 characters of text (msg_blocks_too_long,
 * slackapi/bolt-js#2509). Messages are split to stay under this.
 */
#define SLACK_MSG_TEXT_BUDGET	12000

/*
 * slack_prepare: turns a payload {"text": ..., "blocks": [...]} (len
 * bytes of JSON) into the messages to post, each one Slack will take:
 *   - a section's text over 3000 characters, a field over 2000, a header
 *     over 150, a button's text over 75 are cut, with a note saying so;
 *   - more than 10 fields in a section, 10 elements in a context or 25 in
 *     an actions block continue in a new block of the same type;
 *   - more than 50 blocks (or about 12,000 characters of block text) go
 *     into several messages; every actions block is in the last one, so
 *     the buttons come after everything they act on. With more than one
 *     message, each text says "(part i of n)".
 * What cannot be cut without breaking it (a button value, an action_id
 * or block_id, a URL over its limit) is an error, never sent.
 * Returns a JSON array (owned by the caller, json_decref) of one or more
 * objects {"text", "blocks"}, or NULL with a message in err.
 */
json_t	*slack_prepare(const char *payload, size_t len, char *err,
	    size_t errsz);

/*
 * slack_update: chat.update of the message at ts in channel (a channel
 * id, as in a block_actions payload's container.channel_id) with text
 * (the notification fallback) and blocks_json, a JSON array of blocks
 * (NULL: text only). The blocks go through the same limits as
 * slack_prepare() and must fit in one message. All arguments borrowed.
 */
int	slack_update(const char *channel, const char *ts, const char *text,
	    const char *blocks_json, char *err, size_t errsz);

/*
 * slack_views_open: views.open with trigger_id (valid for 3 s after the
 * click, so it is not retried) and view_json, a modal view object (at most
 * 100 blocks, private_metadata at most 3000 characters).
 */
int	slack_views_open(const char *trigger_id, const char *view_json,
	    char *err, size_t errsz);

#endif
