/* dlib: libraries loaded on first use. See dlib.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlib.h"

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "dlsym's pointers must fit the tables'");

int
dlib_load(const char *soname, const struct dlib_sym *syms, size_t n,
    void *table, size_t tablesz, void **lib, const char *need, char *err,
    size_t errsz)
{
	const char *why;
	void *h, *p;
	size_t i;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errsz, "cannot load %s (%s); %s", soname,
		    why ? why : "?", need);
		return -1;
	}
	for (i = 0; i < n; i++) {
		(void)dlerror();
		if ((p = dlsym(h, syms[i].name)) == NULL) {
			why = dlerror();
			snprintf(err, errsz, "cannot load %s (%s); %s", soname,
			    why ? why : syms[i].name, need);
			dlclose(h);
			return -1;
		}
		/*
		 * dlsym gives an object pointer; POSIX guarantees it has the
		 * function pointer's representation, and memcpy avoids the
		 * conversion ISO C leaves undefined.
		 */
		if (syms[i].off + sizeof(p) > tablesz)
			abort();	/* a table made wrong: a bug */
		memcpy((char *)table + syms[i].off, &p, sizeof(p));
	}
	*lib = h;
	return 0;
}
