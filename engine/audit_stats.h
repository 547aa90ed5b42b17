/* audit_stats.h -- the statistics of the framework audit, on columns with
 * missing values (NaN): moments, Pearson and Spearman correlation,
 * Cronbach's alpha and the first principal component. */
#ifndef TS_AUDIT_STATS_H
#define TS_AUDIT_STATS_H

/* COINr's get_stats of one column: n = values present, missing = share
 * absent, sd with n - 1, bias-adjusted skew and excess kurtosis (as the
 * treatment rule: ts_skewness, ts_kurtosis), unique = distinct values / n.
 * A statistic that is undefined (no values, too few, no spread) is NaN. */
typedef struct ts_colstats {
    int n;
    double missing, min, max, mean, sd, skew, kurtosis, unique;
} ts_colstats;

/* Fills *out for the n values of x. Returns 0, or -1 when out of memory. */
int ts_colstats_compute(const double *x, int n, ts_colstats *out);

/* Pearson's r of x and y over the observations where both are present,
 * their count in *pairs. Returns NaN when there are fewer than 3 pairs or
 * either side is constant over them (*constant set in that case; may be
 * NULL). */
double ts_pearson(const double *x, const double *y, int n, int *pairs, int *constant);

/* Spearman's rho: Pearson's r of the ranks (ties take their average rank,
 * as R's cor(method = "spearman")), ranked over the pairs where both are
 * present. work holds 3 * n doubles. Returns as ts_pearson. */
double ts_spearman(const double *x, const double *y, int n, double *work, int *pairs, int *constant);

/* Cronbach's alpha of the k columns cols[c][0..n-1] over the complete
 * cases (every column present), their count in *cases:
 * k / (k - 1) * (1 - sum of the column variances / variance of the row
 * sums), variances with n - 1. Returns NaN with fewer than 3 cases or k < 2,
 * or when the row sums are constant (*constant set). */
double ts_cronbach(const double *const *cols, int k, int n, int *cases, int *constant);

/* First principal component of the correlation matrix of the k columns
 * over the complete cases (count in *cases), as prcomp(scale. = TRUE):
 * stores the eigenvector (unit length, signed so that its components sum
 * to a positive number, or, when they sum to zero within 1e-12, so that its
 * first non-zero component is positive) in loadings[k] and returns its eigenvalue's share
 * of the sum of the eigenvalues. Returns NaN (loadings NaN) with fewer than
 * 3 cases, k < 2 or a constant column (*constant set); -1 is stored in
 * *cases when out of memory. */
double ts_pca_first(const double *const *cols, int k, int n, double *loadings, int *cases, int *constant);

#endif
