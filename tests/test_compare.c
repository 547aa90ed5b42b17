/* test_compare.c -- runs against a reference: the default reference (the
 * run the others extend), the compared rows and --changed-only, through the
 * engine (compare.h) and through `threatscore compare`. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"
#include "fixtures.h"
#include "store.h"

/* A store holding, in this order: "Shocked" (extends scen.cfg; P's x1 set
 * to 9, so P's index and the Alpha node move), "Fixture" (scen.cfg) and
 * "Same" (extends scen.cfg, changes nothing). Returns its path. */
static const char *fixture_store(const char *name) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("scen.cfg", FIX_SCENARIO_HEAD);
    const char *shocked = tu_write("shocked.cfg", "name = \"Shocked\"; extends = \"scen.cfg\";\n"
                                                  "shocks = ( { indicator = \"x1\"; countries = [ \"P\" ]; set = 9.0; note = \"test\"; } );\n");
    const char *same = tu_write("same.cfg", "name = \"Same\"; extends = \"scen.cfg\";\n");
    const char *db = tu_path(name);
    char *out, *err;
    char scen[1024];
    snprintf(scen, sizeof scen, "%s/scen.cfg", tu_dir());
    int rc = tu_run(&out, &err, "score", shocked, "--db", db, "--format", "csv", "-o", "/dev/null", NULL);
    if (rc) fail_msg("%s", err);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", scen, "--db", db, "--format", "csv", "-o", "/dev/null", NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", same, "--db", db, "--format", "csv", "-o", "/dev/null", NULL), 0);
    free(out), free(err);
    return db;
}

/* Returns the row of unit at node for run index run, or fails. */
static const ts_compare_row *row_of(const ts_comparison *c, int run, const char *node, const char *unit) {
    for (int i = 0; i < c->n_rows; i++)
        if (c->rows[i].run == run && strcmp(c->rows[i].node, node) == 0 && strcmp(c->rows[i].unit, unit) == 0)
            return &c->rows[i];
    fail_msg("no row for run %d, node %s, unit %s", run, node, unit);
    return NULL;
}

static void test_default_reference_is_the_extended_run(void **state) {
    (void)state;
    const char *db = fixture_store("ref.db");
    ts_store *st;
    ts_error err;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    ts_comparison *c;
    /* the store's first run is Shocked; the reference is still Fixture */
    assert_int_equal(ts_compare_load(st, NULL, NULL, 0, NULL, &c, &err), TS_OK);
    assert_string_equal(c->reference->info.scenario, "Fixture");
    assert_int_equal(c->n_runs, 2);
    assert_string_equal(c->runs[0]->info.scenario, "Shocked");
    assert_string_equal(c->runs[1]->info.scenario, "Same");
    assert_true(ts_compare_extends(c->runs[0], c->reference));
    assert_false(ts_compare_extends(c->reference, c->runs[0]));
    /* three units x seven nodes per compared run */
    assert_int_equal(c->n_rows, 2 * 3 * 7);
    const ts_compare_row *p = row_of(c, 0, "a", "P");
    /* Alpha of P: mean of x1 and inverted x2 (min-max over 10..30): (2 + 10) / 2
       in the fixture, (9 + 10) / 2 shocked */
    assert_float_equal(p->ref_score, 6.0, 1e-12);
    assert_float_equal(p->score, 9.5, 1e-12);
    assert_float_equal(p->delta, 3.5, 1e-12);
    assert_string_equal(p->ref_class, "High");
    assert_string_equal(p->cls, "High");
    assert_false(p->class_changed);
    assert_int_equal(p->rank_change, p->ref_rank - p->rank);
    for (int i = 0; i < c->n_rows; i++)
        if (c->rows[i].run == 1) assert_false(ts_compare_row_changed(&c->rows[i], 0));
    ts_comparison_free(c);

    /* named runs: the first named when none extends another */
    const char *two[] = {"Same", "Shocked"};
    assert_int_equal(ts_compare_load(st, NULL, two, 2, NULL, &c, &err), TS_OK);
    assert_string_equal(c->reference->info.scenario, "Same");
    ts_comparison_free(c);
    const char *three[] = {"Same", "Shocked", "Fixture"};
    assert_int_equal(ts_compare_load(st, NULL, three, 3, NULL, &c, &err), TS_OK);
    assert_string_equal(c->reference->info.scenario, "Fixture");
    ts_comparison_free(c);

    /* an explicit reference is left out of the runs compared */
    ts_compare_options only = {.node = "a", .changed_only = 1, .threshold = 0};
    assert_int_equal(ts_compare_load(st, "Shocked", NULL, 0, &only, &c, &err), TS_OK);
    assert_string_equal(c->reference->info.scenario, "Shocked");
    assert_int_equal(c->n_runs, 2);
    for (int i = 0; i < c->n_rows; i++) {
        assert_string_equal(c->rows[i].node, "a");
        assert_true(ts_compare_row_changed(&c->rows[i], 0));
    }
    ts_comparison_free(c);

    /* --changed-only with a threshold above P's change keeps only rank and
       class moves */
    ts_compare_options big = {.changed_only = 1, .threshold = 100};
    const char *shocked[] = {"Shocked"};
    assert_int_equal(ts_compare_load(st, "Fixture", shocked, 1, &big, &c, &err), TS_OK);
    for (int i = 0; i < c->n_rows; i++)
        assert_true(c->rows[i].class_changed || (c->rows[i].has_rank_change && c->rows[i].rank_change));
    ts_comparison_free(c);

    /* an unknown node suggests one; the reference alone is nothing to compare */
    ts_compare_options typo = {.node = "alpah"};
    assert_int_equal(ts_compare_load(st, "Fixture", shocked, 1, &typo, &c, &err), TS_EINPUT);
    assert_null(c);
    const char *fixture_only[] = {"Fixture"};
    assert_int_equal(ts_compare_load(st, "Fixture", fixture_only, 1, NULL, &c, &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "nothing to compare"));
    ts_store_close(st);
}

static void test_compare_command(void **state) {
    (void)state;
    const char *db = fixture_store("cli.db");
    char *out, *err;
    /* default reference: Fixture, although Shocked is named first */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "Shocked", "Fixture", "--node", "a", NULL), 0);
    assert_non_null(strstr(out, "A: run 2  Fixture  ("));
    assert_non_null(strstr(out, "reference\nB: run 1  Shocked  ("));
    assert_non_null(strstr(out, "a                    P              6.0000     9.5000    +3.5000      2      1     +1  High"));
    free(out), free(err);
    /* --reference turns it round */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--reference", "Shocked", "Fixture", "--node", "a",
                            "--format", "csv", NULL),
                     0);
    assert_non_null(strstr(out, "node,unit,unit_name,score_a,score_b,delta,rank_a,rank_b,rank_change,class_a,class_b,"
                                "class_changed,reference,run,scenario,year\n"));
    assert_non_null(strstr(out, "\na,P,Pe,9.5,6,-3.5,1,2,-1,High,High,0,1,2,Fixture,\n"));
    free(out), free(err);
    /* every scenario against the default reference, changes only */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--changed-only", "--format", "json", NULL), 0);
    assert_non_null(strstr(out, "{\"reference\":2,\"changed_only\":true,\"threshold\":0,\"runs\":[{\"id\":2,"));
    assert_non_null(strstr(out, "{\"run\":1,\"node\":\"a\",\"unit\":\"P\",\"unit_name\":\"Pe\",\"score_a\":6,"
                                "\"score_b\":9.5,\"delta\":3.5,\"rank_a\":2,\"rank_b\":1,\"rank_change\":1,"));
    assert_null(strstr(out, "{\"run\":3,")); /* Same changes nothing */
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--changed-only", NULL), 0);
    assert_non_null(strstr(out, "B: run 3  Same  ("));
    assert_non_null(strstr(out, "(no change)"));
    free(out), free(err);
    /* a threshold above every delta keeps only rank moves */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--changed-only", "--threshold", "100", "--format",
                            "csv", "Fixture", "Shocked", NULL),
                     0);
    for (const char *line = strchr(out, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        int rank_change = 0, cls = 0;
        const char *p = line;
        for (int comma = 0; comma < 8; comma++) p = strchr(p, ',') + 1;
        assert_int_equal(sscanf(p, "%d", &rank_change), 1);
        for (int comma = 0; comma < 3; comma++) p = strchr(p, ',') + 1;
        assert_int_equal(sscanf(p, "%d", &cls), 1);
        assert_true(rank_change != 0 || cls);
    }
    free(out), free(err);
    /* usage errors */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--threshold", "1", "A", "B", NULL), 2);
    assert_non_null(strstr(err, "--threshold goes with --changed-only"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--changed-only", "--threshold", "-1", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "Fixture", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--reference", "Nope", NULL), 1);
    assert_non_null(strstr(err, "unknown run 'Nope'"));
    free(out), free(err);
    /* three runs without --reference: the matrix, as before */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "2", "3", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "unit,unit_name,score_1,rank_1,score_2,rank_2,score_3,rank_3\n"));
    free(out), free(err);
}

/* The default selection leaves out a scenario whose file was deleted, and
 * says so; naming the run still compares it. */
static void test_deleted_scenario_left_out(void **state) {
    (void)state;
    const char *db = fixture_store("gone.db");
    const char *doomed = tu_write("doomed.cfg", "name = \"Doomed\"; extends = \"scen.cfg\";\n"
                                                "weights = { a = 2.0; };\n");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", doomed, "--db", db, "--format", "csv", "-o", "/dev/null", NULL), 0);
    free(out), free(err);
    assert_int_equal(remove(doomed), 0);
    ts_store *st;
    ts_error e;
    assert_int_equal(ts_store_open(db, &st, &e), TS_OK);
    ts_comparison *c;
    assert_int_equal(ts_compare_load(st, NULL, NULL, 0, NULL, &c, &e), TS_OK);
    assert_string_equal(c->reference->info.scenario, "Fixture");
    assert_int_equal(c->n_runs, 2);
    assert_int_equal(c->n_left_out, 1);
    assert_string_equal(c->left_out, "Doomed");
    ts_comparison_free(c);
    const char *named[] = {"Doomed"};
    assert_int_equal(ts_compare_load(st, "Fixture", named, 1, NULL, &c, &e), TS_OK);
    assert_int_equal(c->n_runs, 1);
    assert_int_equal(c->n_left_out, 0);
    ts_comparison_free(c);
    ts_store_close(st);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "--node", "a", NULL), 0);
    assert_non_null(strstr(out, "left out, their scenario files are gone: Doomed\n"));
    free(out), free(err);
    /* the chart names what it left out */
    assert_int_equal(tu_run(&out, &err, "plot", "--db", db, "compare", "--script", NULL), 0);
    assert_non_null(strstr(out, "Left out, their scenario files are gone: Doomed."));
    assert_null(strstr(out, "run 4: Doomed"));
    free(out), free(err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_reference_is_the_extended_run),
        cmocka_unit_test(test_compare_command),
        cmocka_unit_test(test_deleted_scenario_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
