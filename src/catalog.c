/*
 * catalog.c
 *		Reads and writes of the automl.* catalog tables.
 *
 * Every statement names its table with the automl schema and passes values
 * as parameters, so neither search_path nor the values can change its
 * meaning.  Writes happen in the caller's transaction: when training fails
 * or is cancelled, none of them remain.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "catalog.h"

#define MAX_ARGS 14

/* Parameters of one statement, added in order. */
typedef struct CatalogArgs
{
	int			n;
	Oid			types[MAX_ARGS];
	Datum		values[MAX_ARGS];
	char		nulls[MAX_ARGS];
} CatalogArgs;

static void
AddArg(CatalogArgs *args, Oid type, Datum value, bool isnull)
{
	Assert(args->n < MAX_ARGS);
	args->types[args->n] = type;
	args->values[args->n] = value;
	args->nulls[args->n] = isnull ? 'n' : ' ';
	args->n++;
}

static void
AddText(CatalogArgs *args, const char *value)
{
	AddArg(args, TEXTOID, value ? CStringGetTextDatum(value) : (Datum) 0, value == NULL);
}

static void
AddJsonb(CatalogArgs *args, const char *json)
{
	AddArg(args, JSONBOID,
		   json ? DirectFunctionCall1(jsonb_in, CStringGetDatum(json)) : (Datum) 0,
		   json == NULL);
}

static void
AddInt64(CatalogArgs *args, int64 value)
{
	AddArg(args, INT8OID, Int64GetDatum(value), false);
}

static void
AddFloat8(CatalogArgs *args, double value, bool isnull)
{
	AddArg(args, FLOAT8OID, Float8GetDatum(value), isnull);
}

/*
 * Run a statement and check its result code.  SPI leaves its own procedure
 * context current after a call, so the caller's context is restored.
 */
static void
Execute(const char *sql, CatalogArgs *args, bool read_only, int expected)
{
	MemoryContext context = CurrentMemoryContext;
	int			rc = SPI_execute_with_args(sql, args->n, args->types, args->values,
										   args->nulls, read_only, 0);

	MemoryContextSwitchTo(context);
	if (rc != expected)
		elog(ERROR, "automl catalog statement failed: %s (SPI code %d)", sql, rc);
}

/* The int8 in column 1 of row 0 of the last result. */
static int64
FirstInt64(void)
{
	bool		isnull;
	Datum		value;

	if (SPI_processed < 1)
		elog(ERROR, "automl catalog statement returned no row");
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(value);
}

static char *
TextColumn(int column)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column);
}

/*
 * Reject reusing a project name for another problem: a different relation,
 * target or task.  Columns 2 to 4 of the last result are those of the
 * existing project.
 */
static void
CheckProjectMatches(const char *name, const char *relation, const char *target,
					const char *task)
{
	char	   *old_relation = TextColumn(2);
	char	   *old_target = TextColumn(3);
	char	   *old_task = TextColumn(4);

	if (strcmp(old_relation, relation) != 0 || strcmp(old_target, target) != 0 ||
		strcmp(old_task, task) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("project \"%s\" already exists for another problem", name),
				 errdetail("It predicts \"%s\" of %s (%s). This call predicts \"%s\" of %s (%s).",
						   old_target, old_relation, old_task, target, relation, task),
				 errhint("Pass another project name, or drop the old project with SELECT automl_drop_project('%s').",
						 name)));
}

void
CatalogCheckProject(const char *name, const char *relation, const char *target,
					const char *task)
{
	CatalogArgs args = {0};

	AddText(&args, name);
	Execute("SELECT id, relation, target, task FROM automl.projects WHERE name = $1",
			&args, true, SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		CheckProjectMatches(name, relation, target, task);
		return;
	}
	Execute("SELECT automl.project_name_taken($1)", &args, true, SPI_OK_SELECT);
	if (SPI_processed > 0 && strcmp(TextColumn(1), "t") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("project name \"%s\" is taken by another role", name),
				 errdetail("Project names are unique across roles, and this project is not visible to %s.",
						   GetUserNameFromId(GetUserId(), false)),
				 errhint("Pass another project name.")));
}

/*
 * Concurrent trainings of one project finish one at a time: a transaction
 * lock on the project name serialises the read of the deployed model and
 * the deployment that follows it.
 */
int64
CatalogSaveProject(const char *name, const char *relation, const char *target,
				   const char *task, const char *metric)
{
	CatalogArgs args = {0};
	int64		id;

	AddText(&args, name);
	Execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('automl project'), "
			"pg_catalog.hashtext($1))", &args, false, SPI_OK_SELECT);
	Execute("SELECT id, relation, target, task FROM automl.projects WHERE name = $1 FOR UPDATE",
			&args, false, SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		id = FirstInt64();
		CheckProjectMatches(name, relation, target, task);
		return id;
	}
	AddText(&args, relation);
	AddText(&args, target);
	AddText(&args, task);
	AddText(&args, metric);
	Execute("INSERT INTO automl.projects (name, relation, target, task, metric) "
			"VALUES ($1, $2, $3, $4, $5) RETURNING id",
			&args, false, SPI_OK_INSERT_RETURNING);
	return FirstInt64();
}

int64
CatalogInsertTask(int64 project_id, const char *relation, const char *target,
				  const char *task, int64 n_rows, int n_features,
				  const char *meta_features_json, const char *warm_start_json,
				  const char *warm_start_metric)
{
	CatalogArgs args = {0};

	AddInt64(&args, project_id);
	AddText(&args, relation);
	AddText(&args, target);
	AddText(&args, task);
	AddInt64(&args, n_rows);
	AddInt64(&args, n_features);
	AddJsonb(&args, meta_features_json);
	AddJsonb(&args, warm_start_json);
	AddText(&args, warm_start_metric);
	Execute("INSERT INTO automl.tasks (project_id, relation, target, task, n_rows, "
			"n_features, meta_features, warm_start, warm_start_metric) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
			&args, false, SPI_OK_INSERT_RETURNING);
	return FirstInt64();
}

int64
CatalogInsertTrial(int64 task_id, int trial_number, const char *algorithm,
				   const char *hyperparameters_json, const char *budget_json,
				   const char *metric, double score, double seconds,
				   const char *status, const char *error)
{
	CatalogArgs args = {0};

	AddInt64(&args, task_id);
	AddInt64(&args, trial_number);
	AddText(&args, algorithm);
	AddJsonb(&args, hyperparameters_json);
	AddJsonb(&args, budget_json);
	AddText(&args, metric);
	AddFloat8(&args, score, isnan(score));
	AddFloat8(&args, seconds, false);
	AddText(&args, status);
	AddText(&args, error);
	Execute("INSERT INTO automl.trials (task_id, trial_number, algorithm, "
			"hyperparameters, budget, metric, score, fit_seconds, status, error) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
			&args, false, SPI_OK_INSERT_RETURNING);
	return FirstInt64();
}

int64
CatalogInsertModel(int64 project_id, int64 task_id, int64 trial_id,
				   const char *algorithm, const char *hyperparameters_json,
				   const char *preprocessing_json, const char *metric,
				   double score, double baseline_score,
				   const char *metrics_json, const char *importance_json,
				   int format_version, bytea *binary)
{
	CatalogArgs args = {0};

	AddInt64(&args, project_id);
	AddInt64(&args, task_id);
	AddArg(&args, INT8OID, Int64GetDatum(trial_id), trial_id == 0);
	AddText(&args, algorithm);
	AddJsonb(&args, hyperparameters_json);
	AddJsonb(&args, preprocessing_json);
	AddText(&args, metric);
	AddFloat8(&args, score, false);
	AddFloat8(&args, baseline_score, false);
	AddJsonb(&args, metrics_json);
	AddJsonb(&args, importance_json);
	AddInt64(&args, format_version);
	AddArg(&args, BYTEAOID, PointerGetDatum(binary), false);
	Execute("INSERT INTO automl.models (project_id, task_id, trial_id, algorithm, "
			"hyperparameters, preprocessing, metric, score, baseline_score, metrics, "
			"feature_importance, format_version, model) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
			&args, false, SPI_OK_INSERT_RETURNING);
	return FirstInt64();
}

bool
CatalogDeployedModel(int64 project_id, DeployedModel *deployed)
{
	CatalogArgs args = {0};
	bool		isnull;

	AddInt64(&args, project_id);
	Execute("SELECT d.model_id, m.metric, m.score, m.algorithm, m.hyperparameters::text "
			"FROM automl.deployments d JOIN automl.models m ON m.id = d.model_id "
			"WHERE d.project_id = $1 ORDER BY d.id DESC LIMIT 1",
			&args, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	deployed->model_id = FirstInt64();
	deployed->metric = TextColumn(2);
	deployed->score = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 3, &isnull));
	deployed->algorithm = TextColumn(4);
	deployed->hyperparameters = TextColumn(5);
	deployed->binary = NULL;
	return true;
}

void
CatalogDeploy(int64 project_id, int64 model_id, const char *reason)
{
	CatalogArgs args = {0};

	AddInt64(&args, project_id);
	AddInt64(&args, model_id);
	AddText(&args, reason);
	Execute("INSERT INTO automl.deployments (project_id, model_id, reason) "
			"VALUES ($1, $2, $3)", &args, false, SPI_OK_INSERT);

	/* the project's metric is the one its deployed model was scored by */
	args.n = 0;
	AddInt64(&args, project_id);
	AddInt64(&args, model_id);
	Execute("UPDATE automl.projects SET metric = m.metric FROM automl.models m "
			"WHERE automl.projects.id = $1 AND m.id = $2", &args, false, SPI_OK_UPDATE);
}

int64
CatalogProjectId(const char *name)
{
	CatalogArgs args = {0};

	AddText(&args, name);
	Execute("SELECT id FROM automl.projects WHERE name = $1", &args, true, SPI_OK_SELECT);
	return SPI_processed > 0 ? FirstInt64() : 0;
}

static void
RejectUnknownProject(const char *project)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("project \"%s\" does not exist", project),
			 errhint("Train it first with automl_train, or see SELECT name FROM automl.projects.")));
}

int64
CatalogDeployedModelId(const char *project, bool *project_exists, TimestampTz *created)
{
	CatalogArgs args = {0};
	bool		isnull;
	Datum		stamp;

	AddText(&args, project);
	Execute("SELECT d.model_id, m.created FROM automl.projects p "
			"LEFT JOIN LATERAL (SELECT model_id FROM automl.deployments "
			"WHERE project_id = p.id ORDER BY id DESC LIMIT 1) d ON true "
			"LEFT JOIN automl.models m ON m.id = d.model_id "
			"WHERE p.name = $1",
			&args, true, SPI_OK_SELECT);
	*project_exists = SPI_processed > 0;
	*created = 0;
	if (!*project_exists)
		return 0;
	stamp = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		*created = DatumGetTimestampTz(stamp);
	return FirstInt64();
}

DeployedModel *
CatalogLoadDeployed(const char *project)
{
	CatalogArgs args = {0};
	DeployedModel *deployed = palloc0(sizeof(DeployedModel));
	bool		project_exists;
	bool		isnull;

	deployed->model_id = CatalogDeployedModelId(project, &project_exists, &deployed->created);
	if (!project_exists)
		RejectUnknownProject(project);
	if (deployed->model_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no deployed model", project),
				 errhint("Deploy one with automl_deploy or retrain with automl_train.")));

	AddInt64(&args, deployed->model_id);
	Execute("SELECT model, metric, score FROM automl.models WHERE id = $1",
			&args, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		elog(ERROR, "automl model %lld is missing", (long long) deployed->model_id);
	deployed->binary = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 1, &isnull));
	deployed->metric = TextColumn(2);
	return deployed;
}

bytea *
CatalogLoadModel(int64 model_id)
{
	CatalogArgs args = {0};
	bool		isnull;

	AddInt64(&args, model_id);
	Execute("SELECT model FROM automl.models WHERE id = $1", &args, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model %lld does not exist", (long long) model_id),
				 errhint("See SELECT id FROM automl.models.")));
	return DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										 1, &isnull));
}

int
CatalogPastTasks(const char *task, int limit, PastTask **tasks)
{
	CatalogArgs args = {0};
	MemoryContext context = CurrentMemoryContext;

	AddText(&args, task);
	AddInt64(&args, limit);
	Execute("SELECT k.id, k.relation, k.meta_features::text FROM automl.tasks k "
			"WHERE k.task = $1 AND EXISTS (SELECT 1 FROM automl.trials t "
			"WHERE t.task_id = k.id AND t.status = 'ok' AND t.algorithm <> 'baseline') "
			"ORDER BY k.id DESC LIMIT $2", &args, true, SPI_OK_SELECT);
	*tasks = MemoryContextAlloc(context, sizeof(PastTask) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*tasks)[i].id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 1, &isnull));
		(*tasks)[i].relation = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		(*tasks)[i].meta_features = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);
	}
	return (int) SPI_processed;
}

/*
 * Full-fidelity finished trials with their gain (the score, negated for
 * metrics where lower is better), and per task the best gain and the
 * baseline's, the worst gain standing in for a missing baseline.
 */
#define TRIAL_GAINS \
	"WITH gains AS (SELECT tr.task_id, tr.algorithm, tr.hyperparameters, tr.trial_number, " \
	"CASE WHEN tr.metric IN ('log_loss', 'rmse', 'mae') THEN -tr.score ELSE tr.score END AS gain " \
	"FROM automl.trials tr JOIN automl.tasks k ON k.id = tr.task_id " \
	"WHERE tr.status = 'ok' AND tr.score = tr.score AND %s " \
	"AND coalesce((tr.budget ->> 'fidelity')::float8, 1) >= 1), " \
	"ranges AS (SELECT task_id, max(gain) AS best, coalesce(max(gain) FILTER " \
	"(WHERE algorithm = 'baseline'), min(gain)) AS base FROM gains GROUP BY task_id), " \
	"qualities AS (SELECT g.*, CASE WHEN r.best > r.base " \
	"THEN greatest((g.gain - r.base) / (r.best - r.base), 0) ELSE 1 END AS quality " \
	"FROM gains g JOIN ranges r USING (task_id) WHERE g.algorithm <> 'baseline') "

static int
ReadPastTrials(PastTrial **trials)
{
	*trials = palloc(sizeof(PastTrial) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*trials)[i].algorithm = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		(*trials)[i].hyperparameters = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		(*trials)[i].quality = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[i],
															SPI_tuptable->tupdesc, 3, &isnull));
	}
	return (int) SPI_processed;
}

int
CatalogBestTrials(int64 task_id, int limit, PastTrial **trials)
{
	CatalogArgs args = {0};

	AddInt64(&args, task_id);
	AddInt64(&args, limit);
	Execute(psprintf(TRIAL_GAINS "SELECT algorithm, hyperparameters::text, quality "
					 "FROM qualities ORDER BY gain DESC, trial_number LIMIT $2",
					 "tr.task_id = $1"),
			&args, true, SPI_OK_SELECT);
	return ReadPastTrials(trials);
}

int
CatalogPortfolio(const char *task, int limit, PastTrial **trials, int *n_tasks)
{
	CatalogArgs args = {0};
	int			n;

	AddText(&args, task);
	AddInt64(&args, limit);
	Execute(psprintf(TRIAL_GAINS ", per_task AS (SELECT task_id, algorithm, hyperparameters, "
					 "max(quality) AS quality FROM qualities GROUP BY 1, 2, 3) "
					 "SELECT algorithm, hyperparameters::text, "
					 "sum(quality) / (SELECT count(*) FROM ranges), (SELECT count(*) FROM ranges) "
					 "FROM per_task GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT $2",
					 "k.task = $1"),
			&args, true, SPI_OK_SELECT);
	n = ReadPastTrials(trials);
	*n_tasks = 0;
	if (n > 0)
	{
		bool		isnull;

		*n_tasks = (int) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 4, &isnull));
	}
	return n;
}

char *
CatalogProjectMetric(const char *name, const char *task)
{
	CatalogArgs args = {0};

	AddText(&args, name);
	AddText(&args, task);
	Execute("SELECT metric FROM automl.projects WHERE name = $1 AND task = $2",
			&args, true, SPI_OK_SELECT);
	return SPI_processed > 0 ? TextColumn(1) : NULL;
}
