/*
 * cryptoapi: libcrypto is not loaded at start, a library that cannot be
 * loaded is a clear error on each caller's own path (a signature is then
 * refused, never accepted), and the first use loads it once. The tests
 * run in this order: the first ones need libcrypto not yet loaded.
 *
 * The signatures are the published vectors of test_sig.c; the link token
 * was made with Python's hmac (key "link-key", order EX01-20261204,
 * approve, expiry 2000).
 */
#define _GNU_SOURCE	/* RTLD_NOLOAD: is the library in the process? */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cryptoapi.h"
#include "docsrc.h"
#include "google.h"
#include "httpev.h"
#include "sig.h"
#include "unit.h"

#define ABSENT	"libcrypto-ir-absent.so.3"
#define WHY	"cannot load " ABSENT " ("
#define PKG	"need the libssl3 package"

static const char slack_secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char slack_sig[] =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
static const char slack_body[] = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char generic_hdr[] = "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925";
static const char generic_body[] = "{\"id\":\"evt_1\"}";
static const char square_body[] =
    "{\"data\":{\"type\":\"webhooks\",\"id\":\"fake_id\"}}";
static const char link[] = "RVgwMS0yMDI2MTIwNAphcHByb3ZlCjIwMDA."
    "AKLfGwcBnlVwjfkJX8bvMOD4l_rIKerrXIVjI7qcgfs";

/* Whether libcrypto is mapped into this process now. */
static int
crypto_in_process(void)
{
	void *h = dlopen(CRYPTOAPI_SONAME, RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL)
		return 0;
	dlclose(h);
	return 1;
}

/* Every good signature of the vectors: how many were accepted. */
static int
accepted(char *why, size_t whysz)
{
	char order[64], action[16];
	int n = 0;

	n += sig_slack(slack_secret, "1531420618", slack_sig, slack_body,
	    strlen(slack_body), 1531420618, why, whysz) == 0;
	n += sig_generic("whsec_test", generic_hdr, generic_body,
	    strlen(generic_body), 1700000000, why, whysz) == 0;
	n += sig_square("signature-key", "https://webhook.site/webhooks",
	    "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=", square_body,
	    strlen(square_body), why, whysz) == 0;
	n += sig_shopify("shop-secret",
	    "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=", "{\"id\":1}", 8,
	    why, whysz) == 0;
	n += sig_link_check("link-key", link, 1999, order, sizeof(order),
	    action, sizeof(action), why, whysz) == 0;
	return n;
}

TEST(not_loaded_at_start)
{
	CHECK_EQ_INT(crypto_in_process(), 0);
}

TEST(a_missing_library_is_a_clear_error)
{
	char err[256];

	cryptoapi_set_soname(ABSENT);
	CHECK(cryptoapi_get(err, sizeof(err)) == NULL);
	CHECK(strstr(err, WHY) == err);
	CHECK(strstr(err, "hashes and signatures " PKG) != NULL);
	CHECK_EQ_INT(crypto_in_process(), 0);
}

TEST(signatures_fail_closed)
{
	struct buf b = { 0 };
	char why[256], order[64], action[16];
	const char *sigs[] = { "slack", "generic", "square", "shopify",
		"link" };
	int i;

	/* each check on its own: refused, and why says so */
	for (i = 0; i < 5; i++) {
		why[0] = '\0';
		switch (i) {
		case 0:
			CHECK(sig_slack(slack_secret, "1531420618", slack_sig,
			    slack_body, strlen(slack_body), 1531420618, why,
			    sizeof(why)) == -1);
			break;
		case 1:
			CHECK(sig_generic("whsec_test", generic_hdr,
			    generic_body, strlen(generic_body), 1700000000,
			    why, sizeof(why)) == -1);
			break;
		case 2:
			CHECK(sig_square("signature-key",
			    "https://webhook.site/webhooks",
			    "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=",
			    square_body, strlen(square_body), why,
			    sizeof(why)) == -1);
			break;
		case 3:
			CHECK(sig_shopify("shop-secret",
			    "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=",
			    "{\"id\":1}", 8, why, sizeof(why)) == -1);
			break;
		case 4:
			CHECK(sig_link_check("link-key", link, 1999, order,
			    sizeof(order), action, sizeof(action), why,
			    sizeof(why)) == -1);
			CHECK_EQ_STR(order, "");	/* nothing trusted */
			CHECK_EQ_STR(action, "");
			break;
		}
		if (strstr(why, WHY) != why)
			fprintf(stderr, "%s: why = \"%s\"\n", sigs[i], why);
		CHECK(strstr(why, WHY) == why);
	}
	CHECK_EQ_INT(accepted(why, sizeof(why)), 0);
	/* the early refusals keep their own reasons */
	CHECK(sig_slack(slack_secret, NULL, slack_sig, slack_body,
	    strlen(slack_body), 1531420618, why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "missing signature");
	/* nothing is signed either */
	CHECK_EQ_INT(sig_generic_make("whsec_test", 1700000000, generic_body,
	    strlen(generic_body), &b), -1);
	CHECK_EQ_INT(sig_link_make("link-key", "EX01-20261204", "approve",
	    2000, &b), -1);
	buf_free(&b);
	CHECK_EQ_INT(crypto_in_process(), 0);
}

TEST(the_other_callers_fail_cleanly)
{
	const char *names[] = { "Content-Type" };
	const char *values[] = { "application/octet-stream" };
	static const char ev_b64[] = "{\"version\":\"2.0\",\"rawPath\":\"/x\","
	    "\"requestContext\":{\"http\":{\"method\":\"POST\"}},"
	    "\"body\":\"aGk=\",\"isBase64Encoded\":true}";
	struct buf line = { 0 }, jwt = { 0 };
	struct httpev ev;
	char err[512];
	FILE *fp;
	int status = 0;

	/* base64: an event is refused with the reason, or not built */
	CHECK_EQ_INT(httpev_parse(ev_b64, strlen(ev_b64), &ev, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, WHY) == err);
	CHECK_EQ_INT(httpev_build(&line, "POST", "/x", "", names, values, 1,
	    "\001\002", 2, "127.0.0.1", 0), -1);
	CHECK_EQ_INT(line.len, 0);
	buf_free(&line);
	/* a text body needs no base64, so no libcrypto */
	CHECK_EQ_INT(httpev_build(&line, "POST", "/x", "", NULL, NULL, 0,
	    NULL, 0, "127.0.0.1", 0), 0);
	buf_free(&line);
	/* Google's token: 69, before any key is read */
	CHECK_EQ_INT(google_jwt("{}", "aud", 0, &jwt, err, sizeof(err)),
	    EX_UNAVAILABLE);
	CHECK(strstr(err, WHY) == err);
	CHECK_EQ_INT(jwt.len, 0);
	buf_free(&jwt);
	/* an S3 mirror: 69, naming the mirror, before any request */
	CHECK((fp = tmpfile()) != NULL);
	if (fp != NULL) {
		fputs("item_id,on_hand\n", fp);
		CHECK_EQ_INT(docsrc_mirror(fp, "s3://bucket/stock.csv", &status,
		    err, sizeof(err)), -1);
		CHECK_EQ_INT(status, EX_UNAVAILABLE);
		CHECK(strstr(err, "s3://bucket/stock.csv: " WHY) == err);
		fclose(fp);
	}
	CHECK_EQ_INT(crypto_in_process(), 0);
}

TEST(the_first_use_loads_it_once)
{
	const struct cryptoapi *c;
	struct buf h = { 0 };
	char why[256], err[256];
	unsigned char md[32];

	cryptoapi_set_soname(NULL);	/* a failed load is not remembered */
	CHECK_EQ_INT(accepted(why, sizeof(why)), 5);
	CHECK_EQ_INT(crypto_in_process(), 1);
	CHECK(sig_generic_make("whsec_test", 1700000000, generic_body,
	    strlen(generic_body), &h) == 0);
	CHECK_EQ_STR(h.p, generic_hdr);
	buf_free(&h);
	/* loaded: the library name is not looked at again */
	cryptoapi_set_soname(ABSENT);
	CHECK((c = cryptoapi_get(err, sizeof(err))) != NULL);
	if (c != NULL) {
		c->sha256((const unsigned char *)"abc", 3, md);
		CHECK_EQ_INT(md[0], 0xba);	/* SHA-256("abc") = ba7816bf... */
		CHECK_EQ_INT(md[31], 0xad);
	}
	CHECK_EQ_INT(accepted(why, sizeof(why)), 5);
	cryptoapi_set_soname(NULL);
}

int
main(void)
{
	RUN(not_loaded_at_start);
	RUN(a_missing_library_is_a_clear_error);
	RUN(signatures_fail_closed);
	RUN(the_other_callers_fail_cleanly);
	RUN(the_first_use_loads_it_once);
	return unit_summary();
}
