/*
 * tree.c
 *		The tree builder: CART growth and pruning for the tree family, and
 *		randomised trees for the forest families.
 *
 * The builder follows CART (Breiman, Friedman, Olshen and Stone,
 * "Classification and Regression Trees", 1984) in three steps.
 *
 * 1. Presort.  Each column's row indices are sorted by value once.  A node
 *    owns the same range [start, end) of every column's sorted array, and a
 *    split partitions that range stably into its left rows, then its right
 *    rows, so each node reads its rows in sorted order without sorting again.
 *    This costs n_cols x n_rows int32 of memory, and split search costs
 *    O(n_cols x n_rows) per tree level instead of O(n_cols x n log n) for
 *    sorting every node's rows with qsort.
 * 2. Growth.  Nodes are split depth-first from an explicit stack, which
 *    keeps a small node's rows in cache while its subtree grows.  A node's
 *    split is the exact best one over every column that is not constant in
 *    the node and every threshold halfway between two adjacent distinct
 *    values that leaves at least min_samples_leaf rows on each side.  It
 *    maximises the decrease of weighted impurity: Gini index or entropy (in
 *    bits) of the class weights, or the weighted sum of squared errors around
 *    the mean for regression.  Ties go to the lowest column, then the lowest
 *    threshold.  A split that decreases impurity by zero is still made, as in
 *    XOR, so pruning decides whether the subtree below it pays off.  Growth
 *    stops at max_depth, at pure nodes and at the fit deadline.
 * 3. Minimal cost-complexity pruning.  Let R(t) be the weighted impurity of
 *    node t divided by the total weight of all rows, and T_t the subtree
 *    rooted at t.  The effective alpha of an internal node is
 *    (R(t) - R(T_t)) / (|leaves(T_t)| - 1).  While the weakest link (the
 *    internal node of smallest effective alpha) has alpha <= ccp_alpha, it
 *    is collapsed into a leaf.
 *
 * Forest trees (family_forest.c) skip pruning and change growth in three
 * ways.  The rows may be a bootstrap sample: each row's weight is multiplied
 * by the number of times it was drawn, and rows never drawn are left out of
 * the sorted arrays.  A split looks at max_features columns drawn at random
 * (a partial Fisher-Yates shuffle per node), and at more when none of them
 * has a valid split.  Extra trees draw one threshold per column uniformly
 * between the node's lowest and highest value instead of scanning them all.
 * Each tree has its own pg_prng_state, so a tree depends only on its seed.
 *
 * A forest builder takes all its memory at TreeBuilderInitArena, sized for
 * the largest tree the row count and parameters allow, and TreeGrowSample
 * then makes no server call: no palloc, no elog, no CHECK_FOR_INTERRUPTS.
 * It can therefore run on a worker thread.  A "cannot happen" error seen
 * there is recorded in builder->failure for the main thread to raise.
 *
 * The fitted tree is a flat node array in preorder, so every child has a
 * larger index than its parent.  Prediction is a loop, and deserialisation
 * checks that order, so a corrupted model can neither index out of bounds
 * nor loop forever.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "tree.h"

/* From this max_depth on, the depth no longer bounds the node count in int. */
#define TREE_MAX_DEPTH_FOR_BOUND 30

/*
 * A candidate split replaces the best one found so far only when its gain is
 * larger by more than this fraction of the node's impurity.  Gains that
 * differ only by rounding then count as ties, which go to the earlier
 * candidate.
 */
#define TREE_TIE_TOLERANCE 1e-12

typedef struct SplitCandidate
{
	int			feature;		/* -1 while no valid split is found */
	double		threshold;
	int			n_left;			/* rows going left */
	double		gain;			/* decrease of weighted impurity */
} SplitCandidate;

/* Left-side running sums while one column of a node is scanned. */
typedef struct ScanState
{
	double		left_weight;
	double		left_sum;		/* regression: sum of weight x (y - node mean) */
	int			left_positive;	/* rows with positive weight */
} ScanState;

/* Weakest-link pruning state, all arrays indexed by grow node. */
typedef struct Pruner
{
	GrowNode   *nodes;
	int			n_nodes;
	double	   *subtree_risk;	/* R(T_t): summed risk of the leaves under t */
	int32	   *subtree_leaves; /* |leaves(T_t)| */
	double	   *alpha;			/* effective alpha of internal nodes */
	int32	   *heap;			/* segment tree of the weakest candidate */
	int			width;			/* leaves of the segment tree, a power of 2 */
} Pruner;

static inline double
RowWeight(const TrainData *data, int row)
{
	return data->weights ? data->weights[row] : 1.0;
}

/* Returns the row's weight in the tree's sample: its count times its weight. */
static inline double
SampleWeight(const TreeBuilder *builder, int row)
{
	return builder->weights ? builder->weights[row] : 1.0;
}

static inline const double *
ColumnValues(const TrainData *data, int col)
{
	return data->x + (Size) col * data->n_rows;
}

static inline int32 *
SortedRows(const TreeBuilder *builder, int col)
{
	return builder->order + (Size) col * builder->data->n_rows;
}

static inline double *
NodeStats(const TreeBuilder *builder, int32 index)
{
	return builder->stats + (Size) index * builder->n_outputs;
}

/* Allocates count elements of size bytes after checking the memory limit. */
static void *
AllocHuge(Size count, Size size, const char *what)
{
	Size		bytes = mul_size(count, size);

	AutomlCheckMemory(bytes, what);
	return palloc_extended(bytes, MCXT_ALLOC_HUGE);
}

/* Raises an error for targets or weights that the caller must never pass. */
void
TreeCheckTrainData(const TrainData *data)
{
	if (data->n_rows < 0 || data->n_cols < 0 || data->n_cols > TREE_MAX_COLS)
		elog(ERROR, "tree: invalid training matrix of %d x %d",
			 data->n_rows, data->n_cols);
	if (data->task == TASK_CLASSIFICATION &&
		(data->n_classes < 1 || data->n_classes > TREE_MAX_OUTPUTS))
		elog(ERROR, "tree: invalid class count %d", data->n_classes);

	for (int i = 0; i < data->n_rows; i++)
	{
		double		w = RowWeight(data, i);
		double		y = data->y[i];

		if (!(w >= 0.0) || isinf(w))
			elog(ERROR, "tree: row %d has invalid weight %g", i, w);
		if (data->task == TASK_CLASSIFICATION &&
			!(y >= 0.0 && y < data->n_classes && y == floor(y)))
			elog(ERROR, "tree: row %d has invalid class index %g", i, y);
		if (data->task == TASK_REGRESSION && !isfinite(y))
			elog(ERROR, "tree: row %d has invalid target %g", i, y);
	}
}

/* Orders row indices by the column's value, then by row index. */
static int
CompareRowsByValue(const void *a, const void *b, void *arg)
{
	const double *values = arg;
	int32		row_a = *(const int32 *) a;
	int32		row_b = *(const int32 *) b;

	if (values[row_a] < values[row_b])
		return -1;
	if (values[row_a] > values[row_b])
		return 1;
	return (row_a > row_b) - (row_a < row_b);
}

/*
 * Sorts each column's row indices once and returns the Max(n_cols, 1) arrays
 * of n_rows indices.  With no columns, one array in row order still lists
 * the root's rows for computing its statistics.
 */
int32 *
TreePresort(const TrainData *data)
{
	int			n_arrays = Max(data->n_cols, 1);
	int32	   *order;

	order = AllocHuge(mul_size(n_arrays, data->n_rows), sizeof(int32),
					  "decision tree presort");
	for (int col = 0; col < n_arrays; col++)
	{
		int32	   *rows = order + (Size) col * data->n_rows;

		for (int i = 0; i < data->n_rows; i++)
			rows[i] = i;
		if (col < data->n_cols)
			qsort_arg(rows, data->n_rows, sizeof(int32), CompareRowsByValue,
					  (void *) ColumnValues(data, col));
		CHECK_FOR_INTERRUPTS();
	}
	return order;
}

/*
 * Bounds the node count.  A binary tree of depth d has at most 2^(d+1) - 1
 * nodes.  Every leaf contains at least min_samples_leaf rows, so there are at
 * most n_rows / min_samples_leaf leaves and twice that minus one nodes.
 */
int
TreeMaxNodeCount(int n_rows, const TreeParams *params)
{
	int64		max_leaves = Max(n_rows / params->min_samples_leaf, 1);
	int64		by_depth = PG_INT64_MAX;

	if (params->max_depth < TREE_MAX_DEPTH_FOR_BOUND)
		by_depth = ((int64) 1 << (params->max_depth + 1)) - 1;
	return (int) Min(2 * max_leaves - 1, by_depth);
}

/* Returns the length of the growth stack: two nodes per depth. */
static int
StackSize(const TreeParams *params)
{
	return 2 * (params->max_depth + 1);
}

/*
 * Prepares a CART builder on every row of data.  The node arrays grow as
 * the tree does, and growth checks for interrupts.
 */
void
TreeBuilderInit(TreeBuilder *builder, const TrainData *data,
				const TreeParams *params, double deadline)
{
	memset(builder, 0, sizeof(TreeBuilder));
	builder->data = data;
	builder->deadline = deadline;
	builder->params = *params;
	builder->n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	builder->max_nodes = TreeMaxNodeCount(data->n_rows, &builder->params);
	builder->server_calls = true;
	builder->weights = data->weights;
	builder->n_sample = data->n_rows;

	for (int i = 0; i < data->n_rows; i++)
		builder->total_weight += RowWeight(data, i);

	builder->order = TreePresort(data);
	builder->scratch = AllocHuge(data->n_rows, sizeof(int32), "decision tree rows");
	builder->goes_left = AllocHuge(data->n_rows, sizeof(bool), "decision tree rows");
	builder->left_stats = palloc(sizeof(double) * builder->n_outputs);
	builder->right_stats = palloc(sizeof(double) * builder->n_outputs);
	builder->stack = palloc(sizeof(int32) * StackSize(&builder->params));
}

/*
 * Returns the bytes TreeBuilderInitArena allocates: the sorted arrays, the
 * per-row buffers and the nodes of the largest tree the parameters allow.
 */
Size
TreeArenaBytes(const TrainData *data, const TreeParams *params)
{
	int			n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	Size		n_nodes = TreeMaxNodeCount(data->n_rows, params);
	Size		per_row = 2 * sizeof(int32) + sizeof(bool) + sizeof(double);
	Size		bytes;

	bytes = mul_size(mul_size(Max(data->n_cols, 1), data->n_rows), sizeof(int32));
	bytes = add_size(bytes, mul_size(data->n_rows, per_row));
	bytes = add_size(bytes, mul_size(Max(data->n_cols, 1), sizeof(int32)));
	bytes = add_size(bytes, mul_size(2 * n_outputs, sizeof(double)));
	bytes = add_size(bytes, mul_size(n_nodes, sizeof(GrowNode)));
	bytes = add_size(bytes, mul_size(mul_size(n_nodes, n_outputs), sizeof(double)));
	return add_size(bytes, mul_size(StackSize(params), sizeof(int32)));
}

/*
 * Prepares a forest builder.  Every buffer is allocated here, with node
 * arrays for the largest tree of data->n_rows rows, so TreeGrowSample needs
 * no allocation.  server_calls starts false, for growth on a worker thread.
 */
void
TreeBuilderInitArena(TreeBuilder *builder, const TrainData *data,
					 const TreeParams *params, double deadline)
{
	int			n_arrays = Max(data->n_cols, 1);

	memset(builder, 0, sizeof(TreeBuilder));
	builder->data = data;
	builder->deadline = deadline;
	builder->params = *params;
	builder->n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	builder->capacity = TreeMaxNodeCount(data->n_rows, &builder->params);

	builder->order = AllocHuge(mul_size(n_arrays, data->n_rows), sizeof(int32),
							   "forest tree rows");
	builder->scratch = AllocHuge(data->n_rows, sizeof(int32), "forest tree rows");
	builder->goes_left = AllocHuge(data->n_rows, sizeof(bool), "forest tree rows");
	builder->counts = AllocHuge(data->n_rows, sizeof(int32), "forest tree rows");
	builder->sample_weights = AllocHuge(data->n_rows, sizeof(double),
										"forest tree rows");
	builder->features = palloc(sizeof(int32) * n_arrays);
	for (int col = 0; col < n_arrays; col++)
		builder->features[col] = col;
	builder->left_stats = palloc(sizeof(double) * builder->n_outputs);
	builder->right_stats = palloc(sizeof(double) * builder->n_outputs);
	builder->nodes = AllocHuge(builder->capacity, sizeof(GrowNode), "forest tree nodes");
	builder->stats = AllocHuge(mul_size(builder->capacity, builder->n_outputs),
							   sizeof(double), "forest tree nodes");
	builder->stack = AllocHuge(StackSize(&builder->params), sizeof(int32),
							   "forest tree nodes");
}

/* Doubles the node arrays, up to the node bound. */
static void
GrowNodeArrays(TreeBuilder *builder)
{
	int			capacity = Min(Max(builder->capacity * 2, 64), builder->max_nodes);
	Size		node_bytes = mul_size(capacity, sizeof(GrowNode));
	Size		stat_bytes = mul_size(mul_size(capacity, builder->n_outputs),
									  sizeof(double));

	AutomlCheckMemory(add_size(node_bytes, stat_bytes), "decision tree nodes");
	if (builder->nodes == NULL)
	{
		builder->nodes = palloc_extended(node_bytes, MCXT_ALLOC_HUGE);
		builder->stats = palloc_extended(stat_bytes, MCXT_ALLOC_HUGE);
	}
	else
	{
		builder->nodes = repalloc_huge(builder->nodes, node_bytes);
		builder->stats = repalloc_huge(builder->stats, stat_bytes);
	}
	builder->capacity = capacity;
}

/*
 * Returns weight x impurity of class weights summing to weight: the Gini
 * index 1 - sum p_k^2, or the entropy -sum p_k log2 p_k.
 */
static double
ClassImpurity(const double *class_weights, int n_classes, double weight,
			  TreeCriterion criterion)
{
	double		sum = 0.0;

	if (weight <= 0.0)
		return 0.0;
	for (int k = 0; k < n_classes; k++)
	{
		double		c = class_weights[k];

		if (c <= 0.0)
			continue;
		if (criterion == CRITERION_GINI)
			sum += c * c;
		else
			sum += c * log2(c / weight);
	}
	/* Rounding can leave a pure node slightly below zero. */
	if (criterion == CRITERION_GINI)
		return Max(weight - sum / weight, 0.0);
	return Max(-sum, 0.0);
}

/*
 * Sets the node's impurity to the weighted sum of squared errors around the
 * mean, and its residual sum to the weighted sum of the errors.  The residual
 * sum is zero but for the rounding of the mean.
 */
static void
ComputeSquaredError(const TreeBuilder *builder, GrowNode *node, double mean)
{
	const TrainData *data = builder->data;
	const int32 *rows = SortedRows(builder, 0);

	node->impurity = 0.0;
	node->residual_sum = 0.0;
	for (int i = node->start; i < node->end; i++)
	{
		double		w = SampleWeight(builder, rows[i]);
		double		error = data->y[rows[i]] - mean;

		node->impurity += w * error * error;
		node->residual_sum += w * error;
	}
}

/*
 * Computes a node's weight, its statistics (class weights, or the weighted
 * mean of the target), its impurity and its risk R(t).
 */
static void
ComputeNodeStats(TreeBuilder *builder, GrowNode *node, double *stats)
{
	const TrainData *data = builder->data;
	const int32 *rows = SortedRows(builder, 0);
	bool		classify = data->task == TASK_CLASSIFICATION;
	double		low = DBL_MAX;
	double		high = -DBL_MAX;
	int			n_classes = 0;

	/* Sum weights and statistics over the rows. */
	memset(stats, 0, sizeof(double) * builder->n_outputs);
	node->weight = 0.0;
	node->n_positive = 0;
	for (int i = node->start; i < node->end; i++)
	{
		double		w = SampleWeight(builder, rows[i]);
		double		y = data->y[rows[i]];

		node->weight += w;
		if (w > 0.0)
		{
			node->n_positive++;
			low = Min(low, y);
			high = Max(high, y);
		}
		if (classify)
			stats[(int) y] += w;
		else
			stats[0] += w * y;
	}

	/* Derive impurity, purity and risk. */
	if (classify)
	{
		for (int k = 0; k < builder->n_outputs; k++)
			n_classes += stats[k] > 0.0;
		node->pure = n_classes <= 1;
		node->residual_sum = 0.0;
		node->impurity = ClassImpurity(stats, builder->n_outputs, node->weight,
									   builder->params.criterion);
	}
	else
	{
		stats[0] = node->weight > 0.0 ? stats[0] / node->weight : 0.0;
		node->pure = low >= high;
		ComputeSquaredError(builder, node, stats[0]);
	}
	node->risk = builder->total_weight > 0.0 ?
		node->impurity / builder->total_weight : 0.0;
}

/*
 * Appends a leaf node for the rows [start, end) and returns its index, or -1
 * after recording a failure on a worker thread.
 */
static int32
AddNode(TreeBuilder *builder, int32 start, int32 end, int32 depth, int32 parent)
{
	int32		index = builder->n_nodes;
	GrowNode   *node;

	if (index >= builder->max_nodes && builder->server_calls)
		elog(ERROR, "tree: node count exceeds its bound of %d", builder->max_nodes);
	if (index >= builder->max_nodes)
	{
		builder->failure = "node count exceeds its bound";
		return -1;
	}
	if (index == builder->capacity)
		GrowNodeArrays(builder);

	node = &builder->nodes[index];
	node->feature = -1;
	node->threshold = 0.0;
	node->left = -1;
	node->right = -1;
	node->parent = parent;
	node->start = start;
	node->end = end;
	node->depth = depth;
	builder->n_nodes++;
	ComputeNodeStats(builder, node, NodeStats(builder, index));
	return index;
}

/*
 * Returns whether growth must stop: the deadline has passed, or the main
 * thread has set the stop flag.  Marks the tree as truncated.
 */
static bool
DeadlinePassed(TreeBuilder *builder)
{
	if ((builder->deadline > 0 && AutomlNow() > builder->deadline) ||
		(builder->stop != NULL && pg_atomic_read_u32(builder->stop) != 0))
	{
		builder->truncated = true;
		return true;
	}
	return false;
}

/* Checks for interrupts, unless the builder runs on a worker thread. */
static inline void
CheckInterrupts(const TreeBuilder *builder)
{
	if (builder->server_calls)
		CHECK_FOR_INTERRUPTS();
}

static bool
IsSplittable(const TreeBuilder *builder, const GrowNode *node)
{
	return node->depth < builder->params.max_depth &&
		node->end - node->start >= 2 * builder->params.min_samples_leaf &&
		node->n_positive >= 2 &&
		!node->pure;
}

static inline void
AddRowToLeft(TreeBuilder *builder, const double *node_stats, int row,
			 ScanState *state)
{
	const TrainData *data = builder->data;
	double		w = SampleWeight(builder, row);

	state->left_weight += w;
	state->left_positive += w > 0.0;
	if (data->task == TASK_CLASSIFICATION)
		builder->left_stats[(int) data->y[row]] += w;
	else
		state->left_sum += w * (data->y[row] - node_stats[0]);
}

/*
 * Returns the impurity decrease of splitting the node after the rows added
 * to state.  For regression, with sums S of w (y - node mean), the decrease
 * of squared error is S_L^2 / W_L + S_R^2 / W_R - S^2 / W.  Centring keeps
 * the terms small when the target has a large offset.  S is not assumed to
 * be zero, because its rounding error would make mirrored splits of the same
 * rows differ by more than the tie tolerance.
 */
static double
SplitGain(TreeBuilder *builder, const GrowNode *node, const double *node_stats,
		  const ScanState *state)
{
	double		right_weight = node->weight - state->left_weight;
	int			n_classes = builder->n_outputs;

	if (builder->data->task == TASK_REGRESSION)
	{
		double		right_sum = node->residual_sum - state->left_sum;

		return state->left_sum * state->left_sum / state->left_weight +
			right_sum * right_sum / right_weight -
			node->residual_sum * node->residual_sum / node->weight;
	}

	for (int k = 0; k < n_classes; k++)
		builder->right_stats[k] = Max(node_stats[k] - builder->left_stats[k], 0.0);
	return node->impurity -
		ClassImpurity(builder->left_stats, n_classes, state->left_weight,
					  builder->params.criterion) -
		ClassImpurity(builder->right_stats, n_classes, right_weight,
					  builder->params.criterion);
}

/*
 * Records the split between adjacent distinct values below < above when it
 * beats the best so far.  The threshold is their midpoint, computed without
 * overflow, or below itself when the midpoint rounds onto either value.
 */
static void
ConsiderSplit(SplitCandidate *best, int col, double below, double above,
			  int n_left, double gain, double tolerance)
{
	double		threshold;

	if (best->feature >= 0 && gain <= best->gain + tolerance)
		return;
	threshold = below / 2 + above / 2;
	if (threshold < below || threshold >= above)
		threshold = below;
	best->feature = col;
	best->threshold = threshold;
	best->n_left = n_left;
	best->gain = gain;
}

/*
 * Scans every threshold of one column in ascending order.  A threshold is
 * valid between distinct values, with min_samples_leaf rows and some
 * positive weight on each side.
 */
static void
ScanColumn(TreeBuilder *builder, int32 index, int col, double tolerance,
		   SplitCandidate *best)
{
	const GrowNode *node = &builder->nodes[index];
	const double *node_stats = NodeStats(builder, index);
	const double *x = ColumnValues(builder->data, col);
	const int32 *rows = SortedRows(builder, col) + node->start;
	int			n_rows = node->end - node->start;
	int			min_leaf = builder->params.min_samples_leaf;
	ScanState	state = {0};

	memset(builder->left_stats, 0, sizeof(double) * builder->n_outputs);
	for (int n_left = 1; n_left < n_rows; n_left++)
	{
		double		below = x[rows[n_left - 1]];
		double		above = x[rows[n_left]];

		AddRowToLeft(builder, node_stats, rows[n_left - 1], &state);
		if (below == above || n_left < min_leaf)
			continue;
		if (n_rows - n_left < min_leaf)
			break;
		if (state.left_positive == 0 || state.left_positive == node->n_positive ||
			node->weight - state.left_weight <= 0.0)
			continue;
		ConsiderSplit(best, col, below, above, n_left,
					  SplitGain(builder, node, node_stats, &state), tolerance);
	}
}

/*
 * Draws one threshold uniformly between the node's lowest and highest value
 * of the column, as extra trees do, and records the split when it is valid
 * and beats the best so far.  Rows with x <= threshold go left.
 */
static void
DrawThreshold(TreeBuilder *builder, int32 index, int col, double tolerance,
			  SplitCandidate *best)
{
	const GrowNode *node = &builder->nodes[index];
	const double *node_stats = NodeStats(builder, index);
	const double *x = ColumnValues(builder->data, col);
	const int32 *rows = SortedRows(builder, col) + node->start;
	int			n_rows = node->end - node->start;
	int			min_leaf = builder->params.min_samples_leaf;
	double		low = x[rows[0]];
	double		high = x[rows[n_rows - 1]];
	double		threshold = low + pg_prng_double(&builder->prng) * (high - low);
	ScanState	state = {0};
	int			n_left = 0;
	double		gain;

	/* Rounding can reach high, and a range beyond DBL_MAX overflows. */
	if (!(threshold >= low && threshold < high))
		threshold = low;

	/* The rows are sorted and high > threshold, so the scan stops in range. */
	memset(builder->left_stats, 0, sizeof(double) * builder->n_outputs);
	while (x[rows[n_left]] <= threshold)
		AddRowToLeft(builder, node_stats, rows[n_left++], &state);
	if (n_left < min_leaf || n_rows - n_left < min_leaf ||
		state.left_positive == 0 || state.left_positive == node->n_positive ||
		node->weight - state.left_weight <= 0.0)
		return;

	gain = SplitGain(builder, node, node_stats, &state);
	if (best->feature >= 0 && gain <= best->gain + tolerance)
		return;
	best->feature = col;
	best->threshold = threshold;
	best->n_left = n_left;
	best->gain = gain;
}

/*
 * Returns the column to try at position i of a node's split search: column
 * i, or with a column subset, a column drawn uniformly from those not yet
 * drawn at this node (one step of a Fisher-Yates shuffle).
 */
static int
NextColumn(TreeBuilder *builder, int i)
{
	int			n_cols = builder->data->n_cols;
	int32	   *features = builder->features;
	int			j;
	int32		drawn;

	if (builder->params.max_features >= n_cols)
		return i;
	j = i + (int) pg_prng_uint64_range(&builder->prng, 0, n_cols - 1 - i);
	drawn = features[j];
	features[j] = features[i];
	features[i] = drawn;
	return drawn;
}

/*
 * Finds the node's best split among max_features columns that are not
 * constant in the node, trying more columns while none has a valid split.
 * Returns false when it has none, or when the deadline passes during the
 * search.
 */
static bool
FindBestSplit(TreeBuilder *builder, int32 index, SplitCandidate *best)
{
	const GrowNode *node = &builder->nodes[index];
	double		tolerance = TREE_TIE_TOLERANCE * node->impurity;
	int			n_tried = 0;

	best->feature = -1;
	best->gain = -DBL_MAX;
	for (int i = 0; i < builder->data->n_cols; i++)
	{
		int			col;
		const double *x;
		const int32 *rows;

		if (n_tried >= builder->params.max_features && best->feature >= 0)
			break;
		col = NextColumn(builder, i);
		x = ColumnValues(builder->data, col);
		rows = SortedRows(builder, col);

		/* The rows are sorted, so equal ends mean a constant column. */
		if (x[rows[node->start]] == x[rows[node->end - 1]])
			continue;
		n_tried++;
		if (builder->params.random_thresholds)
			DrawThreshold(builder, index, col, tolerance, best);
		else
			ScanColumn(builder, index, col, tolerance, best);
		CheckInterrupts(builder);
		if (DeadlinePassed(builder))
			return false;
	}
	return best->feature >= 0;
}

/* Moves the rows marked in goes_left to the front of [start, end), stably. */
static void
PartitionRows(TreeBuilder *builder, int col, int32 start, int32 end)
{
	int32	   *rows = SortedRows(builder, col);
	int32		n_left = 0;
	int32		n_right = 0;

	for (int32 i = start; i < end; i++)
	{
		if (builder->goes_left[rows[i]])
			rows[start + n_left++] = rows[i];
		else
			builder->scratch[n_right++] = rows[i];
	}
	memcpy(rows + start + n_left, builder->scratch, sizeof(int32) * n_right);
}

/*
 * Splits a node: partitions its range of every sorted array into left rows,
 * then right rows, each still sorted, and appends the two children.
 */
static void
ApplySplit(TreeBuilder *builder, int32 index, const SplitCandidate *split)
{
	GrowNode   *node = &builder->nodes[index];
	int32		start = node->start;
	int32		end = node->end;
	int32		middle = start + split->n_left;
	int32		depth = node->depth;
	const int32 *split_rows = SortedRows(builder, split->feature);
	int32		left;
	int32		right;

	/* The split column's first n_left rows are those with x <= threshold. */
	for (int32 i = start; i < end; i++)
		builder->goes_left[split_rows[i]] = i < middle;
	for (int col = 0; col < builder->data->n_cols; col++)
	{
		if (col != split->feature)
			PartitionRows(builder, col, start, end);
	}

	/* AddNode may move the node array, so node is not used after it. */
	node->feature = split->feature;
	node->threshold = split->threshold;
	left = AddNode(builder, start, middle, depth + 1, index);
	right = AddNode(builder, middle, end, depth + 1, index);
	if (left < 0 || right < 0)
		return;					/* a failure recorded on a worker thread */
	builder->nodes[index].left = left;
	builder->nodes[index].right = right;
}

/*
 * Grows the tree depth-first.  The stack contains at most two nodes per depth,
 * because each split pushes two children one level deeper.  When the
 * deadline passes, the nodes still pending stay leaves.
 */
static void
GrowTree(TreeBuilder *builder)
{
	int			stack_size = StackSize(&builder->params);
	int32	   *stack = builder->stack;
	int			n_pending = 0;

	stack[n_pending++] = AddNode(builder, 0, builder->n_sample, 0, -1);
	while (n_pending > 0 && builder->failure == NULL)
	{
		int32		index = stack[--n_pending];
		SplitCandidate split;

		CheckInterrupts(builder);
		if (DeadlinePassed(builder))
			break;
		if (!IsSplittable(builder, &builder->nodes[index]) ||
			!FindBestSplit(builder, index, &split))
			continue;

		ApplySplit(builder, index, &split);
		if (n_pending + 2 > stack_size && builder->server_calls)
			elog(ERROR, "tree: growth stack overflow at depth %d",
				 builder->nodes[index].depth);
		if (n_pending + 2 > stack_size)
			builder->failure = "growth stack overflow";
		if (builder->failure != NULL)
			break;
		/* Push the right child first, so the left subtree grows first. */
		stack[n_pending++] = builder->nodes[index].right;
		stack[n_pending++] = builder->nodes[index].left;
	}
}

/* Grows the CART tree of a builder made by TreeBuilderInit. */
void
TreeGrow(TreeBuilder *builder)
{
	GrowTree(builder);
}

/*
 * Draws n_rows rows with replacement and writes how often each was drawn.
 * A forest tree's sample is the first use of its random state, so calling
 * this on a state seeded like the tree's gives the tree's sample again.
 */
void
TreeBootstrapCounts(pg_prng_state *prng, int n_rows, int32 *counts)
{
	memset(counts, 0, sizeof(int32) * n_rows);
	for (int i = 0; i < n_rows; i++)
		counts[pg_prng_uint64_range(prng, 0, n_rows - 1)]++;
}

/*
 * Draws the tree's sample.  With bootstrap, n_rows rows are drawn with
 * replacement and each row's weight is multiplied by its count.  Without,
 * every row counts once with its own weight.
 */
static void
DrawSample(TreeBuilder *builder, bool bootstrap)
{
	const TrainData *data = builder->data;

	builder->total_weight = 0.0;
	if (!bootstrap)
	{
		builder->weights = data->weights;
		for (int i = 0; i < data->n_rows; i++)
		{
			builder->counts[i] = 1;
			builder->total_weight += RowWeight(data, i);
		}
		return;
	}

	TreeBootstrapCounts(&builder->prng, data->n_rows, builder->counts);
	for (int i = 0; i < data->n_rows; i++)
	{
		builder->sample_weights[i] = builder->counts[i] * RowWeight(data, i);
		builder->total_weight += builder->sample_weights[i];
	}
	builder->weights = builder->sample_weights;
}

/*
 * Copies the presorted arrays into the builder, keeping only the rows of
 * the sample, so each array lists the sampled rows in sorted order.
 */
static void
KeepSampledRows(TreeBuilder *builder, const int32 *presorted)
{
	const TrainData *data = builder->data;
	int			n_arrays = Max(data->n_cols, 1);

	for (int col = 0; col < n_arrays; col++)
	{
		const int32 *from = presorted + (Size) col * data->n_rows;
		int32	   *to = SortedRows(builder, col);
		int			n = 0;

		for (int i = 0; i < data->n_rows; i++)
		{
			if (builder->counts[from[i]] > 0)
				to[n++] = from[i];
		}
		builder->n_sample = n;
	}
}

/*
 * Grows one unpruned forest tree on a builder made by TreeBuilderInitArena.
 * The caller seeds builder->prng first.  Makes no server call unless
 * builder->server_calls is set, so it can run on a worker thread.  A
 * "cannot happen" failure is left in builder->failure.
 */
void
TreeGrowSample(TreeBuilder *builder, const int32 *presorted, bool bootstrap)
{
	builder->n_nodes = 0;
	builder->truncated = false;
	builder->failure = NULL;

	/* The column shuffle starts afresh, so the tree depends only on its seed. */
	for (int col = 0; col < builder->data->n_cols; col++)
		builder->features[col] = col;
	DrawSample(builder, bootstrap);
	KeepSampledRows(builder, presorted);
	builder->max_nodes = TreeMaxNodeCount(builder->n_sample, &builder->params);
	GrowTree(builder);

	/* Each internal node has two children, so n nodes include (n + 1) / 2 leaves. */
	builder->n_leaves = (builder->n_nodes + 1) / 2;
}

static double
EffectiveAlpha(const Pruner *pruner, int32 t)
{
	return (pruner->nodes[t].risk - pruner->subtree_risk[t]) /
		(pruner->subtree_leaves[t] - 1);
}

/* Returns the weaker of two candidates (-1 for none): smaller alpha, then index. */
static int32
WeakerLink(const Pruner *pruner, int32 a, int32 b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	if (pruner->alpha[b] < pruner->alpha[a] ||
		(pruner->alpha[b] == pruner->alpha[a] && b < a))
		return b;
	return a;
}

/* Adds node t to the pruning candidates, or removes it, and updates the heap. */
static void
SetCandidate(Pruner *pruner, int32 t, bool is_candidate)
{
	int			pos = pruner->width + t;

	pruner->heap[pos] = is_candidate ? t : -1;
	for (pos /= 2; pos >= 1; pos /= 2)
		pruner->heap[pos] = WeakerLink(pruner, pruner->heap[2 * pos],
									   pruner->heap[2 * pos + 1]);
}

/*
 * Computes R(T_t), |leaves(T_t)| and the effective alpha of every node, and
 * builds the segment tree whose root is the weakest link.  Children have
 * larger indices than parents, so one backward pass visits children first.
 */
static void
InitPruner(Pruner *pruner, GrowNode *nodes, int n_nodes)
{
	pruner->nodes = nodes;
	pruner->n_nodes = n_nodes;
	pruner->subtree_risk = palloc(sizeof(double) * n_nodes);
	pruner->subtree_leaves = palloc(sizeof(int32) * n_nodes);
	pruner->alpha = palloc(sizeof(double) * n_nodes);
	for (pruner->width = 1; pruner->width < n_nodes; pruner->width *= 2)
		;
	pruner->heap = palloc(sizeof(int32) * 2 * pruner->width);
	memset(pruner->heap, -1, sizeof(int32) * 2 * pruner->width);

	for (int32 t = n_nodes - 1; t >= 0; t--)
	{
		GrowNode   *node = &nodes[t];

		if (node->feature < 0)
		{
			pruner->subtree_risk[t] = node->risk;
			pruner->subtree_leaves[t] = 1;
			pruner->alpha[t] = DBL_MAX;
			continue;
		}
		pruner->subtree_risk[t] = pruner->subtree_risk[node->left] +
			pruner->subtree_risk[node->right];
		pruner->subtree_leaves[t] = pruner->subtree_leaves[node->left] +
			pruner->subtree_leaves[node->right];
		pruner->alpha[t] = EffectiveAlpha(pruner, t);
		pruner->heap[pruner->width + t] = t;
	}
	for (int pos = pruner->width - 1; pos >= 1; pos--)
		pruner->heap[pos] = WeakerLink(pruner, pruner->heap[2 * pos],
									   pruner->heap[2 * pos + 1]);
}

/* Returns whether an ancestor of t has already been collapsed into a leaf. */
static bool
IsInsidePrunedSubtree(const Pruner *pruner, int32 t)
{
	for (int32 a = pruner->nodes[t].parent; a >= 0; a = pruner->nodes[a].parent)
	{
		if (pruner->nodes[a].feature < 0)
			return true;
	}
	return false;
}

/* Turns node t into a leaf and updates the subtree sums of its ancestors. */
static void
CollapseNode(Pruner *pruner, int32 t)
{
	double		risk_increase = pruner->nodes[t].risk - pruner->subtree_risk[t];
	int32		leaves_removed = pruner->subtree_leaves[t] - 1;

	pruner->nodes[t].feature = -1;
	pruner->subtree_risk[t] = pruner->nodes[t].risk;
	pruner->subtree_leaves[t] = 1;
	for (int32 a = pruner->nodes[t].parent; a >= 0; a = pruner->nodes[a].parent)
	{
		pruner->subtree_risk[a] += risk_increase;
		pruner->subtree_leaves[a] -= leaves_removed;
		pruner->alpha[a] = EffectiveAlpha(pruner, a);
		SetCandidate(pruner, a, true);
	}
}

/*
 * Collapses the weakest link while its effective alpha <= ccp_alpha.  Nodes
 * inside a collapsed subtree stay in the heap until they come out on top,
 * and are then dropped without changing the tree.
 */
void
TreePrune(TreeBuilder *builder)
{
	Pruner		pruner;
	int32		t;

	InitPruner(&pruner, builder->nodes, builder->n_nodes);
	while ((t = pruner.heap[1]) >= 0 &&
		   pruner.alpha[t] <= builder->params.ccp_alpha)
	{
		SetCandidate(&pruner, t, false);
		if (!IsInsidePrunedSubtree(&pruner, t))
			CollapseNode(&pruner, t);
	}
	builder->n_leaves = pruner.subtree_leaves[0];
}

/* Allocates a model with zeroed values and gains. */
TreeModel *
TreeAllocModel(TaskKind task, int n_outputs, int n_cols, int n_nodes, int n_leaves)
{
	TreeModel  *model = palloc0(sizeof(TreeModel));

	model->task = task;
	model->n_outputs = n_outputs;
	model->n_cols = n_cols;
	model->n_nodes = n_nodes;
	model->n_leaves = n_leaves;
	model->nodes = AllocHuge(n_nodes, sizeof(TreeNode), "decision tree");
	model->values = AutomlAllocDoubles(mul_size(n_leaves, n_outputs),
									   "decision tree");
	model->gains = AutomlAllocDoubles(Max(n_cols, 1), "decision tree");
	return model;
}

/* Frees a model and its arrays. */
void
TreeFreeModel(TreeModel *model)
{
	pfree(model->nodes);
	pfree(model->values);
	if (model->gains != NULL)
		pfree(model->gains);
	pfree(model);
}

/*
 * Writes grow node t into the model as node dst.  A leaf gets the next leaf
 * number and its values.  An internal node adds its decrease of R(t) to its
 * column's gain.
 */
static void
CopyNode(const TreeBuilder *builder, int32 t, TreeModel *model, int32 dst)
{
	const GrowNode *node = &builder->nodes[t];
	TreeNode   *out = &model->nodes[dst];
	const double *stats = NodeStats(builder, t);
	double	   *values;

	out->feature = node->feature;
	out->threshold = node->threshold;
	out->left = -1;
	out->right = -1;
	out->leaf = -1;
	if (node->feature >= 0)
	{
		double		gain = node->risk - builder->nodes[node->left].risk -
			builder->nodes[node->right].risk;

		model->gains[node->feature] += Max(gain, 0.0);
		return;
	}

	/* A leaf stores class probabilities, or the mean. */
	out->leaf = model->n_leaves++;
	values = model->values + (Size) out->leaf * model->n_outputs;
	for (int k = 0; k < model->n_outputs; k++)
	{
		if (builder->data->task == TASK_REGRESSION)
			values[k] = stats[k];
		else
			values[k] = node->weight > 0.0 ? stats[k] / node->weight : 0.0;
	}
}

/*
 * Copies the pruned tree into a new model in preorder.  Each stack entry
 * carries the model index of its parent, so a child patches the parent's
 * link when it receives its own index.
 */
TreeModel *
TreeBuildModel(const TreeBuilder *builder)
{
	int			n_kept = 2 * builder->n_leaves - 1;
	TreeModel  *model = TreeAllocModel(builder->data->task, builder->n_outputs,
								   builder->data->n_cols, n_kept,
								   builder->n_leaves);
	int			stack_size = StackSize(&builder->params);
	int32	   *stack = palloc(sizeof(int32) * stack_size);
	int32	   *parents = palloc(sizeof(int32) * stack_size);
	int			n_pending = 0;

	/* The copy loop counts nodes and leaves again, and checks them at the end. */
	model->n_nodes = 0;
	model->n_leaves = 0;
	stack[n_pending] = 0;
	parents[n_pending++] = -1;
	while (n_pending > 0)
	{
		int32		t = stack[--n_pending];
		int32		parent = parents[n_pending];
		int32		dst = model->n_nodes++;
		const GrowNode *node = &builder->nodes[t];

		if (dst >= n_kept)
			elog(ERROR, "tree: pruned tree has more than %d nodes", n_kept);
		CopyNode(builder, t, model, dst);
		if (parent >= 0 && model->nodes[parent].left < 0)
			model->nodes[parent].left = dst;
		else if (parent >= 0)
			model->nodes[parent].right = dst;
		if (node->feature < 0)
			continue;
		if (n_pending + 2 > stack_size)
			elog(ERROR, "tree: copy stack overflow at depth %d", node->depth);
		/* Push right first, so the left child gets the next index. */
		stack[n_pending] = node->right;
		parents[n_pending++] = dst;
		stack[n_pending] = node->left;
		parents[n_pending++] = dst;
	}
	if (model->n_nodes != n_kept || model->n_leaves != builder->n_leaves)
		elog(ERROR, "tree: copied %d nodes and %d leaves, expected %d and %d",
			 model->n_nodes, model->n_leaves, n_kept, builder->n_leaves);
	return model;
}

/*
 * Returns the leaf values (class probabilities, or the mean) of row i of the
 * column-major x.  Child indices only grow, so the walk ends at a leaf.
 */
const double *
TreeLeafValues(const TreeModel *model, const double *x, int n_rows, int i)
{
	const TreeNode *node = &model->nodes[0];

	while (node->feature >= 0)
	{
		double		value = x[(Size) node->feature * n_rows + i];

		node = &model->nodes[value <= node->threshold ? node->left : node->right];
	}
	return model->values + (Size) node->leaf * model->n_outputs;
}

/* Writes each row's leaf values, row-major n_rows x n_outputs. */
void
TreePredictRows(const TreeModel *model, const double *x, int n_rows, int n_cols,
				double *out)
{
	Size		row_bytes = sizeof(double) * model->n_outputs;

	if (n_cols != model->n_cols)
		elog(ERROR, "tree: model expects %d columns, got %d",
			 model->n_cols, n_cols);
	for (int i = 0; i < n_rows; i++)
		memcpy(out + (Size) i * model->n_outputs,
			   TreeLeafValues(model, x, n_rows, i), row_bytes);
}

/* Returns the depth of the deepest leaf, where the root alone has depth 0. */
int
TreeModelDepth(const TreeModel *model)
{
	int32	   *depth = palloc(sizeof(int32) * model->n_nodes);
	int			deepest = 0;

	depth[0] = 0;
	for (int t = 0; t < model->n_nodes; t++)
	{
		const TreeNode *node = &model->nodes[t];

		deepest = Max(deepest, depth[t]);
		if (node->feature < 0)
			continue;
		depth[node->left] = depth[t] + 1;
		depth[node->right] = depth[t] + 1;
	}
	pfree(depth);
	return deepest;
}

/* Writes each column's share of the tree's total impurity decrease. */
void
TreeNormalizedGains(const TreeModel *model, double *out)
{
	double		total = 0.0;

	for (int j = 0; j < model->n_cols; j++)
		total += model->gains[j];
	for (int j = 0; j < model->n_cols; j++)
		out[j] = total > 0.0 ? model->gains[j] / total : 0.0;
}

/*
 * Writes the int32 node count and leaf count.  Each node follows in preorder
 * as its int32 feature, then either the float64 threshold and int32 left and
 * right children, or for a leaf the int32 leaf number.  The float64 leaf
 * values come last, then the per-column gains when with_gains is set.
 */
void
TreeWriteNodes(const TreeModel *model, StringInfo buf, bool with_gains)
{
	SerialPutInt32(buf, model->n_nodes);
	SerialPutInt32(buf, model->n_leaves);
	for (int t = 0; t < model->n_nodes; t++)
	{
		const TreeNode *node = &model->nodes[t];

		SerialPutInt32(buf, node->feature);
		if (node->feature < 0)
		{
			SerialPutInt32(buf, node->leaf);
			continue;
		}
		SerialPutFloat64(buf, node->threshold);
		SerialPutInt32(buf, node->left);
		SerialPutInt32(buf, node->right);
	}
	SerialPutFloat64Array(buf, model->values,
						  (Size) model->n_leaves * model->n_outputs);
	if (with_gains)
		SerialPutFloat64Array(buf, model->gains, model->n_cols);
}

/*
 * Reads node t.  Children must come after t, so prediction always moves
 * forward and stops at a leaf within n_nodes steps.
 */
static void
ReadNode(SerialReader *reader, TreeModel *model, int32 t)
{
	TreeNode   *node = &model->nodes[t];

	node->feature = SerialGetInt32InRange(reader, -1, model->n_cols - 1,
										  "tree node feature");
	node->left = -1;
	node->right = -1;
	node->leaf = -1;
	node->threshold = 0.0;
	if (node->feature < 0)
	{
		node->leaf = SerialGetInt32InRange(reader, 0, model->n_leaves - 1,
										   "tree leaf number");
		return;
	}
	node->threshold = SerialGetFloat64(reader);
	node->left = SerialGetInt32InRange(reader, t + 1, model->n_nodes - 1,
									   "tree left child");
	node->right = SerialGetInt32InRange(reader, t + 1, model->n_nodes - 1,
										"tree right child");
}

/*
 * Raises an error unless the reader has at least "needed" bytes left, so a
 * corrupted header cannot make deserialisation allocate more memory than
 * the model binary could fill.
 */
void
TreeCheckRemainingBytes(const SerialReader *reader, Size needed)
{
	Size		remaining = reader->length - reader->offset;

	if (needed > remaining)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is truncated"),
				 errdetail("The tree header calls for at least %zu more bytes, but %zu remain.",
						   needed, remaining),
				 errhint("Retrain the project with automl_train.")));
}

/*
 * Reads what TreeWriteNodes wrote, for a tree of the given task and sizes.
 * Without gains, the model's gains are NULL.
 */
TreeModel *
TreeReadNodes(SerialReader *reader, TaskKind task, int n_outputs, int n_cols,
			  int32 max_nodes, bool with_gains)
{
	TreeModel  *model;
	int32		n_nodes;
	int32		n_leaves;

	n_nodes = SerialGetInt32InRange(reader, 1, max_nodes, "tree node count");
	n_leaves = SerialGetInt32InRange(reader, 1, (n_nodes + 1) / 2, "tree leaf count");

	/* Each node takes at least 8 bytes, and each value and gain 8 bytes. */
	TreeCheckRemainingBytes(reader,
							mul_size(add_size(add_size(n_nodes,
													   mul_size(n_leaves, n_outputs)),
											  with_gains ? n_cols : 0),
									 sizeof(double)));
	model = TreeAllocModel(task, n_outputs, n_cols, n_nodes, n_leaves);
	for (int32 t = 0; t < n_nodes; t++)
		ReadNode(reader, model, t);
	SerialGetFloat64Array(reader, model->values, (Size) n_leaves * n_outputs);
	if (with_gains)
		SerialGetFloat64Array(reader, model->gains, n_cols);
	else
	{
		pfree(model->gains);
		model->gains = NULL;
	}
	return model;
}
