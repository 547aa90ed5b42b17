/* brief_write.c -- the briefing report as HTML: the page, its print style
 * sheet and one function per section. All text goes through ts_html_escape. */
#include "brief_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "json.h"
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

/* ---- small writers ------------------------------------------------------- */

/* Writes s escaped (ts_html_escape): the one way text reaches the page. */
static void esc(ts_buf *h, const char *s) {
    ts_html_escape(h, s);
}

/* Writes x with the given decimals, "–" when missing. */
static void num(ts_buf *h, double x, int decimals) {
    ts_html_number(h, x, decimals, 0);
}

/* Writes x as num does, with a "+" before a positive value. */
static void signed_num(ts_buf *h, double x, int decimals) {
    ts_html_number(h, x, decimals, 1);
}

/* Writes a share (0-1) as a percentage. */
static void percent(ts_buf *h, double x) {
    if (!isfinite(x)) {
        num(h, x, 0);
        return;
    }
    ts_html_number(h, 100 * x, 0, 0);
    ts_buf_puts(h, "%");
}

/* Writes a stored time (2026-12-01T18:00:08.151Z) as "2026-12-01 18:00 UTC". */
static void when(ts_buf *h, const char *t) {
    if (t && strlen(t) >= 16 && t[10] == 'T') {
        char d[17];
        memcpy(d, t, 16);
        d[16] = '\0';
        d[10] = ' ';
        esc(h, d);
        ts_buf_puts(h, " UTC");
    } else {
        esc(h, t && *t ? t : "time not recorded");
    }
}

/* Returns node k's name, or its id when it has none. */
static const char *node_name(const ts_stored_run *r, int k) {
    return r->nodes[k].name && *r->nodes[k].name ? r->nodes[k].name : r->nodes[k].id;
}

/* Returns unit u's name, or its id when it has none. */
static const char *unit_name(const ts_stored_run *r, int u) {
    return r->unit_name[u] && *r->unit_name[u] ? r->unit_name[u] : r->unit_id[u];
}

/* Returns the index of unit u at node k in r's per-cell arrays. */
static size_t cell(const ts_stored_run *r, int u, int k) {
    return (size_t)u * (size_t)r->n_nodes + (size_t)k;
}

/* Writes a unit as "Name (ID)", or just the id when it has no other name. */
static void unit_label(ts_buf *h, const ts_stored_run *r, int u) {
    esc(h, unit_name(r, u));
    if (strcmp(unit_name(r, u), r->unit_id[u]) != 0) {
        ts_buf_puts(h, " <span class=\"id\">");
        esc(h, r->unit_id[u]);
        ts_buf_puts(h, "</span>");
    }
}

/* Writes "Scenario (run N)". */
static void run_label(ts_buf *h, const ts_stored_run *r) {
    ts_buf_puts(h, "<b>");
    esc(h, r->info.scenario);
    ts_buf_printf(h, "</b> <span class=\"id\">(run %lld", r->info.id);
    if (r->year) ts_buf_printf(h, ", year %d", r->year);
    ts_buf_puts(h, ")</span>");
}

/* Units of r ordered by rank at node k (unranked last, then stored order). */
static int *ranked_units(const ts_stored_run *r, int k) {
    int *u = malloc(((size_t)r->n_units + 1) * sizeof *u);
    if (!u) return NULL;
    for (int i = 0; i < r->n_units; i++) u[i] = i;
    for (int i = 1; i < r->n_units; i++) /* insertion sort: few units */
        for (int j = i; j > 0; j--) {
            int a = r->rank[cell(r, u[j - 1], k)], b = r->rank[cell(r, u[j], k)];
            if (!((b && (!a || b < a)))) break;
            int t = u[j];
            u[j] = u[j - 1];
            u[j - 1] = t;
        }
    return u;
}

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
        const char *c = r->cls[cell(r, u, k)];
        double x = r->score[cell(r, u, k)];
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
    esc(h, c);
    ts_buf_puts(h, "</span>");
}

/* ---- charts --------------------------------------------------------------- */

/* Draws one chart of kind through plots/ and writes it as a figure, or a
 * visible note saying why it is not there. runs are run (or analysis)
 * ids; caption is plain text. */
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
    ts_plot_request req = {kind, runs, n, NULL, NULL, 0, NULL};
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
    if (ts_plot_svg(b->opt->db, &req, &so, b->opt->gnuplot, &svg, &err) != TS_OK) {
        ts_buf_printf(h, "<p class=\"nochart\">The %s chart could not be drawn: ", name);
        esc(h, err.message);
        ts_buf_puts(h, "</p>\n");
        if (b->warnings) ts_buf_printf(b->warnings, "%s chart not drawn: %s\n", name, err.message);
    } else {
        ts_buf_printf(h, "<figure class=\"chart\" id=\"chart-%s\">\n", name);
        ts_buf_append(h, svg.data, svg.len);
        ts_buf_puts(h, "\n<figcaption>");
        esc(h, caption);
        ts_buf_puts(h, "</figcaption></figure>\n");
    }
    ts_buf_free(&svg);
}

/* ---- method settings, from method_json ------------------------------------ */

/* Counts of one setting's methods over the nodes (e.g. normalise: minmax 57). */
typedef struct setting_count {
    const char *setting;
    int n;
    const char *method[12];
    int count[12];
} setting_count;

/* Counts one node's method (NULL: none) in sc. */
static void count_method(setting_count *sc, const char *method) {
    if (!method) return;
    for (int i = 0; i < sc->n; i++)
        if (strcmp(sc->method[i], method) == 0) {
            sc->count[i]++;
            return;
        }
    if (sc->n < 12) {
        sc->method[sc->n] = method;
        sc->count[sc->n++] = 1;
    }
}

/* Copies the JSON scalar (or flat array) at j into buf as its text. */
static void json_literal(ts_json *j, char *buf, size_t n) {
    while (*j->p == ' ') j->p++;
    const char *s = j->p;
    if (*s == '"') {
        const char *v = ts_json_string(j);
        snprintf(buf, n, "%s", v ? v : "");
        return;
    }
    if (*s == '[' || *s == '{') {
        const char *start = s;
        ts_json_skip(j);
        size_t len = (size_t)(j->p - start);
        snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), start);
        return;
    }
    while (*j->p && !strchr(",}] \n", *j->p)) j->p++;
    snprintf(buf, n, "%.*s", (int)((size_t)(j->p - s) < n ? (size_t)(j->p - s) : n - 1), s);
}

/* Reads the method of a node setting: {"method":"x",...} or "x". */
static const char *setting_method(ts_json *j) {
    while (*j->p == ' ') j->p++;
    if (*j->p == '"') return ts_json_string(j);
    const char *m = NULL;
    if (!ts_json_eat(j, '{')) {
        ts_json_skip(j);
        return NULL;
    }
    if (ts_json_eat(j, '}')) return NULL;
    do {
        const char *key = ts_json_string(j);
        if (!key || !ts_json_eat(j, ':')) {
            j->bad = 1;
            return NULL;
        }
        if (strcmp(key, "method") == 0) m = ts_json_string(j);
        else ts_json_skip(j);
    } while (!j->bad && ts_json_eat(j, ','));
    ts_json_eat(j, '}');
    return m;
}

/* Writes the run's method settings: the global ones as key = value, then
 * per setting the methods its nodes use with their counts. */
static void method_summary(ts_buf *h, const char *json, ts_arena *a) {
    static const char *const SETTINGS[] = {"normalise", "transform", "treat", "impute", "aggregate"};
    setting_count sc[5] = {{"normalise", 0, {0}, {0}}, {"transform", 0, {0}, {0}}, {"treat", 0, {0}, {0}},
                           {"impute", 0, {0}, {0}},    {"aggregate", 0, {0}, {0}}};
    ts_json j;
    ts_json_init(&j, json ? json : "", a);
    int first = 1;
    if (ts_json_eat(&j, '{') && !ts_json_eat(&j, '}')) {
        do {
            const char *key = ts_json_string(&j);
            if (!key || !ts_json_eat(&j, ':')) break;
            if (strcmp(key, "nodes") == 0) {
                if (!ts_json_eat(&j, '{') || ts_json_eat(&j, '}')) continue;
                do {
                    if (!ts_json_string(&j) || !ts_json_eat(&j, ':') || !ts_json_eat(&j, '{')) {
                        j.bad = 1;
                        break;
                    }
                    if (ts_json_eat(&j, '}')) continue;
                    do {
                        const char *nk = ts_json_string(&j);
                        if (!nk || !ts_json_eat(&j, ':')) {
                            j.bad = 1;
                            break;
                        }
                        int s = -1;
                        for (int i = 0; i < 5; i++)
                            if (strcmp(nk, SETTINGS[i]) == 0) s = i;
                        if (s >= 0) count_method(&sc[s], setting_method(&j));
                        else ts_json_skip(&j);
                    } while (!j.bad && ts_json_eat(&j, ','));
                    ts_json_eat(&j, '}');
                } while (!j.bad && ts_json_eat(&j, ','));
                ts_json_eat(&j, '}');
            } else {
                char v[200];
                json_literal(&j, v, sizeof v);
                ts_buf_puts(h, first ? "" : " · ");
                esc(h, key);
                ts_buf_puts(h, " = ");
                esc(h, *v ? v : "\"\"");
                first = 0;
            }
        } while (!j.bad && ts_json_eat(&j, ','));
    }
    for (int s = 0; s < 5; s++) {
        if (!sc[s].n) continue;
        ts_buf_puts(h, first ? "" : " · ");
        first = 0;
        esc(h, sc[s].setting);
        ts_buf_puts(h, ": ");
        for (int i = 0; i < sc[s].n; i++) {
            if (i) ts_buf_puts(h, ", ");
            esc(h, sc[s].method[i]);
            ts_buf_printf(h, " (%d)", sc[s].count[i]);
        }
    }
    if (j.bad) ts_buf_puts(h, " <span class=\"muted\">(the stored method settings could not be read whole)</span>");
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
    signed_num(h, d, 2);
    ts_buf_puts(h, "</span>");
}

/* Returns 1 when the two values differ (the raw number or what was done to it). */
static int value_changed(const brief_value *a, const brief_value *b) {
    if (!a || !b || a->present != b->present) return 1;
    if (isnan(a->raw) != isnan(b->raw) || (!isnan(a->raw) && a->raw != b->raw)) return 1;
    if ((a->shock == NULL) != (b->shock == NULL)) return 1;
    return 0;
}

/* Counts the inputs of unit id that run i changes against the reference. */
static int inputs_changed(const ts_brief *b, int i, const char *unit) {
    const brief_run *ref = &b->runs[0], *x = &b->runs[i];
    int ur = ts_stored_run_unit(ref->r, unit), ux = ts_stored_run_unit(x->r, unit), n = 0;
    if (ur < 0 || ux < 0) return 0;
    for (int k = 0; k < x->r->n_nodes; k++) {
        if (!x->r->nodes[k].is_indicator) continue;
        int kr = ts_stored_run_node(ref->r, x->r->nodes[k].id);
        n += value_changed(kr >= 0 ? ts_brief_value(ref, ur, kr) : NULL, ts_brief_value(x, ux, k));
    }
    return n;
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
    ts_buf_printf(h, "%d / %d", inputs_changed(b, i, unit), weights_changed(b, i, unit));
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
        esc(h, best->node_name && *best->node_name ? best->node_name : best->node);
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
    esc(h, node_name(p, b->root));
    ts_buf_puts(h, " \xe2\x80\x94 briefing: ");
    esc(h, p->info.scenario);
    ts_buf_printf(h, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n", STYLE);
    ts_buf_puts(h, "<p class=\"kicker\">Threat assessment briefing</p>\n<h1>");
    esc(h, node_name(p, b->root));
    ts_buf_puts(h, "</h1>\n<p class=\"lead\">Scenario ");
    run_label(h, p);
    ts_buf_puts(h, ", scored ");
    when(h, p->info.created_at);
    if (b->primary != 0) {
        ts_buf_puts(h, ", against the reference ");
        run_label(h, ref);
    }
    if (b->n_runs > 1) {
        int others = b->n_runs - 1 - (b->primary != 0);
        if (b->primary == 0) ts_buf_printf(h, "; %d scenario%s compared with it", others, others == 1 ? "" : "s");
        else if (others) ts_buf_printf(h, "; %d other scenario%s compared with the reference", others, others == 1 ? "" : "s");
    }
    ts_buf_puts(h, ".</p>\n<dl class=\"meta\">\n<dt>Units</dt><dd>");
    for (int u = 0; u < p->n_units; u++) {
        if (u) ts_buf_puts(h, ", ");
        esc(h, unit_name(p, u));
    }
    ts_buf_printf(h, "</dd>\n<dt>Indicators</dt><dd>%d, in %d nodes</dd>\n<dt>Database</dt><dd>", p->info.n_indicators,
                  p->n_nodes);
    esc(h, b->opt->db);
    ts_buf_puts(h, "</dd>\n");
    if (b->opt->generated_at) {
        ts_buf_puts(h, "<dt>Generated</dt><dd>");
        esc(h, b->opt->generated_at);
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
    int k = b->root, *order = ranked_units(p, k);
    if (!order) return;
    ts_buf_puts(h, "<div class=\"keypoints keep\"><b>Key points</b>\n<ul>\n");
    int top = order[0], last = order[p->n_units - 1];
    ts_buf_puts(h, "<li>Highest risk: ");
    unit_label(h, p, top);
    ts_buf_puts(h, ", score ");
    num(h, p->score[cell(p, top, k)], 2);
    ts_buf_puts(h, " ");
    class_badge(h, co, p->cls[cell(p, top, k)]);
    if (p->n_units > 1) {
        ts_buf_puts(h, "; lowest: ");
        unit_label(h, p, last);
        ts_buf_puts(h, ", ");
        num(h, p->score[cell(p, last, k)], 2);
        ts_buf_puts(h, " ");
        class_badge(h, co, p->cls[cell(p, last, k)]);
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
            esc(h, big->unit_name && *big->unit_name ? big->unit_name : big->unit);
            ts_buf_puts(h, " under ");
            esc(h, b->cmp->runs[big->run]->info.scenario);
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
    int k = b->root, *order = ranked_units(p, k);
    if (!order) return;
    ts_buf_puts(h, "<section id=\"ranking\">\n<h2>1. Ranking</h2>\n<p>");
    run_label(h, p);
    ts_buf_puts(h, " at the index, ");
    esc(h, node_name(p, k));
    ts_buf_puts(h, " (scale ");
    num(h, p->scale_min, 0);
    ts_buf_puts(h, "\xe2\x80\x93");
    num(h, p->scale_max, 0);
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
        size_t c = cell(p, u, k);
        ts_buf_puts(h, "<tr><td class=\"num\">");
        if (p->rank[c]) ts_buf_printf(h, "%d", p->rank[c]);
        else ts_buf_puts(h, "\xe2\x80\x93");
        ts_buf_puts(h, "</td><td>");
        unit_label(h, p, u);
        if (p->screened[u]) ts_buf_puts(h, " <span class=\"flag\">screened out</span>");
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, p->score[c], 2);
        ts_buf_puts(h, "</td><td>");
        class_badge(h, co, p->cls[c]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        percent(h, p->coverage[c]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        percent(h, p->imputed[c]);
        ts_buf_puts(h, "</td></tr>\n");
    }
    ts_buf_puts(h, "</tbody></table>\n");
    long long id = p->info.id;
    chart(b, h, TS_PLOT_RANKING, &id, 1, "Units by score at the index, coloured by risk class.");
    /* the dimensions: the children of the root, units in rank order */
    ts_buf_puts(h, "<h3>Scores by dimension</h3>\n<table class=\"keep\"><thead><tr><th>Dimension</th>");
    for (int i = 0; i < p->n_units; i++) {
        ts_buf_puts(h, "<th class=\"num\">");
        esc(h, p->unit_id[order[i]]);
        ts_buf_puts(h, "</th>");
    }
    ts_buf_puts(h, "</tr></thead><tbody>\n");
    for (int j = 0; j < p->n_nodes; j++) {
        if (p->nodes[j].parent != k) continue;
        ts_buf_puts(h, "<tr><td>");
        esc(h, node_name(p, j));
        ts_buf_puts(h, "</td>");
        for (int i = 0; i < p->n_units; i++) {
            size_t c = cell(p, order[i], j);
            ts_buf_puts(h, "<td class=\"num\">");
            num(h, p->score[c], 2);
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
    int k = ts_brief_root(ref), *order = ranked_units(ref, k);
    if (!order) return;
    ts_buf_puts(h, "<p>Each scenario against the reference ");
    run_label(h, ref);
    ts_buf_puts(h, " at the index: \xce\x94 is the scenario's score minus the reference's; \xe2\x96\xb2" "1 means one"
                   " place closer to rank 1 (more risk than the others), \xe2\x96\xbc" "1 one place further, = no change;"
                   " a class in a cell is the class the unit moves to.</p>\n");
    /* scenarios down, units across (in the reference's rank order): the
       units are few, the scenarios may be many */
    ts_buf_puts(h, "<table class=\"keep\"><thead><tr><th>Scenario</th>");
    for (int n = 0; n < ref->n_units; n++) {
        ts_buf_puts(h, "<th class=\"num\">");
        esc(h, ref->unit_id[order[n]]);
        ts_buf_puts(h, "</th>");
    }
    ts_buf_puts(h, "</tr></thead><tbody>\n<tr><td><i>Reference score</i></td>");
    for (int n = 0; n < ref->n_units; n++) {
        size_t c = cell(ref, order[n], k);
        ts_buf_puts(h, "<td class=\"num\">");
        num(h, ref->score[c], 2);
        ts_buf_puts(h, " ");
        class_badge(h, co, ref->cls[c]);
        ts_buf_puts(h, "</td>");
    }
    ts_buf_puts(h, "</tr>\n");
    for (int i = 1; i < b->n_runs; i++) {
        ts_buf_puts(h, "<tr><td>");
        esc(h, b->runs[i].r->info.scenario);
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
        esc(h, x->info.scenario);
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
            unit_label(h, ref, u);
            ts_buf_puts(h, "</td><td class=\"num\">");
            num(h, row->ref_score, 2);
            ts_buf_puts(h, "</td><td class=\"num\">");
            num(h, row->score, 2);
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
    size_t c = cell(p, u, k);
    double score = p->score[c];
    ts_buf_printf(h, "<article class=\"country\" id=\"unit-%d\">\n<div class=\"keep\"><h3>", u + 1);
    unit_label(h, p, u);
    ts_buf_puts(h, "</h3>\n<p>");
    if (p->rank[c]) ts_buf_printf(h, "Rank %d of %d", p->rank[c], p->n_units);
    else ts_buf_puts(h, "Not ranked");
    ts_buf_puts(h, " \xc2\xb7 score ");
    num(h, score, 2);
    ts_buf_puts(h, " ");
    class_badge(h, co, p->cls[c]);
    ts_buf_puts(h, " \xc2\xb7 coverage ");
    percent(h, p->coverage[c]);
    ts_buf_puts(h, "</p>\n");
    /* dimensions in order of their part of the score */
    int dims[64], nd = 0;
    for (int j = 0; j < p->n_nodes && nd < 64; j++)
        if (p->nodes[j].parent == k) dims[nd++] = j;
    for (int i = 1; i < nd; i++)
        for (int j = i; j > 0; j--) {
            double a = t->contrib[cell(p, u, dims[j - 1])], x = t->contrib[cell(p, u, dims[j])];
            if (!(isfinite(x) && (!isfinite(a) || x > a))) break;
            int s = dims[j];
            dims[j] = dims[j - 1], dims[j - 1] = s;
        }
    ts_buf_puts(h, "<p class=\"small\"><b>Dimensions, by their part of the score:</b> ");
    for (int i = 0, shown = 0; i < nd && shown < 5; i++) {
        double x = t->contrib[cell(p, u, dims[i])];
        if (!isfinite(x)) continue;
        ts_buf_puts(h, shown++ ? "; " : "");
        esc(h, node_name(p, dims[i]));
        ts_buf_puts(h, " ");
        num(h, x, 2);
        if (score > 0) {
            ts_buf_puts(h, " (");
            percent(h, x / score);
            ts_buf_puts(h, ")");
        }
    }
    ts_buf_puts(h, "</p>\n");
    /* the indicators with the largest parts */
    enum { TOP = 6 };
    int top[TOP], n_top = 0;
    for (int j = 0; j < p->n_nodes; j++) {
        double x = t->contrib[cell(p, u, j)];
        if (!p->nodes[j].is_indicator || !isfinite(x) || x <= 0) continue;
        int at = n_top < TOP ? n_top++ : TOP;
        if (at == TOP && !(x > t->contrib[cell(p, u, top[TOP - 1])])) continue;
        if (at == TOP) at = TOP - 1;
        top[at] = j;
        for (int i = at; i > 0 && t->contrib[cell(p, u, top[i])] > t->contrib[cell(p, u, top[i - 1])]; i--) {
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
        size_t cj = cell(p, u, j);
        ts_buf_puts(h, "<tr><td>");
        esc(h, node_name(p, j));
        ts_buf_puts(h, "</td><td>");
        esc(h, dim >= 0 ? node_name(p, dim) : "");
        ts_buf_puts(h, "</td><td class=\"num\">");
        if (v->present && isfinite(v->raw)) ts_buf_printf(h, "%.4g", v->raw);
        else ts_buf_puts(h, "missing");
        ts_buf_puts(h, "</td><td class=\"num\">");
        if (v->year) ts_buf_printf(h, "%d", v->year);
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, v->normalised, 2);
        ts_buf_puts(h, "</td><td class=\"num\">");
        percent(h, t->eff[cj]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, t->contrib[cj], 3);
        ts_buf_puts(h, "</td><td class=\"num\">");
        percent(h, score > 0 ? t->contrib[cj] / score : NAN);
        ts_buf_puts(h, "</td></tr>\n");
    }
    ts_buf_puts(h, "</tbody></table></div>\n");
    if (b->n_runs > 1) {
        ts_buf_puts(h, "<div class=\"keep\"><h4>What changes for ");
        esc(h, unit_name(p, u));
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
            esc(h, b->runs[i].r->info.scenario);
            ts_buf_puts(h, "</td><td class=\"num\">");
            num(h, row->score, 2);
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
    int *order = ranked_units(p, b->root);
    if (!order) return;
    ts_buf_puts(h, "<section id=\"countries\">\n<h2>3. Country by country</h2>\n<p>What drives each unit's score in ");
    run_label(h, p);
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
        esc(h, p->info.scenario);
        ts_buf_puts(h, "</b> is stored in this database, so the ranking's sensitivity to the method choices and the"
                       " data has not been measured. Run <code>threatscore uncertainty SCENARIO --db FILE</code>"
                       " (with <code>--sobol</code> for the sensitivity indices) and make the report again.</p>\n"
                       "</section>\n");
        return;
    }
    const ts_stored_ua *ua = &a->ua;
    const ts_stored_ua_results *res = &a->res;
    ts_buf_printf(h, "<p>Uncertainty analysis %lld of <b>", ua->id);
    esc(h, ua->scenario);
    ts_buf_printf(h, "</b>: %ld %s", ua->n, ua->sobol ? "base samples (Sobol' design)" : "replications");
    ts_buf_puts(h, ", seed ");
    esc(h, ua->seed);
    ts_buf_puts(h, ", stored ");
    when(h, a->match.created_at);
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
        esc(h, res->unit_name[u] && *res->unit_name[u] ? res->unit_name[u] : res->unit_id[u]);
        ts_buf_puts(h, "</td><td class=\"num\">");
        if (res->nominal_rank[u]) ts_buf_printf(h, "%d", res->nominal_rank[u]);
        else ts_buf_puts(h, "\xe2\x80\x93");
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, res->rank_p50[u], 0);
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, res->rank_p05[u], 0);
        ts_buf_puts(h, "\xe2\x80\x93");
        num(h, res->rank_p95[u], 0);
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, res->nominal_score[u], 2);
        ts_buf_puts(h, "</td><td class=\"num\">");
        num(h, res->median_score[u], 2);
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
                esc(h, a->sobol.factor[best[m]]);
                ts_buf_puts(h, " ");
                num(h, st[best[m]], 2);
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
        esc(h, p->info.scenario);
        ts_buf_puts(h, "</b> are stored: <code>threatscore trend SCENARIO --db FILE</code> scores it for every year its"
                       " data covers.</p>\n</section>\n");
        return;
    }
    ts_buf_puts(h, "<p>The index score of each unit when ");
    esc(h, p->info.scenario);
    ts_buf_puts(h, " is scored for each year (values of earlier years carried forward where a year has none); rank in"
                   " small type.</p>\n<table class=\"keep\"><thead><tr><th>Unit</th>");
    for (int y = 0; y < b->n_years; y++) ts_buf_printf(h, "<th class=\"num\">%d</th>", b->years[y]);
    ts_buf_puts(h, "</tr></thead><tbody>\n");
    int *order = ranked_units(p, b->root);
    for (int i = 0; order && i < p->n_units; i++) {
        const char *unit = p->unit_id[order[i]];
        ts_buf_puts(h, "<tr><td>");
        unit_label(h, p, order[i]);
        ts_buf_puts(h, "</td>");
        for (int y = 0; y < b->n_years; y++) {
            const ts_stored_run *r = b->year_runs[y];
            int u = ts_stored_run_unit(r, unit), k = ts_brief_root(r);
            ts_buf_puts(h, "<td class=\"num\">");
            if (u >= 0) {
                num(h, r->score[cell(r, u, k)], 2);
                if (r->rank[cell(r, u, k)]) ts_buf_printf(h, " <span class=\"muted small\">#%d</span>", r->rank[cell(r, u, k)]);
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

/* ---- values and sources -------------------------------------------------------- */

/* Writes a source text with its [KEY] citations in bold. */
static void source_text(ts_buf *h, const char *s) {
    if (!s || !*s) {
        ts_buf_puts(h, "<span class=\"muted\">no source given</span>");
        return;
    }
    size_t pos = 0, done = 0, n;
    const char *key;
    char *copy = malloc(strlen(s) + 1);
    if (!copy) {
        esc(h, s);
        return;
    }
    while (ts_register_next_key(s, &pos, &key, &n)) {
        size_t at = (size_t)(key - 1 - s);
        memcpy(copy, s + done, at - done);
        copy[at - done] = '\0';
        esc(h, copy);
        ts_buf_puts(h, "<b>[");
        memcpy(copy, key, n);
        copy[n] = '\0';
        esc(h, copy);
        ts_buf_puts(h, "]</b>");
        done = pos;
    }
    esc(h, s + done);
    free(copy);
}

/* Writes text escaped, with every long decimal (17 significant digits, as
 * the engine records a shock's amount: 0.090999999999999998) shown with
 * six, as a reader wants it (0.091). */
static void esc_tidy(ts_buf *h, const char *s) {
    if (!s) return;
    ts_buf plain = {0};
    for (const char *p = s; *p;) {
        const char *q = p;
        if (*q == '-') q++;
        const char *digits = q;
        while (*q >= '0' && *q <= '9') q++;
        int frac = 0;
        if (*q == '.' && q > digits) {
            const char *f = ++q;
            while (*q >= '0' && *q <= '9') q++;
            frac = (int)(q - f);
        }
        int word_start = p == s || !((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.');
        if (frac >= 10 && word_start) {
            ts_buf_printf(&plain, "%.6g", strtod(p, NULL));
            p = q;
        } else {
            ts_buf_append(&plain, p, 1);
            p++;
        }
    }
    esc(h, plain.data ? plain.data : "");
    ts_buf_free(&plain);
}

/* Writes a value's flags: estimate, imputed, carried forward, interpolated,
 * shocked (with what was done), alternatives (with their sources). */
static void flags(ts_buf *h, const brief_value *v, int run_year) {
    int any = 0;
    if (v->estimate) ts_buf_puts(h, "<span class=\"flag est\">estimate</span>"), any = 1;
    if (v->imputed) ts_buf_puts(h, "<span class=\"flag imp\">imputed</span>"), any = 1;
    if (v->selected == TS_SELECT_CARRIED) {
        ts_buf_puts(h, "<span class=\"flag car\">carried forward");
        if (v->year && run_year) ts_buf_printf(h, " from %d to %d", v->year, run_year);
        ts_buf_puts(h, "</span>");
        any = 1;
    } else if (v->selected == TS_SELECT_INTERPOLATED) {
        ts_buf_puts(h, "<span class=\"flag car\">interpolated</span>");
        any = 1;
    }
    if (v->shock) {
        ts_buf_puts(h, "<span class=\"flag shk\">shocked</span> ");
        esc_tidy(h, v->shock);
        any = 1;
    }
    if (v->n_alt) {
        ts_buf_puts(h, any ? "<br>" : "");
        ts_buf_puts(h, "<span class=\"flag alt\">alternatives</span> ");
        for (int i = 0; i < v->n_alt; i++) {
            ts_buf_puts(h, i ? "; " : "");
            if (isfinite(v->alt[i].value)) ts_buf_printf(h, "%.6g", v->alt[i].value);
            else ts_buf_puts(h, "?");
            if (v->alt[i].year) ts_buf_printf(h, " (%d)", v->alt[i].year);
            ts_buf_puts(h, " ");
            source_text(h, v->alt[i].source);
        }
        any = 1;
    }
    if (v->note && (v->estimate || v->n_alt || v->selected)) {
        ts_buf_puts(h, any ? "<br>" : "");
        ts_buf_puts(h, "<span class=\"muted\">");
        esc(h, v->note);
        ts_buf_puts(h, "</span>");
    }
}

/* Writes a value's number, or "missing". */
static void raw_value(ts_buf *h, const brief_value *v) {
    if (!v || !v->present) ts_buf_puts(h, "<span class=\"muted\">no row</span>");
    else if (isnan(v->raw)) ts_buf_puts(h, "<i class=\"muted\">missing</i>");
    else ts_buf_printf(h, "%.6g", v->raw);
}

/* Returns 1 when the value carries a flag listed under "Flagged values". */
static int flagged(const brief_value *v) {
    return v->present && (v->estimate || v->imputed || v->selected || v->shock || v->n_alt);
}

/* Writes the short marks of a value's flags (the legend explains them). */
static void flag_marks(ts_buf *h, const brief_value *v) {
    if (!flagged(v)) return;
    ts_buf_puts(h, "<sup class=\"mk\">");
    if (v->estimate) ts_buf_puts(h, "E");
    if (v->imputed) ts_buf_puts(h, "I");
    if (v->selected == TS_SELECT_CARRIED) ts_buf_puts(h, "C");
    if (v->selected == TS_SELECT_INTERPOLATED) ts_buf_puts(h, "P");
    if (v->shock) ts_buf_puts(h, "S");
    if (v->n_alt) ts_buf_puts(h, "A");
    ts_buf_puts(h, "</sup>");
}

/* Returns 1 when a and b are the same text (both NULL counts). */
static int same_text(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Writes indicator k's line: name, id, unit of measure and direction. */
static void indicator_label(ts_buf *h, const ts_stored_run *p, int k) {
    const ts_stored_node *nd = &p->nodes[k];
    esc(h, node_name(p, k));
    ts_buf_puts(h, "<br><span class=\"id small\">");
    esc(h, nd->id);
    if (nd->unit_of_measure && *nd->unit_of_measure) {
        ts_buf_puts(h, " \xc2\xb7 ");
        esc(h, nd->unit_of_measure);
    }
    if (nd->direction) ts_buf_puts(h, strcmp(nd->direction, "risk") == 0 ? " \xc2\xb7 higher is more risk" : " \xc2\xb7 higher is less risk");
    ts_buf_puts(h, "</span>");
}

/* Every value of the primary run: one row per indicator (units across,
 * the year most of them share, their sources), by dimension; then every
 * flagged value with what the flag says. */
static void values_table(ts_brief *b, ts_buf *h) {
    const brief_run *pr = &b->runs[b->primary];
    const ts_stored_run *p = pr->r;
    int nu = p->n_units, *order = ranked_units(p, b->root);
    if (!order) return;
    ts_buf_puts(h, "<p class=\"small\">Marks after a value: <b>E</b> estimate, <b>I</b> imputed, <b>C</b> carried"
                   " forward from an earlier year, <b>P</b> interpolated, <b>S</b> shocked by the scenario,"
                   " <b>A</b> conflicting sourced alternatives; each is listed under <i>Flagged values</i>. A year"
                   " in brackets differs from the row's year. \xe2\x80\x93 missing: left out, the weights of its"
                   " siblings rescaled.</p>\n");
    double unit_share = nu ? 42.0 / nu : 42.0;
    ts_buf_printf(h, "<table class=\"values\"><colgroup><col style=\"width:26%%\">");
    for (int i = 0; i < nu; i++) ts_buf_printf(h, "<col style=\"width:%.2f%%\">", unit_share);
    ts_buf_puts(h, "<col style=\"width:6%\"><col style=\"width:26%\"></colgroup>\n<thead><tr><th>Indicator</th>");
    for (int i = 0; i < nu; i++) {
        ts_buf_puts(h, "<th class=\"num\">");
        esc(h, p->unit_id[order[i]]);
        ts_buf_puts(h, "</th>");
    }
    ts_buf_puts(h, "<th class=\"num\">Year</th><th>Source</th></tr></thead>\n");
    int dim = -1;
    for (int k = 0; k < p->n_nodes; k++) {
        if (!p->nodes[k].is_indicator) continue;
        int d = k;
        while (p->nodes[d].parent >= 0 && p->nodes[d].parent != b->root) d = p->nodes[d].parent;
        if (d != dim) {
            ts_buf_puts(h, dim < 0 ? "<tbody>" : "</tbody>\n<tbody>");
            ts_buf_printf(h, "<tr class=\"group\"><th colspan=\"%d\">", nu + 3);
            esc(h, node_name(p, d));
            ts_buf_puts(h, "</th></tr>\n");
            dim = d;
        }
        /* the year most values of the row have */
        int year = 0, best = 0;
        for (int i = 0; i < nu; i++) {
            const brief_value *v = ts_brief_value(pr, order[i], k);
            if (!v->present || !v->year) continue;
            int count = 0;
            for (int j = 0; j < nu; j++) count += ts_brief_value(pr, order[j], k)->year == v->year;
            if (count > best) best = count, year = v->year;
        }
        ts_buf_puts(h, "<tr><td>");
        indicator_label(h, p, k);
        ts_buf_puts(h, "</td>");
        for (int i = 0; i < nu; i++) {
            const brief_value *v = ts_brief_value(pr, order[i], k);
            ts_buf_puts(h, "<td class=\"num\">");
            if (!v->present || isnan(v->raw)) ts_buf_puts(h, "\xe2\x80\x93");
            else ts_buf_printf(h, "%.6g", v->raw);
            if (v->present && v->year && v->year != year) ts_buf_printf(h, " <span class=\"small\">(%d)</span>", v->year);
            flag_marks(h, v);
            ts_buf_puts(h, "</td>");
        }
        ts_buf_puts(h, "<td class=\"num\">");
        if (year) ts_buf_printf(h, "%d", year);
        ts_buf_puts(h, "</td><td class=\"src\">");
        /* each distinct source once, with the units citing it when not all */
        int shown = 0, with_source = 0;
        for (int i = 0; i < nu; i++) with_source += ts_brief_value(pr, order[i], k)->source != NULL;
        for (int i = 0; i < nu; i++) {
            const brief_value *v = ts_brief_value(pr, order[i], k);
            if (!v->source) continue;
            int first = 1, users = 0;
            for (int j = 0; j < i && first; j++) first = !same_text(ts_brief_value(pr, order[j], k)->source, v->source);
            if (!first) continue;
            for (int j = 0; j < nu; j++) users += same_text(ts_brief_value(pr, order[j], k)->source, v->source);
            ts_buf_puts(h, shown++ ? "<br>" : "");
            if (users < with_source || with_source < nu) {
                ts_buf_puts(h, "<span class=\"muted\">");
                for (int j = 0, m = 0; j < nu; j++)
                    if (same_text(ts_brief_value(pr, order[j], k)->source, v->source)) {
                        ts_buf_puts(h, m++ ? ", " : "");
                        esc(h, p->unit_id[order[j]]);
                    }
                ts_buf_puts(h, ":</span> ");
            }
            source_text(h, v->source);
        }
        if (!shown) ts_buf_puts(h, "<span class=\"muted\">no source given</span>");
        ts_buf_puts(h, "</td></tr>\n");
    }
    if (dim >= 0) ts_buf_puts(h, "</tbody>");
    ts_buf_puts(h, "</table>\n");
    /* the flagged values, with what each flag says */
    int n_flagged = 0;
    for (int k = 0; k < p->n_nodes; k++)
        for (int u = 0; u < nu && p->nodes[k].is_indicator; u++) n_flagged += flagged(ts_brief_value(pr, u, k));
    ts_buf_printf(h, "<h3>Flagged values</h3>\n<p>%d value%s of ", n_flagged, n_flagged == 1 ? "" : "s");
    run_label(h, p);
    ts_buf_puts(h, n_flagged ? " carry a flag:</p>\n" : " carry a flag.</p>\n");
    if (n_flagged) {
        ts_buf_puts(h, "<table><colgroup><col style=\"width:24%\"><col style=\"width:7%\"><col style=\"width:9%\">"
                       "<col style=\"width:6%\"><col style=\"width:54%\"></colgroup>\n<thead><tr><th>Indicator</th>"
                       "<th>Unit</th><th class=\"num\">Value</th><th class=\"num\">Year</th><th>Flags, alternatives"
                       " and notes</th></tr></thead><tbody>\n");
        for (int k = 0; k < p->n_nodes; k++) {
            if (!p->nodes[k].is_indicator) continue;
            for (int i = 0; i < nu; i++) {
                const brief_value *v = ts_brief_value(pr, order[i], k);
                if (!flagged(v)) continue;
                ts_buf_puts(h, "<tr><td>");
                esc(h, node_name(p, k));
                ts_buf_puts(h, "</td><td>");
                esc(h, p->unit_id[order[i]]);
                ts_buf_puts(h, "</td><td class=\"num\">");
                raw_value(h, v);
                ts_buf_puts(h, "</td><td class=\"num\">");
                if (v->year) ts_buf_printf(h, "%d", v->year);
                ts_buf_puts(h, "</td><td class=\"flags\">");
                flags(h, v, p->year);
                ts_buf_puts(h, "</td></tr>\n");
            }
        }
        ts_buf_puts(h, "</tbody></table>\n");
    }
    free(order);
}

/* The values each compared run holds that differ from the reference's. */
static void changed_values(ts_brief *b, ts_buf *h) {
    const brief_run *ref = &b->runs[0];
    for (int i = 1; i < b->n_runs; i++) {
        const brief_run *x = &b->runs[i];
        int n = 0;
        for (int u = 0; u < x->r->n_units; u++)
            n += inputs_changed(b, i, x->r->unit_id[u]);
        ts_buf_puts(h, "<h4>");
        esc(h, x->r->info.scenario);
        ts_buf_printf(h, " <span class=\"id\">run %lld: %d value%s differ from the reference</span></h4>\n", x->r->info.id,
                      n, n == 1 ? "" : "s");
        if (!n) continue;
        ts_buf_puts(h, "<table><thead><tr><th>Indicator</th><th>Unit</th><th class=\"num\">Reference</th>"
                       "<th class=\"num\">Scenario</th><th>Source, and what the scenario does</th></tr></thead><tbody>\n");
        for (int k = 0; k < x->r->n_nodes; k++) {
            if (!x->r->nodes[k].is_indicator) continue;
            int kr = ts_stored_run_node(ref->r, x->r->nodes[k].id);
            for (int u = 0; u < x->r->n_units; u++) {
                int ur = ts_stored_run_unit(ref->r, x->r->unit_id[u]);
                const brief_value *a = kr >= 0 && ur >= 0 ? ts_brief_value(ref, ur, kr) : NULL,
                                  *v = ts_brief_value(x, u, k);
                if (!value_changed(a, v)) continue;
                ts_buf_puts(h, "<tr><td>");
                esc(h, node_name(x->r, k));
                ts_buf_puts(h, "</td><td>");
                esc(h, x->r->unit_id[u]);
                ts_buf_puts(h, "</td><td class=\"num\">");
                raw_value(h, a);
                ts_buf_puts(h, "</td><td class=\"num\">");
                raw_value(h, v);
                ts_buf_puts(h, "</td><td class=\"flags\">");
                source_text(h, v->source);
                if (v->shock) {
                    ts_buf_puts(h, "<br><span class=\"flag shk\">shocked</span> ");
                    esc_tidy(h, v->shock);
                }
                ts_buf_puts(h, "</td></tr>\n");
            }
        }
        ts_buf_puts(h, "</tbody></table>\n");
    }
}

/* A cited key and how many values cite it. */
typedef struct cited {
    const char *key;
    size_t n;
    int count;
} cited;

/* Counts one citation of key (len bytes) in v (n entries, room for cap). */
static void cite(cited *v, int *n, int cap, const char *key, size_t len) {
    for (int i = 0; i < *n; i++)
        if (v[i].n == len && strncmp(v[i].key, key, len) == 0) {
            v[i].count++;
            return;
        }
    if (*n < cap) v[(*n)++] = (cited){key, len, 1};
}

/* Orders cited keys bytewise (qsort). */
static int cmp_cited(const void *a, const void *b) {
    const cited *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = strncmp(x->key, y->key, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Every register key cited by a value (or an alternative) of the runs in
 * the report, with the register's entry. */
static void register_table(ts_brief *b, ts_buf *h) {
    enum { CAP = 1024 };
    cited *keys = malloc(CAP * sizeof *keys);
    if (!keys) return;
    int n = 0, uncited = 0;
    /* the primary run's values, and the values the other runs change */
    for (int i = 0; i < b->n_runs; i++) {
        const brief_run *br = &b->runs[i], *ref = &b->runs[0];
        size_t cells = (size_t)br->r->n_units * (size_t)br->r->n_nodes;
        for (size_t c = 0; c < cells; c++) {
            const brief_value *v = &br->values[c];
            if (!v->present) continue;
            if (i != b->primary) {
                int u = (int)(c / (size_t)br->r->n_nodes), k = (int)(c % (size_t)br->r->n_nodes);
                int ur = ts_stored_run_unit(ref->r, br->r->unit_id[u]), kr = ts_stored_run_node(ref->r, br->r->nodes[k].id);
                const brief_value *rv = ur >= 0 && kr >= 0 ? ts_brief_value(ref, ur, kr) : NULL;
                if (i == 0 || !value_changed(rv, v)) continue;
            }
            for (int a = -1; a < v->n_alt; a++) {
                const char *s = a < 0 ? v->source : v->alt[a].source, *key;
                size_t pos = 0, len;
                int found = 0;
                while (s && ts_register_next_key(s, &pos, &key, &len)) cite(keys, &n, CAP, key, len), found = 1;
                if (!found && a < 0 && s && *s) uncited++;
            }
        }
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_cited);
    ts_buf_puts(h, "<h3>Source register</h3>\n<p>The register keys the values cite, with their entry in ");
    esc(h, b->register_path[0] ? b->register_path : "the register");
    if (!b->reg) {
        ts_buf_puts(h, ".</p>\n<p class=\"note warn\">The register could not be read: ");
        esc(h, b->register_error);
        ts_buf_puts(h, ". The keys are listed without their entries.</p>\n");
    } else {
        ts_buf_printf(h, " (%d entries).</p>\n", ts_register_count(b->reg));
    }
    if (uncited)
        ts_buf_printf(h, "<p class=\"note warn\">%d value%s give a source that cites no register key.</p>\n", uncited,
                      uncited == 1 ? "" : "s");
    ts_buf_puts(h, "<table class=\"register\"><colgroup><col style=\"width:22%\"><col style=\"width:68%\"><col style=\"width:10%\">"
                   "</colgroup>\n<thead><tr><th>Key</th><th>Entry</th><th class=\"num wrap\">Values citing it</th></tr></thead>"
                   "<tbody>\n");
    for (int i = 0; i < n; i++) {
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(keys[i].n < 127 ? keys[i].n : 127), keys[i].key);
        const char *title = ts_register_title(b->reg, keys[i].key, keys[i].n);
        ts_buf_puts(h, "<tr><td class=\"key\">");
        esc(h, key);
        ts_buf_puts(h, "</td><td>");
        if (title) esc(h, title);
        else if (b->reg) ts_buf_puts(h, "<span class=\"up\">not in the register</span>");
        else ts_buf_puts(h, "<span class=\"muted\">register not read</span>");
        ts_buf_printf(h, "</td><td class=\"num\">%d</td></tr>\n", keys[i].count);
    }
    ts_buf_puts(h, "</tbody></table>\n");
    free(keys);
}

/* 6: every value with its source and flags, the values the scenarios change,
 * the register entries cited. */
static void section_values(ts_brief *b, ts_buf *h) {
    const ts_stored_run *p = b->runs[b->primary].r;
    ts_buf_puts(h, "<section id=\"values\">\n<h2>6. Values and sources</h2>\n<p>Every input value of ");
    run_label(h, p);
    ts_buf_puts(h, ": one row per indicator, with the year most of its values are from and the source each"
                   " cites ([KEY]: an entry of the source register, listed at the end of this section).</p>\n");
    values_table(b, h);
    if (b->n_runs > 1) {
        ts_buf_puts(h, "<h3>Values the scenarios change</h3>\n");
        changed_values(b, h);
    }
    register_table(b, h);
    ts_buf_puts(h, "</section>\n");
}

/* ---- provenance ------------------------------------------------------------------ */

/* One run's provenance: files and hashes, values hash, key, options, method. */
static void run_provenance(ts_brief *b, ts_buf *h, ts_stored_run *r, const char *role) {
    ts_buf_puts(h, "<div class=\"keep\"><h4>");
    esc(h, role);
    ts_buf_puts(h, ": ");
    run_label(h, r);
    ts_buf_puts(h, "</h4>\n<table class=\"prov\"><tbody>\n<tr><th>Stored</th><td>");
    when(h, r->info.created_at);
    ts_buf_puts(h, " by threatscore ");
    esc(h, r->info.engine_version);
    ts_buf_printf(h, "; %d units, %d indicators; taxonomy ", r->info.n_units, r->info.n_indicators);
    esc(h, r->info.taxonomy_id);
    ts_buf_puts(h, "</td></tr>\n");
    const ts_stored_file *files;
    int n = ts_stored_run_files(r, &files);
    for (int i = 0; i < n; i++) {
        ts_buf_puts(h, "<tr><th>");
        esc(h, files[i].role);
        ts_buf_puts(h, "</th><td>");
        esc(h, files[i].path);
        if (files[i].abs_path && strcmp(files[i].abs_path, files[i].path) != 0) {
            ts_buf_puts(h, " <span class=\"muted small\">(");
            esc(h, files[i].abs_path);
            ts_buf_puts(h, ")</span>");
        }
        ts_buf_puts(h, "<br><span class=\"mono\">sha256 ");
        esc(h, files[i].sha256);
        ts_buf_puts(h, "</span></td></tr>\n");
    }
    if (n < 0) ts_buf_puts(h, "<tr><th>files</th><td class=\"up\">the stored list of input files cannot be read</td></tr>\n");
    ts_buf_puts(h, "<tr><th>values</th><td><span class=\"mono\">sha256 ");
    esc(h, r->values_sha256);
    ts_buf_puts(h, "</span></td></tr>\n<tr><th>run key</th><td><span class=\"mono\">");
    esc(h, r->run_key ? r->run_key : "none (stored before schema 2)");
    ts_buf_puts(h, "</span></td></tr>\n");
    ts_stored_options o;
    if (ts_stored_run_options(r, &o) == 0 && (o.n_set || o.n_perspectives || o.has_csv)) {
        ts_buf_puts(h, "<tr><th>options</th><td>");
        for (int i = 0; i < o.n_set; i++) {
            ts_buf_puts(h, "--set ");
            esc(h, o.set[i]);
            ts_buf_puts(h, " ");
        }
        for (int i = 0; i < o.n_perspectives; i++) {
            ts_buf_puts(h, "--perspective ");
            esc(h, o.perspectives[i]);
            ts_buf_puts(h, " ");
        }
        if (o.has_csv) ts_buf_puts(h, "(scored from a CSV file)");
        ts_buf_puts(h, "</td></tr>\n");
    }
    ts_buf_puts(h, "<tr><th>method</th><td class=\"small\">");
    method_summary(h, r->method_json, b->arena);
    ts_buf_puts(h, "</td></tr>\n</tbody></table></div>\n");
}

/* 7: the report's own provenance, then every run's and the analysis'. */
static void section_provenance(ts_brief *b, ts_buf *h) {
    ts_buf_puts(h, "<section id=\"provenance\">\n<h2>7. Provenance</h2>\n<p>What it takes to reproduce every number"
                   " above: each run's input files with their SHA-256, the hash of the values scored, the engine"
                   " version and the method settings. <code>threatscore rescore --db FILE --run ID</code> re-runs a"
                   " run from these and checks it bit for bit.</p>\n");
    ts_buf_puts(h, "<table class=\"prov\"><tbody>\n<tr><th>Report</th><td>threatscore " TS_VERSION);
    if (b->opt->generated_at) {
        ts_buf_puts(h, ", generated ");
        esc(h, b->opt->generated_at);
    }
    ts_buf_puts(h, "</td></tr>\n<tr><th>Database</th><td>");
    esc(h, b->opt->db);
    ts_buf_puts(h, "</td></tr>\n<tr><th>Source register</th><td>");
    if (b->reg) esc(h, b->register_path);
    else esc(h, b->register_error);
    ts_buf_puts(h, "</td></tr>\n</tbody></table>\n");
    for (int i = 0; i < b->n_runs; i++)
        run_provenance(b, h, b->runs[i].r, i == 0 ? "Reference" : i == b->primary ? "Reported run" : "Compared");
    for (int y = 0; y < b->n_years; y++) run_provenance(b, h, b->year_runs[y], "Per-year run");
    if (b->ua.have) {
        const ts_stored_ua *ua = &b->ua.ua;
        ts_buf_printf(h, "<div class=\"keep\"><h4>Uncertainty analysis %lld</h4>\n<table class=\"prov\"><tbody>\n"
                         "<tr><th>Scenario</th><td>",
                      ua->id);
        esc(h, ua->scenario);
        ts_buf_puts(h, ", stored ");
        when(h, b->ua.match.created_at);
        ts_buf_printf(h, "</td></tr>\n<tr><th>Design</th><td>%ld %s, seed ", ua->n, ua->sobol ? "base samples (Sobol')" : "replications");
        esc(h, ua->seed);
        ts_buf_printf(h, ", bootstrap %d, rank bin width %d</td></tr>\n", ua->bootstrap, ua->rank_bin_width);
        if (ua->taxonomy_sha256) {
            ts_buf_puts(h, "<tr><th>taxonomy</th><td>");
            esc(h, ua->taxonomy_path ? ua->taxonomy_path : "");
            ts_buf_puts(h, "<br><span class=\"mono\">sha256 ");
            esc(h, ua->taxonomy_sha256);
            ts_buf_puts(h, "</span></td></tr>\n");
        }
        ts_buf_printf(h, "<tr><th>Inputs</th><td>%s</td></tr>\n</tbody></table></div>\n",
                      b->ua.match.same_values && b->ua.match.same_taxonomy ? "the values and taxonomy of the reported run"
                                                                            : "differ from the reported run's");
    }
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
    section_values(b, out);
    section_provenance(b, out);
    ts_buf_puts(out, "</main>\n<footer class=\"small muted\"><p>Made by threatscore " TS_VERSION
                     " from the database named above; no part of this page is loaded from elsewhere.</p></footer>\n"
                     "</body>\n</html>\n");
    return out->oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
}
