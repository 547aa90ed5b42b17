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
    double *lx;               /* log x (-inf for 0, NaN for missing), or NULL */
    unsigned char *complete;  /* per indicator: no unit missing */
    int *neg;                 /* per indicator: first unit with a negative value, -1 */
    double *blo, *bhi;        /* [bpos[k] * n + u]: least and greatest value of node k's
                                 indicators with nominal weight (+inf, -inf for none) */
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
    int n_bnodes, *bpos;      /* per node: its row of the variants' bounds when all its
                                 children are indicators, else -1 */
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
    /* a cell's row of score bins, of class counts and its window of rank
       bins each end in one more counter that takes what counts nothing
       (no score, a rank outside the window), so that counting never
       branches */
    int score_stride, cls_stride; /* S + 1, max_classes + 2 */
    double *lo, *inv;         /* per cell: histogram origin and 1 / bin width */
    /* per cell: the window of rank bins [wlo, wlo + wlen) counted in hot
       counters at woff (wlen + 1 of them; from the pilot's ranks and the
       nominal rank); a rank outside goes to a full row of 32-bit counters */
    int *wlo, *wlen;
    size_t *woff, n_win;
    int windowed;             /* some cell's window is narrower than rank_bins */
    /* the pilot's replications, kept to be counted instead of repeated
       (Monte Carlo only, and only when they fit in UA_PILOT_BYTES) */
    long n_pilot, n_kept;
    double *kept_score;       /* [r * n_cell + c] */
    uint16_t *kept_bin;       /* [r * n_cell + c]: rank bin + 1, 0 for no rank */
    int *kept_variant;        /* [r] */
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

/* Allocates v's spec arrays and matrices for n_ind x n values and the
 * bounds of n_bnodes nodes. Returns 0, or -1 when out of memory (what was
 * allocated stays in v for freeing). */
int ua_variant_alloc(ua_variant *v, int n_nodes, int n_ind, int n, int need_log, int n_bnodes);

/* Frees the arrays of v (not v itself); arrays may be NULL. */
void ua_variant_free(ua_variant *v);

/* Runs the indicator stages of m's scenario under v's spec (aggregating
 * arithmetically, which cannot fail) and fills v's matrices; data replaces
 * the scenario's dataset when not NULL. Returns TS_OK or the pipeline's
 * error code with err filled. */
int ua_variant_score(const ua_model *m, ua_variant *v, const ts_dataset *data, ts_error *err);

/* ---- ranking (ua_rank.c) ------------------------------------------------ */

/* What ranking n units needs, allocated once per workspace. */
typedef struct ua_rank_scratch {
    int avx2;                 /* the processor runs the AVX2 kernels */
    int count_max;            /* up to this many units: rank by counting */
    int32_t *k32, *cnt;       /* counting: keys (padded) and counts */
    uint64_t *a, *b, *key;    /* radix sort items and full order keys */
    int *order, *bucket, *count; /* bucket sort */
} ua_rank_scratch;

/* Allocates s for rows rows of n units. Returns 0, or -1 when out of
 * memory (free s with ua_rank_scratch_free either way). */
int ua_rank_scratch_init(ua_rank_scratch *s, int n, int rows);

/* Frees what s holds and zeroes it. NULL is allowed. */
void ua_rank_scratch_free(ua_rank_scratch *s);

/* Ranks each of rows rows of n values (x[r * n + u]) into rank[r * n + u]:
 * 1 = highest, ties share the lowest rank, 0 = no score (NaN), exactly as
 * ts_rank_values orders. s must be allocated for at least that many rows.
 * Cannot fail. */
void ua_rank_rows(const double *x, int n, int rows, int *rank, ua_rank_scratch *s);

/* ---- one replication (ua_eval.c) --------------------------------------- */

/* A hot counter, and the most replications it counts before its count is
 * added into a 32-bit one. */
typedef uint8_t ua_hot;
#define UA_HOT_MAX 255

/* Score histograms of more bins than this are counted without staging. */
#define UA_STAGE_MAX_BINS 65535

/* At most this many bytes keep the pilot's replications for counting. */
#define UA_PILOT_BYTES (64.0 * 1024 * 1024)

/* What one thread writes: one replication's parameters and scores, and
 * (with accumulate) its share of the statistics. */
typedef struct ua_ws {
    double *score;            /* [k * n + u], aggregates (and leaves in data mode: unused) */
    double *lscore;           /* log of a geometric node's score, kept for a geometric parent */
    unsigned char *haslog;    /* per node: lscore holds this replication's values */
    unsigned char *haslin;    /* per node: score holds this replication's values */
    double *blo, *bhi, *llo, *lhi; /* per unit: bounds of a node's children (linear, logs) */
    double *acc, *wsum;
    int *cnt;
    double *v, *w, *block;
    struct ua_child *kid;     /* per child of the node being aggregated */
    double *f, *wt;           /* per node: weight factor, weight */
    double *uni;              /* uniforms of one replication (3 D under Sobol') */
    double *dval;             /* sampled data values */
    double *gam;              /* Dirichlet draws per selected node */
    int variant, agg;
    int *rank;                /* per slot cell: this replication's ranks */
    ua_rank_scratch rs;
    int *vbin;                /* per slot cell: rank bins + 1 */
    double *tmp;              /* per slot cell: scratch for binning */
    double *xall;             /* per slot cell: the replication's scores, when gathered */
    int gathered;             /* ua_rank_slots gathered them into xall */
    /* data mode */
    double *values;
    ts_dataset data;
    ua_variant dvar;
    const ua_variant *cur;    /* the leaves of this replication */
    /* accumulators (integers: summed at the end). Histograms count in
       8-bit counters (hot_*), small enough to stay in the caches, added
       into 32-bit ones (cold_*) before any could overflow; ranks outside a
       cell's window go to far_rank. */
    ua_hot *hot_score;        /* [c * score_stride + bin] */
    ua_hot *hot_rank;         /* [woff[c] + bin - wlo[c]] */
    uint32_t *cold_score, *cold_rank;
    uint32_t *far_rank;       /* [c * rank_bins + bin], NULL unless windowed */
    unsigned char *far_any;   /* per cell: far_rank holds a count */
    long since_flush;         /* replications counted in the hot counters */
    /* blocked updates: each replication's bins are staged, and applied to
       the histograms a block of replications at a time, a few cells at a
       time, so that a cell's rows are loaded once per block */
    int blk, staged;          /* replications per block (0: no staging), staged now */
    uint16_t *st_score;       /* [r * n_cell + c]: score bin, S for no score */
    uint16_t *st_rank;        /* offset in the cell's rank window, wlen outside */
    uint8_t *st_class;        /* class index (max_classes + 1: none), or NULL without classes */
    uint32_t *cls;            /* [c * cls_stride + class] */
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

/* Gathers every slot's values into w->xall and ranks them into w->rank.
 * Cannot fail. */
void ua_rank_slots(const ua_model *m, ua_ws *w);

/* Returns slot s's values in w's last replication (after ua_rank_slots). */
const double *ua_slot_values(const ua_model *m, const ua_ws *w, int s);

/* Adds this replication's scores and ranks (after ua_rank_slots) to w's
 * accumulators. Cannot fail. */
void ua_accumulate(const ua_model *m, ua_ws *w);

/* Applies the staged replications of w to its histograms (before they
 * are read). Cannot fail. */
void ua_ws_apply(const ua_model *m, ua_ws *w);

/* Adds kept pilot replication r (r < m->n_kept) to w's accumulators, as
 * ua_accumulate did when it was run. Cannot fail. */
void ua_accumulate_kept(const ua_model *m, ua_ws *w, long r);

/* Stores replication r's scores and rank bins (w's last, ranked) among
 * the kept pilot replications. Cannot fail. */
void ua_keep(ua_model *m, const ua_ws *w, long r);

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

/* Sets each cell's histogram range (m->lo, m->inv) and rank window from
 * a pilot of the first replications (Sobol' points from seq when
 * opt->sobol), run on opt's threads, and the nominal scores and ranks of
 * the result nominal; keeps the pilot's replications when they fit.
 * Returns TS_OK, TS_ESYSTEM when out of memory, or the evaluator's
 * error. */
int ua_set_bins(ua_model *m, const ts_ua_options *opt, const ts_ua_result *nominal, const ts_sobol_seq *seq,
                ts_error *err);

/* Returns a result for m with a row for each reported node, every
 * statistic NaN (and room for Sobol' indices when sobol), or NULL when
 * out of memory. */
ts_ua_result *ua_result_new(const ua_model *m, int sobol);

/* Fills r (its nominal scores and ranks set) from the accumulators of the
 * nt workspaces ws (summing their integer counts into ws[0]), the merged
 * per-cell sums gsum and the merged Sobol' accumulator gsob (NULL without
 * Sobol'); N is the number of replications counted. Returns TS_OK or
 * TS_ESYSTEM when out of memory. */
int ua_result_fill(const ua_model *m, ua_ws *ws, int nt, const double *gsum, const ts_sobol_acc *gsob, long N,
                   ts_ua_result *r, ts_error *err);

#endif
