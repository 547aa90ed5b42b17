/* store_schema.c -- opening and closing the store: the schema as a list of
 * migrations (one per PRAGMA user_version), read-write and read-only opens. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"

/* Version 1: runs and what each run holds. */
static const char STEP_CREATE[] =
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL,"
    " scenario_path TEXT, scenario_sha256 TEXT,"
    " taxonomy_id TEXT NOT NULL, taxonomy_path TEXT NOT NULL, taxonomy_sha256 TEXT NOT NULL,"
    " data_path TEXT NOT NULL, data_sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL,"
    " engine_version TEXT NOT NULL,"
    " method_json TEXT NOT NULL,"
    " inputs_json TEXT NOT NULL,"
    " n_units INTEGER NOT NULL, n_indicators INTEGER NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
    "CREATE TABLE units("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL, screened INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"
    "CREATE TABLE nodes("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " node TEXT NOT NULL, name TEXT NOT NULL, parent TEXT, depth INTEGER NOT NULL,"
    " position INTEGER NOT NULL, is_indicator INTEGER NOT NULL, weight REAL NOT NULL,"
    " aggregate TEXT, normalise TEXT, direction TEXT, unit_of_measure TEXT, source TEXT,"
    " PRIMARY KEY(run_id, node)) WITHOUT ROWID;"
    "CREATE TABLE scores("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL,"
    " score REAL, rank INTEGER, class TEXT, coverage REAL NOT NULL, imputed REAL NOT NULL DEFAULT 0,"
    " PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"
    "CREATE TABLE inputs("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, indicator TEXT NOT NULL,"
    " raw REAL, transformed REAL, normalised REAL, imputed INTEGER NOT NULL DEFAULT 0,"
    " source TEXT, year INTEGER, estimate INTEGER NOT NULL DEFAULT 0, note TEXT, shock TEXT,"
    " file TEXT, line INTEGER,"
    " PRIMARY KEY(run_id, unit, indicator)) WITHOUT ROWID;"
    "CREATE TABLE treatment("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " indicator TEXT NOT NULL, treated INTEGER NOT NULL, winsorised_low INTEGER NOT NULL,"
    " winsorised_high INTEGER NOT NULL, log INTEGER NOT NULL,"
    " skew REAL, kurtosis REAL, skew_after REAL, kurtosis_after REAL,"
    " PRIMARY KEY(run_id, indicator)) WITHOUT ROWID;";

/* Version 2: what rescore needs to repeat a run (options_json), the reuse
 * key of batch (run_key), and per-unit weight overrides. */
static const char STEP_OPTIONS_KEYS_WEIGHTS[] =
    "ALTER TABLE runs ADD COLUMN options_json TEXT;"
    "ALTER TABLE runs ADD COLUMN run_key TEXT;"
    "CREATE TABLE unit_weights("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, weight REAL NOT NULL,"
    " PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"
    "CREATE INDEX runs_by_key ON runs(run_key);"
    "CREATE INDEX runs_by_scenario ON runs(scenario, id);";

/* Version 3: the reference year of a run scored for one year (`trend --db`,
 * --set year=Y). Version 2 files written by threatscore 0.1 may have it
 * already: it used to be created on every open. */
static const char STEP_RUN_YEARS[] =
    "CREATE TABLE IF NOT EXISTS run_years("
    " run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    " year INTEGER NOT NULL);";

/* Version 5: a run's year and series in runs itself, so that one query
 * tells a per-year run from a scenario's own run (the resolver's NAME and
 * NAME@YEAR). run_years moves into runs.year and is dropped: one place
 * holds the year, and no threatscore older than version 5 opens a version 5
 * file. runs.series is the id of the first run of a series saved together
 * (`trend --db`); runs stored before it have none. */
static const char STEP_YEAR_COLUMN[] =
    "ALTER TABLE runs ADD COLUMN year INTEGER;"
    "ALTER TABLE runs ADD COLUMN series INTEGER;"
    "UPDATE runs SET year = (SELECT y.year FROM run_years y WHERE y.run_id = runs.id);"
    "DROP TABLE run_years;"
    "CREATE INDEX runs_by_year ON runs(scenario, year, id);";

/* Version 6: the reliability of every score (reliability.h), and the class
 * thresholds a run was scored with (alerts measure the distance to the
 * next class from them). A node's classes are stored where they differ
 * from its parent's (the root's always): the others inherit them. min is
 * NULL for an open lowest class. */
static const char STEP_RELIABILITY_CLASSES[] =
    "ALTER TABLE scores ADD COLUMN reliability REAL;"
    "CREATE TABLE class_thresholds("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " node TEXT NOT NULL, position INTEGER NOT NULL, class TEXT NOT NULL, min REAL,"
    " PRIMARY KEY(run_id, node, position)) WITHOUT ROWID;";

/* Version 8: a run's rows kept compactly (a batch of small runs is bound
 * by the rows it writes): each unit's scores and inputs in one row of
 * unit_rows, a taxonomy's nodes once per node set, and views scores,
 * inputs and nodes with the columns of the tables they replace. */
static int step_compact_rows(ts_store *st, ts_error *err) {
    int rc = ts_store_move_rows(st, err);
    if (rc == TS_OK && sqlite3_exec(st->db, TS_STORE_NODE_SETS_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        rc = ts_store_fail(st, err, "cannot move nodes into node sets");
    return rc;
}

/* The schema, one step per version: MIGRATIONS[v] takes a file of version v
 * to v + 1, and a new file is made by running them all. Each step runs in
 * the transaction that sets its user_version, so a file is always at one
 * whole version. To change the schema, append a step (a table that older
 * code may have created outside the migrations takes IF NOT EXISTS) and
 * raise TS_STORE_SCHEMA_VERSION. */
static const struct migration {
    const char *what;
    const char *sql;
    int (*convert)(ts_store *st, ts_error *err); /* run after sql, in its transaction; or NULL */
} MIGRATIONS[] = {
    {"create the schema", STEP_CREATE, NULL},
    {"add run options, run keys and per-unit weights", STEP_OPTIONS_KEYS_WEIGHTS, NULL},
    {"add run years", STEP_RUN_YEARS, NULL},
    {"add the uncertainty tables", TS_STORE_UA_SCHEMA, NULL},
    {"move run years into runs.year", STEP_YEAR_COLUMN, NULL},
    {"add score reliabilities and class thresholds", STEP_RELIABILITY_CLASSES, NULL},
    {"add input details", TS_STORE_DETAILS_SCHEMA, NULL},
    {"keep a run's rows compactly", TS_STORE_ROWS_SCHEMA, step_compact_rows},
};

_Static_assert(sizeof MIGRATIONS / sizeof *MIGRATIONS == TS_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

sqlite3 *ts_store_sqlite(ts_store *st) { return st->db; }

const char *ts_store_path(const ts_store *st) { return st->path; }

const char *ts_store_year_sql(const ts_store *st) {
    return st->years == TS_YEARS_COLUMN ? "runs.year"
           : st->years == TS_YEARS_TABLE ? "(SELECT y.year FROM run_years y WHERE y.run_id = runs.id)"
                                         : "NULL";
}

int ts_store_nomem(int rc) {
    return (rc & 0xff) == SQLITE_NOMEM || rc == SQLITE_IOERR_NOMEM;
}

int ts_store_fail(ts_store *st, ts_error *err, const char *what) {
    /* st->db is NULL when sqlite3_open_v2 could not allocate the handle;
       SQLite's calls then report SQLITE_NOMEM */
    if (ts_store_nomem(sqlite3_extended_errcode(st->db)))
        return ts_fail(err, TS_ESYSTEM, st->path, 0, "%s: out of memory", what);
    return ts_fail(err, TS_ESYSTEM, st->path, 0, "%s: %s", what, sqlite3_errmsg(st->db));
}

int ts_store_finish(ts_store *st, sqlite3_stmt *q, const char *what, ts_error *err) {
    return sqlite3_finalize(q) == SQLITE_OK ? TS_OK : ts_store_fail(st, err, what);
}

int ts_store_row_lost(ts_store *st) {
    /* a successful step sets the connection's code to SQLITE_ROW; a failed
       column read sets SQLITE_NOMEM, which stays until the next step */
    return ts_store_nomem(sqlite3_errcode(st->db));
}

int ts_store_bad_json(ts_store *st, int rc) {
    /* SQLite's JSON functions fail a malformed text with SQLITE_ERROR and
       this message, and an allocation failure with SQLITE_NOMEM */
    return rc == SQLITE_ERROR && strcmp(sqlite3_errmsg(st->db), "malformed JSON") == 0;
}

/* Runs q, which has bound its parameters, for at most one row: returns 1
 * when there is one, 0 when none, -1 with err filled ("what: ..."). */
static int any_row(ts_store *st, sqlite3_stmt *q, const char *what, ts_error *err) {
    int found = sqlite3_step(q) == SQLITE_ROW;
    return ts_store_finish(st, q, what, err) == TS_OK ? found : -1;
}

int ts_store_has_table(ts_store *st, const char *name, ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return ts_store_fail(st, err, "cannot read the schema"), -1;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    return any_row(st, q, "cannot read the schema", err);
}

int ts_store_has_column(ts_store *st, const char *table, const char *col, ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read the schema"), -1;
    sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, col, -1, SQLITE_STATIC);
    return any_row(st, q, "cannot read the schema", err);
}

double ts_store_col_double(sqlite3_stmt *q, int i) {
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

const char *ts_store_col_dup(ts_arena *a, sqlite3_stmt *q, int i, int *oom) {
    const unsigned char *s = sqlite3_column_text(q, i);
    if (!s) {
        /* NULL for a value that is not SQL NULL: the conversion failed */
        if (oom && sqlite3_column_type(q, i) != SQLITE_NULL) *oom = 1;
        return NULL;
    }
    const char *c = ts_arena_strdup(a, (const char *)s);
    if (!c && oom) *oom = 1;
    return c;
}

void ts_store_close(ts_store *st) {
    if (!st) return;
    for (int i = 0; i < TS_Q_COUNT; i++) sqlite3_finalize(st->q[i]);
    sqlite3_close(st->db);
    free(st);
}

/* Reads PRAGMA user_version into *version. Returns SQLite's (extended)
 * result code: SQLITE_OK, or why the file could not be read (a file that
 * is not a database fails here, not at open). */
static int read_version(sqlite3 *db, int *version) {
    sqlite3_stmt *q;
    *version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK) return sqlite3_extended_errcode(db);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *version = sqlite3_column_int(q, 0);
    rc = rc == SQLITE_ROW ? SQLITE_OK : sqlite3_extended_errcode(db);
    sqlite3_finalize(q);
    return rc;
}

/* Stores the number of tables, indexes, views and triggers in *n. Returns
 * SQLite's (extended) result code: SQLITE_OK, or why the schema could not
 * be read (out of memory is not "no tables"). */
static int schema_count(sqlite3 *db, int *n) {
    sqlite3_stmt *q;
    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &q, NULL) != SQLITE_OK)
        return sqlite3_extended_errcode(db);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int(q, 0);
    rc = rc == SQLITE_ROW ? SQLITE_OK : sqlite3_extended_errcode(db);
    sqlite3_finalize(q);
    return rc;
}

/* Returns 1 when the directory holding path is writable by this process. */
static int dir_writable(const char *path) {
    char *dir = ts_dirname(path);
    int ok = dir && access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

/* Returns 1 when path has a write-ahead log beside it (path-wal). */
static int has_wal(const char *path) {
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    return access(wal, F_OK) == 0;
}

/* Fills err for a file whose user_version could not be read (SQLite code
 * rc) and returns the status: TS_EINPUT for a file that is not a database,
 * TS_ESYSTEM when it cannot be read here or SQLite ran out of memory. */
static int unreadable(ts_store *st, int rc, ts_error *err) {
    int primary = rc & 0xff;
    if (ts_store_nomem(rc)) return ts_fail(err, TS_ESYSTEM, st->path, 0, "cannot read database: out of memory");
    if (primary == SQLITE_NOTADB) return ts_fail(err, TS_EINPUT, st->path, 0, "not a SQLite database");
    /* a store in WAL mode needs its -shm file, which SQLite creates beside it */
    if ((primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN) && !dir_writable(st->path)) {
        if (!st->read_only)
            return ts_fail(err, TS_ESYSTEM, st->path, 0, "cannot open the store for writing: its directory is not writable");
        if (has_wal(st->path))
            return ts_fail(err, TS_ESYSTEM, st->path, 0,
                           "cannot read the store: its directory is not writable and it has a write-ahead log"
                           " (-wal file), which SQLite reads only with a -shm file beside it");
    }
    return ts_fail(err, TS_ESYSTEM, st->path, 0, "cannot read database: %s", sqlite3_errmsg(st->db));
}

/* Checks a user_version read from the file. Returns TS_OK or TS_EINPUT. */
static int check_version(ts_store *st, int version, ts_error *err) {
    if (version < 0)
        return ts_fail(err, TS_EINPUT, st->path, 0,
                       "not a threatscore store: its schema version (PRAGMA user_version) is %d; threatscore writes"
                       " 1 to %d",
                       version, TS_STORE_SCHEMA_VERSION);
    if (version > TS_STORE_SCHEMA_VERSION)
        return ts_fail(err, TS_EINPUT, st->path, 0, "schema version %d is newer than this threatscore's (%d)",
                       version, TS_STORE_SCHEMA_VERSION);
    return TS_OK;
}

/* Fills err for sqlite3_exec's failure rc with its message msg (NULL when
 * SQLite could not allocate one), frees msg and returns TS_ESYSTEM with
 * "what: message" ("what: out of memory" for an allocation failure). */
static int exec_failed(ts_store *st, int rc, char *msg, const char *what, ts_error *err) {
    if (ts_store_nomem(rc)) ts_fail(err, TS_ESYSTEM, st->path, 0, "%s: out of memory", what);
    else if (!msg) ts_store_fail(st, err, what);
    else ts_fail(err, TS_ESYSTEM, st->path, 0, "%s: %s", what, msg);
    sqlite3_free(msg);
    return TS_ESYSTEM;
}

/* Runs sql on the store; returns TS_OK, or TS_ESYSTEM with "what: message". */
static int exec(ts_store *st, const char *sql, const char *what, ts_error *err) {
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    return rc == SQLITE_OK ? TS_OK : exec_failed(st, rc, msg, what, err);
}

/* Takes the store from its version to TS_STORE_SCHEMA_VERSION, one step
 * per transaction. Each step is taken under the write lock, after reading
 * the version again: another process may have taken it meanwhile. Returns
 * TS_OK, TS_EINPUT (not a threatscore store, or a newer one) or TS_ESYSTEM. */
static int migrate(ts_store *st, ts_error *err) {
    int version = st->version;
    while (version < TS_STORE_SCHEMA_VERSION) {
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return ts_store_fail(st, err, "cannot lock database");
        int rc = read_version(st->db, &version) == SQLITE_OK ? TS_OK : ts_store_fail(st, err, "cannot read database");
        if (rc == TS_OK && (version < 0 || version >= TS_STORE_SCHEMA_VERSION)) {
            /* done meanwhile, or a version this threatscore does not write */
            rc = exec(st, "COMMIT", "cannot read database", err);
            if (rc == TS_OK) break;
        }
        int tables = 0;
        if (rc == TS_OK && version == 0 && schema_count(st->db, &tables) != SQLITE_OK)
            rc = ts_store_fail(st, err, "cannot read database");
        if (rc == TS_OK && version == 0 && tables != 0)
            rc = ts_fail(err, TS_EINPUT, st->path, 0, "not a threatscore store (it has other tables)");
        if (rc == TS_OK) {
            char what[128], pragma[64];
            snprintf(what, sizeof what, "cannot %s (schema version %d to %d)", MIGRATIONS[version].what, version,
                     version + 1);
            snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", version + 1);
            rc = exec(st, MIGRATIONS[version].sql, what, err);
            if (rc == TS_OK && MIGRATIONS[version].convert) rc = MIGRATIONS[version].convert(st, err);
            if (rc == TS_OK) rc = exec(st, pragma, what, err);
            if (rc == TS_OK) rc = exec(st, "COMMIT", what, err);
            if (rc == TS_OK) version++;
        }
        if (rc != TS_OK) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    st->version = version;
    return check_version(st, version, err);
}

/* Creates the handle for path, or returns NULL with err filled (TS_EUSAGE
 * in *code for an empty path, which SQLite would open as a temporary
 * database that vanishes on close; TS_ESYSTEM when out of memory). */
static ts_store *new_store(const char *path, int read_only, int *code, ts_error *err) {
    if (!path[0]) {
        *code = ts_fail(err, TS_EUSAGE, NULL, 0, "no database file named (the path is empty)");
        return NULL;
    }
    ts_store *st = calloc(1, sizeof *st);
    if (!st) {
        *code = ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        return NULL;
    }
    snprintf(st->path, sizeof st->path, "%s", path);
    st->read_only = read_only;
    return st;
}

/* Returns the name SQLite is given for path: path when it is absolute,
 * else "./" + path. SQLite reads a name starting with "file:" as a URI
 * (with ?mode=memory, ?vfs=... and the like) whenever its library was built
 * with SQLITE_USE_URI, as Debian's is, whatever the open flags say; it
 * reads ":memory:" as a database in memory. A --db named so would store
 * nothing, silently. Behind "./" every name is a plain file name. Returns
 * a malloc'd string, or NULL when out of memory. */
static char *plain_name(const char *path) {
    if (path[0] == '/') return strdup(path);
    size_t n = strlen(path) + 3;
    char *name = malloc(n);
    if (name) snprintf(name, n, "./%s", path);
    return name;
}

/* SQLite's unix VFS keeps a database's path, made absolute with its
 * symbolic links resolved, and "-journal" after it in 512 bytes. Returns 1
 * when path is longer than that allows (so that a failed open can say
 * why), 0 when it is not or cannot be told. */
static int too_long_for_sqlite(const char *path) {
    char *dir = ts_dirname(path);
    char *real = dir ? realpath(dir, NULL) : NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = real ? strlen(real) + 1 + strlen(base) : strlen(path);
    free(dir);
    free(real);
    return n + strlen("-journal") > 512;
}

/* Fills err for the store at path that SQLite could not open (code rc)
 * and returns TS_ESYSTEM, naming the path's length when that is why. */
static int cannot_open(ts_store *st, const char *path, int rc, ts_error *err) {
    if ((rc & 0xff) == SQLITE_CANTOPEN && too_long_for_sqlite(path))
        return ts_fail(err, TS_ESYSTEM, st->path, 0,
                       "cannot open database: the path is too long for SQLite, which opens a database only when"
                       " its absolute path (symbolic links resolved) and \"-journal\" fit in 512 bytes; use a"
                       " shorter path");
    return ts_store_fail(st, err, "cannot open database");
}

int ts_store_open(const char *path, ts_store **out, ts_error *err) {
    *out = NULL;
    int rc = TS_OK;
    ts_store *st = new_store(path, 0, &rc, err);
    if (!st) return rc;
    char *name = plain_name(path);
    if (!name) rc = ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    int orc = name ? sqlite3_open_v2(name, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                     NULL)
                   : SQLITE_OK;
    free(name);
    if (rc == TS_OK && orc != SQLITE_OK) rc = cannot_open(st, path, orc, err);
    if (rc == TS_OK) {
        sqlite3_busy_timeout(st->db, 10000);
        int src = read_version(st->db, &st->version);
        rc = src == SQLITE_OK ? check_version(st, st->version, err)
             : (src & 0xff) == SQLITE_CANTOPEN && too_long_for_sqlite(path) ? cannot_open(st, path, src, err)
                                                                             : unreadable(st, src, err);
    }
    /* refuse a foreign database before switching it to WAL. Another
       process may be creating this store: it commits the tables and the
       user_version together, so tables seen after a version 0 mean a
       foreign file only when the version, read again, is still 0. */
    int tables = 0;
    if (rc == TS_OK && st->version == 0 && schema_count(st->db, &tables) != SQLITE_OK)
        rc = ts_store_fail(st, err, "cannot read database");
    if (rc == TS_OK && st->version == 0 && tables > 0) {
        int again = 0;
        if (read_version(st->db, &again) != SQLITE_OK) {
            rc = ts_store_fail(st, err, "cannot read database");
        } else if (again > 0) {
            st->version = again;
            rc = check_version(st, again, err);
        } else {
            rc = ts_fail(err, TS_EINPUT, path, 0, "not a threatscore store (it has other tables)");
        }
    }
    if (rc == TS_OK) {
        /* switching a new file to WAL can fail with SQLITE_BUSY without
           calling the busy handler while another process sets it up: retry
           for 10 s */
        char *msg = NULL;
        int src;
        for (int tries = 0;; tries++) {
            src = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                               NULL, NULL, &msg);
            if ((src != SQLITE_BUSY && src != SQLITE_LOCKED) || tries == 1000) break;
            sqlite3_free(msg);
            msg = NULL;
            sqlite3_sleep(10);
        }
        if (src != SQLITE_OK) rc = exec_failed(st, src, msg, "cannot set up database", err);
        else sqlite3_free(msg);
    }
    if (rc == TS_OK) rc = migrate(st, err);
    if (rc == TS_OK) st->years = TS_YEARS_COLUMN;
    if (rc != TS_OK) {
        ts_store_close(st);
        return rc;
    }
    *out = st;
    return TS_OK;
}

/* Appends path to b as the path of a file: URI (RFC 3986 percent-encoding
 * of everything but unreserved characters and '/'). */
static void uri_path(ts_buf *b, const char *path) {
    ts_buf_puts(b, path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
            ts_buf_append(b, (const char *)p, 1);
        else
            ts_buf_printf(b, "%%%02X", *p);
    }
}

/* Reopens st's file as immutable: SQLite then reads the main file alone,
 * without the -shm file it cannot create in a read-only directory. Only
 * used when there is no -wal file, so the main file holds every committed
 * transaction. Returns SQLITE_OK or SQLite's code. */
static int reopen_immutable(ts_store *st) {
    if (has_wal(st->path)) return SQLITE_CANTOPEN;
    ts_buf uri = {0};
    uri_path(&uri, st->path);
    ts_buf_puts(&uri, "?mode=ro&immutable=1");
    if (uri.oom) {
        ts_buf_free(&uri);
        return SQLITE_NOMEM;
    }
    sqlite3_close(st->db);
    st->db = NULL;
    int rc = sqlite3_open_v2(uri.data, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    ts_buf_free(&uri);
    if (rc == SQLITE_OK) rc = read_version(st->db, &st->version);
    return rc;
}

int ts_store_open_readonly(const char *path, ts_store **out, ts_error *err) {
    *out = NULL;
    int rc = TS_OK;
    if (path[0] && access(path, F_OK) != 0) return ts_fail(err, TS_EINPUT, path, 0, "no such database");
    ts_store *st = new_store(path, 1, &rc, err);
    if (!st) return rc;
    char *name = plain_name(path); /* see plain_name: never a URI or ":memory:" */
    if (!name) rc = ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    int orc = name ? sqlite3_open_v2(name, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) : SQLITE_OK;
    free(name);
    if (rc == TS_OK && orc != SQLITE_OK)
        rc = ts_store_nomem(orc) ? ts_store_fail(st, err, "cannot open database")
             : (orc & 0xff) == SQLITE_CANTOPEN && too_long_for_sqlite(path)
                 ? cannot_open(st, path, orc, err)
                 : ts_fail(err, TS_EINPUT, path, 0, "cannot open database: %s", sqlite3_errmsg(st->db));
    if (rc == TS_OK) {
        sqlite3_busy_timeout(st->db, 10000);
        int src = read_version(st->db, &st->version);
        if (((src & 0xff) == SQLITE_READONLY || (src & 0xff) == SQLITE_CANTOPEN) && !too_long_for_sqlite(path))
            src = reopen_immutable(st);
        rc = src == SQLITE_OK ? check_version(st, st->version, err)
             : (src & 0xff) == SQLITE_CANTOPEN && too_long_for_sqlite(path) ? cannot_open(st, path, src, err)
                                                                             : unreadable(st, src, err);
    }
    /* an older version is read as it is: readers look at st->version */
    static const char *const NEEDED[] = {"runs", "units", "nodes", "scores"};
    for (size_t i = 0; rc == TS_OK && i < sizeof NEEDED / sizeof *NEEDED; i++) {
        int has = st->version < 1 ? 0 : ts_store_has_table(st, NEEDED[i], err);
        if (has < 0) rc = TS_ESYSTEM;
        else if (!has) rc = ts_fail(err, TS_EINPUT, path, 0, "not a threatscore store");
    }
    if (rc == TS_OK && st->version >= 5) st->years = TS_YEARS_COLUMN;
    if (rc == TS_OK && st->version < 5) {
        int has = ts_store_has_table(st, "run_years", err);
        if (has < 0) rc = TS_ESYSTEM;
        st->years = has > 0 ? TS_YEARS_TABLE : TS_YEARS_NONE;
    }
    if (rc != TS_OK) {
        ts_store_close(st);
        return rc;
    }
    *out = st;
    return TS_OK;
}
