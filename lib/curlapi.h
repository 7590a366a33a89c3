/*
 * curlapi: libcurl, loaded with dlopen("libcurl.so.4") the first time a
 * remote backend needs it, instead of linked into every program.
 *
 * Why: linked at build time, libcurl and the libraries only it needs
 * (libssl, GnuTLS, nghttp2, libssh2, LDAP, Kerberos, ...) cost every
 * program about 4.5 MB of RSS and 2 ms of start before main() (ir-sync
 * --version: 8.1 MB, 4.6 ms linked; 3.2 MB, 2.4 ms without), and most
 * runs (a laptop with a CSV sheet, SQLite and an outbox) never make an
 * HTTP call. The memory target of `ir-sync | ir-check` (issue 5) leaves no
 * room for that.
 *
 * curl's own headers still give the types and constants; the functions
 * are called through the table curlapi_get() returns. Each pointer has
 * exactly the type of curl's prototype (curl_easy_setopt and getinfo stay
 * variadic), so every call through it is a well-defined call of the real
 * function; curlapi.c checks the types against the prototypes when it is
 * compiled. What the table loses is curl's gcc-only compile-time check of
 * setopt arguments: pass longs as long and sizes as curl_off_t.
 *
 * Not thread-safe: the programs are single-threaded. Once loaded, libcurl
 * stays loaded until exit (curl_global_cleanup runs from atexit; no
 * dlclose, which would gain nothing at exit).
 */
#ifndef IR_CURLAPI_H
#define IR_CURLAPI_H

#include <stddef.h>

#include <curl/curl.h>

#define CURLAPI_SONAME	"libcurl.so.4"

/* The curl functions lib/ uses, named without their curl_ prefix. */
struct curlapi {
	CURLcode	(*global_init)(long flags);
	void		(*global_cleanup)(void);
	CURL		*(*easy_init)(void);
	void		(*easy_cleanup)(CURL *);
	void		(*easy_reset)(CURL *);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_perform)(CURL *);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	const char	*(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *,
			    const char *);
	void		(*slist_free_all)(struct curl_slist *);
};

/*
 * The table: the first call loads libcurl, looks up every function and
 * runs curl_global_init (curl_global_cleanup is registered with atexit);
 * later calls return the same table. The table is borrowed and lives
 * until exit. NULL when libcurl cannot be loaded or started, with err
 * saying why in words for people (the library's name, dlerror's text and
 * that the remote backends need the libcurl4 package); the next call
 * tries again.
 */
const struct curlapi *curlapi_get(char *err, size_t errsz);
/*
 * Test hook: the library to load instead of CURLAPI_SONAME (NULL: back to
 * it). Only before the first successful curlapi_get(). name is borrowed
 * and must outlive the calls.
 */
void	curlapi_set_soname(const char *name);

#endif
