/*
 * test_google: the parts of the Google backend that need no server. The
 * JWT's structure and claims, and that its RS256 signature verifies with
 * the public half of a key pair made here at run time (no key is kept in
 * the repository); base64url; the errors for a missing, malformed,
 * encrypted or non-RSA key, none of which quote the key; an unreachable
 * token endpoint (the key file read from the JSON text and from a path);
 * and the sync state file's round trip. Files go under one mkdtemp(3)
 * directory, removed at the end. The exchange with a server is in
 * tests/bats/google.bats.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "config.h"
#include "google.h"
#include "http.h"
#include "unit.h"

#define AUD	"https://oauth2.googleapis.com/token"
#define EMAIL	"reorder-bot@shop-test.iam.gserviceaccount.com"
#define KID	"0123456789abcdef0123456789abcdef01234567"
#define IAT	1796359200	/* 2026-12-04T06:00:00Z */

static char topdir[256];
static EVP_PKEY *key, *other;	/* made in main, freed at its end */
static char *key_pem;		/* key as PKCS#8 PEM (owned) */

/* Removes path and everything under it. */
static void
rm_rf(const char *path)
{
	struct dirent *de;
	struct stat sb;
	char sub[1024];
	DIR *d;

	if (lstat(path, &sb) == -1)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* The PEM of k (owned by the caller): PKCS#8, encrypted when pass. */
static char *
pem_of(EVP_PKEY *k, const char *pass)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p, *s = NULL;
	long n;
	int ok;

	if (bio == NULL)
		return NULL;
	if (pass != NULL)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(),
		    pass, (int)strlen(pass), NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
		    NULL);
	if (ok == 1 && (n = BIO_get_mem_data(bio, &p)) > 0 &&
	    (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(bio);
	return s;
}

/* A key file's JSON text (owned by the caller) around the PEM pem. */
static char *
sa_json(const char *pem, int with_kid)
{
	json_t *v;
	char *s;

	v = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
	    "project_id", "shop-test", "client_email", EMAIL, "private_key",
	    pem, "token_uri", AUD);
	if (v == NULL)
		return NULL;
	if (with_kid)
		json_object_set_new(v, "private_key_id", json_string(KID));
	s = json_dumps(v, JSON_INDENT(2));
	json_decref(v);
	return s;
}

/* Decodes base64url without padding; -1 on a bad character. */
static int
b64url_decode(const char *s, size_t n, struct buf *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned long acc = 0;
	int bits = 0;
	size_t i;
	const char *c;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (c = strchr(tab, s[i])) == NULL)
			return -1;
		acc = (acc << 6 | (unsigned long)(c - tab)) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (buf_addc(out, (int)(acc >> bits & 0xff)) == -1)
				return -1;
		}
	}
	return 0;
}

/* The JSON (owned) of a base64url part of a JWT, or NULL. */
static json_t *
part_json(const char *s, size_t n)
{
	struct buf b = { 0 };
	json_t *v = NULL;

	if (b64url_decode(s, n, &b) == 0)
		v = json_loadb(b.p != NULL ? b.p : "", b.len,
		    JSON_REJECT_DUPLICATES, NULL);
	buf_free(&b);
	return v;
}

/* 1 if sig (base64url) is k's RS256 signature of the n bytes at msg. */
static int
verifies(EVP_PKEY *k, const char *msg, size_t n, const char *sig)
{
	struct buf raw = { 0 };
	EVP_MD_CTX *md;
	int ok = 0;

	if (b64url_decode(sig, strlen(sig), &raw) == 0 &&
	    (md = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) ==
		    1 && EVP_DigestVerify(md, (unsigned char *)raw.p, raw.len,
		    (const unsigned char *)msg, n) == 1;
		EVP_MD_CTX_free(md);
	}
	buf_free(&raw);
	return ok;
}

/* Sets the config's Google keys (NULL: leave unset) as the global one. */
static struct config *
google_config(const char *sa, const char *token_url)
{
	char conf[512], err[256];
	struct config *c;
	FILE *fp;

	snprintf(conf, sizeof(conf), "%s/ir.conf", topdir);
	if ((fp = fopen(conf, "w")) != NULL)
		fclose(fp);
	if ((c = config_load(conf, NULL, err, sizeof(err))) == NULL)
		return NULL;
	if ((sa != NULL && config_set(c, "IR_GOOGLE_SA", sa) == -1) ||
	    (token_url != NULL && config_set(c, "IR_GOOGLE_TOKEN_URL",
	    token_url) == -1)) {
		config_free(c);
		return NULL;
	}
	config_set_global(c);
	return c;
}

/* Drops the global config made by google_config. */
static void
drop_config(struct config *c)
{
	config_set_global(NULL);
	config_free(c);
}

/* 1 if the message holds nothing of a key, a JWT or a token. */
static int
no_secret(const char *msg)
{
	return strstr(msg, "PRIVATE KEY") == NULL &&
	    strstr(msg, "MII") == NULL &&	/* DER in base64 */
	    strstr(msg, "eyJ") == NULL &&	/* '{"' in base64url */
	    strstr(msg, "assertion") == NULL;
}

TEST(b64url_vectors)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} t[] = {
		{ "", 0, "" },
		{ "f", 1, "Zg" },
		{ "fo", 2, "Zm8" },
		{ "foo", 3, "Zm9v" },
		{ "foob", 4, "Zm9vYg" },
		{ "fooba", 5, "Zm9vYmE" },
		{ "foobar", 6, "Zm9vYmFy" },
		{ "\xfb\xff", 2, "-_8" },		/* "+/8=" in base64 */
		{ "\xff\xff\xfe", 3, "___-" },
		{ "\0\0\0\0", 4, "AAAAAA" },
		{ "{\"alg\":\"RS256\"}", 15, "eyJhbGciOiJSUzI1NiJ9" },
	};
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		CHECK_EQ_INT(google_b64url(&b, t[i].in, t[i].n), 0);
		CHECK_EQ_STR(b.p != NULL ? b.p : "", t[i].out);
	}
	/* appends, never replaces */
	buf_reset(&b);
	buf_adds(&b, "x.");
	google_b64url(&b, "foo", 3);
	CHECK_EQ_STR(b.p, "x.Zm9v");
	buf_free(&b);
}

TEST(jwt_structure_and_signature)
{
	char *sa = sa_json(key_pem, 1), err[256] = "";
	struct buf jwt = { 0 };
	const char *dot1, *dot2;
	json_t *h = NULL, *c = NULL;

	CHECK(sa != NULL);
	if (sa == NULL)
		return;
	CHECK_EQ_INT(google_jwt(sa, AUD, IAT, &jwt, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK(jwt.p != NULL);
	if (jwt.p == NULL)
		goto out;
	/* three base64url parts, no padding, nothing else */
	CHECK(strspn(jwt.p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789-_.") == jwt.len);
	dot1 = strchr(jwt.p, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	CHECK(dot2 != NULL && strchr(dot2 + 1, '.') == NULL);
	if (dot2 == NULL)
		goto out;
	h = part_json(jwt.p, (size_t)(dot1 - jwt.p));
	c = part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	CHECK(json_is_object(h) && json_object_size(h) == 3);
	CHECK_EQ_STR(json_string_value(json_object_get(h, "alg")), "RS256");
	CHECK_EQ_STR(json_string_value(json_object_get(h, "typ")), "JWT");
	CHECK_EQ_STR(json_string_value(json_object_get(h, "kid")), KID);
	CHECK(json_is_object(c) && json_object_size(c) == 5);
	CHECK_EQ_STR(json_string_value(json_object_get(c, "iss")), EMAIL);
	CHECK_EQ_STR(json_string_value(json_object_get(c, "scope")),
	    "https://www.googleapis.com/auth/drive.readonly "
	    "https://www.googleapis.com/auth/spreadsheets");
	CHECK_EQ_STR(json_string_value(json_object_get(c, "aud")), AUD);
	CHECK(json_is_integer(json_object_get(c, "iat")));
	CHECK_EQ_INT(json_integer_value(json_object_get(c, "iat")), IAT);
	CHECK_EQ_INT(json_integer_value(json_object_get(c, "exp")),
	    IAT + 3600);
	/* RSASSA-PKCS1-v1_5 SHA-256 over b64(header).b64(claims) */
	CHECK(verifies(key, jwt.p, (size_t)(dot2 - jwt.p), dot2 + 1));
	/* and the check can fail: another key, or one byte changed */
	CHECK(!verifies(other, jwt.p, (size_t)(dot2 - jwt.p), dot2 + 1));
	jwt.p[dot1 - jwt.p + 3] ^= 1;
	CHECK(!verifies(key, jwt.p, (size_t)(dot2 - jwt.p), dot2 + 1));
out:
	json_decref(h);
	json_decref(c);
	buf_free(&jwt);
	free(sa);
}

TEST(jwt_without_kid_and_appends)
{
	char *sa = sa_json(key_pem, 0), err[256] = "";
	struct buf jwt = { 0 };
	const char *dot1;
	json_t *h;

	if (sa == NULL) {
		CHECK(sa != NULL);
		return;
	}
	buf_adds(&jwt, "prefix:");
	CHECK_EQ_INT(google_jwt(sa, "http://127.0.0.1:9/token", IAT, &jwt,
	    err, sizeof(err)), 0);
	CHECK(strncmp(jwt.p, "prefix:", 7) == 0);
	dot1 = strchr(jwt.p, '.');
	h = dot1 != NULL ? part_json(jwt.p + 7, (size_t)(dot1 - jwt.p - 7)) :
	    NULL;
	CHECK(json_is_object(h) && json_object_size(h) == 2);
	CHECK(json_object_get(h, "kid") == NULL);
	json_decref(h);
	/* the signature covers only what this call wrote */
	{
		const char *dot2 = strchr(dot1 + 1, '.');

		CHECK(dot2 != NULL && verifies(key, jwt.p + 7,
		    (size_t)(dot2 - jwt.p - 7), dot2 + 1));
	}
	buf_free(&jwt);
	free(sa);
}

TEST(bad_keys_are_refused_without_quoting_them)
{
	static const char *const notjson[] = {
		"",
		"{\"client_email\": \"a@b\", \"private_key\": MIIsecret}",
		"{\"client_email\": \"a@b\"}",
		"{\"private_key\": \"x\"}",
		"[1, 2]",
		("{\"client_email\": \"a@b\", \"client_email\": \"c@d\", "
		    "\"private_key\": \"x\"}"),
	};
	char err[512], *sa, *pem;
	struct buf jwt = { 0 };
	EVP_PKEY *ec;
	size_t i;

	for (i = 0; i < sizeof(notjson) / sizeof(notjson[0]); i++) {
		err[0] = '\0';
		CHECK_EQ_INT(google_jwt(notjson[i], AUD, IAT, &jwt, err,
		    sizeof(err)), EX_NOPERM);
		CHECK(strstr(err, "IR_GOOGLE_SA") != NULL);
		CHECK(no_secret(err));
		CHECK(strstr(err, "secret") == NULL);
	}
	/* a PEM that is not a key */
	sa = sa_json("-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0"
	    "BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n", 1);
	err[0] = '\0';
	CHECK_EQ_INT(google_jwt(sa, AUD, IAT, &jwt, err, sizeof(err)),
	    EX_NOPERM);
	CHECK(strstr(err, "not an unencrypted PEM private key") != NULL);
	CHECK(no_secret(err));
	free(sa);
	/* an encrypted key: refused, never a passphrase prompt */
	pem = pem_of(key, "passphrase");
	sa = pem != NULL ? sa_json(pem, 1) : NULL;
	CHECK(sa != NULL);
	if (sa != NULL) {
		CHECK_EQ_INT(google_jwt(sa, AUD, IAT, &jwt, err,
		    sizeof(err)), EX_NOPERM);
		CHECK(no_secret(err));
	}
	free(sa);
	free(pem);
	/* RS256 needs RSA */
	ec = EVP_EC_gen("P-256");
	pem = ec != NULL ? pem_of(ec, NULL) : NULL;
	sa = pem != NULL ? sa_json(pem, 1) : NULL;
	CHECK(sa != NULL);
	if (sa != NULL) {
		CHECK_EQ_INT(google_jwt(sa, AUD, IAT, &jwt, err,
		    sizeof(err)), EX_NOPERM);
		CHECK(strstr(err, "not an RSA key") != NULL);
	}
	free(sa);
	free(pem);
	EVP_PKEY_free(ec);
	/* a failure leaves the buffer as it was */
	CHECK_EQ_INT(jwt.len, 0);
	buf_free(&jwt);
}

TEST(token_settings)
{
	char *sa = sa_json(key_pem, 1), path[8192], err[512], tok[64];
	struct config *c;
	FILE *fp;

	if (sa == NULL) {
		CHECK(sa != NULL);
		return;
	}
	/* unset */
	if ((c = google_config(NULL, NULL)) != NULL) {
		CHECK_EQ_INT(google_token(tok, sizeof(tok), err, sizeof(err)),
		    EX_NOPERM);
		CHECK(strstr(err, "IR_GOOGLE_SA is not set") != NULL);
		drop_config(c);
	}
	/* the JSON itself, with space before it: read, signed, then the
	 * endpoint is unreachable (69), named by host only */
	snprintf(path, sizeof(path), "  \n%s", sa);
	c = google_config(path, "http://user:hunter2@127.0.0.1:1/token");
	CHECK(c != NULL);
	err[0] = '\0';
	CHECK_EQ_INT(google_token(tok, sizeof(tok), err, sizeof(err)),
	    EX_UNAVAILABLE);
	CHECK(strstr(err, "cannot reach the Google token endpoint "
	    "127.0.0.1:1") != NULL);
	CHECK(strstr(err, "hunter2") == NULL);
	CHECK(no_secret(err));
	drop_config(c);
	/* a path to the key file */
	snprintf(path, sizeof(path), "%s/sa.json", topdir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs(sa, fp);
		fclose(fp);
	}
	c = google_config(path, "http://127.0.0.1:1/token");
	err[0] = '\0';
	CHECK_EQ_INT(google_token(tok, sizeof(tok), err, sizeof(err)),
	    EX_UNAVAILABLE);
	CHECK(no_secret(err));
	drop_config(c);
	/* a path that is not there */
	snprintf(path, sizeof(path), "%s/missing.json", topdir);
	c = google_config(path, "http://127.0.0.1:1/token");
	CHECK_EQ_INT(google_token(tok, sizeof(tok), err, sizeof(err)),
	    EX_NOPERM);
	CHECK(strstr(err, "missing.json") != NULL);
	drop_config(c);
	/* JSON that is broken */
	c = google_config(" {\"client_email\": MIIsecret", NULL);
	CHECK_EQ_INT(google_token(tok, sizeof(tok), err, sizeof(err)),
	    EX_NOPERM);
	CHECK(strstr(err, "not valid JSON") != NULL);
	CHECK(strstr(err, "secret") == NULL);
	drop_config(c);
	free(sa);
}

TEST(ids_are_checked_before_any_request)
{
	char err[256], t[GOOGLE_TIME_LEN];
	const char *v[] = { "1" };

	CHECK_EQ_INT(google_modified_time("../x", t, sizeof(t), err,
	    sizeof(err)), EX_USAGE);
	CHECK(strstr(err, "not a Google Sheets id") != NULL);
	CHECK_EQ_INT(google_modified_time("", t, sizeof(t), err,
	    sizeof(err)), EX_USAGE);
	CHECK_EQ_INT(google_export_csv("a b", stdout, err, sizeof(err)),
	    EX_USAGE);
	CHECK_EQ_INT(google_sheet_write("a?b", "A1", v, 1, err, sizeof(err)),
	    EX_USAGE);
	CHECK_EQ_INT(google_sheet_write("abc", "", v, 1, err, sizeof(err)),
	    EX_USAGE);
	CHECK_EQ_INT(google_sheet_write("abc", "A1", v, 0, err, sizeof(err)),
	    EX_USAGE);
}

TEST(state_round_trip)
{
	char path[512], t[GOOGLE_TIME_LEN], err[512];
	struct dirent *de;
	json_t *v;
	DIR *d;
	int n;

	/* missing file and missing directories: empty state */
	snprintf(path, sizeof(path), "%s/var/deep/google-state.json", topdir);
	CHECK_EQ_INT(google_state_get(path, "sheetA", t, sizeof(t), err,
	    sizeof(err)), 0);
	CHECK_EQ_STR(t, "");
	CHECK_EQ_INT(google_state_put(path, "sheetA",
	    "2026-12-01T10:00:00.000Z", err, sizeof(err)), 0);
	CHECK_EQ_INT(google_state_put(path, "sheet_B-2",
	    "2026-12-02T11:30:00.123Z", err, sizeof(err)), 0);
	CHECK_EQ_INT(google_state_get(path, "sheetA", t, sizeof(t), err,
	    sizeof(err)), 0);
	CHECK_EQ_STR(t, "2026-12-01T10:00:00.000Z");
	CHECK_EQ_INT(google_state_get(path, "sheet_B-2", t, sizeof(t), err,
	    sizeof(err)), 0);
	CHECK_EQ_STR(t, "2026-12-02T11:30:00.123Z");
	CHECK_EQ_INT(google_state_get(path, "sheetC", t, sizeof(t), err,
	    sizeof(err)), 0);
	CHECK_EQ_STR(t, "");
	/* a newer time replaces the old one; the other entry stays */
	CHECK_EQ_INT(google_state_put(path, "sheetA",
	    "2026-12-03T09:00:00.000Z", err, sizeof(err)), 0);
	google_state_get(path, "sheetA", t, sizeof(t), err, sizeof(err));
	CHECK_EQ_STR(t, "2026-12-03T09:00:00.000Z");
	google_state_get(path, "sheet_B-2", t, sizeof(t), err, sizeof(err));
	CHECK_EQ_STR(t, "2026-12-02T11:30:00.123Z");
	/* the file is the documented JSON, and no temporary file is left */
	v = json_load_file(path, 0, NULL);
	CHECK(v != NULL);
	CHECK_EQ_INT(json_object_size(json_object_get(v, "sheets")), 2);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(
	    json_object_get(v, "sheets"), "sheetA"), "modifiedTime")),
	    "2026-12-03T09:00:00.000Z");
	json_decref(v);
	snprintf(path, sizeof(path), "%s/var/deep", topdir);
	n = 0;
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
	}
	CHECK_EQ_INT(n, 1);
}

TEST(state_errors)
{
	char path[512], t[GOOGLE_TIME_LEN] = "x", err[512];
	FILE *fp;

	/* not JSON, or JSON of another shape: refused, named, not replaced */
	snprintf(path, sizeof(path), "%s/bad-state.json", topdir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs("{\"sheets\": [", fp);
		fclose(fp);
	}
	CHECK_EQ_INT(google_state_get(path, "a", t, sizeof(t), err,
	    sizeof(err)), EX_IOERR);
	CHECK_EQ_STR(t, "");
	CHECK(strstr(err, "bad-state.json: not a Google sync state file") !=
	    NULL);
	CHECK_EQ_INT(google_state_put(path, "a", "2026-12-01T00:00:00Z", err,
	    sizeof(err)), EX_IOERR);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs("{\"a\": \"2026\"}", fp);
		fclose(fp);
	}
	CHECK_EQ_INT(google_state_get(path, "a", t, sizeof(t), err,
	    sizeof(err)), EX_IOERR);
	CHECK(strstr(err, "no \"sheets\" object") != NULL);
	/* a directory that cannot be made (its parent is a file) */
	snprintf(path, sizeof(path), "%s/bad-state.json/sub/state.json",
	    topdir);
	CHECK_EQ_INT(google_state_put(path, "a", "2026-12-01T00:00:00Z", err,
	    sizeof(err)), EX_IOERR);
	CHECK(strstr(err, "cannot create the directory") != NULL);
}

int
main(void)
{
	int r;

	/* only what each test sets: none of the caller's Google settings */
	unsetenv("IR_GOOGLE_SA");
	unsetenv("IR_GOOGLE_TOKEN_URL");
	unsetenv("IR_GOOGLE_API_URL");
	unsetenv("IR_GOOGLE_STATE");
	unsetenv("IR_CONF");
	http_set_backoff(0, 0);
	snprintf(topdir, sizeof(topdir), "%s/test_google.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(topdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	key = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	key_pem = key != NULL ? pem_of(key, NULL) : NULL;
	if (key_pem == NULL || other == NULL) {
		fprintf(stderr, "cannot make the test keys\n");
		return 1;
	}
	RUN(b64url_vectors);
	RUN(jwt_structure_and_signature);
	RUN(jwt_without_kid_and_appends);
	RUN(bad_keys_are_refused_without_quoting_them);
	RUN(token_settings);
	RUN(ids_are_checked_before_any_request);
	RUN(state_round_trip);
	RUN(state_errors);
	r = unit_summary();
	free(key_pem);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	rm_rf(topdir);
	return r;
}
