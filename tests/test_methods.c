/* test_methods.c -- every normaliser, transform, treatment, imputation and
 * aggregator on small cases checked by hand, with edge cases (all missing,
 * one unit, ties, zeros under a geometric mean). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "aggregate.h"
#include "impute.h"
#include "normalise.h"
#include "treat.h"

#define EPS 1e-12

/* Normalises x with method m (range lo..hi when lo < hi) for direction dir;
 * default output range of the 0-1 family is 0..10. */
static int norm(ts_norm_method m, double lo, double hi, int dir, const double *gp, const double *target, int ref,
                const double *x, int n, double *out) {
    ts_norm nm = ts_norm_default();
    nm.method = m;
    if (lo < hi) {
        nm.has_range = 1;
        nm.lo = lo;
        nm.hi = hi;
    }
    ts_norm_args a = {&nm, dir, gp, target, ref, 0.0, 10.0};
    return ts_normalise_column(&a, x, n, out);
}

static void test_minmax_and_direction(void **state) {
    (void)state;
    double x[] = {2, 4, NAN, 6}, out[4];
    assert_int_equal(norm(TS_NORM_MINMAX, 0, 0, 1, NULL, NULL, -1, x, 4, out), TS_NORM_OK);
    assert_float_equal(out[0], 0, EPS);
    assert_float_equal(out[1], 5, EPS);
    assert_true(isnan(out[2]));
    assert_float_equal(out[3], 10, EPS);
    assert_int_equal(norm(TS_NORM_MINMAX, 0, 0, -1, NULL, NULL, -1, x, 4, out), TS_NORM_OK);
    assert_float_equal(out[0], 10, EPS);
    assert_float_equal(out[3], 0, EPS);
    assert_int_equal(norm(TS_NORM_MINMAX, 1, 100, 1, NULL, NULL, -1, x, 4, out), TS_NORM_OK);
    assert_float_equal(out[1], 50.5, EPS);
}

static void test_goalposts(void **state) {
    (void)state;
    double gp[] = {0, 5}, x[] = {-1, 2.5, 7}, out[3];
    assert_int_equal(norm(TS_NORM_MINMAX, 0, 0, 1, gp, NULL, -1, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 0, EPS);
    assert_float_equal(out[1], 5, EPS);
    assert_float_equal(out[2], 10, EPS);
    assert_int_equal(norm(TS_NORM_GOALPOSTS, 0, 100, -1, gp, NULL, -1, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 100, EPS); /* protective: below the low post is the most risk */
    assert_float_equal(out[1], 50, EPS);
    assert_float_equal(out[2], 0, EPS);
    double c[] = {3, 3};
    assert_int_equal(norm(TS_NORM_MINMAX, 0, 0, 1, gp, NULL, -1, c, 2, out), TS_NORM_OK);
    assert_float_equal(out[0], 6, EPS);
    assert_int_equal(norm(TS_NORM_GOALPOSTS, 0, 0, 1, NULL, NULL, -1, c, 2, out), TS_NORM_NOTARGET);
}

static void test_constant_empty_single(void **state) {
    (void)state;
    double c[] = {3, NAN, 3}, out[3];
    assert_int_equal(norm(TS_NORM_MINMAX, 0, 0, 1, NULL, NULL, -1, c, 3, out), TS_NORM_CONSTANT);
    assert_int_equal(norm(TS_NORM_ZSCORE, 0, 0, 1, NULL, NULL, -1, c, 3, out), TS_NORM_CONSTANT);
    assert_int_equal(norm(TS_NORM_DIST2MAX, 0, 0, 1, NULL, NULL, -1, c, 3, out), TS_NORM_CONSTANT);
    double one[] = {4};
    assert_int_equal(norm(TS_NORM_MINMAX, 0, 0, 1, NULL, NULL, -1, one, 1, out), TS_NORM_CONSTANT);
    assert_int_equal(norm(TS_NORM_RANK, 0, 0, 1, NULL, NULL, -1, one, 1, out), TS_NORM_OK);
    assert_float_equal(out[0], 1, EPS);
    assert_int_equal(norm(TS_NORM_PRANK, 0, 0, 1, NULL, NULL, -1, one, 1, out), TS_NORM_OK);
    assert_float_equal(out[0], 5, EPS); /* a single unit sits in the middle */
    double none[] = {NAN, NAN};
    for (int m = TS_NORM_MINMAX; m <= TS_NORM_NONE; m++) {
        assert_int_equal(norm((ts_norm_method)m, 0, 0, 1, NULL, NULL, -1, none, 2, out), TS_NORM_OK);
        assert_true(isnan(out[0]) && isnan(out[1]));
    }
}

static void test_zscore(void **state) {
    (void)state;
    ts_norm n = ts_norm_default();
    n.method = TS_NORM_ZSCORE;
    double x[] = {2, 4, 6}, out[3];
    ts_norm_args a = {&n, 1, NULL, NULL, -1, 0, 10};
    assert_int_equal(ts_normalise_column(&a, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], -1, EPS); /* mean 4, sample sd 2 */
    assert_float_equal(out[2], 1, EPS);
    n.mean = 10;
    n.sd = 2;
    a.direction = -1;
    assert_int_equal(ts_normalise_column(&a, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 12, EPS);
    assert_float_equal(out[2], 8, EPS);
}

static void test_rank_family(void **state) {
    (void)state;
    double x[] = {5, 1, 5, NAN, 3}, r[5];
    assert_int_equal(ts_rank_values(x, 5, 0, r), 0);
    assert_float_equal(r[0], 3, EPS); /* ties share the lowest rank */
    assert_float_equal(r[1], 1, EPS);
    assert_float_equal(r[2], 3, EPS);
    assert_true(isnan(r[3]));
    assert_float_equal(r[4], 2, EPS);
    assert_int_equal(norm(TS_NORM_RANK, 0, 0, -1, NULL, NULL, -1, x, 5, r), TS_NORM_OK);
    assert_float_equal(r[1], 4, EPS); /* protective: the smallest value is the highest risk */
    assert_float_equal(r[0], 1, EPS);
    assert_int_equal(norm(TS_NORM_BORDA, 0, 0, 1, NULL, NULL, -1, x, 5, r), TS_NORM_OK);
    assert_float_equal(r[0], 2, EPS);
    assert_float_equal(r[1], 0, EPS);
    /* prank = (rank - 1) / (n - 1), here onto 0..10 */
    assert_int_equal(norm(TS_NORM_PRANK, 0, 0, 1, NULL, NULL, -1, x, 5, r), TS_NORM_OK);
    assert_float_equal(r[0], 10.0 * 2 / 3, EPS);
    assert_float_equal(r[4], 10.0 / 3, EPS);
    /* rank onto 1..100 as the benchmark: 1 + (r - 1) / (n - 1) * 99 */
    assert_int_equal(norm(TS_NORM_RANK, 1, 100, 1, NULL, NULL, -1, x, 5, r), TS_NORM_OK);
    assert_float_equal(r[1], 1, EPS);
    assert_float_equal(r[4], 34, EPS);
}

static void test_distance_family(void **state) {
    (void)state;
    double x[] = {2, 4, 10}, out[3];
    /* fracmax x / max */
    assert_int_equal(norm(TS_NORM_FRACMAX, 0, 1, 1, NULL, NULL, -1, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 0.2, EPS);
    assert_float_equal(out[2], 1, EPS);
    /* dist2max = 1 - (max - x) / (max - min) */
    assert_int_equal(norm(TS_NORM_DIST2MAX, 0, 1, 1, NULL, NULL, -1, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[1], 0.25, EPS);
    /* dist2ref = (x - min) / (x_ref - min), uncapped by default */
    ts_norm n = ts_norm_default();
    n.method = TS_NORM_DIST2REF;
    n.cap = 0;
    ts_norm_args a = {&n, 1, NULL, NULL, 1, 0, 10};
    assert_int_equal(ts_normalise_column(&a, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 0, EPS);
    assert_float_equal(out[1], 10, EPS);
    assert_float_equal(out[2], 40, EPS);
    n.cap = 1;
    assert_int_equal(ts_normalise_column(&a, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[2], 10, EPS);
    a.ref = 0; /* the reference is the minimum: undefined */
    assert_int_equal(ts_normalise_column(&a, x, 3, out), TS_NORM_NOREF);
    /* dist2targ = (x - min) / (target - min), capped */
    double targ = 6;
    n.method = TS_NORM_DIST2TARG;
    n.cap = 1;
    ts_norm_args b = {&n, 1, NULL, &targ, -1, 0, 10};
    assert_int_equal(ts_normalise_column(&b, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[1], 5, EPS);
    assert_float_equal(out[2], 10, EPS);
    b.target = NULL;
    assert_int_equal(ts_normalise_column(&b, x, 3, out), TS_NORM_NOTARGET);
    /* scaled (x - lower) / (upper - lower) * 100 */
    n = ts_norm_default();
    n.method = TS_NORM_SCALED;
    n.lower = 0;
    n.upper = 20;
    ts_norm_args c = {&n, 1, NULL, NULL, -1, 0, 10};
    assert_int_equal(ts_normalise_column(&c, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[2], 50, EPS);
    assert_int_equal(norm(TS_NORM_NONE, 0, 0, -1, NULL, NULL, -1, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[2], -10, EPS);
}

static void test_transforms(void **state) {
    (void)state;
    ts_transform t = ts_transform_default();
    double y;
    t.method = TS_TRANSFORM_LOG;
    assert_int_equal(ts_transform_value(&t, exp(1.0), 0, 0, &y), 0);
    assert_float_equal(y, 1, EPS);
    assert_int_equal(ts_transform_value(&t, 0, 0, 0, &y), -1);
    t.method = TS_TRANSFORM_LOG1P;
    assert_int_equal(ts_transform_value(&t, -1, 0, 0, &y), -1);
    t.method = TS_TRANSFORM_LOGCT; /* log(x - min + 0.01 (max - min)) */
    double x[] = {0, 100, NAN};
    assert_int_equal(ts_transform_column(&t, x, 3), 0);
    assert_float_equal(x[0], log(1.0), EPS);
    assert_float_equal(x[1], log(101.0), EPS);
    t.method = TS_TRANSFORM_BOXCOX;
    t.lambda = 0.5;
    assert_int_equal(ts_transform_value(&t, 4, 0, 0, &y), 0);
    assert_float_equal(y, 2, EPS); /* (sqrt(4) - 1) / 0.5 */
    t.lambda = 0;
    assert_int_equal(ts_transform_value(&t, exp(2.0), 0, 0, &y), 0);
    assert_float_equal(y, 2, EPS);
}

static void test_skew_kurtosis(void **state) {
    (void)state;
    /* expected values computed independently in Python from the Excel SKEW/KURT (e1071 type 2) formulas */
    double x[] = {1, 2, 3, 4, 100};
    assert_float_equal(ts_skewness(x, 5), 2.232395911636458, 1e-12);
    assert_float_equal(ts_kurtosis(x, 5), 4.986865957200655, 1e-12);
    double short_x[] = {1, 2, 3};
    assert_true(isnan(ts_kurtosis(short_x, 3)));
}

static void test_treatment(void **state) {
    (void)state;
    ts_treat t = ts_treat_coinr();
    ts_treat_log tl;
    /* one far outlier among twenty: one winsorisation step fixes it */
    double x[20];
    for (int i = 0; i < 19; i++) x[i] = i;
    x[19] = 1000;
    assert_int_equal(ts_treat_column(&t, x, 20, &tl), 0);
    assert_true(tl.treated);
    assert_int_equal(tl.winsorised_high, 1);
    assert_int_equal(tl.winsorised_low, 0);
    assert_false(tl.fallback);
    assert_float_equal(x[19], 18, EPS);
    assert_true(fabs(tl.skew_after) < 2 || tl.kurtosis_after < 3.5);
    /* a column that passes is left alone */
    double ok[] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(ts_treat_column(&t, ok, 6, &tl), 0);
    assert_true(tl.checked && !tl.treated);
    assert_float_equal(ok[5], 6, EPS);
    /* heavy tail that five points cannot fix: log of the original values */
    double heavy[40];
    for (int i = 0; i < 40; i++) heavy[i] = pow(1.5, i);
    double orig0 = heavy[0];
    assert_int_equal(ts_treat_column(&t, heavy, 40, &tl), 0);
    assert_true(tl.treated);
    if (tl.fallback) {
        double min = orig0, max = pow(1.5, 39);
        assert_float_equal(heavy[0], log(min - min + 0.01 * (max - min)), 1e-9);
    }
    /* treatment none: untouched but measured */
    ts_treat none = ts_treat_none();
    double y[] = {1, 2, 3, 4, 1000};
    assert_int_equal(ts_treat_column(&none, y, 5, &tl), 0);
    assert_false(tl.checked);
    assert_float_equal(y[4], 1000, EPS);
}

static void test_imputation(void **state) {
    (void)state;
    ts_impute m = ts_impute_default();
    unsigned char flags[5] = {0};
    double x[] = {1, NAN, 3, 10, NAN};
    m.method = TS_IMPUTE_MEAN;
    assert_int_equal(ts_impute_column(&m, x, 5, NULL, NULL, flags), 2);
    assert_float_equal(x[1], 14.0 / 3, EPS);
    assert_true(flags[1] && flags[4] && !flags[0]);
    double y[] = {1, NAN, 3, 10};
    memset(flags, 0, sizeof flags);
    m.method = TS_IMPUTE_MEDIAN;
    assert_int_equal(ts_impute_column(&m, y, 4, NULL, NULL, flags), 1);
    assert_float_equal(y[1], 3, EPS);
    /* group mean: a group without data stays missing */
    const char *groups[] = {"a", "a", "b", "b", "c"};
    double z[] = {2, NAN, 5, NAN, NAN};
    memset(flags, 0, sizeof flags);
    m.method = TS_IMPUTE_GROUP_MEAN;
    assert_int_equal(ts_impute_column(&m, z, 5, groups, NULL, flags), 2);
    assert_float_equal(z[1], 2, EPS);
    assert_float_equal(z[3], 5, EPS);
    assert_true(isnan(z[4]));
    /* screened units neither give nor take */
    unsigned char skip[] = {1, 0, 0, 0, 0};
    double w[] = {100, NAN, 4, 6, NAN};
    memset(flags, 0, sizeof flags);
    m.method = TS_IMPUTE_MEAN;
    assert_int_equal(ts_impute_column(&m, w, 5, NULL, skip, flags), 2);
    assert_float_equal(w[1], 5, EPS);
}

static ts_agg agg(ts_agg_method m) {
    ts_agg a = ts_agg_default();
    a.method = m;
    return a;
}

static void test_aggregators(void **state) {
    (void)state;
    int bad;
    double v[] = {2, 8, NAN}, w[] = {1, 3, 5};
    ts_agg a = agg(TS_AGG_ARITHMETIC);
    assert_float_equal(ts_aggregate(&a, v, w, 3, &bad), 26 / 4.0, EPS);
    a = agg(TS_AGG_GEOMETRIC);
    assert_float_equal(ts_aggregate(&a, v, w, 3, &bad), pow(2, 0.25) * pow(8, 0.75), EPS);
    a = agg(TS_AGG_HARMONIC);
    assert_float_equal(ts_aggregate(&a, v, w, 3, &bad), 4 / (1 / 2.0 + 3 / 8.0), EPS);
    a = agg(TS_AGG_GENMEAN);
    a.p = 2;
    assert_float_equal(ts_aggregate(&a, v, w, 3, &bad), sqrt((4 + 3 * 64) / 4.0), EPS);
    a = agg(TS_AGG_MIN);
    assert_float_equal(ts_aggregate(&a, v, w, 3, &bad), 2, EPS);
    a = agg(TS_AGG_MAX);
    assert_float_equal(ts_aggregate(&a, v, w, 3, &bad), 8, EPS);
    /* INFORM's Human: max(CHVCI, 0.7 x projected conflict) */
    double hv[] = {3, 6}, hw[] = {1, 0.7};
    a = agg(TS_AGG_WMAX);
    assert_float_equal(ts_aggregate(&a, hv, hw, 2, &bad), 4.2, EPS);
    /* INFORM's complement geometric mean: (10 - G(10 - 0.9 x)) / 0.9 */
    double cv[] = {2, 8}, cw[] = {1, 1};
    a = agg(TS_AGG_CGEOMETRIC);
    assert_float_equal(ts_aggregate(&a, cv, cw, 2, &bad), (10 - sqrt(8.2 * 2.8)) / 0.9, EPS);
    /* weighted median (matrixStats, interpolated): equal weights = median */
    double mv[] = {1, 5, 3}, mw[] = {1, 1, 1};
    a = agg(TS_AGG_WMEDIAN);
    assert_float_equal(ts_aggregate(&a, mv, mw, 3, &bad), 3, EPS);
    double mw2[] = {1, 1, 4}; /* sorted 1 (w 1/6), 3 (4/6), 5 (1/6): midpoints 1/12, 1/2 */
    assert_float_equal(ts_aggregate(&a, mv, mw2, 3, &bad), 3, EPS);
    /* zeros and negatives */
    double z[] = {0, 5}, w2[] = {1, 1};
    a = agg(TS_AGG_GEOMETRIC);
    assert_float_equal(ts_aggregate(&a, z, w2, 2, &bad), 0, EPS);
    a = agg(TS_AGG_HARMONIC);
    assert_float_equal(ts_aggregate(&a, z, w2, 2, &bad), 0, EPS);
    double neg[] = {-1, 5};
    a = agg(TS_AGG_GEOMETRIC);
    assert_true(isnan(ts_aggregate(&a, neg, w2, 2, &bad)));
    assert_int_equal(bad, 0);
    /* all missing, zero weights, one value */
    double none[] = {NAN, NAN};
    a = agg(TS_AGG_ARITHMETIC);
    assert_true(isnan(ts_aggregate(&a, none, w2, 2, &bad)));
    double w0[] = {0, 1, 1};
    assert_float_equal(ts_aggregate(&a, v, w0, 3, &bad), 8, EPS);
    double one[] = {7};
    a = agg(TS_AGG_HARMONIC);
    assert_float_equal(ts_aggregate(&a, one, w2, 1, &bad), 7, EPS);
}

static void test_copeland(void **state) {
    (void)state;
    /* 3 units x 2 children, child-major. Unit 0 beats 1 on both, ties 2 on
       child 0 and loses on child 1: O_02 = 1/4 -> loss. */
    double v[] = {3, 1, 3,   /* child 0 */
                  5, 2, 9};  /* child 1 */
    double w[] = {1, 1}, out[3];
    assert_int_equal(ts_aggregate_copeland(v, w, 2, 3, out), 0);
    assert_float_equal(out[0], 0, EPS);  /* +1 vs unit 1, -1 vs unit 2 */
    assert_float_equal(out[1], -2, EPS);
    assert_float_equal(out[2], 2, EPS);
    /* exactly half: a tie scores 0 */
    double t[] = {1, 2, 2, 1};
    assert_int_equal(ts_aggregate_copeland(t, w, 2, 2, out), 0);
    assert_float_equal(out[0], 0, EPS);
    assert_float_equal(out[1], 0, EPS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minmax_and_direction), cmocka_unit_test(test_goalposts),
        cmocka_unit_test(test_constant_empty_single), cmocka_unit_test(test_zscore),
        cmocka_unit_test(test_rank_family),          cmocka_unit_test(test_distance_family),
        cmocka_unit_test(test_transforms),           cmocka_unit_test(test_skew_kurtosis),
        cmocka_unit_test(test_treatment),            cmocka_unit_test(test_imputation),
        cmocka_unit_test(test_aggregators),          cmocka_unit_test(test_copeland),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
