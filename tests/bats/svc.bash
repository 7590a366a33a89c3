# Shared by the suites that run against the local servers of
# scripts/services: bring them up once per file, and small readers of what
# the servers received.

svc_up() {
	SVC="$BATS_FILE_TMPDIR/svc"
	export SVC
	"$REPO/scripts/services" up "$SVC" >&3 2>&1 || "$REPO/scripts/services" up "$SVC"
	# shellcheck disable=SC1091
	. "$SVC/services.env"
	AWS=aws
	[ -x /usr/bin/aws ] && AWS=/usr/bin/aws
	export AWS AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}

svc_down() {
	"$REPO/scripts/services" down "$SVC"
}

# What fake-apis received, as a JSON array.
fake_requests() {
	curl -sS "$FAKE_APIS_URL/_requests"
}

fake_reset() {
	curl -sS -X POST "$FAKE_APIS_URL/_reset" > /dev/null
}

fake_state() {
	curl -sS "$FAKE_APIS_URL/_state"
}

# fake_fail JSON: the next matching requests fail as described.
fake_fail() {
	curl -sS -X POST "$FAKE_APIS_URL/_fail" -H 'Content-Type: application/json' -d "$1" > /dev/null
}

fake_post() {
	curl -sS -X POST "$FAKE_APIS_URL/$1" -H 'Content-Type: application/json' -d "$2" > /dev/null
}
