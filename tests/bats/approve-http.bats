#!/usr/bin/env bats
# ir-approve --http: the approve handler behind a Function URL. Request
# events (payload format 2.0) go in, one response record per request comes
# out. Slack interactivity (POST /slack) is signed with Slack's v0 scheme;
# the owner's email carries signed links (GET and POST /a/TOKEN). The
# drafts go to the fake Slack of scripts/services, which records every
# chat.update and views.open; every test asserts on the response records,
# on the store and on what was sent.

bats_require_minimum_version 1.5.0
load helpers
load svc

# Slack's own signing secret from its worked example (protocols.md 1)
SECRET=8f742231b10e8888abcd99yyyzzz85a5

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
	export IR_SLACK_SIGNING_SECRET="$SECRET" IR_LINK_KEY=test-link-key-5521
	export IR_PUBLIC_URL=https://shop.example.com
	unset IR_QUIET_HOURS IR_QUIET_DAYS IR_FALLBACK_SUPPLIER IR_ORDER_CAP IR_FAULT \
		IR_LOG_FORMAT IR_WATCH_MARGIN IR_DAYS_OF_COVER IR_SKIP_COOLDOWN_DAYS \
		IR_DEFAULT_LEAD_TIME_DAYS
	NOW=$(date -d "$IR_NOW" +%s)
	# every test drafts to a channel of its own: the fake keeps messages
	CH="C0HTTP${BATS_TEST_NUMBER}X$$"
	cd "$T"
	fake_reset
}

teardown() {
	cd /
	rm -rf "$T"
}

# ---- building requests ----

# event METHOD PATH [BODY [NAME=VALUE ...]]: a Function URL request event,
# the body base64-encoded as AWS does for form bodies (through a file: a
# body may be larger than one command-line argument can be).
event() {
	local method=$1 path=$2 body=${3-} h headers='{}'
	shift $(($# < 3 ? $# : 3))
	for h in "$@"; do
		headers=$(jq -c --arg k "${h%%=*}" --arg v "${h#*=}" '. + {($k): $v}' <<< "$headers")
	done
	printf '%s' "$body" | base64 -w0 > "$T/.body64"
	jq -nc --arg m "$method" --arg p "$path" --argjson h "$headers" \
		--rawfile b "$T/.body64" \
		'{version: "2.0", routeKey: "$default", rawPath: $p, rawQueryString: "",
		  headers: $h, requestContext: {accountId: "anonymous", apiId: "bats",
		  domainName: "localhost", http: {method: $m, path: $p, protocol: "HTTP/1.1",
		  sourceIp: "127.0.0.1", userAgent: "bats"}, requestId: "r", timeEpoch: 0},
		  body: $b, isBase64Encoded: true}'
}

# slack_sig TS BODY [SECRET]: the v0 signature, computed with openssl.
slack_sig() {
	printf 'v0:%s:%s' "$1" "$2" | openssl dgst -sha256 -hmac "${3:-$SECRET}" -r | sed 's/ .*//; s/^/v0=/'
}

# slack_event BODY [TS [SIGNATURE [NAME=VALUE ...]]]: a signed POST /slack.
slack_event() {
	local body=$1 ts=${2:-$NOW} sig=${3:-}
	[ -n "$sig" ] || sig=$(slack_sig "$ts" "$body")
	shift $(($# < 3 ? $# : 3))
	event POST /slack "$body" content-type=application/x-www-form-urlencoded \
		"x-slack-request-timestamp=$ts" "x-slack-signature=$sig" "$@"
}

# form JSON: the form body Slack posts, payload=<the JSON, URL-encoded>.
form() {
	printf 'payload=%s' "$(jq -rn --arg p "$1" '$p | @uri')"
}

# The pending orders, drafted to the fake Slack's channel $CH.
drafted() {
	examples_sync | ir-check > moves.ndjson
	IR_NOTIFY="slack:$CH" ir-draft moves.ndjson > drafts.ndjson
	fake_reset
}

# The ts of the draft message of order $1.
msg_ts() {
	jq -r --arg o "$1" 'select(.order_id == $o) | .message_ref | sub("^slack:[^/]*/"; "")' drafts.ndjson
}

# click ACTION ORDER [USER]: a block_actions payload from the draft's message.
click() {
	local ts
	ts=$(msg_ts "$2")
	fake_state | jq -c --arg c "$CH" --arg ts "$ts" --arg a "$1" --arg o "$2" --arg u "${3:-mei}" '
		(.slack[$c] // [] | map(select(.ts == $ts)) | .[0]) as $m |
		{type: "block_actions", user: {id: ("U0" + ($u | ascii_upcase)), username: $u,
		 name: $u, team_id: "T0SHOP"}, api_app_id: "A0IR", token: "legacy",
		 team: {id: "T0SHOP", domain: "shop"},
		 container: {type: "message", message_ts: $ts, channel_id: $c, is_ephemeral: false},
		 trigger_id: "4242.1337.trigger", channel: {id: $c, name: "orders"},
		 message: {type: "message", ts: $ts, text: ($m.text // "draft"), blocks: ($m.blocks // [])},
		 response_url: "https://hooks.slack.com/actions/T0SHOP/1/x",
		 actions: [{action_id: $a, block_id: ("order:" + $o), type: "button",
		  value: $o, action_ts: "1796346000.000100", text: {type: "plain_text", text: $a}}]}'
}

# submit ORDER QTY [confirm]: a view_submission of the Edit modal.
submit() {
	jq -nc --arg o "$1" --arg q "$2" --arg c "${3:-}" '
		{type: "view_submission", team: {id: "T0SHOP", domain: "shop"},
		 user: {id: "U0MEI", username: "mei", name: "mei", team_id: "T0SHOP"},
		 api_app_id: "A0IR", trigger_id: "4243.1337.trigger",
		 view: {id: "V0EDIT", type: "modal", callback_id: "ir_edit", private_metadata: $o,
		  hash: "1", state: {values: ({qty: {qty: {type: "plain_text_input", value: $q}}} +
		  (if $c == "" then {} else {confirm: {confirm: {type: "checkboxes",
		   selected_options: [{value: "over_cap", text: {type: "plain_text", text: "x"}}]}}} end))}}}'
}

# http: ir-approve --http on the events in events.ndjson; the response
# records in out.ndjson, one per line.
http() {
	run --separate-stderr ir-approve --http events.ndjson
	printf '%s\n' "$output" > out.ndjson
}

# The response of request $1 (1-based).
resp() {
	sed -n "${1}p" out.ndjson
}

dump() {
	sqlite3 "$T/ir.db" .dump
}

# What fake Slack received for method $1 (chat.update, views.open), bodies as JSON.
slack_calls() {
	fake_requests | jq -c --arg p "/api/$1" '[.[] | select(.path == $p) | .body | fromjson]'
}

# The draft email's link for action $1 (approve, edit, skip) of order $2: its path.
link() {
	python3 - "$T/outbox/draft-$2.eml" "$1" <<-'PY'
	import email, re, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	text = next(p for p in m.walk() if p.get_content_type() == 'text/plain')
	urls = re.findall(r'https://shop\.example\.com(/a/\S+)', text.get_payload(decode=True).decode())
	print(urls[['approve', 'edit', 'skip'].index(sys.argv[2])])
	PY
}

# pos [PREFIX]: how many purchase orders (for orders starting with PREFIX)
# are in the outbox.
pos() {
	compgen -G "$T/outbox/po-${1-}*" | wc -l
}

# No purchase order was sent (the outbox folder itself is made at start).
no_po() {
	! compgen -G "$T/outbox/po-*" > /dev/null
}

# Drafts by email (the outbox), with links.
drafted_email() {
	examples_sync | ir-check | ir-draft > drafts.ndjson
}

# ---- Slack ----

@test "slack: Slack's published example holds; a changed byte, another secret or 301 s later: 401" {
	body='token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
	[ "${#body}" -eq 362 ]
	sig=v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503
	# our own HMAC agrees with Slack's figure
	[ "$(slack_sig 1531420618 "$body")" = "$sig" ]
	{
		slack_event "$body" 1531420618 "$sig"
		slack_event "${body/roadrunner/roadrunnee}" 1531420618 "$sig"
		slack_event "$body" 1531420619 "$sig"
		slack_event "$body" 1531420618 "${sig%3}4"
	} > events.ndjson
	export IR_NOW=@1531420618
	http
	[ "$status" -eq 0 ]
	[ "$(wc -l < out.ndjson)" -eq 4 ]
	# it is a slash command, not an interaction: past the signature, refused as such
	[ "$(resp 1 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '400\tno payload\\n')" ]
	[ "$(resp 2 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '401\tbad signature\\n')" ]
	[ "$(resp 3 | jq -r .statusCode)" -eq 401 ]
	[ "$(resp 4 | jq -r .statusCode)" -eq 401 ]
	# the window is 300 s either way
	for now in $((1531420618 + 300)) $((1531420618 - 300)); do
		IR_NOW=@$now http
		[ "$(resp 1 | jq -r .statusCode)" -eq 400 ]
	done
	for now in $((1531420618 + 301)) $((1531420618 - 301)); do
		IR_NOW=@$now http
		[ "$(resp 1 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '401\tstale timestamp\\n')" ]
	done
	# another secret
	IR_SLACK_SIGNING_SECRET=another-secret http
	[ "$(resp 1 | jq -r .statusCode)" -eq 401 ]
	[[ "$stderr" != *"another-secret"* ]]
}

@test "slack: missing, bad or stale signatures: 401, nothing read, nothing changed or sent" {
	drafted
	p=$(form "$(click approve EX01-20261204)")
	{
		event POST /slack "$p" content-type=application/x-www-form-urlencoded
		event POST /slack "$p" "x-slack-request-timestamp=$NOW"
		event POST /slack "$p" "x-slack-signature=$(slack_sig "$NOW" "$p")"
		slack_event "$p" "$NOW" "$(slack_sig "$NOW" "$p" not-the-secret)"
		slack_event "$p" "$NOW" "$(slack_sig "$NOW" "${p}x")"
		slack_event "$p" "$NOW" "$(slack_sig "$NOW" "$p" | tr a-f A-F)"
		slack_event "$p" "$NOW" "$(slack_sig "$NOW" "$p" | sed 's/^v0=/v1=/')"
		slack_event "$p" "$NOW" "$(slack_sig "$NOW" "$p" | cut -c1-50)"
		slack_event "$p" "$NOW" "$(slack_sig "$((NOW + 1))" "$p")"
		slack_event "$p" "$((NOW - 301))"
		slack_event "$p" "$((NOW + 301))"
		slack_event "$p" "$NOW.5"
		event POST /slack "$p" x-slack-request-timestamp= "x-slack-signature=$(slack_sig "" "$p")"
	} > events.ndjson
	dump > before.sql
	http
	[ "$status" -eq 0 ]
	[ "$(wc -l < out.ndjson)" -eq 13 ]
	jq -e -s 'all(.[]; .statusCode == 401)' out.ndjson
	[ "$(jq -r '.body | rtrimstr("\n")' out.ndjson | tr '\n' '|')" = "$(printf '%s|' \
		'missing signature' 'missing signature' 'missing signature' \
		'bad signature' 'bad signature' 'bad signature' 'bad signature' \
		'bad signature' 'bad signature' 'stale timestamp' 'stale timestamp' \
		'bad timestamp' 'bad timestamp')" ]
	dump > after.sql
	cmp before.sql after.sql
	no_po
	[ "$(fake_requests | jq length)" -eq 0 ]
	# one log line each, without the body or the secret
	[ "$(grep -c 'refused' <<< "$stderr")" -eq 13 ]
	[[ "$stderr" != *"$SECRET"* ]]
	[[ "$stderr" != *"payload"* ]]
}

@test "slack: Approve in one tap: one supplier email, on-order, the message says who" {
	drafted
	ts=$(msg_ts EX01-20261204)
	slack_event "$(form "$(click approve EX01-20261204 mei)")" > events.ndjson
	http
	[ "$status" -eq 0 ]
	# exactly one response record, and nothing else on stdout
	[ "$(wc -l < out.ndjson)" -eq 1 ]
	jq -e '(keys | sort) == ["body", "headers", "isBase64Encoded", "statusCode"] and
		.statusCode == 200 and .body == ""' out.ndjson
	[ "$(sql "select status || ' ' || qty || ' ' || by_user from orders where order_id = 'EX01-20261204'")" = "on-order 48 mei" ]
	[ -f outbox/po-EX01-20261204.eml ]
	[ "$(pos "")" -eq 1 ]
	slack_calls chat.update > updates.json
	[ "$(jq length updates.json)" -eq 1 ]
	jq -e --arg ts "$ts" --arg c "$CH" '.[0] | .channel == $c and .ts == $ts and
		.text == "Approved by mei: 48 x Example 1 ordered from Acme Wholesale (purchase order EX01-20261204, expected 2026-12-11)"' updates.json
	# the message Slack keeps lost its buttons
	fake_state | jq -e --arg ts "$ts" --arg c "$CH" '.slack[$c] | map(select(.ts == $ts)) | .[0] |
		(.text | startswith("Approved by mei")) and all(.blocks[]; .type != "actions")'
}

@test "slack: Skip in one tap: skipped for the cool-down, nothing sent, the message says who" {
	drafted
	slack_event "$(form "$(click skip EX10-20261204 sam)")" > events.ndjson
	http
	[ "$status" -eq 0 ]
	[ "$(resp 1 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '200\t')" ]
	[ "$(sql "select status || ' ' || by_user from orders where order_id = 'EX10-20261204'")" = "skipped sam" ]
	[ "$(sql "select skip_until from state where item_id = 'EX10'")" = 2026-12-11 ]
	no_po
	slack_calls chat.update | jq -e '. | length == 1 and .[0].text == "Skipped by sam: not drafted again before 2026-12-11"'
}

@test "slack: a retry and a double click send one email; a later click is told who acted first" {
	drafted
	p=$(form "$(click approve EX02-20261204 mei)")
	{
		slack_event "$p"
		slack_event "$p" "$NOW" "" x-slack-retry-num=1 x-slack-retry-reason=http_timeout
		slack_event "$p"
	} > events.ndjson
	http
	[ "$status" -eq 0 ]
	jq -e -s 'length == 3 and all(.[]; .statusCode == 200 and .body == "")' out.ndjson
	[ "$(pos EX02)" -eq 1 ]
	[ "$(sql "select count(*) from audit where order_id = 'EX02-20261204' and action = 'approved'")" -eq 1 ]
	# the first answer stands: one update, saying mei approved it
	slack_calls chat.update > updates.json
	jq -e 'length == 1 and (.[0].text | startswith("Approved by mei: 48 x Example 2"))' updates.json
	# sam was slower: the message says mei acted first, and nothing is sent
	fake_reset
	slack_event "$(form "$(click approve EX02-20261204 sam)")" > events.ndjson
	http
	[ "$(resp 1 | jq -r .statusCode)" -eq 200 ]
	[ "$(pos EX02)" -eq 1 ]
	slack_calls chat.update | jq -e '.[0].text == "Order EX02-20261204 was already approved by mei on 2026-12-04 09:00 (now on-order); nothing sent again. sam pressed Approve after that."'
	# skipping it now is refused the same way
	fake_reset
	slack_event "$(form "$(click skip EX02-20261204 sam)")" > events.ndjson
	http
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = on-order ]
	slack_calls chat.update | jq -e '.[0].text | startswith("Order EX02-20261204 was already approved by mei") and contains("cannot be skipped")'
}

@test "slack: clicks at the same moment in separate handlers: one supplier email" {
	drafted
	for u in u1 u2 u3 u4 u5 u6; do
		slack_event "$(form "$(click approve EX09-20261204 "$u")")" > "ev.$u"
	done
	for u in u1 u2 u3 u4 u5 u6; do
		ir-approve --http "ev.$u" > "out.$u" 2> "err.$u" &
	done
	wait
	cat out.u* | jq -e -s 'length == 6 and all(.[]; .statusCode == 200)'
	[ "$(pos EX09)" -eq 1 ]
	[ "$(sql "select count(*) from audit where order_id = 'EX09-20261204' and action = 'approved'")" -eq 1 ]
}

@test "slack: Edit opens the modal with the trigger id; nothing changes" {
	drafted
	dump > before.sql
	slack_event "$(form "$(click edit EX07-20261204 mei)")" > events.ndjson
	http
	[ "$status" -eq 0 ]
	[ "$(resp 1 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '200\t')" ]
	dump > after.sql
	cmp before.sql after.sql
	slack_calls views.open > opens.json
	[ "$(jq length opens.json)" -eq 1 ]
	jq -e '.[0] | .trigger_id == "4242.1337.trigger" and .view.type == "modal" and
		.view.callback_id == "ir_edit" and .view.private_metadata == "EX07-20261204" and
		(.view.title.text | length <= 24) and (.view.submit.text | length <= 24) and
		(.view.close.text | length <= 24)' opens.json
	# the quantity input, with the drafted 30, and the cap's checkbox (cap 35)
	jq -e '.[0].view.blocks | map(select(.type == "input")) |
		.[0].block_id == "qty" and .[0].element.type == "plain_text_input" and
		.[0].element.action_id == "qty" and .[0].element.initial_value == "30" and
		.[1].block_id == "confirm" and .[1].optional == true and
		.[1].element.type == "checkboxes" and .[1].element.options[0].value == "over_cap" and
		(.[1].element.options[0].text.text | contains("35"))' opens.json
	jq -e '.[0].view.blocks[0].text.text | contains("Example 7 (EX07)") and contains("Drafted quantity: 30")' opens.json
	# an item without a cap has no checkbox
	fake_reset
	slack_event "$(form "$(click edit EX01-20261204 mei)")" > events.ndjson
	http
	slack_calls views.open | jq -e '.[0].view.blocks | map(select(.type == "input")) | length == 1'
	[ "$(slack_calls chat.update | jq length)" -eq 0 ]
}

@test "slack: Edit on an order already approved: no modal, the message says who" {
	drafted
	ir-approve --approve EX06-20261204 --by mei > /dev/null
	fake_reset
	slack_event "$(form "$(click edit EX06-20261204 sam)")" > events.ndjson
	http
	[ "$(resp 1 | jq -r .statusCode)" -eq 200 ]
	[ "$(slack_calls views.open | jq length)" -eq 0 ]
	slack_calls chat.update | jq -e '.[0].text | startswith("Order EX06-20261204 was already approved by mei") and endswith("sam pressed Edit after that.")'
}

@test "slack: the modal's quantity: abc, 0, -3, 2.5, empty, too big, over the cap: field errors, nothing changes" {
	drafted
	{
		slack_event "$(form "$(submit EX07-20261204 abc)")"
		slack_event "$(form "$(submit EX07-20261204 0)")"
		slack_event "$(form "$(submit EX07-20261204 -3)")"
		slack_event "$(form "$(submit EX07-20261204 2.5)")"
		slack_event "$(form "$(submit EX07-20261204 '')")"
		slack_event "$(form "$(submit EX07-20261204 12345678901)")"
		slack_event "$(form "$(submit EX07-20261204 36)")"
		slack_event "$(form "$(submit EX07-20261204 "3 0")")"
	} > events.ndjson
	dump > before.sql
	http
	[ "$status" -eq 0 ]
	jq -e -s 'length == 8 and all(.[]; .statusCode == 200 and
		.headers["content-type"] == "application/json; charset=utf-8")' out.ndjson
	jq -c '.body | fromjson' out.ndjson > bodies.ndjson
	[ "$(jq -r '[.response_action, (.errors | keys[0]), (.errors | to_entries[0].value)] | @tsv' bodies.ndjson)" = "$(printf '%s\n' \
		$'errors\tqty\tEnter a whole number, for example 12.' \
		$'errors\tqty\tThe quantity must be at least 1. To order none, skip the order instead.' \
		$'errors\tqty\tThe quantity must be at least 1. To order none, skip the order instead.' \
		$'errors\tqty\tEnter a whole number of units, without a decimal point.' \
		$'errors\tqty\tEnter how many to order, for example 12.' \
		$'errors\tqty\tThat is more than 1000000000: enter a smaller number.' \
		$'errors\tconfirm\tThis is above the order cap of 35. Tick "Order more than the cap" to confirm it.' \
		$'errors\tqty\tEnter a whole number, for example 12.')" ]
	dump > after.sql
	cmp before.sql after.sql
	no_po
}

@test "slack: a valid quantity approves with it and closes the modal; over the cap with the box ticked" {
	drafted
	{
		slack_event "$(form "$(submit EX07-20261204 ' 32 ')")"
		slack_event "$(form "$(submit EX08-20261204 24 ticked)")"
	} > events.ndjson
	http
	[ "$status" -eq 0 ]
	jq -e -s 'all(.[]; .statusCode == 200 and .body == "")' out.ndjson
	[ "$(sql "select group_concat(order_id || ' ' || status || ' ' || qty, ', ') from orders where order_id in ('EX07-20261204', 'EX08-20261204') order by order_id")" = \
		"EX07-20261204 on-order 32, EX08-20261204 on-order 24" ]
	[ "$(sql "select note from audit where order_id = 'EX07-20261204' and action = 'edited'")" = "qty 30 -> 32" ]
	python3 - outbox/po-EX07-20261204.eml <<-'PY'
	import email, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	t = next(p for p in m.walk() if p.get_content_type() == 'text/plain').get_payload(decode=True).decode()
	assert 'Quantity:   32' in t, t
	PY
	# the draft's message (its message_ref) shows the outcome
	slack_calls chat.update > updates.json
	jq -e --arg ts "$(msg_ts EX07-20261204)" 'map(select(.ts == $ts)) | length == 1 and
		(.[0].text | startswith("Edited and approved by mei: 32 x Example 7"))' updates.json
}

@test "slack: a submission for an order approved meanwhile: the modal says who, nothing sent again" {
	drafted
	ir-approve --approve EX07-20261204 --by sam > /dev/null
	slack_event "$(form "$(submit EX07-20261204 32)")" > events.ndjson
	http
	resp 1 | jq -e '.statusCode == 200 and (.body | fromjson | .response_action == "update" and
		.view.type == "modal" and .view.title.text == "Already done" and
		(.view.blocks[0].text.text | startswith("Order EX07-20261204 was already approved by sam")))'
	[ "$(sql "select qty from orders where order_id = 'EX07-20261204'")" -eq 30 ]
	[ "$(pos EX07)" -eq 1 ]
}

@test "slack: unknown action id: 400; unknown order: the message says so, 200; nothing changes" {
	drafted
	{
		slack_event "$(form "$(click dance EX01-20261204)")"
		slack_event "$(form "$(click approve EX01-20261204 | jq -c '.actions[0].value = "NOPE-20261204"')")"
		slack_event "$(form "$(submit NOPE-20261204 5)")"
		slack_event "$(form "$(submit EX01-20261204 5 | jq -c '.view.callback_id = "other"')")"
	} > events.ndjson
	dump > before.sql
	http
	[ "$status" -eq 0 ]
	[ "$(resp 1 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '400\tunknown action\\n')" ]
	[ "$(resp 2 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '200\t')" ]
	resp 3 | jq -e '.statusCode == 200 and (.body | fromjson | .view.title.text == "No such order")'
	[ "$(resp 4 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '400\tunknown view\\n')" ]
	slack_calls chat.update | jq -e 'length == 1 and (.[0].text | startswith("No order NOPE-20261204 in the store: nothing changed."))'
	dump > after.sql
	cmp before.sql after.sql
	no_po
}

@test "slack: SES refuses the email: the order stays pending, the message keeps its buttons and says why" {
	drafted
	# SES refuses a request signed with the wrong secret
	export IR_MAIL=ses: AWS_SECRET_ACCESS_KEY=wrong-secret-9931
	slack_event "$(form "$(click approve EX01-20261204)")" > events.ndjson
	http
	[ "$status" -eq 0 ]
	[ "$(resp 1 | jq -r .statusCode)" -eq 200 ]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = pending ]
	slack_calls chat.update > updates.json
	# the note goes above the buttons (the last block), which stay
	jq -e 'length == 1 and (.[0].blocks | (map(select(.type == "actions")) | length == 1) and
		.[-1].type == "actions" and (map(select(.block_id == "ir_note")) | length == 1 and
		(.[0].elements[0].text | startswith("Could not approve: order EX01-20261204: the purchase order could not be sent")))) and
		(.[0].text | startswith("Reorder: Example 1"))' updates.json
	[[ "$stderr" != *"wrong-secret-9931"* ]]
	# approved again with SES working: sent once, the note gone
	fake_reset
	unset AWS_SECRET_ACCESS_KEY
	. "$SVC/services.env"
	slack_event "$(form "$(click approve EX01-20261204)")" > events.ndjson
	http
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = on-order ]
	slack_calls chat.update | jq -e '.[0].text | startswith("Approved by mei")'
}

@test "bad requests, one handler: each answered with its status and a short reason, the store unchanged" {
	drafted
	p=$(form "$(click approve EX01-20261204)")
	big=$(head -c 1100000 /dev/zero | tr '\0' a)
	{
		echo 'not json'
		echo '{"version":"2.0"}'
		slack_event "payload=%7Bnot%20json"
		slack_event "payload=%zz"
		slack_event "other=1"
		slack_event "$(form '{"type":"shortcut","user":{"id":"U1"}}')"
		slack_event "$(form '[1,2]')"
		slack_event "$(form '{"type":"block_actions","type":"view_submission"}')"
		event GET /slack
		event PUT "/a/x.y"
		event GET /nope
		event POST /slack/ "$p"
		event GET /
		slack_event "payload=$big"
		head -c 2200000 /dev/zero | tr '\0' ' '; echo '{}'
		# the handler still answers after all that
		slack_event "$(form "$(click approve EX01-20261204)")"
	} > events.ndjson
	dump > before.sql
	http
	[ "$status" -eq 0 ]
	[ "$(wc -l < out.ndjson)" -eq 16 ]
	[ "$(jq -r '[.statusCode, (.body | rtrimstr("\n"))] | @tsv' out.ndjson | head -15)" = "$(printf '%s\n' \
		$'400\tnot a request event' \
		$'400\trequest event without a method' \
		$'400\tpayload is not JSON' \
		$'400\tbad form encoding' \
		$'400\tno payload' \
		$'400\tunsupported payload type' \
		$'400\tpayload has no type' \
		$'400\tpayload is not JSON' \
		$'405\tmethod not allowed' \
		$'405\tmethod not allowed' \
		$'404\tnot found' \
		$'404\tnot found' \
		$'404\tnot found' \
		$'413\tbody larger than 1048576 bytes' \
		$'413\trequest too large')" ]
	[ "$(resp 9 | jq -r '.headers.allow')" = POST ]
	[ "$(resp 10 | jq -r '.headers.allow')" = "GET, POST" ]
	[ "$(resp 16 | jq -r .statusCode)" -eq 200 ]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = on-order ]
	# nothing but the last request touched the store
	[ "$(sql "select group_concat(action, ' ') from audit where action != 'drafted' order by id")" = "approved sent" ]
	# no body in the log
	[[ "$stderr" != *"aaaaaaaa"* ]]
	[[ "$stderr" != *"not json"* ]]
}

@test "slack: answered within Slack's 3 seconds: claim, SES send, on-order and chat.update" {
	drafted
	export IR_MAIL=ses:
	curl -sS -X POST "$SES_LOCAL_URL/clear-store" > /dev/null
	slack_event "$(form "$(click approve EX01-20261204)")" > events.ndjson
	start=$(date +%s%N)
	ir-approve --http events.ndjson > out.ndjson 2> err.txt
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	echo "# approve through ir-approve --http (SES + chat.update): $ms ms" >&3
	[ "$ms" -lt 3000 ]
	[ "$(resp 1 | jq -r .statusCode)" -eq 200 ]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = on-order ]
	[ "$(curl -sS "$SES_LOCAL_URL/store" | jq '.emails | length')" -eq 1 ]
	[ "$(slack_calls chat.update | jq length)" -eq 1 ]
	# and with the local outbox
	export IR_MAIL="outbox:$T/outbox"
	slack_event "$(form "$(click approve EX02-20261204)")" > events.ndjson
	start=$(date +%s%N)
	ir-approve --http events.ndjson > out.ndjson 2> err.txt
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	echo "# approve through ir-approve --http (outbox + chat.update): $ms ms" >&3
	[ "$ms" -lt 3000 ]
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = on-order ]
}

@test "slack: no signing secret configured: 503, nothing read" {
	drafted
	unset IR_SLACK_SIGNING_SECRET
	slack_event "$(form "$(click approve EX01-20261204)")" > events.ndjson
	http
	[ "$status" -eq 0 ]
	[ "$(resp 1 | jq -r '[.statusCode, .body] | @tsv')" = "$(printf '503\tnot configured\\n')" ]
	[[ "$stderr" == *"IR_SLACK_SIGNING_SECRET is not set"* ]]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = pending ]
}

# ---- signed links ----

@test "links: the draft email carries them only with IR_PUBLIC_URL and IR_LINK_KEY; never a record or a log" {
	examples_sync | ir-check > moves.ndjson
	IR_PUBLIC_URL='' ir-draft moves.ndjson > plain.ndjson 2> plain.err
	python3 - outbox/draft-EX01-20261204.eml <<-'PY'
	import email, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	t = next(p for p in m.walk() if p.get_content_type() == 'text/plain').get_payload(decode=True).decode()
	assert '/a/' not in t and 'To send it:            ir-approve --approve EX01-20261204' in t, t
	PY
	rm -rf outbox "$T/ir.db"
	run --separate-stderr ir-draft moves.ndjson
	[ "$status" -eq 0 ]
	[[ "$output" != *"/a/"* ]]
	[[ "$stderr" != *"/a/"* ]]
	python3 - outbox/draft-EX01-20261204.eml <<-'PY'
	import email, re, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_maintype() == 'text'}
	t, h = parts['text/plain'], parts['text/html']
	urls = re.findall(r'https://shop\.example\.com/a/[A-Za-z0-9_.-]+', t)
	assert len(urls) == 3 and len(set(urls)) == 3, urls
	assert 'The links work until 2026-12-11 09:00 (Asia/Singapore)' in t, t
	assert 'From a terminal instead:  ir-approve --approve EX01-20261204 [--qty N]' in t, t
	for u in urls:
	    assert 'href="%s"' % u in h, u
	assert 'Approve and send</a>' in h and 'Change the amount</a>' in h and 'Skip this time</a>' in h
	PY
	# a trailing slash in IR_PUBLIC_URL makes no double slash; a bad URL is refused
	rm -rf outbox "$T/ir.db"
	IR_PUBLIC_URL=https://shop.example.com/ ir-draft moves.ndjson > /dev/null
	[ "$(link approve EX01-20261204 | cut -c1-3)" = "/a/" ]
	run --separate-stderr env IR_PUBLIC_URL=shop.example.com ir-draft moves.ndjson
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"IR_PUBLIC_URL (environment): must be the https:// address"* ]]
}

@test "links: a GET only shows what would happen; the POST acts; a second POST is told who acted first" {
	drafted_email
	a=$(link approve EX01-20261204)
	{
		event GET "$a"
		event GET "$a"
	} > events.ndjson
	dump > before.sql
	http
	[ "$status" -eq 0 ]
	dump > after.sql
	cmp before.sql after.sql
	[ ! -e outbox/po-EX01-20261204.eml ]
	resp 1 | jq -e '.statusCode == 200 and .headers["content-type"] == "text/html; charset=utf-8" and
		.headers["cache-control"] == "no-store" and .headers["x-frame-options"] == "DENY" and
		.headers["referrer-policy"] == "no-referrer" and
		(.headers["content-security-policy"] | contains("default-src '"'none'"'"))'
	resp 1 | jq -r .body > page.html
	grep -q '<meta name="viewport" content="width=device-width, initial-scale=1">' page.html
	grep -q '<h1>Send this order?</h1>' page.html
	grep -q '<td>Example 1 (EX01)</td>' page.html
	grep -q '<td>48</td>' page.html
	grep -q '<td>Acme Wholesale<br>orders@acme.example.com</td>' page.html
	grep -q '<form method="post">' page.html
	grep -q '<button type="submit">Confirm: send the order</button>' page.html
	run ! grep -qi '<script' page.html
	run ! grep -q 'action=' page.html
	# Confirm
	event POST "$a" "" content-type=application/x-www-form-urlencoded > events.ndjson
	http
	resp 1 | jq -e '.statusCode == 200'
	resp 1 | jq -r .body | grep -q '<h1>Order sent</h1>'
	resp 1 | jq -r .body > done.html
	grep -q '<p>The purchase order was emailed to Acme Wholesale.</p>' done.html
	grep -q '<tr><th>Quantity</th>' done.html
	grep -q '<td>2026-12-11</td>' done.html
	grep -q '<td>owner@shop.example.com (email link)</td>' done.html
	grep -q '<tr><th>Purchase order</th>' done.html
	[ "$(sql "select status || ' ' || by_user from orders where order_id = 'EX01-20261204'")" = "on-order owner@shop.example.com (email link)" ]
	[ -f outbox/po-EX01-20261204.eml ]
	# used: the POST again, a GET, the skip link
	{
		event POST "$a"
		event GET "$a"
		event POST "$(link skip EX01-20261204)"
	} > events.ndjson
	dump > before.sql
	http
	jq -e -s 'all(.[]; .statusCode == 409)' out.ndjson
	resp 1 | jq -r .body | grep -q '<h1>Already done</h1>'
	resp 1 | jq -r .body | grep -q 'Order EX01-20261204 was already approved by owner@shop.example.com (email link) on 2026-12-04 09:00'
	resp 3 | jq -r .body | grep -q 'it cannot be skipped'
	dump > after.sql
	cmp before.sql after.sql
	[ "$(pos "")" -eq 1 ]
	# the token is never logged
	[[ "$stderr" != *"${a#/a/}"* ]]
}

@test "links: Edit asks for the quantity; bad ones get the form again with the reason (422)" {
	drafted_email
	e=$(link edit EX07-20261204)
	event GET "$e" > events.ndjson
	http
	resp 1 | jq -r .body > page.html
	grep -q '<input id="qty" name="qty" type="number" min="1" step="1" inputmode="numeric" required autocomplete="off" value="30">' page.html
	grep -q 'name="confirm" value="over_cap"> <span>Order more than the cap of 35</span>' page.html
	{
		for q in abc 0 -3 2.5 "" 36 '%3Cb%3E'; do
			event POST "$e" "qty=$q" content-type=application/x-www-form-urlencoded
		done
		event POST "$e" "qty=%zz"
	} > events.ndjson
	dump > before.sql
	http
	[ "$(jq -r .statusCode out.ndjson | tr '\n' ' ')" = "422 422 422 422 422 422 422 400 " ]
	[ "$(jq -r '.body' out.ndjson | grep -o '<p class="error">[^<]*</p>' | tr '\n' '|')" = \
		'<p class="error">Enter a whole number, for example 12.</p>|<p class="error">The quantity must be at least 1. To order none, skip the order instead.</p>|<p class="error">The quantity must be at least 1. To order none, skip the order instead.</p>|<p class="error">Enter a whole number of units, without a decimal point.</p>|<p class="error">Enter how many to order, for example 12.</p>|<p class="error">This is above the order cap of 35. Tick &quot;Order more than the cap&quot; to confirm it.</p>|<p class="error">Enter a whole number, for example 12.</p>|' ]
	# what was typed comes back in the field, escaped
	resp 7 | jq -r .body | grep -q 'value="&lt;b&gt;"'
	resp 4 | jq -r .body | grep -q 'value="2.5"'
	dump > after.sql
	cmp before.sql after.sql
	# over the cap with the box ticked
	event POST "$e" "qty=40&confirm=over_cap" content-type=application/x-www-form-urlencoded > events.ndjson
	http
	[ "$(resp 1 | jq -r .statusCode)" -eq 200 ]
	[ "$(sql "select status || ' ' || qty from orders where order_id = 'EX07-20261204'")" = "on-order 40" ]
	[ "$(sql "select note from audit where order_id = 'EX07-20261204' and action = 'edited'")" = "qty 30 -> 40" ]
}

@test "links: Skip: a red Confirm; the POST skips, nothing sent" {
	drafted_email
	s=$(link skip EX10-20261204)
	{
		event GET "$s"
		event POST "$s"
	} > events.ndjson
	http
	resp 1 | jq -r .body | grep -q '<h1>Skip this order?</h1>'
	resp 1 | jq -r .body | grep -q 'Nothing is sent to the supplier, and Example 10 is not drafted again before 2026-12-11.'
	resp 1 | jq -r .body | grep -q '<button type="submit" class="danger">Confirm: skip it</button>'
	resp 2 | jq -r .body | grep -q '<h1>Order skipped</h1>'
	[ "$(sql "select status from orders where order_id = 'EX10-20261204'")" = skipped ]
	[ ! -e outbox/po-EX10-20261204.eml ]
}

@test "links: expired, tampered, cut or signed with another key: 403 in plain words, nothing changed" {
	drafted_email
	a=$(link approve EX01-20261204)
	tok=${a#/a/}
	payload=${tok%%.*}
	mac=${tok#*.}
	# the payload of EX02's link with EX01's signature
	other=$(link approve EX02-20261204)
	other=${other#/a/}
	flip=$(printf '%s' "$mac" | cut -c1)
	[ "$flip" = A ] && flip=B || flip=A
	{
		event GET "$a"
		event POST "$a"
		event GET "/a/$payload.$flip${mac#?}"
		event POST "/a/$payload.$flip${mac#?}"
		event GET "/a/${other%%.*}.$mac"
		event GET "/a/$payload"
		event GET "/a/${tok%?}"
		event GET "/a/"
		event GET "/a/$payload.$mac.x"
	} > events.ndjson
	dump > before.sql
	# eight days later
	IR_NOW=2026-12-12T09:00:01+08:00 http
	[ "$status" -eq 0 ]
	[ "$(jq -r .statusCode out.ndjson | tr '\n' ' ')" = "403 403 403 403 403 403 403 403 403 " ]
	resp 1 | jq -r .body | grep -q '<h1>This link has expired</h1>'
	resp 1 | jq -r .body | grep -q 'Approval links work for 7 days, and this one is older. Nothing was changed.'
	resp 1 | jq -r .body | grep -q 'Order EX01-20261204: approve it from a newer draft email'
	resp 2 | jq -r .body | grep -q '<h1>This link has expired</h1>'
	for i in 3 4 5 6 7 8 9; do
		resp "$i" | jq -r .body | grep -q '<h1>This link is not valid</h1>'
		resp "$i" | jq -r .body | grep -q 'Nothing was changed.'
		resp "$i" | jq -e '.headers["cache-control"] == "no-store"'
	done
	# with a key that is not the one it was signed with
	event GET "$a" > events.ndjson
	IR_LINK_KEY=another-key http
	[ "$(resp 1 | jq -r .statusCode)" -eq 403 ]
	dump > after.sql
	cmp before.sql after.sql
	[ ! -e outbox/po-EX01-20261204.eml ]
	[[ "$stderr" != *"$mac"* ]]
	# within the 7 days the same link works
	event GET "$a" > events.ndjson
	IR_NOW=2026-12-11T09:00:00+08:00 http
	[ "$(resp 1 | jq -r .statusCode)" -eq 200 ]
}

@test "links: an order no longer in the store: 404; no link key: 503; both change nothing" {
	drafted_email
	a=$(link approve EX01-20261204)
	sql "delete from orders where order_id = 'EX01-20261204'"
	event POST "$a" > events.ndjson
	http
	[ "$(resp 1 | jq -r .statusCode)" -eq 404 ]
	resp 1 | jq -r .body | grep -q 'There is no order EX01-20261204 in the store. Nothing was changed.'
	event GET "$(link approve EX02-20261204)" > events.ndjson
	IR_LINK_KEY='' http
	[ "$(resp 1 | jq -r .statusCode)" -eq 503 ]
	resp 1 | jq -r .body | grep -q '<h1>Links are not set up</h1>'
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = pending ]
}

@test "links: the mail server takes the email and goes silent: left sending, never re-sent, the page says so" {
	drafted_email
	# a server that takes the connection and never says a word
	python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept())
' > port.txt 3>&- &
	pid=$!
	for _ in $(seq 1 100); do [ -s port.txt ] && break; sleep 0.05; done
	a=$(link approve EX01-20261204)
	event POST "$a" > events.ndjson
	IR_MAIL="smtp://127.0.0.1:$(cat port.txt)" IR_HTTP_TIMEOUT_MS=800 http
	kill "$pid"
	[ "$status" -eq 0 ]
	[ "$(resp 1 | jq -r .statusCode)" -eq 504 ]
	resp 1 | jq -r .body | grep -q '<h1>Not sure the order was sent</h1>'
	resp 1 | jq -r .body | grep -q 'may or may not have reached orders@acme.example.com'
	resp 1 | jq -r .body | grep -q 'ir-approve --confirm EX01-20261204'
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = sending ]
	# the link again (with a working mail): nothing is sent, the page says why
	event POST "$a" > events.ndjson
	http
	[ "$(resp 1 | jq -r .statusCode)" -eq 409 ]
	resp 1 | jq -r .body | grep -q 'nothing is sent again'
	[ ! -e outbox/po-EX01-20261204.eml ]
}

@test "links: every value on a page is HTML-escaped" {
	sed 's/^EX01,Example 1,/EX01,<script>alert(1)<\/script> \& "Co",/' "$FIX/examples.csv" > stock.csv
	ir-sync stock.csv --suppliers "$FIX/examples-suppliers.txt" | ir-check | ir-draft > /dev/null
	event GET "$(link approve EX01-20261204)" > events.ndjson
	http
	resp 1 | jq -r .body > page.html
	run ! grep -q '<script' page.html
	grep -q '<td>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot; (EX01)</td>' page.html
}

@test "usage: --http takes no action flags" {
	run ir-approve --http --approve X
	[ "$status" -eq 64 ]
	run ir-approve --http --by mei
	[ "$status" -eq 64 ]
	run ir-approve --help
	[[ "$output" == *"ir-approve --http [--dry-run]"* ]]
	# empty input: no output, status 0
	run --separate-stderr ir-approve --http < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a store that cannot be opened: every request still gets its answer (503), exit 69" {
	event GET /a/x.y > events.ndjson
	event POST /slack "payload=x" >> events.ndjson
	event GET /nope >> events.ndjson
	run --separate-stderr env IR_STORE="sqlite:/proc/ir-no-such/ir.db" ir-approve --http events.ndjson
	[ "$status" -eq 69 ]
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = "503 503 404 " ]
}
