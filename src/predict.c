/*
 * predict.c
 *		automl_predict and automl_predict_proba: serving from SQL.
 *
 * Each backend keeps the deployed model of every project it has served in a
 * cache in TopMemoryContext.  The first call of each statement reads the
 * id of the deployed model from the catalog (one indexed query) and reloads
 * the model when a deploy or rollback changed it.  The other rows of the
 * statement use the cache.  Row columns are matched to the model's columns
 * by name, so column order does not matter and extra columns are ignored.
 * A grouped model (groups.h) also reads its group column from the row and
 * predicts with that group's parameters, or with its fallback for a NULL
 * or unseen group.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "groups.h"
#include "model.h"

PG_FUNCTION_INFO_V1(automl_predict);
PG_FUNCTION_INFO_V1(automl_predict_proba);
PG_FUNCTION_INFO_V1(automl_predict_value);

typedef struct CachedModel
{
	char	   *project;
	int64		model_id;
	TimestampTz created;		/* model ids restart when the extension is recreated */
	TimestampTz validated_at;	/* statement start of the last catalog check */
	MemoryContext context;		/* holds model and mapping */
	AutomlModel *model;
	Oid			row_type;		/* row type the mapping was built for */
	int32		row_typmod;
	int		   *attnums;		/* per plan column: attribute number, 0 if dropped */
	int			group_attnum;	/* a grouped model's group column, else 0 */
	struct CachedModel *next;
} CachedModel;

static CachedModel *model_cache = NULL;

static CachedModel *
FindCachedModel(const char *project)
{
	for (CachedModel *entry = model_cache; entry; entry = entry->next)
		if (strcmp(entry->project, project) == 0)
			return entry;
	return NULL;
}

/* Load the deployed model of the entry's project into a fresh context. */
static void
ReloadModel(CachedModel *entry)
{
	MemoryContext context = AllocSetContextCreate(TopMemoryContext, "automl model",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old_context;
	DeployedModel *deployed = CatalogLoadDeployed(entry->project);
	AutomlModel *model;

	old_context = MemoryContextSwitchTo(context);
	model = ModelDeserialize(deployed->binary);
	MemoryContextSwitchTo(old_context);

	if (entry->context)
		MemoryContextDelete(entry->context);
	entry->context = context;
	entry->model = model;
	entry->model_id = deployed->model_id;
	entry->created = deployed->created;
	entry->row_type = InvalidOid;
	entry->attnums = NULL;
}

/* The cached model of a project, checked against the catalog once per statement. */
static CachedModel *
GetModel(const char *project)
{
	CachedModel *entry = FindCachedModel(project);
	TimestampTz statement_start = GetCurrentStatementStartTimestamp();
	bool		project_exists;
	int64		deployed_id;
	TimestampTz created;

	if (entry && entry->validated_at == statement_start)
		return entry;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	deployed_id = CatalogDeployedModelId(project, &project_exists, &created);
	if (entry == NULL || entry->model_id != deployed_id || entry->created != created ||
		!project_exists)
	{
		if (entry == NULL)
		{
			entry = MemoryContextAllocZero(TopMemoryContext, sizeof(CachedModel));
			entry->project = MemoryContextStrdup(TopMemoryContext, project);
			entry->next = model_cache;
			model_cache = entry;
		}
		entry->validated_at = 0;
		ReloadModel(entry);
	}
	SPI_finish();
	entry->validated_at = statement_start;
	return entry;
}

static void
RejectColumnType(const char *project, const PrepColumn *pc, Oid typid)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" has type %s, project \"%s\" was trained on %s",
					pc->name, format_type_be(typid), project, format_type_be(pc->typid)),
			 errhint("Cast the column to %s in the query.", format_type_be(pc->typid))));
}

/*
 * Kinds a column may switch between at prediction: numbers and bools, text
 * and enums, dates and timestamps.
 */
static int
KindGroup(ColumnKind kind)
{
	switch (kind)
	{
		case COLUMN_NUMERIC:
		case COLUMN_BOOL:
			return 0;
		case COLUMN_TEXT:
		case COLUMN_ENUM:
			return 1;
		case COLUMN_DATE:
		case COLUMN_TIMESTAMP:
			return 2;
	}
	return -1;
}

/*
 * The attribute number of plan column pc in the row type, or an error when
 * the row lacks it or has it with a type of another kind.
 */
static int
MapColumn(const CachedModel *entry, TupleDesc tupdesc, const PrepColumn *pc)
{
	int			attnum = 0;
	ColumnKind	kind;

	for (int a = 0; a < tupdesc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, a);

		if (!att->attisdropped && strcmp(NameStr(att->attname), pc->name) == 0)
			attnum = a + 1;
	}
	if (attnum == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" is missing from the row", pc->name),
				 errdetail("Project \"%s\" was trained with this column.", entry->project),
				 errhint("Pass a row that has the column, for example SELECT ..., NULL::%s AS \"%s\".",
						 format_type_be(pc->typid), pc->name)));
	if (!LoadColumnKind(TupleDescAttr(tupdesc, attnum - 1)->atttypid, &kind) ||
		KindGroup(kind) != KindGroup(pc->kind))
		RejectColumnType(entry->project, pc, TupleDescAttr(tupdesc, attnum - 1)->atttypid);
	return attnum;
}

/* Map the model's columns, and a grouped model's group column, by name. */
static void
BuildMapping(CachedModel *entry, TupleDesc tupdesc)
{
	const PrepPlan *plan = entry->model->plan;
	int		   *attnums = MemoryContextAllocZero(entry->context,
												 sizeof(int) * Max(plan->n_columns, 1));

	for (int i = 0; i < plan->n_columns; i++)
		if (!plan->columns[i].dropped)
			attnums[i] = MapColumn(entry, tupdesc, &plan->columns[i]);
	entry->group_attnum = 0;
	if (entry->model->family == &grouped_linear_family)
	{
		int			column = GroupedPlanColumn(entry->model->state, plan);

		entry->group_attnum = MapColumn(entry, tupdesc, &plan->columns[column]);
	}
	entry->attnums = attnums;
	entry->row_type = tupdesc->tdtypeid;
	entry->row_typmod = tupdesc->tdtypmod;
}

/* Read attribute attnum of the row: its number or string, NaN and NULL if missing. */
static void
ReadAttribute(HeapTuple tuple, TupleDesc tupdesc, int attnum, const char *name,
			  double *number, char **string)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, attnum, tupdesc, &isnull);
	Oid			typid = TupleDescAttr(tupdesc, attnum - 1)->atttypid;
	ColumnKind	kind;

	*number = NAN;
	*string = NULL;
	if (isnull)
		return;
	(void) LoadColumnKind(typid, &kind);
	LoadConvertDatum(value, typid, kind, name, number, string);
}

/*
 * The group of a grouped model's row, or -1 for a NULL or unseen value
 * (served by the fallback).
 */
static int
RowGroup(const CachedModel *entry, HeapTuple tuple, TupleDesc tupdesc)
{
	const GroupedModel *grouped = entry->model->state;
	const PrepColumn *pc = &entry->model->plan->columns[GroupedPlanColumn(grouped,
																		   entry->model->plan)];
	double		number;
	char	   *string;

	ReadAttribute(tuple, tupdesc, entry->group_attnum, pc->name, &number, &string);
	return GroupedFindGroup(grouped, GroupKey(pc->kind, number, string));
}

/* Run the model on one row; returns the prediction (width values). */
static double *
PredictRow(FunctionCallInfo fcinfo, CachedModel **entry_out)
{
	char	   *project = text_to_cstring(PG_GETARG_TEXT_PP(0));
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(1);
	CachedModel *entry = GetModel(project);
	const PrepPlan *plan = entry->model->plan;
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row),
												 HeapTupleHeaderGetTypMod(row));
	HeapTupleData tuple;
	double	   *numbers = palloc(sizeof(double) * Max(plan->n_columns, 1));
	char	  **strings = palloc0(sizeof(char *) * Max(plan->n_columns, 1));
	double	   *x = palloc0(sizeof(double) * Max(plan->n_features, 1));
	double	   *out = palloc(sizeof(double) * ModelOutputWidth(entry->model));
	int			group = -1;

	if (entry->attnums == NULL || entry->row_type != tupdesc->tdtypeid ||
		entry->row_typmod != tupdesc->tdtypmod)
		BuildMapping(entry, tupdesc);

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	tuple.t_data = row;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	for (int i = 0; i < plan->n_columns; i++)
	{
		numbers[i] = NAN;
		if (entry->attnums[i] != 0)
			ReadAttribute(&tuple, tupdesc, entry->attnums[i], plan->columns[i].name,
						  &numbers[i], &strings[i]);
	}
	if (entry->group_attnum != 0)
		group = RowGroup(entry, &tuple, tupdesc);
	ReleaseTupleDesc(tupdesc);

	PrepTransformRow(plan, numbers, strings, x);
	if (entry->model->family == &grouped_linear_family)
		GroupedPredictOne(entry->model->state, group, x, out);
	else
		entry->model->family->predict(entry->model->state, x, 1, plan->n_features, out);
	*entry_out = entry;
	return out;
}

Datum
automl_predict(PG_FUNCTION_ARGS)
{
	CachedModel *entry;
	double	   *out = PredictRow(fcinfo, &entry);
	const PrepPlan *plan = entry->model->plan;
	int			best = 0;

	if (plan->task == TASK_REGRESSION)
		PG_RETURN_TEXT_P(cstring_to_text(float8out_internal(out[0])));
	for (int c = 1; c < plan->n_classes; c++)
		if (out[c] > out[best])
			best = c;
	PG_RETURN_TEXT_P(cstring_to_text(plan->class_labels[best]));
}

Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	CachedModel *entry;
	double	   *out = PredictRow(fcinfo, &entry);
	const PrepPlan *plan = entry->model->plan;
	StringInfoData buf;

	if (plan->task != TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("project \"%s\" is a regression, it has no class probabilities",
						entry->project),
				 errhint("Use automl_predict_value or automl_predict for its predicted value.")));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int c = 0; c < plan->n_classes; c++)
	{
		if (c > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, plan->class_labels[c]);
		appendStringInfo(&buf, ": %.6f", out[c]);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

Datum
automl_predict_value(PG_FUNCTION_ARGS)
{
	CachedModel *entry;
	double	   *out = PredictRow(fcinfo, &entry);

	if (entry->model->plan->task != TASK_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("project \"%s\" is a classification, it has no predicted value",
						entry->project),
				 errhint("Use automl_predict for its label or automl_predict_proba for probabilities.")));
	PG_RETURN_FLOAT8(out[0]);
}
