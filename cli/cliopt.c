/* cliopt.c -- shared argument-parsing helpers of the commands. */
#include "cliopt.h"

#include <errno.h>
#include <string.h>

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
    fprintf(errs, "%s: %s\n", prog, ts_error_format(err, msg, sizeof msg));
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

/* Returns why an output could not be written: "out of memory" for ENOMEM
 * (the words every command uses for it), else strerror's text. */
static const char *write_failure(int errnum) {
    return errnum == ENOMEM ? "out of memory" : strerror(errnum);
}

FILE *ts_open_output(FILE *out, FILE *errs, const char *prog, const char *path, ts_outfile *o) {
    if (!path) return out;
    if (ts_outfile_open(o, path) != 0) {
        fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, write_failure(errno));
        return NULL;
    }
    return o->f;
}

int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok) {
    if (!path) return fflush(f) == 0 || !ok ? 0 : 3;
    if (ts_outfile_close(o, ok) == 0) return 0;
    fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, write_failure(errno));
    return 3;
}
