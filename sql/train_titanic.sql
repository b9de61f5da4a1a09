-- Train on titanic with a fixed seed and an iteration budget, so the
-- NOTICE lines and the summary are deterministic.
SELECT project_name, task_type, algorithm, metric_name,
	round(score::numeric, 4) AS score,
	round(baseline_score::numeric, 4) AS baseline_score,
	trials, model_id, deployed
FROM automl_train('titanic', 'survived', exclude => ARRAY['alive'],
				  seed => 7, max_trials => 12, time_budget => 600);

-- Labels come back in the target's own text form and cast back to it.
SELECT survived, automl_predict('titanic', t) AS predicted,
	automl_predict('titanic', t)::integer = survived AS correct
FROM titanic t
ORDER BY age NULLS LAST, fare, sex
LIMIT 6;

-- Probabilities sum to one and the predicted label is the likeliest.
SELECT count(*) AS rows,
	bool_and(abs((p ->> '0')::float8 + (p ->> '1')::float8 - 1) < 1e-6) AS sums_to_one,
	bool_and(((p ->> '1')::float8 > 0.5) = (automl_predict('titanic', t) = '1')) AS argmax_matches
FROM titanic t, LATERAL (SELECT automl_predict_proba('titanic', t) AS p) s;

-- Training accuracy is well above the majority share (0.616).
SELECT round(avg((automl_predict('titanic', t)::integer = survived)::int), 2) > 0.75 AS learned
FROM titanic t;
