/*
 * model.c
 *		The versioned binary form of a trained model.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "port/pg_crc32c.h"

#include "ensemble.h"
#include "groups.h"
#include "model.h"

/* Offset of the int64 total length, patched once the body is written. */
#define LENGTH_OFFSET (sizeof(uint32) + sizeof(int32))
#define CHECKSUM_OFFSET (LENGTH_OFFSET + sizeof(int64))
#define HEADER_SIZE (CHECKSUM_OFFSET + sizeof(uint32))

/* CRC-32C of everything after the header. */
static uint32
BodyChecksum(const char *data, Size size)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, data + HEADER_SIZE, size - HEADER_SIZE);
	FIN_CRC32C(crc);
	return crc;
}

bytea *
ModelSerialize(const AutomlModel *model)
{
	StringInfoData buf;
	uint32		magic = AUTOML_MODEL_MAGIC;
	int64		length;
	uint32		checksum;
	bytea	   *binary;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (const char *) &magic, sizeof(magic));
	SerialPutInt32(&buf, AUTOML_MODEL_FORMAT_VERSION);
	appendStringInfoSpaces(&buf, sizeof(int64) + sizeof(uint32));

	PrepSerialize(model->plan, &buf);
	SerialPutString(&buf, model->family->name);
	SerialPutFloat64Array(&buf, model->config, model->family->n_params);
	model->family->serialize(model->state, &buf);

	length = buf.len;
	memcpy(buf.data + LENGTH_OFFSET, &length, sizeof(length));
	checksum = BodyChecksum(buf.data, buf.len);
	memcpy(buf.data + CHECKSUM_OFFSET, &checksum, sizeof(checksum));
	binary = palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(binary, VARHDRSZ + buf.len);
	memcpy(VARDATA(binary), buf.data, buf.len);
	pfree(buf.data);
	return binary;
}

/* Check magic, version and length before reading anything else. */
static void
CheckHeader(const char *data, Size size)
{
	uint32		magic;
	int32		version;
	int64		length;
	uint32		checksum;

	if (size < HEADER_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is too short"),
				 errdetail("The binary has %zu bytes, the header alone needs %zu.",
						   size, (Size) HEADER_SIZE),
				 errhint("Retrain the project with automl_train.")));
	memcpy(&magic, data, sizeof(magic));
	memcpy(&version, data + sizeof(magic), sizeof(version));
	memcpy(&length, data + LENGTH_OFFSET, sizeof(length));
	if (magic != AUTOML_MODEL_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary has an invalid magic number"),
				 errdetail("Found 0x%08X, expected 0x%08X.", magic, AUTOML_MODEL_MAGIC),
				 errhint("Retrain the project with automl_train.")));
	if (version != AUTOML_MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("automl model binary has format version %d", version),
				 errdetail("This build of automl reads format version %d.",
						   AUTOML_MODEL_FORMAT_VERSION),
				 errhint("Retrain the project with automl_train.")));
	if (length != (int64) size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary has the wrong length"),
				 errdetail("The header says %lld bytes, the binary has %zu.",
						   (long long) length, size),
				 errhint("Retrain the project with automl_train.")));
	memcpy(&checksum, data + CHECKSUM_OFFSET, sizeof(checksum));
	if (checksum != BodyChecksum(data, size))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary fails its checksum"),
				 errdetail("The header's CRC-32C is %08X, the body's is %08X.",
						   checksum, BodyChecksum(data, size)),
				 errhint("Retrain the project with automl_train.")));
}

/* Reject stored hyperparameters outside the family's valid values. */
static void
CheckConfig(const ModelFamily *family, const double *config)
{
	for (int i = 0; i < family->n_params; i++)
	{
		const ParamSpec *spec = &family->params[i];
		double		low = spec->min_value != spec->max_value ? spec->min_value : spec->low;
		double		high = spec->min_value != spec->max_value ? spec->max_value : spec->high;
		double		slack;

		if (spec->kind == PARAM_CHOICE)
		{
			low = 0;
			high = spec->n_choices - 1;
		}
		/*
		 * Allow a rounding step past a bound, because searches stored
		 * exp(log(high)) > high before FamilyParamFromUnit clamped it.
		 */
		slack = 1e-9 * Max(fabs(low), fabs(high));
		if (!(config[i] >= low - slack && config[i] <= high + slack))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("automl model binary is corrupted"),
					 errdetail("Hyperparameter \"%s\" of %s is %g, expected a value from %g to %g.",
							   spec->name, family->name, config[i], low, high),
					 errhint("Retrain the project with automl_train.")));
	}
}

/* A stored model's family: a registered one, or one built outside the search. */
static const ModelFamily *
StoredFamily(const char *name)
{
	if (strcmp(name, ensemble_family.name) == 0)
		return &ensemble_family;
	if (strcmp(name, grouped_linear_family.name) == 0)
		return &grouped_linear_family;
	return FamilyByName(name);
}

AutomlModel *
ModelDeserialize(const bytea *binary)
{
	AutomlModel *model = palloc0(sizeof(AutomlModel));
	SerialReader reader;
	char	   *family_name;

	CheckHeader(VARDATA_ANY(binary), VARSIZE_ANY_EXHDR(binary));
	SerialReaderInit(&reader, VARDATA_ANY(binary), VARSIZE_ANY_EXHDR(binary));
	reader.offset = HEADER_SIZE;

	model->plan = PrepDeserialize(&reader);
	family_name = SerialGetString(&reader);
	model->family = StoredFamily(family_name);
	if (model->family == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model uses unknown algorithm \"%s\"", family_name),
				 errhint("Retrain the project with automl_train.")));
	SerialGetFloat64Array(&reader, model->config, model->family->n_params);
	CheckConfig(model->family, model->config);
	model->state = model->family->deserialize(&reader);
	if (model->family == &grouped_linear_family)
		GroupedCheckPlan(model->state, model->plan);
	if (reader.offset != reader.length)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary has %zu trailing bytes",
						reader.length - reader.offset),
				 errhint("Retrain the project with automl_train.")));
	return model;
}

int
ModelOutputWidth(const AutomlModel *model)
{
	return model->plan->task == TASK_CLASSIFICATION ? model->plan->n_classes : 1;
}
