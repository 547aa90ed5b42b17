/* cli.h -- the threatscore command line: parses arguments, calls the
 * engine, prints results and errors, and maps failures to exit codes
 * (0 ok, 1 bad input, 2 usage, 3 system). The only module that prints. */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <stdio.h>

/* Runs the command line argv with output to out and messages to errs.
 * Returns the process exit status. */
int ts_cli_main(int argc, char **argv, FILE *out, FILE *errs);

/* The uncertainty subcommand (argv[0] = "uncertainty"); in cli_uncertainty.c.
 * Returns the process exit status. */
int ts_cli_uncertainty(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore trend`: scores per year and trends (cli_trend.c). */
int ts_cli_trend(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore plot` (cli_plot.c): argv[0] is "plot". The gnuplot
 * program is taken from the TS_GNUPLOT environment variable, default
 * "gnuplot". Returns the exit status. */
int ts_cli_plot(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore weights`: effective weights at the index (cli_weights.c). */
int ts_cli_weights(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore audit`: the statistical audit of the framework (cli_audit.c). */
int ts_cli_audit(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore report`: the briefing report as one HTML page (cli_report.c). */
int ts_cli_report(int argc, char **argv, FILE *out, FILE *errs);

/* The commands on many scenarios and on stored runs, one file each: batch
 * (cli_batch.c), compare (cli_compare.c), export and rescore, which read one
 * stored run back (cli_export.c), and watch (cli_watch.c). Each takes the
 * command's arguments (argv[0] is the command name) and returns the exit
 * status. */
int ts_cli_batch(int argc, char **argv, FILE *out, FILE *errs);
int ts_cli_compare(int argc, char **argv, FILE *out, FILE *errs);
int ts_cli_export(int argc, char **argv, FILE *out, FILE *errs);
int ts_cli_rescore(int argc, char **argv, FILE *out, FILE *errs);
int ts_cli_watch(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore alert`: stored runs against a reference, with probabilities,
 * drivers and reliabilities (cli_alert.c). Returns the exit status (4 with
 * --exit-code when an alert fires). */
int ts_cli_alert(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore new-scenario`: a commented what-if scenario skeleton
 * (cli_new.c). Returns the exit status. */
int ts_cli_new_scenario(int argc, char **argv, FILE *out, FILE *errs);

/* Stores the names of every command (up to max) in names, in the order of
 * the top-level help, and returns their count. */
int ts_cli_command_names(const char **names, int max);

/* Returns the top-level help text. */
const char *ts_cli_usage(void);

/* `threatscore --man` (cli_help.c): the manual page in roff, made of the
 * same texts as --help (each command's, run in-process), so the two cannot
 * disagree. Returns the exit status. */
int ts_cli_man(FILE *out, FILE *errs);

/* `threatscore --complete N WORD...` (cli_help.c): prints, one a line, the
 * completions of WORD N (1 = the command) of the command line WORD...,
 * for the bash completion script: commands, the command's options (from
 * its usage text), an option's values (table|csv|json, node and unit ids
 * of the scenario on the line). Prints nothing where a file name is
 * expected. Returns the exit status. */
int ts_cli_complete(int argc, char **argv, FILE *out, FILE *errs);

#endif
