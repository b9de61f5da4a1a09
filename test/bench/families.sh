#!/usr/bin/env bash
# Benchmark every automl model family against scikit-learn and XGBoost on a
# fixed list of PMLB data sets.
#
#   PGHOST=... PGPORT=... PGUSER=... bash test/bench/families.sh [PMLB_DIR]
#
# PMLB_DIR defaults to ../shared/data/pmlb, relative to the repository top.
# psql connects through the usual PG* variables, to a database where the
# automl extension is installed or can be created.
#
# For each data set the script loads NAME/NAME.tsv.gz into schema bench and
# splits the rows 75/25 with a seeded hash of the row number.  It trains
# every family that serves the task (from automl_algorithms(), without the
# baseline) with its default hyperparameters through automl_train.  Test
# rows are predicted with automl_predict and scored in SQL.
# test/bench/reference.py then trains the reference methods on the same
# split with the same imputation and scaling.  Results go to
# test/bench/results/families.csv and to the section "Model families on
# PMLB" of docs/benchmarks.md.
#
# Settings, from the environment:
#   BENCH_DATASETS       space-separated data sets to run instead of the list
#   BENCH_SEED           seed of the train/test split (default 1)
#   BENCH_TIME_BUDGET    time_budget of each automl_train call (default 300)
#   BENCH_SKIP_REFERENCE set to 1 to leave out scikit-learn and XGBoost
#   PYTHON               interpreter for reference.py (default /usr/bin/python3)
#   OMP_WAIT_POLICY      for the reference methods (default PASSIVE, see below)
#
# Schema bench is dropped at the start, and so are the catalog rows of
# earlier runs (projects named bench_*).  A training or reference method that
# fails is recorded as failed and the run goes on.
set -uo pipefail
# A PMLB_DIR argument is relative to the caller's folder, the default to the
# repository top.
[ -n "${1:-}" ] && pmlb_arg=$(realpath -m -- "$1")
cd "$(dirname "$0")/../.."
# The data set list and the functions shared with search.sh.
. test/bench/common.sh

data_dir=${pmlb_arg:-../shared/data/pmlb}
datasets=${BENCH_DATASETS:-$DATASETS}
split_seed=${BENCH_SEED:-1}
time_budget=${BENCH_TIME_BUDGET:-300}
python=${PYTHON:-/usr/bin/python3}
# Idle OpenMP threads of HistGradientBoosting and XGBoost sleep rather than
# spin, because spinning on a 2-core machine shared with other jobs made one
# HistGradientBoosting fit about 5 times slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
results_csv=test/bench/results/families.csv
docs=docs/benchmarks.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Train family $3 on dataset $1 (task $2), predict its test rows, score them.
run_family() {
	local name=$1 task=$2 family=$3 classify=off

	[ "$task" = classification ] && classify=on
	"${PSQL[@]}" -v ds="$name" -v task="$task" -v family="$family" -v classify="$classify" \
		-v test="${name}_test" -v project="bench_${name}_$family" -v budget="$time_budget" <<'SQL'
SET client_min_messages = warning;
SELECT algorithm AS chosen, seconds AS call_seconds
FROM automl_train('bench.' || quote_ident(:'ds' || '_train'), 'target',
				  project => :'project', task => :'task', algorithms => ARRAY[:'family'],
				  hyperparameters => '{}', exclude => ARRAY['row_id'], seed => 1,
				  time_budget => :budget) \gset
SELECT t.fit_seconds / (t.budget ->> 'folds')::float8 AS fit_seconds, t.status AS trial_status,
	coalesce(t.error, '') AS trial_error
FROM automl.trials t
JOIN automl.tasks k ON k.id = t.task_id
JOIN automl.projects p ON p.id = k.project_id
WHERE p.name = :'project' AND t.algorithm = :'family' \gset

\i test/bench/score.sql

-- A family that lost to the baseline or ran out of time leaves automl
-- serving the baseline: scored as served, but marked.  A failed trial
-- keeps no scores.
INSERT INTO bench.results (dataset, task, method, status, accuracy, balanced_accuracy,
						   r2, rmse, fit_seconds, call_seconds, predict_seconds, error)
SELECT :'ds', :'task', 'automl/' || :'family', status,
	CASE WHEN status <> 'failed' THEN accuracy END,
	CASE WHEN status <> 'failed' THEN balanced_accuracy END,
	CASE WHEN status <> 'failed' THEN r2 END,
	CASE WHEN status <> 'failed' THEN rmse END,
	:fit_seconds, :call_seconds, :predict_seconds, nullif(:'trial_error', '')
FROM scores,
	LATERAL (SELECT CASE WHEN :'trial_status' <> 'ok' THEN :'trial_status'
						 WHEN :'chosen' <> :'family' THEN 'baseline'
						 ELSE 'ok' END AS status) s;
SQL
}

# Print the rows of one data set side by side.
print_dataset() {
	"${PSQL[@]}" -v ds="$1" <<'SQL'
SELECT d.dataset, d.task, d.n_rows AS rows, d.n_features AS features,
	d.n_classes AS classes, d.n_train AS train, d.n_test AS test
FROM bench.datasets d WHERE d.dataset = :'ds';
SELECT method, status,
	round(accuracy::numeric, 4) AS accuracy,
	round(balanced_accuracy::numeric, 4) AS balanced_acc,
	round(r2::numeric, 4) AS r2,
	round(rmse::numeric, 4) AS rmse,
	round(fit_seconds::numeric, 3) AS fit_s,
	round(call_seconds::numeric, 2) AS call_s,
	left(error, 60) AS error
FROM bench.results WHERE dataset = :'ds' ORDER BY id;
SQL
}

# Create bench.summary: per task and method, mean scores, rank and seconds.
summarise() {
	"${PSQL[@]}" <<'SQL'
CREATE VIEW bench.scored AS
SELECT r.*, CASE WHEN r.task = 'classification' THEN balanced_accuracy ELSE r2 END AS score
FROM bench.results r
WHERE status IN ('ok', 'baseline', 'timeout') AND method NOT IN ('load', 'reference');

-- Average rank within each data set, ties sharing the mean of their ranks.
CREATE VIEW bench.ranked AS
SELECT s.*, rank() OVER w + (count(*) OVER (PARTITION BY dataset, score) - 1) / 2.0 AS place
FROM bench.scored s
WINDOW w AS (PARTITION BY dataset ORDER BY score DESC NULLS LAST);

CREATE VIEW bench.summary AS
SELECT r.task, r.method, min(r.id) AS first_id,
	count(*) FILTER (WHERE s.id IS NOT NULL) AS scored,
	count(*) FILTER (WHERE r.status = 'failed') AS failed,
	count(*) FILTER (WHERE r.status IN ('baseline', 'timeout')) AS baseline,
	avg(s.accuracy) AS accuracy, avg(s.balanced_accuracy) AS balanced_accuracy,
	avg(s.r2) AS r2, percentile_cont(0.5) WITHIN GROUP (ORDER BY s.r2) AS median_r2,
	avg(s.place) AS mean_rank,
	avg(s.fit_seconds) AS fit_seconds, avg(s.call_seconds) AS call_seconds
FROM bench.results r LEFT JOIN bench.ranked s ON s.id = r.id
WHERE r.method NOT IN ('load', 'reference')
GROUP BY r.task, r.method;
SQL
}

print_summary() {
	"${PSQL[@]}" <<'SQL'
\echo '== summary: classification (means over the data sets each method scored)'
SELECT method, scored, failed, baseline AS lost_to_baseline,
	round(accuracy::numeric, 4) AS accuracy, round(balanced_accuracy::numeric, 4) AS balanced_acc,
	round(mean_rank::numeric, 2) AS mean_rank,
	round(fit_seconds::numeric, 3) AS fit_s, round(call_seconds::numeric, 2) AS call_s
FROM bench.summary WHERE task = 'classification' ORDER BY first_id;
\echo '== summary: regression (means over the data sets each method scored)'
SELECT method, scored, failed, baseline AS lost_to_baseline,
	round(r2::numeric, 4) AS r2, round(median_r2::numeric, 4) AS median_r2,
	round(mean_rank::numeric, 2) AS mean_rank,
	round(fit_seconds::numeric, 3) AS fit_s, round(call_seconds::numeric, 2) AS call_s
FROM bench.summary WHERE task = 'regression' ORDER BY first_id;
SQL
}

# Write every result row, with the data set's shape, to the results CSV.
export_csv() {
	mkdir -p "$(dirname "$results_csv")"
	"${PSQL[@]}" >"$results_csv" <<'SQL'
COPY (SELECT r.dataset, r.task, d.n_rows, d.n_features, d.n_classes, d.n_train, d.n_test, r.method, r.status, r.accuracy, r.balanced_accuracy, r.r2, r.rmse, r.fit_seconds, r.call_seconds, r.predict_seconds, r.error FROM bench.results r LEFT JOIN bench.datasets d USING (dataset) ORDER BY r.id) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
}

# Print a Markdown table of one task's summary.
markdown_summary() {
	local task=$1 columns

	if [ "$task" = classification ]; then
		echo "| method | data sets | failed | lost to baseline | accuracy | balanced accuracy | mean rank | fit s | call s |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		columns="to_char(accuracy, 'FM0.0000'), to_char(balanced_accuracy, 'FM0.0000')"
	else
		echo "| method | data sets | failed | lost to baseline | mean R² | median R² | mean rank | fit s | call s |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		columns="to_char(r2, 'FM999990.0000'), to_char(median_r2, 'FM999990.0000')"
	fi
	"${PSQL[@]}" -At -v task="$task" <<SQL
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |', method, scored, failed, baseline,
	$columns, to_char(mean_rank, 'FM990.00'),
	to_char(fit_seconds, 'FM99990.000'), coalesce(to_char(call_seconds, 'FM99990.00'), ''))
FROM bench.summary WHERE task = :'task' ORDER BY first_id;
SQL
}

# Print a Markdown table of one task's main score: a row per data set.
markdown_scores() {
	"${PSQL[@]}" -At -v task="$1" <<'SQL'
WITH methods AS (
	SELECT method, min(id) AS first_id FROM bench.results
	WHERE task = :'task' AND method NOT IN ('load', 'reference')
	GROUP BY method
)
SELECT '| data set | rows | ' || string_agg(method, ' | ' ORDER BY first_id) || ' |'
FROM methods
UNION ALL
SELECT '|---|---:|' || repeat('---:|', count(*)::integer) FROM methods HAVING count(*) > 0
UNION ALL
(SELECT format('| %s | %s | %s |', d.dataset, d.n_rows,
		string_agg(coalesce(to_char(CASE WHEN d.task = 'classification'
										 THEN r.balanced_accuracy ELSE r.r2 END,
									'FM999990.000')
							|| CASE WHEN r.status IN ('baseline', 'timeout') THEN '*' ELSE '' END,
							r.status, ''), ' | ' ORDER BY m.first_id))
 FROM bench.datasets d
 CROSS JOIN methods m
 LEFT JOIN bench.results r ON r.dataset = d.dataset AND r.method = m.method
 WHERE d.task = :'task'
 GROUP BY d.dataset, d.n_rows
 ORDER BY d.n_rows, d.dataset);
SQL
}

# Print a Markdown list of the failed runs, or a line saying there were none.
markdown_failures() {
	"${PSQL[@]}" -At <<'SQL'
SELECT coalesce(string_agg(format('- %s, %s: %s', dataset, method,
								  coalesce(error, 'no message')), E'\n' ORDER BY id),
				'No run failed.')
FROM bench.results WHERE status IN ('failed', 'skipped');
SQL
}

# Print the Markdown section "Model families on PMLB".
markdown_section() {
	local command=$1 started=$2 load=$3 n_datasets not_run=""

	n_datasets=$("${PSQL[@]}" -At -c "SELECT count(*) FROM bench.datasets")
	[ -n "$reference_note" ] && not_run=$'\n'"- Not run: $reference_note."
	cat <<EOF
## Model families on PMLB

Each automl family with its default hyperparameters, next to scikit-learn and
XGBoost with their defaults, on $n_datasets data sets of the Penn Machine Learning
Benchmarks. Every method trains on the same 75% of the rows (a seeded hash of
the row number) and is scored on the other 25%. The reference methods get the
inputs automl prepares: median imputation with missing indicators, then
standardisation, both fitted on the training rows.

- Command: \`$command\`
- Date: $started (UTC); the whole run took $((SECONDS / 60)) min $((SECONDS % 60)) s
- Machine: $(machine_description); load average $load at
  the start and $(cut -d ' ' -f 1 /proc/loadavg) at the end
- Software: $(software_versions)
- Checkout: $(checkout_description)
- automl: \`automl_train(train_view, 'target', algorithms => ARRAY[family],
  hyperparameters => '{}', exclude => ARRAY['row_id'], seed => 1,
  time_budget => $time_budget)\`, which scores the family with 5-fold
  cross-validation against the baseline and refits it on all training rows.
- Reference: LogisticRegression (classification) or Ridge (regression),
  DecisionTree, KNeighbors, GaussianNB (classification), RandomForest,
  HistGradientBoosting and MLP from scikit-learn with random_state=1, and
  XGBoost with n_estimators=100, tree_method="hist", nthread=2, all run
  with OMP_WAIT_POLICY=$OMP_WAIT_POLICY.$not_run

Scores are means over the data sets a method scored. Mean rank is the mean
place of the method among all methods on each data set (1 is best; ties share
the mean of their places), by balanced accuracy or R². "Lost to baseline"
counts runs where automl's cross-validation found the family no better than
the baseline (or the family ran out of time), so automl served the baseline;
those runs are scored as served and marked * below. Fit s is the mean time of
one fit. For scikit-learn and XGBoost it is the fit on the training rows. For
automl it is the cross-validation time of the family's trial divided by the 5
folds, each fold fitting on 80% of the training rows and predicting the rest.
Call s is the whole automl_train call: loading, preprocessing, the baseline,
5-fold cross-validation, the refit and the catalog writes.
A single very poor fit can pull a mean R² far below zero, so the median R²
and the mean rank are the steadier summaries for regression.

### Classification

$(markdown_summary classification)

Balanced accuracy on the test rows:

$(markdown_scores classification)

### Regression

$(markdown_summary regression)

R² on the test rows:

$(markdown_scores regression)

### Failures

$(markdown_failures)

Every row, with accuracy, RMSE and timings, is in
[test/bench/results/families.csv](../test/bench/results/families.csv).
EOF
}

# Replace the section "Model families on PMLB" of docs/benchmarks.md, or add it.
write_docs() {
	local section=$work/section.md

	markdown_section "$1" "$2" "$3" >"$section"
	replace_section "$section" "Model families on PMLB" "$docs"
}

main() {
	local command="bash test/bench/families.sh${1:+ $1}" started load name task families

	[ -n "${BENCH_DATASETS:-}" ] && command="BENCH_DATASETS='$BENCH_DATASETS' $command"
	started=$(date -u '+%Y-%m-%d %H:%M')
	load=$(cut -d ' ' -f 1 /proc/loadavg)
	SECONDS=0
	if [ ! -d "$data_dir" ]; then
		echo "PMLB folder $data_dir not found. Pass its path as the first argument." >&2
		exit 1
	fi
	setup_schema bench || exit 1
	families=$("${PSQL[@]}" -At -F ' ' -c "SELECT algorithm, classification, regression FROM automl_algorithms() WHERE algorithm <> 'baseline'") || exit 1

	check_reference

	for name in $datasets; do
		task=$(dataset_task "$name")
		if [ "$task" != classification ] && [ "$task" != regression ]; then
			echo "== $name: skipped, no \"task: classification\" or \"task: regression\" in $data_dir/$name/metadata.yaml"
			record_failure "$name" "" load "no task: classification or task: regression in $data_dir/$name/metadata.yaml"
			continue
		fi
		echo "== $name ($task)"
		if ! load_dataset "$name" "$task" 2>"$work/load.err"; then
			record_failure "$name" "$task" load "$(error_line "$work/load.err")"
			print_dataset "$name"
			continue
		fi
		while read -r family classification regression; do
			[ "$task" = classification ] && [ "$classification" != t ] && continue
			[ "$task" = regression ] && [ "$regression" != t ] && continue
			if ! run_family "$name" "$task" "$family" 2>"$work/family.err"; then
				record_failure "$name" "$task" "automl/$family" "$(error_line "$work/family.err")"
			fi
		done <<<"$families"
		[ -n "$reference" ] && run_reference "$name" "$task"
		print_dataset "$name"
	done

	summarise && print_summary
	export_csv && echo "wrote $results_csv"
	write_docs "$command" "$started" "$load" && echo "wrote $docs"
}

main "$@"
