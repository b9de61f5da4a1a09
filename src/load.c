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
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/varlena.h"

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
	switch (typid)
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
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			*kind = COLUMN_TEXT;
			return true;
		default:
			return false;
	}
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
	else if (category == TYPCATEGORY_DATETIME)
		cast = "extract(epoch from \"%s\")::float8";
	else
		cast = "\"%s\"::text";

	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("column \"%s\" has unsupported type %s", column,
					format_type_be(typid)),
			 errdetail("Supported types are smallint, integer, bigint, real, double precision, numeric, boolean, text, varchar and char."),
			 errhint("Train on a view that selects %s, or pass the column in exclude.",
					 psprintf(cast, column))));
}

void
LoadConvertDatum(Datum value, Oid typid, ColumnKind kind,
				 double *number, char **string)
{
	switch (typid)
	{
		case INT2OID:
			*number = DatumGetInt16(value);
			break;
		case INT4OID:
			*number = DatumGetInt32(value);
			break;
		case INT8OID:
			*number = (double) DatumGetInt64(value);
			break;
		case FLOAT4OID:
			*number = DatumGetFloat4(value);
			break;
		case FLOAT8OID:
			*number = DatumGetFloat8(value);
			break;
		case NUMERICOID:
			*number = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value));
			break;
		case BOOLOID:
			*number = DatumGetBool(value) ? 1.0 : 0.0;
			break;
		case BPCHAROID:
			/* trailing blanks are not significant in char(n) */
			*string = TextDatumGetCString(value);
			for (int len = strlen(*string); len > 0 && (*string)[len - 1] == ' '; len--)
				(*string)[len - 1] = '\0';
			break;
		default:
			*string = TextDatumGetCString(value);
			break;
	}
}

/* Raise "column does not exist" for the target, hinting the closest name. */
static void
RejectMissingTarget(const char *target, const char *relation, TupleDesc tupdesc)
{
	const char *closest = NULL;
	int			best = INT_MAX;

	for (int i = 0; i < tupdesc->natts; i++)
	{
		const char *name = NameStr(TupleDescAttr(tupdesc, i)->attname);
		int			distance = varstr_levenshtein(target, strlen(target),
												  name, strlen(name), 1, 1, 1, false);

		if (distance < best)
		{
			best = distance;
			closest = name;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("target column \"%s\" does not exist in %s", target, relation),
			 closest ? errhint("Perhaps you meant the column \"%s\".", closest) : 0));
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
	if (kind == COLUMN_TEXT)
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
	ListCell   *lc;

	for (int i = 0; i < tupdesc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname), target) == 0)
			target_att = i;
	if (target_att < 0)
		RejectMissingTarget(target, table->relation, tupdesc);

	foreach(lc, exclude)
	{
		const char *name = lfirst(lc);
		bool		found = false;

		for (int i = 0; i < tupdesc->natts; i++)
			found |= strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname), name) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("excluded column \"%s\" does not exist in %s", name,
							table->relation),
					 errhint("Remove it from exclude.")));
	}

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

		if (!LoadColumnKind(att->atttypid, &kind))
			LoadRejectType(target, att->atttypid);
		InitColumn(loader, &table->target, target, att->atttypid, COLUMN_TEXT,
				   target_att + 1);
		table->target.kind = kind;
		loader->target_typid = att->atttypid;
		table->target_is_integer = (att->atttypid == INT2OID ||
									att->atttypid == INT4OID ||
									att->atttypid == INT8OID ||
									att->atttypid == BOOLOID);
	}
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

		if (column->kind == COLUMN_TEXT || is_target)
			column->codes = column->codes
				? repalloc_huge(column->codes, sizeof(int32) * rows)
				: palloc_extended(sizeof(int32) * rows, MCXT_ALLOC_HUGE);
		if (column->kind != COLUMN_TEXT)
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
		if (column->kind != COLUMN_TEXT)
			LoadConvertDatum(value, column->typid, column->kind, &number, &unused);
	}
	else
		LoadConvertDatum(value, column->typid, column->kind, &number, &text);

	if (column->values)
		column->values[row] = isfinite(number) ? number : (is_target ? number : NAN);
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
		bool		missing = column->kind == COLUMN_TEXT
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
