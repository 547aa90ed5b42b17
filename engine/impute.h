/* impute.h -- filling missing values of one indicator column: from the
 * other units (mean or median, over all units or within a group) or zero. */
#ifndef TS_IMPUTE_H
#define TS_IMPUTE_H

#include "method.h"

/* Fills the missing values of x (n units) by method m (zero: with 0). group[u] is unit u's
 * group label for the group methods (NULL entries: no group), and skip[u]
 * marks units that take no part (screened out; may be NULL). Sets
 * imputed[u] = 1 for every value filled. A value stays missing when its
 * group (or the column) has no data. Returns the number filled, or -1 when
 * out of memory. */
int ts_impute_column(const ts_impute *m, double *x, int n, const char *const *group,
                     const unsigned char *skip, unsigned char *imputed);

#endif
