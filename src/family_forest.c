/*
 * family_forest.c
 *		Random forest and extra trees, for classification and regression.
 *
 * Both families average B unpruned trees grown by the tree builder
 * (tree.c).  A prediction is the mean of the trees' leaf class
 * probabilities, or of their leaf means for regression.  Each split looks
 * at max_features columns drawn at random among those not constant in the
 * node, and at more when none of them has a valid split.  A split maximises
 * the decrease of the weighted Gini index or entropy, or of the squared
 * error around the mean for regression.
 *
 * - random_forest (Breiman, "Random Forests", Machine Learning 45, 2001)
 *   grows each tree on a bootstrap sample of n rows drawn with replacement,
 *   and scans every threshold of a candidate column.
 * - extra_trees (Geurts, Ernst and Wehenkel, "Extremely randomized trees",
 *   Machine Learning 63, 2006) grows each tree on every row.  Each candidate
 *   column gets one threshold drawn uniformly between the node's lowest and
 *   highest value, and the best of these random splits is kept.
 *
 * The bootstrap hyperparameter switches the sampling of either family.
 * max_features is a fraction of the p columns, rounded and at least 1.  Its
 * default 0 means the customary count: floor(sqrt(p)) for classification
 * and p for regression.  A tree stops growing at max_depth (0 for no
 * limit), at pure nodes, and where a split would leave fewer than
 * min_samples_leaf rows on a side.
 *
 * With bootstrap, the rows a tree did not draw (a share of about
 * (1 - 1/n)^n, near 1/e = 37%) are its out-of-bag rows.  A row's
 * out-of-bag prediction averages the trees that left it out.  The
 * out-of-bag score is the weighted accuracy of these predictions, or their
 * R^2 for regression, and describe shows it.  Importance averages each
 * tree's impurity decrease per column, normalised per tree, then
 * normalises the mean.
 *
 * Tree t draws its randomness from its own pg_prng_state, seeded from the
 * fit seed and t, so the model depends only on the seed.  On data of at
 * least FOREST_THREAD_MIN_CELLS cells, two worker threads grow the trees,
 * each taking the next tree when it finishes one, so a thread slowed by
 * other work does not hold the other back.  Each thread grows in a builder
 * arena that the main thread allocated beforehand, and the builder makes no
 * server call there.  The main thread builds each grown tree into the
 * model and adds the trees to the importance and out-of-bag sums in tree
 * order, so the result is the same as on one thread.  It checks for
 * interrupts while it waits, and before an error unwinds it stops and
 * joins the threads.  At the fit deadline the forest keeps its finished
 * trees, at least one.
 */
#include "postgres.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "tree.h"

/* The largest n_estimators and max_depth a user may set. */
#define FOREST_MAX_TREES 5000
#define FOREST_MAX_DEPTH 1000

#define FOREST_THREADS 2

/* Rows x columns from which growing trees on two threads pays. */
#define FOREST_THREAD_MIN_CELLS 10000

/* How often the main thread checks for interrupts while threads run. */
#define FOREST_WAIT_NANOSECONDS 10000000L

/* Serialised bytes of an internal node, a leaf without values, and a tree. */
#define FOREST_INTERNAL_BYTES (3 * sizeof(int32) + sizeof(double))
#define FOREST_LEAF_BYTES (2 * sizeof(int32))
#define FOREST_TREE_HEADER_BYTES (2 * sizeof(int32))

enum ForestParam
{
	PARAM_N_ESTIMATORS,
	PARAM_MAX_FEATURES,
	PARAM_MAX_DEPTH,
	PARAM_MIN_SAMPLES_LEAF,
	PARAM_BOOTSTRAP,
	PARAM_CRITERION
};

static const char *const forest_bootstrap[] = {"true", "false"};
static const char *const forest_criteria[] = {"gini", "entropy"};

static const ParamSpec random_forest_params[] = {
	{"n_estimators", PARAM_INT, 50, 500, 100, NULL, 0, 1, FOREST_MAX_TREES},
	{"max_features", PARAM_REAL, 0.1, 1.0, 0.0, NULL, 0, 0.0, 1.0},
	{"max_depth", PARAM_INT, 0, 30, 0, NULL, 0, 0, FOREST_MAX_DEPTH, NULL, true},
	{"min_samples_leaf", PARAM_INT, 1, 20, 1, NULL, 0},
	{"bootstrap", PARAM_CHOICE, 0, 1, 0, forest_bootstrap, lengthof(forest_bootstrap)},
	{"criterion", PARAM_CHOICE, 0, 1, CRITERION_GINI,
	forest_criteria, lengthof(forest_criteria), 0, 0, "task=classification"},
};

static const ParamSpec extra_trees_params[] = {
	{"n_estimators", PARAM_INT, 50, 500, 100, NULL, 0, 1, FOREST_MAX_TREES},
	{"max_features", PARAM_REAL, 0.1, 1.0, 0.0, NULL, 0, 0.0, 1.0},
	{"max_depth", PARAM_INT, 0, 30, 0, NULL, 0, 0, FOREST_MAX_DEPTH, NULL, true},
	{"min_samples_leaf", PARAM_INT, 1, 20, 1, NULL, 0},
	{"bootstrap", PARAM_CHOICE, 0, 1, 1, forest_bootstrap, lengthof(forest_bootstrap)},
	{"criterion", PARAM_CHOICE, 0, 1, CRITERION_GINI,
	forest_criteria, lengthof(forest_criteria), 0, 0, "task=classification"},
};

typedef struct ForestModel
{
	TaskKind	task;
	int			n_outputs;		/* classes, or 1 for regression */
	int			n_cols;
	int			n_trees;
	int			max_features;	/* columns tried per split */
	bool		bootstrap;
	double		oob_score;		/* accuracy or R^2, NaN when not computed */
	double	   *importance;		/* n_cols, summing to 1 when any is positive */
	TreeModel **trees;
} ForestModel;

typedef struct ForestSettings
{
	int			n_estimators;
	bool		bootstrap;
	TreeParams	tree;
} ForestSettings;

struct ForestState;

/* One builder arena and the tree it grows. */
typedef struct ForestWorker
{
	TreeBuilder builder;
	struct ForestState *state;
	const int32 *presorted;
	bool		bootstrap;
	int			tree_index;		/* the tree being grown, or -1 when idle */
	pthread_t	thread;
	bool		started;		/* a thread was started and not joined yet */
	bool		done;			/* the tree is grown; under state->lock */
	char		padding[PG_CACHE_LINE_SIZE];	/* keeps workers off shared cache lines */
} ForestWorker;

/* The state of one fit. */
typedef struct ForestState
{
	const TrainData *data;
	ForestSettings settings;
	uint64		seed;
	MemoryContext model_context;	/* where the trees are built */
	ForestModel *model;
	int32	   *presorted;
	ForestWorker *workers;
	int			n_workers;
	bool		threaded;
	pg_atomic_uint32 stop;		/* set to stop the worker threads */
	pthread_mutex_t lock;		/* protects the workers' done flags */
	pthread_cond_t tree_done;	/* signalled when a thread has grown its tree */
	int			next_tree;		/* the next tree to hand to a worker */
	bool		stopping;		/* a tree stopped at the deadline: start no more */
	TreeModel **grown;			/* per tree, NULL until grown and built */
	bool	   *truncated;		/* per tree, whether it stopped at the deadline */
	int			n_added;		/* trees [0, n_added) are added to the sums */
	int32	   *counts;			/* n_rows, a tree's bootstrap counts */
	double	   *oob_sums;		/* n_rows x n_outputs */
	int32	   *oob_counts;		/* trees that left each row out */
	double	   *gains;			/* n_cols, one tree's normalised gains */
} ForestState;

static int
OutputCount(const TrainData *data)
{
	return data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
}

/*
 * Returns the columns tried per split, at least 1: round(fraction x p), or
 * for 0, floor(sqrt(p)) for classification and p for regression.
 */
static int
FeatureCount(double fraction, const TrainData *data)
{
	double		p = data->n_cols;
	double		count;

	if (fraction <= 0.0)
		count = data->task == TASK_CLASSIFICATION ? floor(sqrt(p)) : p;
	else
		count = rint(Min(fraction, 1.0) * p);
	return (int) Max(count, 1.0);
}

/*
 * Reads a configuration vector.  Values are rounded and clamped to the
 * ranges a user may set.  A max_depth of 0, or one beyond the row count,
 * becomes the row count, which no tree can reach.
 */
static void
ReadSettings(const double *config, const TrainData *data, bool extra,
			 ForestSettings *settings)
{
	int			max_depth = (int) Min(Max(rint(config[PARAM_MAX_DEPTH]), 0.0),
									  FOREST_MAX_DEPTH);
	int			depth_bound = Max(data->n_rows, 1);

	settings->n_estimators = (int) Min(Max(rint(config[PARAM_N_ESTIMATORS]), 1.0),
									   FOREST_MAX_TREES);
	settings->bootstrap = config[PARAM_BOOTSTRAP] < 0.5;
	settings->tree.max_depth = max_depth == 0 ? depth_bound : Min(max_depth, depth_bound);
	settings->tree.min_samples_leaf =
		(int) Min(Max(rint(config[PARAM_MIN_SAMPLES_LEAF]), 1.0),
				  random_forest_params[PARAM_MIN_SAMPLES_LEAF].high);
	settings->tree.criterion = config[PARAM_CRITERION] >= 0.5
		? CRITERION_ENTROPY : CRITERION_GINI;
	settings->tree.ccp_alpha = 0.0;
	settings->tree.max_features = FeatureCount(config[PARAM_MAX_FEATURES], data);
	settings->tree.random_thresholds = extra;
}

/*
 * Returns an upper bound of the bytes the forest's trees take, in memory
 * (*in_memory) and serialised (the result), from the largest tree the row
 * count and parameters allow.
 */
static Size
ModelBytesBound(const TrainData *data, const ForestSettings *settings,
				Size *in_memory)
{
	Size		n_nodes = TreeMaxNodeCount(data->n_rows, &settings->tree);
	Size		n_leaves = (n_nodes + 1) / 2;
	Size		values = mul_size(mul_size(n_leaves, OutputCount(data)), sizeof(double));
	Size		tree_memory;
	Size		tree_binary;

	tree_memory = add_size(mul_size(n_nodes, sizeof(TreeNode)), values);
	tree_memory = add_size(tree_memory, sizeof(TreeModel) + sizeof(TreeModel *));
	tree_binary = add_size(mul_size(n_nodes - n_leaves, FOREST_INTERNAL_BYTES),
						   mul_size(n_leaves, FOREST_LEAF_BYTES));
	tree_binary = add_size(add_size(tree_binary, values), FOREST_TREE_HEADER_BYTES);
	*in_memory = mul_size(tree_memory, settings->n_estimators);
	return mul_size(tree_binary, settings->n_estimators);
}

/*
 * Returns the bytes a fit with n_workers arenas may need: the presorted
 * columns, the arenas, the out-of-bag sums, and the largest forest the
 * parameters allow, in memory and serialised.
 */
static Size
FitBytesBound(const TrainData *data, const ForestSettings *settings,
			  int n_workers, Size *binary)
{
	Size		in_memory;
	Size		bytes;

	*binary = ModelBytesBound(data, settings, &in_memory);
	bytes = mul_size(mul_size(Max(data->n_cols, 1), data->n_rows), sizeof(int32));
	bytes = add_size(bytes, mul_size(TreeArenaBytes(data, &settings->tree), n_workers));
	bytes = add_size(bytes, mul_size(data->n_rows,
									 OutputCount(data) * sizeof(double) + sizeof(int32)));
	return add_size(add_size(bytes, in_memory), *binary);
}

/*
 * Chooses one or two builder arenas and checks the fit's memory bound
 * against automl.memory_limit before anything is built.  Two arenas are
 * used on data large enough, when both fit.
 *
 * NOTE: the bound assumes every tree has one leaf per min_samples_leaf rows,
 * so a forest of fully grown trees on a large table can be rejected even
 * though its real trees, usually much smaller, would fit.
 */
static int
CheckForestMemory(const TrainData *data, const ForestSettings *settings,
				  const char *family_name)
{
	Size		limit = (Size) automl_memory_limit_mb * 1024 * 1024;
	Size		cells = (Size) data->n_rows * Max(data->n_cols, 1);
	int			n_workers = 1;
	Size		binary;
	Size		bytes;

	if (settings->n_estimators >= 2 && cells >= FOREST_THREAD_MIN_CELLS &&
		FitBytesBound(data, settings, FOREST_THREADS, &binary) <= limit)
		n_workers = FOREST_THREADS;
	bytes = FitBytesBound(data, settings, n_workers, &binary);
	if (bytes > limit || binary > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s of %d trees may need %zu MB, more than the memory limit",
						family_name, settings->n_estimators, bytes / (1024 * 1024) + 1),
				 errdetail("Each tree may have up to %d nodes.  automl.memory_limit is %d MB, and a model binary must stay below 1 GB.",
						   TreeMaxNodeCount(data->n_rows, &settings->tree),
						   automl_memory_limit_mb),
				 errhint("Lower n_estimators, raise min_samples_leaf, set max_depth, or raise automl.memory_limit.")));
	return n_workers;
}

/* Returns the seed of tree t: the fit seed mixed with t, so trees differ. */
static uint64
TreeSeed(uint64 seed, int t)
{
	return seed ^ ((uint64) (t + 1) * UINT64CONST(0x9E3779B97F4A7C15));
}

/* Allocates the presorted columns, the arenas and the per-tree state. */
static void
InitForestFit(ForestState *fit, int n_workers, double deadline)
{
	const TrainData *data = fit->data;
	int			n_estimators = fit->settings.n_estimators;

	fit->presorted = TreePresort(data);
	fit->n_workers = n_workers;
	fit->threaded = n_workers > 1;
	fit->workers = palloc0(sizeof(ForestWorker) * n_workers);
	fit->grown = palloc0(sizeof(TreeModel *) * n_estimators);
	fit->truncated = palloc0(sizeof(bool) * n_estimators);
	fit->gains = palloc(sizeof(double) * Max(data->n_cols, 1));
	pg_atomic_init_u32(&fit->stop, 0);
	if (fit->threaded &&
		(pthread_mutex_init(&fit->lock, NULL) != 0 ||
		 pthread_cond_init(&fit->tree_done, NULL) != 0))
		fit->threaded = false;
	for (int w = 0; w < n_workers; w++)
	{
		ForestWorker *worker = &fit->workers[w];

		TreeBuilderInitArena(&worker->builder, data, &fit->settings.tree, deadline);
		worker->builder.stop = &fit->stop;
		worker->state = fit;
		worker->presorted = fit->presorted;
		worker->bootstrap = fit->settings.bootstrap;
		worker->tree_index = -1;
	}
	if (fit->settings.bootstrap)
	{
		fit->counts = palloc(mul_size(Max(data->n_rows, 1), sizeof(int32)));
		fit->oob_sums = AutomlAllocDoubles(mul_size(data->n_rows, OutputCount(data)),
										   "forest out-of-bag predictions");
		fit->oob_counts = palloc0(mul_size(Max(data->n_rows, 1), sizeof(int32)));
	}
}

/* Grows the worker's tree on a worker thread, then reports that it is done. */
static void *
GrowWorkerTree(void *arg)
{
	ForestWorker *worker = arg;
	ForestState *fit = worker->state;

	TreeGrowSample(&worker->builder, worker->presorted, worker->bootstrap);
	pthread_mutex_lock(&fit->lock);
	worker->done = true;
	pthread_cond_signal(&fit->tree_done);
	pthread_mutex_unlock(&fit->lock);
	return NULL;
}

/*
 * Hands tree t to an idle worker.  With threads, it grows on a new thread
 * that has every signal blocked, so the server's signal handlers keep
 * running on the main thread.  Otherwise, or when the thread cannot start,
 * the main thread grows it at once.
 */
static void
StartTree(ForestState *fit, ForestWorker *worker, int t)
{
	sigset_t	all_signals;
	sigset_t	old_signals;

	worker->tree_index = t;
	worker->done = false;
	worker->started = false;
	pg_prng_seed(&worker->builder.prng, TreeSeed(fit->seed, t));
	if (fit->threaded)
	{
		worker->builder.server_calls = false;
		sigfillset(&all_signals);
		pthread_sigmask(SIG_SETMASK, &all_signals, &old_signals);
		worker->started = pthread_create(&worker->thread, NULL, GrowWorkerTree,
										 worker) == 0;
		pthread_sigmask(SIG_SETMASK, &old_signals, NULL);
	}
	if (worker->started)
		return;
	worker->builder.server_calls = true;
	TreeGrowSample(&worker->builder, worker->presorted, worker->bootstrap);
	worker->done = true;
}

/* Returns whether the worker has grown its tree, reading it under the lock. */
static bool
IsTreeDone(ForestState *fit, ForestWorker *worker)
{
	bool		done;

	if (worker->tree_index < 0)
		return false;
	if (!worker->started)
		return worker->done;
	pthread_mutex_lock(&fit->lock);
	done = worker->done;
	pthread_mutex_unlock(&fit->lock);
	return done;
}

/* Returns whether some worker has grown its tree.  The caller holds the lock. */
static bool
AnyTreeDoneLocked(const ForestState *fit)
{
	for (int w = 0; w < fit->n_workers; w++)
	{
		if (fit->workers[w].tree_index >= 0 && fit->workers[w].done)
			return true;
	}
	return false;
}

/*
 * Waits until a thread has grown its tree, or FOREST_WAIT_NANOSECONDS pass,
 * then checks for interrupts with the lock released.
 */
static void
WaitForTree(ForestState *fit)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += FOREST_WAIT_NANOSECONDS;
	if (until.tv_nsec >= 1000000000L)
	{
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&fit->lock);
	while (!AnyTreeDoneLocked(fit) &&
		   pthread_cond_timedwait(&fit->tree_done, &fit->lock, &until) == 0)
		continue;
	pthread_mutex_unlock(&fit->lock);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Joins the worker's thread and builds its tree into the tree's slot, in the
 * model's memory context.  A tree that stopped at the deadline ends the
 * handing out of trees.
 */
static void
CollectTree(ForestState *fit, ForestWorker *worker)
{
	TreeBuilder *builder = &worker->builder;
	int			t = worker->tree_index;
	MemoryContext old_context;

	if (worker->started)
		pthread_join(worker->thread, NULL);
	worker->started = false;
	worker->tree_index = -1;
	if (builder->failure != NULL)
		elog(ERROR, "forest: tree %d failed: %s", t, builder->failure);

	old_context = MemoryContextSwitchTo(fit->model_context);
	fit->grown[t] = TreeBuildModel(builder);
	MemoryContextSwitchTo(old_context);
	fit->truncated[t] = builder->truncated;
	if (builder->truncated)
		fit->stopping = true;
}

/* Adds the tree's predictions of the rows its bootstrap sample left out. */
static void
AddOutOfBag(ForestState *fit, const TreeModel *tree, int t)
{
	const TrainData *data = fit->data;
	int			n_outputs = tree->n_outputs;
	pg_prng_state prng;

	pg_prng_seed(&prng, TreeSeed(fit->seed, t));
	TreeBootstrapCounts(&prng, data->n_rows, fit->counts);
	for (int i = 0; i < data->n_rows; i++)
	{
		const double *values;
		double	   *sums = fit->oob_sums + (Size) i * n_outputs;

		if (fit->counts[i] > 0)
			continue;
		values = TreeLeafValues(tree, data->x, data->n_rows, i);
		for (int k = 0; k < n_outputs; k++)
			sums[k] += values[k];
		fit->oob_counts[i]++;
	}
}

/*
 * Adds the finished trees that follow the ones already added, in tree
 * order, to the importance and out-of-bag sums, so the sums do not depend
 * on which thread finished first.  A tree's gains are freed once added.
 */
static void
AddFinishedTrees(ForestState *fit)
{
	ForestModel *model = fit->model;

	for (; fit->n_added < fit->settings.n_estimators; fit->n_added++)
	{
		TreeModel  *tree = fit->grown[fit->n_added];

		if (tree == NULL || fit->truncated[fit->n_added])
			break;
		TreeNormalizedGains(tree, fit->gains);
		for (int j = 0; j < model->n_cols; j++)
			model->importance[j] += fit->gains[j];
		pfree(tree->gains);
		tree->gains = NULL;
		if (fit->settings.bootstrap)
			AddOutOfBag(fit, tree, fit->n_added);
		model->trees[model->n_trees++] = tree;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Hands out the trees to the workers as they become idle, and collects and
 * adds them as they finish.  Returns when every tree is collected, or when
 * a tree stopped at the deadline and the trees under way are collected.
 */
static void
GrowTrees(ForestState *fit)
{
	for (;;)
	{
		bool		busy = false;
		bool		collected = false;

		for (int w = 0; w < fit->n_workers; w++)
		{
			ForestWorker *worker = &fit->workers[w];

			if (worker->tree_index < 0 && !fit->stopping &&
				fit->next_tree < fit->settings.n_estimators)
				StartTree(fit, worker, fit->next_tree++);
			busy |= worker->tree_index >= 0;
		}
		if (!busy)
			break;

		for (int w = 0; w < fit->n_workers; w++)
		{
			if (!IsTreeDone(fit, &fit->workers[w]))
				continue;
			CollectTree(fit, &fit->workers[w]);
			collected = true;
		}
		if (collected)
			AddFinishedTrees(fit);
		else
			WaitForTree(fit);
	}
}

/* Stops the worker threads still running and joins them. */
static void
StopWorkers(ForestState *fit)
{
	pg_atomic_write_u32(&fit->stop, 1);
	for (int w = 0; w < fit->n_workers; w++)
	{
		if (fit->workers[w].started)
			pthread_join(fit->workers[w].thread, NULL);
		fit->workers[w].started = false;
	}
}

/*
 * Grows the forest.  The main thread may raise an error, for an interrupt
 * or a failed allocation, while threads run, so it stops and joins them
 * before the error unwinds the memory they use.  At the deadline the forest
 * keeps its trees in tree order up to the first unfinished one.  An
 * unfinished first tree is kept however far it grew.
 */
static void
GrowForest(ForestState *fit)
{
	ForestModel *model = fit->model;

	PG_TRY();
	{
		GrowTrees(fit);
	}
	PG_CATCH();
	{
		StopWorkers(fit);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (model->n_trees == 0 && fit->grown[0] != NULL)
	{
		fit->truncated[0] = false;
		AddFinishedTrees(fit);
	}

	/* Trees grown after the first unfinished one are dropped. */
	for (int t = fit->n_added; t < fit->settings.n_estimators; t++)
	{
		if (fit->grown[t] != NULL)
			TreeFreeModel(fit->grown[t]);
	}
}

/*
 * Returns the weighted accuracy of the out-of-bag predictions, whose class
 * is the largest sum of probabilities (the lowest class on ties), or NaN
 * when no row was left out.
 */
static double
OutOfBagAccuracy(const ForestState *fit)
{
	const TrainData *data = fit->data;
	double		total = 0.0;
	double		hits = 0.0;

	for (int i = 0; i < data->n_rows; i++)
	{
		const double *sums = fit->oob_sums + (Size) i * data->n_classes;
		double		w = data->weights ? data->weights[i] : 1.0;
		int			best = 0;

		if (fit->oob_counts[i] == 0)
			continue;
		for (int k = 1; k < data->n_classes; k++)
			best = sums[k] > sums[best] ? k : best;
		hits += w * (best == (int) data->y[i]);
		total += w;
	}
	return total > 0.0 ? hits / total : NAN;
}

/*
 * Returns R^2 of the out-of-bag predictions: 1 - SSE / SST, both weighted
 * and over the rows that some tree left out.  NaN when no row was left out
 * or their targets are all equal.
 */
static double
OutOfBagR2(const ForestState *fit)
{
	const TrainData *data = fit->data;
	double		total = 0.0;
	double		target_sum = 0.0;
	double		squared_error = 0.0;
	double		squared_spread = 0.0;

	for (int i = 0; i < data->n_rows; i++)
	{
		double		w = data->weights ? data->weights[i] : 1.0;
		double		error;

		if (fit->oob_counts[i] == 0)
			continue;
		error = data->y[i] - fit->oob_sums[i] / fit->oob_counts[i];
		squared_error += w * error * error;
		target_sum += w * data->y[i];
		total += w;
	}
	for (int i = 0; i < data->n_rows && total > 0.0; i++)
	{
		double		w = data->weights ? data->weights[i] : 1.0;
		double		spread = data->y[i] - target_sum / total;

		if (fit->oob_counts[i] > 0)
			squared_spread += w * spread * spread;
	}
	return squared_spread > 0.0 ? 1.0 - squared_error / squared_spread : NAN;
}

/* Allocates an empty forest with room for n_estimators trees. */
static ForestModel *
AllocForest(const TrainData *data, const ForestSettings *settings)
{
	ForestModel *model = palloc0(sizeof(ForestModel));

	model->task = data->task;
	model->n_outputs = OutputCount(data);
	model->n_cols = data->n_cols;
	model->max_features = Min(settings->tree.max_features, Max(data->n_cols, 1));
	model->bootstrap = settings->bootstrap;
	model->oob_score = NAN;
	model->importance = AutomlAllocDoubles(Max(data->n_cols, 1), "forest importance");
	model->trees = palloc0(sizeof(TreeModel *) * settings->n_estimators);
	return model;
}

/* Scales the summed per-tree importances to sum to 1. */
static void
NormalizeImportance(ForestModel *model)
{
	double		total = 0.0;

	for (int j = 0; j < model->n_cols; j++)
		total += model->importance[j];
	for (int j = 0; j < model->n_cols; j++)
		model->importance[j] = total > 0.0 ? model->importance[j] / total : 0.0;
}

/*
 * Fits a forest.  The presorted columns, the arenas and the out-of-bag sums
 * live in a child memory context that is deleted at the end, and only the
 * model stays in the caller's context.
 */
static void *
ForestFit(const TrainData *data, const double *config, const FitControl *control,
		  bool extra)
{
	ForestState fit = {0};
	MemoryContext fit_context;
	MemoryContext old_context;
	int			n_workers;

	TreeCheckTrainData(data);
	ReadSettings(config, data, extra, &fit.settings);
	n_workers = CheckForestMemory(data, &fit.settings,
								  extra ? "extra_trees" : "random_forest");
	fit.data = data;
	fit.seed = control != NULL ? control->seed : 0;
	fit.model_context = CurrentMemoryContext;
	fit.model = AllocForest(data, &fit.settings);

	fit_context = AllocSetContextCreate(CurrentMemoryContext,
										"automl forest fit",
										ALLOCSET_DEFAULT_SIZES);
	old_context = MemoryContextSwitchTo(fit_context);
	InitForestFit(&fit, n_workers, control != NULL ? control->deadline : 0.0);
	GrowForest(&fit);
	if (fit.threaded)
	{
		pthread_cond_destroy(&fit.tree_done);
		pthread_mutex_destroy(&fit.lock);
	}
	if (fit.settings.bootstrap && data->task == TASK_CLASSIFICATION)
		fit.model->oob_score = OutOfBagAccuracy(&fit);
	else if (fit.settings.bootstrap)
		fit.model->oob_score = OutOfBagR2(&fit);
	MemoryContextSwitchTo(old_context);
	MemoryContextDelete(fit_context);

	NormalizeImportance(fit.model);
	return fit.model;
}

static void *
RandomForestFit(const TrainData *data, const double *config,
				const FitControl *control)
{
	return ForestFit(data, config, control, false);
}

static void *
ExtraTreesFit(const TrainData *data, const double *config,
			  const FitControl *control)
{
	return ForestFit(data, config, control, true);
}

/* Averages the trees' leaf values of each row, adding the trees in order. */
static void
ForestPredict(const void *opaque, const double *x, int n_rows, int n_cols,
			  double *out)
{
	const ForestModel *model = opaque;
	int			n_outputs = model->n_outputs;

	if (n_cols != model->n_cols)
		elog(ERROR, "forest: model expects %d columns, got %d",
			 model->n_cols, n_cols);
	memset(out, 0, sizeof(double) * n_rows * n_outputs);
	for (int t = 0; t < model->n_trees; t++)
	{
		for (int i = 0; i < n_rows; i++)
		{
			const double *values = TreeLeafValues(model->trees[t], x, n_rows, i);
			double	   *row = out + (Size) i * n_outputs;

			for (int k = 0; k < n_outputs; k++)
				row[k] += values[k];
		}
		CHECK_FOR_INTERRUPTS();
	}
	for (Size c = 0; c < (Size) n_rows * n_outputs; c++)
		out[c] /= model->n_trees;
}

/*
 * Writes the header as int32: task, output count, column count, tree count,
 * max_features and bootstrap.  The float64 out-of-bag score (NaN when not
 * computed) and the n_cols float64 importances follow, then each tree's
 * nodes and leaf values (TreeWriteNodes, without gains).
 */
static void
ForestSerialize(const void *opaque, StringInfo buf)
{
	const ForestModel *model = opaque;

	SerialPutInt32(buf, (int32) model->task);
	SerialPutInt32(buf, model->n_outputs);
	SerialPutInt32(buf, model->n_cols);
	SerialPutInt32(buf, model->n_trees);
	SerialPutInt32(buf, model->max_features);
	SerialPutInt32(buf, model->bootstrap ? 1 : 0);
	SerialPutFloat64(buf, model->oob_score);
	SerialPutFloat64Array(buf, model->importance, model->n_cols);
	for (int t = 0; t < model->n_trees; t++)
		TreeWriteNodes(model->trees[t], buf, false);
}

static void *
ForestDeserialize(SerialReader *reader)
{
	ForestModel *model = palloc0(sizeof(ForestModel));

	model->task = (TaskKind) SerialGetInt32InRange(reader, TASK_CLASSIFICATION,
												   TASK_REGRESSION, "task kind");
	model->n_outputs = SerialGetInt32InRange(reader, 1,
											 model->task == TASK_CLASSIFICATION ? TREE_MAX_OUTPUTS : 1,
											 "output count");
	model->n_cols = SerialGetInt32InRange(reader, 0, TREE_MAX_COLS, "column count");
	model->n_trees = SerialGetInt32InRange(reader, 1, FOREST_MAX_TREES, "forest tree count");
	model->max_features = SerialGetInt32InRange(reader, 1, Max(model->n_cols, 1),
												"forest max_features");
	model->bootstrap = SerialGetInt32InRange(reader, 0, 1, "forest bootstrap") == 1;
	model->oob_score = SerialGetFloat64(reader);

	/* The importances take 8 bytes each, and each tree at least 24. */
	TreeCheckRemainingBytes(reader,
							add_size(mul_size(model->n_cols, sizeof(double)),
									 mul_size(model->n_trees,
											  FOREST_TREE_HEADER_BYTES + FOREST_LEAF_BYTES +
											  sizeof(double))));
	model->importance = AutomlAllocDoubles(Max(model->n_cols, 1), "forest importance");
	SerialGetFloat64Array(reader, model->importance, model->n_cols);
	model->trees = palloc0(sizeof(TreeModel *) * model->n_trees);
	for (int t = 0; t < model->n_trees; t++)
		model->trees[t] = TreeReadNodes(reader, model->task, model->n_outputs,
										model->n_cols, PG_INT32_MAX - 1, false);
	return model;
}

static void
ForestImportance(const void *opaque, int n_cols, double *out)
{
	const ForestModel *model = opaque;

	if (n_cols != model->n_cols)
		elog(ERROR, "forest: model has %d columns, importance requested for %d",
			 model->n_cols, n_cols);
	memcpy(out, model->importance, sizeof(double) * n_cols);
}

/*
 * Appends the tree count, the mean depth and leaf count of the trees, the
 * sampling, the columns tried per split, and the out-of-bag score.
 */
static void
ForestDescribe(const void *opaque, StringInfo buf)
{
	const ForestModel *model = opaque;
	double		depth_sum = 0.0;
	double		leaf_sum = 0.0;

	for (int t = 0; t < model->n_trees; t++)
	{
		depth_sum += TreeModelDepth(model->trees[t]);
		leaf_sum += model->trees[t]->n_leaves;
	}
	appendStringInfo(buf, "{\"n_trees\": %d, \"mean_depth\": %.4f, \"mean_leaves\": %.4f, "
					 "\"bootstrap\": %s, \"max_features\": %d, \"oob_metric\": ",
					 model->n_trees, depth_sum / model->n_trees,
					 leaf_sum / model->n_trees, model->bootstrap ? "true" : "false",
					 model->max_features);
	if (isnan(model->oob_score))
		appendStringInfoString(buf, "null, \"oob_score\": null}");
	else
		appendStringInfo(buf, "\"%s\", \"oob_score\": %.6f}",
						 model->task == TASK_CLASSIFICATION ? "accuracy" : "r2",
						 model->oob_score);
}

const ModelFamily random_forest_family = {
	.name = "random_forest",
	.description = "random forest of bootstrapped CART trees with random column subsets",
	.supports_classification = true,
	.supports_regression = true,
	.params = random_forest_params,
	.n_params = lengthof(random_forest_params),
	.fit = RandomForestFit,
	.predict = ForestPredict,
	.serialize = ForestSerialize,
	.deserialize = ForestDeserialize,
	.importance = ForestImportance,
	.describe = ForestDescribe,
};

const ModelFamily extra_trees_family = {
	.name = "extra_trees",
	.description = "extremely randomized trees with random thresholds",
	.supports_classification = true,
	.supports_regression = true,
	.params = extra_trees_params,
	.n_params = lengthof(extra_trees_params),
	.fit = ExtraTreesFit,
	.predict = ForestPredict,
	.serialize = ForestSerialize,
	.deserialize = ForestDeserialize,
	.importance = ForestImportance,
	.describe = ForestDescribe,
};
