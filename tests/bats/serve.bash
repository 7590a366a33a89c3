# Shared by the suites that talk to ir-serve over real HTTP (ir-serve.bats,
# bad-input.bats): start it on a free loopback port, stop it.

# serve_start [OPTION ...]: starts ir-serve in the background on 127.0.0.1
# and a port the kernel picks as free (--listen 127.0.0.1:0, so two suites
# can never race for one port), reads the port from its "listening on" log
# line, then waits until it answers. Sets SERVE_PID, SERVE_URL and
# SERVE_LOG (its stderr). Extra options go after --listen, so a test may
# give its own.
serve_start() {
	SERVE_LOG="$T/serve.log"
	: > "$SERVE_LOG"
	serve_spawn --listen 127.0.0.1:0 "$@"
	serve_wait_port
}

# serve_spawn [OPTION ...]: ir-serve in the background, its stderr in
# SERVE_LOG. exec, so that $! is ir-serve itself and no copy of the test
# shell (with bats' error trap) is left to run when it exits; stdout and
# bats' fd 3 closed, or bats would wait for the server.
# SERVE_VALGRIND=1 runs it under valgrind's memcheck; serve_stop then
# fails on a memory error or a leak.
serve_spawn() {
	local vg=()
	if [ "${SERVE_VALGRIND:-0}" = 1 ]; then
		# shellcheck disable=SC2054
		vg=(valgrind -q --error-exitcode=99 --leak-check=full
			--show-leak-kinds=definite,indirect,possible
			--errors-for-leak-kinds=definite,indirect,possible)
	fi
	(exec "${vg[@]}" "$REPO/bin/ir-serve" "$@" 2>> "$SERVE_LOG" > /dev/null 3>&-) &
	SERVE_PID=$!
}

# The port from the log, then one request that gets any answer.
serve_wait_port() {
	local i port=""
	for i in $(seq 1 200); do
		# a text line or a JSON one (IR_LOG_FORMAT=json)
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$SERVE_LOG")
		[ -n "$port" ] && break
		if ! kill -0 "$SERVE_PID" 2> /dev/null; then
			cat "$SERVE_LOG" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "ir-serve did not say where it listens" >&2
		cat "$SERVE_LOG" >&2
		return 1
	fi
	SERVE_URL="http://127.0.0.1:$port"
	for i in $(seq 1 100); do
		if curl -s -o /dev/null "$SERVE_URL/-ping"; then
			return 0
		fi
		sleep 0.05
	done
	echo "ir-serve does not answer at $SERVE_URL" >&2
	cat "$SERVE_LOG" >&2
	return 1
}

# serve_idle: waits until no handler of ir-serve is running (one may go on
# working after its answer), at most 10 s.
serve_idle() {
	local i
	for i in $(seq 1 200); do
		pgrep -P "$SERVE_PID" > /dev/null || return 0
		sleep 0.05
	done
	return 1
}

# serve_stop: SIGTERM, then wait for it; sets SERVE_STATUS.
serve_stop() {
	SERVE_STATUS=""
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2> /dev/null || true
	SERVE_STATUS=0
	wait "$SERVE_PID" || SERVE_STATUS=$?
	SERVE_PID=""
	if [ "${SERVE_VALGRIND:-0}" = 1 ] && [ "$SERVE_STATUS" -eq 99 ]; then
		cat "$SERVE_LOG" >&2
		return 1
	fi
	return 0
}

# http METHOD PATH [curl options]: one request; sets CODE and writes the
# body to $T/body.
http() {
	local method="$1" path="$2"
	shift 2
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$method" "$@" \
		"$SERVE_URL$path")
}
