/* uncertainty.c -- the analysis's driver: replications in chunks on
 * threads, merged in chunk order, and the replay of their sampled parameters. */
#include "ua_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "normalise.h"

/* Fills opt with the defaults. Cannot fail. */
void ts_ua_options_default(ts_ua_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->n = 1000;
    opt->seed = 1;
    opt->threads = 1;
    opt->bootstrap = 100;
    opt->score_bins = 128;
}

/* One analysis in progress, shared by its threads (under lock). */
typedef struct ua_run {
    const ua_model *m;
    const ts_ua_options *opt;
    long n_units_of_work;     /* replications (MC) or base samples (Sobol') */
    long chunk;
    long next_chunk, merged, n_chunks, done, total;
    int failed;
    ts_error err;
    pthread_mutex_t lock;
    pthread_cond_t turn;
    ts_sobol_seq *seq;
    double *gsum;             /* merged per-cell sums */
    ts_sobol_acc *gsob;
    ua_ws *ws;                /* one per thread */
} ua_run;

/* What one thread runs on. */
typedef struct ua_thread {
    ua_run *run;
    ua_ws *w;
} ua_thread;

/* Runs unit of work j (a replication, or a Sobol' base sample with its
 * k + 2 evaluations) on w. Returns TS_OK or the evaluator's error. */
static int work_item(ua_run *R, ua_ws *w, long j, ts_error *err) {
    const ua_model *m = R->m;
    int D = m->D, rc;
    if (!R->opt->sobol) {
        if (j < m->n_kept) {
            ua_accumulate_kept(m, w, j);
            return TS_OK;
        }
        ua_mc_uniforms(R->opt->seed, j, D, w->uni);
        if ((rc = ua_replicate(m, w, w->uni, err))) return rc;
        ua_rank_slots(m, w);
        ua_accumulate(m, w);
        return TS_OK;
    }
    double *a = w->uni, *b = w->uni + D, *ab = w->uni + 2 * D;
    ts_sobol_seq_point(R->seq, (uint32_t)(j + 1), a); /* fills a and b: 2 D dims */
    if ((rc = ua_replicate(m, w, a, err))) return rc;
    ua_rank_slots(m, w);
    ua_accumulate(m, w);
    ua_outputs(m, w, w->fA);
    if ((rc = ua_replicate(m, w, b, err))) return rc;
    ua_rank_slots(m, w);
    ua_accumulate(m, w);
    ua_outputs(m, w, w->fB);
    size_t n_out = (size_t)m->n_cell * 2;
    for (int f = 0; f < m->n_f; f++) {
        memcpy(ab, a, (size_t)D * sizeof *ab);
        memcpy(ab + m->foff[f], b + m->foff[f], (size_t)m->fdim[f] * sizeof *ab);
        if ((rc = ua_replicate(m, w, ab, err))) return rc;
        ua_rank_slots(m, w);
        ua_outputs(m, w, w->fAB + (size_t)f * n_out);
    }
    ts_sobol_acc_add(w->sob, (uint64_t)j, w->fA, w->fB, w->fAB);
    return TS_OK;
}

/* Takes chunks of work in turn until none is left or one failed, and
 * merges each chunk's sums in chunk order (so the floating-point sums do
 * not depend on the thread count). Returns NULL; failures go to R->err. */
static void *thread_main(void *arg) {
    ua_thread *th = arg;
    ua_run *R = th->run;
    ua_ws *w = th->w;
    const ua_model *m = R->m;
    ts_error err;
    ts_error_clear(&err);
    for (;;) {
        pthread_mutex_lock(&R->lock);
        long c = R->failed ? R->n_chunks : R->next_chunk++;
        pthread_mutex_unlock(&R->lock);
        if (c >= R->n_chunks) break;
        memset(w->sum, 0, (size_t)m->n_cell * sizeof *w->sum);
        if (w->sob) ts_sobol_acc_zero(w->sob);
        long j0 = c * R->chunk, j1 = j0 + R->chunk < R->n_units_of_work ? j0 + R->chunk : R->n_units_of_work;
        int rc = TS_OK;
        for (long j = j0; j < j1 && rc == TS_OK; j++) rc = work_item(R, w, j, &err);
        pthread_mutex_lock(&R->lock);
        if (rc != TS_OK && !R->failed) {
            R->failed = 1;
            R->err = err;
        }
        while (!R->failed && R->merged != c) pthread_cond_wait(&R->turn, &R->lock);
        if (!R->failed) {
            for (int x = 0; x < m->n_cell; x++) R->gsum[x] += w->sum[x];
            if (R->gsob) ts_sobol_acc_merge(R->gsob, w->sob);
            R->merged++;
            R->done += (j1 - j0) * (R->opt->sobol ? m->n_f + 2 : 1);
            if (R->opt->progress) R->opt->progress(R->opt->progress_ctx, R->done, R->total);
        }
        pthread_cond_broadcast(&R->turn);
        pthread_mutex_unlock(&R->lock);
        if (rc != TS_OK) break;
    }
    return NULL;
}

/* Stores in r the nominal score and rank of each reported node: the
 * normalised values x ([i * n + u]) of an indicator, the aggregate's row
 * of agg ([a * n + u], a counting aggregates in node order), ranked as
 * ts_score ranks. Returns TS_OK or TS_ESYSTEM when out of memory. */
static int nominal_rows(const ua_model *m, const double *x, const double *agg, ts_ua_result *r, ts_error *err) {
    size_t n = (size_t)m->n;
    double *rk = malloc((n + 1) * sizeof *rk);
    if (!rk) return ua_oom(err);
    for (int k = 0; k < m->n_nodes; k++) {
        if (!r->tracked[k]) continue;
        int i = m->t->nodes[k].indicator;
        const double *v = i >= 0 ? x + (size_t)i * n : agg + (size_t)m->apos[k] * n;
        if (ts_rank_values(v, m->n, 1, rk)) {
            free(rk);
            return ua_oom(err);
        }
        size_t o = ts_ua_cell(r, k, 0);
        memcpy(r->nominal_score + o, v, n * sizeof *v);
        for (size_t uu = 0; uu < n; uu++) r->nominal_rank[o + uu] = isnan(rk[uu]) ? 0 : (int)rk[uu];
    }
    free(rk);
    return TS_OK;
}

/* Returns TS_OK with the result in *out, or an error with *out NULL (see
 * uncertainty.h). */
int ts_ua_run(const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt, ts_ua_result **out,
              ts_error *err) {
    *out = NULL;
    if (ts_ua_spec_factors(u) == 0)
        return ts_fail(err, TS_EUSAGE, NULL, 0,
                       "nothing varies: give the scenario an uncertainty group or use --vary");
    if (opt->n < 1 || opt->threads < 1)
        return ts_fail(err, TS_EUSAGE, NULL, 0, "-N and -j must be at least 1");
    if (opt->sobol && opt->n >= 0x7fffffffL)
        return ts_fail(err, TS_EUSAGE, NULL, 0, "-N is too large for the Sobol' sequence");
    /* the nominal: normalised values and aggregates as ts_score computes
       them (and fails), without the other stages' matrices or ranking
       every node */
    const ts_taxonomy *tax = s->tax;
    size_t nu = (size_t)s->data->n_units;
    int n_agg = 0;
    for (int k = 0; k < tax->n_nodes; k++) n_agg += tax->nodes[k].indicator < 0;
    double *nom_x = malloc(((size_t)tax->n_indicators * nu + 1) * sizeof *nom_x);
    double *nom_agg = malloc(((size_t)n_agg * nu + 1) * sizeof *nom_agg);
    if (!nom_x || !nom_agg) {
        free(nom_x);
        free(nom_agg);
        return ua_oom(err);
    }
    int rc = ts_score_normalised(s, nom_x, nom_agg, err);
    if (rc != TS_OK) {
        free(nom_x);
        free(nom_agg);
        return rc;
    }
    ua_model m;
    rc = ua_model_build(&m, s, u, opt, 0, err);
    /* memory of the accumulators, per thread */
    double bytes = (double)m.n_cell * ((double)m.rank_bins + m.S + m.max_classes + 3) * 4.0;
    if (opt->sobol) bytes += (double)m.n_cell * 2 * (opt->bootstrap + 1) * (5 + 2 * m.n_f) * 8.0;
    if (rc == TS_OK && bytes * (opt->threads + 1) > 4e9)
        rc = ts_fail(err, TS_EUSAGE, NULL, 0,
                     "the analysis would need %.1f GB of accumulators: report fewer nodes (--nodes) or fewer "
                     "bootstrap replicates",
                     bytes * (opt->threads + 1) / 1e9);
    ts_ua_result *r = rc == TS_OK ? ua_result_new(&m, opt->sobol) : NULL;
    if (rc == TS_OK && !r) rc = ua_oom(err);
    if (rc == TS_OK) rc = nominal_rows(&m, nom_x, nom_agg, r, err);
    free(nom_x);
    free(nom_agg);
    ts_sobol_seq *seq = NULL;
    if (rc == TS_OK && opt->sobol && !(seq = ts_sobol_seq_new(2 * m.D))) rc = ua_oom(err);
    /* the replications' time starts with the pilot's, the first of them */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == TS_OK) rc = ua_set_bins(&m, opt, r, seq, err);

    ua_run R;
    memset(&R, 0, sizeof R);
    R.m = &m;
    R.opt = opt;
    R.seq = seq;
    R.n_units_of_work = opt->n;
    R.chunk = opt->sobol ? 16 : 512;
    R.n_chunks = (opt->n + R.chunk - 1) / R.chunk;
    R.total = opt->n * (opt->sobol ? m.n_f + 2 : 1);
    int nt = opt->threads;
    double *centre = NULL;
    R.ws = calloc((size_t)nt, sizeof *R.ws);
    R.gsum = calloc((size_t)m.n_cell + 1, sizeof *R.gsum);
    if (rc == TS_OK && (!R.ws || !R.gsum)) rc = ua_oom(err);
    if (rc == TS_OK && opt->sobol) {
        /* centre the outputs on the nominal score and rank */
        centre = malloc(((size_t)m.n_cell * 2 + 1) * sizeof *centre);
        if (!centre) rc = ua_oom(err);
        for (int sl = 0; sl < m.n_slots && rc == TS_OK; sl++)
            for (int uu = 0; uu < m.n; uu++) {
                size_t c = (size_t)sl * (size_t)m.n + (size_t)uu, o = ts_ua_cell(r, m.slot_node[sl], uu);
                centre[2 * c] = r->nominal_score[o];
                centre[2 * c + 1] = r->nominal_rank[o];
            }
        if (rc == TS_OK && !(R.gsob = ts_sobol_acc_new(m.n_cell * 2, m.n_f, opt->bootstrap, opt->seed, centre)))
            rc = ua_oom(err);
    }
    for (int i = 0; i < nt && rc == TS_OK; i++)
        if (ua_ws_init(&R.ws[i], &m, 1, opt->sobol, opt->bootstrap, opt->seed, centre)) rc = ua_oom(err);
    free(centre);
    if (rc == TS_OK) {
        pthread_mutex_init(&R.lock, NULL);
        pthread_cond_init(&R.turn, NULL);
        ts_error_clear(&R.err);
        pthread_t *tid = calloc((size_t)nt, sizeof *tid);
        ua_thread *th = calloc((size_t)nt, sizeof *th);
        int started = 0;
        if (!tid || !th) rc = ua_oom(err);
        for (int i = 0; i < nt && rc == TS_OK; i++) {
            th[i] = (ua_thread){&R, &R.ws[i]};
            if (nt == 1) {
                thread_main(&th[i]);
                continue;
            }
            int prc = pthread_create(&tid[i], NULL, thread_main, &th[i]);
            if (prc != 0) {
                pthread_mutex_lock(&R.lock);
                R.failed = 1;
                R.err.code = TS_ESYSTEM;
                snprintf(R.err.message, sizeof R.err.message, "cannot start a thread: %s", ts_thread_errstr(prc));
                pthread_cond_broadcast(&R.turn);
                pthread_mutex_unlock(&R.lock);
                break;
            }
            started++;
        }
        for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
        free(tid);
        free(th);
        pthread_mutex_destroy(&R.lock);
        pthread_cond_destroy(&R.turn);
        if (rc == TS_OK && R.failed) {
            *err = R.err;
            rc = err->code ? err->code : TS_ESYSTEM;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    if (rc == TS_OK) {
        long N = opt->n * (opt->sobol ? 2 : 1);
        r->n = N;
        r->evaluations = R.total;
        r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        rc = ua_result_fill(&m, R.ws, nt, R.gsum, R.gsob, N, r, err);
    }
    if (R.ws)
        for (int i = 0; i < nt; i++) ua_ws_free(&R.ws[i]);
    free(R.ws);
    free(R.gsum);
    ts_sobol_acc_free(R.gsob);
    ts_sobol_seq_free(seq);
    ua_model_free(&m);
    if (rc != TS_OK) {
        ts_ua_result_free(r);
        return rc;
    }
    *out = r;
    return TS_OK;
}

/* Appends the parameters drawn into w for replication r as JSON. It reads
 * the draw's encoding (variant index, weight factors, data values), so it
 * sits with the engine; the store receives only the text. */
static void sample_json(const ua_model *m, const ua_ws *w, long r, ts_buf *b) {
    const ts_taxonomy *t = m->t;
    ts_buf_printf(b, "{\"replication\":%ld", r);
    int na, nt, ni, nm;
    ua_variant_choices(m, w->variant, &na, &nt, &ni, &nm);
    for (int f = 0; f < m->n_f; f++) {
        switch (m->fkind[f]) {
        case F_WEIGHTS:
            ts_buf_puts(b, ",\"weights\":{");
            for (int j = 0; j < m->n_wsel; j++) {
                if (j) ts_buf_puts(b, ",");
                ts_buf_json_string(b, t->nodes[m->wsel[j]].id);
                ts_buf_puts(b, ":");
                ts_buf_json_number(b, m->spec->weight[m->wsel[j]] * w->f[m->wsel[j]]);
            }
            ts_buf_puts(b, "}");
            break;
        case F_NORMALISE: {
            const ts_norm *norm = &m->u->norm[na];
            ts_buf_printf(b, ",\"normalise\":\"%s\"", ts_norm_name(norm->method));
            if (norm->has_range) {
                ts_buf_puts(b, ",\"normalise_range\":[");
                ts_buf_json_number(b, norm->lo);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, norm->hi);
                ts_buf_puts(b, "]");
            }
            break;
        }
        case F_AGGREGATE: ts_buf_printf(b, ",\"aggregate\":\"%s\"", ts_agg_name(m->u->agg[w->agg].method)); break;
        case F_TREAT:
            ts_buf_printf(b, ",\"treat\":\"%s\"", ts_treat_name(m->u->treat[nt].method));
            break;
        case F_IMPUTE: ts_buf_printf(b, ",\"impute\":\"%s\"", ts_impute_name(m->u->impute[ni].method)); break;
        case F_MISSING: ts_buf_printf(b, ",\"missing\":\"%s\"", ts_missing_name(&m->u->missing[nm])); break;
        case F_EXCLUDE: {
            ts_buf_puts(b, ",\"exclude\":[");
            int first = 1;
            for (int e = 0; e < m->n_excl; e++)
                if (w->f[m->excl[e]] == 0) {
                    if (!first) ts_buf_puts(b, ",");
                    first = 0;
                    ts_buf_json_string(b, t->nodes[m->excl[e]].id);
                }
            ts_buf_puts(b, "]");
            break;
        }
        case F_DATA:
            ts_buf_puts(b, ",\"data\":[");
            for (int c = 0; c < m->n_cells; c++) {
                if (c) ts_buf_puts(b, ",");
                ts_buf_puts(b, "[");
                ts_buf_json_string(b, t->nodes[t->indicator_node[m->cells[c].i]].id);
                ts_buf_puts(b, ",");
                ts_buf_json_string(b, m->s->data->unit_id[m->cells[c].u]);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, w->dval[c]);
                ts_buf_puts(b, "]");
            }
            ts_buf_puts(b, "]");
            break;
        }
    }
    ts_buf_puts(b, "}");
}

/* Returns TS_OK once every replication was passed to emit, emit's code
 * when it stops the replay, TS_ESYSTEM when out of memory, or the error
 * of building the model. */
int ts_ua_samples(const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt, ts_ua_sample_fn *emit,
                  void *ctx, ts_error *err) {
    ua_model m;
    ua_ws w;
    memset(&w, 0, sizeof w);
    /* drawing needs the factor table only, not the variants' matrices */
    int rc = ua_model_build(&m, s, u, opt, 1, err);
    ts_sobol_seq *seq = NULL;
    if (rc == TS_OK && ua_ws_init(&w, &m, 0, 0, 0, 0, NULL)) rc = ua_oom(err);
    if (rc == TS_OK && opt->sobol && !(seq = ts_sobol_seq_new(2 * m.D))) rc = ua_oom(err);
    ts_buf b = {0};
    long total = opt->sobol ? 2 * opt->n : opt->n;
    for (long r = 0; r < total && rc == TS_OK; r++) {
        /* the same uniforms as work_item: the stream of (seed, r), or
           Sobol' point r + 1 whose first D dimensions are A and next B */
        if (opt->sobol) {
            ts_sobol_seq_point(seq, (uint32_t)(r % opt->n + 1), w.uni);
            ua_draw(&m, &w, w.uni + (r < opt->n ? 0 : m.D));
        } else {
            ua_mc_uniforms(opt->seed, r, m.D, w.uni);
            ua_draw(&m, &w, w.uni);
        }
        b.len = 0;
        if (b.data) b.data[0] = '\0';
        sample_json(&m, &w, r, &b);
        if (b.oom) {
            rc = ua_oom(err);
            break;
        }
        rc = emit(ctx, r, b.data, b.len, err);
    }
    ts_buf_free(&b);
    ts_sobol_seq_free(seq);
    ua_ws_free(&w);
    ua_model_free(&m);
    return rc;
}
