/* normalise.c -- transforms and the normalisers of COINr's set, with
 * direction, goalposts, targets and output ranges. */
#include "normalise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Column min and max over non-missing values; returns the count. */
static int column_range(const double *x, int n, double *lo, double *hi) {
    int m = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        m++;
        if (x[i] < *lo) *lo = x[i];
        if (x[i] > *hi) *hi = x[i];
    }
    return m;
}

int ts_transform_value(const ts_transform *t, double x, double min, double max, double *out) {
    switch (t->method) {
    case TS_TRANSFORM_NONE: *out = x; return 0;
    case TS_TRANSFORM_LOG:
        if (!(x > 0)) return -1;
        *out = log(x);
        return 0;
    case TS_TRANSFORM_LOG1P:
        if (!(x > -1)) return -1;
        *out = log1p(x);
        return 0;
    case TS_TRANSFORM_LOGCT: {
        double y = x - min + 0.01 * (max - min);
        if (!(y > 0)) return -1;
        *out = log(y);
        return 0;
    }
    case TS_TRANSFORM_BOXCOX:
        if (!(x > 0)) return -1;
        *out = t->lambda == 0 ? log(x) : (pow(x, t->lambda) - 1) / t->lambda;
        return 0;
    }
    return -1;
}

int ts_transform_column(const ts_transform *t, double *x, int n) {
    if (t->method == TS_TRANSFORM_NONE) return 0;
    double lo, hi;
    column_range(x, n, &lo, &hi);
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        if (ts_transform_value(t, x[i], lo, hi, &x[i]) != 0) return i + 1;
    }
    return 0;
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
    int first = 0;
    for (int j = 0; j < m; j++) {
        /* ties take the lowest rank: the position of the first equal value */
        if (j > 0 && k[j].v != k[j - 1].v) first = j;
        rank[k[j].i] = (double)(first + 1);
    }
    free(k);
    return 0;
}

/* The natural value of one normaliser for oriented value y; st holds the
 * column statistics. */
typedef struct stats {
    double min, max, mean, sd, ref, target;
    int m;
} stats;

int ts_normalise_column(const ts_norm_args *a, const double *x, int n, double *out) {
    const ts_norm *nm = a->norm;
    double dir = a->direction < 0 ? -1.0 : 1.0;
    double *y = malloc(((size_t)n + 1) * sizeof *y);
    if (!y) return TS_NORM_OOM;
    for (int i = 0; i < n; i++) y[i] = dir * x[i];
    stats st;
    memset(&st, 0, sizeof st);
    st.m = column_range(y, n, &st.min, &st.max);
    if (st.m == 0) {
        for (int i = 0; i < n; i++) out[i] = NAN;
        free(y);
        return TS_NORM_OK;
    }
    int rc = TS_NORM_OK;
    switch (nm->method) {
    case TS_NORM_MINMAX:
    case TS_NORM_GOALPOSTS:
        if (a->goalposts) {
            /* negated goalposts swap ends */
            st.min = dir > 0 ? a->goalposts[0] : -a->goalposts[1];
            st.max = dir > 0 ? a->goalposts[1] : -a->goalposts[0];
        } else if (nm->method == TS_NORM_GOALPOSTS) {
            rc = TS_NORM_NOTARGET;
        } else if (!(st.max > st.min)) {
            rc = TS_NORM_CONSTANT;
        }
        for (int i = 0; i < n && rc == TS_NORM_OK; i++) {
            double t = (y[i] - st.min) / (st.max - st.min);
            out[i] = t < 0 ? 0 : t > 1 ? 1 : t; /* truncation only bites with goalposts */
        }
        break;
    case TS_NORM_ZSCORE: {
        if (st.m < 2 || !(st.max > st.min)) {
            rc = TS_NORM_CONSTANT;
            break;
        }
        double sum = 0, ss = 0;
        for (int i = 0; i < n; i++)
            if (!isnan(y[i])) sum += y[i];
        st.mean = sum / st.m;
        for (int i = 0; i < n; i++)
            if (!isnan(y[i])) ss += (y[i] - st.mean) * (y[i] - st.mean);
        st.sd = sqrt(ss / (st.m - 1)); /* sample sd, as COINr */
        for (int i = 0; i < n; i++) out[i] = nm->mean + nm->sd * (y[i] - st.mean) / st.sd;
        break;
    }
    case TS_NORM_RANK:
    case TS_NORM_BORDA:
    case TS_NORM_PRANK:
        if (ts_rank_values(y, n, 0, out) != 0) {
            rc = TS_NORM_OOM;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (nm->method == TS_NORM_BORDA) out[i] -= 1;
            /* percentile rank: share of the other units ranked below */
            else if (nm->method == TS_NORM_PRANK) out[i] = st.m > 1 ? (out[i] - 1) / (st.m - 1) : 0.5;
        }
        break;
    case TS_NORM_FRACMAX:
        if (!(st.max > 0)) rc = TS_NORM_DOMAIN;
        for (int i = 0; i < n && rc == TS_NORM_OK; i++) out[i] = y[i] / st.max;
        break;
    case TS_NORM_DIST2MAX:
        if (!(st.max > st.min)) rc = TS_NORM_CONSTANT;
        for (int i = 0; i < n && rc == TS_NORM_OK; i++) out[i] = 1 - (st.max - y[i]) / (st.max - st.min);
        break;
    case TS_NORM_DIST2REF:
        if (a->ref < 0 || isnan(y[a->ref])) {
            rc = TS_NORM_NOREF;
            break;
        }
        if (!(y[a->ref] != st.min)) {
            rc = TS_NORM_NOREF;
            break;
        }
        for (int i = 0; i < n; i++) {
            out[i] = (y[i] - st.min) / (y[a->ref] - st.min);
            if (nm->cap > 0 && out[i] > nm->cap) out[i] = nm->cap;
        }
        break;
    case TS_NORM_DIST2TARG: {
        if (!a->target) {
            rc = TS_NORM_NOTARGET;
            break;
        }
        double targ = dir * *a->target;
        if (!(targ != st.min)) {
            rc = TS_NORM_NOTARGET;
            break;
        }
        for (int i = 0; i < n; i++) {
            out[i] = (y[i] - st.min) / (targ - st.min);
            if (nm->cap > 0 && out[i] > nm->cap) out[i] = nm->cap;
        }
        break;
    }
    case TS_NORM_SCALED:
        for (int i = 0; i < n; i++) out[i] = (y[i] - nm->lower) / (nm->upper - nm->lower) * 100;
        break;
    case TS_NORM_NONE:
        for (int i = 0; i < n; i++) out[i] = y[i];
        break;
    }
    free(y);
    if (rc != TS_NORM_OK) return rc;
    /* map the natural output onto the range: explicit, or the scale for the
       0-1 family */
    double nlo, nhi;
    if ((nm->has_range || ts_norm_uses_scale(nm->method)) && ts_norm_natural_bounds(nm, st.m, &nlo, &nhi) == 0) {
        double lo = nm->has_range ? nm->lo : a->scale_lo, hi = nm->has_range ? nm->hi : a->scale_hi;
        double f = (hi - lo) / (nhi - nlo);
        for (int i = 0; i < n; i++)
            if (!isnan(out[i])) out[i] = lo + (out[i] - nlo) * f;
    }
    for (int i = 0; i < n; i++)
        if (isnan(x[i])) out[i] = NAN;
    return TS_NORM_OK;
}
