/* run_trace.c -- the contribution traces of a stored run, over the one trace
 * definition (trace.c): export and the briefing report read them. */
#include "run_trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

void ts_run_traces_free(ts_run_traces *t) {
    if (!t) return;
    free(t->weight), free(t->eff), free(t->contrib);
    free(t);
}

int ts_run_traces_new(const ts_stored_run *r, int top, ts_run_traces **out, ts_error *err) {
    *out = NULL;
    size_t nn = (size_t)r->n_nodes + 1, cells = ((size_t)r->n_units + 1) * nn;
    ts_run_traces *t = calloc(1, sizeof *t);
    int *parent = malloc(nn * sizeof *parent);
    unsigned char *arithmetic = malloc(nn);
    double *weight = malloc(nn * sizeof *weight);
    ts_trace *tr = NULL;
    if (t && (t->weight = malloc(cells * sizeof *t->weight)) && (t->eff = malloc(cells * sizeof *t->eff)) &&
        (t->contrib = malloc(cells * sizeof *t->contrib)) && parent && arithmetic && weight) {
        for (int k = 0; k < r->n_nodes; k++) {
            parent[k] = r->nodes[k].parent;
            arithmetic[k] = !r->nodes[k].aggregate || strcmp(r->nodes[k].aggregate, "arithmetic") == 0;
        }
        tr = ts_trace_new(r->n_nodes, parent, arithmetic);
    }
    for (size_t c = 0; tr && c < cells; c++) t->weight[c] = t->eff[c] = t->contrib[c] = NAN;
    for (int u = 0; tr && u < r->n_units; u++) {
        size_t base = (size_t)u * (size_t)r->n_nodes;
        for (int k = 0; k < r->n_nodes; k++) weight[k] = ts_stored_run_weight(r, u, k);
        ts_trace_unit(tr, top, weight, r->score + base);
        for (int i = 0; i < tr->n_subtree; i++) {
            int k = tr->subtree[i];
            t->weight[base + (size_t)k] = weight[k];
            t->eff[base + (size_t)k] = tr->effective_weight[k];
            t->contrib[base + (size_t)k] = tr->contribution[k];
        }
    }
    free(parent), free(arithmetic), free(weight);
    if (!tr) {
        ts_run_traces_free(t);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    ts_trace_free(tr);
    t->top = top;
    t->n_units = r->n_units;
    t->n_nodes = r->n_nodes;
    *out = t;
    return TS_OK;
}
