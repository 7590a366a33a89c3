#!/usr/bin/env bats
# The DynamoDB store (IR_STORE=dynamodb:) against dynalite, through the
# SigV4-checking proxy of scripts/services: the tables as scripts/create-tables
# makes them, the C store suite on them, and the pipeline of a user, read
# back with the aws CLI (a client that is not ours).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	SVC="$BATS_FILE_TMPDIR/services"
	"$REPO/scripts/services" up "$SVC"
	export SVC
}

teardown_file() {
	"$REPO/scripts/services" down "$SVC"
}

# Every test: the emulators' settings, and tables of its own.
setup_dynamo() {
	# shellcheck disable=SC1091
	. "$SVC/services.env"
	export AWS_PAGER=""
	P="bt$$-$BATS_TEST_NUMBER-"
	export IR_STORE="dynamodb:?prefix=$P"
}

# ddb ARGS...: the aws CLI on the emulator.
ddb() {
	aws --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" --region "$AWS_REGION" \
		dynamodb "$@"
}

# What describe-table says of a table, less what moves by itself.
described() {
	ddb describe-table --table-name "$1" --output json |
		jq -S 'del(.Table.TableSizeBytes, .Table.ItemCount)'
}

@test "create-tables makes four tables with the store's keys, and a second run changes nothing" {
	setup_dynamo
	run --separate-stderr "$REPO/scripts/create-tables" --prefix "$P"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$stderr" | grep -c ' created$')" -eq 4 ]
	for t in ir-orders ir-state ir-audit ir-deferred; do
		described "$P$t" > "first.$t"
	done
	[ "$(jq -r '.Table | [.TableStatus, .BillingModeSummary.BillingMode] | @tsv' first.ir-orders)" = \
		"$(printf 'ACTIVE\tPAY_PER_REQUEST')" ]
	[ "$(jq -r '[.Table.KeySchema[] | .AttributeName + ":" + .KeyType] | join(" ")' first.ir-orders)" = \
		"item_id:HASH order_id:RANGE" ]
	[ "$(jq -r '[.Table.KeySchema[] | .AttributeName + ":" + .KeyType] | join(" ")' first.ir-audit)" = \
		"item_id:HASH ts:RANGE" ]
	[ "$(jq -r '[.Table.KeySchema[] | .AttributeName + ":" + .KeyType] | join(" ")' first.ir-state)" = \
		"item_id:HASH" ]
	[ "$(jq -r '[.Table.KeySchema[] | .AttributeName + ":" + .KeyType] | join(" ")' first.ir-deferred)" = \
		"item_id:HASH" ]

	# The prefix may come from the environment too.
	run --separate-stderr env IR_TABLE_PREFIX="$P" "$REPO/scripts/create-tables"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$stderr" | grep -c ' exists$')" -eq 4 ]
	for t in ir-orders ir-state ir-audit ir-deferred; do
		described "$P$t" > "second.$t"
		cmp "first.$t" "second.$t"
	done
	[ "$(ddb list-tables --output json | jq --arg p "$P" '[.TableNames[] | select(startswith($p))] | length')" -eq 4 ]
}

@test "create-tables refuses a table of that name with other keys, and a bad prefix" {
	setup_dynamo
	ddb create-table --table-name "${P}ir-state" \
		--attribute-definitions AttributeName=sku,AttributeType=S \
		--key-schema AttributeName=sku,KeyType=HASH \
		--billing-mode PAY_PER_REQUEST > /dev/null
	run --separate-stderr "$REPO/scripts/create-tables" --prefix "$P"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"${P}ir-state exists with keys \"sku:HASH\", not \"item_id:HASH\""* ]]
	run --separate-stderr "$REPO/scripts/create-tables" --prefix 'a b'
	[ "$status" -eq 64 ]
}

@test "the store suite passes on DynamoDB, races included" {
	setup_dynamo
	# make check builds it first; `make bats` alone does not.
	[ -x "$REPO/tests/unit/bin/test_store" ] ||
		make -C "$REPO" --no-print-directory tests/unit/bin/test_store >&2
	run --separate-stderr env IR_TEST_STORE="dynamodb:?prefix=u$$-" \
		"$REPO/tests/unit/bin/test_store"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *" passed, 0 failed"* ]]
}

@test "the pipeline drafts into DynamoDB, an approval sends one PO, the aws CLI reads it back" {
	setup_dynamo
	"$REPO/scripts/create-tables" --prefix "$P" 2> /dev/null
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	examples_sync | ir-check | ir-draft > drafts
	# The worked examples of rules.md, as on SQLite.
	[ "$(jq -r '.item_id + ":" + (.qty | tostring)' drafts | tr '\n' ' ')" = \
		"EX01:48 EX02:48 EX06:1 EX07:30 EX08:20 EX09:18 EX10:4 " ]
	[ "$(ddb scan --table-name "${P}ir-orders" --consistent-read --output json |
		jq -r '[.Items[] | select(.status.S == "pending") | .order_id.S] | sort | join(" ")')" = \
		"EX01-20261204 EX02-20261204 EX06-20261204 EX07-20261204 EX08-20261204 EX09-20261204 EX10-20261204" ]

	run --separate-stderr ir-approve --approve EX01-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '[.status, .qty, .expected_date, .by_user] | @tsv')" = \
		"$(printf 'on-order\t48\t2026-12-11\tmei')" ]
	[ -f outbox/po-EX01-20261204.eml ]

	# What the project wrote, as another client sees it.
	ddb get-item --table-name "${P}ir-orders" --consistent-read --output json \
		--key '{"item_id":{"S":"EX01"},"order_id":{"S":"EX01-20261204"}}' > order.json
	[ "$(jq -r '.Item | [.status.S, .qty.N, .expected_date.S, .by_user.S] | @tsv' order.json)" = \
		"$(printf 'on-order\t48\t2026-12-11\tmei')" ]
	ddb get-item --table-name "${P}ir-orders" --consistent-read --output json \
		--key '{"item_id":{"S":"EX01"},"order_id":{"S":"#head"}}' > head.json
	[ "$(jq -r '.Item | [.open_order_id.S, .open_status.S, (.j == null)] | @tsv' head.json)" = \
		"$(printf 'EX01-20261204\ton-order\ttrue')" ]
	ddb query --table-name "${P}ir-audit" --consistent-read --output json \
		--key-condition-expression 'item_id = :i' \
		--expression-attribute-values '{":i":{"S":"EX01"}}' > audit.json
	[ "$(jq -r '[.Items[] | .action.S + ":" + .before.S + ">" + .after.S] | join(" ")' audit.json)" = \
		"drafted:>pending approved:pending>sending sent:sending>on-order" ]
	[ "$(jq -r '[.Items[] | .by_user.S] | join(" ")' audit.json)" = "ir-draft mei mei" ]
	[ "$(ddb scan --table-name "${P}ir-state" --output json | jq '.Count')" -ge 10 ]

	# A second approval sends nothing and says who was first.
	ls outbox > before
	run --separate-stderr ir-approve --approve EX01-20261204 --by sam
	ls outbox > after
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"already approved by mei"* ]]
	cmp before after
	[ "$(ddb query --table-name "${P}ir-audit" --consistent-read --output json \
		--key-condition-expression 'item_id = :i' \
		--expression-attribute-values '{":i":{"S":"EX01"}}' | jq '.Count')" -eq 3 ]

	# ir-orders reads the same store.
	[ "$(ir-orders --json audit --item EX01 | jq -r '.action' | tr '\n' ' ')" = \
		"drafted approved sent " ]
	[ "$(ir-orders --json --status on-order | jq -r '.order_id')" = "EX01-20261204" ]

	# A re-run drafts nothing new: every item has its open order.
	examples_sync | ir-check | ir-draft > again
	[ ! -s again ]
	[ "$(ls outbox | wc -l)" -eq "$(wc -l < after)" ]
}

@test "DynamoDB down: exit 69 with a clear message, nothing sent, nothing written" {
	setup_dynamo
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	# The moves come from a store that works; the drafts go to one that is down.
	IR_STORE="sqlite:$T/ir.db" examples_sync | IR_STORE="sqlite:$T/ir.db" ir-check > moves
	[ -s moves ]
	export IR_STORE="dynamodb:"
	export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:1"
	export IR_HTTP_RETRIES=1
	run --separate-stderr ir-draft moves
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"dynamodb"*"cannot reach http://127.0.0.1:1"* ]]
	[ ! -e outbox ] || [ -z "$(ls outbox)" ]
	run --separate-stderr ir-approve --approve EX01-20261204
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"cannot reach http://127.0.0.1:1"* ]]
	[ ! -e outbox ] || [ -z "$(ls outbox)" ]
}

@test "DynamoDB without the tables: exit 69, and the message says how to make them" {
	setup_dynamo
	run --separate-stderr ir-approve --approve EX01-20261204
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"scripts/create-tables"* ]]
}
