/*
 * curlapi: libcurl is not loaded at start, the first request loads it
 * once, and a library that cannot be loaded is a clear error, never a
 * crash. The tests run in this order: the first ones need libcurl not yet
 * loaded.
 */
#define _GNU_SOURCE	/* RTLD_NOLOAD: is the library in the process? */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curlapi.h"
#include "http.h"
#include "unit.h"

#define ABSENT	"libcurl-ir-absent.so.4"

/* Whether libcurl is mapped into this process now. */
static int
curl_in_process(void)
{
	void *h = dlopen(CURLAPI_SONAME, RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL)
		return 0;
	dlclose(h);
	return 1;
}

/* A loopback port nobody listens on: bind, read the number, close. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int s, port;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* One GET, no retry, to a closed port. */
static int
get_refused(struct http_resp *r)
{
	struct http_req q;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.retries = 0;
	memset(r, 0, sizeof(*r));
	r->connected = r->timed_out = 1;	/* http_do must reset them */
	return http_do(&q, r);
}

TEST(not_loaded_at_start)
{
	CHECK_EQ_INT(curl_in_process(), 0);
}

TEST(a_missing_library_is_a_clear_error)
{
	struct http_resp r;
	char err[256];

	curlapi_set_soname(ABSENT);
	CHECK(curlapi_get(err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot load " ABSENT " (") == err);
	CHECK(strstr(err, "the remote backends need the libcurl4 package") !=
	    NULL);
	CHECK_EQ_INT(get_refused(&r), -1);
	CHECK(strstr(r.err, "cannot load " ABSENT " (") == r.err);
	CHECK_EQ_INT(r.attempts, 0);
	CHECK_EQ_INT(r.status, 0);
	CHECK_EQ_INT(r.connected, 0);	/* nothing was sent */
	CHECK_EQ_INT(r.timed_out, 0);	/* not worth a retry */
	http_resp_free(&r);
	CHECK_EQ_INT(curl_in_process(), 0);
}

TEST(the_first_request_loads_it_once)
{
	const struct curlapi *a;
	struct http_resp r;
	char err[256];

	curlapi_set_soname(NULL);	/* a failed load is not remembered */
	CHECK_EQ_INT(get_refused(&r), -1);
	CHECK_EQ_INT(r.attempts, 1);
	CHECK_EQ_INT(r.connected, 0);
	CHECK_EQ_INT(r.timed_out, 0);
	CHECK_EQ_STR(r.err, "Couldn't connect to server");	/* curl's */
	http_resp_free(&r);
	CHECK_EQ_INT(curl_in_process(), 1);
	/* loaded: the library name is not looked at again */
	curlapi_set_soname(ABSENT);
	CHECK((a = curlapi_get(err, sizeof(err))) != NULL);
	CHECK(a != NULL && a->easy_strerror(CURLE_OK) != NULL);
	CHECK_EQ_INT(get_refused(&r), -1);
	CHECK_EQ_STR(r.err, "Couldn't connect to server");
	http_resp_free(&r);
	curlapi_set_soname(NULL);
}

int
main(void)
{
	RUN(not_loaded_at_start);
	RUN(a_missing_library_is_a_clear_error);
	RUN(the_first_request_loads_it_once);
	return unit_summary();
}
