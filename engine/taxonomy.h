/* taxonomy.h -- the tree of what is measured: index -> dimensions ->
 * categories -> indicators, read from a libconfig file into flat arrays. */
#ifndef TS_TAXONOMY_H
#define TS_TAXONOMY_H

#include "error.h"
#include "method.h"
#include "util.h"

/* A named risk class: scores >= min (and below the next class) get it. */
typedef struct ts_class {
    const char *name;
    double min; /* -INFINITY for the lowest class when it has no min */
} ts_class;

/* One node. Nodes sit in post-order (children before parents, root last),
 * so one forward pass aggregates the whole tree. */
typedef struct ts_node {
    const char *id, *name, *description, *source;
    const char *file;  /* file and line where the node is defined */
    int line;
    int parent;        /* node index, -1 for the root */
    int first_child;   /* index into ts_taxonomy.children */
    int n_children;
    int depth;         /* 0 for the root */
    int n_leaves;      /* indicators in the subtree (1 for an indicator) */
    int indicator;     /* index into indicator_node, -1 for aggregates */
    double weight;     /* relative among siblings */
    /* resolved settings: the node's own, or inherited from the nearest
       ancestor that sets them */
    ts_agg agg;
    ts_norm norm;      /* for indicators */
    ts_treat treat;    /* for indicators */
    ts_impute impute;  /* for indicators */
    double data_threshold; /* aggregates: least share of children with data */
    int first_class, n_classes;
    int direction;     /* +1 raises risk, -1 protective (an aggregate's
                          score is then reflected within the scale) */
    /* indicator only */
    ts_transform transform;
    int has_goalposts;
    double goal_lo, goal_hi; /* in raw units, before the transform */
    int has_target;
    double target;     /* dist2targ's target, in raw units */
    const char *unit, *column, *denominator;
} ts_node;

/* A named weight profile that applies to any scenario of the taxonomy
 * (threatscore --perspective NAME). */
typedef struct ts_perspective {
    const char *name, *description;
    int n;
    int *node;
    double *weight;
} ts_perspective;

typedef struct ts_taxonomy {
    ts_arena *arena;
    const char *path;
    char sha256[65];      /* of the bytes the taxonomy was read from */
    const char *id, *name, *description;
    double scale_min, scale_max;  /* the scale in effect (ts_taxonomy_rescale) */
    double file_scale_min, file_scale_max; /* the scale the file gives */
    int n_nodes;
    ts_node *nodes;
    int *children;        /* children of node k: children[first_child ...] */
    int n_indicators;
    int *indicator_node;  /* node index of indicator i, in file order */
    ts_class *classes;
    int n_class_total;
    int *sorted;          /* node indices sorted by id, for lookups */
    int n_perspectives;
    ts_perspective *perspectives; /* arena-owned */
    /* the norms of `threatscore alert` (alerts = { ... }), NaN when unset:
       distance to the next class, jumps in standard deviations of past
       year-on-year changes or as a share of the scale, least reliability */
    double alert_near_class, alert_jump_sd, alert_jump_share, alert_min_reliability;
} ts_taxonomy;

/* Reads and validates a taxonomy file. Returns TS_OK with a new taxonomy in *out, or
 * an error code with *out NULL and
 * err filled (TS_EINPUT for bad input with file:line, TS_ESYSTEM when out
 * of memory). */
int ts_taxonomy_load(const char *path, ts_taxonomy **out, ts_error *err);

/* As ts_taxonomy_load, reading the text from read_path while naming the
 * file path (the CLI's copy of standard input). */
int ts_taxonomy_load_as(const char *path, const char *read_path, ts_taxonomy **out, ts_error *err);

/* As ts_taxonomy_load, from the settings cfg already parsed from path (as
 * ts_cfg_read_file parses) whose bytes hash to sha256 (64 hex digits):
 * for a file read once and used many times. cfg is only read. */
struct config_t;
int ts_taxonomy_from_config(const char *path, const struct config_t *cfg, const char *sha256, ts_taxonomy **out,
                            ts_error *err);

/* Frees the taxonomy. NULL is allowed. */
void ts_taxonomy_free(ts_taxonomy *t);

/* Returns the index of the node with this id, or -1. */
int ts_taxonomy_find(const ts_taxonomy *t, const char *id);

/* Moves t onto the scale lo-hi (lo < hi), for a run whose normalisers map
 * onto it (--set normalise.range=LO,HI): the scale becomes lo-hi and every
 * class threshold is mapped linearly with it, min' = lo + (min - old_lo)
 * x (hi - lo) / (old_hi - old_lo), so each class keeps its place on the
 * scale ("High" from 5 on 0-10 is "High" from 50.5 on 1-100). The file's
 * own scale stays in file_scale_min/max. */
void ts_taxonomy_rescale(ts_taxonomy *t, double lo, double hi);

/* Returns the root's node index. */
int ts_taxonomy_root(const ts_taxonomy *t);

/* Fills err with "unknown <what> 'id'" and a "did you mean" drawn from the
 * taxonomy's node ids (indicators only when indicators_only). Returns
 * TS_EINPUT. */
int ts_taxonomy_unknown(const ts_taxonomy *t, const char *what, const char *id,
                        int indicators_only, const char *file, int line, ts_error *err);

/* Writes the node indices in pre-order (root first, children in file
 * order) into order[n_nodes]. */
void ts_taxonomy_preorder(const ts_taxonomy *t, int *order);

/* Returns 1 when node j is node k or lies below it, else 0. */
int ts_taxonomy_in_subtree(const ts_taxonomy *t, int j, int k);

/* Returns the class name for score x at node k, or NULL (no classes, or x
 * below every threshold, or x missing). */
const char *ts_taxonomy_class(const ts_taxonomy *t, int k, double x);

#endif
