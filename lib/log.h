/*
 * log: messages for people on stderr, `prog: source:line: message`, or one
 * JSON object per line when IR_LOG_FORMAT=json (log_init reads it once).
 *
 * The library never prints: only cmd/ calls these. log_error() and
 * log_warn() count what they report so main() can pick its exit status.
 * A message never carries a secret; callers pass only what a shop owner
 * may read.
 */
#ifndef IR_LOG_H
#define IR_LOG_H

/* sysexits.h values, named here so every program uses the same ones. */
#include <sysexits.h>

void	log_init(const char *prog);
/* Switches JSON lines on or off (IR_LOG_FORMAT from ir.conf). */
void	log_set_json(int on);
const char *log_prog(void);
/* where: "source:line", "source" or NULL. */
void	log_error(const char *where, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_warn(const char *where, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_info(const char *where, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	log_errors(void);
int	log_warnings(void);

#endif
