/*
 * metafeatures.c
 *		Meta-features of a task: the numbers that describe it to the
 *		meta-learner, stored in automl.tasks.meta_features.
 *
 * Four groups, as in the meta-learning literature (Brazdil et al.,
 * "Metalearning", 2009; Feurer et al., auto-sklearn 1.0, 2015):
 *	simple: counts, shares of types and missing values;
 *	statistical: skewness and kurtosis of the numeric columns (from the
 *		aggregate automl.moments over the whole relation, which runs in
 *		parallel workers), target moments, correlations with the target
 *		and between features, PCA spread (LAPACK on the correlation matrix);
 *	information-theoretic: class entropy, mutual information of each
 *		feature with the target, equivalent number of attributes, noise to
 *		signal ratio;
 *	landmarkers: balanced accuracy (classification) or R^2 (regression) of
 *		cheap learners by 2-fold cross-validation: 1-nearest neighbour, a
 *		decision stump, naive Bayes, and a linear model.
 * Everything but the simple group and the moments uses a seeded sample of
 * at most SAMPLE_ROWS rows of the design matrix and its first MAX_FEATURES
 * features.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "linalg.h"
#include "metafeatures.h"
#include "search.h"

#define SAMPLE_ROWS 2000
#define MAX_FEATURES 200
#define MI_BINS 10

static void
AppendValue(StringInfo buf, const char *name, double value)
{
	appendStringInfo(buf, "%s\"%s\": ", buf->len > 1 ? ", " : "", name);
	if (isfinite(value))
		appendStringInfo(buf, "%.6g", value);
	else
		appendStringInfoString(buf, "null");
}

/* Counts and shares of types, levels and missing values. */
static void
AppendSimple(StringInfo buf, const LoadedTable *table, const TrainData *data)
{
	int			n_numeric = 0;
	int			n_levels = 0;
	int			columns_missing = 0;
	int64		cells_missing = 0;
	double		sum_levels = 0.0;
	double		max_levels = 0.0;
	int			rows_missing = 0;
	int			n_columns = Max(table->n_columns, 1);

	for (int i = 0; i < table->n_columns; i++)
	{
		const LoadedColumn *column = &table->columns[i];

		cells_missing += column->n_missing;
		columns_missing += column->n_missing > 0;
		if (KIND_HAS_LEVELS(column->kind))
		{
			n_levels++;
			sum_levels += column->n_levels;
			max_levels = Max(max_levels, column->n_levels);
		}
		else
			n_numeric++;
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

	AppendValue(buf, "n_rows", table->n_rows);
	AppendValue(buf, "log_rows", log((double) table->n_rows));
	AppendValue(buf, "n_columns", table->n_columns);
	AppendValue(buf, "log_columns", log((double) n_columns));
	AppendValue(buf, "columns_per_row", (double) table->n_columns / table->n_rows);
	AppendValue(buf, "n_features", data->n_cols);
	AppendValue(buf, "n_numeric", n_numeric);
	AppendValue(buf, "n_categorical", n_levels);
	AppendValue(buf, "numeric_share", (double) n_numeric / n_columns);
	AppendValue(buf, "missing_share", (double) cells_missing / ((double) table->n_rows * n_columns));
	AppendValue(buf, "rows_with_missing_share", (double) rows_missing / table->n_rows);
	AppendValue(buf, "columns_with_missing_share", (double) columns_missing / n_columns);
	AppendValue(buf, "mean_category_levels", n_levels ? sum_levels / n_levels : 0);
	AppendValue(buf, "max_category_levels", max_levels);
}

/*
 * Skewness and kurtosis summaries of the numeric columns, from one scan of
 * the relation with automl.moments per column.
 */
static void
AppendMoments(StringInfo buf, const LoadedTable *table)
{
	StringInfoData query;
	MemoryContext context = CurrentMemoryContext;
	int			n = 0;
	double		skew_sum = 0.0, skew_sq = 0.0, skew_min = INFINITY, skew_max = -INFINITY;
	double		kurt_sum = 0.0, kurt_max = -INFINITY;

	initStringInfo(&query);
	appendStringInfoString(&query, "SELECT ");
	for (int i = 0; i < table->n_columns; i++)
		if (table->columns[i].kind == COLUMN_NUMERIC)
			appendStringInfo(&query, "%sautoml.moments(%s::float8)", n++ ? ", " : "",
							 quote_identifier(table->columns[i].name));
	appendStringInfo(&query, " FROM %s", table->relation);

	if (n > 0)
	{
		if (SPI_execute(query.data, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl moments query failed: %s", query.data);
		MemoryContextSwitchTo(context);
		for (int c = 1; c <= n; c++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, c, &isnull);
			Datum	   *elems;
			int			count;
			double		skew;
			double		kurt;

			if (isnull)
				continue;
			deconstruct_array(DatumGetArrayTypeP(d), FLOAT8OID, sizeof(double),
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, NULL, &count);
			skew = DatumGetFloat8(elems[3]);
			kurt = DatumGetFloat8(elems[4]);
			skew_sum += skew;
			skew_sq += skew * skew;
			skew_min = Min(skew_min, skew);
			skew_max = Max(skew_max, skew);
			kurt_sum += kurt;
			kurt_max = Max(kurt_max, kurt);
		}
	}
	AppendValue(buf, "skewness_mean", n ? skew_sum / n : 0);
	AppendValue(buf, "skewness_sd", n ? sqrt(Max(skew_sq / n - pow(skew_sum / n, 2), 0)) : 0);
	AppendValue(buf, "skewness_min", n ? skew_min : 0);
	AppendValue(buf, "skewness_max", n ? skew_max : 0);
	AppendValue(buf, "kurtosis_mean", n ? kurt_sum / n : 0);
	AppendValue(buf, "kurtosis_max", n ? kurt_max : 0);
}

/* Entropy in bits of a distribution given by counts summing to total. */
static double
Entropy(const double *counts, int n, double total)
{
	double		h = 0.0;

	for (int i = 0; i < n; i++)
		if (counts[i] > 0)
			h -= counts[i] / total * log2(counts[i] / total);
	return h;
}

/* A seeded sample of the design matrix: rows column-major, with targets. */
typedef struct Sample
{
	int			n;
	int			p;
	double	   *x;
	double	   *y;
	int		   *y_bin;			/* class, or target decile for regression */
	int			n_y_bins;
} Sample;

static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Quantile bin of each value: the number of cut points at or below it,
 * where the cuts are the distinct values at the 1/bins quantiles above the
 * minimum.  Returns the number of bins.
 */
static int
BinValues(const double *values, int n, int bins, int *out)
{
	double	   *sorted = palloc(sizeof(double) * Max(n, 1));
	double		cuts[MI_BINS];
	int			n_cuts = 0;

	memcpy(sorted, values, sizeof(double) * n);
	qsort(sorted, n, sizeof(double), CompareDoubles);
	for (int b = 1; b < bins && n > 0; b++)
	{
		double		cut = sorted[(int) ((double) b * n / bins)];

		if (cut > sorted[0] && (n_cuts == 0 || cut > cuts[n_cuts - 1]))
			cuts[n_cuts++] = cut;
	}
	for (int i = 0; i < n; i++)
	{
		int			b = 0;

		while (b < n_cuts && values[i] >= cuts[b])
			b++;
		out[i] = b;
	}
	pfree(sorted);
	return n_cuts + 1;
}

static Sample *
DrawSample(const TrainData *data, uint64 seed)
{
	Sample	   *s = palloc0(sizeof(Sample));
	pg_prng_state prng;

	pg_prng_seed(&prng, seed);
	s->n = Min(data->n_rows, SAMPLE_ROWS);
	s->p = Min(data->n_cols, MAX_FEATURES);
	s->x = AutomlAllocDoubles((Size) s->n * Max(s->p, 1), "meta-features");
	s->y = palloc(sizeof(double) * s->n);
	s->y_bin = palloc(sizeof(int) * s->n);
	for (int i = 0; i < s->n; i++)
	{
		int			r = data->n_rows > s->n
			? (int) pg_prng_uint64_range(&prng, 0, data->n_rows - 1) : i;

		for (int j = 0; j < s->p; j++)
			s->x[(Size) j * s->n + i] = data->x[(Size) j * data->n_rows + r];
		s->y[i] = data->y[r];
	}
	if (data->task == TASK_CLASSIFICATION)
	{
		for (int i = 0; i < s->n; i++)
			s->y_bin[i] = (int) s->y[i];
		s->n_y_bins = data->n_classes;
	}
	else
		s->n_y_bins = BinValues(s->y, s->n, MI_BINS, s->y_bin);
	return s;
}

/* Pearson correlation of column j with v. */
static double
Correlation(const Sample *s, int j, const double *v)
{
	const double *x = s->x + (Size) j * s->n;
	double		mx = 0, mv = 0, sxx = 0, svv = 0, sxv = 0;

	for (int i = 0; i < s->n; i++)
	{
		mx += x[i] / s->n;
		mv += v[i] / s->n;
	}
	for (int i = 0; i < s->n; i++)
	{
		sxx += (x[i] - mx) * (x[i] - mx);
		svv += (v[i] - mv) * (v[i] - mv);
		sxv += (x[i] - mx) * (v[i] - mv);
	}
	return (sxx > 0 && svv > 0) ? sxv / sqrt(sxx * svv) : 0.0;
}

/* Correlations with the target and between features, and the PCA spread. */
static void
AppendCorrelations(StringInfo buf, const Sample *s, const TrainData *data)
{
	double	   *z = AutomlAllocDoubles((Size) s->n * Max(s->p, 1), "meta-features");
	double	   *corr = AutomlAllocDoubles((Size) Max(s->p, 1) * Max(s->p, 1), "meta-features");
	double	   *eigen = palloc(sizeof(double) * Max(s->p, 1));
	bool		target_numeric = data->task == TASK_REGRESSION || data->n_classes == 2;
	double		sum_target = 0, max_target = 0, sum_pairs = 0, total = 0, cumulative = 0;
	int			components = 0;

	/* standardised columns, so Z'Z / n is the correlation matrix */
	for (int j = 0; j < s->p; j++)
	{
		const double *x = s->x + (Size) j * s->n;
		double		mean = 0, sd = 0;

		for (int i = 0; i < s->n; i++)
			mean += x[i] / s->n;
		for (int i = 0; i < s->n; i++)
			sd += (x[i] - mean) * (x[i] - mean) / s->n;
		sd = sqrt(sd);
		for (int i = 0; i < s->n; i++)
			z[(Size) j * s->n + i] = sd > 0 ? (x[i] - mean) / sd : 0.0;
		if (target_numeric)
		{
			double		c = fabs(Correlation(s, j, s->y));

			sum_target += c;
			max_target = Max(max_target, c);
		}
	}
	if (s->p > 0)
		LinalgGemm(true, false, s->p, s->p, s->n, 1.0 / s->n, z, s->n, z, s->n, 0.0, corr, s->p);
	for (int a = 0; a < s->p; a++)
		for (int b = a + 1; b < s->p; b++)
			sum_pairs += fabs(corr[(Size) b * s->p + a]);

	AppendValue(buf, "target_correlation_mean", target_numeric && s->p ? sum_target / s->p : NAN);
	AppendValue(buf, "target_correlation_max", target_numeric && s->p ? max_target : NAN);
	AppendValue(buf, "feature_correlation_mean",
				s->p > 1 ? sum_pairs / (s->p * (s->p - 1) / 2.0) : 0);

	/* PCA on the correlation matrix: eigenvalues in ascending order */
	if (s->p > 0 && LinalgSymmetricEigen(s->p, corr, eigen))
	{
		for (int k = 0; k < s->p; k++)
			total += Max(eigen[k], 0.0);
		for (int k = s->p - 1; k >= 0 && cumulative < 0.95 * total; k--)
		{
			cumulative += Max(eigen[k], 0.0);
			components++;
		}
	}
	AppendValue(buf, "pca_components_95", components);
	AppendValue(buf, "pca_components_95_share", s->p ? (double) components / s->p : 0);
	AppendValue(buf, "pca_first_share", total > 0 ? Max(eigen[s->p - 1], 0.0) / total : 0);
	pfree(z);
	pfree(corr);
	pfree(eigen);
}

/* Class or target-bin entropy, mutual information and derived ratios. */
static void
AppendInformation(StringInfo buf, const Sample *s, const TrainData *data)
{
	double	   *y_counts = palloc0(sizeof(double) * Max(s->n_y_bins, 1));
	double	   *joint = palloc(sizeof(double) * MI_BINS * Max(s->n_y_bins, 1));
	double		x_counts[MI_BINS];
	int		   *bins = palloc(sizeof(int) * s->n);
	double		h_y;
	double		mi_sum = 0, mi_max = 0, hx_sum = 0;

	for (int i = 0; i < s->n; i++)
		y_counts[s->y_bin[i]] += 1;
	h_y = Entropy(y_counts, s->n_y_bins, s->n);
	for (int j = 0; j < s->p; j++)
	{
		int			nb = BinValues(s->x + (Size) j * s->n, s->n, MI_BINS, bins);
		double		h_x;
		double		h_xy;

		memset(joint, 0, sizeof(double) * MI_BINS * s->n_y_bins);
		memset(x_counts, 0, sizeof(x_counts));
		for (int i = 0; i < s->n; i++)
		{
			joint[bins[i] * s->n_y_bins + s->y_bin[i]] += 1;
			x_counts[bins[i]] += 1;
		}
		h_x = Entropy(x_counts, nb, s->n);
		h_xy = Entropy(joint, nb * s->n_y_bins, s->n);
		hx_sum += h_x;
		mi_sum += Max(h_x + h_y - h_xy, 0.0);
		mi_max = Max(mi_max, h_x + h_y - h_xy);
	}
	if (data->task == TASK_CLASSIFICATION)
	{
		double		largest = 0, smallest = s->n;

		for (int k = 0; k < s->n_y_bins; k++)
		{
			largest = Max(largest, y_counts[k]);
			smallest = Min(smallest, y_counts[k]);
		}
		AppendValue(buf, "n_classes", data->n_classes);
		AppendValue(buf, "class_entropy", h_y);
		AppendValue(buf, "majority_class_share", largest / s->n);
		AppendValue(buf, "minority_class_share", smallest / s->n);
	}
	else
	{
		AppendValue(buf, "n_classes", 0);
		AppendValue(buf, "target_bin_entropy", h_y);
	}
	AppendValue(buf, "mutual_information_mean", s->p ? mi_sum / s->p : 0);
	AppendValue(buf, "mutual_information_max", mi_max);
	AppendValue(buf, "attribute_entropy_mean", s->p ? hx_sum / s->p : 0);
	AppendValue(buf, "equivalent_attributes", mi_sum > 0 ? h_y / (mi_sum / s->p) : NAN);
	AppendValue(buf, "noise_signal_ratio", mi_sum > 0 ? (hx_sum - mi_sum) / mi_sum : NAN);
	pfree(y_counts);
	pfree(joint);
	pfree(bins);
}

/* Skewness and excess kurtosis of the target, for regression. */
static void
AppendTargetMoments(StringInfo buf, const TrainData *data)
{
	double		mean = 0, m2 = 0, m3 = 0, m4 = 0;
	int			n = data->n_rows;

	if (data->task != TASK_REGRESSION)
		return;
	for (int r = 0; r < n; r++)
		mean += data->y[r] / n;
	for (int r = 0; r < n; r++)
	{
		double		d = data->y[r] - mean;

		m2 += d * d / n;
		m3 += d * d * d / n;
		m4 += d * d * d * d / n;
	}
	AppendValue(buf, "target_skewness", m2 > 0 ? m3 / pow(m2, 1.5) : 0);
	AppendValue(buf, "target_kurtosis", m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0);
}

/* One landmarker: a family with a fixed configuration by 2-fold CV. */
static double
Landmark(const char *name, const char *json, const Sample *s, const TrainData *data,
		 const Resampling *folds, uint64 seed)
{
	const ModelFamily *family = FamilyByName(name);
	TrainData	sample = *data;
	double		config[AUTOML_MAX_PARAMS] = {0};

	if (family == NULL || s->p == 0 || !FamilyServesTask(family, data->task))
		return NAN;
	FamilyConfigFromJson(family, json, config, true);
	sample.x = s->x;
	sample.y = s->y;
	sample.n_rows = s->n;
	sample.n_cols = s->p;
	sample.weights = NULL;
	return SearchEvaluateSafely(family, config, &sample, folds,
								data->task == TASK_CLASSIFICATION
								? METRIC_BALANCED_ACCURACY : METRIC_R2, seed);
}

static void
AppendLandmarkers(StringInfo buf, const Sample *s, const TrainData *data, uint64 seed)
{
	Resampling	folds = {.n_folds = 2, .n_repeats = 1};
	bool		classify = data->task == TASK_CLASSIFICATION;
	pg_prng_state prng;

	pg_prng_seed(&prng, seed ^ 0x6c616e64);
	folds.fold_of_row = palloc(sizeof(int) * s->n);
	folds.rank = palloc0(sizeof(double) * s->n);
	for (int i = 0; i < s->n; i++)
		folds.fold_of_row[i] = (int) pg_prng_uint64_range(&prng, 0, 1);

	AppendValue(buf, "landmark_1nn", Landmark("knn", "{\"n_neighbors\": 1}", s, data, &folds, seed));
	AppendValue(buf, "landmark_stump",
				Landmark("tree", "{\"max_depth\": 1, \"min_samples_leaf\": 1}", s, data, &folds, seed));
	AppendValue(buf, "landmark_naive_bayes",
				Landmark("naive_bayes", "{}", s, data, &folds, seed));
	AppendValue(buf, "landmark_linear",
				Landmark(classify ? "logistic" : "linear", "{}", s, data, &folds, seed));
}

char *
MetaFeaturesToJson(const LoadedTable *table, const TrainData *data, uint64 seed)
{
	StringInfoData buf;
	Sample	   *sample = DrawSample(data, seed);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	AppendSimple(&buf, table, data);
	AppendMoments(&buf, table);
	AppendTargetMoments(&buf, data);
	AppendCorrelations(&buf, sample, data);
	AppendInformation(&buf, sample, data);
	AppendLandmarkers(&buf, sample, data, seed);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}
