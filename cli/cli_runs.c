/* cli_runs.c -- the commands that work on many runs and on the run store:
 * batch (parallel scoring), compare, export, rescore and watch. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "pipeline.h"
#include "report.h"
#include "scenario.h"
#include "sha256.h"
#include "store.h"
#include "trace.h"

typedef struct cli {
    FILE *out, *errs;
    const char *prog;
} cli;

/* ---- shared helpers ------------------------------------------------------ */


static int print_error(cli *c, const ts_error *err) {
    return ts_print_error(c->errs, c->prog, err);
}

static int usage_error(cli *c, const char *usage, const char *fmt, const char *arg) {
    return ts_usage_error(c->errs, c->prog, usage, fmt, arg);
}

/* Parses a positive integer option value; returns it, or -1. */
static long parse_count(const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 1000000000L) return -1;
    return n;
}

/* Opens an existing store (a missing file is bad input, not a new store). */
static int open_existing(cli *c, const char *db, ts_store **st) {
    *st = NULL;
    if (access(db, F_OK) != 0) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, db, strerror(errno));
        return EXIT_INPUT;
    }
    ts_error err;
    ts_error_clear(&err);
    if (ts_store_open(db, st, &err)) return print_error(c, &err);
    return EXIT_OK;
}

/* Opens the store db and reads the run named by spec (an id or a scenario
 * name) into *r, with its id in *id; the store stays open in *st. Returns
 * EXIT_OK, or an exit status after printing the error (nothing left open). */
static int load_run(cli *c, const char *db, const char *spec, ts_store **st, long long *id, ts_stored_run **r) {
    *r = NULL;
    int rc = open_existing(c, db, st);
    if (rc) return rc;
    ts_error err;
    ts_error_clear(&err);
    if (ts_store_resolve_run(*st, spec, id, &err) || !(*r = ts_store_load_run(*st, *id, &err))) {
        rc = print_error(c, &err);
        ts_stored_run_free(*r);
        *r = NULL;
        ts_store_close(*st);
        *st = NULL;
    }
    return rc;
}

/* The command's output: stdout, or -o FILE written whole or not at all. */
static FILE *open_output(cli *c, const char *path, ts_outfile *o) {
    return ts_open_output(c->out, c->errs, c->prog, path, o);
}

static int close_output(cli *c, FILE *f, const char *path, ts_outfile *o, int ok) {
    return ts_close_output(c->errs, c->prog, f, path, o, ok);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads a scenario and applies perspectives then --set overrides, as
 * `score` does. Returns the scenario, or NULL with err filled (a bad
 * --set is TS_EUSAGE). */
static ts_scenario *load_scenario(const char *path, const char *const *persp, int n_persp, const char *const *set,
                                  int n_set, ts_error *err) {
    ts_scenario *s = ts_scenario_load(path, err);
    for (int i = 0; s && i < n_persp; i++)
        if (ts_scenario_apply_perspective(s, persp[i], err)) {
            ts_scenario_free(s);
            s = NULL;
        }
    for (int i = 0; s && i < n_set; i++) {
        const char *eq = strchr(set[i], '=');
        char key[128], where[300];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - set[i]) : 0, set[i]);
        snprintf(where, sizeof where, "--set %s", set[i]);
        if (!eq || ts_scenario_set(s, key, eq + 1, where, err)) {
            if (!eq) ts_fail(err, TS_EUSAGE, NULL, 0, "--set takes KEY=VALUE, not '%s'", set[i]);
            else err->code = TS_EUSAGE;
            ts_scenario_free(s);
            s = NULL;
        }
    }
    return s;
}

/* ---- batch ------------------------------------------------------------- */

static const char USAGE_BATCH[] =
    "usage: threatscore batch SCENARIO_OR_DIR... --db FILE [options]\n"
    "\n"
    "Scores every scenario (a directory stands for its *.cfg scenario files,\n"
    "in name order) in parallel and stores each run in FILE in its own\n"
    "transaction, in the order given. A failing scenario is reported and the\n"
    "others are still stored; exit status 1 when any failed.\n"
    "\n"
    "A scenario whose inputs are unchanged since a stored run (same engine,\n"
    "file, name, taxonomy, data, values, methods and options: the run key) is\n"
    "not stored again: batch reports \"unchanged, run N reused\".\n"
    "\n"
    "options:\n"
    "  --db FILE            the store (created when absent)\n"
    "  -j N, --jobs N       score with N threads (default: the number of CPUs)\n"
    "  --perspective NAME   score each scenario under the taxonomy's weight\n"
    "                       profile NAME; repeat for one run per perspective\n"
    "  --set KEY=VALUE      override a method for every node (see score --help)\n"
    "  --force              store a new run even when an unchanged one exists\n"
    "  -q, --quiet          print no rankings, only errors and the summary\n"
    "  --timing             also report the writer's time saving and waiting\n"
    "  --progress, --no-progress  show or hide the progress bar (default: shown\n"
    "                       when stderr is a terminal)\n";

static int has_cfg_suffix(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".cfg") == 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A list of malloc'd strings. */
typedef struct strlist {
    char **v;
    int n, cap;
} strlist;

static int strlist_add(strlist *l, char *s) {
    if (!s) return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(s);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

static void strlist_free(strlist *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Appends the file arg, or a directory's *.cfg files in name order. Marks
 * entries from directories in *from_dir (bitmap by index). Returns 0 or an
 * exit status. */
static int collect(cli *c, const char *arg, strlist *files, strlist *dir_flags) {
    struct stat sb;
    if (stat(arg, &sb) != 0) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, arg, strerror(errno));
        return EXIT_INPUT;
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (strlist_add(files, strdup(arg)) || strlist_add(dir_flags, strdup("f"))) goto oom;
        return EXIT_OK;
    }
    DIR *dir = opendir(arg);
    if (!dir) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, arg, strerror(errno));
        return EXIT_INPUT;
    }
    strlist found = {0};
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!has_cfg_suffix(e->d_name)) continue;
        size_t len = strlen(arg) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (path) snprintf(path, len, "%s/%s", arg, e->d_name);
        if (strlist_add(&found, path)) {
            closedir(dir);
            strlist_free(&found);
            goto oom;
        }
    }
    closedir(dir);
    if (found.n) qsort(found.v, (size_t)found.n, sizeof *found.v, cmp_str);
    for (int i = 0; i < found.n; i++) {
        if (strlist_add(files, found.v[i]) || strlist_add(dir_flags, strdup("d"))) {
            for (int j = i + 1; j < found.n; j++) free(found.v[j]);
            free(found.v);
            goto oom;
        }
    }
    free(found.v);
    return EXIT_OK;
oom:
    fprintf(c->errs, "%s: out of memory\n", c->prog);
    return EXIT_SYSTEM;
}

/* One scenario (under one perspective) to score. Workers fill the result
 * fields and set done; the writer (the calling thread) consumes jobs in
 * order, so run ids follow the order of the command line whatever -j. */
typedef struct job {
    const char *file, *perspective;
    int from_dir;
    int done, skipped;
    ts_scenario *s;
    ts_result *r;
    ts_run_record *rec;
    ts_error err;
} job;

typedef struct batch {
    cli *c;
    job *jobs;
    int n, next, consumed, window, stop;
    const char *const *set;
    int n_set, print_tables;
    pthread_mutex_t mu;
    pthread_cond_t done_cv, room_cv;
} batch;

/* Loads, scores and records job j (in a worker thread; no SQLite here). */
static void run_job(batch *b, job *j) {
    ts_error_clear(&j->err);
    const char *persp[1] = {j->perspective};
    j->s = load_scenario(j->file, persp, j->perspective ? 1 : 0, b->set, b->n_set, &j->err);
    if (!j->s) {
        /* a directory may hold taxonomy files next to its scenarios */
        int kind;
        ts_error kerr;
        if (j->from_dir && j->err.code == TS_EINPUT && ts_config_kind(j->file, &kind, &kerr) == TS_OK &&
            kind != TS_FILE_SCENARIO)
            j->skipped = 1;
        return;
    }
    if (!(j->r = ts_score(j->s, &j->err))) return;
    ts_run_options opt = {b->n_set, b->set, j->perspective ? 1 : 0, persp, NULL};
    j->rec = ts_run_record_new(j->s, &opt, &j->err);
}

static void *worker(void *arg) {
    batch *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->stop && b->next < b->n && b->next >= b->consumed + b->window) pthread_cond_wait(&b->room_cv, &b->mu);
        if (b->stop || b->next >= b->n) break;
        job *j = &b->jobs[b->next++];
        pthread_mutex_unlock(&b->mu);
        run_job(b, j);
        pthread_mutex_lock(&b->mu);
        j->done = 1;
        pthread_cond_broadcast(&b->done_cv);
    }
    pthread_mutex_unlock(&b->mu);
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

/* The progress bar, drawn on stderr when it is a terminal. */
typedef struct progress {
    FILE *f;
    int on, shown, total;
    double start, last;
} progress;

static void progress_clear(progress *p) {
    if (p->on && p->shown) {
        fputs("\r\033[K", p->f);
        p->shown = 0;
    }
}

static void progress_draw(progress *p, int done, int stored, int reused, int failed, int force) {
    if (!p->on) return;
    double t = now_seconds();
    if (!force && t - p->last < 0.1) return;
    p->last = t;
    int width = 30, fill = p->total ? (int)((long long)done * width / p->total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double el = t - p->start;
    fprintf(p->f, "\r\033[K[%s] %d/%d  %d stored, %d reused, %d failed  %.1f s", bar, done, p->total, stored, reused,
            failed, el);
    if (el > 0.5 && done > 0 && done < p->total) fprintf(p->f, ", %.0f s left", el / done * (p->total - done));
    fflush(p->f);
    p->shown = 1;
}

int ts_cli_batch(int argc, char **argv, FILE *out, FILE *errs) {
    cli cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL;
    int quiet = 0, force = 0, timing = 0, progress_mode = -1, rc = EXIT_OK;
    long jobs_n = 0;
    strlist files = {0}, dir_flags = {0};
    const char **set = calloc((size_t)argc + 1, sizeof *set), **persp = calloc((size_t)argc + 1, sizeof *persp);
    int n_set = 0, n_persp = 0;
    if (!set || !persp) {
        free(set), free(persp);
        fprintf(errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_BATCH, out);
            goto done;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-j", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--jobs", &missing))) {
            if ((jobs_n = parse_count(v)) < 0) rc = usage_error(c, USAGE_BATCH, "-j takes a positive count, not '%s'", v);
        } else if (strncmp(argv[i], "-j", 2) == 0 && argv[i][2] >= '0' && argv[i][2] <= '9') {
            if ((jobs_n = parse_count(argv[i] + 2)) < 0)
                rc = usage_error(c, USAGE_BATCH, "-j takes a positive count, not '%s'", argv[i] + 2);
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (strcmp(argv[i], "--timing") == 0) {
            timing = 1;
        } else if (strcmp(argv[i], "--progress") == 0) {
            progress_mode = 1;
        } else if (strcmp(argv[i], "--no-progress") == 0) {
            progress_mode = 0;
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            if (!strchr(v, '=') || v[0] == '=') rc = usage_error(c, USAGE_BATCH, "--set takes KEY=VALUE, not '%s'", v);
            else set[n_set++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--perspective", &missing))) {
            persp[n_persp++] = v;
        } else if (missing) {
            rc = usage_error(c, USAGE_BATCH, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = usage_error(c, USAGE_BATCH, "unknown option '%s'", argv[i]);
        } else {
            rc = collect(c, argv[i], &files, &dir_flags);
        }
    }
    if (rc == EXIT_OK && !db) rc = usage_error(c, USAGE_BATCH, "batch needs --db %s", "FILE");
    if (rc == EXIT_OK && files.n == 0) rc = usage_error(c, USAGE_BATCH, "batch needs at least one %s", "SCENARIO");
    if (rc != EXIT_OK) goto done;

    ts_error err;
    ts_error_clear(&err);
    ts_store *st;
    if (ts_store_open(db, &st, &err)) {
        rc = print_error(c, &err);
        goto done;
    }
    int per = n_persp ? n_persp : 1, n = files.n * per;
    batch b = {0};
    b.c = c;
    b.n = n;
    b.set = set;
    b.n_set = n_set;
    b.print_tables = !quiet;
    b.jobs = calloc((size_t)n, sizeof *b.jobs);
    if (!b.jobs) {
        ts_store_close(st);
        fprintf(errs, "%s: out of memory\n", c->prog);
        rc = EXIT_SYSTEM;
        goto done;
    }
    for (int f = 0; f < files.n; f++)
        for (int p = 0; p < per; p++) {
            job *j = &b.jobs[f * per + p];
            j->file = files.v[f];
            j->from_dir = dir_flags.v[f][0] == 'd';
            j->perspective = n_persp ? persp[p] : NULL;
        }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = (int)(jobs_n > 0 ? jobs_n : ncpu > 0 ? ncpu : 1);
    if (threads > n) threads = n;
    if (threads > 256) threads = 256;
    b.window = 4 * threads + 4;
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.done_cv, NULL);
    pthread_cond_init(&b.room_cv, NULL);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    int started = 0;
    for (int t = 0; tid && t < threads; t++) {
        if (pthread_create(&tid[t], NULL, worker, &b) != 0) break;
        started++;
    }
    progress pr = {errs, progress_mode < 0 ? isatty(fileno(errs)) : progress_mode, 0, n, now_seconds(), 0};
    int stored = 0, reused = 0, failed = 0, worst = EXIT_OK, printed = 0;
    double t_wait = 0, t_save = 0; /* the writer's time waiting for scores and saving runs */
    if (started == 0) {
        fprintf(errs, "%s: cannot start threads\n", c->prog);
        worst = EXIT_SYSTEM;
        b.stop = 1;
    }
    for (int i = 0; i < n && started > 0; i++) {
        job *j = &b.jobs[i];
        double t0 = now_seconds();
        pthread_mutex_lock(&b.mu);
        while (!j->done) pthread_cond_wait(&b.done_cv, &b.mu);
        pthread_mutex_unlock(&b.mu);
        double t1 = now_seconds();
        t_wait += t1 - t0;
        if (j->skipped) {
            /* not a scenario: a taxonomy beside the scenarios */
        } else if (!j->rec) {
            progress_clear(&pr);
            int one = print_error(c, &j->err);
            if (one > worst) worst = one;
            failed++;
        } else {
            long long run_id = 0;
            int was_reused = 0;
            int saved = ts_store_save_record(st, j->s, j->r, j->rec, !force, &run_id, &was_reused, &err);
            t_save += now_seconds() - t1;
            if (saved) {
                progress_clear(&pr);
                int one = print_error(c, &err);
                if (one > worst) worst = one;
                failed++;
            } else {
                if (was_reused) reused++;
                else stored++;
                if (was_reused && !quiet) {
                    progress_clear(&pr);
                    fprintf(errs, "%s: %s%s%s%s: unchanged, run %lld reused\n", c->prog, j->file,
                            j->perspective ? " (perspective " : "", j->perspective ? j->perspective : "",
                            j->perspective ? ")" : "", run_id);
                }
                if (b.print_tables) {
                    progress_clear(&pr);
                    if (printed++) fputc('\n', out);
                    if (ts_report_write(out, TS_FORMAT_TABLE, j->s, j->r, run_id, &err)) {
                        int one = print_error(c, &err);
                        if (one > worst) worst = one;
                    }
                    fflush(out);
                }
            }
        }
        job_clear(j);
        pthread_mutex_lock(&b.mu);
        b.consumed = i + 1;
        pthread_cond_broadcast(&b.room_cv);
        pthread_mutex_unlock(&b.mu);
        progress_draw(&pr, i + 1, stored, reused, failed, i + 1 == n);
    }
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    free(tid);
    progress_clear(&pr);
    for (int i = 0; i < n; i++) job_clear(&b.jobs[i]);
    free(b.jobs);
    pthread_mutex_destroy(&b.mu);
    pthread_cond_destroy(&b.done_cv);
    pthread_cond_destroy(&b.room_cv);
    ts_store_close(st);
    double el = now_seconds() - pr.start;
    fprintf(errs, "%s: batch: %d run%s stored in %s, %d unchanged (reused), %d failed; %.2f s, %.0f runs/s, %d thread%s\n",
            c->prog, stored, stored == 1 ? "" : "s", db, reused, failed, el, el > 0 ? (stored + reused) / el : 0.0,
            started, started == 1 ? "" : "s");
    if (timing)
        fprintf(errs, "%s: batch: writer %.3f s saving (%.3f ms a run), %.3f s waiting for scoring threads\n", c->prog,
                t_save, stored + reused ? 1e3 * t_save / (stored + reused) : 0.0, t_wait);
    rc = worst;
done:
    strlist_free(&files);
    strlist_free(&dir_flags);
    free(set);
    free(persp);
    return rc;
}

/* ---- compare ----------------------------------------------------------- */

static const char USAGE_COMPARE[] =
    "usage: threatscore compare --db FILE RUN RUN... [--node NODE] [--format table|csv|json] [-o FILE]\n"
    "\n"
    "Compares stored runs. A RUN is a run id or a scenario name (its latest\n"
    "run). Units and nodes are matched by id.\n"
    "\n"
    "Two runs: one row per node and unit (every node, or only --node) with\n"
    "score A, score B, delta (B - A), rank A, rank B, rank change (rank A -\n"
    "rank B: +2 = two places closer to rank 1) and the classes A and B.\n"
    "\n"
    "Three or more runs: a units x runs matrix of scores and ranks at one\n"
    "node (--node, default the index).\n";

/* A loaded run for comparison. */
typedef struct cmp_run {
    long long id;
    ts_stored_run *r;
} cmp_run;

static void fmt_num(ts_buf *b, double x) {
    char num[40];
    ts_buf_puts(b, ts_fmt_double(num, sizeof num, x));
}

static void json_num(ts_buf *b, double x) {
    ts_buf_json_number(b, x);
}

static void json_str_or_null(ts_buf *b, const char *s) {
    if (s) ts_buf_json_string(b, s);
    else ts_buf_puts(b, "null");
}

static void json_int_or_null(ts_buf *b, int x) {
    if (x) ts_buf_printf(b, "%d", x);
    else ts_buf_puts(b, "null");
}

/* Sort key for two-run rows: rank in B, then rank in A, then unit order. */
typedef struct pair_row {
    int ua, ub; /* unit index in run A / B, -1 when absent */
    int rank_a, rank_b, order;
} pair_row;

static int cmp_pair_row(const void *x, const void *y) {
    const pair_row *a = x, *b = y;
    int ka = a->rank_b ? a->rank_b : 1 << 30, kb = b->rank_b ? b->rank_b : 1 << 30;
    if (ka != kb) return ka < kb ? -1 : 1;
    ka = a->rank_a ? a->rank_a : 1 << 30, kb = b->rank_a ? b->rank_a : 1 << 30;
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->order - b->order;
}

/* Writes the two-run comparison. */
static int compare_two(cli *c, FILE *f, ts_format fmt, const cmp_run *A, const cmp_run *B, const char *node) {
    const ts_stored_run *a = A->r, *b = B->r;
    ts_buf o = {0};
    int n_units = a->n_units + b->n_units;
    pair_row *rows = calloc((size_t)n_units + 1, sizeof *rows);
    const char **node_ids = calloc((size_t)(a->n_nodes + b->n_nodes) + 1, sizeof *node_ids);
    if (!rows || !node_ids) {
        free(rows), free(node_ids);
        fprintf(c->errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    int nn = 0;
    for (int k = 0; k < a->n_nodes; k++) node_ids[nn++] = a->nodes[k].id;
    for (int k = 0; k < b->n_nodes; k++)
        if (ts_stored_run_node(a, b->nodes[k].id) < 0) node_ids[nn++] = b->nodes[k].id;
    if (node) {
        int found = 0;
        for (int k = 0; k < nn && !found; k++) found = strcmp(node_ids[k], node) == 0;
        if (!found) {
            const char *hint = ts_suggest(node, node_ids, (size_t)nn);
            fprintf(c->errs, "%s: unknown node '%s' in runs %lld and %lld%s%s%s\n", c->prog, node, A->id, B->id,
                    hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
            free(rows), free(node_ids);
            return EXIT_INPUT;
        }
        node_ids[0] = node;
        nn = 1;
    }
    if (fmt == TS_FORMAT_TABLE) {
        ts_buf_printf(&o, "A: run %lld  %s  (%s)\nB: run %lld  %s  (%s)\n\n", A->id, a->info.scenario,
                      a->info.created_at, B->id, b->info.scenario, b->info.created_at);
        ts_buf_printf(&o, "%-20s %-10s %10s %10s %10s %6s %6s %6s  %s\n", "node", "unit", "score A", "score B", "delta",
                      "rank A", "rank B", "change", "class A -> B");
    } else if (fmt == TS_FORMAT_CSV) {
        ts_buf_puts(&o, "node,unit,unit_name,score_a,score_b,delta,rank_a,rank_b,rank_change,class_a,class_b,"
                        "class_changed\n");
    } else {
        ts_buf_printf(&o, "{\"runs\":[{\"id\":%lld,\"scenario\":", A->id);
        ts_buf_json_string(&o, a->info.scenario);
        ts_buf_puts(&o, ",\"created_at\":");
        ts_buf_json_string(&o, a->info.created_at);
        ts_buf_printf(&o, "},{\"id\":%lld,\"scenario\":", B->id);
        ts_buf_json_string(&o, b->info.scenario);
        ts_buf_puts(&o, ",\"created_at\":");
        ts_buf_json_string(&o, b->info.created_at);
        ts_buf_puts(&o, "}],\"rows\":[");
    }
    int first = 1;
    for (int j = 0; j < nn; j++) {
        int ka = ts_stored_run_node(a, node_ids[j]), kb = ts_stored_run_node(b, node_ids[j]);
        int m = 0;
        for (int u = 0; u < a->n_units; u++) rows[m++] = (pair_row){u, ts_stored_run_unit(b, a->unit_id[u]), 0, 0, m};
        for (int u = 0; u < b->n_units; u++)
            if (ts_stored_run_unit(a, b->unit_id[u]) < 0) rows[m++] = (pair_row){-1, u, 0, 0, m};
        for (int i = 0; i < m; i++) {
            if (rows[i].ua >= 0 && ka >= 0) rows[i].rank_a = a->rank[(size_t)rows[i].ua * (size_t)a->n_nodes + (size_t)ka];
            if (rows[i].ub >= 0 && kb >= 0) rows[i].rank_b = b->rank[(size_t)rows[i].ub * (size_t)b->n_nodes + (size_t)kb];
        }
        qsort(rows, (size_t)m, sizeof *rows, cmp_pair_row);
        for (int i = 0; i < m; i++) {
            const pair_row *pr = &rows[i];
            size_t ca = pr->ua >= 0 && ka >= 0 ? (size_t)pr->ua * (size_t)a->n_nodes + (size_t)ka : (size_t)-1;
            size_t cb = pr->ub >= 0 && kb >= 0 ? (size_t)pr->ub * (size_t)b->n_nodes + (size_t)kb : (size_t)-1;
            double sa = ca != (size_t)-1 ? a->score[ca] : NAN, sb = cb != (size_t)-1 ? b->score[cb] : NAN;
            const char *cla = ca != (size_t)-1 ? a->cls[ca] : NULL, *clb = cb != (size_t)-1 ? b->cls[cb] : NULL;
            const char *uid = pr->ua >= 0 ? a->unit_id[pr->ua] : b->unit_id[pr->ub];
            const char *uname = pr->ua >= 0 ? a->unit_name[pr->ua] : b->unit_name[pr->ub];
            double delta = sb - sa;
            int has_change = pr->rank_a && pr->rank_b, change = pr->rank_a - pr->rank_b;
            int class_changed = (cla == NULL) != (clb == NULL) || (cla && clb && strcmp(cla, clb) != 0);
            if (fmt == TS_FORMAT_TABLE) {
                char sa_s[32] = "-", sb_s[32] = "-", d_s[32] = "-", ra[16] = "-", rb[16] = "-", ch[16] = "";
                if (!isnan(sa)) snprintf(sa_s, sizeof sa_s, "%.4f", sa);
                if (!isnan(sb)) snprintf(sb_s, sizeof sb_s, "%.4f", sb);
                if (!isnan(delta)) snprintf(d_s, sizeof d_s, "%+.4f", delta);
                if (pr->rank_a) snprintf(ra, sizeof ra, "%d", pr->rank_a);
                if (pr->rank_b) snprintf(rb, sizeof rb, "%d", pr->rank_b);
                if (has_change && change) snprintf(ch, sizeof ch, "%+d", change);
                ts_buf_printf(&o, "%-20.20s %-10.10s %10s %10s %10s %6s %6s %6s  %s%s%s\n", node_ids[j], uid, sa_s, sb_s,
                              d_s, ra, rb, ch, cla ? cla : "-", class_changed ? " -> " : "",
                              class_changed ? (clb ? clb : "-") : "");
            } else if (fmt == TS_FORMAT_CSV) {
                ts_csv_field(&o, node_ids[j]);
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, uid);
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, uname);
                ts_buf_puts(&o, ",");
                fmt_num(&o, sa);
                ts_buf_puts(&o, ",");
                fmt_num(&o, sb);
                ts_buf_puts(&o, ",");
                fmt_num(&o, delta);
                ts_buf_puts(&o, ",");
                if (pr->rank_a) ts_buf_printf(&o, "%d", pr->rank_a);
                ts_buf_puts(&o, ",");
                if (pr->rank_b) ts_buf_printf(&o, "%d", pr->rank_b);
                ts_buf_puts(&o, ",");
                if (has_change) ts_buf_printf(&o, "%d", change);
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, cla ? cla : "");
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, clb ? clb : "");
                ts_buf_printf(&o, ",%d\n", class_changed);
            } else {
                ts_buf_puts(&o, first ? "\n{\"node\":" : ",\n{\"node\":");
                ts_buf_json_string(&o, node_ids[j]);
                ts_buf_puts(&o, ",\"unit\":");
                ts_buf_json_string(&o, uid);
                ts_buf_puts(&o, ",\"unit_name\":");
                ts_buf_json_string(&o, uname);
                ts_buf_puts(&o, ",\"score_a\":");
                json_num(&o, sa);
                ts_buf_puts(&o, ",\"score_b\":");
                json_num(&o, sb);
                ts_buf_puts(&o, ",\"delta\":");
                json_num(&o, delta);
                ts_buf_puts(&o, ",\"rank_a\":");
                json_int_or_null(&o, pr->rank_a);
                ts_buf_puts(&o, ",\"rank_b\":");
                json_int_or_null(&o, pr->rank_b);
                ts_buf_puts(&o, ",\"rank_change\":");
                if (has_change) ts_buf_printf(&o, "%d", change);
                else ts_buf_puts(&o, "null");
                ts_buf_puts(&o, ",\"class_a\":");
                json_str_or_null(&o, cla);
                ts_buf_puts(&o, ",\"class_b\":");
                json_str_or_null(&o, clb);
                ts_buf_printf(&o, ",\"class_changed\":%s}", class_changed ? "true" : "false");
            }
            first = 0;
        }
        if (o.len > 1 << 16) {
            fwrite(o.data, 1, o.len, f);
            o.len = 0;
        }
    }
    if (fmt == TS_FORMAT_JSON) ts_buf_puts(&o, "\n]}\n");
    int rc = o.oom ? EXIT_SYSTEM : EXIT_OK;
    if (o.len && fwrite(o.data, 1, o.len, f) != o.len) rc = EXIT_SYSTEM;
    if (rc) fprintf(c->errs, "%s: cannot write the comparison\n", c->prog);
    ts_buf_free(&o);
    free(rows);
    free(node_ids);
    return rc;
}

/* Writes the units x runs matrix at node. */
static int compare_matrix(cli *c, FILE *f, ts_format fmt, const cmp_run *runs, int n, const char *node) {
    const ts_stored_run *a = runs[0].r;
    const char *nid = node ? node : (a->n_nodes ? a->nodes[0].id : "");
    int *k = calloc((size_t)n, sizeof *k);
    int total = 0;
    for (int r = 0; r < n; r++) total += runs[r].r->n_units;
    const char **uid = calloc((size_t)total + 1, sizeof *uid), **uname = calloc((size_t)total + 1, sizeof *uname);
    if (!k || !uid || !uname) {
        free(k), free(uid), free(uname);
        fprintf(c->errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    int any = 0;
    for (int r = 0; r < n; r++) any |= (k[r] = ts_stored_run_node(runs[r].r, nid)) >= 0;
    if (!any) {
        fprintf(c->errs, "%s: unknown node '%s' in the runs compared\n", c->prog, nid);
        free(k), free(uid), free(uname);
        return EXIT_INPUT;
    }
    int m = 0;
    for (int r = 0; r < n; r++)
        for (int u = 0; u < runs[r].r->n_units; u++) {
            int seen = 0;
            for (int i = 0; i < m && !seen; i++) seen = strcmp(uid[i], runs[r].r->unit_id[u]) == 0;
            if (!seen) {
                uid[m] = runs[r].r->unit_id[u];
                uname[m++] = runs[r].r->unit_name[u];
            }
        }
    ts_buf o = {0};
    if (fmt == TS_FORMAT_TABLE) {
        ts_buf_printf(&o, "node %s; score (rank) per run\n", nid);
        for (int r = 0; r < n; r++)
            ts_buf_printf(&o, "  run %lld: %s (%s)\n", runs[r].id, runs[r].r->info.scenario, runs[r].r->info.created_at);
        ts_buf_printf(&o, "\n%-10s %-20s", "unit", "name");
        for (int r = 0; r < n; r++) {
            char h[32];
            snprintf(h, sizeof h, "run %lld", runs[r].id);
            ts_buf_printf(&o, " %13s", h);
        }
        ts_buf_puts(&o, "\n");
    } else if (fmt == TS_FORMAT_CSV) {
        ts_buf_puts(&o, "unit,unit_name");
        for (int r = 0; r < n; r++) ts_buf_printf(&o, ",score_%lld,rank_%lld", runs[r].id, runs[r].id);
        ts_buf_puts(&o, "\n");
    } else {
        ts_buf_puts(&o, "{\"node\":");
        ts_buf_json_string(&o, nid);
        ts_buf_puts(&o, ",\"runs\":[");
        for (int r = 0; r < n; r++) {
            ts_buf_printf(&o, "%s{\"id\":%lld,\"scenario\":", r ? "," : "", runs[r].id);
            ts_buf_json_string(&o, runs[r].r->info.scenario);
            ts_buf_puts(&o, ",\"created_at\":");
            ts_buf_json_string(&o, runs[r].r->info.created_at);
            ts_buf_puts(&o, "}");
        }
        ts_buf_puts(&o, "],\"units\":[");
    }
    for (int i = 0; i < m; i++) {
        if (fmt == TS_FORMAT_TABLE) {
            char nm[64];
            snprintf(nm, sizeof nm, "%s", uname[i]);
            for (char *p = nm; *p; p++)
                if ((unsigned char)*p < 0x20) *p = ' ';
            ts_buf_printf(&o, "%-10.10s %-20.20s", uid[i], nm);
        } else if (fmt == TS_FORMAT_CSV) {
            ts_csv_field(&o, uid[i]);
            ts_buf_puts(&o, ",");
            ts_csv_field(&o, uname[i]);
        } else {
            ts_buf_puts(&o, i ? ",\n{\"unit\":" : "\n{\"unit\":");
            ts_buf_json_string(&o, uid[i]);
            ts_buf_puts(&o, ",\"unit_name\":");
            ts_buf_json_string(&o, uname[i]);
        }
        ts_buf sc = {0}, rk = {0}, cl = {0};
        for (int r = 0; r < n; r++) {
            const ts_stored_run *R = runs[r].r;
            int u = ts_stored_run_unit(R, uid[i]);
            size_t cell = u >= 0 && k[r] >= 0 ? (size_t)u * (size_t)R->n_nodes + (size_t)k[r] : (size_t)-1;
            double x = cell != (size_t)-1 ? R->score[cell] : NAN;
            int rank = cell != (size_t)-1 ? R->rank[cell] : 0;
            const char *cls = cell != (size_t)-1 ? R->cls[cell] : NULL;
            if (fmt == TS_FORMAT_TABLE) {
                char cellbuf[40];
                if (isnan(x)) snprintf(cellbuf, sizeof cellbuf, "-");
                else if (rank) snprintf(cellbuf, sizeof cellbuf, "%.2f (%d)", x, rank);
                else snprintf(cellbuf, sizeof cellbuf, "%.2f", x);
                ts_buf_printf(&o, " %13s", cellbuf);
            } else if (fmt == TS_FORMAT_CSV) {
                ts_buf_puts(&o, ",");
                fmt_num(&o, x);
                ts_buf_puts(&o, ",");
                if (rank) ts_buf_printf(&o, "%d", rank);
            } else {
                ts_buf_puts(&sc, r ? "," : "");
                json_num(&sc, x);
                ts_buf_puts(&rk, r ? "," : "");
                json_int_or_null(&rk, rank);
                ts_buf_puts(&cl, r ? "," : "");
                json_str_or_null(&cl, cls);
            }
        }
        if (fmt == TS_FORMAT_JSON)
            ts_buf_printf(&o, ",\"scores\":[%s],\"ranks\":[%s],\"classes\":[%s]}", sc.data ? sc.data : "",
                          rk.data ? rk.data : "", cl.data ? cl.data : "");
        else
            ts_buf_puts(&o, "\n");
        ts_buf_free(&sc), ts_buf_free(&rk), ts_buf_free(&cl);
    }
    if (fmt == TS_FORMAT_JSON) ts_buf_puts(&o, "\n]}\n");
    int rc = o.oom ? EXIT_SYSTEM : EXIT_OK;
    if (o.len && fwrite(o.data, 1, o.len, f) != o.len) rc = EXIT_SYSTEM;
    if (rc) fprintf(c->errs, "%s: cannot write the comparison\n", c->prog);
    ts_buf_free(&o);
    free(k), free(uid), free(uname);
    return rc;
}

int ts_cli_compare(int argc, char **argv, FILE *out, FILE *errs) {
    cli cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *node = NULL, *out_path = NULL;
    ts_format fmt = TS_FORMAT_TABLE;
    const char **specs = calloc((size_t)argc + 1, sizeof *specs);
    int n = 0, rc = EXIT_OK;
    if (!specs) return EXIT_SYSTEM;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_COMPARE, out);
            free(specs);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing))) {
            out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt)) rc = usage_error(c, USAGE_COMPARE, "unknown format '%s' (table, csv or json)", v);
        } else if (missing) {
            rc = usage_error(c, USAGE_COMPARE, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = usage_error(c, USAGE_COMPARE, "unknown option '%s'", argv[i]);
        } else {
            specs[n++] = argv[i];
        }
    }
    if (rc == EXIT_OK && !db) rc = usage_error(c, USAGE_COMPARE, "compare needs --db %s", "FILE");
    if (rc == EXIT_OK && n < 2) rc = usage_error(c, USAGE_COMPARE, "compare needs at least two %s", "RUNs");
    ts_store *st = NULL;
    if (rc == EXIT_OK) rc = open_existing(c, db, &st);
    cmp_run *runs = rc == EXIT_OK ? calloc((size_t)n, sizeof *runs) : NULL;
    if (rc == EXIT_OK && !runs) rc = EXIT_SYSTEM;
    for (int i = 0; i < n && rc == EXIT_OK; i++) {
        ts_error err;
        ts_error_clear(&err);
        if (ts_store_resolve_run(st, specs[i], &runs[i].id, &err) ||
            !(runs[i].r = ts_store_load_run(st, runs[i].id, &err)))
            rc = print_error(c, &err);
    }
    if (rc == EXIT_OK) {
        ts_outfile tmp;
        FILE *f = open_output(c, out_path, &tmp);
        if (!f) rc = EXIT_SYSTEM;
        else {
            rc = n == 2 ? compare_two(c, f, fmt, &runs[0], &runs[1], node) : compare_matrix(c, f, fmt, runs, n, node);
            int crc = close_output(c, f, out_path, &tmp, rc == EXIT_OK);
            if (rc == EXIT_OK) rc = crc;
        }
    }
    for (int i = 0; runs && i < n; i++) ts_stored_run_free(runs[i].r);
    free(runs);
    ts_store_close(st);
    free(specs);
    return rc;
}

/* ---- export ------------------------------------------------------------ */

static const char USAGE_EXPORT[] =
    "usage: threatscore export --db FILE --run RUN [--format csv|json] [--table T] [--node NODE] [-o FILE]\n"
    "\n"
    "Writes a stored run (RUN: a run id or a scenario name, for its latest run).\n"
    "\n"
    "--format json (the default) writes one document: the run's provenance\n"
    "(paths, hashes, engine version, methods, inputs, options), its nodes with\n"
    "weights and aggregators, units, scores, every input value (raw,\n"
    "transformed, normalised, imputed, source, year, note, shock, file and\n"
    "line) with its trace to --node (default the index: weight, effective\n"
    "weight, contribution, as `explain` computes them) and the treatment log.\n"
    "\n"
    "--format csv writes one table, chosen by --table:\n"
    "  scores     (default) the columns of `score --format csv`\n"
    "  inputs     one row per unit and indicator, with the trace columns\n"
    "  nodes      the tree with weights and methods\n"
    "  treatment  the outlier treatment of each indicator\n";

/* The contribution traces of every unit of a stored run to one node, as
 * explain computes them (ts_trace_unit). Cells [u * n_nodes + k]; NaN
 * outside the node's subtree. */
typedef struct run_traces {
    double *weight, *eff, *contrib;
} run_traces;

static void run_traces_free(run_traces *t) {
    free(t->weight), free(t->eff), free(t->contrib);
}

/* Traces every unit of r to node top. Returns 0, or -1 when out of memory. */
static int run_traces_build(run_traces *t, const ts_stored_run *r, int top) {
    size_t nn = (size_t)r->n_nodes + 1, cells = ((size_t)r->n_units + 1) * nn;
    int *parent = malloc(nn * sizeof *parent);
    unsigned char *arithmetic = malloc(nn);
    double *weight = malloc(nn * sizeof *weight);
    t->weight = malloc(cells * sizeof *t->weight);
    t->eff = malloc(cells * sizeof *t->eff);
    t->contrib = malloc(cells * sizeof *t->contrib);
    ts_trace *tr = NULL;
    if (parent && arithmetic && weight && t->weight && t->eff && t->contrib) {
        for (int k = 0; k < r->n_nodes; k++) {
            parent[k] = r->nodes[k].parent;
            arithmetic[k] = !r->nodes[k].aggregate || strcmp(r->nodes[k].aggregate, "arithmetic") == 0;
        }
        tr = ts_trace_new(r->n_nodes, parent, arithmetic);
    }
    for (size_t c = 0; tr && c < cells; c++) t->weight[c] = t->eff[c] = t->contrib[c] = NAN;
    for (int u = 0; tr && u < r->n_units; u++) {
        size_t base = (size_t)u * (size_t)r->n_nodes;
        for (int k = 0; k < r->n_nodes; k++) weight[k] = ts_stored_run_weight(r, u, k);
        ts_trace_unit(tr, top, weight, r->score + base);
        for (int i = 0; i < tr->n_subtree; i++) {
            int k = tr->subtree[i];
            t->weight[base + (size_t)k] = weight[k];
            t->eff[base + (size_t)k] = tr->effective_weight[k];
            t->contrib[base + (size_t)k] = tr->contribution[k];
        }
    }
    int rc = tr ? 0 : -1;
    ts_trace_free(tr);
    free(parent), free(arithmetic), free(weight);
    if (rc) run_traces_free(t);
    return rc;
}

typedef struct export_ctx {
    FILE *f;
    ts_buf b;
    ts_format fmt;
    const ts_stored_run *r;
    const run_traces *t;
    int count, failed;
} export_ctx;

static void export_flush(export_ctx *x, int force) {
    if (x->b.len && (force || x->b.len > 1 << 16)) {
        if (fwrite(x->b.data, 1, x->b.len, x->f) != x->b.len) x->failed = 1;
        x->b.len = 0;
    }
}

static int export_input(const ts_stored_input *in, void *vctx) {
    export_ctx *x = vctx;
    ts_buf *b = &x->b;
    const ts_stored_run *r = x->r;
    int u = ts_stored_run_unit(r, in->unit), k = ts_stored_run_node(r, in->indicator);
    size_t c = u >= 0 && k >= 0 ? (size_t)u * (size_t)r->n_nodes + (size_t)k : (size_t)-1;
    double w = c != (size_t)-1 ? x->t->weight[c] : NAN, eff = c != (size_t)-1 ? x->t->eff[c] : NAN,
           con = c != (size_t)-1 ? x->t->contrib[c] : NAN;
    if (x->fmt == TS_FORMAT_CSV) {
        ts_csv_field(b, in->unit);
        ts_buf_puts(b, ",");
        ts_csv_field(b, in->indicator);
        ts_buf_puts(b, ",");
        fmt_num(b, in->raw);
        ts_buf_puts(b, ",");
        fmt_num(b, in->transformed);
        ts_buf_puts(b, ",");
        fmt_num(b, in->normalised);
        ts_buf_printf(b, ",%d,", in->imputed);
        ts_csv_field(b, in->source ? in->source : "");
        ts_buf_puts(b, ",");
        if (in->year) ts_buf_printf(b, "%d", in->year);
        ts_buf_printf(b, ",%d,", in->estimate);
        ts_csv_field(b, in->note ? in->note : "");
        ts_buf_puts(b, ",");
        ts_csv_field(b, in->shock ? in->shock : "");
        ts_buf_puts(b, ",");
        ts_csv_field(b, in->file ? in->file : "");
        ts_buf_puts(b, ",");
        if (in->line) ts_buf_printf(b, "%d", in->line);
        ts_buf_puts(b, ",");
        fmt_num(b, w);
        ts_buf_puts(b, ",");
        fmt_num(b, eff);
        ts_buf_puts(b, ",");
        fmt_num(b, con);
        ts_buf_puts(b, "\n");
    } else {
        ts_buf_puts(b, x->count ? ",\n{\"unit\":" : "\n{\"unit\":");
        ts_buf_json_string(b, in->unit);
        ts_buf_puts(b, ",\"indicator\":");
        ts_buf_json_string(b, in->indicator);
        ts_buf_puts(b, ",\"raw\":");
        json_num(b, in->raw);
        ts_buf_puts(b, ",\"transformed\":");
        json_num(b, in->transformed);
        ts_buf_puts(b, ",\"normalised\":");
        json_num(b, in->normalised);
        ts_buf_printf(b, ",\"imputed\":%s,\"source\":", in->imputed ? "true" : "false");
        json_str_or_null(b, in->source);
        ts_buf_puts(b, ",\"year\":");
        json_int_or_null(b, in->year);
        ts_buf_printf(b, ",\"estimate\":%s,\"note\":", in->estimate ? "true" : "false");
        json_str_or_null(b, in->note);
        ts_buf_puts(b, ",\"shock\":");
        json_str_or_null(b, in->shock);
        ts_buf_puts(b, ",\"file\":");
        json_str_or_null(b, in->file);
        ts_buf_puts(b, ",\"line\":");
        json_int_or_null(b, in->line);
        ts_buf_puts(b, ",\"weight\":");
        json_num(b, w);
        ts_buf_puts(b, ",\"effective_weight\":");
        json_num(b, eff);
        ts_buf_puts(b, ",\"contribution\":");
        json_num(b, con);
        ts_buf_puts(b, "}");
    }
    x->count++;
    export_flush(x, 0);
    return x->failed;
}

static int export_treatment(const ts_stored_treatment *t, void *vctx) {
    export_ctx *x = vctx;
    ts_buf *b = &x->b;
    if (x->fmt == TS_FORMAT_CSV) {
        ts_csv_field(b, t->indicator);
        ts_buf_printf(b, ",%d,%d,%d,%d,", t->treated, t->winsorised_low, t->winsorised_high, t->log);
        fmt_num(b, t->skew);
        ts_buf_puts(b, ",");
        fmt_num(b, t->kurtosis);
        ts_buf_puts(b, ",");
        fmt_num(b, t->skew_after);
        ts_buf_puts(b, ",");
        fmt_num(b, t->kurtosis_after);
        ts_buf_puts(b, "\n");
    } else {
        ts_buf_puts(b, x->count ? ",\n{\"indicator\":" : "\n{\"indicator\":");
        ts_buf_json_string(b, t->indicator);
        ts_buf_printf(b, ",\"treated\":%s,\"winsorised_low\":%d,\"winsorised_high\":%d,\"log\":%s,\"skew\":",
                      t->treated ? "true" : "false", t->winsorised_low, t->winsorised_high, t->log ? "true" : "false");
        json_num(b, t->skew);
        ts_buf_puts(b, ",\"kurtosis\":");
        json_num(b, t->kurtosis);
        ts_buf_puts(b, ",\"skew_after\":");
        json_num(b, t->skew_after);
        ts_buf_puts(b, ",\"kurtosis_after\":");
        json_num(b, t->kurtosis_after);
        ts_buf_puts(b, "}");
    }
    x->count++;
    return 0;
}

static void export_scores(export_ctx *x) {
    const ts_stored_run *r = x->r;
    ts_buf *b = &x->b;
    for (int u = 0; u < r->n_units; u++)
        for (int k = 0; k < r->n_nodes; k++) {
            size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
            const ts_stored_node *nd = &r->nodes[k];
            if (x->fmt == TS_FORMAT_CSV) {
                ts_score_row row = {r->unit_id[u], r->unit_name[u], nd->id, nd->name,
                                    nd->parent_id ? nd->parent_id : "", nd->depth, r->rank[c], r->score[c],
                                    r->coverage[c], r->imputed[c], r->cls[c]};
                ts_csv_score_row(b, &row);
            } else {
                ts_buf_puts(b, x->count ? ",\n{\"unit\":" : "\n{\"unit\":");
                ts_buf_json_string(b, r->unit_id[u]);
                ts_buf_puts(b, ",\"node\":");
                ts_buf_json_string(b, nd->id);
                ts_buf_puts(b, ",\"score\":");
                json_num(b, r->score[c]);
                ts_buf_puts(b, ",\"rank\":");
                json_int_or_null(b, r->rank[c]);
                ts_buf_puts(b, ",\"class\":");
                json_str_or_null(b, r->cls[c]);
                ts_buf_puts(b, ",\"coverage\":");
                json_num(b, r->coverage[c]);
                ts_buf_puts(b, ",\"imputed\":");
                json_num(b, r->imputed[c]);
                ts_buf_puts(b, "}");
            }
            x->count++;
            export_flush(x, 0);
        }
}

static void export_nodes(export_ctx *x) {
    const ts_stored_run *r = x->r;
    ts_buf *b = &x->b;
    for (int k = 0; k < r->n_nodes; k++) {
        const ts_stored_node *nd = &r->nodes[k];
        if (x->fmt == TS_FORMAT_CSV) {
            const char *f[] = {nd->id, nd->name, nd->parent_id};
            for (int i = 0; i < 3; i++) {
                ts_csv_field(b, f[i] ? f[i] : "");
                ts_buf_puts(b, ",");
            }
            ts_buf_printf(b, "%d,%d,", nd->depth, nd->is_indicator);
            fmt_num(b, nd->weight);
            const char *g[] = {nd->aggregate, nd->normalise, nd->direction, nd->unit_of_measure, nd->source};
            for (int i = 0; i < 5; i++) {
                ts_buf_puts(b, ",");
                ts_csv_field(b, g[i] ? g[i] : "");
            }
            ts_buf_puts(b, "\n");
        } else {
            ts_buf_puts(b, k ? ",\n{\"id\":" : "\n{\"id\":");
            ts_buf_json_string(b, nd->id);
            ts_buf_puts(b, ",\"name\":");
            ts_buf_json_string(b, nd->name);
            ts_buf_puts(b, ",\"parent\":");
            json_str_or_null(b, nd->parent_id);
            ts_buf_printf(b, ",\"depth\":%d,\"indicator\":%s,\"weight\":", nd->depth, nd->is_indicator ? "true" : "false");
            json_num(b, nd->weight);
            const char *keys[] = {"aggregate", "normalise", "direction", "unit", "source"};
            const char *g[] = {nd->aggregate, nd->normalise, nd->direction, nd->unit_of_measure, nd->source};
            for (int i = 0; i < 5; i++) {
                ts_buf_printf(b, ",\"%s\":", keys[i]);
                json_str_or_null(b, g[i]);
            }
            ts_buf_puts(b, "}");
        }
    }
}

/* Appends stored JSON text as it is, or null. */
static void raw_json(ts_buf *b, const char *json) {
    ts_buf_puts(b, json && *json ? json : "null");
}

int ts_cli_export(int argc, char **argv, FILE *out, FILE *errs) {
    cli cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *run = NULL, *table = "scores", *node = NULL, *out_path = NULL;
    ts_format fmt = TS_FORMAT_JSON;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_EXPORT, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            run = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--table", &missing))) {
            if (strcmp(v, "scores") && strcmp(v, "inputs") && strcmp(v, "nodes") && strcmp(v, "treatment"))
                return usage_error(c, USAGE_EXPORT, "unknown table '%s' (scores, inputs, nodes or treatment)", v);
            table = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing))) {
            out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt) || fmt == TS_FORMAT_TABLE)
                return usage_error(c, USAGE_EXPORT, "unknown format '%s' (csv or json)", v);
        } else if (missing) {
            return usage_error(c, USAGE_EXPORT, "option %s needs a value", argv[i]);
        } else {
            return usage_error(c, USAGE_EXPORT, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!db) return usage_error(c, USAGE_EXPORT, "export needs --db %s", "FILE");
    if (!run) return usage_error(c, USAGE_EXPORT, "export needs --run %s", "RUN");
    ts_store *st;
    long long id;
    ts_stored_run *r;
    int rc = load_run(c, db, run, &st, &id, &r);
    if (rc) return rc;
    ts_error err;
    ts_error_clear(&err);
    int top = node ? ts_stored_run_node(r, node) : 0;
    if (top < 0 || r->n_nodes == 0) {
        fprintf(c->errs, "%s: run %lld has no node '%s'\n", c->prog, id, node ? node : "");
        ts_stored_run_free(r);
        ts_store_close(st);
        return EXIT_INPUT;
    }
    run_traces t;
    if (run_traces_build(&t, r, top)) {
        fprintf(c->errs, "%s: out of memory\n", c->prog);
        ts_stored_run_free(r);
        ts_store_close(st);
        return EXIT_SYSTEM;
    }
    ts_outfile tmp;
    FILE *f = open_output(c, out_path, &tmp);
    if (!f) rc = EXIT_SYSTEM;
    export_ctx x = {f, {0}, fmt, r, &t, 0, 0};
    ts_buf *b = &x.b;
    if (f && fmt == TS_FORMAT_CSV) {
        if (strcmp(table, "scores") == 0) {
            ts_buf_puts(b, TS_SCORES_CSV_HEADER);
            export_scores(&x);
        } else if (strcmp(table, "nodes") == 0) {
            ts_buf_puts(b, "node,name,parent,depth,indicator,weight,aggregate,normalise,direction,unit,source\n");
            export_nodes(&x);
        } else if (strcmp(table, "inputs") == 0) {
            ts_buf_puts(b, "unit,indicator,raw,transformed,normalised,imputed,source,year,estimate,note,shock,file,"
                           "line,weight,effective_weight,contribution\n");
            if (ts_store_each_input(st, id, export_input, &x, &err)) rc = print_error(c, &err);
        } else {
            ts_buf_puts(b, "indicator,treated,winsorised_low,winsorised_high,log,skew,kurtosis,skew_after,"
                           "kurtosis_after\n");
            if (ts_store_each_treatment(st, id, export_treatment, &x, &err)) rc = print_error(c, &err);
        }
    } else if (f) {
        const ts_run_info *in = &r->info;
        ts_buf_printf(b, "{\"run\":{\"id\":%lld,\"scenario\":", in->id);
        ts_buf_json_string(b, in->scenario);
        const char *keys[] = {"created_at", "taxonomy", "engine_version", "scenario_path", "taxonomy_path",
                              "data_path", "scenario_sha256", "taxonomy_sha256", "data_sha256", "values_sha256",
                              "run_key"};
        const char *vals[] = {in->created_at, in->taxonomy_id, in->engine_version, in->scenario_path,
                              in->taxonomy_path, in->data_path, in->scenario_sha256, in->taxonomy_sha256,
                              in->data_sha256, r->values_sha256, r->run_key};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            ts_buf_printf(b, ",\"%s\":", keys[i]);
            json_str_or_null(b, vals[i]);
        }
        ts_buf_printf(b, ",\"n_units\":%d,\"n_indicators\":%d,\"method\":", in->n_units, in->n_indicators);
        raw_json(b, r->method_json);
        ts_buf_puts(b, ",\"inputs\":");
        raw_json(b, r->inputs_json);
        ts_buf_puts(b, ",\"options\":");
        raw_json(b, r->options_json);
        ts_buf_puts(b, ",\"traced_to\":");
        ts_buf_json_string(b, r->nodes[top].id);
        ts_buf_puts(b, "},\n\"nodes\":[");
        export_nodes(&x);
        ts_buf_puts(b, "\n],\n\"units\":[");
        for (int u = 0; u < r->n_units; u++) {
            ts_buf_puts(b, u ? ",\n{\"id\":" : "\n{\"id\":");
            ts_buf_json_string(b, r->unit_id[u]);
            ts_buf_puts(b, ",\"name\":");
            ts_buf_json_string(b, r->unit_name[u]);
            ts_buf_printf(b, ",\"screened\":%s}", r->screened[u] ? "true" : "false");
        }
        ts_buf_puts(b, "\n],\n\"scores\":[");
        x.count = 0;
        export_scores(&x);
        ts_buf_puts(b, "\n],\n\"inputs\":[");
        x.count = 0;
        if (ts_store_each_input(st, id, export_input, &x, &err)) rc = print_error(c, &err);
        ts_buf_puts(b, "\n],\n\"treatment\":[");
        x.count = 0;
        if (rc == EXIT_OK && ts_store_each_treatment(st, id, export_treatment, &x, &err)) rc = print_error(c, &err);
        ts_buf_puts(b, "\n]}\n");
    }
    if (f) {
        if (b->oom) {
            fprintf(c->errs, "%s: out of memory\n", c->prog);
            rc = EXIT_SYSTEM;
        }
        export_flush(&x, 1);
        if (x.failed && rc == EXIT_OK) {
            fprintf(c->errs, "%s: write failed\n", c->prog);
            rc = EXIT_SYSTEM;
        }
        int crc = close_output(c, f, out_path, &tmp, rc == EXIT_OK);
        if (rc == EXIT_OK) rc = crc;
    }
    ts_buf_free(b);
    run_traces_free(&t);
    ts_stored_run_free(r);
    ts_store_close(st);
    return rc;
}

/* ---- rescore ----------------------------------------------------------- */

static const char USAGE_RESCORE[] =
    "usage: threatscore rescore --db FILE --run RUN\n"
    "\n"
    "Re-runs a stored run from its stored provenance: the scenario (or the\n"
    "taxonomy and CSV) at the stored paths, with the stored perspectives,\n"
    "--set overrides and CSV options. First every input file's SHA-256 is\n"
    "checked against the one stored; a file that changed or is missing is\n"
    "named. Then the run is scored again and every score, rank, class,\n"
    "coverage and imputed share is compared bit for bit with the stored one.\n"
    "Relative paths are resolved from the current directory, as they were\n"
    "when the run was made.\n"
    "\n"
    "Exit status: 0 identical; 1 an input changed or the scores differ;\n"
    "2 usage; 3 the database cannot be read.\n";

static int same_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_str(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int ts_cli_rescore(int argc, char **argv, FILE *out, FILE *errs) {
    cli cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *run = NULL;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_RESCORE, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            run = v;
        } else if (missing) {
            return usage_error(c, USAGE_RESCORE, "option %s needs a value", argv[i]);
        } else if (!run && argv[i][0] != '-') {
            run = argv[i];
        } else {
            return usage_error(c, USAGE_RESCORE, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!db) return usage_error(c, USAGE_RESCORE, "rescore needs --db %s", "FILE");
    if (!run) return usage_error(c, USAGE_RESCORE, "rescore needs --run %s", "RUN");
    ts_store *st;
    long long id;
    ts_stored_run *r;
    int rc = load_run(c, db, run, &st, &id, &r);
    if (rc) return rc;
    ts_store_close(st);
    ts_error err;
    ts_error_clear(&err);
    const ts_stored_file *files;
    int n_files = ts_stored_run_files(r, &files);
    ts_stored_options opt;
    if (n_files < 0 || ts_stored_run_options(r, &opt)) {
        fprintf(errs, "%s: run %lld: its stored provenance (inputs_json or options_json) cannot be read\n", c->prog, id);
        ts_stored_run_free(r);
        return EXIT_INPUT;
    }
    /* 1. every input file must still hash to what was stored */
    int changed = 0;
    const char *data_file = NULL;
    for (int i = 0; i < n_files; i++) {
        char now[65];
        if (strcmp(files[i].role, "data") == 0) data_file = files[i].path;
        if (ts_sha256_file(files[i].path, now)) {
            fprintf(out, "changed: %s (%s) cannot be read: %s\n", files[i].path, files[i].role, strerror(errno));
            changed++;
        } else if (strcmp(now, files[i].sha256) != 0) {
            fprintf(out, "changed: %s (%s): sha256 %.12s... when run %lld was stored, %.12s... now\n", files[i].path,
                    files[i].role, files[i].sha256, id, now);
            changed++;
        }
    }
    if (changed) {
        fprintf(out, "run %lld (%s): %d of %d input file%s changed since it was stored; not rescored\n", id,
                r->info.scenario, changed, n_files, n_files == 1 ? "" : "s");
        ts_stored_run_free(r);
        return EXIT_INPUT;
    }
    /* 2. score again as the run was scored */
    ts_scenario *s;
    if (data_file) {
        ts_csv_options csv = opt.has_csv ? opt.csv : (ts_csv_options){NULL, NULL, NULL, TS_ENC_AUTO};
        s = ts_scenario_from_csv(r->info.taxonomy_path, data_file, &csv, &err);
        for (int i = 0; s && i < opt.n_perspectives; i++)
            if (ts_scenario_apply_perspective(s, opt.perspectives[i], &err)) {
                ts_scenario_free(s);
                s = NULL;
            }
        for (int i = 0; s && i < opt.n_set; i++) {
            const char *eq = strchr(opt.set[i], '=');
            char key[128];
            snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - opt.set[i]) : 0, opt.set[i]);
            if (!eq || ts_scenario_set(s, key, eq + 1, opt.set[i], &err)) {
                if (!eq) ts_fail(&err, TS_EINPUT, NULL, 0, "stored option '%s' is not KEY=VALUE", opt.set[i]);
                ts_scenario_free(s);
                s = NULL;
            }
        }
    } else {
        s = load_scenario(r->info.scenario_path ? r->info.scenario_path : "", opt.perspectives, opt.n_perspectives,
                          opt.set, opt.n_set, &err);
    }
    ts_result *res = s ? ts_score(s, &err) : NULL;
    ts_run_options ro = {opt.n_set, opt.set, opt.n_perspectives, opt.perspectives, opt.has_csv ? &opt.csv : NULL};
    ts_run_record *rec = res ? ts_run_record_new(s, &ro, &err) : NULL;
    if (!rec) {
        int e = print_error(c, &err);
        fprintf(out, "run %lld (%s): the unchanged inputs no longer score: %s\n", id, r->info.scenario, err.message);
        ts_run_record_free(rec);
        ts_result_free(res);
        ts_scenario_free(s);
        ts_stored_run_free(r);
        return e == EXIT_SYSTEM ? EXIT_SYSTEM : EXIT_INPUT;
    }
    /* 3. compare */
    int diffs = 0, shown = 0, compared = 0;
    if (strcmp(ts_run_record_values_sha256(rec), r->values_sha256) != 0) {
        fprintf(out, "different: the values scored differ (values sha256 %.12s... stored, %.12s... now)\n",
                r->values_sha256, ts_run_record_values_sha256(rec));
        diffs++;
    }
    if (strcmp(ts_run_record_method_json(rec), r->method_json) != 0) {
        fprintf(out, "different: the method settings differ from the stored method_json%s\n",
                r->options_json ? "" : " (the run predates stored options: it may have used --set)");
        diffs++;
    }
    int *order = malloc(((size_t)s->tax->n_nodes + 1) * sizeof *order);
    if (!order) {
        fprintf(errs, "%s: out of memory\n", c->prog);
        diffs = -1;
    } else {
        ts_taxonomy_preorder(s->tax, order);
        if (s->data->n_units != r->n_units || s->tax->n_nodes != r->n_nodes) {
            fprintf(out, "different: %d units x %d nodes now, %d x %d stored\n", s->data->n_units, s->tax->n_nodes,
                    r->n_units, r->n_nodes);
            diffs++;
        }
        for (int u = 0; u < s->data->n_units; u++) {
            int su = ts_stored_run_unit(r, s->data->unit_id[u]);
            for (int j = 0; j < s->tax->n_nodes; j++) {
                int k = order[j], sk = ts_stored_run_node(r, s->tax->nodes[k].id);
                if (su < 0 || sk < 0) {
                    if (shown++ < 10)
                        fprintf(out, "different: %s at %s is not in the stored run\n", s->data->unit_id[u],
                                s->tax->nodes[k].id);
                    diffs++;
                    continue;
                }
                size_t sc = (size_t)su * (size_t)r->n_nodes + (size_t)sk;
                double x = ts_result_score(res, k, u);
                const char *cls = ts_taxonomy_class(s->tax, k, x);
                compared++;
                if (!same_double(x, r->score[sc]) || ts_result_rank(res, k, u) != r->rank[sc] ||
                    !same_str(cls, r->cls[sc]) || !same_double(ts_result_coverage(res, k, u), r->coverage[sc]) ||
                    !same_double(res->imputed_share[(size_t)k * (size_t)res->n_units + (size_t)u], r->imputed[sc])) {
                    if (shown++ < 10)
                        fprintf(out, "different: %s at %s: score %.17g rank %d stored, %.17g rank %d now\n",
                                s->data->unit_id[u], s->tax->nodes[k].id, r->score[sc], r->rank[sc], x,
                                ts_result_rank(res, k, u));
                    diffs++;
                }
            }
        }
        if (r->n_scores != r->n_units * r->n_nodes) {
            fprintf(out, "different: the store holds %d of the run's %d scores\n", r->n_scores, r->n_units * r->n_nodes);
            diffs++;
        }
    }
    free(order);
    if (diffs == 0)
        fprintf(out, "run %lld (%s): identical: %d scores reproduced bit for bit; %d input file%s unchanged\n", id,
                r->info.scenario, compared, n_files, n_files == 1 ? "" : "s");
    else if (diffs > 0)
        fprintf(out, "run %lld (%s): DIFFERENT from the stored run (%d difference%s) although no input file changed\n",
                id, r->info.scenario, diffs, diffs == 1 ? "" : "s");
    ts_run_record_free(rec);
    ts_result_free(res);
    ts_scenario_free(s);
    ts_stored_run_free(r);
    return diffs == 0 ? EXIT_OK : diffs < 0 ? EXIT_SYSTEM : EXIT_INPUT;
}

/* ---- watch ------------------------------------------------------------- */

static const char USAGE_WATCH[] =
    "usage: threatscore watch SCENARIO [--perspective NAME] [--set KEY=VALUE]... [--max-events N]\n"
    "\n"
    "Scores SCENARIO, then re-scores it whenever it, a file it extends or its\n"
    "taxonomy is saved (inotify on their directories, so editors that save by\n"
    "renaming are seen too). After each save it prints, per unit, the index\n"
    "score, its change since the last good scoring and the rank change\n"
    "(+1 = one place closer to rank 1). A bad edit prints its error and the\n"
    "watch goes on with the last good scores.\n"
    "\n"
    "  --max-events N   exit after N re-scorings (for scripts and tests)\n";

/* One directory watched, and the files in it that matter. */
typedef struct watch_dir {
    int wd;
    char *dir;
} watch_dir;

typedef struct watcher {
    cli *c;
    int fd;
    watch_dir dirs[64];
    int n_dirs;
    char *files[64]; /* realpath-less "dir/base" of each file that matters */
    int n_files;
} watcher;

static void watcher_clear_files(watcher *w) {
    for (int i = 0; i < w->n_files; i++) free(w->files[i]);
    w->n_files = 0;
}

/* Adds path to the watched files, watching its directory. Returns 0 or -1. */
static int watcher_add(watcher *w, const char *path) {
    if (w->n_files == 64) return -1;
    char *dir = ts_dirname(path);
    if (!dir) return -1;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *real = realpath(dir, NULL);
    free(dir);
    if (!real) return -1;
    size_t len = strlen(real) + strlen(base) + 2;
    char *full = malloc(len);
    if (!full) {
        free(real);
        return -1;
    }
    snprintf(full, len, "%s/%s", real, base);
    w->files[w->n_files++] = full;
    for (int i = 0; i < w->n_dirs; i++)
        if (strcmp(w->dirs[i].dir, real) == 0) {
            free(real);
            return 0;
        }
    if (w->n_dirs == 64) {
        free(real);
        return -1;
    }
    int wd = inotify_add_watch(w->fd, real, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM);
    if (wd < 0) {
        free(real);
        return -1;
    }
    w->dirs[w->n_dirs++] = (watch_dir){wd, real};
    return 0;
}

/* Whether an inotify event names one of the files that matter. */
static int watcher_matches(const watcher *w, const struct inotify_event *e, char *which, size_t n) {
    if (!e->len) return 0;
    for (int i = 0; i < w->n_dirs; i++) {
        if (w->dirs[i].wd != e->wd) continue;
        size_t dl = strlen(w->dirs[i].dir);
        for (int f = 0; f < w->n_files; f++)
            if (strncmp(w->files[f], w->dirs[i].dir, dl) == 0 && w->files[f][dl] == '/' &&
                strcmp(w->files[f] + dl + 1, e->name) == 0) {
                snprintf(which, n, "%s", e->name);
                return 1;
            }
    }
    return 0;
}

/* Waits for a save of a watched file, then for 100 ms of quiet (editors
 * write in several steps). Returns 1 with the file's name in which, 0 on
 * error. */
static int watcher_wait(watcher *w, char *which, size_t n) {
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    int hit = 0;
    for (;;) {
        struct pollfd p = {w->fd, POLLIN, 0};
        int pr = poll(&p, 1, hit ? 100 : -1);
        if (pr < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        if (pr == 0) return 1; /* quiet after a hit */
        ssize_t len = read(w->fd, buf, sizeof buf);
        if (len <= 0) {
            if (len < 0 && errno == EINTR) continue;
            return 0;
        }
        for (char *p2 = buf; p2 < buf + len;) {
            const struct inotify_event *e = (const struct inotify_event *)(void *)p2;
            if (watcher_matches(w, e, which, n)) hit = 1;
            p2 += sizeof *e + e->len;
        }
    }
}

/* The index scores of the last good scoring. */
typedef struct snapshot {
    int n;
    char **unit;
    double *score;
    int *rank;
} snapshot;

static void snapshot_free(snapshot *s) {
    for (int i = 0; i < s->n; i++) free(s->unit[i]);
    free(s->unit), free(s->score), free(s->rank);
    memset(s, 0, sizeof *s);
}

static int snapshot_take(snapshot *sn, const ts_scenario *s, const ts_result *r) {
    snapshot_free(sn);
    int n = s->data->n_units, root = ts_taxonomy_root(s->tax);
    sn->unit = calloc((size_t)n + 1, sizeof *sn->unit);
    sn->score = calloc((size_t)n + 1, sizeof *sn->score);
    sn->rank = calloc((size_t)n + 1, sizeof *sn->rank);
    if (!sn->unit || !sn->score || !sn->rank) return -1;
    for (int u = 0; u < n; u++) {
        if (!(sn->unit[u] = strdup(s->data->unit_id[u]))) return -1;
        sn->n = u + 1;
        sn->score[u] = ts_result_score(r, root, u);
        sn->rank[u] = ts_result_rank(r, root, u);
    }
    return 0;
}

/* Prints each unit's index score against the previous snapshot, in rank
 * order. */
static void print_changes(cli *c, const ts_scenario *s, const ts_result *r, const snapshot *old) {
    int n = s->data->n_units, root = ts_taxonomy_root(s->tax), changed = 0;
    fprintf(c->out, "%-10s %-22s %10s %10s %6s %7s\n", "unit", "name", "index", "delta", "rank", "change");
    for (int pass = 0; pass < 2; pass++)
        for (int rk = 0; rk <= n; rk++)
            for (int u = 0; u < n; u++) {
                int rank = ts_result_rank(r, root, u);
                if (pass == 0 ? rank != rk || rank == 0 : rank != 0 || rk != 0) continue;
                double x = ts_result_score(r, root, u), was = NAN;
                int was_rank = 0, found = 0;
                for (int i = 0; i < old->n && !found; i++)
                    if (strcmp(old->unit[i], s->data->unit_id[u]) == 0) {
                        was = old->score[i];
                        was_rank = old->rank[i];
                        found = 1;
                    }
                char xs[32] = "-", ds[32] = "new", rs[16] = "-", cs[16] = "";
                if (!isnan(x)) snprintf(xs, sizeof xs, "%.4f", x);
                if (found) snprintf(ds, sizeof ds, isnan(x) || isnan(was) ? "-" : "%+.4f", x - was);
                if (rank) snprintf(rs, sizeof rs, "%d", rank);
                if (found && rank && was_rank && rank != was_rank) snprintf(cs, sizeof cs, "%+d", was_rank - rank);
                if (!found || !same_double(x, was) || rank != was_rank) changed++;
                char name[64];
                snprintf(name, sizeof name, "%s", s->data->unit_name[u]);
                for (char *p = name; *p; p++)
                    if ((unsigned char)*p < 0x20) *p = ' ';
                fprintf(c->out, "%-10.10s %-22.22s %10s %10s %6s %7s\n", s->data->unit_id[u], name, xs, ds, rs, cs);
            }
    for (int i = 0; i < old->n; i++)
        if (ts_dataset_find_unit(s->data, old->unit[i]) < 0) {
            fprintf(c->out, "%-10.10s (no longer in the scenario)\n", old->unit[i]);
            changed++;
        }
    fprintf(c->out, changed ? "%d unit%s changed at the index\n" : "no index score or rank changed\n", changed,
            changed == 1 ? "" : "s");
}

static void timestamp(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%H:%M:%S", &tm);
}

int ts_cli_watch(int argc, char **argv, FILE *out, FILE *errs) {
    cli cc = {out, errs, "threatscore"}, *c = &cc;
    const char *path = NULL;
    long max_events = -1;
    const char **set = calloc((size_t)argc + 1, sizeof *set), **persp = calloc((size_t)argc + 1, sizeof *persp);
    int n_set = 0, n_persp = 0, rc = EXIT_OK;
    if (!set || !persp) {
        free(set), free(persp);
        return EXIT_SYSTEM;
    }
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_WATCH, out);
            free(set), free(persp);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--max-events", &missing))) {
            if ((max_events = parse_count(v)) < 0)
                rc = usage_error(c, USAGE_WATCH, "--max-events takes a positive count, not '%s'", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            if (!strchr(v, '=') || v[0] == '=') rc = usage_error(c, USAGE_WATCH, "--set takes KEY=VALUE, not '%s'", v);
            else set[n_set++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--perspective", &missing))) {
            persp[n_persp++] = v;
        } else if (missing) {
            rc = usage_error(c, USAGE_WATCH, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = usage_error(c, USAGE_WATCH, "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            rc = usage_error(c, USAGE_WATCH, "unexpected argument '%s'", argv[i]);
        }
    }
    if (rc == EXIT_OK && !path) rc = usage_error(c, USAGE_WATCH, "watch needs a %s", "SCENARIO");
    if (rc != EXIT_OK) {
        free(set), free(persp);
        return rc;
    }
    watcher w = {c, inotify_init1(IN_CLOEXEC), {{0, NULL}}, 0, {NULL}, 0};
    if (w.fd < 0) {
        fprintf(errs, "%s: inotify: %s\n", c->prog, strerror(errno));
        free(set), free(persp);
        return EXIT_SYSTEM;
    }
    snapshot snap = {0};
    int have_snap = 0;
    long events = 0;
    for (;;) {
        ts_error err;
        ts_error_clear(&err);
        ts_scenario *s = load_scenario(path, persp, n_persp, set, n_set, &err);
        ts_result *r = s ? ts_score(s, &err) : NULL;
        char ts[16];
        timestamp(ts, sizeof ts);
        if (!r) {
            print_error(c, &err);
            fprintf(out, "[%s] %s: error (see above); %s\n", ts, path,
                    have_snap ? "still watching, the last good scores stand" : "still watching");
        } else {
            if (events == 0 && !have_snap) {
                ts_report_write(out, TS_FORMAT_TABLE, s, r, 0, &err);
            } else {
                fprintf(out, "[%s] re-scored %s ('%s')\n", ts, path, s->name);
                snapshot empty = {0};
                print_changes(c, s, r, have_snap ? &snap : &empty);
            }
            /* the files that matter: the scenario, its extends chain, the taxonomy */
            watcher_clear_files(&w);
            for (int f = 0; f < s->n_files; f++) watcher_add(&w, s->file_path[f]);
            watcher_add(&w, s->taxonomy_path);
            if (snapshot_take(&snap, s, r) == 0) have_snap = 1;
        }
        if (w.n_files == 0 && watcher_add(&w, path) != 0) {
            fprintf(errs, "%s: %s: cannot watch: %s\n", c->prog, path, strerror(errno));
            ts_result_free(r);
            ts_scenario_free(s);
            rc = EXIT_SYSTEM;
            break;
        }
        ts_result_free(r);
        ts_scenario_free(s);
        if (max_events >= 0 && events >= max_events) break;
        if (events == 0) {
            fprintf(out, "watching %d file%s (Ctrl-C to stop)\n", w.n_files, w.n_files == 1 ? "" : "s");
        }
        fflush(out);
        char which[256];
        if (!watcher_wait(&w, which, sizeof which)) {
            fprintf(errs, "%s: inotify: %s\n", c->prog, strerror(errno));
            rc = EXIT_SYSTEM;
            break;
        }
        events++;
        timestamp(ts, sizeof ts);
        fprintf(out, "\n[%s] %s saved\n", ts, which);
    }
    fflush(out);
    snapshot_free(&snap);
    watcher_clear_files(&w);
    for (int i = 0; i < w.n_dirs; i++) free(w.dirs[i].dir);
    close(w.fd);
    free(set), free(persp);
    return rc;
}

/* ---- score --lean -------------------------------------------------------- */

/* Writes the long CSV of a lean result, byte for byte what `score --format
 * csv` writes (report.c's write_csv) for the same scenario. */
static int write_lean_csv(FILE *f, const ts_scenario *s, const ts_lean_result *r) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    int *order = malloc(((size_t)t->n_nodes + 1) * sizeof *order);
    if (!order) return -1;
    ts_taxonomy_preorder(t, order);
    ts_buf b = {0};
    int rc = 0;
    ts_buf_puts(&b, TS_SCORES_CSV_HEADER);
    for (int u = 0; u < d->n_units && rc == 0; u++) {
        for (int j = 0; j < t->n_nodes; j++) {
            int k = order[j];
            const ts_node *nd = &t->nodes[k];
            double score = ts_lean_score(r, s, k, u);
            ts_score_row row = {d->unit_id[u], d->unit_name[u], nd->id, nd->name,
                                nd->parent >= 0 ? t->nodes[nd->parent].id : "", nd->depth,
                                r->rank[(size_t)k * (size_t)r->n_units + (size_t)u], score,
                                ts_lean_coverage(r, s, k, u), ts_lean_imputed_share(r, s, k, u),
                                ts_taxonomy_class(t, k, score)};
            ts_csv_score_row(&b, &row);
        }
        if (b.oom) rc = -1;
        else if (b.len > 1 << 16) {
            if (fwrite(b.data, 1, b.len, f) != b.len) rc = -1;
            b.len = 0;
        }
    }
    if (rc == 0 && (b.oom || (b.len && fwrite(b.data, 1, b.len, f) != b.len))) rc = -1;
    ts_buf_free(&b);
    free(order);
    return rc;
}

int ts_cli_score_lean(ts_scenario *s, const char *out_path, FILE *out, FILE *errs) {
    cli cc = {out, errs, "threatscore"}, *c = &cc;
    ts_error err;
    ts_error_clear(&err);
    ts_lean_result *r = ts_score_lean(s, &err);
    if (!r) return print_error(c, &err);
    ts_outfile tmp;
    FILE *f = open_output(c, out_path, &tmp);
    int rc = f ? EXIT_OK : EXIT_SYSTEM;
    if (f && write_lean_csv(f, s, r)) {
        fprintf(errs, "%s: cannot write the scores\n", c->prog);
        rc = EXIT_SYSTEM;
    }
    if (f) {
        int crc = close_output(c, f, out_path, &tmp, rc == EXIT_OK);
        if (rc == EXIT_OK) rc = crc;
    }
    ts_lean_result_free(r);
    return rc;
}
