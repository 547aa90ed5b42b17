/* aggregate.h -- weighted means that combine a node's children, skipping
 * missing values and rescaling the remaining weights. */
#ifndef TS_AGGREGATE_H
#define TS_AGGREGATE_H

#include "method.h"

/* Combines the n values v (NaN = missing) with weights w (>= 0). Missing
 * values and zero weights are skipped and the other weights rescaled.
 * Returns the result, or NaN when nothing is left. The geometric and
 * harmonic means need values >= 0 (a zero value gives 0); on a negative
 * value they return NaN and store its index in *bad (else *bad = -1). */
double ts_aggregate(ts_agg a, const double *v, const double *w, int n, int *bad);

#endif
