/*
 * reorder: the arithmetic of rules.md, in integers and exact decimals so
 * that two implementations agree to the unit. No I/O.
 */
#ifndef IR_REORDER_H
#define IR_REORDER_H

#include <stdint.h>

#include "buf.h"

struct reorder_item {
	long long	 on_hand;
	int64_t		 rate;		/* units/day, scaled by DEC_SCALE */
	long long	 lead;		/* days */
	long long	 buffer;
	int		 has_override;
	long long	 point_override;
	long long	 pack;		/* >= 1 */
	long long	 min_order;	/* 0: none */
	int		 has_cap;
	long long	 cap;
};

enum reorder_move {
	MOVE_ON_ORDER, MOVE_SNOOZED, MOVE_STOCKED, MOVE_URGENT, MOVE_REORDER,
	MOVE_WATCH
};

#define QTY_CAPPED		0x1
#define QTY_CAP_BREAKS_PACK	0x2
#define QTY_BELOW_MIN		0x4

struct reorder_qty {
	long long	 cover, target, need, packed, minimum, qty;
	unsigned	 flags;
};

long long reorder_point(const struct reorder_item *);
/* The first rule of rules.md "Reorder point and move" that holds. */
int	reorder_move(const struct reorder_item *, long long point,
	    int64_t watch_margin, int has_open_order, int snoozed);
const char *reorder_move_name(int move);
/* Also writes a one-line reason for people into reason (may be NULL). */
void	reorder_reason(const struct reorder_item *, long long point,
	    int64_t watch_margin, int move, char *reason, size_t sz);
void	reorder_qty(const struct reorder_item *, long long point,
	    long long days_of_cover, struct reorder_qty *);
/* "capped,cap_breaks_pack" etc. appended (no separator before the first). */
int	reorder_flags(struct buf *, unsigned flags);
/* "target 46 = point 18 + 14 days' cover 28; need 36; packs of 12: 36;
 * supplier minimum 48: 48" */
int	reorder_explain(struct buf *, const struct reorder_item *,
	    long long point, long long days_of_cover,
	    const struct reorder_qty *);

#endif
