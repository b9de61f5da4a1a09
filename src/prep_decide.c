/*
 * prep_decide.c
 *		Which columns to drop before fitting, and why.
 *
 * Rules, in order, each skipped for columns the options mark keep:
 *	all NULL;
 *	constant: one distinct non-NULL value, whatever the NULLs;
 *	id-like: a text or uuid column whose distinct values cover at least
 *		ID_LIKE_SHARE of its non-NULL rows, or an integer column of distinct
 *		values that increase with the row order or fill a contiguous range;
 *	duplicate: a restatement of an earlier kept column, NULL counting as a
 *		value: for two numeric columns a monotone transform, otherwise a
 *		one-to-one recoding (renamed levels) of a column that repeats values;
 *	leaking the target: a column that alone predicts the target almost
 *		perfectly.  Its score is a two-fold cross-validated lookup: rows are
 *		grouped by level (numbers by up to LEAK_BINS quantile bins), each
 *		group predicts its majority class or mean from the other fold, and a
 *		balanced accuracy or R^2 of at least LEAK_THRESHOLD counts as a leak.
 *		Leaks raise a WARNING and are dropped unless kept.
 * Columns dropped by the options come first, with that reason.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"

#include "prep.h"

#define ID_LIKE_SHARE 0.95
#define ID_LIKE_MIN_ROWS 20
#define LEAK_BINS 32
#define LEAK_THRESHOLD 0.98
#define LEAK_MIN_ROWS 20

/* A column recoded as dense codes 0..n_codes-1, NULL being code n_codes - 1. */
typedef struct ColumnCodes
{
	int		   *codes;
	int			n_codes;
	int			n_distinct;		/* non-NULL distinct values */
} ColumnCodes;

typedef struct ValueRow
{
	double		value;
	int			row;
} ValueRow;

static int
CompareValueRows(const void *a, const void *b)
{
	const ValueRow *x = a;
	const ValueRow *y = b;

	if (x->value != y->value)
		return (x->value > y->value) - (x->value < y->value);
	return x->row - y->row;
}

/* Dense codes of a numeric column: rank of its distinct values. */
static void
CodeValues(ColumnCodes *cc, const double *values, int n_rows)
{
	ValueRow   *sorted = palloc(sizeof(ValueRow) * Max(n_rows, 1));
	int			n = 0;
	int			code = -1;

	for (int r = 0; r < n_rows; r++)
		if (!isnan(values[r]))
		{
			sorted[n].value = values[r];
			sorted[n++].row = r;
		}
	qsort(sorted, n, sizeof(ValueRow), CompareValueRows);
	for (int i = 0; i < n; i++)
	{
		if (i == 0 || sorted[i].value != sorted[i - 1].value)
			code++;
		cc->codes[sorted[i].row] = code;
	}
	cc->n_distinct = code + 1;
	pfree(sorted);
}

static ColumnCodes *
CodeColumn(const LoadedColumn *column, int n_rows)
{
	ColumnCodes *cc = palloc(sizeof(ColumnCodes));
	bool	   *seen;

	cc->codes = palloc(sizeof(int) * Max(n_rows, 1));
	for (int r = 0; r < n_rows; r++)
		cc->codes[r] = -1;
	if (KIND_HAS_LEVELS(column->kind))
	{
		/* codes of levels that survive in the rows, renumbered densely */
		int		   *dense = palloc(sizeof(int) * Max(column->n_levels, 1));

		seen = palloc0(sizeof(bool) * Max(column->n_levels, 1));
		for (int r = 0; r < n_rows; r++)
			if (column->codes[r] >= 0)
				seen[column->codes[r]] = true;
		cc->n_distinct = 0;
		for (int c = 0; c < column->n_levels; c++)
			dense[c] = seen[c] ? cc->n_distinct++ : -1;
		for (int r = 0; r < n_rows; r++)
			if (column->codes[r] >= 0)
				cc->codes[r] = dense[column->codes[r]];
		pfree(dense);
		pfree(seen);
	}
	else
		CodeValues(cc, column->values, n_rows);

	cc->n_codes = cc->n_distinct + 1;
	for (int r = 0; r < n_rows; r++)
		if (cc->codes[r] < 0)
			cc->codes[r] = cc->n_distinct;
	return cc;
}

static bool
IsIntegerType(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == INT2OID || base == INT4OID || base == INT8OID;
}

/* The id-like reason for a column, or NULL. */
static char *
IdLikeReason(const LoadedColumn *column, const ColumnCodes *cc, int n_rows)
{
	int			n_present = n_rows - column->n_missing;
	bool		increasing = true;
	double		low = INFINITY;
	double		high = -INFINITY;

	if (n_present < ID_LIKE_MIN_ROWS)
		return NULL;
	if (column->kind == COLUMN_TEXT)
		return cc->n_distinct >= ID_LIKE_SHARE * n_present
			? psprintf("id-like, %d distinct values in %d rows", cc->n_distinct, n_present)
			: NULL;
	if (!IsIntegerType(column->typid) || column->n_missing > 0 || cc->n_distinct != n_rows)
		return NULL;
	for (int r = 0; r < n_rows; r++)
	{
		increasing &= (r == 0 || column->values[r] > column->values[r - 1]);
		low = Min(low, column->values[r]);
		high = Max(high, column->values[r]);
	}
	if (increasing || high - low + 1 == n_rows)
		return pstrdup("id-like, a unique integer key");
	return NULL;
}

/* True when a and b are one-to-one recodings of each other. */
static bool
IsBijection(const ColumnCodes *a, const ColumnCodes *b, int n_rows)
{
	int		   *a_to_b;
	int		   *b_to_a;
	bool		result = true;

	if (a->n_codes != b->n_codes)
		return false;
	a_to_b = palloc(sizeof(int) * a->n_codes);
	b_to_a = palloc(sizeof(int) * b->n_codes);
	memset(a_to_b, -1, sizeof(int) * a->n_codes);
	memset(b_to_a, -1, sizeof(int) * b->n_codes);
	for (int r = 0; r < n_rows && result; r++)
	{
		int			x = a->codes[r];
		int			y = b->codes[r];

		if (a_to_b[x] < 0 && b_to_a[y] < 0)
		{
			a_to_b[x] = y;
			b_to_a[y] = x;
		}
		result = (a_to_b[x] == y && b_to_a[y] == x);
	}
	pfree(a_to_b);
	pfree(b_to_a);
	return result;
}

/* True when the value ranks of a and b agree row by row, or are reversed. */
static bool
IsMonotone(const ColumnCodes *a, const ColumnCodes *b, int n_rows)
{
	bool		same = true;
	bool		reversed = true;

	if (a->n_codes != b->n_codes)
		return false;
	for (int r = 0; r < n_rows && (same || reversed); r++)
	{
		bool		a_null = a->codes[r] == a->n_distinct;
		bool		b_null = b->codes[r] == b->n_distinct;

		if (a_null != b_null)
			return false;
		same &= a->codes[r] == b->codes[r];
		reversed &= a_null || a->codes[r] == a->n_distinct - 1 - b->codes[r];
	}
	return same || reversed;
}

/*
 * True when b restates a.  Two numeric columns must be monotone transforms
 * of each other, since any two columns of unique values are one-to-one.
 * Otherwise a one-to-one recoding counts when the columns repeat values
 * (at most half as many distinct values as rows).
 */
static bool
IsDuplicate(const LoadedColumn *ca, const ColumnCodes *a, const LoadedColumn *cb,
			const ColumnCodes *b, int n_rows)
{
	if (!KIND_HAS_LEVELS(ca->kind) && !KIND_HAS_LEVELS(cb->kind))
		return IsMonotone(a, b, n_rows);
	return a->n_distinct <= n_rows / 2 && IsBijection(a, b, n_rows);
}

/*
 * Group codes for the leak score: levels as they are, numbers with many
 * distinct values merged into up to LEAK_BINS bins of consecutive ranks.
 */
static int
LeakGroups(const ColumnCodes *cc, int *groups, int n_rows)
{
	int			per_bin = (cc->n_distinct + LEAK_BINS - 1) / LEAK_BINS;

	if (cc->n_distinct <= LEAK_BINS)
	{
		memcpy(groups, cc->codes, sizeof(int) * n_rows);
		return cc->n_codes;
	}
	for (int r = 0; r < n_rows; r++)
		groups[r] = cc->codes[r] == cc->n_distinct ? LEAK_BINS : cc->codes[r] / per_bin;
	return LEAK_BINS + 1;
}

/* Balanced accuracy of predicting each row's class by its group's majority in the other half. */
static double
LeakScoreClasses(const int *groups, int n_groups, const double *y, int n_classes,
				 const int *half, int n_rows)
{
	double	   *counts = palloc0(sizeof(double) * 2 * n_groups * n_classes);
	double	   *correct = palloc0(sizeof(double) * n_classes);
	double	   *total = palloc0(sizeof(double) * n_classes);
	double		score = 0.0;
	int			present = 0;

	for (int r = 0; r < n_rows; r++)
		counts[((Size) half[r] * n_groups + groups[r]) * n_classes + (int) y[r]] += 1.0;
	for (int r = 0; r < n_rows; r++)
	{
		const double *other = counts + ((Size) (1 - half[r]) * n_groups + groups[r]) * n_classes;
		int			best = 0;

		for (int k = 1; k < n_classes; k++)
			if (other[k] > other[best])
				best = k;
		correct[(int) y[r]] += (best == (int) y[r] && other[best] > 0) ? 1.0 : 0.0;
		total[(int) y[r]] += 1.0;
	}
	for (int k = 0; k < n_classes; k++)
		if (total[k] > 0)
		{
			score += correct[k] / total[k];
			present++;
		}
	pfree(counts);
	pfree(correct);
	pfree(total);
	return present ? score / present : 0.0;
}

/* R^2 of predicting each row by its group's mean in the other half. */
static double
LeakScoreValues(const int *groups, int n_groups, const double *y, const int *half, int n_rows)
{
	double	   *sums = palloc0(sizeof(double) * 2 * n_groups);
	double	   *counts = palloc0(sizeof(double) * 2 * n_groups);
	double		mean = 0.0;
	double		residual = 0.0;
	double		total = 0.0;

	for (int r = 0; r < n_rows; r++)
	{
		sums[half[r] * n_groups + groups[r]] += y[r];
		counts[half[r] * n_groups + groups[r]] += 1.0;
		mean += y[r] / n_rows;
	}
	for (int r = 0; r < n_rows; r++)
	{
		int			cell = (1 - half[r]) * n_groups + groups[r];
		double		predicted = counts[cell] > 0 ? sums[cell] / counts[cell] : mean;

		residual += (y[r] - predicted) * (y[r] - predicted);
		total += (y[r] - mean) * (y[r] - mean);
	}
	pfree(sums);
	pfree(counts);
	return total > 0 ? 1.0 - residual / total : 0.0;
}

/* The leak reason for a column, or NULL. */
static char *
LeakReason(const PrepPlan *plan, const ColumnCodes *cc, const double *y,
		   const int *half, int n_rows)
{
	int		   *groups = palloc(sizeof(int) * Max(n_rows, 1));
	int			n_groups = LeakGroups(cc, groups, n_rows);
	double		score;

	if (plan->task == TASK_CLASSIFICATION)
		score = LeakScoreClasses(groups, n_groups, y, plan->n_classes, half, n_rows);
	else
		score = LeakScoreValues(groups, n_groups, y, half, n_rows);
	pfree(groups);
	if (score < LEAK_THRESHOLD)
		return NULL;
	return psprintf("leaks the target: alone it scores %.3f %s", score,
					plan->task == TASK_CLASSIFICATION ? "balanced accuracy" : "R^2");
}

/* A seeded split of the rows into two halves for the leak score. */
static int *
SplitHalves(int n_rows, pg_prng_state *prng)
{
	int		   *half = palloc(sizeof(int) * Max(n_rows, 1));

	for (int r = 0; r < n_rows; r++)
		half[r] = (int) pg_prng_uint64_range(prng, 0, 1);
	return half;
}

static void
WarnLeak(const PrepColumn *pc)
{
	ereport(WARNING,
			(errmsg("column \"%s\" predicts the target almost perfectly and is excluded",
					pc->name),
			 errdetail("The column %s.", pc->dropped),
			 errhint("If its value is known before the target, keep it with options => '{\"%s\": {\"keep\": true}}'.",
					 pc->name)));
}

/* The reason to drop column i by the automatic rules, or NULL to keep it. */
static char *
DropReason(PrepPlan *plan, const LoadedTable *table, ColumnCodes **codes, int i,
		   const double *y, const int *half)
{
	const LoadedColumn *column = &table->columns[i];
	char	   *reason;

	if (codes[i]->n_distinct == 1)
		return pstrdup(column->n_missing > 0 ? "constant apart from NULLs" : "constant");
	if ((reason = IdLikeReason(column, codes[i], table->n_rows)) != NULL)
		return reason;
	for (int j = 0; j < i; j++)
		if (!plan->columns[j].dropped &&
			IsDuplicate(&table->columns[j], codes[j], column, codes[i], table->n_rows))
			return psprintf("duplicate of \"%s\"", plan->columns[j].name);
	if (table->n_rows >= LEAK_MIN_ROWS &&
		(reason = LeakReason(plan, codes[i], y, half, table->n_rows)) != NULL)
		return reason;
	return NULL;
}

void
PrepDecideDrops(PrepPlan *plan, const LoadedTable *table, const double *y,
				const PrepColumnOptions *options, pg_prng_state *prng)
{
	ColumnCodes **codes = palloc0(sizeof(ColumnCodes *) * Max(table->n_columns, 1));
	int		   *half = SplitHalves(table->n_rows, prng);

	for (int i = 0; i < table->n_columns; i++)
	{
		PrepColumn *pc = &plan->columns[i];
		const LoadedColumn *column = &table->columns[i];

		CHECK_FOR_INTERRUPTS();
		if (options[i].drop)
		{
			pc->dropped = "dropped by options";
			continue;
		}
		if (column->n_missing == table->n_rows)
		{
			pc->dropped = "all values are NULL";
			continue;
		}
		codes[i] = CodeColumn(column, table->n_rows);
		if (options[i].keep)
			continue;
		pc->dropped = DropReason(plan, table, codes, i, y, half);
		if (pc->dropped && strncmp(pc->dropped, "leaks", 5) == 0)
			WarnLeak(pc);
	}
	pfree(half);
}
