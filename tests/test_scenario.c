/* test_scenario.c -- scenario files end to end through the pipeline, on a
 * fixture scored by hand, and every kind of bad scenario.
 *
 * Hand computation (scale 0-10):
 *   x1 goalposts 0-10:   P 2, Q 8, R 5
 *   x2 protective minmax over 10..30: P 10, Q 5, R 0
 *   y1 goalposts 0-100:  P 5, Q 10, R missing
 *   y2 minmax over 1..3: P 0, Q 10, R 5
 *   a = mean(x1, x2):    P 6, Q 6.5, R 2.5
 *   b = geomean(y1, y2): P 0 (a zero), Q 10, R 5 (y1 missing: y2 alone)
 *   index = (1*a + 3*b)/4: P 1.5, Q 9.125, R 4.375; ranks Q 1, R 2, P 3. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "fixtures.h"
#include "pipeline.h"
#include "scenario.h"
#include "trace.h"

#define EPS 1e-12

static ts_scenario *load(const char *extra, ts_error *err) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    char text[8192];
    snprintf(text, sizeof text, "%s%s", FIX_SCENARIO_HEAD, extra);
    ts_scenario *made = NULL;
    ts_scenario_load(tu_write("scen.cfg", text), &made, err);
    return made;
}

static double score_of(const ts_scenario *s, const ts_result *r, const char *node, const char *unit) {
    int k = ts_taxonomy_find(s->tax, node), u = ts_dataset_find_unit(s->data, unit);
    assert_true(k >= 0 && u >= 0);
    return ts_result_score(r, k, u);
}

static int rank_of(const ts_scenario *s, const ts_result *r, const char *node, const char *unit) {
    return ts_result_rank(r, ts_taxonomy_find(s->tax, node), ts_dataset_find_unit(s->data, unit));
}

static void test_fixture_scores(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = load("", &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_non_null(r);
    assert_float_equal(score_of(s, r, "x2", "P"), 10, EPS);
    assert_float_equal(score_of(s, r, "a", "Q"), 6.5, EPS);
    assert_float_equal(score_of(s, r, "b", "P"), 0, EPS);
    assert_float_equal(score_of(s, r, "b", "Q"), 10, EPS);
    assert_float_equal(score_of(s, r, "b", "R"), 5, EPS);
    assert_float_equal(score_of(s, r, "t", "P"), 1.5, EPS);
    assert_float_equal(score_of(s, r, "t", "Q"), 9.125, EPS);
    assert_float_equal(score_of(s, r, "t", "R"), 4.375, EPS);
    assert_int_equal(rank_of(s, r, "t", "Q"), 1);
    assert_int_equal(rank_of(s, r, "t", "R"), 2);
    assert_int_equal(rank_of(s, r, "t", "P"), 3);
    assert_true(isnan(score_of(s, r, "y1", "R")));
    assert_int_equal(rank_of(s, r, "y1", "R"), 0);
    int root = ts_taxonomy_root(s->tax), R = ts_dataset_find_unit(s->data, "R");
    assert_float_equal(ts_result_coverage(r, root, R), 0.75, EPS);
    assert_float_equal(ts_result_coverage(r, ts_taxonomy_find(s->tax, "b"), R), 0.5, EPS);
    assert_string_equal(ts_taxonomy_class(s->tax, root, 9.125), "High");
    /* provenance */
    int y1 = s->tax->nodes[ts_taxonomy_find(s->tax, "y1")].indicator;
    const ts_provenance *p = &s->data->prov[(size_t)y1 * 3 + 0];
    assert_string_equal(p->source, "s3");
    assert_int_equal(p->year, 2021);
    assert_int_equal(p->line, 7);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_ties_share_lowest_rank(void **state) {
    (void)state;
    ts_error err;
    /* x1 ties P and Q at 8 */
    ts_scenario *s = load("", &err);
    assert_non_null(s);
    s->data->values[0] = 8;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_int_equal(rank_of(s, r, "x1", "P"), 1);
    assert_int_equal(rank_of(s, r, "x1", "Q"), 1);
    assert_int_equal(rank_of(s, r, "x1", "R"), 3);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_weight_overrides(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = load("weights = { b = 1.0; };\ncountry_weights = { P = { a = 3.0; }; };\n", &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_float_equal(score_of(s, r, "t", "Q"), (6.5 + 10) / 2, EPS);
    assert_float_equal(score_of(s, r, "t", "P"), (3 * 6 + 0) / 4.0, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_method_overrides(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = load("method = { aggregate = \"arithmetic\"; };\n"
                          "node_methods = { y2 = { normalise = \"rank\"; }; };\n", &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_non_null(r);
    /* b arithmetic now: P (5 + rank 1)/2 = 3 */
    assert_float_equal(score_of(s, r, "y2", "P"), 1, EPS);
    assert_float_equal(score_of(s, r, "b", "P"), 3, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_latest_year_wins(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = load("", &err);
    ts_scenario_free(s);
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *text =
        "name = \"Years\"; taxonomy = \"tax.cfg\";\n"
        "units = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
        "data = (\n"
        " { indicator = \"x1\"; year = 2022; source = \"new\"; values = { P = 9; }; },\n"
        " { indicator = \"x1\"; year = 2020; source = \"old\"; values = { P = 1; Q = 2; }; },\n"
        " { indicator = \"x2\"; year = 2020; source = \"s\"; values = { P = 1; Q = 2; }; },\n"
        " { indicator = \"y2\"; year = 2020; source = \"s\"; values = { P = 1; Q = { value = 2; year = 2021;\n"
        "     source = \"own\"; estimate = true; note = \"because\";\n"
        "     alternatives = ( { value = 2.5; year = 2021; source = \"alt\"; } ); }; }; }\n"
        ");\n";
    ts_scenario_load(tu_write("years.cfg", text), &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_float_equal(ts_dataset_get(s->data, 0, 0), 9, 0);
    assert_string_equal(s->data->prov[0].source, "new");
    assert_float_equal(ts_dataset_get(s->data, 0, 1), 2, 0);
    const ts_provenance *q = &s->data->prov[3 * 2 + 1];
    assert_true(q->flags & TS_VALUE_ESTIMATE);
    assert_string_equal(q->note, "because");
    assert_int_equal(q->n_alternatives, 1);
    assert_float_equal(q->alternatives[0].value, 2.5, 0);
    ts_scenario_free(s);
}

typedef struct bad_case {
    const char *extra;   /* appended to the fixture scenario, or a whole file when it starts with '!' */
    const char *expect;
} bad_case;

static const bad_case BAD[] = {
    {"wieghts = { a = 1; };\n", "scen.cfg:10: unknown key 'wieghts' (did you mean 'weights'?)"},
    {"weights = { aa = 1; };\n", "scen.cfg:10: unknown node 'aa' in taxonomy 't' (did you mean 'a'?)"},
    {"weights = { a = -1; };\n", "scen.cfg:10: weight of 'a' is negative"},
    {"weights = { a = 0; b = 0; };\n", "scen.cfg:10: all weights of the children of 't' are zero"},
    {"country_weights = { P = { x1 = 0; x2 = 0.0; }; };\n",
     "scen.cfg:10: all weights of the children of 'a' are zero for 'P'"},
    {"country_weights = { PP = { a = 1; }; };\n", "scen.cfg:10: unknown country 'PP' (did you mean 'P'?)"},
    {"weights = { t = 2; };\n", "scen.cfg:10: the index 't' has no weight"},
    {"method = { aggregate = \"median\"; };\n", "scen.cfg:10: unknown aggregator 'median'"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x3\"; year = 2020; source = \"s\"; values = { P = 1; }; } );\n",
     "scen.cfg:3: unknown indicator 'x3' in taxonomy 't' (did you mean 'x1'?)"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"a\"; year = 2020; source = \"s\"; values = { P = 1; }; } );\n",
     "scen.cfg:3: unknown indicator 'a'"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; year = 2020; source = \"s\";\n values = { Z = 1; }; } );\n",
     "scen.cfg:4: unknown country 'Z'"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; },\n { id = \"P\"; } );\n",
     "scen.cfg:3: duplicate unit 'P'"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; year = 2020; source = \"s\";\n values = { P = \"abc\"; }; } );\n",
     "scen.cfg:4: value of 'x1' for 'P' must be a number, not a string"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; year = 2020; source = \"s\";\n values = { P = 1e400; }; } );\n",
     "scen.cfg:4: value of 'x1' for 'P' is not a finite number"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; year = 2020;\n values = { P = 1; }; } );\n",
     "scen.cfg:4: value of 'x1' for 'P' has no source"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; source = \"s\";\n values = { P = 1; }; } );\n",
     "scen.cfg:4: value of 'x1' for 'P' has no year"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; source = \"s\"; year = 2020;\n values = { P = { value = 1; estimate = true; }; }; } );\n",
     "scen.cfg:4: value of 'x1' for 'P' is an estimate without a note"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n"
     "data = ( { indicator = \"x1\"; source = \"s\"; year = 2020; values = { P = 1; }; },\n"
     " { indicator = \"x1\"; source = \"t\"; year = 2020; values = { P = 2; }; } );\n",
     "scen.cfg:4: duplicate value of 'x1' for 'P' in 2020 (first on line 3)"},
    {"!name = \"X\"; taxonomy = \"nothere.cfg\";\nunits = ( { id = \"P\"; } );\n", "nothere.cfg: cannot open"},
    {"!taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } );\n", "scen.cfg: scenario has no name"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; } ;\n", "scen.cfg:2: syntax error"},
    {"!name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P`rm`\"; } );\n", "scen.cfg:2: invalid unit id 'P`rm`'"},
};

static void test_bad_scenarios(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        ts_error err;
        ts_error_clear(&err);
        ts_scenario *s;
        if (BAD[i].extra[0] == '!') ts_scenario_load(tu_write("scen.cfg", BAD[i].extra + 1), &s, &err);
        else s = load(BAD[i].extra, &err);
        char msg[2048];
        ts_error_format(&err, msg, sizeof msg);
        if (s || !strstr(msg, BAD[i].expect))
            fail_msg("case %zu: expected '%s', got '%s'", i, BAD[i].expect, s ? "success" : msg);
        assert_int_equal(err.code, TS_EINPUT);
    }
}

/* Errors the pipeline finds in data that loads fine. */
static void test_scoring_errors(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    struct {
        const char *text, *expect;
    } cases[] = {
        {"name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
         "data = ( { indicator = \"x2\"; year = 2020; source = \"s\"; values = { P = 4; Q = 4; }; } );\n",
         "tax.cfg:7: indicator 'x2' is constant (4 for all 2 units with data): minmax is undefined"},
        {"name = \"X\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
         "node_methods = { y2 = { normalise = \"zscore\"; }; };\n"
         "data = ( { indicator = \"y2\"; year = 2020; source = \"s\"; values = { P = 4; Q = 5; }; } );\n",
         "tax.cfg:8: node 'b' takes the geometric mean, which needs values >= 0, but its child 'y2' scores "
         "-0.70710678118654746 for unit 'P': it is normalised by zscore"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ts_error err;
        ts_error_clear(&err);
        ts_scenario *s = NULL;
        ts_scenario_load(tu_write("scen.cfg", cases[i].text), &s, &err);
        if (!s) fail_msg("case %zu: %s", i, err.message);
        ts_result *r = NULL;
        ts_score(s, &r, &err);
        char msg[2048];
        ts_error_format(&err, msg, sizeof msg);
        if (r || !strstr(msg, cases[i].expect))
            fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].expect, r ? "success" : msg);
        ts_scenario_free(s);
    }
}

static void test_extends_and_shocks(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("scen.cfg", FIX_SCENARIO_HEAD "weights = { b = 2.0; };\n");
    const char *child = tu_write("child.cfg",
        "name = \"Child\";\n"
        "extends = \"scen.cfg\";\n"
        "units = ( { id = \"S\"; } );\n"
        "data = ( { indicator = \"x1\"; year = 2020; source = \"newer source\"; values = { P = 3; S = 4; }; } );\n"
        "country_weights = { Q = { a = 0.5; }; };\n"
        "shocks = (\n"
        "  { indicator = \"x2\"; countries = [\"Q\"]; scale = 2.0; note = \"doubled\"; },\n"
        "  { indicator = \"y1\"; countries = [\"R\"]; set = 70.0; years = [2024]; create = true; note = \"assumed\"; }\n"
        ");\n");
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(child, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_string_equal(s->name, "Child");
    assert_int_equal(s->n_files, 2);
    assert_int_equal(s->data->n_units, 4);
    assert_string_not_equal(s->scenario_sha256, s->data_sha256);
    const ts_dataset *d = s->data;
    int S = ts_dataset_find_unit(d, "S"), Q = 1, R = 2;
    assert_float_equal(ts_dataset_get(d, 0, 0), 3, 0);          /* overridden */
    assert_string_equal(d->prov[0].source, "newer source");
    assert_float_equal(ts_dataset_get(d, 0, S), 4, 0);
    assert_float_equal(ts_dataset_get(d, 1, Q), 40, 0);         /* 20 x 2 */
    assert_true(d->prov[1 * 4 + Q].flags & TS_VALUE_SHOCKED);
    assert_non_null(strstr(d->prov[1 * 4 + Q].shock, "scale 2 (child.cfg:7: doubled)"));
    assert_float_equal(ts_dataset_get(d, 2, R), 70, 0);         /* set where missing */
    assert_int_equal(d->prov[2 * 4 + R].year, 2024);
    assert_non_null(strstr(d->prov[2 * 4 + R].source, "created"));  /* says so */
    assert_non_null(strstr(d->prov[2 * 4 + R].shock, "created by the shock"));
    int b = ts_taxonomy_find(s->tax, "b"), a = ts_taxonomy_find(s->tax, "a");
    assert_float_equal(s->spec->weight[b], 2, 0);               /* inherited */
    assert_float_equal(ts_spec_weight(s->spec, Q, a), 0.5, 0);
    ts_scenario_free(s);
}

static void test_bad_chains_and_shocks(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("scen.cfg", FIX_SCENARIO_HEAD);
    tu_write("loop_a.cfg", "name = \"A\"; extends = \"loop_b.cfg\";\n");
    tu_write("loop_b.cfg", "name = \"B\";\nextends = \"loop_a.cfg\";\n");
    struct {
        const char *file, *text, *expect;
    } cases[] = {
        {"loop_a.cfg", NULL, "loop_b.cfg:2: extends cycle"},
        {"orphan.cfg", "name = \"O\"; extends = \"nowhere.cfg\";\n", "nowhere.cfg: cannot open"},
        {"s1.cfg", "name = \"S\"; extends = \"scen.cfg\";\nshocks = ( { indicator = \"x1\"; scale = 2.0; } );\n",
         "s1.cfg:2: a shock needs a note"},
        {"s2.cfg", "name = \"S\"; extends = \"scen.cfg\";\nshocks = ( { indicator = \"x1\"; scale = 2.0; add = 1.0; note = \"n\"; } );\n",
         "s2.cfg:2: a shock takes one of scale, add or set, not two"},
        {"s3.cfg", "name = \"S\"; extends = \"scen.cfg\";\nshocks = ( { indicator = \"x1\"; note = \"n\"; } );\n",
         "s3.cfg:2: a shock needs one of scale, add or set"},
        {"s4.cfg", "name = \"S\"; extends = \"scen.cfg\";\nshocks = ( { indicator = \"x1\"; countries = [\"QQ\"]; add = 1.0; note = \"n\"; } );\n",
         "s4.cfg:2: unknown country 'QQ' (did you mean 'Q'?)"},
        {"s5.cfg", "name = \"S\"; extends = \"scen.cfg\";\nshocks = ( { indicator = \"x9\"; add = 1.0; note = \"n\"; } );\n",
         "s5.cfg:2: unknown indicator 'x9'"},
        {"s6.cfg", "name = \"S\"; extends = \"scen.cfg\";\nshocks = ( { indicator = \"x1\"; scale = 1e60; note = \"n\"; },\n"
                   " { indicator = \"x1\"; scale = 1e60; note = \"n\"; } );\n",
         "s6.cfg:3: shock makes 'x1' for 'P' 2e+120, larger than 1e+100"},
        {"s7.cfg", "name = \"S\"; extends = \"scen.cfg\";\nunits = ( { id = \"P\"; } );\n", "s7.cfg:2: duplicate unit 'P'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *path = cases[i].text ? tu_write(cases[i].file, cases[i].text) : tu_path(cases[i].file);
        ts_error err;
        ts_error_clear(&err);
        ts_scenario *s = NULL;
        ts_scenario_load(path, &s, &err);
        char msg[2048];
        ts_error_format(&err, msg, sizeof msg);
        if (s || !strstr(msg, cases[i].expect))
            fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].expect, s ? "success" : msg);
    }
}

/* Scores the fixture with extra scenario text; fails the test on error. */
static ts_result *score_with(const char *extra, ts_scenario **out) {
    ts_error err;
    ts_scenario *s = load(extra, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    *out = s;
    return r;
}

static void test_pipeline_options(void **state) {
    (void)state;
    ts_scenario *s;
    /* mean imputation: R's y1 = mean(50, 100) = 75 -> 7.5, flagged up the tree */
    ts_result *r = score_with("method = { impute = \"mean\"; };\n", &s);
    int R = 2, root = ts_taxonomy_root(s->tax), y1 = ts_taxonomy_find(s->tax, "y1");
    assert_float_equal(score_of(s, r, "y1", "R"), 7.5, EPS);
    assert_true(r->imputed[(size_t)s->tax->nodes[y1].indicator * 3 + R]);
    assert_float_equal(r->imputed_share[(size_t)root * 3 + R], 0.25, EPS);
    assert_float_equal(r->imputed_share[(size_t)root * 3 + 0], 0, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
    /* a weight set chosen by name */
    r = score_with("weight_sets = { heavy_a = { a = 3.0; }; };\nmethod = { weights = \"heavy_a\"; };\n", &s);
    assert_float_equal(score_of(s, r, "t", "Q"), (3 * 6.5 + 3 * 10) / 6.0, EPS);
    assert_string_equal(s->spec->weight_set, "heavy_a");
    ts_result_free(r);
    ts_scenario_free(s);
    /* data threshold at b: R has 1 of 2 children, below 0.6 -> no b score */
    r = score_with("node_methods = { b = { data_threshold = 0.6; }; };\n", &s);
    assert_true(isnan(score_of(s, r, "b", "R")));
    assert_float_equal(score_of(s, r, "t", "R"), 2.5, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
    /* screening: R has 3 of 4 indicators, below 0.8 -> left out */
    r = score_with("method = { screen = 0.8; };\n", &s);
    assert_true(r->screened[R]);
    assert_true(isnan(score_of(s, r, "t", "R")));
    assert_int_equal(rank_of(s, r, "t", "R"), 0);
    ts_result_free(r);
    ts_scenario_free(s);
    /* normalise under a node only: y2 by rank, x-indicators untouched */
    r = score_with("node_methods = { b = { normalise = { method = \"rank\"; range = [1.0, 10.0]; }; }; };\n", &s);
    assert_float_equal(score_of(s, r, "y2", "P"), 1, EPS);
    assert_float_equal(score_of(s, r, "y1", "Q"), 10, EPS);
    assert_float_equal(score_of(s, r, "x1", "Q"), 8, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
    /* ts_scenario_set as the CLI's --set */
    ts_error err;
    s = load("", &err);
    assert_int_equal(ts_scenario_set(s, "aggregate", "arithmetic", "--set", &err), TS_OK);
    ts_score(s, &r, &err);
    assert_float_equal(score_of(s, r, "t", "P"), (6 + 3 * 2.5) / 4, EPS);
    ts_result_free(r);
    assert_int_equal(ts_scenario_set(s, "agregate", "x", "--set agregate=x", &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "did you mean 'aggregate'"));
    assert_int_equal(ts_scenario_set(s, "weights", "nope", "--set weights=nope", &err), TS_EINPUT);
    assert_int_equal(ts_scenario_set(s, "impute", "group_mean", "--set", &err), TS_EINPUT);
    assert_int_equal(ts_scenario_set(s, "normalise.range", "5,1", "--set", &err), TS_EINPUT);
    ts_scenario_free(s);
}

/* Several years per value: the reference year picks, carries forward or
 * interpolates, with a maximum age, and flags what it did. */
static void test_year_selection(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *base = "name = \"Y\"; taxonomy = \"tax.cfg\";\n"
                       "units = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
                       "data = (\n"
                       " { indicator = \"x1\"; year = 2019; source = \"s\"; values = { P = 1; Q = 1; }; },\n"
                       " { indicator = \"x1\"; year = 2021; source = \"s\"; values = { P = 3; }; },\n"
                       " { indicator = \"x1\"; year = 2023; source = \"s\"; values = { P = 7; }; },\n"
                       " { indicator = \"x2\"; year = 2023; source = \"s\"; values = { P = 1; Q = 2; }; }\n"
                       ");\n";
    char text[2048];
    ts_error err;
    struct {
        const char *method;
        double p, q;
        int p_selected;
    } cases[] = {
        {"", 7, 1, TS_SELECT_EXACT},                                   /* latest of each cell */
        {"method = { year = 2022; };\n", 3, 1, TS_SELECT_CARRIED},     /* carried from 2021 */
        {"method = { year = 2022; interpolate = true; };\n", 5, 1, TS_SELECT_INTERPOLATED},
        {"method = { year = 2022; max_age = 1; };\n", 3, NAN, TS_SELECT_CARRIED}, /* Q's 2019 too old */
        {"method = { year = 2021; };\n", 3, 1, TS_SELECT_EXACT},
        {"method = { year = 2018; };\n", NAN, NAN, TS_SELECT_EXACT},   /* nothing that early */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, "%s%s", base, cases[i].method);
        ts_scenario *s = NULL;
        ts_scenario_load(tu_write("years.cfg", text), &s, &err);
        if (!s) fail_msg("%s", err.message);
        double p = ts_dataset_get(s->data, 0, 0), q = ts_dataset_get(s->data, 0, 1);
        if (isnan(cases[i].p)) assert_true(isnan(p));
        else assert_float_equal(p, cases[i].p, EPS);
        if (isnan(cases[i].q)) assert_true(isnan(q));
        else assert_float_equal(q, cases[i].q, EPS);
        if (!isnan(cases[i].p)) assert_int_equal(s->data->selected[0], cases[i].p_selected);
        ts_result *r = NULL;
        ts_score(s, &r, &err);
        if (r) {
            /* carried or interpolated values count as imputed */
            assert_int_equal(r->imputed[0], cases[i].p_selected != TS_SELECT_EXACT);
            ts_result_free(r);
        }
        ts_scenario_free(s);
    }
    int years[8];
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("years.cfg", base), &s, &err);
    assert_int_equal(ts_dataset_years(s->data, years, 8), 3);
    assert_int_equal(years[0], 2019);
    assert_int_equal(years[2], 2023);
    /* --set year re-selects */
    assert_int_equal(ts_scenario_set(s, "year", "2020", "--set", &err), TS_OK);
    assert_float_equal(ts_dataset_get(s->data, 0, 0), 1, EPS);
    assert_int_equal(ts_scenario_set(s, "year", "1200", "--set", &err), TS_EINPUT);
    ts_scenario_free(s);
}

/* Perspectives: named weight profiles of the taxonomy, laid over any
 * scenario by name. */
static void test_perspectives(void **state) {
    (void)state;
    char tax[4096];
    snprintf(tax, sizeof tax, "%sperspectives = { heavy_a = { description = \"a first\"; weights = { a = 3.0; }; };\n"
                              "  only_b = { weights = { a = 0.0; }; }; };\n", FIX_TAXONOMY);
    tu_write("tax.cfg", tax);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("scen.cfg", FIX_SCENARIO_HEAD), &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->tax->n_perspectives, 2);
    assert_int_equal(ts_scenario_apply_perspective(s, "heavy_a", &err), TS_OK);
    assert_string_equal(s->name, "Fixture (perspective heavy_a)");
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_float_equal(score_of(s, r, "t", "Q"), (3 * 6.5 + 3 * 10) / 6.0, EPS);
    ts_result_free(r);
    assert_int_equal(ts_scenario_apply_perspective(s, "heavy_b", &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "did you mean 'heavy_a'"));
    ts_scenario_free(s);
    /* named in a scenario file: applied, the name kept */
    ts_scenario_load(tu_write("p.cfg", "name = \"P\"; extends = \"scen.cfg\";\nperspective = \"only_b\";\n"), &s, &err);
    if (!s) fail_msg("%s", err.message);
    assert_string_equal(s->name, "P");
    assert_string_equal(s->perspective, "only_b");
    ts_score(s, &r, &err);
    assert_float_equal(score_of(s, r, "t", "Q"), 10, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
    { ts_scenario *made = NULL; assert_int_not_equal(ts_scenario_load(tu_write("p2.cfg", "name = \"P\"; extends = \"scen.cfg\";\nperspective = \"nope\";\n"), &made, &err), TS_OK); assert_null(made); }
    assert_non_null(strstr(err.file, "p2.cfg"));
    assert_int_equal(err.line, 2);
    tu_write("tax.cfg", FIX_TAXONOMY);
}

/* PCA weights: squared loadings of the first component. Two columns always
 * split 0.5 / 0.5; a node with fewer than 3 complete units keeps its
 * weights. Effective weights at the index add up to 1. */
static void test_pca_and_effective_weights(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = load("", &err);
    assert_int_equal(ts_scenario_set(s, "weights", "pca", "--set", &err), TS_OK);
    const ts_spec *sp = s->spec;
    assert_float_equal(sp->weight[ts_taxonomy_find(s->tax, "x1")], 0.5, 1e-12);
    assert_float_equal(sp->weight[ts_taxonomy_find(s->tax, "x2")], 0.5, 1e-12);
    assert_float_equal(sp->weight[ts_taxonomy_find(s->tax, "y1")], 1, 0); /* only P and Q have y1 */
    assert_string_equal(sp->weight_set, "pca");
    double w[4], sum = 0;
    ts_effective_weights(s, -1, w);
    for (int i = 0; i < 4; i++) sum += w[i];
    assert_float_equal(sum, 1, 1e-12);
    assert_float_equal(w[0], 0.125, 1e-12); /* a is 1/4 of the index, x1 half of a */
    ts_scenario_free(s);
    /* weights = "pca" in a scenario file is computed once the values are in */
    s = load("method = { weights = \"pca\"; };\n", &err);
    if (!s) fail_msg("%s", err.message);
    assert_float_equal(s->spec->weight[ts_taxonomy_find(s->tax, "x1")], 0.5, 1e-12);
    ts_scenario_free(s);
}

/* ts_trace_unit on plain arrays, worked by hand. Pre-order tree: 0 root
 * (geometric) over 1 a (arithmetic over 2 x and 3 y), 4 z and 5 w (no
 * score). Weights a 1, x 1, y 3, z 2, w 1; scores x 4, y 8, so a = 7, z 2.
 * At the root sum(w x) over a and z is 1*7 + 2*2 = 11, so a carries 7/11
 * of the root's score S and z 4/11; inside a, x carries 1/4*4 = 4 of a's 7
 * (S/11) and y 6 of 7 (6S/11). Effective weights: a 1/3, x 1/12, y 1/4,
 * z 2/3, w 0 (no part). */
static void test_trace_by_hand(void **state) {
    (void)state;
    const int parent[] = {-1, 0, 1, 1, 0, 0};
    const unsigned char arithmetic[] = {0, 1, 1, 1, 1, 1};
    const double weight[] = {1, 1, 1, 3, 2, 1};
    double S = pow(7, 1.0 / 3) * pow(2, 2.0 / 3);
    double score[] = {S, 7, 4, 8, 2, NAN};
    ts_trace *t = ts_trace_new(6, parent, arithmetic);
    assert_non_null(t);
    ts_trace_unit(t, 0, weight, score);
    assert_int_equal(t->n_subtree, 6);
    for (int k = 0; k < 6; k++) assert_int_equal(t->subtree[k], k);
    assert_int_equal(t->n_split, 1);
    assert_int_equal(t->split[0], 0);
    const double part[] = {S, 7 * S / 11, S / 11, 6 * S / 11, 4 * S / 11};
    const double eff[] = {1, 1.0 / 3, 1.0 / 12, 1.0 / 4, 2.0 / 3, 0};
    for (int k = 0; k < 5; k++) assert_float_equal(t->contribution[k], part[k], EPS);
    for (int k = 0; k < 6; k++) assert_float_equal(t->effective_weight[k], eff[k], EPS);
    assert_true(isnan(t->contribution[5]));
    assert_float_equal(t->contribution[2] + t->contribution[3] + t->contribution[4], S, EPS);
    /* traced to a: the rest of the tree is left as it was */
    for (int k = 0; k < 6; k++) t->contribution[k] = t->effective_weight[k] = -1;
    ts_trace_unit(t, 1, weight, score);
    assert_int_equal(t->n_subtree, 3);
    assert_int_equal(t->n_split, 0);
    assert_float_equal(t->contribution[2], 1, EPS);
    assert_float_equal(t->contribution[3], 6, EPS);
    assert_float_equal(t->effective_weight[3], 0.75, EPS);
    assert_true(t->contribution[0] == -1 && t->contribution[4] == -1 && t->effective_weight[5] == -1);
    /* a zero weight or a missing score takes a child's part away, and
       everything under it; a top without a score has no parts at all */
    const double zero_a[] = {1, 0, 1, 3, 2, 1};
    ts_trace_unit(t, 0, zero_a, score);
    assert_true(isnan(t->contribution[1]) && isnan(t->contribution[2]) && isnan(t->contribution[3]));
    assert_float_equal(t->effective_weight[4], 1, EPS);
    assert_float_equal(t->contribution[4], S, EPS); /* z alone: S * 2*2 / 4 */
    score[0] = NAN;
    ts_trace_unit(t, 0, weight, score);
    assert_int_equal(t->n_subtree, 6);
    for (int k = 0; k < 6; k++) assert_true(isnan(t->contribution[k]) && t->effective_weight[k] == 0);
    ts_trace_free(t);
}

/* direction on an aggregate reflects its score within the scale */
static void test_aggregate_direction(void **state) {
    (void)state;
    tu_write("tax.cfg",
             "id = \"t\"; scale = { min = 0.0; max = 10.0; };\n"
             "children = ( { id = \"cap\"; direction = \"protective\"; children = (\n"
             "  { id = \"c1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); },\n"
             "  { id = \"r1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } );\n");
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("dir.cfg", "name = \"D\"; taxonomy = \"tax.cfg\";\n"
                                                          "units = ( { id = \"P\"; } );\n"
                                                          "data = ( { indicator = \"c1\"; year = 2020; source = \"s\"; values = { P = 8; }; },\n"
                                                          " { indicator = \"r1\"; year = 2020; source = \"s\"; values = { P = 4; }; } );\n"), &s,
                                      &err);
    if (!s) fail_msg("%s", err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_float_equal(score_of(s, r, "cap", "P"), 2, EPS);
    assert_float_equal(score_of(s, r, "t", "P"), 3, EPS);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_shipped_baseline(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load("scenarios/baseline.cfg", &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, 5);
    const char *units[] = {"KAZ", "KGZ", "TJK", "TKM", "UZB"};
    for (int i = 0; i < 5; i++) assert_true(ts_dataset_find_unit(s->data, units[i]) >= 0);
    /* every value present carries a source and a year */
    size_t cells = (size_t)s->data->n_units * (size_t)s->tax->n_indicators;
    for (size_t c = 0; c < cells; c++)
        if (!isnan(s->data->values[c])) {
            assert_non_null(s->data->prov[c].source);
            assert_true(s->data->prov[c].year >= 1990);
        }
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_non_null(r);
    ts_result_free(r);
    ts_scenario_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_scores),   cmocka_unit_test(test_ties_share_lowest_rank),
        cmocka_unit_test(test_weight_overrides), cmocka_unit_test(test_method_overrides),
        cmocka_unit_test(test_latest_year_wins), cmocka_unit_test(test_bad_scenarios),
        cmocka_unit_test(test_scoring_errors),   cmocka_unit_test(test_shipped_baseline),
        cmocka_unit_test(test_extends_and_shocks), cmocka_unit_test(test_bad_chains_and_shocks),
        cmocka_unit_test(test_pipeline_options), cmocka_unit_test(test_aggregate_direction),
        cmocka_unit_test(test_year_selection),   cmocka_unit_test(test_perspectives),
        cmocka_unit_test(test_pca_and_effective_weights), cmocka_unit_test(test_trace_by_hand),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
