/*
 * search.c
 *		Model selection and hyperparameter search within a budget.
 *
 * Evaluations run in this order.  First the baseline, then the start
 * configurations (on a retrain the deployed model's first), then each
 * family's default configuration.  An adaptive warm start's configurations
 * are interleaved with local moves around the best start or local trial so
 * far (see search_local.c).  Then come proposals, at random until
 * TPE has enough observations (see search_tpe.c).  On tables with at least
 * HALVING_MIN_ROWS * ETA rows, start and default configurations form a first
 * bracket and proposals run in further successive-halving brackets
 * (Jamieson and Talwalkar 2016): ETA^(rungs-1) configurations are scored on a nested stratified
 * row sample of share ETA^-(rungs-1), the best 1/ETA of them move to a
 * sample ETA times larger, up to all rows.  Only full-fidelity trials can
 * be chosen or enter an ensemble.
 *
 * Time: the search stops when the time left before the deadline would not
 * cover refitting the best trial on all rows, and each evaluation stops at
 * options->trial_cap seconds (the family keeps what it fitted, the trial is
 * marked timeout and not eligible).
 *
 * Each trial is evaluated inside an internal subtransaction, so a family
 * that raises an error (out of memory under automl.memory_limit, a solver
 * failure) costs one failed trial rather than the whole run.  Query cancel
 * and statement timeouts are re-raised.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/resowner.h"

#include "search.h"

#define ETA 3
#define MAX_RUNGS 3
#define HALVING_MIN_ROWS 1000
#define POOL_SIZE 20
/* Maximum count of pool entries from one family. */
#define POOL_FAMILY_CAP 5
/* Minimum count of fixed configurations promoted at each rung of their bracket. */
#define FIXED_MIN_PROMOTED 3

/* Share of the time left that a safe pick's projected time on every row may take. */
#define SAFE_SHARE 0.25

/* Adaptive start configurations evaluated before the first local move. */
#define LOCAL_AFTER_PICKS 5

/* Share of the time left that a local move's center may have taken. */
#define LOCAL_TIME_SHARE 0.1

/* Time limit of an evaluation outside the search, such as a landmarker. */
#define SAFE_EVALUATION_SECONDS 30.0

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
		 const SearchOptions *options, uint64 seed, double deadline,
		 EvalPredictions *kept)
{
	MemoryContext old_context = CurrentMemoryContext;
	ResourceOwner old_owner = CurrentResourceOwner;
	double		start = AutomlNow();
	FitControl	control = {.seed = seed, .deadline = Min(deadline, start + options->trial_cap)};

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old_context);
	PG_TRY();
	{
		trial->score = EvaluateConfig(trial->family, trial->config, data, resampling,
									  trial->fidelity, options->metric, &control, kept);
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
	if (trial->status == TRIAL_OK && trial->family != &baseline_family &&
		AutomlNow() > control.deadline)
		trial->status = TRIAL_TIMEOUT;
}

double
SearchEvaluateSafely(const ModelFamily *family, const double *config,
					 const TrainData *data, const Resampling *resampling,
					 MetricId metric, uint64 seed)
{
	SearchOptions options = {.metric = metric, .trial_cap = SAFE_EVALUATION_SECONDS};
	Trial		trial = {.family = family, .fidelity = 1.0};

	memcpy(trial.config, config, sizeof(trial.config));
	RunTrial(&trial, data, resampling, &options, seed,
			 AutomlNow() + SAFE_EVALUATION_SECONDS, NULL);
	return trial.status == TRIAL_OK ? trial.score : NAN;
}

double
SearchRefitSeconds(const SearchResult *result, int t, const Resampling *resampling)
{
	const Trial *trial = &result->trials[t];
	int			fits = resampling->holdout ? 1 : resampling->n_folds * resampling->n_repeats;

	/* one fit on all rows costs about a fold fit scaled by k / (k - 1) */
	return trial->seconds / fits * resampling->n_folds / Max(resampling->n_folds - 1, 1)
		/ Max(trial->fidelity, 1e-3);
}

/* Seconds to reserve for refitting the current choice after the search. */
static double
RefitReserve(const SearchResult *result, const Resampling *resampling)
{
	if (result->n_trials == 0)
		return 0.0;
	return 1.2 * SearchRefitSeconds(result, result->best, resampling);
}

static bool
OutOfBudget(const SearchResult *result, const SearchOptions *options,
			const Resampling *resampling, int max_trials)
{
	if (result->n_trials >= max_trials)
		return true;
	return AutomlNow() + RefitReserve(result, resampling) > options->deadline;
}

static Trial *
AddTrial(SearchResult *result, const ModelFamily *family, const double *config,
		 double fidelity, const char *source)
{
	Trial	   *trial;
	double		copy[AUTOML_MAX_PARAMS] = {0};

	/* config may point into result->trials, which repalloc can move */
	if (config)
		memcpy(copy, config, sizeof(copy));
	if (result->n_trials == result->capacity)
	{
		result->capacity *= 2;
		result->trials = repalloc(result->trials, sizeof(Trial) * result->capacity);
	}
	trial = &result->trials[result->n_trials++];
	memset(trial, 0, sizeof(Trial));
	trial->family = family;
	memcpy(trial->config, copy, sizeof(trial->config));
	trial->fidelity = fidelity;
	trial->source = source;
	return trial;
}

/*
 * Keep the predictions of a full-fidelity trial if it ranks in the pool.  At
 * most POOL_FAMILY_CAP entries come from one family.  On a small table the
 * search may try thousands of neighbours of one configuration, and without
 * the cap they would fill the pool with near-copies of one model, leaving
 * ensemble selection nothing different to mix.
 */
static void
KeepInPool(SearchResult *result, int t, EvalPredictions *predictions, MetricId metric)
{
	const ModelFamily *family = result->trials[t].family;
	int			in_family = 0;
	int			family_worst = -1;
	int			worst = -1;
	int			victim;

	for (int i = 0; i < result->n_pool; i++)
	{
		const Trial *entry = &result->trials[result->pool[i].trial];

		if (entry->family == family)
		{
			in_family++;
			if (family_worst < 0 ||
				MetricBetter(metric, result->trials[result->pool[family_worst].trial].score,
							 entry->score))
				family_worst = i;
		}
		if (worst < 0 ||
			MetricBetter(metric, result->trials[result->pool[worst].trial].score, entry->score))
			worst = i;
	}
	if (in_family < POOL_FAMILY_CAP && result->n_pool < POOL_SIZE)
	{
		result->pool[result->n_pool].trial = t;
		result->pool[result->n_pool++].predictions = *predictions;
		return;
	}
	victim = in_family >= POOL_FAMILY_CAP ? family_worst : worst;
	if (!MetricBetter(metric, result->trials[t].score,
					  result->trials[result->pool[victim].trial].score))
	{
		pfree(predictions->y);
		pfree(predictions->pred);
		pfree(predictions->row);
		return;
	}
	pfree(result->pool[victim].predictions.y);
	pfree(result->pool[victim].predictions.pred);
	pfree(result->pool[victim].predictions.row);
	result->pool[victim].trial = t;
	result->pool[victim].predictions = *predictions;
}

static void
ReportNewBest(const Trial *trial, int t, MetricId metric, TaskKind task)
{
	ereport(NOTICE,
			(errmsg("automl: trial %d: %s %s = %.4f (new best) %s",
					t + 1, trial->family->name, MetricGetInfo(metric)->name,
					trial->score,
					FamilyConfigToJsonForTask(trial->family, trial->config, task))));
}

/*
 * Return the seed of a trial: the run's seed mixed with a hash of the
 * family and configuration.  A configuration thus gets the same seed, and
 * on the same folds the same score, wherever it runs in a search or retrain.
 */
static uint64
TrialSeed(uint64 run_seed, const Trial *trial)
{
	uint64		name_hash = hash_bytes_extended((const unsigned char *) trial->family->name,
												strlen(trial->family->name), run_seed);

	return hash_bytes_extended((const unsigned char *) trial->config,
							   sizeof(double) * trial->family->n_params, name_hash);
}

/* Evaluate the last added trial and update the best and the pool. */
static void
EvaluateLast(SearchResult *result, const TrainData *data, const Resampling *resampling,
			 const SearchOptions *options)
{
	int			t = result->n_trials - 1;
	Trial	   *trial = &result->trials[t];
	EvalPredictions predictions = {0};
	bool		full = trial->fidelity >= 1.0;

	CHECK_FOR_INTERRUPTS();
	RunTrial(trial, data, resampling, options, TrialSeed(options->seed, trial),
			 options->deadline, full ? &predictions : NULL);
	if (!full || trial->status != TRIAL_OK)
	{
		if (predictions.n > 0)
		{
			pfree(predictions.y);
			pfree(predictions.pred);
			pfree(predictions.row);
		}
		return;
	}
	if (t == 0 || MetricBetter(options->metric, trial->score,
							   result->trials[result->best].score))
	{
		result->best = t;
		result->best_predictions = predictions;
		ReportNewBest(trial, t, options->metric, options->task);
	}
	if (t > 0)
		KeepInPool(result, t, &predictions, options->metric);
}

/* A new configuration: TPE when it has enough observations, else random. */
static const char *
Propose(const SearchResult *result, const SearchOptions *options, pg_prng_state *prng,
		const ModelFamily **family, double *config)
{
	if (TpePropose(result, options, prng, family, config))
		return "model";
	*family = options->families[pg_prng_uint64_range(prng, 0, options->n_families - 1)];
	FamilySampleConfig(*family, options->task, prng, config);
	return "random";
}

/* Number of fidelity rungs the table affords: 1 means no halving. */
static int
RungCount(int n_rows)
{
	int			rungs = 1;
	double		rows = n_rows;

	while (rungs < MAX_RUNGS && rows / ETA >= HALVING_MIN_ROWS)
	{
		rows /= ETA;
		rungs++;
	}
	return rungs;
}

static int
CompareByScore(const void *a, const void *b, void *arg)
{
	const int  *ia = a;
	const int  *ib = b;
	const SearchResult *result = ((void **) arg)[0];
	MetricId	metric = *(const MetricId *) ((void **) arg)[1];
	const Trial *ta = &result->trials[*ia];
	const Trial *tb = &result->trials[*ib];

	if (MetricBetter(metric, ta->score, tb->score))
		return -1;
	if (MetricBetter(metric, tb->score, ta->score))
		return 1;
	return *ia - *ib;
}

int
SearchFindTrial(const SearchResult *result, const ModelFamily *family, const double *config,
				bool all_rows)
{
	for (int t = 0; t < result->n_trials; t++)
		if (result->trials[t].family == family &&
			(!all_rows || result->trials[t].fidelity >= 1.0) &&
			memcmp(result->trials[t].config, config, sizeof(double) * family->n_params) == 0)
			return t;
	return -1;
}

/*
 * Return the position in candidates[] (sorted best first) of the first
 * finished trial whose time scaled up to every row fits in SAFE_SHARE of the
 * time left, or else of the one with the least scaled time.  Configurations
 * already tried on every row are skipped.  -1 when none is left.
 */
static int
PickSafe(const SearchResult *result, const SearchOptions *options, const int *candidates,
		 int n)
{
	double		room = SAFE_SHARE * (options->deadline - AutomlNow());
	int			cheapest = -1;
	double		cheapest_seconds = 0.0;

	for (int i = 0; i < n; i++)
	{
		const Trial *trial = &result->trials[candidates[i]];
		double		projected;

		if (trial->status != TRIAL_OK ||
			SearchFindTrial(result, trial->family, trial->config, true) >= 0)
			continue;
		projected = trial->seconds / Max(trial->fidelity, 1e-3);
		if (projected <= room)
			return i;
		if (cheapest < 0 || projected < cheapest_seconds)
		{
			cheapest = i;
			cheapest_seconds = projected;
		}
	}
	return cheapest;
}

/*
 * Until a trial on every row is eligible, move the safe pick among the
 * first n_alive trials of alive[] to the front, so it is the first promoted
 * to every row.  Returns the count to promote, one more when the safe pick
 * was not among the first n_next.
 */
static int
PutSafeFirst(const SearchResult *result, const SearchOptions *options, int *alive,
			 int n_alive, int n_next)
{
	int			safe;
	int			trial;

	if (result->best != 0)
		return n_next;
	safe = PickSafe(result, options, alive, n_alive);
	if (safe <= 0)
		return n_next;
	trial = alive[safe];
	memmove(alive + 1, alive, sizeof(int) * safe);
	alive[0] = trial;
	return safe >= n_next ? Min(n_next + 1, n_alive) : n_next;
}

/*
 * Score a safe pick (PickSafe) of the highest fidelity reached on every row,
 * when no trial there is eligible and half the time or all but one trial is
 * spent.  Otherwise slow configurations on a large table can use up the
 * budget on row samples and leave only the baseline to deploy.  Returns
 * whether it ran a trial.
 * NOTE: the regression tests reach only the all-but-one-trial case.  The
 * halfway case and PickSafe's time check need slow trials, so only the
 * search benchmark exercises them.
 */
static bool
FastTrack(SearchResult *result, const TrainData *data, const Resampling *resampling,
		  const SearchOptions *options, int max_trials)
{
	int			pick = -1;

	void	   *sort_arg[2] = {result, (void *) &options->metric};
	int		   *candidates;
	int			n = 0;
	double		top = 0.0;

	if (result->best != 0 || (AutomlNow() < result->halfway && result->n_trials < max_trials - 1))
		return false;
	/* the finished trials of the highest fidelity below every row */
	for (int t = 1; t < result->n_trials; t++)
		if (result->trials[t].status == TRIAL_OK && result->trials[t].fidelity < 1.0)
			top = Max(top, result->trials[t].fidelity);
	candidates = palloc(sizeof(int) * result->n_trials);
	for (int t = 1; t < result->n_trials; t++)
		if (result->trials[t].status == TRIAL_OK && result->trials[t].fidelity == top)
			candidates[n++] = t;
	qsort_arg(candidates, n, sizeof(int), CompareByScore, sort_arg);
	pick = PickSafe(result, options, candidates, n);
	if (pick >= 0)
		pick = candidates[pick];
	pfree(candidates);
	if (pick < 0)
		return false;
	AddTrial(result, result->trials[pick].family, result->trials[pick].config, 1.0, "promoted");
	EvaluateLast(result, data, resampling, options);
	return true;
}

/*
 * Promote the best of the n_alive trials in alive[], scored on the lowest of
 * the given rungs, up to all rows, keeping a third of them (at least
 * min_keep) at each step.  While no trial on every row is eligible, the
 * first one promoted there is a safe pick (PickSafe): a slow configuration
 * that times out on every row would otherwise leave only the baseline.
 */
static void
PromoteRungs(SearchResult *result, const TrainData *data, const Resampling *resampling,
			 const SearchOptions *options, int *alive, int n_alive, int rungs,
			 int min_keep, int max_trials)
{
	void	   *sort_arg[2] = {result, (void *) &options->metric};
	double		fidelity = pow(ETA, -(rungs - 1));

	for (int rung = 1; rung < rungs && n_alive > 0; rung++)
	{
		int			n_ok = 0;
		int			n_next;

		/*
		 * Failed and timed-out trials drop out.  A timeout keeps the score of
		 * what it fitted, so left in it could sort first and block the rest.
		 */
		for (int i = 0; i < n_alive; i++)
			if (result->trials[alive[i]].status == TRIAL_OK)
				alive[n_ok++] = alive[i];
		n_alive = n_ok;
		n_next = Min(Max(n_alive / ETA, min_keep), n_alive);
		qsort_arg(alive, n_alive, sizeof(int), CompareByScore, sort_arg);
		fidelity = rung == rungs - 1 ? 1.0 : fidelity * ETA;
		if (fidelity >= 1.0)
			n_next = PutSafeFirst(result, options, alive, n_alive, n_next);
		for (int i = 0; i < n_next; i++)
		{
			Trial	   *parent = &result->trials[alive[i]];
			int			done;

			if (OutOfBudget(result, options, resampling, max_trials) ||
				(FastTrack(result, data, resampling, options, max_trials) &&
				 OutOfBudget(result, options, resampling, max_trials)))
			{
				n_next = i;
				break;
			}
			parent = &result->trials[alive[i]];

			/* the fast track may have scored it on every row already */
			done = SearchFindTrial(result, parent->family, parent->config, true);
			if (done >= 0)
			{
				alive[i] = done;
				continue;
			}
			AddTrial(result, parent->family, parent->config, fidelity, "promoted");
			EvaluateLast(result, data, resampling, options);
			alive[i] = result->n_trials - 1;
		}
		n_alive = n_next;
	}
}

/* Trials a bracket of n configurations takes over the rungs, promotions included. */
static int
BracketTrials(int n, int rungs)
{
	int			trials = 0;

	for (int rung = 0; rung < rungs; rung++)
	{
		trials += n;
		n = Max(n / ETA, 1);
	}
	return trials;
}

/*
 * One successive-halving bracket of proposals.  When max_trials leaves too
 * few trials for a full bracket, it screens fewer configurations, on fewer
 * rungs if need be, so that one of them still reaches all rows.
 */
static void
RunBracket(SearchResult *result, const TrainData *data, const Resampling *resampling,
		   const SearchOptions *options, pg_prng_state *prng, int rungs, int max_trials)
{
	int			left = max_trials - result->n_trials;
	int			n_configs;
	int		   *alive;
	int			n_alive = 0;
	double		fidelity;

	while (rungs > 1 && BracketTrials(1, rungs) > left)
		rungs--;
	n_configs = (int) pow(ETA, rungs - 1);
	while (n_configs > 1 && BracketTrials(n_configs, rungs) > left)
		n_configs--;
	alive = palloc(sizeof(int) * n_configs);
	fidelity = pow(ETA, -(rungs - 1));
	for (int c = 0; c < n_configs && !OutOfBudget(result, options, resampling, max_trials); c++)
	{
		const ModelFamily *family;
		double		config[AUTOML_MAX_PARAMS];
		const char *source = Propose(result, options, prng, &family, config);

		AddTrial(result, family, config, fidelity, source);
		EvaluateLast(result, data, resampling, options);
		alive[n_alive++] = result->n_trials - 1;
	}
	PromoteRungs(result, data, resampling, options, alive, n_alive, rungs, 1, max_trials);
	pfree(alive);
}

/* Gain of trial t over the baseline (trial 0) under the metric; 0 if none or failed. */
static double
GainOverBaseline(const SearchResult *result, const SearchOptions *options, int t)
{
	const Trial *trial;
	double		base = result->trials[0].score;
	double		gain;

	if (t < 0)
		return 0.0;
	trial = &result->trials[t];
	if (trial->status != TRIAL_OK || !isfinite(trial->score) || !isfinite(base))
		return 0.0;
	gain = MetricGetInfo(options->metric)->higher_is_better
		? trial->score - base : base - trial->score;
	return Max(gain, 0.0);
}

/* Evaluate one fixed configuration unless it was tried.  Returns its trial index, or -1. */
static int
RunFixed(SearchResult *result, const TrainData *data, const Resampling *resampling,
		 const SearchOptions *options, const ModelFamily *family, const double *config,
		 double fidelity, const char *source)
{
	if (SearchFindTrial(result, family, config, false) >= 0)
		return -1;
	AddTrial(result, family, config, fidelity, source);
	EvaluateLast(result, data, resampling, options);
	return result->n_trials - 1;
}

/* Return the best finished trial among alive[0..n_alive-1], or -1. */
static int
BestAlive(const SearchResult *result, MetricId metric, const int *alive, int n_alive)
{
	int			best = -1;

	for (int i = 0; i < n_alive; i++)
	{
		const Trial *trial = &result->trials[alive[i]];

		if (trial->status != TRIAL_OK || !isfinite(trial->score))
			continue;
		if (best < 0 || MetricBetter(metric, trial->score, result->trials[best].score))
			best = alive[i];
	}
	return best;
}

/*
 * Return how many local moves the start configurations leave room for: one
 * before each adaptive one after the first LOCAL_AFTER_PICKS.
 */
static int
PlannedLocalMoves(const SearchOptions *options)
{
	if (!options->next_start)
		return 0;
	return Min(options->local_moves,
			   Max(options->n_start - options->adaptive_from - LOCAL_AFTER_PICKS, 0));
}

/*
 * Run a local move around the best start or local trial so far when one is
 * due before start configuration c.  Returns its trial index, or -1.
 */
static int
RunLocalMove(SearchResult *result, const TrainData *data, const Resampling *resampling,
			 const SearchOptions *options, LocalSearch *local, int c,
			 const int *alive, int n_alive, double fidelity)
{
	int			due = c - options->adaptive_from - LOCAL_AFTER_PICKS;
	int			center;
	double		config[AUTOML_MAX_PARAMS];

	if (c >= options->n_start || due < 0 || due >= PlannedLocalMoves(options))
		return -1;
	center = BestAlive(result, options->metric, alive, n_alive);
	if (center < 0)
		return -1;
	/*
	 * A move costs about what its center did, too much for a short budget.
	 * NOTE: only the search benchmark reaches this; test trials are quick.
	 */
	if (result->trials[center].seconds > LOCAL_TIME_SHARE * (options->deadline - AutomlNow()))
		return -1;
	if (!LocalPropose(local, result, center, options->task, config))
		return -1;
	return RunFixed(result, data, resampling, options, result->trials[center].family,
					config, fidelity, "local");
}

/*
 * The baseline, then the start configurations and the family defaults.  On
 * a table large enough for halving these form a first bracket.  All of them
 * are scored on the smallest row sample, and the best third move up each
 * rung.  A slow family's configuration then costs little until it scores
 * well.  Smaller tables evaluate them all on every row.
 */
static void
RunFixedTrials(SearchResult *result, const TrainData *data, const Resampling *resampling,
			   const SearchOptions *options, int rungs, int max_trials)
{
	int			n_local = PlannedLocalMoves(options);
	int		   *alive = palloc(sizeof(int) * (options->n_start + options->n_families +
											 n_local + 1));
	int			n_alive = 0;
	LocalSearch local;
	double	   *gains = palloc(sizeof(double) * (options->n_start + 1));
	int			n_gains = 0;
	double		fidelity;

	/* Screening pays off only when the trial budget covers the promotions. */
	if (max_trials < 2 * (options->n_start + options->n_families + n_local) + 1)
		rungs = 1;
	fidelity = pow(ETA, -(rungs - 1));
	LocalSearchBegin(&local, options->seed ^ UINT64CONST(0x9e3779b97f4a7c15));
	AddTrial(result, &baseline_family, NULL, 1.0, "baseline");
	EvaluateLast(result, data, resampling, options);
	if (options->fixed_config)
	{
		for (int s = 0; s < options->n_start &&
			 !OutOfBudget(result, options, resampling, max_trials); s++)
			RunFixed(result, data, resampling, options, options->start_families[s],
					 options->start_configs + (Size) s * AUTOML_MAX_PARAMS, 1.0, "start");
		AddTrial(result, options->families[0], options->fixed_config, 1.0, "fixed");
		EvaluateLast(result, data, resampling, options);
		return;
	}
	for (int c = 0; c < options->n_start + options->n_families; c++)
	{
		bool		start = c < options->n_start;
		const ModelFamily *family;
		double		config[AUTOML_MAX_PARAMS];
		bool		adaptive = false;
		int			t;

		if (OutOfBudget(result, options, resampling, max_trials))
			break;
		/*
		 * On row samples nothing is eligible before a promotion, so the fast
		 * track may be due before the start configurations end.
		 */
		if (fidelity < 1.0 && FastTrack(result, data, resampling, options, max_trials) &&
			OutOfBudget(result, options, resampling, max_trials))
			break;
		t = RunLocalMove(result, data, resampling, options, &local, c, alive, n_alive,
						 fidelity);
		if (t >= 0)
		{
			alive[n_alive++] = t;
			if (OutOfBudget(result, options, resampling, max_trials))
				break;
		}
		if (start)
		{
			family = options->start_families[c];
			memcpy(config, options->start_configs + (Size) c * AUTOML_MAX_PARAMS,
				   sizeof(config));
			if (c >= options->adaptive_from && options->next_start &&
				options->next_start(options->next_start_arg, gains, n_gains, &family, config))
				adaptive = true;
		}
		else
		{
			family = options->families[c - options->n_start];
			FamilyDefaultConfig(family, config);
		}
		t = RunFixed(result, data, resampling, options, family, config, fidelity,
					 start ? "start" : "default");
		if (t >= 0)
			alive[n_alive++] = t;
		if (adaptive)
		{
			int			scored = t >= 0 ? t : SearchFindTrial(result, family, config, false);

			gains[n_gains++] = GainOverBaseline(result, options, scored);
		}
	}
	PromoteRungs(result, data, resampling, options, alive, n_alive, rungs,
				 FIXED_MIN_PROMOTED, max_trials);
	pfree(alive);
	pfree(gains);
}

SearchResult *
SearchRun(const TrainData *data, const Resampling *resampling,
		  const SearchOptions *options)
{
	SearchResult *result = palloc0(sizeof(SearchResult));
	int			max_trials = Max(options->max_trials, 1);
	int			rungs = RungCount(data->n_rows);
	pg_prng_state prng;

	pg_prng_seed(&prng, options->seed);
	result->halfway = AutomlNow() + (options->deadline - AutomlNow()) / 2;
	result->capacity = 64;
	result->trials = palloc0(sizeof(Trial) * result->capacity);
	result->pool = palloc0(sizeof(PoolEntry) * POOL_SIZE);

	RunFixedTrials(result, data, resampling, options, rungs, max_trials);
	while (!options->fixed_config && options->n_families > 0 &&
		   !OutOfBudget(result, options, resampling, max_trials))
	{
		if (!FastTrack(result, data, resampling, options, max_trials))
			RunBracket(result, data, resampling, options, &prng, rungs, max_trials);
	}

	if (options->ensemble && !options->fixed_config)
		EnsembleSelect(result, options->metric,
					   data->task == TASK_CLASSIFICATION ? data->n_classes : 1,
					   data->n_classes);
	return result;
}
