#!/usr/bin/env bats
# `make run` from a clean clone in a temporary folder, as a new user would.

bats_require_minimum_version 1.5.0
load helpers

@test "make run from a clean clone drafts the sample shop and says how to approve" {
	if ! git -C "$REPO" rev-parse HEAD > /dev/null 2>&1; then
		skip "not a git checkout"
	fi
	unset IR_CONF IR_STORE IR_NOTIFY IR_MAIL IR_NOW IR_TZ IR_FROM IR_OWNER_EMAIL
	git clone -q "$REPO" "$T/clone"
	run --separate-stderr make -C "$T/clone" run
	[ "$status" -eq 0 ]
	[[ "$output" == *"10 new draft(s) this run"* ]]
	[[ "$output" == *"CF-SYR-VAN-"*"20 x Syrup, vanilla 750 ml"*"capped, cap_breaks_pack, below_supplier_min"* ]]
	[ "$(ls "$T/clone/var/outbox" | grep -c '\.eml$')" -eq 10 ]
	[ "$(ls "$T/clone/var/outbox" | grep -c '\.json$')" -eq 10 ]
	cmd=$(printf '%s\n' "$output" | grep 'ir-approve --approve' | sed 's/^ *//')
	[ -n "$cmd" ]
	# the printed command works, from the clone's folder
	run --separate-stderr sh -c "cd '$T/clone' && $cmd"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .status)" = on-order ]
	[ "$(ls "$T/clone/var/outbox" | grep -c '^po-')" -eq 1 ]
	# a second run the same day drafts nothing new
	run --separate-stderr make -C "$T/clone" run
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 new draft(s) this run"* ]]
}
