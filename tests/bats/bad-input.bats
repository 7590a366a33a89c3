#!/usr/bin/env bats
# Bad input, for every public endpoint: through ir-serve over real HTTP,
# against the real wrappers (lambda/wrappers/pos-handler runs ir-pos
# --http, approve-handler runs ir-approve --http). Every case of the
# tables below gets its status and a short reason, leaves the store as it
# was (sqlite3 .dump before and after), and the server goes on serving (a
# good request right after it works). Each test ends with a summary line.

bats_require_minimum_version 1.5.0
load helpers
load serve

# helpers.bash's setup, kept under another name: ours adds to it
eval "helpers_$(declare -f setup)"

# Obviously fake secrets, for these tests only.
POS_KEY=fake-pos-key-for-tests-only
SLACK_SECRET=fake-slack-signing-secret-for-tests-only
LINK_KEY=fake-link-key-for-tests-only

setup() {
	helpers_setup
	export IR_POS_HMAC_KEY="$POS_KEY" IR_SLACK_SIGNING_SECRET="$SLACK_SECRET"
	export IR_LINK_KEY="$LINK_KEY" IR_PUBLIC_URL=https://shop.example.com
	export IR_STOCK="$FIX/examples.csv" IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	# no Slack here: the message updates after an answer fail, and are
	# only logged
	unset IR_SLACK_BOT_TOKEN IR_SLACK_API_URL
	NOW=$(date -d "$IR_NOW" +%s)
	DB="$T/ir.db"
	# pending orders EX01, EX02, EX06, EX07, EX08, EX09, EX10 (-20261204)
	examples_sync | ir-check | ir-draft > drafts.ndjson
	TENMB="$BATS_FILE_TMPDIR/10mb"
	[ -s "$TENMB" ] || head -c 10000000 /dev/zero | tr '\0' a > "$TENMB"
	serve_start
}

teardown() {
	serve_stop
	cd /
	rm -rf "$T"
}

# ---- the tables ----
#
# One case a line: name, method, path, content type, signer, body, first,
# expected status, expected reason.
#   path    literal, or /a/@ACTION:ORDER[:HOW] for an email link made here
#           (HOW: expired, wrongkey or tampered; see link_path)
#   type    json, form, or - for none
#   signer  how the request is signed: see sign
#   body    a generator: see make_body
#   first   - or METHOD/SIGNER: the same path and body sent once before
#           the store is dumped, and answered 2xx (a replay is the same
#           request again; a Slack retry adds its header)
#   reason  an extended regular expression the answer's body matches, or
#           - for an empty body (Slack wants 200 and nothing; what
#           happened is shown on the message)

POS_CASES='
pos-no-signature      POST /pos   json -          sale           -          401 "error":"bad signature"
pos-wrong-signature   POST /pos   json pos_wrong  sale           -          401 "error":"bad signature"
pos-old-timestamp     POST /pos   json pos_old    sale           -          401 "error":"bad signature"
pos-replay            POST /pos   json pos        sale           POST/pos   200 "applied":0,"duplicates":1,"duplicate":true
pos-duplicated-event  POST /pos   json pos        sale           POST/pos_5 200 "applied":0,"duplicates":1,"duplicate":true
pos-10-mb             POST /pos   json pos        tenmb          -          413 ^request body too large$
pos-invalid-json      POST /pos   json pos        badjson        -          400 "error":"invalid JSON
pos-form-body         POST /pos   form pos        badform        -          400 content type must be application/json
pos-unknown-kind      POST /pos   json pos        kind:explode   -          400 kind must be sale or received
pos-unknown-sku       POST /pos   json pos        sku:NO-SUCH-1  -          422 unknown sku NO-SUCH-1
pos-no-event-id       POST /pos   json pos        noid           -          400 no usable event_id
pos-wrong-method      GET  /pos   -    -          -              -          405 method not allowed
'

SLACK_CASES='
slack-no-signature    POST /slack form -           click:skip:EX01-20261204    -           401 ^missing signature$
slack-wrong-signature POST /slack form slack_wrong click:skip:EX01-20261204    -           401 ^bad signature$
slack-old-timestamp   POST /slack form slack_old   click:skip:EX01-20261204    -           401 ^stale timestamp$
slack-replay          POST /slack form slack       click:skip:EX02-20261204    POST/slack  200 -
slack-retry           POST /slack form slack_retry click:skip:EX06-20261204    POST/slack  200 -
slack-double-click    POST /slack form slack_1s    click:approve:EX07-20261204 POST/slack  200 -
slack-10-mb           POST /slack form slack       tenmb                       -           413 ^request body too large$
slack-invalid-form    POST /slack form slack       badform                     -           400 ^bad form encoding$
slack-no-payload      POST /slack form slack       nopayload                   -           400 ^no payload$
slack-invalid-json    POST /slack form slack       notjson                     -           400 ^payload is not JSON$
slack-unknown-action  POST /slack form slack       click:explode:EX01-20261204 -           400 ^unknown action$
slack-unknown-order   POST /slack form slack       click:skip:NOPE-20261204    -           200 -
slack-wrong-method    GET  /slack -    -           -                           -           405 ^method not allowed$
slack-unknown-path    POST /slack/x form slack     click:skip:EX01-20261204    -           404 ^not found$
'

LINK_CASES='
link-no-token         GET  /a/                                -    - -       -      403 This link is not valid
link-wrong-signature  GET  /a/@approve:EX01-20261204:wrongkey -    - -       -      403 This link is not valid
link-tampered         GET  /a/@approve:EX01-20261204:tampered -    - -       -      403 This link is not valid
link-expired          GET  /a/@approve:EX01-20261204:expired  -    - -       -      403 This link has expired
link-replay           GET  /a/@skip:EX07-20261204             form - -       POST/- 409 Already done
link-double-post      POST /a/@skip:EX08-20261204             form - -       POST/- 409 Already done
link-10-mb            POST /a/@approve:EX01-20261204          form - tenmb   -      413 ^request body too large$
link-invalid-form     POST /a/@edit:EX09-20261204             form - qtybad  -      400 This form could not be read
link-unknown-action   GET  /a/@explode:EX01-20261204          -    - -       -      403 This link is not valid
link-unknown-order    GET  /a/@approve:NOPE-20261204          -    - -       -      404 No such order
link-wrong-method     PUT  /a/@approve:EX01-20261204          form - -       -      405 ^method not allowed$
'

SERVER_CASES='
unknown-path          POST /nope   json pos sale -  404 ^not found$
unknown-path-root     GET  /       -    -   -    -  404 ^not found$
path-past-a-prefix    POST /posx   json pos sale -  404 ^not found$
unknown-method        BREW /pos    json pos sale -  501 ^method not supported$
'

# ---- building requests ----

b64url() {
	base64 -w0 | tr '+/' '-_' | tr -d '='
}

# link_token ORDER ACTION EXPIRY [KEY]: an email link's token, made as
# sig_link_make does (checked against a real draft's link below).
link_token() {
	local msg
	msg=$(printf '%s\n%s\n%s' "$1" "$2" "$3")
	printf '%s.%s' "$(printf '%s' "$msg" | b64url)" \
		"$(printf 'ir-link\n%s' "$msg" | openssl dgst -sha256 -hmac "${4:-$LINK_KEY}" -binary | b64url)"
}

# link_path PATH: /a/@ACTION:ORDER[:HOW] made into a real path.
link_path() {
	local spec action order how tok
	case $1 in
	/a/@*) ;;
	*) printf '%s' "$1"; return ;;
	esac
	spec=${1#/a/@}
	IFS=: read -r action order how <<< "$spec"
	case $how in
	expired) tok=$(link_token "$order" "$action" $((NOW - 1))) ;;
	wrongkey) tok=$(link_token "$order" "$action" $((NOW + 86400)) not-the-link-key) ;;
	tampered)
		# another order's id, with this one's signature
		tok=$(link_token "$order" "$action" $((NOW + 86400)))
		tok="$(printf 'EX02-20261204\n%s\n%s' "$action" $((NOW + 86400)) | b64url).${tok#*.}"
		;;
	*) tok=$(link_token "$order" "$action" $((NOW + 86400))) ;;
	esac
	printf '/a/%s' "$tok"
}

# click ACTION ORDER: a Slack block_actions payload, form-encoded.
click() {
	local json
	json=$(jq -cn --arg a "$1" --arg o "$2" '{type: "block_actions",
		user: {id: "U0MEI", username: "mei", name: "mei", team_id: "T0SHOP"},
		team: {id: "T0SHOP", domain: "shop"}, api_app_id: "A0IR",
		trigger_id: "4242.1337.trigger",
		container: {type: "message", message_ts: "1796346000.000100",
		 channel_id: "C0ORDERS", is_ephemeral: false},
		channel: {id: "C0ORDERS", name: "orders"},
		message: {type: "message", ts: "1796346000.000100", text: "draft", blocks: []},
		actions: [{action_id: $a, block_id: ("order:" + $o), type: "button",
		 value: $o, action_ts: "1796346000.000200"}]}')
	printf 'payload=%s' "$(jq -rn --arg p "$json" '$p | @uri')"
}

# make_body SPEC: the request body on stdout.
make_body() {
	case $1 in
	-) ;;
	sale) printf '{"event_id":"bad-input-sale-1","sku":"EX01","qty":2,"kind":"sale"}' ;;
	noid) printf '{"sku":"EX01","qty":2,"kind":"sale"}' ;;
	sku:*) printf '{"event_id":"bad-input-sku","sku":"%s","qty":1}' "${1#sku:}" ;;
	kind:*) printf '{"event_id":"bad-input-kind","sku":"EX01","qty":1,"kind":"%s"}' "${1#kind:}" ;;
	badjson) printf '{"event_id":"bad-input-json","sku":"EX01","qty":' ;;
	badform) printf 'payload=%%7B%%ZZ%%7D' ;;
	nopayload) printf 'token=abc&team=T0SHOP' ;;
	notjson) printf 'payload=%%7Bnot+json' ;;
	qtybad) printf 'qty=1%%G2&confirm=over_cap' ;;
	tenmb) cat "$TENMB" ;;
	click:*)
		local spec=${1#click:}
		click "${spec%%:*}" "${spec#*:}"
		;;
	*) echo "make_body: unknown $1" >&2; return 1 ;;
	esac
}

# hmac_hex KEY: HMAC-SHA256 of stdin, hex.
hmac_hex() {
	openssl dgst -sha256 -hmac "$1" -r | sed 's/ .*//'
}

# sign SIGNER: the signature headers for $T/case.body, into SIGN.
sign() {
	local t=$NOW key
	SIGN=()
	case $1 in
	-) ;;
	pos | pos_5 | pos_wrong | pos_old)
		key=$POS_KEY
		[ "$1" = pos_5 ] && t=$((NOW - 5))
		[ "$1" = pos_old ] && t=$((NOW - 301))
		[ "$1" = pos_wrong ] && key=not-the-pos-key
		SIGN=(-H "X-IR-Signature: t=$t,v1=$({ printf '%s.' "$t"; cat "$T/case.body"; } | hmac_hex "$key")")
		;;
	slack | slack_1s | slack_retry | slack_wrong | slack_old)
		key=$SLACK_SECRET
		[ "$1" = slack_1s ] && t=$((NOW + 1))
		[ "$1" = slack_old ] && t=$((NOW - 301))
		[ "$1" = slack_wrong ] && key=not-the-slack-secret
		SIGN=(-H "X-Slack-Request-Timestamp: $t"
			-H "X-Slack-Signature: v0=$({ printf 'v0:%s:' "$t"; cat "$T/case.body"; } | hmac_hex "$key")")
		[ "$1" = slack_retry ] && SIGN+=(-H 'X-Slack-Retry-Num: 1' -H 'X-Slack-Retry-Reason: http_timeout')
		;;
	*) echo "sign: unknown $1" >&2; return 1 ;;
	esac
	return 0
}

# send METHOD PATH TYPE SIGNER: $T/case.body to ir-serve; the answer's
# body in $T/resp.body, its status in CODE.
send() {
	local args=()
	case $3 in
	json) args+=(-H 'Content-Type: application/json') ;;
	form) args+=(-H 'Content-Type: application/x-www-form-urlencoded') ;;
	esac
	sign "$4"
	args+=("${SIGN[@]}")
	case $1 in
	POST | PUT | BREW) args+=(--data-binary @"$T/case.body") ;;
	esac
	CODE=$(curl -s -o "$T/resp.body" -w '%{http_code}' -X "$1" "${args[@]}" "$SERVE_URL$2")
}

# ---- running them ----

# The store, once no handler is at work (they may go on after answering).
dump() {
	serve_idle
	sqlite3 -cmd '.timeout 5000' "$DB" .dump
}

# One order's status, the same way.
order_status() {
	serve_idle
	sqlite3 -cmd '.timeout 5000' "$DB" "select status from orders where order_id = '$1'"
}

# one_case: the case in the variables read by run_table. 0 as expected.
one_case() {
	local path ok=0
	make_body "$body" > "$T/case.body"
	path=$(link_path "$rpath")
	if [ "$first" != - ]; then
		send "${first%%/*}" "$path" "$type" "${first#*/}"
		if [[ "$CODE" != 2?? ]]; then
			echo "$name: the first request got $CODE: $(head -c 200 "$T/resp.body")"
			return 1
		fi
	fi
	dump > "$T/before.sql"
	send "$method" "$path" "$type" "$signer"
	dump > "$T/after.sql"
	if [ "$CODE" != "$status" ]; then
		echo "$name: status $CODE, expected $status"
		ok=1
	fi
	if [ "$reason" = - ]; then
		if [ -s "$T/resp.body" ]; then
			echo "$name: expected an empty answer: $(head -c 200 "$T/resp.body")"
			ok=1
		fi
	elif ! grep -Eq -- "$reason" "$T/resp.body"; then
		echo "$name: the answer does not match /$reason/: $(head -c 300 "$T/resp.body")"
		ok=1
	fi
	# a reason is short, unless it is a page for a person
	if ! grep -qi '<html' "$T/resp.body" && [ "$(wc -c < "$T/resp.body")" -gt 200 ]; then
		echo "$name: the answer is not short: $(wc -c < "$T/resp.body") bytes"
		ok=1
	fi
	if ! cmp -s "$T/before.sql" "$T/after.sql"; then
		echo "$name: the store changed:"
		diff "$T/before.sql" "$T/after.sql" | head -n 10
		ok=1
	fi
	# the server goes on serving: a link's confirmation page changes nothing
	send GET "$(link_path /a/@approve:EX10-20261204)" - -
	if [ "$CODE" != 200 ] || ! grep -q 'Send this order?' "$T/resp.body"; then
		echo "$name: the server did not serve the next request: $CODE"
		ok=1
	fi
	return $ok
}

# run_table TITLE CASES: every case; a summary line; fails if any failed.
run_table() {
	local name method rpath type signer body first status reason
	local n=0 failed=0 out
	while read -r name method rpath type signer body first status reason; do
		[ -n "$name" ] || continue
		n=$((n + 1))
		if ! out=$(one_case 2>&1); then
			failed=$((failed + 1))
			printf '%s\n' "$out"
		fi
	done <<< "$2"
	kill -0 "$SERVE_PID"
	echo "# bad-input $1: $((n - failed)) of $n cases as expected" >&3
	[ "$n" -gt 0 ]
	[ "$failed" -eq 0 ]
}

# ---- the tests ----

@test "the links made here are the ones ir-draft puts in the owner's email" {
	# the email's first link, its quoted-printable soft line breaks undone
	link=$(sed -e ':a' -e '/=$/{N;s/=\n//;ba' -e '}' "$T/outbox/draft-EX01-20261204.eml" |
		grep -o '/a/[A-Za-z0-9_.-]*' | head -n 1)
	tok=${link#/a/}
	signed=${tok%%.*}
	while [ $((${#signed} % 4)) -ne 0 ]; do
		signed="$signed="
	done
	expiry=$(printf '%s' "$signed" | tr -- '-_' '+/' | base64 -d | sed -n 3p)
	[ "$(printf '%s' "$signed" | tr -- '-_' '+/' | base64 -d | sed -n 1,2p | tr '\n' ' ')" = "EX01-20261204 approve " ]
	[ "$(link_token EX01-20261204 approve "$expiry")" = "$tok" ]
}

@test "/pos: bad requests are refused, the store is unchanged, the server keeps serving" {
	run_table /pos "$POS_CASES"
	# and a good sale is counted
	printf '{"event_id":"bad-input-good","sku":"EX02","qty":3,"kind":"sale"}' > "$T/case.body"
	send POST /pos json pos
	[ "$CODE" = 200 ]
	grep -q '"applied":1' "$T/resp.body"
	[ "$(dump | grep -c bad-input-good)" -ge 1 ]
}

@test "/slack: bad requests are refused, the store is unchanged, the server keeps serving" {
	run_table /slack "$SLACK_CASES"
	# and a good click acts
	click skip EX10-20261204 > "$T/case.body"
	send POST /slack form slack
	[ "$CODE" = 200 ]
	[ "$(order_status EX10-20261204)" = skipped ]
}

@test "/a/: bad links and forms are refused, the store is unchanged, the server keeps serving" {
	run_table /a/ "$LINK_CASES"
	# and a good link acts
	: > "$T/case.body"
	send POST "$(link_path /a/@skip:EX10-20261204)" form -
	[ "$CODE" = 200 ]
	grep -q 'Order skipped' "$T/resp.body"
	[ "$(order_status EX10-20261204)" = skipped ]
}

@test "the server itself: unknown paths and methods, and nothing secret in its log" {
	run_table server "$SERVER_CASES"
	# every request above got its one line; no token, key or body in it
	run grep -c -e "$LINK_KEY" -e "$POS_KEY" -e "$SLACK_SECRET" -e 'bad-input-sale' -e 'payload=' "$SERVE_LOG"
	[ "$output" = 0 ]
	! grep -Eq '/a/[A-Za-z0-9]' "$SERVE_LOG"
}
