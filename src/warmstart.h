/*
 * warmstart.h
 *		Configurations from the nearest past tasks, to start the search with.
 */
#ifndef AUTOML_WARMSTART_H
#define AUTOML_WARMSTART_H

#include "family.h"

/* The meta-features that describe a task for the distance and the encoder. */
#define WARM_START_N_FEATURES 26
extern const char *const warm_start_features[];

/* Read those meta-features from a JSON object; NaN where absent or null. */
extern void WarmStartReadFeatures(const char *json, double *out);

typedef struct WarmStartAdaptive WarmStartAdaptive;

typedef struct WarmStart
{
	int			n;				/* configurations */
	const ModelFamily **families;
	double	   *configs;		/* n x AUTOML_MAX_PARAMS */
	int			n_neighbours;	/* past tasks consulted */
	char	   *neighbours_json;	/* [{"task", "relation", "distance", ...}] */
	char	   *description;	/* where the configurations come from, for NOTICEs */
	WarmStartMetric metric;		/* the metric used, auto resolved */
	WarmStartAdaptive *adaptive;	/* for WarmStartNext, or NULL */
} WarmStart;

/*
 * Find the past tasks nearest to a task with the given meta-features (JSON)
 * and collect their best configurations of the searched families.  Needs
 * SPI connected.
 */
extern WarmStart *WarmStartFind(const char *meta_json, TaskKind task,
								const ModelFamily **families, int n_families);

/*
 * Choose the next of the n configurations of an adaptive warm start, given
 * the gains over the baseline that the ones it chose before reached on the
 * new task, in order (n_gains of them, 0 for a failed one).  The first comes
 * from the nearest tasks.  Each next one follows the past tasks whose
 * qualities of the configurations tried so far match those gains best.
 * Returns false when the warm start is not adaptive or has no more.
 */
extern bool WarmStartNext(WarmStart *ws, const double *gains, int n_gains,
						  const ModelFamily **family, double *config);

/*
 * Return the warm start's record for automl.tasks.warm_start.  A fixed list
 * records its neighbours as the NOTICE names them.  An adaptive one records
 * the nearest tasks and every pool task a configuration it handed out came
 * from, each with "nearest" and "tried", the count handed out from it.
 */
extern char *WarmStartCatalogJson(const WarmStart *ws);

/*
 * NOTICE the past tasks that an adaptive warm start's configurations came
 * from, with how many each gave.  Does nothing for a fixed list, whose
 * NOTICE at the start names them.
 */
extern void WarmStartReportSources(const WarmStart *ws);

/* The automl.warm_start_metric value of a metric, such as "l1". */
extern const char *WarmStartMetricName(WarmStartMetric metric);

#endif							/* AUTOML_WARMSTART_H */
