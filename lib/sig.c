/*
 * sig: HMAC-SHA256 signatures of the public entry points. See sig.h.
 * HMAC and base64 are OpenSSL's; the comparison is CRYPTO_memcmp. libcrypto
 * is loaded by the first check (cryptoapi.h); when it cannot be, every
 * check fails, with the reason in why: a request is refused, never let
 * through unchecked.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoapi.h"
#include "errmsg.h"
#include "sig.h"

#define MAC_LEN	32

static const struct cryptoapi *crypto;	/* NULL until the first use */

/*
 * Loads libcrypto once; -1 when it cannot be loaded, with why (when not
 * NULL) saying so. Every function below that calls libcrypto is reached
 * only after this returned 0, or calls it itself.
 */
static int
crypto_load(char *why, size_t whysz)
{
	char err[256];

	if (crypto == NULL && (crypto = cryptoapi_get(err,
	    sizeof(err))) == NULL) {
		errmsg_set(why, whysz, "%s", err);
		return -1;
	}
	return 0;
}

/*
 * HMAC-SHA256 of the concatenation of up to four parts (a NULL part or a
 * zero length is skipped), with OpenSSL 3's EVP_MAC.
 */
static int
hmac4(const char *key, size_t klen, const char *const part[4],
    const size_t plen[4], unsigned char out[MAC_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	size_t n = 0;
	int i, ok = 0;

	if (crypto_load(NULL, 0) == -1 ||
	    (mac = crypto->evp_mac_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = crypto->ossl_param_construct_utf8_string("digest",
	    "SHA256", 0);
	params[1] = crypto->ossl_param_construct_end();
	if ((ctx = crypto->evp_mac_ctx_new(mac)) == NULL ||
	    crypto->evp_mac_init(ctx, (const unsigned char *)key, klen,
	    params) != 1)
		goto out;
	for (i = 0; i < 4; i++)
		if (part[i] != NULL && plen[i] > 0 && crypto->evp_mac_update(
		    ctx, (const unsigned char *)part[i], plen[i]) != 1)
			goto out;
	ok = crypto->evp_mac_final(ctx, out, &n, MAC_LEN) == 1 &&
	    n == MAC_LEN;
out:
	crypto->evp_mac_ctx_free(ctx);
	crypto->evp_mac_free(mac);
	return ok ? 0 : -1;
}

static int
hmac(const char *key, size_t klen, const char *a, size_t alen,
    const char *b, size_t blen, const char *c, size_t clen,
    unsigned char out[MAC_LEN])
{
	const char *part[4] = { a, b, c, NULL };
	const size_t plen[4] = { alen, blen, clen, 0 };

	return hmac4(key, klen, part, plen, out);
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Constant-time equality of two strings of the same length. Only after an
 * HMAC was computed, so libcrypto is loaded.
 */
static int
same(const char *a, const char *b, size_t blen)
{
	return strlen(a) == blen && crypto->crypto_memcmp(a, b, blen) == 0;
}

/*
 * Calls check for each key in "k1" or "k1,k2" (rotation). The keys are
 * copied out so the caller's string is never modified.
 */
static int
each_key(const char *keys, int (*check)(const char *, size_t, void *),
    void *ctx)
{
	const char *p = keys, *comma;
	int i;

	if (keys == NULL || *keys == '\0')
		return -1;
	for (i = 0; i < 2 && p != NULL; i++) {
		comma = strchr(p, ',');
		if (check(p, comma ? (size_t)(comma - p) : strlen(p), ctx) == 0)
			return 0;
		p = comma ? comma + 1 : NULL;
	}
	return -1;
}

static int
stale(const char *ts, time_t now, long long *t)
{
	char *end;

	if (ts == NULL || !isdigit((unsigned char)*ts))
		return -1;
	*t = strtoll(ts, &end, 10);
	if (*end != '\0')
		return -1;
	return llabs((long long)now - *t) > SIG_TOLERANCE;
}

int
sig_slack(const char *secret, const char *ts, const char *signature,
    const char *body, size_t len, time_t now, char *why, size_t whysz)
{
	unsigned char mac[MAC_LEN];
	char want[3 + 2 * MAC_LEN + 1];
	long long t;
	int s;

	if (secret == NULL || *secret == '\0') {
		errmsg_set(why, whysz, "no signing secret configured");
		return -1;
	}
	if (ts == NULL || signature == NULL) {
		errmsg_set(why, whysz, "missing signature");
		return -1;
	}
	if ((s = stale(ts, now, &t)) != 0) {
		errmsg_set(why, whysz, s < 0 ? "bad timestamp" :
		    "stale timestamp");
		return -1;
	}
	if (crypto_load(why, whysz) == -1)
		return -1;
	{
		const char *part[4] = { "v0:", ts, ":", body };
		const size_t plen[4] = { 3, strlen(ts), 1, len };

		if (hmac4(secret, strlen(secret), part, plen, mac) == -1) {
			errmsg_set(why, whysz, "cannot compute HMAC");
			return -1;
		}
	}
	memcpy(want, "v0=", 3);
	hex(mac, MAC_LEN, want + 3);
	if (!same(want, signature, strlen(signature))) {
		errmsg_set(why, whysz, "bad signature");
		return -1;
	}
	return 0;
}

struct generic {
	long long	 t;
	const char	*ts, *body;
	size_t		 tslen, len;
	const char	*header;
};

/* Any v1=<hex> in the header matches HMAC(key, t "." body). */
static int
generic_check(const char *key, size_t klen, void *ctx)
{
	struct generic *g = ctx;
	unsigned char mac[MAC_LEN];
	char want[2 * MAC_LEN + 1];
	const char *p;
	size_t n;

	if (hmac(key, klen, g->ts, g->tslen, ".", 1, g->body, g->len,
	    mac) == -1)
		return -1;
	hex(mac, MAC_LEN, want);
	for (p = g->header; p != NULL && *p; p += n + (p[n] == ',')) {
		while (*p == ' ')
			p++;
		n = strcspn(p, ",");
		if (n == 3 + 2 * MAC_LEN && strncmp(p, "v1=", 3) == 0 &&
		    crypto->crypto_memcmp(p + 3, want, 2 * MAC_LEN) == 0)
			return 0;
	}
	return -1;
}

int
sig_generic(const char *keys, const char *header, const char *body,
    size_t len, time_t now, char *why, size_t whysz)
{
	struct generic g;
	char ts[32];
	const char *p;
	size_t n;
	int s;

	if (keys == NULL || *keys == '\0') {
		errmsg_set(why, whysz, "no POS key configured");
		return -1;
	}
	if (header == NULL || strncmp(header, "t=", 2) != 0) {
		errmsg_set(why, whysz, "missing signature");
		return -1;
	}
	p = header + 2;
	n = strcspn(p, ",");
	if (n == 0 || n >= sizeof(ts)) {
		errmsg_set(why, whysz, "bad signature header");
		return -1;
	}
	memcpy(ts, p, n);
	ts[n] = '\0';
	memset(&g, 0, sizeof(g));
	if ((s = stale(ts, now, &g.t)) != 0) {
		errmsg_set(why, whysz, s < 0 ? "bad timestamp" :
		    "stale timestamp");
		return -1;
	}
	g.ts = ts;
	g.tslen = n;
	g.body = body;
	g.len = len;
	g.header = p + n;
	if (*g.header == ',')
		g.header++;
	if (crypto_load(why, whysz) == -1)
		return -1;
	if (each_key(keys, generic_check, &g) == -1) {
		errmsg_set(why, whysz, "bad signature");
		return -1;
	}
	return 0;
}

struct b64sig {
	const char	*a, *b, *sig;
	size_t		 alen, blen;
};

/* base64(HMAC(key, a b)) equals sig. */
static int
b64_check(const char *key, size_t klen, void *ctx)
{
	struct b64sig *s = ctx;
	unsigned char mac[MAC_LEN];
	char want[64];

	if (hmac(key, klen, s->a, s->alen, s->b, s->blen, NULL, 0, mac) == -1)
		return -1;
	crypto->evp_encode_block((unsigned char *)want, mac, MAC_LEN);
	return same(want, s->sig, strlen(s->sig)) ? 0 : -1;
}

int
sig_square(const char *keys, const char *url, const char *signature,
    const char *body, size_t len, char *why, size_t whysz)
{
	struct b64sig s = { url, body, signature, url ? strlen(url) : 0, len };

	if (signature == NULL || *signature == '\0') {
		errmsg_set(why, whysz, "missing signature");
		return -1;
	}
	if (crypto_load(why, whysz) == -1)
		return -1;
	if (url == NULL || each_key(keys, b64_check, &s) == -1) {
		errmsg_set(why, whysz, "bad signature");
		return -1;
	}
	return 0;
}

int
sig_shopify(const char *keys, const char *signature, const char *body,
    size_t len, char *why, size_t whysz)
{
	struct b64sig s = { body, NULL, signature, len, 0 };

	if (signature == NULL || *signature == '\0') {
		errmsg_set(why, whysz, "missing signature");
		return -1;
	}
	if (crypto_load(why, whysz) == -1)
		return -1;
	if (each_key(keys, b64_check, &s) == -1) {
		errmsg_set(why, whysz, "bad signature");
		return -1;
	}
	return 0;
}

int
sig_generic_make(const char *key, time_t t, const char *body, size_t len,
    struct buf *out)
{
	unsigned char mac[MAC_LEN];
	char ts[32], h[2 * MAC_LEN + 1];
	int n;

	n = snprintf(ts, sizeof(ts), "%lld", (long long)t);
	if (hmac(key, strlen(key), ts, (size_t)n, ".", 1, body, len, mac) == -1)
		return -1;
	hex(mac, MAC_LEN, h);
	return buf_addf(out, "t=%s,v1=%s", ts, h);
}

/* base64url without padding (RFC 4648 section 5). */
static int
b64url(struct buf *out, const unsigned char *p, size_t n)
{
	char *tmp;
	size_t i, m;
	int len;

	if (crypto_load(NULL, 0) == -1 ||
	    (tmp = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return -1;
	len = crypto->evp_encode_block((unsigned char *)tmp, p, (int)n);
	for (m = (size_t)len; m > 0 && tmp[m - 1] == '='; m--)
		;
	for (i = 0; i < m; i++)
		tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	len = buf_add(out, tmp, m);
	free(tmp);
	return len;
}

static int
unb64url(const char *s, size_t n, struct buf *out)
{
	char *tmp;
	size_t i, m = n + 4;
	int len;

	if (n > 4096 || crypto_load(NULL, 0) == -1 ||
	    (tmp = malloc(m + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!(isalnum((unsigned char)c) || c == '-' || c == '_')) {
			free(tmp);
			return -1;
		}
		tmp[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (i % 4)
		tmp[i++] = '=';
	tmp[i] = '\0';
	if (buf_grow(out, i) == -1 || (len = crypto->evp_decode_block(
	    (unsigned char *)out->p + out->len, (unsigned char *)tmp,
	    (int)i)) < 0) {
		free(tmp);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	len -= (int)(i - n > 2 ? 0 : i - n);
	out->len += (size_t)len;
	out->p[out->len] = '\0';
	free(tmp);
	return 0;
}

int
sig_link_make(const char *key, const char *order_id, const char *action,
    time_t expiry, struct buf *out)
{
	struct buf msg = { 0 };
	unsigned char mac[MAC_LEN];
	int rc = -1;

	if (key == NULL || *key == '\0' ||
	    buf_addf(&msg, "%s\n%s\n%lld", order_id, action,
	    (long long)expiry) == -1)
		goto out;
	if (hmac(key, strlen(key), "ir-link\n", 8, msg.p, msg.len, NULL, 0,
	    mac) == -1)
		goto out;
	if (b64url(out, (unsigned char *)msg.p, msg.len) == -1 ||
	    buf_addc(out, '.') == -1 || b64url(out, mac, MAC_LEN) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&msg);
	return rc;
}

int
sig_link_check(const char *key, const char *token, time_t now, char *order,
    size_t ordersz, char *action, size_t actsz, char *why, size_t whysz)
{
	struct buf msg = { 0 }, given = { 0 };
	unsigned char mac[MAC_LEN];
	const char *dot, *nl1, *nl2;
	long long expiry;
	char *end;
	int rc = -1;

	order[0] = action[0] = '\0';
	if (crypto_load(why, whysz) == -1)
		return -1;
	errmsg_set(why, whysz, "bad link");
	if (key == NULL || *key == '\0' || token == NULL ||
	    (dot = strchr(token, '.')) == NULL ||
	    unb64url(token, (size_t)(dot - token), &msg) == -1 ||
	    unb64url(dot + 1, strlen(dot + 1), &given) == -1 || msg.p == NULL ||
	    (nl1 = strchr(msg.p, '\n')) == NULL ||
	    (nl2 = strchr(nl1 + 1, '\n')) == NULL)
		goto out;
	snprintf(order, ordersz, "%.*s", (int)(nl1 - msg.p), msg.p);
	snprintf(action, actsz, "%.*s", (int)(nl2 - nl1 - 1), nl1 + 1);
	expiry = strtoll(nl2 + 1, &end, 10);
	if (*end != '\0' || hmac(key, strlen(key), "ir-link\n", 8, msg.p,
	    msg.len, NULL, 0, mac) == -1 || given.len != MAC_LEN ||
	    crypto->crypto_memcmp(mac, given.p, MAC_LEN) != 0) {
		order[0] = action[0] = '\0';	/* tampered: trust nothing */
		goto out;
	}
	if ((long long)now > expiry) {
		errmsg_set(why, whysz, "expired link");
		goto out;
	}
	rc = 0;
out:
	buf_free(&msg);
	buf_free(&given);
	return rc;
}
