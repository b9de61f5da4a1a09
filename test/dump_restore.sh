#!/usr/bin/env bash
# pg_dump of a database with trained projects restores into a new database
# whose predictions equal the original's. Needs PGHOST/PGPORT/PGUSER of a
# running cluster with the extension installed.
set -euo pipefail
cd "$(dirname "$0")/.."

psql -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
DROP DATABASE IF EXISTS automl_dump_source;
DROP DATABASE IF EXISTS automl_dump_target;
CREATE DATABASE automl_dump_source;
CREATE DATABASE automl_dump_target;
SQL
psql -q -v ON_ERROR_STOP=1 -d automl_dump_source <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
\i test/data/load.sql
SELECT model_id FROM automl_train('iris', 'species', seed => 1, max_trials => 5);
SQL
pg_dump -d automl_dump_source | psql -q -v ON_ERROR_STOP=1 -d automl_dump_target >/dev/null

query="SELECT string_agg(automl_predict('iris', i), ',' ORDER BY sepal_length, sepal_width, petal_length, petal_width) FROM iris i"
before=$(psql -At -d automl_dump_source -c "$query")
after=$(psql -At -d automl_dump_target -c "$query")
models=$(psql -At -d automl_dump_target -c "SELECT count(*) FROM automl.models")
psql -q -d postgres -c "DROP DATABASE automl_dump_source" -c "DROP DATABASE automl_dump_target"

if [ "$models" != 1 ] || [ -z "$before" ] || [ "$before" != "$after" ]; then
	echo "dump and restore: models=$models, predictions equal: $([ "$before" = "$after" ] && echo yes || echo no)"
	exit 1
fi
echo "dump and restore: 1 model restored, 150 predictions equal"
