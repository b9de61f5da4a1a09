/*
 * tree.h
 *		The tree builder: CART growth, pruning, prediction, serialisation and
 *		importance, shared by the tree family and the forest families.
 *
 * A builder grows one tree at a time.  The tree family uses it as CART with
 * every column and exact thresholds, then prunes.  The forests grow each
 * tree on a bootstrap sample or on every row, with a random subset of the
 * columns per split and, for extra trees, one random threshold per column.
 * A builder made by TreeBuilderInitArena allocates all its memory up front,
 * so TreeGrowSample can run on a worker thread (see tree.c).
 */
#ifndef AUTOML_TREE_H
#define AUTOML_TREE_H

#include "common/pg_prng.h"
#include "port/atomics.h"

#include "family.h"

#define TREE_MAX_OUTPUTS 100000
#define TREE_MAX_COLS ((int32) (MaxAllocSize / sizeof(double)))

typedef enum TreeCriterion
{
	CRITERION_GINI,
	CRITERION_ENTROPY
} TreeCriterion;

/* One node of a fitted tree. */
typedef struct TreeNode
{
	int32		feature;		/* column tested, or -1 for a leaf */
	int32		left;			/* child for x <= threshold, or -1 */
	int32		right;			/* child for x > threshold, or -1 */
	int32		leaf;			/* leaf number, or -1 for an internal node */
	double		threshold;
} TreeNode;

typedef struct TreeModel
{
	TaskKind	task;
	int			n_outputs;		/* classes, or 1 for regression */
	int			n_cols;
	int			n_nodes;
	int			n_leaves;
	TreeNode   *nodes;			/* preorder, so children follow their parent */
	double	   *values;			/* leaf l has values[l * n_outputs ...] */
	double	   *gains;			/* per column, total decrease of R(t) */
} TreeModel;

typedef struct TreeParams
{
	int			max_depth;
	int			min_samples_leaf;
	TreeCriterion criterion;
	double		ccp_alpha;
	int			max_features;	/* columns tried per split; n_cols or more for all */
	bool		random_thresholds;	/* extra trees: one random threshold per column */
} TreeParams;

/* A node while the tree grows and is pruned. */
typedef struct GrowNode
{
	int32		feature;		/* -1 while the node is a leaf */
	double		threshold;
	int32		left;
	int32		right;
	int32		parent;			/* -1 for the root */
	int32		start;			/* the node's rows are order[col][start..end) */
	int32		end;
	int32		depth;
	int32		n_positive;		/* rows with positive weight */
	bool		pure;			/* one class, or one target value */
	double		weight;			/* total row weight */
	double		impurity;		/* weight x (Gini, entropy or variance) */
	double		residual_sum;	/* regression: sum of w (y - mean), 0 up to rounding */
	double		risk;			/* R(t): impurity / total weight of all rows */
} GrowNode;

typedef struct TreeBuilder
{
	const TrainData *data;
	TreeParams	params;
	int			n_outputs;
	double		total_weight;
	double		deadline;		/* AutomlNow() value to stop by, or 0 */
	int32	   *order;			/* Max(n_cols, 1) x n_rows row indices */
	int32	   *scratch;		/* n_rows, buffer for stable partitioning */
	bool	   *goes_left;		/* n_rows, side of each row of a split node */
	double	   *left_stats;		/* n_outputs: class weights left of a threshold */
	double	   *right_stats;	/* n_outputs: class weights right of it */
	GrowNode   *nodes;
	double	   *stats;			/* per node n_outputs: class weights, or mean */
	int			n_nodes;
	int			capacity;
	int			max_nodes;
	int			n_leaves;		/* leaves left after pruning */

	/* Row sample: the rows [0, n_sample) of each sorted array grow the tree. */
	const double *weights;		/* per-row weight, or NULL for all ones */
	int			n_sample;

	/* Forests only: memory made up front for growth on a worker thread. */
	bool		server_calls;	/* may call CHECK_FOR_INTERRUPTS and elog */
	int32	   *counts;			/* n_rows bootstrap multiplicities */
	double	   *sample_weights; /* n_rows: count x row weight */
	int32	   *features;		/* n_cols, a permutation for column subsets */
	int32	   *stack;			/* growth stack, 2 x (max_depth + 1) */
	pg_prng_state prng;			/* private random state of the tree */
	pg_atomic_uint32 *stop;		/* set by the main thread to stop growth */
	bool		truncated;		/* growth stopped at the deadline or on stop */
	const char *failure;		/* "cannot happen" error seen on a worker */
} TreeBuilder;

/* Checks the training data and sorts each column's row indices. */
extern void TreeCheckTrainData(const TrainData *data);
extern int32 *TreePresort(const TrainData *data);
extern int	TreeMaxNodeCount(int n_rows, const TreeParams *params);

/* CART on every row, as the tree family fits it (main thread only). */
extern void TreeBuilderInit(TreeBuilder *builder, const TrainData *data,
							const TreeParams *params, double deadline);
extern void TreeGrow(TreeBuilder *builder);
extern void TreePrune(TreeBuilder *builder);

/* Forest trees: an arena for growth on a worker thread. */
extern Size TreeArenaBytes(const TrainData *data, const TreeParams *params);
extern void TreeBuilderInitArena(TreeBuilder *builder, const TrainData *data,
								 const TreeParams *params, double deadline);
extern void TreeGrowSample(TreeBuilder *builder, const int32 *presorted,
						   bool bootstrap);
extern void TreeBootstrapCounts(pg_prng_state *prng, int n_rows, int32 *counts);

/* Fitted trees. */
extern TreeModel *TreeBuildModel(const TreeBuilder *builder);
extern TreeModel *TreeAllocModel(TaskKind task, int n_outputs, int n_cols,
								 int n_nodes, int n_leaves);
extern void TreeFreeModel(TreeModel *model);
extern const double *TreeLeafValues(const TreeModel *model, const double *x,
									int n_rows, int i);
extern void TreePredictRows(const TreeModel *model, const double *x, int n_rows,
							int n_cols, double *out);
extern int	TreeModelDepth(const TreeModel *model);
extern void TreeNormalizedGains(const TreeModel *model, double *out);

/* Serialisation of a tree's node count, leaf count, nodes and leaf values. */
extern void TreeWriteNodes(const TreeModel *model, StringInfo buf,
						   bool with_gains);
extern TreeModel *TreeReadNodes(SerialReader *reader, TaskKind task,
								int n_outputs, int n_cols, int32 max_nodes,
								bool with_gains);
extern void TreeCheckRemainingBytes(const SerialReader *reader, Size needed);

#endif							/* AUTOML_TREE_H */
