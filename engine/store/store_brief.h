/* store_brief.h -- what the briefing report reads besides runs: the
 * per-year runs of a scenario, and whether an uncertainty analysis was made
 * of the same inputs as a run. */
#ifndef TS_STORE_BRIEF_H
#define TS_STORE_BRIEF_H

#include "store.h"

/* Stores in ids (room for cap) the runs of scenario that have a reference
 * year (per-year runs: `trend --db`, --set year=Y), the latest run of each
 * year, by year, and the years in years (may be NULL); their count in *n
 * (0 when the store records no years). Returns TS_OK or TS_ESYSTEM. */
int ts_store_scenario_year_runs(ts_store *st, const char *scenario, long long *ids, int *years, int cap, int *n,
                                ts_error *err);

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
