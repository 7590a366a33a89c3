#!/usr/bin/env bats
# The local servers of scripts/services, proved with independent clients
# (the aws CLI, curl, openssl) before any of our C backends is tested
# against them.

load helpers

setup_file() {
	SVC="$BATS_FILE_TMPDIR/svc"
	export SVC
	"$REPO/scripts/services" up "$SVC"
	# shellcheck disable=SC1091
	. "$SVC/services.env"
	# Debian's awscli (v2); another `aws` earlier in PATH may be a v1.
	AWS=aws
	[ -x /usr/bin/aws ] && AWS=/usr/bin/aws
	export AWS AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}

teardown_file() {
	"$REPO/scripts/services" down "$SVC"
}

# Slack Web API call: slack METHOD JSON [TOKEN]
slack() {
	curl -sS -X POST "$IR_SLACK_API_URL/$1" -H "Authorization: Bearer ${3:-$IR_SLACK_BOT_TOKEN}" \
		-H 'Content-Type: application/json; charset=utf-8' -d "$2"
}

b64url() {
	basenc --base64url -w0 | tr -d '='
}

# A service-account JWT signed with openssl: jwt [CLAIMS_JSON]
jwt() {
	local now key iss h c
	now=$(date +%s)
	key="$T/sa-key.pem"
	jq -r .private_key "$GOOGLE_SA_FILE" > "$key"
	iss=$(jq -r .client_email "$GOOGLE_SA_FILE")
	h=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)
	c=$(printf '%s' "${1:-{\"iss\":\"$iss\",\"scope\":\"https://www.googleapis.com/auth/drive.readonly https://www.googleapis.com/auth/spreadsheets\",\"aud\":\"$IR_GOOGLE_TOKEN_URL\",\"iat\":$now,\"exp\":$((now + 3600))\}}" | b64url)
	printf '%s.%s.%s' "$h" "$c" "$(printf '%s.%s' "$h" "$c" | openssl dgst -sha256 -sign "$key" -binary | b64url)"
}

google_token() {
	curl -sS "$IR_GOOGLE_TOKEN_URL" --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
		--data-urlencode "assertion=$1"
}

@test "services: up twice keeps the same servers, services.env has every variable" {
	before=$(cat "$SVC/pids")
	"$REPO/scripts/services" up "$SVC"
	[ "$(cat "$SVC/pids")" = "$before" ]
	[ "$(wc -l < "$SVC/pids")" -eq 8 ]
	for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_ENDPOINT_URL_DYNAMODB \
		AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SES AWS_ENDPOINT_URL_EVENTBRIDGE AWS_ENDPOINT_URL_SCHEDULER \
		AWS_ENDPOINT_URL_SECRETS_MANAGER AWS_ENDPOINT_URL_SSM IR_SLACK_API_URL IR_SLACK_BOT_TOKEN \
		IR_GOOGLE_TOKEN_URL IR_GOOGLE_API_URL IR_GOOGLE_SA FAKE_APIS_URL SES_LOCAL_URL SMTP_PORT \
		SMTP_USER SMTP_PASS SMTP_DIR S3_DIR; do
		grep -q "^export $v=" "$SVC/services.env"
	done
	echo "$IR_GOOGLE_SA" | jq -e '.type == "service_account" and (.private_key | startswith("-----BEGIN PRIVATE KEY-----"))'
}

@test "services: down twice, then up again" {
	d="$T/other"
	"$REPO/scripts/services" up "$d"
	pids=$(cat "$d/pids")
	"$REPO/scripts/services" down "$d"
	"$REPO/scripts/services" down "$d"
	for p in $pids; do ! kill -0 "$p" 2> /dev/null; done
	[ ! -f "$d/pids" ]
}

@test "sigv4: the canonicalizer passes the public SigV4 test suite" {
	# the suite is the workplace's shared/testdata, beside the checkout
	suite="$REPO/../shared/testdata/aws-sigv4"
	[ -d "$suite" ] || skip "no $suite beside this checkout"
	run node "$REPO/tests/servers/test-sigv4.js" "$suite"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 failed" ]]
}

@test "dynamodb: aws CLI creates a table, conditional put, wrong secret rejected" {
	ddb() { $AWS --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb "$@"; }
	ddb create-table --table-name ir-state --attribute-definitions AttributeName=pk,AttributeType=S \
		--key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
	ddb list-tables | jq -e '.TableNames | index("ir-state")'
	ddb put-item --table-name ir-state --item '{"pk":{"S":"A1"},"n":{"N":"1"}}' \
		--condition-expression 'attribute_not_exists(pk)'
	run ddb put-item --table-name ir-state --item '{"pk":{"S":"A1"},"n":{"N":"2"}}' \
		--condition-expression 'attribute_not_exists(pk)'
	[ "$status" -ne 0 ]
	[[ "$output" == *ConditionalCheckFailedException* ]]
	ddb get-item --table-name ir-state --key '{"pk":{"S":"A1"}}' | jq -e '.Item.n.N == "1"'
	AWS_SECRET_ACCESS_KEY=wrong run ddb list-tables
	[ "$status" -ne 0 ]
	[[ "$output" == *InvalidSignatureException* ]]
}

@test "dynamodb: dynalite has no TransactWriteItems (known limitation)" {
	run $AWS --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb transact-write-items \
		--transact-items '[{"Put":{"TableName":"ir-state","Item":{"pk":{"S":"x"}}}}]'
	[ "$status" -ne 0 ]
	[[ "$output" == *UnknownOperationException* ]]
}

@test "s3: aws CLI round trip through the signature check, files under S3_DIR" {
	s3() { $AWS --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api "$@"; }
	printf 'sku,qty\nA1,5\n' > "$T/stock.csv"
	s3 create-bucket --bucket ir-docs > /dev/null
	s3 put-object --bucket ir-docs --key 'shop 1/stock:v1.csv' --body "$T/stock.csv" > /dev/null
	s3 get-object --bucket ir-docs --key 'shop 1/stock:v1.csv' "$T/back.csv" > /dev/null
	cmp "$T/stock.csv" "$T/back.csv"
	[ -d "$S3_DIR/ir-docs" ]
	AWS_SECRET_ACCESS_KEY=wrong run s3 get-object --bucket ir-docs --key 'shop 1/stock:v1.csv' "$T/x"
	[ "$status" -ne 0 ]
	[[ "$output" == *SignatureDoesNotMatch* ]]
}

@test "s3: libcurl SigV4 needs x-amz-content-sha256, as S3 does" {
	h=$(printf 'x' | sha256sum | cut -d' ' -f1)
	$AWS --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api create-bucket --bucket ir-curl > /dev/null
	run curl -sS --aws-sigv4 aws:amz:ap-southeast-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-X PUT --data-binary x "$AWS_ENDPOINT_URL_S3/ir-curl/k"
	[[ "$output" == *"<Code>InvalidRequest</Code>"* ]]
	run curl -sS -w '%{http_code}' --aws-sigv4 aws:amz:ap-southeast-1:s3 \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $h" \
		-X PUT --data-binary x "$AWS_ENDPOINT_URL_S3/ir-curl/k"
	[ "$output" = 200 ]
	run curl -sS --aws-sigv4 aws:amz:ap-southeast-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $h" -X PUT --data-binary y "$AWS_ENDPOINT_URL_S3/ir-curl/k"
	[[ "$output" == *XAmzContentSHA256Mismatch* ]]
}

@test "ses: v1 SendRawEmail and v2 raw SendEmail are readable over HTTP" {
	curl -sS -X POST "$SES_LOCAL_URL/clear-store" > /dev/null
	printf 'From: orders@shop.example.com\r\nTo: sales@supplier.example.com\r\nSubject: PO 17\r\n\r\nPlease send 5 x A1.\r\n' > "$T/m.eml"
	$AWS --endpoint-url "$AWS_ENDPOINT_URL_SES" ses send-raw-email \
		--raw-message Data="$(base64 -w0 "$T/m.eml")" | jq -e '.MessageId'
	$AWS --endpoint-url "$AWS_ENDPOINT_URL_SES" sesv2 send-email --from-email-address orders@shop.example.com \
		--destination ToAddresses=sales@supplier.example.com \
		--content "{\"Raw\":{\"Data\":\"$(base64 -w0 "$T/m.eml")\"}}" | jq -e '.MessageId'
	curl -sS "$SES_LOCAL_URL/store" | jq -e '(.emails | length) == 2 and all(.emails[];
		.subject == "PO 17" and .destination.to == ["sales@supplier.example.com"] and (.body.text | contains("5 x A1")))'
	AWS_SECRET_ACCESS_KEY=wrong run $AWS --endpoint-url "$AWS_ENDPOINT_URL_SES" ses send-raw-email \
		--raw-message Data="$(base64 -w0 "$T/m.eml")"
	[ "$status" -ne 0 ]
	[[ "$output" == *InvalidSignature* ]]
}

@test "smtp: STARTTLS + AUTH, message stored with its envelope; bad password 535; no TLS refused" {
	printf 'From: orders@shop.example.com\r\nTo: sales@supplier.example.com\r\nSubject: PO 18\r\n\r\nHello.\r\n' > "$T/m.eml"
	curl -sS --ssl-reqd -k "smtp://127.0.0.1:$SMTP_PORT" --mail-from orders@shop.example.com \
		--mail-rcpt sales@supplier.example.com -u "$SMTP_USER:$SMTP_PASS" --upload-file "$T/m.eml"
	last=$(tail -n 1 "$SMTP_DIR/envelopes.jsonl")
	echo "$last" | jq -e '.mail_from == "orders@shop.example.com" and .rcpt_to == ["sales@supplier.example.com"]
		and .user == "test-smtp-user" and .tls == true'
	grep -q 'Subject: PO 18' "$SMTP_DIR/$(echo "$last" | jq -r .file)"
	run curl -sS -v --ssl-reqd -k "smtp://127.0.0.1:$SMTP_PORT" --mail-from a@shop.example.com \
		--mail-rcpt b@supplier.example.com -u "$SMTP_USER:wrong" --upload-file "$T/m.eml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"< 535"* ]]
	run curl -sS -v "smtp://127.0.0.1:$SMTP_PORT" --mail-from a@shop.example.com \
		--mail-rcpt b@supplier.example.com -u "$SMTP_USER:$SMTP_PASS" --upload-file "$T/m.eml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"STARTTLS"* ]]
}

@test "slack: token checked, message stored, history newest first with metadata" {
	slack chat.postMessage '{"channel":"C1","text":"first"}' | jq -e '.ok and .channel == "C1" and (.ts | test("^[0-9]+\\.[0-9]{6}$"))'
	ts=$(slack chat.postMessage '{"channel":"C1","text":"second","metadata":{"event_type":"ir_order","event_payload":{"id":"o1"}}}' | jq -r .ts)
	slack chat.postMessage '{"channel":"C1","text":"x"}' wrong-token | jq -e '.ok == false and .error == "invalid_auth"'
	slack chat.update "{\"channel\":\"C1\",\"ts\":\"$ts\",\"text\":\"second, approved\"}" | jq -e '.ok'
	slack chat.update '{"channel":"C1","text":"no ts"}' | jq -e '.error == "invalid_arguments"'
	curl -sS "$IR_SLACK_API_URL/conversations.history?channel=C1&include_all_metadata=true" \
		-H "Authorization: Bearer $IR_SLACK_BOT_TOKEN" |
		jq -e '.messages[0].text == "second, approved" and .messages[0].metadata.event_payload.id == "o1" and .messages[1].text == "first"'
	curl -sS "$IR_SLACK_API_URL/conversations.history?channel=C1" -H "Authorization: Bearer $IR_SLACK_BOT_TOKEN" |
		jq -e '.messages[0].metadata == null'
}

@test "slack: Block Kit limits and views.open arguments are enforced" {
	blocks=$(jq -nc '[range(51) | {type:"divider"}]')
	slack chat.postMessage "{\"channel\":\"C1\",\"blocks\":$blocks}" | jq -e '.error == "invalid_blocks"'
	long=$(printf '%076d' 0)
	slack chat.postMessage "{\"channel\":\"C1\",\"blocks\":[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":{\"type\":\"plain_text\",\"text\":\"$long\"},\"action_id\":\"approve\",\"value\":\"o1\"}]}]}" |
		jq -e '.error == "invalid_blocks"'
	slack chat.postMessage '{"channel":"C1","blocks":[{"type":"header","text":{"type":"plain_text","text":"Reorder"}}]}' | jq -e '.ok'
	slack views.open '{"view":{"type":"modal"}}' | jq -e '.error == "invalid_arguments"'
	slack views.open '{"trigger_id":"1.2.3","view":{"type":"modal","title":{"type":"plain_text","text":"Edit quantity"},"submit":{"type":"plain_text","text":"Save"},"blocks":[{"type":"input","label":{"type":"plain_text","text":"Qty"},"element":{"type":"plain_text_input","action_id":"qty"}}]}}' |
		jq -e '.ok and (.view.id | startswith("V"))'
}

@test "fake-apis: recorded requests, injected 429 then success, injected delay" {
	curl -sS -X POST "$FAKE_APIS_URL/_reset" > /dev/null
	curl -sS -X POST "$FAKE_APIS_URL/_fail" -d '{"path_prefix":"/api/chat.postMessage","status":429,"count":1,"retry_after":2}' > /dev/null
	run curl -sS -i -X POST "$IR_SLACK_API_URL/chat.postMessage" -H "Authorization: Bearer $IR_SLACK_BOT_TOKEN" \
		-H 'Content-Type: application/json; charset=utf-8' -d '{"channel":"C2","text":"retry me"}'
	[[ "$output" == *"HTTP/1.1 429"* ]]
	[[ "$output" == *"Retry-After: 2"* ]]
	[[ "$output" == *'"error":"ratelimited"'* ]]
	slack chat.postMessage '{"channel":"C2","text":"retry me"}' | jq -e '.ok'
	curl -sS "$FAKE_APIS_URL/_requests" | jq -e 'length == 2 and all(.[]; .path == "/api/chat.postMessage"
		and .headers.authorization == "Bearer test-bot-token" and (.body | fromjson | .text == "retry me"))'
	curl -sS -X POST "$FAKE_APIS_URL/_fail" -d '{"path_prefix":"/api/","delay_ms":1500,"count":1}' > /dev/null
	run curl -sS --max-time 0.5 -X POST "$IR_SLACK_API_URL/chat.postMessage" -H "Authorization: Bearer $IR_SLACK_BOT_TOKEN"
	[ "$status" -eq 28 ]
}

@test "google: JWT grant, Drive metadata and CSV export, Sheets RAW batchUpdate" {
	curl -sS "$FAKE_APIS_URL/_sheet" -d '{"id":"s1","sheet":"Stock","csv":"sku,qty\nA1,5\n\"B,2\",7\n","modifiedTime":"2026-01-01T00:00:00.000Z"}' > /dev/null
	google_token "$(jwt)x" | jq -e '.error == "invalid_grant"'
	now=$(date +%s)
	iss=$(jq -r .client_email "$GOOGLE_SA_FILE")
	google_token "$(jwt "{\"iss\":\"$iss\",\"scope\":\"https://www.googleapis.com/auth/drive.readonly\",\"aud\":\"https://oauth2.googleapis.com/token\",\"iat\":$now,\"exp\":$((now + 3600))}")" |
		jq -e '.error == "invalid_grant"'
	google_token "$(jwt "{\"iss\":\"$iss\",\"scope\":\"https://www.googleapis.com/auth/drive.readonly\",\"aud\":\"$IR_GOOGLE_TOKEN_URL\",\"iat\":$now,\"exp\":$((now + 7200))}")" |
		jq -e '.error == "invalid_grant"'
	at=$(google_token "$(jwt)" | jq -r .access_token)
	g() { curl -sS -H "Authorization: Bearer $at" "$@"; }
	g "$IR_GOOGLE_API_URL/drive/v3/files/s1?fields=modifiedTime" | jq -e '.modifiedTime == "2026-01-01T00:00:00.000Z"'
	[ "$(g "$IR_GOOGLE_API_URL/drive/v3/files/s1/export?mimeType=text/csv" | tr -d '\r')" = "$(printf 'sku,qty\nA1,5\n"B,2",7')" ]
	g -H 'Content-Type: application/json' "$IR_GOOGLE_API_URL/v4/spreadsheets/s1/values:batchUpdate" \
		-d '{"valueInputOption":"RAW","data":[{"range":"Stock!B2","values":[["12"]]}]}' | jq -e '.totalUpdatedCells == 1'
	g -H 'Content-Type: application/json' "$IR_GOOGLE_API_URL/v4/spreadsheets/s1/values:batchUpdate" \
		-d '{"valueInputOption":"USER_ENTERED","data":[{"range":"Stock!B2","values":[["13"]]}]}' | jq -e '.error.code == 400'
	g "$IR_GOOGLE_API_URL/drive/v3/files/s1/export?mimeType=text/csv" | grep -q '^A1,12'
	g "$IR_GOOGLE_API_URL/drive/v3/files/s1?fields=modifiedTime" | jq -e '.modifiedTime > "2026-01-01T00:00:00.000Z"'
	curl -sS -H "Authorization: Bearer wrong" "$IR_GOOGLE_API_URL/drive/v3/files/s1?fields=modifiedTime" | jq -e '.error.code == 401'
}

@test "aws json: Secrets Manager, SSM paging, PutEvents through the aws CLI" {
	api() { $AWS --endpoint-url "$FAKE_APIS_URL" "$@"; }
	curl -sS "$FAKE_APIS_URL/_secret" -d '{"name":"ir/pos/hmac","value":"test-hmac-key"}' > /dev/null
	api secretsmanager get-secret-value --secret-id ir/pos/hmac | jq -e '.SecretString == "test-hmac-key" and .Name == "ir/pos/hmac"'
	run api secretsmanager get-secret-value --secret-id ir/none
	[[ "$output" == *ResourceNotFoundException* ]]
	for i in $(seq 1 12); do
		curl -sS "$FAKE_APIS_URL/_param" -d "{\"name\":\"/ir/config/K$i\",\"value\":\"v$i\"}" > /dev/null
	done
	curl -sS "$FAKE_APIS_URL/_param" -d '{"name":"/ir/config/deep/K","value":"d"}' > /dev/null
	curl -sS "$FAKE_APIS_URL/_param" -d '{"name":"/ir/config/secret","value":"s","type":"SecureString"}' > /dev/null
	curl -sS -X POST "$FAKE_APIS_URL/_reset" > /dev/null
	api ssm get-parameters-by-path --path /ir/config/ | jq -e '(.Parameters | length) == 13'
	curl -sS "$FAKE_APIS_URL/_requests" | jq -e 'length == 2' # two pages of at most 10
	api ssm get-parameters-by-path --path /ir/config --recursive --with-decryption |
		jq -e '(.Parameters | length) == 14 and any(.Parameters[]; .Name == "/ir/config/secret" and .Value == "s")'
	api ssm get-parameters-by-path --path /ir/config |
		jq -e 'any(.Parameters[]; .Name == "/ir/config/secret" and .Value != "s")'
	api events put-events --entries '[{"Source":"ir.check","DetailType":"reorder","Detail":"{\"sku\":\"A1\"}"},{"Source":"ir.check","DetailType":"reorder","Detail":"not json"}]' |
		jq -e '.FailedEntryCount == 1 and (.Entries[0].EventId | length > 0) and .Entries[1].ErrorCode == "MalformedDetail"'
	entries=$(jq -nc '[range(11) | {Source:"ir",DetailType:"t",Detail:"{}"}]')
	run api events put-events --entries "$entries"
	[[ "$output" == *ValidationException* ]]
	AWS_SECRET_ACCESS_KEY=wrong run api secretsmanager get-secret-value --secret-id ir/pos/hmac
	[[ "$output" == *InvalidSignatureException* ]]
}

@test "aws: libcurl SigV4 accepted; wrong service scope and stale date rejected" {
	sig=(--aws-sigv4 "aws:amz:$AWS_REGION:events" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY")
	hdr=(-H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: AWSEvents.PutEvents')
	body='{"Entries":[{"Source":"ir","DetailType":"t","Detail":"{}"}]}'
	curl -sS "${sig[@]}" "${hdr[@]}" -d "$body" "$FAKE_APIS_URL/" | jq -e '.FailedEntryCount == 0'
	curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:ssm" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		"${hdr[@]}" -d "$body" "$FAKE_APIS_URL/" | jq -e '.__type == "InvalidSignatureException"'
	curl -sS "${hdr[@]}" -d "$body" "$FAKE_APIS_URL/" | jq -e '.__type == "MissingAuthenticationTokenException"'
	curl -sS "${sig[@]}" "${hdr[@]}" -H 'X-Amz-Date: 20200101T000000Z' -d "$body" "$FAKE_APIS_URL/" |
		jq -e '.__type == "InvalidSignatureException"'
}

@test "scheduler: one-off at() schedule, conflict on the same name, get" {
	sig=(--aws-sigv4 "aws:amz:$AWS_REGION:scheduler" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'Content-Type: application/json')
	body='{"ScheduleExpression":"at(2026-12-05T08:00:00)","ScheduleExpressionTimezone":"Asia/Singapore",
		"FlexibleTimeWindow":{"Mode":"OFF"},"ActionAfterCompletion":"DELETE",
		"Target":{"Arn":"arn:aws:lambda:ap-southeast-1:123456789012:function:ir-draft",
		"RoleArn":"arn:aws:iam::123456789012:role/ir-scheduler","Input":"{\"due\":true}"}}'
	curl -sS "${sig[@]}" -X POST -d "$body" "$AWS_ENDPOINT_URL_SCHEDULER/schedules/ir-draft-1" | jq -e '.ScheduleArn | endswith("schedule/default/ir-draft-1")'
	run curl -sS -w '%{http_code}' "${sig[@]}" -X POST -d "$body" "$AWS_ENDPOINT_URL_SCHEDULER/schedules/ir-draft-1"
	[[ "$output" == *409 ]]
	[[ "$output" == *"already exists"* ]]
	curl -sS "${sig[@]}" "$AWS_ENDPOINT_URL_SCHEDULER/schedules/ir-draft-1" |
		jq -e '.ScheduleExpressionTimezone == "Asia/Singapore" and .ActionAfterCompletion == "DELETE" and .Target.Input == "{\"due\":true}"'
	curl -sS "${sig[@]}" -X POST -d '{"ScheduleExpression":"at(2026-13-05T08:00:00)","FlexibleTimeWindow":{"Mode":"OFF"}}' \
		"$AWS_ENDPOINT_URL_SCHEDULER/schedules/bad" | jq -e '.Message | contains("Invalid Schedule Expression")'
	$AWS --endpoint-url "$AWS_ENDPOINT_URL_SCHEDULER" scheduler get-schedule --name ir-draft-1 | jq -e '.Name == "ir-draft-1"'
}
