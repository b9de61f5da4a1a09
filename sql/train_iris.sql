-- Multiclass classification with text labels.
SELECT project_name, task_type, algorithm, metric_name,
	round(score::numeric, 4) AS score,
	round(baseline_score::numeric, 4) AS baseline_score,
	trials, deployed
FROM automl_train('iris', 'species', seed => 3, max_trials => 10, time_budget => 600);

SELECT species, automl_predict('iris', i) AS predicted, count(*)
FROM iris i
GROUP BY 1, 2
ORDER BY 1, 2;

SELECT automl_predict_proba('iris', i) ? 'setosa' AS has_setosa,
	(SELECT count(*) FROM jsonb_object_keys(automl_predict_proba('iris', i))) AS classes
FROM iris i
LIMIT 1;

-- Regression on the same table, under a second project name.
SELECT project_name, task_type, metric_name,
	round(baseline_score::numeric, 4) AS baseline_score,
	score < baseline_score AS beats_baseline, trials
FROM automl_train('iris', 'petal_width', project => 'iris_width',
				  seed => 3, max_trials => 10, time_budget => 600);

SELECT round(sqrt(avg((automl_predict('iris_width', i)::float8 - petal_width) ^ 2))::numeric, 1) < 0.3
	AS rmse_below_0_3
FROM iris i;

-- task => 'regression' is refused for a text target.
\set VERBOSITY terse
SELECT * FROM automl_train('iris', 'species', project => 'iris_bad', task => 'regression');
\set VERBOSITY default
