/*
 * prep.h
 *		The preprocessing plan: fitted on training rows, replayed at prediction.
 *
 * Each input column becomes zero or more design-matrix features, in this
 * order:
 *	value parts: the number (bools as 0/1, enums as their sort position), or
 *		for dates year, month, day of week and epoch seconds, with the hour
 *		before the epoch for timestamps; each imputed and scaled;
 *	one-hot columns for the most frequent levels of a text or enum column;
 *	an "other" column when more levels exist than get a one-hot column, also
 *		set by levels never seen in training;
 *	frequency encoding: the level's share of the training rows;
 *	target encoding: the level's smoothed target mean (class shares for
 *		multiclass), out of fold for training rows;
 *	a missing indicator when training saw NULLs (for text, NULL is its own
 *		level and this is its column).
 * Training (PrepTransformTable) and prediction (PrepTransformRow) both write
 * features through one function, so a row gets the same features either way.
 */
#ifndef AUTOML_PREP_H
#define AUTOML_PREP_H

#include "lib/stringinfo.h"

#include "load.h"
#include "serial.h"

#define PREP_MAX_PARTS 5

/* Level encodings, combined as flags. */
#define ENCODE_ONEHOT 0x01
#define ENCODE_FREQUENCY 0x02
#define ENCODE_TARGET 0x04

typedef enum PrepImpute
{
	IMPUTE_MEDIAN,
	IMPUTE_MEAN,
	IMPUTE_ZERO
} PrepImpute;

typedef enum PrepScale
{
	SCALE_STANDARD,
	SCALE_MINMAX,
	SCALE_NONE
} PrepScale;

/* Choices a user made for one column in the options argument; -1 unset. */
typedef struct PrepColumnOptions
{
	int			impute;			/* PrepImpute */
	int			scale;			/* PrepScale */
	int			encode;			/* ENCODE_* flags */
	bool		keep;			/* skip the automatic drop rules */
	bool		drop;
} PrepColumnOptions;

typedef struct PrepColumn
{
	char	   *name;
	Oid			typid;
	ColumnKind	kind;
	char	   *dropped;		/* reason the column is dropped, or NULL */
	bool		indicator;		/* emit a missing indicator */
	PrepImpute	impute;
	PrepScale	scale;

	/* value parts */
	int			n_parts;
	double		fill[PREP_MAX_PARTS];	/* imputed value, before scaling */
	double		shift[PREP_MAX_PARTS];
	double		divisor[PREP_MAX_PARTS];

	/* levels, most frequent first */
	int			encode;			/* ENCODE_* flags, 0 without levels */
	int			n_levels;
	char	  **levels;
	int			n_onehot;		/* leading levels with a one-hot column */
	bool		other;			/* a column for the remaining and unseen levels */
	double	   *frequency;		/* per level */
	int			n_target;		/* target-encoding columns */
	double	   *target_stats;	/* per level, n_target each */
	double	   *target_prior;	/* n_target: for unseen levels and NULL */
	int		   *sorted;			/* level indexes in byte order, for lookup */

	int			first_feature;	/* first design column this column writes */
	int			n_features;
} PrepColumn;

typedef struct PrepPlan
{
	int			n_columns;
	PrepColumn *columns;
	int			n_features;
	char	  **feature_names;
	int		   *feature_source;	/* index into columns[] per design column */
	TaskKind	task;
	char	   *target;
	Oid			target_typid;
	int			n_classes;
	char	  **class_labels;	/* classification: label text per class index */
} PrepPlan;

/* Start a plan: the task, the target and, for classification, its classes. */
extern PrepPlan *PrepFitTarget(const LoadedTable *table, TaskKind task);

/* The training target: class index per row, or the value for regression. */
extern double *PrepTargetVector(const PrepPlan *plan, const LoadedTable *table);

/*
 * Parse the options argument (a JSON object keyed by column name) into one
 * PrepColumnOptions per table column; NULL json gives all unset.
 */
extern PrepColumnOptions *PrepParseOptions(const char *json, const LoadedTable *table);

/*
 * Decide which columns to drop (all NULL, constant, id-like, duplicate,
 * leaking the target), then fit every kept column.  y is the target vector.
 */
extern void PrepFitColumns(PrepPlan *plan, const LoadedTable *table, const double *y,
						   const PrepColumnOptions *options, pg_prng_state *prng);

/* Drop decisions only (prep_decide.c); sets columns[i].dropped. */
extern void PrepDecideDrops(PrepPlan *plan, const LoadedTable *table, const double *y,
							const PrepColumnOptions *options, pg_prng_state *prng);

/*
 * Build the column-major n_rows x n_features design matrix for the table.
 * Target encodings of row r use only rows outside its fold
 * (fold_of_row[r]; -1 means every row), so they never see its own target.
 */
extern double *PrepTransformTable(const PrepPlan *plan, const LoadedTable *table,
								  const double *y, const int *fold_of_row, int n_folds);

/*
 * Encode one row: for each plan column, numbers[i] or strings[i] (NULL
 * string or NaN number for missing) into out[0 .. n_features - 1].
 */
extern void PrepTransformRow(const PrepPlan *plan, const double *numbers,
							 char *const *strings, double *out);

/* Rebuild lookup indexes and the feature layout of a plan read from a model. */
extern void PrepFinishLoad(PrepPlan *plan);

extern void PrepSerialize(const PrepPlan *plan, StringInfo buf);
extern PrepPlan *PrepDeserialize(SerialReader *reader);

/* Describe the plan as a JSON object for automl.models.preprocessing. */
extern char *PrepToJson(const PrepPlan *plan);

/* NOTICE the decisions made while fitting. */
extern void PrepReport(const PrepPlan *plan);

#endif							/* AUTOML_PREP_H */
