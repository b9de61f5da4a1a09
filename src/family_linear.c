/*
 * family_linear.c
 *		Linear regression: ridge regression in closed form.
 *
 * The family expects the scaled inputs that TrainData (family.h) promises,
 * so one penalty strength treats all coefficients alike and the absolute
 * coefficients serve as importances.  The intercept is never penalised.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "family.h"
#include "linalg.h"
#include "linear_shared.h"

/* Index of each hyperparameter in the config vector. */
#define LINEAR_PARAM_ALPHA			0

/*
 * Ridge: when the Cholesky factorisation fails, retry with jitter added to
 * the diagonal, starting at RIDGE_JITTER_START times the scale of the Gram
 * diagonal and growing by RIDGE_JITTER_GROWTH for up to RIDGE_JITTER_TRIES
 * retries.
 */
#define RIDGE_JITTER_START			1e-10
#define RIDGE_JITTER_GROWTH			100.0
#define RIDGE_JITTER_TRIES			6

typedef struct LinearModel
{
	int			n_cols;
	double		intercept;
	double	   *coef;			/* n_cols values */
} LinearModel;

static const ParamSpec linear_params[] = {
	{"alpha", PARAM_LOG_REAL, 1e-4, 1e3, 1.0, NULL, 0},
};


/* Ridge regression */

/*
 * Write the weighted mean of each input column to x_mean and return the
 * weighted mean of the target.
 */
static double
RidgeWeightedMeans(const TrainData *data, double *x_mean)
{
	int			n = data->n_rows;
	double		total = LinearTotalWeight(data);
	double		y_sum = 0.0;

	for (int j = 0; j < data->n_cols; j++)
	{
		const double *column = data->x + (Size) j * n;
		double		sum = 0.0;

		for (int i = 0; i < n; i++)
			sum += RowWeight(data, i) * column[i];
		x_mean[j] = sum / total;
	}
	for (int i = 0; i < n; i++)
		y_sum += RowWeight(data, i) * data->y[i];
	return y_sum / total;
}

/*
 * Form the normal equations of the centred weighted problem:
 * gram = Xc' W Xc (n_cols x n_cols) and rhs = Xc' W yc, where Xc and yc are
 * x and y minus their weighted means.  Rows are scaled by sqrt(w_i) so that
 * one product with the scaled copy gives each side.
 */
static void
RidgeNormalEquations(const TrainData *data, const double *x_mean,
					 double y_mean, double *gram, double *rhs)
{
	int			n = data->n_rows;
	int			p = data->n_cols;
	double	   *scaled = AutomlAllocDoubles((Size) n * p,
											"ridge regression design matrix");
	double	   *root_weight = AutomlAllocDoubles(n, "ridge regression weights");
	double	   *scaled_y = AutomlAllocDoubles(n, "ridge regression target");

	for (int i = 0; i < n; i++)
	{
		root_weight[i] = sqrt(RowWeight(data, i));
		scaled_y[i] = root_weight[i] * (data->y[i] - y_mean);
	}
	for (int j = 0; j < p; j++)
	{
		const double *column = data->x + (Size) j * n;
		double	   *out = scaled + (Size) j * n;

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < n; i++)
			out[i] = root_weight[i] * (column[i] - x_mean[j]);
	}
	LinalgGemm(true, false, p, p, n, 1.0, scaled, n, scaled, n, 0.0, gram, p);
	LinalgGemv(true, n, p, 1.0, scaled, n, scaled_y, 0.0, rhs);

	pfree(scaled);
	pfree(root_weight);
	pfree(scaled_y);
}

/*
 * Solve (gram + alpha I) coef = rhs for the p x p Gram matrix.  gram and rhs
 * are left unchanged.  The matrix is positive definite in exact arithmetic
 * because alpha > 0, so a failed Cholesky factorisation means rounding
 * error, and the loop retries with growing jitter on the diagonal.
 */
static void
RidgeSolve(int p, double alpha, const double *gram, const double *rhs,
		   double *coef)
{
	double	   *factor = AutomlAllocDoubles((Size) p * p,
											"ridge regression Cholesky factor");
	double		scale = 1.0;
	double		jitter = 0.0;

	for (int j = 0; j < p; j++)
		scale += fabs(gram[j + (Size) j * p]) / p;

	for (int attempt = 0; attempt <= RIDGE_JITTER_TRIES; attempt++)
	{
		memcpy(factor, gram, sizeof(double) * p * p);
		memcpy(coef, rhs, sizeof(double) * p);
		for (int j = 0; j < p; j++)
			factor[j + (Size) j * p] += alpha + jitter;
		if (LinalgSolveSpd(p, 1, factor, coef))
		{
			if (jitter > 0.0)
				elog(DEBUG1, "ridge regression added jitter %g to the diagonal",
					 jitter);
			pfree(factor);
			return;
		}
		jitter = (jitter == 0.0) ? RIDGE_JITTER_START * scale
			: jitter * RIDGE_JITTER_GROWTH;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("could not solve the ridge regression normal equations"),
			 errdetail("The matrix stayed not positive definite after adding %g to its diagonal.",
					   jitter / RIDGE_JITTER_GROWTH),
			 errhint("Check the training data for infinite or extremely large values.")));
}

/*
 * Ridge regression in closed form.
 *
 * Objective: minimise over (b0, b)
 *		sum_i w_i (y_i - b0 - x_i . b)^2 + alpha ||b||^2
 * with the intercept b0 unpenalised.
 *
 * Algorithm: centre x and y by their weighted means, solve the normal
 * equations (Xc' W Xc + alpha I) b = Xc' W yc by Cholesky factorisation
 * (LAPACK dposv), then b0 = mean(y) - mean(x) . b.  Input: the rows of data
 * and config[0] = alpha.  Output: a LinearModel.  There is no iteration, so
 * control->deadline is not consulted.
 */
static void *
LinearFit(const TrainData *data, const double *config, const FitControl *control)
{
	int			p = data->n_cols;
	double		alpha = config[LINEAR_PARAM_ALPHA];
	LinearModel *model;
	double	   *x_mean;
	double		y_mean;

	if (data->task != TASK_REGRESSION)
		elog(ERROR, "linear family cannot fit a %s task",
			 TaskKindName(data->task));
	LinearCheckPositiveParam("alpha", alpha);

	model = palloc0(sizeof(LinearModel));
	model->n_cols = p;
	model->coef = AutomlAllocDoubles(Max(p, 1), "ridge regression coefficients");
	x_mean = AutomlAllocDoubles(Max(p, 1), "ridge regression column means");
	y_mean = RidgeWeightedMeans(data, x_mean);

	if (p > 0)
	{
		double	   *gram = AutomlAllocDoubles((Size) p * p,
											  "ridge regression Gram matrix");
		double	   *rhs = AutomlAllocDoubles(p, "ridge regression right-hand side");

		RidgeNormalEquations(data, x_mean, y_mean, gram, rhs);
		RidgeSolve(p, alpha, gram, rhs, model->coef);
		pfree(gram);
		pfree(rhs);
	}

	model->intercept = y_mean;
	for (int j = 0; j < p; j++)
		model->intercept -= x_mean[j] * model->coef[j];
	pfree(x_mean);
	return model;
}

static void
LinearPredict(const void *opaque, const double *x, int n_rows, int n_cols,
			  double *out)
{
	const LinearModel *model = opaque;

	LinearCheckModelColumns("linear", model->n_cols, n_cols);
	if (n_rows <= 0)
		return;
	for (int i = 0; i < n_rows; i++)
		out[i] = model->intercept;
	if (n_cols > 0)
		LinalgGemv(false, n_rows, n_cols, 1.0, x, n_rows, model->coef, 1.0, out);
}

static void
LinearSerialize(const void *opaque, StringInfo buf)
{
	const LinearModel *model = opaque;

	SerialPutInt32(buf, model->n_cols);
	SerialPutFloat64(buf, model->intercept);
	SerialPutFloat64Array(buf, model->coef, model->n_cols);
}

static void *
LinearDeserialize(SerialReader *reader)
{
	LinearModel *model = palloc0(sizeof(LinearModel));

	model->n_cols = SerialGetInt32InRange(reader, 0, LINEAR_MAX_COLUMNS,
										  "column count");
	model->intercept = SerialGetFloat64(reader);
	model->coef = LinearReadFloat64Array(reader, model->n_cols);
	return model;
}

/* Inputs arrive scaled, so |coef| compares columns on one scale. */
static void
LinearImportance(const void *opaque, int n_cols, double *out)
{
	const LinearModel *model = opaque;

	LinearCheckModelColumns("linear", model->n_cols, n_cols);
	for (int j = 0; j < n_cols; j++)
		out[j] = fabs(model->coef[j]);
	LinearNormaliseToUnitSum(out, n_cols);
}


const ModelFamily linear_family = {
	.name = "linear",
	.description = "ridge regression (L2-penalised least squares), closed form",
	.supports_classification = false,
	.supports_regression = true,
	.params = linear_params,
	.n_params = lengthof(linear_params),
	.fit = LinearFit,
	.predict = LinearPredict,
	.serialize = LinearSerialize,
	.deserialize = LinearDeserialize,
	.importance = LinearImportance,
};
