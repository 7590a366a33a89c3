/*
 * fuzz_interact: what lib/interact.h does with what a person or Slack
 * sends. The input is cut at newlines into: a typed quantity, a cap, and a
 * Slack payload (the rest, any bytes), parsed with jansson as ir-approve
 * does.
 *
 * Properties: interact_qty accepts only a whole number from 1 to
 * INTERACT_QTY_MAX that is within the cap unless confirmed, and always
 * says why it refuses; interact_parse leaves every field NUL-terminated
 * within its array, never flags a cut qty that is not empty, and its kind
 * matches its type; the views and answers built from what it read are
 * valid JSON (Slack would take them), with the order id back as the
 * modal's private_metadata.
 */
#include <jansson.h>

#include "buf.h"
#include "fuzz.h"
#include "interact.h"

enum { F_QTY, F_CAP, F_PAYLOAD, NF };

#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

/* b holds one JSON value (jansson reads it back). */
static void
valid_json(const struct buf *b)
{
	json_error_t je;
	json_t *v;

	FUZZ_CHECK(b->p != NULL);
	v = json_loadb(b->p, b->len, 0, &je);
	FUZZ_CHECK(v != NULL);
	json_decref(v);
}

static void
check_qty(const char *s, const char *caps)
{
	char err[256], *end;
	long long q, cap;
	int over, rc, confirmed;

	cap = strtoll(caps, &end, 10);
	if (*caps == '\0' || *end != '\0')
		cap = -1;
	for (confirmed = 0; confirmed < 2; confirmed++) {
		err[0] = '\0';
		rc = interact_qty(s, cap, confirmed, &q, &over, err,
		    sizeof(err));
		if (rc == 0) {
			FUZZ_CHECK(q >= 1 && q <= INTERACT_QTY_MAX);
			FUZZ_CHECK(cap < 0 || q <= cap || confirmed);
			FUZZ_CHECK(over == 0);
		} else {
			FUZZ_CHECK(rc == -1 && err[0] != '\0');
			FUZZ_CHECK(!over || (cap >= 0 && !confirmed));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct interact_edit e;
	struct interact ia;
	struct buf b = { 0 };
	json_error_t je;
	json_t *p;
	char *f[NF], err[128];
	size_t plen;

	fuzz_fields(data, size, f, NF, &plen);
	check_qty(f[F_QTY], f[F_CAP]);
	p = json_loadb(f[F_PAYLOAD], plen, JSON_REJECT_DUPLICATES, &je);
	if (p != NULL && interact_parse(p, &ia, err, sizeof(err)) == 0) {
		FUZZ_CHECK(TERMINATED(ia.type) && TERMINATED(ia.by) &&
		    TERMINATED(ia.action_id) && TERMINATED(ia.value) &&
		    TERMINATED(ia.trigger_id) && TERMINATED(ia.channel) &&
		    TERMINATED(ia.ts) && TERMINATED(ia.callback_id) &&
		    TERMINATED(ia.order_id) && TERMINATED(ia.qty));
		FUZZ_CHECK(!ia.qty_cut || ia.qty[0] == '\0');
		FUZZ_CHECK((ia.kind == INTERACT_ACTION) ==
		    (strcmp(ia.type, "block_actions") == 0));
		FUZZ_CHECK((ia.kind == INTERACT_SUBMIT) ==
		    (strcmp(ia.type, "view_submission") == 0));
		check_qty(ia.qty, f[F_CAP]);
		/* the modal for what was read, the way ir-approve makes it */
		memset(&e, 0, sizeof(e));
		e.order_id = ia.value;
		e.item = ia.by;
		e.supplier = ia.text != NULL ? ia.text : NULL;
		e.qty = 48;
		e.cap = ia.confirmed ? 35 : -1;
		if (ia.value[0] != '\0' && interact_edit_view(&e, &b) == 0) {
			json_t *v = json_loadb(b.p, b.len, 0, &je);

			FUZZ_CHECK(v != NULL);
			FUZZ_CHECK(strcmp(json_string_value(json_object_get(v,
			    "private_metadata")), ia.value) == 0);
			json_decref(v);
		}
		buf_reset(&b);
		if (ia.text != NULL) {
			FUZZ_CHECK(interact_info_view("T", ia.text, &b) == 0);
			valid_json(&b);
			buf_reset(&b);
			FUZZ_CHECK(interact_errors("qty", ia.text, &b) == 0);
			valid_json(&b);
			buf_reset(&b);
			FUZZ_CHECK(interact_note_blocks(ia.blocks, ia.text,
			    &b) == 0);
			valid_json(&b);
		}
	} else if (p != NULL)
		FUZZ_CHECK(strcmp(err, "payload has no type") == 0);
	json_decref(p);
	buf_free(&b);
	fuzz_free_fields(f, NF);
	return 0;
}
