#!/usr/bin/env bats
# ir-approve: the owner's answer, and the only way to a supplier.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	:
}

drafted() {
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	examples_sync | ir-check | ir-draft > /dev/null
}

@test "approve: one purchase order email, then on-order with qty, date and message id" {
	drafted
	run --separate-stderr ir-approve --approve EX01-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '[.type, .status, .qty, .expected_date, .message_id, .by_user] | @tsv')" = \
		"$(printf 'order\ton-order\t48\t2026-12-11\tpo-EX01-20261204@shop.example.com\tmei')" ]
	po=outbox/po-EX01-20261204.eml
	[ -f "$po" ]
	grep -q '^To: .*orders@acme.example.com' "$po"
	grep -q '^From: .*orders@shop.example.com' "$po"
	grep -q '^Reply-To: .*owner@shop.example.com' "$po"
	grep -qi '^Message-ID: <po-EX01-20261204@shop.example.com>' "$po"
	grep -q '^Date: ' "$po"
	grep -qi 'text/plain' "$po"
	grep -qi 'text/html' "$po"
	grep -qi 'filename="\?PO-EX01-20261204.csv' "$po"
	[ "$(sql "select status || ' ' || qty || ' ' || expected_date from orders where order_id = 'EX01-20261204'")" = "on-order 48 2026-12-11" ]
	[ "$(sql "select group_concat(action || ':' || before || '>' || after, ' ') from audit where order_id = 'EX01-20261204' order by id")" = \
		"drafted:>pending approved:pending>sending sent:sending>on-order" ]
}

@test "the CSV attachment carries the order line" {
	drafted
	ir-approve --approve EX07-20261204 > /dev/null
	python3 - "$T/outbox/po-EX07-20261204.eml" <<-'PY'
	import email, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	parts = [p for p in m.walk() if p.get_filename()]
	assert len(parts) == 1, parts
	csv = parts[0].get_payload(decode=True).decode()
	lines = csv.strip().splitlines()
	assert lines[0] == 'order_id,item_id,description,qty,unit_cost,currency,line_total', lines
	assert lines[1].startswith('EX07-20261204,EX07,Example 7,30,2.50,SGD,75'), lines
	PY
}

@test "edit: --qty changes the quantity and the audit says so" {
	drafted
	run --separate-stderr ir-approve --approve EX06-20261204 --qty 5 --by sam
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .qty)" = 5 ]
	[ "$(sql "select action || ' ' || note from audit where order_id = 'EX06-20261204' and action = 'edited'")" = "edited qty 1 -> 5" ]
	run ir-approve --approve EX06-20261204 --qty 0
	[ "$status" -eq 64 ]
	run ir-approve --approve EX06-20261204 --qty many
	[ "$status" -eq 64 ]
}

@test "approving twice sends one email and says who approved first" {
	drafted
	ir-approve --approve EX02-20261204 --by mei > /dev/null
	cp outbox/po-EX02-20261204.eml first.eml
	run --separate-stderr ir-approve --approve EX02-20261204 --by sam
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"already approved by mei"* ]]
	cmp first.eml outbox/po-EX02-20261204.eml
	[ "$(ls outbox | grep -c '^po-')" -eq 1 ]
	[ "$(sql "select count(*) from audit where order_id = 'EX02-20261204' and action in ('approved', 'sent')")" -eq 2 ]
}

@test "two approvals at once: one email" {
	drafted
	for i in 1 2 3 4 5 6; do
		ir-approve --approve EX09-20261204 --by "user$i" > "out.$i" 2> "err.$i" &
	done
	wait
	[ "$(cat out.* | jq -r .status | grep -c on-order)" -eq 1 ]
	[ "$(ls outbox | grep -c '^po-EX09')" -eq 1 ]
	[ "$(sql "select count(*) from audit where order_id = 'EX09-20261204' and action = 'approved'")" -eq 1 ]
}

@test "an unknown or skipped order changes nothing and says why" {
	drafted
	run --separate-stderr ir-approve --approve NOPE-20261204
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"no order NOPE-20261204"* ]]
	run --separate-stderr ir-approve --skip EX10-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .status)" = skipped ]
	[ "$(sql "select skip_until from state where item_id = 'EX10'")" = 2026-12-11 ]
	audit=$(sql 'select count(*) from audit')
	run --separate-stderr ir-approve --approve EX10-20261204 --by sam
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"order EX10-20261204 was skipped by mei"* ]]
	[ ! -e outbox/po-EX10-20261204.eml ]
	[ "$(sql 'select count(*) from audit')" -eq "$audit" ]
}

@test "receive closes an on-order order" {
	drafted
	ir-approve --approve EX01-20261204 > /dev/null
	run --separate-stderr ir-approve --receive EX01-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .status)" = received ]
	# a pending order cannot be received
	run --separate-stderr ir-approve --receive EX02-20261204
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"it is pending"* ]]
}

@test "action records on stdin; other records pass through; bad ones named" {
	drafted
	printf '%s\n' \
		'{"type":"action","action":"approve","order_id":"EX01-20261204","by_user":"U1"}' \
		'{"type":"note"}' \
		'{"type":"action","action":"edit","order_id":"EX02-20261204","qty":60,"by_user":"U2"}' \
		'{"type":"action","action":"dance","order_id":"EX06-20261204"}' \
		'{"type":"action","action":"skip","order_id":"EX06-20261204","by_user":"U3"}' > act.ndjson
	run --separate-stderr ir-approve act.ndjson
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$output" | jq -r '.type + ":" + (.status // "")' | tr '\n' ' ')" = "order:on-order note: order:on-order order:skipped " ]
	[[ "$stderr" == *"act.ndjson:4: action must be"* ]]
	[ "$(sql "select qty from orders where order_id = 'EX02-20261204'")" -eq 60 ]
}

@test "killed after the claim: sending, nothing sent, reported, never re-sent" {
	drafted
	run env IR_FAULT=approve-claimed ir-approve --approve EX01-20261204
	[ "$status" -ne 0 ]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = sending ]
	[ ! -e outbox/po-EX01-20261204.eml ]
	# a later approve does not send it
	run --separate-stderr ir-approve --approve EX01-20261204
	[ ! -e outbox/po-EX01-20261204.eml ]
	# every later check reports it to the owner
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check"
	[[ "$stderr" == *"order EX01-20261204 was approved but sending it to the supplier was never confirmed"* ]]
	run ir-orders
	[[ "$output" == *"EX01-20261204"*"sending"*"not confirmed"* ]]
	# approving it again says what to do
	[[ "$stderr" != *"sent again"* ]] || true
	run --separate-stderr ir-approve --approve EX01-20261204
	[[ "$stderr" == *"already approved by"*"nothing is sent again"*"--confirm EX01-20261204"*"--reset EX01-20261204"* ]]
	# the owner resets it and approves again, with a new quantity: one new email
	ir-approve --reset EX01-20261204 > /dev/null
	run --separate-stderr ir-approve --approve EX01-20261204 --qty 60
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '.status + " " + (.qty | tostring) + " " + .message_id')" = \
		"on-order 60 po-EX01-20261204-r1@shop.example.com" ]
	[ "$(ls outbox | grep -c '^po-')" -eq 1 ]
	grep -q '60 x Example 1' outbox/po-EX01-20261204-r1.eml
}

@test "killed after the send: sending with its email written; --confirm completes it" {
	drafted
	run env IR_FAULT=approve-sent ir-approve --approve EX02-20261204
	[ "$status" -ne 0 ]
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = sending ]
	[ -f outbox/po-EX02-20261204.eml ]
	cp outbox/po-EX02-20261204.eml sent.eml
	run --separate-stderr ir-approve --approve EX02-20261204
	cmp sent.eml outbox/po-EX02-20261204.eml
	run --separate-stderr ir-approve --confirm EX02-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '.status + " " + .message_id')" = "on-order po-EX02-20261204@shop.example.com" ]
}

@test "never on-order without an email: every kill point, then every state is safe" {
	drafted
	for fault in approve-claimed approve-sent ""; do
		rm -f "$T/ir.db"; rm -rf outbox
		examples_sync | ir-check | ir-draft > /dev/null
		IR_FAULT="$fault" ir-approve --approve EX01-20261204 > /dev/null 2>&1 || true
		st=$(sql "select status from orders where order_id = 'EX01-20261204'")
		case "$st" in
		pending) [ ! -e outbox/po-EX01-20261204.eml ] ;;
		sending) : ;;
		on-order) [ -f outbox/po-EX01-20261204.eml ] ;;
		*) false ;;
		esac
	done
	[ "$st" = on-order ]
}

@test "the mail transport refuses: back to pending, audit send_failed" {
	drafted
	if [ "$(id -u)" -eq 0 ]; then
		export IR_MAIL="outbox:/proc/ir-no-such-dir"
	else
		mkdir ro && chmod 500 ro && export IR_MAIL="outbox:$T/ro/x"
	fi
	run --separate-stderr ir-approve --approve EX01-20261204
	[ "$status" -ne 0 ]
	if [ "$status" -ne 78 ]; then
		[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = pending ]
	fi
}

@test "no email for the supplier: nothing sent, stays pending, exit 78" {
	drafted
	printf '[supplier acme]\nname: Acme\n' > nomail.txt
	run --separate-stderr ir-approve --approve EX01-20261204 --suppliers nomail.txt
	[ "$status" -eq 78 ]
	[[ "$stderr" == *'no email address for supplier "acme"'* ]]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = pending ]
}

@test "usage, help, version, --dry-run" {
	run ir-approve --bogus
	[ "$status" -eq 64 ]
	run ir-approve --approve A --skip B
	[ "$status" -eq 64 ]
	run ir-approve --skip A --qty 3
	[ "$status" -eq 64 ]
	run ir-approve --help
	[ "$status" -eq 0 ]
	run ir-approve --version
	[[ "$output" == "ir-approve "* ]]
	drafted
	run --separate-stderr ir-approve --dry-run --approve EX01-20261204
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"would send order EX01-20261204 to Acme Wholesale <orders@acme.example.com>: 48 x Example 1"* ]]
	[ ! -e outbox/po-EX01-20261204.eml ]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = pending ]
}
