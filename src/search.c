/*
 * search.c
 *		Random search over model families and their hyperparameters.
 *
 * Each trial is evaluated inside an internal subtransaction, so a family
 * that raises an error (out of memory under automl.memory_limit, a solver
 * failure) costs one failed trial rather than the whole run.  Query cancel
 * and statement timeouts are re-raised.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/resowner.h"

#include "search.h"

const char *
TrialStatusName(TrialStatus status)
{
	switch (status)
	{
		case TRIAL_OK:
			return "ok";
		case TRIAL_FAILED:
			return "failed";
		case TRIAL_TIMEOUT:
			return "timeout";
	}
	return "unknown";
}

/* Evaluate one trial, recording an error raised by the family as a failure. */
static void
RunTrial(Trial *trial, const TrainData *data, const Resampling *resampling,
		 const SearchOptions *options, uint64 seed, EvalPredictions *kept)
{
	MemoryContext old_context = CurrentMemoryContext;
	ResourceOwner old_owner = CurrentResourceOwner;
	FitControl	control = {.seed = seed, .deadline = options->deadline};
	double		start = AutomlNow();

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old_context);
	PG_TRY();
	{
		trial->score = EvaluateConfig(trial->family, trial->config, data,
									  resampling, options->metric, &control, kept);
		trial->status = TRIAL_OK;
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old_context);
		CurrentResourceOwner = old_owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(old_context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old_context);
		CurrentResourceOwner = old_owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		trial->status = TRIAL_FAILED;
		trial->score = NAN;
		trial->error = edata->message;
	}
	PG_END_TRY();

	trial->seconds = AutomlNow() - start;
	if (trial->status == TRIAL_OK && options->deadline > 0 &&
		AutomlNow() > options->deadline && trial->family != &baseline_family)
		trial->status = TRIAL_TIMEOUT;
}

/* Choose the family and configuration of trial number t. */
static void
ProposeTrial(Trial *trial, int t, const SearchOptions *options,
			 pg_prng_state *prng)
{
	int			defaults_end = options->n_start + options->n_families;

	if (t == 0)
		trial->family = &baseline_family;
	else if (t <= options->n_start)
	{
		trial->family = options->start_families[t - 1];
		memcpy(trial->config, options->start_configs + (Size) (t - 1) * AUTOML_MAX_PARAMS,
			   sizeof(trial->config));
	}
	else if (options->fixed_config)
	{
		trial->family = options->families[0];
		memcpy(trial->config, options->fixed_config, sizeof(trial->config));
	}
	else if (t <= defaults_end)
	{
		trial->family = options->families[t - options->n_start - 1];
		FamilyDefaultConfig(trial->family, trial->config);
	}
	else
	{
		trial->family = options->families[pg_prng_uint64_range(prng, 0, options->n_families - 1)];
		FamilySampleConfig(trial->family, prng, trial->config);
	}
}

static void
ReportNewBest(const Trial *trial, int t, MetricId metric)
{
	ereport(NOTICE,
			(errmsg("automl: trial %d: %s %s = %.4f (new best) %s",
					t + 1, trial->family->name, MetricGetInfo(metric)->name,
					trial->score,
					FamilyConfigToJson(trial->family, trial->config))));
}

SearchResult *
SearchRun(const TrainData *data, const Resampling *resampling,
		  const SearchOptions *options)
{
	SearchResult *result = palloc0(sizeof(SearchResult));
	int			max_trials = options->fixed_config ? 2 + options->n_start
		: Max(options->max_trials, 1);
	pg_prng_state prng;

	pg_prng_seed(&prng, options->seed);
	result->trials = palloc0(sizeof(Trial) * max_trials);
	result->best = 0;

	for (int t = 0; t < max_trials; t++)
	{
		Trial	   *trial = &result->trials[t];
		EvalPredictions predictions = {0};

		if (t > 0 && (options->n_families == 0 || AutomlNow() > options->deadline))
			break;
		CHECK_FOR_INTERRUPTS();
		ProposeTrial(trial, t, options, &prng);
		RunTrial(trial, data, resampling, options, options->seed + t, &predictions);
		result->n_trials++;

		if (trial->status == TRIAL_OK &&
			(t == 0 || MetricBetter(options->metric, trial->score,
									result->trials[result->best].score)))
		{
			result->best = t;
			result->best_predictions = predictions;
			ReportNewBest(trial, t, options->metric);
		}
		else if (predictions.n > 0)
		{
			pfree(predictions.y);
			pfree(predictions.pred);
		}
	}
	return result;
}
