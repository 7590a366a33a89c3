#!/usr/bin/env bats
# The remote channels against the local servers of scripts/services: Slack
# (fake-apis.js, which checks the token and Block Kit limits), SES v2
# (aws-ses-v2-local behind the SigV4-checking proxy), and a real SMTP
# server (STARTTLS + AUTH). Every test asserts on what the server
# received, and on what the store holds afterwards.

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
	unset IR_QUIET_HOURS IR_QUIET_DAYS IR_FALLBACK_SUPPLIER IR_ORDER_CAP IR_FAULT \
		IR_LOG_FORMAT IR_WATCH_MARGIN IR_DAYS_OF_COVER IR_SKIP_COOLDOWN_DAYS \
		IR_DEFAULT_LEAD_TIME_DAYS
	export IR_HTTP_RETRIES=3
	# every test posts to a channel of its own: the fake keeps messages
	CH="C0BATS${BATS_TEST_NUMBER}X$$"
	SMTP_URI="smtp://$SMTP_USER:$SMTP_PASS@127.0.0.1:$SMTP_PORT?insecure=1"
	cd "$T"
	fake_reset
	curl -sS -X POST "$SES_LOCAL_URL/clear-store" > /dev/null
	touch "$SMTP_DIR/envelopes.jsonl"
	SMTP_BEFORE=$(wc -l < "$SMTP_DIR/envelopes.jsonl")
}

teardown() {
	cd /
	rm -rf "$T"
}

# The worked examples as moves (7 of them reorder).
moves() {
	examples_sync | ir-check > moves.ndjson
}

# The pending orders, drafted through the outbox.
drafted() {
	moves
	ir-draft moves.ndjson > /dev/null
}

# The chat.postMessage requests fake-apis received, bodies as JSON.
posts() {
	fake_requests | jq -c '[.[] | select(.path == "/api/chat.postMessage") | .body | fromjson]'
}

# Messages the fake Slack keeps for channel $1.
stored() {
	fake_state | jq -c --arg c "$1" '.slack[$c] // []'
}

# Messages the SMTP server stored since setup, as envelope lines.
smtp_new() {
	tail -n "+$((SMTP_BEFORE + 1))" "$SMTP_DIR/envelopes.jsonl"
}

# A loopback port nobody listens on.
closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

@test "slack: one message per draft with Approve / Edit / Skip; a re-run posts nothing" {
	moves
	export IR_NOTIFY='slack:#orders'
	run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > drafts.ndjson
	[ "$(wc -l < drafts.ndjson)" -eq 7 ]
	posts > posts.json
	[ "$(jq length posts.json)" -eq 7 ]
	# the channel by its id, the metadata, the buttons carrying the order id
	jq -e 'all(.[]; .channel == "C0ORDERS01" and .metadata.event_type == "ir_draft"
		and .metadata.event_payload.part == 1 and .metadata.event_payload.parts == 1)' posts.json
	jq -e '[.[] | .metadata.event_payload.id] as $ids | ($ids | unique | length) == 7' posts.json
	for id in $(jq -r .order_id drafts.ndjson); do
		jq -e --arg id "$id" '[.[] | select(.metadata.event_payload.id == "draft-" + $id) |
			.blocks[] | select(.type == "actions") | .elements[] | {a: .action_id, v: .value}] ==
			[{a: "approve", v: $id}, {a: "edit", v: $id}, {a: "skip", v: $id}]' posts.json
	done
	fake_requests | jq -e '[.[] | select(.path == "/api/chat.postMessage")] | all(.[];
		.headers.authorization == "Bearer test-bot-token" and
		.headers["content-type"] == "application/json; charset=utf-8")'
	# the record says where: slack:CHANNEL_ID/TS of the stored message
	ts=$(stored C0ORDERS01 | jq -r '.[] | select(.metadata.event_payload.id == "draft-EX01-20261204") | .ts')
	[ "$(jq -r 'select(.item_id == "EX01") | .message_ref' drafts.ndjson)" = "slack:C0ORDERS01/$ts" ]
	[ "$(sql "select count(*) from orders where status = 'pending'")" -eq 7 ]

	# A second run: the orders are open, nothing is drafted or posted.
	fake_reset
	run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(posts | jq length)" -eq 0 ]

	# Killed after posting, before the orders were written (no store):
	# the re-run finds every message by its metadata and posts none again.
	rm -f "$T"/ir.db*
	fake_reset
	run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 7 ]
	[ "$(posts | jq length)" -eq 0 ]
	[ "$(stored C0ORDERS01 | jq length)" -eq 7 ]
	fake_requests | jq -e '[.[] | select(.path | startswith("/api/conversations.history"))] | length == 7 and
		all(.[]; .path | test("channel=C0ORDERS01&limit=100&include_all_metadata=true&oldest=[0-9]+"))'
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .message_ref')" = "slack:C0ORDERS01/$ts" ]
	[ "$(sql "select count(*) from orders where status = 'pending'")" -eq 7 ]
}

@test "slack: a wrong token is refused in words, exit 69, no order written" {
	moves
	export IR_NOTIFY="slack:$CH" IR_SLACK_BOT_TOKEN=xoxb-wrong-7531-token
	run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == *"Slack refused the bot token (invalid_auth): check IR_SLACK_BOT_TOKEN"* ]]
	[[ "$stderr" == *"no order written"* ]]
	[[ "$stderr" != *"xoxb-wrong-7531-token"* ]]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
	[ "$(stored "$CH" | jq length)" -eq 0 ]
}

@test "slack: a 429 with Retry-After 1, then success: exactly one message" {
	moves
	head -n 1 moves.ndjson > one.ndjson
	fake_fail '{"path_prefix":"/api/chat.postMessage","status":429,"retry_after":1,"count":1}'
	IR_NOTIFY="slack:$CH" run --separate-stderr ir-draft one.ndjson
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .order_id)" = EX01-20261204 ]
	[ "$(stored "$CH" | jq length)" -eq 1 ]
	# two attempts, the second at least a second after the first
	fake_requests | jq -e '[.[] | select(.path == "/api/chat.postMessage") | .time | sub("\\.[0-9]+Z$"; "Z") | fromdate] |
		length == 2 and .[1] - .[0] >= 1'
	[ "$(sql "select count(*) from orders where status = 'pending'")" -eq 1 ]
}

@test "slack: still rate limited after the retries: exit 75, no order written" {
	moves
	head -n 1 moves.ndjson > one.ndjson
	fake_fail '{"path_prefix":"/api/chat.postMessage","status":429,"retry_after":0,"count":10}'
	IR_HTTP_RETRIES=2 IR_NOTIFY="slack:$CH" run --separate-stderr ir-draft one.ndjson
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"rate limiting"* ]]
	[ "$(posts | jq length)" -eq 3 ]
	[ "$(stored "$CH" | jq length)" -eq 0 ]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
}

@test "slack: a 5xx answer to the post is searched for before posting again" {
	moves
	head -n 1 moves.ndjson > one.ndjson
	fake_fail '{"path_prefix":"/api/chat.postMessage","status":503,"count":1}'
	IR_NOTIFY="slack:$CH" run --separate-stderr ir-draft one.ndjson
	[ "$status" -eq 0 ]
	[ "$(stored "$CH" | jq length)" -eq 1 ]
	# history, post (503), history again, post
	[ "$(fake_requests | jq -r '[.[] | .path | sub("\\?.*"; "")] | join(" ")')" = \
		"/api/conversations.history /api/chat.postMessage /api/conversations.history /api/chat.postMessage" ]
}

@test "slack: Slack unreachable (closed port): exit 69, nothing written" {
	moves
	IR_HTTP_RETRIES=0 IR_SLACK_API_URL="http://127.0.0.1:$(closed_port)/api" IR_NOTIFY="slack:$CH" \
		run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == *"cannot reach Slack"* ]]
	[[ "$stderr" != *"test-bot-token"* ]]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
}

@test "slack: an unknown channel name is refused in words, exit 69" {
	moves
	IR_NOTIFY='slack:#no-such-channel' run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"no channel #no-such-channel the bot can see"* ]]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
}

@test "ses: ir-approve sends the purchase order through SES v2" {
	drafted
	run --separate-stderr env IR_MAIL=ses: ir-approve --approve EX01-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '[.status, .message_id] | @tsv')" = \
		"$(printf 'on-order\tpo-EX01-20261204@shop.example.com')" ]
	curl -sS "$SES_LOCAL_URL/store" > store.json
	[ "$(jq '.emails | length' store.json)" -eq 1 ]
	jq -e '.emails[0] | .from == "orders@shop.example.com" and
		(.destination.to | length == 1 and (.[0] | contains("orders@acme.example.com"))) and
		.subject == "Purchase order EX01-20261204: 48 x Example 1" and
		(.replyTo[0] | contains("owner@shop.example.com")) and
		(.attachments | length == 1) and .attachments[0].filename == "PO-EX01-20261204.csv" and
		.attachments[0].contentType == "text/csv"' store.json
	jq -r '.emails[0].attachments[0].content' store.json | base64 -d > po.csv
	grep -q '^EX01-20261204,EX01,Example 1,48,2.50,SGD,120' po.csv
	# the ref kept with the order is the SES MessageId
	[ "$(sql "select note from audit where order_id = 'EX01-20261204' and action = 'sent'")" = \
		"$(jq -r '.emails[0].messageId' store.json)" ]
}

@test "ses: a refused signature fails without the secret; the order is pending again" {
	drafted
	run --separate-stderr env IR_MAIL=ses: AWS_SECRET_ACCESS_KEY=wrong-secret-9931 \
		ir-approve --approve EX02-20261204
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"SES refused message po-EX02-20261204 (HTTP 403"* ]]
	[[ "$stderr" == *"pending again"* ]]
	[[ "$stderr" != *"wrong-secret-9931"* ]]
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = pending ]
	[ "$(curl -sS "$SES_LOCAL_URL/store" | jq '.emails | length')" -eq 0 ]
}

@test "ses: SES unreachable (closed port): exit 69, the order is pending again" {
	drafted
	run --separate-stderr env IR_MAIL=ses: IR_HTTP_RETRIES=0 \
		AWS_ENDPOINT_URL_SES="http://127.0.0.1:$(closed_port)" ir-approve --approve EX02-20261204
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == *"cannot reach"* ]]
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = pending ]
	[ "$(sql "select count(*) from audit where order_id = 'EX02-20261204' and action = 'send_failed'")" -eq 1 ]
}

@test "smtp: STARTTLS and AUTH, exactly one message, CRLF on the wire" {
	drafted
	run --separate-stderr env IR_MAIL="$SMTP_URI" ir-approve --approve EX02-20261204 --by mei
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .status)" = on-order ]
	[ "$(smtp_new | wc -l)" -eq 1 ]
	smtp_new | jq -e '.tls == true and .user == "test-smtp-user" and
		.mail_from == "orders@shop.example.com" and .rcpt_to == ["orders@acme.example.com"]'
	eml="$SMTP_DIR/$(smtp_new | jq -r .file)"
	grep -qi '^Message-ID: <po-EX02-20261204@shop.example.com>' "$eml"
	grep -q '^To: .*orders@acme.example.com' "$eml"
	# every line ends in CRLF: no LF without its CR
	[ "$(tr -cd '\n' < "$eml" | wc -c)" -eq "$(grep -c $'\r$' "$eml")" ]
	[ "$(tr -cd '\n' < "$eml" | wc -c)" -gt 20 ]
	[ "$(sql "select note from audit where order_id = 'EX02-20261204' and action = 'sent'")" = \
		"smtp:127.0.0.1/po-EX02-20261204@shop.example.com" ]
}

@test "smtp: a wrong password fails without showing it; the order is pending again" {
	drafted
	run --separate-stderr env IR_MAIL="smtp://$SMTP_USER:not-the-pass-4417@127.0.0.1:$SMTP_PORT?insecure=1" \
		ir-approve --approve EX06-20261204
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == *"the mail server refused the login"*"reply 535"* ]]
	[[ "$stderr" == *"pending again"* ]]
	[[ "$stderr" != *"not-the-pass-4417"* ]]
	[ "$(sql "select status from orders where order_id = 'EX06-20261204'")" = pending ]
	[ "$(sql "select note from audit where order_id = 'EX06-20261204' and action = 'send_failed'")" != "" ]
	[ "$(sql "select count(*) from audit where note like '%not-the-pass-4417%'")" -eq 0 ]
	[ "$(smtp_new | wc -l)" -eq 0 ]
}

@test "smtp: the server's self-signed certificate is refused without ?insecure=1" {
	drafted
	run --separate-stderr env IR_MAIL="smtp://$SMTP_USER:$SMTP_PASS@127.0.0.1:$SMTP_PORT" \
		ir-approve --approve EX06-20261204
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"certificate is not trusted"* ]]
	[ "$(sql "select status from orders where order_id = 'EX06-20261204'")" = pending ]
	[ "$(smtp_new | wc -l)" -eq 0 ]
}

@test "smtp: the server down (closed port): exit 69, nothing half-written" {
	drafted
	run --separate-stderr env IR_MAIL="smtp://u:p4ss-closed@127.0.0.1:$(closed_port)" \
		ir-approve --approve EX07-20261204
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"cannot connect to the mail server"* ]]
	[[ "$stderr" != *"p4ss-closed"* ]]
	[ "$(sql "select status from orders where order_id = 'EX07-20261204'")" = pending ]
	[ "$(sql "select group_concat(action, ' ') from audit where order_id = 'EX07-20261204'")" = \
		"drafted approved send_failed" ]
}

@test "email: IR_NOTIFY=email:owner@... through IR_MAIL=smtp:// delivers the draft" {
	moves
	head -n 1 moves.ndjson > one.ndjson
	run --separate-stderr env IR_NOTIFY=email:owner@shop.example.com IR_MAIL="$SMTP_URI" ir-draft one.ndjson
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .message_ref)" = \
		"smtp:127.0.0.1/draft-EX01-20261204@shop.example.com" ]
	[ "$(smtp_new | wc -l)" -eq 1 ]
	smtp_new | jq -e '.rcpt_to == ["owner@shop.example.com"] and .mail_from == "orders@shop.example.com" and .tls'
	eml="$SMTP_DIR/$(smtp_new | jq -r .file)"
	grep -qi '^Message-ID: <draft-EX01-20261204@' "$eml"
	grep -qi '^Content-Type: multipart/alternative' "$eml"
	[ "$(sql "select count(*) from orders where status = 'pending'")" -eq 1 ]
}

@test "email: the mail server down: exit 69, no order written" {
	moves
	run --separate-stderr env IR_NOTIFY=email:owner@shop.example.com \
		IR_MAIL="smtp://u:p4ss-closed@127.0.0.1:$(closed_port)" ir-draft moves.ndjson
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == *"email to owner@shop.example.com: smtp: 127.0.0.1:"*"cannot connect"* ]]
	[[ "$stderr" != *"p4ss-closed"* ]]
	[ "$(sql 'select count(*) from orders')" -eq 0 ]
}
