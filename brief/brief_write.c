/* brief_write.c -- the briefing report as HTML: the page, its print style
 * sheet and one function per section. All text goes through ts_html_escape. */
#include "brief_parts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "plot.h"

/* The page's style: screen and print (A4, a page per section, rows and
 * figures kept whole, table headers repeated on every page). */
static const char STYLE[] =
    "@page{size:A4;margin:13mm 12mm 15mm 12mm}\n"
    "*{box-sizing:border-box}\n"
    "body{font:10pt/1.4 'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#1d1d1d;background:#fff;"
    "max-width:186mm;margin:0 auto;padding:6mm 0 12mm}\n"
    "h1{font-size:19pt;margin:0 0 2pt;line-height:1.15}\n"
    "h2{font-size:14pt;margin:0 0 6pt;padding-bottom:2pt;border-bottom:2px solid #1d1d1d}\n"
    "h3{font-size:11.5pt;margin:12pt 0 3pt}\n"
    "h4{font-size:9.5pt;margin:8pt 0 2pt;color:#444}\n"
    "p{margin:3pt 0 6pt}\n"
    "section{margin-top:14pt}\n"
    ".kicker{text-transform:uppercase;letter-spacing:.08em;font-size:8pt;color:#666;margin:0}\n"
    ".lead{font-size:11pt;margin:4pt 0 8pt}\n"
    ".muted,.id{color:#666}\n"
    ".id{font-size:85%;font-weight:normal}\n"
    ".small{font-size:8pt}\n"
    ".note{font-size:8.5pt;color:#444;border-left:3px solid #bbb;padding:2pt 6pt;margin:4pt 0 8pt}\n"
    ".warn{border-left-color:#d73027}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:1pt 10pt;font-size:8.5pt;margin:6pt 0}\n"
    "dl.meta dt{color:#666}dl.meta dd{margin:0;overflow-wrap:anywhere}\n"
    "nav ol{columns:2;font-size:9pt;margin:4pt 0;padding-left:16pt}\n"
    "nav a{color:#1d1d1d}\n"
    ".keypoints{background:#f4f4f1;border:1px solid #ddd;padding:5pt 10pt;margin:8pt 0}\n"
    ".keypoints ul{margin:2pt 0;padding-left:14pt}\n"
    "table{border-collapse:collapse;width:100%;font-size:8.5pt;margin:3pt 0 9pt}\n"
    "th,td{border-bottom:1px solid #d8d8d8;padding:1.6pt 4pt;text-align:left;vertical-align:top}\n"
    "th{font-weight:bold;border-bottom:1.5px solid #555;background:#f4f4f1}\n"
    "thead{display:table-header-group}\n"
    "tr,figure,.keep{break-inside:avoid;page-break-inside:avoid}\n"
    ".num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "tr.group th{background:#e6e6e0;text-align:left;font-size:9pt;border-top:1.5px solid #555}\n"
    "tr.ind td{background:#fafaf7;font-weight:bold;border-bottom:1px solid #bbb;break-after:avoid;"
    "page-break-after:avoid}\n"
    "td.src{overflow-wrap:anywhere;font-size:7.8pt}\n"
    "table.values,table.fixed{table-layout:fixed}\n"
    ".num.wrap{white-space:normal}.nowrap{white-space:nowrap}\n"
    "td.key{font-weight:bold;overflow-wrap:anywhere}\n"
    "table.register{font-size:7.6pt;table-layout:fixed}\n"
    "table.prov{table-layout:fixed}table.prov th{width:19mm;background:none;border-bottom:1px solid #d8d8d8}\n"
    "sup.mk{font-size:6.5pt;font-weight:bold;color:#8a4b00;margin-left:1pt}\n"
    "td.flags{font-size:7.8pt;color:#333;overflow-wrap:anywhere}\n"
    ".mono{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:7.2pt;overflow-wrap:anywhere;"
    "word-break:break-all}\n"
    ".cls{display:inline-block;padding:0 4pt;border-radius:3pt;font-size:8pt;white-space:nowrap;"
    "border:1px solid rgba(0,0,0,.15)}\n"
    ".flag{display:inline-block;padding:0 3pt;margin:0 2pt 1pt 0;border-radius:2pt;background:#eee;"
    "font-size:7.5pt;white-space:nowrap}\n"
    ".flag.est{background:#fde9c8}.flag.imp{background:#e3e0f3}.flag.car{background:#dcecf7}"
    ".flag.shk{background:#f8d6d3}.flag.alt{background:#def0d8}\n"
    ".up{color:#b2182b}.down{color:#1a7a3a}\n"
    "figure{margin:6pt 0 10pt}\n"
    "figure svg{display:block;width:100%;height:auto;max-height:125mm}\n"
    "figcaption{font-size:8pt;color:#555;margin-top:2pt}\n"
    ".nochart{border:1px dashed #999;padding:8pt;color:#555;font-size:9pt}\n"
    "article.country{border-top:1px solid #bbb;padding-top:2pt;margin-top:10pt;break-inside:avoid;"
    "page-break-inside:avoid}\n"
    "h2,h3,h4,.lead-in{break-after:avoid;page-break-after:avoid}\n"
    "article.country h3{margin-top:4pt}\n"
    "@media print{\n"
    " body{padding:0;max-width:none}\n"
    " section{break-before:page;page-break-before:always;margin-top:0}\n"
    " main>section:first-of-type{break-before:auto;page-break-before:auto;margin-top:14pt}\n"
    " nav a{text-decoration:none}\n"
    " .keypoints{background:none}\n"
    " th,tr.group th,tr.ind td{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    " .cls,.flag{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "}\n";

/* Class colours from the lowest class to the highest (as the charts). */
static const unsigned CLASS_RAMP[] = {0x1a9850, 0x91cf60, 0xfee08b, 0xfc8d59, 0xd73027};

/* ---- classes ------------------------------------------------------------ */

/* The class names seen at the root of every run in the report, ordered by
 * the lowest score that has each: the order of the taxonomy's classes. */
typedef struct class_order {
    int n;
    const char *name[16];
    double min[16];
} class_order;

/* Adds the classes r has at its root, each with the lowest score that has it. */
static void classes_add(class_order *co, const ts_stored_run *r) {
    int k = ts_brief_root(r);
    for (int u = 0; u < r->n_units; u++) {
        const char *c = r->cls[bp_cell(r, u, k)];
        double x = r->score[bp_cell(r, u, k)];
        if (!c || isnan(x)) continue;
        int j = 0;
        while (j < co->n && strcmp(co->name[j], c) != 0) j++;
        if (j == co->n) {
            if (co->n == 16) continue;
            co->name[co->n] = c;
            co->min[co->n++] = x;
        } else if (x < co->min[j]) {
            co->min[j] = x;
        }
    }
}

/* Orders the classes by their lowest score. */
static void classes_sort(class_order *co) {
    for (int i = 1; i < co->n; i++)
        for (int j = i; j > 0 && co->min[j] < co->min[j - 1]; j--) {
            const char *tn = co->name[j];
            double tm = co->min[j];
            co->name[j] = co->name[j - 1], co->min[j] = co->min[j - 1];
            co->name[j - 1] = tn, co->min[j - 1] = tm;
        }
}

/* Writes a class as a coloured badge ("–" for none), in the colour the
 * charts give it (kinds.c's class_colour: the five usual names by name,
 * others by their place among the classes). */
static void class_badge(ts_buf *h, const class_order *co, const char *c) {
    static const char *const KNOWN[] = {"very low", "low", "medium", "high", "very high"};
    if (!c) {
        ts_buf_puts(h, "\xe2\x80\x93");
        return;
    }
    int j = 0;
    while (j < co->n && strcmp(co->name[j], c) != 0) j++;
    unsigned colour = 0xeeeeee;
    int known = -1;
    for (int i = 0; i < 5 && known < 0; i++)
        if (strcasecmp(c, KNOWN[i]) == 0) known = i;
    if (known >= 0) colour = CLASS_RAMP[known];
    else if (j < co->n) colour = CLASS_RAMP[co->n <= 1 ? 4 : (int)lround((double)j * 4.0 / (double)(co->n - 1))];
    int dark = colour == 0x1a9850 || colour == 0xd73027;
    ts_buf_printf(h, "<span class=\"cls\" style=\"background:#%06x;color:%s\">", colour, dark ? "#fff" : "#111");
    bp_esc(h, c);
    ts_buf_puts(h, "</span>");
}

/* ---- charts --------------------------------------------------------------- */

/* Draws one chart of kind through plots/ and writes it as a figure, or a
 * visible note saying why it is not there. runs are run (or analysis)
 * ids; caption is plain text. A chart not drawn for lack of memory sets
 * h->oom instead: the page would be another page, and ts_brief_html then
 * fails with out of memory. */
static void chart(ts_brief *b, ts_buf *h, ts_plot_kind kind, const long long *ids, int n_ids, const char *caption) {
    const char *name = ts_plot_kind_name(kind);
    if (b->opt->no_charts) {
        ts_buf_printf(h, "<p class=\"nochart\">The %s chart is not drawn (charts were turned off).</p>\n", name);
        return;
    }
    char specs[64][24];
    const char *runs[64];
    int n = n_ids < 64 ? n_ids : 64;
    for (int i = 0; i < n; i++) {
        snprintf(specs[i], sizeof specs[i], "%lld", ids[i]);
        runs[i] = specs[i];
    }
    ts_plot_request req = {.kind = kind, .runs = runs, .n_runs = n};
    char ref[24];
    if (kind == TS_PLOT_COMPARE && n > 0) { /* the reference first, then the compared runs */
        snprintf(ref, sizeof ref, "%s", specs[0]);
        req.reference = ref;
        req.runs = runs + 1;
        req.n_runs = n - 1;
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, "c%d-", ++b->chart_count);
    ts_plot_svg_options so = {1000, 600, 12, prefix};
    ts_buf svg = {0};
    ts_error err;
    ts_error_clear(&err);
    int drawn = ts_plot_svg(b->opt->db, &req, &so, b->opt->gnuplot, &svg, &err) == TS_OK;
    if (!drawn && ts_error_oom(&err)) {
        h->oom = 1;
    } else if (!drawn) {
        ts_buf_printf(h, "<p class=\"nochart\">The %s chart could not be drawn: ", name);
        bp_esc(h, err.message);
        ts_buf_puts(h, "</p>\n");
        if (b->warnings) ts_buf_printf(b->warnings, "%s chart not drawn: %s\n", name, err.message);
    } else {
        ts_buf_printf(h, "<figure class=\"chart\" id=\"chart-%s\">\n", name);
        ts_buf_append(h, svg.data, svg.len);
        ts_buf_puts(h, "\n<figcaption>");
        bp_esc(h, caption);
        ts_buf_puts(h, "</figcaption></figure>\n");
    }
    ts_buf_free(&svg);
}

/* ---- the comparison --------------------------------------------------------- */

/* Returns the comparison row of compared run i (1-based index in b->runs)
 * at node id and unit id, or NULL. */
static const ts_compare_row *compare_row(const ts_brief *b, int i, const char *node, const char *unit) {
    if (!b->cmp) return NULL;
    for (int j = 0; j < b->cmp->n_rows; j++) {
        const ts_compare_row *row = &b->cmp->rows[j];
        if (row->run == i - 1 && strcmp(row->node, node) == 0 && strcmp(row->unit, unit) == 0) return row;
    }
    return NULL;
}

/* Writes a rank change: ▲2 (two places closer to rank 1, more risk), ▼1, = . */
static void rank_change(ts_buf *h, const ts_compare_row *row) {
    if (!row || !row->has_rank_change) ts_buf_puts(h, "\xe2\x80\x93");
    else if (row->rank_change > 0) ts_buf_printf(h, "<span class=\"up\">\xe2\x96\xb2%d</span>", row->rank_change);
    else if (row->rank_change < 0) ts_buf_printf(h, "<span class=\"down\">\xe2\x96\xbc%d</span>", -row->rank_change);
    else ts_buf_puts(h, "=");
}

/* Writes a delta coloured by its direction (more risk red). */
static void delta(ts_buf *h, double d) {
    const char *cls = !isfinite(d) || fabs(d) < 0.005 ? "" : d > 0 ? "up" : "down";
    ts_buf_printf(h, "<span class=\"%s\">", cls);
    bp_signed_num(h, d, 2);
    ts_buf_puts(h, "</span>");
}

/* Counts the nodes whose weight for unit id differs in run i from the
 * reference's (a perspective or a scenario's weights). */
static int weights_changed(const ts_brief *b, int i, const char *unit) {
    const ts_stored_run *ref = b->runs[0].r, *x = b->runs[i].r;
    int ur = ts_stored_run_unit(ref, unit), ux = ts_stored_run_unit(x, unit), n = 0;
    if (ur < 0 || ux < 0) return 0;
    for (int k = 0; k < x->n_nodes; k++) {
        int kr = ts_stored_run_node(ref, x->nodes[k].id);
        if (kr >= 0 && ts_stored_run_weight(ref, ur, kr) != ts_stored_run_weight(x, ux, k)) n++;
    }
    return n;
}

/* Writes "inputs / weights" changed in run i for unit id. */
static void changes(ts_buf *h, const ts_brief *b, int i, const char *unit) {
    ts_buf_printf(h, "%d / %d", bp_inputs_changed(b, i, unit), weights_changed(b, i, unit));
}

/* Writes the (at most max) dimensions of unit that move most in compared
 * run i, as "Name +0.42"; "–" when none moves. */
static void largest_moves(ts_buf *h, const ts_brief *b, int i, const char *unit, int max) {
    const ts_stored_run *x = b->runs[i].r;
    int root = ts_brief_root(x), shown = 0, used[64] = {0};
    for (int m = 0; m < max; m++) {
        const ts_compare_row *best = NULL;
        int best_k = -1;
        for (int k = 0; k < x->n_nodes && k < 64; k++) {
            if (used[k] || x->nodes[k].parent != root) continue;
            const ts_compare_row *row = compare_row(b, i, x->nodes[k].id, unit);
            if (row && isfinite(row->delta) && fabs(row->delta) >= 0.005 && (!best || fabs(row->delta) > fabs(best->delta)))
                best = row, best_k = k;
        }
        if (!best) break;
        used[best_k] = 1;
        ts_buf_puts(h, shown++ ? "; " : "");
        bp_esc(h, best->node_name && *best->node_name ? best->node_name : best->node);
        ts_buf_puts(h, " ");
        delta(h, best->delta);
    }
    if (!shown)
        ts_buf_puts(h, weights_changed(b, i, unit) ? "<span class=\"muted\">no dimension moves: weights change how"
                                                     " they add up</span>"
                                                   : "\xe2\x80\x93");
}

/* ---- sections ---------------------------------------------------------------- */

/* The document head, the style sheet and the page's header with its contents. */
static void page_head(ts_brief *b, ts_buf *h) {
    const ts_stored_run *p = b->runs[b->primary].r, *ref = b->runs[0].r;
    ts_buf_puts(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    ts_buf_puts(h, "<meta name=\"generator\" content=\"threatscore " TS_VERSION "\">\n<title>");
    bp_esc(h, bp_node_name(p, b->root));
    ts_buf_puts(h, " \xe2\x80\x94 briefing: ");
    bp_esc(h, p->info.scenario);
    ts_buf_printf(h, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n", STYLE);
    ts_buf_puts(h, "<p class=\"kicker\">Threat assessment briefing</p>\n<h1>");
    bp_esc(h, bp_node_name(p, b->root));
    ts_buf_puts(h, "</h1>\n<p class=\"lead\">Scenario ");
    bp_run_label(h, p);
    ts_buf_puts(h, ", scored ");
    bp_when(h, p->info.created_at);
    if (b->primary != 0) {
        ts_buf_puts(h, ", against the reference ");
        bp_run_label(h, ref);
    }
    if (b->n_runs > 1) {
        int others = b->n_runs - 1 - (b->primary != 0);
        if (b->primary == 0) ts_buf_printf(h, "; %d scenario%s compared with it", others, others == 1 ? "" : "s");
        else if (others) ts_buf_printf(h, "; %d other scenario%s compared with the reference", others, others == 1 ? "" : "s");
    }
    ts_buf_puts(h, ".</p>\n<dl class=\"meta\">\n<dt>Units</dt><dd>");
    for (int u = 0; u < p->n_units; u++) {
        if (u) ts_buf_puts(h, ", ");
        bp_esc(h, bp_unit_name(p, u));
    }
    ts_buf_printf(h, "</dd>\n<dt>Indicators</dt><dd>%d, in %d nodes</dd>\n<dt>Database</dt><dd>", p->info.n_indicators,
                  p->n_nodes);
    bp_esc(h, b->opt->db);
    ts_buf_puts(h, "</dd>\n");
    if (b->opt->generated_at) {
        ts_buf_puts(h, "<dt>Generated</dt><dd>");
        bp_esc(h, b->opt->generated_at);
        ts_buf_puts(h, " by threatscore " TS_VERSION "</dd>\n");
    }
    ts_buf_puts(h, "</dl>\n<nav><ol>\n");
    static const char *const TOC[][2] = {{"ranking", "Ranking"},
                                         {"scenarios", "What each scenario changes"},
                                         {"countries", "Country by country"},
                                         {"certainty", "How sure is the ranking"},
                                         {"trend", "Trend"},
                                         {"values", "Values and sources"},
                                         {"provenance", "Provenance"}};
    for (size_t i = 0; i < sizeof TOC / sizeof *TOC; i++)
        ts_buf_printf(h, "<li><a href=\"#%s\">%s</a></li>\n", TOC[i][0], TOC[i][1]);
    ts_buf_puts(h, "</ol></nav>\n</header>\n");
}

/* The points a reader takes away first. */
static void key_points(ts_brief *b, ts_buf *h, const class_order *co) {
    const brief_run *pr = &b->runs[b->primary];
    const ts_stored_run *p = pr->r;
    int k = b->root, *order = bp_ranked_units(p, k);
    if (!order) {
        h->oom = 1; /* out of memory: ts_brief_html fails */
        return;
    }
    ts_buf_puts(h, "<div class=\"keypoints keep\"><b>Key points</b>\n<ul>\n");
    int top = order[0], last = order[p->n_units - 1];
    ts_buf_puts(h, "<li>Highest risk: ");
    bp_unit_label(h, p, top);
    ts_buf_puts(h, ", score ");
    bp_num(h, p->score[bp_cell(p, top, k)], 2);
    ts_buf_puts(h, " ");
    class_badge(h, co, p->cls[bp_cell(p, top, k)]);
    if (p->n_units > 1) {
        ts_buf_puts(h, "; lowest: ");
        bp_unit_label(h, p, last);
        ts_buf_puts(h, ", ");
        bp_num(h, p->score[bp_cell(p, last, k)], 2);
        ts_buf_puts(h, " ");
        class_badge(h, co, p->cls[bp_cell(p, last, k)]);
    }
    ts_buf_puts(h, ".</li>\n");
    if (b->cmp) {
        const ts_compare_row *big = NULL;
        int moved = 0, classes = 0;
        for (int j = 0; j < b->cmp->n_rows; j++) {
            const ts_compare_row *row = &b->cmp->rows[j];
            if (row->depth != 0) continue;
            if (row->has_rank_change && row->rank_change) moved++;
            classes += row->class_changed;
            if (isfinite(row->delta) && (!big || fabs(row->delta) > fabs(big->delta))) big = row;
        }
        if (big) {
            ts_buf_puts(h, "<li>Largest change against the reference: ");
            bp_esc(h, big->unit_name && *big->unit_name ? big->unit_name : big->unit);
            ts_buf_puts(h, " under ");
            bp_esc(h, b->cmp->runs[big->run]->info.scenario);
            ts_buf_puts(h, " (");
            delta(h, big->delta);
            if (big->has_rank_change && big->rank_change == 0) {
                ts_buf_puts(h, ", rank unchanged");
            } else {
                ts_buf_puts(h, ", rank ");
                rank_change(h, big);
            }
            ts_buf_printf(h, "); %d rank change%s and %d class change%s over %d scenario%s.</li>\n", moved,
                          moved == 1 ? "" : "s", classes, classes == 1 ? "" : "s", b->cmp->n_runs,
                          b->cmp->n_runs == 1 ? "" : "s");
        }
    }
    if (b->ua.have) {
        const ts_stored_ua_results *res = &b->ua.res;
        int wide = 0;
        for (int u = 0; u < res->n_units; u++) wide += isfinite(res->rank_p05[u]) && res->rank_p95[u] > res->rank_p05[u];
        ts_buf_printf(h, "<li>Uncertainty analysis %lld (%ld %s): %d of %d units can change rank within the"
                         " 5th\xe2\x80\x93" "95th percentile band of their ranks.</li>\n",
                      b->ua.ua.id, b->ua.ua.n, b->ua.ua.sobol ? "base samples" : "replications", wide, res->n_units);
    } else {
        ts_buf_puts(h, "<li>No uncertainty analysis of this scenario is stored: how sure the ranking is has not been"
                       " measured.</li>\n");
    }
    int estimates = 0, missing = 0, alts = 0, total = 0;
    for (int u = 0; u < p->n_units; u++)
        for (int j = 0; j < p->n_nodes; j++) {
            const brief_value *v = ts_brief_value(pr, u, j);
            if (!p->nodes[j].is_indicator || !v->present) continue;
            total++;
            estimates += v->estimate;
            missing += isnan(v->raw);
            alts += v->n_alt > 0;
        }
    ts_buf_printf(h, "<li>%d input values: %d estimated, %d missing, %d with conflicting sourced figures"
                     " (listed under Values and sources).</li>\n",
                  total, estimates, missing, alts);
    ts_buf_puts(h, "</ul></div>\n");
    free(order);
}

/* 1: the primary run's ranking, its chart and the scores by dimension. */
static void section_ranking(ts_brief *b, ts_buf *h, const class_order *co) {
    const ts_stored_run *p = b->runs[b->primary].r;
    int k = b->root, *order = bp_ranked_units(p, k);
    if (!order) {
        h->oom = 1; /* out of memory: ts_brief_html fails */
        return;
    }
    ts_buf_puts(h, "<section id=\"ranking\">\n<h2>1. Ranking</h2>\n<p>");
    bp_run_label(h, p);
    ts_buf_puts(h, " at the index, ");
    bp_esc(h, bp_node_name(p, k));
    ts_buf_puts(h, " (scale ");
    bp_num(h, p->scale_min, 0);
    ts_buf_puts(h, "\xe2\x80\x93");
    bp_num(h, p->scale_max, 0);
    ts_buf_puts(h, ", higher is more risk). Coverage is the share of the index's weight with data; imputed is the"
                   " share filled in by imputation.</p>\n");
    if (b->n_classes) {
        ts_buf_puts(h, "<p class=\"small\">Risk classes of the index: ");
        for (int i = 0; i < b->n_classes; i++) {
            ts_buf_puts(h, i ? ", " : "");
            class_badge(h, co, b->class_name[i]);
            if (isfinite(b->class_min[i])) {
                ts_buf_puts(h, " from ");
                ts_buf_printf(h, "%g", b->class_min[i]);
            } else if (i + 1 < b->n_classes) {
                ts_buf_printf(h, " below %g", b->class_min[i + 1]);
            }
        }
        ts_buf_puts(h, ".</p>\n");
    }
    ts_buf_puts(h, "<table class=\"keep\"><thead><tr><th class=\"num\">Rank</th><th>Unit</th><th class=\"num\">Score</th>"
                   "<th>Class</th><th class=\"num\">Coverage</th><th class=\"num\">Imputed</th></tr></thead><tbody>\n");
    for (int i = 0; i < p->n_units; i++) {
        int u = order[i];
        size_t c = bp_cell(p, u, k);
        ts_buf_puts(h, "<tr><td class=\"num\">");
        if (p->rank[c]) ts_buf_printf(h, "%d", p->rank[c]);
        else ts_buf_puts(h, "\xe2\x80\x93");
        ts_buf_puts(h, "</td><td>");
        bp_unit_label(h, p, u);
        if (p->screened[u]) ts_buf_puts(h, " <span class=\"flag\">screened out</span>");
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, p->score[c], 2);
        ts_buf_puts(h, "</td><td>");
        class_badge(h, co, p->cls[c]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_percent(h, p->coverage[c]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_percent(h, p->imputed[c]);
        ts_buf_puts(h, "</td></tr>\n");
    }
    ts_buf_puts(h, "</tbody></table>\n");
    long long id = p->info.id;
    chart(b, h, TS_PLOT_RANKING, &id, 1, "Units by score at the index, coloured by risk class.");
    /* the dimensions: the children of the root, units in rank order */
    ts_buf_puts(h, "<h3>Scores by dimension</h3>\n<table class=\"keep\"><thead><tr><th>Dimension</th>");
    for (int i = 0; i < p->n_units; i++) {
        ts_buf_puts(h, "<th class=\"num\">");
        bp_esc(h, p->unit_id[order[i]]);
        ts_buf_puts(h, "</th>");
    }
    ts_buf_puts(h, "</tr></thead><tbody>\n");
    for (int j = 0; j < p->n_nodes; j++) {
        if (p->nodes[j].parent != k) continue;
        ts_buf_puts(h, "<tr><td>");
        bp_esc(h, bp_node_name(p, j));
        ts_buf_puts(h, "</td>");
        for (int i = 0; i < p->n_units; i++) {
            size_t c = bp_cell(p, order[i], j);
            ts_buf_puts(h, "<td class=\"num\">");
            bp_num(h, p->score[c], 2);
            if (p->rank[c]) ts_buf_printf(h, " <span class=\"muted small\">#%d</span>", p->rank[c]);
            ts_buf_puts(h, "</td>");
        }
        ts_buf_puts(h, "</tr>\n");
    }
    ts_buf_puts(h, "</tbody></table>\n<p class=\"small muted\">#n: the unit's rank in that dimension.</p>\n</section>\n");
    free(order);
}

/* 2: every compared run against the reference: the overview, the chart and a
 * table per run. */
static void section_scenarios(ts_brief *b, ts_buf *h, const class_order *co) {
    ts_buf_puts(h, "<section id=\"scenarios\">\n<h2>2. What each scenario changes</h2>\n");
    const ts_stored_run *ref = b->runs[0].r;
    if (!b->cmp) {
        ts_buf_puts(h, "<p>No other scenario is stored with this run, so there is nothing to compare: score"
                       " scenarios into the same database (<code>threatscore batch scenarios --db FILE</code>).</p>\n"
                       "</section>\n");
        return;
    }
    int k = ts_brief_root(ref), *order = bp_ranked_units(ref, k);
    if (!order) {
        h->oom = 1; /* out of memory: ts_brief_html fails */
        return;
    }
    ts_buf_puts(h, "<p>Each scenario against the reference ");
    bp_run_label(h, ref);
    ts_buf_puts(h, " at the index: \xce\x94 is the scenario's score minus the reference's; \xe2\x96\xb2" "1 means one"
                   " place closer to rank 1 (more risk than the others), \xe2\x96\xbc" "1 one place further, = no change;"
                   " a class in a cell is the class the unit moves to.</p>\n");
    /* scenarios down, units across (in the reference's rank order): the
       units are few, the scenarios may be many */
    ts_buf_puts(h, "<table class=\"keep\"><thead><tr><th>Scenario</th>");
    for (int n = 0; n < ref->n_units; n++) {
        ts_buf_puts(h, "<th class=\"num\">");
        bp_esc(h, ref->unit_id[order[n]]);
        ts_buf_puts(h, "</th>");
    }
    ts_buf_puts(h, "</tr></thead><tbody>\n<tr><td><i>Reference score</i></td>");
    for (int n = 0; n < ref->n_units; n++) {
        size_t c = bp_cell(ref, order[n], k);
        ts_buf_puts(h, "<td class=\"num\">");
        bp_num(h, ref->score[c], 2);
        ts_buf_puts(h, " ");
        class_badge(h, co, ref->cls[c]);
        ts_buf_puts(h, "</td>");
    }
    ts_buf_puts(h, "</tr>\n");
    for (int i = 1; i < b->n_runs; i++) {
        ts_buf_puts(h, "<tr><td>");
        bp_esc(h, b->runs[i].r->info.scenario);
        ts_buf_puts(h, "</td>");
        for (int n = 0; n < ref->n_units; n++) {
            const ts_compare_row *row = compare_row(b, i, ref->nodes[k].id, ref->unit_id[order[n]]);
            ts_buf_puts(h, "<td class=\"num\">");
            if (row) {
                delta(h, row->delta);
                ts_buf_puts(h, " ");
                rank_change(h, row);
                if (row->class_changed) {
                    ts_buf_puts(h, "<br>");
                    class_badge(h, co, row->cls);
                }
            } else {
                ts_buf_puts(h, "\xe2\x80\x93");
            }
            ts_buf_puts(h, "</td>");
        }
        ts_buf_puts(h, "</tr>\n");
    }
    ts_buf_puts(h, "</tbody></table>\n");
    long long ids[64];
    int n_ids = 0;
    for (int i = 0; i < b->n_runs && n_ids < 64; i++) ids[n_ids++] = b->runs[i].r->info.id;
    chart(b, h, TS_PLOT_COMPARE, ids, n_ids, "Each scenario against the reference, per unit at the index.");
    for (int i = 1; i < b->n_runs; i++) {
        const ts_stored_run *x = b->runs[i].r;
        ts_buf_puts(h, "<div class=\"keep\"><h3>");
        bp_esc(h, x->info.scenario);
        ts_buf_printf(h, " <span class=\"id\">run %lld</span></h3>\n", x->info.id);
        ts_buf_puts(h, "<table class=\"fixed\"><colgroup><col style=\"width:15%\"><col style=\"width:10.5%\">"
                       "<col style=\"width:10%\"><col style=\"width:7%\"><col style=\"width:8.5%\"><col style=\"width:19%\">"
                       "<col style=\"width:21%\"><col style=\"width:9%\"></colgroup>\n<thead><tr><th>Unit</th>"
                       "<th class=\"num\">Reference</th><th class=\"num\">Scenario</th><th class=\"num\">\xce\x94</th>"
                       "<th class=\"num\">Rank</th><th>Class</th><th>Largest moves (dimensions)</th>"
                       "<th class=\"num wrap\">Inputs / weights changed</th></tr></thead><tbody>\n");
        for (int n = 0; n < ref->n_units; n++) {
            int u = order[n];
            const ts_compare_row *row = compare_row(b, i, ref->nodes[k].id, ref->unit_id[u]);
            if (!row) continue;
            ts_buf_puts(h, "<tr><td>");
            bp_unit_label(h, ref, u);
            ts_buf_puts(h, "</td><td class=\"num\">");
            bp_num(h, row->ref_score, 2);
            ts_buf_puts(h, "</td><td class=\"num\">");
            bp_num(h, row->score, 2);
            ts_buf_puts(h, "</td><td class=\"num\">");
            delta(h, row->delta);
            ts_buf_puts(h, "</td><td class=\"num\">");
            if (row->ref_rank && row->rank) ts_buf_printf(h, "%d \xe2\x86\x92 %d ", row->ref_rank, row->rank);
            rank_change(h, row);
            ts_buf_puts(h, "</td><td class=\"nowrap\">");
            class_badge(h, co, row->ref_class);
            if (row->class_changed) {
                ts_buf_puts(h, " \xe2\x86\x92 ");
                class_badge(h, co, row->cls);
            }
            ts_buf_puts(h, "</td><td class=\"small\">");
            largest_moves(h, b, i, row->unit, 2);
            ts_buf_puts(h, "</td><td class=\"num\">");
            changes(h, b, i, row->unit);
            ts_buf_puts(h, "</td></tr>\n");
        }
        ts_buf_puts(h, "</tbody></table></div>\n");
    }
    ts_buf_puts(h, "</section>\n");
    free(order);
}

/* One unit's drivers: its largest contributions and what changes it. */
static void country(ts_brief *b, ts_buf *h, const class_order *co, int u) {
    const brief_run *pr = &b->runs[b->primary];
    const ts_stored_run *p = pr->r;
    const ts_run_traces *t = b->traces;
    int k = b->root;
    size_t c = bp_cell(p, u, k);
    double score = p->score[c];
    ts_buf_printf(h, "<article class=\"country\" id=\"unit-%d\">\n<div class=\"keep\"><h3>", u + 1);
    bp_unit_label(h, p, u);
    ts_buf_puts(h, "</h3>\n<p>");
    if (p->rank[c]) ts_buf_printf(h, "Rank %d of %d", p->rank[c], p->n_units);
    else ts_buf_puts(h, "Not ranked");
    ts_buf_puts(h, " \xc2\xb7 score ");
    bp_num(h, score, 2);
    ts_buf_puts(h, " ");
    class_badge(h, co, p->cls[c]);
    ts_buf_puts(h, " \xc2\xb7 coverage ");
    bp_percent(h, p->coverage[c]);
    ts_buf_puts(h, "</p>\n");
    /* dimensions in order of their part of the score */
    int dims[64], nd = 0;
    for (int j = 0; j < p->n_nodes && nd < 64; j++)
        if (p->nodes[j].parent == k) dims[nd++] = j;
    for (int i = 1; i < nd; i++)
        for (int j = i; j > 0; j--) {
            double a = t->contrib[bp_cell(p, u, dims[j - 1])], x = t->contrib[bp_cell(p, u, dims[j])];
            if (!(isfinite(x) && (!isfinite(a) || x > a))) break;
            int s = dims[j];
            dims[j] = dims[j - 1], dims[j - 1] = s;
        }
    ts_buf_puts(h, "<p class=\"small\"><b>Dimensions, by their part of the score:</b> ");
    for (int i = 0, shown = 0; i < nd && shown < 5; i++) {
        double x = t->contrib[bp_cell(p, u, dims[i])];
        if (!isfinite(x)) continue;
        ts_buf_puts(h, shown++ ? "; " : "");
        bp_esc(h, bp_node_name(p, dims[i]));
        ts_buf_puts(h, " ");
        bp_num(h, x, 2);
        if (score > 0) {
            ts_buf_puts(h, " (");
            bp_percent(h, x / score);
            ts_buf_puts(h, ")");
        }
    }
    ts_buf_puts(h, "</p>\n");
    /* the indicators with the largest parts */
    enum { TOP = 6 };
    int top[TOP], n_top = 0;
    for (int j = 0; j < p->n_nodes; j++) {
        double x = t->contrib[bp_cell(p, u, j)];
        if (!p->nodes[j].is_indicator || !isfinite(x) || x <= 0) continue;
        int at = n_top < TOP ? n_top++ : TOP;
        if (at == TOP && !(x > t->contrib[bp_cell(p, u, top[TOP - 1])])) continue;
        if (at == TOP) at = TOP - 1;
        top[at] = j;
        for (int i = at; i > 0 && t->contrib[bp_cell(p, u, top[i])] > t->contrib[bp_cell(p, u, top[i - 1])]; i--) {
            int s = top[i];
            top[i] = top[i - 1], top[i - 1] = s;
        }
    }
    ts_buf_puts(h, "<h4>Largest contributions</h4>\n<table><thead><tr><th>Indicator</th><th>Dimension</th>"
                   "<th class=\"num\">Value</th><th class=\"num\">Year</th><th class=\"num\">Normalised</th>"
                   "<th class=\"num\">Weight in index</th><th class=\"num\">Contribution</th><th class=\"num\">Share</th>"
                   "</tr></thead><tbody>\n");
    for (int i = 0; i < n_top; i++) {
        int j = top[i], dim = j;
        while (dim >= 0 && p->nodes[dim].parent != k && p->nodes[dim].parent >= 0) dim = p->nodes[dim].parent;
        const brief_value *v = ts_brief_value(pr, u, j);
        size_t cj = bp_cell(p, u, j);
        ts_buf_puts(h, "<tr><td>");
        bp_esc(h, bp_node_name(p, j));
        ts_buf_puts(h, "</td><td>");
        bp_esc(h, dim >= 0 ? bp_node_name(p, dim) : "");
        ts_buf_puts(h, "</td><td class=\"num\">");
        if (v->present && isfinite(v->raw)) ts_buf_printf(h, "%.4g", v->raw);
        else ts_buf_puts(h, "missing");
        ts_buf_puts(h, "</td><td class=\"num\">");
        if (v->year) ts_buf_printf(h, "%d", v->year);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, v->normalised, 2);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_percent(h, t->eff[cj]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, t->contrib[cj], 3);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_percent(h, score > 0 ? t->contrib[cj] / score : NAN);
        ts_buf_puts(h, "</td></tr>\n");
    }
    ts_buf_puts(h, "</tbody></table></div>\n");
    if (b->n_runs > 1) {
        ts_buf_puts(h, "<div class=\"keep\"><h4>What changes for ");
        bp_esc(h, bp_unit_name(p, u));
        ts_buf_puts(h, "</h4>\n<table class=\"fixed\"><colgroup><col style=\"width:27%\"><col style=\"width:8%\"><col style=\"width:8%\">"
                       "<col style=\"width:8%\"><col style=\"width:10%\"><col style=\"width:29%\"><col style=\"width:10%\">"
                       "</colgroup><thead><tr><th>Scenario</th><th class=\"num\">Score</th>"
                       "<th class=\"num\">\xce\x94</th><th class=\"num\">Rank</th><th>Class</th><th>Largest moves</th>"
                       "<th class=\"num wrap\">Inputs / weights changed</th></tr></thead><tbody>\n");
        for (int i = 1; i < b->n_runs; i++) {
            const ts_compare_row *row = compare_row(b, i, b->runs[0].r->nodes[ts_brief_root(b->runs[0].r)].id,
                                                    p->unit_id[u]);
            if (!row) continue;
            ts_buf_puts(h, "<tr><td>");
            bp_esc(h, b->runs[i].r->info.scenario);
            ts_buf_puts(h, "</td><td class=\"num\">");
            bp_num(h, row->score, 2);
            ts_buf_puts(h, "</td><td class=\"num\">");
            delta(h, row->delta);
            ts_buf_puts(h, "</td><td class=\"num\">");
            if (row->rank) ts_buf_printf(h, "%d ", row->rank);
            rank_change(h, row);
            ts_buf_puts(h, "</td><td>");
            class_badge(h, co, row->cls);
            ts_buf_puts(h, "</td><td class=\"small\">");
            largest_moves(h, b, i, row->unit, 2);
            ts_buf_puts(h, "</td><td class=\"num\">");
            changes(h, b, i, row->unit);
            ts_buf_puts(h, "</td></tr>\n");
        }
        ts_buf_puts(h, "</tbody></table></div>\n");
    }
    ts_buf_puts(h, "</article>\n");
}

/* 3: the contributions chart, then a page per unit in rank order. */
static void section_countries(ts_brief *b, ts_buf *h, const class_order *co) {
    const ts_stored_run *p = b->runs[b->primary].r;
    int *order = bp_ranked_units(p, b->root);
    if (!order) {
        h->oom = 1; /* out of memory: ts_brief_html fails */
        return;
    }
    ts_buf_puts(h, "<section id=\"countries\">\n<h2>3. Country by country</h2>\n<p>What drives each unit's score in ");
    bp_run_label(h, p);
    ts_buf_puts(h, ": the parts of the index score that its dimensions and indicators make up (the contribution trace"
                   " of <code>threatscore explain</code>: the parts add up to the score), then what each scenario"
                   " changes.</p>\n");
    long long id = p->info.id;
    chart(b, h, TS_PLOT_CONTRIBUTIONS, &id, 1, "Each dimension's part of the index score, per unit.");
    for (int i = 0; i < p->n_units; i++) country(b, h, co, order[i]);
    ts_buf_puts(h, "</section>\n");
    free(order);
}

/* 4: the rank bands and sensitivity of the stored analysis, or that there is none. */
static void section_certainty(ts_brief *b, ts_buf *h) {
    const ts_stored_run *p = b->runs[b->primary].r;
    const brief_ua *a = &b->ua;
    ts_buf_puts(h, "<section id=\"certainty\">\n<h2>4. How sure is the ranking</h2>\n");
    if (!a->have) {
        ts_buf_puts(h, "<p class=\"note warn\">No uncertainty analysis of the scenario <b>");
        bp_esc(h, p->info.scenario);
        ts_buf_puts(h, "</b> is stored in this database, so the ranking's sensitivity to the method choices and the"
                       " data has not been measured. Run <code>threatscore uncertainty SCENARIO --db FILE</code>"
                       " (with <code>--sobol</code> for the sensitivity indices) and make the report again.</p>\n"
                       "</section>\n");
        return;
    }
    const ts_stored_ua *ua = &a->ua;
    const ts_stored_ua_results *res = &a->res;
    ts_buf_printf(h, "<p>Uncertainty analysis %lld of <b>", ua->id);
    bp_esc(h, ua->scenario);
    ts_buf_printf(h, "</b>: %ld %s", ua->n, ua->sobol ? "base samples (Sobol' design)" : "replications");
    ts_buf_puts(h, ", seed ");
    bp_esc(h, ua->seed);
    ts_buf_puts(h, ", stored ");
    bp_when(h, a->match.created_at);
    ts_buf_puts(h, ". The pipeline was re-run under sampled method choices and data; the rank band holds 90% of the"
                   " ranks a unit took (5th to 95th percentile).</p>\n");
    if (!a->match.same_values || !a->match.same_taxonomy)
        ts_buf_printf(h, "<p class=\"note warn\">The analysis was made of other inputs than run %lld (%s differ):"
                         " its bands describe those inputs.</p>\n",
                      p->info.id, !a->match.same_values ? "the values" : "the taxonomies");
    ts_buf_puts(h, "<table class=\"keep fixed\"><colgroup><col style=\"width:20%\"><col style=\"width:11%\">"
                   "<col style=\"width:11%\"><col style=\"width:13%\"><col style=\"width:11%\"><col style=\"width:11%\">"
                   "<col style=\"width:23%\"></colgroup>\n<thead><tr><th>Unit</th><th class=\"num wrap\">Nominal rank</th>"
                   "<th class=\"num wrap\">Median rank</th><th class=\"num wrap\">Rank band (5th\xe2\x80\x93" "95th)</th>"
                   "<th class=\"num wrap\">Nominal score</th><th class=\"num wrap\">Median score</th>");
    ts_buf_puts(h, a->sobol.n_factors ? "<th>Most influential (total-order Sobol' index)</th>" : "<th></th>");
    ts_buf_puts(h, "</tr></thead><tbody>\n");
    int by_rank[256], nr = res->n_units < 256 ? res->n_units : 256;
    for (int i = 0; i < nr; i++) by_rank[i] = i;
    for (int i = 1; i < nr; i++) /* by nominal rank, unranked last */
        for (int j = i; j > 0; j--) {
            int before = res->nominal_rank[by_rank[j - 1]], x = res->nominal_rank[by_rank[j]];
            if (!(x && (!before || x < before))) break;
            int t = by_rank[j];
            by_rank[j] = by_rank[j - 1], by_rank[j - 1] = t;
        }
    for (int i = 0; i < nr; i++) {
        int u = by_rank[i];
        ts_buf_puts(h, "<tr><td>");
        bp_esc(h, res->unit_name[u] && *res->unit_name[u] ? res->unit_name[u] : res->unit_id[u]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        if (res->nominal_rank[u]) ts_buf_printf(h, "%d", res->nominal_rank[u]);
        else ts_buf_puts(h, "\xe2\x80\x93");
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, res->rank_p50[u], 0);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, res->rank_p05[u], 0);
        ts_buf_puts(h, "\xe2\x80\x93");
        bp_num(h, res->rank_p95[u], 0);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, res->nominal_score[u], 2);
        ts_buf_puts(h, "</td><td class=\"num\">");
        bp_num(h, res->median_score[u], 2);
        ts_buf_puts(h, "</td>");
        if (a->sobol.n_factors) {
            int nf = a->sobol.n_factors, best[2] = {-1, -1};
            const double *st = a->sobol.st + (size_t)u * (size_t)nf;
            for (int f = 0; f < nf; f++) {
                if (!isfinite(st[f])) continue;
                if (best[0] < 0 || st[f] > st[best[0]]) best[1] = best[0], best[0] = f;
                else if (best[1] < 0 || st[f] > st[best[1]]) best[1] = f;
            }
            ts_buf_puts(h, "<td class=\"small\">");
            for (int m = 0; m < 2 && best[m] >= 0; m++) {
                ts_buf_puts(h, m ? "; " : "");
                bp_esc(h, a->sobol.factor[best[m]]);
                ts_buf_puts(h, " ");
                bp_num(h, st[best[m]], 2);
            }
            if (best[0] < 0) ts_buf_puts(h, "\xe2\x80\x93");
            ts_buf_puts(h, "</td>");
        } else {
            ts_buf_puts(h, "<td></td>");
        }
        ts_buf_puts(h, "</tr>\n");
    }
    ts_buf_puts(h, "</tbody></table>\n");
    long long id = ua->id;
    chart(b, h, TS_PLOT_UNCERTAINTY, &id, 1, "Median rank per unit with its 5th-95th percentile band; the nominal rank marked.");
    if (ua->sobol)
        chart(b, h, TS_PLOT_SENSITIVITY, &id, 1,
              "Sobol' sensitivity indices of the index score: how much of its variance each choice explains.");
    else
        ts_buf_puts(h, "<p class=\"note\">The analysis was run without <code>--sobol</code>: no sensitivity indices.</p>\n");
    ts_buf_puts(h, "</section>\n");
}

/* 5: the scores of the latest trend of the scenario, or that there is none. */
static void section_trend(ts_brief *b, ts_buf *h) {
    const ts_stored_run *p = b->runs[b->primary].r;
    ts_buf_puts(h, "<section id=\"trend\">\n<h2>5. Trend</h2>\n");
    if (b->n_years == 0) {
        ts_buf_puts(h, "<p class=\"note\">No per-year runs of <b>");
        bp_esc(h, p->info.scenario);
        ts_buf_puts(h, "</b> are stored: <code>threatscore trend SCENARIO --db FILE</code> scores it for every year its"
                       " data covers.</p>\n</section>\n");
        return;
    }
    ts_buf_puts(h, "<p>The index score of each unit when ");
    bp_esc(h, p->info.scenario);
    ts_buf_puts(h, " is scored for each year (values of earlier years carried forward where a year has none); rank in"
                   " small type.</p>\n<table class=\"keep\"><thead><tr><th>Unit</th>");
    for (int y = 0; y < b->n_years; y++) ts_buf_printf(h, "<th class=\"num\">%d</th>", b->years[y]);
    ts_buf_puts(h, "</tr></thead><tbody>\n");
    int *order = bp_ranked_units(p, b->root);
    if (!order) h->oom = 1; /* out of memory: ts_brief_html fails */
    for (int i = 0; order && i < p->n_units; i++) {
        const char *unit = p->unit_id[order[i]];
        ts_buf_puts(h, "<tr><td>");
        bp_unit_label(h, p, order[i]);
        ts_buf_puts(h, "</td>");
        for (int y = 0; y < b->n_years; y++) {
            const ts_stored_run *r = b->year_runs[y];
            int u = ts_stored_run_unit(r, unit), k = ts_brief_root(r);
            ts_buf_puts(h, "<td class=\"num\">");
            if (u >= 0) {
                bp_num(h, r->score[bp_cell(r, u, k)], 2);
                if (r->rank[bp_cell(r, u, k)]) ts_buf_printf(h, " <span class=\"muted small\">#%d</span>", r->rank[bp_cell(r, u, k)]);
            } else {
                ts_buf_puts(h, "\xe2\x80\x93");
            }
            ts_buf_puts(h, "</td>");
        }
        ts_buf_puts(h, "</tr>\n");
    }
    free(order);
    ts_buf_puts(h, "</tbody></table>\n");
    long long ids[64];
    int n = b->n_years < 64 ? b->n_years : 64;
    for (int y = 0; y < n; y++) ids[y] = b->year_runs[y]->info.id;
    chart(b, h, TS_PLOT_TREND, ids, n, "Index score per year and unit.");
    ts_buf_puts(h, "</section>\n");
}

int ts_brief_html(ts_brief *b, ts_buf *out, ts_error *err) {
    class_order co = {0};
    for (int i = 0; i < b->n_classes && i < 16; i++) {
        co.name[i] = b->class_name[i];
        co.min[i] = b->class_min[i];
        co.n++;
    }
    for (int i = 0; !b->n_classes && i < b->n_runs; i++) classes_add(&co, b->runs[i].r);
    if (!b->n_classes) classes_sort(&co);
    page_head(b, out);
    ts_buf_puts(out, "<main>\n");
    key_points(b, out, &co);
    section_ranking(b, out, &co);
    section_scenarios(b, out, &co);
    section_countries(b, out, &co);
    section_certainty(b, out);
    section_trend(b, out);
    ts_brief_values(b, out);
    ts_brief_provenance(b, out);
    ts_buf_puts(out, "</main>\n<footer class=\"small muted\"><p>Made by threatscore " TS_VERSION
                     " from the database named above; no part of this page is loaded from elsewhere.</p></footer>\n"
                     "</body>\n</html>\n");
    return out->oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
}
