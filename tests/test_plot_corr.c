/* test_plot_corr.c -- the correlation chart (plot correlation SCENARIO):
 * its numbers are the audit's, hostile names cannot break its script, and
 * bad input fails clearly without writing a chart. */
#include "testutil.h"
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "plot.h"
#include "plotdata.h"
#include "scenario.h"
#include "taxonomy.h"

/* Three dimensions of two indicators and one of a single indicator, five
 * units; z1 has no value for U4 and U5 (n 3 in its pairs), w1 is the one
 * child of d4. */
static const char TAXONOMY[] =
    "id = \"idx\"; name = \"Fixture risk index\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "children = (\n"
    "  { id = \"d1\"; name = \"Dimension one\"; children = (\n"
    "      { id = \"x1\"; name = \"Ex one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
    "      { id = \"x2\"; name = \"Ex two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
    "  { id = \"d2\"; name = \"Dimension two\"; children = (\n"
    "      { id = \"y1\"; name = \"Why one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
    "      { id = \"y2\"; name = \"Why two\"; direction = \"protective\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
    "  { id = \"d3\"; name = \"Dimension three\"; aggregate = \"geometric\"; children = (\n"
    "      { id = \"z1\"; name = \"Zed one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
    "      { id = \"z2\"; name = \"Zed two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
    "  { id = \"d4\"; name = \"Dimension four\"; children = (\n"
    "      { id = \"w1\"; name = \"Double-u one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); }\n"
    ");\n";

static const char SCENARIO[] =
    "name = \"Base\";\n"
    "taxonomy = \"tax.cfg\";\n"
    "units = ( { id = \"U1\"; name = \"Unit one\"; }, { id = \"U2\"; }, { id = \"U3\"; }, { id = \"U4\"; },"
    " { id = \"U5\"; } );\n"
    "data = (\n"
    "  { indicator = \"x1\"; year = 2024; source = \"a\"; values = { U1 = 8; U2 = 3; U3 = 5; U4 = 1; U5 = 6; }; },\n"
    "  { indicator = \"x2\"; year = 2024; source = \"a\"; values = { U1 = 4; U2 = 6; U3 = 2; U4 = 5; U5 = 7; }; },\n"
    "  { indicator = \"y1\"; year = 2024; source = \"a\"; values = { U1 = 6; U2 = 7; U3 = 2; U4 = 3; U5 = 3; }; },\n"
    "  { indicator = \"y2\"; year = 2024; source = \"a\"; values = { U1 = 5; U2 = 2; U3 = 8; U4 = 4; U5 = 1; }; },\n"
    "  { indicator = \"z1\"; year = 2024; source = \"a\"; values = { U1 = 3; U2 = 6; U3 = 4; }; },\n"
    "  { indicator = \"z2\"; year = 2024; source = \"a\"; values = { U1 = 7; U2 = 5; U3 = 9; U4 = 2; U5 = 4; }; },\n"
    "  { indicator = \"w1\"; year = 2024; source = \"a\"; values = { U1 = 1; U2 = 9; U3 = 4; U4 = 6; U5 = 2; }; }\n"
    ");\n";

/* Writes the fixture (tax.cfg, base.cfg; again each time, as the hostile
 * test replaces tax.cfg); returns the scenario's path. */
static const char *fixture(void) {
    static char path[512];
    tu_write("tax.cfg", TAXONOMY);
    snprintf(path, sizeof path, "%s", tu_write("base.cfg", SCENARIO));
    return path;
}

/* The nodes a chart correlates: the children of node (NULL: the index) of
 * scenario path, or with indicators the indicators under it, in
 * pre-order; ids borrowed from the returned scenario (caller frees). */
static ts_scenario *matrix_nodes(const char *path, const char *node, int indicators, const char **ids, int *n) {
    ts_error err;
    ts_scenario *s = NULL;
    if (ts_scenario_load(path, &s, &err) != TS_OK) fail_msg("%s", err.message);
    const ts_taxonomy *t = s->tax;
    int top = node ? ts_taxonomy_find(t, node) : ts_taxonomy_root(t);
    int *order = malloc((size_t)t->n_nodes * sizeof *order);
    assert_non_null(order);
    ts_taxonomy_preorder(t, order);
    *n = 0;
    for (int j = 0; j < t->n_nodes; j++) {
        int k = order[j], under = 0;
        for (int p = t->nodes[k].parent; p >= 0 && !under; p = t->nodes[p].parent) under = p == top;
        if (indicators ? under && t->nodes[k].indicator >= 0 : t->nodes[k].parent == top) ids[(*n)++] = t->nodes[k].id;
    }
    free(order);
    return s;
}

/* Reads datablock name of a chart script ("x y value ...": column x,
 * row n-1-i of matrix cell (i, x)) into m[i * n + j]; NaN where it has no
 * line. Returns the lines read. */
static int read_block(const char *script, const char *name, double *m, int n) {
    for (int k = 0; k < n * n; k++) m[k] = NAN;
    char head[64];
    snprintf(head, sizeof head, "%s << EOD\n", name);
    const char *p = strstr(script, head);
    if (!p) fail_msg("no datablock %s in:\n%s", name, script);
    p += strlen(head);
    int lines = 0;
    while (strncmp(p, "EOD\n", 4) != 0) {
        int x, y;
        double v = 1;
        int got = sscanf(p, "%d %d %lf", &x, &y, &v);
        assert_true(got >= 2);
        assert_true(x >= 0 && x < n && y >= 0 && y < n);
        m[(n - 1 - y) * n + x] = v;
        lines++;
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    return lines;
}

/* Returns the index of id in ids[0..n), or -1. */
static int index_of(const char *const *ids, int n, const char *id) {
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return i;
    return -1;
}

/* Checks the chart's $cells against `threatscore audit --format csv`
 * (statistic stat: "r" or "rho") for every pair of the nodes the audit
 * correlates (siblings): the same value to 1e-9, both cells of the pair,
 * and an undefined audit value as an $undefined cell. Returns the pairs
 * compared. */
static int compare_with_audit(const char *script, const char *audit_csv, const char *stat, const char *const *ids,
                              int n) {
    double *cells = malloc((size_t)(n * n) * sizeof *cells), *undef = malloc((size_t)(n * n) * sizeof *undef);
    assert_non_null(cells);
    assert_non_null(undef);
    read_block(script, "$cells", cells, n);
    read_block(script, "$undefined", undef, n);
    int pairs = 0;
    char *copy = strdup(audit_csv);
    assert_non_null(copy);
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char node[128], st[32], with[128], value[64] = "";
        /* node,statistic,with,value,n,flag (value empty when undefined) */
        if (sscanf(line, "%127[^,],%31[^,],%127[^,],", node, st, with) != 3 || strcmp(st, stat) != 0) continue;
        const char *v = line;
        for (int commas = 0; commas < 3; v++) commas += *v == ',';
        sscanf(v, "%63[^,]", value);
        int i = index_of(ids, n, node), j = index_of(ids, n, with);
        if (i < 0 || j < 0) continue;
        if (!value[0]) {
            if (isnan(undef[i * n + j]) || isnan(undef[j * n + i]))
                fail_msg("%s(%s, %s) is undefined in the audit but not marked n/a", stat, node, with);
        } else {
            double want = strtod(value, NULL);
            for (int k = 0; k < 2; k++) {
                double got = k ? cells[j * n + i] : cells[i * n + j];
                if (!(fabs(got - want) <= 1e-9 * (1 + fabs(want))))
                    fail_msg("%s(%s, %s): chart %.17g, audit %.17g", stat, node, with, got, want);
            }
        }
        pairs++;
    }
    free(copy), free(cells), free(undef);
    return pairs;
}

/* Runs audit with args and returns its CSV (malloc'd). */
static char *audit_csv(const char *scenario, const char *node, int pooled) {
    char *out, *err;
    int rc;
    if (node && pooled) rc = tu_run(&out, &err, "audit", scenario, "--node", node, "--pooled", "--format", "csv", NULL);
    else if (node) rc = tu_run(&out, &err, "audit", scenario, "--node", node, "--format", "csv", NULL);
    else if (pooled) rc = tu_run(&out, &err, "audit", scenario, "--pooled", "--format", "csv", NULL);
    else rc = tu_run(&out, &err, "audit", scenario, "--format", "csv", NULL);
    if (rc != 0) fail_msg("audit: %s", err);
    free(err);
    return out;
}

/* ---- the numbers are the audit's ---------------------------------------- */

static void test_matches_audit(void **state) {
    (void)state;
    const char *scen = fixture();
    const char *ids[64];
    int n;
    char *out, *err, *csv = audit_csv(scen, NULL, 0);
    /* the index's children, Pearson and Spearman: every pair is a sibling
       pair of the audit */
    ts_scenario *s = matrix_nodes(scen, NULL, 0, ids, &n);
    assert_int_equal(n, 4);
    assert_int_equal(tu_run_plot(&out, &err, "correlation", scen, "--script", NULL), 0);
    assert_int_equal(compare_with_audit(out, csv, "r", ids, n), 6);
    assert_non_null(strstr(out, "Correlation within Fixture risk index: its 4 children (Pearson''s r)"));
    /* z1 lacks two units: d3 has them all (geometric over z2), so every
       pair has 5 */
    assert_non_null(strstr(out, "Scenario: Base · 5 units, latest values · n = 5 · n < 10: fragile, read as hints"));
    assert_null(strstr(out, "set output"));
    free(out), free(err);
    assert_int_equal(tu_run_plot(&out, &err, "correlation", scen, "--spearman", "--script", NULL), 0);
    assert_int_equal(compare_with_audit(out, csv, "rho", ids, n), 6);
    assert_non_null(strstr(out, "(Spearman''s rho)"));
    free(out), free(err);
    ts_scenario_free(s);
    /* the indicators under the index: the sibling pairs are the audit's;
       the others are the same measure (checked against the engine) */
    s = matrix_nodes(scen, NULL, 1, ids, &n);
    assert_int_equal(n, 7);
    assert_int_equal(tu_run_plot(&out, &err, "correlation", scen, "--indicators", "--script", NULL), 0);
    assert_int_equal(compare_with_audit(out, csv, "r", ids, n), 3);
    assert_non_null(strstr(out, "n = 3 to 5 (pairs where both have a value)"));
    assert_non_null(strstr(out, "Boxes: the indicators under each of the 4 children of Fixture risk index"));
    double cells[49];
    read_block(out, "$cells", cells, n);
    ts_error e;
    ts_audit_options opt;
    ts_audit_options_default(&opt);
    ts_audit_corr *m;
    assert_int_equal(ts_audit_corr_new(s, &opt, 1, 0, &m, &e), TS_OK);
    assert_int_equal(m->n, 7);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            assert_string_equal(s->tax->nodes[m->node[i]].id, ids[i]);
            double v = m->value[i * n + j];
            if (i == j) assert_true(v == 1 && isnan(cells[i * n + j]));
            else assert_true(fabs(cells[i * n + j] - v) <= 1e-9);
        }
    /* x1 against z1: the three units with both */
    int x1 = index_of(ids, n, "x1"), z1 = index_of(ids, n, "z1");
    assert_int_equal(m->pairs[x1 * n + z1], 3);
    ts_audit_corr_free(m);
    free(out), free(err);
    ts_scenario_free(s);
    free(csv);
    /* a node below the index, the indicators under it */
    csv = audit_csv(scen, "d2", 0);
    s = matrix_nodes(scen, "d2", 1, ids, &n);
    assert_int_equal(tu_run_plot(&out, &err, "correlation", scen, "--node", "d2", "--indicators", "--script", NULL), 0);
    assert_int_equal(compare_with_audit(out, csv, "r", ids, n), 1);
    assert_null(strstr(out, "Boxes:")); /* the indicators are the children */
    free(out), free(err), free(csv);
    ts_scenario_free(s);
    /* the Central Asia baseline pooled over its years, as audit --pooled */
    const char *base = "scenarios/baseline.cfg";
    tu_need(base);
    csv = audit_csv(base, NULL, 1);
    s = matrix_nodes(base, NULL, 0, ids, &n);
    assert_int_equal(tu_run_plot(&out, &err, "correlation", base, "--pooled", "--script", NULL), 0);
    assert_int_equal(compare_with_audit(out, csv, "r", ids, n), n * (n - 1) / 2);
    assert_non_null(strstr(out, "years pooled"));
    assert_non_null(strstr(out, "Pooled: each unit-year is an observation"));
    free(out), free(err), free(csv);
    ts_scenario_free(s);
    /* and one risk's indicators at the latest values */
    csv = audit_csv(base, "pol_social", 0);
    s = matrix_nodes(base, "pol_social", 1, ids, &n);
    assert_int_equal(tu_run_plot(&out, &err, "correlation", base, "--node", "pol_social", "--indicators", "--spearman",
                              "--script", NULL), 0);
    assert_true(compare_with_audit(out, csv, "rho", ids, n) >= 6 + 6 + 1);
    free(out), free(err), free(csv);
    ts_scenario_free(s);
}

/* ---- drawing ------------------------------------------------------------ */

/* Returns the width (or height) in a PNG's header. */
static unsigned png_size(const char *path, int height) {
    size_t n;
    unsigned char *s = (unsigned char *)tu_slurp(path, &n);
    assert_true(n > 1024);
    assert_memory_equal(s, "\x89PNG\r\n\x1a\n", 8);
    const unsigned char *p = s + (height ? 20 : 16);
    unsigned v = (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
    free(s);
    return v;
}

static void test_render(void **state) {
    (void)state;
    const char *scen = fixture();
    static const char *const exts[] = {"png", "svg", "pdf", "txt"};
    for (int e = 0; e < 4; e++) {
        char path[512];
        snprintf(path, sizeof path, "%s/corr.%s", tu_dir(), exts[e]);
        char *out, *err;
        int rc = tu_run_plot(&out, &err, "correlation", scen, "--indicators", "-o", path, NULL);
        if (rc != 0) fail_msg("%s: %s", exts[e], err);
        free(out), free(err);
        size_t n;
        char *s = tu_slurp(path, &n);
        assert_true(n > 1000);
        if (e == 1) assert_non_null(strstr(s, "</svg>"));
        if (e == 2) assert_memory_equal(s, "%PDF", 4);
        if (e == 3) {
            assert_non_null(strstr(s, "Correlation of the 7 indicators under Fixture risk index"));
            assert_non_null(strstr(s, "1 Ex one"));
        }
        free(s);
    }
    assert_int_equal(png_size(tu_path("corr.png"), 0), 1100);
    assert_int_equal(png_size(tu_path("corr.png"), 1), 650);
    /* a matrix too big for the standard canvas gets a larger one */
    const char *base = "scenarios/baseline.cfg", *big = tu_path("big.png");
    tu_need(base);
    assert_int_equal(tu_run_plot(NULL, NULL, "correlation", base, "--indicators", "-o", big, NULL), 0);
    assert_true(png_size(big, 0) > 1100 && png_size(big, 1) > 650);
}

/* ---- safety ------------------------------------------------------------- */

/* Node and scenario names with every trick: backquotes, a system() call,
 * quotes (a leading one, two in a row), a macro, a newline that would
 * start a command, a datablock terminator, a format. They reach gnuplot
 * only quoted: nothing runs, gnuplot says nothing, the names are drawn. */
static void test_hostile_names(void **state) {
    (void)state;
    fixture();
    const char *marker = tu_path("pwned");
    remove(marker);
    char evil[1024];
    /* libconfig's escapes: \" and \n */
    snprintf(evil, sizeof evil,
             "Evil `touch %s` it''s \\\"q\\\" @x $y; \\nsystem(\\\"touch %s\\\")\\nEOD\\nprint 1 %%d", marker, marker);
    char *tax = malloc(8192), *scen = malloc(sizeof SCENARIO + 2048);
    assert_non_null(tax);
    assert_non_null(scen);
    /* the index, d1 and x1 get the hostile name, x2 the system() call
       alone (the others are cut before it on the axes); d2 a leading
       quote, y1 two quotes in a row, d3 typographic quotes */
    snprintf(tax, 8192,
             "id = \"idx\"; name = \"%s index\";\n"
             "scale = { min = 0.0; max = 10.0; };\n"
             "children = (\n"
             "  { id = \"d1\"; name = \"%s one\"; children = (\n"
             "      { id = \"x1\"; name = \"%s x\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
             "      { id = \"x2\"; name = \"system(\\\"touch %s\\\")\"; direction = \"risk\"; goalposts = [0.0, 10.0];"
             " source = \"s\"; } ); },\n"
             "  { id = \"d2\"; name = \"'lead\"; children = (\n"
             "      { id = \"y1\"; name = \"''two''\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
             "      { id = \"y2\"; name = \"Why two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
             "  { id = \"d3\"; name = \"\xe2\x80\x9c" "curly\xe2\x80\x9d \xc2\xabguil\xc2\xbb\"; children = (\n"
             "      { id = \"z1\"; name = \"Zed one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
             "      { id = \"z2\"; name = \"Zed two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
             "  { id = \"d4\"; name = \"Dimension four\"; children = (\n"
             "      { id = \"w1\"; name = \"Double-u one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); }\n"
             ");\n",
             evil, evil, evil, marker);
    tu_write("tax.cfg", tax);
    const char *body = strchr(SCENARIO, '\n') + 1;
    snprintf(scen, sizeof SCENARIO + 2048, "name = \"%s\";\n%s", evil, body);
    const char *path = tu_write("evil.cfg", scen);
    char log[512];
    snprintf(log, sizeof log, "%s", tu_path("gnuplot-corr.log"));
    char wrapper[2048];
    snprintf(wrapper, sizeof wrapper, "#!/bin/sh\nexec gnuplot \"$@\" 2>>'%s'\n", log);
    const char *gp = tu_write("logging-gnuplot", wrapper);
    chmod(gp, 0755);
    setenv("TS_GNUPLOT", gp, 1);
    static const char *const exts[] = {"svg", "png", "txt"};
    for (int ind = 0; ind < 2; ind++)
        for (int e = 0; e < 3; e++) {
            char out_path[512];
            snprintf(out_path, sizeof out_path, "%s/evil-corr%d.%s", tu_dir(), ind, exts[e]);
            remove(log);
            char *out, *err;
            int rc = ind ? tu_run_plot(&out, &err, "correlation", path, "--indicators", "-o", out_path, NULL)
                         : tu_run_plot(&out, &err, "correlation", path, "-o", out_path, NULL);
            if (rc != 0) fail_msg("%s: status %d: %s", exts[e], rc, err);
            free(out), free(err);
            if (tu_exists(log)) {
                size_t n;
                char *said = tu_slurp(log, &n);
                if (n) fail_msg("%s: gnuplot said: %s", exts[e], said);
                free(said);
            }
            assert_false(tu_exists(marker));
            size_t n;
            char *s = tu_slurp(out_path, &n);
            if (e == 0) assert_non_null(strstr(s, ind ? "system(" : "Evil `touch"));
            if (e == 2) {
                assert_non_null(strstr(s, "Evil `touch"));
                if (!ind) assert_non_null(strstr(s, "'lead"));
            }
            free(s);
        }
    unsetenv("TS_GNUPLOT");
    /* the script holds each name on one line, in single quotes */
    char *out, *err;
    assert_int_equal(tu_run_plot(&out, &err, "correlation", path, "--indicators", "--script", NULL), 0);
    assert_non_null(strstr(out, "'Evil `touch"));
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        assert_true(strncmp(line, "system(", 7) != 0);
        assert_true(strncmp(line, "print", 5) != 0);
        assert_true(strncmp(line, "EOD", 3) != 0 || line[3] == '\0');
    }
    free(out), free(err);
    assert_false(tu_exists(marker));
    free(tax), free(scen);
    tu_write("tax.cfg", TAXONOMY);
}

/* ---- bad input ---------------------------------------------------------- */

/* Runs plot with the NULL-terminated args, expects exit code and needle
 * on stderr; with no_file, also that the message names no file:line.
 * Returns nothing; fails the test otherwise. */
static void expect_fail(int code, const char *needle, int no_file, ...) {
    va_list ap;
    va_start(ap, no_file);
    char *o, *e;
    int rc = tu_vrun(ts_cli_plot, "plot", &o, &e, ap);
    va_end(ap);
    if (rc != code || !strstr(e, needle)) fail_msg("expected exit %d with '%s', got %d: %s", code, needle, rc, e);
    if (no_file && strstr(e, ".cfg")) fail_msg("a file named in: %s", e);
    assert_string_equal(o, "");
    free(o), free(e);
}

static void test_bad_input(void **state) {
    (void)state;
    char *scen = (char *)fixture(), *png = (char *)tu_path("bad.png");
    remove(png);
    /* a node with fewer than two children, or indicators under it: the
       node is the mistake, not a line of a file */
    expect_fail(1, "threatscore plot: node 'd4' has only one child: a correlation matrix needs two or more", 1,
                "correlation", scen, "--node", "d4", "-o", png, NULL);
    expect_fail(1, "node 'd4' has only one indicator under it", 1, "correlation", scen, "--node", "d4",
                "--indicators", "-o", png, NULL);
    expect_fail(1, "node 'x1' is an indicator: a correlation matrix needs a node with two or more children", 1,
                "correlation", scen, "--node", "x1", "-o", png, NULL);
    expect_fail(1, "node 'x1' is an indicator", 1, "correlation", scen, "--node", "x1", "--indicators", "--script",
                NULL);
    /* an unknown node, with a suggestion */
    expect_fail(1, "unknown node 'd5' in taxonomy 'idx' (did you mean 'd1'?)", 0, "correlation", scen, "--node", "d5", "-o", png, NULL);
    /* a bad scenario: file and line */
    const char *bad = tu_write("bad.cfg", "name = \"Bad\";\ntaxonomy = \"tax.cfg\";\nunits = ( { id = \"U1\"; } );\n"
                                          "data = ();\nweigths = { d1 = 2.0; };\n");
    char want[600];
    snprintf(want, sizeof want, "%s:5:", bad);
    expect_fail(1, want, 0, "correlation", (char *)bad, "-o", png, NULL);
    expect_fail(1, "absent.cfg: cannot open", 0, "correlation", (char *)tu_path("absent.cfg"), "-o", png, NULL);
    const char *syntax = tu_write("syntax.cfg", "name = \"S\";\ntaxonomy = \"tax.cfg\"\nunits = ;\n");
    snprintf(want, sizeof want, "%s:3:", syntax);
    expect_fail(1, want, 0, "correlation", (char *)syntax, "-o", png, NULL);
    /* usage: what the kind takes */
    expect_fail(2, "plot correlation needs a SCENARIO", 0, "correlation", "-o", png, NULL);
    expect_fail(2, "correlation is drawn from a scenario, not a database: --db does not apply", 0, "--db", "x.db",
                "correlation", scen, "-o", png, NULL);
    expect_fail(2, "--run does not apply", 0, "correlation", scen, "--run", "1", "-o", png, NULL);
    expect_fail(2, "--indicators is an option of the correlation chart only", 0, "--db", "x.db", "ranking",
                "--indicators", "-o", png, NULL);
    expect_fail(2, "unexpected argument", 0, "--db", "x.db", "ranking", scen, "-o", png, NULL);
    expect_fail(2, "needs -o", 0, "correlation", scen, NULL);
    expect_fail(2, "extension", 0, "correlation", scen, "-o", (char *)tu_path("chart.jpg"), NULL);
    expect_fail(2, "--min-coverage takes a share", 0, "correlation", scen, "--pooled", "--min-coverage", "2", "-o",
                png, NULL);
    /* the chart must not replace its scenario or taxonomy */
    expect_fail(2, "the scenario", 0, "correlation", scen, "-o", scen, NULL);
    /* a database is not a scenario source */
    ts_plot_request req = {.kind = TS_PLOT_CORRELATION};
    ts_plot_data *d;
    ts_error err;
    assert_int_equal(ts_plot_data_load("x.db", &req, &d, &err), TS_EUSAGE);
    assert_non_null(strstr(err.message, "drawn from a scenario"));
    /* nothing was written on any failure */
    assert_false(tu_exists(png));
    /* and a failing gnuplot leaves no chart either */
    const char *fake = tu_write("fake-gnuplot", "#!/bin/sh\ncat >/dev/null\necho 'boom' >&2\nexit 1\n");
    chmod(fake, 0755);
    setenv("TS_GNUPLOT", fake, 1);
    expect_fail(3, "boom", 0, "correlation", scen, "-o", png, NULL);
    unsetenv("TS_GNUPLOT");
    assert_false(tu_exists(png));
}

/* ---- golden scripts ----------------------------------------------------- */

/* The fixture's chart scripts, compared with tests/golden/plots (rewritten
 * with TS_UPDATE_GOLDEN=1): the index's children, and the indicators as
 * text. */
static void test_golden(void **state) {
    (void)state;
    static const struct {
        const char *file;
        int indicators, spearman;
        ts_plot_term term;
    } cases[] = {{"correlation.gp", 0, 0, TS_TERM_PNG}, {"correlation_text.gp", 1, 1, TS_TERM_DUMB}};
    ts_error err;
    ts_scenario *s = NULL;
    if (ts_scenario_load(fixture(), &s, &err) != TS_OK) fail_msg("%s", err.message);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ts_plot_request req = {.kind = TS_PLOT_CORRELATION, .indicators = cases[i].indicators,
                               .spearman = cases[i].spearman};
        ts_plot_data *d;
        if (ts_plot_data_from_scenario(s, &req, &d, &err) != TS_OK) fail_msg("%s", err.message);
        ts_buf b = {0};
        if (ts_plot_script(d, &req, cases[i].term, &b, &err) != TS_OK) fail_msg("%s", err.message);
        ts_plot_data_free(d);
        char name[256];
        snprintf(name, sizeof name, "plots/%s", cases[i].file);
        tu_golden(name, b.data, b.len);
        ts_buf_free(&b);
    }
    ts_scenario_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_audit),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_golden),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
