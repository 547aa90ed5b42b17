/* cliopt.h -- what every command's argument parser shares: exit codes,
 * option values, help flags and error printing (cli*.c and plots/). */
#ifndef TS_CLIOPT_H
#define TS_CLIOPT_H

#include <stdio.h>

#include "error.h"
#include "util.h"

/* Returns the exit status of a TS_* status: 0 ok, 1 bad input, 2 usage,
 * 3 system. */
int ts_exit_code(int ts_code);

/* Prints "prog: file:line: message" to errs and returns the exit status of
 * err's code. */
int ts_print_error(FILE *errs, const char *prog, const ts_error *err);

/* Prints "prog: " + fmt (with one %s taking arg), then the usage text, and
 * returns the usage exit status (2). */
int ts_usage_error(FILE *errs, const char *prog, const char *usage, const char *fmt, const char *arg);

/* Returns 1 for --help or -h. */
int ts_is_help(const char *arg);

/* Matches argv[*i] against option name, as "--name value" or
 * "--name=value". Returns the value (advancing *i past a separate value),
 * or NULL when argv[*i] is another argument; sets *missing when the option
 * has no value. */
const char *ts_opt_value(int argc, char **argv, int *i, const char *name, int *missing);

/* Opens a command's output: out when path is NULL, else path written whole
 * or not at all (ts_outfile). Returns the stream, or NULL after printing
 * "prog: path: cannot write". */
FILE *ts_open_output(FILE *out, FILE *errs, const char *prog, const char *path, ts_outfile *o);

/* Finishes the output of ts_open_output, keeping it when ok. Returns the
 * exit status: 0, or 3 after printing when writing failed. */
int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok);

/* Method overrides from --set KEY=VALUE, applied after loading (score,
 * explain, audit). */
typedef struct ts_overrides {
    const char *set[64];
    int n;
} ts_overrides;

/* Records one --set. Returns 0, or the usage exit status (2) after
 * printing what is wrong with kv and the usage text. */
int ts_overrides_add(FILE *errs, const char *prog, ts_overrides *ov, const char *kv, const char *usage);

/* Applies the overrides to s in order. Returns 0, or the usage exit status
 * (2) after printing the error, which names the --set option. */
struct ts_scenario;
int ts_overrides_apply(FILE *errs, const char *prog, struct ts_scenario *s, const ts_overrides *ov);

#endif
