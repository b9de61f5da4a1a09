/*
 * metafeatures.c
 *		Simple and statistical meta-features of a task.
 *
 * Names follow the meta-learning literature (Brazdil et al., "Metalearning",
 * 2009; auto-sklearn 1.0): counts are also given in log scale, moments are
 * summarised over numeric columns, class statistics describe the target.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"

#include "metafeatures.h"

/* Sample skewness and excess kurtosis of the non-missing values. */
static void
Moments(const double *values, int n, double *skewness, double *kurtosis)
{
	double		mean = 0.0;
	double		m2 = 0.0;
	double		m3 = 0.0;
	double		m4 = 0.0;
	int			count = 0;

	for (int i = 0; i < n; i++)
		if (!isnan(values[i]))
		{
			mean += values[i];
			count++;
		}
	*skewness = 0.0;
	*kurtosis = 0.0;
	if (count < 2)
		return;
	mean /= count;
	for (int i = 0; i < n; i++)
		if (!isnan(values[i]))
		{
			double		d = values[i] - mean;

			m2 += d * d;
			m3 += d * d * d;
			m4 += d * d * d * d;
		}
	m2 /= count;
	m3 /= count;
	m4 /= count;
	if (m2 <= 1e-300)
		return;
	*skewness = m3 / pow(m2, 1.5);
	*kurtosis = m4 / (m2 * m2) - 3.0;
}

static void
AppendValue(StringInfo buf, const char *name, double value)
{
	appendStringInfo(buf, "%s\"%s\": ", buf->len > 1 ? ", " : "", name);
	if (isfinite(value))
		appendStringInfo(buf, "%.6g", value);
	else
		appendStringInfoString(buf, "null");
}

/* Meta-features of the feature columns: types, missing values, moments. */
static void
AppendColumnFeatures(StringInfo buf, const LoadedTable *table)
{
	int			n_numeric = 0;
	int			n_text = 0;
	int			columns_missing = 0;
	int64		cells_missing = 0;
	double		sum_abs_skew = 0.0;
	double		sum_abs_kurt = 0.0;
	double		sum_levels = 0.0;
	int			rows_missing = 0;

	for (int i = 0; i < table->n_columns; i++)
	{
		const LoadedColumn *column = &table->columns[i];

		cells_missing += column->n_missing;
		columns_missing += column->n_missing > 0;
		if (KIND_HAS_LEVELS(column->kind))
		{
			n_text++;
			sum_levels += column->n_levels;
		}
		else
		{
			double		skew;
			double		kurt;

			Moments(column->values, table->n_rows, &skew, &kurt);
			n_numeric++;
			sum_abs_skew += fabs(skew);
			sum_abs_kurt += fabs(kurt);
		}
	}
	for (int r = 0; r < table->n_rows; r++)
		for (int i = 0; i < table->n_columns; i++)
		{
			const LoadedColumn *column = &table->columns[i];

			if (KIND_HAS_LEVELS(column->kind) ? column->codes[r] < 0 : isnan(column->values[r]))
			{
				rows_missing++;
				break;
			}
		}

	AppendValue(buf, "n_numeric", n_numeric);
	AppendValue(buf, "n_categorical", n_text);
	AppendValue(buf, "numeric_share", table->n_columns ? (double) n_numeric / table->n_columns : 0);
	AppendValue(buf, "missing_share",
				table->n_columns ? (double) cells_missing / ((double) table->n_rows * table->n_columns) : 0);
	AppendValue(buf, "rows_with_missing_share", (double) rows_missing / table->n_rows);
	AppendValue(buf, "columns_with_missing_share",
				table->n_columns ? (double) columns_missing / table->n_columns : 0);
	AppendValue(buf, "mean_abs_skewness", n_numeric ? sum_abs_skew / n_numeric : 0);
	AppendValue(buf, "mean_abs_kurtosis", n_numeric ? sum_abs_kurt / n_numeric : 0);
	AppendValue(buf, "mean_category_levels", n_text ? sum_levels / n_text : 0);
}

/* Class count, entropy and balance, or the target's moments for regression. */
static void
AppendTargetFeatures(StringInfo buf, int n_rows, TaskKind task, int n_classes,
					 const double *y)
{
	if (task == TASK_CLASSIFICATION)
	{
		double	   *counts = palloc0(sizeof(double) * n_classes);
		double		entropy = 0.0;
		double		majority = 0.0;
		double		minority = (double) n_rows;

		for (int r = 0; r < n_rows; r++)
			counts[(int) y[r]] += 1.0;
		for (int c = 0; c < n_classes; c++)
		{
			double		p = counts[c] / n_rows;

			if (p > 0)
				entropy -= p * log2(p);
			majority = Max(majority, counts[c]);
			minority = Min(minority, counts[c]);
		}
		AppendValue(buf, "n_classes", n_classes);
		AppendValue(buf, "class_entropy", entropy);
		AppendValue(buf, "majority_class_share", majority / n_rows);
		AppendValue(buf, "minority_class_share", minority / n_rows);
		pfree(counts);
	}
	else
	{
		double		skew;
		double		kurt;

		Moments(y, n_rows, &skew, &kurt);
		AppendValue(buf, "n_classes", 0);
		AppendValue(buf, "target_skewness", skew);
		AppendValue(buf, "target_kurtosis", kurt);
	}
}

char *
MetaFeaturesToJson(const LoadedTable *table, TaskKind task, int n_classes,
				   const double *y)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	AppendValue(&buf, "n_rows", table->n_rows);
	AppendValue(&buf, "log_rows", log((double) table->n_rows));
	AppendValue(&buf, "n_columns", table->n_columns);
	AppendValue(&buf, "log_columns", log((double) Max(table->n_columns, 1)));
	AppendValue(&buf, "columns_per_row", (double) table->n_columns / table->n_rows);
	AppendColumnFeatures(&buf, table);
	AppendTargetFeatures(&buf, table->n_rows, task, n_classes, y);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}
