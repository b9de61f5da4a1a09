/*
 * search.h
 *		Model selection and hyperparameter search.
 */
#ifndef AUTOML_SEARCH_H
#define AUTOML_SEARCH_H

#include "evaluate.h"
#include "family.h"

typedef struct SearchOptions
{
	const ModelFamily **families;	/* candidates, baseline excluded */
	int			n_families;
	int			max_trials;		/* evaluations, including the baseline */
	double		start;			/* AutomlNow() when the call began */
	double		deadline;		/* AutomlNow() value the search must end by */
	double		trial_cap;		/* seconds one evaluation may take */
	uint64		seed;
	MetricId	metric;
	TaskKind	task;
	const double *fixed_config; /* evaluate only this config of families[0] */
	bool		ensemble;		/* try ensemble selection after the search */

	/* configurations evaluated right after the baseline, in order */
	int			n_start;
	const ModelFamily **start_families;
	const double *start_configs;	/* n_start x AUTOML_MAX_PARAMS */

	/*
	 * When next_start is set, the start configurations from adaptive_from
	 * on come from it one at a time.  It gets the gains over the baseline
	 * of the ones it chose before; when it returns false, the listed one
	 * runs.
	 */
	int			adaptive_from;
	bool		(*next_start) (void *arg, const double *gains, int n_gains,
							   const ModelFamily **family, double *config);
	void	   *next_start_arg;

	/*
	 * Maximum number of local moves (search_local.c) around the best start
	 * or local trial so far.  One comes before each adaptive start
	 * configuration after the first LOCAL_AFTER_PICKS of them.
	 */
	int			local_moves;
} SearchOptions;

typedef enum TrialStatus
{
	TRIAL_OK,
	TRIAL_FAILED,				/* the fit raised an error, kept in error */
	TRIAL_TIMEOUT				/* stopped by its time cap, not eligible */
} TrialStatus;

typedef struct Trial
{
	const ModelFamily *family;
	double		config[AUTOML_MAX_PARAMS];
	double		fidelity;		/* share of the rows evaluated on */
	double		score;
	double		seconds;
	TrialStatus status;
	char	   *error;
	const char *source;			/* "baseline", "start", "local", "default", "random",
								 * "model" */
} Trial;

/* Out-of-fold predictions kept for ensemble selection. */
typedef struct PoolEntry
{
	int			trial;
	EvalPredictions predictions;
} PoolEntry;

typedef struct SearchResult
{
	Trial	   *trials;
	int			n_trials;
	int			capacity;
	int			best;			/* index of the best eligible trial */
	double		halfway;		/* AutomlNow() value halfway to the deadline */
	EvalPredictions best_predictions;	/* out-of-fold, of the best trial */

	/* the best full-fidelity trials' predictions, for ensemble selection */
	PoolEntry  *pool;
	int			n_pool;

	/* the selected ensemble: members (trial indexes) and weights, or none */
	int			n_members;
	int		   *member_trials;
	double	   *member_weights;
	double		ensemble_score;
	EvalPredictions ensemble_predictions;
} SearchResult;

/*
 * Run the search: the baseline first, then the start configurations, then
 * each family's default configuration, then proposals (random at first,
 * then TPE) until max_trials or the deadline.  On tables large enough, new
 * proposals go through successive halving on nested row samples.
 */
extern SearchResult *SearchRun(const TrainData *data, const Resampling *resampling,
							   const SearchOptions *options);

extern const char *TrialStatusName(TrialStatus status);

/*
 * Score one configuration by resampling inside a subtransaction: an error
 * raised by the family gives NaN instead of ending the call.
 */
extern double SearchEvaluateSafely(const ModelFamily *family, const double *config,
								   const TrainData *data, const Resampling *resampling,
								   MetricId metric, uint64 seed);

/* Estimated seconds to refit trial t on all rows. */
extern double SearchRefitSeconds(const SearchResult *result, int t,
								 const Resampling *resampling);

/*
 * Propose a family and configuration with the tree-structured Parzen
 * estimator from the finished trials (search_tpe.c).  Returns false when
 * there are too few observations, so the caller samples at random.
 */
extern bool TpePropose(const SearchResult *result, const SearchOptions *options,
					   pg_prng_state *prng, const ModelFamily **family, double *config);

/*
 * Return the first trial that evaluated this configuration, on every row
 * when all_rows is set, or -1.
 */
extern int	SearchFindTrial(const SearchResult *result, const ModelFamily *family,
							const double *config, bool all_rows);

/* A standard normal deviate (search_tpe.c). */
extern double SearchNormalDeviate(pg_prng_state *prng);

/* State of the local moves around the best start or local trial (search_local.c). */
typedef struct LocalSearch
{
	int			center;			/* trial the moves start from, or -1 */
	double		step;			/* mean move of one parameter in the unit cube */
	double		direction[AUTOML_MAX_PARAMS];	/* over the movable parameters */
	bool		reversed;		/* the last move went against the direction */
	int			failures;		/* failed directions from this center */
	pg_prng_state prng;			/* private, so other proposals stay as they were */
} LocalSearch;

extern void LocalSearchBegin(LocalSearch *local, uint64 seed);

/*
 * Write to config a configuration near trial center's that no trial has
 * tried.  A center given again means the last move from it did not beat
 * it.  Returns false when the center has no numeric parameter to move or
 * every move rounds onto a tried configuration.
 */
extern bool LocalPropose(LocalSearch *local, const SearchResult *result, int center,
						 TaskKind task, double *config);

/*
 * Greedy ensemble selection with replacement over the pool (ensemble.c).
 * Sets the result's members and weights when an ensemble of two or more
 * distinct trials beats the best single trial.
 */
extern void EnsembleSelect(SearchResult *result, MetricId metric, int width,
						   int n_classes);

#endif							/* AUTOML_SEARCH_H */
