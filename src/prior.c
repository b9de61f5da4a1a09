/*
 * prior.c
 *		Loading the shipped prior knowledge base into the catalog.
 *
 * sql/automl_prior.tsv, built by test/kb/build.sh and installed beside the
 * extension's scripts, has one line per task: name, task kind, meta-features
 * (JSON) and trials (a JSON array of algorithm, hyperparameters, metric,
 * score, fit_seconds, status, budget).  CREATE EXTENSION calls
 * automl_load_prior_knowledge() once; the tasks become prior tasks
 * (is_prior, no project), visible to every role and used by warm starts.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "common/string.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(automl_load_prior_knowledge);

#define PRIOR_FILE "automl_prior.tsv"

/* Insert one task line: name, task, meta-features, trials. */
static void
LoadPriorLine(char *line, int line_number)
{
	char	   *fields[4];
	Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];
	char	   *cursor = line;

	for (int f = 0; f < 4; f++)
	{
		fields[f] = cursor;
		cursor = strchr(cursor, f < 3 ? '\t' : '\n');
		if (cursor == NULL && f < 3)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("line %d of %s has fewer than 4 fields", line_number, PRIOR_FILE),
					 errhint("Rebuild it with test/kb/build.sh and reinstall the extension.")));
		if (cursor)
			*cursor++ = '\0';
	}
	for (int f = 0; f < 4; f++)
		values[f] = CStringGetTextDatum(fields[f]);
	if (SPI_execute_with_args(
			"WITH task AS ("
			"  INSERT INTO automl.tasks (project_id, relation, target, task, n_rows, n_features,"
			"    meta_features, is_prior)"
			"  VALUES (NULL, 'pmlb:' || $1, 'target', $2,"
			"    coalesce(($3::jsonb ->> 'n_rows')::bigint, 0),"
			"    coalesce(($3::jsonb ->> 'n_features')::int, 0), $3::jsonb, true)"
			"  RETURNING id)"
			"INSERT INTO automl.trials (task_id, trial_number, algorithm, hyperparameters, budget,"
			"  metric, score, fit_seconds, status)"
			"SELECT task.id, e.ordinality, e.value ->> 'algorithm', e.value -> 'hyperparameters',"
			"  e.value -> 'budget', e.value ->> 'metric', (e.value ->> 'score')::float8,"
			"  (e.value ->> 'fit_seconds')::float8, e.value ->> 'status'"
			"FROM task, jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(value, ordinality)",
			4, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "automl could not load line %d of %s", line_number, PRIOR_FILE);
}

Datum
automl_load_prior_knowledge(PG_FUNCTION_ARGS)
{
	char		share_path[MAXPGPATH];
	char	   *path;
	FILE	   *file;
	StringInfoData line;
	int			loaded = 0;

	get_share_path(my_exec_path, share_path);
	path = psprintf("%s/extension/%s", share_path, PRIOR_FILE);
	file = AllocateFile(path, "r");
	if (file == NULL)
		PG_RETURN_INT32(0);		/* a build without a knowledge base */

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT 1 FROM automl.tasks WHERE is_prior LIMIT 1", true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
	{
		SPI_finish();
		FreeFile(file);
		PG_RETURN_INT32(0);		/* loaded already */
	}
	initStringInfo(&line);
	while (pg_get_line_buf(file, &line))
	{
		CHECK_FOR_INTERRUPTS();
		if (line.len > 1)
			LoadPriorLine(line.data, ++loaded);
	}
	FreeFile(file);
	SPI_finish();
	PG_RETURN_INT32(loaded);
}
