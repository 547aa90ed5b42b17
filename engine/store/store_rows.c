/* store_rows.c -- a run's scores and inputs as the store keeps them since
 * schema 8: one row of unit_rows per unit, holding that unit's score rows
 * and input rows as two JSON arrays, read through the views scores and
 * inputs. Rendering them from a result, and moving schema 7's tables in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "pipeline.h"
#include "store_internal.h"

/* The table, and the views that give back the tables scores and inputs of
 * schema 7 column for column. A batch of small runs is bound by rows
 * written, and a unit's rows in one document are one row instead of one
 * per node and one per indicator. A rowid table, not WITHOUT ROWID: its
 * rows are kilobytes, which SQLite packs into full overflow pages only in
 * a table's B-tree. Each JSON number is the %.17g of the
 * double scored, which SQLite reads back to the same double; CAST keeps
 * the REAL columns REAL where %.17g wrote an integer ("1" for 1.0). The
 * views are read-only: a stored run is not edited. */
const char TS_STORE_ROWS_SCHEMA[] =
    "CREATE TABLE unit_rows("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL,"
    " scores TEXT NOT NULL," /* [[node, score, rank, class, coverage, imputed, reliability], ...] */
    " inputs TEXT NOT NULL," /* [[indicator, raw, transformed, normalised, imputed, source, year,
                                 estimate, note, shock, file, line], ...] */
    " UNIQUE(run_id, unit));";

static const char VIEWS[] =
    "CREATE VIEW scores(run_id, unit, node, score, rank, class, coverage, imputed, reliability) AS"
    " SELECT d.run_id, d.unit, json_extract(j.value, '$[0]'), CAST(json_extract(j.value, '$[1]') AS REAL),"
    " json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), CAST(json_extract(j.value, '$[4]') AS REAL),"
    " CAST(json_extract(j.value, '$[5]') AS REAL), CAST(json_extract(j.value, '$[6]') AS REAL)"
    " FROM unit_rows d, json_each(d.scores) j;"
    "CREATE VIEW inputs(run_id, unit, indicator, raw, transformed, normalised, imputed, source, year, estimate,"
    " note, shock, file, line) AS"
    " SELECT d.run_id, d.unit, json_extract(j.value, '$[0]'), CAST(json_extract(j.value, '$[1]') AS REAL),"
    " CAST(json_extract(j.value, '$[2]') AS REAL), CAST(json_extract(j.value, '$[3]') AS REAL),"
    " json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]'),"
    " json_extract(j.value, '$[7]'), json_extract(j.value, '$[8]'), json_extract(j.value, '$[9]'),"
    " json_extract(j.value, '$[10]'), json_extract(j.value, '$[11]')"
    " FROM unit_rows d, json_each(d.inputs) j;";

/* ---- rendering --------------------------------------------------------- */

/* Appends x as a JSON number: its %.17g, null for NaN (missing), and for
 * an infinity SQLite's own 9e999, which its JSON functions read as one. */
static void put_double(ts_buf *b, ts_fmt_cache *fc, double x) {
    if (isnan(x)) {
        ts_buf_append(b, "null", 4);
    } else if (isinf(x)) {
        ts_buf_puts(b, x > 0 ? "9e999" : "-9e999");
    } else {
        char num[TS_FMT_SIZE];
        ts_buf_append(b, num, ts_fmt_g17_cached(fc, num, x));
    }
}

static void put_int(ts_buf *b, long long v) {
    char num[TS_FMT_SIZE];
    ts_buf_append(b, num, ts_fmt_int(num, v));
}

/* Appends s as a JSON string, or null. */
static void put_text(ts_buf *b, const char *s) {
    if (s) ts_buf_json_string(b, s);
    else ts_buf_append(b, "null", 4);
}

/* The fields after the first of a row: each writes its comma, then its
 * value (the readers are store_read.c's next_number and the like). */
static void field_double(ts_buf *b, ts_fmt_cache *fc, double x) {
    ts_buf_append(b, ",", 1);
    put_double(b, fc, x);
}

static void field_text(ts_buf *b, const char *s) {
    ts_buf_append(b, ",", 1);
    put_text(b, s);
}

/* v, or null when v is 0 (no rank, no year, no line). */
static void field_int_or_null(ts_buf *b, long long v) {
    if (v) {
        ts_buf_append(b, ",", 1);
        put_int(b, v);
    } else {
        ts_buf_append(b, ",null", 5);
    }
}

void ts_store_render_unit(const ts_scenario *s, const ts_result *r, const int *order, int u, ts_fmt_cache *fc,
                          ts_buf *scores, ts_buf *inputs) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    ts_buf_append(scores, "[", 1);
    for (int j = 0; j < t->n_nodes; j++) {
        int k = order[j];
        double score = ts_result_score(r, k, u);
        ts_buf_append(scores, j ? ",[" : "[", j ? 2 : 1);
        put_text(scores, t->nodes[k].id);
        field_double(scores, fc, score);
        field_int_or_null(scores, ts_result_rank(r, k, u));
        field_text(scores, ts_taxonomy_class(t, k, score));
        field_double(scores, fc, ts_result_coverage(r, k, u));
        field_double(scores, fc, r->imputed_share[(size_t)k * (size_t)r->n_units + (size_t)u]);
        field_double(scores, fc, ts_result_reliability(r, k, u));
        ts_buf_append(scores, "]", 1);
    }
    ts_buf_append(scores, "]", 1);
    ts_buf_append(inputs, "[", 1);
    for (int i = 0; i < t->n_indicators; i++) {
        size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
        const ts_node *nd = &t->nodes[t->indicator_node[i]];
        const ts_provenance *p = d->prov ? &d->prov[c] : NULL;
        const char *file;
        int line;
        ts_value_origin(s, i, u, &file, &line);
        int present = !isnan(d->values[c]);
        ts_buf_append(inputs, i ? ",[" : "[", i ? 2 : 1);
        put_text(inputs, nd->id);
        field_double(inputs, fc, d->values[c]);
        field_double(inputs, fc, r->transformed[c]);
        field_double(inputs, fc, r->normalised[c]);
        ts_buf_append(inputs, ",", 1);
        put_int(inputs, r->imputed[c]);
        /* CSV input has no provenance per value: the indicator's source */
        field_text(inputs, p ? p->source : nd->source);
        field_int_or_null(inputs, p ? p->year : 0);
        ts_buf_append(inputs, p && (p->flags & TS_VALUE_ESTIMATE) ? ",1" : ",0", 2);
        field_text(inputs, p ? p->note : NULL);
        field_text(inputs, p ? p->shock : NULL);
        field_text(inputs, present ? file : NULL);
        field_int_or_null(inputs, present ? line : 0);
        ts_buf_append(inputs, "]", 1);
    }
    ts_buf_append(inputs, "]", 1);
}

/* ---- schema 7 to 8 ------------------------------------------------------ */

/* Appends column i of the row q stands on as a JSON value of the same SQL
 * type: NULL as null, an integer as one, a REAL as its %.17g (SQLite's
 * 9e999 for an infinity), text as a string. Returns 0, -1 for a blob,
 * which no threatscore writes there and JSON cannot keep, or -2 when the
 * text could not be read (out of memory). */
static int put_column(ts_buf *b, ts_fmt_cache *fc, sqlite3_stmt *q, int i) {
    switch (sqlite3_column_type(q, i)) {
    case SQLITE_NULL:
        ts_buf_append(b, "null", 4);
        return 0;
    case SQLITE_INTEGER:
        put_int(b, sqlite3_column_int64(q, i));
        return 0;
    case SQLITE_FLOAT:
        put_double(b, fc, sqlite3_column_double(q, i));
        return 0;
    case SQLITE_TEXT: {
        /* ts_buf_json_string stops at a NUL, which SQL text from
           threatscore never holds */
        const char *text = (const char *)sqlite3_column_text(q, i);
        if (!text) return -2;
        put_text(b, text);
        return 0;
    }
    default:
        return -1;
    }
}

/* Moves schema 7's table (scores or inputs) into unit_rows: select gives
 * run_id, unit, then the columns of a row of the document, ordered by run
 * and unit; each (run, unit) becomes one document, which the statement
 * store inserts (?1 run, ?2 unit, ?3 the document). Returns TS_OK,
 * TS_EINPUT for a row no threatscore writes, or TS_ESYSTEM. */
static int move_table(ts_store *st, const char *select, const char *store, const char *table, ts_error *err) {
    sqlite3_stmt *q = NULL, *w = NULL;
    if (sqlite3_prepare_v2(st->db, select, -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, store, -1, &w, NULL) != SQLITE_OK) {
        int rc = ts_store_fail(st, err, "cannot move scores and inputs into unit_rows");
        sqlite3_finalize(q);
        return rc;
    }
    ts_fmt_cache *fc = calloc(1, sizeof *fc);
    ts_buf doc = {0};
    char *unit = NULL;
    long long run = 0;
    int rc = fc ? TS_OK : ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int n_cols = sqlite3_column_count(q), src = SQLITE_DONE, rows = 0;
    /* one more turn after the last row flushes the last document */
    for (int more = 1; rc == TS_OK && more;) {
        src = sqlite3_step(q);
        more = src == SQLITE_ROW;
        const char *u = more ? (const char *)sqlite3_column_text(q, 1) : NULL;
        if (more && !u) {
            rc = ts_store_row_lost(st) ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory")
                                       : ts_fail(err, TS_EINPUT, st->path, 0, "cannot upgrade: %s has a row without a unit", table);
            break;
        }
        int same = more && rows && sqlite3_column_int64(q, 0) == run && strcmp(u, unit) == 0;
        if (rows && !same) {
            ts_buf_append(&doc, "]", 1);
            if (doc.oom) {
                rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
                break;
            }
            sqlite3_bind_int64(w, 1, run);
            sqlite3_bind_text(w, 2, unit, -1, SQLITE_STATIC);
            sqlite3_bind_text(w, 3, doc.data, (int)doc.len, SQLITE_STATIC);
            int wrc = sqlite3_step(w);
            sqlite3_reset(w);
            if (wrc != SQLITE_DONE) {
                rc = ts_store_fail(st, err, "cannot move scores and inputs into unit_rows");
                break;
            }
            rows = 0;
        }
        if (!more) break;
        if (!rows) {
            free(unit);
            run = sqlite3_column_int64(q, 0);
            unit = strdup(u);
            if (!unit) {
                rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
                break;
            }
            doc.len = 0;
            ts_buf_append(&doc, "[", 1);
        }
        ts_buf_append(&doc, rows ? ",[" : "[", rows ? 2 : 1);
        for (int c = 2; c < n_cols; c++) {
            if (c > 2) ts_buf_append(&doc, ",", 1);
            int bad = put_column(&doc, fc, q, c);
            if (bad) {
                rc = bad == -2 ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory")
                               : ts_fail(err, TS_EINPUT, st->path, 0, "cannot upgrade: %s holds a blob (run %lld, unit %s)",
                                         table, run, unit);
                break;
            }
        }
        ts_buf_append(&doc, "]", 1);
        rows++;
    }
    if (rc == TS_OK && src != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot move scores and inputs into unit_rows");
    /* a run may have scores and no inputs (or the reverse) in a file
       written elsewhere: the other document is then an empty list */
    sqlite3_finalize(q);
    sqlite3_finalize(w);
    free(unit);
    free(fc);
    ts_buf_free(&doc);
    return rc;
}

int ts_store_move_rows(ts_store *st, ts_error *err) {
    /* the nodes of a unit in the order the writer puts them (preorder),
       rows without a node row last */
    int rc = move_table(st,
                        "SELECT s.run_id, s.unit, s.node, s.score, s.rank, s.class, s.coverage, s.imputed,"
                        " s.reliability FROM scores s LEFT JOIN nodes n ON n.run_id = s.run_id AND n.node = s.node"
                        " ORDER BY s.run_id, s.unit, n.position IS NULL, n.position, s.node",
                        "INSERT INTO unit_rows VALUES(?1, ?2, ?3, '[]')", "scores", err);
    if (rc == TS_OK)
        rc = move_table(st,
                        "SELECT i.run_id, i.unit, i.indicator, i.raw, i.transformed, i.normalised, i.imputed,"
                        " i.source, i.year, i.estimate, i.note, i.shock, i.file, i.line FROM inputs i"
                        " LEFT JOIN nodes n ON n.run_id = i.run_id AND n.node = i.indicator"
                        " ORDER BY i.run_id, i.unit, n.position IS NULL, n.position, i.indicator",
                        "INSERT INTO unit_rows VALUES(?1, ?2, '[]', ?3)"
                        " ON CONFLICT(run_id, unit) DO UPDATE SET inputs = excluded.inputs",
                        "inputs", err);
    if (rc == TS_OK && sqlite3_exec(st->db, "DROP TABLE scores; DROP TABLE inputs;", NULL, NULL, NULL) != SQLITE_OK)
        rc = ts_store_fail(st, err, "cannot move scores and inputs into unit_rows");
    if (rc == TS_OK && sqlite3_exec(st->db, VIEWS, NULL, NULL, NULL) != SQLITE_OK)
        rc = ts_store_fail(st, err, "cannot create the views scores and inputs");
    return rc;
}
