/* test_util.c -- SHA-256 vectors, suggestions, UTF-8 and Latin-1, JSON
 * strings written and read back, round-trip number formatting, identifiers. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
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
    /* 1 MiB of a pattern, whole and in pieces around the block size (whole
       blocks go straight to the compression, with the processor's SHA
       instructions where it has them); the digest is Python hashlib's */
    static unsigned char big[1 << 20];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 131 + 7);
    static const size_t pieces[] = {1, 63, 64, 65, 127, 4097, sizeof big};
    for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
        ts_sha256_init(&h);
        for (size_t at = 0; at < sizeof big; at += pieces[k])
            ts_sha256_update(&h, big + at, sizeof big - at < pieces[k] ? sizeof big - at : pieces[k]);
        ts_sha256_final_hex(&h, hex);
        assert_string_equal(hex, "b7f7ba5ce5463b3c84a283f779d7a652cbf99122de5923ba51627607ff1497d5");
    }
}

/* ts_sha256_file hashes what ts_read_file reads, over more than one read
 * chunk; an unreadable path fails with errno set and hex untouched. */
static void test_sha256_file(void **state) {
    (void)state;
    const char *path = "scenarios/baseline.cfg";
    size_t len;
    char *bytes = ts_read_file(path, &len);
    assert_non_null(bytes);
    char want[65], got[65];
    ts_sha256_hex(bytes, len, want);
    free(bytes);
    assert_int_equal(ts_sha256_file(path, got), 0);
    assert_string_equal(got, want);
    char big[1024];
    snprintf(big, sizeof big, "%s/big.txt", tu_dir());
    FILE *f = fopen(big, "wb");
    assert_non_null(f);
    for (int i = 0; i < 200000; i++) fputc('a' + i % 26, f);
    fclose(f);
    bytes = ts_read_file(big, &len);
    assert_non_null(bytes);
    ts_sha256_hex(bytes, len, want);
    free(bytes);
    assert_int_equal(ts_sha256_file(big, got), 0);
    assert_string_equal(got, want);
    memcpy(got, "unchanged", 10);
    errno = 0;
    assert_int_equal(ts_sha256_file("tests/no-such-file.cfg", got), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(got, "unchanged");
    assert_int_equal(ts_sha256_file("tests", got), -1); /* a directory */
    assert_int_equal(errno, EISDIR);
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

/* The reader gets back what the writer wrote, skips what it does not want
 * and flags malformed text instead of reading past it. */
static void test_json_read_back(void **state) {
    (void)state;
    ts_arena *a = ts_arena_new();
    assert_non_null(a);
    ts_buf b = {0};
    const char *hostile = "tab\there \"q\" \xc3\xa9 \x01 end";
    ts_buf_puts(&b, "{\"name\":");
    ts_buf_json_string(&b, hostile);
    ts_buf_puts(&b, ",\"skip\":{\"n\":[1,-2.5e3,true,false,null,{}]},\"list\":[\"a\",null,\"\\ud83d\\ude00\"],"
                    "\"none\":null}");
    ts_json j;
    ts_json_init(&j, b.data, a);
    assert_true(ts_json_eat(&j, '{'));
    assert_string_equal(ts_json_string(&j), "name");
    assert_true(ts_json_eat(&j, ':'));
    assert_string_equal(ts_json_string(&j), hostile);
    assert_true(ts_json_eat(&j, ','));
    assert_string_equal(ts_json_string(&j), "skip");
    assert_true(ts_json_eat(&j, ':'));
    ts_json_skip(&j);
    assert_true(ts_json_eat(&j, ','));
    (void)ts_json_string(&j);
    assert_true(ts_json_eat(&j, ':'));
    int n;
    const char **list = ts_json_strings(&j, &n);
    assert_int_equal(n, 3);
    assert_string_equal(list[0], "a");
    assert_null(list[1]);
    assert_string_equal(list[2], "\xf0\x9f\x98\x80");
    assert_null(list[3]);
    assert_true(ts_json_eat(&j, ','));
    (void)ts_json_string(&j);
    assert_true(ts_json_eat(&j, ':'));
    assert_null(ts_json_strings(&j, &n));
    assert_int_equal(n, 0);
    assert_true(ts_json_eat(&j, '}'));
    assert_false(j.bad);
    /* malformed: an escape at the very end, a bad \u, a number for a string */
    static const char *const bad[] = {"\"abc\\", "\"\\u12x4\"", "\"\\ud83dx\\u0041\"", "12", "\"open"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ts_json_init(&j, bad[i], a);
        assert_null(ts_json_string(&j));
        assert_true(j.bad);
    }
    ts_json_init(&j, "[\"a\",", a);
    assert_null(ts_json_strings(&j, &n));
    assert_true(j.bad);
    ts_json_init(&j, "{\"a\":[1,2}", a);
    ts_json_skip(&j);
    assert_true(j.bad);
    ts_buf_free(&b);
    ts_arena_free(a);
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

static void test_id_index(void **state) {
    (void)state;
    const char *ids[] = {"UZB", "KAZ", "TJK", "KAZ", "AFG"};
    ts_id_index sorted[5];
    ts_id_index_sort(ids, 5, sorted);
    assert_int_equal(ts_id_index_find(sorted, 5, "UZB"), 0);
    assert_int_equal(ts_id_index_find(sorted, 5, "TJK"), 2);
    assert_int_equal(ts_id_index_find(sorted, 5, "AFG"), 4);
    assert_int_equal(ts_id_index_find(sorted, 5, "KAZ"), 1); /* of repeated ids the first, as a scan finds */
    assert_int_equal(ts_id_index_find(sorted, 5, "KGZ"), -1);
    assert_int_equal(ts_id_index_find(sorted, 5, "ZZZ"), -1);
    assert_int_equal(ts_id_index_find(sorted, 5, ""), -1);
    assert_int_equal(ts_id_index_find(sorted, 5, NULL), -1);
    assert_int_equal(ts_id_index_find(sorted, 0, "UZB"), -1);
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
    /* sizes that would wrap when rounded up to the alignment fail cleanly
       instead of handing out a tiny block */
    assert_null(ts_arena_alloc(a, SIZE_MAX));
    assert_null(ts_arena_alloc(a, SIZE_MAX - 3));
    ts_arena_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_sha256_file), cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_utf8_and_latin1), cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_read_back),
        cmocka_unit_test(test_fmt_double_round_trip), cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_arena), cmocka_unit_test(test_id_index),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
