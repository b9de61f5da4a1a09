#!/usr/bin/env bash
# Compare the three strategies of automl_train_groups (reptile, independent,
# pooled) on real tables at several training sizes per group.
#
#   PGHOST=... PGPORT=... PGUSER=... bash test/bench/groups.sh [TABLES_DIR]
#
# TABLES_DIR defaults to ../shared/data/tables, relative to the repository
# top, and must contain mpg.csv, diamonds.csv and penguins.csv.  psql
# connects through the usual PG* variables, to a database where the automl
# extension is installed or can be created.
#
# Each data set is a table, a target, a group column and features:
#   mpg       mpg of a car, grouped by model_year (13 groups), regression
#   diamonds  ln(price), grouped by color and clarity (56 groups), regression
#   penguins  sex, grouped by species (3 groups), classification
# For every training size n and seed, a view keeps n + TEST_ROWS rows of
# each group that has that many (the first by a seeded hash of the row
# number) and drops smaller groups.  automl_train_groups then runs each
# strategy on the view with holdout => TEST_ROWS / (n + TEST_ROWS), so
# every group trains on exactly n rows and is scored on TEST_ROWS rows, and
# all three strategies see the same split.  The reported score is the mean
# over groups of the held-out RMSE (regression) or balanced accuracy
# (classification), averaged over the seeds.  Results go to the section
# "Per-group training with a learned initialisation" of docs/benchmarks.md.
#
# Settings, from the environment:
#   BENCH_SEEDS   space-separated seeds (default "1 2 3")
#
# Schema bench_groups is dropped at the start, and the catalog keeps no
# project of the run: each is dropped after its call.
set -euo pipefail
[ -n "${1:-}" ] && tables_arg=$(realpath -m -- "$1")
cd "$(dirname "$0")/../.."
# PSQL, machine_description, checkout_description and replace_section.
. test/bench/common.sh

tables_dir=${tables_arg:-../shared/data/tables}
seeds=${BENCH_SEEDS:-1 2 3}
docs=docs/benchmarks.md
title="Per-group training with a learned initialisation"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Load the three tables, each with a row_id, and the results table.
load_tables() {
	"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
DROP SCHEMA IF EXISTS bench_groups CASCADE;
DELETE FROM automl.projects WHERE name LIKE 'benchgroups\_%';
CREATE SCHEMA bench_groups;

CREATE TABLE bench_groups.mpg (mpg float8, cylinders int, displacement float8,
	horsepower float8, weight float8, acceleration float8, model_year int,
	origin text, name text);

CREATE TABLE bench_groups.diamonds (carat float8, cut text, color text, clarity text,
	depth float8, "table" float8, price float8, x float8, y float8, z float8);

CREATE TABLE bench_groups.penguins (species text, island text, bill_length_mm float8,
	bill_depth_mm float8, flipper_length_mm float8, body_mass_g float8, sex text);

CREATE TABLE bench_groups.results (
	dataset text, n_train int, seed int, strategy text, metric text,
	groups int, score float8, group_score float8, baseline_score float8,
	seconds float8);
SQL
	"${PSQL[@]}" -c '\copy bench_groups.mpg FROM pstdin WITH (FORMAT csv, HEADER true)' \
		<"$tables_dir/mpg.csv"
	"${PSQL[@]}" -c '\copy bench_groups.diamonds FROM pstdin WITH (FORMAT csv, HEADER true)' \
		<"$tables_dir/diamonds.csv"
	"${PSQL[@]}" -c '\copy bench_groups.penguins FROM pstdin WITH (FORMAT csv, HEADER true)' \
		<"$tables_dir/penguins.csv"
	"${PSQL[@]}" <<'SQL'
ALTER TABLE bench_groups.mpg ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE bench_groups.diamonds ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY,
	ADD COLUMN log_price float8, ADD COLUMN color_clarity text;
UPDATE bench_groups.diamonds SET log_price = ln(price), color_clarity = color || '/' || clarity;
ALTER TABLE bench_groups.penguins ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY;
SQL
}

# Run every strategy on dataset $1 for each training size in $7, holding
# out $6 rows per group.  $2 table, $3 target, $4 group column, $5 the
# feature columns as a select list.
run_dataset() {
	local dataset=$1 table=$2 target=$3 group=$4 features=$5 test_rows=$6 sizes=$7 n seed

	for n in $sizes; do
		for seed in $seeds; do
			"${PSQL[@]}" -v dataset="$dataset" -v n="$n" -v seed="$seed" \
				-v test_rows="$test_rows" -f <(cat <<SQL
SET client_min_messages = warning;
CREATE OR REPLACE VIEW bench_groups.sample AS
SELECT $group, $target, $features
FROM (SELECT t.*,
		row_number() OVER (PARTITION BY $group ORDER BY hashint8extended(row_id, :seed)) AS position,
		count(*) OVER (PARTITION BY $group) AS group_size
	  FROM bench_groups.$table t WHERE $target IS NOT NULL AND $group IS NOT NULL) s
WHERE position <= :n + :test_rows AND group_size >= :n + :test_rows;
INSERT INTO bench_groups.results
SELECT :'dataset', :n, :seed, r.strategy_name, r.metric_name, r.groups, r.score,
	r.group_score, r.baseline_score, r.seconds
FROM unnest(ARRAY['reptile', 'independent', 'pooled']) s,
	LATERAL automl_train_groups('bench_groups.sample', '$target', '$group',
		project => 'benchgroups_' || s, strategy => s, seed => :seed,
		holdout => :test_rows::float8 / (:n + :test_rows)) r;
SELECT automl_drop_project('benchgroups_' || s)
FROM unnest(ARRAY['reptile', 'independent', 'pooled']) s \g /dev/null
DROP VIEW bench_groups.sample;
SQL
)
			echo "$dataset n=$n seed=$seed done"
		done
	done
}

# One Markdown table per data set: mean per-group score by size and strategy.
markdown_tables() {
	"${PSQL[@]}" -At <<'SQL'
WITH means AS (
	SELECT dataset, n_train, strategy, metric, max(groups) AS groups,
		avg(group_score) AS score, avg(seconds) AS seconds
	FROM bench_groups.results GROUP BY dataset, n_train, strategy, metric
), pivot AS (
	SELECT dataset, n_train, metric, max(groups) AS groups,
		max(score) FILTER (WHERE strategy = 'reptile') AS reptile,
		max(score) FILTER (WHERE strategy = 'independent') AS independent,
		max(score) FILTER (WHERE strategy = 'pooled') AS pooled,
		max(seconds) FILTER (WHERE strategy = 'reptile') AS reptile_seconds
	FROM means GROUP BY dataset, n_train, metric
)
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s |', dataset, n_train, groups,
	round(reptile::numeric, 4), round(independent::numeric, 4), round(pooled::numeric, 4),
	CASE WHEN metric IN ('rmse', 'mae', 'log_loss')
		THEN CASE WHEN reptile <= least(independent, pooled) THEN 'reptile'
				  WHEN independent <= pooled THEN 'independent' ELSE 'pooled' END
		ELSE CASE WHEN reptile >= greatest(independent, pooled) THEN 'reptile'
				  WHEN independent >= pooled THEN 'independent' ELSE 'pooled' END END,
	round(reptile_seconds::numeric, 2))
FROM pivot ORDER BY dataset, n_train;
SQL
}

markdown_section() {
	local command=$1 started=$2

	cat <<EOF
## $title

\`automl_train_groups\` fits one linear model per group with three
strategies: \`reptile\` (each group adapts, in \`inner_steps\` gradient steps,
an initialisation that Reptile learned across the groups), \`independent\`
(each group from zero, the pooled model for unseen groups) and \`pooled\`
(one model for all rows). Every strategy runs at its defaults. For each
training size n and seed, the benchmark keeps n + T rows of every group
that has that many (the first by a seeded hash of the row number) and
drops smaller groups. \`holdout => T / (n + T)\` then makes every group
train on n rows and score T rows, and the three strategies share that
split. Scores are the mean over groups of the held-out RMSE (mpg, ln
price of diamonds; lower is better) or balanced accuracy (penguin sex;
higher is better), averaged over seeds $seeds.

- mpg: \`mpg\` from the other columns but \`name\`, grouped by \`model_year\`, T = 8
- diamonds: \`ln(price)\` from carat, cut, depth, table, x, y, z, grouped by
  \`color/clarity\` (56 values), T = 20
- penguins: \`sex\` from the measurements and island, grouped by \`species\`, T = 20
- Command: \`$command\`
- Date: $started (UTC); the whole run took $((SECONDS / 60)) min $((SECONDS % 60)) s
- Machine: $(machine_description)
- Checkout: $(checkout_description)

| data set | n per group | groups | reptile | independent | pooled | best | reptile seconds |
|---|---|---|---|---|---|---|---|
$(markdown_tables)
EOF
}

main() {
	local command="bash test/bench/groups.sh${1:+ $1}" started

	[ -n "${BENCH_SEEDS:-}" ] && command="BENCH_SEEDS='$BENCH_SEEDS' $command"
	started=$(date -u '+%Y-%m-%d %H:%M')
	SECONDS=0
	load_tables
	run_dataset mpg mpg mpg model_year \
		"cylinders, displacement, horsepower, weight, acceleration, origin" 8 "5 10 20"
	run_dataset diamonds diamonds log_price color_clarity \
		"carat, cut, depth, \"table\", x, y, z" 20 "5 10 20 50"
	run_dataset penguins penguins sex species \
		"island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g" 20 "5 10 20"
	markdown_section "$command" "$started" >"$work/section.md"
	replace_section "$work/section.md" "$title" "$docs"
	echo "wrote the section \"$title\" of $docs"
}

main "$@"
