/*
 * jsonscan: the ceiling for ir-check's record reader (bench). Reads NDJSON
 * with lib/ndjson's line reader and scanner (ndjson_next, rec_parse) and
 * does nothing else; prints "records bad".
 */
#include <stdio.h>

#include "ndjson.h"

int
main(void)
{
	static struct rec r;
	struct ndjson_reader *rd;
	const char *line;
	size_t len;
	unsigned long lineno, n = 0, bad = 0;
	int got;

	if ((rd = ndjson_open(stdin, 0)) == NULL)
		return 70;
	while ((got = ndjson_next(rd, &line, &len, &lineno)) != NDJSON_EOF) {
		if (got != NDJSON_OK || rec_parse(&r, line, len) == -1)
			bad++;
		n++;
	}
	ndjson_close(rd);
	printf("%lu %lu\n", n, bad);
	return 0;
}
