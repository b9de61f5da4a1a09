/*
 * family_logistic.c
 *		Classification: multinomial logistic regression with an L2 penalty,
 *		fit by L-BFGS, or an L1 penalty, fit by OWL-QN.
 *
 * Model: P(class k | x) = softmax(x W + b)_k with W n_cols x K and
 * intercepts b.  The family expects the scaled inputs that TrainData
 * (family.h) promises, so one penalty strength treats all coefficients
 * alike and the absolute coefficients serve as importances.  Intercepts
 * are never penalised.
 *
 * Objective, with w_i the row weights after class weighting and
 * S = sum_i w_i:
 *	"l2":	-(1/S) sum_i w_i log softmax(x_i W + b)_{y_i} + ||W||^2 / (2 C S)
 *	"l1":	-(1/S) sum_i w_i log softmax(x_i W + b)_{y_i} + ||W||_1 / (C S)
 * where ||W||_1 sums |W_jk| over all entries.  Multiplying by C S gives
 * C sum_i w_i loss_i + ||W||^2 / 2 (or + ||W||_1), the scikit-learn
 * LogisticRegression objective, so C has the same meaning: larger C,
 * weaker penalty.  "balanced" class weights multiply w_i by
 * S / (K S_class(y_i)) for both penalties.
 *
 * Solvers: L-BFGS for the smooth L2 objective (Nocedal & Wright, "Numerical
 * Optimization", 2nd ed., chapters 3 and 7), and its orthant-wise variant
 * OWL-QN for the L1 objective (Andrew & Gao, "Scalable Training of
 * L1-Regularized Log-Linear Models", ICML 2007).  Both run in
 * LbfgsMinimize, which gives the stopping rule.
 */
#include "postgres.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "miscadmin.h"

#include "family.h"
#include "linalg.h"
#include "linear_shared.h"

/* Index of each hyperparameter in the config vector. */
#define LOGISTIC_PARAM_C			0
#define LOGISTIC_PARAM_CLASS_WEIGHT 1
#define LOGISTIC_PARAM_PENALTY		2

#define LOGISTIC_PENALTY_L2			0
#define LOGISTIC_PENALTY_L1			1

#define CLASS_WEIGHT_NONE			0
#define CLASS_WEIGHT_BALANCED		1

/* L-BFGS settings.  LbfgsMinimize documents how each one is used. */
#define LBFGS_MEMORY				10
#define LBFGS_MAX_ITERATIONS		200
#define LBFGS_GRADIENT_TOLERANCE	1e-5
#define LBFGS_LOSS_TOLERANCE		1e-9
#define LBFGS_ARMIJO_C1				1e-4
#define LBFGS_BACKTRACK_FACTOR		0.5
#define LBFGS_MAX_BACKTRACKS		40

/* Bound used to validate a deserialised model. */
#define LOGISTIC_MAX_CLASSES		100000

typedef struct LogisticModel
{
	int			n_cols;
	int			n_classes;
	double	   *coef;			/* n_cols x n_classes, column-major */
	double	   *intercept;		/* n_classes values */
	int			penalty;		/* LOGISTIC_PENALTY_L2 or LOGISTIC_PENALTY_L1 */
	int			iterations;		/* L-BFGS or OWL-QN iterations */
} LogisticModel;

/*
 * Training state of a logistic regression.  row_weight is normalised to sum
 * to 1, and penalty is the coefficient lambda of (lambda / 2) * ||W||^2
 * (0 when the L1 penalty replaces it).
 */
typedef struct LogisticProblem
{
	const double *x;			/* n_rows x n_cols, column-major */
	int			n_rows;
	int			n_cols;
	int			n_classes;
	int		   *labels;			/* class index of each row */
	double	   *row_weight;		/* n_rows values summing to 1 */
	double		penalty;
	double	   *scores;			/* work area, row-major n_rows x n_classes */
} LogisticProblem;

/*
 * Objective function for LbfgsMinimize, which returns f(x) and writes the
 * gradient at x to its third argument.
 */
typedef double (*LbfgsObjective) (void *arg, const double *x, double *gradient);

/*
 * What LbfgsMinimize minimises: the smooth objective over dim variables
 * plus l1 * sum_{i < n_penalised} |x_i| (none when l1 = 0).
 */
typedef struct LbfgsProblem
{
	LbfgsObjective objective;
	void	   *arg;
	int			dim;
	double		l1;
	int			n_penalised;
	const FitControl *control;
} LbfgsProblem;

/*
 * L-BFGS memory: the last n_pairs curvature pairs (s, y) live in slots
 * newest, newest - 1, ... of the circular arrays s and y (dim values a slot).
 */
typedef struct LbfgsState
{
	int			dim;
	int			n_pairs;
	int			newest;
	double	   *s;
	double	   *y;
	double		rho[LBFGS_MEMORY];	/* 1 / (s' y) of each slot */
	double		alpha[LBFGS_MEMORY];	/* two-loop recursion work area */
} LbfgsState;

static const char *const class_weight_choices[] = {"none", "balanced"};

static const char *const logistic_penalty_choices[] = {"l2", "l1"};

static const ParamSpec logistic_params[] = {
	{"C", PARAM_LOG_REAL, 1e-3, 1e3, 1.0, NULL, 0},
	{"class_weight", PARAM_CHOICE, 0, 1, CLASS_WEIGHT_NONE,
	class_weight_choices, lengthof(class_weight_choices)},
	{"penalty", PARAM_CHOICE, 0, 1, LOGISTIC_PENALTY_L2,
	logistic_penalty_choices, lengthof(logistic_penalty_choices)},
};


/* L-BFGS */

static double
MaxAbs(int n, const double *v)
{
	double		result = 0.0;

	for (int i = 0; i < n; i++)
		result = Max(result, fabs(v[i]));
	return result;
}

/*
 * Store the pair s = x_new - x, y = g_new - g as the newest, dropping the
 * oldest when memory is full.  A pair with s' y not clearly positive would
 * make the inverse Hessian estimate indefinite, so it is skipped.
 */
static void
LbfgsPushPair(LbfgsState *state, const double *x, const double *x_new,
			  const double *g, const double *g_new)
{
	int			slot = (state->newest + 1) % LBFGS_MEMORY;
	double	   *s = state->s + (Size) slot * state->dim;
	double	   *y = state->y + (Size) slot * state->dim;
	double		sy;

	for (int i = 0; i < state->dim; i++)
	{
		s[i] = x_new[i] - x[i];
		y[i] = g_new[i] - g[i];
	}
	sy = LinalgDot(state->dim, s, y);
	if (!(sy > DBL_EPSILON * LinalgDot(state->dim, y, y)))
		return;
	state->rho[slot] = 1.0 / sy;
	state->newest = slot;
	state->n_pairs = Min(state->n_pairs + 1, LBFGS_MEMORY);
}

/*
 * Write the search direction d = -H g to direction by the two-loop
 * recursion, where H is the L-BFGS inverse Hessian estimate built from the
 * stored pairs on top of gamma I with gamma = s' y / y' y of the newest pair.
 */
static void
LbfgsDirection(LbfgsState *state, const double *gradient, double *direction)
{
	int			dim = state->dim;
	double		gamma = 1.0;
	int			slot;

	memcpy(direction, gradient, sizeof(double) * dim);
	slot = state->newest;
	for (int k = 0; k < state->n_pairs; k++)
	{
		const double *s = state->s + (Size) slot * dim;

		state->alpha[slot] = state->rho[slot] * LinalgDot(dim, s, direction);
		LinalgAxpy(dim, -state->alpha[slot], state->y + (Size) slot * dim, direction);
		slot = (slot + LBFGS_MEMORY - 1) % LBFGS_MEMORY;
	}
	if (state->n_pairs > 0)
	{
		const double *y = state->y + (Size) state->newest * dim;

		gamma = 1.0 / (state->rho[state->newest] * LinalgDot(dim, y, y));
	}
	for (int i = 0; i < dim; i++)
		direction[i] *= gamma;

	slot = (state->newest + LBFGS_MEMORY - state->n_pairs + 1) % LBFGS_MEMORY;
	for (int k = 0; k < state->n_pairs; k++)
	{
		const double *y = state->y + (Size) slot * dim;
		double		beta = state->rho[slot] * LinalgDot(dim, y, direction);

		LinalgAxpy(dim, state->alpha[slot] - beta, state->s + (Size) slot * dim, direction);
		slot = (slot + 1) % LBFGS_MEMORY;
	}
	for (int i = 0; i < dim; i++)
		direction[i] = -direction[i];
}

/*
 * Return the objective including the L1 term:
 *		F(x) = f(x) + lambda sum_{i < n_penalised} |x_i|
 * writing the gradient of the smooth part f to gradient.
 */
static double
LbfgsEvaluate(const LbfgsProblem *problem, const double *x, double *gradient)
{
	double		value = problem->objective(problem->arg, x, gradient);
	double		norm = 0.0;

	if (problem->l1 == 0.0)
		return value;
	for (int i = 0; i < problem->n_penalised; i++)
		norm += fabs(x[i]);
	return value + problem->l1 * norm;
}

/*
 * Write the pseudo-gradient of F at x to pg (Andrew & Gao, 2007): the
 * gradient for unpenalised coordinates; g_i + lambda sign(x_i) where
 * x_i != 0; and at x_i = 0 the one-sided derivative that points downhill,
 * or 0 when |g_i| <= lambda and neither side descends.  Without an L1 term
 * pg is the gradient.
 */
static void
LbfgsPseudoGradient(const LbfgsProblem *problem, const double *x,
					const double *g, double *pg)
{
	double		lambda = problem->l1;

	memcpy(pg, g, sizeof(double) * problem->dim);
	if (lambda == 0.0)
		return;
	for (int i = 0; i < problem->n_penalised; i++)
	{
		if (x[i] > 0.0)
			pg[i] = g[i] + lambda;
		else if (x[i] < 0.0)
			pg[i] = g[i] - lambda;
		else if (g[i] + lambda < 0.0)
			pg[i] = g[i] + lambda;
		else if (g[i] - lambda > 0.0)
			pg[i] = g[i] - lambda;
		else
			pg[i] = 0.0;
	}
}

/*
 * OWL-QN: zero each penalised component of the direction that does not
 * point the way of -pg, so the step stays where the L1 term is linear.
 */
static void
LbfgsConstrainDirection(const LbfgsProblem *problem, const double *pg,
						double *direction)
{
	if (problem->l1 == 0.0)
		return;
	for (int i = 0; i < problem->n_penalised; i++)
	{
		if (direction[i] * pg[i] >= 0.0)
			direction[i] = 0.0;
	}
}

/*
 * OWL-QN: project x_new onto the orthant of x, chosen per penalised
 * coordinate as sign(x_i), or sign(-pg_i) where x_i = 0.  A coordinate
 * that would cross into another orthant is set to zero.  Returns
 * pg . (x_new - x), the first-order change used by the Armijo test.
 */
static double
LbfgsProjectOrthant(const LbfgsProblem *problem, const double *x,
					const double *pg, double *x_new)
{
	double		change = 0.0;

	for (int i = 0; i < problem->n_penalised; i++)
	{
		double		orthant = (x[i] != 0.0) ? x[i] : -pg[i];

		if (x_new[i] * orthant <= 0.0)
			x_new[i] = 0.0;
	}
	for (int i = 0; i < problem->dim; i++)
		change += pg[i] * (x_new[i] - x[i]);
	return change;
}

/*
 * Backtracking line search: try x_new = x + t d for t = *step, *step / 2,
 * ... until the Armijo condition F(x_new) <= F + c1 t (pg . d) holds.  With
 * an L1 term x_new is first projected onto the orthant of x
 * (LbfgsProjectOrthant) and the condition uses pg . (x_new - x) in place
 * of t (pg . d), as OWL-QN prescribes.  On success returns true with the
 * accepted t in *step, F(x_new) in *f_new and the smooth gradient in g_new.
 * Returns false when no step is accepted or the deadline passes first.
 */
static bool
LbfgsLineSearch(const LbfgsProblem *problem, const double *x, double f,
				const double *pg, double slope, const double *direction,
				double *step, double *x_new, double *f_new, double *g_new)
{
	for (int attempt = 0; attempt < LBFGS_MAX_BACKTRACKS; attempt++)
	{
		double		change = *step * slope;

		if (LinearDeadlinePassed(problem->control))
			return false;
		for (int i = 0; i < problem->dim; i++)
			x_new[i] = x[i] + *step * direction[i];
		if (problem->l1 != 0.0)
			change = LbfgsProjectOrthant(problem, x, pg, x_new);
		*f_new = LbfgsEvaluate(problem, x_new, g_new);
		if (*f_new <= f + LBFGS_ARMIJO_C1 * change)
			return true;
		*step *= LBFGS_BACKTRACK_FACTOR;
	}
	return false;
}

/*
 * Minimise f(x) + lambda sum_{i < n_penalised} |x_i| by limited-memory
 * BFGS, or by its orthant-wise variant OWL-QN when lambda > 0.
 *
 * Objective: problem->objective(arg, x, g) returns the smooth part f(x)
 * and writes its gradient to g; problem->l1 is lambda.  Input: the start
 * point in x.  Output: x is overwritten by the last accepted iterate, and
 * the number of iterations is returned.
 *
 * Algorithm: L-BFGS with LBFGS_MEMORY curvature pairs, the two-loop
 * recursion and a backtracking Armijo line search, as in Nocedal & Wright,
 * "Numerical Optimization" (2nd ed., 2006), chapters 3 and 7.  The first
 * step after a reset is scaled to length 1 because the recursion has no
 * curvature information yet.  When the direction is not a descent direction,
 * the memory is cleared and steepest descent is used.  With lambda > 0 this
 * becomes OWL-QN (Andrew & Gao, "Scalable Training of L1-Regularized
 * Log-Linear Models", ICML 2007): the recursion is applied to the
 * pseudo-gradient pg instead of the gradient, the direction is constrained
 * to the orthant of -pg, every trial point is projected onto the orthant of
 * the current one, and the curvature pairs still use the gradients of f.
 * Without an L1 term pg is the gradient and every step is as before.
 *
 * Stopping rule: max |pg_i| <= LBFGS_GRADIENT_TOLERANCE; or a relative
 * decrease (F_old - F_new) / max(|F_old|, |F_new|, 1) <=
 * LBFGS_LOSS_TOLERANCE; or LBFGS_MAX_ITERATIONS iterations; or the line
 * search fails; or the deadline in control passes.  Each iteration calls
 * CHECK_FOR_INTERRUPTS.
 */
static int
LbfgsMinimize(const LbfgsProblem *problem, double *x)
{
	int			dim = problem->dim;
	LbfgsState	state = {.dim = dim, .n_pairs = 0, .newest = LBFGS_MEMORY - 1};
	double	   *g = AutomlAllocDoubles(dim, "L-BFGS gradient");
	double	   *g_new = AutomlAllocDoubles(dim, "L-BFGS gradient");
	double	   *pg = AutomlAllocDoubles(dim, "L-BFGS pseudo-gradient");
	double	   *x_new = AutomlAllocDoubles(dim, "L-BFGS iterate");
	double	   *direction = AutomlAllocDoubles(dim, "L-BFGS direction");
	double		f = LbfgsEvaluate(problem, x, g);
	double		f_start = f;
	int			iteration;

	state.s = AutomlAllocDoubles((Size) LBFGS_MEMORY * dim, "L-BFGS memory");
	state.y = AutomlAllocDoubles((Size) LBFGS_MEMORY * dim, "L-BFGS memory");

	for (iteration = 0; iteration < LBFGS_MAX_ITERATIONS; iteration++)
	{
		double		slope;
		double		step = 1.0;
		double		f_new;

		CHECK_FOR_INTERRUPTS();
		LbfgsPseudoGradient(problem, x, g, pg);
		if (LinearDeadlinePassed(problem->control) ||
			MaxAbs(dim, pg) <= LBFGS_GRADIENT_TOLERANCE)
			break;

		/* Step 1: search direction, falling back to steepest descent. */
		LbfgsDirection(&state, pg, direction);
		LbfgsConstrainDirection(problem, pg, direction);
		slope = LinalgDot(dim, pg, direction);
		if (!(slope < 0.0))
		{
			state.n_pairs = 0;
			for (int i = 0; i < dim; i++)
				direction[i] = -pg[i];
			slope = -LinalgDot(dim, pg, pg);
		}
		if (state.n_pairs == 0)
			step = 1.0 / sqrt(-slope);

		/* Step 2: line search along the direction. */
		if (!LbfgsLineSearch(problem, x, f, pg, slope, direction, &step,
							 x_new, &f_new, g_new))
			break;

		/* Step 3: update the memory, accept the point, test the decrease. */
		LbfgsPushPair(&state, x, x_new, g, g_new);
		memcpy(x, x_new, sizeof(double) * dim);
		memcpy(g, g_new, sizeof(double) * dim);
		elog(DEBUG2, "L-BFGS iteration %d: loss %.12g, step %g",
			 iteration + 1, f_new, step);
		if (f - f_new <= LBFGS_LOSS_TOLERANCE * Max(Max(fabs(f), fabs(f_new)), 1.0))
		{
			f = f_new;
			iteration++;
			break;
		}
		f = f_new;
	}

	LbfgsPseudoGradient(problem, x, g, pg);
	elog(DEBUG1, "L-BFGS stopped after %d iterations: loss %.12g (start %.12g), max |pseudo-gradient| %g",
		 iteration, f, f_start, MaxAbs(dim, pg));
	pfree(g);
	pfree(g_new);
	pfree(pg);
	pfree(x_new);
	pfree(direction);
	pfree(state.s);
	pfree(state.y);
	return iteration;
}


/* Multinomial logistic regression */

/*
 * Write the scores b_k + x_i . w_k of n_rows rows to scores, row-major
 * n_rows x n_classes.  The product computed is scores' = W' X', which is
 * the row-major layout of X W.
 */
static void
LogisticScores(const double *coef, const double *intercept, int n_cols,
			   int n_classes, const double *x, int n_rows, double *scores)
{
	for (int i = 0; i < n_rows; i++)
		memcpy(scores + (Size) i * n_classes, intercept,
			   sizeof(double) * n_classes);
	if (n_rows > 0 && n_cols > 0)
		LinalgGemm(true, true, n_classes, n_rows, n_cols, 1.0,
				   coef, n_cols, x, n_rows, 1.0, scores, n_classes);
}

/*
 * The logistic objective for LbfgsMinimize.  theta contains W (n_cols x
 * n_classes, column-major) followed by the n_classes intercepts.  Returns
 *		f = sum_i v_i (logsumexp_k(s_ik) - s_i,y_i) + (lambda / 2) ||W||^2
 * where s = X W + b and v is the normalised row weight, and writes
 *		dW = X' R + lambda W,	db_k = sum_i R_ik,
 * with residuals R_ik = v_i (P_ik - [y_i = k]).
 */
static double
LogisticObjective(void *arg, const double *theta, double *gradient)
{
	LogisticProblem *problem = arg;
	int			p = problem->n_cols;
	int			n_classes = problem->n_classes;
	Size		n_coef = (Size) p * n_classes;
	double	   *grad_intercept = gradient + n_coef;
	double		loss = 0.0;

	CHECK_FOR_INTERRUPTS();

	/* Step 1: scores, then probabilities and weighted residuals in place. */
	LogisticScores(theta, theta + n_coef, p, n_classes, problem->x,
				   problem->n_rows, problem->scores);
	memset(grad_intercept, 0, sizeof(double) * n_classes);
	for (int i = 0; i < problem->n_rows; i++)
	{
		double	   *z = problem->scores + (Size) i * n_classes;
		double		v = problem->row_weight[i];
		int			label = problem->labels[i];
		double		true_score = z[label];

		loss += v * (LinalgSoftmax(z, n_classes) - true_score);
		z[label] -= 1.0;
		for (int k = 0; k < n_classes; k++)
		{
			z[k] *= v;
			grad_intercept[k] += z[k];
		}
	}

	/* Step 2: coefficient gradient X' R and the L2 penalty. */
	if (p > 0)
		LinalgGemm(true, true, p, n_classes, problem->n_rows, 1.0,
				   problem->x, problem->n_rows, problem->scores, n_classes,
				   0.0, gradient, p);
	for (Size j = 0; j < n_coef; j++)
	{
		loss += 0.5 * problem->penalty * theta[j] * theta[j];
		gradient[j] += problem->penalty * theta[j];
	}
	return loss;
}

/* Copy the class labels, checking each is an integer in [0, n_classes). */
static int *
LogisticLabels(const TrainData *data)
{
	int		   *labels = palloc_extended(sizeof(int) * Max(data->n_rows, 1),
										 MCXT_ALLOC_HUGE);

	for (int i = 0; i < data->n_rows; i++)
	{
		double		y = data->y[i];

		if (!(y >= 0.0 && y < data->n_classes) || y != floor(y))
			elog(ERROR, "class label %g of row %d is outside 0..%d",
				 y, i + 1, data->n_classes - 1);
		labels[i] = (int) y;
	}
	return labels;
}

/*
 * Fill in row_weight from the data weights, multiplied for "balanced" by
 * total / (K * class_total) so that every class carries an equal share, then
 * normalised to sum 1.  Returns the total weight S before normalisation.
 */
static double
LogisticRowWeights(const TrainData *data, const int *labels, bool balanced,
				   double *row_weight)
{
	int			n_classes = data->n_classes;
	double	   *class_total = palloc0(sizeof(double) * n_classes);
	double		total = FamilyTotalWeight(data);
	double		balanced_total = 0.0;

	for (int i = 0; i < data->n_rows; i++)
	{
		row_weight[i] = RowWeight(data, i);
		class_total[labels[i]] += row_weight[i];
	}
	for (int i = 0; balanced && i < data->n_rows; i++)
	{
		/* A class whose rows all weigh zero keeps them at zero. */
		if (class_total[labels[i]] > 0.0)
			row_weight[i] *= total / (n_classes * class_total[labels[i]]);
		balanced_total += row_weight[i];
	}
	if (balanced)
		total = balanced_total;
	for (int i = 0; i < data->n_rows; i++)
		row_weight[i] /= total;
	pfree(class_total);
	return total;
}

/*
 * Start each intercept at the log of its weighted class frequency (floored
 * at 1e-8 for absent classes), the optimum when all coefficients are zero,
 * so an early stop still predicts at least the class priors.
 */
static void
LogisticStartIntercepts(const LogisticProblem *problem, double *intercept)
{
	int			n_classes = problem->n_classes;
	double	   *frequency = palloc0(sizeof(double) * n_classes);

	for (int i = 0; i < problem->n_rows; i++)
		frequency[problem->labels[i]] += problem->row_weight[i];
	for (int k = 0; k < n_classes; k++)
		intercept[k] = log(Max(frequency[k], 1e-8));
	pfree(frequency);
}

/*
 * Set up the training state: labels, row weights normalised to sum 1 and
 * the penalty lambda = 1 / (C S), where S is the total weight after class
 * weighting.
 */
static void
LogisticProblemInit(LogisticProblem *problem, const TrainData *data,
					double c, bool balanced)
{
	double		total;

	problem->x = data->x;
	problem->n_rows = data->n_rows;
	problem->n_cols = data->n_cols;
	problem->n_classes = data->n_classes;
	problem->labels = LogisticLabels(data);
	problem->row_weight = AutomlAllocDoubles(Max(data->n_rows, 1),
											 "logistic regression weights");
	total = LogisticRowWeights(data, problem->labels, balanced,
							   problem->row_weight);
	problem->penalty = 1.0 / (c * total);
	problem->scores = AutomlAllocDoubles(Max((Size) data->n_rows * data->n_classes, 1),
										 "logistic regression scores");
}

/* Raise an error unless the task, the config and the model size are usable. */
static void
LogisticCheckInput(const TrainData *data, double c, int class_weight,
				   int penalty)
{
	Size		n_params = ((Size) data->n_cols + 1) * Max(data->n_classes, 0);

	if (data->task != TASK_CLASSIFICATION || data->n_classes < 1)
		elog(ERROR, "logistic family cannot fit a %s task with %d classes",
			 TaskKindName(data->task), data->n_classes);
	LinearCheckPositiveParam("C", c);
	if (class_weight != CLASS_WEIGHT_NONE && class_weight != CLASS_WEIGHT_BALANCED)
		elog(ERROR, "class_weight choice %d is out of range", class_weight);
	if (penalty != LOGISTIC_PENALTY_L2 && penalty != LOGISTIC_PENALTY_L1)
		elog(ERROR, "penalty choice %d is out of range", penalty);
	if (n_params > (Size) INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logistic regression has too many parameters"),
				 errdetail("%d columns and %d classes need %zu parameters, more than the limit of %d.",
						   data->n_cols, data->n_classes, n_params, INT_MAX),
				 errhint("Reduce the number of one-hot encoded levels or classes.")));
}

/*
 * Fit a multinomial logistic regression (the file header gives the
 * objectives).
 *
 * Input: data (classification, labels 0..K-1), config[0] = C,
 * config[1] = class_weight (0 "none", 1 "balanced") and config[2] =
 * penalty (0 "l2", 1 "l1").  Output: a LogisticModel.  Stopping rule and
 * algorithm: see LbfgsMinimize, which keeps the current iterate when
 * control->deadline passes.  For "l1" the penalty lambda = 1 / (C S) that
 * LogisticProblemInit sets moves from the smooth part to the L1 term of
 * OWL-QN, covering W but not the intercepts.
 */
static void *
LogisticFit(const TrainData *data, const double *config, const FitControl *control)
{
	int			class_weight = (int) config[LOGISTIC_PARAM_CLASS_WEIGHT];
	int			penalty = (int) config[LOGISTIC_PARAM_PENALTY];
	Size		n_coef;
	LogisticProblem problem;
	LbfgsProblem lbfgs = {.objective = LogisticObjective, .arg = &problem,
	.control = control};
	LogisticModel *model;
	double	   *theta;

	LogisticCheckInput(data, config[LOGISTIC_PARAM_C], class_weight, penalty);
	LogisticProblemInit(&problem, data, config[LOGISTIC_PARAM_C],
						class_weight == CLASS_WEIGHT_BALANCED);
	n_coef = (Size) data->n_cols * data->n_classes;
	lbfgs.dim = (int) (n_coef + data->n_classes);
	if (penalty == LOGISTIC_PENALTY_L1)
	{
		lbfgs.l1 = problem.penalty;
		lbfgs.n_penalised = (int) n_coef;
		problem.penalty = 0.0;
	}

	/* Start from W = 0 and the log class frequencies. */
	theta = AutomlAllocDoubles(n_coef + data->n_classes,
							   "logistic regression coefficients");
	LogisticStartIntercepts(&problem, theta + n_coef);

	model = palloc0(sizeof(LogisticModel));
	model->iterations = LbfgsMinimize(&lbfgs, theta);

	pfree(problem.labels);
	pfree(problem.row_weight);
	pfree(problem.scores);

	model->n_cols = data->n_cols;
	model->n_classes = data->n_classes;
	model->coef = theta;
	model->intercept = theta + n_coef;
	model->penalty = penalty;
	return model;
}

static void
LogisticPredict(const void *opaque, const double *x, int n_rows, int n_cols,
				double *out)
{
	const LogisticModel *model = opaque;

	LinearCheckModelColumns("logistic", model->n_cols, n_cols);
	LogisticScores(model->coef, model->intercept, n_cols, model->n_classes,
				   x, n_rows, out);
	for (int i = 0; i < n_rows; i++)
		LinalgSoftmax(out + (Size) i * model->n_classes, model->n_classes);
}

static void
LogisticSerialize(const void *opaque, StringInfo buf)
{
	const LogisticModel *model = opaque;

	SerialPutInt32(buf, model->n_cols);
	SerialPutInt32(buf, model->n_classes);
	SerialPutFloat64Array(buf, model->coef, (Size) model->n_cols * model->n_classes);
	SerialPutFloat64Array(buf, model->intercept, model->n_classes);
	SerialPutInt32(buf, model->penalty);
	SerialPutInt32(buf, model->iterations);
}

static void *
LogisticDeserialize(SerialReader *reader)
{
	LogisticModel *model = palloc0(sizeof(LogisticModel));

	model->n_cols = SerialGetInt32InRange(reader, 0, LINEAR_MAX_COLUMNS,
										  "column count");
	model->n_classes = SerialGetInt32InRange(reader, 1, LOGISTIC_MAX_CLASSES,
											 "class count");
	model->coef = SerialReadFloat64Array(reader, (Size) model->n_cols * model->n_classes);
	model->intercept = SerialReadFloat64Array(reader, model->n_classes);
	model->penalty = SerialGetInt32InRange(reader, LOGISTIC_PENALTY_L2,
										   LOGISTIC_PENALTY_L1, "penalty");
	model->iterations = SerialGetInt32InRange(reader, 0, LBFGS_MAX_ITERATIONS,
											  "iteration count");
	return model;
}

/* Importance of column j: sum over classes of |W_jk|, normalised to sum 1. */
static void
LogisticImportance(const void *opaque, int n_cols, double *out)
{
	const LogisticModel *model = opaque;

	LinearCheckModelColumns("logistic", model->n_cols, n_cols);
	for (int j = 0; j < n_cols; j++)
	{
		out[j] = 0.0;
		for (int k = 0; k < model->n_classes; k++)
			out[j] += fabs(model->coef[j + (Size) k * n_cols]);
	}
	LinearNormaliseToUnitSum(out, n_cols);
}


/* Append n values as a JSON array. */
static void
AppendNumberArray(StringInfo buf, const double *values, int n, int stride)
{
	appendStringInfoChar(buf, '[');
	for (int k = 0; k < n; k++)
	{
		if (k > 0)
			appendStringInfoString(buf, ", ");
		LinearAppendNumber(buf, values[(Size) k * stride]);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * JSON: the penalty, solver, one intercept per class, the coefficients of
 * each design feature (by its index in the model's feature list) with one
 * value per class in the order of the model's classes, the count of
 * nonzero coefficients and the iterations.
 */
static void
LogisticDescribe(const void *opaque, StringInfo buf)
{
	const LogisticModel *model = opaque;
	int			n_cols = model->n_cols;
	Size		n_coef = (Size) n_cols * model->n_classes;
	int			nonzero = 0;

	appendStringInfo(buf, "{\"penalty\": \"%s\", \"solver\": \"%s\", \"intercepts\": ",
					 logistic_penalty_choices[model->penalty],
					 model->penalty == LOGISTIC_PENALTY_L1 ? "owl-qn" : "l-bfgs");
	AppendNumberArray(buf, model->intercept, model->n_classes, 1);
	appendStringInfoString(buf, ", \"coefficients\": [");
	for (int j = 0; j < n_cols; j++)
	{
		appendStringInfo(buf, "%s{\"feature\": %d, \"values\": ", j ? ", " : "", j);
		AppendNumberArray(buf, model->coef + j, model->n_classes, n_cols);
		appendStringInfoChar(buf, '}');
	}
	for (Size i = 0; i < n_coef; i++)
		nonzero += (model->coef[i] != 0.0);
	appendStringInfo(buf, "], \"nonzero\": %d, \"iterations\": %d}",
					 nonzero, model->iterations);
}


const ModelFamily logistic_family = {
	.name = "logistic",
	.description = "multinomial logistic regression, L2 penalty by L-BFGS or L1 by OWL-QN",
	.supports_classification = true,
	.supports_regression = false,
	.params = logistic_params,
	.n_params = lengthof(logistic_params),
	.fit = LogisticFit,
	.predict = LogisticPredict,
	.serialize = LogisticSerialize,
	.deserialize = LogisticDeserialize,
	.importance = LogisticImportance,
	.describe = LogisticDescribe,
};
