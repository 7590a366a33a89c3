#!/usr/bin/env bats
# ir-flush: the pending POS deltas written to the stock sheet, crash-safe:
# killed between every pair of steps and run again, the sheet ends with
# the exact totals, no sale lost, none counted twice. The Google Sheet
# case runs against the fake Google server of scripts/services.

bats_require_minimum_version 1.5.0
load helpers
load svc

setup_file() {
	svc_up
}

teardown_file() {
	svc_down
}

eval "helpers_$(declare -f setup)"
setup() {
	helpers_setup
	unset IR_GOOGLE_STATE IR_HTTP_RETRIES IR_HTTP_TIMEOUT_MS
	SHEET='Item ID,Name,On Hand,Rate
CUP-8,"Cups, 8oz",40,2
LID-12,Lids,7,0.5

STRAW,"Straws
(paper)",3,1
SPOON,Spoons,-2,0
'
	printf '%s' "$SHEET" > stock.csv
	chmod 640 stock.csv
	export IR_STOCK="$T/stock.csv"
	# what the sheet must say after the sales below
	sed -e 's/^CUP-8,\(.*\),40,/CUP-8,\1,35,/' -e 's/^LID-12,Lids,7,/LID-12,Lids,19,/' \
		-e 's/^(paper)",3,/(paper)",2,/' -e 's/^SPOON,Spoons,-2,/SPOON,Spoons,-3,/' \
		stock.csv > expected.csv
}

# sales [PREFIX]: CUP-8 -5 (two sales), LID-12 +12 received, STRAW -1,
# SPOON -1; the event ids start with PREFIX.
sales() {
	sed "s/\"event_id\":\"/&${1:-}/" <<-'EOF' | ir-pos > /dev/null
	{"type":"sale","event_id":"s1","item_id":"CUP-8","delta":-3}
	{"type":"sale","event_id":"s2","item_id":"CUP-8","delta":-2}
	{"type":"sale","event_id":"s3","item_id":"LID-12","delta":12}
	{"type":"sale","event_id":"s4","item_id":"STRAW","delta":-1}
	{"type":"sale","event_id":"s5","item_id":"SPOON","delta":-1}
	EOF
}

still_pending() {
	sql "select count(*) from state where pending_delta <> 0"
}

flushed_rows() {
	sql "select count(*) from audit where action = 'flushed'"
}

# Temporary files left beside the sheet.
temps() {
	find "$T" -maxdepth 1 -name '.stock.csv.*' | wc -l
}

@test "a flush writes sheet + pending, every other byte kept, and settles exactly" {
	sales
	run --separate-stderr ir-flush --dry-run
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.flush_id, .items, .units, .dry_run]')" = '[null,4,5,true]' ]
	printf '%s' "$SHEET" | cmp - stock.csv
	[ "$(still_pending)" -eq 4 ]

	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	cmp expected.csv stock.csv
	[ "$(stat -c %a stock.csv)" = 640 ]
	[ "$(printf '%s\n' "$output" | jq -r '[.type, .items, .units, .sheet] | @tsv')" = \
		"$(printf 'flush\t4\t5\t%s' "$T/stock.csv")" ]
	[ "$(printf '%s\n' "$output" | jq -c '[.changes[] | [.item_id, .before, .after]]')" = \
		'[["CUP-8",40,35],["LID-12",7,19],["SPOON",-2,-3],["STRAW",3,2]]' ]
	fid=$(printf '%s\n' "$output" | jq -r .flush_id)
	[ "$(still_pending)" -eq 0 ]
	[ "$(flushed_rows)" -eq 4 ]
	[ "$(sql "select note from audit where item_id = 'CUP-8' and action = 'flushed'")" = \
		"-5 written to the stock sheet by flush $fid; 0 still pending" ]
	[ "$(temps)" -eq 0 ]
	[ "$(sql "select count(*) from flush_intent")" -eq 0 ]
	# nothing pending: nothing written, nothing claimed
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.flush_id, .items]')" = '[null,0]' ]
	cmp expected.csv stock.csv
	[ "$(flushed_rows)" -eq 4 ]
	# what ir-sync then reads
	[ "$(ir-sync stock.csv | jq -r 'select(.item_id == "CUP-8") | .on_hand')" = 35 ]
}

@test "killed between every pair of steps, then run again: the exact totals, once" {
	for step in flush-claimed flush-temp flush-intent flush-renamed \
		flush-settling flush-settled flush-released; do
		rm -f "$T/ir.db" "$T"/ir.db-*
		printf '%s' "$SHEET" > stock.csv
		sales
		IR_FAULT=$step run --separate-stderr ir-flush
		echo "step $step: killed with $status"
		[ "$status" -eq 137 ]
		run --separate-stderr ir-flush
		echo "step $step: rerun $status: $stderr"
		[ "$status" -eq 0 ]
		cmp expected.csv stock.csv
		[ "$(still_pending)" -eq 0 ]
		[ "$(flushed_rows)" -eq 4 ]
		[ "$(temps)" -eq 0 ]
		[ "$(sql "select count(*) from flush_intent")" -eq 0 ]
		# and a third run finds nothing to do
		[ "$(ir-flush | jq -r .items)" -eq 0 ]
		cmp expected.csv stock.csv
	done
}

@test "DynamoDB store: killed between every pair of steps, the same exact totals" {
	P="fl$$-$BATS_TEST_NUMBER-"
	"$REPO/scripts/create-tables" --prefix "$P" 2> /dev/null
	export IR_STORE="dynamodb:?prefix=$P"
	n=0
	for step in flush-claimed flush-temp flush-intent flush-renamed \
		flush-settling flush-settled flush-released; do
		printf '%s' "$SHEET" > stock.csv
		sales "$step-"
		IR_FAULT=$step run --separate-stderr ir-flush
		[ "$status" -eq 137 ]
		run --separate-stderr ir-flush
		echo "step $step: rerun $status: $stderr"
		[ "$status" -eq 0 ]
		cmp expected.csv stock.csv
		n=$((n + 4))
		[ "$(ir-orders --json audit | jq -s '[.[] | select(.action == "flushed")] | length')" -eq "$n" ]
		[ "$(ir-flush | jq -r .items)" -eq 0 ]
		[ "$(temps)" -eq 0 ]
	done
	# the events are still known: a replay counts nothing
	sales flush-claimed-
	[ "$(ir-flush | jq -r .items)" -eq 0 ]
}

@test "killed twice: during the flush, then while finishing it" {
	sales
	IR_FAULT=flush-renamed run ir-flush
	[ "$status" -eq 137 ]
	cmp expected.csv stock.csv
	IR_FAULT=flush-resume-settling run ir-flush
	[ "$status" -eq 137 ]
	[ "$(flushed_rows)" -eq 1 ]
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"finished the interrupted flush"*"4 of its 4 items were on the sheet"* ]]
	cmp expected.csv stock.csv
	[ "$(still_pending)" -eq 0 ]
	[ "$(flushed_rows)" -eq 4 ]
}

@test "a sale counted during a flush stays pending for the next one" {
	sales
	IR_FAULT=flush-renamed run ir-flush
	[ "$status" -eq 137 ]
	# the sheet has the flush's values; a sale arrives before the settle
	printf '%s\n' '{"type":"sale","event_id":"late","item_id":"CUP-8","delta":-1}' | ir-pos > /dev/null
	# the rerun finishes the flush (settle exactly -5) and stops in the next
	IR_FAULT=flush-claimed run ir-flush
	[ "$status" -eq 137 ]
	cmp expected.csv stock.csv
	[ "$(sql "select pending_delta from state where item_id = 'CUP-8'")" = -1 ]
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.items, .units]')" = '[1,-1]' ]
	sed 's/^CUP-8,\(.*\),35,/CUP-8,\1,34,/' expected.csv | cmp - stock.csv
	[ "$(still_pending)" -eq 0 ]
}

@test "sales and flushes at the same time: the sheet ends at the exact total" {
	(
		for i in $(seq 1 60); do
			printf '{"type":"sale","event_id":"c%d","item_id":"CUP-8","delta":-1}\n' "$i" |
				ir-pos > /dev/null || echo "sale $i failed" >&2
		done
	) 2> sales.err &
	for i in $(seq 1 12); do
		ir-flush > "flush.$i" 2>> flush.err || echo "flush $i: $?" >> flush.err
		sleep 0.05
	done
	wait
	ir-flush > last
	[ ! -s sales.err ]
	[ ! -s flush.err ]
	[ "$(ir-sync stock.csv | jq -r 'select(.item_id == "CUP-8") | .on_hand')" = -20 ]
	[ "$(still_pending)" -eq 0 ]
	[ "$(sql "select -sum(cast(substr(note, 1, instr(note, ' ') - 1) as integer))
		from audit where action = 'flushed'")" -eq 60 ]
}

@test "another flush at work: 75 and nothing touched; its intent is taken over once it is gone" {
	sales
	sleep 60 &
	live=$!
	now=$(date +%s)
	sql "insert into flush_intent values (1, 'flush-other', '$(hostname) $live $now',
		'{\"state\":\"claimed\",\"tmp\":\"\",\"items\":[]}')"
	run --separate-stderr ir-flush
	kill "$live"
	wait "$live" || true
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"flush flush-other is in progress"* ]]
	printf '%s' "$SHEET" | cmp - stock.csv
	[ "$(still_pending)" -eq 4 ]
	# the process is gone now: the claim is dropped, the flush goes on
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"the interrupted flush flush-other wrote nothing"* ]]
	cmp expected.csv stock.csv
	# a live-looking owner past the lease (20 min) is presumed gone too
	sql "insert into flush_intent values (1, 'flush-old', '$(hostname) $$ $((now - 1300))',
		'{\"state\":\"claimed\",\"tmp\":\"\",\"items\":[]}')"
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ "$(sql "select count(*) from flush_intent")" -eq 0 ]
}

@test "an interrupted flush is finished on the sheet it was writing, even if IR_STOCK moved" {
	sales
	IR_FAULT=flush-renamed run ir-flush
	[ "$status" -eq 137 ]
	printf '%s' "$SHEET" > other.csv
	run --separate-stderr ir-flush --stock "$T/other.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"4 of its 4 items were on the sheet"* ]]
	cmp expected.csv stock.csv
	printf '%s' "$SHEET" | cmp - other.csv
	[ "$(still_pending)" -eq 0 ]
}

@test "the owner edited the sheet after a crash: items that show the new value settle, others stay" {
	sales
	IR_FAULT=flush-renamed run ir-flush
	[ "$status" -eq 137 ]
	# the owner counts the cups again before the next flush
	sed -i 's/^CUP-8,\(.*\),35,/CUP-8,\1,30,/' stock.csv
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"CUP-8 shows 30, neither 40 (before) nor 35 (after); its -5 stays pending"* ]]
	# so the cups' sales are written on top of the new count
	sed 's/^CUP-8,\(.*\),35,/CUP-8,\1,25,/' expected.csv | cmp - stock.csv
	[ "$(still_pending)" -eq 0 ]
}

@test "an item the sheet cannot take stays pending (65); the others are written" {
	sales
	# a sale of an item since deleted from the sheet (unchecked: no IR_STOCK)
	printf '%s\n' '{"type":"sale","event_id":"g1","item_id":"GONE","delta":-1}' |
		IR_STOCK= ir-pos > /dev/null
	sed -i 's/^SPOON,Spoons,-2,/SPOON,Spoons,n\/a,/' stock.csv
	run --separate-stderr ir-flush
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"GONE: not in $T/stock.csv: its pending -1 stays pending"* ]]
	[[ "$stderr" == *"SPOON: on_hand \"n/a\" is not a whole number; its pending -1 stays pending"* ]]
	[ "$(printf '%s\n' "$output" | jq -r .items)" -eq 3 ]
	[ "$(grep -c '^SPOON,Spoons,n/a,' stock.csv)" -eq 1 ]
	[ "$(grep -c '^CUP-8,.*,35,' stock.csv)" -eq 1 ]
	[ "$(sql "select group_concat(item_id || ':' || pending_delta, ' ') from
		(select * from state where pending_delta <> 0 order by item_id)")" = "GONE:-1 SPOON:-1" ]
}

@test "bad setups: no sheet, an S3 sheet, a usage error, a full disk" {
	unset IR_STOCK
	run --separate-stderr ir-flush
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"no stock sheet"* ]]
	run --separate-stderr ir-flush --stock s3://bucket/stock.csv
	[ "$status" -eq 78 ]
	run --separate-stderr ir-flush extra-argument
	[ "$status" -eq 64 ]
	run --separate-stderr ir-flush --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: ir-flush [--dry-run]"* ]]
	export IR_STOCK="$T/stock.csv"
	sales
	run --separate-stderr bash -c 'ir-flush > /dev/full'
	[ "$status" -eq 74 ]
	# the sheet itself was written and settled; only the record was lost
	cmp expected.csv stock.csv
	[ "$(still_pending)" -eq 0 ]
}

# sheet ID CSV: creates or replaces a sheet on the fake Google server.
sheet() {
	fake_post _sheet "$(jq -n --arg id "$1" --arg csv "$2" '{id: $id, csv: $csv}')"
}

# The fake's sheet as CSV rows joined by '|'.
sheet_rows() {
	fake_state | jq -r --arg id "$1" '.sheets[$id].rows | map(join(",")) | join("|")'
}

@test "gsheet://: the on_hand cells written RAW, found by item_id; a crash after the write settles without writing again" {
	fake_reset
	sheet flush-1 'item_id,name,on_hand,rate
CUP-8,Cups,40,2
LID-12,Lids,7,0.5
,,,
STRAW,Straws,3,1'
	export IR_STOCK=gsheet://flush-1
	ir-pos > /dev/null <<-'EOF'
	{"type":"sale","event_id":"g1","item_id":"CUP-8","delta":-3}
	{"type":"sale","event_id":"g2","item_id":"STRAW","delta":-1}
	EOF
	fake_reset
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.items, .units, .sheet]')" = '[2,-4,"gsheet://flush-1"]' ]
	[ "$(sheet_rows flush-1)" = 'item_id,name,on_hand,rate|CUP-8,Cups,37,2|LID-12,Lids,7,0.5|,,,|STRAW,Straws,2,1' ]
	fake_requests | jq -e '[.[] | select(.path | endswith("values:batchUpdate")) | .body | fromjson
		| [.valueInputOption, .data[0].range, .data[0].values[0][0]]] == [["RAW","C2","37"],["RAW","C5","2"]]'
	[ "$(still_pending)" -eq 0 ]

	# killed after the write: the rerun sees the values there and only settles
	printf '%s\n' '{"type":"sale","event_id":"g3","item_id":"LID-12","delta":5}' | ir-pos > /dev/null
	IR_FAULT=flush-renamed run ir-flush
	[ "$status" -eq 137 ]
	[ "$(sheet_rows flush-1)" = 'item_id,name,on_hand,rate|CUP-8,Cups,37,2|LID-12,Lids,12,0.5|,,,|STRAW,Straws,2,1' ]
	fake_reset
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"1 of its 1 items were on the sheet"* ]]
	[ "$(fake_requests | jq '[.[] | select(.path | endswith("values:batchUpdate"))] | length')" -eq 0 ]
	[ "$(sheet_rows flush-1)" = 'item_id,name,on_hand,rate|CUP-8,Cups,37,2|LID-12,Lids,12,0.5|,,,|STRAW,Straws,2,1' ]
	[ "$(still_pending)" -eq 0 ]

	# killed before the write: the rerun writes it, once
	printf '%s\n' '{"type":"sale","event_id":"g4","item_id":"CUP-8","delta":-7}' | ir-pos > /dev/null
	IR_FAULT=flush-intent run ir-flush
	[ "$status" -eq 137 ]
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ "$(sheet_rows flush-1)" = 'item_id,name,on_hand,rate|CUP-8,Cups,30,2|LID-12,Lids,12,0.5|,,,|STRAW,Straws,2,1' ]
	[ "$(still_pending)" -eq 0 ]
}

@test "gsheet://: Google refusing the write leaves the sales pending, and the next flush writes them" {
	fake_reset
	sheet flush-2 'item_id,on_hand
A,10'
	export IR_STOCK=gsheet://flush-2 IR_HTTP_RETRIES=0
	printf '%s\n' '{"type":"sale","event_id":"x1","item_id":"A","delta":-4}' | ir-pos > /dev/null
	fake_fail '{"path_prefix": "/v4/spreadsheets/flush-2/values:batchUpdate", "status": 403}'
	run --separate-stderr ir-flush
	[ "$status" -ne 0 ]
	[ "$(sheet_rows flush-2)" = 'item_id,on_hand|A,10' ]
	[ "$(sql "select pending_delta from state where item_id = 'A'")" = -4 ]
	run --separate-stderr ir-flush
	[ "$status" -eq 0 ]
	[ "$(sheet_rows flush-2)" = 'item_id,on_hand|A,6' ]
	[ "$(still_pending)" -eq 0 ]
}
