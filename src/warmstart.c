/*
 * warmstart.c
 *		Warm-starting the search from the nearest past tasks.
 *
 * Past tasks of the same kind are the caller's own and the shared prior
 * ones, as row-level security shows them.  automl.warm_start_metric chooses
 * how they are compared with the new task:
 *
 * l1: the L1 distance between min-max-scaled meta-features, averaged over
 *		the meta-features both tasks have, the method of auto-sklearn 1.0
 *		(Feurer et al., "Efficient and robust automated machine learning",
 *		NIPS 2015).
 * simple: the same distance on four simple meta-features (rows, columns,
 *		classes, numeric share), whose nearest task gives the first
 *		configuration.  NOTE: this follows the idea of FLAML's zero-shot
 *		start (1-NN on a few simple meta-features); whether FLAML uses
 *		exactly these four was not checked.
 * learned: the distance between the tasks' embeddings by the encoder that
 *		automl_train_task_encoder trains (encoder.c).
 * portfolio: no distance.  The configurations of the highest mean quality
 *		over all past tasks, a static portfolio.
 * auto: learned once an encoder is trained, else l1.
 *
 * A trial's quality on its task is 0 at the task's baseline and 1 at its
 * best trial.  Candidates are the best TRIALS_PER_NEIGHBOUR configurations
 * of each of the WARM_START_NEIGHBOURS nearest tasks, a task weighing
 * exp(-distance / mean distance).  They are ordered greedily, the way
 * auto-sklearn 2.0 builds its portfolio (Feurer et al., JMLR 23, 2022).
 * The first has the highest weighted sum of qualities over those tasks.
 * Each next one raises most the weighted sum of the best quality reached on
 * each task so far, counting 0 where a task did not try it.  So the list
 * covers the nearest tasks rather than repeating variants of one
 * configuration.  The static portfolio is ordered the same way over all
 * past tasks, each weighing 1.  The list is deduplicated, restricted to the
 * families searched in this run and capped at WARM_START_CONFIGS.
 *
 * With automl.warm_start_adaptive (l1 and learned), that list only fixes
 * how many configurations the search gets.  WarmStartNext chooses them one
 * at a time from a larger candidate set, the best configuration of each of
 * the ADAPTIVE_POOL nearest tasks besides the neighbours' ones, all scored
 * on every pool task.  The first is picked over the nearest tasks as above.
 * Later ones weigh the pool tasks whose qualities of the configurations
 * tried so far look most like the gains the new task showed.  A task that
 * behaves like a past one so follows it even when the meta-features placed
 * it elsewhere.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "encoder.h"
#include "warmstart.h"

#define WARM_START_NEIGHBOURS 8
#define WARM_START_CONFIGS 10
#define TRIALS_PER_NEIGHBOUR 3
/* Trials of a neighbour read to find the candidates' quality there. */
#define TRIALS_READ 200
#define PAST_TASK_LIMIT 2000
/* Number of top configurations by mean quality that the static portfolio orders. */
#define PORTFOLIO_CANDIDATES 40
/* Past tasks the adaptive order scores its candidates on, nearest first. */
#define ADAPTIVE_POOL 200
/* Pool tasks whose qualities best match the new task's scores, which weigh. */
#define ADAPTIVE_MATCHES WARM_START_NEIGHBOURS
/* Families per pool task whose best configuration is a candidate. */
#define FAMILIES_PER_POOL_TASK 2

/* The meta-features the distance and the task encoder use. */
const char *const warm_start_features[] = {
	"log_rows", "log_columns", "columns_per_row", "numeric_share", "missing_share",
	"rows_with_missing_share", "mean_category_levels", "skewness_mean", "kurtosis_mean",
	"target_correlation_mean", "target_correlation_max", "feature_correlation_mean",
	"pca_components_95_share", "pca_first_share", "n_classes", "class_entropy",
	"majority_class_share", "minority_class_share", "target_skewness",
	"mutual_information_mean", "mutual_information_max", "attribute_entropy_mean",
	"landmark_1nn", "landmark_stump", "landmark_naive_bayes", "landmark_linear",
};

#define N_DISTANCE_FEATURES WARM_START_N_FEATURES

/* Positions in warm_start_features of the four features of the simple metric. */
static const int simple_features[] = {0, 1, 14, 3};

StaticAssertDecl(lengthof(warm_start_features) == WARM_START_N_FEATURES,
				 "warm_start_features and WARM_START_N_FEATURES disagree");

/* Read the distance meta-features of a JSON object; NaN where absent or null. */
void
WarmStartReadFeatures(const char *json, double *out)
{
	Jsonb	   *jsonb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));

	for (int f = 0; f < N_DISTANCE_FEATURES; f++)
	{
		JsonbValue	value;

		out[f] = NAN;
		if (getKeyJsonValueFromContainer(&jsonb->root, warm_start_features[f],
										 strlen(warm_start_features[f]), &value) &&
			value.type == jbvNumeric)
			out[f] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														NumericGetDatum(value.val.numeric)));
	}
}

/* Min-max scale every feature over all rows of vectors (n x features). */
static void
MinMaxScale(double *vectors, int n)
{
	for (int f = 0; f < N_DISTANCE_FEATURES; f++)
	{
		double		low = INFINITY;
		double		high = -INFINITY;

		for (int i = 0; i < n; i++)
		{
			double		v = vectors[(Size) i * N_DISTANCE_FEATURES + f];

			if (isfinite(v))
			{
				low = Min(low, v);
				high = Max(high, v);
			}
		}
		for (int i = 0; i < n; i++)
		{
			double	   *v = &vectors[(Size) i * N_DISTANCE_FEATURES + f];

			if (isfinite(*v))
				*v = high > low ? (*v - low) / (high - low) : 0.0;
		}
	}
}

/*
 * Return the mean absolute difference over the features both vectors have.
 * Only the n features listed in features count, or all when it is NULL.
 */
static double
L1Distance(const double *a, const double *b, const int *features, int n)
{
	double		sum = 0.0;
	int			used = 0;

	for (int i = 0; i < n; i++)
	{
		int			f = features ? features[i] : i;

		if (isfinite(a[f]) && isfinite(b[f]))
		{
			sum += fabs(a[f] - b[f]);
			used++;
		}
	}
	return used ? sum / used : INFINITY;
}

typedef struct Neighbour
{
	int			index;
	double		distance;
} Neighbour;

static int
CompareNeighbours(const void *a, const void *b)
{
	const Neighbour *x = a;
	const Neighbour *y = b;

	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return x->index - y->index;
}

/* A configuration read from the catalog, with its quality on one task. */
typedef struct ScoredConfig
{
	const ModelFamily *family;
	double		config[AUTOML_MAX_PARAMS];
	double		quality;
	double		weight;			/* ranking key of a candidate, larger first */
	int			position;		/* order of listing, which breaks ties */
	int			source;			/* adaptive pool task it was first listed from */
} ScoredConfig;

static bool
SameConfig(const ScoredConfig *a, const ScoredConfig *b)
{
	return a->family == b->family &&
		memcmp(a->config, b->config, sizeof(double) * a->family->n_params) == 0;
}

/* Parse past trials into configurations of the searched families. */
static int
ParseTrials(const PastTrial *trials, int n, const ModelFamily **families, int n_families,
			ScoredConfig *out)
{
	int			m = 0;

	for (int t = 0; t < n; t++)
	{
		const ModelFamily *family = FamilyByName(trials[t].algorithm);
		bool		searched = false;

		for (int f = 0; f < n_families; f++)
			searched |= families[f] == family;
		if (!searched)
			continue;
		out[m].family = family;
		FamilyConfigFromJson(family, trials[t].hyperparameters, out[m].config, true);
		out[m].quality = trials[t].quality;
		out[m].weight = 0.0;
		m++;
	}
	return m;
}

/* Add a candidate unless it is listed.  Returns its position in the list. */
static int
AddCandidate(ScoredConfig *list, int *n, const ScoredConfig *candidate)
{
	for (int i = 0; i < *n; i++)
		if (SameConfig(&list[i], candidate))
			return i;
	list[*n] = *candidate;
	list[*n].weight = 0.0;
	list[*n].position = *n;
	return (*n)++;
}

static int
CompareByWeight(const void *a, const void *b)
{
	const ScoredConfig *x = a;
	const ScoredConfig *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return x->position - y->position;
}

/* Copy the first candidates into the warm-start list, up to its cap. */
static void
FillList(WarmStart *ws, const ScoredConfig *candidates, int n)
{
	for (int i = 0; i < n && ws->n < WARM_START_CONFIGS; i++)
	{
		ws->families[ws->n] = candidates[i].family;
		memcpy(ws->configs + (Size) ws->n * AUTOML_MAX_PARAMS, candidates[i].config,
			   sizeof(double) * AUTOML_MAX_PARAMS);
		ws->n++;
	}
}

/* Squared euclidean distances between task embeddings. */
static void
EmbeddingDistances(const TaskEncoder *encoder, const char *meta_json, const PastTask *past,
				   int n_past, Neighbour *order)
{
	double		target[64];
	double		other[64];

	EncoderEmbedJson(encoder, meta_json, target);
	for (int i = 0; i < n_past; i++)
	{
		double		sum = 0.0;

		EncoderEmbedJson(encoder, past[i].meta_features, other);
		for (int o = 0; o < encoder->n_outputs; o++)
			sum += (target[o] - other[o]) * (target[o] - other[o]);
		order[i].index = i;
		order[i].distance = sum;
	}
}

/* Compute L1 distances on min-max-scaled meta-features, all or the simple four. */
static void
MetaFeatureDistances(const char *meta_json, const PastTask *past, int n_past,
					 bool simple, Neighbour *order)
{
	double	   *vectors = palloc(sizeof(double) * (n_past + 1) * N_DISTANCE_FEATURES);

	/* row 0 is the new task, rows 1.. the past tasks */
	WarmStartReadFeatures(meta_json, vectors);
	for (int i = 0; i < n_past; i++)
		WarmStartReadFeatures(past[i].meta_features,
							  vectors + (Size) (i + 1) * N_DISTANCE_FEATURES);
	MinMaxScale(vectors, n_past + 1);
	for (int i = 0; i < n_past; i++)
	{
		order[i].index = i;
		order[i].distance = L1Distance(vectors, vectors + (Size) (i + 1) * N_DISTANCE_FEATURES,
									   simple ? simple_features : NULL,
									   simple ? lengthof(simple_features) : N_DISTANCE_FEATURES);
	}
	pfree(vectors);
}

/* Source tasks of a warm-start list, with the qualities of their best trials. */
typedef struct Sources
{
	int			k;
	double	   *weight;			/* per task */
	ScoredConfig *tried;		/* k x TRIALS_READ, best first */
	int		   *n_read;
} Sources;

/*
 * Read the best trials of the k tasks past[order[j].index].  A task weighs
 * exp(-distance / mean distance), or 1 when every distance is 0.
 */
static void
ReadSources(Sources *sources, const PastTask *past, const Neighbour *order, int k,
			const ModelFamily **families, int n_families)
{
	double		scale = 0.0;

	sources->k = k;
	sources->weight = palloc(sizeof(double) * Max(k, 1));
	sources->tried = palloc(sizeof(ScoredConfig) * TRIALS_READ * Max(k, 1));
	sources->n_read = palloc0(sizeof(int) * Max(k, 1));
	for (int j = 0; j < k; j++)
		scale += order[j].distance / k;
	for (int j = 0; j < k; j++)
	{
		PastTrial  *trials;
		int			n = CatalogBestTrials(past[order[j].index].id, TRIALS_READ, &trials);

		sources->n_read[j] = ParseTrials(trials, n, families, n_families,
										 sources->tried + (Size) j * TRIALS_READ);
		sources->weight[j] = scale > 0.0 ? exp(-order[j].distance / scale) : 1.0;
	}
}

/* Return the quality of a configuration on source task j, or 0 if not among its best trials. */
static double
QualityOn(const Sources *sources, int j, const ScoredConfig *config)
{
	const ScoredConfig *tried = sources->tried + (Size) j * TRIALS_READ;

	for (int t = 0; t < sources->n_read[j]; t++)
		if (SameConfig(config, &tried[t]))
			return tried[t].quality;
	return 0.0;
}

/*
 * Order the first WARM_START_CONFIGS candidates greedily.  Each next one adds
 * the most to the weighted sum over the source tasks of the best quality
 * reached on each, so the first has the highest weighted quality.  Ties and
 * the candidates after them follow by weighted quality.
 */
static void
GreedyOrder(ScoredConfig *candidates, int n, const Sources *sources)
{
	int			k = sources->k;
	double	   *quality = palloc(sizeof(double) * Max(n, 1) * Max(k, 1));
	double	   *reached = palloc0(sizeof(double) * Max(k, 1));
	bool	   *taken = palloc0(sizeof(bool) * Max(n, 1));
	ScoredConfig *ordered = palloc(sizeof(ScoredConfig) * Max(n, 1));
	int			n_ordered = 0;

	/* a candidate's row of qualities is found by its position, which qsort keeps */
	for (int c = 0; c < n; c++)
	{
		double	   *row = quality + (Size) candidates[c].position * k;

		Assert(candidates[c].position >= 0 && candidates[c].position < n);
		candidates[c].weight = 0.0;
		for (int j = 0; j < k; j++)
		{
			row[j] = QualityOn(sources, j, &candidates[c]);
			candidates[c].weight += sources->weight[j] * row[j];
		}
	}
	qsort(candidates, n, sizeof(ScoredConfig), CompareByWeight);

	while (n_ordered < Min(n, WARM_START_CONFIGS))
	{
		int			best = -1;
		double		best_gain = 0.0;

		for (int c = 0; c < n; c++)
		{
			double		gain = 0.0;

			if (taken[c])
				continue;
			for (int j = 0; j < k; j++)
				gain += sources->weight[j] *
					Max(quality[(Size) candidates[c].position * k + j] - reached[j], 0.0);
			if (best < 0 || gain > best_gain)
			{
				best = c;
				best_gain = gain;
			}
		}
		taken[best] = true;
		ordered[n_ordered++] = candidates[best];
		for (int j = 0; j < k; j++)
			reached[j] = Max(reached[j], quality[(Size) candidates[best].position * k + j]);
	}
	for (int c = 0; c < n; c++)
		if (!taken[c])
			ordered[n_ordered++] = candidates[c];
	memcpy(candidates, ordered, sizeof(ScoredConfig) * n);
	pfree(quality);
	pfree(reached);
	pfree(taken);
	pfree(ordered);
}

/*
 * List the best TRIALS_PER_NEIGHBOUR configurations of each of the k nearest
 * tasks.  The simple metric keeps them by nearest task, then by each task's
 * best first.  The other metrics order them greedily over the k tasks.
 */
static int
RankCandidates(const PastTask *past, const Neighbour *order, int k, bool simple,
			   const ModelFamily **families, int n_families, ScoredConfig *candidates,
			   int *per_task)
{
	Sources		sources;
	int			n = 0;

	ReadSources(&sources, past, order, k, families, n_families);
	for (int j = 0; j < k; j++)
	{
		int			before = n;

		for (int t = 0; t < Min(sources.n_read[j], TRIALS_PER_NEIGHBOUR); t++)
			AddCandidate(candidates, &n, &sources.tried[(Size) j * TRIALS_READ + t]);
		per_task[j] = n - before;
	}
	if (!simple)
		GreedyOrder(candidates, n, &sources);
	return n;
}

/*
 * Fill the list from a static portfolio.  The configurations of the highest
 * mean quality over all past tasks are ordered greedily over those tasks.
 */
static void
PortfolioStart(WarmStart *ws, TaskKind task, const ModelFamily **families, int n_families)
{
	PastTrial  *trials;
	int			n_tasks;
	int			n = CatalogPortfolio(TaskKindName(task), PORTFOLIO_CANDIDATES, &trials,
									 &n_tasks);
	ScoredConfig *candidates = palloc(sizeof(ScoredConfig) * Max(n, 1));
	PastTask   *past;
	int			n_past = CatalogPastTasks(TaskKindName(task), PAST_TASK_LIMIT, &past);
	Neighbour  *every_task = palloc0(sizeof(Neighbour) * Max(n_past, 1));
	Sources		sources;
	StringInfoData json;

	n = ParseTrials(trials, n, families, n_families, candidates);
	for (int i = 0; i < n; i++)
		candidates[i].position = i;
	for (int i = 0; i < n_past; i++)
		every_task[i].index = i;
	ReadSources(&sources, past, every_task, n_past, families, n_families);
	GreedyOrder(candidates, n, &sources);
	FillList(ws, candidates, n);
	ws->n_neighbours = n_tasks;
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int i = 0; i < ws->n; i++)
		appendStringInfo(&json, "%s{\"algorithm\": \"%s\", \"hyperparameters\": %s, "
						 "\"mean_quality\": %.4f}", i ? ", " : "", candidates[i].family->name,
						 FamilyConfigToJsonForTask(candidates[i].family, candidates[i].config, task),
						 candidates[i].weight / Max(n_past, 1));
	appendStringInfoChar(&json, ']');
	ws->neighbours_json = json.data;
	ws->description = psprintf("a static portfolio over %d past %s", n_tasks,
							   n_tasks == 1 ? "task" : "tasks");
}

/*
 * The adaptive order: every candidate's quality on a pool of past tasks, so
 * that each next configuration can follow the tasks whose qualities look
 * like the scores the new task has shown so far.
 */
struct WarmStartAdaptive
{
	int			n_tasks;		/* pool, nearest first */
	int			n_near;			/* the nearest ones, which weigh at the start */
	int			n_candidates;
	ScoredConfig *candidates;
	double	   *quality;		/* n_candidates x n_tasks */
	double	   *prior;			/* per task: exp(-distance / scale) */
	bool	   *used;			/* per candidate */
	int		   *chosen;			/* candidates handed out, in order */
	int			n_chosen;
	int64	   *task_ids;		/* per pool task, for the catalog */
	char	  **relations;
	double	   *distance;
};

/*
 * Add the candidates of pool task j: its keep best configurations of any
 * family, and its best configuration of each of its FAMILIES_PER_POOL_TASK
 * best families.
 */
static void
AddPoolCandidates(WarmStartAdaptive *ad, const Sources *sources, int j, int keep)
{
	const ScoredConfig *tried = sources->tried + (Size) j * TRIALS_READ;
	const ModelFamily *seen[FAMILIES_PER_POOL_TASK];
	int			n_seen = 0;

	for (int t = 0; t < sources->n_read[j]; t++)
	{
		bool		new_family = n_seen < FAMILIES_PER_POOL_TASK;
		int			before = ad->n_candidates;
		int			c;

		if (t >= keep && !new_family)
			break;
		for (int f = 0; f < n_seen && new_family; f++)
			new_family = seen[f] != tried[t].family;
		if (t >= keep && !new_family)
			continue;
		if (new_family)
			seen[n_seen++] = tried[t].family;
		c = AddCandidate(ad->candidates, &ad->n_candidates, &tried[t]);
		if (c == before)
			ad->candidates[c].source = j;
	}
}

/*
 * Score the candidates of the ADAPTIVE_POOL nearest tasks on every pool
 * task: each one's best configuration of each of its best families, and the
 * best TRIALS_PER_NEIGHBOUR of the k nearest.
 */
static WarmStartAdaptive *
AdaptiveBuild(const PastTask *past, const Neighbour *order, int n_past, int k,
			  const ModelFamily **families, int n_families)
{
	WarmStartAdaptive *ad = palloc0(sizeof(WarmStartAdaptive));
	int			pool = Min(n_past, ADAPTIVE_POOL);
	double		scale = 0.0;
	Sources		sources;

	ReadSources(&sources, past, order, pool, families, n_families);
	ad->n_tasks = pool;
	ad->n_near = k;
	ad->candidates = palloc(sizeof(ScoredConfig) *
							(pool * FAMILIES_PER_POOL_TASK + k * TRIALS_PER_NEIGHBOUR + 1));
	for (int j = 0; j < pool; j++)
		AddPoolCandidates(ad, &sources, j, j < k ? TRIALS_PER_NEIGHBOUR : 1);
	ad->task_ids = palloc(sizeof(int64) * Max(pool, 1));
	ad->relations = palloc(sizeof(char *) * Max(pool, 1));
	ad->distance = palloc(sizeof(double) * Max(pool, 1));
	for (int j = 0; j < pool; j++)
	{
		ad->task_ids[j] = past[order[j].index].id;
		ad->relations[j] = pstrdup(past[order[j].index].relation);
		ad->distance[j] = order[j].distance;
	}
	ad->quality = palloc(sizeof(double) * Max(ad->n_candidates, 1) * Max(pool, 1));
	for (int c = 0; c < ad->n_candidates; c++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < pool; j++)
			ad->quality[(Size) c * pool + j] = QualityOn(&sources, j, &ad->candidates[c]);
	}
	for (int j = 0; j < k; j++)
		scale += order[j].distance / k;
	ad->prior = palloc(sizeof(double) * Max(pool, 1));
	for (int j = 0; j < pool; j++)
	{
		if (!isfinite(order[j].distance))
			ad->prior[j] = 0.0; /* no meta-feature in common */
		else
			ad->prior[j] = scale > 0.0 ? exp(-order[j].distance / scale) : 1.0;
	}
	ad->used = palloc0(sizeof(bool) * Max(ad->n_candidates, 1));
	ad->chosen = palloc(sizeof(int) * WARM_START_CONFIGS);
	pfree(sources.tried);
	pfree(sources.n_read);
	pfree(sources.weight);
	return ad;
}

/*
 * Weigh the pool tasks by how well their qualities of the configurations
 * handed out so far match the gains observed on the new task, both scaled
 * to 1 at their best.  The ADAPTIVE_MATCHES closest weigh
 * exp(-d / mean d) * sqrt(prior), the others 0.
 */
static void
AdaptiveWeights(const WarmStartAdaptive *ad, const double *gains, double *weight)
{
	int			n = ad->n_tasks;
	int			m = Min(ADAPTIVE_MATCHES, n);
	Neighbour  *match = palloc(sizeof(Neighbour) * Max(n, 1));
	double		top = 0.0;
	double		scale = 0.0;

	for (int i = 0; i < ad->n_chosen; i++)
		top = Max(top, gains[i]);
	for (int j = 0; j < n; j++)
	{
		double		best_here = 0.0;
		double		d = 0.0;

		for (int i = 0; i < ad->n_chosen; i++)
			best_here = Max(best_here, ad->quality[(Size) ad->chosen[i] * n + j]);
		for (int i = 0; i < ad->n_chosen; i++)
		{
			double		seen = top > 0.0 ? gains[i] / top : 0.0;
			double		here = best_here > 0.0
				? ad->quality[(Size) ad->chosen[i] * n + j] / best_here : 0.0;

			d += (seen - here) * (seen - here) / ad->n_chosen;
		}
		match[j].index = j;
		match[j].distance = d;
		weight[j] = 0.0;
	}
	qsort(match, n, sizeof(Neighbour), CompareNeighbours);
	for (int j = 0; j < m; j++)
		scale += match[j].distance / m;
	for (int j = 0; j < m; j++)
		weight[match[j].index] = (scale > 0.0 ? exp(-match[j].distance / scale) : 1.0) *
			sqrt(ad->prior[match[j].index]);
	pfree(match);
}

/*
 * Return the unused candidate that most raises the weighted sum over the
 * pool of the best quality reached on each task, or -1 when none is left.
 * Ties go to the higher weighted quality, then to the earlier candidate.
 */
static int
AdaptivePick(const WarmStartAdaptive *ad, const double *weight)
{
	int			n = ad->n_tasks;
	double	   *reached = palloc0(sizeof(double) * Max(n, 1));
	int			best = -1;
	double		best_gain = 0.0;
	double		best_sum = 0.0;

	for (int i = 0; i < ad->n_chosen; i++)
		for (int j = 0; j < n; j++)
			reached[j] = Max(reached[j], ad->quality[(Size) ad->chosen[i] * n + j]);
	for (int c = 0; c < ad->n_candidates; c++)
	{
		const double *row = ad->quality + (Size) c * n;
		double		gain = 0.0;
		double		sum = 0.0;

		if (ad->used[c])
			continue;
		for (int j = 0; j < n; j++)
		{
			gain += weight[j] * Max(row[j] - reached[j], 0.0);
			sum += weight[j] * row[j];
		}
		if (best < 0 || gain > best_gain || (gain == best_gain && sum > best_sum))
		{
			best = c;
			best_gain = gain;
			best_sum = sum;
		}
	}
	pfree(reached);
	return best;
}

bool
WarmStartNext(WarmStart *ws, const double *gains, int n_gains,
			  const ModelFamily **family, double *config)
{
	WarmStartAdaptive *ad = ws->adaptive;
	double	   *weight;
	int			c;

	if (ad == NULL || ad->n_chosen >= ws->n || n_gains != ad->n_chosen)
		return false;
	weight = palloc0(sizeof(double) * Max(ad->n_tasks, 1));
	if (ad->n_chosen == 0)
		memcpy(weight, ad->prior, sizeof(double) * ad->n_near);
	else
		AdaptiveWeights(ad, gains, weight);
	c = AdaptivePick(ad, weight);
	pfree(weight);
	if (c < 0)
		return false;
	ad->used[c] = true;
	ad->chosen[ad->n_chosen++] = c;
	*family = ad->candidates[c].family;
	memcpy(config, ad->candidates[c].config, sizeof(double) * AUTOML_MAX_PARAMS);
	return true;
}

char *
WarmStartCatalogJson(const WarmStart *ws)
{
	const WarmStartAdaptive *ad = ws->adaptive;
	int		   *tried;
	StringInfoData json;
	bool		first = true;

	if (ad == NULL)
		return ws->neighbours_json;
	tried = palloc0(sizeof(int) * Max(ad->n_tasks, 1));
	for (int i = 0; i < ad->n_chosen; i++)
		tried[ad->candidates[ad->chosen[i]].source]++;
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int j = 0; j < ad->n_tasks; j++)
	{
		if (j >= ad->n_near && tried[j] == 0)
			continue;
		appendStringInfo(&json, "%s{\"task\": " INT64_FORMAT ", \"relation\": ",
						 first ? "" : ", ", ad->task_ids[j]);
		escape_json(&json, ad->relations[j]);
		appendStringInfo(&json, ", \"distance\": %.4f, \"nearest\": %s, \"tried\": %d}",
						 ad->distance[j], j < ad->n_near ? "true" : "false", tried[j]);
		first = false;
	}
	appendStringInfoChar(&json, ']');
	pfree(tried);
	return json.data;
}

void
WarmStartReportSources(const WarmStart *ws)
{
	const WarmStartAdaptive *ad = ws->adaptive;
	int		   *tried;
	int			n_sources = 0;
	StringInfoData list;

	if (ad == NULL || ad->n_chosen == 0)
		return;
	tried = palloc0(sizeof(int) * Max(ad->n_tasks, 1));
	for (int i = 0; i < ad->n_chosen; i++)
		tried[ad->candidates[ad->chosen[i]].source]++;
	initStringInfo(&list);
	for (int j = 0; j < ad->n_tasks; j++)
	{
		if (tried[j] == 0)
			continue;
		appendStringInfo(&list, "%s%s (%d%s)", n_sources > 0 ? ", " : "", ad->relations[j],
						 tried[j], j < ad->n_near ? ", nearest" : "");
		n_sources++;
	}
	ereport(NOTICE,
			(errmsg("automl: the warm start tried %d %s from %d past %s",
					ad->n_chosen, ad->n_chosen == 1 ? "configuration" : "configurations",
					n_sources, n_sources == 1 ? "task" : "tasks"),
			 errdetail("Configurations per past task: %s.", list.data)));
	pfree(tried);
	pfree(list.data);
}

/* Return the metric automl.warm_start_metric sets, with auto resolved. */
static WarmStartMetric
ChosenMetric(const TaskEncoder *encoder)
{
	WarmStartMetric metric = (WarmStartMetric) automl_warm_start_metric;

	if (metric == WARM_METRIC_AUTO)
		return encoder ? WARM_METRIC_LEARNED : WARM_METRIC_L1;
	if (metric == WARM_METRIC_LEARNED && encoder == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no task encoder is trained"),
				 errdetail("automl.warm_start_metric is \"learned\" and automl.meta_models is empty."),
				 errhint("Run SELECT automl_train_task_encoder(), or set automl.warm_start_metric to auto.")));
	return metric;
}

const char *
WarmStartMetricName(WarmStartMetric metric)
{
	switch (metric)
	{
		case WARM_METRIC_AUTO:
			return "auto";
		case WARM_METRIC_L1:
			return "l1";
		case WARM_METRIC_SIMPLE:
			return "simple";
		case WARM_METRIC_LEARNED:
			return "learned";
		case WARM_METRIC_PORTFOLIO:
			return "portfolio";
	}
	return "unknown";
}

static const char *
MetricLabel(WarmStartMetric metric)
{
	switch (metric)
	{
		case WARM_METRIC_LEARNED:
			return "learned task metric";
		case WARM_METRIC_SIMPLE:
			return "four simple meta-features";
		default:
			return "L1 on meta-features";
	}
}

/* Return the neighbours as the JSON list the NOTICE and the catalog report. */
static char *
NeighboursJson(const PastTask *past, const Neighbour *order, int k, const int *per_task)
{
	StringInfoData json;

	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int j = 0; j < k; j++)
	{
		appendStringInfo(&json, "%s{\"task\": " INT64_FORMAT ", \"relation\": ",
						 j ? ", " : "", past[order[j].index].id);
		escape_json(&json, past[order[j].index].relation);
		appendStringInfo(&json, ", \"distance\": %.4f", order[j].distance);
		if (per_task)
			appendStringInfo(&json, ", \"configurations\": %d", per_task[j]);
		appendStringInfoChar(&json, '}');
	}
	appendStringInfoChar(&json, ']');
	return json.data;
}

WarmStart *
WarmStartFind(const char *meta_json, TaskKind task, const ModelFamily **families,
			  int n_families)
{
	WarmStart  *ws = palloc0(sizeof(WarmStart));
	TaskEncoder *encoder = EncoderLoadLatest();
	WarmStartMetric metric = ChosenMetric(encoder);
	PastTask   *past;
	int			n_past;
	int			k;
	Neighbour  *order;
	ScoredConfig *candidates;
	int		   *per_task;
	int			n;

	ws->families = palloc(sizeof(ModelFamily *) * WARM_START_CONFIGS);
	ws->configs = palloc0(sizeof(double) * WARM_START_CONFIGS * AUTOML_MAX_PARAMS);
	ws->metric = metric;
	if (metric == WARM_METRIC_PORTFOLIO)
	{
		PortfolioStart(ws, task, families, n_families);
		return ws;
	}
	n_past = CatalogPastTasks(TaskKindName(task), PAST_TASK_LIMIT, &past);
	order = palloc(sizeof(Neighbour) * Max(n_past, 1));
	if (metric == WARM_METRIC_LEARNED)
		EmbeddingDistances(encoder, meta_json, past, n_past, order);
	else
		MetaFeatureDistances(meta_json, past, n_past, metric == WARM_METRIC_SIMPLE, order);
	qsort(order, n_past, sizeof(Neighbour), CompareNeighbours);

	k = Min(n_past, WARM_START_NEIGHBOURS);
	candidates = palloc(sizeof(ScoredConfig) * Max(k * TRIALS_PER_NEIGHBOUR, 1));
	per_task = palloc0(sizeof(int) * Max(k, 1));
	n = RankCandidates(past, order, k, metric == WARM_METRIC_SIMPLE, families, n_families,
					   candidates, per_task);
	FillList(ws, candidates, n);
	ws->n_neighbours = k;
	if (automl_warm_start_adaptive && metric != WARM_METRIC_SIMPLE && n > 0)
		ws->adaptive = AdaptiveBuild(past, order, n_past, k, families, n_families);
	/* an adaptive start does not hand out the fixed list, so no counts */
	ws->neighbours_json = NeighboursJson(past, order, k, ws->adaptive ? NULL : per_task);
	ws->description = psprintf("the %d nearest past %s (%s%s)", k, k == 1 ? "task" : "tasks",
							   MetricLabel(metric), ws->adaptive ? ", adaptive" : "");
	return ws;
}
