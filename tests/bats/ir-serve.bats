#!/usr/bin/env bats
# ir-serve over real HTTP, on a loopback port picked free per test: the
# Function URL event it builds (seen through an echo handler), its own
# answers (404, 413, 501, 502, 504), the log line, the shutdown.

bats_require_minimum_version 1.5.0
load helpers
load serve

teardown() {
	serve_stop
	cd /
	rm -rf "$T"
}

# Test handlers: echo (answers with the event), hang, fail, junk, teapot,
# after (answers, then goes on working).
routes() {
	local h
	for h in echo hang fail junk teapot after; do
		printf -- '--route /%s=%s/%s-handler\n' "$h" "$FIX" "$h"
	done
}

start() {
	# shellcheck disable=SC2046
	serve_start $(routes) "$@"
}

# wait_log PATTERN: until a line of the log matches (at most 5 s).
wait_log() {
	local i
	for i in $(seq 1 100); do
		grep -Eq "$1" "$SERVE_LOG" && return 0
		sleep 0.05
	done
	echo "no log line matches: $1" >&2
	cat "$SERVE_LOG" >&2
	return 1
}

# The event the echo handler got back, as JSON on stdout.
event() {
	cat "$T/body"
}

@test "a route reaches its handler with the Function URL event ir-serve built" {
	start
	printf '{"sku":"PW-LID-12","qty":2}' > "$T/req.json"
	http POST '/echo/sub?a=1&b=two%20words' -H 'Content-Type: application/json' \
		-H 'X-Custom-Header: Value' -H 'X-Dup: a' -H 'X-Dup: b' \
		--data-binary @"$T/req.json"
	[ "$CODE" = 200 ]
	[ "$(event | jq -r .version)" = 2.0 ]
	[ "$(event | jq -r .routeKey)" = '$default' ]
	[ "$(event | jq -r .requestContext.http.method)" = POST ]
	[ "$(event | jq -r .rawPath)" = /echo/sub ]
	[ "$(event | jq -r .requestContext.http.path)" = /echo/sub ]
	[ "$(event | jq -r .rawQueryString)" = 'a=1&b=two%20words' ]
	[ "$(event | jq -r .requestContext.http.sourceIp)" = 127.0.0.1 ]
	# the clock is IR_NOW, as for every program
	[ "$(event | jq -r .requestContext.timeEpoch)" = 1796346000000 ]
	# header names lower-cased, repeats joined, values as sent
	[ "$(event | jq -r '.headers["x-custom-header"]')" = Value ]
	[ "$(event | jq -r '.headers["x-dup"]')" = 'a, b' ]
	[ "$(event | jq -r '.headers | keys[] | select(test("[A-Z]"))')" = "" ]
	[ "$(event | jq -r .isBase64Encoded)" = false ]
	event | jq -j .body | cmp - "$T/req.json"
}

@test "a text body arrives byte for byte" {
	start
	printf 'caf\303\251 \r\n\ttabs "quotes" \\ back\n\n' > "$T/req.txt"
	http PUT /echo -H 'Content-Type: text/plain; charset=utf-8' --data-binary @"$T/req.txt"
	[ "$CODE" = 200 ]
	[ "$(event | jq -r .requestContext.http.method)" = PUT ]
	[ "$(event | jq -r .isBase64Encoded)" = false ]
	event | jq -j .body | cmp - "$T/req.txt"
}

@test "a binary body arrives base64 with isBase64Encoded true" {
	start
	head -c 4096 /dev/urandom > "$T/req.bin"
	printf '\000\377\000' >> "$T/req.bin"
	http POST /echo -H 'Content-Type: application/octet-stream' --data-binary @"$T/req.bin"
	[ "$CODE" = 200 ]
	[ "$(event | jq -r .isBase64Encoded)" = true ]
	event | jq -r .body | base64 -d | cmp - "$T/req.bin"
	# a form body (Slack's) is base64 too, as a Function URL sends it
	http POST /echo -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'payload=%7B%7D&x=a+b'
	[ "$(event | jq -r .isBase64Encoded)" = true ]
	[ "$(event | jq -r .body | base64 -d)" = 'payload=%7B%7D&x=a+b' ]
}

@test "a GET has no body; the handler's status, headers and body come back" {
	start
	http GET '/echo?x=1'
	[ "$CODE" = 200 ]
	[ "$(event | jq -r .requestContext.http.method)" = GET ]
	[ "$(event | jq -r 'has("body")')" = false ]
	# a record with a status of its own, headers and a base64 body,
	# from a handler that exits 65: sent as it is
	run curl -s -i "$SERVE_URL/teapot"
	[[ "$output" == "HTTP/1.1 418 "* ]]
	[[ "$output" == *$'\r\nx-reason: short and stout\r\n'* ]]
	[[ "$output" == *$'\r\nContent-Type: text/plain\r\n'* ]]
	[[ "$output" == *$'\r\n\r\n'"i'm a teapot" ]]
	# a connection header of the handler's is not passed on
	run curl -s -i "$SERVE_URL/echo"
	[[ "$output" != *[Uu]pgrade* ]]
	# it answered before it exited: its status comes in a line of its own
	wait_log ' GET /teapot: handler exit 65 after answering 418$'
	grep -Eq ' GET /teapot 418 [0-9]+ms in=0 out=13$' "$SERVE_LOG"
}

@test "routes match by prefix on a segment boundary; unknown paths get 404 without a handler" {
	export HANG_PIDS="$T/hang.pids"
	# the last --route for a prefix wins; an empty wrapper removes it
	start --route /hang=
	http GET /echo
	[ "$CODE" = 200 ]
	http GET /echo/deeper/still
	[ "$CODE" = 200 ]
	http GET /echoes
	[ "$CODE" = 404 ]
	[ "$(cat "$T/body")" = "not found" ]
	http POST /nowhere -d x=1
	[ "$CODE" = 404 ]
	http GET /
	[ "$CODE" = 404 ]
	http GET /hang
	[ "$CODE" = 404 ]
	[ ! -e "$HANG_PIDS" ]
	grep -q ' GET /hang 404 ' "$SERVE_LOG"
}

@test "a body over --max-body gets 413 before a handler runs, and the server keeps serving" {
	start --max-body 1000
	head -c 1000 /dev/zero | tr '\0' a > "$T/ok.txt"
	head -c 1001 /dev/zero | tr '\0' a > "$T/big.txt"
	http POST /echo -H 'Content-Type: text/plain' --data-binary @"$T/ok.txt"
	[ "$CODE" = 200 ]
	http POST /echo -H 'Content-Type: text/plain' --data-binary @"$T/big.txt"
	[ "$CODE" = 413 ]
	[ "$(cat "$T/body")" = "request body too large" ]
	# without a Content-Length (chunked), counted as it arrives
	http POST /echo -H 'Content-Type: text/plain' -H 'Transfer-Encoding: chunked' \
		--data-binary @"$T/big.txt"
	[ "$CODE" = 413 ]
	# 10 MB against the default limit of 1 MiB
	head -c 10000000 /dev/zero > "$T/10mb"
	serve_stop
	start
	http POST /echo --data-binary @"$T/10mb"
	[ "$CODE" = 413 ]
	http POST /echo -H 'Content-Type: text/plain' --data-binary @"$T/ok.txt"
	[ "$CODE" = 200 ]
	[ "$(grep -c ' POST /echo 413 ' "$SERVE_LOG")" -eq 1 ]
	grep -q ' POST /echo 413 .* in=10000000 ' "$SERVE_LOG"
}

@test "a handler that hangs is killed with its process group: 504, and the server keeps serving" {
	export HANG_PIDS="$T/hang.pids"
	start --timeout 1000
	# another request is served while the handler hangs
	curl -s -o "$T/hang.body" -w '%{http_code}' "$SERVE_URL/hang" > "$T/hang.code" &
	cpid=$!
	for _ in $(seq 1 50); do
		[ -s "$HANG_PIDS" ] && break
		sleep 0.05
	done
	[ -s "$HANG_PIDS" ]
	http GET /echo
	[ "$CODE" = 200 ]
	wait "$cpid"
	[ "$(cat "$T/hang.code")" = 504 ]
	[ "$(cat "$T/hang.body")" = "the handler did not answer in time" ]
	# the handler and the sleep it started are gone
	read -r hpid spid < "$HANG_PIDS"
	! kill -0 "$hpid" 2> /dev/null
	! kill -0 "$spid" 2> /dev/null
	grep -Eq ' GET /hang 504 1[0-9]{3}ms in=0 out=[0-9]+ handler timed out$' "$SERVE_LOG"
	http GET /echo
	[ "$CODE" = 200 ]
}

@test "the answer goes out as soon as the handler writes it; the handler may go on working" {
	export AFTER_DONE="$T/done" AFTER_SECONDS=1
	start --timeout 5000
	t0=$(date +%s%N)
	http POST /after -d x=1
	t1=$(date +%s%N)
	[ "$CODE" = 200 ]
	[ "$(cat "$T/body")" = answered ]
	# well before the handler's second of work is over
	[ $(((t1 - t0) / 1000000)) -lt 800 ]
	[ ! -e "$AFTER_DONE" ]
	# it was not killed for answering: it finishes its work
	for _ in $(seq 1 60); do
		[ -e "$AFTER_DONE" ] && break
		sleep 0.05
	done
	[ -e "$AFTER_DONE" ]
	# one line for the request; none more for a handler that ended well
	sleep 0.2
	[ "$(grep -c ' /after' "$SERVE_LOG")" -eq 1 ]
}

@test "a handler still working after its answer is killed at the timeout, and logged" {
	export AFTER_DONE="$T/done" AFTER_SECONDS=30
	start --timeout 1000
	http POST /after -d x=1
	[ "$CODE" = 200 ]
	wait_log ' POST /after: handler timed out after answering 200$'
	[ ! -e "$AFTER_DONE" ]
	! pgrep -f "sleep 30" -P "$SERVE_PID" > /dev/null
	# and one that exits non-zero after answering is logged too
	serve_stop
	export AFTER_SECONDS=0 AFTER_EXIT=70
	start
	http POST /after -d x=1
	[ "$CODE" = 200 ]
	wait_log ' POST /after: handler exit 70 after answering 200$'
}

@test "SIGTERM waits for a handler still working after its answer" {
	export AFTER_DONE="$T/done" AFTER_SECONDS=1
	start
	http POST /after -d x=1
	[ "$CODE" = 200 ]
	[ ! -e "$AFTER_DONE" ]
	serve_stop
	[ "$SERVE_STATUS" -eq 0 ]
	[ -e "$AFTER_DONE" ]
	grep -q '^ir-serve: SIGTERM: stopping, 1 request in flight$' "$SERVE_LOG"
}

@test "a handler that fails or writes no response record gets 502" {
	start
	http POST /fail -d x=1
	[ "$CODE" = 502 ]
	[ "$(cat "$T/body")" = "the handler gave no answer" ]
	grep -q ' POST /fail 502 .* handler exit 3, no response record$' "$SERVE_LOG"
	http GET /junk
	[ "$CODE" = 502 ]
	grep -q ' GET /junk 502 .* handler wrote no response record$' "$SERVE_LOG"
	http GET /echo
	[ "$CODE" = 200 ]
}

@test "one log line per request, without the body, the query string or the link token" {
	start --route /a/="$FIX/echo-handler"
	http POST '/a/SECRET-LINK-TOKEN?token=QUERY-SECRET' \
		-H 'Content-Type: text/plain' --data-binary 'BODY-SECRET'
	[ "$CODE" = 200 ]
	# the handler did see all of it
	[ "$(event | jq -r .rawPath)" = /a/SECRET-LINK-TOKEN ]
	[ "$(event | jq -r .body)" = BODY-SECRET ]
	http GET '/echo?key=QUERY-SECRET'
	run grep -c 'SECRET' "$SERVE_LOG"
	[ "$output" = 0 ]
	grep -Eq '^ir-serve: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z 127\.0\.0\.1 POST /a/… 200 [0-9]+ms in=11 out=[0-9]+$' "$SERVE_LOG"
	grep -Eq ' GET /echo 200 [0-9]+ms in=0 out=[0-9]+$' "$SERVE_LOG"
	[ "$(grep -c ' /a/' "$SERVE_LOG")" -eq 1 ]
	# an unknown path shows its first segment only
	http GET /zz/more/TOKEN-SECRET
	grep -q ' GET /zz/… 404 ' "$SERVE_LOG"
	! grep -q TOKEN-SECRET "$SERVE_LOG"
}

@test "IR_LOG_FORMAT=json: the log lines are JSON" {
	IR_LOG_FORMAT=json start
	http GET /echo
	serve_stop
	[ "$SERVE_STATUS" -eq 0 ]
	run jq -r .message "$SERVE_LOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"GET /echo 200 "* ]]
}

@test "the handlers find the programs next to ir-serve first on PATH" {
	PATH=/usr/bin:/bin start
	http GET /echo
	[ "$CODE" = 200 ]
	run curl -s -D - -o /dev/null "$SERVE_URL/echo"
	[[ "$output" == *$'\r\nx-path: '"$REPO/bin:/usr/bin:/bin"$'\r\n'* ]]
}

@test "SIGTERM: stops accepting, finishes the request in flight, exits 0" {
	ECHO_STARTED="$T/started" ECHO_DELAY=1 start
	curl -s -o "$T/slow.body" -w '%{http_code}' "$SERVE_URL/echo" -d x=1 > "$T/slow.code" &
	cpid=$!
	for _ in $(seq 1 100); do
		[ -e "$T/started" ] && break
		sleep 0.05
	done
	[ -e "$T/started" ]
	pid=$SERVE_PID
	kill -TERM "$pid"
	sleep 0.2
	# no longer accepting
	run curl -s -m 2 -o /dev/null -w '%{http_code}' "$SERVE_URL/echo"
	[ "$output" = 000 ]
	wait "$cpid"
	[ "$(cat "$T/slow.code")" = 200 ]
	[ "$(jq -r .body "$T/slow.body" | base64 -d)" = "x=1" ]
	status=0
	wait "$pid" || status=$?
	SERVE_PID=""
	[ "$status" -eq 0 ]
	grep -q '^ir-serve: SIGTERM: stopping, 1 request in flight$' "$SERVE_LOG"
	grep -q ' POST /echo 200 1[0-9]*ms in=3 ' "$SERVE_LOG"
	[ "$(tail -n 1 "$SERVE_LOG")" = "ir-serve: stopped" ]
}

@test "SIGINT stops it too; an idle server stops at once" {
	start
	pid=$SERVE_PID
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	SERVE_PID=""
	[ "$status" -eq 0 ]
	grep -q '^ir-serve: SIGINT: stopping, 0 requests in flight$' "$SERVE_LOG"
}

@test "it binds 127.0.0.1 by default, and a port alone means loopback" {
	SERVE_LOG="$T/serve.log"
	# a port alone
	# shellcheck disable=SC2046
	serve_spawn $(routes) --listen 0
	serve_wait_port
	port=${SERVE_URL##*:}
	hex=$(printf '%04X' "$port")
	# listening (state 0A) on 127.0.0.1 only
	grep -q " 0100007F:$hex 00000000:0000 0A " /proc/net/tcp
	! grep -q " 00000000:$hex 00000000:0000 0A " /proc/net/tcp
	! grep -q ":$hex 00000000000000000000000000000000:0000 0A " /proc/net/tcp6
	serve_stop
	# no --listen at all: 127.0.0.1:8080, unless something here has it
	: > "$SERVE_LOG"
	unset IR_SERVE_LISTEN
	# shellcheck disable=SC2046
	serve_spawn $(routes)
	for _ in $(seq 1 100); do
		grep -q 'listening on\|cannot listen' "$SERVE_LOG" && break
		sleep 0.05
	done
	if grep -q 'cannot listen on 127.0.0.1:8080: Address already in use' "$SERVE_LOG"; then
		SERVE_PID=""
		skip "port 8080 is in use on this machine"
	fi
	grep -qx 'ir-serve: listening on 127.0.0.1:8080' "$SERVE_LOG"
	grep -q " 0100007F:1F90 00000000:0000 0A " /proc/net/tcp
}

@test "methods it does not know get 501; too many headers get 431" {
	start
	http BREW /echo
	[ "$CODE" = 501 ]
	args=()
	for i in $(seq 1 70); do
		args+=(-H "X-H$i: $i")
	done
	http GET /echo "${args[@]}"
	[ "$CODE" = 431 ]
	http GET /echo
	[ "$CODE" = 200 ]
}

@test "usage and setting errors" {
	run ir-serve --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: ir-serve [--config FILE] [--listen ADDR:PORT] [--max-body BYTES]" ]]
	run ir-serve --version
	[[ "$output" == "ir-serve "* ]]
	run ir-serve --bogus
	[ "$status" -eq 64 ]
	run ir-serve extra
	[ "$status" -eq 64 ]
	run -64 ir-serve --listen nowhere
	[[ "$output" == *'"nowhere" is not ADDR:PORT'* ]]
	run -64 ir-serve --listen :8080
	run -64 ir-serve --timeout 0
	run -64 ir-serve --max-body 2000000
	run -64 ir-serve --route nonsense
	run -64 ir-serve --route /x="$T/missing-handler"
	[[ "$output" == *"route /x: $T/missing-handler: No such file or directory"* ]]
	IR_SERVE_TIMEOUT_MS=soon run -78 ir-serve
	[[ "$output" == *IR_SERVE_TIMEOUT_MS* ]]
	IR_WRAPPERS_DIR="$T/none" run -78 ir-serve
	[[ "$output" == *"route /pos: $T/none/pos-handler"* ]]
	# taken, so it cannot listen: 69
	start
	port=${SERVE_URL##*:}
	run -69 ir-serve --listen "127.0.0.1:$port"
	[[ "$output" == *"cannot listen on 127.0.0.1:$port"* ]]
}

@test "routes from IR_SERVE_ROUTES and ir.conf, relative to IR_WRAPPERS_DIR" {
	mkdir "$T/w"
	cp "$FIX/echo-handler" "$T/w/pos-handler"
	cp "$FIX/echo-handler" "$T/w/approve-handler"
	cp "$FIX/echo-handler" "$T/w/other"
	export IR_WRAPPERS_DIR="$T/w"
	echo 'IR_SERVE_ROUTES=/other=other, /slack=' >> "$T/ir.conf"
	serve_start
	http POST /pos -d '{}'
	[ "$CODE" = 200 ]
	http GET /a/x
	[ "$CODE" = 200 ]
	http GET /other/thing
	[ "$CODE" = 200 ]
	http POST /slack -d x
	[ "$CODE" = 404 ]
}
