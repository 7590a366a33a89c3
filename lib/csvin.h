/*
 * csvin: a streaming CSV reader on libcsv that hands out one row at a time
 * with the line it started on, for messages like "stock.csv:12: ...".
 *
 * Handles quoted fields with commas, quotes and newlines, CRLF (and a lone
 * CR), a UTF-8 BOM and blank lines; a row whose fields are all empty
 * (",,,", as spreadsheets export) is skipped like a blank line. Surrounding
 * blanks of unquoted fields are dropped (libcsv). Bounded: a field longer
 * than CSVIN_MAX_FIELD or a row longer than CSVIN_MAX_ROW bytes is rejected
 * (CSVIN_BAD) and reading resumes at the next line; an unterminated quote
 * is reported with the line it opened on and the lines it swallowed are
 * read again as rows of one line each (so is a row that spans lines and
 * outgrows the limit). Invalid UTF-8 or a NUL byte in a field rejects the
 * row. Memory is bounded by the limits, not by the file; time is linear.
 *
 * Ownership: csvin borrows fp. A row's fields are valid until the next
 * csvin_next() call.
 */
#ifndef IR_CSVIN_H
#define IR_CSVIN_H

#include <stddef.h>
#include <stdio.h>

#define CSVIN_MAX_FIELD		(64 * 1024)
#define CSVIN_MAX_ROW		(256 * 1024)
#define CSVIN_MAX_FIELDS	512

enum { CSVIN_EOF = 0, CSVIN_ROW = 1, CSVIN_BAD = 2, CSVIN_IOERR = -1 };

struct csvin_row {
	size_t		 n;		/* fields in this row */
	const char	**field;	/* NUL-terminated, until the next call */
	const size_t	*len;
	unsigned long	 line;		/* line the row starts on, from 1 */
};

struct csvin;

/* max_field/max_row of 0 take the defaults above. NULL on ENOMEM. */
struct csvin *csvin_open(FILE *fp, size_t max_field, size_t max_row);
/*
 * CSVIN_ROW: *row is filled. CSVIN_BAD: the row starting at
 * csvin_bad_line() was rejected, csvin_error() says why in words for people.
 * CSVIN_IOERR: a read error or out of memory (errno set, csvin_error() says
 * which); stop reading.
 */
int	 csvin_next(struct csvin *, struct csvin_row *row);
const char *csvin_error(const struct csvin *);
unsigned long csvin_bad_line(const struct csvin *);
void	 csvin_close(struct csvin *);
/*
 * For tests: on 0, every line goes through libcsv, none through the fast
 * split of plain lines (the fuzz target compares the two).
 */
void	 csvin_set_fast(struct csvin *, int on);

/* Column names match case-insensitively with ' ', '-', '_' equivalent:
 * writes the normal form ("lead time" -> "lead_time") into dst. Surrounding
 * blanks are trimmed and a run of separators is one '_'. A name too long
 * for dstsz gives "", which matches no column. */
void	 csvin_normalize(const char *name, char *dst, size_t dstsz);

/* 1 when s (n bytes) is valid UTF-8. */
int	 utf8_valid(const char *s, size_t n);

#endif
