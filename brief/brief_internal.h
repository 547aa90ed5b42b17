/* brief_internal.h -- internal to brief/: what the report is made of, read
 * through the store's API (brief_data.c) and written as HTML (brief_write.c). */
#ifndef TS_BRIEF_INTERNAL_H
#define TS_BRIEF_INTERNAL_H

#include "brief.h"
#include "compare.h"
#include "register.h"
#include "run_trace.h"
#include "store.h"
#include "store_brief.h"
#include "store_details.h"
#include "store_ua_read.h"

/* One input of a run, with its details. Strings live in the report's arena. */
typedef struct brief_value {
    int present;                 /* the run has a row for this input */
    double raw, normalised;      /* NaN: missing */
    int imputed, year, estimate, line;
    int selected;                /* TS_SELECT_* */
    const char *source, *note, *shock, *file;
    int n_alt;
    ts_stored_alternative *alt;
} brief_value;

/* A run in the report with its inputs, [u * n_nodes + k] for indicator k. */
typedef struct brief_run {
    ts_stored_run *r;            /* owned by the comparison or the report */
    brief_value *values;
    int n_flagged;               /* values estimated, imputed, carried, shocked */
} brief_run;

/* The uncertainty analysis of the primary run's scenario, when stored. */
typedef struct brief_ua {
    int have;                    /* an analysis of the scenario is stored */
    ts_stored_ua ua;
    ts_ua_match match;
    ts_stored_ua_results res;    /* at the index */
    ts_stored_sobol sobol;       /* n_factors 0 without --sobol */
    const char *node;            /* the node its results are at */
} brief_ua;

typedef struct ts_brief {
    const ts_brief_options *opt;
    ts_arena *arena;
    ts_store *st;
    ts_buf *warnings;
    ts_comparison *cmp;          /* NULL when no other run is compared */
    ts_stored_run *alone;        /* the only run, owned, when cmp is NULL */
    int n_runs;
    brief_run *runs;             /* [0] the reference, then the compared runs */
    int primary;                 /* the run the report is about (index in runs) */
    int root;                    /* the primary run's root node */
    ts_run_traces *traces;       /* the primary run traced to its root */
    brief_ua ua;
    int n_years;                 /* per-year runs of the primary's scenario */
    int *years;
    ts_stored_run **year_runs;
    int n_classes;               /* the index's risk classes, lowest first, from
                                    the primary run's taxonomy file when it is
                                    unchanged since the run; else 0 */
    const char **class_name;
    double *class_min;           /* lower bound; -INFINITY for an open class */
    ts_register *reg;            /* NULL when not readable */
    char register_path[1024];
    char register_error[1100];
    int chart_count;             /* for unique SVG id prefixes */
} ts_brief;

/* Loads everything the report shows into b (opt, arena and warnings set by
 * the caller). Returns TS_OK or the error (see ts_brief_write). */
int ts_brief_load(ts_brief *b, ts_error *err);

/* Frees what ts_brief_load loaded (not b itself). */
void ts_brief_unload(ts_brief *b);

/* Writes the whole page into out (brief_write.c). Returns TS_OK or TS_ESYSTEM. */
int ts_brief_html(ts_brief *b, ts_buf *out, ts_error *err);

/* The sections "Values and sources" and "Provenance" (brief_sources.c),
 * appended to h. */
void ts_brief_values(ts_brief *b, ts_buf *h);
void ts_brief_provenance(ts_brief *b, ts_buf *h);

/* Returns the value of unit u at indicator node k of run br. */
static inline const brief_value *ts_brief_value(const brief_run *br, int u, int k) {
    return &br->values[(size_t)u * (size_t)br->r->n_nodes + (size_t)k];
}

/* Returns the index of the root of run r (the node without a parent). */
int ts_brief_root(const ts_stored_run *r);

#endif
