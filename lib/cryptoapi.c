/* cryptoapi: libcrypto loaded on first use. See cryptoapi.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "cryptoapi.h"
#include "dlib.h"

#define SAME_TYPE(member, fn)	DLIB_SAME_TYPE(struct cryptoapi, member, fn)

SAME_TYPE(sha256, SHA256);
SAME_TYPE(evp_md5, EVP_md5);
SAME_TYPE(evp_sha256, EVP_sha256);
SAME_TYPE(evp_digest, EVP_Digest);
SAME_TYPE(evp_md_ctx_new, EVP_MD_CTX_new);
SAME_TYPE(evp_md_ctx_free, EVP_MD_CTX_free);
SAME_TYPE(evp_digest_init_ex, EVP_DigestInit_ex);
SAME_TYPE(evp_digest_update, EVP_DigestUpdate);
SAME_TYPE(evp_digest_final_ex, EVP_DigestFinal_ex);
SAME_TYPE(evp_mac_fetch, EVP_MAC_fetch);
SAME_TYPE(evp_mac_free, EVP_MAC_free);
SAME_TYPE(evp_mac_ctx_new, EVP_MAC_CTX_new);
SAME_TYPE(evp_mac_ctx_free, EVP_MAC_CTX_free);
SAME_TYPE(evp_mac_init, EVP_MAC_init);
SAME_TYPE(evp_mac_update, EVP_MAC_update);
SAME_TYPE(evp_mac_final, EVP_MAC_final);
SAME_TYPE(ossl_param_construct_utf8_string,
    OSSL_PARAM_construct_utf8_string);
SAME_TYPE(ossl_param_construct_end, OSSL_PARAM_construct_end);
SAME_TYPE(bio_new_mem_buf, BIO_new_mem_buf);
SAME_TYPE(bio_free, BIO_free);
SAME_TYPE(pem_read_bio_private_key, PEM_read_bio_PrivateKey);
SAME_TYPE(evp_pkey_get_base_id, EVP_PKEY_get_base_id);
SAME_TYPE(evp_pkey_free, EVP_PKEY_free);
SAME_TYPE(evp_digest_sign_init, EVP_DigestSignInit);
SAME_TYPE(evp_digest_sign, EVP_DigestSign);
SAME_TYPE(err_clear_error, ERR_clear_error);
SAME_TYPE(evp_encode_block, EVP_EncodeBlock);
SAME_TYPE(evp_decode_block, EVP_DecodeBlock);
SAME_TYPE(crypto_memcmp, CRYPTO_memcmp);
SAME_TYPE(openssl_cleanse, OPENSSL_cleanse);

#define SYM(name, member)	{ name, offsetof(struct cryptoapi, member) }

static const struct dlib_sym syms[] = {
	SYM("SHA256", sha256),
	SYM("EVP_md5", evp_md5),
	SYM("EVP_sha256", evp_sha256),
	SYM("EVP_Digest", evp_digest),
	SYM("EVP_MD_CTX_new", evp_md_ctx_new),
	SYM("EVP_MD_CTX_free", evp_md_ctx_free),
	SYM("EVP_DigestInit_ex", evp_digest_init_ex),
	SYM("EVP_DigestUpdate", evp_digest_update),
	SYM("EVP_DigestFinal_ex", evp_digest_final_ex),
	SYM("EVP_MAC_fetch", evp_mac_fetch),
	SYM("EVP_MAC_free", evp_mac_free),
	SYM("EVP_MAC_CTX_new", evp_mac_ctx_new),
	SYM("EVP_MAC_CTX_free", evp_mac_ctx_free),
	SYM("EVP_MAC_init", evp_mac_init),
	SYM("EVP_MAC_update", evp_mac_update),
	SYM("EVP_MAC_final", evp_mac_final),
	SYM("OSSL_PARAM_construct_utf8_string",
	    ossl_param_construct_utf8_string),
	SYM("OSSL_PARAM_construct_end", ossl_param_construct_end),
	SYM("BIO_new_mem_buf", bio_new_mem_buf),
	SYM("BIO_free", bio_free),
	SYM("PEM_read_bio_PrivateKey", pem_read_bio_private_key),
	SYM("EVP_PKEY_get_base_id", evp_pkey_get_base_id),
	SYM("EVP_PKEY_free", evp_pkey_free),
	SYM("EVP_DigestSignInit", evp_digest_sign_init),
	SYM("EVP_DigestSign", evp_digest_sign),
	SYM("ERR_clear_error", err_clear_error),
	SYM("EVP_EncodeBlock", evp_encode_block),
	SYM("EVP_DecodeBlock", evp_decode_block),
	SYM("CRYPTO_memcmp", crypto_memcmp),
	SYM("OPENSSL_cleanse", openssl_cleanse),
};
_Static_assert(sizeof(syms) / sizeof(syms[0]) * sizeof(void *) ==
    sizeof(struct cryptoapi), "every member of the table is looked up");

static struct cryptoapi api;
static int loaded;
static const char *soname = CRYPTOAPI_SONAME;

void
cryptoapi_set_soname(const char *name)
{
	soname = name != NULL ? name : CRYPTOAPI_SONAME;
}

const struct cryptoapi *
cryptoapi_get(char *err, size_t errsz)
{
	struct cryptoapi t;
	void *lib;

	if (loaded)
		return &api;
	if (dlib_load(soname, syms, sizeof(syms) / sizeof(syms[0]), &t,
	    sizeof(t), &lib, "hashes and signatures need the libssl3 package",
	    err, errsz) == -1)
		return NULL;
	api = t;
	loaded = 1;
	return &api;
}
