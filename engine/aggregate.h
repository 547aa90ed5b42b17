/* aggregate.h -- the aggregators that combine a node's children, skipping
 * missing values and rescaling the remaining weights. */
#ifndef TS_AGGREGATE_H
#define TS_AGGREGATE_H

#include "method.h"

/* Combines the n values v (NaN = missing) with weights w (>= 0) by
 * aggregator a. Missing values and zero weights are skipped and the other
 * weights rescaled. Returns the result, or NaN when nothing is left.
 *  - geometric, harmonic and genmean with p < 0 need values >= 0 (a zero
 *    gives 0); cgeometric needs top - factor * x > 0;
 *  - min and max ignore the weights; wmax is max(w_i * x_i) with the weights
 *    as given (INFORM's "maximum with a factor");
 *  - wmedian is matrixStats' interpolated weighted median (the one COINr's
 *    documentation uses);
 *  - copeland needs all units at once: see ts_aggregate_copeland.
 * On a value outside the aggregator's domain it returns NaN and stores its
 * index in *bad (else *bad = -1). */
double ts_aggregate(const ts_agg *a, const double *v, const double *w, int n, int *bad);

/* Copeland scores of n_units units over n_children children, as COINr
 * 1.1.14: values are child-major (v[c * n_units + u], NaN = missing),
 * weights per child, normalised to sum 1. For each pair of units (a < b),
 * O_ab sums the weights of the children where a beats b plus half those
 * where they tie, over children where both have data, and O_ba = 1 - O_ab
 * (so, as in COINr, weight of children missing for either unit ends up on
 * the later unit's side); a unit scores +1 for each O > 1/2, -1 for each
 * O < 1/2. Writes n_units scores into out (NaN for a unit with no data).
 * Returns 0. */
int ts_aggregate_copeland(const double *v, const double *w, int n_children, int n_units, double *out);

#endif
