/* kind_corr.c -- the correlation chart: the matrix within one node, computed
 * from a scenario by the audit's own correlations, and its gnuplot script. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "plotdata.h"
#include "scenario.h"
#include "taxonomy.h"

/* The diverging scale, fixed at -1..1 so that charts compare: blue for
 * negative, white at 0, red for positive (ColorBrewer RdBu, white in the
 * middle). */
static const char PALETTE[] = "set palette defined (-1 '#2166ac', -0.667 '#67a9cf', -0.333 '#d1e5f0', 0 '#ffffff', "
                              "0.333 '#fddbc7', 0.667 '#ef8a62', 1 '#b2182b')\n";
#define COLOUR_DIAGONAL 0xebebeb
#define COLOUR_UNDEFINED 0xbdbdbd
#define COLOUR_BOX 0x404040
/* |r| from which a cell is dark enough for white text */
#define DARK_CELL 0.6

/* The canvas of ts_plot_preamble, in pixels, and the em of its 10-point
 * font (pngcairo's Sans, DejaVu Sans: "Political and social security" is
 * 178 pixels wide). */
#define CANVAS_W 1100.0
#define CANVAS_H 650.0
#define EM_PX 11.4
/* node names are cut to this many characters down the left and, rotated,
 * across the bottom, where each character costs height the cells need */
#define Y_CHARS 40
#define X_CHARS 30
/* and the node's and the scenario's names in the title and notes */
#define TITLE_CHARS 60
/* the smallest cell that holds "-0.43" in 8 points, in pixels, and the
 * largest matrix the canvas grows to for it */
#define MIN_CELL 30.0
#define MAX_SIDE 1900.0

/* ---- the data: a scenario scored and correlated ------------------------ */

/* Returns the arena copy of s (NULL stays NULL); sets *oom when out of
 * memory. */
static const char *copy(ts_arena *a, const char *s, int *oom) {
    if (!s) return NULL;
    const char *c = ts_arena_strdup(a, s);
    if (!c) *oom = 1;
    return c;
}

/* Returns the node's name, or its id when it has none. */
static const char *name_of(const ts_node *nd) {
    return nd->name && *nd->name ? nd->name : nd->id;
}

/* Fills the names, ids and groups of d->corr from scenario s, copied into
 * d's arena (s may be freed before d). Returns TS_OK or TS_ESYSTEM. */
static int fill_names(ts_plot_data *d, const ts_scenario *s, ts_error *err) {
    ts_pcorr *c = d->corr;
    const ts_audit_corr *m = c->m;
    const ts_taxonomy *t = s->tax;
    int n = m->n, oom = 0;
    c->id = ts_arena_alloc(d->arena, (size_t)n * sizeof *c->id);
    c->name = ts_arena_alloc(d->arena, (size_t)n * sizeof *c->name);
    c->group = ts_arena_alloc(d->arena, (size_t)n * sizeof *c->group);
    if (!c->id || !c->name || !c->group) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    const ts_node *top = &t->nodes[m->top];
    c->scenario = copy(d->arena, s->name ? s->name : "", &oom);
    c->node_id = copy(d->arena, top->id, &oom);
    c->node_name = copy(d->arena, name_of(top), &oom);
    c->year = m->n_years == 1 ? m->years[0] : 0;
    int nested = 0;
    for (int i = 0; i < n; i++) {
        const ts_node *nd = &t->nodes[m->node[i]];
        c->id[i] = copy(d->arena, nd->id, &oom);
        c->name[i] = copy(d->arena, name_of(nd), &oom);
        /* the child of the node this one is under, as its position */
        int k = m->node[i];
        while (t->nodes[k].parent >= 0 && t->nodes[k].parent != m->top) k = t->nodes[k].parent;
        c->group[i] = -1;
        for (int j = 0; j < top->n_children; j++)
            if (t->children[top->first_child + j] == k) c->group[i] = j;
        if (t->nodes[m->node[i]].parent != m->top) nested = 1;
    }
    c->n_groups = m->indicators && nested ? top->n_children : 0;
    return oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
}

int ts_plot_data_from_scenario(ts_scenario *s, const ts_plot_request *req, ts_plot_data **out, ts_error *err) {
    *out = NULL;
    if (req->kind != TS_PLOT_CORRELATION)
        return ts_fail(err, TS_EUSAGE, NULL, 0, "%s charts are drawn from a database (--db), not a scenario",
                       ts_plot_kind_name(req->kind));
    ts_audit_options opt;
    if (req->audit) opt = *req->audit;
    else ts_audit_options_default(&opt);
    opt.node = -1;
    if (req->node && (opt.node = ts_taxonomy_find(s->tax, req->node)) < 0)
        return ts_taxonomy_unknown(s->tax, "node", req->node, 0, s->taxonomy_path, 0, err);
    ts_audit_corr *m = NULL;
    int rc = ts_audit_corr_new(s, &opt, req->indicators, req->spearman, &m, err);
    if (rc != TS_OK) return rc;
    ts_plot_data *d = calloc(1, sizeof *d);
    if (!d || !(d->arena = ts_arena_new()) || !(d->corr = ts_arena_alloc(d->arena, sizeof *d->corr))) {
        if (d) ts_arena_free(d->arena);
        free(d);
        ts_audit_corr_free(m);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    memset(d->corr, 0, sizeof *d->corr);
    d->corr->m = m;
    d->corr->pooled = opt.pooled;
    rc = fill_names(d, s, err);
    if (rc == TS_OK) d->node = d->corr->node_id;
    if (rc != TS_OK) {
        ts_plot_data_free(d);
        return rc;
    }
    *out = d;
    return TS_OK;
}

/* ---- the script -------------------------------------------------------- */

/* Words a cut label does not end on ("Drug trafficking and..." says less
 * than "Drug trafficking..."). */
static const char *const DANGLING[] = {"and", "or", "of", "the", "in", "for", "to", "on", "at", "by", "with", "a", "as"};

/* Returns 1 when the n bytes at w are one of DANGLING. */
static int dangling(const char *w, size_t n) {
    for (size_t i = 0; i < sizeof DANGLING / sizeof *DANGLING; i++)
        if (strlen(DANGLING[i]) == n && strncmp(w, DANGLING[i], n) == 0) return 1;
    return 0;
}

/* Copies label into buf (size n >= 64), at most max characters: a longer
 * one is cut after the last whole word that keeps at least half of it
 * (else within a word, at a UTF-8 boundary), without a dangling "and" or
 * "of", and ends in an ellipsis. Returns its length in characters. */
static int cut(const char *label, char *buf, size_t n, int max) {
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) chars += (*p & 0xc0) != 0x80;
    size_t len = 0;
    if (chars <= max) {
        for (const char *p = label; *p && len + 1 < n; p++) buf[len++] = *p;
        buf[len] = '\0';
        return chars;
    }
    /* the first max - 1 characters */
    int kept = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p && len + 8 < n; p++) {
        if ((*p & 0xc0) != 0x80 && kept++ == max - 1) break;
        buf[len++] = (char)*p;
    }
    /* back to the end of the last whole word, past a dangling one */
    size_t end = len;
    if (label[len] != ' ')
        while (end > 0 && buf[end - 1] != ' ') end--;
    for (;;) {
        while (end > 0 && strchr(" ,;:-", buf[end - 1])) end--;
        size_t w = end;
        while (w > 0 && buf[w - 1] != ' ') w--;
        if (w == 0 || !dangling(buf + w, end - w)) break;
        end = w;
    }
    if (end >= len / 2) len = end; /* else too little is left: cut within the word */
    while (len > 0 && buf[len - 1] == ' ') len--;
    memcpy(buf + len, "\xe2\x80\xa6", 3); /* ... */
    buf[len + 3] = '\0';
    chars = 1;
    for (size_t i = 0; i < len; i++) chars += ((unsigned char)buf[i] & 0xc0) != 0x80;
    return chars;
}

/* The advance widths of DejaVu Sans (the Sans of the cairo terminals) for
 * printable ASCII from ' ', in 1/2048 em; other characters count as 1300
 * (the width of a digit), the ellipsis as 2048. */
static const unsigned short ADVANCE[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};

/* Returns the width of label in ems of the font it is drawn in. */
static double text_ems(const char *label) {
    double units = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f) units += ADVANCE[*p - 0x20];
        else if (*p == 0xe2 && p[1] == 0x80 && p[2] == 0xa6) units += 2048, p += 2; /* the ellipsis */
        else if ((*p & 0xc0) != 0x80) units += 1300;
    }
    return units / 2048;
}

/* Writes `prefix 'text'` and a newline, text quoted. */
static void set_text(ts_buf *b, const char *prefix, const char *text) {
    ts_buf_puts(b, prefix);
    ts_gp_quote(b, text, TS_GP_TEXT);
    ts_buf_puts(b, "\n");
}

/* Writes a label of text at screen (x, y) with options. */
static void screen_label(ts_buf *b, const char *text, double x, double y, const char *opts) {
    ts_buf_puts(b, "set label ");
    ts_gp_quote(b, text, TS_GP_TEXT);
    ts_buf_printf(b, " at screen %.4f, screen %.4f %s\n", x, y, opts);
}

/* Writes "n = a", or "n = a to b (...)" when the pairs' counts differ, to
 * out, and the least and largest count to *lo and *hi. */
static void describe_n(const ts_audit_corr *m, char *out, size_t n, int *lo, int *hi) {
    *lo = -1, *hi = -1;
    for (int i = 0; i < m->n; i++)
        for (int j = i + 1; j < m->n; j++) {
            int p = m->pairs[(size_t)i * (size_t)m->n + (size_t)j];
            if (*lo < 0 || p < *lo) *lo = p;
            if (p > *hi) *hi = p;
        }
    if (*lo == *hi) snprintf(out, n, "n = %d", *lo);
    else snprintf(out, n, "n = %d to %d (pairs where both have a value)", *lo, *hi);
}

/* The title, the subtitle (sample and n) and the footnotes' first line
 * (which names the colours unless text). */
static void headings(const ts_pcorr *c, int text, char *title, size_t nt, char *sub, size_t ns, char *method,
                     size_t nm) {
    const ts_audit_corr *m = c->m;
    const char *what = m->spearman ? "Spearman's rho" : "Pearson's r";
    char node[256], scenario[256];
    cut(c->node_name, node, sizeof node, TITLE_CHARS);
    cut(c->scenario, scenario, sizeof scenario, TITLE_CHARS);
    if (m->indicators)
        snprintf(title, nt, "Correlation of the %d indicators under %s (%s)", m->n, node, what);
    else
        snprintf(title, nt, "Correlation within %s: its %d children (%s)", node, m->n, what);
    char sample[256], ns_text[128];
    if (c->pooled && m->n_years > 1) {
        snprintf(sample, sizeof sample, "%d units x %d years pooled (%d-%d)", m->n_units, m->n_years, m->years[0],
                 m->years[m->n_years - 1]);
    } else if (c->pooled) {
        snprintf(sample, sizeof sample, "%d units x 1 year pooled (%d)", m->n_units, m->n_years ? m->years[0] : 0);
    } else if (c->year > 0) {
        snprintf(sample, sizeof sample, "%d units in %d", m->n_units, c->year);
    } else {
        snprintf(sample, sizeof sample, "%d units, latest values", m->n_units);
    }
    int lo, hi;
    describe_n(m, ns_text, sizeof ns_text, &lo, &hi);
    snprintf(sub, ns, "Scenario: %s · %s · %s%s", scenario, sample, ns_text,
             lo < 10 ? " · n < 10: fragile, read as hints" : "");
    snprintf(method, nm,
             "%s of the normalised values and scores the aggregation uses, pairwise complete, as threatscore audit"
             " computes it%s",
             what, text ? "" : "; colours fixed from -1 to 1");
}

/* Where the matrix goes on the canvas (screen fractions), the canvas (in
 * pixels) and what the cells can hold. */
typedef struct layout {
    double w, h;
    double left, right, bottom, top;
    double cell_px;
    int values;          /* 1: print the values in the cells */
    const char *value_font, *tic_font;
} layout;

/* Lays an n x n matrix out under the title, above the footnotes and the x
 * labels (rotated by 45 degrees, xems wide at most in the 10-point font),
 * right of the y labels (yems wide): square cells, the whole centred with
 * the colour box right of it. Cells too small for their values make the
 * canvas grow (up to MAX_SIDE for the matrix). */
static layout place(int n, double xems, double yems, int n_foot) {
    layout l;
    double top_px = 58, foot_px = 18 + 19.5 * n_foot, colorbox_px = 90;
    double xlabel_px = 12 + xems * EM_PX * 0.7071, ylabel_px = 20 + yems * EM_PX;
    double side = CANVAS_H - top_px - foot_px - xlabel_px;
    /* the rotated label of the first column reaches left of it */
    double reach = xems * EM_PX * 0.7071 - side / n / 2;
    double lead = ylabel_px > reach ? ylabel_px : reach;
    if (lead + side + colorbox_px > CANVAS_W - 20) side = CANVAS_W - 20 - lead - colorbox_px;
    if (side < n * MIN_CELL) side = n * MIN_CELL < MAX_SIDE ? n * MIN_CELL : MAX_SIDE;
    l.w = CANVAS_W > lead + side + colorbox_px + 20 ? CANVAS_W : ceil(lead + side + colorbox_px + 20);
    l.h = CANVAS_H > top_px + side + xlabel_px + foot_px ? CANVAS_H : ceil(top_px + side + xlabel_px + foot_px);
    double x0 = (l.w - (lead + side + colorbox_px)) / 2;
    if (x0 < 10) x0 = 10;
    l.left = (x0 + lead) / l.w;
    l.right = (x0 + lead + side) / l.w;
    l.top = 1 - top_px / l.h;
    l.bottom = l.top - side / l.h;
    l.cell_px = side / n;
    l.values = l.cell_px >= MIN_CELL - 0.01;
    l.value_font = l.cell_px >= 60 ? ",10" : l.cell_px >= 32 ? ",9" : ",8";
    l.tic_font = l.cell_px >= 16 ? ",10" : l.cell_px >= 12 ? ",8" : ",6";
    return l;
}

/* Returns the cell's display value: v rounded to 2 decimals, without the
 * sign of a negative zero ("-0.00" would say less than "0.00"). */
static double shown(double v) {
    double r = round(v * 100) / 100;
    return r == 0 ? 0 : r;
}

/* Writes the datablocks: $cells (x, y, value, shown value, text colour)
 * for defined values off the diagonal, $diagonal and $undefined (x, y). */
static void datablocks(ts_buf *b, const ts_audit_corr *m) {
    int n = m->n;
    ts_buf_puts(b, "$cells << EOD\n");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = m->value[(size_t)i * (size_t)n + (size_t)j];
            if (i == j || isnan(v)) continue;
            /* column j across, row i down from the top */
            ts_buf_printf(b, "%d %d %.10g %.2f %u\n", j, n - 1 - i, v, shown(v),
                          fabs(v) >= DARK_CELL ? 0xffffffu : 0x222222u);
        }
    ts_buf_puts(b, "EOD\n$diagonal << EOD\n");
    for (int i = 0; i < n; i++) ts_buf_printf(b, "%d %d\n", i, n - 1 - i);
    ts_buf_puts(b, "EOD\n$undefined << EOD\n");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j && isnan(m->value[(size_t)i * (size_t)n + (size_t)j])) ts_buf_printf(b, "%d %d\n", j, n - 1 - i);
    ts_buf_puts(b, "EOD\n");
}

/* Writes the tics in font: the names, cut, down the left (numbered on the
 * text terminal) and across the bottom (rotated; on the text terminal,
 * which cannot rotate text, their numbers). */
static void tics(ts_buf *b, const ts_pcorr *c, int text, const char *font) {
    int n = c->m->n;
    char label[256], numbered[300];
    ts_buf_puts(b, "set ytics (");
    for (int i = 0; i < n; i++) {
        cut(c->name[i], label, sizeof label, Y_CHARS);
        if (text) snprintf(numbered, sizeof numbered, "%d %s", i + 1, label);
        ts_buf_puts(b, i ? ", " : "");
        ts_gp_quote(b, text ? numbered : label, TS_GP_FORMAT);
        ts_buf_printf(b, " %d", n - 1 - i);
    }
    ts_buf_printf(b, ") font '%s'\nset xtics (", font);
    for (int i = 0; i < n; i++) {
        cut(c->name[i], label, sizeof label, X_CHARS);
        if (text) snprintf(label, sizeof label, "%d", i + 1);
        ts_buf_puts(b, i ? ", " : "");
        ts_gp_quote(b, label, TS_GP_FORMAT);
        ts_buf_printf(b, " %d", i);
    }
    ts_buf_printf(b, ")%s font '%s'\n", text ? "" : " rotate by 45 right", font);
}

/* Writes a box around each run of indicators under one child of the
 * node, on the diagonal (as COINr's box_level). */
static void group_boxes(ts_buf *b, const ts_pcorr *c) {
    int n = c->m->n;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && c->group[j + 1] == c->group[i]) j++;
        ts_buf_printf(b,
                      "set object rectangle from %g, %g to %g, %g front fillstyle empty border lc rgb '#%06x'"
                      " lw 1.5\n",
                      i - 0.5, n - 1 - j - 0.5, j + 0.5, n - 1 - i + 0.5, COLOUR_BOX);
        i = j + 1;
    }
}

/* Returns the widest of the labels cut to max characters, in ems; the
 * longest in characters in *chars. */
static double widest_label(const ts_pcorr *c, int max, int *chars) {
    char label[256];
    double widest = 0;
    *chars = 0;
    for (int i = 0; i < c->m->n; i++) {
        int k = cut(c->name[i], label, sizeof label, max);
        double w = text_ems(label);
        if (w > widest) widest = w;
        if (k > *chars) *chars = k;
    }
    return widest;
}

/* What the chart says around the matrix, and where everything goes. */
typedef struct chart {
    char title[1200], sub[1200], method[600], boxes[600], values[300];
    const char *foot[5];   /* the footnotes, the bottom line last */
    int n_foot, undefined, ychars;
    layout l;
} chart;

/* Fills ch for the matrix of c, for the text terminal when text. */
static void prepare(const ts_pcorr *c, int text, chart *ch) {
    const ts_audit_corr *m = c->m;
    int n = m->n;
    headings(c, text, ch->title, sizeof ch->title, ch->sub, sizeof ch->sub, ch->method, sizeof ch->method);
    ch->n_foot = 0;
    ch->foot[ch->n_foot++] = ch->method;
    if (c->pooled)
        ch->foot[ch->n_foot++] = "Pooled: each unit-year is an observation, but the years of one unit are not"
                                 " independent, so n overstates what is known";
    ch->undefined = 0;
    for (size_t k = 0; k < (size_t)n * (size_t)n; k++)
        ch->undefined += k % ((size_t)n + 1) != 0 && isnan(m->value[k]);
    if (ch->undefined)
        ch->foot[ch->n_foot++] = "n/a: undefined, as in the audit: a side without spread, or fewer than 3 pairs (or 3"
                                 " units) behind them";
    if (c->n_groups && !text) { /* the text chart draws no boxes */
        char node[256];
        cut(c->node_name, node, sizeof node, TITLE_CHARS);
        snprintf(ch->boxes, sizeof ch->boxes, "Boxes: the indicators under each of the %d children of %s",
                 c->n_groups, node);
        ch->foot[ch->n_foot++] = ch->boxes;
    }
    int xchars;
    double xems = widest_label(c, X_CHARS, &xchars), yems = widest_label(c, Y_CHARS, &ch->ychars);
    if (!text && n * MIN_CELL > MAX_SIDE) { /* values no canvas holds */
        snprintf(ch->values, sizeof ch->values,
                 "%d nodes leave no room for the values in the cells: draw a node below this one (--node)", n);
        ch->foot[ch->n_foot++] = ch->values;
    }
    ch->l = place(n, xems, yems, ch->n_foot);
}

void ts_plot_kind_correlation_canvas(const ts_plot_data *d, int *width, int *height) {
    *width = (int)CANVAS_W, *height = (int)CANVAS_H;
    if (!d->corr) return;
    chart *ch = malloc(sizeof *ch);
    if (!ch) return; /* the default canvas: the script says what fails */
    prepare(d->corr, 0, ch);
    *width = (int)ch->l.w, *height = (int)ch->l.h;
    free(ch);
}

/* Writes the text chart: the values as labels, names numbered down the
 * left, the subtitle and notes below. */
static void text_chart(ts_buf *b, const ts_pcorr *c, const chart *ch) {
    int n = c->m->n;
    set_text(b, "set title ", ch->title);
    ts_buf_printf(b, "set lmargin %d\nset rmargin 2\nset bmargin %d\n", ch->ychars + 5 + (n >= 10),
                  3 + 2 * (ch->n_foot + 1));
    for (int i = 0; i <= ch->n_foot; i++) /* the subtitle, then the notes */
        screen_label(b, i ? ch->foot[i - 1] : ch->sub, 0.01, 0.02 + 0.045 * (ch->n_foot - i), "left");
    tics(b, c, 1, "");
    datablocks(b, c->m);
    /* only the datablocks that have lines: gnuplot warns of an empty one */
    int defined = ch->undefined < n * (n - 1);
    ts_buf_puts(b, "plot $diagonal using 1:2:('-') with labels");
    if (defined) ts_buf_puts(b, ", \\\n     $cells using 1:2:(sprintf('%.2f', $4)) with labels");
    if (ch->undefined) ts_buf_puts(b, ", \\\n     $undefined using 1:2:('n/a') with labels");
    ts_buf_puts(b, "\n");
}

/* Writes the chart for a graphic terminal: the cells in the diverging
 * palette with their values, the colour box, group boxes, notes. */
static void graphic_chart(ts_buf *b, const ts_pcorr *c, const chart *ch) {
    const layout *l = &ch->l;
    screen_label(b, ch->title, 0.5, 1 - 22 / l->h, "center font ',13'");
    screen_label(b, ch->sub, 0.5, 1 - 42 / l->h, "center font ',10' textcolor rgb '#333333'");
    ts_buf_printf(b, "set lmargin at screen %.4f\nset rmargin at screen %.4f\n", l->left, l->right);
    ts_buf_printf(b, "set bmargin at screen %.4f\nset tmargin at screen %.4f\n", l->bottom, l->top);
    ts_buf_puts(b, PALETTE);
    ts_buf_puts(b, "set cbrange [-1:1]\nset cbtics -1, 0.5, 1 scale 0.5\n");
    set_text(b, "set cblabel ", c->m->spearman ? "Spearman's rho" : "Pearson's r");
    ts_buf_printf(b, "set colorbox vertical user origin screen %.4f, screen %.4f size screen %.4f, screen %.4f\n",
                  l->right + 22 / l->w, l->bottom, 18 / l->w, l->top - l->bottom);
    for (int i = 0; i < ch->n_foot; i++)
        screen_label(b, ch->foot[i], 0.01, (12 + 19.5 * (ch->n_foot - 1 - i)) / l->h,
                     "left font ',8' textcolor rgb '#444444'");
    if (c->n_groups) group_boxes(b, c);
    tics(b, c, 0, l->tic_font);
    datablocks(b, c->m);
    /* only the datablocks that have lines: gnuplot warns of an empty one */
    int n = c->m->n, defined = ch->undefined < n * (n - 1);
    ts_buf_printf(b,
                  "plot $diagonal using 1:2:(0.5):(0.5) with boxxyerror fc rgb '#%06x' fs solid 1.0 border lc rgb "
                  "'#ffffff'",
                  COLOUR_DIAGONAL);
    if (ch->undefined)
        ts_buf_printf(b,
                      ", \\\n     $undefined using 1:2:(0.5):(0.5) with boxxyerror fc rgb '#%06x' fs solid 1.0 border"
                      " lc rgb '#ffffff'",
                      COLOUR_UNDEFINED);
    if (defined)
        ts_buf_puts(b, ", \\\n     $cells using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 border lc rgb"
                       " '#ffffff'");
    if (l->values && defined)
        ts_buf_printf(b, ", \\\n     $cells using 1:2:(sprintf('%%.2f', $4)):5 with labels textcolor rgb variable font '%s'",
                      l->value_font);
    if (l->values && ch->undefined)
        ts_buf_printf(b, ", \\\n     $undefined using 1:2:('n/a') with labels textcolor rgb '#444444' font '%s'",
                      l->value_font);
    ts_buf_puts(b, "\n");
}

int ts_plot_kind_correlation(const ts_plot_data *d, ts_plot_term term, ts_buf *b, ts_error *err) {
    const ts_pcorr *c = d->corr;
    if (!c) return ts_fail(err, TS_EINPUT, NULL, 0, "correlation charts need a scenario's matrix (none loaded)");
    chart *ch = malloc(sizeof *ch);
    if (!ch) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    prepare(c, term == TS_TERM_DUMB, ch);
    int n = c->m->n;
    ts_buf_puts(b, "reset\nset encoding utf8\nset termoption noenhanced\nunset key\nset border 0\nset tics scale 0\n");
    ts_buf_printf(b, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\n", n - 0.5, n - 0.5);
    if (term == TS_TERM_DUMB) text_chart(b, c, ch);
    else graphic_chart(b, c, ch);
    free(ch);
    return b->oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
}
