/* testutil.h -- shared helpers for the cmocka tests: scratch files in a
 * private temporary directory and running the CLI in-process. */
#ifndef TS_TESTUTIL_H
#define TS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

/* Returns the path of a fresh scratch directory (created once per process,
 * removed at exit). */
const char *tu_dir(void);

/* Writes content to name inside the scratch directory; returns the full
 * path in a static rotating buffer (valid for the next 8 calls). */
const char *tu_write(const char *name, const char *content);

/* Writes n raw bytes. */
const char *tu_write_bytes(const char *name, const void *bytes, size_t n);

/* Returns the scratch path for name without creating it. */
const char *tu_path(const char *name);

/* Runs the CLI in-process with the NULL-terminated arguments after
 * "threatscore"; captures stdout and stderr into malloc'd strings (caller
 * frees). Returns the exit status. */
int tu_run(char **out, char **err, ...);

/* As tu_run for any command entry point main (ts_cli_main, or plot's
 * ts_cli_plot), with argv0 as argv[0] and the NULL-terminated
 * arguments in ap. */
int tu_vrun(int (*main_fn)(int, char **, FILE *, FILE *), const char *argv0, char **out, char **err, va_list ap);

/* As tu_run for `threatscore plot ARGS...` (ts_cli_plot). */
int tu_run_plot(char **out, char **err, ...);

/* Returns 1 when path names something (stat follows links), else 0. */
int tu_exists(const char *path);

/* Runs cmdline with sh (popen). Returns its standard output, malloc'd, and
 * stores its exit status in *status (128 when it did not exit). */
char *tu_popen(const char *cmdline, int *status);

/* Returns the whole file at path, NUL-terminated, its length in *n (n may
 * be NULL); fails the test when it cannot be read. The caller frees it. */
char *tu_slurp(const char *path, size_t *n);

/* Compares the n bytes at got with the golden file tests/golden/NAME
 * (NAME relative, e.g. "plots/ranking.gp"), first writing them there when
 * TS_UPDATE_GOLDEN is set; fails the test, showing got, when they differ
 * or the file is missing. */
void tu_golden(const char *name, const char *got, size_t n);

/* The reference data shipped with the tests (tests/data/README.md), read
 * from the project root as ctest runs the tests. */
#define TU_DATA "tests/data"

/* Ends the current test as not runnable, saying why (its data is absent).
 * By default that fails the test: on a fresh clone every test must run.
 * With TS_ALLOW_SKIP=1 in the environment the test is skipped instead, and
 * tu_exit_status makes the program exit 77, which ctest reports as
 * skipped (SKIP_RETURN_CODE), never as passed. */
void tu_skip(const char *why);

/* Calls tu_skip unless path is readable. */
void tu_need(const char *path);

/* Returns main's exit status from cmocka's count of failed tests: that
 * count when non-zero, else 77 when a test was skipped, else 0. */
int tu_exit_status(int failed);

/* Runs sql on the store db (read-write), failing the test on an error.
 * Since schema 8 the store's scores, inputs and nodes are read-only views
 * (store_rows.c, store_nodes.c); for this connection only, triggers make
 * them editable, so that a test can tamper with a stored run as one
 * would with the tables. An edited score or input row is written anew
 * with SQLite's json_array, whose numbers keep 15 significant digits: a
 * tampering test compares nothing finer. */
void tu_sql_exec(const char *db, const char *sql);

/* Counts rows of a SQL query's first column (an integer) in db; -1 when the
 * database cannot be opened. */
long long tu_query_int(const char *db, const char *sql);

#endif
