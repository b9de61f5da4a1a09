#!/usr/bin/env bash
# Build the prior knowledge base that ships with the extension: for each
# PMLB-format data set, its meta-features and the cross-validated scores of
# one shared portfolio of configurations (test/kb/portfolio.json), all on
# the same seeded folds, so that how well one task's best configuration
# transfers to another can be measured.  A search of KB_SEARCH_TRIALS
# trials (default 40) follows the portfolio on the same folds, so each task
# also offers tuned configurations to warm starts.
#
#   PGHOST=... PGPORT=... PGUSER=... bash test/kb/build.sh PMLB_DIR [NAME ...]
#
# Without names, every data set of PMLB_DIR with at most KB_MAX_ROWS rows
# (default 5000) is used.  psql connects through the PG* variables to a
# database where the automl extension can be created; test/dev_cluster.sh
# makes one.  The result replaces sql/automl_prior.tsv, one line per task:
# name, task, meta-features (JSON) and trials (JSON array).  CREATE
# EXTENSION loads it as prior tasks (automl.tasks.is_prior).
# KB_BUILD_JOBS data sets (default 1) train at once, each in its own
# backend.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PMLB_DIR [NAME ...]" >&2; exit 2; }
[ -d "$1" ] || { echo "no such directory: $1" >&2; exit 2; }
data_dir=$(realpath -- "$1")
shift
cd "$(dirname "$0")/../.."
max_rows=${KB_MAX_ROWS:-5000}
# Trials of the search that follows the portfolio, so each task also
# contributes tuned configurations to warm starts.
search_trials=${KB_SEARCH_TRIALS:-40}
out=sql/automl_prior.tsv
jobs=${KB_BUILD_JOBS:-1}
work=$(mktemp -d)
tmp=$work/automl_prior.tsv
trap 'rm -rf "$work"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

. test/kb/common.sh
kb_require_positive KB_BUILD_JOBS "$jobs"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for dir in "$data_dir"/*/; do
		name=$(basename "$dir")
		rows=$(kb_row_count "$name")
		[ -n "$rows" ] && [ "$rows" -le "$max_rows" ] && names+=("$name")
	done
fi

kb_setup_schema
"${PSQL[@]}" -c "DELETE FROM automl.projects WHERE name LIKE 'kb\\_%'"

# Train data set $1 on the portfolio and the search that follows, and write
# its knowledge-base line to $work/$1.line.
build_task() {
	local name=$1 task portfolio count
	task=$(kb_task_kind "$name")
	[ "$task" = classification ] || [ "$task" = regression ] || { echo "skip $name: task '$task'"; return 0; }
	portfolio=$(python3 -c "import json,sys; print(json.dumps(json.load(open('test/kb/portfolio.json'))['$task']))")
	count=$(python3 -c "import json; print(len(json.load(open('test/kb/portfolio.json'))['$task']))")
	if ! kb_load_table "$name" "$task" >/dev/null 2>"$work/$name.err" ||
		! "${PSQL[@]}" -v name="$name" -v portfolio="$portfolio" \
			-v trials=$((count + 1 + search_trials)) -v task="$task" >/dev/null 2>>"$work/$name.err" <<'SQL'
SET client_min_messages = warning;
-- one cross-validation, as the shipped file was built
SET automl.cv_repeats = 1;
SELECT automl_train('kb.' || quote_ident(:'name'), 'target', project => 'kb_' || :'name',
	task => :'task', start_configurations => :'portfolio'::jsonb, max_trials => :trials,
	warm_start => false, seed => 1, time_budget => 300);
SQL
	then
		echo "failed $name: $(grep -m1 ERROR "$work/$name.err")"
		return 0
	fi
	"${PSQL[@]}" -At -F $'\t' -v name="$name" >"$work/$name.line" <<'SQL'
SELECT :'name', k.task, k.meta_features::text,
	(SELECT jsonb_agg(jsonb_build_object('algorithm', t.algorithm,
		'hyperparameters', t.hyperparameters, 'metric', t.metric, 'score', t.score,
		'fit_seconds', t.fit_seconds, 'status', t.status, 'budget', t.budget)
		ORDER BY t.trial_number)::text
	 FROM automl.trials t WHERE t.task_id = k.id)
FROM automl.tasks k JOIN automl.projects p ON p.id = k.project_id
WHERE p.name = 'kb_' || :'name'
SQL
	echo "built $name ($task)"
}

# A data set that fails is reported and left out, and the build goes on.
kb_run_parallel "$jobs" build_task "${names[@]}"

# Write the lines in the order of the list, whichever worker finished first.
built=0
: >"$tmp"
for name in "${names[@]}"; do
	if [ -s "$work/$name.line" ]; then
		cat "$work/$name.line" >>"$tmp"
		built=$((built + 1))
	fi
done
mv "$tmp" "$out"
echo "$built tasks written to $out"
