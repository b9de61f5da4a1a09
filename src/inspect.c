/*
 * inspect.c
 *		automl_model_info: what a stored model contains, as JSON.
 *		automl_algorithms: the registered model families.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "family.h"
#include "model.h"

PG_FUNCTION_INFO_V1(automl_model_info);
PG_FUNCTION_INFO_V1(automl_algorithms);

static void
AppendStringArray(StringInfo buf, const char *key, char **values, int n)
{
	appendStringInfo(buf, ", \"%s\": [", key);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, values[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* Describe the model: algorithm, configuration, features, classes, state. */
static char *
DescribeModel(const AutomlModel *model)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"algorithm\": ");
	escape_json(&buf, model->family->name);
	appendStringInfo(&buf, ", \"hyperparameters\": %s, \"task\": \"%s\"",
					 FamilyConfigToJsonForTask(model->family, model->config,
											   model->plan->task),
					 TaskKindName(model->plan->task));
	AppendStringArray(&buf, "features", model->plan->feature_names, model->plan->n_features);
	if (model->plan->task == TASK_CLASSIFICATION)
		AppendStringArray(&buf, "classes", model->plan->class_labels, model->plan->n_classes);
	appendStringInfoString(&buf, ", \"model\": ");
	if (model->family->describe)
		model->family->describe(model->state, &buf);
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

Datum
automl_model_info(PG_FUNCTION_ARGS)
{
	int64		model_id = PG_GETARG_INT64(0);
	MemoryContext context = CurrentMemoryContext;
	char	   *json;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		bytea	   *binary = CatalogLoadModel(model_id);
		AutomlModel *model;

		MemoryContextSwitchTo(context);
		model = ModelDeserialize(binary);
		json = DescribeModel(model);
	}
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/* Append the row describing family to the result of automl_algorithms. */
static void
PutAlgorithmRow(ReturnSetInfo *rsinfo, const ModelFamily *family)
{
	double		config[AUTOML_MAX_PARAMS];
	Datum		values[5];
	bool		nulls[5] = {0};

	FamilyDefaultConfig(family, config);
	values[0] = CStringGetTextDatum(family->name);
	values[1] = BoolGetDatum(family->supports_classification);
	values[2] = BoolGetDatum(family->supports_regression);
	values[3] = DirectFunctionCall1(jsonb_in,
									CStringGetDatum(FamilyConfigToJson(family, config)));
	nulls[4] = family->description == NULL;
	if (!nulls[4])
		values[4] = CStringGetTextDatum(family->description);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Return every registered family in registry order, with the tasks it supports
 * and its default configuration, so clients need not hard-code family names.
 */
Datum
automl_algorithms(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < automl_n_families; i++)
		PutAlgorithmRow(rsinfo, automl_families[i]);
	return (Datum) 0;
}
