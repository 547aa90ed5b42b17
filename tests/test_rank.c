/* test_rank.c -- ts_rank_values (counting for few values, radix sort for
 * many) against the qsort ranking it replaced, on ties, NaN, signed zeros. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "normalise.h"

/* The reference: ts_rank_values as it was before the counting and radix
 * paths, sorting (value, index) pairs with qsort. */
typedef struct ref_keyed {
    double v;
    int i;
} ref_keyed;

static int ref_cmp(const void *a, const void *b) {
    const ref_keyed *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int ref_rank_values(const double *x, int n, int descending, double *rank) {
    ref_keyed *k = malloc(((size_t)n + 1) * sizeof *k);
    if (!k) return -1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) {
            rank[i] = NAN;
            continue;
        }
        k[m].v = descending ? -x[i] : x[i];
        k[m].i = i;
        m++;
    }
    qsort(k, (size_t)m, sizeof *k, ref_cmp);
    int first = 0;
    for (int j = 0; j < m; j++) {
        if (j > 0 && k[j].v != k[j - 1].v) first = j;
        rank[k[j].i] = (double)(first + 1);
    }
    free(k);
    return 0;
}

static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* One value of the kind named by kind: scores with many digits, a few
 * distinct values (ties), special values, or any non-NaN bit pattern. */
static double draw(uint64_t *s, int kind) {
    uint64_t r = next(s);
    if (r % 10 == 0) return NAN; /* 10 % missing */
    switch (kind) {
    case 0: return (double)(r >> 11) * 0x1.0p-53 * 100;
    case 1: return (double)(r >> 40 & 7) - 3; /* 8 values: many ties, negatives */
    case 2: {
        const double special[] = {0.0, -0.0, INFINITY, -INFINITY, 1e-310, -1e-310, 1.0, -1.0, 1e308, -1e308};
        return special[(r >> 32) % 10];
    }
    default: {
        double x;
        uint64_t bits = r >> 1 | (r & 1) << 63;
        memcpy(&x, &bits, sizeof x);
        return isnan(x) ? 0.5 : x;
    }
    }
}

/* Checks one random input of n values against the reference, both ways. */
static void compare(uint64_t *s, int n, int kind) {
    double *x = malloc(((size_t)n + 1) * sizeof *x), *want = malloc(((size_t)n + 1) * sizeof *want),
           *got = malloc(((size_t)n + 1) * sizeof *got);
    assert_non_null(x), assert_non_null(want), assert_non_null(got);
    for (int i = 0; i < n; i++) x[i] = draw(s, kind);
    for (int descending = 0; descending <= 1; descending++) {
        assert_int_equal(ref_rank_values(x, n, descending, want), 0);
        for (int i = 0; i < n; i++) got[i] = -7; /* every slot must be written */
        assert_int_equal(ts_rank_values(x, n, descending, got), 0);
        for (int i = 0; i < n; i++)
            if (!(got[i] == want[i] || (isnan(got[i]) && isnan(want[i]))))
                fail_msg("n %d kind %d descending %d: rank[%d] of %.17g is %g, reference %g", n, kind, descending,
                         i, x[i], got[i], want[i]);
    }
    free(x), free(want), free(got);
}

/* Every size from 0 past the switch from counting to sorting. */
static void test_small_and_switch(void **state) {
    (void)state;
    uint64_t s = 11;
    for (int n = 0; n <= 300; n++)
        for (int kind = 0; kind < 4; kind++)
            for (int rep = 0; rep < 3; rep++) compare(&s, n, kind);
}

static void test_large(void **state) {
    (void)state;
    uint64_t s = 12;
    int sizes[] = {1000, 4097, 20000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int kind = 0; kind < 4; kind++) compare(&s, sizes[k], kind);
}

/* All missing, all equal, and one value: the degenerate columns. */
static void test_degenerate(void **state) {
    (void)state;
    int sizes[] = {1, 5, 96, 97, 160, 161, 500};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k];
        double *x = malloc((size_t)n * sizeof *x), *r = malloc((size_t)n * sizeof *r);
        assert_non_null(x), assert_non_null(r);
        for (int i = 0; i < n; i++) x[i] = NAN;
        assert_int_equal(ts_rank_values(x, n, 1, r), 0);
        for (int i = 0; i < n; i++) assert_true(isnan(r[i]));
        for (int i = 0; i < n; i++) x[i] = i % 2 ? 0.0 : -0.0; /* equal values */
        assert_int_equal(ts_rank_values(x, n, 0, r), 0);
        for (int i = 0; i < n; i++) assert_true(r[i] == 1);
        for (int i = 0; i < n; i++) x[i] = i == n / 2 ? 42 : NAN;
        assert_int_equal(ts_rank_values(x, n, 1, r), 0);
        assert_true(r[n / 2] == 1);
        free(x), free(r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_and_switch),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
