/*
 * docs: the rules doc and the suppliers doc. See docs.h and rules.md
 * "Inputs".
 *
 * Both docs are read a line at a time. A line is a comment, a section
 * header or a "key: value" setting; anything else is a warning. Sections
 * live in hash tables keyed by SKU (exact) and supplier key (ASCII case
 * folded), so a doc with thousands of [item] sections loads and answers in
 * constant time per lookup. Each section is its own allocation, so the
 * pointers handed out stay put while more sections are added.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "dec.h"
#include "docs.h"

#define LINE_MAX_BYTES	4096	/* longer doc lines are skipped */
#define SHOW_MAX	60	/* bytes of a value quoted in a message */

struct ent {
	const char	*key;		/* owned by val */
	void		*val;
};

struct map {
	struct ent	*e;
	size_t		 cap, n;	/* cap is 0 or a power of two */
	int		 fold;		/* keys compare ASCII case-blind */
};

/* A supplier section, with the lines of the settings docs.h has no room
 * for, to name the first one when a key is set twice. */
struct sup {
	struct docs_supplier pub;
	unsigned long	 name_line, email_line, currency_line,
			 template_line;
};

struct docs {
	char		*rules_src, *sup_src;
	struct docs_rules *def;
	struct map	 items;		/* SKU -> struct docs_rules */
	struct map	 sups;		/* key -> struct sup */
};

enum doc { DOC_RULES, DOC_SUPPLIERS };
enum sec { SEC_NONE, SEC_IGNORED, SEC_RULES, SEC_SUPPLIER };
enum key {
	K_BUFFER, K_POINT, K_CAP, K_LEAD, K_PACK, K_MIN, K_SUPPLIER,
	K_NAME, K_EMAIL, K_CURRENCY, K_TEMPLATE
};
enum unit { U_DAYS, U_UNITS, U_PACK, U_ANY };
enum { C_OK, C_NOTNUM, C_FRACTION, C_NEGATIVE, C_TOOBIG };

/* Normalized key names (csvin_normalize) and the aliases of rules.md. */
static const struct {
	const char	*name;
	enum key	 key;
} keys[] = {
	{ "buffer",		K_BUFFER },
	{ "point_override",	K_POINT },
	{ "point",		K_POINT },
	{ "reorder_point",	K_POINT },
	{ "order_cap",		K_CAP },
	{ "cap",		K_CAP },
	{ "max_order",		K_CAP },
	{ "lead_time_days",	K_LEAD },
	{ "lead_time",		K_LEAD },
	{ "lead",		K_LEAD },
	{ "pack_size",		K_PACK },
	{ "pack",		K_PACK },
	{ "min_order",		K_MIN },
	{ "minimum_order",	K_MIN },
	{ "moq",		K_MIN },
	{ "minimum",		K_MIN },
	{ "supplier",		K_SUPPLIER },
	{ "name",		K_NAME },
	{ "email",		K_EMAIL },
	{ "currency",		K_CURRENCY },
	{ "template",		K_TEMPLATE },
};

/* What one docs_load_* call is in the middle of. */
struct parse {
	struct docs	*d;
	const char	*path;
	const struct docs_warner *w;
	enum doc	 doc;
	unsigned long	 line;
	enum sec	 sec;
	struct docs_rules *rules;
	struct sup	*sup;
};

/* Reports a warning on the current line through the caller's callback. */
static void
warn(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(struct parse *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->w == NULL || ps->w->fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->w->fn(ps->w->ctx, ps->path, ps->line, msg);
}

/*
 * Copies s into out for a message, cut at SHOW_MAX bytes on a character
 * boundary with "..." after it.
 */
static const char *
show(const char *s, char *out, size_t outsz)
{
	size_t n = strlen(s);

	if (n <= SHOW_MAX || outsz < SHOW_MAX + 4) {
		snprintf(out, outsz, "%s", s);
		return out;
	}
	n = SHOW_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	snprintf(out, outsz, "%.*s...", (int)n, s);
	return out;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static void
lower_str(char *s)
{
	for (; *s; s++)
		*s = (char)lower((unsigned char)*s);
}

/* FNV-1a, optionally over ASCII-lower-cased bytes. */
static size_t
hash(const char *s, int fold)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)(fold ? lower((unsigned char)*s) : *s);
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static int
key_eq(const char *a, const char *b, int fold)
{
	if (!fold)
		return strcmp(a, b) == 0;
	for (; *a && lower((unsigned char)*a) == lower((unsigned char)*b);
	    a++, b++)
		;
	return lower((unsigned char)*a) == lower((unsigned char)*b);
}

static void *
map_get(const struct map *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = hash(key, m->fold) & (m->cap - 1); m->e[i].key != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (key_eq(m->e[i].key, key, m->fold))
			return m->e[i].val;
	return NULL;
}

/* Adds key (not yet in m), kept at most half full. 0, or -1 on ENOMEM. */
static int
map_put(struct map *m, const char *key, void *val)
{
	struct ent *ne;
	size_t ncap, i, j;

	if ((m->n + 1) * 2 > m->cap) {
		ncap = m->cap ? m->cap * 2 : 64;
		if ((ne = calloc(ncap, sizeof(*ne))) == NULL)
			return -1;
		for (j = 0; j < m->cap; j++) {
			if (m->e[j].key == NULL)
				continue;
			for (i = hash(m->e[j].key, m->fold) & (ncap - 1);
			    ne[i].key != NULL; i = (i + 1) & (ncap - 1))
				;
			ne[i] = m->e[j];
		}
		free(m->e);
		m->e = ne;
		m->cap = ncap;
	}
	for (i = hash(key, m->fold) & (m->cap - 1); m->e[i].key != NULL;
	    i = (i + 1) & (m->cap - 1))
		;
	m->e[i].key = key;
	m->e[i].val = val;
	m->n++;
	return 0;
}

struct docs *
docs_new(void)
{
	struct docs *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->sups.fold = 1;
	return d;
}

static void
rules_free(struct docs_rules *r)
{
	if (r == NULL)
		return;
	free(r->item_id);
	free(r->supplier);
	free(r);
}

static void
sup_free(struct sup *s)
{
	free(s->pub.key);
	free(s->pub.name);
	free(s->pub.email);
	free(s->pub.currency);
	free(s->pub.template_path);
	free(s);
}

void
docs_free(struct docs *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->items.cap; i++)
		if (d->items.e[i].key != NULL)
			rules_free(d->items.e[i].val);
	for (i = 0; i < d->sups.cap; i++)
		if (d->sups.e[i].key != NULL)
			sup_free(d->sups.e[i].val);
	free(d->items.e);
	free(d->sups.e);
	rules_free(d->def);
	free(d->rules_src);
	free(d->sup_src);
	free(d);
}

const char *
docs_rules_source(const struct docs *d)
{
	return d->rules_src;
}

const char *
docs_suppliers_source(const struct docs *d)
{
	return d->sup_src;
}

const struct docs_rules *
docs_item(const struct docs *d, const char *item_id)
{
	return map_get(&d->items, item_id);
}

const struct docs_rules *
docs_default(const struct docs *d)
{
	return d->def;
}

const struct docs_supplier *
docs_supplier(const struct docs *d, const char *key)
{
	struct sup *s = map_get(&d->sups, key);

	return s ? &s->pub : NULL;
}

int
docs_has_suppliers(const struct docs *d)
{
	return d->sups.n > 0;
}

/* 1 for blanks a document may hold: ASCII white space or U+00A0. */
static size_t
blank_len(const char *s)
{
	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
	    *s == '\v' || *s == '\f')
		return 1;
	if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

/* Trims blanks on both ends in place; returns the new start. */
static char *
trim(char *s)
{
	char *e;
	size_t k;

	while ((k = blank_len(s)) > 0)
		s += k;
	e = s + strlen(s);
	for (;;) {
		if (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
		    e[-1] == '\n' || e[-1] == '\v' || e[-1] == '\f'))
			e--;
		else if (e - s >= 2 && (unsigned char)e[-2] == 0xc2 &&
		    (unsigned char)e[-1] == 0xa0)
			e -= 2;
		else
			break;
	}
	*e = '\0';
	return s;
}

static int
in_list(const char *const *list, const char *w)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, w) == 0)
			return 1;
	return 0;
}

/*
 * Parses a whole number followed by an optional unit word of class u.
 * Whole numbers only, but "5.0" is 5; weeks count as 7 days. Returns a C_
 * code; *out is set on C_OK.
 */
static int
count_value(const char *s, enum unit u, long long *out)
{
	static const char *const days[] = { "d", "day", "days", NULL };
	static const char *const weeks[] = { "wk", "wks", "week", "weeks",
	    NULL };
	static const char *const units[] = { "unit", "units", "pc", "pcs",
	    "piece", "pieces", "each", "ea", "item", "items", NULL };
	static const char *const per[] = { "per", "a", "/", "in", NULL };
	static const char *const packs[] = { "pack", "packs", "case",
	    "box", "carton", "pk", NULL };
	char w[4][16];
	size_t nw = 0, k, i;
	long long v = 0, mul = 1;
	int neg = 0, frac = 0, digits = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (v > (LLONG_MAX - 9) / 10)
			v = LLONG_MAX / 10;	/* saturate: C_TOOBIG below */
		else
			v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (*p != '0')
				frac = 1;
	}
	if (digits == 0)
		return C_NOTNUM;

	/* The unit: up to four words, "/" being a word of its own. */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (nw == 4)
			return C_NOTNUM;
		k = 0;
		if (*p == '/')
			w[nw][k++] = *p++;
		else
			while (*p != '\0' && *p != ' ' && *p != '\t' &&
			    *p != '/') {
				if (k + 1 >= sizeof(w[0]))
					return C_NOTNUM;
				w[nw][k++] = (char)lower((unsigned char)*p++);
			}
		w[nw++][k] = '\0';
	}

	i = 0;
	if (nw == 0)
		;
	else if ((u == U_DAYS || u == U_ANY) && nw == 1 &&
	    in_list(days, w[0]))
		;
	else if ((u == U_DAYS || u == U_ANY) && nw == 1 &&
	    in_list(weeks, w[0]))
		mul = 7;
	else if ((u == U_UNITS || u == U_PACK || u == U_ANY) && nw == 1 &&
	    in_list(units, w[0]))
		;
	else if (u == U_PACK || u == U_ANY) {
		/* [units] per pack, a pack, /pack, in a pack; "12 pack" */
		if (in_list(units, w[i]))
			i++;
		if (i < nw && in_list(per, w[i])) {
			i++;
			if (i < nw && strcmp(w[i - 1], "in") == 0 &&
			    strcmp(w[i], "a") == 0)
				i++;
		}
		if (i + 1 != nw || !in_list(packs, w[i]))
			return C_NOTNUM;
	} else
		return C_NOTNUM;

	if (neg && (v != 0 || frac))
		return C_NEGATIVE;
	if (frac)
		return C_FRACTION;
	if (v > DOCS_COUNT_MAX / mul)
		return C_TOOBIG;
	*out = v * mul;
	return C_OK;
}

/* Parses "5", "5 days", "48 units", "12 per pack", "2 weeks" (14). */
int
docs_parse_count(const char *s, long long *out)
{
	long long v;

	if (count_value(s, U_ANY, &v) != C_OK)
		return -1;
	*out = v;
	return 0;
}

/* 1 when s starts with the lower-case word w, in any case. */
static int
word_is(const char *s, const char *w)
{
	for (; *w; s++, w++)
		if (lower((unsigned char)*s) != *w)
			return 0;
	return 1;
}

/*
 * Parses a fraction ≥ 0: "0.25", ".25", "25%", "25 %", "25 percent".
 * Digits past what DEC_SCALE holds round half up. The result is exact:
 * "25%" and "0.25" both give 250000000.
 */
int
docs_parse_fraction(const char *s, int64_t *out)
{
	const char *p = s, *ip, *fp = NULL;
	size_t ni = 0, nf = 0, keep, i;
	int64_t whole = 0, frac = 0, mult;
	int pct = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+')
		p++;
	for (ip = p; *p >= '0' && *p <= '9'; p++)
		ni++;
	if (*p == '.') {
		fp = ++p;
		for (; *p >= '0' && *p <= '9'; p++)
			nf++;
	}
	if (ni + nf == 0)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '%') {
		pct = 1;
		p++;
	} else if (word_is(p, "percent")) {
		pct = 1;
		p += 7;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return -1;

	/* value * DEC_SCALE: a percent keeps 7 decimals, a plain number 9. */
	keep = pct ? DEC_DIGITS - 2 : DEC_DIGITS;
	mult = pct ? DEC_SCALE / 100 : DEC_SCALE;
	for (i = 0; i < ni; i++) {
		if (whole > (INT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (ip[i] - '0');
	}
	for (i = 0; i < keep; i++)
		frac = frac * 10 + (i < nf ? fp[i] - '0' : 0);
	if (nf > keep && fp[keep] >= '5')
		frac++;
	if (whole > (INT64_MAX - frac) / mult)
		return -1;
	*out = whole * mult + frac;
	return 0;
}

/*
 * The value part of a "key: value" line, in place: a quoted value ("...",
 * '...', or typographic quotes) is taken as written up to its closing
 * quote; otherwise a '#' after a blank starts a comment. Surrounding
 * blanks go.
 */
static char *
clean_value(char *v)
{
	static const char *const q[][2] = {
		{ "\"", "\"" }, { "'", "'" },
		{ "\xe2\x80\x9c", "\xe2\x80\x9d" },	/* U+201C U+201D */
		{ "\xe2\x80\x98", "\xe2\x80\x99" },	/* U+2018 U+2019 */
	};
	char *e, *rest;
	size_t i, ol, cl, n;

	v = trim(v);
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		ol = strlen(q[i][0]);
		cl = strlen(q[i][1]);
		if (strncmp(v, q[i][0], ol) != 0)
			continue;
		/* The last closing quote followed by nothing or a comment. */
		for (e = v + strlen(v); e >= v + ol + cl; e--) {
			if (strncmp(e - cl, q[i][1], cl) != 0)
				continue;
			for (rest = e; (n = blank_len(rest)) > 0; rest += n)
				;
			if (*rest != '\0' && *rest != '#')
				continue;
			e[-(long)cl] = '\0';
			return v + ol;
		}
	}
	for (e = v; *e != '\0'; e++)
		if (*e == '#' && e > v && (e[-1] == ' ' || e[-1] == '\t')) {
			*e = '\0';
			break;
		}
	return trim(v);
}

/* Sets a count setting, with the unit class and floor of its key. */
static void
set_count(struct parse *ps, struct docs_num *num, const char *kname,
    const char *val, enum unit u, long long min)
{
	static const char *const what[] = {
		"a number of days", "a number of units",
		"a number of units per pack", "a number"
	};
	char sv[SHOW_MAX + 8];
	long long v;

	show(val, sv, sizeof(sv));
	switch (count_value(val, u, &v)) {
	case C_OK:
		break;
	case C_NOTNUM:
		warn(ps, "%s: \"%s\" is not %s (ignored)", kname, sv, what[u]);
		return;
	case C_FRACTION:
		warn(ps, "%s: \"%s\" is not a whole number (ignored)", kname,
		    sv);
		return;
	case C_NEGATIVE:
		warn(ps, "%s: \"%s\" cannot be negative (ignored)", kname, sv);
		return;
	default:
		warn(ps, "%s: \"%s\" is too large (ignored)", kname, sv);
		return;
	}
	if (v < min) {
		warn(ps, "%s: \"%s\" must be at least %lld (ignored)", kname,
		    sv, min);
		return;
	}
	if (num->set)
		warn(ps, "%s: set again (first on line %lu); this line wins",
		    kname, num->line);
	num->set = 1;
	num->v = v;
	num->line = ps->line;
}

/* Replaces a string setting; the old value goes. -1 on ENOMEM. */
static int
set_str(struct parse *ps, char **dst, unsigned long *line, const char *kname,
    const char *val)
{
	char *s;

	if ((s = strdup(val)) == NULL)
		return -1;
	if (*dst != NULL)
		warn(ps, "%s: set again (first on line %lu); this line wins",
		    kname, *line);
	free(*dst);
	*dst = s;
	*line = ps->line;
	return 0;
}

/* Basic sanity: one '@' with something on each side, no blanks. */
static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == ',' || *p == ';' ||
		    *p == '<' || *p == '>')
			return 0;
	p = strchr(at + 1, '.');
	return p != NULL && p != at + 1 && p[1] != '\0' &&
	    s[strlen(s) - 1] != '.';
}

/*
 * Resolves a template file name next to the doc: a relative path that does
 * not climb out with "..", naming a readable file. *out is the allocated
 * path, or NULL after a warning. -1 on ENOMEM.
 */
static int
template_path(struct parse *ps, const char *kname, const char *val,
    char **out)
{
	const char *slash, *p;
	char sv[SHOW_MAX + 8], sp[SHOW_MAX + 8], *path;
	struct stat st;
	size_t dl, n;

	*out = NULL;
	show(val, sv, sizeof(sv));
	for (p = val; *p; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (n == 2 && strncmp(p, "..", 2) == 0)
			break;
	}
	if (val[0] == '/' || *p != '\0') {
		warn(ps, "%s: \"%s\" must be a file next to the suppliers doc "
		    "(ignored; the built-in template is used)", kname, sv);
		return 0;
	}
	slash = strrchr(ps->path, '/');
	dl = slash ? (size_t)(slash - ps->path) + 1 : 0;
	n = dl + strlen(val) + 1;
	if ((path = malloc(n)) == NULL)
		return -1;
	snprintf(path, n, "%.*s%s", (int)dl, ps->path, val);
	/* next to a remote doc (s3://...): read when used, through docsrc */
	if (strstr(ps->path, "://") != NULL) {
		*out = path;
		return 0;
	}
	show(path, sp, sizeof(sp));
	if (stat(path, &st) == -1) {
		warn(ps, "%s: cannot read \"%s\": %s (the built-in template "
		    "is used)", kname, sp, strerror(errno));
		free(path);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		warn(ps, "%s: \"%s\" is not a file (the built-in template is "
		    "used)", kname, sp);
		free(path);
		return 0;
	}
	*out = path;
	return 0;
}

/* Applies "key: value" to the current section. -1 on ENOMEM. */
static int
setting(struct parse *ps, char *kname, char *val)
{
	struct docs_rules *r = ps->rules;
	struct sup *s = ps->sup;
	char nk[64], sv[SHOW_MAX + 8], sk[SHOW_MAX + 8], *t;
	size_t i;
	enum key k;
	int rules_key, ok = 0;

	show(kname, sk, sizeof(sk));
	if (ps->sec == SEC_IGNORED)
		return 0;
	if (ps->sec == SEC_NONE) {
		warn(ps, "\"%s\" is outside any section (put it under %s); "
		    "ignored", sk, ps->doc == DOC_RULES ?
		    "[default] or [item SKU]" : "[supplier KEY]");
		return 0;
	}
	csvin_normalize(kname, nk, sizeof(nk));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, nk) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		warn(ps, "unknown key \"%s\" (ignored)", sk);
		return 0;
	}
	k = keys[i].key;
	rules_key = k <= K_SUPPLIER;
	if (ps->sec == SEC_RULES && !rules_key) {
		warn(ps, "\"%s\" is a supplier setting: it belongs in the "
		    "suppliers doc (ignored)", sk);
		return 0;
	}
	if (ps->sec == SEC_SUPPLIER && (k == K_BUFFER || k == K_POINT ||
	    k == K_CAP || k == K_SUPPLIER)) {
		warn(ps, "\"%s\" is an item setting: it belongs in the rules "
		    "doc (ignored)", sk);
		return 0;
	}
	if (*val == '\0') {
		warn(ps, "%s: no value (ignored)", sk);
		return 0;
	}
	show(val, sv, sizeof(sv));
	switch (k) {
	case K_BUFFER:
		set_count(ps, &r->buffer, sk, val, U_UNITS, 0);
		break;
	case K_POINT:
		set_count(ps, &r->point_override, sk, val, U_UNITS, 0);
		break;
	case K_CAP:
		set_count(ps, &r->order_cap, sk, val, U_UNITS, 0);
		break;
	case K_LEAD:
		set_count(ps, r ? &r->lead_time_days : &s->pub.lead_time_days,
		    sk, val, U_DAYS, 0);
		break;
	case K_PACK:
		set_count(ps, r ? &r->pack_size : &s->pub.pack_size, sk, val,
		    U_PACK, 1);
		break;
	case K_MIN:
		set_count(ps, r ? &r->min_order : &s->pub.min_order, sk, val,
		    U_UNITS, 0);
		break;
	case K_SUPPLIER:
		lower_str(val);
		return set_str(ps, &r->supplier, &r->supplier_line, sk, val);
	case K_NAME:
		return set_str(ps, &s->pub.name, &s->name_line, sk, val);
	case K_EMAIL:
		if (!email_ok(val)) {
			warn(ps, "%s: \"%s\" does not look like an email "
			    "address (ignored)", sk, sv);
			return 0;
		}
		return set_str(ps, &s->pub.email, &s->email_line, sk, val);
	case K_CURRENCY:
		ok = strlen(val) == 3;
		for (t = val; ok && *t; t++) {
			*t = (char)lower((unsigned char)*t);
			if (*t < 'a' || *t > 'z')
				ok = 0;
			else
				*t = (char)(*t - 'a' + 'A');
		}
		if (!ok) {
			warn(ps, "%s: \"%s\" is not a 3-letter currency code "
			    "like USD or EUR (ignored)", sk, sv);
			return 0;
		}
		return set_str(ps, &s->pub.currency, &s->currency_line, sk,
		    val);
	case K_TEMPLATE:
		if (template_path(ps, sk, val, &t) == -1)
			return -1;
		if (t == NULL)
			return 0;
		if (s->pub.template_path != NULL)
			warn(ps, "%s: set again (first on line %lu); this "
			    "line wins", sk, s->template_line);
		free(s->pub.template_path);
		s->pub.template_path = t;
		s->template_line = ps->line;
		break;
	}
	return 0;
}

/*
 * A "[kind name]" header. The closing bracket is the first ']' followed
 * only by blanks or a comment, so a SKU may hold ']' or '#'. -1 on ENOMEM.
 */
static int
section(struct parse *ps, char *s)
{
	struct docs *d = ps->d;
	struct docs_rules *r;
	struct sup *sp;
	char *e, *rest, *name, sv[SHOW_MAX + 8];
	size_t n;

	ps->sec = SEC_IGNORED;
	ps->rules = NULL;
	ps->sup = NULL;
	for (e = strchr(s, ']'); e != NULL; e = strchr(e + 1, ']')) {
		for (rest = e + 1; (n = blank_len(rest)) > 0; rest += n)
			;
		if (*rest == '\0' || *rest == '#')
			break;
	}
	if (e == NULL) {
		warn(ps, "section header \"%s\" has no closing \"]\" (its "
		    "lines are ignored)", show(s, sv, sizeof(sv)));
		return 0;
	}
	*e = '\0';
	s = trim(s + 1);
	name = s + strcspn(s, " \t");
	if (*name != '\0')
		*name++ = '\0';
	name = trim(name);
	lower_str(s);

	if (strcmp(s, "default") == 0 || strcmp(s, "item") == 0) {
		if (ps->doc != DOC_RULES) {
			warn(ps, "[%s] belongs in the rules doc (its lines are "
			    "ignored)", s);
			return 0;
		}
		if (strcmp(s, "default") == 0 && *name != '\0') {
			warn(ps, "[default] takes no name, not \"%s\" (its "
			    "lines are ignored)", show(name, sv, sizeof(sv)));
			return 0;
		}
		if (strcmp(s, "item") == 0 && *name == '\0') {
			warn(ps, "[item] needs a SKU, like [item A-100] (its "
			    "lines are ignored)");
			return 0;
		}
		r = *name ? map_get(&d->items, name) : d->def;
		if (r != NULL)
			warn(ps, "[%s%s%s] already appeared on line %lu; the "
			    "two are merged, later lines win", s,
			    *name ? " " : "", show(name, sv, sizeof(sv)),
			    r->line);
		else {
			if ((r = calloc(1, sizeof(*r))) == NULL)
				return -1;
			r->line = ps->line;
			if (*name == '\0')
				d->def = r;
			else if ((r->item_id = strdup(name)) == NULL ||
			    map_put(&d->items, r->item_id, r) == -1) {
				rules_free(r);
				return -1;
			}
		}
		ps->sec = SEC_RULES;
		ps->rules = r;
		return 0;
	}
	if (strcmp(s, "supplier") == 0) {
		if (ps->doc != DOC_SUPPLIERS) {
			warn(ps, "[supplier] sections belong in the suppliers "
			    "doc (its lines are ignored)");
			return 0;
		}
		if (*name == '\0') {
			warn(ps, "[supplier] needs a key, like [supplier acme] "
			    "(its lines are ignored)");
			return 0;
		}
		lower_str(name);
		if ((sp = map_get(&d->sups, name)) != NULL)
			warn(ps, "[supplier %s] already appeared on line %lu; "
			    "the two are merged, later lines win",
			    show(name, sv, sizeof(sv)), sp->pub.line);
		else {
			if ((sp = calloc(1, sizeof(*sp))) == NULL)
				return -1;
			sp->pub.line = ps->line;
			if ((sp->pub.key = strdup(name)) == NULL ||
			    map_put(&d->sups, sp->pub.key, sp) == -1) {
				sup_free(sp);
				return -1;
			}
		}
		ps->sec = SEC_SUPPLIER;
		ps->sup = sp;
		return 0;
	}
	warn(ps, "unknown section [%s] (expected %s); its lines are ignored",
	    show(s, sv, sizeof(sv)), ps->doc == DOC_RULES ?
	    "[default] or [item SKU]" : "[supplier KEY]");
	return 0;
}

/* One line of a doc, without its newline. -1 on ENOMEM. */
static int
doc_line(struct parse *ps, char *s)
{
	char *sep, sv[SHOW_MAX + 8], sc;
	size_t n;

	s = trim(s);
	if (*s == '\0' || *s == '#')
		return 0;
	/* A list bullet from a word processor: "- ", "* ", U+2022. */
	n = strncmp(s, "\xe2\x80\xa2", 3) == 0 ? 3 :
	    (*s == '-' || *s == '*') ? 1 : 0;
	if (n > 0 && blank_len(s + n) > 0)
		s = trim(s + n);
	if (*s == '[')
		return section(ps, s);
	sep = s + strcspn(s, ":=");
	if (*sep == '\0') {
		warn(ps, "\"%s\" is not a \"key: value\" line (ignored)",
		    show(s, sv, sizeof(sv)));
		return 0;
	}
	sc = *sep;
	*sep = '\0';
	s = trim(s);
	if (*s == '\0') {
		warn(ps, "a value with no key before the \"%c\" (ignored)",
		    sc);
		return 0;
	}
	return setting(ps, s, clean_value(sep + 1));
}

/*
 * Reads one line into lb (max + 2 bytes: a line of max bytes and its
 * '\r' fit), without its newline or '\r', NUL-terminated. Returns 0 at
 * the end of the file, else 1 with *bad set to "long" when the line is
 * longer than max (the rest is skipped) or "nul" when it holds a NUL byte.
 */
static int
read_line(FILE *fp, char *lb, size_t max, const char **bad)
{
	size_t n = 0;
	int c, any = 0;

	*bad = NULL;
	while ((c = getc(fp)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			*bad = "nul";
		if (n < max + 1)
			lb[n++] = (char)c;
		else if (*bad == NULL)
			*bad = "long";
	}
	if (n > 0 && lb[n - 1] == '\r')
		n--;
	lb[n] = '\0';
	if (n > max && *bad == NULL)
		*bad = "long";
	return any;
}

/*
 * Reads the doc at path line by line. 0, or -1 with errno set when it
 * cannot be opened or read, or memory runs out.
 */
static int
load_fp(struct docs *d, FILE *fp, const char *path,
    const struct docs_warner *w, enum doc doc)
{
	struct parse ps;
	char lb[LINE_MAX_BYTES + 2], *s, **src;
	const char *bad;
	int rc = 0, serr;

	memset(&ps, 0, sizeof(ps));
	ps.d = d;
	ps.path = path;
	ps.w = w;
	ps.doc = doc;
	errno = 0;
	while (read_line(fp, lb, LINE_MAX_BYTES, &bad)) {
		ps.line++;
		s = lb;
		if (ps.line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		if (bad != NULL && strcmp(bad, "long") == 0)
			warn(&ps, "line longer than %d bytes (ignored)",
			    LINE_MAX_BYTES);
		else if (bad != NULL || !utf8_valid(s, strlen(s)))
			warn(&ps, "not UTF-8 text (line ignored; save the doc "
			    "as UTF-8)");
		else if (doc_line(&ps, s) == -1) {
			errno = ENOMEM;
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		rc = -1;
	}
	serr = errno;
	if (rc == 0) {
		src = doc == DOC_RULES ? &d->rules_src : &d->sup_src;
		free(*src);
		if ((*src = strdup(path)) == NULL) {
			serr = ENOMEM;
			rc = -1;
		}
	}
	errno = serr;
	return rc;
}

static int
load(struct docs *d, const char *path, const struct docs_warner *w,
    enum doc doc)
{
	FILE *fp;
	int rc, serr;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	rc = load_fp(d, fp, path, w, doc);
	serr = errno;
	fclose(fp);
	errno = serr;
	return rc;
}

/* The same from an open stream (a fetched remote doc) named source. */
int
docs_load_rules_fp(struct docs *d, FILE *fp, const char *source,
    const struct docs_warner *w)
{
	return load_fp(d, fp, source, w, DOC_RULES);
}

int
docs_load_suppliers_fp(struct docs *d, FILE *fp, const char *source,
    const struct docs_warner *w)
{
	return load_fp(d, fp, source, w, DOC_SUPPLIERS);
}

/* Loads a rules doc: [default] and [item SKU] sections. */
int
docs_load_rules(struct docs *d, const char *path,
    const struct docs_warner *w)
{
	return load(d, path, w, DOC_RULES);
}

/* Loads a suppliers doc: [supplier KEY] sections. */
int
docs_load_suppliers(struct docs *d, const char *path,
    const struct docs_warner *w)
{
	return load(d, path, w, DOC_SUPPLIERS);
}
