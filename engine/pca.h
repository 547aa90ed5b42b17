/* pca.h -- PCA-derived weights (weights = "pca"): each node of indicators
 * weighs them by their loadings on the first principal component. */
#ifndef TS_PCA_H
#define TS_PCA_H

#include "error.h"
#include "scenario.h"

/* Scores s, then sets the weights of the children of every node whose
 * children are all indicators (two or more) to the squared loadings of the
 * first principal component of the correlation matrix of their normalised
 * values (units with every value only; power iteration from a fixed start,
 * so the weights are deterministic). They sum to 1 under each such node.
 * A node where PCA is undefined (fewer than 3 complete units, a constant
 * indicator) keeps its weights. Returns TS_OK, the scoring's error code,
 * or TS_ESYSTEM when out of memory. */
int ts_pca_set_weights(ts_scenario *s, ts_error *err);

#endif
