#!/usr/bin/env bash
# Run the leave-family-out evaluation (test/kb/evaluate.sh) end to end on
# two small tables, iris and penguins from test/data, with tiny trial
# budgets and two seeds, then append a third cold seed.  Checks the
# per-task CSV (methods, seed counts, regrets within [0, 1], NDCG@5 for the
# warm start), the section written to the benchmarks page, and the warning
# for a seed that has no cold run.  Then scores the incumbents again on
# fresh folds (test/kb/revalidate.sh) and checks its CSV and section, and
# writes the evaluation's section again without running anything.  The
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
# the incumbents of all four seeds scored again on fresh folds, twice: the
# second run finds nothing left to score
for run in 1 2; do
	EVAL_TASKS='' REVALIDATE_REPEATS=2 bash "$copy/test/kb/revalidate.sh" "$copy/data" \
		>"$copy/revalidate$run.log" 2>&1 ||
		{ cat "$copy/revalidate$run.log"; echo "revalidation $run failed"; exit 1; }
done
fresh_csv=$copy/test/bench/results/metalearning_fresh_folds.csv
# the report alone: the section written again from schema eval, no run
runs_before=$(psql -At -c "SELECT count(*) FROM eval.runs")
EVAL_REPORT=1 bash "$copy/test/kb/evaluate.sh" "$copy/data" >"$copy/report.log" 2>&1 ||
	{ cat "$copy/report.log"; echo "report failed"; exit 1; }
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

# dataset,task,family,method,trials,regret_fresh_folds,seeds
check "fresh folds: tasks and methods" \
	"$(awk -F, 'NR > 1 { print $1 "/" $4 }' "$fresh_csv" | sort -u | tr '\n' ' ')" \
	"iris/cold iris/l1_adaptive penguins/cold penguins/l1_adaptive "
check "fresh folds: warm seeds" \
	"$(awk -F, 'NR > 1 && $4 == "l1_adaptive" { print $7 }' "$fresh_csv" | sort -u)" "3"
check "fresh folds: regrets within 0 and 1" \
	"$(awk -F, 'NR > 1 && ($6 == "" || $6 < 0 || $6 > 1)' "$fresh_csv" | wc -l)" "0"
check "fresh folds: no failed rescoring" \
	"$(psql -At -c "SELECT count(*) FROM eval.rescored WHERE error IS NOT NULL OR score IS NULL")" "0"
check "fresh folds: second run rescores nothing" \
	"$(grep -c '^0 incumbents to rescore$' "$copy/revalidate2.log")" "1"
check "fresh folds: target row on the page" \
	"$(grep -c '^| l1_adaptive | all | 2 | ' "$copy/docs/benchmarks.md")" "1"
check "report runs nothing" "$(psql -At -c "SELECT count(*) FROM eval.runs")" "$runs_before"
check "report writes the section" \
	"$(grep -c '^Command: `EVAL_REPORT=1 bash test/kb/evaluate.sh' "$copy/docs/benchmarks.md")" "1"

[ "$failures" -eq 0 ]
