/* compare.h -- stored runs against a reference run: the reference chosen
 * by the extends chain, and one row per run x node x unit with the changes. */
#ifndef TS_COMPARE_H
#define TS_COMPARE_H

#include "store.h"

/* One compared cell: unit `unit` at node `node` in the reference and in
 * run runs[run]. A side that lacks the unit or the node has NaN score,
 * rank 0 and class NULL. Strings are owned by the runs. */
typedef struct ts_compare_row {
    int run;                      /* index into ts_comparison.runs */
    const char *node, *node_name; /* node id and name */
    int depth;                    /* the node's depth (root 0); -1 when unknown */
    const char *unit, *unit_name;
    double ref_score, score;      /* NaN: no score */
    double delta;                 /* score - ref_score; NaN when either is missing */
    int ref_rank, rank;           /* 0: no rank */
    int rank_change;              /* ref_rank - rank: +2 = two places closer to
                                     rank 1 (the highest risk) */
    int has_rank_change;          /* both ranks exist */
    const char *ref_class, *cls;  /* NULL: no class */
    int class_changed;            /* the classes differ (one missing counts) */
} ts_compare_row;

/* What to compare. Zero-initialised: every node, every row. */
typedef struct ts_compare_options {
    const char *node;   /* only this node (id); NULL: every node */
    int changed_only;   /* keep rows with ts_compare_row_changed(row, threshold) */
    double threshold;   /* with changed_only: |delta| above it counts */
} ts_compare_options;

/* A comparison: the reference, the runs compared against it and the rows,
 * by run (in order), then node (the reference's pre-order, then nodes only
 * the run has), then the run's rank, the reference's rank, unit order. */
typedef struct ts_comparison {
    ts_stored_run *reference;
    int n_runs;
    ts_stored_run **runs;         /* without the reference */
    int n_rows;
    ts_compare_row *rows;
    int owns_runs;                /* the runs are freed with the comparison */
    int n_left_out;               /* default selection only: runs left out
                                     because their scenario file is gone */
    char *left_out;               /* their names, "; "-separated; NULL when none */
} ts_comparison;

/* Returns 1 when row shows a change: the class differs, the rank moved,
 * or |delta| > threshold (a missing score on one side only counts). */
int ts_compare_row_changed(const ts_compare_row *row, double threshold);

/* Returns 1 when run x extends run base: a file of x's extends chain
 * (inputs_json, role "extends") is base's scenario file (role
 * "scenario"), known by the same absolute path or, for runs stored
 * without one, the same path as stored, or by the same SHA-256. Returns 0
 * when not, or when either inputs_json cannot be read. */
int ts_compare_extends(ts_stored_run *x, ts_stored_run *base);

/* Chooses the default reference among runs[0..n-1]: the run whose
 * scenario the most of the other runs extend (ts_compare_extends; ties go
 * to the run named first); when no run extends another, runs[0]. Stores
 * its index in *ref. Returns TS_OK, or TS_EINPUT when n is 0. */
int ts_compare_default_reference(ts_stored_run *const *runs, int n, int *ref, ts_error *err);

/* Compares runs[0..n-1] (borrowed: they must outlive *out) against ref,
 * which is not one of them. Returns TS_OK with the comparison in *out;
 * TS_EINPUT (*out NULL) when opt->node is in neither side of any pair, with
 * a "did you mean"; TS_ESYSTEM when out of memory. */
int ts_compare_runs(ts_stored_run *ref, ts_stored_run *const *runs, int n, const ts_compare_options *opt,
                    ts_comparison **out, ts_error *err);

/* Returns 1 when run r's scenario file (its data file for a run of a CSV)
 * no longer exists: not at the absolute path stored with it, nor at its
 * path as stored, from the current directory or from dir (the store's
 * directory; may be NULL). Returns 0 when it exists or when r records no
 * file that could be looked for. */
int ts_compare_scenario_gone(ts_stored_run *r, const char *dir);

/* Loads and compares runs from st: specs[0..n-1] name the runs (any RUN
 * that ts_store_resolve_run takes); n 0 means the latest run of every
 * scenario that is not a per-year run (ts_store_latest_runs), leaving out
 * runs whose scenario file was deleted (ts_compare_scenario_gone; their
 * names are kept in left_out). reference
 * names the reference; NULL chooses it with ts_compare_default_reference
 * among the runs. The reference is left out of the compared runs, and a
 * run named twice is compared once. Returns TS_OK with the comparison
 * (owning its runs) in *out; TS_EINPUT for an unknown run or node, or when
 * nothing is left to compare (one run only); TS_ESYSTEM on a database
 * error or out of memory. */
int ts_compare_load(ts_store *st, const char *reference, const char *const *specs, int n,
                    const ts_compare_options *opt, ts_comparison **out, ts_error *err);

/* Frees the comparison (and its runs when it owns them). NULL is allowed. */
void ts_comparison_free(ts_comparison *c);

#endif
