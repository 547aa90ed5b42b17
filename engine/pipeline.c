/* pipeline.c -- the scoring pipeline: screen -> impute -> transform ->
 * treat -> normalise -> aggregate -> rank, each stage kept in the result. */
#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "impute.h"
#include "normalise.h"
#include "reliability.h"

void ts_result_free(ts_result *r) {
    if (!r) return;
    free(r->screened);
    free(r->imputed);
    free(r->transformed);
    free(r->normalised);
    free(r->treatment);
    free(r->score);
    free(r->rank);
    free(r->coverage);
    free(r->imputed_share);
    free(r->reliability);
    free(r);
}

static ts_result *result_new(int n_units, int n_nodes, int n_ind) {
    ts_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    size_t cells = (size_t)n_units * (size_t)n_nodes + 1, icells = (size_t)n_units * (size_t)n_ind + 1;
    r->n_units = n_units;
    r->n_nodes = n_nodes;
    r->n_indicators = n_ind;
    r->screened = calloc((size_t)n_units + 1, 1);
    r->imputed = calloc(icells, 1);
    r->transformed = malloc(icells * sizeof *r->transformed);
    r->normalised = malloc(icells * sizeof *r->normalised);
    r->treatment = calloc((size_t)n_ind + 1, sizeof *r->treatment);
    r->score = malloc(cells * sizeof *r->score);
    r->rank = calloc(cells, sizeof *r->rank);
    r->coverage = malloc(cells * sizeof *r->coverage);
    r->imputed_share = malloc(cells * sizeof *r->imputed_share);
    r->reliability = calloc(cells, sizeof *r->reliability);
    if (!r->screened || !r->imputed || !r->transformed || !r->normalised || !r->treatment || !r->score ||
        !r->rank || !r->coverage || !r->imputed_share || !r->reliability) {
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

/* Marks units whose share of indicators with data is below the spec's
 * screening threshold. */
static void screen_units(const ts_scenario *s, ts_result *r) {
    const ts_dataset *d = s->data;
    if (!(s->spec->screen > 0)) return;
    for (int u = 0; u < d->n_units; u++) {
        int present = 0;
        for (int i = 0; i < d->n_indicators; i++) present += !isnan(ts_dataset_get(d, i, u));
        r->screened[u] = d->n_indicators > 0 && (double)present / d->n_indicators < s->spec->screen;
    }
}

/* Copies, imputes, transforms, treats and normalises indicator i. */
static int prepare_indicator(const ts_scenario *s, ts_result *r, int i, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    const ts_spec *sp = s->spec;
    int n = d->n_units, k = t->indicator_node[i];
    const ts_node *nd = &t->nodes[k];
    double *x = r->transformed + (size_t)i * (size_t)n;
    for (int u = 0; u < n; u++) {
        x[u] = r->screened[u] ? NAN : ts_dataset_get(d, i, u);
        /* a value carried from another year or interpolated counts as imputed */
        if (!isnan(x[u]) && d->selected[(size_t)i * (size_t)n + (size_t)u] != TS_SELECT_EXACT)
            r->imputed[(size_t)i * (size_t)n + (size_t)u] = 1;
    }
    if (sp->denominate && nd->denominator) {
        int j = ts_dataset_find_denominator(d, nd->denominator);
        if (j < 0)
            return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                           "indicator '%s' is divided by '%s', but no unit has that denominator", nd->id, nd->denominator);
        const double *den = d->denominator + (size_t)j * (size_t)n;
        for (int u = 0; u < n; u++) x[u] = den[u] != 0 ? x[u] / den[u] : NAN;
    }

    const ts_impute *im = &sp->impute[k];
    if (im->method != TS_IMPUTE_NONE) {
        const char *const *labels = NULL;
        if (im->group[0]) {
            int g = ts_dataset_find_group(d, im->group);
            if (g < 0)
                return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                               "indicator '%s' imputes by group '%s', but no unit has that group", nd->id, im->group);
            labels = d->group + (size_t)g * (size_t)n;
        }
        if (ts_impute_column(im, x, n, labels, r->screened, r->imputed + (size_t)i * (size_t)n) < 0)
            return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }

    int bad = ts_transform_column(&nd->transform, x, n);
    if (bad) {
        const char *file;
        int line;
        ts_value_origin(s, i, bad - 1, &file, &line);
        double raw = ts_dataset_get(d, i, bad - 1);
        /* a missing value filled by imputation has no raw value to name: the
           failed value is still in x, untransformed */
        if (isnan(raw))
            return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                           "%s transform of indicator '%s' is undefined for the value %g that %s imputation gave %s",
                           ts_transform_name(nd->transform.method), nd->id, x[bad - 1], ts_impute_name(im->method),
                           d->unit_id[bad - 1]);
        return ts_fail(err, TS_EINPUT, file, line, "%s transform of indicator '%s' is undefined for %s's value %g",
                       ts_transform_name(nd->transform.method), nd->id, d->unit_id[bad - 1], raw);
    }
    for (int u = 0; u < n; u++)
        if (!isnan(x[u]) && !(fabs(x[u]) <= TS_NUMBER_MAX)) {
            /* a transform or a denominator took the value past what the
               normalisers can handle exactly */
            const char *file;
            int line;
            ts_value_origin(s, i, u, &file, &line);
            return ts_fail(err, TS_EINPUT, file, line,
                           "indicator '%s': %s's value %g becomes %g after its %s, larger than %g", nd->id,
                           d->unit_id[u], ts_dataset_get(d, i, u), x[u],
                           sp->denominate && nd->denominator ? "denominator and transform" : "transform",
                           TS_NUMBER_MAX);
        }
    if (ts_treat_column(&sp->treat[k], x, n, &r->treatment[i]) != 0)
        return ts_fail(err, TS_EINPUT, nd->file, nd->line, "indicator '%s': the treatment's fallback transform is undefined",
                       nd->id);

    /* goalposts and targets are in raw units: transform them alike */
    double gp[2], target, lo = INFINITY, hi = -INFINITY;
    for (int u = 0; u < n; u++) {
        double v = ts_dataset_get(d, i, u);
        if (isnan(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    if ((nd->has_goalposts && (ts_transform_value(&nd->transform, nd->goal_lo, lo, hi, &gp[0]) ||
                               ts_transform_value(&nd->transform, nd->goal_hi, lo, hi, &gp[1]))) ||
        (nd->has_target && ts_transform_value(&nd->transform, nd->target, lo, hi, &target)))
        return ts_fail(err, TS_EINPUT, nd->file, nd->line, "%s transform of indicator '%s' is undefined for its goalposts or target",
                       ts_transform_name(nd->transform.method), nd->id);

    const ts_norm *norm = &sp->norm[k];
    ts_norm_args args = {norm, nd->direction, nd->has_goalposts ? gp : NULL, nd->has_target ? &target : NULL, -1,
                         t->scale_min, t->scale_max};
    if (norm->method == TS_NORM_DIST2REF) args.ref = ts_dataset_find_unit(d, norm->ref);
    double *norm_out = r->normalised + (size_t)i * (size_t)n;
    int rc = ts_normalise_column(&args, x, n, norm_out);
    if (rc == TS_NORM_OK)
        for (int u = 0; u < n; u++)
            if (!isnan(x[u]) && !isfinite(norm_out[u]))
                /* a value with data must keep it: NaN would pass for missing */
                return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                               "indicator '%s': %s gives no finite value for %s (%g): its values, goalposts "
                               "or range are too far apart",
                               nd->id, ts_norm_name(norm->method), d->unit_id[u], ts_dataset_get(d, i, u));
    switch (rc) {
    case TS_NORM_OK: return TS_OK;
    case TS_NORM_CONSTANT: {
        double v = NAN;
        int m = 0;
        for (int u = 0; u < n; u++)
            if (!isnan(x[u])) {
                v = ts_dataset_get(d, i, u);
                m++;
            }
        return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                       "indicator '%s' is constant (%g for all %d units with data): %s is "
                       "undefined; give it goalposts or another normaliser",
                       nd->id, v, m, ts_norm_name(norm->method));
    }
    case TS_NORM_NOREF:
        return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                       "indicator '%s': dist2ref's reference unit '%s' is unknown or has no (non-zero) value", nd->id,
                       norm->ref);
    case TS_NORM_NOTARGET:
        return ts_fail(err, TS_EINPUT, nd->file, nd->line, "indicator '%s': %s needs %s", nd->id,
                       ts_norm_name(norm->method),
                       norm->method == TS_NORM_GOALPOSTS ? "goalposts" : "a target different from the minimum");
    case TS_NORM_DOMAIN:
        return ts_fail(err, TS_EINPUT, nd->file, nd->line, "indicator '%s': %s needs a positive maximum", nd->id,
                       ts_norm_name(norm->method));
    default: return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
}

/* How aggregation reads the values of a node and where it writes an
 * aggregate's rows, so that the full result and the lean one (score
 * --lean) share one implementation. */
typedef struct tree_access {
    void *ctx;
    double (*score)(const void *ctx, int k, int u);
    double (*coverage)(const void *ctx, int k, int u);
    double (*imputed)(const void *ctx, int k, int u);
    void (*rows)(void *ctx, int k, double **score, double **cov, double **imp);
} tree_access;

/* Fails for a child value outside the domain of node k's aggregator,
 * naming the node, the child, the unit, the value and where it came from.
 * Returns TS_EINPUT. */
static int domain_error(const ts_scenario *s, int k, int child, double x, int u, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_node *nd = &t->nodes[k], *c = &t->nodes[child];
    const ts_agg *agg = &s->spec->agg[k];
    char needs[160], cause[200];
    if (agg->method == TS_AGG_CGEOMETRIC)
        snprintf(needs, sizeof needs, "which needs %g - %g x value > 0", agg->top, agg->factor);
    else
        snprintf(needs, sizeof needs, "which needs values >= 0");
    if (c->indicator >= 0)
        snprintf(cause, sizeof cause, "it is normalised by %s, whose output reaches that value: use a normaliser "
                 "or range that fits", ts_norm_name(s->spec->norm[child].method));
    else
        snprintf(cause, sizeof cause, "it is an aggregate (%s%s) of such values",
                 ts_agg_name(s->spec->agg[child].method), c->direction < 0 ? ", reflected as protective" : "");
    return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                   "node '%s' takes the %s mean, %s, but its child '%s' scores %.17g for unit '%s': %s", nd->id,
                   ts_agg_name(agg->method), needs, c->id, x, s->data->unit_id[u], cause);
}

/* Aggregates every aggregate node bottom-up (post-order: children first)
 * for the n units, through a. Returns TS_OK, TS_EINPUT for a child value
 * outside its parent's aggregator's domain, TS_ESYSTEM when out of memory. */
static int aggregate_tree(const ts_scenario *s, int n, const tree_access *a, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_spec *sp = s->spec;
    int max_children = 1;
    for (int k = 0; k < t->n_nodes; k++)
        if (t->nodes[k].n_children > max_children) max_children = t->nodes[k].n_children;
    double *v = malloc((size_t)max_children * sizeof *v), *w = malloc((size_t)max_children * sizeof *w);
    double *block = malloc(((size_t)max_children * (size_t)n + 1) * sizeof *block);
    if (!v || !w || !block) {
        free(v);
        free(w);
        free(block);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int rc = TS_OK;
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) {
        const ts_node *nd = &t->nodes[k];
        if (nd->indicator >= 0) continue;
        double *score, *cov, *imp;
        a->rows(a->ctx, k, &score, &cov, &imp);
        const int *kids = t->children + nd->first_child;
        const ts_agg *agg = &sp->agg[k];
        if (agg->method == TS_AGG_COPELAND) {
            for (int c = 0; c < nd->n_children; c++) {
                for (int u = 0; u < n; u++) block[(size_t)c * (size_t)n + (size_t)u] = a->score(a->ctx, kids[c], u);
                w[c] = sp->weight[kids[c]];
            }
            ts_aggregate_copeland(block, w, nd->n_children, n, score);
        }
        for (int u = 0; u < n && rc == TS_OK; u++) {
            double present = 0, imputed = 0;
            int with_data = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int child = kids[c];
                v[c] = a->score(a->ctx, child, u);
                w[c] = ts_spec_weight(sp, u, child);
                present += a->coverage(a->ctx, child, u) * t->nodes[child].n_leaves;
                imputed += a->imputed(a->ctx, child, u) * t->nodes[child].n_leaves;
                with_data += !isnan(v[c]);
            }
            cov[u] = present / nd->n_leaves;
            imp[u] = imputed / nd->n_leaves;
            if (agg->method != TS_AGG_COPELAND) {
                int bad;
                score[u] = ts_aggregate(agg, v, w, nd->n_children, &bad);
                if (bad >= 0) {
                    rc = domain_error(s, k, kids[bad], v[bad], u, err);
                    break;
                }
                if (isinf(score[u])) {
                    rc = ts_fail(err, TS_EINPUT, nd->file, nd->line,
                                 "node '%s': the %s mean of its children for '%s' is not finite; its weights or "
                                 "its children's values are too far apart",
                                 nd->id, ts_agg_name(agg->method), s->data->unit_id[u]);
                    break;
                }
            }
            if ((double)with_data / nd->n_children < sp->data_threshold[k]) score[u] = NAN;
            if (nd->direction < 0 && !isnan(score[u])) score[u] = t->scale_min + t->scale_max - score[u];
        }
    }
    free(v);
    free(w);
    free(block);
    return rc;
}

static double full_score(const void *ctx, int k, int u) {
    const ts_result *r = ctx;
    return r->score[(size_t)k * (size_t)r->n_units + (size_t)u];
}

static double full_coverage(const void *ctx, int k, int u) {
    const ts_result *r = ctx;
    return r->coverage[(size_t)k * (size_t)r->n_units + (size_t)u];
}

static double full_imputed(const void *ctx, int k, int u) {
    const ts_result *r = ctx;
    return r->imputed_share[(size_t)k * (size_t)r->n_units + (size_t)u];
}

static void full_rows(void *ctx, int k, double **score, double **cov, double **imp) {
    ts_result *r = ctx;
    size_t base = (size_t)k * (size_t)r->n_units;
    *score = r->score + base;
    *cov = r->coverage + base;
    *imp = r->imputed_share + base;
}

/* Copies the indicators into their node rows, then aggregates the tree. */
static int aggregate_all(const ts_scenario *s, ts_result *r, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    int n = r->n_units;
    for (int k = 0; k < t->n_nodes; k++) {
        const ts_node *nd = &t->nodes[k];
        if (nd->indicator < 0) continue;
        size_t base = (size_t)k * (size_t)n;
        const double *x = r->normalised + (size_t)nd->indicator * (size_t)n;
        const unsigned char *flags = r->imputed + (size_t)nd->indicator * (size_t)n;
        for (int u = 0; u < n; u++) {
            r->score[base + u] = x[u];
            r->coverage[base + u] = isnan(x[u]) ? 0.0 : 1.0;
            r->imputed_share[base + u] = flags[u] ? 1.0 : 0.0;
        }
    }
    tree_access a = {r, full_score, full_coverage, full_imputed, full_rows};
    return aggregate_tree(s, n, &a, err);
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

/* Fills r->reliability (zeroed) from the values of s and what the pipeline
 * did with them: indicators in index order, as score --lean adds them.
 * Returns TS_OK or TS_ESYSTEM. */
static int reliability_all(const ts_scenario *s, ts_result *r, ts_error *err) {
    ts_reliability *rl;
    int rc = ts_reliability_new(s, &rl, err);
    if (rc != TS_OK) return rc;
    size_t n = (size_t)r->n_units, cells = n * (size_t)r->n_nodes;
    double *q = malloc((n + 1) * sizeof *q);
    if (!q) {
        ts_reliability_free(rl);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    for (int i = 0; i < r->n_indicators; i++) {
        ts_reliability_column(rl, i, s->data->values + (size_t)i * n, r->normalised + (size_t)i * n, q);
        ts_reliability_add(rl, i, q, r->reliability, NULL);
    }
    for (size_t c = 0; c < cells; c++) r->reliability[c] = ts_reliability_finish(r->reliability[c], r->score[c]);
    free(q);
    ts_reliability_free(rl);
    return TS_OK;
}

/* Fails when no unit has a score at the index: every score would print as
 * missing, which is bad input (no value, or none that the methods and the
 * data thresholds can use), not a result. score(k, u) reads a score.
 * Returns TS_OK or TS_EINPUT. */
/* Returns how many of the values of d are there (not NaN). */
static size_t values_present(const ts_dataset *d) {
    size_t cells = (size_t)d->n_units * (size_t)d->n_indicators, present = 0;
    for (size_t c = 0; c < cells; c++) present += !isnan(d->values[c]);
    return present;
}

/* The error of a run where no unit has a score, present of the data's
 * values being there. Returns TS_EINPUT. */
static int no_score_error(const ts_scenario *s, size_t present, ts_error *err) {
    const ts_dataset *d = s->data;
    return ts_fail(err, TS_EINPUT, s->path ? s->path : s->data_path, 0,
                   "no unit has a score for '%s': %zu of %zu values are present, and the methods or data "
                   "thresholds leave none to score",
                   s->tax->nodes[ts_taxonomy_root(s->tax)].id, present,
                   (size_t)d->n_units * (size_t)d->n_indicators);
}

static int check_any_score(const ts_scenario *s, double (*score)(const void *, int, int), const void *ctx,
                           ts_error *err) {
    int root = ts_taxonomy_root(s->tax);
    for (int u = 0; u < s->data->n_units; u++)
        if (!isnan(score(ctx, root, u))) return TS_OK;
    return no_score_error(s, values_present(s->data), err);
}

static double result_score(const void *ctx, int k, int u) {
    return ts_result_score(ctx, k, u);
}

int ts_score(const ts_scenario *s, ts_result **out, ts_error *err) {
    int rc = ts_score_allow_empty(s, out, err);
    if (rc == TS_OK && (rc = check_any_score(s, result_score, *out, err)) != TS_OK) {
        ts_result_free(*out);
        *out = NULL;
    }
    return rc;
}

int ts_score_allow_empty(const ts_scenario *s, ts_result **out, ts_error *err) {
    *out = NULL;
    ts_result *r = result_new(s->data->n_units, s->tax->n_nodes, s->tax->n_indicators);
    if (!r) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    screen_units(s, r);
    int rc = TS_OK;
    for (int i = 0; i < s->tax->n_indicators && rc == TS_OK; i++) rc = prepare_indicator(s, r, i, err);
    if (rc == TS_OK) rc = aggregate_all(s, r, err);
    if (rc == TS_OK) rc = rank_all(r, err);
    if (rc == TS_OK) rc = reliability_all(s, r, err);
    if (rc != TS_OK) {
        ts_result_free(r);
        return ts_status(err);
    }
    *out = r;
    return TS_OK;
}

/* ---- lean scoring (score --lean) ---------------------------------------- */

void ts_lean_result_free(ts_lean_result *r) {
    if (!r) return;
    free(r->screened);
    free(r->imputed);
    free(r->treatment);
    free(r->agg_row);
    free(r->agg_score);
    free(r->agg_coverage);
    free(r->agg_imputed);
    free(r->rank);
    free(r->agg_reliability);
    free(r->ind_reliability);
    free(r);
}

/* Prepares indicator i of s into out (n values) through prepare_indicator,
 * on a view of s in which indicator i is indicator 0: every pointer then
 * stays inside its array, and the pipeline's own code does the work. */
static int lean_prepare(const ts_scenario *s, ts_lean_result *lr, int i, double *scratch, double *out, ts_error *err) {
    size_t n = (size_t)s->data->n_units;
    ts_taxonomy tax = *s->tax;
    tax.indicator_node = s->tax->indicator_node + i;
    ts_dataset data = *s->data;
    data.values = s->data->values + (size_t)i * n;
    if (data.prov) data.prov = s->data->prov + (size_t)i * n;
    ts_scenario view = *s;
    view.tax = &tax;
    view.data = &data;
    ts_result r = {0};
    r.n_units = (int)n;
    r.screened = lr->screened;
    r.imputed = lr->imputed + (size_t)i * n;
    r.transformed = scratch;
    r.normalised = out;
    r.treatment = lr->treatment + i;
    return prepare_indicator(&view, &r, 0, err);
}

/* Score, coverage and imputed share of node k for unit u. */
double ts_lean_score(const ts_lean_result *r, const ts_scenario *s, int k, int u) {
    const ts_node *nd = &s->tax->nodes[k];
    if (nd->indicator >= 0) return s->data->values[(size_t)nd->indicator * (size_t)r->n_units + (size_t)u];
    return r->agg_score[(size_t)r->agg_row[k] * (size_t)r->n_units + (size_t)u];
}

double ts_lean_coverage(const ts_lean_result *r, const ts_scenario *s, int k, int u) {
    const ts_node *nd = &s->tax->nodes[k];
    if (nd->indicator >= 0) return isnan(ts_lean_score(r, s, k, u)) ? 0.0 : 1.0;
    return r->agg_coverage[(size_t)r->agg_row[k] * (size_t)r->n_units + (size_t)u];
}

double ts_lean_imputed_share(const ts_lean_result *r, const ts_scenario *s, int k, int u) {
    const ts_node *nd = &s->tax->nodes[k];
    if (nd->indicator >= 0) return r->imputed[(size_t)nd->indicator * (size_t)r->n_units + (size_t)u] ? 1.0 : 0.0;
    return r->agg_imputed[(size_t)r->agg_row[k] * (size_t)r->n_units + (size_t)u];
}

double ts_lean_reliability(const ts_lean_result *r, const ts_scenario *s, int k, int u) {
    const ts_node *nd = &s->tax->nodes[k];
    size_t n = (size_t)r->n_units;
    if (nd->indicator < 0) return r->agg_reliability[(size_t)r->agg_row[k] * n + (size_t)u];
    if (r->ind_reliability) return r->ind_reliability[(size_t)nd->indicator * n + (size_t)u];
    /* CSV input: no year, estimate or alternative lowers a value (ts_reliability_value) */
    if (isnan(ts_lean_score(r, s, k, u)) || r->imputed[(size_t)nd->indicator * n + (size_t)u]) return 0;
    return ts_reliability_finish(1, 0);
}

/* The lean layout seen through tree_access. */
typedef struct lean_view {
    ts_lean_result *r;
    const ts_scenario *s;
} lean_view;

static double lean_score(const void *ctx, int k, int u) {
    const lean_view *l = ctx;
    return ts_lean_score(l->r, l->s, k, u);
}

static double lean_coverage(const void *ctx, int k, int u) {
    const lean_view *l = ctx;
    return ts_lean_coverage(l->r, l->s, k, u);
}

static double lean_imputed(const void *ctx, int k, int u) {
    const lean_view *l = ctx;
    return ts_lean_imputed_share(l->r, l->s, k, u);
}

static void lean_rows(void *ctx, int k, double **score, double **cov, double **imp) {
    lean_view *l = ctx;
    size_t base = (size_t)l->r->agg_row[k] * (size_t)l->r->n_units;
    *score = l->r->agg_score + base;
    *cov = l->r->agg_coverage + base;
    *imp = l->r->agg_imputed + base;
}

/* aggregate_tree over the lean layout: children come from the normalised
 * values (indicators) or the aggregate rows. */
static int lean_aggregate(const ts_scenario *s, ts_lean_result *r, ts_error *err) {
    lean_view l = {r, s};
    tree_access a = {&l, lean_score, lean_coverage, lean_imputed, lean_rows};
    return aggregate_tree(s, r->n_units, &a, err);
}

/* ---- normalised values and aggregate scores only ------------------------ */

/* The view of ts_score_normalised: indicators from the caller's
 * normalised matrix, aggregates from rows of their own. */
typedef struct values_view {
    const double *normalised;
    const int *agg_row;
    double *score, *cov, *imp;  /* [agg_row * n + u] */
    const unsigned char *imputed;
    const ts_taxonomy *tax;
    int n;
} values_view;

static double values_score(const void *ctx, int k, int u) {
    const values_view *v = ctx;
    const ts_node *nd = &v->tax->nodes[k];
    size_t n = (size_t)v->n;
    if (nd->indicator >= 0) return v->normalised[(size_t)nd->indicator * n + (size_t)u];
    return v->score[(size_t)v->agg_row[k] * n + (size_t)u];
}

static double values_coverage(const void *ctx, int k, int u) {
    const values_view *v = ctx;
    const ts_node *nd = &v->tax->nodes[k];
    if (nd->indicator >= 0) return isnan(values_score(ctx, k, u)) ? 0.0 : 1.0;
    return v->cov[(size_t)v->agg_row[k] * (size_t)v->n + (size_t)u];
}

static double values_imputed(const void *ctx, int k, int u) {
    const values_view *v = ctx;
    const ts_node *nd = &v->tax->nodes[k];
    if (nd->indicator >= 0) return v->imputed[(size_t)nd->indicator * (size_t)v->n + (size_t)u] ? 1.0 : 0.0;
    return v->imp[(size_t)v->agg_row[k] * (size_t)v->n + (size_t)u];
}

static void values_rows(void *ctx, int k, double **score, double **cov, double **imp) {
    values_view *v = ctx;
    size_t base = (size_t)v->agg_row[k] * (size_t)v->n;
    *score = v->score + base;
    *cov = v->cov + base;
    *imp = v->imp + base;
}

int ts_score_normalised(const ts_scenario *s, double *normalised, double *agg_score, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    int n = s->data->n_units, n_agg = 0;
    ts_lean_result lr = {0};
    values_view v = {normalised, NULL, agg_score, NULL, NULL, NULL, t, n};
    int *agg_row = malloc(((size_t)t->n_nodes + 1) * sizeof *agg_row);
    for (int k = 0; agg_row && k < t->n_nodes; k++) agg_row[k] = t->nodes[k].indicator >= 0 ? -1 : n_agg++;
    size_t acells = (size_t)n_agg * (size_t)n + 1;
    lr.n_units = n;
    lr.screened = calloc((size_t)n + 1, 1);
    lr.imputed = calloc((size_t)n * (size_t)t->n_indicators + 1, 1);
    lr.treatment = calloc((size_t)t->n_indicators + 1, sizeof *lr.treatment);
    double *own = agg_score ? NULL : malloc(acells * sizeof *own);
    double *cov = malloc(acells * sizeof *cov), *imp = malloc(acells * sizeof *imp);
    double *scratch = malloc(((size_t)n + 1) * sizeof *scratch);
    int rc = TS_OK;
    if (!agg_row || !lr.screened || !lr.imputed || !lr.treatment || (!agg_score && !own) || !cov || !imp || !scratch)
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (rc == TS_OK) {
        ts_result screen = {0};
        screen.screened = lr.screened;
        screen_units(s, &screen);
        for (int i = 0; i < t->n_indicators && rc == TS_OK; i++)
            rc = lean_prepare(s, &lr, i, scratch, normalised + (size_t)i * (size_t)n, err);
    }
    if (rc == TS_OK) {
        v.agg_row = agg_row;
        v.score = agg_score ? agg_score : own;
        v.cov = cov;
        v.imp = imp;
        v.imputed = lr.imputed;
        tree_access a = {&v, values_score, values_coverage, values_imputed, values_rows};
        rc = aggregate_tree(s, n, &a, err);
    }
    if (rc == TS_OK) rc = check_any_score(s, values_score, &v, err);
    free(agg_row);
    free(lr.screened);
    free(lr.imputed);
    free(lr.treatment);
    free(own);
    free(cov);
    free(imp);
    free(scratch);
    return rc;
}

int ts_score_lean(ts_scenario *s, ts_lean_result **result, ts_error *err) {
    *result = NULL;
    const ts_taxonomy *t = s->tax;
    int n = s->data->n_units, n_agg = 0;
    size_t icells = (size_t)n * (size_t)t->n_indicators + 1;
    size_t present = values_present(s->data); /* counted before the values are consumed */
    ts_lean_result *r = calloc(1, sizeof *r);
    double *scratch = malloc(((size_t)n + 1) * sizeof *scratch), *out = malloc(((size_t)n + 1) * sizeof *out);
    double *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    if (r) {
        r->n_units = n;
        r->n_nodes = t->n_nodes;
        r->n_indicators = t->n_indicators;
        r->screened = calloc((size_t)n + 1, 1);
        r->imputed = calloc(icells, 1);
        r->treatment = calloc((size_t)t->n_indicators + 1, sizeof *r->treatment);
        r->agg_row = malloc(((size_t)t->n_nodes + 1) * sizeof *r->agg_row);
        r->rank = calloc((size_t)n * (size_t)t->n_nodes + 1, sizeof *r->rank);
    }
    if (r && r->agg_row) {
        for (int k = 0; k < t->n_nodes; k++) r->agg_row[k] = t->nodes[k].indicator >= 0 ? -1 : n_agg++;
        size_t acells = (size_t)n_agg * (size_t)n + 1;
        r->agg_score = malloc(acells * sizeof *r->agg_score);
        r->agg_coverage = malloc(acells * sizeof *r->agg_coverage);
        r->agg_imputed = malloc(acells * sizeof *r->agg_imputed);
        r->agg_reliability = calloc(acells, sizeof *r->agg_reliability);
        if (s->data->prov) r->ind_reliability = malloc(icells * sizeof *r->ind_reliability);
    }
    int rc = TS_OK;
    if (!r || !scratch || !out || !tmp || !r->screened || !r->imputed || !r->treatment || !r->agg_row || !r->rank ||
        !r->agg_score || !r->agg_coverage || !r->agg_imputed || !r->agg_reliability ||
        (s->data->prov && !r->ind_reliability))
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    ts_reliability *rl = NULL;
    if (rc == TS_OK) rc = ts_reliability_new(s, &rl, err);
    if (rc == TS_OK) {
        ts_result screen = {0};
        screen.screened = r->screened;
        screen_units(s, &screen);
    }
    /* indicator i is fully prepared from its raw column before that column
       is overwritten by its normalised values */
    for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
        rc = lean_prepare(s, r, i, scratch, out, err);
        if (rc != TS_OK) break;
        /* judged while the raw column is still there; scratch is free again */
        ts_reliability_column(rl, i, s->data->values + (size_t)i * (size_t)n, out, scratch);
        ts_reliability_add(rl, i, scratch, r->agg_reliability, r->agg_row);
        for (int u = 0; r->ind_reliability && u < n; u++)
            r->ind_reliability[(size_t)i * (size_t)n + (size_t)u] = ts_reliability_finish(scratch[u], out[u]);
        memcpy(s->data->values + (size_t)i * (size_t)n, out, (size_t)n * sizeof *out);
    }
    if (rc == TS_OK) rc = lean_aggregate(s, r, err);
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) {
        for (int u = 0; u < n; u++) out[u] = ts_lean_score(r, s, k, u);
        if (ts_rank_values(out, n, 1, tmp) != 0) {
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
            break;
        }
        int *rank = r->rank + (size_t)k * (size_t)n;
        for (int u = 0; u < n; u++) rank[u] = isnan(tmp[u]) ? 0 : (int)tmp[u];
        double *rel = r->agg_row[k] >= 0 ? r->agg_reliability + (size_t)r->agg_row[k] * (size_t)n : NULL;
        for (int u = 0; rel && u < n; u++) rel[u] = ts_reliability_finish(rel[u], out[u]);
    }
    ts_reliability_free(rl);
    free(scratch), free(out), free(tmp);
    if (rc == TS_OK) {
        /* the same error as ts_score's, so that both paths print it */
        int root = ts_taxonomy_root(t), any = 0;
        for (int u = 0; u < n && !any; u++) any = !isnan(ts_lean_score(r, s, root, u));
        if (!any) rc = no_score_error(s, present, err);
    }
    if (rc != TS_OK) {
        ts_lean_result_free(r);
        return ts_status(err);
    }
    *result = r;
    return TS_OK;
}
