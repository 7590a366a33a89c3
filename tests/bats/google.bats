#!/usr/bin/env bats
# gsheet://ID through ir-sync, against the fake Google server of
# tests/servers/fake-apis.js (which checks the JWT's signature with the
# fake service account's public key): what the server received, what the
# sync state file holds, and what the user reads on stderr.

bats_require_minimum_version 1.5.0
load helpers
load svc

setup_file() {
	svc_up
}

teardown_file() {
	svc_down
}

# helpers.bash's setup, then a clean request log.
eval "helpers_$(declare -f setup)"
setup() {
	helpers_setup
	unset IR_GOOGLE_STATE IR_HTTP_RETRIES IR_HTTP_TIMEOUT_MS
	fake_reset
	SA_EMAIL=ir-test@fake-project.iam.gserviceaccount.com
}

# sheet ID MODIFIED CSV: creates or replaces a sheet.
sheet() {
	fake_post _sheet "$(jq -n --arg id "$1" --arg t "$2" --arg csv "$3" \
		'{id: $id, modifiedTime: $t, csv: $csv}')"
}

# requests METHOD PATH_PREFIX: how many such requests the server received.
requests() {
	fake_requests | jq --arg m "$1" --arg p "$2" \
		'[.[] | select(.method == $m and (.path | startswith($p)))] | length'
}

# The messages must never carry the key, a JWT or the access token.
no_secret() {
	[[ "$1" != *"PRIVATE KEY"* ]]
	[[ "$1" != *MII* ]]
	[[ "$1" != *eyJ* ]]
	[[ "$1" != *fake-access-* ]]
}

STOCK1='item_id,name,on_hand,rate,pack_size
G1,Cups 8oz,40,2,50
G2,"Lids, ""sip"" 12oz",7,0.5,100
'
STOCK2='item_id,name,on_hand,rate,pack_size
G1,Cups 8oz,12,2,50
G2,"Lids, ""sip"" 12oz",7,0.5,100
G3,Straws,3,1,200
'

@test "gsheet: exports once, then nothing while modifiedTime stays, again when it changes" {
	sheet shop-stock-1 2026-12-01T10:00:00.000Z "$STOCK1"
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .item_id | tr '\n' ' ')" = "G1 G2 " ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "G2") | .name')" = 'Lids, "sip" 12oz' ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "G1") | .on_hand')" = 40 ]
	# one token, one files.get, one export, both with the token
	[ "$(requests POST /token)" -eq 1 ]
	[ "$(requests GET '/drive/v3/files/shop-stock-1?')" -eq 1 ]
	[ "$(requests GET /drive/v3/files/shop-stock-1/export?mimeType=text%2Fcsv)" -eq 1 ]
	fake_requests | jq -e '[.[] | select(.path | startswith("/drive/"))
		| .headers.authorization | test("^Bearer fake-access-")] | length == 2 and all'
	# the state file, in its default place
	[ "$(jq -r '.sheets["shop-stock-1"].modifiedTime' var/google-state.json)" = 2026-12-01T10:00:00.000Z ]

	# the same modifiedTime: no export, nothing on stdout, says so
	fake_reset
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *unchanged* ]]
	[ "$(requests GET '/drive/v3/files/shop-stock-1?')" -eq 1 ]
	[ "$(requests GET /drive/v3/files/shop-stock-1/export)" -eq 0 ]

	# an edit: a new modifiedTime, exported again, the new rows out
	sheet shop-stock-1 2026-12-02T08:30:00.000Z "$STOCK2"
	fake_reset
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r .item_id | tr '\n' ' ')" = "G1 G2 G3 " ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(.item_id == "G1") | .on_hand')" = 12 ]
	[ "$(requests GET /drive/v3/files/shop-stock-1/export)" -eq 1 ]
	[ "$(jq -r '.sheets["shop-stock-1"].modifiedTime' var/google-state.json)" = 2026-12-02T08:30:00.000Z ]
}

@test "gsheet: the state is per sheet, in IR_GOOGLE_STATE; the key may be a file path" {
	sheet shop-a 2026-12-01T10:00:00.000Z "$STOCK1"
	sheet shop-b 2026-12-01T11:00:00.000Z "$STOCK2"
	export IR_GOOGLE_STATE="$T/state/google.json"
	IR_GOOGLE_SA="$GOOGLE_SA_FILE" run --separate-stderr ir-sync gsheet://shop-a
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	run --separate-stderr ir-sync gsheet://shop-b
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	[ ! -e var/google-state.json ]
	jq -e '.sheets == {"shop-a": {"modifiedTime": "2026-12-01T10:00:00.000Z"},
		"shop-b": {"modifiedTime": "2026-12-01T11:00:00.000Z"}}' "$IR_GOOGLE_STATE"
	# shop-a unchanged, even after shop-b was recorded
	run --separate-stderr ir-sync gsheet://shop-a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(requests GET /drive/v3/files/shop-a/export)" -eq 1 ]
}

@test "gsheet: a key Google does not know is refused: exit 77, no secret in the message" {
	sheet shop-stock-1 2026-12-01T10:00:00.000Z "$STOCK1"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2> /dev/null
	IR_GOOGLE_SA=$(jq --rawfile k other.pem '.private_key = $k' "$GOOGLE_SA_FILE")
	rm -f other.pem
	export IR_GOOGLE_SA
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 77 ]
	[ -z "$output" ]
	[[ "$stderr" == *"Google refused the key of the service account $SA_EMAIL"* ]]
	[[ "$stderr" == *"Invalid JWT Signature."* ]]
	[[ "$stderr" == *"check that IR_GOOGLE_SA holds a current key"* ]]
	no_secret "$stderr"
	# the server did check a signature, and nothing was read
	[ "$(requests POST /token)" -eq 1 ]
	[ "$(requests GET /drive/)" -eq 0 ]
	[ ! -e var/google-state.json ]
}

@test "gsheet: a sheet not shared with the account: 77 naming the fix; one that is not there: 66" {
	sheet shop-private 2026-12-01T10:00:00.000Z "$STOCK1"
	fake_fail '{"path_prefix": "/drive/v3/files/shop-private", "status": 403,
		"body": {"error": {"code": 403, "message": "The caller does not have permission",
		"errors": [{"reason": "forbidden"}]}}}'
	run --separate-stderr ir-sync gsheet://shop-private
	[ "$status" -eq 77 ]
	[[ "$stderr" == *"gsheet://shop-private: Google denied access (HTTP 403: The caller does not have permission): share the sheet with the service account's email, $SA_EMAIL"* ]]
	no_secret "$stderr"

	run --separate-stderr ir-sync gsheet://no-such-sheet
	[ "$status" -eq 66 ]
	[[ "$stderr" == *"gsheet://no-such-sheet was not found"* ]]
	[[ "$stderr" == *"$SA_EMAIL"* ]]
	[ ! -e var/google-state.json ]

	run --separate-stderr ir-sync 'gsheet://../etc'
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"not a Google Sheets id"* ]]
}

@test "gsheet: a failed export saves no state, so the next sync exports" {
	sheet shop-stock-1 2026-12-01T10:00:00.000Z "$STOCK1"
	export IR_HTTP_RETRIES=1
	fake_fail '{"path_prefix": "/drive/v3/files/shop-stock-1/export", "status": 503, "count": 2}'
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 75 ]
	[ -z "$output" ]
	[[ "$stderr" == *"retry later"* ]]
	[ "$(requests GET /drive/v3/files/shop-stock-1/export)" -eq 2 ]
	[ ! -e var/google-state.json ]
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	[ "$(jq -r '.sheets["shop-stock-1"].modifiedTime' var/google-state.json)" = 2026-12-01T10:00:00.000Z ]
}

@test "gsheet: Google unreachable is 69, throttled after the retries is 75" {
	sheet shop-stock-1 2026-12-01T10:00:00.000Z "$STOCK1"
	export IR_HTTP_RETRIES=0
	IR_GOOGLE_TOKEN_URL=http://127.0.0.1:1/token run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"cannot reach the Google token endpoint 127.0.0.1:1"* ]]
	no_secret "$stderr"
	fake_fail '{"path_prefix": "/drive/", "status": 429, "count": 1}'
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"HTTP 429"* ]]
}

@test "gsheet: a corrupt state file is named, not silently replaced" {
	sheet shop-stock-1 2026-12-01T10:00:00.000Z "$STOCK1"
	mkdir var
	printf '{"sheets": ' > var/google-state.json
	run --separate-stderr ir-sync gsheet://shop-stock-1
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"var/google-state.json: not a Google sync state file"* ]]
	[ "$(cat var/google-state.json)" = '{"sheets": ' ]
}

@test "google_sheet_write: RAW values, literal strings, one token per process" {
	bin="$REPO/tests/unit/bin/test_google_write"
	[ -x "$bin" ] || make -C "$REPO" --no-print-directory tests/unit/bin/test_google_write > /dev/null
	run --separate-stderr "$bin"
	[ "$status" -eq 0 ]
	[ "$output" = "8 passed, 0 failed" ]
	# and from outside the C test: what the server got
	fake_requests | jq -e '[.[] | select(.path == "/v4/spreadsheets/write-test-sheet/values:batchUpdate")
		| .body | fromjson] | .[0] | .valueInputOption == "RAW"
		and .data[0].values == [["=1+1", "+1", "=HYPERLINK(\"http://x.example\")", "007", ""]]'
	[ "$(requests POST /token)" -eq 2 ]
}
