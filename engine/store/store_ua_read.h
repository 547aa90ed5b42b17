/* store_ua_read.h -- reading uncertainty analyses back (for charts): one
 * analysis (ua_runs), its results at a node (ua_results), Sobol' indices. */
#ifndef TS_STORE_UA_READ_H
#define TS_STORE_UA_READ_H

#include "store.h"

/* One uncertainty analysis, named by ts_store_resolve_ua. Strings and
 * arrays live in the arena given to ts_store_load_ua. */
typedef struct ts_stored_ua {
    long long id;
    const char *scenario, *seed;                 /* "" and "?" when absent */
    const char *taxonomy_path, *taxonomy_sha256; /* NULL when absent */
    long n;                  /* replications (under --sobol: base samples) */
    int sobol, bootstrap, rank_bin_width;
    int n_nodes;
    const char **nodes;      /* every node of its method_json, in that order:
                                the taxonomy's post-order, the root last */
    int n_reported;
    const char **reported;   /* the nodes it has results for, sorted */
    long long names_run;     /* the latest run of the same scenario (for unit
                                names), 0 when there is none */
} ts_stored_ua;

/* Reads analysis id into *ua, allocating in a. Returns TS_OK, TS_EINPUT
 * when there is no such analysis, or TS_ESYSTEM. */
int ts_store_load_ua(ts_store *st, long long id, ts_arena *a, ts_stored_ua *ua, ts_error *err);

/* The results of an analysis at one node, one entry per unit with a
 * result there, in unit id order (bytewise). */
typedef struct ts_stored_ua_results {
    int n_units;
    const char **unit_id;
    const char **unit_name;  /* from the analysis' names_run; NULL when that
                                run lacks the unit or there is none */
    double *nominal_score, *median_score, *rank_p05, *rank_p50, *rank_p95, *scored; /* NaN when absent */
    int *nominal_rank;       /* 0 when absent */
} ts_stored_ua_results;

/* Reads the results of ua at node into *res, allocating in a. Returns
 * TS_OK (n_units 0 when there are none) or TS_ESYSTEM. */
int ts_store_load_ua_results(ts_store *st, const ts_stored_ua *ua, const char *node, ts_arena *a,
                             ts_stored_ua_results *res, ts_error *err);

/* The Sobol' indices of the score at one node, for the units of a
 * ts_stored_ua_results. */
typedef struct ts_stored_sobol {
    int n_factors;
    const char **factor;     /* in the engine's order (weights, normalise,
                                aggregate, treat, impute, exclude, data),
                                any other factor after them by name */
    double *s1, *s1_lo, *s1_hi, *st, *st_lo, *st_hi; /* [u * n_factors + f]; NaN when absent */
} ts_stored_sobol;

/* Reads the indices of the score of ua at node for the units of res into
 * *out, allocating in a. Returns TS_OK (n_factors 0 when none is stored)
 * or TS_ESYSTEM. */
int ts_store_load_ua_sobol(ts_store *st, const ts_stored_ua *ua, const char *node, const ts_stored_ua_results *res,
                           ts_arena *a, ts_stored_sobol *out, ts_error *err);

/* Finds the latest uncertainty analysis of exactly run r's inputs: the
 * same scenario name, taxonomy and scored values (their SHA-256), so that
 * its class probabilities describe r's scores. Stores its id in *id, 0
 * when there is none (or the store holds no analyses). Returns TS_OK or
 * TS_ESYSTEM. */
int ts_store_ua_of_run(ts_store *st, const ts_stored_run *r, long long *id, ts_error *err);

/* The class probabilities of one analysis (ua_classes), for every unit x
 * node it reported (ua_results), sorted by unit, node and class. */
typedef struct ts_stored_ua_classes {
    int n;
    const char **unit, **node, **cls; /* cls NULL: reported, but without classes */
    double *p;                        /* share of the replications in that class */
} ts_stored_ua_classes;

/* Reads the class probabilities of analysis id into *out, allocating in a.
 * Returns TS_OK or TS_ESYSTEM. */
int ts_store_load_ua_classes(ts_store *st, long long id, ts_arena *a, ts_stored_ua_classes *out, ts_error *err);

/* Returns the probability that unit is in class cls at node: 0 for a class
 * no replication reached at a reported node; NaN when the analysis did
 * not report the unit at the node. */
double ts_stored_ua_class_probability(const ts_stored_ua_classes *c, const char *unit, const char *node,
                                      const char *cls);

#endif
