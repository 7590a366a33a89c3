# Shared setup for the bats suites: every test gets its own store, outbox
# and config, the programs from bin/, and a fixed clock.
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
FIX="$REPO/tests/bats/fixtures"

setup() {
	T="$(mktemp -d)"
	export PATH="$REPO/bin:$PATH"
	: > "$T/ir.conf"
	export IR_CONF="$T/ir.conf"
	export IR_STORE="sqlite:$T/ir.db"
	export IR_NOTIFY="outbox:$T/outbox"
	export IR_MAIL="outbox:$T/outbox"
	export IR_TZ="Asia/Singapore"
	export IR_NOW="2026-12-04T09:00:00+08:00"
	export IR_FROM="orders@shop.example.com"
	export IR_OWNER_EMAIL="owner@shop.example.com"
	unset IR_STOCK IR_RULES IR_SUPPLIERS IR_QUIET_HOURS IR_QUIET_DAYS \
		IR_FALLBACK_SUPPLIER IR_ORDER_CAP IR_FAULT IR_LOG_FORMAT \
		IR_WATCH_MARGIN IR_DAYS_OF_COVER IR_SKIP_COOLDOWN_DAYS \
		IR_DEFAULT_LEAD_TIME_DAYS
	cd "$T"
}

teardown() {
	cd /
	rm -rf "$T"
}

# The sample shop's three documents.
sample_sync() {
	ir-sync "$REPO/samples/stock.csv" --rules "$REPO/samples/rules.txt" \
		--suppliers "$REPO/samples/suppliers.txt" "$@"
}

# The worked examples of rules.md as items.
examples_sync() {
	ir-sync "$FIX/examples.csv" --suppliers "$FIX/examples-suppliers.txt"
}

sql() {
	sqlite3 "$T/ir.db" "$@"
}
