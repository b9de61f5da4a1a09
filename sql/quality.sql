-- Held-out quality: train on 3/4 of the rows, score the other 1/4.
CREATE TABLE titanic_numbered AS SELECT row_number() OVER () AS id, * FROM titanic;
CREATE VIEW titanic_train AS SELECT * FROM titanic_numbered WHERE id % 4 <> 0;
CREATE VIEW titanic_test AS SELECT * FROM titanic_numbered WHERE id % 4 = 0;

SELECT algorithm <> 'baseline' AS beat_baseline
FROM automl_train('titanic_train', 'survived', exclude => ARRAY['id', 'alive'],
				  seed => 11, max_trials => 30, time_budget => 600);

-- Balanced accuracy: the mean of the recalls of both classes.
SELECT round(avg(recall), 2) >= 0.75 AS titanic_balanced_accuracy_ok
FROM (SELECT survived, avg((automl_predict('titanic_train', t)::integer = survived)::int) AS recall
	  FROM titanic_test t GROUP BY survived) r;

CREATE TABLE iris_numbered AS SELECT row_number() OVER () AS id, * FROM iris;
CREATE VIEW iris_train AS SELECT * FROM iris_numbered WHERE id % 4 <> 0;
CREATE VIEW iris_test AS SELECT * FROM iris_numbered WHERE id % 4 = 0;

SELECT algorithm <> 'baseline' AS beat_baseline
FROM automl_train('iris_train', 'species', exclude => ARRAY['id'],
				  seed => 11, max_trials => 30, time_budget => 600);

SELECT avg((automl_predict('iris_train', t) = species)::int) >= 0.9 AS iris_accuracy_ok
FROM iris_test t;
