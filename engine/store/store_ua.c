/* store_ua.c -- the store's uncertainty tables (ua_runs, ua_results,
 * ua_classes, ua_sobol, ua_samples): their schema and saving an analysis. */
#include "store_ua.h"

#include <math.h>
#include <stdio.h>

#include "store_internal.h"

/* Every uncertainty table, in one place: the store's schema step 4
 * (store_schema.c). IF NOT EXISTS, because threatscore 0.1 created them
 * outside the migrations, on the first save of an analysis. */
const char TS_STORE_UA_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS ua_runs("
    " id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL, scenario_path TEXT, scenario_sha256 TEXT,"
    " taxonomy_path TEXT NOT NULL, taxonomy_sha256 TEXT NOT NULL,"
    " data_path TEXT, data_sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL,"
    " engine_version TEXT NOT NULL, seed TEXT NOT NULL, n INTEGER NOT NULL, evaluations INTEGER NOT NULL,"
    " sobol INTEGER NOT NULL, bootstrap INTEGER NOT NULL, threads INTEGER NOT NULL, seconds REAL,"
    " spec_json TEXT NOT NULL, method_json TEXT NOT NULL, percentile_method TEXT NOT NULL,"
    " median_bins INTEGER NOT NULL, median_resolution REAL, rank_bin_width INTEGER NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
    "CREATE TABLE IF NOT EXISTS ua_results("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL,"
    " nominal_score REAL, nominal_rank INTEGER, mean_score REAL, median_score REAL,"
    " rank_p05 REAL, rank_p50 REAL, rank_p95 REAL, scored REAL,"
    " PRIMARY KEY(ua_id, unit, node)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ua_classes("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, class TEXT NOT NULL, probability REAL NOT NULL,"
    " PRIMARY KEY(ua_id, unit, node, class)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ua_sobol("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, output TEXT NOT NULL, factor TEXT NOT NULL,"
    " s1 REAL, s1_lo REAL, s1_hi REAL, st REAL, st_lo REAL, st_hi REAL,"
    " PRIMARY KEY(ua_id, unit, node, output, factor)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ua_samples("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " replication INTEGER NOT NULL, params_json TEXT NOT NULL,"
    " PRIMARY KEY(ua_id, replication)) WITHOUT ROWID;";

/* Binds x to parameter i of q, NULL for NaN (missing). */
static void bind_num(sqlite3_stmt *q, int i, double x) {
    if (isnan(x)) sqlite3_bind_null(q, i);
    else sqlite3_bind_double(q, i, x);
}

/* Runs q once and readies it for new bindings. Returns 0, or -1 when the
 * step failed (the connection's message says why). */
static int step_reset(sqlite3_stmt *q) {
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Where insert_sample writes. */
typedef struct sample_insert {
    ts_store *st;
    sqlite3_stmt *q;          /* INSERT INTO ua_samples */
    long long id;
} sample_insert;

/* Inserts one replication's parameters (a ts_ua_sample_fn). Returns TS_OK
 * or TS_ESYSTEM with SQLite's message. */
static int insert_sample(void *ctx, long r, const char *json, size_t len, ts_error *err) {
    sample_insert *ins = ctx;
    sqlite3_bind_int64(ins->q, 1, ins->id);
    sqlite3_bind_int64(ins->q, 2, r);
    sqlite3_bind_text(ins->q, 3, json, (int)len, SQLITE_STATIC);
    if (step_reset(ins->q)) return ts_store_fail(ins->st, err, "cannot store samples");
    return TS_OK;
}

/* Inserts every replication's parameters, which the engine regenerates
 * from the seed (the store sees only their JSON). Returns TS_OK, or
 * TS_ESYSTEM or ts_ua_samples' error. */
static int save_samples(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                        long long id, ts_error *err) {
    sample_insert ins = {st, NULL, id};
    if (sqlite3_prepare_v2(ts_store_sqlite(st), "INSERT INTO ua_samples VALUES(?,?,?)", -1, &ins.q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot store samples");
    int rc = ts_ua_samples(s, u, opt, insert_sample, &ins, err);
    sqlite3_finalize(ins.q);
    return rc;
}

/* Inserts the ua_runs row (its id into *id) and the rows of ua_results,
 * ua_classes and ua_sobol. Returns TS_OK or TS_ESYSTEM with SQLite's
 * message. */
static int save_rows(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                     const ts_ua_result *r, long long *id, ts_error *err) {
    sqlite3 *db = ts_store_sqlite(st);
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    ts_buf spec = {0}, method = {0};
    ts_ua_spec_json(u, s, &spec);
    ts_spec_json(s->spec, t, d->unit_id, &method);
    char vhash[65], seed[32];
    ts_dataset_hash(d, vhash);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)opt->seed);
    sqlite3_stmt *q = NULL;
    int rc = spec.oom || method.oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
    const char *sql_run =
        "INSERT INTO ua_runs(scenario,scenario_path,scenario_sha256,taxonomy_path,taxonomy_sha256,data_path,"
        "data_sha256,values_sha256,engine_version,seed,n,evaluations,sobol,bootstrap,threads,seconds,spec_json,"
        "method_json,percentile_method,median_bins,median_resolution,rank_bin_width) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (rc == TS_OK && sqlite3_prepare_v2(db, sql_run, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, s->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, s->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, s->scenario_sha256[0] ? s->scenario_sha256 : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, s->taxonomy_path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, s->taxonomy_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, s->data_path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, s->data_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, vhash, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 9, TS_VERSION, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 10, seed, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 11, opt->n);
        sqlite3_bind_int64(q, 12, r->evaluations);
        sqlite3_bind_int(q, 13, opt->sobol);
        sqlite3_bind_int(q, 14, opt->sobol ? opt->bootstrap : 0);
        sqlite3_bind_int(q, 15, opt->threads);
        sqlite3_bind_double(q, 16, r->seconds);
        sqlite3_bind_text(q, 17, spec.data, (int)spec.len, SQLITE_STATIC);
        sqlite3_bind_text(q, 18, method.data, (int)method.len, SQLITE_STATIC);
        sqlite3_bind_text(q, 19, "type 7: linear interpolation between order statistics (numpy default)", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int(q, 20, opt->score_bins);
        sqlite3_bind_double(q, 21, r->median_resolution);
        sqlite3_bind_int(q, 22, r->rank_bin_width);
        if (step_reset(q)) rc = TS_ESYSTEM;
        *id = sqlite3_last_insert_rowid(db);
    } else if (rc == TS_OK) {
        rc = TS_ESYSTEM;
    }
    sqlite3_finalize(q);
    q = NULL;
    sqlite3_stmt *qc = NULL, *qs = NULL;
    if (rc == TS_OK && (sqlite3_prepare_v2(db, "INSERT INTO ua_results VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL) ||
                        sqlite3_prepare_v2(db, "INSERT INTO ua_classes VALUES(?,?,?,?,?)", -1, &qc, NULL) ||
                        sqlite3_prepare_v2(db, "INSERT INTO ua_sobol VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &qs, NULL)))
        rc = TS_ESYSTEM;
    int n = r->n_units;
    static const char *const outs[] = {"score", "rank"};
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) {
        if (!r->tracked[k]) continue;
        for (int uu = 0; uu < n && rc == TS_OK; uu++) {
            size_t c = ts_ua_cell(r, k, uu);
            sqlite3_bind_int64(q, 1, *id);
            sqlite3_bind_text(q, 2, d->unit_id[uu], -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, t->nodes[k].id, -1, SQLITE_STATIC);
            bind_num(q, 4, r->nominal_score[c]);
            if (r->nominal_rank[c] > 0) sqlite3_bind_int(q, 5, r->nominal_rank[c]);
            bind_num(q, 6, r->mean_score[c]);
            bind_num(q, 7, r->median_score[c]);
            bind_num(q, 8, r->rank_p05[c]);
            bind_num(q, 9, r->rank_p50[c]);
            bind_num(q, 10, r->rank_p95[c]);
            bind_num(q, 11, r->scored[c]);
            if (step_reset(q)) rc = TS_ESYSTEM;
            const ts_node *nd = &t->nodes[k];
            for (int cl = 0; cl < nd->n_classes && rc == TS_OK; cl++) {
                double p = r->class_prob[c * (size_t)(r->max_classes + 1) + (size_t)cl];
                if (isnan(p)) continue;
                sqlite3_bind_int64(qc, 1, *id);
                sqlite3_bind_text(qc, 2, d->unit_id[uu], -1, SQLITE_STATIC);
                sqlite3_bind_text(qc, 3, nd->id, -1, SQLITE_STATIC);
                sqlite3_bind_text(qc, 4, t->classes[nd->first_class + cl].name, -1, SQLITE_STATIC);
                sqlite3_bind_double(qc, 5, p);
                if (step_reset(qc)) rc = TS_ESYSTEM;
            }
            if (!opt->sobol || !r->s1) continue;
            for (int o = 0; o < 2 && rc == TS_OK; o++)
                for (int f = 0; f < r->n_factors && rc == TS_OK; f++) {
                    size_t x = (c * 2 + (size_t)o) * (size_t)r->n_factors + (size_t)f;
                    if (isnan(r->s1[x]) && isnan(r->st[x])) continue;
                    sqlite3_bind_int64(qs, 1, *id);
                    sqlite3_bind_text(qs, 2, d->unit_id[uu], -1, SQLITE_STATIC);
                    sqlite3_bind_text(qs, 3, nd->id, -1, SQLITE_STATIC);
                    sqlite3_bind_text(qs, 4, outs[o], -1, SQLITE_STATIC);
                    sqlite3_bind_text(qs, 5, r->factor_name[f], -1, SQLITE_STATIC);
                    bind_num(qs, 6, r->s1[x]);
                    bind_num(qs, 7, r->s1_lo[x]);
                    bind_num(qs, 8, r->s1_hi[x]);
                    bind_num(qs, 9, r->st[x]);
                    bind_num(qs, 10, r->st_lo[x]);
                    bind_num(qs, 11, r->st_hi[x]);
                    if (step_reset(qs)) rc = TS_ESYSTEM;
                }
        }
    }
    if (rc == TS_ESYSTEM && !err->code) ts_store_fail(st, err, "cannot store the analysis");
    sqlite3_finalize(q);
    sqlite3_finalize(qc);
    sqlite3_finalize(qs);
    ts_buf_free(&spec);
    ts_buf_free(&method);
    return rc;
}

/* Returns 1 when analysis id reports exactly the nodes r tracks (every
 * tracked node has rows, and no other node has), 0 when not, -1 on a
 * database error. */
static int same_nodes(sqlite3 *db, const ts_scenario *s, const ts_ua_result *r, long long id) {
    sqlite3_stmt *q = NULL;
    int tracked = 0, same = 1;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM ua_results WHERE ua_id = ? AND node = ? LIMIT 1", -1, &q, NULL))
        return -1;
    for (int k = 0; k < s->tax->n_nodes && same == 1; k++) {
        if (!r->tracked[k]) continue;
        tracked++;
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_text(q, 2, s->tax->nodes[k].id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(q);
        same = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    if (same != 1) return same;
    if (sqlite3_prepare_v2(db, "SELECT count(DISTINCT node) FROM ua_results WHERE ua_id = ?", -1, &q, NULL)) return -1;
    sqlite3_bind_int64(q, 1, id);
    same = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) == tracked : -1;
    sqlite3_finalize(q);
    return same;
}

/* Finds the latest stored analysis identical to this one (see
 * ts_ua_save_or_reuse) and stores its id in *found, 0 when none. Returns
 * TS_OK or TS_ESYSTEM. */
static int find_same(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                     const ts_ua_result *r, int store_samples, long long *found, ts_error *err) {
    sqlite3 *db = ts_store_sqlite(st);
    *found = 0;
    ts_buf spec = {0}, method = {0};
    ts_ua_spec_json(u, s, &spec);
    ts_spec_json(s->spec, s->tax, s->data->unit_id, &method);
    char vhash[65], seed[32];
    ts_dataset_hash(s->data, vhash);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)opt->seed);
    sqlite3_stmt *q = NULL;
    int rc = spec.oom || method.oom ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory") : TS_OK;
    const char *sql =
        "SELECT id FROM ua_runs WHERE scenario = ? AND scenario_path IS ? AND scenario_sha256 IS ?"
        " AND taxonomy_sha256 = ? AND data_path IS ? AND data_sha256 = ? AND values_sha256 = ?"
        " AND engine_version = ? AND seed = ? AND n = ? AND sobol = ? AND bootstrap = ? AND spec_json = ?"
        " AND method_json = ? AND median_bins = ?"
        " AND (? = 0 OR EXISTS (SELECT 1 FROM ua_samples WHERE ua_id = ua_runs.id)) ORDER BY id DESC";
    if (rc == TS_OK && sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) rc = TS_ESYSTEM;
    if (rc == TS_OK) {
        sqlite3_bind_text(q, 1, s->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, s->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, s->scenario_sha256[0] ? s->scenario_sha256 : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, s->taxonomy_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, s->data_path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, s->data_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, vhash, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, TS_VERSION, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 9, seed, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 10, opt->n);
        sqlite3_bind_int(q, 11, opt->sobol);
        sqlite3_bind_int(q, 12, opt->sobol ? opt->bootstrap : 0);
        sqlite3_bind_text(q, 13, spec.data, (int)spec.len, SQLITE_STATIC);
        sqlite3_bind_text(q, 14, method.data, (int)method.len, SQLITE_STATIC);
        sqlite3_bind_int(q, 15, opt->score_bins);
        sqlite3_bind_int(q, 16, store_samples);
        int step = SQLITE_DONE;
        while (rc == TS_OK && !*found && (step = sqlite3_step(q)) == SQLITE_ROW) {
            long long id = sqlite3_column_int64(q, 0);
            int same = same_nodes(db, s, r, id);
            if (same < 0) rc = TS_ESYSTEM;
            else if (same) *found = id;
        }
        if (rc == TS_OK && !*found && step != SQLITE_DONE) rc = TS_ESYSTEM;
    }
    if (rc == TS_ESYSTEM && !err->code) ts_store_fail(st, err, "cannot look up analyses");
    sqlite3_finalize(q);
    ts_buf_free(&spec);
    ts_buf_free(&method);
    return rc;
}

/* Saves the analysis, or with reuse finds an identical one first. Returns
 * as ts_ua_save_or_reuse. */
static int save(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                const ts_ua_result *r, int store_samples, int reuse, long long *id, int *reused, ts_error *err) {
    sqlite3 *db = ts_store_sqlite(st);
    *id = 0;
    if (reused) *reused = 0;
    /* in the caller's transaction (ts_store_begin), a savepoint in it */
    int own = !st->in_txn;
    if (sqlite3_exec(db, own ? "BEGIN IMMEDIATE" : "SAVEPOINT analysis", NULL, NULL, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot lock the database");
    ts_error_clear(err);
    long long found = 0;
    int rc = reuse ? find_same(st, s, u, opt, r, store_samples, &found, err) : TS_OK;
    if (rc == TS_OK && found) {
        *id = found;
        if (reused) *reused = 1;
    }
    if (rc == TS_OK && !found) rc = save_rows(st, s, u, opt, r, id, err);
    if (rc == TS_OK && !found && store_samples) rc = save_samples(st, s, u, opt, *id, err);
    if (rc == TS_OK && sqlite3_exec(db, own ? "COMMIT" : "RELEASE analysis", NULL, NULL, NULL) != SQLITE_OK)
        rc = ts_store_fail(st, err, "cannot commit");
    if (rc != TS_OK) {
        sqlite3_exec(db, own ? "ROLLBACK" : "ROLLBACK TO analysis; RELEASE analysis", NULL, NULL, NULL);
        *id = 0;
        if (reused) *reused = 0;
    }
    return rc;
}

/* Returns TS_OK with the analysis stored under *id, or an error with
 * nothing stored and *id 0. */
int ts_ua_save(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
               const ts_ua_result *r, int store_samples, long long *id, ts_error *err) {
    return save(st, s, u, opt, r, store_samples, 0, id, NULL, err);
}

int ts_ua_save_or_reuse(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                        const ts_ua_result *r, int store_samples, long long *id, int *reused, ts_error *err) {
    return save(st, s, u, opt, r, store_samples, 1, id, reused, err);
}
