/*
 * docsrc: documents by URI. See docsrc.h.
 * s3:// is here (path-style requests through aws.c); gsheet:// is
 * google.c's; a path is a path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

#include <expat.h>

#include "aws.h"
#include "buf.h"
#include "cryptoapi.h"
#include "docsrc.h"
#include "google.h"

#define MIRROR_MAX	HTTP_MAX_BODY	/* bytes put to S3 in one request */

int
docsrc_remote(const char *uri)
{
	return strncmp(uri, "s3://", 5) == 0 || strncmp(uri, "gsheet://", 9) == 0;
}

/* s3://bucket/key?versionId=V into "/bucket/key" (escaped) and V. */
static int
s3_parse(const char *uri, struct buf *path, char *version, size_t vsz,
    char *err, size_t errsz)
{
	const char *b = uri + 5, *slash, *q, *k;
	size_t klen;

	version[0] = '\0';
	if ((slash = strchr(b, '/')) == NULL || slash == b || slash[1] == '\0') {
		snprintf(err, errsz, "%s: not an S3 document (s3://BUCKET/KEY)",
		    uri);
		return -1;
	}
	q = strchr(slash, '?');
	klen = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
	if (q != NULL) {
		if (strncmp(q, "?versionId=", 11) != 0) {
			snprintf(err, errsz, "%s: the only option is ?versionId=",
			    uri);
			return -1;
		}
		snprintf(version, vsz, "%s", q + 11);
	}
	buf_addc(path, '/');
	http_escape(path, b, (size_t)(slash - b));
	/* each key segment escaped, the slashes kept */
	for (k = slash; k < slash + 1 + klen; ) {
		const char *e = memchr(k + 1, '/', (size_t)(slash + 1 + klen -
		    k - 1));

		if (e == NULL)
			e = slash + 1 + klen;
		buf_addc(path, '/');
		http_escape(path, k + 1, (size_t)(e - k - 1));
		k = e;
	}
	return 0;
}

static FILE *
s3_open(const char *uri, struct docsrc_info *info, int *status, char *err,
    size_t errsz)
{
	struct buf path = { 0 };
	struct http_resp r;
	struct aws_error e;
	char version[256];
	FILE *fp;

	if (s3_parse(uri, &path, version, sizeof(version), err, errsz) == -1) {
		*status = EX_USAGE;
		buf_free(&path);
		return NULL;
	}
	if (version[0]) {
		buf_adds(&path, "?versionId=");
		http_escape(&path, version, strlen(version));
	}
	if ((fp = tmpfile()) == NULL) {
		snprintf(err, errsz, "cannot make a temporary file: %s",
		    strerror(errno));
		*status = EX_CANTCREAT;
		buf_free(&path);
		return NULL;
	}
	if (aws_request(&aws_s3, "GET", path.p, NULL, NULL, 0, fp, &r,
	    &e) == -1 || r.status != 200) {
		snprintf(err, errsz, "%s: %s%s%s", uri, e.status == 404 ?
		    "no such document" : e.message, e.code[0] ? " " : "",
		    e.code[0] && e.status != 404 ? e.code : "");
		*status = aws_exit_status(&e);
		http_resp_free(&r);
		buf_free(&path);
		fclose(fp);
		return NULL;
	}
	if (info != NULL) {
		char etag[130];

		memset(info, 0, sizeof(*info));
		if (http_header(&r, "ETag", etag, sizeof(etag)) == 0) {
			size_t n = strlen(etag);

			if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
				snprintf(info->etag, sizeof(info->etag),
				    "%.*s", (int)n - 2, etag + 1);
			else
				snprintf(info->etag, sizeof(info->etag), "%s",
				    etag);
		}
		http_header(&r, "x-amz-version-id", info->version,
		    sizeof(info->version));
	}
	http_resp_free(&r);
	buf_free(&path);
	fflush(fp);
	rewind(fp);
	*status = 0;
	return fp;
}

FILE *
docsrc_open(const char *uri, struct docsrc_info *info, int *status,
    char *err, size_t errsz)
{
	FILE *fp;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (strncmp(uri, "s3://", 5) == 0)
		return s3_open(uri, info, status, err, errsz);
	if (strncmp(uri, "gsheet://", 9) == 0)
		return google_docsrc_open(uri + 9, info, status, err, errsz);
	if (strcmp(uri, "-") == 0) {
		*status = 0;
		return stdin;
	}
	if ((fp = fopen(uri, "r")) == NULL) {
		snprintf(err, errsz, "%s: cannot open: %s", uri,
		    strerror(errno));
		*status = errno == EACCES ? EX_NOPERM : EX_NOINPUT;
		return NULL;
	}
	*status = 0;
	return fp;
}

int
docsrc_commit(const char *uri, const struct docsrc_info *info, char *err,
    size_t errsz)
{
	if (strncmp(uri, "gsheet://", 9) != 0 || info == NULL)
		return 0;
	return google_docsrc_commit(uri + 9, info->version, err, errsz);
}

FILE *
docsrc_open_always(const char *uri, struct docsrc_info *info, int *status,
    char *err, size_t errsz)
{
	if (strncmp(uri, "gsheet://", 9) == 0) {
		if (info != NULL)
			memset(info, 0, sizeof(*info));
		return google_docsrc_fetch(uri + 9, info, status, err, errsz);
	}
	return docsrc_open(uri, info, status, err, errsz);
}

/* Reads fp from its start into b (bounded). */
static int
slurp(FILE *fp, struct buf *b, char *err, size_t errsz)
{
	char chunk[65536];
	size_t n;

	rewind(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b->len + n > (size_t)MIRROR_MAX) {
			snprintf(err, errsz, "the document is larger than %ld "
			    "bytes, too large to mirror", (long)MIRROR_MAX);
			return -1;
		}
		if (buf_add(b, chunk, n) == -1) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "read error: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* S3: HEAD the key; PUT only when the ETag is not the content's MD5. */
static int
s3_mirror(FILE *fp, const char *dest, int *status, char *err, size_t errsz)
{
	const struct cryptoapi *crypto;
	struct buf path = { 0 }, body = { 0 };
	struct http_resp r;
	struct aws_error e;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char version[8], hex[2 * 16 + 1], etag[130], md5hdr[80];
	char b64[32], why[256];
	const char *hdr[3];
	int i, rc = -1;

	if (s3_parse(dest, &path, version, sizeof(version), err, errsz) == -1 ||
	    version[0]) {
		if (version[0])
			snprintf(err, errsz, "%s: a mirror cannot name a version",
			    dest);
		*status = EX_USAGE;
		goto out;
	}
	if (slurp(fp, &body, err, errsz) == -1) {
		*status = EX_IOERR;
		goto out;
	}
	if ((crypto = cryptoapi_get(why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "%s: %s", dest, why);
		*status = EX_UNAVAILABLE;
		goto out;
	}
	/* MD5 here is S3's content check (ETag, Content-MD5), not security */
	if (crypto->evp_digest(body.p ? body.p : "", body.len, md, &mdlen,
	    crypto->evp_md5(), NULL) != 1 || mdlen != 16) {
		snprintf(err, errsz, "cannot compute MD5");
		*status = EX_SOFTWARE;
		goto out;
	}
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (aws_request(&aws_s3, "HEAD", path.p, NULL, NULL, 0, NULL, &r,
	    &e) == -1) {
		snprintf(err, errsz, "%s: %s", dest, e.message);
		*status = aws_exit_status(&e);
		http_resp_free(&r);
		goto out;
	}
	if (r.status == 200 && http_header(&r, "ETag", etag,
	    sizeof(etag)) == 0 && strstr(etag, hex) != NULL) {
		http_resp_free(&r);
		*status = 0;
		rc = 0;
		goto out;
	}
	http_resp_free(&r);
	crypto->evp_encode_block((unsigned char *)b64, md, 16);
	snprintf(md5hdr, sizeof(md5hdr), "Content-MD5: %s", b64);
	hdr[0] = md5hdr;
	hdr[1] = "Content-Type: text/csv";
	hdr[2] = NULL;
	if (aws_request(&aws_s3, "PUT", path.p, hdr, body.p ? body.p : "",
	    body.len, NULL, &r, &e) == -1 || r.status != 200) {
		snprintf(err, errsz, "%s: cannot write the mirror: %s", dest,
		    e.message);
		*status = aws_exit_status(&e);
		http_resp_free(&r);
		goto out;
	}
	http_resp_free(&r);
	*status = 0;
	rc = 1;
out:
	buf_free(&path);
	buf_free(&body);
	return rc;
}

/* A local mirror: temporary file, fsync, rename; only when different. */
static int
file_mirror(FILE *fp, const char *dest, int *status, char *err, size_t errsz)
{
	struct buf tmp = { 0 };
	char x[65536], y[65536];
	size_t n, m;
	FILE *out = NULL, *old;
	int fd, same = 0, rc = -1;

	rewind(fp);
	if ((old = fopen(dest, "r")) != NULL) {
		same = 1;
		do {
			n = fread(x, 1, sizeof(x), fp);
			m = fread(y, 1, sizeof(y), old);
			if (n != m || memcmp(x, y, n) != 0)
				same = 0;
		} while (same && n > 0);
		fclose(old);
		if (same) {
			*status = 0;
			return 0;
		}
		rewind(fp);
	}
	buf_addf(&tmp, "%s.tmp.XXXXXX", dest);
	if ((fd = mkstemp(tmp.p)) == -1 || (out = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsz, "%s: cannot create the mirror: %s", dest,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		*status = EX_CANTCREAT;
		goto out;
	}
	while ((n = fread(x, 1, sizeof(x), fp)) > 0)
		if (fwrite(x, 1, n, out) != n)
			break;
	if (ferror(fp) || fflush(out) == EOF || fsync(fd) == -1 ||
	    fchmod(fd, 0644) == -1 || rename(tmp.p, dest) == -1) {
		snprintf(err, errsz, "%s: cannot write the mirror: %s", dest,
		    strerror(errno));
		unlink(tmp.p);
		*status = EX_IOERR;
		goto out;
	}
	*status = 0;
	rc = 1;
out:
	if (out != NULL)
		fclose(out);
	buf_free(&tmp);
	return rc;
}

int
docsrc_mirror(FILE *fp, const char *dest, int *status, char *err,
    size_t errsz)
{
	int rc;

	if (strncmp(dest, "s3://", 5) == 0)
		rc = s3_mirror(fp, dest, status, err, errsz);
	else if (strncmp(dest, "gsheet://", 9) == 0) {
		snprintf(err, errsz, "%s: a Google Sheet cannot be a mirror",
		    dest);
		*status = EX_USAGE;
		rc = -1;
	} else
		rc = file_mirror(fp, dest, status, err, errsz);
	rewind(fp);
	return rc;
}

/* ListObjectVersions, read with expat. */
struct versions {
	const char	*key;
	struct buf	 text;
	char		 k[1024], id[256], modified[64];
	int		 latest, in_version;
	int		(*fn)(void *, const char *, const char *, int);
	void		*ctx;
	int		 stop;
};

static void XMLCALL
v_start(void *ud, const XML_Char *name, const XML_Char **attr)
{
	struct versions *v = ud;

	buf_reset(&v->text);
	if (strcmp(name, "Version") == 0) {
		v->in_version = 1;
		v->k[0] = v->id[0] = v->modified[0] = '\0';
		v->latest = 0;
	}
}

static void XMLCALL
v_end(void *ud, const XML_Char *name)
{
	struct versions *v = ud;
	const char *t = v->text.p ? v->text.p : "";

	if (!v->in_version)
		return;
	if (strcmp(name, "Key") == 0)
		snprintf(v->k, sizeof(v->k), "%s", t);
	else if (strcmp(name, "VersionId") == 0)
		snprintf(v->id, sizeof(v->id), "%s", t);
	else if (strcmp(name, "LastModified") == 0)
		snprintf(v->modified, sizeof(v->modified), "%s", t);
	else if (strcmp(name, "IsLatest") == 0)
		v->latest = strcmp(t, "true") == 0;
	else if (strcmp(name, "Version") == 0) {
		v->in_version = 0;
		if (!v->stop && strcmp(v->k, v->key) == 0)
			v->stop = v->fn(v->ctx, v->id, v->modified, v->latest);
	}
	buf_reset(&v->text);
}

static void XMLCALL
v_text(void *ud, const XML_Char *s, int len)
{
	struct versions *v = ud;

	if (v->text.len < 4096)
		buf_add(&v->text, s, (size_t)len);
}

int
docsrc_versions(const char *uri, int (*fn)(void *, const char *,
    const char *, int), void *ctx, int *status, char *err, size_t errsz)
{
	struct buf path = { 0 }, bucket = { 0 };
	struct versions v;
	struct http_resp r;
	struct aws_error e;
	XML_Parser xp;
	const char *slash;
	char version[8];
	int rc = -1;

	memset(&v, 0, sizeof(v));
	if (strncmp(uri, "s3://", 5) != 0 || s3_parse(uri, &path, version,
	    sizeof(version), err, errsz) == -1) {
		if (strncmp(uri, "s3://", 5) != 0)
			snprintf(err, errsz, "%s: versions exist only for S3 "
			    "documents", uri);
		*status = EX_USAGE;
		buf_free(&path);
		return -1;
	}
	slash = strchr(uri + 5, '/');
	v.key = slash + 1;
	buf_addc(&bucket, '/');
	http_escape(&bucket, uri + 5, (size_t)(slash - uri - 5));
	/*
	 * Already in canonical form (sorted, every key with "="): libcurl
	 * 7.88 signs the query string as given.
	 */
	buf_adds(&bucket, "?prefix=");
	http_escape(&bucket, v.key, strlen(v.key));
	buf_adds(&bucket, "&versions=");
	if (aws_request(&aws_s3, "GET", bucket.p, NULL, NULL, 0, NULL, &r,
	    &e) == -1 || r.status != 200) {
		snprintf(err, errsz, "%s: cannot list versions: %s", uri,
		    e.message);
		*status = aws_exit_status(&e);
		goto out;
	}
	v.fn = fn;
	v.ctx = ctx;
	if ((xp = XML_ParserCreate(NULL)) == NULL) {
		snprintf(err, errsz, "out of memory");
		*status = EX_OSERR;
		goto out;
	}
	XML_SetUserData(xp, &v);
	XML_SetElementHandler(xp, v_start, v_end);
	XML_SetCharacterDataHandler(xp, v_text);
	if (XML_Parse(xp, r.body.p ? r.body.p : "", (int)r.body.len, 1) ==
	    XML_STATUS_ERROR) {
		snprintf(err, errsz, "%s: the version list is not XML: %s", uri,
		    XML_ErrorString(XML_GetErrorCode(xp)));
		*status = EX_UNAVAILABLE;
	} else {
		*status = 0;
		rc = 0;
	}
	XML_ParserFree(xp);
out:
	http_resp_free(&r);
	buf_free(&v.text);
	buf_free(&path);
	buf_free(&bucket);
	return rc;
}
