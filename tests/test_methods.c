/* test_methods.c -- normalisers, transforms and aggregators on small cases
 * checked by hand, including edge cases. */
#include "testutil.h"

#include <math.h>

#include "aggregate.h"
#include "normalise.h"

#define EPS 1e-12

static ts_norm minmax(double lo, double hi) {
    ts_norm n = ts_norm_default();
    n.lo = lo;
    n.hi = hi;
    return n;
}

static void test_minmax(void **state) {
    (void)state;
    ts_norm n = minmax(0, 10);
    double x[] = {2, 4, NAN, 6}, out[4];
    assert_int_equal(ts_normalise_column(&n, 1, NULL, x, 4, out), TS_NORM_OK);
    assert_float_equal(out[0], 0, EPS);
    assert_float_equal(out[1], 5, EPS);
    assert_true(isnan(out[2]));
    assert_float_equal(out[3], 10, EPS);
    /* protective: the smallest value is the highest risk */
    assert_int_equal(ts_normalise_column(&n, -1, NULL, x, 4, out), TS_NORM_OK);
    assert_float_equal(out[0], 10, EPS);
    assert_float_equal(out[1], 5, EPS);
    assert_float_equal(out[3], 0, EPS);
    /* another output range */
    n = minmax(1, 100);
    assert_int_equal(ts_normalise_column(&n, 1, NULL, x, 4, out), TS_NORM_OK);
    assert_float_equal(out[1], 50.5, EPS);
}

static void test_goalposts_truncate(void **state) {
    (void)state;
    ts_norm n = minmax(0, 10);
    double gp[] = {0, 5};
    double x[] = {-1, 2.5, 7}, out[3];
    assert_int_equal(ts_normalise_column(&n, 1, gp, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 0, EPS);
    assert_float_equal(out[1], 5, EPS);
    assert_float_equal(out[2], 10, EPS);
    /* goalposts make a constant column fine */
    double c[] = {3, 3};
    assert_int_equal(ts_normalise_column(&n, 1, gp, c, 2, out), TS_NORM_OK);
    assert_float_equal(out[0], 6, EPS);
}

static void test_constant_and_empty(void **state) {
    (void)state;
    ts_norm n = minmax(0, 10);
    double c[] = {3, NAN, 3}, out[3];
    assert_int_equal(ts_normalise_column(&n, 1, NULL, c, 3, out), TS_NORM_CONSTANT);
    double one[] = {4};
    assert_int_equal(ts_normalise_column(&n, 1, NULL, one, 1, out), TS_NORM_CONSTANT);
    n.method = TS_NORM_ZSCORE;
    assert_int_equal(ts_normalise_column(&n, 1, NULL, c, 3, out), TS_NORM_CONSTANT);
    double none[] = {NAN, NAN};
    n = minmax(0, 10);
    assert_int_equal(ts_normalise_column(&n, 1, NULL, none, 2, out), TS_NORM_OK);
    assert_true(isnan(out[0]) && isnan(out[1]));
}

static void test_zscore(void **state) {
    (void)state;
    ts_norm n = ts_norm_default();
    n.method = TS_NORM_ZSCORE;
    /* mean 4, sample sd 2 */
    double x[] = {2, 4, 6}, out[3];
    assert_int_equal(ts_normalise_column(&n, 1, NULL, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], -1, EPS);
    assert_float_equal(out[1], 0, EPS);
    assert_float_equal(out[2], 1, EPS);
    n.mean = 10;
    n.sd = 2;
    assert_int_equal(ts_normalise_column(&n, -1, NULL, x, 3, out), TS_NORM_OK);
    assert_float_equal(out[0], 12, EPS);
    assert_float_equal(out[2], 8, EPS);
}

static void test_rank_ties(void **state) {
    (void)state;
    double x[] = {5, 1, 5, NAN, 3}, r[5];
    assert_int_equal(ts_rank_values(x, 5, 0, r), 0);
    assert_float_equal(r[0], 3, EPS); /* ties share the lowest rank */
    assert_float_equal(r[1], 1, EPS);
    assert_float_equal(r[2], 3, EPS);
    assert_true(isnan(r[3]));
    assert_float_equal(r[4], 2, EPS);
    assert_int_equal(ts_rank_values(x, 5, 1, r), 0);
    assert_float_equal(r[0], 1, EPS);
    assert_float_equal(r[2], 1, EPS);
    assert_float_equal(r[4], 3, EPS);
    assert_float_equal(r[1], 4, EPS);
    ts_norm n = ts_norm_default();
    n.method = TS_NORM_RANK;
    assert_int_equal(ts_normalise_column(&n, -1, NULL, x, 5, r), TS_NORM_OK);
    assert_float_equal(r[1], 4, EPS); /* protective: the smallest value is the highest risk */
    assert_float_equal(r[0], 1, EPS);
}

static void test_transforms(void **state) {
    (void)state;
    double y;
    assert_int_equal(ts_transform_value(TS_TRANSFORM_LOG, exp(1.0), &y), 0);
    assert_float_equal(y, 1, EPS);
    assert_int_equal(ts_transform_value(TS_TRANSFORM_LOG, 0, &y), -1);
    assert_int_equal(ts_transform_value(TS_TRANSFORM_LOG1P, 0, &y), 0);
    assert_float_equal(y, 0, EPS);
    assert_int_equal(ts_transform_value(TS_TRANSFORM_LOG1P, -1, &y), -1);
    assert_int_equal(ts_transform_value(TS_TRANSFORM_NONE, -7, &y), 0);
    assert_float_equal(y, -7, EPS);
}

static void test_aggregators(void **state) {
    (void)state;
    int bad;
    double v[] = {2, 8, NAN}, w[] = {1, 3, 5};
    assert_float_equal(ts_aggregate(TS_AGG_ARITHMETIC, v, w, 3, &bad), (2 + 24) / 4.0, EPS);
    assert_int_equal(bad, -1);
    assert_float_equal(ts_aggregate(TS_AGG_GEOMETRIC, v, w, 3, &bad), pow(2, 0.25) * pow(8, 0.75), EPS);
    assert_float_equal(ts_aggregate(TS_AGG_HARMONIC, v, w, 3, &bad), 4 / (1 / 2.0 + 3 / 8.0), EPS);
    /* zero weight: skipped */
    double w0[] = {0, 1, 1};
    assert_float_equal(ts_aggregate(TS_AGG_ARITHMETIC, v, w0, 3, &bad), 8, EPS);
    /* a zero under a geometric or harmonic mean gives zero */
    double z[] = {0, 5};
    double w2[] = {1, 1};
    assert_float_equal(ts_aggregate(TS_AGG_GEOMETRIC, z, w2, 2, &bad), 0, EPS);
    assert_float_equal(ts_aggregate(TS_AGG_HARMONIC, z, w2, 2, &bad), 0, EPS);
    /* negative under geometric: reported */
    double neg[] = {-1, 5};
    assert_true(isnan(ts_aggregate(TS_AGG_GEOMETRIC, neg, w2, 2, &bad)));
    assert_int_equal(bad, 0);
    assert_float_equal(ts_aggregate(TS_AGG_ARITHMETIC, neg, w2, 2, &bad), 2, EPS);
    /* all missing */
    double none[] = {NAN, NAN};
    assert_true(isnan(ts_aggregate(TS_AGG_ARITHMETIC, none, w2, 2, &bad)));
    /* one value */
    double one[] = {7};
    assert_float_equal(ts_aggregate(TS_AGG_HARMONIC, one, w2, 1, &bad), 7, EPS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minmax),       cmocka_unit_test(test_goalposts_truncate),
        cmocka_unit_test(test_constant_and_empty), cmocka_unit_test(test_zscore),
        cmocka_unit_test(test_rank_ties),    cmocka_unit_test(test_transforms),
        cmocka_unit_test(test_aggregators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
