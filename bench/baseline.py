#!/usr/bin/env python3
"""The reorder job as a shop owner's Python script would do it (bench).

Reads the stock sheet with the csv module, merges the figures of the rules
and suppliers docs (policy.json, copied from them by hand), computes the
reorder point and move of rules.md and writes every reorder and
urgent_reorder as one JSON object per line, like `ir-sync | ir-check`.

usage: baseline.py policy.json stock.csv > moves.ndjson
"""
import csv
import json
import math
import re
import sys


def norm(name):
    """Column names as ir-sync matches them: case, ' ', '-', '_'."""
    return re.sub(r"[ _-]+", "_", name.strip().lower())


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        policy = json.load(f)
    items = policy["item"]
    sup_lead = policy["supplier_lead"]
    dflt_lead = policy["default_lead"]
    dflt_buffer = policy["default_buffer"]
    dflt_sup = policy["default_supplier"]
    out = sys.stdout
    dumps = json.dumps
    with open(sys.argv[2], newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        col = {norm(h): i for i, h in enumerate(next(rows))}
        c_id, c_name, c_on = col["item_id"], col["name"], col["on_hand"]
        c_rate, c_lead, c_buf = col["rate"], col["lead_time_days"], col["buffer"]
        c_pt, c_sup, c_pack = col["point_override"], col["supplier"], col["pack_size"]
        c_cost = col["unit_cost"]
        for r in rows:
            if not any(r):
                continue
            item_id = r[c_id].strip()
            on_hand = int(r[c_on])
            rate = float(r[c_rate]) if r[c_rate] else 0.0
            sup = r[c_sup].strip() or dflt_sup
            over = items.get(item_id)
            if over and "lead" in over:
                lead = over["lead"]
            elif r[c_lead]:
                lead = int(r[c_lead])
            else:
                lead = sup_lead.get(sup.lower(), dflt_lead)
            if over and "buffer" in over:
                buffer = over["buffer"]
            elif r[c_buf]:
                buffer = int(r[c_buf])
            else:
                buffer = dflt_buffer
            if over and "point" in over:
                point = over["point"]
            elif r[c_pt]:
                point = int(r[c_pt])
            else:
                # rules.md: ceil with a 1e-9 tolerance
                point = math.ceil(rate * lead + buffer - 1e-9)
            if point == 0:
                continue
            if on_hand <= buffer:
                move = "urgent_reorder"
            elif on_hand <= point:
                move = "reorder"
            else:
                continue
            out.write(dumps({
                "type": "move", "item_id": item_id,
                "name": r[c_name] or item_id, "on_hand": on_hand,
                "rate": rate, "lead_time_days": lead, "buffer": buffer,
                "supplier": sup, "pack_size": r[c_pack] or None,
                "unit_cost": r[c_cost] or None,
                "move": move, "point": point,
            }) + "\n")


if __name__ == "__main__":
    main()
