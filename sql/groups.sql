-- automl_train_groups: one linear model per group, three strategies.
SET client_min_messages = warning;

-- 40 shops of 6 rows.  Every shop shares the slopes of y on x1..x5 and has
-- its own offset (up to 3 in size), plus noise of 0.1: the structure a
-- shared initialisation can learn and four training rows cannot.
CREATE TABLE shops AS
SELECT 'shop' || lpad(g::text, 2, '0') AS shop,
	round(sin(g * 7.1 + i * 3.3)::numeric, 3)::float8 AS x1,
	round(cos(g * 2.9 + i * 1.7)::numeric, 3)::float8 AS x2,
	round(sin(g * 1.3 + i * 5.1)::numeric, 3)::float8 AS x3,
	round(cos(g * 4.3 + i * 2.3)::numeric, 3)::float8 AS x4,
	round(sin(g * 3.7 + i * 0.7)::numeric, 3)::float8 AS x5,
	0::float8 AS y
FROM generate_series(1, 40) g, generate_series(1, 6) i;
UPDATE shops SET y = round((2 * x1 - x2 + 0.5 * x3 + 0.8 * x4 - 0.6 * x5
	+ 3 * sin(substr(shop, 5)::int * 2.1) + 0.1 * sin(x1 * 50))::numeric, 3);

CREATE TEMP TABLE shop_runs AS
SELECT r.*
FROM unnest(ARRAY['reptile', 'independent', 'pooled']) s,
	LATERAL automl_train_groups('shops', 'y', 'shop', project => 'shops_' || s,
								strategy => s) r;
SELECT project_name, task_type, strategy_name, metric_name, groups, small_groups,
	train_rows, test_rows, deployed,
	round(score::numeric, 2) AS score, round(baseline_score::numeric, 2) AS baseline
FROM shop_runs ORDER BY project_name;

-- Reptile's held-out RMSE beats both other strategies and the baseline,
-- over all held-out rows and per group.
SELECT (SELECT score FROM shop_runs WHERE strategy_name = 'reptile')
		< (SELECT score FROM shop_runs WHERE strategy_name = 'independent') AS beats_independent,
	(SELECT score FROM shop_runs WHERE strategy_name = 'reptile')
		< (SELECT score FROM shop_runs WHERE strategy_name = 'pooled') AS beats_pooled,
	(SELECT group_score FROM shop_runs WHERE strategy_name = 'reptile')
		< (SELECT min(group_score) FROM shop_runs WHERE strategy_name <> 'reptile') AS beats_per_group,
	(SELECT score < 0.5 * baseline_score FROM shop_runs WHERE strategy_name = 'reptile')
		AS halves_baseline;

-- The catalog records the run like automl_train's, without trials.
SELECT m.algorithm, m.hyperparameters, m.metric, k.meta_features,
	(SELECT count(*) FROM automl.trials t WHERE t.task_id = k.id) AS trials
FROM automl.models m JOIN automl.tasks k ON k.id = m.task_id
JOIN automl.projects p ON p.id = m.project_id
WHERE p.name IN ('shops_reptile', 'shops_pooled') ORDER BY p.name;

-- automl_model_info shows the strategy and the rows of each group.
SELECT info ->> 'algorithm' AS algorithm,
	info -> 'model' ->> 'strategy' AS strategy,
	info -> 'model' ->> 'group_by' AS group_by,
	info -> 'model' ->> 'groups' AS groups,
	info -> 'model' ->> 'fallback' AS fallback,
	info -> 'model' -> 'group_rows' ->> 'shop07' AS shop07_rows,
	info -> 'model' -> 'held_out' AS held_out,
	info -> 'features' AS features
FROM (SELECT automl_model_info(model_id) AS info
	  FROM automl.deployed_models WHERE project = 'shops_reptile') m;
SELECT info -> 'model' ->> 'fallback' AS fallback,
	info -> 'model' ? 'mean_distance_to_fallback' AS has_group_models
FROM (SELECT automl_model_info(model_id) AS info
	  FROM automl.deployed_models WHERE project = 'shops_pooled') m;

-- Serving: a seen shop gets its own model, close to its rows.  An unseen
-- shop and a NULL shop both get theta, which differs from the shop's model.
CREATE TEMP TABLE served AS
SELECT s.shop, s.y,
	automl_predict_value('shops_reptile', s) AS own,
	automl_predict_value('shops_reptile', u) AS unseen,
	automl_predict_value('shops_reptile', n) AS null_shop,
	automl_predict_value('shops_pooled', s) AS pooled
FROM shops s,
	LATERAL (SELECT 'shop99' AS shop, s.x1, s.x2, s.x3, s.x4, s.x5) u,
	LATERAL (SELECT NULL::text AS shop, s.x1, s.x2, s.x3, s.x4, s.x5) n;
SELECT round(sqrt(avg((own - y) ^ 2))::numeric, 1) AS own_rmse,
	bool_and(abs(own - unseen) > 1e-6) AS seen_differs_from_unseen,
	bool_and(unseen = null_shop) AS null_is_unseen,
	sqrt(avg((own - y) ^ 2)) < sqrt(avg((pooled - y) ^ 2)) AS own_beats_pooled
FROM served;

-- Columns are matched by name in any order, and automl_predict returns
-- the same value as text.
SELECT automl_predict('shops_reptile', r)::float8 = automl_predict_value('shops_reptile', s)
	AS text_matches_value
FROM shops s, LATERAL (SELECT s.x5, s.x4, s.x3, s.x2, s.x1, s.shop, 'extra' AS note) r
WHERE s.shop = 'shop03' LIMIT 1;

-- A new session loads the model from its binary and predicts the same.
CREATE TABLE shops_before_reload AS
SELECT ctid AS row_ctid, automl_predict_value('shops_reptile', s) AS value FROM shops s;
\c
SET client_min_messages = warning;
SELECT count(*) AS rows, bool_and(b.value = automl_predict_value('shops_reptile', s))
	AS same_after_reload
FROM shops s JOIN shops_before_reload b ON b.row_ctid = s.ctid;

-- Classification: the class of each team flips at its own threshold of
-- x1.  Integer group keys match numerics of the same value.
CREATE TABLE teams AS
SELECT g AS team, round(sin(g * 3.1 + i * 2.7)::numeric, 3)::float8 AS x1,
	round(cos(g * 1.9 + i * 4.3)::numeric, 3)::float8 AS x2,
	CASE WHEN sin(g * 3.1 + i * 2.7) > 0.5 * sin(g * 2.3) THEN 'win' ELSE 'loss' END AS outcome
FROM generate_series(1, 30) g, generate_series(1, 12) i;
INSERT INTO teams VALUES (31, 0.5, 0.5, 'win'), (31, -0.5, 0.1, 'loss');
SELECT strategy_name, metric_name, groups, small_groups, test_rows,
	score > baseline_score AS beats_baseline
FROM automl_train_groups('teams', 'outcome', 'team', project => 'teams', seed => 7,
						 meta_iterations => 500);
SELECT round(sum(value::float8)::numeric, 6) AS probability_sum,
	automl_predict('teams', t) IN ('win', 'loss') AS known_label,
	automl_predict_proba('teams', t) = automl_predict_proba('teams', n) AS numeric_key_matches
FROM teams t, jsonb_each_text(automl_predict_proba('teams', t)),
	LATERAL (SELECT t.team::numeric AS team, t.x1, t.x2) n
WHERE t.team = 5 AND t.x1 = (SELECT min(x1) FROM teams WHERE team = 5)
GROUP BY t.*, n.*;
SELECT info -> 'model' -> 'group_rows' ->> '31' AS small_group_rows,
	info -> 'model' -> 'held_out' ->> 'small_groups' AS small_groups
FROM (SELECT automl_model_info(model_id) AS info
	  FROM automl.deployed_models WHERE project = 'teams') m;

-- Each bad input raises a clear error and writes nothing to the catalog.
CREATE TEMP TABLE groups_catalog_before AS
SELECT (SELECT count(*) FROM automl.projects) AS projects,
	(SELECT count(*) FROM automl.tasks) AS tasks,
	(SELECT count(*) FROM automl.models) AS models,
	(SELECT count(*) FROM automl.deployments) AS deployments;
\set VERBOSITY default
SELECT * FROM automl_train_groups('shops', 'y', 'store');
SELECT * FROM automl_train_groups('shops', 'y', 'y');
SELECT * FROM automl_train_groups('shops', 'y', 'shop', exclude => ARRAY['shop']);
SELECT * FROM automl_train_groups('shops', 'y', NULL);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', strategy => 'maml');
SELECT * FROM automl_train_groups('shops', 'y', 'shop', inner_steps => 0);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', meta_iterations => -5);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', steps => 0);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', meta_step_size => 0);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', learning_rate => 2);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', l2 => -1);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', proximal => 'NaN');
SELECT * FROM automl_train_groups('shops', 'y', 'shop', holdout => 1);
SELECT * FROM automl_train_groups('shops', 'y', 'shop', task => 'ranking');
SELECT * FROM automl_train_groups('shops', 'y', 'shop', metric => 'accuracy');
-- one group only, and groups too small for a held-out score
CREATE TABLE one_shop AS SELECT 'a' AS shop, x1, y FROM shops;
SELECT * FROM automl_train_groups('one_shop', 'y', 'shop');
CREATE TABLE tiny_shops AS SELECT shop, x1, y FROM shops WHERE x2 > 0.4;
SELECT max(n) AS largest_group FROM (SELECT count(*) AS n FROM tiny_shops GROUP BY shop) c;
SELECT * FROM automl_train_groups('tiny_shops', 'y', 'shop');
-- a group_by column of a type the loader cannot read
CREATE TABLE json_shops AS SELECT jsonb_build_object('shop', shop) AS shop, x1, y FROM shops;
SELECT * FROM automl_train_groups('json_shops', 'y', 'shop');
-- a project of another problem
SELECT * FROM automl_train_groups('teams', 'x1', 'team', project => 'shops_reptile');
SELECT (SELECT count(*) FROM automl.projects) = projects AS projects_unchanged,
	(SELECT count(*) FROM automl.tasks) = tasks AS tasks_unchanged,
	(SELECT count(*) FROM automl.models) = models AS models_unchanged,
	(SELECT count(*) FROM automl.deployments) = deployments AS deployments_unchanged
FROM groups_catalog_before;
-- serving needs the group column, with a type of the same kind
SELECT automl_predict_value('shops_reptile', r)
FROM (SELECT x1, x2, x3, x4, x5 FROM shops LIMIT 1) r;
SELECT automl_predict_value('shops_reptile', r)
FROM (SELECT 3 AS shop, x1, x2, x3, x4, x5 FROM shops LIMIT 1) r;
-- a corrupted binary is an error, never a crash
UPDATE automl.models SET model = overlay(model placing '\xff'::bytea
	from length(model) - 20 for 1)
WHERE id = (SELECT model_id FROM automl.deployed_models WHERE project = 'shops_pooled');
SELECT automl_model_info(model_id) FROM automl.deployed_models WHERE project = 'shops_pooled';
\set VERBOSITY terse
