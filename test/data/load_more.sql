-- Create and load the other real tables; paths are relative to the
-- repository top.  diamonds keeps its ordinal grades as enums.
CREATE TABLE penguins (
	species text,
	island text,
	bill_length_mm float8,
	bill_depth_mm float8,
	flipper_length_mm float8,
	body_mass_g float8,
	sex text
);
\copy penguins FROM 'test/data/penguins.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE mpg (
	mpg float8,
	cylinders integer,
	displacement float8,
	horsepower float8,
	weight integer,
	acceleration float8,
	model_year integer,
	origin text,
	name text
);
\copy mpg FROM 'test/data/mpg.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE tips (
	total_bill numeric(6, 2),
	tip numeric(6, 2),
	sex varchar(6),
	smoker boolean,
	day char(4),
	"time" text,
	size smallint
);
\copy tips FROM 'test/data/tips.csv' WITH (FORMAT csv, HEADER true)

CREATE TYPE diamond_cut AS ENUM ('Fair', 'Good', 'Very Good', 'Premium', 'Ideal');
CREATE TYPE diamond_color AS ENUM ('J', 'I', 'H', 'G', 'F', 'E', 'D');
CREATE TYPE diamond_clarity AS ENUM ('I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF');
CREATE TABLE diamonds (
	carat float8,
	cut diamond_cut,
	color diamond_color,
	clarity diamond_clarity,
	depth float8,
	"table" float8,
	price integer,
	x float8,
	y float8,
	z float8
);
\copy diamonds FROM 'test/data/diamonds.csv' WITH (FORMAT csv, HEADER true)
