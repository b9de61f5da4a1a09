/*
 * prep.c
 *		Fitting and applying the preprocessing plan.
 *
 * Text and enum columns with at most automl.max_onehot_levels levels get
 * one-hot columns.  Columns with more levels get one-hot columns for the
 * most frequent automl.max_onehot_levels levels, an "other" column, a
 * frequency column and target encoding.  Target encoding is the m-estimate
 * (sum of targets + m * prior) / (count + m) with m = TARGET_SMOOTHING, and
 * it is computed out of fold for training rows.
 */
#include "postgres.h"

#include <math.h>

#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "prep.h"

#define TARGET_SMOOTHING 10.0

static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Number of value parts a column kind has. */
static int
PartCount(ColumnKind kind)
{
	switch (kind)
	{
		case COLUMN_NUMERIC:
		case COLUMN_BOOL:
		case COLUMN_ENUM:
			return 1;
		case COLUMN_DATE:
			return 4;
		case COLUMN_TIMESTAMP:
			return 5;
		case COLUMN_TEXT:
			return 0;
	}
	return 0;
}

/*
 * Split a raw value into its parts: the value itself, or for dates and
 * timestamps (seconds since 1970 UTC) year, month, day of week (0 = Sunday),
 * the hour for timestamps, and the epoch seconds.  NaN stays NaN.
 */
static void
ValueParts(ColumnKind kind, double value, double *parts)
{
	const double unix_offset = (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	struct pg_tm tm;
	fsec_t		fsec;
	int			n = PartCount(kind);
	int			k = 0;

	if (kind != COLUMN_DATE && kind != COLUMN_TIMESTAMP)
	{
		parts[0] = value;
		return;
	}
	if (isnan(value) ||
		timestamp2tm((Timestamp) ((value - unix_offset) * USECS_PER_SEC),
					 NULL, &tm, &fsec, NULL, NULL) != 0)
	{
		for (int i = 0; i < n; i++)
			parts[i] = NAN;
		return;
	}
	parts[k++] = tm.tm_year;
	parts[k++] = tm.tm_mon;
	parts[k++] = j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday));
	if (kind == COLUMN_TIMESTAMP)
		parts[k++] = tm.tm_hour;
	parts[k] = value;
}

/* Fit the imputed value and the scaling of one part from its present values. */
static void
FitPart(PrepColumn *pc, int part, double *present, int n_present, int n_rows)
{
	double		sum = 0.0;
	double		sumsq = 0.0;
	double		low;
	double		high;
	double		magnitude;
	double		mean;
	double		sd;
	double		fill;

	qsort(present, n_present, sizeof(double), CompareDoubles);
	if (pc->impute == IMPUTE_ZERO || n_present == 0)
		fill = 0.0;
	else if (pc->impute == IMPUTE_MEDIAN)
		fill = n_present % 2 ? present[n_present / 2]
			: (present[n_present / 2 - 1] + present[n_present / 2]) / 2.0;
	else
	{
		for (int i = 0; i < n_present; i++)
			sum += present[i] / n_present;
		fill = sum;
		sum = 0.0;
	}
	pc->fill[part] = fill;

	/*
	 * Moments after imputation, missing rows counting as the fill value.  The
	 * values are divided by the largest magnitude first, so squares of large
	 * values cannot overflow.
	 */
	low = n_present ? Min(present[0], fill) : fill;
	high = n_present ? Max(present[n_present - 1], fill) : fill;
	magnitude = Max(fabs(low), fabs(high));
	if (magnitude == 0.0 || !isfinite(magnitude))
		magnitude = 1.0;
	for (int i = 0; i < n_present; i++)
		sum += present[i] / magnitude;
	sum += fill / magnitude * (n_rows - n_present);
	mean = sum / n_rows;
	for (int i = 0; i < n_present; i++)
		sumsq += (present[i] / magnitude - mean) * (present[i] / magnitude - mean);
	sumsq += (fill / magnitude - mean) * (fill / magnitude - mean) * (n_rows - n_present);
	mean *= magnitude;
	sd = sqrt(sumsq / n_rows) * magnitude;

	pc->shift[part] = 0.0;
	pc->divisor[part] = 1.0;
	if (pc->scale == SCALE_STANDARD)
	{
		pc->shift[part] = mean;
		pc->divisor[part] = sd > 1e-12 * Max(fabs(mean), 1.0) ? sd : 1.0;
	}
	else if (pc->scale == SCALE_MINMAX)
	{
		pc->shift[part] = low;
		pc->divisor[part] = high > low ? high - low : 1.0;
	}
}

/* Fit every value part of a column. */
static void
FitValueParts(PrepColumn *pc, const LoadedColumn *column, int n_rows)
{
	double	   *present = AutomlAllocDoubles((Size) Max(n_rows, 1) * Max(pc->n_parts, 1),
											 "fitting a column");
	int			n_present = 0;
	double		parts[PREP_MAX_PARTS];

	for (int r = 0; r < n_rows; r++)
	{
		ValueParts(pc->kind, column->values[r], parts);
		if (isnan(parts[0]))
			continue;
		for (int k = 0; k < pc->n_parts; k++)
			present[(Size) k * n_rows + n_present] = parts[k];
		n_present++;
	}
	for (int k = 0; k < pc->n_parts; k++)
		FitPart(pc, k, present + (Size) k * n_rows, n_present, n_rows);
	pfree(present);
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

/* Sort key for the lookup index: level text in byte order. */
static int
CompareLevelIndexes(const void *a, const void *b, void *arg)
{
	char	  **levels = arg;

	return strcmp(levels[*(const int *) a], levels[*(const int *) b]);
}

static void
BuildLevelIndex(PrepColumn *pc)
{
	pc->sorted = palloc(sizeof(int) * Max(pc->n_levels, 1));
	for (int l = 0; l < pc->n_levels; l++)
		pc->sorted[l] = l;
	qsort_arg(pc->sorted, pc->n_levels, sizeof(int), CompareLevelIndexes, pc->levels);
}

/*
 * Order the training levels by frequency, map table codes to plan levels
 * (level_of_code), and record each level's share of the rows.
 */
static int *
FitLevels(PrepColumn *pc, const LoadedColumn *column, int n_rows)
{
	LevelCount *counts = palloc0(sizeof(LevelCount) * Max(column->n_levels, 1));
	int		   *level_of_code = palloc(sizeof(int) * Max(column->n_levels, 1));

	for (int c = 0; c < column->n_levels; c++)
	{
		counts[c].code = c;
		counts[c].level = column->levels[c];
	}
	for (int r = 0; r < n_rows; r++)
		if (column->codes[r] >= 0)
			counts[column->codes[r]].count++;
	qsort(counts, column->n_levels, sizeof(LevelCount), CompareLevelCounts);

	pc->n_levels = 0;
	pc->levels = palloc(sizeof(char *) * Max(column->n_levels, 1));
	pc->frequency = palloc(sizeof(double) * Max(column->n_levels, 1));
	for (int c = 0; c < column->n_levels; c++)
	{
		level_of_code[counts[c].code] = counts[c].count > 0 ? pc->n_levels : -1;
		if (counts[c].count == 0)
			continue;			/* left only by rows the reservoir replaced */
		pc->levels[pc->n_levels] = pstrdup(counts[c].level);
		pc->frequency[pc->n_levels++] = (double) counts[c].count / n_rows;
	}
	pfree(counts);
	BuildLevelIndex(pc);
	return level_of_code;
}

/* Choose the encodings of a level column from its level count and the options. */
static void
ChooseEncoding(PrepColumn *pc, const PrepColumnOptions *options, const PrepPlan *plan)
{
	bool		many = pc->n_levels > automl_max_onehot_levels;

	pc->encode = options->encode > 0 ? options->encode
		: (many ? ENCODE_ONEHOT | ENCODE_FREQUENCY | ENCODE_TARGET : ENCODE_ONEHOT);
	pc->n_onehot = (pc->encode & ENCODE_ONEHOT) ? Min(pc->n_levels, automl_max_onehot_levels) : 0;
	pc->other = (pc->encode & ENCODE_ONEHOT) && many;
	pc->n_target = 0;
	if (pc->encode & ENCODE_TARGET)
		pc->n_target = (plan->task == TASK_CLASSIFICATION && plan->n_classes > 2)
			? plan->n_classes : 1;
}

/* Target value or values of one row for target encoding. */
static void
TargetOutputs(const PrepPlan *plan, int n_target, double y, double *out)
{
	if (plan->task == TASK_REGRESSION)
		out[0] = y;
	else if (n_target == 1)
		out[0] = (y == 1.0) ? 1.0 : 0.0;
	else
		for (int k = 0; k < n_target; k++)
			out[k] = ((int) y == k) ? 1.0 : 0.0;
}

/*
 * Accumulate per-level target sums and counts over the rows of each fold:
 * sums[(fold * n_levels + level) * n_target + k] and counts[fold * n_levels
 * + level], with fold n_folds for rows outside every fold.
 */
static void
AccumulateTargets(const PrepPlan *plan, const PrepColumn *pc, const int *level_of_row,
				  const double *y, const int *fold_of_row, int n_rows, int n_folds,
				  double *sums, double *counts)
{
	double	   *outputs = palloc(sizeof(double) * pc->n_target);

	for (int r = 0; r < n_rows; r++)
	{
		int			fold = fold_of_row && fold_of_row[r] >= 0 ? fold_of_row[r] : n_folds;
		int			level = level_of_row[r];
		Size		cell = (Size) fold * pc->n_levels + level;

		if (level < 0)
			continue;
		TargetOutputs(plan, pc->n_target, y[r], outputs);
		counts[cell] += 1.0;
		for (int k = 0; k < pc->n_target; k++)
			sums[cell * pc->n_target + k] += outputs[k];
	}
	pfree(outputs);
}

/*
 * Smoothed statistics for every level from the rows of all folds except
 * "skip" (-1 skips none): (sum + m * prior) / (count + m).
 */
static void
SmoothTargets(const PrepColumn *pc, const double *sums, const double *counts,
			  int n_folds, int skip, double *stats)
{
	for (int l = 0; l < pc->n_levels; l++)
		for (int k = 0; k < pc->n_target; k++)
		{
			double		sum = 0.0;
			double		count = 0.0;

			for (int f = 0; f <= n_folds; f++)
			{
				if (f == skip)
					continue;
				count += counts[(Size) f * pc->n_levels + l];
				sum += sums[((Size) f * pc->n_levels + l) * pc->n_target + k];
			}
			stats[(Size) l * pc->n_target + k] =
				(sum + TARGET_SMOOTHING * pc->target_prior[k]) / (count + TARGET_SMOOTHING);
		}
}

/* Fit the full-data target statistics stored in the plan. */
static void
FitTargetEncoding(const PrepPlan *plan, PrepColumn *pc, const int *level_of_row,
				  const double *y, int n_rows)
{
	double	   *sums = palloc0(sizeof(double) * Max(pc->n_levels * pc->n_target, 1));
	double	   *counts = palloc0(sizeof(double) * Max(pc->n_levels, 1));
	double	   *outputs = palloc(sizeof(double) * pc->n_target);

	pc->target_prior = palloc0(sizeof(double) * pc->n_target);
	for (int r = 0; r < n_rows; r++)
	{
		TargetOutputs(plan, pc->n_target, y[r], outputs);
		for (int k = 0; k < pc->n_target; k++)
			pc->target_prior[k] += outputs[k] / n_rows;
	}
	AccumulateTargets(plan, pc, level_of_row, y, NULL, n_rows, 0, sums, counts);
	pc->target_stats = palloc(sizeof(double) * Max(pc->n_levels * pc->n_target, 1));
	SmoothTargets(pc, sums, counts, 0, -1, pc->target_stats);
	pfree(outputs);
	pfree(sums);
	pfree(counts);
}

/* Plan level of each row: its level index, -2 for NULL. */
static int *
LevelOfRow(const LoadedColumn *column, const int *level_of_code, int n_rows)
{
	int		   *level_of_row = palloc(sizeof(int) * Max(n_rows, 1));

	for (int r = 0; r < n_rows; r++)
		level_of_row[r] = column->codes[r] < 0 ? -2 : level_of_code[column->codes[r]];
	return level_of_row;
}

/* Fit the levels and encodings of a text or enum column. */
static void
FitLevelColumn(PrepPlan *plan, PrepColumn *pc, const LoadedColumn *column,
			   const double *y, int n_rows, const PrepColumnOptions *options)
{
	int		   *level_of_code = FitLevels(pc, column, n_rows);

	ChooseEncoding(pc, options, plan);
	if (pc->n_target > 0)
	{
		int		   *level_of_row = LevelOfRow(column, level_of_code, n_rows);

		FitTargetEncoding(plan, pc, level_of_row, y, n_rows);
		pfree(level_of_row);
	}
	pfree(level_of_code);
}

/* Assign design columns and their names once every column is fitted. */
static void
LayoutFeatures(PrepPlan *plan)
{
	static const char *const part_names[][PREP_MAX_PARTS] = {
		[COLUMN_DATE] = {"year", "month", "day of week", "epoch"},
		[COLUMN_TIMESTAMP] = {"year", "month", "day of week", "hour", "epoch"},
	};
	int			j = 0;

	for (int i = 0; i < plan->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];

		pc->first_feature = j;
		pc->n_features = pc->dropped ? 0
			: pc->n_parts + pc->n_onehot + (pc->other ? 1 : 0)
			+ ((pc->encode & ENCODE_FREQUENCY) ? 1 : 0) + pc->n_target
			+ (pc->indicator ? 1 : 0);
		j += pc->n_features;
	}
	plan->n_features = j;
	plan->feature_names = palloc(sizeof(char *) * Max(j, 1));
	plan->feature_source = palloc(sizeof(int) * Max(j, 1));
	for (int i = 0; i < plan->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];
		char	  **name = plan->feature_names + pc->first_feature;

		for (int k = 0; k < pc->n_features; k++)
			plan->feature_source[pc->first_feature + k] = i;
		if (pc->n_features == 0)
			continue;
		for (int k = 0; k < pc->n_parts; k++)
			*name++ = pc->n_parts == 1 ? pstrdup(pc->name)
				: psprintf("%s %s", pc->name, part_names[pc->kind][k]);
		for (int c = 0; c < pc->n_onehot; c++)
			*name++ = psprintf("%s=%s", pc->name, pc->levels[c]);
		if (pc->other)
			*name++ = psprintf("%s other", pc->name);
		if (pc->encode & ENCODE_FREQUENCY)
			*name++ = psprintf("%s frequency", pc->name);
		for (int k = 0; k < pc->n_target; k++)
			*name++ = pc->n_target == 1 ? psprintf("%s target", pc->name)
				: psprintf("%s target=%s", pc->name, plan->class_labels[k]);
		if (pc->indicator)
			*name = psprintf("%s is null", pc->name);
	}
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

PrepPlan *
PrepFitTarget(const LoadedTable *table, TaskKind task)
{
	PrepPlan   *plan = palloc0(sizeof(PrepPlan));
	int		   *order;

	plan->task = task;
	plan->target = pstrdup(table->target.name);
	plan->target_typid = table->target.typid;
	if (task != TASK_CLASSIFICATION)
		return plan;

	order = palloc(sizeof(int) * Max(table->target.n_levels, 1));
	for (int c = 0; c < table->target.n_levels; c++)
		order[c] = c;
	sort_table = table;
	qsort(order, table->target.n_levels, sizeof(int), CompareClassCodes);
	sort_table = NULL;

	plan->n_classes = table->target.n_levels;
	plan->class_labels = palloc(sizeof(char *) * plan->n_classes);
	for (int c = 0; c < plan->n_classes; c++)
		plan->class_labels[c] = pstrdup(table->target.levels[order[c]]);
	pfree(order);
	return plan;
}

double *
PrepTargetVector(const PrepPlan *plan, const LoadedTable *table)
{
	double	   *y = AutomlAllocDoubles(Max(table->n_rows, 1), "the target");
	int		   *class_of_code;

	if (plan->task == TASK_REGRESSION)
	{
		memcpy(y, table->target_values, sizeof(double) * table->n_rows);
		return y;
	}
	class_of_code = palloc(sizeof(int) * Max(table->target.n_levels, 1));
	for (int c = 0; c < table->target.n_levels; c++)
		for (int k = 0; k < plan->n_classes; k++)
			if (strcmp(table->target.levels[c], plan->class_labels[k]) == 0)
				class_of_code[c] = k;
	for (int r = 0; r < table->n_rows; r++)
		y[r] = class_of_code[table->target.codes[r]];
	pfree(class_of_code);
	return y;
}

void
PrepFitColumns(PrepPlan *plan, const LoadedTable *table, const double *y,
			   const PrepColumnOptions *options, pg_prng_state *prng)
{
	plan->n_columns = table->n_columns;
	plan->columns = palloc0(sizeof(PrepColumn) * Max(table->n_columns, 1));
	for (int i = 0; i < table->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];

		pc->name = pstrdup(table->columns[i].name);
		pc->typid = table->columns[i].typid;
		pc->kind = table->columns[i].kind;
		pc->impute = options[i].impute >= 0 ? options[i].impute : IMPUTE_MEDIAN;
		pc->scale = options[i].scale >= 0 ? options[i].scale : SCALE_STANDARD;
	}
	PrepDecideDrops(plan, table, y, options, prng);

	for (int i = 0; i < table->n_columns; i++)
	{
		const LoadedColumn *column = &table->columns[i];
		PrepColumn *pc = &plan->columns[i];

		CHECK_FOR_INTERRUPTS();
		if (pc->dropped)
			continue;
		pc->indicator = column->n_missing > 0;
		pc->n_parts = PartCount(pc->kind);
		if (pc->n_parts > 0)
			FitValueParts(pc, column, table->n_rows);
		if (KIND_HAS_LEVELS(pc->kind))
			FitLevelColumn(plan, pc, column, y, table->n_rows, &options[i]);
	}
	LayoutFeatures(plan);
}

/*
 * Write the features of one column for one row.  parts contains the raw value
 * parts (NaN when missing), level the plan level (-1 unseen, -2 NULL), and
 * target_stats the per-level target table to use.  stride separates
 * consecutive features in out.
 */
static void
EncodeColumn(const PrepColumn *pc, const double *parts, int level,
			 const double *target_stats, double *out, Size stride)
{
	bool		missing = KIND_HAS_LEVELS(pc->kind) ? level == -2 : isnan(parts[0]);
	Size		j = 0;

	for (int k = 0; k < pc->n_parts; k++, j++)
		out[j * stride] = ((isnan(parts[k]) ? pc->fill[k] : parts[k]) - pc->shift[k])
			/ pc->divisor[k];
	for (int c = 0; c < pc->n_onehot; c++, j++)
		out[j * stride] = (c == level) ? 1.0 : 0.0;
	if (pc->other)
		out[j++ * stride] = (level == -1 || level >= pc->n_onehot) ? 1.0 : 0.0;
	if (pc->encode & ENCODE_FREQUENCY)
		out[j++ * stride] = level >= 0 ? pc->frequency[level] : 0.0;
	for (int k = 0; k < pc->n_target; k++, j++)
		out[j * stride] = level >= 0 ? target_stats[(Size) level * pc->n_target + k]
			: pc->target_prior[k];
	if (pc->indicator)
		out[j * stride] = missing ? 1.0 : 0.0;
}

/* Plan level of a level string: its index, -1 when unseen, -2 for NULL. */
static int
LookupLevel(const PrepColumn *pc, const char *level)
{
	int			low = 0;
	int			high = pc->n_levels - 1;

	if (level == NULL)
		return -2;
	while (low <= high)
	{
		int			mid = (low + high) / 2;
		int			cmp = strcmp(level, pc->levels[pc->sorted[mid]]);

		if (cmp == 0)
			return pc->sorted[mid];
		if (cmp < 0)
			high = mid - 1;
		else
			low = mid + 1;
	}
	return -1;
}

/* Out-of-fold target tables: one per fold, then one from all rows. */
static double *
FoldTargetStats(const PrepPlan *plan, const PrepColumn *pc, const int *level_of_row,
				const double *y, const int *fold_of_row, int n_rows, int n_folds)
{
	Size		table_size = (Size) pc->n_levels * pc->n_target;
	double	   *sums = palloc0(sizeof(double) * Max(table_size * (n_folds + 1), 1));
	double	   *counts = palloc0(sizeof(double) * Max((Size) pc->n_levels * (n_folds + 1), 1));
	double	   *stats = palloc(sizeof(double) * Max(table_size * (n_folds + 1), 1));

	AccumulateTargets(plan, pc, level_of_row, y, fold_of_row, n_rows, n_folds, sums, counts);
	for (int f = 0; f <= n_folds; f++)
		SmoothTargets(pc, sums, counts, n_folds, f < n_folds ? f : -1, stats + table_size * f);
	pfree(sums);
	pfree(counts);
	return stats;
}

/* Encode one level column of the table into its design columns. */
static void
TransformLevelColumn(const PrepPlan *plan, const PrepColumn *pc, const LoadedColumn *column,
					 const double *y, const int *fold_of_row, int n_folds,
					 double *base, int n_rows)
{
	int		   *level_of_code = palloc(sizeof(int) * Max(column->n_levels, 1));
	int		   *level_of_row;
	double	   *stats = NULL;
	double		parts[PREP_MAX_PARTS];

	for (int c = 0; c < column->n_levels; c++)
		level_of_code[c] = LookupLevel(pc, column->levels[c]);
	level_of_row = LevelOfRow(column, level_of_code, n_rows);
	if (pc->n_target > 0)
		stats = FoldTargetStats(plan, pc, level_of_row, y, fold_of_row, n_rows, n_folds);

	for (int r = 0; r < n_rows; r++)
	{
		int			fold = fold_of_row && fold_of_row[r] >= 0 ? fold_of_row[r] : n_folds;

		if (pc->n_parts > 0)
			ValueParts(pc->kind, column->values[r], parts);
		EncodeColumn(pc, parts, level_of_row[r],
					 stats ? stats + (Size) fold * pc->n_levels * pc->n_target : NULL,
					 base + r, n_rows);
	}
	pfree(level_of_code);
	pfree(level_of_row);
	if (stats)
		pfree(stats);
}

double *
PrepTransformTable(const PrepPlan *plan, const LoadedTable *table, const double *y,
				   const int *fold_of_row, int n_folds)
{
	Size		n = table->n_rows;
	double	   *x = AutomlAllocDoubles(mul_size(n, Max(plan->n_features, 1)),
									   "the design matrix");
	double		parts[PREP_MAX_PARTS];

	for (int i = 0; i < plan->n_columns; i++)
	{
		const PrepColumn *pc = &plan->columns[i];
		const LoadedColumn *column = &table->columns[i];
		double	   *base = x + (Size) pc->first_feature * n;

		CHECK_FOR_INTERRUPTS();
		if (pc->n_features == 0)
			continue;
		if (KIND_HAS_LEVELS(pc->kind))
			TransformLevelColumn(plan, pc, column, y, fold_of_row, n_folds, base, n);
		else
			for (Size r = 0; r < n; r++)
			{
				ValueParts(pc->kind, column->values[r], parts);
				EncodeColumn(pc, parts, 0, NULL, base + r, n);
			}
	}
	return x;
}

void
PrepTransformRow(const PrepPlan *plan, const double *numbers,
				 char *const *strings, double *out)
{
	double		parts[PREP_MAX_PARTS];

	for (int i = 0; i < plan->n_columns; i++)
	{
		const PrepColumn *pc = &plan->columns[i];
		int			level = 0;

		if (pc->n_features == 0)
			continue;
		if (pc->n_parts > 0)
			ValueParts(pc->kind, numbers[i], parts);
		if (KIND_HAS_LEVELS(pc->kind))
			level = LookupLevel(pc, strings[i]);
		EncodeColumn(pc, parts, level, pc->target_stats, out + pc->first_feature, 1);
	}
}

/* Rebuild what the stored plan does not hold: lookup indexes and the layout. */
void
PrepFinishLoad(PrepPlan *plan)
{
	for (int i = 0; i < plan->n_columns; i++)
		BuildLevelIndex(&plan->columns[i]);
	LayoutFeatures(plan);
}
