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

typedef struct WarmStart
{
	int			n;				/* configurations */
	const ModelFamily **families;
	double	   *configs;		/* n x AUTOML_MAX_PARAMS */
	int			n_neighbours;	/* past tasks consulted */
	char	   *neighbours_json;	/* [{"task", "relation", "distance", ...}] */
	char	   *description;	/* where the configurations come from, for NOTICEs */
	WarmStartMetric metric;		/* the metric used, auto resolved */
} WarmStart;

/*
 * Find the past tasks nearest to a task with the given meta-features (JSON)
 * and collect their best configurations of the searched families.  Needs
 * SPI connected.
 */
extern WarmStart *WarmStartFind(const char *meta_json, TaskKind task,
								const ModelFamily **families, int n_families);

/* The automl.warm_start_metric value of a metric, such as "l1". */
extern const char *WarmStartMetricName(WarmStartMetric metric);

#endif							/* AUTOML_WARMSTART_H */
