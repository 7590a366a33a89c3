#!/usr/bin/env bats
# ir-check: items to moves, by rules.md.

bats_require_minimum_version 1.5.0
load helpers

@test "the ten worked examples of rules.md: point and move" {
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check --all"
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | jq -r '[.item_id, .point, .move] | @tsv')
	want=$(cut -f1-3 "$FIX/expected-examples.tsv")
	[ "$got" = "$want" ]
}

@test "by default only reorder and urgent_reorder go out, with every item field" {
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .item_id | tr '\n' ' ')" = "EX01 EX02 EX06 EX07 EX08 EX09 EX10 " ]
	printf '%s\n' "$output" | jq -e -s 'all(.type == "move" and has("on_hand") and has("unit_cost") and has("checked_at") and has("reason"))'
	[ "$(printf '%s\n' "$output" | head -n 1 | jq -r .checked_at)" = "2026-12-04T09:00:00+08:00" ]
}

@test "last_move and last_checked are recorded, not under --dry-run" {
	examples_sync | ir-check --dry-run > /dev/null
	[ "$(sql 'select count(*) from state where last_move is not null')" -eq 0 ]
	examples_sync | ir-check > /dev/null
	[ "$(sql "select last_move from state where item_id = 'EX03'")" = watch ]
	[ "$(sql "select last_checked from state where item_id = 'EX04'")" = "2026-12-04T09:00:00+08:00" ]
}

@test "an open order makes on_order; a skip makes snoozed until it ends" {
	examples_sync | ir-check | ir-draft > /dev/null
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check --all"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .move')" = on_order ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .order_id')" = EX01-20261204 ]
	ir-approve --skip EX01-20261204 --by mei > /dev/null
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check --all"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .move')" = snoozed ]
	# cooldown 7 days: on the 11th the item comes back
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check --all --now 2026-12-11T09:00:00+08:00"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .move')" = reorder ]
}

@test "overdue: an on-order item past its expected date is flagged" {
	examples_sync | ir-check | ir-draft --suppliers "$FIX/examples-suppliers.txt" > /dev/null
	ir-approve --approve EX10-20261204 --suppliers "$FIX/examples-suppliers.txt" > /dev/null
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check --all --now 2027-01-10T09:00:00+08:00"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX10") | .overdue')" = true ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .overdue')" = null ]
}

@test "store reads are batched: a constant number of queries for 5000 items" {
	awk 'BEGIN { print "item_id,on_hand,rate"; for (i = 0; i < 5000; i++) printf "S%d,%d,1\n", i, i % 20 }' > big.csv
	ir-sync big.csv > items.ndjson
	# reads only (--dry-run writes nothing): one query for any count
	run --separate-stderr sh -c "IR_STORE_TRACE=1 ir-check --all --dry-run < items.ndjson | wc -l"
	[ "$status" -eq 0 ]
	[ "$output" -eq 5000 ]
	[[ "$stderr" == *"store round trips: 1"* ]]
	head -n 50 items.ndjson > few.ndjson
	run --separate-stderr sh -c "IR_STORE_TRACE=1 ir-check --all --dry-run < few.ndjson"
	[[ "$stderr" == *"store round trips: 1"* ]]
	# with the last_move writes: one transaction (BEGIN, batch, COMMIT) per 5000 items
	run --separate-stderr sh -c "IR_STORE_TRACE=1 ir-check --all < items.ndjson > /dev/null"
	[[ "$stderr" == *"store round trips: 4"* ]]
	cat items.ndjson items.ndjson | jq -c '.item_id += "b"' > twice.ndjson
	run --separate-stderr sh -c "IR_STORE_TRACE=1 ir-check --all < twice.ndjson > /dev/null"
	[[ "$stderr" == *"store round trips: 7"* ]]
}

@test "memory stays flat: 300k items in under 8 MB, reads and writes alike" {
	if ldd "$REPO/bin/ir-check" | grep -q asan; then
		skip "sanitizer builds keep shadow memory"
	fi
	awk 'BEGIN { print "item_id,on_hand,rate"; for (i = 0; i < 300000; i++) printf "S%d,%d,1.5\n", i, i % 50 }' > big.csv
	ir-sync big.csv > items.ndjson
	run sh -c '/usr/bin/time -f %M ir-check --dry-run < items.ndjson 2>&1 >/dev/null | tail -n 1'
	[ "$status" -eq 0 ]
	[ "$output" -lt 8192 ]
	run sh -c '/usr/bin/time -f %M ir-check < items.ndjson 2>&1 >/dev/null | tail -n 1'
	[ "$status" -eq 0 ]
	[ "$output" -lt 8192 ]
}

@test "other records pass through in order; bad records are named, exit 65" {
	{
		echo '{"type":"note","text":"hello"}'
		examples_sync | head -n 1
		echo 'not json'
		echo '{"item_id":"X"}'
		echo '{"type":"item","item_id":"Y"}'
		echo '{"type":"note","text":"bye"}'
	} > in.ndjson
	run --separate-stderr ir-check in.ndjson
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$output" | jq -r '.type + ":" + (.item_id // .text)' | tr '\n' ' ')" = "note:hello move:EX01 note:bye " ]
	[[ "$stderr" == *"in.ndjson:3: not valid JSON"* ]]
	[[ "$stderr" == *'in.ndjson:4: record has no "type"'* ]]
	[[ "$stderr" == *"in.ndjson:5: Y: on_hand is missing"* ]]
	# no state for the bad item, state for the good one
	[ "$(sql "select count(*) from state where item_id = 'Y'")" -eq 0 ]
	[ "$(sql "select count(*) from state where item_id = 'EX01'")" -eq 1 ]
}

@test "usage, help, version, empty input, unreadable file, full disk" {
	run ir-check --bogus
	[ "$status" -eq 64 ]
	run ir-check --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run ir-check --version
	[[ "$output" == "ir-check "* ]]
	run sh -c 'ir-check < /dev/null'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run ir-check /nonexistent.ndjson
	[ "$status" -eq 66 ]
	run sh -c "ir-sync '$FIX/examples.csv' | ir-check > /dev/full"
	[ "$status" -eq 74 ]
}
