/* uncertainty.h -- uncertainty and sensitivity analysis: the scenario
 * re-scored N times under sampled weights, methods, left-out indicators and
 * data, on a prepared immutable model; distributions of scores, ranks and
 * classes per unit and node, and Sobol' indices of each uncertain factor. */
#ifndef TS_UNCERTAINTY_H
#define TS_UNCERTAINTY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pipeline.h"
#include "scenario.h"
#include "util.h"

/* What is uncertain: the scenario's `uncertainty` group, amended by
 * ts_ua_spec_vary. Opaque. */
typedef struct ts_ua_spec ts_ua_spec;

/* Reads the `uncertainty` group of the scenario's file (or, when absent,
 * of the nearest file it extends). A scenario without one gives an empty
 * spec. Returns TS_OK and the spec in *out, or TS_EINPUT with file:line. */
int ts_ua_spec_load(const ts_scenario *s, ts_ua_spec **out, ts_error *err);

/* Replaces one entry of the spec from the command line (--vary KEY=VALUE):
 *   weights=F[:SEL]            every selected weight x U(1 - F, 1 + F)
 *   weights=dirichlet:C[:SEL]  Dirichlet around the nominal weights of
 *                              each sibling group, concentration C
 *                              (SEL: all, indicators or aggregates)
 *   normalise=NAME[:LO:HI],... alternatives, optionally with a range
 *   aggregate=NAME,...  treat=NAME,...  impute=NAME,...
 *   exclude=one | exclude=random:P     indicators left out
 *   data=alternatives | data=F | data=alternatives:F
 * where names the option in messages. Returns TS_OK or TS_EINPUT. */
int ts_ua_spec_vary(ts_ua_spec *u, const ts_scenario *s, const char *key, const char *value, const char *where,
                    ts_error *err);

/* Returns the number of uncertain factors (0: nothing varies). */
int ts_ua_spec_factors(const ts_ua_spec *u);

/* Appends the spec as a JSON object to b. */
void ts_ua_spec_json(const ts_ua_spec *u, const ts_scenario *s, ts_buf *b);

/* Frees the spec. NULL is allowed. */
void ts_ua_spec_free(ts_ua_spec *u);

/* How to run the analysis. */
typedef struct ts_ua_options {
    long n;               /* replications (with sobol: base samples) */
    uint64_t seed;
    int threads;          /* >= 1 */
    int sobol;            /* Saltelli design on a Sobol' sequence */
    int bootstrap;        /* Poisson bootstrap replicates for Sobol' CIs */
    int score_bins;       /* histogram bins for the median score (default 128) */
    const unsigned char *track; /* per node: 1 = report; NULL = every node */
    /* called under a lock as replications complete; may be NULL */
    void (*progress)(void *ctx, long done, long total);
    void *progress_ctx;
} ts_ua_options;

/* Fills opt with the defaults: n = 1000, seed 1, one thread, bootstrap
 * 100, 128 bins. */
void ts_ua_options_default(ts_ua_options *opt);

/* The results, per reported node k and unit u at [row[k] * n_units + u]
 * (ts_ua_cell): only the reported nodes (tracked) have rows, so that a
 * large model reporting its index holds one row, not one per node. */
typedef struct ts_ua_result {
    int n_units, n_nodes;
    int n_rows;               /* reported nodes */
    int *row;                 /* per node: its row, -1 when not reported */
    long n;                   /* replications whose results are counted */
    long evaluations;         /* model evaluations (Sobol' adds the AB runs) */
    double seconds;           /* wall time of the replications */
    unsigned char *tracked;   /* per node */
    double *nominal_score;    /* ts_score's */
    int *nominal_rank;
    double *mean_score, *median_score;
    double *rank_p05, *rank_p50, *rank_p95;
    double *scored;           /* share of replications in which the unit has a score */
    int max_classes;
    double *class_prob;       /* [ts_ua_cell(k, u) * (max_classes + 1) + c], the node's classes */
    double median_resolution; /* widest histogram bin of any reported median */
    int rank_bin_width;       /* 1: exact ranks; else ranks pooled in bins */
    long clamped;             /* scores outside their histogram's range */
    /* Sobol' (when run): [(ts_ua_cell(k, u) * 2 + out) * n_factors + f],
       out 0 = score, 1 = rank; aggregate nodes (and indicators when data
       vary) */
    int n_factors;
    const char **factor_name;
    double *s1, *st, *s1_lo, *s1_hi, *st_lo, *st_hi;
} ts_ua_result;

/* Runs the analysis of scenario s (its spec is the nominal) under u.
 * Replication r draws from a stream derived from (seed, r) and results are
 * combined in a fixed order, so any number of threads gives identical
 * results. Returns TS_OK and the result in *out, or TS_EINPUT (a method
 * alternative the data cannot take, with file:line), TS_EUSAGE (nothing
 * varies, too many outputs), TS_ESYSTEM. */
int ts_ua_run(const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt, ts_ua_result **out,
              ts_error *err);

/* Frees the result. NULL is allowed. */
void ts_ua_result_free(ts_ua_result *r);

/* Returns the index of reported node k (r->tracked[k]) and unit u in r's
 * per-unit arrays: row[k] * n_units + u. */
size_t ts_ua_cell(const ts_ua_result *r, int k, int u);

/* Receives replication r's sampled parameters as a JSON object of len
 * bytes (valid until it returns). Returns TS_OK to go on; any other code
 * (with err filled) stops the replay. */
typedef int ts_ua_sample_fn(void *ctx, long r, const char *json, size_t len, ts_error *err);

/* Regenerates every replication's sampled parameters from opt's seed,
 * exactly as ts_ua_run draws them, and passes each to emit in order:
 * replications 0..n-1, or under Sobol' the A points as 0..n-1 and the B
 * points as n..2n-1. Returns TS_OK, emit's code, TS_ESYSTEM when out of
 * memory, or the error of preparing the model. */
int ts_ua_samples(const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt, ts_ua_sample_fn *emit,
                  void *ctx, ts_error *err);

/* The p-quantile (numpy's default "linear", Hyndman-Fan type 7) of a
 * sample given as counts[i] observations of value lo + i (i < n). Returns
 * NaN for an empty sample. */
double ts_ua_count_quantile(const uint32_t *counts, int n, double lo, double p);

#endif
