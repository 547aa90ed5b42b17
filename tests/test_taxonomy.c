/* test_taxonomy.c -- reading taxonomy files: the flat post-order tree,
 * inherited methods and classes, and every kind of bad taxonomy. */
#include "testutil.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "taxonomy.h"

static const char GOOD[] =
    "id = \"t\"; name = \"Test\";\n"                                   /* 1 */
    "scale = { min = 0.0; max = 10.0; };\n"                            /* 2 */
    "aggregate = \"geometric\";\n"                                     /* 3 */
    "classes = ( { name = \"Low\"; }, { name = \"High\"; min = 5.0; } );\n"
    "children = (\n"                                                   /* 5 */
    "  { id = \"a\"; weight = 2; aggregate = \"arithmetic\"; children = (\n"
    "      { id = \"x1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
    "      { id = \"x2\"; direction = \"protective\"; normalise = { method = \"minmax\"; range = [1.0, 100.0]; }; } ); },\n"
    "  { id = \"b\"; normalise = \"zscore\"; children = (\n"
    "      { id = \"y1\"; direction = \"risk\"; column = \"Y one\"; transform = \"log\"; unit = \"kg\"; },\n"
    "      { id = \"y2\"; direction = \"risk\"; weight = 0.5; } ); }\n"
    ");\n";

static void test_good_tree(void **state) {
    (void)state;
    ts_error err;
    ts_taxonomy *t = NULL;
    ts_taxonomy_load(tu_write("good.cfg", GOOD), &t, &err);
    assert_non_null(t);
    assert_int_equal(t->n_nodes, 7);
    assert_int_equal(t->n_indicators, 4);
    /* post-order: children before parents, root last */
    for (int k = 0; k < t->n_nodes; k++)
        if (t->nodes[k].parent >= 0) assert_true(t->nodes[k].parent > k);
    assert_string_equal(t->nodes[ts_taxonomy_root(t)].id, "t");
    int a = ts_taxonomy_find(t, "a"), b = ts_taxonomy_find(t, "b"), x2 = ts_taxonomy_find(t, "x2");
    int y1 = ts_taxonomy_find(t, "y1"), y2 = ts_taxonomy_find(t, "y2");
    assert_true(a >= 0 && b >= 0 && x2 >= 0 && y1 >= 0);
    assert_int_equal(ts_taxonomy_find(t, "nope"), -1);
    /* indicators are numbered in file order */
    assert_string_equal(t->nodes[t->indicator_node[0]].id, "x1");
    assert_string_equal(t->nodes[t->indicator_node[3]].id, "y2");
    assert_int_equal(t->nodes[a].agg.method, TS_AGG_ARITHMETIC);
    assert_int_equal(t->nodes[b].agg.method, TS_AGG_GEOMETRIC);     /* inherited from the root */
    assert_int_equal(t->nodes[y1].norm.method, TS_NORM_ZSCORE); /* inherited from b */
    assert_float_equal(t->nodes[x2].norm.lo, 1, 0);
    assert_false(t->nodes[ts_taxonomy_find(t, "x1")].norm.has_range); /* the scale applies */
    assert_int_equal(t->nodes[x2].direction, -1);
    assert_int_equal(t->nodes[y1].transform.method, TS_TRANSFORM_LOG);
    assert_string_equal(t->nodes[y1].column, "Y one");
    assert_float_equal(t->nodes[a].weight, 2, 0);
    assert_float_equal(t->nodes[y2].weight, 0.5, 0);
    assert_int_equal(t->nodes[a].n_leaves, 2);
    assert_int_equal(t->nodes[ts_taxonomy_root(t)].n_leaves, 4);
    assert_int_equal(t->nodes[y1].line, 10);
    /* classes are inherited and pick the highest threshold reached */
    assert_string_equal(ts_taxonomy_class(t, y1, 4.99), "Low");
    assert_string_equal(ts_taxonomy_class(t, y1, 5.0), "High");
    assert_null(ts_taxonomy_class(t, y1, NAN));
    int order[7];
    ts_taxonomy_preorder(t, order);
    const char *expect[] = {"t", "a", "x1", "x2", "b", "y1", "y2"};
    for (int i = 0; i < 7; i++) assert_string_equal(t->nodes[order[i]].id, expect[i]);
    ts_taxonomy_free(t);
}

typedef struct bad_case {
    const char *text;
    const char *expect; /* substring of "file:line: message" without the directory */
} bad_case;

static const bad_case BAD[] = {
    {"id = \"t\";\nchildren = ( { id = = \"a\"; } );\n", "bad.cfg:2: syntax error"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; wieght = 2; } );\n",
     "bad.cfg:3: unknown key 'wieght' (did you mean 'weight'?)"},
    {"id = \"t\";\ncolour = 1;\nchildren = ( { id = \"a\"; direction = \"risk\"; } );\n",
     "bad.cfg:2: unknown key 'colour'"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; },\n { id = \"a\"; direction = \"risk\"; } );\n",
     "bad.cfg:4: duplicate id 'a' (first defined on line 3)"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; weight = -1; } );\n",
     "bad.cfg:3: weight of 'a' is negative"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; weight = 0; },\n"
     " { id = \"b\"; direction = \"risk\"; weight = 0.0; } );\n",
     "bad.cfg:2: all weights of the children of 't' are zero"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\";\n   goalposts = [5.0, 5.0]; } );\n",
     "bad.cfg:4: goalposts of 'a' need min < max"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; goalposts = [9, 1]; } );\n",
     "bad.cfg:3: goalposts of 'a' need min < max"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"up\"; } );\n",
     "bad.cfg:3: direction must be \"risk\" or \"protective\""},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; } );\n", "bad.cfg:3: indicator 'a' needs a direction"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; weight = \"heavy\"; } );\n",
     "bad.cfg:3: weight must be a number, not a string"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; direction = \"risk\"; weight = 1e999; } );\n",
     "bad.cfg:3: weight is not a finite number"},
    {"id = \"t\";\naggregate = \"geometirc\";\nchildren = ( { id = \"a\"; direction = \"risk\"; } );\n",
     "bad.cfg:2: unknown aggregator 'geometirc' (did you mean 'geometric'?)"},
    {"id = \"t\";\nchildren = (\n { id = \"a b\"; direction = \"risk\"; } );\n", "bad.cfg:3: invalid id 'a b'"},
    {"id = \"t\";\nchildren = (\n { id = \"a\"; children = (); } );\n", "bad.cfg:3: 'a' has no children"},
    {"id = \"t\";\n", "bad.cfg:1: the taxonomy has no children"},
    /* the root's line is that of its id, not libconfig's 0 */
    {"\nid = \"t\";\nchildren = ( { id = \"t\"; direction = \"risk\"; } );\n",
     "bad.cfg:3: duplicate id 't' (first defined on line 2)"},
    /* libconfig 1.5 would store these wrapped (-1, -1294967296) */
    {"id = \"t\";\nchildren = ( { id = \"a\"; direction = \"risk\";\n weight = 0xFFFFFFFF; } );\n",
     "bad.cfg:3: integer 0xFFFFFFFF does not fit in 32 bits, so libconfig would read a wrong value: "
     "write it with the suffix L (0xFFFFFFFFL)"},
    {"id = \"t\";\nchildren = ( { id = \"a\"; direction = \"risk\";\n weight = 3000000000; } );\n",
     "bad.cfg:3: integer 3000000000 does not fit in 32 bits"},
    {"id = \"t\";\nchildren = ( { id = \"a\"; direction = \"risk\";\n goalposts = [0, 99999999999999999999L]; } );\n",
     "bad.cfg:3: integer 99999999999999999999L does not fit in 64 bits"},
    /* libconfig's message is "syntax error": not "syntax error: syntax error" */
    {"id = \"t\";\nid = = 1;\n", "bad.cfg:2: syntax error"},
    {"\"\"", "bad.cfg:1: syntax error"},
    {"", "bad.cfg:1: taxonomy needs an id"},
    {"id = \"t\";\nchildren = ( { id = \"a\"; direction = \"risk\"; } );\nclasses = ( { name = \"A\"; },\n"
     " { name = \"B\"; } );\n",
     "bad.cfg:4: only the lowest class may omit min"},
    {"id = \"t\";\nchildren = ( { id = \"a\"; direction = \"risk\"; column = \"c\"; },\n"
     " { id = \"b\"; direction = \"risk\"; column = \"c\"; } );\n",
     "bad.cfg:3: indicators 'a' and 'b' both read column 'c'"},
    {"id = \"t\";\nchildren = ( { id = \"a\"; direction = \"risk\";\n normalise = { method = \"zscore\"; range = [0.0, 1.0]; }; } );\n",
     "bad.cfg:3: range does not apply to zscore"},
    {"id = \"t\";\n  @include \"/etc/passwd\"\nchildren = ( { id = \"a\"; direction = \"risk\"; } );\n",
     "bad.cfg:2: @include is not supported"},
    {"id = \"t\";\nname = \"caf\xe9\";\nchildren = ( { id = \"a\"; direction = \"risk\"; } );\n",
     "bad.cfg:2: name is not valid UTF-8"},
};

static void test_bad_taxonomies(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        ts_error err;
        ts_error_clear(&err);
        const char *path = tu_write("bad.cfg", BAD[i].text);
        ts_taxonomy *t = NULL;
        ts_taxonomy_load(path, &t, &err);
        char msg[2048];
        ts_error_format(&err, msg, sizeof msg);
        if (t || !strstr(msg, BAD[i].expect))
            fail_msg("case %zu: expected '%s', got '%s'", i, BAD[i].expect, t ? "success" : msg);
        if (strstr(msg, "syntax error: syntax error")) fail_msg("case %zu: '%s'", i, msg);
        assert_int_equal(err.code, TS_EINPUT);
    }
}

static void test_missing_file(void **state) {
    (void)state;
    ts_error err;
    { ts_taxonomy *made = NULL; assert_int_not_equal(ts_taxonomy_load(tu_path("does-not-exist.cfg"), &made, &err), TS_OK); assert_null(made); }
    assert_int_equal(err.code, TS_EINPUT);
    assert_non_null(strstr(err.message, "cannot open"));
    assert_non_null(strstr(err.file, "does-not-exist.cfg"));
}

static void test_deep_tree_is_rejected(void **state) {
    (void)state;
    char text[8192] = "id = \"t\"; children = (";
    for (int i = 0; i < 40; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "{ id = \"n%d\"; children = (", i);
    strcat(text, "{ id = \"leaf\"; direction = \"risk\"; }");
    for (int i = 0; i < 40; i++) strcat(text, ");}");
    strcat(text, ");\n");
    ts_error err;
    { ts_taxonomy *made = NULL; assert_int_not_equal(ts_taxonomy_load(tu_write("deep.cfg", text), &made, &err), TS_OK); assert_null(made); }
    assert_non_null(strstr(err.message, "deeper than"));
}

static void test_shipped_taxonomy(void **state) {
    (void)state;
    ts_error err;
    ts_taxonomy *t = NULL;
    ts_taxonomy_load("taxonomy/central_asia.cfg", &t, &err);
    if (!t) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    const char *risks[] = {"extremism", "drug_trafficking", "colour_revolution", "ecological"};
    for (int i = 0; i < 4; i++) {
        int k = ts_taxonomy_find(t, risks[i]);
        assert_true(k >= 0);
        assert_non_null(t->nodes[k].description);
    }
    for (int i = 0; i < t->n_indicators; i++) assert_non_null(t->nodes[t->indicator_node[i]].source);
    ts_taxonomy_free(t);
}

/* The check that no two indicators read the same column compared every
 * pair: 200,000 indicators took 117 s. It is a hash set now; 40,000 (which
 * took about a minute) must load in well under 15 s even under ASan, and
 * the duplicate at the very end must still be found. */
static void test_column_check_is_linear(void **state) {
    (void)state;
    enum { GROUPS = 40, PER = 1000 };
    ts_buf b = {0};
    ts_buf_puts(&b, "id = \"big\";\nchildren = (\n");
    for (int g = 0; g < GROUPS; g++) {
        ts_buf_printf(&b, "%s{ id = \"g%d\"; children = (\n", g ? ",\n" : "", g);
        for (int i = 0; i < PER; i++) {
            int k = g * PER + i;
            ts_buf_printf(&b, "%s  { id = \"i%d\"; direction = \"risk\";%s }", i ? ",\n" : "", k,
                          k == GROUPS * PER - 1 ? " column = \"i7\";" : "");
        }
        ts_buf_puts(&b, " ); }");
    }
    ts_buf_puts(&b, ");\n");
    assert_false(b.oom);
    const char *path = tu_write_bytes("big.cfg", b.data, b.len);
    ts_buf_free(&b);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts_error err;
    ts_taxonomy *t = NULL;
    ts_taxonomy_load(path, &t, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    print_message("40,000 indicators checked in %.2f s\n", s);
    assert_null(t);
    assert_non_null(strstr(err.message, "indicators 'i7' and 'i39999' both read column 'i7'"));
    assert_true(s < 15.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_tree),     cmocka_unit_test(test_bad_taxonomies),
        cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_deep_tree_is_rejected),
        cmocka_unit_test(test_shipped_taxonomy), cmocka_unit_test(test_column_check_is_linear),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
