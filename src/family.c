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
	&knn_family,
	&naive_bayes_family,
	&mlp_family,
	&metric_knn_family,
	&random_forest_family,
	&extra_trees_family,
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
	for (int i = 0; i < AUTOML_MAX_PARAMS; i++)
		config[i] = i < family->n_params ? family->params[i].default_value : 0.0;
}

bool
FamilyParamActive(const ModelFamily *family, const double *config, int p, TaskKind task)
{
	const char *condition = family->params[p].active_if;
	const char *equals;
	int			name_length;
	bool		negated;

	if (condition == NULL)
		return true;
	equals = strchr(condition, '=');
	if (equals == NULL || equals == condition)
		elog(ERROR, "invalid condition \"%s\" of %s", condition, family->name);
	negated = equals[-1] == '!';
	name_length = equals - condition - (negated ? 1 : 0);
	if (strncmp(condition, "task", name_length) == 0 && name_length == 4)
		return (strcmp(equals + 1, TaskKindName(task)) == 0) != negated;
	for (int i = 0; i < family->n_params; i++)
	{
		const ParamSpec *spec = &family->params[i];

		if (strlen(spec->name) != name_length ||
			strncmp(spec->name, condition, name_length) != 0)
			continue;
		if (spec->kind != PARAM_CHOICE)
			elog(ERROR, "condition \"%s\" of %s names a parameter that is not a choice",
				 condition, family->name);
		return (strcmp(spec->choices[(int) config[i]], equals + 1) == 0) != negated;
	}
	elog(ERROR, "condition \"%s\" of %s names no parameter", condition, family->name);
	return true;				/* keep compiler quiet */
}

double
FamilyParamFromUnit(const ParamSpec *spec, double u)
{
	double		value;

	if (spec->kind == PARAM_LOG_REAL)
		value = exp(log(spec->low) + u * (log(spec->high) - log(spec->low)));
	else
		value = spec->low + u * (spec->high - spec->low);
	return Min(Max(value, spec->low), spec->high);
}

double
FamilyParamToUnit(const ParamSpec *spec, double value)
{
	double		low = spec->low;
	double		high = spec->high;

	if (spec->kind == PARAM_LOG_REAL)
	{
		low = log(low);
		high = log(high);
		value = log(Max(value, 1e-300));
	}
	if (high <= low)
		return 0.5;
	return Min(Max((value - low) / (high - low), 0.0), 1.0);
}

double
FamilyParamAtUnit(const ParamSpec *spec, double u)
{
	double		value;

	u = Min(Max(u, 0.0), 1.0);
	if (spec->kind != PARAM_INT)
		return FamilyParamFromUnit(spec, u);
	value = spec->low + u * (spec->high - spec->low);
	return Min(Max(rint(value), spec->low), spec->high);
}

/*
 * Draw one value per dimension, uniformly (log-uniformly for
 * PARAM_LOG_REAL); inactive parameters keep their defaults.  Parameters are
 * drawn in order, so a condition may name an earlier parameter only.
 */
void
FamilySampleConfig(const ModelFamily *family, TaskKind task, pg_prng_state *prng,
				   double *config)
{
	FamilyDefaultConfig(family, config);
	for (int i = 0; i < family->n_params; i++)
	{
		const ParamSpec *spec = &family->params[i];
		double		u = pg_prng_double(prng);

		if (!FamilyParamActive(family, config, i, task))
			continue;
		switch (spec->kind)
		{
			case PARAM_INT:
				config[i] = floor(spec->low + u * (spec->high - spec->low + 1));
				config[i] = Min(config[i], spec->high);
				break;
			case PARAM_REAL:
			case PARAM_LOG_REAL:
				config[i] = FamilyParamFromUnit(spec, u);
				break;
			case PARAM_CHOICE:
				config[i] = Min(floor(u * spec->n_choices), spec->n_choices - 1);
				break;
		}
	}
}

/*
 * Render a configuration as a JSON object keyed by parameter name, leaving
 * out parameters that are inactive for it.  Parameters conditioned on the
 * task count as active unless task_known.
 */
static char *
ConfigToJson(const ModelFamily *family, const double *config, bool task_known, TaskKind task)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < family->n_params; i++)
	{
		const ParamSpec *spec = &family->params[i];
		const char *condition = spec->active_if;

		if (condition && (task_known || strncmp(condition, "task=", 5) != 0) &&
			!FamilyParamActive(family, config, i, task))
			continue;
		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, spec->name);
		appendStringInfoString(&buf, ": ");
		if (spec->kind == PARAM_CHOICE)
			escape_json(&buf, spec->choices[(int) config[i]]);
		else if (!isfinite(config[i]))
			appendStringInfoString(&buf, "null");
		else if (spec->kind == PARAM_INT)
			appendStringInfo(&buf, "%d", (int) config[i]);
		else
			appendStringInfo(&buf, "%.6g", config[i]);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

char *
FamilyConfigToJson(const ModelFamily *family, const double *config)
{
	return ConfigToJson(family, config, false, TASK_CLASSIFICATION);
}

char *
FamilyConfigToJsonForTask(const ModelFamily *family, const double *config, TaskKind task)
{
	return ConfigToJson(family, config, true, task);
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
				JsonbValue *value, bool lenient)
{
	char	   *text = value->type == jbvString
		? pnstrdup(value->val.string.val, value->val.string.len)
		: (value->type == jbvNumeric
		   ? psprintf("%g", DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															   NumericGetDatum(value->val.numeric))))
		   : (value->type == jbvNull ? "null"
			  : (value->type == jbvBool ? (value->val.boolean ? "true" : "false")
				 : "a JSON array or object")));
	double		low = spec->min_value != spec->max_value ? spec->min_value : spec->low;
	double		high = spec->min_value != spec->max_value ? spec->max_value : spec->high;
	double		number;

	if (spec->kind == PARAM_CHOICE)
	{
		/* A JSON true or false matches the choice "true" or "false". */
		for (int c = 0; value->type != jbvNumeric && c < spec->n_choices; c++)
			if (strcmp(spec->choices[c], text) == 0)
				return c;
		RejectParamValue(family, spec, text);
	}
	if (value->type != jbvNumeric)
		RejectParamValue(family, spec, text);
	number = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												NumericGetDatum(value->val.numeric)));
	if (lenient && !isnan(number))
		return spec->kind == PARAM_INT ? Min(Max(rint(number), low), high)
			: Min(Max(number, low), high);
	if (!(number >= low && number <= high) ||
		(spec->kind == PARAM_INT && number != floor(number)))
		RejectParamValue(family, spec, text);
	return number;
}

void
FamilyConfigFromJson(const ModelFamily *family, const char *json, double *config,
					 bool lenient)
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
		if (i == family->n_params && lenient)
			continue;
		if (i == family->n_params)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown hyperparameter \"%s\" for %s", name, family->name),
					 errdetail("%s has no hyperparameter \"%s\".", family->name, name),
					 errhint("%s takes: %s.", family->name,
							 FamilyConfigToJson(family, config))));
		config[i] = ParseParamValue(family, &family->params[i], &value, lenient);
	}
}

void
FamilyCheckTaskParams(const ModelFamily *family, const double *config, TaskKind task)
{
	for (int p = 0; p < family->n_params; p++)
	{
		const ParamSpec *spec = &family->params[p];

		if (spec->active_if == NULL || strncmp(spec->active_if, "task", 4) != 0 ||
			FamilyParamActive(family, config, p, task))
			continue;
		if (config[p] != spec->default_value)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("hyperparameter \"%s\" of %s does not apply to %s",
							spec->name, family->name, TaskKindName(task)),
					 strchr(spec->active_if, '!')
					 ? errdetail("%s uses \"%s\" for every task except %s.", family->name,
								 spec->name, strchr(spec->active_if, '=') + 1)
					 : errdetail("%s uses \"%s\" for %s only.", family->name, spec->name,
								 strchr(spec->active_if, '=') + 1),
					 errhint("Remove \"%s\" from hyperparameters.", spec->name)));
	}
}

double
FamilyTotalWeight(const TrainData *data)
{
	double		total = 0.0;

	for (int i = 0; i < data->n_rows; i++)
	{
		double		w = FamilyRowWeight(data, i);

		if (!isfinite(w) || w < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training row weight %g is invalid", w),
					 errdetail("Row %d of the training data has this weight.", i + 1),
					 errhint("Use finite, non-negative row weights.")));
		total += w;
	}
	if (!(total > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training data has no rows with positive weight"),
				 errdetail("The %d training rows have a total weight of %g.",
						   data->n_rows, total),
				 errhint("Train on at least one row with a positive weight.")));
	return total;
}

void
FamilyShuffle(int *rows, int n, pg_prng_state *prng)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) pg_prng_uint64_range(prng, 0, i);
		int			tmp = rows[i];

		rows[i] = rows[j];
		rows[j] = tmp;
	}
}
