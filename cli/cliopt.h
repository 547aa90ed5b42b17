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

/* Temporary output files removed when the program is interrupted. The
 * library keeps no list (it has no global state); the program does:
 * ts_open_output tracks the temporary file of each -o FILE until
 * ts_close_output, and the handlers that ts_cli_catch_signals installs for
 * SIGINT, SIGTERM and SIGHUP remove every tracked file, then let the
 * signal end the process as it would have. */

/* Installs the handlers (not for a signal that is ignored, as under
 * nohup). Called once by main. */
void ts_cli_catch_signals(void);

/* Tracks (a copy of) path until ts_cli_untrack_temp; at most 8 at a time,
 * further ones are not tracked. */
void ts_cli_track_temp(const char *path);

/* Stops tracking path. */
void ts_cli_untrack_temp(const char *path);

#endif
