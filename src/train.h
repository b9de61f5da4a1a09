/*
 * train.h
 *		The training pipeline behind automl_train.
 */
#ifndef AUTOML_TRAIN_H
#define AUTOML_TRAIN_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"

#include "evaluate.h"
#include "family.h"
#include "load.h"
#include "model.h"
#include "search.h"

/* The arguments of one automl_train call, validated. */
typedef struct TrainRequest
{
	char	   *relation;
	Oid			relid;
	char	   *target;
	char	   *project;
	char	   *task;			/* "auto", "classification" or "regression" */
	double		time_budget;	/* seconds */
	char	   *metric;			/* NULL for the task's default */
	int			seed;
	List	   *algorithms;		/* char * names, NIL for all */
	List	   *exclude;		/* char * column names */
	char	   *options;		/* per-column preprocessing JSON, or NULL */
	bool		warm_start;		/* start from the nearest past tasks */
	int			n_start;		/* start_configurations, evaluated first */
	const ModelFamily **start_families;
	double	   *start_configs;	/* n_start x AUTOML_MAX_PARAMS */
	int			max_trials;
	bool		fixed;			/* train one configuration, no search */
	double		fixed_config[AUTOML_MAX_PARAMS];
} TrainRequest;

/* The summary row automl_train returns. */
typedef struct TrainOutcome
{
	char	   *project;
	TaskKind	task;
	char	   *algorithm;
	const char *metric;
	double		score;
	double		baseline_score;
	int			trials;
	int			finished;		/* trials other than the baseline that finished */
	double		seconds;
	int64		model_id;
	bool		deployed;
} TrainOutcome;

/* The model a run stores: the best trial or an ensemble, refit on all rows. */
typedef struct Choice
{
	AutomlModel *model;
	const char *algorithm;
	char	   *hyperparameters;	/* JSON */
	double		score;			/* resampled score */
	const EvalPredictions *predictions; /* out-of-fold, for the stored metrics */
	int			trial;			/* index of the chosen trial, -1 for an ensemble */
} Choice;

/* Refit the search's choice on every row of data, stopping at deadline. */
extern void RefitChoice(Choice *choice, PrepPlan *plan, const TrainData *data,
						const SearchResult *result, uint64 seed, double deadline);

/* Run the pipeline with SPI connected; fills outcome. */
extern void TrainRun(const TrainRequest *request, TrainOutcome *outcome);

/* Pipeline steps that automl_train_groups shares (pipeline.c). */

/* The task: the task argument, or inferred from the target's type and values. */
extern TaskKind InferTask(const TrainRequest *request, const LoadedTable *table);

/* Reject an empty table, a single class or a non-finite regression target. */
extern void ValidateTarget(const TrainRequest *request, const LoadedTable *table,
						   TaskKind task);

/* NOTICE the rows read, skipped and sampled. */
extern void ReportLoad(const LoadedTable *table);

/*
 * Importance per input column as JSON: the family's own, or permutation
 * importance on data; NULL for the baseline.
 */
extern char *ImportanceToJson(const AutomlModel *model, const TrainData *data,
							  MetricId metric, uint64 seed);

/*
 * Deploy model_id when it is the project's first or scores at least as well
 * as the deployed model.  result and champion come from a search; pass NULL
 * and -1 without one.  Returns whether it deployed.
 */
extern bool DeployIfBetter(int64 project_id, int64 model_id, MetricId metric,
						   const SearchResult *result, double score, int champion);

extern HeapTuple TrainOutcomeTuple(const TrainOutcome *outcome, TupleDesc tupdesc);

#endif							/* AUTOML_TRAIN_H */
