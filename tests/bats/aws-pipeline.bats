#!/usr/bin/env bats
# The whole pipeline on the remote backends, against the local servers:
# IR_STORE=dynamodb:, documents on S3, IR_NOTIFY=slack:, IR_MAIL=ses:.
# The same figures and the same guarantees as on the embedded default.

bats_require_minimum_version 1.5.0
load helpers
load svc

setup_file() {
	svc_up
	B="ir-pipe-$$"
	export B
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api create-bucket --bucket "$B" > /dev/null
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api put-object --bucket "$B" --key stock.csv \
		--body "$REPO/tests/bats/fixtures/examples.csv" > /dev/null
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api put-object --bucket "$B" --key suppliers.txt \
		--body "$REPO/tests/bats/fixtures/examples-suppliers.txt" > /dev/null
}

teardown_file() {
	svc_down
}

setup() {
	T="$(mktemp -d)"
	cd "$T"
	P="p$(date +%s%N | tail -c 9)-"
	"$REPO/scripts/create-tables" --prefix "$P" > /dev/null 2>&1
	export PATH="$REPO/bin:$PATH"
	: > "$T/ir.conf"
	export IR_CONF="$T/ir.conf"
	export IR_STORE="dynamodb:?prefix=$P"
	export IR_NOTIFY="slack:#orders" IR_MAIL="ses:"
	export IR_STOCK="s3://$B/stock.csv" IR_SUPPLIERS="s3://$B/suppliers.txt"
	export IR_TZ=Asia/Singapore IR_NOW=2026-12-04T09:00:00+08:00
	export IR_FROM=orders@shop.example.com IR_OWNER_EMAIL=owner@shop.example.com
	unset IR_QUIET_HOURS IR_QUIET_DAYS IR_RULES
	fake_reset
	curl -sS -X POST "$SES_LOCAL_URL/clear-store" > /dev/null
}

daily() {
	ir-sync | ir-check | ir-draft
}

slack_posts() {
	fake_requests | jq '[.[] | select(.path == "/api/chat.postMessage")] | length'
}

ses_count() {
	curl -sS "$SES_LOCAL_URL/store" | jq '.emails | length'
}

order() {
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb get-item --table-name "${P}ir-orders" \
		--key "{\"item_id\":{\"S\":\"$1\"},\"order_id\":{\"S\":\"$2\"}}" --consistent-read
}

@test "the worked examples: the same drafts as on the embedded default, one Slack message each" {
	run --separate-stderr daily
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | jq -r '[.item_id, .point, .move, .qty, (.flags | join(","))] | @tsv')
	[ "$got" = "$(awk -F'\t' '$4 != ""' "$FIX/expected-examples.tsv")" ]
	[ "$(printf '%s\n' "$output" | jq -r .message_ref | cut -c1-6 | sort -u)" = "slack:" ]
	[ "$(slack_posts)" -eq 7 ]
	fake_state | jq -e '[.slack[][] | .blocks[] | select(.type == "actions") | .elements[] | .value] | length == 21'
	# the pending orders, read back by a second client
	[ "$(order EX08 EX08-20261204 | jq -r '.Item.status.S + " " + .Item.qty.N')" = "pending 20" ]
	# a second run the same day drafts nothing and posts nothing
	run --separate-stderr daily
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(slack_posts)" -eq 7 ]
}

@test "approve: one SES purchase order, on-order in DynamoDB, the Slack message updated; twice sends once" {
	daily > /dev/null
	run --separate-stderr ir-approve --approve EX01-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '.status + " " + (.qty | tostring)')" = "on-order 48" ]
	[ "$(ses_count)" -eq 1 ]
	curl -sS "$SES_LOCAL_URL/store" | jq -e '.emails[0].destination.to | tostring | test("orders@acme.example.com")'
	[ "$(order EX01 EX01-20261204 | jq -r '.Item.status.S + " " + .Item.qty.N + " " + .Item.expected_date.S')" = "on-order 48 2026-12-11" ]
	fake_requests | jq -e '[.[] | select(.path == "/api/chat.update") | .body | fromjson | .text] | any(test("Approved by mei: 48 x Example 1"))'
	run --separate-stderr ir-approve --approve EX01-20261204 --by sam
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"already approved by mei"* ]]
	[ "$(ses_count)" -eq 1 ]
}

@test "skip sets the cooldown; killed after the claim: sending, reported, never re-sent" {
	daily > /dev/null
	ir-approve --skip EX10-20261204 --by mei > /dev/null
	run --separate-stderr sh -c 'ir-sync | ir-check --all'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX10") | .move')" = snoozed ]
	run env IR_FAULT=approve-claimed ir-approve --approve EX02-20261204
	[ "$status" -ne 0 ]
	[ "$(ses_count)" -eq 0 ]
	run --separate-stderr sh -c 'ir-sync | ir-check'
	[[ "$stderr" == *"order EX02-20261204 was approved but sending it to the supplier was never confirmed"* ]]
	run --separate-stderr ir-approve --approve EX02-20261204
	[ "$(ses_count)" -eq 0 ]
	[ "$(order EX02 EX02-20261204 | jq -r .Item.status.S)" = sending ]
}

@test "six approvals at once on DynamoDB: one winner, one SES email, the others told" {
	daily > /dev/null
	for i in 1 2 3 4 5 6; do
		ir-approve --approve EX09-20261204 --by "user$i" > "out.$i" 2> "err.$i" &
	done
	wait
	[ "$(cat out.* | jq -r .status | grep -c on-order)" -eq 1 ]
	[ "$(ses_count)" -eq 1 ]
	[ "$(cat err.* | grep -c "already approved by")" -eq 5 ]
}

@test "DynamoDB down: exit 69 before anything is sent" {
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9 IR_HTTP_RETRIES=0 run --separate-stderr daily
	[ "$status" -eq 69 ]
	[ "$(slack_posts)" -eq 0 ]
}
