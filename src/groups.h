/*
 * groups.h
 *		Per-group linear models: one parameter set per value of a group
 *		column, learned independently, pooled, or adapted from a shared
 *		initialisation learned by Reptile (groups_model.c), and the
 *		automl_train_groups pipeline (groups.c).
 */
#ifndef AUTOML_GROUPS_H
#define AUTOML_GROUPS_H

#include "family.h"
#include "load.h"
#include "prep.h"

/* Hyperparameter indexes of grouped_linear_family, in ParamSpec order. */
#define GROUP_PARAM_STRATEGY		0
#define GROUP_PARAM_INNER_STEPS		1
#define GROUP_PARAM_META_ITERATIONS 2
#define GROUP_PARAM_META_STEP_SIZE	3
#define GROUP_PARAM_LEARNING_RATE	4
#define GROUP_PARAM_STEPS			5
#define GROUP_PARAM_L2				6
#define GROUP_PARAM_PROXIMAL		7

typedef enum GroupStrategy
{
	GROUP_REPTILE,				/* adapt a meta-learned initialisation */
	GROUP_INDEPENDENT,			/* one model per group from zero */
	GROUP_POOLED				/* one model for every group */
} GroupStrategy;

/* Not in automl_families: only automl_train_groups fits it. */
extern const ModelFamily grouped_linear_family;

/*
 * A fitted grouped model.  Each parameter set is a weight matrix of
 * n_inputs x n_outputs (row-major by input) followed by n_outputs biases.
 */
typedef struct GroupedModel
{
	GroupStrategy strategy;
	TaskKind	task;
	int			n_inputs;		/* design-matrix columns */
	int			n_outputs;		/* classes, or 1 for regression */
	double		target_mean;	/* regression: the fit predicts (y - mean) / scale */
	double		target_scale;
	char	   *group_column;
	int			n_groups;
	char	  **group_keys;		/* sorted by strcmp, for binary search */
	int		   *group_rows;		/* training rows per group */
	double	   *fallback;		/* theta (reptile) or the pooled model */
	double	   *group_params;	/* n_groups parameter sets; NULL when pooled */

	/* the held-out evaluation behind the stored score */
	int			test_rows;
	int			test_groups;	/* groups with held-out rows */
	int			small_groups;	/* groups too small to hold rows out */
} GroupedModel;

/*
 * Training rows of a grouped fit.  x is row-major, n_rows x n_cols, and
 * covers every loaded row; a fit uses only the rows listed in train_rows.
 */
typedef struct GroupedRows
{
	const double *x;
	const double *y;			/* class index, or the target value */
	int			n_rows;
	int			n_cols;
	TaskKind	task;
	int			n_outputs;
	int			n_groups;
	const int  *group_of_row;	/* group index, or -1 for a NULL group */
	const int  *train_rows;
	int			n_train;
} GroupedRows;

/* Number of values in one parameter set. */
extern int	GroupedParamCount(const GroupedModel *model);

/*
 * Fit the strategy of config (hyperparameters of grouped_linear_family)
 * to the training rows of data.  The caller sets group_column, group_keys
 * and group_rows of the result.
 */
extern GroupedModel *GroupedFit(const GroupedRows *data, const double *config,
								uint64 seed);

/*
 * Raise an error unless a deserialized model fits its preprocessing plan:
 * the same task, inputs and outputs, and a plan column for the group.
 */
extern void GroupedCheckPlan(const GroupedModel *model, const PrepPlan *plan);

/* The plan column of the group, or -1 when the plan has none. */
extern int	GroupedPlanColumn(const GroupedModel *model, const PrepPlan *plan);

/* The group index of key, or -1 when the key is NULL or unseen. */
extern int	GroupedFindGroup(const GroupedModel *model, const char *key);

/*
 * Predict one row x (n_inputs values) with the parameters of group g, or
 * the fallback for g < 0: class probabilities or the value.
 */
extern void GroupedPredictOne(const GroupedModel *model, int group, const double *x,
							  double *out);

/*
 * The key that identifies a group value: a level's text, or a number in
 * the shortest form that reads back exactly.  NULL for a missing value.
 * Training and serving both use it, so both match values the same way.
 */
extern char *GroupKey(ColumnKind kind, double number, const char *string);

#endif							/* AUTOML_GROUPS_H */
