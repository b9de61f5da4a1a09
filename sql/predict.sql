-- Columns are matched by name: a view with the columns reordered, extra
-- columns added and the target removed gives the same predictions.
CREATE VIEW titanic_shuffled AS
SELECT fare, embark_town, alone, 'extra' AS note, deck, adult_male, who, class,
	embarked, parch, sibsp, age, sex, pclass, alive
FROM titanic;

SELECT count(*) AS rows,
	count(*) FILTER (WHERE automl_predict('titanic', t) = automl_predict('titanic', s)) AS same
FROM (SELECT row_number() OVER () AS n, t FROM titanic t) a(n, t)
JOIN (SELECT row_number() OVER () AS n, s FROM titanic_shuffled s) b(n, s) USING (n);

-- A row built by hand: an unseen category and NULLs still predict.
SELECT automl_predict('titanic', r) IN ('0', '1') AS predicted
FROM (SELECT 3 AS pclass, 'unknown' AS sex, NULL::float8 AS age, 0 AS sibsp, 0 AS parch,
		7.5::float8 AS fare, NULL::text AS embarked, 'Fourth' AS class, 'alien' AS who,
		NULL::boolean AS adult_male, NULL::text AS deck, 'Atlantis' AS embark_town,
		true AS alone) r;

-- Integer, numeric and real columns are all numbers to the model.
SELECT automl_predict('titanic', r) AS predicted
FROM (SELECT 1::smallint AS pclass, 'female' AS sex, 30::numeric AS age, 0::bigint AS sibsp,
		0 AS parch, 80.0::real AS fare, 'C'::varchar AS embarked, 'First'::char(5) AS class,
		'woman' AS who, false AS adult_male, 'B' AS deck, 'Cherbourg' AS embark_town,
		false AS alone) r;

-- The same row predicts the same alone and inside a batch.
SELECT (SELECT automl_predict('titanic', t) FROM titanic t WHERE t.age = 22 AND t.fare = 7.25 LIMIT 1)
	= (SELECT p FROM (SELECT automl_predict('titanic', t) AS p, t.age, t.fare FROM titanic t) x
	   WHERE age = 22 AND fare = 7.25 LIMIT 1) AS same_alone_and_batch;

-- Errors name the column and the fix.
\set VERBOSITY default
SELECT automl_predict('titanic', r)
FROM (SELECT 3 AS pclass, 'male' AS sex) r;
SELECT automl_predict('titanic', r)
FROM (SELECT 3 AS pclass, 'male' AS sex, '22'::text AS age, 0 AS sibsp, 0 AS parch,
		7.5 AS fare, 'S' AS embarked, 'Third' AS class, 'man' AS who, true AS adult_male,
		NULL AS deck, 'Southampton' AS embark_town, true AS alone) r;
SELECT automl_predict('no_such_project', t) FROM titanic t LIMIT 1;
SELECT automl_predict_proba('iris_width', i) FROM iris i LIMIT 1;

-- Rollback through automl_deploy: predictions follow the deployment at
-- the next statement, in the same session.
SELECT automl_predict('titanic', t) AS before FROM titanic t WHERE age = 22 AND fare = 7.25 LIMIT 1;
SELECT project_name, algorithm, deployed
FROM automl_train('titanic', 'survived', algorithms => ARRAY['logistic'],
				  project => 'titanic_logistic', exclude => ARRAY['alive'],
				  seed => 1, max_trials => 3);
INSERT INTO automl.models (project_id, task_id, trial_id, algorithm, hyperparameters,
		preprocessing, metric, score, baseline_score, metrics, feature_importance,
		format_version, model)
SELECT (SELECT id FROM automl.projects WHERE name = 'titanic'), task_id, trial_id, algorithm,
	hyperparameters, preprocessing, metric, score, baseline_score, metrics,
	feature_importance, format_version, model
FROM automl.models m
WHERE project_id = (SELECT id FROM automl.projects WHERE name = 'titanic_logistic');
SELECT automl_deploy('titanic', (SELECT max(id) FROM automl.models), 'test rollback') > 0 AS deployed;
SELECT algorithm, reason FROM automl.deployed_models WHERE project = 'titanic';
SELECT (SELECT count(*) FROM titanic t WHERE automl_predict('titanic', t)
		= automl_predict('titanic_logistic', t)) = (SELECT count(*) FROM titanic) AS serves_new_model;
SELECT automl_deploy('titanic', (SELECT min(id) FROM automl.models
								WHERE project_id = (SELECT id FROM automl.projects WHERE name = 'titanic')),
					 'roll back') > 0 AS rolled_back;
SELECT algorithm, reason FROM automl.deployed_models WHERE project = 'titanic';
SELECT count(*) > 0 AS serves_first_model_again
FROM titanic t WHERE automl_predict('titanic', t) <> automl_predict('titanic_logistic', t);
SELECT automl_deploy('titanic', -1);

-- Predictions run inside a parallel worker and match the serial plan.
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF)
SELECT md5(string_agg(automl_predict('titanic', t), '' ORDER BY age, fare, sex, pclass, sibsp, parch))
FROM titanic t;
SELECT md5(string_agg(automl_predict('titanic', t), '' ORDER BY age, fare, sex, pclass, sibsp, parch))
	AS parallel_hash
FROM titanic t \gset
RESET force_parallel_mode;
SELECT md5(string_agg(automl_predict('titanic', t), '' ORDER BY age, fare, sex, pclass, sibsp, parch))
	= :'parallel_hash' AS same_as_parallel
FROM titanic t;
