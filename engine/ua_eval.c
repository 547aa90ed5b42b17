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
    const double *x;          /* its values (logs under a geometric mean) */
    const double *mask;       /* 0/1 where values are missing (as 0), or NULL */
    double w;
    int nan;                  /* missing values are NaN */
};

/* A value with its unit, for sorting. */
struct ua_keyed {
    double v;
    int i;
};

/* Frees what w holds and zeroes it. NULL is allowed. */
void ua_ws_free(ua_ws *w) {
    if (!w) return;
    free(w->score);
    free(w->lscore);
    free(w->haslog);
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
    free(w->order);
    free(w->rank);
    free(w->keyed);
    free(w->key);
    free(w->values);
    free(w->dvar.x);
    free(w->dvar.lx);
    free(w->dvar.x0);
    free(w->dvar.mask);
    free(w->dvar.complete);
    free(w->dvar.neg);
    free(w->rhist);
    free(w->shist);
    free(w->cls);
    free(w->nscored);
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
    w->order = malloc(((size_t)m->n_cell * (size_t)(m->n_combo > 0 ? m->n_combo : 1) + 1) * sizeof *w->order);
    w->key = malloc((n + 1) * sizeof *w->key);
    w->rank = malloc(((size_t)m->n_cell + 1) * sizeof *w->rank);
    w->keyed = malloc((n + 1) * sizeof *w->keyed);
    if (!w->score || !w->lscore || !w->haslog || !w->acc || !w->wsum || !w->cnt || !w->v || !w->w || !w->block || !w->kid || !w->f || !w->wt || !w->uni ||
        !w->dval || !w->gam || !w->order || !w->rank || !w->keyed || !w->key)
        return -1;
    for (size_t c = 0; c < (size_t)m->n_cell * (size_t)(m->n_combo > 0 ? m->n_combo : 1); c++)
        w->order[c] = (int)(c % n);
    if (m->data_mode) {
        size_t cells = (size_t)m->n_ind * n;
        w->values = malloc((cells + 1) * sizeof *w->values);
        if (!w->values || ua_variant_alloc(&w->dvar, m->n_nodes, m->n_ind, m->n, m->need_log)) return -1;
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
        w->rhist = calloc(c * (size_t)m->rank_bins + 1, sizeof *w->rhist);
        w->shist = calloc(c * (size_t)m->S + 1, sizeof *w->shist);
        w->cls = calloc(c * (size_t)(m->max_classes + 1) + 1, sizeof *w->cls);
        w->nscored = calloc(c + 1, sizeof *w->nscored);
        w->varcnt = calloc((size_t)m->n_var + 1, sizeof *w->varcnt);
        w->sum = calloc(c + 1, sizeof *w->sum);
        if (!w->rhist || !w->shist || !w->cls || !w->nscored || !w->varcnt || !w->sum) return -1;
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
               show (complete, a 0/1 mask, or NaN) */
            int nc = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c];
                double wc = w->wt[kc];
                if (!(wc > 0)) continue;
                int i = t->nodes[kc].indicator;
                struct ua_child *ch = &w->kid[nc++];
                ch->w = wc;
                if (i >= 0) {
                    if (geo && V->neg[i] >= 0) {
                        int u = V->neg[i];
                        return domain_error(m, k, kc, V->x[(size_t)i * (size_t)n + (size_t)u], u, err);
                    }
                    ch->x = (geo ? V->lx : V->x0) + (size_t)i * (size_t)n;
                    ch->mask = V->complete[i] ? NULL : V->mask + (size_t)i * (size_t)n;
                    ch->nan = 0;
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
                    ch->mask = NULL;
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
                    for (int u = 0; u < n; u++)
                        if (!isnan(x[u])) {
                            acc[u] += wc * x[u];
                            ws[u] += wc;
                        }
                } else if (ch->mask) {
                    const double *mk = ch->mask;
                    for (int u = 0; u < n; u++) {
                        acc[u] += wc * x[u];
                        ws[u] += wc * mk[u];
                    }
                } else {
                    for (int u = 0; u < n; u++) {
                        acc[u] += wc * x[u];
                        ws[u] += wc;
                    }
                }
            }
            if (geo) {
                /* the linear score is needed unless only a geometric parent reads it */
                int p = nd->parent, need_lin = m->exact || m->slot[k] >= 0 || p < 0 || nd->direction < 0;
                if (!need_lin) {
                    const ts_agg *pa = w->agg >= 0 ? &m->u->agg[w->agg] : &sp->agg[p];
                    need_lin = pa->method != TS_AGG_GEOMETRIC || sp->data_threshold[p] > 0;
                }
                double *ls = w->lscore + (size_t)m->apos[k] * (size_t)n;
                for (int u = 0; u < n; u++) ls[u] = ws[u] > 0 ? acc[u] / ws[u] : NAN;
                w->haslog[k] = 1;
                if (need_lin)
                    for (int u = 0; u < n; u++) out[u] = exp(ls[u]);
            } else
                for (int u = 0; u < n; u++) out[u] = ws[u] > 0 ? acc[u] / ws[u] : NAN;
        } else if (agg->method == TS_AGG_COPELAND) {
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c], i = t->nodes[kc].indicator;
                const double *x = i >= 0 ? V->x + (size_t)i * (size_t)n : w->score + (size_t)m->apos[kc] * (size_t)n;
                memcpy(w->block + (size_t)c * (size_t)n, x, (size_t)n * sizeof *x);
                w->w[c] = w->wt[kc];
            }
            ts_aggregate_copeland(w->block, w->w, nd->n_children, n, out);
        } else {
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

/* Orders keyed values for ranking: highest first, NaN last, ties by unit. */
static int cmp_keyed(const void *a, const void *b) {
    const struct ua_keyed *x = a, *y = b;
    int nx = isnan(x->v), ny = isnan(y->v);
    if (nx != ny) return nx - ny;
    if (!nx && x->v != y->v) return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Ranks x (1 = highest; ties share the lowest rank; 0 = no score),
 * starting an insertion sort from the order of the previous replication
 * with the same methods (few inversions: only the weights moved); falls
 * back to qsort when the order changed a lot. */
static void rank_values(const double *x, int n, int *order, int *rank, struct ua_keyed *kb, double *key) {
    for (int u = 0; u < n; u++) key[u] = isnan(x[u]) ? -INFINITY : x[u];
    long moves = 0, limit = 8L * n + 64;
    int ok = 1;
    for (int a = 1; a < n && ok; a++) {
        int id = order[a];
        double kv = key[id];
        int b = a - 1;
        while (b >= 0) {
            int o = order[b];
            double ko = key[o];
            if (!(kv > ko || (kv == ko && id < o))) break;
            order[b + 1] = o;
            b--;
            if (++moves > limit) {
                ok = 0;
                break;
            }
        }
        order[b + 1] = id;
    }
    if (!ok) {
        for (int u = 0; u < n; u++) kb[u] = (struct ua_keyed){x[u], u};
        qsort(kb, (size_t)n, sizeof *kb, cmp_keyed);
        for (int u = 0; u < n; u++) order[u] = kb[u].i;
    }
    int first = 0;
    double prev = NAN;
    for (int p = 0; p < n; p++) {
        int id = order[p];
        double y = x[id];
        if (isnan(y)) {
            rank[id] = 0;
            continue;
        }
        if (p > 0 && y != prev) first = p;
        prev = y;
        rank[id] = first + 1;
    }
}

/* Ranks every slot's values into w->rank, keeping each method
 * combination's sort order for the next replication. Cannot fail. */
void ua_rank_slots(const ua_model *m, ua_ws *w) {
    size_t n = (size_t)m->n;
    size_t combo = m->n_combo > 1 ? (size_t)w->variant * (size_t)(m->u->n_agg + 1) + (size_t)(w->agg + 1) : 0;
    int *order = w->order + combo * (size_t)m->n_cell;
    for (int s = 0; s < m->n_slots; s++)
        rank_values(ua_node_values(m, w, m->slot_node[s]), m->n, order + (size_t)s * n, w->rank + (size_t)s * n,
                    w->keyed, w->key);
}

/* Returns the index of the class of x among node k's classes, or cls_n
 * (below every class). */
int ua_class_of(const ua_model *m, int k, double x) {
    const ts_class *c = m->t->classes + m->cls_first[k];
    for (int i = m->cls_n[k] - 1; i >= 0; i--)
        if (x >= c[i].min) return i;
    return m->cls_n[k];
}

/* Adds this replication's scores and ranks to w's accumulators (a score
 * outside its histogram goes to the end bin and counts as clamped).
 * Cannot fail. */
void ua_accumulate(const ua_model *m, ua_ws *w) {
    size_t n = (size_t)m->n;
    int S = m->S, RB = m->rank_bins, MC = m->max_classes + 1;
    w->varcnt[w->variant]++;
    for (int s = 0; s < m->n_slots; s++) {
        int k = m->slot_node[s];
        const double *x = ua_node_values(m, w, k);
        const int *rk = w->rank + (size_t)s * n;
        for (size_t u = 0; u < n; u++) {
            double y = x[u];
            if (isnan(y)) continue;
            size_t c = (size_t)s * n + u;
            w->nscored[c]++;
            w->sum[c] += y;
            double b = (y - m->lo[c]) * m->inv[c];
            int bin = (int)b;
            if (!(b >= 0)) {
                bin = 0;
                w->clamped++;
            } else if (bin >= S) {
                bin = S - 1;
                w->clamped++;
            }
            w->shist[c * (size_t)S + (size_t)bin]++;
            w->rhist[c * (size_t)RB + (size_t)(m->rank_w == 1 ? rk[u] - 1 : (rk[u] - 1) / m->rank_w)]++;
            if (m->cls_n[k]) w->cls[c * (size_t)MC + (size_t)ua_class_of(m, k, y)]++;
        }
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
