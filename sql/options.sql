-- Per-column choices through the options argument.
CREATE TABLE opt AS
SELECT CASE WHEN g % 6 = 0 THEN NULL ELSE g * 1.5 END AS amount,
	(g % 4)::float8 AS level,
	(ARRAY['u', 'v', 'w', 'x', 'y', 'z'])[g % 6 + 1] AS tag,
	(g % 3)::text AS shade,
	CASE WHEN (g % 4) + (g % 3) >= 3 THEN 'big' ELSE 'small' END AS y
FROM generate_series(1, 90) g;

SELECT project_name FROM automl_train('opt', 'y', algorithms => ARRAY['logistic'],
	hyperparameters => '{}', options => '{
		"amount": {"impute": "mean", "scale": "minmax"},
		"level": {"scale": "none", "impute": "zero"},
		"tag": {"encode": "frequency"},
		"shade": {"drop": true}}');
SELECT key AS column_name, value ->> 'impute' AS impute, value ->> 'scale' AS scale,
	value -> 'encoding' AS encoding, value ->> 'dropped' AS dropped, value -> 'fill' AS fill
FROM automl.models m, jsonb_each(m.preprocessing -> 'columns')
WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'opt')
ORDER BY key;
-- The mean of the present amounts is the fill value.
SELECT round(avg(amount), 4) AS mean_amount FROM opt;

SELECT project_name FROM automl_train('opt', 'y', project => 'opt_target',
	algorithms => ARRAY['logistic'], hyperparameters => '{}',
	options => '{"tag": {"encode": "target"}, "shade": {"encode": "onehot"}}');
SELECT f AS feature
FROM automl.deployed_models d, automl_model_info(d.model_id) i,
	jsonb_array_elements_text(i -> 'features') f
WHERE d.project = 'opt_target';

-- Invalid options are errors that name the column and the fix.
\set VERBOSITY default
SELECT * FROM automl_train('opt', 'y', options => '{"nope": {"drop": true}}');
SELECT * FROM automl_train('opt', 'y', options => '{"y": {"drop": true}}');
SELECT * FROM automl_train('opt', 'y', options => '{"amount": {"fill": 0}}');
SELECT * FROM automl_train('opt', 'y', options => '{"amount": {"impute": "mode"}}');
SELECT * FROM automl_train('opt', 'y', options => '{"tag": {"impute": "mean"}}');
SELECT * FROM automl_train('opt', 'y', options => '{"amount": {"encode": "onehot"}}');
SELECT * FROM automl_train('opt', 'y', options => '{"amount": {"keep": true, "drop": true}}');
SELECT * FROM automl_train('opt', 'y', options => '{"amount": {"keep": "yes"}}');
SELECT * FROM automl_train('opt', 'y', options => '{"amount": "mean"}');
SELECT * FROM automl_train('opt', 'y', options => '["amount"]');
