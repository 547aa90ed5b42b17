/* test_messages.c -- what the user is told: names with terminal escapes
 * are shown escaped, a run with no score at all is an error, and the
 * helper that makes text safe for a terminal. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "util.h"

/* No raw control byte (ESC, BEL, CSI...) may reach the terminal. */
static void assert_no_controls(const char *what, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
            fail_msg("%s: control byte 0x%02x at %ld in '%s'", what, *p, (long)(p - (const unsigned char *)text), text);
    }
}

static void test_term_safe(void **state) {
    (void)state;
    char out[64];
    assert_string_equal(ts_term_safe(out, sizeof out, "Kazakhstan"), "Kazakhstan");
    assert_string_equal(ts_term_safe(out, sizeof out, "C\xc3\xb4te d'Ivoire"), "C\xc3\xb4te d'Ivoire");
    assert_string_equal(ts_term_safe(out, sizeof out, "a\x1b]0;x\x07z"), "a\\x1b]0;x\\az");
    assert_string_equal(ts_term_safe(out, sizeof out, "tab\there\nnl"), "tab\\there\\nnl");
    assert_string_equal(ts_term_safe(out, sizeof out, "csi\xc2\x9b" "2J"), "csi\\u009b2J");
    assert_string_equal(ts_term_safe(out, sizeof out, "raw\x9b"), "raw\\x9b");
    assert_string_equal(ts_term_safe(out, sizeof out, NULL), "");
    /* cut at a character boundary */
    char small[6];
    assert_string_equal(ts_term_safe(small, sizeof small, "abcd\xc3\xb4"), "abcd");
}

static const char EVIL_HEAD[] =
    "name = \"Evil\\x1b]0;owned\\x07\\x1b[2J\";\n"
    "taxonomy = \"tax.cfg\";\n"
    "units = ( { id = \"P\"; name = \"Pe\\x1b[31m\"; }, { id = \"Q\"; }, { id = \"R\"; } );\n"
    "data = (\n"
    "  { indicator = \"x1\"; year = 2019; source = \"s1\"; values = { P = 2; Q = 8.0; R = 5; }; },\n"
    "  { indicator = \"x1\"; year = 2020; source = \"s1\"; values = { P = 3; Q = 7.0; R = 5; }; },\n"
    "  { indicator = \"x2\"; year = 2019; source = \"s2\"; values = { P = 10; Q = 20; R = 30; }; },\n"
    "  { indicator = \"y1\"; year = 2019; source = \"s3\"; values = { P = 50; Q = 100; R = 10; }; },\n"
    "  { indicator = \"y2\"; year = 2019; source = \"s4\"; values = { P = 1; Q = 3; R = 2; }; }\n"
    ");\n";

static void test_names_are_escaped(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("evil.cfg", EVIL_HEAD);
    const char *db = tu_path("evil.db");
    remove(db);
    char *out, *err;
    const char *cmds[][6] = {
        {"validate", scen, NULL},
        {"score", scen, "--db", db, NULL},
        {"runs", "--db", db, NULL},
        {"trend", scen, NULL},
        {"weights", scen, NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        int rc = tu_run(&out, &err, cmds[i][0], cmds[i][1], cmds[i][2], cmds[i][3], cmds[i][4], NULL);
        if (rc != 0) fail_msg("%s: status %d: %s", cmds[i][0], rc, err);
        assert_no_controls(cmds[i][0], out);
        assert_no_controls(cmds[i][0], err);
        if (i != 1 && !strstr(out, "Evil\\x1b]0;owned\\a\\x1b[2J")) fail_msg("%s: '%s'", cmds[i][0], out);
        free(out), free(err);
    }
}

/* A scenario whose data leave no unit a score printed a table of missing
 * scores and exited 0: it is bad input. */
static void test_no_scores_is_an_error(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *none = tu_write("none.cfg", "name = \"None\";\ntaxonomy = \"tax.cfg\";\n"
                                             "units = ( { id = \"P\"; }, { id = \"Q\"; } );\n");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", none, NULL), 1);
    assert_non_null(strstr(err, "none.cfg: no unit has a score for 't': 0 of 8 values are present"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "validate", none, NULL), 1);
    free(out), free(err);
    /* values there, but the data threshold drops every unit */
    const char *thin = tu_write("thin.cfg", "name = \"Thin\";\ntaxonomy = \"tax.cfg\";\n"
                                             "units = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
                                             "method = { data_threshold = 1.0; };\n"
                                             "data = ( { indicator = \"x1\"; year = 2020; source = \"s\"; "
                                             "values = { P = 1; Q = 2; }; } );\n");
    assert_int_equal(tu_run(&out, &err, "score", thin, NULL), 1);
    assert_non_null(strstr(err, "thin.cfg: no unit has a score for 't': 2 of 8 values are present"));
    free(out), free(err);
    /* a CSV of missing values, also with --lean */
    const char *csv = tu_write("none.csv", "id,x1,x2,Y one,y2\nP,NA,,,\nQ,,,,\n");
    assert_int_equal(tu_run(&out, &err, "score", "--taxonomy", tu_path("tax.cfg"), "--data", csv, NULL), 1);
    assert_non_null(strstr(err, "none.csv: no unit has a score"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "--taxonomy", tu_path("tax.cfg"), "--data", csv, "--format", "csv",
                            "--lean", NULL),
                     1);
    assert_non_null(strstr(err, "none.csv: no unit has a score"));
    free(out), free(err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_term_safe),
        cmocka_unit_test(test_names_are_escaped),
        cmocka_unit_test(test_no_scores_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
