/*
 * docsrc: documents (the stock sheet, the rules doc, the suppliers doc) by
 * URI: a file path ("-" is stdin), s3://bucket/key (with ?versionId= for
 * replays), gsheet://ID (the first sheet exported as CSV). Remote
 * documents are streamed into an unlinked temporary file, so a program
 * reads every source the same way and memory stays flat.
 *
 * Ownership: docsrc_open returns a FILE * the caller fcloses.
 */
#ifndef IR_DOCSRC_H
#define IR_DOCSRC_H

#include <stdio.h>

struct docsrc_info {
	char	 version[256];	/* S3 version id, Drive modifiedTime, "" */
	char	 etag[128];	/* S3 ETag without quotes, "" */
	int	 unchanged;	/* gsheet: not modified since the last sync */
};

/*
 * Opens uri for reading. NULL with err for people; *status gets the exit
 * status to use (66 missing, 69 service down, 75 retry later, 77 denied).
 */
FILE	*docsrc_open(const char *uri, struct docsrc_info *, int *status,
	    char *err, size_t errsz);
/*
 * After the document was used (its records written): a gsheet:// source
 * records its modifiedTime so the next sync exports only if it changed.
 * No-op for others. 0, or an exit status with err.
 */
int	 docsrc_commit(const char *uri, const struct docsrc_info *, char *err,
	    size_t errsz);
/* Opens a doc that must be read every time (a rules or suppliers doc in
 * a Google Sheet): never "unchanged". */
FILE	*docsrc_open_always(const char *uri, struct docsrc_info *, int *status,
	    char *err, size_t errsz);
/* 1 if uri names a remote document (s3://, gsheet://). */
int	 docsrc_remote(const char *uri);
/*
 * Copies fp (from its start) to dest (a path or s3://) only if the content
 * differs from what is there. 1 written, 0 unchanged, -1 error (err).
 */
int	 docsrc_mirror(FILE *fp, const char *dest, int *status, char *err,
	    size_t errsz);
/* Lists the versions of s3://bucket/key, newest first: fn per version. */
int	 docsrc_versions(const char *uri,
	    int (*fn)(void *ctx, const char *version_id, const char *modified,
	    int latest), void *ctx, int *status, char *err, size_t errsz);

#endif
