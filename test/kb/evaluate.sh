#!/usr/bin/env bash
# Leave-family-out evaluation of the warm start over the shipped knowledge
# base (sql/automl_prior.tsv).
#
#   PGHOST=... PGPORT=... PGUSER=... bash test/kb/evaluate.sh PMLB_DIR
#
# The knowledge-base tasks are put into families of near-duplicate data
# sets (GAMETES_*, fri_c*, BNG_*, analcatdata_*, mfeat_*, monk*, the
# thyroid sets, the heart-disease sets, ...), and the families are dealt
# into EVAL_FOLDS folds.  For each fold a fresh database gets the extension
# with every prior task of that fold's families deleted, and the task
# encoder is trained on what remains.  Then up to EVAL_PER_FAMILY tasks of
# each held-out family are trained by each method with each seed of
# EVAL_SEEDS, which sets the cross-validation folds and the search's random
# draws, so all methods see the same folds for a seed:
#
#   cold       warm_start => false, EVAL_COLD_TRIALS trials
#   portfolio  automl.warm_start_metric = portfolio (static best portfolio)
#   l1         L1 on min-max-scaled meta-features (auto-sklearn 1.0)
#   simple     1-NN on four simple meta-features (FLAML's zero-shot)
#   learned    the learned task metric
#   l1_adaptive       l1, each configuration chosen after the scores of the
#                     ones before (automl.warm_start_adaptive, the default),
#                     with local moves around the best one so far
#                     (automl.warm_start_local_moves)
#   learned_adaptive  the learned task metric, adaptive too
#
# the warm methods with EVAL_WARM_TRIALS trials.  The others hand the search
# a fixed list, as the methods they follow do.  A method's normalised
# regret after k trials (the baseline not counted) is
# (best - best of its first k) / (best - baseline), where best is the best
# cross-validated score any method reached on the task with that seed, and
# with seed 1, whose folds the knowledge base was scored on, also the best
# the knowledge base reached.  A task's regret is the mean over its seeds,
# so each added seed shrinks the part of the variance that comes from one
# draw of folds and trials.  NDCG@5 compares the five past tasks a method retrieved with the
# ideal order by true transfer: the quality on the held-out task, from the
# knowledge base, of each past task's incumbent (its best configuration,
# which test/kb/cross.sh scored on every task of its kind).  A fold database
# also drops the kept tasks' scores of the held-out tasks' incumbents, so no
# warm start can propose a held-out task's tuned configuration.
#
# Results go to schema eval of the database psql connects to, to
# test/bench/results/metalearning.csv, and to the section "Meta-learning:
# leave-family-out evaluation" of docs/benchmarks.md.  The fold databases
# (automl_eval_fold_N) are dropped at the end.
#
# Settings, from the environment:
#   EVAL_FOLDS        number of folds of families (default 5)
#   EVAL_PER_FAMILY   tasks evaluated per family (default 1)
#   EVAL_COLD_TRIALS  trials of a cold start, the baseline not counted (default 50)
#   EVAL_WARM_TRIALS  trials of a warm start, the baseline not counted (default 25)
#   EVAL_SEEDS        space-separated seeds of automl_train (default 1)
#   EVAL_TASKS        space-separated task names to evaluate instead
#   EVAL_METHODS      space-separated methods to run instead of all of them
#   EVAL_APPEND       set to 1 to add the runs of EVAL_METHODS and EVAL_SEEDS to
#                     those in schema eval (replacing theirs) instead of
#                     starting anew.  Every seed needs a cold run, whose
#                     baseline sets the regret scale.
#   EVAL_REPORT       set to 1 to run nothing and only write the CSV and the
#                     section from the runs already in schema eval
#   EVAL_RETRIEVAL    set to 1 to measure only NDCG@5: the neighbour methods
#                     run the baseline alone, nothing is written to the docs
#   EVAL_JOBS         folds evaluated at once, each in its own database
#                     (default 1)
#   EVAL_ENCODER_ARGS arguments of automl_train_task_encoder() in each fold
#                     database, such as 'margin => 0.25' (default none)
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PMLB_DIR" >&2; exit 2; }
[ -d "$1" ] || { echo "no such directory: $1" >&2; exit 2; }
data_dir=$(realpath -- "$1")
cd "$(dirname "$0")/../.."
. test/bench/common.sh
. test/kb/common.sh

folds=${EVAL_FOLDS:-5}
per_family=${EVAL_PER_FAMILY:-1}
jobs=${EVAL_JOBS:-1}
kb_require_positive EVAL_JOBS "$jobs"
cold_trials=${EVAL_COLD_TRIALS:-50}
warm_trials=${EVAL_WARM_TRIALS:-25}
read -r -a seeds <<<"${EVAL_SEEDS:-1}"
for seed in "${seeds[@]}"; do
	if ! [[ $seed =~ ^[0-9]+$ ]]; then
		echo "invalid EVAL_SEEDS value \"$seed\": use non-negative integers separated by spaces, such as EVAL_SEEDS='1 2 3'" >&2
		exit 2
	fi
done
all_methods=(cold portfolio l1 simple learned l1_adaptive learned_adaptive)
read -r -a methods <<<"${EVAL_METHODS:-${all_methods[*]}}"
if [ "${EVAL_RETRIEVAL:-0}" = 1 ]; then
	methods=(l1 simple learned)
	warm_trials=0
fi
kb=sql/automl_prior.tsv
results_csv=test/bench/results/metalearning.csv
docs=docs/benchmarks.md
title="Meta-learning: leave-family-out evaluation"
home_db=${PGDATABASE:-$(id -un)}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Print the family of near-duplicate data sets that task $1 belongs to.
family_of() {
	local base
	base=$(sed -E 's/^[0-9]+_//' <<<"$1")
	case $base in
	GAMETES*) echo GAMETES ;;
	fri_c*) echo fri ;;
	BNG_*) echo BNG ;;
	analcatdata_*) echo analcatdata ;;
	mfeat*) echo mfeat ;;
	monk*) echo monk ;;
	sleuth_*) echo sleuth ;;
	allbp | allhyper | allhypo | allrep | dis | hypothyroid | sick | new_thyroid) echo thyroid ;;
	heart_* | cleve | cleveland) echo heart ;;
	crx | buggyCrx | credit_a | australian) echo credit ;;
	breast* | wdbc) echo breast ;;
	glass | glass2 | prnn_fglass) echo glass ;;
	vote | house_votes_84) echo vote ;;
	spect | spectf) echo spect ;;
	colic | horse_colic) echo colic ;;
	led*) echo led ;;
	waveform*) echo waveform ;;
	*) echo "$base" ;;
	esac
}

# Fill eval.tasks (name, kind, family, fold, evaluated) and eval.kb_trials.
setup_eval_schema() {
	local families=() family i
	while IFS=$'\t' read -r name kind _; do
		printf '%s\t%s\t%s\n' "$name" "$kind" "$(family_of "$name")"
	done <"$kb" >"$work/tasks.tsv"
	"${PSQL[@]}" -d "$home_db" -v folds="$folds" -v per_family="$per_family" \
		-v only="${EVAL_TASKS:-}" <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS eval CASCADE;
CREATE SCHEMA eval;
CREATE TABLE eval.kb_raw (name text, kind text, meta_features text, trials text);
\\copy eval.kb_raw FROM '$kb' WITH (FORMAT text)
CREATE TABLE eval.tasks (name text PRIMARY KEY, kind text, family text);
\\copy eval.tasks FROM '$work/tasks.tsv' WITH (FORMAT text)
-- families dealt into folds in a seeded order, tasks of each family ranked
ALTER TABLE eval.tasks ADD fold integer, ADD evaluated boolean;
WITH f AS (
	SELECT family, (row_number() OVER (ORDER BY md5(family)) - 1) % :folds AS fold
	FROM (SELECT DISTINCT family FROM eval.tasks) d
), r AS (
	SELECT name, row_number() OVER (PARTITION BY family ORDER BY md5(name)) AS rank
	FROM eval.tasks
)
UPDATE eval.tasks t SET fold = f.fold,
	evaluated = CASE WHEN :'only' = '' THEN r.rank <= :per_family
		ELSE t.name = ANY (string_to_array(:'only', ' ')) END
FROM f, r WHERE f.family = t.family AND r.name = t.name;
CREATE TABLE eval.kb_trials AS
SELECT k.name, e.ordinality AS trial_number, e.value ->> 'algorithm' AS algorithm,
	e.value -> 'hyperparameters' AS hyperparameters, e.value ->> 'metric' AS metric,
	(e.value ->> 'score')::float8 AS score, e.value ->> 'status' AS status,
	e.value -> 'budget' ->> 'source' AS source
FROM eval.kb_raw k, jsonb_array_elements(k.trials::jsonb) WITH ORDINALITY e;
CREATE TABLE eval.runs (name text, method text, trial_number integer, algorithm text,
	hyperparameters jsonb, metric text, score float8, status text, source text,
	fidelity float8, fit_seconds float8, seed integer NOT NULL);
CREATE TABLE eval.neighbours (name text, method text, rank integer, neighbour text,
	distance float8, seed integer NOT NULL);
SQL
}

# Train held-out task $1 of kind $2 by method $3 in fold database $4 with
# seed $5 and copy its trials and retrieved neighbours into schema eval.
run_method() {
	local name=$1 kind=$2 method=$3 db=$4 seed=$5 trials=$warm_trials metric=$3 warm=true adaptive=off
	if [ "$method" = cold ]; then
		trials=$cold_trials metric=auto warm=false
	elif [[ $method == *_adaptive ]]; then
		metric=${method%_adaptive} adaptive=on
	fi
	"${PSQL[@]}" -d "$db" -v name="$name" -v kind="$kind" -v metric="$metric" \
		-v warm="$warm" -v trials="$trials" -v adaptive="$adaptive" -v seed="$seed" \
		>/dev/null 2>"$work/$db.err" <<'SQL' || {
SET client_min_messages = warning;
SET automl.warm_start_metric = :'metric';
SET automl.warm_start_adaptive = :'adaptive';
-- the folds of the knowledge base's scores, which set each task's best
SET automl.cv_repeats = 1;
SELECT automl_train('kb.' || quote_ident(:'name'), 'target', project => 'eval_run',
	task => :'kind', warm_start => :warm, max_trials => :trials + 1, seed => :seed,
	time_budget => 3600);
SQL
		echo "failed $name $method seed $seed: $(error_line "$work/$db.err")"
		return 1
	}
	"${PSQL[@]}" -d "$db" -At -F $'\t' -P 'null=\N' -v name="$name" -v method="$method" \
		-v seed="$seed" >"$work/$db.runs.tsv" <<'SQL'
SELECT :'name', :'method', t.trial_number, t.algorithm, t.hyperparameters, t.metric,
	t.score, t.status, t.budget ->> 'source', (t.budget ->> 'fidelity')::float8, t.fit_seconds,
	:seed
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
JOIN automl.projects p ON p.id = k.project_id WHERE p.name = 'eval_run'
ORDER BY t.trial_number;
SQL
	"${PSQL[@]}" -d "$db" -At -F $'\t' -P 'null=\N' -v name="$name" -v method="$method" \
		-v seed="$seed" >"$work/$db.neighbours.tsv" <<'SQL'
SELECT :'name', :'method', n.rank, regexp_replace(n.value ->> 'relation', '^pmlb:', ''),
	(n.value ->> 'distance')::float8, :seed
FROM automl.tasks k JOIN automl.projects p ON p.id = k.project_id,
	jsonb_array_elements(coalesce(k.warm_start, '[]')) WITH ORDINALITY n(value, rank)
WHERE p.name = 'eval_run' AND n.value ? 'relation';
SQL
	"${PSQL[@]}" -d "$db" -c "SELECT automl_drop_project('eval_run')" >/dev/null
	"${PSQL[@]}" -d "$home_db" <<SQL
\\copy eval.runs FROM '$work/$db.runs.tsv' WITH (FORMAT text)
\\copy eval.neighbours FROM '$work/$db.neighbours.tsv' WITH (FORMAT text)
SQL
}

# Evaluate the tasks of fold $1 in a fresh database without its families.
run_fold() {
	local fold=$1 db=automl_eval_fold_$1 name kind held_out method
	held_out=$("${PSQL[@]}" -d "$home_db" -At -c \
		"SELECT string_agg(name, ' ') FROM eval.tasks WHERE fold = $fold")
	"${PSQL[@]}" -d "$home_db" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	"${PSQL[@]}" -d "$db" -c "CREATE EXTENSION automl" >/dev/null
	PGDATABASE=$db kb_hide_priors "$held_out"
	"${PSQL[@]}" -d "$db" -At <<SQL
SET client_min_messages = warning;
SELECT 'fold $fold: ' || count(*) || ' prior tasks kept, encoder: '
	|| (automl_train_task_encoder(${EVAL_ENCODER_ARGS:-}) ->> 'triplets') || ' triplets'
FROM automl.tasks WHERE is_prior;
SQL
	PGDATABASE=$db kb_setup_schema
	while IFS=$'\t' read -r name kind; do
		PGDATABASE=$db kb_load_table "$name" "$kind" >/dev/null ||
			{ echo "failed to load $name"; continue; }
		for method in "${methods[@]}"; do
			for seed in "${seeds[@]}"; do
				run_method "$name" "$kind" "$method" "$db" "$seed"
			done
		done
		echo "fold $fold: $name ($kind)"
	done < <("${PSQL[@]}" -d "$home_db" -At -F $'\t' -c \
		"SELECT name, kind FROM eval.tasks WHERE fold = $fold AND evaluated ORDER BY name")
	"${PSQL[@]}" -d "$home_db" -c "DROP DATABASE $db"
}

# Regret curves and NDCG@5, as views over the collected runs.  The views
# are dropped and created again, so an appended run uses this version.
create_views() {
	"${PSQL[@]}" -d "$home_db" -v cold_trials="$cold_trials" <<'SQL'
SET client_min_messages = warning;
-- schemas from before EVAL_SEEDS ran seed 1 only
ALTER TABLE eval.runs ADD COLUMN IF NOT EXISTS seed integer NOT NULL DEFAULT 1;
ALTER TABLE eval.neighbours ADD COLUMN IF NOT EXISTS seed integer NOT NULL DEFAULT 1;
DROP FUNCTION IF EXISTS eval.gain(text, float8) CASCADE;
CREATE FUNCTION eval.gain(metric text, score float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN metric IN ('log_loss', 'rmse', 'mae') THEN -score ELSE score END $$;
-- per task and seed: the best gain anything reached, and the baseline's.
-- The knowledge base's scores count with seed 1 only, whose folds they used.
CREATE VIEW eval.task_range AS
SELECT r.name, r.seed,
	greatest(max(eval.gain(r.metric, r.score)) FILTER (WHERE r.status = 'ok' AND r.fidelity >= 1),
		CASE WHEN r.seed = 1 THEN (SELECT max(eval.gain(k.metric, k.score)) FROM eval.kb_trials k
			WHERE k.name = r.name AND k.status = 'ok') END) AS best,
	max(eval.gain(r.metric, r.score)) FILTER (WHERE r.method = 'cold' AND r.algorithm = 'baseline') AS base
FROM eval.runs r GROUP BY r.name, r.seed;
-- the best gain of each method after each count of non-baseline trials
CREATE VIEW eval.curve AS
WITH counted AS (
	SELECT r.*, row_number() OVER (PARTITION BY name, seed, method ORDER BY trial_number) AS k,
		CASE WHEN r.status = 'ok' AND r.fidelity >= 1 THEN eval.gain(r.metric, r.score) END AS gain
	FROM eval.runs r WHERE r.algorithm <> 'baseline'
)
SELECT name, seed, method, k,
	max(gain) OVER (PARTITION BY name, seed, method ORDER BY k) AS best_so_far
FROM counted;
CREATE VIEW eval.regret_by_seed AS
SELECT c.name, c.seed, c.method, c.k,
	CASE WHEN t.best <= t.base THEN 0
		ELSE least(greatest((t.best - coalesce(c.best_so_far, t.base)) / (t.best - t.base), 0), 1)
	END AS regret
FROM eval.curve c JOIN eval.task_range t USING (name, seed)
WHERE c.k IN (1, 3, 5, 10, 25, 50, :cold_trials);
CREATE VIEW eval.regret AS
SELECT name, method, k, avg(regret) AS regret, count(*) AS seeds
FROM eval.regret_by_seed GROUP BY name, method, k;
CREATE VIEW eval.regret_summary AS
SELECT method, k, count(*) AS tasks, round(avg(regret)::numeric, 4) AS mean_regret,
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY regret))::numeric, 4) AS median_regret
FROM eval.regret GROUP BY method, k;
-- true transfer: quality on task a of task b's best configuration, its
-- incumbent before cross-evaluation (test/kb/cross.sh scores it on a)
CREATE VIEW eval.kb_quality AS
WITH g AS (
	SELECT name, algorithm, hyperparameters, trial_number, source,
		eval.gain(metric, score) AS gain
	FROM eval.kb_trials WHERE status = 'ok'
), r AS (
	SELECT name, max(gain) AS best, max(gain) FILTER (WHERE algorithm = 'baseline') AS base
	FROM g GROUP BY name
)
SELECT g.name, g.algorithm, g.hyperparameters, g.trial_number,
	CASE WHEN r.best > r.base THEN greatest((g.gain - r.base) / (r.best - r.base), 0) ELSE 1 END
		AS quality,
	g.gain = max(g.gain) FILTER (WHERE g.source <> 'transfer') OVER (PARTITION BY g.name)
		AND g.source <> 'transfer' AS is_best
FROM g JOIN r USING (name) WHERE g.algorithm <> 'baseline';
-- relevance of past task b to held-out task a: the quality on a of b's best
-- configuration, min-max scaled over the past tasks a method could retrieve
CREATE VIEW eval.transfer AS
WITH best_config AS (
	SELECT DISTINCT ON (name) name, algorithm, hyperparameters FROM eval.kb_quality
	WHERE is_best ORDER BY name, trial_number
), raw AS (
	SELECT a.name AS target, b.name AS source, coalesce(q.quality, 0) AS quality
	FROM eval.tasks a
	JOIN eval.tasks b ON b.kind = a.kind AND b.fold <> a.fold
	JOIN best_config c ON c.name = b.name
	LEFT JOIN eval.kb_quality q ON q.name = a.name AND q.algorithm = c.algorithm
		AND q.hyperparameters = c.hyperparameters
	WHERE a.evaluated
)
SELECT target, source,
	CASE WHEN max(quality) OVER w > min(quality) OVER w
		THEN (quality - min(quality) OVER w) / (max(quality) OVER w - min(quality) OVER w)
		ELSE 1 END AS relevance
FROM raw WINDOW w AS (PARTITION BY target);
-- per task, the mean over seeds (the meta-features come from a seeded sample)
CREATE VIEW eval.ndcg AS
WITH dcg AS (
	SELECT n.name, n.method, n.seed, sum(coalesce(t.relevance, 0) / log(2, n.rank + 1)) AS dcg
	FROM eval.neighbours n LEFT JOIN eval.transfer t ON t.target = n.name AND t.source = n.neighbour
	WHERE n.rank <= 5 GROUP BY 1, 2, 3
), ideal AS (
	SELECT target AS name, sum(relevance / log(2, rank + 1)) AS idcg FROM (
		SELECT target, relevance, row_number() OVER (PARTITION BY target ORDER BY relevance DESC) AS rank
		FROM eval.transfer) r
	WHERE rank <= 5 GROUP BY 1
)
SELECT d.name, d.method, avg(d.dcg / i.idcg) AS ndcg
FROM dcg d JOIN ideal i USING (name) WHERE i.idcg > 0 GROUP BY d.name, d.method;
SQL
}

# Write the results of every task to the CSV file.
export_csv() {
	mkdir -p "$(dirname "$results_csv")"
	"${PSQL[@]}" -d "$home_db" >"$results_csv" <<'SQL'
COPY (
	SELECT r.name AS dataset, t.kind AS task, t.family, t.fold, r.method, r.k AS trials,
		round(r.regret::numeric, 6) AS regret, round(n.ndcg::numeric, 6) AS ndcg_at_5, r.seeds
	FROM eval.regret r JOIN eval.tasks t USING (name)
	LEFT JOIN eval.ndcg n ON n.name = r.name AND n.method = r.method
	ORDER BY 1, 5, 6
) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
}

# Print a Markdown table of regret by method: the mean or median ($1) over
# tasks after 1, 3, 5, 10, 25 and 50 trials.
regret_table() {
	echo "| method | 1 | 3 | 5 | 10 | 25 | 50 | tasks | seeds |"
	echo "|---|---|---|---|---|---|---|---|---|"
	"${PSQL[@]}" -d "$home_db" -At -v column="$1_regret" <<'SQL'
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |', method,
	max(:"column") FILTER (WHERE k = 1), max(:"column") FILTER (WHERE k = 3),
	max(:"column") FILTER (WHERE k = 5), max(:"column") FILTER (WHERE k = 10),
	max(:"column") FILTER (WHERE k = 25), coalesce(max(:"column") FILTER (WHERE k = 50)::text, ''),
	max(tasks), (SELECT string_agg(DISTINCT seed::text, ', ') FROM eval.runs r
		WHERE r.method = s.method))
FROM eval.regret_summary s GROUP BY method
ORDER BY array_position(ARRAY['cold', 'portfolio', 'l1', 'simple', 'learned', 'l1_adaptive', 'learned_adaptive'], method);
SQL
}

# Print the Markdown tables of the target checks and of NDCG@5.
target_tables() {
	echo "| warm start | tasks | median regret after 10 trials | cold start's median after $cold_trials | share of tasks at or below cold start's $cold_trials-trial regret within 10 trials |"
	echo "|---|---|---|---|---|"
	"${PSQL[@]}" -d "$home_db" -At -v cold_trials="$cold_trials" <<'SQL'
-- each task's regrets averaged over the seeds both the method and cold start ran
WITH pairs AS (
	SELECT w.name, w.method, avg(w.regret) AS warm, avg(c.regret) AS cold
	FROM eval.regret_by_seed w JOIN eval.regret_by_seed c ON c.name = w.name
		AND c.seed = w.seed AND c.method = 'cold' AND c.k = :cold_trials
	WHERE w.k = 10 AND w.method <> 'cold' GROUP BY w.name, w.method
)
SELECT format('| %s | %s | %s | %s | %s |', method, count(*),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY warm))::numeric, 4),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cold))::numeric, 4),
	round(avg((warm <= cold)::int)::numeric, 3))
FROM pairs GROUP BY method
ORDER BY array_position(ARRAY['portfolio', 'l1', 'simple', 'learned', 'l1_adaptive', 'learned_adaptive'], method);
SQL
	echo
	echo "| retrieval | tasks | mean NDCG@5 | median NDCG@5 |"
	echo "|---|---|---|---|"
	"${PSQL[@]}" -d "$home_db" -At <<'SQL'
SELECT format('| %s | %s | %s | %s |', method, count(*), round(avg(ndcg)::numeric, 4),
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ndcg))::numeric, 4))
FROM eval.ndcg WHERE method IN ('l1', 'simple', 'learned') GROUP BY method
ORDER BY array_position(ARRAY['l1', 'simple', 'learned'], method);
SQL
}

# Replace this evaluation's section of docs/benchmarks.md.
write_docs() {
	local command=$1 started=$2 section counts per_held_out="one task of each held-out family is"
	section=$(mktemp)
	[ "$per_family" -gt 1 ] && per_held_out="up to $per_family tasks of each held-out family are"
	counts=$("${PSQL[@]}" -d "$home_db" -At <<'SQL'
SELECT count(DISTINCT name) || ' tasks (' || count(DISTINCT name) FILTER (WHERE kind = 'classification')
	|| ' classification) from ' || count(DISTINCT family) || ' families, out of '
	|| (SELECT count(*) FROM eval.tasks) || ' knowledge-base tasks'
FROM eval.runs JOIN eval.tasks USING (name);
SQL
)
	{
		echo "## $title"
		echo
		echo "Command: \`$command\`, $(checkout_description); started $started, finished $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo "Machine: $(machine_description)."
		echo
		echo "The knowledge-base tasks are grouped into families of near-duplicate data sets, and the"
		echo "families are dealt into $folds folds. For each fold, a fresh database keeps only the prior"
		echo "tasks of the other folds, and the task encoder is trained on them. Then $per_held_out"
		echo "trained by every method with each seed of its row in the tables"
		echo "below. A seed sets the cross-validation folds and the search's random draws, so every"
		echo "method sees the same folds with it: $counts. Cold start runs $cold_trials trials,"
		echo "each warm start $warm_trials. Regret is normalised per seed: 0 at the best cross-validated"
		echo "score any method reached on the task with that seed (with seed 1, whose folds the knowledge"
		echo "base used, also the best it reached), 1 at the baseline. A task's regret is the mean over its"
		echo "seeds. Counts of trials leave out the baseline. \`portfolio\`, \`l1\`, \`simple\` and \`learned\` hand the search"
		echo "a fixed list of start configurations. \`l1_adaptive\` and \`learned_adaptive\` use those"
		echo "metrics with \`automl.warm_start_adaptive\` on, the default: they choose each"
		echo "configuration after the scores of the ones before."
		echo
		echo "Mean normalised regret after k trials:"
		echo
		regret_table mean
		echo
		echo "Median normalised regret after k trials:"
		echo
		regret_table median
		echo
		echo "Against cold start's regret after $cold_trials trials, and retrieval quality:"
		echo
		target_tables
		echo
		echo "NDCG@5 scores the five past tasks a method retrieved against the ideal order by true"
		echo "transfer. A past task's relevance is the quality on the held-out task of the past"
		echo "task's incumbent, its best configuration, which \`test/kb/cross.sh\` scored on every"
		echo "task of its kind. It is min-max scaled over the past tasks of the other folds: 1 for the"
		echo "one that transfers best, 0 for the worst. Per-task figures: \`$results_csv\`."
		echo
		echo "The regret here comes from the scores the search chose its incumbents by, so it favours"
		echo "methods with more trials. \`test/kb/revalidate.sh\` scores the incumbents again on fresh"
		echo "folds; see \"Meta-learning: incumbents scored on fresh folds\"."
	} >"$section"
	replace_section "$section" "$title" "$docs"
	rm -f "$section"
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
command="bash test/kb/evaluate.sh $*"
[ "${EVAL_APPEND:-0}" = 1 ] && command="EVAL_APPEND=1 $command"
[ -n "${EVAL_METHODS:-}" ] && command="EVAL_METHODS='$EVAL_METHODS' $command"
[ -n "${EVAL_SEEDS:-}" ] && command="EVAL_SEEDS='$EVAL_SEEDS' $command"
if [ "${EVAL_REPORT:-0}" = 1 ]; then
	command="EVAL_REPORT=1 bash test/kb/evaluate.sh $*"
	create_views
elif [ "${EVAL_APPEND:-0}" = 1 ]; then
	create_views
	"${PSQL[@]}" -d "$home_db" -v methods="${methods[*]}" -v seeds="${seeds[*]}" <<'SQL'
DELETE FROM eval.runs WHERE method = ANY (string_to_array(:'methods', ' '))
	AND seed = ANY (string_to_array(:'seeds', ' ')::int[]);
DELETE FROM eval.neighbours WHERE method = ANY (string_to_array(:'methods', ' '))
	AND seed = ANY (string_to_array(:'seeds', ' ')::int[]);
SQL
else
	setup_eval_schema
	create_views
fi
[ "${EVAL_REPORT:-0}" = 1 ] || kb_run_parallel "$jobs" run_fold $(seq 0 $((folds - 1)))
if [ "${EVAL_RETRIEVAL:-0}" = 1 ]; then
	target_tables | tail -n +6
	exit 0
fi
# A seed without a cold run has no baseline, so its regrets are missing.
"${PSQL[@]}" -d "$home_db" -At <<'SQL' | sed 's/^/warning: /'
SELECT format('no cold run for %s with seed %s, so its regrets are missing: run EVAL_METHODS=cold with EVAL_SEEDS=%s',
	name, seed, seed)
FROM eval.task_range WHERE base IS NULL ORDER BY name, seed;
SQL
export_csv && echo "wrote $results_csv"
write_docs "$command" "$started" && echo "wrote $docs"
