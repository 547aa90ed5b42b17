/* cliopt.c -- shared argument-parsing helpers of the commands. */
#include "cliopt.h"

#include <errno.h>
#include <string.h>

#include "scenario.h"

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

FILE *ts_open_output(FILE *out, FILE *errs, const char *prog, const char *path, ts_outfile *o) {
    if (!path) return out;
    if (ts_outfile_open(o, path) != 0) {
        fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, strerror(errno));
        return NULL;
    }
    return o->f;
}

int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok) {
    if (!path) return fflush(f) == 0 || !ok ? 0 : 3;
    if (ts_outfile_close(o, ok) == 0) return 0;
    fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, strerror(errno));
    return 3;
}

int ts_overrides_add(FILE *errs, const char *prog, ts_overrides *ov, const char *kv, const char *usage) {
    if (!strchr(kv, '=') || kv[0] == '=') return ts_usage_error(errs, prog, usage, "--set takes KEY=VALUE, not '%s'", kv);
    if (ov->n == 64) return ts_usage_error(errs, prog, usage, "too many --set options (at most 64)%s", "");
    ov->set[ov->n++] = kv;
    return 0;
}

int ts_overrides_apply(FILE *errs, const char *prog, struct ts_scenario *s, const ts_overrides *ov) {
    for (int i = 0; i < ov->n; i++) {
        const char *eq = strchr(ov->set[i], '=');
        char key[128], where[300];
        snprintf(key, sizeof key, "%.*s", (int)(eq - ov->set[i]), ov->set[i]);
        snprintf(where, sizeof where, "--set %s", ov->set[i]);
        ts_error err;
        ts_error_clear(&err);
        if (ts_scenario_set(s, key, eq + 1, where, &err)) {
            err.code = TS_EUSAGE;
            return ts_print_error(errs, prog, &err);
        }
    }
    return 0;
}
