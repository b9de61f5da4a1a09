-- The catalog rows a training run leaves.
SELECT name, relation, target, task, metric, owner = current_user AS owned
FROM automl.projects ORDER BY id;

SELECT p.name, k.relation, k.n_rows, k.n_features,
	(SELECT count(*) FROM jsonb_object_keys(k.meta_features)) >= 35 AS meta_features_35,
	k.meta_features ->> 'n_classes' AS n_classes,
	k.embedding IS NULL AS no_embedding_yet
FROM automl.tasks k JOIN automl.projects p ON p.id = k.project_id
ORDER BY k.id;

SELECT meta_features ?& ARRAY['n_rows', 'n_columns', 'missing_share', 'numeric_share',
							  'class_entropy', 'majority_class_share', 'skewness_mean',
							  'kurtosis_max', 'target_correlation_max', 'feature_correlation_mean',
							  'pca_components_95', 'pca_first_share', 'mutual_information_mean',
							  'equivalent_attributes', 'noise_signal_ratio', 'landmark_1nn',
							  'landmark_stump', 'landmark_naive_bayes', 'landmark_linear']
	AS has_named_values
FROM automl.tasks WHERE relation = 'public.titanic' ORDER BY id LIMIT 1;

-- Landmarkers are scores of cheap learners: above chance on titanic.
SELECT key, round(value::numeric, 2) > 0.6 AS above_chance
FROM automl.tasks k, jsonb_each_text(k.meta_features)
WHERE k.relation = 'public.titanic' AND key LIKE 'landmark%'
	AND k.id = (SELECT min(id) FROM automl.tasks WHERE relation = 'public.titanic')
ORDER BY key;

-- Every trial is recorded with its configuration, budget and status.
SELECT k.relation, count(*) AS trials, count(DISTINCT t.algorithm) AS algorithms,
	bool_and(t.status = 'ok') AS all_ok,
	bool_and(t.budget ? 'rows' AND t.budget ? 'folds') AS budget_recorded,
	bool_and(t.fit_seconds >= 0) AS timed
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
GROUP BY k.id, k.relation ORDER BY k.id;

SELECT trial_number, algorithm, hyperparameters, round(score::numeric, 4) AS score
FROM automl.trials WHERE task_id = 1 ORDER BY trial_number LIMIT 4;

-- Models: versioned binary with the magic number, plan, metrics, importance.
SELECT m.id, p.name, m.algorithm, m.format_version,
	substring(m.model FROM 1 FOR 4) = 'AUML'::bytea AS magic,
	m.preprocessing -> 'columns' ? 'sex' AS plan_stored,
	m.metrics ?& ARRAY['accuracy', 'balanced_accuracy', 'log_loss', 'f1', 'roc_auc']
		OR m.metrics ?& ARRAY['rmse', 'mae', 'r2'] AS all_metrics,
	m.feature_importance IS NOT NULL AS has_importance
FROM automl.models m JOIN automl.projects p ON p.id = m.project_id
ORDER BY m.id;

SELECT key, round(value::numeric, 3) AS importance
FROM automl.models m, jsonb_each_text(m.feature_importance)
WHERE m.id = 1 AND value::numeric > 0.05
ORDER BY value::numeric DESC, key;

SELECT m.preprocessing -> 'columns' -> 'sex' AS sex_plan,
	m.preprocessing -> 'columns' -> 'age' ->> 'missing_indicator' AS age_indicator
FROM automl.models m WHERE m.id = 1;

-- The deployment history records which model served, when and why.
SELECT p.name, d.model_id, d.reason
FROM automl.deployments d JOIN automl.projects p ON p.id = d.project_id
ORDER BY d.id;

-- Retraining with a worse budget keeps the deployed model.
SELECT algorithm, deployed
FROM automl_train('titanic', 'survived', algorithms => ARRAY['tree'],
				  exclude => ARRAY['alive'], seed => 7, max_trials => 2);
SELECT model_id FROM automl.deployed_models WHERE project = 'titanic';

-- pg_dump keeps the catalog: every table and sequence is registered.
SELECT c.relname
FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
WHERE e.extname = 'automl'
ORDER BY c.relname;

-- A corrupted binary is rejected on load, with a hint.
UPDATE automl.models SET model = substring(model FROM 1 FOR 40)
WHERE project_id = (SELECT id FROM automl.projects WHERE name = 'titanic_logistic');
SELECT automl_predict('titanic_logistic', t) FROM titanic t LIMIT 1;
UPDATE automl.models SET model = '\x00000000'::bytea || substring(model FROM 5)
WHERE project_id = (SELECT id FROM automl.projects WHERE name = 'iris');
SELECT automl_predict('iris', i) FROM iris i LIMIT 1;

-- A retrain re-evaluates the deployed configuration on the new folds first
-- and records the comparison as the deployment reason.
SET client_min_messages = warning;
SELECT deployed FROM automl_train('iris', 'species', project => 'iris_retrain',
	algorithms => ARRAY['logistic', 'tree'], seed => 4, max_trials => 4);
RESET client_min_messages;
SELECT algorithm, deployed FROM automl_train('iris', 'species', project => 'iris_retrain',
	algorithms => ARRAY['logistic', 'tree'], seed => 5, max_trials => 4);
SELECT trial_number, algorithm, status
FROM automl.leaderboard WHERE project = 'iris_retrain' ORDER BY trial_number LIMIT 2;
SELECT reason LIKE '%deployed configuration of model % on the same folds' AS compared_on_same_folds
FROM automl.deployed_models WHERE project = 'iris_retrain';

-- A configuration's seed depends on the run seed and the configuration, not
-- on its place in the search: extra_trees' default is trial 2 in one run
-- and trial 3 in the other, on the same folds, and scores the same.
SET client_min_messages = warning;
SELECT deployed FROM automl_train('iris', 'species', project => 'iris_seed_a',
	algorithms => ARRAY['extra_trees'], seed => 4, max_trials => 2, warm_start => false);
SELECT deployed FROM automl_train('iris', 'species', project => 'iris_seed_b',
	algorithms => ARRAY['tree', 'extra_trees'], seed => 4, max_trials => 3,
	warm_start => false);
RESET client_min_messages;
SELECT project, trial_number, score = first_value(score) OVER (ORDER BY project) AS same_score
FROM automl.leaderboard
WHERE project IN ('iris_seed_a', 'iris_seed_b') AND algorithm = 'extra_trees'
ORDER BY project;
SELECT automl_drop_project(name) FROM (VALUES ('iris_seed_a'), ('iris_seed_b')) v(name);

-- A retrain scored by another metric keeps the deployed model: scores of
-- two metrics cannot be compared.
SET client_min_messages = warning;
SELECT deployed FROM automl_train('iris', 'species', project => 'iris_metric',
	algorithms => ARRAY['naive_bayes'], seed => 4, max_trials => 3);
RESET client_min_messages;
SELECT algorithm, deployed FROM automl_train('iris', 'species', project => 'iris_metric',
	algorithms => ARRAY['tree'], hyperparameters => '{"max_depth": 1}', metric => 'log_loss');
SELECT algorithm FROM automl.deployed_models WHERE project = 'iris_metric';
-- Omitting the metric on a retrain keeps the project's metric.
SET client_min_messages = warning;
SELECT metric_name FROM automl_train('iris', 'species', project => 'iris_metric',
	algorithms => ARRAY['naive_bayes'], seed => 4, max_trials => 2);
RESET client_min_messages;

-- One flipped byte anywhere in the body fails the checksum.
UPDATE automl.models SET model = set_byte(model, 300, get_byte(model, 300) # 1)
WHERE id = (SELECT model_id FROM automl.deployed_models WHERE project = 'iris_metric');
SELECT automl_predict('iris_metric', i) FROM iris i LIMIT 1;
