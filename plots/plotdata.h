/* plotdata.h -- internal to plots/: the runs read through the store's API,
 * laid out for the script generators in kinds.c. */
#ifndef TS_PLOTDATA_H
#define TS_PLOTDATA_H

#include "compare.h"
#include "plot.h"

/* One node of a run's tree (a row of the nodes table). */
typedef struct ts_pnode {
    const char *id, *name, *parent, *aggregate; /* parent NULL for the root */
    int is_indicator;
    double weight;
} ts_pnode;

/* One stored run. Arrays indexed [u * n_nodes + k]. */
typedef struct ts_prun {
    long long id;
    const char *scenario, *taxonomy_path, *taxonomy_sha256;
    double lo, hi;        /* the taxonomy's scale, from method_json */
    int year;             /* trend only: the year the run is scored for */
    int n_units;
    const char **unit_id, **unit_name; /* in the run's unit order */
    int n_nodes;
    ts_pnode *nodes;      /* in pre-order (the nodes table's position) */
    double *score;        /* NaN when missing */
    int *rank;            /* 0 when none */
    const char **cls;     /* NULL when none */
    double *uweight;      /* per-unit weight overrides, NaN when none */
} ts_prun;

/* Risk classes at the drawn node, lowest first. */
typedef struct ts_pclasses {
    int n;
    const char **name;
    double *min;          /* -INFINITY for an open lowest class */
    int have_thresholds;  /* 1 when read from the run's verified taxonomy */
    const char *note;     /* why thresholds are not drawn, or NULL */
} ts_pclasses;

/* One uncertainty analysis (a row of ua_runs) at the drawn node, for the
 * uncertainty and sensitivity kinds. Per-unit arrays are indexed [u] (units
 * with results at the node, in id order); Sobol' arrays [u * n_factors + f];
 * NaN (rank 0) where nothing is stored. */
typedef struct ts_pua {
    long long id;
    const char *scenario, *seed;
    long n;               /* replications (under --sobol: base samples) */
    int sobol, bootstrap, rank_bin_width;
    const char *node_name; /* label of the drawn node */
    long long names_run;  /* run whose unit and node names are used, 0: none */
    int n_units;
    const char **unit_id, **unit_name; /* unit_name falls back to the id */
    double *nominal_score, *median_score, *rank_p05, *rank_p50, *rank_p95, *scored;
    int *nominal_rank;
    int n_factors;        /* sensitivity only: factors with an index here */
    const char **factor;  /* in the engine's order (weights, normalise, ...) */
    double *s1, *s1_lo, *s1_hi, *st, *st_lo, *st_hi; /* output "score" */
} ts_pua;

/* The correlation chart's matrix (kind_corr.c), computed from a scenario;
 * strings in the data's arena. */
typedef struct ts_pcorr {
    struct ts_audit_corr *m;   /* the matrix (owned) */
    const char *scenario;      /* the scenario's name */
    const char *node_id, *node_name; /* the node, its name falling back to the id */
    int year;                  /* the reference year scored, 0: the latest values */
    int pooled;
    const char **id, **name;   /* per matrix node; the name falls back to the id */
    int *group;                /* indicators: which child of the node each is
                                  under (its position among the children) */
    int n_groups;              /* the node's children (indicators: 0 when every
                                  indicator is a child itself) */
} ts_pcorr;

struct ts_plot_data {
    ts_arena *arena;
    ts_pcorr *corr;       /* correlation only */
    struct ts_alerts *alerts; /* alerts only (owned): the run against its reference */
    int alert_run;        /* the compared run drawn (index into alerts->runs) */
    struct ts_stored_run **stored; /* the runs as the store read them (owned) */
    int n_stored;
    ts_pua *ua;           /* uncertainty and sensitivity (n_runs is then 0) */
    int n_runs;
    ts_prun *runs;        /* runs[0] is the primary run (for compare and
                             scores the reference) */
    ts_comparison *cmp;   /* compare and scores: runs[i + 1] against runs[0]
                             (cmp->runs[i]), rows at every node (owned; its
                             runs are in stored) */
    const char *node;     /* the node drawn (id) */
    int n_all;            /* every distinct unit id in the database, sorted */
    const char **all_units;
    int *all_colour;      /* palette slot of all_units[i] */
    ts_pclasses classes;  /* ranking only */
};

/* Returns the index of node id in run r, or -1. */
int ts_prun_node(const ts_prun *r, const char *id);
/* Returns the index of unit id in run r, or -1. */
int ts_prun_unit(const ts_prun *r, const char *id);
/* Fills kids (capacity r->n_nodes) with the indices of node k's children in
 * tree order; returns their count. */
int ts_prun_children(const ts_prun *r, int k, int *kids);
/* Returns the colour of unit id as 0xRRGGBB: a fixed palette slot chosen by
 * a stable hash of the id, collisions resolved over all unit ids in the
 * database, so a unit has the same colour in every chart. */
unsigned ts_plot_unit_colour(const ts_plot_data *d, const char *id);
/* Returns 1 when unit id is selected by req (no --unit selects all). */
int ts_plot_unit_selected(const ts_plot_request *req, const char *id);

/* Appends the script of the alerts chart (kind_alerts.c) to b, as
 * ts_plot_script does for the other kinds. Returns TS_OK, or TS_EINPUT /
 * TS_ESYSTEM with err filled. */
int ts_plot_kind_alerts(const ts_plot_data *d, const ts_plot_request *req, ts_buf *b, ts_error *err);

/* Appends the script of the correlation chart (kind_corr.c) for terminal
 * term to b, as ts_plot_script does. Returns TS_OK, or TS_EINPUT /
 * TS_ESYSTEM with err filled. */
int ts_plot_kind_correlation(const ts_plot_data *d, ts_plot_term term, ts_buf *b, ts_error *err);

/* Stores the canvas the correlation chart of d is laid out for, in
 * pixels, in *width and *height: the default (1100 x 650), or more for a
 * matrix too large for it. The default for the other kinds. */
void ts_plot_kind_correlation_canvas(const ts_plot_data *d, int *width, int *height);

#endif
