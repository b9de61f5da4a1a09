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
	int			max_trials;		/* including the baseline */
	double		deadline;		/* AutomlNow() value to stop by */
	uint64		seed;
	MetricId	metric;
	const double *fixed_config; /* evaluate only this config of families[0] */

	/* configurations evaluated right after the baseline, in order */
	int			n_start;
	const ModelFamily **start_families;
	const double *start_configs;	/* n_start x AUTOML_MAX_PARAMS */
} SearchOptions;

typedef enum TrialStatus
{
	TRIAL_OK,
	TRIAL_FAILED,				/* the fit raised an error, kept in error */
	TRIAL_TIMEOUT				/* finished past the deadline, not eligible */
} TrialStatus;

typedef struct Trial
{
	const ModelFamily *family;
	double		config[AUTOML_MAX_PARAMS];
	double		score;
	double		seconds;
	TrialStatus status;
	char	   *error;
} Trial;

typedef struct SearchResult
{
	Trial	   *trials;
	int			n_trials;
	int			best;			/* index of the best eligible trial */
	EvalPredictions best_predictions;	/* out-of-fold, of the best trial */
} SearchResult;

/*
 * Run the search: the baseline first, then the start configurations, then
 * each family's default configuration, then random configurations of
 * randomly chosen families, until max_trials or the deadline.
 */
extern SearchResult *SearchRun(const TrainData *data, const Resampling *resampling,
							   const SearchOptions *options);

extern const char *TrialStatusName(TrialStatus status);

#endif							/* AUTOML_SEARCH_H */
