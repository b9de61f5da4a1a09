-- k-nearest neighbours with fixed hyperparameters, on tables small enough
-- to check by hand.  Standardising a single column scales every distance
-- by the same factor, so results computed on the raw values hold.
SET client_min_messages = warning;

-- Two classes on a line; the b rows come first, so they have the lower
-- training indices.  The mean is 8, so x = 8 is exactly as far from 5 (a)
-- as from 11 (b), and the tie goes to the lower training index: b.
CREATE TABLE knn_line (x float8, label text);
INSERT INTO knn_line VALUES (11, 'b'), (12, 'b'), (13, 'b'), (14, 'b'), (15, 'b'),
	(1, 'a'), (2, 'a'), (3, 'a'), (4, 'a'), (5, 'a');
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('knn_line', 'label', algorithms => ARRAY['knn'],
				  hyperparameters => '{"n_neighbors": 1}', seed => 1);
SELECT x, automl_predict('knn_line', q) AS label, automl_predict_proba('knn_line', q) AS proba
FROM (VALUES (4.4::float8), (7.9), (8), (8.1), (-100), (100)) q(x) ORDER BY x;

-- The same rows with the a rows first: now the tie at 8 goes to a.
CREATE TABLE knn_line_a_first AS
	SELECT * FROM knn_line ORDER BY label, x;
SELECT algorithm FROM automl_train('knn_line_a_first', 'label', algorithms => ARRAY['knn'],
								   hyperparameters => '{"n_neighbors": 1}', seed => 1);
SELECT automl_predict('knn_line_a_first', q) AS label_at_8 FROM (SELECT 8::float8 AS x) q;

-- One b at 3.5 among the a rows.  With k = 3 and distance weights a query
-- equal to a training row gets that row's label with all the weight; at
-- 3.25 the neighbours 3.5 (b), 3 (a) and 4 (a) weigh 1/0.25, 1/0.25 and
-- 1/0.75.  Uniform votes at 3.5 give a 2/3.
CREATE TABLE knn_mix AS SELECT * FROM knn_line UNION ALL SELECT 3.5, 'b';
SELECT algorithm FROM automl_train('knn_mix', 'label', project => 'knn_mix_distance',
								   algorithms => ARRAY['knn'], seed => 1,
								   hyperparameters => '{"n_neighbors": 3, "weights": "distance"}');
SELECT algorithm FROM automl_train('knn_mix', 'label', project => 'knn_mix_uniform',
								   algorithms => ARRAY['knn'], seed => 1,
								   hyperparameters => '{"n_neighbors": 3, "weights": "uniform"}');
SELECT automl_predict_proba('knn_mix_distance', q) AS distance_at_3_5,
	automl_predict_proba('knn_mix_uniform', q) AS uniform_at_3_5
FROM (SELECT 3.5::float8 AS x) q;
SELECT (automl_predict_proba('knn_mix_distance', q) ->> 'a')::numeric AS a_at_3_25,
	round((1 / 0.25 + 1 / 0.75) / (2 / 0.25 + 1 / 0.75), 6) AS by_hand,
	(automl_predict_proba('knn_mix_distance', q) ->> 'b')::numeric AS b_at_3_25
FROM (SELECT 3.25::float8 AS x) q;

-- k = n: every neighbour votes, so the probabilities are the class
-- frequencies, the baseline's prediction; the log loss of both trials is
-- the same and the baseline stays chosen.
SELECT algorithm AS chosen
FROM automl_train('knn_mix', 'label', project => 'knn_all', algorithms => ARRAY['knn'],
				  metric => 'log_loss', seed => 1, hyperparameters => '{"n_neighbors": 11}');
SELECT trial_number, algorithm, round(score::numeric, 6) AS log_loss
FROM automl.leaderboard WHERE project = 'knn_all' ORDER BY trial_number;

-- Euclidean and manhattan disagree: from (0, 0), (1.8, 1.8) (a) is nearer
-- in straight line (2.55 against 3.5) and (3.5, 0) (b) in city blocks (3.6
-- against 3.5).  The points are symmetric in u and v, so both columns get
-- the same standardisation.
CREATE TABLE knn_plane (u float8, v float8, label text);
INSERT INTO knn_plane VALUES (1.8, 1.8, 'a'), (2, 2, 'a'), (2.2, 2.2, 'a'),
	(3.5, 0, 'b'), (0, 3.5, 'b'), (3.7, 0, 'b'), (0, 3.7, 'b');
SELECT algorithm FROM automl_train('knn_plane', 'label', project => 'knn_euclidean',
								   algorithms => ARRAY['knn'], seed => 1,
								   hyperparameters => '{"n_neighbors": 1, "p": "euclidean"}');
SELECT algorithm FROM automl_train('knn_plane', 'label', project => 'knn_manhattan',
								   algorithms => ARRAY['knn'], seed => 1,
								   hyperparameters => '{"n_neighbors": 1, "p": "manhattan"}');
SELECT automl_predict('knn_euclidean', q) AS euclidean, automl_predict('knn_manhattan', q) AS manhattan
FROM (SELECT 0::float8 AS u, 0::float8 AS v) q;

-- Regression: y = x^2 on x = 1..10.  k = 2 averages 4 and 9 at 2.5 and at
-- 2.4; distance weights give (4 / 0.4 + 9 / 0.6) / (1 / 0.4 + 1 / 0.6) = 6
-- at 2.4, and an exact match returns its own target.  Uniform votes at 3
-- take 3 and, of the tied 2 and 4, the lower index 2: (9 + 4) / 2.
CREATE TABLE knn_square AS SELECT x::float8 AS x, (x * x)::float8 AS y
	FROM generate_series(1, 10) x;
SELECT algorithm FROM automl_train('knn_square', 'y', project => 'knn_square_uniform',
								   algorithms => ARRAY['knn'], seed => 1, task => 'regression',
								   hyperparameters => '{"n_neighbors": 2}');
SELECT algorithm FROM automl_train('knn_square', 'y', project => 'knn_square_distance',
								   algorithms => ARRAY['knn'], seed => 1, task => 'regression',
								   hyperparameters => '{"n_neighbors": 2, "weights": "distance"}');
SELECT x, round(automl_predict('knn_square_uniform', q)::numeric, 6) AS uniform,
	round(automl_predict('knn_square_distance', q)::numeric, 6) AS distance
FROM (VALUES (2.4::float8), (2.5), (3), (10), (50)) q(x) ORDER BY x;

-- Two exact matches share all the weight: a second row at x = 3 with
-- y = 11 makes the distance-weighted k = 3 prediction at 3 (9 + 11) / 2.
CREATE TABLE knn_square_twice AS SELECT * FROM knn_square UNION ALL SELECT 3, 11;
SELECT algorithm FROM automl_train('knn_square_twice', 'y', algorithms => ARRAY['knn'],
								   seed => 1, task => 'regression',
								   hyperparameters => '{"n_neighbors": 3, "weights": "distance"}');
SELECT round(automl_predict('knn_square_twice', q)::numeric, 6) AS at_3
FROM (SELECT 3::float8 AS x) q;

-- k = n in regression: the prediction is the mean, so the rmse of the knn
-- trial equals the baseline's.
SELECT trials FROM automl_train('knn_square', 'y', project => 'knn_square_all',
								algorithms => ARRAY['knn'], seed => 1, task => 'regression',
								hyperparameters => '{"n_neighbors": 10}');
SELECT trial_number, algorithm, round(score::numeric, 6) AS rmse
FROM automl.leaderboard WHERE project = 'knn_square_all' ORDER BY trial_number;

-- Iris with fixed hyperparameters: cross-validated balanced accuracy, and
-- accuracy of the refit model on its training rows.
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('iris', 'species', project => 'knn_iris', algorithms => ARRAY['knn'],
				  seed => 3, hyperparameters => '{"n_neighbors": 5}');
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('iris', 'species', project => 'knn_iris_manhattan', algorithms => ARRAY['knn'],
				  seed => 3,
				  hyperparameters => '{"n_neighbors": 10, "weights": "distance", "p": "manhattan"}');
SELECT round(avg((automl_predict('knn_iris', i) = species)::int), 4) AS training_accuracy
FROM iris i;

-- describe: stored rows, k and metric.  knn has no importance of its own,
-- so permutation importance replaces it: it sums to 1 and ranks a petal
-- measurement first.
SELECT automl_model_info(model_id) -> 'model' AS model
FROM automl.deployed_models WHERE project = 'knn_iris';
SELECT round(sum(value::numeric), 3) AS importance_sum,
	(array_agg(key ORDER BY value::numeric DESC))[1] LIKE 'petal%' AS petal_first
FROM automl.models m JOIN automl.deployed_models d ON d.model_id = m.id,
	jsonb_each_text(m.feature_importance)
WHERE d.project = 'knn_iris';

-- Determinism: the same training twice stores the same model binary.
SELECT algorithm FROM automl_train('iris', 'species', project => 'knn_iris_again',
								   algorithms => ARRAY['knn'], seed => 3,
								   hyperparameters => '{"n_neighbors": 5}');
SELECT a.model = b.model AS same_binary, a.score = b.score AS same_score
FROM automl.deployed_models da JOIN automl.models a ON a.id = da.model_id,
	automl.deployed_models db JOIN automl.models b ON b.id = db.model_id
WHERE da.project = 'knn_iris' AND db.project = 'knn_iris_again';

-- Serialisation round trip: keep predictions on shifted iris rows (not
-- training rows), reconnect so the models are read back from the catalog,
-- and compare.
CREATE TABLE knn_queries AS
	SELECT row_number() OVER () AS id, sepal_length + 0.05 AS sepal_length,
		sepal_width - 0.1 AS sepal_width, petal_length + 0.13 AS petal_length,
		petal_width AS petal_width
	FROM iris;
CREATE TABLE knn_before AS
	SELECT id, automl_predict_proba('knn_iris', q) AS euclidean,
		automl_predict_proba('knn_iris_manhattan', q) AS manhattan
	FROM knn_queries q;
CREATE TABLE knn_square_before AS
	SELECT x, automl_predict('knn_square_distance', q) AS y
	FROM (SELECT x / 7.0::float8 AS x FROM generate_series(0, 77) x) q;
\c
SET client_min_messages = warning;
SELECT count(*) AS rows,
	count(*) FILTER (WHERE b.euclidean = automl_predict_proba('knn_iris', q)) AS same_euclidean,
	count(*) FILTER (WHERE b.manhattan = automl_predict_proba('knn_iris_manhattan', q)) AS same_manhattan
FROM knn_queries q JOIN knn_before b USING (id);
SELECT count(*) AS rows,
	count(*) FILTER (WHERE b.y = automl_predict('knn_square_distance', q)) AS same_value
FROM knn_square_before b, LATERAL (SELECT b.x) q(x);

-- Hyperparameter errors.
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['knn'],
						   hyperparameters => '{"n_neighbors": 0}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['knn'],
						   hyperparameters => '{"n_neighbors": 1001}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['knn'],
						   hyperparameters => '{"p": "chebyshev"}');
