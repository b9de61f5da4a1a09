#!/usr/bin/env bash
# Cross-evaluate the knowledge base (sql/automl_prior.tsv): score the best
# configurations of every task on every other task of the same kind, on that
# task's own folds.  A task's source configurations are its best trial of
# each of its KB_CROSS_FAMILIES best model families: its incumbent (its best
# configuration) and the best of the next families.  The portfolio alone
# measures how a dozen default-like configurations transfer.  After this
# step the tuned configurations have scores across tasks too, so a warm
# start can choose configurations that do well on several neighbours.
# auto-sklearn 2.0 builds its portfolio from the incumbents of its training
# data sets in the same way.
#
#   PGHOST=... PGPORT=... PGUSER=... bash test/kb/cross.sh PMLB_DIR
#
# Run it after build.sh, in the same kind of database.  Each task is trained
# with the other tasks' source configurations as start configurations,
# seed 1 (so the folds of build.sh) and one trial per configuration.  The
# new trials are appended to the task's line with budget source "transfer".
# Configurations a task already evaluated are skipped, so running it again
# with more families scores only the new ones.
#
# Settings, from the environment:
#   KB_CROSS_FAMILIES     best families per task whose best configuration is
#                         cross-evaluated (default 2; 1 takes the incumbent
#                         alone)
#   KB_CROSS_MAX_SECONDS  leave out configurations whose trial took longer
#                         than this on their own task (default 3), to bound
#                         the run time
#   KB_CROSS_JOBS         tasks cross-evaluated at once, each in its own
#                         backend (default 1)
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PMLB_DIR" >&2; exit 2; }
[ -d "$1" ] || { echo "no such directory: $1" >&2; exit 2; }
data_dir=$(realpath -- "$1")
cd "$(dirname "$0")/../.."
max_seconds=${KB_CROSS_MAX_SECONDS:-3}
families=${KB_CROSS_FAMILIES:-2}
jobs=${KB_CROSS_JOBS:-1}
kb=sql/automl_prior.tsv
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. test/kb/common.sh
kb_require_positive KB_CROSS_JOBS "$jobs"
kb_require_positive KB_CROSS_FAMILIES "$families"

# Write $work/NAME.json, the start configurations of each task: the source
# configurations of the other tasks of its kind that it has not evaluated.
python3 - "$kb" "$work" "$max_seconds" "$families" <<'PYTHON'
import json, sys

kb_path, work = sys.argv[1], sys.argv[2]
max_seconds, families = float(sys.argv[3]), int(sys.argv[4])
lower_is_better = {"log_loss", "rmse", "mae"}

def gain(trial):
    return -trial["score"] if trial["metric"] in lower_is_better else trial["score"]

def key(trial):
    return trial["algorithm"], json.dumps(trial["hyperparameters"], sort_keys=True)

tasks = []
for line in open(kb_path):
    name, kind, _, trials = line.rstrip("\n").split("\t")
    tasks.append((name, kind, json.loads(trials)))

sources = {}
for name, kind, trials in tasks:
    # the task's own trials, not those a cross-evaluation added
    done = [t for t in trials if t["status"] == "ok" and t["algorithm"] != "baseline"
            and (t.get("budget") or {}).get("fidelity", 1) >= 1
            and (t.get("budget") or {}).get("source") != "transfer"]
    best_of_family = {}
    for t in sorted(done, key=gain, reverse=True):
        best_of_family.setdefault(t["algorithm"], t)
    for best in list(best_of_family.values())[:families]:
        if (best.get("fit_seconds") or 0) <= max_seconds:
            sources.setdefault(kind, {}).setdefault(key(best), best)

for name, kind, trials in tasks:
    tried = {key(t) for t in trials}
    configs = [{"algorithm": t["algorithm"], "hyperparameters": t["hyperparameters"]}
               for k, t in sorted(sources.get(kind, {}).items()) if k not in tried]
    with open(f"{work}/{name}.json", "w") as out:
        json.dump(configs, out)
    with open(f"{work}/{name}.kind", "w") as out:
        out.write(kind)
PYTHON

kb_setup_schema
"${PSQL[@]}" -c "DELETE FROM automl.projects WHERE name LIKE 'kbcross\\_%'"

# Score task $1 on the start configurations of $work/$1.json and write its
# new trials to $work/$1.trials.json.
cross_task() {
	local name=$1 kind count
	kind=$(cat "$work/$name.kind")
	count=$(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" "$work/$name.json")
	if [ "$count" -eq 0 ]; then
		echo '[]' >"$work/$name.trials.json"
		return 0
	fi
	if ! kb_load_table "$name" "$kind" >/dev/null 2>"$work/$name.err" ||
		! "${PSQL[@]}" -v name="$name" -v kind="$kind" -v trials=$((count + 1)) \
			-v configs="$(cat "$work/$name.json")" >/dev/null 2>>"$work/$name.err" <<'SQL'
SET client_min_messages = warning;
-- one cross-validation, as build.sh scores the tasks
SET automl.cv_repeats = 1;
SELECT automl_train('kb.' || quote_ident(:'name'), 'target', project => 'kbcross_' || :'name',
	task => :'kind', start_configurations => :'configs'::jsonb, max_trials => :trials,
	warm_start => false, seed => 1, time_budget => 36000);
SQL
	then
		echo "failed $name: $(grep -m1 ERROR "$work/$name.err")"
		return 1
	fi
	"${PSQL[@]}" -At -v name="$name" >"$work/$name.trials.json" <<'SQL'
SELECT coalesce(jsonb_agg(jsonb_build_object('algorithm', t.algorithm,
		'hyperparameters', t.hyperparameters, 'metric', t.metric, 'score', t.score,
		'fit_seconds', t.fit_seconds, 'status', t.status,
		'budget', t.budget || '{"source": "transfer"}') ORDER BY t.trial_number), '[]')
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
JOIN automl.projects p ON p.id = k.project_id
WHERE p.name = 'kbcross_' || :'name' AND t.budget ->> 'source' = 'start'
SQL
	"${PSQL[@]}" -v name="$name" >/dev/null <<'SQL'
SELECT automl_drop_project('kbcross_' || :'name');
DROP TABLE kb.:"name";
SQL
	echo "cross-evaluated $name ($kind): $count configurations"
}

kb_run_parallel "$jobs" cross_task $(cut -f1 "$kb") || exit 1

# Append each task's new trials to its line.
python3 - "$kb" "$work" <<'PYTHON'
import json, sys

kb_path, work = sys.argv[1], sys.argv[2]
lines = []
for line in open(kb_path):
    name, kind, meta, trials = line.rstrip("\n").split("\t")
    merged = json.loads(trials) + json.load(open(f"{work}/{name}.trials.json"))
    lines.append("\t".join([name, kind, meta, json.dumps(merged)]) + "\n")
with open(kb_path, "w") as out:
    out.writelines(lines)
PYTHON
echo "$(cut -f1 "$kb" | wc -l) tasks cross-evaluated in $kb"
