/*
 * httpev: Function URL request events and response records. See httpev.h.
 * Base64 is OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, loaded with
 * libcrypto by the first base64 body (cryptoapi.h): when it cannot be
 * loaded, such an event is refused with the reason (parse) or not built.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "cryptoapi.h"
#include "csvin.h"
#include "errmsg.h"
#include "httpev.h"

/*
 * Decodes standard base64 (with padding, no line breaks). -1 when s is not
 * base64 (or out of memory), -2 with err set when libcrypto cannot be
 * loaded.
 */
static int
b64decode(const char *s, size_t n, char **out, size_t *outlen, char *err,
    size_t errsz)
{
	const struct cryptoapi *crypto;
	size_t pad = 0, cap;
	int len;

	if (n % 4 != 0)
		return -1;
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	cap = n / 4 * 3 + 1;
	if ((*out = malloc(cap)) == NULL)
		return -1;
	if (n == 0) {
		(*out)[0] = '\0';
		*outlen = 0;
		return 0;
	}
	if ((crypto = cryptoapi_get(err, errsz)) == NULL) {
		free(*out);
		*out = NULL;
		return -2;
	}
	if ((len = crypto->evp_decode_block((unsigned char *)*out,
	    (const unsigned char *)s, (int)n)) < 0 || (size_t)len < pad) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*outlen = (size_t)len - pad;
	(*out)[*outlen] = '\0';
	return 0;
}

/* -1 when out of memory or libcrypto cannot be loaded. */
static int
b64encode(struct buf *b, const char *p, size_t n)
{
	const struct cryptoapi *crypto;
	char err[256];

	if ((crypto = cryptoapi_get(err, sizeof(err))) == NULL ||
	    buf_grow(b, 4 * ((n + 2) / 3) + 1) == -1)
		return -1;
	b->len += (size_t)crypto->evp_encode_block((unsigned char *)b->p +
	    b->len, (const unsigned char *)p, (int)n);
	b->p[b->len] = '\0';
	return 0;
}

static char *
dup_lower(const char *s)
{
	char *d = strdup(s), *p;

	for (p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static int
contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
			return 1;
	return 0;
}

int
httpev_is_request(const char *line, size_t len)
{
	/* a cheap look before a full parse: both keys must be there */
	return len > 20 && contains(line, len, "\"requestContext\"") &&
	    contains(line, len, "\"version\"");
}

int
httpev_parse(const char *line, size_t len, struct httpev *ev, char *err,
    size_t errsz)
{
	json_t *root, *rc, *http, *h, *v;
	const char *key, *s, *body;
	json_error_t je;
	size_t blen;
	int b64;

	memset(ev, 0, sizeof(*ev));
	if (len > HTTPEV_MAX_EVENT) {
		errmsg_set(err, errsz, "request too large");
		return -1;
	}
	if ((root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je)) == NULL
	    || !json_is_object(root)) {
		json_decref(root);
		errmsg_set(err, errsz, "not a request event");
		return -1;
	}
	rc = json_object_get(root, "requestContext");		/* borrowed */
	http = json_object_get(rc, "http");
	s = json_string_value(json_object_get(http, "method"));
	if (s == NULL || *s == '\0' || strlen(s) >= sizeof(ev->method)) {
		errmsg_set(err, errsz, "request event without a method");
		goto bad;
	}
	snprintf(ev->method, sizeof(ev->method), "%s", s);
	for (char *p = ev->method; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if ((s = json_string_value(json_object_get(root, "rawPath"))) == NULL)
		s = json_string_value(json_object_get(http, "path"));
	ev->path = strdup(s ? s : "/");
	s = json_string_value(json_object_get(root, "rawQueryString"));
	ev->query = strdup(s ? s : "");
	s = json_string_value(json_object_get(http, "sourceIp"));
	snprintf(ev->source_ip, sizeof(ev->source_ip), "%s", s ? s : "");
	h = json_object_get(root, "headers");
	json_object_foreach(h, key, v) {
		if (!json_is_string(v))
			continue;
		if (ev->nheaders == HTTPEV_MAX_HEADERS) {
			errmsg_set(err, errsz, "too many headers");
			goto bad;
		}
		ev->hname[ev->nheaders] = dup_lower(key);
		ev->hvalue[ev->nheaders] = strdup(json_string_value(v));
		if (ev->hname[ev->nheaders] == NULL ||
		    ev->hvalue[ev->nheaders] == NULL) {
			ev->nheaders++;
			goto nomem;
		}
		ev->nheaders++;
	}
	body = json_string_value(json_object_get(root, "body"));
	b64 = json_is_true(json_object_get(root, "isBase64Encoded"));
	blen = body ? json_string_length(json_object_get(root, "body")) : 0;
	if (body == NULL) {
		ev->body = strdup("");
		ev->body_len = 0;
	} else if (b64) {
		switch (b64decode(body, blen, &ev->body, &ev->body_len, err,
		    errsz)) {
		case -2:
			goto bad;
		case -1:
			errmsg_set(err, errsz, "body is not valid base64");
			goto bad;
		}
	} else {
		if ((ev->body = malloc(blen + 1)) == NULL)
			goto nomem;
		memcpy(ev->body, body, blen);
		ev->body[blen] = '\0';
		ev->body_len = blen;
	}
	if (ev->path == NULL || ev->query == NULL || ev->body == NULL)
		goto nomem;
	if (ev->body_len > HTTPEV_MAX_BODY) {
		errmsg_set(err, errsz, "body larger than %d bytes",
		    HTTPEV_MAX_BODY);
		goto bad;
	}
	json_decref(root);
	return 0;
nomem:
	errmsg_set(err, errsz, "out of memory");
bad:
	json_decref(root);
	httpev_free(ev);
	return -1;
}

const char *
httpev_header(const struct httpev *ev, const char *name)
{
	int i;

	for (i = 0; i < ev->nheaders; i++)
		if (strcasecmp(ev->hname[i], name) == 0)
			return ev->hvalue[i];
	return NULL;
}

void
httpev_free(struct httpev *ev)
{
	int i;

	for (i = 0; i < ev->nheaders; i++) {
		free(ev->hname[i]);
		free(ev->hvalue[i]);
	}
	free(ev->path);
	free(ev->query);
	free(ev->body);
	memset(ev, 0, sizeof(*ev));
}

/* Text bodies stay text; anything else travels base64 (as on AWS). */
static int
is_text(const char *ct)
{
	return ct != NULL && (strncasecmp(ct, "text/", 5) == 0 ||
	    strncasecmp(ct, "application/json", 16) == 0);
}

int
httpev_build(struct buf *out, const char *method, const char *path,
    const char *query, const char *const *names, const char *const *values,
    int n, const char *body, size_t body_len, const char *source_ip,
    long long time_ms)
{
	json_t *root, *headers, *http, *rc;
	struct buf b = { 0 };
	const char *ct = NULL;
	char *text, *lname;
	int i, rcode = -1, b64 = 0;

	if ((headers = json_object()) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		json_t *old;

		if ((lname = dup_lower(names[i])) == NULL)
			goto out;
		if (strcmp(lname, "content-type") == 0)
			ct = values[i];
		if ((old = json_object_get(headers, lname)) != NULL) {
			/* repeated headers are joined with commas */
			buf_reset(&b);
			buf_adds(&b, json_string_value(old));
			buf_adds(&b, ", ");
			buf_adds(&b, values[i]);
			json_object_set_new(headers, lname,
			    json_stringn(b.p, b.len));
		} else
			json_object_set_new(headers, lname,
			    json_string(values[i]));
		free(lname);
	}
	buf_reset(&b);
	/* a "text" body that JSON cannot carry as a string travels base64 */
	if (body_len > 0 && (!is_text(ct) || memchr(body, '\0', body_len) ||
	    !utf8_valid(body, body_len))) {
		b64 = 1;
		if (b64encode(&b, body, body_len) == -1)
			goto out;
	}
	http = json_pack("{s:s, s:s, s:s, s:s, s:s}", "method", method,
	    "path", path, "protocol", "HTTP/1.1", "sourceIp",
	    source_ip ? source_ip : "", "userAgent", "");
	{
		/* requestContext.time as Lambda writes it: 12/Mar/2020:19:03:58 +0000 */
		char when[40];
		time_t t = (time_t)(time_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		rc = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I}",
		    "accountId", "anonymous", "apiId", "ir-serve", "domainName",
		    "localhost", "http", http, "requestId", "", "time", when,
		    "timeEpoch", (json_int_t)time_ms);
	}
	root = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:b}", "version",
	    "2.0", "routeKey", "$default", "rawPath", path, "rawQueryString",
	    query ? query : "", "headers", headers, "requestContext", rc,
	    "isBase64Encoded", b64);
	if (root == NULL)
		goto out;
	if (body_len > 0 || body != NULL)
		json_object_set_new(root, "body", b64 ? json_stringn(b.p, b.len) :
		    json_stringn(body ? body : "", body_len));
	if ((text = json_dumps(root, JSON_COMPACT)) != NULL) {
		rcode = buf_adds(out, text) == 0 && buf_addc(out, '\n') == 0 ?
		    0 : -1;
		free(text);
	}
	json_decref(root);
out:
	json_decref(headers);
	buf_free(&b);
	return rcode;
}

int
httpev_respond(struct buf *out, int status, const char *content_type,
    const char *body, size_t len, const char *const *extra)
{
	json_t *root, *headers;
	const char *const *h;
	char *text, name[128];
	int rc = -1;

	if ((headers = json_pack("{s:s}", "content-type", content_type ?
	    content_type : "text/plain; charset=utf-8")) == NULL)
		return -1;
	for (h = extra; h && *h; h++) {
		const char *colon = strchr(*h, ':');

		if (colon == NULL || (size_t)(colon - *h) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(colon - *h), *h);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (colon++; *colon == ' '; colon++)
			;
		json_object_set_new(headers, name, json_string(colon));
	}
	root = json_pack("{s:i, s:o, s:s%, s:b}", "statusCode", status,
	    "headers", headers, "body", body ? body : "", body ? len : 0,
	    "isBase64Encoded", 0);
	if (root == NULL)
		return -1;
	if ((text = json_dumps(root, JSON_COMPACT)) != NULL) {
		rc = buf_adds(out, text) == 0 && buf_addc(out, '\n') == 0 ?
		    0 : -1;
		free(text);
	}
	json_decref(root);
	return rc;
}

int
httpev_response_parse(const char *line, size_t len,
    struct httpev_response *r)
{
	json_t *root, *h, *v;
	const char *key, *body;
	size_t blen;

	memset(r, 0, sizeof(*r));
	if ((root = json_loadb(line, len, 0, NULL)) == NULL ||
	    !json_is_object(root) ||
	    !json_is_integer(json_object_get(root, "statusCode"))) {
		json_decref(root);
		return -1;
	}
	r->status = (int)json_integer_value(json_object_get(root,
	    "statusCode"));
	if (r->status < 100 || r->status > 599) {
		json_decref(root);
		return -1;
	}
	h = json_object_get(root, "headers");
	json_object_foreach(h, key, v) {
		if (!json_is_string(v) || r->nheaders == 16)
			continue;
		if (strcasecmp(key, "content-type") == 0) {
			free(r->content_type);
			r->content_type = strdup(json_string_value(v));
			continue;
		}
		r->hname[r->nheaders] = strdup(key);
		r->hvalue[r->nheaders] = strdup(json_string_value(v));
		r->nheaders++;
	}
	body = json_string_value(json_object_get(root, "body"));
	blen = body ? json_string_length(json_object_get(root, "body")) : 0;
	if (json_is_true(json_object_get(root, "isBase64Encoded"))) {
		if (b64decode(body ? body : "", blen, &r->body,
		    &r->body_len, NULL, 0) != 0) {
			json_decref(root);
			httpev_response_free(r);
			return -1;
		}
	} else if ((r->body = malloc(blen + 1)) != NULL) {
		memcpy(r->body, body ? body : "", blen);
		r->body[blen] = '\0';
		r->body_len = blen;
	}
	json_decref(root);
	return r->body == NULL ? -1 : 0;
}

void
httpev_response_free(struct httpev_response *r)
{
	int i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	free(r->content_type);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one form component into out; -1 on a bad %XX. */
static int
form_decode(const char *s, size_t n, struct buf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			if (buf_addc(out, ' ') == -1)
				return -1;
		} else if (s[i] == '%') {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			if (buf_addc(out, hi * 16 + lo) == -1)
				return -1;
			i += 2;
		} else if (buf_addc(out, s[i]) == -1)
			return -1;
	}
	return 0;
}

int
form_get(const char *s, size_t len, const char *key, struct buf *out)
{
	const char *p = s, *end = s + len, *amp, *eq;
	struct buf k = { 0 };
	int found = 0;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		buf_reset(&k);
		if (form_decode(p, (size_t)((eq ? eq : amp) - p), &k) == -1) {
			buf_free(&k);
			return -1;
		}
		if (!found && k.p != NULL && strcmp(k.p, key) == 0) {
			if (eq != NULL && form_decode(eq + 1,
			    (size_t)(amp - eq - 1), out) == -1) {
				buf_free(&k);
				return -1;
			}
			found = 1;
		}
		p = amp + 1;
	}
	buf_free(&k);
	return found;
}
