/*
 * metafeatures.h
 *		Meta-features: numbers that describe a task, stored per training run
 *		so later runs can find similar past tasks.
 */
#ifndef AUTOML_METAFEATURES_H
#define AUTOML_METAFEATURES_H

#include "load.h"

/* Compute the meta-features of a loaded table as a JSON object. */
extern char *MetaFeaturesToJson(const LoadedTable *table, TaskKind task,
								int n_classes, const double *y);

#endif							/* AUTOML_METAFEATURES_H */
