-- Each automatic preprocessing decision, on tiny tables.
\set VERBOSITY terse

-- Task inference: text, bool and integers with few values are classes,
-- other numbers are regression, and task => overrides.
CREATE TABLE targets AS
SELECT g::float8 AS x, (g % 3)::text AS t, (g % 2 = 0) AS b, (g % 4) AS few,
	g * 3 AS many, g * 0.5 AS real_value
FROM generate_series(1, 60) g;
SELECT task_type FROM automl_train('targets', 't', project => 'infer_text', exclude => ARRAY['b', 'few', 'many', 'real_value'], max_trials => 1);
SELECT task_type FROM automl_train('targets', 'b', project => 'infer_bool', exclude => ARRAY['t', 'few', 'many', 'real_value'], max_trials => 1);
SELECT task_type FROM automl_train('targets', 'few', project => 'infer_few', exclude => ARRAY['t', 'b', 'many', 'real_value'], max_trials => 1);
SELECT task_type FROM automl_train('targets', 'many', project => 'infer_many', exclude => ARRAY['t', 'b', 'few', 'real_value'], max_trials => 1);
SELECT task_type FROM automl_train('targets', 'real_value', project => 'infer_real', exclude => ARRAY['t', 'b', 'few', 'many'], max_trials => 1);
SELECT task_type FROM automl_train('targets', 'few', project => 'force_regression', task => 'regression', exclude => ARRAY['t', 'b', 'many', 'real_value'], max_trials => 1);

-- Columns dropped: all NULL, constant, constant apart from NULLs,
-- duplicates (equal or renamed levels), id-like text and integer keys.
CREATE TABLE droppable AS
SELECT g AS row_key, md5(g::text) AS code, NULL::float8 AS empty,
	7 AS constant, CASE WHEN g % 3 = 0 THEN NULL ELSE 'same' END AS mostly_same,
	(g % 5)::float8 AS signal, (g % 5)::float8 * 2 + 1 AS signal_scaled,
	(ARRAY['a', 'b', 'c'])[g % 3 + 1] AS grade,
	(ARRAY['low', 'mid', 'high'])[g % 3 + 1] AS grade_renamed,
	sin(g * 1.7) AS noise,
	CASE WHEN (g % 5 >= 2) <> (g % 7 = 0) THEN 'up' ELSE 'down' END AS y
FROM generate_series(1, 100) g;
\set VERBOSITY default
SELECT project_name, trials
FROM automl_train('droppable', 'y', algorithms => ARRAY['tree'], hyperparameters => '{}', seed => 1);
\set VERBOSITY terse
SELECT key AS column_name, value ->> 'dropped' AS dropped
FROM automl.models m, jsonb_each(m.preprocessing -> 'columns')
WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'droppable')
ORDER BY key;

-- A dropped column is ignored at prediction even when it now has values,
-- and a column added later is ignored too.
SELECT count(*) FILTER (WHERE automl_predict('droppable', d) = automl_predict('droppable', c)) AS same,
	count(*) AS rows
FROM droppable d,
	LATERAL (SELECT d.row_key + 1000 AS row_key, 'new' AS code, 5.0 AS empty, 8 AS constant,
				'other' AS mostly_same, d.signal, d.signal_scaled, d.grade, 'x' AS grade_renamed,
				d.noise, 'added' AS extra) c;

-- A leaked column: a WARNING, excluded, and kept when the options request it.
CREATE TABLE leaky AS
SELECT sin(g)::float8 AS x, (g % 4)::float8 AS z,
	CASE WHEN (g % 4 < 2) <> (g % 9 = 0) THEN 'yes' ELSE 'no' END AS y,
	CASE WHEN (g % 4 < 2) <> (g % 9 = 0) THEN 1 ELSE 0 END AS outcome_code
FROM generate_series(1, 120) g;
\set VERBOSITY default
SELECT project_name FROM automl_train('leaky', 'y', algorithms => ARRAY['tree'], hyperparameters => '{}');
SELECT project_name, round(score::numeric, 2) AS score
FROM automl_train('leaky', 'y', project => 'leaky_kept', algorithms => ARRAY['tree'],
				  hyperparameters => '{}', options => '{"outcome_code": {"keep": true}}');
\set VERBOSITY terse

-- Many levels: top-K one-hot plus other, frequency and target encoding.
SET automl.max_onehot_levels = 3;
CREATE TABLE levels AS
SELECT (ARRAY['a', 'b', 'c', 'd', 'e', 'f', 'g'])[g % 7 + 1] AS city,
	CASE WHEN g % 11 = 0 THEN NULL ELSE (ARRAY['p', 'q'])[g % 2 + 1] END AS kind,
	sin(g)::float8 AS x,
	CASE WHEN (g % 7 IN (0, 3, 5)) <> (g % 6 = 0) THEN 'hit' ELSE 'miss' END AS y
FROM generate_series(1, 140) g;
SELECT project_name FROM automl_train('levels', 'y', algorithms => ARRAY['logistic'], hyperparameters => '{}');
RESET automl.max_onehot_levels;
SELECT f AS feature
FROM automl.deployed_models d, automl_model_info(d.model_id) i,
	jsonb_array_elements_text(i -> 'features') f
WHERE d.project = 'levels';
-- Unseen and NULL levels never error; the unseen one lands in "other".
SELECT city, kind, automl_predict('levels', r) AS predicted
FROM (VALUES ('a', 'p', 0.1::float8), ('zzz', NULL, 0.1), (NULL, 'new', 0.1)) r(city, kind, x);
-- Target encoding learns the level: cross-validated balanced accuracy.
SELECT round(score::numeric, 2) AS score FROM automl.deployed_models WHERE project = 'levels';

-- Imbalanced classes train with balanced class weights; a class with a
-- single row stays on the training side of every split.
CREATE TABLE rare AS
SELECT sin(g)::float8 AS x, (g % 10)::float8 AS z,
	CASE WHEN g = 50 THEN 'unique' WHEN g % 10 = 0 THEN 'rare' ELSE 'common' END AS y
FROM generate_series(1, 200) g;
SELECT project_name, task_type
FROM automl_train('rare', 'y', algorithms => ARRAY['tree'], hyperparameters => '{}');
SELECT count(DISTINCT automl_predict('rare', r)) >= 2 AS predicts_minority FROM rare r;

-- The same row predicts the same alone, in a mixed batch and in a batch
-- of a single category.
SELECT count(*) AS rows, count(*) FILTER (WHERE p_batch = p_alone) AS same
FROM (SELECT automl_predict('levels', l) AS p_batch, l FROM levels l) b,
	LATERAL (SELECT automl_predict('levels', b.l) AS p_alone) a;
SELECT count(*) AS rows, count(*) FILTER (WHERE p_batch = p_alone) AS same
FROM (SELECT automl_predict('levels', l) AS p_batch, l FROM levels l WHERE city = 'c') b,
	LATERAL (SELECT automl_predict('levels', b.l) AS p_alone) a;
