/*
 * google: Google Drive and Sheets with a service account (protocols.md
 * section 10). The key is IR_GOOGLE_SA: the service account's JSON text,
 * or the path of the file holding it (text whose first non-space
 * character is '{' is the JSON itself). The OAuth token comes from
 * IR_GOOGLE_TOKEN_URL (default https://oauth2.googleapis.com/token); Drive
 * and Sheets from IR_GOOGLE_API_URL when it is set (both, with their
 * /drive/v3 and /v4/spreadsheets paths), else from www.googleapis.com and
 * sheets.googleapis.com. The key file's own token_uri is ignored, so a
 * key file cannot send the signed assertion elsewhere.
 *
 * Every call goes through http.c (timeouts, retries on 429/5xx, and
 * IR_HTTP_RETRIES / IR_HTTP_TIMEOUT_MS as for AWS). One token exchange per
 * process: the access token is kept in memory until 60 s before it
 * expires. The JWT's iat is the real clock, never IR_NOW: Google checks
 * it. The key, the JWT and the token never appear in an error message;
 * the service account's email (which people share their sheets with)
 * does.
 *
 * Return values: 0, or the exit status to use (sysexits.h) with a message
 * for people in err: 64 a malformed id, 65 not a Google Sheet, 66 not
 * found, 69 Google unreachable or an unexpected answer, 70 out of memory,
 * 74 the state file, 75 throttled or Google down after the retries (retry
 * later), 77 the key is missing or refused, or access denied.
 *
 * Settings come from config_global(); arguments are borrowed.
 */
#ifndef IR_GOOGLE_H
#define IR_GOOGLE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "docsrc.h"

#define GOOGLE_STATE_DEFAULT	"var/google-state.json"
#define GOOGLE_TIME_LEN		64	/* an RFC 3339 modifiedTime + NUL */

/* An OAuth access token for the service account, into dst. */
int	google_token(char *dst, size_t dstsz, char *err, size_t errsz);

/* Drive files.get: the file's modifiedTime (RFC 3339) into dst. */
int	google_modified_time(const char *file_id, char *dst, size_t dstsz,
	    char *err, size_t errsz);

/*
 * Drive files.export as text/csv (the first sheet only; Google caps it at
 * 10 MB) into sink, which must be a seekable file: http.c truncates it
 * before each attempt. On success sink is flushed and left at its end; on
 * failure it is left empty.
 */
int	google_export_csv(const char *file_id, FILE *sink, char *err,
	    size_t errsz);

/*
 * Sheets values.batchUpdate: writes the n strings of values as one row
 * starting at range_a1 ("Stock!F2", "Stock!F2:H2"). valueInputOption is
 * RAW, so nothing is parsed: "=1+1", "+1" and "007" stay text. A NULL in
 * values leaves that cell as it is; "" empties it.
 */
int	google_sheet_write(const char *sheet_id, const char *range_a1,
	    const char *const *values, size_t n, char *err, size_t errsz);

/*
 * The docsrc hook for gsheet://ID (id is the part after "gsheet://").
 * Compares the sheet's modifiedTime with the one saved for id in
 * IR_GOOGLE_STATE (default GOOGLE_STATE_DEFAULT) and:
 * - unchanged: returns NULL with *status 0 and info->unchanged 1 (nothing
 *   to do; err says so, for a log line);
 * - changed or never synced: exports the first sheet as CSV into an
 *   unlinked temporary file and returns it rewound, with *status 0,
 *   info->unchanged 0 and info->version the modifiedTime. The caller
 *   fcloses it, and once it has used the export (ir-sync: the records
 *   are out) calls google_docsrc_commit to save the modifiedTime;
 * - failure: NULL with *status the exit status (see above) and err.
 * modifiedTime is read before the export, so an edit made during the
 * export is exported again next time, never missed. info may be NULL.
 */
FILE	*google_docsrc_open(const char *id, struct docsrc_info *info,
	    int *status, char *err, size_t errsz);
/*
 * The same without the state file: always exports, never records. For a
 * document that is needed on every run (the rules or suppliers doc).
 */
FILE	*google_docsrc_fetch(const char *id, struct docsrc_info *info,
	    int *status, char *err, size_t errsz);
/* Records that the export of id at modified (info->version) was used:
 * the next google_docsrc_open finds it unchanged. 0 or an exit status. */
int	google_docsrc_commit(const char *id, const char *modified, char *err,
	    size_t errsz);

/*
 * The building blocks, exported for the unit tests.
 *
 * google_b64url appends base64url of p (RFC 4648 section 5, no padding);
 * 0 or -1 (out of memory).
 */
int	google_b64url(struct buf *, const void *p, size_t n);
/*
 * Appends the signed RS256 JWT for the service account whose key file is
 * the JSON text sa_json, with aud and iat = now, exp = now + 3600.
 */
int	google_jwt(const char *sa_json, const char *aud, time_t now,
	    struct buf *jwt, char *err, size_t errsz);
/*
 * The state file: {"sheets": {"ID": {"modifiedTime": "..."}}}. A missing
 * file is an empty state. google_state_get puts the saved modifiedTime
 * for id into dst ("" when there is none); google_state_put records one,
 * replacing the file atomically (temporary file, fsync, rename) and
 * creating its directory if need be.
 */
int	google_state_get(const char *path, const char *id, char *dst,
	    size_t dstsz, char *err, size_t errsz);
int	google_state_put(const char *path, const char *id,
	    const char *modified, char *err, size_t errsz);

#endif
