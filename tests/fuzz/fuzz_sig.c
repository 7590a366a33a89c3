/*
 * fuzz_sig: every signature-header parser of lib/sig.h. The input is cut
 * at newlines into: keys, the generic X-IR-Signature header, Slack's
 * timestamp and signature, the Square URL, a base64 signature (Square and
 * Shopify), a link token, and the body (the rest, any bytes).
 *
 * Properties: no input is accepted with a wrong signature (a forged one
 * would have to match HMAC), the reason is always one of the fixed
 * phrases (never a key or the body), and signatures made with the same
 * key and body (sig_generic_make, sig_link_make, and HMAC computed here
 * for Square and Shopify) are accepted, and a link names its order and
 * action back.
 */
#include <openssl/evp.h>

#include "buf.h"
#include "fuzz.h"
#include "sig.h"

#define NOW_SLACK	1531420618
#define NOW		1700000000

enum { F_KEYS, F_GENERIC, F_TS, F_SLACK, F_URL, F_B64, F_TOKEN, F_BODY,
	NF };

static const char *const reasons[] = {
	"no signing secret configured", "missing signature", "bad timestamp",
	"stale timestamp", "bad signature", "no POS key configured",
	"bad signature header", "cannot compute HMAC", "bad link",
	"expired link", NULL
};

static void
reason_ok(const char *why)
{
	const char *const *r;

	for (r = reasons; *r != NULL; r++)
		if (strcmp(why, *r) == 0)
			return;
	fprintf(stderr, "unexpected reason \"%s\"\n", why);
	FUZZ_CHECK(0);
}

/* base64(HMAC-SHA256(key, a b)) into out (at least 45 bytes). */
static void
b64mac(const char *key, size_t klen, const char *a, size_t alen,
    const char *b, size_t blen, char *out)
{
	unsigned char mac[32];
	size_t n = 0;
	char *msg = malloc(alen + blen + 1);

	FUZZ_CHECK(msg != NULL);
	if (alen > 0)
		memcpy(msg, a, alen);
	if (blen > 0)
		memcpy(msg + alen, b, blen);
	/* EVP_Q_mac wants a key; HMAC pads an empty one to zeros anyway */
	FUZZ_CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
	    klen ? key : "\0", klen ? klen : 1, (unsigned char *)msg,
	    alen + blen, mac, sizeof(mac), &n) != NULL && n == 32);
	EVP_EncodeBlock((unsigned char *)out, mac, 32);
	free(msg);
}

static void
parsers(char **f, size_t blen)
{
	char why[64], order[128], action[64];
	int rc;

	why[0] = '\0';
	if (sig_generic(f[F_KEYS], f[F_GENERIC], f[F_BODY], blen, NOW, why,
	    sizeof(why)) != 0)
		reason_ok(why);
	if (sig_slack(f[F_KEYS], f[F_TS], f[F_SLACK], f[F_BODY], blen,
	    NOW_SLACK, why, sizeof(why)) != 0)
		reason_ok(why);
	if (sig_square(f[F_KEYS], f[F_URL], f[F_B64], f[F_BODY], blen, why,
	    sizeof(why)) != 0)
		reason_ok(why);
	if (sig_shopify(f[F_KEYS], f[F_B64], f[F_BODY], blen, why,
	    sizeof(why)) != 0)
		reason_ok(why);
	rc = sig_link_check(f[F_KEYS], f[F_TOKEN], NOW, order, sizeof(order),
	    action, sizeof(action), why, sizeof(why));
	FUZZ_CHECK(strlen(order) < sizeof(order));
	FUZZ_CHECK(strlen(action) < sizeof(action));
	if (rc != 0)
		reason_ok(why);
	/* a NULL header or signature is "missing", not a crash */
	FUZZ_CHECK(sig_generic(f[F_KEYS], NULL, f[F_BODY], blen, NOW, why,
	    sizeof(why)) == -1);
	FUZZ_CHECK(sig_slack(f[F_KEYS], NULL, f[F_SLACK], f[F_BODY], blen,
	    NOW_SLACK, why, sizeof(why)) == -1);
	FUZZ_CHECK(sig_shopify(f[F_KEYS], NULL, f[F_BODY], blen, why,
	    sizeof(why)) == -1);
}

static void
round_trips(char **f, size_t blen)
{
	struct buf h = { NULL, 0, 0 };
	char why[64], order[4200], action[4200], want[64], *key;
	size_t klen;

	if (f[F_KEYS][0] == '\0')
		return;
	/* the first key of "k1,k2" */
	klen = strcspn(f[F_KEYS], ",");
	key = fuzz_str(f[F_KEYS], klen);

	FUZZ_CHECK(sig_generic_make(key, NOW, f[F_BODY], blen, &h) == 0);
	FUZZ_CHECK(sig_generic(f[F_KEYS], h.p, f[F_BODY], blen, NOW, why,
	    sizeof(why)) == 0);
	FUZZ_CHECK(sig_generic(f[F_KEYS], h.p, f[F_BODY], blen,
	    NOW + SIG_TOLERANCE + 1, why, sizeof(why)) == -1);
	FUZZ_CHECK(strcmp(why, "stale timestamp") == 0);
	if (blen > 0) {
		f[F_BODY][0] ^= 1;
		FUZZ_CHECK(sig_generic(f[F_KEYS], h.p, f[F_BODY], blen, NOW,
		    why, sizeof(why)) == -1);
		f[F_BODY][0] ^= 1;
	}

	b64mac(key, klen, f[F_URL], strlen(f[F_URL]), f[F_BODY], blen, want);
	FUZZ_CHECK(sig_square(f[F_KEYS], f[F_URL], want, f[F_BODY], blen, why,
	    sizeof(why)) == 0);
	b64mac(key, klen, f[F_BODY], blen, NULL, 0, want);
	FUZZ_CHECK(sig_shopify(f[F_KEYS], want, f[F_BODY], blen, why,
	    sizeof(why)) == 0);

	/* links: an order and action without newlines come back as made */
	if (key[0] != '\0' && strlen(f[F_GENERIC]) < 1000 &&
	    strlen(f[F_TS]) < 1000) {
		buf_reset(&h);
		FUZZ_CHECK(sig_link_make(key, f[F_GENERIC], f[F_TS], NOW + 60,
		    &h) == 0);
		FUZZ_CHECK(sig_link_check(key, h.p, NOW, order, sizeof(order),
		    action, sizeof(action), why, sizeof(why)) == 0);
		FUZZ_CHECK(strcmp(order, f[F_GENERIC]) == 0);
		FUZZ_CHECK(strcmp(action, f[F_TS]) == 0);
		FUZZ_CHECK(sig_link_check(key, h.p, NOW + 61, order,
		    sizeof(order), action, sizeof(action), why,
		    sizeof(why)) == -1);
		FUZZ_CHECK(strcmp(why, "expired link") == 0);
	}
	free(key);
	buf_free(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[NF];
	size_t blen;

	fuzz_fields(data, size, f, NF, &blen);
	parsers(f, blen);
	round_trips(f, blen);
	fuzz_free_fields(f, NF);
	return 0;
}
