/* store_read.c -- reading runs back: the one resolver of run names (runs
 * and uncertainty analyses alike), listing, loading a run whole, its inputs. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store_internal.h"

/* Column i as text, "" for SQL NULL; valid until the next step. */
static const char *col_text(sqlite3_stmt *q, int i) {
    const unsigned char *s = sqlite3_column_text(q, i);
    return s ? (const char *)s : "";
}

/* Arena copy of column i, "" for SQL NULL; *oom is set when the copy
 * fails (ts_store_col_dup). */
static const char *col_dup_nn(ts_arena *a, sqlite3_stmt *q, int i, int *oom) {
    const char *s = ts_store_col_dup(a, q, i, oom);
    return s ? s : "";
}

/* Prepares sql with the integer id bound to ?1. Returns the statement, or
 * NULL with err filled. */
static sqlite3_stmt *run_query(ts_store *st, const char *sql, long long id, ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        ts_store_fail(st, err, "cannot read run");
        return NULL;
    }
    sqlite3_bind_int64(q, 1, id);
    return q;
}

int ts_store_list_runs(ts_store *st, int (*cb)(const ts_run_info *run, void *ctx), void *ctx,
                       ts_error *err) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id, scenario, created_at, taxonomy_id, engine_version,"
             " scenario_path, taxonomy_path, data_path, scenario_sha256,"
             " taxonomy_sha256, data_sha256, n_units, n_indicators, %s, %s FROM runs ORDER BY id",
             ts_store_year_sql(st), st->years == TS_YEARS_COLUMN ? "series" : "NULL");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot list runs");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        ts_run_info run = {
            sqlite3_column_int64(q, 0), col_text(q, 1), col_text(q, 2), col_text(q, 3),
            col_text(q, 4), col_text(q, 5), col_text(q, 6), col_text(q, 7), col_text(q, 8),
            col_text(q, 9), col_text(q, 10), sqlite3_column_int(q, 11), sqlite3_column_int(q, 12),
            sqlite3_column_int(q, 13), sqlite3_column_int64(q, 14)};
        if (ts_store_row_lost(st) || cb(&run, ctx)) break;
    }
    return ts_store_finish(st, q, "cannot list runs", err);
}

/* ---- the resolver: runs and uncertainty analyses by id or name --------- */

/* A table whose rows commands name by id or by scenario name. */
typedef struct named_table {
    const char *table;  /* runs or ua_runs: constants, safe to put in SQL */
    const char *noun;   /* for messages */
    int own_ids;        /* its ids are not run ids: say so, with the latest */
    const char *help;   /* how to find a name that exists */
} named_table;

static const named_table RUNS = {"runs", "run", 0,
                                 "give a run id or a scenario name (`threatscore runs --db` lists them)"};
static const named_table ANALYSES = {
    "ua_runs", "uncertainty run", 1,
    "give an uncertainty run id (`threatscore uncertainty --db` prints it) or a scenario name"};

/* Returns 1 when s is a run id as typed: digits, few enough for an int64. */
static int is_id(const char *s) {
    if (!*s || strlen(s) > 18) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Looks in t, among rows matching filter (SQL: "" or " AND ..."), for the
 * row spec names: the row with id spec when spec is an id and one has it,
 * else the latest row of scenario spec; spec NULL: the latest row. Returns
 * 1 with its id in *id, 0 when none matches, -1 with err filled. */
static int find_named(ts_store *st, const named_table *t, const char *filter, const char *spec, long long *id,
                      ts_error *err) {
    char sql[256];
    if (!spec)
        snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE 1%s ORDER BY id DESC LIMIT 1", t->table, filter);
    else if (is_id(spec))
        snprintf(sql, sizeof sql,
                 "SELECT id FROM %s WHERE (id = ?1 OR scenario = ?2)%s ORDER BY id = ?1 DESC, id DESC LIMIT 1",
                 t->table, filter);
    else
        snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE scenario = ?2%s ORDER BY id DESC LIMIT 1", t->table,
                 filter);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        ts_store_fail(st, err, "cannot look up run");
        return -1;
    }
    if (spec && is_id(spec)) sqlite3_bind_int64(q, 1, atoll(spec));
    if (spec) sqlite3_bind_text(q, 2, spec, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    ts_store_fail(st, err, "cannot look up run");
    return -1;
}

/* Fills err for a spec that names no row of t, with a suggestion among
 * its scenario names. Returns TS_EINPUT (TS_ESYSTEM when out of memory). */
static int unknown_named(ts_store *st, const named_table *t, const char *spec, ts_error *err) {
    if (is_id(spec)) {
        long long latest = 0;
        if (t->own_ids && find_named(st, t, "", NULL, &latest, err) < 0) return TS_ESYSTEM;
        if (t->own_ids)
            return ts_fail(err, TS_EINPUT, st->path, 0, "unknown %s id %s (%ss have their own ids; the latest is %lld)",
                           t->noun, spec, t->noun, latest);
        return ts_fail(err, TS_EINPUT, st->path, 0, "unknown %s id %s", t->noun, spec);
    }
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT DISTINCT scenario FROM %s ORDER BY scenario", t->table);
    sqlite3_stmt *q;
    const char **names = NULL;
    size_t n = 0, cap = 0;
    ts_arena *a = ts_arena_new();
    /* the names a hint is chosen from; a list cut short for lack of memory
       would give another message, so that is out of memory */
    int oom = !a;
    if (a && sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) == SQLITE_OK) {
        int src;
        while ((src = sqlite3_step(q)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                const char **m = realloc(names, cap * sizeof *m);
                if (!m) {
                    oom = 1;
                    break;
                }
                names = m;
            }
            names[n] = ts_store_col_dup(a, q, 0, &oom);
            if (names[n]) n++;
        }
        if (src != SQLITE_ROW && src != SQLITE_DONE && ts_store_nomem(src)) oom = 1;
        sqlite3_finalize(q);
    } else if (a && ts_store_nomem(sqlite3_errcode(st->db))) {
        oom = 1;
    }
    const char *hint = n ? ts_suggest(spec, names, n) : NULL;
    int rc = oom    ? ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory")
             : hint ? ts_fail(err, TS_EINPUT, st->path, 0, "unknown %s '%s' (did you mean '%s'?)", t->noun, spec, hint)
                    : ts_fail(err, TS_EINPUT, st->path, 0, "unknown %s '%s': %s", t->noun, spec, t->help);
    free(names);
    ts_arena_free(a);
    return rc;
}

/* Runs sql, binding text to ?1 (when not NULL) and num to ?2, and stores
 * the first column of its first row in *id. Returns 1 when there was a row,
 * 0 when none, -1 with err filled. */
static int lookup(ts_store *st, const char *sql, const char *text, long long num, long long *id, ts_error *err) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        ts_store_fail(st, err, "cannot look up run");
        return -1;
    }
    if (text) sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, num);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    ts_store_fail(st, err, "cannot look up run");
    return -1;
}

/* Splits spec at its last '@' into name (an arena-free copy in buf) and a
 * year. Returns 1 when spec is NAME@YEAR with a non-empty name and a year
 * of 1 to 4 digits, else 0. */
static int split_year(const char *spec, char *buf, size_t cap, long long *year) {
    const char *at = strrchr(spec, '@');
    if (!at || at == spec || (size_t)(at - spec) >= cap) return 0;
    size_t digits = strlen(at + 1);
    if (digits < 1 || digits > 4 || !is_id(at + 1)) return 0;
    memcpy(buf, spec, (size_t)(at - spec));
    buf[at - spec] = '\0';
    *year = atoll(at + 1);
    return 1;
}

/* Fills err for scenario name whose per-year runs do not include the one
 * asked for (year 0: a plain name, which stands for a run that is not
 * per-year), naming the years it has. Returns TS_EINPUT, or 0 when name has
 * no per-year runs at all (the caller then reports an unknown name), or
 * TS_ESYSTEM. */
static int years_only(ts_store *st, const char *name, long long year, ts_error *err) {
    char sql[256];
    const char *y = ts_store_year_sql(st);
    snprintf(sql, sizeof sql, "SELECT min(%s), max(%s), count(*) FROM runs WHERE scenario = ?1 AND %s IS NOT NULL", y,
             y, y);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot look up run");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int lo = sqlite3_column_int(q, 0), hi = sqlite3_column_int(q, 1), n = sqlite3_column_int(q, 2);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW) return ts_store_fail(st, err, "cannot look up run");
    if (n == 0) return 0;
    char years[32];
    if (lo == hi) snprintf(years, sizeof years, "year %d", lo);
    else snprintf(years, sizeof years, "years %d to %d", lo, hi);
    if (year)
        return ts_fail(err, TS_EINPUT, st->path, 0, "scenario '%s' has no per-year run for %lld (it has %s)", name, year,
                       years);
    return ts_fail(err, TS_EINPUT, st->path, 0,
                   "scenario '%s' has only per-year runs (%s, from `trend --db` or --set year): name one as"
                   " '%s@%d', or by its id",
                   name, years, name, hi);
}

int ts_store_resolve_run(ts_store *st, const char *spec, long long *id, ts_error *err) {
    *id = 0;
    char sql[256];
    const char *y = ts_store_year_sql(st);
    if (!spec) {
        /* the latest run a scenario name would stand for; in a store of
           per-year runs only, the latest of those */
        snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE %s IS NULL ORDER BY id DESC LIMIT 1", y);
        int found = lookup(st, sql, NULL, 0, id, err);
        if (found == 0) found = find_named(st, &RUNS, "", NULL, id, err);
        return found < 0 ? TS_ESYSTEM : TS_OK;
    }
    int found = 0;
    if (is_id(spec)) found = lookup(st, "SELECT id FROM runs WHERE id = ?2", NULL, atoll(spec), id, err);
    if (!found) {
        snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE scenario = ?1 AND %s IS NULL ORDER BY id DESC LIMIT 1", y);
        found = lookup(st, sql, spec, 0, id, err);
    }
    char name[512];
    long long year = 0;
    if (!found && split_year(spec, name, sizeof name, &year)) {
        snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE scenario = ?1 AND %s = ?2 ORDER BY id DESC LIMIT 1", y);
        found = lookup(st, sql, name, year, id, err);
    } else {
        snprintf(name, sizeof name, "%s", spec);
        year = 0;
    }
    if (found) return found < 0 ? TS_ESYSTEM : TS_OK;
    int rc = years_only(st, name, year, err);
    return rc ? rc : unknown_named(st, &RUNS, name, err);
}

int ts_store_resolve_ua(ts_store *st, const char *spec, int prefer_sobol, long long *id, ts_error *err) {
    *id = 0;
    int has = ts_store_has_table(st, "ua_runs", err);
    if (has <= 0) return has < 0 ? TS_ESYSTEM : TS_OK;
    /* every part of the layout this threatscore draws from */
    has = ts_store_has_table(st, "ua_results", err);
    if (has > 0) has = ts_store_has_table(st, "ua_sobol", err);
    if (has > 0) has = ts_store_has_column(st, "ua_runs", "sobol", err);
    if (has > 0) has = ts_store_has_column(st, "ua_results", "rank_p95", err);
    if (has < 0) return TS_ESYSTEM;
    if (!has)
        return ts_fail(err, TS_EINPUT, st->path, 0,
                       "the %s results in this database have a layout this threatscore cannot draw",
                       prefer_sobol ? "sensitivity" : "uncertainty");
    long long latest = 0;
    int found = find_named(st, &ANALYSES, "", NULL, &latest, err);
    if (found <= 0) return found < 0 ? TS_ESYSTEM : TS_OK; /* no analysis stored */
    found = find_named(st, &ANALYSES, "", spec, id, err);
    if (found < 0) return TS_ESYSTEM;
    if (!found) return unknown_named(st, &ANALYSES, spec, err);
    /* an id names one analysis; a name or the default may prefer --sobol */
    if (prefer_sobol && !(spec && is_id(spec) && *id == atoll(spec))) {
        long long with_sobol;
        found = find_named(st, &ANALYSES, " AND sobol", spec, &with_sobol, err);
        if (found < 0) return TS_ESYSTEM;
        if (found) *id = with_sobol;
    }
    return TS_OK;
}

/* Stores the first column of sql's rows (at most cap) in ids. */
static int query_ids(ts_store *st, const char *sql, long long *ids, int cap, int *n, ts_error *err) {
    sqlite3_stmt *q;
    *n = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot list runs");
    int rc;
    while (*n < cap && (rc = sqlite3_step(q)) == SQLITE_ROW) ids[(*n)++] = sqlite3_column_int64(q, 0);
    if (*n == cap) rc = SQLITE_DONE;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : ts_store_fail(st, err, "cannot list runs");
}

int ts_store_count_runs(ts_store *st, int *n, ts_error *err) {
    sqlite3_stmt *q;
    *n = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM runs", -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot count runs");
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? TS_OK : ts_store_fail(st, err, "cannot count runs");
}

int ts_store_latest_runs(ts_store *st, long long *ids, int cap, int *n, ts_error *err) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT max(id) FROM runs WHERE %s IS NULL GROUP BY scenario ORDER BY max(id)",
             ts_store_year_sql(st));
    return query_ids(st, sql, ids, cap, n, err);
}

int ts_store_holds_years(const ts_store *st) { return st->years != TS_YEARS_NONE; }

int ts_store_trend_runs(ts_store *st, const char *scenario, long long *ids, int cap, int *n, ts_error *err) {
    *n = 0;
    if (st->years == TS_YEARS_NONE) return TS_OK;
    const char *y = ts_store_year_sql(st);
    long long last = 0;
    char sql[512];
    /* the latest per-year run (of the scenario) tells which trend is the latest */
    snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE %s IS NOT NULL%s ORDER BY id DESC LIMIT 1", y,
             scenario ? " AND scenario = ?1" : "");
    int found = lookup(st, sql, scenario, 0, &last, err);
    if (found <= 0) return found < 0 ? TS_ESYSTEM : TS_OK;
    if (st->years == TS_YEARS_COLUMN)
        snprintf(sql, sizeof sql,
                 "SELECT r.id FROM runs r, runs l WHERE l.id = ?2 AND l.series IS NOT NULL AND r.series = l.series"
                 " AND r.year IS NOT NULL ORDER BY r.year, r.id");
    int rc = TS_OK;
    sqlite3_stmt *q = NULL;
    if (st->years == TS_YEARS_COLUMN) {
        if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot list runs");
        sqlite3_bind_int64(q, 2, last);
        int src = SQLITE_DONE;
        while (*n < cap && (src = sqlite3_step(q)) == SQLITE_ROW) ids[(*n)++] = sqlite3_column_int64(q, 0);
        if (*n < cap && src != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot list runs");
        sqlite3_finalize(q);
        if (rc != TS_OK || *n > 0) return rc;
    }
    /* runs stored without a series: the latest run of each year */
    snprintf(sql, sizeof sql,
             "SELECT max(id) FROM runs WHERE %s IS NOT NULL AND scenario = (SELECT scenario FROM runs WHERE id = ?2)"
             " GROUP BY %s ORDER BY %s",
             y, y, y);
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot list runs");
    sqlite3_bind_int64(q, 2, last);
    int src = SQLITE_DONE;
    while (*n < cap && (src = sqlite3_step(q)) == SQLITE_ROW) ids[(*n)++] = sqlite3_column_int64(q, 0);
    if (*n < cap && src != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot list runs");
    sqlite3_finalize(q);
    return rc;
}

int ts_store_unit_ids(ts_store *st, ts_arena *a, const char ***ids, int *n, ts_error *err) {
    *ids = NULL;
    *n = 0;
    /* units of scored runs and of uncertainty analyses share one palette */
    int has_ua = ts_store_has_table(st, "ua_results", err);
    if (has_ua < 0) return TS_ESYSTEM;
    const char *all = has_ua ? "SELECT unit FROM units UNION SELECT unit FROM ua_results"
                             : "SELECT DISTINCT unit FROM units";
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", all);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot read units");
    int count = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    if (ts_store_finish(st, q, "cannot read units", err) != TS_OK) return TS_ESYSTEM;
    const char **v = ts_arena_alloc(a, ((size_t)count + 1) * sizeof *v);
    if (!v) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (sqlite3_prepare_v2(st->db, all, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot read units");
    int oom = 0;
    while (*n < count && sqlite3_step(q) == SQLITE_ROW) {
        const char *id = ts_store_col_dup(a, q, 0, &oom);
        if (id) v[(*n)++] = id;
    }
    if (ts_store_finish(st, q, "cannot read units", err) != TS_OK) return TS_ESYSTEM;
    if (oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    *ids = v;
    return TS_OK;
}

int ts_store_node_name(ts_store *st, const char *taxonomy_sha256, const char *node, long long prefer, ts_arena *a,
                       const char **name, ts_error *err) {
    *name = NULL;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT n.name FROM nodes n JOIN runs r ON r.id = n.run_id"
                           " WHERE r.taxonomy_sha256 = ?1 AND n.node = ?2 AND n.name IS NOT NULL AND n.name <> ''"
                           " ORDER BY r.id = ?3 DESC, r.id DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read nodes");
    sqlite3_bind_text(q, 1, taxonomy_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, prefer);
    int oom = 0, rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *name = ts_store_col_dup(a, q, 0, &oom);
    sqlite3_finalize(q);
    if (oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : ts_store_fail(st, err, "cannot read nodes");
}

/* ---- loading a run -------------------------------------------------------- */

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
    free(r->reliability);
    free(r->unit_weight);
    free(r->unit_by_id);
    free(r->node_by_id);
    ts_arena_free(r->arena);
    free(r);
}

int ts_stored_run_node(const ts_stored_run *r, const char *id) {
    if (r->node_by_id) return ts_id_index_find(r->node_by_id, r->n_nodes, id);
    for (int k = 0; k < r->n_nodes; k++)
        if (strcmp(r->nodes[k].id, id) == 0) return k;
    return -1;
}

int ts_stored_run_unit(const ts_stored_run *r, const char *id) {
    if (r->unit_by_id) return ts_id_index_find(r->unit_by_id, r->n_units, id);
    for (int u = 0; u < r->n_units; u++)
        if (strcmp(r->unit_id[u], id) == 0) return u;
    return -1;
}

double ts_stored_run_weight(const ts_stored_run *r, int u, int k) {
    if (r->unit_weight) {
        double w = r->unit_weight[(size_t)u * (size_t)r->n_nodes + (size_t)k];
        if (!isnan(w)) return w;
    }
    return r->nodes[k].weight;
}

/* Reads the scale and alert thresholds in run id's method_json into r,
 * NaN where absent. A method_json that is not JSON (a store written
 * elsewhere) holds none of them; that is told by the error of SQLite's
 * JSON functions, as json_valid() does not tell malformed text from an
 * allocation failure (ts_store_bad_json). Returns TS_OK or TS_ESYSTEM. */
static int load_method_values(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    double *to[] = {&r->scale_min, &r->scale_max, &r->alert_near_class, &r->alert_jump_sd, &r->alert_jump_share,
                    &r->alert_min_reliability};
    for (size_t i = 0; i < sizeof to / sizeof *to; i++) *to[i] = NAN;
    sqlite3_stmt *q = run_query(st,
                                "SELECT json_extract(method_json, '$.scale[0]'), json_extract(method_json, '$.scale[1]'),"
                                " json_extract(method_json, '$.alerts.near_class'),"
                                " json_extract(method_json, '$.alerts.jump_sd'),"
                                " json_extract(method_json, '$.alerts.jump_share'),"
                                " json_extract(method_json, '$.alerts.min_reliability') FROM runs WHERE id = ?",
                                id, err);
    if (!q) return TS_ESYSTEM;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        for (size_t i = 0; i < sizeof to / sizeof *to; i++) *to[i] = ts_store_col_double(q, (int)i);
    if (rc != SQLITE_ROW && ts_store_bad_json(st, rc)) {
        sqlite3_finalize(q);
        return TS_OK;
    }
    return ts_store_finish(st, q, "cannot read run", err);
}

/* Reads run id's row of runs (and its year) into r. Columns a file of an
 * older schema lacks (read-only stores are not upgraded) read as NULL.
 * Returns TS_OK, TS_EINPUT when there is no such run, or TS_ESYSTEM. */
static int load_header(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT id, scenario, created_at, taxonomy_id, engine_version, scenario_path,"
             " taxonomy_path, data_path, scenario_sha256, taxonomy_sha256, data_sha256,"
             " n_units, n_indicators, values_sha256, method_json, inputs_json, %s, %s, %s, %s"
             " FROM runs WHERE id = ?",
             st->version >= 2 ? "options_json" : "NULL", st->version >= 2 ? "run_key" : "NULL",
             ts_store_year_sql(st), st->years == TS_YEARS_COLUMN ? "series" : "NULL");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return ts_store_fail(st, err, "cannot read run");
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q), oom = 0;
    if (rc == SQLITE_ROW) {
        ts_arena *a = r->arena;
        ts_run_info *in = &r->info;
        in->id = sqlite3_column_int64(q, 0);
        in->scenario = col_dup_nn(a, q, 1, &oom);
        in->created_at = col_dup_nn(a, q, 2, &oom);
        in->taxonomy_id = col_dup_nn(a, q, 3, &oom);
        in->engine_version = col_dup_nn(a, q, 4, &oom);
        in->scenario_path = ts_store_col_dup(a, q, 5, &oom);
        in->taxonomy_path = col_dup_nn(a, q, 6, &oom);
        in->data_path = col_dup_nn(a, q, 7, &oom);
        in->scenario_sha256 = ts_store_col_dup(a, q, 8, &oom);
        in->taxonomy_sha256 = col_dup_nn(a, q, 9, &oom);
        in->data_sha256 = col_dup_nn(a, q, 10, &oom);
        in->n_units = sqlite3_column_int(q, 11);
        in->n_indicators = sqlite3_column_int(q, 12);
        r->values_sha256 = col_dup_nn(a, q, 13, &oom);
        r->method_json = col_dup_nn(a, q, 14, &oom);
        r->inputs_json = col_dup_nn(a, q, 15, &oom);
        r->options_json = ts_store_col_dup(a, q, 16, &oom);
        r->run_key = ts_store_col_dup(a, q, 17, &oom);
        r->year = in->year = sqlite3_column_type(q, 18) == SQLITE_NULL ? 0 : sqlite3_column_int(q, 18);
        in->series = sqlite3_column_int64(q, 19);
    }
    if (ts_store_finish(st, q, "cannot read run", err) != TS_OK) return TS_ESYSTEM;
    if (oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (rc == SQLITE_DONE) return ts_fail(err, TS_EINPUT, st->path, 0, "no run %lld", id);
    return load_method_values(st, r, id, err);
}

/* Stores the count sql gives for run id in *n. Returns TS_OK or TS_ESYSTEM. */
static int count_rows(ts_store *st, const char *sql, long long id, int *n, ts_error *err) {
    sqlite3_stmt *q = run_query(st, sql, id, err);
    if (!q) return TS_ESYSTEM;
    int rc = sqlite3_step(q);
    *n = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? TS_OK : ts_store_fail(st, err, "cannot read run");
}

/* Fills err for run id whose stored rows of what (scores or inputs) are
 * not JSON, or not of the shape threatscore writes (schema 8 keeps them as
 * JSON text in unit_rows): the file is bad input, like a malformed CSV.
 * Returns TS_EINPUT. */
static int malformed_rows(ts_store *st, long long id, const char *what, ts_error *err) {
    return ts_fail(err, TS_EINPUT, st->path, 0, "run %lld: its stored %s (unit_rows.%s) are not the JSON threatscore writes",
                   id, what, what);
}

/* Reads run id's units (stored order) and nodes (pre-order, with parent
 * indices) into r, whose arrays are sized. Returns TS_OK or TS_ESYSTEM. */
static int load_units_nodes(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    ts_arena *a = r->arena;
    sqlite3_stmt *q = run_query(st, "SELECT unit, name, screened FROM units WHERE run_id = ? ORDER BY position", id, err);
    if (!q) return TS_ESYSTEM;
    int u = 0, oom = 0;
    while (sqlite3_step(q) == SQLITE_ROW && u < r->n_units) {
        r->unit_id[u] = col_dup_nn(a, q, 0, &oom);
        r->unit_name[u] = col_dup_nn(a, q, 1, &oom);
        r->screened[u] = (unsigned char)sqlite3_column_int(q, 2);
        u++;
    }
    if (ts_store_finish(st, q, "cannot read units", err) != TS_OK) return TS_ESYSTEM;
    q = run_query(st,
                  "SELECT node, name, parent, depth, is_indicator, weight, aggregate, normalise, direction,"
                  " unit_of_measure, source FROM nodes WHERE run_id = ? ORDER BY position",
                  id, err);
    if (!q) return TS_ESYSTEM;
    int k = 0;
    while (sqlite3_step(q) == SQLITE_ROW && k < r->n_nodes) {
        ts_stored_node *nd = &r->nodes[k++];
        nd->id = col_dup_nn(a, q, 0, &oom);
        nd->name = col_dup_nn(a, q, 1, &oom);
        nd->parent_id = ts_store_col_dup(a, q, 2, &oom);
        nd->depth = sqlite3_column_int(q, 3);
        nd->is_indicator = sqlite3_column_int(q, 4);
        nd->weight = sqlite3_column_double(q, 5);
        nd->aggregate = ts_store_col_dup(a, q, 6, &oom);
        nd->normalise = ts_store_col_dup(a, q, 7, &oom);
        nd->direction = ts_store_col_dup(a, q, 8, &oom);
        nd->unit_of_measure = ts_store_col_dup(a, q, 9, &oom);
        nd->source = ts_store_col_dup(a, q, 10, &oom);
    }
    if (ts_store_finish(st, q, "cannot read nodes", err) != TS_OK) return TS_ESYSTEM;
    if (oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
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

/* Reads run id's class thresholds (schema 6) into its nodes: a node
 * without rows of its own inherits its parent's (parents come first in
 * pre-order). Runs stored earlier keep n_classes 0. Returns TS_OK or
 * TS_ESYSTEM. */
static int load_classes(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    int has = ts_store_has_table(st, "class_thresholds", err);
    if (has <= 0) return has < 0 ? TS_ESYSTEM : TS_OK;
    sqlite3_stmt *q = run_query(st,
                                "SELECT c.node, c.class, c.min, (SELECT count(*) FROM class_thresholds d"
                                " WHERE d.run_id = c.run_id AND d.node = c.node) FROM class_thresholds c"
                                " WHERE c.run_id = ? ORDER BY c.node, c.position",
                                id, err);
    if (!q) return TS_ESYSTEM;
    int rc = TS_OK, src, oom = 0;
    while (rc == TS_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        const char *node = (const char *)sqlite3_column_text(q, 0);
        int k = node ? ts_stored_run_node(r, node) : -1; /* NULL: out of memory, which the next step reports */
        if (k < 0) continue;
        ts_stored_node *nd = &r->nodes[k];
        if (!nd->class_name) {
            int n = sqlite3_column_int(q, 3);
            nd->class_name = ts_arena_alloc(r->arena, ((size_t)n + 1) * sizeof *nd->class_name);
            nd->class_min = ts_arena_alloc(r->arena, ((size_t)n + 1) * sizeof *nd->class_min);
            if (!nd->class_name || !nd->class_min) {
                rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
                break;
            }
        }
        nd->class_name[nd->n_classes] = ts_store_col_dup(r->arena, q, 1, &oom);
        double min = ts_store_col_double(q, 2);
        nd->class_min[nd->n_classes++] = isnan(min) ? -INFINITY : min;
    }
    if (rc == TS_OK && oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (rc == TS_OK && src != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot read class thresholds");
    sqlite3_finalize(q);
    for (int k = 0; rc == TS_OK && k < r->n_nodes; k++) {
        ts_stored_node *nd = &r->nodes[k];
        if (nd->class_name || nd->parent < 0) continue;
        const ts_stored_node *up = &r->nodes[nd->parent];
        nd->n_classes = up->n_classes;
        nd->class_name = up->class_name;
        nd->class_min = up->class_min;
    }
    return rc;
}

/* Per-unit weight overrides, in the unit_weights table; runs stored before
 * schema 2 (no run key) kept them only in method_json. */
static const char UNIT_WEIGHTS[] = "SELECT unit, node, weight FROM unit_weights WHERE run_id = ?";
static const char UNIT_WEIGHTS_V1[] =
    "SELECT w.key, n.key, w.value FROM runs r, json_each(r.method_json, '$.nodes') n,"
    " json_each(CASE WHEN n.type = 'object' THEN n.value ELSE '{}' END, '$.unit_weights') w WHERE r.id = ?";

/* Reads run id's per-unit weights into r->unit_weight (left NULL when it
 * has none, as for a schema 1 run whose method_json is not JSON: see
 * ts_store_bad_json); us and ns index its units and nodes. Returns TS_OK
 * or TS_ESYSTEM. */
static int load_unit_weights(ts_store *st, ts_stored_run *r, long long id, const ts_id_index *us, const ts_id_index *ns,
                             ts_error *err) {
    size_t cells = (size_t)r->n_units * (size_t)r->n_nodes;
    sqlite3_stmt *q = run_query(st, r->run_key ? UNIT_WEIGHTS : UNIT_WEIGHTS_V1, id, err);
    if (!q) return TS_ESYSTEM;
    int rc = TS_OK, src;
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        int u = ts_id_index_find(us, r->n_units, (const char *)sqlite3_column_text(q, 0));
        int k = ts_id_index_find(ns, r->n_nodes, (const char *)sqlite3_column_text(q, 1));
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
    /* json_each fails a malformed text before its first row */
    if (rc == TS_OK && !r->run_key && src != SQLITE_DONE && ts_store_bad_json(st, src)) {
        sqlite3_finalize(q);
        return TS_OK;
    }
    if (rc == TS_OK && src != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot read unit weights");
    sqlite3_finalize(q);
    return rc;
}

/* The fields after the first of a document row (store_rows.c): each eats
 * its comma and reads its value; a missing comma sets j->bad. */
static double next_number(ts_json *j) {
    if (ts_json_eat(j, ',')) return ts_json_number(j);
    j->bad = 1;
    return NAN;
}

static const char *next_string(ts_json *j) {
    if (ts_json_eat(j, ',')) return ts_json_string(j);
    j->bad = 1;
    return NULL;
}

/* An integer field: null reads 0, as SQL NULL does. */
static int next_int(ts_json *j) {
    double x = next_number(j);
    return isnan(x) || x < INT_MIN || x > INT_MAX ? 0 : (int)x;
}

/* Reads the document of one unit's score rows that j stands at (schema 8:
 * [node, score, rank, class, coverage, imputed, reliability] each,
 * store_rows.c) into row u of r's cells; rows of nodes not in ns are left
 * out. Node ids go to scratch (j's arena), classes to r's arena. Sets j->bad (and j->oom when out of memory) when
 * the text is not as threatscore writes it. */
static void parse_unit_scores(ts_stored_run *r, int u, const ts_id_index *ns, ts_arena *scratch, ts_json *j) {
    if (!ts_json_eat(j, '[')) j->bad = 1;
    if (j->bad || ts_json_eat(j, ']')) return;
    do {
        if (!ts_json_eat(j, '[')) {
            j->bad = 1;
            break;
        }
        const char *node = ts_json_string(j);
        double score = next_number(j);
        int rank = next_int(j);
        j->arena = r->arena; /* the class is kept */
        const char *cls = next_string(j);
        j->arena = scratch;
        double coverage = next_number(j), imputed = next_number(j), reliability = next_number(j);
        if (j->bad || !ts_json_eat(j, ']')) {
            j->bad = 1;
            break;
        }
        int k = ts_id_index_find(ns, r->n_nodes, node);
        if (k < 0) continue;
        size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
        r->score[c] = score;
        r->rank[c] = rank > 0 ? rank : 0;
        r->cls[c] = cls;
        r->coverage[c] = coverage;
        r->imputed[c] = imputed;
        r->reliability[c] = reliability;
        r->n_scores++;
    } while (ts_json_eat(j, ','));
    if (!j->bad && (!ts_json_eat(j, ']') || !ts_json_end(j))) j->bad = 1;
}

/* Reads run id's score rows from unit_rows (schema 8) into r's cells,
 * parsing each unit's document once. Returns TS_OK, TS_EINPUT when a
 * document is not as threatscore writes it, or TS_ESYSTEM. */
static int load_unit_rows(ts_store *st, ts_stored_run *r, long long id, const ts_id_index *us, const ts_id_index *ns,
                          ts_error *err) {
    sqlite3_stmt *q = run_query(st, "SELECT unit, scores FROM unit_rows WHERE run_id = ?", id, err);
    if (!q) return TS_ESYSTEM;
    int rc = TS_OK, src;
    while (rc == TS_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        int u = ts_id_index_find(us, r->n_units, (const char *)sqlite3_column_text(q, 0));
        const char *doc = (const char *)sqlite3_column_text(q, 1);
        if (ts_store_row_lost(st)) break; /* ts_store_finish reports it */
        if (u < 0 || !doc) continue;
        ts_arena *scratch = ts_arena_new();
        ts_json j;
        ts_json_init(&j, doc, scratch);
        if (scratch) parse_unit_scores(r, u, ns, scratch, &j);
        if (!scratch || j.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        else if (j.bad) rc = malformed_rows(st, id, "scores", err);
        ts_arena_free(scratch);
    }
    if (rc != TS_OK) {
        sqlite3_finalize(q);
        return rc;
    }
    return ts_store_finish(st, q, "cannot read scores", err);
}

/* Reads run id's scores, ranks, classes and unit weights into r's cells
 * (NaN, 0 and NULL where no row is stored). Returns TS_OK or TS_ESYSTEM. */
static int load_scores(ts_store *st, ts_stored_run *r, long long id, ts_error *err) {
    size_t cells = (size_t)r->n_units * (size_t)r->n_nodes;
    const ts_id_index *us = r->unit_by_id, *ns = r->node_by_id;
    for (size_t c = 0; c < cells; c++) r->score[c] = r->coverage[c] = r->imputed[c] = r->reliability[c] = NAN;
    if (st->version >= 8) {
        /* the documents themselves: the view would call json_extract
           eight times a row */
        int rc = load_unit_rows(st, r, id, us, ns, err);
        return rc == TS_OK ? load_unit_weights(st, r, id, us, ns, err) : rc;
    }
    int rc = TS_OK, src, oom = 0;
    /* files of schema 4 and older, read as they are, have no reliability */
    int has = ts_store_has_column(st, "scores", "reliability", err);
    sqlite3_stmt *q = has < 0 ? NULL
                      : run_query(st,
                                  has ? "SELECT unit, node, score, rank, class, coverage, imputed, reliability"
                                        " FROM scores WHERE run_id = ?"
                                      : "SELECT unit, node, score, rank, class, coverage, imputed, NULL"
                                        " FROM scores WHERE run_id = ?",
                                  id, err);
    if (!q) rc = TS_ESYSTEM;
    while (rc == TS_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        int u = ts_id_index_find(us, r->n_units, (const char *)sqlite3_column_text(q, 0));
        int k = ts_id_index_find(ns, r->n_nodes, (const char *)sqlite3_column_text(q, 1));
        if (u < 0 || k < 0) continue;
        size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
        r->score[c] = ts_store_col_double(q, 2);
        r->rank[c] = sqlite3_column_int(q, 3);
        r->cls[c] = ts_store_col_dup(r->arena, q, 4, &oom);
        r->coverage[c] = ts_store_col_double(q, 5);
        r->imputed[c] = ts_store_col_double(q, 6);
        r->reliability[c] = ts_store_col_double(q, 7);
        r->n_scores++;
    }
    if (rc == TS_OK && src != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot read scores");
    if (rc == TS_OK && oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    sqlite3_finalize(q);
    if (rc == TS_OK) rc = load_unit_weights(st, r, id, us, ns, err);
    return rc;
}

static int read_json_columns(ts_stored_run *r, ts_error *err);

/* Sorts r's unit and node ids into r->unit_by_id and r->node_by_id.
 * Returns TS_OK, or TS_ESYSTEM when out of memory. */
static int index_ids(ts_stored_run *r, ts_error *err) {
    r->unit_by_id = malloc(((size_t)r->n_units + 1) * sizeof *r->unit_by_id);
    r->node_by_id = malloc(((size_t)r->n_nodes + 1) * sizeof *r->node_by_id);
    const char **node_ids = malloc(((size_t)r->n_nodes + 1) * sizeof *node_ids);
    int ok = r->unit_by_id && r->node_by_id && node_ids;
    if (ok) {
        for (int k = 0; k < r->n_nodes; k++) node_ids[k] = r->nodes[k].id;
        ts_id_index_sort(r->unit_id, r->n_units, r->unit_by_id);
        ts_id_index_sort(node_ids, r->n_nodes, r->node_by_id);
    }
    free(node_ids);
    return ok ? TS_OK : ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
}

int ts_store_load_run(ts_store *st, long long id, ts_stored_run **out, ts_error *err) {
    *out = NULL;
    ts_stored_run *r = calloc(1, sizeof *r);
    if (!r || !(r->arena = ts_arena_new())) {
        free(r);
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    int rc = load_header(st, r, id, err);
    if (rc == TS_OK) rc = read_json_columns(r, err);
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
        r->reliability = malloc(cells * sizeof *r->reliability);
        if (!r->unit_id || !r->unit_name || !r->screened || !r->nodes || !r->score || !r->rank || !r->cls ||
            !r->coverage || !r->imputed || !r->reliability)
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    if (rc == TS_OK) rc = load_units_nodes(st, r, id, err);
    if (rc == TS_OK) rc = index_ids(r, err);
    if (rc == TS_OK) rc = load_scores(st, r, id, err);
    if (rc == TS_OK) rc = load_classes(st, r, id, err);
    if (rc != TS_OK) {
        ts_stored_run_free(r);
        return ts_status(err);
    }
    *out = r;
    return TS_OK;
}

/* An input row read from a unit's document, with its node's position. */
typedef struct parsed_input {
    ts_stored_input in;
    int position, order;
} parsed_input;

static int cmp_parsed_input(const void *a, const void *b) {
    const parsed_input *x = a, *y = b;
    if (x->position != y->position) return x->position < y->position ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Reads one unit's document of input rows ([indicator, raw, transformed,
 * normalised, imputed, source, year, estimate, note, shock, file, line]
 * each) into rows (grown as needed, *n of *cap), strings in j's arena;
 * rows of indicators not in nodes (positions pos) are left out. Sets
 * j->bad when the text is not as threatscore writes it, and j->oom too
 * when out of memory. */
static void parse_unit_inputs(ts_json *j, const char *unit, const ts_id_index *nodes, const int *pos, int n_nodes,
                              parsed_input **rows, int *n, int *cap) {
    if (!ts_json_eat(j, '[')) j->bad = 1;
    if (j->bad || ts_json_eat(j, ']')) return;
    do {
        parsed_input p = {{0}, 0, *n};
        ts_stored_input *in = &p.in;
        if (!ts_json_eat(j, '[')) {
            j->bad = 1;
            break;
        }
        in->unit = unit;
        in->indicator = ts_json_string(j);
        in->raw = next_number(j);
        in->transformed = next_number(j);
        in->normalised = next_number(j);
        in->imputed = next_int(j);
        in->source = next_string(j);
        in->year = next_int(j);
        in->estimate = next_int(j);
        in->note = next_string(j);
        in->shock = next_string(j);
        in->file = next_string(j);
        in->line = next_int(j);
        if (j->bad || !ts_json_eat(j, ']')) {
            j->bad = 1;
            break;
        }
        int k = ts_id_index_find(nodes, n_nodes, in->indicator);
        if (k < 0) continue;
        p.position = pos[k];
        if (*n == *cap) {
            int grown = *cap ? 2 * *cap : 64;
            parsed_input *more = realloc(*rows, (size_t)grown * sizeof *more);
            if (!more) {
                j->bad = j->oom = 1;
                break;
            }
            *rows = more, *cap = grown;
        }
        (*rows)[(*n)++] = p;
    } while (ts_json_eat(j, ','));
    if (!j->bad && (!ts_json_eat(j, ']') || !ts_json_end(j))) j->bad = 1;
}

/* Reads run id's nodes and positions into an index sorted by id (nodes)
 * and their positions (pos[i] for index i), both owned by a. Returns the
 * count, or -1 with err filled. */
static int node_positions(ts_store *st, long long id, ts_arena *a, ts_id_index **nodes, int **pos, ts_error *err) {
    int n = 0;
    if (count_rows(st, "SELECT count(*) FROM nodes WHERE run_id = ?", id, &n, err) != TS_OK) return -1;
    const char **ids = ts_arena_alloc(a, ((size_t)n + 1) * sizeof *ids);
    *pos = ts_arena_alloc(a, ((size_t)n + 1) * sizeof **pos);
    *nodes = ts_arena_alloc(a, ((size_t)n + 1) * sizeof **nodes);
    if (!ids || !*pos || !*nodes) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory"), -1;
    sqlite3_stmt *q = run_query(st, "SELECT node, position FROM nodes WHERE run_id = ?", id, err);
    if (!q) return -1;
    int k = 0, oom = 0;
    while (k < n && sqlite3_step(q) == SQLITE_ROW) {
        ids[k] = col_dup_nn(a, q, 0, &oom);
        (*pos)[k] = sqlite3_column_int(q, 1);
        k++;
    }
    if (ts_store_finish(st, q, "cannot read nodes", err) != TS_OK) return -1;
    if (oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory"), -1;
    ts_id_index_sort(ids, k, *nodes);
    return k;
}

/* ts_store_each_input for schema 8: each unit's document parsed once, in
 * the units' stored order, its rows in their nodes' order. */
static int each_input_rows(ts_store *st, long long id, int (*cb)(const ts_stored_input *in, void *ctx), void *ctx,
                           ts_error *err) {
    ts_arena *a = ts_arena_new();
    if (!a) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    ts_id_index *nodes = NULL;
    int *pos = NULL;
    int n_nodes = node_positions(st, id, a, &nodes, &pos, err);
    sqlite3_stmt *q = n_nodes < 0 ? NULL
                      : run_query(st,
                                  "SELECT d.unit, d.inputs FROM unit_rows d"
                                  " CROSS JOIN units u ON u.run_id = d.run_id AND u.unit = d.unit"
                                  " WHERE d.run_id = ?1 ORDER BY u.position",
                                  id, err);
    int rc = q ? TS_OK : ts_status(err), stop = 0, cap = 0;
    parsed_input *rows = NULL;
    while (rc == TS_OK && !stop && sqlite3_step(q) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text(q, 0), *doc = (const char *)sqlite3_column_text(q, 1);
        if (ts_store_row_lost(st)) break; /* ts_store_finish reports it */
        if (!unit || !doc) continue;
        ts_arena *scratch = ts_arena_new();
        ts_json j;
        ts_json_init(&j, doc, scratch);
        int n = 0;
        if (scratch) parse_unit_inputs(&j, unit, nodes, pos, n_nodes, &rows, &n, &cap);
        if (!scratch || j.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        else if (j.bad) rc = malformed_rows(st, id, "inputs", err);
        if (rc == TS_OK && n > 1) qsort(rows, (size_t)n, sizeof *rows, cmp_parsed_input);
        for (int i = 0; rc == TS_OK && i < n && !stop; i++) stop = cb(&rows[i].in, ctx);
        ts_arena_free(scratch);
    }
    free(rows);
    ts_arena_free(a);
    if (!q) return rc;
    if (rc != TS_OK) {
        sqlite3_finalize(q);
        return rc;
    }
    return ts_store_finish(st, q, "cannot read inputs", err);
}

int ts_store_each_input(ts_store *st, long long id, int (*cb)(const ts_stored_input *in, void *ctx), void *ctx,
                        ts_error *err) {
    if (st->version >= 8) return each_input_rows(st, id, cb, ctx, err);
    /* a read-only file of schema 7 or older: inputs and nodes are tables */
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
                              ts_store_col_double(q, 2), ts_store_col_double(q, 3), ts_store_col_double(q, 4), sqlite3_column_int(q, 5),
                              sqlite3_column_int(q, 7), sqlite3_column_int(q, 8), sqlite3_column_int(q, 12),
                              (const char *)sqlite3_column_text(q, 6), (const char *)sqlite3_column_text(q, 9),
                              (const char *)sqlite3_column_text(q, 10), (const char *)sqlite3_column_text(q, 11)};
        if (ts_store_row_lost(st) || cb(&in, ctx)) break;
    }
    return ts_store_finish(st, q, "cannot read inputs", err);
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
                                 ts_store_col_double(q, 5), ts_store_col_double(q, 6), ts_store_col_double(q, 7), ts_store_col_double(q, 8)};
        if (ts_store_row_lost(st) || cb(&t, ctx)) break;
    }
    return ts_store_finish(st, q, "cannot read treatment", err);
}

/* ---- the JSON the store writes, read back (json.h) ---------------------- */

/* Reads inputs_json at j (see ts_stored_run_files). Returns the count, or
 * -1 when it is malformed or, with j->oom set, when out of memory. */
static int read_files(ts_stored_run *r, ts_json *j, const ts_stored_file **files) {
    int cap = 1;
    for (const char *p = r->inputs_json; *p; p++) cap += *p == '{';
    ts_stored_file *f = ts_arena_alloc(r->arena, (size_t)cap * sizeof *f);
    if (!f) j->oom = 1;
    if (!f || !ts_json_eat(j, '[')) return -1;
    int n = 0;
    if (!ts_json_eat(j, ']')) {
        do {
            if (!ts_json_eat(j, '{') || n == cap) return -1;
            ts_stored_file *e = &f[n++];
            if (!ts_json_eat(j, '}')) {
                do {
                    const char *key = ts_json_string(j);
                    if (!key || !ts_json_eat(j, ':')) return -1;
                    if (strcmp(key, "role") == 0) e->role = ts_json_string(j);
                    else if (strcmp(key, "path") == 0) e->path = ts_json_string(j);
                    else if (strcmp(key, "sha256") == 0) e->sha256 = ts_json_string(j);
                    else if (strcmp(key, "abs_path") == 0) e->abs_path = ts_json_string(j);
                    else ts_json_skip(j);
                } while (!j->bad && ts_json_eat(j, ','));
                if (!ts_json_eat(j, '}')) return -1;
            }
            if (!e->role || !e->path || !e->sha256) return -1;
        } while (!j->bad && ts_json_eat(j, ','));
        if (!ts_json_eat(j, ']')) return -1;
    }
    *files = f;
    return j->bad ? -1 : n;
}

/* Reads options_json at j (see ts_stored_run_options). Returns 0, or -1
 * when it is malformed or, with j->oom set, when out of memory. */
static int read_options(ts_json *j, ts_stored_options *o) {
    memset(o, 0, sizeof *o);
    if (!ts_json_eat(j, '{')) return -1;
    if (ts_json_eat(j, '}')) return 0;
    do {
        const char *key = ts_json_string(j);
        if (!key || !ts_json_eat(j, ':')) return -1;
        if (strcmp(key, "set") == 0) {
            o->set = ts_json_strings(j, &o->n_set);
        } else if (strcmp(key, "perspectives") == 0) {
            o->perspectives = ts_json_strings(j, &o->n_perspectives);
        } else if (strcmp(key, "year") == 0) {
            /* json.h reads no numbers: the writer puts a bare integer here */
            while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
            char *end;
            long y = strtol(j->p, &end, 10);
            if (end == j->p || y < 1 || y > 9999) return -1;
            j->p = end;
            o->year = (int)y;
        } else if (strcmp(key, "csv") == 0) {
            o->has_csv = 1;
            if (!ts_json_eat(j, '{')) return -1;
            if (!ts_json_eat(j, '}')) {
                do {
                    const char *k = ts_json_string(j);
                    if (!k || !ts_json_eat(j, ':')) return -1;
                    if (strcmp(k, "unit_column") == 0) o->csv.unit_column = ts_json_string(j);
                    else if (strcmp(k, "name_column") == 0) o->csv.name_column = ts_json_string(j);
                    else if (strcmp(k, "missing") == 0) {
                        int n;
                        o->csv.missing = ts_json_strings(j, &n);
                    } else if (strcmp(k, "encoding") == 0) {
                        const char *e = ts_json_string(j);
                        o->csv.encoding = e && strcmp(e, "utf-8") == 0 ? TS_ENC_UTF8
                                          : e && strcmp(e, "latin1") == 0 ? TS_ENC_LATIN1 : TS_ENC_AUTO;
                    } else ts_json_skip(j);
                } while (!j->bad && ts_json_eat(j, ','));
                if (!ts_json_eat(j, '}')) return -1;
            }
        } else {
            ts_json_skip(j);
        }
    } while (!j->bad && ts_json_eat(j, ','));
    if (!ts_json_eat(j, '}')) return -1;
    return j->bad ? -1 : 0;
}

/* Reads r's inputs_json and options_json into r->files and r->options,
 * so that reading them later cannot run out of memory (a run of a
 * malformed text keeps its -1). Returns TS_OK or TS_ESYSTEM. */
static int read_json_columns(ts_stored_run *r, ts_error *err) {
    ts_json j;
    ts_json_init(&j, r->inputs_json, r->arena);
    r->n_files = read_files(r, &j, &r->files);
    if (!j.oom && r->options_json) {
        ts_json_init(&j, r->options_json, r->arena);
        r->options_rc = read_options(&j, &r->options);
    }
    if (j.oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    r->json_read = 1;
    return TS_OK;
}

int ts_stored_run_files(ts_stored_run *r, const ts_stored_file **files) {
    if (r->json_read) {
        if (r->n_files >= 0) *files = r->files;
        return r->n_files;
    }
    ts_json j; /* a run not made by ts_store_load_run */
    ts_json_init(&j, r->inputs_json, r->arena);
    return read_files(r, &j, files);
}

int ts_stored_run_options(ts_stored_run *r, ts_stored_options *o) {
    if (r->json_read) {
        *o = r->options;
        return r->options_rc;
    }
    memset(o, 0, sizeof *o);
    if (!r->options_json) return 0;
    ts_json j;
    ts_json_init(&j, r->options_json, r->arena);
    return read_options(&j, o);
}
