/* trend.c -- scoring every year of a scenario and classing the change. */
#include "trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ts_trend_free(ts_trend *t) {
    if (!t) return;
    free(t->years);
    free(t->score);
    free(t->rank);
    free(t->change);
    free(t->direction);
    free(t);
}

int ts_trend_compute(ts_scenario *s, int span, double threshold, double min_coverage, ts_trend **out, ts_error *err) {
    *out = NULL;
    int years[256];
    int n_years = ts_dataset_years(s->data, years, 256);
    if (n_years == 0) {
        ts_fail(err, TS_EINPUT, s->path, 0, "no dated values: a trend needs values of several years");
        return ts_status(err);
    }
    ts_trend *t = calloc(1, sizeof *t);
    int n = s->data->n_units, nodes = s->tax->n_nodes;
    size_t cells = (size_t)n_years * (size_t)nodes * (size_t)n;
    if (t) {
        t->years = malloc((size_t)n_years * sizeof *t->years);
        t->score = malloc(cells * sizeof *t->score);
        t->rank = malloc(cells * sizeof *t->rank);
        t->change = malloc((size_t)nodes * (size_t)n * sizeof *t->change);
        t->direction = malloc((size_t)nodes * (size_t)n * sizeof *t->direction);
    }
    if (!t || !t->years || !t->score || !t->rank || !t->change || !t->direction) {
        ts_trend_free(t);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    t->n_years = n_years;
    t->n_units = n;
    t->n_nodes = nodes;
    t->span = span;
    t->threshold = threshold;
    int saved = s->spec->year, kept = 0, root = ts_taxonomy_root(s->tax);
    /* each unit's coverage in the last year: the yardstick for the others */
    double *last_cov = malloc(((size_t)n + 1) * sizeof *last_cov);
    ts_result *r_last = NULL;
    if (last_cov) {
        s->spec->year = years[n_years - 1];
        ts_dataset_select(s->data, years[n_years - 1], s->spec->max_age, s->spec->interpolate);
        ts_score(s, &r_last, err);
    }
    if (!last_cov || !r_last) {
        if (!last_cov) ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        free(last_cov);
        s->spec->year = saved;
        ts_dataset_select(s->data, saved, s->spec->max_age, s->spec->interpolate);
        ts_trend_free(t);
        return ts_status(err);
    }
    for (int u = 0; u < n; u++) last_cov[u] = ts_result_coverage(r_last, root, u);
    ts_result_free(r_last);
    for (int y = 0; y < n_years; y++) {
        s->spec->year = years[y];
        ts_dataset_select(s->data, years[y], s->spec->max_age, s->spec->interpolate);
        /* a year without any score is left out below, like a sparse one */
        ts_result *r = NULL;
        ts_score_allow_empty(s, &r, err);
        if (!r) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%.900s (scoring year %d)", err->message, years[y]);
            snprintf(err->message, sizeof err->message, "%s", msg);
            s->spec->year = saved;
            ts_dataset_select(s->data, saved, s->spec->max_age, s->spec->interpolate);
            free(last_cov);
            ts_trend_free(t);
            return ts_status(err);
        }
        /* a year where some unit has far fewer values than in the last year
           measures coverage, not risk: leave it out */
        int sparse = 0;
        for (int u = 0; u < n; u++) sparse |= ts_result_coverage(r, root, u) < min_coverage * last_cov[u];
        if (!sparse) {
            size_t base = (size_t)kept * (size_t)nodes * (size_t)n;
            memcpy(t->score + base, r->score, (size_t)nodes * (size_t)n * sizeof *t->score);
            memcpy(t->rank + base, r->rank, (size_t)nodes * (size_t)n * sizeof *t->rank);
            t->years[kept++] = years[y];
        }
        ts_result_free(r);
    }
    free(last_cov);
    t->n_years = n_years = kept;
    memcpy(years, t->years, (size_t)kept * sizeof *years);
    s->spec->year = saved;
    ts_dataset_select(s->data, saved, s->spec->max_age, s->spec->interpolate);
    if (kept == 0) {
        ts_fail(err, TS_EINPUT, s->path, 0, "no year where every unit has %.0f%% of the values it has in the last year",
                100 * min_coverage);
        ts_trend_free(t);
        return ts_status(err);
    }
    /* the base year: the latest at or before last - span */
    int last = n_years - 1, b = -1;
    for (int y = 0; y < n_years; y++)
        if (years[y] <= years[last] - span) b = y;
    t->base_year = b >= 0 ? years[b] : 0;
    for (size_t c = 0; c < (size_t)nodes * (size_t)n; c++) {
        double now = t->score[(size_t)last * nodes * n + c], then = b >= 0 ? t->score[(size_t)b * nodes * n + c] : NAN;
        t->change[c] = now - then;
        t->direction[c] = isnan(t->change[c]) ? -2 : t->change[c] > threshold ? 1 : t->change[c] < -threshold ? -1 : 0;
    }
    *out = t;
    return TS_OK;
}

static const char *direction_name(int d) {
    return d == 1 ? "increasing" : d == -1 ? "decreasing" : d == 0 ? "stable" : "unknown";
}

int ts_trend_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_trend *t, ts_error *err) {
    const ts_taxonomy *tax = s->tax;
    const ts_dataset *d = s->data;
    int n = t->n_units, nodes = t->n_nodes, root = ts_taxonomy_root(tax);
    int *order = malloc((size_t)nodes * sizeof *order);
    if (!order) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    ts_taxonomy_preorder(tax, order);
    ts_buf b = {0};
    char num[40];
    if (fmt == TS_FORMAT_CSV) {
        ts_buf_puts(&b, "unit,node,year,score,rank,trend\n");
        for (int u = 0; u < n; u++)
            for (int j = 0; j < nodes; j++) {
                int k = order[j];
                for (int y = 0; y < t->n_years; y++) {
                    size_t c = ((size_t)y * nodes + k) * n + u;
                    ts_csv_field(&b, d->unit_id[u]);
                    ts_buf_puts(&b, ",");
                    ts_csv_field(&b, tax->nodes[k].id);
                    ts_buf_printf(&b, ",%d,%s,", t->years[y], ts_fmt_double(num, sizeof num, t->score[c]));
                    if (t->rank[c]) ts_buf_printf(&b, "%d", t->rank[c]);
                    ts_buf_printf(&b, ",%s\n", y == t->n_years - 1 ? direction_name(t->direction[(size_t)k * n + u]) : "");
                }
            }
    } else {
        char name[512];
        if (t->base_year)
            ts_buf_printf(&b, "%s: index by year; trend = change %d -> %d, stable within +-%g\n",
                          ts_term_safe(name, sizeof name, s->name), t->base_year, t->years[t->n_years - 1],
                          t->threshold);
        else /* no kept year is span years before the last */
            ts_buf_printf(&b, "%s: index by year; no trend: the years kept span less than %d years\n",
                          ts_term_safe(name, sizeof name, s->name), t->span);
        ts_buf_printf(&b, "%-8s", "unit");
        for (int y = 0; y < t->n_years; y++) ts_buf_printf(&b, " %6d", t->years[y]);
        ts_buf_printf(&b, " %8s  %s\n", "change", "trend");
        for (int u = 0; u < n; u++) {
            ts_buf_printf(&b, "%-8s", d->unit_id[u]);
            for (int y = 0; y < t->n_years; y++) {
                double x = t->score[((size_t)y * nodes + root) * n + u];
                if (isnan(x)) ts_buf_printf(&b, " %6s", "-");
                else ts_buf_printf(&b, " %6.2f", x);
            }
            double ch = t->change[(size_t)root * n + u];
            if (isnan(ch)) ts_buf_printf(&b, " %8s", "-");
            else ts_buf_printf(&b, " %+8.2f", ch);
            ts_buf_printf(&b, "  %s\n", direction_name(t->direction[(size_t)root * n + u]));
        }
        const ts_node *rn = &tax->nodes[root];
        if (t->base_year)
            ts_buf_printf(&b, "\ntrends of the index's children (%d -> %d):\n%-8s", t->base_year,
                          t->years[t->n_years - 1], "unit");
        else
            ts_buf_printf(&b, "\ntrends of the index's children (none):\n%-8s", "unit");
        for (int c = 0; c < rn->n_children; c++) ts_buf_printf(&b, " %-11.11s", tax->nodes[tax->children[rn->first_child + c]].id);
        ts_buf_puts(&b, "\n");
        for (int u = 0; u < n; u++) {
            ts_buf_printf(&b, "%-8s", d->unit_id[u]);
            for (int c = 0; c < rn->n_children; c++) {
                int k = tax->children[rn->first_child + c];
                ts_buf_printf(&b, " %-11s", direction_name(t->direction[(size_t)k * n + u]));
            }
            ts_buf_puts(&b, "\n");
        }
    }
    free(order);
    int rc = TS_OK;
    if (b.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else if (b.len && fwrite(b.data, 1, b.len, f) != b.len) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "write failed");
    ts_buf_free(&b);
    return rc;
}
