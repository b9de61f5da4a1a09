-- Recreating the extension restarts model ids; a backend that cached the
-- old model 1 must load the new one.
SET client_min_messages = warning;
DROP EXTENSION automl;
CREATE EXTENSION automl;
SELECT model_id FROM automl_train('iris', 'species', project => 'iris_recreate',
	algorithms => ARRAY['logistic'], hyperparameters => '{}');
SELECT count(DISTINCT automl_predict('iris_recreate', i)) AS classes_predicted FROM iris i;
DROP EXTENSION automl;
CREATE EXTENSION automl;
SELECT model_id FROM automl_train('iris', 'species', project => 'iris_recreate',
	algorithms => ARRAY['tree'], hyperparameters => '{"max_depth": 1, "min_samples_leaf": 1}');
SELECT count(DISTINCT automl_predict('iris_recreate', i)) AS classes_predicted FROM iris i;
RESET client_min_messages;
