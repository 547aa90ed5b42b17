/* store.h -- the run store: one SQLite file holding every run with its
 * provenance (input hashes, engine version, methods), scores and inputs.
 * Opening and the schema are in store_schema.c, saving in store_write.c,
 * finding and reading runs in store_read.c; analyses: store_ua_read.h. */
#ifndef TS_STORE_H
#define TS_STORE_H

#include "error.h"
#include "pipeline.h"
#include "scenario.h"

/* The schema version a store is upgraded to when opened for writing (its
 * PRAGMA user_version). 1: runs, units, nodes, scores, inputs, treatment;
 * 2: runs.options_json and runs.run_key (indexed), unit_weights; 3:
 * run_years; 4: the uncertainty tables ua_runs, ua_results, ua_classes,
 * ua_sobol and ua_samples; 5: runs.year (run_years moved into it) and
 * runs.series; 6: scores.reliability and class_thresholds; 7:
 * input_details (store_details.h); 8: unit_rows, one row per run and unit
 * holding its scores and inputs, with views scores and inputs in place of
 * those tables (store_rows.c). The steps are listed in store_schema.c. */
#define TS_STORE_SCHEMA_VERSION 8

/* ts_store_open, ts_store_close and ts_store_save (one run, one
 * transaction) are declared in threatscore.h. A run scored for one year
 * (s->spec->year set: `trend --db`, --set year=Y) is a per-year run: its
 * year is kept in runs.year and in its options_json. */

/* A store handle is used by one thread at a time (its connection is
 * opened without SQLite's own mutex); batch writes from one thread. */
typedef struct ts_store ts_store;

/* Opens the existing store at path for reading only (charts): nothing is
 * written, so a file of an older schema is read as it is, not upgraded,
 * and a store in a directory this process cannot write can still be read
 * (when no write is in progress, i.e. there is no -wal file). Returns TS_OK
 * and the store in *out, or TS_EINPUT (no such file, not a SQLite
 * database, not a threatscore store, newer schema) or TS_ESYSTEM. */
int ts_store_open_readonly(const char *path, ts_store **out, ts_error *err);

/* One row of the runs table, as listed. Strings live until the callback
 * returns. */
typedef struct ts_run_info {
    long long id;
    const char *scenario, *created_at, *taxonomy_id, *engine_version;
    const char *scenario_path, *taxonomy_path, *data_path;
    const char *scenario_sha256, *taxonomy_sha256, *data_sha256;
    int n_units, n_indicators;
    int year;             /* a per-year run's year; 0 for the others */
    long long series;     /* the first run of the series it was saved with
                             (ts_store_begin), 0 when none */
} ts_run_info;

/* Calls cb for every run in id order; a non-zero return from cb stops the
 * listing. Returns TS_OK or TS_ESYSTEM. */
int ts_store_list_runs(ts_store *st, int (*cb)(const ts_run_info *run, void *ctx), void *ctx,
                       ts_error *err);

/* Begins a transaction in which the runs saved until ts_store_commit are
 * stored together or not at all (a kill or a failure leaves none of them).
 * With as_series the runs are marked as one series (runs.series: the id
 * of its first run), as `trend --db` stores its years. Returns TS_OK, or
 * TS_ESYSTEM when the store is read-only, a transaction is open already
 * or the write lock cannot be taken. */
int ts_store_begin(ts_store *st, int as_series, ts_error *err);

/* Commits the transaction of ts_store_begin. Returns TS_OK or TS_ESYSTEM
 * (the transaction is then rolled back: nothing of it is stored). */
int ts_store_commit(ts_store *st, ts_error *err);

/* Rolls back the transaction of ts_store_begin, if one is open: none of
 * its runs is stored. */
void ts_store_rollback(ts_store *st);

/* Turns SQLite's foreign-key checks of this connection off (on = 0) or back
 * on, outside a transaction: for a writer that only inserts runs, each
 * run's rows after the run in one transaction, and never deletes (batch),
 * so that no reference can dangle and no cascade is due. Every other
 * connection keeps them. Returns TS_OK or TS_ESYSTEM. */
int ts_store_foreign_keys(ts_store *st, int on, ts_error *err);

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
 * key score the same inputs the same way. Returns TS_OK with the record in
 * *out, or TS_ESYSTEM with *out NULL and err filled
 * when out of memory. */
int ts_run_record_new(const ts_scenario *s, const ts_run_options *opt, ts_run_record **out, ts_error *err);

/* Renders the score and input rows of result r of s into rec ahead of
 * saving, so that a thread other than the writer's does it (batch's
 * workers do). Optional: ts_store_save_record renders what rec has not,
 * one unit at a time, which holds less memory for a large run. Returns
 * TS_OK, or TS_ESYSTEM when out of memory (rec is then unchanged). */
int ts_run_record_render_rows(ts_run_record *rec, const ts_scenario *s, const ts_result *r, ts_error *err);

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

/* ---- finding runs (every command that names a run) ------------------- */

/* Finds the run named by spec, for every command that takes a RUN, trying
 * in this order:
 * - a run id ("12"): a spec of digits is an id when a run has it, else a
 *   scenario name (a scenario may be called "2024");
 * - a scenario name: the latest run of that scenario that is not a
 *   per-year run;
 * - NAME@YEAR: the latest per-year run of scenario NAME for YEAR (the
 *   last '@' splits; a scenario really named "A@2020" is found by the
 *   rule above first).
 * spec NULL means the latest run that is not a per-year run (in a store
 * of per-year runs only, the latest of those). Returns TS_OK with the id in
 * *id (0 for spec NULL in an empty store), or TS_EINPUT when no run
 * matches (a scenario that has only per-year runs names them as NAME@YEAR;
 * otherwise a "did you mean" among the stored scenario names), TS_ESYSTEM
 * on a database error. */
int ts_store_resolve_run(ts_store *st, const char *spec, long long *id, ts_error *err);

/* Finds the uncertainty analysis (a row of ua_runs, which has its own ids)
 * named by spec, as ts_store_resolve_run finds runs: an analysis id, or a
 * scenario name for its latest analysis; spec NULL means the latest. With
 * prefer_sobol, a name or NULL stands for the latest analysis run with
 * --sobol when there is one. Returns TS_OK with the id in *id, which is 0
 * when the store holds no analysis at all; TS_EINPUT for an unknown spec
 * or ua_* tables of a layout this threatscore cannot read; TS_ESYSTEM on a
 * database error. */
int ts_store_resolve_ua(ts_store *st, const char *spec, int prefer_sobol, long long *id, ts_error *err);

/* Stores the number of runs in the store in *n. Returns TS_OK or
 * TS_ESYSTEM. */
int ts_store_count_runs(ts_store *st, int *n, ts_error *err);

/* Stores in ids (room for cap) the latest run of each scenario that is not
 * a per-year run (the runs a scenario name stands for), in id order, and
 * their count in *n (at most cap). Returns TS_OK or TS_ESYSTEM. */
int ts_store_latest_runs(ts_store *st, long long *ids, int cap, int *n, ts_error *err);

/* Returns 1 when the store records run years (every store of schema 3 on,
 * and older files that have run_years). */
int ts_store_holds_years(const ts_store *st);

/* Stores in ids (room for cap) the runs of the latest trend, by year, and
 * their count in *n (0 when the store records no years): the runs of the
 * latest series (ts_store_begin) of per-year runs of scenario (NULL: of any
 * scenario); for per-year runs stored without a series, the latest run of
 * each year of that scenario. Returns TS_OK or TS_ESYSTEM. */
int ts_store_trend_runs(ts_store *st, const char *scenario, long long *ids, int cap, int *n, ts_error *err);

/* Stores in *ids an arena array of every distinct unit id in the store
 * (of its runs and of its uncertainty analyses), unsorted, and their count
 * in *n. Returns TS_OK or TS_ESYSTEM (also when out of memory). */
int ts_store_unit_ids(ts_store *st, ts_arena *a, const char ***ids, int *n, ts_error *err);

/* Stores in *name (an arena copy) the name of node in the runs scored with
 * the taxonomy whose SHA-256 is taxonomy_sha256: run prefer's when it has
 * it, else the latest run's; NULL when no run names it. Returns TS_OK or
 * TS_ESYSTEM. */
int ts_store_node_name(ts_store *st, const char *taxonomy_sha256, const char *node, long long prefer, ts_arena *a,
                       const char **name, ts_error *err);

/* ---- reading runs back (compare, export, rescore, plot) --------------- */

/* One node of a stored run. */
typedef struct ts_stored_node {
    const char *id, *name, *parent_id;   /* parent_id NULL for the root */
    int parent;                          /* index in nodes[], -1 for the root */
    int depth, is_indicator;
    double weight;
    const char *aggregate, *normalise, *direction, *unit_of_measure, *source; /* may be NULL */
    int n_classes;                       /* the node's classes, lowest first (inherited
                                            ones included); 0 for runs stored before
                                            schema 6, which kept only class names */
    const char **class_name;
    double *class_min;                   /* -INFINITY for an open lowest class */
} ts_stored_node;

/* One input file of a stored run (from runs.inputs_json). */
typedef struct ts_stored_file {
    const char *role;     /* scenario, extends, taxonomy or data */
    const char *path, *sha256;
    const char *abs_path; /* the path made absolute when the run was stored;
                             NULL for runs stored without it */
} ts_stored_file;

/* The run's options_json read back; arena-owned. For runs stored before
 * schema 2, no options. */
typedef struct ts_stored_options {
    int n_set;
    const char **set;
    int n_perspectives;
    const char **perspectives;
    int has_csv;
    ts_csv_options csv;   /* when has_csv; csv.missing NULL-terminated */
    int year;             /* a per-year run's year ("year"); 0 when not kept */
} ts_stored_options;

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
    double *reliability;  /* 0-10 (reliability.h); NaN for runs stored before schema 6 */
    int n_scores;         /* score rows found: n_units * n_nodes for a whole run */
    double *unit_weight;  /* per-unit weight overrides (unit_weights; for runs
                             stored before schema 2, their method_json), NaN =
                             none; NULL when none */
    double scale_min, scale_max; /* the taxonomy's scale (method_json); NaN when absent */
    int year;             /* the reference year of a per-year run; 0 when none */
    /* the taxonomy's alert norms (method_json "alerts"); NaN when it sets none */
    double alert_near_class, alert_jump_sd, alert_jump_share, alert_min_reliability;
    /* inputs_json and options_json as read at load, so that reading them
       later cannot run out of memory (ts_stored_run_files, _options) */
    int json_read;        /* 1 when these are filled */
    const ts_stored_file *files;
    int n_files;          /* -1: inputs_json is malformed */
    ts_stored_options options;
    int options_rc;       /* 0, or -1: options_json is malformed */
    /* units and nodes sorted by id, so that ts_stored_run_unit and _node
       are binary searches (callers look up every input of a large run) */
    struct ts_id_index *unit_by_id, *node_by_id; /* util.h */
} ts_stored_run;

/* Reads run id. Returns TS_OK with the run in *out, or an error code with
 * *out NULL and err filled (TS_EINPUT when
 * there is no such run, TS_ESYSTEM otherwise). */
int ts_store_load_run(ts_store *st, long long id, ts_stored_run **out, ts_error *err);

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

/* Stores the run's input files (its inputs_json, arena-owned) in *files and
 * returns their count, or -1 when the JSON is malformed. A run from
 * ts_store_load_run was read at load, which failed when out of memory; for
 * another (a fuzz target's), -1 also when out of memory. */
int ts_stored_run_files(ts_stored_run *r, const ts_stored_file **files);

/* Stores the run's options_json, read back, in *o. Returns 0, or -1 when
 * malformed (as ts_stored_run_files: out of memory only for a run not made
 * by ts_store_load_run). */
int ts_stored_run_options(ts_stored_run *r, ts_stored_options *o);

/* Returns the store's SQLite file name. */
const char *ts_store_path(const ts_store *st);

#endif
