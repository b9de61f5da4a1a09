/*
 * moments.c
 *		The aggregate automl.moments(float8): count, mean, variance, skewness
 *		and excess kurtosis of a column in one pass.
 *
 * The state is float8[5] = {n, mean, M2, M3, M4}, where Mk is the sum of
 * k-th powers of deviations from the mean.  Rows are added with the online
 * update and partial states merged with the pairwise formulas of Pebay,
 * "Formulas for robust, one-pass parallel computation of covariances and
 * arbitrary-order statistical moments" (Sandia report SAND2008-6212), so
 * the aggregate can run in parallel workers.  NULL, NaN and infinite
 * values are skipped.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(automl_moments_accum);
PG_FUNCTION_INFO_V1(automl_moments_combine);
PG_FUNCTION_INFO_V1(automl_moments_final);

#define N_STATE 5

/* The state array's values, checked for shape. */
static double *
StateValues(ArrayType *array)
{
	if (ARR_NDIM(array) != 1 || ARR_DIMS(array)[0] != N_STATE || ARR_HASNULL(array) ||
		ARR_ELEMTYPE(array) != FLOAT8OID)
		elog(ERROR, "automl.moments expected a float8[%d] state", N_STATE);
	return (double *) ARR_DATA_PTR(array);
}

/* A writable state: in place inside an aggregate, a copy otherwise. */
static ArrayType *
WritableState(FunctionCallInfo fcinfo, int argno)
{
	if (AggCheckCallContext(fcinfo, NULL))
		return PG_GETARG_ARRAYTYPE_P(argno);
	return PG_GETARG_ARRAYTYPE_P_COPY(argno);
}

/* Merge state b into a (Pebay's pairwise update). */
static void
MergeMoments(double *a, const double *b)
{
	double		n1 = a[0];
	double		n2 = b[0];
	double		n = n1 + n2;
	double		delta;
	double		d2;
	double		m2;
	double		m3;
	double		m4;

	if (n2 == 0)
		return;
	if (n1 == 0)
	{
		memcpy(a, b, sizeof(double) * N_STATE);
		return;
	}
	delta = b[1] - a[1];
	d2 = delta * delta;
	m2 = a[2] + b[2] + d2 * n1 * n2 / n;
	m3 = a[3] + b[3] + d2 * delta * n1 * n2 * (n1 - n2) / (n * n)
		+ 3.0 * delta * (n1 * b[2] - n2 * a[2]) / n;
	m4 = a[4] + b[4] + d2 * d2 * n1 * n2 * (n1 * n1 - n1 * n2 + n2 * n2) / (n * n * n)
		+ 6.0 * d2 * (n1 * n1 * b[2] + n2 * n2 * a[2]) / (n * n)
		+ 4.0 * delta * (n1 * b[3] - n2 * a[3]) / n;
	a[0] = n;
	a[1] = a[1] + delta * n2 / n;
	a[2] = m2;
	a[3] = m3;
	a[4] = m4;
}

Datum
automl_moments_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = WritableState(fcinfo, 0);
	double	   *values = StateValues(state);
	double		one[N_STATE] = {1, 0, 0, 0, 0};

	if (PG_ARGISNULL(1) || !isfinite(PG_GETARG_FLOAT8(1)))
		PG_RETURN_ARRAYTYPE_P(state);
	one[1] = PG_GETARG_FLOAT8(1);
	MergeMoments(values, one);
	PG_RETURN_ARRAYTYPE_P(state);
}

Datum
automl_moments_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *state = WritableState(fcinfo, 0);
	ArrayType  *other = PG_GETARG_ARRAYTYPE_P(1);

	MergeMoments(StateValues(state), StateValues(other));
	PG_RETURN_ARRAYTYPE_P(state);
}

/* {n, mean, variance, skewness, excess kurtosis}; NULL without rows. */
Datum
automl_moments_final(PG_FUNCTION_ARGS)
{
	double	   *s = StateValues(PG_GETARG_ARRAYTYPE_P(0));
	double		n = s[0];
	double		variance = n > 0 ? s[2] / n : 0.0;
	Datum		out[N_STATE];

	if (n == 0)
		PG_RETURN_NULL();
	out[0] = Float8GetDatum(n);
	out[1] = Float8GetDatum(s[1]);
	out[2] = Float8GetDatum(variance);
	out[3] = Float8GetDatum(variance > 0 ? (s[3] / n) / pow(variance, 1.5) : 0.0);
	out[4] = Float8GetDatum(variance > 0 ? (s[4] / n) / (variance * variance) - 3.0 : 0.0);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, N_STATE, FLOAT8OID, sizeof(double),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
