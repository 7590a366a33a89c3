/*
 * cryptoapi: OpenSSL's libcrypto, loaded with dlopen("libcrypto.so.3")
 * the first time something is hashed, signed or base64-coded, instead of
 * linked into every program. The same pattern as curlapi.h.
 *
 * Why: linked at build time, libcrypto costs every program about 1.4 MB
 * of RSS and 0.6 ms of start before main() (ir-sync --version: 3.2 MB,
 * 1.4 ms linked; 1.7 MB, 0.8 ms without; ir-check 4.0 -> 2.7 MB, 1.7 ->
 * 1.1 ms; ir-sync on a 1M-row sheet peaks at 5.8 MB, was 7.3), and most
 * runs (a local sheet, SQLite, an outbox) never use it: ir-sync needs it
 * for s3:// (the MD5 of a mirror, the SHA-256 of a payload) and
 * gsheet:// (the JWT's RS256 signature), ir-pos and ir-approve for the
 * HMAC of a webhook or a link, ir-flush for the SHA-256 of a local sheet.
 * When libcurl is loaded (it needs libcrypto itself), dlopen returns the
 * same object.
 *
 * OpenSSL's own headers still give the types, macros and constants; the
 * functions are called through the table cryptoapi_get() returns. Each
 * pointer has exactly the type of OpenSSL's prototype, so every call
 * through it is a well-defined call of the real function; cryptoapi.c
 * checks the types against the prototypes when it is compiled. Every
 * member is a function in OpenSSL 3.0 (not a macro): a name OpenSSL
 * spells as a macro (EVP_MD_CTX_create, OPENSSL_free, EVP_PKEY_base_id)
 * is not in the table, its function is.
 *
 * A caller whose answer depends on libcrypto must fail when it cannot be
 * loaded: a signature is then refused, never accepted (sig.c), a digest
 * or a coding is an error on the caller's usual path.
 *
 * Not thread-safe: the programs are single-threaded. Once loaded,
 * libcrypto stays loaded until exit (no dlclose: OpenSSL cleans up from
 * its own atexit handler).
 */
#ifndef IR_CRYPTOAPI_H
#define IR_CRYPTOAPI_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#define CRYPTOAPI_SONAME	"libcrypto.so.3"

/*
 * The OpenSSL functions lib/ and cmd/ use, each named as OpenSSL names
 * it, in lower case with an underscore between words.
 */
struct cryptoapi {
	/* digests */
	unsigned char	*(*sha256)(const unsigned char *, size_t,
			    unsigned char *);
	const EVP_MD	*(*evp_md5)(void);
	const EVP_MD	*(*evp_sha256)(void);
	int		 (*evp_digest)(const void *, size_t, unsigned char *,
			    unsigned int *, const EVP_MD *, ENGINE *);
	EVP_MD_CTX	*(*evp_md_ctx_new)(void);
	void		 (*evp_md_ctx_free)(EVP_MD_CTX *);
	int		 (*evp_digest_init_ex)(EVP_MD_CTX *, const EVP_MD *,
			    ENGINE *);
	int		 (*evp_digest_update)(EVP_MD_CTX *, const void *,
			    size_t);
	int		 (*evp_digest_final_ex)(EVP_MD_CTX *, unsigned char *,
			    unsigned int *);
	/* HMAC */
	EVP_MAC		*(*evp_mac_fetch)(OSSL_LIB_CTX *, const char *,
			    const char *);
	void		 (*evp_mac_free)(EVP_MAC *);
	EVP_MAC_CTX	*(*evp_mac_ctx_new)(EVP_MAC *);
	void		 (*evp_mac_ctx_free)(EVP_MAC_CTX *);
	int		 (*evp_mac_init)(EVP_MAC_CTX *, const unsigned char *,
			    size_t, const OSSL_PARAM []);
	int		 (*evp_mac_update)(EVP_MAC_CTX *,
			    const unsigned char *, size_t);
	int		 (*evp_mac_final)(EVP_MAC_CTX *, unsigned char *,
			    size_t *, size_t);
	OSSL_PARAM	 (*ossl_param_construct_utf8_string)(const char *,
			    char *, size_t);
	OSSL_PARAM	 (*ossl_param_construct_end)(void);
	/* RS256 */
	BIO		*(*bio_new_mem_buf)(const void *, int);
	int		 (*bio_free)(BIO *);
	EVP_PKEY	*(*pem_read_bio_private_key)(BIO *, EVP_PKEY **,
			    pem_password_cb *, void *);
	int		 (*evp_pkey_get_base_id)(const EVP_PKEY *);
	void		 (*evp_pkey_free)(EVP_PKEY *);
	int		 (*evp_digest_sign_init)(EVP_MD_CTX *, EVP_PKEY_CTX **,
			    const EVP_MD *, ENGINE *, EVP_PKEY *);
	int		 (*evp_digest_sign)(EVP_MD_CTX *, unsigned char *,
			    size_t *, const unsigned char *, size_t);
	void		 (*err_clear_error)(void);
	/* base64, comparison, wiping */
	int		 (*evp_encode_block)(unsigned char *,
			    const unsigned char *, int);
	int		 (*evp_decode_block)(unsigned char *,
			    const unsigned char *, int);
	int		 (*crypto_memcmp)(const void *, const void *, size_t);
	void		 (*openssl_cleanse)(void *, size_t);
};

/*
 * The table: the first call loads libcrypto and looks up every function;
 * later calls return the same table. The table is borrowed and lives
 * until exit. NULL when libcrypto cannot be loaded, with err saying why
 * in words for people (the library's name, dlerror's text and that the
 * libssl3 package is needed); the next call tries again.
 */
const struct cryptoapi *cryptoapi_get(char *err, size_t errsz);
/*
 * Test hook: the library to load instead of CRYPTOAPI_SONAME (NULL: back
 * to it). Only before the first successful cryptoapi_get(). name is
 * borrowed and must outlive the calls.
 */
void	cryptoapi_set_soname(const char *name);

#endif
