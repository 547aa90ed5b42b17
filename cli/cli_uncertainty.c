/* cli_uncertainty.c -- the `uncertainty` subcommand: options, progress
 * bar, and the table, CSV and JSON reports of an analysis. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cliopt.h"
#include "report.h"
#include "store.h"
#include "store_ua.h"
#include "uncertainty.h"

static const char USAGE_UA[] =
    "usage: threatscore uncertainty SCENARIO [options]\n"
    "       threatscore uncertainty --taxonomy T.cfg --data D.csv --vary ... [options]\n"
    "\n"
    "Re-scores SCENARIO N times under what its `uncertainty` group (or --vary)\n"
    "declares uncertain, and reports per unit and node: nominal score and rank,\n"
    "mean and median score, 5th/50th/95th percentile rank and the probability\n"
    "of each risk class. With --sobol, first- and total-order Sobol' indices of\n"
    "each uncertain factor with bootstrap confidence intervals.\n"
    "\n"
    "options:\n"
    "  -N COUNT               replications (default 1000; with --sobol: base\n"
    "                         samples, each costing factors + 2 evaluations)\n"
    "  --seed S               random seed (default 1); same seed, same results\n"
    "                         for any -j\n"
    "  -j N                   threads (default 1)\n"
    "  --vary KEY=VALUE       declare or replace an uncertain factor:\n"
    "                         weights=0.25[:all|indicators|aggregates],\n"
    "                         weights=dirichlet:C[:SEL],\n"
    "                         normalise=minmax:1:100,rank:1:100,\n"
    "                         aggregate=arithmetic,geometric, treat=none,coinr,\n"
    "                         impute=none,mean,median, exclude=one|random:P,\n"
    "                         data=alternatives|F|alternatives:F,\n"
    "                         missing=skip,zero,impute[:all|:IND,...] (how a\n"
    "                         missing value is treated: skipped, zero, imputed;\n"
    "                         zero is for counts of events) (repeatable)\n"
    "  --set KEY=VALUE        override the nominal method (as for score)\n"
    "  --sobol                sensitivity analysis (Saltelli design, Sobol' sequence)\n"
    "  --bootstrap B          bootstrap replicates for Sobol' CIs (default 100)\n"
    "  --nodes all|aggregates|root|ID,...  nodes to report (default all)\n"
    "  --bins S               histogram bins for the median score (default 128)\n"
    "  --db FILE              store the analysis in this SQLite file\n"
    "  --store-samples        with --db, also store every replication's parameters\n"
    "  --format table|csv|json  output format (default table)\n"
    "  -o FILE                write the output to FILE\n"
    "  --taxonomy FILE, --data FILE  analyse a wide CSV against a taxonomy;\n"
    "                         declare factors with --vary\n"
    TS_CSV_OPTIONS_HELP
    "  --quiet                no progress bar\n"
    "\n"
    "With --db, an analysis identical to a stored one (same inputs, methods,\n"
    "factors, seed, N, --sobol, --bootstrap, --bins and reported nodes) is not\n"
    "stored again: it is reported as unchanged and the stored one reused.\n"
    "SCENARIO or --data FILE '-' reads standard input; -o - writes standard output.\n";

typedef ts_cmd ua_cli;

static int print_err(ua_cli *c, const ts_error *err) {
    return ts_cmd_error(c, err);
}

static int usage(ua_cli *c, const char *fmt, const char *arg) {
    return ts_cmd_usage(c, USAGE_UA, fmt, arg);
}

static int parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end || errno) return -1;
    *out = x;
    return 0;
}

/* ---- progress ------------------------------------------------------------ */

typedef struct progress {
    FILE *f;
    int last;
} progress;

static void show_progress(void *ctx, long done, long total) {
    progress *p = ctx;
    int pct = total > 0 ? (int)(100.0 * (double)done / (double)total) : 100;
    if (pct == p->last) return;
    p->last = pct;
    int bar = pct * 40 / 100;
    fprintf(p->f, "\r[%.*s%*s] %3d%% %ld/%ld", bar, "========================================", 40 - bar, "", pct, done,
            total);
    if (done >= total) fputs("\n", p->f);
    fflush(p->f);
}

/* ---- reports ------------------------------------------------------------- */




/* Class names used by tracked nodes, in order of first appearance. */
static int class_names(const ts_scenario *s, const ts_ua_result *r, const char **names, int max) {
    const ts_taxonomy *t = s->tax;
    int m = 0;
    for (int k = 0; k < t->n_nodes; k++) {
        if (!r->tracked[k]) continue;
        for (int c = 0; c < t->nodes[k].n_classes; c++) {
            const char *nm = t->classes[t->nodes[k].first_class + c].name;
            int seen = 0;
            for (int j = 0; j < m && !seen; j++) seen = strcmp(names[j], nm) == 0;
            if (!seen && m < max) names[m++] = nm;
        }
    }
    return m;
}

/* Probability of class name at node k for unit u, NaN when the node has no
 * such class. */
static double class_p(const ts_scenario *s, const ts_ua_result *r, int k, int u, const char *name) {
    const ts_node *nd = &s->tax->nodes[k];
    for (int c = 0; c < nd->n_classes; c++)
        if (strcmp(s->tax->classes[nd->first_class + c].name, name) == 0)
            return r->class_prob[ts_ua_cell(r, k, u) * (size_t)(r->max_classes + 1) + (size_t)c];
    return NAN;
}

static size_t sidx(const ts_ua_result *r, int k, int u, int out, int f) {
    return (ts_ua_cell(r, k, u) * 2 + (size_t)out) * (size_t)r->n_factors + (size_t)f;
}

/* Appends x with two decimals, never "-0.00" (ts_fmt_fixed), right-aligned
 * in width characters. */
static void put_fixed(ts_buf *b, double x, int width) {
    char num[64];
    ts_buf_printf(b, "%*s", width, ts_fmt_fixed(num, sizeof num, x, 2));
}

/* Formats a Sobol' index with its bootstrap interval, "0.12 [0.10, 0.15]";
 * the interval is left out when not estimated (--bootstrap 0), the whole
 * cell is "-" when the index is undefined. Returns buf. */
static char *sobol_cell(char *buf, size_t n, double x, double lo, double hi) {
    char a[32], l[32], h[32];
    if (isnan(x)) snprintf(buf, n, "-");
    else if (isnan(lo) || isnan(hi)) snprintf(buf, n, "%s", ts_fmt_fixed(a, sizeof a, x, 2));
    else
        snprintf(buf, n, "%s [%s, %s]", ts_fmt_fixed(a, sizeof a, x, 2), ts_fmt_fixed(l, sizeof l, lo, 2),
                 ts_fmt_fixed(h, sizeof h, hi, 2));
    return buf;
}

/* Appends the Sobol' table of the score at node k: per unit a row of
 * first-order indices (S1) and one of total-order indices (ST), each with
 * its 95% bootstrap interval; columns sized to their content. */
static void write_sobol_table(ts_buf *b, const ts_scenario *s, const ts_ua_result *r, int k) {
    int n = r->n_units, w_unit = 4;
    int *width = calloc((size_t)r->n_factors + 1, sizeof *width);
    if (!width) {
        b->oom = 1;
        return;
    }
    char cell[128];
    for (int u = 0; u < n; u++)
        if (ts_text_width(s->data->unit_id[u]) > w_unit) w_unit = ts_text_width(s->data->unit_id[u]);
    for (int i = 0; i < r->n_factors; i++) {
        width[i] = ts_text_width(r->factor_name[i]);
        for (int u = 0; u < n; u++) {
            size_t x = sidx(r, k, u, 0, i);
            int w1 = (int)strlen(sobol_cell(cell, sizeof cell, r->s1[x], r->s1_lo[x], r->s1_hi[x]));
            int w2 = (int)strlen(sobol_cell(cell, sizeof cell, r->st[x], r->st_lo[x], r->st_hi[x]));
            if (w1 > width[i]) width[i] = w1;
            if (w2 > width[i]) width[i] = w2;
        }
    }
    ts_buf_printf(b, "\nSobol' indices of the score at %s, each with its 95%% bootstrap confidence interval:\n"
                     "S1 = first order (the factor alone), ST = total order (with its interactions)\n",
                  s->tax->nodes[k].id);
    ts_buf_pad(b, "unit", w_unit);
    ts_buf_puts(b, "  index");
    for (int i = 0; i < r->n_factors; i++) {
        ts_buf_puts(b, "  ");
        ts_buf_pad(b, r->factor_name[i], i + 1 < r->n_factors ? width[i] : 0);
    }
    ts_buf_puts(b, "\n");
    for (int u = 0; u < n; u++)
        for (int row = 0; row < 2; row++) {
            ts_buf_pad(b, row == 0 ? s->data->unit_id[u] : "", w_unit);
            ts_buf_puts(b, row == 0 ? "  S1   " : "  ST   ");
            for (int i = 0; i < r->n_factors; i++) {
                size_t x = sidx(r, k, u, 0, i);
                if (row == 0) sobol_cell(cell, sizeof cell, r->s1[x], r->s1_lo[x], r->s1_hi[x]);
                else sobol_cell(cell, sizeof cell, r->st[x], r->st_lo[x], r->st_hi[x]);
                ts_buf_puts(b, "  ");
                ts_buf_pad(b, cell, i + 1 < r->n_factors ? width[i] : 0);
            }
            ts_buf_puts(b, "\n");
        }
    free(width);
}

static void write_table(ts_buf *b, const ts_scenario *s, const ts_ua_result *r, const ts_ua_options *opt,
                        long long id) {
    const ts_taxonomy *t = s->tax;
    int n = r->n_units, root = ts_taxonomy_root(t);
    char safe[512]; /* names from files reach the terminal without control characters */
    ts_buf_printf(b, "%s: uncertainty analysis, %ld %s, seed %llu, %d unit%s; factors:",
                  ts_term_safe(safe, sizeof safe, s->name), r->n,
                  opt->sobol ? "Sobol' design points" : "replications", (unsigned long long)opt->seed, n,
                  n == 1 ? "" : "s");
    for (int i = 0; i < r->n_factors; i++) ts_buf_printf(b, " %s", r->factor_name[i]);
    ts_buf_printf(b, "\n%ld evaluations in %.3f s (%.0f per second)\n", r->evaluations, r->seconds,
                  r->seconds > 0 ? (double)r->evaluations / r->seconds : 0.0);
    if (id > 0) ts_buf_printf(b, "stored as uncertainty run %lld\n", id);
    if (!r->tracked[root]) {
        ts_buf_puts(b, "(the index is not among the reported nodes; use --format csv)\n");
        return;
    }
    int w_unit = 4, w_name = 4;
    for (int u = 0; u < n; u++) {
        if (ts_text_width(s->data->unit_id[u]) > w_unit) w_unit = ts_text_width(s->data->unit_id[u]);
        int w = s->data->unit_name[u] ? ts_text_width(ts_term_safe(safe, sizeof safe, s->data->unit_name[u])) : 0;
        if (w > w_name) w_name = w;
    }
    const ts_node *rn = &t->nodes[root];
    ts_buf_printf(b, "node %s; score: nominal, mean and median; rank: nominal and 5th/50th/95th percentile;\n"
                     "then the probability of each class\n",
                  rn->id);
    ts_buf_puts(b, "rank  ");
    ts_buf_pad(b, "unit", w_unit);
    ts_buf_puts(b, "  ");
    ts_buf_pad(b, "name", w_name);
    ts_buf_printf(b, " %8s %8s %8s %5s %5s %5s", "nominal", "mean", "median", "p05", "p50", "p95");
    int *w_class = calloc((size_t)rn->n_classes + 1, sizeof *w_class);
    int *order = malloc(((size_t)n + 1) * sizeof *order), *first = calloc((size_t)n + 2, sizeof *first);
    if (!w_class || !order || !first) {
        free(w_class), free(order), free(first);
        b->oom = 1;
        return;
    }
    for (int c = 0; c < rn->n_classes; c++) {
        const char *nm = ts_term_safe(safe, sizeof safe, t->classes[rn->first_class + c].name);
        w_class[c] = ts_text_width(nm) > 6 ? ts_text_width(nm) : 6;
        ts_buf_puts(b, " ");
        ts_buf_printf(b, "%*s", w_class[c] - ts_text_width(nm), "");
        ts_buf_puts(b, nm);
    }
    ts_buf_puts(b, "\n");
    /* units in nominal rank order, tied ranks in unit order: a counting
       sort (a pass over the units for each rank was 10^8 steps for 10,000
       units); first[rank] ends up as the end of that rank's units */
    int ranked = 0;
    for (int u = 0; u < n; u++) {
        int rank = r->nominal_rank[ts_ua_cell(r, root, u)];
        if (rank >= 1 && rank <= n) first[rank + 1]++, ranked++;
    }
    for (int rank = 1; rank <= n; rank++) first[rank + 1] += first[rank];
    for (int u = 0; u < n; u++) {
        int rank = r->nominal_rank[ts_ua_cell(r, root, u)];
        if (rank >= 1 && rank <= n) order[first[rank]++] = u;
    }
    for (int k = 0; k < ranked; k++) {
        int u = order[k], rank = r->nominal_rank[ts_ua_cell(r, root, u)];
        ts_buf_printf(b, "%4d  ", rank);
        ts_buf_pad(b, s->data->unit_id[u], w_unit);
        ts_buf_puts(b, "  ");
        ts_buf_pad(b, s->data->unit_name[u] ? ts_term_safe(safe, sizeof safe, s->data->unit_name[u]) : "", w_name);
        ts_buf_puts(b, " ");
        put_fixed(b, r->nominal_score[ts_ua_cell(r, root, u)], 8);
        ts_buf_puts(b, " ");
        put_fixed(b, r->mean_score[ts_ua_cell(r, root, u)], 8);
        ts_buf_puts(b, " ");
        put_fixed(b, r->median_score[ts_ua_cell(r, root, u)], 8);
        ts_buf_printf(b, " %5.4g %5.4g %5.4g", r->rank_p05[ts_ua_cell(r, root, u)], r->rank_p50[ts_ua_cell(r, root, u)],
                      r->rank_p95[ts_ua_cell(r, root, u)]);
        for (int c = 0; c < rn->n_classes; c++) {
            double p = r->class_prob[ts_ua_cell(r, root, u) * (size_t)(r->max_classes + 1) + (size_t)c];
            char num[32];
            ts_fmt_fixed(num, sizeof num, 100 * p, 1);
            ts_buf_printf(b, " %*s%%", w_class[c] - 1, num);
        }
        ts_buf_puts(b, "\n");
    }
    free(w_class);
    free(order);
    free(first);
    for (int u = 0; u < n; u++)
        if (r->nominal_rank[ts_ua_cell(r, root, u)] == 0)
            ts_buf_printf(b, "   -  %s (no score)\n", s->data->unit_id[u]);
    ts_buf_printf(b, "median score: histogram of %d bins per unit and node (widest bin %.3g); ranks %s\n",
                  opt->score_bins, r->median_resolution, r->rank_bin_width == 1 ? "exact" : "binned");
    if (r->clamped) ts_buf_printf(b, "note: %ld scores fell outside their histogram's range (edge bins)\n", r->clamped);
    if (opt->sobol) write_sobol_table(b, s, r, root);
}

static void csv_num(ts_buf *b, double x) {
    char buf[64];
    ts_buf_puts(b, ",");
    ts_buf_puts(b, ts_fmt_double(buf, sizeof buf, x));
}

static void write_csv(ts_buf *b, const ts_scenario *s, const ts_ua_result *r, const ts_ua_options *opt) {
    const ts_taxonomy *t = s->tax;
    int n = r->n_units;
    const char *names[64];
    int nc = class_names(s, r, names, 64);
    static const char *const outs[] = {"score", "rank"};
    ts_buf_puts(b, "unit,unit_name,node,node_name,depth,nominal_score,nominal_rank,mean_score,median_score,"
                   "rank_p05,rank_p50,rank_p95,scored");
    for (int c = 0; c < nc; c++) {
        char h[200];
        snprintf(h, sizeof h, "p_%s", names[c]);
        ts_buf_puts(b, ",");
        ts_csv_field(b, h);
    }
    if (opt->sobol)
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < r->n_factors; i++)
                ts_buf_printf(b, ",s1_%s_%s,s1_%s_%s_lo,s1_%s_%s_hi,st_%s_%s,st_%s_%s_lo,st_%s_%s_hi", outs[o],
                              r->factor_name[i], outs[o], r->factor_name[i], outs[o], r->factor_name[i], outs[o],
                              r->factor_name[i], outs[o], r->factor_name[i], outs[o], r->factor_name[i]);
    ts_buf_puts(b, "\n");
    int *order = malloc((size_t)t->n_nodes * sizeof *order);
    if (!order) {
        b->oom = 1;
        return;
    }
    ts_taxonomy_preorder(t, order);
    for (int u = 0; u < n; u++)
        for (int j = 0; j < t->n_nodes; j++) {
            int k = order[j];
            if (!r->tracked[k]) continue;
            const ts_node *nd = &t->nodes[k];
            ts_csv_field(b, s->data->unit_id[u]);
            ts_buf_puts(b, ",");
            ts_csv_field(b, s->data->unit_name[u] ? s->data->unit_name[u] : "");
            ts_buf_puts(b, ",");
            ts_csv_field(b, nd->id);
            ts_buf_puts(b, ",");
            ts_csv_field(b, nd->name ? nd->name : "");
            ts_buf_printf(b, ",%d", nd->depth);
            csv_num(b, r->nominal_score[ts_ua_cell(r, k, u)]);
            int rk = r->nominal_rank[ts_ua_cell(r, k, u)];
            if (rk > 0) ts_buf_printf(b, ",%d", rk);
            else ts_buf_puts(b, ",");
            csv_num(b, r->mean_score[ts_ua_cell(r, k, u)]);
            csv_num(b, r->median_score[ts_ua_cell(r, k, u)]);
            csv_num(b, r->rank_p05[ts_ua_cell(r, k, u)]);
            csv_num(b, r->rank_p50[ts_ua_cell(r, k, u)]);
            csv_num(b, r->rank_p95[ts_ua_cell(r, k, u)]);
            csv_num(b, r->scored[ts_ua_cell(r, k, u)]);
            for (int c = 0; c < nc; c++) csv_num(b, class_p(s, r, k, u, names[c]));
            if (opt->sobol)
                for (int o = 0; o < 2; o++)
                    for (int i = 0; i < r->n_factors; i++) {
                        size_t x = sidx(r, k, u, o, i);
                        csv_num(b, r->s1[x]);
                        csv_num(b, r->s1_lo[x]);
                        csv_num(b, r->s1_hi[x]);
                        csv_num(b, r->st[x]);
                        csv_num(b, r->st_lo[x]);
                        csv_num(b, r->st_hi[x]);
                    }
            ts_buf_puts(b, "\n");
        }
    free(order);
}

static void json_kv(ts_buf *b, const char *key, double x) {
    ts_buf_printf(b, ",\"%s\":", key);
    ts_buf_json_number(b, x);
}

static void write_json(ts_buf *b, const ts_scenario *s, const ts_ua_spec *spec, const ts_ua_result *r,
                       const ts_ua_options *opt, long long id) {
    const ts_taxonomy *t = s->tax;
    int n = r->n_units;
    ts_buf_puts(b, "{\"scenario\":");
    ts_buf_json_string(b, s->name);
    ts_buf_printf(b, ",\"run_id\":%lld,\"seed\":%llu,\"n\":%ld,\"evaluations\":%ld,\"sobol\":%s", id,
                  (unsigned long long)opt->seed, r->n, r->evaluations, opt->sobol ? "true" : "false");
    json_kv(b, "seconds", r->seconds);
    ts_buf_puts(b, ",\"percentiles\":\"type 7 (linear interpolation between order statistics, numpy's default)\"");
    json_kv(b, "median_resolution", r->median_resolution);
    ts_buf_printf(b, ",\"rank_bin_width\":%d,\"clamped\":%ld,\"spec\":", r->rank_bin_width, r->clamped);
    ts_ua_spec_json(spec, s, b);
    ts_buf_puts(b, ",\"factors\":[");
    for (int i = 0; i < r->n_factors; i++) {
        if (i) ts_buf_puts(b, ",");
        ts_buf_json_string(b, r->factor_name[i]);
    }
    ts_buf_puts(b, "],\"results\":[");
    int first = 1;
    for (int u = 0; u < n; u++)
        for (int k = 0; k < t->n_nodes; k++) {
            if (!r->tracked[k]) continue;
            const ts_node *nd = &t->nodes[k];
            ts_buf_puts(b, first ? "\n{\"unit\":" : ",\n{\"unit\":");
            first = 0;
            ts_buf_json_string(b, s->data->unit_id[u]);
            ts_buf_puts(b, ",\"node\":");
            ts_buf_json_string(b, nd->id);
            json_kv(b, "nominal_score", r->nominal_score[ts_ua_cell(r, k, u)]);
            int rk = r->nominal_rank[ts_ua_cell(r, k, u)];
            if (rk > 0) ts_buf_printf(b, ",\"nominal_rank\":%d", rk);
            else ts_buf_puts(b, ",\"nominal_rank\":null");
            json_kv(b, "mean_score", r->mean_score[ts_ua_cell(r, k, u)]);
            json_kv(b, "median_score", r->median_score[ts_ua_cell(r, k, u)]);
            json_kv(b, "rank_p05", r->rank_p05[ts_ua_cell(r, k, u)]);
            json_kv(b, "rank_p50", r->rank_p50[ts_ua_cell(r, k, u)]);
            json_kv(b, "rank_p95", r->rank_p95[ts_ua_cell(r, k, u)]);
            json_kv(b, "scored", r->scored[ts_ua_cell(r, k, u)]);
            ts_buf_puts(b, ",\"classes\":{");
            for (int c = 0; c < nd->n_classes; c++) {
                if (c) ts_buf_puts(b, ",");
                ts_buf_json_string(b, t->classes[nd->first_class + c].name);
                ts_buf_puts(b, ":");
                ts_buf_json_number(b, r->class_prob[ts_ua_cell(r, k, u) * (size_t)(r->max_classes + 1) + (size_t)c]);
            }
            ts_buf_puts(b, "}");
            int has = 0;
            for (int o = 0; o < 2 && opt->sobol && r->s1; o++)
                for (int i = 0; i < r->n_factors; i++) has |= !isnan(r->st[sidx(r, k, u, o, i)]) || !isnan(r->s1[sidx(r, k, u, o, i)]);
            if (has) {
                ts_buf_puts(b, ",\"sobol\":{");
                static const char *const outs[] = {"score", "rank"};
                for (int o = 0; o < 2; o++) {
                    ts_buf_printf(b, "%s\"%s\":{", o ? "," : "", outs[o]);
                    for (int i = 0; i < r->n_factors; i++) {
                        size_t x = sidx(r, k, u, o, i);
                        if (i) ts_buf_puts(b, ",");
                        ts_buf_json_string(b, r->factor_name[i]);
                        ts_buf_puts(b, ":{\"s1\":");
                        ts_buf_json_number(b, r->s1[x]);
                        ts_buf_puts(b, ",\"s1_ci\":[");
                        ts_buf_json_number(b, r->s1_lo[x]);
                        ts_buf_puts(b, ",");
                        ts_buf_json_number(b, r->s1_hi[x]);
                        ts_buf_puts(b, "],\"st\":");
                        ts_buf_json_number(b, r->st[x]);
                        ts_buf_puts(b, ",\"st_ci\":[");
                        ts_buf_json_number(b, r->st_lo[x]);
                        ts_buf_puts(b, ",");
                        ts_buf_json_number(b, r->st_hi[x]);
                        ts_buf_puts(b, "]}");
                    }
                    ts_buf_puts(b, "}");
                }
                ts_buf_puts(b, "}");
            }
            ts_buf_puts(b, "}");
        }
    ts_buf_puts(b, "\n]}\n");
}

/* Parses --nodes into a per-node mask (NULL for all). */
static int parse_nodes(ua_cli *c, const ts_scenario *s, const char *v, unsigned char **out) {
    const ts_taxonomy *t = s->tax;
    *out = NULL;
    if (!v || strcmp(v, "all") == 0) return 0;
    unsigned char *m = calloc((size_t)t->n_nodes + 1, 1);
    if (!m) return ts_cmd_oom(c);
    if (strcmp(v, "aggregates") == 0) {
        for (int k = 0; k < t->n_nodes; k++) m[k] = t->nodes[k].n_children > 0;
    } else if (strcmp(v, "root") == 0) {
        m[ts_taxonomy_root(t)] = 1;
    } else {
        char *buf = strdup(v);
        if (!buf) {
            free(m);
            return ts_cmd_oom(c);
        }
        for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
            int k = ts_taxonomy_find(t, p);
            if (k < 0) {
                fprintf(c->errs, "%s: --nodes: unknown node '%s'\n", c->prog, p);
                free(buf);
                free(m);
                return EXIT_USAGE;
            }
            m[k] = 1;
        }
        free(buf);
    }
    *out = m;
    return 0;
}

/* What the command line asks for. */
typedef struct ua_args {
    ts_ua_options opt;
    const char *scenario, *db, *out_path, *nodes, *taxonomy, *data;
    const char *sets[64], *varies[64];
    int n_sets, n_varies, quiet, store_samples;
    ts_format fmt;
    ts_csv_args csv;
} ua_args;

/* Parses the command line into *a. Returns EXIT_OK, -1 after printing the
 * help, or the usage exit status after printing why. */
static int parse_args(ua_cli *c, int argc, char **argv, ua_args *a) {
    ts_ua_options_default(&a->opt);
    a->fmt = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        int missing = 0, rc;
        const char *v;
        long x;
        if (ts_csv_args_parse(c, USAGE_UA, argc, argv, &i, &a->csv, &rc)) {
            if (rc) return rc;
        } else if (ts_is_help(argv[i])) {
            fputs(USAGE_UA, c->out);
            return -1;
        } else if ((v = ts_opt_value(argc, argv, &i, "-N", &missing))) {
            if (parse_long(v, &x) || x < 1) return usage(c, "-N takes a count >= 1, not '%s'", v);
            a->opt.n = x;
        } else if ((v = ts_opt_value(argc, argv, &i, "--seed", &missing))) {
            char *end;
            errno = 0;
            unsigned long long sd = strtoull(v, &end, 10);
            if (end == v || *end || errno || v[0] == '-') return usage(c, "--seed takes a non-negative integer, not '%s'", v);
            a->opt.seed = sd;
        } else if ((v = ts_opt_value(argc, argv, &i, "-j", &missing))) {
            if (parse_long(v, &x) || x < 1 || x > 256) return usage(c, "-j takes 1 to 256 threads, not '%s'", v);
            a->opt.threads = (int)x;
        } else if ((v = ts_opt_value(argc, argv, &i, "--bootstrap", &missing))) {
            if (parse_long(v, &x) || x < 0 || x > 10000) return usage(c, "--bootstrap takes 0 to 10000, not '%s'", v);
            a->opt.bootstrap = (int)x;
        } else if ((v = ts_opt_value(argc, argv, &i, "--bins", &missing))) {
            if (parse_long(v, &x) || x < 2 || x > 100000) return usage(c, "--bins takes 2 to 100000, not '%s'", v);
            a->opt.score_bins = (int)x;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            a->db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--taxonomy", &missing))) {
            a->taxonomy = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--data", &missing))) {
            a->data = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--nodes", &missing))) {
            a->nodes = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            a->out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &a->fmt)) return usage(c, "unknown format '%s' (table, csv or json)", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            if (!strchr(v, '=') || v[0] == '=' || a->n_sets == 64) return usage(c, "--set takes KEY=VALUE, not '%s'", v);
            a->sets[a->n_sets++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--vary", &missing))) {
            if (!strchr(v, '=') || v[0] == '=' || a->n_varies == 64)
                return usage(c, "--vary takes KEY=VALUE, not '%s'", v);
            a->varies[a->n_varies++] = v;
        } else if (strcmp(argv[i], "--sobol") == 0) {
            a->opt.sobol = 1;
        } else if (strcmp(argv[i], "--store-samples") == 0) {
            a->store_samples = 1;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            a->quiet = 1;
        } else if (missing) {
            return usage(c, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage(c, "unknown option '%s'", argv[i]);
        } else if (!a->scenario) {
            a->scenario = argv[i];
        } else {
            return usage(c, "unexpected argument '%s'", argv[i]);
        }
    }
    if (a->scenario && (a->taxonomy || a->data))
        return usage(c, "give a SCENARIO or --taxonomy with --data, not both%s", "");
    if (!a->scenario && !(a->taxonomy && a->data))
        return usage(c, "uncertainty needs a %s, or --taxonomy and --data", "SCENARIO");
    if (a->scenario && a->csv.given) return usage(c, "CSV options need --taxonomy and --data%s", "");
    if (a->store_samples && !a->db) return usage(c, "--store-samples needs --db%s", "");
    return EXIT_OK;
}

/* Applies --set and --vary to s and its uncertainty spec (loaded into
 * *spec). Returns EXIT_OK or the exit status after printing the error. */
static int apply_args(ua_cli *c, const ua_args *a, ts_scenario *s, ts_ua_spec **spec) {
    ts_error err;
    ts_error_clear(&err);
    for (int i = 0; i < a->n_sets; i++) {
        const char *eq = strchr(a->sets[i], '=');
        char key[128], where[300];
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
        snprintf(where, sizeof where, "--set %s", a->sets[i]);
        if (ts_scenario_set(s, key, eq + 1, where, &err)) {
            err.code = TS_EUSAGE;
            return print_err(c, &err);
        }
    }
    if (ts_ua_spec_load(s, spec, &err)) return print_err(c, &err);
    for (int i = 0; i < a->n_varies; i++) {
        const char *eq = strchr(a->varies[i], '=');
        char key[128], where[300];
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->varies[i]), a->varies[i]);
        snprintf(where, sizeof where, "--vary %s", a->varies[i]);
        if (ts_ua_spec_vary(*spec, s, key, eq + 1, where, &err)) {
            err.code = TS_EUSAGE;
            return print_err(c, &err);
        }
    }
    return EXIT_OK;
}

/* Appends the report of analysis r (stored as id, 0 when not) in a->fmt
 * to b. Returns the exit status (out of memory). */
static int render_report(ua_cli *c, const ua_args *a, const ts_scenario *s, const ts_ua_spec *spec,
                         const ts_ua_result *r, long long id, ts_buf *b) {
    if (a->fmt == TS_FORMAT_TABLE) write_table(b, s, r, &a->opt, id);
    else if (a->fmt == TS_FORMAT_CSV) write_csv(b, s, r, &a->opt);
    else write_json(b, s, spec, r, &a->opt, id);
    return b->oom ? ts_cmd_oom(c) : EXIT_OK;
}

/* Saves analysis r to a->db when asked and writes its report. The
 * analysis is committed only once the report is written to the output,
 * which is held until ts_cmd_close_output (the -o file's temporary, or
 * standard output's): a report that fails, out of memory included, leaves
 * no analysis, and an analysis that cannot be committed no report.
 * Returns the exit status. */
static int store_and_report(ua_cli *c, const ua_args *a, const ts_scenario *s, const ts_ua_spec *spec,
                            const ts_ua_result *r, const char *input) {
    ts_outfile tmp;
    FILE *f = ts_cmd_open_output(c, a->out_path, &tmp);
    if (!f) return EXIT_SYSTEM;
    ts_error err;
    ts_error_clear(&err);
    ts_store *st = NULL;
    long long id = 0;
    int rc = EXIT_OK, reused = 0;
    if (a->db && (ts_store_open(a->db, &st, &err) || ts_store_begin(st, 0, &err) ||
                  ts_ua_save_or_reuse(st, s, spec, &a->opt, r, a->store_samples, &id, &reused, &err)))
        rc = print_err(c, &err);
    ts_buf b = {0};
    if (rc == EXIT_OK) rc = render_report(c, a, s, spec, r, id, &b);
    if (rc == EXIT_OK && b.len && fwrite(b.data, 1, b.len, f) != b.len)
        rc = print_err(c, (ts_fail(&err, TS_ESYSTEM, a->out_path, 0, "cannot write: %s", ts_errstr(errno)), &err));
    ts_buf_free(&b);
    if (rc == EXIT_OK && st && ts_store_commit(st, &err)) rc = print_err(c, &err);
    if (rc != EXIT_OK) ts_store_rollback(st);
    ts_store_close(st);
    if (rc == EXIT_OK && reused) fprintf(c->errs, "%s: %s: unchanged, uncertainty run %lld reused\n", c->prog, input, id);
    int crc = ts_cmd_close_output(c, f, a->out_path, &tmp, rc == EXIT_OK);
    return rc != EXIT_OK ? rc : crc;
}

int ts_cli_uncertainty(int argc, char **argv, FILE *out, FILE *errs) {
    ua_cli c = {out, errs, "threatscore"};
    ua_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(&c, argc, argv, &a);
    if (rc != EXIT_OK) {
        ts_csv_args_free(&a.csv);
        return rc < 0 ? EXIT_OK : rc;
    }
    /* neither -o nor --db may name a file the analysis reads */
    const ts_cmd_input inputs[] = {{a.scenario, "the scenario", 0}, {a.taxonomy, "the taxonomy", 0},
                                   {a.data, "the data file", 0}, {a.db, "the database", 1}};
    if (ts_cmd_check_output(&c, "-o", a.out_path, inputs, 4) != EXIT_OK ||
        ts_cmd_check_output(&c, "--db", a.db, inputs, 3) != EXIT_OK) {
        ts_csv_args_free(&a.csv);
        return EXIT_USAGE;
    }
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_file_arg in;
    rc = a.scenario ? ts_cmd_load_scenario(&c, a.scenario, &in, &s)
                    : ts_cmd_load_csv(&c, a.taxonomy, a.data, &a.csv, &in, &s);
    if (rc == EXIT_OK && (ts_cmd_check_output_scenario(&c, "-o", a.out_path, s) ||
                          ts_cmd_check_output_scenario(&c, "--db", a.db, s)))
        rc = EXIT_USAGE;
    ts_ua_spec *spec = NULL;
    if (rc == EXIT_OK) rc = apply_args(&c, &a, s, &spec);
    unsigned char *track = NULL;
    if (rc == EXIT_OK) rc = parse_nodes(&c, s, a.nodes, &track);
    a.opt.track = track;
    progress pg = {errs, -1};
    if (!a.quiet && isatty(fileno(errs))) {
        a.opt.progress = show_progress;
        a.opt.progress_ctx = &pg;
    }
    ts_ua_result *r = NULL;
    if (rc == EXIT_OK && ts_ua_run(s, spec, &a.opt, &r, &err)) rc = print_err(&c, &err);
    if (rc == EXIT_OK) rc = store_and_report(&c, &a, s, spec, r, in.path);
    ts_ua_result_free(r);
    free(track);
    ts_ua_spec_free(spec);
    ts_scenario_free(s);
    ts_file_arg_free(&in);
    ts_csv_args_free(&a.csv);
    return rc;
}
