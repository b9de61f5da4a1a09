/*
 * evaluate.h
 *		Metrics and resampling (stratified k-fold or holdout).
 */
#ifndef AUTOML_EVALUATE_H
#define AUTOML_EVALUATE_H

#include "lib/stringinfo.h"

#include "family.h"

typedef enum MetricId
{
	METRIC_ACCURACY,
	METRIC_BALANCED_ACCURACY,
	METRIC_LOG_LOSS,
	METRIC_F1,
	METRIC_ROC_AUC,
	METRIC_RMSE,
	METRIC_MAE,
	METRIC_R2
} MetricId;

typedef struct MetricInfo
{
	const char *name;
	TaskKind	task;
	bool		higher_is_better;
} MetricInfo;

extern const MetricInfo *MetricGetInfo(MetricId metric);

/* Look up a metric by name for a task; NULL name gives the task's default. */
extern MetricId MetricByName(const char *name, TaskKind task);

/*
 * Score predictions: y contains class indexes or values, and pred contains row-major
 * class probabilities (n x n_classes) or values.
 */
extern double MetricCompute(MetricId metric, const double *y, const double *pred,
							int n, int n_classes);

/* Every metric name, comma-separated, for messages. */
extern char *MetricNameList(void);

/* True when name is a metric of some task. */
extern bool MetricKnown(const char *name);

/* True when score a is better than score b under the metric. */
extern bool MetricBetter(MetricId metric, double a, double b);

/* Append every metric of the task as a JSON object. */
extern void MetricAppendAllJson(StringInfo buf, TaskKind task, const double *y,
								const double *pred, int n, int n_classes);

/*
 * A split of the rows into folds, n_repeats times with new folds.  With
 * holdout, only fold 0 is evaluated and the other folds form its training
 * side.
 */
typedef struct Resampling
{
	int			n_folds;
	int			n_repeats;		/* 1 for a holdout */
	bool		holdout;
	int		   *fold_of_row;	/* n_repeats x rows; -1: the row trains in every split */
	double	   *rank;			/* rows with rank < f form the fidelity-f sample */
	int			n_train_only;	/* single-row classes */
	int			n_duplicates;	/* rows placed in the fold of an identical row */
} Resampling;

/*
 * Assign folds, stratified by class.  group_of_row, when not NULL, gives for
 * each row the first row with identical features; a group shares one fold,
 * so duplicated rows never straddle training and validation.
 */
extern Resampling *ResamplingCreate(const TrainData *data, const int *group_of_row,
									pg_prng_state *prng);
extern const char *ResamplingDescribe(const Resampling *resampling);

/*
 * Out-of-fold predictions of the evaluated rows, in evaluation order.  With
 * repeated cross-validation each row comes once per repeat.
 */
typedef struct EvalPredictions
{
	int			n;
	double	   *y;
	double	   *pred;			/* row-major n x width */
	int		   *row;			/* the table row of each prediction */
} EvalPredictions;

/*
 * Fit and score one configuration by resampling on the fidelity-share sample
 * of the rows (1 for all rows): returns the metric over the out-of-fold
 * predictions of every evaluated row, and hands those predictions to *kept
 * when kept is not NULL.
 */
extern double EvaluateConfig(const ModelFamily *family, const double *config,
							 const TrainData *data, const Resampling *resampling,
							 double fidelity, MetricId metric, const FitControl *control,
							 EvalPredictions *kept);

#endif							/* AUTOML_EVALUATE_H */
