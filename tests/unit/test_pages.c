/*
 * test_pages: the signed links' HTML pages. Every value escaped, the form
 * only when asked for, no script and no external resource, and the
 * headers that keep the token out of caches, frames and Referers.
 */
#include <string.h>

#include "pages.h"
#include "unit.h"

#define NASTY	"<script>alert(1)</script> & \"q\" 'a'"
#define ESCAPED	"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; " \
		"&#39;a&#39;"

/* How many times needle occurs in s. */
static int
count(const char *s, const char *needle)
{
	int n = 0;

	while (s != NULL && (s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

TEST(escaped_everywhere)
{
	struct page_row rows[] = { { "Item", NASTY }, { NASTY, "x\ny<z>" } };
	struct page pg = { 0 };
	struct buf b = { 0 };

	pg.kind = PAGE_ASK;
	pg.title = NASTY;
	pg.lead = NASTY;
	pg.rows = rows;
	pg.nrows = 2;
	pg.error = NASTY;
	pg.button = NASTY;
	pg.qty_field = 1;
	pg.qty_value = "\"><script>";
	pg.cap = -1;
	pg.note = NASTY;
	CHECK_EQ_INT(pages_render(&pg, &b), 0);
	CHECK(strstr(b.p, "<script") == NULL);
	CHECK(strstr(b.p, "\"q\"") == NULL);
	/* title, h1, lead, th, td, error, button, note */
	CHECK_EQ_INT(count(b.p, ESCAPED), 8);
	CHECK(strstr(b.p, "value=\"&quot;&gt;&lt;script&gt;\"") != NULL);
	/* a line break in a value */
	CHECK(strstr(b.p, "<td>x<br>y&lt;z&gt;</td>") != NULL);
	buf_free(&b);
}

TEST(confirmation_form)
{
	struct page_row rows[] = { { "Quantity", "30" } };
	struct page pg = { 0 };
	struct buf b = { 0 };

	pg.kind = PAGE_ASK;
	pg.title = "Change the quantity";
	pg.rows = rows;
	pg.nrows = 1;
	pg.button = "Confirm";
	pg.qty_field = 1;
	pg.qty_value = "30";
	pg.cap = 35;
	pg.cap_checked = 1;
	CHECK_EQ_INT(pages_render(&pg, &b), 0);
	CHECK(strncmp(b.p, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
	CHECK(strstr(b.p, "<meta charset=\"utf-8\">") != NULL);
	CHECK(strstr(b.p, "<meta name=\"viewport\" content=\"width=device-"
	    "width, initial-scale=1\">") != NULL);
	/* posts to its own URL: no action attribute */
	CHECK(strstr(b.p, "<form method=\"post\">") != NULL);
	CHECK(strstr(b.p, "action=") == NULL);
	CHECK(strstr(b.p, "name=\"qty\" type=\"number\" min=\"1\" step=\"1\"") !=
	    NULL);
	CHECK(strstr(b.p, "value=\"30\"") != NULL);
	CHECK(strstr(b.p, "name=\"confirm\" value=\"over_cap\" checked> "
	    "<span>Order more than the cap of 35</span>") != NULL);
	CHECK(strstr(b.p, "<button type=\"submit\">Confirm</button>") != NULL);
	CHECK(strstr(b.p, "class=\"card ask\"") != NULL);
	/* nothing from elsewhere, nothing that runs */
	CHECK(strstr(b.p, "<script") == NULL);
	CHECK(strstr(b.p, "http") == NULL);
	buf_free(&b);
}

TEST(no_form_unless_asked)
{
	struct page pg = { 0 };
	struct buf b = { 0 };

	buf_adds(&b, "kept:");
	pg.kind = PAGE_REFUSED;
	pg.title = "This link has expired";
	pg.lead = "Nothing was changed.";
	pg.cap = 35;			/* ignored without a form */
	CHECK_EQ_INT(pages_render(&pg, &b), 0);
	CHECK(strncmp(b.p, "kept:<!DOCTYPE html>", 20) == 0);
	CHECK(strstr(b.p, "<form") == NULL);
	CHECK(strstr(b.p, "<table") == NULL);
	CHECK(strstr(b.p, "over_cap") == NULL);
	CHECK(strstr(b.p, "class=\"card refused\"") != NULL);
	CHECK(strstr(b.p, "<h1>This link has expired</h1>") != NULL);
	buf_free(&b);
	/* a kind out of range is drawn as a question, not read past */
	pg.kind = 99;
	CHECK_EQ_INT(pages_render(&pg, &b), 0);
	CHECK(strstr(b.p, "class=\"card ask\"") != NULL);
	buf_free(&b);
}

TEST(headers)
{
	const char *const *h = pages_headers();
	const char *want[] = { "Cache-Control: no-store",
	    "X-Frame-Options: DENY", "Referrer-Policy: no-referrer",
	    "X-Content-Type-Options: nosniff" };
	size_t i, n;
	int found, csp = 0;

	for (n = 0; h[n] != NULL; n++)
		if (strncmp(h[n], "Content-Security-Policy: default-src 'none';",
		    44) == 0 && strstr(h[n], "frame-ancestors 'none'") &&
		    strstr(h[n], "form-action 'self'"))
			csp = 1;
	CHECK(csp);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		found = 0;
		for (n = 0; h[n] != NULL; n++)
			found |= strcmp(h[n], want[i]) == 0;
		CHECK(found);
	}
	CHECK_EQ_STR(PAGES_CONTENT_TYPE, "text/html; charset=utf-8");
}

int
main(void)
{
	RUN(escaped_everywhere);
	RUN(confirmation_form);
	RUN(no_form_unless_asked);
	RUN(headers);
	return unit_summary();
}
