/* audit_write.c -- writing an audit: the long CSV, JSON with the same rows,
 * or tables by section with the findings spelt out. */
#include "audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The id in the with column: another node, a reference series, or "". */
static const char *with_id(const ts_scenario *s, const ts_audit *a, const ts_audit_row *r) {
    if (r->with_node >= 0) return s->tax->nodes[r->with_node].id;
    if (r->with_ref >= 0) return a->refs->series[r->with_ref].id;
    return "";
}

/* Appends the names of the flags, separated by sep. */
static void flag_list(ts_buf *b, unsigned flags, const char *sep) {
    int first = 1;
    for (int f = 0; f < TS_AFLAG_COUNT; f++)
        if (flags & (1u << f)) {
            ts_buf_printf(b, "%s%s", first ? "" : sep, ts_audit_flag_name(f));
            first = 0;
        }
}

/* Appends the long CSV: a header, then one row per statistic. */
static void write_csv(ts_buf *b, const ts_scenario *s, const ts_audit *a) {
    char num[40];
    ts_buf_puts(b, "node,statistic,with,value,n,flag\n");
    for (int i = 0; i < a->n_rows; i++) {
        const ts_audit_row *r = &a->rows[i];
        ts_csv_field(b, s->tax->nodes[r->node].id);
        ts_buf_printf(b, ",%s,", ts_audit_stat_name(r->stat));
        ts_csv_field(b, with_id(s, a, r));
        ts_buf_printf(b, ",%s,%d,", ts_fmt_double(num, sizeof num, r->value), r->n);
        flag_list(b, r->flags, ";");
        ts_buf_puts(b, "\n");
    }
}

/* Appends the JSON object: scenario, node, years, references, rows. */
static void write_json(ts_buf *b, const ts_scenario *s, const ts_audit *a) {
    const ts_taxonomy *t = s->tax;
    ts_buf_puts(b, "{\"scenario\":");
    ts_buf_json_string(b, s->name);
    ts_buf_puts(b, ",\"node\":");
    ts_buf_json_string(b, t->nodes[a->top].id);
    ts_buf_printf(b, ",\"pooled\":%s,\"years\":[", a->opt.pooled ? "true" : "false");
    for (int y = 0; y < a->n_years; y++) ts_buf_printf(b, "%s%d", y ? "," : "", a->years[y]);
    ts_buf_printf(b, "],\"units\":%d,\"observations\":%d,\"references\":[", a->n_units, a->n_obs);
    for (int q = 0; q < a->refs->n; q++) {
        const ts_ref_series *sr = &a->refs->series[q];
        ts_buf_puts(b, q ? ",{\"id\":" : "{\"id\":");
        ts_buf_json_string(b, sr->id);
        ts_buf_puts(b, ",\"name\":");
        ts_buf_json_string(b, sr->name);
        ts_buf_puts(b, ",\"node\":");
        ts_buf_json_string(b, t->nodes[sr->node].id);
        ts_buf_printf(b, ",\"direction\":\"%s\"}", sr->direction > 0 ? "risk" : "protective");
    }
    ts_buf_puts(b, "],\"rows\":[");
    for (int i = 0; i < a->n_rows; i++) {
        const ts_audit_row *r = &a->rows[i];
        ts_buf_puts(b, i ? ",\n{\"node\":" : "\n{\"node\":");
        ts_buf_json_string(b, t->nodes[r->node].id);
        ts_buf_printf(b, ",\"statistic\":\"%s\",\"with\":", ts_audit_stat_name(r->stat));
        if (r->with_node < 0 && r->with_ref < 0) ts_buf_puts(b, "null");
        else ts_buf_json_string(b, with_id(s, a, r));
        ts_buf_puts(b, ",\"value\":");
        ts_buf_json_number(b, r->value);
        ts_buf_printf(b, ",\"n\":%d,\"flags\":[", r->n);
        int first = 1;
        for (int f = 0; f < TS_AFLAG_COUNT; f++)
            if (r->flags & (1u << f)) {
                ts_buf_printf(b, "%s\"%s\"", first ? "" : ",", ts_audit_flag_name(f));
                first = 0;
            }
        ts_buf_puts(b, "]}");
    }
    ts_buf_puts(b, "\n]}\n");
}

/* ---- tables -------------------------------------------------------------- */

/* Copies s into out with control characters replaced, cut to width. */
static const char *cell(const char *s, char *out, size_t n, int width) {
    size_t k = 0;
    for (; *s && k + 1 < n && (int)k < width; s++) out[k++] = ((unsigned char)*s < 0x20 || *s == 0x7F) ? ' ' : *s;
    out[k] = '\0';
    return out;
}

/* Appends x in a column of width, '-' when undefined. */
static void num(ts_buf *b, double x, int width, int prec) {
    if (isnan(x)) ts_buf_printf(b, " %*s", width, "-");
    else ts_buf_printf(b, " %*.*f", width, prec, x);
}

/* n with a star when it is below 10. */
static void count(ts_buf *b, int n) {
    ts_buf_printf(b, " %4d%s", n, n < 10 ? "*" : " ");
}

/* Returns the value (and n) of a row without a reference; NaN (and 0)
 * when there is none. flags_of: its flags. */
static double value_of(const ts_audit *a, int k, ts_audit_stat st, int with_node, int *n) {
    const ts_audit_row *r = ts_audit_find(a, k, st, with_node, -1);
    if (n) *n = r ? r->n : 0;
    return r ? r->value : NAN;
}

static unsigned flags_of(const ts_audit *a, int k, ts_audit_stat st, int with_node) {
    const ts_audit_row *r = ts_audit_find(a, k, st, with_node, -1);
    return r ? r->flags : 0;
}

/* Flags worth a column: all but small_n, which the star shows. */
static void flag_cell(ts_buf *b, unsigned flags) {
    ts_buf_puts(b, "  ");
    flag_list(b, flags & ~(unsigned)TS_AFLAG_SMALL_N, ",");
}

/* The audited nodes in pre-order, and each one's depth below the top. */
static int audited(const ts_scenario *s, const ts_audit *a, int *order) {
    const ts_taxonomy *t = s->tax;
    int n = 0;
    ts_taxonomy_preorder(t, order);
    for (int j = 0; j < t->n_nodes; j++)
        for (int k = order[j]; k >= 0; k = t->nodes[k].parent)
            if (k == a->top) {
                order[n++] = order[j];
                break;
            }
    return n;
}

/* The table of every node's statistics, indented by depth. */
static void table_stats(ts_buf *b, const ts_scenario *s, const ts_audit *a, const int *order, int n_order) {
    const ts_taxonomy *t = s->tax;
    char c1[128];
    ts_buf_puts(b, "\nStatistics of every node (as COINr's get_stats; outlier: |skew| > 2 and kurtosis > 3.5)\n");
    ts_buf_printf(b, "%-26s %5s  %7s %8s %8s %8s %8s %7s %7s %6s  %s\n", "node", "n", "missing", "min", "max", "mean",
                  "sd", "skew", "kurt", "unique", "flags");
    int base = t->nodes[a->top].depth;
    for (int j = 0; j < n_order; j++) {
        int k = order[j], n;
        char id[200];
        int indent = t->nodes[k].depth - base;
        snprintf(id, sizeof id, "%*s%s", 2 * (indent < 16 ? indent : 16), "", cell(t->nodes[k].id, c1, sizeof c1, 64));
        ts_buf_printf(b, "%-26.26s", id);
        double nv = value_of(a, k, TS_AUDIT_N, -1, &n);
        count(b, (int)nv);
        num(b, value_of(a, k, TS_AUDIT_MISSING, -1, NULL), 7, 2);
        num(b, value_of(a, k, TS_AUDIT_MIN, -1, NULL), 8, 3);
        num(b, value_of(a, k, TS_AUDIT_MAX, -1, NULL), 8, 3);
        num(b, value_of(a, k, TS_AUDIT_MEAN, -1, NULL), 8, 3);
        num(b, value_of(a, k, TS_AUDIT_SD, -1, NULL), 8, 3);
        num(b, value_of(a, k, TS_AUDIT_SKEW, -1, NULL), 7, 2);
        num(b, value_of(a, k, TS_AUDIT_KURTOSIS, -1, NULL), 7, 2);
        num(b, value_of(a, k, TS_AUDIT_UNIQUE, -1, NULL), 6, 2);
        flag_cell(b, flags_of(a, k, TS_AUDIT_OUTLIER, -1) & (TS_AFLAG_OUTLIER | TS_AFLAG_CONSTANT));
        ts_buf_puts(b, "\n");
    }
}

/* The block of aggregate k: alpha, pca1, its children's rows and their
 * correlation matrix. */
static void table_aggregate(ts_buf *b, const ts_scenario *s, const ts_audit *a, int k) {
    const ts_taxonomy *t = s->tax;
    const ts_node *nd = &t->nodes[k];
    char c1[128], c2[32];
    int na, np;
    double alpha = value_of(a, k, TS_AUDIT_ALPHA, -1, &na), pca = value_of(a, k, TS_AUDIT_PCA1, -1, &np);
    ts_buf_printf(b, "\n%s (%d children): alpha ", cell(nd->id, c1, sizeof c1, 64), nd->n_children);
    if (isnan(alpha)) ts_buf_puts(b, "-");
    else ts_buf_printf(b, "%.3f", alpha);
    ts_buf_printf(b, " (n %d%s), pca1 ", na, na < 10 ? "*" : "");
    if (isnan(pca)) ts_buf_puts(b, "-");
    else ts_buf_printf(b, "%.3f", pca);
    ts_buf_printf(b, " (n %d%s)\n", np, np < 10 ? "*" : "");
    ts_buf_printf(b, "  %-22s %8s %10s %5s  %7s  %-30s %s\n", "child", "r_parent", "rho_parent", "n", "loading",
                  "closest other aggregate (r)", "flags");
    for (int c = 0; c < nd->n_children; c++) {
        int ch = t->children[nd->first_child + c], n;
        ts_buf_printf(b, "  %-22.22s", cell(t->nodes[ch].id, c1, sizeof c1, 64));
        num(b, value_of(a, ch, TS_AUDIT_R_PARENT, k, &n), 8, 3);
        num(b, value_of(a, ch, TS_AUDIT_RHO_PARENT, k, NULL), 10, 3);
        count(b, n);
        num(b, value_of(a, ch, TS_AUDIT_LOADING, k, NULL), 7, 3);
        const ts_audit_row *other = NULL;
        for (int i = 0; i < a->n_rows && !other; i++)
            if (a->rows[i].node == ch && a->rows[i].stat == TS_AUDIT_R_OTHER) other = &a->rows[i];
        char oc[96] = "";
        if (other) snprintf(oc, sizeof oc, "%s %.3f", cell(t->nodes[other->with_node].id, c2, sizeof c2, 22), other->value);
        ts_buf_printf(b, "  %-30s", oc);
        /* an undefined loading shows as '-': its flag is the component's */
        flag_cell(b, flags_of(a, ch, TS_AUDIT_R_PARENT, k) | (other ? other->flags : 0));
        ts_buf_puts(b, "\n");
    }
    /* the matrix of the children: Pearson below the diagonal, Spearman above */
    int lo = a->n_obs, hi = 0;
    ts_buf_puts(b, "  correlations between the children (Pearson below the diagonal, Spearman above):\n");
    ts_buf_printf(b, "  %-26s", "");
    for (int c = 0; c < nd->n_children; c++) ts_buf_printf(b, " %6d", c + 1);
    ts_buf_puts(b, "\n");
    for (int i = 0; i < nd->n_children; i++) {
        int x = t->children[nd->first_child + i];
        ts_buf_printf(b, "  %2d %-23.23s", i + 1, cell(t->nodes[x].id, c1, sizeof c1, 64));
        for (int j = 0; j < nd->n_children; j++) {
            int y = t->children[nd->first_child + j], n;
            if (i == j) {
                ts_buf_printf(b, " %6s", "");
                continue;
            }
            /* the pair is stored once, from the earlier child */
            int first = i < j ? x : y, second = i < j ? y : x;
            double v = value_of(a, first, i > j ? TS_AUDIT_R : TS_AUDIT_RHO, second, &n);
            num(b, v, 6, 2);
            if (n < lo) lo = n;
            if (n > hi) hi = n;
        }
        ts_buf_puts(b, "\n");
    }
    if (lo == hi) ts_buf_printf(b, "  (n %d%s)\n", lo, lo < 10 ? "*" : "");
    else if (lo < hi) ts_buf_printf(b, "  (n %d to %d%s)\n", lo, hi, lo < 10 ? "*" : "");
}

/* The table of effective influence at the audited node. */
static void table_influence(ts_buf *b, const ts_scenario *s, const ts_audit *a, const int *order, int n_order) {
    const ts_taxonomy *t = s->tax;
    char c1[128];
    int top = a->top;
    ts_buf_printf(b, "\nEffective influence on %s (Paruolo, Saisana and Saltelli 2013): the nominal effective weight\n"
                     "beside S_i, the squared correlation ratio of %s on the indicator, here estimated by its\n"
                     "linear special case, the squared Pearson correlation r_index^2 (with so few points a\n"
                     "nonparametric fit would follow noise); share = S_i / sum of S_j, to compare with the weight.\n",
                  cell(t->nodes[top].id, c1, sizeof c1, 64), t->nodes[top].id);
    ts_buf_printf(b, "  %-22s %8s %8s %8s %8s %8s %5s  %s\n", "indicator", "weight", "r_index", "S_i", "share",
                  "sh/wt", "n", "flags");
    for (int j = 0; j < n_order; j++) {
        int k = order[j], n;
        if (t->nodes[k].indicator < 0 || k == top) continue;
        double w = value_of(a, k, TS_AUDIT_EFF_WEIGHT, top, NULL), sh = value_of(a, k, TS_AUDIT_INFLUENCE_SHARE, top, &n);
        ts_buf_printf(b, "  %-22.22s", cell(t->nodes[k].id, c1, sizeof c1, 64));
        num(b, w, 8, 4);
        num(b, value_of(a, k, TS_AUDIT_R_INDEX, top, NULL), 8, 3);
        num(b, value_of(a, k, TS_AUDIT_INFLUENCE, top, NULL), 8, 3);
        num(b, sh, 8, 4);
        num(b, w > 0 ? sh / w : NAN, 8, 2);
        count(b, n);
        flag_cell(b, flags_of(a, k, TS_AUDIT_INFLUENCE_SHARE, top) | flags_of(a, k, TS_AUDIT_R_INDEX, top));
        ts_buf_puts(b, "\n");
    }
}

/* The table of agreement with the reference series. */
static void table_references(ts_buf *b, const ts_scenario *s, const ts_audit *a) {
    const ts_taxonomy *t = s->tax;
    char c1[128], c2[128];
    int any = 0;
    for (int i = 0; i < a->n_rows; i++) any |= a->rows[i].stat == TS_AUDIT_REF_RHO;
    if (!any) {
        ts_buf_puts(b, "\nNo reference series (a `references` list in the scenario) to compare with.\n");
        return;
    }
    ts_buf_puts(b, "\nAgreement with reference series (rho: Spearman's rank correlation; r: Pearson)\n");
    ts_buf_printf(b, "  %-16s %-34s %-14s %7s %7s %5s  %s\n", "reference", "name", "node", "rho", "r", "n", "flags");
    for (int i = 0; i < a->n_rows; i++) {
        const ts_audit_row *r = &a->rows[i];
        if (r->stat != TS_AUDIT_REF_RHO) continue;
        const ts_ref_series *sr = &a->refs->series[r->with_ref];
        const ts_audit_row *pr = ts_audit_find(a, r->node, TS_AUDIT_REF_R, -1, r->with_ref);
        ts_buf_printf(b, "  %-16.16s %-34.34s %-14.14s", cell(sr->id, c1, sizeof c1, 64), cell(sr->name, c2, sizeof c2, 64),
                      t->nodes[r->node].id);
        num(b, r->value, 7, 3);
        num(b, pr ? pr->value : NAN, 7, 3);
        count(b, r->n);
        flag_cell(b, r->flags | (pr ? pr->flags : 0));
        ts_buf_puts(b, "\n");
    }
}

/* The flagged rows in words, grouped by what they say. */
static void table_findings(ts_buf *b, const ts_scenario *s, const ts_audit *a, const int *order, int n_order) {
    const ts_taxonomy *t = s->tax;
    int printed = 0;
    ts_buf_puts(b, "\nFindings\n");
    /* coherence, by the usual 0.7 rule for alpha */
    for (int pass = 0; pass < 2; pass++) {
        int any = 0;
        for (int j = 0; j < n_order; j++) {
            int k = order[j], n;
            double alpha = value_of(a, k, TS_AUDIT_ALPHA, -1, &n);
            if (isnan(alpha) || (pass == 0) != (alpha >= 0.7)) continue;
            ts_buf_printf(b, "%s%s %.2f", any ? ", " : pass == 0 ? "  coherent (alpha >= 0.7): " : "  alpha < 0.7: ",
                          t->nodes[k].id, alpha);
            any = printed = 1;
        }
        if (any) ts_buf_puts(b, "\n");
    }
    for (int i = 0; i < a->n_rows; i++) {
        const ts_audit_row *r = &a->rows[i];
        const char *id = t->nodes[r->node].id, *w = r->with_node >= 0 ? t->nodes[r->with_node].id : "";
        const char *star = r->n < 10 ? "*" : "";
        if (r->stat == TS_AUDIT_R && (r->flags & TS_AFLAG_COLLINEAR))
            ts_buf_printf(b, "  collinear: %s and %s, r = %.3f (n %d%s): one may be redundant\n", id, w, r->value, r->n, star);
        else if (r->stat == TS_AUDIT_R && (r->flags & TS_AFLAG_NEGATIVE))
            ts_buf_printf(b, "  negative between siblings: %s and %s, r = %.3f (n %d%s)\n", id, w, r->value, r->n, star);
        else if (r->stat == TS_AUDIT_R_PARENT && (r->flags & TS_AFLAG_NEGATIVE))
            ts_buf_printf(b, "  pulls against its group: %s with %s, r = %.3f (n %d%s)\n", id, w, r->value, r->n, star);
        else if (r->stat == TS_AUDIT_R_PARENT && (r->flags & TS_AFLAG_WEAK))
            ts_buf_printf(b, "  barely related to its group: %s with %s, r = %.3f (n %d%s)\n", id, w, r->value, r->n, star);
        else if (r->stat == TS_AUDIT_R_OTHER && (r->flags & TS_AFLAG_OTHER_GROUP))
            ts_buf_printf(b, "  closer to another aggregate: %s follows %s (r = %.3f) more than %s (r = %.3f) (n %d%s)\n", id,
                          w, r->value, t->nodes[t->nodes[r->node].parent].id,
                          value_of(a, r->node, TS_AUDIT_R_PARENT, t->nodes[r->node].parent, NULL), r->n, star);
        else if (r->stat == TS_AUDIT_OUTLIER && (r->flags & TS_AFLAG_OUTLIER))
            ts_buf_printf(b, "  outliers: %s (skew %.2f, kurtosis %.2f, n %d%s)\n", id,
                          value_of(a, r->node, TS_AUDIT_SKEW, -1, NULL), value_of(a, r->node, TS_AUDIT_KURTOSIS, -1, NULL),
                          r->n, star);
        else if (r->stat == TS_AUDIT_OUTLIER && (r->flags & TS_AFLAG_CONSTANT))
            ts_buf_printf(b, "  constant: %s has one value over its %d observations: it cannot discriminate\n", id, r->n);
        else if (r->stat == TS_AUDIT_INFLUENCE_SHARE && (r->flags & (TS_AFLAG_INFLUENCE_HIGH | TS_AFLAG_INFLUENCE_LOW)))
            ts_buf_printf(b, "  influence %s its weight: %s, share %.3f against weight %.3f (n %d%s)\n",
                          r->flags & TS_AFLAG_INFLUENCE_HIGH ? "above" : "below", id, r->value,
                          value_of(a, r->node, TS_AUDIT_EFF_WEIGHT, r->with_node, NULL), r->n, star);
        else if (r->stat == TS_AUDIT_REF_RHO && (r->flags & TS_AFLAG_DISAGREES))
            ts_buf_printf(b, "  disagrees with reference %s: rho = %.3f (n %d%s)\n", a->refs->series[r->with_ref].id,
                          r->value, r->n, star);
        else continue;
        printed = 1;
    }
    if (!printed) ts_buf_puts(b, "  nothing flagged\n");
}

/* Appends the tables; order has room for every node. */
static void write_table(ts_buf *b, const ts_scenario *s, const ts_audit *a, int *order) {
    const ts_taxonomy *t = s->tax;
    char c1[128], c2[128], c3[128];
    int n_order = audited(s, a, order);
    const ts_node *top = &t->nodes[a->top];
    ts_buf_printf(b, "Audit of \"%s\" at %s \"%s\"\n", cell(s->name, c1, sizeof c1, 80), cell(top->id, c2, sizeof c2, 64),
                  cell(top->name ? top->name : top->id, c3, sizeof c3, 80));
    if (a->opt.pooled) {
        ts_buf_printf(b, "%d units x %d years pooled (", a->n_units, a->n_years);
        for (int y = 0; y < a->n_years; y++) ts_buf_printf(b, "%s%d", y ? ", " : "", a->years[y]);
        ts_buf_printf(b, "): %d observations\n", a->n_obs);
    } else if (a->years[0] > 0) {
        ts_buf_printf(b, "%d units in %d: %d observations (--pooled pools every year)\n", a->n_units, a->years[0], a->n_obs);
    } else {
        ts_buf_printf(b, "%d units, latest values: %d observations (--pooled pools every year)\n", a->n_units, a->n_obs);
    }
    ts_buf_puts(b, "On the normalised values and the scores the aggregation uses; every statistic with its n.\n");
    int small = 0;
    for (int i = 0; i < a->n_rows; i++) small |= (a->rows[i].flags & TS_AFLAG_SMALL_N) != 0;
    if (small) ts_buf_puts(b, "* n < 10: with so few observations these statistics are fragile; read them as hints.\n");
    table_stats(b, s, a, order, n_order);
    ts_buf_puts(b, "\nCoherence of each aggregate's children (alpha: Cronbach's, complete cases; pca1: share of\n"
                   "variance of the first principal component of their correlation matrix; loading: the\n"
                   "child's part of that component)\n");
    for (int j = 0; j < n_order; j++)
        if (t->nodes[order[j]].n_children >= 2) table_aggregate(b, s, a, order[j]);
    table_influence(b, s, a, order, n_order);
    table_references(b, s, a);
    table_findings(b, s, a, order, n_order);
}

int ts_audit_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_audit *a, ts_error *err) {
    ts_buf b = {0};
    int *order = NULL;
    if (fmt == TS_FORMAT_CSV) write_csv(&b, s, a);
    else if (fmt == TS_FORMAT_JSON) write_json(&b, s, a);
    else if ((order = malloc((size_t)s->tax->n_nodes * sizeof *order))) write_table(&b, s, a, order);
    else b.oom = 1;
    free(order);
    int rc = TS_OK;
    if (b.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else if (b.len && fwrite(b.data, 1, b.len, f) != b.len) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "write failed");
    ts_buf_free(&b);
    return rc;
}
