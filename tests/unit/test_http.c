/*
 * http: retries, backoff, Retry-After and timeouts against a small HTTP
 * responder forked by the test (real sockets, real libcurl).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "unit.h"

/* Serves one scripted answer per connection, then exits. */
static pid_t
serve(int *port, const char *const *answers, int delay_ms)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int s, one = 1;
	pid_t pid;

	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	listen(s, 8);
	getsockname(s, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	for (; *answers; answers++) {
		char req[8192];
		int c = accept(s, NULL, NULL);

		if (c == -1)
			_exit(1);
		(void)read(c, req, sizeof(req));
		if (delay_ms)
			usleep((useconds_t)delay_ms * 1000);
		(void)write(c, *answers, strlen(*answers));
		close(c);
	}
	_exit(0);
}

static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
    "Connection: close\r\n\r\nhello";
static const char busy[] = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n"
    "Connection: close\r\n\r\n";
static const char slow[] = "HTTP/1.1 429 Slow\r\nRetry-After: 1\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";
static const char bad[] = "HTTP/1.1 400 Bad\r\nContent-Length: 2\r\n"
    "Connection: close\r\n\r\nno";

static void
get(int port, int retries, long timeout_ms, struct http_resp *r, int *rc)
{
	struct http_req q;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.retries = retries;
	q.timeout_ms = timeout_ms;
	memset(r, 0, sizeof(*r));
	*rc = http_do(&q, r);
}

TEST(retries_5xx_then_success)
{
	static const char *const script[] = { busy, busy, ok, NULL };
	struct http_resp r;
	int port, rc;
	pid_t pid = serve(&port, script, 0);

	get(port, 4, 0, &r, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK_EQ_INT(r.attempts, 3);
	CHECK(r.body.len == 5 && memcmp(r.body.p, "hello", 5) == 0);
	http_resp_free(&r);
	waitpid(pid, NULL, 0);
}

TEST(retry_after_is_honoured)
{
	static const char *const script[] = { slow, ok, NULL };
	struct http_resp r;
	struct timespec t0, t1;
	int port, rc;
	pid_t pid = serve(&port, script, 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	get(port, 4, 0, &r, &rc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_EQ_INT(r.status, 200);
	CHECK_EQ_INT(r.attempts, 2);
	CHECK(t1.tv_sec - t0.tv_sec >= 1);	/* waited the second asked */
	http_resp_free(&r);
	waitpid(pid, NULL, 0);
}

TEST(a_4xx_is_not_retried)
{
	static const char *const script[] = { bad, ok, NULL };
	struct http_resp r;
	int port, rc;
	pid_t pid = serve(&port, script, 0);

	get(port, 4, 0, &r, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(r.status, 400);
	CHECK_EQ_INT(r.attempts, 1);
	http_resp_free(&r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST(gives_up_after_the_retries)
{
	static const char *const script[] = { busy, busy, busy, NULL };
	struct http_resp r;
	int port, rc;
	pid_t pid = serve(&port, script, 0);

	get(port, 2, 0, &r, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(r.status, 503);
	CHECK_EQ_INT(r.attempts, 3);
	http_resp_free(&r);
	waitpid(pid, NULL, 0);
}

TEST(refused_and_timeout_are_transport_errors)
{
	static const char *const script[] = { ok, ok, NULL };
	struct http_resp r;
	int port, rc;
	pid_t pid;

	/* a port nobody listens on: bind, read the number, close */
	pid = serve(&port, script, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	get(port, 1, 0, &r, &rc);
	CHECK_EQ_INT(rc, -1);
	CHECK_EQ_INT(r.status, 0);
	CHECK_EQ_INT(r.attempts, 2);
	CHECK(r.err[0] != '\0');
	http_resp_free(&r);

	pid = serve(&port, script, 1500);
	get(port, 0, 300, &r, &rc);
	CHECK_EQ_INT(rc, -1);
	CHECK(strstr(r.err, "imeout") != NULL || strstr(r.err, "timed") !=
	    NULL);
	http_resp_free(&r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST(headers_and_escape)
{
	struct http_resp r;
	struct buf b = { 0 };
	char v[64];

	memset(&r, 0, sizeof(r));
	buf_adds(&r.headers, "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\n"
	    "x-amz-version-id: v1 \r\n\r\n");
	CHECK(http_header(&r, "etag", v, sizeof(v)) == 0);
	CHECK_EQ_STR(v, "\"abc\"");
	CHECK(http_header(&r, "X-Amz-Version-Id", v, sizeof(v)) == 0);
	CHECK_EQ_STR(v, "v1");
	CHECK(http_header(&r, "missing", v, sizeof(v)) == -1);
	http_resp_free(&r);
	http_escape(&b, "a b/ü~", strlen("a b/ü~"));
	CHECK_EQ_STR(b.p, "a%20b%2F%C3%BC~");
	buf_free(&b);
}

int
main(void)
{
	http_set_backoff(10, 50);
	RUN(retries_5xx_then_success);
	RUN(retry_after_is_honoured);
	RUN(a_4xx_is_not_retried);
	RUN(gives_up_after_the_retries);
	RUN(refused_and_timeout_are_transport_errors);
	RUN(headers_and_escape);
	return unit_summary();
}
