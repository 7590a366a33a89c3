/*
 * docs: the rules doc and the suppliers doc, plain text a shop owner
 * writes (rules.md "Inputs"): '#' comments, "key: value" lines (also
 * "key = value"), sections [default], [item SKU] and [supplier KEY]. Keys
 * match like CSV columns, with the aliases of rules.md; a number may carry a
 * unit word ("5 days", "48 units"), a margin may be a percentage ("25%").
 * Unknown keys and bad values are reported through the warn callback with
 * their line, and the value is ignored.
 *
 * A section that appears twice is merged (later lines win, with a
 * warning); so is a second doc loaded into the same struct docs. A
 * template that cannot be read is warned about and left NULL (the
 * built-in template is used).
 *
 * Ownership: docs_load_* copy what they keep; the returned pointers live
 * until docs_free().
 */
#ifndef IR_DOCS_H
#define IR_DOCS_H

#include <stdint.h>
#include <stdio.h>

struct docs_num {
	int		 set;
	long long	 v;
	unsigned long	 line;		/* where it was set */
};

struct docs_rules {			/* one [item SKU] or [default] */
	char		*item_id;	/* NULL for [default] */
	unsigned long	 line;		/* the section header's line */
	struct docs_num	 buffer, point_override, order_cap, lead_time_days,
			 pack_size, min_order;
	char		*supplier;	/* NULL when not set */
	unsigned long	 supplier_line;
};

struct docs_supplier {
	char		*key;		/* as written in [supplier KEY], lower-cased */
	unsigned long	 line;
	char		*name, *email, *currency;
	char		*template_path;	/* resolved next to the doc, or NULL */
	struct docs_num	 lead_time_days, min_order, pack_size;
};

/* Called for each warning: source (the path), line, message for people. */
struct docs_warner {
	void	(*fn)(void *ctx, const char *source, unsigned long line,
		    const char *msg);
	void	*ctx;
};

struct docs;

struct docs *docs_new(void);
/* 0; -1 when the file cannot be read (errno set). Warnings do not fail. */
int	 docs_load_rules(struct docs *, const char *path,
	    const struct docs_warner *);
int	 docs_load_suppliers(struct docs *, const char *path,
	    const struct docs_warner *);
/* The same from an open stream (not closed here), named source in
 * messages; templates of a remote doc resolve to URIs next to it. */
int	 docs_load_rules_fp(struct docs *, FILE *fp, const char *source,
	    const struct docs_warner *);
int	 docs_load_suppliers_fp(struct docs *, FILE *fp, const char *source,
	    const struct docs_warner *);
const char *docs_rules_source(const struct docs *);	/* path or NULL */
const char *docs_suppliers_source(const struct docs *);
/* NULL when the doc has no such section. */
const struct docs_rules *docs_item(const struct docs *, const char *item_id);
const struct docs_rules *docs_default(const struct docs *);
/* key matched case-insensitively; NULL when unknown. */
const struct docs_supplier *docs_supplier(const struct docs *,
	    const char *key);
int	 docs_has_suppliers(const struct docs *);
void	 docs_free(struct docs *);

/* Counts above this are taken for typos ("is too large"). */
#define DOCS_COUNT_MAX	1000000000LL

/*
 * Parses "5", "5 days", "48 units", "12 per pack", "2 weeks" (14): a whole
 * number from 0 to DOCS_COUNT_MAX. 0 or -1.
 */
int	 docs_parse_count(const char *s, long long *out);
/*
 * Parses "25%", "25 %", "0.25": a fraction >= 0 scaled by DEC_SCALE,
 * exactly (digits past the scale round half up). 0 or -1.
 */
int	 docs_parse_fraction(const char *s, int64_t *out);

#endif
