/* ua_eval.c -- one replication of an uncertainty analysis in a caller's
 * workspace: draw the parameters, aggregate the tree, rank, accumulate. */
#include "ua_internal.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

/* One child of the node being aggregated. */
struct ua_child {
    const double *x;          /* its values (logs under a geometric mean), NaN = missing */
    double w;
    int nan;                  /* some value may be missing */
};

/* Frees what w holds and zeroes it. NULL is allowed. */
void ua_ws_free(ua_ws *w) {
    if (!w) return;
    free(w->score);
    free(w->lscore);
    free(w->haslog);
    free(w->haslin);
    free(w->blo);
    free(w->bhi);
    free(w->llo);
    free(w->lhi);
    free(w->acc);
    free(w->wsum);
    free(w->cnt);
    free(w->v);
    free(w->w);
    free(w->block);
    free(w->kid);
    free(w->f);
    free(w->wt);
    free(w->uni);
    free(w->dval);
    free(w->gam);
    free(w->rank);
    free(w->vbin);
    free(w->tmp);
    free(w->xall);
    ua_rank_scratch_free(&w->rs);
    free(w->values);
    ua_variant_free(&w->dvar);
    free(w->hot_score);
    free(w->hot_rank);
    free(w->cold_score);
    free(w->cold_rank);
    free(w->far_rank);
    free(w->far_any);
    free(w->st_score);
    free(w->st_rank);
    free(w->st_class);
    free(w->cls);
    free(w->varcnt);
    free(w->sum);
    ts_sobol_acc_free(w->sob);
    free(w->fA);
    free(w->fB);
    free(w->fAB);
    memset(w, 0, sizeof *w);
}

/* Allocates w's buffers for m (statistics with accumulate, the Saltelli
 * accumulator with sobol). Returns 0, or -1 when out of memory; w must be
 * freed with ua_ws_free either way. */
int ua_ws_init(ua_ws *w, const ua_model *m, int accumulate, int sobol, int n_boot, uint64_t seed,
                   const double *centre) {
    memset(w, 0, sizeof *w);
    size_t n = (size_t)m->n, nn = (size_t)m->n_nodes, mc = (size_t)m->max_children;
    w->score = malloc(((size_t)m->n_aggn * n + 1) * sizeof *w->score);
    w->lscore = malloc(((size_t)m->n_aggn * n + 1) * sizeof *w->lscore);
    w->haslog = calloc(nn + 1, 1);
    w->haslin = calloc(nn + 1, 1);
    w->blo = malloc((n + 1) * sizeof *w->blo);
    w->bhi = malloc((n + 1) * sizeof *w->bhi);
    w->llo = malloc((n + 1) * sizeof *w->llo);
    w->lhi = malloc((n + 1) * sizeof *w->lhi);
    w->acc = malloc((n + 1) * sizeof *w->acc);
    w->wsum = malloc((n + 1) * sizeof *w->wsum);
    w->cnt = malloc((n + 1) * sizeof *w->cnt);
    w->v = malloc((mc + 1) * sizeof *w->v);
    w->w = malloc((mc + 1) * sizeof *w->w);
    w->block = malloc((mc * n + 1) * sizeof *w->block);
    w->kid = malloc((mc + 1) * sizeof *w->kid);
    w->f = malloc((nn + 1) * sizeof *w->f);
    w->wt = malloc((nn + 1) * sizeof *w->wt);
    w->uni = malloc(((size_t)m->D * 3 + 1) * sizeof *w->uni);
    w->dval = malloc(((size_t)m->n_cells + 1) * sizeof *w->dval);
    w->gam = malloc(((size_t)m->n_wsel + 1) * sizeof *w->gam);
    w->rank = malloc(((size_t)m->n_cell + 1) * sizeof *w->rank);
    w->vbin = malloc(((size_t)m->n_cell + 1) * sizeof *w->vbin);
    w->tmp = malloc(((size_t)m->n_cell + 1) * sizeof *w->tmp);
    w->xall = malloc(((size_t)m->n_cell + 1) * sizeof *w->xall);
    if (!w->haslin || !w->blo || !w->bhi || !w->llo || !w->lhi || !w->vbin || !w->tmp || !w->xall || !w->score || !w->lscore || !w->haslog || !w->acc || !w->wsum || !w->cnt || !w->v || !w->w || !w->block || !w->kid || !w->f || !w->wt || !w->uni ||
        !w->dval || !w->gam || !w->rank || ua_rank_scratch_init(&w->rs, m->n, m->n_slots))
        return -1;
    if (m->data_mode) {
        size_t cells = (size_t)m->n_ind * n;
        w->values = malloc((cells + 1) * sizeof *w->values);
        if (!w->values || ua_variant_alloc(&w->dvar, m->n_nodes, m->n_ind, m->n, m->need_log, m->n_bnodes)) return -1;
        /* the spec arrays come from the model's variants */
        free(w->dvar.norm);
        free(w->dvar.treat);
        free(w->dvar.impute);
        free(w->dvar.agg);
        w->dvar.norm = NULL;
        w->dvar.treat = NULL;
        w->dvar.impute = NULL;
        w->dvar.agg = NULL;
        memcpy(w->values, m->s->data->values, cells * sizeof *w->values);
        w->data = *m->s->data;
        w->data.values = w->values;
    }
    if (accumulate) {
        size_t c = (size_t)m->n_cell;
        /* the 32-bit and far counters are touched only when used: calloc'd
           pages that are never written take no memory */
        w->hot_score = calloc(c * (size_t)m->score_stride + 1, sizeof *w->hot_score);
        w->hot_rank = calloc(m->n_win + 1, sizeof *w->hot_rank);
        w->cold_score = calloc(c * (size_t)m->score_stride + 1, sizeof *w->cold_score);
        w->cold_rank = calloc(m->n_win + 1, sizeof *w->cold_rank);
        if (m->windowed) {
            w->far_rank = calloc(c * (size_t)m->rank_bins + 1, sizeof *w->far_rank);
            w->far_any = calloc(c + 1, 1);
            if (!w->far_rank || !w->far_any) return -1;
        }
        /* blocks of up to 64 replications, staging at most about 4 MB */
        if (m->S <= UA_STAGE_MAX_BINS && m->max_classes < 254 && c > 0) {
            size_t b = ((size_t)4 << 20) / (c * 5);
            w->blk = b < 4 ? 4 : b > 64 ? 64 : (int)b;
            w->st_score = malloc(c * (size_t)w->blk * sizeof *w->st_score);
            w->st_rank = malloc(c * (size_t)w->blk * sizeof *w->st_rank);
            if (m->max_classes) w->st_class = malloc(c * (size_t)w->blk * sizeof *w->st_class);
            if (!w->st_score || !w->st_rank || (m->max_classes && !w->st_class)) return -1;
        }
        w->cls = calloc(c * (size_t)m->cls_stride + 1, sizeof *w->cls);
        w->varcnt = calloc((size_t)m->n_var + 1, sizeof *w->varcnt);
        w->sum = calloc(c + 1, sizeof *w->sum);
        if (!w->hot_score || !w->hot_rank || !w->cold_score || !w->cold_rank || !w->cls || !w->varcnt || !w->sum)
            return -1;
        if (sobol) {
            int n_out = m->n_cell * 2;
            w->sob = ts_sobol_acc_new(n_out, m->n_f, n_boot, seed, centre);
            w->fA = malloc(((size_t)n_out + 1) * sizeof *w->fA);
            w->fB = malloc(((size_t)n_out + 1) * sizeof *w->fB);
            w->fAB = malloc(((size_t)n_out * (size_t)m->n_f + 1) * sizeof *w->fAB);
            if (!w->sob || !w->fA || !w->fB || !w->fAB) return -1;
        }
    }
    return 0;
}

/* Fills u with the uniforms of MC replication r: a stream derived from
 * (seed, r) alone, so no thread sees another's draws. Cannot fail. */
void ua_mc_uniforms(uint64_t seed, long r, int D, double *u) {
    uint64_t base = ts_mix64(seed ^ ts_mix64((uint64_t)r * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL));
    for (int d = 0; d < D; d++) u[d] = (double)(ts_mix64(base + (uint64_t)d * 0xd1b54a32d192ed03ULL) >> 11) * 0x1.0p-53;
}

/* Returns alternative floor(u * n) of n, clamped to 0..n-1. */
static int pick(double u, int n) {
    int i = (int)(u * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* Turns uniforms into this replication's parameters in w. Cannot fail. */
void ua_draw(const ua_model *m, ua_ws *w, const double *uni) {
    const ts_ua_spec *u = m->u;
    const ts_taxonomy *t = m->t;
    for (int k = 0; k < m->n_nodes; k++) w->f[k] = 1.0;
    int na = -1, nt = -1, ni = -1, nm = -1;
    w->agg = -1;
    for (int f = 0; f < m->n_f; f++) {
        const double *x = uni + m->foff[f];
        switch (m->fkind[f]) {
        case F_WEIGHTS:
            if (u->weights == W_UNIFORM) {
                for (int j = 0; j < m->n_wsel; j++) w->f[m->wsel[j]] = 1 + u->weight_f * (2 * x[j] - 1);
            } else {
                /* Dirichlet per sibling group: gamma(C * share) draws by
                   inversion, rescaled to the group's nominal total */
                for (int j = 0; j < m->n_wsel; j++) {
                    int k = m->wsel[j], p = t->nodes[k].parent;
                    double tot = 0;
                    for (int c = 0; c < t->nodes[p].n_children; c++) {
                        int kc = t->children[t->nodes[p].first_child + c];
                        tot += m->spec->weight[kc];
                    }
                    double share = tot > 0 ? m->spec->weight[k] / tot : 0;
                    double q = x[j] < 1e-12 ? 1e-12 : x[j] > 1 - 1e-12 ? 1 - 1e-12 : x[j];
                    w->gam[j] = share > 0 ? gsl_cdf_gamma_Pinv(q, u->weight_f * share, 1.0) : 0;
                }
                for (int j = 0; j < m->n_wsel; j++) {
                    int k = m->wsel[j], p = t->nodes[k].parent;
                    double g = 0, nom = 0;
                    for (int jj = 0; jj < m->n_wsel; jj++)
                        if (t->nodes[m->wsel[jj]].parent == p) {
                            g += w->gam[jj];
                            nom += m->spec->weight[m->wsel[jj]];
                        }
                    double wk = m->spec->weight[k];
                    w->f[k] = g > 0 && wk > 0 ? w->gam[j] / g * nom / wk : 1.0;
                }
            }
            break;
        case F_NORMALISE: na = pick(x[0], u->n_norm); break;
        case F_AGGREGATE: w->agg = pick(x[0], u->n_agg); break;
        case F_TREAT: nt = pick(x[0], u->n_treat); break;
        case F_IMPUTE: ni = pick(x[0], u->n_impute); break;
        case F_MISSING: nm = pick(x[0], u->n_missing); break;
        case F_EXCLUDE:
            if (u->exclude == X_ONE) {
                int e = pick(x[0], m->n_excl + 1); /* 0 = none left out */
                if (e > 0) w->f[m->excl[e - 1]] = 0;
            } else {
                for (int e = 0; e < m->n_excl; e++)
                    if (x[e] < u->exclude_p) w->f[m->excl[e]] = 0;
            }
            break;
        case F_DATA:
            for (int c = 0; c < m->n_cells; c++) {
                const ua_cell *cell = &m->cells[c];
                double y = x[c], v;
                if (cell->lo <= cell->hi) {
                    v = cell->lo + y * (cell->hi - cell->lo);
                } else {
                    int a = pick(y, cell->n_alt + 1);
                    v = a == 0 ? cell->base : cell->alt[a - 1].value;
                    double frac = y * (cell->n_alt + 1) - a; /* uniform again */
                    if (u->data_f > 0) v *= 1 + u->data_f * (2 * frac - 1);
                }
                w->dval[c] = v;
            }
            break;
        }
    }
    w->variant = ua_variant_index(m, na, nt, ni, nm);
    for (int k = 0; k < m->n_nodes; k++) w->wt[k] = m->spec->weight[k] * w->f[k];
}

/* Reports child's value v for unit u outside the geometric mean of node k.
 * Returns TS_EINPUT with the node's file:line. */
static int domain_error(const ua_model *m, int k, int child, double v, int u, ts_error *err) {
    const ts_node *nd = &m->t->nodes[k];
    return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                   "node '%s' takes the %s mean, but '%s' scores %g (outside its domain) for '%s' under a sampled "
                   "method; use normalisers whose range fits",
                   nd->id, ts_agg_name(TS_AGG_GEOMETRIC), m->t->nodes[child].id, v, m->s->data->unit_id[u]);
}

/* Points *lo and *hi at the least and greatest linear values of node k's
 * children with weight, per unit (+inf and -inf where none has a value),
 * which bound a weighted mean as ts_aggregate clamps it: the variant's
 * when match (the children are its indicators, those with nominal
 * weight), else found here in child order. The logs of children that have
 * only logs (logonly) are bounded in w->llo and w->lhi. Cannot fail. */
static void child_bounds(const ua_model *m, ua_ws *w, int k, int match, int logonly, const double **lo,
                         const double **hi) {
    const ua_variant *V = w->cur;
    const ts_taxonomy *t = m->t;
    const ts_node *nd = &t->nodes[k];
    size_t n = (size_t)m->n;
    if (match) {
        *lo = V->blo + (size_t)m->bpos[k] * n;
        *hi = V->bhi + (size_t)m->bpos[k] * n;
        return;
    }
    double *restrict bl = w->blo, *restrict bh = w->bhi, *restrict ll = w->llo, *restrict lh = w->lhi;
    for (size_t u = 0; u < n; u++) {
        bl[u] = INFINITY;
        bh[u] = -INFINITY;
    }
    if (logonly)
        for (size_t u = 0; u < n; u++) {
            ll[u] = INFINITY;
            lh[u] = -INFINITY;
        }
    for (int c = 0; c < nd->n_children; c++) {
        int kc = t->children[nd->first_child + c], i = t->nodes[kc].indicator;
        if (!(w->wt[kc] > 0)) continue;
        const double *restrict x;
        double *restrict a = bl, *restrict b = bh;
        if (i >= 0) {
            x = V->x + (size_t)i * n;
        } else if (w->haslin[kc]) {
            x = w->score + (size_t)m->apos[kc] * n;
        } else {
            x = w->lscore + (size_t)m->apos[kc] * n;
            a = ll;
            b = lh;
        }
        /* NaN compares false: missing values change nothing */
        for (size_t u = 0; u < n; u++) {
            a[u] = x[u] < a[u] ? x[u] : a[u];
            b[u] = x[u] > b[u] ? x[u] : b[u];
        }
    }
    *lo = bl;
    *hi = bh;
}

/* Clamps the geometric means out (their logs ls) into [lo, hi], the
 * bounds of the children with linear values, widened to the exponentials
 * of w->llo and w->lhi for children with logs only (logonly): computed
 * only where a mean passes the linear bound and its log does not lie
 * inside the logs' range. A clamped mean's log is taken again, as a
 * geometric parent in the pipeline takes it. Cannot fail. */
static void clamp_geometric(ua_ws *w, int n, int logonly, const double *lo, const double *hi, double *out,
                            double *ls) {
    for (int u = 0; u < n; u++) {
        double r = out[u], l = lo[u], h = hi[u];
        if (r > h && logonly && !(ls[u] < w->lhi[u])) {
            double e = exp(w->lhi[u]);
            h = e > h ? e : h;
        } else if (r > h && logonly) {
            h = r; /* a child with logs only scores higher */
        }
        if (r < l && logonly && !(ls[u] > w->llo[u])) {
            double e = exp(w->llo[u]);
            l = e < l ? e : l;
        } else if (r < l && logonly) {
            l = r;
        }
        double c = r < l ? l : r > h ? h : r;
        if (c != r) {
            out[u] = c;
            ls[u] = c == 0 ? -INFINITY : log(c);
        }
    }
}

/* Aggregates the tree for every unit with the parameters in w. Returns
 * TS_OK or TS_EINPUT for a value outside an aggregator's domain. */
static int evaluate(const ua_model *m, ua_ws *w, ts_error *err) {
    const ts_taxonomy *t = m->t;
    const ts_spec *sp = m->spec;
    const int n = m->n;
    const ua_variant *V = w->cur;
    const int unit_w = sp->unit_weight != NULL;
    for (int a = 0; a < m->n_aggn; a++) {
        int k = m->aggn[a];
        const ts_node *nd = &t->nodes[k];
        const int *kids = t->children + nd->first_child;
        const ts_agg *agg = w->agg >= 0 ? &m->u->agg[w->agg] : &sp->agg[k];
        double *out = w->score + (size_t)m->apos[k] * (size_t)n;
        int geo = agg->method == TS_AGG_GEOMETRIC;
        if ((agg->method == TS_AGG_ARITHMETIC || geo) && !unit_w) {
            /* describe the children: values, weight and how missing values
               show (complete, a 0/1 mask, or NaN); match: the children
               with weight are the nominal ones, whose least and greatest
               values the variant holds */
            int nc = 0, match = m->bpos[k] >= 0, logonly = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c];
                double wc = w->wt[kc];
                if (match) match = (wc > 0) == (sp->weight[kc] > 0);
                if (!(wc > 0)) continue;
                if (t->nodes[kc].indicator < 0 && !w->haslin[kc]) logonly = 1;
                int i = t->nodes[kc].indicator;
                struct ua_child *ch = &w->kid[nc++];
                ch->w = wc;
                if (i >= 0) {
                    if (geo && V->neg[i] >= 0) {
                        int u = V->neg[i];
                        return domain_error(m, k, kc, V->x[(size_t)i * (size_t)n + (size_t)u], u, err);
                    }
                    ch->x = (geo ? V->lx : V->x) + (size_t)i * (size_t)n;
                    ch->nan = !V->complete[i];
                } else {
                    if (geo && !w->haslog[kc]) {
                        const double *x = w->score + (size_t)m->apos[kc] * (size_t)n;
                        double *l = w->lscore + (size_t)m->apos[kc] * (size_t)n;
                        for (int u = 0; u < n; u++) {
                            if (x[u] < 0) return domain_error(m, k, kc, x[u], u, err);
                            l[u] = isnan(x[u]) ? NAN : x[u] == 0 ? -INFINITY : log(x[u]);
                        }
                        w->haslog[kc] = 1;
                    }
                    ch->x = (geo ? w->lscore : w->score) + (size_t)m->apos[kc] * (size_t)n;
                    ch->nan = 1;
                }
            }
            double *acc = w->acc, *ws = w->wsum;
            /* one pass over the units per child (vectorised); per unit the
               terms are added in child order, as the pipeline does */
            for (int u = 0; u < n; u++) acc[u] = ws[u] = 0;
            for (int c = 0; c < nc; c++) {
                const struct ua_child *ch = &w->kid[c];
                const double *x = ch->x, wc = ch->w;
                if (ch->nan) {
                    /* a missing value adds +0.0, which leaves a sum as it is
                       (no sum here is -0), so both sides are computed */
                    for (int u = 0; u < n; u++) {
                        int ok = x[u] == x[u];
                        acc[u] += ok ? wc * x[u] : 0.0;
                        ws[u] += ok ? wc : 0.0;
                    }
                } else {
                    for (int u = 0; u < n; u++) {
                        acc[u] += wc * x[u];
                        ws[u] += wc;
                    }
                }
            }
            /* the linear score is needed unless only a geometric parent reads it */
            int p = nd->parent, need_lin = !geo || m->exact || m->slot[k] >= 0 || p < 0 || nd->direction < 0;
            if (!need_lin) {
                const ts_agg *pa = w->agg >= 0 ? &m->u->agg[w->agg] : &sp->agg[p];
                need_lin = pa->method != TS_AGG_GEOMETRIC || sp->data_threshold[p] > 0;
            }
            const double *lo = NULL, *hi = NULL;
            if (need_lin) child_bounds(m, w, k, match, logonly, &lo, &hi);
            if (geo) {
                double *ls = w->lscore + (size_t)m->apos[k] * (size_t)n;
                for (int u = 0; u < n; u++) ls[u] = ws[u] > 0 ? acc[u] / ws[u] : NAN;
                w->haslog[k] = 1;
                if (need_lin) {
                    for (int u = 0; u < n; u++) out[u] = exp(ls[u]);
                    clamp_geometric(w, n, logonly, lo, hi, out, ls);
                }
            } else {
                for (int u = 0; u < n; u++) out[u] = ws[u] > 0 ? acc[u] / ws[u] : NAN;
                /* within the children's range, as ts_aggregate clamps */
                for (int u = 0; u < n; u++) out[u] = out[u] < lo[u] ? lo[u] : out[u] > hi[u] ? hi[u] : out[u];
            }
            w->haslin[k] = (unsigned char)need_lin;
        } else if (agg->method == TS_AGG_COPELAND) {
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c], i = t->nodes[kc].indicator;
                const double *x = i >= 0 ? V->x + (size_t)i * (size_t)n : w->score + (size_t)m->apos[kc] * (size_t)n;
                memcpy(w->block + (size_t)c * (size_t)n, x, (size_t)n * sizeof *x);
                w->w[c] = w->wt[kc];
            }
            ts_aggregate_copeland(w->block, w->w, nd->n_children, n, out);
            w->haslin[k] = 1;
        } else {
            w->haslin[k] = 1;
            for (int u = 0; u < n; u++) {
                for (int c = 0; c < nd->n_children; c++) {
                    int kc = kids[c], i = t->nodes[kc].indicator;
                    w->v[c] = i >= 0 ? V->x[(size_t)i * (size_t)n + (size_t)u] : w->score[(size_t)m->apos[kc] * (size_t)n + (size_t)u];
                    w->w[c] = unit_w ? ts_spec_weight(sp, u, kc) * w->f[kc] : w->wt[kc];
                }
                int bad;
                out[u] = ts_aggregate(agg, w->v, w->w, nd->n_children, &bad);
                if (bad >= 0) {
                    const ts_node *b = &t->nodes[kids[bad]];
                    return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                                   "node '%s' takes the %s mean, but '%s' scores %g (outside its domain) for '%s' "
                                   "under a sampled method; use normalisers whose range fits",
                                   nd->id, ts_agg_name(agg->method), b->id, w->v[bad], m->s->data->unit_id[u]);
                }
            }
        }
        if (!geo || unit_w || agg->method != TS_AGG_GEOMETRIC) w->haslog[k] = 0;
        double thr = sp->data_threshold[k];
        if (thr > 0) {
            int active = 0;
            for (int u = 0; u < n; u++) w->cnt[u] = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c], i = t->nodes[kc].indicator;
                if (w->f[kc] == 0) continue; /* left out */
                active++;
                const double *x = i >= 0 ? V->x + (size_t)i * (size_t)n : w->score + (size_t)m->apos[kc] * (size_t)n;
                for (int u = 0; u < n; u++) w->cnt[u] += !isnan(x[u]);
            }
            for (int u = 0; u < n; u++)
                if (active == 0 || (double)w->cnt[u] / active < thr) out[u] = w->lscore[(size_t)m->apos[k] * (size_t)n + (size_t)u] = NAN;
        }
        if (nd->direction < 0) w->haslog[k] = 0;
        if (nd->direction < 0)
            for (int u = 0; u < n; u++)
                if (!isnan(out[u])) out[u] = t->scale_min + t->scale_max - out[u];
    }
    return TS_OK;
}

/* In data mode: applies the sampled values and re-runs the indicator
 * stages of the drawn variant. Returns TS_OK or the pipeline's error. */
static int prepare_data(const ua_model *m, ua_ws *w, ts_error *err) {
    size_t n = (size_t)m->n;
    for (int c = 0; c < m->n_cells; c++) w->values[(size_t)m->cells[c].i * n + (size_t)m->cells[c].u] = w->dval[c];
    w->dvar.spec = m->var[w->variant].spec;
    int rc = ua_variant_score(m, &w->dvar, &w->data, err);
    for (int c = 0; c < m->n_cells; c++) w->values[(size_t)m->cells[c].i * n + (size_t)m->cells[c].u] = m->cells[c].base;
    w->cur = &w->dvar;
    return rc;
}

/* Draws and evaluates one replication from uniforms uni. Returns TS_OK,
 * TS_EINPUT for a value outside an aggregator's domain, or (data mode)
 * the pipeline's error. */
int ua_replicate(const ua_model *m, ua_ws *w, const double *uni, ts_error *err) {
    ua_draw(m, w, uni);
    if (m->data_mode) {
        int rc = prepare_data(m, w, err);
        if (rc) return rc;
    } else {
        w->cur = &m->var[w->variant];
    }
    return evaluate(m, w, err);
}

/* Returns the values of node k in w's last replication (a leaf's from
 * the replication's variant). */
const double *ua_node_values(const ua_model *m, const ua_ws *w, int k) {
    int i = m->t->nodes[k].indicator;
    return i >= 0 ? w->cur->x + (size_t)i * (size_t)m->n : w->score + (size_t)m->apos[k] * (size_t)m->n;
}

/* Ranks every slot's values into w->rank. For few units the values are
 * first gathered into w->xall, so that the steps after run over all cells
 * at once. Cannot fail. */
void ua_rank_slots(const ua_model *m, ua_ws *w) {
    size_t n = (size_t)m->n;
    w->gathered = m->n <= w->rs.count_max;
    if (w->gathered) {
        for (int s = 0; s < m->n_slots; s++)
            memcpy(w->xall + (size_t)s * n, ua_node_values(m, w, m->slot_node[s]), n * sizeof *w->xall);
        ua_rank_rows(w->xall, m->n, m->n_slots, w->rank, &w->rs);
        return;
    }
    for (int s = 0; s < m->n_slots; s++)
        ua_rank_rows(ua_node_values(m, w, m->slot_node[s]), m->n, 1, w->rank + (size_t)s * n, &w->rs);
}

/* Returns slot s's values in w's last ranked replication. */
const double *ua_slot_values(const ua_model *m, const ua_ws *w, int s) {
    return w->gathered ? w->xall + (size_t)s * (size_t)m->n : ua_node_values(m, w, m->slot_node[s]);
}

/* Returns the index of the class of x among node k's classes, or cls_n
 * (below every class). */
int ua_class_of(const ua_model *m, int k, double x) {
    const ts_class *c = m->t->classes + m->cls_first[k];
    for (int i = m->cls_n[k] - 1; i >= 0; i--)
        if (x >= c[i].min) return i;
    return m->cls_n[k];
}

/* Adds the hot counters into the cold ones and clears them, before any
 * could pass UA_HOT_MAX. Cannot fail. */
static void flush_hot(const ua_model *m, ua_ws *w) {
    size_t ns = (size_t)m->n_cell * (size_t)m->score_stride;
    for (size_t i = 0; i < ns; i++) w->cold_score[i] += w->hot_score[i];
    for (size_t i = 0; i < m->n_win; i++) w->cold_rank[i] += w->hot_rank[i];
    memset(w->hot_score, 0, ns * sizeof *w->hot_score);
    memset(w->hot_rank, 0, m->n_win * sizeof *w->hot_rank);
    w->since_flush = 0;
}

/* Counts one replication in the hot counters, flushing them first when
 * one more could overflow them. */
static void count_replication(const ua_model *m, ua_ws *w) {
    if (w->since_flush == UA_HOT_MAX) {
        ua_ws_apply(m, w);
        flush_hot(m, w);
    }
    w->since_flush++;
}

/* Counts a rank bin rb of cell c outside its window. */
static void count_far(const ua_model *m, ua_ws *w, size_t c, int rb) {
    w->far_rank[c * (size_t)m->rank_bins + (size_t)rb]++;
    w->far_any[c] = 1;
}

/* Counts slot s's values x with ranks rk (or kept rank bins, bin + 1)
 * into w's counters at once: the path for score histograms too wide to
 * stage. A score outside its histogram goes to the end bin and counts as
 * clamped. */
static void count_slot(const ua_model *m, ua_ws *w, int s, const double *x, const int *rk, const uint16_t *kept) {
    size_t n = (size_t)m->n, S = (size_t)m->S, c0 = (size_t)s * n;
    int k = m->slot_node[s];
    for (size_t u = 0; u < n; u++) {
        double y = x[u];
        size_t c = c0 + u;
        if (isnan(y)) continue;
        w->sum[c] += y;
        double b = (y - m->lo[c]) * m->inv[c];
        int bin = (int)b;
        if (!(b >= 0)) {
            bin = 0;
            w->clamped++;
        } else if (!(b < (double)S)) {
            bin = (int)S - 1;
            w->clamped++;
        }
        w->hot_score[c * (size_t)m->score_stride + (size_t)bin]++;
        int rb = kept ? kept[u] - 1 : (rk[u] - 1) / m->rank_w;
        unsigned off = (unsigned)(rb - m->wlo[c]);
        if (off < (unsigned)m->wlen[c]) w->hot_rank[m->woff[c] + off]++;
        else count_far(m, w, c, rb);
        if (m->cls_n[k]) w->cls[c * (size_t)m->cls_stride + (size_t)ua_class_of(m, k, y)]++;
    }
}

/* The score bins of n values: each value's sum grows by it (NaN adds
 * +0.0, which leaves a sum of scores as it is), sb gets its bin (S for
 * NaN) and the return value counts the values outside their histogram,
 * which go to the end bin. Simple loops, so that the compiler vectorises
 * them; both sides of every choice are computed. */
static inline __attribute__((always_inline)) long score_bins(const double *restrict x, const double *restrict lo,
                                                             const double *restrict inv, double *restrict sum,
                                                             double *restrict tmp, uint16_t *restrict sb, size_t n,
                                                             int S) {
    const double Sd = (double)S, top = Sd - 1;
    for (size_t u = 0; u < n; u++) sum[u] += x[u] == x[u] ? x[u] : 0.0;
    int out = 0;
    for (size_t u = 0; u < n; u++) {
        double b = (x[u] - lo[u]) * inv[u];
        out += (x[u] == x[u]) & !((b >= 0) & (b < Sd));
    }
    /* the bin of b in [0, S): b's integer part, clamped to 0 .. S - 1 */
    for (size_t u = 0; u < n; u++) {
        double b = (x[u] - lo[u]) * inv[u];
        b = b > 0 ? b : 0;
        tmp[u] = b < top ? b : top;
    }
    for (size_t u = 0; u < n; u++) sb[u] = x[u] == x[u] ? (uint16_t)(int)tmp[u] : (uint16_t)S;
    return out;
}

/* The offsets of rank bins v - 1 (v: rank bin + 1, 0 for none) in each
 * cell's window, the window's length where outside; returns 1 when a
 * rank fell outside its window. */
static inline __attribute__((always_inline)) int rank_offsets(const int *restrict v, const int *restrict wlo,
                                                              const int *restrict wlen, uint16_t *restrict ro,
                                                              size_t n) {
    int far = 0;
    for (size_t u = 0; u < n; u++) {
        int off = v[u] - 1 - wlo[u];
        int in = (off >= 0) & (off < wlen[u]);
        ro[u] = (uint16_t)(in ? off : wlen[u]);
        far |= !in & (v[u] > 0);
    }
    return far;
}

/* The classes of n values: how many of the ncl rising mins each reaches,
 * less one (ncl below every class, none for NaN). */
static inline __attribute__((always_inline)) void class_bins(const double *restrict x, const ts_class *cl, int ncl,
                                                             uint8_t none, uint8_t *restrict cb, size_t n) {
    for (size_t u = 0; u < n; u++) cb[u] = 0;
    for (int i = 0; i < ncl; i++) {
        double mn = cl[i].min;
        for (size_t u = 0; u < n; u++) cb[u] += x[u] >= mn;
    }
    for (size_t u = 0; u < n; u++) cb[u] = x[u] != x[u] ? none : cb[u] ? (uint8_t)(cb[u] - 1) : (uint8_t)ncl;
}

/* The binning steps, compiled for the processor's vector width. */
static long bins_sse2(const double *x, const double *lo, const double *inv, double *sum, double *tmp, uint16_t *sb,
                      size_t n, int S, const int *v, const int *wlo, const int *wlen, uint16_t *ro, int *far,
                      const ts_class *cl, int ncl, uint8_t none, uint8_t *cb) {
    long out = score_bins(x, lo, inv, sum, tmp, sb, n, S);
    *far = rank_offsets(v, wlo, wlen, ro, n);
    if (cb) class_bins(x, cl, ncl, none, cb, n);
    return out;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static long bins_avx2(const double *x, const double *lo, const double *inv,
                                                      double *sum, double *tmp, uint16_t *sb, size_t n, int S,
                                                      const int *v, const int *wlo, const int *wlen, uint16_t *ro,
                                                      int *far, const ts_class *cl, int ncl, uint8_t none,
                                                      uint8_t *cb) {
    long out = score_bins(x, lo, inv, sum, tmp, sb, n, S);
    *far = rank_offsets(v, wlo, wlen, ro, n);
    if (cb) class_bins(x, cl, ncl, none, cb, n);
    return out;
}

__attribute__((target("avx2"))) static void classes_avx2(const double *x, const ts_class *cl, int ncl, uint8_t none,
                                                         uint8_t *cb, size_t n) {
    class_bins(x, cl, ncl, none, cb, n);
}
#endif

/* Bins one replication's values x of every slot cell with ranks rk (or
 * kept rank bins, bin + 1) into staging row r: adds each score to its
 * cell's sum at once (in replication order: the sums are doubles) and
 * stages the score bin, the offset in the rank window and the class. A
 * score outside its histogram goes to the end bin and counts as clamped. */
static void bin_cells(const ua_model *m, ua_ws *w, size_t c0, size_t nc, const double *x, const int *rk,
                      const uint16_t *kept, int r) {
    size_t n = (size_t)m->n, stride = (size_t)m->n_cell;
    int *v = w->vbin + c0;
    if (kept) {
        for (size_t c = 0; c < nc; c++) v[c] = kept[c];
    } else if (m->rank_w == 1) {
        v = (int *)rk; /* rank = rank bin + 1 */
    } else {
        for (size_t c = 0; c < nc; c++) v[c] = rk[c] > 0 ? (rk[c] - 1) / m->rank_w + 1 : 0;
    }
    uint16_t *sb = w->st_score + (size_t)r * stride + c0, *ro = w->st_rank + (size_t)r * stride + c0;
    const double *lo = m->lo + c0, *inv = m->inv + c0;
    const int *wlo = m->wlo + c0, *wlen = m->wlen + c0;
    int far;
    long out;
#if defined(__x86_64__) && defined(__GNUC__)
    if (w->rs.avx2)
        out = bins_avx2(x, lo, inv, w->sum + c0, w->tmp, sb, nc, m->S, v, wlo, wlen, ro, &far, NULL, 0, 0, NULL);
    else
#endif
        out = bins_sse2(x, lo, inv, w->sum + c0, w->tmp, sb, nc, m->S, v, wlo, wlen, ro, &far, NULL, 0, 0, NULL);
    w->clamped += out;
    if (far)
        for (size_t c = 0; c < nc; c++)
            if (v[c] > 0 && ro[c] == wlen[c] && x[c] == x[c]) count_far(m, w, c0 + c, v[c] - 1);
    if (!w->st_class) return;
    uint8_t none = (uint8_t)(m->max_classes + 1);
    for (int s = (int)(c0 / n); s < m->n_slots && (size_t)s * n < c0 + nc; s++) {
        int k = m->slot_node[s], ncl = m->cls_n[k];
        uint8_t *cb = w->st_class + (size_t)r * stride + (size_t)s * n;
        if (ncl == 0) {
            memset(cb, none, n);
            continue;
        }
        const ts_class *cl = m->t->classes + m->cls_first[k];
        const double *xs = x + ((size_t)s * n - c0);
#if defined(__x86_64__) && defined(__GNUC__)
        if (w->rs.avx2) classes_avx2(xs, cl, ncl, none, cb, n);
        else
#endif
            class_bins(xs, cl, ncl, none, cb, n);
    }
}

/* Applies the staged replications of w, eight cells at a time so that
 * their rows stay in the first-level cache for the whole block and the
 * increments of one replication fall on different cells. What counts
 * nothing goes to each row's last counter, so no increment branches.
 * Cannot fail. */
void ua_ws_apply(const ua_model *m, ua_ws *w) {
    int B = w->staged;
    if (B == 0) return;
    size_t nc = (size_t)m->n_cell;
    for (size_t c0 = 0; c0 < nc; c0 += 8) {
        size_t g = c0 + 8 < nc ? 8 : nc - c0;
        ua_hot *hs[8], *hr[8];
        uint32_t *hc[8];
        for (size_t j = 0; j < g; j++) {
            hs[j] = w->hot_score + (c0 + j) * (size_t)m->score_stride;
            hr[j] = w->hot_rank + m->woff[c0 + j];
            hc[j] = w->cls + (c0 + j) * (size_t)m->cls_stride;
        }
        for (int r = 0; r < B; r++) {
            const uint16_t *sb = w->st_score + (size_t)r * nc + c0, *ro = w->st_rank + (size_t)r * nc + c0;
            for (size_t j = 0; j < g; j++) {
                hs[j][sb[j]]++;
                hr[j][ro[j]]++;
            }
            if (w->st_class) {
                const uint8_t *cb = w->st_class + (size_t)r * nc + c0;
                for (size_t j = 0; j < g; j++) hc[j][cb[j]]++;
            }
        }
    }
    w->staged = 0;
}

/* Bins every slot of one replication (x from w, or kept pilot replication
 * kept_r when >= 0) into the accumulators. */
static void accumulate(const ua_model *m, ua_ws *w, long kept_r) {
    size_t n = (size_t)m->n, base = kept_r >= 0 ? (size_t)kept_r * (size_t)m->n_cell : 0;
    if (w->blk && w->staged == w->blk) ua_ws_apply(m, w);
    count_replication(m, w);
    const int *rk = kept_r >= 0 ? NULL : w->rank;
    const uint16_t *kb = kept_r >= 0 ? m->kept_bin + base : NULL;
    if (w->blk && (kept_r >= 0 || w->gathered)) {
        /* the values of every slot lie in one block */
        bin_cells(m, w, 0, (size_t)m->n_cell, kept_r >= 0 ? m->kept_score + base : w->xall, rk, kb, w->staged++);
        return;
    }
    for (int s = 0; s < m->n_slots; s++) {
        const double *x = kept_r >= 0 ? m->kept_score + base + (size_t)s * n : ua_slot_values(m, w, s);
        if (w->blk)
            bin_cells(m, w, (size_t)s * n, n, x, rk ? rk + (size_t)s * n : NULL, kb ? kb + (size_t)s * n : NULL,
                      w->staged);
        else
            count_slot(m, w, s, x, rk ? rk + (size_t)s * n : NULL, kb ? kb + (size_t)s * n : NULL);
    }
    if (w->blk) w->staged++;
}

/* Adds this replication's scores and ranks to w's accumulators. Cannot
 * fail. */
void ua_accumulate(const ua_model *m, ua_ws *w) {
    w->varcnt[w->variant]++;
    accumulate(m, w, -1);
}

/* Adds kept pilot replication r to w's accumulators. Cannot fail. */
void ua_accumulate_kept(const ua_model *m, ua_ws *w, long r) {
    w->varcnt[m->kept_variant[r]]++;
    accumulate(m, w, r);
}

/* Stores w's last (ranked) replication as kept pilot replication r.
 * Cannot fail. */
void ua_keep(ua_model *m, const ua_ws *w, long r) {
    size_t n = (size_t)m->n, base = (size_t)r * (size_t)m->n_cell;
    m->kept_variant[r] = w->variant;
    for (int s = 0; s < m->n_slots; s++) {
        const double *x = ua_node_values(m, w, m->slot_node[s]);
        const int *rk = w->rank + (size_t)s * n;
        double *ks = m->kept_score + base + (size_t)s * n;
        uint16_t *kb = m->kept_bin + base + (size_t)s * n;
        memcpy(ks, x, n * sizeof *ks);
        for (size_t u = 0; u < n; u++) kb[u] = (uint16_t)(rk[u] > 0 ? (rk[u] - 1) / m->rank_w + 1 : 0);
    }
}

/* Copies the outputs (score, rank per slot cell) into f[2 * n_cell], NaN
 * for no score. Cannot fail. */
void ua_outputs(const ua_model *m, const ua_ws *w, double *f) {
    size_t n = (size_t)m->n;
    for (int s = 0; s < m->n_slots; s++) {
        const double *x = ua_node_values(m, w, m->slot_node[s]);
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            int r = w->rank[c];
            f[2 * c] = x[u];
            f[2 * c + 1] = r > 0 ? (double)r : NAN;
        }
    }
}

/* Returns TS_OK with the nominal scores of every node in score, computed
 * exactly as the pipeline does; TS_ESYSTEM when out of memory, or the
 * pipeline's error. */
int ts_ua_nominal_scores(const ts_scenario *s, double *score, ts_error *err) {
    ts_ua_spec *u = ua_spec_new(s->tax->n_nodes);
    if (!u) return ua_oom(err);
    ua_model m;
    ua_ws w;
    memset(&w, 0, sizeof w);
    int rc = ua_model_build(&m, s, u, NULL, 1, err);
    if (rc == TS_OK && ua_ws_init(&w, &m, 0, 0, 0, 0, NULL)) rc = ua_oom(err);
    if (rc == TS_OK) {
        m.exact = 1;
        for (int k = 0; k < m.n_nodes; k++) w.f[k] = 1, w.wt[k] = m.spec->weight[k];
        w.agg = -1;
        w.variant = 0;
        w.cur = &m.var[0];
        rc = evaluate(&m, &w, err);
    }
    if (rc == TS_OK)
        for (int k = 0; k < m.n_nodes; k++)
            for (int uu = 0; uu < m.n; uu++)
                score[(size_t)k * (size_t)m.n + (size_t)uu] = *(ua_node_values(&m, &w, k) + uu);
    ua_ws_free(&w);
    ua_model_free(&m);
    ts_ua_spec_free(u);
    return rc;
}
