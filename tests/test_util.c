/* test_util.c -- SHA-256 vectors, suggestions, UTF-8 and Latin-1, JSON
 * strings, round-trip number formatting and identifiers. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "util.h"

static void test_sha256_vectors(void **state) {
    (void)state;
    char hex[65];
    ts_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ts_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ts_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* a million 'a', fed in uneven pieces */
    ts_sha256 h;
    ts_sha256_init(&h);
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        ts_sha256_update(&h, chunk, n);
        left -= n;
    }
    ts_sha256_final_hex(&h, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_suggest(void **state) {
    (void)state;
    const char *keys[] = {"weight", "direction", "goalposts", "normalise", NULL};
    assert_string_equal(ts_suggest("wieght", keys, 4), "weight");
    assert_string_equal(ts_suggest("normalize", keys, 4), "normalise");
    assert_string_equal(ts_suggest("goalpost", keys, 4), "goalposts");
    assert_null(ts_suggest("colour", keys, 4));
    assert_null(ts_suggest("x", keys, 4));
}

static void test_utf8_and_latin1(void **state) {
    (void)state;
    int line = 0;
    assert_true(ts_utf8_valid("C\xc3\xb4te", 6, &line));
    assert_false(ts_utf8_valid("a\nb\nC\xf4te", 9, &line));
    assert_int_equal(line, 3);
    assert_false(ts_utf8_valid("\xc0\xaf", 2, NULL));      /* overlong */
    assert_false(ts_utf8_valid("\xed\xa0\x80", 3, NULL));  /* surrogate */
    size_t n;
    char *u = ts_latin1_to_utf8("C\xf4te", 4, &n);
    assert_string_equal(u, "C\xc3\xb4te");
    assert_int_equal(n, 5);
    free(u);
}

static void test_json_string(void **state) {
    (void)state;
    ts_buf b = {0};
    ts_buf_json_string(&b, "a\"b\\c\nd\x01\xff");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\u000ad\\u0001\\ufffd\"");
    b.len = 0;
    ts_buf_json_number(&b, NAN);
    assert_string_equal(b.data, "null");
    ts_buf_free(&b);
}

static void test_fmt_double_round_trip(void **state) {
    (void)state;
    double xs[] = {0.1, 1.0 / 3.0, 5.0879629629629628, 1e-300, -2.5e17};
    char buf[40];
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++)
        assert_true(strtod(ts_fmt_double(buf, sizeof buf, xs[i]), NULL) == xs[i]);
    assert_string_equal(ts_fmt_double(buf, sizeof buf, NAN), "");
}

static void test_valid_id(void **state) {
    (void)state;
    assert_true(ts_valid_id("KAZ"));
    assert_true(ts_valid_id("drug_trafficking"));
    assert_true(ts_valid_id("a-1"));
    assert_false(ts_valid_id(""));
    assert_false(ts_valid_id("1abc"));
    assert_false(ts_valid_id("a b"));
    assert_false(ts_valid_id("a`b"));
    assert_false(ts_valid_id("a.b"));
    char long_id[80];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    assert_false(ts_valid_id(long_id));
}

static void test_arena(void **state) {
    (void)state;
    ts_arena *a = ts_arena_new();
    assert_non_null(a);
    for (int i = 0; i < 2000; i++) assert_non_null(ts_arena_strdup(a, "some text that fills blocks"));
    char *big = ts_arena_alloc(a, 100000);
    assert_non_null(big);
    assert_int_equal(big[99999], 0);
    assert_null(ts_arena_strdup(a, NULL));
    ts_arena_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_utf8_and_latin1), cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_fmt_double_round_trip), cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_arena),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
