/* curlapi: libcurl loaded on first use. See curlapi.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlapi.h"
#include "dlib.h"

#define SAME_TYPE(member, fn)	DLIB_SAME_TYPE(struct curlapi, member, fn)

SAME_TYPE(global_init, curl_global_init);
SAME_TYPE(global_cleanup, curl_global_cleanup);
SAME_TYPE(easy_init, curl_easy_init);
SAME_TYPE(easy_cleanup, curl_easy_cleanup);
SAME_TYPE(easy_reset, curl_easy_reset);
SAME_TYPE(easy_setopt, curl_easy_setopt);
SAME_TYPE(easy_perform, curl_easy_perform);
SAME_TYPE(easy_getinfo, curl_easy_getinfo);
SAME_TYPE(easy_strerror, curl_easy_strerror);
SAME_TYPE(slist_append, curl_slist_append);
SAME_TYPE(slist_free_all, curl_slist_free_all);

static const struct dlib_sym syms[] = {
	{ "curl_global_init", offsetof(struct curlapi, global_init) },
	{ "curl_global_cleanup", offsetof(struct curlapi, global_cleanup) },
	{ "curl_easy_init", offsetof(struct curlapi, easy_init) },
	{ "curl_easy_cleanup", offsetof(struct curlapi, easy_cleanup) },
	{ "curl_easy_reset", offsetof(struct curlapi, easy_reset) },
	{ "curl_easy_setopt", offsetof(struct curlapi, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct curlapi, easy_perform) },
	{ "curl_easy_getinfo", offsetof(struct curlapi, easy_getinfo) },
	{ "curl_easy_strerror", offsetof(struct curlapi, easy_strerror) },
	{ "curl_slist_append", offsetof(struct curlapi, slist_append) },
	{ "curl_slist_free_all", offsetof(struct curlapi, slist_free_all) },
};

static struct curlapi api;
static int loaded;
static const char *soname = CURLAPI_SONAME;

void
curlapi_set_soname(const char *name)
{
	soname = name != NULL ? name : CURLAPI_SONAME;
}

static void
cleanup(void)
{
	api.global_cleanup();
}

const struct curlapi *
curlapi_get(char *err, size_t errsz)
{
	struct curlapi t;
	void *lib;

	if (loaded)
		return &api;
	if (dlib_load(soname, syms, sizeof(syms) / sizeof(syms[0]), &t,
	    sizeof(t), &lib, "the remote backends need the libcurl4 package",
	    err, errsz) == -1)
		return NULL;
	if (t.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsz, "%s: curl_global_init failed", soname);
		dlclose(lib);
		return NULL;
	}
	api = t;
	loaded = 1;
	atexit(cleanup);
	return &api;
}
