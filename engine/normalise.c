/* normalise.c -- transforms and the normalisers of COINr's set, with
 * direction, goalposts, targets and output ranges. */
#include "normalise.h"

#include <math.h>
#include <stdint.h>
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

/* At most this many values are ranked by counting, with no sorting and no
 * allocation: n^2 vectorised comparisons beat glibc's qsort 2x at 50
 * values and the radix sort below up to about 160 (measured), and the
 * uncertainty analysis ranks every node of every replication. */
#define RANK_BY_COUNTING 160

/* Ranks by counting: rank = 1 + how many values are strictly smaller,
 * which is exactly "ties share the lowest rank". */
static void rank_by_counting(const double *x, int n, int descending, double *rank) {
    double v[RANK_BY_COUNTING];
    int at[RANK_BY_COUNTING], m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) {
            rank[i] = NAN;
            continue;
        }
        v[m] = descending ? -x[i] : x[i];
        at[m++] = i;
    }
    /* r[a] = 1 + the number of values under v[a]. Updating every r for one
       v[b] at a time is a loop compilers vectorise (a sum over b is not:
       they may not reorder floating-point additions); counts held as
       doubles are exact. */
    double r[RANK_BY_COUNTING];
    for (int a = 0; a < m; a++) r[a] = 1;
    for (int b = 0; b < m; b++) {
        double vb = v[b];
        for (int a = 0; a < m; a++) r[a] += v[a] > vb ? 1.0 : 0.0;
    }
    for (int a = 0; a < m; a++) rank[at[a]] = r[a];
}

typedef struct keyed {
    uint64_t key;
    int i;
} keyed;

/* Returns an integer whose unsigned order is the order of the non-NaN
 * double v, with -0 and +0 one key as they compare equal. */
static uint64_t order_key(double v) {
    uint64_t b;
    if (v == 0) v = 0; /* -0 becomes +0 */
    memcpy(&b, &v, sizeof b);
    return b >> 63 ? ~b : b | 1ULL << 63;
}

/* Ranks by a least-significant-digit radix sort of the order keys, one
 * byte per pass, skipping bytes every key shares (the sign and exponent
 * of scores on one scale). Returns 0, or -1 when out of memory. */
static int rank_by_radix(const double *x, int n, int descending, double *rank) {
    keyed *buf = malloc(2 * (size_t)n * sizeof *buf);
    if (!buf) return -1;
    keyed *a = buf, *b = buf + n;
    uint32_t count[8][256];
    memset(count, 0, sizeof count);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) {
            rank[i] = NAN;
            continue;
        }
        uint64_t key = order_key(descending ? -x[i] : x[i]);
        a[m++] = (keyed){key, i};
        for (int d = 0; d < 8; d++) count[d][key >> (8 * d) & 0xFF]++;
    }
    for (int d = 0; d < 8 && m > 0; d++) {
        uint32_t *c = count[d];
        if (c[a[0].key >> (8 * d) & 0xFF] == (uint32_t)m) continue;
        uint32_t sum = 0;
        for (int k = 0; k < 256; k++) {
            uint32_t here = c[k];
            c[k] = sum;
            sum += here;
        }
        for (int j = 0; j < m; j++) b[c[a[j].key >> (8 * d) & 0xFF]++] = a[j];
        keyed *t = a;
        a = b;
        b = t;
    }
    int first = 0;
    for (int j = 0; j < m; j++) {
        /* ties take the lowest rank: the position of the first equal value */
        if (j > 0 && a[j].key != a[j - 1].key) first = j;
        rank[a[j].i] = (double)(first + 1);
    }
    free(buf);
    return 0;
}

int ts_rank_values(const double *x, int n, int descending, double *rank) {
    if (n <= RANK_BY_COUNTING) {
        rank_by_counting(x, n, descending, rank);
        return 0;
    }
    return rank_by_radix(x, n, descending, rank);
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
