/*
 * family_bayes.c
 *		Naive Bayes classification: Gaussian, or mixed Bernoulli and Gaussian.
 *
 * Model: the features are independent given the class, so for a row x
 *		log P(c | x) = log pi_c + sum_j log p(x_j | c) - log Z(x)
 * where pi_c is the weighted share of class c and Z(x) normalises the
 * posterior; it is computed with log-sum-exp (the largest term subtracted
 * before exponentiating), so no probability underflows to 0/0.
 *
 * Gaussian columns: p(x_j | c) = N(x_j; mu_cj, s2_cj + eps), where mu_cj
 * and s2_cj are the weighted mean and (biased) variance of column j in
 * class c, and the variance floor eps = var_smoothing * max_j Var(x_j) is a
 * fraction of the largest weighted variance of any column over all rows
 * (var_smoothing itself when every column is constant).
 *
 * Variant "mixed": a column whose training values take exactly two distinct
 * values lo < hi (binary, one-hot and two-level ordinal columns after
 * standardisation) is Bernoulli instead: with b = [x_j > (lo + hi) / 2],
 *		p(x_j | c) = theta_cj^b (1 - theta_cj)^(1 - b),
 *		theta_cj = (weight of class c rows with x_j = hi + alpha) /
 *				   (weight of class c + 2 alpha),
 * the Laplace (additive) smoothing estimate.  The other columns stay
 * Gaussian.
 *
 * The estimates are closed-form weighted moments and counts (Hastie,
 * Tibshirani and Friedman, "The Elements of Statistical Learning", 2nd ed.,
 * section 6.6.3, describes the naive Bayes model), so there is no iteration
 * and no stopping rule.  A class with no weight in the training rows gets
 * prior 0 and probability 0.
 *
 * Importance of column j, with m_j = sum_c pi_c mu_cj:
 *		sqrt( sum_c pi_c (mu_cj - m_j)^2 / sum_c pi_c (s2_cj + eps) ),
 * the weighted spread of the class means in units of the pooled
 * within-class standard deviation, normalised to sum 1.  Bernoulli columns
 * use the same class moments of their (standardised) values.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "family.h"

/* Index of each hyperparameter in the config vector. */
#define BAYES_PARAM_VAR_SMOOTHING	0
#define BAYES_PARAM_VARIANT			1
#define BAYES_PARAM_ALPHA			2

#define BAYES_VARIANT_GAUSSIAN		0
#define BAYES_VARIANT_MIXED			1

/* Bounds used to validate a deserialised model. */
#define BAYES_MAX_CLASSES			100000
#define BAYES_MAX_COLUMNS			10000000

/* Number of features whose class means describe shows. */
#define BAYES_DESCRIBE_FEATURES		5

static const char *const bayes_variant_choices[] = {"gaussian", "mixed"};

static const ParamSpec bayes_params[] = {
	{"var_smoothing", PARAM_LOG_REAL, 1e-12, 1e-2, 1e-9, NULL, 0},
	{"variant", PARAM_CHOICE, 0, 1, BAYES_VARIANT_GAUSSIAN,
	bayes_variant_choices, lengthof(bayes_variant_choices)},
	{"alpha", PARAM_LOG_REAL, 1e-3, 10, 1.0, NULL, 0},
};

/*
 * Per-class arrays are row-major n_classes x n_cols: the value of class c
 * and column j is at [c * n_cols + j].
 */
typedef struct BayesModel
{
	int			n_classes;
	int			n_cols;
	int			variant;		/* BAYES_VARIANT_* */
	double		epsilon;		/* variance floor, included in var */
	double	   *prior;			/* n_classes weighted class shares */
	double	   *mean;			/* class means of every column */
	double	   *var;			/* class variances plus epsilon */
	int32	   *bernoulli;		/* n_cols flags: 1 for a Bernoulli column */
	double	   *low;			/* n_cols: lower of the two values, or 0 */
	double	   *high;			/* n_cols: higher of the two values, or 0 */
	double	   *theta;			/* P(x_j = high | c), 0 for Gaussian columns */
} BayesModel;


/* Index of class c and column j in the per-class arrays. */
static inline Size
BayesCell(const BayesModel *model, int c, int j)
{
	return (Size) c * model->n_cols + j;
}


/* Training */

static inline double
BayesRowWeight(const TrainData *data, int row)
{
	return data->weights ? data->weights[row] : 1.0;
}

/* Raise an error unless a hyperparameter is finite and positive. */
static void
BayesCheckPositive(const char *name, double value)
{
	if (!isfinite(value) || value <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyperparameter \"%s\" must be positive, got %g",
						name, value),
				 errhint("Set \"%s\" to a finite value greater than zero.", name)));
}

/*
 * Raise an error unless the task fits, labels are in range and the weights
 * are finite and non-negative with a positive sum.  Returns the labels.
 */
static int *
BayesCheckTrainData(const TrainData *data)
{
	int		   *labels = palloc(sizeof(int) * Max(data->n_rows, 1));

	if (data->task != TASK_CLASSIFICATION || data->n_classes < 1 ||
		data->n_classes > BAYES_MAX_CLASSES)
		elog(ERROR, "naive_bayes: cannot fit a %s task with %d classes",
			 TaskKindName(data->task), data->n_classes);
	for (int i = 0; i < data->n_rows; i++)
	{
		double		y = data->y[i];

		if (!(y >= 0.0 && y < data->n_classes) || y != floor(y))
			elog(ERROR, "naive_bayes: class label %g of row %d is outside 0..%d",
				 y, i + 1, data->n_classes - 1);
		labels[i] = (int) y;
	}
	(void) FamilyTotalWeight(data);
	return labels;
}

static BayesModel *
BayesAllocModel(int n_classes, int n_cols)
{
	BayesModel *model = palloc0(sizeof(BayesModel));
	Size		cells = mul_size(n_classes, Max(n_cols, 1));

	model->n_classes = n_classes;
	model->n_cols = n_cols;
	model->prior = AutomlAllocDoubles(n_classes, "naive Bayes priors");
	model->mean = AutomlAllocDoubles(cells, "naive Bayes means");
	model->var = AutomlAllocDoubles(cells, "naive Bayes variances");
	model->theta = AutomlAllocDoubles(cells, "naive Bayes Bernoulli parameters");
	model->low = AutomlAllocDoubles(Max(n_cols, 1), "naive Bayes column values");
	model->high = AutomlAllocDoubles(Max(n_cols, 1), "naive Bayes column values");
	model->bernoulli = palloc0(sizeof(int32) * Max(n_cols, 1));
	return model;
}

/* Write the weight of each class to class_weight and the priors to the model. */
static void
BayesPriors(BayesModel *model, const TrainData *data, const int *labels,
			double *class_weight)
{
	double		total = 0.0;

	for (int i = 0; i < data->n_rows; i++)
		class_weight[labels[i]] += BayesRowWeight(data, i);
	for (int c = 0; c < model->n_classes; c++)
		total += class_weight[c];
	for (int c = 0; c < model->n_classes; c++)
		model->prior[c] = class_weight[c] / total;
}

/*
 * Set the class means and biased variances of column j (two passes, so the
 * variance needs no subtraction of large squares) and return the weighted
 * variance of the column over all rows.  Classes without weight keep mean
 * 0 and variance 0.
 */
static double
BayesColumnMoments(BayesModel *model, const TrainData *data, const int *labels,
				   const double *class_weight, int j)
{
	const double *column = data->x + (Size) j * data->n_rows;
	double		total = 0.0;
	double		mean = 0.0;
	double		spread = 0.0;

	for (int i = 0; i < data->n_rows; i++)
		model->mean[BayesCell(model, labels[i], j)] += BayesRowWeight(data, i) * column[i];
	for (int c = 0; c < model->n_classes; c++)
	{
		total += class_weight[c];
		mean += model->mean[BayesCell(model, c, j)];
		if (class_weight[c] > 0.0)
			model->mean[BayesCell(model, c, j)] /= class_weight[c];
	}
	mean /= total;
	for (int i = 0; i < data->n_rows; i++)
	{
		double		w = BayesRowWeight(data, i);
		double		d = column[i] - model->mean[BayesCell(model, labels[i], j)];

		model->var[BayesCell(model, labels[i], j)] += w * d * d;
		spread += w * (column[i] - mean) * (column[i] - mean);
	}
	for (int c = 0; c < model->n_classes; c++)
		if (class_weight[c] > 0.0)
			model->var[BayesCell(model, c, j)] /= class_weight[c];
	return spread / total;
}

/*
 * If column j takes exactly two distinct values in the training rows, mark
 * it Bernoulli, record the values and set its smoothed class parameters
 * theta_cj = (weight of class c at the high value + alpha) /
 * (class weight + 2 alpha).
 */
static void
BayesBernoulliColumn(BayesModel *model, const TrainData *data, const int *labels,
					 const double *class_weight, double alpha, int j)
{
	const double *column = data->x + (Size) j * data->n_rows;
	double		first = column[0];
	double		second = first;
	double		high;

	for (int i = 1; i < data->n_rows; i++)
	{
		if (column[i] == first || column[i] == second)
			continue;
		if (second != first)
			return;				/* a third value */
		second = column[i];
	}
	if (second == first)
		return;
	high = Max(first, second);
	model->bernoulli[j] = 1;
	model->low[j] = Min(first, second);
	model->high[j] = high;
	for (int i = 0; i < data->n_rows; i++)
		if (column[i] == high)
			model->theta[BayesCell(model, labels[i], j)] += BayesRowWeight(data, i);
	for (int c = 0; c < model->n_classes; c++)
		model->theta[BayesCell(model, c, j)] = (model->theta[BayesCell(model, c, j)] + alpha) /
			(class_weight[c] + 2.0 * alpha);
}

/*
 * Fit naive Bayes (see the file header).  Input: data (classification) and
 * config (var_smoothing, variant, alpha).  Output: a BayesModel.  One pass
 * per column for each moment, so control->deadline is not consulted.
 */
static void *
BayesFit(const TrainData *data, const double *config, const FitControl *control)
{
	double		var_smoothing = config[BAYES_PARAM_VAR_SMOOTHING];
	double		alpha = config[BAYES_PARAM_ALPHA];
	int			variant = (int) config[BAYES_PARAM_VARIANT];
	int		   *labels = BayesCheckTrainData(data);
	BayesModel *model = BayesAllocModel(data->n_classes, data->n_cols);
	double	   *class_weight = palloc0(sizeof(double) * data->n_classes);
	double		max_var = 0.0;
	Size		cells = (Size) data->n_classes * data->n_cols;

	BayesCheckPositive("var_smoothing", var_smoothing);
	BayesCheckPositive("alpha", alpha);
	if (variant != BAYES_VARIANT_GAUSSIAN && variant != BAYES_VARIANT_MIXED)
		elog(ERROR, "naive_bayes: variant choice %d is out of range", variant);
	model->variant = variant;
	BayesPriors(model, data, labels, class_weight);

	for (int j = 0; j < data->n_cols; j++)
	{
		double		column_var;

		CHECK_FOR_INTERRUPTS();
		/* Max() evaluates its arguments twice, so compute the moments first. */
		column_var = BayesColumnMoments(model, data, labels, class_weight, j);
		max_var = Max(max_var, column_var);
		if (variant == BAYES_VARIANT_MIXED)
			BayesBernoulliColumn(model, data, labels, class_weight, alpha, j);
	}
	model->epsilon = var_smoothing * (max_var > 0.0 ? max_var : 1.0);
	for (Size cell = 0; cell < cells; cell++)
		model->var[cell] += model->epsilon;

	pfree(labels);
	pfree(class_weight);
	return model;
}


/* Prediction */

/* Add log p(x_j | c) of every row and class to scores (row-major n_rows x K). */
static void
BayesAddColumn(const BayesModel *model, const double *column, int n_rows,
			   int j, double *scores)
{
	int			k = model->n_classes;
	double		middle = 0.5 * (model->low[j] + model->high[j]);

	for (int c = 0; c < k; c++)
	{
		double		mean = model->mean[BayesCell(model, c, j)];
		double		var = model->var[BayesCell(model, c, j)];
		double		log_norm = -0.5 * log(2.0 * M_PI * var);
		double		log_on = log(model->theta[BayesCell(model, c, j)]);
		double		log_off = log1p(-model->theta[BayesCell(model, c, j)]);

		for (int i = 0; i < n_rows; i++)
		{
			double		d = column[i] - mean;

			if (model->bernoulli[j])
				scores[(Size) i * k + c] += column[i] > middle ? log_on : log_off;
			else
				scores[(Size) i * k + c] += log_norm - d * d / (2.0 * var);
		}
	}
}

/*
 * Turn one row of log joint scores into probabilities by log-sum-exp over
 * the classes with a positive prior.  The others get probability 0.  When
 * no score is finite (a value so far out that its square overflows), the
 * priors are returned.
 */
static void
BayesNormaliseRow(const BayesModel *model, double *scores)
{
	double		max_score = -INFINITY;
	double		sum = 0.0;

	for (int c = 0; c < model->n_classes; c++)
		if (model->prior[c] > 0.0)
			max_score = Max(max_score, scores[c]);
	if (!isfinite(max_score))
	{
		memcpy(scores, model->prior, sizeof(double) * model->n_classes);
		return;
	}
	for (int c = 0; c < model->n_classes; c++)
	{
		scores[c] = model->prior[c] > 0.0 ? exp(scores[c] - max_score) : 0.0;
		sum += scores[c];
	}
	for (int c = 0; c < model->n_classes; c++)
		scores[c] /= sum;
}

static void
BayesPredict(const void *opaque, const double *x, int n_rows, int n_cols,
			 double *out)
{
	const BayesModel *model = opaque;
	int			k = model->n_classes;

	if (n_cols != model->n_cols)
		elog(ERROR, "naive_bayes: model expects %d columns, got %d",
			 model->n_cols, n_cols);
	for (int i = 0; i < n_rows; i++)
		for (int c = 0; c < k; c++)
			out[(Size) i * k + c] = model->prior[c] > 0.0 ? log(model->prior[c]) : 0.0;
	for (int j = 0; j < n_cols; j++)
	{
		CHECK_FOR_INTERRUPTS();
		BayesAddColumn(model, x + (Size) j * n_rows, n_rows, j, out);
	}
	for (int i = 0; i < n_rows; i++)
		BayesNormaliseRow(model, out + (Size) i * k);
}


/* Storage */

/*
 * Format: class count, column count and variant as int32, then epsilon and
 * the priors, class means and class variances (epsilon included) as
 * float64.  Then come the Bernoulli flags of the columns as int32, and the
 * low values, high values and class thetas as float64.
 */
static void
BayesSerialize(const void *opaque, StringInfo buf)
{
	const BayesModel *model = opaque;
	Size		cells = (Size) model->n_classes * model->n_cols;

	SerialPutInt32(buf, model->n_classes);
	SerialPutInt32(buf, model->n_cols);
	SerialPutInt32(buf, model->variant);
	SerialPutFloat64(buf, model->epsilon);
	SerialPutFloat64Array(buf, model->prior, model->n_classes);
	SerialPutFloat64Array(buf, model->mean, cells);
	SerialPutFloat64Array(buf, model->var, cells);
	for (int j = 0; j < model->n_cols; j++)
		SerialPutInt32(buf, model->bernoulli[j]);
	SerialPutFloat64Array(buf, model->low, model->n_cols);
	SerialPutFloat64Array(buf, model->high, model->n_cols);
	SerialPutFloat64Array(buf, model->theta, cells);
}

static void
BayesCorrupted(const char *what, double value)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("automl model binary is corrupted"),
			 errdetail("The naive Bayes model has %s %g.", what, value),
			 errhint("Retrain the project with automl_train.")));
}

/* Raise an error unless count more doubles remain in the model. */
static void
BayesCheckRemaining(const SerialReader *reader, Size count)
{
	Size		remaining = reader->length - reader->offset;

	if (count > remaining / sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is truncated"),
				 errdetail("%zu more values do not fit in the %zu bytes left at offset %zu.",
						   count, remaining, reader->offset),
				 errhint("Retrain the project with automl_train.")));
}

static void
BayesReadArray(SerialReader *reader, double *values, Size count)
{
	BayesCheckRemaining(reader, count);
	SerialGetFloat64Array(reader, values, count);
}

/* Check priors, variances and Bernoulli parameters of a read model. */
static void
BayesValidate(const BayesModel *model)
{
	int			p = model->n_cols;
	double		prior_sum = 0.0;

	if (!(isfinite(model->epsilon) && model->epsilon > 0.0))
		BayesCorrupted("variance floor", model->epsilon);
	for (int c = 0; c < model->n_classes; c++)
	{
		if (!(model->prior[c] >= 0.0 && model->prior[c] <= 1.0))
			BayesCorrupted("class prior", model->prior[c]);
		prior_sum += model->prior[c];
		for (int j = 0; j < p; j++)
		{
			double		theta = model->theta[BayesCell(model, c, j)];

			if (!isfinite(model->mean[BayesCell(model, c, j)]))
				BayesCorrupted("class mean", model->mean[BayesCell(model, c, j)]);
			if (!(isfinite(model->var[BayesCell(model, c, j)]) && model->var[BayesCell(model, c, j)] > 0.0))
				BayesCorrupted("class variance", model->var[BayesCell(model, c, j)]);
			if (model->bernoulli[j] && !(theta > 0.0 && theta < 1.0))
				BayesCorrupted("Bernoulli parameter", theta);
		}
	}
	if (!(fabs(prior_sum - 1.0) < 1e-6))
		BayesCorrupted("sum of class priors", prior_sum);
}

static void *
BayesDeserialize(SerialReader *reader)
{
	int			n_classes = SerialGetInt32InRange(reader, 1, BAYES_MAX_CLASSES,
												  "class count");
	int			n_cols = SerialGetInt32InRange(reader, 0, BAYES_MAX_COLUMNS,
											   "column count");
	Size		cells = (Size) n_classes * n_cols;
	BayesModel *model;

	/* Check the length first, so a corrupted count cannot allocate much. */
	BayesCheckRemaining(reader, 3 * cells + 2 * (Size) n_cols);
	model = BayesAllocModel(n_classes, n_cols);
	model->variant = SerialGetInt32InRange(reader, BAYES_VARIANT_GAUSSIAN,
										   BAYES_VARIANT_MIXED, "naive Bayes variant");
	model->epsilon = SerialGetFloat64(reader);
	BayesReadArray(reader, model->prior, n_classes);
	BayesReadArray(reader, model->mean, cells);
	BayesReadArray(reader, model->var, cells);
	for (int j = 0; j < n_cols; j++)
		model->bernoulli[j] = SerialGetInt32InRange(reader, 0,
													model->variant == BAYES_VARIANT_MIXED,
													"Bernoulli flag");
	BayesReadArray(reader, model->low, n_cols);
	BayesReadArray(reader, model->high, n_cols);
	BayesReadArray(reader, model->theta, cells);
	BayesValidate(model);
	return model;
}


/* Inspection */

/* The spread of the class means over the pooled standard deviation, normalised. */
static void
BayesImportance(const void *opaque, int n_cols, double *out)
{
	const BayesModel *model = opaque;
	int			p = model->n_cols;
	double		total = 0.0;

	if (n_cols != p)
		elog(ERROR, "naive_bayes: model has %d columns, importance requested for %d",
			 p, n_cols);
	for (int j = 0; j < p; j++)
	{
		double		mean = 0.0;
		double		between = 0.0;
		double		within = 0.0;

		for (int c = 0; c < model->n_classes; c++)
			mean += model->prior[c] * model->mean[BayesCell(model, c, j)];
		for (int c = 0; c < model->n_classes; c++)
		{
			double		d = model->mean[BayesCell(model, c, j)] - mean;

			between += model->prior[c] * d * d;
			within += model->prior[c] * model->var[BayesCell(model, c, j)];
		}
		out[j] = sqrt(between / within);
		total += out[j];
	}
	for (int j = 0; j < p; j++)
		out[j] = total > 0.0 ? out[j] / total : 0.0;
}

/* Append a JSON array of count doubles. */
static void
BayesAppendArray(StringInfo buf, const double *values, int count)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < count; i++)
		appendStringInfo(buf, "%s%.6g", i ? ", " : "", values[i]);
	appendStringInfoChar(buf, ']');
}

/*
 * Variant, variance floor, Bernoulli column count, class priors and the
 * class means of the first BAYES_DESCRIBE_FEATURES features (standardised
 * units), one array per class.
 */
static void
BayesDescribe(const void *opaque, StringInfo buf)
{
	const BayesModel *model = opaque;
	int			shown = Min(model->n_cols, BAYES_DESCRIBE_FEATURES);
	int			n_bernoulli = 0;

	for (int j = 0; j < model->n_cols; j++)
		n_bernoulli += model->bernoulli[j];
	appendStringInfo(buf, "{\"variant\": \"%s\", \"variance_floor\": %.6g, "
					 "\"bernoulli_columns\": %d, \"priors\": ",
					 bayes_variant_choices[model->variant], model->epsilon, n_bernoulli);
	BayesAppendArray(buf, model->prior, model->n_classes);
	appendStringInfo(buf, ", \"features_shown\": %d, \"means\": [", shown);
	for (int c = 0; c < model->n_classes; c++)
	{
		if (c > 0)
			appendStringInfoString(buf, ", ");
		BayesAppendArray(buf, model->mean + (Size) c * model->n_cols, shown);
	}
	appendStringInfoString(buf, "]}");
}

const ModelFamily naive_bayes_family = {
	.name = "naive_bayes",
	.description = "naive Bayes: Gaussian, or Bernoulli for two-valued columns",
	.supports_classification = true,
	.supports_regression = false,
	.params = bayes_params,
	.n_params = lengthof(bayes_params),
	.fit = BayesFit,
	.predict = BayesPredict,
	.serialize = BayesSerialize,
	.deserialize = BayesDeserialize,
	.importance = BayesImportance,
	.describe = BayesDescribe,
};
