/*
 * pipeline.c
 *		The training pipeline: load, check, profile, preprocess, search,
 *		refit, store and deploy.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "catalog.h"
#include "importance.h"
#include "metafeatures.h"
#include "model.h"
#include "prep.h"
#include "search.h"
#include "train.h"
#include "warmstart.h"

/* Integer targets with at most this many distinct values are classes. */
#define MAX_INTEGER_CLASSES 20

/* Share of the time budget one evaluation may take, at least one second. */
#define TRIAL_CAP_SHARE 0.25

/* Share of the time budget the refit may run past the deadline, at least 1 s. */
#define REFIT_OVERSHOOT 0.1
/* Factor on a member's refit time that also covers storing its model. */
#define ENSEMBLE_STORE_MARGIN 1.5

/* Largest to smallest class size from which class weights are balanced. */
#define IMBALANCE_RATIO 3.0

/*
 * Text and bool targets are classes; integer targets with at most
 * MAX_INTEGER_CLASSES distinct values are classes; other numbers are
 * regression.  The task argument overrides the rule.
 */
TaskKind
InferTask(const TrainRequest *request, const LoadedTable *table)
{
	bool		numeric = table->target_values != NULL;

	if (strcmp(request->task, "classification") == 0)
		return TASK_CLASSIFICATION;
	if (strcmp(request->task, "regression") == 0)
	{
		if (!numeric || table->target.typid == BOOLOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("regression needs a numeric target, \"%s\" is %s",
							request->target, format_type_be(table->target.typid)),
					 errhint("Use task => 'classification', or cast the target to a number in a view.")));
		return TASK_REGRESSION;
	}
	if (!numeric || table->target.typid == BOOLOID)
		return TASK_CLASSIFICATION;
	if (table->target_is_integer && table->target.n_levels <= MAX_INTEGER_CLASSES)
		return TASK_CLASSIFICATION;
	return TASK_REGRESSION;
}

/* Reject tables and targets no model can be trained on. */
void
ValidateTarget(const TrainRequest *request, const LoadedTable *table, TaskKind task)
{
	if (table->n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 table->rows_null_target > 0
				 ? errmsg("no rows of %s have a non-NULL \"%s\"", table->relation, request->target)
				 : errmsg("relation %s is empty", table->relation),
				 errdetail("Rows read: %lld, with a NULL target: %lld.",
						   (long long) (table->rows_read + table->rows_null_target),
						   (long long) table->rows_null_target),
				 errhint("Train on a relation with labelled rows.")));
	if (task == TASK_CLASSIFICATION && table->target.n_levels < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target \"%s\" has only one distinct value", request->target),
				 errdetail("Every non-NULL row has the value \"%s\".", table->target.levels[0]),
				 errhint("Classification needs at least two classes.")));
	if (task == TASK_REGRESSION)
	{
		int64		non_finite = 0;

		for (int r = 0; r < table->n_rows; r++)
			non_finite += !isfinite(table->target_values[r]);
		if (non_finite > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("target \"%s\" has non-finite values", request->target),
					 errdetail("%lld rows hold NaN or infinity.", (long long) non_finite),
					 errhint("Filter them out in a view, or set them to NULL so they are skipped.")));
	}
}

/* Return the names of the algorithms that fit the task, comma-separated. */
static char *
FittingFamilyNames(TaskKind task)
{
	StringInfoData names;

	initStringInfo(&names);
	for (int i = 0; i < automl_n_families; i++)
	{
		const ModelFamily *family = automl_families[i];

		if (family == &baseline_family || !FamilyServesTask(family, task))
			continue;
		appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "", family->name);
	}
	return names.data;
}

/* The families to search: the requested ones, or all that fit the task. */
static int
ChooseFamilies(const TrainRequest *request, TaskKind task,
			   const ModelFamily **families)
{
	int			n = 0;
	ListCell   *lc;

	foreach(lc, request->algorithms)
	{
		const char *name = lfirst(lc);
		const ModelFamily *family = FamilyByName(name);	/* known, checked earlier */

		if (!FamilyServesTask(family, task))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" does not support %s", name, TaskKindName(task)),
					 errdetail("The algorithms for %s are %s.", TaskKindName(task),
							   FittingFamilyNames(task)),
					 errhint("Remove it from algorithms, or use one of those.")));
	}
	for (int i = 0; i < automl_n_families; i++)
	{
		const ModelFamily *family = automl_families[i];

		if (family == &baseline_family || !FamilyServesTask(family, task))
			continue;
		if (request->algorithms == NIL ||
			ListContainsName(request->algorithms, family->name))
			families[n++] = family;
	}
	return n;
}

void
ReportLoad(const LoadedTable *table)
{
	int64		rows = table->rows_read + table->rows_null_target;

	ereport(NOTICE,
			(errmsg("automl: read %lld %s with %d feature %s from %s",
					(long long) rows, rows == 1 ? "row" : "rows", table->n_columns,
					table->n_columns == 1 ? "column" : "columns", table->relation)));
	if (table->rows_null_target > 0)
		ereport(NOTICE,
				(errmsg("automl: skipped %lld %s with a NULL target",
						(long long) table->rows_null_target,
						table->rows_null_target == 1 ? "row" : "rows")));
	if (table->rows_read > table->n_rows)
		ereport(NOTICE,
				(errmsg("automl: sampled %d of %lld rows to stay within automl.memory_limit",
						table->n_rows, (long long) table->rows_read),
				 errhint("Raise automl.memory_limit to train on every row.")));
}

/* NOTICE each searched family's best score on all rows and its trial count. */
static void
ReportFamilies(const SearchResult *result, const SearchOptions *options)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int f = 0; f < options->n_families; f++)
	{
		const ModelFamily *family = options->families[f];
		double		best = NAN;
		int			count = 0;

		for (int t = 0; t < result->n_trials; t++)
		{
			const Trial *trial = &result->trials[t];

			if (trial->family != family)
				continue;
			count++;
			if (trial->status == TRIAL_OK && trial->fidelity >= 1.0 &&
				MetricBetter(options->metric, trial->score, best))
				best = trial->score;
		}
		if (count == 0)
			continue;
		appendStringInfo(&buf, "%s%s ", buf.len ? ", " : "", family->name);
		if (isnan(best))
			appendStringInfoString(&buf, "none on all rows");
		else
			appendStringInfo(&buf, "%.4f", best);
		appendStringInfo(&buf, " (%d %s)", count, count == 1 ? "trial" : "trials");
	}
	if (buf.len > 0)
		ereport(NOTICE, (errmsg("automl: best per algorithm: %s", buf.data)));
	pfree(buf.data);
}

/*
 * Importance per input column as JSON: the family's own (summed over the
 * design features each column writes), or permutation importance for
 * families without one.  NULL for the baseline, which uses no column.
 */
char *
ImportanceToJson(const AutomlModel *model, const TrainData *data, MetricId metric,
				 uint64 seed)
{
	const PrepPlan *plan = model->plan;
	double	   *columns;
	double		total = 0.0;
	StringInfoData buf;

	if (model->family == &baseline_family || plan->n_features == 0)
		return NULL;
	columns = palloc0(sizeof(double) * plan->n_columns);
	if (model->family->importance)
	{
		double	   *features = palloc0(sizeof(double) * plan->n_features);

		model->family->importance(model->state, plan->n_features, features);
		for (int j = 0; j < plan->n_features; j++)
			columns[plan->feature_source[j]] += features[j];
		for (int j = 0; j < plan->n_features; j++)
			total += features[j];
	}
	if (!(total > 0))
		columns = PermutationImportance(model, data, metric, seed);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < plan->n_columns; i++)
	{
		if (plan->columns[i].dropped)
			continue;
		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, plan->columns[i].name);
		appendStringInfo(&buf, ": %.6f", isfinite(columns[i]) ? columns[i] : 0.0);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Store every trial; returns the catalog id of trial number "keep" (0 for none). */
static int64
StoreTrials(int64 task_id, const SearchResult *result, const TrainData *data,
			const Resampling *resampling, MetricId metric, int keep)
{
	int64		kept_id = 0;

	for (int t = 0; t < result->n_trials; t++)
	{
		const Trial *trial = &result->trials[t];
		char	   *budget;
		int64		id;

		budget = psprintf("{\"fidelity\": %.6g, \"rows\": %d, \"folds\": %d, "
						  "\"repeats\": %d, \"resampling\": \"%s\", \"source\": \"%s\"}",
						  trial->fidelity, (int) ceil(data->n_rows * trial->fidelity),
						  resampling->n_folds, resampling->n_repeats,
						  resampling->holdout ? "holdout" : "cv", trial->source);
		id = CatalogInsertTrial(task_id, t + 1, trial->family->name,
								FamilyConfigToJsonForTask(trial->family, trial->config, data->task),
								budget, MetricGetInfo(metric)->name,
								trial->score, trial->seconds,
								TrialStatusName(trial->status), trial->error);
		if (t == keep)
			kept_id = id;
	}
	return kept_id;
}

/*
 * Deploy the new model when it is at least as good as the deployed one.
 * When the search re-evaluated the deployed configuration (trial index
 * "champion"), the two scores come from the same folds of the same rows.
 * Otherwise, and for callers without a search (result NULL, champion -1),
 * the stored score of the deployed model is compared, and only when both
 * models were scored by the same metric.  Returns whether it deployed.
 */
bool
DeployIfBetter(int64 project_id, int64 model_id, MetricId metric,
			   const SearchResult *result, double score, int champion)
{
	DeployedModel current;
	const char *name = MetricGetInfo(metric)->name;
	char	   *reason;

	if (!CatalogDeployedModel(project_id, &current))
		reason = "first model of the project";
	else if (champion > 0 && result->trials[champion].status == TRIAL_OK)
		reason = psprintf("%s %.4f, the deployed configuration of model %lld scores %.4f on the same folds",
						  name, score, (long long) current.model_id,
						  result->trials[champion].score);
	else if (champion > 0)
		reason = psprintf("the deployed configuration of model %lld failed on the new data",
						  (long long) current.model_id);
	else if (strcmp(current.metric, name) != 0)
	{
		ereport(NOTICE,
				(errmsg("automl: kept model %lld deployed: it was scored by %s, the new model by %s",
						(long long) current.model_id, current.metric, name),
				 errhint("Deploy the new model %lld with automl_deploy if you prefer it, or search the deployed algorithm too so both are scored on the same folds.",
						 (long long) model_id)));
		return false;
	}
	else if (MetricBetter(metric, score, current.score) || score == current.score)
		reason = psprintf("%s %.4f, model %lld scored %.4f when trained", name, score,
						  (long long) current.model_id, current.score);
	else
	{
		ereport(NOTICE,
				(errmsg("automl: kept model %lld deployed: its %s %.4f is better than %.4f",
						(long long) current.model_id, name, current.score, score),
				 errhint("Deploy the new model %lld with automl_deploy if you prefer it.",
						 (long long) model_id)));
		return false;
	}
	CatalogDeploy(project_id, model_id, reason);
	return true;
}

/*
 * The deployed model's configuration when its algorithm is searched, to be
 * re-evaluated first.  Returns its family, or NULL.
 */
static const ModelFamily *
ChampionConfig(const TrainRequest *request, const SearchOptions *options, double *config)
{
	DeployedModel current;
	int64		project_id = CatalogProjectId(request->project);
	const ModelFamily *family;

	if (request->fixed || project_id == 0 || !CatalogDeployedModel(project_id, &current))
		return NULL;
	family = FamilyByName(current.algorithm);
	for (int f = 0; f < options->n_families; f++)
	{
		if (options->families[f] != family)
			continue;
		FamilyConfigFromJson(family, current.hyperparameters, config, true);
		ereport(NOTICE,
				(errmsg("automl: re-evaluating the deployed model %lld (%s) on the same folds first",
						(long long) current.model_id, family->name)));
		return family;
	}
	return NULL;
}

/* Reject start configurations of families that do not serve the task. */
static void
CheckStartFamilies(const TrainRequest *request, TaskKind task)
{
	for (int i = 0; i < request->n_start; i++)
	{
		const ModelFamily *family = request->start_families[i];

		if (!FamilyServesTask(family, task))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" in start_configurations does not support %s",
							family->name, TaskKindName(task)),
					 errhint("Remove element %d from start_configurations.", i + 1)));
		if (request->algorithms != NIL && !ListContainsName(request->algorithms, family->name))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" in start_configurations is not in algorithms",
							family->name),
					 errhint("Add it to algorithms, or remove element %d from start_configurations.",
							 i + 1)));
	}
}

/* SearchOptions.next_start of an adaptive warm start. */
static bool
NextWarmStart(void *arg, const double *gains, int n_gains, const ModelFamily **family,
			  double *config)
{
	return WarmStartNext((WarmStart *) arg, gains, n_gains, family, config);
}

/*
 * The search's start configurations: the deployed one on a retrain, then
 * the caller's start_configurations, then those of the nearest past tasks.
 * Returns whether the first is the deployed one.
 */
static bool
StartConfigs(const TrainRequest *request, const char *meta_json, TaskKind task,
			 SearchOptions *options, WarmStart **warm_start)
{
	double		champion[AUTOML_MAX_PARAMS] = {0};
	const ModelFamily *champion_family = ChampionConfig(request, options, champion);
	WarmStart  *ws = NULL;
	int			n = champion_family ? 1 : 0;
	double	   *configs;

	*warm_start = NULL;
	if (!request->fixed && request->warm_start)
		ws = WarmStartFind(meta_json, task, options->families, options->n_families);
	if (ws)
		n += ws->n;
	n += request->n_start;
	options->start_families = palloc(sizeof(ModelFamily *) * Max(n, 1));
	configs = palloc0(sizeof(double) * Max(n, 1) * AUTOML_MAX_PARAMS);
	options->start_configs = configs;
	options->n_start = 0;
	if (champion_family)
	{
		options->start_families[0] = champion_family;
		memcpy(configs, champion, sizeof(champion));
		options->n_start = 1;
	}
	if (request->n_start > 0)
	{
		CheckStartFamilies(request, task);
		memcpy(options->start_families + options->n_start, request->start_families,
			   sizeof(ModelFamily *) * request->n_start);
		memcpy(configs + (Size) options->n_start * AUTOML_MAX_PARAMS, request->start_configs,
			   sizeof(double) * request->n_start * AUTOML_MAX_PARAMS);
		options->n_start += request->n_start;
	}
	if (ws && ws->n_neighbours > 0)
	{
		if (ws->adaptive)
		{
			options->adaptive_from = options->n_start;
			options->next_start = NextWarmStart;
			options->next_start_arg = ws;
			options->local_moves = automl_warm_start_local_moves;
		}
		memcpy(options->start_families + options->n_start, ws->families,
			   sizeof(ModelFamily *) * ws->n);
		memcpy(configs + (Size) options->n_start * AUTOML_MAX_PARAMS, ws->configs,
			   sizeof(double) * ws->n * AUTOML_MAX_PARAMS);
		options->n_start += ws->n;
		*warm_start = ws;
		if (ws->adaptive)
			ereport(NOTICE,
					(errmsg("automl: warm start with up to %d %s, chosen one at a time after the scores, the first over %s",
							ws->n, ws->n == 1 ? "configuration" : "configurations",
							ws->description),
					 errdetail("Nearest past tasks: %s.", ws->neighbours_json)));
		else
			ereport(NOTICE,
					(errmsg("automl: warm start with %d %s from %s",
							ws->n, ws->n == 1 ? "configuration" : "configurations",
							ws->description),
					 errdetail("%s: %s.", ws->metric == WARM_METRIC_PORTFOLIO
							   ? "Configurations" : "Past tasks", ws->neighbours_json)));
	}
	return champion_family != NULL;
}

/* Seconds the refit may run past the budget. */
static double
RefitOvershoot(const TrainRequest *request)
{
	return Max(REFIT_OVERSHOOT * request->time_budget, 1.0);
}

/*
 * Fall back from the selected ensemble to the best single trial when
 * refitting and storing every member would likely run past the refit's
 * time limit.  The estimate sums the members' refit times, with a margin
 * for storing their models.
 */
static void
KeepEnsembleInTime(SearchResult *result, const Resampling *resampling, double limit)
{
	double		seconds = 0.0;
	double		left = limit - AutomlNow();

	if (result->n_members == 0)
		return;
	for (int m = 0; m < result->n_members; m++)
		seconds += ENSEMBLE_STORE_MARGIN *
			SearchRefitSeconds(result, result->member_trials[m], resampling);
	if (seconds <= left)
		return;
	ereport(NOTICE,
			(errmsg("automl: refitting the ensemble of %d trials would take about %.1f s, more than the %.1f s left, so the best single trial is used",
					result->n_members, seconds, Max(left, 0.0)),
			 errhint("Raise time_budget to allow the ensemble.")));
	result->n_members = 0;
}

/* Everything after the search: refit, store, deploy. */
static void
FinishRun(const TrainRequest *request, PrepPlan *plan, const LoadedTable *table,
		  const TrainData *data, const Resampling *resampling,
		  const SearchResult *result, const SearchOptions *options, int champion,
		  const char *meta_json, const WarmStart *warm_start, TrainOutcome *outcome)
{
	MetricId	metric = options->metric;
	const char *task_name = TaskKindName(plan->task);
	const char *metric_name = MetricGetInfo(metric)->name;
	double		overshoot = RefitOvershoot(request);
	Choice		choice;
	int64		project_id;
	int64		task_id;
	int64		trial_id;
	StringInfoData metrics;

	RefitChoice(&choice, plan, data, result, request->seed, options->deadline + overshoot);
	initStringInfo(&metrics);
	MetricAppendAllJson(&metrics, plan->task, choice.predictions->y,
						choice.predictions->pred, choice.predictions->n, plan->n_classes);

	if (warm_start)
		WarmStartReportSources(warm_start);
	project_id = CatalogSaveProject(request->project, table->relation,
									request->target, task_name, metric_name);
	task_id = CatalogInsertTask(project_id, table->relation, request->target, task_name,
								table->n_rows, plan->n_features, meta_json,
								warm_start ? WarmStartCatalogJson(warm_start) : NULL,
								warm_start ? WarmStartMetricName(warm_start->metric) : NULL);
	trial_id = StoreTrials(task_id, result, data, resampling, metric, choice.trial);
	outcome->model_id =
		CatalogInsertModel(project_id, task_id, trial_id, choice.algorithm,
						   choice.hyperparameters, PrepToJson(plan), metric_name,
						   choice.score, result->trials[0].score, metrics.data,
						   ImportanceToJson(choice.model, data, metric, request->seed),
						   AUTOML_MODEL_FORMAT_VERSION, ModelSerialize(choice.model));
	outcome->deployed = DeployIfBetter(project_id, outcome->model_id, metric, result,
									   choice.score, champion);
	outcome->algorithm = pstrdup(choice.algorithm);
	outcome->score = choice.score;
	outcome->baseline_score = result->trials[0].score;
	outcome->trials = result->n_trials;
	outcome->finished = 0;
	for (int t = 1; t < result->n_trials; t++)
		outcome->finished += result->trials[t].status == TRIAL_OK;
}

static void
ReportChoice(const TrainOutcome *outcome)
{
	if (outcome->finished == 0 && outcome->trials > 1)
		ereport(NOTICE,
				(errmsg("automl: no trial besides the baseline finished, the baseline is chosen"),
				 errdetail("%d trials failed or timed out; automl.trials.error has the failures' messages.",
						   outcome->trials - 1),
				 errhint("Raise time_budget, or see SELECT error FROM automl.trials.")));
	else if (outcome->finished == 0)
		ereport(NOTICE,
				(errmsg("automl: no trial besides the baseline ran, the baseline is chosen"),
				 errhint("Raise time_budget or max_trials.")));
	else if (strcmp(outcome->algorithm, baseline_family.name) == 0)
		ereport(NOTICE,
				(errmsg("automl: no algorithm beat the baseline"),
				 errhint("Check that the features relate to the target, or raise time_budget and max_trials.")));
	ereport(NOTICE,
			(errmsg("automl: chose %s with %s %.4f (baseline %.4f), model %lld%s",
					outcome->algorithm, outcome->metric, outcome->score,
					outcome->baseline_score, (long long) outcome->model_id,
					outcome->deployed ? " deployed" : " stored")));
}

/*
 * Balanced class weights n / (K * count of the class) when the task is
 * imbalanced (the largest class at least IMBALANCE_RATIO times the smallest)
 * and the metric rewards every class: balanced accuracy or F1.  NULL
 * otherwise.
 */
static double *
ClassWeights(const TrainData *data, MetricId metric)
{
	double	   *counts;
	double	   *weights;
	double		largest = 0.0;
	double		smallest = (double) data->n_rows;

	if (data->task != TASK_CLASSIFICATION ||
		(metric != METRIC_BALANCED_ACCURACY && metric != METRIC_F1))
		return NULL;
	counts = palloc0(sizeof(double) * data->n_classes);
	for (int r = 0; r < data->n_rows; r++)
		counts[(int) data->y[r]] += 1.0;
	for (int k = 0; k < data->n_classes; k++)
	{
		largest = Max(largest, counts[k]);
		smallest = Min(smallest, counts[k]);
	}
	if (largest < IMBALANCE_RATIO * smallest)
		return NULL;

	weights = palloc(sizeof(double) * data->n_rows);
	for (int r = 0; r < data->n_rows; r++)
		weights[r] = data->n_rows / (data->n_classes * counts[(int) data->y[r]]);
	ereport(NOTICE,
			(errmsg("automl: classes are imbalanced (%.0f to %.0f rows), training with balanced class weights",
					largest, smallest)));
	return weights;
}

/* Load, check and preprocess: everything before the search. */
static PrepPlan *
PrepareData(const TrainRequest *request, pg_prng_state *prng, LoadedTable **table_out,
			TrainData *data, Resampling **resampling, SearchOptions *options)
{
	MetricId   *metric = &options->metric;
	LoadedTable *table;
	PrepPlan   *plan;
	PrepColumnOptions *column_options;

	/* load, then settle the task before anything is fitted */
	table = LoadTable(request->relid, request->target, request->exclude, prng);
	ReportLoad(table);
	data->task = InferTask(request, table);
	ValidateTarget(request, table, data->task);
	*metric = MetricByName(request->metric ? request->metric
						   : CatalogProjectMetric(request->project, TaskKindName(data->task)),
						   data->task);
	options->families = palloc(sizeof(ModelFamily *) * automl_n_families);
	options->n_families = ChooseFamilies(request, data->task, options->families);
	CatalogCheckProject(request->project, table->relation, request->target,
						TaskKindName(data->task));
	column_options = PrepParseOptions(request->options, table);

	/* the target and its folds come first: target encoding is out of fold */
	plan = PrepFitTarget(table, data->task);
	data->y = PrepTargetVector(plan, table);
	data->n_rows = table->n_rows;
	data->n_classes = plan->n_classes;
	*resampling = ResamplingCreate(data, LoadDuplicateGroups(table), prng);

	/* drop and fit columns, then build the design matrix */
	PrepFitColumns(plan, table, data->y, column_options, prng);
	PrepReport(plan);
	data->x = PrepTransformTable(plan, table, data->y, (*resampling)->fold_of_row,
								 (*resampling)->n_folds);
	data->n_cols = plan->n_features;
	data->weights = ClassWeights(data, *metric);
	*table_out = table;
	return plan;
}

void
TrainRun(const TrainRequest *request, TrainOutcome *outcome)
{
	double		start = AutomlNow();
	pg_prng_state prng;
	LoadedTable *table;
	PrepPlan   *plan;
	TrainData	data = {0};
	Resampling *resampling;
	SearchOptions options = {0};
	SearchResult *result;
	char	   *meta_json;
	WarmStart  *warm_start;
	bool		has_champion;

	pg_prng_seed(&prng, (uint64) request->seed);
	plan = PrepareData(request, &prng, &table, &data, &resampling, &options);
	ereport(NOTICE,
			(errmsg("automl: %s of \"%s\"%s, metric %s, %s",
					TaskKindName(data.task), request->target,
					data.task == TASK_CLASSIFICATION
					? psprintf(" with %d classes", data.n_classes) : "",
					MetricGetInfo(options.metric)->name,
					ResamplingDescribe(resampling))));

	options.max_trials = request->max_trials;
	options.task = data.task;
	options.start = start;
	options.deadline = start + request->time_budget;
	options.trial_cap = Max(TRIAL_CAP_SHARE * request->time_budget, 1.0);
	options.ensemble = true;
	options.seed = (uint64) request->seed;
	options.fixed_config = request->fixed ? request->fixed_config : NULL;
	if (request->fixed)
		FamilyCheckTaskParams(FamilyByName(linitial(request->algorithms)),
							  request->fixed_config, data.task);
	meta_json = MetaFeaturesToJson(table, &data, (uint64) request->seed);
	has_champion = StartConfigs(request, meta_json, data.task, &options, &warm_start);
	result = SearchRun(&data, resampling, &options);
	ReportFamilies(result, &options);
	KeepEnsembleInTime(result, resampling, options.deadline + RefitOvershoot(request));

	outcome->project = request->project;
	outcome->task = data.task;
	outcome->metric = MetricGetInfo(options.metric)->name;
	FinishRun(request, plan, table, &data, resampling, result, &options,
			  has_champion ? 1 : -1, meta_json, warm_start, outcome);
	ReportChoice(outcome);
	outcome->seconds = AutomlNow() - start;
}

HeapTuple
TrainOutcomeTuple(const TrainOutcome *outcome, TupleDesc tupdesc)
{
	Datum		values[10];
	bool		nulls[10] = {0};

	values[0] = CStringGetTextDatum(outcome->project);
	values[1] = CStringGetTextDatum(TaskKindName(outcome->task));
	values[2] = CStringGetTextDatum(outcome->algorithm);
	values[3] = CStringGetTextDatum(outcome->metric);
	values[4] = Float8GetDatum(outcome->score);
	values[5] = Float8GetDatum(outcome->baseline_score);
	values[6] = Int32GetDatum(outcome->trials);
	values[7] = Float8GetDatum(outcome->seconds);
	values[8] = Int64GetDatum(outcome->model_id);
	values[9] = BoolGetDatum(outcome->deployed);
	return heap_form_tuple(tupdesc, values, nulls);
}
