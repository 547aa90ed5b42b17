/* batch.c -- the batch scoring pool: workers load, score and record jobs;
 * the calling thread waits for each job in order and saves it. */
#include "batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* Runs saved in one transaction (each in a savepoint of its own): a
 * commit per run is most of what a small run costs the writer. */
#define RUNS_PER_COMMIT 8

/* How far the workers may run ahead of the writer: this many jobs per
 * thread (plus a few), so that they keep busy through the writer's
 * commits, but no further once the jobs waiting for it hold this many
 * cells (unit x node or indicator) between them, so that large runs are
 * not held by the dozen. */
#define AHEAD_JOBS_PER_THREAD 8
#define AHEAD_CELLS_MAX 2000000

/* Runs of at most this many score and input rows are rendered for the
 * store in the worker (a few MB of text at most). */
#define RENDER_AHEAD_CELLS 100000

/* One scenario under one perspective. Workers fill the result fields and
 * set done; the writer consumes jobs in order. */
typedef struct job {
    const char *file, *read, *perspective; /* read: where the text is, NULL for file */
    int from_dir;
    int done, skipped;
    size_t cells; /* what its result holds, once done: units x (nodes + indicators) */
    ts_scenario *s;
    ts_result *r;
    ts_run_record *rec;
    ts_error err;
    /* the writer's: what became of it, reported once its transaction is in */
    ts_batch_outcome outcome;
    long long run_id;
    ts_error save_err;
    int save_failed;
} job;

typedef struct pool {
    const ts_batch_options *opt;
    job *jobs;
    int n, next, consumed, window, stop;
    size_t held; /* the cells of jobs done and not yet consumed */
    ts_load_cache *cache;     /* the taxonomy the scenarios share, built once */
    pthread_mutex_t mu;
    pthread_cond_t done_cv, room_cv;
} pool;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads, scores and records job j (in a worker thread; no SQLite here). */
static void run_job(const ts_batch_options *opt, ts_load_cache *cache, job *j) {
    ts_error_clear(&j->err);
    const char *persp[1] = {j->perspective};
    int n_persp = j->perspective ? 1 : 0;
    if (ts_scenario_load_cached(j->file, j->read ? j->read : j->file, cache, &j->s, &j->err) == TS_OK &&
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
    j->cells = (size_t)j->s->data->n_units * (size_t)(j->s->tax->n_nodes + j->s->tax->n_indicators);
    if (ts_score(j->s, &j->r, &j->err) != TS_OK) return;
    ts_run_options ro = {opt->n_set, opt->set, n_persp, persp, NULL};
    if (ts_run_record_new(j->s, &ro, &j->rec, &j->err) != TS_OK) return;
    /* the writer is the batch's limit: it gets the rows as text to store.
       A large run is rendered by the writer a unit at a time instead, so
       that a job waiting for it holds no copy of its rows */
    if (j->cells <= RENDER_AHEAD_CELLS && ts_run_record_render_rows(j->rec, j->s, j->r, &j->err) != TS_OK) {
        ts_run_record_free(j->rec);
        j->rec = NULL;
    }
}

/* Returns 1 when a worker may take the next job (under p->mu): it is
 * within the window ahead of the writer, and the jobs waiting hold few
 * cells or the writer waits for this very job. */
static int room_ahead(const pool *p) {
    return p->next < p->consumed + p->window && (p->held <= AHEAD_CELLS_MAX || p->next == p->consumed);
}

/* Takes the next job while there is room ahead of the writer. */
static void *worker(void *arg) {
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->next < p->n && !room_ahead(p)) pthread_cond_wait(&p->room_cv, &p->mu);
        if (p->stop || p->next >= p->n) break;
        job *j = &p->jobs[p->next++];
        pthread_mutex_unlock(&p->mu);
        run_job(p->opt, p->cache, j);
        pthread_mutex_lock(&p->mu);
        j->done = 1;
        p->held += j->cells;
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

/* Saves job j (done) in the writer's open transaction, if any, and
 * records its outcome for the report. */
static void save_job(ts_store *st, const ts_batch_options *opt, job *j, ts_batch_stats *stats) {
    ts_error_clear(&j->save_err);
    j->outcome = TS_BATCH_FAILED;
    j->save_failed = 0;
    if (j->skipped) {
        j->outcome = TS_BATCH_SKIPPED; /* not a scenario: a taxonomy beside the scenarios */
        stats->skipped++;
    } else if (!j->rec) {
        stats->failed++;
    } else {
        double t0 = now_seconds();
        int reused = 0;
        int saved = ts_store_save_record(st, j->s, j->r, j->rec, opt->reuse, &j->run_id, &reused, &j->save_err);
        stats->seconds_saving += now_seconds() - t0;
        if (saved) {
            j->save_failed = 1;
            stats->failed++;
        } else {
            j->outcome = reused ? TS_BATCH_REUSED : TS_BATCH_STORED;
            if (reused) stats->reused++;
            else stats->stored++;
        }
    }
}

/* Reports job j, saved, as job index. */
static void report_job(const ts_batch_callbacks *cb, int index, job *j) {
    ts_batch_job out = {index, j->file, j->perspective, j->outcome, 0, NULL, NULL, &j->err};
    if (j->outcome == TS_BATCH_STORED || j->outcome == TS_BATCH_REUSED) {
        out.run_id = j->run_id;
        out.s = j->s;
        out.r = j->r;
        out.err = NULL;
    } else if (j->save_failed) {
        out.err = &j->save_err;
    }
    if (cb && cb->job) cb->job(cb->ctx, &out);
}

/* Reports jobs [first, last) in order (their transaction is in), frees
 * them and lets the workers go on past them. Returns last. */
static int report_jobs(pool *p, const ts_batch_callbacks *cb, int first, int last, ts_batch_stats *stats) {
    size_t cells = 0;
    for (int k = first; k < last; k++) {
        report_job(cb, k, &p->jobs[k]);
        job_clear(&p->jobs[k]);
        cells += p->jobs[k].cells;
        stats->done = k + 1;
        if (cb && cb->progress) cb->progress(cb->ctx, stats);
    }
    pthread_mutex_lock(&p->mu);
    p->consumed = last;
    p->held -= cells;
    pthread_cond_broadcast(&p->room_cv);
    pthread_mutex_unlock(&p->mu);
    return last;
}

/* Ends the writer's transaction over jobs [first, last): commits it, or
 * when the commit fails turns its saved runs into failures with the
 * commit's error. Cannot fail. */
static void end_group(ts_store *st, job *jobs, int first, int last, ts_batch_stats *stats) {
    ts_error err;
    ts_error_clear(&err);
    double t0 = now_seconds();
    int rc = ts_store_commit(st, &err);
    stats->seconds_saving += now_seconds() - t0;
    if (rc == TS_OK) return;
    for (int i = first; i < last; i++) {
        job *j = &jobs[i];
        if (j->outcome != TS_BATCH_STORED && j->outcome != TS_BATCH_REUSED) continue;
        if (j->outcome == TS_BATCH_STORED) stats->stored--;
        else stats->reused--;
        stats->failed++;
        j->outcome = TS_BATCH_FAILED;
        j->save_failed = 1;
        j->save_err = err;
    }
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
    if (ts_load_cache_new(0, &p.cache, err)) {
        free(p.jobs);
        return TS_ESYSTEM;
    }
    int threads = opt->threads > 0 ? opt->threads : 1;
    if (threads > n) threads = n;
    if (threads > 256) threads = 256;
    p.window = AHEAD_JOBS_PER_THREAD * threads + 16;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.done_cv, NULL);
    pthread_cond_init(&p.room_cv, NULL);
    pthread_t *tid = calloc((size_t)threads + 1, sizeof *tid);
    int started = 0, prc = 0;
    for (int t = 0; tid && t < threads; t++) {
        if ((prc = pthread_create(&tid[t], NULL, worker, &p)) != 0) break;
        started++;
    }
    stats->total = n;
    stats->threads = started;
    int rc = TS_OK;
    if (!tid) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else if (started == 0) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot start threads: %s", ts_thread_errstr(prc));
    /* the writer skips the foreign-key checks: it inserts the rows of a run
       only after the run itself, in the same transaction, and deletes
       nothing, so there is no reference to check and no cascade to run */
    int fk_off = started > 0 && ts_store_foreign_keys(st, 0, err) == TS_OK;
    /* a few jobs per transaction, fewer than the workers may run ahead */
    int group = RUNS_PER_COMMIT < p.window / 2 ? RUNS_PER_COMMIT : p.window / 2 > 0 ? p.window / 2 : 1;
    int first = 0, in_group = 0; /* jobs [first, i) wait for the commit to be reported */
    for (int i = 0; i < n && started > 0; i++) {
        job *j = &p.jobs[i];
        double t0 = now_seconds();
        pthread_mutex_lock(&p.mu);
        int ready = j->done;
        pthread_mutex_unlock(&p.mu);
        if (!ready && in_group) {
            /* nothing to save meanwhile: commit rather than hold the lock */
            end_group(st, p.jobs, first, i, stats);
            in_group = 0;
            first = report_jobs(&p, cb, first, i, stats);
        }
        pthread_mutex_lock(&p.mu);
        while (!j->done) pthread_cond_wait(&p.done_cv, &p.mu);
        pthread_mutex_unlock(&p.mu);
        stats->seconds_waiting += now_seconds() - t0;
        if (!in_group && j->rec && !j->skipped) {
            ts_error berr;
            in_group = ts_store_begin(st, 0, &berr) == TS_OK; /* else the run takes its own */
        }
        save_job(st, opt, j, stats);
        if (in_group && i + 1 - first < group && i + 1 < n) continue;
        if (in_group) end_group(st, p.jobs, first, i + 1, stats);
        in_group = 0;
        first = report_jobs(&p, cb, first, i + 1, stats);
    }
    if (fk_off) ts_store_foreign_keys(st, 1, err);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    free(tid);
    for (int i = 0; i < n; i++) job_clear(&p.jobs[i]);
    free(p.jobs);
    ts_load_cache_free(p.cache); /* after the scenarios that borrow from it */
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.done_cv);
    pthread_cond_destroy(&p.room_cv);
    return rc;
}
