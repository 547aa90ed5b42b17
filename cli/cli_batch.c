/* cli_batch.c -- `threatscore batch`: its options, the list of scenarios (a
 * directory stands for its *.cfg files), the progress bar and what it prints.
 * The scoring pool is the engine's (batch.h). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "cliopt.h"
#include "report.h"
#include "store.h"

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

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress bar, drawn on stderr when it is a terminal. */
typedef struct progress {
    FILE *f;
    int on, shown;
    double start, last;
} progress;

static void progress_clear(progress *p) {
    if (p->on && p->shown) {
        fputs("\r\033[K", p->f);
        p->shown = 0;
    }
}

static void progress_draw(progress *p, const ts_batch_stats *st, int force) {
    if (!p->on) return;
    double t = now_seconds();
    if (!force && t - p->last < 0.1) return;
    p->last = t;
    int done = st->done, total = st->total;
    int width = 30, fill = total ? (int)((long long)done * width / total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double el = t - p->start;
    fprintf(p->f, "\r\033[K[%s] %d/%d  %d stored, %d reused, %d failed  %.1f s", bar, done, total, st->stored,
            st->reused, st->failed, el);
    if (el > 0.5 && done > 0 && done < total) fprintf(p->f, ", %.0f s left", el / done * (total - done));
    fflush(p->f);
    p->shown = 1;
}

/* What batch prints as the runs come in, and the worst exit status so far. */
typedef struct printer {
    ts_cmd *c;
    progress pr;
    int quiet, printed, worst;
} printer;

static void note_status(printer *p, int status) {
    if (status > p->worst) p->worst = status;
}

/* Prints a failure, a reused run and (without --quiet) each run's ranking. */
static void on_job(void *ctx, const ts_batch_job *j) {
    printer *p = ctx;
    ts_cmd *c = p->c;
    if (j->outcome == TS_BATCH_SKIPPED) return;
    if (j->outcome == TS_BATCH_FAILED) {
        progress_clear(&p->pr);
        note_status(p, ts_cmd_error(c, j->err));
        return;
    }
    if (j->outcome == TS_BATCH_REUSED && !p->quiet) {
        progress_clear(&p->pr);
        fprintf(c->errs, "%s: %s%s%s%s: unchanged, run %lld reused\n", c->prog, j->path,
                j->perspective ? " (perspective " : "", j->perspective ? j->perspective : "",
                j->perspective ? ")" : "", j->run_id);
    }
    if (!p->quiet) {
        progress_clear(&p->pr);
        if (p->printed++) fputc('\n', c->out);
        ts_error err;
        ts_error_clear(&err);
        if (ts_report_write(c->out, TS_FORMAT_TABLE, j->s, j->r, j->run_id, &err))
            note_status(p, ts_cmd_error(c, &err));
        fflush(c->out);
    }
}

static void on_progress(void *ctx, const ts_batch_stats *so_far) {
    printer *p = ctx;
    progress_draw(&p->pr, so_far, so_far->done == so_far->total);
}

int ts_cli_batch(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL;
    int quiet = 0, force = 0, timing = 0, progress_mode = -1, rc = EXIT_OK;
    long jobs_n = 0;
    ts_path_list inputs = {0};
    ts_file_arg stdin_copy = {0};
    ts_batch_input *in = NULL;
    const char **set = calloc((size_t)argc + 1, sizeof *set), **persp = calloc((size_t)argc + 1, sizeof *persp);
    int n_set = 0, n_persp = 0;
    if (!set || !persp) {
        free(set), free(persp);
        fprintf(errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    rc = ts_cmd_one_stdin(c, USAGE_BATCH, argc, argv);
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
            if ((jobs_n = ts_parse_count(v)) < 0)
                rc = ts_cmd_usage(c, USAGE_BATCH, "-j takes a positive count, not '%s'", v);
        } else if (strncmp(argv[i], "-j", 2) == 0 && argv[i][2] >= '0' && argv[i][2] <= '9') {
            if ((jobs_n = ts_parse_count(argv[i] + 2)) < 0)
                rc = ts_cmd_usage(c, USAGE_BATCH, "-j takes a positive count, not '%s'", argv[i] + 2);
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
            if (!strchr(v, '=') || v[0] == '=') rc = ts_cmd_usage(c, USAGE_BATCH, "--set takes KEY=VALUE, not '%s'", v);
            else set[n_set++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--perspective", &missing))) {
            persp[n_persp++] = v;
        } else if (missing) {
            rc = ts_cmd_usage(c, USAGE_BATCH, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = ts_cmd_usage(c, USAGE_BATCH, "unknown option '%s'", argv[i]);
        } else if (strcmp(argv[i], "-") == 0) {
            /* one scenario from standard input, through a copy */
            rc = ts_cmd_file_arg(c, argv[i], &stdin_copy);
            if (rc == EXIT_OK && ts_path_list_add(&inputs, "-", 0)) rc = ts_cmd_oom(c);
        } else {
            rc = ts_cmd_collect(c, argv[i], &inputs);
        }
    }
    if (rc == EXIT_OK && !db) rc = ts_cmd_usage(c, USAGE_BATCH, "batch needs --db %s", "FILE");
    if (rc == EXIT_OK && inputs.n == 0) rc = ts_cmd_usage(c, USAGE_BATCH, "batch needs at least one %s", "SCENARIO");
    /* the store is not one of the scenarios (the files each extends are
       read by the workers, and a config file is no SQLite database) */
    for (int i = 0; rc == EXIT_OK && i < inputs.n; i++) {
        const ts_cmd_input scen = {inputs.path[i], "one of the scenarios", 0};
        rc = ts_cmd_check_output(c, "--db", db, &scen, 1);
    }
    if (rc != EXIT_OK) goto done;

    ts_error err;
    ts_error_clear(&err);
    ts_store *st;
    if (ts_store_open(db, &st, &err)) {
        rc = ts_cmd_error(c, &err);
        goto done;
    }
    if (!(in = calloc((size_t)inputs.n, sizeof *in))) {
        ts_store_close(st);
        rc = ts_cmd_oom(c);
        goto done;
    }
    for (int k = 0; k < inputs.n; k++) {
        int from_stdin = strcmp(inputs.path[k], "-") == 0;
        in[k] = (ts_batch_input){from_stdin ? stdin_copy.path : inputs.path[k], inputs.from_dir[k],
                                 from_stdin ? stdin_copy.read : NULL};
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    ts_batch_options opt = {(int)(jobs_n > 0 ? jobs_n : ncpu > 0 ? ncpu : 1), n_persp, persp, n_set, set, !force};
    printer p = {c, {errs, progress_mode < 0 ? isatty(fileno(errs)) : progress_mode, 0, now_seconds(), 0}, quiet, 0,
                 EXIT_OK};
    ts_batch_callbacks cb = {on_job, on_progress, &p};
    ts_batch_stats stats;
    if (ts_batch_run(st, in, inputs.n, &opt, &cb, &stats, &err)) {
        progress_clear(&p.pr);
        note_status(&p, ts_cmd_error(c, &err));
    }
    progress_clear(&p.pr);
    ts_store_close(st);
    rc = p.worst;
    if (stats.total == 0) goto done; /* out of memory: nothing was scored */
    double el = now_seconds() - p.pr.start;
    int kept = stats.stored + stats.reused;
    fprintf(errs,
            "%s: batch: %d run%s stored in %s, %d unchanged (reused), %d failed; %.2f s, %.0f runs/s, %d thread%s\n",
            c->prog, stats.stored, stats.stored == 1 ? "" : "s", db, stats.reused, stats.failed, el,
            el > 0 ? kept / el : 0.0, stats.threads, stats.threads == 1 ? "" : "s");
    if (timing)
        fprintf(errs, "%s: batch: writer %.3f s saving (%.3f ms a run), %.3f s waiting for scoring threads\n", c->prog,
                stats.seconds_saving, kept ? 1e3 * stats.seconds_saving / kept : 0.0, stats.seconds_waiting);
done:
    free(in);
    ts_path_list_free(&inputs);
    ts_file_arg_free(&stdin_copy);
    free(set);
    free(persp);
    return rc;
}
