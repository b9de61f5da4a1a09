/*
 * automl.c
 *		Module load: settings and shared utilities.
 */
#include "postgres.h"

#include <math.h>
#include <limits.h>
#include <time.h>

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "automl.h"

PG_MODULE_MAGIC;

int			automl_memory_limit_mb = 1024;
int			automl_holdout_threshold = 20000;
int			automl_cv_folds = 5;
int			automl_cv_repeats = 1;
int			automl_repeated_cv_threshold = 2000;
int			automl_max_onehot_levels = 20;
int			automl_warm_start_metric = WARM_METRIC_AUTO;
bool		automl_warm_start_adaptive = true;
int			automl_warm_start_local_moves = 3;

static const struct config_enum_entry warm_start_metric_options[] = {
	{"auto", WARM_METRIC_AUTO, false},
	{"l1", WARM_METRIC_L1, false},
	{"simple", WARM_METRIC_SIMPLE, false},
	{"learned", WARM_METRIC_LEARNED, false},
	{"portfolio", WARM_METRIC_PORTFOLIO, false},
	{NULL, 0, false}
};

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("automl.memory_limit",
							"Sets the memory a training run may use for its data and models.",
							"Tables larger than this are sampled at load time.",
							&automl_memory_limit_mb,
							1024, 16, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.holdout_threshold",
							"Sets the row count from which evaluation uses one holdout split instead of k-fold cross-validation.",
							NULL,
							&automl_holdout_threshold,
							20000, 100, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.cv_folds",
							"Sets the number of cross-validation folds.",
							NULL,
							&automl_cv_folds,
							5, 2, 20,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.cv_repeats",
							"Sets how many times cross-validation is repeated, with new folds, on small tables.",
							"Only tables with fewer rows than automl.repeated_cv_threshold are repeated; 1, the default, turns repeats off.",
							&automl_cv_repeats,
							1, 1, 10,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.repeated_cv_threshold",
							"Sets the row count below which cross-validation is repeated automl.cv_repeats times.",
							NULL,
							&automl_repeated_cv_threshold,
							2000, 0, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.max_onehot_levels",
							"Sets the number of most frequent levels of a text column that get a one-hot column.",
							"Rarer levels share the all-zero code, as unseen levels do at prediction.",
							&automl_max_onehot_levels,
							20, 1, 1000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomEnumVariable("automl.warm_start_metric",
							 "Sets how a warm start picks the past tasks it starts from.",
							 "auto uses the learned task metric once one is trained, else l1; "
							 "l1 compares all meta-features, simple four of them; "
							 "portfolio ignores the new task's meta-features.",
							 &automl_warm_start_metric, WARM_METRIC_AUTO,
							 warm_start_metric_options,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("automl.warm_start_adaptive",
							 "Chooses each warm-start configuration after the scores of the ones before.",
							 "When off, the l1 and learned metrics hand the search a fixed list, "
							 "as simple and portfolio always do.",
							 &automl_warm_start_adaptive, true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("automl.warm_start_local_moves",
							"Sets the maximum number of local moves around the best configuration of an adaptive warm start.",
							"One move comes before each adaptive configuration after the fifth; "
							"0 turns them off.",
							&automl_warm_start_local_moves,
							3, 0, 100,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("automl");
}

double
AutomlNow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void
AutomlCheckMemory(Size bytes, const char *what)
{
	Size		limit = (Size) automl_memory_limit_mb * 1024 * 1024;

	if (bytes > limit || bytes > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs %zu MB, more than the memory limit", what,
						bytes / (1024 * 1024) + 1),
				 errdetail("automl.memory_limit is %d MB.", automl_memory_limit_mb),
				 errhint("Raise automl.memory_limit or train on fewer rows or columns.")));
}

double *
AutomlAllocDoubles(Size n, const char *what)
{
	Size		bytes = mul_size(n, sizeof(double));

	AutomlCheckMemory(bytes, what);
	return (double *) palloc_extended(bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

const char *
TaskKindName(TaskKind task)
{
	return task == TASK_CLASSIFICATION ? "classification" : "regression";
}

bool
ListContainsName(const List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}
