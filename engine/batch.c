/* batch.c -- the batch scoring pool: workers load, score and record jobs;
 * the calling thread waits for each job in order and saves it. */
#include "batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* One scenario under one perspective. Workers fill the result fields and
 * set done; the writer consumes jobs in order. */
typedef struct job {
    const char *file, *read, *perspective; /* read: where the text is, NULL for file */
    int from_dir;
    int done, skipped;
    ts_scenario *s;
    ts_result *r;
    ts_run_record *rec;
    ts_error err;
} job;

typedef struct pool {
    const ts_batch_options *opt;
    job *jobs;
    int n, next, consumed, window, stop;
    pthread_mutex_t mu;
    pthread_cond_t done_cv, room_cv;
} pool;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads, scores and records job j (in a worker thread; no SQLite here). */
static void run_job(const ts_batch_options *opt, job *j) {
    ts_error_clear(&j->err);
    const char *persp[1] = {j->perspective};
    int n_persp = j->perspective ? 1 : 0;
    if (ts_scenario_load_as(j->file, j->read ? j->read : j->file, &j->s, &j->err) == TS_OK &&
        ts_scenario_apply_options(j->s, persp, n_persp, opt->set, opt->n_set, &j->err) != TS_OK) {
        ts_scenario_free(j->s);
        j->s = NULL;
    }
    if (!j->s) {
        /* a directory may hold taxonomy files next to its scenarios */
        int kind;
        ts_error kerr;
        if (j->from_dir && j->err.code == TS_EINPUT && ts_config_kind(j->file, &kind, &kerr) == TS_OK &&
            kind != TS_FILE_SCENARIO)
            j->skipped = 1;
        return;
    }
    if (ts_score(j->s, &j->r, &j->err) != TS_OK) return;
    ts_run_options ro = {opt->n_set, opt->set, n_persp, persp, NULL};
    ts_run_record_new(j->s, &ro, &j->rec, &j->err);
}

/* Takes the next job while it is within the window ahead of the writer. */
static void *worker(void *arg) {
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->next < p->n && p->next >= p->consumed + p->window) pthread_cond_wait(&p->room_cv, &p->mu);
        if (p->stop || p->next >= p->n) break;
        job *j = &p->jobs[p->next++];
        pthread_mutex_unlock(&p->mu);
        run_job(p->opt, j);
        pthread_mutex_lock(&p->mu);
        j->done = 1;
        pthread_cond_broadcast(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void job_clear(job *j) {
    ts_run_record_free(j->rec);
    ts_result_free(j->r);
    ts_scenario_free(j->s);
    j->rec = NULL;
    j->r = NULL;
    j->s = NULL;
}

/* Saves job j (done) and reports it. */
static void write_job(ts_store *st, const ts_batch_options *opt, const ts_batch_callbacks *cb, int index, job *j,
                      ts_batch_stats *stats) {
    ts_batch_job out = {index, j->file, j->perspective, TS_BATCH_FAILED, 0, NULL, NULL, &j->err};
    ts_error err;
    ts_error_clear(&err);
    if (j->skipped) {
        out.outcome = TS_BATCH_SKIPPED; /* not a scenario: a taxonomy beside the scenarios */
        stats->skipped++;
    } else if (!j->rec) {
        stats->failed++;
    } else {
        double t0 = now_seconds();
        int reused = 0;
        int saved = ts_store_save_record(st, j->s, j->r, j->rec, opt->reuse, &out.run_id, &reused, &err);
        stats->seconds_saving += now_seconds() - t0;
        if (saved) {
            out.err = &err;
            stats->failed++;
        } else {
            out.outcome = reused ? TS_BATCH_REUSED : TS_BATCH_STORED;
            out.s = j->s;
            out.r = j->r;
            out.err = NULL;
            if (reused) stats->reused++;
            else stats->stored++;
        }
    }
    if (cb && cb->job) cb->job(cb->ctx, &out);
}

int ts_batch_run(ts_store *st, const ts_batch_input *in, int n_in, const ts_batch_options *opt,
                 const ts_batch_callbacks *cb, ts_batch_stats *stats, ts_error *err) {
    *stats = (ts_batch_stats){0};
    int per = opt->n_perspectives ? opt->n_perspectives : 1, n = n_in * per;
    pool p = {0};
    p.opt = opt;
    p.n = n;
    p.jobs = calloc((size_t)n + 1, sizeof *p.jobs);
    if (!p.jobs) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    for (int f = 0; f < n_in; f++)
        for (int q = 0; q < per; q++) {
            job *j = &p.jobs[f * per + q];
            j->file = in[f].path;
            j->read = in[f].read;
            j->from_dir = in[f].from_dir;
            j->perspective = opt->n_perspectives ? opt->perspectives[q] : NULL;
        }
    int threads = opt->threads > 0 ? opt->threads : 1;
    if (threads > n) threads = n;
    if (threads > 256) threads = 256;
    p.window = 4 * threads + 4;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.done_cv, NULL);
    pthread_cond_init(&p.room_cv, NULL);
    pthread_t *tid = calloc((size_t)threads + 1, sizeof *tid);
    int started = 0;
    for (int t = 0; tid && t < threads; t++) {
        if (pthread_create(&tid[t], NULL, worker, &p) != 0) break;
        started++;
    }
    stats->total = n;
    stats->threads = started;
    int rc = TS_OK;
    if (started == 0) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot start threads");
    for (int i = 0; i < n && started > 0; i++) {
        job *j = &p.jobs[i];
        double t0 = now_seconds();
        pthread_mutex_lock(&p.mu);
        while (!j->done) pthread_cond_wait(&p.done_cv, &p.mu);
        pthread_mutex_unlock(&p.mu);
        stats->seconds_waiting += now_seconds() - t0;
        write_job(st, opt, cb, i, j, stats);
        job_clear(j);
        pthread_mutex_lock(&p.mu);
        p.consumed = i + 1;
        pthread_cond_broadcast(&p.room_cv);
        pthread_mutex_unlock(&p.mu);
        stats->done = i + 1;
        if (cb && cb->progress) cb->progress(cb->ctx, stats);
    }
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    free(tid);
    for (int i = 0; i < n; i++) job_clear(&p.jobs[i]);
    free(p.jobs);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.done_cv);
    pthread_cond_destroy(&p.room_cv);
    return rc;
}
