-- metric_knn: kNN in a linear embedding learned with the triplet loss.
-- The NOTICE lines name model ids, which depend on the tests run before, so
-- they are hidden; every check reads the catalog instead.
SET client_min_messages = warning;

-- Two informative columns decide the class; eighteen noise columns with a
-- thousand times their spread follow.  Preprocessing standardises every
-- column, so in the input space the noise still carries 18 of the 20 units
-- of variance and drowns the neighbourhoods of plain kNN.  The values come
-- from an md5 hash of the row number, so the data are the same on every
-- run without random().
CREATE FUNCTION metric_knn_hash01(i integer, j integer) RETURNS float8
LANGUAGE sql IMMUTABLE AS
$$ SELECT ('x' || substr(md5(i || ':' || j), 1, 8))::bit(32)::bigint / 4294967296.0 $$;
CREATE TABLE metric_knn_noisy AS
SELECT CASE WHEN s1 + s2 > 1 THEN 'high' ELSE 'low' END AS label, s1, s2,
	1000 * metric_knn_hash01(i, 3) AS n1, 1000 * metric_knn_hash01(i, 4) AS n2,
	1000 * metric_knn_hash01(i, 5) AS n3, 1000 * metric_knn_hash01(i, 6) AS n4,
	1000 * metric_knn_hash01(i, 7) AS n5, 1000 * metric_knn_hash01(i, 8) AS n6,
	1000 * metric_knn_hash01(i, 9) AS n7, 1000 * metric_knn_hash01(i, 10) AS n8,
	1000 * metric_knn_hash01(i, 11) AS n9, 1000 * metric_knn_hash01(i, 12) AS n10,
	1000 * metric_knn_hash01(i, 13) AS n11, 1000 * metric_knn_hash01(i, 14) AS n12,
	1000 * metric_knn_hash01(i, 15) AS n13, 1000 * metric_knn_hash01(i, 16) AS n14,
	1000 * metric_knn_hash01(i, 17) AS n15, 1000 * metric_knn_hash01(i, 18) AS n16,
	1000 * metric_knn_hash01(i, 19) AS n17, 1000 * metric_knn_hash01(i, 20) AS n18
FROM (SELECT i, metric_knn_hash01(i, 1) AS s1, metric_knn_hash01(i, 2) AS s2
	  FROM generate_series(1, 400) i) s;
SELECT label, count(*) FROM metric_knn_noisy GROUP BY label ORDER BY label;

-- Untrained (epochs 0) with embedding_dim 20 = p: L is the identity, so this
-- is plain distance-weighted kNN on the standardised inputs.
SELECT algorithm, trials
FROM automl_train('metric_knn_noisy', 'label', project => 'metric_knn_plain',
				  algorithms => ARRAY['metric_knn'],
				  hyperparameters => '{"epochs": 0, "embedding_dim": 20}', seed => 11);
SELECT m ->> 'init' AS init, m ->> 'epochs' AS epochs, m ->> 'stored_rows' AS stored_rows,
	m -> 'triplet_loss' AS triplet_loss
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'metric_knn_plain') s;
-- The identity weighs every column alike.
SELECT count(*) AS features, bool_and(abs(value::float8 - 0.05) < 1e-6) AS all_equal
FROM automl.models m JOIN automl.deployed_models d ON d.model_id = m.id,
	jsonb_each_text(m.feature_importance)
WHERE d.project = 'metric_knn_plain';

-- Trained from the same start with the default 50 epochs.
SELECT algorithm, trials
FROM automl_train('metric_knn_noisy', 'label', project => 'metric_knn_trained',
				  algorithms => ARRAY['metric_knn'],
				  hyperparameters => '{"embedding_dim": 20}', seed => 11);

-- The learned metric pays its way: cross-validated balanced accuracy rises
-- by more than 0.1 over plain kNN, to above 0.9.
SELECT plain.score < 0.85 AS plain_knn_suffers,
	trained.score > 0.9 AS trained_accurate,
	trained.score - plain.score > 0.1 AS training_helps
FROM automl.leaderboard plain, automl.leaderboard trained
WHERE plain.project = 'metric_knn_plain' AND plain.algorithm = 'metric_knn'
	AND trained.project = 'metric_knn_trained' AND trained.algorithm = 'metric_knn';

-- The triplet loss and the share of active triplets fall over the epochs:
-- the mean of the last ten epochs against the mean of the first ten.
SELECT m ->> 'epochs' AS epochs,
	jsonb_array_length(m -> 'triplet_loss') AS loss_curve_length,
	(SELECT avg(v::float8) FROM jsonb_array_elements_text(m -> 'triplet_loss') WITH ORDINALITY AS e(v, k) WHERE k > 40)
		< 0.8 * (SELECT avg(v::float8) FROM jsonb_array_elements_text(m -> 'triplet_loss') WITH ORDINALITY AS e(v, k) WHERE k <= 10)
		AS loss_falls,
	(SELECT avg(v::float8) FROM jsonb_array_elements_text(m -> 'active_fraction') WITH ORDINALITY AS e(v, k) WHERE k > 40)
		< 0.8 * (SELECT avg(v::float8) FROM jsonb_array_elements_text(m -> 'active_fraction') WITH ORDINALITY AS e(v, k) WHERE k <= 10)
		AS active_fraction_falls,
	(SELECT bool_and(v::float8 BETWEEN 0 AND 1) FROM jsonb_array_elements_text(m -> 'active_fraction') AS e(v))
		AS fractions_valid
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'metric_knn_trained') s;

-- The embedding now stretches the two informative columns.
SELECT (m.feature_importance ->> 's1')::float8 + (m.feature_importance ->> 's2')::float8 > 0.5
		AS informative_columns_dominate
FROM automl.models m JOIN automl.deployed_models d ON d.model_id = m.id
WHERE d.project = 'metric_knn_trained';

-- The same seed gives the same model.
SELECT algorithm
FROM automl_train('metric_knn_noisy', 'label', project => 'metric_knn_again',
				  algorithms => ARRAY['metric_knn'],
				  hyperparameters => '{"embedding_dim": 20}', seed => 11);
SELECT a.score = b.score AS same_score,
	automl_model_info(a.model_id) -> 'model' = automl_model_info(b.model_id) -> 'model' AS same_model
FROM automl.deployed_models a, automl.deployed_models b
WHERE a.project = 'metric_knn_trained' AND b.project = 'metric_knn_again';

-- Iris with an embedding of 2 dimensions for 4 inputs: L starts as the
-- projection on the two leading principal components.
SELECT algorithm, score > 0.9 AS accurate
FROM automl_train('iris', 'species', project => 'metric_knn_iris',
				  algorithms => ARRAY['metric_knn'],
				  hyperparameters => '{"embedding_dim": 2, "n_neighbors": 7}', seed => 11);
SELECT m ->> 'init' AS init, m ->> 'embedding_dim' AS embedding_dim,
	m ->> 'input_dim' AS input_dim, m ->> 'n_neighbors' AS n_neighbors
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'metric_knn_iris') s;
SELECT avg((automl_predict('metric_knn_iris', i) = species)::int) > 0.95 AS training_accuracy_high,
	bool_and(abs((SELECT sum(value::float8) FROM jsonb_each_text(automl_predict_proba('metric_knn_iris', i))) - 1) < 1e-5)
		AS probabilities_sum_to_one
FROM iris i;

-- embedding_dim above the column count is clipped to it.
SELECT algorithm
FROM automl_train('iris', 'species', project => 'metric_knn_iris_wide',
				  algorithms => ARRAY['metric_knn'],
				  hyperparameters => '{"embedding_dim": 64, "epochs": 5}', seed => 11);
SELECT m ->> 'init' AS init, m ->> 'embedding_dim' AS embedding_dim
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'metric_knn_iris_wide') s;

-- Out-of-range hyperparameters and regression targets are rejected.
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['metric_knn'],
						   hyperparameters => '{"epochs": 1001}');
SELECT * FROM automl_train('iris', 'sepal_length', project => 'metric_knn_regression',
						   algorithms => ARRAY['metric_knn']);
\set VERBOSITY terse
