/* store.h -- the run store: one SQLite file holding every run with its
 * provenance (input hashes, engine version, methods), scores and inputs. */
#ifndef TS_STORE_H
#define TS_STORE_H

#include "error.h"
#include "pipeline.h"
#include "scenario.h"

/* Version 2 adds runs.options_json and runs.run_key (with indexes) and the
 * unit_weights table; a version 1 file is upgraded when opened. */
#define TS_STORE_SCHEMA_VERSION 2

/* A store handle is used by one thread at a time (its connection is
 * opened without SQLite's own mutex); batch writes from one thread. */
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

/* ---- recording runs with their options (batch, rescore) ------------- */

/* What shaped a run besides its input files. Kept in runs.options_json, so
 * that rescore can repeat the run exactly. */
typedef struct ts_run_options {
    int n_set;
    const char *const *set;            /* --set KEY=VALUE, in the order applied */
    int n_perspectives;
    const char *const *perspectives;   /* --perspective NAME, in order */
    const ts_csv_options *csv;         /* how a CSV was read; NULL for scenario files */
} ts_run_options;

/* Everything of a run that does not depend on the database: its method,
 * inputs and options JSON, the hash of its values and its key. Computed
 * once, outside any transaction (batch does this in its worker threads). */
typedef struct ts_run_record ts_run_record;

/* Builds the record of scenario s scored with options opt (NULL: none).
 * The key is the SHA-256 of the engine version, the scenario file's real
 * path (the CSV's for CSV input), the scenario name, the taxonomy, data
 * and values hashes, method_json and options_json: two runs with the same
 * key score the same inputs the same way. Returns NULL with err filled
 * when out of memory. */
ts_run_record *ts_run_record_new(const ts_scenario *s, const ts_run_options *opt, ts_error *err);

/* The record's key (64 hex digits), method JSON and values hash. */
const char *ts_run_record_key(const ts_run_record *rec);
const char *ts_run_record_method_json(const ts_run_record *rec);
const char *ts_run_record_values_sha256(const ts_run_record *rec);

/* Frees the record. NULL is allowed. */
void ts_run_record_free(ts_run_record *rec);

/* Saves s and r as one run in one transaction, with rec's provenance.
 * When reuse is set and a run with rec's key exists, nothing is written:
 * that run's id goes to *run_id and *reused is set to 1 (the lookup and the
 * insert share the transaction, so two writers cannot both miss). Returns
 * TS_OK or TS_ESYSTEM. Statements are prepared once per store and reused. */
int ts_store_save_record(ts_store *st, const ts_scenario *s, const ts_result *r, const ts_run_record *rec,
                         int reuse, long long *run_id, int *reused, ts_error *err);

/* ---- reading runs back (compare, export, rescore) --------------------- */

/* Finds the run named by spec: a run id ("12"), or a scenario name, which
 * stands for the latest run of that scenario. Returns TS_OK with the id in
 * *id, or TS_EINPUT when no run matches (with a "did you mean" among the
 * stored scenario names). */
int ts_store_resolve_run(ts_store *st, const char *spec, long long *id, ts_error *err);

/* One node of a stored run. */
typedef struct ts_stored_node {
    const char *id, *name, *parent_id;   /* parent_id NULL for the root */
    int parent;                          /* index in nodes[], -1 for the root */
    int depth, is_indicator;
    double weight;
    const char *aggregate, *normalise, *direction, *unit_of_measure, *source; /* may be NULL */
} ts_stored_node;

/* A stored run read back whole (without its inputs). Per-unit arrays are
 * indexed [u * n_nodes + k]; units are in their stored order and nodes in
 * pre-order (root first). */
typedef struct ts_stored_run {
    ts_arena *arena;
    ts_run_info info;
    const char *values_sha256, *method_json, *inputs_json;
    const char *options_json, *run_key;  /* NULL for runs stored before schema 2 */
    int n_units, n_nodes;
    const char **unit_id, **unit_name;
    unsigned char *screened;
    ts_stored_node *nodes;
    double *score;        /* NaN: no score */
    int *rank;            /* 0: no rank */
    const char **cls;     /* NULL: no class */
    double *coverage, *imputed;
    int n_scores;         /* score rows found: n_units * n_nodes for a whole run */
    double *unit_weight;  /* per-unit weight overrides, NaN = none; NULL when none */
} ts_stored_run;

/* Reads run id. Returns the run, or NULL with err filled (TS_EINPUT when
 * there is no such run, TS_ESYSTEM otherwise). */
ts_stored_run *ts_store_load_run(ts_store *st, long long id, ts_error *err);

/* Frees a stored run. NULL is allowed. */
void ts_stored_run_free(ts_stored_run *r);

/* Returns the index of node id (unit id) in r, or -1. */
int ts_stored_run_node(const ts_stored_run *r, const char *id);
int ts_stored_run_unit(const ts_stored_run *r, const char *id);

/* The weight of node k for unit u: the per-unit override or the node's. */
double ts_stored_run_weight(const ts_stored_run *r, int u, int k);

/* One row of the inputs table. Strings live until the callback returns;
 * absent values are NaN, absent year and line 0, absent strings NULL. */
typedef struct ts_stored_input {
    const char *unit, *indicator;
    double raw, transformed, normalised;
    int imputed, year, estimate, line;
    const char *source, *note, *shock, *file;
} ts_stored_input;

/* Calls cb for every input of run id, by unit (stored order) then
 * indicator (pre-order); a non-zero return stops. Returns TS_OK or
 * TS_ESYSTEM. */
int ts_store_each_input(ts_store *st, long long id, int (*cb)(const ts_stored_input *in, void *ctx), void *ctx,
                        ts_error *err);

/* One row of the treatment table. */
typedef struct ts_stored_treatment {
    const char *indicator;
    int treated, winsorised_low, winsorised_high, log;
    double skew, kurtosis, skew_after, kurtosis_after; /* NaN when absent */
} ts_stored_treatment;

/* Calls cb for every treated-or-checked indicator of run id. Returns TS_OK
 * or TS_ESYSTEM. */
int ts_store_each_treatment(ts_store *st, long long id,
                            int (*cb)(const ts_stored_treatment *t, void *ctx), void *ctx, ts_error *err);

/* One input file of a stored run (from runs.inputs_json). */
typedef struct ts_stored_file {
    const char *role;     /* scenario, extends, taxonomy or data */
    const char *path, *sha256;
} ts_stored_file;

/* Parses the run's inputs_json. Stores an arena-owned array in *files and
 * returns its length, or -1 when the JSON is malformed or out of memory. */
int ts_stored_run_files(ts_stored_run *r, const ts_stored_file **files);

/* The run's options_json read back; arena-owned. For runs stored before
 * schema 2, no options. */
typedef struct ts_stored_options {
    int n_set;
    const char **set;
    int n_perspectives;
    const char **perspectives;
    int has_csv;
    ts_csv_options csv;   /* when has_csv; csv.missing NULL-terminated */
} ts_stored_options;

/* Parses the run's options_json into *o. Returns 0, or -1 when malformed
 * or out of memory. */
int ts_stored_run_options(ts_stored_run *r, ts_stored_options *o);

/* Returns the store's SQLite file name. */
const char *ts_store_path(const ts_store *st);

#endif
