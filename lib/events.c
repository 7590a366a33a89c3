/* events: EventBridge PutEvents and Scheduler at() schedules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "aws.h"
#include "events.h"
#include "ndjson.h"

struct events_batch {
	char		*bus, *source;
	json_t		*entries;	/* owned array of PutEvents entries */
	size_t		 bytes;
	unsigned long	 sent, requests;
};

struct events_batch *
events_batch_new(const char *bus, const char *source)
{
	struct events_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->bus = strdup(bus ? bus : "default");
	b->source = strdup(source);
	b->entries = json_array();
	if (b->bus == NULL || b->source == NULL || b->entries == NULL) {
		events_batch_free(b);
		return NULL;
	}
	return b;
}

void
events_batch_free(struct events_batch *b)
{
	if (b == NULL)
		return;
	free(b->bus);
	free(b->source);
	json_decref(b->entries);
	free(b);
}

unsigned long
events_sent(const struct events_batch *b)
{
	return b->sent;
}

unsigned long
events_requests(const struct events_batch *b)
{
	return b->requests;
}

/*
 * One PutEvents for the batch; entries EventBridge reports as failed
 * (throttled inside the batch) are sent again, up to three rounds.
 */
int
events_flush(struct events_batch *b, int *status, char *err, size_t errsz)
{
	struct aws_error e;
	json_t *req, *out, *res, *again;
	size_t i;
	int round;

	*status = 0;
	for (round = 0; json_array_size(b->entries) > 0; round++) {
		if (round == 3) {
			snprintf(err, errsz, "EventBridge kept refusing %zu "
			    "event(s)", json_array_size(b->entries));
			*status = EX_TEMPFAIL;
			return -1;
		}
		req = json_pack("{s:O}", "Entries", b->entries);
		b->requests++;
		if (req == NULL || aws_json(&aws_events, "1.1",
		    "AWSEvents.PutEvents", req, &out, &e) == -1) {
			json_decref(req);
			snprintf(err, errsz, "EventBridge: %s%s%s", e.message,
			    e.code[0] ? " " : "", e.code);
			*status = aws_exit_status(&e);
			return -1;
		}
		json_decref(req);
		again = json_array();
		res = json_object_get(out, "Entries");	/* borrowed */
		for (i = 0; i < json_array_size(b->entries); i++) {
			json_t *r = json_array_get(res, i);

			if (r != NULL && json_object_get(r, "ErrorCode") != NULL)
				json_array_append(again,
				    json_array_get(b->entries, i));
			else
				b->sent++;
		}
		json_decref(out);
		json_decref(b->entries);
		b->entries = again;
	}
	b->bytes = 0;
	return 0;
}

int
events_add(struct events_batch *b, const char *detail_type,
    const char *detail, size_t len, int *status, char *err, size_t errsz)
{
	json_t *entry;
	size_t size = len + strlen(detail_type) + strlen(b->source) +
	    strlen(b->bus) + 64;

	*status = 0;
	if (size > EVENTS_MAX_BYTES) {
		snprintf(err, errsz, "an event of %zu bytes is over "
		    "EventBridge's 256 KB", size);
		*status = EX_DATAERR;
		return -1;
	}
	if ((json_array_size(b->entries) == EVENTS_MAX_ENTRIES ||
	    b->bytes + size > EVENTS_MAX_BYTES) &&
	    events_flush(b, status, err, errsz) == -1)
		return -1;
	entry = json_pack("{s:s, s:s, s:s%, s:s}", "Source", b->source,
	    "DetailType", detail_type, "Detail", detail, len,
	    "EventBusName", b->bus);
	if (entry == NULL || json_array_append_new(b->entries, entry) == -1) {
		snprintf(err, errsz, "out of memory");
		*status = EX_OSERR;
		return -1;
	}
	b->bytes += size;
	return 0;
}

int
events_schedule_at(const char *name, time_t when, const char *tz,
    const char *target_arn, const char *role_arn, const char *input,
    int *status, char *err, size_t errsz)
{
	struct http_resp r;
	struct aws_error e;
	struct tm tm;
	json_t *body;
	char at[64], local[32], path[512];
	const char *hdr[2] = { "Content-Type: application/json", NULL };
	char *text;
	int rc;

	*status = 0;
	/* at() takes the local wall time; the zone says which */
	localtime_r(&when, &tm);
	strftime(local, sizeof(local), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(at, sizeof(at), "at(%s)", local);
	body = json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}}",
	    "ScheduleExpression", at, "ScheduleExpressionTimezone", tz,
	    "ActionAfterCompletion", "DELETE",
	    "FlexibleTimeWindow", "Mode", "OFF",
	    "Target", "Arn", target_arn, "RoleArn", role_arn, "Input", input);
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		snprintf(err, errsz, "out of memory");
		*status = EX_OSERR;
		return -1;
	}
	json_decref(body);
	snprintf(path, sizeof(path), "/schedules/%s", name);
	rc = aws_request(&aws_scheduler, "POST", path, hdr, text, strlen(text),
	    NULL, &r, &e);
	free(text);
	http_resp_free(&r);
	if (rc == 0 && r.status >= 200 && r.status < 300)
		return 1;
	if (rc == 0 && (r.status == 409 ||
	    strcmp(e.code, "ConflictException") == 0))
		return 0;
	snprintf(err, errsz, "EventBridge Scheduler: %s%s%s", e.message,
	    e.code[0] ? " " : "", e.code);
	*status = aws_exit_status(&e);
	return -1;
}

/*
 * The detail's bytes are copied as they came (found with the record
 * scanner), not re-encoded: jansson would print 0.28 as
 * 0.28000000000000003.
 */
int
events_unwrap(const char *line, size_t len, struct buf *out)
{
	static struct rec r;	/* large: not on the stack */
	const struct rec_field *f;
	char dt[64];

	if (rec_parse(&r, line, len) == -1 ||
	    rec_str(&r, "detail-type", dt, sizeof(dt)) <= 0 ||
	    strncmp(dt, "ir.", 3) != 0 ||
	    (f = rec_get(&r, "detail")) == NULL || f->kind != REC_OBJECT)
		return 0;
	return buf_add(out, f->val, f->vlen) == -1 ? -1 : 1;
}
