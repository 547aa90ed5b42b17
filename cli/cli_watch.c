/* cli_watch.c -- `threatscore watch`: re-scores a scenario whenever one of
 * its files is saved (inotify) and prints what changed at the index. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "pipeline.h"
#include "report.h"
#include "scenario.h"

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
    ts_cmd *c;
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
static void print_changes(ts_cmd *c, const ts_scenario *s, const ts_result *r, const snapshot *old) {
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
                if (!found || !ts_same_double(x, was) || rank != was_rank) changed++;
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
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *path = NULL;
    long max_events = -1;
    const char **set = calloc((size_t)argc + 1, sizeof *set), **persp = calloc((size_t)argc + 1, sizeof *persp);
    int n_set = 0, n_persp = 0, rc = EXIT_OK;
    if (!set || !persp) {
        free(set), free(persp);
        return ts_cmd_oom(c);
    }
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_WATCH, out);
            free(set), free(persp);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--max-events", &missing))) {
            if ((max_events = ts_parse_count(v)) < 0)
                rc = ts_cmd_usage(c, USAGE_WATCH, "--max-events takes a positive count, not '%s'", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            if (!strchr(v, '=') || v[0] == '=') rc = ts_cmd_usage(c, USAGE_WATCH, "--set takes KEY=VALUE, not '%s'", v);
            else set[n_set++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--perspective", &missing))) {
            persp[n_persp++] = v;
        } else if (missing) {
            rc = ts_cmd_usage(c, USAGE_WATCH, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = ts_cmd_usage(c, USAGE_WATCH, "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            rc = ts_cmd_usage(c, USAGE_WATCH, "unexpected argument '%s'", argv[i]);
        }
    }
    if (rc == EXIT_OK && !path) rc = ts_cmd_usage(c, USAGE_WATCH, "watch needs a %s", "SCENARIO");
    if (rc == EXIT_OK && strcmp(path, "-") == 0)
        rc = ts_cmd_usage(c, USAGE_WATCH, "watch needs a file to watch, not standard input ('%s')", path);
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
        ts_scenario *s = NULL;
        ts_scenario_load_with(path, persp, n_persp, set, n_set, &s, &err);
        ts_result *r = NULL;
        if (s) ts_score(s, &r, &err);
        char ts[16];
        timestamp(ts, sizeof ts);
        if (!r) {
            ts_cmd_error(c, &err);
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
