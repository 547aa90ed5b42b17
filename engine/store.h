/* store.h -- the run store: one SQLite file holding every run with its
 * provenance (input hashes, engine version, methods), scores and inputs. */
#ifndef TS_STORE_H
#define TS_STORE_H

#include "error.h"
#include "pipeline.h"
#include "scenario.h"

#define TS_STORE_SCHEMA_VERSION 1

typedef struct ts_store ts_store;

/* Opens (creating when absent) the store at path: WAL mode, a busy timeout,
 * schema created or checked. Returns TS_OK and the store in *out, or an
 * error (TS_EINPUT for a file that is not a threatscore store or has a
 * newer schema, TS_ESYSTEM otherwise). */
int ts_store_open(const char *path, ts_store **out, ts_error *err);

/* Closes the store. NULL is allowed. */
void ts_store_close(ts_store *st);

/* Saves scenario s and its result r as one run in one transaction: either
 * all of it is stored or none. Stores the run's id in *run_id. Returns
 * TS_OK or TS_ESYSTEM with err filled. */
int ts_store_save(ts_store *st, const ts_scenario *s, const ts_result *r, long long *run_id,
                  ts_error *err);

/* One row of the runs table, as listed. Strings live until the callback
 * returns. */
typedef struct ts_run_info {
    long long id;
    const char *scenario, *created_at, *taxonomy_id, *engine_version;
    const char *scenario_path, *taxonomy_path, *data_path;
    const char *scenario_sha256, *taxonomy_sha256, *data_sha256;
    int n_units, n_indicators;
} ts_run_info;

/* Calls cb for every run in id order; a non-zero return from cb stops the
 * listing. Returns TS_OK or TS_ESYSTEM. */
int ts_store_list_runs(ts_store *st, int (*cb)(const ts_run_info *run, void *ctx), void *ctx,
                       ts_error *err);

#endif
