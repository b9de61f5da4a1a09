-- The real tables end to end: each trains, reports its decisions and predicts.
\i test/data/load_more.sql

-- penguins: text columns and NULL measurements.
SELECT project_name, task_type, algorithm <> 'baseline' AS learned, trials
FROM automl_train('penguins', 'species', algorithms => ARRAY['logistic', 'tree'],
				  seed => 1, max_trials => 6);
SELECT species, automl_predict('penguins', p) AS predicted, count(*)
FROM penguins p GROUP BY 1, 2 ORDER BY 1, 2;

-- mpg: NULL horsepower, text origin, an id-like name.
SELECT project_name, task_type, score < baseline_score / 2 AS beats_baseline, trials
FROM automl_train('mpg', 'mpg', algorithms => ARRAY['linear', 'tree'], seed => 1, max_trials => 6);
SELECT round(sqrt(avg((automl_predict_value('mpg', m) - mpg) ^ 2))::numeric, 0) AS rmse
FROM mpg m;
SELECT automl_predict_value('mpg', m) IS NOT NULL AS predicted
FROM mpg m WHERE horsepower IS NULL LIMIT 1;

-- tips: numeric money, boolean, char(4), smallint.
SELECT project_name, task_type, score < baseline_score AS beats_baseline, trials
FROM automl_train('tips', 'tip', task => 'regression', algorithms => ARRAY['linear', 'tree'],
				  seed => 1, max_trials => 6);
SELECT day, round(avg(automl_predict_value('tips', t))::numeric, 1) AS predicted_tip
FROM tips t GROUP BY day ORDER BY day;

-- diamonds: ordinal grades as enums, 54k rows evaluated on a holdout.
SELECT project_name, task_type, score < baseline_score / 2 AS beats_baseline, trials
FROM automl_train('diamonds', 'price', algorithms => ARRAY['linear', 'tree'],
				  seed => 1, max_trials => 4);
SELECT key AS column_name, value -> 'encoding' AS encoding, value ->> 'features' AS features
FROM automl.models m, jsonb_each(m.preprocessing -> 'columns')
WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'diamonds')
	AND key IN ('cut', 'color', 'clarity')
ORDER BY key;
SELECT cut, round(avg(automl_predict_value('diamonds', d))::numeric, -2) > 0 AS positive
FROM diamonds d GROUP BY cut ORDER BY cut;

-- titanic with its leaked column: detected and excluded.
SELECT project_name, algorithm <> 'baseline' AS learned
FROM automl_train('titanic', 'survived', project => 'titanic_raw',
				  algorithms => ARRAY['logistic'], seed => 1, max_trials => 3);
SELECT value ->> 'dropped' AS alive_dropped
FROM automl.models m, jsonb_each(m.preprocessing -> 'columns')
WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'titanic_raw') AND key = 'alive';
