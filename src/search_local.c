/*
 * search_local.c
 *		Local moves around the best start or local trial so far.
 *
 * A randomized direct search with an adaptive step, in the manner of
 * FLAML's CFO (Frugal Optimization for Cost-related Hyperparameters).  The
 * numeric parameters that are active for the center configuration, mapped
 * into the unit cube (log scale for log-scaled ones), move by a step of
 * length LOCAL_STEP * sqrt(dimensions) along a random unit direction.  A
 * move that does not become the new center is followed by one the opposite
 * way from the same center.  When both fail, a new direction is drawn.
 * After LOCAL_PATIENCE failed directions the step halves.  A move that lands
 * on a tried configuration counts as failed without a trial.  The family,
 * choice parameters and sentinel values (outside the search range, such as
 * max_features 0, or 0 where it means no limit) stay those of the center.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "search.h"

/* Mean move of one parameter, in the unit interval. */
#define LOCAL_STEP 0.1
/* Failed directions from one center before the step halves. */
#define LOCAL_PATIENCE 2
/* Moves that land on tried configurations before LocalPropose gives up. */
#define LOCAL_DRAWS 12

void
LocalSearchBegin(LocalSearch *local, uint64 seed)
{
	memset(local, 0, sizeof(LocalSearch));
	local->center = -1;
	pg_prng_seed(&local->prng, seed);
}

/*
 * Write the indexes of the numeric parameters that are active for the
 * center and inside their search range to params.  Returns their count.
 */
static int
MovableParams(const Trial *center, TaskKind task, int *params)
{
	const ModelFamily *family = center->family;
	int			n = 0;

	for (int p = 0; p < family->n_params; p++)
	{
		const ParamSpec *spec = &family->params[p];
		double		value = center->config[p];

		if (spec->kind == PARAM_CHOICE || spec->high <= spec->low ||
			!FamilyParamActive(family, center->config, p, task))
			continue;
		/* a sentinel, such as 0 for no limit, has no neighbours */
		if (value < spec->low || value > spec->high ||
			(spec->zero_means_none && value == 0))
			continue;
		params[n++] = p;
	}
	return n;
}

/* Draw a random unit vector into the first n entries of direction. */
static void
DrawDirection(LocalSearch *local, int n)
{
	double		norm = 0.0;

	for (int i = 0; i < n; i++)
	{
		local->direction[i] = SearchNormalDeviate(&local->prng);
		norm += local->direction[i] * local->direction[i];
	}
	norm = sqrt(Max(norm, 1e-300));
	for (int i = 0; i < n; i++)
		local->direction[i] /= norm;
	local->reversed = false;
}

/* Write the center moved by length along the direction to config. */
static void
Move(const LocalSearch *local, const Trial *center, const int *params, int n,
	 double length, double *config)
{
	memcpy(config, center->config, sizeof(double) * AUTOML_MAX_PARAMS);
	for (int i = 0; i < n; i++)
	{
		const ParamSpec *spec = &center->family->params[params[i]];
		double		u = FamilyParamToUnit(spec, center->config[params[i]]);

		config[params[i]] = FamilyParamAtUnit(spec, u + length * local->direction[i]);
		if (spec->zero_means_none)
			config[params[i]] = Max(config[params[i]], 1);
	}
}

/* Advance past a failed move: the opposite way, or a new direction. */
static void
NextMove(LocalSearch *local, int n)
{
	if (!local->reversed)
	{
		local->reversed = true;
		return;
	}
	if (++local->failures >= LOCAL_PATIENCE)
	{
		local->step /= 2.0;
		local->failures = 0;
	}
	DrawDirection(local, n);
}

bool
LocalPropose(LocalSearch *local, const SearchResult *result, int center, TaskKind task,
			 double *config)
{
	const Trial *trial = &result->trials[center];
	int			params[AUTOML_MAX_PARAMS];
	int			n = MovableParams(trial, task, params);

	if (n == 0)
		return false;
	if (center != local->center)
	{
		/* a new center: the step carries over, the direction does not */
		if (local->center < 0)
			local->step = LOCAL_STEP;
		local->center = center;
		local->failures = 0;
		DrawDirection(local, n);
	}
	else
		NextMove(local, n);
	for (int draw = 0; draw < LOCAL_DRAWS; draw++)
	{
		double		length = local->step * sqrt((double) n);

		CHECK_FOR_INTERRUPTS();
		Move(local, trial, params, n, local->reversed ? -length : length, config);
		if (SearchFindTrial(result, trial->family, config, false) < 0)
			return true;
		NextMove(local, n);
	}
	return false;
}
