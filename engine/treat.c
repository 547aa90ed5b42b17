/* treat.c -- outlier detection and treatment. */
#include "treat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "normalise.h"

/* Central moments m2, m3, m4 of the non-missing values; returns the count. */
static int moments(const double *x, int n, double *m2, double *m3, double *m4) {
    int m = 0;
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            m++;
        }
    *m2 = *m3 = *m4 = 0;
    if (m == 0) return 0;
    double mean = sum / m;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        double d = x[i] - mean, d2 = d * d;
        *m2 += d2;
        *m3 += d2 * d;
        *m4 += d2 * d2;
    }
    *m2 /= m;
    *m3 /= m;
    *m4 /= m;
    return m;
}

double ts_skewness(const double *x, int n) {
    double m2, m3, m4;
    int m = moments(x, n, &m2, &m3, &m4);
    if (m < 3 || !(m2 > 0)) return NAN;
    double g1 = m3 / pow(m2, 1.5);
    return g1 * sqrt((double)m * (m - 1)) / (m - 2);
}

double ts_kurtosis(const double *x, int n) {
    double m2, m3, m4;
    int m = moments(x, n, &m2, &m3, &m4);
    if (m < 4 || !(m2 > 0)) return NAN;
    double g2 = m4 / (m2 * m2) - 3;
    return ((m + 1) * g2 + 6) * (m - 1) / ((double)(m - 2) * (m - 3));
}

/* Returns 1 when the column breaks the rule (|skew| >= s and kurt >= k). */
static int fails(const ts_treat *t, double skew, double kurt) {
    return !isnan(skew) && !isnan(kurt) && fabs(skew) >= t->skew && kurt >= t->kurtosis;
}

int ts_treat_column(const ts_treat *t, double *x, int n, ts_treat_log *log) {
    memset(log, 0, sizeof *log);
    log->skew = log->skew_after = ts_skewness(x, n);
    log->kurtosis = log->kurtosis_after = ts_kurtosis(x, n);
    if (t->method == TS_TREAT_NONE) return 0;
    log->checked = 1;
    if (!fails(t, log->skew, log->kurtosis)) return 0;
    log->treated = 1;
    double *orig = malloc(((size_t)n + 1) * sizeof *orig);
    if (!orig) return -1;
    memcpy(orig, x, (size_t)n * sizeof *x);
    double skew = log->skew, kurt = log->kurtosis;
    /* COINr's winsorise: at each step the side follows the sign of the
       current skew; every point tied at that extreme (earlier winsorised
       points included) takes the next value in. The count is the size of
       the latest high set plus the latest low set, so ties may overshoot
       winmax; stop once the rule passes or the count reaches winmax. */
    int high_set = 0, low_set = 0;
    while (fails(t, skew, kurt) && high_set + low_set < t->winmax) {
        int high = skew >= 0;
        double ext = high ? -INFINITY : INFINITY, next = high ? -INFINITY : INFINITY;
        for (int i = 0; i < n; i++)
            if (!isnan(x[i]) && (high ? x[i] > ext : x[i] < ext)) ext = x[i];
        for (int i = 0; i < n; i++)
            if (!isnan(x[i]) && x[i] != ext && (high ? x[i] > next : x[i] < next)) next = x[i];
        if (!isfinite(next)) break; /* all values equal */
        int moved = 0;
        for (int i = 0; i < n; i++)
            if (x[i] == ext) {
                x[i] = next;
                moved++;
            }
        if (high) high_set = moved;
        else low_set = moved;
        skew = ts_skewness(x, n);
        kurt = ts_kurtosis(x, n);
    }
    log->winsorised_high = high_set;
    log->winsorised_low = low_set;
    int rc = 0;
    if (fails(t, skew, kurt) && t->fallback != TS_TRANSFORM_NONE) {
        /* winsorisation was not enough: transform the original values */
        memcpy(x, orig, (size_t)n * sizeof *x);
        log->winsorised_low = log->winsorised_high = 0;
        log->fallback = 1;
        ts_transform tr = {t->fallback, 1.0};
        if (ts_transform_column(&tr, x, n) != 0) rc = -1;
        skew = ts_skewness(x, n);
        kurt = ts_kurtosis(x, n);
    }
    log->skew_after = skew;
    log->kurtosis_after = kurt;
    free(orig);
    return rc;
}
