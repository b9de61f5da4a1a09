-- automl_algorithms lists every registered family with its defaults.
SELECT algorithm, classification, regression, default_hyperparameters, description
FROM automl_algorithms() ORDER BY algorithm;

-- Names are unique, the baseline serves both tasks, every family serves at
-- least one, and every default configuration is a JSON object.
SELECT count(*) = count(DISTINCT algorithm) AS unique_names,
	bool_and(classification OR regression) AS every_family_has_a_task,
	bool_and(jsonb_typeof(default_hyperparameters) = 'object') AS defaults_are_objects,
	bool_or(algorithm = 'baseline' AND classification AND regression) AS baseline_serves_both
FROM automl_algorithms();

-- The listed defaults are what automl_train accepts and what it runs: train
-- each family once with them and read the trial's configuration back.
SET client_min_messages = warning;
CREATE TEMP TABLE algorithm_runs AS
SELECT a.algorithm, t.task,
	(automl_train('iris', t.target, project => 'algorithms_' || a.algorithm || '_' || t.task,
				  task => t.task, algorithms => ARRAY[a.algorithm],
				  hyperparameters => a.default_hyperparameters, exclude => t.exclude,
				  seed => 3)).trials AS trials
FROM automl_algorithms() a
CROSS JOIN (VALUES ('classification', 'species', NULL::text[]),
				   ('regression', 'sepal_length', ARRAY['species'])) AS t(task, target, exclude)
WHERE a.algorithm <> 'baseline'
	AND CASE t.task WHEN 'classification' THEN a.classification ELSE a.regression END;
RESET client_min_messages;

SELECT r.algorithm, r.task, r.trials,
	l.hyperparameters <@ a.default_hyperparameters AS ran_defaults,
	l.status
FROM algorithm_runs r
JOIN automl_algorithms() a USING (algorithm)
JOIN automl.leaderboard l
	ON l.project = 'algorithms_' || r.algorithm || '_' || r.task AND l.algorithm = r.algorithm
ORDER BY r.algorithm, r.task;

-- Without algorithms =>, a search tries exactly the listed families that
-- serve the task: one default trial each after the baseline.
SET client_min_messages = warning;
SELECT trials = (SELECT count(*) FROM automl_algorithms() WHERE classification)
	AS one_trial_per_family
FROM automl_train('iris', 'species', project => 'algorithms_all', seed => 3, warm_start => false,
				  max_trials => (SELECT count(*)::integer
								 FROM automl_algorithms() WHERE classification));
RESET client_min_messages;
SELECT (SELECT array_agg(algorithm ORDER BY algorithm)
		FROM automl.leaderboard WHERE project = 'algorithms_all') =
	(SELECT array_agg(algorithm ORDER BY algorithm)
	 FROM automl_algorithms() WHERE classification) AS search_uses_listed_families;
