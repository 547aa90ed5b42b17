/* test_cfgalloc.c -- the allocator libconfig runs on: a refused allocation
 * or an exit unwinds the call, frees what it held and restores the locale. */
/* The end-to-end check (every allocation of a command failing in turn) is
 * test_oom; this one drives the allocator directly, in-process, so that
 * AddressSanitizer's leak check sees whether an unwound call left a block. */
#include "testutil.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cfg.h"
#include "cfgalloc.h"

/* The functions libconfig's renamed objects call (cfgalloc.c). */
void *ts_lc_malloc(size_t n);
void *ts_lc_calloc(size_t n, size_t size);
void *ts_lc_realloc(void *p, size_t n);
void ts_lc_free(void *p);
char *ts_lc_strdup(const char *s);
_Noreturn void ts_lc_exit(int status);

typedef struct held {
    void *kept[3];
    int reached_end;
} held;

/* Allocates like a parser, then asks for more than can exist. */
static void allocate_then_fail(void *arg) {
    held *h = arg;
    h->kept[0] = ts_lc_malloc(40);
    h->kept[1] = ts_lc_calloc(8, 16);
    char *s = ts_lc_strdup("a setting name");
    s = ts_lc_realloc(s, 4096);
    assert_non_null(s);
    h->kept[2] = s;
    ts_lc_free(h->kept[0]); /* freed during the call: must not be freed again */
    h->kept[0] = NULL;
    /* switched as libconfig switches it for parsing */
    uselocale(newlocale(LC_NUMERIC_MASK, "C", (locale_t)0));
    (void)ts_lc_malloc(SIZE_MAX - 8);
    h->reached_end = 1;
}

static void allocate_and_keep(void *arg) {
    held *h = arg;
    h->kept[0] = ts_lc_malloc(100);
    h->kept[1] = ts_lc_strdup("kept");
    h->kept[0] = ts_lc_realloc(h->kept[0], 10000);
}

static void calloc_overflow(void *arg) {
    held *h = arg;
    h->kept[0] = ts_lc_malloc(64);
    (void)ts_lc_calloc(SIZE_MAX / 2, 4);
    h->reached_end = 1;
}

static void call_exit(void *arg) {
    held *h = arg;
    h->kept[0] = ts_lc_malloc(64);
    ts_lc_exit(2);
}

static void test_refused_allocation_unwinds(void **state) {
    (void)state;
    locale_t before = uselocale((locale_t)0);
    held h = {{NULL}, 0};
    assert_int_equal(ts_cfgalloc_run(allocate_then_fail, &h), TS_CFGALLOC_NOMEM);
    assert_false(h.reached_end);
    /* the thread is back on its own locale; under ASan, the blocks the
       call held were freed (a leak fails the run at exit) */
    assert_true(uselocale((locale_t)0) == before);
    /* a calloc whose size overflows is refused the same way */
    memset(&h, 0, sizeof h);
    assert_int_equal(ts_cfgalloc_run(calloc_overflow, &h), TS_CFGALLOC_NOMEM);
    assert_false(h.reached_end);
    /* flex's scanner calls exit on a fatal error: the call unwinds */
    memset(&h, 0, sizeof h);
    assert_int_equal(ts_cfgalloc_run(call_exit, &h), TS_CFGALLOC_EXIT);
}

static void test_completed_call_keeps_its_blocks(void **state) {
    (void)state;
    held h = {{NULL}, 0};
    assert_int_equal(ts_cfgalloc_run(allocate_and_keep, &h), TS_CFGALLOC_OK);
    memset(h.kept[0], 'x', 10000); /* still ours, whole */
    assert_string_equal(h.kept[1], "kept");
    /* outside any run, blocks are freed one by one as libconfig does */
    ts_lc_free(h.kept[0]);
    ts_lc_free(h.kept[1]);
    ts_lc_free(NULL);
}

/* config_init is cfgalloc.c's; it and a read of a real file behave as
 * libconfig's own. */
static void test_config_reads_as_before(void **state) {
    (void)state;
    config_t cfg;
    config_init(&cfg);
    ts_error err;
    assert_int_equal(ts_cfg_read(&cfg, "scenarios/baseline.cfg", &err), TS_OK);
    const char *name;
    assert_int_equal(ts_cfg_opt_string(config_root_setting(&cfg), "name", "baseline", &name, &err), TS_OK);
    assert_string_equal(name, "Baseline");
    config_destroy(&cfg);
    /* a syntax error is still bad input, with its line */
    config_init(&cfg);
    assert_int_equal(ts_cfg_read(&cfg, tu_write("bad.cfg", "a = 1;\nb = ;\n"), &err), TS_EINPUT);
    assert_int_equal(err.line, 2);
    config_destroy(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_allocation_unwinds),
        cmocka_unit_test(test_completed_call_keeps_its_blocks),
        cmocka_unit_test(test_config_reads_as_before),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
