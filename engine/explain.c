/* explain.c -- why a unit scores what it does at a node: the contribution
 * trace (trace.c) of a live result, with each indicator's provenance. */
#include "explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Traces unit u of r to node k into x (rows and split sized by the caller).
 * Returns 0, or -1 when out of memory. */
static int trace_into(const ts_scenario *s, const ts_result *r, int u, int k, ts_explain *x) {
    const ts_taxonomy *t = s->tax;
    size_t n = (size_t)t->n_nodes + 1;
    int *parent = malloc(n * sizeof *parent);
    unsigned char *arithmetic = malloc(n);
    double *weight = malloc(n * sizeof *weight), *score = malloc(n * sizeof *score);
    ts_trace *tr = NULL;
    int rc = -1;
    if (parent && arithmetic && weight && score) {
        /* a taxonomy's children are in index order (post-order), as the trace visits them */
        for (int j = 0; j < t->n_nodes; j++) {
            parent[j] = t->nodes[j].parent;
            arithmetic[j] = s->spec->agg[j].method == TS_AGG_ARITHMETIC;
            weight[j] = ts_spec_weight(s->spec, u, j);
            score[j] = ts_result_score(r, j, u);
        }
        tr = ts_trace_new(t->n_nodes, parent, arithmetic);
    }
    if (tr) {
        ts_trace_unit(tr, k, weight, score);
        for (int i = 0; i < tr->n_subtree; i++) {
            int j = tr->subtree[i];
            if (t->nodes[j].indicator < 0) continue;
            ts_explain_row *row = &x->rows[x->n_rows++];
            row->node = j;
            row->weight = weight[j];
            row->effective_weight = tr->effective_weight[j];
            row->contribution = tr->contribution[j]; /* the rest: judge_rows */
        }
        for (int i = 0; i < tr->n_split; i++) x->split[x->n_split++] = tr->split[i];
        rc = 0;
    }
    ts_trace_free(tr);
    free(parent), free(arithmetic), free(weight), free(score);
    return rc;
}

/* Fills each row's reliability: its value's quality, nominal weight and
 * loss (reliability.h). Returns TS_OK or TS_ESYSTEM. */
static int judge_rows(const ts_scenario *s, const ts_result *r, ts_explain *x, ts_error *err) {
    ts_reliability *rl;
    int rc = ts_reliability_new(s, &rl, err);
    if (rc != TS_OK) return rc;
    size_t n = (size_t)s->data->n_units;
    for (int j = 0; j < x->n_rows; j++) {
        ts_explain_row *row = &x->rows[j];
        int i = s->tax->nodes[row->node].indicator;
        ts_reliability_value(rl, i, x->unit, s->data->values + (size_t)i * n, r->normalised + (size_t)i * n,
                             &row->quality);
        row->nominal_weight = ts_reliability_weight(rl, i, x->node, x->unit);
        row->reliability_loss = 10 * row->nominal_weight * (1 - row->quality.quality);
    }
    x->reliability = ts_result_reliability(r, x->node, x->unit);
    ts_reliability_free(rl);
    return TS_OK;
}

int ts_explain_unit(const ts_scenario *s, const ts_result *r, int u, int k, ts_explain **out, ts_error *err) {
    *out = NULL;
    ts_explain *x = calloc(1, sizeof *x);
    int n = s->tax->nodes[k].n_leaves;
    if (x) {
        x->unit = u;
        x->node = k;
        x->rows = calloc((size_t)n, sizeof *x->rows);
        x->split = calloc((size_t)s->tax->n_nodes, sizeof *x->split);
    }
    if (!x || !x->rows || !x->split || trace_into(s, r, u, k, x)) {
        ts_explain_free(x);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    if (judge_rows(s, r, x, err) != TS_OK) {
        ts_explain_free(x);
        return ts_status(err);
    }
    *out = x;
    return TS_OK;
}

void ts_explain_free(ts_explain *x) {
    if (!x) return;
    free(x->rows);
    free(x->split);
    free(x);
}

/* Path of node k below node top, "a/b/k". */
static void node_path(const ts_taxonomy *t, int top, int k, ts_buf *b) {
    if (k == top || k < 0) return;
    const ts_node *nd = &t->nodes[k];
    if (nd->parent != top) {
        node_path(t, top, nd->parent, b);
        ts_buf_puts(b, "/");
    }
    ts_buf_puts(b, nd->id);
}

static const ts_provenance *prov_of(const ts_scenario *s, int i, int u) {
    return s->data->prov ? &s->data->prov[(size_t)i * (size_t)s->data->n_units + (size_t)u] : NULL;
}

/* Source shown for a value: its own, or the indicator's for CSV input. */
static const char *source_of(const ts_scenario *s, int k, int u) {
    const ts_node *nd = &s->tax->nodes[k];
    const ts_provenance *p = prov_of(s, nd->indicator, u);
    if (p && p->source) return p->source;
    return nd->source ? nd->source : "";
}

static int write_csv(FILE *f, const ts_scenario *s, const ts_result *r, const ts_explain *x, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    ts_buf b = {0};
    char num[40];
    ts_buf_puts(&b, "indicator,name,path,raw,source,year,estimate,note,shock,transform,transformed,"
                    "normalised,weight,effective_weight,contribution,nominal_weight,quality,reliability_loss,"
                    "lowered_by\n");
    for (int j = 0; j < x->n_rows; j++) {
        const ts_explain_row *row = &x->rows[j];
        const ts_node *nd = &t->nodes[row->node];
        int i = nd->indicator;
        size_t c = (size_t)i * (size_t)s->data->n_units + (size_t)x->unit;
        const ts_provenance *p = prov_of(s, i, x->unit);
        double raw = s->data->values[c];
        ts_csv_field(&b, nd->id);
        ts_buf_puts(&b, ",");
        ts_csv_field(&b, nd->name);
        ts_buf_puts(&b, ",");
        ts_buf path = {0};
        node_path(t, x->node, row->node, &path);
        ts_csv_field(&b, path.data ? path.data : "");
        ts_buf_free(&path);
        ts_buf_printf(&b, ",%s,", ts_fmt_double(num, sizeof num, raw));
        ts_csv_field(&b, isnan(raw) ? "" : source_of(s, row->node, x->unit));
        if (p && p->year && !isnan(raw)) ts_buf_printf(&b, ",%d,", p->year);
        else ts_buf_puts(&b, ",,");
        ts_buf_puts(&b, p && (p->flags & TS_VALUE_ESTIMATE) ? "yes," : ",");
        ts_csv_field(&b, p && p->note ? p->note : "");
        ts_buf_puts(&b, ",");
        ts_csv_field(&b, p && p->shock ? p->shock : "");
        ts_buf_printf(&b, ",%s,", ts_transform_name(nd->transform.method));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, r->transformed[c]));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, r->normalised[c]));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, row->weight));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, row->effective_weight));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, row->contribution));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, row->nominal_weight));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, row->quality.quality));
        ts_buf_printf(&b, "%s,", ts_fmt_double(num, sizeof num, row->reliability_loss));
        ts_buf why = {0};
        ts_value_quality_describe(&row->quality, &why);
        ts_csv_field(&b, why.data ? why.data : "");
        if (why.oom) b.oom = 1;
        ts_buf_free(&why);
        ts_buf_puts(&b, "\n");
    }
    int rc = TS_OK;
    if (b.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else if (b.len && fwrite(b.data, 1, b.len, f) != b.len) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "write failed");
    ts_buf_free(&b);
    return rc;
}

/* Copies s into out with control characters replaced, cut to width. */
static const char *cell(const char *s, char *out, size_t n, int width) {
    size_t k = 0;
    for (; *s && k + 1 < n && (int)k < width; s++) out[k++] = ((unsigned char)*s < 0x20 || *s == 0x7F) ? ' ' : *s;
    if (*s && k >= 3 && (int)k == width) memcpy(out + k - 3, "...", 3);
    out[k] = '\0';
    return out;
}

static void fmt_num(ts_buf *b, double x, int width, int prec) {
    if (isnan(x)) ts_buf_printf(b, " %*s", width, "-");
    else ts_buf_printf(b, " %*.*f", width, prec, x);
}

/* Appends the reliability section of the table: the node's reliability
 * and the indicators that lower it, the costliest first. */
static void write_reliability(ts_buf *b, const ts_taxonomy *t, const ts_explain *x) {
    int *order = malloc(((size_t)x->n_rows + 1) * sizeof *order), n = 0;
    if (!order) {
        b->oom = 1;
        return;
    }
    for (int j = 0; j < x->n_rows; j++)
        if (x->rows[j].reliability_loss > 0) order[n++] = j;
    for (int i = 1; i < n; i++) /* insertion sort: stable, and rows are few */
        for (int j = i; j > 0 && x->rows[order[j]].reliability_loss > x->rows[order[j - 1]].reliability_loss; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    ts_buf_printf(b, "\nreliability %.1f of 10", x->reliability);
    if (n == 0) ts_buf_puts(b, ": every value complete, current, single-source and measured\n");
    else ts_buf_puts(b, "; lowered by (points lost = 10 x nominal weight x (1 - quality)):\n");
    char c1[64];
    for (int i = 0; i < n; i++) {
        const ts_explain_row *row = &x->rows[order[i]];
        ts_buf_printf(b, "  %-22s %6.3f  weight %5.3f  quality %4.2f  ", cell(t->nodes[row->node].id, c1, sizeof c1, 22),
                      -row->reliability_loss, row->nominal_weight, row->quality.quality);
        ts_value_quality_describe(&row->quality, b);
        ts_buf_puts(b, "\n");
    }
    free(order);
}

static int write_table(FILE *f, const ts_scenario *s, const ts_result *r, const ts_explain *x, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    const ts_node *top = &t->nodes[x->node];
    double score = ts_result_score(r, x->node, x->unit);
    const char *cls = ts_taxonomy_class(t, x->node, score);
    int ranked = 0;
    for (int u = 0; u < d->n_units; u++) ranked += ts_result_rank(r, x->node, u) > 0;
    ts_buf b = {0};
    char c1[256], c2[256], c3[256];
    ts_buf_printf(&b, "%s (%s) at %s \"%s\" in scenario \"%s\"\n", cell(d->unit_name[x->unit], c1, sizeof c1, 80),
                  d->unit_id[x->unit], top->id, cell(top->name, c2, sizeof c2, 80), cell(s->name, c3, sizeof c3, 80));
    if (isnan(score)) ts_buf_puts(&b, "score: none (no data under this node)\n");
    else
        ts_buf_printf(&b, "score %.4g, rank %d of %d, class %s, coverage %.0f%%, reliability %.1f\n", score,
                      ts_result_rank(r, x->node, x->unit), ranked, cls ? cls : "-",
                      100 * ts_result_coverage(r, x->node, x->unit), x->reliability);
    if (x->n_split == 0) {
        ts_buf_puts(&b, "Every node on the way is an arithmetic mean: contribution = effective weight x normalised,\n"
                        "and the contributions add up to the score.\n");
    } else {
        ts_buf_puts(&b, "Non-arithmetic nodes on the way (");
        for (int i = 0; i < x->n_split; i++)
            ts_buf_printf(&b, "%s%s: %s", i ? ", " : "", t->nodes[x->split[i]].id, ts_agg_name(s->spec->agg[x->split[i]].method));
        ts_buf_puts(&b, ") split their score among their children in proportion to\n"
                        "weight x value, so the contributions still add up to the score.\n");
    }
    ts_buf_printf(&b, "\n%-22s %11s %5s  %-36s %11s %10s %7s %9s %12s\n", "indicator", "raw", "year", "source",
                  "transformed", "normalised", "weight", "eff.wt", "contribution");
    double sum = 0;
    for (int j = 0; j < x->n_rows; j++) {
        const ts_explain_row *row = &x->rows[j];
        const ts_node *nd = &t->nodes[row->node];
        size_t c = (size_t)nd->indicator * (size_t)d->n_units + (size_t)x->unit;
        const ts_provenance *p = prov_of(s, nd->indicator, x->unit);
        double raw = d->values[c];
        ts_buf_printf(&b, "%-22s", cell(nd->id, c1, sizeof c1, 22));
        if (isnan(raw)) ts_buf_printf(&b, " %11s", "missing");
        else ts_buf_printf(&b, " %11.4g", raw);
        if (p && p->year && !isnan(raw)) ts_buf_printf(&b, " %5d", p->year);
        else ts_buf_printf(&b, " %5s", "");
        const char *src = isnan(raw) ? "" : source_of(s, row->node, x->unit);
        char flagged[300];
        unsigned char sel = d->selected ? d->selected[c] : TS_SELECT_EXACT;
        snprintf(flagged, sizeof flagged, "%s%s%s%s", p && (p->flags & TS_VALUE_ESTIMATE) ? "[estimate] " : "",
                 p && (p->flags & TS_VALUE_SHOCKED) ? "[shocked] " : "",
                 isnan(raw) ? "" : sel == TS_SELECT_CARRIED ? "[carried] " : sel == TS_SELECT_INTERPOLATED ? "[interpolated] " : "",
                 src);
        ts_buf_printf(&b, "  %-36s", cell(flagged, c2, sizeof c2, 36));
        if (nd->transform.method == TS_TRANSFORM_NONE) ts_buf_printf(&b, " %11s", "");
        else fmt_num(&b, r->transformed[c], 11, 4);
        fmt_num(&b, r->normalised[c], 10, 4);
        fmt_num(&b, row->weight, 7, 3);
        fmt_num(&b, row->effective_weight, 9, 4);
        fmt_num(&b, row->contribution, 12, 4);
        ts_buf_puts(&b, "\n");
        if (!isnan(row->contribution)) sum += row->contribution;
    }
    ts_buf_printf(&b, "%-22s %11s %5s  %-36s %11s %10s %7s %9s %12.4f\n", "sum", "", "", "", "", "", "", "", sum);
    write_reliability(&b, t, x);
    int rc = TS_OK;
    if (b.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else if (fwrite(b.data, 1, b.len, f) != b.len) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "write failed");
    ts_buf_free(&b);
    return rc;
}

int ts_explain_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_result *r,
                     const ts_explain *x, ts_error *err) {
    if (fmt == TS_FORMAT_CSV) return write_csv(f, s, r, x, err);
    return write_table(f, s, r, x, err);
}

void ts_effective_weights(const ts_scenario *s, int u, double *out) {
    const ts_taxonomy *t = s->tax;
    for (int i = 0; i < t->n_indicators; i++) {
        double w = 1;
        for (int k = t->indicator_node[i]; t->nodes[k].parent >= 0; k = t->nodes[k].parent) {
            const ts_node *up = &t->nodes[t->nodes[k].parent];
            double sum = 0;
            for (int c = 0; c < up->n_children; c++) {
                int sib = t->children[up->first_child + c];
                sum += u < 0 ? s->spec->weight[sib] : ts_spec_weight(s->spec, u, sib);
            }
            w *= (u < 0 ? s->spec->weight[k] : ts_spec_weight(s->spec, u, k)) / sum;
        }
        out[i] = w;
    }
}
