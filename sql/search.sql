-- The search: successive halving on large tables, TPE proposals after a
-- start-up phase, ensemble selection, reproducibility.
CREATE TABLE halving AS
SELECT g AS id, sin(g * 0.37)::float8 AS a, cos(g * 0.11)::float8 AS b,
	((g * 7919) % 1000)::float8 / 1000 AS c,
	CASE WHEN (sin(g * 0.37) + cos(g * 0.11) > 0.3) <> (g % 13 = 0) THEN 'p' ELSE 'n' END AS y
FROM generate_series(1, 9000) g;

SET client_min_messages = warning;
SELECT project_name, trials
FROM automl_train('halving', 'y', algorithms => ARRAY['logistic', 'tree'], exclude => ARRAY['id'],
				  seed => 3, max_trials => 24, time_budget => 600);
RESET client_min_messages;

-- Fidelities: nested samples of 1/9, 1/3 and all rows; only a third of
-- each rung moves up, and only trials on all rows are ranked.  The 10
-- trials left after the start configurations and local moves fit a bracket
-- of 7 screened configurations (7 + 2 + 1 trials).  With 9 screened ones,
-- none would reach all rows.
SELECT (budget ->> 'fidelity')::numeric(5, 3) AS fidelity, budget ->> 'source' AS source,
	count(*) AS trials
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
WHERE k.project_id = (SELECT id FROM automl.projects WHERE name = 'halving')
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT fidelity < 1 AS sampled, count(*) AS trials, count(rank) AS ranked,
	min(rank) AS best_rank
FROM automl.leaderboard WHERE project = 'halving' GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE (budget ->> 'fidelity')::float8 < 0.2)
	> count(*) FILTER (WHERE budget ->> 'source' = 'promoted' AND (budget ->> 'fidelity')::float8 = 1)
	AS fewer_promoted_than_screened
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
WHERE k.project_id = (SELECT id FROM automl.projects WHERE name = 'halving');

-- With all but one trial spent and no trial on all rows, the fast track
-- scores the best configuration of the highest fidelity reached on all
-- rows before the next promotion, so the baseline is not all that is left.
SET client_min_messages = warning;
SELECT algorithm <> 'baseline' AS model_deployed
FROM automl_train('halving', 'y', project => 'halving_short', algorithms => ARRAY['logistic', 'tree'],
				  exclude => ARRAY['id'], warm_start => false, seed => 3, max_trials => 5,
				  time_budget => 600);
RESET client_min_messages;
SELECT t.trial_number, t.budget ->> 'source' AS source,
	(t.budget ->> 'fidelity')::numeric(5, 3) AS fidelity, t.status
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
WHERE k.project_id = (SELECT id FROM automl.projects WHERE name = 'halving_short')
ORDER BY 1;

-- With one trial left after the first bracket, the last proposal runs on
-- all rows instead of on a sample it could not be promoted from.
SET client_min_messages = warning;
SELECT trials FROM automl_train('halving', 'y', project => 'halving_last',
	algorithms => ARRAY['logistic', 'tree'], exclude => ARRAY['id'], warm_start => false,
	seed => 3, max_trials => 8, time_budget => 600);
RESET client_min_messages;
SELECT t.trial_number, t.budget ->> 'source' AS source,
	(t.budget ->> 'fidelity')::numeric(5, 3) AS fidelity
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
WHERE k.project_id = (SELECT id FROM automl.projects WHERE name = 'halving_last')
ORDER BY 1;

-- TPE takes over from random proposals once it has ten observations.
SET client_min_messages = warning;
SELECT project_name FROM automl_train('iris', 'species', project => 'iris_tpe',
	algorithms => ARRAY['logistic', 'tree', 'knn'], seed => 8, max_trials => 30, time_budget => 600);
RESET client_min_messages;
SELECT budget ->> 'source' AS source, count(*) AS trials, min(trial_number) AS first_trial
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
WHERE k.project_id = (SELECT id FROM automl.projects WHERE name = 'iris_tpe')
GROUP BY 1 ORDER BY 3;

-- Ensemble selection: members and weights in the stored model.
SELECT m.algorithm,
	jsonb_array_length(automl_model_info(m.id) -> 'model' -> 'members') >= 2 AS several_members,
	round((SELECT sum((x ->> 'weight')::numeric)
		   FROM jsonb_array_elements(automl_model_info(m.id) -> 'model' -> 'members') x), 3)
		AS weight_sum,
	m.trial_id IS NULL AS no_single_trial
FROM automl.models m
WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'iris_width')
ORDER BY m.id LIMIT 1;

-- With a seed and an iteration budget, two runs give identical trials and
-- identical models (without warm start, which depends on the catalog).
SET client_min_messages = warning;
SELECT model_id AS first_model FROM automl_train('titanic', 'survived', project => 'repeat_a',
	exclude => ARRAY['alive'], algorithms => ARRAY['logistic', 'tree', 'naive_bayes'],
	seed => 21, max_trials => 20, time_budget => 600, warm_start => false) \gset
SELECT model_id AS second_model FROM automl_train('titanic', 'survived', project => 'repeat_b',
	exclude => ARRAY['alive'], algorithms => ARRAY['logistic', 'tree', 'naive_bayes'],
	seed => 21, max_trials => 20, time_budget => 600, warm_start => false) \gset
RESET client_min_messages;
SELECT a.model = b.model AS same_binary FROM automl.models a, automl.models b
WHERE a.id = :first_model AND b.id = :second_model;
SELECT count(*) AS trials,
	count(*) FILTER (WHERE a.algorithm = b.algorithm AND a.hyperparameters = b.hyperparameters
					 AND a.score IS NOT DISTINCT FROM b.score) AS identical
FROM automl.leaderboard a JOIN automl.leaderboard b USING (trial_number)
WHERE a.project = 'repeat_a' AND b.project = 'repeat_b';

-- Duplicated rows never straddle training and validation.  Each x below
-- appears ten times with a label that is noise between neighbouring x, so
-- 1-NN would score 1.0 if copies of a row were split across folds.
CREATE TABLE copies AS
SELECT (g % 40)::float8 AS x,
	CASE WHEN substr(md5((g % 40)::text), 1, 1) < '8' THEN 'a' ELSE 'b' END AS y
FROM generate_series(1, 400) g;
SET client_min_messages = warning;
SELECT score < 0.75 AS copies_kept_apart
FROM automl_train('copies', 'y', algorithms => ARRAY['knn'], hyperparameters => '{"n_neighbors": 1}');
RESET client_min_messages;

-- A budget too small for the search still stores the baseline or the
-- best finished model.
SET client_min_messages = warning;
SELECT algorithm IS NOT NULL AS stored, trials >= 1 AS ran
FROM automl_train('halving', 'y', project => 'halving_tiny', exclude => ARRAY['id'],
				  time_budget => 0.5, max_trials => 1000);
RESET client_min_messages;

-- Conditional hyperparameters: l1_ratio is tuned only for elastic net and
-- stays at its default otherwise.
SET client_min_messages = warning;
SELECT project_name FROM automl_train('iris', 'petal_width', project => 'iris_linear_space',
	algorithms => ARRAY['linear'], seed => 2, max_trials => 25, warm_start => false);
RESET client_min_messages;
SELECT hyperparameters ->> 'penalty' = 'elasticnet' AS elastic_net,
	count(DISTINCT hyperparameters ->> 'l1_ratio') > 1 AS l1_ratio_varies
FROM automl.leaderboard WHERE project = 'iris_linear_space' AND algorithm = 'linear'
GROUP BY 1 ORDER BY 1;

-- Warm start: the best configurations of the nearest past tasks are tried
-- right after the baseline, and the task records which tasks were used.
SET client_min_messages = warning;
SELECT project_name FROM automl_train('iris', 'species', project => 'iris_warm',
	algorithms => ARRAY['logistic', 'tree', 'knn'], seed => 9, max_trials => 12);
RESET client_min_messages;
SELECT jsonb_array_length(k.warm_start) AS neighbours,
	(SELECT bool_and(d1 <= d2) FROM (
		SELECT (e ->> 'distance')::float8 AS d1,
			lead((e ->> 'distance')::float8) OVER (ORDER BY ordinality) AS d2
		FROM jsonb_array_elements(k.warm_start) WITH ORDINALITY AS x(e, ordinality)) s
	 WHERE d2 IS NOT NULL) AS nearest_first,
	(SELECT count(*) FROM automl.trials t WHERE t.task_id = k.id AND t.budget ->> 'source' = 'start')
		AS start_trials
FROM automl.tasks k WHERE k.project_id = (SELECT id FROM automl.projects WHERE name = 'iris_warm');

-- start_configurations: evaluated first, in order, for a portfolio run.
SET client_min_messages = warning;
SELECT trials FROM automl_train('iris', 'species', project => 'iris_portfolio',
	start_configurations => '[{"algorithm": "tree", "hyperparameters": {"max_depth": 2}},
							  {"algorithm": "knn", "hyperparameters": {"n_neighbors": 3}},
							  {"algorithm": "naive_bayes"}]',
	max_trials => 4, warm_start => false);
RESET client_min_messages;
SELECT trial_number, algorithm, hyperparameters ->> coalesce(
		CASE algorithm WHEN 'tree' THEN 'max_depth' WHEN 'knn' THEN 'n_neighbors' END, 'variant')
		AS setting, status
FROM automl.leaderboard WHERE project = 'iris_portfolio' ORDER BY trial_number;
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', start_configurations => '{"algorithm": "tree"}');
SELECT * FROM automl_train('iris', 'species', start_configurations => '[{"hyperparameters": {}}]');
SELECT * FROM automl_train('iris', 'species', start_configurations => '[{"algorithm": "forestx"}]');
SELECT * FROM automl_train('iris', 'species', start_configurations => '[{"algorithm": "tree", "hyperparameters": {"max_depth": 99}}]');
SELECT * FROM automl_train('iris', 'species', start_configurations => '[{"algorithm": "linear"}]');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['knn'],
						   start_configurations => '[{"algorithm": "tree"}]');

-- Repeated cross-validation below automl.repeated_cv_threshold rows: every
-- row is scored once per repeat, on new folds.
SET client_min_messages = warning;
SET automl.cv_repeats = 3;
SELECT score AS repeated_score FROM automl_train('iris', 'species', project => 'iris_repeats',
	algorithms => ARRAY['naive_bayes'], max_trials => 2, warm_start => false) \gset
SET automl.repeated_cv_threshold = 150;
SELECT trials FROM automl_train('iris', 'species', project => 'iris_at_threshold',
	algorithms => ARRAY['naive_bayes'], max_trials => 2, warm_start => false);
RESET automl.repeated_cv_threshold;
RESET automl.cv_repeats;
SELECT score AS single_score FROM automl_train('iris', 'species', project => 'iris_once',
	algorithms => ARRAY['naive_bayes'], max_trials => 2, warm_start => false) \gset
RESET client_min_messages;
SELECT p.name, (t.budget ->> 'repeats')::int AS repeats, t.budget ->> 'resampling' AS resampling
FROM automl.trials t JOIN automl.tasks k ON k.id = t.task_id
JOIN automl.projects p ON p.id = k.project_id
WHERE p.name IN ('iris_repeats', 'iris_once', 'iris_at_threshold') AND t.trial_number = 2
ORDER BY p.name;
-- Three repeats give another estimate of the same configuration.
SELECT :repeated_score <> :single_score AS estimates_differ;
SELECT automl_drop_project(name)
FROM (VALUES ('iris_repeats'), ('iris_once'), ('iris_at_threshold')) v(name);
