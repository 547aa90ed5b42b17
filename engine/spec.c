/* spec.c -- resolved per-run method settings and their JSON record. */
#include "spec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ts_spec *ts_spec_from_taxonomy(const ts_taxonomy *t, int n_units) {
    ts_spec *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_nodes = t->n_nodes;
    s->n_units = n_units;
    s->agg = malloc((size_t)t->n_nodes * sizeof *s->agg);
    s->norm = malloc((size_t)t->n_nodes * sizeof *s->norm);
    s->weight = malloc((size_t)t->n_nodes * sizeof *s->weight);
    if (!s->agg || !s->norm || !s->weight) {
        ts_spec_free(s);
        return NULL;
    }
    for (int k = 0; k < t->n_nodes; k++) {
        s->agg[k] = t->nodes[k].agg;
        s->norm[k] = t->nodes[k].norm;
        s->weight[k] = t->nodes[k].weight;
    }
    return s;
}

void ts_spec_free(ts_spec *s) {
    if (!s) return;
    free(s->agg);
    free(s->norm);
    free(s->weight);
    free(s->unit_weight);
    free(s);
}

int ts_spec_set_unit_weight(ts_spec *s, int u, int k, double w) {
    if (!s->unit_weight) {
        size_t n = (size_t)s->n_units * (size_t)s->n_nodes;
        s->unit_weight = malloc((n + 1) * sizeof *s->unit_weight);
        if (!s->unit_weight) return TS_ESYSTEM;
        for (size_t c = 0; c < n; c++) s->unit_weight[c] = NAN;
    }
    s->unit_weight[(size_t)u * (size_t)s->n_nodes + (size_t)k] = w;
    return TS_OK;
}

/* Returns 1 when every child of node k has weight zero for unit u (u < 0:
 * the global weights). */
static int children_all_zero(const ts_spec *s, const ts_taxonomy *t, int k, int u) {
    const ts_node *nd = &t->nodes[k];
    for (int c = 0; c < nd->n_children; c++) {
        int child = t->children[nd->first_child + c];
        double w = u < 0 ? s->weight[child] : ts_spec_weight(s, u, child);
        if (w > 0) return 0;
    }
    return 1;
}

int ts_spec_check_weights(const ts_spec *s, const ts_taxonomy *t, const char *const *unit_id,
                          const char *file, int line, ts_error *err) {
    for (int k = 0; k < t->n_nodes; k++) {
        if (t->nodes[k].n_children == 0) continue;
        if (children_all_zero(s, t, k, -1))
            return ts_fail(err, TS_EINPUT, file, line, "all weights of the children of '%s' are zero",
                           t->nodes[k].id);
        if (!s->unit_weight) continue;
        for (int u = 0; u < s->n_units; u++)
            if (children_all_zero(s, t, k, u))
                return ts_fail(err, TS_EINPUT, file, line,
                               "all weights of the children of '%s' are zero for '%s'",
                               t->nodes[k].id, unit_id[u]);
    }
    return TS_OK;
}

void ts_spec_json(const ts_spec *s, const ts_taxonomy *t, const char *const *unit_id, ts_buf *b) {
    ts_buf_puts(b, "{\"scale\":[");
    ts_buf_json_number(b, t->scale_min);
    ts_buf_puts(b, ",");
    ts_buf_json_number(b, t->scale_max);
    ts_buf_puts(b, "],\"nodes\":{");
    for (int k = 0; k < t->n_nodes; k++) {
        const ts_node *nd = &t->nodes[k];
        if (k) ts_buf_puts(b, ",");
        ts_buf_json_string(b, nd->id);
        ts_buf_puts(b, ":{\"weight\":");
        ts_buf_json_number(b, s->weight[k]);
        if (nd->indicator < 0) {
            ts_buf_printf(b, ",\"aggregate\":\"%s\"", ts_agg_name(s->agg[k]));
        } else {
            const ts_norm *n = &s->norm[k];
            ts_buf_printf(b, ",\"normalise\":{\"method\":\"%s\"", ts_norm_name(n->method));
            if (n->method == TS_NORM_MINMAX) {
                ts_buf_puts(b, ",\"range\":[");
                ts_buf_json_number(b, n->lo);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, n->hi);
                ts_buf_puts(b, "]");
            } else if (n->method == TS_NORM_ZSCORE) {
                ts_buf_puts(b, ",\"mean\":");
                ts_buf_json_number(b, n->mean);
                ts_buf_puts(b, ",\"sd\":");
                ts_buf_json_number(b, n->sd);
            }
            ts_buf_printf(b, "},\"direction\":\"%s\",\"transform\":\"%s\"",
                          nd->direction > 0 ? "risk" : "protective", ts_transform_name(nd->transform));
            if (nd->has_goalposts) {
                ts_buf_puts(b, ",\"goalposts\":[");
                ts_buf_json_number(b, nd->goal_lo);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, nd->goal_hi);
                ts_buf_puts(b, "]");
            }
        }
        if (s->unit_weight) {
            int any = 0;
            for (int u = 0; u < s->n_units; u++) {
                double w = s->unit_weight[(size_t)u * (size_t)s->n_nodes + (size_t)k];
                if (isnan(w)) continue;
                ts_buf_puts(b, any++ ? "," : ",\"unit_weights\":{");
                ts_buf_json_string(b, unit_id[u]);
                ts_buf_puts(b, ":");
                ts_buf_json_number(b, w);
            }
            if (any) ts_buf_puts(b, "}");
        }
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "}}");
}
