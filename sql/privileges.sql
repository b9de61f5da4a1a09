-- Each role sees and serves only its own projects.
CREATE ROLE automl_alice;
CREATE ROLE automl_bob;
CREATE TABLE alice_data AS SELECT * FROM iris;
ALTER TABLE alice_data OWNER TO automl_alice;
GRANT SELECT ON iris TO automl_bob;

SET ROLE automl_alice;
SET client_min_messages = warning;
SELECT project_name, deployed FROM automl_train('alice_data', 'species', algorithms => ARRAY['tree'],
	hyperparameters => '{}');
RESET client_min_messages;
SELECT name, owner FROM automl.projects;
SELECT count(*) AS predictions FROM alice_data a WHERE automl_predict('alice_data', a) IS NOT NULL;
RESET ROLE;

SET ROLE automl_bob;
SELECT count(*) AS visible_projects FROM automl.projects;
SELECT count(*) AS visible_models FROM automl.models;
\set VERBOSITY terse
SELECT automl_predict('alice_data', i) FROM iris i LIMIT 1;
SELECT automl_deploy('alice_data', 1);
SELECT automl_drop_project('alice_data');
\set VERBOSITY default
RESET ROLE;

-- A member of the owning role sees and serves the project.
CREATE ROLE automl_reporter;
GRANT automl_alice TO automl_reporter;
GRANT SELECT ON alice_data TO automl_reporter;
SET ROLE automl_reporter;
SELECT count(*) AS reporter_predictions
FROM alice_data a WHERE automl_predict('alice_data', a) IS NOT NULL;
RESET ROLE;

-- Another role's project name is refused before any training.
SET ROLE automl_bob;
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', project => 'alice_data');
\set VERBOSITY terse
RESET ROLE;

-- A superuser sees every project.
SELECT count(*) > 1 AS sees_all FROM automl.projects;
SET ROLE automl_alice;
SELECT automl_drop_project('alice_data');
SELECT count(*) AS alice_projects FROM automl.projects;
RESET ROLE;
DROP TABLE alice_data;
REVOKE SELECT ON iris FROM automl_bob;
DROP ROLE automl_reporter;
DROP ROLE automl_alice;
DROP ROLE automl_bob;
