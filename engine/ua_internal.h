/* ua_internal.h -- the spec, prepared model and workspace shared by the
 * uncertainty files (ua_*.c, uncertainty.c); tests may include it too. */
#ifndef TS_UA_INTERNAL_H
#define TS_UA_INTERNAL_H

#include <stdint.h>

#include "sobol.h"
#include "uncertainty.h"

#define UA_MAX_ALT 16

enum { W_NONE, W_UNIFORM, W_DIRICHLET };
enum { SEL_ALL, SEL_INDICATORS, SEL_AGGREGATES, SEL_LIST };
enum { X_NONE, X_ONE, X_RANDOM };
/* The uncertain factors, in the fixed order of the sample's dimensions
 * (missing last, so the dimensions of earlier specs are unchanged). */
enum { F_WEIGHTS, F_NORMALISE, F_AGGREGATE, F_TREAT, F_IMPUTE, F_EXCLUDE, F_DATA, F_MISSING, F_COUNT };

/* ---- the spec (ua_spec.c) ---------------------------------------------- */

/* A data value drawn uniformly from [lo, hi]. */
typedef struct ua_range {
    int i, u;
    double lo, hi;
} ua_range;

struct ts_ua_spec {
    int weights;            /* W_* */
    double weight_f;        /* uniform: half-width; dirichlet: concentration */
    int weight_sel;         /* SEL_* */
    unsigned char *weight_nodes; /* SEL_LIST: per node */
    int n_norm, n_agg, n_treat, n_impute;
    ts_norm norm[UA_MAX_ALT];
    ts_agg agg[UA_MAX_ALT];
    ts_treat treat[UA_MAX_ALT];
    ts_impute impute[UA_MAX_ALT];
    int exclude;            /* X_* */
    double exclude_p;
    int n_excl;
    int *excl;              /* candidate indicators; NULL: all */
    int data_alternatives;
    double data_f;          /* relative spread of every value, 0 = none */
    int n_ranges;
    ua_range *ranges;
    int n_missing;          /* treatments of missing values (0: not a factor) */
    ts_missing missing[UA_MAX_ALT];
    unsigned char *missing_ind; /* per indicator: the treatments apply; NULL = every indicator */
    char file[512];         /* where the group was read, "" if none */
    int line;
};

/* Returns an empty spec for a taxonomy of n_nodes, or NULL when out of
 * memory. */
ts_ua_spec *ua_spec_new(int n_nodes);

/* Returns the name of factor kind f (F_*), as results and the store show it. */
const char *ua_factor_name(int f);

/* Records "out of memory" in err and returns TS_ESYSTEM. */
int ua_oom(ts_error *err);

/* ---- the prepared model (ua_model.c) ----------------------------------- */

/* One combination of indicator-stage methods (normaliser x treatment x
 * imputation x missing-value treatment), normalised once. */
typedef struct ua_variant {
    ts_spec spec;             /* the scenario's spec with this variant's methods */
    ts_norm *norm;
    ts_treat *treat;
    ts_impute *impute;
    ts_agg *agg;              /* all arithmetic: only the indicator stages matter */
    double *x;                /* normalised [i * n + u], NaN = missing */
    double *x0;               /* x with missing as 0 */
    double *mask;             /* 1 where x has a value, else 0 */
    double *lx;               /* log x (-inf for 0, 0 for missing), or NULL */
    unsigned char *complete;  /* per indicator: no unit missing */
    int *neg;                 /* per indicator: first unit with a negative value, -1 */
} ua_variant;

/* A data cell whose value is sampled. */
typedef struct ua_cell {
    int i, u;
    double base, lo, hi;      /* range when lo <= hi, else from base */
    int n_alt;
    const ts_observation *alt;
} ua_cell;

/* Everything fixed across replications; threads share it read-only (only
 * the histogram ranges lo/inv are set once, before the replications). */
typedef struct ua_model {
    const ts_scenario *s;
    const ts_ua_spec *u;
    const ts_taxonomy *t;
    const ts_spec *spec;
    int n, n_nodes, n_ind;
    int n_norm, n_treat, n_impute, n_missing, n_var;
    ua_variant *var;
    int n_aggn, *aggn;        /* aggregate nodes in post-order */
    int *apos;                /* per node: its row among the aggregates' scores, -1 for leaves */
    int max_children;
    int need_log;
    int n_f, fkind[F_COUNT], fdim[F_COUNT], foff[F_COUNT], D;
    int n_wsel, *wsel;        /* nodes whose weight varies */
    int n_excl, *excl;        /* candidate indicators (node indices) */
    int n_cells;
    ua_cell *cells;           /* sampled data values */
    /* outputs */
    int data_mode;
    int n_slots, *slot_node, *slot; /* continuous outputs (per node: slot or -1) */
    int n_cell;               /* n_slots * n */
    int *cls_first, *cls_n, max_classes;
    int rank_w, rank_bins, S;
    int n_combo;              /* method combinations with a sort order of their own */
    double *lo, *inv;         /* per cell: histogram origin and 1 / bin width */
    int track_leaves;         /* leaves reported from variant counts */
    int exact;                /* compute every score as the pipeline does (no log-domain shortcut) */
    const unsigned char *track;
} ua_model;

/* Builds m for scenario s under spec u: the factor table, the variant
 * matrices and the output layout (opt may be NULL: every node, default
 * bins). nominal_only builds just the nominal variant (for tests and for
 * regenerating samples). Returns TS_OK, TS_ESYSTEM when out of memory, or
 * the pipeline's error for a method the data cannot take; m is then half
 * built and must still be freed with ua_model_free. */
int ua_model_build(ua_model *m, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                   int nominal_only, ts_error *err);

/* Frees what m holds and zeroes it. NULL is allowed. */
void ua_model_free(ua_model *m);

/* Returns the index of the variant with normaliser na, treatment nt,
 * imputation ni and missing-value treatment nm among m's alternatives (a
 * negative index, for a factor that does not vary, counts as 0). Cannot
 * fail. */
int ua_variant_index(const ua_model *m, int na, int nt, int ni, int nm);

/* Stores the alternatives that make variant v in *na, *nt, *ni and *nm
 * (0 for a factor that does not vary). Cannot fail. */
void ua_variant_choices(const ua_model *m, int v, int *na, int *nt, int *ni, int *nm);

/* Allocates v's spec arrays and matrices for n_ind x n values. Returns 0,
 * or -1 when out of memory (what was allocated stays in v for freeing). */
int ua_variant_alloc(ua_variant *v, int n_nodes, int n_ind, int n, int need_log);

/* Runs the indicator stages of m's scenario under v's spec (aggregating
 * arithmetically, which cannot fail) and fills v's matrices; data replaces
 * the scenario's dataset when not NULL. Returns TS_OK or the pipeline's
 * error code with err filled. */
int ua_variant_score(const ua_model *m, ua_variant *v, const ts_dataset *data, ts_error *err);

/* ---- one replication (ua_eval.c) --------------------------------------- */

/* What one thread writes: one replication's parameters and scores, and
 * (with accumulate) its share of the statistics. */
typedef struct ua_ws {
    double *score;            /* [k * n + u], aggregates (and leaves in data mode: unused) */
    double *lscore;           /* log of a geometric node's score, kept for a geometric parent */
    unsigned char *haslog;    /* per node: lscore holds this replication's values */
    double *acc, *wsum;
    int *cnt;
    double *v, *w, *block;
    struct ua_child *kid;     /* per child of the node being aggregated */
    double *f, *wt;           /* per node: weight factor, weight */
    double *uni;              /* uniforms of one replication (3 D under Sobol') */
    double *dval;             /* sampled data values */
    double *gam;              /* Dirichlet draws per selected node */
    int variant, agg;
    int *order, *rank;        /* per slot: sort order carried over, ranks */
    struct ua_keyed *keyed;   /* per unit, for sorting */
    double *key;
    /* data mode */
    double *values;
    ts_dataset data;
    ua_variant dvar;
    const ua_variant *cur;    /* the leaves of this replication */
    /* accumulators (integers: summed at the end) */
    uint32_t *rhist, *shist, *cls, *nscored;
    uint64_t *varcnt;
    long clamped;
    /* per chunk, merged in chunk order */
    double *sum;
    ts_sobol_acc *sob;
    double *fA, *fB, *fAB;
} ua_ws;

/* Allocates w for model m; with accumulate also the statistics, with
 * sobol also the Saltelli accumulator (n_boot replicates, seed, outputs
 * centred on centre). Returns 0, or -1 when out of memory (free w with
 * ua_ws_free either way). */
int ua_ws_init(ua_ws *w, const ua_model *m, int accumulate, int sobol, int n_boot, uint64_t seed,
               const double *centre);

/* Frees what w holds and zeroes it. NULL is allowed. */
void ua_ws_free(ua_ws *w);

/* Fills u[0..D) with the uniforms of Monte Carlo replication r, from a
 * stream derived from (seed, r) alone. Cannot fail. */
void ua_mc_uniforms(uint64_t seed, long r, int D, double *u);

/* Turns uniforms uni (m->D of them) into this replication's parameters in
 * w: weights, variant, aggregator, left-out indicators, data values.
 * Cannot fail. */
void ua_draw(const ua_model *m, ua_ws *w, const double *uni);

/* Draws and evaluates one replication from uniforms uni into w. Returns
 * TS_OK, TS_EINPUT for a value outside an aggregator's domain, or (data
 * mode) the pipeline's error. */
int ua_replicate(const ua_model *m, ua_ws *w, const double *uni, ts_error *err);

/* Returns the values of node k (n of them) in w's last replication. */
const double *ua_node_values(const ua_model *m, const ua_ws *w, int k);

/* Ranks every slot's values into w->rank. Cannot fail. */
void ua_rank_slots(const ua_model *m, ua_ws *w);

/* Adds this replication's scores and ranks to w's accumulators. Cannot
 * fail. */
void ua_accumulate(const ua_model *m, ua_ws *w);

/* Copies the outputs (score, rank per slot cell) into f[2 * n_cell]
 * (NaN for no score). Cannot fail. */
void ua_outputs(const ua_model *m, const ua_ws *w, double *f);

/* Returns the index of the class of x among node k's classes, or cls_n
 * (below every class). */
int ua_class_of(const ua_model *m, int k, double x);

/* Evaluates the prepared model of s at the nominal settings and stores
 * the scores in score[k * n_units + u] (for tests: they must equal
 * ts_score's). Returns TS_OK, TS_ESYSTEM when out of memory, or the
 * pipeline's error. */
int ts_ua_nominal_scores(const ts_scenario *s, double *score, ts_error *err);

/* ---- statistics (ua_stats.c) ------------------------------------------- */

/* Sets each cell's histogram range (m->lo, m->inv) from a pilot of the
 * first replications (Sobol' points from seq when opt->sobol) and the
 * nominal scores. Returns TS_OK, TS_ESYSTEM when out of memory, or the
 * evaluator's error. */
int ua_set_bins(ua_model *m, const ts_ua_options *opt, const ts_result *nominal, const ts_sobol_seq *seq,
                ts_error *err);

/* Returns a result for m with every statistic NaN (and room for Sobol'
 * indices when sobol), or NULL when out of memory. */
ts_ua_result *ua_result_new(const ua_model *m, int sobol);

/* Fills r from the accumulators of the nt workspaces ws (summing their
 * integer counts into ws[0]), the merged per-cell sums gsum, the merged
 * Sobol' accumulator gsob (NULL without Sobol') and the nominal result;
 * N is the number of replications counted. Returns TS_OK or TS_ESYSTEM
 * when out of memory. */
int ua_result_fill(const ua_model *m, ua_ws *ws, int nt, const double *gsum, const ts_sobol_acc *gsob,
                   const ts_result *nominal, long N, ts_ua_result *r, ts_error *err);

#endif
