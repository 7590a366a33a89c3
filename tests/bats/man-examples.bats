#!/usr/bin/env bats
# Every EXAMPLES command of every man page runs, in order, on the sample
# shop, and succeeds: the manual cannot drift from the programs.

bats_require_minimum_version 1.5.0
load helpers

# The example commands of a page as a bash script: "$ " starts a command,
# indented lines continue it, \e is the roff escape for a backslash.
examples() {
	awk '
		/^\.Sh EXAMPLES/ { ex = 1; next }
		/^\.Sh / && ex { ex = 0 }
		!ex { next }
		/^\.Bd/ { blk++; inb = 1; print "# block " blk; next }
		/^\.Ed/ { inb = 0; next }
		inb && /^\$ / { print substr($0, 3); next }
		inb && /^[ \t]/ { print; next }
	' "$1" | sed 's/\\e/\\/g'
}

run_page() {
	page="$REPO/man/$1"
	shift
	cp -r "$REPO/samples" "$T/samples"
	unset IR_CONF IR_STORE IR_NOTIFY IR_MAIL IR_NOW IR_TZ IR_FROM IR_OWNER_EMAIL
	{
		echo 'set -eu -o pipefail'
		examples "$page"
	} > "$T/examples.sh"
	# a page may need a step before one of its blocks (a crash to recover)
	while [ $# -gt 1 ]; do
		awk -v n="$1" -v step="$2" '{ print } $0 == "# block " n { print step }' \
			"$T/examples.sh" > "$T/examples.tmp"
		mv "$T/examples.tmp" "$T/examples.sh"
		shift 2
	done
	[ "$(grep -c '^# block' "$T/examples.sh")" -ge 1 ]
	run --separate-stderr bash "$T/examples.sh"
	if [ "$status" -ne 0 ]; then
		cat "$T/examples.sh"
		echo "$stderr"
	fi
	[ "$status" -eq 0 ]
}

@test "ir-sync(1) examples" {
	run_page ir-sync.1
}

@test "ir-check(1) examples" {
	run_page ir-check.1
}

@test "ir-draft(1) examples" {
	run_page ir-draft.1
}

@test "ir-approve(1) examples, with a crash before the recovery example" {
	run_page ir-approve.1 4 'IR_FAULT=approve-claimed ir-approve --approve PW-SANITISER-20261204 || true'
	[ "$(sqlite3 "$T/var/ir.db" "select status from orders where order_id = 'PW-SANITISER-20261204'")" = on-order ]
}

@test "ir-orders(1) examples, after the daily run" {
	run_page ir-orders.1 1 'IR_CONF=samples/ir.conf ir-sync | IR_CONF=samples/ir.conf ir-check | IR_CONF=samples/ir.conf ir-draft > /dev/null'
}

@test "ir-serve(1) examples: servers that stop themselves" {
	run_page ir-serve.1
}

@test "ir-pos(1) examples" {
	run_page ir-pos.1
	# the examples counted on the store, never on the repo's sheet
	cmp "$REPO/samples/stock.csv" "$T/samples/stock.csv"
}

@test "ir-flush(1) examples, with a crash before the run that finishes it" {
	run_page ir-flush.1 3 'IR_FAULT=flush-renamed ir-flush --stock "$sheet" > /dev/null 2>&1 || true'
	cmp "$REPO/samples/stock.csv" "$T/samples/stock.csv"
	[ "$(sqlite3 "$T/var/ir.db" "select count(*) from audit where action = 'flushed'")" -eq 2 ]
	[ "$(sqlite3 "$T/var/ir.db" "select count(*) from state where pending_delta <> 0")" -eq 0 ]
}

@test "ir(7) examples" {
	run_page ir.7
}
