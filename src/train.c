/*
 * train.c
 *		automl_train: the SQL entry point that runs the training pipeline.
 *
 * Everything happens in the caller's transaction, so an error or a cancel
 * leaves the catalog and the deployed model exactly as they were.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "evaluate.h"
#include "family.h"
#include "metafeatures.h"
#include "model.h"
#include "prep.h"
#include "search.h"
#include "train.h"

static void
RejectEmpty(const char *value, const char *name, const char *expected)
{
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name),
				 errdetail("The %s argument is an empty string.", name),
				 errhint("Pass %s.", expected)));
}

/* Text elements of a text[] argument as a List of char *, NIL for NULL. */
static List *
TextArrayToList(FunctionCallInfo fcinfo, int argno, const char *name)
{
	ArrayType  *array;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *result = NIL;

	if (PG_ARGISNULL(argno))
		return NIL;
	array = PG_GETARG_ARRAYTYPE_P(argno);
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", name),
					 errdetail("Element %d is NULL.", i + 1),
					 errhint("Remove the NULL from %s.", name)));
		result = lappend(result, TextDatumGetCString(elems[i]));
	}
	return result;
}

static void
RequireArgument(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errdetail("The %s argument is NULL.", name),
				 errhint("Pass the %s to train on.", name)));
}

/* Validate hyperparameters => against the one algorithm it configures. */
static void
ParseFixedConfig(TrainRequest *request, const char *json)
{
	const ModelFamily *family;

	if (list_length(request->algorithms) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyperparameters needs exactly one algorithm"),
				 errdetail("algorithms names %d.", list_length(request->algorithms)),
				 errhint("Pass for example algorithms => ARRAY['tree'].")));
	family = FamilyByName(linitial(request->algorithms));
	if (family == NULL)
		return;					/* reported with the other algorithm names */
	FamilyConfigFromJson(family, json, request->fixed_config, false);
	request->fixed = true;
}

static void
RejectStartConfiguration(int index, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 index < 0 ? errmsg("start_configurations %s", problem)
			 : errmsg("start_configurations element %d %s", index + 1, problem),
			 errhint("Pass a JSON array of objects such as {\"algorithm\": \"tree\", \"hyperparameters\": {\"max_depth\": 4}}.")));
}

/* Read one {"algorithm": ..., "hyperparameters": {...}} element. */
static void
ParseStartElement(TrainRequest *request, JsonbValue *element, int index)
{
	JsonbValue	algorithm;
	JsonbValue	hyperparameters;
	const ModelFamily *family;
	char	   *name;
	char	   *json = "{}";

	if (element->type != jbvBinary || !JsonContainerIsObject(element->val.binary.data))
		RejectStartConfiguration(index, "is not a JSON object");
	if (!getKeyJsonValueFromContainer(element->val.binary.data, "algorithm", 9, &algorithm) ||
		algorithm.type != jbvString)
		RejectStartConfiguration(index, "has no \"algorithm\" string");
	name = pnstrdup(algorithm.val.string.val, algorithm.val.string.len);
	family = FamilyByName(name);
	if (family == NULL || family == &baseline_family)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\" in start_configurations element %d",
						name, index + 1),
				 errdetail("No model family is named \"%s\".", name),
				 errhint("Known algorithms are %s.", FamilyNameList())));
	if (getKeyJsonValueFromContainer(element->val.binary.data, "hyperparameters", 15,
									 &hyperparameters))
		json = JsonbToCString(NULL, hyperparameters.val.binary.data,
							  hyperparameters.val.binary.len);
	request->start_families[request->n_start] = family;
	FamilyConfigFromJson(family, json,
						 request->start_configs + (Size) request->n_start * AUTOML_MAX_PARAMS,
						 false);
	request->n_start++;
}

/* Validate start_configurations, a JSON array of algorithm configurations. */
static void
ParseStartConfigurations(TrainRequest *request, Jsonb *jsonb)
{
	JsonbIterator *it;
	JsonbValue	element;
	JsonbIteratorToken token;
	int			count;

	if (!JB_ROOT_IS_ARRAY(jsonb) || JB_ROOT_IS_SCALAR(jsonb))
		RejectStartConfiguration(-1, "is not a JSON array");
	count = JB_ROOT_COUNT(jsonb);
	request->start_families = palloc(sizeof(ModelFamily *) * Max(count, 1));
	request->start_configs = palloc0(sizeof(double) * Max(count, 1) * AUTOML_MAX_PARAMS);
	it = JsonbIteratorInit(&jsonb->root);
	while ((token = JsonbIteratorNext(&it, &element, true)) != WJB_DONE)
		if (token == WJB_ELEM)
			ParseStartElement(request, &element, request->n_start);
}

static void
ParseArguments(FunctionCallInfo fcinfo, TrainRequest *request)
{
	ListCell   *lc;

	RequireArgument(fcinfo, 0, "relation");
	RequireArgument(fcinfo, 1, "target");
	request->relation = text_to_cstring(PG_GETARG_TEXT_PP(0));
	request->target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	request->project = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	request->task = PG_ARGISNULL(3) ? "auto" : text_to_cstring(PG_GETARG_TEXT_PP(3));
	request->time_budget = PG_ARGISNULL(4) ? 60.0 : PG_GETARG_FLOAT8(4);
	request->metric = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	request->seed = PG_ARGISNULL(6) ? 42 : PG_GETARG_INT32(6);
	request->algorithms = TextArrayToList(fcinfo, 7, "algorithms");
	request->exclude = TextArrayToList(fcinfo, 8, "exclude");
	request->max_trials = PG_ARGISNULL(9) ? 50 : PG_GETARG_INT32(9);
	request->warm_start = PG_ARGISNULL(12) ? true : PG_GETARG_BOOL(12);
	if (!PG_ARGISNULL(13))
		ParseStartConfigurations(request, PG_GETARG_JSONB_P(13));
	request->options = PG_ARGISNULL(11) ? NULL
		: JsonbToCString(NULL, &PG_GETARG_JSONB_P(11)->root, VARSIZE(PG_GETARG_JSONB_P(11)));
	if (!PG_ARGISNULL(10))
		ParseFixedConfig(request, JsonbToCString(NULL, &PG_GETARG_JSONB_P(10)->root,
												 VARSIZE(PG_GETARG_JSONB_P(10))));

	RejectEmpty(request->relation, "relation", "the name of a table or view");
	if (request->project)
		RejectEmpty(request->project, "project", "a name, or omit it to use the relation's name");
	if (request->metric && !MetricKnown(request->metric))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown metric \"%s\"", request->metric),
				 errdetail("No metric is named \"%s\".", request->metric),
				 errhint("Metrics are %s, or omit metric for the task's default.",
						 MetricNameList())));
	if (!PG_ARGISNULL(7) && request->algorithms == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithms must name at least one algorithm"),
				 errhint("Omit algorithms to search all of them, or name some of: %s.",
						 FamilyNameList())));
	if (strcmp(request->task, "auto") != 0 &&
		strcmp(request->task, "classification") != 0 &&
		strcmp(request->task, "regression") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid task \"%s\"", request->task),
				 errdetail("The task argument is \"%s\".", request->task),
				 errhint("Use 'auto', 'classification' or 'regression'.")));
	if (!(request->time_budget > 0) || isinf(request->time_budget))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_budget must be a positive number of seconds"),
				 errdetail("time_budget is %g.", request->time_budget),
				 errhint("Pass for example time_budget => 60.")));
	foreach(lc, request->algorithms)
	{
		if (FamilyByName(lfirst(lc)) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown algorithm \"%s\"", (char *) lfirst(lc)),
					 errdetail("No model family is named \"%s\".", (char *) lfirst(lc)),
					 errhint("Known algorithms are %s.", FamilyNameList())));
	}
	if (request->max_trials < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_trials must be at least 1"),
				 errdetail("max_trials is %d.", request->max_trials),
				 errhint("Pass for example max_trials => 50.")));
}

PG_FUNCTION_INFO_V1(automl_train);

Datum
automl_train(PG_FUNCTION_ARGS)
{
	TrainRequest request = {0};
	TrainOutcome outcome = {0};
	MemoryContext caller_context = CurrentMemoryContext;
	MemoryContext train_context;
	TupleDesc	tupdesc;
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_train must return a record");
	ParseArguments(fcinfo, &request);
	request.relid = LoadResolveRelation(request.relation);
	if (request.project == NULL)
		request.project = get_rel_name(request.relid);

	train_context = AllocSetContextCreate(caller_context, "automl train",
										  ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(train_context);
	TrainRun(&request, &outcome);
	MemoryContextSwitchTo(caller_context);
	SPI_finish();

	tuple = TrainOutcomeTuple(&outcome, tupdesc);
	MemoryContextDelete(train_context);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
