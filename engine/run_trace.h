/* run_trace.h -- the contribution traces of a stored run: every unit's
 * score at one node traced to the nodes under it (trace.h), as explain does. */
#ifndef TS_RUN_TRACE_H
#define TS_RUN_TRACE_H

#include "error.h"
#include "store.h"

/* The traces of every unit of a stored run to one node. Cells are indexed
 * [u * n_nodes + k] as the run's; NaN outside the node's subtree. */
typedef struct ts_run_traces {
    int top;          /* the node traced to (index in the run's nodes) */
    int n_units, n_nodes;
    double *weight;   /* the weight the trace used (per-unit override or the node's) */
    double *eff;      /* effective weight at top */
    double *contrib;  /* part of top's score (ts_trace_unit) */
} ts_run_traces;

/* Traces every unit of r to node top (an index into r->nodes). Returns
 * TS_OK and the traces in *out, or TS_ESYSTEM when out of memory (*out
 * NULL). */
int ts_run_traces_new(const ts_stored_run *r, int top, ts_run_traces **out, ts_error *err);

/* Frees the traces. NULL is allowed. */
void ts_run_traces_free(ts_run_traces *t);

#endif
