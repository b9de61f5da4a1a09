/*
 * family.h
 *		The interface every model family implements.
 *
 * Search, evaluation, the catalog and serving work only through this table
 * of functions, so adding a family means adding one file and one entry in
 * the registry (family.c); nothing else switches on family names.
 */
#ifndef AUTOML_FAMILY_H
#define AUTOML_FAMILY_H

#include "automl.h"
#include "common/pg_prng.h"
#include "lib/stringinfo.h"
#include "serial.h"

#define AUTOML_MAX_PARAMS 16

typedef enum HyperParamKind
{
	PARAM_INT,					/* integer in [low, high], uniform */
	PARAM_REAL,					/* real in [low, high], uniform */
	PARAM_LOG_REAL,				/* real in [low, high], uniform in log scale */
	PARAM_CHOICE				/* index into choices[] */
} HyperParamKind;

/* One dimension of a family's search space. */
typedef struct ParamSpec
{
	const char *name;
	HyperParamKind	kind;
	double		low;
	double		high;
	double		default_value;	/* for PARAM_CHOICE, the index of the default */
	const char *const *choices;
	int			n_choices;

	/*
	 * Values a user may set through the hyperparameters argument; both zero
	 * means the search range [low, high].
	 */
	double		min_value;
	double		max_value;

	/*
	 * Condition under which the parameter matters, or NULL for always:
	 * "other=choice" (another PARAM_CHOICE parameter has that choice),
	 * "other!=choice" (it has another choice) or
	 * "task=classification" / "task=regression".  An inactive parameter
	 * keeps its default and the search does not tune it.
	 */
	const char *active_if;

	/*
	 * Whether 0 turns the limit off (an integer such as max_depth).  Then 0
	 * is no neighbour of 1 for a local move.
	 */
	bool		zero_means_none;
} ParamSpec;

/*
 * Training rows handed to a family.  The design matrix is dense and
 * column-major; every feature is already imputed, encoded and scaled.
 */
typedef struct TrainData
{
	const double *x;			/* n_rows x n_cols, column-major */
	int			n_rows;
	int			n_cols;
	TaskKind	task;
	int			n_classes;		/* classification only */
	const double *y;			/* target value, or class index 0..n_classes-1 */
	const double *weights;		/* per-row weights, or NULL for all ones */
} TrainData;

/* Per-fit controls. */
typedef struct FitControl
{
	uint64		seed;
	double		deadline;		/* AutomlNow() value to stop by, or 0 for none */
} FitControl;

typedef struct ModelFamily
{
	const char *name;
	const char *description;
	bool		supports_classification;
	bool		supports_regression;
	const ParamSpec *params;
	int			n_params;

	/*
	 * Fit a model to the rows in data with hyperparameters config (one value
	 * per ParamSpec, in order).  Returns a model allocated in the current
	 * memory context.  Must call CHECK_FOR_INTERRUPTS in long loops.
	 */
	void	   *(*fit) (const TrainData *data, const double *config,
						const FitControl *control);

	/*
	 * Predict n_rows rows of the column-major matrix x (n_rows x n_cols).
	 * Classification writes class probabilities to out, row-major
	 * n_rows x n_classes; regression writes n_rows values.
	 */
	void		(*predict) (const void *model, const double *x, int n_rows,
							int n_cols, double *out);

	void		(*serialize) (const void *model, StringInfo buf);
	void	   *(*deserialize) (SerialReader *reader);

	/*
	 * Write one non-negative importance per input column to out (n_cols
	 * values, summing to 1 when any is positive).  NULL when the family has
	 * no natural importance.
	 */
	void		(*importance) (const void *model, int n_cols, double *out);

	/*
	 * Append a JSON value describing the fitted model (coefficients, tree
	 * sizes, training curves) for automl_model_info.  NULL when the family
	 * has nothing to show beyond its hyperparameters.
	 */
	void		(*describe) (const void *model, StringInfo buf);
} ModelFamily;

/* Registry (family.c). */
extern const ModelFamily *const automl_families[];
extern const int automl_n_families;
extern const ModelFamily *FamilyByName(const char *name);
extern char *FamilyNameList(void);

/* Helpers for hyperparameter vectors. */
extern void FamilyDefaultConfig(const ModelFamily *family, double *config);
/*
 * Map u in [0, 1] onto a real or log-scaled parameter's range, clamped to
 * [low, high].  Without the clamp exp(log(high)) can round above high, and
 * a stored model with a value out of range does not load.
 */
extern double FamilyParamFromUnit(const ParamSpec *spec, double u);
/*
 * Map a numeric parameter's value to its position in [0, 1] (log scale for
 * PARAM_LOG_REAL), and back.  The inverse clamps u into [0, 1] and rounds
 * PARAM_INT values.
 */
extern double FamilyParamToUnit(const ParamSpec *spec, double value);
extern double FamilyParamAtUnit(const ParamSpec *spec, double u);
extern void FamilySampleConfig(const ModelFamily *family, TaskKind task,
							   pg_prng_state *prng, double *config);

/* True when parameter p matters for this configuration and task. */
extern bool FamilyParamActive(const ModelFamily *family, const double *config, int p,
							  TaskKind task);
/*
 * A configuration as a JSON object keyed by parameter name, without the
 * parameters inactive for it (for ...ForTask also those of the other task).
 */
extern char *FamilyConfigToJson(const ModelFamily *family, const double *config);
extern char *FamilyConfigToJsonForTask(const ModelFamily *family, const double *config,
									   TaskKind task);

/*
 * Read a configuration from a JSON object of parameter names and values;
 * parameters it leaves out keep their defaults.  Unknown names, values of
 * the wrong type and values out of range raise errors, unless lenient, when
 * unknown names are skipped and numbers are clamped into range (for stored
 * configurations of an older build).
 */
extern void FamilyConfigFromJson(const ModelFamily *family, const char *json,
								 double *config, bool lenient);

/*
 * Reject a configuration that sets a hyperparameter the family uses for
 * another task only, such as gbdt's loss in classification, to other than
 * its default.  The fit would ignore it.  The default passes, so the
 * default_hyperparameters of automl_algorithms() work for every task.
 */
extern void FamilyCheckTaskParams(const ModelFamily *family, const double *config,
								  TaskKind task);

/* Whether the family serves the task: classification or regression. */
static inline bool
FamilyServesTask(const ModelFamily *family, TaskKind task)
{
	return task == TASK_CLASSIFICATION ? family->supports_classification
		: family->supports_regression;
}

/* The weight of a training row: its weight, or 1 without weights. */
static inline double
FamilyRowWeight(const TrainData *data, int row)
{
	return data->weights ? data->weights[row] : 1.0;
}

/*
 * Sum of the row weights, raising an error when a weight is negative or not
 * finite, or when the sum is not positive.
 */
extern double FamilyTotalWeight(const TrainData *data);

/* Fisher-Yates shuffle of rows[0..n-1] with the caller's generator. */
extern void FamilyShuffle(int *rows, int n, pg_prng_state *prng);

/* Families, each in its own file. */
extern const ModelFamily baseline_family;
extern const ModelFamily linear_family;
extern const ModelFamily logistic_family;
extern const ModelFamily tree_family;
extern const ModelFamily knn_family;
extern const ModelFamily naive_bayes_family;
extern const ModelFamily mlp_family;
extern const ModelFamily metric_knn_family;
extern const ModelFamily random_forest_family;
extern const ModelFamily extra_trees_family;
extern const ModelFamily gbdt_family;

#endif							/* AUTOML_FAMILY_H */
