-- Past automl.memory_limit the loader keeps a seeded reservoir sample.
CREATE TABLE wide AS
SELECT g AS a, (g * 7919) % 1000 AS b, (g % 5)::float8 AS c, (((g * 7919) % 1000 > 500) <> (g % 10 = 0)) AS y
FROM generate_series(1, 60000) g;
SET automl.memory_limit = '16MB';
SELECT project_name, algorithm <> 'baseline' AS learned, trials
FROM automl_train('wide', 'y', algorithms => ARRAY['logistic'], seed => 5, max_trials => 2);
SELECT n_rows FROM automl.tasks WHERE relation = 'public.wide';
RESET automl.memory_limit;

-- A budget too small for any model still returns the baseline.
SET client_min_messages = warning;
SELECT project_name, algorithm, trials, deployed
FROM automl_train('iris', 'species', project => 'iris_tiny_budget', time_budget => 0.000001);
RESET client_min_messages;

-- Settings are registered under the automl prefix.
SELECT name, setting, unit FROM pg_settings WHERE name LIKE 'automl.%' ORDER BY name;
