/*
 * metrics.c
 *		Classification and regression metrics.
 *
 * Classification predictions are class probabilities; labels are the
 * argmax.  For binary tasks, class index 1 (the larger label) is positive.
 */
#include "postgres.h"

#include <math.h>

#include "evaluate.h"

static const MetricInfo metric_info[] = {
	[METRIC_ACCURACY] = {"accuracy", TASK_CLASSIFICATION, true},
	[METRIC_BALANCED_ACCURACY] = {"balanced_accuracy", TASK_CLASSIFICATION, true},
	[METRIC_LOG_LOSS] = {"log_loss", TASK_CLASSIFICATION, false},
	[METRIC_F1] = {"f1", TASK_CLASSIFICATION, true},
	[METRIC_ROC_AUC] = {"roc_auc", TASK_CLASSIFICATION, true},
	[METRIC_RMSE] = {"rmse", TASK_REGRESSION, false},
	[METRIC_MAE] = {"mae", TASK_REGRESSION, false},
	[METRIC_R2] = {"r2", TASK_REGRESSION, true},
};

const MetricInfo *
MetricGetInfo(MetricId metric)
{
	return &metric_info[metric];
}

MetricId
MetricByName(const char *name, TaskKind task)
{
	StringInfoData names;

	if (name == NULL)
		return task == TASK_CLASSIFICATION ? METRIC_BALANCED_ACCURACY : METRIC_RMSE;

	initStringInfo(&names);
	for (int m = 0; m < lengthof(metric_info); m++)
	{
		if (metric_info[m].task != task)
			continue;
		if (strcmp(metric_info[m].name, name) == 0)
			return (MetricId) m;
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", metric_info[m].name);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown metric \"%s\" for %s", name, TaskKindName(task)),
			 errdetail("Metrics for %s are: %s.", TaskKindName(task), names.data),
			 errhint("Pass one of them as metric, or omit it for the default.")));
	return METRIC_ACCURACY;		/* keep compiler quiet */
}

char *
MetricNameList(void)
{
	StringInfoData names;

	initStringInfo(&names);
	for (int m = 0; m < lengthof(metric_info); m++)
		appendStringInfo(&names, "%s%s", m ? ", " : "", metric_info[m].name);
	return names.data;
}

bool
MetricKnown(const char *name)
{
	for (int m = 0; m < lengthof(metric_info); m++)
		if (strcmp(metric_info[m].name, name) == 0)
			return true;
	return false;
}

bool
MetricBetter(MetricId metric, double a, double b)
{
	if (isnan(b))
		return !isnan(a);
	if (isnan(a))
		return false;
	return metric_info[metric].higher_is_better ? a > b : a < b;
}

static int
ArgMax(const double *p, int k)
{
	int			best = 0;

	for (int c = 1; c < k; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

/* confusion[t * k + p] counts rows of true class t predicted as p. */
static double *
Confusion(const double *y, const double *pred, int n, int k)
{
	double	   *confusion = palloc0(sizeof(double) * k * k);

	for (int i = 0; i < n; i++)
		confusion[(int) y[i] * k + ArgMax(pred + (Size) i * k, k)] += 1.0;
	return confusion;
}

static double
Accuracy(const double *confusion, int n, int k)
{
	double		correct = 0.0;

	for (int c = 0; c < k; c++)
		correct += confusion[c * k + c];
	return correct / n;
}

/* Mean recall over the classes present in y. */
static double
BalancedAccuracy(const double *confusion, int k)
{
	double		sum = 0.0;
	int			present = 0;

	for (int t = 0; t < k; t++)
	{
		double		row = 0.0;

		for (int p = 0; p < k; p++)
			row += confusion[t * k + p];
		if (row > 0)
		{
			sum += confusion[t * k + t] / row;
			present++;
		}
	}
	return present ? sum / present : 0.0;
}

static double
F1OfClass(const double *confusion, int k, int c)
{
	double		tp = confusion[c * k + c];
	double		predicted = 0.0;
	double		actual = 0.0;

	for (int o = 0; o < k; o++)
	{
		predicted += confusion[o * k + c];
		actual += confusion[c * k + o];
	}
	return (predicted + actual) > 0 ? 2.0 * tp / (predicted + actual) : 0.0;
}

/* F1 of class 1 for binary tasks, macro-averaged F1 otherwise. */
static double
F1(const double *confusion, int k)
{
	double		sum = 0.0;

	if (k == 2)
		return F1OfClass(confusion, k, 1);
	for (int c = 0; c < k; c++)
		sum += F1OfClass(confusion, k, c);
	return sum / k;
}

static double
LogLoss(const double *y, const double *pred, int n, int k)
{
	double		sum = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		p = pred[(Size) i * k + (int) y[i]];

		sum -= log(Min(Max(p, 1e-15), 1.0));
	}
	return sum / n;
}

typedef struct ScoredRow
{
	double		score;
	bool		positive;
} ScoredRow;

static int
CompareScoredRows(const void *a, const void *b)
{
	double		x = ((const ScoredRow *) a)->score;
	double		y = ((const ScoredRow *) b)->score;

	return (x > y) - (x < y);
}

/*
 * Area under the ROC curve of class c against the rest, by the rank-sum
 * (Mann-Whitney U) formula with tied scores sharing their mean rank.
 * Returns NaN when y has no rows of c or no rows of other classes.
 */
static double
AucOneVsRest(const double *y, const double *pred, int n, int k, int c)
{
	ScoredRow  *rows = palloc(sizeof(ScoredRow) * n);
	double		rank_sum = 0.0;
	double		n_pos = 0.0;
	int			i = 0;

	for (int r = 0; r < n; r++)
	{
		rows[r].score = pred[(Size) r * k + c];
		rows[r].positive = ((int) y[r] == c);
		n_pos += rows[r].positive;
	}
	qsort(rows, n, sizeof(ScoredRow), CompareScoredRows);
	while (i < n)
	{
		int			j = i;
		double		positives = 0.0;

		while (j < n && rows[j].score == rows[i].score)
			positives += rows[j++].positive;
		rank_sum += positives * (i + j + 1) / 2.0;
		i = j;
	}
	pfree(rows);
	if (n_pos == 0 || n_pos == n)
		return NAN;
	return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * (n - n_pos));
}

/* Binary: AUC of class 1; multiclass: macro one-vs-rest AUC. */
static double
RocAuc(const double *y, const double *pred, int n, int k)
{
	double		sum = 0.0;
	int			counted = 0;

	if (k == 2)
		return AucOneVsRest(y, pred, n, k, 1);
	for (int c = 0; c < k; c++)
	{
		double		auc = AucOneVsRest(y, pred, n, k, c);

		if (!isnan(auc))
		{
			sum += auc;
			counted++;
		}
	}
	return counted ? sum / counted : NAN;
}

static double
RegressionMetric(MetricId metric, const double *y, const double *pred, int n)
{
	double		sum_sq = 0.0;
	double		sum_abs = 0.0;
	double		mean = 0.0;
	double		total_sq = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		e = y[i] - pred[i];

		sum_sq += e * e;
		sum_abs += fabs(e);
		mean += y[i] / n;
	}
	if (metric == METRIC_RMSE)
		return sqrt(sum_sq / n);
	if (metric == METRIC_MAE)
		return sum_abs / n;
	for (int i = 0; i < n; i++)
		total_sq += (y[i] - mean) * (y[i] - mean);
	return total_sq > 0 ? 1.0 - sum_sq / total_sq : 0.0;
}

double
MetricCompute(MetricId metric, const double *y, const double *pred, int n,
			  int n_classes)
{
	double	   *confusion;
	double		score;

	if (n <= 0)
		return NAN;
	if (metric_info[metric].task == TASK_REGRESSION)
		return RegressionMetric(metric, y, pred, n);
	if (metric == METRIC_LOG_LOSS)
		return LogLoss(y, pred, n, n_classes);
	if (metric == METRIC_ROC_AUC)
		return RocAuc(y, pred, n, n_classes);

	confusion = Confusion(y, pred, n, n_classes);
	if (metric == METRIC_ACCURACY)
		score = Accuracy(confusion, n, n_classes);
	else if (metric == METRIC_BALANCED_ACCURACY)
		score = BalancedAccuracy(confusion, n_classes);
	else
		score = F1(confusion, n_classes);
	pfree(confusion);
	return score;
}

void
MetricAppendAllJson(StringInfo buf, TaskKind task, const double *y,
					const double *pred, int n, int n_classes)
{
	bool		first = true;

	appendStringInfoChar(buf, '{');
	for (int m = 0; m < lengthof(metric_info); m++)
	{
		double		score;

		if (metric_info[m].task != task)
			continue;
		score = MetricCompute((MetricId) m, y, pred, n, n_classes);
		appendStringInfo(buf, "%s\"%s\": ", first ? "" : ", ", metric_info[m].name);
		if (!isfinite(score))
			appendStringInfoString(buf, "null");
		else
			appendStringInfo(buf, "%.6g", score);
		first = false;
	}
	appendStringInfoChar(buf, '}');
}
