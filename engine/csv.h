/* csv.h -- reading a wide CSV (one row per unit, one column per
 * indicator) into a dataset, streaming, RFC 4180 quoting, UTF-8 or Latin-1. */
#ifndef TS_CSV_H
#define TS_CSV_H

#include "dataset.h"
#include "scenario.h"
#include "taxonomy.h"

/* Reads path, mapping each indicator of t to the column named by its
 * `column` key or its id. Stores the file's SHA-256 in sha256_hex. Returns
 * TS_OK with a new dataset in *out (without per-value provenance: see
 * ts_dataset.unit_line), or an error code with *out NULL and err filled: file:line for malformed CSV, unknown columns,
 * duplicate units, non-numeric or non-finite values. */
int ts_csv_read(const char *path, const ts_taxonomy *t, const ts_csv_options *opt,
                        char sha256_hex[65], ts_dataset **out, ts_error *err);

/* A whole small CSV file as strings (COINr's iData and iMeta). Row 0 is
 * the header. */
typedef struct ts_csv_table {
    ts_arena *arena;
    int n_rows, n_cols;
    const char **cell;   /* cell[row * n_cols + col], UTF-8, trimmed */
    int *line;           /* line of each row */
} ts_csv_table;

/* Reads path as a table; every row must have the header's field count.
 * Returns TS_OK with the table in *out, or an error code with *out NULL
 * and err filled (file:line). */
int ts_csv_read_table(const char *path, int encoding, ts_csv_table **out, ts_error *err);

/* Returns the column named name, or -1. */
int ts_csv_table_column(const ts_csv_table *t, const char *name);

/* Frees the table. NULL is allowed. */
void ts_csv_table_free(ts_csv_table *t);

#endif
