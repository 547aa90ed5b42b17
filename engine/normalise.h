/* normalise.h -- transforms and normalisers applied to one indicator
 * column: raw values in, oriented scores out (higher = more risk). */
#ifndef TS_NORMALISE_H
#define TS_NORMALISE_H

#include "method.h"

/* Why a column could not be normalised. */
enum {
    TS_NORM_OK = 0,
    TS_NORM_CONSTANT,   /* min-max or z-score of a column without spread */
    TS_NORM_DOMAIN,     /* a value outside the method's domain */
    TS_NORM_NOREF,      /* dist2ref: the reference unit has no value, or the minimum */
    TS_NORM_NOTARGET,   /* dist2targ without a target, or target = min */
    TS_NORM_OOM = -1
};

/* Everything one column's normalisation needs besides the values. */
typedef struct ts_norm_args {
    const ts_norm *norm;
    int direction;             /* +1 risk, -1 protective: values are negated first */
    const double *goalposts;   /* [lo, hi] after the transform, or NULL */
    const double *target;      /* dist2targ's target after the transform, or NULL */
    int ref;                   /* dist2ref: index of the reference unit, -1 if none */
    double scale_lo, scale_hi; /* default output range of the 0-1 family */
} ts_norm_args;

/* Applies transform t to the n values of x in place (NaN stays NaN);
 * logct uses the column's min and max. Returns 0, or the index + 1 of the
 * first value outside the transform's domain (log of x <= 0, ...). */
int ts_transform_column(const ts_transform *t, double *x, int n);

/* Applies transform t to one value with the column's min and max (for
 * logct). Returns 0 and stores the result, or -1 outside the domain. */
int ts_transform_value(const ts_transform *t, double x, double min, double max, double *out);

/* Normalises the n values of x (NaN = missing, left missing) into out
 * (which may equal x). Returns TS_NORM_OK, a TS_NORM_* reason, or
 * TS_NORM_OOM; a column with no values is left all missing. */
int ts_normalise_column(const ts_norm_args *a, const double *x, int n, double *out);

/* Writes into rank[i] the rank of x[i] among the non-missing values in
 * ascending order (1 = smallest; ties share the lowest rank), NaN for
 * missing. descending ranks the largest first instead. Returns 0, or -1
 * when out of memory. */
int ts_rank_values(const double *x, int n, int descending, double *rank);

#endif
