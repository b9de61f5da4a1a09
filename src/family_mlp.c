/*
 * family_mlp.c
 *		Multilayer perceptron ("mlp") for classification and regression.
 *
 * Network: one or two fully connected hidden layers of hidden_units ReLU
 * units, then a linear output layer with K logits for K classes, or one
 * value for regression.
 *
 * Objective, over the weights W_l and biases b_l of every layer:
 *		(1/n) sum_i w_i loss_i + (alpha / 2) sum_l ||W_l||_F^2
 * where the row weights w_i are scaled to mean 1 and biases are not
 * penalised.  For classification, loss_i = -log softmax(f(x_i))_{y_i} (the
 * cross-entropy).  For regression, loss_i = (f(x_i) - t_i)^2 on the
 * standardised target t_i = (y_i - mean) / sd, and predictions are mapped
 * back to mean + sd * f(x).
 *
 * Training: He initialisation (weights drawn from N(0, 2 / fan_in), biases
 * zero), as in He, Zhang, Ren and Sun, "Delving Deep into Rectifiers"
 * (ICCV 2015).  Gradients come from backpropagation on minibatches, and each
 * forward and backward product of a layer is one dgemm call.  The Adam
 * update (adam.h) applies the gradient of the minibatch mean loss plus the
 * L2 term.  Each epoch visits the training rows once, in an order that the
 * generator seeded by control->seed reshuffles.
 *
 * Stopping rule (early stopping): a seeded 10% of the rows, stratified by
 * class, is held out.  After each epoch the unpenalised mean loss on these
 * rows is measured.  Training stops after patience epochs without a new
 * lowest validation loss, at max_epochs, or at the fit deadline.  The
 * weights of the epoch with the lowest validation loss are kept.  With fewer
 * than MLP_MIN_ROWS_FOR_VALIDATION rows nothing is held out, and the
 * epoch's training loss takes the place of the validation loss.
 *
 * The training loss reported for an epoch is the weighted mean loss of its
 * minibatches, each measured before its own update.  Feature importance
 * reads the weights only (see MlpImportance).
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "adam.h"
#include "family.h"
#include "linalg.h"

/* Index of each hyperparameter in the config vector. */
#define MLP_PARAM_HIDDEN_UNITS		0
#define MLP_PARAM_HIDDEN_LAYERS		1
#define MLP_PARAM_LEARNING_RATE		2
#define MLP_PARAM_ALPHA				3
#define MLP_PARAM_BATCH_SIZE		4
#define MLP_PARAM_MAX_EPOCHS		5
#define MLP_PARAM_PATIENCE			6

/* Weight layers: at most two hidden layers plus the output layer. */
#define MLP_MAX_LAYERS				3

#define MLP_VALIDATION_FRACTION		0.1
#define MLP_MIN_ROWS_FOR_VALIDATION 20

/* Rows pushed through the network at once by predict. */
#define MLP_PREDICT_CHUNK			256

/* Bounds used to validate a deserialised model. */
#define MLP_MAX_COLS				10000000
#define MLP_MAX_UNITS				4096
#define MLP_MAX_OUTPUTS				100000
#define MLP_MAX_EPOCHS				2000

typedef enum MlpStopReason
{
	MLP_STOP_MAX_EPOCHS,
	MLP_STOP_PATIENCE,
	MLP_STOP_DEADLINE
} MlpStopReason;

static const char *const mlp_stop_names[] = {"max_epochs", "patience", "deadline"};

static const ParamSpec mlp_params[] = {
	{"hidden_units", PARAM_INT, 16, 256, 64, NULL, 0},
	{"hidden_layers", PARAM_INT, 1, 2, 1, NULL, 0},
	{"learning_rate", PARAM_LOG_REAL, 1e-4, 1e-1, 1e-3, NULL, 0},
	{"alpha", PARAM_LOG_REAL, 1e-6, 1e-1, 1e-4, NULL, 0},
	{"batch_size", PARAM_INT, 16, 512, 64, NULL, 0},
	{"max_epochs", PARAM_INT, 20, 300, 200, NULL, 0, 1, MLP_MAX_EPOCHS},
	{"patience", PARAM_INT, 2, 50, 10, NULL, 0},
};

/*
 * Layer sizes and the offsets of each layer's parameters in the flat
 * parameter vector.  Weight layer l maps units[l] inputs to units[l + 1]
 * outputs.  Its weights W_l (units[l] x units[l + 1], column-major) are
 * followed by its units[l + 1] biases.
 */
typedef struct MlpShape
{
	int			n_layers;
	int			units[MLP_MAX_LAYERS + 1];
	Size		weight_offset[MLP_MAX_LAYERS];
	Size		bias_offset[MLP_MAX_LAYERS];
	Size		n_params;
} MlpShape;

typedef struct MlpModel
{
	TaskKind	task;
	MlpShape	shape;
	double	   *theta;			/* shape.n_params values */
	double		target_mean;	/* regression: y = mean + scale * output */
	double		target_scale;
	int			n_epochs;		/* epochs run */
	int			best_epoch;		/* 1-based epoch of the kept weights, or 0 */
	MlpStopReason stop_reason;
	int			validation_rows;
	double	   *train_loss;		/* n_epochs values */
	double	   *validation_loss;	/* n_epochs values */
} MlpModel;

/*
 * Buffers for one minibatch of up to capacity rows, one column per row.
 * act[0] is the input, act[l + 1] the output of weight layer l (after ReLU
 * for hidden layers), delta[l] the loss gradient with respect to the
 * pre-activation of act[l].
 */
typedef struct MlpWork
{
	int			capacity;
	double	   *act[MLP_MAX_LAYERS + 1];
	double	   *delta[MLP_MAX_LAYERS + 1];
	double	   *grad;			/* n_params values, or NULL for prediction */
} MlpWork;

typedef struct MlpTrainer
{
	const TrainData *data;
	MlpModel   *model;
	double		alpha;
	int			batch_size;
	int			max_epochs;
	int			patience;
	int		   *rows;			/* n_train training rows, then n_valid rows */
	int			n_train;
	int			n_valid;
	double	   *row_weight;		/* per data row, scaled to mean 1 */
	double	   *target;			/* per data row: class or standardised target */
	MlpWork		work;
	AdamState	adam;
	pg_prng_state prng;
} MlpTrainer;


/* Shape and buffers */

static void
MlpShapeInit(MlpShape *shape, int n_inputs, int hidden_layers, int hidden_units,
			 int n_outputs)
{
	Size		offset = 0;

	shape->n_layers = hidden_layers + 1;
	shape->units[0] = n_inputs;
	for (int l = 1; l <= hidden_layers; l++)
		shape->units[l] = hidden_units;
	shape->units[shape->n_layers] = n_outputs;
	for (int l = 0; l < shape->n_layers; l++)
	{
		shape->weight_offset[l] = offset;
		offset = add_size(offset, mul_size(shape->units[l], shape->units[l + 1]));
		shape->bias_offset[l] = offset;
		offset = add_size(offset, shape->units[l + 1]);
	}
	shape->n_params = offset;
}

static void
MlpWorkInit(MlpWork *work, const MlpShape *shape, int capacity, bool training)
{
	work->capacity = capacity;
	for (int l = 0; l <= shape->n_layers; l++)
	{
		Size		size = Max(mul_size(shape->units[l], capacity), 1);

		work->act[l] = AutomlAllocDoubles(size, "neural network activations");
		work->delta[l] = training && l > 0
			? AutomlAllocDoubles(size, "neural network gradients") : NULL;
	}
	work->grad = training
		? AutomlAllocDoubles(shape->n_params, "neural network gradients") : NULL;
}

static void
MlpWorkFree(MlpWork *work, const MlpShape *shape)
{
	for (int l = 0; l <= shape->n_layers; l++)
	{
		pfree(work->act[l]);
		if (work->delta[l])
			pfree(work->delta[l]);
	}
	if (work->grad)
		pfree(work->grad);
}

/*
 * Copy count rows of the column-major matrix x (ld rows, n_cols columns)
 * into work->act[0], one column per row.  The rows are rows[first ...], or
 * first, first + 1, ... when rows is NULL.
 */
static void
MlpGatherRows(MlpWork *work, const double *x, int ld, int n_cols,
			  const int *rows, int first, int count)
{
	double	   *dest = work->act[0];

	for (int j = 0; j < n_cols; j++)
	{
		const double *column = x + (Size) j * ld;

		for (int i = 0; i < count; i++)
		{
			int			row = rows ? rows[first + i] : first + i;

			dest[j + (Size) i * n_cols] = column[row];
		}
	}
}


/* Forward and backward passes */

/*
 * Compute act[l + 1] = relu(W_l' act[l] + b_l) for every layer, without the
 * ReLU on the output layer.
 */
static void
MlpForward(const MlpShape *shape, const double *theta, MlpWork *work, int count)
{
	for (int l = 0; l < shape->n_layers; l++)
	{
		int			n_in = shape->units[l];
		int			n_out = shape->units[l + 1];
		const double *bias = theta + shape->bias_offset[l];
		double	   *out = work->act[l + 1];
		Size		size = (Size) n_out * count;

		for (int i = 0; i < count; i++)
			memcpy(out + (Size) i * n_out, bias, sizeof(double) * n_out);
		LinalgGemm(true, false, n_out, count, n_in, 1.0,
				   theta + shape->weight_offset[l], Max(n_in, 1),
				   work->act[l], Max(n_in, 1), 1.0, out, n_out);
		if (l + 1 < shape->n_layers)
		{
			for (Size e = 0; e < size; e++)
				out[e] = Max(out[e], 0.0);
		}
	}
}

/*
 * Return the weighted loss sum_i w_i loss_i of the count rows in the output
 * buffer, whose targets are trainer->target[rows[first + i]].  When delta is
 * not NULL, also write there the gradient of the minibatch mean loss
 * (1 / count) sum_i w_i loss_i with respect to the outputs.  Classification
 * outputs are replaced by their probabilities.
 */
static double
MlpOutputLoss(const MlpTrainer *trainer, const int *rows, int first, int count,
			  double *delta)
{
	const MlpShape *shape = &trainer->model->shape;
	int			n_out = shape->units[shape->n_layers];
	double	   *output = trainer->work.act[shape->n_layers];
	double		loss = 0.0;

	for (int i = 0; i < count; i++)
	{
		int			row = rows[first + i];
		double		w = trainer->row_weight[row];
		double	   *z = output + (Size) i * n_out;
		double	   *d = delta ? delta + (Size) i * n_out : NULL;

		if (trainer->model->task == TASK_CLASSIFICATION)
		{
			int			label = (int) trainer->target[row];
			double		true_logit = z[label];

			loss += w * (LinalgSoftmax(z, n_out) - true_logit);
			if (d)
			{
				for (int k = 0; k < n_out; k++)
					d[k] = w * z[k] / count;
				d[label] -= w / count;
			}
		}
		else
		{
			double		residual = z[0] - trainer->target[row];

			loss += w * residual * residual;
			if (d)
				d[0] = 2.0 * w * residual / count;
		}
	}
	return loss;
}

/*
 * Backpropagate delta[n_layers] (filled by MlpOutputLoss) and write the
 * gradient of the minibatch objective, L2 term included, to work->grad.
 */
static void
MlpBackward(const MlpShape *shape, const double *theta, MlpWork *work,
			int count, double alpha)
{
	for (int l = shape->n_layers - 1; l >= 0; l--)
	{
		int			n_in = shape->units[l];
		int			n_out = shape->units[l + 1];
		const double *weights = theta + shape->weight_offset[l];
		double	   *grad_weights = work->grad + shape->weight_offset[l];
		double	   *grad_bias = work->grad + shape->bias_offset[l];
		const double *delta = work->delta[l + 1];
		Size		n_weights = (Size) n_in * n_out;

		/* Step 1: dW_l = act[l] delta' + alpha W_l, db_l = row sums of delta. */
		LinalgGemm(false, true, n_in, n_out, count, 1.0,
				   work->act[l], Max(n_in, 1), delta, n_out,
				   0.0, grad_weights, Max(n_in, 1));
		for (Size e = 0; e < n_weights; e++)
			grad_weights[e] += alpha * weights[e];
		memset(grad_bias, 0, sizeof(double) * n_out);
		for (int i = 0; i < count; i++)
			for (int k = 0; k < n_out; k++)
				grad_bias[k] += delta[k + (Size) i * n_out];

		/* Step 2: delta[l] = (W_l delta) masked by the ReLU of act[l]. */
		if (l > 0)
		{
			double	   *below = work->delta[l];
			Size		size = (Size) n_in * count;

			LinalgGemm(false, false, n_in, count, n_out, 1.0,
					   weights, n_in, delta, n_out, 0.0, below, n_in);
			for (Size e = 0; e < size; e++)
				if (work->act[l][e] <= 0.0)
					below[e] = 0.0;
		}
	}
}


/* Training */

/* A standard normal deviate by the Box-Muller transform. */
static double
StandardNormal(pg_prng_state *prng)
{
	double		u1 = 1.0 - pg_prng_double(prng);	/* in (0, 1] */
	double		u2 = pg_prng_double(prng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* He initialisation: W_l ~ N(0, 2 / units[l]), biases zero. */
static void
MlpInitWeights(const MlpShape *shape, double *theta, pg_prng_state *prng)
{
	for (int l = 0; l < shape->n_layers; l++)
	{
		Size		n_weights = (Size) shape->units[l] * shape->units[l + 1];
		double		sd = sqrt(2.0 / Max(shape->units[l], 1));
		double	   *weights = theta + shape->weight_offset[l];

		for (Size e = 0; e < n_weights; e++)
			weights[e] = sd * StandardNormal(prng);
		memset(theta + shape->bias_offset[l], 0,
			   sizeof(double) * shape->units[l + 1]);
	}
}

/*
 * Split the rows into training rows (first) and validation rows (last).
 * Each class (all rows, for regression) gives round(10%) of its rows, taken
 * in the seeded shuffled order.
 */
static void
MlpSplitRows(MlpTrainer *trainer)
{
	const TrainData *data = trainer->data;
	int			n = data->n_rows;
	int			n_groups = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	int		   *quota = palloc0(sizeof(int) * n_groups);
	int		   *shuffled = palloc(sizeof(int) * Max(n, 1));
	int			n_train = 0;
	int			n_valid = 0;

	for (int i = 0; i < n; i++)
		shuffled[i] = i;
	FamilyShuffle(shuffled, n, &trainer->prng);
	if (n >= MLP_MIN_ROWS_FOR_VALIDATION)
	{
		for (int i = 0; i < n; i++)
			quota[n_groups == 1 ? 0 : (int) data->y[i]]++;
		for (int g = 0; g < n_groups; g++)
			quota[g] = (int) floor(quota[g] * MLP_VALIDATION_FRACTION + 0.5);
	}
	for (int i = 0; i < n; i++)
	{
		int			row = shuffled[i];
		int			group = n_groups == 1 ? 0 : (int) data->y[row];

		if (quota[group] > 0)
		{
			quota[group]--;
			trainer->rows[n - 1 - n_valid++] = row;
		}
		else
			trainer->rows[n_train++] = row;
	}
	trainer->n_train = n_train;
	trainer->n_valid = n_valid;
	pfree(quota);
	pfree(shuffled);
}

/*
 * Fill row_weight (scaled to mean 1) and target: the class index, or the
 * target standardised by its weighted mean and standard deviation, which
 * the model keeps to undo the scaling at prediction.
 */
static void
MlpPrepareTargets(MlpTrainer *trainer)
{
	const TrainData *data = trainer->data;
	MlpModel   *model = trainer->model;
	int			n = data->n_rows;
	double		total = 0.0;
	double		mean = 0.0;
	double		variance = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		w = data->weights ? data->weights[i] : 1.0;

		if (!(w >= 0.0) || isinf(w))
			elog(ERROR, "mlp: row %d has invalid weight %g", i + 1, w);
		trainer->row_weight[i] = w;
		total += w;
		mean += w * data->y[i];
	}
	if (!(total > 0.0))
		elog(ERROR, "mlp: the training rows have no positive weight");
	mean /= total;
	for (int i = 0; i < n; i++)
	{
		variance += trainer->row_weight[i] * (data->y[i] - mean) * (data->y[i] - mean);
		trainer->row_weight[i] *= n / total;
	}

	model->target_mean = 0.0;
	model->target_scale = 1.0;
	if (data->task == TASK_REGRESSION)
	{
		double		sd = sqrt(variance / total);

		model->target_mean = mean;
		if (isfinite(sd) && sd > 1e-12 * Max(fabs(mean), 1.0))
			model->target_scale = sd;
	}
	for (int i = 0; i < n; i++)
		trainer->target[i] = (data->y[i] - model->target_mean) / model->target_scale;
}

static bool
DeadlinePassed(const FitControl *control)
{
	return control->deadline > 0 && AutomlNow() > control->deadline;
}

/*
 * Run one epoch over the reshuffled training rows and store its weighted
 * mean loss in *loss.  A deadline in mid-epoch ends the epoch early and sets
 * *deadline_hit.  Returns false when the deadline passed before the first
 * minibatch, so that no epoch took place.
 */
static bool
MlpRunEpoch(MlpTrainer *trainer, const FitControl *control, double *loss,
			bool *deadline_hit)
{
	const TrainData *data = trainer->data;
	MlpModel   *model = trainer->model;
	double		loss_sum = 0.0;
	double		weight_sum = 0.0;
	int			start;

	FamilyShuffle(trainer->rows, trainer->n_train, &trainer->prng);
	for (start = 0; start < trainer->n_train; start += trainer->batch_size)
	{
		int			count = Min(trainer->batch_size, trainer->n_train - start);

		CHECK_FOR_INTERRUPTS();
		if (DeadlinePassed(control))
		{
			*deadline_hit = true;
			break;
		}
		MlpGatherRows(&trainer->work, data->x, data->n_rows, data->n_cols,
					  trainer->rows, start, count);
		MlpForward(&model->shape, model->theta, &trainer->work, count);
		loss_sum += MlpOutputLoss(trainer, trainer->rows, start, count,
								  trainer->work.delta[model->shape.n_layers]);
		for (int i = 0; i < count; i++)
			weight_sum += trainer->row_weight[trainer->rows[start + i]];
		MlpBackward(&model->shape, model->theta, &trainer->work, count,
					trainer->alpha);
		AdamStep(&trainer->adam, model->theta, trainer->work.grad);
	}
	*loss = weight_sum > 0.0 ? loss_sum / weight_sum : 0.0;
	return start > 0;
}

/* Return the weighted mean loss of the validation rows. */
static double
MlpValidationLoss(MlpTrainer *trainer)
{
	const TrainData *data = trainer->data;
	MlpModel   *model = trainer->model;
	const int  *rows = trainer->rows + trainer->n_train;
	double		loss_sum = 0.0;
	double		weight_sum = 0.0;

	for (int start = 0; start < trainer->n_valid; start += trainer->work.capacity)
	{
		int			count = Min(trainer->work.capacity, trainer->n_valid - start);

		MlpGatherRows(&trainer->work, data->x, data->n_rows, data->n_cols,
					  rows, start, count);
		MlpForward(&model->shape, model->theta, &trainer->work, count);
		loss_sum += MlpOutputLoss(trainer, rows, start, count, NULL);
		for (int i = 0; i < count; i++)
			weight_sum += trainer->row_weight[rows[start + i]];
	}
	return weight_sum > 0.0 ? loss_sum / weight_sum : 0.0;
}

/*
 * The epoch loop with early stopping.  best_theta starts as the initial
 * weights, so a model whose losses are never finite keeps those.
 */
static void
MlpTrain(MlpTrainer *trainer, const FitControl *control)
{
	MlpModel   *model = trainer->model;
	Size		n_params = model->shape.n_params;
	double	   *best_theta = AutomlAllocDoubles(n_params, "neural network weights");
	double		best_loss = INFINITY;
	int			epochs_since_best = 0;
	bool		deadline_hit = false;

	memcpy(best_theta, model->theta, sizeof(double) * n_params);
	model->stop_reason = MLP_STOP_MAX_EPOCHS;
	while (model->n_epochs < trainer->max_epochs)
	{
		double		train_loss;
		double		validation_loss;

		CHECK_FOR_INTERRUPTS();
		if (!MlpRunEpoch(trainer, control, &train_loss, &deadline_hit))
		{
			model->stop_reason = MLP_STOP_DEADLINE;
			break;
		}
		validation_loss = trainer->n_valid > 0
			? MlpValidationLoss(trainer) : train_loss;
		model->train_loss[model->n_epochs] = train_loss;
		model->validation_loss[model->n_epochs] = validation_loss;
		model->n_epochs++;

		if (validation_loss < best_loss)
		{
			best_loss = validation_loss;
			model->best_epoch = model->n_epochs;
			memcpy(best_theta, model->theta, sizeof(double) * n_params);
			epochs_since_best = 0;
		}
		else if (++epochs_since_best >= trainer->patience)
		{
			model->stop_reason = MLP_STOP_PATIENCE;
			break;
		}
		if (model->n_epochs < trainer->max_epochs &&
			(deadline_hit || DeadlinePassed(control)))
		{
			model->stop_reason = MLP_STOP_DEADLINE;
			break;
		}
	}
	memcpy(model->theta, best_theta, sizeof(double) * n_params);
	pfree(best_theta);
}

/* Read a PARAM_INT hyperparameter, rounded and clamped to [low, high]. */
static int
IntParam(const double *config, int index, int low, int high)
{
	double		value = rint(config[index]);

	return (int) Min(Max(value, (double) low), (double) high);
}

static void
MlpCheckInput(const TrainData *data, double learning_rate, double alpha)
{
	if (data->n_rows < 1 || data->n_cols < 0 || data->n_cols > MLP_MAX_COLS)
		elog(ERROR, "mlp: invalid training matrix of %d x %d",
			 data->n_rows, data->n_cols);
	if (data->task == TASK_CLASSIFICATION &&
		(data->n_classes < 1 || data->n_classes > MLP_MAX_OUTPUTS))
		elog(ERROR, "mlp: invalid class count %d", data->n_classes);
	for (int i = 0; data->task == TASK_CLASSIFICATION && i < data->n_rows; i++)
	{
		double		y = data->y[i];

		if (!(y >= 0.0 && y < data->n_classes && y == floor(y)))
			elog(ERROR, "mlp: row %d has invalid class index %g", i + 1, y);
	}
	if (!(learning_rate > 0.0) || !isfinite(learning_rate))
		elog(ERROR, "mlp: invalid learning rate %g", learning_rate);
	if (!(alpha >= 0.0) || !isfinite(alpha))
		elog(ERROR, "mlp: invalid alpha %g", alpha);
}

/*
 * Allocate the model and the trainer's buffers for the configuration and
 * draw the initial weights.
 */
static MlpModel *
MlpSetUp(MlpTrainer *trainer, const TrainData *data, const double *config,
		 const FitControl *control)
{
	MlpModel   *model = palloc0(sizeof(MlpModel));
	int			n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;

	model->task = data->task;
	MlpShapeInit(&model->shape, data->n_cols,
				 IntParam(config, MLP_PARAM_HIDDEN_LAYERS, 1, MLP_MAX_LAYERS - 1),
				 IntParam(config, MLP_PARAM_HIDDEN_UNITS, 1, MLP_MAX_UNITS),
				 n_outputs);
	model->theta = AutomlAllocDoubles(model->shape.n_params, "neural network weights");

	trainer->data = data;
	trainer->model = model;
	trainer->alpha = config[MLP_PARAM_ALPHA];
	trainer->max_epochs = IntParam(config, MLP_PARAM_MAX_EPOCHS, 1, MLP_MAX_EPOCHS);
	trainer->patience = IntParam(config, MLP_PARAM_PATIENCE, 1, MLP_MAX_EPOCHS);
	trainer->rows = palloc_extended(sizeof(int) * data->n_rows, MCXT_ALLOC_HUGE);
	trainer->row_weight = AutomlAllocDoubles(data->n_rows, "neural network row weights");
	trainer->target = AutomlAllocDoubles(data->n_rows, "neural network targets");
	model->train_loss = AutomlAllocDoubles(trainer->max_epochs, "neural network loss curve");
	model->validation_loss = AutomlAllocDoubles(trainer->max_epochs,
												"neural network loss curve");
	pg_prng_seed(&trainer->prng, control->seed);

	MlpInitWeights(&model->shape, model->theta, &trainer->prng);
	MlpPrepareTargets(trainer);
	MlpSplitRows(trainer);
	model->validation_rows = trainer->n_valid;
	trainer->batch_size = Min(IntParam(config, MLP_PARAM_BATCH_SIZE, 1, INT_MAX),
							  trainer->n_train);
	MlpWorkInit(&trainer->work, &model->shape,
				Max(trainer->batch_size, Min(trainer->n_valid, MLP_PREDICT_CHUNK)), true);
	AdamInit(&trainer->adam, model->shape.n_params, config[MLP_PARAM_LEARNING_RATE]);
	return model;
}

/*
 * Fit a multilayer perceptron; the file header gives the objective, the
 * training algorithm and the stopping rule.
 */
static void *
MlpFit(const TrainData *data, const double *config, const FitControl *control)
{
	MlpTrainer	trainer = {0};
	MlpModel   *model;

	MlpCheckInput(data, config[MLP_PARAM_LEARNING_RATE], config[MLP_PARAM_ALPHA]);
	model = MlpSetUp(&trainer, data, config, control);
	MlpTrain(&trainer, control);

	elog(DEBUG1, "mlp: %d epochs, best epoch %d, stopped by %s",
		 model->n_epochs, model->best_epoch, mlp_stop_names[model->stop_reason]);
	AdamFree(&trainer.adam);
	MlpWorkFree(&trainer.work, &model->shape);
	pfree(trainer.rows);
	pfree(trainer.row_weight);
	pfree(trainer.target);
	return model;
}


/* Prediction, storage and inspection */

static void
MlpPredict(const void *opaque, const double *x, int n_rows, int n_cols,
		   double *out)
{
	const MlpModel *model = opaque;
	const MlpShape *shape = &model->shape;
	int			n_out = shape->units[shape->n_layers];
	MlpWork		work;

	if (n_cols != shape->units[0])
		elog(ERROR, "mlp: model was trained on %d columns but received %d",
			 shape->units[0], n_cols);
	if (n_rows <= 0)
		return;
	MlpWorkInit(&work, shape, Min(n_rows, MLP_PREDICT_CHUNK), false);
	for (int start = 0; start < n_rows; start += work.capacity)
	{
		int			count = Min(work.capacity, n_rows - start);
		const double *output = work.act[shape->n_layers];

		MlpGatherRows(&work, x, n_rows, n_cols, NULL, start, count);
		MlpForward(shape, model->theta, &work, count);
		for (int i = 0; i < count; i++)
		{
			double	   *dest = out + (Size) (start + i) * n_out;

			memcpy(dest, output + (Size) i * n_out, sizeof(double) * n_out);
			if (model->task == TASK_CLASSIFICATION)
				LinalgSoftmax(dest, n_out);
			else
				dest[0] = model->target_mean + model->target_scale * dest[0];
		}
	}
	MlpWorkFree(&work, shape);
}

/*
 * Format: task, weight layer count, and the input, hidden and output unit
 * counts as int32 (every hidden layer has the same width).  Then the
 * parameter vector, the target mean and scale, the epoch count, best epoch,
 * stop reason and validation row count as int32, and both loss curves.
 */
static void
MlpSerialize(const void *opaque, StringInfo buf)
{
	const MlpModel *model = opaque;
	const MlpShape *shape = &model->shape;

	SerialPutInt32(buf, (int32) model->task);
	SerialPutInt32(buf, shape->n_layers);
	SerialPutInt32(buf, shape->units[0]);
	SerialPutInt32(buf, shape->units[1]);
	SerialPutInt32(buf, shape->units[shape->n_layers]);
	SerialPutFloat64Array(buf, model->theta, shape->n_params);
	SerialPutFloat64(buf, model->target_mean);
	SerialPutFloat64(buf, model->target_scale);
	SerialPutInt32(buf, model->n_epochs);
	SerialPutInt32(buf, model->best_epoch);
	SerialPutInt32(buf, (int32) model->stop_reason);
	SerialPutInt32(buf, model->validation_rows);
	SerialPutFloat64Array(buf, model->train_loss, model->n_epochs);
	SerialPutFloat64Array(buf, model->validation_loss, model->n_epochs);
}

static void
MlpReadShape(SerialReader *reader, TaskKind task, MlpShape *shape)
{
	int			n_layers;
	int			n_inputs;
	int			hidden_units;
	int			n_outputs;

	n_layers = SerialGetInt32InRange(reader, 2, MLP_MAX_LAYERS, "weight layer count");
	n_inputs = SerialGetInt32InRange(reader, 0, MLP_MAX_COLS, "column count");
	hidden_units = SerialGetInt32InRange(reader, 1, MLP_MAX_UNITS, "hidden unit count");
	n_outputs = SerialGetInt32InRange(reader, 1,
									  task == TASK_CLASSIFICATION ? MLP_MAX_OUTPUTS : 1,
									  "output count");
	MlpShapeInit(shape, n_inputs, n_layers - 1, hidden_units, n_outputs);
}

static void *
MlpDeserialize(SerialReader *reader)
{
	MlpModel   *model = palloc0(sizeof(MlpModel));

	model->task = (TaskKind) SerialGetInt32InRange(reader, TASK_CLASSIFICATION,
												   TASK_REGRESSION, "task kind");
	MlpReadShape(reader, model->task, &model->shape);
	model->theta = SerialReadFloat64Array(reader, model->shape.n_params);
	model->target_mean = SerialGetFloat64(reader);
	model->target_scale = SerialGetFloat64(reader);
	model->n_epochs = SerialGetInt32InRange(reader, 0, MLP_MAX_EPOCHS, "epoch count");
	model->best_epoch = SerialGetInt32InRange(reader, 0, model->n_epochs, "best epoch");
	model->stop_reason = (MlpStopReason)
		SerialGetInt32InRange(reader, MLP_STOP_MAX_EPOCHS, MLP_STOP_DEADLINE, "stop reason");
	model->validation_rows = SerialGetInt32InRange(reader, 0, INT_MAX, "validation row count");
	model->train_loss = SerialReadFloat64Array(reader, model->n_epochs);
	model->validation_loss = SerialReadFloat64Array(reader, model->n_epochs);
	return model;
}

/*
 * Importance of input j: sum over first hidden units u of |W_0[j, u]| times
 * the Euclidean norm of u's outgoing weights (row u of W_1), normalised to
 * sum 1.  This proxy reads the weights only and permutes no data.  It
 * ignores the ReLU, so an input whose weights lead only into units that are
 * never active still scores.
 */
static void
MlpImportance(const void *opaque, int n_cols, double *out)
{
	const MlpModel *model = opaque;
	const MlpShape *shape = &model->shape;
	int			n_hidden = shape->units[1];
	int			n_next = shape->units[2];
	const double *first = model->theta + shape->weight_offset[0];
	const double *second = model->theta + shape->weight_offset[1];
	double		total = 0.0;

	if (n_cols != shape->units[0])
		elog(ERROR, "mlp: model has %d columns, importance requested for %d",
			 shape->units[0], n_cols);
	memset(out, 0, sizeof(double) * n_cols);
	for (int u = 0; u < n_hidden; u++)
	{
		double		norm = 0.0;

		for (int k = 0; k < n_next; k++)
			norm += second[u + (Size) k * n_hidden] * second[u + (Size) k * n_hidden];
		norm = sqrt(norm);
		for (int j = 0; j < n_cols; j++)
			out[j] += fabs(first[j + (Size) u * n_cols]) * norm;
	}
	for (int j = 0; j < n_cols; j++)
		total += out[j];
	for (int j = 0; j < n_cols && total > 0.0; j++)
		out[j] /= total;
}

/* Append a JSON number, or null when the value is not finite. */
static void
AppendJsonNumber(StringInfo buf, double value)
{
	if (isfinite(value))
		appendStringInfo(buf, "%.6g", value);
	else
		appendStringInfoString(buf, "null");
}

static void
AppendJsonArray(StringInfo buf, const char *key, const double *values, int n)
{
	appendStringInfo(buf, ", \"%s\": [", key);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		AppendJsonNumber(buf, values[i]);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * The network's layer sizes, the training curve and how training stopped.
 * Losses are per row: cross-entropy in nats, or the mean squared error of
 * the standardised target.
 */
static void
MlpDescribe(const void *opaque, StringInfo buf)
{
	const MlpModel *model = opaque;
	const MlpShape *shape = &model->shape;

	appendStringInfoString(buf, "{\"layers\": [");
	for (int l = 0; l <= shape->n_layers; l++)
		appendStringInfo(buf, "%s%d", l ? ", " : "", shape->units[l]);
	appendStringInfo(buf, "], \"loss\": \"%s\", \"epochs\": %d, \"best_epoch\": %d, "
					 "\"stopped_by\": \"%s\", \"validation_rows\": %d",
					 model->task == TASK_CLASSIFICATION ? "cross_entropy" : "squared_error",
					 model->n_epochs, model->best_epoch,
					 mlp_stop_names[model->stop_reason], model->validation_rows);
	if (model->task == TASK_REGRESSION)
	{
		appendStringInfoString(buf, ", \"target_mean\": ");
		AppendJsonNumber(buf, model->target_mean);
		appendStringInfoString(buf, ", \"target_scale\": ");
		AppendJsonNumber(buf, model->target_scale);
	}
	AppendJsonArray(buf, "train_loss", model->train_loss, model->n_epochs);
	AppendJsonArray(buf, "validation_loss", model->validation_loss, model->n_epochs);
	appendStringInfoChar(buf, '}');
}

const ModelFamily mlp_family = {
	.name = "mlp",
	.description = "multilayer perceptron with ReLU hidden layers, trained by Adam with early stopping",
	.supports_classification = true,
	.supports_regression = true,
	.params = mlp_params,
	.n_params = lengthof(mlp_params),
	.fit = MlpFit,
	.predict = MlpPredict,
	.serialize = MlpSerialize,
	.deserialize = MlpDeserialize,
	.importance = MlpImportance,
	.describe = MlpDescribe,
};
