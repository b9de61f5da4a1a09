/*
 * catalog.h
 *		All reads and writes of the automl.* catalog tables, through SPI with
 *		values passed as parameters.  Callers have connected SPI.
 */
#ifndef AUTOML_CATALOG_H
#define AUTOML_CATALOG_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* A deployed model as the catalog records it. */
typedef struct DeployedModel
{
	int64		model_id;
	TimestampTz created;		/* distinguishes models that reuse an id */
	char	   *metric;
	double		score;
	char	   *algorithm;		/* only from CatalogDeployedModel */
	char	   *hyperparameters;	/* JSON, only from CatalogDeployedModel */
	bytea	   *binary;			/* only from CatalogLoadDeployed */
} DeployedModel;

/* Raise an error when the project exists for another relation, target or task. */
extern void CatalogCheckProject(const char *name, const char *relation,
								const char *target, const char *task);

/* The metric of an existing project of that task, or NULL. */
extern char *CatalogProjectMetric(const char *name, const char *task);

/* The project's id, or 0 when it does not exist. */
extern int64 CatalogProjectId(const char *name);

/*
 * Find or create the project and lock it for the rest of the transaction.
 * An existing project must have the same relation, target and task.
 */
extern int64 CatalogSaveProject(const char *name, const char *relation,
								const char *target, const char *task,
								const char *metric);

extern int64 CatalogInsertTask(int64 project_id, const char *relation,
							   const char *target, const char *task,
							   int64 n_rows, int n_features,
							   const char *meta_features_json,
							   const char *warm_start_json,
							   const char *warm_start_metric);

extern int64 CatalogInsertTrial(int64 task_id, int trial_number,
								const char *algorithm, const char *hyperparameters_json,
								const char *budget_json, const char *metric,
								double score, double seconds,
								const char *status, const char *error);

extern int64 CatalogInsertModel(int64 project_id, int64 task_id, int64 trial_id,
								const char *algorithm, const char *hyperparameters_json,
								const char *preprocessing_json, const char *metric,
								double score, double baseline_score,
								const char *metrics_json, const char *importance_json,
								int format_version, bytea *binary);

/* The project's deployed model without its binary; false when none. */
extern bool CatalogDeployedModel(int64 project_id, DeployedModel *deployed);

extern void CatalogDeploy(int64 project_id, int64 model_id, const char *reason);

/*
 * The deployed model of a project by name, with its binary, or an error
 * when the project does not exist or has no deployed model.  The binary
 * lives in SPI memory: read it before SPI_finish.
 */
extern DeployedModel *CatalogLoadDeployed(const char *project);

/* A model's binary by id, valid until SPI_finish; an error when missing. */
extern bytea *CatalogLoadModel(int64 model_id);

/*
 * The id and creation time of the project's deployed model, or 0 when it
 * has none.
 */
extern int64 CatalogDeployedModelId(const char *project, bool *project_exists,
									TimestampTz *created);

/* A past task for warm starting: its id, relation and meta-features JSON. */
typedef struct PastTask
{
	int64		id;
	char	   *relation;
	char	   *meta_features;
} PastTask;

typedef struct PastTrial
{
	char	   *algorithm;
	char	   *hyperparameters;	/* JSON */
	double		quality;		/* 0 at the task's baseline, 1 at its best trial */
} PastTrial;

/*
 * The latest "limit" tasks of the given task kind that have a finished
 * trial besides the baseline, newest first.
 */
extern int	CatalogPastTasks(const char *task, int limit, PastTask **tasks);

/* The best "limit" finished full-fidelity trials of a task, best first. */
extern int	CatalogBestTrials(int64 task_id, int limit, PastTrial **trials);

/*
 * The "limit" configurations of the highest mean quality over all past
 * tasks of a task kind, a configuration counting 0 on a task that did not
 * try it.  Sets *n_tasks to the number of tasks averaged over.
 */
extern int	CatalogPortfolio(const char *task, int limit, PastTrial **trials, int *n_tasks);

#endif							/* AUTOML_CATALOG_H */
