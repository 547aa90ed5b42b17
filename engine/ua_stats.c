/* ua_stats.c -- the statistics of an uncertainty analysis: histogram
 * ranges, quantiles, and the result built from the accumulators. */
#include "ua_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "normalise.h"

/* Returns the type 7 p-quantile of the counted sample, NaN when it is
 * empty. Cannot fail. */
double ts_ua_count_quantile(const uint32_t *counts, int n, double lo, double p) {
    uint64_t total = 0;
    for (int i = 0; i < n; i++) total += counts[i];
    if (total == 0) return NAN;
    double h = (double)(total - 1) * p;
    uint64_t j = (uint64_t)floor(h);
    double frac = h - (double)j;
    /* values of order statistics j and j + 1 (0-based) */
    double xj = NAN, xk = NAN;
    uint64_t cum = 0;
    for (int i = 0; i < n; i++) {
        uint64_t next = cum + counts[i];
        if (isnan(xj) && j < next) xj = lo + i;
        if (j + 1 < next || (j + 1 >= total && !isnan(xj))) {
            xk = j + 1 < total ? lo + i : xj;
            if (!isnan(xj)) break;
        }
        cum = next;
    }
    return xj + frac * (xk - xj);
}

/* The p-quantile (type 7) of a histogram of S bins starting at lo with
 * width 1/inv; observations are taken as spread evenly inside their bin. */
static double hist_quantile(const uint32_t *h, int S, double lo, double inv, double p) {
    uint64_t total = 0;
    for (int i = 0; i < S; i++) total += h[i];
    if (total == 0) return NAN;
    double pos = (double)(total - 1) * p;
    uint64_t j = (uint64_t)floor(pos);
    double frac = pos - (double)j, x[2];
    for (int t = 0; t < 2; t++) {
        uint64_t want = j + (uint64_t)t < total ? j + (uint64_t)t : total - 1, cum = 0;
        for (int i = 0; i < S; i++) {
            if (want < cum + h[i]) {
                x[t] = lo + (i + ((double)(want - cum) + 0.5) / h[i]) / inv;
                break;
            }
            cum += h[i];
        }
    }
    return x[0] + frac * (x[1] - x[0]);
}

typedef struct vc {
    double v;
    uint64_t c;
} vc;

/* Orders point masses by value. */
static int cmp_vc(const void *a, const void *b) {
    double x = ((const vc *)a)->v, y = ((const vc *)b)->v;
    return (x > y) - (x < y);
}

/* The p-quantile (type 7) of a sample of point masses (sorted). */
static double pairs_quantile(const vc *p, int m, double q) {
    uint64_t total = 0;
    for (int i = 0; i < m; i++) total += p[i].c;
    if (total == 0) return NAN;
    double pos = (double)(total - 1) * q;
    uint64_t j = (uint64_t)floor(pos);
    double frac = pos - (double)j, x[2] = {NAN, NAN};
    for (int t = 0; t < 2; t++) {
        uint64_t want = j + (uint64_t)t < total ? j + (uint64_t)t : total - 1, cum = 0;
        for (int i = 0; i < m; i++) {
            if (want < cum + p[i].c) {
                x[t] = p[i].v;
                break;
            }
            cum += p[i].c;
        }
    }
    return x[0] + frac * (x[1] - x[0]);
}

/* Sets every cell's window of rank bins from the lowest and highest bin
 * seen (rlo, rhi; the pilot's and the nominal rank's), widened by half
 * the span and 4 bins on each side; a window that would cover most of
 * the bins covers them all. Returns TS_OK or TS_ESYSTEM. */
static int set_windows(ua_model *m, const int *rlo, const int *rhi, ts_error *err) {
    size_t cells = (size_t)m->n_cell;
    int RB = m->rank_bins;
    m->n_win = 0;
    m->windowed = 0;
    for (size_t c = 0; c < cells; c++) {
        int a = 0, b = RB - 1;
        if (rlo && RB > 64 && rlo[c] <= rhi[c]) {
            int pad = (rhi[c] - rlo[c]) / 2 + 4;
            a = rlo[c] - pad > 0 ? rlo[c] - pad : 0;
            b = rhi[c] + pad < RB - 1 ? rhi[c] + pad : RB - 1;
            if (b - a + 1 > RB - RB / 4) a = 0, b = RB - 1;
        }
        m->wlo[c] = a;
        m->wlen[c] = b - a + 1;
        m->woff[c] = m->n_win;
        m->n_win += (size_t)(b - a + 2); /* and the counter of what counts nothing */
        if (b - a + 1 < RB) m->windowed = 1;
    }
    (void)err;
    return TS_OK;
}

/* One thread's share of the pilot: replications [r0, r1), their ranges
 * per cell, and the first error. */
typedef struct pilot_part {
    ua_model *m;
    const ts_ua_options *opt;
    const ts_sobol_seq *seq;
    long r0, r1;
    double *lo, *hi;          /* per cell: lowest and highest score seen */
    int *rlo, *rhi;           /* per cell: lowest and highest rank bin seen */
    int rc;
    ts_error err;
} pilot_part;

/* Runs replications [r0, r1) of the pilot (both halves of each Sobol'
 * point), keeping each when the model keeps them, and widens the part's
 * ranges. Returns NULL; a failure stops the part with rc and err set. */
static void *pilot_main(void *arg) {
    pilot_part *p = arg;
    ua_model *m = p->m;
    size_t cells = (size_t)m->n_cell;
    ua_ws w;
    ts_error_clear(&p->err);
    p->rc = TS_OK;
    if (ua_ws_init(&w, m, 0, 0, 0, 0, NULL)) {
        ua_ws_free(&w);
        p->rc = ua_oom(&p->err);
        return NULL;
    }
    for (size_t c = 0; c < cells; c++) {
        p->lo[c] = INFINITY;
        p->hi[c] = -INFINITY;
        p->rlo[c] = m->rank_bins;
        p->rhi[c] = -1;
    }
    for (long r = p->r0; r < p->r1 && p->rc == TS_OK; r++) {
        if (p->opt->sobol) ts_sobol_seq_point(p->seq, (uint32_t)(r + 1), w.uni);
        else ua_mc_uniforms(p->opt->seed, r, m->D, w.uni);
        for (int half = 0; half < (p->opt->sobol ? 2 : 1) && p->rc == TS_OK; half++) {
            p->rc = ua_replicate(m, &w, w.uni + half * m->D, &p->err);
            if (p->rc != TS_OK) break;
            ua_rank_slots(m, &w);
            if (r < m->n_kept) ua_keep(m, &w, r);
            for (int s = 0; s < m->n_slots; s++) {
                const double *x = ua_slot_values(m, &w, s);
                for (size_t u = 0, c = (size_t)s * (size_t)m->n; u < (size_t)m->n; u++, c++) {
                    if (isnan(x[u])) continue;
                    if (x[u] < p->lo[c]) p->lo[c] = x[u];
                    if (x[u] > p->hi[c]) p->hi[c] = x[u];
                    int b = (w.rank[c] - 1) / m->rank_w;
                    if (b < p->rlo[c]) p->rlo[c] = b;
                    if (b > p->rhi[c]) p->rhi[c] = b;
                }
            }
        }
    }
    ua_ws_free(&w);
    return NULL;
}

/* Runs the pilot's P replications in contiguous parts on up to opt's
 * threads (each part on a workspace of its own), and merges the parts'
 * ranges into lo, hi, rlo, rhi in replication order, so that the result
 * is the one a single thread would give. Returns TS_OK, TS_ESYSTEM, or
 * the error of the first replication that failed. */
static int run_pilot(ua_model *m, const ts_ua_options *opt, const ts_sobol_seq *seq, long P, double *lo, double *hi,
                     int *rlo, int *rhi, ts_error *err) {
    size_t cells = (size_t)m->n_cell;
    long nt = opt->threads < P ? opt->threads : P;
    if (nt < 1) nt = 1;
    pilot_part *part = calloc((size_t)nt, sizeof *part);
    pthread_t *tid = calloc((size_t)nt, sizeof *tid);
    double *buf = part ? malloc((size_t)nt * (cells + 1) * 2 * sizeof *buf) : NULL;
    int *ibuf = part ? malloc((size_t)nt * (cells + 1) * 2 * sizeof *ibuf) : NULL;
    int rc = TS_OK;
    if (!part || !tid || !buf || !ibuf) rc = ua_oom(err);
    long started = 0;
    int prc;
    for (long i = 0; i < nt && rc == TS_OK; i++) {
        pilot_part *p = &part[i];
        *p = (pilot_part){m, opt, seq, P * i / nt, P * (i + 1) / nt, buf + (size_t)i * (cells + 1) * 2,
                          buf + (size_t)i * (cells + 1) * 2 + cells + 1, ibuf + (size_t)i * (cells + 1) * 2,
                          ibuf + (size_t)i * (cells + 1) * 2 + cells + 1, TS_OK, {0}};
        if (nt == 1) {
            pilot_main(p);
            started = 1;
        } else if ((prc = pthread_create(&tid[i], NULL, pilot_main, p)) == 0) {
            started++;
        } else {
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot start a thread: %s", ts_thread_errstr(prc));
        }
    }
    if (nt > 1)
        for (long i = 0; i < started; i++) pthread_join(tid[i], NULL);
    /* parts in replication order: the first error, and the ranges as one
       pass in order would widen them (a strict comparison keeps the first
       of equal values, as the pass would) */
    for (long i = 0; i < started && rc == TS_OK; i++) {
        pilot_part *p = &part[i];
        if (p->rc != TS_OK) {
            *err = p->err;
            rc = p->rc;
            break;
        }
        for (size_t c = 0; c < cells; c++) {
            if (p->lo[c] < lo[c]) lo[c] = p->lo[c];
            if (p->hi[c] > hi[c]) hi[c] = p->hi[c];
            if (p->rlo[c] < rlo[c]) rlo[c] = p->rlo[c];
            if (p->rhi[c] > rhi[c]) rhi[c] = p->rhi[c];
        }
    }
    free(part);
    free(tid);
    free(buf);
    free(ibuf);
    return rc;
}

/* Sets each cell's histogram range from a pilot of the first replications
 * and the nominal scores: the observed range widened by a quarter on each
 * side, and at least 5 % of the node's range over all units; and each
 * cell's window of rank bins. The pilot runs on the analysis's threads.
 * Under Monte Carlo its replications are kept (when they fit in
 * UA_PILOT_BYTES) to be counted, not repeated. Returns TS_OK, TS_ESYSTEM
 * when out of memory, or the evaluator's error. */
int ua_set_bins(ua_model *m, const ts_ua_options *opt, const ts_ua_result *nominal, const ts_sobol_seq *seq,
                ts_error *err) {
    size_t n = (size_t)m->n, cells = (size_t)m->n_cell;
    long pilot = opt->n < 200 ? opt->n : 200;
    double *hi = malloc((cells + 1) * sizeof *hi);
    int *rlo = malloc((cells + 1) * sizeof *rlo), *rhi = malloc((cells + 1) * sizeof *rhi);
    if (!hi || !rlo || !rhi) {
        free(hi);
        free(rlo);
        free(rhi);
        return ua_oom(err);
    }
    m->n_pilot = pilot;
    m->n_kept = 0;
    if (!opt->sobol && (double)pilot * (double)cells * (sizeof *m->kept_score + sizeof *m->kept_bin) <= UA_PILOT_BYTES) {
        m->kept_score = malloc(((size_t)pilot * cells + 1) * sizeof *m->kept_score);
        m->kept_bin = malloc(((size_t)pilot * cells + 1) * sizeof *m->kept_bin);
        m->kept_variant = malloc(((size_t)pilot + 1) * sizeof *m->kept_variant);
        if (m->kept_score && m->kept_bin && m->kept_variant) m->n_kept = pilot;
    }
    for (int s = 0; s < m->n_slots; s++)
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            double y = nominal->nominal_score[ts_ua_cell(nominal, m->slot_node[s], (int)u)];
            int rk = nominal->nominal_rank[ts_ua_cell(nominal, m->slot_node[s], (int)u)];
            m->lo[c] = isnan(y) ? INFINITY : y;
            hi[c] = isnan(y) ? -INFINITY : y;
            rlo[c] = rk > 0 ? (rk - 1) / m->rank_w : m->rank_bins;
            rhi[c] = rk > 0 ? (rk - 1) / m->rank_w : -1;
        }
    int rc = run_pilot(m, opt, seq, pilot, m->lo, hi, rlo, rhi, err);
    for (int s = 0; s < m->n_slots && rc == TS_OK; s++) {
        double nlo = INFINITY, nhi = -INFINITY;
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            if (m->lo[c] < nlo) nlo = m->lo[c];
            if (hi[c] > nhi) nhi = hi[c];
        }
        double nspan = nhi > nlo ? nhi - nlo : 1.0;
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            if (!(m->lo[c] <= hi[c])) m->lo[c] = hi[c] = 0;
            double span = hi[c] - m->lo[c], min_span = 0.05 * nspan;
            if (min_span < 1e-9 * (1 + fabs(m->lo[c]))) min_span = 1e-9 * (1 + fabs(m->lo[c]));
            double mid = (hi[c] + m->lo[c]) / 2;
            span = span * 1.5 > min_span ? span * 1.5 : min_span;
            m->lo[c] = mid - span / 2;
            m->inv[c] = m->S / span;
        }
    }
    if (rc == TS_OK) rc = set_windows(m, rlo, rhi, err);
    if (rc != TS_OK) m->n_kept = 0;
    free(hi);
    free(rlo);
    free(rhi);
    return rc;
}

/* Frees r and its arrays. NULL is allowed. */
void ts_ua_result_free(ts_ua_result *r) {
    if (!r) return;
    free(r->tracked);
    free(r->row);
    free(r->nominal_score);
    free(r->nominal_rank);
    free(r->mean_score);
    free(r->median_score);
    free(r->rank_p05);
    free(r->rank_p50);
    free(r->rank_p95);
    free(r->scored);
    free(r->class_prob);
    free(r->factor_name);
    free(r->s1);
    free(r->st);
    free(r->s1_lo);
    free(r->s1_hi);
    free(r->st_lo);
    free(r->st_hi);
    free(r);
}

/* Returns the index of node k (tracked) and unit u in r's per-unit
 * arrays. */
size_t ts_ua_cell(const ts_ua_result *r, int k, int u) {
    return (size_t)r->row[k] * (size_t)r->n_units + (size_t)u;
}

/* Returns a result for m with a row for each reported node (its slots and
 * its tracked leaves), every statistic NaN and the nominal rank 0 (with
 * Sobol' arrays when sobol), or NULL when out of memory. */
ts_ua_result *ua_result_new(const ua_model *m, int sobol) {
    ts_ua_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->n_units = m->n;
    r->n_nodes = m->n_nodes;
    r->max_classes = m->max_classes;
    r->tracked = calloc((size_t)m->n_nodes + 1, 1);
    r->row = malloc(((size_t)m->n_nodes + 1) * sizeof *r->row);
    if (!r->tracked || !r->row) {
        ts_ua_result_free(r);
        return NULL;
    }
    for (int k = 0; k < m->n_nodes; k++) {
        int leaf = m->t->nodes[k].n_children == 0;
        r->tracked[k] = m->slot[k] >= 0 || (leaf && m->track_leaves && (!m->track || m->track[k]));
        r->row[k] = r->tracked[k] ? r->n_rows++ : -1;
    }
    size_t cells = (size_t)m->n * (size_t)r->n_rows + 1;
    r->nominal_score = malloc(cells * sizeof(double));
    r->nominal_rank = calloc(cells, sizeof(int));
    r->mean_score = malloc(cells * sizeof(double));
    r->median_score = malloc(cells * sizeof(double));
    r->rank_p05 = malloc(cells * sizeof(double));
    r->rank_p50 = malloc(cells * sizeof(double));
    r->rank_p95 = malloc(cells * sizeof(double));
    r->scored = malloc(cells * sizeof(double));
    r->class_prob = malloc((cells * (size_t)(m->max_classes + 1) + 1) * sizeof(double));
    r->n_factors = m->n_f;
    r->factor_name = calloc((size_t)m->n_f + 1, sizeof *r->factor_name);
    if (!r->nominal_score || !r->nominal_rank || !r->mean_score || !r->median_score || !r->rank_p05 ||
        !r->rank_p50 || !r->rank_p95 || !r->scored || !r->class_prob || !r->factor_name) {
        ts_ua_result_free(r);
        return NULL;
    }
    for (int f = 0; f < m->n_f; f++) r->factor_name[f] = ua_factor_name(m->fkind[f]);
    for (size_t c = 0; c < cells; c++)
        r->nominal_score[c] = r->mean_score[c] = r->median_score[c] = r->rank_p05[c] = r->rank_p50[c] =
            r->rank_p95[c] = r->scored[c] = NAN;
    for (size_t c = 0; c < cells * (size_t)(m->max_classes + 1); c++) r->class_prob[c] = NAN;
    if (sobol) {
        size_t ns = cells * 2 * (size_t)m->n_f + 1;
        r->s1 = malloc(ns * sizeof(double));
        r->st = malloc(ns * sizeof(double));
        r->s1_lo = malloc(ns * sizeof(double));
        r->s1_hi = malloc(ns * sizeof(double));
        r->st_lo = malloc(ns * sizeof(double));
        r->st_hi = malloc(ns * sizeof(double));
        if (!r->s1 || !r->st || !r->s1_lo || !r->s1_hi || !r->st_lo || !r->st_hi) {
            ts_ua_result_free(r);
            return NULL;
        }
        for (size_t c = 0; c < ns; c++) r->s1[c] = r->st[c] = r->s1_lo[c] = r->s1_hi[c] = r->st_lo[c] = r->st_hi[c] = NAN;
    }
    return r;
}

/* Fills the statistics of leaves (fixed data) from the variant counts.
 * Returns TS_OK or TS_ESYSTEM when out of memory. */
static int leaf_stats(const ua_model *m, const uint64_t *varcnt, ts_ua_result *r, ts_error *err) {
    int n = m->n, nv = m->n_var;
    vc *pv = malloc(((size_t)nv + 1) * sizeof *pv), *pr = malloc(((size_t)nv + 1) * sizeof *pr);
    double *rk = malloc(((size_t)nv * (size_t)n + 1) * sizeof *rk);
    if (!pv || !pr || !rk) {
        free(pv);
        free(pr);
        free(rk);
        return ua_oom(err);
    }
    uint64_t total = 0;
    for (int v = 0; v < nv; v++) total += varcnt[v];
    int rc = TS_OK;
    for (int i = 0; i < m->n_ind && rc == TS_OK; i++) {
        int k = m->t->indicator_node[i];
        if (!r->tracked[k]) continue;
        for (int v = 0; v < nv; v++)
            if (ts_rank_values(m->var[v].x + (size_t)i * (size_t)n, n, 1, rk + (size_t)v * (size_t)n)) rc = ua_oom(err);
        for (int u = 0; u < n && rc == TS_OK; u++) {
            size_t c = ts_ua_cell(r, k, u);
            double sum = 0;
            uint64_t sc = 0;
            int mm = 0;
            for (int v = 0; v < nv; v++) {
                double y = m->var[v].x[(size_t)i * (size_t)n + (size_t)u];
                if (isnan(y) || varcnt[v] == 0) continue;
                sum += (double)varcnt[v] * y;
                sc += varcnt[v];
                pv[mm] = (vc){y, varcnt[v]};
                pr[mm] = (vc){rk[(size_t)v * (size_t)n + (size_t)u], varcnt[v]};
                mm++;
            }
            r->scored[c] = total ? (double)sc / (double)total : NAN;
            if (sc == 0) continue;
            r->mean_score[c] = sum / (double)sc;
            qsort(pv, (size_t)mm, sizeof *pv, cmp_vc);
            qsort(pr, (size_t)mm, sizeof *pr, cmp_vc);
            r->median_score[c] = pairs_quantile(pv, mm, 0.5);
            r->rank_p05[c] = pairs_quantile(pr, mm, 0.05);
            r->rank_p50[c] = pairs_quantile(pr, mm, 0.5);
            r->rank_p95[c] = pairs_quantile(pr, mm, 0.95);
            int nc = m->cls_n[k], MC = m->max_classes + 1;
            if (nc) {
                for (int q = 0; q <= nc; q++) r->class_prob[c * (size_t)MC + (size_t)q] = 0;
                for (int e = 0; e < mm; e++)
                    r->class_prob[c * (size_t)MC + (size_t)ua_class_of(m, k, pv[e].v)] += (double)pv[e].c / (double)sc;
            }
        }
    }
    free(pv);
    free(pr);
    free(rk);
    return rc;
}

/* Fills r from the workspaces' accumulators. Returns TS_OK, or TS_ESYSTEM
 * when out of memory (r is then partly filled). */
int ua_result_fill(const ua_model *m, ua_ws *ws, int nt, const double *gsum, const ts_sobol_acc *gsob, long N,
                   ts_ua_result *r, ts_error *err) {
    /* the variant counts and classes of every thread summed into the first;
       the histograms cell by cell below */
    ua_ws *w0 = &ws[0];
    size_t c = (size_t)m->n_cell, S = (size_t)m->S, RB = (size_t)m->rank_bins;
    for (int i = 0; i < nt; i++) ua_ws_apply(m, &ws[i]);
    for (int i = 1; i < nt; i++) {
        ua_ws *w = &ws[i];
        for (size_t x = 0; x < c * (size_t)m->cls_stride; x++) w0->cls[x] += w->cls[x];
        for (int v = 0; v < m->n_var; v++) w0->varcnt[v] += w->varcnt[v];
        w0->clamped += w->clamped;
    }
    uint32_t *sh = malloc((S + 1) * sizeof *sh), *rh = malloc((RB + 1) * sizeof *rh);
    if (!sh || !rh) {
        free(sh);
        free(rh);
        return ua_oom(err);
    }
    r->clamped = w0->clamped;
    r->rank_bin_width = m->rank_w;
    size_t n = (size_t)m->n;
    int MC = m->max_classes + 1;
    for (int sl = 0; sl < m->n_slots; sl++) {
        int k = m->slot_node[sl];
        for (size_t uu = 0; uu < n; uu++) {
            size_t cc = (size_t)sl * n + uu, o = ts_ua_cell(r, k, (int)uu);
            /* the score histogram, and the count of scores, of every thread */
            uint64_t ns = 0;
            size_t srow = cc * (size_t)m->score_stride;
            for (size_t b = 0; b < S; b++) {
                uint32_t v = 0;
                for (int i = 0; i < nt; i++) v += ws[i].cold_score[srow + b] + ws[i].hot_score[srow + b];
                sh[b] = v;
                ns += v;
            }
            r->scored[o] = (double)ns / (double)N;
            if (ns == 0) continue;
            r->mean_score[o] = gsum[cc] / (double)(uint32_t)ns;
            r->median_score[o] = hist_quantile(sh, m->S, m->lo[cc], m->inv[cc], 0.5);
            if (1 / m->inv[cc] > r->median_resolution) r->median_resolution = 1 / m->inv[cc];
            /* the rank histogram: the window, or the whole row when a rank
               fell outside it */
            int far = 0;
            for (int i = 0; i < nt && m->windowed; i++) far |= ws[i].far_any[cc];
            int wlo = m->wlo[cc], wlen = m->wlen[cc], len = far ? m->rank_bins : wlen;
            uint32_t *row = rh + (far ? wlo : 0);
            if (far)
                for (size_t b = 0; b < RB; b++) {
                    uint32_t v = 0;
                    for (int i = 0; i < nt; i++) v += ws[i].far_rank[cc * RB + b];
                    rh[b] = v;
                }
            else
                memset(rh, 0, (size_t)wlen * sizeof *rh);
            for (int b = 0; b < wlen; b++)
                for (int i = 0; i < nt; i++)
                    row[b] += ws[i].cold_rank[m->woff[cc] + (size_t)b] + ws[i].hot_rank[m->woff[cc] + (size_t)b];
            double first = far ? 0 : wlo;
            double lo = 1, sc = m->rank_w;
            /* binned ranks: the bin's first rank plus half its width */
            if (m->rank_w > 1) lo = 1 + (m->rank_w - 1) / 2.0;
            r->rank_p05[o] = lo + (ts_ua_count_quantile(rh, len, first, 0.05)) * sc;
            r->rank_p50[o] = lo + (ts_ua_count_quantile(rh, len, first, 0.50)) * sc;
            r->rank_p95[o] = lo + (ts_ua_count_quantile(rh, len, first, 0.95)) * sc;
            if (m->cls_n[k])
                for (int q = 0; q <= m->cls_n[k]; q++)
                    r->class_prob[o * (size_t)MC + (size_t)q] = (double)w0->cls[cc * (size_t)m->cls_stride + (size_t)q] / (double)(uint32_t)ns;
        }
    }
    free(sh);
    free(rh);
    int rc = TS_OK;
    if (m->track_leaves) rc = leaf_stats(m, w0->varcnt, r, err);
    if (rc == TS_OK && gsob) {
        int F = m->n_f;
        for (int sl = 0; sl < m->n_slots; sl++)
            for (size_t uu = 0; uu < n; uu++)
                for (int outk = 0; outk < 2; outk++)
                    for (int f = 0; f < F; f++) {
                        size_t cc = (size_t)sl * n + uu, o = ts_ua_cell(r, m->slot_node[sl], (int)uu);
                        size_t idx = (o * 2 + (size_t)outk) * (size_t)F + (size_t)f;
                        double ci[4];
                        ts_sobol_acc_indices(gsob, (int)(cc * 2 + (size_t)outk), f, &r->s1[idx], &r->st[idx], ci);
                        r->s1_lo[idx] = ci[0];
                        r->s1_hi[idx] = ci[1];
                        r->st_lo[idx] = ci[2];
                        r->st_hi[idx] = ci[3];
                    }
    }
    return rc;
}
