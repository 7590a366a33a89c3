/*
 * ndjson: the per-record path. A bounded line reader and a one-pass
 * validating scanner that records where each top-level member of a JSON
 * object is, without building a tree (design.md section 9), plus the
 * writer that emits a new record by copying members of the one that came in
 * and adding fields.
 *
 * Ownership: the reader owns the line buffer; a line and any struct rec made
 * from it are valid until the next ndjson_next() call.
 */
#ifndef IR_NDJSON_H
#define IR_NDJSON_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#define NDJSON_MAX_LINE		(1024 * 1024)	/* bytes in one record */
#define NDJSON_MAX_DEPTH	32		/* nesting inside a record */
#define NDJSON_MAX_FIELDS	256		/* top-level members */

enum { NDJSON_EOF = 0, NDJSON_OK = 1, NDJSON_TOOLONG = 2, NDJSON_IOERR = -1 };

struct ndjson_reader;

/* Borrows fp; max_line 0 means NDJSON_MAX_LINE. NULL on ENOMEM. */
struct ndjson_reader *ndjson_open(FILE *fp, size_t max_line);
/*
 * The next non-blank line, without its newline. NDJSON_TOOLONG: the line
 * was longer than max_line and was skipped (lineno names it).
 */
int	ndjson_next(struct ndjson_reader *, const char **line, size_t *len,
	    unsigned long *lineno);
void	ndjson_close(struct ndjson_reader *);

enum rec_kind { REC_STRING, REC_NUMBER, REC_OBJECT, REC_ARRAY, REC_TRUE,
	REC_FALSE, REC_NULL };

struct rec_field {
	const char	*key;	/* raw bytes between the quotes */
	size_t		 klen;
	const char	*val;	/* raw JSON text of the value (strings quoted) */
	size_t		 vlen;
	int		 kind;	/* enum rec_kind */
	int		 escaped; /* the string value contains backslashes */
	int		 kesc;	/* the key contains backslashes */
};

struct rec {
	const char	*line;
	size_t		 len;
	int		 nfields;
	struct rec_field f[NDJSON_MAX_FIELDS];
	char		 err[128];
};

/*
 * Scans one line: it must be a JSON object, valid UTF-8, nesting at most
 * NDJSON_MAX_DEPTH, no duplicate top-level key. Returns 0, or -1 with a
 * message for people in r->err. r borrows line.
 */
int	rec_parse(struct rec *r, const char *line, size_t len);
const struct rec_field *rec_get(const struct rec *, const char *key);
/* 1 when the record's "type" equals type. */
int	rec_is(const struct rec *, const char *type);
/*
 * The decoded string value of key into dst (NUL-terminated). Returns its
 * length; -1 missing or null; -2 not a string; -3 longer than dstsz - 1.
 */
int	rec_str(const struct rec *, const char *key, char *dst, size_t dstsz);
/* Whole number (a JSON integer, or a string holding one). 0, -1 missing
 * or null, -2 not a whole number. */
int	rec_int(const struct rec *, const char *key, long long *out);
/* Decimal, scaled by DEC_SCALE; same returns as rec_int. */
int	rec_dec(const struct rec *, const char *key, int64_t *out);

/* A key to look up with rec_get_many: REC_KEY("item_id"). */
struct rec_key {
	const char	*name;	/* NUL-terminated */
	size_t		 len;
	int		 hint;	/* rec_get_many's: where it was last */
};
#define REC_KEY(s)	{ (s), sizeof(s) - 1, 0 }

/*
 * Looks up n distinct keys in one pass over the members, for a caller
 * that needs several: out[i] is the member named keys[i] (borrowed from
 * r), or NULL. Keeps in each key where it was found, and looks there first
 * next time (the records of one stream usually share their layout).
 */
void	rec_get_many(const struct rec *, struct rec_key *keys, size_t n,
	    const struct rec_field **out);
/*
 * rec_is, rec_str, rec_int and rec_dec on a member found already (f may
 * be NULL: missing), with the same returns.
 */
int	rec_field_is(const struct rec_field *f, const char *s);
int	rec_field_str(const struct rec_field *f, char *dst, size_t dstsz);
int	rec_field_int(const struct rec_field *f, long long *out);
int	rec_field_dec(const struct rec_field *f, int64_t *out);

/* The writer: recw_begin, then fields, then recw_end. */
int	recw_begin(struct buf *, const char *type);
/* Copies every member of r except "type" and the NULL-terminated skip. */
int	recw_copy(struct buf *, const struct rec *r, const char *const *skip);
int	recw_str(struct buf *, const char *key, const char *val);
int	recw_strn(struct buf *, const char *key, const char *val, size_t n);
int	recw_int(struct buf *, const char *key, long long v);
int	recw_dec(struct buf *, const char *key, int64_t v);
int	recw_raw(struct buf *, const char *key, const char *json, size_t n);
int	recw_null(struct buf *, const char *key);
int	recw_end(struct buf *);
/*
 * The same for a key written as a literal that needs no escaping, on the
 * per-record path: RECW_K("on_hand") passes ,"on_hand": and its length,
 * made by the compiler, so nothing is measured or checked per record.
 */
/* Writes ,"key": alone (escaped as needed), to be used with recw_k*. */
int	recw_key(struct buf *, const char *key);
#define RECW_K(k)	",\"" k "\":", (sizeof(",\"" k "\":") - 1)
int	recw_kstrn(struct buf *, const char *kq, size_t kn, const char *val,
	    size_t n);
int	recw_kint(struct buf *, const char *kq, size_t kn, long long v);
int	recw_kdec(struct buf *, const char *kq, size_t kn, int64_t v);
int	recw_knull(struct buf *, const char *kq, size_t kn);

#endif
