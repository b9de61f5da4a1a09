/*
 * family_knn.c
 *		k-nearest neighbours for classification and regression.
 *
 * Algorithm: the model stores its training rows (already imputed, encoded
 * and standardised, family.h).  A query row x gets the k stored rows t_j
 * closest to it, under the euclidean distance sqrt(sum_c (x_c - t_jc)^2) or
 * the manhattan distance sum_c |x_c - t_jc|; equal distances go to the
 * lower training row index.  Each neighbour votes with its row weight w_j
 * ("uniform") or with w_j / d_j ("distance").  When some neighbours are at
 * distance zero, only those vote, with their row weights.  Classification
 * returns the votes of each class divided by the total (class
 * probabilities); regression returns the vote-weighted mean of the
 * neighbours' targets.  This is the k-nearest-neighbour rule of Cover and
 * Hart, "Nearest neighbor pattern classification" (IEEE Trans. Information
 * Theory, 1967), with the usual distance weighting.  There is no objective,
 * no iteration and so no stopping rule: fitting copies rows.
 *
 * Storage is bounded: when the rows times columns of the training data
 * exceed KNN_MAX_STORED_VALUES, the model keeps a seeded stratified
 * subsample of floor(KNN_MAX_STORED_VALUES / columns) rows (KnnSubsample),
 * and describe reports it.
 *
 * Search: query rows are processed in blocks sized so the block's distance
 * matrix holds at most KNN_BLOCK_VALUES doubles (or one query's distances
 * when the stored rows alone exceed that).  For the euclidean distance the
 * block's squared distances come from ||x||^2 + ||t||^2 - 2 x.t, with the
 * dot products from one matrix product (OpenBLAS dgemm).  That expansion
 * suffers rounding, so it only preselects.  A bounded max-heap keeps the k
 * smallest expanded values.  Every row whose value lies within a rounding
 * allowance of the k-th is then recomputed by direct summation, and a second
 * heap picks the k smallest exact distances.  The result is the same as an
 * exact search and deterministic, and an exact duplicate of a stored row is
 * at distance exactly zero.  The manhattan distance is summed directly.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "family.h"
#include "linalg.h"

/* Index of each hyperparameter in the config vector. */
#define KNN_PARAM_NEIGHBORS		0
#define KNN_PARAM_WEIGHTS		1
#define KNN_PARAM_METRIC		2

#define KNN_WEIGHTS_UNIFORM		0
#define KNN_WEIGHTS_DISTANCE	1

#define KNN_METRIC_EUCLIDEAN	0
#define KNN_METRIC_MANHATTAN	1

/*
 * Maximum number of values (stored rows times columns) a model keeps:
 * 2,000,000 doubles, 16 MB.  Prediction costs rows x columns per query row,
 * so the bound also caps the cost of one prediction.  A build may override
 * it with -D.
 */
#ifndef KNN_MAX_STORED_VALUES
#define KNN_MAX_STORED_VALUES	2000000
#endif

/* Maximum number of distances (stored rows times query rows) in one block. */
#define KNN_BLOCK_VALUES		(1 << 20)

#define KNN_MAX_NEIGHBORS		1000
#define KNN_MAX_OUTPUTS			100000

/*
 * Rounding allowance of the expanded squared distance.  For dot products of
 * length p the computed value differs from the exact one by at most
 * gamma_p sum_c |a_c b_c| with gamma_p ~ p eps, so ||x||^2 + ||t||^2 - 2 x.t
 * and the directly summed sum_c (x_c - t_c)^2 each lie within about
 * (2 p + 4) eps (||x||^2 + ||t||^2) of the exact squared distance.  A row
 * belongs to the exact k nearest only if its expanded value is at most the
 * k-th expanded value plus twice that error, so the allowance is
 * 2 * KNN_ROUNDING_FACTOR * (p + 2) * eps * (||x||^2 + max ||t||^2), with
 * KNN_ROUNDING_FACTOR = 4 leaving a factor 2 of slack.
 */
#define KNN_ROUNDING_FACTOR		4.0

static const char *const knn_weight_choices[] = {"uniform", "distance"};
static const char *const knn_metric_choices[] = {"euclidean", "manhattan"};

static const ParamSpec knn_params[] = {
	{"n_neighbors", PARAM_INT, 1, 50, 5, NULL, 0, 1, KNN_MAX_NEIGHBORS},
	{"weights", PARAM_CHOICE, 0, 1, KNN_WEIGHTS_UNIFORM,
	knn_weight_choices, lengthof(knn_weight_choices)},
	{"p", PARAM_CHOICE, 0, 1, KNN_METRIC_EUCLIDEAN,
	knn_metric_choices, lengthof(knn_metric_choices)},
};

typedef struct KnnModel
{
	TaskKind	task;
	int			n_outputs;		/* classes, or 1 for regression */
	int			n_cols;
	int			n_rows;			/* stored rows */
	int			n_source_rows;	/* training rows with positive weight */
	int			n_neighbors;
	int			weighting;		/* KNN_WEIGHTS_* */
	int			metric;			/* KNN_METRIC_* */
	double	   *x;				/* row-major n_rows x n_cols: row j at x + j * n_cols */
	double	   *y;				/* target value or class index of each stored row */
	double	   *w;				/* positive weight of each stored row */
	double	   *sq_norm;		/* ||t_j||^2 of each stored row, derived */
	double		max_sq_norm;	/* largest sq_norm, derived */
} KnnModel;

/* One candidate neighbour: a distance and a stored row index. */
typedef struct KnnNeighbor
{
	double		dist;
	int			index;
} KnnNeighbor;

/*
 * The k best candidates seen so far, as a max-heap under NeighborAfter:
 * items[0] is the candidate that would be dropped first.
 */
typedef struct KnnHeap
{
	KnnNeighbor *items;
	int			size;
	int			capacity;
} KnnHeap;

/* Buffers for predicting one block of query rows. */
typedef struct KnnWorkspace
{
	int			block_rows;
	double	   *queries;		/* row-major block_rows x n_cols */
	double	   *query_sq_norm;	/* block_rows values */
	double	   *dist;			/* n_rows x block_rows, column-major */
	KnnHeap		heap;
	double	   *vote;			/* voting weight of each heap item */
} KnnWorkspace;


/* Training */

static inline double
KnnRowWeight(const TrainData *data, int row)
{
	return data->weights ? data->weights[row] : 1.0;
}

/*
 * Raise an error unless the task and the column count fit, the class labels
 * are in range and the row weights are finite and non-negative with a
 * positive sum.
 */
static void
KnnCheckTrainData(const TrainData *data)
{
	if (data->task == TASK_CLASSIFICATION &&
		(data->n_classes < 1 || data->n_classes > KNN_MAX_OUTPUTS))
		elog(ERROR, "knn: cannot fit a classification task with %d classes",
			 data->n_classes);
	if (data->n_cols > KNN_MAX_STORED_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("k-nearest neighbours cannot store rows of %d columns",
						data->n_cols),
				 errdetail("A model stores at most %d values.", KNN_MAX_STORED_VALUES),
				 errhint("Reduce the number of one-hot encoded levels, or use another algorithm.")));
	for (int i = 0; i < data->n_rows; i++)
	{
		double		y = data->y[i];

		if (data->task == TASK_CLASSIFICATION &&
			(!(y >= 0.0 && y < data->n_classes) || y != floor(y)))
			elog(ERROR, "knn: class label %g of row %d is outside 0..%d",
				 y, i + 1, data->n_classes - 1);
	}
	(void) FamilyTotalWeight(data);
}

/* Maximum number of rows a model with n_cols columns may store. */
static int
KnnMaxStoredRows(int n_cols)
{
	return Max(1, KNN_MAX_STORED_VALUES / Max(n_cols, 1));
}

/* qsort_arg order of row indices by target (arg), then by index. */
static int
CompareRowsByTarget(const void *a, const void *b, void *arg)
{
	const double *y = arg;
	int			ra = *(const int *) a;
	int			rb = *(const int *) b;

	if (y[ra] != y[rb])
		return y[ra] < y[rb] ? -1 : 1;
	return (ra > rb) - (ra < rb);
}

static int
CompareInts(const void *a, const void *b)
{
	int			ia = *(const int *) a;
	int			ib = *(const int *) b;

	return (ia > ib) - (ia < ib);
}

/*
 * Keep m of the n row indices in rows (m < n), in place, in increasing
 * order.  The sample is stratified on the target.  The rows are sorted by
 * class index or target value (ties by row index), and the sorted order is
 * cut into m strata of floor(n / m) or ceil(n / m) consecutive rows.  One
 * row is drawn uniformly from each stratum with a generator seeded from
 * seed.  Every class thus keeps its share of the rows to within one, and a
 * regression sample spans the target's range.
 */
static void
KnnSubsample(const TrainData *data, int *rows, int n, int m, uint64 seed)
{
	pg_prng_state prng;

	pg_prng_seed(&prng, seed);
	qsort_arg(rows, n, sizeof(int), CompareRowsByTarget, (void *) data->y);
	for (int s = 0; s < m; s++)
	{
		int64		low = (int64) s * n / m;
		int64		high = (int64) (s + 1) * n / m;

		rows[s] = rows[low + (int64) pg_prng_uint64_range(&prng, 0, high - low - 1)];
	}
	qsort(rows, m, sizeof(int), CompareInts);
}

/* Set the derived squared norms of the stored rows. */
static void
KnnComputeNorms(KnnModel *model)
{
	model->sq_norm = AutomlAllocDoubles(model->n_rows, "k-nearest neighbours norms");
	model->max_sq_norm = 0.0;
	for (int j = 0; j < model->n_rows; j++)
	{
		const double *t = model->x + (Size) j * model->n_cols;
		double		sum = 0.0;

		for (int c = 0; c < model->n_cols; c++)
			sum += t[c] * t[c];
		model->sq_norm[j] = sum;
		model->max_sq_norm = Max(model->max_sq_norm, sum);
	}
}

/* Copy the chosen training rows into the model, transposed to row-major. */
static void
KnnStoreRows(KnnModel *model, const TrainData *data, const int *rows)
{
	int			p = data->n_cols;

	model->x = AutomlAllocDoubles(mul_size(model->n_rows, Max(p, 1)),
								  "k-nearest neighbours stored rows");
	model->y = AutomlAllocDoubles(model->n_rows, "k-nearest neighbours targets");
	model->w = AutomlAllocDoubles(model->n_rows, "k-nearest neighbours weights");
	for (int c = 0; c < p; c++)
	{
		const double *column = data->x + (Size) c * data->n_rows;

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < model->n_rows; j++)
			model->x[(Size) j * p + c] = column[rows[j]];
	}
	for (int j = 0; j < model->n_rows; j++)
	{
		model->y[j] = data->y[rows[j]];
		model->w[j] = KnnRowWeight(data, rows[j]);
	}
}

/* Copy the hyperparameters into the model; the registry checked their ranges. */
static void
KnnReadConfig(KnnModel *model, const double *config)
{
	model->n_neighbors = (int) config[KNN_PARAM_NEIGHBORS];
	model->weighting = (int) config[KNN_PARAM_WEIGHTS];
	model->metric = (int) config[KNN_PARAM_METRIC];
	if (model->n_neighbors < 1 || model->n_neighbors > KNN_MAX_NEIGHBORS ||
		model->weighting < KNN_WEIGHTS_UNIFORM || model->weighting > KNN_WEIGHTS_DISTANCE ||
		model->metric < KNN_METRIC_EUCLIDEAN || model->metric > KNN_METRIC_MANHATTAN)
		elog(ERROR, "knn: configuration (%d, %d, %d) is out of range",
			 model->n_neighbors, model->weighting, model->metric);
}

/*
 * Store the training rows with positive weight (rows of weight zero never
 * vote), subsampled by KnnSubsample when they exceed KNN_MAX_STORED_VALUES.
 * Input: data and config (n_neighbors, weights, p).  Output: a KnnModel.
 * The fit copies rows once, so control->deadline is not consulted.
 */
static void *
KnnFit(const TrainData *data, const double *config, const FitControl *control)
{
	KnnModel   *model = palloc0(sizeof(KnnModel));
	int		   *rows = palloc(sizeof(int) * Max(data->n_rows, 1));
	int			n = 0;

	KnnCheckTrainData(data);
	for (int i = 0; i < data->n_rows; i++)
		if (KnnRowWeight(data, i) > 0.0)
			rows[n++] = i;

	model->task = data->task;
	model->n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	model->n_cols = data->n_cols;
	model->n_source_rows = n;
	model->n_rows = Min(n, KnnMaxStoredRows(data->n_cols));
	KnnReadConfig(model, config);

	if (model->n_rows < n)
	{
		elog(DEBUG1, "knn: storing a stratified subsample of %d of %d rows",
			 model->n_rows, n);
		KnnSubsample(data, rows, n, model->n_rows, control->seed);
	}
	KnnStoreRows(model, data, rows);
	KnnComputeNorms(model);
	pfree(rows);
	return model;
}


/* Neighbour selection */

/* True when a ranks after b: larger distance, or equal and higher index. */
static inline bool
NeighborAfter(const KnnNeighbor *a, const KnnNeighbor *b)
{
	return a->dist > b->dist || (a->dist == b->dist && a->index > b->index);
}

static void
HeapSiftDown(KnnHeap *heap, int i)
{
	for (;;)
	{
		int			largest = i;
		int			left = 2 * i + 1;
		int			right = left + 1;
		KnnNeighbor tmp;

		if (left < heap->size && NeighborAfter(&heap->items[left], &heap->items[largest]))
			largest = left;
		if (right < heap->size && NeighborAfter(&heap->items[right], &heap->items[largest]))
			largest = right;
		if (largest == i)
			return;
		tmp = heap->items[i];
		heap->items[i] = heap->items[largest];
		heap->items[largest] = tmp;
		i = largest;
	}
}

/* Offer a candidate: keep it if the heap has room or it beats the worst. */
static void
HeapOffer(KnnHeap *heap, double dist, int index)
{
	KnnNeighbor item = {.dist = dist, .index = index};
	int			i;

	if (heap->size == heap->capacity)
	{
		if (!NeighborAfter(&heap->items[0], &item))
			return;
		heap->items[0] = item;
		HeapSiftDown(heap, 0);
		return;
	}
	i = heap->size++;
	while (i > 0 && NeighborAfter(&item, &heap->items[(i - 1) / 2]))
	{
		heap->items[i] = heap->items[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap->items[i] = item;
}

/* The distance (not squared) between a query row and stored row j, summed directly. */
static double
KnnExactDistance(const KnnModel *model, const double *query, int j)
{
	const double *t = model->x + (Size) j * model->n_cols;
	double		sum = 0.0;

	if (model->metric == KNN_METRIC_MANHATTAN)
	{
		for (int c = 0; c < model->n_cols; c++)
			sum += fabs(query[c] - t[c]);
		return sum;
	}
	for (int c = 0; c < model->n_cols; c++)
		sum += (query[c] - t[c]) * (query[c] - t[c]);
	return sqrt(sum);
}

/*
 * Write the expanded squared euclidean distances of the block's count query
 * rows to ws->dist: column b holds ||t_j||^2 + ||x_b||^2 - 2 t_j . x_b for
 * every stored row j.  The dot products are one product T' Q of the stored
 * rows T (n_cols x n_rows, column-major) and the queries Q (n_cols x count).
 */
static void
KnnExpandedDistances(const KnnModel *model, KnnWorkspace *ws, int count)
{
	int			n = model->n_rows;
	int			p = model->n_cols;

	if (p > 0)
		LinalgGemm(true, false, n, count, p, -2.0, model->x, p,
				   ws->queries, p, 0.0, ws->dist, n);
	else
		memset(ws->dist, 0, sizeof(double) * (Size) n * count);
	for (int b = 0; b < count; b++)
	{
		double	   *column = ws->dist + (Size) b * n;

		for (int j = 0; j < n; j++)
			column[j] += model->sq_norm[j] + ws->query_sq_norm[b];
	}
}

/* Write the manhattan distances of the block's query rows to ws->dist. */
static void
KnnManhattanDistances(const KnnModel *model, KnnWorkspace *ws, int count)
{
	for (int b = 0; b < count; b++)
	{
		const double *query = ws->queries + (Size) b * model->n_cols;
		double	   *column = ws->dist + (Size) b * model->n_rows;

		for (int j = 0; j < model->n_rows; j++)
			column[j] = KnnExactDistance(model, query, j);
	}
}

/*
 * Fill ws->heap with the k nearest stored rows of query row b of the block,
 * with exact distances.  For manhattan, ws->dist is already exact.  For
 * euclidean it contains expanded squared distances: the k smallest of those
 * set a cutoff, and only rows within the rounding allowance (see
 * KNN_ROUNDING_FACTOR) of it are recomputed exactly and ranked.
 */
static void
KnnSelect(const KnnModel *model, KnnWorkspace *ws, int b)
{
	const double *column = ws->dist + (Size) b * model->n_rows;
	const double *query = ws->queries + (Size) b * model->n_cols;
	double		cutoff;

	ws->heap.size = 0;
	for (int j = 0; j < model->n_rows; j++)
		HeapOffer(&ws->heap, column[j], j);
	if (model->metric == KNN_METRIC_MANHATTAN)
		return;

	cutoff = ws->heap.items[0].dist +
		2.0 * KNN_ROUNDING_FACTOR * (model->n_cols + 2) * DBL_EPSILON *
		(ws->query_sq_norm[b] + model->max_sq_norm);

	/* Squares that overflow make the cutoff infinite or NaN: rank every row. */
	if (!(cutoff < HUGE_VAL))
		cutoff = HUGE_VAL;
	ws->heap.size = 0;
	for (int j = 0; j < model->n_rows; j++)
		if (column[j] <= cutoff || isnan(column[j]))
			HeapOffer(&ws->heap, KnnExactDistance(model, query, j), j);
}


/* Voting */

/*
 * Set the vote of each neighbour in the heap: its row weight, divided by
 * its distance for "distance" weighting.  Neighbours at distance zero take
 * all the votes.  Returns the total, falling back to the row weights when
 * every distance weight vanished (infinite distances).
 */
static double
KnnVoteWeights(const KnnModel *model, KnnWorkspace *ws)
{
	const KnnHeap *heap = &ws->heap;
	bool		exact_match = false;
	double		total = 0.0;

	for (int i = 0; i < heap->size; i++)
		exact_match |= heap->items[i].dist == 0.0;
	for (int i = 0; i < heap->size; i++)
	{
		const KnnNeighbor *item = &heap->items[i];
		double		w = model->w[item->index];

		if (model->weighting == KNN_WEIGHTS_DISTANCE && !exact_match)
			w /= item->dist;
		else if (model->weighting == KNN_WEIGHTS_DISTANCE && item->dist > 0.0)
			w = 0.0;
		ws->vote[i] = w;
		total += w;
	}
	if (total > 0.0)
		return total;
	total = 0.0;
	for (int i = 0; i < heap->size; i++)
	{
		ws->vote[i] = model->w[heap->items[i].index];
		total += ws->vote[i];
	}
	return total;
}

/* Write the class probabilities or the weighted mean of one query row. */
static void
KnnVote(const KnnModel *model, KnnWorkspace *ws, double *out)
{
	double		total = KnnVoteWeights(model, ws);

	memset(out, 0, sizeof(double) * model->n_outputs);
	for (int i = 0; i < ws->heap.size; i++)
	{
		double		y = model->y[ws->heap.items[i].index];

		if (model->task == TASK_CLASSIFICATION)
			out[(int) y] += ws->vote[i];
		else
			out[0] += ws->vote[i] * y;
	}
	for (int c = 0; c < model->n_outputs; c++)
		out[c] /= total;
}


/* Prediction */

static void
KnnWorkspaceInit(KnnWorkspace *ws, const KnnModel *model, int n_queries)
{
	int			k = Min(model->n_neighbors, model->n_rows);

	ws->block_rows = Max(1, Min(n_queries, KNN_BLOCK_VALUES / model->n_rows));
	ws->queries = AutomlAllocDoubles(mul_size(ws->block_rows, Max(model->n_cols, 1)),
									 "k-nearest neighbours queries");
	ws->query_sq_norm = AutomlAllocDoubles(ws->block_rows,
										   "k-nearest neighbours queries");
	ws->dist = AutomlAllocDoubles(mul_size(ws->block_rows, model->n_rows),
								  "k-nearest neighbours distances");
	ws->heap.items = palloc(sizeof(KnnNeighbor) * k);
	ws->heap.capacity = k;
	ws->heap.size = 0;
	ws->vote = palloc(sizeof(double) * k);
}

static void
KnnWorkspaceFree(KnnWorkspace *ws)
{
	pfree(ws->queries);
	pfree(ws->query_sq_norm);
	pfree(ws->dist);
	pfree(ws->heap.items);
	pfree(ws->vote);
}

/* Copy query rows start .. start + count - 1 of x to ws->queries, row-major. */
static void
KnnLoadQueries(const KnnModel *model, KnnWorkspace *ws, const double *x,
			   int n_rows, int start, int count)
{
	int			p = model->n_cols;

	for (int b = 0; b < count; b++)
	{
		double	   *query = ws->queries + (Size) b * p;
		double		sum = 0.0;

		for (int c = 0; c < p; c++)
		{
			query[c] = x[(Size) c * n_rows + start + b];
			sum += query[c] * query[c];
		}
		ws->query_sq_norm[b] = sum;
	}
}

static void
KnnPredict(const void *opaque, const double *x, int n_rows, int n_cols,
		   double *out)
{
	const KnnModel *model = opaque;
	KnnWorkspace ws;

	if (n_cols != model->n_cols)
		elog(ERROR, "knn: model expects %d columns, got %d", model->n_cols, n_cols);
	if (n_rows <= 0)
		return;
	KnnWorkspaceInit(&ws, model, n_rows);
	for (int start = 0; start < n_rows; start += ws.block_rows)
	{
		int			count = Min(ws.block_rows, n_rows - start);

		CHECK_FOR_INTERRUPTS();
		KnnLoadQueries(model, &ws, x, n_rows, start, count);
		if (model->metric == KNN_METRIC_EUCLIDEAN)
			KnnExpandedDistances(model, &ws, count);
		else
			KnnManhattanDistances(model, &ws, count);
		for (int b = 0; b < count; b++)
		{
			KnnSelect(model, &ws, b);
			KnnVote(model, &ws, out + (Size) (start + b) * model->n_outputs);
		}
	}
	KnnWorkspaceFree(&ws);
}


/* Storage */

/*
 * Format: task, output count, column count, stored rows, source rows,
 * n_neighbors, weighting and metric as int32, then the stored rows
 * (row-major), their targets and their weights as float64.  The squared
 * norms are derived again on reading.
 */
static void
KnnSerialize(const void *opaque, StringInfo buf)
{
	const KnnModel *model = opaque;

	SerialPutInt32(buf, (int32) model->task);
	SerialPutInt32(buf, model->n_outputs);
	SerialPutInt32(buf, model->n_cols);
	SerialPutInt32(buf, model->n_rows);
	SerialPutInt32(buf, model->n_source_rows);
	SerialPutInt32(buf, model->n_neighbors);
	SerialPutInt32(buf, model->weighting);
	SerialPutInt32(buf, model->metric);
	SerialPutFloat64Array(buf, model->x, (Size) model->n_rows * model->n_cols);
	SerialPutFloat64Array(buf, model->y, model->n_rows);
	SerialPutFloat64Array(buf, model->w, model->n_rows);
}

static void
KnnCorrupted(const char *detail, int row)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("automl model binary is corrupted"),
			 errdetail("Stored row %d of the k-nearest neighbours model has %s.",
					   row + 1, detail),
			 errhint("Retrain the project with automl_train.")));
}

/* Check stored values: finite rows, valid targets, positive weights. */
static void
KnnValidateRows(const KnnModel *model)
{
	for (int j = 0; j < model->n_rows; j++)
	{
		double		y = model->y[j];

		for (int c = 0; c < model->n_cols; c++)
			if (!isfinite(model->x[(Size) j * model->n_cols + c]))
				KnnCorrupted("a non-finite feature value", j);
		if (model->task == TASK_CLASSIFICATION
			? !(y >= 0.0 && y < model->n_outputs && y == floor(y))
			: !isfinite(y))
			KnnCorrupted("an invalid target", j);
		if (!(isfinite(model->w[j]) && model->w[j] > 0.0))
			KnnCorrupted("a weight that is not positive", j);
	}
}

static void *
KnnDeserialize(SerialReader *reader)
{
	KnnModel   *model = palloc0(sizeof(KnnModel));

	model->task = (TaskKind) SerialGetInt32InRange(reader, TASK_CLASSIFICATION,
												   TASK_REGRESSION, "task kind");
	model->n_outputs = SerialGetInt32InRange(reader, 1,
											 model->task == TASK_CLASSIFICATION ?
											 KNN_MAX_OUTPUTS : 1, "output count");
	model->n_cols = SerialGetInt32InRange(reader, 0, KNN_MAX_STORED_VALUES,
										  "column count");
	model->n_rows = SerialGetInt32InRange(reader, 1, KnnMaxStoredRows(model->n_cols),
										  "stored row count");
	model->n_source_rows = SerialGetInt32InRange(reader, model->n_rows, PG_INT32_MAX,
												 "training row count");
	model->n_neighbors = SerialGetInt32InRange(reader, 1, KNN_MAX_NEIGHBORS,
											   "neighbour count");
	model->weighting = SerialGetInt32InRange(reader, KNN_WEIGHTS_UNIFORM,
											 KNN_WEIGHTS_DISTANCE, "weighting");
	model->metric = SerialGetInt32InRange(reader, KNN_METRIC_EUCLIDEAN,
										  KNN_METRIC_MANHATTAN, "distance metric");
	model->x = SerialReadFloat64Array(reader, (Size) model->n_rows * model->n_cols);
	model->y = SerialReadFloat64Array(reader, model->n_rows);
	model->w = SerialReadFloat64Array(reader, model->n_rows);
	KnnValidateRows(model);
	KnnComputeNorms(model);
	return model;
}

/* Stored and training rows, the bound, k, weighting and metric. */
static void
KnnDescribe(const void *opaque, StringInfo buf)
{
	const KnnModel *model = opaque;
	bool		subsampled = model->n_rows < model->n_source_rows;

	appendStringInfo(buf, "{\"stored_rows\": %d, \"training_rows\": %d, "
					 "\"max_stored_values\": %d, \"sample\": \"%s\", "
					 "\"n_neighbors\": %d, \"weights\": \"%s\", \"metric\": \"%s\"}",
					 model->n_rows, model->n_source_rows, KNN_MAX_STORED_VALUES,
					 subsampled ? "seeded stratified subsample" : "all rows",
					 model->n_neighbors, knn_weight_choices[model->weighting],
					 knn_metric_choices[model->metric]);
}

const ModelFamily knn_family = {
	.name = "knn",
	.description = "k-nearest neighbours (euclidean or manhattan, uniform or distance votes)",
	.supports_classification = true,
	.supports_regression = true,
	.params = knn_params,
	.n_params = lengthof(knn_params),
	.fit = KnnFit,
	.predict = KnnPredict,
	.serialize = KnnSerialize,
	.deserialize = KnnDeserialize,
	.importance = NULL,
	.describe = KnnDescribe,
};
