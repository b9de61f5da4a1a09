/*
 * serial.h
 *		Writing and reading the binary model format.
 *
 * Values are written in the byte order of the machine that trained the
 * model; the header (model.h) records the format version and total length.
 * Every read is bounds-checked, so a truncated or corrupted model raises an
 * error instead of reading past its end.
 */
#ifndef AUTOML_SERIAL_H
#define AUTOML_SERIAL_H

#include "postgres.h"
#include "lib/stringinfo.h"

typedef struct SerialReader
{
	const char *data;
	Size		length;
	Size		offset;
} SerialReader;

extern void SerialPutInt32(StringInfo buf, int32 value);
extern void SerialPutFloat64(StringInfo buf, double value);
extern void SerialPutFloat64Array(StringInfo buf, const double *values, Size count);
extern void SerialPutString(StringInfo buf, const char *value);

extern void SerialReaderInit(SerialReader *reader, const char *data, Size length);
extern int32 SerialGetInt32(SerialReader *reader);
extern double SerialGetFloat64(SerialReader *reader);
extern void SerialGetFloat64Array(SerialReader *reader, double *values, Size count);
extern char *SerialGetString(SerialReader *reader);

/* Raise an error unless at least count items of size bytes remain. */
extern void SerialCheckRemaining(SerialReader *reader, Size count, Size size);

/*
 * Read count doubles into a new array, checking first that the model has
 * that many bytes left, so a corrupted count cannot cause a huge palloc.
 */
extern double *SerialReadFloat64Array(SerialReader *reader, Size count);

/* Read an int32 and raise an error unless it lies in [low, high]. */
extern int32 SerialGetInt32InRange(SerialReader *reader, int32 low, int32 high,
								   const char *what);

#endif							/* AUTOML_SERIAL_H */
