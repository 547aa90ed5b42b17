/* treat.h -- outlier treatment of one indicator column: COINr's rule of
 * skew and kurtosis, stepwise winsorisation and the log fallback. */
#ifndef TS_TREAT_H
#define TS_TREAT_H

#include "method.h"

/* What treatment did to one column. */
typedef struct ts_treat_log {
    int checked;              /* the column was tested (treatment not none) */
    int treated;              /* the rule fired */
    int winsorised_low;       /* points winsorised at the low end */
    int winsorised_high;      /* points winsorised at the high end */
    int fallback;             /* winsorisation failed: the fallback transform was applied */
    double skew, kurtosis;    /* before */
    double skew_after, kurtosis_after;
} ts_treat_log;

/* Bias-adjusted sample skewness (G1) and excess kurtosis (G2) of the
 * non-missing values of x; NaN when fewer than 3 (skew) or 4 (kurtosis)
 * values or no spread. */
double ts_skewness(const double *x, int n);
double ts_kurtosis(const double *x, int n);

/* Treats the n values of x in place by rule t and fills *log. Returns 0,
 * or -1 when the fallback transform is undefined for a value (it cannot be
 * for logct). */
int ts_treat_column(const ts_treat *t, double *x, int n, ts_treat_log *log);

#endif
