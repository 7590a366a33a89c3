/*
 * pages: the signed links' HTML pages. See pages.h.
 *
 * One template: a card with a heading, a paragraph, the order as a table,
 * perhaps a form, and small print. The CSS is inline (a Content-Security-
 * Policy forbids anything else) and sized for a phone first: one column,
 * large type, a full-width button.
 */
#include <string.h>

#include "compose.h"
#include "pages.h"

static const char *const headers[] = {
	"Cache-Control: no-store",
	"X-Frame-Options: DENY",
	"Referrer-Policy: no-referrer",
	"X-Content-Type-Options: nosniff",
	"Content-Security-Policy: default-src 'none'; "
	    "style-src 'unsafe-inline'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'",
	NULL
};

static const char style[] =
    "body{margin:0;background:#f3f4f6;color:#1f2328;"
    "font:18px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"DejaVu Sans\",sans-serif}"
    "main{max-width:34rem;margin:0 auto;padding:1rem}"
    ".card{background:#fff;border-radius:12px;padding:1.25rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}"
    "h1{font-size:1.45rem;line-height:1.25;margin:0 0 .75rem}"
    ".ask h1{color:#0b4f9c}.done h1{color:#1a7f37}"
    ".refused h1{color:#9a3412}.problem h1{color:#b42318}"
    "p{margin:.5rem 0}"
    "table{width:100%;table-layout:fixed;border-collapse:collapse;"
    "margin:1rem 0}"
    "th,td{text-align:left;vertical-align:top;padding:.5rem 0;"
    "border-top:1px solid #e5e7eb;overflow-wrap:break-word}"
    "th{font-weight:600;color:#57606a;width:36%;padding-right:.75rem}"
    "label{display:block;font-weight:600;margin:1rem 0 .35rem}"
    "input[type=number]{font:inherit;font-size:1.3rem;width:100%;"
    "box-sizing:border-box;padding:.6rem .75rem;border:2px solid #8c959f;"
    "border-radius:8px}"
    "label.check{display:flex;gap:.6rem;align-items:flex-start;"
    "font-weight:400}"
    "label.check input{width:1.4rem;height:1.4rem;margin:.15rem 0 0}"
    "button{display:block;width:100%;font:inherit;font-weight:600;"
    "font-size:1.15rem;padding:.9rem;margin:1.25rem 0 .5rem;border:0;"
    "border-radius:10px;background:#1a7f37;color:#fff}"
    "button.danger{background:#b42318}"
    ".error{color:#b42318;font-weight:600}"
    ".small{color:#57606a;font-size:.9rem}"
    /* a phone: each heading above its value, full width */
    "@media (max-width:32rem){tr{display:block;padding:.45rem 0;"
    "border-top:1px solid #e5e7eb}th,td{display:block;width:auto;"
    "padding:0;border:0}th{font-size:.85rem}}";

/* Appends s escaped, each line break as <br>. */
static int
add_html_lines(struct buf *out, const char *s)
{
	struct buf line = { 0 };
	const char *nl;
	int rc = 0;

	while (rc == 0 && (nl = strchr(s, '\n')) != NULL) {
		buf_reset(&line);
		rc = buf_add(&line, s, (size_t)(nl - s)) == -1 ||
		    compose_html(out, line.p ? line.p : "") == -1 ||
		    buf_adds(out, "<br>") == -1 ? -1 : 0;
		s = nl + 1;
	}
	buf_free(&line);
	return rc == 0 ? compose_html(out, s) : -1;
}

/* <tag class="cls">escaped text</tag>, line breaks as <br>. */
static int
element(struct buf *out, const char *tag, const char *cls, const char *text)
{
	if (buf_addf(out, "<%s%s%s%s>", tag, cls ? " class=\"" : "",
	    cls ? cls : "", cls ? "\"" : "") == -1 ||
	    add_html_lines(out, text) == -1)
		return -1;
	return buf_addf(out, "</%s>\n", tag);
}

static int
form(struct buf *out, const struct page *pg)
{
	if (buf_adds(out, "<form method=\"post\">\n") == -1)
		return -1;
	if (pg->error != NULL && element(out, "p", "error", pg->error) == -1)
		return -1;
	if (pg->qty_field && (buf_adds(out, "<label for=\"qty\">Quantity"
	    "</label>\n<input id=\"qty\" name=\"qty\" type=\"number\" "
	    "min=\"1\" step=\"1\" inputmode=\"numeric\" required "
	    "autocomplete=\"off\" value=\"") == -1 ||
	    compose_html(out, pg->qty_value ? pg->qty_value : "") == -1 ||
	    buf_adds(out, "\">\n") == -1))
		return -1;
	if (pg->qty_field && pg->cap >= 0 && buf_addf(out, "<label "
	    "class=\"check\"><input type=\"checkbox\" name=\"confirm\" "
	    "value=\"over_cap\"%s> <span>Order more than the cap of %lld"
	    "</span></label>\n", pg->cap_checked ? " checked" : "",
	    pg->cap) == -1)
		return -1;
	if (buf_addf(out, "<button type=\"submit\"%s>",
	    pg->danger ? " class=\"danger\"" : "") == -1 ||
	    compose_html(out, pg->button) == -1)
		return -1;
	return buf_adds(out, "</button>\n</form>\n");
}

/* pages_render: see pages.h. */
int
pages_render(const struct page *pg, struct buf *out)
{
	static const char *const kinds[] = { "ask", "done", "refused",
	    "problem" };
	size_t orig = out->len;
	int i;

	if (buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"robots\" content=\"noindex\">\n") == -1 ||
	    element(out, "title", NULL, pg->title) == -1 ||
	    buf_addf(out, "<style>%s</style>\n</head>\n<body>\n<main>\n"
	    "<div class=\"card %s\">\n", style, kinds[pg->kind >= 0 &&
	    pg->kind <= PAGE_PROBLEM ? pg->kind : 0]) == -1 ||
	    element(out, "h1", NULL, pg->title) == -1)
		goto fail;
	if (pg->lead != NULL && element(out, "p", NULL, pg->lead) == -1)
		goto fail;
	if (pg->rows != NULL && pg->nrows > 0) {
		if (buf_adds(out, "<table>\n") == -1)
			goto fail;
		for (i = 0; i < pg->nrows; i++)
			if (buf_adds(out, "<tr>") == -1 ||
			    element(out, "th", NULL, pg->rows[i].head) == -1 ||
			    element(out, "td", NULL, pg->rows[i].value ?
			    pg->rows[i].value : "") == -1 ||
			    buf_adds(out, "</tr>\n") == -1)
				goto fail;
		if (buf_adds(out, "</table>\n") == -1)
			goto fail;
	}
	if (pg->button == NULL && pg->error != NULL &&
	    element(out, "p", "error", pg->error) == -1)
		goto fail;
	if (pg->button != NULL && form(out, pg) == -1)
		goto fail;
	if (pg->note != NULL && element(out, "p", "small", pg->note) == -1)
		goto fail;
	if (buf_adds(out, "</div>\n</main>\n</body>\n</html>\n") == -1)
		goto fail;
	return 0;
fail:
	out->len = orig;
	if (out->p != NULL)
		out->p[orig] = '\0';
	return -1;
}

/* pages_headers: see pages.h. */
const char *const *
pages_headers(void)
{
	return headers;
}
