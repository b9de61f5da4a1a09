/*
 * metafeatures.h
 *		Meta-features: numbers that describe a task, stored per training run
 *		so later runs can find similar past tasks.
 */
#ifndef AUTOML_METAFEATURES_H
#define AUTOML_METAFEATURES_H

#include "family.h"
#include "load.h"

/*
 * Compute the meta-features of a task as a JSON object: from the loaded
 * table, its design matrix and target (data), with SPI connected.
 */
extern char *MetaFeaturesToJson(const LoadedTable *table, const TrainData *data,
								uint64 seed);

#endif							/* AUTOML_METAFEATURES_H */
