/*
 * prep.c
 *		Fitting, applying and storing the preprocessing plan.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "prep.h"

static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Fit median, mean and scale of a numeric column; drop it when constant. */
static void
FitNumeric(PrepColumn *pc, const LoadedColumn *column, int n_rows)
{
	int			n_present = n_rows - column->n_missing;
	double	   *sorted = AutomlAllocDoubles(Max(n_present, 1), "sorting a column");
	double		sum = 0.0;
	double		sumsq = 0.0;
	int			k = 0;

	for (int i = 0; i < n_rows; i++)
		if (!isnan(column->values[i]))
			sorted[k++] = column->values[i];
	qsort(sorted, n_present, sizeof(double), CompareDoubles);
	pc->fill = n_present % 2 ? sorted[n_present / 2]
		: (sorted[n_present / 2 - 1] + sorted[n_present / 2]) / 2.0;
	if (sorted[0] == sorted[n_present - 1] && column->n_missing == 0)
		pc->dropped = "constant";

	for (int i = 0; i < n_rows; i++)
	{
		double		v = isnan(column->values[i]) ? pc->fill : column->values[i];

		sum += v;
		sumsq += v * v;
	}
	pc->mean = sum / n_rows;
	pc->scale = sqrt(Max(sumsq / n_rows - pc->mean * pc->mean, 0.0));
	if (pc->scale < 1e-12)
		pc->scale = 1.0;
	pfree(sorted);
}

typedef struct LevelCount
{
	int			code;
	int			count;
	const char *level;
} LevelCount;

/* Most frequent first; equal counts in byte order so the plan is deterministic. */
static int
CompareLevelCounts(const void *a, const void *b)
{
	const LevelCount *x = a;
	const LevelCount *y = b;

	if (x->count != y->count)
		return y->count - x->count;
	return strcmp(x->level, y->level);
}

/* Keep the most frequent levels of a text column as one-hot features. */
static void
FitText(PrepColumn *pc, const LoadedColumn *column, int n_rows)
{
	LevelCount *counts = palloc0(sizeof(LevelCount) * Max(column->n_levels, 1));
	int			n_present = 0;

	for (int c = 0; c < column->n_levels; c++)
	{
		counts[c].code = c;
		counts[c].level = column->levels[c];
	}
	for (int i = 0; i < n_rows; i++)
		if (column->codes[i] >= 0)
			counts[column->codes[i]].count++;
	qsort(counts, column->n_levels, sizeof(LevelCount), CompareLevelCounts);

	for (int c = 0; c < column->n_levels && counts[c].count > 0; c++)
		n_present++;
	if (n_present == 1 && column->n_missing == 0)
		pc->dropped = "constant";

	pc->n_levels = Min(n_present, automl_max_onehot_levels);
	pc->levels = palloc(sizeof(char *) * Max(pc->n_levels, 1));
	for (int c = 0; c < pc->n_levels; c++)
		pc->levels[c] = pstrdup(counts[c].level);
	pfree(counts);
}

/* Class labels in numeric order for numeric targets, byte order for text. */
static const LoadedTable *sort_table;

static int
CompareClassCodes(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;
	const char *lx = sort_table->target.levels[x];
	const char *ly = sort_table->target.levels[y];

	if (sort_table->target_values)
	{
		double		vx = strtod(lx, NULL);
		double		vy = strtod(ly, NULL);

		if (vx != vy)
			return (vx > vy) - (vx < vy);
	}
	return strcmp(lx, ly);
}

static void
FitClasses(PrepPlan *plan, const LoadedTable *table)
{
	int		   *order = palloc(sizeof(int) * table->target.n_levels);

	for (int c = 0; c < table->target.n_levels; c++)
		order[c] = c;
	sort_table = table;
	qsort(order, table->target.n_levels, sizeof(int), CompareClassCodes);
	sort_table = NULL;

	plan->n_classes = table->target.n_levels;
	plan->class_labels = palloc(sizeof(char *) * plan->n_classes);
	for (int c = 0; c < plan->n_classes; c++)
		plan->class_labels[c] = pstrdup(table->target.levels[order[c]]);
}

/* Assign design columns and their names once every column is fitted. */
static void
LayoutFeatures(PrepPlan *plan)
{
	int			j = 0;

	for (int i = 0; i < plan->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];

		pc->first_feature = j;
		pc->n_features = pc->dropped ? 0
			: (pc->kind == COLUMN_TEXT ? pc->n_levels : 1) + (pc->indicator ? 1 : 0);
		j += pc->n_features;
	}
	plan->n_features = j;
	plan->feature_names = palloc(sizeof(char *) * Max(j, 1));
	plan->feature_source = palloc(sizeof(int) * Max(j, 1));
	for (int i = 0; i < plan->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];
		int			f = pc->first_feature;

		for (int k = 0; k < pc->n_features; k++)
			plan->feature_source[f + k] = i;
		if (pc->n_features == 0)
			continue;
		if (pc->kind == COLUMN_TEXT)
			for (int c = 0; c < pc->n_levels; c++)
				plan->feature_names[f++] = psprintf("%s=%s", pc->name, pc->levels[c]);
		else
			plan->feature_names[f++] = pstrdup(pc->name);
		if (pc->indicator)
			plan->feature_names[f] = psprintf("%s is null", pc->name);
	}
}

PrepPlan *
PrepFit(const LoadedTable *table, TaskKind task)
{
	PrepPlan   *plan = palloc0(sizeof(PrepPlan));

	plan->task = task;
	plan->target = pstrdup(table->target.name);
	plan->target_typid = table->target.typid;
	plan->n_columns = table->n_columns;
	plan->columns = palloc0(sizeof(PrepColumn) * Max(table->n_columns, 1));

	for (int i = 0; i < table->n_columns; i++)
	{
		const LoadedColumn *column = &table->columns[i];
		PrepColumn *pc = &plan->columns[i];

		pc->name = pstrdup(column->name);
		pc->typid = column->typid;
		pc->kind = column->kind;
		pc->scale = 1.0;
		if (column->n_missing == table->n_rows)
			pc->dropped = "all values are NULL";
		else if (column->kind == COLUMN_TEXT)
			FitText(pc, column, table->n_rows);
		else
			FitNumeric(pc, column, table->n_rows);
		pc->indicator = !pc->dropped && column->n_missing > 0;
	}
	if (task == TASK_CLASSIFICATION)
		FitClasses(plan, table);
	LayoutFeatures(plan);
	return plan;
}

/* Write a number's features for one row; stride separates rows in out. */
static void
PrepEncodeNumber(const PrepColumn *pc, double value, double *out, Size stride)
{
	bool		missing = isnan(value);

	out[0] = ((missing ? pc->fill : value) - pc->mean) / pc->scale;
	if (pc->indicator)
		out[stride] = missing ? 1.0 : 0.0;
}

/*
 * Write a text level's features: slot is the one-hot index, -1 for a rare or
 * unseen level (the all-zero code) and -2 for NULL, which is imputed with the
 * mode (levels[0], the most frequent) and flagged by the missing indicator.
 */
static void
PrepEncodeLevel(const PrepColumn *pc, int slot, double *out, Size stride)
{
	int			hot = (slot == -2) ? 0 : slot;

	for (int c = 0; c < pc->n_levels; c++)
		out[c * stride] = (c == hot) ? 1.0 : 0.0;
	if (pc->indicator)
		out[pc->n_levels * stride] = (slot == -2) ? 1.0 : 0.0;
}

static int
LevelSlot(const PrepColumn *pc, const char *level)
{
	if (level == NULL)
		return -2;
	for (int c = 0; c < pc->n_levels; c++)
		if (strcmp(pc->levels[c], level) == 0)
			return c;
	return -1;
}

double *
PrepTransformTable(const PrepPlan *plan, const LoadedTable *table)
{
	Size		n = table->n_rows;
	double	   *x = AutomlAllocDoubles(mul_size(n, Max(plan->n_features, 1)),
									   "the design matrix");

	for (int i = 0; i < plan->n_columns; i++)
	{
		const PrepColumn *pc = &plan->columns[i];
		const LoadedColumn *column = &table->columns[i];
		double	   *base = x + (Size) pc->first_feature * n;

		if (pc->n_features == 0)
			continue;
		if (pc->kind == COLUMN_TEXT)
		{
			/* map table codes to plan slots once, then encode each row */
			int		   *slots = palloc(sizeof(int) * Max(column->n_levels, 1));

			for (int c = 0; c < column->n_levels; c++)
				slots[c] = LevelSlot(pc, column->levels[c]);
			for (Size r = 0; r < n; r++)
				PrepEncodeLevel(pc, column->codes[r] < 0 ? -2 : slots[column->codes[r]],
								base + r, n);
			pfree(slots);
		}
		else
			for (Size r = 0; r < n; r++)
				PrepEncodeNumber(pc, column->values[r], base + r, n);
		CHECK_FOR_INTERRUPTS();
	}
	return x;
}

void
PrepTransformRow(const PrepPlan *plan, const double *numbers,
				 char *const *strings, double *out)
{
	for (int i = 0; i < plan->n_columns; i++)
	{
		const PrepColumn *pc = &plan->columns[i];
		double	   *dest = out + pc->first_feature;

		if (pc->n_features == 0)
			continue;
		if (pc->kind == COLUMN_TEXT)
			PrepEncodeLevel(pc, LevelSlot(pc, strings[i]), dest, 1);
		else
			PrepEncodeNumber(pc, numbers[i], dest, 1);
	}
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
	{
		const PrepColumn *pc = &plan->columns[i];

		SerialPutString(buf, pc->name);
		SerialPutInt32(buf, (int32) pc->typid);
		SerialPutInt32(buf, (int32) pc->kind);
		SerialPutString(buf, pc->dropped ? pc->dropped : "");
		SerialPutInt32(buf, pc->indicator);
		SerialPutFloat64(buf, pc->fill);
		SerialPutFloat64(buf, pc->mean);
		SerialPutFloat64(buf, pc->scale);
		SerialPutInt32(buf, pc->n_levels);
		for (int c = 0; c < pc->n_levels; c++)
			SerialPutString(buf, pc->levels[c]);
	}
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
	plan->class_labels = palloc(sizeof(char *) * Max(plan->n_classes, 1));
	for (int c = 0; c < plan->n_classes; c++)
		plan->class_labels[c] = SerialGetString(reader);
	plan->n_columns = SerialGetInt32InRange(reader, 0, MaxHeapAttributeNumber,
											"column count");
	plan->columns = palloc0(sizeof(PrepColumn) * Max(plan->n_columns, 1));
	for (int i = 0; i < plan->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];

		pc->name = SerialGetString(reader);
		pc->typid = (Oid) SerialGetInt32(reader);
		pc->kind = (ColumnKind) SerialGetInt32InRange(reader, COLUMN_NUMERIC,
													  COLUMN_TEXT, "column kind");
		pc->dropped = SerialGetString(reader);
		if (pc->dropped[0] == '\0')
			pc->dropped = NULL;
		pc->indicator = SerialGetInt32InRange(reader, 0, 1, "indicator flag");
		pc->fill = SerialGetFloat64(reader);
		pc->mean = SerialGetFloat64(reader);
		pc->scale = SerialGetFloat64(reader);
		pc->n_levels = SerialGetInt32InRange(reader, 0, 1000000, "level count");
		pc->levels = palloc(sizeof(char *) * Max(pc->n_levels, 1));
		for (int c = 0; c < pc->n_levels; c++)
			pc->levels[c] = SerialGetString(reader);
	}
	LayoutFeatures(plan);
	return plan;
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
	}
	else if (pc->kind == COLUMN_TEXT)
	{
		appendStringInfoString(buf, ", \"encoding\": \"one-hot\", \"levels\": [");
		for (int c = 0; c < pc->n_levels; c++)
		{
			if (c > 0)
				appendStringInfoString(buf, ", ");
			escape_json(buf, pc->levels[c]);
		}
		appendStringInfoChar(buf, ']');
	}
	else
		appendStringInfo(buf, ", \"impute\": %.10g, \"mean\": %.10g, \"scale\": %.10g",
						 pc->fill, pc->mean, pc->scale);
	appendStringInfo(buf, ", \"missing_indicator\": %s}",
					 pc->indicator ? "true" : "false");
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

/* Append ", \"name\"" for each column that matches, returning the count. */
static int
ListColumns(const PrepPlan *plan, StringInfo buf, bool text, bool indicator)
{
	int			count = 0;

	for (int i = 0; i < plan->n_columns; i++)
	{
		const PrepColumn *pc = &plan->columns[i];

		if (pc->dropped || (indicator ? !pc->indicator : (pc->kind == COLUMN_TEXT) != text))
			continue;
		appendStringInfo(buf, "%s\"%s\"", count++ ? ", " : "", pc->name);
	}
	return count;
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
	if (ListColumns(plan, &buf, true, false) > 0)
		ereport(NOTICE, (errmsg("automl: one-hot encoded %s (at most %d levels each)",
								buf.data, automl_max_onehot_levels)));
	resetStringInfo(&buf);
	if (ListColumns(plan, &buf, false, true) > 0)
		ereport(NOTICE, (errmsg("automl: imputed missing values with indicators in %s",
								buf.data)));
	ereport(NOTICE, (errmsg("automl: %d features after preprocessing, numbers standardised",
							plan->n_features)));
	pfree(buf.data);
}

/* The training target: class index per row, or the value for regression. */
double *
PrepTargetVector(const PrepPlan *plan, const LoadedTable *table)
{
	double	   *y = AutomlAllocDoubles(Max(table->n_rows, 1), "the target");

	if (plan->task == TASK_REGRESSION)
	{
		memcpy(y, table->target_values, sizeof(double) * table->n_rows);
		return y;
	}
	else
	{
		int		   *class_of_code = palloc(sizeof(int) * Max(table->target.n_levels, 1));

		for (int c = 0; c < table->target.n_levels; c++)
			for (int k = 0; k < plan->n_classes; k++)
				if (strcmp(table->target.levels[c], plan->class_labels[k]) == 0)
					class_of_code[c] = k;
		for (int r = 0; r < table->n_rows; r++)
			y[r] = class_of_code[table->target.codes[r]];
		pfree(class_of_code);
	}
	return y;
}
