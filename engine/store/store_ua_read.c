/* store_ua_read.c -- reads uncertainty analyses back from ua_runs,
 * ua_results and ua_sobol (which engine/uncertainty.c writes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_ua_read.h"

static int oom(ts_error *err) { return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory"); }

/* Reads the first column of sql's rows (text, with ?1 bound to id and ?2
 * to text when not NULL) into an arena array *out. With of_json, sql reads
 * stored JSON through SQLite's JSON functions, and JSON that is malformed
 * gives no rows (ts_store_bad_json). Returns their count, or -1 with err
 * filled (what names the data in the message). */
static int read_strings(ts_store *st, const char *sql, long long id, const char *text, int of_json, ts_arena *a,
                        const char ***out, const char *what, ts_error *err) {
    sqlite3_stmt *q;
    *out = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, what), -1;
    sqlite3_bind_int64(q, 1, id);
    if (text) sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    int n = 0, cap = 0, bad = 0, rc;
    const char **v = NULL;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            int ncap = cap ? 2 * cap : 32;
            const char **nv = ts_arena_alloc(a, (size_t)ncap * sizeof *nv);
            if (!nv) {
                bad = 1;
                break;
            }
            if (cap) memcpy(nv, v, (size_t)cap * sizeof *nv);
            v = nv;
            cap = ncap;
        }
        const char *s = ts_store_col_dup(a, q, 0, &bad);
        if (s) v[n++] = s;
    }
    if (of_json && rc != SQLITE_ROW && rc != SQLITE_DONE && ts_store_bad_json(st, rc)) {
        /* json_each fails a malformed text before its first row */
        sqlite3_finalize(q);
        return 0;
    }
    sqlite3_finalize(q);
    if (bad) return oom(err), -1;
    if (rc != SQLITE_DONE) return ts_store_fail(st, err, what), -1;
    *out = v;
    return n;
}

int ts_store_load_ua(ts_store *st, long long id, ts_arena *a, ts_stored_ua *ua, ts_error *err) {
    memset(ua, 0, sizeof *ua);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT scenario, seed, n, sobol, bootstrap, rank_bin_width, taxonomy_path, taxonomy_sha256"
                           " FROM ua_runs WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read uncertainty run");
    sqlite3_bind_int64(q, 1, id);
    int bad = 0, rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        ua->id = id;
        ua->scenario = ts_store_col_dup(a, q, 0, &bad);
        ua->seed = ts_store_col_dup(a, q, 1, &bad);
        ua->n = (long)sqlite3_column_int64(q, 2);
        ua->sobol = sqlite3_column_int(q, 3);
        ua->bootstrap = sqlite3_column_int(q, 4);
        ua->rank_bin_width = sqlite3_column_int(q, 5);
        ua->taxonomy_path = ts_store_col_dup(a, q, 6, &bad);
        ua->taxonomy_sha256 = ts_store_col_dup(a, q, 7, &bad);
    }
    sqlite3_finalize(q);
    if (bad) return oom(err);
    if (rc == SQLITE_DONE) return ts_fail(err, TS_EINPUT, st->path, 0, "no uncertainty run %lld", id);
    if (rc != SQLITE_ROW) return ts_store_fail(st, err, "cannot read uncertainty run");
    if (!ua->scenario) ua->scenario = "";
    if (!ua->seed) ua->seed = "?";
    /* not json_valid() to guard json_each: it says 0 when out of memory */
    ua->n_nodes = read_strings(st,
                               "SELECT j.key FROM ua_runs r, json_each(r.method_json, '$.nodes') j WHERE r.id = ?"
                               " ORDER BY j.id",
                               id, NULL, 1, a, &ua->nodes, "cannot read nodes", err);
    if (ua->n_nodes < 0) return err->code;
    ua->n_reported = read_strings(st, "SELECT DISTINCT node FROM ua_results WHERE ua_id = ? ORDER BY node", id, NULL,
                                  0, a, &ua->reported, "cannot read nodes", err);
    if (ua->n_reported < 0) return err->code;
    if (sqlite3_prepare_v2(st->db, "SELECT max(id) FROM runs WHERE scenario = ?", -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read runs");
    sqlite3_bind_text(q, 1, ua->scenario, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) ua->names_run = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? TS_OK : ts_store_fail(st, err, "cannot read runs");
}

int ts_store_load_ua_results(ts_store *st, const ts_stored_ua *ua, const char *node, ts_arena *a,
                             ts_stored_ua_results *res, ts_error *err) {
    memset(res, 0, sizeof *res);
    sqlite3_stmt *q;
    long long count = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM ua_results WHERE ua_id = ? AND node = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return ts_store_fail(st, err, "cannot read uncertainty results");
    sqlite3_bind_int64(q, 1, ua->id);
    sqlite3_bind_text(q, 2, node, -1, SQLITE_STATIC);
    /* a failed step (out of memory, I/O) is an error, not "no results" */
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW) count = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (step != SQLITE_ROW) return ts_store_fail(st, err, "cannot read uncertainty results");
    size_t n = (size_t)count + 1;
    res->unit_id = ts_arena_alloc(a, n * sizeof *res->unit_id);
    res->unit_name = ts_arena_alloc(a, n * sizeof *res->unit_name);
    res->nominal_score = ts_arena_alloc(a, n * sizeof *res->nominal_score);
    res->median_score = ts_arena_alloc(a, n * sizeof *res->median_score);
    res->rank_p05 = ts_arena_alloc(a, n * sizeof *res->rank_p05);
    res->rank_p50 = ts_arena_alloc(a, n * sizeof *res->rank_p50);
    res->rank_p95 = ts_arena_alloc(a, n * sizeof *res->rank_p95);
    res->scored = ts_arena_alloc(a, n * sizeof *res->scored);
    res->nominal_rank = ts_arena_alloc(a, n * sizeof *res->nominal_rank);
    if (!res->unit_id || !res->unit_name || !res->nominal_score || !res->median_score || !res->rank_p05 ||
        !res->rank_p50 || !res->rank_p95 || !res->scored || !res->nominal_rank)
        return oom(err);
    /* unit names come from the latest run of the same scenario */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT r.unit, u.name, r.nominal_score, r.nominal_rank, r.median_score, r.rank_p05,"
                           " r.rank_p50, r.rank_p95, r.scored FROM ua_results r"
                           " LEFT JOIN units u ON u.run_id = ?3 AND u.unit = r.unit"
                           " WHERE r.ua_id = ?1 AND r.node = ?2 ORDER BY r.unit",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read uncertainty results");
    sqlite3_bind_int64(q, 1, ua->id);
    sqlite3_bind_text(q, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, ua->names_run);
    int bad = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && res->n_units < count) {
        int u = res->n_units;
        res->unit_id[u] = ts_store_col_dup(a, q, 0, &bad);
        if (!res->unit_id[u]) continue;
        res->unit_name[u] = ts_store_col_dup(a, q, 1, &bad);
        res->nominal_score[u] = ts_store_col_double(q, 2);
        res->nominal_rank[u] = sqlite3_column_int(q, 3);
        res->median_score[u] = ts_store_col_double(q, 4);
        res->rank_p05[u] = ts_store_col_double(q, 5);
        res->rank_p50[u] = ts_store_col_double(q, 6);
        res->rank_p95[u] = ts_store_col_double(q, 7);
        res->scored[u] = ts_store_col_double(q, 8);
        res->n_units++;
    }
    sqlite3_finalize(q);
    if (bad) return oom(err);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return ts_store_fail(st, err, "cannot read uncertainty results");
    return TS_OK;
}

/* The engine's factors, in its order; a factor not listed sorts after. */
static const char *const FACTORS[] = {"weights", "normalise", "aggregate", "treat", "impute", "exclude", "data"};
#define N_FACTORS ((int)(sizeof FACTORS / sizeof *FACTORS))

/* Returns f's position among the engine's factors, N_FACTORS for others. */
static int factor_order(const char *f) {
    for (int i = 0; i < N_FACTORS; i++)
        if (strcmp(FACTORS[i], f) == 0) return i;
    return N_FACTORS;
}

static int cmp_factor(const void *x, const void *y) {
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int oa = factor_order(a), ob = factor_order(b);
    return oa != ob ? (oa < ob ? -1 : 1) : strcmp(a, b);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ts_store_load_ua_sobol(ts_store *st, const ts_stored_ua *ua, const char *node, const ts_stored_ua_results *res,
                           ts_arena *a, ts_stored_sobol *out, ts_error *err) {
    memset(out, 0, sizeof *out);
    const char **names;
    int n_factors = read_strings(st,
                                 "SELECT DISTINCT factor FROM ua_sobol WHERE ua_id = ?1 AND node = ?2"
                                 " AND output = 'score'",
                                 ua->id, node, 0, a, &names, "cannot read Sobol' indices", err);
    if (n_factors < 0) return err->code;
    if (n_factors == 0) return TS_OK;
    qsort(names, (size_t)n_factors, sizeof *names, cmp_factor);
    out->factor = names;
    size_t n = (size_t)res->n_units * (size_t)n_factors + 1;
    double **cols[6] = {&out->s1, &out->s1_lo, &out->s1_hi, &out->st, &out->st_lo, &out->st_hi};
    for (int c = 0; c < 6; c++) {
        if (!(*cols[c] = ts_arena_alloc(a, n * sizeof **cols[c]))) return oom(err);
        for (size_t i = 0; i < n; i++) (*cols[c])[i] = NAN;
    }
    out->n_factors = n_factors;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT unit, factor, s1, s1_lo, s1_hi, st, st_lo, st_hi FROM ua_sobol"
                           " WHERE ua_id = ? AND node = ? AND output = 'score'",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read Sobol' indices");
    sqlite3_bind_int64(q, 1, ua->id);
    sqlite3_bind_text(q, 2, node, -1, SQLITE_STATIC);
    /* a failed step or column (NULL here) fails the statement: finish says so */
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text(q, 0), *f = (const char *)sqlite3_column_text(q, 1);
        if (!unit || !f) continue;
        /* res's units are in bytewise id order */
        const char **hit = bsearch(&unit, res->unit_id, (size_t)res->n_units, sizeof *res->unit_id, cmp_str);
        int j = 0;
        while (j < n_factors && strcmp(out->factor[j], f) != 0) j++;
        if (!hit || j == n_factors) continue;
        size_t at = (size_t)(hit - res->unit_id) * (size_t)n_factors + (size_t)j;
        for (int c = 0; c < 6; c++) (*cols[c])[at] = ts_store_col_double(q, 2 + c);
    }
    return ts_store_finish(st, q, "cannot read Sobol' indices", err);
}

int ts_store_ua_of_run(ts_store *st, const ts_stored_run *r, long long *id, ts_error *err) {
    *id = 0;
    int has = ts_store_has_table(st, "ua_runs", err);
    if (has > 0) has = ts_store_has_table(st, "ua_classes", err);
    if (has <= 0) return has < 0 ? TS_ESYSTEM : TS_OK;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id FROM ua_runs WHERE scenario = ?1 AND taxonomy_sha256 = ?2 AND values_sha256 = ?3"
                           " ORDER BY id DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot look up uncertainty runs");
    sqlite3_bind_text(q, 1, r->info.scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->info.taxonomy_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->values_sha256, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : ts_store_fail(st, err, "cannot look up uncertainty runs");
}

int ts_store_load_ua_classes(ts_store *st, long long id, ts_arena *a, ts_stored_ua_classes *out, ts_error *err) {
    memset(out, 0, sizeof *out);
    static const char count_sql[] =
        "SELECT count(*) FROM ua_results r LEFT JOIN ua_classes c"
        " ON c.ua_id = r.ua_id AND c.unit = r.unit AND c.node = r.node WHERE r.ua_id = ?";
    static const char sql[] =
        "SELECT r.unit, r.node, c.class, c.probability FROM ua_results r LEFT JOIN ua_classes c"
        " ON c.ua_id = r.ua_id AND c.unit = r.unit AND c.node = r.node WHERE r.ua_id = ?"
        " ORDER BY r.unit, r.node, c.class";
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, count_sql, -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read class probabilities");
    sqlite3_bind_int64(q, 1, id);
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    if (ts_store_finish(st, q, "cannot read class probabilities", err) != TS_OK) return TS_ESYSTEM;
    out->unit = ts_arena_alloc(a, ((size_t)n + 1) * sizeof *out->unit);
    out->node = ts_arena_alloc(a, ((size_t)n + 1) * sizeof *out->node);
    out->cls = ts_arena_alloc(a, ((size_t)n + 1) * sizeof *out->cls);
    out->p = ts_arena_alloc(a, ((size_t)n + 1) * sizeof *out->p);
    if (!out->unit || !out->node || !out->cls || !out->p) return oom(err);
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read class probabilities");
    sqlite3_bind_int64(q, 1, id);
    int bad = 0, rc = SQLITE_DONE;
    while (out->n < n && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int i = out->n++;
        out->unit[i] = ts_store_col_dup(a, q, 0, &bad);
        out->node[i] = ts_store_col_dup(a, q, 1, &bad);
        out->cls[i] = ts_store_col_dup(a, q, 2, &bad);
        out->p[i] = ts_store_col_double(q, 3);
        if (!out->unit[i] || !out->node[i]) out->n--; /* a row without ids is not one to look up */
    }
    sqlite3_finalize(q);
    if (bad) return oom(err);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : ts_store_fail(st, err, "cannot read class probabilities");
}

double ts_stored_ua_class_probability(const ts_stored_ua_classes *c, const char *unit, const char *node,
                                      const char *cls) {
    int reported = 0;
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->unit[i], unit) != 0 || strcmp(c->node[i], node) != 0) continue;
        reported = 1;
        if (cls && c->cls[i] && strcmp(c->cls[i], cls) == 0) return c->p[i];
    }
    return reported ? 0 : NAN;
}
