#!/usr/bin/env bash
# Install what is missing, build, start a throwaway cluster and run the main
# job on the titanic table: train, show the leaderboard, predict.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib.sh

install_packages
build_and_install
start_cluster

psql -v ON_ERROR_STOP=1 -d postgres <<'SQL'
CREATE EXTENSION automl;
\i test/data/load.sql

\echo '== train: every option but the table and the target is optional'
SELECT * FROM automl_train('titanic', 'survived', exclude => ARRAY['alive'], time_budget => 30);

\echo '== leaderboard: the best trials of the run'
SELECT rank, algorithm, hyperparameters, round(score::numeric, 4) AS score, status
FROM automl.leaderboard WHERE project = 'titanic' ORDER BY rank LIMIT 5;

\echo '== deployed model'
SELECT project, model_id, algorithm, metric, round(score::numeric, 4) AS score, reason
FROM automl.deployed_models;

\echo '== predictions from plain SQL'
SELECT sex, age, pclass, survived,
	automl_predict('titanic', t) AS predicted,
	automl_predict_proba('titanic', t) AS probabilities
FROM titanic t LIMIT 8;
SQL
