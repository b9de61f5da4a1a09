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

# Classification and regression data sets of 159 to 19,020 rows, of many
# shapes: binary and multiclass, imbalanced, many features, few rows,
# integer-coded categories and interactions.
DATASETS="
analcatdata_authorship australian banana breast_w car_evaluation churn cmc
diabetes GAMETES_Epistasis_2_Way_20atts_0.4H_EDM_1_1 german hypothyroid
ionosphere led7 magic optdigits page_blocks pendigits phoneme satimage sonar
splice tic_tac_toe vehicle waveform_40 wine_quality_red yeast
1027_ESL 1030_ERA 195_auto_price 197_cpu_act 201_pol 225_puma8NH 229_pwLinear
294_satellite_image 4544_GeographicalOriginalofMusic 503_wind 505_tecator
529_pollen 547_no2 556_analcatdata_apnea2 560_bodyfat 561_cpu
607_fri_c4_1000_50 666_rmftsa_ladata 690_visualizing_galaxy 695_chatfield_4
"

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

PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# Print the last ERROR line of a psql error output, or the whole output.
error_line() {
	local line

	line=$(grep -m1 'ERROR:' "$1" | sed 's/^.*ERROR: *//')
	[ -n "$line" ] || line=$(tr '\n' ' ' <"$1")
	echo "${line:0:500}"
}

# Create schema bench with its tables and clear earlier runs from the catalog.
setup_schema() {
	"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
DROP SCHEMA IF EXISTS bench CASCADE;
DELETE FROM automl.projects WHERE name LIKE 'bench\_%';
CREATE SCHEMA bench;

-- A cell as a number: NULL when it is empty or not a number, as in reference.py.
CREATE FUNCTION bench.to_float8(cell text) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN btrim(cell) ~* '^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9]+)?$'
		OR lower(btrim(cell)) IN ('nan', '-nan', '+nan', 'inf', '-inf', '+inf',
								  'infinity', '-infinity', '+infinity')
		THEN btrim(cell)::float8 END
$$;

CREATE TABLE bench.datasets (
	dataset text PRIMARY KEY,
	task text NOT NULL,
	n_rows integer,
	n_features integer,
	n_classes integer,
	n_train integer,
	n_test integer
);

-- One row per data set and method.  fit_seconds: one fit (for automl, the
-- cross-validation time of its trial divided by the folds); call_seconds:
-- the whole automl_train call.
CREATE TABLE bench.results (
	id serial PRIMARY KEY,
	dataset text NOT NULL,
	task text,
	method text NOT NULL,
	status text NOT NULL,
	accuracy float8,
	balanced_accuracy float8,
	r2 float8,
	rmse float8,
	fit_seconds float8,
	call_seconds float8,
	predict_seconds float8,
	error text
);
SQL
}

# Record method $3 as failed on dataset $1 (task $2) with message $4.
record_failure() {
	"${PSQL[@]}" -v ds="$1" -v task="$2" -v method="$3" -v msg="$4" <<'SQL'
INSERT INTO bench.results (dataset, task, method, status, error)
VALUES (:'ds', :'task', :'method', 'failed', :'msg');
SQL
}

# Load dataset $1 of task $2 into bench."$1" with its train and test views,
# and write the split to $work/$1.split.csv.
load_dataset() {
	local name=$1 task=$2 file=$data_dir/$1/$1.tsv.gz
	local header n_cols target_col=0 raw_cols="" casts="" features="" target_type

	# gzip may end on SIGPIPE once head has its line, so only the line counts.
	header=$(set +o pipefail; gzip -dc "$file" | head -n 1)
	if [ -z "$header" ]; then
		echo "cannot read a header line from $file" >&2
		return 1
	fi
	IFS=$'\t' read -r -a columns <<<"$header"
	n_cols=${#columns[@]}
	for ((i = 0; i < n_cols; i++)); do
		raw_cols+="${raw_cols:+, }c$((i + 1))"
		if [ "${columns[$i]}" = target ]; then
			target_col=$((i + 1))
		else
			casts+=", bench.to_float8(c$((i + 1))) AS f$((i + 1))"
			features+=", f$((i + 1))"
		fi
	done
	if [ "$target_col" -eq 0 ]; then
		echo "no column \"target\" in $file" >&2
		return 1
	fi
	target_type=text
	[ "$task" = regression ] && target_type=float8

	gzip -dc "$file" | "${PSQL[@]}" -v name="$name" -v task="$task" -v seed="$split_seed" \
		-v train="${name}_train" -v test="${name}_test" -f <(cat <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.raw;
CREATE TABLE bench.raw (row_id bigint GENERATED ALWAYS AS IDENTITY,
	$(echo "$raw_cols" | sed 's/\(c[0-9]*\)/\1 text/g'));
\\copy bench.raw ($raw_cols) FROM pstdin WITH (FORMAT csv, DELIMITER E'\\t', HEADER true)
CREATE TABLE bench.:"name" AS
SELECT row_id$casts,
	$( [ "$target_type" = text ] && echo "c$target_col" || echo "bench.to_float8(c$target_col)") AS target,
	(hashint8extended(row_id, :seed) & 1023) < 768 AS is_train
FROM bench.raw;
DROP TABLE bench.raw;
CREATE VIEW bench.:"train" AS
SELECT row_id$features, target FROM bench.:"name" WHERE is_train;
CREATE VIEW bench.:"test" AS
SELECT row_id$features, target FROM bench.:"name" WHERE NOT is_train;
INSERT INTO bench.datasets
SELECT :'name', :'task', count(*), $((n_cols - 1)),
	CASE WHEN :'task' = 'classification' THEN count(DISTINCT target) END,
	count(*) FILTER (WHERE is_train), count(*) FILTER (WHERE NOT is_train)
FROM bench.:"name";
SQL
) || return 1
	"${PSQL[@]}" -v name="$name" >"$work/$name.split.csv" <<'SQL'
COPY (SELECT row_id, is_train FROM bench.:"name" ORDER BY row_id) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
}

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

SELECT clock_timestamp() AS predict_start \gset
CREATE TEMP TABLE predictions AS
SELECT v.target AS y, automl_predict(:'project', v) AS predicted FROM bench.:"test" v;
SELECT extract(epoch FROM clock_timestamp() - :'predict_start'::timestamptz) AS predict_seconds \gset

\if :classify
CREATE TEMP VIEW scores AS
SELECT avg((y = predicted)::integer) AS accuracy,
	(SELECT avg(recall)
	 FROM (SELECT avg((y = predicted)::integer) AS recall FROM predictions GROUP BY y) c)
	AS balanced_accuracy,
	NULL::float8 AS r2, NULL::float8 AS rmse
FROM predictions;
\else
CREATE TEMP VIEW scores AS
SELECT NULL::float8 AS accuracy, NULL::float8 AS balanced_accuracy,
	1 - sum((y - p) ^ 2) / nullif(sum((y - mean) ^ 2), 0) AS r2,
	sqrt(avg((y - p) ^ 2)) AS rmse
FROM (SELECT y, predicted::float8 AS p, avg(y) OVER () AS mean FROM predictions) e;
\endif

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

# Run reference.py on dataset $1 and load its rows into bench.results.
run_reference() {
	local name=$1 task=$2 out=$work/$1.reference.csv

	: >"$out"
	if ! "$python" test/bench/reference.py "$data_dir/$name/$name.tsv.gz" \
		"$work/$name.split.csv" "$task" "$name" "$out" 2>"$work/reference.err"; then
		record_failure "$name" "$task" reference "$(tail -n 1 "$work/reference.err")"
	fi
	"${PSQL[@]}" -v task="$task" -f <(cat <<'SQL'
\copy bench.results (dataset, method, status, accuracy, balanced_accuracy, r2, rmse, fit_seconds, predict_seconds, error) FROM pstdin WITH (FORMAT csv)
UPDATE bench.results SET task = :'task' WHERE task IS NULL;
SQL
) <"$out"
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
	local command=$1 started=$2 load=$3 cpu memory versions n_datasets not_run=""

	cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
	memory=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
	n_datasets=$("${PSQL[@]}" -At -c "SELECT count(*) FROM bench.datasets")
	[ -n "$reference_note" ] && not_run=$'\n'"- Not run: $reference_note."
	versions=$("${PSQL[@]}" -At -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', automl ' || extversion FROM pg_extension WHERE extname = 'automl'")
	if [ -n "$reference" ]; then
		versions+=$("$python" -c 'import sklearn, xgboost, numpy; print(", scikit-learn %s, XGBoost %s, NumPy %s" % (sklearn.__version__, xgboost.__version__, numpy.__version__))' 2>/dev/null)
	fi
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
- Machine: $(nproc) cores, $cpu, $memory of memory; load average $load at
  the start and $(cut -d ' ' -f 1 /proc/loadavg) at the end
- Software: $versions
- Checkout: git commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src sql || echo ', with local changes to src or sql')
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
	mkdir -p "$(dirname "$docs")"
	[ -f "$docs" ] || printf '# Benchmarks\n' >"$docs"
	awk -v section="$section" '
		/^## / && in_section { in_section = 0; print "" }
		/^## Model families on PMLB$/ { in_section = 1; replaced = 1; print_section(); next }
		!in_section { print }
		END { if (!replaced) { print ""; print_section() } }
		function print_section(  line) {
			while ((getline line < section) > 0) print line
			close(section)
		}' "$docs" >"$work/docs.md"
	cp "$work/docs.md" "$docs"
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
	setup_schema || exit 1
	families=$("${PSQL[@]}" -At -F ' ' -c "SELECT algorithm, classification, regression FROM automl_algorithms() WHERE algorithm <> 'baseline'") || exit 1

	reference=1
	reference_note=""
	if [ "${BENCH_SKIP_REFERENCE:-0}" = 1 ]; then
		reference=""
		reference_note="reference methods skipped: BENCH_SKIP_REFERENCE=1"
	elif ! "$python" -c 'import numpy, sklearn' 2>/dev/null; then
		reference=""
		reference_note="reference methods skipped: $python cannot import numpy and sklearn (install python3-sklearn and python3-xgboost)"
	elif ! "$python" -c 'import xgboost' 2>/dev/null; then
		reference_note="XGBoost skipped: $python cannot import xgboost (install python3-xgboost)"
	fi
	[ -n "$reference_note" ] && echo "$reference_note"

	for name in $datasets; do
		task=$(grep -m1 '^task:' "$data_dir/$name/metadata.yaml" 2>/dev/null | awk '{ print $2 }')
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
