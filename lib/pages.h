/*
 * pages: the HTML pages of the owner's signed links (ir-approve --http,
 * GET and POST /a/TOKEN). Plain server-rendered HTML5: no JavaScript, no
 * external resources, a viewport and a little inline CSS so that they
 * read well on a phone. Every value is HTML-escaped here; callers pass
 * plain text, in which a line break becomes <br>.
 *
 * A page that asks for a confirmation carries a POST form to its own URL
 * (no action attribute), so the token stays in the path and nowhere else.
 *
 * Ownership: the page and its strings are borrowed; the HTML is appended
 * to the caller's buf.
 */
#ifndef IR_PAGES_H
#define IR_PAGES_H

#include "buf.h"

#define PAGES_CONTENT_TYPE	"text/html; charset=utf-8"

enum page_kind {
	PAGE_ASK = 0,		/* a question: confirm or not */
	PAGE_DONE,		/* it happened */
	PAGE_REFUSED,		/* expired, not valid, already done */
	PAGE_PROBLEM		/* could not be done now */
};

struct page_row {
	const char	*head;
	const char	*value;
};

struct page {
	int		 kind;		/* enum page_kind: the heading colour */
	const char	*title;		/* <title> and <h1> */
	const char	*lead;		/* the first paragraph, or NULL */
	const struct page_row *rows;	/* the order as a table, or NULL */
	int		 nrows;
	const char	*error;		/* shown above the form, or NULL */
	const char	*button;	/* non-NULL: the POST form's button */
	int		 danger;	/* the button is red (skip) */
	int		 qty_field;	/* the form asks for the quantity */
	const char	*qty_value;	/* its value */
	long long	 cap;		/* >= 0: the over-the-cap checkbox */
	int		 cap_checked;
	const char	*note;		/* small print at the end, or NULL */
};

/* Appends the whole document. 0, or -1 on ENOMEM (out as it was). */
int	pages_render(const struct page *, struct buf *out);
/*
 * The response headers every page carries besides its Content-Type, as
 * "Name: value" strings, NULL-terminated (static storage): no caching, no
 * framing, no Referer (the token is in the URL), no sniffing, and a
 * Content-Security-Policy that allows nothing but the inline style and a
 * form posting to the page itself.
 */
const char *const *pages_headers(void);

#endif
