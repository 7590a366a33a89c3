#!/usr/bin/env bats
# The signed links of the owner's email in a real browser: headless
# Chromium (Debian chromium) against ir-serve over real HTTP, whose /a/
# route runs lambda/wrappers/approve-handler (ir-approve --http). Chromium
# opens the links the way a mail scanner or the owner would (nothing
# changes), then presses Confirm on a phone-sized screen (the order is
# on-order and the supplier has its email). The pages carry no JavaScript:
# the browser submits their forms itself; cdp.js only moves the "finger".
#
# Every page is saved as a 412x915 screenshot (and its HTML) in
# $IR_SCREENSHOTS, by default tests/bats/out/links-browser/ (ignored by git).

bats_require_minimum_version 1.5.0
load helpers
load serve

CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	--disable-background-networking --disable-component-update --disable-sync"

setup_file() {
	command -v chromium > /dev/null || skip "chromium is not installed (scripts/deps)"
	[ -x "$BATS_TEST_DIRNAME/../../bin/ir-serve" ] || skip "bin/ir-serve is not built"
}

setup() {
	T="$(mktemp -d)"
	export PATH="$REPO/bin:$PATH"
	: > "$T/ir.conf"
	export IR_CONF="$T/ir.conf" IR_STORE="sqlite:$T/ir.db"
	export IR_NOTIFY="outbox:$T/outbox" IR_MAIL="outbox:$T/outbox"
	export IR_TZ=Asia/Singapore IR_NOW=2026-12-04T09:00:00+08:00
	export IR_FROM=orders@shop.example.com IR_OWNER_EMAIL=owner@shop.example.com
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt" IR_LINK_KEY=browser-link-key-8813
	unset IR_QUIET_HOURS IR_QUIET_DAYS IR_FALLBACK_SUPPLIER IR_ORDER_CAP IR_FAULT \
		IR_LOG_FORMAT IR_WATCH_MARGIN IR_DAYS_OF_COVER IR_SKIP_COOLDOWN_DAYS \
		IR_DEFAULT_LEAD_TIME_DAYS IR_SLACK_SIGNING_SECRET
	SHOTS="${IR_SCREENSHOTS:-$REPO/tests/bats/out/links-browser}"
	mkdir -p "$SHOTS"
	cd "$T"
	serve_start
	# the email's links point at this server
	export IR_PUBLIC_URL="$SERVE_URL"
	examples_sync | ir-check | ir-draft > /dev/null
	CHROME_PID=""
}

teardown() {
	serve_stop
	if [ -n "$CHROME_PID" ]; then
		kill -- -"$CHROME_PID" 2> /dev/null || true
		wait "$CHROME_PID" 2> /dev/null || true
	fi
	cd /
	rm -rf "$T"
}

# The email's link for action $1 (approve, edit, skip) of order $2.
link() {
	python3 - "$T/outbox/draft-$2.eml" "$1" <<-'PY'
	import email, re, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	text = next(p for p in m.walk() if p.get_content_type() == 'text/plain')
	urls = re.findall(r'(http://127\.0\.0\.1:[0-9]+/a/\S+)', text.get_payload(decode=True).decode())
	print(urls[['approve', 'edit', 'skip'].index(sys.argv[2])])
	PY
}

dump() {
	sqlite3 "$T/ir.db" .dump
}

# No purchase order was sent.
no_po() {
	! compgen -G "$T/outbox/po-*" > /dev/null
}

# chrome_dom URL: what a one-shot headless Chromium sees at URL (a GET).
chrome_dom() {
	mkdir -p "$T/profile-dom"
	# shellcheck disable=SC2086
	chromium $CHROME_FLAGS --user-data-dir="$T/profile-dom" --dump-dom "$1" 2> /dev/null
}

# A headless Chromium for cdp.js, in a process group of its own (so that
# teardown stops it and its children by that group's id). Sets CDP_PORT.
chrome_start() {
	local i
	mkdir -p "$T/profile"
	# shellcheck disable=SC2086
	setsid chromium $CHROME_FLAGS --user-data-dir="$T/profile" \
		--remote-debugging-port=0 about:blank > "$T/chrome.log" 2>&1 3>&- &
	CHROME_PID=$!
	for i in $(seq 1 200); do
		[ -s "$T/profile/DevToolsActivePort" ] && break
		sleep 0.05
	done
	CDP_PORT=$(head -n 1 "$T/profile/DevToolsActivePort")
	[ -n "$CDP_PORT" ]
}

# cdp STEP...: see cdp.js; its page lines go to $T/pages.ndjson.
cdp() {
	node --experimental-websocket "$REPO/tests/bats/cdp.js" "$CDP_PORT" "$SHOTS" "$@" > "$T/pages.ndjson"
}

# The status and title of page $1 (by name) as "STATUS TITLE".
page() {
	jq -r --arg n "$1" 'select(.name == $n) | "\(.status) \(.title)"' "$T/pages.ndjson"
}

@test "browser: opening each link shows what it would do and changes nothing" {
	dump > before.sql
	for act in approve edit skip; do
		chrome_dom "$(link "$act" EX07-20261204)" > "$act.html"
	done
	grep -q '<h1>Send this order?</h1>' approve.html
	grep -q '<h1>Change the quantity</h1>' edit.html
	grep -q '<h1>Skip this order?</h1>' skip.html
	grep -q 'value="30"' edit.html
	# the phone-sized screenshots of the three confirmation pages
	chrome_start
	cdp "open:confirm-approve:$(link approve EX07-20261204)" \
		"open:confirm-edit:$(link edit EX07-20261204)" \
		"open:confirm-skip:$(link skip EX07-20261204)"
	[ "$(page confirm-approve)" = "200 Send this order?" ]
	[ "$(page confirm-edit)" = "200 Change the quantity" ]
	[ "$(page confirm-skip)" = "200 Skip this order?" ]
	for p in confirm-approve confirm-edit confirm-skip; do
		[ -s "$SHOTS/$p.png" ]
	done
	dump > after.sql
	cmp before.sql after.sql
	no_po
	# ir-serve logged the requests without the token
	tok=$(link approve EX07-20261204)
	[[ "$(cat "$SERVE_LOG")" != *"${tok##*/}"* ]]
}

@test "browser: Confirm sends the order: on-order, the supplier's email; the link is used up" {
	chrome_start
	cdp "open:approve-confirm:$(link approve EX01-20261204)" press:approve-done \
		"open:approve-used:$(link approve EX01-20261204)"
	[ "$(page approve-confirm)" = "200 Send this order?" ]
	[ "$(page approve-done)" = "200 Order sent" ]
	grep -q 'The purchase order was emailed to Acme Wholesale.' "$SHOTS/approve-done.html"
	grep -q '<td>2026-12-11</td>' "$SHOTS/approve-done.html"
	[ "$(sql "select status || ' ' || qty from orders where order_id = 'EX01-20261204'")" = "on-order 48" ]
	[ -f outbox/po-EX01-20261204.eml ]
	grep -q '^To: .*orders@acme.example.com' outbox/po-EX01-20261204.eml
	# opened again: already used, says who, nothing sent again
	[ "$(page approve-used)" = "409 Already done" ]
	grep -q 'already approved by owner@shop.example.com (email link)' "$SHOTS/approve-used.html"
	[ "$(compgen -G "outbox/po-*" | wc -l)" -eq 1 ]
}

@test "browser: Edit: over the cap is refused until the box is ticked, then sent with that quantity" {
	chrome_start
	cdp "open:edit-form:$(link edit EX07-20261204)" 'type:#qty:40' press:edit-over-cap \
		'tick:input[name=confirm]' press:edit-done
	[ "$(page edit-form)" = "200 Change the quantity" ]
	[ "$(page edit-over-cap)" = "422 Change the quantity" ]
	grep -q 'This is above the order cap of 35' "$SHOTS/edit-over-cap.html"
	[ "$(page edit-done)" = "200 Order sent" ]
	[ "$(sql "select status || ' ' || qty from orders where order_id = 'EX07-20261204'")" = "on-order 40" ]
	[ "$(sql "select note from audit where order_id = 'EX07-20261204' and action = 'edited'")" = "qty 30 -> 40" ]
	[ -f outbox/po-EX07-20261204.eml ]
}

@test "browser: Skip: skipped, nothing sent" {
	chrome_start
	cdp "open:skip-form:$(link skip EX10-20261204)" press:skip-done
	[ "$(page skip-done)" = "200 Order skipped" ]
	[ "$(sql "select status from orders where order_id = 'EX10-20261204'")" = skipped ]
	no_po
}

@test "browser: an expired or a tampered link: a 403 page in plain words, nothing changed" {
	a=$(link approve EX02-20261204)
	# eight days later
	serve_stop
	IR_NOW=2026-12-12T09:00:01+08:00 serve_start
	# the link pointed at the old server's port: same path, new server
	a="$SERVE_URL/a/${a##*/a/}"
	mac=${a##*.}
	flip=$(printf '%s' "$mac" | cut -c1)
	[ "$flip" = A ] && flip=B || flip=A
	dump > before.sql
	chrome_start
	cdp "open:expired:$a" "open:not-valid:${a%.*}.$flip${mac#?}"
	[ "$(page expired)" = "403 This link has expired" ]
	[ "$(page not-valid)" = "403 This link is not valid" ]
	dump > after.sql
	cmp before.sql after.sql
	no_po
}
