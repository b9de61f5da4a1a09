/*
 * groups_model.c
 *		Linear models per group: independent, pooled, or adapted from an
 *		initialisation learned across groups by Reptile.
 *
 * Every group g shares one parameter shape theta = (W, b): a weight matrix
 * of d inputs x K outputs and K biases.  Scores are z = x W + b.
 * Regression has K = 1 and the squared loss on the standardised target;
 * classification has one output per class and the softmax cross-entropy.
 * A fit from a starting point theta_0 = (W_0, b_0) minimises, over a row
 * set S, the mean loss plus an L2 penalty on the distance of the weights
 * (never the biases) from W_0:
 *
 *		f_S(theta) = (1/|S|) sum_{i in S} loss(x_i W + b, y_i)
 *					 + (lambda/2) ||W - W_0||^2
 *
 * with W_0 = 0 and lambda = l2 for the independent and pooled fits, and
 * W_0 = theta's weights and lambda = proximal for Reptile's inner loops.
 * Every fit minimises f_S by gradient descent with the step
 * learning_rate / L_S, where L_S bounds the curvature of f_S: c * lambda_max
 * ((1/|S|) A^T A) + lambda, with A the rows of S and a column of ones, c = 1
 * for the squared loss and c = 1/2 for softmax (the softmax Jacobian
 * diag(p) - p p^T has eigenvalues at most 1/2).  lambda_max comes from
 * power iteration.  A step of 1/L is the textbook choice for an L-smooth
 * convex function, and any learning_rate below 2 keeps the descent stable
 * on the squared loss.
 *
 * Strategies:
 *	pooled: one theta, "steps" descent steps on every training row.
 *	independent: per group, "steps" steps from theta = 0 on the group's rows;
 *		the pooled model serves unseen and NULL groups.
 *	reptile: first-order meta-learning of the initialisation (Nichol,
 *		Achiam and Schulman, "On First-Order Meta-Learning Algorithms",
 *		arXiv:1803.02999, 2018).  From theta = 0, for iterations
 *		t = 0 .. T-1: draw a group g uniformly, take k = inner_steps
 *		descent steps on f_g from theta to get phi_g, then
 *
 *			theta <- theta + epsilon_t (phi_g - theta),
 *			epsilon_t = meta_step_size * (1 - t / T)	(linear annealing to 0)
 *
 *		Each group's model is then k steps on its own rows from theta, and
 *		theta itself serves unseen and NULL groups.  The paper's inner
 *		loop is plain SGD or Adam on the task loss.  The proximal term is
 *		an addition, as in iMAML (Rajeswaran et al., "Meta-Learning with
 *		Implicit Gradients", NeurIPS 2019).  Without it, a group with
 *		fewer rows than weights spreads its offset over the weights
 *		instead of its bias.
 *
 * Rows whose group is NULL belong to no group: they train the pooled
 * models only, and Reptile leaves them out.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"
#include "utils/json.h"

#include "groups.h"
#include "linalg.h"

/* Power iteration for lambda_max: at most this many products, this tolerance. */
#define POWER_ITERATIONS 100
#define POWER_TOLERANCE 1e-6

/* Largest count the binary format accepts for inputs, outputs and groups. */
#define MAX_STORED_COUNT 100000000

static const char *const strategy_choices[] = {"reptile", "independent", "pooled"};

/*
 * name, kind, search range, default, choices, values a caller may set,
 * condition.  The search never runs on this family: the ranges only bound
 * the stored values that model.c accepts.
 */
static const ParamSpec grouped_params[] = {
	{"strategy", PARAM_CHOICE, 0, 2, GROUP_REPTILE, strategy_choices, 3},
	{"inner_steps", PARAM_INT, 1, 100000, 30, NULL, 0, 0, 0, "strategy=reptile"},
	{"meta_iterations", PARAM_INT, 1, 10000000, 1000, NULL, 0, 0, 0, "strategy=reptile"},
	{"meta_step_size", PARAM_REAL, 1e-9, 1, 1.0, NULL, 0, 0, 0, "strategy=reptile"},
	{"learning_rate", PARAM_REAL, 1e-9, 2, 1.0},
	{"steps", PARAM_INT, 1, 10000000, 300, NULL, 0, 0, 0, "strategy!=reptile"},
	{"l2", PARAM_REAL, 0, 1e6, 0.01, NULL, 0, 0, 0, "strategy!=reptile"},
	{"proximal", PARAM_REAL, 0, 1e6, 1.0, NULL, 0, 0, 0, "strategy=reptile"},
};

/* One fit problem: every row's inputs and target, and the penalty. */
typedef struct FitProblem
{
	const double *x;			/* row-major, n_cols per row */
	const double *y;			/* class index or standardised target */
	int			n_cols;
	int			n_outputs;
	TaskKind	task;
	double		l2;
	const double *anchor;		/* centre of the L2 penalty, NULL for zero */
	double	   *scores;			/* scratch, n_outputs values */
} FitProblem;

/* Rows one objective averages over, with its descent step. */
typedef struct RowSet
{
	int		   *rows;
	int			n;
	double		step;
} RowSet;

int
GroupedParamCount(const GroupedModel *model)
{
	return (model->n_inputs + 1) * model->n_outputs;
}

/* z = x W + b for one row. */
static void
LinearScores(const double *params, const double *x, int n_cols, int n_outputs,
			 double *scores)
{
	const double *bias = params + (Size) n_cols * n_outputs;

	for (int k = 0; k < n_outputs; k++)
		scores[k] = bias[k];
	for (int j = 0; j < n_cols; j++)
	{
		const double *w = params + (Size) j * n_outputs;

		if (x[j] == 0.0)
			continue;
		for (int k = 0; k < n_outputs; k++)
			scores[k] += x[j] * w[k];
	}
}

/* Add scale times the loss gradient of one row to grad. */
static void
AddRowGradient(const FitProblem *p, int row, double scale, const double *params,
			   double *grad)
{
	const double *x = p->x + (Size) row * p->n_cols;
	double	   *e = p->scores;
	int			n_outputs = p->n_outputs;
	double	   *bias_grad = grad + (Size) p->n_cols * n_outputs;

	/* e = dloss/dz: the residual, or the probabilities minus the one-hot label */
	LinearScores(params, x, p->n_cols, n_outputs, e);
	if (p->task == TASK_REGRESSION)
		e[0] -= p->y[row];
	else
	{
		LinalgSoftmax(e, n_outputs);
		e[(int) p->y[row]] -= 1.0;
	}
	for (int j = 0; j < p->n_cols; j++)
	{
		double	   *w_grad = grad + (Size) j * n_outputs;

		if (x[j] == 0.0)
			continue;
		for (int k = 0; k < n_outputs; k++)
			w_grad[k] += scale * x[j] * e[k];
	}
	for (int k = 0; k < n_outputs; k++)
		bias_grad[k] += scale * e[k];
}

/* grad = the gradient of f_S at params. */
static void
Gradient(const FitProblem *p, const RowSet *set, const double *params, double *grad)
{
	Size		n_weights = (Size) p->n_cols * p->n_outputs;
	Size		n_params = n_weights + p->n_outputs;

	memset(grad, 0, sizeof(double) * n_params);
	for (int i = 0; i < set->n; i++)
		AddRowGradient(p, set->rows[i], 1.0 / set->n, params, grad);
	for (Size j = 0; j < n_weights; j++)
		grad[j] += p->l2 * (params[j] - (p->anchor ? p->anchor[j] : 0.0));
}

/* Take "steps" gradient descent steps on f_S from params, in place. */
static void
Descend(const FitProblem *p, const RowSet *set, double *params, double *grad, int steps)
{
	Size		n_params = (Size) (p->n_cols + 1) * p->n_outputs;

	if (set->n == 0)
		return;
	for (int s = 0; s < steps; s++)
	{
		CHECK_FOR_INTERRUPTS();
		Gradient(p, set, params, grad);
		for (Size i = 0; i < n_params; i++)
			params[i] -= set->step * grad[i];
	}
}

/*
 * lambda_max of (1/|S|) A^T A, A = [rows of S, 1], by power iteration from
 * a seeded random vector.  Power iteration approaches lambda_max from
 * below; a step from an estimate above lambda_max / 2 is still stable.
 */
static double
LargestEigenvalue(const FitProblem *p, const RowSet *set, pg_prng_state *prng)
{
	int			dim = p->n_cols + 1;
	double	   *v = palloc(sizeof(double) * dim);
	double	   *w = palloc(sizeof(double) * dim);
	double		lambda = 0.0;

	for (int j = 0; j < dim; j++)
		v[j] = pg_prng_double(prng) + 0.5;
	for (int iteration = 0; iteration < POWER_ITERATIONS; iteration++)
	{
		double		norm = 0.0;
		double		previous = lambda;

		CHECK_FOR_INTERRUPTS();
		memset(w, 0, sizeof(double) * dim);
		for (int i = 0; i < set->n; i++)
		{
			const double *x = p->x + (Size) set->rows[i] * p->n_cols;
			double		t = v[p->n_cols];

			for (int j = 0; j < p->n_cols; j++)
				t += x[j] * v[j];
			for (int j = 0; j < p->n_cols; j++)
				w[j] += t * x[j] / set->n;
			w[p->n_cols] += t / set->n;
		}
		for (int j = 0; j < dim; j++)
			norm += w[j] * w[j];
		norm = sqrt(norm);
		if (!(norm > 0))
			break;
		for (int j = 0; j < dim; j++)
			v[j] = w[j] / norm;
		lambda = norm;
		if (iteration > 0 && fabs(lambda - previous) <= POWER_TOLERANCE * lambda)
			break;
	}
	pfree(v);
	pfree(w);
	return lambda;
}

/* Set the descent step of a row set: learning_rate / L_S. */
static void
SetStep(const FitProblem *p, RowSet *set, double learning_rate, pg_prng_state *prng)
{
	double		curvature = p->task == TASK_REGRESSION ? 1.0 : 0.5;
	double		smoothness;

	if (set->n == 0)
	{
		set->step = 0.0;
		return;
	}
	smoothness = curvature * LargestEigenvalue(p, set, prng) + p->l2;
	set->step = smoothness > 0 ? learning_rate / smoothness : learning_rate;
}

/* The training rows of each group (sets[0 .. n_groups-1]) and of all groups. */
static RowSet *
BuildRowSets(const GroupedRows *data, RowSet *all)
{
	RowSet	   *sets = palloc0(sizeof(RowSet) * Max(data->n_groups, 1));

	for (int i = 0; i < data->n_train; i++)
	{
		int			g = data->group_of_row[data->train_rows[i]];

		if (g >= 0)
			sets[g].n++;
	}
	for (int g = 0; g < data->n_groups; g++)
	{
		sets[g].rows = palloc(sizeof(int) * Max(sets[g].n, 1));
		sets[g].n = 0;
	}
	for (int i = 0; i < data->n_train; i++)
	{
		int			row = data->train_rows[i];
		int			g = data->group_of_row[row];

		if (g >= 0)
			sets[g].rows[sets[g].n++] = row;
	}
	all->rows = (int *) data->train_rows;
	all->n = data->n_train;
	return sets;
}

/*
 * Standardise a regression target on the training rows, so one step size
 * fits every table: returns (y - mean) / scale for every row.
 */
static double *
StandardTarget(const GroupedRows *data, GroupedModel *model)
{
	double	   *y = AutomlAllocDoubles(Max(data->n_rows, 1), "the grouped target");
	double		mean = 0.0;
	double		square = 0.0;

	model->target_mean = 0.0;
	model->target_scale = 1.0;
	if (data->task != TASK_REGRESSION)
	{
		memcpy(y, data->y, sizeof(double) * data->n_rows);
		return y;
	}
	for (int i = 0; i < data->n_train; i++)
		mean += data->y[data->train_rows[i]] / data->n_train;
	for (int i = 0; i < data->n_train; i++)
	{
		double		d = data->y[data->train_rows[i]] - mean;

		square += d * d / data->n_train;
	}
	model->target_mean = mean;
	model->target_scale = square > 0 ? sqrt(square) : 1.0;
	for (int r = 0; r < data->n_rows; r++)
		y[r] = (data->y[r] - mean) / model->target_scale;
	return y;
}

/* Reptile: meta-learn theta, then adapt it to every group. */
static void
FitReptile(GroupedModel *model, const FitProblem *p, const RowSet *sets,
		   const double *config, pg_prng_state *prng)
{
	int			n_params = GroupedParamCount(model);
	int			inner_steps = (int) config[GROUP_PARAM_INNER_STEPS];
	int			iterations = (int) config[GROUP_PARAM_META_ITERATIONS];
	double		meta_step = config[GROUP_PARAM_META_STEP_SIZE];
	double	   *theta = model->fallback;
	double	   *phi = palloc(sizeof(double) * n_params);
	double	   *grad = palloc(sizeof(double) * n_params);
	int		   *trained = palloc(sizeof(int) * Max(model->n_groups, 1));
	int			n_trained = 0;
	FitProblem	inner = *p;

	/* the inner loops penalise the distance of the weights from theta */
	inner.anchor = theta;

	/* only groups with training rows are sampled */
	for (int g = 0; g < model->n_groups; g++)
		if (sets[g].n > 0)
			trained[n_trained++] = g;

	for (int t = 0; t < iterations && n_trained > 0; t++)
	{
		int			g = trained[pg_prng_uint64_range(prng, 0, n_trained - 1)];
		double		epsilon = meta_step * (1.0 - (double) t / iterations);

		memcpy(phi, theta, sizeof(double) * n_params);
		Descend(&inner, &sets[g], phi, grad, inner_steps);
		for (int i = 0; i < n_params; i++)
			theta[i] += epsilon * (phi[i] - theta[i]);
	}

	for (int g = 0; g < model->n_groups; g++)
	{
		double	   *params = model->group_params + (Size) g * n_params;

		memcpy(params, theta, sizeof(double) * n_params);
		Descend(&inner, &sets[g], params, grad, inner_steps);
	}
}

/* Independent: every group from zero; the pooled model as the fallback. */
static void
FitIndependent(GroupedModel *model, const FitProblem *p, const RowSet *sets,
			   const RowSet *all, int steps)
{
	int			n_params = GroupedParamCount(model);
	double	   *grad = palloc(sizeof(double) * n_params);

	for (int g = 0; g < model->n_groups; g++)
		Descend(p, &sets[g], model->group_params + (Size) g * n_params, grad, steps);
	Descend(p, all, model->fallback, grad, steps);
}

GroupedModel *
GroupedFit(const GroupedRows *data, const double *config, uint64 seed)
{
	GroupedModel *model = palloc0(sizeof(GroupedModel));
	FitProblem	problem;
	RowSet		all;
	RowSet	   *sets;
	pg_prng_state prng;
	int			n_params;

	pg_prng_seed(&prng, seed);
	model->strategy = (GroupStrategy) config[GROUP_PARAM_STRATEGY];
	model->task = data->task;
	model->n_inputs = data->n_cols;
	model->n_outputs = data->n_outputs;
	model->n_groups = data->n_groups;
	n_params = GroupedParamCount(model);
	model->fallback = AutomlAllocDoubles(n_params, "the grouped model");
	if (model->strategy != GROUP_POOLED)
		model->group_params = AutomlAllocDoubles((Size) Max(data->n_groups, 1) * n_params,
												 "the per-group parameters");

	problem.x = data->x;
	problem.y = StandardTarget(data, model);
	problem.n_cols = data->n_cols;
	problem.n_outputs = data->n_outputs;
	problem.task = data->task;
	problem.l2 = model->strategy == GROUP_REPTILE
		? config[GROUP_PARAM_PROXIMAL] : config[GROUP_PARAM_L2];
	problem.anchor = NULL;
	problem.scores = palloc(sizeof(double) * data->n_outputs);

	sets = BuildRowSets(data, &all);
	for (int g = 0; g < data->n_groups; g++)
		SetStep(&problem, &sets[g], config[GROUP_PARAM_LEARNING_RATE], &prng);
	SetStep(&problem, &all, config[GROUP_PARAM_LEARNING_RATE], &prng);

	if (model->strategy == GROUP_REPTILE)
		FitReptile(model, &problem, sets, config, &prng);
	else if (model->strategy == GROUP_INDEPENDENT)
		FitIndependent(model, &problem, sets, &all, (int) config[GROUP_PARAM_STEPS]);
	else
	{
		double	   *grad = palloc(sizeof(double) * n_params);

		Descend(&problem, &all, model->fallback, grad, (int) config[GROUP_PARAM_STEPS]);
	}
	return model;
}

int
GroupedFindGroup(const GroupedModel *model, const char *key)
{
	int			low = 0;
	int			high = model->n_groups - 1;

	if (key == NULL)
		return -1;
	while (low <= high)
	{
		int			middle = low + (high - low) / 2;
		int			order = strcmp(key, model->group_keys[middle]);

		if (order == 0)
			return middle;
		if (order < 0)
			high = middle - 1;
		else
			low = middle + 1;
	}
	return -1;
}

void
GroupedPredictOne(const GroupedModel *model, int group, const double *x, double *out)
{
	const double *params = model->fallback;

	if (group >= 0 && model->group_params != NULL)
		params = model->group_params + (Size) group * GroupedParamCount(model);
	LinearScores(params, x, model->n_inputs, model->n_outputs, out);
	if (model->task == TASK_CLASSIFICATION)
		LinalgSoftmax(out, model->n_outputs);
	else
		out[0] = model->target_mean + model->target_scale * out[0];
}

char *
GroupKey(ColumnKind kind, double number, const char *string)
{
	if (KIND_HAS_LEVELS(kind))
		return string ? pstrdup(string) : NULL;
	if (isnan(number))
		return NULL;
	return float8out_internal(number);
}

/* The family's predict: every row by the fallback, as for an unseen group. */
static void
GroupedFamilyPredict(const void *opaque, const double *x, int n_rows, int n_cols,
					 double *out)
{
	const GroupedModel *model = opaque;
	double	   *row = palloc(sizeof(double) * Max(n_cols, 1));

	for (int i = 0; i < n_rows; i++)
	{
		for (int j = 0; j < n_cols; j++)
			row[j] = x[(Size) j * n_rows + i];
		GroupedPredictOne(model, -1, row, out + (Size) i * model->n_outputs);
	}
	pfree(row);
}

static void
GroupedSerialize(const void *opaque, StringInfo buf)
{
	const GroupedModel *model = opaque;
	int			n_params = GroupedParamCount(model);

	SerialPutInt32(buf, model->strategy);
	SerialPutInt32(buf, model->task);
	SerialPutInt32(buf, model->n_inputs);
	SerialPutInt32(buf, model->n_outputs);
	SerialPutFloat64(buf, model->target_mean);
	SerialPutFloat64(buf, model->target_scale);
	SerialPutString(buf, model->group_column);
	SerialPutInt32(buf, model->n_groups);
	for (int g = 0; g < model->n_groups; g++)
	{
		SerialPutString(buf, model->group_keys[g]);
		SerialPutInt32(buf, model->group_rows[g]);
	}
	SerialPutFloat64Array(buf, model->fallback, n_params);
	if (model->group_params)
		SerialPutFloat64Array(buf, model->group_params, (Size) model->n_groups * n_params);
	SerialPutInt32(buf, model->test_rows);
	SerialPutInt32(buf, model->test_groups);
	SerialPutInt32(buf, model->small_groups);
}

static void
RejectCorrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("automl model binary is corrupted"),
			 errdetail("%s", detail),
			 errhint("Retrain the project with automl_train_groups.")));
}

/* Read the group keys and row counts; keys must be strictly increasing. */
static void
ReadGroups(SerialReader *reader, GroupedModel *model)
{
	/* each group takes at least a key length and a row count */
	SerialCheckRemaining(reader, model->n_groups, 2 * sizeof(int32));
	model->group_keys = palloc(sizeof(char *) * Max(model->n_groups, 1));
	model->group_rows = palloc(sizeof(int) * Max(model->n_groups, 1));
	for (int g = 0; g < model->n_groups; g++)
	{
		model->group_keys[g] = SerialGetString(reader);
		model->group_rows[g] = SerialGetInt32InRange(reader, 0, PG_INT32_MAX,
													 "group row count");
		if (g > 0 && strcmp(model->group_keys[g - 1], model->group_keys[g]) >= 0)
			RejectCorrupted(psprintf("Group keys \"%s\" and \"%s\" are out of order.",
									 model->group_keys[g - 1], model->group_keys[g]));
	}
}

static void *
GroupedDeserialize(SerialReader *reader)
{
	GroupedModel *model = palloc0(sizeof(GroupedModel));
	Size		n_params;

	model->strategy = SerialGetInt32InRange(reader, GROUP_REPTILE, GROUP_POOLED, "strategy");
	model->task = SerialGetInt32InRange(reader, TASK_CLASSIFICATION, TASK_REGRESSION, "task");
	model->n_inputs = SerialGetInt32InRange(reader, 0, MAX_STORED_COUNT, "input count");
	model->n_outputs = model->task == TASK_REGRESSION
		? SerialGetInt32InRange(reader, 1, 1, "output count")
		: SerialGetInt32InRange(reader, 2, MAX_STORED_COUNT, "class count");
	model->target_mean = SerialGetFloat64(reader);
	model->target_scale = SerialGetFloat64(reader);
	if (!isfinite(model->target_mean) || !(model->target_scale > 0) ||
		!isfinite(model->target_scale))
		RejectCorrupted(psprintf("The target mean is %g and its scale %g.",
								 model->target_mean, model->target_scale));
	model->group_column = SerialGetString(reader);
	model->n_groups = SerialGetInt32InRange(reader, 0, MAX_STORED_COUNT, "group count");
	ReadGroups(reader, model);

	n_params = (Size) (model->n_inputs + 1) * model->n_outputs;
	model->fallback = SerialReadFloat64Array(reader, n_params);
	if (model->strategy != GROUP_POOLED)
	{
		SerialCheckRemaining(reader, model->n_groups, n_params * sizeof(double));
		model->group_params = SerialReadFloat64Array(reader, (Size) model->n_groups * n_params);
	}
	model->test_rows = SerialGetInt32InRange(reader, 0, PG_INT32_MAX, "held-out row count");
	model->test_groups = SerialGetInt32InRange(reader, 0, model->n_groups,
											   "held-out group count");
	model->small_groups = SerialGetInt32InRange(reader, 0, model->n_groups,
												"small group count");
	return model;
}

/* Mean absolute weight of each input in the fallback, normalised to sum 1. */
static void
GroupedImportance(const void *opaque, int n_cols, double *out)
{
	const GroupedModel *model = opaque;
	double		total = 0.0;

	for (int j = 0; j < n_cols; j++)
	{
		out[j] = 0.0;
		for (int k = 0; k < model->n_outputs && j < model->n_inputs; k++)
			out[j] += fabs(model->fallback[(Size) j * model->n_outputs + k]);
		total += out[j];
	}
	for (int j = 0; j < n_cols && total > 0; j++)
		out[j] /= total;
}

/* Euclidean distance between two parameter sets. */
static double
ParamDistance(const double *a, const double *b, int n)
{
	double		sum = 0.0;

	for (int i = 0; i < n; i++)
		sum += (a[i] - b[i]) * (a[i] - b[i]);
	return sqrt(sum);
}

static void
AppendParams(StringInfo buf, const double *params, int n)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(buf, "%s%.6g", i ? ", " : "", params[i]);
	appendStringInfoChar(buf, ']');
}

/*
 * Strategy, group column, per-group training rows, the fallback's weights
 * and biases, and how far the group models moved from the fallback.
 */
static void
GroupedDescribe(const void *opaque, StringInfo buf)
{
	const GroupedModel *model = opaque;
	int			n_params = GroupedParamCount(model);
	Size		n_weights = (Size) model->n_inputs * model->n_outputs;
	double		distance = 0.0;

	appendStringInfo(buf, "{\"strategy\": \"%s\", \"shape\": \"linear\", \"group_by\": ",
					 strategy_choices[model->strategy]);
	escape_json(buf, model->group_column);
	appendStringInfo(buf, ", \"groups\": %d, \"fallback\": \"%s\", \"group_rows\": {",
					 model->n_groups,
					 model->strategy == GROUP_REPTILE ? "theta" : "pooled");
	for (int g = 0; g < model->n_groups; g++)
	{
		if (g > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, model->group_keys[g]);
		appendStringInfo(buf, ": %d", model->group_rows[g]);
	}
	appendStringInfo(buf, "}, \"held_out\": {\"rows\": %d, \"groups\": %d, \"small_groups\": %d}",
					 model->test_rows, model->test_groups, model->small_groups);
	appendStringInfoString(buf, ", \"fallback_weights\": ");
	AppendParams(buf, model->fallback, n_weights);
	appendStringInfoString(buf, ", \"fallback_intercepts\": ");
	AppendParams(buf, model->fallback + n_weights, model->n_outputs);
	if (model->task == TASK_REGRESSION)
		appendStringInfo(buf, ", \"target_mean\": %.6g, \"target_scale\": %.6g",
						 model->target_mean, model->target_scale);
	if (model->group_params != NULL && model->n_groups > 0)
	{
		for (int g = 0; g < model->n_groups; g++)
			distance += ParamDistance(model->group_params + (Size) g * n_params,
									  model->fallback, n_params) / model->n_groups;
		appendStringInfo(buf, ", \"mean_distance_to_fallback\": %.6g", distance);
	}
	appendStringInfoChar(buf, '}');
}

const ModelFamily grouped_linear_family = {
	.name = "grouped_linear",
	.description = "linear model per group: independent, pooled, or adapted from a Reptile initialisation",
	.supports_classification = true,
	.supports_regression = true,
	.params = grouped_params,
	.n_params = lengthof(grouped_params),
	.fit = NULL,
	.predict = GroupedFamilyPredict,
	.serialize = GroupedSerialize,
	.deserialize = GroupedDeserialize,
	.importance = GroupedImportance,
	.describe = GroupedDescribe,
};

int
GroupedPlanColumn(const GroupedModel *model, const PrepPlan *plan)
{
	for (int i = 0; i < plan->n_columns; i++)
		if (strcmp(plan->columns[i].name, model->group_column) == 0)
			return i;
	return -1;
}

void
GroupedCheckPlan(const GroupedModel *model, const PrepPlan *plan)
{
	int			width = plan->task == TASK_CLASSIFICATION ? plan->n_classes : 1;

	if (model->task != plan->task || model->n_inputs != plan->n_features ||
		model->n_outputs != width)
		RejectCorrupted(psprintf("The grouped model has %d inputs and %d outputs, its preprocessing %d features and %d outputs.",
								 model->n_inputs, model->n_outputs, plan->n_features, width));
	if (GroupedPlanColumn(model, plan) < 0)
		RejectCorrupted(psprintf("The group column \"%s\" is not a column of the preprocessing.",
								 model->group_column));
}
