/*
 * importance.c
 *		Permutation importance for families without a natural importance.
 *
 * For each input column, the rows of a seeded sample of at most
 * IMPORTANCE_MAX_ROWS training rows are shuffled in every design feature
 * the column writes (all its one-hot columns together), and the drop of the
 * task's metric is the column's importance (Breiman 2001, section 10).
 * Drops below zero count as zero, and the result is normalised to sum 1.
 * The sample is training data, so the figure says what the fitted model
 * relies on, not what generalises.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "importance.h"

#define IMPORTANCE_MAX_ROWS 1000

/* Copy a seeded sample of rows into a column-major matrix and a target. */
static int
SampleRows(const TrainData *data, pg_prng_state *prng, double **x_out, double **y_out)
{
	int			n = Min(data->n_rows, IMPORTANCE_MAX_ROWS);
	double	   *x = AutomlAllocDoubles((Size) n * Max(data->n_cols, 1), "permutation importance");
	double	   *y = palloc(sizeof(double) * n);

	for (int i = 0; i < n; i++)
	{
		int			r = data->n_rows > n
			? (int) pg_prng_uint64_range(prng, 0, data->n_rows - 1) : i;

		for (int j = 0; j < data->n_cols; j++)
			x[(Size) j * n + i] = data->x[(Size) j * data->n_rows + r];
		y[i] = data->y[r];
	}
	*x_out = x;
	*y_out = y;
	return n;
}

static double
ScoreMatrix(const AutomlModel *model, const double *x, const double *y, int n, int n_cols,
			MetricId metric, double *pred)
{
	model->family->predict(model->state, x, n, n_cols, pred);
	return MetricCompute(metric, y, pred, n, model->plan->n_classes);
}

/* Shuffle the rows of the design features [first, first + count). */
static void
PermuteFeatures(double *x, int n, int first, int count, pg_prng_state *prng)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			k = (int) pg_prng_uint64_range(prng, 0, i);

		for (int j = first; j < first + count; j++)
		{
			double		tmp = x[(Size) j * n + i];

			x[(Size) j * n + i] = x[(Size) j * n + k];
			x[(Size) j * n + k] = tmp;
		}
	}
}

double *
PermutationImportance(const AutomlModel *model, const TrainData *data, MetricId metric,
					  uint64 seed)
{
	const PrepPlan *plan = model->plan;
	double	   *importance = palloc0(sizeof(double) * Max(plan->n_columns, 1));
	double	   *x;
	double	   *y;
	double	   *pred;
	double		base;
	double		total = 0.0;
	bool		higher = MetricGetInfo(metric)->higher_is_better;
	pg_prng_state prng;
	int			n;

	pg_prng_seed(&prng, seed);
	n = SampleRows(data, &prng, &x, &y);
	pred = AutomlAllocDoubles((Size) n * Max(plan->n_classes, 1), "permutation importance");
	base = ScoreMatrix(model, x, y, n, data->n_cols, metric, pred);

	for (int i = 0; i < plan->n_columns; i++)
	{
		const PrepColumn *pc = &plan->columns[i];
		double	   *shuffled;
		double		score;

		CHECK_FOR_INTERRUPTS();
		if (pc->n_features == 0)
			continue;
		shuffled = AutomlAllocDoubles((Size) n * Max(data->n_cols, 1), "permutation importance");
		memcpy(shuffled, x, sizeof(double) * n * data->n_cols);
		PermuteFeatures(shuffled, n, pc->first_feature, pc->n_features, &prng);
		score = ScoreMatrix(model, shuffled, y, n, data->n_cols, metric, pred);
		importance[i] = Max(higher ? base - score : score - base, 0.0);
		if (!isfinite(importance[i]))
			importance[i] = 0.0;
		total += importance[i];
		pfree(shuffled);
	}
	for (int i = 0; i < plan->n_columns && total > 0; i++)
		importance[i] /= total;
	return importance;
}
