/*
 * adam.c
 *		The Adam optimiser (see adam.h).
 */
#include "postgres.h"

#include <math.h>

#include "adam.h"
#include "automl.h"

void
AdamInit(AdamState *state, Size dim, double learning_rate)
{
	state->dim = dim;
	state->learning_rate = learning_rate;
	state->step = 0;
	state->beta1_power = 1.0;
	state->beta2_power = 1.0;
	state->m = AutomlAllocDoubles(Max(dim, 1), "Adam first moment");
	state->v = AutomlAllocDoubles(Max(dim, 1), "Adam second moment");
}

void
AdamStep(AdamState *state, double *theta, const double *grad)
{
	double		correction1;
	double		correction2;

	state->step++;
	state->beta1_power *= ADAM_BETA1;
	state->beta2_power *= ADAM_BETA2;
	correction1 = 1.0 - state->beta1_power;
	correction2 = 1.0 - state->beta2_power;

	for (Size i = 0; i < state->dim; i++)
	{
		double		g = grad[i];
		double		m_hat;
		double		v_hat;

		state->m[i] = ADAM_BETA1 * state->m[i] + (1.0 - ADAM_BETA1) * g;
		state->v[i] = ADAM_BETA2 * state->v[i] + (1.0 - ADAM_BETA2) * g * g;
		m_hat = state->m[i] / correction1;
		v_hat = state->v[i] / correction2;
		theta[i] -= state->learning_rate * m_hat / (sqrt(v_hat) + ADAM_EPSILON);
	}
}

void
AdamFree(AdamState *state)
{
	pfree(state->m);
	pfree(state->v);
	state->m = NULL;
	state->v = NULL;
}
