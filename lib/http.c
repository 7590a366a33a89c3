/*
 * http: libcurl with timeouts and retries. See http.h. libcurl is
 * loaded by the first request (curlapi.h), not at program start.
 *
 * Retries: transport errors (refused, reset, timeout) and 429/5xx, plus
 * whatever the request's retryable() says (AWS throttling comes as 400).
 * Backoff is "full jitter" (a random wait in [0, min(cap, base * 2^n)]),
 * or the server's Retry-After when it gives one (capped at 30 s).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "curlapi.h"
#include "http.h"

static long backoff_base = HTTP_BACKOFF_BASE_MS;
static long backoff_cap = HTTP_BACKOFF_CAP_MS;
static const struct curlapi *curl;	/* NULL until the first request */

void
http_set_backoff(long base_ms, long cap_ms)
{
	backoff_base = base_ms;
	backoff_cap = cap_ms;
}

struct sink {
	struct buf	*b;
	FILE		*fp;
	size_t		 total;
	int		 too_big;
};

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;

	s->total += len;
	if (s->fp != NULL)
		return fwrite(p, 1, len, s->fp);
	if (s->total > HTTP_MAX_BODY) {
		s->too_big = 1;
		return 0;
	}
	return buf_add(s->b, p, len) == -1 ? 0 : len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *h = ctx;
	size_t len = size * n;

	/* a new status line (after a redirect or 100-continue) restarts */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		buf_reset(h);
	if (h->len + len > 64 * 1024)
		return len;	/* keep the first 64 kB of headers */
	return buf_add(h, p, len) == -1 ? 0 : len;
}

int
http_header(const struct http_resp *r, const char *name, char *dst,
    size_t dstsz)
{
	const char *p = r->headers.p, *eol, *v;
	size_t nl = strlen(name), vl;

	if (p == NULL || dstsz == 0)
		return -1;
	for (; *p; p = eol + (*eol != '\0')) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			for (v = p + nl + 1; *v == ' ' || *v == '\t'; v++)
				;
			vl = (size_t)(eol - v);
			while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			if (vl >= dstsz)
				vl = dstsz - 1;
			memcpy(dst, v, vl);
			dst[vl] = '\0';
			return 0;
		}
	}
	return -1;
}

void
http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
}

int
http_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (buf_addc(b, c) == -1)
				return -1;
		} else if (buf_addc(b, '%') == -1 ||
		    buf_addc(b, hex[c >> 4]) == -1 ||
		    buf_addc(b, hex[c & 15]) == -1)
			return -1;
	}
	return 0;
}

void
http_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The wait before retry number n (from 0), honouring Retry-After. */
static long
backoff(int n, const struct http_resp *r)
{
	char ra[32];
	long cap, ms;

	if (r->status != 0 && http_header(r, "Retry-After", ra,
	    sizeof(ra)) == 0) {
		char *end;
		long s = strtol(ra, &end, 10);

		if (end != ra && s >= 0)
			return (s > 30 ? 30 : s) * 1000;
	}
	cap = backoff_base << (n > 16 ? 16 : n);
	if (cap > backoff_cap || cap <= 0)
		cap = backoff_cap;
	if (cap <= 0)
		return 0;
	ms = (long)(((unsigned long)random() << 1 ^ (unsigned long)random()) %
	    (unsigned long)(cap + 1));
	return ms;
}

/* One attempt. 0 a response, -1 a transport failure (retryable). */
static int
attempt(CURL *c, const struct http_req *q, struct http_resp *r)
{
	struct curl_slist *hl = NULL, *t;
	struct sink s = { &r->body, q->sink, 0, 0 };
	const char *const *h;
	CURLcode rc;
	int ret = 0;

	buf_reset(&r->body);
	buf_reset(&r->headers);
	r->status = 0;
	if (q->sink != NULL) {
		FILE *fp = q->sink;

		rewind(fp);
		if (ftruncate(fileno(fp), 0) == -1) {
			snprintf(r->err, sizeof(r->err), "cannot truncate the "
			    "download file: %s", strerror(errno));
			return -2;
		}
	}
	for (h = q->headers; h && *h; h++) {
		if ((t = curl->slist_append(hl, *h)) == NULL) {
			curl->slist_free_all(hl);
			snprintf(r->err, sizeof(r->err), "out of memory");
			return -2;
		}
		hl = t;
	}
	/*
	 * No "Expect: 100-continue" round trip on large bodies; not for
	 * SigV4, whose signer (libcurl's) would sign the removed header.
	 */
	if (q->aws_sigv4 == NULL &&
	    (t = curl->slist_append(hl, "Expect:")) != NULL)
		hl = t;
	curl->easy_reset(c);
	curl->easy_setopt(c, CURLOPT_URL, q->url);
	curl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    q->connect_ms > 0 ? q->connect_ms : (long)HTTP_CONNECT_MS);
	curl->easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    q->timeout_ms > 0 ? q->timeout_ms : (long)HTTP_TIMEOUT_MS);
	curl->easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl->easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl->easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl->easy_setopt(c, CURLOPT_USERAGENT, "ir/" IR_VERSION);
	if (strcmp(q->method, "HEAD") == 0)
		curl->easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(q->method, "GET") != 0)
		curl->easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	if (q->body != NULL || (strcmp(q->method, "POST") == 0 ||
	    strcmp(q->method, "PUT") == 0)) {
		curl->easy_setopt(c, CURLOPT_POSTFIELDS,
		    q->body ? q->body : "");
		curl->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->body_len);
	}
	if (q->aws_sigv4 != NULL) {
		curl->easy_setopt(c, CURLOPT_AWS_SIGV4, q->aws_sigv4);
		curl->easy_setopt(c, CURLOPT_USERPWD, q->userpwd);
	}
	rc = curl->easy_perform(c);
	curl->slist_free_all(hl);
	if (s.too_big) {
		r->connected = 1;
		snprintf(r->err, sizeof(r->err), "the answer is larger than "
		    "%ld bytes", (long)HTTP_MAX_BODY);
		return -2;
	}
	r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	r->connected = rc != CURLE_COULDNT_CONNECT &&
	    rc != CURLE_COULDNT_RESOLVE_HOST && rc != CURLE_COULDNT_RESOLVE_PROXY;
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof(r->err), "%s",
		    curl->easy_strerror(rc));
		ret = rc == CURLE_OUT_OF_MEMORY || rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL ? -2 : -1;
		return ret;
	}
	curl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

int
http_do(const struct http_req *q, struct http_resp *r)
{
	CURL *c;
	int n, max = q->retries < 0 ? HTTP_RETRIES : q->retries, rc;

	r->attempts = 0;
	r->timed_out = 0;
	r->connected = 0;
	r->err[0] = '\0';
	/* libcurl is loaded here, by the first request of the process */
	if (curl == NULL && (curl = curlapi_get(r->err, sizeof(r->err))) ==
	    NULL)
		return -1;
	if ((c = curl->easy_init()) == NULL) {
		snprintf(r->err, sizeof(r->err), "cannot start libcurl");
		return -1;
	}
	for (n = 0;; n++) {
		r->attempts++;
		rc = attempt(c, q, r);
		if (rc == -2)
			break;
		if (rc == 0 && r->status != 429 && r->status < 500 &&
		    (q->retryable == NULL || !q->retryable(r->status,
		    r->body.p, r->body.len)))
			break;
		/* the outcome of a once-only request is unknown: stop */
		if (q->once && ((rc == -1 && r->connected) || (rc == 0 &&
		    r->status >= 500)))
			break;
		if (n >= max)
			break;
		http_sleep_ms(backoff(n, r));
	}
	curl->easy_cleanup(c);
	return rc == 0 ? 0 : -1;
}
