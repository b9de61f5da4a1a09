-- Create and load the test tables; paths are relative to the repository top.
CREATE TABLE titanic (
	survived integer,
	pclass integer,
	sex text,
	age float8,
	sibsp integer,
	parch integer,
	fare float8,
	embarked text,
	class text,
	who text,
	adult_male boolean,
	deck text,
	embark_town text,
	alive text,
	alone boolean
);
\copy titanic FROM 'test/data/titanic.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE iris (
	sepal_length float8,
	sepal_width float8,
	petal_length float8,
	petal_width float8,
	species text
);
\copy iris FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)
