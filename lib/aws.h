/*
 * aws: the one place every AWS call goes through. Credentials from the
 * standard variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the
 * AWS_SESSION_TOKEN that Lambda roles use), the region from AWS_REGION (or
 * AWS_DEFAULT_REGION), endpoints exactly as the AWS SDKs read them:
 * AWS_ENDPOINT_URL_<SERVICE> (S3, DYNAMODB, SES, SECRETS_MANAGER, SSM,
 * EVENTBRIDGE, SCHEDULER, ...), else AWS_ENDPOINT_URL, else the service's
 * public endpoint. Signing is libcurl's CURLOPT_AWS_SIGV4; transport,
 * timeouts and retries are http.c's, plus AWS throttling errors (which
 * arrive as 400s) as retryable.
 *
 * Settings come from the process config (config_global()); a secret never
 * appears in an error message.
 */
#ifndef IR_AWS_H
#define IR_AWS_H

#include <stddef.h>

#include <jansson.h>

#include "http.h"

struct aws_service {
	const char	*sign_name;	/* SigV4 service: "dynamodb", "s3",
					   "ses", "secretsmanager", "ssm",
					   "events", "scheduler" */
	const char	*env_key;	/* AWS_ENDPOINT_URL_<env_key>:
					   "DYNAMODB", "S3", "SES", ... */
	const char	*host;		/* public host prefix: "dynamodb",
					   "s3", "email", "secretsmanager",
					   "ssm", "events", "scheduler" */
};

extern const struct aws_service aws_dynamodb, aws_s3, aws_ses,
	aws_secretsmanager, aws_ssm, aws_events, aws_scheduler;

struct aws_error {
	long	 status;		/* HTTP status, 0 no response */
	char	 code[96];		/* "ConditionalCheckFailedException" */
	char	 message[384];		/* for people */
	int	 transient;		/* throttled, 5xx, timeout: retry later */
	int	 unknown;		/* a once-only request may have been
					   done (timeout, 5xx) */
};

/* 0, or -1 with err (no credentials, no region). */
int	aws_ready(char *err, size_t errsz);
const char *aws_region(void);
/* The endpoint base URL for a service, no trailing slash. */
int	aws_endpoint(const struct aws_service *, char *out, size_t outsz);

/*
 * A signed request to path (starting with '/', query included) on the
 * service's endpoint. headers as in http_req. 0 with resp filled (any
 * status), -1 on transport failure (e filled).
 */
int	aws_request(const struct aws_service *, const char *method,
	    const char *path, const char *const *headers, const char *body,
	    size_t len, void *sink, struct http_resp *resp,
	    struct aws_error *e);

/* The same, for a request that must not be repeated when its outcome is
 * unknown (sending an email): see http_req.once. */
int	aws_request_once(const struct aws_service *, const char *method,
	    const char *path, const char *const *headers, const char *body,
	    size_t len, struct http_resp *resp, struct aws_error *e);
/*
 * The exit status (sysexits) for a failed call: 69 unreachable or
 * refused, 75 throttled or timed out (retry later), 77 denied, 66 not
 * found.
 */
int	aws_exit_status(const struct aws_error *);

/*
 * The JSON protocols (DynamoDB, Secrets Manager, SSM, EventBridge: POST /,
 * X-Amz-Target, application/x-amz-json-1.0 or 1.1). body is borrowed;
 * *out (owned, may be NULL) is the parsed reply on 2xx. 0 on 2xx; -1 with
 * e filled otherwise (code from "__type", message from "message").
 */
int	aws_json(const struct aws_service *, const char *json_version,
	    const char *target, json_t *body, json_t **out,
	    struct aws_error *e);

#endif
