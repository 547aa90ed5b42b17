/* kinds.c -- one gnuplot script generator per chart kind. Numbers go into
 * inline datablocks; names only through ts_gp_quote. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plotdata.h"

static const char *const KIND_NAMES[] = {"ranking", "compare",     "heatmap",    "radar",
                                         "contributions", "trend", "uncertainty", "sensitivity", "alerts"};
static const ts_plot_kind KIND_VALUES[] = {TS_PLOT_RANKING,       TS_PLOT_COMPARE, TS_PLOT_HEATMAP,
                                           TS_PLOT_RADAR,         TS_PLOT_CONTRIBUTIONS, TS_PLOT_TREND,
                                           TS_PLOT_UNCERTAINTY,   TS_PLOT_SENSITIVITY,   TS_PLOT_ALERTS};
#define N_KINDS ((int)(sizeof KIND_NAMES / sizeof *KIND_NAMES))

/* Category colours (children of a node), by position. */
static const unsigned CATEGORY_PALETTE[] = {0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0xb07aa1,
                                            0x76b7b2, 0xedc948, 0xff9da7, 0x9c755f, 0xbab0ac};
/* Run colours for radar over runs, by position. */
static const unsigned RUN_PALETTE[] = {0x222222, 0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0xff7f0e};
/* Class colours from the lowest to the highest class. */
static const unsigned CLASS_RAMP[] = {0x1a9850, 0x91cf60, 0xfee08b, 0xfc8d59, 0xd73027};
#define N_RAMP 5
#define NO_CLASS_COLOUR 0xaaaaaa

int ts_plot_kind_parse(const char *name, ts_plot_kind *kind, ts_error *err) {
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(name, KIND_NAMES[i]) == 0) {
            *kind = KIND_VALUES[i];
            return TS_OK;
        }
    const char *hint = ts_suggest(name, KIND_NAMES, N_KINDS);
    if (hint) return ts_fail(err, TS_EUSAGE, NULL, 0, "unknown chart kind '%s' (did you mean '%s'?)", name, hint);
    return ts_fail(err, TS_EUSAGE, NULL, 0, "unknown chart kind '%s'", name);
}

const char *ts_plot_kind_name(ts_plot_kind kind) {
    for (int i = 0; i < N_KINDS; i++)
        if (KIND_VALUES[i] == kind) return KIND_NAMES[i];
    return "?";
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct gen {
    const ts_plot_data *d;
    const ts_plot_request *req;
    ts_plot_term term;
    ts_buf *b;
    ts_buf foot[4]; /* footnote lines, plain text (quoted when written) */
    int n_foot;
    int xtic_chars; /* longest rotated x tic label, in characters (0: none) */
    int ytic_chars; /* longest y tic label given by name */
} gen;

static double score_at(const ts_prun *r, int u, int k) {
    return r->score[(size_t)u * (size_t)r->n_nodes + (size_t)k];
}

static int rank_at(const ts_prun *r, int u, int k) {
    return r->rank[(size_t)u * (size_t)r->n_nodes + (size_t)k];
}

static const char *node_label(const ts_prun *r, int k) {
    const char *n = r->nodes[k].name;
    return n && *n ? n : r->nodes[k].id;
}

static const char *unit_label(const ts_prun *r, int u) {
    const char *n = r->unit_name[u];
    return n && *n ? n : r->unit_id[u];
}

static void num(ts_buf *b, double x) {
    ts_buf_printf(b, "%.10g", x);
}

/* Writes `prefix 'text'` and a newline. */
static void set_text(gen *g, const char *prefix, const char *text) {
    ts_buf_puts(g->b, prefix);
    ts_gp_quote(g->b, text, TS_GP_TEXT);
    ts_buf_puts(g->b, "\n");
}

static ts_buf *foot_line(gen *g) {
    return g->n_foot < 4 ? &g->foot[g->n_foot++] : &g->foot[3];
}

/* "score (0-10)" for the run's scale. */
static void scale_label(const ts_prun *r, char *buf, size_t n) {
    snprintf(buf, n, "score (scale %g-%g)", r->lo, r->hi);
}

/* Common settings: title, axis labels, key, grid, margins. */
static void begin(gen *g, const char *title, const char *xlabel, const char *ylabel) {
    ts_buf_puts(g->b, "reset\nset encoding utf8\nset termoption noenhanced\n");
    set_text(g, "set title ", title);
    if (xlabel) set_text(g, "set xlabel ", xlabel);
    if (ylabel) set_text(g, "set ylabel ", ylabel);
    ts_buf_puts(g->b, "set key outside right top vertical Left reverse noautotitle box\n");
}

/* The footnote: run and scenario, then any notes. */
static void footnote_run(gen *g, const ts_prun *r) {
    ts_buf *f = foot_line(g);
    ts_buf_printf(f, "Scenario: %s · run %lld · threatscore", r->scenario, r->id);
}

/* Writes the footnotes and a bottom margin that leaves room for them and
 * for rotated x tic labels. */
static void finish_footnotes(gen *g) {
    int lines = 4 + (3 * g->xtic_chars + 9) / 10 + (3 * g->n_foot + 1) / 2;
    ts_buf_printf(g->b, "set bmargin %d\n", lines);
    if (g->xtic_chars) { /* rotated labels reach left of the first tic */
        int left = 6 + g->xtic_chars / 2;
        ts_buf_printf(g->b, "set lmargin %d\n", left > g->ytic_chars + 6 ? left : g->ytic_chars + 6);
    }
    for (int i = 0; i < g->n_foot; i++) {
        ts_buf_puts(g->b, "set label ");
        ts_gp_quote(g->b, g->foot[i].data ? g->foot[i].data : "", TS_GP_TEXT);
        ts_buf_printf(g->b, " at screen 0.01, screen %.3f left font ',8' textcolor rgb '#444444'\n",
                      0.015 + 0.03 * (g->n_foot - 1 - i));
    }
}

/* Writes `set xtics (...)` (or ytics for axis 'y') for the labels. */
/* Copies label into buf (size n >= 64), cut to about 36 characters at a
 * UTF-8 boundary with an ellipsis; returns its length in characters. */
static int short_label(const char *label, char *buf, size_t n) {
    size_t len = 0;
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p && len + 8 < n; p++) {
        if ((*p & 0xc0) != 0x80) {
            if (chars == 36 && p[1]) {
                memcpy(buf + len, "\xe2\x80\xa6", 3); /* ... */
                len += 3;
                chars++;
                break;
            }
            chars++;
        }
        buf[len++] = (char)*p;
    }
    buf[len] = '\0';
    return chars;
}

/* Writes `set xtics (...)` (or ytics for axis 'y') for the labels, cut to a
 * readable length; x labels are rotated when they would not fit side by
 * side. */
static void tics(gen *g, char axis, const char *const *labels, const double *pos, int n, const char *opts) {
    char label[256];
    int total = 0, longest = 0;
    for (int i = 0; i < n; i++) {
        int chars = short_label(labels[i], label, sizeof label);
        total += chars + 2;
        if (chars > longest) longest = chars;
    }
    int rotate = axis == 'x' && total > 100;
    if (axis == 'y' && longest > g->ytic_chars) g->ytic_chars = longest;
    if (rotate) g->xtic_chars = longest;
    ts_buf_printf(g->b, "set %ctics (", axis);
    for (int i = 0; i < n; i++) {
        short_label(labels[i], label, sizeof label);
        if (i) ts_buf_puts(g->b, ", ");
        ts_gp_quote(g->b, label, TS_GP_FORMAT);
        ts_buf_puts(g->b, " ");
        num(g->b, pos[i]);
    }
    ts_buf_printf(g->b, ")%s %s\n", rotate ? " rotate by 30 right" : "", opts);
}

static void rgb(ts_buf *b, unsigned c) {
    ts_buf_printf(b, "'#%06x'", c & 0xffffff);
}

/* Returns the colour of class name at position i of n classes. */
static unsigned class_colour(const char *name, int i, int n) {
    static const char *const known[] = {"very low", "low", "medium", "high", "very high"};
    if (name)
        for (int j = 0; j < N_RAMP; j++)
            if (strcasecmp(name, known[j]) == 0) return CLASS_RAMP[j];
    if (i < 0) return NO_CLASS_COLOUR;
    if (n <= 1) return CLASS_RAMP[N_RAMP - 1];
    return CLASS_RAMP[(int)lround((double)i * (N_RAMP - 1) / (n - 1))];
}

/* The units of run r selected by the request with a score at node k,
 * ordered by score (highest first), ties by position. Returns the count. */
static int ranked_units(const gen *g, const ts_prun *r, int k, int *units) {
    int n = 0;
    for (int u = 0; u < r->n_units; u++)
        if (ts_plot_unit_selected(g->req, r->unit_id[u]) && !isnan(score_at(r, u, k))) units[n++] = u;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && score_at(r, units[j], k) > score_at(r, units[j - 1], k); j--) {
            int t = units[j];
            units[j] = units[j - 1];
            units[j - 1] = t;
        }
    return n;
}

/* Notes the selected units without a score at node k. */
static void note_missing(gen *g, const ts_prun *r, int k) {
    ts_buf *f = NULL;
    for (int u = 0; u < r->n_units; u++) {
        if (!ts_plot_unit_selected(g->req, r->unit_id[u]) || !isnan(score_at(r, u, k))) continue;
        if (!f) {
            f = foot_line(g);
            ts_buf_puts(f, "No score, not shown: ");
        } else {
            ts_buf_puts(f, ", ");
        }
        ts_buf_puts(f, unit_label(r, u));
    }
}

static void xtics_units(gen *g, const ts_prun *r, const int *units, int n) {
    const char **labels = malloc((size_t)(n + 1) * sizeof *labels);
    double *pos = malloc((size_t)(n + 1) * sizeof *pos);
    if (!labels || !pos) {
        g->b->oom = 1;
    } else {
        for (int i = 0; i < n; i++) {
            labels[i] = unit_label(r, units[i]);
            pos[i] = i;
        }
        tics(g, 'x', labels, pos, n, "nomirror");
    }
    free(labels);
    free(pos);
}

/* ---- ranking ----------------------------------------------------------- */

static int kind_ranking(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r = &d->runs[0];
    const ts_pclasses *c = &d->classes;
    int k = ts_prun_node(r, d->node);
    int *units = malloc((size_t)r->n_units * sizeof *units);
    if (!units) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int n = ranked_units(g, r, k, units);
    if (n == 0) {
        free(units);
        return ts_fail(err, TS_EINPUT, NULL, 0, "no unit has a score at node '%s' in run %lld", d->node, r->id);
    }
    char title[1200], ylabel[128];
    snprintf(title, sizeof title, "Ranking by %s", node_label(r, k));
    scale_label(r, ylabel, sizeof ylabel);
    begin(g, title, "unit, from the highest risk (rank 1) down", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    num(g->b, r->lo);
    ts_buf_puts(g->b, ":");
    num(g->b, r->hi);
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\n", n - 0.4);
    ts_buf_puts(g->b, "set style fill solid 0.9 border lc rgb '#333333'\nset boxwidth 0.7\n");
    xtics_units(g, r, units, n);
    ts_buf_puts(g->b, "$bars << EOD\n");
    for (int i = 0; i < n; i++) {
        size_t at = (size_t)units[i] * (size_t)r->n_nodes + (size_t)k;
        const char *cl = r->cls[at];
        int ci = -1;
        for (int j = 0; cl && j < c->n; j++)
            if (strcmp(c->name[j], cl) == 0) ci = j;
        ts_buf_printf(g->b, "%d ", i);
        num(g->b, r->score[at]);
        ts_buf_printf(g->b, " %u %d\n", cl ? class_colour(cl, ci, c->n) : NO_CLASS_COLOUR, rank_at(r, units[i], k));
    }
    ts_buf_puts(g->b, "EOD\n");
    if (c->have_thresholds) {
        for (int j = 0; j < c->n; j++) {
            if (!isfinite(c->min[j])) continue;
            unsigned col = class_colour(c->name[j], j, c->n);
            ts_buf_puts(g->b, "set arrow from graph 0, first ");
            num(g->b, c->min[j]);
            ts_buf_puts(g->b, " to graph 1, first ");
            num(g->b, c->min[j]);
            ts_buf_puts(g->b, " nohead front lw 1.5 dt 2 lc rgb ");
            rgb(g->b, col);
            ts_buf_puts(g->b, "\nset label ");
            char text[600];
            snprintf(text, sizeof text, "%s ≥ %g", c->name[j], c->min[j]);
            ts_gp_quote(g->b, text, TS_GP_TEXT);
            ts_buf_puts(g->b, " at graph 1, first ");
            num(g->b, c->min[j]);
            ts_buf_puts(g->b, " left offset 0.5,0 front font ',8' textcolor rgb ");
            rgb(g->b, col);
            ts_buf_puts(g->b, "\n");
        }
        ts_buf *f = foot_line(g);
        ts_buf_puts(f, "Dashed lines: class thresholds from the run's taxonomy file (unchanged since the run).");
    } else if (c->note) {
        ts_buf *f = foot_line(g);
        ts_buf_printf(f, "Bars coloured by stored class; %s.", c->note);
    }
    footnote_run(g, r);
    note_missing(g, r, k);
    finish_footnotes(g);
    ts_buf_puts(g->b, "plot $bars using 1:2:3 with boxes lc rgb variable notitle, \\\n"
                      "     $bars using 1:2:(sprintf('%.2f', $2)) with labels offset 0,0.7 font ',9' notitle");
    for (int j = 0; j < c->n; j++) {
        ts_buf_puts(g->b, ", \\\n     NaN with boxes lc rgb ");
        rgb(g->b, class_colour(c->name[j], j, c->n));
        ts_buf_puts(g->b, " title ");
        ts_gp_quote(g->b, c->name[j], TS_GP_TEXT);
    }
    ts_buf_puts(g->b, "\n");
    free(units);
    return TS_OK;
}

/* ---- heatmap ----------------------------------------------------------- */

static void palette(gen *g, const ts_prun *r) {
    ts_buf_puts(g->b, "set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')\nset cbrange [");
    num(g->b, r->lo);
    ts_buf_puts(g->b, ":");
    num(g->b, r->hi);
    ts_buf_puts(g->b, "]\n");
}

static int kind_heatmap(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r = &d->runs[0];
    int k = ts_prun_node(r, d->node);
    int *kids = malloc((size_t)r->n_nodes * sizeof *kids);
    int *units = malloc((size_t)r->n_units * sizeof *units);
    const char **labels = malloc((size_t)(r->n_nodes + r->n_units) * sizeof *labels);
    double *pos = malloc((size_t)(r->n_nodes + r->n_units) * sizeof *pos);
    if (!kids || !units || !labels || !pos) {
        free(kids), free(units), free(labels), free(pos);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int nc = ts_prun_children(r, k, kids);
    /* rows: units by score at the node (rank 1 on top), then unscored ones */
    int nu = ranked_units(g, r, k, units);
    for (int u = 0; u < r->n_units; u++)
        if (ts_plot_unit_selected(g->req, r->unit_id[u]) && isnan(score_at(r, u, k))) units[nu++] = u;
    char title[1200], xlabel[1200], cblabel[128];
    snprintf(title, sizeof title, "%s: units x categories", node_label(r, k));
    snprintf(xlabel, sizeof xlabel, "category (parts of %s)", node_label(r, k));
    scale_label(r, cblabel, sizeof cblabel);
    begin(g, title, xlabel, "unit (highest risk on top)");
    set_text(g, "set cblabel ", cblabel);
    palette(g, r);
    ts_buf_printf(g->b, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset tics scale 0\nunset key\n", nc - 0.5,
                  nu - 0.5);
    for (int c = 0; c < nc; c++) {
        labels[c] = node_label(r, kids[c]);
        pos[c] = c;
    }
    tics(g, 'x', labels, pos, nc, "");
    for (int i = 0; i < nu; i++) {
        labels[i] = unit_label(r, units[i]);
        pos[i] = nu - 1 - i;
    }
    tics(g, 'y', labels, pos, nu, "");
    ts_buf_puts(g->b, "$cells << EOD\n");
    int missing = 0;
    for (int i = 0; i < nu; i++)
        for (int c = 0; c < nc; c++) {
            double v = score_at(r, units[i], kids[c]);
            if (isnan(v)) {
                missing++;
                continue;
            }
            ts_buf_printf(g->b, "%d %d ", c, nu - 1 - i);
            num(g->b, v);
            ts_buf_puts(g->b, "\n");
        }
    ts_buf_puts(g->b, "EOD\n");
    for (int i = 0; i < nu; i++)
        for (int c = 0; c < nc; c++)
            if (isnan(score_at(r, units[i], kids[c])))
                ts_buf_printf(g->b, "set label 'n/a' at %d, %d center front textcolor rgb '#666666'\n", c,
                              nu - 1 - i);
    footnote_run(g, r);
    if (missing) ts_buf_printf(foot_line(g), "n/a: no data for that unit and category (%d cells).", missing);
    finish_footnotes(g);
    ts_buf_puts(g->b, "plot $cells using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 noborder, \\\n"
                      "     $cells using 1:2:(sprintf('%.2f', $3)) with labels font ',10'\n");
    free(kids), free(units), free(labels), free(pos);
    return TS_OK;
}

/* ---- radar ------------------------------------------------------------- */

static void radar_point(ts_buf *b, double radius, int i, int n) {
    double a = M_PI / 2 - 2 * M_PI * i / n;
    ts_buf_printf(b, "%.6f %.6f\n", radius * cos(a), radius * sin(a));
}

static int kind_radar(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r0 = &d->runs[0];
    int k0 = ts_prun_node(r0, d->node);
    int *kids = malloc((size_t)r0->n_nodes * sizeof *kids);
    if (!kids) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int nc = ts_prun_children(r0, k0, kids);
    if (nc < 3) {
        free(kids);
        return ts_fail(err, TS_EINPUT, NULL, 0, "radar needs a node with at least 3 children; '%s' has %d",
                       d->node, nc);
    }
    int by_run = d->n_runs > 1;
    char title[1200];
    if (by_run) {
        int u = ts_prun_unit(r0, g->req->units[0]);
        snprintf(title, sizeof title, "%s: %s in %d runs", node_label(r0, k0),
                 u >= 0 ? unit_label(r0, u) : g->req->units[0], d->n_runs);
    } else {
        snprintf(title, sizeof title, "%s: profile of each unit", node_label(r0, k0));
    }
    begin(g, title, NULL, NULL);
    ts_buf_puts(g->b, "unset border\nunset xtics\nunset ytics\nset size ratio -1\n"
                      "set xrange [-2.1:2.1]\nset yrange [-1.25:1.25]\n");
    /* grid: rings at 25% steps and spokes, labelled in scale units */
    ts_buf_puts(g->b, "$grid << EOD\n");
    for (int ring = 1; ring <= 4; ring++) {
        for (int i = 0; i <= nc; i++) radar_point(g->b, ring / 4.0, i % nc, nc);
        ts_buf_puts(g->b, "\n");
    }
    for (int i = 0; i < nc; i++) {
        radar_point(g->b, 0, i, nc);
        radar_point(g->b, 1, i, nc);
        ts_buf_puts(g->b, "\n");
    }
    ts_buf_puts(g->b, "EOD\n");
    for (int ring = 0; ring <= 4; ring++) {
        char v[64];
        snprintf(v, sizeof v, "%g", r0->lo + (r0->hi - r0->lo) * ring / 4.0);
        ts_buf_puts(g->b, "set label ");
        ts_gp_quote(g->b, v, TS_GP_TEXT);
        ts_buf_printf(g->b, " at 0.02, %.6f left font ',8' textcolor rgb '#777777'\n", ring / 4.0);
    }
    for (int i = 0; i < nc; i++) {
        double a = M_PI / 2 - 2 * M_PI * i / nc, x = 1.1 * cos(a), y = 1.1 * sin(a);
        char label[256];
        short_label(node_label(r0, kids[i]), label, sizeof label);
        ts_buf_puts(g->b, "set label ");
        ts_gp_quote(g->b, label, TS_GP_TEXT);
        ts_buf_printf(g->b, " at %.6f, %.6f %s\n", x, y, x > 0.05 ? "left" : x < -0.05 ? "right" : "center");
    }
    /* one series per unit, or per run */
    ts_buf series = {0}, plot = {0};
    int n_series = 0, gaps = 0;
    int n_items = by_run ? d->n_runs : r0->n_units;
    ts_buf_puts(&plot, "plot $grid using 1:2 with lines lc rgb '#cccccc' lw 1 notitle");
    for (int s = 0; s < n_items; s++) {
        const ts_prun *r = by_run ? &d->runs[s] : r0;
        int u = by_run ? ts_prun_unit(r, g->req->units[0]) : s;
        int k = ts_prun_node(r, d->node);
        if (u < 0 || (!by_run && !ts_plot_unit_selected(g->req, r->unit_id[u]))) continue;
        int any = 0;
        ts_buf_printf(&series, "# series %d\n", n_series);
        for (int i = 0; i <= nc; i++) {
            int c = ts_prun_node(r, r0->nodes[kids[i % nc]].id);
            double v = c >= 0 ? score_at(r, u, c) : NAN;
            if (isnan(v)) {
                gaps++;
                ts_buf_puts(&series, "\n");
                continue;
            }
            any = 1;
            double t = (v - r0->lo) / (r0->hi - r0->lo);
            radar_point(&series, t < 0 ? 0 : t, i % nc, nc);
        }
        ts_buf_puts(&series, "\n\n");
        if (!any) continue;
        (void)k;
        unsigned col = by_run ? RUN_PALETTE[s % 6] : ts_plot_unit_colour(d, r->unit_id[u]);
        ts_buf_printf(&plot, ", \\\n     $series index %d using 1:2 with linespoints lw 2 pt 7 ps 0.8 dt %d lc rgb ",
                      n_series, by_run ? 1 + s % 5 : 1);
        rgb(&plot, col);
        ts_buf_puts(&plot, " title ");
        if (by_run) {
            char t[1200];
            snprintf(t, sizeof t, "run %lld: %s", r->id, r->scenario);
            ts_gp_quote(&plot, t, TS_GP_TEXT);
        } else {
            ts_gp_quote(&plot, unit_label(r, u), TS_GP_TEXT);
        }
        n_series++;
    }
    ts_buf_puts(g->b, "$series << EOD\n");
    if (series.data) ts_buf_append(g->b, series.data, series.len);
    ts_buf_puts(g->b, "EOD\n");
    if (by_run) {
        ts_buf *f = foot_line(g);
        ts_buf_puts(f, "Runs: ");
        for (int i = 0; i < d->n_runs; i++)
            ts_buf_printf(f, "%s%lld %s", i ? "; " : "", d->runs[i].id, d->runs[i].scenario);
    } else {
        footnote_run(g, r0);
    }
    ts_buf_printf(foot_line(g), "Radius: score from %g (centre) to %g (outer ring)%s.", r0->lo, r0->hi,
                  gaps ? "; a gap in a line is a missing value" : "");
    finish_footnotes(g);
    if (plot.data) ts_buf_append(g->b, plot.data, plot.len);
    ts_buf_puts(g->b, "\n");
    int oom = series.oom || plot.oom;
    ts_buf_free(&series);
    ts_buf_free(&plot);
    free(kids);
    if (oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (n_series == 0) return ts_fail(err, TS_EINPUT, NULL, 0, "radar: no unit has a value under '%s'", d->node);
    return TS_OK;
}

/* ---- contributions ----------------------------------------------------- */

static double weight_of(const ts_prun *r, int u, int c) {
    double w = r->uweight[(size_t)u * (size_t)r->n_nodes + (size_t)c];
    return isnan(w) ? r->nodes[c].weight : w;
}

static int kind_contributions(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r = &d->runs[0];
    int k = ts_prun_node(r, d->node);
    int *kids = malloc((size_t)r->n_nodes * sizeof *kids);
    int *units = malloc((size_t)r->n_units * sizeof *units);
    double *part = malloc(((size_t)r->n_nodes * (size_t)r->n_units + 1) * sizeof *part);
    if (!kids || !units || !part) {
        free(kids), free(units), free(part);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int nc = ts_prun_children(r, k, kids);
    int nu = ranked_units(g, r, k, units);
    if (nu == 0) {
        free(kids), free(units), free(part);
        return ts_fail(err, TS_EINPUT, NULL, 0, "no unit has a score at node '%s' in run %lld", d->node, r->id);
    }
    const char *agg = r->nodes[k].aggregate ? r->nodes[k].aggregate : "arithmetic";
    int arithmetic = strcmp(agg, "arithmetic") == 0, rescaled = 0;
    double ymin = r->lo < 0 ? r->lo : 0, ymax = r->hi;
    /* part of child c for unit i: w~ x (arithmetic), or the node's score split
     * in proportion to w x (other means), as `threatscore explain` does */
    for (int i = 0; i < nu; i++) {
        int u = units[i];
        double wsum = 0, linear = 0, wall = 0;
        for (int c = 0; c < nc; c++) {
            double w = weight_of(r, u, kids[c]), x = score_at(r, u, kids[c]);
            if (w > 0) wall += w;
            if (isnan(x) || !(w > 0)) continue;
            wsum += w;
            linear += w * x;
        }
        if (wsum < wall) rescaled = 1;
        double pos = 0, neg = 0;
        for (int c = 0; c < nc; c++) {
            double w = weight_of(r, u, kids[c]), x = score_at(r, u, kids[c]), p = NAN;
            if (!isnan(x) && w > 0 && wsum > 0)
                p = arithmetic ? w / wsum * x : (linear != 0 ? score_at(r, u, k) * w * x / linear : 0);
            part[(size_t)c * (size_t)nu + (size_t)i] = p;
            if (p > 0) pos += p;
            else if (p < 0) neg += p;
        }
        if (pos > ymax) ymax = pos;
        if (neg < ymin) ymin = neg;
    }
    char title[1200], ylabel[160];
    snprintf(title, sizeof title, "%s: contribution of each part", node_label(r, k));
    snprintf(ylabel, sizeof ylabel, "contribution to the score (scale %g-%g)", r->lo, r->hi);
    begin(g, title, "unit, from the highest risk (rank 1) down", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    num(g->b, ymin);
    ts_buf_puts(g->b, ":");
    num(g->b, ymax + 0.06 * (ymax - ymin));
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\n", nu - 0.4);
    ts_buf_puts(g->b, "set style fill solid 0.9 border lc rgb '#333333'\n");
    xtics_units(g, r, units, nu);
    /* one block per child: x, y centre, x half-width, y half-height */
    ts_buf_puts(g->b, "$parts << EOD\n");
    double *pos = calloc((size_t)nu + 1, sizeof *pos), *neg = calloc((size_t)nu + 1, sizeof *neg);
    if (!pos || !neg) g->b->oom = 1;
    for (int c = 0; c < nc && pos && neg; c++) {
        ts_buf_printf(g->b, "# %d\n", c);
        for (int i = 0; i < nu; i++) {
            double p = part[(size_t)c * (size_t)nu + (size_t)i];
            if (isnan(p) || p == 0) continue;
            double *base = p > 0 ? &pos[i] : &neg[i];
            double y0 = *base, y1 = *base + p;
            *base = y1;
            ts_buf_printf(g->b, "%d ", i);
            num(g->b, (y0 + y1) / 2);
            ts_buf_puts(g->b, " 0.35 ");
            num(g->b, fabs(y1 - y0) / 2);
            ts_buf_puts(g->b, "\n");
        }
        ts_buf_puts(g->b, "\n\n");
    }
    ts_buf_puts(g->b, "EOD\n$totals << EOD\n");
    for (int i = 0; i < nu; i++) {
        ts_buf_printf(g->b, "%d ", i);
        num(g->b, score_at(r, units[i], k));
        ts_buf_puts(g->b, " ");
        num(g->b, pos ? pos[i] : 0);
        ts_buf_puts(g->b, "\n");
    }
    ts_buf_puts(g->b, "EOD\n");
    free(pos);
    free(neg);
    footnote_run(g, r);
    ts_buf *f = foot_line(g);
    if (arithmetic)
        ts_buf_puts(f, "Part = weight x score of the part, weights rescaled among the parts with data; the "
                       "parts add up to the score.");
    else
        ts_buf_printf(f, "The node uses the %s mean, not a weighted sum: its score is split in proportion "
                         "to weight x score of each part.",
                      agg);
    if (rescaled) ts_buf_puts(foot_line(g), "Some units miss parts: their other parts' weights are rescaled.");
    note_missing(g, r, k);
    finish_footnotes(g);
    ts_buf_puts(g->b, "plot ");
    int first = 1;
    for (int c = 0; c < nc; c++) {
        int any = 0;
        for (int i = 0; i < nu; i++) {
            double p = part[(size_t)c * (size_t)nu + (size_t)i];
            if (!isnan(p) && p != 0) any = 1;
        }
        if (!any) continue; /* gnuplot refuses an empty block */
        if (!first) ts_buf_puts(g->b, ", \\\n     ");
        first = 0;
        ts_buf_printf(g->b, "$parts index %d using 1:2:3:4 with boxxyerror fc rgb ", c);
        rgb(g->b, CATEGORY_PALETTE[c % 10]);
        ts_buf_puts(g->b, " title ");
        ts_gp_quote(g->b, node_label(r, kids[c]), TS_GP_TEXT);
    }
    if (!first) ts_buf_puts(g->b, ", \\\n     ");
    ts_buf_puts(g->b, "$totals using 1:3:(sprintf('%.2f', $2)) with labels offset 0,0.7 font ',9' notitle\n");
    free(kids), free(units), free(part);
    return TS_OK;
}

/* ---- compare ----------------------------------------------------------- */

static const double RUN_DENSITY[] = {1.0, 0.55, 0.25};

/* Writes the fill style of run j. */
static void run_fill(ts_buf *b, int j) {
    if (j < 3) ts_buf_printf(b, "fs solid %.2f border lc rgb '#333333'", RUN_DENSITY[j]);
    else ts_buf_printf(b, "fs pattern %d border lc rgb '#333333'", 1 + (j - 3) % 7);
}

static int kind_compare(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r0 = &d->runs[0];
    int k0 = ts_prun_node(r0, d->node);
    /* the units: by rank in the first run, then any the others add */
    int cap = 0;
    for (int j = 0; j < d->n_runs; j++) cap += d->runs[j].n_units;
    const char **ids = malloc((size_t)(cap + 1) * sizeof *ids);
    const char **labels = malloc((size_t)(cap + 1) * sizeof *labels);
    double *xpos = malloc((size_t)(cap + 1) * sizeof *xpos);
    int *order = malloc((size_t)(r0->n_units + 1) * sizeof *order);
    if (!ids || !labels || !xpos || !order) {
        free(ids), free(labels), free(xpos), free(order);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int n = 0, no = ranked_units(g, r0, k0, order);
    for (int i = 0; i < no; i++) {
        ids[n] = r0->unit_id[order[i]];
        labels[n++] = unit_label(r0, order[i]);
    }
    for (int j = 0; j < d->n_runs; j++) {
        const ts_prun *r = &d->runs[j];
        for (int u = 0; u < r->n_units; u++) {
            if (!ts_plot_unit_selected(g->req, r->unit_id[u])) continue;
            int seen = 0;
            for (int i = 0; i < n && !seen; i++) seen = strcmp(ids[i], r->unit_id[u]) == 0;
            if (!seen) {
                ids[n] = r->unit_id[u];
                labels[n++] = unit_label(r, u);
            }
        }
    }
    for (int i = 0; i < n; i++) xpos[i] = i;
    int m = d->n_runs;
    double bw = 0.8 / m;
    char title[1200], ylabel[128];
    snprintf(title, sizeof title, "%s: %d runs compared", node_label(r0, k0), m);
    scale_label(r0, ylabel, sizeof ylabel);
    begin(g, title, "unit, in the first run's order", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    num(g->b, r0->lo);
    ts_buf_puts(g->b, ":");
    num(g->b, r0->hi + 0.08 * (r0->hi - r0->lo));
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\nset boxwidth %.6f\n", n - 0.4, bw);
    tics(g, 'x', labels, xpos, n, "nomirror");
    ts_buf_puts(g->b, "$bars << EOD\n");
    for (int j = 0; j < m; j++) {
        const ts_prun *r = &d->runs[j];
        int k = ts_prun_node(r, d->node);
        ts_buf_printf(g->b, "# run %lld\n", r->id);
        for (int i = 0; i < n; i++) {
            int u = ts_prun_unit(r, ids[i]);
            double v = u >= 0 ? score_at(r, u, k) : NAN;
            if (isnan(v)) continue;
            ts_buf_printf(g->b, "%.6f ", i - 0.4 + bw * (j + 0.5));
            num(g->b, v);
            ts_buf_printf(g->b, " %u\n", ts_plot_unit_colour(d, ids[i]));
        }
        ts_buf_puts(g->b, "\n\n");
    }
    ts_buf_puts(g->b, "EOD\n");
    /* rank changes against the first run, above the later runs' bars */
    double lift = 0.02 * (r0->hi - r0->lo);
    for (int j = 1; j < m; j++) {
        const ts_prun *r = &d->runs[j];
        int k = ts_prun_node(r, d->node);
        for (int i = 0; i < n; i++) {
            int u = ts_prun_unit(r, ids[i]), u0 = ts_prun_unit(r0, ids[i]);
            if (u < 0 || isnan(score_at(r, u, k)) || !rank_at(r, u, k)) continue;
            char text[32];
            int before = u0 >= 0 ? rank_at(r0, u0, k0) : 0, delta = before - rank_at(r, u, k);
            if (!before) snprintf(text, sizeof text, "new");
            else if (delta == 0) snprintf(text, sizeof text, "=");
            else snprintf(text, sizeof text, "%+d", delta);
            ts_buf_printf(g->b, "set label '%s' at %.6f, ", text, i - 0.4 + bw * (j + 0.5));
            num(g->b, score_at(r, u, k) + lift);
            ts_buf_puts(g->b, " center offset 0,0.5 font ',8' front\n");
        }
    }
    ts_buf *f = foot_line(g);
    ts_buf_puts(f, "Runs: ");
    for (int j = 0; j < m; j++) ts_buf_printf(f, "%s%lld %s", j ? "; " : "", d->runs[j].id, d->runs[j].scenario);
    if (m > 1)
        ts_buf_printf(foot_line(g), "Above bars: rank change against run %lld (+2 = two places higher, "
                                    "closer to rank 1 = highest risk). Bar colour: unit; fill: run.",
                      r0->id);
    finish_footnotes(g);
    ts_buf_puts(g->b, "plot ");
    for (int j = 0; j < m; j++) {
        ts_buf_printf(g->b, "%s$bars index %d using 1:2:3 with boxes lc rgb variable ", j ? ", \\\n     " : "", j);
        run_fill(g->b, j);
        ts_buf_puts(g->b, " notitle");
    }
    for (int j = 0; j < m; j++) {
        char t[1200];
        snprintf(t, sizeof t, "run %lld: %s", d->runs[j].id, d->runs[j].scenario);
        ts_buf_puts(g->b, ", \\\n     NaN with boxes lc rgb '#555555' ");
        run_fill(g->b, j);
        ts_buf_puts(g->b, " title ");
        ts_gp_quote(g->b, t, TS_GP_TEXT);
    }
    ts_buf_puts(g->b, "\n");
    free(ids), free(labels), free(xpos), free(order);
    return TS_OK;
}

/* ---- trend ------------------------------------------------------------- */

static int cmp_year(const void *a, const void *b) {
    const ts_prun *x = *(const ts_prun *const *)a, *y = *(const ts_prun *const *)b;
    if (x->year != y->year) return x->year < y->year ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int kind_trend(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun **runs = malloc((size_t)d->n_runs * sizeof *runs);
    if (!runs) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    for (int j = 0; j < d->n_runs; j++) runs[j] = &d->runs[j];
    qsort(runs, (size_t)d->n_runs, sizeof *runs, cmp_year);
    const ts_prun *r0 = &d->runs[0];
    int k0 = ts_prun_node(r0, d->node);
    char title[1200], ylabel[128];
    snprintf(title, sizeof title, "%s over the years", node_label(r0, k0));
    scale_label(r0, ylabel, sizeof ylabel);
    begin(g, title, "year", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    num(g->b, r0->lo);
    ts_buf_puts(g->b, ":");
    num(g->b, r0->hi);
    ts_buf_printf(g->b, "]\nset xrange [%g:%g]\nset xtics 1 format '%%.0f' nomirror\nset grid lc rgb '#dddddd'\n",
                  runs[0]->year - 0.5, runs[d->n_runs - 1]->year + 0.5);
    ts_buf_puts(g->b, "$lines << EOD\n");
    ts_buf plot = {0};
    int ns = 0;
    for (int u = 0; u < r0->n_units; u++) {
        if (!ts_plot_unit_selected(g->req, r0->unit_id[u])) continue;
        int any = 0;
        for (int j = 0; j < d->n_runs; j++) {
            int uu = ts_prun_unit(runs[j], r0->unit_id[u]), k = ts_prun_node(runs[j], d->node);
            double v = uu >= 0 ? score_at(runs[j], uu, k) : NAN;
            if (isnan(v)) continue;
            if (!any) ts_buf_printf(g->b, "# %d\n", ns);
            any = 1;
            ts_buf_printf(g->b, "%d ", runs[j]->year);
            num(g->b, v);
            ts_buf_puts(g->b, "\n");
        }
        if (!any) continue; /* gnuplot refuses an empty block */
        ts_buf_puts(g->b, "\n\n");
        ts_buf_printf(&plot, "%s$lines index %d using 1:2 with linespoints lw 2 pt 7 lc rgb ", ns ? ", \\\n     " : "",
                      ns);
        rgb(&plot, ts_plot_unit_colour(d, r0->unit_id[u]));
        ts_buf_puts(&plot, " title ");
        ts_gp_quote(&plot, unit_label(r0, u), TS_GP_TEXT);
        ns++;
    }
    if (ns == 0) {
        ts_buf_free(&plot);
        free(runs);
        return ts_fail(err, TS_EINPUT, NULL, 0, "trend: no unit has a score at node '%s'", d->node);
    }
    ts_buf_puts(g->b, "EOD\n");
    ts_buf *f = foot_line(g);
    ts_buf_printf(f, "Scenario: %s · runs", r0->scenario);
    for (int j = 0; j < d->n_runs; j++) ts_buf_printf(f, "%s %lld (%d)", j ? "," : "", runs[j]->id, runs[j]->year);
    finish_footnotes(g);
    ts_buf_puts(g->b, "plot ");
    if (plot.data) ts_buf_append(g->b, plot.data, plot.len);
    ts_buf_puts(g->b, "\n");
    int oom = plot.oom;
    ts_buf_free(&plot);
    free(runs);
    return oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
}

/* ---- uncertainty and sensitivity ------------------------------------- */

/* "Scenario: S · uncertainty run N · threatscore". */
static void footnote_ua(gen *g, const ts_pua *a) {
    ts_buf_printf(foot_line(g), "Scenario: %s · uncertainty run %lld · threatscore", a->scenario, a->id);
}

/* Appends ", " or starts line f with prefix; returns the line. */
static ts_buf *list_item(gen *g, ts_buf *f, const char *prefix) {
    if (!f) {
        f = foot_line(g);
        ts_buf_puts(f, prefix);
    } else {
        ts_buf_puts(f, ", ");
    }
    return f;
}

static int kind_uncertainty(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_pua *a = d->ua;
    int *units = malloc((size_t)(a->n_units + 1) * sizeof *units);
    const char **labels = calloc((size_t)a->n_units + 1, sizeof *labels);
    double *pos = calloc((size_t)a->n_units + 1, sizeof *pos);
    if (!units || !labels || !pos) {
        free(units), free(labels), free(pos);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    /* units by median rank, then nominal rank (none last), then id */
    int n = 0;
    for (int u = 0; u < a->n_units; u++)
        if (ts_plot_unit_selected(g->req, a->unit_id[u]) && !isnan(a->rank_p50[u])) units[n++] = u;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            int x = units[j], y = units[j - 1];
            int rx = a->nominal_rank[x] > 0 ? a->nominal_rank[x] : 1 << 30;
            int ry = a->nominal_rank[y] > 0 ? a->nominal_rank[y] : 1 << 30;
            if (a->rank_p50[x] > a->rank_p50[y] || (a->rank_p50[x] == a->rank_p50[y] && rx >= ry)) break;
            units[j] = y;
            units[j - 1] = x;
        }
    if (n == 0) {
        free(units), free(labels), free(pos);
        return ts_fail(err, TS_EINPUT, NULL, 0, "no unit has a rank at node '%s' in uncertainty run %lld", d->node,
                       a->id);
    }
    double top = 1;
    for (int u = 0; u < a->n_units; u++) {
        if (a->rank_p95[u] > top) top = a->rank_p95[u];
        if (a->nominal_rank[u] > top) top = a->nominal_rank[u];
    }
    char title[1200];
    snprintf(title, sizeof title, "Rank uncertainty at %s", a->node_name);
    begin(g, title, "unit, by median rank (1 = highest risk)", "rank (1 = highest risk)");
    ts_buf_printf(g->b, "set yrange [%g:0.5]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\n",
                  floor(top) + 0.5, n - 0.4);
    ts_buf_puts(g->b, top <= 25 ? "set ytics 1 nomirror\n" : "set ytics nomirror\nset format y '%.0f'\n");
    for (int i = 0; i < n; i++) {
        labels[i] = a->unit_name[units[i]];
        pos[i] = i;
    }
    tics(g, 'x', labels, pos, n, "nomirror");
    /* x, median rank, 5th and 95th percentile, colour, nominal rank (0: none) */
    ts_buf_puts(g->b, "$ranks << EOD\n");
    for (int i = 0; i < n; i++) {
        int u = units[i];
        ts_buf_printf(g->b, "%d ", i);
        num(g->b, a->rank_p50[u]);
        ts_buf_puts(g->b, " ");
        num(g->b, isnan(a->rank_p05[u]) ? a->rank_p50[u] : a->rank_p05[u]);
        ts_buf_puts(g->b, " ");
        num(g->b, isnan(a->rank_p95[u]) ? a->rank_p50[u] : a->rank_p95[u]);
        ts_buf_printf(g->b, " %u %d\n", ts_plot_unit_colour(d, a->unit_id[u]), a->nominal_rank[u]);
    }
    ts_buf_puts(g->b, "EOD\n");
    footnote_ua(g, a);
    ts_buf *f = foot_line(g);
    ts_buf_printf(f, "Dot: median rank; whiskers: 5th to 95th percentile rank over %ld replications (seed %s); "
                     "diamond: nominal rank.",
                  a->sobol ? 2 * a->n : a->n, a->seed);
    if (a->rank_bin_width > 1) ts_buf_printf(f, " Ranks pooled in bins of %d.", a->rank_bin_width);
    ts_buf *part = NULL, *none = NULL;
    for (int u = 0; u < a->n_units; u++) {
        if (!ts_plot_unit_selected(g->req, a->unit_id[u])) continue;
        if (isnan(a->rank_p50[u])) {
            none = list_item(g, none, "No rank, not shown: ");
            ts_buf_puts(none, a->unit_name[u]);
        } else if (a->scored[u] < 1) {
            part = list_item(g, part, "Ranked only when scored: ");
            ts_buf_printf(part, "%s (%.0f %% of replications)", a->unit_name[u], 100 * a->scored[u]);
        }
    }
    if (!a->names_run) ts_buf_printf(foot_line(g), "Unit ids shown: no scored run of this scenario in the database.");
    finish_footnotes(g);
    ts_buf_puts(g->b, "plot $ranks using 1:3:(0):($4 - $3):5 with vectors heads size screen 0.008,90 lw 2 "
                      "lc rgb variable notitle, \\\n"
                      "     $ranks using 1:2:5 with points pt 7 ps 1.3 lc rgb variable notitle, \\\n"
                      "     $ranks using 1:($6 > 0 ? $6 : NaN) with points pt 12 ps 1.8 lw 1.5 lc rgb '#000000' "
                      "notitle, \\\n     keyentry with points pt 7 ps 1.3 lc rgb '#555555' title ");
    ts_gp_quote(g->b, "median rank", TS_GP_TEXT);
    ts_buf_puts(g->b, ", \\\n     keyentry with vectors heads size screen 0.008,90 lw 2 lc rgb '#555555' title ");
    ts_gp_quote(g->b, "5th to 95th percentile rank", TS_GP_TEXT);
    ts_buf_puts(g->b, ", \\\n     keyentry with points pt 12 ps 1.8 lw 1.5 lc rgb '#000000' title ");
    ts_gp_quote(g->b, "nominal rank", TS_GP_TEXT);
    ts_buf_puts(g->b, "\n");
    free(units), free(labels), free(pos);
    return TS_OK;
}

/* Returns 1 when unit u has an index of any factor. */
static int ua_has_indices(const ts_pua *a, int u) {
    for (int f = 0; f < a->n_factors; f++) {
        size_t at = (size_t)u * (size_t)a->n_factors + (size_t)f;
        if (!isnan(a->s1[at]) || !isnan(a->st[at])) return 1;
    }
    return 0;
}

/* The bars of one factor: value, whisker low and high; NaN when no unit has it. */
typedef struct sbar {
    double v[2], lo[2], hi[2]; /* [0] first order, [1] total order */
} sbar;

static int kind_sensitivity(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_pua *a = d->ua;
    int nf = a->n_factors;
    sbar *bar = calloc((size_t)nf + 1, sizeof *bar);
    const char **labels = calloc((size_t)nf + 1, sizeof *labels);
    double *pos = calloc((size_t)nf + 1, sizeof *pos);
    if (!bar || !labels || !pos) {
        free(bar), free(labels), free(pos);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    /* one unit: its indices and bootstrap intervals; else the mean over the
       selected units, whiskers from the lowest to the highest unit */
    int one = -1, n_with = 0;
    for (int u = 0; u < a->n_units; u++)
        if (ts_plot_unit_selected(g->req, a->unit_id[u])) one = u;
    int single = g->req->n_units == 1;
    for (int f = 0; f < nf; f++)
        for (int o = 0; o < 2; o++) {
            bar[f].v[o] = bar[f].lo[o] = bar[f].hi[o] = NAN;
            if (single) {
                size_t at = (size_t)one * (size_t)nf + (size_t)f;
                const double *v = o ? a->st : a->s1, *lo = o ? a->st_lo : a->s1_lo, *hi = o ? a->st_hi : a->s1_hi;
                bar[f].v[o] = v[at];
                bar[f].lo[o] = isnan(lo[at]) ? v[at] : lo[at];
                bar[f].hi[o] = isnan(hi[at]) ? v[at] : hi[at];
                continue;
            }
            double sum = 0;
            int cnt = 0;
            for (int u = 0; u < a->n_units; u++) {
                double x = (o ? a->st : a->s1)[(size_t)u * (size_t)nf + (size_t)f];
                if (!ts_plot_unit_selected(g->req, a->unit_id[u]) || isnan(x)) continue;
                sum += x;
                cnt++;
                if (!(x >= bar[f].lo[o])) bar[f].lo[o] = x;
                if (!(x <= bar[f].hi[o])) bar[f].hi[o] = x;
            }
            if (cnt) bar[f].v[o] = sum / cnt;
        }
    for (int u = 0; u < a->n_units; u++)
        if (ts_plot_unit_selected(g->req, a->unit_id[u]) && ua_has_indices(a, u)) n_with++;
    if (n_with == 0) {
        free(bar), free(labels), free(pos);
        return ts_fail(err, TS_EINPUT, NULL, 0, "no Sobol' indices of the score at node '%s' for %s in uncertainty run %lld",
                       d->node, single ? g->req->units[0] : "the chosen units", a->id);
    }
    double ymin = 0, ymax = 1;
    for (int f = 0; f < nf; f++)
        for (int o = 0; o < 2; o++) {
            if (bar[f].lo[o] < ymin) ymin = bar[f].lo[o];
            if (bar[f].hi[o] > ymax) ymax = bar[f].hi[o];
        }
    char title[1200], who[1100];
    if (single) snprintf(who, sizeof who, "%s", a->unit_name[one]);
    else snprintf(who, sizeof who, "mean over %d units", n_with);
    snprintf(title, sizeof title, "Sensitivity of the score at %s: %s", a->node_name, who);
    begin(g, title, "uncertain factor", "Sobol' index (share of the score's variance)");
    ts_buf_puts(g->b, "set yrange [");
    num(g->b, ymin - 0.02);
    ts_buf_puts(g->b, ":");
    num(g->b, ymax + 0.08 * (ymax - ymin));
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\nset boxwidth 0.34\n", nf - 0.4);
    ts_buf_puts(g->b, "set xzeroaxis lt -1\n");
    for (int f = 0; f < nf; f++) {
        labels[f] = a->factor[f];
        pos[f] = f;
    }
    tics(g, 'x', labels, pos, nf, "nomirror");
    /* block 0 first order, block 1 total order: x, index, whisker low, high */
    ts_buf_puts(g->b, "$indices << EOD\n");
    for (int o = 0; o < 2; o++) {
        ts_buf_printf(g->b, "# %s\n", o ? "total order" : "first order");
        for (int f = 0; f < nf; f++) {
            if (isnan(bar[f].v[o])) continue;
            ts_buf_printf(g->b, "%.2f ", f + (o ? 0.18 : -0.18));
            num(g->b, bar[f].v[o]);
            ts_buf_puts(g->b, " ");
            num(g->b, bar[f].lo[o]);
            ts_buf_puts(g->b, " ");
            num(g->b, bar[f].hi[o]);
            ts_buf_puts(g->b, "\n");
        }
        ts_buf_puts(g->b, "\n\n");
    }
    ts_buf_puts(g->b, "EOD\n");
    footnote_ua(g, a);
    ts_buf_printf(foot_line(g), "S1: share of the variance due to the factor alone; ST: with its interactions. "
                                "%ld base samples, seed %s.",
                  a->n, a->seed);
    if (single)
        ts_buf_printf(foot_line(g), "Whiskers: 95 %% bootstrap interval (%d replicates).", a->bootstrap);
    else
        ts_buf_printf(foot_line(g), "Bars: mean over the %d %sunits with indices; whiskers: lowest and highest unit. "
                                    "Give --unit for one unit's bootstrap intervals.",
                      n_with, g->req->n_units ? "chosen " : "");
    ts_buf *flat = NULL;
    for (int u = 0; u < a->n_units; u++)
        if (ts_plot_unit_selected(g->req, a->unit_id[u]) && !ua_has_indices(a, u)) {
            flat = list_item(g, flat, "No indices (score constant), not in the bars: ");
            ts_buf_puts(flat, a->unit_name[u]);
        }
    finish_footnotes(g);
    unsigned col = single ? ts_plot_unit_colour(d, a->unit_id[one]) : 0x555555;
    int have[2] = {0, 0};
    for (int f = 0; f < nf; f++)
        for (int o = 0; o < 2; o++) have[o] |= !isnan(bar[f].v[o]);
    ts_buf_puts(g->b, "plot ");
    int first = 1;
    for (int o = 0; o < 2; o++) {
        if (!have[o]) continue; /* gnuplot refuses an empty block */
        ts_buf_printf(g->b, "%s$indices index %d using 1:2 with boxes fc rgb ", first ? "" : ", \\\n     ", o);
        rgb(g->b, col);
        ts_buf_printf(g->b, " fs solid %.2f border lc rgb '#333333' title ", o ? 0.35 : 1.0);
        ts_gp_quote(g->b, o ? "ST: total order" : "S1: first order", TS_GP_TEXT);
        ts_buf_printf(g->b, ", \\\n     $indices index %d using 1:3:(0):($4 - $3) with vectors heads size screen "
                            "0.006,90 lw 1.5 lc rgb '#000000' notitle, \\\n     $indices index %d using "
                            "1:($4 > $2 ? $4 : $2):(sprintf('%%.2f', $2)) with labels offset 0,0.6 font ',8' notitle",
                      o, o);
        first = 0;
    }
    ts_buf_puts(g->b, ", \\\n     keyentry with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' title ");
    ts_gp_quote(g->b, single ? "95 % bootstrap interval" : "lowest to highest unit", TS_GP_TEXT);
    ts_buf_puts(g->b, "\n");
    free(bar), free(labels), free(pos);
    return TS_OK;
}

int ts_plot_script(const ts_plot_data *d, const ts_plot_request *req, ts_plot_term term, ts_buf *b,
                   ts_error *err) {
    gen g = {d, req, term, b, {{0}}, 0, 0, 0};
    int rc;
    switch (req->kind) {
    case TS_PLOT_RANKING: rc = kind_ranking(&g, err); break;
    case TS_PLOT_HEATMAP: rc = kind_heatmap(&g, err); break;
    case TS_PLOT_RADAR: rc = kind_radar(&g, err); break;
    case TS_PLOT_CONTRIBUTIONS: rc = kind_contributions(&g, err); break;
    case TS_PLOT_COMPARE: rc = kind_compare(&g, err); break;
    case TS_PLOT_TREND: rc = kind_trend(&g, err); break;
    case TS_PLOT_ALERTS: rc = ts_plot_kind_alerts(d, req, b, err); break;
    case TS_PLOT_UNCERTAINTY:
    case TS_PLOT_SENSITIVITY:
        if (!d->ua)
            rc = ts_fail(err, TS_EINPUT, NULL, 0, "%s charts need an uncertainty analysis (none loaded)",
                         ts_plot_kind_name(req->kind));
        else if (req->kind == TS_PLOT_UNCERTAINTY)
            rc = kind_uncertainty(&g, err);
        else
            rc = kind_sensitivity(&g, err);
        break;
    default:
        rc = ts_fail(err, TS_EINPUT, NULL, 0, "%s charts need stored results this database lacks",
                     ts_plot_kind_name(req->kind));
    }
    int oom = 0;
    for (int i = 0; i < 4; i++) {
        oom |= g.foot[i].oom;
        ts_buf_free(&g.foot[i]);
    }
    if (rc == TS_OK && (oom || b->oom)) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    return rc;
}
