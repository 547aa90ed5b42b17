/* kinds.c -- one gnuplot script generator per chart kind. Numbers go into
 * inline datablocks; names only through ts_gp_quote. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kinds.h"
#include "trace.h"

static const char *const KIND_NAMES[] = {"ranking",     "compare",     "heatmap", "radar", "contributions",
                                         "trend",       "uncertainty", "sensitivity", "scores", "alerts",
                                         "correlation"};
static const ts_plot_kind KIND_VALUES[] = {TS_PLOT_RANKING,     TS_PLOT_COMPARE,     TS_PLOT_HEATMAP,
                                           TS_PLOT_RADAR,       TS_PLOT_CONTRIBUTIONS, TS_PLOT_TREND,
                                           TS_PLOT_UNCERTAINTY, TS_PLOT_SENSITIVITY, TS_PLOT_SCORES,
                                           TS_PLOT_ALERTS,      TS_PLOT_CORRELATION};
#define N_KINDS ((int)(sizeof KIND_NAMES / sizeof *KIND_NAMES))

/* Category colours (children of a node), by position. */
static const unsigned CATEGORY_PALETTE[] = {0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0xb07aa1,
                                            0x76b7b2, 0xedc948, 0xff9da7, 0x9c755f, 0xbab0ac};
/* Run colours for radar over runs, by position. */
static const unsigned RUN_PALETTE[] = {0x222222, 0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0xff7f0e};
/* Run colours for the scores view, the reference first: muted, so that
 * they do not read as unit colours (units are on its x axis). */
static const unsigned SCORE_RUN_PALETTE[] = {0x4d4d4d, 0x8fb3d9, 0xe3a87a, 0x9fcf9a, 0xc9a0dc, 0xd9c36c, 0x9ad3d3, 0xd9a3b5};
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

void tsk_num(ts_buf *b, double x) {
    ts_buf_printf(b, "%.10g", x);
}

/* Writes `prefix 'text'` and a newline. */
void tsk_set_text(gen *g, const char *prefix, const char *text) {
    ts_buf_puts(g->b, prefix);
    ts_gp_quote(g->b, text, TS_GP_TEXT);
    ts_buf_puts(g->b, "\n");
}

ts_buf *tsk_foot_line(gen *g) {
    return g->n_foot < 4 ? &g->foot[g->n_foot++] : &g->foot[3];
}

/* "score (0-10)" for the run's scale. */
static void scale_label(const ts_prun *r, char *buf, size_t n) {
    snprintf(buf, n, "score (scale %g-%g)", r->lo, r->hi);
}

/* Common settings: title, axis labels, key, grid, margins. */
void tsk_begin(gen *g, const char *title, const char *xlabel, const char *ylabel) {
    ts_buf_puts(g->b, "reset\nset encoding utf8\nset termoption noenhanced\n");
    tsk_set_text(g, "set title ", title);
    if (xlabel) tsk_set_text(g, "set xlabel ", xlabel);
    if (ylabel) tsk_set_text(g, "set ylabel ", ylabel);
    ts_buf_puts(g->b, "set key outside right top vertical Left reverse noautotitle box\n");
}

/* The footnote: run and scenario, then any notes. */
static void footnote_run(gen *g, const ts_prun *r) {
    ts_buf *f = tsk_foot_line(g);
    ts_buf_printf(f, "Scenario: %s · run %lld · threatscore", r->scenario, r->id);
}

/* Writes the footnotes and a bottom margin that leaves room for them and
 * for rotated x tic labels. */
void tsk_finish_footnotes(gen *g) {
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
/* Copies label into buf (size n >= 64), cut to at most max characters at
 * a UTF-8 boundary with an ellipsis; returns its length in characters. */
static int cut_label(const char *label, char *buf, size_t n, int max) {
    size_t len = 0;
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p && len + 8 < n; p++) {
        if ((*p & 0xc0) != 0x80) {
            if (chars == max && p[1]) {
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

/* Copies label into buf (size n >= 64), cut in the middle to at most max
 * characters (at UTF-8 boundaries) with an ellipsis: run names differ at
 * their end ("... (perspective inward)") as often as at their start. */
static void mid_label(const char *label, char *buf, size_t n, int max) {
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) chars += (*p & 0xc0) != 0x80;
    if (chars <= max || max < 8) {
        cut_label(label, buf, n, max);
        return;
    }
    int head = (max - 1) / 2, tail = max - 1 - head, seen = 0;
    size_t len = 0;
    const unsigned char *p = (const unsigned char *)label;
    for (; *p && len + 8 < n; p++) {
        if ((*p & 0xc0) != 0x80 && seen++ == head) break;
        buf[len++] = (char)*p;
    }
    memcpy(buf + len, "\xe2\x80\xa6", 3);
    len += 3;
    /* skip to the start of the last tail characters */
    int skip = chars - head - tail;
    for (; *p && skip > 0; p++)
        if ((p[1] & 0xc0) != 0x80) skip--;
    for (; *p && len + 2 < n; p++) buf[len++] = (char)*p;
    buf[len] = '\0';
}

/* cut_label to about 36 characters: tic labels and legends. */
static int short_label(const char *label, char *buf, size_t n) {
    return cut_label(label, buf, n, 36);
}

/* Writes `set xtics (...)` (or ytics for axis 'y') for the labels, cut to a
 * readable length; x labels are rotated when they would not fit side by
 * side. */
void tsk_tics(gen *g, char axis, const char *const *labels, const double *pos, int n, const char *opts) {
    char label[256];
    int total = 0, longest = 0, max = g->tic_max ? g->tic_max : 36;
    for (int i = 0; i < n; i++) {
        int chars = cut_label(labels[i], label, sizeof label, max);
        total += chars + 2;
        if (chars > longest) longest = chars;
    }
    int rotate = axis == 'x' && total > 100;
    if (axis == 'y' && longest > g->ytic_chars) g->ytic_chars = longest;
    if (rotate) g->xtic_chars = longest;
    ts_buf_printf(g->b, "set %ctics (", axis);
    for (int i = 0; i < n; i++) {
        cut_label(labels[i], label, sizeof label, max);
        if (i) ts_buf_puts(g->b, ", ");
        ts_gp_quote(g->b, label, TS_GP_FORMAT);
        ts_buf_puts(g->b, " ");
        tsk_num(g->b, pos[i]);
    }
    ts_buf_printf(g->b, ")%s %s\n", rotate ? " rotate by 30 right" : "", opts);
}

void tsk_rgb(ts_buf *b, unsigned c) {
    ts_buf_printf(b, "'#%06x'", c & 0xffffff);
}

/* Returns c with each channel scaled by f (0..1): a darker shade of the
 * same hue, for text in a colour that must stay legible on white. */
static unsigned darken(unsigned c, double f) {
    unsigned r = (unsigned)(((c >> 16) & 0xff) * f), gr = (unsigned)(((c >> 8) & 0xff) * f), bl = (unsigned)((c & 0xff) * f);
    return r << 16 | gr << 8 | bl;
}

/* Returns 1 for the text terminal, which draws no colours or fills: charts
 * there name what colours would show. */
int tsk_text_term(const gen *g) {
    return g->term == TS_TERM_DUMB;
}

/* Writes a legend as plain labels right of the graph, one line each
 * ("1  name"), for the text terminal, whose key samples would show fill
 * characters no bar uses. */
static void text_legend(gen *g, const char *const *names, int n) {
    int longest = 0;
    for (int i = 0; i < n; i++) {
        char label[256];
        int chars = cut_label(names[i], label, sizeof label, 32);
        if (chars > longest) longest = chars;
    }
    ts_buf_printf(g->b, "set rmargin %d\n", longest + 8);
    for (int i = 0; i < n; i++) {
        char line[300], label[256];
        cut_label(names[i], label, sizeof label, 32);
        snprintf(line, sizeof line, "%d  %s", i + 1, label);
        ts_buf_puts(g->b, "set label ");
        ts_gp_quote(g->b, line, TS_GP_TEXT);
        ts_buf_printf(g->b, " at graph 1.02, graph %.3f left front\n", 1.0 - 0.05 * i);
    }
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
            f = tsk_foot_line(g);
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
        tsk_tics(g, 'x', labels, pos, n, "nomirror");
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
    tsk_begin(g, title, "unit, from the highest risk (rank 1) down", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    tsk_num(g->b, r->lo);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, r->hi);
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
        tsk_num(g->b, r->score[at]);
        ts_buf_printf(g->b, " %u %d\n", cl ? class_colour(cl, ci, c->n) : NO_CLASS_COLOUR, rank_at(r, units[i], k));
    }
    ts_buf_puts(g->b, "EOD\n");
    if (c->have_thresholds) {
        /* behind the bars, and labelled in a darker shade of the class
           colour: the palest class colour is unreadable as text on white */
        if (tsk_text_term(g)) ts_buf_puts(g->b, "set rmargin 20\n"); /* room for the threshold labels */
        for (int j = 0; j < c->n; j++) {
            if (!isfinite(c->min[j])) continue;
            unsigned col = class_colour(c->name[j], j, c->n);
            /* text has no dashes to tell a threshold from the bars' edges:
               there the labels on the right mark the thresholds alone */
            if (!tsk_text_term(g)) {
                ts_buf_puts(g->b, "set arrow from graph 0, first ");
                tsk_num(g->b, c->min[j]);
                ts_buf_puts(g->b, " to graph 1, first ");
                tsk_num(g->b, c->min[j]);
                ts_buf_puts(g->b, " nohead back lw 1.5 dt 2 lc rgb ");
                tsk_rgb(g->b, col);
                ts_buf_puts(g->b, "\n");
            }
            ts_buf_puts(g->b, "set label ");
            char text[600];
            snprintf(text, sizeof text, "%s%s ≥ %g", tsk_text_term(g) ? "- " : "", c->name[j], c->min[j]);
            ts_gp_quote(g->b, text, TS_GP_TEXT);
            ts_buf_puts(g->b, " at graph 1, first ");
            tsk_num(g->b, c->min[j]);
            ts_buf_puts(g->b, " left offset 0.5,0 front font ',8' textcolor rgb ");
            tsk_rgb(g->b, darken(col, 0.6));
            ts_buf_puts(g->b, "\n");
        }
        ts_buf *f = tsk_foot_line(g);
        ts_buf_puts(f, tsk_text_term(g) ? "Right: class thresholds from the run's taxonomy file (unchanged since the run)."
                                    : "Dashed lines: class thresholds from the run's taxonomy file (unchanged since the run).");
    } else if (c->note) {
        ts_buf *f = tsk_foot_line(g);
        ts_buf_printf(f, "Bars coloured by stored class; %s.", c->note);
    }
    footnote_run(g, r);
    note_missing(g, r, k);
    tsk_finish_footnotes(g);
    if (tsk_text_term(g)) {
        /* no colours: each bar names its class */
        ts_buf_puts(g->b, "unset key\n");
        for (int i = 0; i < n; i++) {
            size_t at = (size_t)units[i] * (size_t)r->n_nodes + (size_t)k;
            char text[300];
            snprintf(text, sizeof text, "%.2f %s", r->score[at], r->cls[at] ? r->cls[at] : "");
            ts_buf_puts(g->b, "set label ");
            ts_gp_quote(g->b, text, TS_GP_TEXT);
            ts_buf_printf(g->b, " at %d, ", i);
            tsk_num(g->b, r->score[at]);
            ts_buf_puts(g->b, " center offset 0,1 front\n");
        }
        ts_buf_puts(g->b, "plot $bars using 1:2 with boxes notitle\n");
        free(units);
        return TS_OK;
    }
    /* value labels on an opaque box, so that no line runs through them */
    ts_buf_puts(g->b, "set style textbox opaque fillcolor rgb '#ffffff' noborder margins 1,1\n");
    ts_buf_puts(g->b, "plot $bars using 1:2:3 with boxes lc rgb variable notitle, \\\n"
                      "     $bars using 1:2:(sprintf('%.2f', $2)) with labels boxed offset 0,0.8 font ',9' notitle");
    for (int j = 0; j < c->n; j++) {
        ts_buf_puts(g->b, ", \\\n     NaN with boxes lc rgb ");
        tsk_rgb(g->b, class_colour(c->name[j], j, c->n));
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
    tsk_num(g->b, r->lo);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, r->hi);
    ts_buf_puts(g->b, "]\n");
}

/* The heatmap puts units across (columns) and the parts of the node down
 * (rows, whose long names then read horizontally) up to this many units;
 * more units go down instead. */
#define HEATMAP_MAX_UNITS_ACROSS 12

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
    /* units by score at the node (rank 1 first), then unscored ones */
    int nu = ranked_units(g, r, k, units);
    for (int u = 0; u < r->n_units; u++)
        if (ts_plot_unit_selected(g->req, r->unit_id[u]) && isnan(score_at(r, u, k))) units[nu++] = u;
    int across = nu <= HEATMAP_MAX_UNITS_ACROSS;
    char title[1200], parts[1200], cblabel[128];
    snprintf(title, sizeof title, "%s: the score of each part, per unit", node_label(r, k));
    snprintf(parts, sizeof parts, "the %d parts of %s (its children in the taxonomy)", nc, node_label(r, k));
    scale_label(r, cblabel, sizeof cblabel);
    if (across) tsk_begin(g, title, "unit, from the highest risk (rank 1) on the left", parts);
    else tsk_begin(g, title, parts, "unit (highest risk on top)");
    tsk_set_text(g, "set cblabel ", cblabel);
    palette(g, r);
    /* columns x, rows y: cell (unit i, part c) sits at (i, nc-1-c) across,
       else at (c, nu-1-i) */
    int nx = across ? nu : nc, ny = across ? nc : nu;
    ts_buf_printf(g->b, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset tics scale 0\nunset key\n", nx - 0.5,
                  ny - 0.5);
    for (int c = 0; c < nc; c++) {
        labels[c] = node_label(r, kids[c]);
        pos[c] = across ? nc - 1 - c : c;
    }
    g->tic_max = across ? 60 : 36; /* horizontal names have room */
    tsk_tics(g, across ? 'y' : 'x', labels, pos, nc, "");
    g->tic_max = 0;
    for (int i = 0; i < nu; i++) {
        labels[i] = unit_label(r, units[i]);
        pos[i] = across ? i : nu - 1 - i;
    }
    tsk_tics(g, across ? 'x' : 'y', labels, pos, nu, across ? "nomirror" : "");
    ts_buf_puts(g->b, "$cells << EOD\n");
    int missing = 0;
    for (int i = 0; i < nu; i++)
        for (int c = 0; c < nc; c++) {
            double v = score_at(r, units[i], kids[c]);
            if (isnan(v)) {
                missing++;
                continue;
            }
            ts_buf_printf(g->b, "%d %d ", across ? i : c, across ? nc - 1 - c : nu - 1 - i);
            tsk_num(g->b, v);
            ts_buf_puts(g->b, "\n");
        }
    ts_buf_puts(g->b, "EOD\n");
    for (int i = 0; i < nu; i++)
        for (int c = 0; c < nc; c++)
            if (isnan(score_at(r, units[i], kids[c])))
                ts_buf_printf(g->b, "set label 'n/a' at %d, %d center front textcolor rgb '#666666'\n",
                              across ? i : c, across ? nc - 1 - c : nu - 1 - i);
    footnote_run(g, r);
    if (missing) ts_buf_printf(tsk_foot_line(g), "n/a: no data for that unit and part (%d cells).", missing);
    tsk_finish_footnotes(g);
    if (tsk_text_term(g)) /* no colours: the values are the chart */
        ts_buf_puts(g->b, "plot $cells using 1:2:(sprintf('%.2f', $3)) with labels\n");
    else
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
    tsk_begin(g, title, NULL, NULL);
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
        cut_label(node_label(r0, kids[i]), label, sizeof label, 48); /* the sides have room */
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
        tsk_rgb(&plot, col);
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
        ts_buf *f = tsk_foot_line(g);
        ts_buf_puts(f, "Runs: ");
        for (int i = 0; i < d->n_runs; i++)
            ts_buf_printf(f, "%s%lld %s", i ? "; " : "", d->runs[i].id, d->runs[i].scenario);
    } else {
        footnote_run(g, r0);
    }
    ts_buf_printf(tsk_foot_line(g), "Radius: score from %g (centre) to %g (outer ring)%s.", r0->lo, r0->hi,
                  gaps ? "; a gap in a line is a missing value" : "");
    tsk_finish_footnotes(g);
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

/* Returns the contribution trace over r's tree (engine/trace.h), or NULL
 * when out of memory. */
static ts_trace *run_trace(const ts_prun *r) {
    int *parent = malloc(((size_t)r->n_nodes + 1) * sizeof *parent);
    unsigned char *arithmetic = malloc((size_t)r->n_nodes + 1);
    ts_trace *t = NULL;
    if (parent && arithmetic) {
        for (int k = 0; k < r->n_nodes; k++) {
            parent[k] = r->nodes[k].parent ? ts_prun_node(r, r->nodes[k].parent) : -1;
            arithmetic[k] = !r->nodes[k].aggregate || strcmp(r->nodes[k].aggregate, "arithmetic") == 0;
        }
        t = ts_trace_new(r->n_nodes, parent, arithmetic);
    }
    free(parent);
    free(arithmetic);
    return t;
}

static int kind_contributions(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r = &d->runs[0];
    int k = ts_prun_node(r, d->node);
    int *kids = malloc((size_t)r->n_nodes * sizeof *kids);
    int *units = malloc((size_t)r->n_units * sizeof *units);
    double *part = malloc(((size_t)r->n_nodes * (size_t)r->n_units + 1) * sizeof *part);
    double *weight = malloc(((size_t)r->n_nodes + 1) * sizeof *weight);
    double *score = malloc(((size_t)r->n_nodes + 1) * sizeof *score);
    ts_trace *t = run_trace(r);
    if (!kids || !units || !part || !weight || !score || !t) {
        free(kids), free(units), free(part), free(weight), free(score);
        ts_trace_free(t);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int nc = ts_prun_children(r, k, kids);
    int nu = ranked_units(g, r, k, units);
    if (nu == 0) {
        free(kids), free(units), free(part), free(weight), free(score);
        ts_trace_free(t);
        return ts_fail(err, TS_EINPUT, NULL, 0, "no unit has a score at node '%s' in run %lld", d->node, r->id);
    }
    const char *agg = r->nodes[k].aggregate ? r->nodes[k].aggregate : "arithmetic";
    int arithmetic = strcmp(agg, "arithmetic") == 0, rescaled = 0;
    double ymin = r->lo < 0 ? r->lo : 0, ymax = r->hi;
    /* each child's part of the node's score, as `threatscore explain` and
       export trace it (ts_trace_unit; NaN: no part) */
    for (int i = 0; i < nu; i++) {
        int u = units[i];
        for (int j = 0; j < r->n_nodes; j++) {
            weight[j] = weight_of(r, u, j);
            score[j] = score_at(r, u, j);
        }
        ts_trace_unit(t, k, weight, score);
        double pos = 0, neg = 0;
        for (int c = 0; c < nc; c++) {
            double p = t->contribution[kids[c]];
            if (weight[kids[c]] > 0 && isnan(score[kids[c]])) rescaled = 1;
            part[(size_t)c * (size_t)nu + (size_t)i] = p;
            if (p > 0) pos += p;
            else if (p < 0) neg += p;
        }
        if (pos > ymax) ymax = pos;
        if (neg < ymin) ymin = neg;
    }
    ts_trace_free(t);
    free(weight), free(score);
    char title[1200], ylabel[160];
    snprintf(title, sizeof title, "%s: contribution of each part", node_label(r, k));
    snprintf(ylabel, sizeof ylabel, "contribution to the score (scale %g-%g)", r->lo, r->hi);
    tsk_begin(g, title, "unit, from the highest risk (rank 1) down", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    tsk_num(g->b, ymin);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, ymax + 0.06 * (ymax - ymin));
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
            tsk_num(g->b, (y0 + y1) / 2);
            ts_buf_puts(g->b, " 0.35 ");
            tsk_num(g->b, fabs(y1 - y0) / 2);
            ts_buf_puts(g->b, "\n");
        }
        ts_buf_puts(g->b, "\n\n");
    }
    ts_buf_puts(g->b, "EOD\n$totals << EOD\n");
    for (int i = 0; i < nu; i++) {
        ts_buf_printf(g->b, "%d ", i);
        tsk_num(g->b, score_at(r, units[i], k));
        ts_buf_puts(g->b, " ");
        tsk_num(g->b, pos ? pos[i] : 0);
        ts_buf_puts(g->b, "\n");
    }
    ts_buf_puts(g->b, "EOD\n");
    free(pos);
    free(neg);
    footnote_run(g, r);
    ts_buf *f = tsk_foot_line(g);
    if (arithmetic)
        ts_buf_puts(f, "Part = weight x score of the part, weights rescaled among the parts with data; the "
                       "parts add up to the score.");
    else
        ts_buf_printf(f, "The node uses the %s mean, not a weighted sum: its score is split in proportion "
                         "to weight x score of each part.",
                      agg);
    if (rescaled) ts_buf_puts(tsk_foot_line(g), "Some units miss parts: their other parts' weights are rescaled.");
    note_missing(g, r, k);
    tsk_finish_footnotes(g);
    if (tsk_text_term(g)) {
        /* no fills: each part is numbered in its block and in the legend */
        const char **names = malloc(((size_t)nc + 1) * sizeof *names);
        if (!names) g->b->oom = 1;
        for (int c = 0; names && c < nc; c++) names[c] = node_label(r, kids[c]);
        if (names) text_legend(g, names, nc);
        free(names);
        ts_buf_puts(g->b, "unset key\nplot $parts using 1:2:3:4 with boxxyerror notitle, \\\n"
                          "     $parts using 1:2:(sprintf('%d', column(-2) + 1)) with labels notitle, \\\n"
                          "     $totals using 1:3:(sprintf('%.2f', $2)) with labels offset 0,1 notitle\n");
        free(kids), free(units), free(part);
        return TS_OK;
    }
    /* the key lists the parts top-down as the stack shows them: the last
       part (on top) first */
    ts_buf_puts(g->b, "plot ");
    int first = 1;
    for (int c = nc - 1; c >= 0; c--) {
        int any = 0;
        for (int i = 0; i < nu; i++) {
            double p = part[(size_t)c * (size_t)nu + (size_t)i];
            if (!isnan(p) && p != 0) any = 1;
        }
        if (!any) continue; /* gnuplot refuses an empty block */
        if (!first) ts_buf_puts(g->b, ", \\\n     ");
        first = 0;
        ts_buf_printf(g->b, "$parts index %d using 1:2:3:4 with boxxyerror fc rgb ", c);
        tsk_rgb(g->b, CATEGORY_PALETTE[c % 10]);
        ts_buf_puts(g->b, " title ");
        ts_gp_quote(g->b, node_label(r, kids[c]), TS_GP_TEXT);
    }
    if (!first) ts_buf_puts(g->b, ", \\\n     ");
    ts_buf_puts(g->b, "$totals using 1:3:(sprintf('%.2f', $2)) with labels offset 0,0.7 font ',9' notitle\n");
    free(kids), free(units), free(part);
    return TS_OK;
}

/* ---- panels (small multiples) ----------------------------------------- */

/* Starts a grid of n panels (at most MAX_PANELS) under title, leaving room
 * at the bottom for the footnotes, which are set as labels of the first
 * panel (end_panel removes every label after a panel is drawn). */
void tsk_begin_panels(gen *g, int n, const char *title) {
    int cols = n <= 1 ? 1 : n <= 4 ? 2 : 3, rows = (n + cols - 1) / cols;
    double bottom = 0.05 + 0.032 * g->n_foot, top = 0.90;
    ts_buf_printf(g->b, "set multiplot layout %d,%d title ", rows, cols);
    ts_gp_quote(g->b, title, TS_GP_TEXT);
    ts_buf_printf(g->b, " margins screen 0.07,0.98,%.3f,%.3f spacing screen 0.05,%.3f\n", bottom, top,
                  rows > 2 ? 0.085 : 0.11);
    for (int i = 0; i < g->n_foot; i++) {
        ts_buf_puts(g->b, "set label ");
        ts_gp_quote(g->b, g->foot[i].data ? g->foot[i].data : "", TS_GP_TEXT);
        ts_buf_printf(g->b, " at screen 0.01, screen %.3f left font ',8' textcolor rgb '#444444'\n",
                      0.015 + 0.03 * (g->n_foot - 1 - i));
    }
}

/* Ends one panel: its labels (and the first panel's footnotes) go. */
void tsk_end_panel(gen *g) {
    ts_buf_puts(g->b, "unset label\n");
}

/* Ends the grid. */
void tsk_end_panels(gen *g) {
    ts_buf_puts(g->b, "unset multiplot\n");
}

/* Writes x tics of unit labels for a panel of room characters: names when
 * they fit side by side, else ids (ts_prun ids are short codes). */
void tsk_panel_unit_tics(gen *g, const char *const *names, const char *const *ids, int n, int room) {
    int total = 0;
    for (int i = 0; i < n; i++) total += (int)strlen(names[i]) + 2;
    const char *const *labels = total <= room ? names : ids;
    ts_buf_puts(g->b, "set xtics (");
    for (int i = 0; i < n; i++) {
        char label[256];
        short_label(labels[i], label, sizeof label);
        if (i) ts_buf_puts(g->b, ", ");
        ts_gp_quote(g->b, label, TS_GP_FORMAT);
        ts_buf_printf(g->b, " %d", i);
    }
    ts_buf_puts(g->b, ") nomirror font ',8'\n");
}

/* ---- compare: each run's change against the reference ------------------ */

/* The rows of the comparison at the drawn node, by run then unit: row[j *
 * nu + i] for run j (cmp->runs[j]) and unit ids[i], NULL when absent. */
typedef struct delta_grid {
    int nu, nr;
    const char **ids, **names;
    const ts_compare_row **row;
    double biggest; /* largest |delta| */
} delta_grid;

static void delta_grid_free(delta_grid *dg) {
    free(dg->ids), free(dg->names), free(dg->row);
}

/* Lays out the comparison at d->node: units by the reference's rank, then
 * those only some runs have. Returns 0, or -1 when out of memory. */
static int delta_grid_build(gen *g, delta_grid *dg) {
    const ts_plot_data *d = g->d;
    const ts_comparison *cmp = d->cmp;
    const ts_prun *ref = &d->runs[0];
    int cap = ref->n_units;
    for (int j = 1; j < d->n_runs; j++) cap += d->runs[j].n_units;
    memset(dg, 0, sizeof *dg);
    dg->nr = cmp->n_runs;
    dg->ids = malloc(((size_t)cap + 1) * sizeof *dg->ids);
    dg->names = malloc(((size_t)cap + 1) * sizeof *dg->names);
    int *order = malloc(((size_t)ref->n_units + 1) * sizeof *order);
    if (!dg->ids || !dg->names || !order) {
        free(order);
        return -1;
    }
    int no = ranked_units(g, ref, ts_prun_node(ref, d->node), order);
    for (int i = 0; i < no; i++) {
        dg->ids[dg->nu] = ref->unit_id[order[i]];
        dg->names[dg->nu++] = unit_label(ref, order[i]);
    }
    free(order);
    for (int j = 0; j < d->n_runs; j++) {
        const ts_prun *r = &d->runs[j];
        for (int u = 0; u < r->n_units; u++) {
            if (!ts_plot_unit_selected(g->req, r->unit_id[u])) continue;
            int seen = 0;
            for (int i = 0; i < dg->nu && !seen; i++) seen = strcmp(dg->ids[i], r->unit_id[u]) == 0;
            if (!seen) {
                dg->ids[dg->nu] = r->unit_id[u];
                dg->names[dg->nu++] = unit_label(r, u);
            }
        }
    }
    dg->row = calloc((size_t)dg->nr * (size_t)dg->nu + 1, sizeof *dg->row);
    if (!dg->row) return -1;
    for (int w = 0; w < cmp->n_rows; w++) {
        const ts_compare_row *row = &cmp->rows[w];
        if (strcmp(row->node, d->node) != 0) continue;
        for (int i = 0; i < dg->nu; i++)
            if (strcmp(dg->ids[i], row->unit) == 0) {
                dg->row[(size_t)row->run * (size_t)dg->nu + (size_t)i] = row;
                if (!isnan(row->delta) && fabs(row->delta) > dg->biggest) dg->biggest = fabs(row->delta);
            }
    }
    return 0;
}

/* The name of compared run j as the resolver takes it (NAME, NAME@YEAR). */
static void run_name(const ts_prun *r, char *buf, size_t n) {
    if (r->year) snprintf(buf, n, "%s@%d", r->scenario, r->year);
    else snprintf(buf, n, "%s", r->scenario);
}

/* The marks under a change: "rank 3→1" when the rank moved, and the class
 * change "Medium→High". Either may be empty. */
static void change_marks(const ts_compare_row *row, char *rank, size_t nr, char *cls, size_t nc) {
    rank[0] = cls[0] = '\0';
    if (row->has_rank_change && row->rank_change) snprintf(rank, nr, "rank %d→%d", row->ref_rank, row->rank);
    if (row->class_changed)
        snprintf(cls, nc, "%s→%s", row->ref_class ? row->ref_class : "none", row->cls ? row->cls : "none");
}

/* The number format of the printed changes: more decimals for small ones. */
static const char *delta_format(const delta_grid *dg) {
    return dg->biggest < 0.1 ? "%+.3f" : "%+.2f";
}

/* The common footnotes of compare. */
static void compare_footnotes(gen *g, const char *what) {
    const ts_plot_data *d = g->d;
    const ts_prun *ref = &d->runs[0];
    char name[600];
    run_name(ref, name, sizeof name);
    ts_buf_printf(tsk_foot_line(g), "%s run minus reference (run %lld %s, scale %g-%g). Marks: rank from→to "
                                "(1 = highest risk), class change.",
                  what, ref->id, name, ref->lo, ref->hi);
    if (d->cmp->n_left_out)
        ts_buf_printf(tsk_foot_line(g), "Left out, their scenario files are gone: %s.", d->cmp->left_out);
    if (g->req->n_runs == 0)
        ts_buf_puts(tsk_foot_line(g), "Each scenario's latest run; per-year runs (NAME@YEAR) only with --run.");
}

/* Compare as small multiples: one panel per run, a bar per unit. */
static int compare_panels(gen *g, const delta_grid *dg, const char *title) {
    const ts_plot_data *d = g->d;
    /* room beyond the longest bar for its value and two marks: about a
       third of the half-height of a panel */
    double b = dg->biggest > 0 ? dg->biggest : 0.01 * (d->runs[0].hi - d->runs[0].lo);
    compare_footnotes(g, "Bars:");
    tsk_begin_panels(g, dg->nr, title);
    int cols = dg->nr <= 1 ? 1 : dg->nr <= 4 ? 2 : 3;
    ts_buf_puts(g->b, "set xzeroaxis lt -1 lw 1\nset grid ytics lc rgb '#e5e5e5'\nset style fill solid 0.85 border "
                      "lc rgb '#333333'\nset boxwidth 0.6\nunset key\nset ytics nomirror font ',8'\n");
    ts_buf_printf(g->b, "set xrange [-0.6:%g]\nset yrange [", dg->nu - 0.4);
    tsk_num(g->b, -2.1 * b);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, 2.1 * b);
    ts_buf_puts(g->b, "]\n");
    tsk_panel_unit_tics(g, dg->names, dg->ids, dg->nu, 150 / cols);
    for (int j = 0; j < dg->nr; j++) {
        const ts_prun *r = &d->runs[j + 1];
        char name[600], t[700];
        run_name(r, name, sizeof name);
        snprintf(t, sizeof t, "run %lld: %s", r->id, name);
        char label[256];
        mid_label(t, label, sizeof label, cols == 3 ? 48 : 70);
        ts_buf_puts(g->b, "set title ");
        ts_gp_quote(g->b, label, TS_GP_TEXT);
        ts_buf_puts(g->b, " font ',9'\n");
        /* x, change, colour */
        ts_buf_printf(g->b, "$change%d << EOD\n", j);
        int any = 0;
        for (int i = 0; i < dg->nu; i++) {
            const ts_compare_row *row = dg->row[(size_t)j * (size_t)dg->nu + (size_t)i];
            if (!row || isnan(row->delta)) continue;
            ts_buf_printf(g->b, "%d ", i);
            tsk_num(g->b, row->delta);
            ts_buf_printf(g->b, " %u\n", ts_plot_unit_colour(d, dg->ids[i]));
            any = 1;
        }
        if (!any) ts_buf_puts(g->b, "0 NaN 0\n");
        ts_buf_puts(g->b, "EOD\n");
        /* marks beyond the value, on the side the bar points to */
        for (int i = 0; i < dg->nu; i++) {
            const ts_compare_row *row = dg->row[(size_t)j * (size_t)dg->nu + (size_t)i];
            if (!row || isnan(row->delta)) {
                ts_buf_printf(g->b, "set label 'n/a' at %d, 0 center offset 0,0.7 font ',8' textcolor rgb '#666666'\n",
                              i);
                continue;
            }
            double side = row->delta < 0 ? -1 : 1;
            char rank[64], cls[600];
            change_marks(row, rank, sizeof rank, cls, sizeof cls);
            double line = 1.8;
            const char *text[2] = {rank, cls}, *colour[2] = {"#1f3f7f", "#a01010"};
            for (int m = 0; m < 2; m++) {
                if (!text[m][0]) continue;
                ts_buf_puts(g->b, "set label ");
                ts_gp_quote(g->b, text[m], TS_GP_TEXT);
                ts_buf_printf(g->b, " at %d, ", i);
                tsk_num(g->b, row->delta);
                ts_buf_printf(g->b, " center offset 0,%.1f font ',8' textcolor rgb '%s'\n", side * line, colour[m]);
                line += 1.1;
            }
        }
        const char *f = delta_format(dg);
        ts_buf_printf(g->b, "plot $change%d using 1:2:3 with boxes lc rgb variable, \\\n"
                            "     $change%d using 1:($2 >= 0 ? $2 : NaN):(sprintf('%s', $2)) with labels offset 0,0.7 "
                            "font ',8', \\\n"
                            "     $change%d using 1:($2 < 0 ? $2 : NaN):(sprintf('%s', $2)) with labels offset 0,-0.7 "
                            "font ',8'\n",
                      j, j, f, j, f);
        tsk_end_panel(g);
    }
    tsk_end_panels(g);
    return TS_OK;
}

/* Compare as one heatmap: runs down, units across, the change in each cell. */
static int compare_heatmap(gen *g, const delta_grid *dg, const char *title) {
    const ts_plot_data *d = g->d;
    double b = dg->biggest > 0 ? dg->biggest : 0.01 * (d->runs[0].hi - d->runs[0].lo);
    tsk_begin(g, title, "unit, from the reference's highest risk (rank 1) on the left", NULL);
    ts_buf_puts(g->b, "unset key\nset tics scale 0\n");
    tsk_set_text(g, "set cblabel ", "change against the reference");
    ts_buf_puts(g->b, "set palette defined (0 '#4393c3', 0.5 '#f7f7f7', 1 '#d6604d')\nset cbrange [");
    tsk_num(g->b, -b);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, b);
    ts_buf_printf(g->b, "]\nset xrange [-0.5:%g]\nset yrange [-0.5:%g]\n", dg->nu - 0.5, dg->nr - 0.5);
    double *pos = malloc(((size_t)(dg->nu > dg->nr ? dg->nu : dg->nr) + 1) * sizeof *pos);
    const char **labels = calloc((size_t)dg->nr + 1, sizeof *labels);
    char **owned = calloc((size_t)dg->nr + 1, sizeof *owned);
    if (!pos || !labels || !owned) {
        free(pos), free(labels), free(owned);
        return ts_fail(NULL, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    for (int i = 0; i < dg->nu; i++) pos[i] = i;
    int room = 120;
    tsk_panel_unit_tics(g, dg->names, dg->ids, dg->nu, room);
    for (int j = 0; j < dg->nr; j++) {
        const ts_prun *r = &d->runs[j + 1];
        char name[600];
        run_name(r, name, sizeof name);
        char t[700];
        snprintf(t, sizeof t, "%lld %s", r->id, name);
        owned[j] = malloc(256);
        if (owned[j]) mid_label(t, owned[j], 256, tsk_text_term(g) ? 36 : 44);
        labels[j] = owned[j] ? owned[j] : "";
        pos[j] = dg->nr - 1 - j;
    }
    tsk_tics(g, 'y', labels, pos, dg->nr, "");
    ts_buf_puts(g->b, "$cells << EOD\n");
    for (int j = 0; j < dg->nr; j++)
        for (int i = 0; i < dg->nu; i++) {
            const ts_compare_row *row = dg->row[(size_t)j * (size_t)dg->nu + (size_t)i];
            if (!row || isnan(row->delta)) continue;
            ts_buf_printf(g->b, "%d %d ", i, dg->nr - 1 - j);
            tsk_num(g->b, row->delta);
            ts_buf_puts(g->b, "\n");
        }
    ts_buf_puts(g->b, "EOD\n");
    /* each cell's text: the change, then "3→1" for a rank change and
       "→High" for a class change, on one line */
    for (int j = 0; j < dg->nr; j++)
        for (int i = 0; i < dg->nu; i++) {
            const ts_compare_row *row = dg->row[(size_t)j * (size_t)dg->nu + (size_t)i];
            int y = dg->nr - 1 - j;
            if (!row || isnan(row->delta)) {
                ts_buf_printf(g->b, "set label 'n/a' at %d, %d center front textcolor rgb '#666666'\n", i, y);
                continue;
            }
            char rank[64], cls[600], text[800], value[32];
            change_marks(row, rank, sizeof rank, cls, sizeof cls);
            snprintf(value, sizeof value, delta_format(dg), row->delta);
            snprintf(text, sizeof text, "%s%s%s%s%s", value, rank[0] ? " " : "", rank[0] ? rank + 5 : "",
                     cls[0] ? " →" : "", cls[0] ? (row->cls ? row->cls : "none") : "");
            ts_buf_puts(g->b, "set label ");
            ts_gp_quote(g->b, text, TS_GP_TEXT);
            ts_buf_printf(g->b, " at %d, %d center front font ',9'%s\n", i, y,
                          cls[0] ? " textcolor rgb '#7f0000'" : "");
        }
    compare_footnotes(g, "Cells:");
    tsk_finish_footnotes(g);
    if (tsk_text_term(g)) ts_buf_puts(g->b, "plot $cells using 1:2 with dots notitle\n");
    else ts_buf_puts(g->b, "plot $cells using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 noborder\n");
    for (int j = 0; j < dg->nr; j++) free(owned[j]);
    free(pos), free(labels), free(owned);
    return TS_OK;
}

static int kind_compare(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *ref = &d->runs[0];
    delta_grid dg;
    if (delta_grid_build(g, &dg)) {
        delta_grid_free(&dg);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    if (dg.nu == 0) {
        delta_grid_free(&dg);
        return ts_fail(err, TS_EINPUT, NULL, 0, "compare: no unit to draw at node '%s'", d->node);
    }
    char title[1400], name[600];
    run_name(ref, name, sizeof name);
    int k = ts_prun_node(ref, d->node);
    snprintf(title, sizeof title, "Change against %s (run %lld) at %s", name, ref->id, node_label(ref, k));
    int heat = tsk_text_term(g) || dg.nr > MAX_PANELS || dg.nu > 15;
    int rc = heat ? compare_heatmap(g, &dg, title) : compare_panels(g, &dg, title);
    delta_grid_free(&dg);
    if (rc) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    return TS_OK;
}

/* ---- scores: the runs' scores side by side -------------------------------- */

static int kind_scores(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_prun *r0 = &d->runs[0];
    int k0 = ts_prun_node(r0, d->node);
    delta_grid dg;
    if (delta_grid_build(g, &dg)) {
        delta_grid_free(&dg);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int n = dg.nu, m = d->n_runs;
    double bw = 0.8 / m;
    char title[1200], ylabel[128], name[600];
    run_name(r0, name, sizeof name);
    snprintf(title, sizeof title, "%s: the scores of %d runs side by side", node_label(r0, k0), m);
    scale_label(r0, ylabel, sizeof ylabel);
    tsk_begin(g, title, "unit, from the reference's highest risk (rank 1) down", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    tsk_num(g->b, r0->lo);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, r0->hi);
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\nset boxwidth %.6f\n", n - 0.4, bw);
    ts_buf_puts(g->b, "set style fill solid 1.0 border lc rgb '#333333'\n");
    double *xpos = malloc(((size_t)n + 1) * sizeof *xpos);
    if (!xpos) {
        delta_grid_free(&dg);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    for (int i = 0; i < n; i++) xpos[i] = i;
    tsk_tics(g, 'x', dg.names, xpos, n, "nomirror");
    free(xpos);
    ts_buf_puts(g->b, "$bars << EOD\n");
    for (int j = 0; j < m; j++) {
        const ts_prun *r = &d->runs[j];
        int k = ts_prun_node(r, d->node);
        ts_buf_printf(g->b, "# run %lld\n", r->id);
        int any = 0;
        for (int i = 0; i < n; i++) {
            int u = ts_prun_unit(r, dg.ids[i]);
            double v = u >= 0 ? score_at(r, u, k) : NAN;
            if (isnan(v)) continue;
            ts_buf_printf(g->b, "%.6f ", i - 0.4 + bw * (j + 0.5));
            tsk_num(g->b, v);
            ts_buf_puts(g->b, "\n");
            any = 1;
        }
        if (!any) ts_buf_puts(g->b, "0 NaN\n");
        ts_buf_puts(g->b, "\n\n");
    }
    ts_buf_puts(g->b, "EOD\n");
    ts_buf_printf(tsk_foot_line(g), "The reference is run %lld %s; `plot compare` draws each run's change against it.",
                  r0->id, name);
    if (d->cmp->n_left_out)
        ts_buf_printf(tsk_foot_line(g), "Left out, their scenario files are gone: %s.", d->cmp->left_out);
    const char **names = calloc((size_t)m + 1, sizeof *names);
    char **owned = calloc((size_t)m + 1, sizeof *owned);
    if (!names || !owned) {
        free(names), free(owned);
        delta_grid_free(&dg);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    for (int j = 0; j < m; j++) {
        run_name(&d->runs[j], name, sizeof name);
        size_t len = strlen(name) + 48;
        if ((owned[j] = malloc(len)))
            snprintf(owned[j], len, "run %lld: %s%s", d->runs[j].id, name, j ? "" : " (reference)");
        names[j] = owned[j] ? owned[j] : "";
    }
    tsk_finish_footnotes(g);
    if (tsk_text_term(g)) {
        /* no fills: each bar carries its run's number */
        text_legend(g, names, m);
        ts_buf_puts(g->b, "unset key\nplot ");
        for (int j = 0; j < m; j++)
            ts_buf_printf(g->b, "%s$bars index %d using 1:2 with boxes notitle, $bars index %d using 1:2:('%d') with "
                                "labels offset 0,0.7 notitle",
                          j ? ", \\\n     " : "", j, j, j + 1);
    } else {
        ts_buf_puts(g->b, "plot ");
        for (int j = 0; j < m; j++) {
            ts_buf_printf(g->b, "%s$bars index %d using 1:2 with boxes fc rgb ", j ? ", \\\n     " : "", j);
            tsk_rgb(g->b, SCORE_RUN_PALETTE[j % 8]);
            ts_buf_puts(g->b, " title ");
            ts_gp_quote(g->b, names[j], TS_GP_TEXT);
        }
    }
    ts_buf_puts(g->b, "\n");
    for (int j = 0; j < m; j++) free(owned[j]);
    free(names), free(owned);
    delta_grid_free(&dg);
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
    tsk_begin(g, title, "year", ylabel);
    ts_buf_puts(g->b, "set yrange [");
    tsk_num(g->b, r0->lo);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, r0->hi);
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
            tsk_num(g->b, v);
            ts_buf_puts(g->b, "\n");
        }
        if (!any) continue; /* gnuplot refuses an empty block */
        ts_buf_puts(g->b, "\n\n");
        ts_buf_printf(&plot, "%s$lines index %d using 1:2 with linespoints lw 2 pt 7 lc rgb ", ns ? ", \\\n     " : "",
                      ns);
        tsk_rgb(&plot, ts_plot_unit_colour(d, r0->unit_id[u]));
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
    ts_buf *f = tsk_foot_line(g);
    ts_buf_printf(f, "Scenario: %s · runs", r0->scenario);
    for (int j = 0; j < d->n_runs; j++) ts_buf_printf(f, "%s %lld (%d)", j ? "," : "", runs[j]->id, runs[j]->year);
    tsk_finish_footnotes(g);
    ts_buf_puts(g->b, "plot ");
    if (plot.data) ts_buf_append(g->b, plot.data, plot.len);
    ts_buf_puts(g->b, "\n");
    int oom = plot.oom;
    ts_buf_free(&plot);
    free(runs);
    return oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
}

int ts_plot_script(const ts_plot_data *d, const ts_plot_request *req, ts_plot_term term, ts_buf *b,
                   ts_error *err) {
    gen g = {d, req, term, b, {{0}}, 0, 0, 0, 0};
    int rc;
    switch (req->kind) {
    case TS_PLOT_RANKING: rc = kind_ranking(&g, err); break;
    case TS_PLOT_HEATMAP: rc = kind_heatmap(&g, err); break;
    case TS_PLOT_RADAR: rc = kind_radar(&g, err); break;
    case TS_PLOT_CONTRIBUTIONS: rc = kind_contributions(&g, err); break;
    case TS_PLOT_COMPARE: rc = kind_compare(&g, err); break;
    case TS_PLOT_SCORES: rc = kind_scores(&g, err); break;
    case TS_PLOT_TREND: rc = kind_trend(&g, err); break;
    case TS_PLOT_ALERTS: rc = ts_plot_kind_alerts(d, req, b, err); break;
    case TS_PLOT_CORRELATION: rc = ts_plot_kind_correlation(d, term, b, err); break;
    case TS_PLOT_UNCERTAINTY:
    case TS_PLOT_SENSITIVITY:
        if (!d->ua)
            rc = ts_fail(err, TS_EINPUT, NULL, 0, "%s charts need an uncertainty analysis (none loaded)",
                         ts_plot_kind_name(req->kind));
        else if (req->kind == TS_PLOT_UNCERTAINTY)
            rc = tsk_uncertainty(&g, err);
        else
            rc = tsk_sensitivity(&g, err);
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
