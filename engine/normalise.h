/* normalise.h -- transforms and normalisers applied to one indicator
 * column: raw values in, oriented scores out (higher = more risk). */
#ifndef TS_NORMALISE_H
#define TS_NORMALISE_H

#include "method.h"

/* Why a column could not be normalised. */
enum {
    TS_NORM_OK = 0,
    TS_NORM_CONSTANT,   /* min-max or z-score of a column without spread */
    TS_NORM_DOMAIN      /* transform undefined for a value (log of x <= 0) */
};

/* Applies transform t to x. Returns 0 and stores the result, or -1 when x
 * is outside the transform's domain. */
int ts_transform_value(ts_transform t, double x, double *out);

/* Normalises the n values of x (NaN = missing, left missing) into out
 * (which may equal x). direction is +1 (risk) or -1 (protective);
 * goalposts (when gp is not NULL: gp[0] < gp[1], already transformed)
 * fix min-max's bounds and truncate. Returns TS_NORM_OK or
 * TS_NORM_CONSTANT; a column with no values is left all missing. */
int ts_normalise_column(const ts_norm *norm, int direction, const double *gp, const double *x,
                        int n, double *out);

/* Writes into rank[i] the rank of x[i] among the non-missing values in
 * ascending order (1 = smallest; ties share the lowest rank), NaN for
 * missing. descending ranks the largest first instead. Returns 0, or -1
 * when out of memory. */
int ts_rank_values(const double *x, int n, int descending, double *rank);

#endif
