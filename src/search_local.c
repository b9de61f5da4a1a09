/*
 * search_local.c
 *		Local moves around the best start configuration.
 *
 * A randomized direct search in the manner of CFO (Wu, Wang and Huang,
 * "Frugal optimization for cost-related hyperparameters", AAAI 2021).  The
 * numeric parameters that are active for the center configuration, mapped
 * into the unit cube (log scale for log-scaled ones), move by a step of
 * length LOCAL_STEP * sqrt(dimensions) along a random unit direction.  A
 * move that does not become the new center is followed by one the opposite
 * way from the same center.  When both fail, a new direction is drawn.
 * After LOCAL_PATIENCE failed directions the step halves.  Choice parameters
 * and the family stay those of the center.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "search.h"

/* Mean move of one parameter, in the unit interval. */
#define LOCAL_STEP 0.1
/* Failed directions from one center before the step halves. */
#define LOCAL_PATIENCE 2
/* Directions drawn before giving up on a move that rounds to a tried configuration. */
#define LOCAL_DRAWS 8

void
LocalSearchBegin(LocalSearch *local, uint64 seed)
{
	memset(local, 0, sizeof(LocalSearch));
	local->center = -1;
	pg_prng_seed(&local->prng, seed);
}

/* The numeric parameters active for the center; returns their count. */
static int
MovableParams(const Trial *center, TaskKind task, int *params)
{
	const ModelFamily *family = center->family;
	int			n = 0;

	for (int p = 0; p < family->n_params; p++)
		if (family->params[p].kind != PARAM_CHOICE &&
			family->params[p].high > family->params[p].low &&
			FamilyParamActive(family, center->config, p, task))
			params[n++] = p;
	return n;
}

/* A random unit vector over the first n entries of direction. */
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

/* The center moved by length along the direction, into config. */
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
	}
}

/* Whether some trial of this family already has this configuration. */
static bool
Tried(const SearchResult *result, const ModelFamily *family, const double *config)
{
	for (int t = 0; t < result->n_trials; t++)
		if (result->trials[t].family == family &&
			memcmp(result->trials[t].config, config,
				   sizeof(double) * family->n_params) == 0)
			return true;
	return false;
}

bool
LocalPropose(LocalSearch *local, const SearchResult *result, int center, TaskKind task,
			 double *config)
{
	const Trial *trial = &result->trials[center];
	int			params[AUTOML_MAX_PARAMS];
	int			n = MovableParams(trial, task, params);
	double		length;

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
	else if (!local->reversed)
		local->reversed = true;
	else
	{
		if (++local->failures >= LOCAL_PATIENCE)
		{
			local->step /= 2.0;
			local->failures = 0;
		}
		DrawDirection(local, n);
	}
	length = local->step * sqrt((double) n);
	for (int draw = 0; draw < LOCAL_DRAWS; draw++)
	{
		CHECK_FOR_INTERRUPTS();
		Move(local, trial, params, n, local->reversed ? -length : length, config);
		if (!Tried(result, trial->family, config))
			return true;
		/* rounding kept it on a tried point: a fresh direction, a longer move */
		DrawDirection(local, n);
		length = Min(2.0 * length, 1.0);
	}
	return false;
}
