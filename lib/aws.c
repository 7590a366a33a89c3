/*
 * aws: signing, endpoints and errors for every AWS call. See aws.h.
 * Signing is libcurl's (CURLOPT_AWS_SIGV4), not ours: we only give it the
 * provider, region and service, the keys, and the session token header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "aws.h"
#include "config.h"
#include "cryptoapi.h"

const struct aws_service aws_dynamodb = { "dynamodb", "DYNAMODB",
	"dynamodb" };
const struct aws_service aws_s3 = { "s3", "S3", "s3" };
const struct aws_service aws_ses = { "ses", "SES", "email" };
const struct aws_service aws_secretsmanager = { "secretsmanager",
	"SECRETS_MANAGER", "secretsmanager" };
const struct aws_service aws_ssm = { "ssm", "SSM", "ssm" };
const struct aws_service aws_events = { "events", "EVENTBRIDGE", "events" };
const struct aws_service aws_scheduler = { "scheduler", "SCHEDULER",
	"scheduler" };

/* IR_HTTP_RETRIES as a small count; a bad value means the default. */
static int
atoi_bounded(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return end == s || *end != '\0' || v < 0 || v > 20 ? -1 : (int)v;
}

/* IR_HTTP_TIMEOUT_MS: whole milliseconds, 1 to 600000; else the default. */
static long
timeout_ms(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return end == s || *end != '\0' || v < 1 || v > 600000 ? 0 : v;
}

static const char *
get(const char *key)
{
	return config_get(config_global(), key);
}

const char *
aws_region(void)
{
	const char *r = get("AWS_REGION");

	return r ? r : get("AWS_DEFAULT_REGION");
}

int
aws_ready(char *err, size_t errsz)
{
	if (get("AWS_ACCESS_KEY_ID") == NULL ||
	    get("AWS_SECRET_ACCESS_KEY") == NULL) {
		snprintf(err, errsz, "no AWS credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for a "
		    "role)");
		return -1;
	}
	if (aws_region() == NULL) {
		snprintf(err, errsz, "no AWS region: set AWS_REGION (for "
		    "example ap-southeast-1)");
		return -1;
	}
	return 0;
}

int
aws_endpoint(const struct aws_service *svc, char *out, size_t outsz)
{
	char key[64];
	const char *v;
	size_t n;

	snprintf(key, sizeof(key), "AWS_ENDPOINT_URL_%s", svc->env_key);
	if ((v = get(key)) == NULL)
		v = get("AWS_ENDPOINT_URL");
	if (v != NULL) {
		n = strlen(v);
		while (n > 0 && v[n - 1] == '/')
			n--;
		snprintf(out, outsz, "%.*s", (int)n, v);
	} else
		snprintf(out, outsz, "https://%s.%s.amazonaws.com", svc->host,
		    aws_region() ? aws_region() : "us-east-1");
	return 0;
}

/* The error code of an AWS JSON or XML error body, "" if none. */
static void
parse_error(const char *body, size_t len, struct aws_error *e)
{
	json_t *j;
	const char *t, *p, *q;

	e->code[0] = e->message[0] = '\0';
	if (body == NULL || len == 0)
		return;
	if ((j = json_loadb(body, len, 0, NULL)) != NULL) {
		if ((t = json_string_value(json_object_get(j, "__type"))) ||
		    (t = json_string_value(json_object_get(j, "code"))) ||
		    (t = json_string_value(json_object_get(j, "Code")))) {
			p = strrchr(t, '#');
			snprintf(e->code, sizeof(e->code), "%s", p ? p + 1 : t);
		}
		if ((t = json_string_value(json_object_get(j, "message"))) ||
		    (t = json_string_value(json_object_get(j, "Message"))))
			snprintf(e->message, sizeof(e->message), "%s", t);
		json_decref(j);
		return;
	}
	/* XML (S3, SES v1): <Code>..</Code> and <Message>..</Message> */
	if ((p = strstr(body, "<Code>")) && (q = strstr(p, "</Code>")))
		snprintf(e->code, sizeof(e->code), "%.*s", (int)(q - p - 6),
		    p + 6);
	if ((p = strstr(body, "<Message>")) && (q = strstr(p, "</Message>")))
		snprintf(e->message, sizeof(e->message), "%.*s",
		    (int)(q - p - 9), p + 9);
}

/* AWS throttles with 400s whose code says so: those are retried too. */
static int
throttled(long status, const char *body, size_t len)
{
	struct aws_error e;

	if (status != 400)
		return 0;
	parse_error(body, len, &e);
	return strstr(e.code, "Throttl") != NULL ||
	    strstr(e.code, "ProvisionedThroughputExceeded") != NULL ||
	    strstr(e.code, "RequestLimitExceeded") != NULL ||
	    strstr(e.code, "TooManyRequests") != NULL ||
	    strstr(e.code, "SlowDown") != NULL;
}

/* The payload's SHA-256 in hex; -1 when libcrypto cannot be loaded. */
static int
sha256_hex(const char *p, size_t n, char out[65], char *err, size_t errsz)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";
	const struct cryptoapi *crypto;
	int i;

	if ((crypto = cryptoapi_get(err, errsz)) == NULL)
		return -1;
	crypto->sha256((const unsigned char *)p, n, md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

static int request(const struct aws_service *, const char *,
    const char *, const char *const *, const char *, size_t, void *, int,
    struct http_resp *, struct aws_error *);

int
aws_request(const struct aws_service *svc, const char *method,
    const char *path, const char *const *headers, const char *body,
    size_t len, void *sink, struct http_resp *resp, struct aws_error *e)
{
	return request(svc, method, path, headers, body, len, sink, 0, resp,
	    e);
}

int
aws_request_once(const struct aws_service *svc, const char *method,
    const char *path, const char *const *headers, const char *body,
    size_t len, struct http_resp *resp, struct aws_error *e)
{
	return request(svc, method, path, headers, body, len, NULL, 1, resp,
	    e);
}

int
aws_exit_status(const struct aws_error *e)
{
	if (e->transient)
		return EX_TEMPFAIL;
	if (e->status == 401 || e->status == 403 ||
	    strstr(e->code, "AccessDenied") != NULL ||
	    strstr(e->code, "UnrecognizedClient") != NULL ||
	    strstr(e->code, "InvalidSignature") != NULL ||
	    strstr(e->code, "SignatureDoesNotMatch") != NULL ||
	    strstr(e->code, "InvalidAccessKeyId") != NULL)
		return EX_NOPERM;
	if (e->status == 404)
		return EX_NOINPUT;
	return EX_UNAVAILABLE;
}

static int
request(const struct aws_service *svc, const char *method,
    const char *path, const char *const *headers, const char *body,
    size_t len, void *sink, int once, struct http_resp *resp,
    struct aws_error *e)
{
	struct http_req q;
	const char *hdr[40];
	char url[2048], base[1024], sig[160], userpwd[512], tok[4096];
	char sha[65], shahdr[100];
	const char *retries = get("IR_HTTP_RETRIES");
	const char *timeout = get("IR_HTTP_TIMEOUT_MS");
	size_t k = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	memset(resp, 0, sizeof(*resp));
	if (aws_ready(e->message, sizeof(e->message)) == -1) {
		snprintf(e->code, sizeof(e->code), "MissingConfiguration");
		return -1;
	}
	aws_endpoint(svc, base, sizeof(base));
	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(sig, sizeof(sig), "aws:amz:%s:%s", aws_region(),
	    svc->sign_name);
	snprintf(userpwd, sizeof(userpwd), "%s:%s", get("AWS_ACCESS_KEY_ID"),
	    get("AWS_SECRET_ACCESS_KEY"));
	for (; headers && *headers && k < 36; headers++)
		hdr[k++] = *headers;
	if (get("AWS_SESSION_TOKEN") != NULL) {
		snprintf(tok, sizeof(tok), "X-Amz-Security-Token: %s",
		    get("AWS_SESSION_TOKEN"));
		hdr[k++] = tok;
	}
	if (strcmp(svc->sign_name, "s3") == 0) {
		/* S3 wants the payload hash as a header, signed */
		if (sha256_hex(body ? body : "", body ? len : 0, sha,
		    e->message, sizeof(e->message)) == -1) {
			snprintf(e->code, sizeof(e->code), "MissingLibrary");
			memset(userpwd, 0, sizeof(userpwd));
			return -1;
		}
		snprintf(shahdr, sizeof(shahdr), "x-amz-content-sha256: %s",
		    sha);
		hdr[k++] = shahdr;
	}
	hdr[k] = NULL;
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.headers = hdr;
	q.body = body;
	q.body_len = len;
	q.aws_sigv4 = sig;
	q.userpwd = userpwd;
	q.retries = retries ? atoi_bounded(retries) : -1;
	q.timeout_ms = timeout ? timeout_ms(timeout) : 0;
	q.retryable = throttled;
	q.sink = sink;
	q.once = once;
	rc = http_do(&q, resp);
	/* the keys are in userpwd: wipe it */
	memset(userpwd, 0, sizeof(userpwd));
	if (rc == -1) {
		e->status = 0;
		/* a timeout may pass; a refused connection is a service down */
		e->transient = resp->timed_out;
		e->unknown = once && resp->connected;
		snprintf(e->code, sizeof(e->code), "%s", resp->timed_out ?
		    "Timeout" : "ConnectionFailed");
		snprintf(e->message, sizeof(e->message), "cannot reach %s: %s",
		    base, resp->err);
		return -1;
	}
	e->status = resp->status;
	if (resp->status >= 300) {
		parse_error(resp->body.p, resp->body.len, e);
		e->transient = resp->status == 429 || resp->status >= 500 ||
		    throttled(resp->status, resp->body.p, resp->body.len);
		e->unknown = once && resp->status >= 500;
		if (e->code[0] == '\0')
			snprintf(e->code, sizeof(e->code), "HTTP%ld",
			    resp->status);
		if (e->message[0] == '\0')
			snprintf(e->message, sizeof(e->message), "%s answered "
			    "HTTP %ld", svc->sign_name, resp->status);
	}
	return 0;
}

int
aws_json(const struct aws_service *svc, const char *json_version,
    const char *target, json_t *body, json_t **out, struct aws_error *e)
{
	struct http_resp resp;
	char ct[80], tg[160];
	const char *hdr[3];
	char *text;
	int rc;

	if (out != NULL)
		*out = NULL;
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
		memset(e, 0, sizeof(*e));
		snprintf(e->message, sizeof(e->message), "out of memory");
		return -1;
	}
	snprintf(ct, sizeof(ct), "Content-Type: application/x-amz-json-%s",
	    json_version);
	snprintf(tg, sizeof(tg), "X-Amz-Target: %s", target);
	hdr[0] = ct;
	hdr[1] = tg;
	hdr[2] = NULL;
	rc = aws_request(svc, "POST", "/", hdr, text, strlen(text), NULL,
	    &resp, e);
	free(text);
	if (rc == -1) {
		http_resp_free(&resp);
		return -1;
	}
	if (resp.status < 200 || resp.status >= 300) {
		http_resp_free(&resp);
		return -1;
	}
	if (out != NULL && resp.body.len > 0 &&
	    (*out = json_loadb(resp.body.p, resp.body.len, 0, NULL)) == NULL) {
		snprintf(e->code, sizeof(e->code), "BadResponse");
		snprintf(e->message, sizeof(e->message), "%s answered with "
		    "something that is not JSON", svc->sign_name);
		http_resp_free(&resp);
		return -1;
	}
	http_resp_free(&resp);
	return 0;
}
