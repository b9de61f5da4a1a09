/*
 * model.h
 *		A trained model: the preprocessing plan plus a fitted family, and its
 *		versioned binary form stored in automl.models.model.
 *
 * Binary layout: uint32 magic "AUML", int32 format version, int64 total
 * length, uint32 CRC-32C of the rest, then the plan, the family name, its
 * configuration and its state.
 */
#ifndef AUTOML_MODEL_H
#define AUTOML_MODEL_H

#include "family.h"
#include "prep.h"

#define AUTOML_MODEL_MAGIC 0x4C4D5541	/* "AUML" read as little-endian bytes */
#define AUTOML_MODEL_FORMAT_VERSION 5

typedef struct AutomlModel
{
	PrepPlan   *plan;
	const ModelFamily *family;
	double		config[AUTOML_MAX_PARAMS];
	void	   *state;
} AutomlModel;

extern bytea *ModelSerialize(const AutomlModel *model);
extern AutomlModel *ModelDeserialize(const bytea *binary);

/* Width of one prediction: the class count, or 1 for regression. */
extern int	ModelOutputWidth(const AutomlModel *model);

#endif							/* AUTOML_MODEL_H */
