/*
 * compose: the messages people read. See compose.h.
 *
 * Emails are GMime objects written to a memory stream: GMime does the
 * header encoding (RFC 2047), folding, quoted-printable and base64. We
 * only assemble the plain text and HTML, always as UTF-8.
 *
 * Every message is deterministic for its inputs: the Date comes from the
 * caller, the Message-ID from the order id and the MIME boundaries are
 * fixed strings starting with "=_". A boundary must never occur in a body;
 * every part here is quoted-printable or base64, and neither encoding can
 * produce "=_" (quoted-printable writes '=' as "=3D", base64 has no '_'),
 * so a re-composed draft is byte for byte the message sent before.
 *
 * Slack payloads are jansson trees, dumped compact. Slack limits count
 * characters, so lengths here are counted in code points.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <jansson.h>

#include "compose.h"

/* Block Kit limits (protocols.md section 2), in characters. */
#define SLACK_HEADER_MAX	150
#define SLACK_SECTION_MAX	3000
#define SLACK_FIELD_MAX		2000
#define SLACK_BLOCK_ID_MAX	255
#define SLACK_VALUE_MAX		2000

/* "… (truncated)" */
#define TRUNCATED_NOTE		"\xe2\x80\xa6 (truncated)"
#define UTF8_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static const char default_template[] =
    "Hello {{supplier_name}},\n"
    "\n"
    "Please send {{shop_name}} the following order.\n"
    "\n"
    "  Order:      {{order_id}}\n"
    "  Item:       {{item_name}} (our ref. {{item_id}})\n"
    "  Quantity:   {{qty}}\n"
    "  Unit cost:  {{unit_cost}} {{currency}}\n"
    "\n"
    "We would like it delivered by {{expected_date}}. Please confirm the\n"
    "order, the price and the delivery date by replying to this email,\n"
    "or write to {{owner_email}} if anything has changed.\n"
    "\n"
    "Thank you,\n"
    "{{shop_name}}\n";

/* A NULL string field reads as empty. */
static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* GMime is set up once per process, on the first email composed. */
static void
gmime_init_once(void)
{
	g_mime_init();
}

/*
 * Length in bytes of the valid UTF-8 sequence at s (at most n bytes), or 0
 * when it is not one: overlong forms, surrogates and code points above
 * U+10FFFF are invalid.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Appends s (n bytes) to out with every invalid UTF-8 byte replaced by
 * U+FFFD, so GMime and jansson always get valid UTF-8. With oneline set,
 * control characters (a CR or LF in an item name) become spaces: header
 * values and Slack headers are single lines.
 */
static int
add_utf8(struct buf *out, const char *s, size_t n, int oneline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, len;

	while (i < n) {
		len = utf8_seq(p + i, n - i);
		if (len == 1 && oneline && (p[i] < 0x20 || p[i] == 0x7f))
			len = 0;
		if (len > 0) {
			i += len;
			continue;
		}
		if (buf_add(out, s + run, i - run) == -1 ||
		    buf_adds(out, p[i] < 0x80 ? " " : UTF8_REPLACEMENT) == -1)
			return -1;
		run = ++i;
	}
	return buf_add(out, s + run, n - run);
}

/* Number of code points in the valid UTF-8 string s. */
static size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

/* Bytes taken by the first max code points of the valid UTF-8 string s. */
static size_t
utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && count++ == max)
			return i;
	return n;
}

/* compose_html: see compose.h. */
int
compose_html(struct buf *out, const char *s)
{
	const char *run = s, *rep;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (buf_add(out, run, (size_t)(s - run)) == -1 ||
		    buf_adds(out, rep) == -1)
			return -1;
		run = s + 1;
	}
	return buf_adds(out, run);
}

/*
 * Appends s escaped for Slack mrkdwn: Slack wants exactly &, < and > as
 * entities, so that a name like "<!channel>" cannot ping anyone.
 */
int
compose_mrkdwn(struct buf *out, const char *s)
{
	const char *run = s, *rep;

	for (; *s != '\0'; s++) {
		if (*s == '&')
			rep = "&amp;";
		else if (*s == '<')
			rep = "&lt;";
		else if (*s == '>')
			rep = "&gt;";
		else
			continue;
		if (buf_add(out, run, (size_t)(s - run)) == -1 ||
		    buf_adds(out, rep) == -1)
			return -1;
		run = s + 1;
	}
	return buf_adds(out, run);
}

/*
 * The flags in words for a shop owner, one call of fn per flag, in the
 * order given. Unknown flags are shown as written.
 */
static int
each_flag(const char *flags, int (*fn)(void *, const char *, size_t),
    void *arg)
{
	static const struct {
		const char	*flag;
		const char	*words;
	} names[] = {
		{ "capped", "capped by your order cap" },
		{ "cap_breaks_pack", "the cap is smaller than one pack" },
		{ "below_supplier_min", "below the supplier's minimum order" },
		{ "fallback_supplier", "supplier not in your suppliers doc: "
		    "using the fallback supplier" },
	};
	const char *p = nz(flags), *end, *words;
	size_t n, i;

	while (*p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0) {
			words = NULL;
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strlen(names[i].flag) == n &&
				    memcmp(names[i].flag, p, n) == 0)
					words = names[i].words;
			if (fn(arg, words ? words : p,
			    words ? strlen(words) : n) == -1)
				return -1;
		}
		p = end;
	}
	return 0;
}

/*
 * Exact decimal product of a unit cost ("2.50", digits with an optional
 * fraction) and a quantity, keeping the cost's fractional digits: "7.50"
 * for 3 x "2.50". Appends nothing and returns 1 when cost is not such a
 * number; -1 on ENOMEM.
 */
static int
add_line_total(struct buf *out, const char *cost, long long qty)
{
	unsigned char a[64], b[24], r[88];
	unsigned long long q;
	size_t na = 0, nb = 0, nr, frac = 0, i, j, first;
	const char *p;
	int dot = 0, carry;

	for (p = cost; *p != '\0'; p++) {
		if (*p == '.' && !dot && p != cost && p[1] != '\0') {
			dot = 1;
			continue;
		}
		if (*p < '0' || *p > '9' || na == sizeof(a))
			return 1;
		a[na++] = (unsigned char)(*p - '0');
		frac += (size_t)dot;
	}
	if (na == 0)
		return 1;
	q = qty < 0 ? 0ULL - (unsigned long long)qty : (unsigned long long)qty;
	do {				/* b least significant digit first */
		b[nb++] = (unsigned char)(q % 10);
		q /= 10;
	} while (q > 0);

	/* Schoolbook multiplication, r least significant digit first. */
	nr = na + nb;
	memset(r, 0, nr);
	for (i = 0; i < na; i++) {
		carry = 0;
		for (j = 0; j < nb; j++) {
			carry += r[i + j] + a[na - 1 - i] * b[j];
			r[i + j] = (unsigned char)(carry % 10);
			carry /= 10;
		}
		for (j = i + nb; carry > 0; j++) {
			carry += r[j];
			r[j] = (unsigned char)(carry % 10);
			carry /= 10;
		}
	}
	first = nr;
	while (first > frac + 1 && r[first - 1] == 0)
		first--;
	if (qty < 0 && (first > 1 || r[0] != 0) && buf_addc(out, '-') == -1)
		return -1;
	for (i = first; i > 0; i--) {
		if (i == frac && buf_addc(out, '.') == -1)
			return -1;
		if (buf_addc(out, '0' + r[i - 1]) == -1)
			return -1;
	}
	return 0;
}

/* Appends one CSV field, quoted per RFC 4180 when it has to be. */
static int
add_csv_field(struct buf *out, const char *s)
{
	const char *q;

	if (strpbrk(s, ",\"\r\n") == NULL)
		return buf_adds(out, s);
	if (buf_addc(out, '"') == -1)
		return -1;
	while ((q = strchr(s, '"')) != NULL) {
		if (buf_add(out, s, (size_t)(q - s) + 1) == -1 ||
		    buf_addc(out, '"') == -1)
			return -1;
		s = q + 1;
	}
	if (buf_adds(out, s) == -1 || buf_addc(out, '"') == -1)
		return -1;
	return 0;
}

/*
 * The Message-ID left part "draft-<order_id>": bytes that are not atext
 * (RFC 5322 3.2.3), and dots that would break the dot-atom, are written
 * as "=XX", which keeps distinct order ids distinct.
 */
static int
add_msgid_left(struct buf *out, const char *id)
{
	static const char atext[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";
	const unsigned char *p = (const unsigned char *)id;
	int ok;

	if (buf_adds(out, "draft-") == -1)
		return -1;
	for (; *p != '\0'; p++) {
		if (*p == '.')
			ok = p[1] != '\0' && p[1] != '.';
		else
			ok = *p != '=' && strchr(atext, *p) != NULL;
		if ((ok ? buf_addc(out, *p) :
		    buf_addf(out, "=%02X", *p)) == -1)
			return -1;
	}
	return 0;
}

/*
 * Parses an address list ("Shop <a@b>", "a@b, c@d") into the message's
 * list of that type, declaring UTF-8 for the display names. Returns the
 * first address (borrowed from the message), or NULL when s holds none.
 */
static InternetAddress *
set_addresses(GMimeMessage *msg, GMimeAddressType type, const char *s)
{
	InternetAddressList *parsed;	/* owned */
	InternetAddressList *dst;	/* borrowed from msg */
	struct buf clean = { 0 };
	int i, n;

	if (add_utf8(&clean, nz(s), strlen(nz(s)), 1) == -1)
		return NULL;
	parsed = internet_address_list_parse(NULL, clean.p);
	buf_free(&clean);
	if (parsed == NULL)
		return NULL;
	n = internet_address_list_length(parsed);
	for (i = 0; i < n; i++)
		internet_address_set_charset(
		    internet_address_list_get_address(parsed, i), "utf-8");
	dst = g_mime_message_get_addresses(msg, type);
	internet_address_list_append(dst, parsed);
	g_object_unref(parsed);
	return n > 0 ? internet_address_list_get_address(dst, 0) : NULL;
}

/*
 * A new message with From, Subject, Date and (when msgid is not NULL)
 * Message-ID set; NULL with errno EINVAL when from holds no address. The
 * caller owns the message; *fromaddr is the first From address, borrowed.
 */
static GMimeMessage *
message_new(const char *from, const char *subject, time_t date,
    const char *msgid, InternetAddress **fromaddr)
{
	GMimeMessage *msg;		/* owned, returned */
	GDateTime *dt;			/* owned */
	struct buf clean = { 0 };

	msg = g_mime_message_new(TRUE);
	if ((*fromaddr = set_addresses(msg, GMIME_ADDRESS_TYPE_FROM,
	    from)) == NULL) {
		g_object_unref(msg);
		errno = EINVAL;
		return NULL;
	}
	if (add_utf8(&clean, subject, strlen(subject), 1) == -1) {
		g_object_unref(msg);
		errno = ENOMEM;
		return NULL;
	}
	g_mime_message_set_subject(msg, nz(clean.p), "utf-8");
	buf_free(&clean);
	dt = g_date_time_new_from_unix_utc((gint64)date);
	if (dt != NULL) {
		g_mime_message_set_date(msg, dt);
		g_date_time_unref(dt);
	}
	if (msgid != NULL && *msgid != '\0')
		g_mime_message_set_message_id(msg, msgid);
	return msg;
}

/*
 * A leaf part of type text/subtype (or another type) holding the bytes of
 * body, encoded as enc, with charset=utf-8 for text. Returns an owned part.
 */
static GMimePart *
leaf_new(const char *type, const char *subtype, const char *body, size_t n,
    GMimeContentEncoding enc)
{
	GMimePart *part;		/* owned, returned */
	GMimeStream *st;		/* owned */
	GMimeDataWrapper *dw;		/* owned */

	part = g_mime_part_new_with_type(type, subtype);
	st = g_mime_stream_mem_new_with_buffer(body, n);
	dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_object_unref(st);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
	    "charset", "utf-8");
	g_mime_part_set_content_encoding(part, enc);
	return part;
}

/*
 * multipart/alternative of the plain text and the HTML (both raw bytes,
 * made valid UTF-8 here), quoted-printable. Returns an owned multipart, or
 * NULL on ENOMEM.
 */
static GMimeMultipart *
alternative_new(const struct buf *text, const struct buf *html)
{
	GMimeMultipart *alt;		/* owned, returned */
	GMimePart *part;		/* owned until added */
	struct buf clean = { 0 };
	const struct buf *src[2] = { text, html };
	const char *subtype[2] = { "plain", "html" };
	int i;

	alt = g_mime_multipart_new_with_subtype("alternative");
	g_mime_multipart_set_boundary(alt, "=_ir_alternative");
	for (i = 0; i < 2; i++) {
		buf_reset(&clean);
		if (add_utf8(&clean, nz(src[i]->p), src[i]->len, 0) == -1) {
			buf_free(&clean);
			g_object_unref(alt);
			return NULL;
		}
		part = leaf_new("text", subtype[i], nz(clean.p), clean.len,
		    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
		g_mime_multipart_add(alt, GMIME_OBJECT(part));
		g_object_unref(part);
	}
	buf_free(&clean);
	return alt;
}

/* Writes the whole message (LF line ends) to out. */
static int
message_write(GMimeMessage *msg, struct buf *out)
{
	GMimeStream *st;		/* owned */
	GByteArray *ba;			/* borrowed from st */
	int rc = -1;

	st = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, st) != -1) {
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
		rc = buf_add(out, ba->data, ba->len);
	}
	g_object_unref(st);
	return rc;
}

/* Undoes a partial append after a failure; errno is kept. */
static int
fail(struct buf *out, size_t len)
{
	int saved = errno;

	if (out->p != NULL) {
		out->len = len;
		out->p[len] = '\0';
	}
	errno = saved != 0 ? saved : ENOMEM;
	return -1;
}

/*
 * compose_template: copies tmpl to out with every {{key}} (key [a-z_]+,
 * spaces allowed inside the braces) replaced by its value from vars. A key
 * not in vars stays as written and is counted; a NULL value reads as empty.
 */
int
compose_template(const char *tmpl, const char *const *vars, struct buf *out)
{
	const char *p = tmpl, *run = tmpl, *k, *q, *val;
	const char *const *v;
	size_t orig = out->len, klen;
	int unknown = 0;

	while ((p = strstr(p, "{{")) != NULL) {
		q = p + 2;
		q += strspn(q, " \t");
		k = q;
		q += strspn(q, "abcdefghijklmnopqrstuvwxyz_");
		klen = (size_t)(q - k);
		q += strspn(q, " \t");
		if (klen == 0 || q[0] != '}' || q[1] != '}') {
			p++;
			continue;
		}
		val = NULL;
		for (v = vars; v != NULL && v[0] != NULL; v += 2) {
			if (strlen(v[0]) == klen &&
			    memcmp(v[0], k, klen) == 0) {
				val = nz(v[1]);
				break;
			}
		}
		if (val == NULL) {
			unknown++;
			p = q + 2;
			continue;
		}
		if (buf_add(out, run, (size_t)(p - run)) == -1 ||
		    buf_adds(out, val) == -1)
			return fail(out, orig);
		p = run = q + 2;
	}
	if (buf_adds(out, run) == -1)
		return fail(out, orig);
	return unknown;
}

/*
 * compose_default_template: the built-in purchase order text. Static
 * storage, never freed.
 */
const char *
compose_default_template(void)
{
	return default_template;
}

/* Whether the draft is for an urgent reorder. */
static int
urgent(const struct compose_draft *d)
{
	return strcmp(nz(d->move), "urgent_reorder") == 0;
}

/* "Reorder: Name — 48 from Supplier", the subject and the Slack header. */
static int
add_subject(struct buf *out, const struct compose_draft *d)
{
	return buf_addf(out, "%s: %s \xe2\x80\x94 %lld from %s",
	    urgent(d) ? "URGENT reorder" : "Reorder", nz(d->item_name), d->qty,
	    nz(d->supplier_name));
}

/* buf_add for each_flag: one "  - words" line. */
static int
text_flag(void *arg, const char *words, size_t n)
{
	struct buf *out = arg;

	if (buf_adds(out, "  - ") == -1 || buf_add(out, words, n) == -1)
		return -1;
	return buf_addc(out, '\n');
}

/* Whether the draft carries the three signed links. */
static int
has_links(const struct compose_draft *d)
{
	return *nz(d->approve_url) != '\0' && *nz(d->edit_url) != '\0' &&
	    *nz(d->skip_url) != '\0';
}

/* The plain-text body of the owner's draft. */
static int
draft_text(struct buf *out, const struct compose_draft *d)
{
	const char *po = nz(d->po_text);
	size_t n = strlen(po);

	if (buf_addf(out, "%s%s (%s) %s\nHere is a draft purchase order for "
	    "you to approve.\n\n", urgent(d) ? "URGENT: " : "",
	    nz(d->item_name), nz(d->item_id), urgent(d) ? "will run out "
	    "before a delivery can arrive." : "is at its reorder point.") ==
	    -1 ||
	    buf_addf(out, "Item:           %s (%s)\n", nz(d->item_name),
	    nz(d->item_id)) == -1 ||
	    buf_addf(out, "On hand:        %lld\n", d->on_hand) == -1 ||
	    buf_addf(out, "Reorder point:  %lld\n", d->point) == -1 ||
	    buf_addf(out, "Order:          %lld from %s", d->qty,
	    nz(d->supplier_name)) == -1)
		return -1;
	if (*nz(d->supplier_email) != '\0' &&
	    buf_addf(out, " <%s>", d->supplier_email) == -1)
		return -1;
	if (buf_addf(out, "\nWhy:            %s\n", nz(d->explain)) == -1)
		return -1;
	if (*nz(d->unit_cost) != '\0' &&
	    buf_addf(out, "Unit cost:      %s\n", d->unit_cost) == -1)
		return -1;
	if (*nz(d->supplier_email) == '\0' && buf_adds(out, "\nThis supplier "
	    "has no email address in your suppliers doc: add one before "
	    "you approve.\n") == -1)
		return -1;
	if (*nz(d->flags) != '\0' && (buf_adds(out, "\nPlease note:\n") == -1 ||
	    each_flag(d->flags, text_flag, out) == -1))
		return -1;
	if (buf_adds(out, "\nThe purchase order, as it will be sent:\n"
	    "----------------------------------------\n") == -1 ||
	    buf_add(out, po, n) == -1 ||
	    (n > 0 && po[n - 1] != '\n' && buf_addc(out, '\n') == -1) ||
	    buf_adds(out, "----------------------------------------\n\n") == -1)
		return -1;
	if (has_links(d))
		return buf_addf(out,
		    "To send it, open this link and confirm:\n  %s\n\n"
		    "To change the amount:\n  %s\n\n"
		    "To skip it this time:\n  %s\n\n"
		    "Each link first shows what it will do and asks you to "
		    "confirm;\nnothing happens until you do. The links work "
		    "until %s.\n"
		    "From a terminal instead:  %s [--qty N]\n",
		    d->approve_url, d->edit_url, d->skip_url,
		    nz(d->links_until), nz(d->approve_cmd));
	return buf_addf(out,
	    "To send it:            %s\n"
	    "To change the amount:  %s --qty N\n"
	    "To skip it this time:  ir-approve --skip %s\n",
	    nz(d->approve_cmd), nz(d->approve_cmd), nz(d->order_id));
}

/* The start of an HTML document up to and including <body>. */
static int
html_start(struct buf *out, const char *title)
{
	if (buf_adds(out, "<!DOCTYPE html>\n<html><head>"
	    "<meta charset=\"utf-8\"><title>") == -1 ||
	    compose_html(out, title) == -1)
		return -1;
	return buf_adds(out, "</title></head>\n"
	    "<body style=\"font-family: sans-serif\">\n");
}

/* One HTML table row: a heading cell and an escaped value. */
static int
html_row(struct buf *out, const char *head, const char *value)
{
	if (buf_addf(out, "<tr><th align=\"left\" valign=\"top\">%s</th><td>",
	    head) == -1 || compose_html(out, value) == -1)
		return -1;
	return buf_adds(out, "</td></tr>\n");
}

/* buf_add for each_flag: one list item. */
static int
html_flag(void *arg, const char *words, size_t n)
{
	struct buf *out = arg;
	struct buf one = { 0 };
	int rc;

	rc = buf_add(&one, words, n) == -1 || buf_adds(out, "<li>") == -1 ||
	    compose_html(out, one.p) == -1 || buf_adds(out, "</li>\n") == -1;
	buf_free(&one);
	return rc ? -1 : 0;
}

/* A link that looks like a button, for mail clients without CSS files. */
static int
html_button(struct buf *out, const char *url, const char *label,
    const char *colour)
{
	if (buf_adds(out, "<a href=\"") == -1 || compose_html(out, url) == -1 ||
	    buf_addf(out, "\" style=\"display: inline-block; margin: 0 0.5em "
	    "0.5em 0; padding: 0.6em 1.1em; border-radius: 6px; "
	    "background: %s; color: #ffffff; font-weight: bold; "
	    "text-decoration: none\">", colour) == -1 ||
	    compose_html(out, label) == -1)
		return -1;
	return buf_adds(out, "</a>\n");
}

/* What next, with the signed links as buttons. */
static int
html_links(struct buf *out, const struct compose_draft *d)
{
	if (buf_adds(out, "<p>") == -1 ||
	    html_button(out, d->approve_url, "Approve and send",
	    "#1a7f37") == -1 ||
	    html_button(out, d->edit_url, "Change the amount", "#0b4f9c") ==
	    -1 ||
	    html_button(out, d->skip_url, "Skip this time", "#b42318") == -1 ||
	    buf_adds(out, "</p>\n<p style=\"color: #57606a; font-size: "
	    "0.9em\">Each link first shows what it will do and asks you to "
	    "confirm; nothing happens until you do. The links work until ") ==
	    -1 || compose_html(out, nz(d->links_until)) == -1 ||
	    buf_adds(out, ".<br>\nFrom a terminal instead: <code>") == -1 ||
	    compose_html(out, nz(d->approve_cmd)) == -1)
		return -1;
	return buf_adds(out, " [--qty N]</code></p>\n");
}

/* What next, as commands (no links). */
static int
html_commands(struct buf *out, const struct compose_draft *d)
{
	if (buf_adds(out, "<p>To send it: <code>") == -1 ||
	    compose_html(out, nz(d->approve_cmd)) == -1 ||
	    buf_adds(out, "</code><br>\nTo change the amount: <code>") == -1 ||
	    compose_html(out, nz(d->approve_cmd)) == -1 ||
	    buf_adds(out, " --qty N</code><br>\nTo skip it this time: "
	    "<code>ir-approve --skip ") == -1 ||
	    compose_html(out, nz(d->order_id)) == -1)
		return -1;
	return buf_adds(out, "</code></p>\n");
}

/* The HTML body of the owner's draft; every value is escaped. */
static int
draft_html(struct buf *out, const struct compose_draft *d,
    const char *subject)
{
	struct buf tmp = { 0 };
	int rc = -1;

	if (html_start(out, subject) == -1 ||
	    buf_adds(out, "<h1 style=\"font-size: 1.25em\">") == -1 ||
	    compose_html(out, subject) == -1 || buf_adds(out, "</h1>\n") == -1)
		goto out;
	if (buf_adds(out, "<p>") == -1 || (urgent(d) &&
	    buf_adds(out, "<strong>URGENT:</strong> ") == -1) ||
	    buf_addf(&tmp, "%s (%s)", nz(d->item_name), nz(d->item_id)) == -1 ||
	    compose_html(out, tmp.p) == -1 || buf_addf(out, " %s<br>\nHere is a "
	    "draft purchase order for you to approve.</p>\n", urgent(d) ?
	    "will run out before a delivery can arrive." :
	    "is at its reorder point.") == -1)
		goto out;
	buf_reset(&tmp);
	if (buf_adds(out, "<table cellpadding=\"4\">\n") == -1 ||
	    buf_addf(&tmp, "%s (%s)", nz(d->item_name), nz(d->item_id)) == -1 ||
	    html_row(out, "Item", tmp.p) == -1)
		goto out;
	buf_reset(&tmp);
	if (buf_addf(&tmp, "%lld", d->on_hand) == -1 ||
	    html_row(out, "On hand", tmp.p) == -1)
		goto out;
	buf_reset(&tmp);
	if (buf_addf(&tmp, "%lld", d->point) == -1 ||
	    html_row(out, "Reorder point", tmp.p) == -1)
		goto out;
	buf_reset(&tmp);
	if (buf_addf(&tmp, "%lld from %s", d->qty,
	    nz(d->supplier_name)) == -1 ||
	    (*nz(d->supplier_email) != '\0' &&
	    buf_addf(&tmp, " <%s>", d->supplier_email) == -1) ||
	    html_row(out, "Order", tmp.p) == -1 ||
	    html_row(out, "Why", nz(d->explain)) == -1)
		goto out;
	if (*nz(d->unit_cost) != '\0' &&
	    html_row(out, "Unit cost", d->unit_cost) == -1)
		goto out;
	if (buf_adds(out, "</table>\n") == -1)
		goto out;
	if (*nz(d->supplier_email) == '\0' && buf_adds(out, "<p>This supplier "
	    "has no email address in your suppliers doc: add one before "
	    "you approve.</p>\n") == -1)
		goto out;
	if (*nz(d->flags) != '\0' && (buf_adds(out, "<p>Please note:</p>\n"
	    "<ul>\n") == -1 || each_flag(d->flags, html_flag, out) == -1 ||
	    buf_adds(out, "</ul>\n") == -1))
		goto out;
	if (buf_adds(out, "<h2 style=\"font-size: 1.1em\">The purchase order, "
	    "as it will be sent</h2>\n<pre>") == -1 ||
	    compose_html(out, nz(d->po_text)) == -1 ||
	    buf_adds(out, "</pre>\n<h2 style=\"font-size: 1.1em\">What next"
	    "</h2>\n") == -1)
		goto out;
	if ((has_links(d) ? html_links(out, d) : html_commands(out, d)) == -1 ||
	    buf_adds(out, "</body></html>\n") == -1)
		goto out;
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}

/* Builds and writes a message whose body is an owned multipart. */
static int
finish(GMimeMessage *msg, GMimeMultipart *body, struct buf *out)
{
	int rc;

	g_mime_message_set_mime_part(msg, GMIME_OBJECT(body));
	g_object_unref(body);
	rc = message_write(msg, out);
	g_object_unref(msg);
	if (rc == -1)
		errno = ENOMEM;
	return rc;
}

/*
 * compose_draft_eml: the draft as an email to the owner, From d->from, To
 * d->owner_email, Message-ID <draft-ORDERID@domain of from>, text and HTML
 * alternatives. Returns 0, or -1 with errno EINVAL (no usable From or To
 * address) or ENOMEM; out is then as it was.
 */
int
compose_draft_eml(const struct compose_draft *d, struct buf *out)
{
	GMimeMessage *msg;		/* owned */
	GMimeMultipart *alt;		/* owned */
	InternetAddress *ia;		/* borrowed from msg */
	struct buf subject = { 0 }, id = { 0 }, text = { 0 }, html = { 0 };
	const char *addr, *at;
	size_t orig = out->len;
	int rc = -1;

	pthread_once(&gmime_once, gmime_init_once);
	errno = ENOMEM;
	if (add_subject(&subject, d) == -1 ||
	    add_msgid_left(&id, nz(d->order_id)) == -1)
		goto out;
	if ((msg = message_new(d->from, subject.p, d->date, NULL,
	    &ia)) == NULL)
		goto out;
	if (set_addresses(msg, GMIME_ADDRESS_TYPE_TO, d->owner_email) ==
	    NULL) {
		g_object_unref(msg);
		errno = EINVAL;
		goto out;
	}
	addr = INTERNET_ADDRESS_IS_MAILBOX(ia) ?
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)) :
	    NULL;
	at = addr != NULL ? strrchr(addr, '@') : NULL;
	if (buf_addf(&id, "@%s", at != NULL && at[1] != '\0' ? at + 1 :
	    "localhost") == -1) {
		g_object_unref(msg);
		goto out;
	}
	g_mime_message_set_message_id(msg, id.p);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	    "auto-generated", NULL);
	if (draft_text(&text, d) == -1 ||
	    draft_html(&html, d, subject.p) == -1 ||
	    (alt = alternative_new(&text, &html)) == NULL) {
		g_object_unref(msg);
		errno = ENOMEM;
		goto out;
	}
	rc = finish(msg, alt, out);
out:
	buf_free(&subject);
	buf_free(&id);
	buf_free(&text);
	buf_free(&html);
	return rc == -1 ? fail(out, orig) : 0;
}


/*
 * Appends the valid UTF-8 text s (n bytes) to out, cut to at most max
 * characters; when cut, note is appended within max. With entities set, s
 * is escaped mrkdwn and the cut never splits an "&amp;".
 */
static int
add_fit(struct buf *out, const char *s, size_t n, size_t max,
    const char *note, int entities)
{
	size_t cut, i;

	if (utf8_chars(s, n) <= max)
		return buf_add(out, s, n);
	cut = utf8_prefix(s, n, max - utf8_chars(note, strlen(note)));
	for (i = cut; entities && i > 0 && cut - i < 5; i--) {
		if (s[i - 1] == ';')
			break;
		if (s[i - 1] == '&') {
			cut = i - 1;
			break;
		}
	}
	if (buf_add(out, s, cut) == -1)
		return -1;
	return buf_adds(out, note);
}

/* An owned {"type": type, "text": text} object; text is valid UTF-8. */
static json_t *
text_new(const char *type, const char *text, size_t n)
{
	json_t *o;			/* owned, returned */

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "type", json_string(type)) ||
	    json_object_set_new(o, "text", json_stringn(text, n)) ||
	    (strcmp(type, "plain_text") == 0 &&
	    json_object_set_new(o, "emoji", json_true()))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * An owned mrkdwn text object: label (mrkdwn already) followed by the raw
 * text s escaped, all cut to max characters with the truncation note.
 */
static json_t *
mrkdwn_new(const char *label, const char *s, size_t max)
{
	struct buf raw = { 0 }, esc = { 0 }, fit = { 0 };
	json_t *o = NULL;		/* owned, returned */

	if (add_utf8(&raw, nz(s), strlen(nz(s)), 0) == 0 &&
	    buf_adds(&esc, label) == 0 && compose_mrkdwn(&esc, nz(raw.p)) == 0 &&
	    add_fit(&fit, nz(esc.p), esc.len, max, TRUNCATED_NOTE, 1) == 0)
		o = text_new("mrkdwn", nz(fit.p), fit.len);
	buf_free(&raw);
	buf_free(&esc);
	buf_free(&fit);
	return o;
}

/*
 * Appends the owned value v to the owned array a. jansson releases v when
 * the append fails, so v is consumed either way; a NULL v (a constructor
 * that failed) is a failure.
 */
static int
append_new(json_t *a, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_array_append_new(a, v) == 0 ? 0 : -1;
}

/* An owned block {"type": type, key: v}; the owned v is consumed. */
static json_t *
block_new(const char *type, const char *key, json_t *v)
{
	json_t *b;			/* owned, returned */

	if (v == NULL)
		return NULL;
	if ((b = json_object()) == NULL ||
	    json_object_set_new(b, "type", json_string(type))) {
		json_decref(v);
		json_decref(b);
		return NULL;
	}
	if (json_object_set_new(b, key, v)) {	/* v consumed */
		json_decref(b);
		return NULL;
	}
	return b;
}

/* One button of the actions block, owned. */
static json_t *
button_new(const char *action, const char *label, const char *style,
    const char *value)
{
	json_t *b;			/* owned, returned */

	if ((b = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(b, "type", json_string("button")) ||
	    json_object_set_new(b, "action_id", json_string(action)) ||
	    json_object_set_new(b, "text",
	    text_new("plain_text", label, strlen(label))) ||
	    json_object_set_new(b, "value", json_string(value)) ||
	    (style != NULL &&
	    json_object_set_new(b, "style", json_string(style)))) {
		json_decref(b);
		return NULL;
	}
	return b;
}

/* buf_add for each_flag: the words joined by " · ". */
static int
slack_flag(void *arg, const char *words, size_t n)
{
	struct buf *out = arg;

	if (out->len > 0 && buf_adds(out, " \xc2\xb7 ") == -1)
		return -1;
	return buf_add(out, words, n);
}

/* The header block: the subject as plain text, at most 150 characters. */
static json_t *
header_block(const char *subject)
{
	struct buf fit = { 0 };
	json_t *b = NULL;		/* owned, returned */

	if (add_fit(&fit, subject, strlen(subject), SLACK_HEADER_MAX,
	    "\xe2\x80\xa6", 0) == 0)
		b = block_new("header", "text",
		    text_new("plain_text", nz(fit.p), fit.len));
	buf_free(&fit);
	return b;
}

/* The section saying what and why. */
static json_t *
what_block(const struct compose_draft *d)
{
	struct buf s = { 0 };
	json_t *b = NULL;		/* owned, returned */

	if (buf_addf(&s, "%s (%s)\n%s", nz(d->item_name), nz(d->item_id),
	    nz(d->explain)) == 0)
		b = block_new("section", "text", mrkdwn_new(urgent(d) ?
		    "*URGENT:* this will run out before a delivery can "
		    "arrive.\n" : "", s.p, SLACK_SECTION_MAX));
	buf_free(&s);
	return b;
}

/* The figures as section fields (at most 10 of 2000 characters). */
static json_t *
fields_block(const struct compose_draft *d)
{
	struct buf s[3] = { { 0 }, { 0 }, { 0 } }, sup = { 0 };
	json_t *a;			/* owned until given away */
	int ok;

	if ((a = json_array()) == NULL)
		return NULL;
	ok = buf_addf(&s[0], "%lld", d->on_hand) == 0 &&
	    buf_addf(&s[1], "%lld", d->point) == 0 &&
	    buf_addf(&s[2], "%lld", d->qty) == 0 &&
	    buf_addf(&sup, "%s\n%s", nz(d->supplier_name),
	    *nz(d->supplier_email) != '\0' ? d->supplier_email :
	    "(no email address: add one to your suppliers doc)") == 0 &&
	    append_new(a, mrkdwn_new("*On hand*\n", s[0].p,
	    SLACK_FIELD_MAX)) == 0 &&
	    append_new(a, mrkdwn_new("*Reorder point*\n", s[1].p,
	    SLACK_FIELD_MAX)) == 0 &&
	    append_new(a, mrkdwn_new("*Order*\n", s[2].p,
	    SLACK_FIELD_MAX)) == 0 &&
	    append_new(a, mrkdwn_new("*Supplier*\n", sup.p,
	    SLACK_FIELD_MAX)) == 0 &&
	    (*nz(d->unit_cost) == '\0' || append_new(a, mrkdwn_new(
	    "*Unit cost*\n", d->unit_cost, SLACK_FIELD_MAX)) == 0);
	buf_free(&s[0]);
	buf_free(&s[1]);
	buf_free(&s[2]);
	buf_free(&sup);
	if (!ok) {
		json_decref(a);
		return NULL;
	}
	return block_new("section", "fields", a);
}

/* The small print: the order id, and the flags in words. */
static json_t *
context_block(const struct compose_draft *d)
{
	struct buf flags = { 0 };
	json_t *a;			/* owned until given away */
	int ok;

	if ((a = json_array()) == NULL)
		return NULL;
	ok = append_new(a, mrkdwn_new("Order ", d->order_id,
	    SLACK_FIELD_MAX)) == 0 &&
	    each_flag(d->flags, slack_flag, &flags) == 0 &&
	    (flags.len == 0 || append_new(a, mrkdwn_new("", flags.p,
	    SLACK_FIELD_MAX)) == 0);
	buf_free(&flags);
	if (!ok) {
		json_decref(a);
		return NULL;
	}
	return block_new("context", "elements", a);
}

/*
 * The purchase order text as it will be sent, in a code block; a long one
 * is cut so that the fences and the note fit in the section's 3000.
 */
static json_t *
po_block(const struct compose_draft *d)
{
	static const char label[] =
	    "*The purchase order, as it will be sent:*\n```";
	static const char note[] = "\n" TRUNCATED_NOTE;
	struct buf raw = { 0 }, esc = { 0 }, s = { 0 };
	json_t *b = NULL;		/* owned, returned */
	size_t room;

	room = SLACK_SECTION_MAX - utf8_chars(label, strlen(label)) -
	    strlen("```") - utf8_chars(note, strlen(note));
	if (*nz(d->po_text) == '\0')		/* no empty code block */
		return block_new("section", "text", mrkdwn_new("*The purchase "
		    "order, as it will be sent:*\n_(no text)_", "",
		    SLACK_SECTION_MAX));
	if (add_utf8(&raw, nz(d->po_text), strlen(nz(d->po_text)), 0) == 0 &&
	    compose_mrkdwn(&esc, nz(raw.p)) == 0 && buf_adds(&s, label) == 0 &&
	    add_fit(&s, nz(esc.p), esc.len, room, "", 1) == 0 &&
	    buf_adds(&s, "```") == 0 &&
	    (utf8_chars(nz(esc.p), esc.len) <= room || buf_adds(&s, note) == 0))
		b = block_new("section", "text",
		    text_new("mrkdwn", s.p, s.len));
	buf_free(&raw);
	buf_free(&esc);
	buf_free(&s);
	return b;
}

/*
 * Approve / Edit / Skip, each with the order id as value, in a block with
 * block_id "order:<id>" (left out when over 255 characters: the buttons'
 * values carry the id anyway).
 */
static json_t *
actions_block(const char *id)
{
	struct buf bid = { 0 };
	json_t *a;			/* owned until given away */
	json_t *b;			/* owned, returned */

	if ((a = json_array()) == NULL)
		return NULL;
	if (append_new(a, button_new("approve", "Approve", "primary",
	    id)) == -1 ||
	    append_new(a, button_new("edit", "Edit quantity", NULL,
	    id)) == -1 ||
	    append_new(a, button_new("skip", "Skip", "danger", id)) == -1) {
		json_decref(a);
		return NULL;
	}
	if ((b = json_object()) == NULL ||
	    json_object_set_new(b, "type", json_string("actions")) ||
	    buf_addf(&bid, "order:%s", id) == -1 ||
	    (utf8_chars(bid.p, bid.len) <= SLACK_BLOCK_ID_MAX &&
	    json_object_set_new(b, "block_id",
	    json_stringn(bid.p, bid.len)))) {
		json_decref(a);
		json_decref(b);
		buf_free(&bid);
		return NULL;
	}
	buf_free(&bid);
	if (json_object_set_new(b, "elements", a)) {	/* a consumed */
		json_decref(b);
		return NULL;
	}
	return b;
}

/*
 * compose_draft_slack: the draft as a Block Kit message, one line of
 * compact JSON appended to out (no newline). Every text is escaped and cut
 * to Slack's limits. Returns 0, or -1 with errno EINVAL (an order id that
 * is empty, not UTF-8 or over 2000 characters) or ENOMEM; out is then as
 * it was.
 */
int
compose_draft_slack(const struct compose_draft *d, struct buf *out)
{
	const char *id = nz(d->order_id);
	struct buf subject = { 0 }, clean = { 0 }, fallback = { 0 };
	json_t *root = NULL;		/* owned */
	json_t *blocks;			/* borrowed from root */
	char *dump = NULL;		/* owned, malloc'd by jansson */
	size_t orig = out->len, n = strlen(id), i, len;
	int rc = -1;

	if (n == 0 || utf8_chars(id, n) > SLACK_VALUE_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i += len)
		if ((len = utf8_seq((const unsigned char *)id + i,
		    n - i)) == 0) {
			errno = EINVAL;
			return -1;
		}
	errno = ENOMEM;
	if (add_subject(&subject, d) == -1 ||
	    add_utf8(&clean, subject.p, subject.len, 1) == -1 ||
	    compose_mrkdwn(&fallback, clean.p) == -1)
		goto out;
	if ((root = json_object()) == NULL ||
	    json_object_set_new(root, "text",
	    json_stringn(fallback.p, fallback.len)) ||
	    json_object_set_new(root, "blocks", json_array()))
		goto out;
	blocks = json_object_get(root, "blocks");
	if (append_new(blocks, header_block(clean.p)) == -1 ||
	    append_new(blocks, what_block(d)) == -1 ||
	    append_new(blocks, fields_block(d)) == -1 ||
	    append_new(blocks, context_block(d)) == -1 ||
	    append_new(blocks, po_block(d)) == -1 ||
	    append_new(blocks, actions_block(id)) == -1)
		goto out;
	if ((dump = json_dumps(root, JSON_COMPACT)) == NULL ||
	    buf_adds(out, dump) == -1)
		goto out;
	rc = 0;
out:
	free(dump);
	json_decref(root);
	buf_free(&subject);
	buf_free(&clean);
	buf_free(&fallback);
	return rc == -1 ? fail(out, orig) : 0;
}

/* The order line as CSV: a header row and one row, CRLF line ends. */
static int
po_csv(struct buf *out, const struct compose_po *po)
{
	char qty[32];

	snprintf(qty, sizeof(qty), "%lld", po->qty);
	if (buf_adds(out, "order_id,item_id,description,qty,unit_cost,"
	    "currency,line_total\r\n") == -1 ||
	    add_csv_field(out, nz(po->order_id)) == -1 ||
	    buf_addc(out, ',') == -1 ||
	    add_csv_field(out, nz(po->item_id)) == -1 ||
	    buf_addc(out, ',') == -1 ||
	    add_csv_field(out, nz(po->item_name)) == -1 ||
	    buf_addc(out, ',') == -1 || buf_adds(out, qty) == -1 ||
	    buf_addc(out, ',') == -1 ||
	    add_csv_field(out, nz(po->unit_cost)) == -1 ||
	    buf_addc(out, ',') == -1 ||
	    add_csv_field(out, nz(po->currency)) == -1 ||
	    buf_addc(out, ',') == -1 ||
	    add_line_total(out, nz(po->unit_cost), po->qty) == -1)
		return -1;
	return buf_adds(out, "\r\n");
}

/* "7.50 EUR", "2.50", or "" when the amount is unknown. */
static int
add_money(struct buf *out, const char *amount, const char *currency)
{
	if (*amount == '\0')
		return 0;
	if (compose_html(out, amount) == -1)
		return -1;
	if (*currency == '\0')
		return 0;
	return buf_addc(out, ' ') == -1 ? -1 : compose_html(out, currency);
}

/* The HTML of the purchase order: its text and a table of the line. */
static int
po_html(struct buf *out, const struct compose_po *po)
{
	struct buf total = { 0 };
	const char *cur = nz(po->currency);
	int rc = -1;

	if (add_line_total(&total, nz(po->unit_cost), po->qty) == -1)
		goto out;
	if (html_start(out, nz(po->subject)) == -1 ||
	    buf_adds(out, "<pre style=\"font-family: inherit; "
	    "white-space: pre-wrap\">") == -1 ||
	    compose_html(out, nz(po->text)) == -1 ||
	    buf_adds(out, "</pre>\n<table border=\"1\" cellpadding=\"4\" "
	    "cellspacing=\"0\" style=\"border-collapse: collapse\">\n"
	    "<tr><th>Order</th><th>Item</th><th>Description</th>"
	    "<th>Quantity</th><th>Unit cost</th><th>Line total</th></tr>\n"
	    "<tr><td>") == -1 ||
	    compose_html(out, nz(po->order_id)) == -1 ||
	    buf_adds(out, "</td><td>") == -1 ||
	    compose_html(out, nz(po->item_id)) == -1 ||
	    buf_adds(out, "</td><td>") == -1 ||
	    compose_html(out, nz(po->item_name)) == -1 ||
	    buf_addf(out, "</td><td align=\"right\">%lld</td>"
	    "<td align=\"right\">", po->qty) == -1 ||
	    add_money(out, nz(po->unit_cost), cur) == -1 ||
	    buf_adds(out, "</td><td align=\"right\">") == -1 ||
	    add_money(out, nz(total.p), cur) == -1 ||
	    buf_adds(out, "</td></tr>\n</table>\n</body></html>\n") == -1)
		goto out;
	rc = 0;
out:
	buf_free(&total);
	return rc;
}

/*
 * Sets To from the address to, with to_name as its display name. Returns
 * -1 when to is not exactly one mailbox.
 */
static int
set_po_to(GMimeMessage *msg, const char *to, const char *to_name)
{
	InternetAddressList *list;	/* borrowed from msg */
	InternetAddress *ia;		/* borrowed from msg */
	struct buf name = { 0 };
	int rc = 0;

	if (set_addresses(msg, GMIME_ADDRESS_TYPE_TO, to) == NULL)
		return -1;
	list = g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO);
	ia = internet_address_list_get_address(list, 0);
	if (internet_address_list_length(list) != 1 ||
	    !INTERNET_ADDRESS_IS_MAILBOX(ia))
		return -1;
	if (*nz(to_name) != '\0') {
		if (add_utf8(&name, to_name, strlen(to_name), 1) == -1)
			rc = -1;
		else
			internet_address_set_name(ia, name.p);
	}
	buf_free(&name);
	return rc;
}

/*
 * compose_po_eml: the purchase order email to the supplier: From, Reply-To
 * (the owner), To "to_name <to>", the caller's Subject, Date and
 * Message-ID; multipart/mixed of the text and HTML alternatives and the
 * order line as "PO-<order_id>.csv" (base64). Returns 0, or -1 with errno
 * EINVAL (an unusable address) or ENOMEM; out is then as it was.
 */
int
compose_po_eml(const struct compose_po *po, struct buf *out)
{
	GMimeMessage *msg = NULL;	/* owned */
	GMimeMultipart *mixed;		/* owned until given to msg */
	GMimeMultipart *alt;		/* owned until added */
	GMimePart *csv;			/* owned until added */
	InternetAddress *ia;		/* borrowed from msg */
	struct buf text = { 0 }, html = { 0 }, data = { 0 }, name = { 0 };
	struct buf msgid = { 0 };
	const char *id = nz(po->message_id);
	size_t orig = out->len, n = strlen(id);
	int rc = -1;

	pthread_once(&gmime_once, gmime_init_once);
	errno = ENOMEM;
	/* Tolerate "<id@host>" although the contract says without <>. */
	if (n >= 2 && id[0] == '<' && id[n - 1] == '>') {
		id++;
		n -= 2;
	}
	if (buf_add(&msgid, id, n) == -1)
		goto out;
	if ((msg = message_new(po->from, nz(po->subject), po->date,
	    nz(msgid.p), &ia)) == NULL)
		goto out;
	if (set_po_to(msg, po->to, po->to_name) == -1 ||
	    (*nz(po->reply_to) != '\0' && set_addresses(msg,
	    GMIME_ADDRESS_TYPE_REPLY_TO, po->reply_to) == NULL)) {
		errno = EINVAL;
		goto out;
	}
	errno = ENOMEM;
	if (buf_adds(&text, nz(po->text)) == -1 ||
	    (text.len > 0 && text.p[text.len - 1] != '\n' &&
	    buf_addc(&text, '\n') == -1) || po_html(&html, po) == -1 ||
	    po_csv(&data, po) == -1 ||
	    buf_addf(&name, "PO-%s.csv", nz(po->order_id)) == -1)
		goto out;
	if ((alt = alternative_new(&text, &html)) == NULL)
		goto out;
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_set_boundary(mixed, "=_ir_mixed");
	g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
	g_object_unref(alt);

	buf_reset(&text);
	buf_reset(&html);
	if (add_utf8(&text, nz(data.p), data.len, 0) == -1 ||
	    add_utf8(&html, name.p, name.len, 1) == -1) {
		g_object_unref(mixed);
		goto out;
	}
	/* text is the CSV and html the file name now, both valid UTF-8. */
	csv = leaf_new("text", "csv", nz(text.p), text.len,
	    GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(csv), "attachment");
	g_mime_part_set_filename(csv, html.p);
	g_mime_multipart_add(mixed, GMIME_OBJECT(csv));
	g_object_unref(csv);
	rc = finish(msg, mixed, out);
	msg = NULL;			/* released by finish() */
out:
	if (msg != NULL)
		g_object_unref(msg);
	buf_free(&text);
	buf_free(&html);
	buf_free(&data);
	buf_free(&name);
	buf_free(&msgid);
	return rc == -1 ? fail(out, orig) : 0;
}
