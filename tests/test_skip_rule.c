/* test_skip_rule.c -- a test that cannot run fails the run: this program
 * only skips, and ctest expects it to fail (WILL_FAIL in CMakeLists.txt). */
/* It guards the rule of tu_skip: without TS_ALLOW_SKIP=1 a skipped test is
 * a failure, so a missing data file can never pass as a green run. With
 * TS_ALLOW_SKIP=1 it exits 77 and ctest lists it as skipped. */
#include "testutil.h"

static void test_a_skip_is_a_failure(void **state) {
    (void)state;
    tu_skip("this test exists to be skipped");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_skip_is_a_failure),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
