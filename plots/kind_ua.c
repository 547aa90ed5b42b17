/* kind_ua.c -- the uncertainty and sensitivity charts: rank bands of a
 * stored analysis and the Sobol' indices of each factor, per unit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"

/* ---- uncertainty and sensitivity ------------------------------------- */

/* "Scenario: S · uncertainty run N · threatscore". */
static void footnote_ua(gen *g, const ts_pua *a) {
    ts_buf_printf(tsk_foot_line(g), "Scenario: %s · uncertainty run %lld · threatscore", a->scenario, a->id);
}

/* Appends ", " or starts line f with prefix; returns the line. */
static ts_buf *list_item(gen *g, ts_buf *f, const char *prefix) {
    if (!f) {
        f = tsk_foot_line(g);
        ts_buf_puts(f, prefix);
    } else {
        ts_buf_puts(f, ", ");
    }
    return f;
}

int tsk_uncertainty(gen *g, ts_error *err) {
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
    tsk_begin(g, title, "unit, by median rank (1 = highest risk)", "rank (1 = highest risk)");
    ts_buf_printf(g->b, "set yrange [%g:0.5]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\n",
                  floor(top) + 0.5, n - 0.4);
    ts_buf_puts(g->b, top <= 25 ? "set ytics 1 nomirror\n" : "set ytics nomirror\nset format y '%.0f'\n");
    for (int i = 0; i < n; i++) {
        labels[i] = a->unit_name[units[i]];
        pos[i] = i;
    }
    tsk_tics(g, 'x', labels, pos, n, "nomirror");
    /* x, median rank, 5th and 95th percentile, colour, nominal rank (0: none) */
    ts_buf_puts(g->b, "$ranks << EOD\n");
    for (int i = 0; i < n; i++) {
        int u = units[i];
        ts_buf_printf(g->b, "%d ", i);
        tsk_num(g->b, a->rank_p50[u]);
        ts_buf_puts(g->b, " ");
        tsk_num(g->b, isnan(a->rank_p05[u]) ? a->rank_p50[u] : a->rank_p05[u]);
        ts_buf_puts(g->b, " ");
        tsk_num(g->b, isnan(a->rank_p95[u]) ? a->rank_p50[u] : a->rank_p95[u]);
        ts_buf_printf(g->b, " %u %d\n", ts_plot_unit_colour(d, a->unit_id[u]), a->nominal_rank[u]);
    }
    ts_buf_puts(g->b, "EOD\n");
    footnote_ua(g, a);
    ts_buf *f = tsk_foot_line(g);
    ts_buf_printf(f, "Dot: median rank; whiskers: 5th to 95th percentile rank over %ld replications (seed %s); "
                     "ring: nominal rank.",
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
    if (!a->names_run) ts_buf_printf(tsk_foot_line(g), "Unit ids shown: no scored run of this scenario in the database.");
    tsk_finish_footnotes(g);
    /* the nominal rank is a ring drawn under the median's dot, so that
       both show when they coincide */
    ts_buf_puts(g->b, "plot $ranks using 1:3:(0):($4 - $3):5 with vectors heads size screen 0.008,90 lw 2 "
                      "lc rgb variable notitle, \\\n"
                      "     $ranks using 1:($6 > 0 ? $6 : NaN) with points pt 6 ps 2.6 lw 1.5 lc rgb '#000000' "
                      "notitle, \\\n"
                      "     $ranks using 1:2:5 with points pt 7 ps 1.5 lc rgb variable notitle, \\\n"
                      "     keyentry with points pt 7 ps 1.5 lc rgb '#555555' title ");
    ts_gp_quote(g->b, "median rank (unit colour)", TS_GP_TEXT);
    ts_buf_puts(g->b, ", \\\n     keyentry with vectors heads size screen 0.008,90 lw 2 lc rgb '#555555' title ");
    ts_gp_quote(g->b, "5th to 95th percentile rank", TS_GP_TEXT);
    ts_buf_puts(g->b, ", \\\n     keyentry with points pt 6 ps 2.6 lw 1.5 lc rgb '#000000' title ");
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

/* Appends the S1 and ST indices of unit u as one panel's datablock name:
 * block 0 first order, block 1 total order; x, index, interval low, high
 * (the index itself when no interval is stored). */
static void sobol_block(gen *g, const ts_pua *a, int u, const char *name, int have[2]) {
    int nf = a->n_factors;
    ts_buf_printf(g->b, "%s << EOD\n", name);
    have[0] = have[1] = 0;
    for (int o = 0; o < 2; o++) {
        ts_buf_printf(g->b, "# %s\n", o ? "total order" : "first order");
        const double *v = o ? a->st : a->s1, *lo = o ? a->st_lo : a->s1_lo, *hi = o ? a->st_hi : a->s1_hi;
        for (int f = 0; f < nf; f++) {
            size_t at = (size_t)u * (size_t)nf + (size_t)f;
            if (isnan(v[at])) continue;
            have[o] = 1;
            ts_buf_printf(g->b, "%.2f ", f + (o ? 0.18 : -0.18));
            tsk_num(g->b, v[at]);
            ts_buf_puts(g->b, " ");
            tsk_num(g->b, isnan(lo[at]) ? v[at] : lo[at]);
            ts_buf_puts(g->b, " ");
            tsk_num(g->b, isnan(hi[at]) ? v[at] : hi[at]);
            ts_buf_puts(g->b, "\n");
        }
        ts_buf_puts(g->b, "\n\n");
    }
    ts_buf_puts(g->b, "EOD\n");
}

/* Appends the plot command of one unit's S1 and ST bars from datablock
 * name, in colour col, with intervals and values. */
static void sobol_plot(gen *g, const char *name, const int have[2], unsigned col, int key, int font) {
    ts_buf_puts(g->b, "plot ");
    int first = 1;
    for (int o = 0; o < 2; o++) {
        if (!have[o]) continue; /* gnuplot refuses an empty block */
        ts_buf_printf(g->b, "%s%s index %d using 1:2 with boxes fc rgb ", first ? "" : ", \\\n     ", name, o);
        tsk_rgb(g->b, col);
        ts_buf_printf(g->b, " fs solid %.2f border lc rgb '#333333' ", o ? 0.35 : 1.0);
        if (key) {
            ts_buf_puts(g->b, "title ");
            ts_gp_quote(g->b, o ? "ST: total order" : "S1: first order", TS_GP_TEXT);
        } else {
            ts_buf_puts(g->b, "notitle");
        }
        ts_buf_printf(g->b, ", \\\n     %s index %d using 1:3:(0):($4 - $3) with vectors heads size screen "
                            "0.006,90 lw 1.5 lc rgb '#000000' notitle, \\\n     %s index %d using "
                            "1:($4 > $2 ? $4 : $2):(sprintf('%%.2f', abs($2) < 0.005 ? 0 : $2)) with labels offset 0,0.6 "
                            "font ',%d' notitle",
                      name, o, name, o, font);
        first = 0;
    }
    if (first) ts_buf_puts(g->b, "NaN notitle");
    ts_buf_puts(g->b, "\n");
}

/* The y range of Sobol' panels: [0, 1] widened to every index and interval
 * of the units listed. */
static void sobol_range(const ts_pua *a, const int *units, int n, double *ymin, double *ymax) {
    *ymin = 0, *ymax = 1;
    size_t nf = (size_t)a->n_factors;
    for (int i = 0; i < n; i++)
        for (size_t f = 0; f < nf; f++) {
            size_t at = (size_t)units[i] * nf + f;
            const double *v[] = {a->s1, a->s1_lo, a->s1_hi, a->st, a->st_lo, a->st_hi};
            for (int j = 0; j < 6; j++) {
                if (v[j][at] < *ymin) *ymin = v[j][at];
                if (v[j][at] > *ymax) *ymax = v[j][at];
            }
        }
}

/* The common footnotes of the sensitivity charts. */
static void sobol_footnotes(gen *g, const ts_pua *a, const char *whiskers) {
    footnote_ua(g, a);
    ts_buf_printf(tsk_foot_line(g), "S1: share of the variance due to the factor alone; ST: with its interactions. "
                                "%ld base samples, seed %s.",
                  a->n, a->seed);
    if (whiskers) ts_buf_printf(tsk_foot_line(g), whiskers, a->bootstrap);
    ts_buf *flat = NULL;
    for (int u = 0; u < a->n_units; u++)
        if (ts_plot_unit_selected(g->req, a->unit_id[u]) && !ua_has_indices(a, u)) {
            flat = list_item(g, flat, "No indices (score constant), not shown: ");
            ts_buf_puts(flat, a->unit_name[u]);
        }
}

/* Sensitivity of one unit (one --unit): its indices with bootstrap
 * intervals. */
static int sensitivity_one(gen *g, int u, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_pua *a = d->ua;
    int nf = a->n_factors;
    if (!ua_has_indices(a, u))
        return ts_fail(err, TS_EINPUT, NULL, 0, "no Sobol' indices of the score at node '%s' for %s in uncertainty run %lld",
                       d->node, g->req->units[0], a->id);
    double ymin, ymax;
    sobol_range(a, &u, 1, &ymin, &ymax);
    char title[1200];
    snprintf(title, sizeof title, "Sensitivity of the score at %s: %s", a->node_name, a->unit_name[u]);
    tsk_begin(g, title, "uncertain factor", "Sobol' index (share of the score's variance)");
    ts_buf_puts(g->b, "set yrange [");
    tsk_num(g->b, ymin - 0.02);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, ymax + 0.08 * (ymax - ymin));
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\nset grid ytics lc rgb '#dddddd'\nset boxwidth 0.34\n", nf - 0.4);
    ts_buf_puts(g->b, "set xzeroaxis lt -1\n");
    double *pos = calloc((size_t)nf + 1, sizeof *pos);
    if (!pos) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    for (int f = 0; f < nf; f++) pos[f] = f;
    tsk_tics(g, 'x', a->factor, pos, nf, "nomirror");
    free(pos);
    int have[2];
    sobol_block(g, a, u, "$indices", have);
    sobol_footnotes(g, a, "Whiskers: 95 %% bootstrap interval (%d replicates).");
    tsk_finish_footnotes(g);
    sobol_plot(g, "$indices", have, ts_plot_unit_colour(d, a->unit_id[u]), 1, 8);
    /* the key's whisker sample: the last line of the plot command, extended */
    g->b->len--; /* the newline */
    ts_buf_puts(g->b, ", \\\n     keyentry with vectors heads size screen 0.006,90 lw 1.5 lc rgb '#000000' title ");
    ts_gp_quote(g->b, "95 % bootstrap interval", TS_GP_TEXT);
    ts_buf_puts(g->b, "\n");
    return TS_OK;
}

/* Sensitivity of many units as one heatmap: units down, factors across,
 * the total-order index as colour, both indices printed. */
static int sensitivity_heatmap(gen *g, const int *units, int n, ts_error *err) {
    const ts_pua *a = g->d->ua;
    int nf = a->n_factors;
    char title[1200];
    snprintf(title, sizeof title, "Sensitivity of the score at %s, per unit", a->node_name);
    tsk_begin(g, title, "uncertain factor", NULL);
    ts_buf_puts(g->b, "unset key\nset tics scale 0\nset palette defined (0 '#ffffff', 1 '#6a3d9a')\nset cbrange [0:1]\n");
    tsk_set_text(g, "set cblabel ", "ST: total-order index");
    ts_buf_printf(g->b, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\n", nf - 0.5, n - 0.5);
    const char **labels = calloc((size_t)(n > nf ? n : nf) + 1, sizeof *labels);
    double *pos = calloc((size_t)(n > nf ? n : nf) + 1, sizeof *pos);
    if (!labels || !pos) {
        free(labels), free(pos);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    for (int f = 0; f < nf; f++) pos[f] = f;
    tsk_tics(g, 'x', a->factor, pos, nf, "");
    for (int i = 0; i < n; i++) {
        labels[i] = a->unit_name[units[i]];
        pos[i] = n - 1 - i;
    }
    tsk_tics(g, 'y', labels, pos, n, "");
    free(labels), free(pos);
    ts_buf_puts(g->b, "$cells << EOD\n");
    for (int i = 0; i < n; i++)
        for (int f = 0; f < nf; f++) {
            size_t at = (size_t)units[i] * (size_t)nf + (size_t)f;
            ts_buf_printf(g->b, "%d %d ", f, n - 1 - i);
            tsk_num(g->b, isnan(a->st[at]) ? -1 : a->st[at]);
            ts_buf_puts(g->b, " ");
            tsk_num(g->b, isnan(a->s1[at]) ? -1 : a->s1[at]);
            ts_buf_puts(g->b, "\n");
        }
    ts_buf_puts(g->b, "EOD\n");
    sobol_footnotes(g, a, NULL);
    tsk_finish_footnotes(g);
    /* a rounding error below zero prints as 0.00, not -0.00 */
    const char *cell = "sprintf('S1 %.2f  ST %.2f', abs($4) < 0.005 ? 0 : $4, abs($3) < 0.005 ? 0 : $3)";
    if (tsk_text_term(g))
        ts_buf_printf(g->b, "plot $cells using 1:2:(%s) with labels\n", cell);
    else
        ts_buf_printf(g->b, "plot $cells using 1:2:(0.5):(0.5):($3 < 0 ? NaN : $3) with boxxyerror fc palette fs solid "
                            "1.0 noborder, \\\n     $cells using 1:2:(%s) with labels font ',9'\n",
                      cell);
    return TS_OK;
}

/* Sensitivity of several units as small multiples: a panel per unit with
 * its S1 and ST bars and bootstrap intervals, one y scale for all. */
static int sensitivity_panels(gen *g, const int *units, int n) {
    const ts_plot_data *d = g->d;
    const ts_pua *a = d->ua;
    int nf = a->n_factors;
    double ymin, ymax;
    sobol_range(a, units, n, &ymin, &ymax);
    char title[1200];
    snprintf(title, sizeof title, "Sensitivity of the score at %s, per unit (dark: S1 first order; light: ST total "
                                  "order)",
             a->node_name);
    sobol_footnotes(g, a, "Whiskers: 95 %% bootstrap interval (%d replicates). Give --unit for one unit alone.");
    tsk_begin_panels(g, n, title);
    ts_buf_puts(g->b, "unset key\nset grid ytics lc rgb '#e5e5e5'\nset boxwidth 0.34\nset xzeroaxis lt -1\n"
                      "set ytics nomirror font ',8'\n");
    ts_buf_puts(g->b, "set yrange [");
    tsk_num(g->b, ymin - 0.02);
    ts_buf_puts(g->b, ":");
    tsk_num(g->b, ymax + 0.12 * (ymax - ymin));
    ts_buf_printf(g->b, "]\nset xrange [-0.6:%g]\n", nf - 0.4);
    tsk_panel_unit_tics(g, a->factor, a->factor, nf, 1000);
    for (int i = 0; i < n; i++) {
        int u = units[i];
        char name[32];
        snprintf(name, sizeof name, "$unit%d", i);
        tsk_set_text(g, "set title ", a->unit_name[u]);
        int have[2];
        sobol_block(g, a, u, name, have);
        sobol_plot(g, name, have, ts_plot_unit_colour(d, a->unit_id[u]), 0, 7);
        tsk_end_panel(g);
    }
    tsk_end_panels(g);
    return TS_OK;
}

int tsk_sensitivity(gen *g, ts_error *err) {
    const ts_plot_data *d = g->d;
    const ts_pua *a = d->ua;
    if (g->req->n_units == 1) {
        for (int u = 0; u < a->n_units; u++)
            if (ts_plot_unit_selected(g->req, a->unit_id[u])) return sensitivity_one(g, u, err);
    }
    /* the units with indices, by nominal rank (none last), then id order */
    int *units = malloc(((size_t)a->n_units + 1) * sizeof *units);
    if (!units) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int n = 0;
    for (int u = 0; u < a->n_units; u++)
        if (ts_plot_unit_selected(g->req, a->unit_id[u]) && ua_has_indices(a, u)) units[n++] = u;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            int x = units[j], y = units[j - 1];
            int rx = a->nominal_rank[x] > 0 ? a->nominal_rank[x] : 1 << 30;
            int ry = a->nominal_rank[y] > 0 ? a->nominal_rank[y] : 1 << 30;
            if (rx >= ry) break;
            units[j] = y;
            units[j - 1] = x;
        }
    if (n == 0) {
        free(units);
        return ts_fail(err, TS_EINPUT, NULL, 0,
                       "no Sobol' indices of the score at node '%s' for the chosen units in uncertainty run %lld",
                       d->node, a->id);
    }
    int rc = tsk_text_term(g) || n > MAX_PANELS ? sensitivity_heatmap(g, units, n, err) : sensitivity_panels(g, units, n);
    free(units);
    return rc;
}
