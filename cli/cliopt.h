/* cliopt.h -- what the commands share: exit codes, option values, help
 * flags, error printing, output files, opening a store and number output. */
#ifndef TS_CLIOPT_H
#define TS_CLIOPT_H

#include <stdio.h>

#include "error.h"
#include "store.h"
#include "util.h"

/* The exit statuses of every command (the CLI contract). */
enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

/* Returns the exit status of a TS_* status: EXIT_OK, EXIT_INPUT for bad
 * input, EXIT_USAGE, EXIT_SYSTEM for anything else. */
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

/* Opens a command's output: out when path is NULL or "-", else path written
 * whole or not at all (ts_outfile). Returns the stream, or NULL after printing
 * "prog: path: cannot write". */
FILE *ts_open_output(FILE *out, FILE *errs, const char *prog, const char *path, ts_outfile *o);

/* Finishes the output of ts_open_output, keeping it when ok. Returns the
 * exit status: 0, or 3 after printing when writing failed. */
int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok);

/* Parses a positive count (1 to 10^9) given to an option. Returns it, or -1
 * when v is not one. */
long ts_parse_count(const char *v);

/* A command's streams and the name its messages start with, for the
 * commands that keep them together (ts_cmd_*). */
typedef struct ts_cmd {
    FILE *out, *errs;
    const char *prog;
} ts_cmd;

/* ts_print_error, ts_usage_error, ts_open_output and ts_close_output on
 * c's streams; they return as those do. */
int ts_cmd_error(const ts_cmd *c, const ts_error *err);
int ts_cmd_usage(const ts_cmd *c, const char *usage, const char *fmt, const char *arg);
FILE *ts_cmd_open_output(const ts_cmd *c, const char *path, ts_outfile *o);
int ts_cmd_close_output(const ts_cmd *c, FILE *f, const char *path, ts_outfile *o, int ok);

/* Opens the existing store db into *st: a missing file is bad input, not a
 * new store. Returns EXIT_OK, or an exit status after printing why (*st is
 * then NULL). */
int ts_cmd_open_store(const ts_cmd *c, const char *db, ts_store **st);

/* An input a command reads, for ts_cmd_check_output: its path (NULL or
 * "-" for none) and what it is ("the database", "the scenario"...). A
 * database also stands for its -wal, -shm and -journal files. */
typedef struct ts_cmd_input {
    const char *path;
    const char *what;
    int is_db;
} ts_cmd_input;

/* Refuses to write an output over one of the command's inputs: out, given
 * with option (e.g. "-o", "--db"), against in[0..n). Writing there would
 * destroy the input (-o replaces its file on success, and a store is
 * rewritten in place), so every command that writes checks its outputs
 * before it does anything. Two paths name one file when stat gives them
 * one device and inode ("./x", "x", a hard link and a symbolic link to x
 * all match), or, when neither exists yet, when their directories are one
 * and their last components are equal. An output that exists and is not a
 * regular file (/dev/null, a pipe) replaces nothing and is let through.
 * NULL and "-" (standard input or output) are no files. Returns EXIT_OK,
 * or EXIT_USAGE after printing which input out is. */
int ts_cmd_check_output(const ts_cmd *c, const char *option, const char *out, const ts_cmd_input *in, int n);

/* As ts_cmd_check_output for the files a loaded scenario was read from:
 * its scenario files (the extends chain), its taxonomy and its data file,
 * which are known only once it is loaded. Returns as that does. */
struct ts_scenario;
int ts_cmd_check_output_scenario(const ts_cmd *c, const char *option, const char *out, const struct ts_scenario *s);

/* Returns 1 when a and b are the same double bit for bit, or both NaN. */
int ts_same_double(double a, double b);

/* Appends x as a CSV number (%.17g; nothing for NaN). */
void ts_out_number(ts_buf *b, double x);
/* Appends s as a JSON string, or null when s is NULL. */
void ts_out_json_string(ts_buf *b, const char *s);
/* Appends x as a JSON number, or null when x is 0 (no rank, year or line). */
void ts_out_json_int(ts_buf *b, int x);

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

/* Temporary output files removed when the program is interrupted. The
 * library keeps no list (it has no global state); the program does:
 * ts_open_output tracks the temporary file of each -o FILE until
 * ts_close_output, and the handlers that ts_cli_catch_signals installs for
 * SIGINT, SIGTERM and SIGHUP remove every tracked file, then let the
 * signal end the process as it would have. */

/* Installs the handlers (not for a signal that is ignored, as under
 * nohup). Called once by main. */
void ts_cli_catch_signals(void);

/* Tracks the file name (a copy) in the directory open on dir_fd (a
 * duplicate of the descriptor) until ts_cli_untrack_temp; at most 8 at a
 * time, further ones are not tracked. */
void ts_cli_track_temp(int dir_fd, const char *name);

/* Stops tracking name. */
void ts_cli_untrack_temp(const char *name);

#endif
