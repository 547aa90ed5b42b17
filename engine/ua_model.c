/* ua_model.c -- the prepared model of an uncertainty analysis: the factor
 * table, each method variant's normalised matrices and the output layout. */
#include "ua_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Frees the arrays of v (not v itself). */
void ua_variant_free(ua_variant *v) {
    free(v->norm);
    free(v->treat);
    free(v->impute);
    free(v->agg);
    free(v->x);
    free(v->lx);
    free(v->complete);
    free(v->neg);
    free(v->blo);
    free(v->bhi);
}

/* Frees what m holds and zeroes it. NULL is allowed. */
void ua_model_free(ua_model *m) {
    if (!m) return;
    for (int v = 0; v < m->n_var; v++) ua_variant_free(&m->var[v]);
    free(m->var);
    free(m->aggn);
    free(m->apos);
    free(m->bpos);
    free(m->wsel);
    free(m->excl);
    free(m->cells);
    free(m->slot_node);
    free(m->slot);
    free(m->cls_first);
    free(m->cls_n);
    free(m->lo);
    free(m->inv);
    free(m->wlo);
    free(m->wlen);
    free(m->woff);
    free(m->kept_score);
    free(m->kept_bin);
    free(m->kept_variant);
    memset(m, 0, sizeof *m);
}

/* Allocates v's arrays for n_ind x n values. Returns 0, or -1 when out of
 * memory (what was allocated stays in v for ua_variant_free). */
int ua_variant_alloc(ua_variant *v, int n_nodes, int n_ind, int n, int need_log, int n_bnodes) {
    size_t cells = (size_t)n_ind * (size_t)n + 1;
    v->blo = malloc(((size_t)n_bnodes * (size_t)n + 1) * sizeof *v->blo);
    v->bhi = malloc(((size_t)n_bnodes * (size_t)n + 1) * sizeof *v->bhi);
    if (!v->blo || !v->bhi) return -1;
    v->norm = malloc((size_t)n_nodes * sizeof *v->norm);
    v->treat = malloc((size_t)n_nodes * sizeof *v->treat);
    v->impute = malloc((size_t)n_nodes * sizeof *v->impute);
    v->agg = malloc((size_t)n_nodes * sizeof *v->agg);
    v->x = malloc(cells * sizeof *v->x);
    v->lx = need_log ? malloc(cells * sizeof *v->lx) : NULL;
    v->complete = malloc((size_t)n_ind + 1);
    v->neg = malloc(((size_t)n_ind + 1) * sizeof *v->neg);
    return v->norm && v->treat && v->impute && v->agg && v->x && (!need_log || v->lx) && v->complete && v->neg ? 0 : -1;
}

/* Fills v's logs and per-indicator flags from its normalised values.
 * Cannot fail. */
static void variant_fill(ua_variant *v, int n_ind, int n) {
    for (int i = 0; i < n_ind; i++) {
        const double *c = v->x + (size_t)i * (size_t)n;
        double *l = v->lx ? v->lx + (size_t)i * (size_t)n : NULL;
        int complete = 1, neg = -1;
        for (int u = 0; u < n; u++) {
            double y = c[u];
            if (isnan(y)) complete = 0;
            else if (y < 0 && neg < 0) neg = u;
            /* a negative value is never read: its geometric parent refuses it first */
            if (l) l[u] = isnan(y) ? NAN : y < 0 ? 0 : y == 0 ? -INFINITY : log(y);
        }
        v->complete[i] = (unsigned char)complete;
        v->neg[i] = neg;
    }
}

/* Fills v's bounds: for each node whose children are all indicators, the
 * least and greatest value per unit of those with nominal weight, in
 * child order (so that of -0 and +0 the first stays, as in ts_aggregate).
 * Cannot fail. */
static void variant_bounds(const ua_model *m, ua_variant *v) {
    const ts_taxonomy *t = m->t;
    size_t n = (size_t)m->n;
    for (int k = 0; k < m->n_nodes; k++) {
        if (m->bpos[k] < 0) continue;
        double *restrict lo = v->blo + (size_t)m->bpos[k] * n, *restrict hi = v->bhi + (size_t)m->bpos[k] * n;
        for (size_t u = 0; u < n; u++) {
            lo[u] = INFINITY;
            hi[u] = -INFINITY;
        }
        const ts_node *nd = &t->nodes[k];
        for (int c = 0; c < nd->n_children; c++) {
            int kc = t->children[nd->first_child + c];
            if (!(m->spec->weight[kc] > 0)) continue;
            const double *restrict x = v->x + (size_t)t->nodes[kc].indicator * n;
            for (size_t u = 0; u < n; u++) {
                lo[u] = x[u] < lo[u] ? x[u] : lo[u];
                hi[u] = x[u] > hi[u] ? x[u] : hi[u];
            }
        }
    }
}

/* Runs the indicator stages of s under variant v's spec into v's matrix
 * (and aggregates arithmetically, for the errors ts_score gives) and
 * fills the rest of v. data replaces s's dataset when not NULL. Returns
 * TS_OK or the pipeline's error code. */
int ua_variant_score(const ua_model *m, ua_variant *v, const ts_dataset *data, ts_error *err) {
    ts_scenario sc = *m->s;
    sc.spec = &v->spec;
    if (data) sc.data = (ts_dataset *)data;
    int rc = ts_score_normalised(&sc, v->x, NULL, err);
    if (rc != TS_OK) return rc;
    variant_fill(v, m->n_ind, m->n);
    variant_bounds(m, v);
    return TS_OK;
}

/* The variants still to score, shared by the threads that score them. */
typedef struct variant_pool {
    const ua_model *m;
    int next, n;
    int *rc;          /* per variant: ua_variant_score's status */
    ts_error *err;    /* per variant: its error */
    pthread_mutex_t mu;
} variant_pool;

/* Scores the pool's variants, taking the next one until none is left.
 * Returns NULL; each variant's status and error go to the pool. */
static void *variant_worker(void *arg) {
    variant_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int v = p->next < p->n ? p->next++ : -1;
        pthread_mutex_unlock(&p->mu);
        if (v < 0) return NULL;
        ts_error_clear(&p->err[v]);
        p->rc[v] = ua_variant_score(p->m, &p->m->var[v], NULL, &p->err[v]);
    }
}

/* Scores variants [0, n) of m on up to threads threads (the calling one
 * among them). Each variant is scored on its own, so the result does not
 * depend on the number of threads; the error is the first variant's that
 * failed, as in a loop. Returns TS_OK, that variant's error code, or
 * TS_ESYSTEM when out of memory. */
static int score_variants(const ua_model *m, int n, int threads, ts_error *err) {
    variant_pool p = {m, 0, n, calloc((size_t)n + 1, sizeof *p.rc), calloc((size_t)n + 1, sizeof *p.err), {{0}}};
    if (!p.rc || !p.err) {
        free(p.rc), free(p.err);
        return ua_oom(err);
    }
    pthread_mutex_init(&p.mu, NULL);
    int extra = threads < n ? threads - 1 : n - 1, started = 0;
    pthread_t *tid = extra > 0 ? calloc((size_t)extra, sizeof *tid) : NULL;
    /* a thread that does not start leaves its share to the others */
    for (int t = 0; tid && t < extra; t++)
        if (pthread_create(&tid[t], NULL, variant_worker, &p) == 0) started++;
        else break;
    variant_worker(&p);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    int rc = TS_OK;
    for (int v = 0; v < n && rc == TS_OK; v++)
        if (p.rc[v] != TS_OK) {
            rc = p.rc[v];
            *err = p.err[v];
        }
    pthread_mutex_destroy(&p.mu);
    free(tid), free(p.rc), free(p.err);
    return rc;
}

/* Returns the index of the variant of alternatives na, nt, ni, nm
 * (negative: 0). Cannot fail. */
int ua_variant_index(const ua_model *m, int na, int nt, int ni, int nm) {
    int v = na < 0 ? 0 : na;
    v = v * m->n_treat + (nt < 0 ? 0 : nt);
    v = v * m->n_impute + (ni < 0 ? 0 : ni);
    return v * m->n_missing + (nm < 0 ? 0 : nm);
}

/* Stores the alternatives of variant v. Cannot fail. */
void ua_variant_choices(const ua_model *m, int v, int *na, int *nt, int *ni, int *nm) {
    *nm = v % m->n_missing;
    v /= m->n_missing;
    *ni = v % m->n_impute;
    v /= m->n_impute;
    *nt = v % m->n_treat;
    *na = v / m->n_treat;
}

/* Sets up variant v's spec from the scenario's with alternative indices
 * (-1 = the scenario's own). The missing-value treatment nm overrides the
 * imputation of its indicators, whichever imputation ni gave them. */
static void variant_spec(const ua_model *m, ua_variant *v, int na, int nt, int ni, int nm) {
    const ts_spec *sp = m->spec;
    const ts_taxonomy *t = m->t;
    int nn = m->n_nodes;
    v->spec = *sp;
    for (int k = 0; k < nn; k++) {
        v->norm[k] = na >= 0 ? m->u->norm[na] : sp->norm[k];
        v->treat[k] = nt >= 0 ? m->u->treat[nt] : sp->treat[k];
        v->impute[k] = ni >= 0 ? m->u->impute[ni] : sp->impute[k];
        v->agg[k] = ts_agg_default();
        v->agg[k].method = TS_AGG_ARITHMETIC;
    }
    if (nm >= 0)
        for (int i = 0; i < m->n_ind; i++)
            if (!m->u->missing_ind || m->u->missing_ind[i]) {
                int k = t->indicator_node[i];
                v->impute[k] = ts_missing_apply(&m->u->missing[nm], &v->impute[k]);
            }
    v->spec.norm = v->norm;
    v->spec.treat = v->treat;
    v->spec.impute = v->impute;
    v->spec.agg = v->agg;
}


/* Builds the factor table, the variant matrices and the output layout;
 * nominal_only builds only the nominal variant. Returns TS_OK, TS_ESYSTEM
 * when out of memory, or the pipeline's error (m must be freed either way). */
int ua_model_build(ua_model *m, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                       int nominal_only, ts_error *err) {
    memset(m, 0, sizeof *m);
    m->s = s;
    m->u = u;
    m->t = s->tax;
    m->spec = s->spec;
    m->n = s->data->n_units;
    m->n_nodes = s->tax->n_nodes;
    m->n_ind = s->tax->n_indicators;
    const ts_taxonomy *t = m->t;
    m->track = opt ? opt->track : NULL;
    m->aggn = malloc(((size_t)m->n_nodes + 1) * sizeof *m->aggn);
    m->apos = malloc(((size_t)m->n_nodes + 1) * sizeof *m->apos);
    m->bpos = malloc(((size_t)m->n_nodes + 1) * sizeof *m->bpos);
    if (!m->aggn || !m->apos || !m->bpos) return ua_oom(err);
    m->max_children = 1;
    for (int k = 0; k < m->n_nodes; k++) {
        m->apos[k] = -1;
        m->bpos[k] = -1;
        if (t->nodes[k].n_children == 0) continue;
        int leaves = 1;
        for (int c = 0; c < t->nodes[k].n_children; c++) leaves &= t->nodes[t->children[t->nodes[k].first_child + c]].indicator >= 0;
        if (leaves) m->bpos[k] = m->n_bnodes++;
        m->apos[k] = m->n_aggn;
        m->aggn[m->n_aggn++] = k;
        if (t->nodes[k].n_children > m->max_children) m->max_children = t->nodes[k].n_children;
        if (s->spec->agg[k].method == TS_AGG_GEOMETRIC) m->need_log = 1;
    }
    for (int a = 0; a < u->n_agg; a++)
        if (u->agg[a].method == TS_AGG_GEOMETRIC) m->need_log = 1;

    /* factors, in a fixed order */
    int dims[F_COUNT] = {0};
    if (u->weights != W_NONE) {
        m->wsel = malloc(((size_t)m->n_nodes + 1) * sizeof *m->wsel);
        if (!m->wsel) return ua_oom(err);
        int root = ts_taxonomy_root(t);
        for (int k = 0; k < m->n_nodes; k++) {
            if (k == root) continue;
            int leaf = t->nodes[k].n_children == 0;
            int on = u->weight_sel == SEL_ALL || (u->weight_sel == SEL_INDICATORS && leaf) ||
                     (u->weight_sel == SEL_AGGREGATES && !leaf) || (u->weight_sel == SEL_LIST && u->weight_nodes[k]);
            if (on) m->wsel[m->n_wsel++] = k;
        }
        dims[F_WEIGHTS] = m->n_wsel;
    }
    dims[F_NORMALISE] = u->n_norm > 0;
    dims[F_AGGREGATE] = u->n_agg > 0;
    dims[F_TREAT] = u->n_treat > 0;
    dims[F_IMPUTE] = u->n_impute > 0;
    dims[F_MISSING] = u->n_missing > 0;
    if (u->exclude != X_NONE) {
        int n = u->excl ? u->n_excl : m->n_ind;
        m->excl = malloc(((size_t)n + 1) * sizeof *m->excl);
        if (!m->excl) return ua_oom(err);
        for (int e = 0; e < n; e++) m->excl[e] = t->indicator_node[u->excl ? u->excl[e] : e];
        m->n_excl = n;
        dims[F_EXCLUDE] = u->exclude == X_ONE ? 1 : n;
    }
    if (u->data_alternatives || u->data_f > 0 || u->n_ranges) {
        const ts_dataset *d = s->data;
        size_t total = (size_t)m->n_ind * (size_t)m->n;
        m->cells = malloc((total + (size_t)u->n_ranges + 1) * sizeof *m->cells);
        if (!m->cells) return ua_oom(err);
        for (int e = 0; e < u->n_ranges; e++) {
            const ua_range *r = &u->ranges[e];
            m->cells[m->n_cells++] = (ua_cell){r->i, r->u, ts_dataset_get(d, r->i, r->u), r->lo, r->hi, 0, NULL};
        }
        if (u->data_alternatives || u->data_f > 0)
            for (int i = 0; i < m->n_ind; i++)
                for (int uu = 0; uu < m->n; uu++) {
                    double v = ts_dataset_get(d, i, uu);
                    if (isnan(v)) continue;
                    int dup = 0;
                    for (int e = 0; e < u->n_ranges && !dup; e++) dup = u->ranges[e].i == i && u->ranges[e].u == uu;
                    if (dup) continue;
                    const ts_provenance *p = d->prov ? &d->prov[(size_t)i * (size_t)m->n + (size_t)uu] : NULL;
                    int na = u->data_alternatives && p ? p->n_alternatives : 0;
                    if (na == 0 && !(u->data_f > 0)) continue;
                    m->cells[m->n_cells++] = (ua_cell){i, uu, v, 1, 0, na, na ? p->alternatives : NULL};
                }
        dims[F_DATA] = m->n_cells;
        m->data_mode = m->n_cells > 0;
    }
    for (int f = 0; f < F_COUNT; f++) {
        if (dims[f] == 0) continue;
        m->fkind[m->n_f] = f;
        m->fdim[m->n_f] = dims[f];
        m->foff[m->n_f] = m->D;
        m->D += dims[f];
        m->n_f++;
    }

    /* variants: every combination of indicator-stage alternatives */
    m->n_norm = u->n_norm ? u->n_norm : 1;
    m->n_treat = u->n_treat ? u->n_treat : 1;
    m->n_impute = u->n_impute ? u->n_impute : 1;
    m->n_missing = u->n_missing ? u->n_missing : 1;
    int nv = nominal_only ? 1 : m->n_norm * m->n_treat * m->n_impute * m->n_missing;
    m->var = calloc((size_t)nv + 1, sizeof *m->var);
    if (!m->var) return ua_oom(err);
    for (int v = 0; v < nv; v++) {
        ua_variant *V = &m->var[v];
        m->n_var = v + 1;
        if (ua_variant_alloc(V, m->n_nodes, m->n_ind, m->n, m->need_log, m->n_bnodes)) return ua_oom(err);
        int na, nt, ni, nm;
        ua_variant_choices(m, v, &na, &nt, &ni, &nm);
        if (nominal_only || !u->n_norm) na = -1;
        if (nominal_only || !u->n_treat) nt = -1;
        if (nominal_only || !u->n_impute) ni = -1;
        if (nominal_only || !u->n_missing) nm = -1;
        variant_spec(m, V, na, nt, ni, nm);
    }
    /* in data mode each replication scores its own variant */
    if (!(m->data_mode && !nominal_only)) {
        int rc = score_variants(m, nv, opt && opt->threads > 1 ? opt->threads : 1, err);
        if (rc) return rc;
    }

    /* outputs: classes per node */
    m->cls_first = malloc(((size_t)m->n_nodes + 1) * sizeof *m->cls_first);
    m->cls_n = malloc(((size_t)m->n_nodes + 1) * sizeof *m->cls_n);
    m->slot = malloc(((size_t)m->n_nodes + 1) * sizeof *m->slot);
    m->slot_node = malloc(((size_t)m->n_nodes + 1) * sizeof *m->slot_node);
    if (!m->cls_first || !m->cls_n || !m->slot || !m->slot_node) return ua_oom(err);
    for (int k = 0; k < m->n_nodes; k++) {
        m->cls_first[k] = t->nodes[k].first_class;
        m->cls_n[k] = t->nodes[k].n_classes;
        if (m->cls_n[k] > m->max_classes) m->max_classes = m->cls_n[k];
        int tracked = !m->track || m->track[k];
        int leaf = t->nodes[k].n_children == 0;
        m->slot[k] = -1;
        if (tracked && (!leaf || m->data_mode)) {
            m->slot[k] = m->n_slots;
            m->slot_node[m->n_slots++] = k;
        }
        if (tracked && leaf && !m->data_mode) m->track_leaves = 1;
    }
    m->n_cell = m->n_slots * m->n;
    m->rank_w = m->n <= 1000 ? 1 : (m->n + 999) / 1000;
    m->rank_bins = (m->n + m->rank_w - 1) / m->rank_w;
    m->S = opt && opt->score_bins > 1 ? opt->score_bins : 128;
    m->lo = malloc(((size_t)m->n_cell + 1) * sizeof *m->lo);
    m->inv = malloc(((size_t)m->n_cell + 1) * sizeof *m->inv);
    m->wlo = malloc(((size_t)m->n_cell + 1) * sizeof *m->wlo);
    m->wlen = malloc(((size_t)m->n_cell + 1) * sizeof *m->wlen);
    m->woff = malloc(((size_t)m->n_cell + 1) * sizeof *m->woff);
    if (!m->lo || !m->inv || !m->wlo || !m->wlen || !m->woff) return ua_oom(err);
    m->score_stride = m->S + 1;
    m->cls_stride = m->max_classes + 2;
    /* every rank bin in the window until a pilot narrows it */
    for (int c = 0; c < m->n_cell; c++) {
        m->wlo[c] = 0;
        m->wlen[c] = m->rank_bins;
        m->woff[c] = (size_t)c * (size_t)(m->rank_bins + 1);
    }
    m->n_win = (size_t)m->n_cell * (size_t)(m->rank_bins + 1);
    return TS_OK;
}
