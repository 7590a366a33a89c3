/*
 * httpev: HTTP requests and responses as records. A request is the Lambda
 * Function URL event, payload format 2.0 (protocols.md section 4): what the
 * Lambda gets on AWS and what ir-serve builds for each local request. A
 * response is {"statusCode", "headers", "body", "isBase64Encoded"}, one
 * line of NDJSON.
 *
 * This is untrusted input: the event line is bounded (HTTPEV_MAX_EVENT),
 * the decoded body too (HTTPEV_MAX_BODY), and form decoding rejects bad
 * percent-encoding. Events are few (one per request), so jansson is used.
 *
 * Ownership: httpev_parse fills the caller's struct, which owns its
 * strings and body until httpev_free().
 */
#ifndef IR_HTTPEV_H
#define IR_HTTPEV_H

#include <stddef.h>

#include "buf.h"

#define HTTPEV_MAX_BODY		(1024 * 1024)		/* decoded bytes */
#define HTTPEV_MAX_EVENT	(2 * 1024 * 1024)	/* event line */
#define HTTPEV_MAX_HEADERS	64

struct httpev {
	char		 method[16];	/* "GET", "POST", ... upper case */
	char		*path;		/* rawPath, e.g. "/slack" */
	char		*query;		/* rawQueryString, no '?', "" none */
	char		*body;		/* decoded (base64 undone), NUL added */
	size_t		 body_len;
	char		 source_ip[64];
	int		 nheaders;
	char		*hname[HTTPEV_MAX_HEADERS];	/* lower-cased */
	char		*hvalue[HTTPEV_MAX_HEADERS];
};

/*
 * Parses one event line. 0, or -1 with a short reason in err (for the log
 * and a 400 answer: never echoes the body).
 */
int	httpev_parse(const char *line, size_t len, struct httpev *,
	    char *err, size_t errsz);
/* 1 if the line looks like a request event ("version":"2.0" and
 * "requestContext"), without a full parse. */
int	httpev_is_request(const char *line, size_t len);
/* A header's value by lower-case name, or NULL. */
const char *httpev_header(const struct httpev *, const char *name);
void	httpev_free(struct httpev *);

/*
 * Builds a request event (ir-serve, tests): headers as name/value pairs
 * (names lower-cased here; a repeated name joined with ", "), the body
 * base64-encoded unless its content type is text or JSON. Appends one
 * line (with its newline) to out.
 */
int	httpev_build(struct buf *out, const char *method, const char *path,
	    const char *query, const char *const *names,
	    const char *const *values, int n, const char *body,
	    size_t body_len, const char *source_ip, long long time_ms);

/* Appends a response record line: status, content type, body, and extra
 * "Name: value" headers (NULL-terminated, may be NULL). */
int	httpev_respond(struct buf *out, int status, const char *content_type,
	    const char *body, size_t len, const char *const *extra);
/* Parses a response record (ir-serve): 0 or -1. The strings point into
 * the caller-owned struct buf b (decoded body). */
struct httpev_response {
	int	 status;
	char	*content_type;
	char	*body;
	size_t	 body_len;
	int	 nheaders;
	char	*hname[16], *hvalue[16];
};
int	httpev_response_parse(const char *line, size_t len,
	    struct httpev_response *);
void	httpev_response_free(struct httpev_response *);

/*
 * application/x-www-form-urlencoded: the value of key ('+' is a space,
 * %XX decoded) appended to out. 1 found, 0 not there, -1 bad encoding.
 * Also for query strings.
 */
int	form_get(const char *s, size_t len, const char *key, struct buf *out);

#endif
