# Shared by build.sh, evaluate.sh and test/bench/search.sh: reading
# PMLB-format data sets into schema kb, and hiding prior tasks.  Source it after setting data_dir and the PSQL array.

# Create schema kb (dropping an earlier one) with the text-to-number cast.
kb_setup_schema() {
	"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
DROP SCHEMA IF EXISTS kb CASCADE;
CREATE SCHEMA kb;
CREATE FUNCTION kb.to_float8(value text) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN value ~ '^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$' THEN value::float8 END $$;
SQL
}

# Print the task kind of data set $1 from its metadata.yaml.
kb_task_kind() {
	sed -n 's/^task: *//p' "$data_dir/$1/metadata.yaml" | head -n 1 | tr -d '"'
}

# Print the row count of data set $1 from its summary_stats.csv (a header,
# then a row whose second field is the row count).
kb_row_count() {
	sed -n '2s/^[^,]*,\([0-9]*\),.*/\1/p' "$data_dir/$1/summary_stats.csv" 2>/dev/null
}

# Load data set $1 of task kind $2 into table kb."$1": features as float8
# columns f0, f1, ..., the label as column target (float8 for regression).
kb_load_table() {
	local name=$1 task=$2 file=$data_dir/$1/$1.tsv.gz header raw="" select="" i label=-1
	local -a columns
	header=$(set +o pipefail; gzip -dc "$file" | head -n 1)
	IFS=$'\t' read -r -a columns <<<"$header"
	# The label is the last column named target: schizo has a feature of that name too.
	for ((i = 0; i < ${#columns[@]}; i++)); do
		[ "${columns[$i]}" = target ] && label=$i
	done
	for ((i = 0; i < ${#columns[@]}; i++)); do
		raw+="${raw:+, }c$i text"
		if [ "$i" -eq "$label" ]; then
			[ "$task" = regression ] && select+=", kb.to_float8(c$i) AS target" || select+=", c$i AS target"
		else
			select+=", kb.to_float8(c$i) AS f$i"
		fi
	done
	gzip -dc "$file" | "${PSQL[@]}" -v name="$name" -f <(cat <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS kb.:"name";
-- a temporary table, so that several sessions can load at once
CREATE TEMP TABLE raw_rows ($raw);
\\copy raw_rows FROM pstdin WITH (FORMAT csv, DELIMITER E'\\t', HEADER true)
CREATE TABLE kb.:"name" AS SELECT ${select#, } FROM raw_rows;
SQL
)
}

# Delete the prior tasks of the data sets named in $1 (space-separated), and
# the scores other prior tasks have of the configurations cross.sh took from
# them.  Those scores would hand a warm start the hidden tasks' tuned
# configurations.  A configuration that a kept task also tried itself stays.
kb_hide_priors() {
	"${PSQL[@]}" -v names="$1" <<'SQL'
SET client_min_messages = warning;
CREATE TEMP TABLE hidden AS
SELECT 'pmlb:' || name AS relation FROM unnest(string_to_array(:'names', ' ')) name;
-- each prior task's own configurations, not those a cross-evaluation added
CREATE TEMP TABLE own AS
SELECT DISTINCT k.relation, t.algorithm, t.hyperparameters
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
WHERE k.is_prior AND t.algorithm <> 'baseline' AND t.budget ->> 'source' <> 'transfer';
-- a cross-evaluated configuration that only hidden tasks tried themselves
DELETE FROM automl.trials t USING automl.tasks k
WHERE k.id = t.task_id AND k.is_prior AND t.budget ->> 'source' = 'transfer'
	AND (t.algorithm, t.hyperparameters) IN (SELECT algorithm, hyperparameters
		FROM own WHERE relation IN (SELECT relation FROM hidden))
	AND (t.algorithm, t.hyperparameters) NOT IN (SELECT algorithm, hyperparameters
		FROM own WHERE relation NOT IN (SELECT relation FROM hidden));
DELETE FROM automl.tasks WHERE is_prior AND relation IN (SELECT relation FROM hidden);
SQL
}

# Exit with an error unless value $2 of setting $1 is a positive whole number.
kb_require_positive() {
	if ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
		echo "invalid $1: \"$2\" (expected a positive whole number; set it to 1 or more)" >&2
		exit 2
	fi
}

# Run "$2 ITEM" in the background for each ITEM of the remaining arguments,
# at most $1 at once.  Returns 1 when any run failed, after all have ended.
kb_run_parallel() {
	local jobs=$1 command=$2 item running=0 failed=0
	shift 2
	for item in "$@"; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n || failed=1
			running=$((running - 1))
		fi
		"$command" "$item" &
		running=$((running + 1))
	done
	while [ "$running" -gt 0 ]; do
		wait -n || failed=1
		running=$((running - 1))
	done
	return "$failed"
}
