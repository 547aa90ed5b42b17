/* store_internal.h -- shared by the files of engine/store/ only: the store
 * handle, its SQLite connection and the helpers every file of the store uses. */
#ifndef TS_STORE_INTERNAL_H
#define TS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "fmt.h"
#include "store.h"

/* Statements that saving prepares once per store and reuses (store_write.c). */
enum {
    TS_Q_RUN, TS_Q_UNIT, TS_Q_ROWS, TS_Q_TREAT, TS_Q_UWEIGHT, TS_Q_KEY, TS_Q_CLASS,
    TS_Q_SET_FIND, TS_Q_SET_NEW, TS_Q_SET_ROW, TS_Q_COUNT
};

/* Returns saving's statement i (TS_Q_*), prepared on first use and kept
 * for the life of the store; NULL with err filled when it cannot be. */
sqlite3_stmt *ts_store_stmt(ts_store *st, int i, ts_error *err);

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

/* The SQL that creates unit_rows (store_rows.c), schema step 8; the
 * step's conversion, ts_store_move_rows, then moves the rows of the
 * tables scores and inputs into it and puts views of the same names and
 * columns in their place. */
extern const char TS_STORE_ROWS_SCHEMA[];

/* Moves every row of schema 7's tables scores and inputs into unit_rows,
 * one document per run and unit, each value of the same SQL type and, for
 * a REAL, the same double; then drops the tables and creates the views.
 * Runs inside the migration's transaction. Returns TS_OK, TS_EINPUT for a
 * row no threatscore writes (a blob, a row without a unit) or TS_ESYSTEM. */
int ts_store_move_rows(ts_store *st, ts_error *err);

/* The SQL of schema step 8 that moves the table nodes into node sets
 * (store_nodes.c) and puts a view nodes in its place. */
extern const char TS_STORE_NODE_SETS_SCHEMA[];

/* Writes the key of s's node set (its rows in pre-order order, every
 * column) into hex. Cannot fail. */
void ts_store_hash_nodes(const ts_scenario *s, const int *order, char hex[65]);

/* Finds the node set with key sha256, or inserts it with the node rows of
 * s; its id goes to *set_id. Inside the caller's transaction. Returns
 * TS_OK or TS_ESYSTEM. */
int ts_store_node_set(ts_store *st, const ts_scenario *s, const int *order, const char *sha256, long long *set_id,
                      ts_error *err);

/* Appends unit u's score rows of r (nodes in the order order gives) to
 * scores, and its input rows to inputs, as the JSON arrays of unit_rows
 * (store_rows.c); fc caches number texts across calls. Cannot fail: an
 * append that runs out of memory sets the buffer's oom. */
void ts_store_render_unit(const ts_scenario *s, const ts_result *r, const int *order, int u, ts_fmt_cache *fc,
                          ts_buf *scores, ts_buf *inputs);

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

/* Returns 1 when the store has a table named name (or a view: scores and
 * inputs are views since schema 8), 0 when not, or -1 with
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
