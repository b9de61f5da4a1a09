-- gbdt: histogram gradient boosting, trained with fixed hyperparameters.
-- The loss curves come from automl_model_info(model_id) -> 'model'.
SET client_min_messages = warning;

-- The describe output of each project's latest model.
CREATE TEMP VIEW gbdt_models AS
SELECT p.name AS project, m.algorithm, automl_model_info(m.id) -> 'model' AS model
FROM automl.models m JOIN automl.projects p ON p.id = m.project_id
WHERE m.id = (SELECT max(id) FROM automl.models WHERE project_id = p.id);

-- Returns whether every element of a JSON array of numbers is below the one before.
CREATE FUNCTION gbdt_falls(curve jsonb) RETURNS boolean LANGUAGE sql AS $$
	SELECT bool_and(b.value::float8 < a.value::float8)
	FROM jsonb_array_elements(curve) WITH ORDINALITY a(value, i)
	JOIN jsonb_array_elements(curve) WITH ORDINALITY b(value, j) ON j = i + 1
$$;

-- Binary log loss on titanic and softmax on iris: the training loss falls
-- after every round, and each round adds one tree per class (iris) or one
-- tree (titanic).
SELECT algorithm, trials
FROM automl_train('titanic', 'survived', project => 'gbdt_titanic', exclude => ARRAY['alive'],
				  algorithms => ARRAY['gbdt'], seed => 3,
				  hyperparameters => '{"n_estimators": 40, "early_stopping_rounds": 0}');
SELECT algorithm, trials
FROM automl_train('iris', 'species', project => 'gbdt_iris', algorithms => ARRAY['gbdt'], seed => 3,
				  hyperparameters => '{"n_estimators": 25, "max_leaves": 8,
									   "min_samples_leaf": 5, "early_stopping_rounds": 0}');
SELECT project, model ->> 'objective' AS objective,
	model -> 'n_trees' AS n_trees,
	model -> 'trees_per_round' AS per_round,
	jsonb_array_length(model -> 'train_loss') AS rounds,
	gbdt_falls(model -> 'train_loss') AS train_loss_falls,
	(model -> 'train_loss' ->> -1)::float8 < 0.6 * (model -> 'train_loss' ->> 0)::float8
		AS loss_drops_by_40_percent,
	model -> 'valid_loss' AS valid_loss
FROM gbdt_models WHERE project IN ('gbdt_titanic', 'gbdt_iris') ORDER BY project;

-- Binary probabilities are two columns summing to 1; iris probabilities are
-- three.  The training rows are mostly predicted right.
SELECT bool_and(abs((p ->> '0')::float8 + (p ->> '1')::float8 - 1) < 1e-12) AS sums_to_one,
	avg((((p ->> '1')::float8 > 0.5)::int = survived)::int) >= 0.8 AS accurate
FROM (SELECT automl_predict_proba('gbdt_titanic', t) AS p, survived FROM titanic t) x;
SELECT count(*) FILTER (WHERE automl_predict('gbdt_iris', i) = species) >= 140 AS accurate,
	bool_and((SELECT count(*) FROM jsonb_object_keys(automl_predict_proba('gbdt_iris', i))) = 3)
		AS three_classes
FROM iris i;

-- The same seed gives the same model, with row and column sampling on; a
-- different seed samples differently.
SELECT project FROM (VALUES ('gbdt_same_a', 5), ('gbdt_same_b', 5), ('gbdt_other_seed', 6)) v(project, seed),
	LATERAL automl_train('titanic', 'survived', project => v.project, exclude => ARRAY['alive'],
						 algorithms => ARRAY['gbdt'], seed => v.seed,
						 hyperparameters => '{"n_estimators": 30, "subsample": 0.7,
											  "colsample": 0.5, "early_stopping_rounds": 5}') t
ORDER BY project;
SELECT count(*) AS rows,
	count(*) FILTER (WHERE automl_predict_proba('gbdt_same_a', t) = automl_predict_proba('gbdt_same_b', t))
		AS same_seed_identical,
	count(*) FILTER (WHERE automl_predict_proba('gbdt_same_a', t) = automl_predict_proba('gbdt_other_seed', t))
		< count(*) AS other_seed_differs
FROM titanic t;

-- Regression with squared loss: y is a step function of x with steps at
-- 0.3 and 0.7, and the predictions follow the steps on both sides.
CREATE TABLE gbdt_steps AS
SELECT g / 1000.0 AS x,
	(CASE WHEN g < 300 THEN 1 WHEN g < 700 THEN 5 ELSE 10 END)::float8 AS y
FROM generate_series(0, 999) g;
SELECT algorithm
FROM automl_train('gbdt_steps', 'y', algorithms => ARRAY['gbdt'], seed => 1,
				  hyperparameters => '{"n_estimators": 60, "learning_rate": 0.3,
									   "min_samples_leaf": 5, "early_stopping_rounds": 0}',
				  options => '{"x": {"keep": true}}');
SELECT x, round(automl_predict('gbdt_steps', s)::numeric, 2) AS prediction
FROM gbdt_steps s WHERE x IN (0.05, 0.25, 0.29, 0.31, 0.5, 0.69, 0.71, 0.95) ORDER BY x;
SELECT model ->> 'objective' AS objective, model -> 'base_score' AS mean,
	gbdt_falls(model -> 'train_loss') AS train_loss_falls,
	(model -> 'train_loss' ->> -1)::float8 < 1e-3 AS fits_the_steps
FROM gbdt_models WHERE project = 'gbdt_steps';

-- Absolute loss: every tenth row is an outlier 10 above its step.  Leaf
-- medians ignore the outliers, so predictions between them stay on the
-- steps.
CREATE TABLE gbdt_outliers AS
SELECT x, y + CASE WHEN round(x * 1000) % 10 = 0 THEN 10 ELSE 0 END AS y
FROM gbdt_steps;
SELECT project, algorithm
FROM (VALUES ('gbdt_absolute', 'absolute', 'mae'), ('gbdt_squared', 'squared', 'rmse')) v(project, loss, metric),
	LATERAL automl_train('gbdt_outliers', 'y', project => v.project, algorithms => ARRAY['gbdt'],
						 seed => 1, metric => v.metric, options => '{"x": {"keep": true}}',
						 hyperparameters => format('{"n_estimators": 60, "learning_rate": 0.3,
													  "min_samples_leaf": 20, "early_stopping_rounds": 0,
													  "loss": "%s"}', v.loss)::jsonb) t
ORDER BY project;
SELECT x, round(automl_predict('gbdt_absolute', s)::numeric, 1) AS absolute_loss
FROM gbdt_steps s WHERE x IN (0.055, 0.255, 0.355, 0.655, 0.755, 0.955) ORDER BY x;
-- Over all rows, squared loss keeps the mean of the targets, outliers
-- included, which is 1 above the steps.
SELECT round(avg(automl_predict('gbdt_absolute', s)::float8 - y)::numeric, 1) AS absolute_shift,
	round(avg(automl_predict('gbdt_squared', s)::float8 - y)::numeric, 1) AS squared_shift
FROM gbdt_steps s;
SELECT project, model ->> 'objective' AS objective, model -> 'base_score' AS base_score
FROM gbdt_models WHERE project IN ('gbdt_absolute', 'gbdt_squared') ORDER BY project;

-- Early stopping on a noisy target: y = 3 x1 plus deterministic
-- pseudo-random noise.  Boosting stops 10 rounds after the best validation
-- loss, long before 1000 rounds, and keeps the trees up to the best round.
CREATE TABLE gbdt_noisy AS
SELECT (g % 97) / 97.0 AS x1, (g * 7919 % 101) / 101.0 AS x2,
	3 * (g % 97) / 97.0 + 2 * ((g * 104729) % 1009) / 1009.0 AS y
FROM generate_series(1, 3000) g;
SELECT algorithm
FROM automl_train('gbdt_noisy', 'y', algorithms => ARRAY['gbdt'], seed => 1,
				  hyperparameters => '{"n_estimators": 1000, "learning_rate": 0.3,
									   "early_stopping_rounds": 10}');
SELECT (model ->> 'early_stopping')::boolean AS early_stopping,
	(model ->> 'rounds_trained')::int < 1000 AS stopped_early,
	(model ->> 'rounds_trained')::int = (model ->> 'best_iteration')::int + 10 AS patience_10,
	(model ->> 'n_trees')::int = (model ->> 'best_iteration')::int AS keeps_best_trees,
	jsonb_array_length(model -> 'valid_loss') = (model ->> 'rounds_trained')::int AS curve_length,
	(model -> 'valid_loss' ->> ((model ->> 'best_iteration')::int - 1))::float8
		< (model -> 'valid_loss' ->> -1)::float8 AS best_beats_last
FROM gbdt_models WHERE project = 'gbdt_noisy';

-- With early_stopping false, no validation rows are set aside and every
-- round is boosted, whatever early_stopping_rounds is.
SELECT algorithm
FROM automl_train('gbdt_noisy', 'y', algorithms => ARRAY['gbdt'], seed => 1,
				  project => 'gbdt_noisy_all_rounds',
				  hyperparameters => '{"n_estimators": 200, "learning_rate": 0.3,
									   "early_stopping_rounds": 10,
									   "early_stopping": "false"}');
SELECT (model ->> 'early_stopping')::boolean AS early_stopping,
	(model ->> 'rounds_trained')::int AS rounds_trained,
	(model ->> 'n_trees')::int AS n_trees,
	model -> 'valid_loss' AS valid_loss
FROM gbdt_models WHERE project = 'gbdt_noisy_all_rounds';

-- Growth policies with 4 leaves: depth-wise growth fills depth 2 before
-- going deeper, while leaf-wise growth follows the largest gains deeper.
-- max_depth 2 caps leaf-wise growth at 4 leaves, even with max_leaves 31.
SELECT project FROM (VALUES
		('gbdt_depthwise', '{"max_leaves": 4, "grow_policy": "depthwise"}'),
		('gbdt_leafwise', '{"max_leaves": 4, "grow_policy": "leafwise"}'),
		('gbdt_shallow', '{"max_leaves": 31, "max_depth": 2}')) v(project, growth),
	LATERAL automl_train('titanic', 'survived', project => v.project, exclude => ARRAY['alive'],
						 algorithms => ARRAY['gbdt'], seed => 3,
						 hyperparameters => '{"n_estimators": 20, "min_samples_leaf": 1,
											  "early_stopping_rounds": 0}'::jsonb || v.growth::jsonb) t
ORDER BY project;
SELECT project, model -> 'max_leaves' AS max_leaves, model -> 'max_depth' AS max_depth
FROM gbdt_models WHERE project IN ('gbdt_depthwise', 'gbdt_leafwise', 'gbdt_shallow')
ORDER BY project;

-- Held-out quality on titanic with default hyperparameters, against the
-- decision tree with its defaults: train on 3/4 of the rows, score the rest.
CREATE TABLE gbdt_titanic_numbered AS SELECT row_number() OVER () AS id, * FROM titanic;
CREATE VIEW gbdt_titanic_train AS SELECT * FROM gbdt_titanic_numbered WHERE id % 4 <> 0;
CREATE VIEW gbdt_titanic_test AS SELECT * FROM gbdt_titanic_numbered WHERE id % 4 = 0;
SELECT project FROM (VALUES ('gbdt_quality', 'gbdt'), ('gbdt_quality_tree', 'tree')) v(project, algorithm),
	LATERAL automl_train('gbdt_titanic_train', 'survived', project => v.project,
						 exclude => ARRAY['id', 'alive'], algorithms => ARRAY[v.algorithm],
						 hyperparameters => '{}', seed => 11) t
ORDER BY project;
CREATE TEMP TABLE gbdt_quality AS
SELECT project, avg(recall) AS balanced_accuracy
FROM (SELECT project, survived,
		  avg((automl_predict(project, t)::integer = survived)::int) AS recall
	  FROM gbdt_titanic_test t, (VALUES ('gbdt_quality'), ('gbdt_quality_tree')) v(project)
	  GROUP BY project, survived) r
GROUP BY project;
SELECT g.balanced_accuracy >= 0.75 AS gbdt_accurate,
	g.balanced_accuracy >= t.balanced_accuracy - 0.02 AS gbdt_at_least_tree
FROM gbdt_quality g, gbdt_quality t
WHERE g.project = 'gbdt_quality' AND t.project = 'gbdt_quality_tree';

-- Importance: gain shares sum to 1, and the sex of a passenger (directly or
-- through who and adult_male) carries the most.
SELECT round(sum(value::float8)::numeric, 6) AS total,
	(array_agg(key ORDER BY value::float8 DESC))[1] IN ('sex', 'who', 'adult_male') AS top_is_sex
FROM automl.models m JOIN automl.projects p ON p.id = m.project_id,
	jsonb_each_text(m.feature_importance)
WHERE p.name = 'gbdt_titanic';

-- A corrupted model is rejected on load with an error, never a crash.
-- The family's data starts after its name (int32 length 4, then "gbdt")
-- and its 15 hyperparameters.
CREATE FUNCTION gbdt_payload_offset(model bytea) RETURNS int LANGUAGE sql AS $$
	SELECT position('\x0400000067626474'::bytea IN model) - 1 + 8 + 15 * 8
$$;
-- gbdt_depthwise has not been loaded for prediction in this session yet.
CREATE TEMP TABLE gbdt_saved AS
SELECT m.id, m.model FROM automl.models m JOIN automl.projects p ON p.id = m.project_id
WHERE p.name = 'gbdt_depthwise';
-- The stored fit time makes the checksum differ between runs, so only the
-- error line is shown.
\set VERBOSITY terse
-- An objective out of range.
UPDATE automl.models m SET model = set_byte(s.model, gbdt_payload_offset(s.model), 9)
FROM gbdt_saved s WHERE m.id = s.id;
SELECT automl_predict('gbdt_depthwise', t) FROM titanic t LIMIT 1;
-- The root's left child pointing back at the root.  The payload starts
-- with six int32 counts, the base score, the tree's node count, the
-- root's feature and threshold, then its left child.
UPDATE automl.models m SET model = set_byte(s.model, gbdt_payload_offset(s.model) + 48, 0)
FROM gbdt_saved s WHERE m.id = s.id;
SELECT automl_predict('gbdt_depthwise', t) FROM titanic t LIMIT 1;
-- A node count larger than the bytes left.
UPDATE automl.models m SET model = set_byte(s.model, gbdt_payload_offset(s.model) + 33, 7)
FROM gbdt_saved s WHERE m.id = s.id;
SELECT automl_predict('gbdt_depthwise', t) FROM titanic t LIMIT 1;
\set VERBOSITY terse
UPDATE automl.models m SET model = s.model FROM gbdt_saved s WHERE m.id = s.id;
SELECT automl_predict('gbdt_depthwise', t) IN ('0', '1') AS restored FROM titanic t LIMIT 1;

-- Hyperparameters out of range are rejected with the valid range.
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['gbdt'],
						   hyperparameters => '{"max_bins": 300}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['gbdt'],
						   hyperparameters => '{"loss": "huber"}');
\set VERBOSITY terse
