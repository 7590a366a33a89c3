/*
 * sig: the signatures of the public entry points, all HMAC-SHA256
 * (OpenSSL), compared in constant time (CRYPTO_memcmp) after a length
 * check (protocols.md sections 1 and 13):
 *   Slack        X-Slack-Signature v0=hex(HMAC(secret, "v0:" ts ":" body)),
 *                X-Slack-Request-Timestamp within 300 s;
 *   generic POS  X-IR-Signature: t=<unix>,v1=<hex HMAC(key, t "." body)>
 *                [,v1=...], within 300 s;
 *   Square       x-square-hmacsha256-signature: base64(HMAC(key, url body));
 *   Shopify      X-Shopify-Hmac-Sha256: base64(HMAC(key, body));
 *   links        the owner's email links: a token naming order, action and
 *                expiry, signed with IR_LINK_KEY.
 * keys: one key, or two separated by a comma (rotation: both accepted).
 * Every function returns 0 when the signature holds, -1 otherwise with a
 * short reason in why ("missing signature", "stale timestamp",
 * "bad signature", or that libcrypto.so.3 cannot be loaded: then every
 * check fails) that never contains a key or the body.
 */
#ifndef IR_SIG_H
#define IR_SIG_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SIG_TOLERANCE	300	/* seconds */

int	sig_slack(const char *secret, const char *ts, const char *signature,
	    const char *body, size_t len, time_t now, char *why, size_t whysz);
int	sig_generic(const char *keys, const char *header, const char *body,
	    size_t len, time_t now, char *why, size_t whysz);
int	sig_square(const char *keys, const char *url, const char *signature,
	    const char *body, size_t len, char *why, size_t whysz);
int	sig_shopify(const char *keys, const char *signature, const char *body,
	    size_t len, char *why, size_t whysz);

/* Makes the header value of the generic scheme (tests, POS scripts). */
int	sig_generic_make(const char *key, time_t t, const char *body,
	    size_t len, struct buf *out);

/*
 * Link tokens: base64url("ORDER\nACTION\nEXPIRY") "." base64url(HMAC).
 * sig_link_check fills order (≤ ordersz) and action (≤ actsz) from a
 * token whose signature holds; -1 with why = "bad link" or "expired
 * link" (then order and action are still filled when readable, so the
 * page can name the order).
 */
int	sig_link_make(const char *key, const char *order_id,
	    const char *action, time_t expiry, struct buf *out);
int	sig_link_check(const char *key, const char *token, time_t now,
	    char *order, size_t ordersz, char *action, size_t actsz,
	    char *why, size_t whysz);

#endif
