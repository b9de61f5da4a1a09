#!/usr/bin/env bash
# Score again, on fresh cross-validation folds, the incumbents of the runs
# that test/kb/evaluate.sh collected in schema eval.
#
#   PGHOST=... PGPORT=... PGUSER=... PGDATABASE=HOME bash test/kb/revalidate.sh PMLB_DIR
#
# HOME is the database whose schema eval contains the runs.  evaluate.sh
# scores each method by the best cross-validated score among its first k
# trials.  That maximum is biased upwards, and more so the more trials it
# is taken over: a configuration that the folds happen to favour wins.  A
# cold start of 50 trials so gets more of that bias than a warm start of
# 10.  Here every incumbent, the best trial of a method after 1, 3, 5, 10,
# 25 and 50 trials with each seed, is trained again alone.  automl_train
# gets the incumbent's algorithm and hyperparameters and draws its folds
# with another seed, repeated REVALIDATE_REPEATS times.  Those scores did
# not choose the incumbent, so they estimate its quality without the bias.  The regret on fresh folds is normalised per task and
# seed as in evaluate.sh: 0 at the best rescored incumbent of any method,
# 1 at the baseline scored on the same fresh folds.
#
# Results go to table eval.rescored of HOME (kept between runs, so a
# second run scores only what is missing), to
# test/bench/results/metalearning_fresh_folds.csv and to the section
# "Meta-learning: incumbents scored on fresh folds" of docs/benchmarks.md.
# With EVAL_TASKS set, the tables go to standard output instead.  The work
# databases (automl_revalidate_N) are dropped at the end.
#
# Settings, from the environment:
#   REVALIDATE_SEED_OFFSET  added to a run's seed to draw the fresh folds (default 1000)
#   REVALIDATE_REPEATS      repeats of the fresh cross-validation (default 3)
#   EVAL_METHODS            space-separated methods to rescore (default: all in eval.runs)
#   EVAL_TASKS              space-separated task names to rescore (default: all in eval.runs)
#   EVAL_COLD_TRIALS        trials of the cold start the target compares with (default 50)
#   EVAL_WARM_TRIALS        trials of a warm start (default 25); the target gives it 10, or
#                           all of them when fewer
#   EVAL_JOBS               tasks rescored at once, each in its own database (default 1)
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PMLB_DIR" >&2; exit 2; }
[ -d "$1" ] || { echo "no such directory: $1" >&2; exit 2; }
data_dir=$(realpath -- "$1")
cd "$(dirname "$0")/../.."
. test/bench/common.sh
. test/kb/common.sh

offset=${REVALIDATE_SEED_OFFSET:-1000}
repeats=${REVALIDATE_REPEATS:-3}
cold_trials=${EVAL_COLD_TRIALS:-50}
warm_trials=${EVAL_WARM_TRIALS:-25}
jobs=${EVAL_JOBS:-1}
kb_require_positive REVALIDATE_SEED_OFFSET "$offset"
kb_require_positive REVALIDATE_REPEATS "$repeats"
kb_require_positive EVAL_COLD_TRIALS "$cold_trials"
kb_require_positive EVAL_WARM_TRIALS "$warm_trials"
# the warm trials that the target gives to reach cold start's regret
target_trials=$((warm_trials < 10 ? warm_trials : 10))
kb_require_positive EVAL_JOBS "$jobs"
results_csv=test/bench/results/metalearning_fresh_folds.csv
docs=docs/benchmarks.md
title="Meta-learning: incumbents scored on fresh folds"
home_db=${PGDATABASE:-$(id -un)}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "${PSQL[@]}" -d "$home_db" -At -c "SELECT to_regclass('eval.runs') IS NOT NULL" | grep -qx t; then
	echo "database $home_db has no table eval.runs: run test/kb/evaluate.sh first, or set PGDATABASE to its database" >&2
	exit 2
fi

# Create eval.rescored and the views of the incumbents and their regrets.
create_schema() {
	"${PSQL[@]}" -d "$home_db" -v methods="${EVAL_METHODS:-}" -v tasks="${EVAL_TASKS:-}" \
		-v cold_trials="$cold_trials" -v target_trials="$target_trials" <<'SQL'
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS eval.rescored (name text, seed integer, fresh_seed integer,
	repeats integer, algorithm text, hyperparameters jsonb, metric text, score float8,
	baseline_score float8, error text);
DROP VIEW IF EXISTS eval.incumbents CASCADE;
-- the first trial that reached a method's best score after k trials; no
-- algorithm where none of the first k trials finished at full fidelity
CREATE VIEW eval.incumbents AS
WITH counted AS (
	SELECT r.*, row_number() OVER (PARTITION BY name, seed, method ORDER BY trial_number) AS k
	FROM eval.runs r WHERE r.algorithm <> 'baseline'
), ks AS (
	SELECT name, seed, method, k FROM counted
	WHERE k IN (1, 3, 5, 10, 25, 50, :cold_trials, :target_trials)
)
SELECT DISTINCT ON (ks.name, ks.seed, ks.method, ks.k) ks.name, ks.seed, ks.method, ks.k,
	c.algorithm, c.hyperparameters, c.metric, c.score AS search_score
FROM ks LEFT JOIN counted c ON c.name = ks.name AND c.seed = ks.seed
	AND c.method = ks.method AND c.k <= ks.k AND c.status = 'ok' AND c.fidelity >= 1
WHERE (:'methods' = '' OR ks.method = ANY (string_to_array(:'methods', ' ')))
	AND (:'tasks' = '' OR ks.name = ANY (string_to_array(:'tasks', ' ')))
ORDER BY ks.name, ks.seed, ks.method, ks.k, eval.gain(c.metric, c.score) DESC NULLS LAST, c.k;
SQL
}

# Create the views of the regrets on fresh folds, for seed offset $1 and
# repeat count $2.
create_regret_views() {
	"${PSQL[@]}" -d "$home_db" -v fresh="$1" -v repeats="$2" <<'SQL'
SET client_min_messages = warning;
CREATE VIEW eval.fresh_scores AS
SELECT i.*, s.score AS fresh_score, eval.gain(i.metric, s.score) AS gain,
	eval.gain(i.metric, s.baseline_score) AS base
FROM eval.incumbents i LEFT JOIN eval.rescored s ON s.name = i.name AND s.seed = i.seed
	AND s.fresh_seed = i.seed + :fresh AND s.repeats = :repeats
	AND s.algorithm = i.algorithm AND s.hyperparameters = i.hyperparameters
	AND s.error IS NULL;
CREATE VIEW eval.fresh_regret_by_seed AS
WITH range AS (
	SELECT name, seed, max(gain) AS best, max(base) AS base
	FROM eval.fresh_scores GROUP BY name, seed
)
-- a run with no finished trial is at the baseline; a failed rescoring has no regret
SELECT f.name, f.seed, f.method, f.k,
	CASE WHEN f.algorithm IS NULL THEN 1
		WHEN r.best <= r.base THEN 0
		ELSE least(greatest((r.best - f.gain) / (r.best - r.base), 0), 1) END AS regret,
	-- how much better the search scored the incumbent, on the regret's scale
	CASE WHEN r.best > r.base
		THEN (eval.gain(f.metric, f.search_score) - f.gain) / (r.best - r.base) END AS optimism
FROM eval.fresh_scores f JOIN range r USING (name, seed);
CREATE VIEW eval.fresh_regret AS
SELECT name, method, k, avg(regret) AS regret, count(regret) AS seeds
FROM eval.fresh_regret_by_seed GROUP BY name, method, k;
SQL
}

# Write to $work/todo.tsv the incumbents that have no fresh score yet:
# name, kind, seed, algorithm, hyperparameters.
list_todo() {
	"${PSQL[@]}" -d "$home_db" -At -F $'\t' -v fresh="$offset" -v repeats="$repeats" \
		>"$work/todo.tsv" <<'SQL'
SELECT DISTINCT i.name, t.kind, i.seed, i.algorithm, i.hyperparameters
FROM eval.incumbents i JOIN eval.tasks t USING (name)
WHERE i.algorithm IS NOT NULL AND NOT EXISTS (SELECT 1 FROM eval.rescored s WHERE s.name = i.name AND s.seed = i.seed
	AND s.fresh_seed = i.seed + :fresh AND s.repeats = :repeats
	AND s.algorithm = i.algorithm AND s.hyperparameters = i.hyperparameters)
ORDER BY 1, 3, 4, 5;
SQL
}

# Rescore the incumbents of the tasks in file $1 in work database $2.
rescore_tasks() {
	local tasks=$1 db=$2 name kind seed algorithm hyperparameters loaded=""
	"${PSQL[@]}" -d "$home_db" -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || return 1
	PGDATABASE=$db kb_setup_schema || return 1
	while IFS=$'\t' read -r name kind seed algorithm hyperparameters; do
		if [ "$name" != "$loaded" ]; then
			PGDATABASE=$db kb_load_table "$name" "$kind" >/dev/null ||
				{ echo "failed to load $name"; continue; }
			loaded=$name
			echo "$db: $name"
		fi
		rescore_one "$db" "$name" "$kind" "$seed" "$algorithm" "$hyperparameters"
	done <"$tasks"
	"${PSQL[@]}" -d "$home_db" -c "DROP DATABASE $db"
}

# Train one configuration alone on fresh folds and store its score, or the
# error, in eval.rescored.
rescore_one() {
	local db=$1 name=$2 kind=$3 seed=$4 algorithm=$5 hyperparameters=$6 row
	row=$("${PSQL[@]}" -d "$db" -At -F $'\t' -P 'null=\N' -v name="$name" -v kind="$kind" \
		-v seed="$((seed + offset))" -v repeats="$repeats" -v algorithm="$algorithm" \
		-v hyperparameters="$hyperparameters" 2>"$work/$db.err" <<'SQL'
SET client_min_messages = warning;
SET automl.cv_repeats = :repeats;
SELECT metric_name, score, baseline_score
FROM automl_train('kb.' || quote_ident(:'name'), 'target', project => 'revalidate',
	task => :'kind', algorithms => ARRAY[:'algorithm'], hyperparameters => :'hyperparameters',
	warm_start => false, seed => :seed, time_budget => 3600);
SELECT automl_drop_project('revalidate');
SQL
)
	if [ -z "$row" ]; then
		echo "failed $name seed $seed $algorithm: $(error_line "$work/$db.err")"
		"${PSQL[@]}" -d "$db" -c "SELECT automl_drop_project('revalidate')" >/dev/null 2>&1
		row=$'\\N\t\\N\t\\N'
	fi
	IFS=$'\t' read -r metric score baseline <<<"$(head -n 1 <<<"$row")"
	"${PSQL[@]}" -d "$home_db" -v name="$name" -v seed="$seed" -v offset="$offset" \
		-v repeats="$repeats" -v algorithm="$algorithm" -v hyperparameters="$hyperparameters" \
		-v metric="$metric" -v score="$score" -v baseline="$baseline" \
		-v error="$([ "$score" = '\N' ] && error_line "$work/$db.err")" <<'SQL'
INSERT INTO eval.rescored VALUES (:'name', :seed, :seed + :offset, :repeats, :'algorithm',
	:'hyperparameters', nullif(:'metric', '\N'), nullif(:'score', '\N')::float8,
	nullif(:'baseline', '\N')::float8, nullif(:'error', ''));
SQL
}

# The order of methods in the tables: evaluate.sh's, then any others.
method_order="array_position(ARRAY['cold', 'portfolio', 'l1', 'simple', 'learned', 'l1_adaptive', 'learned_adaptive'], method)"

# Print the Markdown tables of the regrets on fresh folds.
print_tables() {
	echo "Mean and median regret on fresh folds after k trials:"
	echo
	echo "| method | statistic | 1 | 3 | 5 | 10 | 25 | 50 | tasks |"
	echo "|---|---|---|---|---|---|---|---|---|"
	"${PSQL[@]}" -d "$home_db" -At <<SQL
WITH s AS (
	SELECT method, k, count(*) AS tasks, round(avg(regret)::numeric, 4) AS mean,
		round((percentile_cont(0.5) WITHIN GROUP (ORDER BY regret))::numeric, 4) AS median
	FROM eval.fresh_regret WHERE seeds > 0 GROUP BY method, k
)
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |', method, statistic,
	max(value) FILTER (WHERE k = 1), max(value) FILTER (WHERE k = 3),
	max(value) FILTER (WHERE k = 5), max(value) FILTER (WHERE k = 10),
	coalesce(max(value) FILTER (WHERE k = 25)::text, ''),
	coalesce(max(value) FILTER (WHERE k = 50)::text, ''), max(tasks))
FROM s, LATERAL (VALUES ('mean', s.mean), ('median', s.median)) v(statistic, value)
GROUP BY method, statistic ORDER BY $method_order NULLS LAST, method, statistic;
SQL
	echo
	echo "Against cold start's regret on fresh folds after $cold_trials trials, per task averaged over"
	echo "the seeds both ran, then for each seed alone:"
	echo
	echo "| warm start | seed | tasks | median after $target_trials trials | cold start's median after $cold_trials | tasks at or below cold start's $cold_trials-trial regret within $target_trials trials |"
	echo "|---|---|---|---|---|---|"
	"${PSQL[@]}" -d "$home_db" -At -v cold_trials="$cold_trials" \
		-v target_trials="$target_trials" <<SQL
WITH pairs AS (
	-- each task's regrets averaged over the seeds both the method and cold start ran
	SELECT w.method, 'all' AS seed, avg(w.regret) AS warm, avg(c.regret) AS cold
	FROM eval.fresh_regret_by_seed w JOIN eval.fresh_regret_by_seed c ON c.name = w.name
		AND c.seed = w.seed AND c.method = 'cold' AND c.k = :cold_trials
	WHERE w.k = :target_trials AND w.method <> 'cold' AND w.regret IS NOT NULL
		AND c.regret IS NOT NULL
	GROUP BY w.name, w.method
	UNION ALL
	SELECT w.method, w.seed::text, w.regret, c.regret
	FROM eval.fresh_regret_by_seed w JOIN eval.fresh_regret_by_seed c ON c.name = w.name
		AND c.seed = w.seed AND c.method = 'cold' AND c.k = :cold_trials
	WHERE w.k = :target_trials AND w.method <> 'cold' AND w.regret IS NOT NULL AND c.regret IS NOT NULL
)
SELECT format('| %s | %s | %s | %s | %s | %s |', method, seed, count(*),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY warm))::numeric, 4),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cold))::numeric, 4),
	sum((warm <= cold)::int))
FROM pairs GROUP BY method, seed ORDER BY $method_order NULLS LAST, method, seed <> 'all', seed;
SQL
	echo
	echo "How much better the search scored an incumbent than the fresh folds did, divided by"
	echo "the gap between the best rescored incumbent and the baseline (the scale of the regret),"
	echo "over tasks and seeds:"
	echo
	echo "| method | trials | incumbents | mean | median |"
	echo "|---|---|---|---|---|"
	"${PSQL[@]}" -d "$home_db" -At -v cold_trials="$cold_trials" -v target_trials="$target_trials" <<SQL
SELECT format('| %s | %s | %s | %s | %s |', method, k, count(*), round(avg(optimism)::numeric, 4),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY optimism))::numeric, 4))
FROM eval.fresh_regret_by_seed WHERE k IN (:target_trials, 25, :cold_trials) AND optimism IS NOT NULL
GROUP BY method, k ORDER BY $method_order NULLS LAST, method, k;
SQL
}

# Replace this script's section of docs/benchmarks.md.
write_docs() {
	local command=$1 section counts
	section=$(mktemp)
	# the trial counts the incumbents are taken after, as "1, 3, ... and 50"
	counts=$(printf '%s\n' 1 3 5 10 25 50 "$target_trials" "$cold_trials" | sort -nu |
		paste -sd, - | sed -e 's/,/, /g' -e 's/, \([0-9]*\)$/ and \1/')
	{
		echo "## $title"
		echo
		echo "Command: \`$command\`, $(checkout_description); finished $(date -u '+%Y-%m-%d %H:%M UTC'),"
		echo "on the runs in schema eval that \`test/kb/evaluate.sh\` collected (see the section above)."
		echo "Machine: $(machine_description)."
		echo
		echo "The leave-family-out evaluation scores a method by the best cross-validated score among"
		echo "its first k trials. That maximum is biased upwards, and more so the more trials it is"
		echo "taken over, because a configuration that the folds happen to favour wins. So a cold start"
		echo "of $cold_trials trials gains more of that bias than a warm start of $target_trials. Here each incumbent"
		echo "is trained again alone, with its algorithm and hyperparameters: the best trial of a method"
		echo "after $counts trials with each seed. Its folds are drawn with the run's seed"
		echo "plus $offset, and the cross-validation is repeated $repeats times. These scores took no part in"
		echo "choosing the incumbent. Regret is normalised per task and seed as above, but on these scores: 0 at"
		echo "the best rescored incumbent of any method, 1 at the baseline on the same folds. A task's"
		echo "regret is the mean over its seeds."
		echo
		print_tables
		echo
		echo "Per-task figures: \`$results_csv\`."
	} >"$section"
	replace_section "$section" "$title" "$docs"
	rm -f "$section"
}

create_schema
list_todo
total=$(wc -l <"$work/todo.tsv")
echo "$total incumbents to rescore"
# deal the tasks, not the rows, to the jobs, so that each loads a table once
awk -F '\t' -v jobs="$jobs" -v dir="$work" '
	$1 != last { n = (n + 1) % jobs; last = $1 }
	{ print > (dir "/todo." n ".tsv") }' "$work/todo.tsv"
rescore_job() {
	rescore_tasks "$work/todo.$1.tsv" "automl_revalidate_$1"
}
job_ids=()
for ((j = 0; j < jobs; j++)); do
	[ -s "$work/todo.$j.tsv" ] && job_ids+=("$j")
done
status=0
kb_run_parallel "$jobs" rescore_job "${job_ids[@]}" || status=1
create_regret_views "$offset" "$repeats"
"${PSQL[@]}" -d "$home_db" -At -v fresh="$offset" -v repeats="$repeats" <<'SQL' | sed 's/^/warning: /'
SELECT format('%s incumbents failed to train on fresh folds: %s', count(*),
	string_agg(DISTINCT name || ' (' || error || ')', ', '))
FROM eval.rescored WHERE error IS NOT NULL AND fresh_seed - seed = :fresh AND repeats = :repeats
HAVING count(*) > 0;
SQL
if [ -n "${EVAL_TASKS:-}" ]; then
	print_tables
	exit "$status"
fi
mkdir -p "$(dirname "$results_csv")"
"${PSQL[@]}" -d "$home_db" >"$results_csv" <<'SQL'
COPY (
	SELECT r.name AS dataset, t.kind AS task, t.family, r.method, r.k AS trials,
		round(r.regret::numeric, 6) AS regret_fresh_folds, r.seeds
	FROM eval.fresh_regret r JOIN eval.tasks t USING (name)
	ORDER BY 1, 4, 5
) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
echo "wrote $results_csv"
command="bash test/kb/revalidate.sh $*"
[ "$repeats" != 3 ] && command="REVALIDATE_REPEATS=$repeats $command"
[ "$offset" != 1000 ] && command="REVALIDATE_SEED_OFFSET=$offset $command"
[ -n "${EVAL_METHODS:-}" ] && command="EVAL_METHODS='$EVAL_METHODS' $command"
write_docs "$command" && echo "wrote $docs"
exit "$status"
