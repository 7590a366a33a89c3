#!/usr/bin/env bats
# ir-draft: moves to drafts for the owner, with quiet hours.

bats_require_minimum_version 1.5.0
load helpers

draft_examples() {
	examples_sync | ir-check | ir-draft --suppliers "$FIX/examples-suppliers.txt" "$@"
}

@test "the worked examples of rules.md: quantity and flags to the unit" {
	run --separate-stderr draft_examples
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | jq -r '[.item_id, .point, .move, .qty, (.flags | join(","))] | @tsv')
	want=$(awk -F'\t' '$4 != ""' "$FIX/expected-examples.tsv")
	[ "$got" = "$want" ]
}

@test "the draft explains its quantity in one line" {
	run --separate-stderr draft_examples
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .explain')" = "target 46 = point 18 + 14 days' cover 28; need 36; packs of 12: 36; supplier minimum 48: 48" ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX07") | .explain')" = "target 48 = point 13 + 14 days' cover 35; need 38; packs of 10: 40; cap 35: 30" ]
	python3 - outbox/draft-EX01-20261204.eml <<-'PY'
	import email, email.policy, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
	want = "target 46 = point 18 + 14 days' cover 28; need 36; packs of 12: 36; supplier minimum 48: 48"
	for ct in ('text/plain', 'text/html'):
	    body = [p for p in m.walk() if p.get_content_type() == ct][0].get_content()
	    assert want in body.replace('&#39;', "'").replace('&#x27;', "'"), (ct, body)
	PY
	grep -qF "target 46 = point 18 + 14 days' cover 28" outbox/draft-EX01-20261204.json
}

@test "the owner gets a Block Kit message with Approve / Edit / Skip and an email" {
	draft_examples > drafts.ndjson
	[ -f outbox/draft-EX01-20261204.json ]
	jq -e '[.blocks[] | select(.type == "actions") | .elements[] | {a: .action_id, v: .value}] ==
		[{a: "approve", v: "EX01-20261204"}, {a: "edit", v: "EX01-20261204"}, {a: "skip", v: "EX01-20261204"}]' \
		outbox/draft-EX01-20261204.json
	eml=outbox/draft-EX01-20261204.eml
	grep -q '^To: .*owner@shop.example.com' "$eml"
	grep -q '^From: .*orders@shop.example.com' "$eml"
	grep -qi '^Message-ID: <draft-EX01-20261204@' "$eml"
	grep -qi '^Content-Type: multipart/alternative' "$eml"
	grep -qi 'Content-Type: text/plain' "$eml"
	grep -qi 'Content-Type: text/html' "$eml"
	# nothing goes to a supplier from ir-draft
	! grep -rqi 'acme.example.com' outbox/*.eml || ! grep -rq '^To: .*acme' outbox/*.eml
	[ -z "$(ls outbox | grep -v '^draft-')" ]
	# the record says where it went
	[ "$(jq -r 'select(.item_id == "EX01") | .message_ref' drafts.ndjson)" = "$T/outbox/draft-EX01-20261204.json" ]
}

@test "pending orders are written after delivery; a second run drafts nothing new" {
	draft_examples > /dev/null
	[ "$(sql "select count(*) from orders where status = 'pending'")" -eq 7 ]
	[ "$(sql "select qty from orders where order_id = 'EX08-20261204'")" -eq 20 ]
	before=$(ls outbox | wc -l)
	run --separate-stderr draft_examples
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(ls outbox | wc -l)" -eq "$before" ]
	[ "$(sql 'select count(*) from orders')" -eq 7 ]
	[ "$(sql "select count(*) from audit where action = 'drafted'")" -eq 7 ]
}

@test "killed between delivery and the order: the re-run sends nothing twice" {
	examples_sync | ir-check > moves.ndjson
	run env IR_FAULT=draft-delivered ir-draft --suppliers "$FIX/examples-suppliers.txt" moves.ndjson
	[ "$status" -ne 0 ]
	[ -f outbox/draft-EX01-20261204.eml ]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
	stat -c %Y outbox/draft-EX01-20261204.json > mtime
	run --separate-stderr ir-draft --suppliers "$FIX/examples-suppliers.txt" moves.ndjson
	[ "$status" -eq 0 ]
	[ "$(sql 'select count(*) from orders')" -eq 7 ]
	[ "$(ls outbox/draft-EX01-20261204.* | wc -l)" -eq 2 ]
	[ "$(stat -c %Y outbox/draft-EX01-20261204.json)" = "$(cat mtime)" ]
}

@test "the owner's channel down: clear error, no order written" {
	mkdir ro && chmod 500 ro
	if [ "$(id -u)" -eq 0 ]; then
		IR_NOTIFY="outbox:/proc/ir-no-such-dir"
	else
		IR_NOTIFY="outbox:$T/ro/outbox"
	fi
	export IR_NOTIFY
	run --separate-stderr draft_examples
	[ "$status" -ne 0 ]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
}

@test "--dry-run prints drafts and writes nothing" {
	run --separate-stderr draft_examples --dry-run
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 7 ]
	[ "$(printf '%s\n' "$output" | jq -r .channel | sort -u)" = dry-run ]
	[ ! -e outbox ]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
}

@test "supplier not in the suppliers doc: fallback supplier, flagged" {
	printf 'item_id,on_hand,rate,supplier\nA,0,1,nobody\n' > s.csv
	IR_FALLBACK_SUPPLIER=acme run --separate-stderr sh -c \
		"ir-sync s.csv | ir-check | ir-draft --suppliers '$FIX/examples-suppliers.txt'"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '.flags | join(",")')" = fallback_supplier ]
	[ "$(printf '%s\n' "$output" | jq -r .supplier)" = acme ]
	[[ "$stderr" == *'supplier "nobody" is not in'*'fallback supplier "acme"'* ]]
}

@test "no fallback supplier: that one draft is rejected, exit 65, the rest drafted" {
	printf 'item_id,on_hand,rate,supplier\nA,0,1,nobody\nB,0,1,acme\n' > s.csv
	run --separate-stderr sh -c "ir-sync s.csv | ir-check | ir-draft --suppliers '$FIX/examples-suppliers.txt'"
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$output" | jq -r .item_id)" = B ]
	[[ "$stderr" == *'A: supplier "nobody" is not in'*"no draft"* ]]
	[ "$(sql "select count(*) from orders where item_id = 'A'")" -eq 0 ]
}

@test "the supplier's template formats the purchase order text" {
	IR_NOW=2026-12-04T09:00:00+08:00 run --separate-stderr sh -c \
		"IR_CONF='$REPO/samples/ir.conf' ir-sync '$REPO/samples/stock.csv' --rules '$REPO/samples/rules.txt' --suppliers '$REPO/samples/suppliers.txt' | IR_CONF='$REPO/samples/ir.conf' ir-check | IR_CONF='$REPO/samples/ir.conf' ir-draft --suppliers '$REPO/samples/suppliers.txt'"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 10 ]
	first=$(sed -n '1,3p' "$REPO/samples/templates/beanco.txt" | grep -v '{{' | grep . | head -n 1)
	grep -qF "$first" outbox/draft-CF-ESP-1KG-20261204.eml || \
		grep -q 'BeanCo' outbox/draft-CF-ESP-1KG-20261204.eml
}

quiet_run() {
	examples_sync | ir-check | ir-draft --suppliers "$FIX/examples-suppliers.txt" "$@"
}

@test "quiet hours across midnight defer to the next business minute" {
	export IR_QUIET_HOURS=21:00-08:00
	run --separate-stderr quiet_run --now 2026-12-04T22:30:00+08:00
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .type | sort -u)" = deferred ]
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-12-05T08:00:00+08:00" ]
	[ ! -e outbox ] || [ -z "$(ls outbox)" ]
	[ "$(sql 'select count(*) from deferred')" -eq 7 ]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
	# 02:00 is quiet too, until 08:00 the same day
	run --separate-stderr quiet_run --now 2026-12-05T02:00:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-12-05T08:00:00+08:00" ]
	# 07:59: nothing due yet
	run --separate-stderr ir-draft --due --suppliers "$FIX/examples-suppliers.txt" --now 2026-12-05T07:59:00+08:00
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# 08:00: all seven sent, the deferrals gone
	run --separate-stderr ir-draft --due --suppliers "$FIX/examples-suppliers.txt" --now 2026-12-05T08:00:00+08:00
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .type | sort | uniq -c | tr -s ' ')" = " 7 draft" ]
	[ "$(sql 'select count(*) from deferred')" -eq 0 ]
	[ "$(sql "select count(*) from orders where status = 'pending' and draft_date = '2026-12-05'")" -eq 7 ]
	# and --due again sends nothing
	run --separate-stderr ir-draft --due --suppliers "$FIX/examples-suppliers.txt" --now 2026-12-05T08:05:00+08:00
	[ -z "$output" ]
}

@test "the start minute is quiet, the end minute is not" {
	export IR_QUIET_HOURS=21:00-08:00
	run --separate-stderr quiet_run --now 2026-12-04T21:00:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .type | sort -u)" = deferred ]
	rm -f "$T/ir.db"
	run --separate-stderr quiet_run --now 2026-12-04T20:59:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .type | sort -u)" = draft ]
	rm -rf "$T/ir.db" outbox
	run --separate-stderr quiet_run --now 2026-12-05T08:00:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .type | sort -u)" = draft ]
}

@test "quiet days: a weekend defers to Monday morning" {
	export IR_QUIET_HOURS=21:00-08:00 IR_QUIET_DAYS=sat,sun
	# Saturday 5 December 2026, mid-morning
	run --separate-stderr quiet_run --now 2026-12-05T10:00:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-12-07T08:00:00+08:00" ]
	# Friday night too
	rm -f "$T/ir.db"
	run --separate-stderr quiet_run --now 2026-12-04T23:00:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-12-07T08:00:00+08:00" ]
	# a listed holiday
	rm -f "$T/ir.db"
	IR_QUIET_DAYS=2026-12-25 run --separate-stderr quiet_run --now 2026-12-25T10:00:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-12-26T08:00:00+08:00" ]
}

@test "daylight saving in America/New_York: spring forward and fall back" {
	export IR_TZ=America/New_York IR_QUIET_HOURS=21:00-08:00
	# Saturday 7 March 2026, 22:00 EST: the night the clocks go forward
	run --separate-stderr quiet_run --now 2026-03-07T22:00:00-05:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-03-08T08:00:00-04:00" ]
	rm -f "$T/ir.db"
	# Saturday 31 October 2026, 23:00 EDT: the night they go back
	run --separate-stderr quiet_run --now 2026-10-31T23:00:00-04:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-11-01T08:00:00-05:00" ]
	rm -f "$T/ir.db"
	# quiet 01:00-03:00 on the spring-forward night: 02:xx never happens
	IR_QUIET_HOURS=01:00-03:00 run --separate-stderr quiet_run --now 2026-03-08T01:30:00-05:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-03-08T03:00:00-04:00" ]
	rm -f "$T/ir.db"
	# the draft date is the shop's date, not UTC's
	run --separate-stderr sh -c "unset IR_QUIET_HOURS; ir-sync '$FIX/examples.csv' | ir-check | ir-draft --suppliers '$FIX/examples-suppliers.txt' --now 2026-12-04T20:00:00-05:00"
	[ "$(printf '%s\n' "$output" | jq -r .order_id | head -n 1)" = EX01-20261204 ]
}

@test "Asia/Singapore: no daylight saving, the shop's date for the order id" {
	export IR_QUIET_HOURS=21:00-08:00
	run --separate-stderr quiet_run --now 2026-06-30T23:30:00+08:00
	[ "$(printf '%s\n' "$output" | jq -r .until | sort -u)" = "2026-07-01T08:00:00+08:00" ]
	rm -f "$T/ir.db"
	# 01:00 on the 5th in Singapore is still the 4th in UTC
	unset IR_QUIET_HOURS
	run --separate-stderr quiet_run --now 2026-12-04T17:00:00Z
	[ "$(printf '%s\n' "$output" | jq -r .order_id | head -n 1)" = EX01-20261205 ]
}

@test "usage, help, version, empty input, bad record, full disk" {
	run ir-draft --bogus
	[ "$status" -eq 64 ]
	run ir-draft --due extra-file
	[ "$status" -eq 64 ]
	run ir-draft --help
	[ "$status" -eq 0 ]
	run ir-draft --version
	[[ "$output" == "ir-draft "* ]]
	run sh -c 'ir-draft < /dev/null'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run --separate-stderr sh -c 'printf "{\"type\":\"note\"}\n{oops\n" | ir-draft'
	[ "$status" -eq 65 ]
	[ "$output" = '{"type":"note"}' ]
	[[ "$stderr" == *"stdin:2: not valid JSON"* ]]
	run sh -c "ir-sync '$FIX/examples.csv' | ir-check | ir-draft --dry-run > /dev/full"
	[ "$status" -eq 74 ]
}
