/*
 * test_compose: the messages of lib/compose.c, read back the way their
 * readers read them: emails with GMime's parser (decoded headers, parts,
 * the attachment's bytes), Slack payloads with jansson (limits counted in
 * characters, as Slack counts them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <jansson.h>

#include "compose.h"
#include "unit.h"

#define CAFE	"Caf\xc3\xa9 Cr\xc3\xa8me"	/* "Café Crème" */
#define DASH	"\xe2\x80\x94"			/* "—" */
#define DATE	1709280000			/* 2024-03-01 08:00:00Z */

static const char po_text[] =
    "Hello Acme,\n\nPlease send 48 x Beans <b>&\"dark\" (SKU-1).\n\n"
    "Thank you,\n" CAFE "\n";

/* A draft with every field set; tests change what they look at. */
static struct compose_draft
draft(void)
{
	struct compose_draft d = {
		.order_id = "SKU-1-20240301",
		.item_id = "SKU-1",
		.item_name = "Beans <b>&\"dark\"",
		.supplier_name = "Acme",
		.supplier_email = "orders@acme.example",
		.qty = 48,
		.on_hand = 10,
		.point = 18,
		.move = "reorder",
		.explain = "point 18 + cover 28 - on hand 10 = 36; "
		    "supplier minimum 48",
		.flags = "",
		.unit_cost = "2.50",
		.po_text = po_text,
		.shop_name = CAFE,
		.from = CAFE " <bot@cafe.example>",
		.owner_email = "owner@cafe.example",
		.approve_cmd = "ir-approve --approve SKU-1-20240301",
		.date = DATE,
	};
	return d;
}

static struct compose_po
po(void)
{
	struct compose_po p = {
		.order_id = "SKU-1-20240301",
		.message_id = "po-SKU-1-20240301@cafe.example",
		.from = CAFE " <bot@cafe.example>",
		.reply_to = "Owner of " CAFE " <owner@cafe.example>",
		.to = "orders@acme.example",
		.to_name = "Acme " CAFE ", Ltd",
		.subject = "Purchase order SKU-1-20240301 from " CAFE,
		.text = po_text,
		.item_id = "SKU-1",
		.item_name = "Beans, \"dark\"",
		.qty = 48,
		.unit_cost = "2.50",
		.currency = "EUR",
		.date = DATE,
	};
	return p;
}

/* Parses a whole message; the caller unrefs it. */
static GMimeMessage *
parse(const struct buf *b)
{
	GMimeStream *st;
	GMimeParser *ps;
	GMimeMessage *m;

	st = g_mime_stream_mem_new_with_buffer(b->p, b->len);
	ps = g_mime_parser_new_with_stream(st);
	m = g_mime_parser_construct_message(ps, NULL);
	g_object_unref(ps);
	g_object_unref(st);
	return m;
}

/* The list of type in m as one decoded string, g_free'd by the caller. */
static char *
addrs(GMimeMessage *m, GMimeAddressType type)
{
	return internet_address_list_to_string(
	    g_mime_message_get_addresses(m, type), NULL, FALSE);
}

/* Whether part is type/subtype. */
static int
is_type(GMimeObject *part, const char *type, const char *subtype)
{
	return part != NULL && g_mime_content_type_is_type(
	    g_mime_object_get_content_type(part), type, subtype);
}

/* Part i of multipart obj, or NULL; borrowed. */
static GMimeObject *
sub(GMimeObject *obj, int i)
{
	if (obj == NULL || !GMIME_IS_MULTIPART(obj) ||
	    i >= g_mime_multipart_get_count(GMIME_MULTIPART(obj)))
		return NULL;
	return g_mime_multipart_get_part(GMIME_MULTIPART(obj), i);
}

/* The decoded text of a text part, g_free'd by the caller. */
static char *
text_of(GMimeObject *part)
{
	if (part == NULL || !GMIME_IS_TEXT_PART(part))
		return g_strdup("");
	return g_mime_text_part_get_text(GMIME_TEXT_PART(part));
}

/* The decoded bytes of a leaf part, into out. */
static void
content_of(GMimeObject *part, struct buf *out)
{
	GMimeStream *st;
	GByteArray *ba;

	if (part == NULL || !GMIME_IS_PART(part))
		return;
	st = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(
	    g_mime_part_get_content(GMIME_PART(part)), st);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
	buf_add(out, ba->data, ba->len);
	g_object_unref(st);
}

/* The longest line of b, in bytes without the line end. */
static size_t
longest_line(const struct buf *b)
{
	size_t i, start = 0, max = 0;

	for (i = 0; i <= b->len; i++)
		if (i == b->len || b->p[i] == '\n') {
			if (i - start > max)
				max = i - start;
			start = i + 1;
		}
	return max;
}

/* Whether every byte of b is 7-bit. */
static int
ascii_only(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if ((unsigned char)b->p[i] >= 0x80)
			return 0;
	return 1;
}

/* Number of UTF-8 characters in s. */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A string of n copies of the bytes of unit, malloc'd. */
static char *
repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit), i;
	char *s = malloc(len * n + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* The CSV attachment of a PO email, decoded, into out. */
static void
po_csv(const struct compose_po *p, struct buf *out)
{
	struct buf eml = { 0 };
	GMimeMessage *m;

	if (compose_po_eml(p, &eml) == 0 && (m = parse(&eml)) != NULL) {
		content_of(sub(g_mime_message_get_mime_part(m), 1), out);
		g_object_unref(m);
	}
	buf_free(&eml);
}

TEST(template_substitutes)
{
	static const char *const vars[] = {
		"name", "Acme", "qty", "48", "empty", NULL, NULL
	};
	static const struct {
		const char	*tmpl, *want;
		int		 unknown;
	} cases[] = {
		{ "", "", 0 },
		{ "no keys", "no keys", 0 },
		{ "{{name}}", "Acme", 0 },
		{ "Dear {{ name }}, {{qty}} x", "Dear Acme, 48 x", 0 },
		{ "{{\tname\t}}", "Acme", 0 },
		{ "{{empty}}|", "|", 0 },
		{ "{{nope}} {{ nope }}", "{{nope}} {{ nope }}", 2 },
		{ "{{Name}} {{}} {{ }} {{na-me}}", "{{Name}} {{}} {{ }} "
		    "{{na-me}}", 0 },
		{ "{{name}", "{{name}", 0 },
		{ "{{{name}}}", "{Acme}", 0 },
		{ "{{name}}{{qty}}{{x}}", "Acme48{{x}}", 1 },
	};
	struct buf out = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		CHECK_EQ_INT(compose_template(cases[i].tmpl, vars, &out),
		    cases[i].unknown);
		CHECK_EQ_STR(out.p ? out.p : "", cases[i].want);
	}
	buf_reset(&out);
	CHECK_EQ_INT(compose_template("{{a}}{{b}}", NULL, &out), 2);
	CHECK_EQ_STR(out.p, "{{a}}{{b}}");
	buf_free(&out);
}

TEST(template_appends)
{
	static const char *const vars[] = { "k", "v", NULL };
	struct buf out = { 0 };

	buf_adds(&out, "before:");
	CHECK_EQ_INT(compose_template("{{k}}", vars, &out), 0);
	CHECK_EQ_STR(out.p, "before:v");
	buf_free(&out);
}

TEST(default_template_fills)
{
	static const char *const vars[] = {
		"supplier_name", "Acme", "shop_name", CAFE,
		"order_id", "SKU-1-20240301", "item_id", "SKU-1",
		"item_name", "Beans", "qty", "48", "unit_cost", "2.50",
		"currency", "EUR", "expected_date", "2024-03-08",
		"owner_email", "owner@cafe.example", NULL
	};
	struct buf out = { 0 };
	size_t i;

	CHECK_EQ_INT(compose_template(compose_default_template(), vars, &out),
	    0);
	CHECK(strstr(out.p, "{{") == NULL);
	for (i = 0; vars[i] != NULL; i += 2)
		CHECK(strstr(out.p, vars[i + 1]) != NULL);
	CHECK(strncmp(out.p, "Hello Acme,\n", 12) == 0);
	buf_free(&out);
}

TEST(draft_eml_headers)
{
	struct compose_draft d = draft();
	struct buf eml = { 0 };
	GMimeMessage *m;
	GDateTime *dt;
	char *s;

	CHECK_EQ_INT(compose_draft_eml(&d, &eml), 0);
	CHECK(ascii_only(&eml));
	CHECK(strstr(eml.p, "=?UTF-8?") != NULL);	/* encoded-words */
	if ((m = parse(&eml)) == NULL) {
		CHECK(m != NULL);
		buf_free(&eml);
		return;
	}
	CHECK_EQ_STR(g_mime_message_get_subject(m),
	    "Reorder: Beans <b>&\"dark\" " DASH " 48 from Acme");
	s = addrs(m, GMIME_ADDRESS_TYPE_FROM);
	CHECK_EQ_STR(s, CAFE " <bot@cafe.example>");
	g_free(s);
	s = addrs(m, GMIME_ADDRESS_TYPE_TO);
	CHECK_EQ_STR(s, "owner@cafe.example");
	g_free(s);
	CHECK_EQ_STR(g_mime_message_get_message_id(m),
	    "draft-SKU-1-20240301@cafe.example");
	dt = g_mime_message_get_date(m);
	CHECK(dt != NULL && g_date_time_to_unix(dt) == DATE);
	CHECK_EQ_STR(g_mime_object_get_header(GMIME_OBJECT(m),
	    "Auto-Submitted"), "auto-generated");
	g_object_unref(m);
	buf_free(&eml);

	d.move = "urgent_reorder";
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), 0);
	if ((m = parse(&eml)) != NULL) {
		CHECK_EQ_STR(g_mime_message_get_subject(m), "URGENT reorder: "
		    "Beans <b>&\"dark\" " DASH " 48 from Acme");
		g_object_unref(m);
	}
	buf_free(&eml);
}

TEST(draft_eml_bodies)
{
	static const char *const words[] = {
		"capped by your order cap",
		"the cap is smaller than one pack",
		"below the supplier's minimum order",
		("supplier not in your suppliers doc: "
		    "using the fallback supplier"),
	};
	struct compose_draft d = draft();
	struct buf eml = { 0 };
	GMimeMessage *m;
	GMimeObject *top;
	char *text, *html;
	size_t i;

	d.flags = "capped,cap_breaks_pack, below_supplier_min,"
	    "fallback_supplier";
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), 0);
	if ((m = parse(&eml)) == NULL) {
		CHECK(m != NULL);
		buf_free(&eml);
		return;
	}
	top = g_mime_message_get_mime_part(m);
	CHECK(is_type(top, "multipart", "alternative"));
	CHECK(is_type(sub(top, 0), "text", "plain"));
	CHECK(is_type(sub(top, 1), "text", "html"));
	CHECK(sub(top, 2) == NULL);
	text = text_of(sub(top, 0));
	html = text_of(sub(top, 1));

	CHECK(strstr(text, "Beans <b>&\"dark\" (SKU-1)") != NULL);
	CHECK(strstr(text, "On hand:        10\n") != NULL);
	CHECK(strstr(text, "Reorder point:  18\n") != NULL);
	CHECK(strstr(text, "48 from Acme <orders@acme.example>") != NULL);
	CHECK(strstr(text, d.explain) != NULL);
	CHECK(strstr(text, po_text) != NULL);
	CHECK(strstr(text, "ir-approve --approve SKU-1-20240301\n") != NULL);
	CHECK(strstr(text, "ir-approve --approve SKU-1-20240301 --qty N\n") !=
	    NULL);
	CHECK(strstr(text, "ir-approve --skip SKU-1-20240301\n") != NULL);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		CHECK(strstr(text, words[i]) != NULL);
	CHECK(strstr(text, "capped,") == NULL);

	/* Every value escaped: nothing of the raw name is markup. */
	CHECK(strstr(html, "Beans &lt;b&gt;&amp;&quot;dark&quot;") != NULL);
	CHECK(strstr(html, "<b>") == NULL);
	CHECK(strstr(html, "&\"") == NULL);
	CHECK(strstr(html, "&lt;orders@acme.example&gt;") != NULL);
	CHECK(strstr(html, "below the supplier&#39;s minimum order") != NULL);
	CHECK(strstr(html, "<pre>Hello Acme,") != NULL);
	CHECK(strstr(html, CAFE) != NULL);		/* decoded UTF-8 */
	CHECK(strstr(html, "ir-approve --skip SKU-1-20240301") != NULL);
	g_free(text);
	g_free(html);

	CHECK(g_mime_part_get_content_encoding(GMIME_PART(sub(top, 0))) ==
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	CHECK_EQ_STR(g_mime_object_get_content_type_parameter(sub(top, 0),
	    "charset"), "utf-8");
	g_object_unref(m);
	buf_free(&eml);
}

TEST(draft_eml_no_supplier_email)
{
	struct compose_draft d = draft();
	struct buf eml = { 0 };
	GMimeMessage *m;
	char *text;

	d.supplier_email = "";
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), 0);
	if ((m = parse(&eml)) != NULL) {
		text = text_of(sub(g_mime_message_get_mime_part(m), 0));
		CHECK(strstr(text, "no email address") != NULL);
		CHECK(strstr(text, "<>") == NULL);
		g_free(text);
		g_object_unref(m);
	}
	buf_free(&eml);
}

TEST(draft_eml_deterministic)
{
	struct compose_draft d = draft();
	struct buf a = { 0 }, b = { 0 };

	CHECK_EQ_INT(compose_draft_eml(&d, &a), 0);
	CHECK_EQ_INT(compose_draft_eml(&d, &b), 0);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	buf_free(&a);
	buf_free(&b);
}

/* The text and HTML parts of a draft, g_free'd by the caller. */
static void
draft_parts(const struct compose_draft *d, char **text, char **html)
{
	struct buf eml = { 0 };
	GMimeMessage *m;
	GMimeObject *top;

	*text = g_strdup("");
	*html = g_strdup("");
	if (compose_draft_eml(d, &eml) == 0 && (m = parse(&eml)) != NULL) {
		top = g_mime_message_get_mime_part(m);
		g_free(*text);
		g_free(*html);
		*text = text_of(sub(top, 0));
		*html = text_of(sub(top, 1));
		g_object_unref(m);
	}
	buf_free(&eml);
}

TEST(draft_eml_links)
{
	struct compose_draft d = draft();
	struct buf a = { 0 }, b = { 0 };
	char *text, *html;

	d.approve_url = "https://shop.example/a/AP.x";
	d.edit_url = "https://shop.example/a/ED.y?k=1&v=\"2\"";
	d.skip_url = "https://shop.example/a/SK.z";
	d.links_until = "2024-03-08 08:00 (UTC)";
	draft_parts(&d, &text, &html);
	CHECK(strstr(text, "To send it, open this link and confirm:\n"
	    "  https://shop.example/a/AP.x\n") != NULL);
	CHECK(strstr(text, "To change the amount:\n"
	    "  https://shop.example/a/ED.y?k=1&v=\"2\"\n") != NULL);
	CHECK(strstr(text, "To skip it this time:\n"
	    "  https://shop.example/a/SK.z\n") != NULL);
	CHECK(strstr(text, "The links work until 2024-03-08 08:00 (UTC).") !=
	    NULL);
	CHECK(strstr(text, "asks you to confirm") != NULL);
	CHECK(strstr(text, "From a terminal instead:  ir-approve --approve "
	    "SKU-1-20240301 [--qty N]\n") != NULL);
	CHECK(strstr(text, "ir-approve --skip") == NULL);
	/* the links as buttons, every URL escaped in its attribute */
	CHECK(strstr(html, "<a href=\"https://shop.example/a/AP.x\"") != NULL);
	CHECK(strstr(html, "<a href=\"https://shop.example/a/ED.y?k=1&amp;"
	    "v=&quot;2&quot;\"") != NULL);
	CHECK(strstr(html, "Approve and send</a>") != NULL);
	CHECK(strstr(html, "Change the amount</a>") != NULL);
	CHECK(strstr(html, "Skip this time</a>") != NULL);
	CHECK(strstr(html, "2024-03-08 08:00 (UTC)") != NULL);
	CHECK(strstr(html, "</body></html>") != NULL);
	g_free(text);
	g_free(html);
	/* deterministic with links too */
	CHECK_EQ_INT(compose_draft_eml(&d, &a), 0);
	CHECK_EQ_INT(compose_draft_eml(&d, &b), 0);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	buf_free(&a);
	buf_free(&b);
}

TEST(draft_eml_links_need_all_three)
{
	struct compose_draft d = draft();
	char *text, *html;

	d.approve_url = "https://shop.example/a/AP.x";
	d.edit_url = "https://shop.example/a/ED.y";
	d.skip_url = "";
	draft_parts(&d, &text, &html);
	CHECK(strstr(text, "/a/") == NULL);
	CHECK(strstr(html, "/a/") == NULL);
	CHECK(strstr(text, "To skip it this time:  ir-approve --skip "
	    "SKU-1-20240301\n") != NULL);
	g_free(text);
	g_free(html);
}

TEST(draft_eml_message_id_forms)
{
	struct compose_draft d = draft();
	struct buf eml = { 0 };
	GMimeMessage *m;

	d.order_id = "A B.=x";
	d.from = "bot@shop.example";
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), 0);
	if ((m = parse(&eml)) != NULL) {
		CHECK_EQ_STR(g_mime_message_get_message_id(m),
		    "draft-A=20B.=3Dx@shop.example");
		g_object_unref(m);
	}
	buf_free(&eml);
}

TEST(draft_eml_bad_address)
{
	struct compose_draft d = draft();
	struct buf eml = { 0 };

	buf_adds(&eml, "kept");
	d.from = "";
	errno = 0;
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_STR(eml.p, "kept");
	d = draft();
	d.owner_email = "";
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), -1);
	CHECK_EQ_STR(eml.p, "kept");
	buf_free(&eml);
}

TEST(long_lines_stay_under_998)
{
	struct compose_draft d = draft();
	struct compose_po p = po();
	struct buf eml = { 0 };
	GMimeMessage *m;
	char *name = repeat("x", 1200), *line = repeat("word ", 1000);
	char *longtext, *subject, *text;

	longtext = malloc(strlen(line) + 3);
	snprintf(longtext, strlen(line) + 3, "%s\n", line);
	d.item_name = name;
	d.po_text = longtext;
	CHECK_EQ_INT(compose_draft_eml(&d, &eml), 0);
	CHECK(longest_line(&eml) <= 998);
	if ((m = parse(&eml)) != NULL) {
		subject = g_strdup_printf("Reorder: %s " DASH " 48 from Acme",
		    name);
		CHECK_EQ_STR(g_mime_message_get_subject(m), subject);
		g_free(subject);
		text = text_of(sub(g_mime_message_get_mime_part(m), 0));
		CHECK(strstr(text, longtext) != NULL);
		g_free(text);
		g_object_unref(m);
	}
	buf_free(&eml);

	p.text = longtext;
	p.item_name = name;
	p.subject = name;
	CHECK_EQ_INT(compose_po_eml(&p, &eml), 0);
	CHECK(longest_line(&eml) <= 998);
	if ((m = parse(&eml)) != NULL) {
		CHECK_EQ_STR(g_mime_message_get_subject(m), name);
		text = text_of(sub(sub(g_mime_message_get_mime_part(m), 0),
		    0));
		CHECK_EQ_STR(text, longtext);
		g_free(text);
		g_object_unref(m);
	}
	buf_free(&eml);
	free(name);
	free(line);
	free(longtext);
}

TEST(po_eml_headers)
{
	struct compose_po p = po();
	struct buf eml = { 0 };
	GMimeMessage *m;
	GDateTime *dt;
	char *s;

	CHECK_EQ_INT(compose_po_eml(&p, &eml), 0);
	CHECK(ascii_only(&eml));
	if ((m = parse(&eml)) == NULL) {
		CHECK(m != NULL);
		buf_free(&eml);
		return;
	}
	s = addrs(m, GMIME_ADDRESS_TYPE_FROM);
	CHECK_EQ_STR(s, CAFE " <bot@cafe.example>");
	g_free(s);
	s = addrs(m, GMIME_ADDRESS_TYPE_REPLY_TO);
	CHECK_EQ_STR(s, "Owner of " CAFE " <owner@cafe.example>");
	g_free(s);
	s = addrs(m, GMIME_ADDRESS_TYPE_TO);
	CHECK_EQ_STR(s, "\"Acme " CAFE ", Ltd\" <orders@acme.example>");
	g_free(s);
	CHECK_EQ_INT(internet_address_list_length(
	    g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO)), 1);
	CHECK_EQ_STR(g_mime_message_get_subject(m),
	    "Purchase order SKU-1-20240301 from " CAFE);
	CHECK_EQ_STR(g_mime_message_get_message_id(m),
	    "po-SKU-1-20240301@cafe.example");
	dt = g_mime_message_get_date(m);
	CHECK(dt != NULL && g_date_time_to_unix(dt) == DATE);
	g_object_unref(m);
	buf_free(&eml);

	/* A bad To is refused, and nothing is appended. */
	p.to = "";
	CHECK_EQ_INT(compose_po_eml(&p, &eml), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(eml.len, 0);
	p.to = "a@example.com, b@example.com";
	CHECK_EQ_INT(compose_po_eml(&p, &eml), -1);
	buf_free(&eml);
}

TEST(po_eml_parts)
{
	static const char csv[] =
	    "order_id,item_id,description,qty,unit_cost,currency,line_total\r\n"
	    "SKU-1-20240301,SKU-1,\"Beans, \"\"dark\"\"\",48,2.50,EUR,"
	    "120.00\r\n";
	struct compose_po p = po();
	struct buf eml = { 0 }, data = { 0 };
	GMimeMessage *m;
	GMimeObject *top, *alt, *att;
	char *text, *html;

	CHECK_EQ_INT(compose_po_eml(&p, &eml), 0);
	if ((m = parse(&eml)) == NULL) {
		CHECK(m != NULL);
		buf_free(&eml);
		return;
	}
	top = g_mime_message_get_mime_part(m);
	alt = sub(top, 0);
	att = sub(top, 1);
	CHECK(is_type(top, "multipart", "mixed"));
	CHECK(is_type(alt, "multipart", "alternative"));
	CHECK(is_type(sub(alt, 0), "text", "plain"));
	CHECK(is_type(sub(alt, 1), "text", "html"));
	CHECK(is_type(att, "text", "csv"));
	CHECK(sub(top, 2) == NULL);

	text = text_of(sub(alt, 0));
	CHECK_EQ_STR(text, po_text);
	g_free(text);
	html = text_of(sub(alt, 1));
	CHECK(strstr(html, "Beans &lt;b&gt;&amp;&quot;dark&quot;") != NULL);
	CHECK(strstr(html, "<b>") == NULL);
	CHECK(strstr(html, "<td>Beans, &quot;dark&quot;</td>") != NULL);
	CHECK(strstr(html, ">2.50 EUR</td>") != NULL);
	CHECK(strstr(html, ">120.00 EUR</td>") != NULL);
	g_free(html);

	CHECK(att != NULL && GMIME_IS_PART(att));
	if (att != NULL && GMIME_IS_PART(att)) {
		CHECK_EQ_STR(g_mime_part_get_filename(GMIME_PART(att)),
		    "PO-SKU-1-20240301.csv");
		CHECK(g_mime_part_get_content_encoding(GMIME_PART(att)) ==
		    GMIME_CONTENT_ENCODING_BASE64);
		CHECK(g_mime_part_is_attachment(GMIME_PART(att)));
		content_of(att, &data);
		CHECK_EQ_STR(data.p, csv);
	}
	g_object_unref(m);
	buf_free(&eml);
	buf_free(&data);
}

TEST(po_csv_line_total)
{
	static const struct {
		const char	*cost;
		long long	 qty;
		const char	*total;
	} cases[] = {
		{ "2.50", 3, "7.50" },
		{ "0.125", 8, "1.000" },
		{ "19.99", 1000, "19990.00" },
		{ "3", 7, "21" },
		{ "0.1", 3, "0.3" },
		{ "0.07", 0, "0.00" },
		{ "0.5", -3, "-1.5" },
		{ "99999999999999999999.99", 9223372036854775807LL,
		    "922337203685477580699907766279631452241.93" },
		{ "", 5, "" },
		{ "abc", 2, "" },
		{ "1.", 2, "" },
		{ ".5", 2, "" },
		{ "1.2.3", 2, "" },
		{ "-1", 2, "" },
		{ "1e3", 2, "" },
	};
	struct compose_po p = po();
	struct buf data = { 0 };
	const char *row;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.unit_cost = cases[i].cost;
		p.qty = cases[i].qty;
		buf_reset(&data);
		po_csv(&p, &data);
		CHECK(data.len > 2);
		if (data.len <= 2)
			continue;
		/* the last field of the last row, before its CRLF */
		data.p[data.len - 2] = '\0';
		row = strrchr(data.p, ',') + 1;
		n = strlen(cases[i].total);
		if (strcmp(row, cases[i].total) != 0)
			fprintf(stderr, "case %zu: %s\n", i, row);
		CHECK(strlen(row) == n && strcmp(row, cases[i].total) == 0);
	}
	buf_free(&data);
}

TEST(po_csv_quoting)
{
	struct compose_po p = po();
	struct buf data = { 0 };

	p.order_id = "O1";
	p.item_id = "a,b";
	p.item_name = "line1\nline2";
	p.unit_cost = "";
	p.currency = "";
	po_csv(&p, &data);
	CHECK_EQ_STR(data.p, "order_id,item_id,description,qty,unit_cost,"
	    "currency,line_total\r\nO1,\"a,b\",\"line1\nline2\",48,,,\r\n");
	buf_free(&data);
}

/* The parsed Slack payload of d; the caller json_decref()s it. */
static json_t *
slack(const struct compose_draft *d)
{
	struct buf out = { 0 };
	json_error_t e;
	json_t *root = NULL;

	CHECK_EQ_INT(compose_draft_slack(d, &out), 0);
	if (out.p != NULL) {
		CHECK(strchr(out.p, '\n') == NULL);	/* one line */
		root = json_loads(out.p, JSON_REJECT_DUPLICATES, &e);
	}
	CHECK(root != NULL);
	buf_free(&out);
	return root;
}

/* The first block of type in root, borrowed. */
static json_t *
block(json_t *root, const char *type, size_t nth)
{
	json_t *b;
	size_t i;

	json_array_foreach(json_object_get(root, "blocks"), i, b)
		if (strcmp(json_string_value(json_object_get(b, "type")),
		    type) == 0 && nth-- == 0)
			return b;
	return NULL;
}

/* The text of a block's text object. */
static const char *
btext(json_t *b)
{
	const char *s;

	s = json_string_value(json_object_get(json_object_get(b, "text"),
	    "text"));
	return s != NULL ? s : "";
}

TEST(slack_buttons)
{
	static const char *const action[] = { "approve", "edit", "skip" };
	static const char *const style[] = { "primary", NULL, "danger" };
	struct compose_draft d = draft();
	json_t *root, *act, *el, *b;
	const char *s;
	size_t i;

	if ((root = slack(&d)) == NULL)
		return;
	CHECK(json_array_size(json_object_get(root, "blocks")) <= 50);
	act = block(root, "actions", 0);
	CHECK_EQ_STR(json_string_value(json_object_get(act, "block_id")),
	    "order:SKU-1-20240301");
	el = json_object_get(act, "elements");
	CHECK_EQ_INT(json_array_size(el), 3);
	for (i = 0; i < 3 && i < json_array_size(el); i++) {
		b = json_array_get(el, i);
		CHECK_EQ_STR(json_string_value(json_object_get(b, "type")),
		    "button");
		CHECK_EQ_STR(json_string_value(json_object_get(b,
		    "action_id")), action[i]);
		CHECK_EQ_STR(json_string_value(json_object_get(b, "value")),
		    "SKU-1-20240301");
		s = json_string_value(json_object_get(b, "style"));
		if (style[i] == NULL)
			CHECK(s == NULL);
		else
			CHECK_EQ_STR(s, style[i]);
		s = btext(b);
		CHECK(chars(s) > 0 && chars(s) <= 75);
	}
	json_decref(root);
}

TEST(slack_content_escaped)
{
	struct compose_draft d = draft();
	json_t *root, *sec, *fields, *f, *ctx, *e;
	const char *s;
	size_t i;
	int found = 0;

	d.flags = "capped,fallback_supplier";
	d.move = "urgent_reorder";
	if ((root = slack(&d)) == NULL)
		return;
	s = json_string_value(json_object_get(root, "text"));
	CHECK_EQ_STR(s, "URGENT reorder: Beans &lt;b&gt;&amp;\"dark\" " DASH
	    " 48 from Acme");
	CHECK_EQ_STR(btext(block(root, "header", 0)),
	    "URGENT reorder: Beans <b>&\"dark\" " DASH " 48 from Acme");
	sec = block(root, "section", 0);
	CHECK(strstr(btext(sec), "Beans &lt;b&gt;&amp;\"dark\" (SKU-1)") !=
	    NULL);
	CHECK(strstr(btext(sec), "URGENT") != NULL);
	CHECK(strstr(btext(sec), d.explain) != NULL);
	fields = json_object_get(block(root, "section", 1), "fields");
	CHECK(json_array_size(fields) >= 4 && json_array_size(fields) <= 10);
	json_array_foreach(fields, i, f) {
		s = json_string_value(json_object_get(f, "text"));
		CHECK(s != NULL && chars(s) <= 2000);
		if (s != NULL && strcmp(s, "*Order*\n48") == 0)
			found = 1;
	}
	CHECK(found);
	ctx = json_object_get(block(root, "context", 0), "elements");
	found = 0;
	json_array_foreach(ctx, i, e) {
		s = json_string_value(json_object_get(e, "text"));
		if (s != NULL && strstr(s, "capped by your order cap") &&
		    strstr(s, "using the fallback supplier"))
			found = 1;
	}
	CHECK(found);
	s = btext(block(root, "section", 2));
	CHECK(strstr(s, "Beans &lt;b&gt;&amp;\"dark\"") != NULL);
	CHECK(strstr(s, "<b>") == NULL);
	CHECK(strstr(s, "truncated") == NULL);
	json_decref(root);
}

TEST(slack_limits)
{
	struct compose_draft d = draft();
	json_t *root, *b;
	char *name = repeat("\xc3\xa9", 300), *big = repeat("x<y&z\n", 1700);
	const char *s;
	size_t i;

	d.item_name = name;
	d.po_text = big;				/* 10 kB */
	d.explain = big;
	if ((root = slack(&d)) == NULL)
		goto out;
	s = btext(block(root, "header", 0));
	CHECK(chars(s) <= 150);
	CHECK(strncmp(s, "Reorder: \xc3\xa9\xc3\xa9", 13) == 0);
	json_array_foreach(json_object_get(root, "blocks"), i, b)
		CHECK(chars(btext(b)) <= 3000);
	s = btext(block(root, "section", 2));
	CHECK(chars(s) > 2900);
	CHECK(strstr(s, "\xe2\x80\xa6 (truncated)") != NULL);
	CHECK(strstr(s, "```\n") != NULL);		/* fence closed */
	s = btext(block(root, "section", 0));
	CHECK(strstr(s, "\xe2\x80\xa6 (truncated)") != NULL);
	json_decref(root);
out:
	free(name);
	free(big);
}

TEST(slack_cut_keeps_entities)
{
	struct compose_draft d = draft();
	char *amps = repeat("&", 5000);
	json_t *root;
	const char *s, *p;
	int whole = 1;

	d.po_text = amps;
	if ((root = slack(&d)) == NULL)
		goto out;
	s = btext(block(root, "section", 2));
	for (p = s; (p = strchr(p, '&')) != NULL; p++)
		if (strncmp(p, "&amp;", 5) != 0)
			whole = 0;
	CHECK(whole);
	CHECK(chars(s) <= 3000);
	json_decref(root);
out:
	free(amps);
}

TEST(slack_ids)
{
	struct compose_draft d = draft();
	struct buf out = { 0 };
	char *id = repeat("a", 250);
	json_t *root, *act;

	/* "order:" + 250 is over 255: no block_id, the values carry it. */
	d.order_id = id;
	if ((root = slack(&d)) != NULL) {
		act = block(root, "actions", 0);
		CHECK(json_object_get(act, "block_id") == NULL);
		CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(
		    json_object_get(act, "elements"), 0), "value")), id);
		json_decref(root);
	}
	buf_adds(&out, "kept");
	d.order_id = "";
	CHECK_EQ_INT(compose_draft_slack(&d, &out), -1);
	CHECK_EQ_INT(errno, EINVAL);
	d.order_id = "bad\xff";
	CHECK_EQ_INT(compose_draft_slack(&d, &out), -1);
	CHECK_EQ_STR(out.p, "kept");
	buf_free(&out);
	free(id);
}

TEST(slack_empty_po_text)
{
	struct compose_draft d = draft();
	json_t *root;
	const char *s;

	d.po_text = "";
	if ((root = slack(&d)) == NULL)
		return;
	s = btext(block(root, "section", 2));
	CHECK(strstr(s, "(no text)") != NULL);
	CHECK(strstr(s, "```") == NULL);
	json_decref(root);
}

TEST(slack_bad_utf8)
{
	struct compose_draft d = draft();
	json_t *root;

	d.item_name = "Beans \xff\xfe end";
	d.po_text = "\xc3";
	if ((root = slack(&d)) == NULL)
		return;
	CHECK(strstr(btext(block(root, "header", 0)),
	    "Beans \xef\xbf\xbd\xef\xbf\xbd end") != NULL);
	json_decref(root);
}

int
main(void)
{
	g_mime_init();
	RUN(template_substitutes);
	RUN(template_appends);
	RUN(default_template_fills);
	RUN(draft_eml_headers);
	RUN(draft_eml_bodies);
	RUN(draft_eml_no_supplier_email);
	RUN(draft_eml_deterministic);
	RUN(draft_eml_links);
	RUN(draft_eml_links_need_all_three);
	RUN(draft_eml_message_id_forms);
	RUN(draft_eml_bad_address);
	RUN(long_lines_stay_under_998);
	RUN(po_eml_headers);
	RUN(po_eml_parts);
	RUN(po_csv_line_total);
	RUN(po_csv_quoting);
	RUN(slack_buttons);
	RUN(slack_content_escaped);
	RUN(slack_limits);
	RUN(slack_cut_keeps_entities);
	RUN(slack_ids);
	RUN(slack_empty_po_text);
	RUN(slack_bad_utf8);
	g_mime_shutdown();
	return unit_summary();
}
