# The reorder job as a jq user would write it (bench). Run as
#   jq -nrR -c --slurpfile p policy.json -f bench/baseline.jq stock.csv
# policy.json holds the rules and suppliers docs' figures, copied from the
# docs by hand. Reads the CSV line by line (a quoted field may span lines),
# computes the reorder point and move of rules.md and writes every reorder
# and urgent_reorder with the row's figures, one JSON object per line.

# The fields of one CSV record; the regex only for lines with a quote.
def fields:
  if index("\"") == null then split(",")
  else [match("(?:^|,)(\"(?:[^\"]|\"\")*\"|[^,]*)"; "g").captures[0].string
        | if startswith("\"") then .[1:-1] | gsub("\"\""; "\"") else . end]
  end;

# Quotes on a line: an odd count leaves a quoted field open.
def quotes: if index("\"") == null then 0 else split("\"") | length - 1 end;

def norm: ascii_downcase | gsub("[ _-]+"; "_");

def num: if . == "" then null else tonumber end;

$p[0] as $p
| (input | ltrimstr("\ufeff") | split(",") | map(norm)) as $h
| ($h | to_entries | map({key: .value, value: .key}) | from_entries) as $c
| foreach inputs as $l ({buf: null, q: 0, rec: null};
    (if .buf == null then $l else .buf + "\n" + $l end) as $b
    | (.q + ($l | quotes)) as $q
    | if $q % 2 == 1 then {buf: $b, q: $q, rec: null}
      else {buf: null, q: 0, rec: $b} end;
    .rec // empty)
| select(test("[^,]"))
| fields as $f
| $f[$c.item_id] as $id
| ($p.item[$id] // {}) as $o
| (if $f[$c.supplier] == "" then $p.default_supplier
   else $f[$c.supplier] end) as $sup
| ($f[$c.on_hand] | tonumber) as $on
| ($f[$c.rate] | num // 0) as $rate
| (if $o.lead != null then $o.lead
   else ($f[$c.lead_time_days] | num)
     // $p.supplier_lead[$sup | ascii_downcase] // $p.default_lead
   end) as $lead
| (if $o.buffer != null then $o.buffer
   else ($f[$c.buffer] | num) // $p.default_buffer end) as $buffer
| (if $o.point != null then $o.point
   else ($f[$c.point_override] | num)
     // ($rate * $lead + $buffer - 1e-9 | ceil)   # rules.md: 1e-9 tolerance
   end) as $point
| select($point != 0 and ($on <= $buffer or $on <= $point))
| {type: "move", item_id: $id,
   name: (if $f[$c.name] == "" then $id else $f[$c.name] end),
   on_hand: $on, rate: $rate, lead_time_days: $lead, buffer: $buffer,
   supplier: $sup, pack_size: ($f[$c.pack_size] | num),
   unit_cost: $f[$c.unit_cost],
   move: (if $on <= $buffer then "urgent_reorder" else "reorder" end),
   point: $point}
