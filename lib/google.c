/*
 * google: service account tokens, Drive files.get and files.export, Sheets
 * values.batchUpdate, and the gsheet:// document hook. See google.h.
 *
 * Secrets handled here: the private key (in the parsed key file), the JWT
 * (a bearer credential for an hour) and the access token. They live in
 * buffers that are wiped before they are freed, and no error message is
 * built from them: messages name the service account's email, the sheet
 * id, the host and the HTTP status, and quote Google's own error text.
 *
 * libcrypto (the RS256 signature, the wiping) is loaded before the key is
 * read (cryptoapi.h); when it cannot be, that is status 69 and no secret
 * has been read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "errmsg.h"
#include "buf.h"
#include "config.h"
#include "cryptoapi.h"
#include "docsrc.h"
#include "google.h"
#include "http.h"

#define TOKEN_URL	"https://oauth2.googleapis.com/token"
#define DRIVE_URL	"https://www.googleapis.com"
#define SHEETS_URL	"https://sheets.googleapis.com"
#define SCOPES		"https://www.googleapis.com/auth/drive.readonly " \
			"https://www.googleapis.com/auth/spreadsheets"
#define GRANT		"urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
#define SHEET_MIME	"application/vnd.google-apps.spreadsheet"
#define JWT_LIFETIME	3600	/* seconds; Google allows no more */
#define TOKEN_MARGIN	60	/* stop using a token this long before expiry */
#define SA_MAX		(64 * 1024)	/* bytes of key file */
#define STATE_MAX	(4 * 1024 * 1024)	/* bytes of state file */
#define ID_MAX		128
#define GMSG_MAX	160	/* bytes of Google's error text we quote */

/*
 * The process's access token. Google's tokens are at most 2048 bytes.
 * expires is on the monotonic clock, so a clock change cannot keep a dead
 * token alive. email is the service account's, for messages.
 */
static struct {
	char	 tok[4096];
	time_t	 expires;
	int	 valid;
	char	 email[256];
} cache;

static const struct cryptoapi *crypto;	/* NULL until a key is read */

/*
 * Loads libcrypto before a key is read: 0, or EX_UNAVAILABLE with err
 * naming the library.
 */
static int
crypto_load(char *err, size_t errsz)
{
	if (crypto == NULL && (crypto = cryptoapi_get(err, errsz)) == NULL)
		return EX_UNAVAILABLE;
	return 0;
}

/*
 * Wipes n bytes that held a secret. Every secret here is read after
 * crypto_load succeeded; should one not be, the bytes are still wiped.
 */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	if (crypto != NULL)
		crypto->openssl_cleanse(p, n);
	else
		while (n-- > 0)
			*v++ = 0;
}

/* Wipes a buffer that held a secret, then frees it. */
static void
wipe_buf(struct buf *b)
{
	if (b->p != NULL)
		wipe(b->p, b->cap);
	buf_free(b);
}

/* A setting from the process config, or def. */
static const char *
setting(const char *key, const char *def)
{
	const char *v = config_get(config_global(), key);

	return v != NULL ? v : def;
}

/*
 * The transport settings every request shares with aws.c: IR_HTTP_RETRIES
 * (0 to 20; anything else means http.c's default) and IR_HTTP_TIMEOUT_MS.
 */
static void
http_settings(struct http_req *q)
{
	const char *v;
	char *end;
	long n;

	q->retries = -1;
	if ((v = setting("IR_HTTP_RETRIES", NULL)) != NULL) {
		n = strtol(v, &end, 10);
		if (end != v && *end == '\0' && n >= 0 && n <= 20)
			q->retries = (int)n;
	}
	if ((v = setting("IR_HTTP_TIMEOUT_MS", NULL)) != NULL) {
		n = strtol(v, &end, 10);
		if (end != v && *end == '\0' && n > 0)
			q->timeout_ms = n;
	}
}

/* Seconds on the monotonic clock. */
static time_t
mono_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return time(NULL);
	return ts.tv_sec;
}

/*
 * The host[:port] of url into dst, without scheme, userinfo or path: what
 * a message may say about an endpoint.
 */
static void
url_host(const char *url, char *dst, size_t dstsz)
{
	const char *p, *e, *at;
	size_t n;

	p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	for (at = p; at < e; at++)
		if (*at == '@')
			p = at + 1;
	n = (size_t)(e - p);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* 1 if id looks like a Drive file id: letters, digits, '-' and '_'. */
static int
valid_id(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' &&
		    id[i] != '_')
			return 0;
	return i > 0 && i <= ID_MAX;
}

/* Checks id, with the message a user can act on. */
static int
check_id(const char *id, char *err, size_t errsz)
{
	if (id != NULL && valid_id(id))
		return 0;
	errmsg_set(err, errsz, "gsheet://%.*s: not a Google Sheets id (the "
	    "letters, digits, '-' and '_' between /d/ and /edit in the "
	    "sheet's address)", 64, id != NULL ? id : "");
	return EX_USAGE;
}

int
google_b64url(struct buf *b, const void *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = p;
	size_t i;
	char out[4];
	unsigned long v;

	if (buf_grow(b, (n + 2) / 3 * 4) == -1)
		return -1;
	b->p[b->len] = '\0';	/* buf_grow leaves a new buffer unterminated */
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 |
		    s[i + 2];
		out[0] = tab[v >> 18 & 63];
		out[1] = tab[v >> 12 & 63];
		out[2] = tab[v >> 6 & 63];
		out[3] = tab[v & 63];
		if (buf_add(b, out, 4) == -1)
			return -1;
	}
	if (n - i == 1) {
		v = (unsigned long)s[i] << 16;
		out[0] = tab[v >> 18 & 63];
		out[1] = tab[v >> 12 & 63];
		return buf_add(b, out, 2);
	}
	if (n - i == 2) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8;
		out[0] = tab[v >> 18 & 63];
		out[1] = tab[v >> 12 & 63];
		out[2] = tab[v >> 6 & 63];
		return buf_add(b, out, 3);
	}
	return 0;
}

/* Appends base64url of the compact JSON of v (borrowed). */
static int
b64url_json(struct buf *b, const json_t *v)
{
	char *s;
	int r;

	if ((s = json_dumps(v, JSON_COMPACT)) == NULL)
		return -1;
	r = google_b64url(b, s, strlen(s));
	free(s);
	return r;
}

/* Never prompts for a passphrase: an encrypted key is refused. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

/*
 * Signs the n bytes at msg with the PEM private key (RSASSA-PKCS1-v1_5,
 * SHA-256) and appends the signature in base64url to out. msg may point
 * into out: it is read before anything is appended. Every OpenSSL object
 * is freed and the error queue cleared, whatever happens. libcrypto is
 * loaded (crypto_load).
 */
static int
rs256(const char *pem, const char *msg, size_t n, struct buf *out,
    char *err, size_t errsz)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	BIO *bio;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = EX_NOPERM;

	if ((bio = crypto->bio_new_mem_buf(pem, -1)) == NULL) {
		errmsg_set(err, errsz, "out of memory");
		return EX_SOFTWARE;
	}
	key = crypto->pem_read_bio_private_key(bio, NULL, no_passphrase,
	    NULL);
	crypto->bio_free(bio);
	if (key == NULL) {
		errmsg_set(err, errsz, "the private_key in IR_GOOGLE_SA is not an "
		    "unencrypted PEM private key");
		goto out;
	}
	if (crypto->evp_pkey_get_base_id(key) != EVP_PKEY_RSA) {
		errmsg_set(err, errsz, "the private_key in IR_GOOGLE_SA is not an "
		    "RSA key (RS256 needs one)");
		goto out;
	}
	r = EX_SOFTWARE;
	if ((md = crypto->evp_md_ctx_new()) == NULL ||
	    crypto->evp_digest_sign_init(md, NULL, crypto->evp_sha256(), NULL,
	    key) != 1 ||
	    crypto->evp_digest_sign(md, NULL, &siglen,
	    (const unsigned char *)msg, n) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    crypto->evp_digest_sign(md, sig, &siglen,
	    (const unsigned char *)msg, n) != 1) {
		errmsg_set(err, errsz, "cannot sign the token request with the "
		    "key in IR_GOOGLE_SA");
		goto out;
	}
	if (google_b64url(out, sig, siglen) == -1) {
		errmsg_set(err, errsz, "out of memory");
		goto out;
	}
	r = 0;
out:
	free(sig);
	crypto->evp_md_ctx_free(md);
	crypto->evp_pkey_free(key);
	crypto->err_clear_error();
	return r;
}

/*
 * Parses a key file's JSON text. *sa is owned by the caller. The parser's
 * own message is not quoted: it may hold a piece of the key.
 */
static int
sa_parse(const char *text, size_t len, json_t **sa, char *err, size_t errsz)
{
	json_error_t je;
	json_t *v;

	*sa = NULL;
	if ((v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		errmsg_set(err, errsz, "IR_GOOGLE_SA is not valid JSON (line %d, "
		    "column %d): it should be the service account's key "
		    "file, or its path", je.line, je.column);
		return EX_NOPERM;
	}
	if (!json_is_object(v) ||
	    !json_is_string(json_object_get(v, "client_email")) ||
	    !json_is_string(json_object_get(v, "private_key"))) {
		json_decref(v);
		errmsg_set(err, errsz, "IR_GOOGLE_SA has no client_email or no "
		    "private_key: it should be the service account's JSON "
		    "key file");
		return EX_NOPERM;
	}
	*sa = v;
	return 0;
}

/*
 * Loads IR_GOOGLE_SA: the JSON itself, or a file path. *sa is owned by the
 * caller.
 */
static int
sa_load(json_t **sa, char *err, size_t errsz)
{
	const char *s = setting("IR_GOOGLE_SA", NULL), *p;
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *fp;
	int r;

	*sa = NULL;
	if (s == NULL) {
		errmsg_set(err, errsz, "IR_GOOGLE_SA is not set: set it to the "
		    "service account's JSON key, or the path of the key file");
		return EX_NOPERM;
	}
	for (p = s; isspace((unsigned char)*p); p++)
		;
	if (*p == '{')
		return sa_parse(p, strlen(p), sa, err, errsz);
	if ((fp = fopen(s, "r")) == NULL) {
		errmsg_set(err, errsz, "IR_GOOGLE_SA: cannot read the key file "
		    "%s: %s", s, strerror(errno));
		return EX_NOPERM;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > SA_MAX || buf_add(&b, chunk, n) == -1) {
			fclose(fp);
			wipe(chunk, sizeof(chunk));
			wipe_buf(&b);
			errmsg_set(err, errsz, "IR_GOOGLE_SA: %s is larger than a "
			    "key file (%d bytes)", s, SA_MAX);
			return EX_NOPERM;
		}
	}
	wipe(chunk, sizeof(chunk));
	if (ferror(fp)) {
		errmsg_set(err, errsz, "IR_GOOGLE_SA: cannot read the key file "
		    "%s", s);
		fclose(fp);
		wipe_buf(&b);
		return EX_NOPERM;
	}
	fclose(fp);
	r = sa_parse(b.p != NULL ? b.p : "", b.len, sa, err, errsz);
	wipe_buf(&b);
	return r;
}

/* Builds and signs the JWT for the parsed key file sa (borrowed). */
static int
jwt_build(const json_t *sa, const char *aud, time_t now, struct buf *jwt,
    char *err, size_t errsz)
{
	json_t *hdr, *claims;	/* owned */
	json_t *kid;		/* borrowed from sa */
	size_t start = jwt->len;
	int r;

	kid = json_object_get(sa, "private_key_id");
	hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}",
	    "iss", json_string_value(json_object_get(sa, "client_email")),
	    "scope", SCOPES, "aud", aud,
	    "iat", (json_int_t)now, "exp", (json_int_t)now + JWT_LIFETIME);
	if (hdr == NULL || claims == NULL || (json_is_string(kid) &&
	    json_object_set(hdr, "kid", kid) == -1) ||
	    b64url_json(jwt, hdr) == -1 || buf_addc(jwt, '.') == -1 ||
	    b64url_json(jwt, claims) == -1) {
		json_decref(hdr);
		json_decref(claims);
		if (jwt->p != NULL) {
			jwt->len = start;
			jwt->p[start] = '\0';
		}
		errmsg_set(err, errsz, "out of memory");
		return EX_SOFTWARE;
	}
	json_decref(hdr);
	json_decref(claims);
	/*
	 * The signature covers b64(header).b64(claims), the bytes before the
	 * second '.'; rs256 is done reading them before it appends.
	 */
	if (buf_addc(jwt, '.') == -1) {
		errmsg_set(err, errsz, "out of memory");
		r = EX_SOFTWARE;
	} else
		r = rs256(json_string_value(json_object_get(sa,
		    "private_key")), jwt->p + start, jwt->len - start - 1,
		    jwt, err, errsz);
	if (r != 0) {
		/* leave jwt as it came */
		jwt->len = start;
		jwt->p[start] = '\0';
	}
	return r;
}

int
google_jwt(const char *sa_json, const char *aud, time_t now, struct buf *jwt,
    char *err, size_t errsz)
{
	json_t *sa;
	int r;

	if ((r = crypto_load(err, errsz)) != 0 ||
	    (r = sa_parse(sa_json, strlen(sa_json), &sa, err, errsz)) != 0)
		return r;
	r = jwt_build(sa, aud, now, jwt, err, errsz);
	json_decref(sa);
	return r;
}

/* Copies printable ASCII of s (n bytes) into dst, other bytes as ' '. */
static void
printable(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i;

	if (dstsz == 0)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	for (i = 0; i < n; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : ' ';
	dst[n] = '\0';
}

/* What Google said about a failed call. */
struct gsays {
	char	 msg[GMSG_MAX + 1];	/* "" when it said nothing useful */
	char	 reason[64];		/* Drive's errors[0].reason, or "" */
};

/*
 * Reads Google's error body: {"error": {"message", "errors": [{"reason"}]}}
 * from the APIs, {"error", "error_description"} from the token endpoint.
 */
static void
gsays_read(const char *body, size_t len, struct gsays *g)
{
	json_t *v, *e, *x;	/* v owned; e, x borrowed from v */
	const char *a, *b;
	char both[2 * GMSG_MAX];

	g->msg[0] = g->reason[0] = '\0';
	if (body == NULL || len == 0 ||
	    (v = json_loadb(body, len, 0, NULL)) == NULL)
		return;
	e = json_object_get(v, "error");
	if (json_is_object(e)) {
		if ((a = json_string_value(json_object_get(e, "message"))))
			printable(g->msg, sizeof(g->msg), a, strlen(a));
		x = json_array_get(json_object_get(e, "errors"), 0);
		if ((a = json_string_value(json_object_get(x, "reason"))))
			printable(g->reason, sizeof(g->reason), a, strlen(a));
	} else if ((a = json_string_value(e)) != NULL) {
		b = json_string_value(json_object_get(v, "error_description"));
		snprintf(both, sizeof(both), "%.*s%s%.*s", GMSG_MAX / 2, a,
		    b != NULL ? ": " : "", GMSG_MAX, b != NULL ? b : "");
		printable(g->msg, sizeof(g->msg), both, strlen(both));
	}
	json_decref(v);
}

/* The answer's reason names a rate limit (Drive says so with a 403). */
static int
rate_limited(const char *reason)
{
	return strcmp(reason, "rateLimitExceeded") == 0 ||
	    strcmp(reason, "userRateLimitExceeded") == 0;
}

/* http.c retry rule: Drive's rate limits come as 403s. */
static int
retry_rate_limit(long status, const char *body, size_t len)
{
	struct gsays g;

	if (status != 403)
		return 0;
	gsays_read(body, len, &g);
	return rate_limited(g.reason);
}

/*
 * Exchanges a fresh JWT for an access token and caches it. The JWT, the
 * form holding it and the answer holding the token are wiped when done.
 */
static int
token_exchange(char *err, size_t errsz)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json",
		NULL
	};
	const char *url = setting("IR_GOOGLE_TOKEN_URL", TOKEN_URL);
	const char *email, *tok;	/* borrowed from sa, reply */
	struct http_req q = { 0 };
	struct http_resp resp = { 0 };
	struct buf form = { 0 }, jwt = { 0 };
	struct gsays g;
	json_t *sa, *reply = NULL;	/* owned */
	json_t *ttl;			/* borrowed from reply */
	json_int_t secs = JWT_LIFETIME;
	char host[128];
	int r;

	cache.valid = 0;
	url_host(url, host, sizeof(host));
	if ((r = crypto_load(err, errsz)) != 0 ||
	    (r = sa_load(&sa, err, errsz)) != 0)
		return r;
	email = json_string_value(json_object_get(sa, "client_email"));
	printable(cache.email, sizeof(cache.email), email, strlen(email));
	r = jwt_build(sa, url, time(NULL), &jwt, err, errsz);
	json_decref(sa);
	if (r != 0)
		goto out;
	if (buf_adds(&form, "grant_type=" GRANT "&assertion=") == -1 ||
	    http_escape(&form, jwt.p, jwt.len) == -1) {
		errmsg_set(err, errsz, "out of memory");
		r = EX_SOFTWARE;
		goto out;
	}
	q.method = "POST";
	q.url = url;
	q.headers = hdrs;
	q.body = form.p;
	q.body_len = form.len;
	http_settings(&q);
	if (http_do(&q, &resp) == -1) {
		errmsg_set(err, errsz, "cannot reach the Google token endpoint "
		    "%s: %s", host, resp.err);
		r = EX_UNAVAILABLE;
		goto out;
	}
	if (resp.status < 200 || resp.status >= 300) {
		gsays_read(resp.body.p, resp.body.len, &g);
		if (resp.status == 429 || resp.status >= 500) {
			errmsg_set(err, errsz, "the Google token endpoint %s "
			    "answered HTTP %ld (%d attempts): retry later",
			    host, resp.status, resp.attempts);
			r = EX_TEMPFAIL;
		} else if (resp.status >= 400 && resp.status < 500) {
			errmsg_set(err, errsz, "Google refused the key of the "
			    "service account %s (HTTP %ld%s%s): check that "
			    "IR_GOOGLE_SA holds a current key of that account",
			    cache.email, resp.status, g.msg[0] ? ": " : "",
			    g.msg);
			r = EX_NOPERM;
		} else {
			errmsg_set(err, errsz, "the Google token endpoint %s "
			    "answered HTTP %ld", host, resp.status);
			r = EX_UNAVAILABLE;
		}
		goto out;
	}
	reply = json_loadb(resp.body.p != NULL ? resp.body.p : "",
	    resp.body.len, 0, NULL);
	tok = json_string_value(json_object_get(reply, "access_token"));
	ttl = json_object_get(reply, "expires_in");
	if (json_is_integer(ttl))
		secs = json_integer_value(ttl);
	if (tok == NULL || *tok == '\0' || strlen(tok) >= sizeof(cache.tok) ||
	    strcspn(tok, " \t\r\n") != strlen(tok)) {
		errmsg_set(err, errsz, "the Google token endpoint %s answered "
		    "without a usable access_token", host);
		r = EX_UNAVAILABLE;
		goto out;
	}
	memcpy(cache.tok, tok, strlen(tok) + 1);
	if (secs > JWT_LIFETIME * 24 || secs < 0)
		secs = JWT_LIFETIME;
	cache.expires = mono_now() + (time_t)secs - TOKEN_MARGIN;
	cache.valid = 1;
	r = 0;
out:
	json_decref(reply);
	wipe_buf(&jwt);
	wipe_buf(&form);
	wipe_buf(&resp.body);
	http_resp_free(&resp);
	return r;
}

/* 1 if the cached token may still be used. */
static int
token_cached(void)
{
	return cache.valid && mono_now() < cache.expires;
}

int
google_token(char *dst, size_t dstsz, char *err, size_t errsz)
{
	int r;

	if (!token_cached() && (r = token_exchange(err, errsz)) != 0)
		return r;
	if (strlen(cache.tok) >= dstsz) {
		errmsg_set(err, errsz, "google_token: no room for the token");
		return EX_SOFTWARE;
	}
	memcpy(dst, cache.tok, strlen(cache.tok) + 1);
	return 0;
}

/*
 * Appends base (no trailing '/'), then the path parts: every odd-numbered
 * argument is literal, every even-numbered one is percent-encoded. The
 * list ends with NULL.
 */
static int
build_url(struct buf *u, const char *base, ...)
{
	va_list ap;
	const char *s;
	size_t n = strlen(base);
	int esc = 0, r = 0;

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (buf_add(u, base, n) == -1)
		return -1;
	va_start(ap, base);
	while (r == 0 && (s = va_arg(ap, const char *)) != NULL) {
		r = esc ? http_escape(u, s, strlen(s)) : buf_adds(u, s);
		esc = !esc;
	}
	va_end(ap);
	return r;
}

/*
 * An authorized request to url with an optional JSON body; the answer in
 * resp (the caller frees it with http_resp_free), its body in sink when
 * sink is not NULL. A 401 on a token from the cache (revoked, or expired
 * early) gets one new exchange and one more try. 0 when an answer came
 * (any status), else an exit status.
 */
static int
api_do(const char *method, const char *url, const char *body, FILE *sink,
    struct http_resp *resp, char *err, size_t errsz)
{
	char auth[sizeof(cache.tok) + 32], host[128];
	const char *hdrs[4];
	struct http_req q = { 0 };
	int fresh, r, rc, tries;

	hdrs[0] = auth;
	hdrs[1] = "Accept: application/json";
	hdrs[2] = body != NULL ? "Content-Type: application/json" : NULL;
	hdrs[3] = NULL;
	q.method = method;
	q.url = url;
	q.headers = hdrs;
	q.body = body;
	q.body_len = body != NULL ? strlen(body) : 0;
	http_settings(&q);
	q.retryable = sink == NULL ? retry_rate_limit : NULL;
	q.sink = sink;
	for (tries = 0;; tries++) {
		fresh = !token_cached();
		if (fresh && (r = token_exchange(err, errsz)) != 0)
			return r;
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    cache.tok);
		rc = http_do(&q, resp);
		wipe(auth, sizeof(auth));
		if (rc == -1) {
			url_host(url, host, sizeof(host));
			errmsg_set(err, errsz, "cannot reach Google at %s: %s",
			    host, resp->err);
			return EX_UNAVAILABLE;
		}
		if (resp->status != 401 || fresh || tries > 0)
			return 0;
		cache.valid = 0;
	}
}

/*
 * The exit status and message for an answer that is not 2xx, about what
 * ("sheet ID"). With a sink, the error body is read back from it and the
 * sink is left empty.
 */
static int
api_fail(struct http_resp *resp, FILE *sink, const char *what,
    const char *id, char *err, size_t errsz)
{
	char body[4096];
	struct gsays g;
	size_t n = 0;
	long st = resp->status;

	if (sink != NULL) {
		fflush(sink);
		rewind(sink);
		n = fread(body, 1, sizeof(body), sink);
		rewind(sink);
		if (ftruncate(fileno(sink), 0) == -1)
			clearerr(sink);
		gsays_read(body, n, &g);
	} else
		gsays_read(resp->body.p, resp->body.len, &g);
	if (st == 429 || st >= 500 || (st == 403 && rate_limited(g.reason))) {
		errmsg_set(err, errsz, "%s%s: Google is busy or down (HTTP %ld "
		    "after %d attempts%s%s): retry later", what, id, st,
		    resp->attempts, g.msg[0] ? ": " : "", g.msg);
		return EX_TEMPFAIL;
	}
	if (st == 403 && strcmp(g.reason, "fileNotExportable") == 0) {
		errmsg_set(err, errsz, "%s%s is not a Google Sheet, so Drive "
		    "cannot export it as CSV: open it in Google Sheets and "
		    "use File > Save as Google Sheets", what, id);
		return EX_DATAERR;
	}
	if (st == 401 || st == 403) {
		errmsg_set(err, errsz, "%s%s: Google denied access (HTTP %ld%s%s): "
		    "share the sheet with the service account's email, %s",
		    what, id, st, g.msg[0] ? ": " : "", g.msg, cache.email);
		return EX_NOPERM;
	}
	if (st == 404) {
		errmsg_set(err, errsz, "%s%s was not found (HTTP 404): check the "
		    "id, and that the sheet is shared with the service "
		    "account's email, %s", what, id, cache.email);
		return EX_NOINPUT;
	}
	errmsg_set(err, errsz, "%s%s: Google answered HTTP %ld%s%s", what, id, st,
	    g.msg[0] ? ": " : "", g.msg);
	return EX_UNAVAILABLE;
}

/* Drive files.get: modifiedTime and mimeType (either may be ""). */
static int
file_meta(const char *id, char *modified, size_t modsz, char *mime,
    size_t mimesz, char *err, size_t errsz)
{
	struct http_resp resp = { 0 };
	struct buf url = { 0 };
	json_t *v = NULL;	/* owned */
	const char *m, *t;
	int r;

	if ((r = check_id(id, err, errsz)) != 0)
		return r;
	if (build_url(&url, setting("IR_GOOGLE_API_URL", DRIVE_URL),
	    "/drive/v3/files/", id,
	    "?fields=mimeType,modifiedTime&supportsAllDrives=true",
	    NULL) == -1) {
		buf_free(&url);
		errmsg_set(err, errsz, "out of memory");
		return EX_SOFTWARE;
	}
	if ((r = api_do("GET", url.p, NULL, NULL, &resp, err, errsz)) != 0)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		r = api_fail(&resp, NULL, "gsheet://", id, err, errsz);
		goto out;
	}
	v = json_loadb(resp.body.p != NULL ? resp.body.p : "", resp.body.len,
	    0, NULL);
	t = json_string_value(json_object_get(v, "modifiedTime"));
	m = json_string_value(json_object_get(v, "mimeType"));
	if (t == NULL || *t == '\0' || strlen(t) >= modsz ||
	    strspn(t, "0123456789-:.TZ+") != strlen(t)) {
		errmsg_set(err, errsz, "gsheet://%s: Drive answered without a "
		    "modifiedTime", id);
		r = EX_UNAVAILABLE;
		goto out;
	}
	memcpy(modified, t, strlen(t) + 1);
	if (mime != NULL)
		printable(mime, mimesz, m != NULL ? m : "",
		    m != NULL ? strlen(m) : 0);
out:
	json_decref(v);
	buf_free(&url);
	http_resp_free(&resp);
	return r;
}

int
google_modified_time(const char *file_id, char *dst, size_t dstsz,
    char *err, size_t errsz)
{
	return file_meta(file_id, dst, dstsz, NULL, 0, err, errsz);
}

int
google_export_csv(const char *file_id, FILE *sink, char *err, size_t errsz)
{
	struct http_resp resp = { 0 };
	struct buf url = { 0 };
	int r;

	if ((r = check_id(file_id, err, errsz)) != 0)
		return r;
	if (build_url(&url, setting("IR_GOOGLE_API_URL", DRIVE_URL),
	    "/drive/v3/files/", file_id, "/export?mimeType=text%2Fcsv",
	    NULL) == -1) {
		buf_free(&url);
		errmsg_set(err, errsz, "out of memory");
		return EX_SOFTWARE;
	}
	if ((r = api_do("GET", url.p, NULL, sink, &resp, err, errsz)) != 0)
		goto out;
	if (resp.status < 200 || resp.status >= 300)
		r = api_fail(&resp, sink, "gsheet://", file_id, err, errsz);
	else if (fflush(sink) == EOF || ferror(sink)) {
		errmsg_set(err, errsz, "gsheet://%s: cannot write the export to a "
		    "temporary file: %s", file_id, strerror(errno));
		r = EX_IOERR;
	}
out:
	buf_free(&url);
	http_resp_free(&resp);
	return r;
}

int
google_sheet_write(const char *sheet_id, const char *range_a1,
    const char *const *values, size_t n, char *err, size_t errsz)
{
	struct http_resp resp = { 0 };
	struct buf url = { 0 };
	json_t *body, *row;	/* owned; row until given to body */
	char *json = NULL;
	size_t i;
	int r;

	if ((r = check_id(sheet_id, err, errsz)) != 0)
		return r;
	if (range_a1 == NULL || *range_a1 == '\0' || n == 0) {
		errmsg_set(err, errsz, "gsheet://%s: nothing to write (no range "
		    "or no values)", sheet_id);
		return EX_USAGE;
	}
	if ((row = json_array()) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		if (json_array_append_new(row, values[i] != NULL ?
		    json_string(values[i]) : json_null()) == -1) {
			json_decref(row);
			errmsg_set(err, errsz, "gsheet://%s: value %zu is not "
			    "UTF-8 text", sheet_id, i + 1);
			return EX_DATAERR;
		}
	/* "o" gives row away; RAW: no value is parsed as a formula */
	body = json_pack("{s:s, s:[{s:s, s:s, s:[o]}]}",
	    "valueInputOption", "RAW", "data", "range", range_a1,
	    "majorDimension", "ROWS", "values", row);
	if (body == NULL) {
		errmsg_set(err, errsz, "gsheet://%s: the range is not UTF-8 text",
		    sheet_id);
		return EX_DATAERR;
	}
	json = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (json == NULL || build_url(&url, setting("IR_GOOGLE_API_URL",
	    SHEETS_URL), "/v4/spreadsheets/", sheet_id, "/values:batchUpdate",
	    NULL) == -1)
		goto oom;
	if ((r = api_do("POST", url.p, json, NULL, &resp, err, errsz)) == 0 &&
	    (resp.status < 200 || resp.status >= 300))
		r = api_fail(&resp, NULL, "gsheet://", sheet_id, err, errsz);
	free(json);
	buf_free(&url);
	http_resp_free(&resp);
	return r;
oom:
	free(json);
	buf_free(&url);
	errmsg_set(err, errsz, "out of memory");
	return EX_SOFTWARE;
}

/* Creates the directories above path that are missing, mode 0755. */
static int
mkdir_parents(const char *path, char *err, size_t errsz)
{
	char dir[4096], *p;

	if (strlen(path) >= sizeof(dir)) {
		errmsg_set(err, errsz, "%.64s...: path too long", path);
		return EX_IOERR;
	}
	memcpy(dir, path, strlen(path) + 1);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
				errmsg_set(err, errsz, "%s: cannot create the "
				    "directory %s: %s", path, dir,
				    strerror(errno));
				return EX_IOERR;
			}
			*p = c;
		}
		if (*p == '\0')
			return 0;
	}
}

/* Loads the state file into *root (owned by the caller). */
static int
state_load(const char *path, json_t **root, char *err, size_t errsz)
{
	struct buf b = { 0 };
	json_error_t je;
	json_t *v, *sheets;	/* v owned; sheets borrowed from v */
	char chunk[8192];
	size_t n;
	FILE *fp;
	int bad;

	*root = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			errmsg_set(err, errsz, "%s: cannot read the Google sync "
			    "state: %s", path, strerror(errno));
			return EX_IOERR;
		}
		if ((*root = json_pack("{s:{}}", "sheets")) == NULL) {
			errmsg_set(err, errsz, "out of memory");
			return EX_SOFTWARE;
		}
		return 0;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (b.len + n > STATE_MAX || buf_add(&b, chunk, n) == -1)
			break;
	bad = ferror(fp) || n > 0;
	fclose(fp);
	if (bad) {
		buf_free(&b);
		errmsg_set(err, errsz, "%s: cannot read the Google sync state "
		    "(unreadable, or larger than %d bytes)", path, STATE_MAX);
		return EX_IOERR;
	}
	v = json_loadb(b.p != NULL ? b.p : "", b.len, JSON_REJECT_DUPLICATES,
	    &je);
	buf_free(&b);
	sheets = json_object_get(v, "sheets");
	if (v == NULL || !json_is_object(sheets)) {
		errmsg_set(err, errsz, "%s: not a Google sync state file (%s): "
		    "remove it, and each sheet is exported again at its next "
		    "sync", path, v == NULL ? je.text : "no \"sheets\" object");
		json_decref(v);
		return EX_IOERR;
	}
	*root = v;
	return 0;
}

int
google_state_get(const char *path, const char *id, char *dst, size_t dstsz,
    char *err, size_t errsz)
{
	json_t *root;	/* owned */
	const char *t;
	int r;

	if (dstsz > 0)
		dst[0] = '\0';
	if ((r = state_load(path, &root, err, errsz)) != 0)
		return r;
	t = json_string_value(json_object_get(json_object_get(
	    json_object_get(root, "sheets"), id), "modifiedTime"));
	if (t != NULL && strlen(t) < dstsz)
		memcpy(dst, t, strlen(t) + 1);
	json_decref(root);
	return 0;
}

/* Writes all n bytes of p to fd. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Two syncs of different sheets at once may race on the file; the loser's
 * entry is lost, which costs one export more next time, never a missed
 * change. That is why there is no lock.
 */
int
google_state_put(const char *path, const char *id, const char *modified,
    char *err, size_t errsz)
{
	json_t *root, *entry;	/* owned; entry until given to root */
	char tmp[4096 + 8], *text = NULL;
	int fd = -1, r;

	if ((r = mkdir_parents(path, err, errsz)) != 0)
		return r;
	if ((r = state_load(path, &root, err, errsz)) != 0)
		return r;
	entry = json_pack("{s:s}", "modifiedTime", modified);
	if (entry == NULL || json_object_set_new(json_object_get(root,
	    "sheets"), id, entry) == -1 || (text = json_dumps(root,
	    JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		json_decref(root);
		errmsg_set(err, errsz, "out of memory");
		return EX_SOFTWARE;
	}
	json_decref(root);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	r = EX_IOERR;
	if ((fd = mkstemp(tmp)) == -1) {
		errmsg_set(err, errsz, "%s: cannot create a temporary file next to "
		    "it: %s", path, strerror(errno));
		free(text);
		return r;
	}
	if (fchmod(fd, 0644) == -1 || write_all(fd, text, strlen(text)) == -1 ||
	    write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		errmsg_set(err, errsz, "%s: cannot write %s: %s", path, tmp,
		    strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		errmsg_set(err, errsz, "%s: cannot write %s: %s", path, tmp,
		    strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		errmsg_set(err, errsz, "%s: cannot replace it: %s", path,
		    strerror(errno));
		goto fail;
	}
	free(text);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(text);
	return r;
}

/*
 * google_docsrc_open (sync set) and google_docsrc_fetch (sync clear): the
 * same steps, with or without the state file.
 */
static FILE *
open_sheet(const char *id, int sync, struct docsrc_info *info, int *status,
    char *err, size_t errsz)
{
	const char *state = setting("IR_GOOGLE_STATE", GOOGLE_STATE_DEFAULT);
	char saved[GOOGLE_TIME_LEN] = "", cur[GOOGLE_TIME_LEN];
	char mime[128];
	struct docsrc_info scratch;
	FILE *fp;
	int r;

	if (info == NULL)
		info = &scratch;	/* the caller does not want it */
	info->version[0] = info->etag[0] = '\0';
	info->unchanged = 0;
	if ((r = check_id(id, err, errsz)) != 0 ||
	    (sync && (r = google_state_get(state, id, saved, sizeof(saved),
	    err, errsz)) != 0) ||
	    (r = file_meta(id, cur, sizeof(cur), mime, sizeof(mime), err,
	    errsz)) != 0) {
		*status = r;
		return NULL;
	}
	if (mime[0] != '\0' && strcmp(mime, SHEET_MIME) != 0) {
		errmsg_set(err, errsz, "gsheet://%s is a file of type %s, not a "
		    "Google Sheet: open it in Google Sheets and use File > "
		    "Save as Google Sheets", id, mime);
		*status = EX_DATAERR;
		return NULL;
	}
	snprintf(info->version, sizeof(info->version), "%s", cur);
	if (saved[0] != '\0' && strcmp(saved, cur) == 0) {
		errmsg_set(err, errsz, "gsheet://%s is unchanged since the last "
		    "sync (modified %s)", id, cur);
		info->unchanged = 1;
		*status = 0;
		return NULL;
	}
	if ((fp = tmpfile()) == NULL) {
		errmsg_set(err, errsz, "gsheet://%s: cannot create a temporary "
		    "file: %s", id, strerror(errno));
		*status = EX_IOERR;
		return NULL;
	}
	/*
	 * The state is saved by google_docsrc_commit once the caller has
	 * used the export (ir-sync wrote its records): a crash before that
	 * exports again next time rather than skipping the edit.
	 */
	if ((r = google_export_csv(id, fp, err, errsz)) != 0) {
		fclose(fp);
		*status = r;
		return NULL;
	}
	rewind(fp);
	*status = 0;
	return fp;
}

FILE *
google_docsrc_open(const char *id, struct docsrc_info *info, int *status,
    char *err, size_t errsz)
{
	return open_sheet(id, 1, info, status, err, errsz);
}

FILE *
google_docsrc_fetch(const char *id, struct docsrc_info *info, int *status,
    char *err, size_t errsz)
{
	return open_sheet(id, 0, info, status, err, errsz);
}

int
google_docsrc_commit(const char *id, const char *modified, char *err,
    size_t errsz)
{
	const char *state = setting("IR_GOOGLE_STATE", GOOGLE_STATE_DEFAULT);

	if (modified == NULL || modified[0] == '\0')
		return 0;
	return google_state_put(state, id, modified, err, errsz);
}
