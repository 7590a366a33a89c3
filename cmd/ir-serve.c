/*
 * ir-serve: the public entry points on a local port, for a self-hosted
 * shop, the tests and a browser. Each HTTP request becomes the Lambda
 * Function URL event (payload 2.0) AWS would deliver: the raw body byte for
 * byte (base64 when it is not text), header names lower-cased. The event
 * goes on the stdin of the wrapper of the route the path falls under (the
 * same file in lambda/wrappers/ that the Lambda runs), and the response
 * record the wrapper writes first is sent back as soon as its line is
 * complete; the wrapper may go on working (ir-approve answers Slack, then
 * updates the message) until the timeout.
 *
 * Answered without running a wrapper: an unknown path (404), a body over
 * --max-body (413, before reading it when Content-Length says so), a
 * method it does not know (501), too many headers (431). A wrapper still
 * running at --timeout is killed with its process group (504); one that
 * dies or writes no valid response record gets 502.
 *
 * One log line per request on stderr: time, client, method, path, status,
 * duration, sizes. Never a body, a query string or a link token.
 * SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "child.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "httpev.h"
#include "log.h"

#define SERVE_MAX_ROUTES	16
#define SERVE_MAX_CONNS		64	/* one thread each */
#define SERVE_IDLE_S		30	/* idle connection timeout */
#define SERVE_MAX_OUTPUT	(8 * 1024 * 1024)	/* a response record */
#define SERVE_DISCARD_FACTOR	8	/* close after 8x the limit */
#define SERVE_MAX_LINGER	64	/* answered handlers still running */

static const char *default_routes =
    "/pos=pos-handler /slack=approve-handler /a/=approve-handler";

struct route {
	char	*prefix;		/* "/pos", "/a/" */
	char	*wrapper;		/* absolute path, or NULL: removed */
};

struct server {
	struct route	 routes[SERVE_MAX_ROUTES];
	int		 nroutes;
	long		 timeout_ms;
	size_t		 max_body;
	int		 fixed_now;	/* IR_NOW: event time from the clock */
	pthread_mutex_t	 lock;		/* active, stopping, the log */
	pthread_cond_t	 idle;
	int		 active;	/* requests, and handlers lingering */
	int		 lingering;
	int		 stopping;
};

/* One request, from its request line to its completion. */
struct req {
	char		*target;	/* raw path (query cut off): owned */
	const char	*query;		/* raw query string, in target or "" */
	const struct route *route;
	struct buf	 body;
	size_t		 in;		/* body bytes seen or announced */
	int		 started, toobig, answered;
	long long	 t0;		/* monotonic ms */
	char		 method[16];	/* for the log: letters only */
	char		 logpath[80];	/* what the log may show */
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ir-serve [--config FILE] [--listen ADDR:PORT] "
	    "[--max-body BYTES]\n"
	    "                [--route PREFIX=WRAPPER] [--timeout MS]\n");
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time for a log line: UTC, to the second. */
static void
log_stamp(char *ts, size_t sz)
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(ts, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Log lines come from many threads: one at a time. */
static void
serve_log(struct server *srv, const char *msg)
{
	pthread_mutex_lock(&srv->lock);
	log_info(NULL, "%s", msg);
	pthread_mutex_unlock(&srv->lock);
}

/*
 * The longest route whose prefix the path starts with. A prefix ending
 * in '/' takes everything under it; any other takes the path itself and
 * what is under it ("/pos", "/pos/square"), not "/posx".
 */
static const struct route *
route_find(const struct server *srv, const char *path)
{
	const struct route *best = NULL;
	size_t n, bestn = 0;
	int i;

	for (i = 0; i < srv->nroutes; i++) {
		if (srv->routes[i].wrapper == NULL)
			continue;
		n = strlen(srv->routes[i].prefix);
		if (strncmp(path, srv->routes[i].prefix, n) != 0)
			continue;
		if (srv->routes[i].prefix[n - 1] != '/' && path[n] != '\0' &&
		    path[n] != '/')
			continue;
		if (n > bestn) {
			best = &srv->routes[i];
			bestn = n;
		}
	}
	return best;
}

/*
 * What the log shows of a path: the route's prefix, or for an unknown
 * path its first segment, then "…" when there is more. The rest can hold
 * a token (/a/TOKEN); the query string is never shown.
 */
static void
log_path(const char *path, const struct route *rt, char *out, size_t sz)
{
	size_t n, i;

	if (rt != NULL)
		n = strlen(rt->prefix);
	else {
		n = strcspn(path + 1, "/") + 1;
		if (path[n] == '/')
			n++;
		if (n > 32)
			n = 32;
	}
	snprintf(out, sz, "%.*s%s", (int)n, path, path[n] ? "\xe2\x80\xa6" :
	    "");
	for (i = 0; i < n && out[i]; i++)
		if ((unsigned char)out[i] <= ' ' || out[i] == '"' ||
		    out[i] == '\\' || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

/*
 * The request's one log line. status 0: it ended without an answer of
 * ours (note says why).
 */
static void
log_request(struct server *srv, struct req *r, struct MHD_Connection *c,
    int status, size_t out, const char *note)
{
	const union MHD_ConnectionInfo *ci;
	char ts[32], ip[INET6_ADDRSTRLEN] = "-", st[8] = "-";

	log_stamp(ts, sizeof(ts));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr, ci->client_addr->sa_family ==
		    AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in), ip, sizeof(ip), NULL, 0,
		    NI_NUMERICHOST);
	if (status != 0)
		snprintf(st, sizeof(st), "%d", status);
	pthread_mutex_lock(&srv->lock);
	log_info(NULL, "%s %s %s %s %s %lldms in=%zu out=%zu%s%s", ts, ip,
	    r->method[0] ? r->method : "-", r->logpath, st,
	    mono_ms() - r->t0, r->in, out, note ? " " : "", note ? note : "");
	pthread_mutex_unlock(&srv->lock);
}

static int
stopping(struct server *srv)
{
	int s;

	pthread_mutex_lock(&srv->lock);
	s = srv->stopping;
	pthread_mutex_unlock(&srv->lock);
	return s;
}

/* Queues a response and logs the request; the response is released. */
static enum MHD_Result
queue(struct server *srv, struct req *r, struct MHD_Connection *c,
    int status, struct MHD_Response *resp, size_t out, const char *note)
{
	enum MHD_Result rc;

	if (resp == NULL)
		return MHD_NO;
	if (stopping(srv))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	r->answered = 1;
	log_request(srv, r, c, status, out, note);
	rc = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* An answer of ir-serve's own: a short reason as text. */
static enum MHD_Result
answer(struct server *srv, struct req *r, struct MHD_Connection *c,
    int status, const char *reason, const char *note)
{
	struct MHD_Response *resp;
	char text[200];
	int n;

	n = snprintf(text, sizeof(text), "%s\n", reason);
	resp = MHD_create_response_from_buffer((size_t)n, text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/plain; charset=utf-8");
	return queue(srv, r, c, status, resp, (size_t)n, note);
}

/* A header the wrapper may set: a token name, a value on one line, and
 * not one that belongs to the connection (the server sets those). */
static int
header_ok(const char *name, const char *value)
{
	static const char *const hop[] = { "connection", "content-length",
	    "date", "keep-alive", "trailer", "transfer-encoding", "upgrade",
	    NULL };
	const char *p;
	int i;

	if (name == NULL || value == NULL || *name == '\0')
		return 0;
	for (p = name; *p; p++)
		if (strchr("!#$%&'*+-.^_`|~", *p) == NULL &&
		    !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z')))
			return 0;
	if (strpbrk(value, "\r\n") != NULL)
		return 0;
	for (i = 0; hop[i]; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 0;
	return 1;
}

/* Sends the response record the wrapper wrote. */
static enum MHD_Result
send_record(struct server *srv, struct req *r, struct MHD_Connection *c,
    const struct httpev_response *hr, const char *note)
{
	struct MHD_Response *resp;
	int i;

	resp = MHD_create_response_from_buffer(hr->body_len, hr->body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	/* a Function URL answers application/json when none is named */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    hr->content_type && header_ok("content-type", hr->content_type) ?
	    hr->content_type : "application/json");
	for (i = 0; i < hr->nheaders; i++)
		if (header_ok(hr->hname[i], hr->hvalue[i]))
			MHD_add_response_header(resp, hr->hname[i],
			    hr->hvalue[i]);
	return queue(srv, r, c, hr->status, resp, hr->body_len, note);
}

struct headers {
	const char	*name[HTTPEV_MAX_HEADERS];
	const char	*value[HTTPEV_MAX_HEADERS];
	int		 n;
};

static enum MHD_Result
take_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct headers *h = cls;

	if (h->n == HTTPEV_MAX_HEADERS)
		return MHD_NO;
	h->name[h->n] = key;
	h->value[h->n] = value ? value : "";
	h->n++;
	return MHD_YES;
}

/* The first line of the wrapper's output, as a response record. */
static int
parse_first(const struct buf *out, struct httpev_response *hr)
{
	const char *nl;
	size_t n;

	if (out->len == 0)
		return -1;
	nl = memchr(out->p, '\n', out->len);
	n = nl ? (size_t)(nl - out->p) : out->len;
	if (n > 0 && out->p[n - 1] == '\r')
		n--;
	return httpev_response_parse(out->p, n, hr);
}

/*
 * A wrapper that has answered but is still running (ir-approve answers
 * Slack, then updates the message): ended in a thread of its own, so the
 * answer goes out now. Counted in active, so a stop waits for it.
 */
struct answered {
	struct server	*srv;
	struct child	 ch;
	int		 status;	/* of the answer */
	int		 counted;	/* in srv->active and ->lingering */
	char		 what[128];	/* "ip METHOD path", for the log */
};

/* Ends it; a line in the log only when it did not end well. */
static void
answered_end(struct answered *l)
{
	struct server *srv = l->srv;
	struct child_result res;
	char how[64], msg[300];

	if (child_finish(&l->ch, 0, &res) == -1 || res.status != 0) {
		snprintf(msg, sizeof(msg), "%s: handler %s after answering "
		    "%d", l->what, child_describe(&res, how, sizeof(how)),
		    l->status);
		serve_log(srv, msg);
	}
	if (l->counted) {
		pthread_mutex_lock(&srv->lock);
		srv->lingering--;
		srv->active--;
		pthread_cond_broadcast(&srv->idle);
		pthread_mutex_unlock(&srv->lock);
	}
}

static void *
answered_main(void *arg)
{
	struct answered *l = arg;

	answered_end(l);
	free(l);
	return NULL;
}

/*
 * Hands an answered child to a thread of its own; when there are too many
 * already (or no thread), ends it here, and the answer waits for that.
 */
static void
finish_later(struct server *srv, struct req *r, const char *ip,
    struct child *ch, int status)
{
	struct answered here, *l;
	pthread_attr_t attr;
	pthread_t t;
	char ts[32];

	memset(&here, 0, sizeof(here));
	here.srv = srv;
	here.ch = *ch;
	here.status = status;
	log_stamp(ts, sizeof(ts));
	snprintf(here.what, sizeof(here.what), "%s %s %s %s", ts, ip,
	    r->method, r->logpath);
	pthread_mutex_lock(&srv->lock);
	if ((here.counted = srv->lingering < SERVE_MAX_LINGER)) {
		srv->lingering++;
		srv->active++;
	}
	pthread_mutex_unlock(&srv->lock);
	if (here.counted && (l = malloc(sizeof(*l))) != NULL) {
		*l = here;
		if (pthread_attr_init(&attr) == 0) {
			pthread_attr_setdetachstate(&attr,
			    PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &attr, answered_main, l) == 0) {
				pthread_attr_destroy(&attr);
				return;
			}
			pthread_attr_destroy(&attr);
		}
		free(l);
	}
	answered_end(&here);
}

/*
 * Builds the event, runs the route's wrapper and sends the response
 * record it writes first, as soon as that line is complete.
 */
static enum MHD_Result
run(struct server *srv, struct req *r, struct MHD_Connection *c,
    const char *method)
{
	const union MHD_ConnectionInfo *ci;
	struct httpev_response hr;
	struct child_result res, fin;
	struct child ch;
	struct headers h = { .n = 0 };
	struct buf ev = { 0 }, out = { 0 };
	char ip[INET6_ADDRSTRLEN] = "-", note[96], how[64], *argv[2];
	enum MHD_Result rc;
	long long t;
	int got;

	MHD_get_connection_values(c, MHD_HEADER_KIND, take_header, &h);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		getnameinfo(ci->client_addr, ci->client_addr->sa_family ==
		    AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in), ip, sizeof(ip), NULL, 0,
		    NI_NUMERICHOST);
	t = srv->fixed_now ? (long long)clock_now() * 1000 : wall_ms();
	if (httpev_build(&ev, method, r->target, r->query, h.name,
	    h.value, h.n, r->body.len ? r->body.p : NULL, r->body.len, ip,
	    t) == -1) {
		buf_free(&ev);
		return answer(srv, r, c, 400, "bad request",
		    "(cannot build the event)");
	}
	buf_free(&r->body);
	argv[0] = r->route->wrapper;
	argv[1] = NULL;
	if (child_start(&ch, r->route->wrapper, argv, ev.p, ev.len,
	    srv->timeout_ms, &res) == -1) {
		buf_free(&ev);
		snprintf(note, sizeof(note), "handler cannot start: %s",
		    child_describe(&res, how, sizeof(how)));
		return answer(srv, r, c, 502, "the handler gave no answer",
		    note);
	}
	got = child_read_line(&ch, &out, SERVE_MAX_OUTPUT, &res);
	if (got == 1 && parse_first(&out, &hr) == 0) {
		/* answered: the rest of its run does not hold the answer */
		buf_free(&ev);
		buf_free(&out);
		rc = send_record(srv, r, c, &hr, NULL);
		finish_later(srv, r, ip, &ch, hr.status);
		httpev_response_free(&hr);
		return rc;
	}
	if (got == -1)			/* res says why: keep it */
		child_finish(&ch, 1, &fin);
	else				/* 1: not a record; 0: it is ending */
		child_finish(&ch, got == 1, &res);
	buf_free(&ev);
	if (got == 1)
		snprintf(note, sizeof(note), "handler wrote no response "
		    "record");
	else
		snprintf(note, sizeof(note), "handler %s%s",
		    child_describe(&res, how, sizeof(how)), res.outcome ==
		    CHILD_EXITED ? ", no response record" : "");
	if (res.outcome == CHILD_TIMEOUT)
		rc = answer(srv, r, c, 504,
		    "the handler did not answer in time", note);
	else if (got == 1 || res.outcome != CHILD_EXITED ||
	    parse_first(&out, &hr) == -1)
		rc = answer(srv, r, c, 502, "the handler gave no answer",
		    note);
	else {
		/*
		 * It answered as it exited (no newline, or the line and the
		 * end came together): its record is the answer whatever the
		 * exit status (65: the request was bad, and the record says
		 * how); the log notes a non-zero status.
		 */
		snprintf(note, sizeof(note), "handler exit %d", res.status);
		rc = send_record(srv, r, c, &hr, res.status ? note : NULL);
		httpev_response_free(&hr);
	}
	buf_free(&out);
	return rc;
}

static int
method_known(const char *m)
{
	static const char *const known[] = { "DELETE", "GET", "HEAD",
	    "OPTIONS", "PATCH", "POST", "PUT", NULL };
	int i;

	for (i = 0; known[i]; i++)
		if (strcmp(m, known[i]) == 0)
			return 1;
	return 0;
}

/*
 * The request line and headers are in: answer now what can be answered
 * without the body or a wrapper, else wait for the body.
 */
static enum MHD_Result
first(struct server *srv, struct req *r, struct MHD_Connection *c,
    const char *method)
{
	const char *cl;
	char *end;
	unsigned long long n;
	char *q;

	if (r->target[0] != '/')
		return answer(srv, r, c, 400, "bad request target", NULL);
	/* the target is ours: cut it in place into path and query */
	r->query = "";
	if ((q = strchr(r->target, '?')) != NULL) {
		*q++ = '\0';
		r->query = q;
	}
	r->route = route_find(srv, r->target);
	log_path(r->target, r->route, r->logpath, sizeof(r->logpath));
	if (stopping(srv))
		return answer(srv, r, c, 503, "shutting down", NULL);
	if (!method_known(method))
		return answer(srv, r, c, 501, "method not supported", NULL);
	if (r->route == NULL)
		return answer(srv, r, c, 404, "not found", NULL);
	if (MHD_get_connection_values(c, MHD_HEADER_KIND, NULL, NULL) >
	    HTTPEV_MAX_HEADERS)
		return answer(srv, r, c, 431, "too many headers", NULL);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && *end == '\0' &&
		    n > srv->max_body) {
			r->in = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
			return answer(srv, r, c, 413,
			    "request body too large", NULL);
		}
	}
	return MHD_YES;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct req *r = *con_cls;

	if (r == NULL)
		return MHD_NO;		/* out of memory at the request line */
	if (r->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!r->started) {
		size_t i;

		r->started = 1;
		snprintf(r->method, sizeof(r->method), "%s", method);
		for (i = 0; r->method[i]; i++)
			if (r->method[i] < 'A' || r->method[i] > 'Z')
				r->method[i] = '?';
		return first(srv, r, c, method);
	}
	if (*upload_size > 0) {
		r->in += *upload_size;
		if (r->in > srv->max_body)
			r->toobig = 1;
		else if (buf_add(&r->body, upload, *upload_size) == -1)
			return MHD_NO;
		*upload_size = 0;
		/* a body without a length that never ends: hang up */
		return r->in / SERVE_DISCARD_FACTOR > srv->max_body ? MHD_NO :
		    MHD_YES;
	}
	if (r->toobig) {
		buf_free(&r->body);
		return answer(srv, r, c, 413,
		    "request body too large", NULL);
	}
	return run(srv, r, c, method);
}

/* First sight of a request: the raw target, with its query string. */
static void *
request_start(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct server *srv = cls;
	struct req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->target = strdup(uri ? uri : "")) == NULL) {
		free(r);
		return NULL;
	}
	r->t0 = mono_ms();
	snprintf(r->logpath, sizeof(r->logpath), "-");
	pthread_mutex_lock(&srv->lock);
	srv->active++;
	pthread_mutex_unlock(&srv->lock);
	return r;
}

/* Why a request ended before ir-serve answered it. */
static const char *
ended_why(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "(idle timeout)";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "(shut down)";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "(client went away)";
	default:
		return "(bad request, answered by libmicrohttpd)";
	}
}

static void
request_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct req *r = *con_cls;

	if (r == NULL)
		return;
	if (!r->answered)
		log_request(srv, r, c, 0, 0, ended_why(toe));
	buf_free(&r->body);
	free(r->target);
	free(r);
	*con_cls = NULL;
	pthread_mutex_lock(&srv->lock);
	srv->active--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *srv = cls;
	char msg[512];
	size_t n;

	n = (size_t)snprintf(msg, sizeof(msg), "libmicrohttpd: ");
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	serve_log(srv, msg);
}

/*
 * ADDR:PORT, [ADDR6]:PORT, localhost:PORT, or a port alone (loopback).
 * 0 or -1 with err.
 */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, char *err,
    size_t errsz)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *port, *colon, *orig = s;
	char *end;
	long p;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			goto bad;
		hl = (size_t)(colon - s - 1);
		port = colon + 2;
		s++;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		hl = (size_t)(colon - s);
		port = colon + 1;
	} else {
		port = s;
		s = "127.0.0.1";
		hl = strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno || p < 0 || p > 65535)
		goto bad;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((unsigned short)p);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((unsigned short)p);
	} else
		goto bad;
	return 0;
bad:
	snprintf(err, errsz, "\"%.60s\" is not ADDR:PORT (such as "
	    "127.0.0.1:8080, [::1]:8080, or 0.0.0.0:8080 for every "
	    "interface)", orig);
	return -1;
}

/* Where this program lives, for the wrappers and the children's PATH. */
static int
exe_dir(const char *argv0, char *out, size_t sz)
{
	char path[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 1)) > 0)
		path[n] = '\0';
	else if (strchr(argv0, '/') == NULL || realpath(argv0, path) == NULL)
		return -1;
	if ((slash = strrchr(path, '/')) == NULL)
		return -1;
	*slash = '\0';
	snprintf(out, sz, "%s", path[0] ? path : "/");
	return 0;
}

/*
 * Adds, replaces or (with an empty WRAPPER) removes the route of spec
 * "PREFIX=WRAPPER". A bare name is looked up in wdir; a path is taken as
 * it is (relative to the working directory). 0, or -1 with err.
 */
static int
route_set(struct server *srv, const char *spec, const char *wdir, char *err,
    size_t errsz)
{
	const char *eq = strchr(spec, '=');
	char path[PATH_MAX], real[PATH_MAX], *prefix;
	struct route *rt = NULL;
	int i;

	if (eq == NULL || spec[0] != '/' || eq - spec > 200) {
		snprintf(err, errsz, "route \"%.80s\" is not PREFIX=WRAPPER "
		    "with PREFIX starting with /", spec);
		return -1;
	}
	if ((prefix = strndup(spec, (size_t)(eq - spec))) == NULL)
		goto nomem;
	for (i = 0; i < srv->nroutes; i++)
		if (strcmp(srv->routes[i].prefix, prefix) == 0)
			rt = &srv->routes[i];
	if (rt == NULL) {
		if (srv->nroutes == SERVE_MAX_ROUTES) {
			snprintf(err, errsz, "more than %d routes",
			    SERVE_MAX_ROUTES);
			free(prefix);
			return -1;
		}
		rt = &srv->routes[srv->nroutes++];
		rt->prefix = prefix;
	} else
		free(prefix);
	free(rt->wrapper);
	rt->wrapper = NULL;
	if (eq[1] == '\0')
		return 0;
	if (strchr(eq + 1, '/') == NULL) {
		if (wdir == NULL) {
			snprintf(err, errsz, "route %s: cannot find the "
			    "wrappers directory (set IR_WRAPPERS_DIR)",
			    rt->prefix);
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", wdir, eq + 1);
	} else
		snprintf(path, sizeof(path), "%s", eq + 1);
	if (realpath(path, real) == NULL || access(real, X_OK) == -1) {
		snprintf(err, errsz, "route %s: %.200s: %s", rt->prefix, path,
		    strerror(errno));
		return -1;
	}
	if ((rt->wrapper = strdup(real)) == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errsz, "out of memory");
	return -1;
}

/* Routes from a list of specs separated by spaces or commas. */
static int
routes_add(struct server *srv, const char *list, const char *wdir,
    char *err, size_t errsz)
{
	char *copy, *spec, *save = NULL;
	int rc = 0;

	if ((copy = strdup(list)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	for (spec = strtok_r(copy, " \t,", &save); spec != NULL && rc == 0;
	    spec = strtok_r(NULL, " \t,", &save))
		rc = route_set(srv, spec, wdir, err, errsz);
	free(copy);
	return rc;
}

/* The children find ir-pos and the rest next to ir-serve first. */
static int
path_prepend(const char *dir)
{
	const char *old = getenv("PATH");
	struct buf b = { 0 };
	int rc;

	if (old == NULL || *old == '\0')
		old = "/usr/local/bin:/usr/bin:/bin";
	if (buf_addf(&b, "%s:%s", dir, old) == -1)
		return -1;
	rc = setenv("PATH", b.p, 1);
	buf_free(&b);
	return rc;
}

static void
server_free(struct server *srv)
{
	int i;

	for (i = 0; i < srv->nroutes; i++) {
		free(srv->routes[i].prefix);
		free(srv->routes[i].wrapper);
	}
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
}

/* A setting's exit status: a bad flag is a usage error. */
static int
bad_setting(const struct config *cfg, const char *key, const char *msg)
{
	const char *o = config_origin(cfg, key);

	log_error(NULL, "%s", msg);
	return o != NULL && strcmp(o, "flag") == 0 ? EX_USAGE : EX_CONFIG;
}

/* Reads the settings into srv and *ss. 0 or an exit status. */
static int
setup(struct server *srv, struct config *cfg, const char *argv0,
    char **flag_routes, int nflag_routes, struct sockaddr_storage *ss)
{
	char err[600], dir[PATH_MAX], wbuf[PATH_MAX];
	const char *w, *wdir = NULL;
	long long n;
	int i, have_dir;

	if (config_int(cfg, "IR_SERVE_TIMEOUT_MS", 1, 900000, &n, err,
	    sizeof(err)) != 1)
		return bad_setting(cfg, "IR_SERVE_TIMEOUT_MS", err);
	srv->timeout_ms = (long)n;
	if (config_int(cfg, "IR_SERVE_MAX_BODY", 0, HTTPEV_MAX_BODY, &n, err,
	    sizeof(err)) != 1)
		return bad_setting(cfg, "IR_SERVE_MAX_BODY", err);
	srv->max_body = (size_t)n;
	if (parse_listen(config_get(cfg, "IR_SERVE_LISTEN"), ss, err,
	    sizeof(err)) == -1)
		return bad_setting(cfg, "IR_SERVE_LISTEN", err);
	srv->fixed_now = config_get(cfg, "IR_NOW") != NULL;
	have_dir = exe_dir(argv0, dir, sizeof(dir)) == 0;
	if ((wdir = config_get(cfg, "IR_WRAPPERS_DIR")) == NULL && have_dir) {
		snprintf(wbuf, sizeof(wbuf), "%s/../lambda/wrappers", dir);
		wdir = wbuf;
	}
	if (routes_add(srv, default_routes, wdir, err, sizeof(err)) == -1)
		return bad_setting(cfg, "IR_WRAPPERS_DIR", err);
	if ((w = config_get(cfg, "IR_SERVE_ROUTES")) != NULL &&
	    routes_add(srv, w, wdir, err, sizeof(err)) == -1)
		return bad_setting(cfg, "IR_SERVE_ROUTES", err);
	for (i = 0; i < nflag_routes; i++)
		if (route_set(srv, flag_routes[i], wdir, err,
		    sizeof(err)) == -1) {
			log_error(NULL, "--route: %s", err);
			return EX_USAGE;
		}
	if (have_dir && path_prepend(dir) == -1) {
		log_error(NULL, "cannot set PATH: %s", strerror(errno));
		return EX_OSERR;
	}
	return 0;
}

static void
describe_addr(const struct sockaddr_storage *ss, unsigned port, char *out,
    size_t sz)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof(a));
		snprintf(out, sz, "[%s]:%u", a, port);
	} else {
		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof(a));
		snprintf(out, sz, "%s:%u", a, port);
	}
}

/* Waits for a stop signal, then lets the requests in flight finish. */
static void
serve_until_signal(struct server *srv, struct MHD_Daemon *d,
    const sigset_t *stop)
{
	struct timespec until;
	MHD_socket lfd;
	int sig = 0, left;
	char msg[96];

	while (sigwait(stop, &sig) != 0)
		;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = 1;
	left = srv->active;
	pthread_mutex_unlock(&srv->lock);
	snprintf(msg, sizeof(msg), "%s: stopping, %d request%s in flight",
	    sig == SIGINT ? "SIGINT" : "SIGTERM", left, left == 1 ? "" : "s");
	serve_log(srv, msg);
	lfd = MHD_quiesce_daemon(d);
	/* no request runs longer than the timeout, plus time to send it */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += srv->timeout_ms / 1000 + SERVE_IDLE_S;
	pthread_mutex_lock(&srv->lock);
	while (srv->active > 0 && pthread_cond_timedwait(&srv->idle,
	    &srv->lock, &until) == 0)
		;
	pthread_mutex_unlock(&srv->lock);
	MHD_stop_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "max-body",	required_argument,	NULL, 'm' },
		{ "route",	required_argument,	NULL, 'r' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct server srv = { .nroutes = 0 };
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	struct config *cfg;
	const char *conf = NULL, *addr = NULL, *maxb = NULL, *tmo = NULL;
	char *routes[SERVE_MAX_ROUTES], where[80], msg[120];
	sigset_t stop;
	int ch, nroutes = 0, rc, fd;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'l': addr = optarg; break;
		case 'm': maxb = optarg; break;
		case 'r':
			if (nroutes == SERVE_MAX_ROUTES) {
				log_error(NULL, "--route: more than %d",
				    SERVE_MAX_ROUTES);
				return EX_USAGE;
			}
			routes[nroutes++] = optarg;
			break;
		case 't': tmo = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((cfg = cli_config(conf, NULL)) == NULL)
		return cli_last_status;
	if ((addr && config_set(cfg, "IR_SERVE_LISTEN", addr)) ||
	    (maxb && config_set(cfg, "IR_SERVE_MAX_BODY", maxb)) ||
	    (tmo && config_set(cfg, "IR_SERVE_TIMEOUT_MS", tmo))) {
		log_error(NULL, "out of memory");
		config_free(cfg);
		return EX_OSERR;
	}
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.idle, NULL);
	if ((rc = setup(&srv, cfg, argv[0], routes, nroutes, &ss)) != 0)
		goto out;
	/* fds 0-2 open, so a pipe never lands on them */
	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	/* writes to a child that stopped reading fail with EPIPE instead */
	signal(SIGPIPE, SIG_IGN);
	/* every thread inherits the blocked stop signals; main waits */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	d = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
	    handle, &srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &srv,	/* must be first */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_URI_LOG_CALLBACK, request_start, &srv,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, &srv,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVE_MAX_CONNS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVE_IDLE_S,
	    MHD_OPTION_END);
	describe_addr(&ss, ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port), where, sizeof(where));
	if (d == NULL) {
		log_error(NULL, "cannot listen on %s: %s", where,
		    strerror(errno));
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if ((di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) != NULL)
		describe_addr(&ss, di->port, where, sizeof(where));
	snprintf(msg, sizeof(msg), "listening on %s", where);
	serve_log(&srv, msg);
	serve_until_signal(&srv, d, &stop);
	serve_log(&srv, "stopped");
	rc = 0;
out:
	server_free(&srv);
	config_free(cfg);
	return cli_exit(rc);
}
