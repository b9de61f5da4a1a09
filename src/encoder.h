/*
 * encoder.h
 *		The learned task metric: a small network that embeds a task's
 *		meta-features, trained with the triplet loss on past tasks.
 */
#ifndef AUTOML_ENCODER_H
#define AUTOML_ENCODER_H

#include "postgres.h"

typedef struct TaskEncoder
{
	int			n_inputs;		/* meta-features, WARM_START_N_FEATURES */
	int			n_hidden;
	int			n_outputs;		/* embedding dimension */
	double	   *low;			/* min-max scaling of each input */
	double	   *high;
	double	   *theta;			/* W1 (hidden x inputs), b1, W2 (outputs x hidden), b2 */
} TaskEncoder;

/* Embed a task from its meta-features JSON into out (n_outputs values). */
extern void EncoderEmbedJson(const TaskEncoder *encoder, const char *meta_json, double *out);

/*
 * The newest encoder the caller can see in automl.meta_models, or NULL.
 * Needs SPI connected.
 */
extern TaskEncoder *EncoderLoadLatest(void);

#endif							/* AUTOML_ENCODER_H */
