/*
 * sig and httpev: the published test vectors of protocols.md (Slack's own
 * worked example, Square's SDK vectors, Shopify and the Stripe-style
 * scheme computed there), rotation, windows, links, events and forms.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "httpev.h"
#include "sig.h"
#include "unit.h"

static const char slack_body[] = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

TEST(slack_published_example)
{
	const char *secret = "8f742231b10e8888abcd99yyyzzz85a5";
	const char *good = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
	char why[64];

	CHECK_EQ_INT(strlen(slack_body), 362);
	CHECK(sig_slack(secret, "1531420618", good, slack_body,
	    strlen(slack_body), 1531420618 + 100, why, sizeof(why)) == 0);
	/* one byte of the body changed */
	{
		char *b = strdup(slack_body);

		b[10] ^= 1;
		CHECK(sig_slack(secret, "1531420618", good, b, strlen(b),
		    1531420618, why, sizeof(why)) == -1);
		CHECK_EQ_STR(why, "bad signature");
		free(b);
	}
	/* five minutes and one second later */
	CHECK(sig_slack(secret, "1531420618", good, slack_body,
	    strlen(slack_body), 1531420618 + 301, why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "stale timestamp");
	CHECK(sig_slack(secret, NULL, good, slack_body, strlen(slack_body),
	    1531420618, why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "missing signature");
	CHECK(sig_slack(secret, "1531420618", "v0=00", slack_body,
	    strlen(slack_body), 1531420618, why, sizeof(why)) == -1);
}

TEST(square_published_vectors)
{
	const char *b1 = "{\"merchant_id\":\"MLEFBHHSJGVHD\",\"type\":\"webhooks.test_notification\",\"event_id\":\"ac3ac95b-f97d-458c-a6e6-18981597e05f\",\"created_at\":\"2022-07-13T20:30:59.037339943Z\",\"data\":{\"type\":\"webhooks\",\"id\":\"bc368e64-01aa-407e-b46e-3231809b1129\"}}";
	const char *b2 = "{\"data\":{\"type\":\"webhooks\",\"id\":\"fake_id\"}}";
	char why[64];

	CHECK(sig_square("Ibxx_5AKakO-3qeNVR61Dw",
	    "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
	    "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=", b1, strlen(b1),
	    why, sizeof(why)) == 0);
	CHECK(sig_square("signature-key", "https://webhook.site/webhooks",
	    "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=", b2, strlen(b2),
	    why, sizeof(why)) == 0);
	/* the URL is part of the signed text */
	CHECK(sig_square("signature-key", "https://webhook.site/other",
	    "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=", b2, strlen(b2),
	    why, sizeof(why)) == -1);
}

TEST(shopify_and_rotation)
{
	char why[64];

	CHECK(sig_shopify("shop-secret",
	    "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=", "{\"id\":1}", 8,
	    why, sizeof(why)) == 0);
	/* two keys: the new one first, the old one still accepted */
	CHECK(sig_shopify("new-secret,shop-secret",
	    "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=", "{\"id\":1}", 8,
	    why, sizeof(why)) == 0);
	CHECK(sig_shopify("new-secret,other",
	    "plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=", "{\"id\":1}", 8,
	    why, sizeof(why)) == -1);
	CHECK(sig_shopify("shop-secret", "", "{\"id\":1}", 8, why,
	    sizeof(why)) == -1);
	CHECK_EQ_STR(why, "missing signature");
}

TEST(generic_scheme)
{
	struct buf h = { 0 };
	char why[64];
	const char *body = "{\"id\":\"evt_1\"}";

	/* protocols.md's Stripe-style vector: same construction */
	CHECK(sig_generic("whsec_test", "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925",
	    body, strlen(body), 1700000000, why, sizeof(why)) == 0);
	CHECK(sig_generic_make("whsec_test", 1700000000, body, strlen(body),
	    &h) == 0);
	CHECK_EQ_STR(h.p, "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925");
	/* several v1 values (the POS signs with both keys while rotating) */
	CHECK(sig_generic("whsec_test", "t=1700000000,v1=00,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925",
	    body, strlen(body), 1700000000, why, sizeof(why)) == 0);
	CHECK(sig_generic("whsec_test", h.p, body, strlen(body),
	    1700000000 + 301, why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "stale timestamp");
	CHECK(sig_generic("whsec_test", h.p, body, strlen(body),
	    1700000000 - 301, why, sizeof(why)) == -1);
	CHECK(sig_generic("whsec_test", "v1=abc", body, strlen(body),
	    1700000000, why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "missing signature");
	CHECK(sig_generic("other,whsec_test", h.p, body, strlen(body),
	    1700000000, why, sizeof(why)) == 0);
	buf_free(&h);
}

TEST(links)
{
	struct buf t = { 0 };
	char order[64], action[16], why[64];

	CHECK(sig_link_make("link-key", "EX01-20261204", "approve", 2000,
	    &t) == 0);
	CHECK(strchr(t.p, '/') == NULL && strchr(t.p, '+') == NULL);
	CHECK(sig_link_check("link-key", t.p, 1999, order, sizeof(order),
	    action, sizeof(action), why, sizeof(why)) == 0);
	CHECK_EQ_STR(order, "EX01-20261204");
	CHECK_EQ_STR(action, "approve");
	CHECK(sig_link_check("link-key", t.p, 2001, order, sizeof(order),
	    action, sizeof(action), why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "expired link");
	CHECK_EQ_STR(order, "EX01-20261204");
	CHECK(sig_link_check("other-key", t.p, 1999, order, sizeof(order),
	    action, sizeof(action), why, sizeof(why)) == -1);
	CHECK_EQ_STR(why, "bad link");
	CHECK_EQ_STR(order, "");
	t.p[3] ^= 1;	/* tampered */
	CHECK(sig_link_check("link-key", t.p, 1999, order, sizeof(order),
	    action, sizeof(action), why, sizeof(why)) == -1);
	CHECK(sig_link_check("link-key", "garbage", 1999, order,
	    sizeof(order), action, sizeof(action), why, sizeof(why)) == -1);
	buf_free(&t);
}

TEST(events_round_trip)
{
	const char *names[] = { "Content-Type", "X-Thing", "x-thing" };
	const char *values[] = { "application/x-www-form-urlencoded", "a",
	    "b" };
	const char body[] = "payload=%7B%22a%22%3A1%7D&x=1+2\0binary";
	struct buf line = { 0 }, v = { 0 };
	struct httpev ev;
	char err[128];

	CHECK(httpev_build(&line, "POST", "/slack", "q=1", names, values, 3,
	    body, sizeof(body) - 1, "127.0.0.1", 1700000000000LL) == 0);
	CHECK(httpev_is_request(line.p, line.len));
	/* form bodies travel base64, as on AWS */
	CHECK(strstr(line.p, "\"isBase64Encoded\":true") != NULL);
	CHECK(httpev_parse(line.p, line.len - 1, &ev, err, sizeof(err)) == 0);
	CHECK_EQ_STR(ev.method, "POST");
	CHECK_EQ_STR(ev.path, "/slack");
	CHECK_EQ_STR(ev.query, "q=1");
	CHECK_EQ_INT(ev.body_len, sizeof(body) - 1);
	CHECK(memcmp(ev.body, body, sizeof(body) - 1) == 0);
	CHECK_EQ_STR(httpev_header(&ev, "X-THING"), "a, b");
	CHECK_EQ_INT(form_get(ev.body, ev.body_len, "payload", &v), 1);
	CHECK_EQ_STR(v.p, "{\"a\":1}");
	buf_reset(&v);
	CHECK_EQ_INT(form_get(ev.body, strlen(ev.body), "x", &v), 1);
	CHECK_EQ_STR(v.p, "1 2");
	CHECK_EQ_INT(form_get(ev.body, strlen(ev.body), "nope", &v), 0);
	CHECK_EQ_INT(form_get("a=%zz", 5, "a", &v), -1);
	CHECK_EQ_INT(form_get("a=%4", 4, "a", &v), -1);
	httpev_free(&ev);
	CHECK(httpev_parse("{\"version\":\"2.0\"}", 16, &ev, err,
	    sizeof(err)) == -1);
	CHECK(httpev_parse("nope", 4, &ev, err, sizeof(err)) == -1);
	buf_free(&line);
	buf_free(&v);
}

TEST(responses)
{
	struct buf out = { 0 };
	struct httpev_response r;
	const char *extra[] = { "Cache-Control: no-store", NULL };

	CHECK(httpev_respond(&out, 409, "text/html; charset=utf-8",
	    "<p>x</p>", 8, extra) == 0);
	CHECK(httpev_response_parse(out.p, out.len - 1, &r) == 0);
	CHECK_EQ_INT(r.status, 409);
	CHECK_EQ_STR(r.content_type, "text/html; charset=utf-8");
	CHECK_EQ_STR(r.body, "<p>x</p>");
	CHECK_EQ_INT(r.nheaders, 1);
	CHECK_EQ_STR(r.hname[0], "cache-control");
	httpev_response_free(&r);
	CHECK(httpev_response_parse("{\"statusCode\":99}", 17, &r) == -1);
	buf_free(&out);
}

int
main(void)
{
	RUN(slack_published_example);
	RUN(square_published_vectors);
	RUN(shopify_and_rotation);
	RUN(generic_scheme);
	RUN(links);
	RUN(events_round_trip);
	RUN(responses);
	return unit_summary();
}
