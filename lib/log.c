/* log: stderr messages for people or for CloudWatch. See log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonw.h"
#include "log.h"

static const char *prog = "ir";
static int json_format;
static int nerrors, nwarnings;

void
log_init(const char *p)
{
	const char *f = getenv("IR_LOG_FORMAT");
	const char *slash = strrchr(p, '/');

	prog = slash ? slash + 1 : p;
	json_format = f != NULL && strcmp(f, "json") == 0;
}

void
log_set_json(int on)
{
	json_format = on;
}

const char *
log_prog(void)
{
	return prog;
}

static void
vlog(const char *level, const char *where, const char *fmt, va_list ap)
{
	char msg[4096];
	struct buf b = { 0 };

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!json_format) {
		if (where != NULL)
			fprintf(stderr, "%s: %s: %s%s\n", prog, where,
			    strcmp(level, "warning") == 0 ? "warning: " : "",
			    msg);
		else
			fprintf(stderr, "%s: %s%s\n", prog,
			    strcmp(level, "warning") == 0 ? "warning: " : "",
			    msg);
		return;
	}
	buf_adds(&b, "{\"level\":");
	jsonw_str(&b, level, strlen(level));
	buf_adds(&b, ",\"prog\":");
	jsonw_str(&b, prog, strlen(prog));
	if (where != NULL) {
		buf_adds(&b, ",\"where\":");
		jsonw_str(&b, where, strlen(where));
	}
	buf_adds(&b, ",\"message\":");
	jsonw_str(&b, msg, strlen(msg));
	buf_adds(&b, "}\n");
	if (b.p)
		fputs(b.p, stderr);
	buf_free(&b);
}

void
log_error(const char *where, const char *fmt, ...)
{
	va_list ap;

	nerrors++;
	va_start(ap, fmt);
	vlog("error", where, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *where, const char *fmt, ...)
{
	va_list ap;

	nwarnings++;
	va_start(ap, fmt);
	vlog("warning", where, fmt, ap);
	va_end(ap);
}

void
log_info(const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", where, fmt, ap);
	va_end(ap);
}

int
log_errors(void)
{
	return nerrors;
}

int
log_warnings(void)
{
	return nwarnings;
}
