/*
 * linear_shared.h
 *		Helpers shared by the linear families (family_linear.c for
 *		regression, family_logistic.c for classification).
 */
#ifndef AUTOML_LINEAR_SHARED_H
#define AUTOML_LINEAR_SHARED_H

#include "family.h"

/* Bounds used to validate a deserialised model. */
#define LINEAR_MAX_COLUMNS			10000000

static inline double
RowWeight(const TrainData *data, int row)
{
	return data->weights ? data->weights[row] : 1.0;
}

/* Raise an error unless a penalty hyperparameter is finite and positive. */
extern void LinearCheckPositiveParam(const char *name, double value);

/* Normalise count non-negative values to sum 1, leaving all-zero input alone. */
extern void LinearNormaliseToUnitSum(double *values, int count);

/* elog(ERROR) unless a model trained on model_cols columns gets n_cols. */
extern void LinearCheckModelColumns(const char *family, int model_cols, int n_cols);

/* True when control sets a deadline and it has passed. */
extern bool LinearDeadlinePassed(const FitControl *control);

/* Append a number as JSON: up to 12 significant digits, null if not finite. */
extern void LinearAppendNumber(StringInfo buf, double value);

#endif							/* AUTOML_LINEAR_SHARED_H */
