/* test_cli.c -- the threatscore command line end to end: outputs, exit
 * codes, the database left untouched by failures, -o files, batch. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "pipeline.h"
#include "scenario.h"

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_help_and_usage(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "--help", NULL), 0);
    assert_non_null(strstr(out, "validate"));
    free(out), free(err);
    const char *cmds[] = {"validate", "score", "batch", "runs"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tu_run(&out, &err, cmds[i], "--help", NULL), 0);
        assert_non_null(strstr(out, "usage: threatscore"));
        free(out), free(err);
    }
    assert_int_equal(tu_run(&out, &err, "help", "score", NULL), 0);
    assert_non_null(strstr(out, "--format"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "scroe", NULL), 2);
    assert_non_null(strstr(err, "did you mean 'score'"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--format", "xml", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--bogus", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--db", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "runs", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", "scenarios", NULL), 2);
    free(out), free(err);
}

/* The done-when of the core issue: five countries, the four named risks
 * and the index, in long CSV whose doubles read back identically. */
static void test_baseline_csv(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--format", "csv", NULL), 0);
    assert_true(strncmp(out, "unit,unit_name,node,node_name,parent,depth,score,rank,class,coverage,imputed,reliability\n",
                         89) == 0);
    ts_error e;
    ts_scenario *s = NULL;
    ts_scenario_load("scenarios/baseline.cfg", &s, &e);
    ts_result *r = NULL;
    ts_score(s, &r, &e);
    assert_int_equal(count_lines(out), 1 + 5 * s->tax->n_nodes);
    const char *units[] = {"KAZ", "KGZ", "TJK", "TKM", "UZB"};
    const char *nodes[] = {"central_asia", "extremism", "drug_trafficking", "colour_revolution", "ecological"};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            char key[128];
            snprintf(key, sizeof key, "\n%s,", units[i]);
            const char *row = out;
            int found = 0;
            while ((row = strstr(row, key))) {
                row++;
                /* unit,unit_name,node,... : find the node field */
                const char *p = strchr(row, ',') + 1;
                p = strchr(p, ',') + 1;
                if (strncmp(p, nodes[j], strlen(nodes[j])) == 0 && p[strlen(nodes[j])] == ',') {
                    /* skip node, node_name, parent, depth to reach score */
                    for (int f = 0; f < 4; f++) p = strchr(p, ',') + 1;
                    double x = strtod(p, NULL);
                    int k = ts_taxonomy_find(s->tax, nodes[j]), u = ts_dataset_find_unit(s->data, units[i]);
                    assert_true(x == ts_result_score(r, k, u)); /* bit-identical */
                    found = 1;
                    break;
                }
            }
            if (!found) fail_msg("no row for %s / %s", units[i], nodes[j]);
        }
    ts_result_free(r);
    ts_scenario_free(s);
    free(out), free(err);
}

static void test_table_and_json(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", NULL), 0);
    assert_non_null(strstr(out, "Tajikistan"));
    assert_non_null(strstr(out, "rank"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--format=json", NULL), 0);
    assert_true(strncmp(out, "{\"scenario\":\"Baseline\"", 22) == 0);
    assert_non_null(strstr(out, "\"unit\":\"TJK\",\"node\":\"central_asia\""));
    free(out), free(err);
}

static void setup_fixture(void) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("scen.cfg", FIX_SCENARIO_HEAD);
}

static void test_db_and_runs(void **state) {
    (void)state;
    setup_fixture();
    const char *db = tu_path("cli.db");
    remove(db);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--db", db, NULL), 0);
    assert_non_null(strstr(out, "(run 1)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "runs", "--db", db, NULL), 0);
    assert_non_null(strstr(out, "Fixture"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "runs", "--db", db, "--format", "csv", NULL), 0);
    assert_int_equal(count_lines(out), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "runs", "--db", tu_path("none.db"), NULL), 1);
    assert_false(tu_exists(tu_path("none.db")));
    free(out), free(err);
}

/* Bad input: exit 1, file:line on stderr, and the database untouched. */
static void test_bad_input_writes_nothing(void **state) {
    (void)state;
    setup_fixture();
    const char *db = tu_path("bad.db");
    remove(db);
    char *out, *err;
    const char *bad = tu_write("bad.cfg", FIX_SCENARIO_HEAD "weights = { a = -2; };\n");
    assert_int_equal(tu_run(&out, &err, "score", bad, "--db", db, NULL), 1);
    assert_non_null(strstr(err, "bad.cfg:10: weight of 'a' is negative"));
    assert_false(tu_exists(db));
    free(out), free(err);
    /* with an existing database: no run is added */
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--db", db, NULL), 0);
    free(out), free(err);
    const char *constant = tu_write("const.cfg",
                                    "name = \"C\"; taxonomy = \"tax.cfg\";\nunits = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
                                    "data = ( { indicator = \"x2\"; year = 2020; source = \"s\"; values = { P = 4; Q = 4; }; } );\n");
    assert_int_equal(tu_run(&out, &err, "score", constant, "--db", db, NULL), 1);
    assert_non_null(strstr(err, "tax.cfg:7: indicator 'x2' is constant"));
    free(out), free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(tu_run(&out, &err, "score", tu_path("missing.cfg"), "--db", db, NULL), 1);
    assert_non_null(strstr(err, "missing.cfg: cannot open"));
    free(out), free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 1);
}

static void test_output_file(void **state) {
    (void)state;
    setup_fixture();
    const char *o = tu_path("out.csv");
    remove(o);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--format", "csv", "-o", o, NULL), 0);
    assert_string_equal(out, "");
    free(out), free(err);
    assert_true(tu_exists(o));
    const char *bad = tu_write("bad2.cfg", FIX_SCENARIO_HEAD "oops = 1;\n");
    const char *o2 = tu_path("out2.csv");
    remove(o2);
    assert_int_equal(tu_run(&out, &err, "score", bad, "-o", o2, NULL), 1);
    assert_false(tu_exists(o2));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "-o", "/nonexistent-dir/x.csv", NULL), 3);
    free(out), free(err);
    /* a device is written directly, never replaced by a renamed file */
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--format", "csv", "-o", "/dev/null", NULL), 0);
    free(out), free(err);
    struct stat sb;
    assert_int_equal(stat("/dev/null", &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
}

static void test_csv_mode(void **state) {
    (void)state;
    setup_fixture();
    tu_write("data.csv", "name,id,x1,x2,Y one,y2\nPe,P,2,10,-,1\nQ,Q,8,20,100,3\nR,R,5,30,50,2\n");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "--taxonomy", tu_path("tax.cfg"), "--data", tu_path("data.csv"),
                            "--unit-column", "id", "--name-column", "name", "--missing", "-,NA", "--format", "csv",
                            NULL),
                     0);
    assert_non_null(strstr(out, "P,Pe,y1,y1,b,2,,,,0,0,0\n")); /* no score: reliability 0 */
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "--taxonomy", tu_path("tax.cfg"), "--data", tu_path("data.csv"),
                            NULL),
                     1);
    assert_non_null(strstr(err, "invalid unit id 'Pe'") == NULL ? strstr(err, "data.csv:2:") : err);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--unit-column", "id", NULL), 2);
    free(out), free(err);
}

static void test_set_overrides(void **state) {
    (void)state;
    setup_fixture();
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--set", "aggregate=arithmetic", "--set=impute=mean",
                            "--format", "csv", NULL),
                     0);
    assert_non_null(strstr(out, "\nR,R,y1,y1,b,2,7.5,"));
    assert_non_null(strstr(out, ",1,1,0\n")); /* R's y1: coverage 1, imputed 1, so reliability 0 */
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--set", "normalise=zscroe", NULL), 2);
    assert_non_null(strstr(err, "--set normalise=zscroe: unknown normaliser 'zscroe' (did you mean 'zscore'?)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--set", "noequals", NULL), 2);
    free(out), free(err);
}

static void test_trend(void **state) {
    (void)state;
    setup_fixture();
    /* P and Q: x1 and y1 in 2020 and 2023. index = (a + 3 b) / 4 with
       a = x1 (x2 missing) and b = y1 / 10 (y2 missing):
       P 2020 (2 + 15) / 4 = 4.25, 2023 (8 + 15) / 4 = 5.75: increasing;
       Q 2020 (5 + 15) / 4 = 5, 2023 (5.4 + 15) / 4 = 5.1: stable (0.1 <= 0.2) */
    const char *scen = tu_write("trend.cfg", "name = \"T\"; taxonomy = \"tax.cfg\";\n"
                                             "units = ( { id = \"P\"; }, { id = \"Q\"; } );\n"
                                             "data = (\n"
                                             " { indicator = \"x1\"; year = 2020; source = \"s\"; values = { P = 2; Q = 5; }; },\n"
                                             " { indicator = \"x1\"; year = 2023; source = \"s\"; values = { P = 8; Q = 5.4; }; },\n"
                                             " { indicator = \"y1\"; year = 2020; source = \"s\"; values = { P = 50; Q = 50; }; },\n"
                                             " { indicator = \"y1\"; year = 2023; source = \"s\"; values = { P = 50; Q = 50; }; }\n"
                                             ");\n");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "trend", scen, "--format", "csv", NULL), 0);
    const char *rows[][2] = {{"\nP,t,2020,", ""}, {"\nP,t,2023,", "increasing"}, {"\nQ,t,2023,", "stable"}};
    double expect[] = {4.25, 5.75, 5.1};
    int ranks[] = {2, 1, 2};
    for (int i = 0; i < 3; i++) {
        const char *row = strstr(out, rows[i][0]);
        assert_non_null(row);
        double x;
        int rank;
        char trend[32] = "";
        assert_true(sscanf(row + strlen(rows[i][0]), "%lf,%d,%31[a-z]", &x, &rank, trend) >= 2);
        assert_float_equal(x, expect[i], 1e-9);
        assert_int_equal(rank, ranks[i]);
        assert_string_equal(trend, rows[i][1]);
    }
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "trend", scen, "--threshold", "0.05", NULL), 0);
    assert_non_null(strstr(out, "increasing"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "trend", scen, "--years", "0", NULL), 2);
    free(out), free(err);
    /* --db: one run per year, each with its year */
    const char *db = tu_path("trend.db");
    remove(db);
    assert_int_equal(tu_run(&out, &err, "trend", scen, "--db", db, NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(tu_query_int(db, "SELECT year FROM runs WHERE id = 2"), 2023);
    /* stored as one series, named by its first run */
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE series = 1"), 2);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM scores WHERE run_id = 1"), 2 * 7);
}

static void test_validate(void **state) {
    (void)state;
    setup_fixture();
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "validate", "taxonomy/central_asia.cfg", "scenarios/baseline.cfg", NULL), 0);
    assert_non_null(strstr(out, "taxonomy/central_asia.cfg: ok"));
    assert_non_null(strstr(out, "scenarios/baseline.cfg: ok"));
    free(out), free(err);
    const char *bad = tu_write("bad3.cfg", FIX_SCENARIO_HEAD "country_weights = { ZZZ = { a = 1; }; };\n");
    assert_int_equal(tu_run(&out, &err, "validate", tu_path("scen.cfg"), bad, NULL), 1);
    assert_non_null(strstr(out, "scen.cfg: ok"));
    assert_non_null(strstr(err, "bad3.cfg:10: unknown country 'ZZZ'"));
    free(out), free(err);
    const char *child = tu_write("child_only.cfg", "name = \"C\"; extends = \"scen.cfg\";\n");
    assert_int_equal(tu_run(&out, &err, "validate", child, NULL), 0);
    assert_non_null(strstr(out, "child_only.cfg: ok (scenario 'C'"));
    free(out), free(err);
    const char *neither = tu_write("neither.cfg", "a = 1;\n");
    assert_int_equal(tu_run(&out, &err, "validate", neither, NULL), 1);
    assert_non_null(strstr(err, "neither a taxonomy"));
    free(out), free(err);
}

static void test_batch(void **state) {
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/batch", tu_dir());
    mkdir(dir, 0700);
    char path[700];
    snprintf(path, sizeof path, "%s/tax.cfg", dir);
    FILE *f = fopen(path, "w");
    fputs(FIX_TAXONOMY, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/a_good.cfg", dir);
    f = fopen(path, "w");
    fputs(FIX_SCENARIO_HEAD, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/b_bad.cfg", dir);
    f = fopen(path, "w");
    fputs(FIX_SCENARIO_HEAD "weights = { nope = 1; };\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/c_good.cfg", dir);
    f = fopen(path, "w");
    fputs(FIX_SCENARIO_HEAD "weights = { a = 2; };\n", f);
    fclose(f);
    const char *db = tu_path("batch.db");
    remove(db);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, NULL), 1);
    assert_non_null(strstr(err, "b_bad.cfg:10: unknown node 'nope'"));
    assert_non_null(strstr(err, "2 runs stored"));
    free(out), free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 2);
}

/* Sums the last field of every data row of a CSV; returns the row count. */
/* Sums the contribution column of explain's CSV: the fifth field from the
 * end (the four reliability columns after it hold no commas). */
static int sum_contributions(const char *csv, double *sum) {
    int rows = 0;
    *sum = 0;
    const char *line = strchr(csv, '\n');
    while (line && line[1]) {
        line++;
        const char *end = strchr(line, '\n'), *field_end = end;
        for (int skip = 0; skip < 4 && field_end > line; skip++)
            for (field_end--; field_end > line && *field_end != ','; field_end--) continue;
        const char *last = field_end;
        while (last > line && last[-1] != ',') last--;
        if (last < field_end) *sum += strtod(last, NULL);
        rows++;
        line = end;
    }
    return rows;
}

static void test_explain(void **state) {
    (void)state;
    setup_fixture();
    char *out, *err;
    /* Q: a = 6.5 (arithmetic), b = 10 (geometric), index 9.125:
       x1 8/8 = 1, x2 5/8 = 0.625, y1 and y2 split b's 7.5 evenly */
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), "Q", "--format", "csv", NULL), 0);
    assert_true(strncmp(out, "indicator,name,path,raw,source,year,estimate,note,shock,transform,transformed,"
                             "normalised,weight,effective_weight,contribution,", 126) == 0);
    assert_non_null(strstr(out, "\nx1,x1,a/x1,8,s1,2020,,,,none,8,8,1,0.125,1,"));
    assert_non_null(strstr(out, "\nx2,x2,a/x2,20,s2,2020,,,,none,20,5,1,0.125,0.625,"));
    assert_non_null(strstr(out, "\ny1,y1,b/y1,100,s3,2021,,,,none,100,10,1,0.375,3.75"));
    double sum;
    assert_int_equal(sum_contributions(out, &sum), 4);
    assert_float_equal(sum, 9.125, 1e-12);
    free(out), free(err);
    /* R has no y1: it shows as missing, and y2 carries b alone */
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), "R", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "\ny1,y1,b/y1,,,,,,,none,,,1,0,,0.375,0,3.75,missing\n"));
    assert_non_null(strstr(out, "\ny2,y2,b/y2,2,s4,2019,,,,none,2,5,1,0.75,"));
    assert_int_equal(sum_contributions(out, &sum), 4);
    assert_float_equal(sum, 4.375, 1e-12);
    free(out), free(err);
    /* at a node: only its indicators, adding up to its score */
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), "Q", "a", "--format", "csv", NULL), 0);
    assert_int_equal(sum_contributions(out, &sum), 2);
    assert_float_equal(sum, 6.5, 1e-12);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), "Q", NULL), 0);
    assert_non_null(strstr(out, "geometric"));
    assert_non_null(strstr(out, "9.125"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), "QQ", NULL), 1);
    assert_non_null(strstr(err, "unknown unit 'QQ' (did you mean 'Q'?)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), "Q", "bb", NULL), 1);
    assert_non_null(strstr(err, "unknown node 'bb'"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "explain", tu_path("scen.cfg"), NULL), 2);
    free(out), free(err);
}

/* Every value of the shipped baseline shows a source and a year in explain,
 * and for every country the contributions add up to the index score. */
static void test_explain_baseline(void **state) {
    (void)state;
    ts_error e;
    ts_scenario *s = NULL;
    ts_scenario_load("scenarios/baseline.cfg", &s, &e);
    if (!s) fail_msg("%s", e.message);
    ts_result *r = NULL;
    ts_score(s, &r, &e);
    int root = ts_taxonomy_root(s->tax);
    for (int u = 0; u < s->data->n_units; u++) {
        char *out, *err;
        assert_int_equal(tu_run(&out, &err, "explain", "scenarios/baseline.cfg", s->data->unit_id[u], "--format", "csv", NULL), 0);
        double sum;
        sum_contributions(out, &sum);
        assert_float_equal(sum, ts_result_score(r, root, u), 1e-9);
        /* rows: indicator,name,path,raw,source,year,...: a raw value needs a source and a year */
        for (const char *line = strchr(out, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
            char row[2048];
            const char *end = strchr(line + 1, '\n');
            snprintf(row, sizeof row, "%.*s", (int)(end - line - 1), line + 1);
            if (strchr(row, '"')) continue; /* quoted fields: checked through the dataset below */
            char *f[6] = {NULL}, *p = row;
            for (int i = 0; i < 6 && p; i++) {
                f[i] = p;
                p = strchr(p, ',');
                if (p) *p++ = '\0';
            }
            if (f[3] && f[3][0]) {
                assert_true(f[4] && f[4][0]);
                assert_true(f[5] && atoi(f[5]) > 1900);
            }
        }
        free(out), free(err);
    }
    ts_result_free(r);
    ts_scenario_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage), cmocka_unit_test(test_baseline_csv),
        cmocka_unit_test(test_table_and_json), cmocka_unit_test(test_db_and_runs),
        cmocka_unit_test(test_bad_input_writes_nothing), cmocka_unit_test(test_output_file),
        cmocka_unit_test(test_csv_mode),       cmocka_unit_test(test_validate),
        cmocka_unit_test(test_set_overrides),  cmocka_unit_test(test_trend),
        cmocka_unit_test(test_batch),          cmocka_unit_test(test_explain),
        cmocka_unit_test(test_explain_baseline),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
