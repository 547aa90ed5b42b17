/* spec.h -- the method settings one run uses: per-node aggregator,
 * normaliser and weight, and per-unit weight overrides, resolved from the
 * taxonomy and the scenario's overrides. */
#ifndef TS_SPEC_H
#define TS_SPEC_H

#include "error.h"
#include "method.h"
#include "taxonomy.h"
#include "util.h"

typedef struct ts_spec {
    int n_nodes, n_units;
    ts_agg *agg;          /* per node */
    ts_norm *norm;        /* per node (used by indicators) */
    ts_treat *treat;      /* per node (used by indicators) */
    ts_impute *impute;    /* per node (used by indicators) */
    double *data_threshold; /* per node (used by aggregates) */
    double *weight;       /* per node, relative among siblings */
    double *unit_weight;  /* n_units x n_nodes, NaN = use weight; NULL when none */
    double screen;        /* units with a smaller share of indicators with
                             data are left out of the run; 0 = keep all */
    char weight_set[65];  /* name of the weight set in use, "" = the taxonomy's */
    int denominate;       /* divide indicators by their denominator */
    int year;             /* reference year of the values, 0 = the latest */
    int max_age;          /* only values at most this many years from the
                             reference year; -1 = any */
    int interpolate;      /* interpolate between years around the reference */
} ts_spec;

/* Returns the taxonomy's own settings for n_units units, or NULL when out
 * of memory. */
ts_spec *ts_spec_from_taxonomy(const ts_taxonomy *t, int n_units);

/* Applies a method override KEY=VALUE to every node (aggregate,
 * normalise, normalise.range=LO,HI, treat, impute, data_threshold, screen,
 * denominate=true|false; missing=TREATMENT[:IND,...] sets the imputation of
 * the listed indicators, or of all: skip, zero, impute (the indicator's own,
 * else the median), mean or median; year, max_age and interpolate change the
 * selection, which the caller re-runs: see ts_scenario_set).
 * where names the override in messages. Returns TS_OK, TS_EINPUT for an
 * unknown key or bad value. */
int ts_spec_set(ts_spec *s, const ts_taxonomy *t, const char *key, const char *value, const char *where,
                ts_error *err);

/* Frees the spec. NULL is allowed. */
void ts_spec_free(ts_spec *s);

/* Sets the weight of node k for unit u, allocating the override table on
 * first use. Returns TS_OK or TS_ESYSTEM when out of memory. */
int ts_spec_set_unit_weight(ts_spec *s, int u, int k, double w);

/* Returns the weight of node k for unit u. */
static inline double ts_spec_weight(const ts_spec *s, int u, int k) {
    if (s->unit_weight) {
        double w = s->unit_weight[(size_t)u * (size_t)s->n_nodes + (size_t)k];
        if (w == w) return w;
    }
    return s->weight[k];
}

/* Checks that no node has children whose weights are all zero, for the
 * global weights and for every unit. unit_id names units in the message.
 * Returns TS_OK or TS_EINPUT reporting file:line. */
int ts_spec_check_weights(const ts_spec *s, const ts_taxonomy *t, const char *const *unit_id,
                          const char *file, int line, ts_error *err);

/* Appends the spec as a JSON object (scale, then per node: aggregator,
 * normaliser, transform, direction, goalposts, weight and per-unit weight
 * overrides) to b. */
void ts_spec_json(const ts_spec *s, const ts_taxonomy *t, const char *const *unit_id, ts_buf *b);

#endif
