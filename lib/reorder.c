/* reorder: rules.md in integers. See reorder.h. */
#include <stdio.h>

#include "dec.h"
#include "reorder.h"

static long long
roundup(long long n, long long m)
{
	if (m <= 1)
		return n;
	return n <= 0 ? 0 : ((n + m - 1) / m) * m;
}

/* point = ceil(rate * lead + buffer): exact, so no tolerance is needed. */
long long
reorder_point(const struct reorder_item *it)
{
	if (it->has_override)
		return it->point_override;
	return dec_ceil_mul(it->rate, it->lead) + it->buffer;
}

int
reorder_move(const struct reorder_item *it, long long point,
    int64_t margin, int has_open_order, int snoozed)
{
	__int128 lhs, rhs;

	if (has_open_order)
		return MOVE_ON_ORDER;
	if (snoozed)
		return MOVE_SNOOZED;
	if (point == 0)
		return MOVE_STOCKED;
	if (it->on_hand <= it->buffer)
		return MOVE_URGENT;
	if (it->on_hand <= point)
		return MOVE_REORDER;
	/* on_hand <= point * (1 + margin), both sides scaled by 10^9 */
	lhs = (__int128)it->on_hand * DEC_SCALE;
	rhs = (__int128)point * (DEC_SCALE + margin);
	if (lhs <= rhs)
		return MOVE_WATCH;
	return MOVE_STOCKED;
}

const char *
reorder_move_name(int move)
{
	switch (move) {
	case MOVE_ON_ORDER:	return "on_order";
	case MOVE_SNOOZED:	return "snoozed";
	case MOVE_URGENT:	return "urgent_reorder";
	case MOVE_REORDER:	return "reorder";
	case MOVE_WATCH:	return "watch";
	default:		return "stocked";
	}
}

void
reorder_reason(const struct reorder_item *it, long long point,
    int64_t margin, int move, char *reason, size_t sz)
{
	switch (move) {
	case MOVE_ON_ORDER:
		snprintf(reason, sz, "an order is already open");
		break;
	case MOVE_SNOOZED:
		snprintf(reason, sz, "skipped recently; not drafting again yet");
		break;
	case MOVE_URGENT:
		snprintf(reason, sz, "on hand %lld is at or below the buffer "
		    "%lld: stock runs out before a delivery can land",
		    it->on_hand, it->buffer);
		break;
	case MOVE_REORDER:
		snprintf(reason, sz, "on hand %lld is at or below the reorder "
		    "point %lld", it->on_hand, point);
		break;
	case MOVE_WATCH:
		snprintf(reason, sz, "on hand %lld is within %lld%% above the "
		    "reorder point %lld", it->on_hand,
		    (long long)(margin / (DEC_SCALE / 100)), point);
		break;
	default:
		if (point == 0)
			snprintf(reason, sz, "no sales and no fixed reorder "
			    "point: never reordered");
		else
			snprintf(reason, sz, "on hand %lld is well above the "
			    "reorder point %lld", it->on_hand, point);
	}
}

void
reorder_qty(const struct reorder_item *it, long long point,
    long long days, struct reorder_qty *q)
{
	long long pack = it->pack > 0 ? it->pack : 1, minq;

	q->flags = 0;
	q->cover = dec_ceil_mul(it->rate, days);
	q->target = point + q->cover;
	q->need = q->target - it->on_hand;
	if (q->need < 1)
		q->need = 1;
	q->packed = roundup(q->need, pack);
	minq = roundup(it->min_order, pack);
	q->minimum = minq > q->packed ? minq : q->packed;
	q->qty = q->minimum;
	if (it->has_cap && q->qty > it->cap) {
		q->qty = (it->cap / pack) * pack;
		q->flags |= QTY_CAPPED;
		if (q->qty == 0) {
			q->qty = it->cap;
			q->flags |= QTY_CAP_BREAKS_PACK;
		}
		if (q->qty < it->min_order)
			q->flags |= QTY_BELOW_MIN;
	}
}

int
reorder_flags(struct buf *b, unsigned flags)
{
	const char *sep = "";

	if (flags & QTY_CAPPED) {
		if (buf_addf(b, "%scapped", sep) == -1)
			return -1;
		sep = ",";
	}
	if (flags & QTY_CAP_BREAKS_PACK) {
		if (buf_addf(b, "%scap_breaks_pack", sep) == -1)
			return -1;
		sep = ",";
	}
	if ((flags & QTY_BELOW_MIN) &&
	    buf_addf(b, "%sbelow_supplier_min", sep) == -1)
		return -1;
	return 0;
}

int
reorder_explain(struct buf *b, const struct reorder_item *it,
    long long point, long long days, const struct reorder_qty *q)
{
	int rc;

	rc = buf_addf(b, "target %lld = point %lld + %lld days' cover %lld; "
	    "need %lld", q->target, point, days, q->cover, q->need);
	if (rc == 0 && it->pack > 1)
		rc = buf_addf(b, "; packs of %lld: %lld", it->pack, q->packed);
	if (rc == 0 && q->minimum > q->packed)
		rc = buf_addf(b, "; supplier minimum %lld: %lld",
		    it->min_order, q->minimum);
	if (rc == 0 && (q->flags & QTY_CAPPED))
		rc = buf_addf(b, "; cap %lld: %lld", it->cap, q->qty);
	return rc;
}
