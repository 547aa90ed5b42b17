/* report.h -- writing a run's scores as a ranking table, long CSV or JSON. */
#ifndef TS_REPORT_H
#define TS_REPORT_H

#include <stdio.h>

#include "pipeline.h"
#include "scenario.h"

typedef enum { TS_FORMAT_TABLE, TS_FORMAT_CSV, TS_FORMAT_JSON } ts_format;

/* Parses "table", "csv" or "json". Returns 0, or -1 for another name. */
int ts_format_parse(const char *name, ts_format *out);

/* Writes the scores of r for scenario s to f in format fmt; run_id > 0 is
 * shown as the run's id in the database. Returns TS_OK, or TS_ESYSTEM with
 * err filled when writing fails or memory runs out. */
int ts_report_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_result *r,
                    long long run_id, ts_error *err);

/* Writes the long CSV of a lean result (score --lean): byte for byte what
 * ts_report_write writes as TS_FORMAT_CSV for the same scenario. Returns
 * TS_OK, or TS_ESYSTEM with err filled when writing fails or memory runs
 * out. */
int ts_report_write_lean_csv(FILE *f, const ts_scenario *s, const ts_lean_result *r, ts_error *err);

/* Writes the table of a lean result: byte for byte what ts_report_write
 * writes as TS_FORMAT_TABLE without a run id. Returns as
 * ts_report_write_lean_csv. */
int ts_report_write_lean_table(FILE *f, const ts_scenario *s, const ts_lean_result *r, ts_error *err);

/* One row of the long scores CSV. Every writer of that format (score,
 * score --lean, export) goes through ts_csv_score_row, so their bytes
 * agree. parent is "" for the root; NaN scores are empty; rank 0 is empty;
 * a NaN reliability (a run stored before reliabilities were) is empty. */
typedef struct ts_score_row {
    const char *unit, *unit_name, *node, *node_name, *parent;
    int depth, rank;
    double score, coverage, imputed;
    const char *cls;  /* NULL: none */
    double reliability;
} ts_score_row;

/* The header line of the long scores CSV, newline included. Columns are
 * only ever added at its end, so scripts that read them by position keep
 * working. */
extern const char TS_SCORES_CSV_HEADER[];

/* Appends row as one line of the long scores CSV. */
void ts_csv_score_row(ts_buf *b, const ts_score_row *row);

/* Appends field s to b as a CSV field, quoted when it holds a comma, a
 * quote, a newline or leading/trailing space. */
void ts_csv_field(ts_buf *b, const char *s);

#endif
