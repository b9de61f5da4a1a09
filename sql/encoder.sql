-- The learned task metric: trained from the past tasks of this suite.
SELECT (s ->> 'tasks')::int >= 10 AS enough_tasks,
	(s ->> 'triplets')::int > 0 AS has_triplets,
	(s ->> 'loss_last')::float8 < (s ->> 'loss_first')::float8 AS loss_decreased
FROM automl_train_task_encoder(epochs => 100, embedding_dim => 4, seed => 3) s;
SELECT kind, config ->> 'embedding_dim' AS embedding_dim, config ->> 'seed' AS seed,
	array_length(weights, 1) AS n_weights
FROM automl.meta_models ORDER BY id;
SELECT count(*) FILTER (WHERE embedding IS NOT NULL) > 0 AS embedded,
	bool_and(embedding IS NULL OR array_length(embedding, 1) = 4) AS dimension_4
FROM automl.tasks;

-- The warm start now ranks past tasks by embedding distance.
SELECT project_name FROM automl_train('iris', 'species', project => 'iris_learned',
	algorithms => ARRAY['logistic', 'tree'], seed => 4, max_trials => 6);

\set VERBOSITY default
SELECT automl_train_task_encoder(epochs => 0);
