-- Every supported column type, in one small table.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE size_grade AS ENUM ('small', 'medium', 'large');
CREATE DOMAIN positive_real AS float8 CHECK (VALUE > 0);
CREATE TABLE typed_all AS
SELECT g::smallint AS c_int2,
	(g * 7 % 13)::integer AS c_int4,
	(g * 11 % 17)::bigint AS c_int8,
	(g % 5)::real AS c_float4,
	sin(g)::float8 AS c_float8,
	(g % 9)::numeric(6, 2) AS c_numeric,
	(g % 3 = 0) AS c_bool,
	(ARRAY['red', 'green', 'blue'])[g % 3 + 1]::text AS c_text,
	(ARRAY['north', 'south'])[g % 2 + 1]::varchar(8) AS c_varchar,
	(ARRAY['ab', 'c'])[g / 3 % 2 + 1]::char(4) AS c_bpchar,
	(ARRAY['x', 'y', 'z'])[g / 2 % 3 + 1]::"char" AS c_char,
	(ARRAY['Alpha', 'Beta'])[g / 5 % 2 + 1]::citext AS c_citext,
	(ARRAY['small', 'medium', 'large'])[g / 7 % 3 + 1]::size_grade AS c_enum,
	(date '2020-01-01' + g * 17) AS c_date,
	(timestamp '2021-03-04 05:00' + g * interval '7 hours') AS c_timestamp,
	(timestamptz '2022-06-01 00:00+00' + g * interval '1 day 3 hours') AS c_timestamptz,
	md5(g::text)::uuid AS c_uuid,
	(g % 4 + 1)::positive_real AS c_domain,
	CASE WHEN (g % 4 < 2) <> (g % 3 = 0) THEN 'yes' ELSE 'no' END AS y
FROM generate_series(1, 80) g;

SELECT project_name, task_type, algorithm, trials
FROM automl_train('typed_all', 'y', algorithms => ARRAY['tree'],
				  hyperparameters => '{"max_depth": 4}', seed => 1);

-- How each column was read and encoded.
SELECT key AS column_name, value ->> 'type' AS type, value ->> 'dropped' AS dropped,
	value -> 'encoding' AS encoding, jsonb_array_length(value -> 'fill') AS value_parts,
	value ->> 'features' AS features
FROM automl.models m, jsonb_each(m.preprocessing -> 'columns')
WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'typed_all')
ORDER BY key;

-- Dates and timestamps become parts in UTC.
SELECT f AS feature
FROM automl.deployed_models d, automl_model_info(d.model_id) i,
	jsonb_array_elements_text(i -> 'features') f
WHERE d.project = 'typed_all' AND (f LIKE 'c_date%' OR f LIKE 'c_timestamp%');

-- Prediction reads the same types back, including a row built by hand.
SELECT count(*) FILTER (WHERE automl_predict('typed_all', t) = t.y) AS correct, count(*) AS rows
FROM typed_all t;
SELECT automl_predict('typed_all', r) IN ('yes', 'no') AS predicted
FROM (SELECT 1::smallint AS c_int2, 2 AS c_int4, 3::bigint AS c_int8, 1::real AS c_float4,
		0.5::float8 AS c_float8, 2.5::numeric AS c_numeric, true AS c_bool, 'red' AS c_text,
		'north'::varchar AS c_varchar, 'c'::char(4) AS c_bpchar, 'x'::"char" AS c_char,
		'ALPHA'::citext AS c_citext, 'large'::size_grade AS c_enum, date '2020-05-05' AS c_date,
		timestamp '2021-03-10 12:00' AS c_timestamp, timestamptz '2022-07-01 00:00+00' AS c_timestamptz,
		gen_random_uuid() AS c_uuid, 2::positive_real AS c_domain) r;

-- NaN and infinity in features, infinite dates: treated as missing.
CREATE TABLE non_finite AS
SELECT CASE WHEN g % 10 = 0 THEN 'NaN'::float8 WHEN g % 10 = 1 THEN 'Infinity'::float8
			ELSE g::float8 END AS x,
	CASE WHEN g % 7 = 0 THEN 'infinity'::date ELSE date '2024-01-01' + g END AS d,
	(g > 30) AS y
FROM generate_series(1, 60) g;
SELECT project_name, algorithm <> 'baseline' OR trials = 2 AS trained
FROM automl_train('non_finite', 'y', algorithms => ARRAY['tree'],
				  hyperparameters => '{"max_depth": 2}', seed => 1);
SELECT m.preprocessing -> 'columns' -> 'x' ->> 'missing_indicator' AS x_indicator,
	m.preprocessing -> 'columns' -> 'd' ->> 'missing_indicator' AS d_indicator
FROM automl.models m WHERE m.project_id = (SELECT id FROM automl.projects WHERE name = 'non_finite');
SELECT automl_predict('non_finite', r) IN ('true', 'false') AS predicted
FROM (SELECT '-Infinity'::float8 AS x, '-infinity'::date AS d) r;

-- A numeric beyond the range of double precision is an error naming it.
CREATE TABLE huge (x numeric, y integer);
INSERT INTO huge VALUES (1, 0), (2, 1), ('1e400', 0);
\set VERBOSITY default
SELECT * FROM automl_train('huge', 'y');
-- Other types name the column, the type and a cast.
CREATE TABLE spans (x interval, j jsonb, y integer);
INSERT INTO spans VALUES ('1 day', '{}', 0), ('2 days', '{}', 1);
SELECT * FROM automl_train('spans', 'y');
SELECT * FROM automl_train('spans', 'y', exclude => ARRAY['x']);
