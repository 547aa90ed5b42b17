/* batch.h -- scoring many scenarios into one store: worker threads load and
 * score them while the calling thread stores each run, in the order given. */
#ifndef TS_BATCH_H
#define TS_BATCH_H

#include "error.h"
#include "pipeline.h"
#include "scenario.h"
#include "store.h"

/* One scenario file to score. */
typedef struct ts_batch_input {
    const char *path;
    int from_dir; /* 1: listed from a directory, where a config file that is
                     not a scenario (a taxonomy beside the scenarios) is
                     skipped rather than failed */
    const char *read; /* where its text is: NULL for path itself, else the
                         CLI's copy of standard input (ts_scenario_load_as) */
} ts_batch_input;

typedef struct ts_batch_options {
    int threads;                      /* scoring threads (capped at the
                                         number of jobs and at 256) */
    int n_perspectives;               /* 0: one run per input; else one run
                                         per input and perspective */
    const char *const *perspectives;
    int n_set;                        /* method overrides for every run, */
    const char *const *set;           /* "KEY=VALUE" as given to --set */
    int reuse;                        /* 1: a run whose key matches a stored
                                         run is not stored again */
} ts_batch_options;

typedef enum { TS_BATCH_STORED, TS_BATCH_REUSED, TS_BATCH_FAILED, TS_BATCH_SKIPPED } ts_batch_outcome;

/* A finished job (one input under one perspective), reported in order. The
 * pointers are valid during the callback only. */
typedef struct ts_batch_job {
    int index;                        /* 0, 1, ... in the order given */
    const char *path, *perspective;   /* perspective NULL when none */
    ts_batch_outcome outcome;
    long long run_id;                 /* stored or reused: the run's id */
    const ts_scenario *s;             /* stored or reused: what was scored */
    const ts_result *r;
    const ts_error *err;              /* failed: why */
} ts_batch_job;

/* Counts so far. */
typedef struct ts_batch_stats {
    int total, done;                  /* jobs; total 0 when none was set up */
    int stored, reused, failed, skipped;
    int threads;                      /* threads started */
    double seconds_waiting;           /* the writer waiting for scores */
    double seconds_saving;            /* the writer saving runs */
} ts_batch_stats;

/* Called on the calling thread, after each job in order: job with what
 * happened to it, then progress with the counts so far. Either may be NULL. */
typedef struct ts_batch_callbacks {
    void (*job)(void *ctx, const ts_batch_job *job);
    void (*progress)(void *ctx, const ts_batch_stats *so_far);
    void *ctx;
} ts_batch_callbacks;

/* Scores every input (under every perspective) with opt's overrides in
 * opt->threads threads and saves each run in st in its own transaction,
 * in input order whatever the thread count, so run ids follow the inputs.
 * At most a few jobs per thread are held ahead of the writer, so memory
 * stays bounded. A job that fails (load, score or save) is reported with
 * its error and the others go on. Fills *stats. Returns TS_OK once every
 * job was handled, whatever their outcomes, or TS_ESYSTEM with err filled
 * when out of memory (nothing done, stats->total 0) or when no thread could
 * be started (nothing done). */
int ts_batch_run(ts_store *st, const ts_batch_input *in, int n_in, const ts_batch_options *opt,
                 const ts_batch_callbacks *cb, ts_batch_stats *stats, ts_error *err);

#endif
