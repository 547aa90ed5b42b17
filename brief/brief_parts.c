/* brief_parts.c -- the small writers of the briefing report's page: text
 * through the one escaper, numbers, times, names, labels, rank order. */
#include "brief_parts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

/* Writes s escaped (ts_html_escape): the one way text reaches the page. */
void bp_esc(ts_buf *h, const char *s) {
    ts_html_escape(h, s);
}

/* Writes x with the given decimals, "–" when missing. */
void bp_num(ts_buf *h, double x, int decimals) {
    ts_html_number(h, x, decimals, 0);
}

/* Writes x as num does, with a "+" before a positive value. */
void bp_signed_num(ts_buf *h, double x, int decimals) {
    ts_html_number(h, x, decimals, 1);
}

/* Writes a share (0-1) as a percentage. */
void bp_percent(ts_buf *h, double x) {
    if (!isfinite(x)) {
        bp_num(h, x, 0);
        return;
    }
    ts_html_number(h, 100 * x, 0, 0);
    ts_buf_puts(h, "%");
}

/* Writes a stored time (2026-12-01T18:00:08.151Z) as "2026-12-01 18:00 UTC". */
void bp_when(ts_buf *h, const char *t) {
    if (t && strlen(t) >= 16 && t[10] == 'T') {
        char d[17];
        memcpy(d, t, 16);
        d[16] = '\0';
        d[10] = ' ';
        bp_esc(h, d);
        ts_buf_puts(h, " UTC");
    } else {
        bp_esc(h, t && *t ? t : "time not recorded");
    }
}

/* Returns node k's name, or its id when it has none. */
const char *bp_node_name(const ts_stored_run *r, int k) {
    return r->nodes[k].name && *r->nodes[k].name ? r->nodes[k].name : r->nodes[k].id;
}

/* Returns unit u's name, or its id when it has none. */
const char *bp_unit_name(const ts_stored_run *r, int u) {
    return r->unit_name[u] && *r->unit_name[u] ? r->unit_name[u] : r->unit_id[u];
}

/* Returns the index of unit u at node k in r's per-cell arrays. */
size_t bp_cell(const ts_stored_run *r, int u, int k) {
    return (size_t)u * (size_t)r->n_nodes + (size_t)k;
}

/* Writes a unit as "Name (ID)", or just the id when it has no other name. */
void bp_unit_label(ts_buf *h, const ts_stored_run *r, int u) {
    bp_esc(h, bp_unit_name(r, u));
    if (strcmp(bp_unit_name(r, u), r->unit_id[u]) != 0) {
        ts_buf_puts(h, " <span class=\"id\">");
        bp_esc(h, r->unit_id[u]);
        ts_buf_puts(h, "</span>");
    }
}

/* Writes "Scenario (run N)". */
void bp_run_label(ts_buf *h, const ts_stored_run *r) {
    ts_buf_puts(h, "<b>");
    bp_esc(h, r->info.scenario);
    ts_buf_printf(h, "</b> <span class=\"id\">(run %lld", r->info.id);
    if (r->year) ts_buf_printf(h, ", year %d", r->year);
    ts_buf_puts(h, ")</span>");
}

/* Units of r ordered by rank at node k (unranked last, then stored order). */
int *bp_ranked_units(const ts_stored_run *r, int k) {
    int *u = malloc(((size_t)r->n_units + 1) * sizeof *u);
    if (!u) return NULL;
    for (int i = 0; i < r->n_units; i++) u[i] = i;
    for (int i = 1; i < r->n_units; i++) /* insertion sort: few units */
        for (int j = i; j > 0; j--) {
            int a = r->rank[bp_cell(r, u[j - 1], k)], b = r->rank[bp_cell(r, u[j], k)];
            if (!((b && (!a || b < a)))) break;
            int t = u[j];
            u[j] = u[j - 1];
            u[j - 1] = t;
        }
    return u;
}

/* Returns 1 when the two values differ (the raw number or what was done to it). */
int bp_value_changed(const brief_value *a, const brief_value *b) {
    if (!a || !b || a->present != b->present) return 1;
    if (isnan(a->raw) != isnan(b->raw) || (!isnan(a->raw) && a->raw != b->raw)) return 1;
    if ((a->shock == NULL) != (b->shock == NULL)) return 1;
    return 0;
}

/* Counts the inputs of unit id that run i changes against the reference. */
int bp_inputs_changed(const ts_brief *b, int i, const char *unit) {
    const brief_run *ref = &b->runs[0], *x = &b->runs[i];
    int ur = ts_stored_run_unit(ref->r, unit), ux = ts_stored_run_unit(x->r, unit), n = 0;
    if (ur < 0 || ux < 0) return 0;
    for (int k = 0; k < x->r->n_nodes; k++) {
        if (!x->r->nodes[k].is_indicator) continue;
        int kr = ts_stored_run_node(ref->r, x->r->nodes[k].id);
        n += bp_value_changed(kr >= 0 ? ts_brief_value(ref, ur, kr) : NULL, ts_brief_value(x, ux, k));
    }
    return n;
}

