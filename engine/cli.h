/* cli.h -- the threatscore command line: parses arguments, calls the
 * engine, prints results and errors, and maps failures to exit codes
 * (0 ok, 1 bad input, 2 usage, 3 system). The only module that prints. */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <stdio.h>

/* Runs the command line argv with output to out and messages to errs.
 * Returns the process exit status. */
int ts_cli_main(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore trend`: scores per year and trends (cli_trend.c). */
int ts_cli_trend(int argc, char **argv, FILE *out, FILE *errs);

/* `threatscore weights`: effective weights at the index (cli_weights.c). */
int ts_cli_weights(int argc, char **argv, FILE *out, FILE *errs);

#endif
