/* scenario.h -- one scoring input: a taxonomy, the units' data with its
 * provenance and the method settings, read from a scenario file or from a
 * taxonomy plus a wide CSV. */
#ifndef TS_SCENARIO_H
#define TS_SCENARIO_H

/* Internal: the public part (ts_scenario_load, ts_scenario_from_csv,
 * ts_csv_options, ts_scenario_set, ts_scenario_apply_perspective,
 * ts_scenario_free and the accessors) is declared in threatscore.h. */

#include "threatscore.h"
#include "dataset.h"
#include "error.h"
#include "spec.h"
#include "taxonomy.h"
#include "cache.h"

/* A named set of node weights, selectable with method.weights or --set. */
typedef struct ts_weight_set {
    const char *name;
    int n;
    int *node;
    double *weight;
} ts_weight_set;

typedef struct ts_scenario {
    ts_arena *arena;
    const char *name, *description;
    const char *path;            /* scenario file, NULL for CSV input */
    const char *taxonomy_path;
    const char *data_path;       /* file the values came from */
    char scenario_sha256[65];    /* "" for CSV input */
    char taxonomy_sha256[65];
    char data_sha256[65];        /* of the data file; for a scenario, of the
                                    contents of every file in its extends
                                    chain, root first */
    int n_files;                 /* scenario files read: the scenario, then
                                    the files it extends, nearest first */
    const char **file_path;
    const char **file_read;      /* where each file's text is read from: its
                                    path, or for standard input the copy the
                                    CLI made (ts_scenario_load_as) */
    const char **file_sha256;
    ts_taxonomy *tax;
    ts_dataset *data;
    ts_spec *spec;
    int n_weight_sets;
    ts_weight_set *weight_sets;  /* arena-owned */
    const char *perspective;     /* applied perspective, or NULL */
    int tax_borrowed;            /* tax belongs to the load cache */
} ts_scenario;


/* As ts_scenario_load, but reads the scenario file itself from read_path
 * while calling it path: in messages, provenance and the run record, and as
 * the base of its relative names. The CLI reads standard input this way,
 * from a copy, as path "<stdin>", whose relative names (taxonomy, extends)
 * resolve against the current directory. read_path must stay readable as
 * long as the scenario lives (the audit and the uncertainty analysis read
 * the file again). Returns as ts_scenario_load. */
int ts_scenario_load_as(const char *path, const char *read_path, ts_scenario **out, ts_error *err);

/* As ts_config_kind, reading the text from read_path while naming the file
 * path in messages. */
int ts_config_kind_as(const char *path, const char *read_path, int *kind, ts_error *err);

/* Applies the weight set name ("equal": every weight 1; else one of the
 * scenario's weight_sets) over the current weights. Returns TS_OK or
 * TS_EINPUT (unknown set, with a "did you mean"), naming file:line. */
int ts_scenario_use_weights(ts_scenario *s, const char *name, const char *file, int line, ts_error *err);

/* Applies the perspectives persp[0..n_persp) in order, then the method
 * overrides set[0..n_set), each "KEY=VALUE" as given to --set (see
 * ts_scenario_set; an error names it as "--set KEY=VALUE"): what score,
 * batch and watch do after loading. Returns TS_OK, the perspective's error
 * (TS_EINPUT for an unknown one), or TS_EUSAGE for a bad override. */
int ts_scenario_apply_options(ts_scenario *s, const char *const *persp, int n_persp, const char *const *set,
                              int n_set, ts_error *err);

/* Loads the scenario file path (ts_scenario_load) and applies the options
 * as ts_scenario_apply_options does. Returns TS_OK with the scenario in
 * *out, or an error code with *out NULL and err filled. */
int ts_scenario_load_with(const char *path, const char *const *persp, int n_persp, const char *const *set,
                          int n_set, ts_scenario **out, ts_error *err);

/* As ts_scenario_load_as, reading the files through cache (NULL: none): a
 * file the cache keeps (and not read from a copy, read_path != path) is
 * read, hashed and parsed once per cache, and the taxonomy is built once
 * per cache and borrowed (free the scenario before the cache). */
int ts_scenario_load_cached(const char *path, const char *read_path, ts_load_cache *cache, ts_scenario **out,
                            ts_error *err);

/* What a config file holds, judged by its top-level keys. */
enum { TS_FILE_TAXONOMY = 1, TS_FILE_SCENARIO = 2 };

/* Stores the kind of config file path in *kind. Returns TS_OK, or
 * TS_EINPUT when it cannot be read or is neither kind. */
int ts_config_kind(const char *path, int *kind, ts_error *err);

/* As ts_config_kind_as, reading path through cache (NULL: none) unless its
 * text is read from a copy (read_path != path). */
int ts_config_kind_cached(const char *path, const char *read_path, ts_load_cache *cache, int *kind, ts_error *err);

#endif
