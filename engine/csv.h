/* csv.h -- reading a wide CSV (one row per unit, one column per
 * indicator) into a dataset, streaming, RFC 4180 quoting, UTF-8 or Latin-1. */
#ifndef TS_CSV_H
#define TS_CSV_H

#include "dataset.h"
#include "scenario.h"
#include "taxonomy.h"

/* Reads path, mapping each indicator of t to the column named by its
 * `column` key or its id. Stores the file's SHA-256 in sha256_hex. Returns
 * a new dataset (without per-value provenance: see ts_dataset.unit_line),
 * or NULL with err filled: file:line for malformed CSV, unknown columns,
 * duplicate units, non-numeric or non-finite values. */
ts_dataset *ts_csv_read(const char *path, const ts_taxonomy *t, const ts_csv_options *opt,
                        char sha256_hex[65], ts_error *err);

#endif
