/* threatscore.h -- the public interface of libthreatscore, the scoring
 * engine: load a scenario, score it, read scores, ranks and classes, and
 * store runs with their provenance. The only header that is installed.
 *
 * Conventions, as SQLite's:
 * - Every call that can fail returns a status (TS_OK or a TS_E* code) and
 *   fills a caller-owned ts_error with the file, line and message; objects
 *   are handed back through an out-parameter, set to NULL on failure.
 *   The library never prints and never exits.
 * - Handles are opaque; each has one *_free (or *_close) that accepts NULL.
 * - No global state: handles may be used from several threads as long as
 *   one handle is used by one thread at a time (a scenario may be scored
 *   from several threads at once: ts_score only reads it).
 * - Numbers: a missing score is NaN; ranks are 1 for the highest risk,
 *   ties share the lower rank, 0 means none. */
#ifndef THREATSCORE_H
#define THREATSCORE_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TS_API __attribute__((visibility("default")))
#else
#define TS_API
#endif

/* ---- errors ------------------------------------------------------------ */

/* Status codes. The threatscore program maps them to its exit status. */
enum {
    TS_OK = 0,
    TS_EINPUT = 1,   /* bad input: config, CSV, names, values */
    TS_EUSAGE = 2,   /* a request the call cannot take */
    TS_ESYSTEM = 3   /* I/O, SQLite, out of memory */
};

/* The error record every failing call fills. */
typedef struct ts_error {
    int code;            /* one of the TS_E* codes, TS_OK when clear */
    char file[512];      /* input file the message is about, "" if none */
    int line;            /* 1-based line in file, 0 if none */
    char message[1024];
} ts_error;

/* Clears err (NULL is allowed). */
TS_API void ts_error_clear(ts_error *err);

/* Formats err as "file:line: message" (parts omitted when absent) into buf
 * of size n. Returns buf. */
TS_API char *ts_error_format(const ts_error *err, char *buf, unsigned long n);

/* Returns the engine's version, e.g. "0.2.0". */
TS_API const char *ts_version(void);

/* ---- scenarios --------------------------------------------------------- */

/* A scoring input: a taxonomy (the tree of risks and indicators), the
 * units' sourced values and the method settings. */
typedef struct ts_scenario ts_scenario;

/* Reads and validates a scenario file, the files it extends and the
 * taxonomy it names, then applies its shocks. Returns TS_OK and the
 * scenario in *out, or TS_EINPUT (with file:line) / TS_ESYSTEM. */
TS_API int ts_scenario_load(const char *path, ts_scenario **out, ts_error *err);

/* How a wide CSV is read by ts_scenario_from_csv. */
typedef struct ts_csv_options {
    const char *unit_column;    /* NULL: the first column */
    const char *name_column;    /* NULL: none (names = ids) */
    const char *const *missing; /* NULL-terminated markers of missing values;
                                   NULL: "", "NA", "N/A", "x" */
    int encoding;               /* TS_ENC_AUTO, TS_ENC_UTF8, TS_ENC_LATIN1 */
} ts_csv_options;
enum { TS_ENC_AUTO, TS_ENC_UTF8, TS_ENC_LATIN1 };

/* Builds a scenario from a taxonomy file and a wide CSV (one row per unit,
 * indicators in columns named by their id or `column` key); opt may be
 * NULL for the defaults. Returns TS_OK and the scenario in *out, or
 * TS_EINPUT (file:line) / TS_ESYSTEM. */
TS_API int ts_scenario_from_csv(const char *taxonomy_path, const char *csv_path, const ts_csv_options *opt,
                                ts_scenario **out, ts_error *err);

/* Applies a KEY=VALUE method override to every node, as the program's
 * --set does (e.g. "aggregate", "geometric"); where names the option in
 * messages. Returns TS_OK or TS_EINPUT. */
TS_API int ts_scenario_set(ts_scenario *s, const char *key, const char *value, const char *where,
                           ts_error *err);

/* Lays the taxonomy's named weight profile over the scenario and appends
 * " (perspective NAME)" to its name. Returns TS_OK or TS_EINPUT (unknown
 * name, with a "did you mean"). */
TS_API int ts_scenario_apply_perspective(ts_scenario *s, const char *name, ts_error *err);

/* Frees the scenario. NULL is allowed. */
TS_API void ts_scenario_free(ts_scenario *s);

/* The scenario's name and its taxonomy's score scale. */
TS_API const char *ts_scenario_name(const ts_scenario *s);
TS_API void ts_scenario_scale(const ts_scenario *s, double *min, double *max);

/* Units, indexed 0 .. ts_scenario_unit_count - 1 in the scenario's order. */
TS_API int ts_scenario_unit_count(const ts_scenario *s);
TS_API const char *ts_scenario_unit_id(const ts_scenario *s, int u);
TS_API const char *ts_scenario_unit_name(const ts_scenario *s, int u);

/* Nodes of the taxonomy (the index, its dimensions ... its indicators),
 * indexed 0 .. ts_scenario_node_count - 1. ts_scenario_node_parent is -1
 * for the root; ts_scenario_find_node returns -1 for an unknown id. */
TS_API int ts_scenario_node_count(const ts_scenario *s);
TS_API int ts_scenario_root(const ts_scenario *s);
TS_API int ts_scenario_find_node(const ts_scenario *s, const char *id);
TS_API const char *ts_scenario_node_id(const ts_scenario *s, int k);
TS_API const char *ts_scenario_node_name(const ts_scenario *s, int k);
TS_API int ts_scenario_node_parent(const ts_scenario *s, int k);
TS_API int ts_scenario_node_is_indicator(const ts_scenario *s, int k);

/* ---- scoring ----------------------------------------------------------- */

/* The scores of one scenario: every unit at every node. */
typedef struct ts_result ts_result;

/* Scores scenario s: screens units, imputes, transforms, treats outliers,
 * normalises, aggregates up the tree and ranks. Returns TS_OK and the
 * result in *out; TS_EINPUT (with file:line) for data the methods cannot
 * take; TS_ESYSTEM when out of memory. */
TS_API int ts_score(const ts_scenario *s, ts_result **out, ts_error *err);

/* Frees the result. NULL is allowed. */
TS_API void ts_result_free(ts_result *r);

/* Unit u's score at node k (NaN: no data), its rank among the units (0:
 * none), the share of the node's indicators with a value, and its risk
 * class (NULL: none). s is the scenario r was scored from. */
TS_API double ts_result_score(const ts_result *r, int k, int u);
TS_API int ts_result_rank(const ts_result *r, int k, int u);
TS_API double ts_result_coverage(const ts_result *r, int k, int u);
TS_API const char *ts_result_class(const ts_scenario *s, const ts_result *r, int k, int u);

/* Unit u's reliability at node k: 0 (no usable data, or no score) to 10
 * (every value under the node present, current, single-source and
 * measured); the share of the node's nominal weight resting on such values,
 * with missing and imputed values counting nothing and old values,
 * estimates and values whose sources disagree counting less. */
TS_API double ts_result_reliability(const ts_result *r, int k, int u);

/* ---- the run store (SQLite) -------------------------------------------- */

/* One SQLite file holding runs with their provenance. */
typedef struct ts_store ts_store;

/* Opens (creating when absent) the store at path. Returns TS_OK and the
 * store in *out; TS_EINPUT for a file that is not a threatscore store or
 * has a newer schema; TS_ESYSTEM otherwise. */
TS_API int ts_store_open(const char *path, ts_store **out, ts_error *err);

/* Closes the store. NULL is allowed. */
TS_API void ts_store_close(ts_store *st);

/* Saves scenario s and its result r as one run, in one transaction: all
 * of it or nothing. Stores the run's id in *run_id. Returns TS_OK or
 * TS_ESYSTEM. */
TS_API int ts_store_save(ts_store *st, const ts_scenario *s, const ts_result *r, long long *run_id,
                         ts_error *err);

#ifdef __cplusplus
}
#endif

#endif
