/* jsonw: the small escaping JSON string writer. See jsonw.h. */
#include <string.h>

#include "jsonw.h"

/* 1 for the bytes a JSON string cannot hold as they are. */
static const unsigned char must_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
};

int
jsonw_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (must_escape[(unsigned char)s[i]])
			return 0;
	return 1;
}

int
jsonw_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;
	char *o;

	/* Worst case every byte becomes \u00XX: reserve once. */
	if (buf_grow(b, n * 6 + 2) == -1)
		return -1;
	o = b->p + b->len;
	*o++ = '"';
	for (i = 0; i < n; i += run) {
		unsigned char c;

		/* Copy the longest run that needs no escaping in one go. */
		for (run = 0; i + run < n &&
		    !must_escape[(unsigned char)s[i + run]]; run++)
			;
		if (run) {
			memcpy(o, s + i, run);
			o += run;
			continue;
		}
		c = (unsigned char)s[i];
		run = 1;
		*o++ = '\\';
		switch (c) {
		case '"':  *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
	return 0;
}
