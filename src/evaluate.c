/*
 * evaluate.c
 *		Resampling: stratified k-fold cross-validation or one holdout split.
 *
 * Tables with fewer rows than automl.holdout_threshold get automl.cv_folds
 * folds, and every row is scored once out of fold.  Below
 * automl.repeated_cv_threshold rows, automl.cv_repeats (1 by default) can
 * repeat the cross-validation on new folds.  Every row is then scored once
 * per repeat, which lowers the noise of each score.  Larger tables score one fold only (a 1/k holdout).  Classification folds are stratified: each class's
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

/*
 * Deal the rows of every stratum round-robin into folds, after a seeded
 * shuffle, writing fold_of_row (one repeat).  Single-row classes get -1.
 */
static void
DealFolds(Resampling *resampling, const TrainData *data, const int *group_of_row,
		  int n_strata, int *rows, int *fold_of_row, pg_prng_state *prng)
{
	int			next_fold = 0;

	resampling->n_train_only = 0;
	for (int g = 0; g < n_strata; g++)
	{
		int			n = StratumLeaders(data, group_of_row, g, n_strata, rows);

		/* a class with one row cannot be validated: it always trains */
		if (n_strata > 1 && n == 1)
		{
			fold_of_row[rows[0]] = -1;
			resampling->n_train_only++;
			continue;
		}
		FamilyShuffle(rows, n, prng);
		for (int i = 0; i < n; i++)
		{
			fold_of_row[rows[i]] = next_fold;
			next_fold = (next_fold + 1) % resampling->n_folds;
		}
	}

	/* duplicates follow their group's first row into the same fold */
	resampling->n_duplicates = 0;
	for (int r = 0; group_of_row && r < data->n_rows; r++)
		if (group_of_row[r] != r)
		{
			fold_of_row[r] = fold_of_row[group_of_row[r]];
			resampling->n_duplicates++;
		}
}

Resampling *
ResamplingCreate(const TrainData *data, const int *group_of_row, pg_prng_state *prng)
{
	Resampling *resampling = palloc0(sizeof(Resampling));
	int			n_strata = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	int		   *rows = palloc(sizeof(int) * Max(data->n_rows, 1));

	resampling->n_folds = Min(automl_cv_folds, data->n_rows);
	resampling->holdout = data->n_rows >= automl_holdout_threshold;
	resampling->n_repeats = 1;
	if (!resampling->holdout && data->n_rows < automl_repeated_cv_threshold)
		resampling->n_repeats = automl_cv_repeats;
	resampling->fold_of_row = palloc(mul_size(sizeof(int),
											  mul_size(resampling->n_repeats,
													   Max(data->n_rows, 1))));
	resampling->rank = palloc(sizeof(double) * Max(data->n_rows, 1));
	for (int repeat = 0; repeat < resampling->n_repeats; repeat++)
		DealFolds(resampling, data, group_of_row, n_strata, rows,
				  resampling->fold_of_row + (Size) repeat * data->n_rows, prng);
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
	if (resampling->n_repeats > 1)
		return psprintf("%d-fold cross-validation repeated %d times", resampling->n_folds,
						resampling->n_repeats);
	return psprintf("%d-fold cross-validation", resampling->n_folds);
}

/*
 * Copy the rows of fidelity share "fidelity" where (fold_of_row[r] == fold)
 * == inside into a new TrainData.  fold_of_row gives the folds of one repeat.
 */
static TrainData *
SubsetRows(const TrainData *data, const Resampling *resampling, const int *fold_of_row,
		   double fidelity, int fold, bool inside)
{
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

/*
 * Fit on the training side of one fold and predict its validation rows,
 * appending them to the predictions.
 */
static void
EvaluateFold(const ModelFamily *family, const double *config, const TrainData *data,
			 const Resampling *resampling, const int *fold_of_row, double fidelity, int fold,
			 const FitControl *control, EvalPredictions *out)
{
	int			width = OutputWidth(data);
	TrainData  *train = SubsetRows(data, resampling, fold_of_row, fidelity, fold, false);
	TrainData  *valid = SubsetRows(data, resampling, fold_of_row, fidelity, fold, true);
	void	   *model;

	if (train->n_rows == 0 || valid->n_rows == 0)
		return;
	model = family->fit(train, config, control);
	family->predict(model, valid->x, valid->n_rows, valid->n_cols,
					out->pred + (Size) out->n * width);
	memcpy(out->y + out->n, valid->y, sizeof(double) * valid->n_rows);
	for (int r = 0; r < data->n_rows; r++)
		if (fold_of_row[r] == fold && resampling->rank[r] < fidelity)
			out->row[out->n++] = r;
}

double
EvaluateConfig(const ModelFamily *family, const double *config,
			   const TrainData *data, const Resampling *resampling, double fidelity,
			   MetricId metric, const FitControl *control, EvalPredictions *kept)
{
	int			width = OutputWidth(data);
	int			n_repeats = Max(resampling->n_repeats, 1);
	int			n_eval_folds = resampling->holdout ? 1 : resampling->n_folds;
	Size		capacity = mul_size(n_repeats, Max(data->n_rows, 1));
	EvalPredictions out = {0};
	MemoryContext fold_context;
	double		score;

	out.pred = palloc(mul_size(mul_size(capacity, width), sizeof(double)));
	out.y = palloc(mul_size(capacity, sizeof(double)));
	out.row = palloc(mul_size(capacity, sizeof(int)));
	fold_context = AllocSetContextCreate(CurrentMemoryContext, "automl fold",
										 ALLOCSET_DEFAULT_SIZES);
	for (int repeat = 0; repeat < n_repeats; repeat++)
		for (int fold = 0; fold < n_eval_folds; fold++)
		{
			MemoryContext old_context;

			CHECK_FOR_INTERRUPTS();
			old_context = MemoryContextSwitchTo(fold_context);
			EvaluateFold(family, config, data, resampling,
						 resampling->fold_of_row + (Size) repeat * data->n_rows,
						 fidelity, fold, control, &out);
			MemoryContextSwitchTo(old_context);
			MemoryContextReset(fold_context);
		}
	MemoryContextDelete(fold_context);

	score = MetricCompute(metric, out.y, out.pred, out.n, data->n_classes);
	if (kept)
		*kept = out;
	else
	{
		pfree(out.pred);
		pfree(out.y);
		pfree(out.row);
	}
	return score;
}
