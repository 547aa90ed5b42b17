/* kind_alerts.c -- the alerts chart: units x nodes of one run against its
 * reference, class changes marked and coloured by direction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "plotdata.h"

/* Cell colours: a class change up or down, another alert (threshold,
 * jump) up or down, no alert, no score. */
#define COLOUR_CLASS_UP 0xd73027
#define COLOUR_CLASS_DOWN 0x1a9850
#define COLOUR_ALERT_UP 0xfcae91
#define COLOUR_ALERT_DOWN 0xa6dba0
#define COLOUR_QUIET 0xf2f2f2
#define MAX_ROWS 40

/* What one cell shows. */
typedef struct cell {
    const ts_compare_row *row;    /* NULL: the unit is not in both runs at the node */
    const ts_alert *cls, *near, *jump;
    int low_reliability;
} cell;

/* Returns the compared row of unit at node in run j, or NULL. */
static const ts_compare_row *row_of(const ts_alerts *a, int j, const char *node, const char *unit) {
    for (int i = 0; i < a->cmp->n_rows; i++) {
        const ts_compare_row *r = &a->cmp->rows[i];
        if (r->run == j && strcmp(r->node, node) == 0 && strcmp(r->unit, unit) == 0) return r;
    }
    return NULL;
}

/* Fills c for unit at node in run j. */
static void fill_cell(const ts_alerts *a, int j, const char *node, const char *unit, cell *c) {
    memset(c, 0, sizeof *c);
    c->row = row_of(a, j, node, unit);
    for (int i = 0; i < a->n; i++) {
        const ts_alert *al = &a->alerts[i];
        if (al->run != j || strcmp(al->row->node, node) != 0 || strcmp(al->row->unit, unit) != 0) continue;
        if (al->kind == TS_ALERT_CLASS_CHANGE) c->cls = al;
        else if (al->kind == TS_ALERT_THRESHOLD) c->near = al;
        else c->jump = al;
        c->low_reliability |= al->low_reliability;
    }
}

/* Returns 1 when node k of r has an alert of run j for any unit. */
static int has_alert(const ts_alerts *a, int j, const ts_stored_run *r, int k) {
    for (int i = 0; i < a->n; i++)
        if (a->alerts[i].run == j && strcmp(a->alerts[i].row->node, r->nodes[k].id) == 0) return 1;
    return 0;
}

/* Returns 1 when node k of r lies under node top (or is it). */
static int under(const ts_stored_run *r, int k, int top) {
    for (; k >= 0; k = r->nodes[k].parent)
        if (k == top) return 1;
    return 0;
}

/* Writes `prefix 'text'` and a newline. */
static void set_text(ts_buf *b, const char *prefix, const char *text) {
    ts_buf_puts(b, prefix);
    ts_gp_quote(b, text, TS_GP_TEXT);
    ts_buf_puts(b, "\n");
}

/* Copies label into out (size n >= 48), cut to 34 characters at a UTF-8
 * boundary with an ellipsis. */
static const char *short_text(const char *label, char *out, size_t n) {
    size_t len = 0;
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p && len + 8 < n; p++) {
        if ((*p & 0xc0) != 0x80 && chars++ == 34) {
            memcpy(out + len, "\xe2\x80\xa6", 3);
            len += 3;
            break;
        }
        out[len++] = (char)*p;
    }
    out[len] = '\0';
    return out;
}

/* Appends `set label 'text' at x, y ...`. */
static void label(ts_buf *b, const char *text, int x, int y, const char *style) {
    ts_buf_puts(b, "set label ");
    ts_gp_quote(b, text, TS_GP_TEXT);
    ts_buf_printf(b, " at %d, %d center front %s\n", x, y, style);
}

int ts_plot_kind_alerts(const ts_plot_data *d, const ts_plot_request *req, ts_buf *b, ts_error *err) {
    const ts_alerts *a = d->alerts;
    if (!a) return ts_fail(err, TS_EINPUT, NULL, 0, "alerts charts need alerts (none loaded)");
    int j = d->alert_run;
    const ts_stored_run *x = a->runs[j].run, *ref = a->cmp->reference;
    int top = ts_stored_run_node(x, d->node);
    int *rows = malloc(((size_t)x->n_nodes + 1) * sizeof *rows), *units = malloc(((size_t)x->n_units + 1) * sizeof *units);
    if (!rows || !units || top < 0) {
        free(rows), free(units);
        return top < 0 ? ts_fail(err, TS_EINPUT, NULL, 0, "run %lld has no node '%s'", x->info.id, d->node)
                       : ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    /* rows: the node, its children, and every node under it with an alert */
    int nr = 0, more = 0;
    for (int k = 0; k < x->n_nodes; k++) {
        if (!under(x, k, top)) continue;
        if (k != top && x->nodes[k].parent != top && !has_alert(a, j, x, k)) continue;
        if (nr < MAX_ROWS) rows[nr++] = k;
        else more++;
    }
    /* columns: units by the run's rank at the node drawn, then the rest */
    int nu = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < a->cmp->n_rows; i++) {
            const ts_compare_row *r = &a->cmp->rows[i];
            if (r->run != j || strcmp(r->node, d->node) != 0 || !ts_plot_unit_selected(req, r->unit)) continue;
            int u = ts_stored_run_unit(x, r->unit);
            if (u < 0 || (pass == 0) != (r->rank > 0)) continue;
            units[nu++] = u;
        }
    char title[1200], text[512];
    const char *xname = x->info.scenario, *rname = ref->info.scenario;
    snprintf(title, sizeof title, "Alerts: %s against %s", xname, rname);
    ts_buf_puts(b, "reset\nset encoding utf8\nset termoption noenhanced\n");
    set_text(b, "set title ", title);
    set_text(b, "set xlabel ", "unit (by rank in the run)");
    ts_buf_printf(b, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset tics scale 0\nset border 0\n", nu - 0.5, nr - 0.5);
    ts_buf_puts(b, "set key outside right top vertical Left reverse noautotitle box\n");
    ts_buf_puts(b, "set xtics (");
    for (int i = 0; i < nu; i++) {
        const char *n = x->unit_name[units[i]];
        ts_buf_puts(b, i ? ", " : "");
        ts_gp_quote(b, short_text(n && *n ? n : x->unit_id[units[i]], text, sizeof text), TS_GP_FORMAT);
        ts_buf_printf(b, " %d", i);
    }
    ts_buf_puts(b, ") nomirror\nset ytics (");
    int longest = 0;
    for (int i = 0; i < nr; i++) {
        const ts_stored_node *nd = &x->nodes[rows[i]];
        char name[600];
        int depth = nd->depth - x->nodes[top].depth;
        size_t len = 0;
        for (int dd = 1; dd < depth && len + 4 < sizeof name; dd++) len += (size_t)snprintf(name + len, sizeof name - len, "· ");
        snprintf(name + len, sizeof name - len, "%s", short_text(nd->name && *nd->name ? nd->name : nd->id, text, sizeof text));
        int chars = 0;
        for (const char *p = name; *p; p++) chars += ((unsigned char)*p & 0xc0) != 0x80;
        if (chars > longest) longest = chars;
        ts_buf_puts(b, i ? ", " : "");
        ts_gp_quote(b, name, TS_GP_FORMAT);
        ts_buf_printf(b, " %d", nr - 1 - i);
    }
    ts_buf_printf(b, ") nomirror\nset lmargin %d\nset bmargin 7\n", longest + 4);
    /* the cells, their words, and the notes below */
    ts_buf_puts(b, "$cells << EOD\n");
    int n_class = 0, n_other = 0, n_missing = 0;
    for (int r = 0; r < nr; r++)
        for (int i = 0; i < nu; i++) {
            cell c;
            fill_cell(a, j, x->nodes[rows[r]].id, x->unit_id[units[i]], &c);
            unsigned colour = COLOUR_QUIET;
            if (c.cls) colour = c.row->delta > 0 ? COLOUR_CLASS_UP : COLOUR_CLASS_DOWN;
            else if (c.near || c.jump) colour = c.row->delta > 0 ? COLOUR_ALERT_UP : COLOUR_ALERT_DOWN;
            if (!c.row || isnan(c.row->score) || isnan(c.row->ref_score)) {
                n_missing++;
                continue;
            }
            ts_buf_printf(b, "%d %d %u\n", i, nr - 1 - r, colour);
        }
    ts_buf_puts(b, "EOD\n");
    for (int r = 0; r < nr; r++)
        for (int i = 0; i < nu; i++) {
            cell c;
            fill_cell(a, j, x->nodes[rows[r]].id, x->unit_id[units[i]], &c);
            int y = nr - 1 - r;
            if (!c.row || isnan(c.row->score) || isnan(c.row->ref_score)) {
                label(b, "n/a", i, y, "textcolor rgb '#888888'");
                continue;
            }
            const char *mark = c.low_reliability ? " (!)" : "";
            if (c.cls) {
                snprintf(text, sizeof text, "%s %s%s", c.row->delta > 0 ? "\xe2\x96\xb2" : "\xe2\x96\xbc", c.cls->to, mark);
                label(b, text, i, y, "font ',9' textcolor rgb '#ffffff'");
                n_class++;
            } else if (c.near) {
                snprintf(text, sizeof text, "near %s%s", c.near->to, mark);
                label(b, text, i, y, "font ',9'");
                n_other++;
            } else if (c.jump) {
                snprintf(text, sizeof text, "jump %+.2f%s", c.row->delta, mark);
                label(b, text, i, y, "font ',9'");
                n_other++;
            } else if (fabs(c.row->delta) > a->runs[j].stable) {
                snprintf(text, sizeof text, "%+.2f", c.row->delta);
                label(b, text, i, y, "font ',8' textcolor rgb '#777777'");
            }
        }
    snprintf(text, sizeof text, "Run %lld (%s) against reference run %lld (%s) · threatscore alert", x->info.id,
             xname, ref->info.id, rname);
    ts_buf_puts(b, "set label ");
    ts_gp_quote(b, text, TS_GP_TEXT);
    ts_buf_puts(b, " at screen 0.01, screen 0.075 left font ',8' textcolor rgb '#444444'\n");
    snprintf(text, sizeof text,
             "%d class changes, %d other alerts; near: within %.3g of the next class; jump: beyond the unit's norm;"
             " (!) reliability below %g%s",
             n_class, n_other, a->runs[j].near_class, a->runs[j].min_reliability,
             n_missing ? "; n/a: no score on one side" : "");
    ts_buf_puts(b, "set label ");
    ts_gp_quote(b, text, TS_GP_TEXT);
    ts_buf_puts(b, " at screen 0.01, screen 0.045 left font ',8' textcolor rgb '#444444'\n");
    if (more) {
        snprintf(text, sizeof text, "%d more nodes with alerts not shown: draw one of them with --node, or `threatscore alert`",
                 more);
        ts_buf_puts(b, "set label ");
        ts_gp_quote(b, text, TS_GP_TEXT);
        ts_buf_puts(b, " at screen 0.01, screen 0.015 left font ',8' textcolor rgb '#444444'\n");
    }
    ts_buf_puts(b, "plot $cells using 1:2:(0.48):(0.45):3 with boxxyerror fc rgb variable fs solid 1.0 noborder");
    static const struct {
        unsigned colour;
        const char *what;
    } legend[] = {{COLOUR_CLASS_UP, "class rose"},       {COLOUR_CLASS_DOWN, "class fell"},
                  {COLOUR_ALERT_UP, "near a class or jump, up"}, {COLOUR_ALERT_DOWN, "near a class or jump, down"},
                  {COLOUR_QUIET, "no alert"}};
    for (size_t i = 0; i < sizeof legend / sizeof *legend; i++) {
        ts_buf_printf(b, ", \\\n     keyentry with boxes fs solid 1.0 border lc rgb '#999999' fc rgb '#%06x' title ", legend[i].colour);
        ts_gp_quote(b, legend[i].what, TS_GP_TEXT);
    }
    ts_buf_puts(b, "\n");
    free(rows), free(units);
    return TS_OK;
}
