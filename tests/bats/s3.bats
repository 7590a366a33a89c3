#!/usr/bin/env bats
# S3 as a document source and mirror, against s3rver (behind the SigV4
# checking proxy), read back with the aws CLI.

bats_require_minimum_version 1.5.0
load helpers
load svc

setup_file() {
	svc_up
	B="ir-stock-$$"
	export B
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api create-bucket --bucket "$B" > /dev/null
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api put-object --bucket "$B" --key shop/stock.csv \
		--body "$REPO/tests/bats/fixtures/examples.csv" > /dev/null
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api put-object --bucket "$B" --key "docs/suppliers list.txt" \
		--body "$REPO/tests/bats/fixtures/examples-suppliers.txt" > /dev/null
}

teardown_file() {
	svc_down
}

s3get() {
	"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api get-object --bucket "$B" --key "$1" "$2" > /dev/null
}

@test "ir-sync s3://: the sheet and the suppliers doc from S3, same items as from files" {
	run --separate-stderr ir-sync "s3://$B/shop/stock.csv" --suppliers "s3://$B/docs/suppliers list.txt"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 10 ]
	[ "$(printf '%s\n' "$output" | head -n 1 | jq -r .source)" = "s3://$B/shop/stock.csv" ]
	ir-sync "$FIX/examples.csv" --suppliers "$FIX/examples-suppliers.txt" | jq -c 'del(.source)' > local.ndjson
	printf '%s\n' "$output" | jq -c 'del(.source)' > remote.ndjson
	cmp local.ndjson remote.ndjson
}

@test "the whole chain from S3 drafts the worked examples" {
	run --separate-stderr sh -c "ir-sync 's3://$B/shop/stock.csv' | ir-check | ir-draft --suppliers 's3://$B/docs/suppliers list.txt'"
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | jq -r '[.item_id, .point, .move, .qty, (.flags | join(","))] | @tsv')
	[ "$got" = "$(awk -F'\t' '$4 != ""' "$FIX/expected-examples.tsv")" ]
}

@test "a missing key: exit 66 naming it; a bad bucket URI: exit 64" {
	run --separate-stderr ir-sync "s3://$B/shop/nope.csv"
	[ "$status" -eq 66 ]
	[[ "$stderr" == *"s3://$B/shop/nope.csv: no such document"* ]]
	run --separate-stderr ir-sync "s3://$B"
	[ "$status" -eq 64 ]
}

@test "wrong secret key: the signature is refused, exit 77 or 69, no secret in the message" {
	AWS_SECRET_ACCESS_KEY=wrong-secret-for-test run --separate-stderr ir-sync "s3://$B/shop/stock.csv"
	[ "$status" -ne 0 ]
	[[ "$stderr" != *"wrong-secret-for-test"* ]]
}

@test "--mirror s3://: written only when the content changed (ETag / MD5)" {
	run --separate-stderr ir-sync "$FIX/examples.csv" --mirror "s3://$B/mirror/stock.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"mirror updated"* ]]
	s3get mirror/stock.csv got.csv
	cmp got.csv "$FIX/examples.csv"
	n=$(curl -sS "$FAKE_APIS_URL/_requests" > /dev/null; ls "$S3_DIR" | wc -l)
	run --separate-stderr ir-sync "$FIX/examples.csv" --mirror "s3://$B/mirror/stock.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"mirror unchanged"* ]]
	cp "$FIX/examples.csv" changed.csv
	echo 'EX11,Example 11,1,1,7,0,,acme,1,0,,1' >> changed.csv
	run --separate-stderr sh -c "ir-sync --mirror 's3://$B/mirror/stock.csv' - < changed.csv"
	[[ "$stderr" == *"mirror updated"* ]]
	s3get mirror/stock.csv got.csv
	cmp got.csv changed.csv
}

@test "S3 down: exit 69, clear message" {
	AWS_ENDPOINT_URL_S3=http://127.0.0.1:9 IR_HTTP_RETRIES=0 run --separate-stderr ir-sync "s3://$B/shop/stock.csv"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"cannot reach http://127.0.0.1:9"* ]]
	[ -z "$output" ]
}

@test "s3rver keeps no versions: --versions says so plainly" {
	run --separate-stderr ir-sync --versions "s3://$B/shop/stock.csv"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"cannot list versions"* ]]
}

@test "--versions lists an object's versions, newest first; ?versionId= reads an old one" {
	# versioned S3 objects are served by fake-apis under /s3v/ (SigV4 checked)
	export AWS_ENDPOINT_URL_S3="$FAKE_APIS_URL/s3v"
	v1=$(curl -sS -X POST "$FAKE_APIS_URL/_s3version" -H 'Content-Type: application/json' \
		-d "$(jq -n --rawfile b "$FIX/examples.csv" '{bucket: "vb", key: "shop/stock.csv", body: $b}')" | jq -r .VersionId)
	head -n 4 "$FIX/examples.csv" > three.csv
	v2=$(curl -sS -X POST "$FAKE_APIS_URL/_s3version" -H 'Content-Type: application/json' \
		-d "$(jq -n --rawfile b three.csv '{bucket: "vb", key: "shop/stock.csv", body: $b}')" | jq -r .VersionId)
	run --separate-stderr ir-sync --versions s3://vb/shop/stock.csv
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -r '[.version_id, .latest] | @tsv' | tr '\t\n' ' ,')" = "$v2 true,$v1 false," ]
	[ "$(printf '%s\n' "$output" | jq -r .type | sort -u)" = version ]
	run --separate-stderr ir-sync s3://vb/shop/stock.csv
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	run --separate-stderr ir-sync "s3://vb/shop/stock.csv?versionId=$v1"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 10 ]
	run --separate-stderr ir-sync "s3://vb/shop/stock.csv?versionId=nope"
	[ "$status" -eq 66 ]
}
