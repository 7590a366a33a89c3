#!/usr/bin/env bats
# ir-orders: the read-only view.

bats_require_minimum_version 1.5.0
load helpers

@test "orders, audit and items without SQL; writes nothing" {
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	examples_sync | ir-check | ir-draft > /dev/null
	ir-approve --approve EX01-20261204 --by mei > /dev/null
	run ir-orders
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ORDER*STATUS* ]]
	[ "${#lines[@]}" -eq 8 ]
	run ir-orders --status on-order --json
	[ "$(printf '%s\n' "$output" | jq -r .order_id)" = EX01-20261204 ]
	run ir-orders audit --item EX01-20261204 --json
	[ "$(printf '%s\n' "$output" | jq -r .action | tr '\n' ' ')" = "drafted approved sent " ]
	run ir-orders items --item EX03 --json
	[ "$(printf '%s\n' "$output" | jq -r .last_move)" = watch ]
	sum=$(sqlite3 "$T/ir.db" .dump | md5sum)
	ir-orders > /dev/null; ir-orders audit > /dev/null; ir-orders items > /dev/null
	[ "$(sqlite3 "$T/ir.db" .dump | md5sum)" = "$sum" ]
}

@test "usage errors" {
	run ir-orders bogus
	[ "$status" -eq 64 ]
	run ir-orders --status maybe
	[ "$status" -eq 64 ]
	run ir-orders --version
	[[ "$output" == "ir-orders "* ]]
}
