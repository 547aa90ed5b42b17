/* aggregate.c -- arithmetic, geometric and harmonic weighted means. */
#include "aggregate.h"

#include <math.h>

double ts_aggregate(ts_agg a, const double *v, const double *w, int n, int *bad) {
    double wsum = 0, acc = 0;
    int zero = 0;
    *bad = -1;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i]) || !(w[i] > 0)) continue;
        wsum += w[i];
        switch (a) {
        case TS_AGG_ARITHMETIC: acc += w[i] * v[i]; break;
        case TS_AGG_GEOMETRIC:
        case TS_AGG_HARMONIC:
            if (v[i] < 0) {
                *bad = i;
                return NAN;
            }
            if (v[i] == 0) zero = 1;
            else acc += a == TS_AGG_GEOMETRIC ? w[i] * log(v[i]) : w[i] / v[i];
            break;
        }
    }
    if (!(wsum > 0)) return NAN;
    switch (a) {
    case TS_AGG_ARITHMETIC: return acc / wsum;
    case TS_AGG_GEOMETRIC: return zero ? 0.0 : exp(acc / wsum);
    case TS_AGG_HARMONIC: return zero ? 0.0 : wsum / acc;
    }
    return NAN;
}
