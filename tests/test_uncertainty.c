/* test_uncertainty.c -- the uncertainty analysis: Sobol' estimators on
 * models with known indices, percentiles worked by hand, nominal scores
 * equal to the pipeline's, determinism across thread counts, spec errors
 * with file:line, and the store's single transaction. */
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "import.h"
#include "pipeline.h"
#include "sobol.h"
#include "ua_internal.h" /* ts_ua_nominal_scores */
#include "uncertainty.h"

/* Runs the Saltelli design of model f (k inputs in [0,1)) with n base
 * samples, outputs centred on centre, and checks the estimates against s1 and st within tol. */
static void check_model(double (*f)(const double *), int k, int n, double centre, const double *s1, const double *st,
                        double tol) {
    ts_sobol_seq *q = ts_sobol_seq_new(2 * k);
    ts_sobol_acc *a = ts_sobol_acc_new(1, k, 200, 7, &centre);
    assert_non_null(q);
    assert_non_null(a);
    double x[16], ab[8], fa, fb, fab[8];
    for (int j = 0; j < n; j++) {
        ts_sobol_seq_point(q, (uint32_t)(j + 1), x);
        fa = f(x);
        fb = f(x + k);
        for (int i = 0; i < k; i++) {
            memcpy(ab, x, (size_t)k * sizeof *ab);
            ab[i] = x[k + i];
            fab[i] = f(ab);
        }
        ts_sobol_acc_add(a, (uint64_t)j, &fa, &fb, fab);
    }
    for (int i = 0; i < k; i++) {
        double e1, et, ci[4];
        ts_sobol_acc_indices(a, 0, i, &e1, &et, ci);
        if (fabs(e1 - s1[i]) > tol || fabs(et - st[i]) > tol)
            fail_msg("factor %d: S1 %.4f (want %.4f), ST %.4f (want %.4f)", i, e1, s1[i], et, st[i]);
        /* the bootstrap intervals bracket the estimate and are narrow */
        assert_true(ci[0] <= e1 && e1 <= ci[1]);
        assert_true(ci[2] <= et && et <= ci[3]);
        if (!(ci[1] - ci[0] < 6 * tol && ci[3] - ci[2] < 6 * tol))
            fail_msg("factor %d: wide intervals S1 [%.4f, %.4f], ST [%.4f, %.4f]", i, ci[0], ci[1], ci[2], ci[3]);
    }
    ts_sobol_acc_free(a);
    ts_sobol_seq_free(q);
}

static double linear(const double *x) {
    return 1 * x[0] + 2 * x[1] + 3 * x[2];
}

static double ishigami(const double *u) {
    double x1 = M_PI * (2 * u[0] - 1), x2 = M_PI * (2 * u[1] - 1), x3 = M_PI * (2 * u[2] - 1);
    return sin(x1) + 7 * sin(x2) * sin(x2) + 0.1 * pow(x3, 4) * sin(x1);
}

static void test_sobol_linear(void **state) {
    (void)state;
    /* Y = sum a_i X_i, X_i ~ U(0,1): S1_i = ST_i = a_i^2 / sum a^2 */
    double s[3] = {1 / 14.0, 4 / 14.0, 9 / 14.0};
    check_model(linear, 3, 4096, 3.0, s, s, 0.02); /* centred on E[Y], as the analysis centres on the nominal */
}

static void test_sobol_ishigami(void **state) {
    (void)state;
    /* a = 7, b = 0.1 (Saltelli et al. 2010 and Sobol' & Levitan 1999) */
    double a = 7, b = 0.1, pi4 = pow(M_PI, 4), pi8 = pow(M_PI, 8);
    double v1 = 0.5 * (1 + b * pi4 / 5) * (1 + b * pi4 / 5), v2 = a * a / 8;
    double v = v1 + v2 + b * b * pi8 / 18 - b * b * pi8 / 50;
    double vt3 = 8 * b * b * pi8 / 225;
    double s1[3] = {v1 / v, v2 / v, 0}, st[3] = {(v1 + vt3) / v, v2 / v, vt3 / v};
    assert_true(fabs(s1[0] - 0.3139) < 1e-3 && fabs(st[2] - 0.2437) < 1e-3);
    check_model(ishigami, 3, 16384, 3.5, s1, st, 0.03);
}

static void test_sobol_sequence(void **state) {
    (void)state;
    /* dimension 0 is van der Corput's; every coordinate of the first 2^m
       points is a permutation of the 2^m-grid (a (0,m,1)-net per axis) */
    ts_sobol_seq *q = ts_sobol_seq_new(40);
    double x[40];
    ts_sobol_seq_point(q, 1, x);
    assert_true(x[0] == 0.5);
    ts_sobol_seq_point(q, 3, x);
    assert_true(x[0] == 0.75);
    for (int d = 0; d < 40; d++) {
        int seen[64] = {0};
        for (uint32_t i = 0; i < 64; i++) {
            ts_sobol_seq_point(q, i, x);
            int cell = (int)(x[d] * 64);
            assert_true(cell >= 0 && cell < 64);
            seen[cell]++;
        }
        for (int c = 0; c < 64; c++) assert_int_equal(seen[c], 1);
    }
    ts_sobol_seq_free(q);
}

static void test_percentiles(void **state) {
    (void)state;
    /* type 7, as numpy.percentile: sample 1, 2, 3, 4 */
    uint32_t a[4] = {1, 1, 1, 1};
    assert_true(fabs(ts_ua_count_quantile(a, 4, 1, 0.05) - 1.15) < 1e-12);
    assert_true(fabs(ts_ua_count_quantile(a, 4, 1, 0.50) - 2.5) < 1e-12);
    assert_true(fabs(ts_ua_count_quantile(a, 4, 1, 0.95) - 3.85) < 1e-12);
    /* sample 1, 1, 1, 3: p50 = 1, p95 = 1 + 0.85 * 2 = 2.7 */
    uint32_t b[3] = {3, 0, 1};
    assert_true(ts_ua_count_quantile(b, 3, 1, 0.5) == 1.0);
    assert_true(fabs(ts_ua_count_quantile(b, 3, 1, 0.95) - 2.7) < 1e-12);
    assert_true(ts_ua_count_quantile(b, 3, 1, 0.0) == 1.0);
    assert_true(ts_ua_count_quantile(b, 3, 1, 1.0) == 3.0);
    /* one observation; an empty sample */
    uint32_t c[2] = {0, 5};
    assert_true(ts_ua_count_quantile(c, 2, 1, 0.05) == 2.0);
    uint32_t z[2] = {0, 0};
    assert_true(isnan(ts_ua_count_quantile(z, 2, 1, 0.5)));
}

#define UA_FIXTURE_SPEC                                                                              \
    "uncertainty = {\n"                                                                              \
    "  weights = { vary = 0.25; };\n"                                                                \
    "  normalise = ( { method = \"minmax\"; range = [1.0, 10.0]; }, { method = \"rank\"; range = [1.0, 10.0]; } );\n" \
    "  aggregate = [ \"arithmetic\", \"geometric\" ];\n"                                             \
    "};\n"

static ts_scenario *fixture(const char *extra) {
    char buf[8192];
    tu_write("tax.cfg", FIX_TAXONOMY);
    snprintf(buf, sizeof buf, "%s%s", FIX_SCENARIO_HEAD, extra);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("ua.cfg", buf), &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    return s;
}

/* Checks that evaluator and pipeline agree bit for bit on s. */
static void check_nominal(const ts_scenario *s) {
    ts_error err;
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) fail_msg("%s", err.message);
    size_t cells = (size_t)r->n_nodes * (size_t)r->n_units;
    double *x = malloc(cells * sizeof *x);
    if (ts_ua_nominal_scores(s, x, &err)) fail_msg("%s", err.message);
    for (size_t c = 0; c < cells; c++) {
        double a = r->score[c];
        if (!(isnan(a) && isnan(x[c])) && memcmp(&a, &x[c], sizeof a) != 0)
            fail_msg("cell %zu: pipeline %.17g, evaluator %.17g", c, a, x[c]);
    }
    free(x);
    ts_result_free(r);
}

static void test_nominal_equals_score(void **state) {
    (void)state;
    ts_scenario *s = fixture("");
    check_nominal(s); /* arithmetic and a geometric node, a missing value */
    ts_error err;
    assert_int_equal(ts_scenario_set(s, "aggregate", "geometric", "test", &err), TS_OK);
    assert_int_equal(ts_scenario_set(s, "normalise.range", "1,10", "test", &err), TS_OK);
    check_nominal(s);
    assert_int_equal(ts_scenario_set(s, "aggregate", "harmonic", "test", &err), TS_OK);
    check_nominal(s);
    ts_scenario_free(s);
    /* COINr's ASEM example, four ways */
    tu_need(TU_DATA "/coinr-asem/asem_iData.csv");
    tu_need(TU_DATA "/coinr-asem/asem_iMeta.csv");
    const char *t = tu_path("asem_tax.cfg"), *sc = tu_path("asem.cfg");
    assert_int_equal(ts_import_coinr(TU_DATA "/coinr-asem/asem_iData.csv", TU_DATA "/coinr-asem/asem_iMeta.csv", t,
                                     sc, &err),
                     TS_OK);
    static const char *const sets[][2] = {{"treat", "none"}, {"normalise.range", "1,100"}, {"aggregate", "geometric"},
                                          {"normalise", "rank"}, {"normalise.range", "1,100"}, {"treat", "coinr"}};
    ts_scenario_load(sc, &s, &err);
    if (!s) fail_msg("%s", err.message);
    check_nominal(s);
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        assert_int_equal(ts_scenario_set(s, sets[i][0], sets[i][1], "test", &err), TS_OK);
        check_nominal(s);
    }
    ts_scenario_free(s);
}

/* Runs the fixture's analysis with threads and returns the result. */
static ts_ua_result *run(const ts_scenario *s, int threads, int sobol, long n) {
    ts_ua_spec *u;
    ts_error err;
    if (ts_ua_spec_load(s, &u, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_ua_options opt;
    ts_ua_options_default(&opt);
    opt.n = n;
    opt.seed = 42;
    opt.threads = threads;
    opt.sobol = sobol;
    opt.bootstrap = 20;
    ts_ua_result *r;
    if (ts_ua_run(s, u, &opt, &r, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_ua_spec_free(u);
    return r;
}

static void same(const double *a, const double *b, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++)
        if (!(isnan(a[i]) && isnan(b[i])) && memcmp(&a[i], &b[i], sizeof *a) != 0)
            fail_msg("%s[%zu]: %.17g vs %.17g", what, i, a[i], b[i]);
}

static void check_same(const ts_ua_result *a, const ts_ua_result *b, int sobol) {
    assert_int_equal(a->n_rows, b->n_rows);
    size_t c = (size_t)a->n_units * (size_t)a->n_rows;
    same(a->nominal_score, b->nominal_score, c, "nominal");
    same(a->mean_score, b->mean_score, c, "mean");
    same(a->median_score, b->median_score, c, "median");
    same(a->rank_p05, b->rank_p05, c, "p05");
    same(a->rank_p50, b->rank_p50, c, "p50");
    same(a->rank_p95, b->rank_p95, c, "p95");
    same(a->class_prob, b->class_prob, c * (size_t)(a->max_classes + 1), "classes");
    if (sobol) {
        size_t ns = c * 2 * (size_t)a->n_factors;
        same(a->s1, b->s1, ns, "s1");
        same(a->st, b->st, ns, "st");
        same(a->st_lo, b->st_lo, ns, "st_lo");
    }
}

static void test_determinism(void **state) {
    (void)state;
    ts_scenario *s = fixture(UA_FIXTURE_SPEC);
    ts_ua_result *a = run(s, 1, 0, 5000), *b = run(s, 2, 0, 5000), *c = run(s, 3, 0, 5000);
    check_same(a, b, 0);
    check_same(a, c, 0);
    /* something actually varies, and the class probabilities add up */
    int root = ts_taxonomy_root(s->tax);
    int moved = 0;
    for (int u = 0; u < 3; u++) moved |= a->mean_score[ts_ua_cell(a, root, u)] != a->nominal_score[ts_ua_cell(a, root, u)];
    assert_true(moved);
    for (int u = 0; u < 3; u++) {
        double p = 0;
        for (int k = 0; k <= a->max_classes; k++) {
            double x = a->class_prob[ts_ua_cell(a, root, u) * (size_t)(a->max_classes + 1) + (size_t)k];
            if (!isnan(x)) p += x;
        }
        assert_true(fabs(p - 1) < 1e-12);
    }
    ts_ua_result_free(a);
    ts_ua_result_free(b);
    ts_ua_result_free(c);
    a = run(s, 1, 1, 300);
    b = run(s, 2, 1, 300);
    check_same(a, b, 1);
    assert_int_equal(a->evaluations, 300 * (3 + 2));
    ts_ua_result_free(a);
    ts_ua_result_free(b);
    ts_scenario_free(s);
}

static void test_ua_statistics(void **state) {
    (void)state;
    /* only the aggregator varies: every unit's index score takes one of two
       values, so the mean is their average weighted by how often each came
       up, and the median is one of them up to the histogram's resolution */
    ts_scenario *s = fixture("uncertainty = { aggregate = [ \"arithmetic\", \"harmonic\" ]; };\n");
    ts_ua_result *r = run(s, 2, 0, 4000);
    ts_ua_spec *u;
    ts_error err;
    assert_int_equal(ts_ua_spec_load(s, &u, &err), TS_OK);
    ts_scenario_set(s, "aggregate", "arithmetic", "t", &err);
    ts_result *ra = NULL;
    ts_score(s, &ra, &err);
    ts_scenario_set(s, "aggregate", "harmonic", "t", &err);
    ts_result *rh = NULL;
    ts_score(s, &rh, &err);
    int root = ts_taxonomy_root(s->tax);
    for (int un = 0; un < 2; un++) {
        double xa = ts_result_score(ra, root, un), xh = ts_result_score(rh, root, un);
        double m = r->mean_score[ts_ua_cell(r, root, un)];
        assert_true(m > fmin(xa, xh) - 1e-9 && m < fmax(xa, xh) + 1e-9);
        double med = r->median_score[ts_ua_cell(r, root, un)];
        assert_true(fabs(med - xa) < r->median_resolution || fabs(med - xh) < r->median_resolution ||
                    (med > fmin(xa, xh) && med < fmax(xa, xh)));
    }
    /* an indicator's distribution is exact: its score never moves here */
    int k = ts_taxonomy_find(s->tax, "x1");
    assert_true(r->mean_score[ts_ua_cell(r, k, 0)] == ts_result_score(ra, k, 0));
    assert_true(r->rank_p05[ts_ua_cell(r, k, 0)] == ts_result_rank(ra, k, 0));
    ts_result_free(ra);
    ts_result_free(rh);
    ts_ua_spec_free(u);
    ts_ua_result_free(r);
    ts_scenario_free(s);
}

/* Expects loading a scenario whose uncertainty group is extra to fail at
 * line with a message containing what. */
static void bad_spec(const char *extra, int line, const char *what) {
    char buf[8192];
    tu_write("tax.cfg", FIX_TAXONOMY);
    snprintf(buf, sizeof buf, "%s%s", FIX_SCENARIO_HEAD, extra);
    const char *path = tu_write("bad.cfg", buf);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(path, &s, &err);
    if (!s) fail_msg("scenario: %s", err.message);
    ts_ua_spec *u = NULL;
    int rc = ts_ua_spec_load(s, &u, &err);
    if (rc != TS_EINPUT) fail_msg("accepted: %s", extra);
    if (err.line != line || !strstr(err.message, what) || strcmp(err.file, path) != 0)
        fail_msg("got %s:%d: %s; want line %d and '%s'", err.file, err.line, err.message, line, what);
    ts_ua_spec_free(u);
    ts_scenario_free(s);
}

static void test_bad_specs(void **state) {
    (void)state;
    /* FIX_SCENARIO_HEAD has 9 lines: the group starts on line 10 */
    bad_spec("uncertainty = {\n  weights = { vary = 1.5; };\n};\n", 11, "between 0 and 1");
    bad_spec("uncertainty = {\n  wieghts = { vary = 0.2; };\n};\n", 11, "did you mean 'weights'");
    bad_spec("uncertainty = {\n  normalise = ( \"minmax\",\n     \"bogus\" );\n};\n", 12, "bogus");
    bad_spec("uncertainty = {\n  exclude = { mode = \"some\"; };\n};\n", 11, "exclude.mode");
    bad_spec("uncertainty = {\n  exclude = { indicators = [ \"x1\", \"x9\" ]; };\n};\n", 11, "x9");
    bad_spec("uncertainty = {\n  data = { ranges = (\n    { indicator = \"x1\"; unit = \"Z\"; min = 1.0; max = 2.0; } ); };\n};\n",
             12, "unknown unit 'Z'");
    bad_spec("uncertainty = {\n  weights = { vary = 0.2; nodes = [ \"a\", \"zz\" ]; };\n};\n", 11, "zz");
    bad_spec("uncertainty = {\n  aggregate = [ ];\n};\n", 11, "alternatives");
}

/* A count of events with a missing cell, worked by hand. Goalposts [0, 10]
 * on a 0-10 scale leave every value as it is, and the index is the plain
 * mean of ev and ix:
 *        ev    ix    index
 *   P     1     2    1.5
 *   Q     4     6    5
 *   R     -     2    skip: 2 (ix alone); zero: (0 + 2) / 2 = 1;
 *                    median of 1, 4, 10 = 4: (4 + 2) / 2 = 3;
 *                    mean 5: (5 + 2) / 2 = 3.5
 *   S    10     8    9
 * so R ranks 3rd when skipped or imputed and 4th (below P) at zero. */
#define MISS_TAXONOMY                                                                      \
    "id = \"m\"; name = \"Missing fixture\";\n"                                            \
    "scale = { min = 0.0; max = 10.0; };\n"                                                \
    "classes = ( { name = \"Low\"; }, { name = \"High\"; min = 5.0; } );\n"                \
    "children = (\n"                                                                       \
    "  { id = \"ev\"; unit = \"events\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n" \
    "  { id = \"ix\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } );\n"
#define MISS_HEAD                                                                          \
    "name = \"Missing\";\n"                                                                \
    "taxonomy = \"mtax.cfg\";\n"                                                           \
    "units = ( { id = \"P\"; }, { id = \"Q\"; }, { id = \"R\"; }, { id = \"S\"; } );\n"    \
    "data = (\n"                                                                           \
    "  { indicator = \"ix\"; year = 2022; source = \"s\"; values = { P = 2; Q = 6; R = 2; S = 8; }; },\n"
#define MISS_EV_GAP "  { indicator = \"ev\"; year = 2022; source = \"s\"; values = { P = 1; Q = 4; S = 10; }; }\n);\n"
#define MISS_EV_FULL "  { indicator = \"ev\"; year = 2022; source = \"s\"; values = { P = 1; Q = 4; R = 0; S = 10; }; }\n);\n"

/* Loads the missing fixture with ev's block and extra appended. */
static ts_scenario *miss_fixture(const char *ev, const char *extra) {
    char buf[4096];
    tu_write("mtax.cfg", MISS_TAXONOMY);
    snprintf(buf, sizeof buf, "%s%s%s", MISS_HEAD, ev, extra);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("miss.cfg", buf), &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    return s;
}

/* Returns R's index score with --set missing=value (nominal, as score). */
static double index_of_r(const char *extra, const char *value) {
    ts_scenario *s = miss_fixture(MISS_EV_GAP, extra);
    ts_error err;
    if (value && ts_scenario_set(s, "missing", value, "--set", &err)) fail_msg("%s", err.message);
    check_nominal(s); /* the evaluator takes every treatment as the pipeline does */
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) fail_msg("%s", err.message);
    double x = ts_result_score(r, ts_taxonomy_root(s->tax), 2);
    assert_true(fabs(ts_result_score(r, ts_taxonomy_root(s->tax), 0) - 1.5) < 1e-12); /* P has no gap */
    ts_result_free(r);
    ts_scenario_free(s);
    return x;
}

static void test_missing_treatments(void **state) {
    (void)state;
    assert_true(fabs(index_of_r("", NULL) - 2.0) < 1e-12); /* the default: skipped */
    assert_true(fabs(index_of_r("", "skip:ev") - 2.0) < 1e-12);
    assert_true(fabs(index_of_r("", "zero:ev") - 1.0) < 1e-12);
    assert_true(fabs(index_of_r("", "zero") - 1.0) < 1e-12);      /* every indicator: ix has no gap */
    assert_true(fabs(index_of_r("", "impute:ev") - 3.0) < 1e-12); /* no own method: the median */
    assert_true(fabs(index_of_r("", "median:ev") - 3.0) < 1e-12);
    assert_true(fabs(index_of_r("", "mean:ev") - 3.5) < 1e-12);
    /* impute is the indicator's own method; skip and zero override it */
    const char *own = "node_methods = { ev = { impute = \"mean\"; }; };\n";
    assert_true(fabs(index_of_r(own, NULL) - 3.5) < 1e-12);
    assert_true(fabs(index_of_r(own, "impute:ev") - 3.5) < 1e-12);
    assert_true(fabs(index_of_r(own, "skip:ev") - 2.0) < 1e-12);
    assert_true(fabs(index_of_r("node_methods = { ev = { impute = \"zero\"; }; };\n", NULL) - 1.0) < 1e-12);
    /* errors name the option and suggest */
    ts_scenario *s = miss_fixture(MISS_EV_GAP, "");
    ts_error err;
    assert_int_equal(ts_scenario_set(s, "missing", "zeor:ev", "--set missing=zeor:ev", &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "did you mean 'zero'"));
    assert_int_equal(ts_scenario_set(s, "missing", "zero:ev,iy", "--set missing=zero:ev,iy", &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "iy"));
    /* nothing changed by the failed call: R is still skipped */
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_true(fabs(ts_result_score(r, ts_taxonomy_root(s->tax), 2) - 2.0) < 1e-12);
    ts_result_free(r);
    ts_scenario_free(s);
    /* zero in raw units: a log transform cannot take it, and says so
       without printing NaN */
    char buf[4096];
    tu_write("mtax.cfg", "id = \"m\"; scale = { min = 0.0; max = 10.0; };\n"
                         "children = ( { id = \"ev\"; direction = \"risk\"; transform = \"log\"; goalposts = [1.0, 10.0]; },\n"
                         "             { id = \"ix\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } );\n");
    snprintf(buf, sizeof buf, "%s%s", MISS_HEAD, MISS_EV_GAP);
    s = NULL;
    ts_scenario_load(tu_write("miss.cfg", buf), &s, &err);
    if (!s) fail_msg("%s", err.message);
    assert_int_equal(ts_scenario_set(s, "missing", "zero:ev", "t", &err), TS_OK);
    r = NULL;
    assert_int_equal(ts_score(s, &r, &err), TS_EINPUT);
    assert_null(r);
    assert_non_null(strstr(err.message, "log transform of indicator 'ev' is undefined for the value 0 that zero imputation gave R"));
    ts_scenario_free(s);
}

/* Runs the missing fixture's analysis (ev with or without its gap) under
 * spec, with threads and Sobol' or not, seed 7. */
static ts_ua_result *miss_run(const char *ev, const char *spec, int threads, int sobol, long n) {
    ts_scenario *s = miss_fixture(ev, spec);
    ts_ua_spec *u;
    ts_error err;
    if (ts_ua_spec_load(s, &u, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_ua_options opt;
    ts_ua_options_default(&opt);
    opt.n = n;
    opt.seed = 7;
    opt.threads = threads;
    opt.sobol = sobol;
    opt.bootstrap = 20;
    ts_ua_result *r;
    if (ts_ua_run(s, u, &opt, &r, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_ua_spec_free(u);
    ts_scenario_free(s);
    return r;
}

/* Returns factor name's total-order index of unit u's score at node k. */
static double total_index(const ts_ua_result *r, int k, int u, const char *name) {
    for (int f = 0; f < r->n_factors; f++)
        if (strcmp(r->factor_name[f], name) == 0)
            return r->st[(ts_ua_cell(r, k, u) * 2) * (size_t)r->n_factors + (size_t)f];
    fail_msg("no factor %s", name);
    return NAN;
}

static void test_missing_factor(void **state) {
    (void)state;
    const char *spec = "uncertainty = { missing = { methods = [ \"skip\", \"zero\", \"impute\" ]; indicators = [ \"ev\" ]; }; };\n";
    /* only the treatment varies: R's index is 2, 1 or 3, a third of the
       time each, and it ranks 3rd or 4th; nobody else moves */
    ts_ua_result *a = miss_run(MISS_EV_GAP, spec, 1, 0, 6000);
    int root = a->n_nodes - 1; /* post-order: ev, ix, m */
    assert_true(a->nominal_score[ts_ua_cell(a, root, 2)] == 2.0);
    assert_true(fabs(a->mean_score[ts_ua_cell(a, root, 2)] - 2.0) < 0.05);
    assert_true(a->rank_p05[ts_ua_cell(a, root, 2)] == 3 && a->rank_p95[ts_ua_cell(a, root, 2)] == 4);
    assert_true(a->mean_score[ts_ua_cell(a, root, 0)] == 1.5 && a->rank_p05[ts_ua_cell(a, root, 0)] == 3 && a->rank_p95[ts_ua_cell(a, root, 0)] == 4);
    assert_true(a->mean_score[ts_ua_cell(a, root, 3)] == 9.0);
    /* the same for any -j */
    ts_ua_result *b = miss_run(MISS_EV_GAP, spec, 2, 0, 6000), *c = miss_run(MISS_EV_GAP, spec, 3, 0, 6000);
    check_same(a, b, 0);
    check_same(a, c, 0);
    ts_ua_result_free(a);
    ts_ua_result_free(b);
    ts_ua_result_free(c);

    /* Sobol', with the weights varying too: the treatment drives R's
       score and nobody else's */
    const char *spec2 = "uncertainty = { weights = { vary = 0.25; };\n"
                        "  missing = { methods = [ \"skip\", \"zero\", \"impute\" ]; indicators = [ \"ev\" ]; }; };\n";
    a = miss_run(MISS_EV_GAP, spec2, 1, 1, 512);
    b = miss_run(MISS_EV_GAP, spec2, 2, 1, 512);
    check_same(a, b, 1);
    assert_int_equal(a->n_factors, 2);
    assert_string_equal(a->factor_name[1], "missing");
    assert_int_equal(a->evaluations, 512 * (2 + 2));
    double st_r = total_index(a, root, 2, "missing");
    if (!(st_r > 0.5)) fail_msg("ST(missing) of R is %g", st_r);
    for (int u = 0; u < 4; u++)
        if (u != 2 && total_index(a, root, u, "missing") != 0)
            fail_msg("unit %d has no gap, yet ST(missing) = %g", u, total_index(a, root, u, "missing"));
    assert_true(total_index(a, root, 0, "weights") > 0.9);
    ts_ua_result_free(a);
    ts_ua_result_free(b);
    /* no value missing: the factor changes nothing anywhere */
    a = miss_run(MISS_EV_FULL, spec2, 2, 1, 256);
    for (int u = 0; u < 4; u++) assert_true(total_index(a, root, u, "missing") == 0);
    assert_true(total_index(a, root, 2, "weights") > 0.9);
    ts_ua_result_free(a);
    /* the short form: every indicator; and with the impute factor the
       treatment wins on its indicators */
    a = miss_run(MISS_EV_GAP, "uncertainty = { missing = [ \"zero\" ]; impute = [ \"mean\" ]; };\n", 1, 0, 50);
    assert_true(a->mean_score[ts_ua_cell(a, root, 2)] == 1.0);
    ts_ua_result_free(a);
    a = miss_run(MISS_EV_GAP, "uncertainty = { missing = [ \"impute\" ]; impute = [ \"mean\" ]; };\n", 1, 0, 50);
    assert_true(a->mean_score[ts_ua_cell(a, root, 2)] == 3.5);
    ts_ua_result_free(a);
}

static void test_missing_spec(void **state) {
    (void)state;
    bad_spec("uncertainty = {\n  missing = [ \"skip\",\n  \"zeros\" ];\n};\n", 12, "did you mean 'zero'");
    bad_spec("uncertainty = {\n  missing = { methods = [ \"zero\" ];\n    indicators = [ \"x1\", \"a\" ]; };\n};\n", 12,
             "unknown indicator 'a'");
    bad_spec("uncertainty = {\n  missing = { indicators = [ \"x1\" ]; };\n};\n", 11, "missing needs methods");
    bad_spec("uncertainty = {\n  missing = { methods = [ \"zero\" ]; indicator = [ \"x1\" ]; };\n};\n", 11, "indicator");
    bad_spec("uncertainty = {\n  missing = { methods = [ ]; };\n};\n", 11, "alternatives");
    /* --vary: the treatments replace the group's, its indicators stay
       unless named; the spec's JSON says which */
    ts_scenario *s = miss_fixture(MISS_EV_GAP, "uncertainty = { missing = { methods = [ \"zero\" ]; indicators = [ \"ev\" ]; }; };\n");
    ts_ua_spec *u;
    ts_error err;
    assert_int_equal(ts_ua_spec_load(s, &u, &err), TS_OK);
    assert_int_equal(ts_ua_spec_vary(u, s, "missing", "skip,zero,median", "--vary", &err), TS_OK);
    ts_buf b = {0};
    ts_ua_spec_json(u, s, &b);
    assert_non_null(strstr(b.data, "\"missing\":{\"methods\":[\"skip\",\"zero\",\"median\"],\"indicators\":[\"ev\"]}"));
    assert_int_equal(ts_ua_spec_vary(u, s, "missing", "impute:all", "--vary", &err), TS_OK);
    b.len = 0;
    ts_ua_spec_json(u, s, &b);
    assert_non_null(strstr(b.data, "\"missing\":{\"methods\":[\"impute\"],\"indicators\":\"all\"}"));
    assert_int_equal(ts_ua_spec_vary(u, s, "missing", "skip,zero:ev,ixx", "--vary", &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "did you mean 'ix'"));
    assert_int_equal(ts_ua_spec_vary(u, s, "missing", "skip,group_mean", "--vary", &err), TS_EINPUT);
    assert_int_equal(ts_ua_spec_vary(u, s, "misssing", "skip", "--vary", &err), TS_EINPUT);
    assert_non_null(strstr(err.message, "did you mean 'missing'"));
    ts_buf_free(&b);
    ts_ua_spec_free(u);
    ts_scenario_free(s);

    /* the command line: the factor by name, its samples stored, and
       score --set for the nominal alternative */
    char buf[4096], *out, *er;
    tu_write("mtax.cfg", MISS_TAXONOMY);
    snprintf(buf, sizeof buf, "%s%s", MISS_HEAD, MISS_EV_GAP);
    const char *scen = tu_write("mcli.cfg", buf);
    const char *db = tu_path("miss.db");
    remove(db);
    assert_int_equal(tu_run(&out, &er, "uncertainty", scen, "-N", "40", "--vary", "missing=skip,zero,impute:ev", "--db", db,
                            "--store-samples", NULL),
                     0);
    assert_non_null(strstr(out, "factors: missing"));
    free(out);
    free(er);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_samples WHERE params_json LIKE '%\"missing\":\"zero\"%'") > 0, 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_samples WHERE params_json LIKE '%\"missing\":\"skip\"%'") > 0, 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs WHERE spec_json LIKE '%\"indicators\":[\"ev\"]%'"), 1);
    assert_int_equal(tu_run(&out, &er, "score", scen, "--set", "missing=zero:ev", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "R,R,m,Missing fixture,,0,1,4,"));
    free(out);
    free(er);
}

/* The method variants are scored on the analysis's threads: the error of
 * a variant that fails is the first failing variant's whatever the number
 * of threads, and the results are the same for any -j. */
static void test_variants_on_threads(void **state) {
    (void)state;
    tu_need("scenarios/baseline.cfg");
    const char *orders[] = {"minmax:1:100,zscore,rank:1:100", "rank:1:100,minmax:1:100,zscore"};
    for (int i = 0; i < 2; i++) {
        char vary[80], *out1, *err1, *out4, *err4;
        snprintf(vary, sizeof vary, "normalise=%s", orders[i]);
        assert_int_equal(tu_run(&out1, &err1, "uncertainty", "scenarios/baseline.cfg", "-N", "16", "-j", "1", "--vary",
                                vary, "--quiet", NULL),
                         1);
        assert_int_equal(tu_run(&out4, &err4, "uncertainty", "scenarios/baseline.cfg", "-N", "16", "-j", "4", "--vary",
                                vary, "--quiet", NULL),
                         1);
        assert_non_null(strstr(err1, "zscore is undefined"));
        assert_string_equal(err1, err4);
        free(out1), free(err1), free(out4), free(err4);
    }
    char *a, *b, *e;
    assert_int_equal(tu_run(&a, &e, "uncertainty", "scenarios/baseline.cfg", "-N", "64", "-j", "1", "--vary",
                            "normalise=minmax:1:100,rank:1:100", "--vary", "aggregate=arithmetic,geometric", "--quiet",
                            "--format", "csv", NULL),
                     0);
    free(e);
    assert_int_equal(tu_run(&b, &e, "uncertainty", "scenarios/baseline.cfg", "-N", "64", "-j", "3", "--vary",
                            "normalise=minmax:1:100,rank:1:100", "--vary", "aggregate=arithmetic,geometric", "--quiet",
                            "--format", "csv", NULL),
                     0);
    free(e);
    assert_string_equal(a, b);
    free(a), free(b);
}

static void test_cli_and_store(void **state) {
    (void)state;
    char buf[8192], *out, *err;
    tu_write("tax.cfg", FIX_TAXONOMY);
    snprintf(buf, sizeof buf, "%s%s", FIX_SCENARIO_HEAD, UA_FIXTURE_SPEC);
    const char *scen = tu_write("cli.cfg", buf);
    const char *db = tu_path("ua.db");
    remove(db);
    assert_int_equal(tu_run(&out, &err, "uncertainty", scen, "-N", "300", "--db", db, "--store-samples", "-j", "2", NULL), 0);
    assert_non_null(strstr(out, "uncertainty analysis, 300 replications"));
    free(out);
    free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_results"), 3 * 7);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_samples"), 300);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs WHERE seed = '1' AND spec_json LIKE '%\"vary\":0.25%'"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_classes WHERE node = 't'"), 3 * 2);
    /* a failure inside the transaction stores nothing */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TRIGGER boom BEFORE INSERT ON ua_classes BEGIN SELECT RAISE(ABORT, 'boom'); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(tu_run(&out, &err, "uncertainty", scen, "-N", "50", "--db", db, NULL), 3);
    assert_non_null(strstr(err, "boom"));
    free(out);
    free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_results"), 3 * 7);
    /* bad input: nothing written, not even the tables */
    const char *db2 = tu_path("ua2.db");
    remove(db2);
    assert_int_equal(tu_run(&out, &err, "uncertainty", scen, "-N", "50", "--db", db2, "--vary", "normalise=zscore", NULL), 1);
    assert_non_null(strstr(err, "geometric"));
    free(out);
    free(err);
    assert_true(access(db2, F_OK) != 0 ||
                tu_query_int(db2, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'ua_%'") == 0);
    /* CSV and JSON; a usage error */
    assert_int_equal(tu_run(&out, &err, "uncertainty", scen, "-N", "100", "--format", "csv", "--sobol", "--bootstrap", "10", NULL), 0);
    assert_true(strncmp(out, "unit,unit_name,node,node_name,depth,nominal_score,nominal_rank,mean_score,median_score,"
                             "rank_p05,rank_p50,rank_p95,scored,p_Low,p_High,s1_score_weights", 96) == 0);
    free(out);
    free(err);
    assert_int_equal(tu_run(&out, &err, "uncertainty", scen, "-N", "100", "--format", "json", NULL), 0);
    assert_non_null(strstr(out, "\"rank_p95\":"));
    free(out);
    free(err);
    assert_int_equal(tu_run(&out, &err, "uncertainty", scen, "-N", "zero", NULL), 2);
    free(out);
    free(err);
    /* nothing uncertain */
    snprintf(buf, sizeof buf, "%s", FIX_SCENARIO_HEAD);
    assert_int_equal(tu_run(&out, &err, "uncertainty", tu_write("plain.cfg", buf), NULL), 2);
    assert_non_null(strstr(err, "nothing varies"));
    free(out);
    free(err);
    /* --vary on the command line alone; stored, its spec was read from no
       file (this crashed on a NULL file name) */
    assert_int_equal(tu_run(&out, &err, "uncertainty", tu_write("plain.cfg", buf), "-N", "100", "--vary",
                            "weights=dirichlet:20", "--vary", "exclude=one", "--vary", "data=10%", "--db", db2, NULL),
                     0);
    assert_non_null(strstr(out, "factors: weights exclude data"));
    free(out);
    free(err);
    assert_int_equal(tu_query_int(db2, "SELECT count(*) FROM ua_runs WHERE spec_json LIKE '{\"file\":null,%'"), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sobol_sequence),
        cmocka_unit_test(test_sobol_linear),
        cmocka_unit_test(test_sobol_ishigami),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_nominal_equals_score),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_ua_statistics),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_cli_and_store),
        cmocka_unit_test(test_missing_treatments),
        cmocka_unit_test(test_missing_factor),
        cmocka_unit_test(test_missing_spec),
        cmocka_unit_test(test_variants_on_threads),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
