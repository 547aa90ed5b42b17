/* audit_stats.c -- column statistics, correlations, Cronbach's alpha and
 * the first principal component (GSL's symmetric eigensolver). */
#include "audit_stats.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "treat.h"

/* qsort order of doubles (no NaN reaches it). */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ts_colstats_compute(const double *x, int n, ts_colstats *out) {
    double *sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    if (!sorted) return -1;
    int m = 0;
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sorted[m++] = x[i];
            sum += x[i];
        }
    out->n = m;
    out->missing = n > 0 ? (double)(n - m) / n : NAN;
    out->min = out->max = out->mean = out->sd = out->unique = NAN;
    if (m > 0) {
        qsort(sorted, (size_t)m, sizeof *sorted, cmp_double);
        int distinct = 1;
        for (int i = 1; i < m; i++) distinct += sorted[i] != sorted[i - 1];
        out->min = sorted[0];
        out->max = sorted[m - 1];
        out->mean = sum / m;
        out->unique = (double)distinct / m;
        if (m > 1) {
            double ss = 0;
            for (int i = 0; i < m; i++) ss += (sorted[i] - out->mean) * (sorted[i] - out->mean);
            out->sd = sqrt(ss / (m - 1));
        }
    }
    out->skew = ts_skewness(x, n);
    out->kurtosis = ts_kurtosis(x, n);
    free(sorted);
    return 0;
}

/* Returns Pearson's r of the first m entries of a and b (all present), or
 * NaN with *constant set when either has no spread. */
static double pearson_complete(const double *a, const double *b, int m, int *constant) {
    double ma = 0, mb = 0;
    for (int i = 0; i < m; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= m;
    mb /= m;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < m; i++) {
        double da = a[i] - ma, db = b[i] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (!(saa > 0) || !(sbb > 0)) {
        if (constant) *constant = 1;
        return NAN;
    }
    double r = sab / sqrt(saa * sbb);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

double ts_pearson(const double *x, const double *y, int n, int *pairs, int *constant) {
    if (constant) *constant = 0;
    int m = 0;
    double sx = 0, sy = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i])) {
            sx += x[i];
            sy += y[i];
            m++;
        }
    *pairs = m;
    if (m < 3) return NAN;
    double mx = sx / m, my = sy / m, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i])) {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
    if (!(sxx > 0) || !(syy > 0)) {
        if (constant) *constant = 1;
        return NAN;
    }
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

/* Replaces the m values of v by their average ranks (1 = smallest); order
 * is scratch for m values. */
static void average_ranks(double *v, int m, double *order) {
    /* ranks by binary search in a sorted copy: a run of ties spans
       positions first+1 .. last and each gets their mean */
    memcpy(order, v, (size_t)m * sizeof *v);
    qsort(order, (size_t)m, sizeof *order, cmp_double);
    for (int i = 0; i < m; i++) {
        /* first and one-past-last position of v[i] in the sorted copy */
        int lo = 0, hi = m;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (order[mid] < v[i]) lo = mid + 1;
            else hi = mid;
        }
        int first = lo;
        hi = m;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (order[mid] <= v[i]) lo = mid + 1;
            else hi = mid;
        }
        v[i] = (first + 1 + lo) / 2.0; /* mean of ranks first+1 .. lo */
    }
}

double ts_spearman(const double *x, const double *y, int n, double *work, int *pairs, int *constant) {
    if (constant) *constant = 0;
    double *a = work, *b = work + n, *scratch = work + 2 * (size_t)n;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i])) {
            a[m] = x[i];
            b[m] = y[i];
            m++;
        }
    *pairs = m;
    if (m < 3) return NAN;
    average_ranks(a, m, scratch);
    average_ranks(b, m, scratch);
    return pearson_complete(a, b, m, constant);
}

/* Returns 1 when every column has a value for observation i. */
static int complete_case(const double *const *cols, int k, int i) {
    for (int c = 0; c < k; c++)
        if (isnan(cols[c][i])) return 0;
    return 1;
}

double ts_cronbach(const double *const *cols, int k, int n, int *cases, int *constant) {
    *constant = 0;
    int m = 0;
    for (int i = 0; i < n; i++) m += complete_case(cols, k, i);
    *cases = m;
    if (m < 3 || k < 2) return NAN;
    /* variances with n - 1, column by column and of the row sums */
    double var_sum_items = 0, total_mean = 0;
    for (int c = 0; c < k; c++) {
        double mean = 0, ss = 0;
        for (int i = 0; i < n; i++)
            if (complete_case(cols, k, i)) mean += cols[c][i];
        mean /= m;
        for (int i = 0; i < n; i++)
            if (complete_case(cols, k, i)) ss += (cols[c][i] - mean) * (cols[c][i] - mean);
        var_sum_items += ss / (m - 1);
        total_mean += mean;
    }
    double ss_total = 0;
    for (int i = 0; i < n; i++) {
        if (!complete_case(cols, k, i)) continue;
        double row = 0;
        for (int c = 0; c < k; c++) row += cols[c][i];
        ss_total += (row - total_mean) * (row - total_mean);
    }
    double var_total = ss_total / (m - 1);
    if (!(var_total > 0)) {
        *constant = 1;
        return NAN;
    }
    return (double)k / (k - 1) * (1 - var_sum_items / var_total);
}

double ts_pca_first(const double *const *cols, int k, int n, double *loadings, int *cases, int *constant) {
    *constant = 0;
    for (int c = 0; c < k; c++) loadings[c] = NAN;
    int m = 0;
    for (int i = 0; i < n; i++) m += complete_case(cols, k, i);
    *cases = m;
    if (m < 3 || k < 2) return NAN;
    double *z = malloc((size_t)k * (size_t)m * sizeof *z), *r = malloc((size_t)k * (size_t)k * sizeof *r);
    double *eval = malloc((size_t)k * sizeof *eval), *evec = malloc((size_t)k * (size_t)k * sizeof *evec);
    gsl_eigen_symmv_workspace *ws = z && r && eval && evec ? gsl_eigen_symmv_alloc((size_t)k) : NULL;
    double share = NAN;
    if (!ws) {
        *cases = -1;
        goto done;
    }
    /* standardised complete cases, column-major */
    for (int c = 0; c < k; c++) {
        double *col = z + (size_t)c * m, mean = 0, ss = 0;
        int j = 0;
        for (int i = 0; i < n; i++)
            if (complete_case(cols, k, i)) col[j++] = cols[c][i];
        for (j = 0; j < m; j++) mean += col[j];
        mean /= m;
        for (j = 0; j < m; j++) ss += (col[j] - mean) * (col[j] - mean);
        if (!(ss > 0)) {
            *constant = 1;
            goto done;
        }
        double sd = sqrt(ss / (m - 1));
        for (j = 0; j < m; j++) col[j] = (col[j] - mean) / sd;
    }
    for (int a = 0; a < k; a++)
        for (int b = 0; b <= a; b++) {
            double acc = 0;
            for (int j = 0; j < m; j++) acc += z[(size_t)a * m + j] * z[(size_t)b * m + j];
            r[(size_t)a * k + b] = r[(size_t)b * k + a] = acc / (m - 1);
        }
    gsl_matrix_view rm = gsl_matrix_view_array(r, (size_t)k, (size_t)k);
    gsl_vector_view ev = gsl_vector_view_array(eval, (size_t)k);
    gsl_matrix_view vm = gsl_matrix_view_array(evec, (size_t)k, (size_t)k);
    gsl_eigen_symmv(&rm.matrix, &ev.vector, &vm.matrix, ws);
    gsl_eigen_symmv_sort(&ev.vector, &vm.matrix, GSL_EIGEN_SORT_VAL_DESC);
    double total = 0, sum = 0;
    for (int c = 0; c < k; c++) total += eval[c];
    for (int c = 0; c < k; c++) sum += evec[(size_t)c * k]; /* column 0 */
    /* an eigenvector's sign is arbitrary: point it the way most of the
       columns go, so loadings read "with the group" when positive; a sum
       that is zero but for rounding leaves it to the first component */
    double sign = sum > 0 ? 1 : -1;
    if (fabs(sum) <= 1e-12)
        for (int c = 0; c < k; c++)
            if (evec[(size_t)c * k] != 0) {
                sign = evec[(size_t)c * k] > 0 ? 1 : -1;
                break;
            }
    for (int c = 0; c < k; c++) loadings[c] = sign * evec[(size_t)c * k];
    share = total > 0 ? eval[0] / total : NAN;
done:
    if (ws) gsl_eigen_symmv_free(ws);
    free(z);
    free(r);
    free(eval);
    free(evec);
    return share;
}
