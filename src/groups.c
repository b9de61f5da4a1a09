/*
 * groups.c
 *		automl_train_groups: one linear model per value of a group column.
 *
 * The pipeline loads and preprocesses the relation as automl_train does,
 * with the group column left out of the features.  It splits each group's
 * rows with a seeded shuffle: a share "holdout" of every group with at
 * least MIN_SPLIT_ROWS rows is held out, and smaller groups train on all
 * their rows.  It fits the strategy (groups_model.c) on the training side,
 * scores the held-out rows by the project's metric, refits on every row,
 * and stores and deploys the model like automl_train.
 *
 * Everything happens in the caller's transaction, so an error or a cancel
 * leaves the catalog as it was.  The run stores a task without
 * meta-features and no trials, so warm starts and the task encoder skip it.
 *
 * NOTE: there is no time budget and no class weighting: a long fit stops
 * only when cancelled (statement_timeout, for instance), and imbalanced
 * classes train unweighted even when the metric is balanced accuracy.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "evaluate.h"
#include "groups.h"
#include "model.h"
#include "prep.h"
#include "train.h"

/* Groups with fewer rows keep every row for training. */
#define MIN_SPLIT_ROWS 4

/* Folds of the out-of-fold target encoding of high-cardinality columns. */
#define ENCODING_FOLDS 5

PG_FUNCTION_INFO_V1(automl_train_groups);

/* The arguments of one automl_train_groups call, validated. */
typedef struct GroupRequest
{
	TrainRequest train;			/* relation, target, project, task, metric, seed, exclude */
	char	   *group_by;
	double		holdout;
	double		config[AUTOML_MAX_PARAMS];	/* grouped_linear_family's hyperparameters */
} GroupRequest;

/* A loaded, preprocessed table with its groups and split. */
typedef struct GroupedTable
{
	LoadedTable *table;
	PrepPlan   *plan;
	TaskKind	task;
	MetricId	metric;
	TrainData	data;			/* column-major design matrix and target */
	double	   *x_rows;			/* the design matrix, row-major */
	int			group_column;	/* index into table->columns */
	int			n_groups;
	char	  **keys;			/* sorted */
	int		   *group_of_row;	/* -1 for a NULL group */
	int		   *group_size;
	bool	   *is_test;
	int			test_rows;
	int			test_groups;
	int			small_groups;
} GroupedTable;

/* The summary row automl_train_groups returns. */
typedef struct GroupOutcome
{
	double		score;			/* over every held-out row */
	double		group_score;	/* mean over groups of their held-out score */
	double		baseline_score;
	int			train_rows;
	int64		model_id;
	bool		deployed;
} GroupOutcome;

static void
RejectArgument(const char *name, const char *requirement, const char *value,
			   const char *example)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be %s", name, requirement),
			 errdetail("%s is %s.", name, value),
			 errhint("Pass for example %s => %s.", name, example)));
}

static int
IntArgument(FunctionCallInfo fcinfo, int argno, const char *name, int fallback)
{
	int			value = PG_ARGISNULL(argno) ? fallback : PG_GETARG_INT32(argno);

	if (value < 1)
		RejectArgument(name, "at least 1", psprintf("%d", value),
					   psprintf("%d", fallback));
	return value;
}

static double
RealArgument(FunctionCallInfo fcinfo, int argno, double fallback)
{
	return PG_ARGISNULL(argno) ? fallback : PG_GETARG_FLOAT8(argno);
}

/* Raise the error for a float argument outside its range (NaN never is inside). */
static void
RequireRange(const char *name, double value, bool valid, const char *requirement,
			 double example)
{
	if (!valid)
		RejectArgument(name, requirement, psprintf("%g", value), psprintf("%g", example));
}

static char *
RequiredText(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char	   *value;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("Pass the %s to train on.", name)));
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name),
				 errhint("Pass the %s to train on.", name)));
	return value;
}

static GroupStrategy
ParseStrategy(const char *name)
{
	if (strcmp(name, "reptile") == 0)
		return GROUP_REPTILE;
	if (strcmp(name, "independent") == 0)
		return GROUP_INDEPENDENT;
	if (strcmp(name, "pooled") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown strategy \"%s\"", name),
				 errdetail("Strategies are reptile, independent and pooled."),
				 errhint("Pass strategy => 'reptile', 'independent' or 'pooled'.")));
	return GROUP_POOLED;
}

/* Text elements of the exclude argument as a List of char *. */
static List *
ExcludeList(FunctionCallInfo fcinfo, int argno)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *result = NIL;

	if (PG_ARGISNULL(argno))
		return NIL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("exclude must not contain NULL"),
					 errdetail("Element %d is NULL.", i + 1),
					 errhint("Remove the NULL from exclude.")));
		result = lappend(result, TextDatumGetCString(elems[i]));
	}
	return result;
}

/* The task, metric and group_by checks that need no table. */
static void
CheckRequest(const GroupRequest *request)
{
	const TrainRequest *train = &request->train;

	if (strcmp(train->task, "auto") != 0 && strcmp(train->task, "classification") != 0 &&
		strcmp(train->task, "regression") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid task \"%s\"", train->task),
				 errhint("Use 'auto', 'classification' or 'regression'.")));
	if (train->metric && !MetricKnown(train->metric))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown metric \"%s\"", train->metric),
				 errhint("Metrics are %s, or omit metric for the task's default.",
						 MetricNameList())));
	if (strcmp(request->group_by, train->target) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group_by names the target column \"%s\"", request->group_by),
				 errhint("Group by another column: the target cannot choose the model that predicts it.")));
	if (ListContainsName(train->exclude, request->group_by))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group_by column \"%s\" is in exclude", request->group_by),
				 errhint("Remove it from exclude: the group column is never a feature anyway.")));
}

static void
ParseArguments(FunctionCallInfo fcinfo, GroupRequest *request)
{
	TrainRequest *train = &request->train;
	double	   *config = request->config;

	train->relation = RequiredText(fcinfo, 0, "relation");
	train->target = RequiredText(fcinfo, 1, "target");
	request->group_by = RequiredText(fcinfo, 2, "group_by");
	train->project = PG_ARGISNULL(3) ? NULL : RequiredText(fcinfo, 3, "project");
	FamilyDefaultConfig(&grouped_linear_family, config);
	if (!PG_ARGISNULL(4))
		config[GROUP_PARAM_STRATEGY] = ParseStrategy(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	train->task = PG_ARGISNULL(5) ? "auto" : text_to_cstring(PG_GETARG_TEXT_PP(5));
	train->metric = PG_ARGISNULL(6) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(6));
	train->seed = PG_ARGISNULL(7) ? 42 : PG_GETARG_INT32(7);
	config[GROUP_PARAM_INNER_STEPS] = IntArgument(fcinfo, 8, "inner_steps", 30);
	config[GROUP_PARAM_META_ITERATIONS] = IntArgument(fcinfo, 9, "meta_iterations", 1000);
	config[GROUP_PARAM_META_STEP_SIZE] = RealArgument(fcinfo, 10, 1.0);
	config[GROUP_PARAM_LEARNING_RATE] = RealArgument(fcinfo, 11, 1.0);
	config[GROUP_PARAM_STEPS] = IntArgument(fcinfo, 12, "steps", 300);
	config[GROUP_PARAM_L2] = RealArgument(fcinfo, 13, 0.01);
	config[GROUP_PARAM_PROXIMAL] = RealArgument(fcinfo, 14, 1.0);
	request->holdout = RealArgument(fcinfo, 15, 0.25);
	RequireRange("meta_step_size", config[GROUP_PARAM_META_STEP_SIZE],
				 config[GROUP_PARAM_META_STEP_SIZE] > 0 && config[GROUP_PARAM_META_STEP_SIZE] <= 1,
				 "greater than 0 and at most 1", 1.0);
	RequireRange("learning_rate", config[GROUP_PARAM_LEARNING_RATE],
				 config[GROUP_PARAM_LEARNING_RATE] > 0 && config[GROUP_PARAM_LEARNING_RATE] < 2,
				 "greater than 0 and less than 2", 1.0);
	RequireRange("l2", config[GROUP_PARAM_L2],
				 config[GROUP_PARAM_L2] >= 0 && config[GROUP_PARAM_L2] <= 1e6,
				 "from 0 to 1000000", 0.01);
	RequireRange("proximal", config[GROUP_PARAM_PROXIMAL],
				 config[GROUP_PARAM_PROXIMAL] >= 0 && config[GROUP_PARAM_PROXIMAL] <= 1e6,
				 "from 0 to 1000000", 1.0);
	RequireRange("holdout", request->holdout, request->holdout > 0 && request->holdout < 1,
				 "greater than 0 and less than 1", 0.25);
	train->exclude = ExcludeList(fcinfo, 16);
	CheckRequest(request);
}

/* The index of the group column among the loaded columns, or an error. */
static int
FindGroupColumn(const LoadedTable *table, const char *group_by)
{
	StringInfoData names;

	for (int i = 0; i < table->n_columns; i++)
		if (strcmp(table->columns[i].name, group_by) == 0)
			return i;
	initStringInfo(&names);
	for (int i = 0; i < table->n_columns; i++)
		appendStringInfo(&names, "%s%s", i ? ", " : "", quote_identifier(table->columns[i].name));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("group_by column \"%s\" does not exist in %s", group_by, table->relation),
			 errdetail("The columns besides the target are %s.", names.data),
			 errhint("Pass one of them as group_by.")));
	return -1;					/* keep compiler quiet */
}

/* The group key of each row, NULL for a NULL group value. */
static char **
RowKeys(const LoadedColumn *column, int n_rows)
{
	char	  **keys = palloc(sizeof(char *) * Max(n_rows, 1));

	for (int r = 0; r < n_rows; r++)
	{
		const char *level = NULL;

		if (KIND_HAS_LEVELS(column->kind) && column->codes[r] >= 0)
			level = column->levels[column->codes[r]];
		keys[r] = GroupKey(column->kind,
						   KIND_HAS_VALUES(column->kind) ? column->values[r] : NAN, level);
	}
	return keys;
}

static int
CompareKeys(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Number the distinct keys in sorted order and give each row its group. */
static void
IndexGroups(GroupedTable *gt, const char *group_by)
{
	int			n_rows = gt->table->n_rows;
	char	  **row_keys = RowKeys(&gt->table->columns[gt->group_column], n_rows);
	char	  **sorted = palloc(sizeof(char *) * Max(n_rows, 1));
	int			n_keyed = 0;

	for (int r = 0; r < n_rows; r++)
		if (row_keys[r])
			sorted[n_keyed++] = row_keys[r];
	qsort(sorted, n_keyed, sizeof(char *), CompareKeys);
	gt->keys = palloc(sizeof(char *) * Max(n_keyed, 1));
	gt->n_groups = 0;
	for (int i = 0; i < n_keyed; i++)
		if (gt->n_groups == 0 || strcmp(gt->keys[gt->n_groups - 1], sorted[i]) != 0)
			gt->keys[gt->n_groups++] = sorted[i];
	if (gt->n_groups < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group_by column \"%s\" has fewer than two groups", group_by),
				 errdetail("It has %d distinct non-NULL %s in %d rows.", gt->n_groups,
						   gt->n_groups == 1 ? "value" : "values", n_rows),
				 errhint("Group by a column with several values, or train one model with automl_train.")));

	gt->group_of_row = palloc(sizeof(int) * n_rows);
	gt->group_size = palloc0(sizeof(int) * gt->n_groups);
	for (int r = 0; r < n_rows; r++)
	{
		char	  **found = row_keys[r] == NULL ? NULL
			: bsearch(&row_keys[r], gt->keys, gt->n_groups, sizeof(char *), CompareKeys);

		gt->group_of_row[r] = found ? (int) (found - gt->keys) : -1;
		if (found)
			gt->group_size[gt->group_of_row[r]]++;
	}
}

/* Seeded fold numbers for the out-of-fold target encoding. */
static int *
EncodingFolds(int n_rows, pg_prng_state *prng)
{
	int		   *folds = palloc(sizeof(int) * Max(n_rows, 1));

	for (int r = 0; r < n_rows; r++)
		folds[r] = (int) pg_prng_uint64_range(prng, 0, ENCODING_FOLDS - 1);
	return folds;
}

/* The design matrix copied row by row, so a row's features are contiguous. */
static double *
RowMajor(const TrainData *data)
{
	double	   *rows = AutomlAllocDoubles(Max((Size) data->n_rows * data->n_cols, 1),
										  "the row-major design matrix");

	for (int j = 0; j < data->n_cols; j++)
	{
		const double *column = data->x + (Size) j * data->n_rows;

		CHECK_FOR_INTERRUPTS();
		for (int r = 0; r < data->n_rows; r++)
			rows[(Size) r * data->n_cols + j] = column[r];
	}
	return rows;
}

/* Preprocess every column but the group column into the design matrix. */
static void
Preprocess(GroupedTable *gt, pg_prng_state *prng)
{
	LoadedTable *table = gt->table;
	PrepColumnOptions *options = PrepParseOptions(NULL, table);
	TrainData  *data = &gt->data;

	options[gt->group_column].drop = true;
	gt->plan = PrepFitTarget(table, gt->task);
	data->task = gt->task;
	data->y = PrepTargetVector(gt->plan, table);
	data->n_rows = table->n_rows;
	data->n_classes = gt->plan->n_classes;
	PrepFitColumns(gt->plan, table, data->y, options, prng);
	gt->plan->columns[gt->group_column].dropped = "the group_by column, it chooses the model";
	PrepReport(gt->plan);
	data->x = PrepTransformTable(gt->plan, table, data->y,
								 EncodingFolds(table->n_rows, prng), ENCODING_FOLDS);
	data->n_cols = gt->plan->n_features;
	gt->x_rows = RowMajor(data);
}

/*
 * Hold out the share "holdout" of the rows of one group (or of the rows
 * with a NULL group, group -1), at least one row and one training row.
 * Returns the rows held out; 0 when the group has too few rows.
 */
static int
SplitGroup(GroupedTable *gt, int group, double holdout, pg_prng_state *prng)
{
	int			n_rows = gt->table->n_rows;
	int		   *rows = palloc(sizeof(int) * Max(n_rows, 1));
	int			n = 0;
	int			n_test;

	for (int r = 0; r < n_rows; r++)
		if (gt->group_of_row[r] == group)
			rows[n++] = r;
	if (n < MIN_SPLIT_ROWS)
	{
		pfree(rows);
		return 0;
	}
	FamilyShuffle(rows, n, prng);
	n_test = Min(Max((int) rint(holdout * n), 1), n - 1);
	for (int i = 0; i < n_test; i++)
		gt->is_test[rows[i]] = true;
	pfree(rows);
	return n_test;
}

static void
SplitRows(GroupedTable *gt, double holdout, pg_prng_state *prng)
{
	int			largest = 0;

	gt->is_test = palloc0(sizeof(bool) * Max(gt->table->n_rows, 1));
	for (int g = 0; g < gt->n_groups; g++)
	{
		int			n_test = SplitGroup(gt, g, holdout, prng);

		CHECK_FOR_INTERRUPTS();
		gt->test_rows += n_test;
		gt->test_groups += n_test > 0;
		gt->small_groups += n_test == 0;
		largest = Max(largest, gt->group_size[g]);
	}
	gt->test_rows += SplitGroup(gt, -1, holdout, prng);
	if (gt->test_groups == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no group has enough rows for a held-out score"),
				 errdetail("The largest group has %d %s, a group needs at least %d.",
						   largest, largest == 1 ? "row" : "rows", MIN_SPLIT_ROWS),
				 errhint("Train on more rows per group, or group by a coarser column.")));
	if (gt->small_groups > 0)
		ereport(NOTICE,
				(errmsg("automl: %d of %d groups have fewer than %d rows and keep them all for training",
						gt->small_groups, gt->n_groups, MIN_SPLIT_ROWS)));
}

/*
 * Reject a group_by column of a type the loader cannot read.  The loader's
 * own error would suggest exclude, which a group_by column cannot be in.
 */
static void
CheckGroupColumnType(Oid relid, const char *group_by)
{
	AttrNumber	attnum = get_attnum(relid, group_by);
	ColumnKind	kind;
	Oid			typid;

	/* a missing column is reported after the load, with the closest name */
	if (attnum == InvalidAttrNumber)
		return;
	typid = get_atttype(relid, attnum);
	if (!LoadColumnKind(typid, &kind))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("group_by column \"%s\" has unsupported type %s", group_by,
						format_type_be(typid)),
				 errdetail("Supported types are numbers, boolean, text types, enums, uuid, date, timestamp and timestamptz."),
				 errhint("Train on a view that selects \"%s\"::text, and group by that column.",
						 group_by)));
}

/* Load, check, index the groups, preprocess and split. */
static void
PrepareGroups(GroupedTable *gt, GroupRequest *request, pg_prng_state *prng)
{
	TrainRequest *train = &request->train;
	LoadedTable *table;

	CheckGroupColumnType(train->relid, request->group_by);
	table = LoadTable(train->relid, train->target, train->exclude, prng);
	ReportLoad(table);
	gt->table = table;
	gt->task = InferTask(train, table);
	ValidateTarget(train, table, gt->task);
	gt->group_column = FindGroupColumn(table, request->group_by);
	gt->metric = MetricByName(train->metric ? train->metric
							  : CatalogProjectMetric(train->project, TaskKindName(gt->task)),
							  gt->task);
	CatalogCheckProject(train->project, table->relation, train->target,
						TaskKindName(gt->task));
	IndexGroups(gt, request->group_by);
	Preprocess(gt, prng);
	SplitRows(gt, request->holdout, prng);
}

/* The rows to train on: those not held out, or every row. */
static GroupedRows
FitRows(const GroupedTable *gt, bool all_rows)
{
	GroupedRows rows = {0};
	int		   *train = palloc(sizeof(int) * Max(gt->table->n_rows, 1));

	rows.x = gt->x_rows;
	rows.y = gt->data.y;
	rows.n_rows = gt->data.n_rows;
	rows.n_cols = gt->data.n_cols;
	rows.task = gt->task;
	rows.n_outputs = gt->task == TASK_CLASSIFICATION ? gt->plan->n_classes : 1;
	rows.n_groups = gt->n_groups;
	rows.group_of_row = gt->group_of_row;
	for (int r = 0; r < gt->data.n_rows; r++)
		if (all_rows || !gt->is_test[r])
			train[rows.n_train++] = r;
	rows.train_rows = train;
	return rows;
}

/* The baseline's held-out score: the training rows' mean or class shares. */
static double
BaselineScore(const GroupedTable *gt, const GroupedRows *rows, const double *test_y)
{
	TrainData	train = {0};
	double	   *y = palloc(sizeof(double) * Max(rows->n_train, 1));
	int			width = rows->n_outputs;
	double	   *pred = palloc(sizeof(double) * Max(gt->test_rows, 1) * width);
	void	   *state;

	for (int i = 0; i < rows->n_train; i++)
		y[i] = gt->data.y[rows->train_rows[i]];
	train.y = y;
	train.n_rows = rows->n_train;
	train.task = gt->task;
	train.n_classes = gt->plan->n_classes;
	state = baseline_family.fit(&train, NULL, NULL);
	baseline_family.predict(state, NULL, gt->test_rows, 0, pred);
	return MetricCompute(gt->metric, test_y, pred, gt->test_rows, gt->plan->n_classes);
}

/* Mean over groups with held-out rows of the metric on their rows. */
static double
MeanGroupScore(const GroupedTable *gt, const int *test_group, const double *test_y,
			   const double *pred, int width)
{
	double	   *y = palloc(sizeof(double) * Max(gt->test_rows, 1));
	double	   *p = palloc(sizeof(double) * Max(gt->test_rows, 1) * width);
	double		sum = 0.0;
	int			counted = 0;

	for (int g = 0; g < gt->n_groups; g++)
	{
		int			n = 0;
		double		score;

		for (int i = 0; i < gt->test_rows; i++)
		{
			if (test_group[i] != g)
				continue;
			y[n] = test_y[i];
			memcpy(p + (Size) n * width, pred + (Size) i * width, sizeof(double) * width);
			n++;
		}
		score = n > 0 ? MetricCompute(gt->metric, y, p, n, gt->plan->n_classes) : NAN;
		if (isfinite(score))
		{
			sum += score;
			counted++;
		}
	}
	return counted ? sum / counted : NAN;
}

/*
 * Fit on the training side of the split and score the held-out rows: the
 * metric over all of them, the mean over groups, and the baseline's.
 * Returns the metrics JSON of the held-out predictions.
 */
static char *
EvaluateHeldOut(const GroupedTable *gt, const GroupRequest *request, GroupOutcome *outcome)
{
	GroupedRows rows = FitRows(gt, false);
	GroupedModel *model = GroupedFit(&rows, request->config, (uint64) request->train.seed);
	int			width = rows.n_outputs;
	double	   *test_y = palloc(sizeof(double) * Max(gt->test_rows, 1));
	int		   *test_group = palloc(sizeof(int) * Max(gt->test_rows, 1));
	double	   *pred = palloc(sizeof(double) * Max(gt->test_rows, 1) * width);
	int			n = 0;
	StringInfoData metrics;

	for (int r = 0; r < gt->data.n_rows; r++)
	{
		if (!gt->is_test[r])
			continue;
		test_y[n] = gt->data.y[r];
		test_group[n] = gt->group_of_row[r];
		GroupedPredictOne(model, test_group[n], gt->x_rows + (Size) r * gt->data.n_cols,
						  pred + (Size) n * width);
		n++;
	}
	outcome->score = MetricCompute(gt->metric, test_y, pred, n, gt->plan->n_classes);
	outcome->group_score = MeanGroupScore(gt, test_group, test_y, pred, width);
	outcome->baseline_score = BaselineScore(gt, &rows, test_y);
	initStringInfo(&metrics);
	MetricAppendAllJson(&metrics, gt->task, test_y, pred, n, gt->plan->n_classes);
	return metrics.data;
}

/* Refit on every row and wrap the result as a stored model. */
static AutomlModel *
RefitAll(const GroupedTable *gt, const GroupRequest *request, GroupOutcome *outcome)
{
	GroupedRows rows = FitRows(gt, true);
	GroupedModel *grouped = GroupedFit(&rows, request->config, (uint64) request->train.seed);
	AutomlModel *model = palloc0(sizeof(AutomlModel));

	grouped->group_column = pstrdup(request->group_by);
	grouped->group_keys = gt->keys;
	grouped->group_rows = gt->group_size;
	grouped->test_rows = gt->test_rows;
	grouped->test_groups = gt->test_groups;
	grouped->small_groups = gt->small_groups;
	model->plan = gt->plan;
	model->family = &grouped_linear_family;
	memcpy(model->config, request->config, sizeof(model->config));
	model->state = grouped;
	outcome->train_rows = gt->data.n_rows - gt->test_rows;
	return model;
}

/* Store the project, task and model, and deploy when at least as good. */
static void
StoreModel(const GroupRequest *request, const GroupedTable *gt, AutomlModel *model,
		   const char *metrics_json, GroupOutcome *outcome)
{
	const TrainRequest *train = &request->train;
	const char *task_name = TaskKindName(gt->task);
	const char *metric_name = MetricGetInfo(gt->metric)->name;
	int64		project_id;
	int64		task_id;

	project_id = CatalogSaveProject(train->project, gt->table->relation, train->target,
									task_name, metric_name);
	task_id = CatalogInsertTask(project_id, gt->table->relation, train->target, task_name,
								gt->table->n_rows, gt->plan->n_features, "{}", NULL, NULL);
	outcome->model_id =
		CatalogInsertModel(project_id, task_id, 0, grouped_linear_family.name,
						   FamilyConfigToJsonForTask(&grouped_linear_family, model->config,
													 gt->task),
						   PrepToJson(gt->plan), metric_name, outcome->score,
						   outcome->baseline_score, metrics_json,
						   ImportanceToJson(model, &gt->data, gt->metric,
											(uint64) train->seed),
						   AUTOML_MODEL_FORMAT_VERSION, ModelSerialize(model));
	outcome->deployed = DeployIfBetter(project_id, outcome->model_id, gt->metric, NULL,
									   outcome->score, -1);
}

static void
RunGroups(GroupRequest *request, GroupedTable *gt, GroupOutcome *outcome)
{
	pg_prng_state prng;
	char	   *metrics_json;
	AutomlModel *model;
	const char *strategy;

	pg_prng_seed(&prng, (uint64) request->train.seed);
	PrepareGroups(gt, request, &prng);
	strategy = grouped_linear_family.params[GROUP_PARAM_STRATEGY]
		.choices[(int) request->config[GROUP_PARAM_STRATEGY]];
	ereport(NOTICE,
			(errmsg("automl: %s of \"%s\" by %s over %d groups of \"%s\", metric %s, %d held-out rows",
					TaskKindName(gt->task), request->train.target, strategy, gt->n_groups,
					request->group_by, MetricGetInfo(gt->metric)->name, gt->test_rows)));
	metrics_json = EvaluateHeldOut(gt, request, outcome);
	model = RefitAll(gt, request, outcome);
	StoreModel(request, gt, model, metrics_json, outcome);
	ereport(NOTICE,
			(errmsg("automl: %s held-out %s %.4f (baseline %.4f), model %lld %s",
					strategy, MetricGetInfo(gt->metric)->name, outcome->score,
					outcome->baseline_score, (long long) outcome->model_id,
					outcome->deployed ? "deployed" : "stored")));
}

static HeapTuple
OutcomeTuple(const GroupRequest *request, const GroupedTable *gt,
			 const GroupOutcome *outcome, double seconds, TupleDesc tupdesc)
{
	Datum		values[14];
	bool		nulls[14] = {0};
	int			strategy = (int) request->config[GROUP_PARAM_STRATEGY];

	values[0] = CStringGetTextDatum(request->train.project);
	values[1] = CStringGetTextDatum(TaskKindName(gt->task));
	values[2] = CStringGetTextDatum(grouped_linear_family.params[GROUP_PARAM_STRATEGY].choices[strategy]);
	values[3] = CStringGetTextDatum(MetricGetInfo(gt->metric)->name);
	values[4] = Float8GetDatum(outcome->score);
	values[5] = Float8GetDatum(outcome->group_score);
	nulls[5] = isnan(outcome->group_score);
	values[6] = Float8GetDatum(outcome->baseline_score);
	values[7] = Int32GetDatum(gt->n_groups);
	values[8] = Int32GetDatum(gt->small_groups);
	values[9] = Int32GetDatum(outcome->train_rows);
	values[10] = Int32GetDatum(gt->test_rows);
	values[11] = Float8GetDatum(seconds);
	values[12] = Int64GetDatum(outcome->model_id);
	values[13] = BoolGetDatum(outcome->deployed);
	return heap_form_tuple(tupdesc, values, nulls);
}

Datum
automl_train_groups(PG_FUNCTION_ARGS)
{
	GroupRequest request = {0};
	GroupedTable gt = {0};
	GroupOutcome outcome = {0};
	double		start = AutomlNow();
	MemoryContext caller_context = CurrentMemoryContext;
	MemoryContext groups_context;
	TupleDesc	tupdesc;
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_train_groups must return a record");
	ParseArguments(fcinfo, &request);
	request.train.relid = LoadResolveRelation(request.train.relation);
	if (request.train.project == NULL)
		request.train.project = get_rel_name(request.train.relid);

	groups_context = AllocSetContextCreate(caller_context, "automl train groups",
										   ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(groups_context);
	RunGroups(&request, &gt, &outcome);
	MemoryContextSwitchTo(caller_context);
	SPI_finish();

	tuple = OutcomeTuple(&request, &gt, &outcome, AutomlNow() - start, tupdesc);
	MemoryContextDelete(groups_context);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
