-- Start configurations under each automl.warm_start_metric.  Each check
-- recomputes the expected first start configuration from the catalog.
SET client_min_messages = warning;

-- Trials with every hyperparameter of their family.  The catalog keeps a
-- trial's JSON as it was written, so a hyperparameter added to a family
-- later is missing from older trials, the knowledge base's among them, and
-- the search reads it as the default.
CREATE TEMP VIEW full_trials AS
SELECT t.id, t.task_id, t.trial_number, t.algorithm,
	coalesce(a.default_hyperparameters, '{}') || t.hyperparameters AS hyperparameters,
	t.budget, t.metric, t.score, t.status
FROM automl.trials t LEFT JOIN automl_algorithms() a USING (algorithm);

-- Quality of each full-fidelity trial on its task: 0 at the baseline, 1 at
-- the task's best trial.
CREATE TEMP VIEW trial_quality AS
WITH gains AS (
	SELECT t.task_id, t.algorithm, t.hyperparameters, t.trial_number,
		CASE WHEN t.metric IN ('log_loss', 'rmse', 'mae') THEN -t.score ELSE t.score END AS gain
	FROM full_trials t
	WHERE t.status = 'ok' AND coalesce((t.budget ->> 'fidelity')::float8, 1) >= 1
)
SELECT g.task_id, g.algorithm, g.hyperparameters, g.trial_number, g.gain,
	CASE WHEN max(g.gain) OVER w > coalesce(b.gain, min(g.gain) OVER w)
		THEN greatest((g.gain - coalesce(b.gain, min(g.gain) OVER w))
			/ (max(g.gain) OVER w - coalesce(b.gain, min(g.gain) OVER w)), 0)
		ELSE 1 END AS quality
FROM gains g
LEFT JOIN (SELECT task_id, max(gain) AS gain FROM gains WHERE algorithm = 'baseline'
	GROUP BY task_id) b USING (task_id)
WINDOW w AS (PARTITION BY g.task_id);

-- The first start trial of a project.
CREATE TEMP VIEW first_start AS
SELECT p.name AS project, t.task_id, t.algorithm, t.hyperparameters
FROM full_trials t
JOIN automl.tasks k ON k.id = t.task_id
JOIN automl.projects p ON p.id = k.project_id
WHERE t.budget ->> 'source' = 'start' AND t.trial_number = 2;

-- portfolio: the configuration of the highest mean quality over all past
-- classification tasks, counting 0 where a task did not try it.
SET automl.warm_start_metric = 'portfolio';
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_portfolio',
	seed => 1, max_trials => 3) \gset
SELECT (SELECT task_id FROM first_start WHERE project = 'ws_portfolio') AS portfolio_task \gset
WITH past AS (
	SELECT DISTINCT q.task_id FROM trial_quality q JOIN automl.tasks k ON k.id = q.task_id
	WHERE k.task = 'classification' AND k.id <> :portfolio_task
), per_config AS (
	SELECT q.algorithm, q.hyperparameters, q.task_id, max(q.quality) AS quality
	FROM trial_quality q JOIN past USING (task_id)
	WHERE q.algorithm <> 'baseline'
	GROUP BY 1, 2, 3
), ranked AS (
	SELECT algorithm, hyperparameters, sum(quality) / (SELECT count(*) FROM past) AS mean_quality
	FROM per_config GROUP BY 1, 2
	ORDER BY mean_quality DESC, algorithm, hyperparameters::text LIMIT 1
)
SELECT r.algorithm = f.algorithm AND r.hyperparameters = f.hyperparameters AS portfolio_first
FROM ranked r, first_start f WHERE f.project = 'ws_portfolio';
-- The task records the metric and the portfolio's configurations.
SELECT k.warm_start_metric, jsonb_array_length(k.warm_start) AS configurations,
	k.warm_start -> 0 -> 'hyperparameters' = f.hyperparameters AS first_listed,
	(k.warm_start -> 0 ->> 'mean_quality')::float8 BETWEEN 0 AND 1 AS quality_in_range
FROM automl.tasks k, first_start f
WHERE k.id = :portfolio_task AND f.project = 'ws_portfolio';

-- l1 with a fixed list: the first candidate is the one of the highest
-- quality summed over the 8 nearest tasks, each task weighing
-- exp(-distance / mean distance).
SET automl.warm_start_metric = 'l1';
SET automl.warm_start_adaptive = off;
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_l1',
	seed => 1, max_trials => 4) \gset
SELECT (SELECT task_id FROM first_start WHERE project = 'ws_l1') AS l1_task \gset
-- The l1 task's neighbours with their weights, and the best three
-- configurations of each, the candidates.
CREATE TEMP VIEW l1_weighted AS
WITH neighbours AS (
	SELECT (n ->> 'task')::bigint AS task_id, (n ->> 'distance')::float8 AS distance
	FROM automl.tasks k, jsonb_array_elements(k.warm_start) n WHERE k.id = :l1_task
)
SELECT task_id, exp(-distance / (SELECT avg(distance) FROM neighbours)) AS weight
FROM neighbours;
CREATE TEMP VIEW l1_candidates AS
SELECT DISTINCT algorithm, hyperparameters FROM (
	SELECT q.algorithm, q.hyperparameters,
		row_number() OVER (PARTITION BY q.task_id ORDER BY q.gain DESC, q.trial_number) AS rank
	FROM trial_quality q JOIN l1_weighted USING (task_id) WHERE q.algorithm <> 'baseline'
) best WHERE rank <= 3;
-- A configuration tried twice on a task counts once, at its best quality.
WITH per_task AS (
	SELECT task_id, algorithm, hyperparameters, max(quality) AS quality
	FROM trial_quality GROUP BY 1, 2, 3
), scored AS (
	SELECT c.algorithm, c.hyperparameters, sum(w.weight * q.quality) AS score
	FROM l1_candidates c
	JOIN per_task q USING (algorithm, hyperparameters)
	JOIN l1_weighted w USING (task_id)
	GROUP BY 1, 2 ORDER BY score DESC LIMIT 1
)
SELECT s.algorithm = f.algorithm AND s.hyperparameters = f.hyperparameters AS weighted_first
FROM scored s, first_start f WHERE f.project = 'ws_l1';
-- The third is the candidate that most raises the weighted sum over the
-- neighbours of the best quality reached by the first two.  (Ranking by the
-- weighted sum alone would start a metric_knn here instead.)
WITH quality AS (
	SELECT q.task_id, q.algorithm, q.hyperparameters, max(q.quality) AS quality
	FROM trial_quality q JOIN l1_weighted USING (task_id) WHERE q.algorithm <> 'baseline'
	GROUP BY 1, 2, 3
), first AS (
	SELECT w.task_id, w.weight, coalesce(max(q.quality), 0) AS reached
	FROM l1_weighted w CROSS JOIN full_trials t
	LEFT JOIN quality q ON q.task_id = w.task_id AND q.algorithm = t.algorithm
		AND q.hyperparameters = t.hyperparameters
	WHERE t.task_id = :l1_task AND t.trial_number IN (2, 3)
	GROUP BY 1, 2
), gains AS (
	SELECT c.algorithm, c.hyperparameters,
		sum(f.weight * greatest(coalesce(q.quality, 0) - f.reached, 0)) AS gain,
		sum(f.weight * coalesce(q.quality, 0)) AS score
	FROM l1_candidates c CROSS JOIN first f
	LEFT JOIN quality q ON q.task_id = f.task_id AND q.algorithm = c.algorithm
		AND q.hyperparameters = c.hyperparameters
	GROUP BY 1, 2 ORDER BY gain DESC, score DESC LIMIT 1
)
SELECT g.algorithm = t.algorithm AND g.hyperparameters = t.hyperparameters AS greedy_third
FROM gains g, full_trials t
WHERE t.task_id = :l1_task AND t.trial_number = 4 AND t.budget ->> 'source' = 'start';
SELECT warm_start_metric, jsonb_array_length(warm_start) AS neighbours,
	(SELECT bool_and(d1 <= d2) FROM (
		SELECT (n ->> 'distance')::float8 AS d1,
			lead((n ->> 'distance')::float8) OVER (ORDER BY i) AS d2
		FROM jsonb_array_elements(warm_start) WITH ORDINALITY AS e(n, i)) d
	 WHERE d2 IS NOT NULL) AS nearest_first
FROM automl.tasks WHERE id = :l1_task;
RESET automl.warm_start_adaptive;

-- l1, adaptive (the default): the first pick weighs the same 8 nearest
-- tasks, but its candidates also include, for every past task of the kind,
-- the best configuration of each of its two best algorithms.
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_adaptive',
	seed => 1, max_trials => 14) \gset
SELECT (SELECT task_id FROM first_start WHERE project = 'ws_adaptive') AS adaptive_task \gset
WITH neighbours AS (
	SELECT (n ->> 'task')::bigint AS task_id, (n ->> 'distance')::float8 AS distance
	FROM automl.tasks k, jsonb_array_elements(k.warm_start) n
	WHERE k.id = :adaptive_task AND (n ->> 'nearest')::boolean
), weighted AS (
	SELECT task_id, exp(-distance / (SELECT avg(distance) FROM neighbours)) AS weight
	FROM neighbours
), ranked AS (
	SELECT q.task_id, q.algorithm, q.hyperparameters,
		row_number() OVER (PARTITION BY q.task_id ORDER BY q.gain DESC, q.trial_number) AS rank
	FROM trial_quality q JOIN automl.tasks k ON k.id = q.task_id
	WHERE q.algorithm <> 'baseline' AND k.task = 'classification' AND k.id < :adaptive_task
), family_best AS (
	SELECT task_id, rank, row_number() OVER (PARTITION BY task_id ORDER BY rank) AS family_rank
	FROM (SELECT task_id, algorithm, min(rank) AS rank FROM ranked GROUP BY 1, 2) f
), candidates AS (
	SELECT DISTINCT algorithm, hyperparameters FROM ranked r
	WHERE (rank <= 3 AND task_id IN (SELECT task_id FROM weighted))
		OR EXISTS (SELECT 1 FROM family_best b WHERE b.task_id = r.task_id
			AND b.rank = r.rank AND b.family_rank <= 2)
), scored AS (
	SELECT c.algorithm, c.hyperparameters, sum(w.weight * q.quality) AS score
	FROM candidates c
	JOIN trial_quality q USING (algorithm, hyperparameters)
	JOIN weighted w USING (task_id)
	GROUP BY 1, 2 ORDER BY score DESC LIMIT 1
)
SELECT s.algorithm = f.algorithm AND s.hyperparameters = f.hyperparameters AS adaptive_first
FROM scored s, first_start f WHERE f.project = 'ws_adaptive';
-- Every later start configuration is a distinct one some past task tried.
SELECT count(*) AS start_trials,
	count(DISTINCT (t.algorithm, t.hyperparameters)) AS distinct_configurations,
	bool_and(EXISTS (SELECT 1 FROM full_trials p WHERE p.task_id < :adaptive_task
		AND p.algorithm = t.algorithm AND p.hyperparameters = t.hyperparameters)) AS from_past_tasks
FROM full_trials t WHERE t.task_id = :adaptive_task AND t.budget ->> 'source' = 'start';
-- The task records the 8 nearest tasks and every task a start
-- configuration came from, with how many each gave.
SELECT count(*) FILTER (WHERE (n ->> 'nearest')::boolean) AS nearest,
	sum((n ->> 'tried')::integer) = (SELECT count(*) FROM full_trials t
		WHERE t.task_id = :adaptive_task AND t.budget ->> 'source' = 'start') AS tried_adds_up,
	bool_and((n ->> 'nearest')::boolean OR (n ->> 'tried')::integer > 0) AS others_gave_one
FROM automl.tasks k, jsonb_array_elements(k.warm_start) n WHERE k.id = :adaptive_task;
-- Every later pick, recomputed.  Past tasks are ranked by the L1 distance
-- (min-max scaled meta-features, averaged over those both tasks have).
-- After n start trials, a past task's match distance d is the mean squared
-- difference between the trials' gains over the baseline and the task's
-- qualities of their configurations, each scaled to 1 at its best.  The 8
-- best matches weigh exp(-d / mean d) (1 when every d is 0) times
-- sqrt(exp(-distance / mean distance of the 8 nearest)), and the next pick
-- most raises their weighted sum of the best quality reached.
CREATE TEMP TABLE adaptive_pool AS
WITH features(name) AS (VALUES ('log_rows'), ('log_columns'), ('columns_per_row'),
	('numeric_share'), ('missing_share'), ('rows_with_missing_share'), ('mean_category_levels'),
	('skewness_mean'), ('kurtosis_mean'), ('target_correlation_mean'),
	('target_correlation_max'), ('feature_correlation_mean'), ('pca_components_95_share'),
	('pca_first_share'), ('n_classes'), ('class_entropy'), ('majority_class_share'),
	('minority_class_share'), ('target_skewness'), ('mutual_information_mean'),
	('mutual_information_max'), ('attribute_entropy_mean'), ('landmark_1nn'),
	('landmark_stump'), ('landmark_naive_bayes'), ('landmark_linear')
), tasks AS (
	SELECT k.id, k.meta_features FROM automl.tasks k
	WHERE k.task = 'classification' AND (k.id = :adaptive_task OR (k.id < :adaptive_task
		AND EXISTS (SELECT 1 FROM full_trials t WHERE t.task_id = k.id
			AND t.status = 'ok' AND t.algorithm <> 'baseline')))
), scaled AS (
	SELECT id, name, coalesce((v - min(v) OVER w) / nullif(max(v) OVER w - min(v) OVER w, 0), 0) AS v
	FROM (SELECT t.id, f.name, (t.meta_features ->> f.name)::float8 AS v
		  FROM tasks t, features f) raw
	WHERE v IS NOT NULL WINDOW w AS (PARTITION BY name)
), distances AS (
	SELECT p.id AS task_id, avg(abs(p.v - n.v)) AS distance
	FROM scaled p JOIN scaled n ON n.name = p.name AND n.id = :adaptive_task
	WHERE p.id <> :adaptive_task GROUP BY p.id
)
SELECT task_id, distance, row_number() OVER (ORDER BY distance, task_id DESC) AS position
FROM distances;
WITH prior AS (
	SELECT task_id, position, exp(-distance / (SELECT avg(distance) FROM adaptive_pool
		WHERE position <= 8)) AS weight
	FROM adaptive_pool
), quality AS (
	SELECT q.task_id, q.algorithm, q.hyperparameters, max(q.quality) AS quality
	FROM trial_quality q JOIN prior USING (task_id) WHERE q.algorithm <> 'baseline'
	GROUP BY 1, 2, 3
), ranked AS (
	SELECT q.task_id, p.position, q.algorithm, q.hyperparameters,
		row_number() OVER (PARTITION BY q.task_id ORDER BY q.gain DESC, q.trial_number) AS rank
	FROM trial_quality q JOIN prior p USING (task_id) WHERE q.algorithm <> 'baseline'
), family_best AS (
	SELECT task_id, rank, row_number() OVER (PARTITION BY task_id ORDER BY rank) AS family_rank
	FROM (SELECT task_id, algorithm, min(rank) AS rank FROM ranked GROUP BY 1, 2) f
), candidates AS (
	-- listed in the order of the pool, then of each task's trials, best first
	SELECT algorithm, hyperparameters, min(position * 100000 + rank) AS listed FROM ranked r
	WHERE (rank <= 3 AND position <= 8)
		OR EXISTS (SELECT 1 FROM family_best b WHERE b.task_id = r.task_id
			AND b.rank = r.rank AND b.family_rank <= 2)
	GROUP BY 1, 2
), starts AS (
	-- local moves come between the picks and do not count
	SELECT row_number() OVER (ORDER BY s.trial_number) AS ordinal, s.algorithm,
		s.hyperparameters, greatest(s.score - b.score, 0) AS gain
	FROM full_trials s JOIN full_trials b ON b.task_id = s.task_id AND b.trial_number = 1
	WHERE s.task_id = :adaptive_task AND s.budget ->> 'source' = 'start'
), steps AS (
	-- step n: the first n start trials are known, the next is picked
	SELECT n FROM generate_series(1, (SELECT count(*) - 1 FROM starts)::integer) n
), seen AS (
	SELECT n, s.ordinal, s.algorithm, s.hyperparameters,
		coalesce(s.gain / nullif(max(s.gain) OVER (PARTITION BY n), 0), 0) AS seen
	FROM steps JOIN starts s ON s.ordinal <= n
), observed AS (
	SELECT e.n, p.task_id, p.position, p.weight AS prior, e.seen,
		coalesce(q.quality, 0) AS quality
	FROM seen e CROSS JOIN prior p
	LEFT JOIN quality q ON q.task_id = p.task_id AND q.algorithm = e.algorithm
		AND q.hyperparameters = e.hyperparameters
), matched AS (
	SELECT n, task_id, position, prior, reached, d,
		row_number() OVER (PARTITION BY n ORDER BY d, position) AS match_rank
	FROM (SELECT n, task_id, position, prior, max(quality) AS reached,
			avg((seen - coalesce(quality / nullif(top, 0), 0)) ^ 2) AS d
		  FROM (SELECT o.*, max(quality) OVER (PARTITION BY n, task_id) AS top FROM observed o) o
		  GROUP BY 1, 2, 3, 4) per_task
), weighted AS (
	SELECT n, task_id, reached, CASE WHEN avg(d) OVER (PARTITION BY n) > 0
		THEN exp(-d / avg(d) OVER (PARTITION BY n)) ELSE 1 END * sqrt(prior) AS weight
	FROM matched WHERE match_rank <= 8
), picks AS (
	SELECT DISTINCT ON (w.n) w.n, c.algorithm, c.hyperparameters
	FROM candidates c CROSS JOIN weighted w
	LEFT JOIN quality q ON q.task_id = w.task_id AND q.algorithm = c.algorithm
		AND q.hyperparameters = c.hyperparameters
	WHERE NOT EXISTS (SELECT 1 FROM seen e WHERE e.n = w.n AND e.algorithm = c.algorithm
		AND e.hyperparameters = c.hyperparameters)
	GROUP BY w.n, c.algorithm, c.hyperparameters, c.listed
	ORDER BY w.n, sum(w.weight * greatest(coalesce(q.quality, 0) - w.reached, 0)) DESC,
		sum(w.weight * coalesce(q.quality, 0)) DESC, c.listed
)
SELECT count(*) AS picks_checked,
	count(*) FILTER (WHERE p.algorithm = s.algorithm AND p.hyperparameters = s.hyperparameters)
		AS picks_matching
FROM picks p JOIN starts s ON s.ordinal = p.n + 1;
-- Local moves (automl.warm_start_local_moves, 3 by default): one comes
-- before each start configuration after the fifth.  A move changes the
-- numeric hyperparameters of the best start or local trial so far, its
-- center, and keeps its algorithm and choices.  The second move from the
-- same center mirrors the first: by value on a linear range, by ratio on a
-- log-scaled one, unless the range's end clamps it.  Whole-number
-- parameters mirror up to rounding to the nearest whole number.
CREATE TEMP VIEW local_moves AS
SELECT t.trial_number, t.algorithm, t.hyperparameters,
	row_number() OVER (ORDER BY t.trial_number) AS k,
	(SELECT count(*) FROM automl.trials s WHERE s.task_id = t.task_id
		AND s.budget ->> 'source' = 'start' AND s.trial_number < t.trial_number) AS starts_before,
	(SELECT c.trial_number FROM automl.trials c WHERE c.task_id = t.task_id
		AND c.budget ->> 'source' IN ('start', 'local') AND c.trial_number < t.trial_number
		AND c.status = 'ok' ORDER BY c.score DESC, c.trial_number LIMIT 1) AS center
FROM automl.trials t
WHERE t.task_id = :adaptive_task AND t.budget ->> 'source' = 'local';
SELECT count(*) AS local_moves, bool_and(m.starts_before = 4 + m.k) AS placed_between_picks,
	bool_and(m.algorithm = c.algorithm) AS center_algorithm,
	bool_and(NOT EXISTS (SELECT 1 FROM jsonb_each(c.hyperparameters) h
		WHERE jsonb_typeof(h.value) = 'string'
			AND m.hyperparameters -> h.key IS DISTINCT FROM h.value)) AS choices_kept,
	bool_and(m.hyperparameters <> c.hyperparameters) AS moved
FROM local_moves m JOIN automl.trials c ON c.task_id = :adaptive_task
	AND c.trial_number = m.center;
WITH ordered AS (
	SELECT m.*, row_number() OVER (PARTITION BY m.center ORDER BY m.trial_number) AS j
	FROM local_moves m
), values_moved AS (
	SELECT a.center, a.j, h.key, (h.value #>> '{}')::float8 AS c,
		(a.hyperparameters ->> h.key)::float8 AS a, (b.hyperparameters ->> h.key)::float8 AS b
	FROM ordered a JOIN ordered b ON b.center = a.center AND b.j = a.j + 1
	JOIN automl.trials t ON t.task_id = :adaptive_task AND t.trial_number = a.center,
		jsonb_each(t.hyperparameters) h
	WHERE a.j % 2 = 1 AND jsonb_typeof(h.value) = 'number'
)
SELECT count(DISTINCT (center, j)) AS pairs, count(*) AS values_checked,
	string_agg(key, ', ' ORDER BY key) FILTER (WHERE NOT (
		abs(a + b - 2 * c) <= 1e-5 * greatest(abs(a), abs(b), abs(c))
		OR (least(a, b, c) > 0 AND abs(ln(a) + ln(b) - 2 * ln(c)) <= 1e-4)
		OR a = c OR b = c
		OR (a = round(a) AND b = round(b) AND c = round(c)
			AND (abs(a + b - 2 * c) <= 1
				OR (a - 0.5) * (b - 0.5) <= c * c AND c * c <= (a + 0.5) * (b + 0.5)))))
		AS not_mirrored
FROM values_moved;
-- The choice follows the scores and the catalog only: with the run's own
-- task dropped, a second run with the same seed starts the same way, local
-- moves included.
CREATE TEMP TABLE first_run AS
SELECT trial_number, algorithm, hyperparameters, budget ->> 'source' AS source
FROM automl.trials
WHERE task_id = :adaptive_task AND budget ->> 'source' IN ('start', 'local');
SELECT automl_drop_project('ws_adaptive');
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_adaptive',
	seed => 1, max_trials => 14) \gset
SELECT count(*) AS compared,
	bool_and(a.algorithm = b.algorithm AND a.hyperparameters = b.hyperparameters
		AND a.source = b.budget ->> 'source') AS same_starts
FROM first_run a JOIN automl.trials b USING (trial_number)
WHERE b.task_id = (SELECT task_id FROM first_start WHERE project = 'ws_adaptive');
-- Without local moves the picks are the same, as they follow only the
-- picks' own scores.
SELECT automl_drop_project('ws_adaptive');
SET automl.warm_start_local_moves = 0;
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_no_local',
	seed => 1, max_trials => 14) \gset
WITH run AS (
	SELECT t.budget ->> 'source' AS source, t.algorithm, t.hyperparameters,
		row_number() OVER (ORDER BY t.trial_number) AS ordinal
	FROM automl.trials t
	WHERE t.task_id = (SELECT task_id FROM first_start WHERE project = 'ws_no_local')
		AND t.budget ->> 'source' IN ('start', 'local')
), earlier AS (
	SELECT algorithm, hyperparameters,
		row_number() OVER (ORDER BY trial_number) AS ordinal
	FROM first_run WHERE source = 'start'
)
SELECT count(*) FILTER (WHERE r.source = 'local') AS local_moves,
	count(e.ordinal) AS picks_compared,
	bool_and(e.algorithm = r.algorithm AND e.hyperparameters = r.hyperparameters)
		FILTER (WHERE e.ordinal IS NOT NULL) AS same_picks
FROM run r LEFT JOIN earlier e USING (ordinal);
RESET automl.warm_start_local_moves;

-- A forest's max_depth 0 means no limit, so it has no neighbours: local
-- moves from such a center keep it and move the other numbers.
SELECT trials FROM automl_train('mpg', 'mpg', project => 'ws_forest',
	algorithms => ARRAY['extra_trees', 'random_forest'], seed => 1, max_trials => 16,
	start_configurations => '[{"algorithm": "extra_trees"}, {"algorithm": "random_forest"}]') \gset
WITH moves AS (
	SELECT t.hyperparameters,
		(SELECT c.hyperparameters FROM automl.trials c WHERE c.task_id = t.task_id
			AND c.budget ->> 'source' IN ('start', 'local') AND c.trial_number < t.trial_number
			AND c.status = 'ok' ORDER BY c.score, c.trial_number LIMIT 1) AS center
	FROM automl.trials t
	WHERE t.task_id = (SELECT task_id FROM first_start WHERE project = 'ws_forest')
		AND t.budget ->> 'source' = 'local'
)
SELECT count(*) AS local_moves,
	count(*) FILTER (WHERE center ->> 'max_depth' = '0') AS from_no_limit,
	bool_and(hyperparameters ->> 'max_depth' = '0')
		FILTER (WHERE center ->> 'max_depth' = '0') AS no_limit_kept,
	bool_and(hyperparameters <> center) AS moved
FROM moves;
SELECT automl_drop_project('ws_forest');

-- simple: the best configuration of the nearest task by four simple
-- meta-features comes first.
SET automl.warm_start_metric = 'simple';
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_simple',
	seed => 1, max_trials => 3) \gset
SELECT (SELECT task_id FROM first_start WHERE project = 'ws_simple') AS simple_task \gset
WITH nearest AS (
	SELECT (warm_start -> 0 ->> 'task')::bigint AS task_id FROM automl.tasks WHERE id = :simple_task
), best AS (
	SELECT q.algorithm, q.hyperparameters FROM trial_quality q JOIN nearest USING (task_id)
	WHERE q.algorithm <> 'baseline' ORDER BY q.gain DESC, q.trial_number LIMIT 1
)
SELECT b.algorithm = f.algorithm AND b.hyperparameters = f.hyperparameters AS nearest_best_first
FROM best b, first_start f WHERE f.project = 'ws_simple';
-- The two metrics rank past tasks differently.
SELECT s.warm_start_metric, s.warm_start <> l.warm_start AS different_neighbours
FROM automl.tasks s, automl.tasks l WHERE s.id = :simple_task AND l.id = :l1_task;

RESET automl.warm_start_metric;
SELECT automl_drop_project(name) FROM (VALUES ('ws_portfolio'), ('ws_l1'), ('ws_no_local'),
	('ws_simple')) v(name);

-- A move that lands on a tried configuration counts as failed.  With one
-- numeric hyperparameter (logistic's C, log-scaled) a second direction can
-- only revisit the first two moves, so after two failed directions the
-- third move goes half as far.  The given start configuration scores best
-- on iris, so all three moves start from it.
SET automl.warm_start_metric = 'l1';
SELECT algorithm FROM automl_train('iris', 'species', project => 'ws_one_numeric',
	seed => 1, max_trials => 15, start_configurations => '[{"algorithm": "logistic",
		"hyperparameters": {"C": 101.086, "penalty": "l1", "class_weight": "none"}}]') \gset
WITH moves AS (
	SELECT t.trial_number, t.hyperparameters,
		(SELECT c.trial_number FROM automl.trials c WHERE c.task_id = t.task_id
			AND c.budget ->> 'source' IN ('start', 'local') AND c.trial_number < t.trial_number
			AND c.status = 'ok' ORDER BY c.score DESC, c.trial_number LIMIT 1) AS center
	FROM automl.trials t
	WHERE t.task_id = (SELECT task_id FROM first_start WHERE project = 'ws_one_numeric')
		AND t.budget ->> 'source' = 'local'
), ordered AS (
	SELECT m.*, row_number() OVER (PARTITION BY m.center ORDER BY m.trial_number) AS j
	FROM moves m
), one_numeric AS (
	SELECT o.center, o.j, h.key, (h.value #>> '{}')::float8 AS c,
		(o.hyperparameters ->> h.key)::float8 AS v
	FROM ordered o JOIN automl.trials t ON t.trial_number = o.center
		AND t.task_id = (SELECT task_id FROM first_start WHERE project = 'ws_one_numeric'),
		jsonb_each(t.hyperparameters) h
	WHERE jsonb_typeof(h.value) = 'number'
		AND (SELECT count(*) FROM jsonb_each(t.hyperparameters) x
			 WHERE jsonb_typeof(x.value) = 'number') = 1
)
SELECT a.key, round((abs(ln(b.v / b.c)) / abs(ln(a.v / a.c)))::numeric, 3) AS third_to_first
FROM one_numeric a JOIN one_numeric b ON b.center = a.center AND b.j = 3
WHERE a.j = 1;
SELECT automl_drop_project('ws_one_numeric');
RESET automl.warm_start_metric;
RESET client_min_messages;
