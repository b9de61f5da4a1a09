/*
 * serial.c
 *		Bounds-checked writing and reading of the binary model format.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "serial.h"

void
SerialPutInt32(StringInfo buf, int32 value)
{
	appendBinaryStringInfo(buf, (const char *) &value, sizeof(value));
}

void
SerialPutFloat64(StringInfo buf, double value)
{
	appendBinaryStringInfo(buf, (const char *) &value, sizeof(value));
}

void
SerialPutFloat64Array(StringInfo buf, const double *values, Size count)
{
	if (count > 0)
		appendBinaryStringInfo(buf, (const char *) values, count * sizeof(double));
}

/* Strings are written as an int32 length followed by the bytes, no terminator. */
void
SerialPutString(StringInfo buf, const char *value)
{
	int32		length = (int32) strlen(value);

	SerialPutInt32(buf, length);
	appendBinaryStringInfo(buf, value, length);
}

void
SerialReaderInit(SerialReader *reader, const char *data, Size length)
{
	reader->data = data;
	reader->length = length;
	reader->offset = 0;
}

/* Copy the next "size" bytes to dest, or raise an error if the model ends first. */
static void
SerialRead(SerialReader *reader, void *dest, Size size)
{
	if (size > reader->length - reader->offset)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is truncated"),
				 errdetail("Needed %zu bytes at offset %zu of a %zu-byte model.",
						   size, reader->offset, reader->length),
				 errhint("Retrain the project with automl_train.")));
	memcpy(dest, reader->data + reader->offset, size);
	reader->offset += size;
}

int32
SerialGetInt32(SerialReader *reader)
{
	int32		value;

	SerialRead(reader, &value, sizeof(value));
	return value;
}

double
SerialGetFloat64(SerialReader *reader)
{
	double		value;

	SerialRead(reader, &value, sizeof(value));
	return value;
}

void
SerialGetFloat64Array(SerialReader *reader, double *values, Size count)
{
	if (count > 0)
		SerialRead(reader, values, count * sizeof(double));
}

char *
SerialGetString(SerialReader *reader)
{
	int32		length = SerialGetInt32InRange(reader, 0, MaxAllocSize - 1,
											   "string length");
	char	   *value = palloc(length + 1);

	SerialRead(reader, value, length);
	value[length] = '\0';
	return value;
}

int32
SerialGetInt32InRange(SerialReader *reader, int32 low, int32 high,
					  const char *what)
{
	int32		value = SerialGetInt32(reader);

	if (value < low || value > high)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is corrupted"),
				 errdetail("The %s is %d, expected a value from %d to %d.",
						   what, value, low, high),
				 errhint("Retrain the project with automl_train.")));
	return value;
}

void
SerialCheckRemaining(SerialReader *reader, Size count, Size size)
{
	Size		remaining = reader->length - reader->offset;

	if (size > 0 && count > remaining / size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("automl model binary is truncated"),
				 errdetail("Needed %zu items of %zu bytes at offset %zu of a %zu-byte model.",
						   count, size, reader->offset, reader->length),
				 errhint("Retrain the project with automl_train.")));
}

double *
SerialReadFloat64Array(SerialReader *reader, Size count)
{
	double	   *values;

	SerialCheckRemaining(reader, count, sizeof(double));
	values = palloc_extended(Max(count, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	SerialGetFloat64Array(reader, values, count);
	return values;
}
