/* test_store.c -- the SQLite run store: schema, one transaction per run,
 * listing, and files it must refuse. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "pipeline.h"
#include "store.h"

static ts_scenario *fixture(void) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    ts_error err;
    ts_scenario *s = ts_scenario_load(tu_write("scen.cfg", FIX_SCENARIO_HEAD), &err);
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
    ts_result *r = ts_score(s, &err);
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
    ts_result *r = ts_score(s, &err);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_and_list),
        cmocka_unit_test(test_failed_save_leaves_nothing),
        cmocka_unit_test(test_refuses_foreign_files),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
