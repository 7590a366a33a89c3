/*
 * csvparse: the ceiling for a libcsv reader (bench). Parses a CSV file
 * with libcsv and empty callbacks (they only count), in 64 kB reads, and
 * prints "rows fields". The same options as lib/csvin.c (lenient mode).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>

struct counts {
	unsigned long	 rows, fields;
};

static void
on_field(void *s, size_t n, void *data)
{
	struct counts *c = data;

	c->fields++;
}

static void
on_row(int term, void *data)
{
	struct counts *c = data;

	c->rows++;
}

int
main(int argc, char *argv[])
{
	static char chunk[65536];
	struct csv_parser p;
	struct counts c = { 0, 0 };
	FILE *fp;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: csvparse file.csv\n");
		return 64;
	}
	if ((fp = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "csvparse: %s: %s\n", argv[1], strerror(errno));
		return 66;
	}
	if (csv_init(&p, 0) != 0)
		return 70;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (csv_parse(&p, chunk, n, on_field, on_row, &c) != n) {
			fprintf(stderr, "csvparse: %s\n",
			    csv_strerror(csv_error(&p)));
			return 65;
		}
	csv_fini(&p, on_field, on_row, &c);
	csv_free(&p);
	if (ferror(fp)) {
		fprintf(stderr, "csvparse: %s: read error\n", argv[1]);
		return 74;
	}
	fclose(fp);
	printf("%lu %lu\n", c.rows, c.fields);
	return 0;
}
