/*
 * http: one place for every HTTP call the backends make (libcurl): connect
 * and total timeouts, and retries with capped exponential backoff and full
 * jitter on transport errors, 429 and 5xx (honouring Retry-After), never on
 * a 4xx that will not change. AWS calls add SigV4 signing through libcurl's
 * own CURLOPT_AWS_SIGV4 (see aws.h).
 *
 * Ownership: the request is borrowed; the response owns its body and
 * headers until http_resp_free().
 */
#ifndef IR_HTTP_H
#define IR_HTTP_H

#include <stddef.h>

#include "buf.h"

#define HTTP_MAX_BODY		(64L * 1024 * 1024)	/* response bytes */
#define HTTP_CONNECT_MS		5000
#define HTTP_TIMEOUT_MS		30000
#define HTTP_RETRIES		4
#define HTTP_BACKOFF_BASE_MS	200
#define HTTP_BACKOFF_CAP_MS	5000

struct http_req {
	const char	*method;	/* "GET", "POST", "PUT", "HEAD", ... */
	const char	*url;
	const char *const *headers;	/* "Name: value", NULL-terminated */
	const char	*body;
	size_t		 body_len;
	/* SigV4: "aws:amz:REGION:SERVICE" and "ACCESS_KEY:SECRET", or NULL */
	const char	*aws_sigv4;
	const char	*userpwd;
	/* SMTP/basic auth etc. are not here: this is for HTTP(S) APIs */
	long		 connect_ms;	/* 0: HTTP_CONNECT_MS */
	long		 timeout_ms;	/* 0: HTTP_TIMEOUT_MS */
	int		 retries;	/* < 0: HTTP_RETRIES; 0: no retry */
	/* Extra retry rule on a response (AWS throttling comes as 400):
	 * non-zero to retry. NULL: only 429 and 5xx. */
	int		(*retryable)(long status, const char *body,
			    size_t len);
	/* Write the body to this file instead of memory (downloads). */
	void		*sink;		/* FILE *, or NULL */
	/*
	 * Not safe to repeat (sending an email): retry only when the request
	 * surely was not processed (no connection, 429, the retryable rule),
	 * never after a timeout or a 5xx, whose outcome is unknown.
	 */
	int		 once;
};

struct http_resp {
	long		 status;	/* 0 when no response came */
	struct buf	 body;
	struct buf	 headers;	/* raw "Name: value\r\n" lines */
	int		 attempts;
	int		 timed_out;	/* the last failure was a timeout */
	int		 connected;	/* the last attempt reached the server */
	char		 err[256];	/* transport failure, for people */
};

/*
 * Performs the request, retrying as above. 0: a response arrived (any
 * status, see resp->status, after the retries allowed); -1: no response
 * (resp->err says why: connection refused, timeout, ..., or libcurl
 * missing: the first request of the process loads it, see curlapi.h).
 */
int	http_do(const struct http_req *, struct http_resp *resp);
/* A response header's value (case-insensitive name) into dst; -1 none. */
int	http_header(const struct http_resp *, const char *name, char *dst,
	    size_t dstsz);
void	http_resp_free(struct http_resp *);
/* Percent-encodes s (RFC 3986 unreserved kept) and appends it. */
int	http_escape(struct buf *, const char *s, size_t n);
/* Sleeps ms milliseconds (restarted after a signal). */
void	http_sleep_ms(long ms);
/* Test hook: the backoff base and cap in ms (so tests need not wait). */
void	http_set_backoff(long base_ms, long cap_ms);

#endif
