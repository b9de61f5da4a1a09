# The data set list and the shell functions shared by the PMLB benchmarks
# families.sh and search.sh.  Source it from the repository top.  The
# functions read these variables of the caller:
#   data_dir     the PMLB folder
#   split_seed   seed of the train/test split
#   python       interpreter for reference.py
#   work         a scratch folder, removed by the caller
#   reference    set by check_reference
# psql connects through the usual PG* variables.

PSQL=(psql -X -q -v ON_ERROR_STOP=1)

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

# Print the last ERROR line of a psql error output, or the whole output.
error_line() {
	local line

	line=$(grep -m1 'ERROR:' "$1" | sed 's/^.*ERROR: *//')
	[ -n "$line" ] || line=$(tr '\n' ' ' <"$1")
	echo "${line:0:500}"
}

# Print the task of dataset $1 from its metadata.yaml: classification,
# regression, another value, or nothing when the file has no task line.
dataset_task() {
	grep -m1 '^task:' "$data_dir/$1/metadata.yaml" 2>/dev/null | awk '{ print $2 }'
}

# Create schema bench with its tables and clear earlier runs from the
# catalog: the projects whose names start with $1 and an underscore.
setup_schema() {
	"${PSQL[@]}" -v prefix="$1" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
DROP SCHEMA IF EXISTS bench CASCADE;
DELETE FROM automl.projects WHERE name LIKE (:'prefix' || '\_%');
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

# Set reference (1, or empty when the reference methods cannot run) and
# reference_note (why some or all of them will not run), and print the note.
check_reference() {
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
	return 0
}

# Run reference.py on dataset $1 (task $2) and load its rows into
# bench.results.  Further arguments go to reference.py (--methods).
run_reference() {
	local name=$1 task=$2 out=$work/$1.reference.csv

	shift 2
	: >"$out"
	if ! "$python" test/bench/reference.py "$@" "$data_dir/$name/$name.tsv.gz" \
		"$work/$name.split.csv" "$task" "$name" "$out" 2>"$work/reference.err"; then
		record_failure "$name" "$task" reference "$(tail -n 1 "$work/reference.err")"
	fi
	"${PSQL[@]}" -v task="$task" -f <(cat <<'SQL'
\copy bench.results (dataset, method, status, accuracy, balanced_accuracy, r2, rmse, fit_seconds, predict_seconds, error) FROM pstdin WITH (FORMAT csv)
UPDATE bench.results SET task = :'task' WHERE task IS NULL;
SQL
) <"$out"
}

# Print the machine: cores, CPU model and memory.
machine_description() {
	local cpu memory

	cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
	memory=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
	echo "$(nproc) cores, $cpu, $memory of memory"
}

# Print the versions of PostgreSQL and automl, and of the Python libraries
# when the reference methods run.
software_versions() {
	local versions

	versions=$("${PSQL[@]}" -At -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', automl ' || extversion FROM pg_extension WHERE extname = 'automl'")
	if [ -n "$reference" ]; then
		versions+=$("$python" -c 'import sklearn, xgboost, numpy; print(", scikit-learn %s, XGBoost %s, NumPy %s" % (sklearn.__version__, xgboost.__version__, numpy.__version__))' 2>/dev/null)
	fi
	echo "$versions"
}

# Print the checkout: its commit, and whether src or sql has local changes.
checkout_description() {
	echo "git commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src sql || echo ', with local changes to src or sql')"
}

# Replace the section "## $2" of Markdown file $3 with the contents of file
# $1 (which starts with that heading), or add it at the end.
replace_section() {
	local section=$1 title=$2 file=$3

	mkdir -p "$(dirname "$file")"
	[ -f "$file" ] || printf '# Benchmarks\n' >"$file"
	awk -v section="$section" -v heading="## $title" '
		/^## / && in_section { in_section = 0; print "" }
		$0 == heading { in_section = 1; replaced = 1; print_section(); next }
		!in_section { print }
		END { if (!replaced) { print ""; print_section() } }
		function print_section(  line) {
			while ((getline line < section) > 0) print line
			close(section)
		}' "$file" >"$work/replaced.md"
	cp "$work/replaced.md" "$file"
}
