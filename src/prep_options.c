/*
 * prep_options.c
 *		Per-column preprocessing choices from the options argument:
 *
 *		options => '{"age": {"impute": "mean", "scale": "minmax"},
 *					 "cabin": {"encode": "frequency"},
 *					 "alive": {"keep": true}, "ticket": {"drop": true}}'
 *
 * Keys are column names; each value is an object of settings:
 *	impute: median, mean or zero (numbers, bools, enums, dates);
 *	scale: standard, minmax or none (the same kinds);
 *	encode: auto, onehot, frequency or target (text and enum columns);
 *	keep: true skips the automatic drop rules;
 *	drop: true leaves the column out.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "prep.h"

static const char *const impute_choices[] = {"median", "mean", "zero", NULL};
static const char *const scale_choices[] = {"standard", "minmax", "none", NULL};
static const char *const encode_choices[] = {"auto", "onehot", "frequency", "target", NULL};
static const int encode_flags[] = {0, ENCODE_ONEHOT, ENCODE_FREQUENCY, ENCODE_TARGET};

static void
RejectOption(const char *column, const char *key, const char *value, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid option \"%s\" for column \"%s\"", key, column),
			 errdetail("The value is %s.", value),
			 errhint("Use %s.", expected)));
}

static char *
ValueText(const JsonbValue *value)
{
	if (value->type == jbvString)
		return psprintf("\"%s\"", pnstrdup(value->val.string.val, value->val.string.len));
	if (value->type == jbvBool)
		return pstrdup(value->val.boolean ? "true" : "false");
	if (value->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(value->val.numeric)));
	return pstrdup("a JSON array, object or null");
}

/* Index of a string value in choices, or an error listing them. */
static int
ChoiceIndex(const char *column, const char *key, const JsonbValue *value,
			const char *const *choices)
{
	StringInfoData expected;

	for (int c = 0; value->type == jbvString && choices[c]; c++)
		if (strlen(choices[c]) == value->val.string.len &&
			strncmp(choices[c], value->val.string.val, value->val.string.len) == 0)
			return c;
	initStringInfo(&expected);
	for (int c = 0; choices[c]; c++)
		appendStringInfo(&expected, "%s\"%s\"", c ? ", " : "one of ", choices[c]);
	RejectOption(column, key, ValueText(value), expected.data);
	return -1;
}

static bool
BoolValue(const char *column, const char *key, const JsonbValue *value)
{
	if (value->type != jbvBool)
		RejectOption(column, key, ValueText(value), "true or false");
	return value->val.boolean;
}

/* Apply one "key": value setting to a column's options. */
static void
ApplySetting(PrepColumnOptions *options, const LoadedColumn *column, const char *key,
			 const JsonbValue *value)
{
	bool		levels = KIND_HAS_LEVELS(column->kind);
	bool		values = KIND_HAS_VALUES(column->kind);

	if (strcmp(key, "impute") == 0 && values)
		options->impute = ChoiceIndex(column->name, key, value, impute_choices);
	else if (strcmp(key, "scale") == 0 && values)
		options->scale = ChoiceIndex(column->name, key, value, scale_choices);
	else if (strcmp(key, "encode") == 0 && levels)
		options->encode = encode_flags[ChoiceIndex(column->name, key, value, encode_choices)];
	else if (strcmp(key, "keep") == 0)
		options->keep = BoolValue(column->name, key, value);
	else if (strcmp(key, "drop") == 0)
		options->drop = BoolValue(column->name, key, value);
	else if (strcmp(key, "impute") == 0 || strcmp(key, "scale") == 0 ||
			 strcmp(key, "encode") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" does not apply to column \"%s\" of type %s",
						key, column->name, format_type_be(column->typid)),
				 errhint("impute and scale apply to numbers, booleans, enums and dates; encode to text and enums.")));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown option \"%s\" for column \"%s\"", key, column->name),
				 errdetail("The options of column \"%s\" include \"%s\".", column->name, key),
				 errhint("Options are impute, scale, encode, keep and drop.")));
}

static int
FindColumn(const LoadedTable *table, const char *name)
{
	for (int i = 0; i < table->n_columns; i++)
		if (strcmp(table->columns[i].name, name) == 0)
			return i;
	if (strcmp(table->target.name, name) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options name the target column \"%s\"", name),
				 errhint("Options apply to feature columns only.")));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("options name column \"%s\", which is not a feature of %s", name,
					table->relation),
			 errhint("Check the name; excluded columns take no options.")));
	return -1;
}

/* Read the settings object of one column. */
static void
ParseColumnSettings(PrepColumnOptions *options, const LoadedColumn *column,
					JsonbValue *object)
{
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	value;
	JsonbIteratorToken token;

	if (object->type != jbvBinary || !JsonContainerIsObject(object->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options for column \"%s\" must be a JSON object", column->name),
				 errhint("Pass for example '{\"%s\": {\"%s\"}}'.", column->name,
						 KIND_HAS_LEVELS(column->kind) ? "encode\": \"frequency"
						 : "impute\": \"mean")));
	it = JsonbIteratorInit(object->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		char	   *name;

		if (token != WJB_KEY)
			continue;
		name = pnstrdup(key.val.string.val, key.val.string.len);
		(void) JsonbIteratorNext(&it, &value, true);
		ApplySetting(options, column, name, &value);
	}
	if (options->keep && options->drop)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options for column \"%s\" set both keep and drop", column->name),
				 errhint("Set one of them.")));
}

PrepColumnOptions *
PrepParseOptions(const char *json, const LoadedTable *table)
{
	PrepColumnOptions *options = palloc(sizeof(PrepColumnOptions) * Max(table->n_columns, 1));
	Jsonb	   *jsonb;
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	value;
	JsonbIteratorToken token;

	for (int i = 0; i < table->n_columns; i++)
		options[i] = (PrepColumnOptions) {.impute = -1, .scale = -1, .encode = -1};
	if (json == NULL)
		return options;

	jsonb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(jsonb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object keyed by column name"),
				 errdetail("Received: %s.", json),
				 errhint("Pass for example '{\"age\": {\"impute\": \"mean\"}}'.")));
	it = JsonbIteratorInit(&jsonb->root);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		int			i;

		if (token != WJB_KEY)
			continue;
		i = FindColumn(table, pnstrdup(key.val.string.val, key.val.string.len));
		(void) JsonbIteratorNext(&it, &value, true);
		ParseColumnSettings(&options[i], &table->columns[i], &value);
	}
	return options;
}
