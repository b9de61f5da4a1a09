-- Random forest and extra trees, each trained alone with fixed
-- hyperparameters and seeds.  NOTICE lines are left out: the checks below
-- read the catalog, the predictions and automl_model_info.
SET client_min_messages = warning;
CREATE TEMP VIEW forest_models AS
SELECT DISTINCT ON (p.name) p.name AS project, m.id, m.score, m.model, m.feature_importance,
	automl_model_info(m.id) -> 'model' AS info
FROM automl.models m JOIN automl.projects p ON p.id = m.project_id
ORDER BY p.name, m.id DESC;

-- Determinism: the same seed gives the same binary and the same predictions,
-- another seed another forest.  Titanic is large enough for two threads.
SELECT project_name, algorithm, trials
FROM automl_train('titanic', 'survived', project => 'rf_seed_a', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 40}', exclude => ARRAY['alive'], seed => 21);
SELECT project_name, algorithm, trials
FROM automl_train('titanic', 'survived', project => 'rf_seed_b', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 40}', exclude => ARRAY['alive'], seed => 21);
SELECT project_name, algorithm, trials
FROM automl_train('titanic', 'survived', project => 'rf_seed_c', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 40}', exclude => ARRAY['alive'], seed => 22);
SELECT a.model = b.model AS same_seed_same_binary, a.score = b.score AS same_seed_same_score,
	a.model <> c.model AS other_seed_other_binary
FROM forest_models a, forest_models b, forest_models c
WHERE a.project = 'rf_seed_a' AND b.project = 'rf_seed_b' AND c.project = 'rf_seed_c';
SELECT count(*) AS rows,
	count(*) FILTER (WHERE automl_predict_proba('rf_seed_a', t) <> automl_predict_proba('rf_seed_b', t))
		AS differing_predictions
FROM titanic t;

SELECT project_name, algorithm
FROM automl_train('titanic', 'survived', project => 'et_seed_a', algorithms => ARRAY['extra_trees'],
				  hyperparameters => '{"n_estimators": 40}', exclude => ARRAY['alive'], seed => 21);
SELECT project_name, algorithm
FROM automl_train('titanic', 'survived', project => 'et_seed_b', algorithms => ARRAY['extra_trees'],
				  hyperparameters => '{"n_estimators": 40}', exclude => ARRAY['alive'], seed => 21);
SELECT a.model = b.model AS same_seed_same_binary
FROM forest_models a, forest_models b
WHERE a.project = 'et_seed_a' AND b.project = 'et_seed_b';

-- Out-of-bag accuracy with the default configuration (100 trees, sqrt(p)
-- columns per split, bootstrap), shown by automl_model_info.
SELECT algorithm, trials
FROM automl_train('iris', 'species', project => 'rf_iris', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{}', seed => 5);
SELECT algorithm, trials
FROM automl_train('titanic', 'survived', project => 'rf_titanic', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{}', exclude => ARRAY['alive'], seed => 5);
SELECT project, info ->> 'n_trees' AS n_trees, info ->> 'bootstrap' AS bootstrap,
	info ->> 'max_features' AS max_features, info ->> 'oob_metric' AS oob_metric,
	(info ->> 'oob_score')::float8 > CASE project WHEN 'rf_iris' THEN 0.9 ELSE 0.75 END AS oob_score_ok,
	(info ->> 'mean_depth')::float8 >= 2 AS deep_enough,
	(info ->> 'mean_leaves')::float8 >= 4 AS leafy_enough
FROM forest_models WHERE project IN ('rf_iris', 'rf_titanic') ORDER BY project;

-- Importance is the mean decrease in impurity, normalised: it sums to 1,
-- and petal sizes separate the iris species better than sepal sizes.
SELECT project, round(sum(value::numeric), 4) AS importance_sum,
	(feature_importance ->> 'petal_width')::float8 > (feature_importance ->> 'sepal_width')::float8
		AS petal_beats_sepal
FROM forest_models, jsonb_each_text(feature_importance)
WHERE project = 'rf_iris' GROUP BY project, feature_importance;

-- Extra trees do not bootstrap by default, so they have no out-of-bag
-- score; a JSON boolean turns bootstrap on.
SELECT algorithm
FROM automl_train('iris', 'species', project => 'et_iris', algorithms => ARRAY['extra_trees'],
				  hyperparameters => '{"n_estimators": 30}', seed => 5);
SELECT algorithm
FROM automl_train('iris', 'species', project => 'et_iris_bagged', algorithms => ARRAY['extra_trees'],
				  hyperparameters => '{"n_estimators": 30, "bootstrap": true}', seed => 5);
SELECT project, info ->> 'bootstrap' AS bootstrap, info ->> 'oob_score' IS NULL AS no_oob_score,
	(info ->> 'oob_score')::float8 > 0.9 AS oob_score_ok
FROM forest_models WHERE project IN ('et_iris', 'et_iris_bagged') ORDER BY project;

-- Held-out accuracy on titanic: each model is trained on 3/4 of the rows
-- and scored on the other 1/4, for each of the four quarters.  Forests of
-- trees with at least 5 rows per leaf beat the tree family's default
-- configuration and a single tree grown like the forests' trees.  Two
-- cross-validation folds are enough here: the fixed configuration is refit
-- on all training rows whatever the folds score.
SET automl.cv_folds = 2;
CREATE TABLE forest_titanic AS SELECT row_number() OVER () AS id, * FROM titanic;
CREATE TABLE forest_heldout (quarter integer, model text, accuracy float8);
DO $$
DECLARE
	config record;
BEGIN
	FOR quarter IN 0..3 LOOP
		EXECUTE format('CREATE OR REPLACE VIEW forest_titanic_train AS '
					   'SELECT * FROM forest_titanic WHERE id %% 4 <> %s', quarter);
		FOR config IN
			SELECT * FROM (VALUES
				('tree_default', 'tree', '{}'),
				('tree_like_forest', 'tree', '{"max_depth": 20, "min_samples_leaf": 5, "ccp_alpha": 0.000001}'),
				('random_forest', 'random_forest', '{"n_estimators": 50, "min_samples_leaf": 5}'),
				('extra_trees', 'extra_trees', '{"n_estimators": 50, "min_samples_leaf": 5}')) c(model, algorithm, hyperparameters)
		LOOP
			PERFORM automl_train('forest_titanic_train', 'survived',
								 project => config.model || '_' || quarter,
								 algorithms => ARRAY[config.algorithm],
								 hyperparameters => config.hyperparameters::jsonb,
								 exclude => ARRAY['id', 'alive'], seed => 11);
			INSERT INTO forest_heldout
			SELECT quarter, config.model,
				avg((automl_predict(config.model || '_' || quarter, t)::integer = t.survived)::integer)
			FROM forest_titanic t WHERE t.id % 4 = quarter;
		END LOOP;
	END LOOP;
END $$;
RESET automl.cv_folds;
SELECT count(*) AS scored FROM forest_heldout;
WITH mean AS (SELECT model, avg(accuracy) AS accuracy FROM forest_heldout GROUP BY model)
SELECT f.model, f.accuracy > (SELECT max(accuracy) FROM mean WHERE model LIKE 'tree%') AS beats_single_tree
FROM mean f WHERE f.model NOT LIKE 'tree%' ORDER BY f.model;

-- Regression on a smooth function of two columns plus a noise column.
CREATE TABLE forest_smooth AS
SELECT i AS id, x1, x2, (i * 0.7548776662) % 1 AS x3,
	sin(2 * pi() * x1) + 2 * (x2 - 0.5) ^ 2 AS y
FROM generate_series(1, 600) i,
	LATERAL (SELECT (i * 0.6180339887) % 1 AS x1, (i * 0.4142135624) % 1 AS x2) x;
CREATE VIEW forest_smooth_train AS SELECT * FROM forest_smooth WHERE id % 4 <> 0;
SELECT project_name, task_type, algorithm, score < baseline_score AS beats_baseline
FROM automl_train('forest_smooth_train', 'y', project => 'smooth_rf', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 50}', exclude => ARRAY['id'], seed => 3);
SELECT project_name, task_type, algorithm, score < baseline_score AS beats_baseline
FROM automl_train('forest_smooth_train', 'y', project => 'smooth_et', algorithms => ARRAY['extra_trees'],
				  hyperparameters => '{"n_estimators": 50}', exclude => ARRAY['id'], seed => 3);
SELECT project_name, task_type, algorithm
FROM automl_train('forest_smooth_train', 'y', project => 'smooth_tree', algorithms => ARRAY['tree'],
				  hyperparameters => '{}', exclude => ARRAY['id'], seed => 3);
WITH errors AS (
	SELECT p AS project, sum((automl_predict(p, s)::float8 - s.y) ^ 2) AS sse,
		sum((s.y - (SELECT avg(y) FROM forest_smooth WHERE id % 4 = 0)) ^ 2) AS sst
	FROM forest_smooth s, unnest(ARRAY['smooth_rf', 'smooth_et', 'smooth_tree']) p
	WHERE s.id % 4 = 0 GROUP BY p)
SELECT e.project, 1 - e.sse / e.sst > 0.98 AS heldout_r2_above_0_98,
	e.sse < t.sse AS beats_single_tree
FROM errors e, errors t
WHERE t.project = 'smooth_tree' AND e.project <> 'smooth_tree' ORDER BY e.project;
SELECT project, info ->> 'oob_metric' AS oob_metric, (info ->> 'oob_score')::float8 > 0.95 AS oob_r2_ok,
	info ->> 'max_features' AS max_features,
	(feature_importance ->> 'x1')::float8 > (feature_importance ->> 'x2')::float8 AND
	(feature_importance ->> 'x2')::float8 > (feature_importance ->> 'x3')::float8 AS importance_order_ok
FROM forest_models WHERE project = 'smooth_rf';

-- One tree on every row with every column is the CART tree: the same
-- predictions and the same cross-validated score as the tree family.
SELECT algorithm
FROM automl_train('titanic', 'survived', project => 'cart_tree', algorithms => ARRAY['tree'],
				  hyperparameters => '{"max_depth": 8, "min_samples_leaf": 5, "ccp_alpha": 0.000001}',
				  exclude => ARRAY['alive'], seed => 4);
SELECT algorithm
FROM automl_train('titanic', 'survived', project => 'cart_forest', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 1, "bootstrap": "false", "max_features": 1, "max_depth": 8, "min_samples_leaf": 5}',
				  exclude => ARRAY['alive'], seed => 4);
SELECT count(*) AS rows,
	count(*) FILTER (WHERE automl_predict_proba('cart_tree', t) = automl_predict_proba('cart_forest', t))
		AS equal_predictions
FROM titanic t;
SELECT a.score = b.score AS equal_scores, b.info ->> 'n_trees' AS n_trees
FROM forest_models a, forest_models b WHERE a.project = 'cart_tree' AND b.project = 'cart_forest';

SELECT algorithm
FROM automl_train('iris', 'petal_width', project => 'cart_tree_reg', algorithms => ARRAY['tree'],
				  hyperparameters => '{"max_depth": 6, "min_samples_leaf": 2, "ccp_alpha": 0.000001}', seed => 4);
SELECT algorithm
FROM automl_train('iris', 'petal_width', project => 'cart_forest_reg', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 1, "bootstrap": "false", "max_features": 1, "max_depth": 6, "min_samples_leaf": 2}',
				  seed => 4);
-- Pruning at the smallest ccp_alpha still collapses splits that decrease
-- the squared error by nothing: their leaves hold the parent's mean up to
-- rounding, so regression predictions agree to 1e-12.
SELECT count(*) AS rows,
	count(*) FILTER (WHERE abs(automl_predict('cart_tree_reg', i)::float8 -
							   automl_predict('cart_forest_reg', i)::float8) < 1e-12)
		AS equal_predictions
FROM iris i;

-- Invalid hyperparameters, a forest too large for automl.memory_limit, and
-- corrupted forest binaries.
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['random_forest'],
						   hyperparameters => '{"n_estimators": 0}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['extra_trees'],
						   hyperparameters => '{"max_features": 1.5}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['extra_trees'],
						   hyperparameters => '{"bootstrap": "yes"}');
SET automl.memory_limit = '16MB';
SELECT project_name, algorithm, trials
FROM automl_train('titanic', 'survived', project => 'rf_too_big', algorithms => ARRAY['random_forest'],
				  hyperparameters => '{"n_estimators": 5000}', exclude => ARRAY['alive'], seed => 4);
RESET automl.memory_limit;
SELECT t.status, t.error FROM automl.trials t
JOIN automl.tasks k ON k.id = t.task_id JOIN automl.projects p ON p.id = k.project_id
WHERE p.name = 'rf_too_big' AND t.algorithm = 'random_forest';

-- The forest header follows the family name (an int32 length and 13 bytes)
-- and the 6 float64 hyperparameters: task, outputs, columns, then the tree
-- count.  The first tree's root node comes after the 6 int32 and one
-- float64 of the header, the 4 importances and the tree's two counts.
-- automl_model_info reads the binary afresh at every call.
CREATE TEMP TABLE forest_offsets AS
SELECT id, position('\x72616e646f6d5f666f72657374'::bytea IN model) + 13 + 48 AS header
FROM automl.models WHERE id = (SELECT id FROM forest_models WHERE project = 'rf_iris');
UPDATE automl.models m SET model = overlay(model PLACING '\xffffff7f'::bytea FROM o.header + 12 FOR 4)
FROM forest_offsets o WHERE m.id = o.id;
SELECT automl_model_info(id) -> 'model' ->> 'n_trees' FROM forest_offsets;
UPDATE automl.models m SET model = overlay(model PLACING '\x64000000'::bytea FROM o.header + 12 FOR 4)
FROM forest_offsets o WHERE m.id = o.id;
SELECT automl_model_info(id) -> 'model' ->> 'n_trees' AS restored_n_trees FROM forest_offsets;
UPDATE automl.models m SET model = overlay(model PLACING '\x00000000'::bytea
										   FROM o.header + 24 + 8 + 4 * 8 + 8 + 12 FOR 4)
FROM forest_offsets o WHERE m.id = o.id;
SELECT automl_model_info(id) -> 'model' ->> 'n_trees' FROM forest_offsets;
RESET client_min_messages;
