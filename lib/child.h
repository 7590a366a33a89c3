/*
 * child: runs a request handler the way ir-serve (and ir-lambda) do: the
 * request on the child's stdin, its answer read from its stdout as soon as
 * the first line is complete, a deadline for the whole run, and at the end
 * its process group killed, so nothing it started outlives it.
 *
 * The answer can come before the child is done: a handler may answer
 * first and then finish its work (ir-approve --http answers Slack within
 * its 3 seconds, then updates the message). So reading the answer
 * (child_read_line) and ending the child (child_finish) are two steps,
 * and the second may run in another thread.
 *
 * The child is started with posix_spawn, never through a shell, so the
 * data never appears on a command line. It gets the caller's environment
 * and stderr, a process group of its own, an empty signal mask and default
 * signal handling. The pipes are close-on-exec, so several children may
 * run at once from different threads without holding each other's pipes
 * open. The caller ignores SIGPIPE (a child that stops reading its input
 * is not an error here).
 *
 * Ownership: the struct child is the caller's; child_start borrows path
 * and argv, and the input until child_read_line returns. child_finish
 * must be called once for every child_start that returned 0.
 */
#ifndef IR_CHILD_H
#define IR_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

enum child_outcome {
	CHILD_EXITED,		/* exited: status is its exit status */
	CHILD_SIGNALED,		/* killed by a signal: status is the signal */
	CHILD_TIMEOUT,		/* the deadline passed: group killed */
	CHILD_TOOBIG,		/* wrote more than outmax: group killed */
	CHILD_FAILED		/* could not start or talk to it: err */
};

struct child_result {
	enum child_outcome outcome;
	int	status;
	int	err;		/* errno, for CHILD_FAILED */
	long	ms;		/* how long it ran */
};

struct child {
	pid_t		 pid;
	int		 to, from;	/* our ends of its stdin, stdout; -1 */
	const char	*in;		/* borrowed input, and how much went */
	size_t		 len, off;
	long long	 t0, deadline;	/* monotonic ms */
};

/*
 * Starts path with argv (argv[0] included, NULL-terminated), to be fed
 * the len bytes at in, with timeout_ms for the whole run. 0, or -1 with
 * r->outcome CHILD_FAILED and r->err.
 */
int	child_start(struct child *, const char *path, char *const argv[],
	    const char *in, size_t len, long timeout_ms,
	    struct child_result *r);
/*
 * Feeds the input and appends what the child writes to out until a line
 * is complete or the child closes its stdout. 1: out holds a complete
 * first line (and perhaps more); 0: stdout was closed first (out holds
 * what came, if anything); -1: the deadline passed (CHILD_TIMEOUT), more
 * than outmax bytes came (CHILD_TOOBIG) or reading failed (CHILD_FAILED),
 * in r. Either way child_finish comes next.
 */
int	child_read_line(struct child *, struct buf *out, size_t outmax,
	    struct child_result *r);
/*
 * Ends the child: closes its stdin, reads and drops what more it writes,
 * and waits for it to exit until the deadline (not at all with kill_now);
 * then SIGKILLs whatever is left of its process group and reaps it. 0
 * when it exited by itself (r: CHILD_EXITED with its status), -1 when it
 * was killed (CHILD_TIMEOUT, or CHILD_SIGNALED).
 */
int	child_finish(struct child *, int kill_now, struct child_result *r);
/* "exit 3", "signal 9", "timed out", "output too large", or the error. */
const char *child_describe(const struct child_result *r, char *s,
	    size_t sz);

#endif
