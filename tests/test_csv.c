/* test_csv.c -- wide CSV input: quoting, line endings, encodings, missing
 * markers and every kind of malformed file. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "pipeline.h"
#include "scenario.h"

#define EPS 1e-12

static ts_scenario *from_csv(const char *csv, const ts_csv_options *opt, ts_error *err) {
    const char *tax = tu_write("tax.cfg", FIX_TAXONOMY);
    ts_scenario *made = NULL;
    ts_scenario_from_csv(tax, tu_write("data.csv", csv), opt, &made, err);
    return made;
}

static void test_csv_scores_like_the_scenario(void **state) {
    (void)state;
    ts_error err;
    ts_csv_options opt = {"id", "name", NULL, TS_ENC_AUTO};
    ts_scenario *s = from_csv(FIX_CSV, &opt, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_non_null(r);
    int root = ts_taxonomy_root(s->tax);
    assert_float_equal(ts_result_score(r, root, 0), 1.5, EPS);
    assert_float_equal(ts_result_score(r, root, 1), 9.125, EPS);
    assert_float_equal(ts_result_score(r, root, 2), 4.375, EPS);
    assert_string_equal(s->data->unit_name[0], "Pe");
    assert_int_equal(s->data->unit_line[2], 4);
    assert_int_equal(strlen(s->data_sha256), 64);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_quotes_crlf_bom(void **state) {
    (void)state;
    const char csv[] = "\xef\xbb\xbfid,name,x1,x2,Y one,y2\r\n"
                       "P,\"Pe, \"\"the first\"\"\",2,10,50,1\r\n"
                       "\r\n"
                       "Q,\"multi\nline\",8,20,100,3\r\n"
                       "R,R,5,30,,2";
    ts_error err;
    ts_scenario *s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_AUTO}, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, 3);
    assert_string_equal(s->data->unit_id[0], "P");
    assert_string_equal(s->data->unit_name[0], "Pe, \"the first\"");
    assert_string_equal(s->data->unit_name[1], "multi\nline");
    assert_int_equal(s->data->unit_line[2], 6);
    assert_true(isnan(ts_dataset_get(s->data, 2, 2)));
    ts_scenario_free(s);
}

static void test_latin1_names(void **state) {
    (void)state;
    const char csv[] = "id,name,x1,x2,Y one,y2\nP,C\xf4te d'Ivoire,2,10,50,1\nQ,Q,8,20,100,3\n";
    ts_error err;
    ts_scenario *s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_AUTO}, &err);
    assert_non_null(s);
    assert_string_equal(s->data->unit_name[0], "C\xc3\xb4te d'Ivoire");
    ts_scenario_free(s);
    s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_LATIN1}, &err);
    assert_non_null(s);
    assert_string_equal(s->data->unit_name[0], "C\xc3\xb4te d'Ivoire");
    ts_scenario_free(s);
    s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_UTF8}, &err);
    assert_null(s);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "not valid UTF-8"));
}

static void test_missing_markers(void **state) {
    (void)state;
    const char csv[] = "id,x1,x2,Y one,y2\nP,2,10,-,1\nQ,8,20,100,3\nR,5,30,50,2\n";
    ts_error err;
    ts_scenario *s = from_csv(csv, NULL, &err);
    assert_null(s); /* '-' is not a default marker */
    assert_non_null(strstr(err.message, "'-' is not a number"));
    const char *markers[] = {"-", NULL};
    s = from_csv(csv, &(ts_csv_options){NULL, NULL, markers, TS_ENC_AUTO}, &err);
    assert_non_null(s);
    assert_true(isnan(ts_dataset_get(s->data, 2, 0)));
    ts_scenario_free(s);
}

typedef struct bad_case {
    const char *csv;
    const char *expect;
} bad_case;

static const bad_case BAD[] = {
    {"id,x1,x2,Y_one,y2\nP,1,2,3,4\n", "data.csv:1: indicator 'y1' (", },
    {"id,x1,x2,Y one,y2\nP,1,2,3,4\nQ,abc,2,3,4\n", "data.csv:3: column 'x1', unit 'Q': 'abc' is not a number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,inf\n", "data.csv:2: column 'y2', unit 'P': 'inf' is not a number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,1e999\n", "data.csv:2: column 'y2', unit 'P': '1e999' is not a finite number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,0x10\n", "data.csv:2: column 'y2', unit 'P': '0x10' is not a number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,4\nQ,1,2,3,4\nP,5,6,7,8\n", "data.csv:4: duplicate unit 'P' (first on line 2)"},
    {"id,x1,x2,Y one,y2\nP,1,2,3\n", "data.csv:2: 4 fields where the header has 5"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,\"4\n", "data.csv:2: unterminated quoted field"},
    {"id,x1,x2,Y one,y2\nP,1,2,\"3\"x,4\n", "data.csv:2: unexpected character after a closing quote"},
    {"", "data.csv: empty file"},
    {"id,x1,x2,Y one,y2\n", "data.csv:1: no data rows"},
    {"id,x1,x2,Y one,y2,x1\nP,1,2,3,4,5\n", "data.csv:1: column 'x1' appears twice"},
    {"id,x1,x2,Y one,y2\n`id`,1,2,3,4\n", "data.csv:2: invalid unit id '`id`'"},
};

static void test_bad_csv(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        ts_error err;
        ts_error_clear(&err);
        ts_scenario *s = from_csv(BAD[i].csv, NULL, &err);
        char msg[2048];
        ts_error_format(&err, msg, sizeof msg);
        if (s || !strstr(msg, BAD[i].expect))
            fail_msg("case %zu: expected '%s', got '%s'", i, BAD[i].expect, s ? "success" : msg);
        assert_int_equal(err.code, TS_EINPUT);
    }
    /* a NUL byte */
    ts_error err;
    const char nul[] = "id,x1,x2,Y one,y2\nP,1,2\0,3,4\n";
    tu_write("tax.cfg", FIX_TAXONOMY);
    ts_scenario *s = NULL;
    ts_scenario_from_csv(tu_path("tax.cfg"), tu_write_bytes("nul.csv", nul, sizeof nul - 1), NULL, &s, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "NUL byte"));
    /* unit column that does not exist */
    s = from_csv(FIX_CSV, &(ts_csv_options){"ids", NULL, NULL, TS_ENC_AUTO}, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "no unit column 'ids' (did you mean 'id'?)"));
}

/* The INFORM export (tests/data) is Latin-1: reading it must neither crash
 * nor corrupt names. */
static void test_inform_latin1_export(void **state) {
    (void)state;
    const char *path = TU_DATA "/inform/inform_gri_2020_v040.csv";
    tu_need(path);
    const char *tax = tu_write("inform_small.cfg",
                               "id = \"i\"; scale = { min = 0.0; max = 10.0; };\n"
                               "children = ( { id = \"eq\"; column = \"Earthquake\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
                               "  { id = \"fl\"; column = \"Flood\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } );\n");
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_from_csv(tax, path, &(ts_csv_options){"ISO3", "COUNTRY", NULL, TS_ENC_AUTO}, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, 191);
    int civ = ts_dataset_find_unit(s->data, "CIV");
    assert_true(civ >= 0);
    assert_string_equal(s->data->unit_name[civ], "C\xc3\xb4te d'Ivoire");
    ts_scenario_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_scores_like_the_scenario), cmocka_unit_test(test_quotes_crlf_bom),
        cmocka_unit_test(test_latin1_names),                 cmocka_unit_test(test_missing_markers),
        cmocka_unit_test(test_bad_csv),                      cmocka_unit_test(test_inform_latin1_export),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
