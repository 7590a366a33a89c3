#!/usr/bin/env bats
# Configuration: flag > environment > ir.conf > default, and the log format.

bats_require_minimum_version 1.5.0
load helpers

@test "the sample shop drafts exactly what samples/README.md lists" {
	export IR_CONF="$REPO/samples/ir.conf"
	run --separate-stderr sh -c "cd '$REPO' && ir-sync | ir-check | ir-draft --dry-run"
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | jq -r '[.item_id, .move, .qty, (.flags | join(","))] | @tsv')
	[ "$got" = "$(cat "$FIX/expected-sample.tsv")" ]
}

@test "precedence: flag beats environment beats ir.conf beats default" {
	printf 'IR_DAYS_OF_COVER=20\nIR_WATCH_MARGIN = "50%%"\n# a comment\nexport IR_SHOP_NAME=Conf Shop\n' > "$IR_CONF"
	examples_sync > items.ndjson
	# ir.conf: margin 50% makes EX04 (23 <= 27) a watch
	run --separate-stderr sh -c 'ir-check --all < items.ndjson'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX04") | .move')" = watch ]
	# environment beats ir.conf
	IR_WATCH_MARGIN=0.25 run --separate-stderr sh -c 'ir-check --all < items.ndjson'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX04") | .move')" = stocked ]
	# ir.conf days of cover 20 for EX02: cover 40, target 58, need 55, packs of 12: 60
	run --separate-stderr sh -c 'ir-check < items.ndjson | ir-draft --dry-run'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX02") | .qty')" = 60 ]
	# a flag beats them all: --now
	IR_NOW=2026-01-01T00:00:00Z run --separate-stderr sh -c 'ir-check --now 2026-12-04T10:00:00+08:00 < items.ndjson'
	[ "$(printf '%s\n' "$output" | head -n 1 | jq -r .checked_at)" = "2026-12-04T10:00:00+08:00" ]
}

@test "ir.conf problems: unknown key warned with its line; a bad value is a clear error" {
	printf 'IR_TZ=Asia/Singapore\nIR_COLOUR=blue\nnot a setting\n' > "$IR_CONF"
	run --separate-stderr sh -c "ir-check < /dev/null"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"ir.conf:2: warning: unknown setting \"IR_COLOUR\""* ]]
	[[ "$stderr" == *"ir.conf:3: warning: expected KEY=value"* ]]
	IR_WATCH_MARGIN=lots run --separate-stderr sh -c "ir-check < /dev/null"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *'IR_WATCH_MARGIN="lots" (from environment) is not a percentage'* ]]
	IR_TZ=Mars/Olympus run --separate-stderr sh -c "ir-check < /dev/null"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"IR_TZ \"Mars/Olympus\" is not a known time zone"* ]]
	IR_NOW=yesterday run --separate-stderr sh -c "ir-check < /dev/null"
	[ "$status" -eq 78 ]
	IR_CONF=/nonexistent/ir.conf run --separate-stderr sh -c "ir-check < /dev/null"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"/nonexistent/ir.conf"* ]]
	IR_QUIET_HOURS=late run --separate-stderr sh -c "ir-draft < /dev/null"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"IR_QUIET_HOURS"* ]]
}

@test "IR_LOG_FORMAT=json: one JSON object per message" {
	printf 'item_id,on_hand\nA,x\n' > bad.csv
	IR_LOG_FORMAT=json run --separate-stderr ir-sync bad.csv
	[ "$status" -eq 65 ]
	printf '%s\n' "$stderr" | jq -e '.level == "error" and .prog == "ir-sync" and .where == "bad.csv:2" and (.message | test("on_hand"))'
}

@test "no secret in messages: a token in a channel URI is not echoed" {
	run --separate-stderr sh -c "examples_sync() { :; }; ir-sync '$FIX/examples.csv' | ir-check | IR_NOTIFY='xoxb-not-a-real-token' ir-draft"
	[ "$status" -ne 0 ]
	[[ "$stderr" != *"xoxb-not-a-real-token"* ]]
}
