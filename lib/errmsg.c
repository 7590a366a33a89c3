/* errmsg: messages into the caller's buffer. See errmsg.h. */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

void
errmsg_set(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}
