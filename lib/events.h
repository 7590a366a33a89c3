/*
 * events: EventBridge and EventBridge Scheduler, the AWS way moves travel
 * between stages and deferred drafts wait (design.md section 4).
 *
 * events_put batches entries (at most 10 per PutEvents and 256 KB per
 * request) and retries the entries EventBridge reports as failed.
 * events_schedule_at creates a one-off at() schedule in the shop's
 * timezone that deletes itself after it ran; an existing schedule of the
 * same name is success (idempotent by name).
 *
 * Ownership: everything is borrowed; a batch owns its entries' copies.
 */
#ifndef IR_EVENTS_H
#define IR_EVENTS_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define EVENTS_MAX_ENTRIES	10
#define EVENTS_MAX_BYTES	(256 * 1024)

struct events_batch;

/* bus: the event bus name ("default"); source: "ir.checker". */
struct events_batch *events_batch_new(const char *bus, const char *source);
/*
 * Adds one event (detail is a JSON object's text, borrowed and copied);
 * sends the batch first when it is full. 0, or -1 with err (a send
 * failed); *status is the exit status then.
 */
int	events_add(struct events_batch *, const char *detail_type,
	    const char *detail, size_t len, int *status, char *err,
	    size_t errsz);
/* Sends what is left. Same returns. */
int	events_flush(struct events_batch *, int *status, char *err,
	    size_t errsz);
/* Events sent and requests made so far. */
unsigned long events_sent(const struct events_batch *);
unsigned long events_requests(const struct events_batch *);
void	events_batch_free(struct events_batch *);

/*
 * A one-off schedule: at(local time of when in tz), target_arn invoked
 * with input (JSON text) by role_arn, ActionAfterCompletion DELETE.
 * 1 created, 0 already there, -1 error (err, *status).
 */
int	events_schedule_at(const char *name, time_t when, const char *tz,
	    const char *target_arn, const char *role_arn, const char *input,
	    int *status, char *err, size_t errsz);

/*
 * The receiving side: if line is an EventBridge event whose detail-type
 * starts with "ir." (as a Lambda target gets it), the detail object's JSON
 * text is appended to out and 1 returned; 0 when it is not such an event.
 */
int	events_unwrap(const char *line, size_t len, struct buf *out);

#endif
