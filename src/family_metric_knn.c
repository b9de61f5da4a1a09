/*
 * family_metric_knn.c
 *		k-nearest-neighbour classification in a learned linear embedding
 *		("metric_knn").
 *
 * Embedding: z = L x, where L is d x p and d = min(embedding_dim, p).  When
 * d = p, L starts as the identity, so an untrained model (epochs 0) is plain
 * kNN on the preprocessed inputs.  When d < p, L starts as the projection on
 * the d leading principal components of the training rows.  Above
 * METRIC_KNN_PCA_MAX_COLS columns the eigendecomposition would cost too much,
 * and L starts as the first d rows of the identity instead.
 *
 * Objective: the mean over mined triplets of the triplet loss
 *		max(d(a, p) - d(a, n) + margin, 0),  d(u, v) = ||L u - L v||^2,
 * where the anchor a and positive p share a class and the negative n has
 * another class.  This is the triplet loss of Schroff, Kalenichenko and
 * Philbin, "FaceNet: A Unified Embedding for Face Recognition and
 * Clustering" (CVPR 2015), which also defines the semi-hard negatives used
 * below.  Here the embedding is a linear map, and each triplet counts with
 * its anchor's row weight.
 *
 * Mining rule: each epoch deals the rows, shuffled by the generator seeded
 * from control->seed, into minibatches of METRIC_KNN_BATCH rows.  Every row
 * of a minibatch is the anchor of one triplet, with rows of the same
 * minibatch only:
 *	- the positive is drawn uniformly from the other rows of its class;
 *	- the negative is the semi-hard one, d(a, p) < d(a, n) < d(a, p) + margin,
 *	  with the smallest d(a, n); when no negative is semi-hard, it is drawn
 *	  uniformly from the rows of other classes.
 * An anchor with no positive or no negative in its minibatch is skipped.
 * Distances come from L as it is before the minibatch's update.
 *
 * Optimisation: one Adam step (adam.h) per minibatch.  The gradient of the
 * minibatch's weighted mean loss is the sum over its active triplets t
 * (those with a loss above zero) of
 *		(2 w_t / W) [L (a - p)(a - p)' - L (a - n)(a - n)'],
 * where W is the total anchor weight of the minibatch's triplets.
 *
 * Stopping rule: after the given number of epochs, at the fit deadline
 * (checked per minibatch), or when an epoch forms no triplet.  The epoch's
 * weighted mean triplet loss and fraction of active triplets are recorded.
 *
 * Prediction: the embedded training rows are stored (a seeded uniform sample
 * of METRIC_KNN_MAX_STORED rows when there are more), and a query's class
 * probabilities are the votes of its n_neighbors nearest stored rows in the
 * embedding, each weighing its row weight / (Euclidean distance +
 * METRIC_KNN_DISTANCE_FLOOR), normalised to sum 1.  Classes without a vote
 * get probability zero.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "adam.h"
#include "family.h"
#include "linalg.h"

/* Index of each hyperparameter in the config vector. */
#define METRIC_PARAM_MARGIN			0
#define METRIC_PARAM_LEARNING_RATE	1
#define METRIC_PARAM_EPOCHS			2
#define METRIC_PARAM_NEIGHBORS		3
#define METRIC_PARAM_EMBEDDING_DIM	4

#define METRIC_KNN_BATCH			128
#define METRIC_KNN_MAX_STORED		20000
#define METRIC_KNN_PCA_MAX_COLS		1000
#define METRIC_KNN_DISTANCE_FLOOR	1e-9

/* Queries embedded and compared with the stored rows at once. */
#define METRIC_KNN_QUERY_CHUNK		64

/* Bounds used to validate a deserialised model. */
#define METRIC_KNN_MAX_COLS			10000000
#define METRIC_KNN_MAX_CLASSES		100000
#define METRIC_KNN_MAX_DIM			64
#define METRIC_KNN_MAX_NEIGHBORS	50
#define METRIC_KNN_MAX_EPOCHS		1000

typedef enum MetricInit
{
	METRIC_INIT_IDENTITY,
	METRIC_INIT_PCA,
	METRIC_INIT_FIRST_COLUMNS
} MetricInit;

static const char *const metric_init_names[] = {"identity", "pca", "first_columns"};

static const ParamSpec metric_knn_params[] = {
	{"margin", PARAM_REAL, 0.1, 2.0, 1.0, NULL, 0},
	{"learning_rate", PARAM_LOG_REAL, 1e-4, 1e-1, 1e-2, NULL, 0},
	{"epochs", PARAM_INT, 5, 200, 50, NULL, 0, 0, METRIC_KNN_MAX_EPOCHS},
	{"n_neighbors", PARAM_INT, 1, METRIC_KNN_MAX_NEIGHBORS, 5, NULL, 0},
	{"embedding_dim", PARAM_INT, 2, METRIC_KNN_MAX_DIM, 16, NULL, 0},
};

typedef struct MetricKnnModel
{
	int			n_cols;			/* p */
	int			dim;			/* d */
	int			n_classes;
	int			n_neighbors;
	MetricInit	init;
	int			n_stored;
	int			n_epochs;		/* epochs run */
	double	   *embedding;		/* L, d x p, column-major */
	double	   *stored;			/* d x n_stored, one embedded row per column */
	double	   *stored_norm;	/* squared norm of each stored column */
	int32	   *labels;			/* class of each stored row */
	double	   *vote_weight;	/* row weight of each stored row */
	double	   *loss;			/* per epoch: weighted mean triplet loss */
	double	   *active;			/* per epoch: fraction of active triplets */
} MetricKnnModel;

/* Buffers for one minibatch, one column per row or per triplet. */
typedef struct MetricTrainer
{
	const TrainData *data;
	MetricKnnModel *model;
	double		margin;
	int			epochs;
	int		   *rows;			/* every row, reshuffled each epoch */
	int			batch;			/* rows per minibatch */
	int		   *batch_labels;	/* batch values */
	double	   *inputs;			/* p x batch */
	double	   *embedded;		/* d x batch */
	double	   *gram;			/* batch x batch inner products of embedded */
	double	   *diff_positive;	/* p x batch: a - p of active triplets */
	double	   *diff_negative;	/* p x batch: a - n of active triplets */
	double	   *embedded_positive;	/* d x batch: w L (a - p) */
	double	   *embedded_negative;	/* d x batch: w L (a - n) */
	double	   *grad;			/* d x p */
	AdamState	adam;
	pg_prng_state prng;
} MetricTrainer;

/* Triplet counts and sums of one epoch. */
typedef struct EpochStats
{
	double		loss_sum;		/* sum of w_t loss_t */
	double		weight_sum;		/* sum of w_t */
	int64		n_triplets;
	int64		n_active;
} EpochStats;


static inline double
RowWeight(const TrainData *data, int row)
{
	return data->weights ? data->weights[row] : 1.0;
}

static bool
DeadlinePassed(const FitControl *control)
{
	return control->deadline > 0 && AutomlNow() > control->deadline;
}

/*
 * Copy rows[first ...] (count rows) of the column-major data matrix into
 * dest, p x count, one column per row.
 */
static void
GatherRows(const TrainData *data, const int *rows, int first, int count,
		   double *dest)
{
	int			p = data->n_cols;

	for (int j = 0; j < p; j++)
	{
		const double *column = data->x + (Size) j * data->n_rows;

		for (int i = 0; i < count; i++)
			dest[j + (Size) i * p] = column[rows[first + i]];
	}
}


/* Initial embedding */

/*
 * Set L to the d leading principal components of the rows (unweighted), one
 * per row of L, from the eigendecomposition of their covariance matrix.
 * Returns false when the eigensolver fails.
 */
static bool
InitPca(const TrainData *data, int d, double *embedding)
{
	int			n = data->n_rows;
	int			p = data->n_cols;
	double	   *covariance = AutomlAllocDoubles((Size) p * p, "metric_knn covariance");
	double	   *mean = AutomlAllocDoubles(p, "metric_knn column means");
	double	   *eigenvalues = AutomlAllocDoubles(p, "metric_knn eigenvalues");
	bool		ok;

	for (int j = 0; j < p; j++)
	{
		for (int i = 0; i < n; i++)
			mean[j] += data->x[i + (Size) j * n];
		mean[j] /= n;
	}
	LinalgGemm(true, false, p, p, n, 1.0 / n, data->x, n, data->x, n,
			   0.0, covariance, p);
	for (int j = 0; j < p; j++)
		for (int k = 0; k < p; k++)
			covariance[j + (Size) k * p] -= mean[j] * mean[k];

	/* Eigenvalues come in ascending order, so component r is column p-1-r. */
	ok = LinalgSymmetricEigen(p, covariance, eigenvalues);
	for (int r = 0; ok && r < d; r++)
		for (int j = 0; j < p; j++)
			embedding[r + (Size) j * d] = covariance[j + (Size) (p - 1 - r) * p];

	pfree(covariance);
	pfree(mean);
	pfree(eigenvalues);
	return ok;
}

static void
InitEmbedding(const TrainData *data, MetricKnnModel *model)
{
	int			d = model->dim;
	int			p = model->n_cols;

	model->init = d == p ? METRIC_INIT_IDENTITY : METRIC_INIT_FIRST_COLUMNS;
	if (d < p && p <= METRIC_KNN_PCA_MAX_COLS && InitPca(data, d, model->embedding))
	{
		model->init = METRIC_INIT_PCA;
		return;
	}
	memset(model->embedding, 0, sizeof(double) * d * p);
	for (int r = 0; r < d; r++)
		model->embedding[r + (Size) r * d] = 1.0;
}


/* Triplet mining and training */

/* Squared embedded distance of batch rows i and j, from the Gram matrix. */
static inline double
PairDistance(const MetricTrainer *trainer, int count, int i, int j)
{
	const double *gram = trainer->gram;
	double		value = gram[i + (Size) i * count] + gram[j + (Size) j * count]
		- 2.0 * gram[i + (Size) j * count];

	return Max(value, 0.0);
}

/* Return the index of the pick-th batch row (from 0) that has or lacks label. */
static int
NthRow(const MetricTrainer *trainer, int count, int anchor, bool same_class,
	   uint64 pick)
{
	int			label = trainer->batch_labels[anchor];

	for (int j = 0; j < count; j++)
	{
		if (j == anchor || (trainer->batch_labels[j] == label) != same_class)
			continue;
		if (pick-- == 0)
			return j;
	}
	elog(ERROR, "metric_knn: triplet candidate out of range");
	return -1;					/* keep compiler quiet */
}

/*
 * Choose the positive and negative of anchor by the mining rule in the
 * file header.  Returns false when the minibatch has no positive or no
 * negative for it.
 */
static bool
MineTriplet(MetricTrainer *trainer, int count, int anchor, int *positive,
			int *negative)
{
	int			label = trainer->batch_labels[anchor];
	int			n_positive = 0;
	int			n_negative = 0;
	double		positive_distance;
	double		best_distance = 0.0;

	for (int j = 0; j < count; j++)
	{
		if (j == anchor)
			continue;
		if (trainer->batch_labels[j] == label)
			n_positive++;
		else
			n_negative++;
	}
	if (n_positive == 0 || n_negative == 0)
		return false;

	*positive = NthRow(trainer, count, anchor, true,
					   pg_prng_uint64_range(&trainer->prng, 0, n_positive - 1));
	positive_distance = PairDistance(trainer, count, anchor, *positive);
	*negative = -1;
	for (int j = 0; j < count; j++)
	{
		double		distance;

		if (trainer->batch_labels[j] == label)
			continue;
		distance = PairDistance(trainer, count, anchor, j);
		if (distance > positive_distance &&
			distance < positive_distance + trainer->margin &&
			(*negative < 0 || distance < best_distance))
		{
			*negative = j;
			best_distance = distance;
		}
	}
	if (*negative < 0)
		*negative = NthRow(trainer, count, anchor, false,
						   pg_prng_uint64_range(&trainer->prng, 0, n_negative - 1));
	return true;
}

/*
 * Store column t of the active-triplet buffers: the input difference of
 * rows i and j and the same difference embedded, times weight.
 */
static void
StoreDifference(const MetricTrainer *trainer, int t, int i, int j, double weight,
				double *diff, double *embedded_diff)
{
	int			p = trainer->data->n_cols;
	int			d = trainer->model->dim;
	const double *x_i = trainer->inputs + (Size) i * p;
	const double *x_j = trainer->inputs + (Size) j * p;
	const double *z_i = trainer->embedded + (Size) i * d;
	const double *z_j = trainer->embedded + (Size) j * d;

	for (int c = 0; c < p; c++)
		diff[c + (Size) t * p] = x_i[c] - x_j[c];
	for (int r = 0; r < d; r++)
		embedded_diff[r + (Size) t * d] = weight * (z_i[r] - z_j[r]);
}

/*
 * Mine one triplet per anchor of the minibatch, add them to stats, store
 * the active ones and return how many are active.  *batch_weight receives
 * the total anchor weight of the minibatch's triplets.
 */
static int
MineBatch(MetricTrainer *trainer, int first, int count, EpochStats *stats,
		  double *batch_weight)
{
	int			n_active = 0;

	*batch_weight = 0.0;
	for (int a = 0; a < count; a++)
	{
		int			positive;
		int			negative;
		double		w = RowWeight(trainer->data, trainer->rows[first + a]);
		double		loss;

		if (!MineTriplet(trainer, count, a, &positive, &negative))
			continue;
		loss = PairDistance(trainer, count, a, positive)
			- PairDistance(trainer, count, a, negative) + trainer->margin;
		stats->n_triplets++;
		stats->weight_sum += w;
		*batch_weight += w;
		if (loss <= 0.0 || w <= 0.0)
			continue;
		stats->n_active++;
		stats->loss_sum += w * loss;
		StoreDifference(trainer, n_active, a, positive, w,
						trainer->diff_positive, trainer->embedded_positive);
		StoreDifference(trainer, n_active, a, negative, w,
						trainer->diff_negative, trainer->embedded_negative);
		n_active++;
	}
	return n_active;
}

/* Embed the minibatch, mine its triplets and take one Adam step on L. */
static void
RunBatch(MetricTrainer *trainer, int first, int count, EpochStats *stats)
{
	const TrainData *data = trainer->data;
	MetricKnnModel *model = trainer->model;
	int			p = data->n_cols;
	int			d = model->dim;
	int			n_active;
	double		batch_weight;

	/* Step 1: inputs, their embedding and its Gram matrix. */
	GatherRows(data, trainer->rows, first, count, trainer->inputs);
	for (int i = 0; i < count; i++)
		trainer->batch_labels[i] = (int) data->y[trainer->rows[first + i]];
	LinalgGemm(false, false, d, count, p, 1.0, model->embedding, d,
			   trainer->inputs, p, 0.0, trainer->embedded, d);
	LinalgGemm(true, false, count, count, d, 1.0, trainer->embedded, d,
			   trainer->embedded, d, 0.0, trainer->gram, count);

	/* Step 2: triplets. */
	n_active = MineBatch(trainer, first, count, stats, &batch_weight);
	if (n_active == 0 || !(batch_weight > 0.0))
		return;

	/* Step 3: gradient (2 / W) (Zp Dp' - Zn Dn') and the Adam step. */
	LinalgGemm(false, true, d, p, n_active, 2.0 / batch_weight,
			   trainer->embedded_positive, d, trainer->diff_positive, p,
			   0.0, trainer->grad, d);
	LinalgGemm(false, true, d, p, n_active, -2.0 / batch_weight,
			   trainer->embedded_negative, d, trainer->diff_negative, p,
			   1.0, trainer->grad, d);
	AdamStep(&trainer->adam, model->embedding, trainer->grad);
}

/*
 * The epoch loop; see the file header for the stopping rule.  A deadline
 * in mid-epoch ends the epoch early and records it.
 */
static void
TrainEmbedding(MetricTrainer *trainer, const FitControl *control)
{
	MetricKnnModel *model = trainer->model;
	int			n = trainer->data->n_rows;
	bool		deadline_hit = false;

	while (model->n_epochs < trainer->epochs && !deadline_hit)
	{
		EpochStats	stats = {0};

		CHECK_FOR_INTERRUPTS();
		FamilyShuffle(trainer->rows, n, &trainer->prng);
		for (int first = 0; first < n; first += trainer->batch)
		{
			CHECK_FOR_INTERRUPTS();
			if (DeadlinePassed(control))
			{
				deadline_hit = true;
				break;
			}
			RunBatch(trainer, first, Min(trainer->batch, n - first), &stats);
		}
		if (stats.n_triplets == 0)
			break;
		model->loss[model->n_epochs] = stats.weight_sum > 0.0
			? stats.loss_sum / stats.weight_sum : 0.0;
		model->active[model->n_epochs] = (double) stats.n_active / stats.n_triplets;
		model->n_epochs++;
	}
}

/*
 * Embed the rows with positive weight, or a seeded uniform sample of
 * METRIC_KNN_MAX_STORED of them, as the neighbours searched at prediction.
 */
static void
StoreRows(MetricTrainer *trainer)
{
	const TrainData *data = trainer->data;
	MetricKnnModel *model = trainer->model;
	int			d = model->dim;
	int			n_candidates = 0;

	for (int i = 0; i < data->n_rows; i++)
		if (RowWeight(data, i) > 0.0)
			trainer->rows[n_candidates++] = i;
	/* A partial Fisher-Yates shuffle leaves the sample in rows[0..m-1]. */
	model->n_stored = Min(n_candidates, METRIC_KNN_MAX_STORED);
	for (int i = 0; model->n_stored < n_candidates && i < model->n_stored; i++)
	{
		int			j = (int) pg_prng_uint64_range(&trainer->prng, i, n_candidates - 1);
		int			tmp = trainer->rows[i];

		trainer->rows[i] = trainer->rows[j];
		trainer->rows[j] = tmp;
	}

	model->stored = AutomlAllocDoubles(Max((Size) d * model->n_stored, 1),
									   "metric_knn stored rows");
	model->labels = palloc_extended(sizeof(int32) * Max(model->n_stored, 1),
									MCXT_ALLOC_HUGE);
	model->vote_weight = AutomlAllocDoubles(Max(model->n_stored, 1),
											"metric_knn stored rows");
	for (int first = 0; first < model->n_stored; first += trainer->batch)
	{
		int			count = Min(trainer->batch, model->n_stored - first);

		CHECK_FOR_INTERRUPTS();
		GatherRows(data, trainer->rows, first, count, trainer->inputs);
		LinalgGemm(false, false, d, count, data->n_cols, 1.0, model->embedding,
				   Max(d, 1), trainer->inputs, Max(data->n_cols, 1), 0.0,
				   model->stored + (Size) first * d, Max(d, 1));
	}
	for (int s = 0; s < model->n_stored; s++)
	{
		model->labels[s] = (int32) data->y[trainer->rows[s]];
		model->vote_weight[s] = RowWeight(data, trainer->rows[s]);
	}
}

/* Compute the squared norm of every stored column, used at prediction. */
static void
ComputeStoredNorms(MetricKnnModel *model)
{
	model->stored_norm = AutomlAllocDoubles(Max(model->n_stored, 1),
											"metric_knn stored rows");
	for (int s = 0; s < model->n_stored; s++)
	{
		const double *z = model->stored + (Size) s * model->dim;

		for (int r = 0; r < model->dim; r++)
			model->stored_norm[s] += z[r] * z[r];
	}
}

static void
CheckInput(const TrainData *data, double margin, double learning_rate)
{
	if (data->task != TASK_CLASSIFICATION ||
		data->n_classes < 1 || data->n_classes > METRIC_KNN_MAX_CLASSES)
		elog(ERROR, "metric_knn: cannot fit a %s task with %d classes",
			 TaskKindName(data->task), data->n_classes);
	if (data->n_rows < 0 || data->n_cols < 0 || data->n_cols > METRIC_KNN_MAX_COLS)
		elog(ERROR, "metric_knn: invalid training matrix of %d x %d",
			 data->n_rows, data->n_cols);
	for (int i = 0; i < data->n_rows; i++)
	{
		double		y = data->y[i];
		double		w = RowWeight(data, i);

		if (!(y >= 0.0 && y < data->n_classes && y == floor(y)))
			elog(ERROR, "metric_knn: row %d has invalid class index %g", i + 1, y);
		if (!(w >= 0.0) || isinf(w))
			elog(ERROR, "metric_knn: row %d has invalid weight %g", i + 1, w);
	}
	if (!(margin > 0.0) || !isfinite(margin))
		elog(ERROR, "metric_knn: invalid margin %g", margin);
	if (!(learning_rate > 0.0) || !isfinite(learning_rate))
		elog(ERROR, "metric_knn: invalid learning rate %g", learning_rate);
}

/* Read a PARAM_INT hyperparameter, rounded and clamped to [low, high]. */
static int
IntParam(const double *config, int index, int low, int high)
{
	double		value = rint(config[index]);

	return (int) Min(Max(value, (double) low), (double) high);
}

/* Allocate the model with its initial embedding and the trainer's buffers. */
static MetricKnnModel *
SetUp(MetricTrainer *trainer, const TrainData *data, const double *config,
	  const FitControl *control)
{
	MetricKnnModel *model = palloc0(sizeof(MetricKnnModel));
	int			p = data->n_cols;
	int			d;
	int			batch = Max(Min(METRIC_KNN_BATCH, data->n_rows), 1);

	model->n_cols = p;
	model->dim = d = Min(IntParam(config, METRIC_PARAM_EMBEDDING_DIM, 1,
								  METRIC_KNN_MAX_DIM), p);
	model->n_classes = data->n_classes;
	model->n_neighbors = IntParam(config, METRIC_PARAM_NEIGHBORS, 1,
								  METRIC_KNN_MAX_NEIGHBORS);
	model->embedding = AutomlAllocDoubles(Max((Size) d * p, 1), "metric_knn embedding");
	InitEmbedding(data, model);

	trainer->data = data;
	trainer->model = model;
	trainer->margin = config[METRIC_PARAM_MARGIN];
	trainer->epochs = IntParam(config, METRIC_PARAM_EPOCHS, 0, METRIC_KNN_MAX_EPOCHS);
	model->loss = AutomlAllocDoubles(Max(trainer->epochs, 1), "metric_knn loss curve");
	model->active = AutomlAllocDoubles(Max(trainer->epochs, 1), "metric_knn loss curve");
	trainer->rows = palloc_extended(sizeof(int) * Max(data->n_rows, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < data->n_rows; i++)
		trainer->rows[i] = i;
	trainer->batch = batch;
	trainer->batch_labels = palloc(sizeof(int) * batch);
	trainer->inputs = AutomlAllocDoubles(Max((Size) p * batch, 1), "metric_knn minibatch");
	trainer->diff_positive = AutomlAllocDoubles(Max((Size) p * batch, 1), "metric_knn minibatch");
	trainer->diff_negative = AutomlAllocDoubles(Max((Size) p * batch, 1), "metric_knn minibatch");
	trainer->embedded = AutomlAllocDoubles(Max((Size) d * batch, 1), "metric_knn minibatch");
	trainer->embedded_positive = AutomlAllocDoubles(Max((Size) d * batch, 1), "metric_knn minibatch");
	trainer->embedded_negative = AutomlAllocDoubles(Max((Size) d * batch, 1), "metric_knn minibatch");
	trainer->gram = AutomlAllocDoubles((Size) batch * batch, "metric_knn minibatch");
	trainer->grad = AutomlAllocDoubles(Max((Size) d * p, 1), "metric_knn gradient");
	AdamInit(&trainer->adam, (Size) d * p, config[METRIC_PARAM_LEARNING_RATE]);
	pg_prng_seed(&trainer->prng, control->seed);
	return model;
}

/*
 * Learn the embedding by the triplet loss, then store the embedded training
 * rows; the file header gives the objective, mining and stopping rules.
 */
static void *
MetricKnnFit(const TrainData *data, const double *config, const FitControl *control)
{
	MetricTrainer trainer = {0};
	MetricKnnModel *model;

	CheckInput(data, config[METRIC_PARAM_MARGIN], config[METRIC_PARAM_LEARNING_RATE]);
	model = SetUp(&trainer, data, config, control);
	if (model->dim > 0 && data->n_rows > 1)
		TrainEmbedding(&trainer, control);
	StoreRows(&trainer);
	ComputeStoredNorms(model);
	elog(DEBUG1, "metric_knn: %d epochs, %d stored rows, embedding %d x %d (%s)",
		 model->n_epochs, model->n_stored, model->dim, model->n_cols,
		 metric_init_names[model->init]);

	AdamFree(&trainer.adam);
	pfree(trainer.rows);
	pfree(trainer.batch_labels);
	pfree(trainer.inputs);
	pfree(trainer.diff_positive);
	pfree(trainer.diff_negative);
	pfree(trainer.embedded);
	pfree(trainer.embedded_positive);
	pfree(trainer.embedded_negative);
	pfree(trainer.gram);
	pfree(trainer.grad);
	return model;
}


/* Prediction */

/*
 * Insert stored row s at squared distance distance into the k-best list
 * (ascending, *n_found entries, capacity k).  Ties keep the earlier row.
 */
static void
InsertNeighbour(int *best_row, double *best_distance, int *n_found, int k,
				int s, double distance)
{
	int			pos = *n_found;

	if (pos == k && !(distance < best_distance[k - 1]))
		return;
	if (pos == k)
		pos--;
	else
		(*n_found)++;
	while (pos > 0 && distance < best_distance[pos - 1])
	{
		best_row[pos] = best_row[pos - 1];
		best_distance[pos] = best_distance[pos - 1];
		pos--;
	}
	best_row[pos] = s;
	best_distance[pos] = distance;
}

/*
 * Write the class probabilities of one query to out, given its inner
 * products with every stored row (cross) and its squared norm.
 */
static void
VoteQuery(const MetricKnnModel *model, const double *cross, double query_norm,
		  double *out)
{
	int			best_row[METRIC_KNN_MAX_NEIGHBORS];
	double		best_distance[METRIC_KNN_MAX_NEIGHBORS];
	int			k = Min(model->n_neighbors, model->n_stored);
	int			n_found = 0;
	double		total = 0.0;

	for (int s = 0; k > 0 && s < model->n_stored; s++)
	{
		double		distance = model->stored_norm[s] + query_norm - 2.0 * cross[s];

		InsertNeighbour(best_row, best_distance, &n_found, k, s, Max(distance, 0.0));
	}
	memset(out, 0, sizeof(double) * model->n_classes);
	for (int i = 0; i < n_found; i++)
	{
		int			s = best_row[i];
		double		vote = model->vote_weight[s] /
			(sqrt(best_distance[i]) + METRIC_KNN_DISTANCE_FLOOR);

		out[model->labels[s]] += vote;
		total += vote;
	}
	for (int c = 0; c < model->n_classes; c++)
		out[c] = total > 0.0 ? out[c] / total : 1.0 / model->n_classes;
}

static void
MetricKnnPredict(const void *opaque, const double *x, int n_rows, int n_cols,
				 double *out)
{
	const MetricKnnModel *model = opaque;
	int			d = model->dim;
	int			chunk = Min(n_rows, METRIC_KNN_QUERY_CHUNK);
	double	   *queries;
	double	   *cross;

	if (n_cols != model->n_cols)
		elog(ERROR, "metric_knn: model was trained on %d columns but received %d",
			 model->n_cols, n_cols);
	if (n_rows <= 0)
		return;
	queries = AutomlAllocDoubles(Max((Size) d * chunk, 1), "metric_knn queries");
	cross = AutomlAllocDoubles(Max((Size) model->n_stored * chunk, 1), "metric_knn distances");
	for (int start = 0; start < n_rows; start += chunk)
	{
		int			count = Min(chunk, n_rows - start);

		CHECK_FOR_INTERRUPTS();
		/* queries = L X', cross = stored' queries */
		LinalgGemm(false, true, d, count, n_cols, 1.0, model->embedding, Max(d, 1),
				   x + start, n_rows, 0.0, queries, Max(d, 1));
		if (model->n_stored > 0)
			LinalgGemm(true, false, model->n_stored, count, d, 1.0, model->stored,
					   Max(d, 1), queries, Max(d, 1), 0.0, cross, model->n_stored);
		for (int q = 0; q < count; q++)
		{
			const double *z = queries + (Size) q * d;
			double		norm = 0.0;

			for (int r = 0; r < d; r++)
				norm += z[r] * z[r];
			VoteQuery(model, cross + (Size) q * model->n_stored, norm,
					  out + (Size) (start + q) * model->n_classes);
		}
	}
	pfree(queries);
	pfree(cross);
}


/* Storage and inspection */

/*
 * Format: column count, embedding dimension, class count, n_neighbors,
 * initialisation, stored row count and epoch count as int32, then L, the
 * stored embedded rows, their labels (int32), their vote weights and the
 * two per-epoch curves.
 */
static void
MetricKnnSerialize(const void *opaque, StringInfo buf)
{
	const MetricKnnModel *model = opaque;

	SerialPutInt32(buf, model->n_cols);
	SerialPutInt32(buf, model->dim);
	SerialPutInt32(buf, model->n_classes);
	SerialPutInt32(buf, model->n_neighbors);
	SerialPutInt32(buf, (int32) model->init);
	SerialPutInt32(buf, model->n_stored);
	SerialPutInt32(buf, model->n_epochs);
	SerialPutFloat64Array(buf, model->embedding, (Size) model->dim * model->n_cols);
	SerialPutFloat64Array(buf, model->stored, (Size) model->dim * model->n_stored);
	for (int s = 0; s < model->n_stored; s++)
		SerialPutInt32(buf, model->labels[s]);
	SerialPutFloat64Array(buf, model->vote_weight, model->n_stored);
	SerialPutFloat64Array(buf, model->loss, model->n_epochs);
	SerialPutFloat64Array(buf, model->active, model->n_epochs);
}

static void *
MetricKnnDeserialize(SerialReader *reader)
{
	MetricKnnModel *model = palloc0(sizeof(MetricKnnModel));

	model->n_cols = SerialGetInt32InRange(reader, 0, METRIC_KNN_MAX_COLS, "column count");
	model->dim = SerialGetInt32InRange(reader, 0, Min(model->n_cols, METRIC_KNN_MAX_DIM),
									   "embedding dimension");
	model->n_classes = SerialGetInt32InRange(reader, 1, METRIC_KNN_MAX_CLASSES, "class count");
	model->n_neighbors = SerialGetInt32InRange(reader, 1, METRIC_KNN_MAX_NEIGHBORS,
											   "neighbour count");
	model->init = (MetricInit) SerialGetInt32InRange(reader, METRIC_INIT_IDENTITY,
													 METRIC_INIT_FIRST_COLUMNS,
													 "initialisation");
	model->n_stored = SerialGetInt32InRange(reader, 0, METRIC_KNN_MAX_STORED,
											"stored row count");
	model->n_epochs = SerialGetInt32InRange(reader, 0, METRIC_KNN_MAX_EPOCHS, "epoch count");
	model->embedding = SerialReadFloat64Array(reader, (Size) model->dim * model->n_cols);
	model->stored = SerialReadFloat64Array(reader, (Size) model->dim * model->n_stored);
	SerialCheckRemaining(reader, model->n_stored, sizeof(int32));
	model->labels = palloc(sizeof(int32) * Max(model->n_stored, 1));
	for (int s = 0; s < model->n_stored; s++)
		model->labels[s] = SerialGetInt32InRange(reader, 0, model->n_classes - 1,
												 "stored row label");
	model->vote_weight = SerialReadFloat64Array(reader, model->n_stored);
	model->loss = SerialReadFloat64Array(reader, model->n_epochs);
	model->active = SerialReadFloat64Array(reader, model->n_epochs);
	ComputeStoredNorms(model);
	return model;
}

/*
 * Importance of column j: the squared norm of column j of L, which is how
 * much a unit difference in that input moves the squared embedded distance,
 * normalised to sum 1.
 */
static void
MetricKnnImportance(const void *opaque, int n_cols, double *out)
{
	const MetricKnnModel *model = opaque;
	double		total = 0.0;

	if (n_cols != model->n_cols)
		elog(ERROR, "metric_knn: model has %d columns, importance requested for %d",
			 model->n_cols, n_cols);
	for (int j = 0; j < n_cols; j++)
	{
		const double *column = model->embedding + (Size) j * model->dim;

		out[j] = 0.0;
		for (int r = 0; r < model->dim; r++)
			out[j] += column[r] * column[r];
		total += out[j];
	}
	for (int j = 0; j < n_cols && total > 0.0; j++)
		out[j] /= total;
}

static void
AppendJsonArray(StringInfo buf, const char *key, const double *values, int n)
{
	appendStringInfo(buf, ", \"%s\": [", key);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		if (isfinite(values[i]))
			appendStringInfo(buf, "%.6g", values[i]);
		else
			appendStringInfoString(buf, "null");
	}
	appendStringInfoChar(buf, ']');
}

/* The embedding's size and start, and the per-epoch training curve. */
static void
MetricKnnDescribe(const void *opaque, StringInfo buf)
{
	const MetricKnnModel *model = opaque;

	appendStringInfo(buf, "{\"embedding_dim\": %d, \"input_dim\": %d, \"init\": \"%s\", "
					 "\"n_neighbors\": %d, \"stored_rows\": %d, \"epochs\": %d",
					 model->dim, model->n_cols, metric_init_names[model->init],
					 model->n_neighbors, model->n_stored, model->n_epochs);
	AppendJsonArray(buf, "triplet_loss", model->loss, model->n_epochs);
	AppendJsonArray(buf, "active_fraction", model->active, model->n_epochs);
	appendStringInfoChar(buf, '}');
}

const ModelFamily metric_knn_family = {
	.name = "metric_knn",
	.description = "k-nearest neighbours in a linear embedding learned with the triplet loss",
	.supports_classification = true,
	.supports_regression = false,
	.params = metric_knn_params,
	.n_params = lengthof(metric_knn_params),
	.fit = MetricKnnFit,
	.predict = MetricKnnPredict,
	.serialize = MetricKnnSerialize,
	.deserialize = MetricKnnDeserialize,
	.importance = MetricKnnImportance,
	.describe = MetricKnnDescribe,
};
