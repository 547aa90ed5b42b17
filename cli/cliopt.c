/* cliopt.c -- shared argument-parsing helpers of the commands. */
#include "cliopt.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ts_exit_code(int ts_code) {
    switch (ts_code) {
    case TS_OK: return 0;
    case TS_EINPUT: return 1;
    case TS_EUSAGE: return 2;
    default: return 3;
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
    return 2;
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
    if (!path) return out;
    if (ts_outfile_open(o, path) != 0) {
        fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, strerror(errno));
        return NULL;
    }
    if (o->tmp) ts_cli_track_temp(o->tmp);
    return o->f;
}

int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok) {
    if (!path) return fflush(f) == 0 || !ok ? 0 : 3;
    char tmp[PATH_MAX + 64] = "";
    if (o->tmp) snprintf(tmp, sizeof tmp, "%s", o->tmp);
    int rc = ts_outfile_close(o, ok);
    int saved = errno;
    /* only now: until the temporary file is renamed or removed, a signal
       must still find it */
    if (tmp[0]) ts_cli_untrack_temp(tmp);
    if (rc == 0) return 0;
    fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, strerror(saved));
    return 3;
}

/* ---- temporary files removed on a signal -------------------------------- */

enum { TEMP_FREE, TEMP_FILLING, TEMP_READY, MAX_TEMPS = 8 };

/* Global because a signal handler can reach nothing else; the paths are
 * copies, so the handler never reads memory that was freed. */
static atomic_int temp_state[MAX_TEMPS];
static char temp_path[MAX_TEMPS][PATH_MAX + 64];

void ts_cli_track_temp(const char *path) {
    if (strlen(path) >= sizeof temp_path[0]) return;
    for (int i = 0; i < MAX_TEMPS; i++) {
        int expected = TEMP_FREE;
        if (!atomic_compare_exchange_strong(&temp_state[i], &expected, TEMP_FILLING)) continue;
        memcpy(temp_path[i], path, strlen(path) + 1);
        atomic_store(&temp_state[i], TEMP_READY);
        return;
    }
}

void ts_cli_untrack_temp(const char *path) {
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_state[i]) == TEMP_READY && strcmp(temp_path[i], path) == 0) {
            atomic_store(&temp_state[i], TEMP_FREE);
            return;
        }
}

/* Removes the tracked files (unlink is async-signal-safe), then ends the
 * process by the same signal, so the parent sees how it ended. */
static void remove_temps_and_die(int sig) {
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_state[i]) == TEMP_READY) unlink(temp_path[i]);
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
