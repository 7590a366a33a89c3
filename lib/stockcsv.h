/*
 * stockcsv: the stock sheet as the bytes of a file, for ir-flush. It
 * finds the item_id (or sku) and on_hand columns in the header (named as
 * rules.md says: case, spaces, dashes and underscores do not matter),
 * hands each data row's item_id and on_hand to a callback, and copies the
 * file to out with the on_hand cells the callback replaces: every other
 * byte (quotes, line ends, a BOM, columns it does not know) is copied
 * unchanged, so the owner's sheet stays the owner's.
 *
 * Rows are records as RFC 4180 reads them (a quoted field may hold commas,
 * quotes and line breaks; CRLF, LF or a lone CR ends a record). A
 * record's number counts every record from 1, blank ones too, which is
 * the row number of a Google Sheet exported as CSV. The header is the
 * first record with a non-empty field. Streaming: memory is one record,
 * at most CSVIN_MAX_ROW bytes. A malformed file (a quote left open, a
 * record longer than that) is an error, and then out holds a partial copy
 * that the caller throws away.
 *
 * Ownership: stockcsv borrows in and out; the strings in a struct
 * stockcsv_row are valid during the callback only.
 */
#ifndef IR_STOCKCSV_H
#define IR_STOCKCSV_H

#include <stddef.h>
#include <stdio.h>

struct stockcsv_row {
	unsigned long	 row;		/* record number, from 1 */
	unsigned long	 line;		/* line the record starts on */
	const char	*item_id;	/* unquoted, blanks trimmed */
	const char	*on_hand;	/* unquoted, blanks trimmed */
};

struct stockcsv_info {
	int		 on_hand_col;	/* 0-based, -1 until the header */
	int		 item_col;
	unsigned long	 header_row;
	unsigned long	 rows;		/* records read, header included */
};

/*
 * Reads the sheet in from its current position; writes the copy to out
 * unless out is NULL (a scan only). fn is called for each data row; it
 * returns 1 with a replacement for on_hand in repl (NUL-terminated, at
 * most replsz bytes, written as it is: keep it to digits and '-'), 0 to
 * keep the row as it is, or -1 to stop (stockcsv_rewrite then returns -1
 * and leaves err to the caller). 0 on success, -1 with err for people.
 */
int	stockcsv_rewrite(FILE *in, FILE *out,
	    int (*fn)(void *ctx, const struct stockcsv_row *r, char *repl,
	    size_t replsz), void *ctx, struct stockcsv_info *info, char *err,
	    size_t errsz);

/* The A1 column name of a 0-based column: 0 "A", 25 "Z", 26 "AA". */
void	stockcsv_col_name(int col, char *dst, size_t dstsz);

#endif
