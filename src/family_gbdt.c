/*
 * family_gbdt.c
 *		Histogram gradient boosting of regression trees ("gbdt").
 *
 * Gradient boosting (Friedman, "Greedy function approximation: a gradient
 * boosting machine", Annals of Statistics, 2001) builds an additive model
 * F(x) = F_0 + sum_t f_t(x), one regression tree f_t per class and round.
 * Each tree is fitted to the gradients g_i and hessians h_i of the loss at the
 * current F, with the second-order objective and regularised leaf weights of
 * XGBoost (Chen and Guestrin, "XGBoost: a scalable tree boosting system",
 * KDD 2016).  For a node whose rows have gradient sum G and hessian sum H:
 *
 *   leaf weight  w = -T(G) / (H + lambda_l2),  scaled by learning_rate
 *   leaf score   S(G, H) = T(G)^2 / (H + lambda_l2)
 *   split gain   S(G_L, H_L) + S(G_R, H_R) - S(G, H)
 *
 * where T(G) = sign(G) max(|G| - lambda_l1, 0) soft-thresholds by the L1
 * penalty.  A split must leave min_samples_leaf rows and min_child_weight
 * hessian on each side and have a positive gain.
 *
 * The losses, with y the target and F the raw score, and their F_0:
 *
 *   binary log loss   log(1 + e^F) - y F        log-odds of the prior
 *   softmax log loss  log sum_k e^(F_k) - F_y   log of each class prior
 *   squared           (F - y)^2 / 2             mean
 *   absolute          |F - y|                   median
 *
 * Softmax grows one tree per class per round, with the diagonal hessian
 * p_k (1 - p_k).  For absolute loss, trees grow on g = sign(F - y) and
 * h = 1, and then each leaf is set to the weighted median of its residuals
 * y - F, as in the LAD_TreeBoost algorithm of Friedman (2001).  The L1 and
 * L2 penalties shape those splits but not those leaves.  Row weights
 * multiply gradients and hessians.
 *
 * The fit runs in four steps.
 *
 * 1. Binning.  Each column's bin upper bounds are quantiles of a seeded
 *    sample of at most GBDT_BINNING_SAMPLE rows.  A column with at most
 *    max_bins distinct values gets one bin per value, and otherwise bins
 *    are closed greedily at equal row counts.  Bounds sit halfway between
 *    adjacent distinct values.  Bin 0 of every column is reserved for
 *    missing values (NaN), so a bin number fits a uint8 and the binned
 *    matrix is n_cols x n_rows bytes, column-major.
 * 2. Histograms.  A node's histogram contains, per column and bin, the sums
 *    of g, h and the row count.  Only the smaller child of a split is built
 *    from its rows.  The larger one is its parent's histogram minus the
 *    smaller one, computed in place: the histogram subtraction that the
 *    LightGBM documentation describes (docs/Features.rst).  Large nodes
 *    share their columns between two threads.
 * 3. Growth.  Leaf-wise (best-first) growth, as in LightGBM, splits the
 *    open leaf of largest gain until max_leaves leaves or no valid split.
 *    Depth-wise growth splits the shallowest leaves first.  Both stop at
 *    max_depth.  Each split search scans the bins of a column once and
 *    tries the missing bin on both sides, keeping the better side as the
 *    node's default direction (the sparsity-aware split finding of the
 *    XGBoost paper).  Nodes store the real threshold, so prediction needs
 *    no binning, and NaN follows the default direction.  Ties go to the
 *    lowest column, then the lowest bin.
 * 4. Stopping.  Boosting runs n_estimators rounds.  With early stopping on
 *    (early_stopping true, early_stopping_rounds > 0 and at least
 *    GBDT_MIN_EARLY_STOPPING_ROWS rows), a seeded GBDT_VALID_FRACTION of the
 *    rows, stratified by class, is held out.  Boosting stops once the
 *    validation loss has not improved for early_stopping_rounds rounds, and
 *    the model keeps the rounds up to the best one.  The fit deadline also
 *    ends boosting after a whole round.
 *
 * Each round draws a Bernoulli(subsample) sample of the training rows, and
 * each tree a colsample share of the columns, from a generator seeded with
 * the fit seed, so a fit is deterministic.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>

#include "miscadmin.h"
#include "port/atomics.h"
#include "utils/memutils.h"

#include "family.h"

/* Bin 0 is for missing values and bins 1..255 for values, so bins fit uint8. */
#define GBDT_MISSING_BIN 0
#define GBDT_MAX_VALUE_BINS 255
#define GBDT_BIN_SLOTS (GBDT_MAX_VALUE_BINS + 1)

/* Rows sampled, with the fit seed, to place the bin bounds. */
#define GBDT_BINNING_SAMPLE 200000

/*
 * Early stopping holds out this share of the rows, and runs only from this
 * many rows so that the validation loss has at least 20 rows behind it.
 */
#define GBDT_VALID_FRACTION 0.1
#define GBDT_MIN_EARLY_STOPPING_ROWS 200

/*
 * Work of at least this many (row, column) cells, about 70 microseconds of
 * histogram building, is shared with the worker thread.  On a loaded
 * 2-core machine smaller jobs lost more to waking the worker, and to
 * waiting for a worker the scheduler had paused mid-chunk, than they gained
 * (test/bench/gbdt_bench.sh with 32768 and 131072).
 */
#define GBDT_PARALLEL_MIN_CELLS 131072
#define GBDT_N_THREADS 2

#define GBDT_MAX_ROUNDS 5000
#define GBDT_MAX_LEAVES 1024
#define GBDT_MAX_TREE_NODES (2 * GBDT_MAX_LEAVES - 1)
#define GBDT_MAX_CLASSES 100000
#define GBDT_MAX_COLS ((int32) (MaxAllocSize / sizeof(double)))

/* Hessians are floored here, so that a leaf of confident rows stays finite. */
#define GBDT_MIN_HESSIAN 1e-16

/* Class priors are clamped to [p, 1 - p] before taking logs for F_0. */
#define GBDT_MIN_PRIOR 1e-6

/*
 * A split must gain more than this fraction of its children's scores, so
 * that gains made of rounding error (all rows of a node with the same
 * gradient) do not split.
 */
#define GBDT_GAIN_TOLERANCE 1e-10

/* Positions of the hyperparameters in a configuration vector. */
enum
{
	GBDT_PARAM_N_ESTIMATORS,
	GBDT_PARAM_LEARNING_RATE,
	GBDT_PARAM_MAX_LEAVES,
	GBDT_PARAM_MAX_DEPTH,
	GBDT_PARAM_MIN_CHILD_WEIGHT,
	GBDT_PARAM_MIN_SAMPLES_LEAF,
	GBDT_PARAM_LAMBDA_L2,
	GBDT_PARAM_LAMBDA_L1,
	GBDT_PARAM_SUBSAMPLE,
	GBDT_PARAM_COLSAMPLE,
	GBDT_PARAM_MAX_BINS,
	GBDT_PARAM_EARLY_STOPPING_ROUNDS,
	GBDT_PARAM_LOSS,
	GBDT_PARAM_GROW_POLICY,
	GBDT_PARAM_EARLY_STOPPING
};

typedef enum GbdtRegressionLoss
{
	LOSS_SQUARED,
	LOSS_ABSOLUTE
} GbdtRegressionLoss;

typedef enum GbdtGrowPolicy
{
	GROW_LEAFWISE,
	GROW_DEPTHWISE
} GbdtGrowPolicy;

static const char *const gbdt_losses[] = {"squared", "absolute"};
static const char *const gbdt_grow_policies[] = {"leafwise", "depthwise"};
static const char *const gbdt_early_stopping[] = {"true", "false"};

/*
 * Search ranges, then the ranges a user may set when they differ.  The
 * search turns early stopping on or off, and when it is on, the search
 * always waits 10 rounds.  On a few hundred rows the held-out tenth is
 * small, and boosting every round often scores better.  max_depth 0 means
 * unlimited, so by default max_leaves alone bounds a tree.  The loss applies
 * to regression; classification always uses log loss.
 */
static const ParamSpec gbdt_params[] = {
	[GBDT_PARAM_N_ESTIMATORS] = {"n_estimators", PARAM_INT, 50, 1000, 100, NULL, 0,
	1, GBDT_MAX_ROUNDS},
	[GBDT_PARAM_LEARNING_RATE] = {"learning_rate", PARAM_LOG_REAL, 0.01, 0.3, 0.1, NULL, 0,
	1e-4, 1},
	[GBDT_PARAM_MAX_LEAVES] = {"max_leaves", PARAM_INT, 4, 128, 31, NULL, 0,
	2, GBDT_MAX_LEAVES},
	[GBDT_PARAM_MAX_DEPTH] = {"max_depth", PARAM_INT, 3, 12, 0, NULL, 0, 0, 32},
	[GBDT_PARAM_MIN_CHILD_WEIGHT] = {"min_child_weight", PARAM_LOG_REAL, 1e-3, 10, 1e-3, NULL, 0,
	0, 1e4},
	[GBDT_PARAM_MIN_SAMPLES_LEAF] = {"min_samples_leaf", PARAM_INT, 1, 100, 20, NULL, 0,
	1, 1e6},
	[GBDT_PARAM_LAMBDA_L2] = {"lambda_l2", PARAM_LOG_REAL, 1e-6, 10, 1e-6, NULL, 0, 0, 1e4},
	[GBDT_PARAM_LAMBDA_L1] = {"lambda_l1", PARAM_LOG_REAL, 1e-6, 10, 0, NULL, 0, 0, 1e4},
	[GBDT_PARAM_SUBSAMPLE] = {"subsample", PARAM_REAL, 0.5, 1, 1, NULL, 0, 0.1, 1},
	[GBDT_PARAM_COLSAMPLE] = {"colsample", PARAM_REAL, 0.3, 1, 1, NULL, 0, 0.1, 1},
	[GBDT_PARAM_MAX_BINS] = {"max_bins", PARAM_INT, 32, GBDT_MAX_VALUE_BINS, GBDT_MAX_VALUE_BINS,
	NULL, 0, 16, GBDT_MAX_VALUE_BINS},
	[GBDT_PARAM_EARLY_STOPPING_ROUNDS] = {"early_stopping_rounds", PARAM_INT, 10, 10, 10, NULL, 0,
	0, 1000},
	[GBDT_PARAM_LOSS] = {"loss", PARAM_CHOICE, 0, 1, LOSS_SQUARED,
	gbdt_losses, lengthof(gbdt_losses), 0, 0, "task=regression"},
	[GBDT_PARAM_GROW_POLICY] = {"grow_policy", PARAM_CHOICE, 0, 1, GROW_LEAFWISE,
	gbdt_grow_policies, lengthof(gbdt_grow_policies)},
	[GBDT_PARAM_EARLY_STOPPING] = {"early_stopping", PARAM_CHOICE, 0, 1, 0,
	gbdt_early_stopping, lengthof(gbdt_early_stopping)},
};

StaticAssertDecl(lengthof(gbdt_params) <= AUTOML_MAX_PARAMS,
				 "gbdt has more hyperparameters than a configuration holds");

typedef struct GbdtParams
{
	int			n_estimators;
	double		learning_rate;
	int			max_leaves;
	int			max_depth;		/* 0 for unlimited */
	double		min_child_weight;
	int			min_samples_leaf;
	double		lambda_l2;
	double		lambda_l1;
	double		subsample;
	double		colsample;
	int			max_bins;
	int			early_stopping_rounds;	/* 0 for off */
	GbdtRegressionLoss loss;
	GbdtGrowPolicy grow_policy;
} GbdtParams;

/* The loss a model minimises, from the task and the loss hyperparameter. */
typedef enum GbdtObjective
{
	OBJECTIVE_SQUARED,
	OBJECTIVE_ABSOLUTE,
	OBJECTIVE_LOGISTIC,
	OBJECTIVE_SOFTMAX
} GbdtObjective;

static const char *const gbdt_objective_names[] = {
	"squared_error", "absolute_error", "binary_logloss", "softmax_logloss"
};

/* One node of a fitted tree; a tree's children follow their parent. */
typedef struct GbdtNode
{
	int32		feature;		/* column tested, or -1 for a leaf */
	int32		left;			/* child for x <= threshold */
	int32		right;			/* child for x > threshold */
	bool		default_left;	/* NaN goes left */
	double		threshold;
	double		value;			/* leaf output, learning rate applied */
} GbdtNode;

typedef struct GbdtModel
{
	GbdtObjective objective;
	int			n_outputs;		/* classes, or 1 for regression */
	int			per_round;		/* trees per round: classes for softmax, else 1 */
	int			n_cols;
	int			n_rounds;		/* rounds kept */
	int			rounds_trained; /* rounds run, at least n_rounds */
	bool		early_stopping; /* whether a validation split was held out */
	double	   *base_score;		/* F_0, per_round values */
	int32	   *tree_start;		/* n_rounds x per_round + 1 offsets into nodes */
	GbdtNode   *nodes;
	double	   *gains;			/* per column, total split gain of the kept trees */
	double	   *train_loss;		/* per round trained, mean loss on training rows */
	double	   *valid_loss;		/* per round trained, or NULL without early stopping */
	double		fit_seconds;
} GbdtModel;

/* A gradient and hessian of one row. */
typedef struct GradPair
{
	double		g;
	double		h;
} GradPair;

/* Sums over rows: one histogram entry, or a node's totals. */
typedef struct GradStats
{
	double		g;
	double		h;
	int64		n;				/* row count */
} GradStats;

typedef struct Binning
{
	uint8	   *bins;			/* n_cols x n_rows bin numbers, column-major */
	int		   *n_bins;			/* per column, counting the missing bin */
	double	   *upper;			/* per column GBDT_BIN_SLOTS bounds */
	int		   *offset;			/* per column, its first histogram entry */
	int			total_bins;
} Binning;

typedef struct SplitInfo
{
	int			feature;		/* -1 while no valid split is known */
	int			bin;			/* last value bin that goes left */
	bool		default_left;	/* the missing bin goes left */
	double		gain;
	GradStats	left;
	GradStats	right;
} SplitInfo;

/* A leaf of the tree being grown. */
typedef struct OpenLeaf
{
	int32		node;			/* index in the tree */
	int32		start;			/* the leaf's rows are rows[start..end) */
	int32		end;
	int			depth;
	GradStats	sum;
	GradStats  *hist;			/* NULL unless the leaf may still split */
	SplitInfo	split;
} OpenLeaf;

/* Work on items [begin, end) by thread number worker. */
typedef void (*ParallelTask) (void *arg, int begin, int end, int worker);

/* A task shared by the threads, which claim chunks of its items in turn. */
typedef struct ParallelJob
{
	ParallelTask task;
	void	   *arg;
	int			n_items;
	int			chunk;			/* items claimed at once */
	pg_atomic_uint32 next;		/* the first item not claimed yet */
} ParallelJob;

/* The second thread of a fit, and the job it is offered. */
typedef struct Worker
{
	pthread_t	thread;
	pthread_mutex_t mutex;
	pthread_cond_t cond;		/* signals an offered job, its end, or stop */
	ParallelJob *job;
	bool		pending;		/* a job is offered or running */
	bool		taken;			/* the worker has started on the job */
	bool		stop;
	bool		started;
} Worker;

/*
 * Fit state.  Fit rows are the training rows, then the validation rows,
 * each in their input order, and order[] maps them back to input rows.
 */
typedef struct FitState
{
	GbdtParams	params;
	GbdtObjective objective;
	int			n_outputs;
	int			per_round;
	int			n_cols;
	const double *x;			/* the input, column-major */
	int			x_rows;
	int			n_rows;			/* fit rows */
	int			n_train;		/* fit rows 0..n_train-1 train, the rest validate */
	bool		early_stopping;
	int32	   *order;			/* n_rows: input row of each fit row */
	double	   *y;				/* n_rows */
	double	   *w;				/* n_rows row weights */
	Binning		binning;
	int		   *usable;			/* columns with at least two value bins */
	int			n_usable;
	int		   *active;			/* columns of the current tree, ascending */
	int			n_active;

	/* Boosting state. */
	double	   *base_score;		/* per_round */
	double		train_weight;	/* total weight of the training rows */
	double	   *raw;			/* per_round x n_rows scores F, class-major */
	double	   *prob;			/* softmax: per_round x n_train probabilities */
	GradPair   *grad;			/* n_train */
	GradPair   *ordered;		/* n_train: a node's gradients in row-list order */
	int32	   *sample;			/* n_train: the round's sampled rows, then the rest */
	int32	   *rows;			/* n_train: the sample, grouped by leaf */
	int32	   *scratch;		/* n_train, for partitioning */
	int			n_sampled;
	bool		sample_in_order;	/* sample[i] == i for every sampled row */
	double	   *residuals;		/* absolute loss: n_train scratch values */
	double	   *residual_weights;
	pg_prng_state prng;

	/* The tree being grown. */
	GbdtNode   *tree;			/* 2 max_leaves - 1 nodes */
	uint8	   *tree_bins;		/* per node, the last value bin going left */
	double	   *tree_gains;		/* per node, its split gain */
	int			tree_size;
	OpenLeaf   *leaves;			/* max_leaves */
	int			n_leaves;
	GradStats **free_hists;		/* histogram buffers not in use */
	int			n_free_hists;
	int			n_hists;		/* histogram buffers allocated */
	Worker	   *worker;

	/* The ensemble. */
	GbdtNode   *nodes;
	double	   *node_gains;
	int			n_nodes;
	int			node_capacity;
	int32	   *tree_start;		/* n_estimators x per_round + 1 */
	int			n_trees;
	double	   *train_loss;		/* n_estimators */
	double	   *valid_loss;		/* n_estimators, with early stopping */
	int			rounds_trained;
	int			best_rounds;	/* rounds up to the best validation loss */
} FitState;

typedef struct BinningJob
{
	FitState   *fit;
	const int32 *sample;		/* input rows for the bounds, or NULL for all */
	int			n_sample;
	double	   *values[GBDT_N_THREADS]; /* per thread, n_sample doubles */
	uint64	   *keys[GBDT_N_THREADS];	/* per thread, 2 x n_sample sort keys */
} BinningJob;

/*
 * The histogram and split search work of one split, done column by column:
 * build one leaf's histogram from its rows and, optionally, derive its
 * sibling's as the parent's minus that one.
 */
typedef struct NodeJob
{
	FitState   *fit;
	OpenLeaf   *built;			/* the leaf built from its rows */
	bool		scan_built;		/* whether to search built's splits */
	OpenLeaf   *derived;		/* the leaf derived by subtraction, or NULL */
	const GradPair *grad;		/* built's gradients, in row-list order */
	double		built_score;	/* S(G, H) of each leaf */
	double		derived_score;
	SplitInfo	built_best[GBDT_N_THREADS]; /* per thread, over its columns */
	SplitInfo	derived_best[GBDT_N_THREADS];
} NodeJob;

/* Sorts int32 values ascending. */
#define ST_SORT SortInt32s
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"


/*
 * Configuration
 */

/* Reads hyperparameter i, rounded and clamped to the range a user may set. */
static double
ConfigValue(const double *config, int i)
{
	const ParamSpec *spec = &gbdt_params[i];
	bool		user_range = spec->min_value != spec->max_value;
	double		low = user_range ? spec->min_value : spec->low;
	double		high = user_range ? spec->max_value : spec->high;
	double		value = config[i];

	if (spec->kind == PARAM_INT || spec->kind == PARAM_CHOICE)
		value = rint(value);
	/* Max() puts NaN at low, because NaN > low is false. */
	return Min(Max(value, low), high);
}

static void
GbdtParamsFromConfig(const double *config, GbdtParams *params)
{
	params->n_estimators = (int) ConfigValue(config, GBDT_PARAM_N_ESTIMATORS);
	params->learning_rate = ConfigValue(config, GBDT_PARAM_LEARNING_RATE);
	params->max_leaves = (int) ConfigValue(config, GBDT_PARAM_MAX_LEAVES);
	params->max_depth = (int) ConfigValue(config, GBDT_PARAM_MAX_DEPTH);
	params->min_child_weight = ConfigValue(config, GBDT_PARAM_MIN_CHILD_WEIGHT);
	params->min_samples_leaf = (int) ConfigValue(config, GBDT_PARAM_MIN_SAMPLES_LEAF);
	params->lambda_l2 = ConfigValue(config, GBDT_PARAM_LAMBDA_L2);
	params->lambda_l1 = ConfigValue(config, GBDT_PARAM_LAMBDA_L1);
	params->subsample = ConfigValue(config, GBDT_PARAM_SUBSAMPLE);
	params->colsample = ConfigValue(config, GBDT_PARAM_COLSAMPLE);
	params->max_bins = (int) ConfigValue(config, GBDT_PARAM_MAX_BINS);
	params->early_stopping_rounds = (int) ConfigValue(config, GBDT_PARAM_EARLY_STOPPING_ROUNDS);
	if (ConfigValue(config, GBDT_PARAM_EARLY_STOPPING) == 1)
		params->early_stopping_rounds = 0;	/* "false" */
	params->loss = (GbdtRegressionLoss) ConfigValue(config, GBDT_PARAM_LOSS);
	params->grow_policy = (GbdtGrowPolicy) ConfigValue(config, GBDT_PARAM_GROW_POLICY);
}

/* Raises an error for data that the caller must never pass. */
static void
CheckTrainData(const TrainData *data)
{
	if (data->n_rows < 0 || data->n_cols < 0 || data->n_cols > GBDT_MAX_COLS)
		elog(ERROR, "gbdt: invalid training matrix of %d x %d",
			 data->n_rows, data->n_cols);
	if (data->task == TASK_CLASSIFICATION &&
		(data->n_classes < 1 || data->n_classes > GBDT_MAX_CLASSES))
		elog(ERROR, "gbdt: invalid class count %d", data->n_classes);

	for (int i = 0; i < data->n_rows; i++)
	{
		double		w = data->weights ? data->weights[i] : 1.0;
		double		y = data->y[i];

		if (!(w >= 0.0) || isinf(w))
			elog(ERROR, "gbdt: row %d has invalid weight %g", i, w);
		if (data->task == TASK_CLASSIFICATION &&
			!(y >= 0.0 && y < data->n_classes && y == floor(y)))
			elog(ERROR, "gbdt: row %d has invalid class index %g", i, y);
		if (data->task == TASK_REGRESSION && !isfinite(y))
			elog(ERROR, "gbdt: row %d has invalid target %g", i, y);
	}
}

/* Allocates count elements of size bytes after checking the memory limit. */
static void *
AllocHuge(Size count, Size size, const char *what)
{
	Size		bytes = mul_size(Max(count, 1), size);

	AutomlCheckMemory(bytes, what);
	return palloc_extended(bytes, MCXT_ALLOC_HUGE);
}


/*
 * Threads
 *
 * A fit starts one worker thread.  Each parallel job is offered to it, and
 * both threads claim chunks of the job's items from an atomic counter
 * until none are left.  So a worker that the scheduler delays gets fewer
 * chunks instead of stalling the backend's thread.  A job that the worker
 * has not started when the backend's thread runs out of items is
 * withdrawn.  Between jobs the worker sleeps on a condition variable,
 * because starting a thread per job costs 20-30 microseconds (measured on
 * the 2-core test machine).  Tasks must not call into the server (no
 * palloc, elog or CHECK_FOR_INTERRUPTS).  The worker blocks every signal,
 * so the server's signal handlers run only on the backend's thread.
 */

/* Claims and runs chunks of the job until every item is claimed. */
static void
RunChunks(ParallelJob *job, int worker)
{
	for (;;)
	{
		uint32		begin = pg_atomic_fetch_add_u32(&job->next, job->chunk);

		if (begin >= (uint32) job->n_items)
			break;
		job->task(job->arg, (int) begin, Min((int) begin + job->chunk, job->n_items),
				  worker);
	}
}

static void *
WorkerMain(void *opaque)
{
	Worker	   *worker = opaque;

	pthread_mutex_lock(&worker->mutex);
	for (;;)
	{
		ParallelJob *job;

		while (!worker->pending && !worker->stop)
			pthread_cond_wait(&worker->cond, &worker->mutex);
		if (worker->stop)
			break;
		worker->taken = true;
		job = worker->job;
		pthread_mutex_unlock(&worker->mutex);

		RunChunks(job, 1);

		pthread_mutex_lock(&worker->mutex);
		worker->pending = false;
		pthread_cond_broadcast(&worker->cond);
	}
	pthread_mutex_unlock(&worker->mutex);
	return NULL;
}

/*
 * Starts the worker.  When it cannot start, the returned worker is marked
 * not started and RunParallel runs every job on this thread.
 */
static Worker *
StartWorker(void)
{
	Worker	   *worker = palloc0(sizeof(Worker));
	sigset_t	all_signals;
	sigset_t	old_signals;

	if (pthread_mutex_init(&worker->mutex, NULL) != 0)
		return worker;
	if (pthread_cond_init(&worker->cond, NULL) != 0)
	{
		pthread_mutex_destroy(&worker->mutex);
		return worker;
	}

	sigfillset(&all_signals);
	pthread_sigmask(SIG_SETMASK, &all_signals, &old_signals);
	worker->started = pthread_create(&worker->thread, NULL, WorkerMain, worker) == 0;
	pthread_sigmask(SIG_SETMASK, &old_signals, NULL);

	if (!worker->started)
	{
		pthread_cond_destroy(&worker->cond);
		pthread_mutex_destroy(&worker->mutex);
	}
	return worker;
}

/* Stops and joins the worker, if it runs.  Called between jobs only. */
static void
StopWorker(Worker *worker)
{
	if (worker == NULL || !worker->started)
		return;
	pthread_mutex_lock(&worker->mutex);
	worker->stop = true;
	pthread_cond_broadcast(&worker->cond);
	pthread_mutex_unlock(&worker->mutex);
	pthread_join(worker->thread, NULL);
	pthread_cond_destroy(&worker->cond);
	pthread_mutex_destroy(&worker->mutex);
	worker->started = false;
}

/*
 * Runs task over items [0, n_items) in chunks of chunk items, shared with
 * the worker when parallel is set and the worker runs.  Which thread runs
 * which chunk varies from run to run, so tasks must give the same results
 * either way.  Returns once every chunk is done.
 */
static void
RunParallel(Worker *worker, ParallelTask task, void *arg, int n_items, int chunk,
			bool parallel)
{
	ParallelJob job = {.task = task, .arg = arg, .n_items = n_items, .chunk = chunk};

	if (!parallel || n_items <= chunk || worker == NULL || !worker->started)
	{
		task(arg, 0, n_items, 0);
		return;
	}
	pg_atomic_init_u32(&job.next, 0);

	pthread_mutex_lock(&worker->mutex);
	worker->job = &job;
	worker->taken = false;
	worker->pending = true;
	pthread_cond_broadcast(&worker->cond);
	pthread_mutex_unlock(&worker->mutex);

	RunChunks(&job, 0);

	pthread_mutex_lock(&worker->mutex);
	if (!worker->taken)
		worker->pending = false;
	while (worker->pending)
		pthread_cond_wait(&worker->cond, &worker->mutex);
	pthread_mutex_unlock(&worker->mutex);
}


/*
 * Validation split
 */

/* Fisher-Yates shuffle of rows[0..n-1]. */
static void
ShuffleRows(int32 *rows, int n, pg_prng_state *prng)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) pg_prng_uint64_range(prng, 0, i);
		int32		tmp = rows[i];

		rows[i] = rows[j];
		rows[j] = tmp;
	}
}

/*
 * Marks GBDT_VALID_FRACTION of each class's rows (of all rows for
 * regression), drawn at random, as validation rows.  Returns their count.
 */
static int
ChooseValidationRows(FitState *fit, const TrainData *data, bool *is_valid)
{
	int			n_groups = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	int		   *group_start = palloc0(sizeof(int) * (n_groups + 1));
	int		   *group_next = palloc(sizeof(int) * n_groups);
	int32	   *grouped = AllocHuge(data->n_rows, sizeof(int32), "gbdt validation split");
	int			n_valid = 0;

	/* Counting sort of the rows by class, ascending within each class. */
	for (int i = 0; i < data->n_rows; i++)
		group_start[(n_groups > 1 ? (int) data->y[i] : 0) + 1]++;
	for (int g = 0; g < n_groups; g++)
		group_start[g + 1] += group_start[g];
	memcpy(group_next, group_start, sizeof(int) * n_groups);
	for (int i = 0; i < data->n_rows; i++)
		grouped[group_next[n_groups > 1 ? (int) data->y[i] : 0]++] = i;

	/* Shuffle each class and hold out its first rows. */
	for (int g = 0; g < n_groups; g++)
	{
		int32	   *members = grouped + group_start[g];
		int			size = group_start[g + 1] - group_start[g];
		int			n_hold = (int) floor(size * GBDT_VALID_FRACTION + 0.5);

		ShuffleRows(members, size, &fit->prng);
		for (int i = 0; i < n_hold; i++)
			is_valid[members[i]] = true;
		n_valid += n_hold;
	}
	pfree(grouped);
	pfree(group_next);
	pfree(group_start);
	return n_valid;
}

/*
 * Orders the fit rows: training rows, then the validation rows when early
 * stopping runs, each in input order.  Copies targets and weights into that
 * order.
 */
static void
SetUpRows(FitState *fit, const TrainData *data)
{
	bool	   *is_valid = palloc0(sizeof(bool) * Max(data->n_rows, 1));
	int			n_valid = 0;
	int			next_train = 0;
	int			next_valid;

	if (fit->params.early_stopping_rounds > 0 &&
		data->n_rows >= GBDT_MIN_EARLY_STOPPING_ROWS)
		n_valid = ChooseValidationRows(fit, data, is_valid);

	fit->n_rows = data->n_rows;
	fit->n_train = data->n_rows - n_valid;
	fit->early_stopping = n_valid > 0 && fit->n_train > 0;
	fit->order = AllocHuge(fit->n_rows, sizeof(int32), "gbdt rows");
	fit->y = AutomlAllocDoubles(Max(fit->n_rows, 1), "gbdt rows");
	fit->w = AutomlAllocDoubles(Max(fit->n_rows, 1), "gbdt rows");

	next_valid = fit->n_train;
	for (int i = 0; i < data->n_rows; i++)
	{
		int			r = is_valid[i] ? next_valid++ : next_train++;

		fit->order[r] = i;
		fit->y[r] = data->y[i];
		fit->w[r] = data->weights ? data->weights[i] : 1.0;
	}
	pfree(is_valid);
}


/*
 * Binning
 */

/* Returns a threshold t with a <= t < b, halfway when rounding allows. */
static double
Midpoint(double a, double b)
{
	double		mid = a * 0.5 + b * 0.5;

	return (mid >= a && mid < b) ? mid : a;
}

/* Returns the end of the run of values equal to values[start]. */
static int
RunEnd(const double *values, int n, int start)
{
	int			end = start + 1;

	while (end < n && values[end] == values[start])
		end++;
	return end;
}

/*
 * Places the upper bounds of the value bins of n sorted, NaN-free values.
 * Bin b (from 1) takes upper[b - 1] < x <= upper[b], and the last bound is
 * infinite.  With at most max_bins distinct values, each gets its own bin.
 * Otherwise a bin closes once it has its share of the values not yet in a
 * closed bin (those values / the bins left).  A bin also closes before a
 * value that alone fills a share, so frequent values get bins of their
 * own.  Returns the bin count, counting the missing bin, so 1 means no
 * values.
 */
static int
PlaceBinBounds(const double *values, int n, int max_bins, double *upper)
{
	int			n_distinct = 0;
	int			n_bins = 1;
	double		remaining = n;
	int			in_bin = 0;
	int			end;

	for (int i = 0; i < n; i = RunEnd(values, n, i))
		n_distinct++;
	if (n_distinct == 0)
		return 1;

	for (int i = 0; (end = RunEnd(values, n, i)) < n; i = end)
	{
		int			bins_left = max_bins - (n_bins - 1);
		double		share = remaining / bins_left;
		bool		close;

		in_bin += end - i;
		if (n_distinct <= max_bins)
			close = true;
		else if (bins_left <= 1)
			break;
		else
			close = in_bin >= share || RunEnd(values, n, end) - end >= share;
		if (!close)
			continue;
		upper[n_bins++] = Midpoint(values[end - 1], values[end]);
		remaining -= in_bin;
		in_bin = 0;
	}
	upper[n_bins++] = INFINITY;
	return n_bins;
}

/*
 * Returns the bin of x: the missing bin for NaN, otherwise the first value
 * bin b with x <= upper[b], found by a branch-free binary search over
 * upper[1..n_bins-1], whose last bound is infinite.
 */
static inline int
FindBin(const double *upper, int n_bins, double x)
{
	int			low = 1;
	int			n = n_bins - 1;

	if (isnan(x) || n_bins <= 1)
		return GBDT_MISSING_BIN;
	while (n > 1)
	{
		int			half = n / 2;

		/* A mask, not a branch: the comparison is unpredictable. */
		low += half & -(int) (upper[low + half - 1] < x);
		n -= half;
	}
	return low + (upper[low] < x);
}

/*
 * Sorts n NaN-free doubles ascending by a least-significant-digit radix
 * sort of their bit patterns, mapped so that unsigned order is numeric
 * order (all bits of negatives flipped, the sign bit of the rest set).
 * Eleven-bit digits take six passes, and a pass is skipped when every key
 * has the same digit.  keys is scratch space for 2 x n values.
 */
static void
RadixSortDoubles(double *values, uint64 *keys, int n)
{
	uint64	   *from = keys;
	uint64	   *to = keys + n;
	uint32		counts[6][2048];
	const uint64 sign = UINT64CONST(1) << 63;

	memset(counts, 0, sizeof(counts));
	for (int i = 0; i < n; i++)
	{
		uint64		bits;

		memcpy(&bits, &values[i], sizeof(bits));
		from[i] = (bits & sign) ? ~bits : bits | sign;
		for (int d = 0; d < 6; d++)
			counts[d][(from[i] >> (11 * d)) & 2047]++;
	}

	for (int d = 0; d < 6 && n > 0; d++)
	{
		uint32		offset = 0;
		uint64	   *swap;

		if (counts[d][(from[0] >> (11 * d)) & 2047] == (uint32) n)
			continue;
		for (int b = 0; b < 2048; b++)
		{
			uint32		count = counts[d][b];

			counts[d][b] = offset;
			offset += count;
		}
		for (int i = 0; i < n; i++)
			to[counts[d][(from[i] >> (11 * d)) & 2047]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}

	for (int i = 0; i < n; i++)
	{
		uint64		bits = (from[i] & sign) ? from[i] & ~sign : ~from[i];

		memcpy(&values[i], &bits, sizeof(bits));
	}
}

/* Places the bounds of one column from the sample, then bins every fit row. */
static void
BinColumn(const BinningJob *job, int col, double *values, uint64 *keys)
{
	FitState   *fit = job->fit;
	const double *x = fit->x + (Size) col * fit->x_rows;
	double	   *upper = fit->binning.upper + (Size) col * GBDT_BIN_SLOTS;
	uint8	   *bins = fit->binning.bins + (Size) col * fit->n_rows;
	const int32 *order = fit->order;
	int			n_values = 0;
	int			n_bins;

	for (int s = 0; s < job->n_sample; s++)
	{
		double		value = x[job->sample ? job->sample[s] : s];

		if (!isnan(value))
			values[n_values++] = value;
	}
	RadixSortDoubles(values, keys, n_values);
	n_bins = PlaceBinBounds(values, n_values, fit->params.max_bins, upper);
	upper[GBDT_MISSING_BIN] = NAN;
	fit->binning.n_bins[col] = n_bins;

	for (int r = 0; r < fit->n_rows; r++)
		bins[r] = (uint8) FindBin(upper, n_bins, x[order[r]]);
}

static void
BinColumnsTask(void *arg, int begin, int end, int worker)
{
	BinningJob *job = arg;

	for (int col = begin; col < end; col++)
		BinColumn(job, col, job->values[worker], job->keys[worker]);
}

/*
 * Draws the input rows that place the bin bounds: every row up to
 * GBDT_BINNING_SAMPLE rows (returning NULL), otherwise a seeded uniform
 * sample, sorted so that the columns are read forward.
 */
static int32 *
SampleBinningRows(FitState *fit, int *n_sample)
{
	int32	   *rows;

	*n_sample = fit->x_rows;
	if (fit->x_rows <= GBDT_BINNING_SAMPLE)
		return NULL;

	rows = AllocHuge(fit->x_rows, sizeof(int32), "gbdt binning sample");
	for (int i = 0; i < fit->x_rows; i++)
		rows[i] = i;
	/* A partial Fisher-Yates shuffle draws the first GBDT_BINNING_SAMPLE. */
	for (int i = 0; i < GBDT_BINNING_SAMPLE; i++)
	{
		int			j = (int) pg_prng_uint64_range(&fit->prng, i, fit->x_rows - 1);
		int32		tmp = rows[i];

		rows[i] = rows[j];
		rows[j] = tmp;
	}
	*n_sample = GBDT_BINNING_SAMPLE;
	SortInt32s(rows, GBDT_BINNING_SAMPLE);
	return rows;
}

/*
 * Lays out the histogram (each column's bins in turn) and lists the columns
 * that can split, those with at least two value bins.
 */
static void
LayOutHistogram(FitState *fit)
{
	Binning    *binning = &fit->binning;
	int64		total = 0;

	binning->offset = palloc(sizeof(int) * Max(fit->n_cols, 1));
	fit->usable = palloc(sizeof(int) * Max(fit->n_cols, 1));
	fit->active = palloc(sizeof(int) * Max(fit->n_cols, 1));
	fit->n_usable = 0;
	for (int col = 0; col < fit->n_cols; col++)
	{
		binning->offset[col] = (int) total;
		total += binning->n_bins[col];
		if (binning->n_bins[col] >= 3)
			fit->usable[fit->n_usable++] = col;
	}
	if (total > (int64) (MaxAllocHugeSize / sizeof(GradStats)) || total > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gbdt histogram of %lld bins is too large", (long long) total),
				 errdetail("There are %d columns.", fit->n_cols),
				 errhint("Lower max_bins or train on fewer columns.")));
	binning->total_bins = (int) total;
}

/* Bins every column, on two threads for large inputs. */
static void
BinColumns(FitState *fit)
{
	Binning    *binning = &fit->binning;
	BinningJob	job = {.fit = fit};
	bool		parallel = (double) fit->n_rows * fit->n_cols >= GBDT_PARALLEL_MIN_CELLS;

	binning->bins = AllocHuge(mul_size(fit->n_cols, fit->n_rows), sizeof(uint8),
							  "gbdt binned matrix");
	binning->n_bins = palloc0(sizeof(int) * Max(fit->n_cols, 1));
	binning->upper = AutomlAllocDoubles(mul_size(Max(fit->n_cols, 1), GBDT_BIN_SLOTS),
										"gbdt bin bounds");
	job.sample = SampleBinningRows(fit, &job.n_sample);
	for (int w = 0; w < GBDT_N_THREADS; w++)
	{
		job.values[w] = AutomlAllocDoubles(Max(job.n_sample, 1), "gbdt binning");
		job.keys[w] = AllocHuge(mul_size(job.n_sample, 2), sizeof(uint64), "gbdt binning");
	}

	RunParallel(fit->worker, BinColumnsTask, &job, fit->n_cols, 1, parallel);
	CHECK_FOR_INTERRUPTS();
	LayOutHistogram(fit);

	for (int w = 0; w < GBDT_N_THREADS; w++)
	{
		pfree(job.values[w]);
		pfree(job.keys[w]);
	}
	if (job.sample)
		pfree((void *) job.sample);
}


/*
 * Losses
 */

static inline double
Sigmoid(double score)
{
	double		e = exp(-fabs(score));

	return (score >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/*
 * Returns log(1 + e^score) without overflow.  log(1 + e) in place of
 * log1p(e) is faster and loses only absolute error below 1e-16.
 */
static inline double
Softplus(double score)
{
	return Max(score, 0.0) + log(1.0 + exp(-fabs(score)));
}

/*
 * Writes the softmax of k scores read stride apart to out, also stride
 * apart, and returns log sum_k e^(score_k).
 */
static double
Softmax(const double *scores, Size stride, int k, double *out, Size out_stride)
{
	double		max = scores[0];
	double		sum = 0.0;

	for (int c = 1; c < k; c++)
		max = Max(max, scores[c * stride]);
	for (int c = 0; c < k; c++)
	{
		double		e = exp(scores[c * stride] - max);

		if (out)
			out[c * out_stride] = e;
		sum += e;
	}
	for (int c = 0; out && c < k; c++)
		out[c * out_stride] /= sum;
	return max + log(sum);
}

static inline void
SwapValues(double *values, double *weights, int i, int j)
{
	double		value = values[i];
	double		weight = weights[i];

	values[i] = values[j];
	weights[i] = weights[j];
	values[j] = value;
	weights[j] = weight;
}

/*
 * Returns the weighted median of values[0..n-1]: the smallest value whose
 * cumulative weight, its own and that of smaller values, reaches half the
 * total.  Quickselect with three-way partitions, expected O(n); reorders
 * both arrays.  Returns 0 when the total weight is 0.
 */
static double
WeightedMedian(double *values, double *weights, int n)
{
	double		total = 0.0;
	double		below = 0.0;	/* weight of the values left of lo */
	int			lo = 0;
	int			hi = n;

	for (int i = 0; i < n; i++)
		total += weights[i];
	if (n == 0 || !(total > 0.0))
		return 0.0;

	while (hi - lo > 1)
	{
		double		a = values[lo];
		double		b = values[lo + (hi - lo) / 2];
		double		c = values[hi - 1];
		double		pivot = Max(Min(a, b), Min(Max(a, b), c));
		int			lt = lo;
		int			gt = hi;
		double		w_less = 0.0;
		double		w_equal = 0.0;

		/* Partition into [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot. */
		for (int i = lo; i < gt;)
		{
			if (values[i] < pivot)
				SwapValues(values, weights, lt++, i++);
			else if (values[i] > pivot)
				SwapValues(values, weights, i, --gt);
			else
				i++;
		}
		for (int i = lo; i < lt; i++)
			w_less += weights[i];
		for (int i = lt; i < gt; i++)
			w_equal += weights[i];

		if (lt > lo && below + w_less >= total / 2)
			hi = lt;
		else if (below + w_less + w_equal >= total / 2 || gt == hi)
			return pivot;
		else
		{
			below += w_less + w_equal;
			lo = gt;
		}
	}
	return values[lo];
}

/* Sets F_0 from the training rows' targets. */
static void
ComputeBaseScore(FitState *fit)
{
	double		total = 0.0;
	double	   *sums = palloc0(sizeof(double) * fit->per_round);

	for (int i = 0; i < fit->n_train; i++)
	{
		total += fit->w[i];
		if (fit->objective == OBJECTIVE_SOFTMAX)
			sums[(int) fit->y[i]] += fit->w[i];
		else
			sums[0] += fit->w[i] * fit->y[i];
	}

	fit->train_weight = total;
	for (int k = 0; k < fit->per_round; k++)
	{
		double		mean = total > 0.0 ? sums[k] / total : 0.0;
		double		prior = Min(Max(mean, GBDT_MIN_PRIOR), 1.0 - GBDT_MIN_PRIOR);

		switch (fit->objective)
		{
			case OBJECTIVE_SQUARED:
				fit->base_score[k] = mean;
				break;
			case OBJECTIVE_ABSOLUTE:
				memcpy(fit->residuals, fit->y, sizeof(double) * fit->n_train);
				memcpy(fit->residual_weights, fit->w, sizeof(double) * fit->n_train);
				fit->base_score[k] = WeightedMedian(fit->residuals, fit->residual_weights,
													fit->n_train);
				break;
			case OBJECTIVE_LOGISTIC:
				fit->base_score[k] = log(prior / (1.0 - prior));
				break;
			case OBJECTIVE_SOFTMAX:
				fit->base_score[k] = fit->per_round > 1 ? log(prior) : 0.0;
				break;
		}
	}
	pfree(sums);
}

/*
 * Writes the softmax probabilities of the training rows at the current F
 * and returns the rows' weighted log loss sum.
 */
static double
ComputeProbabilities(FitState *fit)
{
	const double *raw = fit->raw;
	double	   *prob = fit->prob;
	double		loss = 0.0;

	for (int i = 0; i < fit->n_train; i++)
	{
		double		log_sum = Softmax(raw + i, fit->n_rows, fit->per_round,
									  prob + i, fit->n_train);

		loss += fit->w[i] * (log_sum - raw[(Size) fit->y[i] * fit->n_rows + i]);
	}
	return loss;
}

/*
 * Writes g and h of every training row for the tree of class k.  Returns
 * the rows' weighted loss sum at the current F, which this pass gets
 * almost for free, except for softmax: ComputeProbabilities returns that
 * loss, and this returns 0.
 */
static double
ComputeGradients(FitState *fit, int k)
{
	const double *raw = fit->raw + (Size) k * fit->n_rows;
	const double *prob = fit->prob ? fit->prob + (Size) k * fit->n_train : NULL;
	const double *weights = fit->w;
	const double *targets = fit->y;
	GradPair   *grad = fit->grad;
	double		loss = 0.0;

	/* Locals, not fit fields, in the loop: stores could alias the fields. */
	for (int i = 0; i < fit->n_train; i++)
	{
		double		w = weights[i];
		double		y = targets[i];
		double		d = raw[i] - y;
		double		e;
		double		p;

		switch (fit->objective)
		{
			case OBJECTIVE_SQUARED:
				grad[i].g = w * d;
				grad[i].h = w;
				loss += w * d * d;
				break;
			case OBJECTIVE_ABSOLUTE:
				grad[i].g = w * ((d > 0.0) - (d < 0.0));
				grad[i].h = w;
				loss += w * fabs(d);
				break;
			case OBJECTIVE_LOGISTIC:
				/* Sigmoid and Softplus, sharing one exp(). */
				e = exp(-fabs(raw[i]));
				p = (raw[i] >= 0.0 ? 1.0 : e) / (1.0 + e);
				grad[i].g = w * (p - y);
				grad[i].h = w * Max(p * (1.0 - p), GBDT_MIN_HESSIAN);
				loss += w * (Max(raw[i], 0.0) + log(1.0 + e) - y * raw[i]);
				break;
			case OBJECTIVE_SOFTMAX:
				p = prob[i];
				grad[i].g = w * (p - ((int) y == k ? 1.0 : 0.0));
				grad[i].h = w * Max(p * (1.0 - p), GBDT_MIN_HESSIAN);
				break;
		}
	}
	return loss;
}

/*
 * Returns the loss of fit row r at the current F: squared error, absolute
 * error or log loss (not halved, unlike the squared objective).
 */
static double
RowLoss(const FitState *fit, int r)
{
	double		score = fit->raw[r];
	double		y = fit->y[r];

	switch (fit->objective)
	{
		case OBJECTIVE_SQUARED:
			return (score - y) * (score - y);
		case OBJECTIVE_ABSOLUTE:
			return fabs(score - y);
		case OBJECTIVE_LOGISTIC:
			return Softplus(score) - y * score;
		case OBJECTIVE_SOFTMAX:
			return Softmax(fit->raw + r, fit->n_rows, fit->per_round, NULL, 0) -
				fit->raw[(Size) y * fit->n_rows + r];
	}
	return 0.0;
}

/* Returns the weighted mean loss of fit rows [begin, end). */
static double
MeanLoss(const FitState *fit, int begin, int end)
{
	double		loss = 0.0;
	double		weight = 0.0;

	for (int r = begin; r < end; r++)
	{
		loss += fit->w[r] * RowLoss(fit, r);
		weight += fit->w[r];
	}
	return weight > 0.0 ? loss / weight : 0.0;
}


/*
 * Histograms and splits
 */

static GradStats *
AcquireHistogram(FitState *fit)
{
	Size		bytes = mul_size(Max(fit->binning.total_bins, 1), sizeof(GradStats));

	if (fit->n_free_hists > 0)
		return fit->free_hists[--fit->n_free_hists];
	AutomlCheckMemory(mul_size(bytes, fit->n_hists + 1), "gbdt histograms");
	fit->n_hists++;
	return palloc_extended(bytes, MCXT_ALLOC_HUGE);
}

static void
ReleaseHistogram(FitState *fit, GradStats *hist)
{
	fit->free_hists[fit->n_free_hists++] = hist;
}

static inline void
AddToBin(GradStats *entry, double g, double h)
{
	entry->g += g;
	entry->h += h;
	entry->n++;
}

/* Sums g, h and counts of n rows into the histogram of one column. */
static void
AccumulateColumn(const uint8 *col, GradStats *hist, const int32 *rows,
				 const GradPair *grad, int n)
{
	for (int i = 0; i < n; i++)
		AddToBin(&hist[col[rows[i]]], grad[i].g, grad[i].h);
}

/*
 * Sums g, h and counts of n rows into the histograms of four columns in
 * one pass.  The four columns share the loads of each row's number and
 * gradient, and their sums are independent, so the additions overlap.  In
 * a micro-benchmark this ran about 1.6 times as fast per column as
 * AccumulateColumn.
 */
static void
AccumulateFourColumns(const uint8 *const *cols, GradStats *const *hists,
					  const int32 *rows, const GradPair *grad, int n)
{
	const uint8 *col0 = cols[0];
	const uint8 *col1 = cols[1];
	const uint8 *col2 = cols[2];
	const uint8 *col3 = cols[3];
	GradStats  *hist0 = hists[0];
	GradStats  *hist1 = hists[1];
	GradStats  *hist2 = hists[2];
	GradStats  *hist3 = hists[3];

	for (int i = 0; i < n; i++)
	{
		int32		r = rows[i];
		double		g = grad[i].g;
		double		h = grad[i].h;

		AddToBin(&hist0[col0[r]], g, h);
		AddToBin(&hist1[col1[r]], g, h);
		AddToBin(&hist2[col2[r]], g, h);
		AddToBin(&hist3[col3[r]], g, h);
	}
}

static inline void
AddStats(GradStats *to, const GradStats *from)
{
	to->g += from->g;
	to->h += from->h;
	to->n += from->n;
}

static inline void
SubtractStats(GradStats *to, const GradStats *from)
{
	to->g -= from->g;
	to->h -= from->h;
	to->n -= from->n;
}

/* Returns T(G): G moved toward 0 by lambda_l1, and 0 within it. */
static inline double
ThresholdL1(double g, double l1)
{
	return copysign(Max(fabs(g) - l1, 0.0), g);
}

/* Returns S(G, H) = T(G)^2 / (H + lambda_l2), the leaf's loss decrease x 2. */
static inline double
LeafScore(const GbdtParams *params, const GradStats *stats)
{
	double		t = ThresholdL1(stats->g, params->lambda_l1);
	double		denominator = stats->h + params->lambda_l2;

	return denominator > 0.0 ? t * t / denominator : 0.0;
}

/* Returns w = -T(G) / (H + lambda_l2), before the learning rate. */
static double
LeafWeight(const GbdtParams *params, const GradStats *stats)
{
	double		denominator = stats->h + params->lambda_l2;

	if (!(denominator > 0.0))
		return 0.0;
	return -ThresholdL1(stats->g, params->lambda_l1) / denominator;
}

/*
 * Makes the split of col after bin its best when it is valid and gains
 * more than best.
 */
static inline void
ConsiderSplit(const GbdtParams *params, double parent_score, int col, int bin,
			  bool default_left, const GradStats *left, const GradStats *right,
			  SplitInfo *best)
{
	double		children;
	double		gain;

	if (left->n < params->min_samples_leaf ||
		right->n < params->min_samples_leaf ||
		left->h < params->min_child_weight ||
		right->h < params->min_child_weight)
		return;
	children = LeafScore(params, left) + LeafScore(params, right);
	gain = children - parent_score;
	if (gain <= best->gain || gain <= GBDT_GAIN_TOLERANCE * children)
		return;
	best->feature = col;
	best->bin = bin;
	best->default_left = default_left;
	best->gain = gain;
	best->left = *left;
	best->right = *right;
}

/*
 * Tries every threshold of one column: the value bins up to b go left, the
 * missing bin goes right, then left when the node has missing rows.  With
 * no missing rows, NaN will later go to the side with more rows.  A bin
 * without rows gives the same partition as the bin before it and is
 * skipped, and the scan stops once too few rows are left on the right.
 */
static void
ScanColumn(const FitState *fit, int col, const GradStats *hist,
		   const GradStats *total, double parent_score, SplitInfo *best)
{
	const GbdtParams *params = &fit->params;
	int			n_bins = fit->binning.n_bins[col];
	const GradStats *missing = &hist[GBDT_MISSING_BIN];
	bool		has_missing = missing->n > 0;
	GradStats	left = {0.0, 0.0, 0};

	for (int b = 1; b < n_bins - 1; b++)
	{
		GradStats	right;

		AddStats(&left, &hist[b]);
		if (hist[b].n == 0 || left.n + missing->n < params->min_samples_leaf)
			continue;
		right = *total;
		SubtractStats(&right, &left);
		if (right.n < params->min_samples_leaf)
			break;
		ConsiderSplit(params, parent_score, col, b,
					  !has_missing && left.n >= right.n, &left, &right, best);

		if (has_missing)
		{
			GradStats	missing_left = left;
			GradStats	rest_right = right;

			AddStats(&missing_left, missing);
			SubtractStats(&rest_right, missing);
			ConsiderSplit(params, parent_score, col, b, true,
						  &missing_left, &rest_right, best);
		}
	}
}

/* Turns one column of the parent's histogram into the larger child's. */
static void
SubtractColumn(GradStats *hist, const GradStats *smaller, int n_bins)
{
	for (int b = 0; b < n_bins; b++)
		SubtractStats(&hist[b], &smaller[b]);
}

/*
 * Runs a node job over active columns [begin, end): builds the histograms
 * four columns at a time, then derives and scans each column while it is
 * in cache.
 */
static void
NodeTask(void *arg, int begin, int end, int worker)
{
	NodeJob    *job = arg;
	const FitState *fit = job->fit;
	const Binning *binning = &fit->binning;
	const OpenLeaf *built = job->built;
	const OpenLeaf *derived = job->derived;
	const int32 *rows = fit->rows + built->start;
	int			n = built->end - built->start;
	const uint8 *cols[4];
	GradStats  *hists[4];

	for (int a = begin, n_group; a < end; a += n_group)
	{
		n_group = Min(end - a, 4);
		for (int q = 0; q < n_group; q++)
		{
			int			col = fit->active[a + q];

			cols[q] = binning->bins + (Size) col * fit->n_rows;
			hists[q] = built->hist + binning->offset[col];
			memset(hists[q], 0, sizeof(GradStats) * binning->n_bins[col]);
		}
		if (n_group == 4)
			AccumulateFourColumns(cols, hists, rows, job->grad, n);
		else
			for (int q = 0; q < n_group; q++)
				AccumulateColumn(cols[q], hists[q], rows, job->grad, n);

		for (int q = 0; q < n_group; q++)
		{
			int			col = fit->active[a + q];
			int			offset = binning->offset[col];

			if (job->scan_built)
				ScanColumn(fit, col, hists[q], &built->sum, job->built_score,
						   &job->built_best[worker]);
			if (derived == NULL)
				continue;
			SubtractColumn(derived->hist + offset, hists[q], binning->n_bins[col]);
			ScanColumn(fit, col, derived->hist + offset, &derived->sum,
					   job->derived_score, &job->derived_best[worker]);
		}
	}
}

/*
 * Sets a leaf's split to the best of the threads' splits.  Equal gains go
 * to the lower column, which each thread also prefers because it scans
 * its columns in ascending order, so the choice matches one scan of all
 * columns in order whichever thread scanned which column.  Frees the
 * leaf's histogram when it has no split.
 */
static void
MergeBestSplits(FitState *fit, OpenLeaf *leaf, const SplitInfo *per_thread)
{
	leaf->split = per_thread[0];
	for (int w = 1; w < GBDT_N_THREADS; w++)
	{
		const SplitInfo *other = &per_thread[w];

		if (other->feature >= 0 &&
			(other->gain > leaf->split.gain ||
			 (other->gain == leaf->split.gain && other->feature < leaf->split.feature)))
			leaf->split = *other;
	}
	if (leaf->split.feature < 0)
	{
		ReleaseHistogram(fit, leaf->hist);
		leaf->hist = NULL;
	}
}

/*
 * Builds the histogram of leaf built from its rows and, if scan_built,
 * finds its best split.  When derived is given, its buffer contains the
 * parent's histogram, which becomes derived's by subtracting built's, and
 * its best split is found too.  For large leaves both threads share the
 * columns, four at a time.  The gradients of built's rows are first
 * gathered in row-list order (unless built is the root with every row in
 * order), so that each column's pass reads them sequentially.
 */
static void
BuildAndScan(FitState *fit, OpenLeaf *built, bool scan_built, OpenLeaf *derived)
{
	NodeJob		job;
	int			n = built->end - built->start;
	const int32 *rows = fit->rows + built->start;

	job.fit = fit;
	job.built = built;
	job.scan_built = scan_built;
	job.derived = derived;
	job.built_score = LeafScore(&fit->params, &built->sum);
	job.derived_score = derived ? LeafScore(&fit->params, &derived->sum) : 0.0;
	for (int w = 0; w < GBDT_N_THREADS; w++)
	{
		job.built_best[w].feature = -1;
		job.built_best[w].gain = 0.0;
		job.derived_best[w] = job.built_best[w];
	}

	if (built->start == 0 && built->end == fit->n_train && fit->sample_in_order)
		job.grad = fit->grad;
	else
	{
		GradPair   *ordered = fit->ordered;
		const GradPair *grad = fit->grad;

		for (int i = 0; i < n; i++)
			ordered[i] = grad[rows[i]];
		job.grad = ordered;
	}

	RunParallel(fit->worker, NodeTask, &job, fit->n_active, 4,
				(double) n * fit->n_active >= GBDT_PARALLEL_MIN_CELLS);

	if (scan_built)
		MergeBestSplits(fit, built, job.built_best);
	if (derived)
		MergeBestSplits(fit, derived, job.derived_best);
}


/*
 * Tree growth
 */

/* Appends a leaf node to the tree being grown and returns its index. */
static int32
AddTreeNode(FitState *fit)
{
	GbdtNode   *node = &fit->tree[fit->tree_size];

	node->feature = -1;
	node->left = -1;
	node->right = -1;
	node->default_left = false;
	node->threshold = 0.0;
	node->value = 0.0;
	fit->tree_bins[fit->tree_size] = 0;
	fit->tree_gains[fit->tree_size] = 0.0;
	return fit->tree_size++;
}

static void
InitLeaf(OpenLeaf *leaf, int32 node, int32 start, int32 end, int depth,
		 const GradStats *sum)
{
	leaf->node = node;
	leaf->start = start;
	leaf->end = end;
	leaf->depth = depth;
	leaf->sum = *sum;
	leaf->hist = NULL;
	leaf->split.feature = -1;
	leaf->split.gain = 0.0;
}

/* Returns whether the leaf may split, before looking at its histogram. */
static bool
MaySplit(const FitState *fit, const OpenLeaf *leaf)
{
	const GbdtParams *params = &fit->params;

	return fit->n_leaves < params->max_leaves &&
		fit->n_active > 0 &&
		(params->max_depth == 0 || leaf->depth < params->max_depth) &&
		leaf->end - leaf->start >= 2 * params->min_samples_leaf &&
		leaf->sum.h >= 2 * params->min_child_weight;
}

/*
 * Partitions a leaf's rows stably into the rows that go left, then those
 * that go right, and returns where the right rows start.
 */
static int32
PartitionRows(FitState *fit, const OpenLeaf *leaf)
{
	const SplitInfo *split = &leaf->split;
	const uint8 *col = fit->binning.bins + (Size) split->feature * fit->n_rows;
	int32	   *rows = fit->rows + leaf->start;
	int32	   *right_rows = fit->scratch;
	int32		n = leaf->end - leaf->start;
	int32		n_left = 0;
	int32		n_right = 0;
	uint8		goes_left[GBDT_BIN_SLOTS];

	for (int b = 0; b < GBDT_BIN_SLOTS; b++)
		goes_left[b] = b == GBDT_MISSING_BIN ? split->default_left : b <= split->bin;

	/* Write each row to both sides and advance one, to avoid branches. */
	for (int32 i = 0; i < n; i++)
	{
		int32		row = rows[i];
		int			left = goes_left[col[row]];

		rows[n_left] = row;
		right_rows[n_right] = row;
		n_left += left;
		n_right += 1 - left;
	}
	memcpy(rows + n_left, right_rows, sizeof(int32) * n_right);
	if (n_left != split->left.n)
		elog(ERROR, "gbdt: split sends %d rows left, its histogram counted %lld",
			 n_left, (long long) split->left.n);
	return leaf->start + n_left;
}

/*
 * Gives the children their histograms and best splits.  Only the smaller
 * child is built from its rows; the larger one takes the parent's buffer,
 * from which the smaller child's histogram is subtracted.
 */
static void
PrepareChildren(FitState *fit, GradStats *parent_hist, OpenLeaf *left, OpenLeaf *right)
{
	bool		left_smaller = left->end - left->start <= right->end - right->start;
	OpenLeaf   *smaller = left_smaller ? left : right;
	OpenLeaf   *larger = left_smaller ? right : left;
	bool		smaller_may_split = MaySplit(fit, smaller);
	bool		larger_may_split = MaySplit(fit, larger);

	if (!smaller_may_split && !larger_may_split)
	{
		ReleaseHistogram(fit, parent_hist);
		return;
	}
	if (!larger_may_split)
	{
		smaller->hist = parent_hist;
		BuildAndScan(fit, smaller, true, NULL);
		return;
	}

	smaller->hist = AcquireHistogram(fit);
	larger->hist = parent_hist;
	BuildAndScan(fit, smaller, smaller_may_split, larger);
	if (!smaller_may_split)
	{
		ReleaseHistogram(fit, smaller->hist);
		smaller->hist = NULL;
	}
}

/*
 * Splits open leaf number index: its node becomes internal, the left child
 * takes its place in the leaf list and the right child is appended.
 */
static void
SplitLeaf(FitState *fit, int index)
{
	OpenLeaf	parent = fit->leaves[index];
	const SplitInfo *split = &parent.split;
	int32		middle = PartitionRows(fit, &parent);
	OpenLeaf   *left = &fit->leaves[index];
	OpenLeaf   *right = &fit->leaves[fit->n_leaves++];
	GbdtNode   *node = &fit->tree[parent.node];

	node->feature = split->feature;
	node->threshold = fit->binning.upper[(Size) split->feature * GBDT_BIN_SLOTS + split->bin];
	node->default_left = split->default_left;
	node->left = AddTreeNode(fit);
	node->right = AddTreeNode(fit);
	fit->tree_bins[parent.node] = (uint8) split->bin;
	fit->tree_gains[parent.node] = split->gain;

	InitLeaf(left, node->left, parent.start, middle, parent.depth + 1, &split->left);
	InitLeaf(right, node->right, middle, parent.end, parent.depth + 1, &split->right);
	PrepareChildren(fit, parent.hist, left, right);
}

/*
 * Returns the open leaf to split next, or -1 when none has a valid split:
 * the largest gain (leaf-wise), or the largest gain among the shallowest
 * leaves (depth-wise).  Ties go to the earlier leaf.
 */
static int
ChooseLeaf(const FitState *fit)
{
	int			best = -1;

	for (int i = 0; i < fit->n_leaves; i++)
	{
		const OpenLeaf *leaf = &fit->leaves[i];
		const OpenLeaf *chosen = best >= 0 ? &fit->leaves[best] : NULL;

		if (leaf->split.feature < 0)
			continue;
		if (chosen == NULL ||
			(fit->params.grow_policy == GROW_DEPTHWISE && leaf->depth < chosen->depth) ||
			((fit->params.grow_policy == GROW_LEAFWISE || leaf->depth == chosen->depth) &&
			 leaf->split.gain > chosen->split.gain))
			best = i;
	}
	return best;
}

/* Grows one tree on the sampled rows, over the tree's columns. */
static void
GrowTree(FitState *fit)
{
	OpenLeaf   *root = &fit->leaves[0];
	GradStats	sum = {0.0, 0.0, 0};
	int			chosen;

	/* Partitions reorder rows, so each tree starts from the round's sample. */
	memcpy(fit->rows, fit->sample, sizeof(int32) * fit->n_train);
	for (int i = 0; i < fit->n_sampled; i++)
	{
		sum.g += fit->grad[fit->rows[i]].g;
		sum.h += fit->grad[fit->rows[i]].h;
	}
	sum.n = fit->n_sampled;

	fit->tree_size = 0;
	fit->n_leaves = 1;
	InitLeaf(root, AddTreeNode(fit), 0, fit->n_sampled, 0, &sum);
	if (MaySplit(fit, root))
	{
		root->hist = AcquireHistogram(fit);
		BuildAndScan(fit, root, true, NULL);
	}

	while (fit->n_leaves < fit->params.max_leaves && (chosen = ChooseLeaf(fit)) >= 0)
		SplitLeaf(fit, chosen);

	for (int i = 0; i < fit->n_leaves; i++)
	{
		if (fit->leaves[i].hist)
			ReleaseHistogram(fit, fit->leaves[i].hist);
		fit->leaves[i].hist = NULL;
	}
}

/* Returns the leaf of fit row r in the tree being grown, following bins. */
static int32
FindLeafByBins(const FitState *fit, int32 r)
{
	int32		t = 0;

	while (fit->tree[t].feature >= 0)
	{
		const GbdtNode *node = &fit->tree[t];
		int			bin = fit->binning.bins[(Size) node->feature * fit->n_rows + r];
		bool		go_left = bin == GBDT_MISSING_BIN ? node->default_left :
			bin <= fit->tree_bins[t];

		t = go_left ? node->left : node->right;
	}
	return t;
}

/*
 * Returns a leaf's output before the learning rate: the Newton step, or for
 * absolute loss the weighted median of its rows' residuals y - F.
 */
static double
LeafOutput(FitState *fit, const OpenLeaf *leaf, const double *raw)
{
	double	   *residuals = fit->residuals;
	double	   *weights = fit->residual_weights;
	int			n = 0;

	if (fit->objective != OBJECTIVE_ABSOLUTE)
		return LeafWeight(&fit->params, &leaf->sum);

	for (int i = leaf->start; i < leaf->end; i++)
	{
		int32		r = fit->rows[i];

		residuals[n] = fit->y[r] - raw[r];
		weights[n] = fit->w[r];
		n++;
	}
	return WeightedMedian(residuals, weights, n);
}

/* Appends the grown tree to the ensemble. */
static void
AppendTree(FitState *fit)
{
	int64		needed = (int64) fit->n_nodes + fit->tree_size;

	if (needed > fit->node_capacity)
	{
		int64		capacity = Max(needed, 2 * (int64) fit->node_capacity);

		if (capacity > PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("gbdt ensemble of more than %lld nodes is too large",
							(long long) capacity),
					 errhint("Lower n_estimators or max_leaves.")));
		AutomlCheckMemory(mul_size(capacity, sizeof(GbdtNode) + sizeof(double)),
						  "gbdt trees");
		fit->nodes = repalloc_huge(fit->nodes, sizeof(GbdtNode) * capacity);
		fit->node_gains = repalloc_huge(fit->node_gains, sizeof(double) * capacity);
		fit->node_capacity = (int) capacity;
	}
	memcpy(fit->nodes + fit->n_nodes, fit->tree, sizeof(GbdtNode) * fit->tree_size);
	memcpy(fit->node_gains + fit->n_nodes, fit->tree_gains,
		   sizeof(double) * fit->tree_size);
	fit->n_nodes = (int) needed;
	fit->tree_start[++fit->n_trees] = fit->n_nodes;
}

/*
 * Sets the leaf outputs of the grown tree of class k, adds the tree to the
 * scores F of every fit row and appends it to the ensemble.
 */
static void
FinishTree(FitState *fit, int k)
{
	double	   *raw = fit->raw + (Size) k * fit->n_rows;
	const int32 *rows = fit->rows;

	for (int l = 0; l < fit->n_leaves; l++)
	{
		const OpenLeaf *leaf = &fit->leaves[l];
		double		value = fit->params.learning_rate * LeafOutput(fit, leaf, raw);

		fit->tree[leaf->node].value = value;
		for (int i = leaf->start; i < leaf->end; i++)
			raw[rows[i]] += value;
	}

	/* Training rows outside the sample and validation rows find their leaf. */
	for (int i = fit->n_sampled; i < fit->n_train; i++)
		raw[rows[i]] += fit->tree[FindLeafByBins(fit, rows[i])].value;
	for (int r = fit->n_train; r < fit->n_rows; r++)
		raw[r] += fit->tree[FindLeafByBins(fit, r)].value;

	AppendTree(fit);
}


/*
 * Boosting
 */

/*
 * Draws the round's rows: each training row with probability subsample.
 * Every tree of the round starts from this sample.
 */
static void
SampleRows(FitState *fit)
{
	int32	   *sample = fit->sample;
	int32	   *left_out = fit->scratch;
	int			n_sampled = 0;
	int			n_left_out = 0;

	if (fit->params.subsample >= 1.0)
	{
		for (int i = 0; i < fit->n_train; i++)
			sample[i] = i;
		fit->n_sampled = fit->n_train;
		fit->sample_in_order = true;
		return;
	}
	for (int i = 0; i < fit->n_train; i++)
	{
		if (pg_prng_double(&fit->prng) < fit->params.subsample)
			sample[n_sampled++] = i;
		else
			left_out[n_left_out++] = i;
	}
	memcpy(sample + n_sampled, left_out, sizeof(int32) * n_left_out);
	fit->n_sampled = n_sampled;
	fit->sample_in_order = n_left_out == 0;
}

/* Draws the tree's columns: a colsample share of the usable ones, at least 1. */
static void
SampleColumns(FitState *fit)
{
	int			n_pick;

	memcpy(fit->active, fit->usable, sizeof(int) * fit->n_usable);
	fit->n_active = fit->n_usable;
	if (fit->params.colsample >= 1.0 || fit->n_usable == 0)
		return;

	n_pick = Max((int) floor(fit->params.colsample * fit->n_usable + 0.5), 1);
	for (int i = 0; i < n_pick; i++)
	{
		int			j = (int) pg_prng_uint64_range(&fit->prng, i, fit->n_usable - 1);
		int			tmp = fit->active[i];

		fit->active[i] = fit->active[j];
		fit->active[j] = tmp;
	}
	fit->n_active = n_pick;
	SortInt32s(fit->active, n_pick);
}

/*
 * Records the validation loss after a round and returns whether early
 * stopping ends boosting: the validation loss has not improved for
 * early_stopping_rounds rounds.
 */
static bool
EndRound(FitState *fit, int round)
{
	fit->rounds_trained = round + 1;
	if (!fit->early_stopping)
	{
		fit->best_rounds = round + 1;
		return false;
	}

	fit->valid_loss[round] = MeanLoss(fit, fit->n_train, fit->n_rows);
	if (round == 0 || fit->valid_loss[round] < fit->valid_loss[fit->best_rounds - 1])
		fit->best_rounds = round + 1;
	return fit->rounds_trained - fit->best_rounds >= fit->params.early_stopping_rounds;
}

/*
 * Runs the boosting rounds.  The gradient pass of a round also sums the
 * training loss at the scores before the round, which is the loss after
 * the previous round.  The last round's loss is computed after the loop.
 */
static void
Boost(FitState *fit, const FitControl *control)
{
	if (fit->n_train == 0)
		return;
	for (int round = 0; round < fit->params.n_estimators; round++)
	{
		double		loss_sum = 0.0;

		SampleRows(fit);
		if (fit->objective == OBJECTIVE_SOFTMAX)
			loss_sum = ComputeProbabilities(fit);
		for (int k = 0; k < fit->per_round; k++)
		{
			CHECK_FOR_INTERRUPTS();
			loss_sum += ComputeGradients(fit, k);
			SampleColumns(fit);
			GrowTree(fit);
			FinishTree(fit, k);
		}
		if (round > 0)
			fit->train_loss[round - 1] = fit->train_weight > 0.0 ?
				loss_sum / fit->train_weight : 0.0;
		if (EndRound(fit, round))
			break;
		if (control != NULL && control->deadline > 0 && AutomlNow() > control->deadline)
			break;
	}
	if (fit->rounds_trained > 0)
		fit->train_loss[fit->rounds_trained - 1] = MeanLoss(fit, 0, fit->n_train);
}

static GbdtObjective
ChooseObjective(const TrainData *data, GbdtRegressionLoss loss)
{
	if (data->task == TASK_CLASSIFICATION)
		return data->n_classes == 2 ? OBJECTIVE_LOGISTIC : OBJECTIVE_SOFTMAX;
	return loss == LOSS_ABSOLUTE ? OBJECTIVE_ABSOLUTE : OBJECTIVE_SQUARED;
}

/* Allocates the boosting buffers and sets every score to F_0. */
static void
AllocateBoosting(FitState *fit)
{
	int			n_train = Max(fit->n_train, 1);
	int			max_nodes = 2 * fit->params.max_leaves - 1;
	int64		max_trees = (int64) fit->params.n_estimators * fit->per_round;

	fit->base_score = palloc0(sizeof(double) * fit->per_round);
	fit->raw = AutomlAllocDoubles(mul_size(fit->per_round, Max(fit->n_rows, 1)), "gbdt scores");
	if (fit->objective == OBJECTIVE_SOFTMAX)
		fit->prob = AutomlAllocDoubles(mul_size(fit->per_round, n_train), "gbdt scores");
	if (fit->objective == OBJECTIVE_ABSOLUTE)
	{
		fit->residuals = AutomlAllocDoubles(n_train, "gbdt residuals");
		fit->residual_weights = AutomlAllocDoubles(n_train, "gbdt residuals");
	}
	fit->grad = AllocHuge(n_train, sizeof(GradPair), "gbdt gradients");
	fit->ordered = AllocHuge(n_train, sizeof(GradPair), "gbdt gradients");
	fit->sample = AllocHuge(n_train, sizeof(int32), "gbdt rows");
	fit->rows = AllocHuge(n_train, sizeof(int32), "gbdt rows");
	fit->scratch = AllocHuge(n_train, sizeof(int32), "gbdt rows");

	fit->tree = palloc(sizeof(GbdtNode) * max_nodes);
	fit->tree_bins = palloc(sizeof(uint8) * max_nodes);
	fit->tree_gains = palloc(sizeof(double) * max_nodes);
	fit->leaves = palloc(sizeof(OpenLeaf) * fit->params.max_leaves);
	fit->free_hists = palloc(sizeof(GradStats *) * (fit->params.max_leaves + 1));

	fit->node_capacity = max_nodes;
	fit->nodes = AllocHuge(max_nodes, sizeof(GbdtNode), "gbdt trees");
	fit->node_gains = AutomlAllocDoubles(max_nodes, "gbdt trees");
	fit->tree_start = AllocHuge(max_trees + 1, sizeof(int32), "gbdt trees");
	fit->tree_start[0] = 0;
	fit->train_loss = AutomlAllocDoubles(fit->params.n_estimators, "gbdt loss curve");
	fit->valid_loss = AutomlAllocDoubles(fit->params.n_estimators, "gbdt loss curve");

	ComputeBaseScore(fit);
	for (int k = 0; k < fit->per_round; k++)
		for (int r = 0; r < fit->n_rows; r++)
			fit->raw[(Size) k * fit->n_rows + r] = fit->base_score[k];
}

/* Copies the kept rounds into a model in the current memory context. */
static GbdtModel *
BuildModel(const FitState *fit)
{
	GbdtModel  *model = palloc0(sizeof(GbdtModel));
	int			n_trees = fit->best_rounds * fit->per_round;
	int			n_nodes = fit->tree_start[n_trees];

	model->objective = fit->objective;
	model->n_outputs = fit->n_outputs;
	model->per_round = fit->per_round;
	model->n_cols = fit->n_cols;
	model->n_rounds = fit->best_rounds;
	model->rounds_trained = fit->rounds_trained;
	model->early_stopping = fit->early_stopping;

	model->base_score = palloc(sizeof(double) * fit->per_round);
	memcpy(model->base_score, fit->base_score, sizeof(double) * fit->per_round);
	model->tree_start = AllocHuge(n_trees + 1, sizeof(int32), "gbdt model");
	memcpy(model->tree_start, fit->tree_start, sizeof(int32) * (n_trees + 1));
	model->nodes = AllocHuge(n_nodes, sizeof(GbdtNode), "gbdt model");
	memcpy(model->nodes, fit->nodes, sizeof(GbdtNode) * n_nodes);

	model->gains = AutomlAllocDoubles(Max(fit->n_cols, 1), "gbdt model");
	for (int t = 0; t < n_nodes; t++)
		if (fit->nodes[t].feature >= 0)
			model->gains[fit->nodes[t].feature] += fit->node_gains[t];

	model->train_loss = AutomlAllocDoubles(Max(fit->rounds_trained, 1), "gbdt model");
	memcpy(model->train_loss, fit->train_loss, sizeof(double) * fit->rounds_trained);
	if (fit->early_stopping)
	{
		model->valid_loss = AutomlAllocDoubles(Max(fit->rounds_trained, 1), "gbdt model");
		memcpy(model->valid_loss, fit->valid_loss, sizeof(double) * fit->rounds_trained);
	}
	return model;
}

/*
 * Fits a model.  The fit state lives in a child memory context that is
 * deleted at the end; only the model stays in the caller's context.  The
 * worker thread is stopped on every exit, errors included.
 */
static void *
GbdtFit(const TrainData *data, const double *config, const FitControl *control)
{
	double		start = AutomlNow();
	MemoryContext fit_context;
	MemoryContext old_context;
	FitState   *fit;
	GbdtModel  *model;

	CheckTrainData(data);
	fit_context = AllocSetContextCreate(CurrentMemoryContext, "automl gbdt fit",
										ALLOCSET_DEFAULT_SIZES);
	old_context = MemoryContextSwitchTo(fit_context);

	fit = palloc0(sizeof(FitState));
	GbdtParamsFromConfig(config, &fit->params);
	pg_prng_seed(&fit->prng, control ? control->seed : 0);
	fit->objective = ChooseObjective(data, fit->params.loss);
	fit->n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	fit->per_round = fit->objective == OBJECTIVE_SOFTMAX ? data->n_classes : 1;
	fit->n_cols = data->n_cols;
	fit->x = data->x;
	fit->x_rows = data->n_rows;

	/* Smaller inputs never reach GBDT_PARALLEL_MIN_CELLS in one job. */
	if ((double) data->n_rows * data->n_cols >= GBDT_PARALLEL_MIN_CELLS)
		fit->worker = StartWorker();
	PG_TRY();
	{
		SetUpRows(fit, data);
		BinColumns(fit);
		AllocateBoosting(fit);
		Boost(fit, control);
	}
	PG_FINALLY();
	{
		StopWorker(fit->worker);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(old_context);
	model = BuildModel(fit);
	MemoryContextDelete(fit_context);
	model->fit_seconds = AutomlNow() - start;
	return model;
}


/*
 * Prediction
 */

/* Follows row i of x to its leaf; NaN takes the node's default direction. */
static inline int32
FindLeaf(const GbdtNode *nodes, const double *x, int n_rows, int i)
{
	int32		t = 0;

	while (nodes[t].feature >= 0)
	{
		const GbdtNode *node = &nodes[t];
		double		value = x[(Size) node->feature * n_rows + i];

		if (value <= node->threshold)
			t = node->left;
		else if (value > node->threshold)
			t = node->right;
		else
			t = node->default_left ? node->left : node->right;
	}
	return t;
}

/*
 * Writes class probabilities (row-major n_rows x n_outputs) or regression
 * values from the scores, per_round x n_rows class-major.
 */
static void
WriteOutputs(const GbdtModel *model, const double *raw, int n_rows, double *out)
{
	for (int i = 0; i < n_rows; i++)
	{
		double		p;

		switch (model->objective)
		{
			case OBJECTIVE_SQUARED:
			case OBJECTIVE_ABSOLUTE:
				out[i] = raw[i];
				break;
			case OBJECTIVE_LOGISTIC:
				p = Sigmoid(raw[i]);
				out[2 * i] = 1.0 - p;
				out[2 * i + 1] = p;
				break;
			case OBJECTIVE_SOFTMAX:
				Softmax(raw + i, n_rows, model->per_round,
						out + (Size) i * model->n_outputs, 1);
				break;
		}
	}
}

static void
GbdtPredict(const void *opaque, const double *x, int n_rows, int n_cols,
			double *out)
{
	const GbdtModel *model = opaque;
	int			n_trees = model->n_rounds * model->per_round;
	double	   *raw;

	if (n_cols != model->n_cols)
		elog(ERROR, "gbdt: model expects %d columns, got %d", model->n_cols, n_cols);
	if (n_rows <= 0)
		return;

	raw = AutomlAllocDoubles(mul_size(model->per_round, n_rows), "gbdt predictions");
	for (int k = 0; k < model->per_round; k++)
		for (int i = 0; i < n_rows; i++)
			raw[(Size) k * n_rows + i] = model->base_score[k];

	/* Tree by tree, so that consecutive rows read consecutive values of x. */
	for (int t = 0; t < n_trees; t++)
	{
		const GbdtNode *nodes = model->nodes + model->tree_start[t];
		double	   *class_raw = raw + (Size) (t % model->per_round) * n_rows;

		for (int i = 0; i < n_rows; i++)
			class_raw[i] += nodes[FindLeaf(nodes, x, n_rows, i)].value;
	}
	WriteOutputs(model, raw, n_rows, out);
	pfree(raw);
}


/*
 * Serialization
 */

/*
 * Format, in order:
 *   int32 objective, output count, column count, rounds kept, rounds
 *         trained, early stopping flag
 *   float64 F_0 per tree of a round
 *   each tree: int32 node count, then its nodes.  A node is int32 feature,
 *         then float64 value for a leaf, or float64 threshold, int32 left
 *         and right children and int32 default direction
 *   float64 gain per column
 *   float64 training loss per round trained, then the validation loss per
 *         round trained when early stopping ran
 *   float64 fit seconds
 */
static void
GbdtSerialize(const void *opaque, StringInfo buf)
{
	const GbdtModel *model = opaque;
	int			n_trees = model->n_rounds * model->per_round;

	SerialPutInt32(buf, (int32) model->objective);
	SerialPutInt32(buf, model->n_outputs);
	SerialPutInt32(buf, model->n_cols);
	SerialPutInt32(buf, model->n_rounds);
	SerialPutInt32(buf, model->rounds_trained);
	SerialPutInt32(buf, model->early_stopping ? 1 : 0);
	SerialPutFloat64Array(buf, model->base_score, model->per_round);
	for (int t = 0; t < n_trees; t++)
	{
		SerialPutInt32(buf, model->tree_start[t + 1] - model->tree_start[t]);
		for (int i = model->tree_start[t]; i < model->tree_start[t + 1]; i++)
		{
			const GbdtNode *node = &model->nodes[i];

			SerialPutInt32(buf, node->feature);
			if (node->feature < 0)
			{
				SerialPutFloat64(buf, node->value);
				continue;
			}
			SerialPutFloat64(buf, node->threshold);
			SerialPutInt32(buf, node->left);
			SerialPutInt32(buf, node->right);
			SerialPutInt32(buf, node->default_left ? 1 : 0);
		}
	}
	SerialPutFloat64Array(buf, model->gains, model->n_cols);
	SerialPutFloat64Array(buf, model->train_loss, model->rounds_trained);
	if (model->early_stopping)
		SerialPutFloat64Array(buf, model->valid_loss, model->rounds_trained);
	SerialPutFloat64(buf, model->fit_seconds);
}

/* Raises an error unless count items of item_bytes each remain to be read. */
static void
CheckRemaining(const SerialReader *reader, Size count, Size item_bytes,
			   const char *what)
{
	Size		remaining = reader->length - reader->offset;

	if (count > remaining / item_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is truncated"),
				 errdetail("The %s needs %zu items of %zu bytes, and %zu bytes remain.",
						   what, count, item_bytes, remaining),
				 errhint("Retrain the project with automl_train.")));
}

static double *
ReadDoubles(SerialReader *reader, Size count, const char *what)
{
	double	   *values;

	CheckRemaining(reader, count, sizeof(double), what);
	values = AutomlAllocDoubles(Max(count, 1), what);
	SerialGetFloat64Array(reader, values, count);
	return values;
}

/*
 * Reads node t of a tree of n_nodes.  Children must come after their
 * parent and inside the tree, so prediction moves forward and reaches a
 * leaf within n_nodes steps.
 */
static void
ReadNode(SerialReader *reader, GbdtNode *node, int32 t, int32 n_nodes, int n_cols)
{
	node->feature = SerialGetInt32InRange(reader, -1, n_cols - 1, "gbdt node feature");
	node->left = -1;
	node->right = -1;
	node->default_left = false;
	node->threshold = 0.0;
	node->value = 0.0;
	if (node->feature < 0)
	{
		node->value = SerialGetFloat64(reader);
		return;
	}
	node->threshold = SerialGetFloat64(reader);
	node->left = SerialGetInt32InRange(reader, t + 1, n_nodes - 1, "gbdt left child");
	node->right = SerialGetInt32InRange(reader, t + 1, n_nodes - 1, "gbdt right child");
	node->default_left = SerialGetInt32InRange(reader, 0, 1, "gbdt default direction") == 1;
}

/* Reads every tree: a node count, then the nodes. */
static void
ReadTrees(SerialReader *reader, GbdtModel *model)
{
	int			n_trees = model->n_rounds * model->per_round;
	int			capacity = 0;

	/* Each tree takes at least 16 bytes: its node count and one leaf. */
	CheckRemaining(reader, n_trees, 16, "gbdt tree list");
	model->tree_start = AllocHuge(n_trees + 1, sizeof(int32), "gbdt model");
	model->tree_start[0] = 0;
	model->nodes = NULL;
	for (int t = 0; t < n_trees; t++)
	{
		int32		start = model->tree_start[t];
		int32		n_nodes = SerialGetInt32InRange(reader, 1, GBDT_MAX_TREE_NODES,
													"gbdt tree node count");

		/* Each node takes at least 12 bytes: its feature and a float64. */
		CheckRemaining(reader, n_nodes, 12, "gbdt tree");
		if (start + n_nodes > capacity)
		{
			capacity = Max(start + n_nodes, 2 * capacity);
			AutomlCheckMemory(mul_size(capacity, sizeof(GbdtNode)), "gbdt model");
			model->nodes = model->nodes == NULL ?
				palloc_extended(sizeof(GbdtNode) * capacity, MCXT_ALLOC_HUGE) :
				repalloc_huge(model->nodes, sizeof(GbdtNode) * capacity);
		}
		for (int32 i = 0; i < n_nodes; i++)
			ReadNode(reader, &model->nodes[start + i], i, n_nodes, model->n_cols);
		model->tree_start[t + 1] = start + n_nodes;
	}
	if (model->nodes == NULL)
		model->nodes = palloc(sizeof(GbdtNode));
}

static void *
GbdtDeserialize(SerialReader *reader)
{
	GbdtModel  *model = palloc0(sizeof(GbdtModel));
	bool		classify;

	model->objective = (GbdtObjective) SerialGetInt32InRange(reader, OBJECTIVE_SQUARED,
															 OBJECTIVE_SOFTMAX,
															 "gbdt objective");
	classify = model->objective == OBJECTIVE_LOGISTIC ||
		model->objective == OBJECTIVE_SOFTMAX;
	model->n_outputs = SerialGetInt32InRange(reader,
											 model->objective == OBJECTIVE_LOGISTIC ? 2 : 1,
											 model->objective == OBJECTIVE_SOFTMAX ?
											 GBDT_MAX_CLASSES : (classify ? 2 : 1),
											 "output count");
	model->per_round = model->objective == OBJECTIVE_SOFTMAX ? model->n_outputs : 1;
	model->n_cols = SerialGetInt32InRange(reader, 0, GBDT_MAX_COLS, "column count");
	model->n_rounds = SerialGetInt32InRange(reader, 0, GBDT_MAX_ROUNDS, "gbdt round count");
	model->rounds_trained = SerialGetInt32InRange(reader, model->n_rounds, GBDT_MAX_ROUNDS,
												  "gbdt trained round count");
	model->early_stopping = SerialGetInt32InRange(reader, 0, 1, "gbdt early stopping flag") == 1;

	model->base_score = ReadDoubles(reader, model->per_round, "gbdt base score");
	ReadTrees(reader, model);
	model->gains = ReadDoubles(reader, model->n_cols, "gbdt gains");
	model->train_loss = ReadDoubles(reader, model->rounds_trained, "gbdt loss curve");
	if (model->early_stopping)
		model->valid_loss = ReadDoubles(reader, model->rounds_trained, "gbdt loss curve");
	model->fit_seconds = SerialGetFloat64(reader);
	return model;
}


/*
 * Inspection
 */

/* Writes each column's share of the total split gain. */
static void
GbdtImportance(const void *opaque, int n_cols, double *out)
{
	const GbdtModel *model = opaque;
	double		total = 0.0;

	if (n_cols != model->n_cols)
		elog(ERROR, "gbdt: model has %d columns, importance requested for %d",
			 model->n_cols, n_cols);
	for (int j = 0; j < n_cols; j++)
		total += model->gains[j];
	for (int j = 0; j < n_cols; j++)
		out[j] = total > 0.0 ? model->gains[j] / total : 0.0;
}

static void
AppendJsonNumber(StringInfo buf, double value)
{
	if (isfinite(value))
		appendStringInfo(buf, "%.10g", value);
	else
		appendStringInfoString(buf, "null");
}

static void
AppendJsonArray(StringInfo buf, const char *key, const double *values, int n)
{
	appendStringInfo(buf, ", \"%s\": ", key);
	if (values == NULL)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		AppendJsonNumber(buf, values[i]);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * Finds the largest leaf count and depth (edges from the root to a leaf)
 * over the trees.  Children follow their parent, so one forward pass over
 * a tree's nodes sets each node's depth before it reaches the node.
 */
static void
MeasureTrees(const GbdtModel *model, int *max_leaves, int *max_depth)
{
	int			n_trees = model->n_rounds * model->per_round;
	int32	   *depth = palloc(sizeof(int32) * GBDT_MAX_TREE_NODES);

	*max_leaves = 0;
	*max_depth = 0;
	for (int t = 0; t < n_trees; t++)
	{
		const GbdtNode *nodes = model->nodes + model->tree_start[t];
		int			n_nodes = model->tree_start[t + 1] - model->tree_start[t];
		int			n_leaves = 0;

		depth[0] = 0;
		for (int i = 0; i < n_nodes; i++)
		{
			if (nodes[i].feature >= 0)
			{
				depth[nodes[i].left] = depth[i] + 1;
				depth[nodes[i].right] = depth[i] + 1;
				continue;
			}
			n_leaves++;
			*max_depth = Max(*max_depth, depth[i]);
		}
		*max_leaves = Max(*max_leaves, n_leaves);
	}
	pfree(depth);
}

/*
 * Describes the ensemble as JSON: tree and round counts, tree sizes, F_0
 * (of the first class for softmax) and the fit time.  best_iteration is the
 * round, from 1, of the lowest validation loss, or the last round without
 * early stopping.  train_loss and valid_loss give the mean loss after each
 * round trained, on the training and the validation rows: squared error
 * (not halved), absolute error or log loss.
 */
static void
GbdtDescribe(const void *opaque, StringInfo buf)
{
	const GbdtModel *model = opaque;
	int			n_trees = model->n_rounds * model->per_round;
	int			n_nodes = model->tree_start[n_trees];
	int			max_leaves;
	int			max_depth;

	MeasureTrees(model, &max_leaves, &max_depth);
	appendStringInfo(buf, "{\"objective\": \"%s\", \"n_trees\": %d, "
					 "\"trees_per_round\": %d, \"rounds_trained\": %d, "
					 "\"best_iteration\": %d, \"early_stopping\": %s, "
					 "\"max_leaves\": %d, \"max_depth\": %d, \"mean_leaves\": ",
					 gbdt_objective_names[model->objective], n_trees,
					 model->per_round, model->rounds_trained, model->n_rounds,
					 model->early_stopping ? "true" : "false", max_leaves, max_depth);
	AppendJsonNumber(buf, n_trees > 0 ? (n_nodes + n_trees) / 2.0 / n_trees : 0.0);
	appendStringInfoString(buf, ", \"base_score\": ");
	AppendJsonNumber(buf, model->base_score[0]);
	appendStringInfoString(buf, ", \"fit_seconds\": ");
	AppendJsonNumber(buf, model->fit_seconds);
	AppendJsonArray(buf, "train_loss", model->train_loss, model->rounds_trained);
	AppendJsonArray(buf, "valid_loss", model->valid_loss, model->rounds_trained);
	appendStringInfoChar(buf, '}');
}

const ModelFamily gbdt_family = {
	.name = "gbdt",
	.description = "histogram gradient boosting of regression trees",
	.supports_classification = true,
	.supports_regression = true,
	.params = gbdt_params,
	.n_params = lengthof(gbdt_params),
	.fit = GbdtFit,
	.predict = GbdtPredict,
	.serialize = GbdtSerialize,
	.deserialize = GbdtDeserialize,
	.importance = GbdtImportance,
	.describe = GbdtDescribe,
};
