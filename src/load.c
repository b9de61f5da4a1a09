/*
 * load.c
 *		Reading a table or view into typed columns through an SPI cursor.
 *
 * Rows are fetched in batches from a cursor, so a large table never sits in
 * an SPI tuple table at once.  When the table has more rows than the memory
 * limit allows, Algorithm R (Vitter 1985) keeps a uniform, seeded reservoir
 * sample of them.  Text values are interned per column into level codes.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/varlena.h"
#include "catalog/pg_enum.h"

#include "load.h"

#define LOAD_BATCH_ROWS 10000

/* Interning table from a text value to its level code. */
typedef struct LevelEntry
{
	char	   *key;
	int32		code;
	uint32		hash;
	char		status;
} LevelEntry;

#define SH_PREFIX levels
#define SH_ELEMENT_TYPE LevelEntry
#define SH_KEY_TYPE char *
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k), strlen(k))
#define SH_EQUAL(tb, a, b) (strcmp((a), (b)) == 0)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Loading state of one column: the store plus its source position. */
typedef struct ColumnLoader
{
	LoadedColumn *column;
	int			attnum;			/* 1-based position in the cursor's rows */
	levels_hash *interned;		/* text columns only */
	int			capacity_levels;
} ColumnLoader;

typedef struct TableLoader
{
	LoadedTable *table;
	ColumnLoader *loaders;		/* features, then the target last */
	int			n_loaders;
	int			capacity;		/* rows allocated */
	int			max_rows;		/* reservoir size */
	Oid			target_typid;
} TableLoader;

Oid
LoadResolveRelation(const char *relation)
{
	List	   *names;
	RangeVar   *rv;
	Oid			relid;
	AclResult	aclresult;

	names = stringToQualifiedNameList(relation);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", relation),
				 errdetail("automl_train reads a table, view or materialized view by name."),
				 errhint("Check the name and the search_path, or qualify it with its schema.")));

	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for relation \"%s\"", relation),
				 errdetail("automl_train needs SELECT on the relation."),
				 errhint("Ask the owner to GRANT SELECT on it to %s.",
						 GetUserNameFromId(GetUserId(), false))));
	return relid;
}

bool
LoadColumnKind(Oid typid, ColumnKind *kind)
{
	Oid			base = getBaseType(typid);
	char		category;
	bool		preferred;

	switch (base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			*kind = COLUMN_NUMERIC;
			return true;
		case BOOLOID:
			*kind = COLUMN_BOOL;
			return true;
		case DATEOID:
			*kind = COLUMN_DATE;
			return true;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			*kind = COLUMN_TIMESTAMP;
			return true;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case CHAROID:
		case NAMEOID:
		case UUIDOID:
			*kind = COLUMN_TEXT;
			return true;
	}
	if (type_is_enum(base))
	{
		*kind = COLUMN_ENUM;
		return true;
	}

	/* other string types stored like text, such as citext */
	get_type_category_preferred(base, &category, &preferred);
	if (category == TYPCATEGORY_STRING && get_typlen(base) == -1)
	{
		*kind = COLUMN_TEXT;
		return true;
	}
	return false;
}

void
LoadRejectType(const char *column, Oid typid)
{
	char		category;
	bool		preferred;
	const char *cast;

	get_type_category_preferred(typid, &category, &preferred);
	if (category == TYPCATEGORY_NUMERIC)
		cast = "\"%s\"::float8";
	else if (category == TYPCATEGORY_DATETIME || category == TYPCATEGORY_TIMESPAN)
		cast = "extract(epoch from \"%s\")::float8";
	else
		cast = "\"%s\"::text";

	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("column \"%s\" has unsupported type %s", column,
					format_type_be(typid)),
			 errdetail("Supported types are numbers, boolean, text types, enums, uuid, date, timestamp and timestamptz."),
			 errhint("Train on a view that selects %s, or pass the column in exclude.",
					 psprintf(cast, column))));
}

/* A numeric as float8; a finite value beyond float8's range is an error. */
static double
NumericToDouble(Datum value, const char *column)
{
	Numeric		num = DatumGetNumeric(value);
	double		result = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
															 value));

	if (isinf(result) && !numeric_is_inf(num))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value of column \"%s\" is out of range for double precision", column),
				 errdetail("The value has %zu digits: %.20s...",
						   strlen(DatumGetCString(DirectFunctionCall1(numeric_out, value))),
						   DatumGetCString(DirectFunctionCall1(numeric_out, value))),
				 errhint("Scale the column in a view, for example \"%s\" / 1e300.", column)));
	return result;
}

/* Seconds since 1970-01-01 UTC of a date or timestamp; NaN when infinite. */
static double
DateTimeToEpoch(Datum value, Oid base)
{
	const double unix_offset = (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;

	if (base == DATEOID)
	{
		DateADT		date = DatumGetDateADT(value);

		return DATE_NOT_FINITE(date) ? NAN : (double) date * SECS_PER_DAY + unix_offset;
	}
	else
	{
		Timestamp	ts = DatumGetTimestamp(value);

		return TIMESTAMP_NOT_FINITE(ts) ? NAN : (double) ts / USECS_PER_SEC + unix_offset;
	}
}

/* The text of a level kind; trailing blanks are not significant in char(n). */
static char *
LevelText(Datum value, Oid base)
{
	char	   *string;

	switch (base)
	{
		case BPCHAROID:
			string = TextDatumGetCString(value);
			for (int len = strlen(string); len > 0 && string[len - 1] == ' '; len--)
				string[len - 1] = '\0';
			return string;
		case CHAROID:
			return psprintf("%c", DatumGetChar(value));
		case NAMEOID:
			return pstrdup(NameStr(*DatumGetName(value)));
		case UUIDOID:
			return DatumGetCString(DirectFunctionCall1(uuid_out, value));
		default:
			return TextDatumGetCString(value);
	}
}

/* The label and sort position of an enum value. */
static char *
EnumLabel(Datum value, double *order)
{
	HeapTuple	tuple = SearchSysCache1(ENUMOID, value);
	Form_pg_enum form;
	char	   *label;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "enum value %u not found", DatumGetObjectId(value));
	form = (Form_pg_enum) GETSTRUCT(tuple);
	label = pstrdup(NameStr(form->enumlabel));
	*order = form->enumsortorder;
	ReleaseSysCache(tuple);
	return label;
}

void
LoadConvertDatum(Datum value, Oid typid, ColumnKind kind, const char *column,
				 double *number, char **string)
{
	Oid			base = getBaseType(typid);

	switch (kind)
	{
		case COLUMN_NUMERIC:
			if (base == NUMERICOID)
				*number = NumericToDouble(value, column);
			else if (base == INT2OID)
				*number = DatumGetInt16(value);
			else if (base == INT4OID)
				*number = DatumGetInt32(value);
			else if (base == INT8OID)
				*number = (double) DatumGetInt64(value);
			else if (base == FLOAT4OID)
				*number = DatumGetFloat4(value);
			else
				*number = DatumGetFloat8(value);
			if (!isfinite(*number))
				*number = NAN;
			break;
		case COLUMN_BOOL:
			*number = DatumGetBool(value) ? 1.0 : 0.0;
			break;
		case COLUMN_DATE:
		case COLUMN_TIMESTAMP:
			*number = DateTimeToEpoch(value, base);
			break;
		case COLUMN_ENUM:
			*string = EnumLabel(value, number);
			break;
		case COLUMN_TEXT:
			*string = LevelText(value, base);
			break;
	}
}

static void
RejectTargetType(const char *target, Oid typid)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("target column \"%s\" has unsupported type %s", target,
					format_type_be(typid)),
			 errdetail("A target must be a number, a boolean, a text type or an enum."),
			 errhint("Train on a view that selects the target cast to float8 or text.")));
}

/*
 * The column of tupdesc whose name is closest to name, by edit distance,
 * leaving out the column named skip (NULL for none).  Returns NULL when the
 * edit distance exceeds half the longer name's length, because so distant a
 * guess would mislead.
 */
static const char *
ClosestColumn(const char *name, TupleDesc tupdesc, const char *skip)
{
	const char *closest = NULL;
	int			best = INT_MAX;

	for (int i = 0; i < tupdesc->natts; i++)
	{
		const char *candidate = NameStr(TupleDescAttr(tupdesc, i)->attname);
		int			distance = varstr_levenshtein(name, strlen(name), candidate,
												  strlen(candidate), 1, 1, 1, false);

		if (skip && strcmp(candidate, skip) == 0)
			continue;
		if (distance < best)
		{
			best = distance;
			closest = candidate;
		}
	}
	if (closest && 2 * best > Max(strlen(name), strlen(closest)))
		return NULL;
	return closest;
}

/* Hint the closest column name, or how to list the columns when none is close. */
static int
ColumnHint(const char *closest, const char *relation)
{
	if (closest)
		return errhint("Perhaps you meant the column \"%s\".", closest);
	return errhint("Name a column of %s. In psql, \\d %s lists them.", relation, relation);
}

/* Columns a "does not exist" detail lists before it counts the rest. */
#define DETAIL_COLUMNS 20

/* An errdetail naming the relation's columns, the first DETAIL_COLUMNS of them. */
static int
ColumnsDetail(const char *relation, TupleDesc tupdesc)
{
	StringInfoData names;
	int			shown = 0;
	int			live = 0;

	initStringInfo(&names);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped)
			continue;
		live++;
		if (shown < DETAIL_COLUMNS)
			appendStringInfo(&names, "%s%s", shown++ > 0 ? ", " : "",
							 quote_identifier(NameStr(att->attname)));
	}
	if (live > shown)
		appendStringInfo(&names, " and %d more", live - shown);
	return errdetail("The columns of %s are %s.", relation, names.data);
}

/* Raise "column does not exist" for the target, hinting the closest name. */
static void
RejectMissingTarget(const char *target, const char *relation, TupleDesc tupdesc)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("target column \"%s\" does not exist in %s", target, relation),
			 ColumnsDetail(relation, tupdesc),
			 ColumnHint(ClosestColumn(target, tupdesc, NULL), relation)));
}

/* Check the exclude list: every name a column of the relation, never the target. */
static void
CheckExclude(List *exclude, const char *target, const char *relation, TupleDesc tupdesc)
{
	ListCell   *lc;

	foreach(lc, exclude)
	{
		const char *name = lfirst(lc);
		bool		found = false;

		if (strcmp(name, target) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("exclude names the target column \"%s\"", name),
					 errhint("Remove it from exclude: the target is never a feature.")));
		for (int i = 0; i < tupdesc->natts; i++)
			found |= strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname), name) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("excluded column \"%s\" does not exist in %s", name, relation),
					 ColumnsDetail(relation, tupdesc),
					 ColumnHint(ClosestColumn(name, tupdesc, target), relation)));
	}
}

/* Rows that fit the memory limit: the store, the design matrix and fold copies. */
static int
MaxRowsForMemory(int n_columns)
{
	Size		per_row = (Size) (n_columns + 2) * sizeof(double) * 8;
	Size		limit = (Size) automl_memory_limit_mb * 1024 * 1024;
	Size		rows = limit / per_row;

	return (int) Max(Min(rows, (Size) (INT_MAX / 4)), 1000);
}

static void
InitColumn(TableLoader *loader, LoadedColumn *column, const char *name,
		   Oid typid, ColumnKind kind, int attnum)
{
	ColumnLoader *cl = &loader->loaders[loader->n_loaders++];

	column->name = pstrdup(name);
	column->typid = typid;
	column->kind = kind;
	cl->column = column;
	cl->attnum = attnum;
	cl->interned = NULL;
	if (KIND_HAS_LEVELS(kind))
	{
		cl->interned = levels_create(CurrentMemoryContext, 64, NULL);
		cl->capacity_levels = 64;
		column->levels = palloc(sizeof(char *) * cl->capacity_levels);
	}
}

/* Map the cursor's columns to loaders, checking target, exclusions and types. */
static void
PlanColumns(TableLoader *loader, TupleDesc tupdesc, const char *target,
			List *exclude)
{
	LoadedTable *table = loader->table;
	int			target_att = -1;

	for (int i = 0; i < tupdesc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname), target) == 0)
			target_att = i;
	if (target_att < 0)
		RejectMissingTarget(target, table->relation, tupdesc);

	CheckExclude(exclude, target, table->relation, tupdesc);

	table->columns = palloc0(sizeof(LoadedColumn) * tupdesc->natts);
	loader->loaders = palloc0(sizeof(ColumnLoader) * (tupdesc->natts + 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *name = NameStr(att->attname);
		ColumnKind	kind;

		if (i == target_att || ListContainsName(exclude, name))
			continue;
		if (!LoadColumnKind(att->atttypid, &kind))
			LoadRejectType(name, att->atttypid);
		InitColumn(loader, &table->columns[table->n_columns++], name,
				   att->atttypid, kind, i + 1);
	}

	/* The target is interned as text labels; numeric targets keep values too. */
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, target_att);
		ColumnKind	kind;

		Oid			base = getBaseType(att->atttypid);

		if (!LoadColumnKind(att->atttypid, &kind) ||
			kind == COLUMN_DATE || kind == COLUMN_TIMESTAMP)
			RejectTargetType(target, att->atttypid);
		InitColumn(loader, &table->target, target, att->atttypid, COLUMN_TEXT,
				   target_att + 1);
		table->target.kind = (kind == COLUMN_NUMERIC || kind == COLUMN_BOOL)
			? kind : COLUMN_TEXT;
		loader->target_typid = att->atttypid;
		table->target_is_integer = (base == INT2OID || base == INT4OID ||
									base == INT8OID || base == BOOLOID);
	}
	if (table->n_columns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has no feature columns besides the target \"%s\"",
						table->relation, target),
				 errhint("Exclude fewer columns, or train on a relation with features.")));
	loader->max_rows = MaxRowsForMemory(table->n_columns);
}

static int32
InternText(ColumnLoader *cl, char *text)
{
	LoadedColumn *column = cl->column;
	bool		found;
	LevelEntry *entry = levels_insert(cl->interned, text, &found);

	if (!found)
	{
		if (column->n_levels == cl->capacity_levels)
		{
			cl->capacity_levels *= 2;
			column->levels = repalloc(column->levels,
									  sizeof(char *) * cl->capacity_levels);
		}
		entry->key = pstrdup(text);
		entry->code = column->n_levels;
		column->levels[column->n_levels++] = entry->key;
	}
	return entry->code;
}

/* Grow every column's row arrays to hold "rows" rows. */
static void
GrowRows(TableLoader *loader, int rows)
{
	AutomlCheckMemory(mul_size(mul_size(rows, loader->n_loaders + 1), 2 * sizeof(double)),
					  "loading the table");
	for (int i = 0; i < loader->n_loaders; i++)
	{
		LoadedColumn *column = loader->loaders[i].column;
		bool		is_target = (i == loader->n_loaders - 1);

		if (KIND_HAS_LEVELS(column->kind) || is_target)
			column->codes = column->codes
				? repalloc_huge(column->codes, sizeof(int32) * rows)
				: palloc_extended(sizeof(int32) * rows, MCXT_ALLOC_HUGE);
		if (KIND_HAS_VALUES(column->kind))
			column->values = column->values
				? repalloc_huge(column->values, sizeof(double) * rows)
				: palloc_extended(sizeof(double) * rows, MCXT_ALLOC_HUGE);
	}
	loader->capacity = rows;
}

/* Store one field of a row in slot "row" of its column. */
static void
StoreField(ColumnLoader *cl, int row, Datum value, bool isnull, bool is_target)
{
	LoadedColumn *column = cl->column;
	double		number = NAN;
	char	   *text = NULL;
	char	   *unused = NULL;

	if (isnull)
	{
		if (column->codes)
			column->codes[row] = -1;
		if (column->values)
			column->values[row] = NAN;
		return;
	}
	if (is_target)
	{
		/* labels are the type's own text form, so predictions cast back */
		Oid			output;
		bool		varlena;

		getTypeOutputInfo(column->typid, &output, &varlena);
		text = OidOutputFunctionCall(output, value);
		if (KIND_HAS_VALUES(column->kind))
			LoadConvertDatum(value, column->typid, column->kind, column->name,
							 &number, &unused);
	}
	else
		LoadConvertDatum(value, column->typid, column->kind, column->name,
						 &number, &text);

	if (column->values)
		column->values[row] = number;
	if (column->codes)
		column->codes[row] = InternText(cl, text);
}

/* Choose the slot for the n-th row read (Algorithm R), or -1 to skip it. */
static int
ReservoirSlot(TableLoader *loader, int64 seen, pg_prng_state *prng)
{
	int64		j;

	if (seen < loader->max_rows)
		return (int) seen;
	j = (int64) pg_prng_uint64_range(prng, 0, (uint64) seen);
	return j < loader->max_rows ? (int) j : -1;
}

static void
StoreBatch(TableLoader *loader, SPITupleTable *tuptable, uint64 count,
		   pg_prng_state *prng)
{
	LoadedTable *table = loader->table;
	ColumnLoader *target = &loader->loaders[loader->n_loaders - 1];

	for (uint64 r = 0; r < count; r++)
	{
		HeapTuple	tuple = tuptable->vals[r];
		bool		isnull;
		int			slot;

		(void) SPI_getbinval(tuple, tuptable->tupdesc, target->attnum, &isnull);
		if (isnull)
		{
			table->rows_null_target++;
			continue;
		}
		slot = ReservoirSlot(loader, table->rows_read++, prng);
		if (slot < 0)
			continue;
		if (slot >= loader->capacity)
			GrowRows(loader, Min(Max(loader->capacity * 2, 1024), loader->max_rows));
		for (int i = 0; i < loader->n_loaders; i++)
		{
			ColumnLoader *cl = &loader->loaders[i];
			Datum		value = SPI_getbinval(tuple, tuptable->tupdesc, cl->attnum, &isnull);

			StoreField(cl, slot, value, isnull, i == loader->n_loaders - 1);
		}
		table->n_rows = Max(table->n_rows, slot + 1);
	}
}

/* Count NULLs after loading, since reservoir replacement overwrites rows. */
static void
CountMissing(LoadedColumn *column, int n_rows)
{
	column->n_missing = 0;
	for (int i = 0; i < n_rows; i++)
	{
		bool		missing = KIND_HAS_LEVELS(column->kind)
			? column->codes[i] < 0 : isnan(column->values[i]);

		column->n_missing += missing;
	}
}

LoadedTable *
LoadTable(Oid relid, const char *target, List *exclude, pg_prng_state *prng)
{
	LoadedTable *table = palloc0(sizeof(LoadedTable));
	TableLoader loader = {0};
	MemoryContext context = CurrentMemoryContext;
	Portal		portal;
	char	   *query;

	table->relation = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));
	loader.table = table;
	query = psprintf("SELECT * FROM %s", table->relation);
	portal = SPI_cursor_open_with_args(NULL, query, 0, NULL, NULL, NULL, true, 0);

	/* SPI leaves its procedure context current after each call */
	for (bool first = true;; first = false)
	{
		SPI_cursor_fetch(portal, true, LOAD_BATCH_ROWS);
		MemoryContextSwitchTo(context);
		if (first)
		{
			loader.loaders = NULL;
			PlanColumns(&loader, SPI_tuptable->tupdesc, target, exclude);
		}
		if (SPI_processed == 0)
			break;
		StoreBatch(&loader, SPI_tuptable, SPI_processed, prng);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(context);

	for (int i = 0; i < table->n_columns; i++)
		CountMissing(&table->columns[i], table->n_rows);
	table->target_values = table->target.values;
	table->target.kind = COLUMN_TEXT;
	return table;
}

/* 64-bit hash of one row's feature values. */
static uint64
RowHash(const LoadedTable *table, int row)
{
	uint64		hash = 0;

	for (int i = 0; i < table->n_columns; i++)
	{
		const LoadedColumn *column = &table->columns[i];
		uint64		part = 0;

		if (column->values)
			part = hash_bytes_extended((const unsigned char *) &column->values[row],
									   sizeof(double), i);
		if (column->codes)
			part ^= hash_bytes_uint32_extended((uint32) column->codes[row], i + 1);
		hash = hash_combine64(hash, part);
	}
	return hash;
}

static bool
RowsEqual(const LoadedTable *table, int a, int b)
{
	for (int i = 0; i < table->n_columns; i++)
	{
		const LoadedColumn *column = &table->columns[i];

		if (column->values &&
			memcmp(&column->values[a], &column->values[b], sizeof(double)) != 0)
			return false;
		if (column->codes && column->codes[a] != column->codes[b])
			return false;
	}
	return true;
}

typedef struct HashedRow
{
	uint64		hash;
	int			row;
} HashedRow;

static int
CompareHashedRows(const void *a, const void *b)
{
	const HashedRow *x = a;
	const HashedRow *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->row - y->row;
}

int *
LoadDuplicateGroups(const LoadedTable *table)
{
	HashedRow  *rows = palloc(sizeof(HashedRow) * Max(table->n_rows, 1));
	int		   *group_of_row = palloc(sizeof(int) * Max(table->n_rows, 1));

	for (int r = 0; r < table->n_rows; r++)
	{
		rows[r].hash = RowHash(table, r);
		rows[r].row = r;
		group_of_row[r] = r;
	}
	qsort(rows, table->n_rows, sizeof(HashedRow), CompareHashedRows);

	/* within a run of equal hashes, rows equal to the run's first row join it */
	for (int i = 1, first = 0; i < table->n_rows; i++)
	{
		if (rows[i].hash != rows[first].hash)
		{
			first = i;
			continue;
		}
		if (RowsEqual(table, rows[first].row, rows[i].row))
			group_of_row[rows[i].row] = rows[first].row;
	}
	pfree(rows);
	return group_of_row;
}
