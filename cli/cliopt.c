/* cliopt.c -- what the commands share: exit codes, option parsing, error
 * printing, output files, opening a store and number output. */
#include "cliopt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"

int ts_exit_code(int ts_code) {
    switch (ts_code) {
    case TS_OK: return EXIT_OK;
    case TS_EINPUT: return EXIT_INPUT;
    case TS_EUSAGE: return EXIT_USAGE;
    default: return EXIT_SYSTEM;
    }
}

int ts_print_error(FILE *errs, const char *prog, const ts_error *err) {
    char msg[2048];
    ts_error_format(err, msg, sizeof msg);
    /* a failure that left no message (once: CSV from a pipe) must still
       say something */
    if (!msg[0]) snprintf(msg, sizeof msg, "failed without saying why (an internal error: please report it)");
    fprintf(errs, "%s: %s\n", prog, msg);
    return ts_exit_code(err->code ? err->code : TS_ESYSTEM);
}

int ts_usage_error(FILE *errs, const char *prog, const char *usage, const char *fmt, const char *arg) {
    fprintf(errs, "%s: ", prog);
    fprintf(errs, fmt, arg);
    fprintf(errs, "\n\n%s", usage);
    return EXIT_USAGE;
}

int ts_is_help(const char *arg) {
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

const char *ts_opt_value(int argc, char **argv, int *i, const char *name, int *missing) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

FILE *ts_open_output(FILE *out, FILE *errs, const char *prog, const char *path, ts_outfile *o) {
    if (!path || strcmp(path, "-") == 0) return out;
    if (ts_outfile_open(o, path) != 0) {
        fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, strerror(errno));
        return NULL;
    }
    if (o->tmp) ts_cli_track_temp(o->dir_fd, o->tmp_name);
    return o->f;
}

int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok) {
    if (!path || strcmp(path, "-") == 0) return fflush(f) == 0 || !ok ? EXIT_OK : EXIT_SYSTEM;
    char tmp[NAME_MAX + 1] = "";
    if (o->tmp_name) snprintf(tmp, sizeof tmp, "%s", o->tmp_name);
    int rc = ts_outfile_close(o, ok);
    int saved = errno;
    /* only now: until the temporary file is renamed or removed, a signal
       must still find it (through the tracker's own copy of the
       directory's descriptor, which ts_outfile_close has closed) */
    if (tmp[0]) ts_cli_untrack_temp(tmp);
    if (rc == 0) return EXIT_OK;
    fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, strerror(saved));
    return EXIT_SYSTEM;
}

long ts_parse_count(const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 1000000000L) return -1;
    return n;
}

int ts_cmd_error(const ts_cmd *c, const ts_error *err) {
    return ts_print_error(c->errs, c->prog, err);
}

int ts_cmd_usage(const ts_cmd *c, const char *usage, const char *fmt, const char *arg) {
    return ts_usage_error(c->errs, c->prog, usage, fmt, arg);
}

FILE *ts_cmd_open_output(const ts_cmd *c, const char *path, ts_outfile *o) {
    return ts_open_output(c->out, c->errs, c->prog, path, o);
}

int ts_cmd_close_output(const ts_cmd *c, FILE *f, const char *path, ts_outfile *o, int ok) {
    return ts_close_output(c->errs, c->prog, f, path, o, ok);
}

int ts_cmd_open_store(const ts_cmd *c, const char *db, ts_store **st) {
    *st = NULL;
    if (access(db, F_OK) != 0) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, db, strerror(errno));
        return EXIT_INPUT;
    }
    ts_error err;
    ts_error_clear(&err);
    if (ts_store_open(db, st, &err)) return ts_cmd_error(c, &err);
    return EXIT_OK;
}

/* ---- an output is not an input ----------------------------------------- */

/* Returns the last component of path. */
static const char *last_component(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Returns 1 when paths a and b name one file (see ts_cmd_check_output);
 * stat follows symbolic links, so a link and its target are one file. */
static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return 0;
    /* neither exists (yet): one name in one directory */
    if (strcmp(last_component(a), last_component(b)) != 0) return 0;
    char *da = ts_dirname(a), *db = ts_dirname(b);
    int same = da && db && stat(da, &sa) == 0 && stat(db, &sb) == 0 ? sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
                                                                   : strcmp(a, b) == 0;
    free(da);
    free(db);
    return same;
}

/* Returns 1 when path names no file: NULL, empty, or "-" (a standard
 * stream). */
static int no_file(const char *path) {
    return !path || !path[0] || strcmp(path, "-") == 0;
}

int ts_cmd_check_output(const ts_cmd *c, const char *option, const char *out, const ts_cmd_input *in, int n) {
    if (no_file(out)) return EXIT_OK;
    struct stat sb;
    if (stat(out, &sb) == 0 && !S_ISREG(sb.st_mode)) return EXIT_OK;
    static const char *const db_files[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < n; i++) {
        if (no_file(in[i].path)) continue;
        for (int k = 0; k < (in[i].is_db ? 4 : 1); k++) {
            char side[PATH_MAX + 16];
            if ((size_t)snprintf(side, sizeof side, "%s%s", in[i].path, db_files[k]) >= sizeof side) continue;
            if (!same_file(out, side)) continue;
            /* name the input as given when it is spelt otherwise */
            fprintf(c->errs, "%s: %s %s: that is %s%s%s%s%s; the output must be another file\n", c->prog, option, out,
                    k ? "a file SQLite keeps beside " : "", in[i].what, strcmp(out, side) ? " (" : "",
                    strcmp(out, side) ? side : "", strcmp(out, side) ? ")" : "");
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

int ts_cmd_check_output_scenario(const ts_cmd *c, const char *option, const char *out, const struct ts_scenario *s) {
    if (no_file(out) || !s) return EXIT_OK;
    int rc = EXIT_OK;
    for (int i = 0; i < s->n_files && rc == EXIT_OK; i++) {
        ts_cmd_input in = {s->file_path[i], i ? "a scenario file it extends" : "the scenario", 0};
        rc = ts_cmd_check_output(c, option, out, &in, 1);
    }
    ts_cmd_input more[2] = {{s->taxonomy_path, "the taxonomy", 0}, {s->data_path, "the data file", 0}};
    if (rc == EXIT_OK) rc = ts_cmd_check_output(c, option, out, more, 2);
    return rc;
}

int ts_same_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

void ts_out_number(ts_buf *b, double x) {
    char num[40];
    ts_buf_puts(b, ts_fmt_double(num, sizeof num, x));
}

void ts_out_json_string(ts_buf *b, const char *s) {
    if (s) ts_buf_json_string(b, s);
    else ts_buf_puts(b, "null");
}

void ts_out_json_int(ts_buf *b, int x) {
    if (x) ts_buf_printf(b, "%d", x);
    else ts_buf_puts(b, "null");
}

int ts_overrides_add(FILE *errs, const char *prog, ts_overrides *ov, const char *kv, const char *usage) {
    if (!strchr(kv, '=') || kv[0] == '=') return ts_usage_error(errs, prog, usage, "--set takes KEY=VALUE, not '%s'", kv);
    if (ov->n == 64) return ts_usage_error(errs, prog, usage, "too many --set options (at most 64)%s", "");
    ov->set[ov->n++] = kv;
    return 0;
}

int ts_overrides_apply(FILE *errs, const char *prog, struct ts_scenario *s, const ts_overrides *ov) {
    ts_error err;
    ts_error_clear(&err);
    if (ts_scenario_apply_options(s, NULL, 0, ov->set, ov->n, &err)) return ts_print_error(errs, prog, &err);
    return 0;
}

/* ---- temporary files removed on a signal -------------------------------- */

enum { TEMP_FREE, TEMP_FILLING, TEMP_READY, MAX_TEMPS = 8 };

/* Global because a signal handler can reach nothing else. Each tracked
 * file is a name in a directory open on temp_dir[i], a descriptor of the
 * tracker's own (a duplicate), so the handler never uses memory that was
 * freed or a descriptor that was closed and reused. */
static atomic_int temp_state[MAX_TEMPS];
static int temp_dir[MAX_TEMPS];
static char temp_name[MAX_TEMPS][NAME_MAX + 1];

void ts_cli_track_temp(int dir_fd, const char *name) {
    if (strlen(name) >= sizeof temp_name[0]) return;
    for (int i = 0; i < MAX_TEMPS; i++) {
        int expected = TEMP_FREE;
        if (!atomic_compare_exchange_strong(&temp_state[i], &expected, TEMP_FILLING)) continue;
        temp_dir[i] = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
        if (temp_dir[i] < 0) {
            atomic_store(&temp_state[i], TEMP_FREE);
            return;
        }
        memcpy(temp_name[i], name, strlen(name) + 1);
        atomic_store(&temp_state[i], TEMP_READY);
        return;
    }
}

void ts_cli_untrack_temp(const char *name) {
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_state[i]) == TEMP_READY && strcmp(temp_name[i], name) == 0) {
            atomic_store(&temp_state[i], TEMP_FILLING);
            close(temp_dir[i]);
            atomic_store(&temp_state[i], TEMP_FREE);
            return;
        }
}

/* Removes the tracked files (unlinkat is async-signal-safe), then ends the
 * process by the same signal, so the parent sees how it ended. */
static void remove_temps_and_die(int sig) {
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_state[i]) == TEMP_READY) unlinkat(temp_dir[i], temp_name[i], 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

void ts_cli_catch_signals(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_temps_and_die;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}
