#!/usr/bin/env bats
# EventBridge, EventBridge Scheduler, Parameter Store and Secrets Manager,
# against the local fake-apis server (which checks SigV4 like AWS does).

bats_require_minimum_version 1.5.0
load helpers
load svc

setup_file() {
	svc_up
}

teardown_file() {
	svc_down
}

setup() {
	T="$(mktemp -d)"
	export PATH="$REPO/bin:$PATH"
	: > "$T/ir.conf"
	export IR_CONF="$T/ir.conf" IR_STORE="sqlite:$T/ir.db"
	export IR_NOTIFY="outbox:$T/outbox" IR_MAIL="outbox:$T/outbox"
	export IR_TZ=Asia/Singapore IR_NOW=2026-12-04T09:00:00+08:00
	export IR_FROM=orders@shop.example.com IR_OWNER_EMAIL=owner@shop.example.com
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	unset IR_QUIET_HOURS IR_QUIET_DAYS IR_PARAMETERS IR_SECRETS IR_WATCH_MARGIN
	export IR_HTTP_RETRIES=3
	cd "$T"
	fake_reset
}

events_of() {
	fake_requests | jq -c '[.[] | select(.headers["x-amz-target"] == "AWSEvents.PutEvents") | .body | fromjson | .Entries]'
}

@test "ir-check --emit eventbridge: one event per move, at most 10 a request, signed" {
	awk 'BEGIN { print "item_id,on_hand,rate,supplier"; for (i = 0; i < 25; i++) printf "E%02d,0,1,acme\n", i }' > s.csv
	run --separate-stderr sh -c 'ir-sync s.csv | ir-check --emit eventbridge'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 25 ]
	ev=$(events_of)
	[ "$(printf '%s' "$ev" | jq 'length')" -eq 3 ]
	[ "$(printf '%s' "$ev" | jq '[.[] | length] | max')" -eq 10 ]
	[ "$(printf '%s' "$ev" | jq '[.[][]] | length')" -eq 25 ]
	[ "$(printf '%s' "$ev" | jq -r '[.[][] | .DetailType] | unique | join(",")')" = ir.urgent_reorder ]
	[ "$(printf '%s' "$ev" | jq -r '.[0][0].Source')" = ir.checker ]
	[ "$(printf '%s' "$ev" | jq -r '.[0][0].EventBusName')" = default ]
	# the detail is the move record, byte for byte
	[ "$(printf '%s' "$ev" | jq -r '.[0][0].Detail')" = "$(printf '%s\n' "$output" | head -n 1)" ]
	# every request carried a SigV4 signature for the "events" service
	fake_requests | jq -e 'all(.[]; .headers.authorization | test("^AWS4-HMAC-SHA256 Credential=[^/]+/[0-9]{8}/ap-southeast-1/events/aws4_request"))'
}

@test "a throttled PutEvents is retried: one event per move, no duplicates" {
	fake_fail '{"path_prefix":"/","status":400,"count":1,"body":"{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}"}'
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check --emit eventbridge"
	[ "$status" -eq 0 ]
	[ "$(fake_requests | jq '[.[] | select(.headers["x-amz-target"] == "AWSEvents.PutEvents")] | length')" -eq 2 ]
	[ "$(fake_state | jq '[.events[] | select(.Source == "ir.checker")] | length')" -ge 7 ]
	[ "$(events_of | jq '.[1] | length')" -eq 7 ]
	[ "$(events_of | jq -r '[.[1][] | .Detail | fromjson | .item_id] | join(" ")')" = "EX01 EX02 EX06 EX07 EX08 EX09 EX10" ]
}

@test "EventBridge down: exit 69 with a clear message; the moves still printed" {
	AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:9 IR_HTTP_RETRIES=0 run --separate-stderr sh -c \
		"ir-sync '$FIX/examples.csv' | ir-check --emit eventbridge"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"EventBridge: cannot reach http://127.0.0.1:9"* ]]
	[[ "$stderr" != *"$AWS_SECRET_ACCESS_KEY"* ]] || [ "$AWS_SECRET_ACCESS_KEY" = S3RVER ]
}

@test "a timeout is a failure to retry later, not a hang" {
	fake_fail '{"path_prefix":"/","delay_ms":3000,"count":2}'
	IR_HTTP_TIMEOUT_MS=500 IR_HTTP_RETRIES=1 run --separate-stderr sh -c \
		"ir-sync '$FIX/examples.csv' | ir-check --emit eventbridge"
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"imeout"* || "$stderr" == *"timed out"* ]]
}

@test "the receiving side: an EventBridge event is unwrapped back into a move" {
	ir-sync "$FIX/examples.csv" | ir-check --emit eventbridge > /dev/null
	events_of | jq -c '.[0][] | {version: "0", id: "e1", "detail-type": .DetailType, source: .Source, account: "123456789012", time: "2026-12-04T01:00:00Z", region: "ap-southeast-1", resources: [], detail: (.Detail | fromjson)}' > delivered.ndjson
	[ "$(wc -l < delivered.ndjson)" -eq 7 ]
	run --separate-stderr ir-draft delivered.ndjson
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '[.item_id, .qty] | @tsv' | head -n 1)" = "$(printf 'EX01\t48')" ]
	[ "$(printf '%s\n' "$output" | jq -r .rate | sed -n 7p)" = 0.28 ]
	[ "$(sql 'select count(*) from orders')" -eq 7 ]
}

@test "quiet hours on AWS: a one-off at() schedule in the shop's timezone that deletes itself" {
	export IR_QUIET_HOURS=21:00-08:00
	export IR_SCHEDULER_TARGET_ARN=arn:aws:lambda:ap-southeast-1:123456789012:function:draft-po
	export IR_SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/ir-scheduler
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check | ir-draft --now 2026-12-04T22:30:00+08:00"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .type | sort -u)" = deferred ]
	st=$(fake_state | jq -c '.schedules | to_entries | map(.value)')
	[ "$(printf '%s' "$st" | jq 'length')" -eq 7 ]
	[ "$(printf '%s' "$st" | jq -r '[.[] | .ScheduleExpression] | unique | join(",")')" = "at(2026-12-05T08:00:00)" ]
	[ "$(printf '%s' "$st" | jq -r '[.[] | .ScheduleExpressionTimezone] | unique | join(",")')" = Asia/Singapore ]
	[ "$(printf '%s' "$st" | jq -r '[.[] | .ActionAfterCompletion] | unique | join(",")')" = DELETE ]
	[ "$(printf '%s' "$st" | jq -r '.[] | select(.Name | startswith("ir-EX01-")) | .Target.Input | fromjson | .item_id')" = EX01 ]
	# a retry of the same deferral finds the schedules there: still one each
	run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check | ir-draft --now 2026-12-04T22:31:00+08:00"
	[ "$status" -eq 0 ]
	[ "$(fake_state | jq '.schedules | length')" -eq 7 ]
}

@test "Parameter Store settings sit below ir.conf and the environment" {
	fake_post _param '{"name":"/ir/config/IR_WATCH_MARGIN","value":"50%"}'
	fake_post _param '{"name":"/ir/config/days_of_cover","value":"20"}'
	examples_sync > items.ndjson
	IR_PARAMETERS=/ir/config/ run --separate-stderr sh -c 'ir-check --all < items.ndjson'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX04") | .move')" = watch ]
	# the environment wins over the parameter
	IR_PARAMETERS=/ir/config/ IR_WATCH_MARGIN=25% run --separate-stderr sh -c 'ir-check --all < items.ndjson'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX04") | .move')" = stocked ]
	# the short name maps too: days_of_cover -> IR_DAYS_OF_COVER
	IR_PARAMETERS=/ir/config/ run --separate-stderr sh -c 'ir-check < items.ndjson | ir-draft --dry-run'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX02") | .qty')" = 60 ]
}

@test "Secrets Manager: fetched once per process, never printed, the environment wins" {
	fake_post _secret '{"name":"ir/slack/signing-secret","value":"not-a-real-signing-secret"}'
	fake_post _secret '{"name":"ir/pos/hmac","value":"not-a-real-hmac-key"}'
	unset IR_SLACK_BOT_TOKEN IR_GOOGLE_SA IR_SLACK_SIGNING_SECRET IR_POS_HMAC_KEY
	fake_reset
	IR_SECRETS=ir/ run --separate-stderr sh -c 'ir-check < /dev/null'
	[ "$status" -eq 0 ]
	[ "$(fake_requests | jq '[.[] | select(.headers["x-amz-target"] == "secretsmanager.GetSecretValue")] | length')" -eq 4 ]
	[[ "$stderr" != *"not-a-real"* ]]
	fake_reset
	IR_SECRETS=ir/ IR_POS_HMAC_KEY=from-env run --separate-stderr sh -c 'ir-check < /dev/null'
	[ "$(fake_requests | jq -r '[.[] | .body | fromjson | .SecretId] | join(" ")')" = "ir/slack/bot-token ir/slack/signing-secret ir/drive/sa" ]
}

@test "Secrets Manager unreachable: the program stops with exit 69 before doing anything" {
	unset IR_SLACK_BOT_TOKEN IR_GOOGLE_SA IR_SLACK_SIGNING_SECRET IR_POS_HMAC_KEY
	AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:9 IR_HTTP_RETRIES=0 IR_SECRETS=ir/ \
		run --separate-stderr sh -c "ir-sync '$FIX/examples.csv' | ir-check"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"Secrets Manager ir/slack/bot-token: cannot reach"* ]]
}
