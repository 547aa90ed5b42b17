/* store.c -- SQLite persistence of runs: schema, one transaction per run,
 * and listing. */
#include "store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

struct ts_store {
    sqlite3 *db;
    char path[512];
};

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

static int db_fail(ts_store *st, ts_error *err, const char *what) {
    return ts_fail(err, TS_ESYSTEM, st->path, 0, "%s: %s", what, sqlite3_errmsg(st->db));
}

void ts_store_close(ts_store *st) {
    if (!st) return;
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
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
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
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        ts_fail(err, TS_ESYSTEM, path, 0, "cannot set up database: %s", msg ? msg : "?");
        sqlite3_free(msg);
        ts_store_close(st);
        return TS_ESYSTEM;
    }
    if (version == 0) {
        /* create under a write lock; another process may be creating too */
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            int rc = db_fail(st, err, "cannot lock database");
            ts_store_close(st);
            return rc;
        }
        int rc = TS_OK;
        if (user_version(st->db) == 0) {
            if (table_count(st->db) != 0) {
                rc = ts_fail(err, TS_EINPUT, path, 0, "not a threatscore store (it has other tables)");
            } else {
                char pragma[64];
                snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", TS_STORE_SCHEMA_VERSION);
                if (sqlite3_exec(st->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK ||
                    sqlite3_exec(st->db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
                    rc = ts_fail(err, TS_ESYSTEM, path, 0, "cannot create schema: %s", msg ? msg : "?");
                    sqlite3_free(msg);
                }
            }
        }
        sqlite3_exec(st->db, rc == TS_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
        if (rc != TS_OK) {
            ts_store_close(st);
            return rc;
        }
    }
    *out = st;
    return TS_OK;
}

static void bind_text(sqlite3_stmt *q, int i, const char *s) {
    if (s) sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(q, i);
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

static int insert_run(ts_store *st, const ts_scenario *s, long long *run_id, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    ts_buf method = {0};
    ts_spec_json(s->spec, t, s->data->unit_id, &method);
    if (method.oom) {
        ts_buf_free(&method);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    char values_hash[65];
    ts_dataset_hash(s->data, values_hash);
    ts_buf inputs = {0};
    ts_buf_puts(&inputs, "[");
    for (int f = 0; f < s->n_files; f++) {
        ts_buf_puts(&inputs, f == 0 ? "{\"role\":\"scenario\",\"path\":" : ",{\"role\":\"extends\",\"path\":");
        ts_buf_json_string(&inputs, s->file_path[f]);
        ts_buf_printf(&inputs, ",\"sha256\":\"%s\"}", s->file_sha256[f]);
    }
    ts_buf_puts(&inputs, s->n_files ? ",{\"role\":\"taxonomy\",\"path\":" : "{\"role\":\"taxonomy\",\"path\":");
    ts_buf_json_string(&inputs, s->taxonomy_path);
    ts_buf_printf(&inputs, ",\"sha256\":\"%s\"}", s->taxonomy_sha256);
    if (!s->path) {
        ts_buf_puts(&inputs, ",{\"role\":\"data\",\"path\":");
        ts_buf_json_string(&inputs, s->data_path);
        ts_buf_printf(&inputs, ",\"sha256\":\"%s\"}", s->data_sha256);
    }
    ts_buf_puts(&inputs, "]");
    if (inputs.oom) {
        ts_buf_free(&inputs);
        ts_buf_free(&method);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO runs(scenario, scenario_path, scenario_sha256, taxonomy_id,"
                           " taxonomy_path, taxonomy_sha256, data_path, data_sha256, values_sha256,"
                           " engine_version, method_json, inputs_json, n_units, n_indicators)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK) {
        ts_buf_free(&method);
        ts_buf_free(&inputs);
        return db_fail(st, err, "cannot prepare run insert");
    }
    bind_text(q, 1, s->name);
    bind_text(q, 2, s->path);
    bind_text(q, 3, s->path ? s->scenario_sha256 : NULL);
    bind_text(q, 4, t->id);
    bind_text(q, 5, s->taxonomy_path);
    bind_text(q, 6, s->taxonomy_sha256);
    bind_text(q, 7, s->data_path);
    bind_text(q, 8, s->data_sha256);
    bind_text(q, 9, values_hash);
    bind_text(q, 10, TS_VERSION);
    bind_text(q, 11, method.data);
    bind_text(q, 12, inputs.data);
    sqlite3_bind_int(q, 13, s->data->n_units);
    sqlite3_bind_int(q, 14, t->n_indicators);
    int rc = sqlite3_step(q) == SQLITE_DONE ? TS_OK : db_fail(st, err, "cannot insert run");
    sqlite3_finalize(q);
    ts_buf_free(&method);
    ts_buf_free(&inputs);
    *run_id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

static int insert_rows(ts_store *st, const ts_scenario *s, const ts_result *r, long long run_id,
                       ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    sqlite3_stmt *qu = NULL, *qn = NULL, *qs = NULL, *qi = NULL;
    int rc = TS_OK;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO units VALUES(?,?,?,?,?)", -1, &qu, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT INTO nodes VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &qn, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT INTO scores VALUES(?,?,?,?,?,?,?,?)", -1, &qs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT INTO inputs VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &qi, NULL) != SQLITE_OK) {
        rc = db_fail(st, err, "cannot prepare inserts");
        goto done;
    }
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        sqlite3_bind_int64(qu, 1, run_id);
        bind_text(qu, 2, d->unit_id[u]);
        bind_text(qu, 3, d->unit_name[u]);
        sqlite3_bind_int(qu, 4, u);
        sqlite3_bind_int(qu, 5, r->screened[u]);
        if (step_reset(qu)) rc = db_fail(st, err, "cannot insert unit");
    }
    int *order = malloc((size_t)t->n_nodes * sizeof *order);
    if (!order) {
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        goto done;
    }
    ts_taxonomy_preorder(t, order);
    for (int j = 0; j < t->n_nodes && rc == TS_OK; j++) {
        int k = order[j];
        const ts_node *nd = &t->nodes[k];
        sqlite3_bind_int64(qn, 1, run_id);
        bind_text(qn, 2, nd->id);
        bind_text(qn, 3, nd->name);
        bind_text(qn, 4, nd->parent >= 0 ? t->nodes[nd->parent].id : NULL);
        sqlite3_bind_int(qn, 5, nd->depth);
        sqlite3_bind_int(qn, 6, j);
        sqlite3_bind_int(qn, 7, nd->indicator >= 0);
        sqlite3_bind_double(qn, 8, s->spec->weight[k]);
        bind_text(qn, 9, nd->indicator < 0 ? ts_agg_name(s->spec->agg[k].method) : NULL);
        bind_text(qn, 10, nd->indicator >= 0 ? ts_norm_name(s->spec->norm[k].method) : NULL);
        bind_text(qn, 11, nd->indicator >= 0 ? (nd->direction > 0 ? "risk" : "protective") : NULL);
        bind_text(qn, 12, nd->unit);
        bind_text(qn, 13, nd->source);
        if (step_reset(qn)) rc = db_fail(st, err, "cannot insert node");
    }
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        for (int j = 0; j < t->n_nodes && rc == TS_OK; j++) {
            int k = order[j];
            double score = ts_result_score(r, k, u);
            int rank = ts_result_rank(r, k, u);
            sqlite3_bind_int64(qs, 1, run_id);
            bind_text(qs, 2, d->unit_id[u]);
            bind_text(qs, 3, t->nodes[k].id);
            bind_double(qs, 4, score);
            if (rank) sqlite3_bind_int(qs, 5, rank);
            bind_text(qs, 6, ts_taxonomy_class(t, k, score));
            sqlite3_bind_double(qs, 7, ts_result_coverage(r, k, u));
            sqlite3_bind_double(qs, 8, r->imputed_share[(size_t)k * (size_t)r->n_units + (size_t)u]);
            if (step_reset(qs)) rc = db_fail(st, err, "cannot insert score");
        }
        for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
            size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
            const ts_node *nd = &t->nodes[t->indicator_node[i]];
            const char *file;
            int line;
            ts_value_origin(s, i, u, &file, &line);
            sqlite3_bind_int64(qi, 1, run_id);
            bind_text(qi, 2, d->unit_id[u]);
            bind_text(qi, 3, nd->id);
            bind_double(qi, 4, d->values[c]);
            bind_double(qi, 5, r->transformed[c]);
            bind_double(qi, 6, r->normalised[c]);
            sqlite3_bind_int(qi, 7, r->imputed[c]);
            if (d->prov) {
                const ts_provenance *p = &d->prov[c];
                bind_text(qi, 8, p->source);
                if (p->year) sqlite3_bind_int(qi, 9, p->year);
                sqlite3_bind_int(qi, 10, (p->flags & TS_VALUE_ESTIMATE) != 0);
                bind_text(qi, 11, p->note);
                bind_text(qi, 12, p->shock);
            } else {
                bind_text(qi, 8, nd->source);
                sqlite3_bind_int(qi, 10, 0);
            }
            bind_text(qi, 13, d->values[c] == d->values[c] ? file : NULL);
            if (line && d->values[c] == d->values[c]) sqlite3_bind_int(qi, 14, line);
            if (step_reset(qi)) rc = db_fail(st, err, "cannot insert input");
        }
    }
    free(order);
    sqlite3_stmt *qt = NULL;
    if (rc == TS_OK && sqlite3_prepare_v2(st->db, "INSERT INTO treatment VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &qt, NULL) != SQLITE_OK)
        rc = db_fail(st, err, "cannot prepare inserts");
    for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
        const ts_treat_log *tl = &r->treatment[i];
        if (!tl->checked) continue;
        sqlite3_bind_int64(qt, 1, run_id);
        bind_text(qt, 2, t->nodes[t->indicator_node[i]].id);
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
    sqlite3_finalize(qt);
done:
    sqlite3_finalize(qu);
    sqlite3_finalize(qn);
    sqlite3_finalize(qs);
    sqlite3_finalize(qi);
    return rc;
}

int ts_store_save(ts_store *st, const ts_scenario *s, const ts_result *r, long long *run_id,
                  ts_error *err) {
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot begin transaction");
    int rc = insert_run(st, s, run_id, err);
    if (rc == TS_OK) rc = insert_rows(st, s, r, *run_id, err);
    if (rc == TS_OK && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(st, err, "cannot commit");
    if (rc != TS_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
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
