#!/usr/bin/env bash
# Install what is missing, build, start a throwaway cluster and run every
# suite: the pg_regress tests, a pg_dump round trip, a pg_cron job, the
# leave-family-out evaluation on two small tables and the demo.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib.sh

install_packages
build_and_install
start_cluster

passed=0
failed=0

# Count one suite's result: "ok" or the failure message.
record() {
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok: $2"
	else
		failed=$((failed + 1))
		echo "FAILED: $2"
	fi
}

# pg_regress: one result per test file.
regress_log=$(mktemp)
make -s PG_CONFIG=$PG_BIN/pg_config installcheck >"$regress_log" 2>&1 || true
cat "$regress_log"
while read -r name status; do
	record "$status" "regress $name"
done < <(sed -nE 's/^(not ok|ok|test)[ 0-9-]*([a-z_]+) +\.\.\. +(ok|FAILED).*/\2 \3/p' "$regress_log")
if grep -q FAILED "$regress_log" && [ -f regression.diffs ]; then
	head -200 regression.diffs
fi
rm -f "$regress_log"

# pg_dump keeps the catalog: a restored database predicts the same.
if bash test/dump_restore.sh; then record ok "dump and restore"; else record fail "dump and restore"; fi

stop_cluster
trap - EXIT

# A pg_cron job retrains the task encoder, on its own cluster.
cron_log=$(mktemp)
if PGPORT=55434 bash test/cron.sh >"$cron_log" 2>&1; then
	tail -n 1 "$cron_log"
	record ok "pg_cron encoder job"
else
	cat "$cron_log"
	record fail "pg_cron encoder job"
fi
rm -f "$cron_log"

# The leave-family-out evaluation, end to end on two small tables.
evaluate_log=$(mktemp)
if PGPORT=55435 bash test/evaluate_smoke.sh >"$evaluate_log" 2>&1; then
	record ok "evaluation script"
else
	cat "$evaluate_log"
	record fail "evaluation script"
fi
rm -f "$evaluate_log"

# The demo command, on its own cluster: it must train, deploy and predict.
demo_log=$(mktemp)
if PGPORT=55433 bash test/demo.sh >"$demo_log" 2>&1 &&
	grep -q "first model of the project" "$demo_log" &&
	grep -q "(8 rows)" "$demo_log"; then
	record ok "demo"
else
	cat "$demo_log"
	record fail "demo"
fi
rm -f "$demo_log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
