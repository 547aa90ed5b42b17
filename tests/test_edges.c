/* test_edges.c -- floating point at the edge: rounding that left a mean a
 * few ulps outside its values' range, and numbers at the far end of a
 * double (weights, scales, ranges, genmean p, data near 1e308), which must
 * give a correct result or a file:line error, never inf, NaN or ties. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "pipeline.h"
#include "scenario.h"
#include "ua_internal.h" /* ts_ua_nominal_scores */
#include "uncertainty.h"

/* A taxonomy of two categories of two indicators, with the given settings
 * spliced in: top (root level), a_agg (category a), w1 (weight of x1),
 * norm (x1's normaliser). Values come from the scenario. */
static const char *write_taxonomy(const char *top, const char *a_agg, const char *w1, const char *norm) {
    static char text[4096];
    snprintf(text, sizeof text,
             "id = \"t\";\nscale = { min = 0.0; max = 10.0; };\n%s\n"
             "children = (\n"
             "  { id = \"a\"; %s children = (\n"
             "      { id = \"x1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; weight = %s; %s },\n"
             "      { id = \"x2\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); },\n"
             "  { id = \"b\"; children = (\n"
             "      { id = \"y1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
             "      { id = \"y2\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); }\n"
             ");\n",
             top, a_agg, w1, norm);
    return tu_write("tax.cfg", text);
}

/* A scenario of units P and Q with x1 = p1/q1 and the rest fixed. */
static const char *write_scenario(const char *p1, const char *q1) {
    static char text[2048];
    snprintf(text, sizeof text,
             "name = \"Edge\";\ntaxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
             "data = (\n"
             "  { indicator = \"x1\"; year = 2020; source = \"s\"; values = { P = %s; Q = %s; }; },\n"
             "  { indicator = \"x2\"; year = 2020; source = \"s\"; values = { P = 0.0; Q = 4.0; }; },\n"
             "  { indicator = \"y1\"; year = 2020; source = \"s\"; values = { P = 0.0; Q = 6.0; }; },\n"
             "  { indicator = \"y2\"; year = 2020; source = \"s\"; values = { P = 0.0; Q = 8.0; }; }\n"
             ");\n",
             p1, q1);
    return tu_write("scen.cfg", text);
}

/* Loads and scores; returns the result (the scenario in *out) or fails
 * the test with the error. */
static ts_result *score_ok(ts_scenario **out) {
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_path("scen.cfg"), &s, &err);
    if (!s) fail_msg("load: %s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) fail_msg("score: %s:%d: %s", err.file, err.line, err.message);
    *out = s;
    return r;
}

/* Checks that loading or scoring fails with a message containing expect
 * (which should start with the file:line). */
static void score_fails(const char *expect) {
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_scenario_load(tu_path("scen.cfg"), &s, &err);
    ts_result *r = NULL;
    if (s) ts_score(s, &r, &err);
    char msg[2048];
    ts_error_format(&err, msg, sizeof msg);
    if (r || !strstr(msg, expect)) fail_msg("expected '%s', got '%s'", expect, r ? "success" : msg);
    assert_int_equal(err.code, TS_EINPUT);
    ts_result_free(r);
    ts_scenario_free(s);
}

/* Every score of every node is finite or missing, and the root ranks the
 * two units apart (no ties from overflow). */
static void check_sane(const ts_scenario *s, const ts_result *r) {
    for (int k = 0; k < s->tax->n_nodes; k++)
        for (int u = 0; u < s->data->n_units; u++) {
            double x = ts_result_score(r, k, u);
            if (!isfinite(x)) fail_msg("node %s unit %d: %g", s->tax->nodes[k].id, u, x);
        }
}

/* INFORM's complement geometric mean 1 - prod(1 - x/10)^w, written as top
 * 11 and factor 1 over a 0-10 scale: for values at the bottom, exp(log(11))
 * = 11.000000000000002 made it -1.8e-15, and the geometric mean above then
 * refused the run ("outside its domain"). */
static void test_cgeometric_at_the_bottom(void **state) {
    (void)state;
    write_taxonomy("aggregate = \"geometric\";", "aggregate = { method = \"cgeometric\"; top = 11.0; factor = 1.0; };",
                   "1.0", "");
    write_scenario("0.0", "2.0");
    ts_scenario *s;
    ts_result *r = score_ok(&s);
    int a = ts_taxonomy_find(s->tax, "a");
    assert_true(ts_result_score(r, a, 0) == 0.0);
    assert_false(signbit(ts_result_score(r, a, 0)) && ts_result_score(r, a, 0) != 0);
    assert_true(ts_result_score(r, ts_taxonomy_root(s->tax), 0) == 0.0);
    check_sane(s, r);
    ts_result_free(r);
    ts_scenario_free(s);
    /* the aggregator itself, for one value and for many */
    ts_agg cg = {TS_AGG_CGEOMETRIC, 0, 11.0, 1.0};
    double v[5] = {0, 0, 0, 0, 0}, w[5] = {1, 0.3, 0.7, 1.5, 2};
    int bad;
    for (int n = 1; n <= 5; n++) assert_true(ts_aggregate(&cg, v, w, n, &bad) == 0.0);
    double top[5] = {10, 10, 10, 10, 10};
    ts_agg cg10 = {TS_AGG_CGEOMETRIC, 0, 11.0, 1.0};
    for (int n = 1; n <= 5; n++) assert_true(ts_aggregate(&cg10, top, w, n, &bad) <= 10.0);
    /* a median and a harmonic mean stay within their values too */
    ts_agg med = {TS_AGG_WMEDIAN, 0, 0, 0}, harm = {TS_AGG_HARMONIC, 0, 0, 0};
    double m[3] = {0.0, 0.1, 0.3}, mw[3] = {0.49, 0.02, 0.49};
    double x = ts_aggregate(&med, m, mw, 3, &bad);
    assert_true(x >= 0.0 && x <= 0.3);
    double h[3] = {0.1, 0.1, 0.1};
    x = ts_aggregate(&harm, h, mw, 3, &bad);
    assert_true(x == 0.1);
}

/* A protective geometric mean at the top of the 0-10 scale: exp(log(10))
 * is 10.000000000000002, which reflected to -1.8e-15 and made the
 * geometric root refuse the run, in the pipeline and (where the evaluator
 * computes the mean itself) in the uncertainty analysis. Arithmetic and
 * geometric means are clamped into their values' range in both. */
static void test_protective_geometric_at_the_top(void **state) {
    (void)state;
    tu_write("top.cfg", "id = \"t\";\nscale = { min = 0.0; max = 10.0; };\naggregate = \"geometric\";\n"
                        "children = (\n"
                        "  { id = \"a\"; direction = \"protective\"; children = (\n"
                        "      { id = \"x1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
                        "      { id = \"x2\"; direction = \"risk\"; goalposts = [0.0, 10.0]; weight = 3.0; } ); },\n"
                        "  { id = \"b\"; aggregate = \"arithmetic\"; children = (\n"
                        "      { id = \"y1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); }\n"
                        ");\n");
    tu_write("top_scen.cfg", "name = \"Top\";\ntaxonomy = \"top.cfg\";\nunits = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
                             "data = (\n"
                             "  { indicator = \"x1\"; year = 2020; source = \"s\"; values = { P = 10.0; Q = 4.0; }; },\n"
                             "  { indicator = \"x2\"; year = 2020; source = \"s\"; values = { P = 10.0; Q = 6.0; }; },\n"
                             "  { indicator = \"y1\"; year = 2020; source = \"s\"; values = { P = 3.0; Q = 7.0; }; }\n"
                             ");\n"
                             "uncertainty = { weights = { vary = 0.25; nodes = \"indicators\"; }; };\n");
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_path("top_scen.cfg"), &s, &err);
    if (!s) fail_msg("load: %s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) fail_msg("score: %s:%d: %s", err.file, err.line, err.message);
    int a = ts_taxonomy_find(s->tax, "a"), b = ts_taxonomy_find(s->tax, "b");
    /* at the top, reflected to the bottom: exactly 0, and so the index */
    assert_true(ts_result_score(r, a, 0) == 0.0);
    assert_true(ts_result_score(r, ts_taxonomy_root(s->tax), 0) == 0.0);
    /* a mean of one value is that value */
    assert_true(ts_result_score(r, b, 0) == 3.0);
    check_sane(s, r);
    /* the evaluator clamps alike, bit for bit */
    size_t cells = (size_t)s->tax->n_nodes * (size_t)s->data->n_units;
    double *x = malloc(cells * sizeof *x);
    assert_non_null(x);
    if (ts_ua_nominal_scores(s, x, &err)) fail_msg("%s", err.message);
    for (size_t c = 0; c < cells; c++)
        if (!(isnan(r->score[c]) && isnan(x[c])) && memcmp(&r->score[c], &x[c], sizeof x[c]) != 0)
            fail_msg("cell %zu: pipeline %.17g, evaluator %.17g", c, r->score[c], x[c]);
    free(x);
    /* and the analysis runs: varied weights keep P's node a at the top */
    ts_ua_spec *u = NULL;
    if (ts_ua_spec_load(s, &u, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_ua_options opt;
    ts_ua_options_default(&opt);
    opt.n = 300;
    ts_ua_result *ua = NULL;
    if (ts_ua_run(s, u, &opt, &ua, &err)) fail_msg("uncertainty: %s:%d: %s", err.file, err.line, err.message);
    assert_true(ua->mean_score[ts_ua_cell(ua, a, 0)] == 0.0);
    assert_true(ua->mean_score[ts_ua_cell(ua, b, 0)] == 3.0);
    ts_ua_result_free(ua);
    ts_ua_spec_free(u);
    ts_result_free(r);
    ts_scenario_free(s);
    /* the aggregators themselves, for one value and for many */
    double top[5] = {10, 10, 10, 10, 10}, w[5] = {1, 0.3, 0.7, 1.5, 2};
    ts_agg ar = {TS_AGG_ARITHMETIC, 0, 0, 0}, ge = {TS_AGG_GEOMETRIC, 0, 0, 0};
    int bad;
    for (int n = 1; n <= 5; n++) {
        assert_true(ts_aggregate(&ge, top, w, n, &bad) == 10.0);
        assert_true(ts_aggregate(&ar, top, w, n, &bad) == 10.0);
    }
    double third[2] = {1.0 / 3, 1.0 / 3}, w3[2] = {0.1, 0.7};
    assert_true(ts_aggregate(&ar, third, w3, 2, &bad) == 1.0 / 3);
}

/* A real domain error names the node, the child, the unit, the value and
 * why the value is there. */
static void test_domain_error_says_why(void **state) {
    (void)state;
    write_taxonomy("", "aggregate = \"geometric\";", "1.0", "normalise = { method = \"zscore\"; };");
    write_scenario("1.0", "3.0");
    score_fails("tax.cfg:5: node 'a' takes the geometric mean, which needs values >= 0, but its child 'x1' scores "
                "-0.70710678118654746 for unit 'P': it is normalised by zscore");
}

static void test_huge_and_tiny_numbers(void **state) {
    (void)state;
    write_scenario("1.0", "3.0");
    /* weights */
    write_taxonomy("", "", "1e308", "");
    score_fails("tax.cfg:6: weight is 1e+308: a number must be 0 or between 1e-100 and 1e+100 in size");
    write_taxonomy("", "", "1e-320", "");
    score_fails("tax.cfg:6: weight is 9.99989e-321");
    /* the largest weight allowed still gives a weighted mean */
    write_taxonomy("", "", "1e100", "");
    ts_scenario *s;
    ts_result *r = score_ok(&s);
    check_sane(s, r);
    int a = ts_taxonomy_find(s->tax, "a");
    assert_float_equal(ts_result_score(r, a, 1), 3.0, 1e-12); /* x1 alone counts */
    ts_result_free(r);
    ts_scenario_free(s);
    /* a scale */
    tu_write("tax.cfg", "id = \"t\";\nscale = { min = 0.0;\n max = 1e308; };\n"
                        "children = ( { id = \"x1\"; direction = \"risk\"; } );\n");
    score_fails("tax.cfg:3: max is 1e+308");
    /* a range */
    write_taxonomy("", "", "1.0", "normalise = { method = \"minmax\"; range = [0.0, 1e308]; };");
    score_fails("tax.cfg:6: range hi is 1e+308");
    /* data */
    write_taxonomy("", "", "1.0", "");
    write_scenario("1e308", "3.0");
    score_fails("scen.cfg:5: value of 'x1' for 'P' is 1e+308");
    write_scenario("-1.7e308", "3.0");
    score_fails("scen.cfg:5: value of 'x1' for 'P' is -1.7e+308");
    /* and in a CSV */
    write_taxonomy("", "", "1.0", "");
    const char *csv = tu_write("edge.csv", "id,x1,x2,y1,y2\nP,1,2,3,4\nQ,1e308,2,3,5\n");
    ts_error err;
    ts_scenario_from_csv(tu_path("tax.cfg"), csv, NULL, &s, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "column 'x1', unit 'Q': '1e308' is out of range"));
    assert_int_equal(err.line, 3);
}

/* genmean's p at either end: a huge p is the maximum (its limit), a huge
 * negative one the minimum; a p too near 0 is an error. */
static void test_genmean_p(void **state) {
    (void)state;
    write_scenario("1.0", "3.0");
    const char *aggs[] = {"aggregate = { method = \"genmean\"; p = 1e100; };",
                          "aggregate = { method = \"genmean\"; p = -1e100; };",
                          "aggregate = { method = \"genmean\"; p = 2.0; };"};
    /* Q: x1 = 3, x2 = 4 */
    double want[] = {4.0, 3.0, sqrt((9.0 + 16.0) / 2)};
    for (int i = 0; i < 3; i++) {
        write_taxonomy("", aggs[i], "1.0", "");
        ts_scenario *s;
        ts_result *r = score_ok(&s);
        check_sane(s, r);
        int a = ts_taxonomy_find(s->tax, "a");
        assert_float_equal(ts_result_score(r, a, 1), want[i], 1e-12);
        ts_result_free(r);
        ts_scenario_free(s);
    }
    write_taxonomy("", "aggregate = { method = \"genmean\"; p = 1e-9; };", "1.0", "");
    score_fails("tax.cfg:5: genmean p = 1e-09 is too close to 0");
    /* the aggregator on values near the top of a double's range */
    ts_agg g = {TS_AGG_GENMEAN, 3.0, 0, 0};
    double v[2] = {1e100, 2e100}, w[2] = {1, 1};
    int bad;
    double x = ts_aggregate(&g, v, w, 2, &bad);
    assert_true(isfinite(x));
    assert_float_equal(x / 1e100, cbrt(4.5), 1e-12);
}

/* A denominator so small that the ratio leaves the exact range is an
 * error naming the value, not an overflow later. */
static void test_denominator_overflow(void **state) {
    (void)state;
    tu_write("tax.cfg", "id = \"t\";\nchildren = ( { id = \"x1\"; direction = \"risk\"; denominator = \"pop\"; },\n"
                        " { id = \"x2\"; direction = \"risk\"; } );\n");
    tu_write("scen.cfg", "name = \"D\";\ntaxonomy = \"tax.cfg\";\nmethod = { denominate = true; };\n"
                         "units = ( { id = \"P\"; denominators = { pop = 1e-90; }; },\n"
                         " { id = \"Q\"; denominators = { pop = 2.0; }; } );\n"
                         "data = ( { indicator = \"x1\"; year = 2020; source = \"s\"; values = { P = 1e20; Q = 3.0; }; },\n"
                         " { indicator = \"x2\"; year = 2020; source = \"s\"; values = { P = 1.0; Q = 2.0; }; } );\n");
    score_fails("scen.cfg:6: indicator 'x1': P's value 1e+20 becomes 1e+110 after its denominator and transform");
}

/* libconfig 1.5 stores an integer literal past 32 bits (without L) wrapped:
 * 3000000000 read as -1294967296, a silent wrong value. Such a literal is
 * an error with its line; the extremes that fit, and L literals, read
 * exactly; digits inside names and strings are no numbers. */
static void test_integer_literals(void **state) {
    (void)state;
    write_taxonomy("", "", "1.0", "");
    write_scenario("2147483647", "-2147483648");
    ts_scenario *s;
    ts_result *r = score_ok(&s);
    assert_true(ts_dataset_get(s->data, 0, 0) == 2147483647.0);
    assert_true(ts_dataset_get(s->data, 0, 1) == -2147483648.0);
    ts_result_free(r);
    ts_scenario_free(s);
    write_scenario("3000000000L", "0x7FFFFFFF");
    r = score_ok(&s);
    assert_true(ts_dataset_get(s->data, 0, 0) == 3000000000.0);
    assert_true(ts_dataset_get(s->data, 0, 1) == 2147483647.0);
    ts_result_free(r);
    ts_scenario_free(s);
    write_scenario("3000000000", "1.0");
    score_fails("scen.cfg:5: integer 3000000000 does not fit in 32 bits, so libconfig would read a wrong value: "
                "write it with a decimal point (3000000000.0) or the suffix L (3000000000L)");
    write_scenario("-2147483649", "1.0");
    score_fails("scen.cfg:5: integer -2147483649 does not fit in 32 bits");
    write_scenario("0x80000000", "1.0");
    score_fails("scen.cfg:5: integer 0x80000000 does not fit in 32 bits");
    /* a name and a string full of digits, and a comment with a big one */
    tu_write("tax.cfg", "id = \"t99999999999\"; name = \"12345678901234567890\"; # 99999999999999\n"
                        "/* 0xFFFFFFFFFF */ children = ( { id = \"x1\"; direction = \"risk\"; },\n"
                        " { id = \"x2\"; direction = \"risk\"; }, { id = \"y1\"; direction = \"risk\"; },\n"
                        " { id = \"y2\"; direction = \"risk\"; } ); // 88888888888\n");
    write_scenario("1.0", "2.0");
    r = score_ok(&s);
    ts_result_free(r);
    ts_scenario_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgeometric_at_the_bottom), cmocka_unit_test(test_protective_geometric_at_the_top),
        cmocka_unit_test(test_domain_error_says_why),
        cmocka_unit_test(test_huge_and_tiny_numbers),    cmocka_unit_test(test_genmean_p),
        cmocka_unit_test(test_denominator_overflow), cmocka_unit_test(test_integer_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
