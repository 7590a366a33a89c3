/* curlapi: libcurl loaded on first use. See curlapi.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlapi.h"

/*
 * Each pointer must have the exact type of curl's prototype, or a call
 * through it is undefined. Assigning the function to the member is a
 * diagnostic when the types differ (an error under -Werror); the
 * assignment is inside sizeof, which does not evaluate it, so nothing
 * here references libcurl's symbols at link time.
 */
#define SAME_TYPE(member, fn)						\
	_Static_assert(sizeof(((struct curlapi *)0)->member = (fn)) > 0, #fn)

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
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "dlsym's pointers must fit the table's");

static const struct {
	const char	*name;
	size_t		 off;
} syms[] = {
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
	const char *why;
	void *lib, *p;
	size_t i;

	if (loaded)
		return &api;
	if ((lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errsz, "cannot load %s (%s); the remote backends "
		    "need the libcurl4 package", soname, why ? why : "?");
		return NULL;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		(void)dlerror();
		if ((p = dlsym(lib, syms[i].name)) == NULL) {
			why = dlerror();
			snprintf(err, errsz, "cannot load %s (%s); the remote "
			    "backends need the libcurl4 package", soname,
			    why ? why : syms[i].name);
			dlclose(lib);
			return NULL;
		}
		/*
		 * dlsym gives an object pointer; POSIX guarantees it has the
		 * function pointer's representation, and memcpy avoids the
		 * conversion ISO C leaves undefined.
		 */
		memcpy((char *)&t + syms[i].off, &p, sizeof(p));
	}
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
