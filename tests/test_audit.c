/* test_audit.c -- threatscore audit against values computed independently:
 * a fixture worked out by hand (below), COINr's ASEM example against a
 * plain numpy computation (tests/data/audit/asem_audit.py), references,
 * pooling, the command line.
 *
 * The fixture: index T = mean(A, B); A = mean(x1, x2, x3); B = (3 y1 + y2) / 4;
 * normalise = "none", so the normalised values are the raw ones:
 *
 *   unit   x1  x2  x3  y1  y2 |   A      B     T
 *   P       1   2   5   2   1 |  8/3   7/4  53/24
 *   Q       2   4   3   1   2 |  3     5/4  51/24
 *   R       3   6   4   4   3 | 13/3  15/4  97/24
 *   S       4   8   1   3   4 | 13/3  13/4  91/24
 *   T       5  10   2   5   5 | 17/3   5    128/24
 *
 * Deviations from the means (x 3, 4 and 24 for A, B, T): x1 (-2,-1,0,1,2),
 * x2 = 2 x1, x3 (2,0,1,-2,-1), y1 (-1,-2,1,0,2), y2 = x1; 3A (-4,-3,1,1,5),
 * 4B (-5,-7,3,1,8). Sums of squares: x1, x3, y1, y2: 10; x2: 40; A: 52/9;
 * B: 37/4; A + B: 1051/36. Cross sums: x1.A 22/3, x3.A -14/3, x1.B 17/2,
 * x3.B -17/4, y1.B 19/2, y1.A 7, A.B 85/12.
 *
 * Pearson:  r(x1,A) = r(x2,A) = r(y2,A) = (22/3)/sqrt(10*52/9) = 11/sqrt(130);
 *           r(x3,A) = -7/sqrt(130) (negative: pulls against A);
 *           r(y1,B) = (19/2)/sqrt(10*37/4) = 19/sqrt(370); r(y2,B) = 17/sqrt(370);
 *           r(x1,x2) = 1 (collinear); r(x1,x3) = r(x2,x3) = -8/10 (negative
 *           siblings); r(y1,y2) = 8/10; r(A,B) = 85/sqrt(7696) (collinear,
 *           > 0.9); r(A,T) = 463/sqrt(218608); r(B,T) = 196/sqrt(38887).
 * r_other:  y2 follows A (11/sqrt(130) = 0.965) more than B (17/sqrt(370) =
 *           0.884): closer_to_other; x3's best other is B, -17/(2 sqrt(370))
 *           = -0.442 > -0.614: closer_to_other too; x1 (0.884 < 0.965) not.
 * Spearman: the ranks of A are 1, 2, 3.5, 3.5, 5 (a tie), deviations
 *           (-2,-1,.5,.5,2), sum of squares 9.5; x1's ranks are x1, x3's are
 *           x3: rho(x1,A) = 9.5/sqrt(10*9.5) = sqrt(0.95);
 *           rho(x3,A) = (-4+0+.5-1-2)/sqrt(95) = -6.5/sqrt(95).
 * Alpha:    A: variances 10/4, 40/4, 10/4, row sums (8,9,13,13,17) variance
 *           52/4 = 13: 3/2 (1 - 15/13) = -3/13. B (y1, y2 unweighted): 5/2 + 5/2
 *           over the variance of (3,3,7,7,10), 9: 2 (1 - 5/9) = 8/9. T: (13/9 +
 *           37/16) / (1051/144) = 541/1051, so 2 (1 - 541/1051) = 1020/1051.
 * PCA:      A's correlation matrix [[1,1,-.8],[1,1,-.8],[-.8,-.8,1]]; on
 *           (1,1,0)/sqrt2 and (0,0,1) it is [[2,-.8 sqrt2],[-.8 sqrt2,1]]:
 *           lambda1 = (3 + sqrt(6.12))/2, pca1 = lambda1/3, eigenvector a e1 +
 *           b e2 with b/a = (2 - lambda1)/(.8 sqrt2): loadings x1 = x2 = a/sqrt2,
 *           x3 = b (sum > 0 as signed). B: [[1,.8],[.8,1]]: pca1 = 0.9, loadings
 *           1/sqrt2. T: pca1 = (1 + r(A,B))/2.
 * Stats:    x1: mean 3, sd sqrt(10/4), skew 0, kurtosis G2 = ((n+1) g2 + 6)
 *           (n-1)/((n-2)(n-3)) with g2 = (34/5)/2^2 - 3 = -1.3: -1.2; A: mean 4,
 *           sd sqrt(13/9), unique 4/5, m2 = 52/45, m4 = 964/405, g2 = 4820/2704 - 3,
 *           G2 = 4 (g2 + 1) = -147/169.
 * Influence on T: S_i = r(x_i, T)^2 with cov(x1,T) = (22/3 + 17/2)/2 = 95/12:
 *           x1, x2, y2: (95/12)^2/(10*1051/144) = 1805/2102; x3: cov -107/24,
 *           11449/42040; y1: cov 33/4, 9801/10510. Sum 158953/42040; shares
 *           36100/158953 (x1, x2, y2), 11449/158953 (x3), 39204/158953 (y1).
 *           Effective weights 1/6 (x), 3/8 (y1), 1/8 (y2): x3's share 0.072 is
 *           below half its weight (influence_low); the others are within 2x.
 * References: ranks of T 2,1,4,3,5; ext (1,3,2,4,5): rho = 5/10; prot
 *           (5,4,3,2,1, protective): rho = -8/10, as expected for a
 *           protective series; bad (5,4,3,2,1, risk): disagrees.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_stats.h"
#include "csv.h"
#include "explain.h"
#include "import.h"
#include "scenario.h"

#define ASEM_DATA "tests/data/coinr-asem/asem_iData.csv"
#define ASEM_META "tests/data/coinr-asem/asem_iMeta.csv"
#define ASEM_EXPECTED "tests/data/audit/asem_expected.csv"

static const char TAX[] =
    "id = \"T\"; name = \"Fixture index\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "normalise = \"none\";\n"
    "perspectives = { b_only = { weights = { A = 0.0; }; }; };\n"
    "children = (\n"
    "  { id = \"A\"; children = ( { id = \"x1\"; direction = \"risk\"; }, { id = \"x2\"; direction = \"risk\"; },\n"
    "                             { id = \"x3\"; direction = \"risk\"; } ); },\n"
    "  { id = \"B\"; children = ( { id = \"y1\"; direction = \"risk\"; weight = 3.0; },\n"
    "                             { id = \"y2\"; direction = \"risk\"; } ); }\n"
    ");\n";

#define UNITS "units = ( { id = \"P\"; }, { id = \"Q\"; }, { id = \"R\"; }, { id = \"S\"; }, { id = \"T\"; } );\n"
#define BLOCKS(year)                                                                                        \
    "  { indicator = \"x1\"; year = " year "; source = \"s\"; values = { P = 1; Q = 2; R = 3; S = 4; T = 5; }; },\n" \
    "  { indicator = \"x2\"; year = " year "; source = \"s\"; values = { P = 2; Q = 4; R = 6; S = 8; T = 10; }; },\n" \
    "  { indicator = \"x3\"; year = " year "; source = \"s\"; values = { P = 5; Q = 3; R = 4; S = 1; T = 2; }; },\n" \
    "  { indicator = \"y1\"; year = " year "; source = \"s\"; values = { P = 2; Q = 1; R = 4; S = 3; T = 5; }; },\n" \
    "  { indicator = \"y2\"; year = " year "; source = \"s\"; values = { P = 1; Q = 2; R = 3; S = 4; T = 5; }; }"
#define REFS                                                                                                   \
    "references = (\n"                                                                                         \
    "  { id = \"ext\"; name = \"External index\"; year = 2020; source = \"r1\";\n"                            \
    "    values = { P = 1; Q = 3; R = 2; S = 4; T = 5; }; },\n"                                                \
    "  { id = \"prot\"; direction = \"protective\"; year = 2020; source = \"r2\";\n"                          \
    "    values = { P = 5; Q = 4; R = 3; S = 2; T = 1; }; },\n"                                                \
    "  { id = \"bad\"; node = \"T\"; year = 2020; source = \"r3\";\n"                                          \
    "    values = { P = 5; Q = 4; R = 3; S = 2; T = { value = 1; year = 2019; source = \"r3 earlier\"; }; }; }\n" \
    ");\n"

static const char SCEN[] =
    "name = \"Fixture\"; taxonomy = \"audit_tax.cfg\";\n" UNITS "data = (\n" BLOCKS("2020") "\n);\n" REFS;
/* the same values in two years */
static const char SCEN2[] =
    "name = \"Fixture2\"; taxonomy = \"audit_tax.cfg\";\n" UNITS
    "data = (\n" BLOCKS("2020") ",\n" BLOCKS("2021") "\n);\n" REFS;

static ts_scenario *load_fixture(const char *text) {
    tu_write("audit_tax.cfg", TAX);
    const char *path = tu_write("audit_scen.cfg", text);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(path, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    return s;
}

static int node(const ts_scenario *s, const char *id) {
    int k = ts_taxonomy_find(s->tax, id);
    assert_true(k >= 0);
    return k;
}

static int ref(const ts_audit *a, const char *id) {
    for (int q = 0; q < a->refs->n; q++)
        if (strcmp(a->refs->series[q].id, id) == 0) return q;
    fail_msg("no reference %s", id);
    return -1;
}

/* The row of node's statistic with `with` (a node id, "" for none), which
 * must exist. */
static const ts_audit_row *row(const ts_scenario *s, const ts_audit *a, const char *nd, ts_audit_stat st,
                               const char *with) {
    const ts_audit_row *r = ts_audit_find(a, node(s, nd), st, with[0] ? node(s, with) : -1, -1);
    if (!r) fail_msg("no row %s %s %s", nd, ts_audit_stat_name(st), with);
    return r;
}

static void expect(const ts_scenario *s, const ts_audit *a, const char *nd, ts_audit_stat st, const char *with,
                   double value, int n) {
    const ts_audit_row *r = row(s, a, nd, st, with);
    if (!(fabs(r->value - value) <= 1e-12))
        fail_msg("%s %s %s: %.17g, expected %.17g", nd, ts_audit_stat_name(st), with, r->value, value);
    assert_int_equal(r->n, n);
}

static int has_flag(const ts_scenario *s, const ts_audit *a, const char *nd, ts_audit_stat st, const char *with,
                    unsigned flag) {
    return (row(s, a, nd, st, with)->flags & flag) != 0;
}

static ts_audit *run(ts_scenario *s, int pooled, const char *top) {
    ts_audit_options o;
    ts_audit_options_default(&o);
    o.pooled = pooled;
    if (top) o.node = node(s, top);
    ts_error err;
    ts_audit *a = NULL;
    ts_audit_run(s, &o, &a, &err);
    if (!a) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    return a;
}

static void test_hand_fixture(void **state) {
    (void)state;
    ts_scenario *s = load_fixture(SCEN);
    ts_audit *a = run(s, 0, NULL);
    assert_int_equal(a->n_obs, 5);
    /* statistics */
    expect(s, a, "x1", TS_AUDIT_N, "", 5, 5);
    expect(s, a, "x1", TS_AUDIT_MISSING, "", 0, 5);
    expect(s, a, "x1", TS_AUDIT_MEAN, "", 3, 5);
    expect(s, a, "x1", TS_AUDIT_SD, "", sqrt(10.0 / 4), 5);
    expect(s, a, "x1", TS_AUDIT_SKEW, "", 0, 5);
    expect(s, a, "x1", TS_AUDIT_KURTOSIS, "", -1.2, 5);
    expect(s, a, "x1", TS_AUDIT_UNIQUE, "", 1, 5);
    expect(s, a, "x1", TS_AUDIT_OUTLIER, "", 0, 5);
    expect(s, a, "A", TS_AUDIT_MIN, "", 8.0 / 3, 5);
    expect(s, a, "A", TS_AUDIT_MAX, "", 17.0 / 3, 5);
    expect(s, a, "A", TS_AUDIT_MEAN, "", 4, 5);
    expect(s, a, "A", TS_AUDIT_SD, "", sqrt(13.0) / 3, 5);
    expect(s, a, "A", TS_AUDIT_UNIQUE, "", 0.8, 5);
    expect(s, a, "A", TS_AUDIT_KURTOSIS, "", -147.0 / 169, 5);
    assert_true(has_flag(s, a, "x1", TS_AUDIT_MEAN, "", TS_AFLAG_SMALL_N));
    /* correlations with parents, siblings and other aggregates */
    expect(s, a, "x1", TS_AUDIT_R_PARENT, "A", 11 / sqrt(130), 5);
    expect(s, a, "x2", TS_AUDIT_R_PARENT, "A", 11 / sqrt(130), 5);
    expect(s, a, "x3", TS_AUDIT_R_PARENT, "A", -7 / sqrt(130), 5);
    expect(s, a, "y1", TS_AUDIT_R_PARENT, "B", 19 / sqrt(370), 5);
    expect(s, a, "y2", TS_AUDIT_R_PARENT, "B", 17 / sqrt(370), 5);
    expect(s, a, "A", TS_AUDIT_R_PARENT, "T", 463 / sqrt(218608), 5);
    expect(s, a, "B", TS_AUDIT_R_PARENT, "T", 196 / sqrt(38887), 5);
    expect(s, a, "x1", TS_AUDIT_RHO_PARENT, "A", sqrt(0.95), 5);
    expect(s, a, "x3", TS_AUDIT_RHO_PARENT, "A", -6.5 / sqrt(95), 5);
    expect(s, a, "x1", TS_AUDIT_R, "x2", 1, 5);
    expect(s, a, "x1", TS_AUDIT_R, "x3", -0.8, 5);
    expect(s, a, "x2", TS_AUDIT_R, "x3", -0.8, 5);
    expect(s, a, "y1", TS_AUDIT_R, "y2", 0.8, 5);
    expect(s, a, "A", TS_AUDIT_R, "B", 85 / sqrt(7696), 5);
    expect(s, a, "y2", TS_AUDIT_R_OTHER, "A", 11 / sqrt(130), 5);
    expect(s, a, "x3", TS_AUDIT_R_OTHER, "B", -17 / (2 * sqrt(370)), 5);
    assert_null(ts_audit_find(a, node(s, "x2"), TS_AUDIT_R, node(s, "x1"), -1)); /* each pair once */
    assert_null(ts_audit_find(a, node(s, "A"), TS_AUDIT_R_OTHER, node(s, "B"), -1)); /* nothing beside the index */
    /* coherence */
    expect(s, a, "A", TS_AUDIT_ALPHA, "", -3.0 / 13, 5);
    expect(s, a, "B", TS_AUDIT_ALPHA, "", 8.0 / 9, 5);
    expect(s, a, "T", TS_AUDIT_ALPHA, "", 1020.0 / 1051, 5);
    double l1 = (3 + sqrt(6.12)) / 2, ratio = (2 - l1) / (0.8 * sqrt(2)), ea = 1 / sqrt(1 + ratio * ratio);
    expect(s, a, "A", TS_AUDIT_PCA1, "", l1 / 3, 5);
    expect(s, a, "x1", TS_AUDIT_LOADING, "A", ea / sqrt(2), 5);
    expect(s, a, "x2", TS_AUDIT_LOADING, "A", ea / sqrt(2), 5);
    expect(s, a, "x3", TS_AUDIT_LOADING, "A", ea * ratio, 5);
    expect(s, a, "B", TS_AUDIT_PCA1, "", 0.9, 5);
    expect(s, a, "y1", TS_AUDIT_LOADING, "B", 1 / sqrt(2), 5);
    expect(s, a, "T", TS_AUDIT_PCA1, "", (1 + 85 / sqrt(7696)) / 2, 5);
    /* flags */
    assert_true(has_flag(s, a, "x1", TS_AUDIT_R, "x2", TS_AFLAG_COLLINEAR));
    assert_true(has_flag(s, a, "A", TS_AUDIT_R, "B", TS_AFLAG_COLLINEAR));
    assert_false(has_flag(s, a, "y1", TS_AUDIT_R, "y2", TS_AFLAG_COLLINEAR | TS_AFLAG_NEGATIVE));
    assert_true(has_flag(s, a, "x1", TS_AUDIT_R, "x3", TS_AFLAG_NEGATIVE));
    assert_true(has_flag(s, a, "x3", TS_AUDIT_R_PARENT, "A", TS_AFLAG_NEGATIVE));
    assert_false(has_flag(s, a, "x1", TS_AUDIT_R_PARENT, "A", TS_AFLAG_NEGATIVE | TS_AFLAG_WEAK));
    assert_true(has_flag(s, a, "y2", TS_AUDIT_R_OTHER, "A", TS_AFLAG_OTHER_GROUP));
    assert_true(has_flag(s, a, "x3", TS_AUDIT_R_OTHER, "B", TS_AFLAG_OTHER_GROUP));
    assert_false(has_flag(s, a, "x1", TS_AUDIT_R_OTHER, "B", TS_AFLAG_OTHER_GROUP));
    /* influence */
    expect(s, a, "x1", TS_AUDIT_EFF_WEIGHT, "T", 1.0 / 6, 5);
    expect(s, a, "y1", TS_AUDIT_EFF_WEIGHT, "T", 3.0 / 8, 5);
    expect(s, a, "y2", TS_AUDIT_EFF_WEIGHT, "T", 1.0 / 8, 5);
    expect(s, a, "x1", TS_AUDIT_INFLUENCE, "T", 1805.0 / 2102, 5);
    expect(s, a, "x3", TS_AUDIT_INFLUENCE, "T", 11449.0 / 42040, 5);
    expect(s, a, "y1", TS_AUDIT_INFLUENCE, "T", 9801.0 / 10510, 5);
    expect(s, a, "x3", TS_AUDIT_R_INDEX, "T", -sqrt(11449.0 / 42040), 5);
    expect(s, a, "x1", TS_AUDIT_INFLUENCE_SHARE, "T", 36100.0 / 158953, 5);
    expect(s, a, "x3", TS_AUDIT_INFLUENCE_SHARE, "T", 11449.0 / 158953, 5);
    expect(s, a, "y1", TS_AUDIT_INFLUENCE_SHARE, "T", 39204.0 / 158953, 5);
    assert_true(has_flag(s, a, "x3", TS_AUDIT_INFLUENCE_SHARE, "T", TS_AFLAG_INFLUENCE_LOW));
    assert_true(has_flag(s, a, "x3", TS_AUDIT_R_INDEX, "T", TS_AFLAG_NEGATIVE));
    assert_false(has_flag(s, a, "y2", TS_AUDIT_INFLUENCE_SHARE, "T", TS_AFLAG_INFLUENCE_LOW | TS_AFLAG_INFLUENCE_HIGH));
    /* references */
    int root = node(s, "T");
    const ts_audit_row *r = ts_audit_find(a, root, TS_AUDIT_REF_RHO, -1, ref(a, "ext"));
    assert_non_null(r);
    assert_true(fabs(r->value - 0.5) <= 1e-12);
    assert_int_equal(r->n, 5);
    assert_false(r->flags & TS_AFLAG_DISAGREES);
    r = ts_audit_find(a, root, TS_AUDIT_REF_RHO, -1, ref(a, "prot"));
    assert_true(fabs(r->value + 0.8) <= 1e-12);
    assert_false(r->flags & TS_AFLAG_DISAGREES);
    r = ts_audit_find(a, root, TS_AUDIT_REF_RHO, -1, ref(a, "bad"));
    assert_true(fabs(r->value + 0.8) <= 1e-12);
    assert_true(r->flags & TS_AFLAG_DISAGREES);
    assert_false(r->flags & TS_AFLAG_CARRIED); /* latest against latest */
    ts_audit_free(a);
    ts_scenario_free(s);
}

/* Two identical years pooled: correlations, alpha and the first component
 * are those of one year (each point counted twice), n doubles, the sd and
 * unique share follow from the doubled sample; references of 2020 paired
 * with 2021 are carried. */
static void test_pooled(void **state) {
    (void)state;
    ts_scenario *s = load_fixture(SCEN2);
    ts_audit *a = run(s, 1, NULL);
    assert_int_equal(a->n_years, 2);
    assert_int_equal(a->years[0], 2020);
    assert_int_equal(a->years[1], 2021);
    assert_int_equal(a->n_obs, 10);
    expect(s, a, "x1", TS_AUDIT_N, "", 10, 10);
    expect(s, a, "x1", TS_AUDIT_SD, "", sqrt(20.0 / 9), 10);
    expect(s, a, "x1", TS_AUDIT_UNIQUE, "", 0.5, 10);
    expect(s, a, "x1", TS_AUDIT_R_PARENT, "A", 11 / sqrt(130), 10);
    expect(s, a, "x1", TS_AUDIT_RHO_PARENT, "A", sqrt(0.95), 10);
    expect(s, a, "A", TS_AUDIT_ALPHA, "", -3.0 / 13, 10);
    expect(s, a, "B", TS_AUDIT_PCA1, "", 0.9, 10);
    expect(s, a, "x1", TS_AUDIT_INFLUENCE, "T", 1805.0 / 2102, 10);
    assert_false(has_flag(s, a, "x1", TS_AUDIT_MEAN, "", TS_AFLAG_SMALL_N));
    const ts_audit_row *r = ts_audit_find(a, node(s, "T"), TS_AUDIT_REF_RHO, -1, ref(a, "ext"));
    assert_true(fabs(r->value - 0.5) <= 1e-12);
    assert_int_equal(r->n, 10);
    assert_true(r->flags & TS_AFLAG_CARRIED);
    /* the scenario's own year is restored */
    assert_int_equal(s->spec->year, 0);
    ts_audit_free(a);
    /* unpooled, the same file is one year */
    a = run(s, 0, NULL);
    assert_int_equal(a->n_obs, 5);
    expect(s, a, "x1", TS_AUDIT_SD, "", sqrt(10.0 / 4), 5);
    ts_audit_free(a);
    ts_scenario_free(s);
}

/* --node: only the subtree, influence and weights at that node; a
 * threshold option moves a flag; at the index the effective weights are
 * those of ts_effective_weights (here and on the baseline). */
static void test_node_and_options(void **state) {
    (void)state;
    ts_scenario *s = load_fixture(SCEN);
    ts_audit *a = run(s, 0, "A");
    assert_null(ts_audit_find(a, node(s, "y1"), TS_AUDIT_N, -1, -1));
    assert_null(ts_audit_find(a, node(s, "A"), TS_AUDIT_R_PARENT, node(s, "T"), -1));
    expect(s, a, "x1", TS_AUDIT_EFF_WEIGHT, "A", 1.0 / 3, 5);
    expect(s, a, "x1", TS_AUDIT_R_INDEX, "A", 11 / sqrt(130), 5);
    for (int i = 0; i < a->n_rows; i++) assert_true(a->rows[i].stat != TS_AUDIT_REF_RHO); /* references sit at T */
    ts_audit_free(a);
    ts_audit_options o;
    ts_audit_options_default(&o);
    o.weak = 0.97;
    ts_error err;
    ts_audit_run(s, &o, &a, &err);
    assert_non_null(a);
    assert_true(has_flag(s, a, "x1", TS_AUDIT_R_PARENT, "A", TS_AFLAG_WEAK));
    ts_audit_free(a);
    ts_scenario_free(s);

    ts_scenario_load("scenarios/baseline.cfg", &s, &err);
    if (!s) fail_msg("%s", err.message);
    a = run(s, 0, NULL);
    double *w = malloc((size_t)s->tax->n_indicators * sizeof *w);
    assert_non_null(w);
    ts_effective_weights(s, -1, w);
    int root = ts_taxonomy_root(s->tax);
    for (int i = 0; i < s->tax->n_indicators; i++) {
        const ts_audit_row *r = ts_audit_find(a, s->tax->indicator_node[i], TS_AUDIT_EFF_WEIGHT, root, -1);
        assert_non_null(r);
        assert_true(fabs(r->value - w[i]) <= 1e-15);
    }
    free(w);
    ts_audit_free(a);
    ts_scenario_free(s);
}

/* A constant child and a child with two values: undefined statistics are
 * flagged and written empty, never as nan. */
static void test_undefined(void **state) {
    (void)state;
    tu_write("audit_tax_c.cfg",
             "id = \"T\"; scale = { min = 0.0; max = 10.0; }; normalise = \"none\";\n"
             "children = ( { id = \"C\"; children = ( { id = \"z\"; direction = \"risk\"; },\n"
             "  { id = \"w\"; direction = \"risk\"; }, { id = \"v\"; direction = \"risk\"; } ); } );\n");
    const char *path = tu_write("audit_c.cfg",
                                "name = \"Const\"; taxonomy = \"audit_tax_c.cfg\";\n" UNITS
                                "data = ( { indicator = \"z\"; year = 2020; source = \"s\";\n"
                                "    values = { P = 3; Q = 3; R = 3; S = 3; T = 3; }; },\n"
                                "  { indicator = \"w\"; year = 2020; source = \"s\"; values = { P = 1; Q = 2; R = 4; S = 3; T = 5; }; },\n"
                                "  { indicator = \"v\"; year = 2020; source = \"s\"; values = { P = 1; Q = 2; }; } );\n");
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(path, &s, &err);
    if (!s) fail_msg("%s", err.message);
    ts_audit *a = run(s, 0, NULL);
    const ts_audit_row *r = row(s, a, "z", TS_AUDIT_R, "w");
    assert_true(isnan(r->value));
    assert_true(r->flags & TS_AFLAG_CONSTANT);
    assert_true(has_flag(s, a, "z", TS_AUDIT_OUTLIER, "", TS_AFLAG_CONSTANT));
    assert_true(has_flag(s, a, "C", TS_AUDIT_PCA1, "", TS_AFLAG_TOO_FEW)); /* 2 complete cases */
    r = row(s, a, "w", TS_AUDIT_R, "v");
    assert_true(isnan(r->value));
    assert_int_equal(r->n, 2);
    assert_true(r->flags & TS_AFLAG_TOO_FEW);
    expect(s, a, "v", TS_AUDIT_MISSING, "", 0.6, 5);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ts_audit_write(f, TS_FORMAT_CSV, s, a, &err), TS_OK);
    assert_int_equal(ts_audit_write(f, TS_FORMAT_JSON, s, a, &err), TS_OK);
    assert_int_equal(ts_audit_write(f, TS_FORMAT_TABLE, s, a, &err), TS_OK);
    fclose(f);
    assert_null(strstr(buf, "nan"));
    assert_non_null(strstr(buf, "z,r,w,,5,constant;small_n\n"));
    free(buf);
    ts_audit_free(a);
    ts_scenario_free(s);
    /* pooled, v's four observations come from two units: no correlation */
    path = tu_write("audit_c2.cfg",
                    "name = \"Const2\"; extends = \"audit_c.cfg\";\n"
                    "data = ( { indicator = \"z\"; year = 2021; source = \"s\"; values = { P = 3; Q = 3; R = 3; S = 3; T = 3; }; },\n"
                    "  { indicator = \"w\"; year = 2021; source = \"s\"; values = { P = 2; Q = 1; R = 4; S = 3; T = 5; }; },\n"
                    "  { indicator = \"v\"; year = 2021; source = \"s\"; values = { P = 3; Q = 1; }; } );\n");
    if (ts_scenario_load(path, &s, &err) != TS_OK) fail_msg("%s", err.message);
    a = run(s, 1, NULL);
    assert_int_equal(a->n_obs, 10);
    r = row(s, a, "w", TS_AUDIT_R, "v");
    assert_true(isnan(r->value));
    assert_int_equal(r->n, 4);
    assert_true(r->flags & TS_AFLAG_TOO_FEW);
    assert_true(isnan(row(s, a, "v", TS_AUDIT_R_PARENT, "C")->value));
    expect(s, a, "w", TS_AUDIT_N, "", 10, 10);
    ts_audit_free(a);
    ts_scenario_free(s);
}

/* Bad reference lists are reported with file:line. */
static void test_reference_errors(void **state) {
    (void)state;
    /* line 1: name and taxonomy; 2: units; 3: "references = ("; 4: a block */
    static const struct {
        const char *refs, *message;
        int line;
    } cases[] = {
        {"references = (\n { id = \"e\"; year = 2020; sourec = \"x\"; values = { P = 1; }; } );\n",
         "unknown key 'sourec' (did you mean 'source'?)", 4},
        {"references = (\n { id = \"e\"; year = 2020; source = \"x\";\n values = { PP = 1; }; } );\n",
         "unknown unit 'PP' (did you mean 'P'?)", 5},
        {"references = (\n { id = \"e\"; year = 2020;\n values = { P = 1; }; } );\n", "has no source", 5},
        {"references = (\n { id = \"e\"; source = \"x\";\n values = { P = 1; }; } );\n", "has no year", 5},
        {"references = (\n { id = \"e\"; node = \"AA\"; year = 2020; source = \"x\"; values = { P = 1; }; } );\n",
         "unknown node 'AA'", 4},
        {"references = (\n { id = \"e\"; direction = \"up\"; year = 2020; source = \"x\"; values = { P = 1; }; } );\n",
         "direction must be", 4},
        {"references = (\n { id = \"e\"; year = 2020; source = \"x\"; values = { P = 1; }; },\n"
         " { id = \"e\"; year = 2020; source = \"y\"; values = { P = 2; }; } );\n",
         "duplicate value of reference 'e' for 'P' in 2020 (first on line 4)", 5},
        {"references = (\n { year = 2020; source = \"x\"; values = { P = 1; }; } );\n", "needs an id", 4},
        {"references = (\n { id = \"e\"; year = 2020; source = \"x\"; values = { P = \"high\"; }; } );\n",
         "must be a number", 4},
    };
    tu_write("audit_tax.cfg", TAX);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[4096];
        snprintf(text, sizeof text, "name = \"E\"; taxonomy = \"audit_tax.cfg\";\n" UNITS "%s", cases[i].refs);
        const char *path = tu_write("audit_bad.cfg", text);
        ts_error err;
        ts_scenario *s = NULL;
        ts_scenario_load(path, &s, &err);
        if (!s) fail_msg("case %zu: %s", i, err.message);
        ts_audit_refs *r = NULL;
        assert_int_equal(ts_audit_refs_load(s, &r, &err), TS_EINPUT);
        assert_null(r);
        if (!strstr(err.message, cases[i].message)) fail_msg("case %zu: '%s'", i, err.message);
        if (err.line != cases[i].line) fail_msg("case %zu: line %d, expected %d", i, err.line, cases[i].line);
        assert_string_equal(err.file, path);
        ts_scenario_free(s);
    }
    /* a what-if inherits its parent's references */
    ts_scenario_free(load_fixture(SCEN));
    ts_error err;
    const char *child = tu_write("audit_child.cfg", "name = \"Child\"; extends = \"audit_scen.cfg\";\n");
    ts_scenario *s = NULL;
    ts_scenario_load(child, &s, &err);
    if (!s) fail_msg("%s", err.message);
    ts_audit_refs *r;
    assert_int_equal(ts_audit_refs_load(s, &r, &err), TS_OK);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->series[2].obs[4].year, 2019);
    int from;
    assert_true(isnan(ts_audit_ref_value(&r->series[2], 4, 2018, -1, &from)));
    assert_true(ts_audit_ref_value(&r->series[2], 4, 2020, -1, &from) == 1 && from == 2019);
    assert_true(isnan(ts_audit_ref_value(&r->series[2], 4, 2021, 1, &from)));
    ts_audit_refs_free(r);
    ts_scenario_free(s);
}

/* The statistics functions on their own: missing values are skipped
 * pairwise (correlations) or casewise (alpha, PCA); ties take average
 * ranks; an eigenvector whose components sum to zero is signed by its
 * first component. */
static void test_stats_functions(void **state) {
    (void)state;
    double x[] = {1, 2, 3, 4, 5, NAN}, y[] = {5, 3, 4, 1, 2, 7}, z[] = {1, 1, 2, 2, NAN, 3}, work[18];
    int n, constant;
    assert_true(fabs(ts_pearson(x, y, 6, &n, &constant) + 0.8) <= 1e-15);
    assert_int_equal(n, 5);
    /* z's ranks over the pairs with x (1,1,2,2): 1.5,1.5,3.5,3.5 */
    double rho = ts_spearman(x, z, 6, work, &n, &constant);
    assert_int_equal(n, 4);
    assert_true(fabs(rho - 4 / sqrt(20.0)) <= 1e-15);
    double c[] = {2, 2, 2, 2, 2, 2};
    assert_true(isnan(ts_pearson(x, c, 6, &n, &constant)));
    assert_int_equal(constant, 1);
    assert_true(isnan(ts_spearman(x, x, 2, work, &n, &constant)));
    assert_int_equal(n, 2);
    const double *cols[] = {x, y};
    double load[2];
    assert_true(fabs(ts_pca_first(cols, 2, 6, load, &n, &constant) - 0.9) <= 1e-15);
    assert_int_equal(n, 5);
    assert_true(fabs(load[0] - sqrt(0.5)) <= 1e-15 && fabs(load[1] + sqrt(0.5)) <= 1e-15);
    /* alpha of x and y: variances 5/2 each, row sums (6,5,7,5,7) variance 1 */
    assert_true(fabs(ts_cronbach(cols, 2, 6, &n, &constant) - 2 * (1 - 5.0)) <= 1e-14);
    ts_colstats cs;
    assert_int_equal(ts_colstats_compute(z, 6, &cs), 0);
    assert_int_equal(cs.n, 5);
    assert_true(fabs(cs.missing - 1.0 / 6) <= 1e-15 && cs.unique == 3.0 / 5 && cs.min == 1 && cs.max == 3);
    assert_int_equal(ts_colstats_compute(c, 0, &cs), 0);
    assert_true(cs.n == 0 && isnan(cs.missing) && isnan(cs.mean) && isnan(cs.sd));
}

/* ---- COINr's ASEM example against numpy --------------------------------- */

typedef struct expected_row {
    const char *node, *stat, *with, *value, *n, *flag;
} expected_row;

static void test_asem_numpy(void **state) {
    (void)state;
    ts_error err;
    char tax[512], scen[512];
    snprintf(tax, sizeof tax, "%s", tu_path("asem_t.cfg"));
    snprintf(scen, sizeof scen, "%s", tu_path("asem_s.cfg"));
    if (ts_import_coinr(ASEM_DATA, ASEM_META, tax, scen, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    /* the GDP denominator as a reference series of the index */
    ts_csv_table *d = NULL;
    ts_csv_read_table(ASEM_DATA, TS_ENC_AUTO, &d, &err);
    assert_non_null(d);
    ts_buf b = {0};
    ts_buf_puts(&b, "name = \"ASEM with GDP\"; extends = \"asem_s.cfg\";\nreferences = ( { id = \"gdp\"; year = 2018;\n"
                    "  source = \"COINr ASEM iData, GDP\"; values = {");
    int code = ts_csv_table_column(d, "uCode"), gdp = ts_csv_table_column(d, "GDP");
    for (int r = 1; r < d->n_rows; r++)
        ts_buf_printf(&b, " %s = %.17g;", d->cell[(size_t)r * d->n_cols + code],
                      strtod(d->cell[(size_t)r * d->n_cols + gdp], NULL));
    ts_buf_puts(&b, " }; } );\n");
    ts_csv_table_free(d);
    const char *path = tu_write("asem_refs.cfg", b.data);
    ts_buf_free(&b);
    ts_scenario *s = NULL;
    ts_scenario_load(path, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_audit *a = run(s, 0, NULL);
    ts_csv_table *e = NULL;
    ts_csv_read_table(ASEM_EXPECTED, TS_ENC_UTF8, &e, &err);
    if (!e) fail_msg("%s: %s (run tests/data/audit/asem_audit.py)", ASEM_EXPECTED, err.message);
    assert_int_equal(e->n_rows - 1, a->n_rows);
    double worst = 0;
    for (int r = 1; r < e->n_rows; r++) {
        const char *const *c = e->cell + (size_t)r * e->n_cols;
        int k = ts_taxonomy_find(s->tax, c[0]), with = c[2][0] ? ts_taxonomy_find(s->tax, c[2]) : -1, st = -1, q = -1;
        for (int j = 0; j < TS_AUDIT_N_STATS; j++)
            if (strcmp(ts_audit_stat_name((ts_audit_stat)j), c[1]) == 0) st = j;
        if (st == TS_AUDIT_REF_RHO || st == TS_AUDIT_REF_R) q = ref(a, c[2]), with = -1;
        assert_true(k >= 0 && st >= 0);
        const ts_audit_row *ours = ts_audit_find(a, k, (ts_audit_stat)st, with, q);
        if (!ours) fail_msg("line %d: no row %s %s %s", e->line[r], c[0], c[1], c[2]);
        if (ours->n != atoi(c[4])) fail_msg("%s %s %s: n %d, numpy %s", c[0], c[1], c[2], ours->n, c[4]);
        ts_buf fl = {0};
        for (int f = 0; f < TS_AFLAG_COUNT; f++)
            if (ours->flags & (1u << f)) ts_buf_printf(&fl, "%s%s", fl.len ? ";" : "", ts_audit_flag_name(f));
        if (strcmp(fl.data ? fl.data : "", c[5]) != 0)
            fail_msg("%s %s %s: flags '%s', numpy '%s'", c[0], c[1], c[2], fl.data ? fl.data : "", c[5]);
        ts_buf_free(&fl);
        if (!c[3][0]) {
            assert_true(isnan(ours->value));
            continue;
        }
        double want = strtod(c[3], NULL), diff = fabs(ours->value - want) / fmax(1, fabs(want));
        if (!(diff <= 1e-9)) fail_msg("%s %s %s: %.17g, numpy %.17g", c[0], c[1], c[2], ours->value, want);
        if (diff > worst) worst = diff;
    }
    print_message("ASEM audit: %d statistics match numpy (largest relative difference %.2g)\n", e->n_rows - 1, worst);
    ts_csv_table_free(e);
    ts_audit_free(a);
    ts_scenario_free(s);
}

/* ---- the command line ----------------------------------------------------- */

static void test_cli(void **state) {
    (void)state;
    ts_scenario *s = load_fixture(SCEN2);
    ts_scenario_free(s);
    const char *scen = tu_path("audit_scen.cfg"), *out_file = tu_path("audit_out.csv");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "audit", "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: threatscore audit"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--format", "csv", NULL), 0);
    assert_true(strncmp(out, "node,statistic,with,value,n,flag\nT,n,,5,5,small_n\n", 50) == 0);
    assert_non_null(strstr(out, "y1,eff_weight,T,0.375,5,small_n\n"));
    free(out), free(err);
    /* --set and --perspective as score: equal weights, then B only */
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--set", "weights=equal", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "y1,eff_weight,T,0.25,5,small_n\n"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--perspective", "b_only", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "x1,eff_weight,T,0,"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--pooled", "--format", "csv", "-o", out_file, NULL), 0);
    assert_string_equal(out, "");
    free(out), free(err);
    size_t len;
    char *text = ts_read_file(out_file, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nT,n,,10,10,\n"));
    free(text);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--format", "json", "--node", "B", NULL), 0);
    assert_true(strncmp(out, "{\"scenario\":\"Fixture2\",\"node\":\"B\",\"pooled\":false", 48) == 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--pooled", NULL), 0);
    assert_non_null(strstr(out, "5 units x 2 years pooled (2020, 2021): 10 observations"));
    assert_non_null(strstr(out, "collinear: x1 and x2, r = 1.000 (n 10)"));
    assert_non_null(strstr(out, "closer to another aggregate: y2 follows A"));
    assert_non_null(strstr(out, "disagrees with reference bad"));
    free(out), free(err);
    /* errors */
    assert_int_equal(tu_run(&out, &err, "audit", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--bogus", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--format", "xml", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--min-coverage", "2", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--set", "normalise=bogus", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--node", "xx1", NULL), 1);
    assert_non_null(strstr(err, "unknown node 'xx1'"));
    assert_non_null(strstr(err, "(did you mean 'x1'?)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", scen, "--perspective", "nope", NULL), 1);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "audit", tu_path("missing.cfg"), NULL), 1);
    free(out), free(err);
    /* validate accepts a scenario with references */
    assert_int_equal(tu_run(&out, &err, "validate", scen, NULL), 0);
    free(out), free(err);
}

/* The Central Asia baseline, pooled over its years: runs, and each row's n
 * is at most the number of country-years. */
static void test_baseline_pooled(void **state) {
    (void)state;
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load("scenarios/baseline.cfg", &s, &err);
    if (!s) fail_msg("%s", err.message);
    ts_audit *a = run(s, 1, NULL);
    assert_true(a->n_years >= 2);
    assert_int_equal(a->n_obs, a->n_years * s->data->n_units);
    for (int i = 0; i < a->n_rows; i++) assert_true(a->rows[i].n >= 0 && a->rows[i].n <= a->n_obs);
    ts_audit_free(a);
    ts_scenario_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_fixture),   cmocka_unit_test(test_pooled),
        cmocka_unit_test(test_node_and_options), cmocka_unit_test(test_undefined),
        cmocka_unit_test(test_reference_errors), cmocka_unit_test(test_asem_numpy),
        cmocka_unit_test(test_cli),            cmocka_unit_test(test_baseline_pooled),
        cmocka_unit_test(test_stats_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
