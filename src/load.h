/*
 * load.h
 *		Reading a table or view into typed columns through an SPI cursor.
 */
#ifndef AUTOML_LOAD_H
#define AUTOML_LOAD_H

#include "automl.h"
#include "common/pg_prng.h"
#include "nodes/pg_list.h"

typedef enum ColumnKind
{
	COLUMN_NUMERIC,				/* int2/4/8, float4/8, numeric */
	COLUMN_BOOL,				/* stored as 0 or 1 */
	COLUMN_TEXT,				/* text, varchar, char(n), "char", citext, uuid,
								 * name: level codes */
	COLUMN_ENUM,				/* level codes plus the sort order as a value */
	COLUMN_DATE,				/* date: seconds since 1970-01-01 UTC */
	COLUMN_TIMESTAMP			/* timestamp, timestamptz: seconds since
								 * 1970-01-01 UTC */
} ColumnKind;

/* True for kinds stored as level codes. */
#define KIND_HAS_LEVELS(kind) ((kind) == COLUMN_TEXT || (kind) == COLUMN_ENUM)

/* True for kinds stored as values (an enum keeps both). */
#define KIND_HAS_VALUES(kind) ((kind) != COLUMN_TEXT)

/* One column held in memory, NULLs marked per row. */
typedef struct LoadedColumn
{
	char	   *name;
	Oid			typid;
	ColumnKind	kind;
	double	   *values;			/* value (enum: sort order), NaN where NULL */
	int32	   *codes;			/* text and enum: level code, -1 where NULL */
	char	  **levels;			/* text and enum: level strings, by code */
	int			n_levels;
	int			n_missing;
} LoadedColumn;

/* A table sample: the feature columns and the target. */
typedef struct LoadedTable
{
	char	   *relation;		/* qualified, quoted name */
	int			n_rows;			/* rows kept */
	int64		rows_read;		/* rows with a non-NULL target */
	int64		rows_null_target;	/* rows skipped for a NULL target */
	int			n_columns;
	LoadedColumn *columns;
	LoadedColumn target;		/* kind is COLUMN_TEXT for labels */
	double	   *target_values;	/* numeric targets: the value per row */
	bool		target_is_integer;	/* int2/4/8 or bool target */
} LoadedTable;

/* Resolve a relation name, raising clear errors when missing or unreadable. */
extern Oid	LoadResolveRelation(const char *relation);

/*
 * Read relation through an SPI cursor (the caller has connected SPI).  Rows
 * with a NULL target are skipped; past the memory limit a seeded reservoir
 * sample is kept.  "exclude" is a List of column names (char *) to skip.
 */
extern LoadedTable *LoadTable(Oid relid, const char *target, List *exclude,
							  pg_prng_state *prng);

/*
 * For each row, the first row with identical feature values (itself when
 * unique), so resampling can keep duplicates on one side of every split.
 */
extern int *LoadDuplicateGroups(const LoadedTable *table);

/* The column kind for a type, or false when the type is not supported. */
extern bool LoadColumnKind(Oid typid, ColumnKind *kind);

/* Raise the "unsupported type" error for a column. */
extern void LoadRejectType(const char *column, Oid typid);

/*
 * Convert one non-NULL datum of a supported type: numbers, bools, dates and
 * timestamps to *number (NaN for NaN, infinities and infinite dates), level
 * kinds to a palloc'd *string, and an enum's sort order to *number too.
 * Training and prediction both use it, so both read values the same way.
 * column names the column in errors.
 */
extern void LoadConvertDatum(Datum value, Oid typid, ColumnKind kind,
							 const char *column, double *number, char **string);

#endif							/* AUTOML_LOAD_H */
