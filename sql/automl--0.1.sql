-- automl 0.1: catalog tables in schema automl, user-facing functions in the
-- extension's schema (public unless CREATE EXTENSION ... SCHEMA names another).

\echo Use "CREATE EXTENSION automl" to load this file. \quit

CREATE SCHEMA automl;

-- One row per (relation, target) problem a user trains under a name.
CREATE TABLE automl.projects (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	relation text NOT NULL,
	target text NOT NULL,
	task text NOT NULL CHECK (task IN ('classification', 'regression')),
	metric text NOT NULL,
	owner name NOT NULL DEFAULT current_user,
	created timestamptz NOT NULL DEFAULT now()
);

-- One row per training run; prior tasks (no project) come from a shipped
-- knowledge base.  warm_start lists the past tasks whose configurations
-- started the search (for a static portfolio, its configurations), and
-- warm_start_metric the setting that chose them.
CREATE TABLE automl.tasks (
	id bigserial PRIMARY KEY,
	project_id bigint REFERENCES automl.projects (id) ON DELETE CASCADE,
	relation text NOT NULL,
	target text NOT NULL,
	task text NOT NULL CHECK (task IN ('classification', 'regression')),
	n_rows bigint NOT NULL,
	n_features integer NOT NULL,
	meta_features jsonb NOT NULL,
	embedding float8[],
	warm_start jsonb,
	warm_start_metric text,
	is_prior boolean NOT NULL DEFAULT false,
	created timestamptz NOT NULL DEFAULT now()
);

-- Every configuration evaluated on a task.  budget records the fidelity:
-- rows and folds used.  score is NULL for failed trials.
CREATE TABLE automl.trials (
	id bigserial PRIMARY KEY,
	task_id bigint NOT NULL REFERENCES automl.tasks (id) ON DELETE CASCADE,
	trial_number integer NOT NULL,
	algorithm text NOT NULL,
	hyperparameters jsonb NOT NULL,
	budget jsonb NOT NULL,
	metric text NOT NULL,
	score float8,
	fit_seconds float8 NOT NULL,
	status text NOT NULL CHECK (status IN ('ok', 'failed', 'timeout')),
	error text,
	created timestamptz NOT NULL DEFAULT now(),
	UNIQUE (task_id, trial_number)
);

-- Fitted models.  model is the versioned binary (magic "AUML", format
-- version, length, checksum).  score is the resampled score of the
-- configuration, and metrics contains every metric of the task on the same
-- out-of-fold rows.
CREATE TABLE automl.models (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES automl.projects (id) ON DELETE CASCADE,
	task_id bigint NOT NULL REFERENCES automl.tasks (id) ON DELETE CASCADE,
	trial_id bigint REFERENCES automl.trials (id) ON DELETE SET NULL,
	algorithm text NOT NULL,
	hyperparameters jsonb NOT NULL,
	preprocessing jsonb NOT NULL,
	metric text NOT NULL,
	score float8 NOT NULL,
	baseline_score float8 NOT NULL,
	metrics jsonb NOT NULL,
	feature_importance jsonb,
	format_version integer NOT NULL,
	model bytea NOT NULL,
	created timestamptz NOT NULL DEFAULT now()
);

-- Deployment history: the latest row of a project is the model it serves.
CREATE TABLE automl.deployments (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES automl.projects (id) ON DELETE CASCADE,
	model_id bigint NOT NULL REFERENCES automl.models (id) ON DELETE CASCADE,
	deployed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	reason text NOT NULL,
	deployed_by name NOT NULL DEFAULT current_user
);

-- Meta-models learned from past tasks, such as the task encoder: its
-- settings and training summary in config, its parameters in weights.
CREATE TABLE automl.meta_models (
	id bigserial PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('task_encoder')),
	config jsonb NOT NULL,
	weights float8[] NOT NULL,
	owner name NOT NULL DEFAULT current_user,
	created timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON automl.tasks (project_id);
CREATE INDEX ON automl.models (project_id);
CREATE INDEX ON automl.deployments (project_id, id);

SELECT pg_catalog.pg_extension_config_dump('automl.projects', '');
SELECT pg_catalog.pg_extension_config_dump('automl.projects_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.tasks', 'WHERE NOT is_prior');
SELECT pg_catalog.pg_extension_config_dump('automl.tasks_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.trials',
	'WHERE task_id IN (SELECT id FROM automl.tasks WHERE NOT is_prior)');
SELECT pg_catalog.pg_extension_config_dump('automl.trials_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.models', '');
SELECT pg_catalog.pg_extension_config_dump('automl.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('automl.deployments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.meta_models', '');
SELECT pg_catalog.pg_extension_config_dump('automl.meta_models_id_seq', '');

-- Every role may train and serve its own projects: row-level security shows
-- a role the projects of the roles it has the privileges of (its own, and
-- its group roles'), the rows that belong to them, and the shared prior
-- tasks (no project).  Superusers and the extension owner see every row.
GRANT USAGE ON SCHEMA automl TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA automl TO PUBLIC;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA automl TO PUBLIC;

ALTER TABLE automl.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.trials ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.meta_models ENABLE ROW LEVEL SECURITY;

CREATE POLICY own_projects ON automl.projects
	USING (pg_catalog.pg_has_role(owner, 'USAGE'))
	WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY own_tasks ON automl.tasks
	USING (project_id IS NULL OR project_id IN (SELECT id FROM automl.projects))
	WITH CHECK (project_id IN (SELECT id FROM automl.projects));
CREATE POLICY own_trials ON automl.trials
	USING (task_id IN (SELECT id FROM automl.tasks));
CREATE POLICY own_models ON automl.models
	USING (project_id IN (SELECT id FROM automl.projects));
CREATE POLICY own_deployments ON automl.deployments
	USING (project_id IN (SELECT id FROM automl.projects));
CREATE POLICY own_meta_models ON automl.meta_models
	USING (pg_catalog.pg_has_role(owner, 'USAGE'))
	WITH CHECK (pg_catalog.pg_has_role(owner, 'USAGE'));

-- Whether any role owns a project of this name: names are unique across
-- roles, so a clash is reported before a search, not after it.
CREATE FUNCTION automl.project_name_taken(project text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM automl.projects p WHERE p.name = project) $$;
GRANT EXECUTE ON FUNCTION automl.project_name_taken(text) TO PUBLIC;

-- The model each project serves now.
CREATE VIEW automl.deployed_models WITH (security_invoker = true) AS
SELECT DISTINCT ON (p.id)
	p.name AS project, d.model_id, m.algorithm, m.metric, m.score,
	m.baseline_score, d.deployed_at, d.reason
FROM automl.projects p
JOIN automl.deployments d ON d.project_id = p.id
JOIN automl.models m ON m.id = d.model_id
ORDER BY p.id, d.id DESC;

-- Trials of each project's latest training run.  rank orders the trials
-- that could be chosen (finished, on all rows), best first.  Trials on a
-- row sample, failed trials and timed-out trials have no rank.
CREATE VIEW automl.leaderboard WITH (security_invoker = true) AS
SELECT p.name AS project, t.task_id, t.trial_number, t.algorithm,
	t.hyperparameters, t.metric, t.score, t.fit_seconds, t.status,
	coalesce((t.budget ->> 'fidelity')::float8, 1) AS fidelity,
	t.budget ->> 'source' AS source,
	CASE WHEN t.status = 'ok' AND coalesce((t.budget ->> 'fidelity')::float8, 1) >= 1 THEN
		rank() OVER (PARTITION BY t.task_id,
						 t.status = 'ok' AND coalesce((t.budget ->> 'fidelity')::float8, 1) >= 1
					 ORDER BY CASE WHEN t.metric IN ('log_loss', 'rmse', 'mae') THEN t.score
							  ELSE -t.score END NULLS LAST)
	END AS rank
FROM automl.trials t
JOIN automl.tasks k ON k.id = t.task_id
JOIN automl.projects p ON p.id = k.project_id
WHERE k.id = (SELECT max(id) FROM automl.tasks WHERE project_id = p.id);

CREATE FUNCTION automl_train(
	relation text,
	target text,
	project text DEFAULT NULL,
	task text DEFAULT 'auto',
	time_budget float8 DEFAULT 60,
	metric text DEFAULT NULL,
	seed integer DEFAULT 42,
	algorithms text[] DEFAULT NULL,
	exclude text[] DEFAULT NULL,
	max_trials integer DEFAULT 50,
	hyperparameters jsonb DEFAULT NULL,
	options jsonb DEFAULT NULL,
	warm_start boolean DEFAULT true,
	start_configurations jsonb DEFAULT NULL,
	OUT project_name text,
	OUT task_type text,
	OUT algorithm text,
	OUT metric_name text,
	OUT score float8,
	OUT baseline_score float8,
	OUT trials integer,
	OUT seconds float8,
	OUT model_id bigint,
	OUT deployed boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'automl_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION automl_train IS
	'train, select and deploy a model that predicts target from the other columns of relation';

CREATE FUNCTION automl_predict(project text, row_value record)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl_predict_proba(project text, row_value record)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_predict_proba'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- Serve an earlier model of a project again (rollback) or any of its models.
CREATE FUNCTION automl_deploy(project text, model_id bigint,
							  reason text DEFAULT 'manual')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	project_key bigint;
BEGIN
	SELECT p.id INTO project_key FROM automl.projects p WHERE p.name = project;
	IF project_key IS NULL THEN
		RAISE EXCEPTION 'project "%" does not exist', project
			USING ERRCODE = 'undefined_object',
				  HINT = 'Train it first with automl_train.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM automl.models m
				   WHERE m.id = model_id AND m.project_id = project_key) THEN
		RAISE EXCEPTION 'model % does not belong to project "%"', model_id, project
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('See the project''s models with SELECT id FROM automl.models WHERE project_id = %s.',
								project_key);
	END IF;
	INSERT INTO automl.deployments (project_id, model_id, reason)
	VALUES (project_key, model_id, coalesce(reason, 'manual'));
	-- the project's metric is the one its deployed model was scored by
	UPDATE automl.projects p SET metric = m.metric
	FROM automl.models m
	WHERE p.id = project_key AND m.id = automl_deploy.model_id;
	RETURN model_id;
END
$$;

-- The contents of a stored model: algorithm, hyperparameters, design-matrix
-- feature names, classes, and the family's own description of its state.
CREATE FUNCTION automl_model_info(model_id bigint)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_model_info'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

GRANT SELECT ON automl.deployed_models, automl.leaderboard TO PUBLIC;

-- Train one linear model per value of group_by: adapted in inner_steps
-- gradient steps from an initialisation learned across the groups by
-- Reptile, fitted independently per group, or pooled over all rows.  A
-- seeded split holds out the share holdout of each group with at least 4
-- rows, for the returned held-out scores.  The stored model is then refit
-- on every row and deployed like automl_train's.
CREATE FUNCTION automl_train_groups(
	relation text,
	target text,
	group_by text,
	project text DEFAULT NULL,
	strategy text DEFAULT 'reptile',
	task text DEFAULT 'auto',
	metric text DEFAULT NULL,
	seed integer DEFAULT 42,
	inner_steps integer DEFAULT 30,
	meta_iterations integer DEFAULT 1000,
	meta_step_size float8 DEFAULT 1.0,
	learning_rate float8 DEFAULT 1.0,
	steps integer DEFAULT 300,
	l2 float8 DEFAULT 0.01,
	proximal float8 DEFAULT 1.0,
	holdout float8 DEFAULT 0.25,
	exclude text[] DEFAULT NULL,
	OUT project_name text,
	OUT task_type text,
	OUT strategy_name text,
	OUT metric_name text,
	OUT score float8,
	OUT group_score float8,
	OUT baseline_score float8,
	OUT groups integer,
	OUT small_groups integer,
	OUT train_rows integer,
	OUT test_rows integer,
	OUT seconds float8,
	OUT model_id bigint,
	OUT deployed boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'automl_train_groups'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION automl_train_groups IS
	'train and deploy one linear model per group of rows, from a Reptile initialisation, independently or pooled';

-- The predicted value of a regression project as a number.
CREATE FUNCTION automl_predict_value(project text, row_value record)
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_value'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- Delete a project with its tasks, trials, models and deployments.
CREATE FUNCTION automl_drop_project(project text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF project IS NULL THEN
		RAISE EXCEPTION 'project name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the name of a project, see SELECT name FROM automl.projects.';
	END IF;
	DELETE FROM automl.projects p WHERE p.name = project;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'project "%" does not exist', project
			USING ERRCODE = 'undefined_object',
				  HINT = 'See SELECT name FROM automl.projects.';
	END IF;
END
$$;

-- Moments of a column in one pass, mergeable across parallel workers:
-- {count, mean, variance, skewness, excess kurtosis}.
-- Not STRICT: the accumulator skips NULL values itself.
CREATE FUNCTION automl.moments_accum(float8[], float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'automl_moments_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.moments_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'automl_moments_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION automl.moments_final(float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'automl_moments_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE automl.moments(float8) (
	SFUNC = automl.moments_accum,
	STYPE = float8[],
	INITCOND = '{0,0,0,0,0}',
	COMBINEFUNC = automl.moments_combine,
	FINALFUNC = automl.moments_final,
	PARALLEL = SAFE
);
GRANT EXECUTE ON FUNCTION automl.moments(float8) TO PUBLIC;

-- The registered model families: the tasks each supports, its default
-- hyperparameters and a one-line description.
CREATE FUNCTION automl_algorithms()
RETURNS TABLE (algorithm text, classification boolean, regression boolean,
			   default_hyperparameters jsonb, description text)
AS 'MODULE_PATHNAME', 'automl_algorithms'
LANGUAGE C STABLE PARALLEL SAFE ROWS 16;

-- Train the learned task metric from the caller's past tasks: a Siamese
-- encoder of meta-features trained with the triplet loss.  Stores it in
-- automl.meta_models and the tasks' embeddings; warm starts use it from
-- then on.  Returns a training summary.
CREATE FUNCTION automl_train_task_encoder(epochs integer DEFAULT 200,
										  embedding_dim integer DEFAULT 8,
										  margin float8 DEFAULT 0.5,
										  seed integer DEFAULT 1)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_train_task_encoder'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

-- Load the shipped prior knowledge base (sql/automl_prior.tsv) as prior
-- tasks, once; returns the number of tasks loaded.
CREATE FUNCTION automl.load_prior_knowledge()
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_load_prior_knowledge'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION automl.load_prior_knowledge() FROM PUBLIC;
SELECT automl.load_prior_knowledge();
