/* test_runs.c -- run identity: the one resolver (ids, scenario names that
 * look like ids, NAME@YEAR, a name shared by a scenario's own run and its
 * per-year runs), the year in `runs`, trends stored atomically as one
 * series, and rescore of per-year runs from any directory. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fixtures.h"
#include "store.h"

/* x1 in 2020 and 2023, y1 in 2020 only: scored for 2023, y1 is carried
   forward (imputed), so the per-year runs differ in their imputed shares
   as well as their scores. */
#define TREND_SCENARIO(name)                                                                          \
    "name = \"" name "\"; taxonomy = \"tax.cfg\";\n"                                                  \
    "units = ( { id = \"P\"; }, { id = \"Q\"; } );\n"                                                 \
    "data = (\n"                                                                                      \
    " { indicator = \"x1\"; year = 2020; source = \"s\"; values = { P = 2; Q = 5; }; },\n"            \
    " { indicator = \"x1\"; year = 2023; source = \"s\"; values = { P = 8; Q = 5.4; }; },\n"          \
    " { indicator = \"y1\"; year = 2020; source = \"s\"; values = { P = 50; Q = 40; }; }\n"           \
    ");\n"

/* Runs the CLI with the NULL-terminated arguments; fails the test unless
 * it exits with want. Returns its stdout (caller frees). */
static char *run_ok(int want, ...) {
    va_list ap;
    va_start(ap, want);
    char *out, *err;
    int rc = tu_vrun(ts_cli_main, "threatscore", &out, &err, ap);
    va_end(ap);
    if (rc != want) fail_msg("exit %d, not %d: %s%s", rc, want, out, err);
    free(err);
    return out;
}

/* Resolves spec in db; returns the id, or -status on failure (message in msg). */
static long long resolve(const char *db, const char *spec, char *msg, size_t cap) {
    ts_store *st;
    ts_error err;
    if (ts_store_open(db, &st, &err)) fail_msg("%s", err.message);
    long long id;
    int rc = ts_store_resolve_run(st, spec, &id, &err);
    if (msg) snprintf(msg, cap, "%s", rc ? err.message : "");
    ts_store_close(st);
    return rc ? -rc : id;
}

static void test_names_ids_and_years(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("t.cfg", TREND_SCENARIO("T"));
    const char *y2024 = tu_write("y2024.cfg", TREND_SCENARIO("2024"));
    const char *db = tu_path("names.db");
    remove(db);
    free(run_ok(0, "score", scen, "--db", db, "--format", "csv", "-o", "/dev/null", NULL));   /* 1: T */
    free(run_ok(0, "trend", scen, "--db", db, "-o", "/dev/null", NULL));                      /* 2, 3: T@2020, T@2023 */
    free(run_ok(0, "score", y2024, "--db", db, "--format", "csv", "-o", "/dev/null", NULL));  /* 4: "2024" */
    free(run_ok(0, "score", scen, "--db", db, "--set", "year=2020", "--format", "csv", "-o", "/dev/null",
                NULL)); /* 5: T@2020 again, by --set */
    char msg[1024];
    /* a scenario name stands for its latest run that is not per-year */
    assert_int_equal(resolve(db, "T", msg, sizeof msg), 1);
    assert_int_equal(resolve(db, "T@2023", msg, sizeof msg), 3);
    assert_int_equal(resolve(db, "T@2020", msg, sizeof msg), 5);
    /* no name: the latest run that is not per-year, as the charts' default */
    assert_int_equal(resolve(db, NULL, msg, sizeof msg), 4);
    /* digits are an id when a run has it, else a scenario name */
    assert_int_equal(resolve(db, "2", msg, sizeof msg), 2);
    assert_int_equal(resolve(db, "2024", msg, sizeof msg), 4);
    assert_int_equal(resolve(db, "T@2021", msg, sizeof msg), -TS_EINPUT);
    assert_non_null(strstr(msg, "scenario 'T' has no per-year run for 2021 (it has years 2020 to 2023)"));
    assert_int_equal(resolve(db, "U@2021", msg, sizeof msg), -TS_EINPUT);
    assert_non_null(strstr(msg, "unknown run 'U'"));
    assert_int_equal(resolve(db, "99", msg, sizeof msg), -TS_EINPUT);
    /* every command takes the same names: compare, export, plot */
    char *out = run_ok(0, "compare", "--db", db, "T", "T@2023", "--format", "csv", NULL);
    assert_non_null(strstr(out, "node,unit,unit_name,"));
    free(out);
    out = run_ok(0, "export", "--db", db, "--run", "T@2023", NULL);
    assert_non_null(strstr(out, "\"id\":3,\"scenario\":\"T\""));
    assert_non_null(strstr(out, "\"year\":2023"));
    assert_non_null(strstr(out, "\"options\":{\"set\":[],\"perspectives\":[],\"year\":2023}"));
    free(out);
    out = run_ok(0, "export", "--db", db, "--run", "T", NULL);
    assert_non_null(strstr(out, "\"year\":null"));
    free(out);
    /* runs shows the year in every format */
    out = run_ok(0, "runs", "--db", db, "--format", "csv", NULL);
    assert_non_null(strstr(out, ",n_units,n_indicators,year\n"));
    assert_non_null(strstr(out, ",2,4,2023\n"));
    assert_non_null(strstr(out, ",2,4,\n"));
    free(out);
    out = run_ok(0, "runs", "--db", db, "--format", "json", NULL);
    assert_non_null(strstr(out, "\"year\":2020}"));
    assert_non_null(strstr(out, "\"year\":null}"));
    free(out);
    out = run_ok(0, "runs", "--db", db, NULL);
    assert_non_null(strstr(out, " year "));
    assert_non_null(strstr(out, " 2023 "));
    free(out);
    /* a scenario with only per-year runs says how to name them */
    const char *only = tu_path("only.db");
    remove(only);
    free(run_ok(0, "trend", scen, "--db", only, "-o", "/dev/null", NULL));
    assert_int_equal(resolve(only, "T", msg, sizeof msg), -TS_EINPUT);
    assert_non_null(strstr(msg, "has only per-year runs (years 2020 to 2023"));
    assert_non_null(strstr(msg, "'T@2023'"));
}

static void test_trend_is_one_series(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("t.cfg", TREND_SCENARIO("T"));
    const char *db = tu_path("series.db");
    remove(db);
    free(run_ok(0, "trend", scen, "--db", db, "-o", "/dev/null", NULL));
    /* the same trend again is not stored twice (issue 14): an edit makes
       it another trend */
    free(run_ok(0, "trend", scen, "--db", db, "-o", "/dev/null", NULL));
    assert_int_equal(tu_query_int(db, "SELECT count(DISTINCT series) FROM runs"), 1);
    tu_write("t.cfg", TREND_SCENARIO("T") "# edited\n");
    free(run_ok(0, "trend", scen, "--db", db, "-o", "/dev/null", NULL));
    assert_int_equal(tu_query_int(db, "SELECT count(DISTINCT series) FROM runs"), 2);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE series = 3"), 2);
    /* plot trend draws the latest trend only, each year once */
    char *out = run_ok(0, "plot", "--db", db, "trend", "--script", NULL);
    assert_non_null(strstr(out, "runs 3 (2020), 4 (2023)"));
    assert_null(strstr(out, "runs 1 (2020)"));
    free(out);
    out = run_ok(0, "plot", "--db", db, "trend", "--run", "T", "--script", NULL);
    assert_non_null(strstr(out, "runs 3 (2020), 4 (2023)"));
    free(out);
    /* a trend whose second year fails to store leaves none of its years */
    const char *trig = tu_path("trigger.db");
    remove(trig);
    ts_store *st;
    ts_error err;
    assert_int_equal(ts_store_open(trig, &st, &err), TS_OK);
    ts_store_close(st);
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER fail_second BEFORE INSERT ON runs WHEN (SELECT count(*) FROM runs) >= 1"
             " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    tu_sql_exec(trig, sql);
    assert_int_equal(tu_query_int(trig, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 1);
    char *e;
    assert_int_equal(tu_run(&out, &e, "trend", scen, "--db", trig, "-o", "/dev/null", NULL), 3);
    assert_non_null(strstr(e, "injected failure"));
    free(out), free(e);
    assert_int_equal(tu_query_int(trig, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(tu_query_int(trig, "SELECT count(*) FROM scores"), 0);
}

static void test_rescore_years_anywhere(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("t.cfg", TREND_SCENARIO("T"));
    const char *db = tu_path("rescore.db");
    remove(db);
    free(run_ok(0, "score", scen, "--db", db, "--format", "csv", "-o", "/dev/null", NULL));
    free(run_ok(0, "trend", scen, "--db", db, "-o", "/dev/null", NULL));
    /* each per-year run, bit for bit (2023 carries y1 forward: imputed) */
    assert_true(tu_query_int(db, "SELECT count(*) FROM scores WHERE run_id = 3 AND imputed > 0") > 0);
    const char *specs[] = {"T", "T@2020", "T@2023"};
    for (int i = 0; i < 3; i++) {
        char *out = run_ok(0, "rescore", "--db", db, "--run", specs[i], NULL);
        assert_non_null(strstr(out, "identical"));
        free(out);
    }
    /* a per-year run stored before its year was kept in its options:
       rescore takes the year from the run */
    tu_sql_exec(db, "UPDATE runs SET options_json = '{\"set\":[],\"perspectives\":[]}' WHERE id = 3");
    char *out = run_ok(0, "rescore", "--db", db, "--run", "3", NULL);
    assert_non_null(strstr(out, "identical"));
    free(out);

    /* from another directory: the stored absolute paths */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("/"), 0);
    out = run_ok(0, "rescore", "--db", db, "--run", "T@2023", NULL);
    assert_non_null(strstr(out, "identical"));
    free(out);
    assert_int_equal(chdir(cwd), 0);

    /* a run stored with relative paths and no absolute ones (as before),
       from the database's directory: found beside the database */
    assert_int_equal(chdir(tu_dir()), 0);
    const char *rel = "relative.db";
    remove(rel);
    free(run_ok(0, "trend", "t.cfg", "--db", rel, "-o", "/dev/null", NULL));
    tu_sql_exec(rel, "UPDATE runs SET inputs_json = (SELECT json_group_array(json(json_remove(value, '$.abs_path')))"
                  " FROM json_each(runs.inputs_json))");
    assert_int_equal(tu_query_int(rel, "SELECT count(*) FROM runs WHERE inputs_json LIKE '%abs_path%'"), 0);
    assert_int_equal(chdir(cwd), 0);
    out = run_ok(0, "rescore", "--db", tu_path("relative.db"), "--run", "T@2020", NULL);
    assert_non_null(strstr(out, "identical"));
    free(out);
    /* a changed file is still named */
    tu_write("t.cfg", TREND_SCENARIO("T") "# edited\n");
    out = run_ok(1, "rescore", "--db", tu_path("relative.db"), "--run", "T@2020", NULL);
    assert_non_null(strstr(out, "t.cfg (scenario): sha256"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_ids_and_years),
        cmocka_unit_test(test_trend_is_one_series),
        cmocka_unit_test(test_rescore_years_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
