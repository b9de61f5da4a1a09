-- mlp: a multilayer perceptron trained with fixed hyperparameters and seeds.
-- The NOTICE lines name model ids, which depend on the tests run before, so
-- they are hidden; every check reads the catalog instead.
SET client_min_messages = warning;

-- Iris: the cross-validated balanced accuracy of one fixed configuration.
SELECT algorithm, trials, score > 0.9 AS accurate
FROM automl_train('iris', 'species', project => 'mlp_iris', algorithms => ARRAY['mlp'],
				  hyperparameters => '{"hidden_units": 32, "learning_rate": 0.01, "batch_size": 16}',
				  seed => 7);

-- The deployed model's training curve: one entry per epoch, a best epoch
-- among them, and both losses well below where they started.
SELECT m -> 'layers' AS layers, m ->> 'loss' AS loss,
	m ->> 'validation_rows' AS validation_rows,
	(m ->> 'epochs')::int BETWEEN 20 AND 200 AS epochs_in_range,
	(m ->> 'best_epoch')::int BETWEEN 1 AND (m ->> 'epochs')::int AS best_epoch_in_range,
	jsonb_array_length(m -> 'train_loss') = (m ->> 'epochs')::int AS train_curve_complete,
	jsonb_array_length(m -> 'validation_loss') = (m ->> 'epochs')::int AS validation_curve_complete,
	(m -> 'train_loss' ->> -1)::float8 < 0.3 * (m -> 'train_loss' ->> 0)::float8 AS train_loss_falls,
	(m -> 'validation_loss' ->> ((m ->> 'best_epoch')::int - 1))::float8
		< 0.5 * (m -> 'validation_loss' ->> 0)::float8 AS validation_loss_falls
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'mlp_iris') s;

-- Early stopping: the best epoch is patience epochs before the last one.
SELECT m ->> 'stopped_by' AS stopped_by,
	(m ->> 'epochs')::int - (m ->> 'best_epoch')::int AS epochs_after_best
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'mlp_iris') s;

-- The deployed model classifies the training rows and returns probabilities.
SELECT avg((automl_predict('mlp_iris', i) = species)::int) > 0.95 AS training_accuracy_high,
	bool_and(abs((SELECT sum(value::float8) FROM jsonb_each_text(automl_predict_proba('mlp_iris', i))) - 1) < 1e-5)
		AS probabilities_sum_to_one
FROM iris i;

-- Importance covers every feature and sums to 1.
SELECT count(*) AS features, abs(sum(value::float8) - 1) < 1e-5 AS sums_to_one
FROM automl.models m JOIN automl.deployed_models d ON d.model_id = m.id,
	jsonb_each_text(m.feature_importance)
WHERE d.project = 'mlp_iris';

-- The same seed gives the same model and score; another seed does not.
SELECT score > 0.9 AS accurate
FROM automl_train('iris', 'species', project => 'mlp_iris_again', algorithms => ARRAY['mlp'],
				  hyperparameters => '{"hidden_units": 32, "learning_rate": 0.01, "batch_size": 16}',
				  seed => 7);
SELECT score > 0.9 AS accurate
FROM automl_train('iris', 'species', project => 'mlp_iris_other_seed', algorithms => ARRAY['mlp'],
				  hyperparameters => '{"hidden_units": 32, "learning_rate": 0.01, "batch_size": 16}',
				  seed => 8);
SELECT a.score = b.score AS same_score,
	automl_model_info(a.model_id) -> 'model' = automl_model_info(b.model_id) -> 'model' AS same_model,
	automl_model_info(a.model_id) -> 'model' = automl_model_info(c.model_id) -> 'model' AS same_as_other_seed
FROM automl.deployed_models a, automl.deployed_models b, automl.deployed_models c
WHERE a.project = 'mlp_iris' AND b.project = 'mlp_iris_again'
	AND c.project = 'mlp_iris_other_seed';

-- max_epochs ends training when patience cannot.
SELECT trials FROM automl_train('iris', 'species', project => 'mlp_iris_short', algorithms => ARRAY['mlp'],
								hyperparameters => '{"max_epochs": 3, "learning_rate": 0.01}', seed => 7);
SELECT m ->> 'epochs' AS epochs, m ->> 'stopped_by' AS stopped_by,
	jsonb_array_length(m -> 'train_loss') AS curve_length
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'mlp_iris_short') s;

-- Regression on a smooth function of two inputs plus one noise column.
-- The inputs come from an md5 hash of the row number, so the data are the
-- same on every run without random().
CREATE FUNCTION mlp_hash01(i integer, j integer) RETURNS float8
LANGUAGE sql IMMUTABLE AS
$$ SELECT ('x' || substr(md5(i || ':' || j), 1, 8))::bit(32)::bigint / 4294967296.0 $$;
CREATE TABLE mlp_smooth AS
SELECT x1, x2, noise, 2 * sin(x1) + x2 * x2 / 2 + x1 * x2 / 2 AS y
FROM (SELECT 4 * mlp_hash01(i, 1) - 2 AS x1, 4 * mlp_hash01(i, 2) - 2 AS x2,
			 mlp_hash01(i, 3) AS noise
	  FROM generate_series(1, 500) i) s;

SELECT algorithm, score < 0.25 * (SELECT stddev_pop(y) FROM mlp_smooth) AS rmse_well_below_sd
FROM automl_train('mlp_smooth', 'y', project => 'mlp_smooth', algorithms => ARRAY['mlp'],
				  hyperparameters => '{"hidden_units": 32, "hidden_layers": 2, "learning_rate": 0.003, "alpha": 0.01, "batch_size": 32, "patience": 20}',
				  seed => 7);
-- A linear model cannot follow the curve: the network's error is far lower.
SELECT algorithm,
	score > 2 * (SELECT score FROM automl.deployed_models WHERE project = 'mlp_smooth') AS linear_error_twice_mlp
FROM automl_train('mlp_smooth', 'y', project => 'mlp_smooth_linear', algorithms => ARRAY['linear'],
				  hyperparameters => '{"alpha": 0.01}', seed => 7);

-- Predictions come back on the target's scale, and the model keeps the
-- target's mean and standard deviation to undo the standardisation.
SELECT sqrt(avg((automl_predict('mlp_smooth', s)::float8 - y) ^ 2))
		< 0.25 * (SELECT stddev_pop(y) FROM mlp_smooth) AS training_rmse_low
FROM mlp_smooth s;
SELECT m -> 'layers' AS layers, m ->> 'loss' AS loss,
	abs((m ->> 'target_mean')::float8 - (SELECT avg(y) FROM mlp_smooth)) < 1e-4 AS mean_kept,
	abs((m ->> 'target_scale')::float8 - (SELECT stddev_pop(y) FROM mlp_smooth)) < 1e-4 AS scale_kept,
	(m -> 'train_loss' ->> -1)::float8 < 0.1 * (m -> 'train_loss' ->> 0)::float8 AS train_loss_falls
FROM (SELECT automl_model_info(model_id) -> 'model' AS m
	  FROM automl.deployed_models WHERE project = 'mlp_smooth') s;

-- Weight decay shrinks the first-layer weights of the noise column, so it
-- gets less importance than either input of the function.
SELECT (m.feature_importance ->> 'noise')::float8 < (m.feature_importance ->> 'x1')::float8 AS noise_below_x1,
	(m.feature_importance ->> 'noise')::float8 < (m.feature_importance ->> 'x2')::float8 AS noise_below_x2
FROM automl.models m JOIN automl.deployed_models d ON d.model_id = m.id
WHERE d.project = 'mlp_smooth';

-- Hyperparameters outside the allowed ranges are rejected.
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['mlp'],
						   hyperparameters => '{"max_epochs": 2001}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['mlp'],
						   hyperparameters => '{"hidden_layers": 3}');
\set VERBOSITY terse
