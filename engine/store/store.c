/* store.c -- SQLite persistence of runs: schema, one transaction per run,
 * and listing. */
#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "spec.h"
#include "store_internal.h"

/* Prepared statements kept for the life of the store, so that a batch of
 * many runs prepares each insert once. */
enum { Q_RUN, Q_UNIT, Q_NODE, Q_SCORE, Q_INPUT, Q_TREAT, Q_UWEIGHT, Q_KEY, Q_COUNT };

static const char *const STATEMENTS[Q_COUNT] = {
    "INSERT INTO runs(scenario, scenario_path, scenario_sha256, taxonomy_id,"
    " taxonomy_path, taxonomy_sha256, data_path, data_sha256, values_sha256,"
    " engine_version, method_json, inputs_json, n_units, n_indicators, options_json, run_key)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO units VALUES(?,?,?,?,?)",
    "INSERT INTO nodes VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO scores VALUES(?,?,?,?,?,?,?,?)",
    "INSERT INTO inputs VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO treatment VALUES(?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO unit_weights VALUES(?,?,?,?)",
    "SELECT id FROM runs WHERE run_key = ? ORDER BY id DESC LIMIT 1",
};

struct ts_store {
    sqlite3 *db;
    char path[512];
    sqlite3_stmt *q[Q_COUNT];
};

sqlite3 *ts_store_sqlite(ts_store *st) { return st->db; }

/* Tables and indexes that schema 2 added; created with the schema, or by
 * the upgrade of a version 1 file after its runs columns are added. */
#define SCHEMA_V2_COMMON                                                                       \
    "CREATE TABLE unit_weights("                                                               \
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"                          \
    " unit TEXT NOT NULL, node TEXT NOT NULL, weight REAL NOT NULL,"                           \
    " PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"                                         \
    "CREATE INDEX runs_by_key ON runs(run_key);"                                               \
    "CREATE INDEX runs_by_scenario ON runs(scenario, id);"                                     \
    RUN_YEARS

/* The reference year of a run scored for one year (`trend --db`, or
 * --set year=Y); created on open too, for stores made before it existed. */
#define RUN_YEARS                                                                              \
    "CREATE TABLE IF NOT EXISTS run_years("                                                    \
    " run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"                       \
    " year INTEGER NOT NULL);"

static const char UPGRADE_V1[] =
    "ALTER TABLE runs ADD COLUMN options_json TEXT;"
    "ALTER TABLE runs ADD COLUMN run_key TEXT;" SCHEMA_V2_COMMON;

static const char SCHEMA[] =
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
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    " options_json TEXT, run_key TEXT);"
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
    " PRIMARY KEY(run_id, indicator)) WITHOUT ROWID;"
    SCHEMA_V2_COMMON;

static int db_fail(ts_store *st, ts_error *err, const char *what) {
    return ts_fail(err, TS_ESYSTEM, st->path, 0, "%s: %s", what, sqlite3_errmsg(st->db));
}

void ts_store_close(ts_store *st) {
    if (!st) return;
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(st->q[i]);
    sqlite3_close(st->db);
    free(st);
}

/* Returns PRAGMA user_version, or -1 on error (a file that is not a
 * database fails here). */
static int user_version(sqlite3 *db) {
    sqlite3_stmt *q;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(q) == SQLITE_ROW) v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return v;
}

static int table_count(sqlite3 *db) {
    sqlite3_stmt *q;
    int n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &q, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(q) == SQLITE_ROW) n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return n;
}

int ts_store_open(const char *path, ts_store **out, ts_error *err) {
    *out = NULL;
    ts_store *st = calloc(1, sizeof *st);
    if (!st) return ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    snprintf(st->path, sizeof st->path, "%s", path);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = db_fail(st, err, "cannot open database");
        ts_store_close(st);
        return rc;
    }
    sqlite3_busy_timeout(st->db, 10000);
    int version = user_version(st->db);
    if (version < 0) {
        ts_fail(err, TS_EINPUT, path, 0, "not a SQLite database: %s", sqlite3_errmsg(st->db));
        ts_store_close(st);
        return TS_EINPUT;
    }
    if (version > TS_STORE_SCHEMA_VERSION) {
        ts_fail(err, TS_EINPUT, path, 0, "schema version %d is newer than this threatscore's (%d)",
                version, TS_STORE_SCHEMA_VERSION);
        ts_store_close(st);
        return TS_EINPUT;
    }
    char *msg = NULL;
    /* switching a new file to WAL can fail with SQLITE_BUSY without calling
       the busy handler while another process sets it up: retry for 10 s */
    int src;
    for (int tries = 0;; tries++) {
        src = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                           NULL, NULL, &msg);
        if ((src != SQLITE_BUSY && src != SQLITE_LOCKED) || tries == 1000) break;
        sqlite3_free(msg);
        msg = NULL;
        sqlite3_sleep(10);
    }
    if (src != SQLITE_OK) {
        ts_fail(err, TS_ESYSTEM, path, 0, "cannot set up database: %s", msg ? msg : "?");
        sqlite3_free(msg);
        ts_store_close(st);
        return TS_ESYSTEM;
    }
    if (version < TS_STORE_SCHEMA_VERSION) {
        /* create or upgrade under a write lock; another process may be
           doing the same, so look again once the lock is held */
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            int rc = db_fail(st, err, "cannot lock database");
            ts_store_close(st);
            return rc;
        }
        int rc = TS_OK;
        version = user_version(st->db);
        const char *ddl = NULL;
        if (version == 0 && table_count(st->db) != 0)
            rc = ts_fail(err, TS_EINPUT, path, 0, "not a threatscore store (it has other tables)");
        else if (version == 0)
            ddl = SCHEMA;
        else if (version == 1)
            ddl = UPGRADE_V1;
        if (ddl) {
            char pragma[64];
            snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", TS_STORE_SCHEMA_VERSION);
            if (sqlite3_exec(st->db, ddl, NULL, NULL, &msg) != SQLITE_OK ||
                sqlite3_exec(st->db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
                rc = ts_fail(err, TS_ESYSTEM, path, 0, "cannot %s schema: %s", version ? "upgrade" : "create",
                             msg ? msg : "?");
                sqlite3_free(msg);
            }
        }
        sqlite3_exec(st->db, rc == TS_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
        if (rc != TS_OK) {
            ts_store_close(st);
            return rc;
        }
    }
    if (sqlite3_exec(st->db, RUN_YEARS, NULL, NULL, &msg) != SQLITE_OK) {
        ts_fail(err, TS_ESYSTEM, path, 0, "cannot create run_years: %s", msg ? msg : "?");
        sqlite3_free(msg);
        ts_store_close(st);
        return TS_ESYSTEM;
    }
    *out = st;
    return TS_OK;
}

static void bind_double(sqlite3_stmt *q, int i, double x) {
    if (x == x) sqlite3_bind_double(q, i, x);
    else sqlite3_bind_null(q, i);
}

/* Steps a prepared insert and resets it. Returns 0 or -1. */
static int step_reset(sqlite3_stmt *q) {
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- run records ------------------------------------------------------ */

struct ts_run_record {
    ts_buf method, inputs, options;
    char values_sha256[65];
    char key[65];
};

void ts_run_record_free(ts_run_record *rec) {
    if (!rec) return;
    ts_buf_free(&rec->method);
    ts_buf_free(&rec->inputs);
    ts_buf_free(&rec->options);
    free(rec);
}

const char *ts_run_record_key(const ts_run_record *rec) { return rec->key; }
const char *ts_run_record_method_json(const ts_run_record *rec) { return rec->method.data; }
const char *ts_run_record_values_sha256(const ts_run_record *rec) { return rec->values_sha256; }

static void json_string_list(ts_buf *b, int n, const char *const *items) {
    ts_buf_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) ts_buf_puts(b, ",");
        ts_buf_json_string(b, items[i]);
    }
    ts_buf_puts(b, "]");
}

/* Appends options_json: {"set":[...],"perspectives":[...]} and, for CSV
 * input, "csv":{unit_column, name_column, missing (null: the defaults),
 * encoding}. */
static void options_json(const ts_run_options *o, ts_buf *b) {
    static const char *const ENC[] = {"auto", "utf-8", "latin1"};
    ts_buf_puts(b, "{\"set\":");
    json_string_list(b, o ? o->n_set : 0, o ? o->set : NULL);
    ts_buf_puts(b, ",\"perspectives\":");
    json_string_list(b, o ? o->n_perspectives : 0, o ? o->perspectives : NULL);
    if (o && o->csv) {
        const ts_csv_options *c = o->csv;
        ts_buf_puts(b, ",\"csv\":{\"unit_column\":");
        if (c->unit_column) ts_buf_json_string(b, c->unit_column);
        else ts_buf_puts(b, "null");
        ts_buf_puts(b, ",\"name_column\":");
        if (c->name_column) ts_buf_json_string(b, c->name_column);
        else ts_buf_puts(b, "null");
        ts_buf_puts(b, ",\"missing\":");
        if (c->missing) {
            int n = 0;
            while (c->missing[n]) n++;
            json_string_list(b, n, c->missing);
        } else {
            ts_buf_puts(b, "null");
        }
        int e = c->encoding >= 0 && c->encoding <= 2 ? c->encoding : 0;
        ts_buf_printf(b, ",\"encoding\":\"%s\"}", ENC[e]);
    }
    ts_buf_puts(b, "}");
}

static void inputs_json(const ts_scenario *s, ts_buf *b) {
    ts_buf_puts(b, "[");
    for (int f = 0; f < s->n_files; f++) {
        ts_buf_puts(b, f == 0 ? "{\"role\":\"scenario\",\"path\":" : ",{\"role\":\"extends\",\"path\":");
        ts_buf_json_string(b, s->file_path[f]);
        ts_buf_printf(b, ",\"sha256\":\"%s\"}", s->file_sha256[f]);
    }
    ts_buf_puts(b, s->n_files ? ",{\"role\":\"taxonomy\",\"path\":" : "{\"role\":\"taxonomy\",\"path\":");
    ts_buf_json_string(b, s->taxonomy_path);
    ts_buf_printf(b, ",\"sha256\":\"%s\"}", s->taxonomy_sha256);
    if (!s->path) {
        ts_buf_puts(b, ",{\"role\":\"data\",\"path\":");
        ts_buf_json_string(b, s->data_path);
        ts_buf_printf(b, ",\"sha256\":\"%s\"}", s->data_sha256);
    }
    ts_buf_puts(b, "]");
}

static void hash_field(ts_sha256 *h, const char *s) {
    if (s) ts_sha256_update(h, s, strlen(s) + 1);
    else ts_sha256_update(h, "\xff", 1);
}

ts_run_record *ts_run_record_new(const ts_scenario *s, const ts_run_options *opt, ts_error *err) {
    ts_run_record *rec = calloc(1, sizeof *rec);
    if (!rec) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return NULL;
    }
    ts_spec_json(s->spec, s->tax, s->data->unit_id, &rec->method);
    inputs_json(s, &rec->inputs);
    options_json(opt, &rec->options);
    if (rec->method.oom || rec->inputs.oom || rec->options.oom || !rec->method.data) {
        ts_run_record_free(rec);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return NULL;
    }
    ts_dataset_hash(s->data, rec->values_sha256);
    const char *file = s->path ? s->path : s->data_path;
    char *real = file ? realpath(file, NULL) : NULL;
    ts_sha256 h;
    ts_sha256_init(&h);
    hash_field(&h, "threatscore run key 1");
    hash_field(&h, TS_VERSION);
    hash_field(&h, real ? real : file);
    hash_field(&h, s->name);
    hash_field(&h, s->taxonomy_sha256);
    hash_field(&h, s->data_sha256);
    hash_field(&h, rec->values_sha256);
    hash_field(&h, rec->method.data);
    hash_field(&h, rec->options.data);
    ts_sha256_final_hex(&h, rec->key);
    free(real);
    return rec;
}

/* ---- saving ------------------------------------------------------------ */

/* Returns statement i, preparing it on first use; NULL with err filled. */
static sqlite3_stmt *stmt(ts_store *st, int i, ts_error *err) {
    if (!st->q[i] && sqlite3_prepare_v3(st->db, STATEMENTS[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) != SQLITE_OK) {
        db_fail(st, err, "cannot prepare statement");
        st->q[i] = NULL;
    }
    return st->q[i];
}

/* Strings bound here live in the scenario or record until the statement
 * has been stepped, so none is copied. */
static void bind_static(sqlite3_stmt *q, int i, const char *s) {
    if (s) sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(q, i);
}

static int insert_run(ts_store *st, const ts_scenario *s, const ts_run_record *rec, long long *run_id,
                      ts_error *err) {
    const ts_taxonomy *t = s->tax;
    sqlite3_stmt *q = stmt(st, Q_RUN, err);
    if (!q) return TS_ESYSTEM;
    bind_static(q, 1, s->name);
    bind_static(q, 2, s->path);
    bind_static(q, 3, s->path ? s->scenario_sha256 : NULL);
    bind_static(q, 4, t->id);
    bind_static(q, 5, s->taxonomy_path);
    bind_static(q, 6, s->taxonomy_sha256);
    bind_static(q, 7, s->data_path);
    bind_static(q, 8, s->data_sha256);
    bind_static(q, 9, rec->values_sha256);
    bind_static(q, 10, TS_VERSION);
    bind_static(q, 11, rec->method.data);
    bind_static(q, 12, rec->inputs.data);
    sqlite3_bind_int(q, 13, s->data->n_units);
    sqlite3_bind_int(q, 14, t->n_indicators);
    bind_static(q, 15, rec->options.data);
    bind_static(q, 16, rec->key);
    if (step_reset(q)) return db_fail(st, err, "cannot insert run");
    *run_id = sqlite3_last_insert_rowid(st->db);
    return TS_OK;
}

static int insert_rows(ts_store *st, const ts_scenario *s, const ts_result *r, long long run_id,
                       ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    sqlite3_stmt *qu = stmt(st, Q_UNIT, err), *qn = qu ? stmt(st, Q_NODE, err) : NULL;
    sqlite3_stmt *qs = qn ? stmt(st, Q_SCORE, err) : NULL, *qi = qs ? stmt(st, Q_INPUT, err) : NULL;
    sqlite3_stmt *qt = qi ? stmt(st, Q_TREAT, err) : NULL, *qw = qt ? stmt(st, Q_UWEIGHT, err) : NULL;
    if (!qw) return TS_ESYSTEM;
    int rc = TS_OK;
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        sqlite3_bind_int64(qu, 1, run_id);
        bind_static(qu, 2, d->unit_id[u]);
        bind_static(qu, 3, d->unit_name[u]);
        sqlite3_bind_int(qu, 4, u);
        sqlite3_bind_int(qu, 5, r->screened[u]);
        if (step_reset(qu)) rc = db_fail(st, err, "cannot insert unit");
    }
    int *order = malloc((size_t)t->n_nodes * sizeof *order);
    if (!order) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    ts_taxonomy_preorder(t, order);
    for (int j = 0; j < t->n_nodes && rc == TS_OK; j++) {
        int k = order[j];
        const ts_node *nd = &t->nodes[k];
        sqlite3_bind_int64(qn, 1, run_id);
        bind_static(qn, 2, nd->id);
        bind_static(qn, 3, nd->name);
        bind_static(qn, 4, nd->parent >= 0 ? t->nodes[nd->parent].id : NULL);
        sqlite3_bind_int(qn, 5, nd->depth);
        sqlite3_bind_int(qn, 6, j);
        sqlite3_bind_int(qn, 7, nd->indicator >= 0);
        sqlite3_bind_double(qn, 8, s->spec->weight[k]);
        bind_static(qn, 9, nd->indicator < 0 ? ts_agg_name(s->spec->agg[k].method) : NULL);
        bind_static(qn, 10, nd->indicator >= 0 ? ts_norm_name(s->spec->norm[k].method) : NULL);
        bind_static(qn, 11, nd->indicator >= 0 ? (nd->direction > 0 ? "risk" : "protective") : NULL);
        bind_static(qn, 12, nd->unit);
        bind_static(qn, 13, nd->source);
        if (step_reset(qn)) rc = db_fail(st, err, "cannot insert node");
    }
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        for (int j = 0; j < t->n_nodes && rc == TS_OK; j++) {
            int k = order[j];
            double score = ts_result_score(r, k, u);
            int rank = ts_result_rank(r, k, u);
            sqlite3_bind_int64(qs, 1, run_id);
            bind_static(qs, 2, d->unit_id[u]);
            bind_static(qs, 3, t->nodes[k].id);
            bind_double(qs, 4, score);
            if (rank) sqlite3_bind_int(qs, 5, rank);
            bind_static(qs, 6, ts_taxonomy_class(t, k, score));
            sqlite3_bind_double(qs, 7, ts_result_coverage(r, k, u));
            sqlite3_bind_double(qs, 8, r->imputed_share[(size_t)k * (size_t)r->n_units + (size_t)u]);
            if (step_reset(qs)) rc = db_fail(st, err, "cannot insert score");
            double w = s->spec->unit_weight ? s->spec->unit_weight[(size_t)u * (size_t)s->spec->n_nodes + (size_t)k] : NAN;
            if (rc == TS_OK && w == w) {
                sqlite3_bind_int64(qw, 1, run_id);
                bind_static(qw, 2, d->unit_id[u]);
                bind_static(qw, 3, t->nodes[k].id);
                sqlite3_bind_double(qw, 4, w);
                if (step_reset(qw)) rc = db_fail(st, err, "cannot insert unit weight");
            }
        }
        for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
            size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
            const ts_node *nd = &t->nodes[t->indicator_node[i]];
            const char *file;
            int line;
            ts_value_origin(s, i, u, &file, &line);
            sqlite3_bind_int64(qi, 1, run_id);
            bind_static(qi, 2, d->unit_id[u]);
            bind_static(qi, 3, nd->id);
            bind_double(qi, 4, d->values[c]);
            bind_double(qi, 5, r->transformed[c]);
            bind_double(qi, 6, r->normalised[c]);
            sqlite3_bind_int(qi, 7, r->imputed[c]);
            if (d->prov) {
                const ts_provenance *p = &d->prov[c];
                bind_static(qi, 8, p->source);
                if (p->year) sqlite3_bind_int(qi, 9, p->year);
                sqlite3_bind_int(qi, 10, (p->flags & TS_VALUE_ESTIMATE) != 0);
                bind_static(qi, 11, p->note);
                bind_static(qi, 12, p->shock);
            } else {
                bind_static(qi, 8, nd->source);
                sqlite3_bind_int(qi, 10, 0);
            }
            bind_static(qi, 13, d->values[c] == d->values[c] ? file : NULL);
            if (line && d->values[c] == d->values[c]) sqlite3_bind_int(qi, 14, line);
            if (step_reset(qi)) rc = db_fail(st, err, "cannot insert input");
        }
    }
    free(order);
    for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
        const ts_treat_log *tl = &r->treatment[i];
        if (!tl->checked) continue;
        sqlite3_bind_int64(qt, 1, run_id);
        bind_static(qt, 2, t->nodes[t->indicator_node[i]].id);
        sqlite3_bind_int(qt, 3, tl->treated);
        sqlite3_bind_int(qt, 4, tl->winsorised_low);
        sqlite3_bind_int(qt, 5, tl->winsorised_high);
        sqlite3_bind_int(qt, 6, tl->fallback);
        bind_double(qt, 7, tl->skew);
        bind_double(qt, 8, tl->kurtosis);
        bind_double(qt, 9, tl->skew_after);
        bind_double(qt, 10, tl->kurtosis_after);
        if (step_reset(qt)) rc = db_fail(st, err, "cannot insert treatment");
    }
    return rc;
}

/* Looks up a run with key; stores its id or 0 in *id. */
static int find_key(ts_store *st, const char *key, long long *id, ts_error *err) {
    sqlite3_stmt *q = stmt(st, Q_KEY, err);
    if (!q) return TS_ESYSTEM;
    *id = 0;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : db_fail(st, err, "cannot look up run");
}

int ts_store_save_record(ts_store *st, const ts_scenario *s, const ts_result *r, const ts_run_record *rec,
                         int reuse, long long *run_id, int *reused, ts_error *err) {
    if (reused) *reused = 0;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot begin transaction");
    long long found = 0;
    int rc = reuse ? find_key(st, rec->key, &found, err) : TS_OK;
    if (rc == TS_OK && found) {
        *run_id = found;
        if (reused) *reused = 1;
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        return TS_OK;
    }
    if (rc == TS_OK) rc = insert_run(st, s, rec, run_id, err);
    if (rc == TS_OK) rc = insert_rows(st, s, r, *run_id, err);
    if (rc == TS_OK && s->spec->year > 0) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO run_years VALUES(%lld, %d)", *run_id, s->spec->year);
        if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) rc = db_fail(st, err, "cannot insert run year");
    }
    if (rc == TS_OK && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(st, err, "cannot commit");
    if (rc != TS_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int ts_store_save(ts_store *st, const ts_scenario *s, const ts_result *r, long long *run_id,
                  ts_error *err) {
    ts_run_record *rec = ts_run_record_new(s, NULL, err);
    if (!rec) return TS_ESYSTEM;
    int rc = ts_store_save_record(st, s, r, rec, 0, run_id, NULL, err);
    ts_run_record_free(rec);
    return rc;
}

static const char *col_text(sqlite3_stmt *q, int i) {
    const unsigned char *s = sqlite3_column_text(q, i);
    return s ? (const char *)s : "";
}

int ts_store_list_runs(ts_store *st, int (*cb)(const ts_run_info *run, void *ctx), void *ctx,
                       ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, scenario, created_at, taxonomy_id, engine_version,"
                           " scenario_path, taxonomy_path, data_path, scenario_sha256,"
                           " taxonomy_sha256, data_sha256, n_units, n_indicators FROM runs ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot list runs");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        ts_run_info run = {
            sqlite3_column_int64(q, 0), col_text(q, 1), col_text(q, 2), col_text(q, 3),
            col_text(q, 4), col_text(q, 5), col_text(q, 6), col_text(q, 7), col_text(q, 8),
            col_text(q, 9), col_text(q, 10), sqlite3_column_int(q, 11), sqlite3_column_int(q, 12)};
        if (cb(&run, ctx)) break;
    }
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? TS_OK : db_fail(st, err, "cannot list runs");
}

/* ---- reading runs back ------------------------------------------------- */

const char *ts_store_path(const ts_store *st) { return st->path; }

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Fills err with "no run 'spec'" and a suggestion among scenario names. */
static int unknown_run(ts_store *st, const char *spec, ts_error *err) {
    sqlite3_stmt *q;
    const char **names = NULL;
    size_t n = 0, cap = 0;
    ts_arena *a = ts_arena_new();
    if (a && sqlite3_prepare_v2(st->db, "SELECT DISTINCT scenario FROM runs", -1, &q, NULL) == SQLITE_OK) {
        while (sqlite3_step(q) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                const char **m = realloc(names, cap * sizeof *m);
                if (!m) break;
                names = m;
            }
            names[n] = ts_arena_strdup(a, (const char *)sqlite3_column_text(q, 0));
            if (names[n]) n++;
        }
        sqlite3_finalize(q);
    }
    const char *hint = n ? ts_suggest(spec, names, n) : NULL;
    int rc = ts_fail(err, TS_EINPUT, st->path, 0, "no run '%s' (give a run id or a scenario name)%s%s%s", spec,
                     hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    free(names);
    ts_arena_free(a);
    return rc;
}

int ts_store_resolve_run(ts_store *st, const char *spec, long long *id, ts_error *err) {
    sqlite3_stmt *q;
    int numeric = all_digits(spec) && strlen(spec) < 18;
    const char *sql = numeric ? "SELECT id FROM runs WHERE id = ?1 OR scenario = ?2 ORDER BY id = ?1 DESC, id DESC LIMIT 1"
                              : "SELECT id FROM runs WHERE scenario = ?2 ORDER BY id DESC LIMIT 1";
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return db_fail(st, err, "cannot look up run");
    if (numeric) sqlite3_bind_int64(q, 1, atoll(spec));
    sqlite3_bind_text(q, 2, spec, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW) return TS_OK;
    if (rc != SQLITE_DONE) return db_fail(st, err, "cannot look up run");
    return unknown_run(st, spec, err);
}

void ts_stored_run_free(ts_stored_run *r) {
    if (!r) return;
    free(r->unit_id);
    free(r->unit_name);
    free(r->screened);
    free(r->nodes);
    free(r->score);
    free(r->rank);
    free(r->cls);
    free(r->coverage);
    free(r->imputed);
    free(r->unit_weight);
    ts_arena_free(r->arena);
    free(r);
}

/* Arena copy of column i, or NULL for SQL NULL (or out of memory, which
 * the caller cannot tell from NULL: strings here are optional). */
static const char *col_dup(ts_arena *a, sqlite3_stmt *q, int i) {
    const unsigned char *s = sqlite3_column_text(q, i);
    return s ? ts_arena_strdup(a, (const char *)s) : NULL;
}

static const char *col_dup_nn(ts_arena *a, sqlite3_stmt *q, int i) {
    const char *s = col_dup(a, q, i);
    return s ? s : "";
}

static double col_double(sqlite3_stmt *q, int i) {
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

int ts_stored_run_node(const ts_stored_run *r, const char *id) {
    for (int k = 0; k < r->n_nodes; k++)
        if (strcmp(r->nodes[k].id, id) == 0) return k;
    return -1;
}

int ts_stored_run_unit(const ts_stored_run *r, const char *id) {
    for (int u = 0; u < r->n_units; u++)
        if (strcmp(r->unit_id[u], id) == 0) return u;
    return -1;
}

double ts_stored_run_weight(const ts_stored_run *r, int u, int k) {
    if (r->unit_weight) {
        double w = r->unit_weight[(size_t)u * (size_t)r->n_nodes + (size_t)k];
        if (w == w) return w;
    }
    return r->nodes[k].weight;
}

static int load_header(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, scenario, created_at, taxonomy_id, engine_version, scenario_path,"
                           " taxonomy_path, data_path, scenario_sha256, taxonomy_sha256, data_sha256,"
                           " n_units, n_indicators, values_sha256, method_json, inputs_json, options_json,"
                           " run_key FROM runs WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot read run");
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        ts_arena *a = r->arena;
        ts_run_info *in = &r->info;
        in->id = sqlite3_column_int64(q, 0);
        in->scenario = col_dup_nn(a, q, 1);
        in->created_at = col_dup_nn(a, q, 2);
        in->taxonomy_id = col_dup_nn(a, q, 3);
        in->engine_version = col_dup_nn(a, q, 4);
        in->scenario_path = col_dup(a, q, 5);
        in->taxonomy_path = col_dup_nn(a, q, 6);
        in->data_path = col_dup_nn(a, q, 7);
        in->scenario_sha256 = col_dup(a, q, 8);
        in->taxonomy_sha256 = col_dup_nn(a, q, 9);
        in->data_sha256 = col_dup_nn(a, q, 10);
        in->n_units = sqlite3_column_int(q, 11);
        in->n_indicators = sqlite3_column_int(q, 12);
        r->values_sha256 = col_dup_nn(a, q, 13);
        r->method_json = col_dup_nn(a, q, 14);
        r->inputs_json = col_dup_nn(a, q, 15);
        r->options_json = col_dup(a, q, 16);
        r->run_key = col_dup(a, q, 17);
    }
    sqlite3_finalize(q);
    if (rc == SQLITE_DONE) return ts_fail(err, TS_EINPUT, st->path, 0, "no run %lld", id);
    return rc == SQLITE_ROW ? TS_OK : db_fail(st, err, "cannot read run");
}

/* Runs a query over run id and returns the prepared statement, or NULL. */
static sqlite3_stmt *run_query(ts_store *st, const char *sql, long long id, ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        db_fail(st, err, "cannot read run");
        return NULL;
    }
    sqlite3_bind_int64(q, 1, id);
    return q;
}

static int count_rows(ts_store *st, const char *sql, long long id, int *n, ts_error *err) {
    sqlite3_stmt *q = run_query(st, sql, id, err);
    if (!q) return TS_ESYSTEM;
    int rc = sqlite3_step(q);
    *n = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? TS_OK : db_fail(st, err, "cannot read run");
}

static int load_units_nodes(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    ts_arena *a = r->arena;
    sqlite3_stmt *q = run_query(st, "SELECT unit, name, screened FROM units WHERE run_id = ? ORDER BY position", id, err);
    if (!q) return TS_ESYSTEM;
    int u = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && u < r->n_units) {
        r->unit_id[u] = col_dup_nn(a, q, 0);
        r->unit_name[u] = col_dup_nn(a, q, 1);
        r->screened[u] = (unsigned char)sqlite3_column_int(q, 2);
        u++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(st, err, "cannot read units");
    q = run_query(st,
                  "SELECT node, name, parent, depth, is_indicator, weight, aggregate, normalise, direction,"
                  " unit_of_measure, source FROM nodes WHERE run_id = ? ORDER BY position",
                  id, err);
    if (!q) return TS_ESYSTEM;
    int k = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && k < r->n_nodes) {
        ts_stored_node *nd = &r->nodes[k++];
        nd->id = col_dup_nn(a, q, 0);
        nd->name = col_dup_nn(a, q, 1);
        nd->parent_id = col_dup(a, q, 2);
        nd->depth = sqlite3_column_int(q, 3);
        nd->is_indicator = sqlite3_column_int(q, 4);
        nd->weight = sqlite3_column_double(q, 5);
        nd->aggregate = col_dup(a, q, 6);
        nd->normalise = col_dup(a, q, 7);
        nd->direction = col_dup(a, q, 8);
        nd->unit_of_measure = col_dup(a, q, 9);
        nd->source = col_dup(a, q, 10);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(st, err, "cannot read nodes");
    /* parents precede their children in pre-order */
    for (k = 0; k < r->n_nodes; k++) {
        r->nodes[k].parent = -1;
        for (int j = k - 1; j >= 0 && r->nodes[k].parent_id; j--)
            if (strcmp(r->nodes[j].id, r->nodes[k].parent_id) == 0) {
                r->nodes[k].parent = j;
                break;
            }
    }
    return TS_OK;
}

/* An id with its index, for lookups by binary search. */
typedef struct id_index {
    const char *id;
    int i;
} id_index;

static int cmp_id_index(const void *a, const void *b) {
    return strcmp(((const id_index *)a)->id, ((const id_index *)b)->id);
}

/* Fills out[n] with ids and their indices, sorted by id. */
static void sort_index(const char *const *ids, int n, id_index *out) {
    for (int i = 0; i < n; i++) out[i] = (id_index){ids[i], i};
    qsort(out, (size_t)n, sizeof *out, cmp_id_index);
}

/* Returns the index of id in sorted (n entries), or -1. */
static int find_sorted(const id_index *sorted, int n, const char *id) {
    if (!id) return -1;
    id_index key = {id, -1};
    const id_index *hit = bsearch(&key, sorted, (size_t)n, sizeof *sorted, cmp_id_index);
    return hit ? hit->i : -1;
}

static int load_scores(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    size_t cells = (size_t)r->n_units * (size_t)r->n_nodes;
    const char **node_ids = malloc(((size_t)r->n_nodes + 1) * sizeof *node_ids);
    id_index *us = malloc(((size_t)r->n_units + 1) * sizeof *us), *ns = malloc(((size_t)r->n_nodes + 1) * sizeof *ns);
    if (!node_ids || !us || !ns) {
        free(node_ids), free(us), free(ns);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    for (int k = 0; k < r->n_nodes; k++) node_ids[k] = r->nodes[k].id;
    sort_index(r->unit_id, r->n_units, us);
    sort_index(node_ids, r->n_nodes, ns);
    for (size_t c = 0; c < cells; c++) r->score[c] = r->coverage[c] = r->imputed[c] = NAN;
    int rc = TS_OK, src;
    sqlite3_stmt *q = run_query(st, "SELECT unit, node, score, rank, class, coverage, imputed FROM scores WHERE run_id = ?",
                                id, err);
    if (!q) rc = TS_ESYSTEM;
    while (rc == TS_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        int u = find_sorted(us, r->n_units, (const char *)sqlite3_column_text(q, 0));
        int k = find_sorted(ns, r->n_nodes, (const char *)sqlite3_column_text(q, 1));
        if (u < 0 || k < 0) continue;
        size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
        r->score[c] = col_double(q, 2);
        r->rank[c] = sqlite3_column_int(q, 3);
        r->cls[c] = col_dup(r->arena, q, 4);
        r->coverage[c] = col_double(q, 5);
        r->imputed[c] = col_double(q, 6);
        r->n_scores++;
    }
    if (rc == TS_OK && src != SQLITE_DONE) rc = db_fail(st, err, "cannot read scores");
    sqlite3_finalize(q);
    q = rc == TS_OK ? run_query(st, "SELECT unit, node, weight FROM unit_weights WHERE run_id = ?", id, err) : NULL;
    if (rc == TS_OK && !q) rc = TS_ESYSTEM;
    while (rc == TS_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        int u = find_sorted(us, r->n_units, (const char *)sqlite3_column_text(q, 0));
        int k = find_sorted(ns, r->n_nodes, (const char *)sqlite3_column_text(q, 1));
        if (u < 0 || k < 0) continue;
        if (!r->unit_weight) {
            if (!(r->unit_weight = malloc((cells + 1) * sizeof *r->unit_weight))) {
                rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
                break;
            }
            for (size_t c = 0; c < cells; c++) r->unit_weight[c] = NAN;
        }
        r->unit_weight[(size_t)u * (size_t)r->n_nodes + (size_t)k] = sqlite3_column_double(q, 2);
    }
    if (rc == TS_OK && src != SQLITE_DONE) rc = db_fail(st, err, "cannot read unit weights");
    sqlite3_finalize(q);
    free(node_ids), free(us), free(ns);
    return rc;
}

ts_stored_run *ts_store_load_run(ts_store *st, long long id, ts_error *err) {
    ts_stored_run *r = calloc(1, sizeof *r);
    if (!r || !(r->arena = ts_arena_new())) {
        free(r);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return NULL;
    }
    int rc = load_header(st, r, id, err);
    if (rc == TS_OK) rc = count_rows(st, "SELECT count(*) FROM units WHERE run_id = ?", id, &r->n_units, err);
    if (rc == TS_OK) rc = count_rows(st, "SELECT count(*) FROM nodes WHERE run_id = ?", id, &r->n_nodes, err);
    if (rc == TS_OK) {
        size_t nu = (size_t)r->n_units + 1, nn = (size_t)r->n_nodes + 1, cells = nu * nn;
        r->unit_id = calloc(nu, sizeof *r->unit_id);
        r->unit_name = calloc(nu, sizeof *r->unit_name);
        r->screened = calloc(nu, 1);
        r->nodes = calloc(nn, sizeof *r->nodes);
        r->score = malloc(cells * sizeof *r->score);
        r->rank = calloc(cells, sizeof *r->rank);
        r->cls = calloc(cells, sizeof *r->cls);
        r->coverage = malloc(cells * sizeof *r->coverage);
        r->imputed = malloc(cells * sizeof *r->imputed);
        if (!r->unit_id || !r->unit_name || !r->screened || !r->nodes || !r->score || !r->rank || !r->cls ||
            !r->coverage || !r->imputed)
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    if (rc == TS_OK) rc = load_units_nodes(st, r, id, err);
    if (rc == TS_OK) rc = load_scores(st, r, id, err);
    if (rc != TS_OK) {
        ts_stored_run_free(r);
        return NULL;
    }
    return r;
}

int ts_store_each_input(ts_store *st, long long id, int (*cb)(const ts_stored_input *in, void *ctx), void *ctx,
                        ts_error *err) {
    sqlite3_stmt *q = run_query(st,
                                "SELECT i.unit, i.indicator, i.raw, i.transformed, i.normalised, i.imputed, i.source,"
                                " i.year, i.estimate, i.note, i.shock, i.file, i.line FROM inputs i"
                                " JOIN units u ON u.run_id = i.run_id AND u.unit = i.unit"
                                " JOIN nodes n ON n.run_id = i.run_id AND n.node = i.indicator"
                                " WHERE i.run_id = ?1 ORDER BY u.position, n.position",
                                id, err);
    if (!q) return TS_ESYSTEM;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        ts_stored_input in = {(const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
                              col_double(q, 2), col_double(q, 3), col_double(q, 4), sqlite3_column_int(q, 5),
                              sqlite3_column_int(q, 7), sqlite3_column_int(q, 8), sqlite3_column_int(q, 12),
                              (const char *)sqlite3_column_text(q, 6), (const char *)sqlite3_column_text(q, 9),
                              (const char *)sqlite3_column_text(q, 10), (const char *)sqlite3_column_text(q, 11)};
        if (cb(&in, ctx)) break;
    }
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? TS_OK : db_fail(st, err, "cannot read inputs");
}

int ts_store_each_treatment(ts_store *st, long long id,
                            int (*cb)(const ts_stored_treatment *t, void *ctx), void *ctx, ts_error *err) {
    sqlite3_stmt *q = run_query(st,
                                "SELECT t.indicator, t.treated, t.winsorised_low, t.winsorised_high, t.log, t.skew,"
                                " t.kurtosis, t.skew_after, t.kurtosis_after FROM treatment t"
                                " JOIN nodes n ON n.run_id = t.run_id AND n.node = t.indicator"
                                " WHERE t.run_id = ?1 ORDER BY n.position",
                                id, err);
    if (!q) return TS_ESYSTEM;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        ts_stored_treatment t = {(const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1),
                                 sqlite3_column_int(q, 2), sqlite3_column_int(q, 3), sqlite3_column_int(q, 4),
                                 col_double(q, 5), col_double(q, 6), col_double(q, 7), col_double(q, 8)};
        if (cb(&t, ctx)) break;
    }
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? TS_OK : db_fail(st, err, "cannot read treatment");
}

/* ---- the JSON the store writes, read back ------------------------------ */

/* A small reader for the JSON this module writes (inputs_json and
 * options_json): strings, arrays, objects, null, numbers, true, false. */
typedef struct jreader {
    const char *p;
    ts_arena *a;
    int bad;
} jreader;

static void jws(jreader *j) {
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r') j->p++;
}

static int jeat(jreader *j, char c) {
    jws(j);
    if (*j->p != c) return 0;
    j->p++;
    return 1;
}

static void put_utf8(ts_buf *b, unsigned cp) {
    char u[4];
    if (cp < 0x80) {
        u[0] = (char)cp;
        ts_buf_append(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F));
        ts_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F));
        ts_buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
        ts_buf_append(b, u, 4);
    }
}

static unsigned jhex4(jreader *j) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *j->p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            j->bad = 1;
            return 0;
        }
        v = v * 16 + (unsigned)d;
        j->p++;
    }
    return v;
}

/* Reads a string (arena copy) or null (NULL). Sets bad on anything else. */
static const char *jstring(jreader *j) {
    jws(j);
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return NULL;
    }
    if (*j->p != '"') {
        j->bad = 1;
        return NULL;
    }
    j->p++;
    ts_buf b = {0};
    while (*j->p && *j->p != '"' && !j->bad) {
        if (*j->p != '\\') {
            ts_buf_append(&b, j->p++, 1);
            continue;
        }
        j->p++;
        char c = *j->p++, out = 0;
        switch (c) {
        case '"': case '\\': case '/': out = c; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            unsigned cp = jhex4(j);
            if (cp >= 0xD800 && cp < 0xDC00 && j->p[0] == '\\' && j->p[1] == 'u') {
                j->p += 2;
                unsigned lo = jhex4(j);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&b, cp);
            continue;
        }
        default: j->bad = 1;
        }
        ts_buf_append(&b, &out, 1);
    }
    if (*j->p != '"') j->bad = 1;
    else j->p++;
    const char *s = j->bad || b.oom ? NULL : ts_arena_strdup(j->a, b.data ? b.data : "");
    if (!j->bad && !s) j->bad = 1;
    ts_buf_free(&b);
    return s;
}

static void jskip(jreader *j) {
    jws(j);
    char c = *j->p;
    if (c == '"' || c == 'n') {
        (void)jstring(j);
    } else if (c == '[' || c == '{') {
        char close = c == '[' ? ']' : '}';
        j->p++;
        if (jeat(j, close)) return;
        do {
            if (close == '}') {
                (void)jstring(j);
                if (!jeat(j, ':')) j->bad = 1;
            }
            jskip(j);
        } while (!j->bad && jeat(j, ','));
        if (!jeat(j, close)) j->bad = 1;
    } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f') {
        while (*j->p && strchr("+-.0123456789eEtruefals", *j->p)) j->p++;
    } else {
        j->bad = 1;
    }
}

/* Reads an array of strings into an arena array; *n gets its length. */
static const char **jstrings(jreader *j, int *n) {
    *n = 0;
    jws(j);
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return NULL;
    }
    if (!jeat(j, '[')) {
        j->bad = 1;
        return NULL;
    }
    const char *start = j->p;
    int count = 0;
    if (!jeat(j, ']')) {
        do {
            jskip(j);
            count++;
        } while (!j->bad && jeat(j, ','));
        if (!jeat(j, ']')) j->bad = 1;
    }
    const char **out = ts_arena_alloc(j->a, ((size_t)count + 1) * sizeof *out);
    if (!out || j->bad) {
        j->bad = 1;
        return NULL;
    }
    j->p = start;
    for (int i = 0; i < count; i++) {
        out[i] = jstring(j);
        jeat(j, ',');
    }
    jeat(j, ']');
    *n = count;
    return out;
}

int ts_stored_run_files(ts_stored_run *r, const ts_stored_file **files) {
    jreader j = {r->inputs_json, r->arena, 0};
    int cap = 1;
    for (const char *p = r->inputs_json; *p; p++) cap += *p == '{';
    ts_stored_file *f = ts_arena_alloc(r->arena, (size_t)cap * sizeof *f);
    if (!f || !jeat(&j, '[')) return -1;
    int n = 0;
    if (!jeat(&j, ']')) {
        do {
            if (!jeat(&j, '{') || n == cap) return -1;
            ts_stored_file *e = &f[n++];
            if (!jeat(&j, '}')) {
                do {
                    const char *key = jstring(&j);
                    if (!key || !jeat(&j, ':')) return -1;
                    if (strcmp(key, "role") == 0) e->role = jstring(&j);
                    else if (strcmp(key, "path") == 0) e->path = jstring(&j);
                    else if (strcmp(key, "sha256") == 0) e->sha256 = jstring(&j);
                    else jskip(&j);
                } while (!j.bad && jeat(&j, ','));
                if (!jeat(&j, '}')) return -1;
            }
            if (!e->role || !e->path || !e->sha256) return -1;
        } while (!j.bad && jeat(&j, ','));
        if (!jeat(&j, ']')) return -1;
    }
    *files = f;
    return j.bad ? -1 : n;
}

int ts_stored_run_options(ts_stored_run *r, ts_stored_options *o) {
    memset(o, 0, sizeof *o);
    if (!r->options_json) return 0;
    jreader j = {r->options_json, r->arena, 0};
    if (!jeat(&j, '{')) return -1;
    if (jeat(&j, '}')) return 0;
    do {
        const char *key = jstring(&j);
        if (!key || !jeat(&j, ':')) return -1;
        if (strcmp(key, "set") == 0) {
            o->set = jstrings(&j, &o->n_set);
        } else if (strcmp(key, "perspectives") == 0) {
            o->perspectives = jstrings(&j, &o->n_perspectives);
        } else if (strcmp(key, "csv") == 0) {
            o->has_csv = 1;
            if (!jeat(&j, '{')) return -1;
            if (!jeat(&j, '}')) {
                do {
                    const char *k = jstring(&j);
                    if (!k || !jeat(&j, ':')) return -1;
                    if (strcmp(k, "unit_column") == 0) o->csv.unit_column = jstring(&j);
                    else if (strcmp(k, "name_column") == 0) o->csv.name_column = jstring(&j);
                    else if (strcmp(k, "missing") == 0) {
                        int n;
                        o->csv.missing = jstrings(&j, &n);
                    } else if (strcmp(k, "encoding") == 0) {
                        const char *e = jstring(&j);
                        o->csv.encoding = e && strcmp(e, "utf-8") == 0 ? TS_ENC_UTF8
                                          : e && strcmp(e, "latin1") == 0 ? TS_ENC_LATIN1 : TS_ENC_AUTO;
                    } else jskip(&j);
                } while (!j.bad && jeat(&j, ','));
                if (!jeat(&j, '}')) return -1;
            }
        } else {
            jskip(&j);
        }
    } while (!j.bad && jeat(&j, ','));
    if (!jeat(&j, '}')) return -1;
    return j.bad ? -1 : 0;
}
