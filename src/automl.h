/*
 * automl.h
 *		Settings, task kinds and small utilities shared by every stage.
 *
 * Training is one pass down a pipeline: load (load.h) -> profile and
 * meta-features (metafeatures.h) -> preprocessing plan (prep.h) -> search over
 * model families (search.h, family.h, evaluate.h) -> catalog (catalog.h).
 * Prediction (predict.c) replays the fitted preprocessing plan and the model.
 */
#ifndef AUTOML_H
#define AUTOML_H

#include "postgres.h"

typedef enum TaskKind
{
	TASK_CLASSIFICATION,
	TASK_REGRESSION
} TaskKind;

/* Settings, registered in _PG_init (automl.c). */
extern int	automl_memory_limit_mb;
extern int	automl_holdout_threshold;
extern int	automl_cv_folds;
extern int	automl_cv_repeats;
extern int	automl_repeated_cv_threshold;
extern int	automl_max_onehot_levels;

/* Values of automl.warm_start_metric. */
typedef enum WarmStartMetric
{
	WARM_METRIC_AUTO,			/* learned once trained, else L1 */
	WARM_METRIC_L1,				/* L1 on all min-max-scaled meta-features */
	WARM_METRIC_SIMPLE,			/* 1-NN on four simple meta-features */
	WARM_METRIC_LEARNED,		/* distance between encoder embeddings */
	WARM_METRIC_PORTFOLIO		/* best mean quality over all past tasks */
} WarmStartMetric;

extern int	automl_warm_start_metric;
extern bool automl_warm_start_adaptive;
extern int	automl_warm_start_local_moves;

/* Seconds on a monotonic clock, for deadlines and fit times. */
extern double AutomlNow(void);

/*
 * Raise an error unless an allocation of "bytes" for "what" fits within the
 * automl.memory_limit setting.
 */
extern void AutomlCheckMemory(Size bytes, const char *what);

/* Allocate a zeroed array of n doubles after checking the memory limit. */
extern double *AutomlAllocDoubles(Size n, const char *what);

extern const char *TaskKindName(TaskKind task);

/* True when the List of C strings names contains name. */
struct List;
extern bool ListContainsName(const struct List *names, const char *name);

#endif							/* AUTOML_H */
