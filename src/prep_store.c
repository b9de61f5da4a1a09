/*
 * prep_store.c
 *		Storing the preprocessing plan in the model binary, describing it as
 *		JSON, and reporting its decisions.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "prep.h"

static const char *const impute_names[] = {"median", "mean", "zero"};
static const char *const scale_names[] = {"standard", "minmax", "none"};

static void
SerializeColumn(const PrepColumn *pc, StringInfo buf)
{
	SerialPutString(buf, pc->name);
	SerialPutInt32(buf, (int32) pc->typid);
	SerialPutInt32(buf, (int32) pc->kind);
	SerialPutString(buf, pc->dropped ? pc->dropped : "");
	SerialPutInt32(buf, pc->indicator);
	SerialPutInt32(buf, (int32) pc->impute);
	SerialPutInt32(buf, (int32) pc->scale);
	SerialPutInt32(buf, pc->n_parts);
	SerialPutFloat64Array(buf, pc->fill, pc->n_parts);
	SerialPutFloat64Array(buf, pc->shift, pc->n_parts);
	SerialPutFloat64Array(buf, pc->divisor, pc->n_parts);
	SerialPutInt32(buf, pc->encode);
	SerialPutInt32(buf, pc->n_levels);
	for (int l = 0; l < pc->n_levels; l++)
		SerialPutString(buf, pc->levels[l]);
	SerialPutFloat64Array(buf, pc->frequency, pc->n_levels);
	SerialPutInt32(buf, pc->n_onehot);
	SerialPutInt32(buf, pc->other);
	SerialPutInt32(buf, pc->n_target);
	SerialPutFloat64Array(buf, pc->target_prior, pc->n_target);
	SerialPutFloat64Array(buf, pc->target_stats, (Size) pc->n_levels * pc->n_target);
}

void
PrepSerialize(const PrepPlan *plan, StringInfo buf)
{
	SerialPutInt32(buf, (int32) plan->task);
	SerialPutString(buf, plan->target);
	SerialPutInt32(buf, (int32) plan->target_typid);
	SerialPutInt32(buf, plan->n_classes);
	for (int c = 0; c < plan->n_classes; c++)
		SerialPutString(buf, plan->class_labels[c]);
	SerialPutInt32(buf, plan->n_columns);
	for (int i = 0; i < plan->n_columns; i++)
		SerializeColumn(&plan->columns[i], buf);
}

static void
DeserializeLevels(PrepColumn *pc, SerialReader *reader, int n_classes)
{
	pc->encode = SerialGetInt32InRange(reader, 0, ENCODE_ONEHOT | ENCODE_FREQUENCY | ENCODE_TARGET,
									   "encoding flags");
	pc->n_levels = SerialGetInt32InRange(reader, 0, MaxAllocSize / sizeof(double), "level count");
	SerialCheckRemaining(reader, pc->n_levels, sizeof(int32));
	pc->levels = palloc(sizeof(char *) * Max(pc->n_levels, 1));
	for (int l = 0; l < pc->n_levels; l++)
		pc->levels[l] = SerialGetString(reader);
	pc->frequency = SerialReadFloat64Array(reader, pc->n_levels);
	pc->n_onehot = SerialGetInt32InRange(reader, 0, pc->n_levels, "one-hot count");
	pc->other = SerialGetInt32InRange(reader, 0, 1, "other flag");
	pc->n_target = SerialGetInt32InRange(reader, 0, Max(n_classes, 1), "target-encoding count");
	pc->target_prior = SerialReadFloat64Array(reader, pc->n_target);
	pc->target_stats = SerialReadFloat64Array(reader, (Size) pc->n_levels * pc->n_target);
}

static void
DeserializeColumn(PrepColumn *pc, SerialReader *reader, int n_classes)
{
	pc->name = SerialGetString(reader);
	pc->typid = (Oid) SerialGetInt32(reader);
	pc->kind = (ColumnKind) SerialGetInt32InRange(reader, COLUMN_NUMERIC, COLUMN_TIMESTAMP,
												  "column kind");
	pc->dropped = SerialGetString(reader);
	if (pc->dropped[0] == '\0')
		pc->dropped = NULL;
	pc->indicator = SerialGetInt32InRange(reader, 0, 1, "indicator flag");
	pc->impute = (PrepImpute) SerialGetInt32InRange(reader, IMPUTE_MEDIAN, IMPUTE_ZERO,
													"imputation");
	pc->scale = (PrepScale) SerialGetInt32InRange(reader, SCALE_STANDARD, SCALE_NONE,
												  "scaling");
	pc->n_parts = SerialGetInt32InRange(reader, 0, PREP_MAX_PARTS, "value part count");
	SerialGetFloat64Array(reader, pc->fill, pc->n_parts);
	SerialGetFloat64Array(reader, pc->shift, pc->n_parts);
	SerialGetFloat64Array(reader, pc->divisor, pc->n_parts);
	DeserializeLevels(pc, reader, n_classes);
}

PrepPlan *
PrepDeserialize(SerialReader *reader)
{
	PrepPlan   *plan = palloc0(sizeof(PrepPlan));

	plan->task = (TaskKind) SerialGetInt32InRange(reader, TASK_CLASSIFICATION,
												  TASK_REGRESSION, "task kind");
	plan->target = SerialGetString(reader);
	plan->target_typid = (Oid) SerialGetInt32(reader);
	plan->n_classes = SerialGetInt32InRange(reader, 0, 1000000, "class count");
	SerialCheckRemaining(reader, plan->n_classes, sizeof(int32));
	plan->class_labels = palloc(sizeof(char *) * Max(plan->n_classes, 1));
	for (int c = 0; c < plan->n_classes; c++)
		plan->class_labels[c] = SerialGetString(reader);
	plan->n_columns = SerialGetInt32InRange(reader, 0, MaxHeapAttributeNumber,
											"column count");
	plan->columns = palloc0(sizeof(PrepColumn) * Max(plan->n_columns, 1));
	for (int i = 0; i < plan->n_columns; i++)
		DeserializeColumn(&plan->columns[i], reader, plan->n_classes);
	PrepFinishLoad(plan);
	return plan;
}

/* Encodings of a level column as a JSON array of names. */
static void
AppendEncodingJson(StringInfo buf, const PrepColumn *pc)
{
	bool		first = true;

	appendStringInfoString(buf, ", \"encoding\": [");
	if (pc->encode & ENCODE_ONEHOT)
	{
		appendStringInfo(buf, "\"one-hot\"");
		first = false;
	}
	if (pc->encode & ENCODE_FREQUENCY)
	{
		appendStringInfo(buf, "%s\"frequency\"", first ? "" : ", ");
		first = false;
	}
	if (pc->encode & ENCODE_TARGET)
		appendStringInfo(buf, "%s\"target\"", first ? "" : ", ");
	appendStringInfo(buf, "], \"levels\": %d, \"one_hot_levels\": [", pc->n_levels);
	for (int c = 0; c < pc->n_onehot; c++)
	{
		if (c > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, pc->levels[c]);
	}
	appendStringInfo(buf, "], \"other\": %s", pc->other ? "true" : "false");
}

/* Append ", \"key\": [v, ...]", with null for non-finite values. */
static void
AppendNumbers(StringInfo buf, const char *key, const double *values, int n)
{
	appendStringInfo(buf, ", \"%s\": [", key);
	for (int k = 0; k < n; k++)
	{
		if (k > 0)
			appendStringInfoString(buf, ", ");
		if (isfinite(values[k]))
			appendStringInfo(buf, "%.10g", values[k]);
		else
			appendStringInfoString(buf, "null");
	}
	appendStringInfoChar(buf, ']');
}

static void
AppendColumnJson(StringInfo buf, const PrepColumn *pc)
{
	escape_json(buf, pc->name);
	appendStringInfoString(buf, ": {\"type\": ");
	escape_json(buf, format_type_be(pc->typid));
	if (pc->dropped)
	{
		appendStringInfoString(buf, ", \"dropped\": ");
		escape_json(buf, pc->dropped);
		appendStringInfoChar(buf, '}');
		return;
	}
	if (pc->n_parts > 0)
	{
		appendStringInfo(buf, ", \"impute\": \"%s\", \"scale\": \"%s\"",
						 impute_names[pc->impute], scale_names[pc->scale]);
		AppendNumbers(buf, "fill", pc->fill, pc->n_parts);
		AppendNumbers(buf, "shift", pc->shift, pc->n_parts);
		AppendNumbers(buf, "divisor", pc->divisor, pc->n_parts);
	}
	if (KIND_HAS_LEVELS(pc->kind))
		AppendEncodingJson(buf, pc);
	appendStringInfo(buf, ", \"missing_indicator\": %s, \"features\": %d}",
					 pc->indicator ? "true" : "false", pc->n_features);
}

char *
PrepToJson(const PrepPlan *plan)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"features\": %d, \"columns\": {", plan->n_features);
	for (int i = 0; i < plan->n_columns; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		AppendColumnJson(&buf, &plan->columns[i]);
	}
	appendStringInfoString(&buf, "}}");
	return buf.data;
}

/* Append "name" to buf for a kept column that matches; returns whether it did. */
static bool
AppendIf(StringInfo buf, const PrepColumn *pc, bool matches)
{
	if (pc->dropped || !matches)
		return false;
	appendStringInfo(buf, "%s\"%s\"", buf->len ? ", " : "", pc->name);
	return true;
}

static void
NoticeList(StringInfo buf, const char *what)
{
	if (buf->len > 0)
		ereport(NOTICE, (errmsg("automl: %s: %s", what, buf->data)));
	resetStringInfo(buf);
}

void
PrepReport(const PrepPlan *plan)
{
	StringInfoData buf;

	for (int i = 0; i < plan->n_columns; i++)
		if (plan->columns[i].dropped)
			ereport(NOTICE,
					(errmsg("automl: dropped column \"%s\": %s",
							plan->columns[i].name, plan->columns[i].dropped)));

	initStringInfo(&buf);
	for (int i = 0; i < plan->n_columns; i++)
		AppendIf(&buf, &plan->columns[i], plan->columns[i].encode == ENCODE_ONEHOT);
	NoticeList(&buf, "one-hot encoded");
	for (int i = 0; i < plan->n_columns; i++)
		AppendIf(&buf, &plan->columns[i],
				 plan->columns[i].encode == (ENCODE_ONEHOT | ENCODE_FREQUENCY | ENCODE_TARGET));
	NoticeList(&buf, psprintf("many levels, top %d one-hot plus frequency and out-of-fold target encoding",
							  automl_max_onehot_levels));
	for (int i = 0; i < plan->n_columns; i++)
		AppendIf(&buf, &plan->columns[i], plan->columns[i].encode == ENCODE_FREQUENCY);
	NoticeList(&buf, "frequency encoded by options");
	for (int i = 0; i < plan->n_columns; i++)
		AppendIf(&buf, &plan->columns[i], plan->columns[i].encode == ENCODE_TARGET);
	NoticeList(&buf, "out-of-fold target encoded by options");
	for (int i = 0; i < plan->n_columns; i++)
		AppendIf(&buf, &plan->columns[i], plan->columns[i].kind == COLUMN_DATE ||
				 plan->columns[i].kind == COLUMN_TIMESTAMP);
	NoticeList(&buf, "split into date parts (UTC)");
	for (int i = 0; i < plan->n_columns; i++)
		AppendIf(&buf, &plan->columns[i], plan->columns[i].indicator);
	NoticeList(&buf, "missing values imputed, with indicators");
	ereport(NOTICE, (errmsg("automl: %d %s after preprocessing", plan->n_features,
							plan->n_features == 1 ? "feature" : "features")));
	pfree(buf.data);
}
