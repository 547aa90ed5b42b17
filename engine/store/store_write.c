/* store_write.c -- recording runs: the run record (method, inputs and
 * options JSON, the reuse key) and saving a run in one transaction. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "spec.h"
#include "store_internal.h"

/* Prepared statements kept for the life of the store, so that a batch of
 * many runs prepares each insert once (indexed by TS_Q_*). */
static const char *const STATEMENTS[TS_Q_COUNT] = {
    "INSERT INTO runs(scenario, scenario_path, scenario_sha256, taxonomy_id,"
    " taxonomy_path, taxonomy_sha256, data_path, data_sha256, values_sha256,"
    " engine_version, method_json, inputs_json, n_units, n_indicators, options_json, run_key, year, series,"
    " node_set) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO units VALUES(?,?,?,?,?)",
    "INSERT INTO unit_rows(run_id, unit, scores, inputs) VALUES(?,?,?,?)",
    "INSERT INTO treatment VALUES(?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO unit_weights VALUES(?,?,?,?)",
    "SELECT id FROM runs WHERE run_key = ? ORDER BY id DESC LIMIT 1",
    "INSERT INTO class_thresholds VALUES(?,?,?,?,?)",
    "SELECT id FROM node_sets WHERE sha256 = ?",
    "INSERT INTO node_sets(sha256) VALUES(?)",
    "INSERT INTO node_set_rows VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
};

/* Binds x, or SQL NULL for NaN (missing). */
static void bind_double(sqlite3_stmt *q, int i, double x) {
    if (!isnan(x)) sqlite3_bind_double(q, i, x);
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
    char nodes_sha256[65]; /* the key of its node set (store_nodes.c) */
    /* the rows of unit_rows, when rendered ahead (ts_run_record_render_rows):
       unit u's scores are rows.data[row_at[2u] .. row_at[2u+1]), its inputs
       the bytes from there to row_at[2u+2] */
    ts_buf rows;
    size_t *row_at;
    int n_row_units;
};

void ts_run_record_free(ts_run_record *rec) {
    if (!rec) return;
    ts_buf_free(&rec->method);
    ts_buf_free(&rec->inputs);
    ts_buf_free(&rec->options);
    ts_buf_free(&rec->rows);
    free(rec->row_at);
    free(rec);
}

int ts_run_record_render_rows(ts_run_record *rec, const ts_scenario *s, const ts_result *r, ts_error *err) {
    int n = s->data->n_units;
    int *order = malloc(((size_t)s->tax->n_nodes + 1) * sizeof *order);
    size_t *at = malloc((2 * (size_t)n + 1) * sizeof *at);
    ts_fmt_cache *fc = calloc(1, sizeof *fc);
    ts_buf rows = {0}, inputs = {0};
    if (order && at && fc) {
        ts_taxonomy_preorder(s->tax, order);
        at[0] = 0;
        for (int u = 0; u < n && !rows.oom && !inputs.oom; u++) {
            inputs.len = 0;
            ts_store_render_unit(s, r, order, u, fc, &rows, &inputs);
            at[2 * u + 1] = rows.len;
            ts_buf_append(&rows, inputs.data, inputs.len);
            at[2 * u + 2] = rows.len;
        }
    }
    int ok = order && at && fc && !rows.oom && !inputs.oom;
    free(order);
    free(fc);
    ts_buf_free(&inputs);
    if (!ok) {
        free(at);
        ts_buf_free(&rows);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    ts_buf_free(&rec->rows);
    free(rec->row_at);
    rec->rows = rows;
    rec->row_at = at;
    rec->n_row_units = n;
    return TS_OK;
}

const char *ts_run_record_key(const ts_run_record *rec) { return rec->key; }
const char *ts_run_record_method_json(const ts_run_record *rec) { return rec->method.data; }
const char *ts_run_record_values_sha256(const ts_run_record *rec) { return rec->values_sha256; }

/* Appends items as a JSON array of strings. */
static void json_string_list(ts_buf *b, int n, const char *const *items) {
    ts_buf_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) ts_buf_puts(b, ",");
        ts_buf_json_string(b, items[i]);
    }
    ts_buf_puts(b, "]");
}

/* Appends options_json: {"set":[...],"perspectives":[...]}, for a run
 * scored for one year "year":Y (so that rescore scores the same year
 * whether it came from --set or from `trend`), and, for CSV input,
 * "csv":{unit_column, name_column, missing (null: the defaults),
 * encoding}. */
static void options_json(const ts_run_options *o, int year, ts_buf *b) {
    static const char *const ENC[] = {"auto", "utf-8", "latin1"};
    ts_buf_puts(b, "{\"set\":");
    json_string_list(b, o ? o->n_set : 0, o ? o->set : NULL);
    ts_buf_puts(b, ",\"perspectives\":");
    json_string_list(b, o ? o->n_perspectives : 0, o ? o->perspectives : NULL);
    if (year > 0) ts_buf_printf(b, ",\"year\":%d", year);
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

/* Appends one file of inputs_json: its role, path as given, SHA-256 and,
 * when it resolves, its absolute path (so that rescore finds it from any
 * directory). realpath failing for lack of memory sets b->oom: the path
 * resolves, and a record without it would be another record. */
static void input_file(ts_buf *b, const char *role, const char *path, const char *sha256) {
    ts_buf_printf(b, "{\"role\":\"%s\",\"path\":", role);
    ts_buf_json_string(b, path);
    ts_buf_printf(b, ",\"sha256\":\"%s\"", sha256);
    errno = 0;
    char *abs = path ? realpath(path, NULL) : NULL;
    if (!abs && path && errno == ENOMEM) b->oom = 1;
    if (abs) {
        ts_buf_puts(b, ",\"abs_path\":");
        ts_buf_json_string(b, abs);
        free(abs);
    }
    ts_buf_puts(b, "}");
}

/* Appends inputs_json: each input file with its role (scenario, extends,
 * taxonomy, data for CSV input), path, SHA-256 and absolute path. */
static void inputs_json(const ts_scenario *s, ts_buf *b) {
    ts_buf_puts(b, "[");
    for (int f = 0; f < s->n_files; f++) {
        if (f) ts_buf_puts(b, ",");
        input_file(b, f == 0 ? "scenario" : "extends", s->file_path[f], s->file_sha256[f]);
    }
    if (s->n_files) ts_buf_puts(b, ",");
    input_file(b, "taxonomy", s->taxonomy_path, s->taxonomy_sha256);
    if (!s->path) {
        ts_buf_puts(b, ",");
        input_file(b, "data", s->data_path, s->data_sha256);
    }
    ts_buf_puts(b, "]");
}

/* Feeds s with its terminating NUL (so fields cannot run together), or a
 * 0xff byte for NULL, to the run key's hash. */
static void hash_field(ts_sha256 *h, const char *s) {
    if (s) ts_sha256_update(h, s, strlen(s) + 1);
    else ts_sha256_update(h, "\xff", 1);
}

int ts_run_record_new(const ts_scenario *s, const ts_run_options *opt, ts_run_record **out, ts_error *err) {
    *out = NULL;
    ts_run_record *rec = calloc(1, sizeof *rec);
    if (!rec) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    ts_spec_json(s->spec, s->tax, s->data->unit_id, &rec->method);
    inputs_json(s, &rec->inputs);
    options_json(opt, s->spec->year, &rec->options);
    if (rec->method.oom || rec->inputs.oom || rec->options.oom || !rec->method.data) {
        ts_run_record_free(rec);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    ts_dataset_hash(s->data, rec->values_sha256);
    int *order = malloc(((size_t)s->tax->n_nodes + 1) * sizeof *order);
    if (!order) {
        ts_run_record_free(rec);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    ts_taxonomy_preorder(s->tax, order);
    ts_store_hash_nodes(s, order, rec->nodes_sha256);
    free(order);
    const char *file = s->path ? s->path : s->data_path;
    errno = 0;
    char *real = file ? realpath(file, NULL) : NULL;
    if (!real && file && errno == ENOMEM) {
        /* the key hashes the resolved path: the path as given is another key */
        ts_run_record_free(rec);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
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
    *out = rec;
    return TS_OK;
}

/* ---- saving ------------------------------------------------------------ */

sqlite3_stmt *ts_store_stmt(ts_store *st, int i, ts_error *err) {
    if (!st->q[i] && sqlite3_prepare_v3(st->db, STATEMENTS[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) != SQLITE_OK) {
        ts_store_fail(st, err, "cannot prepare statement");
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

static int insert_run(ts_store *st, const ts_scenario *s, const ts_run_record *rec, long long node_set,
                      long long *run_id, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    sqlite3_stmt *q = ts_store_stmt(st, TS_Q_RUN, err);
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
    if (s->spec->year > 0) sqlite3_bind_int(q, 17, s->spec->year);
    if (st->as_series && st->series) sqlite3_bind_int64(q, 18, st->series);
    sqlite3_bind_int64(q, 19, node_set);
    if (step_reset(q)) return ts_store_fail(st, err, "cannot insert run");
    *run_id = sqlite3_last_insert_rowid(st->db);
    /* the first run of a series names it */
    if (st->as_series && !st->series) {
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE runs SET series = id WHERE id = %lld", *run_id);
        if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot insert run");
        st->series = *run_id;
    }
    return TS_OK;
}

/* Inserts a row of unit_rows per unit: the documents rec rendered ahead,
 * or, when it did not, each unit's rendered here in turn (so that a large
 * run holds one unit's text at a time). */
static int insert_unit_rows(ts_store *st, const ts_scenario *s, const ts_result *r, const ts_run_record *rec,
                            const int *order, long long run_id, sqlite3_stmt *qr, ts_error *err) {
    const ts_dataset *d = s->data;
    int ahead = rec->row_at && rec->n_row_units == d->n_units;
    ts_buf scores = {0}, inputs = {0};
    ts_fmt_cache *fc = ahead ? NULL : calloc(1, sizeof *fc);
    if (!ahead && !fc) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int rc = TS_OK;
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        const char *sc, *in;
        size_t n_sc, n_in;
        if (ahead) {
            sc = rec->rows.data + rec->row_at[2 * u];
            n_sc = rec->row_at[2 * u + 1] - rec->row_at[2 * u];
            in = rec->rows.data + rec->row_at[2 * u + 1];
            n_in = rec->row_at[2 * u + 2] - rec->row_at[2 * u + 1];
        } else {
            scores.len = inputs.len = 0;
            ts_store_render_unit(s, r, order, u, fc, &scores, &inputs);
            if (scores.oom || inputs.oom) {
                rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
                break;
            }
            sc = scores.data, n_sc = scores.len;
            in = inputs.data, n_in = inputs.len;
        }
        sqlite3_bind_int64(qr, 1, run_id);
        bind_static(qr, 2, d->unit_id[u]);
        sqlite3_bind_text64(qr, 3, sc, n_sc, SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_text64(qr, 4, in, n_in, SQLITE_STATIC, SQLITE_UTF8);
        if (step_reset(qr)) rc = ts_store_fail(st, err, "cannot insert scores and inputs");
    }
    ts_buf_free(&scores);
    ts_buf_free(&inputs);
    free(fc);
    return rc;
}

static int insert_rows(ts_store *st, const ts_scenario *s, const ts_result *r, const ts_run_record *rec,
                       const int *order, long long run_id, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    sqlite3_stmt *qu = ts_store_stmt(st, TS_Q_UNIT, err), *qr = qu ? ts_store_stmt(st, TS_Q_ROWS, err) : NULL;
    sqlite3_stmt *qt = qr ? ts_store_stmt(st, TS_Q_TREAT, err) : NULL, *qw = qt ? ts_store_stmt(st, TS_Q_UWEIGHT, err) : NULL;
    sqlite3_stmt *qc = qw ? ts_store_stmt(st, TS_Q_CLASS, err) : NULL;
    if (!qc) return TS_ESYSTEM;
    int rc = TS_OK;
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        sqlite3_bind_int64(qu, 1, run_id);
        bind_static(qu, 2, d->unit_id[u]);
        bind_static(qu, 3, d->unit_name[u]);
        sqlite3_bind_int(qu, 4, u);
        sqlite3_bind_int(qu, 5, r->screened[u]);
        if (step_reset(qu)) rc = ts_store_fail(st, err, "cannot insert unit");
    }
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) {
        const ts_node *nd = &t->nodes[k];
        /* classes inherited unchanged from the parent are not repeated */
        int own = nd->parent < 0 || t->nodes[nd->parent].first_class != nd->first_class ||
                  t->nodes[nd->parent].n_classes != nd->n_classes;
        for (int c = 0; own && c < nd->n_classes && rc == TS_OK; c++) {
            const ts_class *cl = &t->classes[nd->first_class + c];
            sqlite3_bind_int64(qc, 1, run_id);
            bind_static(qc, 2, nd->id);
            sqlite3_bind_int(qc, 3, c);
            bind_static(qc, 4, cl->name);
            bind_double(qc, 5, isinf(cl->min) ? NAN : cl->min);
            if (step_reset(qc)) rc = ts_store_fail(st, err, "cannot insert class threshold");
        }
    }
    if (rc == TS_OK) rc = insert_unit_rows(st, s, r, rec, order, run_id, qr, err);
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        for (int k = 0; s->spec->unit_weight && k < t->n_nodes && rc == TS_OK; k++) {
            double w = s->spec->unit_weight[(size_t)u * (size_t)s->spec->n_nodes + (size_t)k];
            if (isnan(w)) continue;
            sqlite3_bind_int64(qw, 1, run_id);
            bind_static(qw, 2, d->unit_id[u]);
            bind_static(qw, 3, t->nodes[k].id);
            sqlite3_bind_double(qw, 4, w);
            if (step_reset(qw)) rc = ts_store_fail(st, err, "cannot insert unit weight");
        }
    }
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
        if (step_reset(qt)) rc = ts_store_fail(st, err, "cannot insert treatment");
    }
    return rc;
}

/* Inserts s and r as a new run (its node set, run row, rows and input
 * details) inside the caller's transaction; its id goes to *run_id.
 * Returns TS_OK or TS_ESYSTEM. */
static int insert_new_run(ts_store *st, const ts_scenario *s, const ts_result *r, const ts_run_record *rec,
                          long long *run_id, ts_error *err) {
    int *order = malloc(((size_t)s->tax->n_nodes + 1) * sizeof *order);
    if (!order) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    ts_taxonomy_preorder(s->tax, order);
    long long node_set = 0;
    int rc = ts_store_node_set(st, s, order, rec->nodes_sha256, &node_set, err);
    if (rc == TS_OK) rc = insert_run(st, s, rec, node_set, run_id, err);
    if (rc == TS_OK) rc = insert_rows(st, s, r, rec, order, *run_id, err);
    free(order);
    return rc == TS_OK ? ts_store_insert_details(st, s, *run_id, err) : rc;
}

/* Looks up a run with key; stores its id or 0 in *id. */
static int find_key(ts_store *st, const char *key, long long *id, ts_error *err) {
    sqlite3_stmt *q = ts_store_stmt(st, TS_Q_KEY, err);
    if (!q) return TS_ESYSTEM;
    *id = 0;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : ts_store_fail(st, err, "cannot look up run");
}

int ts_store_begin(ts_store *st, int as_series, ts_error *err) {
    if (st->read_only) return ts_fail(err, TS_ESYSTEM, st->path, 0, "cannot save runs: the store is open read-only");
    if (st->in_txn) return ts_fail(err, TS_ESYSTEM, st->path, 0, "a transaction is open already");
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot begin transaction");
    st->in_txn = 1;
    st->as_series = as_series;
    st->series = 0;
    return TS_OK;
}

/* Ends the state of a transaction of ts_store_begin. */
static void end_txn(ts_store *st) {
    st->in_txn = st->as_series = 0;
    st->series = 0;
}

int ts_store_commit(ts_store *st, ts_error *err) {
    if (!st->in_txn) return ts_fail(err, TS_ESYSTEM, st->path, 0, "no transaction to commit");
    int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? TS_OK : ts_store_fail(st, err, "cannot commit");
    if (rc != TS_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    end_txn(st);
    return rc;
}

int ts_store_foreign_keys(ts_store *st, int on, ts_error *err) {
    if (st->in_txn) return ts_fail(err, TS_ESYSTEM, st->path, 0, "a transaction is open");
    if (sqlite3_exec(st->db, on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF", NULL, NULL, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot set foreign keys");
    return TS_OK;
}

void ts_store_rollback(ts_store *st) {
    if (!st || !st->in_txn) return;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    end_txn(st);
}

int ts_store_save_record(ts_store *st, const ts_scenario *s, const ts_result *r, const ts_run_record *rec,
                         int reuse, long long *run_id, int *reused, ts_error *err) {
    if (reused) *reused = 0;
    if (st->read_only) return ts_fail(err, TS_ESYSTEM, st->path, 0, "cannot save a run: the store is open read-only");
    /* inside ts_store_begin's transaction a savepoint keeps a failed run
       out while the caller decides about the others */
    int own = !st->in_txn;
    if (sqlite3_exec(st->db, own ? "BEGIN IMMEDIATE" : "SAVEPOINT run", NULL, NULL, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot begin transaction");
    long long found = 0;
    *run_id = 0;
    int rc = reuse ? find_key(st, rec->key, &found, err) : TS_OK;
    if (rc == TS_OK && found) {
        *run_id = found;
        if (reused) *reused = 1;
        if (sqlite3_exec(st->db, own ? "COMMIT" : "RELEASE run", NULL, NULL, NULL) == SQLITE_OK) return TS_OK;
        rc = ts_store_fail(st, err, "cannot commit");
    }
    /* here rc is TS_OK only when no run is reused */
    if (rc == TS_OK) rc = insert_new_run(st, s, r, rec, run_id, err);
    if (rc == TS_OK && sqlite3_exec(st->db, own ? "COMMIT" : "RELEASE run", NULL, NULL, NULL) != SQLITE_OK)
        rc = ts_store_fail(st, err, "cannot commit");
    if (rc != TS_OK) {
        sqlite3_exec(st->db, own ? "ROLLBACK" : "ROLLBACK TO run; RELEASE run", NULL, NULL, NULL);
        if (!found && st->series == *run_id) st->series = 0; /* its first run was rolled back */
    }
    return rc;
}

int ts_store_save(ts_store *st, const ts_scenario *s, const ts_result *r, long long *run_id,
                  ts_error *err) {
    ts_run_record *rec = NULL;
    ts_run_record_new(s, NULL, &rec, err);
    if (!rec) return TS_ESYSTEM;
    int rc = ts_store_save_record(st, s, r, rec, 0, run_id, NULL, err);
    ts_run_record_free(rec);
    return rc;
}
