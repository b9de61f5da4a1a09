/*
 * warmstart.c
 *		Warm-starting the search from the nearest past tasks.
 *
 * Past tasks of the same kind are the caller's own and the shared prior
 * ones, as row-level security shows them.  Each is compared with the new
 * task by the L1 distance between their min-max-scaled meta-features,
 * averaged over the meta-features both have.  This is the method of
 * auto-sklearn 1.0 (Feurer et al., "Efficient and robust automated machine
 * learning", NIPS 2015).  The
 * best configurations of the WARM_START_NEIGHBOURS nearest tasks, nearest
 * task first, become the search's first proposals, deduplicated and capped
 * at WARM_START_CONFIGS.  Configurations of families not searched in this
 * run are skipped.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "warmstart.h"

#define WARM_START_NEIGHBOURS 5
#define WARM_START_CONFIGS 5
#define TRIALS_PER_NEIGHBOUR 2
#define PAST_TASK_LIMIT 2000

/* The meta-features the distance uses. */
static const char *const distance_features[] = {
	"log_rows", "log_columns", "columns_per_row", "numeric_share", "missing_share",
	"rows_with_missing_share", "mean_category_levels", "skewness_mean", "kurtosis_mean",
	"target_correlation_mean", "target_correlation_max", "feature_correlation_mean",
	"pca_components_95_share", "pca_first_share", "n_classes", "class_entropy",
	"majority_class_share", "minority_class_share", "target_skewness",
	"mutual_information_mean", "mutual_information_max", "attribute_entropy_mean",
	"landmark_1nn", "landmark_stump", "landmark_naive_bayes", "landmark_linear",
};

#define N_DISTANCE_FEATURES lengthof(distance_features)

/* Read the distance meta-features of a JSON object; NaN where absent or null. */
static void
ReadFeatures(const char *json, double *out)
{
	Jsonb	   *jsonb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));

	for (int f = 0; f < N_DISTANCE_FEATURES; f++)
	{
		JsonbValue	value;

		out[f] = NAN;
		if (getKeyJsonValueFromContainer(&jsonb->root, distance_features[f],
										 strlen(distance_features[f]), &value) &&
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

/* Mean absolute difference over the features both vectors have. */
static double
L1Distance(const double *a, const double *b)
{
	double		sum = 0.0;
	int			used = 0;

	for (int f = 0; f < N_DISTANCE_FEATURES; f++)
		if (isfinite(a[f]) && isfinite(b[f]))
		{
			sum += fabs(a[f] - b[f]);
			used++;
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

/* True when the configuration is already in the warm-start list. */
static bool
AlreadyListed(const WarmStart *ws, const ModelFamily *family, const double *config)
{
	for (int i = 0; i < ws->n; i++)
		if (ws->families[i] == family &&
			memcmp(ws->configs + (Size) i * AUTOML_MAX_PARAMS, config,
				   sizeof(double) * AUTOML_MAX_PARAMS) == 0)
			return true;
	return false;
}

/* Add a neighbour's best configurations of searched families. */
static void
AddNeighbourConfigs(WarmStart *ws, int64 task_id, const ModelFamily **families,
					int n_families)
{
	PastTrial  *trials;
	int			n = CatalogBestTrials(task_id, TRIALS_PER_NEIGHBOUR, &trials);

	for (int t = 0; t < n && ws->n < WARM_START_CONFIGS; t++)
	{
		const ModelFamily *family = FamilyByName(trials[t].algorithm);
		double		config[AUTOML_MAX_PARAMS] = {0};
		bool		searched = false;

		for (int f = 0; f < n_families; f++)
			searched |= families[f] == family;
		if (!searched)
			continue;
		FamilyConfigFromJson(family, trials[t].hyperparameters, config, true);
		if (AlreadyListed(ws, family, config))
			continue;
		ws->families[ws->n] = family;
		memcpy(ws->configs + (Size) ws->n * AUTOML_MAX_PARAMS, config, sizeof(config));
		ws->n++;
	}
}

WarmStart *
WarmStartFind(const char *meta_json, TaskKind task, const ModelFamily **families,
			  int n_families)
{
	WarmStart  *ws = palloc0(sizeof(WarmStart));
	PastTask   *past;
	int			n_past = CatalogPastTasks(TaskKindName(task), PAST_TASK_LIMIT, &past);
	double	   *vectors = palloc(sizeof(double) * (n_past + 1) * N_DISTANCE_FEATURES);
	Neighbour  *order = palloc(sizeof(Neighbour) * Max(n_past, 1));
	StringInfoData json;

	ws->families = palloc(sizeof(ModelFamily *) * WARM_START_CONFIGS);
	ws->configs = palloc0(sizeof(double) * WARM_START_CONFIGS * AUTOML_MAX_PARAMS);
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');

	/* row 0 is the new task, rows 1.. the past tasks */
	ReadFeatures(meta_json, vectors);
	for (int i = 0; i < n_past; i++)
		ReadFeatures(past[i].meta_features, vectors + (Size) (i + 1) * N_DISTANCE_FEATURES);
	MinMaxScale(vectors, n_past + 1);
	for (int i = 0; i < n_past; i++)
	{
		order[i].index = i;
		order[i].distance = L1Distance(vectors, vectors + (Size) (i + 1) * N_DISTANCE_FEATURES);
	}
	qsort(order, n_past, sizeof(Neighbour), CompareNeighbours);

	for (int k = 0; k < Min(n_past, WARM_START_NEIGHBOURS) && ws->n < WARM_START_CONFIGS; k++)
	{
		const PastTask *neighbour = &past[order[k].index];
		int			before = ws->n;

		AddNeighbourConfigs(ws, neighbour->id, families, n_families);
		appendStringInfo(&json, "%s{\"task\": " INT64_FORMAT ", \"relation\": ",
						 k ? ", " : "", neighbour->id);
		escape_json(&json, neighbour->relation);
		appendStringInfo(&json, ", \"distance\": %.4f, \"configurations\": %d}",
						 order[k].distance, ws->n - before);
		ws->n_neighbours++;
	}
	appendStringInfoChar(&json, ']');
	ws->neighbours_json = json.data;
	return ws;
}
