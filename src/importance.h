/*
 * importance.h
 *		Permutation importance of a fitted model's input columns.
 */
#ifndef AUTOML_IMPORTANCE_H
#define AUTOML_IMPORTANCE_H

#include "evaluate.h"
#include "model.h"

/* One value per plan column, summing to 1 unless every value is zero. */
extern double *PermutationImportance(const AutomlModel *model, const TrainData *data,
									 MetricId metric, uint64 seed);

#endif							/* AUTOML_IMPORTANCE_H */
