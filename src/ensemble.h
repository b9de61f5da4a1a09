/*
 * ensemble.h
 *		The ensemble model: a weighted average of fitted family models.
 */
#ifndef AUTOML_ENSEMBLE_H
#define AUTOML_ENSEMBLE_H

#include "family.h"

/* Not in automl_families: the search never proposes it, models may use it. */
extern const ModelFamily ensemble_family;

/*
 * Build an ensemble state from fitted members.  configs contains
 * AUTOML_MAX_PARAMS values per member, weights sum to 1.
 */
extern void *EnsembleBuild(int n_outputs, int n_members, const ModelFamily **families,
						   const double *configs, const double *weights, void **states);

#endif							/* AUTOML_ENSEMBLE_H */
