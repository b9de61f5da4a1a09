-- One algorithm with fixed hyperparameters: only that configuration runs.
SELECT algorithm, trials, round(score::numeric, 4) AS score
FROM automl_train('iris', 'species', project => 'iris_stump', algorithms => ARRAY['tree'],
				  hyperparameters => '{"max_depth": 1, "min_samples_leaf": 1}', seed => 2);
SELECT trial_number, algorithm, hyperparameters
FROM automl.leaderboard WHERE project = 'iris_stump' ORDER BY trial_number;

-- automl_model_info shows the configuration, features and classes.
SELECT info -> 'hyperparameters' ->> 'max_depth' AS max_depth,
	info -> 'features' AS features,
	info -> 'classes' AS classes
FROM (SELECT automl_model_info(model_id) AS info
	  FROM automl.deployed_models WHERE project = 'iris_stump') m;

-- A depth-1 tree separates one class only: two classes share a prediction.
SELECT count(DISTINCT automl_predict('iris_stump', i)) AS distinct_predictions FROM iris i;

\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['tree'],
						   hyperparameters => '{"max_depth": 200}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['tree'],
						   hyperparameters => '{"depth": 2}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['tree'],
						   hyperparameters => '{"criterion": "variance"}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['tree'],
						   hyperparameters => '[1, 2]');
SELECT * FROM automl_train('iris', 'species', hyperparameters => '{"max_depth": 2}');
SELECT automl_model_info(-1);
