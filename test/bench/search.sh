#!/usr/bin/env bash
# Benchmark the whole automl search at a fixed time budget against XGBoost
# and scikit-learn's HistGradientBoosting with their defaults, on the PMLB
# data sets of families.sh.
#
#   PGHOST=... PGPORT=... PGUSER=... bash test/bench/search.sh [PMLB_DIR]
#
# PMLB_DIR defaults to ../shared/data/pmlb, relative to the repository top.
# psql connects through the usual PG* variables, to a database where the
# automl extension is installed or can be created.
#
# For each data set the script loads NAME/NAME.tsv.gz into schema bench and
# splits the rows 75/25 with a seeded hash of the row number, as families.sh
# does.  automl_train reads only the training view and searches every family
# with the default metric (balanced accuracy or RMSE) until the time budget
# ends.  Its model predicts the test rows, scored in SQL by balanced accuracy
# (classification) or R^2 (regression).  test/bench/reference.py then trains
# XGBoost and HistGradientBoosting on the same split with the same
# imputation and scaling.  Results go to test/bench/results/search.csv and
# to the section "Search at a N-second budget" of docs/benchmarks.md.
#
# Settings, from the environment:
#   BENCH_DATASETS       space-separated data sets to run instead of the list
#   BENCH_SEED           seed of the train/test split (default 1)
#   BENCH_TIME_BUDGET    time_budget of each automl_train call (default 60)
#   BENCH_MAX_TRIALS     max_trials of each call (default 100000, so the budget ends it)
#   BENCH_SKIP_REFERENCE set to 1 to leave out XGBoost and HistGradientBoosting
#   PYTHON               interpreter for reference.py (default /usr/bin/python3)
#   OMP_WAIT_POLICY      for the reference methods (default PASSIVE)
#
# Schema bench is dropped at the start, and so are the catalog rows of
# earlier runs (projects named benchsearch_*) and the prior tasks of the
# benchmarked data sets (kb_hide_priors in test/kb/common.sh).  A data set
# that fails to load or train is recorded as failed and the run goes on.
set -uo pipefail
# A PMLB_DIR argument is relative to the caller's folder, the default to the
# repository top.
[ -n "${1:-}" ] && pmlb_arg=$(realpath -m -- "$1")
cd "$(dirname "$0")/../.."
# The data set list and the functions shared with families.sh.
. test/bench/common.sh
. test/kb/common.sh

data_dir=${pmlb_arg:-../shared/data/pmlb}
datasets=${BENCH_DATASETS:-$DATASETS}
split_seed=${BENCH_SEED:-1}
time_budget=${BENCH_TIME_BUDGET:-60}
# Enough trials that the time budget, not the trial count, ends the search,
# unless BENCH_MAX_TRIALS sets a count (with a long budget, a repeatable run).
max_trials=${BENCH_MAX_TRIALS:-100000}
reference_methods=xgboost,sklearn/hist_gbdt
python=${PYTHON:-/usr/bin/python3}
# As in families.sh: idle OpenMP threads sleep rather than spin.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
results_csv=test/bench/results/search.csv
docs=docs/benchmarks.md
title="Search at a ${time_budget}-second budget"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Add the columns of a search to bench.results, and the views that compare
# automl with the better of the two reference methods on each data set.
setup_search_tables() {
	"${PSQL[@]}" <<'SQL'
-- trials, chosen and cv_score: what automl_train returned; members: the
-- families of an ensemble with their summed weights and member counts;
-- lead: the chosen family, or an ensemble's heaviest; wall_seconds: the
-- call as timed by the client.
ALTER TABLE bench.results
	ADD COLUMN trials integer,
	ADD COLUMN chosen text,
	ADD COLUMN members text,
	ADD COLUMN lead text,
	ADD COLUMN cv_score float8,
	ADD COLUMN wall_seconds float8;

CREATE VIEW bench.scored AS
SELECT r.*, CASE WHEN r.task = 'classification' THEN balanced_accuracy ELSE r2 END AS score
FROM bench.results r
WHERE status IN ('ok', 'baseline') AND method IN ('automl', 'xgboost', 'sklearn/hist_gbdt');

-- One row per data set: the three scores, the better reference score (of
-- those that scored) and automl's margin over it.
CREATE VIEW bench.comparison AS
SELECT d.dataset, d.task, d.n_rows, d.n_features, d.n_classes,
	a.score AS automl, x.score AS xgboost, h.score AS hgb,
	greatest(x.score, h.score) AS best_reference,
	a.score - greatest(x.score, h.score) AS margin,
	r.status AS automl_status, r.chosen, r.members, r.lead, r.trials, r.call_seconds
FROM bench.datasets d
LEFT JOIN bench.results r ON r.dataset = d.dataset AND r.method = 'automl'
LEFT JOIN bench.scored a ON a.dataset = d.dataset AND a.method = 'automl'
LEFT JOIN bench.scored x ON x.dataset = d.dataset AND x.method = 'xgboost'
LEFT JOIN bench.scored h ON h.dataset = d.dataset AND h.method = 'sklearn/hist_gbdt';

-- Per task and over all data sets.  A data set where automl did not score
-- counts as not beating the references.
CREATE VIEW bench.headline AS
SELECT coalesce(task, 'all') AS task, count(*) AS datasets,
	count(automl) AS automl_scored, count(xgboost) AS xgboost_scored,
	count(hgb) AS hgb_scored,
	avg(automl) AS automl, avg(xgboost) AS xgboost, avg(hgb) AS hgb,
	avg(best_reference) AS best_reference,
	count(*) FILTER (WHERE automl > xgboost) AS beats_xgboost,
	count(*) FILTER (WHERE automl > hgb) AS beats_hgb,
	count(*) FILTER (WHERE automl > best_reference) AS beats_best,
	count(*) FILTER (WHERE automl = best_reference) AS ties_best,
	count(*) FILTER (WHERE automl > best_reference)::float8 / count(*) AS fraction_beats_best,
	avg(margin) AS mean_margin,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY margin) AS median_margin
FROM bench.comparison
GROUP BY ROLLUP (task)
ORDER BY grouping(task), task;
SQL
}

# Search dataset $1 (task $2) with automl_train, predict its test rows and
# score them.
run_search() {
	local name=$1 task=$2 classify=off

	[ "$task" = classification ] && classify=on
	"${PSQL[@]}" -v ds="$name" -v task="$task" -v classify="$classify" \
		-v test="${name}_test" -v project="benchsearch_$name" -v budget="$time_budget" \
		-v max_trials="$max_trials" <<'SQL'
SET client_min_messages = warning;
SELECT clock_timestamp() AS train_start \gset
SELECT algorithm AS chosen, seconds AS call_seconds, trials, score AS cv_score, model_id
FROM automl_train('bench.' || quote_ident(:'ds' || '_train'), 'target',
				  task => :'task', exclude => ARRAY['row_id'], time_budget => :budget,
				  max_trials => :max_trials, seed => 1, project => :'project') \gset
SELECT extract(epoch FROM clock_timestamp() - :'train_start'::timestamptz) AS wall_seconds \gset
-- An ensemble's families, heaviest first: member count and summed weight.
SELECT coalesce(string_agg(format('%s×%s %s', algorithm, n, to_char(weight, 'FM0.00')),
						   ', ' ORDER BY weight DESC, algorithm), '') AS members,
	coalesce((array_agg(algorithm ORDER BY weight DESC, algorithm))[1], :'chosen') AS lead
FROM (SELECT m ->> 'algorithm' AS algorithm, sum((m ->> 'weight')::float8) AS weight,
			 count(*) AS n
	  FROM jsonb_array_elements(automl_model_info(:model_id) -> 'model' -> 'members') m
	  WHERE :'chosen' = 'ensemble'
	  GROUP BY 1) f \gset

\i test/bench/score.sql

-- automl serving the baseline is scored as served, but marked.
INSERT INTO bench.results (dataset, task, method, status, accuracy, balanced_accuracy,
						   r2, rmse, call_seconds, predict_seconds, trials, chosen,
						   members, lead, cv_score, wall_seconds)
SELECT :'ds', :'task', 'automl',
	CASE WHEN :'chosen' = 'baseline' THEN 'baseline' ELSE 'ok' END,
	accuracy, balanced_accuracy, r2, rmse, :call_seconds, :predict_seconds, :trials,
	:'chosen', nullif(:'members', ''), :'lead', :cv_score, :wall_seconds
FROM scores;
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
	trials, chosen, left(members, 50) AS members,
	left(error, 60) AS error
FROM bench.results WHERE dataset = :'ds' ORDER BY id;
SQL
}

print_summary() {
	"${PSQL[@]}" -v budget="$time_budget" <<'SQL'
\echo '== data sets (balanced accuracy or R^2 on the test rows)'
SELECT dataset, task, n_rows AS rows, round(automl::numeric, 4) AS automl,
	round(xgboost::numeric, 4) AS xgboost, round(hgb::numeric, 4) AS hgb,
	round(margin::numeric, 4) AS margin, chosen, trials,
	round(call_seconds::numeric, 1) AS seconds
FROM bench.comparison ORDER BY task, n_rows, dataset;
\echo '== summary: mean scores, and data sets where automl beats each reference'
SELECT task, datasets, automl_scored, round(automl::numeric, 4) AS automl,
	round(xgboost::numeric, 4) AS xgboost, round(hgb::numeric, 4) AS hgb,
	round(best_reference::numeric, 4) AS better_of_two,
	beats_xgboost, beats_hgb, beats_best, ties_best,
	round(fraction_beats_best::numeric, 3) AS fraction,
	round(mean_margin::numeric, 4) AS mean_margin
FROM bench.headline;
\echo '== time budget: seconds of automl_train minus the budget'
SELECT count(*) AS runs, round(max(call_seconds - :budget)::numeric, 2) AS max_over,
	round(avg(call_seconds - :budget)::numeric, 2) AS mean_over,
	count(*) FILTER (WHERE call_seconds > :budget) AS runs_over,
	round(max(wall_seconds - :budget)::numeric, 2) AS max_wall_over
FROM bench.results WHERE method = 'automl' AND call_seconds IS NOT NULL;
SQL
}

# Write every result row, with the data set's shape, to the results CSV.
export_csv() {
	mkdir -p "$(dirname "$results_csv")"
	"${PSQL[@]}" >"$results_csv" <<'SQL'
COPY (SELECT r.dataset, r.task, d.n_rows, d.n_features, d.n_classes, d.n_train, d.n_test, r.method, r.status, r.accuracy, r.balanced_accuracy, r.r2, r.rmse, r.fit_seconds, r.call_seconds, r.wall_seconds, r.predict_seconds, r.trials, r.chosen, r.members, r.lead, r.cv_score, r.error FROM bench.results r LEFT JOIN bench.datasets d USING (dataset) ORDER BY r.id) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
}

# Print the Markdown table of the headline numbers.
markdown_headline() {
	echo "| task | data sets | automl | XGBoost | HGB | better of the two | beats XGBoost | beats HGB | beats the better | ties | fraction beating the better | mean margin | median margin |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	"${PSQL[@]}" -At <<'SQL'
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |',
	task, datasets, to_char(automl, 'FM990.0000'), to_char(xgboost, 'FM990.0000'),
	to_char(hgb, 'FM990.0000'), to_char(best_reference, 'FM990.0000'),
	beats_xgboost, beats_hgb, beats_best, ties_best,
	to_char(100 * fraction_beats_best, 'FM990') || '%',
	to_char(mean_margin, 'FMS990.0000'), to_char(median_margin, 'FMS990.0000'))
FROM bench.headline;
SQL
}

# Print one line per target: whether automl met it.
markdown_targets() {
	"${PSQL[@]}" -At <<'SQL'
SELECT format('- Beat the better of the two on average (mean margin above 0): %s (%s).',
			  CASE WHEN mean_margin > 0 THEN 'met' ELSE 'not met' END,
			  to_char(mean_margin, 'FMS990.0000'))
	|| E'\n' ||
	format('- Beat the better of the two on at least 80%% of the data sets: %s (%s of %s, %s%%).',
		   CASE WHEN fraction_beats_best >= 0.8 THEN 'met' ELSE 'not met' END,
		   beats_best, datasets, to_char(100 * fraction_beats_best, 'FM990'))
FROM bench.headline WHERE task = 'all';
SQL
}

# Print the Markdown table of the time budget's overshoot.
markdown_budget() {
	echo "| runs | max over (s) | mean over (s) | runs over the budget | max over, client clock (s) | mean trials | median trials |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	"${PSQL[@]}" -At -v budget="$time_budget" <<'SQL'
SELECT format('| %s | %s | %s | %s | %s | %s | %s |', count(*),
	to_char(max(call_seconds - :budget), 'FMS990.00'),
	to_char(avg(call_seconds - :budget), 'FMS990.00'),
	count(*) FILTER (WHERE call_seconds > :budget),
	to_char(max(wall_seconds - :budget), 'FMS990.00'),
	to_char(avg(trials), 'FM999990'),
	percentile_cont(0.5) WITHIN GROUP (ORDER BY trials))
FROM bench.results WHERE method = 'automl' AND call_seconds IS NOT NULL;
SQL
}

# Print a Markdown list of the values of column $1 of automl's rows, each
# with the number of data sets that have it.
markdown_counts() {
	"${PSQL[@]}" -At <<SQL
SELECT coalesce(string_agg(format('%s on %s', value, n), ', ' ORDER BY n DESC, value), 'none')
FROM (SELECT $1 AS value, count(*) AS n FROM bench.results
	  WHERE method = 'automl' AND $1 IS NOT NULL GROUP BY $1) c;
SQL
}

# Print the Markdown table of every data set.
markdown_datasets() {
	echo "| data set | task | rows | features | automl | XGBoost | HGB | margin | chosen | trials | seconds |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"
	"${PSQL[@]}" -At <<'SQL'
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |', dataset,
	task, n_rows, n_features,
	coalesce(to_char(automl, 'FM990.000') || CASE WHEN automl_status = 'baseline' THEN '*' ELSE '' END,
			 automl_status, 'failed'),
	coalesce(to_char(xgboost, 'FM990.000'), 'failed'),
	coalesce(to_char(hgb, 'FM990.000'), 'failed'),
	coalesce(to_char(margin, 'FMS990.000'), ''),
	coalesce(chosen || coalesce(' (' || members || ')', ''), ''),
	coalesce(trials::text, ''), coalesce(to_char(call_seconds, 'FM9990.0'), ''))
FROM bench.comparison ORDER BY task, n_rows, dataset;
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

# Print the Markdown section "Search at a N-second budget".
markdown_section() {
	local command=$1 started=$2 load=$3 past_tasks=$4 n_datasets not_run=""

	n_datasets=$("${PSQL[@]}" -At -c "SELECT count(*) FROM bench.datasets")
	[ -n "$reference_note" ] && not_run=$'\n'"- Not run: $reference_note."
	cat <<EOF
## $title

The whole automl search runs with every family at a time budget of
$time_budget seconds per data set. It is compared with XGBoost and scikit-learn's
HistGradientBoosting (HGB) with their defaults on $n_datasets data sets of the
Penn Machine Learning Benchmarks (the list of "Model families on PMLB").
Every method trains on the same 75% of the rows (a seeded hash of the row
number) and is scored on the other 25%, which automl_train never sees. The
reference methods get the inputs automl prepares: median imputation with
missing indicators, then standardisation, both fitted on the training rows.
Scores are balanced accuracy for classification and R² for regression.

- Command: \`$command\`
- Date: $started (UTC); the whole run took $((SECONDS / 60)) min $((SECONDS % 60)) s
- Machine: $(machine_description); load average $load at
  the start and $(cut -d ' ' -f 1 /proc/loadavg) at the end
- Software: $(software_versions)
- Checkout: $(checkout_description); families searched:
  $("${PSQL[@]}" -At -c "SELECT string_agg(algorithm, ', ' ORDER BY algorithm) FROM automl_algorithms() WHERE algorithm <> 'baseline'")
- automl: \`automl_train(train_view, 'target', task => task,
  exclude => ARRAY['row_id'], time_budget => $time_budget, max_trials => $max_trials,
  seed => 1, project => 'benchsearch_' || name)\`. The metric is the default
  (balanced accuracy or RMSE). The default warm start begins the search with
  the best configurations of the nearest past tasks of the same kind: those
  of the data sets run before it, and the $past_tasks tasks the catalog held
  at the start. The knowledge base's own tasks for the benchmarked data sets
  are removed first, with other tasks' scores of their best configurations,
  because the knowledge base tuned them on all rows, the test rows included.
- Reference: XGBoost with n_estimators=100, tree_method="hist", nthread=2,
  and HistGradientBoostingClassifier or HistGradientBoostingRegressor with
  its defaults and random_state=1, run with OMP_WAIT_POLICY=$OMP_WAIT_POLICY.$not_run

### Against the better of XGBoost and HGB

Means are over the data sets each method scored; the "all" row mixes
balanced accuracy and R². Margin is automl's score minus the better of the
two references' scores on the same data set; beating means a strictly
higher score. A data set where automl failed counts as not beating.

$(markdown_headline)

Targets set before the run:

$(markdown_targets)

### Time budget

Over is \`seconds\` returned by automl_train minus the budget of
$time_budget s; the client clock adds the round trip of the call.

$(markdown_budget)

Chosen: $(markdown_counts chosen). The chosen family, or an ensemble's
heaviest: $(markdown_counts lead).

### Data sets

Balanced accuracy or R² on the test rows; * marks automl serving the
baseline. Chosen is the returned algorithm; for an ensemble, each family
with its member count and summed weight (mlp×6 1.00: six MLPs).

$(markdown_datasets)

### Failures

$(markdown_failures)

Every row, with accuracy, RMSE and timings, is in
[test/bench/results/search.csv](../test/bench/results/search.csv).
EOF
}

# Replace the section of this budget in docs/benchmarks.md, or add it.
write_docs() {
	local section=$work/section.md

	markdown_section "$@" >"$section"
	replace_section "$section" "$title" "$docs"
}

main() {
	local command="bash test/bench/search.sh${1:+ $1}" started load name task past_tasks

	[ -n "${BENCH_DATASETS:-}" ] && command="BENCH_DATASETS='$BENCH_DATASETS' $command"
	[ -n "${BENCH_TIME_BUDGET:-}" ] && command="BENCH_TIME_BUDGET=$BENCH_TIME_BUDGET $command"
	started=$(date -u '+%Y-%m-%d %H:%M')
	load=$(cut -d ' ' -f 1 /proc/loadavg)
	SECONDS=0
	if [ ! -d "$data_dir" ]; then
		echo "PMLB folder $data_dir not found. Pass its path as the first argument." >&2
		exit 1
	fi
	setup_schema benchsearch || exit 1
	setup_search_tables || exit 1
	# The knowledge base tuned its tasks on all rows, test rows included.
	kb_hide_priors "$datasets" || exit 1
	past_tasks=$("${PSQL[@]}" -At -c "SELECT count(*) FROM automl.tasks") || exit 1
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
		if ! run_search "$name" "$task" 2>"$work/search.err"; then
			record_failure "$name" "$task" automl "$(error_line "$work/search.err")"
		fi
		[ -n "$reference" ] && run_reference "$name" "$task" --methods "$reference_methods"
		print_dataset "$name"
	done

	print_summary
	export_csv && echo "wrote $results_csv"
	write_docs "$command" "$started" "$load" "$past_tasks" && echo "wrote $docs"
}

main "$@"
