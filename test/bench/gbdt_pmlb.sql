-- gbdt at XGBoost's settings on the PMLB data sets of the families
-- benchmark.  Run it in the database test/bench/families.sh left behind
-- (schema bench, with the reference results):
--
--   psql -X -f test/bench/gbdt_pmlb.sql
--
-- gbdt gets the settings XGBoost 1.7 uses by default in reference.py: 100
-- trees, learning rate 0.3, depth-wise growth to depth 6, min_child_weight
-- 1, L2 1, 255 bins, no row limit per leaf, no early stopping.  Prints
-- the mean score of both per task and their difference.
SET client_min_messages = warning;
DELETE FROM bench.results WHERE method = 'automl/gbdt_xgb_settings';
DO $$
DECLARE
	d record;
	score float8;
BEGIN
	FOR d IN SELECT dataset AS name, task FROM bench.datasets ORDER BY dataset LOOP
		PERFORM automl_train(format('bench.%I', d.name || '_train'), 'target',
			project => 'bench_gbdt_' || d.name, task => d.task,
			algorithms => ARRAY['gbdt'], exclude => ARRAY['row_id'], seed => 1,
			time_budget => 300, warm_start => false,
			hyperparameters => '{"n_estimators": 100, "learning_rate": 0.3,
				"grow_policy": "depthwise", "max_depth": 6, "max_leaves": 64,
				"min_child_weight": 1, "min_samples_leaf": 1, "lambda_l2": 1,
				"max_bins": 255, "early_stopping_rounds": 0}');
		IF d.task = 'classification' THEN
			EXECUTE format('SELECT avg(recall) FROM (SELECT avg((automl_predict(%L, t) = t.target)::int) AS recall
							FROM bench.%I t GROUP BY t.target) r',
						   'bench_gbdt_' || d.name, d.name || '_test') INTO score;
			INSERT INTO bench.results (dataset, task, method, status, balanced_accuracy)
			VALUES (d.name, d.task, 'automl/gbdt_xgb_settings', 'ok', score);
		ELSE
			EXECUTE format('SELECT 1 - sum((automl_predict_value(%L, t) - t.target) ^ 2)
								/ nullif(sum((t.target - m.mean) ^ 2), 0)
							FROM bench.%I t, (SELECT avg(target) AS mean FROM bench.%I) m',
						   'bench_gbdt_' || d.name, d.name || '_test', d.name || '_test') INTO score;
			INSERT INTO bench.results (dataset, task, method, status, r2)
			VALUES (d.name, d.task, 'automl/gbdt_xgb_settings', 'ok', score);
		END IF;
	END LOOP;
END
$$;
SELECT g.task, count(*) AS data_sets,
	round(avg(coalesce(g.balanced_accuracy, g.r2))::numeric, 4) AS gbdt,
	round(avg(coalesce(x.balanced_accuracy, x.r2))::numeric, 4) AS xgboost,
	round(avg(coalesce(g.balanced_accuracy, g.r2) - coalesce(x.balanced_accuracy, x.r2))::numeric, 4)
		AS difference
FROM bench.results g JOIN bench.results x USING (dataset)
WHERE g.method = 'automl/gbdt_xgb_settings' AND x.method = 'xgboost'
GROUP BY g.task ORDER BY g.task;
