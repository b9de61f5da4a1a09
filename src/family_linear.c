/*
 * family_linear.c
 *		Linear regression with an L2 (ridge), L1 (lasso) or elastic-net
 *		penalty.
 *
 * Model: y ~ b0 + x . b.  The family expects the scaled inputs that
 * TrainData (family.h) promises, so one penalty strength treats all
 * coefficients alike and the absolute coefficients serve as importances.
 * The intercept b0 is never penalised.  w_i are the row weights and
 * S = sum_i w_i.
 *
 * The meaning of alpha depends on the penalty, and each follows the
 * scikit-learn estimator of the same name:
 *
 *	"l2" (Ridge), closed form:
 *		minimise  sum_i w_i (y_i - b0 - x_i . b)^2 + alpha ||b||^2
 *	on the unnormalised sum, the objective this family has always used.
 *	Centre x and y by their weighted means and solve
 *	(Xc' W Xc + alpha I) b = Xc' W yc by Cholesky factorisation (LAPACK
 *	dposv); see Hastie, Tibshirani & Friedman, "The Elements of Statistical
 *	Learning" (2nd ed.), section 3.4.1.
 *
 *	"l1" (Lasso) and "elasticnet" (ElasticNet):
 *		minimise  (1/(2S)) sum_i w_i (y_i - b0 - x_i . b)^2
 *				  + alpha (r ||b||_1 + (1 - r)/2 ||b||^2)
 *	on the weighted mean loss, with r = l1_ratio for "elasticnet" and
 *	r = 1 for "l1".  Dividing the ridge objective by 2S gives this form
 *	with r = 0 and alpha / S in place of alpha, so for the same alpha ridge
 *	penalises S times more weakly.  Ridge keeps its unnormalised alpha so
 *	that models and leaderboards trained before the L1 penalties keep their
 *	meaning.
 *
 * The L1 penalties are solved by cyclic coordinate descent with covariance
 * updates and warm starts along a regularisation path, as described in
 * Friedman, Hastie & Tibshirani, "Regularization Paths for Generalized
 * Linear Models via Coordinate Descent", Journal of Statistical Software
 * 33(1), 2010.  With G = Xc' W Xc / S and c = Xc' W yc / S, the update of
 * coefficient j is
 *		b_j <- soft(c_j - (G b)_j + G_jj b_j, alpha r) / (G_jj + alpha (1 - r))
 * where soft(z, t) = sign(z) max(|z| - t, 0), and G b is kept up to date
 * with one column of G per changed coefficient ("covariance updates": after
 * the one O(n p^2) product forming G, a sweep costs O(p) plus O(p) per
 * coefficient that moves, independent of the row count).  Every sweep
 * visits all coefficients; there is no separate active-set cycling, since
 * a coefficient that stays at zero already costs O(1).
 *
 * Path: alpha_max = max_j |c_j| / r is the smallest alpha whose solution
 * is b = 0.  When alpha >= alpha_max, b = 0 is the solution.  Otherwise
 * the solver visits alpha_max (alpha / alpha_max)^(k / K) for k = 1 .. K
 * with K = CD_PATH_STEPS, ending exactly at alpha, and each solve starts
 * from the previous solution.
 *
 * Stopping rule of each solve: a sweep whose largest coefficient change
 * max_j |delta b_j| is at most CD_TOLERANCE max_j |b_j|, or CD_MAX_SWEEPS
 * sweeps.  Each sweep calls CHECK_FOR_INTERRUPTS; when control->deadline
 * passes the path stops and the model keeps the coefficients of the last
 * completed sweep, a valid (more strongly penalised) model.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "miscadmin.h"

#include "family.h"
#include "linalg.h"
#include "linear_shared.h"

/* Index of each hyperparameter in the config vector. */
#define LINEAR_PARAM_ALPHA			0
#define LINEAR_PARAM_PENALTY		1
#define LINEAR_PARAM_L1_RATIO		2

#define PENALTY_L2					0
#define PENALTY_L1					1
#define PENALTY_ELASTICNET			2

/*
 * Ridge: when the Cholesky factorisation fails, retry with jitter added to
 * the diagonal, starting at RIDGE_JITTER_START times the scale of the Gram
 * diagonal and growing by RIDGE_JITTER_GROWTH for up to RIDGE_JITTER_TRIES
 * retries.
 */
#define RIDGE_JITTER_START			1e-10
#define RIDGE_JITTER_GROWTH			100.0
#define RIDGE_JITTER_TRIES			6

/*
 * Coordinate descent: CD_PATH_STEPS solves along the path, each stopping
 * when a sweep moves no coefficient by more than CD_TOLERANCE times the
 * largest coefficient, or after CD_MAX_SWEEPS sweeps.
 */
#define CD_PATH_STEPS				16
#define CD_TOLERANCE				1e-8
#define CD_MAX_SWEEPS				1000

typedef struct LinearModel
{
	int			n_cols;
	double		intercept;
	double	   *coef;			/* n_cols values */
	int			penalty;		/* PENALTY_L2, PENALTY_L1 or PENALTY_ELASTICNET */
	int			iterations;		/* coordinate descent sweeps, 0 for ridge */
	int			path_length;	/* alphas solved along the path, 0 for ridge */
	double		alpha_max;		/* smallest alpha giving b = 0, 0 for ridge */
} LinearModel;

/*
 * The centred, weight-normalised least-squares problem that coordinate
 * descent solves: gram = Xc' W Xc / S and corr = Xc' W yc / S, penalties
 * l1 = alpha r and l2 = alpha (1 - r), and gram_coef = gram * coef.
 */
typedef struct CdProblem
{
	int			p;
	const double *gram;			/* p x p */
	const double *corr;			/* p values */
	double		l1;
	double		l2;
	double	   *coef;			/* p values, the current solution */
	double	   *gram_coef;		/* p values */
} CdProblem;

static const char *const penalty_choices[] = {"l2", "l1", "elasticnet"};

static const ParamSpec linear_params[] = {
	{"alpha", PARAM_LOG_REAL, 1e-4, 1e3, 1.0, NULL, 0},
	{"penalty", PARAM_CHOICE, 0, 2, PENALTY_L2,
	penalty_choices, lengthof(penalty_choices)},
	{"l1_ratio", PARAM_REAL, 0.05, 0.95, 0.5, NULL, 0, 0, 0, "penalty=elasticnet"},
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
	double		total = FamilyTotalWeight(data);
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


/* Lasso and elastic net by coordinate descent */

static double
SoftThreshold(double z, double threshold)
{
	if (z > threshold)
		return z - threshold;
	if (z < -threshold)
		return z + threshold;
	return 0.0;
}

/*
 * One cyclic sweep over the coefficients; returns the largest change.  A
 * column with no weighted variance (G_jj = 0, say a one-hot level absent
 * from a fold) keeps its zero coefficient.
 */
static double
CdSweep(CdProblem *problem)
{
	int			p = problem->p;
	double		max_change = 0.0;

	for (int j = 0; j < p; j++)
	{
		const double *gram_column = problem->gram + (Size) j * p;
		double		diagonal = gram_column[j];
		double		old = problem->coef[j];
		double		rho;
		double		updated;

		if (!(diagonal > 0.0))
			continue;
		rho = problem->corr[j] - problem->gram_coef[j] + diagonal * old;
		updated = SoftThreshold(rho, problem->l1) / (diagonal + problem->l2);
		if (updated == old)
			continue;
		LinalgAxpy(p, updated - old, gram_column, problem->gram_coef);
		problem->coef[j] = updated;
		max_change = Max(max_change, fabs(updated - old));
	}
	return max_change;
}

/*
 * Solve for the current penalties from the current coefficients, adding
 * the sweeps to *sweeps.  Returns false when the deadline stopped it.
 */
static bool
CdSolve(CdProblem *problem, const FitControl *control, int *sweeps)
{
	int			p = problem->p;

	/* Recompute G b so that rounding in the updates cannot accumulate. */
	LinalgGemv(false, p, p, 1.0, problem->gram, p, problem->coef, 0.0,
			   problem->gram_coef);
	for (int sweep = 0; sweep < CD_MAX_SWEEPS; sweep++)
	{
		double		change;
		double		largest = 0.0;

		CHECK_FOR_INTERRUPTS();
		if (LinearDeadlinePassed(control))
			return false;
		change = CdSweep(problem);
		(*sweeps)++;
		for (int j = 0; j < p; j++)
			largest = Max(largest, fabs(problem->coef[j]));
		if (change <= CD_TOLERANCE * largest)
			return true;
	}
	elog(DEBUG1, "coordinate descent reached %d sweeps at l1 %g, l2 %g",
		 CD_MAX_SWEEPS, problem->l1, problem->l2);
	return true;
}

/*
 * Lasso or elastic net on the normal equations of the centred problem
 * (gram and rhs as RidgeNormalEquations leaves them, scaled here by
 * 1 / total), writing the coefficients, sweeps, path length and alpha_max
 * to model.  ratio is the L1 share r of the penalty.
 */
static void
CdFitPath(LinearModel *model, double *gram, double *rhs, double total,
		  double alpha, double ratio, const FitControl *control)
{
	int			p = model->n_cols;
	CdProblem	problem = {.p = p, .gram = gram, .corr = rhs, .coef = model->coef};

	for (Size k = 0; k < (Size) p * p; k++)
		gram[k] /= total;
	model->alpha_max = 0.0;
	for (int j = 0; j < p; j++)
	{
		rhs[j] /= total;
		model->alpha_max = Max(model->alpha_max, fabs(rhs[j]) / ratio);
	}
	if (!(alpha < model->alpha_max))
		return;

	problem.gram_coef = AutomlAllocDoubles(p, "coordinate descent work area");
	for (int k = 1; k <= CD_PATH_STEPS; k++)
	{
		double		step_alpha = (k == CD_PATH_STEPS) ? alpha
			: model->alpha_max * pow(alpha / model->alpha_max,
									 (double) k / CD_PATH_STEPS);

		problem.l1 = step_alpha * ratio;
		problem.l2 = step_alpha * (1.0 - ratio);
		if (!CdSolve(&problem, control, &model->iterations))
			break;
		model->path_length = k;
	}
	pfree(problem.gram_coef);
}

/*
 * Raise an error unless the task and the configuration are usable; returns
 * the penalty choice.
 */
static int
LinearCheckInput(const TrainData *data, const double *config)
{
	int			penalty = (int) config[LINEAR_PARAM_PENALTY];
	double		ratio = config[LINEAR_PARAM_L1_RATIO];

	if (data->task != TASK_REGRESSION)
		elog(ERROR, "linear family cannot fit a %s task",
			 TaskKindName(data->task));
	LinearCheckPositiveParam("alpha", config[LINEAR_PARAM_ALPHA]);
	if (penalty < PENALTY_L2 || penalty > PENALTY_ELASTICNET)
		elog(ERROR, "penalty choice %d is out of range", penalty);
	if (penalty == PENALTY_ELASTICNET && !(ratio > 0.0 && ratio <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyperparameter \"l1_ratio\" must lie in (0, 1], got %g",
						ratio),
				 errhint("Set \"l1_ratio\" between 0.05 and 0.95.")));
	return penalty;
}

/*
 * Fit the linear family (the file header gives the objectives).
 *
 * Input: the rows of data, config[0] = alpha, config[1] = penalty (0 "l2",
 * 1 "l1", 2 "elasticnet") and config[2] = l1_ratio (elasticnet only).
 * Output: a LinearModel.  Both solvers work on the centred normal
 * equations, then b0 = mean(y) - mean(x) . b.  Ridge has no iteration and
 * ignores control->deadline; coordinate descent stops at it.
 */
static void *
LinearFit(const TrainData *data, const double *config, const FitControl *control)
{
	int			p = data->n_cols;
	double		alpha = config[LINEAR_PARAM_ALPHA];
	int			penalty = LinearCheckInput(data, config);
	LinearModel *model;
	double	   *x_mean;
	double		y_mean;

	model = palloc0(sizeof(LinearModel));
	model->n_cols = p;
	model->penalty = penalty;
	model->coef = AutomlAllocDoubles(Max(p, 1), "linear regression coefficients");
	x_mean = AutomlAllocDoubles(Max(p, 1), "linear regression column means");
	y_mean = RidgeWeightedMeans(data, x_mean);

	if (p > 0)
	{
		double	   *gram = AutomlAllocDoubles((Size) p * p,
											  "linear regression Gram matrix");
		double	   *rhs = AutomlAllocDoubles(p, "linear regression right-hand side");

		RidgeNormalEquations(data, x_mean, y_mean, gram, rhs);
		if (penalty == PENALTY_L2)
			RidgeSolve(p, alpha, gram, rhs, model->coef);
		else
			CdFitPath(model, gram, rhs, FamilyTotalWeight(data), alpha,
					  penalty == PENALTY_L1 ? 1.0 : config[LINEAR_PARAM_L1_RATIO],
					  control);
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
	SerialPutInt32(buf, model->penalty);
	SerialPutInt32(buf, model->iterations);
	SerialPutInt32(buf, model->path_length);
	SerialPutFloat64(buf, model->alpha_max);
}

static void *
LinearDeserialize(SerialReader *reader)
{
	LinearModel *model = palloc0(sizeof(LinearModel));

	model->n_cols = SerialGetInt32InRange(reader, 0, LINEAR_MAX_COLUMNS,
										  "column count");
	model->intercept = SerialGetFloat64(reader);
	model->coef = SerialReadFloat64Array(reader, model->n_cols);
	model->penalty = SerialGetInt32InRange(reader, PENALTY_L2, PENALTY_ELASTICNET,
										   "penalty");
	model->iterations = SerialGetInt32InRange(reader, 0, INT_MAX, "sweep count");
	model->path_length = SerialGetInt32InRange(reader, 0, CD_PATH_STEPS,
											   "path length");
	model->alpha_max = SerialGetFloat64(reader);
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


/*
 * JSON: the penalty, solver, intercept, coefficient of each design feature
 * (by its index in the model's feature list), the nonzero count, and for
 * coordinate descent the sweeps, the path length and alpha_max.
 */
static void
LinearDescribe(const void *opaque, StringInfo buf)
{
	const LinearModel *model = opaque;
	int			nonzero = 0;

	appendStringInfo(buf, "{\"penalty\": \"%s\", \"solver\": \"%s\", \"intercept\": ",
					 penalty_choices[model->penalty],
					 model->penalty == PENALTY_L2 ? "cholesky" : "coordinate descent");
	LinearAppendNumber(buf, model->intercept);
	appendStringInfoString(buf, ", \"coefficients\": [");
	for (int j = 0; j < model->n_cols; j++)
	{
		appendStringInfo(buf, "%s{\"feature\": %d, \"value\": ", j ? ", " : "", j);
		LinearAppendNumber(buf, model->coef[j]);
		appendStringInfoChar(buf, '}');
		nonzero += (model->coef[j] != 0.0);
	}
	appendStringInfo(buf, "], \"nonzero\": %d, \"iterations\": %d",
					 nonzero, model->iterations);
	if (model->penalty != PENALTY_L2)
	{
		appendStringInfo(buf, ", \"path_length\": %d, \"alpha_max\": ",
						 model->path_length);
		LinearAppendNumber(buf, model->alpha_max);
	}
	appendStringInfoChar(buf, '}');
}


const ModelFamily linear_family = {
	.name = "linear",
	.description = "least squares with an L2 (closed form), L1 or elastic-net penalty (coordinate descent)",
	.supports_classification = false,
	.supports_regression = true,
	.params = linear_params,
	.n_params = lengthof(linear_params),
	.fit = LinearFit,
	.predict = LinearPredict,
	.serialize = LinearSerialize,
	.deserialize = LinearDeserialize,
	.importance = LinearImportance,
	.describe = LinearDescribe,
};
