/*
 * family_tree.c
 *		CART decision tree for classification and regression.
 *
 * The tree follows CART (Breiman, Friedman, Olshen and Stone, "Classification
 * and Regression Trees", 1984): grow the tree greedily, each split the one
 * of all columns and thresholds that most decreases the weighted impurity
 * (Gini index or entropy of the class weights, or the squared error around
 * the mean), until max_depth, pure nodes, min_samples_leaf or the fit
 * deadline stops it.  Then prune by minimal cost-complexity: with R(t) the
 * weighted impurity of node t over the total weight, collapse the weakest
 * link, the internal node of smallest (R(t) - R(T_t)) / (|leaves(T_t)| - 1),
 * while that value is at most ccp_alpha.
 *
 * The builder (tree.c) does the work; this file reads the hyperparameters
 * and implements the family interface on top of it.
 */
#include "postgres.h"

#include <math.h>

#include "utils/memutils.h"

#include "tree.h"

#define TREE_MAX_DEPTH 20
#define TREE_MAX_NODES ((1 << (TREE_MAX_DEPTH + 1)) - 1)

static const char *const tree_criteria[] = {"gini", "entropy"};

static const ParamSpec tree_params[] = {
	{"max_depth", PARAM_INT, 1, TREE_MAX_DEPTH, 8, NULL, 0},
	{"min_samples_leaf", PARAM_INT, 1, 50, 5, NULL, 0},
	{"criterion", PARAM_CHOICE, 0, 1, CRITERION_GINI,
	tree_criteria, lengthof(tree_criteria), 0, 0, "task=classification"},
	{"ccp_alpha", PARAM_LOG_REAL, 1e-6, 1e-1, 1e-5, NULL, 0},
};

/*
 * Reads a configuration vector.  Values are rounded and clamped to the
 * search space, so a configuration proposed between integers still fits.
 * Every split considers every column at every threshold.
 */
static void
TreeParamsFromConfig(const double *config, TreeParams *params)
{
	params->max_depth = (int) Min(Max(rint(config[0]), 1.0), TREE_MAX_DEPTH);
	params->min_samples_leaf = (int) Min(Max(rint(config[1]), 1.0),
										 tree_params[1].high);
	params->criterion = config[2] >= 0.5 ? CRITERION_ENTROPY : CRITERION_GINI;
	params->ccp_alpha = Max(config[3], 0.0);
	params->max_features = PG_INT32_MAX;
	params->random_thresholds = false;
}

/*
 * Fits a tree.  The presorted rows and the grow nodes live in a child memory
 * context that is deleted at the end, and only the model stays in the
 * caller's context.
 */
static void *
TreeFit(const TrainData *data, const double *config, const FitControl *control)
{
	MemoryContext fit_context;
	MemoryContext old_context;
	TreeParams	params;
	TreeBuilder builder;
	TreeModel  *model;

	TreeCheckTrainData(data);
	TreeParamsFromConfig(config, &params);
	fit_context = AllocSetContextCreate(CurrentMemoryContext,
										"automl tree fit",
										ALLOCSET_DEFAULT_SIZES);
	old_context = MemoryContextSwitchTo(fit_context);
	TreeBuilderInit(&builder, data, &params,
					control != NULL ? control->deadline : 0.0);
	TreeGrow(&builder);
	TreePrune(&builder);
	MemoryContextSwitchTo(old_context);

	model = TreeBuildModel(&builder);
	MemoryContextDelete(fit_context);
	return model;
}

static void
TreePredict(const void *opaque, const double *x, int n_rows, int n_cols,
			double *out)
{
	TreePredictRows(opaque, x, n_rows, n_cols, out);
}

/*
 * Writes the header as int32: task, output count and column count, then the
 * nodes, leaf values and per-column gains (TreeWriteNodes).
 */
static void
TreeSerialize(const void *opaque, StringInfo buf)
{
	const TreeModel *model = opaque;

	SerialPutInt32(buf, (int32) model->task);
	SerialPutInt32(buf, model->n_outputs);
	SerialPutInt32(buf, model->n_cols);
	TreeWriteNodes(model, buf, true);
}

static void *
TreeDeserialize(SerialReader *reader)
{
	TaskKind	task;
	int32		n_outputs;
	int32		n_cols;

	task = (TaskKind) SerialGetInt32InRange(reader, TASK_CLASSIFICATION,
											TASK_REGRESSION, "task kind");
	n_outputs = SerialGetInt32InRange(reader, 1,
									  task == TASK_CLASSIFICATION ? TREE_MAX_OUTPUTS : 1,
									  "output count");
	n_cols = SerialGetInt32InRange(reader, 0, TREE_MAX_COLS, "column count");
	return TreeReadNodes(reader, task, n_outputs, n_cols, TREE_MAX_NODES, true);
}

/* Writes each column's share of the total impurity decrease. */
static void
TreeImportance(const void *opaque, int n_cols, double *out)
{
	const TreeModel *model = opaque;

	if (n_cols != model->n_cols)
		elog(ERROR, "tree: model has %d columns, importance requested for %d",
			 model->n_cols, n_cols);
	TreeNormalizedGains(model, out);
}

const ModelFamily tree_family = {
	.name = "tree",
	.description = "CART decision tree with minimal cost-complexity pruning",
	.supports_classification = true,
	.supports_regression = true,
	.params = tree_params,
	.n_params = lengthof(tree_params),
	.fit = TreeFit,
	.predict = TreePredict,
	.serialize = TreeSerialize,
	.deserialize = TreeDeserialize,
	.importance = TreeImportance,
};
