/* store_internal.h -- shared by the files of engine/store/ only: the store
 * handle, its SQLite connection and the helpers every file of the store uses. */
#ifndef TS_STORE_INTERNAL_H
#define TS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* Statements that saving prepares once per store and reuses (store_write.c). */
enum { TS_Q_RUN, TS_Q_UNIT, TS_Q_NODE, TS_Q_SCORE, TS_Q_INPUT, TS_Q_TREAT, TS_Q_UWEIGHT, TS_Q_KEY, TS_Q_CLASS, TS_Q_COUNT };

struct ts_store {
    sqlite3 *db;
    char path[512];
    int version;       /* the file's schema version: TS_STORE_SCHEMA_VERSION, or
                          older in a read-only store (which is never upgraded) */
    int read_only;
    int years;         /* where run years are kept: TS_YEARS_* */
    int in_txn;        /* a transaction of ts_store_begin is open */
    long long series;  /* in one begun as a series: its first run's id, once saved */
    int as_series;     /* the open transaction saves a series */
    sqlite3_stmt *q[TS_Q_COUNT];
};

/* Where a store keeps run years: nowhere (schema 1 and 2), in run_years
 * (schema 3 and 4, read-only opens only: writable stores are upgraded), or
 * in runs.year (schema 5). */
enum { TS_YEARS_NONE, TS_YEARS_TABLE, TS_YEARS_COLUMN };

/* Returns an SQL expression for the year of the row of runs in scope
 * (named runs): runs.year, the run_years lookup, or NULL. A constant
 * string, safe to put in SQL. */
const char *ts_store_year_sql(const ts_store *st);

/* The SQL that creates the uncertainty tables (store_ua.c), schema step 4. */
extern const char TS_STORE_UA_SCHEMA[];

/* The SQL that creates input_details (store_details.c), schema step 7. */
extern const char TS_STORE_DETAILS_SCHEMA[];

/* Saves, inside the caller's transaction, the details of scenario s's
 * values (store_details.c) for run run_id. Returns TS_OK or TS_ESYSTEM. */
int ts_store_insert_details(ts_store *st, const ts_scenario *s, long long run_id, ts_error *err);

/* Returns the store's SQLite connection (owned by the store). Only code in
 * engine/store/ calls sqlite3_*. */
sqlite3 *ts_store_sqlite(ts_store *st);

/* Fills err with "what: <SQLite's message>" for the store's file and
 * returns TS_ESYSTEM. When the connection's last error is an allocation
 * failure (ts_store_nomem) the message is "what: out of memory", whatever
 * the code: SQLite names SQLITE_IOERR_NOMEM "disk I/O error". This is the
 * one place a failed SQLite call becomes a status: never TS_EINPUT. */
int ts_store_fail(ts_store *st, ts_error *err, const char *what);

/* Returns 1 when SQLite result code rc (primary or extended) says an
 * allocation failed: SQLITE_NOMEM or SQLITE_IOERR_NOMEM. The file is then
 * fine and the process is not, so it must never be reported as bad input
 * ("not a SQLite database", "not a threatscore store") or as no rows. */
int ts_store_nomem(int rc);

/* Finalizes q (NULL is allowed) and returns TS_OK, or ts_store_fail's
 * TS_ESYSTEM with "what: ..." when the statement's last step failed or one
 * of its columns could not be read: when sqlite3_column_text runs out of
 * memory SQLite returns NULL, as for SQL NULL, and fails the statement,
 * which sqlite3_finalize reports. A query that stopped on anything but a
 * row or SQLITE_DONE is an error of its kind, never "no rows". */
int ts_store_finish(ts_store *st, sqlite3_stmt *q, const char *what, ts_error *err);

/* Returns 1 when a column of the row just stepped to could not be read
 * (sqlite3_column_text out of memory): it read as NULL, as if absent, so
 * the row must not be passed on. SQLite fails the statement, which
 * ts_store_finish reports. */
int ts_store_row_lost(ts_store *st);

/* Returns 1 when a step that read stored JSON with SQLite's JSON functions
 * failed with rc only because that JSON is malformed (a store written
 * elsewhere, read as if its JSON held nothing), 0 for any other failure,
 * an allocation failure included. json_valid() cannot guard such reads: in
 * SQLite 3.40 it returns 0, not an error, when it runs out of memory. */
int ts_store_bad_json(ts_store *st, int rc);

/* Returns 1 when the store has a table named name, 0 when not, or -1 with
 * err filled (TS_ESYSTEM) when SQLite cannot tell, out of memory included. */
int ts_store_has_table(ts_store *st, const char *name, ts_error *err);

/* Returns 1 when table has a column named col, 0 when not, or -1 with err
 * filled (TS_ESYSTEM) when SQLite cannot tell. */
int ts_store_has_column(ts_store *st, const char *table, const char *col, ts_error *err);

/* Column i as a double, NaN for SQL NULL. */
double ts_store_col_double(sqlite3_stmt *q, int i);

/* Arena copy of column i, or NULL for SQL NULL; *oom is set when the copy
 * or SQLite's conversion to text fails (so that NULL stays "absent"). oom
 * may be NULL only where a lost string loses nothing but a hint. */
const char *ts_store_col_dup(ts_arena *a, sqlite3_stmt *q, int i, int *oom);

#endif
