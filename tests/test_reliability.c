/* test_reliability.c -- the reliability of every score (reliability.h) on a
 * fixture worked out by hand, and where it shows: score, explain, the store.
 *
 * Hand computation (scoring year 2024, the latest of any value):
 *   weights: a 1, b 3 under the index (shares 1/4, 3/4); a1, a2 1 each (1/2).
 *   X: a1 2024 (q 1), a2 2018 (6 years old: 1 - 0.1 x (6 - 2) = 0.6),
 *      b1 an estimate (0.5).  a = 10 (1/2 + 0.6/2) = 8;  b = 5;
 *      index = 10 (1/4 x 0.8 + 3/4 x 0.5) = 5.75.
 *   Y: a1 missing (0), a2 0.6, b1 40 with an alternative 30 on goalposts
 *      0-100 (spread 0.1: 0.9).  a = 3;  b = 9;  index = 10 (0.075 + 0.675) = 7.5.
 *   Z: every value current (its a2 has a 2024 value): 10 everywhere.
 *   Scored for 2020 (--set year=2020): a1 and b1 are later, so missing;
 *      a2 2018 is carried (2 years old: 1).  index = 10 (1/4 x 1/2) = 1.25,
 *      b has no score: 0. */
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "pipeline.h"
#include "reliability.h"
#include "scenario.h"
#include "store.h"

#define EPS 1e-12

static const char TAXONOMY[] =
    "id = \"rt\"; name = \"Reliability test\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "classes = ( { name = \"Low\"; }, { name = \"High\"; min = 5.0; } );\n"
    "children = (\n"
    "  { id = \"a\"; name = \"Alpha\"; weight = 1.0; children = (\n"
    "      { id = \"a1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
    "      { id = \"a2\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); },\n"
    "  { id = \"b\"; name = \"Beta\"; weight = 3.0;\n"
    "    classes = ( { name = \"Calm\"; }, { name = \"Tense\"; min = 3.0; }, { name = \"Acute\"; min = 7.0; } );\n"
    "    children = ( { id = \"b1\"; direction = \"risk\"; goalposts = [0.0, 100.0]; } ); }\n"
    ");\n";

#define SCENARIO_HEAD                                                                                      \
    "name = \"Rel\";\n"                                                                                    \
    "taxonomy = \"rel_tax.cfg\";\n"                                                                        \
    "units = ( { id = \"X\"; }, { id = \"Y\"; }, { id = \"Z\"; } );\n"                                     \
    "data = (\n"                                                                                           \
    "  { indicator = \"a1\"; year = 2024; source = \"s1\"; values = { X = 4.0; Z = 6.0; }; },\n"           \
    "  { indicator = \"a2\"; year = 2018; source = \"s2\"; values = { X = 5.0; Y = 5.0; Z = 5.0; }; },\n"  \
    "  { indicator = \"a2\"; year = 2024; source = \"s2\"; values = { Z = 7.0; }; },\n"                    \
    "  { indicator = \"b1\"; year = 2024; source = \"s3\"; values = {\n"                                   \
    "      X = { value = 50.0; estimate = true; note = \"guess\"; };\n"                                    \
    "      Y = { value = 40.0; note = \"chosen\";\n"                                                       \
    "            alternatives = ( { value = 30.0; year = 2024; source = \"s4\"; } ); };\n"                 \
    "      Z = 20.0; }; }\n"                                                                               \
    ");\n"

/* Loads the fixture with extra settings appended; fails the test on error. */
static ts_scenario *load(const char *extra) {
    tu_write("rel_tax.cfg", TAXONOMY);
    char text[4096];
    snprintf(text, sizeof text, "%s%s", SCENARIO_HEAD, extra);
    ts_error err;
    ts_scenario *s;
    if (ts_scenario_load(tu_write("rel.cfg", text), &s, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    return s;
}

static ts_result *score(const ts_scenario *s) {
    ts_error err;
    ts_result *r;
    if (ts_score(s, &r, &err)) fail_msg("%s", err.message);
    return r;
}

static double rel(const ts_scenario *s, const ts_result *r, const char *node, const char *unit) {
    int k = ts_taxonomy_find(s->tax, node), u = ts_dataset_find_unit(s->data, unit);
    assert_true(k >= 0 && u >= 0);
    return ts_result_reliability(r, k, u);
}

static void test_hand_computed(void **state) {
    (void)state;
    ts_scenario *s = load("");
    ts_result *r = score(s);
    assert_float_equal(rel(s, r, "a2", "X"), 6, EPS);
    assert_float_equal(rel(s, r, "b1", "X"), 5, EPS);
    assert_float_equal(rel(s, r, "a", "X"), 8, EPS);
    assert_float_equal(rel(s, r, "rt", "X"), 5.75, EPS);
    assert_float_equal(rel(s, r, "a1", "Y"), 0, EPS);
    assert_float_equal(rel(s, r, "b", "Y"), 9, EPS);
    assert_float_equal(rel(s, r, "a", "Y"), 3, EPS);
    assert_float_equal(rel(s, r, "rt", "Y"), 7.5, EPS);
    for (int k = 0; k < s->tax->n_nodes; k++) assert_float_equal(ts_result_reliability(r, k, 2), 10, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_imputed_counts_as_missing(void **state) {
    (void)state;
    ts_scenario *s = load("method = { impute = \"mean\"; };\n");
    ts_result *r = score(s);
    assert_false(isnan(ts_result_score(r, ts_taxonomy_find(s->tax, "a1"), 1))); /* Y's a1 is imputed */
    assert_float_equal(rel(s, r, "a1", "Y"), 0, EPS);
    assert_float_equal(rel(s, r, "rt", "Y"), 7.5, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_scoring_year_and_carried_values(void **state) {
    (void)state;
    ts_scenario *s = load("");
    ts_error err;
    assert_int_equal(ts_scenario_set(s, "year", "2020", "test", &err), TS_OK);
    ts_result *r = score(s);
    assert_float_equal(rel(s, r, "a2", "X"), 10, EPS); /* carried from 2018: 2 years old */
    assert_float_equal(rel(s, r, "rt", "X"), 1.25, EPS);
    assert_true(isnan(ts_result_score(r, ts_taxonomy_find(s->tax, "b"), 0)));
    assert_float_equal(rel(s, r, "b", "X"), 0, EPS); /* no score, no usable data */
    ts_result_free(r);
    /* interpolated between 2018 and 2024 for 2021: an estimate */
    assert_int_equal(ts_scenario_set(s, "year", "2021", "test", &err), TS_OK);
    assert_int_equal(ts_scenario_set(s, "interpolate", "true", "test", &err), TS_OK);
    r = score(s);
    assert_float_equal(rel(s, r, "a2", "Z"), 5, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_shock_is_no_conflict(void **state) {
    (void)state;
    /* the alternative describes the figure before the shock */
    ts_scenario *s = load("shocks = ( { indicator = \"b1\"; countries = [ \"Y\" ]; scale = 2.0; note = \"what if\"; } );\n");
    ts_result *r = score(s);
    assert_float_equal(rel(s, r, "b1", "Y"), 10, EPS);
    assert_float_equal(rel(s, r, "rt", "Y"), 8.25, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_country_weights_move_the_shares(void **state) {
    (void)state;
    ts_scenario *s = load("country_weights = { X = { b = 1.0; }; };\n");
    ts_result *r = score(s);
    assert_float_equal(rel(s, r, "rt", "X"), 10 * (0.5 * 0.8 + 0.5 * 0.5), EPS);
    assert_float_equal(rel(s, r, "rt", "Y"), 7.5, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

/* explain's losses add up to 10 minus the reliability and say why. */
static void test_explain_names_what_lowers_it(void **state) {
    (void)state;
    ts_scenario *s = load("");
    ts_result *r = score(s);
    ts_error err;
    for (int u = 0; u < 3; u++) {
        ts_explain *x;
        assert_int_equal(ts_explain_unit(s, r, u, ts_taxonomy_root(s->tax), &x, &err), TS_OK);
        double lost = 0, weight = 0;
        for (int j = 0; j < x->n_rows; j++) lost += x->rows[j].reliability_loss, weight += x->rows[j].nominal_weight;
        assert_float_equal(weight, 1, EPS);
        assert_float_equal(lost, 10 - x->reliability, 1e-9);
        ts_explain_free(x);
    }
    ts_result_free(r);
    ts_scenario_free(s);
    char *out, *e;
    assert_int_equal(tu_run(&out, &e, "explain", tu_path("rel.cfg"), "Y", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, ",contribution,nominal_weight,quality,reliability_loss,lowered_by\n"));
    assert_non_null(strstr(out, "a1,a1,a/a1,,,,,,,none,,,1,0,,0.125,0,1.25,missing\n"));
    assert_non_null(strstr(out, ",6 years old x0.6\n"));
    assert_non_null(strstr(out, ",sources differ by 10.0% of the range x0.9\n"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "explain", tu_path("rel.cfg"), "X", NULL), 0);
    assert_non_null(strstr(out, "coverage 100%, reliability 5.8\n"));
    assert_non_null(strstr(out, "reliability 5.8 of 10; lowered by"));
    assert_non_null(strstr(out, "  b1                     -3.750  weight 0.750  quality 0.50  estimate x0.5\n"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "explain", tu_path("rel.cfg"), "Z", NULL), 0);
    assert_non_null(strstr(out, "reliability 10.0 of 10: every value complete, current, single-source and measured\n"));
    free(out), free(e);
}

/* score shows it at the index (table), on every row (CSV, last column) and in JSON. */
static void test_score_outputs(void **state) {
    (void)state;
    ts_scenario_free(load(""));
    char *out, *e;
    assert_int_equal(tu_run(&out, &e, "score", tu_path("rel.cfg"), NULL), 0);
    assert_non_null(strstr(out, "class       cover   rel"));
    assert_non_null(strstr(out, "  Low          100%   5.8"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "score", tu_path("rel.cfg"), "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "X,X,rt,Reliability test,,0,4.875,1,Low,1,0,5.75\n"));
    assert_non_null(strstr(out, "Y,Y,a1,a1,a,2,,,,0,0,0\n"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "score", tu_path("rel.cfg"), "--format", "json", NULL), 0);
    assert_non_null(strstr(out, "\"unit\":\"Y\",\"node\":\"rt\",\"score\":4.25,\"rank\":2,\"class\":\"Low\","
                                "\"coverage\":0.66666666666666663,\"imputed\":0,\"reliability\":7.5}"));
    free(out), free(e);
}

/* score --lean adds the same sums in the same order: the same bytes, for
 * scenarios (values with provenance, per-unit weights) and CSV input
 * (whose indicators' reliabilities lean derives instead of storing). */
static void test_lean_is_identical(void **state) {
    (void)state;
    ts_scenario_free(load("country_weights = { X = { b = 1.0; }; };\n"));
    const char *weighted = tu_write("rel_weighted.cfg", "name = \"Weighted\"; extends = \"rel.cfg\";\n");
    ts_scenario_free(load(""));
    const char *csv = tu_write("rel.csv", "id,a1,a2,b1\nX,4,5,50\nY,,5,40\nZ,6,7,20\n");
    const char *cases[][9] = {
        {"score", "scenarios/baseline.cfg", NULL},
        {"score", "scenarios/afghan_spillover.cfg", NULL},
        {"score", tu_path("rel.cfg"), "--set", "impute=mean", NULL},
        {"score", weighted, NULL},
        {"score", "--taxonomy", tu_path("rel_tax.cfg"), "--data", csv, NULL},
        {"score", "--taxonomy", tu_path("rel_tax.cfg"), "--data", csv, "--set", "impute=mean", NULL},
    };
    for (size_t f = 0; f < sizeof cases / sizeof *cases; f++) {
        /* the case's arguments, then --format csv, then (lean only) --lean; NULL-terminated */
        const char *v[12] = {NULL}, *w[12] = {NULL};
        int n = 0;
        for (; cases[f][n]; n++) v[n] = w[n] = cases[f][n];
        v[n] = w[n] = "--format", v[n + 1] = w[n + 1] = "csv", w[n + 2] = "--lean";
        char *full, *lean, *e1, *e2;
        assert_int_equal(tu_run(&full, &e1, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], NULL), 0);
        assert_int_equal(tu_run(&lean, &e2, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], NULL), 0);
        assert_non_null(strstr(full, ",imputed,reliability\n")); /* the CSV, with the column compared */
        assert_string_equal(full, lean);
        free(full), free(lean), free(e1), free(e2);
    }
}

/* The store keeps every reliability and the class thresholds; export and
 * rescore read them back. */
static void test_store_round_trip(void **state) {
    (void)state;
    ts_scenario_free(load(""));
    const char *db = tu_path("rel.db");
    remove(db);
    char *out, *e, *scored;
    assert_int_equal(tu_run(&scored, &e, "score", tu_path("rel.cfg"), "--db", db, "--format", "csv", NULL), 0);
    free(e);
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "Rel", "--format", "csv", NULL), 0);
    assert_string_equal(out, scored); /* export --format csv has score's columns */
    free(out), free(e), free(scored);
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "Rel", NULL), 0);
    assert_non_null(strstr(out, "\"node\":\"rt\",\"score\":4.875,\"rank\":1,\"class\":\"Low\",\"coverage\":1,"
                                "\"imputed\":0,\"reliability\":5.75}"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "rescore", "--db", db, "--run", "Rel", NULL), 0);
    free(out), free(e);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores WHERE reliability IS NULL"), 0);
    /* classes: the index's, and b's own; the others inherit */
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM class_thresholds"), 2 + 3);
    ts_store *st;
    ts_error err;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    ts_stored_run *r;
    assert_int_equal(ts_store_load_run(st, 1, &r, &err), TS_OK);
    const ts_stored_node *a1 = &r->nodes[ts_stored_run_node(r, "a1")], *b1 = &r->nodes[ts_stored_run_node(r, "b1")];
    assert_int_equal(a1->n_classes, 2);
    assert_string_equal(a1->class_name[1], "High");
    assert_float_equal(a1->class_min[1], 5, EPS);
    assert_true(isinf(a1->class_min[0]) && a1->class_min[0] < 0);
    assert_int_equal(b1->n_classes, 3);
    assert_string_equal(b1->class_name[2], "Acute");
    assert_float_equal(r->reliability[(size_t)ts_stored_run_unit(r, "Y") * (size_t)r->n_nodes], 7.5, EPS);
    ts_stored_run_free(r);
    ts_store_close(st);
    /* a score without a reliability (a run stored before schema 6) reads as NaN: empty in CSV, null in JSON */
    tu_sql_exec(db, "UPDATE scores SET reliability = NULL WHERE unit = 'X'");
    assert_int_equal(tu_run(&out, &e, "export", "--db", db, "--run", "Rel", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "X,X,rt,Reliability test,,0,4.875,1,Low,1,0,\n"));
    free(out), free(e);
    assert_int_equal(tu_run(&out, &e, "rescore", "--db", db, "--run", "Rel", NULL), 0); /* nothing to compare */
    free(out), free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_imputed_counts_as_missing),
        cmocka_unit_test(test_scoring_year_and_carried_values),
        cmocka_unit_test(test_shock_is_no_conflict),
        cmocka_unit_test(test_country_weights_move_the_shares),
        cmocka_unit_test(test_explain_names_what_lowers_it),
        cmocka_unit_test(test_score_outputs),
        cmocka_unit_test(test_lean_is_identical),
        cmocka_unit_test(test_store_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
