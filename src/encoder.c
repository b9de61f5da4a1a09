/*
 * encoder.c
 *		Training and using the learned task metric.
 *
 * The encoder is a Siamese network: one small MLP (inputs -> ENCODER_HIDDEN
 * ReLU units -> embedding) encodes every task, and the squared euclidean
 * distance between two embeddings measures how similar the tasks are.  It
 * is trained with the triplet loss
 *
 *		L = max(d(a, p) - d(a, n) + margin, 0)
 *
 * where, for an anchor task a, the positive p is a past task whose best
 * configuration transfers well to a and the negative n one whose best
 * configuration transfers badly.  Transfer is measured on the
 * configurations both tasks evaluated (every full search evaluates each
 * family's default; a shared portfolio adds more): take b's best of those,
 * and its normalised regret on a is (best score of a - its score on a) /
 * (best - worst score of a), 0 for a perfect transfer and 1 for the worst.
 * Among the candidates of an anchor, positives come from the lowest third of
 * regrets and negatives from the highest third, at least MIN_REGRET_GAP
 * apart.  Optimisation is Adam on minibatches of triplets, seeded.
 *
 * automl_train_task_encoder() trains from the catalog, stores the weights
 * in automl.meta_models and every task's embedding in automl.tasks; the
 * warm start then ranks past tasks by embedding distance.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "adam.h"
#include "encoder.h"
#include "warmstart.h"

PG_FUNCTION_INFO_V1(automl_train_task_encoder);

#define ENCODER_HIDDEN 16
#define MAX_TASKS 1000
#define TRIPLETS_PER_ANCHOR 16
#define MIN_REGRET_GAP 0.1
#define MIN_COMMON_CONFIGS 2

/* Number of parameters of an encoder's network. */
static int
ParamCount(int n_inputs, int n_hidden, int n_outputs)
{
	return n_hidden * n_inputs + n_hidden + n_outputs * n_hidden + n_outputs;
}

/* Scale raw meta-features into [0, 1]; missing ones sit in the middle. */
static void
ScaleInputs(const TaskEncoder *encoder, const double *raw, double *x)
{
	for (int i = 0; i < encoder->n_inputs; i++)
	{
		if (!isfinite(raw[i]))
			x[i] = 0.5;
		else if (encoder->high[i] > encoder->low[i])
			x[i] = Min(Max((raw[i] - encoder->low[i]) / (encoder->high[i] - encoder->low[i]),
						   -1.0), 2.0);
		else
			x[i] = 0.0;
	}
}

/* Forward pass from scaled inputs x; hidden receives the ReLU activations. */
static void
Forward(const TaskEncoder *encoder, const double *x, double *hidden, double *out)
{
	const double *w1 = encoder->theta;
	const double *b1 = w1 + encoder->n_hidden * encoder->n_inputs;
	const double *w2 = b1 + encoder->n_hidden;
	const double *b2 = w2 + encoder->n_outputs * encoder->n_hidden;

	for (int h = 0; h < encoder->n_hidden; h++)
	{
		double		sum = b1[h];

		for (int i = 0; i < encoder->n_inputs; i++)
			sum += w1[h * encoder->n_inputs + i] * x[i];
		hidden[h] = Max(sum, 0.0);
	}
	for (int o = 0; o < encoder->n_outputs; o++)
	{
		double		sum = b2[o];

		for (int h = 0; h < encoder->n_hidden; h++)
			sum += w2[o * encoder->n_hidden + h] * hidden[h];
		out[o] = sum;
	}
}

/*
 * Add to grad the gradient of g . f(x) with respect to the parameters, where
 * g (n_outputs) is the loss gradient at the output f(x).
 */
static void
Backward(const TaskEncoder *encoder, const double *x, const double *hidden,
		 const double *g, double *grad)
{
	double	   *gw1 = grad;
	double	   *gb1 = gw1 + encoder->n_hidden * encoder->n_inputs;
	double	   *gw2 = gb1 + encoder->n_hidden;
	double	   *gb2 = gw2 + encoder->n_outputs * encoder->n_hidden;
	const double *w2 = encoder->theta + encoder->n_hidden * encoder->n_inputs + encoder->n_hidden;

	for (int o = 0; o < encoder->n_outputs; o++)
	{
		gb2[o] += g[o];
		for (int h = 0; h < encoder->n_hidden; h++)
			gw2[o * encoder->n_hidden + h] += g[o] * hidden[h];
	}
	for (int h = 0; h < encoder->n_hidden; h++)
	{
		double		gh = 0.0;

		if (hidden[h] <= 0.0)
			continue;
		for (int o = 0; o < encoder->n_outputs; o++)
			gh += g[o] * w2[o * encoder->n_hidden + h];
		gb1[h] += gh;
		for (int i = 0; i < encoder->n_inputs; i++)
			gw1[h * encoder->n_inputs + i] += gh * x[i];
	}
}

void
EncoderEmbedJson(const TaskEncoder *encoder, const char *meta_json, double *out)
{
	double		raw[WARM_START_N_FEATURES];
	double		x[WARM_START_N_FEATURES];
	double		hidden[ENCODER_HIDDEN];

	WarmStartReadFeatures(meta_json, raw);
	ScaleInputs(encoder, raw, x);
	Forward(encoder, x, hidden, out);
}

/* Past tasks with their scaled meta-features and configuration scores. */
typedef struct TaskRecord
{
	int64		id;
	char	   *task;
	double		x[WARM_START_N_FEATURES];
	double		raw[WARM_START_N_FEATURES];
	int			n_configs;
	int		   *configs;		/* configuration ids */
	double	   *losses;			/* lower is better, per configuration */
	double		best;
	double		worst;
} TaskRecord;

/* Intern a configuration key in the list; returns its id. */
static int
ConfigId(List **keys, const char *key)
{
	ListCell   *lc;
	int			i = 0;

	foreach(lc, *keys)
	{
		if (strcmp(lfirst(lc), key) == 0)
			return i;
		i++;
	}
	*keys = lappend(*keys, pstrdup(key));
	return i;
}

/* Load the tasks with finished trials and their configurations' losses. */
static int
LoadTaskRecords(TaskRecord **out)
{
	MemoryContext context = CurrentMemoryContext;
	TaskRecord *tasks;
	List	   *keys = NIL;
	int			n;

	if (SPI_execute("SELECT k.id, k.task, k.meta_features::text, "
					"array_agg(t.algorithm || ' ' || t.hyperparameters::text ORDER BY t.id), "
					"array_agg(CASE WHEN t.metric IN ('log_loss', 'rmse', 'mae') THEN t.score "
					"ELSE -t.score END ORDER BY t.id) "
					"FROM automl.tasks k JOIN automl.trials t ON t.task_id = k.id "
					"WHERE t.status = 'ok' AND t.algorithm <> 'baseline' "
					"AND coalesce((t.budget ->> 'fidelity')::float8, 1) >= 1 "
					"GROUP BY k.id ORDER BY k.id DESC LIMIT 1000", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl could not read the tasks for the encoder");
	MemoryContextSwitchTo(context);
	n = (int) SPI_processed;
	tasks = palloc0(sizeof(TaskRecord) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum	   *names;
		Datum	   *losses;
		int			count;

		tasks[i].id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		tasks[i].task = SPI_getvalue(row, desc, 2);
		WarmStartReadFeatures(SPI_getvalue(row, desc, 3), tasks[i].raw);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 4, &isnull)), TEXTOID,
						  -1, false, TYPALIGN_INT, &names, NULL, &count);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 5, &isnull)), FLOAT8OID,
						  sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &losses, NULL, &count);
		tasks[i].n_configs = count;
		tasks[i].configs = palloc(sizeof(int) * count);
		tasks[i].losses = palloc(sizeof(double) * count);
		tasks[i].best = INFINITY;
		tasks[i].worst = -INFINITY;
		for (int c = 0; c < count; c++)
		{
			tasks[i].configs[c] = ConfigId(&keys, TextDatumGetCString(names[c]));
			tasks[i].losses[c] = DatumGetFloat8(losses[c]);
			tasks[i].best = Min(tasks[i].best, tasks[i].losses[c]);
			tasks[i].worst = Max(tasks[i].worst, tasks[i].losses[c]);
		}
	}
	*out = tasks;
	return n;
}

static double
LossOf(const TaskRecord *t, int config)
{
	for (int c = 0; c < t->n_configs; c++)
		if (t->configs[c] == config)
			return t->losses[c];
	return NAN;
}

/*
 * Normalised regret on task a of task b's best configuration among those
 * both evaluated; NaN when they share fewer than MIN_COMMON_CONFIGS.
 */
static double
TransferRegret(const TaskRecord *a, const TaskRecord *b)
{
	double		best_b = INFINITY;
	double		on_a = NAN;
	int			common = 0;

	if (strcmp(a->task, b->task) != 0 || !(a->worst > a->best))
		return NAN;
	for (int c = 0; c < b->n_configs; c++)
	{
		double		loss_a = LossOf(a, b->configs[c]);

		if (isnan(loss_a))
			continue;
		common++;
		if (b->losses[c] < best_b)
		{
			best_b = b->losses[c];
			on_a = loss_a;
		}
	}
	if (common < MIN_COMMON_CONFIGS)
		return NAN;
	return (on_a - a->best) / (a->worst - a->best);
}

typedef struct Triplet
{
	int			anchor;
	int			positive;
	int			negative;
} Triplet;

typedef struct Candidate
{
	int			task;
	double		regret;
} Candidate;

static int
CompareCandidates(const void *a, const void *b)
{
	double		x = ((const Candidate *) a)->regret;
	double		y = ((const Candidate *) b)->regret;

	if (x != y)
		return x < y ? -1 : 1;
	return ((const Candidate *) a)->task - ((const Candidate *) b)->task;
}

/* Sample triplets: positives from the best third, negatives from the worst. */
static int
BuildTriplets(const TaskRecord *tasks, int n, pg_prng_state *prng, Triplet **out)
{
	Triplet    *triplets = palloc(sizeof(Triplet) * Max(n * TRIPLETS_PER_ANCHOR, 1));
	Candidate  *candidates = palloc(sizeof(Candidate) * Max(n, 1));
	int			count = 0;

	for (int a = 0; a < n; a++)
	{
		int			m = 0;

		CHECK_FOR_INTERRUPTS();
		for (int b = 0; b < n; b++)
		{
			double		regret = b == a ? NAN : TransferRegret(&tasks[a], &tasks[b]);

			if (!isnan(regret))
			{
				candidates[m].task = b;
				candidates[m++].regret = regret;
			}
		}
		if (m < 3)
			continue;
		qsort(candidates, m, sizeof(Candidate), CompareCandidates);
		for (int k = 0; k < TRIPLETS_PER_ANCHOR; k++)
		{
			int			p = (int) pg_prng_uint64_range(prng, 0, Max(m / 3, 1) - 1);
			int			q = m - 1 - (int) pg_prng_uint64_range(prng, 0, Max(m / 3, 1) - 1);

			if (candidates[q].regret - candidates[p].regret < MIN_REGRET_GAP)
				continue;
			triplets[count].anchor = a;
			triplets[count].positive = candidates[p].task;
			triplets[count++].negative = candidates[q].task;
		}
	}
	*out = triplets;
	return count;
}

/* One triplet's loss; adds its gradient to grad when the loss is positive. */
static double
TripletStep(const TaskEncoder *encoder, const TaskRecord *tasks, const Triplet *t,
			double margin, double *grad)
{
	double		ea[64], ep[64], en[64];
	double		ha[ENCODER_HIDDEN], hp[ENCODER_HIDDEN], hn[ENCODER_HIDDEN];
	double		g[64] = {0};
	double		dp = 0.0, dn = 0.0, loss;
	int			d = encoder->n_outputs;

	Forward(encoder, tasks[t->anchor].x, ha, ea);
	Forward(encoder, tasks[t->positive].x, hp, ep);
	Forward(encoder, tasks[t->negative].x, hn, en);
	for (int o = 0; o < d; o++)
	{
		dp += (ea[o] - ep[o]) * (ea[o] - ep[o]);
		dn += (ea[o] - en[o]) * (ea[o] - en[o]);
	}
	loss = dp - dn + margin;
	if (loss <= 0.0)
		return 0.0;

	/* d/d ea = 2 (en - ep), d/d ep = -2 (ea - ep), d/d en = 2 (ea - en) */
	for (int o = 0; o < d; o++)
		g[o] = 2.0 * (en[o] - ep[o]);
	Backward(encoder, tasks[t->anchor].x, ha, g, grad);
	for (int o = 0; o < d; o++)
		g[o] = -2.0 * (ea[o] - ep[o]);
	Backward(encoder, tasks[t->positive].x, hp, g, grad);
	for (int o = 0; o < d; o++)
		g[o] = 2.0 * (ea[o] - en[o]);
	Backward(encoder, tasks[t->negative].x, hn, g, grad);
	return loss;
}

/* Min-max scaling from the tasks, then every task's scaled inputs. */
static void
FitScaling(TaskEncoder *encoder, TaskRecord *tasks, int n)
{
	for (int i = 0; i < encoder->n_inputs; i++)
	{
		encoder->low[i] = INFINITY;
		encoder->high[i] = -INFINITY;
		for (int t = 0; t < n; t++)
			if (isfinite(tasks[t].raw[i]))
			{
				encoder->low[i] = Min(encoder->low[i], tasks[t].raw[i]);
				encoder->high[i] = Max(encoder->high[i], tasks[t].raw[i]);
			}
		if (!isfinite(encoder->low[i]))
			encoder->low[i] = encoder->high[i] = 0.0;
	}
	for (int t = 0; t < n; t++)
		ScaleInputs(encoder, tasks[t].raw, tasks[t].x);
}

static TaskEncoder *
NewEncoder(int n_outputs, pg_prng_state *prng)
{
	TaskEncoder *encoder = palloc0(sizeof(TaskEncoder));
	int			n_params = ParamCount(WARM_START_N_FEATURES, ENCODER_HIDDEN, n_outputs);

	encoder->n_inputs = WARM_START_N_FEATURES;
	encoder->n_hidden = ENCODER_HIDDEN;
	encoder->n_outputs = n_outputs;
	encoder->low = palloc(sizeof(double) * encoder->n_inputs);
	encoder->high = palloc(sizeof(double) * encoder->n_inputs);
	encoder->theta = palloc0(sizeof(double) * n_params);
	/* He-style uniform initialisation of the weights, zero biases */
	for (int h = 0; h < ENCODER_HIDDEN * WARM_START_N_FEATURES; h++)
		encoder->theta[h] = (pg_prng_double(prng) * 2 - 1) * sqrt(6.0 / WARM_START_N_FEATURES);
	for (int k = 0; k < n_outputs * ENCODER_HIDDEN; k++)
		encoder->theta[ENCODER_HIDDEN * (WARM_START_N_FEATURES + 1) + k] =
			(pg_prng_double(prng) * 2 - 1) * sqrt(6.0 / ENCODER_HIDDEN);
	return encoder;
}

/* Train by Adam over shuffled triplets; returns the mean loss of each epoch. */
static double *
TrainEncoder(TaskEncoder *encoder, const TaskRecord *tasks, Triplet *triplets, int n_triplets,
			 int epochs, double margin, pg_prng_state *prng)
{
	int			n_params = ParamCount(encoder->n_inputs, encoder->n_hidden, encoder->n_outputs);
	double	   *grad = palloc(sizeof(double) * n_params);
	double	   *curve = palloc0(sizeof(double) * Max(epochs, 1));
	AdamState	adam;

	AdamInit(&adam, n_params, 0.01);
	for (int e = 0; e < epochs; e++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int i = n_triplets - 1; i > 0; i--)
		{
			int			j = (int) pg_prng_uint64_range(prng, 0, i);
			Triplet		tmp = triplets[i];

			triplets[i] = triplets[j];
			triplets[j] = tmp;
		}
		for (int start = 0; start < n_triplets; start += 32)
		{
			int			end = Min(start + 32, n_triplets);

			memset(grad, 0, sizeof(double) * n_params);
			for (int t = start; t < end; t++)
				curve[e] += TripletStep(encoder, tasks, &triplets[t], margin, grad) / n_triplets;
			for (int k = 0; k < n_params; k++)
				grad[k] /= (end - start);
			AdamStep(&adam, encoder->theta, grad);
		}
	}
	AdamFree(&adam);
	return curve;
}

static ArrayType *
ToArray(const double *values, int n)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		datums[i] = Float8GetDatum(values[i]);
	return construct_array(datums, n, FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL,
						   TYPALIGN_DOUBLE);
}

/* Store the encoder (scaling, then weights) and every task's embedding. */
static void
StoreEncoder(const TaskEncoder *encoder, const TaskRecord *tasks, int n, const char *config)
{
	int			n_params = ParamCount(encoder->n_inputs, encoder->n_hidden, encoder->n_outputs);
	int			n_weights = 2 * encoder->n_inputs + n_params;
	double	   *weights = palloc(sizeof(double) * n_weights);
	Oid			types[3] = {JSONBOID, FLOAT8ARRAYOID, INT8OID};
	Datum		values[3];
	double		embedding[64];
	double		hidden[ENCODER_HIDDEN];

	memcpy(weights, encoder->low, sizeof(double) * encoder->n_inputs);
	memcpy(weights + encoder->n_inputs, encoder->high, sizeof(double) * encoder->n_inputs);
	memcpy(weights + 2 * encoder->n_inputs, encoder->theta, sizeof(double) * n_params);
	values[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum(config));
	values[1] = PointerGetDatum(ToArray(weights, n_weights));
	if (SPI_execute_with_args("INSERT INTO automl.meta_models (kind, config, weights) "
							  "VALUES ('task_encoder', $1, $2)", 2, types, values, NULL,
							  false, 0) != SPI_OK_INSERT)
		elog(ERROR, "automl could not store the task encoder");
	for (int t = 0; t < n; t++)
	{
		Forward(encoder, tasks[t].x, hidden, embedding);
		values[0] = PointerGetDatum(ToArray(embedding, encoder->n_outputs));
		values[1] = Int64GetDatum(tasks[t].id);
		if (SPI_execute_with_args("UPDATE automl.tasks SET embedding = $1 WHERE id = $2", 2,
								  (Oid[]) {FLOAT8ARRAYOID, INT8OID}, values, NULL,
								  false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "automl could not store a task embedding");
	}
}

Datum
automl_train_task_encoder(PG_FUNCTION_ARGS)
{
	int			epochs = PG_GETARG_INT32(0);
	int			dim = PG_GETARG_INT32(1);
	double		margin = PG_GETARG_FLOAT8(2);
	int32		seed = PG_GETARG_INT32(3);
	pg_prng_state prng;
	MemoryContext context = CurrentMemoryContext;
	TaskRecord *tasks;
	Triplet    *triplets;
	TaskEncoder *encoder;
	double	   *curve;
	int			n;
	int			n_triplets;
	char	   *summary;

	if (epochs < 1 || epochs > 100000 || dim < 1 || dim > 64 || !(margin > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid encoder settings"),
				 errdetail("epochs is %d, embedding_dim %d, margin %g.", epochs, dim, margin),
				 errhint("Use epochs from 1 to 100000, embedding_dim from 1 to 64 and a positive margin.")));
	pg_prng_seed(&prng, (uint64) seed);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(context);
	n = LoadTaskRecords(&tasks);
	encoder = NewEncoder(dim, &prng);
	FitScaling(encoder, tasks, n);
	n_triplets = BuildTriplets(tasks, n, &prng, &triplets);
	if (n_triplets == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("too few past tasks to train the task encoder"),
				 errdetail("%d tasks with finished trials gave no triplet.", n),
				 errhint("Train more tasks with automl_train first, or load the prior knowledge base.")));
	curve = TrainEncoder(encoder, tasks, triplets, n_triplets, epochs, margin, &prng);
	summary = psprintf("{\"tasks\": %d, \"triplets\": %d, \"epochs\": %d, \"embedding_dim\": %d, "
					   "\"hidden\": %d, \"margin\": %g, \"seed\": %d, \"loss_first\": %.6f, "
					   "\"loss_last\": %.6f}",
					   n, n_triplets, epochs, dim, ENCODER_HIDDEN, margin, seed, curve[0],
					   curve[epochs - 1]);
	StoreEncoder(encoder, tasks, n, summary);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(summary)));
}

TaskEncoder *
EncoderLoadLatest(void)
{
	MemoryContext context = CurrentMemoryContext;
	TaskEncoder *encoder;
	Datum	   *values;
	bool		isnull;
	int			count;
	int			dim;

	if (SPI_execute("SELECT (config ->> 'embedding_dim')::int, weights FROM automl.meta_models "
					"WHERE kind = 'task_encoder' ORDER BY id DESC LIMIT 1", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl could not read the task encoder");
	MemoryContextSwitchTo(context);
	if (SPI_processed == 0)
		return NULL;
	dim = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 2, &isnull)),
					  FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &values, NULL, &count);
	if (dim < 1 || dim > 64 ||
		count != 2 * WARM_START_N_FEATURES + ParamCount(WARM_START_N_FEATURES, ENCODER_HIDDEN, dim))
		return NULL;			/* from another build: the L1 distance serves */
	encoder = palloc0(sizeof(TaskEncoder));
	encoder->n_inputs = WARM_START_N_FEATURES;
	encoder->n_hidden = ENCODER_HIDDEN;
	encoder->n_outputs = dim;
	encoder->low = palloc(sizeof(double) * WARM_START_N_FEATURES);
	encoder->high = palloc(sizeof(double) * WARM_START_N_FEATURES);
	encoder->theta = palloc(sizeof(double) * (count - 2 * WARM_START_N_FEATURES));
	for (int i = 0; i < count; i++)
	{
		double		v = DatumGetFloat8(values[i]);

		if (i < WARM_START_N_FEATURES)
			encoder->low[i] = v;
		else if (i < 2 * WARM_START_N_FEATURES)
			encoder->high[i - WARM_START_N_FEATURES] = v;
		else
			encoder->theta[i - 2 * WARM_START_N_FEATURES] = v;
	}
	return encoder;
}
