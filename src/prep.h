/*
 * prep.h
 *		The preprocessing plan: fitted on training rows, replayed at prediction.
 *
 * Each input column becomes one or more design-matrix features:
 *	numbers and bools: the value, median-imputed, standardised, plus a
 *		missing indicator when training saw NULLs;
 *	text: one-hot columns for the most frequent levels (a rarer or unseen
 *		level is the all-zero code); NULL is imputed with the most frequent
 *		level, plus a missing indicator when training saw NULLs.
 * Training (PrepTransformTable) and prediction (PrepTransformRow) both
 * encode through PrepEncodeNumber and PrepEncodeLevel.
 */
#ifndef AUTOML_PREP_H
#define AUTOML_PREP_H

#include "lib/stringinfo.h"

#include "load.h"
#include "serial.h"

typedef struct PrepColumn
{
	char	   *name;
	Oid			typid;
	ColumnKind	kind;
	char	   *dropped;		/* reason the column is dropped, or NULL */
	bool		indicator;		/* emit a missing indicator */
	double		fill;			/* numbers: the training median */
	double		mean;			/* numbers: standardisation shift */
	double		scale;			/* numbers: standardisation divisor */
	int			n_levels;		/* text: one-hot levels, most frequent first */
	char	  **levels;
	int			first_feature;	/* first design column this column writes */
	int			n_features;
} PrepColumn;

typedef struct PrepPlan
{
	int			n_columns;
	PrepColumn *columns;
	int			n_features;
	char	  **feature_names;	/* design column j comes from this column */
	int		   *feature_source;	/* index into columns[] per design column */
	TaskKind	task;
	char	   *target;
	Oid			target_typid;
	int			n_classes;
	char	  **class_labels;	/* classification: label text per class index */
} PrepPlan;

/* Fit the plan on the loaded training rows. */
extern PrepPlan *PrepFit(const LoadedTable *table, TaskKind task);

/* Build the column-major n_rows x n_features design matrix for the table. */
extern double *PrepTransformTable(const PrepPlan *plan, const LoadedTable *table);

/*
 * Encode one row: for each plan column, numbers[i] or strings[i] (NULL
 * string or NaN number for missing) into out[0 .. n_features - 1].
 */
extern void PrepTransformRow(const PrepPlan *plan, const double *numbers,
							 char *const *strings, double *out);

extern void PrepSerialize(const PrepPlan *plan, StringInfo buf);
extern PrepPlan *PrepDeserialize(SerialReader *reader);

/* The training target: class index per row, or the value for regression. */
extern double *PrepTargetVector(const PrepPlan *plan, const LoadedTable *table);

/* Describe the plan as a JSON object for automl.models.preprocessing. */
extern char *PrepToJson(const PrepPlan *plan);

/* NOTICE the decisions made while fitting. */
extern void PrepReport(const PrepPlan *plan);

#endif							/* AUTOML_PREP_H */
