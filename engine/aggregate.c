/* aggregate.c -- weighted means, extremes, median, INFORM's rules and
 * Copeland's pairwise method. */
#include "aggregate.h"

#include <math.h>
#include <stdlib.h>

typedef struct pair {
    double v, w;
} pair;

static int cmp_pair(const void *a, const void *b) {
    double x = ((const pair *)a)->v, y = ((const pair *)b)->v;
    return (x > y) - (x < y);
}

/* matrixStats' weightedMedian with interpolation (its default, which the
 * COINr vignette uses): values sorted, weights normalised, midpoint
 * cumulative weights, linear interpolation where they cross one half. */
static double weighted_median(const double *v, const double *w, int n, double wsum) {
    pair small[64], *p = n <= 64 ? small : malloc((size_t)n * sizeof *p);
    if (!p) return NAN;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i]) && w[i] > 0) p[m++] = (pair){v[i], w[i] / wsum};
    qsort(p, (size_t)m, sizeof *p, cmp_pair);
    double out = NAN, cum = 0, prev_mid = 0;
    for (int i = 0; i < m; i++) {
        double mid = cum + p[i].w / 2;
        cum += p[i].w;
        if (mid >= 0.5) {
            out = i == 0 ? p[0].v : p[i].v + (0.5 - mid) / (mid - prev_mid) * (p[i].v - p[i - 1].v);
            break;
        }
        prev_mid = mid;
    }
    if (p != small) free(p);
    return out;
}

/* Returns x clamped to [lo, hi]. A weighted mean lies between the least
 * and the greatest of its values, but its rounding does not: exp(log(11))
 * is 11.000000000000002, so a complement geometric mean of values at the
 * bottom of the scale came out at -1.8e-15, and a geometric mean above it
 * then refused the run. The clamp removes only such rounding error. */
static double within(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

/* The weighted power mean (sum w x^p / sum w)^(1/p) of the values with
 * data and weight, all >= 0 (and > 0 for p < 0), computed relative to the
 * largest value (the smallest for p < 0) so that x^p cannot overflow or
 * underflow whatever p: each ratio is at most 1 raised to a positive power
 * (or at least 1 to a negative one). Then a p of 1e300 gives the maximum,
 * its limit, instead of inf. */
static double power_mean(double p, const double *v, const double *w, int n, double wsum, double lo, double hi) {
    double base = p > 0 ? hi : lo, acc = 0;
    if (base == 0) return 0.0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i]) && w[i] > 0) acc += w[i] * pow(v[i] / base, p);
    return within(base * pow(acc / wsum, 1.0 / p), lo, hi);
}

double ts_aggregate(const ts_agg *a, const double *v, const double *w, int n, int *bad) {
    double wsum = 0, acc = 0, best = NAN, lo = INFINITY, hi = -INFINITY;
    int zero = 0;
    *bad = -1;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i]) || !(w[i] > 0)) continue;
        double x = v[i];
        wsum += w[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
        switch (a->method) {
        case TS_AGG_ARITHMETIC: acc += w[i] * x; break;
        case TS_AGG_GEOMETRIC:
        case TS_AGG_HARMONIC:
            if (x < 0) {
                *bad = i;
                return NAN;
            }
            if (x == 0) zero = 1;
            else acc += a->method == TS_AGG_GEOMETRIC ? w[i] * log(x) : w[i] / x;
            break;
        case TS_AGG_GENMEAN:
            if (x < 0 || (x == 0 && a->p < 0)) {
                if (x < 0) {
                    *bad = i;
                    return NAN;
                }
                zero = 1;
                break;
            }
            break; /* summed below, once the largest value is known */
        case TS_AGG_MIN: if (isnan(best) || x < best) best = x; break;
        case TS_AGG_MAX: if (isnan(best) || x > best) best = x; break;
        case TS_AGG_WMAX: if (isnan(best) || w[i] * x > best) best = w[i] * x; break;
        case TS_AGG_CGEOMETRIC: {
            double y = a->top - a->factor * x;
            if (!(y > 0)) {
                *bad = i;
                return NAN;
            }
            acc += w[i] * log(y);
            break;
        }
        case TS_AGG_WMEDIAN:
        case TS_AGG_COPELAND: break;
        }
    }
    if (!(wsum > 0)) return NAN;
    switch (a->method) {
    /* the uncertainty analysis computes these two means in its own
       vectorised loops (ua_eval.c) and clamps them there alike: a
       protective geometric mean of values at the top of the scale came out
       above it, and reflected to -1.8e-15 */
    case TS_AGG_ARITHMETIC: return within(acc / wsum, lo, hi);
    case TS_AGG_GEOMETRIC: return zero ? 0.0 : within(exp(acc / wsum), lo, hi);
    case TS_AGG_HARMONIC: return zero ? 0.0 : within(wsum / acc, lo, hi);
    case TS_AGG_GENMEAN: return zero ? 0.0 : power_mean(a->p, v, w, n, wsum, lo, hi);
    case TS_AGG_MIN: case TS_AGG_MAX: case TS_AGG_WMAX: return best;
    case TS_AGG_CGEOMETRIC: return within((a->top - exp(acc / wsum)) / a->factor, lo, hi);
    case TS_AGG_WMEDIAN: return within(weighted_median(v, w, n, wsum), lo, hi);
    case TS_AGG_COPELAND: return NAN;
    }
    return NAN;
}

int ts_aggregate_copeland(const double *v, const double *w, int n_children, int n_units, double *out) {
    double wsum = 0;
    for (int c = 0; c < n_children; c++)
        if (w[c] > 0) wsum += w[c];
    for (int a = 0; a < n_units; a++) {
        int any = 0;
        for (int c = 0; c < n_children && !any; c++) any = !isnan(v[(size_t)c * n_units + a]) && w[c] > 0;
        out[a] = any && wsum > 0 ? 0.0 : NAN;
    }
    /* COINr's outranking matrix: O_ab = sum of the (normalised) weights of
       the children where a beats b, plus half of those where they tie, over
       children where both have data; O_ba = 1 - O_ab. Each unit scores the
       sign of O - 1/2 against every other unit. */
    for (int a = 0; a < n_units; a++) {
        if (isnan(out[a])) continue;
        for (int b = a + 1; b < n_units; b++) {
            if (isnan(out[b])) continue;
            double o = 0;
            for (int c = 0; c < n_children; c++) {
                double xa = v[(size_t)c * n_units + a], xb = v[(size_t)c * n_units + b];
                if (isnan(xa) || isnan(xb) || !(w[c] > 0)) continue;
                if (xa > xb) o += w[c] / wsum;
                else if (xa == xb) o += w[c] / wsum / 2;
            }
            double s = o > 0.5 ? 1 : o < 0.5 ? -1 : 0;
            out[a] += s;
            out[b] -= s;
        }
    }
    return 0;
}
