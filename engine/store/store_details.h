/* store_details.h -- what the inputs table does not say about a value: how
 * it was chosen for the run's year and the sourced alternatives it has. */
#ifndef TS_STORE_DETAILS_H
#define TS_STORE_DETAILS_H

#include "store.h"

/* An observation that disagrees with the value in use, read back. */
typedef struct ts_stored_alternative {
    double value;       /* NaN when the stored text is not a number */
    int year;           /* 0 when unknown */
    const char *source; /* NULL when none */
} ts_stored_alternative;

/* The details of one input of a run. Strings and the array live until the
 * callback returns. */
typedef struct ts_stored_detail {
    const char *unit, *indicator;
    int selected;       /* TS_SELECT_EXACT, TS_SELECT_CARRIED (from an
                           earlier year) or TS_SELECT_INTERPOLATED */
    int n_alternatives;
    const ts_stored_alternative *alternatives;
} ts_stored_detail;

/* Calls cb for every input of run id that was carried forward or
 * interpolated or has alternatives (the others have no details); a
 * non-zero return stops. A store of a schema before version 6 has no
 * details: cb is not called. Returns TS_OK, or TS_ESYSTEM when the table
 * cannot be read or out of memory (a malformed stored list is TS_EINPUT). */
int ts_store_each_detail(ts_store *st, long long id, int (*cb)(const ts_stored_detail *d, void *ctx), void *ctx,
                         ts_error *err);

#endif
