-- Predict the rows of view bench.:"test" with project :'project' into temp
-- table predictions (y, predicted), set :predict_seconds, and create temp
-- view scores: accuracy and balanced accuracy when :classify is on, R^2
-- and RMSE otherwise.  Included by families.sh and search.sh through \i.

SELECT clock_timestamp() AS predict_start \gset
CREATE TEMP TABLE predictions AS
SELECT v.target AS y, automl_predict(:'project', v) AS predicted FROM bench.:"test" v;
SELECT extract(epoch FROM clock_timestamp() - :'predict_start'::timestamptz) AS predict_seconds \gset

\if :classify
CREATE TEMP VIEW scores AS
SELECT avg((y = predicted)::integer) AS accuracy,
	(SELECT avg(recall)
	 FROM (SELECT avg((y = predicted)::integer) AS recall FROM predictions GROUP BY y) c)
	AS balanced_accuracy,
	NULL::float8 AS r2, NULL::float8 AS rmse
FROM predictions;
\else
CREATE TEMP VIEW scores AS
SELECT NULL::float8 AS accuracy, NULL::float8 AS balanced_accuracy,
	1 - sum((y - p) ^ 2) / nullif(sum((y - mean) ^ 2), 0) AS r2,
	sqrt(avg((y - p) ^ 2)) AS rmse
FROM (SELECT y, predicted::float8 AS p, avg(y) OVER () AS mean FROM predictions) e;
\endif
