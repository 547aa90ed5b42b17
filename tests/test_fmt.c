/* test_fmt.c -- ts_fmt_g17 against snprintf("%.17g") on millions of values
 * (random bit patterns, exact ties, extremes, typical scores), ts_fmt_int,
 * and the long scores CSV that is their main user. */
#include "testutil.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "util.h"

/* Sanitizers make snprintf and the formatter ~10x slower: fewer values
 * keep the test near a second there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SCALE 8
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SCALE 8
#endif
#endif
#ifndef SCALE
#define SCALE 1
#endif

/* splitmix64: a fixed-seed stream, so a failure names a value that
 * reproduces. */
static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b) {
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static double uniform(uint64_t *s) { return (double)(next(s) >> 11) * 0x1.0p-53; }

/* Fails the test unless ts_fmt_g17 writes snprintf's bytes for x. */
static void check(double x) {
    char want[64], got[TS_FMT_SIZE + 8];
    memset(got, 'X', sizeof got);
    int n = snprintf(want, sizeof want, "%.17g", x);
    size_t len = ts_fmt_g17(got, x);
    if (len != (size_t)n || strcmp(want, got) != 0) {
        uint64_t b;
        memcpy(&b, &x, sizeof b);
        fail_msg("bits 0x%016llx: snprintf \"%s\", ts_fmt_g17 \"%s\" (length %zu)", (unsigned long long)b, want,
                 got, len);
    }
}

static void test_random_bits(void **state) {
    (void)state;
    uint64_t s = 1;
    for (int i = 0; i < 500000 / SCALE; i++) check(from_bits(next(&s)));
}

/* Random significands at every binary exponent from 1e-17 to 1e40, both
 * signs: the whole range of the exact method and its edges, where random
 * bit patterns land only 9 % of the time. */
static void test_exact_range(void **state) {
    (void)state;
    uint64_t s = 2;
    for (int i = 0; i < 1000000 / SCALE; i++) {
        uint64_t biased = 1023 - 57 + next(&s) % (57 + 134);
        check(from_bits((next(&s) & 0x800FFFFFFFFFFFFFULL) | biased << 52));
    }
}

/* Doubles that sit exactly halfway between two 17-digit decimals: n odd
 * and x = n / 2^(17 - e10) with 10^e10 <= x < 10^(e10 + 1) has an 18-digit
 * expansion ending in 5, rounded to even by glibc. n must be an integer
 * below 2^53, which leaves -8 <= e10 <= 15. */
static void test_exact_ties(void **state) {
    (void)state;
    check(1 + 0x1p-17);
    check(-(1 + 0x1p-17));
    check(1 + 3 * 0x1p-17);
    uint64_t s = 3;
    int ties = 0;
    for (int e10 = -8; e10 <= 15; e10++) {
        int j = 17 - e10;
        double lo = ldexp(pow(10, e10), j), hi = ldexp(pow(10, e10 + 1), j);
        if (hi > 0x1p53) hi = 0x1p53;
        if (lo >= hi) continue;
        for (int i = 0; i < 8000 / SCALE; i++) {
            double n = floor(lo + uniform(&s) * (hi - lo));
            if (fmod(n, 2) == 0) n += 1;
            if (n < lo || n >= hi) continue;
            double x = ldexp(n, -j);
            char exact[80];
            snprintf(exact, sizeof exact, "%.40e", x);
            /* the tie really is one: digit 18 is 5 and nothing follows */
            assert_int_equal(exact[18], '5');
            assert_int_equal(strspn(exact + 19, "0"), 23);
            check(x);
            check(-x);
            ties++;
        }
    }
    assert_true(ties > 150000 / SCALE);
}

static void test_extremes(void **state) {
    (void)state;
    double xs[] = {0.0, -0.0, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, 0x1p-1074, -0x1p-1074, 0x1.fffffffffffffp-1023,
                   DBL_EPSILON, 1.0, -1.0, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 100.0, 1e16, 1e17, 1e-4, 1e-5,
                   9.9999999999999995e-5, 0.0001, 99999999999999999.0, 9007199254740993.0, 123456789012345678.0,
                   1e38, 1e39, 1e-15, 1e-16, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) check(xs[i]);
    char buf[TS_FMT_SIZE];
    ts_fmt_g17(buf, 0.1);
    assert_string_equal(buf, "0.10000000000000001");
    ts_fmt_g17(buf, -0.0);
    assert_string_equal(buf, "-0");
    ts_fmt_g17(buf, 1 + 0x1p-17);
    assert_string_equal(buf, "1.0000076293945312");
    /* NaN goes to snprintf; the writers never ask for it */
    ts_fmt_g17(buf, NAN);
    assert_true(strstr(buf, "nan") != NULL);
}

/* Every power of two and of ten, each with its two neighbours: the places
 * where the decimal exponent estimate and the carry into 10^17 turn. */
static void test_powers(void **state) {
    (void)state;
    for (int e = -1074; e <= 1023; e++) {
        double x = ldexp(1, e);
        check(x), check(nextafter(x, 0)), check(nextafter(x, INFINITY)), check(-x);
    }
    for (int e = -323; e <= 308; e++) {
        char text[16];
        snprintf(text, sizeof text, "1e%d", e);
        double x = strtod(text, NULL);
        check(x), check(nextafter(x, 0)), check(nextafter(x, INFINITY)), check(-x);
        check(x * 9.99999999999999999), check(x * 0.999999999999999994); /* rounds up to 10^e */
    }
}

static void test_integers(void **state) {
    (void)state;
    for (int i = 0; i <= 100000 / SCALE; i++) check(i), check(-i);
    uint64_t s = 4;
    for (int i = 0; i < 200000 / SCALE; i++) check((double)(next(&s) >> (11 + next(&s) % 53)));
    check(0x1p53), check(0x1p53 - 1), check(0x1p53 + 2), check(-0x1p53);
}

/* Scores as the program prints them: 0..100 with every digit used, shares
 * 0..1, and values read from short decimals. */
static void test_scores(void **state) {
    (void)state;
    uint64_t s = 5;
    for (int i = 0; i < 150000 / SCALE; i++) {
        check(100 * uniform(&s));
        check(uniform(&s));
        check((double)(next(&s) % 100001) / 1000);
        check((double)(next(&s) % 1001) / 1000);
        check(10 * uniform(&s) / 3);
    }
}

/* Checks ts_fmt_int against "%lld" for v. */
static void check_int(long long v) {
    char want[32], got[TS_FMT_SIZE];
    int n = snprintf(want, sizeof want, "%lld", v);
    assert_int_equal(ts_fmt_int(got, v), n);
    assert_string_equal(got, want);
}

static void test_fmt_int(void **state) {
    (void)state;
    long long xs[] = {0, 1, -1, 9, 10, 99, 100, 101, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) check_int(xs[i]);
    for (long long p = 1; p <= LLONG_MAX / 10; p *= 10) check_int(p), check_int(p - 1), check_int(-p), check_int(1 - p);
    uint64_t s = 6;
    for (int i = 0; i < 100000 / SCALE; i++) check_int((long long)(next(&s) >> (next(&s) % 64)));
    for (int i = -1000; i <= 1000; i++) check_int(i);
}

/* The cache gives ts_fmt_g17's bytes on hits, misses and slot collisions:
 * repeated shares, then random values that evict them. */
static void test_cached(void **state) {
    (void)state;
    ts_fmt_cache *c = calloc(1, sizeof *c);
    assert_non_null(c);
    uint64_t s = 7;
    for (int i = 0; i < 200000 / SCALE; i++) {
        double x = i % 3 ? (double)(next(&s) % 11) / 10 : from_bits(next(&s));
        if (i % 7 == 0) x = (double)(next(&s) % 501) / 500;
        char want[TS_FMT_SIZE], got[TS_FMT_SIZE];
        size_t n = ts_fmt_g17(want, x);
        assert_int_equal(ts_fmt_g17_cached(c, got, x), n);
        assert_string_equal(got, want);
    }
    free(c);
}

/* ts_fmt_double keeps its contract ("" for NaN) on the fast path, also
 * into a buffer too small for the number. */
static void test_fmt_double(void **state) {
    (void)state;
    char buf[TS_FMT_SIZE], small[6];
    assert_string_equal(ts_fmt_double(buf, sizeof buf, NAN), "");
    assert_string_equal(ts_fmt_double(buf, sizeof buf, 0.1), "0.10000000000000001");
    assert_string_equal(ts_fmt_double(small, sizeof small, 0.1), "0.100");
    assert_string_equal(ts_fmt_double(buf, sizeof buf, -INFINITY), "-inf");
    ts_buf b = {0};
    ts_buf_json_number(&b, 0.25);
    ts_buf_puts(&b, ",");
    ts_buf_json_number(&b, NAN);
    assert_false(b.oom);
    assert_string_equal(b.data, "0.25,null");
    ts_buf_free(&b);
}

/* score --format csv renders each node's part of a line once; score
 * --lean writes every line through ts_csv_score_row. Names that need
 * quotes, and names too long for the fast path's line buffer, must give
 * the same bytes both ways. */
static void test_scores_csv_writers_agree(void **state) {
    (void)state;
    char longname[1500], tax[4096], csv[4096];
    memset(longname, 'L', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    snprintf(tax, sizeof tax,
             "id = \"t\"; name = \"Index, \\\"quoted\\\"\";\n"
             "scale = { min = 0.0; max = 10.0; };\n"
             "classes = ( { name = \"Low, really\"; }, { name = \" High \"; min = 5.0; } );\n"
             "children = (\n"
             "  { id = \"a\"; name = \"%s\"; children = (\n"
             "      { id = \"x1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
             "      { id = \"x2\"; direction = \"protective\"; } ); },\n"
             "  { id = \"b\"; name = \"Beta\\nline\"; children = (\n"
             "      { id = \"y1\"; direction = \"risk\"; goalposts = [0.0, 100.0]; } ); }\n"
             ");\n",
             longname);
    snprintf(csv, sizeof csv,
             "id,name,x1,x2,y1\n"
             "P,padded,2,10,50\n"
             "Q,\"a, \"\"q\"\"\",8,20,NA\n"
             "R,%s,5,30,0.1\n"
             "S,S,5,30,7\n",
             longname);
    const char *tax_path = tu_write("csvw_tax.cfg", tax), *csv_path = tu_write("csvw.csv", csv);
    char *out_n, *err_n, *out_l, *err_l;
    int rn = tu_run(&out_n, &err_n, "score", "--taxonomy", tax_path, "--data", csv_path, "--name-column", "name",
                    "--format", "csv", NULL);
    int rl = tu_run(&out_l, &err_l, "score", "--taxonomy", tax_path, "--data", csv_path, "--name-column", "name",
                    "--format", "csv", "--lean", NULL);
    if (rn != 0 || rl != 0) print_message("%s%s", err_n, err_l);
    assert_int_equal(rn, 0);
    assert_int_equal(rl, 0);
    assert_string_equal(out_l, out_n);
    assert_non_null(strstr(out_n, "\nP,padded,t,\"Index, \"\"quoted\"\"\",,0,5.5,2,\" High \",1,0,"));  /* then the reliability */
    assert_non_null(strstr(out_n, "\nQ,\"a, \"\"q\"\"\",b,\"Beta\nline\",t,1,,,"));
    assert_non_null(strstr(out_n, longname));
    free(out_n), free(err_n), free(out_l), free(err_l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bits), cmocka_unit_test(test_exact_range), cmocka_unit_test(test_exact_ties),
        cmocka_unit_test(test_extremes),    cmocka_unit_test(test_powers),      cmocka_unit_test(test_integers),
        cmocka_unit_test(test_scores),      cmocka_unit_test(test_fmt_int),     cmocka_unit_test(test_fmt_double),
        cmocka_unit_test(test_cached),
        cmocka_unit_test(test_scores_csv_writers_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
