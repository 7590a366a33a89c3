/*
 * errmsg: the one way lib/ hands a message for people back to its caller:
 * formatted into the caller's buffer, when the caller gave one.
 */
#ifndef IR_ERRMSG_H
#define IR_ERRMSG_H

#include <stddef.h>

void	errmsg_set(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
