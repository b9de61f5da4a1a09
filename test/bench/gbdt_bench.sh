#!/usr/bin/env bash
# Times the gbdt family against XGBoost 1.7 (tree_method="hist", Debian's
# python3-xgboost) on 100,000 rows x 20 columns: 100 trees of at most 63
# leaves and depth 6, 255 bins, learning rate 0.1, min_child_weight 1 and
# lambda 1 on both sides, no early stopping.  Both models score the same
# 20,000 held-out rows.
#
#   bash test/bench/gbdt_bench.sh ROOT PORT   # a cluster from test/dev_cluster.sh
#
# The gbdt time is fit_seconds of the model refitted on all 100,000 rows,
# the best of three identical trainings.  The XGBoost time is the best of
# three XGBClassifier.fit calls on the same rows, with one and with two
# threads.  Run it on an idle machine: other processes on the two cores
# change the times by half or more.
set -euo pipefail
cd "$(dirname "$0")"
host=$1
port=$2
user=${PGUSER:-postgres}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sql() { psql -h "$host" -p "$port" -U "$user" -X -q -v ON_ERROR_STOP=1 "$@"; }

sql -d postgres -c "DROP DATABASE IF EXISTS gbdt_bench" -c "CREATE DATABASE gbdt_bench"
sql -d gbdt_bench -c "CREATE EXTENSION automl" -f gbdt_bench.sql

params='{"n_estimators": 100, "learning_rate": 0.1, "max_leaves": 63, "max_depth": 6,
         "max_bins": 255, "min_child_weight": 1, "min_samples_leaf": 1, "lambda_l2": 1,
         "early_stopping_rounds": 0}'
best=
for run in 1 2 3; do
	sql -d gbdt_bench -c "
		SELECT model_id FROM automl_train('bench_train', 'y', exclude => ARRAY['id'],
										  algorithms => ARRAY['gbdt'],
										  hyperparameters => '$params',
										  seed => 1, time_budget => 600)" >/dev/null 2>&1
	seconds=$(sql -d gbdt_bench -At -c "
		SELECT automl_model_info(max(m.id)) -> 'model' ->> 'fit_seconds'
		FROM automl.models m JOIN automl.projects p ON p.id = m.project_id
		WHERE p.name = 'bench_train'")
	echo "gbdt run $run: fit $seconds s"
	if [ -z "$best" ] || awk "BEGIN {exit !($seconds < $best)}"; then best=$seconds; fi
done
echo "$best" > "$out/gbdt_seconds"

sql -d gbdt_bench -c "\copy (SELECT * FROM bench_train ORDER BY id) TO '$out/train.csv' CSV HEADER"
sql -d gbdt_bench -c "\copy (SELECT * FROM bench_test ORDER BY id) TO '$out/test.csv' CSV HEADER"
sql -d gbdt_bench -c "\copy (SELECT id, (automl_predict_proba('bench_train', t) ->> '1')::float8 FROM bench_test t ORDER BY id) TO '$out/gbdt_test.csv' CSV HEADER"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 xgboost_reference.py "$out"
