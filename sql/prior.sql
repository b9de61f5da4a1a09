-- The shipped knowledge base is loaded once at CREATE EXTENSION as prior
-- tasks: no project, visible to every role, not dumped by pg_dump.
SELECT bool_and(is_prior = (project_id IS NULL)) IS NOT FALSE AS prior_means_no_project
FROM automl.tasks;
SELECT automl.load_prior_knowledge() AS loaded_again;
SELECT c.relname, pg_catalog.array_position(e.extconfig, c.oid) IS NOT NULL AS dumped,
	e.extcondition[pg_catalog.array_position(e.extconfig, c.oid)] AS dump_filter
FROM pg_extension e JOIN pg_class c ON c.oid = ANY (e.extconfig)
WHERE e.extname = 'automl' AND c.relname IN ('tasks', 'trials')
ORDER BY c.relname;
SELECT count(*) AS prior_count FROM automl.tasks WHERE is_prior \gset
CREATE ROLE automl_viewer;
SET ROLE automl_viewer;
SELECT count(*) = :prior_count AS sees_prior_tasks FROM automl.tasks WHERE is_prior;
\set VERBOSITY terse
SELECT automl.load_prior_knowledge();
\set VERBOSITY default
RESET ROLE;
DROP ROLE automl_viewer;
