#!/usr/bin/env bash
# A pg_cron job retrains the task encoder from the catalog.  Starts its own
# cluster with pg_cron preloaded (background workers, so no connection
# settings are needed), schedules automl_train_task_encoder() every minute
# and waits for its first run, at most 150 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib.sh

PGPORT=${PGPORT:-55434}
CLUSTER_OPTIONS="-c shared_preload_libraries=pg_cron -c cron.database_name=postgres -c cron.use_background_workers=on"
start_cluster

psql -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION automl;
SELECT cron.schedule('automl-encoder', '* * * * *', 'SELECT automl_train_task_encoder()');
SQL

status=""
for _ in $(seq 1 75); do
	status=$(psql -At -d postgres -c "SELECT status FROM cron.job_run_details WHERE status IN ('succeeded', 'failed') LIMIT 1")
	[ -n "$status" ] && break
	sleep 2
done
result=$(psql -At -d postgres -c "SELECT count(*) || ' encoder, ' || (SELECT count(*) FROM automl.tasks WHERE embedding IS NOT NULL) || ' embeddings' FROM automl.meta_models")
psql -q -d postgres -c "SELECT cron.unschedule('automl-encoder')" >/dev/null
echo "cron: job ${status:-did not run}, $result"
[ "$status" = succeeded ] && [[ $result == "1 encoder, "* ]] && [[ $result != *" 0 embeddings" ]]
