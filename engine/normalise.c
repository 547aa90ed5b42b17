/* normalise.c -- log transforms and the min-max, z-score and rank
 * normalisers, with direction and goalposts. */
#include "normalise.h"

#include <math.h>
#include <stdlib.h>

int ts_transform_value(ts_transform t, double x, double *out) {
    switch (t) {
    case TS_TRANSFORM_NONE: *out = x; return 0;
    case TS_TRANSFORM_LOG:
        if (!(x > 0)) return -1;
        *out = log(x);
        return 0;
    case TS_TRANSFORM_LOG1P:
        if (!(x > -1)) return -1;
        *out = log1p(x);
        return 0;
    }
    return -1;
}

typedef struct keyed {
    double v;
    int i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int ts_rank_values(const double *x, int n, int descending, double *rank) {
    keyed *k = malloc(((size_t)n + 1) * sizeof *k);
    if (!k) return -1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) {
            rank[i] = NAN;
            continue;
        }
        k[m].v = descending ? -x[i] : x[i];
        k[m].i = i;
        m++;
    }
    qsort(k, (size_t)m, sizeof *k, cmp_keyed);
    for (int j = 0; j < m; j++) {
        /* ties take the lowest rank: the position of the first equal value */
        int first = j;
        while (first > 0 && k[first - 1].v == k[j].v) first--;
        rank[k[j].i] = (double)(first + 1);
    }
    free(k);
    return 0;
}

int ts_normalise_column(const ts_norm *norm, int direction, const double *gp, const double *x,
                        int n, double *out) {
    int m = 0;
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        m++;
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
        sum += x[i];
    }
    if (m == 0) {
        for (int i = 0; i < n; i++) out[i] = NAN;
        return TS_NORM_OK;
    }
    switch (norm->method) {
    case TS_NORM_MINMAX: {
        if (gp) {
            lo = gp[0];
            hi = gp[1];
        } else if (!(hi > lo)) {
            return TS_NORM_CONSTANT;
        }
        double span = hi - lo, out_span = norm->hi - norm->lo;
        for (int i = 0; i < n; i++) {
            if (isnan(x[i])) {
                out[i] = NAN;
                continue;
            }
            double t = (x[i] - lo) / span;
            if (t < 0) t = 0;      /* goalposts truncate */
            if (t > 1) t = 1;
            if (direction < 0) t = 1 - t;
            out[i] = norm->lo + t * out_span;
        }
        return TS_NORM_OK;
    }
    case TS_NORM_ZSCORE: {
        if (m < 2 || !(hi > lo)) return TS_NORM_CONSTANT;
        double mean = sum / m, ss = 0;
        for (int i = 0; i < n; i++)
            if (!isnan(x[i])) ss += (x[i] - mean) * (x[i] - mean);
        double sd = sqrt(ss / (m - 1)); /* sample sd, as COINr */
        for (int i = 0; i < n; i++)
            out[i] = isnan(x[i]) ? NAN : norm->mean + norm->sd * direction * (x[i] - mean) / sd;
        return TS_NORM_OK;
    }
    case TS_NORM_RANK: {
        /* a protective indicator ranks its smallest value highest */
        double *tmp = malloc((size_t)n * sizeof *tmp);
        if (!tmp) return -1;
        int rc = ts_rank_values(x, n, direction < 0, tmp);
        for (int i = 0; i < n; i++) out[i] = tmp[i];
        free(tmp);
        return rc;
    }
    }
    return TS_NORM_OK;
}
