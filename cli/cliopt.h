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

/* The one way every command reports a usage error: prints "prog: " + fmt
 * (with one %s taking arg); when arg looks like an option the usage text
 * does not document ("--fromat", "--rn=3"), adds "(did you mean
 * '--format'?)" from the options it does document; then one line pointing
 * to the command's --help (ts_help_pointer), not the whole usage, which
 * would push the error off the screen. Returns the usage exit status (2). */
int ts_usage_error(FILE *errs, const char *prog, const char *usage, const char *fmt, const char *arg);

/* Prints "Run 'threatscore CMD --help' for its usage and options.", CMD
 * taken from usage's first line ("usage: threatscore CMD ..."), or the
 * pointer to the list of commands for the top-level usage. */
void ts_help_pointer(FILE *errs, const char *usage);

/* The options a usage text documents: every word starting with "-" and a
 * letter, or "--" and a letter, found where a word starts (after a space,
 * '[', '(', ',' or '|'), with the value placeholder of its first mention
 * that has one ("-o FILE", "--format table|csv|json", "--set KEY=VALUE"):
 * a single space or '=' then a word with a capital, a digit or a '|'.
 * The usage text is the one source of truth for a command's options: the
 * "did you mean" of a misspelt option, shell completion and the man page
 * all read them from it. */
#define TS_MAX_OPTIONS 96
typedef struct ts_optlist {
    int n;
    char name[TS_MAX_OPTIONS][32];
    char arg[TS_MAX_OPTIONS][64]; /* "" for a flag */
} ts_optlist;

/* Fills o with the options usage documents, in order of first mention. */
void ts_usage_options(const char *usage, ts_optlist *o);

/* Returns buf holding the documented option closest to arg (its name part
 * before any '='), or NULL when arg is not an option, is a documented one,
 * or is close to none. */
const char *ts_usage_suggest(const char *usage, const char *arg, char *buf, size_t n);

/* Returns 1 for --help or -h. */
int ts_is_help(const char *arg);

/* Matches argv[*i] against option name, as "--name value" or
 * "--name=value". Returns the value (advancing *i past a separate value),
 * or NULL when argv[*i] is another argument; sets *missing when the option
 * has no value. */
const char *ts_opt_value(int argc, char **argv, int *i, const char *name, int *missing);

/* Opens a command's output: out when path is NULL or "-" (standard output,
 * for every command's -o), else path, written whole or not at all
 * (ts_outfile). Standard output is held in an unnamed temporary file
 * (ts_outfile_hold) and printed by ts_close_output when the command
 * succeeds, so that a command that fails half way, out of memory
 * included, prints nothing; where no temporary file can be made it is
 * written as it is made. Returns the stream, or NULL after printing "prog:
 * path: cannot write" (or "prog: out of memory"). */
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

/* Prints "prog: out of memory" and returns the system exit status (3). */
int ts_cmd_oom(const ts_cmd *c);

/* Opens the existing store db into *st: a missing file is bad input, not a
 * new store. Returns EXIT_OK, or an exit status after printing why (*st is
 * then NULL). */
int ts_cmd_open_store(const ts_cmd *c, const char *db, ts_store **st);

/* ---- inputs: a file, or "-" for standard input ------------------------ */

/* The name standard input gets in messages and provenance. Its relative
 * names (taxonomy, extends) resolve against the current directory. */
#define TS_STDIN_NAME "<stdin>"

/* A config file argument of a command: a path, or "-" for standard input,
 * which is copied whole to a temporary file (removed on a signal too):
 * the engine reads config files only as regular files, and the audit and
 * the uncertainty analysis read a scenario's files again. */
typedef struct ts_file_arg {
    const char *path;   /* the name the engine is given: the argument, or TS_STDIN_NAME */
    const char *read;   /* where its text is: the argument, or the copy */
    char tmp[512];      /* the copy's path, "" when none */
} ts_file_arg;

/* Prepares argument arg as an input into *in. Returns EXIT_OK, or the
 * system exit status after printing why the copy could not be made. */
int ts_cmd_file_arg(const ts_cmd *c, const char *arg, ts_file_arg *in);

/* Returns the usage exit status after printing why, when more than one of
 * argv[1..argc) is "-" (standard input can be read only once); else
 * EXIT_OK. */
int ts_cmd_one_stdin(const ts_cmd *c, const char *usage, int argc, char **argv);

/* Removes the copy of standard input, if any. A zeroed input is allowed. */
void ts_file_arg_free(ts_file_arg *in);

/* Loads the scenario file arg ("-": standard input) into *s, through *in,
 * which must outlive *s and be freed after it. Returns EXIT_OK, or an exit
 * status after printing the error (*s NULL). */
struct ts_scenario;
int ts_cmd_load_scenario(const ts_cmd *c, const char *arg, ts_file_arg *in, struct ts_scenario **s);

/* The options of every command that reads a wide CSV (score, uncertainty):
 * --unit-column, --name-column, --missing and --encoding, parsed in one
 * place so that they are the same everywhere. Zero-initialise. */
typedef struct ts_csv_args {
    ts_csv_options opt;
    char *missing_buf;
    const char **missing;
    int given;          /* 1 once any of them was given */
} ts_csv_args;

/* Consumes argv[*i] (and its value) when it is one of the CSV options.
 * Returns 1 when it was one, with *rc EXIT_OK or a usage or system status
 * after printing why; 0 when argv[*i] is some other argument. */
int ts_csv_args_parse(const ts_cmd *c, const char *usage, int argc, char **argv, int *i, ts_csv_args *a, int *rc);

/* Frees the marker list of --missing. */
void ts_csv_args_free(ts_csv_args *a);

/* The help text of the CSV options, for the commands' usage texts. */
#define TS_CSV_OPTIONS_HELP \
    "  --unit-column COL      CSV column holding unit ids (default: first)\n" \
    "  --name-column COL      CSV column holding unit names (default: none)\n" \
    "  --missing LIST         comma-separated missing-value markers\n" \
    "                         (default: empty, NA, N/A, x; case-insensitive)\n" \
    "  --encoding auto|utf-8|latin1  CSV encoding (default auto: UTF-8, and\n" \
    "                         fields that are not UTF-8 are read as Latin-1)\n"

/* Loads taxonomy with the wide CSV data read as a->opt says, into *s;
 * data "-" is standard input, which the engine reads itself (*in just
 * names it, and is freed as for ts_cmd_load_scenario). Returns EXIT_OK, or
 * an exit status after printing the error. */
int ts_cmd_load_csv(const ts_cmd *c, const char *taxonomy, const char *data, const ts_csv_args *a, ts_file_arg *in,
                    struct ts_scenario **s);

/* ---- lists of config files (batch, validate) ------------------------- */

/* Paths named on a command line, a directory standing for its files; each
 * path is malloc'd and owned by the list. Zero-initialise. */
typedef struct ts_path_list {
    char **path;
    unsigned char *from_dir;   /* 1: listed from a directory */
    int n, cap;
} ts_path_list;

/* Appends arg, or for a directory the entries named *.cfg that are not
 * directories, in name order (marked from_dir: there a taxonomy beside
 * the scenarios is not a failure; a FIFO is listed, and refused by the
 * reader with what it is). Returns EXIT_OK, or an exit status after
 * printing why (no such file, an unreadable directory, out of memory). */
int ts_cmd_collect(ts_cmd *c, const char *arg, ts_path_list *l);

/* Appends a copy of path. Returns 0, or -1 when out of memory. */
int ts_path_list_add(ts_path_list *l, const char *path, int from_dir);

/* Frees the list's paths and arrays, and zeroes it. */
void ts_path_list_free(ts_path_list *l);

/* Prints "prog: SCENARIO: unknown unit 'ID'" with a "did you mean" (case
 * is ignored, so "tjk" finds "TJK") or, when no unit is close, the units
 * (up to 12). Returns the bad-input exit status (1). */
int ts_cmd_unknown_unit(const ts_cmd *c, const struct ts_scenario *s, const char *id);

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

/* Tracks the file name (a copy) in the directory open on dir_fd (through
 * a duplicate of the descriptor, the tracker's own) until
 * ts_cli_untrack_temp; at most 8 at a time, further ones are not tracked.
 * Names are unique (made with O_EXCL), so one name is one file. */
void ts_cli_track_temp_at(int dir_fd, const char *name);

/* Tracks path: its last component in its directory, as above. */
void ts_cli_track_temp(const char *path);

/* Stops tracking the file whose name is path's last component. */
void ts_cli_untrack_temp(const char *path);

#endif
