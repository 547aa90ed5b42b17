/* impute.c -- mean, median, group and zero imputation. */
#include "impute.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean or median of the values of the units in the same group as unit g
 * (g < 0: all units). Returns NaN when there are none. */
static double centre(const ts_impute *m, const double *x, int n, const char *const *group,
                     const unsigned char *skip, int g, double *buf) {
    int k = 0;
    double sum = 0;
    for (int u = 0; u < n; u++) {
        if (isnan(x[u]) || (skip && skip[u])) continue;
        if (g >= 0 && !(group[u] && group[g] && strcmp(group[u], group[g]) == 0)) continue;
        buf[k++] = x[u];
        sum += x[u];
    }
    if (k == 0) return NAN;
    if (m->method == TS_IMPUTE_MEAN || m->method == TS_IMPUTE_GROUP_MEAN) return sum / k;
    qsort(buf, (size_t)k, sizeof *buf, cmp_double);
    return k % 2 ? buf[k / 2] : (buf[k / 2 - 1] + buf[k / 2]) / 2;
}

int ts_impute_column(const ts_impute *m, double *x, int n, const char *const *group,
                     const unsigned char *skip, unsigned char *imputed) {
    if (m->method == TS_IMPUTE_NONE) return 0;
    double *buf = malloc(((size_t)n + 1) * sizeof *buf);
    double *fill = malloc(((size_t)n + 1) * sizeof *fill);
    if (!buf || !fill) {
        free(buf);
        free(fill);
        return -1;
    }
    int grouped = m->method == TS_IMPUTE_GROUP_MEAN || m->method == TS_IMPUTE_GROUP_MEDIAN;
    double all = m->method == TS_IMPUTE_ZERO ? 0.0 : grouped ? NAN : centre(m, x, n, group, skip, -1, buf);
    /* compute every fill value before writing any, so filled values never
       feed another unit's fill */
    for (int u = 0; u < n; u++)
        fill[u] = (!isnan(x[u]) || (skip && skip[u])) ? NAN
                  : grouped                           ? (group && group[u] ? centre(m, x, n, group, skip, u, buf) : NAN)
                                                      : all;
    int filled = 0;
    for (int u = 0; u < n; u++)
        if (!isnan(fill[u])) {
            x[u] = fill[u];
            imputed[u] = 1;
            filled++;
        }
    free(buf);
    free(fill);
    return filled;
}
