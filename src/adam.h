/*
 * adam.h
 *		The Adam optimiser, shared by the gradient-trained families.
 *
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR
 * 2015) keeps exponential moving averages of the gradient (m) and of its
 * elementwise square (v), corrects their bias towards zero, and moves each
 * parameter by learning_rate * m_hat / (sqrt(v_hat) + epsilon).
 */
#ifndef AUTOML_ADAM_H
#define AUTOML_ADAM_H

#include "postgres.h"

#define ADAM_BETA1		0.9
#define ADAM_BETA2		0.999
#define ADAM_EPSILON	1e-8

typedef struct AdamState
{
	Size		dim;
	double		learning_rate;
	int64		step;			/* updates applied so far */
	double		beta1_power;	/* ADAM_BETA1 ^ step */
	double		beta2_power;	/* ADAM_BETA2 ^ step */
	double	   *m;				/* first moment, dim values */
	double	   *v;				/* second moment, dim values */
} AdamState;

/* Set up state for dim parameters; the moments start at zero. */
extern void AdamInit(AdamState *state, Size dim, double learning_rate);

/* Apply one update to theta (dim values) with the gradient grad. */
extern void AdamStep(AdamState *state, double *theta, const double *grad);

extern void AdamFree(AdamState *state);

#endif							/* AUTOML_ADAM_H */
