/* pipeline.c -- the scoring pipeline: transform -> normalise -> aggregate
 * -> rank, each stage kept in the result so every score can be traced. */
#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "normalise.h"

void ts_result_free(ts_result *r) {
    if (!r) return;
    free(r->transformed);
    free(r->normalised);
    free(r->score);
    free(r->rank);
    free(r->coverage);
    free(r);
}

static ts_result *result_new(int n_units, int n_nodes, int n_ind) {
    ts_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    size_t cells = (size_t)n_units * (size_t)n_nodes + 1, icells = (size_t)n_units * (size_t)n_ind + 1;
    r->n_units = n_units;
    r->n_nodes = n_nodes;
    r->n_indicators = n_ind;
    r->transformed = malloc(icells * sizeof *r->transformed);
    r->normalised = malloc(icells * sizeof *r->normalised);
    r->score = malloc(cells * sizeof *r->score);
    r->rank = calloc(cells, sizeof *r->rank);
    r->coverage = malloc(cells * sizeof *r->coverage);
    if (!r->transformed || !r->normalised || !r->score || !r->rank || !r->coverage) {
        ts_result_free(r);
        return NULL;
    }
    return r;
}

void ts_value_origin(const ts_scenario *s, int i, int u, const char **file, int *line) {
    const ts_dataset *d = s->data;
    if (d->prov) {
        const ts_provenance *p = &d->prov[(size_t)i * (size_t)d->n_units + (size_t)u];
        *file = p->file ? p->file : s->data_path;
        *line = p->line;
    } else {
        *file = d->file ? d->file : s->data_path;
        *line = d->unit_line ? d->unit_line[u] : 0;
    }
}

/* Transforms and normalises every indicator column into r. */
static int normalise_all(const ts_scenario *s, ts_result *r, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    int n = d->n_units;
    for (int i = 0; i < t->n_indicators; i++) {
        int k = t->indicator_node[i];
        const ts_node *nd = &t->nodes[k];
        const double *raw = d->values + (size_t)i * (size_t)n;
        double *tx = r->transformed + (size_t)i * (size_t)n;
        for (int u = 0; u < n; u++) {
            if (isnan(raw[u])) {
                tx[u] = NAN;
            } else if (ts_transform_value(nd->transform, raw[u], &tx[u]) != 0) {
                const char *file;
                int line;
                ts_value_origin(s, i, u, &file, &line);
                return ts_fail(err, TS_EINPUT, file, line,
                               "%s transform of indicator '%s' is undefined for %s's value %g",
                               ts_transform_name(nd->transform), nd->id, d->unit_id[u], raw[u]);
            }
        }
        double gp[2];
        if (nd->has_goalposts) {
            if (ts_transform_value(nd->transform, nd->goal_lo, &gp[0]) ||
                ts_transform_value(nd->transform, nd->goal_hi, &gp[1]))
                return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                               "%s transform of indicator '%s' is undefined for its goalposts",
                               ts_transform_name(nd->transform), nd->id);
        }
        const ts_norm *norm = &s->spec->norm[k];
        int rc = ts_normalise_column(norm, nd->direction, nd->has_goalposts ? gp : NULL, tx, n,
                                     r->normalised + (size_t)i * (size_t)n);
        if (rc == TS_NORM_CONSTANT) {
            double v = NAN;
            int m = 0;
            for (int u = 0; u < n; u++)
                if (!isnan(tx[u])) {
                    v = raw[u];
                    m++;
                }
            return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                           "indicator '%s' is constant (%g for all %d units with data): %s is "
                           "undefined; give it goalposts or another normaliser",
                           nd->id, v, m, ts_norm_name(norm->method));
        }
        if (rc != TS_NORM_OK) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    return TS_OK;
}

/* Aggregates the tree bottom-up for every unit. */
static int aggregate_all(const ts_scenario *s, ts_result *r, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_spec *sp = s->spec;
    int n = r->n_units, max_children = 1;
    for (int k = 0; k < t->n_nodes; k++)
        if (t->nodes[k].n_children > max_children) max_children = t->nodes[k].n_children;
    double *v = malloc((size_t)max_children * sizeof *v), *w = malloc((size_t)max_children * sizeof *w);
    if (!v || !w) {
        free(v);
        free(w);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int rc = TS_OK;
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) { /* post-order: children first */
        const ts_node *nd = &t->nodes[k];
        double *score = r->score + (size_t)k * (size_t)n, *cov = r->coverage + (size_t)k * (size_t)n;
        if (nd->indicator >= 0) {
            const double *x = r->normalised + (size_t)nd->indicator * (size_t)n;
            for (int u = 0; u < n; u++) {
                score[u] = x[u];
                cov[u] = isnan(x[u]) ? 0.0 : 1.0;
            }
            continue;
        }
        const int *kids = t->children + nd->first_child;
        for (int u = 0; u < n && rc == TS_OK; u++) {
            double present = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int child = kids[c];
                v[c] = r->score[(size_t)child * (size_t)n + (size_t)u];
                w[c] = ts_spec_weight(sp, u, child);
                present += r->coverage[(size_t)child * (size_t)n + (size_t)u] * t->nodes[child].n_leaves;
            }
            int bad;
            score[u] = ts_aggregate(sp->agg[k], v, w, nd->n_children, &bad);
            cov[u] = present / nd->n_leaves;
            if (bad >= 0)
                rc = ts_fail(err, TS_EINPUT, nd->file, nd->line,
                             "node '%s' takes the %s mean, but '%s' scores %g (below zero) for '%s'; "
                             "use a normaliser whose range is not negative",
                             nd->id, ts_agg_name(sp->agg[k]), t->nodes[kids[bad]].id, v[bad],
                             s->data->unit_id[u]);
        }
    }
    free(v);
    free(w);
    return rc;
}

/* Ranks units at every node: 1 = highest score. */
static int rank_all(ts_result *r, ts_error *err) {
    int n = r->n_units;
    double *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    if (!tmp) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    for (int k = 0; k < r->n_nodes; k++) {
        if (ts_rank_values(r->score + (size_t)k * (size_t)n, n, 1, tmp) != 0) {
            free(tmp);
            return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        }
        int *rank = r->rank + (size_t)k * (size_t)n;
        for (int u = 0; u < n; u++) rank[u] = isnan(tmp[u]) ? 0 : (int)tmp[u];
    }
    free(tmp);
    return TS_OK;
}

ts_result *ts_score(const ts_scenario *s, ts_error *err) {
    ts_result *r = result_new(s->data->n_units, s->tax->n_nodes, s->tax->n_indicators);
    if (!r) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return NULL;
    }
    if (normalise_all(s, r, err) || aggregate_all(s, r, err) || rank_all(r, err)) {
        ts_result_free(r);
        return NULL;
    }
    return r;
}
