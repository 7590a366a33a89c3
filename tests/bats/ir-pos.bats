#!/usr/bin/env bats
# ir-pos: point-of-sale webhooks (Function URL request events) and sale
# records, each event counted once, deltas accumulated per item. Every
# refused request must leave the store exactly as it was.

bats_require_minimum_version 1.5.0
load helpers

eval "helpers_$(declare -f setup)"
setup() {
	helpers_setup
	unset IR_POS_HMAC_KEY IR_PUBLIC_URL
	printf 'item_id,name,on_hand\nCUP-8,Cups 8oz,40\nLID-12,"Lids, 12oz",7\nSTRAW,Straws,3\n' > stock.csv
	export IR_STOCK="$T/stock.csv"
	export IR_POS_HMAC_KEY=k1
	NOW=$(date -d "$IR_NOW" +%s)
}

# req BODY [NAME=VALUE ...]: a Function URL request event for POST /pos
# (METHOD, RAWPATH and QUERY change those).
req() {
	local body=$1 h='{}' kv
	shift
	for kv in "$@"; do
		h=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<< "$h")
	done
	# a body too big for an argument comes as a file: BODYFILE
	if [ -n "${BODYFILE:-}" ]; then
		set -- --rawfile b "$BODYFILE"
	else
		set -- --arg b "$body"
	fi
	jq -cn "$@" --argjson h "$h" --arg m "${METHOD:-POST}" \
		--arg p "${RAWPATH:-/pos}" --arg q "${QUERY:-}" \
		'{version: "2.0", routeKey: "$default", rawPath: $p, rawQueryString: $q,
		  headers: $h, requestContext: {http: {method: $m, path: $p,
		  protocol: "HTTP/1.1", sourceIp: "203.0.113.9"}, timeEpoch: 0},
		  body: $b, isBase64Encoded: false}'
}

# gsig KEY T BODY: the X-IR-Signature value.
gsig() {
	printf 't=%s,v1=%s' "$2" "$(printf '%s.%s' "$2" "$3" |
		openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1)"
}

# b64sig KEY TEXT: base64 of HMAC-SHA256 (Square, Shopify).
b64sig() {
	printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -binary | base64
}

# signed BODY [KEY [T]]: a generic request signed now with k1.
signed() {
	req "$1" content-type=application/json \
		"x-ir-signature=$(gsig "${2:-k1}" "${3:-$NOW}" "$1")"
}

# status / body of response line N (from 1) of $output.
status_of() {
	printf '%s\n' "$output" | sed -n "${1}p" | jq -r .statusCode
}
body_of() {
	printf '%s\n' "$output" | sed -n "${1}p" | jq -r .body
}

# The store as the tests read it; a store never opened holds nothing.
pending() {
	[ -f ir.db ] || { echo 0; return; }
	sql "select coalesce((select pending_delta from state where item_id = '$1'), 0)"
}

events() {
	[ -f ir.db ] || { echo 0; return; }
	sql "select count(*) from pos_events"
}

@test "a signed sale: 200, counted, one response record and nothing else" {
	signed '{"event_id":"e1","sku":"CUP-8","qty":3,"kind":"sale"}' > r
	run --separate-stderr ir-pos --http r
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[ "$(status_of 1)" = 200 ]
	[ "$(body_of 1)" = '{"applied":1,"duplicates":0}' ]
	[ "$(printf '%s\n' "$output" | jq -r '.headers["content-type"]')" = application/json ]
	[ -z "$stderr" ]
	[ "$(pending CUP-8)" = -3 ]
	[ "$(sql "select event_id || ' ' || item_id || ' ' || delta || ' ' || at from pos_events")" = \
		"e1 CUP-8 -3 2026-12-04T09:00:00+08:00" ]
}

@test "an array of events, item_id for sku, received stock adds" {
	signed '[{"event_id":"a1","sku":"CUP-8","qty":2},{"event_id":"a2","item_id":"LID-12","qty":5,"kind":"received"},{"event_id":"a3","sku":"CUP-8","qty":1,"kind":"sale"}]' > r
	run --separate-stderr ir-pos --http r
	[ "$(status_of 1)" = 200 ]
	[ "$(body_of 1)" = '{"applied":3,"duplicates":0}' ]
	[ "$(pending CUP-8)" = -3 ]
	[ "$(pending LID-12)" = 5 ]
}

@test "the POS retries: each event id counts once, the answer says duplicate" {
	signed '{"event_id":"e1","sku":"CUP-8","qty":3}' > r
	signed '[{"event_id":"e1","sku":"CUP-8","qty":3},{"event_id":"e2","sku":"CUP-8","qty":1}]' > r2
	run --separate-stderr ir-pos --http r r r2
	[ "$(status_of 1)" = 200 ]
	[ "$(body_of 1)" = '{"applied":1,"duplicates":0}' ]
	[ "$(status_of 2)" = 200 ]
	[ "$(body_of 2)" = '{"applied":0,"duplicates":1,"duplicate":true}' ]
	[ "$(body_of 3)" = '{"applied":1,"duplicates":1}' ]
	[ "$(pending CUP-8)" = -4 ]
	[ "$(events)" -eq 2 ]
	# and again in another process: the store remembers
	run --separate-stderr ir-pos --http r
	[ "$(body_of 1)" = '{"applied":0,"duplicates":1,"duplicate":true}' ]
	[ "$(pending CUP-8)" = -4 ]
}

@test "signature window: 300 s either way is accepted, 301 s is not" {
	b='{"event_id":"w1","sku":"STRAW","qty":1}'
	signed "$b" k1 $((NOW - 300)) > old-ok
	signed '{"event_id":"w2","sku":"STRAW","qty":1}' k1 $((NOW + 300)) > new-ok
	signed '{"event_id":"w3","sku":"STRAW","qty":1}' k1 $((NOW - 301)) > old
	signed '{"event_id":"w4","sku":"STRAW","qty":1}' k1 $((NOW + 301)) > future
	run --separate-stderr ir-pos --http old-ok new-ok old future
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = "200 200 401 401 " ]
	[ "$(body_of 3)" = '{"error":"bad signature"}' ]
	[ "$(printf '%s\n' "$stderr" | grep -c 'stale timestamp')" -eq 2 ]
	[ "$(pending STRAW)" = -2 ]
}

@test "key rotation: either of two keys is accepted, a third is not" {
	export IR_POS_HMAC_KEY=old-key,new-key
	signed '{"event_id":"r1","sku":"CUP-8","qty":1}' old-key > a
	signed '{"event_id":"r2","sku":"CUP-8","qty":1}' new-key > b
	signed '{"event_id":"r3","sku":"CUP-8","qty":1}' other-key > c
	run --separate-stderr ir-pos --http a b c
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = "200 200 401 " ]
	[ "$(pending CUP-8)" = -2 ]
}

# Each refused request: its status, a short reason, the store unchanged,
# one log line that never shows the body.
@test "bad requests: status and reason each, nothing written, the body never logged" {
	good='{"event_id":"secret-marker-1","sku":"CUP-8","qty":2}'
	{
		req "$good" content-type=application/json
		req "$good" content-type=application/json "x-ir-signature=$(gsig wrong "$NOW" "$good")"
		req '{"event_id":"secret-marker-2","sku":"CUP-8","qty":9}' content-type=application/json \
			"x-ir-signature=$(gsig k1 "$NOW" "$good")"
		req "$good" content-type=application/json "x-ir-signature=t=$NOW"
		req "$good" content-type=application/json "x-ir-signature=garbage"
		METHOD=GET req "$good" content-type=application/json "x-ir-signature=$(gsig k1 "$NOW" "$good")"
		req "$good" content-type=text/plain "x-ir-signature=$(gsig k1 "$NOW" "$good")"
		signed '{"event_id":"secret-marker-3",'
		signed '{"event_id":"x","sku":"CUP-8","qty":0}'
		signed '{"event_id":"x","sku":"CUP-8","qty":1.5}'
		signed '{"event_id":"x","sku":"CUP-8","qty":-2}'
		signed '{"event_id":"x","sku":"CUP-8","qty":2,"kind":"stolen"}'
		signed '{"sku":"CUP-8","qty":2}'
		signed '[{"event_id":"x1","sku":"CUP-8","qty":2},{"event_id":"x2","sku":"NOPE-1","qty":1}]'
		signed '"just a string"'
		echo 'not even an event'
	} > bad
	run --separate-stderr ir-pos --http bad
	[ "$status" -eq 65 ]	# the last line is not a request
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = \
		"401 401 401 401 401 405 400 400 400 400 400 400 400 422 400 " ]
	for i in 1 2 3 4 5; do [ "$(body_of $i)" = '{"error":"bad signature"}' ]; done
	printf '%s\n' "$output" | sed -n 6p | jq -e '.headers.allow == "POST"'
	[ "$(body_of 7)" = '{"error":"the content type must be application/json"}' ]
	[[ "$(body_of 8)" == '{"error":"invalid JSON at line 1, column '* ]]
	[ "$(body_of 9)" = '{"error":"event 1: qty must be a whole number of at least 1"}' ]
	[ "$(body_of 12)" = '{"error":"event 1: kind must be sale or received"}' ]
	[ "$(body_of 13)" = '{"error":"an event has no usable event_id"}' ]
	[ "$(body_of 14)" = '{"error":"unknown sku NOPE-1"}' ]
	# one log line per refusal, each naming the request, none the body
	[ "$(printf '%s\n' "$stderr" | grep -c 'POST /pos from 203.0.113.9: 401')" -eq 5 ]
	[ "$(printf '%s\n' "$stderr" | grep -c 'missing signature')" -eq 2 ]
	[ "$(printf '%s\n' "$stderr" | grep -c ': 4[0-9][0-9] ')" -eq 15 ]
	[[ "$stderr" != *secret-marker* ]]
	[[ "$stderr" != *k1* ]]
	# nothing of any of them was written, not even x1 beside the unknown SKU
	[ "$(events)" -eq 0 ]
	[ ! -e ir.db ]		# not even opened
}

@test "no key configured: every request is refused" {
	unset IR_POS_HMAC_KEY
	signed '{"event_id":"n1","sku":"CUP-8","qty":2}' > r
	run --separate-stderr ir-pos --http r
	[ "$(status_of 1)" = 401 ]
	[[ "$stderr" == *"no POS key configured"* ]]
	[ "$(events)" -eq 0 ]
}

@test "a 10 MB body: 413, nothing written, and the next request is still answered" {
	{
		printf '{"version":"2.0","rawPath":"/pos","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"isBase64Encoded":false,"body":"'
		head -c 10485760 /dev/zero | tr '\0' a
		printf '"}\n'
		# over HTTPEV_MAX_BODY, under the event line limit
		head -c 1100000 /dev/zero | tr '\0' b > bigbody
		BODYFILE=bigbody req "" content-type=application/json \
			"x-ir-signature=$(gsig k1 "$NOW" "$(cat bigbody)")"
		signed '{"event_id":"after","sku":"CUP-8","qty":1}'
	} > big
	run --separate-stderr ir-pos --http big
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = "413 413 200 " ]
	[ "$(body_of 1)" = '{"error":"request too large"}' ]
	[ "$(pending CUP-8)" = -1 ]
	[ "$(events)" -eq 1 ]
}

@test "eight POS processes at once, distinct events for one item: the exact sum" {
	for p in 1 2 3 4 5 6 7 8; do
		for k in 1 2 3 4 5; do
			signed "{\"event_id\":\"c$p-$k\",\"sku\":\"LID-12\",\"qty\":$p}"
		done > "reqs.$p"
	done
	for p in 1 2 3 4 5 6 7 8; do
		ir-pos --http "reqs.$p" > "out.$p" 2> "err.$p" &
	done
	wait
	cat out.* > all
	[ "$(jq -r .statusCode all | sort | uniq -c | tr -s ' ')" = " 40 200" ]
	# 5 events of 1..8 units each: 5 * 36
	[ "$(pending LID-12)" = -180 ]
	[ "$(events)" -eq 40 ]
}

@test "received stock closes the item's on-order order as received, by pos, once" {
	export IR_SUPPLIERS="$FIX/examples-suppliers.txt"
	export IR_STOCK="$FIX/examples.csv"
	examples_sync | ir-check | ir-draft > /dev/null
	ir-approve --approve EX01-20261204 --by mei > /dev/null
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = on-order ]
	signed '{"event_id":"rcv-1","sku":"EX01","qty":48,"kind":"received"}' > r
	signed '{"event_id":"sale-1","sku":"EX02","qty":1}' > s
	run --separate-stderr ir-pos --http r s r
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = "200 200 200 " ]
	[ "$(body_of 3)" = '{"applied":0,"duplicates":1,"duplicate":true}' ]
	[ "$(sql "select status from orders where order_id = 'EX01-20261204'")" = received ]
	[ "$(sql "select action || ' ' || by_user || ' ' || before || '>' || after from audit
		where order_id = 'EX01-20261204' order by id desc limit 1")" = "received pos on-order>received" ]
	[ "$(sql "select count(*) from audit where action = 'received'")" -eq 1 ]
	[ "$(pending EX01)" = 48 ]
	# a sale does not close an order; EX02's stays pending
	[ "$(sql "select status from orders where order_id = 'EX02-20261204'")" = pending ]
}

@test "Square: the published vectors verify, a wrong URL does not" {
	export IR_POS_HMAC_KEY='Ibxx_5AKakO-3qeNVR61Dw'
	export IR_PUBLIC_URL=https://webhook.site/
	b1='{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}'
	RAWPATH=/679a4f3a-dcfa-49ee-bac5-9d0edad886b9 req "$b1" content-type=application/json \
		x-square-hmacsha256-signature=GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4= > v1
	RAWPATH=/other req "$b1" content-type=application/json \
		x-square-hmacsha256-signature=GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4= > wrong
	run --separate-stderr ir-pos --http v1 wrong
	[ "$(status_of 1)" = 200 ]
	[ "$(body_of 1)" = '{"applied":0,"duplicates":0,"ignored":"webhooks.test_notification"}' ]
	[ "$(status_of 2)" = 401 ]
	export IR_POS_HMAC_KEY=signature-key IR_PUBLIC_URL=https://webhook.site
	RAWPATH=/webhooks req '{"data":{"type":"webhooks","id":"fake_id"}}' content-type=application/json \
		x-square-hmacsha256-signature=W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA= > v2
	run --separate-stderr ir-pos --http v2
	# the signature holds; the body is no Square event
	[ "$(status_of 1)" = 400 ]
	[ "$(body_of 1)" = '{"error":"not a Square event"}' ]
	# Square needs IR_PUBLIC_URL
	unset IR_PUBLIC_URL
	run --separate-stderr ir-pos --http v2
	[ "$(status_of 1)" = 401 ]
	[[ "$stderr" == *"IR_PUBLIC_URL is not set"* ]]
	[ "$(events)" -eq 0 ]
}

@test "Square: a payment names an order without line items (202, nothing counted); line items with a sku count once per order" {
	export IR_PUBLIC_URL=https://shop.example.com
	pay='{"merchant_id":"M1","type":"payment.updated","event_id":"ev-p1","data":{"type":"payment","id":"P1","object":{"payment":{"id":"P1","status":"COMPLETED","order_id":"ORD-1","amount_money":{"amount":450,"currency":"SGD"}}}}}'
	req "$pay" content-type=application/json \
		"x-square-hmacsha256-signature=$(b64sig k1 "https://shop.example.com/pos$pay")" > p
	ord='{"merchant_id":"M1","type":"order.updated","event_id":"ev-o1","data":{"type":"order","id":"ORD-2","object":{"order":{"id":"ORD-2","line_items":[{"uid":"L1","quantity":"2","sku":"CUP-8"},{"uid":"L2","quantity":"1","sku":"STRAW"}]}}}}'
	ord2=${ord/ev-o1/ev-o2}
	req "$ord" content-type=application/json \
		"x-square-hmacsha256-signature=$(b64sig k1 "https://shop.example.com/pos$ord")" > o
	req "$ord2" content-type=application/json \
		"x-square-hmacsha256-signature=$(b64sig k1 "https://shop.example.com/pos$ord2")" > o2
	run --separate-stderr ir-pos --http p o o2
	[ "$(status_of 1)" = 202 ]
	[[ "$(body_of 1)" == *'"note":"Square payment.updated for order ORD-1 has no line items: they must be fetched from the Square Orders API'* ]]
	[ "$(body_of 2)" = '{"applied":2,"duplicates":0}' ]
	# another event of the same order: the same line items, counted once
	[ "$(body_of 3)" = '{"applied":0,"duplicates":2,"duplicate":true}' ]
	[ "$(pending CUP-8)" = -2 ]
	[ "$(pending STRAW)" = -1 ]
	[ "$(sql "select group_concat(event_id, ' ') from (select event_id from pos_events order by event_id)")" = \
		"square:ORD-2:L1 square:ORD-2:L2" ]
}

@test "Shopify: its vector verifies; orders/create counts each line item once by webhook id" {
	export IR_POS_HMAC_KEY=shop-secret
	req '{"id":1}' content-type=application/json x-shopify-topic=orders/create \
		x-shopify-webhook-id=w-0 x-shopify-hmac-sha256=plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0= > vec
	req '{"id":1}' content-type=application/json x-shopify-topic=orders/create \
		x-shopify-webhook-id=w-0 x-shopify-hmac-sha256=AAAAVGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0= > bad
	order='{"id":820982911946154508,"name":"#9999","line_items":[{"id":866550311766439020,"variant_id":1,"sku":"CUP-8","title":"Cups","quantity":3,"price":"1.00"},{"id":141249953214522974,"sku":"","title":"Tip","quantity":1},{"id":5,"sku":"STRAW","quantity":2}]}'
	sig=$(b64sig shop-secret "$order")
	req "$order" content-type=application/json x-shopify-topic=orders/create \
		x-shopify-webhook-id=b54557e4-bdd9-4b37-8a5f-bf7d70bcd043 "x-shopify-hmac-sha256=$sig" > o
	req "$order" content-type=application/json x-shopify-topic=orders/updated \
		x-shopify-webhook-id=other "x-shopify-hmac-sha256=$sig" > upd
	unknown='{"id":2,"line_items":[{"id":1,"sku":"CUP-8","quantity":1},{"id":2,"sku":"GHOST","quantity":1}]}'
	req "$unknown" content-type=application/json x-shopify-topic=orders/create \
		x-shopify-webhook-id=w-2 "x-shopify-hmac-sha256=$(b64sig shop-secret "$unknown")" > u
	run --separate-stderr ir-pos --http vec bad o o upd u
	[ "$(printf '%s\n' "$output" | jq -r .statusCode | tr '\n' ' ')" = "400 401 200 200 200 422 " ]
	[ "$(body_of 1)" = '{"error":"an order without line_items"}' ]
	[ "$(body_of 3)" = '{"applied":2,"duplicates":0}' ]
	[ "$(body_of 4)" = '{"applied":0,"duplicates":2,"duplicate":true}' ]
	[ "$(body_of 5)" = '{"applied":0,"duplicates":0,"ignored":"orders/updated"}' ]
	[ "$(body_of 6)" = '{"error":"unknown sku GHOST"}' ]
	[ "$(pending CUP-8)" = -3 ]
	[ "$(pending STRAW)" = -2 ]
	[ "$(sql "select event_id from pos_events where item_id = 'CUP-8'")" = \
		"shopify:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043:866550311766439020" ]
}

@test "the stock sheet cannot be read: 503, nothing written" {
	export IR_STOCK="$T/missing.csv"
	signed '{"event_id":"m1","sku":"CUP-8","qty":1}' > r
	run --separate-stderr ir-pos --http r
	[ "$status" -eq 66 ]
	[ "$(status_of 1)" = 503 ]
	[ "$(events)" -eq 0 ]
}

@test "sale records: counted and written back once, bad ones reported, others pass through" {
	cat > in <<-'EOF'
	{"type":"sale","event_id":"s1","item_id":"CUP-8","delta":-2,"at":"2026-12-04T08:30:00+08:00"}
	{"type":"item","item_id":"CUP-8"}
	{"type":"sale","event_id":"s1","item_id":"CUP-8","delta":-2}
	{"type":"sale","event_id":"s2","item_id":"NOPE","delta":-1}
	{"type":"sale","event_id":"s3","item_id":"CUP-8","delta":0}
	{"type":"sale","event_id":"s4","item_id":"LID-12","delta":"lots"}
	not json
	{"type":"sale","event_id":"s5","item_id":"LID-12","delta":12}
	EOF
	run --separate-stderr ir-pos in
	[ "$status" -eq 65 ]
	[ "$output" = '{"type":"sale","event_id":"s1","item_id":"CUP-8","delta":-2,"at":"2026-12-04T08:30:00+08:00"}
{"type":"item","item_id":"CUP-8"}
{"type":"sale","event_id":"s5","item_id":"LID-12","delta":12,"at":"2026-12-04T09:00:00+08:00"}' ]
	[[ "$stderr" == *"in:3: event s1 was counted before: skipped"* ]]
	[[ "$stderr" == *"in:4: sale s2: unknown sku NOPE"* ]]
	[[ "$stderr" == *"in:5: sale s3: delta must be a whole number other than 0"* ]]
	[[ "$stderr" == *"in:6: sale s4: delta"* ]]
	[[ "$stderr" == *"in:7: "* ]]
	[ "$(pending CUP-8)" = -2 ]
	[ "$(pending LID-12)" = 12 ]
	# with --http the output is responses only: sale records are applied silently
	printf '%s\n' '{"type":"sale","event_id":"s6","item_id":"CUP-8","delta":-1}' |
		ir-pos --http > out
	[ ! -s out ]
	[ "$(pending CUP-8)" = -3 ]
}

@test "a request event without --http is refused; --dry-run writes nothing" {
	signed '{"event_id":"d1","sku":"CUP-8","qty":1}' > r
	run --separate-stderr ir-pos r
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ "$stderr" == *"run ir-pos --http"* ]]
	run --separate-stderr ir-pos --http --dry-run r
	[ "$status" -eq 0 ]
	[ "$(body_of 1)" = '{"applied":1,"duplicates":0,"dry_run":true}' ]
	printf '%s\n' '{"type":"sale","event_id":"d2","item_id":"CUP-8","delta":-1}' > s
	run --separate-stderr ir-pos --dry-run s
	[ "$(printf '%s\n' "$output" | jq -r .dry_run)" = true ]
	[ ! -e ir.db ] || [ "$(events)" -eq 0 ]
}

@test "conventions: empty input, usage error, unreadable file, a full disk" {
	run --separate-stderr ir-pos < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run --separate-stderr ir-pos --bogus
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"usage: ir-pos "* ]]
	run --separate-stderr ir-pos --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: ir-pos [--dry-run] [--http]"* ]]
	run --separate-stderr ir-pos "$T/no-such-file"
	[ "$status" -eq 66 ]
	printf '%s\n' '{"type":"sale","event_id":"f1","item_id":"CUP-8","delta":-1}' > s
	run --separate-stderr bash -c 'ir-pos s > /dev/full'
	[ "$status" -eq 74 ]
}
