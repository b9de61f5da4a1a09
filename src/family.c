/*
 * family.c
 *		Registry of model families and helpers for hyperparameter vectors.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "family.h"

/* The baseline comes first: it is always evaluated and every model must beat it. */
const ModelFamily *const automl_families[] = {
	&baseline_family,
	&linear_family,
	&logistic_family,
	&tree_family,
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
