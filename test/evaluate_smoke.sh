#!/usr/bin/env bash
# Run the leave-family-out evaluation (test/kb/evaluate.sh) end to end on
# two small tables, iris and penguins from test/data, with tiny trial
# budgets and two seeds, then append a third cold seed.  Checks the
# per-task CSV (methods, seed counts, regrets within [0, 1], NDCG@5 for the
# warm start), the section written to the benchmarks page, and the warning
# for a seed that has no cold run.  The
# evaluation writes into a copy of the repository, so the checkout stays
# as it is.  Starts its own cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib.sh

PGPORT=${PGPORT:-55435}
start_cluster

copy=$(mktemp -d /tmp/automl-evaluate.XXXXXX)
trap 'stop_cluster; rm -rf "$copy"' EXIT
mkdir -p "$copy/data/iris" "$copy/data/penguins"
cp -r test sql docs "$copy/"

# The knowledge base names these tasks iris and penguins.  The evaluation
# reads PMLB's layout: NAME/NAME.tsv.gz, tab-separated, label "target".
sed -e '1s/species$/target/' -e 's/,/\t/g' test/data/iris.csv | gzip >"$copy/data/iris/iris.tsv.gz"
sed -e '1s/^species,/target,/' -e 's/,/\t/g' test/data/penguins.csv |
	gzip >"$copy/data/penguins/penguins.tsv.gz"

psql -q -d postgres -c "CREATE DATABASE evalsmoke"
export PGDATABASE=evalsmoke EVAL_TASKS='iris penguins' EVAL_COLD_TRIALS=6 EVAL_WARM_TRIALS=4
EVAL_METHODS='cold l1_adaptive' EVAL_SEEDS='1 2' bash "$copy/test/kb/evaluate.sh" "$copy/data" >"$copy/run1.log" 2>&1 ||
	{ cat "$copy/run1.log"; echo "evaluation failed"; exit 1; }
EVAL_APPEND=1 EVAL_METHODS=cold EVAL_SEEDS=3 bash "$copy/test/kb/evaluate.sh" "$copy/data" >"$copy/run2.log" 2>&1 ||
	{ cat "$copy/run2.log"; echo "appended evaluation failed"; exit 1; }

csv=$copy/run2.csv
cp "$copy/test/bench/results/metalearning.csv" "$csv"
cp "$copy/docs/benchmarks.md" "$copy/run2.md"
# a warm seed without a cold run, which has no baseline to scale its regret
EVAL_APPEND=1 EVAL_METHODS=l1_adaptive EVAL_SEEDS=4 bash "$copy/test/kb/evaluate.sh" "$copy/data" >"$copy/run3.log" 2>&1 ||
	{ cat "$copy/run3.log"; echo "evaluation without a cold run failed"; exit 1; }
failures=0

# Print "ok" or the reason, and count failures.
check() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAILED: $1: expected $3, got $2"
		failures=$((failures + 1))
	fi
}

# dataset,task,family,fold,method,trials,regret,ndcg_at_5,seeds
check "tasks and methods" \
	"$(awk -F, 'NR > 1 { print $1 "/" $5 }' "$csv" | sort -u | tr '\n' ' ')" \
	"iris/cold iris/l1_adaptive penguins/cold penguins/l1_adaptive "
check "cold seeds after the append" \
	"$(awk -F, 'NR > 1 && $5 == "cold" { print $9 }' "$csv" | sort -u)" "3"
check "warm seeds kept by the append" \
	"$(awk -F, 'NR > 1 && $5 == "l1_adaptive" { print $9 }' "$csv" | sort -u)" "2"
check "regrets within 0 and 1" \
	"$(awk -F, 'NR > 1 && ($7 == "" || $7 < 0 || $7 > 1)' "$csv" | wc -l)" "0"
check "cold curve never rises" \
	"$(awk -F, 'NR > 1 && $5 == "cold" { if ($1 == task && $7 > last + 1e-9) bad++; task = $1; last = $7 }
		END { print bad + 0 }' "$csv")" "0"
check "warm start NDCG@5 within 0 and 1" \
	"$(awk -F, 'NR > 1 && $5 == "l1_adaptive" && !($8 > 0 && $8 <= 1)' "$csv" | wc -l)" "0"
check "benchmarks page seeds column" \
	"$(grep -c '^| cold | .* | 2 | 1, 2, 3 |$' "$copy/run2.md")" "2"
check "warning for a seed without cold" \
	"$(grep -c '^warning: no cold run for .* with seed 4' "$copy/run3.log")" "2"

[ "$failures" -eq 0 ]
