/*
 * refit.c
 *		Refitting the search's choice on every training row: the best trial,
 *		or each member of the selected ensemble.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "ensemble.h"
#include "train.h"

/* Fit one configuration on all rows, stopping at the deadline. */
static void *
FitAll(const ModelFamily *family, const double *config, const TrainData *data,
	   uint64 seed, double deadline)
{
	FitControl	control = {.seed = seed, .deadline = deadline};
	void	   *state = family->fit(data, config, &control);

	if (deadline > 0 && AutomlNow() > deadline)
		ereport(NOTICE,
				(errmsg("automl: the refit of %s on all rows stopped at the time limit",
						family->name),
				 errhint("Raise time_budget for a complete refit.")));
	return state;
}

static void
RefitEnsemble(Choice *choice, const TrainData *data, const SearchResult *result,
			  uint64 seed, double deadline)
{
	int			n = result->n_members;
	const ModelFamily **families = palloc(sizeof(ModelFamily *) * n);
	double	   *configs = palloc0(sizeof(double) * n * AUTOML_MAX_PARAMS);
	void	  **states = palloc(sizeof(void *) * n);
	StringInfoData json;

	for (int m = 0; m < n; m++)
	{
		const Trial *trial = &result->trials[result->member_trials[m]];

		families[m] = trial->family;
		memcpy(configs + (Size) m * AUTOML_MAX_PARAMS, trial->config,
			   sizeof(double) * AUTOML_MAX_PARAMS);
		states[m] = FitAll(trial->family, trial->config, data, seed, deadline);
	}
	choice->model->family = &ensemble_family;
	choice->model->state = EnsembleBuild(data->task == TASK_CLASSIFICATION ? data->n_classes : 1,
										 n, families, configs, result->member_weights, states);
	initStringInfo(&json);
	ensemble_family.describe(choice->model->state, &json);
	choice->algorithm = ensemble_family.name;
	choice->hyperparameters = json.data;
	choice->score = result->ensemble_score;
	choice->predictions = &result->ensemble_predictions;
	choice->trial = -1;
	ereport(NOTICE,
			(errmsg("automl: an ensemble of %d trials scores %.4f, and on rows its selection did not use it is at least as good as the single best trial",
					n, result->ensemble_score)));
}

void
RefitChoice(Choice *choice, PrepPlan *plan, const TrainData *data,
			const SearchResult *result, uint64 seed, double deadline)
{
	const Trial *best = &result->trials[result->best];

	choice->model = palloc0(sizeof(AutomlModel));
	choice->model->plan = plan;
	if (result->n_members > 0)
	{
		RefitEnsemble(choice, data, result, seed, deadline);
		return;
	}
	choice->model->family = best->family;
	memcpy(choice->model->config, best->config, sizeof(choice->model->config));
	choice->model->state = FitAll(best->family, best->config, data, seed, deadline);
	choice->algorithm = best->family->name;
	choice->hyperparameters = FamilyConfigToJsonForTask(best->family, best->config, data->task);
	choice->score = best->score;
	choice->predictions = &result->best_predictions;
	choice->trial = result->best;
}
