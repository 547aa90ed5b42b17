/* test_store.c -- the SQLite run store: schema, one transaction per run,
 * listing, files it must refuse, upgrades from every earlier schema
 * version, and reading only (older files, read-only directories). */
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fixtures.h"
#include "pipeline.h"
#include "store.h"

static ts_scenario *fixture(void) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("scen.cfg", FIX_SCENARIO_HEAD), &s, &err);
    if (!s) fail_msg("%s", err.message);
    return s;
}

static int count_runs(const ts_run_info *run, void *ctx) {
    int *n = ctx;
    assert_string_equal(run->scenario, "Fixture");
    assert_int_equal(strlen(run->taxonomy_sha256), 64);
    assert_int_equal(run->n_units, 3);
    (*n)++;
    return 0;
}

static void test_save_and_list(void **state) {
    (void)state;
    const char *db = tu_path("store.db");
    remove(db);
    ts_scenario *s = fixture();
    ts_error err;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    ts_store *st;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    long long id1, id2;
    assert_int_equal(ts_store_save(st, s, r, &id1, &err), TS_OK);
    assert_int_equal(ts_store_save(st, s, r, &id2, &err), TS_OK);
    assert_true(id2 > id1);
    int n = 0;
    assert_int_equal(ts_store_list_runs(st, count_runs, &n, &err), TS_OK);
    assert_int_equal(n, 2);
    ts_store_close(st);
    assert_int_equal(tu_query_int(db, "PRAGMA user_version"), TS_STORE_SCHEMA_VERSION);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores WHERE run_id = 1"), 3 * 7);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM inputs WHERE run_id = 1"), 3 * 4);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM nodes WHERE run_id = 1"), 7);
    assert_int_equal(tu_query_int(db, "SELECT rank FROM scores WHERE run_id = 1 AND unit = 'Q' AND node = 't'"), 1);
    assert_int_equal(tu_query_int(db, "SELECT score IS NULL FROM scores WHERE unit = 'R' AND node = 'y1'"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE method_json LIKE '{\"scale\":[0,10]%'"), 2);
    assert_int_equal(tu_query_int(db, "SELECT year FROM inputs WHERE unit = 'P' AND indicator = 'y1'"), 2021);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE inputs_json LIKE '[{\"role\":\"scenario\",%\"role\":\"taxonomy\"%'"), 2);
    /* the journal mode is stored in the file */
    sqlite3 *h;
    sqlite3_open(db, &h);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(h);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_failed_save_leaves_nothing(void **state) {
    (void)state;
    const char *db = tu_path("partial.db");
    remove(db);
    ts_scenario *s = fixture();
    ts_error err;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    /* two units with one id break the scores primary key half-way through */
    s->data->unit_id[2] = s->data->unit_id[0];
    ts_store *st;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    long long id;
    assert_int_equal(ts_store_save(st, s, r, &id, &err), TS_ESYSTEM);
    assert_non_null(strstr(err.message, "UNIQUE"));
    ts_store_close(st);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores"), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM units"), 0);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_refuses_foreign_files(void **state) {
    (void)state;
    ts_error err;
    ts_store *st;
    const char *text = tu_write("not-a-db.db", "this is not a database, just some text that is long enough\n");
    assert_int_equal(ts_store_open(text, &st, &err), TS_EINPUT);
    assert_null(st);
    const char *other = tu_path("other.db");
    remove(other);
    sqlite3 *h;
    sqlite3_open(other, &h);
    sqlite3_exec(h, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(h);
    assert_int_equal(ts_store_open(other, &st, &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "not a threatscore store"));
    const char *newer = tu_path("newer.db");
    remove(newer);
    sqlite3_open(newer, &h);
    sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(h);
    assert_int_equal(ts_store_open(newer, &st, &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "newer"));
}

/* ---- schema versions ---------------------------------------------------- */

/* The schema as threatscore wrote it at version 1, with one run ("Old",
 * units P and Q, root t over indicator x) whose per-unit weight of Q at x
 * is only in method_json, as version 1 kept it. */
static const char SCHEMA_V1[] =
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, scenario_path TEXT, scenario_sha256 TEXT,"
    " taxonomy_id TEXT NOT NULL, taxonomy_path TEXT NOT NULL, taxonomy_sha256 TEXT NOT NULL,"
    " data_path TEXT NOT NULL, data_sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL,"
    " engine_version TEXT NOT NULL, method_json TEXT NOT NULL, inputs_json TEXT NOT NULL,"
    " n_units INTEGER NOT NULL, n_indicators INTEGER NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
    "CREATE TABLE units(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, unit TEXT NOT NULL,"
    " name TEXT NOT NULL, position INTEGER NOT NULL, screened INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"
    "CREATE TABLE nodes(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, node TEXT NOT NULL,"
    " name TEXT NOT NULL, parent TEXT, depth INTEGER NOT NULL, position INTEGER NOT NULL,"
    " is_indicator INTEGER NOT NULL, weight REAL NOT NULL, aggregate TEXT, normalise TEXT, direction TEXT,"
    " unit_of_measure TEXT, source TEXT, PRIMARY KEY(run_id, node)) WITHOUT ROWID;"
    "CREATE TABLE scores(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, unit TEXT NOT NULL,"
    " node TEXT NOT NULL, score REAL, rank INTEGER, class TEXT, coverage REAL NOT NULL,"
    " imputed REAL NOT NULL DEFAULT 0, PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"
    "CREATE TABLE inputs(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, unit TEXT NOT NULL,"
    " indicator TEXT NOT NULL, raw REAL, transformed REAL, normalised REAL, imputed INTEGER NOT NULL DEFAULT 0,"
    " source TEXT, year INTEGER, estimate INTEGER NOT NULL DEFAULT 0, note TEXT, shock TEXT, file TEXT,"
    " line INTEGER, PRIMARY KEY(run_id, unit, indicator)) WITHOUT ROWID;"
    "CREATE TABLE treatment(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " indicator TEXT NOT NULL, treated INTEGER NOT NULL, winsorised_low INTEGER NOT NULL,"
    " winsorised_high INTEGER NOT NULL, log INTEGER NOT NULL, skew REAL, kurtosis REAL, skew_after REAL,"
    " kurtosis_after REAL, PRIMARY KEY(run_id, indicator)) WITHOUT ROWID;";

#define OLD_RUN(METHOD_JSON)                                                                              \
    "INSERT INTO runs(scenario, taxonomy_id, taxonomy_path, taxonomy_sha256, data_path, data_sha256,"     \
    " values_sha256, engine_version, method_json, inputs_json, n_units, n_indicators)"                    \
    " VALUES('Old', 't', 'absent-tax.cfg', 'x', 'd', 'x', 'x', '0.0.1', '" METHOD_JSON "',"               \
    " '[{\"role\":\"taxonomy\",\"path\":\"absent-tax.cfg\",\"sha256\":\"x\"}]', 2, 1);"                   \
    "INSERT INTO units VALUES(1, 'P', 'Pe', 0, 0), (1, 'Q', 'Qu', 1, 0);"                                 \
    "INSERT INTO nodes VALUES(1, 't', 'Total', NULL, 0, 0, 0, 1.0, 'arithmetic', NULL, NULL, NULL, NULL),"  \
    " (1, 'x', 'Ex', 't', 1, 1, 1, 1.0, NULL, 'minmax', 'risk', NULL, 'src');"                            \
    "INSERT INTO scores VALUES(1, 'P', 't', 2.5, 2, 'Low', 1, 0), (1, 'Q', 't', 7.25, 1, 'High', 1, 0),"   \
    " (1, 'P', 'x', 2.5, 2, NULL, 1, 0), (1, 'Q', 'x', 7.25, 1, NULL, 1, 0);"                             \
    "INSERT INTO inputs(run_id, unit, indicator, raw, source) VALUES(1, 'P', 'x', 25, 'src'), (1, 'Q', 'x', 72.5, 'src');"

static const char RUN_V1[] =
    OLD_RUN("{\"scale\":[0,10],\"nodes\":{\"x\":{\"weight\":1,\"unit_weights\":{\"Q\":2.5}},\"t\":{\"weight\":1}}}")
    "PRAGMA user_version=1;";

/* What version 2 added, and its run: options, key and unit_weights. */
static const char SCHEMA_V2[] =
    "ALTER TABLE runs ADD COLUMN options_json TEXT;"
    "ALTER TABLE runs ADD COLUMN run_key TEXT;"
    "CREATE TABLE unit_weights(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, weight REAL NOT NULL, PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"
    "CREATE INDEX runs_by_key ON runs(run_key);"
    "CREATE INDEX runs_by_scenario ON runs(scenario, id);";

static const char RUN_V2[] =
    OLD_RUN("{\"scale\":[0,10],\"nodes\":{\"x\":{\"weight\":1,\"unit_weights\":{\"Q\":2.5}},\"t\":{\"weight\":1}}}")
    "UPDATE runs SET options_json = '{\"set\":[\"year=2022\"],\"perspectives\":[]}', run_key = 'k';"
    "INSERT INTO unit_weights VALUES(1, 'Q', 'x', 2.5);"
    "PRAGMA user_version=2;";

/* Version 2 files written by threatscore 0.1 after `trend --db` existed:
 * it created run_years outside the migrations, on every open. */
static const char RUN_YEARS_V2[] =
    "CREATE TABLE IF NOT EXISTS run_years(run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    " year INTEGER NOT NULL);"
    "INSERT INTO run_years VALUES(1, 2022);";

/* Version 2 files written by threatscore 0.1 after an uncertainty analysis
 * with --db: ts_ua_save created the ua_* tables outside the migrations
 * (two of them here, with a row, as 0.1 wrote them). */
static const char UA_V2[] =
    "CREATE TABLE IF NOT EXISTS ua_runs(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, scenario_path TEXT,"
    " scenario_sha256 TEXT, taxonomy_path TEXT NOT NULL, taxonomy_sha256 TEXT NOT NULL, data_path TEXT,"
    " data_sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL, engine_version TEXT NOT NULL, seed TEXT NOT NULL,"
    " n INTEGER NOT NULL, evaluations INTEGER NOT NULL, sobol INTEGER NOT NULL, bootstrap INTEGER NOT NULL,"
    " threads INTEGER NOT NULL, seconds REAL, spec_json TEXT NOT NULL, method_json TEXT NOT NULL,"
    " percentile_method TEXT NOT NULL, median_bins INTEGER NOT NULL, median_resolution REAL,"
    " rank_bin_width INTEGER NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
    "CREATE TABLE IF NOT EXISTS ua_results(ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, nominal_score REAL, nominal_rank INTEGER, mean_score REAL,"
    " median_score REAL, rank_p05 REAL, rank_p50 REAL, rank_p95 REAL, scored REAL,"
    " PRIMARY KEY(ua_id, unit, node)) WITHOUT ROWID;"
    "INSERT INTO ua_runs(scenario, taxonomy_path, taxonomy_sha256, data_sha256, values_sha256, engine_version,"
    " seed, n, evaluations, sobol, bootstrap, threads, spec_json, method_json, percentile_method, median_bins,"
    " rank_bin_width) VALUES('Old', 't', 'x', 'x', 'x', '0.1.0', '1', 10, 10, 0, 0, 1, '{}', '{}', 'linear', 128, 1);"
    "INSERT INTO ua_results VALUES(1, 'Q', 't', 7.25, 1, 7.0, 7.1, 1, 1, 2, 1);";

/* Writes a file named name from the SQL parts (NULL-terminated). */
static const char *old_store(const char *name, ...) {
    const char *path = tu_path(name);
    remove(path);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    va_list ap;
    va_start(ap, name);
    const char *sql;
    while ((sql = va_arg(ap, const char *))) {
        char *msg = NULL;
        if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", name, msg ? msg : "?");
    }
    va_end(ap);
    sqlite3_close(h);
    return path;
}

/* Checks the old run ("Old") read back through st: version 1 and 2 files
 * hold the same run; year is what run_years says (0: none). */
static void check_old_run(ts_store *st, int year, int has_options) {
    ts_error err;
    long long id;
    /* a run with a year is a per-year run: NAME@YEAR names it, NAME does not */
    if (year) {
        char spec[32];
        snprintf(spec, sizeof spec, "Old@%d", year);
        assert_int_equal(ts_store_resolve_run(st, "Old", &id, &err), TS_EINPUT);
        assert_non_null(strstr(err.message, "has only per-year runs"));
        assert_int_equal(ts_store_resolve_run(st, spec, &id, &err), TS_OK);
    } else {
        assert_int_equal(ts_store_resolve_run(st, "Old", &id, &err), TS_OK);
    }
    assert_int_equal(id, 1);
    ts_stored_run *r = NULL;
    ts_store_load_run(st, id, &r, &err);
    if (!r) fail_msg("%s", err.message);
    assert_string_equal(r->info.scenario, "Old");
    assert_int_equal(r->n_units, 2);
    assert_int_equal(r->n_nodes, 2);
    assert_int_equal(r->n_scores, 4);
    assert_string_equal(r->unit_name[1], "Qu");
    assert_string_equal(r->nodes[1].id, "x");
    assert_int_equal(r->nodes[1].parent, 0);
    int q = ts_stored_run_unit(r, "Q"), t = ts_stored_run_node(r, "t"), x = ts_stored_run_node(r, "x");
    assert_true(r->score[q * r->n_nodes + t] == 7.25);
    assert_int_equal(r->rank[q * r->n_nodes + t], 1);
    assert_string_equal(r->cls[q * r->n_nodes + t], "High");
    /* the per-unit weight: in unit_weights from version 2, in method_json before */
    assert_true(ts_stored_run_weight(r, q, x) == 2.5);
    assert_true(ts_stored_run_weight(r, ts_stored_run_unit(r, "P"), x) == 1.0);
    assert_true(r->scale_min == 0 && r->scale_max == 10);
    assert_int_equal(r->year, year);
    ts_stored_options o;
    assert_int_equal(ts_stored_run_options(r, &o), 0);
    assert_int_equal(o.n_set, has_options ? 1 : 0);
    const ts_stored_file *files;
    assert_int_equal(ts_stored_run_files(r, &files), 1);
    assert_string_equal(files[0].role, "taxonomy");
    ts_stored_run_free(r);
}

static void test_upgrade_every_version(void **state) {
    (void)state;
    static const struct {
        const char *name;
        int from, year, has_options;
        int ua;
    } cases[] = {{"v1.db", 1, 0, 0, 0}, {"v2.db", 2, 0, 1, 0}, {"v2-years.db", 2, 2022, 1, 0},
                 {"v2-years-ua.db", 2, 2022, 1, 1}};
    ts_scenario *s = fixture();
    ts_error err;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_non_null(r);
    for (int i = 0; i < 4; i++) {
        const char *db = cases[i].from == 1 ? old_store(cases[i].name, SCHEMA_V1, RUN_V1, NULL)
                         : cases[i].ua      ? old_store(cases[i].name, SCHEMA_V1, SCHEMA_V2, RUN_V2, RUN_YEARS_V2, UA_V2, NULL)
                         : cases[i].year    ? old_store(cases[i].name, SCHEMA_V1, SCHEMA_V2, RUN_V2, RUN_YEARS_V2, NULL)
                                            : old_store(cases[i].name, SCHEMA_V1, SCHEMA_V2, RUN_V2, NULL);
        assert_int_equal(tu_query_int(db, "PRAGMA user_version"), cases[i].from);
        /* reading only leaves the file as it is */
        ts_store *st;
        if (ts_store_open_readonly(db, &st, &err) != TS_OK) fail_msg("%s: %s", cases[i].name, err.message);
        check_old_run(st, cases[i].year, cases[i].has_options);
        long long id;
        assert_int_equal(ts_store_save(st, s, r, &id, &err), TS_ESYSTEM);
        assert_non_null(strstr(err.message, "read-only"));
        ts_store_close(st);
        assert_int_equal(tu_query_int(db, "PRAGMA user_version"), cases[i].from);
        char *out, *e;
        const char *old = cases[i].year ? "Old@2022" : "Old";
        assert_int_equal(tu_run(&out, &e, "plot", "--db", db, "ranking", "--run", old, "--script", NULL), 0);
        assert_non_null(strstr(out, "Scenario: Old"));
        free(out), free(e);
        /* opening for writing upgrades it, one step per version, data intact */
        if (ts_store_open(db, &st, &err) != TS_OK) fail_msg("%s: %s", cases[i].name, err.message);
        assert_int_equal(tu_query_int(db, "PRAGMA user_version"), TS_STORE_SCHEMA_VERSION);
        check_old_run(st, cases[i].year, cases[i].has_options);
        assert_int_equal(ts_store_save(st, s, r, &id, &err), TS_OK);
        assert_int_equal(id, 2);
        ts_store_close(st);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
                                          " ('unit_weights', 'runs_by_key', 'runs_by_scenario', 'runs_by_year')"),
                         4);
        /* schema 5 keeps the year in runs.year: run_years moved there */
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'run_years'"), 0);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE year IS NOT NULL"), cases[i].year ? 1 : 0);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE run_key IS NOT NULL"),
                         cases[i].from == 1 ? 1 : 2);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores"), 4 + 3 * 7);
        /* only the run saved after the upgrade has reliabilities and class thresholds */
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores WHERE reliability IS NOT NULL"), 3 * 7);
        assert_int_equal(tu_query_int(db, "SELECT count(DISTINCT run_id) FROM class_thresholds"), 1);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
        /* every uncertainty table exists; an analysis stored by 0.1 is kept */
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('ua_runs', 'ua_results',"
                                          " 'ua_classes', 'ua_sobol', 'ua_samples')"),
                         5);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_results WHERE nominal_score = 7.25"), cases[i].ua);
        /* a second open finds nothing to do */
        assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
        check_old_run(st, cases[i].year, cases[i].has_options);
        ts_store_close(st);
    }
    /* a new file is made by the same steps */
    const char *fresh = tu_path("fresh.db");
    remove(fresh);
    ts_store *st;
    assert_int_equal(ts_store_open(fresh, &st, &err), TS_OK);
    ts_store_close(st);
    assert_int_equal(tu_query_int(fresh, "PRAGMA user_version"), TS_STORE_SCHEMA_VERSION);
    /* 9 run tables (class_thresholds from version 6, input_details from 7) and 5 uncertainty tables */
    assert_int_equal(tu_query_int(fresh, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), 14);
    ts_result_free(r);
    ts_scenario_free(s);
}

/* Runs `threatscore ARGS...` and checks that it fails with status 1 and a
 * message containing want, never calling the file "not a SQLite database". */
static void expect_refused(const char *want, ...) {
    va_list ap;
    va_start(ap, want);
    char *out, *err;
    int rc = tu_vrun(ts_cli_main, "threatscore", &out, &err, ap);
    va_end(ap);
    if (rc != 1 || !strstr(err, want) || strstr(err, "not a SQLite database"))
        fail_msg("expected exit 1 with '%s', got %d: %s", want, rc, err);
    free(out), free(err);
}

/* Every command that opens a store refuses a file of a newer schema, and
 * one whose user_version no threatscore writes, without writing to it. */
/* ---- every double kept exactly (schema 8 keeps them as JSON text) ------- */

/* Returns 1 when a and b are the same double, bit for bit, or both NaN;
 * -0.0 and 0.0 count as one, as SQLite's REAL columns always had them. */
static int same_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (a == 0 && b == 0) return 1;
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The doubles a JSON text could get wrong: shortest and longest digits,
 * ties, subnormals, the extremes, integers past 2^53, and an infinity. */
static const double AWKWARD[] = {0.1, 1.0 / 3, 1.0000000000000002, 4.9406564584124654e-324, 2.2250738585072014e-308,
                                 2.2250738585072009e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1e23,
                                 9007199254740992.0, 123456789012345680.0, 1e-300, -1e-7, 4.35, 0.3, 2.5, 1e16,
                                 1.5e-320, 5e-324 * 3, 1.0 + 0x1p-17, 0x1.fffffffffffffp-1, HUGE_VAL, -HUGE_VAL};
enum { N_AWKWARD = sizeof AWKWARD / sizeof *AWKWARD, N_RANDOM = 2000 };

/* Fills v with the awkward doubles, then finite doubles of random bits. */
static void doubles_to_store(double *v) {
    memcpy(v, AWKWARD, sizeof AWKWARD);
    unsigned long long x = 0x9E3779B97F4A7C15ull;
    for (int i = N_AWKWARD; i < N_AWKWARD + N_RANDOM;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (isfinite(d)) v[i++] = d;
    }
}

static int check_raw(const ts_stored_input *in, void *ctx) {
    const double *v = ctx;
    int u = atoi(in->unit + 1);
    if (!same_double(in->raw, v[u])) fail_msg("input of %s: %.17g read back as %.17g", in->unit, v[u], in->raw);
    if (!same_double(in->transformed, -v[u])) fail_msg("transformed of %s", in->unit);
    return 0;
}

static void test_upgrade_keeps_every_double(void **state) {
    (void)state;
    enum { N = N_AWKWARD + N_RANDOM };
    double *v = malloc(N * sizeof *v);
    assert_non_null(v);
    doubles_to_store(v);
    /* a version 2 store whose run has a unit per double, in its scores (every REAL column) and its inputs */
    const char *db = old_store("doubles.db", SCHEMA_V1, SCHEMA_V2, RUN_V2, NULL);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *qu, *qs, *qi;
    assert_int_equal(sqlite3_exec(h, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "INSERT INTO units VALUES(1, ?1, ?1, ?2, 0)", -1, &qu, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "INSERT INTO scores VALUES(1, ?1, 't', ?2, ?3, 'Low', ?4, ?5)", -1, &qs, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "INSERT INTO inputs(run_id, unit, indicator, raw, transformed, normalised,"
                                           " source) VALUES(1, ?1, 'x', ?2, ?3, ?4, 'src')",
                                        -1, &qi, NULL),
                     SQLITE_OK);
    for (int i = 0; i < N; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "U%d", i);
        sqlite3_stmt *qs_[] = {qu, qs, qi};
        sqlite3_bind_text(qu, 1, unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(qu, 2, i + 2);
        sqlite3_bind_text(qs, 1, unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(qs, 2, v[i]);
        sqlite3_bind_int(qs, 3, i + 3);
        sqlite3_bind_double(qs, 4, v[(i + 1) % N]);
        sqlite3_bind_double(qs, 5, v[(i + 2) % N]);
        sqlite3_bind_text(qi, 1, unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(qi, 2, v[i]);
        sqlite3_bind_double(qi, 3, -v[i]);
        sqlite3_bind_double(qi, 4, v[(i + 3) % N]);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(sqlite3_step(qs_[k]), SQLITE_DONE);
            sqlite3_reset(qs_[k]);
        }
    }
    sqlite3_finalize(qu), sqlite3_finalize(qs), sqlite3_finalize(qi);
    assert_int_equal(sqlite3_exec(h, "UPDATE runs SET n_units = n_units + 2023; COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    /* upgraded to schema 8: the same doubles come back through the views */
    ts_store *st;
    ts_error err;
    if (ts_store_open(db, &st, &err) != TS_OK) fail_msg("%s", err.message);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"), 3);
    ts_stored_run *r = NULL;
    ts_store_load_run(st, 1, &r, &err);
    if (!r) fail_msg("%s", err.message);
    assert_int_equal(r->n_units, 2 + N);
    int t = ts_stored_run_node(r, "t");
    for (int i = 0; i < N; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "U%d", i);
        size_t c = (size_t)ts_stored_run_unit(r, unit) * (size_t)r->n_nodes + (size_t)t;
        if (!same_double(r->score[c], v[i])) fail_msg("score of %s: %.17g read back as %.17g", unit, v[i], r->score[c]);
        assert_true(same_double(r->coverage[c], v[(i + 1) % N]));
        assert_true(same_double(r->imputed[c], v[(i + 2) % N]));
        assert_int_equal(r->rank[c], i + 3);
        assert_string_equal(r->cls[c], "Low");
    }
    ts_stored_run_free(r);
    /* the two units of RUN_V2 have no transformed value: skip them */
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM inputs WHERE run_id = 1 AND transformed IS NOT NULL"), N);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM inputs WHERE typeof(raw) <> 'real'"), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores WHERE typeof(score) <> 'real'"), 0);
    ts_store_close(st);
    /* a value no threatscore writes (a blob) stops the upgrade, and the file stays as it was */
    const char *blob = old_store("blob.db", SCHEMA_V1, SCHEMA_V2, RUN_V2, "UPDATE scores SET score = X'00ff' WHERE unit = 'Q'",
                                 NULL);
    assert_int_equal(ts_store_open(blob, &st, &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "cannot upgrade: scores holds a blob (run 1, unit Q)"));
    assert_int_equal(tu_query_int(blob, "PRAGMA user_version"), 7);
    assert_int_equal(tu_query_int(blob, "SELECT count(*) FROM scores"), 4);
    tu_sql_exec(db, "DELETE FROM unit_rows WHERE unit IN ('P', 'Q')");
    assert_int_equal(ts_store_open_readonly(db, &st, &err), TS_OK);
    assert_int_equal(ts_store_each_input(st, 1, check_raw, v, &err), TS_OK);
    ts_store_close(st);
    free(v);
}

/* A run saved by this threatscore reads back with the very doubles it
 * scored: every score, coverage, imputed share and reliability, and every
 * raw, transformed and normalised input. */
typedef struct saved_inputs {
    const ts_scenario *s;
    const ts_result *r;
    int n;
} saved_inputs;

static int check_saved_input(const ts_stored_input *in, void *ctx) {
    saved_inputs *si = ctx;
    int u = ts_dataset_find_unit(si->s->data, in->unit), k = ts_taxonomy_find(si->s->tax, in->indicator);
    assert_true(u >= 0 && k >= 0);
    int i = si->s->tax->nodes[k].indicator;
    size_t c = (size_t)i * (size_t)si->s->data->n_units + (size_t)u;
    assert_true(same_double(in->raw, si->s->data->values[c]));
    assert_true(same_double(in->transformed, si->r->transformed[c]));
    assert_true(same_double(in->normalised, si->r->normalised[c]));
    si->n++;
    return 0;
}

static void test_saved_run_reads_back_exactly(void **state) {
    (void)state;
    ts_scenario *s = fixture();
    ts_error err;
    ts_result *res = NULL;
    ts_score(s, &res, &err);
    assert_non_null(res);
    const char *db = tu_path("exact.db");
    remove(db);
    ts_store *st;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    long long id;
    assert_int_equal(ts_store_save(st, s, res, &id, &err), TS_OK);
    assert_int_equal(ts_store_save(st, s, res, &id, &err), TS_OK);
    /* the two runs share one node set; a run weighting a node otherwise has its own */
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM node_sets"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM nodes WHERE run_id = 2"), s->tax->n_nodes);
    ts_scenario *heavier = NULL;
    ts_result *hres = NULL;
    ts_scenario_load(tu_write("heavier.cfg", FIX_SCENARIO_HEAD "weights = { a = 2.0; };\n"), &heavier, &err);
    if (!heavier) fail_msg("%s", err.message);
    assert_int_equal(ts_score(heavier, &hres, &err), TS_OK);
    long long hid;
    assert_int_equal(ts_store_save(st, heavier, hres, &hid, &err), TS_OK);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM node_sets"), 2);
    assert_int_equal(tu_query_int(db, "SELECT weight FROM nodes WHERE run_id = 3 AND node = 'a'"), 2);
    assert_int_equal(tu_query_int(db, "SELECT weight FROM nodes WHERE run_id = 2 AND node = 'a'"), 1);
    ts_result_free(hres);
    ts_scenario_free(heavier);
    ts_stored_run *r = NULL;
    ts_store_load_run(st, id, &r, &err);
    if (!r) fail_msg("%s", err.message);
    int cells = 0;
    for (int u = 0; u < r->n_units; u++)
        for (int k = 0; k < r->n_nodes; k++) {
            int tk = ts_taxonomy_find(s->tax, r->nodes[k].id), tu = ts_dataset_find_unit(s->data, r->unit_id[u]);
            size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
            assert_true(same_double(r->score[c], ts_result_score(res, tk, tu)));
            assert_true(same_double(r->coverage[c], ts_result_coverage(res, tk, tu)));
            assert_true(same_double(r->reliability[c], ts_result_reliability(res, tk, tu)));
            assert_int_equal(r->rank[c], ts_result_rank(res, tk, tu));
            cells++;
        }
    assert_int_equal(cells, s->data->n_units * s->tax->n_nodes);
    ts_stored_run_free(r);
    saved_inputs si = {s, res, 0};
    assert_int_equal(ts_store_each_input(st, id, check_saved_input, &si, &err), TS_OK);
    assert_int_equal(si.n, s->data->n_units * s->tax->n_indicators);
    /* rows that are not JSON (a store written elsewhere) are bad input, not a crash or no rows */
    ts_store_close(st);
    char *out, *e;
    tu_sql_exec(db, "UPDATE unit_rows SET scores = '[[\"t\",1' WHERE run_id = 1 AND unit = 'P';"
                    "UPDATE unit_rows SET inputs = '{no' WHERE run_id = 2 AND unit = 'P'");
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "1", NULL), 1);
    assert_non_null(strstr(e, "run 1: its stored scores (unit_rows.scores) are not the JSON threatscore writes"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "2", "--table", "inputs", NULL), 1);
    assert_non_null(strstr(e, "run 2: its stored inputs (unit_rows.inputs) are not the JSON threatscore writes"));
    free(out), free(e);
    /* rows of another shape are refused the same way: they are read as threatscore writes them */
    static const char *const SHAPES[] = {"{\"a\":1}", "[[\"t\",1,2,3]]", "[[\"t\",\"x\",1,null,1,0,1]]",
                                         "[[\"t\",1,1,null,1,0,1],]", "[[\"t\",1,1,null,1,0,1]] x"};
    for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE unit_rows SET scores = '%s' WHERE run_id = 1 AND unit = 'P'", SHAPES[i]);
        tu_sql_exec(db, sql);
        assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "1", NULL), 1);
        if (!strstr(e, "run 1: its stored scores")) fail_msg("%s: %s", SHAPES[i], e);
        free(out), free(e);
    }
    tu_sql_exec(db, "UPDATE unit_rows SET scores = '[]', inputs = '[1,[2]]' WHERE run_id = 1");
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "1", "--table", "inputs", NULL), 1);
    assert_non_null(strstr(e, "run 1: its stored inputs (unit_rows.inputs) are not the JSON threatscore writes"));
    free(out), free(e);
    /* rows of nodes the run does not have are left out, as the view's join leaves them */
    tu_sql_exec(db, "UPDATE unit_rows SET scores = '[[\"t\",1.5,1,null,1,0,1],[\"nowhere\",2,1,null,1,0,1]]',"
                    " inputs = '[[\"nowhere\",1,1,1,0,null,null,0,null,null,null,null]]' WHERE run_id = 1");
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "1", NULL), 0);
    assert_null(strstr(out, "nowhere"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "1", "--table", "inputs", "--format", "csv", NULL), 0);
    assert_null(strstr(out, "nowhere"));
    free(out), free(e);
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    /* the views are read-only: a stored run is not edited */
    ts_store_close(st);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(h, "UPDATE scores SET score = 0", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(h, "DELETE FROM inputs", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    ts_result_free(res);
    ts_scenario_free(s);
}

static void test_every_command_refuses_unknown_versions(void **state) {
    (void)state;
    ts_scenario *s = fixture();
    ts_error err;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    const char *db = tu_path("future.db");
    remove(db);
    ts_store *st;
    long long id;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    assert_int_equal(ts_store_save(st, s, r, &id, &err), TS_OK);
    ts_store_close(st);
    static const struct {
        int version;
        const char *want;
    } cases[] = {{99, "schema version 99 is newer than this threatscore's"},
                 {-1, "not a threatscore store: its schema version (PRAGMA user_version) is -1"}};
    char *d = (char *)db;
    for (int i = 0; i < 2; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", cases[i].version);
        sqlite3 *h;
        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
        const char *w = cases[i].want;
        expect_refused(w, "runs", "--db", d, NULL);
        expect_refused(w, "export", "--db", d, "--run", "1", NULL);
        expect_refused(w, "compare", "--db", d, "1", "1", NULL);
        expect_refused(w, "rescore", "--db", d, "--run", "1", NULL);
        expect_refused(w, "batch", "scenarios/baseline.cfg", "--db", d, "-q", NULL);
        expect_refused(w, "score", "scenarios/baseline.cfg", "--db", d, NULL);
        expect_refused(w, "trend", "scenarios/baseline.cfg", "--db", d, NULL);
        expect_refused(w, "uncertainty", "scenarios/baseline.cfg", "-N", "16", "--db", d, NULL);
        expect_refused(w, "plot", "--db", d, "ranking", "--script", NULL);
        expect_refused(w, "plot", "--db", d, "uncertainty", "--script", NULL);
        assert_int_equal(tu_query_int(db, "PRAGMA user_version"), cases[i].version);
        assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 1);
    }
    ts_result_free(r);
    ts_scenario_free(s);
}

/* Reading a store in a directory this process cannot write: SQLite cannot
 * create the -shm file a WAL-mode file needs. The check runs in a child
 * that, when the tests run as root (who may write anywhere), drops to
 * nobody. Exit codes of the child name the failed step. */
static int read_only_child(const char *db) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 10;
    if (access(db, R_OK) != 0) return 11;
    char probe[700];
    snprintf(probe, sizeof probe, "%s-probe", db);
    FILE *f = fopen(probe, "w");
    if (f) return fclose(f), 12; /* the directory is writable after all */
    ts_error err;
    ts_store *st;
    if (ts_store_open_readonly(db, &st, &err) != TS_OK) return fprintf(stderr, "%s\n", err.message), 13;
    long long id;
    ts_stored_run *r = NULL;
    int rc = ts_store_resolve_run(st, "Fixture", &id, &err) == TS_OK && ts_store_load_run(st, id, &r, &err) == TS_OK &&
                     r->n_units == 3 ? 0 : 14;
    ts_stored_run_free(r);
    ts_store_close(st);
    if (rc) return fprintf(stderr, "%s\n", err.message), rc;
    /* opening for writing fails, and says why */
    if (ts_store_open(db, &st, &err) == TS_OK) return 15;
    fprintf(stderr, "read-write: %s\n", err.message);
    if (strstr(err.message, "not a SQLite database") || !strstr(err.message, "not writable")) return 16;
    char *out, *e;
    rc = tu_run(&out, &e, "plot", "--db", db, "ranking", "--script", NULL);
    if (rc != 0 || !strstr(out, "Scenario: Fixture")) fprintf(stderr, "plot: %d %s\n", rc, e);
    rc = rc != 0 || !strstr(out, "Scenario: Fixture") ? 17 : 0;
    free(out), free(e);
    return rc;
}

static void test_read_only_directory(void **state) {
    (void)state;
    char dir[] = "/tmp/threatscore-ro-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    char db[600];
    snprintf(db, sizeof db, "%s/store.db", dir);
    ts_scenario *s = fixture();
    ts_error err;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    ts_store *st;
    long long id;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    assert_int_equal(ts_store_save(st, s, r, &id, &err), TS_OK);
    ts_store_close(st);
    ts_result_free(r);
    ts_scenario_free(s);
    /* closing the last connection checkpointed the log and removed it */
    char wal[620];
    snprintf(wal, sizeof wal, "%s-wal", db);
    assert_int_not_equal(access(wal, F_OK), 0);
    assert_int_equal(chmod(db, 0644), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(read_only_child(db));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    chmod(dir, 0755);
    remove(db);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status)) fail_msg("read-only directory: step %d failed", WEXITSTATUS(status));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_and_list),
        cmocka_unit_test(test_failed_save_leaves_nothing),
        cmocka_unit_test(test_refuses_foreign_files),
        cmocka_unit_test(test_upgrade_every_version),
        cmocka_unit_test(test_upgrade_keeps_every_double),
        cmocka_unit_test(test_saved_run_reads_back_exactly),
        cmocka_unit_test(test_every_command_refuses_unknown_versions),
        cmocka_unit_test(test_read_only_directory),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
