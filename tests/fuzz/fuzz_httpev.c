/*
 * fuzz_httpev: HTTP request events and response records (lib/httpev.h)
 * and form decoding. The whole input is one event line for httpev_parse
 * and one response line for httpev_response_parse; a parsed body and the
 * query string then go through form_get for a few keys, and so does the
 * raw input. Properties: what is parsed is within HTTPEV_MAX_BODY and
 * HTTPEV_MAX_HEADERS, the method is upper case and fits, header names are
 * lower case and findable, the error text never quotes the body, and an
 * event rebuilt with httpev_build parses back to the same request.
 */
#include <ctype.h>

#include "buf.h"
#include "fuzz.h"
#include "httpev.h"

static const char *const form_keys[] = {
	"payload", "token", "a", "text", "", "x y", NULL
};

static void
forms(const char *s, size_t len)
{
	struct buf out = { NULL, 0, 0 };
	const char *const *k;
	int rc;

	for (k = form_keys; *k != NULL; k++) {
		buf_reset(&out);
		rc = form_get(s, len, *k, &out);
		FUZZ_CHECK(rc >= -1 && rc <= 1);
		/* decoding never grows the text */
		FUZZ_CHECK(out.len <= len);
		if (rc == 0)
			FUZZ_CHECK(out.len == 0);
	}
	buf_free(&out);
}

/* An event rebuilt from a parsed one parses back to the same request. */
static void
rebuild(const struct httpev *ev)
{
	struct buf line = { NULL, 0, 0 };
	struct httpev back;
	const char *names[HTTPEV_MAX_HEADERS], *vals[HTTPEV_MAX_HEADERS];
	char err[128];
	int i;

	for (i = 0; i < ev->nheaders; i++) {
		names[i] = ev->hname[i];
		vals[i] = ev->hvalue[i];
	}
	FUZZ_CHECK(httpev_build(&line, ev->method, ev->path, ev->query, names,
	    vals, ev->nheaders, ev->body, ev->body_len, ev->source_ip,
	    1700000000000LL) == 0);
	FUZZ_CHECK(line.len > 0 && line.p[line.len - 1] == '\n');
	FUZZ_CHECK(httpev_is_request(line.p, line.len));
	FUZZ_CHECK(httpev_parse(line.p, line.len - 1, &back, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(back.method, ev->method) == 0);
	FUZZ_CHECK(strcmp(back.path, ev->path) == 0);
	FUZZ_CHECK(strcmp(back.query, ev->query) == 0);
	FUZZ_CHECK(strcmp(back.source_ip, ev->source_ip) == 0);
	FUZZ_CHECK(back.body_len == ev->body_len &&
	    memcmp(back.body, ev->body, ev->body_len) == 0);
	httpev_free(&back);
	buf_free(&line);
}

static void
request(const char *s, size_t len)
{
	struct httpev ev;
	char err[128];
	const char *p;
	int i;

	err[0] = '\0';
	(void)httpev_is_request(s, len);
	if (httpev_parse(s, len, &ev, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strlen(err) < 64);	/* a reason, never the body */
		FUZZ_CHECK(ev.path == NULL && ev.body == NULL &&
		    ev.nheaders == 0);
		return;
	}
	FUZZ_CHECK(ev.method[0] != '\0' &&
	    strlen(ev.method) < sizeof(ev.method));
	for (p = ev.method; *p; p++)
		FUZZ_CHECK(!islower((unsigned char)*p));
	FUZZ_CHECK(ev.path != NULL && ev.query != NULL && ev.body != NULL);
	FUZZ_CHECK(ev.body_len <= HTTPEV_MAX_BODY);
	FUZZ_CHECK(ev.body[ev.body_len] == '\0');
	FUZZ_CHECK(ev.nheaders >= 0 && ev.nheaders <= HTTPEV_MAX_HEADERS);
	for (i = 0; i < ev.nheaders; i++) {
		for (p = ev.hname[i]; *p; p++)
			FUZZ_CHECK(!isupper((unsigned char)*p));
		FUZZ_CHECK(httpev_header(&ev, ev.hname[i]) != NULL);
	}
	forms(ev.body, ev.body_len);
	forms(ev.query, strlen(ev.query));
	/* names that differ only in case were one header: skip those */
	for (i = 0; i < ev.nheaders; i++)
		if (httpev_header(&ev, ev.hname[i]) != ev.hvalue[i])
			break;
	if (i == ev.nheaders)
		rebuild(&ev);
	httpev_free(&ev);
}

static void
response(const char *s, size_t len)
{
	struct httpev_response r;
	int i;

	if (httpev_response_parse(s, len, &r) != 0)
		return;
	FUZZ_CHECK(r.status >= 100 && r.status <= 599);
	FUZZ_CHECK(r.body != NULL && r.body[r.body_len] == '\0');
	FUZZ_CHECK(r.nheaders >= 0 && r.nheaders <= 16);
	for (i = 0; i < r.nheaders; i++)
		FUZZ_CHECK(r.hname[i] != NULL && r.hvalue[i] != NULL);
	httpev_response_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	request(s, size);
	response(s, size);
	forms(s, size);
	return 0;
}
