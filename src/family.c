/*
 * family.c
 *		Registry of model families and helpers for hyperparameter vectors.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/fmgrprotos.h"

#include "family.h"

/* The baseline comes first: it is always evaluated and every model must beat it. */
const ModelFamily *const automl_families[] = {
	&baseline_family,
	&linear_family,
	&logistic_family,
	&tree_family,
	&gbdt_family,
};

const int	automl_n_families = lengthof(automl_families);

const ModelFamily *
FamilyByName(const char *name)
{
	for (int i = 0; i < automl_n_families; i++)
	{
		if (strcmp(automl_families[i]->name, name) == 0)
			return automl_families[i];
	}
	return NULL;
}

/* The registered family names, comma-separated, for messages. */
char *
FamilyNameList(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < automl_n_families; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", automl_families[i]->name);
	return buf.data;
}

void
FamilyDefaultConfig(const ModelFamily *family, double *config)
{
	for (int i = 0; i < family->n_params; i++)
		config[i] = family->params[i].default_value;
}

/* Draw one value per dimension, uniformly (log-uniformly for PARAM_LOG_REAL). */
void
FamilySampleConfig(const ModelFamily *family, pg_prng_state *prng,
				   double *config)
{
	for (int i = 0; i < family->n_params; i++)
	{
		const ParamSpec *spec = &family->params[i];
		double		u = pg_prng_double(prng);

		switch (spec->kind)
		{
			case PARAM_INT:
				config[i] = floor(spec->low + u * (spec->high - spec->low + 1));
				config[i] = Min(config[i], spec->high);
				break;
			case PARAM_REAL:
				config[i] = spec->low + u * (spec->high - spec->low);
				break;
			case PARAM_LOG_REAL:
				config[i] = exp(log(spec->low) + u * (log(spec->high) - log(spec->low)));
				break;
			case PARAM_CHOICE:
				config[i] = Min(floor(u * spec->n_choices), spec->n_choices - 1);
				break;
		}
	}
}

/* Render a configuration as a JSON object keyed by parameter name. */
char *
FamilyConfigToJson(const ModelFamily *family, const double *config)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < family->n_params; i++)
	{
		const ParamSpec *spec = &family->params[i];

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, spec->name);
		appendStringInfoString(&buf, ": ");
		if (spec->kind == PARAM_CHOICE)
			escape_json(&buf, spec->choices[(int) config[i]]);
		else if (spec->kind == PARAM_INT)
			appendStringInfo(&buf, "%d", (int) config[i]);
		else
			appendStringInfo(&buf, "%.6g", config[i]);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Raise the error for an invalid hyperparameter value. */
static void
RejectParamValue(const ModelFamily *family, const ParamSpec *spec, const char *value)
{
	double		low = spec->min_value != spec->max_value ? spec->min_value : spec->low;
	double		high = spec->min_value != spec->max_value ? spec->max_value : spec->high;
	StringInfoData expected;

	initStringInfo(&expected);
	if (spec->kind == PARAM_CHOICE)
		for (int c = 0; c < spec->n_choices; c++)
			appendStringInfo(&expected, "%s\"%s\"", c ? ", " : "one of ", spec->choices[c]);
	else
		appendStringInfo(&expected, "%s from %g to %g",
						 spec->kind == PARAM_INT ? "an integer" : "a number", low, high);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value \"%s\" for hyperparameter \"%s\" of %s",
					value, spec->name, family->name),
			 errhint("Pass %s.", expected.data)));
}

/* Parse one JSON scalar (as text) into the configuration slot of spec. */
static double
ParseParamValue(const ModelFamily *family, const ParamSpec *spec,
				JsonbValue *value)
{
	char	   *text = value->type == jbvString
		? pnstrdup(value->val.string.val, value->val.string.len)
		: (value->type == jbvNumeric
		   ? DatumGetCString(DirectFunctionCall1(numeric_out,
												 NumericGetDatum(value->val.numeric)))
		   : "a non-scalar");
	double		low = spec->min_value != spec->max_value ? spec->min_value : spec->low;
	double		high = spec->min_value != spec->max_value ? spec->max_value : spec->high;
	double		number;

	if (spec->kind == PARAM_CHOICE)
	{
		for (int c = 0; value->type == jbvString && c < spec->n_choices; c++)
			if (strcmp(spec->choices[c], text) == 0)
				return c;
		RejectParamValue(family, spec, text);
	}
	if (value->type != jbvNumeric)
		RejectParamValue(family, spec, text);
	number = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												NumericGetDatum(value->val.numeric)));
	if (!(number >= low && number <= high) ||
		(spec->kind == PARAM_INT && number != floor(number)))
		RejectParamValue(family, spec, text);
	return number;
}

void
FamilyConfigFromJson(const ModelFamily *family, const char *json, double *config)
{
	Jsonb	   *jsonb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	value;
	JsonbIteratorToken token;

	FamilyDefaultConfig(family, config);
	if (!JB_ROOT_IS_OBJECT(jsonb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyperparameters must be a JSON object"),
				 errdetail("Received: %s.", json),
				 errhint("Pass for example '{\"%s\": ...}'.",
						 family->n_params ? family->params[0].name : "name")));

	it = JsonbIteratorInit(&jsonb->root);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		char	   *name;
		int			i;

		if (token != WJB_KEY)
			continue;
		name = pnstrdup(key.val.string.val, key.val.string.len);
		token = JsonbIteratorNext(&it, &value, true);
		for (i = 0; i < family->n_params; i++)
			if (strcmp(family->params[i].name, name) == 0)
				break;
		if (i == family->n_params)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown hyperparameter \"%s\" for %s", name, family->name),
					 errhint("%s takes: %s.", family->name,
							 FamilyConfigToJson(family, config))));
		config[i] = ParseParamValue(family, &family->params[i], &value);
	}
}
