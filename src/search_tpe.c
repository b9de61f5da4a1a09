/*
 * search_tpe.c
 *		Tree-structured Parzen estimator proposals across families.
 *
 * After Bergstra et al., "Algorithms for hyper-parameter optimization"
 * (NIPS 2011).  The finished trials of the highest fidelity that has at
 * least TPE_STARTUP of them are split by score into the best GAMMA share
 * ("good") and the rest ("bad").  Each dimension gets two densities, l from
 * the good and g from the bad trials: a Parzen mixture of Gaussians of
 * width BANDWIDTH around the observed values, in the unit interval (log
 * scale for log-scaled parameters), plus one uniform prior component; a
 * categorical dimension, the family choice included, uses smoothed counts.
 * TPE_CANDIDATES candidates are drawn from l, and the one with the largest
 * l(x) / g(x) is proposed.  Dimensions are treated independently, as in
 * the original TPE, and inactive conditional ones are left at their
 * defaults and out of the score.
 */
#include "postgres.h"

#include <math.h>

#include "search.h"

#define TPE_STARTUP 10
#define TPE_CANDIDATES 24
#define GAMMA 0.25
#define BANDWIDTH 0.15

typedef struct Observation
{
	const Trial *trial;
	double		loss;			/* lower is better */
} Observation;

static int
CompareObservations(const void *a, const void *b)
{
	double		x = ((const Observation *) a)->loss;
	double		y = ((const Observation *) b)->loss;

	return (x > y) - (x < y);
}

/* A standard normal deviate by the Box-Muller transform. */
double
SearchNormalDeviate(pg_prng_state *prng)
{
	double		u1 = Max(pg_prng_double(prng), 1e-300);
	double		u2 = pg_prng_double(prng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Parzen density at u of the observations' values of parameter p. */
static double
NumericDensity(const Observation *obs, int n, const ParamSpec *spec, int p, double u)
{
	double		sum = 1.0;		/* the uniform prior component */

	for (int i = 0; i < n; i++)
	{
		double		d = (u - FamilyParamToUnit(spec, obs[i].trial->config[p])) / BANDWIDTH;

		sum += exp(-0.5 * d * d) / (BANDWIDTH * sqrt(2.0 * M_PI));
	}
	return sum / (n + 1);
}

static double
ChoiceDensity(const Observation *obs, int n, int p, int n_choices, double choice)
{
	double		count = 1.0;

	for (int i = 0; i < n; i++)
		count += obs[i].trial->config[p] == choice;
	return count / (n + n_choices);
}

/* Observations of one family among obs[0..n-1], copied to out. */
static int
OfFamily(const Observation *obs, int n, const ModelFamily *family, Observation *out)
{
	int			m = 0;

	for (int i = 0; i < n; i++)
		if (obs[i].trial->family == family)
			out[m++] = obs[i];
	return m;
}

/* Draw one parameter value from the good observations' density. */
static double
SampleParam(const Observation *good, int n_good, const ParamSpec *spec, int p,
			pg_prng_state *prng)
{
	int			pick = (int) pg_prng_uint64_range(prng, 0, n_good);

	if (spec->kind == PARAM_CHOICE)
	{
		if (pick == n_good)
			return Min(floor(pg_prng_double(prng) * spec->n_choices), spec->n_choices - 1);
		return good[pick].trial->config[p];
	}
	if (pick == n_good)
		return FamilyParamAtUnit(spec, pg_prng_double(prng));
	return FamilyParamAtUnit(spec, FamilyParamToUnit(spec, good[pick].trial->config[p])
					+ BANDWIDTH * SearchNormalDeviate(prng));
}

/* log l(x) - log g(x) of a configuration of one family, active dimensions only. */
static double
ScoreCandidate(const ModelFamily *family, const double *config, TaskKind task,
			   const Observation *good, int n_good, const Observation *bad, int n_bad)
{
	double		score = 0.0;

	for (int p = 0; p < family->n_params; p++)
	{
		const ParamSpec *spec = &family->params[p];

		if (!FamilyParamActive(family, config, p, task))
			continue;
		if (spec->kind == PARAM_CHOICE)
			score += log(ChoiceDensity(good, n_good, p, spec->n_choices, config[p]))
				- log(ChoiceDensity(bad, n_bad, p, spec->n_choices, config[p]));
		else
			score += log(NumericDensity(good, n_good, spec, p, FamilyParamToUnit(spec, config[p])))
				- log(NumericDensity(bad, n_bad, spec, p, FamilyParamToUnit(spec, config[p])));
	}
	return score;
}

/* Sort the usable trials of the highest well-observed fidelity; returns their count. */
static int
CollectObservations(const SearchResult *result, MetricId metric, Observation *obs)
{
	bool		higher = MetricGetInfo(metric)->higher_is_better;
	double		fidelity = 0.0;
	int			n = 0;

	/* the highest fidelity with TPE_STARTUP finished non-baseline trials */
	for (double f = 1.0; f > 1e-4 && fidelity == 0.0; f /= 3.0)
	{
		int			count = 0;

		for (int t = 1; t < result->n_trials; t++)
			count += result->trials[t].status == TRIAL_OK &&
				fabs(result->trials[t].fidelity - f) < 1e-9;
		if (count >= TPE_STARTUP)
			fidelity = f;
	}
	if (fidelity == 0.0)
		return 0;
	for (int t = 1; t < result->n_trials; t++)
	{
		const Trial *trial = &result->trials[t];

		if (trial->status != TRIAL_OK || fabs(trial->fidelity - fidelity) >= 1e-9)
			continue;
		obs[n].trial = trial;
		obs[n++].loss = higher ? -trial->score : trial->score;
	}
	qsort(obs, n, sizeof(Observation), CompareObservations);
	return n;
}

bool
TpePropose(const SearchResult *result, const SearchOptions *options,
		   pg_prng_state *prng, const ModelFamily **family, double *config)
{
	Observation *obs = palloc(sizeof(Observation) * Max(result->n_trials, 1));
	Observation *good_family = palloc(sizeof(Observation) * Max(result->n_trials, 1));
	Observation *bad_family = palloc(sizeof(Observation) * Max(result->n_trials, 1));
	int			n = CollectObservations(result, options->metric, obs);
	int			n_good = Max((int) ceil(GAMMA * n), 1);
	double		best_score = -INFINITY;

	if (n < TPE_STARTUP)
		return false;
	for (int c = 0; c < TPE_CANDIDATES; c++)
	{
		const ModelFamily *candidate;
		double		values[AUTOML_MAX_PARAMS] = {0};
		double		weights[64];
		double		total = 0.0;
		double		draw;
		double		score;
		int			f;
		int			gf;
		int			bf;

		/* the family, from smoothed counts among the good trials */
		for (f = 0; f < options->n_families && f < 64; f++)
		{
			weights[f] = 1.0 + OfFamily(obs, n_good, options->families[f], good_family);
			total += weights[f];
		}
		draw = pg_prng_double(prng) * total;
		for (f = 0; f < options->n_families - 1 && draw >= weights[f]; f++)
			draw -= weights[f];
		candidate = options->families[f];

		gf = OfFamily(obs, n_good, candidate, good_family);
		bf = OfFamily(obs + n_good, n - n_good, candidate, bad_family);
		FamilyDefaultConfig(candidate, values);
		for (int p = 0; p < candidate->n_params; p++)
			if (FamilyParamActive(candidate, values, p, options->task))
				values[p] = SampleParam(good_family, gf, &candidate->params[p], p, prng);

		score = log((weights[f]) / total)
			- log((1.0 + bf) / (n - n_good + options->n_families))
			+ ScoreCandidate(candidate, values, options->task, good_family, gf, bad_family, bf);
		if (score > best_score)
		{
			best_score = score;
			*family = candidate;
			memcpy(config, values, sizeof(double) * AUTOML_MAX_PARAMS);
		}
	}
	pfree(obs);
	pfree(good_family);
	pfree(bad_family);
	return true;
}
