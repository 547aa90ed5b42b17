/* test_cliux.c -- the command line as a new user meets it (issue 14): each
 * test is one defect of the issue and fails without its fix; then the man
 * page, completion, new-scenario and the sample inputs. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fixtures.h"
#include "util.h"

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Runs a shell command line from the project root with $TS (the program
 * under test) set. Returns its standard output (malloc'd) and stores its
 * exit status. */
static char *shell(const char *cmdline, int *status) {
    const char *ts = getenv("TS_BINARY");
    if (!ts) fail_msg("TS_BINARY is not set (ctest sets it)");
    char line[8192];
    snprintf(line, sizeof line, "TS='%s'; %s", ts, cmdline);
    return tu_popen(line, status);
}

/* Returns the value of column col (0-based) of the first CSV row of text
 * whose first fields are unit and node, in a static buffer ("" if none). */
static const char *csv_cell(const char *text, const char *unit, const char *node, int col) {
    static char cell[256];
    char key[200];
    snprintf(key, sizeof key, "\n%s,", unit);
    for (const char *row = text; (row = strstr(row, key)); row++) {
        const char *p = row + 1;
        char fields[16][128];
        int n = 0;
        while (n < 16) {
            const char *end = strpbrk(p, ",\n");
            size_t len = end ? (size_t)(end - p) : strlen(p);
            snprintf(fields[n++], sizeof fields[0], "%.*s", (int)len, p);
            if (!end || *end == '\n') break;
            p = end + 1;
        }
        if (n > col && n > 2 && strcmp(fields[2], node) == 0) {
            snprintf(cell, sizeof cell, "%s", fields[col]);
            return cell;
        }
    }
    cell[0] = '\0';
    return cell;
}

/* ---- 2: validate catches what score would refuse ---------------------- */

static void test_validate_catches_score_refusals(void **state) {
    (void)state;
    char *out, *err;
    /* the README's taxonomy example: log with goalposts [0, 10] */
    const char *tax = tu_write("logtax.cfg",
                               "id = \"t\";\n"
                               "children = (\n"
                               "  { id = \"gti\"; direction = \"risk\";\n"
                               "    goalposts = [ 0.0, 10.0 ];\n"
                               "    transform = \"log\"; } );\n");
    assert_int_equal(tu_run(&out, &err, "validate", tax, NULL), 1);
    assert_non_null(strstr(err, "logtax.cfg:4: log transform of indicator 'gti' is undefined for its goalpost 0"));
    free(out), free(err);
    tax = tu_write("logtax.cfg", "id = \"t\";\nchildren = ( { id = \"x\"; direction = \"risk\"; target = -1.0;\n"
                                 "  transform = \"log1p\"; normalise = \"dist2targ\"; } );\n");
    assert_int_equal(tu_run(&out, &err, "validate", tax, NULL), 1);
    assert_non_null(strstr(err, "logtax.cfg:2: log1p transform of indicator 'x' is undefined for its target -1"));
    free(out), free(err);
    /* a normaliser that needs goalposts, or a target, the indicator lacks */
    tax = tu_write("gp.cfg", "id = \"t\";\nnormalise = \"goalposts\";\nchildren = ( { id = \"x\"; direction = \"risk\"; } );\n");
    assert_int_equal(tu_run(&out, &err, "validate", tax, NULL), 1);
    assert_non_null(strstr(err, "gp.cfg:3: indicator 'x' is normalised by goalposts but has none"));
    free(out), free(err);
    tax = tu_write("gp.cfg", "id = \"t\";\nchildren = ( { id = \"x\"; direction = \"risk\"; normalise = \"dist2targ\"; } );\n");
    assert_int_equal(tu_run(&out, &err, "validate", tax, NULL), 1);
    assert_non_null(strstr(err, "has no target"));
    free(out), free(err);
    /* log1p is defined at 0: the same taxonomy with it validates */
    tax = tu_write("logtax.cfg", "id = \"t\";\nchildren = ( { id = \"gti\"; direction = \"risk\"; goalposts = [ 0.0, 10.0 ];\n"
                                 "  transform = \"log1p\"; } );\n");
    assert_int_equal(tu_run(&out, &err, "validate", tax, NULL), 0);
    free(out), free(err);
}

/* ---- 3: the scale in effect, and classes that follow it --------------- */

static void test_range_moves_scale_and_classes(void **state) {
    (void)state;
    char *plain, *ranged, *table, *err;
    assert_int_equal(tu_run(&table, &err, "score", "scenarios/baseline.cfg", "--set", "normalise.range=1,100", NULL), 0);
    assert_non_null(strstr(table, "scale 1-100 (normalise.range; class thresholds rescaled from the taxonomy's 0-10)"));
    assert_null(strstr(table, "Very high    "));   /* not every country "Very high" */
    free(table), free(err);
    assert_int_equal(tu_run(&table, &err, "score", "scenarios/baseline.cfg", NULL), 0);
    assert_non_null(strstr(table, "scale 0-10\n"));   /* the plain scale, unannotated */
    free(table), free(err);
    /* min-max is linear, so every score moves onto 1-100 and keeps its
       class: the class column of every unit x node is the same */
    assert_int_equal(tu_run(&plain, &err, "score", "scenarios/baseline.cfg", "--format", "csv", NULL), 0);
    free(err);
    assert_int_equal(tu_run(&ranged, &err, "score", "scenarios/baseline.cfg", "--format", "csv", "--set",
                            "normalise.range=1,100", NULL), 0);
    free(err);
    const char *units[] = {"KAZ", "KGZ", "TJK", "TKM", "UZB"};
    const char *nodes[] = {"central_asia", "extremism", "drug_trafficking", "ecological", "coping"};
    int compared = 0;
    for (int u = 0; u < 5; u++)
        for (int k = 0; k < 5; k++) {
            char a[256];
            snprintf(a, sizeof a, "%s", csv_cell(plain, units[u], nodes[k], 8));
            const char *b = csv_cell(ranged, units[u], nodes[k], 8);
            if (strcmp(a, b) != 0) fail_msg("%s %s: class '%s' on 0-10, '%s' on 1-100", units[u], nodes[k], a, b);
            double x = atof(csv_cell(plain, units[u], nodes[k], 6)), y = atof(csv_cell(ranged, units[u], nodes[k], 6));
            if (!(fabs(y - (1 + x * 9.9)) < 1e-9)) fail_msg("%s %s: %g on 0-10 is %g on 1-100", units[u], nodes[k], x, y);
            compared++;
        }
    assert_int_equal(compared, 25);
    free(plain), free(ranged);
}

/* ---- 4: shocks that change nothing, and sets that create values ------- */

static void write_fixture(void) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("scen.cfg", FIX_SCENARIO_HEAD);
}

static void test_shocks_must_change_something(void **state) {
    (void)state;
    write_fixture();
    struct {
        const char *shock, *expect;
    } cases[] = {
        /* a year no value has */
        {"{ indicator = \"y2\"; add = 1.0; years = [ 2018 ]; note = \"n\"; }",
         "what.cfg:3: add shock on 'y2': no value of 2018 for the countries it names, so the year matches nothing"},
        /* a named country without a value */
        {"{ indicator = \"y1\"; countries = [ \"R\" ]; scale = 2.0; note = \"n\"; }",
         "what.cfg:3: scale shock on 'y1': R has no value to scale"},
        /* a named country without a value in the named year */
        {"{ indicator = \"x1\"; countries = [ \"P\" ]; add = 1.0; years = [ 2021 ]; note = \"n\"; }",
         "what.cfg:3: add shock on 'x1': P has no value in 2021 to add"},
        /* a set on a missing value, silently created before */
        {"{ indicator = \"y1\"; countries = [ \"R\" ]; set = 70.0; note = \"n\"; }",
         "what.cfg:3: set shock on 'y1': R has no value to set (to create one, add create = true and years"},
        {"{ indicator = \"y1\"; countries = [ \"R\" ]; set = 70.0; years = [ 2021 ]; note = \"n\"; }",
         "what.cfg:3: set shock on 'y1': R has no value in 2021 to set; add create = true to create one"},
        {"{ indicator = \"y1\"; countries = [ \"R\" ]; set = 70.0; create = true; note = \"n\"; }",
         "what.cfg:3: create = true needs years = [ YEAR ]"},
        {"{ indicator = \"y1\"; add = 1.0; create = true; note = \"n\"; }", "create = true applies to a set shock only"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024];
        snprintf(text, sizeof text, "name = \"What\"; extends = \"scen.cfg\";\nshocks = (\n  %s\n);\n", cases[i].shock);
        const char *path = tu_write("what.cfg", text);
        char *out, *err;
        int rc = tu_run(&out, &err, "validate", path, NULL);
        if (rc != 1 || !strstr(err, cases[i].expect))
            fail_msg("case %zu: exit %d, expected '%s', got '%s'", i, rc, cases[i].expect, err);
        free(out), free(err);
    }
    /* with create = true and a year, the value is made and says so */
    const char *path = tu_write("what.cfg", "name = \"What\"; extends = \"scen.cfg\";\nshocks = (\n"
                                            "  { indicator = \"y1\"; countries = [ \"R\" ]; set = 70.0; years = [ 2021 ];\n"
                                            "    create = true; note = \"assumed\"; }\n);\n");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "explain", path, "R", "b", "--format", "csv", NULL), 0);
    const char *row = strstr(out, "\ny1,");
    assert_non_null(row);
    assert_non_null(strstr(row, "70,scenario assumption (shock: created value),2021"));
    assert_non_null(strstr(row, "no value was observed: created by the shock"));
    free(out), free(err);
}

/* ---- 5: trend spans longer than the data ------------------------------ */

static void test_trend_span_longer_than_data(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "trend", "scenarios/baseline.cfg", "--years", "10", NULL), 2);
    assert_non_null(strstr(err, "--years 10 is longer than the data: the years kept run from"));
    assert_non_null(strstr(err, "so the longest trend is --years"));
    assert_null(strstr(out, "change 0 ->"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "trend", "scenarios/baseline.cfg", "--years", "1", NULL), 0);
    assert_null(strstr(out, "unknown"));
    free(out), free(err);
}

/* ---- 6: suggestions, and usage errors that fit on the screen ---------- */

static void test_suggestions(void **state) {
    (void)state;
    char *out, *err;
    /* a node id cut short gets the id it was cut from */
    assert_int_equal(tu_run(&out, &err, "explain", "scenarios/baseline.cfg", "TJK", "drug_trafic", NULL), 1);
    assert_non_null(strstr(err, "(did you mean 'drug_trafficking'?)"));
    free(out), free(err);
    /* unit ids whatever their case, and typos of them */
    assert_int_equal(tu_run(&out, &err, "explain", "scenarios/baseline.cfg", "tjk", NULL), 1);
    assert_non_null(strstr(err, "unknown unit 'tjk' (did you mean 'TJK'?)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "weights", "scenarios/baseline.cfg", "--unit", "TJJ", NULL), 1);
    assert_non_null(strstr(err, "unknown unit 'TJJ' (did you mean 'TJK'?)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "weights", "scenarios/baseline.cfg", "--unit", "XYZW", NULL), 1);
    assert_non_null(strstr(err, "(units: KAZ KGZ TJK TKM UZB)"));
    free(out), free(err);
    /* misspelt options, on every kind of command */
    struct {
        const char *cmd, *a, *b, *hint, *help;
    } opts[] = {
        {"score", "scenarios/baseline.cfg", "--fromat", "'--format'", "score"},
        {"export", "--db", "x.db", "'--run'", "export"},
        {"score", "scenarios/baseline.cfg", "--perspecitve", "'--perspective'", "score"},
        {"uncertainty", "scenarios/baseline.cfg", "--sobl", "'--sobol'", "uncertainty"},
        {"trend", "scenarios/baseline.cfg", "--yeras", "'--years'", "trend"},
        {"batch", "scenarios", "--forse", "'--force'", "batch"},
        {"compare", "--db", "x.db", "'--node'", "compare"},
        {"audit", "scenarios/baseline.cfg", "--pooledd", "'--pooled'", "audit"},
    };
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
        const char *wrong = i == 1 ? "--rn" : i == 6 ? "--nod" : opts[i].b;
        const char *extra = i == 1 || i == 6 ? opts[i].b : NULL;
        int rc = extra ? tu_run(&out, &err, opts[i].cmd, opts[i].a, extra, wrong, "1", NULL)
                       : tu_run(&out, &err, opts[i].cmd, opts[i].a, wrong, NULL);
        char help[128];
        snprintf(help, sizeof help, "Run 'threatscore %s --help' for its usage and options.\n", opts[i].help);
        char hint[64];
        snprintf(hint, sizeof hint, "(did you mean %s?)", opts[i].hint);
        if (rc != 2 || !strstr(err, hint) || !strstr(err, help) || count_lines(err) != 2)
            fail_msg("%s %s: exit %d, stderr:\n%s", opts[i].cmd, wrong, rc, err);
        free(out), free(err);
    }
    /* every usage error: the error and one line pointing to --help */
    const char *cases[][4] = {
        {"score", NULL, NULL, NULL},
        {"score", "scenarios/baseline.cfg", "--format", "xml"},
        {"runs", NULL, NULL, NULL},
        {"trend", "scenarios/baseline.cfg", "--years", "0"},
        {"weights", "scenarios/baseline.cfg", "--format", "json"},
        {"uncertainty", "scenarios/baseline.cfg", "-N", "0"},
        {"new-scenario", "X", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = tu_run(&out, &err, cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL);
        if (rc != 2 || count_lines(err) != 2 || !strstr(err, "--help' for its usage and options"))
            fail_msg("%s: exit %d, stderr:\n%s", cases[i][0], rc, err);
        free(out), free(err);
    }
    assert_int_equal(tu_run(&out, &err, NULL), 2);
    assert_int_equal(count_lines(err), 2);
    free(out), free(err);
}

/* ---- 7: validate DIR --------------------------------------------------- */

static void test_validate_directory(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "validate", "scenarios", NULL), 0);
    assert_int_equal(count_lines(out), 8);
    assert_non_null(strstr(out, "scenarios/afghan_spillover.cfg: ok"));
    assert_non_null(strstr(out, "scenarios/outward_looking.cfg: ok"));
    assert_null(strstr(out, "SOURCES.md"));
    free(out), free(err);
    /* a taxonomy beside the scenarios is checked as a taxonomy; a
       directory named x.cfg is not a file */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/vdir", tu_dir());
    assert_int_equal(mkdir(dir, 0700), 0);
    char sub[700];
    snprintf(sub, sizeof sub, "%s/sub.cfg", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    tu_write("vdir/tax.cfg", FIX_TAXONOMY);
    tu_write("vdir/a.cfg", FIX_SCENARIO_HEAD);
    tu_write("vdir/b.cfg", "name = \"B\"; extends = \"a.cfg\"; wieghts = { a = 1; };\n");
    assert_int_equal(tu_run(&out, &err, "validate", dir, NULL), 1);
    assert_non_null(strstr(out, "vdir/a.cfg: ok (scenario"));
    assert_non_null(strstr(out, "vdir/tax.cfg: ok (taxonomy"));
    assert_non_null(strstr(err, "vdir/b.cfg:1: unknown key 'wieghts' (did you mean 'weights'?)"));
    assert_null(strstr(out, "sub.cfg"));
    assert_null(strstr(err, "sub.cfg"));
    assert_true(strstr(out, "a.cfg") < strstr(out, "tax.cfg")); /* name order */
    free(out), free(err);
}

/* ---- 8: '-' is standard input and standard output --------------------- */

static void test_stdin_and_stdout(void **state) {
    (void)state;
    char *out, *err, *file;
    /* -o - is standard output, not a file named '-' */
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--format", "csv", "-o", "-", NULL), 0);
    assert_int_equal(tu_run(&file, NULL, "score", "scenarios/baseline.cfg", "--format", "csv", NULL), 0);
    assert_string_equal(out, file);
    struct stat sb;
    assert_int_not_equal(stat("-", &sb), 0);
    free(out), free(err), free(file);
    const char *cmds[][6] = {
        {"explain", "scenarios/baseline.cfg", "TJK", "-o", "-", NULL},
        {"trend", "scenarios/baseline.cfg", "-o", "-", NULL, NULL},
        {"weights", "scenarios/baseline.cfg", "-o", "-", NULL, NULL},
        {"audit", "scenarios/baseline.cfg", "-o", "-", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        assert_int_equal(tu_run(&out, &err, cmds[i][0], cmds[i][1], cmds[i][2], cmds[i][3], cmds[i][4], NULL), 0);
        assert_true(strlen(out) > 100);
        assert_int_not_equal(stat("-", &sb), 0);
        free(out), free(err);
    }
    /* a scenario from standard input: its relative names resolve against
       the current directory, and messages call it <stdin> */
    int st;
    char *piped = shell("cd scenarios && \"$TS\" score - --format csv < baseline.cfg", &st);
    assert_int_equal(st, 0);
    assert_int_equal(tu_run(&file, NULL, "score", "scenarios/baseline.cfg", "--format", "csv", NULL), 0);
    assert_string_equal(piped, file);
    free(piped), free(file);
    piped = shell("printf 'name = \"S\";\\ntaxonomy = \"taxonomy/central_asia.cfg\";\\nunits = ();\\n' | "
                  "\"$TS\" validate - 2>&1", &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(piped, "threatscore: <stdin>:3: units is empty"));
    free(piped);
    piped = shell("cd scenarios && \"$TS\" explain - TJK < baseline.cfg | head -n 1", &st);
    assert_non_null(strstr(piped, "TJK"));
    free(piped);
    /* --data - reads the CSV from standard input */
    piped = shell("\"$TS\" score --taxonomy examples/data/taxonomy.cfg --data - --unit-column ISO3 --name-column COUNTRY "
                  "--format csv < examples/data/central_asia.csv", &st);
    assert_int_equal(st, 0);
    assert_int_equal(tu_run(&file, NULL, "score", "--taxonomy", "examples/data/taxonomy.cfg", "--data",
                            "examples/data/central_asia.csv", "--unit-column", "ISO3", "--name-column", "COUNTRY",
                            "--format", "csv", NULL), 0);
    assert_string_equal(piped, file);
    free(piped), free(file);
    /* standard input can be read once */
    assert_int_equal(tu_run(&out, &err, "validate", "-", "-", NULL), 2);
    assert_non_null(strstr(err, "standard input ('-') can be read only once"));
    free(out), free(err);
    /* no copy of standard input is left behind */
    piped = shell("d=$(mktemp -d) && cd scenarios && TMPDIR=$d \"$TS\" validate - < baseline.cfg >/dev/null && "
                  "ls -A $d | wc -l && rm -rf $d", &st);
    assert_string_equal(piped, "0\n");
    free(piped);
}

/* ---- 9: the same CSV options on every command that reads a CSV -------- */

static void test_uncertainty_csv_options(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "uncertainty", "--taxonomy", "examples/data/taxonomy.cfg", "--data",
                            "examples/data/central_asia.csv", "--unit-column", "ISO3", "--name-column", "COUNTRY",
                            "--missing", "NA,", "--encoding", "utf-8", "--vary", "weights=0.2", "-N", "32", "--quiet",
                            NULL), 0);
    assert_non_null(strstr(out, "Tajikistan"));
    free(out), free(err);
    /* the shipped INFORM export, as the issue tried it */
    const char *inform = "../shared/reference/inform/inform_gri_2020_v040.csv";
    struct stat sb;
    if (stat(inform, &sb) == 0) {
        assert_int_equal(tu_run(&out, &err, "uncertainty", "--taxonomy", "taxonomy/inform.cfg", "--data", inform,
                                "--unit-column", "ISO3", "--name-column", "COUNTRY", "--vary", "exclude=one", "-N", "8",
                                "--nodes", "root", "--format", "csv", "--quiet", NULL), 0);
        assert_true(count_lines(out) > 150);
        free(out), free(err);
    }
    assert_int_equal(tu_run(&out, &err, "uncertainty", "scenarios/baseline.cfg", "--unit-column", "ISO3", NULL), 2);
    assert_non_null(strstr(err, "CSV options need --taxonomy and --data"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "uncertainty", "--taxonomy", "t", "--data", "d", "--encoding", "ebcdic", NULL), 2);
    assert_non_null(strstr(err, "unknown encoding 'ebcdic'"));
    free(out), free(err);
}

/* ---- 10: tables that say what they show, and stay in line ------------- */

static void test_tables(void **state) {
    (void)state;
    char buf[32];
    assert_string_equal(ts_fmt_fixed(buf, sizeof buf, -0.001, 2), "0.00");
    assert_string_equal(ts_fmt_fixed(buf, sizeof buf, -0.0, 1), "0.0");
    assert_string_equal(ts_fmt_fixed(buf, sizeof buf, -0.006, 2), "-0.01");
    assert_string_equal(ts_fmt_fixed(buf, sizeof buf, NAN, 2), "-");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "uncertainty", "scenarios/baseline.cfg", "--sobol", "-N", "64", "--quiet", NULL), 0);
    assert_null(strstr(out, "-0.00"));
    assert_non_null(strstr(out, "S1 = first order"));
    assert_non_null(strstr(out, "ST = total order"));
    /* each unit has an S1 row and an ST row, each cell with its interval */
    const char *s1 = strstr(out, "\nKAZ   S1 "), *st = s1 ? strstr(s1, "\n      ST ") : NULL;
    assert_non_null(s1);
    assert_non_null(st);
    assert_non_null(strstr(s1, " ["));
    free(out), free(err);
    /* runs: long scenario names keep the columns in line */
    const char *db = tu_path("runs-wide.db");
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char text[2048];
    snprintf(text, sizeof text, "name = \"A scenario whose name is far longer than twenty-four\";\nextends = \"%s/scenarios/baseline.cfg\";\n",
             cwd);
    const char *path = tu_write("long.cfg", text);
    assert_int_equal(tu_run(NULL, NULL, "score", "scenarios/baseline.cfg", "--db", db, NULL), 0);
    assert_int_equal(tu_run(NULL, NULL, "score", path, "--db", db, NULL), 0);
    assert_int_equal(tu_run(&out, &err, "runs", "--db", db, NULL), 0);
    char *l1 = strchr(out, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
    /* the created_at column starts at the same character on every line
       (the long name is cut with an ellipsis, one character of 3 bytes) */
    const char *h = strstr(out, "created_at"), *d1 = strstr(l1, "  20"), *d2 = strstr(l2, "  20");
    assert_non_null(h);
    assert_non_null(d1);
    assert_non_null(d2);
    char *pre = strndup(out, (size_t)(h - out)), *p1 = strndup(l1, (size_t)(d1 + 2 - l1)), *p2 = strndup(l2, (size_t)(d2 + 2 - l2));
    assert_int_equal(ts_text_width(pre), ts_text_width(p1));
    assert_int_equal(ts_text_width(pre), ts_text_width(p2));
    assert_non_null(strstr(l2, "\xe2\x80\xa6"));
    free(pre), free(p1), free(p2);
    free(out), free(err);
}

/* ---- 11: running the main job twice stores nothing twice -------------- */

static void test_db_runs_are_reused(void **state) {
    (void)state;
    const char *db = tu_path("again.db");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "trend", "scenarios/baseline.cfg", "--db", db, NULL), 0);
    long long runs = tu_query_int(db, "SELECT count(*) FROM runs");
    assert_true(runs >= 2);
    assert_non_null(strstr(err, "year runs stored in"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "trend", "scenarios/baseline.cfg", "--db", db, NULL), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), runs);
    char expect[256];
    snprintf(expect, sizeof expect, "trend: unchanged, the %lld year runs in %s reused", runs, db);
    assert_non_null(strstr(err, expect));
    /* more years kept (a lower --min-coverage) is another trend: stored
       whole, not as the new years beside reused ones */
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "trend", "scenarios/baseline.cfg", "--db", db, "--min-coverage", "0.5", NULL), 0);
    long long more = tu_query_int(db, "SELECT count(*) FROM runs") - runs;
    assert_true(more > runs);
    assert_int_equal(tu_query_int(db, "SELECT count(DISTINCT series) FROM runs"), 2);
    runs += more;
    free(out), free(err);
    const char *ua[] = {"uncertainty", "scenarios/baseline.cfg", "--sobol", "-N", "32", "--db", db, "--quiet"};
    assert_int_equal(tu_run(&out, &err, ua[0], ua[1], ua[2], ua[3], ua[4], ua[5], ua[6], ua[7], NULL), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs"), 1);
    free(out), free(err);
    /* the same analysis with other threads is the same analysis */
    assert_int_equal(tu_run(&out, &err, ua[0], ua[1], ua[2], ua[3], ua[4], ua[5], ua[6], ua[7], "-j", "2", NULL), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs"), 1);
    assert_non_null(strstr(err, "unchanged, uncertainty run 1 reused"));
    assert_non_null(strstr(out, "stored as uncertainty run 1"));
    free(out), free(err);
    /* another seed, or other reported nodes, is another analysis */
    assert_int_equal(tu_run(&out, &err, ua[0], ua[1], ua[2], ua[3], ua[4], ua[5], ua[6], ua[7], "--seed", "2", NULL), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs"), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, ua[0], ua[1], ua[2], ua[3], ua[4], ua[5], ua[6], ua[7], "--nodes", "root", NULL), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ua_runs"), 3);
    free(out), free(err);
    /* a changed scenario is a new trend: its year runs are stored */
    char cwd[1024], text[2048];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(text, sizeof text, "name = \"Baseline\";\nextends = \"%s/scenarios/baseline.cfg\";\n"
                                "weights = { extremism = 2.0; };\n", cwd);
    assert_int_equal(tu_run(&out, &err, "trend", tu_write("changed.cfg", text), "--db", db, NULL), 0);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), runs + (runs - more));
    free(out), free(err);
}

/* ---- 12: man page, completion, install --------------------------------- */

static void test_man_page_is_the_help(void **state) {
    (void)state;
    char *man, *err;
    assert_int_equal(tu_run(&man, &err, "--man", NULL), 0);
    assert_string_equal(err, "");
    free(err);
    assert_non_null(strstr(man, ".TH THREATSCORE 1"));
    /* every command has a section holding its --help text, line by line
       (roff-escaped: '-' as \-, '\' as \e) */
    const char *names[64];
    int n = ts_cli_command_names(names, 64);
    assert_true(n >= 16);
    for (int k = 0; k < n; k++) {
        char sect[64], *help;
        snprintf(sect, sizeof sect, ".SS %s\n.nf\n", names[k]);
        const char *at = strstr(man, sect);
        if (!at) fail_msg("no section for %s", names[k]);
        assert_int_equal(tu_run(&help, NULL, names[k], "--help", NULL), 0);
        ts_buf esc = {0};
        for (const char *p = help; *p; p++) {
            if ((p == help || p[-1] == '\n') && (*p == '.' || *p == '\'')) ts_buf_puts(&esc, "\\&");
            if (*p == '-') ts_buf_puts(&esc, "\\-");
            else if (*p == '\\') ts_buf_puts(&esc, "\\e");
            else ts_buf_append(&esc, p, 1);
        }
        if (strncmp(at + strlen(sect), esc.data, esc.len) != 0) fail_msg("the man page's %s is not its --help", names[k]);
        ts_buf_free(&esc);
        free(help);
    }
    free(man);
    /* groff reads it without a warning, when groff is there */
    int st;
    char *warn = shell("command -v groff >/dev/null || exit 0; \"$TS\" --man | groff -man -Tutf8 -ww -z 2>&1", &st);
    assert_int_equal(st, 0);
    assert_string_equal(warn, "");
    free(warn);
}

/* Returns the completions of word n of the command line args (NULL-
 * terminated), one a line. */
static char *complete(int n, ...) {
    char *argv[32], num[16];
    int argc = 0;
    argv[argc++] = "threatscore";
    argv[argc++] = "--complete";
    snprintf(num, sizeof num, "%d", n);
    argv[argc++] = num;
    va_list ap;
    va_start(ap, n);
    char *a;
    while ((a = va_arg(ap, char *)) && argc < 31) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len), *e = fopen("/dev/null", "w");
    assert_int_equal(ts_cli_main(argc, argv, f, e), 0);
    fclose(f), fclose(e);
    return out;
}

static void test_completion(void **state) {
    (void)state;
    char *c = complete(1, "sc", NULL);
    assert_string_equal(c, "score\n");
    free(c);
    c = complete(1, "new", NULL);
    assert_string_equal(c, "new-scenario\n");
    free(c);
    c = complete(2, "score", "--fo", NULL);
    assert_string_equal(c, "--format\n");
    free(c);
    c = complete(3, "score", "--format", "", NULL);
    assert_string_equal(c, "table\ncsv\njson\n");
    free(c);
    c = complete(2, "uncertainty", "--so", NULL);
    assert_string_equal(c, "--sobol\n");
    free(c);
    /* unit and node ids of the scenario on the line */
    c = complete(3, "explain", "scenarios/baseline.cfg", "T", NULL);
    assert_string_equal(c, "TJK\nTKM\n");
    free(c);
    c = complete(4, "explain", "scenarios/baseline.cfg", "TJK", "drug_tr", NULL);
    assert_string_equal(c, "drug_transit\ndrug_trafficking\n");
    free(c);
    c = complete(4, "weights", "scenarios/baseline.cfg", "--unit", "K", NULL);
    assert_string_equal(c, "KAZ\nKGZ\n");
    free(c);
    c = complete(4, "uncertainty", "scenarios/baseline.cfg", "--nodes", "ro", NULL);
    assert_string_equal(c, "root\n");
    free(c);
    c = complete(4, "plot", "--db", "x.db", "r", NULL);
    assert_string_equal(c, "ranking\nradar\n");
    free(c);
    /* every kind, the later ones too (scores, alerts and correlation were
       left out) */
    c = complete(2, "plot", "", NULL);
    assert_string_equal(c, "ranking\nheatmap\nradar\ncontributions\ncompare\ntrend\nuncertainty\nsensitivity\nscores\n"
                           "alerts\ncorrelation\n");
    free(c);
    c = complete(5, "plot", "correlation", "scenarios/baseline.cfg", "--node", "drug_tr", NULL);
    assert_string_equal(c, "drug_transit\ndrug_trafficking\n");
    free(c);
    c = complete(4, "plot", "correlation", "scenarios/baseline.cfg", "--ind", NULL);
    assert_string_equal(c, "--indicators\n");
    free(c);
    /* where a file goes, nothing: bash completes file names */
    c = complete(2, "validate", "", NULL);
    assert_string_equal(c, "");
    free(c);
    c = complete(3, "score", "--db", "", NULL);
    assert_string_equal(c, "");
    free(c);
    /* the installed script, driven as bash drives it */
    int st;
    char *got = shell("command -v bash >/dev/null || { echo skip; exit 0; }; d=$(mktemp -d); ln -s \"$TS\" $d/threatscore; "
                      "PATH=$d:$PATH bash -c '. cli/threatscore.bash-completion; "
                      "COMP_WORDS=(threatscore explain scenarios/baseline.cfg TJK drug_traffic); COMP_CWORD=4; "
                      "_threatscore; printf \"%s\\n\" \"${COMPREPLY[@]}\"'; rm -rf $d", &st);
    assert_int_equal(st, 0);
    if (strcmp(got, "skip\n") != 0) assert_string_equal(got, "drug_trafficking\n");
    free(got);
}

static void test_install(void **state) {
    (void)state;
    const char *build = getenv("TS_BUILD_DIR");
    if (!build) skip();
    int st;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "p=$(mktemp -d) && cmake --install '%s' --prefix $p >/dev/null && cd $p && "
             "test -x bin/threatscore && test -f share/man/man1/threatscore.1 && "
             "test -f share/bash-completion/completions/threatscore && "
             "bin/threatscore validate share/threatscore/scenarios share/threatscore/taxonomy share/threatscore/examples/data "
             "| wc -l && bin/threatscore --man | cmp - share/man/man1/threatscore.1 && "
             "bin/threatscore score --taxonomy share/threatscore/examples/data/taxonomy.cfg "
             "--data share/threatscore/examples/data/central_asia.csv --unit-column ISO3 --name-column COUNTRY | head -n 1; "
             "r=$?; cd / && rm -rf $p; exit $r",
             build);
    char *out = shell(cmd, &st);
    assert_int_equal(st, 0);
    /* 8 scenarios, 2 taxonomies, the sample taxonomy */
    assert_string_equal(out, "11\ncentral_asia.csv: Central Asian security risk (sample), 5 units, 7 indicators, scale 0-10\n");
    free(out);
}

/* ---- beyond the fixes: new-scenario, the sample inputs ----------------- */

static void test_new_scenario(void **state) {
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/mine", tu_dir());
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *path = tu_path("mine/water.cfg");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "new-scenario", "Water conflict in the \"Fergana\" valley", "--extends",
                            "scenarios/baseline.cfg", "-o", path, NULL), 0);
    free(out), free(err);
    size_t len;
    char *text = ts_read_file(path, &len);
    assert_non_null(text);
    /* extends relative to the file, the units, indicators with their raw
       unit and goalposts, which years a shock hits, an example shock */
    assert_non_null(strstr(text, "name = \"Water conflict in the \\\"Fergana\\\" valley\";"));
    assert_non_null(strstr(text, "extends = \"../"));
    assert_non_null(strstr(text, "KAZ Kazakhstan"));
    assert_non_null(strstr(text, "gti: Global Terrorism Index score\n"));
    assert_non_null(strstr(text, "raw unit: score 0-10; risk (higher = more risk); goalposts [0.0, 10.0]"));
    assert_non_null(strstr(text, "years\n#   defaults to every year of the values"));
    assert_non_null(strstr(text, "relative to the directory of this file"));
    const char *ex = strstr(text, "  # { indicator = ");
    assert_non_null(ex);
    /* it validates as written, and with its example shock switched on */
    assert_int_equal(tu_run(&out, &err, "validate", path, NULL), 0);
    free(out), free(err);
    ts_buf on = {0};
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (p >= ex && p < ex + 300 && strncmp(p, "  # ", 4) == 0 && (strstr(p, "{ indicator") == p + 4 ||
                                                                    strncmp(p + 4, "  note", 6) == 0)) {
            ts_buf_puts(&on, "  ");
            ts_buf_append(&on, p + 4, n - 4);
        } else {
            ts_buf_append(&on, p, n);
        }
        p += n;
    }
    const char *shocked = tu_write("mine/water_on.cfg", on.data);
    assert_int_equal(tu_run(&out, &err, "validate", shocked, NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "explain", shocked, "KAZ", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "add 1 (water_on.cfg:"));
    free(out), free(err);
    ts_buf_free(&on);
    free(text);
    /* it does not overwrite a file unless told to */
    assert_int_equal(tu_run(&out, &err, "new-scenario", "W", "--extends", "scenarios/baseline.cfg", "-o", path, NULL), 1);
    assert_non_null(strstr(err, "exists; give --force"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "new-scenario", "W", "--extends", "scenarios/baseline.cfg", "-o", path, "--force",
                            NULL), 0);
    free(out), free(err);
    /* to standard output, extends is the path as given */
    assert_int_equal(tu_run(&out, &err, "new-scenario", "W", "--extends", "scenarios/baseline.cfg", NULL), 0);
    assert_non_null(strstr(out, "extends = \"scenarios/baseline.cfg\";"));
    free(out), free(err);
}

static void test_sample_inputs(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "--taxonomy", "examples/data/taxonomy.cfg", "--data",
                            "examples/data/central_asia.csv", "--unit-column", "ISO3", "--name-column", "COUNTRY", NULL), 0);
    assert_non_null(strstr(out, "5 units, 7 indicators"));
    assert_non_null(strstr(out, "Tajikistan"));
    free(out), free(err);
    const char *t = tu_path("imp_t.cfg"), *s = tu_path("imp_s.cfg");
    assert_int_equal(tu_run(&out, &err, "import", "coinr", "examples/data/coinr_iData.csv", "examples/data/coinr_iMeta.csv",
                            "--taxonomy-out", t, "--scenario-out", s, NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", s, NULL), 0);
    assert_non_null(strstr(out, "12 units, 8 indicators"));
    free(out), free(err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_catches_score_refusals),
        cmocka_unit_test(test_range_moves_scale_and_classes),
        cmocka_unit_test(test_shocks_must_change_something),
        cmocka_unit_test(test_trend_span_longer_than_data),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_validate_directory),
        cmocka_unit_test(test_stdin_and_stdout),
        cmocka_unit_test(test_uncertainty_csv_options),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_db_runs_are_reused),
        cmocka_unit_test(test_man_page_is_the_help),
        cmocka_unit_test(test_completion),
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_new_scenario),
        cmocka_unit_test(test_sample_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
