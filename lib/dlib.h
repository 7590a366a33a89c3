/*
 * dlib: a library loaded with dlopen on first use, its functions looked up
 * into a table of typed pointers (curlapi, cryptoapi). The table's types
 * are checked against the library's prototypes where the table is made.
 */
#ifndef IR_DLIB_H
#define IR_DLIB_H

#include <stddef.h>

/*
 * Checks at compile time that member of table type T has exactly the type
 * of the library function fn, or a call through it would be undefined.
 * The assignment is a diagnostic when the types differ (an error under
 * -Werror); it is inside sizeof, which does not evaluate it, so nothing
 * references the library's symbols at link time. A name that is a macro
 * rather than a function does not compile either.
 */
#define DLIB_SAME_TYPE(T, member, fn)					\
	_Static_assert(sizeof(((T *)0)->member = (fn)) > 0, #fn)

/* A function to look up, and where its pointer goes in the table. */
struct dlib_sym {
	const char	*name;
	size_t		 off;
};

/*
 * Opens soname and fills table (every member a function pointer) with the
 * n functions of syms. 0, with the library's handle in *lib (kept open
 * until exit); -1 with err = "cannot load SONAME (why); NEED", the table
 * partly filled (callers fill a copy and keep it on success).
 */
int	dlib_load(const char *soname, const struct dlib_sym *syms, size_t n,
	    void *table, size_t tablesz, void **lib, const char *need,
	    char *err, size_t errsz);

#endif
