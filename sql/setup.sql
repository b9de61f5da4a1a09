-- Load the shipped tables once for the later tests.
\i test/data/load.sql
SELECT count(*) AS titanic_rows FROM titanic;
SELECT count(*) AS iris_rows FROM iris;
-- The catalog lives in schema automl, the functions in the extension schema.
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'automl' AND c.relkind IN ('r', 'v')
ORDER BY c.relname;
SELECT p.proname, n.nspname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname LIKE 'automl\_%'
ORDER BY p.proname;
