/*
 * evaluate.c
 *		Resampling: stratified k-fold cross-validation or one holdout split.
 *
 * Tables with fewer rows than automl.holdout_threshold get automl.cv_folds
 * folds, and every row is scored once out of fold.  Larger tables score one
 * fold only (a 1/k holdout).  Classification folds are stratified: each class's
 * rows are shuffled with the run's seeded generator and dealt round-robin,
 * continuing from where the previous class stopped, so fold sizes differ by
 * at most one.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "evaluate.h"

/*
 * Rows of stratum g (a class, or every row for regression), one per group
 * of duplicates: the group's first row stands for it.  Returns the count.
 */
static int
StratumLeaders(const TrainData *data, const int *group_of_row, int g, int n_strata,
			   int *rows)
{
	int			n = 0;

	for (int r = 0; r < data->n_rows; r++)
	{
		if (n_strata > 1 && (int) data->y[r] != g)
			continue;
		if (group_of_row && group_of_row[r] != r)
			continue;			/* not the first row of its group */
		rows[n++] = r;
	}
	return n;
}

/*
 * Give each row its fidelity rank: its position in a seeded shuffle of its
 * stratum, divided by the stratum size, so the rows with rank below f are a
 * stratified sample of share f, and samples of growing f are nested.
 */
static void
AssignRanks(Resampling *resampling, const TrainData *data, int n_strata, int *rows,
			pg_prng_state *prng)
{
	for (int g = 0; g < n_strata; g++)
	{
		int			n = 0;

		for (int r = 0; r < data->n_rows; r++)
			if (n_strata == 1 || (int) data->y[r] == g)
				rows[n++] = r;
		FamilyShuffle(rows, n, prng);
		for (int i = 0; i < n; i++)
			resampling->rank[rows[i]] = (double) i / n;
	}
}

Resampling *
ResamplingCreate(const TrainData *data, const int *group_of_row, pg_prng_state *prng)
{
	Resampling *resampling = palloc0(sizeof(Resampling));
	int			n_strata = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	int		   *rows = palloc(sizeof(int) * Max(data->n_rows, 1));
	int			next_fold = 0;

	resampling->n_folds = Min(automl_cv_folds, data->n_rows);
	resampling->holdout = data->n_rows >= automl_holdout_threshold;
	resampling->fold_of_row = palloc(sizeof(int) * Max(data->n_rows, 1));
	resampling->rank = palloc(sizeof(double) * Max(data->n_rows, 1));

	for (int g = 0; g < n_strata; g++)
	{
		int			n = StratumLeaders(data, group_of_row, g, n_strata, rows);

		/* a class with one row cannot be validated: it always trains */
		if (n_strata > 1 && n == 1)
		{
			resampling->fold_of_row[rows[0]] = -1;
			resampling->n_train_only++;
			continue;
		}
		FamilyShuffle(rows, n, prng);
		for (int i = 0; i < n; i++)
		{
			resampling->fold_of_row[rows[i]] = next_fold;
			next_fold = (next_fold + 1) % resampling->n_folds;
		}
	}

	/* duplicates follow their group's first row into the same fold */
	for (int r = 0; group_of_row && r < data->n_rows; r++)
		if (group_of_row[r] != r)
		{
			resampling->fold_of_row[r] = resampling->fold_of_row[group_of_row[r]];
			resampling->n_duplicates++;
		}
	AssignRanks(resampling, data, n_strata, rows, prng);
	pfree(rows);
	if (resampling->n_train_only > 0)
		ereport(NOTICE,
				(errmsg_plural("automl: %d class has a single row, kept on the training side of every split",
							   "automl: %d classes have a single row, kept on the training side of every split",
							   resampling->n_train_only, resampling->n_train_only)));
	return resampling;
}

const char *
ResamplingDescribe(const Resampling *resampling)
{
	if (resampling->holdout)
		return psprintf("holdout of 1/%d of the rows", resampling->n_folds);
	return psprintf("%d-fold cross-validation", resampling->n_folds);
}

/*
 * Copy the rows of fidelity share "fidelity" where (fold_of_row[r] == fold)
 * == inside into a new TrainData.
 */
static TrainData *
SubsetRows(const TrainData *data, const Resampling *resampling, double fidelity,
		   int fold, bool inside)
{
	const int  *fold_of_row = resampling->fold_of_row;

	TrainData  *subset = palloc(sizeof(TrainData));
	int			n = 0;
	double	   *x;
	double	   *y;
	double	   *w = NULL;

	for (int r = 0; r < data->n_rows; r++)
		n += ((fold_of_row[r] == fold) == inside && resampling->rank[r] < fidelity);
	x = AutomlAllocDoubles(mul_size(n, Max(data->n_cols, 1)), "a resampling fold");
	y = palloc(sizeof(double) * Max(n, 1));
	if (data->weights)
		w = palloc(sizeof(double) * Max(n, 1));

	for (int r = 0, i = 0; r < data->n_rows; r++)
	{
		if ((fold_of_row[r] == fold) != inside || resampling->rank[r] >= fidelity)
			continue;
		for (int j = 0; j < data->n_cols; j++)
			x[(Size) j * n + i] = data->x[(Size) j * data->n_rows + r];
		y[i] = data->y[r];
		if (w)
			w[i] = data->weights[r];
		i++;
	}
	*subset = *data;
	subset->x = x;
	subset->y = y;
	subset->weights = w;
	subset->n_rows = n;
	return subset;
}

static int
OutputWidth(const TrainData *data)
{
	return data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
}

double
EvaluateConfig(const ModelFamily *family, const double *config,
			   const TrainData *data, const Resampling *resampling, double fidelity,
			   MetricId metric, const FitControl *control, EvalPredictions *kept)
{
	int			width = OutputWidth(data);
	int			n_eval_folds = resampling->holdout ? 1 : resampling->n_folds;
	double	   *pred = palloc(sizeof(double) * data->n_rows * width);
	double	   *y = palloc(sizeof(double) * data->n_rows);
	int			n_scored = 0;
	MemoryContext fold_context;
	MemoryContext old_context;
	double		score;

	fold_context = AllocSetContextCreate(CurrentMemoryContext, "automl fold",
										 ALLOCSET_DEFAULT_SIZES);
	for (int fold = 0; fold < n_eval_folds; fold++)
	{
		TrainData  *train;
		TrainData  *valid;
		void	   *model;

		CHECK_FOR_INTERRUPTS();
		old_context = MemoryContextSwitchTo(fold_context);
		train = SubsetRows(data, resampling, fidelity, fold, false);
		valid = SubsetRows(data, resampling, fidelity, fold, true);
		if (train->n_rows == 0 || valid->n_rows == 0)
		{
			MemoryContextSwitchTo(old_context);
			continue;
		}
		model = family->fit(train, config, control);
		family->predict(model, valid->x, valid->n_rows, valid->n_cols,
						pred + (Size) n_scored * width);
		memcpy(y + n_scored, valid->y, sizeof(double) * valid->n_rows);
		n_scored += valid->n_rows;
		MemoryContextSwitchTo(old_context);
		MemoryContextReset(fold_context);
	}
	MemoryContextDelete(fold_context);

	score = MetricCompute(metric, y, pred, n_scored, data->n_classes);
	if (kept)
	{
		kept->n = n_scored;
		kept->y = y;
		kept->pred = pred;
	}
	else
	{
		pfree(pred);
		pfree(y);
	}
	return score;
}
