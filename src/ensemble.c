/*
 * ensemble.c
 *		Ensemble selection over the search's trials, and the ensemble model.
 *
 * Selection follows Caruana et al., "Ensemble selection from libraries of
 * models" (ICML 2004): start from the empty ensemble and, for
 * ENSEMBLE_ROUNDS rounds, add (with replacement) the pooled trial whose
 * out-of-fold predictions most improve the metric of the averaged
 * predictions on the even rows.  Once ENSEMBLE_MAX_MEMBERS distinct trials
 * are in, only they can be added again.  The ensemble of the best round is kept
 * when it has two or more distinct members and, on the odd rows, scores at
 * least as well as the single trial that scores best on the even rows.  All
 * pooled trials were evaluated on the same folds of the same rows, so their
 * out-of-fold predictions line up row by row.
 *
 * The ensemble model averages its members' predictions (class
 * probabilities or values) with the selection weights.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "ensemble.h"
#include "search.h"

#define ENSEMBLE_ROUNDS 25
/* Distinct trials an ensemble may hold, so its refit and its size stay bounded. */
#define ENSEMBLE_MAX_MEMBERS 6

/*
 * Metric of predictions pred (row-major, width per row) against y over the
 * predictions of table rows of one parity (0 even, 1 odd), or over all for
 * parity -1.  Parity goes by table row, not by position, so that with
 * repeated cross-validation a row's predictions all fall on one side.
 */
static double
ScoreRows(MetricId metric, const double *y, const double *pred, const int *row, int n,
		  int width, int n_classes, int parity)
{
	double	   *ys = palloc(sizeof(double) * Max(n, 1));
	double	   *ps = palloc(sizeof(double) * Max(n, 1) * width);
	int			m = 0;
	double		score;

	for (int r = 0; r < n; r++)
	{
		if (parity >= 0 && row[r] % 2 != parity)
			continue;
		ys[m] = y[r];
		memcpy(ps + (Size) m * width, pred + (Size) r * width, sizeof(double) * width);
		m++;
	}
	score = MetricCompute(metric, ys, ps, m, n_classes);
	pfree(ys);
	pfree(ps);
	return score;
}

/*
 * Score, on the rows of one parity, the pool-weighted average with one more
 * vote for entry "add" (-1 for none); mix receives the average on all rows.
 */
static double
ScoreWith(const SearchResult *result, const int *votes, int total, int add,
		  MetricId metric, int width, int n_classes, int parity, double *mix)
{
	const EvalPredictions *first = &result->pool[0].predictions;
	Size		size = (Size) first->n * width;

	memset(mix, 0, sizeof(double) * size);
	for (int i = 0; i < result->n_pool; i++)
	{
		int			v = votes[i] + (i == add ? 1 : 0);

		if (v == 0)
			continue;
		for (Size k = 0; k < size; k++)
			mix[k] += v * result->pool[i].predictions.pred[k];
	}
	for (Size k = 0; k < size; k++)
		mix[k] /= (total + (add >= 0 ? 1 : 0));
	return ScoreRows(metric, first->y, mix, first->row, first->n, width, n_classes, parity);
}

/* Record the selected ensemble in the result. */
static void
KeepEnsemble(SearchResult *result, const int *votes, int total, double score,
			 const double *mix, int width)
{
	const EvalPredictions *first = &result->pool[0].predictions;
	int			m = 0;

	result->member_trials = palloc(sizeof(int) * result->n_pool);
	result->member_weights = palloc(sizeof(double) * result->n_pool);
	for (int i = 0; i < result->n_pool; i++)
		if (votes[i] > 0)
		{
			result->member_trials[m] = result->pool[i].trial;
			result->member_weights[m++] = (double) votes[i] / total;
		}
	result->n_members = m;
	result->ensemble_score = score;
	result->ensemble_predictions.n = first->n;
	result->ensemble_predictions.y = first->y;
	result->ensemble_predictions.row = first->row;
	result->ensemble_predictions.pred = palloc(sizeof(double) * first->n * width);
	memcpy(result->ensemble_predictions.pred, mix, sizeof(double) * first->n * width);
}

/*
 * Return the odd-row score of the pooled trial that scores best on the even
 * rows: the single trial chosen the way the ensemble is, so both are judged
 * on rows neither choice saw.
 */
static double
SingleOddScore(const SearchResult *result, MetricId metric, int width, int n_classes)
{
	int			chosen = 0;
	double		chosen_score = NAN;

	for (int i = 0; i < result->n_pool; i++)
	{
		const EvalPredictions *p = &result->pool[i].predictions;
		double		score = ScoreRows(metric, p->y, p->pred, p->row, p->n, width, n_classes, 0);

		if (i == 0 || MetricBetter(metric, score, chosen_score))
		{
			chosen = i;
			chosen_score = score;
		}
	}
	return ScoreRows(metric, result->pool[chosen].predictions.y,
					 result->pool[chosen].predictions.pred,
					 result->pool[chosen].predictions.row,
					 result->pool[chosen].predictions.n, width, n_classes, 1);
}

/*
 * Weights are chosen on the even out-of-fold rows.  The ensemble is kept
 * unless, on the odd rows, it scores worse than the single trial chosen on
 * the even rows.  Comparing with the best trial over all rows instead would
 * favour the single trial, whose choice saw the odd rows.
 */
void
EnsembleSelect(SearchResult *result, MetricId metric, int width, int n_classes)
{
	const EvalPredictions *single = &result->best_predictions;
	int		   *votes;
	int		   *best_votes;
	double	   *mix;
	double		best_score = NAN;
	double		held_out;
	int			best_total = 0;
	int			distinct = 0;

	if (result->n_pool < 2 || single->n == 0)
		return;
	votes = palloc0(sizeof(int) * result->n_pool);
	best_votes = palloc0(sizeof(int) * result->n_pool);
	mix = palloc(sizeof(double) * result->pool[0].predictions.n * width);

	for (int round = 0; round < ENSEMBLE_ROUNDS; round++)
	{
		int			choice = -1;
		double		choice_score = NAN;
		int			members = 0;

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < result->n_pool; i++)
			members += votes[i] > 0;
		for (int i = 0; i < result->n_pool; i++)
		{
			double		score;

			if (votes[i] == 0 && members >= ENSEMBLE_MAX_MEMBERS)
				continue;
			score = ScoreWith(result, votes, round, i, metric, width, n_classes, 0, mix);

			if (choice < 0 || MetricBetter(metric, score, choice_score))
			{
				choice = i;
				choice_score = score;
			}
		}
		votes[choice]++;
		if (isnan(best_score) || MetricBetter(metric, choice_score, best_score))
		{
			best_score = choice_score;
			best_total = round + 1;
			memcpy(best_votes, votes, sizeof(int) * result->n_pool);
		}
	}

	for (int i = 0; i < result->n_pool; i++)
		distinct += best_votes[i] > 0;
	held_out = ScoreWith(result, best_votes, best_total, -1, metric, width, n_classes, 1, mix);
	if (distinct >= 2 &&
		!MetricBetter(metric, SingleOddScore(result, metric, width, n_classes), held_out))
		KeepEnsemble(result, best_votes, best_total,
					 ScoreRows(metric, single->y, mix, single->row, single->n, width, n_classes, -1),
					 mix, width);
	pfree(votes);
	pfree(best_votes);
	pfree(mix);
}

/* The ensemble model: members with their weights. */
typedef struct EnsembleModel
{
	int			n_outputs;
	int			n_members;
	const ModelFamily **families;
	double	   *configs;		/* n_members x AUTOML_MAX_PARAMS */
	double	   *weights;
	void	  **states;
} EnsembleModel;

void *
EnsembleBuild(int n_outputs, int n_members, const ModelFamily **families,
			  const double *configs, const double *weights, void **states)
{
	EnsembleModel *model = palloc(sizeof(EnsembleModel));

	model->n_outputs = n_outputs;
	model->n_members = n_members;
	model->families = palloc(sizeof(ModelFamily *) * n_members);
	model->configs = palloc(sizeof(double) * n_members * AUTOML_MAX_PARAMS);
	model->weights = palloc(sizeof(double) * n_members);
	model->states = palloc(sizeof(void *) * n_members);
	memcpy(model->families, families, sizeof(ModelFamily *) * n_members);
	memcpy(model->configs, configs, sizeof(double) * n_members * AUTOML_MAX_PARAMS);
	memcpy(model->weights, weights, sizeof(double) * n_members);
	memcpy(model->states, states, sizeof(void *) * n_members);
	return model;
}

static void
EnsemblePredict(const void *opaque, const double *x, int n_rows, int n_cols, double *out)
{
	const EnsembleModel *model = opaque;
	Size		size = (Size) n_rows * model->n_outputs;
	double	   *member = palloc(sizeof(double) * Max(size, 1));

	memset(out, 0, sizeof(double) * size);
	for (int m = 0; m < model->n_members; m++)
	{
		model->families[m]->predict(model->states[m], x, n_rows, n_cols, member);
		for (Size k = 0; k < size; k++)
			out[k] += model->weights[m] * member[k];
	}
	pfree(member);
}

static void
EnsembleSerialize(const void *opaque, StringInfo buf)
{
	const EnsembleModel *model = opaque;

	SerialPutInt32(buf, model->n_outputs);
	SerialPutInt32(buf, model->n_members);
	for (int m = 0; m < model->n_members; m++)
	{
		SerialPutString(buf, model->families[m]->name);
		SerialPutFloat64(buf, model->weights[m]);
		SerialPutFloat64Array(buf, model->configs + (Size) m * AUTOML_MAX_PARAMS,
							  AUTOML_MAX_PARAMS);
		model->families[m]->serialize(model->states[m], buf);
	}
}

static void *
EnsembleDeserialize(SerialReader *reader)
{
	EnsembleModel *model = palloc(sizeof(EnsembleModel));

	model->n_outputs = SerialGetInt32InRange(reader, 1, 1000000, "output count");
	model->n_members = SerialGetInt32InRange(reader, 1, 1000, "ensemble size");
	model->families = palloc(sizeof(ModelFamily *) * model->n_members);
	model->configs = palloc(sizeof(double) * model->n_members * AUTOML_MAX_PARAMS);
	model->weights = palloc(sizeof(double) * model->n_members);
	model->states = palloc(sizeof(void *) * model->n_members);
	for (int m = 0; m < model->n_members; m++)
	{
		char	   *name = SerialGetString(reader);

		model->families[m] = FamilyByName(name);
		if (model->families[m] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("automl ensemble member uses unknown algorithm \"%s\"", name),
					 errhint("Retrain the project with automl_train.")));
		model->weights[m] = SerialGetFloat64(reader);
		if (!(model->weights[m] > 0 && model->weights[m] <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("automl model binary is corrupted"),
					 errdetail("Ensemble weight %d is %g.", m, model->weights[m]),
					 errhint("Retrain the project with automl_train.")));
		SerialGetFloat64Array(reader, model->configs + (Size) m * AUTOML_MAX_PARAMS,
							  AUTOML_MAX_PARAMS);
		model->states[m] = model->families[m]->deserialize(reader);
	}
	return model;
}

/* Members' own importances, weighted; members without one are left out. */
static void
EnsembleImportance(const void *opaque, int n_cols, double *out)
{
	const EnsembleModel *model = opaque;
	double	   *member = palloc(sizeof(double) * Max(n_cols, 1));
	double		total = 0.0;

	memset(out, 0, sizeof(double) * n_cols);
	for (int m = 0; m < model->n_members; m++)
	{
		if (model->families[m]->importance == NULL)
			continue;
		model->families[m]->importance(model->states[m], n_cols, member);
		for (int j = 0; j < n_cols; j++)
			out[j] += model->weights[m] * member[j];
	}
	for (int j = 0; j < n_cols; j++)
		total += out[j];
	for (int j = 0; j < n_cols && total > 0; j++)
		out[j] /= total;
	pfree(member);
}

static void
EnsembleDescribe(const void *opaque, StringInfo buf)
{
	const EnsembleModel *model = opaque;

	appendStringInfoString(buf, "{\"members\": [");
	for (int m = 0; m < model->n_members; m++)
	{
		appendStringInfo(buf, "%s{\"algorithm\": \"%s\", \"weight\": %.6f, \"hyperparameters\": %s}",
						 m ? ", " : "", model->families[m]->name, model->weights[m],
						 FamilyConfigToJson(model->families[m],
											model->configs + (Size) m * AUTOML_MAX_PARAMS));
	}
	appendStringInfoString(buf, "]}");
}

/* Not in the search registry: built from the search's trials, not fitted. */
const ModelFamily ensemble_family = {
	.name = "ensemble",
	.description = "weighted average of several models, chosen by ensemble selection",
	.supports_classification = true,
	.supports_regression = true,
	.params = NULL,
	.n_params = 0,
	.fit = NULL,
	.predict = EnsemblePredict,
	.serialize = EnsembleSerialize,
	.deserialize = EnsembleDeserialize,
	.importance = EnsembleImportance,
	.describe = EnsembleDescribe,
};
