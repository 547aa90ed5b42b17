/* reliability.c -- the reliability of every score: the nominal weight of a
 * node resting on values that are present, current, measured and agreed. */
#include "reliability.h"

#include <math.h>
#include <stdlib.h>

struct ts_reliability {
    const ts_scenario *s;
    int year;        /* the scoring year, 0 unknown */
    int n_units;
    int per_unit;    /* the scenario has per-unit weights: shares differ by unit */
    double *share;   /* node k's weight over its siblings' sum (1 for the root):
                        [k * n_units + u] when per_unit, else [k] for every unit */
};

/* Returns node k's share for unit u. */
static double share_of(const ts_reliability *rl, int k, size_t u) {
    return rl->share[rl->per_unit ? (size_t)k * (size_t)rl->n_units + u : (size_t)k];
}

/* Returns the year values are judged against (see ts_reliability_year). */
static int scoring_year(const ts_scenario *s) {
    if (s->spec->year > 0) return s->spec->year;
    int year = 0;
    for (int j = 0; j < s->data->n_obs; j++)
        if (!s->data->obs[j].removed && s->data->obs[j].prov.year > year) year = s->data->obs[j].prov.year;
    return year;
}

int ts_reliability_new(const ts_scenario *s, ts_reliability **out, ts_error *err) {
    *out = NULL;
    const ts_taxonomy *t = s->tax;
    int n = s->data->n_units;
    ts_reliability *rl = calloc(1, sizeof *rl);
    /* without per-unit weights one row serves every unit: score --lean of a
       big CSV must not pay a nodes x units matrix for it */
    int per_unit = s->spec->unit_weight != NULL;
    if (rl) rl->share = malloc(((size_t)t->n_nodes * (per_unit ? (size_t)n : 1) + 1) * sizeof *rl->share);
    if (!rl || !rl->share) {
        ts_reliability_free(rl);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    rl->s = s;
    rl->n_units = n;
    rl->per_unit = per_unit;
    rl->year = scoring_year(s);
    for (int k = 0; k < t->n_nodes; k++) {
        const ts_node *nd = &t->nodes[k];
        double *row = rl->share + (size_t)k * (per_unit ? (size_t)n : 1);
        for (int u = 0; u < (per_unit ? n : 1); u++) {
            if (nd->parent < 0) {
                row[u] = 1;
                continue;
            }
            const ts_node *up = &t->nodes[nd->parent];
            double sum = 0;
            for (int c = 0; c < up->n_children; c++) sum += ts_spec_weight(s->spec, u, t->children[up->first_child + c]);
            /* a zero weight sum is refused when the scenario loads; a node under it carries nothing */
            row[u] = sum > 0 ? ts_spec_weight(s->spec, u, k) / sum : 0;
        }
    }
    *out = rl;
    return TS_OK;
}

void ts_reliability_free(ts_reliability *rl) {
    if (!rl) return;
    free(rl->share);
    free(rl);
}

int ts_reliability_year(const ts_reliability *rl) { return rl->year; }

/* Returns the span that conflicts between sources of indicator i are
 * measured against: its goalposts, else the range of its raw column (NaN
 * when it has fewer than two distinct values). */
static double value_range(const ts_reliability *rl, int i, const double *raw) {
    const ts_node *nd = &rl->s->tax->nodes[rl->s->tax->indicator_node[i]];
    if (nd->has_goalposts) return fabs(nd->goal_hi - nd->goal_lo);
    double lo = INFINITY, hi = -INFINITY;
    for (int u = 0; u < rl->n_units; u++) {
        if (isnan(raw[u])) continue;
        if (raw[u] < lo) lo = raw[u];
        if (raw[u] > hi) hi = raw[u];
    }
    return hi > lo ? hi - lo : NAN;
}

/* Judges unit u's value of indicator i with conflicts measured against
 * range; fills *vq (see ts_reliability_value). */
static void judge(const ts_reliability *rl, int i, int u, const double *raw, const double *scored, double range,
                  ts_value_quality *vq) {
    const ts_dataset *d = rl->s->data;
    size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
    *vq = (ts_value_quality){0, 0, 0, -1, 1, 0, 0, 1, 0, 1};
    if (isnan(scored[u])) {
        vq->missing = 1;
        return;
    }
    if (isnan(raw[u])) { /* a score without a raw value was filled by a method */
        vq->imputed = 1;
        return;
    }
    const ts_provenance *p = d->prov ? &d->prov[c] : NULL;
    unsigned char selected = d->selected ? d->selected[c] : TS_SELECT_EXACT;
    /* a value carried from an earlier year is a measurement, judged by its age */
    if (p && p->year > 0 && rl->year > 0) {
        vq->age = abs(rl->year - p->year);
        double f = 1 - TS_REL_AGE_STEP * (vq->age - TS_REL_FRESH_YEARS);
        vq->age_factor = vq->age <= TS_REL_FRESH_YEARS ? 1 : f > TS_REL_AGE_FLOOR ? f : TS_REL_AGE_FLOOR;
    }
    if ((p && (p->flags & TS_VALUE_ESTIMATE)) || selected == TS_SELECT_INTERPOLATED) {
        vq->estimate = 1;
        vq->interpolated = selected == TS_SELECT_INTERPOLATED;
        vq->estimate_factor = TS_REL_ESTIMATE;
    }
    /* a shocked value is a what-if: its alternatives describe the figure
       before the shock, so their distance from it is no conflict */
    if (p && !(p->flags & TS_VALUE_SHOCKED)) {
        for (int a = 0; a < p->n_alternatives; a++) {
            double alt = p->alternatives[a].value, gap = fabs(alt - raw[u]);
            if (isnan(alt) || gap == 0) continue;
            double share = range > 0 ? gap / range : TS_REL_SPREAD_CAP;
            if (share > vq->spread) vq->spread = share;
        }
        vq->spread_factor = 1 - (vq->spread < TS_REL_SPREAD_CAP ? vq->spread : TS_REL_SPREAD_CAP);
    }
    vq->quality = vq->age_factor * vq->estimate_factor * vq->spread_factor;
}

void ts_reliability_value(const ts_reliability *rl, int i, int u, const double *raw, const double *scored,
                          ts_value_quality *vq) {
    judge(rl, i, u, raw, scored, value_range(rl, i, raw), vq);
}

void ts_reliability_column(const ts_reliability *rl, int i, const double *raw, const double *scored, double *q) {
    double range = value_range(rl, i, raw);
    for (int u = 0; u < rl->n_units; u++) {
        ts_value_quality vq;
        judge(rl, i, u, raw, scored, range, &vq);
        q[u] = vq.quality;
    }
}

void ts_reliability_add(const ts_reliability *rl, int i, const double *q, double *sum, const int *row) {
    const ts_taxonomy *t = rl->s->tax;
    size_t n = (size_t)rl->n_units;
    int leaf = t->indicator_node[i];
    for (size_t u = 0; u < n; u++) {
        int j = leaf, r = row ? row[j] : j;
        if (r >= 0) sum[(size_t)r * n + u] += q[u];
        double share = 1;
        /* the same products, in the same order, as ts_reliability_weight */
        while (t->nodes[j].parent >= 0) {
            share *= share_of(rl, j, u);
            j = t->nodes[j].parent;
            if ((r = row ? row[j] : j) >= 0) sum[(size_t)r * n + u] += share * q[u];
        }
    }
}

void ts_value_quality_describe(const ts_value_quality *vq, ts_buf *b) {
    if (vq->missing) {
        ts_buf_puts(b, "missing");
        return;
    }
    if (vq->imputed) {
        ts_buf_puts(b, "imputed");
        return;
    }
    const char *sep = "";
    if (vq->age_factor < 1) {
        ts_buf_printf(b, "%d years old x%.2g", vq->age, vq->age_factor);
        sep = "; ";
    }
    if (vq->estimate) {
        ts_buf_printf(b, "%s%s x%.2g", sep, vq->interpolated ? "interpolated" : "estimate", vq->estimate_factor);
        sep = "; ";
    }
    if (vq->spread_factor < 1)
        ts_buf_printf(b, "%ssources differ by %.1f%% of the range x%.3g", sep, 100 * vq->spread, vq->spread_factor);
}

double ts_reliability_finish(double sum, double score) {
    if (isnan(score)) return 0;
    double r = 10 * sum;
    return r < 0 ? 0 : r > 10 ? 10 : r;
}

double ts_reliability_weight(const ts_reliability *rl, int i, int k, int u) {
    const ts_taxonomy *t = rl->s->tax;
    int j = t->indicator_node[i];
    double share = 1;
    while (j != k && t->nodes[j].parent >= 0) {
        share *= share_of(rl, j, (size_t)u);
        j = t->nodes[j].parent;
    }
    return j == k ? share : 0;
}
