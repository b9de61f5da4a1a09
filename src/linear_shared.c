/*
 * linear_shared.c
 *		Helpers shared by the linear families: row weights, hyperparameter
 *		checks, reading arrays from a model binary and the deadline test.
 */
#include "postgres.h"

#include <math.h>

#include "linear_shared.h"

/* Raise an error unless a penalty hyperparameter is finite and positive. */
void
LinearCheckPositiveParam(const char *name, double value)
{
	if (!isfinite(value) || value <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyperparameter \"%s\" must be positive, got %g",
						name, value),
				 errhint("Set \"%s\" to a finite value greater than zero.", name)));
}

/* Normalise count non-negative values to sum 1, leaving all-zero input alone. */
void
LinearNormaliseToUnitSum(double *values, int count)
{
	double		total = 0.0;

	for (int j = 0; j < count; j++)
		total += values[j];
	if (total > 0.0)
	{
		for (int j = 0; j < count; j++)
			values[j] /= total;
	}
}

/* elog(ERROR) unless a model trained on model_cols columns gets n_cols. */
void
LinearCheckModelColumns(const char *family, int model_cols, int n_cols)
{
	if (model_cols != n_cols)
		elog(ERROR, "%s model was trained on %d columns but received %d",
			 family, model_cols, n_cols);
}

/* True when control sets a deadline and it has passed. */
bool
LinearDeadlinePassed(const FitControl *control)
{
	return control != NULL && control->deadline > 0 &&
		AutomlNow() > control->deadline;
}

/* Append a number as JSON: up to 12 significant digits, null if not finite. */
void
LinearAppendNumber(StringInfo buf, double value)
{
	if (isfinite(value))
		appendStringInfo(buf, "%.12g", value);
	else
		appendStringInfoString(buf, "null");
}
