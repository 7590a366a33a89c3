#!/usr/bin/env bats
# ir-sync: stock sheet to item records.

bats_require_minimum_version 1.5.0
load helpers

@test "the sample shop: one item per row, docs merged" {
	run --separate-stderr sample_sync
	[ "$status" -eq 0 ]
	rows=$(($(grep -c . "$REPO/samples/stock.csv") - 1))
	[ "$(printf '%s\n' "$output" | wc -l)" -eq "$rows" ]
	printf '%s\n' "$output" | jq -e -s 'all(.type == "item")'
	# quoted name with a comma and quotes survives
	printf '%s\n' "$output" | jq -e -s 'any(.name == "Lids \"sip\" 12oz")'
	# extra column passes through
	printf '%s\n' "$output" | jq -e -s 'all(has("Shelf"))'
	# rules doc [item] beats the sheet, and says so once
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "PW-LID-12") | .pack_size')" = 100 ]
	[ "$(printf '%s\n' "$stderr" | grep -c 'PW-LID-12: pack size 100 from the rules doc replaces the sheet.s 50')" -eq 1 ]
	# supplier's lead time when the sheet leaves it empty (beanco: 5 days)
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "CF-ESP-1KG") | .lead_time_days')" = 5 ]
	# cap from the rules doc
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "CF-ESP-1KG") | .order_cap')" = 35 ]
	# [default] buffer for an empty Buffer cell, the sheet's 0 kept
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "CF-DECAF-1KG") | .buffer')" = 2 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "CF-ESP-1KG") | .buffer')" = 0 ]
}

@test "rates are exact decimals and lines are numbered" {
	run --separate-stderr examples_sync
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX10") | .rate')" = 0.28 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX10") | .line')" = 11 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "EX01") | .unit_cost')" = 2.50 ]
}

@test "real-world CSV: CRLF, BOM, quoted newlines, blank trailing lines, extra columns" {
	printf '\xef\xbb\xbfSKU,Name,On Hand,Notes\r\nA1,"Bolt, hex ""M6""",5,"two\r\nlines"\r\nA2,Nut,7,\r\n\r\n\r\n' > s.csv
	run --separate-stderr ir-sync s.csv
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "A1") | .name')" = 'Bolt, hex "M6"' ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "A2") | .line')" = 4 ]
	# a line break inside a quoted cell comes out as one \n
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "A1") | .Notes')" = "$(printf 'two\nlines')" ]
}

@test "stdin, and IR_STOCK / IR_RULES / IR_SUPPLIERS when no paths are given" {
	run --separate-stderr sh -c "ir-sync - < '$FIX/examples.csv'"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 10 ]
	[ "$(printf '%s\n' "$output" | head -n 1 | jq -r .source)" = stdin ]
	IR_STOCK="$REPO/samples/stock.csv" IR_RULES="$REPO/samples/rules.txt" \
		IR_SUPPLIERS="$REPO/samples/suppliers.txt" run --separate-stderr ir-sync
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "PW-LID-12") | .pack_size')" = 100 ]
}

@test "bad rows: named by line, the rest still flows, exit 65" {
	cat > bad.csv <<-'CSV'
	item_id,on_hand,rate,pack_size
	G1,5,1,1
	G2,ten,1,1
	G3,5,-1,1
	G1,6,1,1
	,4,1,1
	G4,5,abc,1
	G5,5,1,0
	G6,,1,1
	G7,8,0.5,2
	CSV
	run --separate-stderr ir-sync bad.csv
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$output" | jq -r .item_id | tr '\n' ' ')" = "G1 G7 " ]
	[[ "$stderr" == *'bad.csv:3: on_hand: "ten" is not a whole number'* ]]
	[[ "$stderr" == *'bad.csv:4: rate: -1 is negative'* ]]
	[[ "$stderr" == *'bad.csv:5: item_id G1 appears earlier in the sheet'* ]]
	[[ "$stderr" == *'bad.csv:6: item_id is empty'* ]]
	[[ "$stderr" == *'bad.csv:7: rate: "abc" is not a number'* ]]
	[[ "$stderr" == *'bad.csv:8: pack_size: 0 is less than 1'* ]]
	[[ "$stderr" == *'bad.csv:9: G6: on_hand is empty'* ]]
}

@test "missing item_id or on_hand column: exit 65 with the reason" {
	printf 'name,on_hand\nx,1\n' > a.csv
	run --separate-stderr ir-sync a.csv
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ "$stderr" == *"a.csv:1: the sheet has no item_id (or sku) column"* ]]
	printf 'sku,qty\nx,1\n' > b.csv
	run --separate-stderr ir-sync b.csv
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"b.csv:1: the sheet has no on_hand column"* ]]
}

@test "unterminated quote: reported at the line it opens, later rows still read" {
	printf 'item_id,name,on_hand\nA,"Open quote,1\nB,Fine,2\nC,Fine,3\n' > q.csv
	run --separate-stderr ir-sync q.csv
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"q.csv:2: "*"unterminated quote"* ]]
	[ "$(printf '%s\n' "$output" | jq -r .item_id | tr '\n' ' ')" = "B C " ]
}

@test "invalid UTF-8 and a 1 MB field are rejected, neighbours kept" {
	printf 'item_id,name,on_hand\nA,ok,1\nB,bad \xff\xfe,2\n' > u.csv
	head -c 1048576 /dev/zero | tr '\0' 'x' | sed 's/^/C,/; s/$/,3/' >> u.csv
	printf '\nD,fine,4\n' >> u.csv
	run --separate-stderr ir-sync u.csv
	[ "$status" -eq 65 ]
	[ "$(printf '%s\n' "$output" | jq -r .item_id | tr '\n' ' ')" = "A D " ]
	[[ "$stderr" == *"u.csv:3: "*"UTF-8"* ]]
	[[ "$stderr" == *"u.csv:4: "* ]]
}

@test "an empty file is an error; a header with no rows is a warning" {
	: > empty.csv
	run --separate-stderr ir-sync empty.csv
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"empty.csv: the file is empty (no header row)"* ]]
	printf 'item_id,on_hand\n' > h.csv
	run --separate-stderr ir-sync h.csv
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"h.csv: warning: the sheet has a header but no rows"* ]]
}

@test "rules doc unknown key and unknown supplier are warnings with lines, exit 0" {
	printf '[default]\ncolour: blue\n' > rules.txt
	printf '[supplier acme]\nemail: a@acme.example.com\n' > sup.txt
	printf 'item_id,on_hand,supplier\nA,1,acme\nB,2,nobody\n' > s.csv
	run --separate-stderr ir-sync s.csv --rules rules.txt --suppliers sup.txt
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	[[ "$stderr" == *"rules.txt:2: warning: "*"colour"* ]]
	[[ "$stderr" == *'s.csv:3: warning: B: supplier "nobody" is not in sup.txt'* ]]
}

@test "--mirror copies only when the content changed" {
	cp "$FIX/examples.csv" src.csv
	run --separate-stderr ir-sync src.csv --mirror mirror.csv
	[ "$status" -eq 0 ]
	cmp src.csv mirror.csv
	[[ "$stderr" == *"mirror updated"* ]]
	touch -d '2020-01-01' mirror.csv
	run --separate-stderr ir-sync src.csv --mirror mirror.csv
	[[ "$stderr" == *"mirror unchanged"* ]]
	[ "$(stat -c %Y mirror.csv)" -eq "$(date -d 2020-01-01 +%s)" ]
	echo 'EX11,Example 11,1,1,7,0,,acme,1,0,,1' >> src.csv
	run --separate-stderr sh -c 'ir-sync --mirror mirror.csv - < src.csv'
	[[ "$stderr" == *"mirror updated"* ]]
	cmp src.csv mirror.csv
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 11 ]
}

@test "memory stays flat: 200k rows in under 8 MB" {
	if ldd "$REPO/bin/ir-sync" | grep -q asan; then
		skip "sanitizer builds keep shadow memory"
	fi
	awk 'BEGIN { print "item_id,on_hand,rate"; for (i = 0; i < 200000; i++) printf "SKU%d,%d,1.5\n", i, i % 50 }' > big.csv
	run sh -c '/usr/bin/time -f %M ir-sync big.csv 2>&1 >/dev/null | tail -n 1'
	[ "$status" -eq 0 ]
	[ "$output" -lt 8192 ]
}

@test "duplicates past the first 32768 rows: each found, the first kept, order kept" {
	# rows 2..60001; line 40002 repeats line 12's id (from the exact
	# table's time), line 50002 repeats line 45002's, line 50003 line 12's
	awk 'BEGIN { print "item_id,on_hand,rate"
		for (i = 0; i < 60000; i++) {
			id = i
			if (i == 40000) id = 10
			if (i == 50000) id = 45000
			if (i == 50001) id = 10
			printf "SKU%d,%d,1.5\n", id, i % 50 } }' > dups.csv
	run -65 --separate-stderr ir-sync dups.csv
	output=$(printf '%s\n' "$output" | sed -n 's/.*"item_id":"\([^"]*\)".*"line":\([0-9]*\)}$/\2 \1/p')
	[ "$(printf '%s\n' "$stderr" | grep -c 'appears earlier')" -eq 3 ]
	[[ "$stderr" == *"dups.csv:40002: item_id SKU10 appears earlier"* ]]
	[[ "$stderr" == *"dups.csv:50002: item_id SKU45000 appears earlier"* ]]
	[[ "$stderr" == *"dups.csv:50003: item_id SKU10 appears earlier"* ]]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 59997 ]
	# in the sheet's order, each line once
	printf '%s\n' "$output" | awk '$1 <= prev { exit 1 } { prev = $1 }'
	printf '%s\n' "$output" | grep -qx '12 SKU10'
	printf '%s\n' "$output" | grep -qx '45002 SKU45000'
}

@test "a bad row's item id still counts: a later row with it is a duplicate" {
	printf 'item_id,on_hand,rate\nA,x,1\nB,2,1\nA,3,1\n' > badfirst.csv
	run -65 --separate-stderr ir-sync badfirst.csv
	[[ "$stderr" == *"badfirst.csv:2: on_hand:"* ]]
	[[ "$stderr" == *"badfirst.csv:4: item_id A appears earlier"* ]]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[[ "$output" == *'"item_id":"B"'* ]]
}

@test "a sheet over 1.5M rows has its ids read first: duplicates exact, memory flat" {
	# lines 2..2100001; dups of an early id, of a late one, of a bad row
	awk 'BEGIN { print "item_id,on_hand,rate"
		for (i = 0; i < 2100000; i++) {
			id = "S" i; oh = i % 50
			if (i == 5) oh = "x"
			if (i == 1000000) id = "S10"
			if (i == 2000000) id = "S1999999"
			if (i == 2099999) id = "S5"
			printf "%s,%s,1.5\n", id, oh } }' > big2m.csv
	# ids.out: "line item_id" of each record
	run -65 --separate-stderr bash -c 'set -o pipefail; /usr/bin/time -f "rss %M" ir-sync big2m.csv | awk -F"\"" "{ split(\$NF, a, /[:}]/); print a[2], \$8 }" > ids.out'
	[ "$(printf '%s\n' "$stderr" | grep -c 'appears earlier')" -eq 3 ]
	[[ "$stderr" == *"big2m.csv: about 2"*" rows: the item ids are read first"* ]]
	[[ "$stderr" == *"big2m.csv:7: on_hand:"* ]]
	[[ "$stderr" == *"big2m.csv:1000002: item_id S10 appears earlier"* ]]
	[[ "$stderr" == *"big2m.csv:2000002: item_id S1999999 appears earlier"* ]]
	[[ "$stderr" == *"big2m.csv:2100001: item_id S5 appears earlier"* ]]
	[ "$(wc -l < ids.out)" -eq 2099996 ]
	awk '$1 <= prev { exit 1 } { prev = $1 }' ids.out
	grep -qx '12 S10' ids.out
	grep -qx '2000001 S1999999' ids.out
	if ! ldd "$REPO/bin/ir-sync" | grep -q asan; then
		rss=$(printf '%s\n' "$stderr" | sed -n 's/^rss //p')
		[ "$rss" -lt 8192 ]
	fi
}

@test "usage, help, version, unreadable file, full disk" {
	run ir-sync --bogus
	[ "$status" -eq 64 ]
	[[ "$output" == *"usage: ir-sync"* ]]
	run ir-sync --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run ir-sync --version
	[[ "$output" == "ir-sync "* ]]
	run ir-sync /nonexistent.csv
	[ "$status" -eq 66 ]
	[[ "$output" == *"/nonexistent.csv: cannot open"* ]]
	run sh -c "ir-sync '$FIX/examples.csv' > /dev/full"
	[ "$status" -eq 74 ]
	run ir-sync
	[ "$status" -eq 64 ]
	[[ "$output" == *"set IR_STOCK"* ]]
}
