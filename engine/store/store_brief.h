/* store_brief.h -- what the briefing report reads besides runs: whether an
 * uncertainty analysis was made of the same inputs as a run. */
#ifndef TS_STORE_BRIEF_H
#define TS_STORE_BRIEF_H

#include "store.h"

/* How an uncertainty analysis relates to a run. */
typedef struct ts_ua_match {
    int same_values;     /* the analysis scored the run's values (values_sha256) */
    int same_taxonomy;   /* ... with the run's taxonomy (taxonomy_sha256) */
    char created_at[40]; /* when the analysis was stored, "" when unknown */
} ts_ua_match;

/* Compares uncertainty analysis ua_id with run run_id into *m. Returns
 * TS_OK, TS_EINPUT when either does not exist, or TS_ESYSTEM. */
int ts_store_ua_match(ts_store *st, long long ua_id, long long run_id, ts_ua_match *m, ts_error *err);

#endif
