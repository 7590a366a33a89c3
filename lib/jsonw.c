/* jsonw: the small escaping JSON string writer. See jsonw.h. */
#include <string.h>

#include "jsonw.h"

int
jsonw_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	/* Worst case every byte becomes \u00XX: reserve once. */
	if (buf_grow(b, n * 6 + 2) == -1)
		return -1;
	b->p[b->len++] = '"';
	for (i = 0; i < n; i += run) {
		unsigned char c = (unsigned char)s[i];

		/* Copy the longest run that needs no escaping in one go. */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run) {
			memcpy(b->p + b->len, s + i, run);
			b->len += run;
			continue;
		}
		run = 1;
		b->p[b->len++] = '\\';
		switch (c) {
		case '"':  b->p[b->len++] = '"'; break;
		case '\\': b->p[b->len++] = '\\'; break;
		case '\n': b->p[b->len++] = 'n'; break;
		case '\r': b->p[b->len++] = 'r'; break;
		case '\t': b->p[b->len++] = 't'; break;
		case '\b': b->p[b->len++] = 'b'; break;
		case '\f': b->p[b->len++] = 'f'; break;
		default:
			b->p[b->len++] = 'u';
			b->p[b->len++] = '0';
			b->p[b->len++] = '0';
			b->p[b->len++] = hex[c >> 4];
			b->p[b->len++] = hex[c & 0xf];
		}
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
	return 0;
}
