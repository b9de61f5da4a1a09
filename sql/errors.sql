-- Each bad input gets a clear error and writes nothing to the catalog.
CREATE TEMP TABLE catalog_before AS
SELECT (SELECT count(*) FROM automl.projects) AS projects,
	(SELECT count(*) FROM automl.tasks) AS tasks,
	(SELECT count(*) FROM automl.trials) AS trials,
	(SELECT count(*) FROM automl.models) AS models,
	(SELECT count(*) FROM automl.deployments) AS deployments;

\set VERBOSITY default
-- missing relation
SELECT * FROM automl_train('no_such_table', 'y');
-- target column missing, with the closest name
SELECT * FROM automl_train('titanic', 'survive');
-- target column missing and no name close to it: the hint shows how to list the columns
SELECT * FROM automl_train('titanic', 'outcome');
-- unsupported column types, with a cast that would work
CREATE TABLE typed (d date, p point, y integer);
INSERT INTO typed VALUES ('2024-01-01', '(1,2)', 1), ('2024-01-02', '(2,3)', 0);
SELECT * FROM automl_train('typed', 'y');
SELECT * FROM automl_train('typed', 'y', exclude => ARRAY['d']);
-- empty table, and no non-NULL target
CREATE TABLE empty_table (x float8, y integer);
SELECT * FROM automl_train('empty_table', 'y');
INSERT INTO empty_table VALUES (1, NULL), (2, NULL);
SELECT * FROM automl_train('empty_table', 'y');
-- one class only
CREATE TABLE one_class (x float8, y text);
INSERT INTO one_class VALUES (1, 'a'), (2, 'a'), (3, NULL);
SELECT * FROM automl_train('one_class', 'y');
-- non-finite regression target
CREATE TABLE bad_target (x float8, y float8);
INSERT INTO bad_target SELECT g, g * 0.5 FROM generate_series(1, 50) g;
INSERT INTO bad_target VALUES (51, 'NaN'), (52, 'Infinity');
SELECT * FROM automl_train('bad_target', 'y');
-- unreadable relation
CREATE ROLE automl_reader;
SET ROLE automl_reader;
SELECT * FROM automl_train('titanic', 'survived');
RESET ROLE;
DROP ROLE automl_reader;
-- invalid options
SELECT * FROM automl_train('titanic', 'survived', task => 'ranking');
SELECT * FROM automl_train('titanic', 'survived', metric => 'rmse');
SELECT * FROM automl_train('titanic', 'survived', algorithms => ARRAY['forest']);
SELECT * FROM automl_train('titanic', 'survived', algorithms => ARRAY['linear']);
-- a hyperparameter of the other task: gbdt's loss is for regression only
SELECT * FROM automl_train('titanic', 'survived', algorithms => ARRAY['gbdt'],
						   hyperparameters => '{"loss": "absolute", "n_estimators": 20}');
-- an excluded column that does not exist, with the closest name when one is close
SELECT * FROM automl_train('titanic', 'survived', exclude => ARRAY['nope']);
SELECT * FROM automl_train('titanic', 'survived', exclude => ARRAY['agee']);
SELECT * FROM automl_train('titanic', 'survived', time_budget => 0);
SELECT * FROM automl_train('titanic', 'survived', max_trials => 0);
SELECT * FROM automl_train(NULL, 'survived');
-- a project name reused for another target
SELECT * FROM automl_train('titanic', 'pclass', project => 'titanic', task => 'regression');
-- empty names and arrays, NULL elements
SELECT * FROM automl_train('', 'y');
SELECT * FROM automl_train('titanic', 'survived', project => '');
SELECT * FROM automl_train('titanic', 'survived', algorithms => ARRAY[]::text[]);
SELECT * FROM automl_train('titanic', 'survived', algorithms => ARRAY['tree', NULL]);
SELECT * FROM automl_train('titanic', 'survived', metric => 'precision');
-- excluding the target, or every feature
SELECT * FROM automl_train('iris', 'species', exclude => ARRAY['species']);
SELECT * FROM automl_train('iris', 'species',
						   exclude => ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
-- dropping a project without a name
SELECT automl_drop_project(NULL);
-- the learned task metric before any encoder is trained, an unknown metric
SET automl.warm_start_metric = 'learned';
SELECT * FROM automl_train('iris', 'species', project => 'iris_learned_early');
RESET automl.warm_start_metric;
SET automl.warm_start_metric = 'cosine';
-- the same project name on another relation
CREATE VIEW titanic_copy AS SELECT * FROM titanic;
SELECT * FROM automl_train('titanic_copy', 'survived', project => 'titanic');
-- a date target
CREATE TABLE dated (x float8, d date);
INSERT INTO dated VALUES (1, '2024-01-01'), (2, '2024-02-01');
SELECT * FROM automl_train('dated', 'd');
-- unknown project at prediction
SELECT automl_predict('missing', t) FROM titanic t LIMIT 1;

-- Nothing was written by any of the failed calls.
SELECT (SELECT count(*) FROM automl.projects) = projects AS projects_same,
	(SELECT count(*) FROM automl.tasks) = tasks AS tasks_same,
	(SELECT count(*) FROM automl.trials) = trials AS trials_same,
	(SELECT count(*) FROM automl.models) = models AS models_same,
	(SELECT count(*) FROM automl.deployments) = deployments AS deployments_same
FROM catalog_before;

-- A statement timeout cancels training and leaves the catalog unchanged.
CREATE TABLE big AS
SELECT g AS id_like, (g % 7)::float8 AS a, random() AS b, (g % 3 = 0) AS y
FROM generate_series(1, 20000) g;
SET client_min_messages = warning;
SET statement_timeout = '300ms';
-- terse: where the timeout lands, and so the context line, varies
\set VERBOSITY terse
SELECT * FROM automl_train('big', 'y', max_trials => 1000, time_budget => 600);
\set VERBOSITY default
RESET statement_timeout;
RESET client_min_messages;
SELECT (SELECT count(*) FROM automl.trials) = trials AS trials_same
FROM catalog_before;
