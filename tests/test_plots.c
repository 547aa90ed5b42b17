/* test_plots.c -- charts through gnuplot: golden scripts of every kind,
 * rendered PNG/SVG/PDF/text files, hostile names that must not reach a
 * shell, a missing or failing gnuplot, and clear failures for bad input. */
#include "testutil.h"
#include "cli.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline.h"
#include "plot.h"
#include "plotdata.h"
#include "scenario.h"
#include "store.h"
#include "store_ua.h"
#include "uncertainty.h"

/* Three dimensions (arithmetic, arithmetic, geometric) of two indicators,
 * INFORM's five classes, four units; Shock changes the values so that
 * ranks move. U4 has no data for z1 (a missing part). */
static const char TAXONOMY[] =
    "id = \"idx\"; name = \"Fixture risk index\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "classes = ( { name = \"Very low\"; }, { name = \"Low\"; min = 2.0; }, { name = \"Medium\"; min = 3.5; },\n"
    "            { name = \"High\"; min = 5.0; }, { name = \"Very high\"; min = 6.5; } );\n"
    "children = (\n"
    "  { id = \"d1\"; name = \"Dimension one\"; weight = 2.0; children = (\n"
    "      { id = \"x1\"; name = \"Ex one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
    "      { id = \"x2\"; name = \"Ex two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
    "  { id = \"d2\"; name = \"Dimension two\"; weight = 1.0; children = (\n"
    "      { id = \"y1\"; name = \"Why one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
    "      { id = \"y2\"; name = \"Why two\"; direction = \"protective\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); },\n"
    "  { id = \"d3\"; name = \"Dimension three\"; weight = 1.0; aggregate = \"geometric\"; children = (\n"
    "      { id = \"z1\"; name = \"Zed one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; },\n"
    "      { id = \"z2\"; name = \"Zed two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; source = \"s\"; } ); }\n"
    ");\n";

#define SCENARIO(NAME, X1, Y1)                                                                          \
    "name = \"" NAME "\";\n"                                                                            \
    "taxonomy = \"tax.cfg\";\n"                                                                         \
    "units = ( { id = \"U1\"; name = \"Unit one\"; }, { id = \"U2\"; name = \"Unit two\"; },\n"         \
    "          { id = \"U3\"; name = \"Unit three\"; }, { id = \"U4\"; name = \"Unit four\"; } );\n"    \
    "data = (\n"                                                                                        \
    "  { indicator = \"x1\"; year = 2024; source = \"a\"; values = " X1 "; },\n"                        \
    "  { indicator = \"x2\"; year = 2024; source = \"a\"; values = { U1 = 4; U2 = 6; U3 = 2; U4 = 5; }; },\n" \
    "  { indicator = \"y1\"; year = 2024; source = \"a\"; values = " Y1 "; },\n"                        \
    "  { indicator = \"y2\"; year = 2024; source = \"a\"; values = { U1 = 5; U2 = 2; U3 = 8; U4 = 4; }; },\n" \
    "  { indicator = \"z1\"; year = 2024; source = \"a\"; values = { U1 = 3; U2 = 6; U3 = 4; }; },\n"   \
    "  { indicator = \"z2\"; year = 2024; source = \"a\"; values = { U1 = 7; U2 = 5; U3 = 9; U4 = 2; }; }\n" \
    ");\n"

static const char BASE[] = SCENARIO("Base", "{ U1 = 8; U2 = 3; U3 = 5; U4 = 1; }", "{ U1 = 6; U2 = 7; U3 = 2; U4 = 3; }");
static const char SHOCK[] = SCENARIO("Shock", "{ U1 = 2; U2 = 9; U3 = 5; U4 = 7; }", "{ U1 = 3; U2 = 7; U3 = 9; U4 = 3; }");

static void score_into(const char *db, const char *scen_name, const char *text) {
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write(scen_name, text), &s, &err);
    if (!s) fail_msg("%s", err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) fail_msg("%s", err.message);
    ts_store *st;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    long long id;
    assert_int_equal(ts_store_save(st, s, r, &id, &err), TS_OK);
    ts_store_close(st);
    ts_result_free(r);
    ts_scenario_free(s);
}

/* The fixture store: run 1 Base, run 2 Shock. Built once. */
static const char *fixture_db(void) {
    static char path[512];
    if (!path[0]) {
        tu_write("tax.cfg", TAXONOMY);
        snprintf(path, sizeof path, "%s", tu_path("plots.db"));
        remove(path);
        score_into(path, "base.cfg", BASE);
        score_into(path, "shock.cfg", SHOCK);
    }
    return path;
}

/* What the uncertainty fixture varies: four factors. */
#define UA_SPEC                                                                                                 \
    "uncertainty = {\n"                                                                                          \
    "  weights = { vary = 0.25; };\n"                                                                            \
    "  normalise = ( { method = \"minmax\"; range = [1.0, 10.0]; }, { method = \"rank\"; range = [1.0, 10.0]; } );\n" \
    "  aggregate = [ \"arithmetic\", \"geometric\" ];\n"                                                         \
    "  exclude = { mode = \"one\"; };\n"                                                                         \
    "};\n"

/* Runs the uncertainty analysis of the Base scenario with UA_SPEC through
 * the engine's API (one thread, seed 7: deterministic) and stores it in
 * db; root_only reports the index alone. Returns the analysis id. */
static long long ua_into(const char *db, int sobol, long n, int root_only) {
    char text[8192];
    snprintf(text, sizeof text, "%s%s", BASE, UA_SPEC);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(tu_write("base-ua.cfg", text), &s, &err);
    if (!s) fail_msg("%s", err.message);
    ts_ua_spec *u;
    if (ts_ua_spec_load(s, &u, &err) != TS_OK) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_ua_options opt;
    ts_ua_options_default(&opt);
    opt.n = n;
    opt.seed = 7;
    opt.threads = 1;
    opt.sobol = sobol;
    opt.bootstrap = 20;
    unsigned char *track = NULL;
    if (root_only) {
        track = calloc((size_t)s->tax->n_nodes, 1);
        assert_non_null(track);
        track[ts_taxonomy_root(s->tax)] = 1;
        opt.track = track;
    }
    ts_ua_result *r;
    if (ts_ua_run(s, u, &opt, &r, &err) != TS_OK) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_store *st;
    assert_int_equal(ts_store_open(db, &st, &err), TS_OK);
    long long id;
    if (ts_ua_save(st, s, u, &opt, r, 0, &id, &err) != TS_OK) fail_msg("%s", err.message);
    ts_store_close(st);
    ts_ua_result_free(r);
    ts_ua_spec_free(u);
    ts_scenario_free(s);
    free(track);
    return id;
}

/* The uncertainty fixture: run 1 Base (unit and node names), uncertainty
 * run 1 with --sobol (N = 64), uncertainty run 2 without (N = 400). */
static const char *ua_fixture_db(void) {
    static char path[512];
    if (!path[0]) {
        fixture_db(); /* writes tax.cfg */
        snprintf(path, sizeof path, "%s", tu_path("ua-plots.db"));
        remove(path);
        score_into(path, "base.cfg", BASE);
        assert_int_equal(ua_into(path, 1, 64, 0), 1);
        assert_int_equal(ua_into(path, 0, 400, 0), 2);
    }
    return path;
}

static unsigned be32(const unsigned char *p) {
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static void check_png(const char *path) {
    size_t n;
    unsigned char *s = (unsigned char *)tu_slurp(path, &n);
    assert_true(n > 1024);
    assert_memory_equal(s, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(s + 12, "IHDR", 4);
    assert_true(be32(s + 16) > 0);
    assert_true(be32(s + 20) > 0);
    free(s);
}

static void check_svg(const char *path) {
    size_t n;
    char *s = tu_slurp(path, &n);
    assert_true(n > 1024);
    assert_true(strncmp(s, "<?xml", 5) == 0 || strncmp(s, "<svg", 4) == 0);
    assert_non_null(strstr(s, "</svg>"));
    free(s);
}

/* ---- golden scripts ---------------------------------------------------- */

typedef struct golden_case {
    const char *file;
    ts_plot_kind kind;
    const char *runs[3];
    int n_runs;
    const char *node;
    const char *unit;
    const char *reference;
    ts_plot_term term; /* 0: PNG */
} golden_case;

static const golden_case GOLDEN[] = {
    {"ranking.gp", TS_PLOT_RANKING, {"1"}, 1, NULL, NULL, NULL, TS_TERM_PNG},
    {"ranking_d3.gp", TS_PLOT_RANKING, {"Shock"}, 1, "d3", NULL, NULL, TS_TERM_PNG},
    {"heatmap.gp", TS_PLOT_HEATMAP, {"1"}, 1, NULL, NULL, NULL, TS_TERM_PNG},
    {"radar.gp", TS_PLOT_RADAR, {"1"}, 1, NULL, NULL, NULL, TS_TERM_PNG},
    {"radar_runs.gp", TS_PLOT_RADAR, {"1", "2"}, 2, NULL, "U2", NULL, TS_TERM_PNG},
    {"contributions.gp", TS_PLOT_CONTRIBUTIONS, {"1"}, 1, NULL, NULL, NULL, TS_TERM_PNG},
    {"contributions_geometric.gp", TS_PLOT_CONTRIBUTIONS, {"1"}, 1, "d3", NULL, NULL, TS_TERM_PNG},
    {"compare.gp", TS_PLOT_COMPARE, {0}, 0, NULL, NULL, NULL, TS_TERM_PNG},
    /* the reference turned round, a node below the root */
    {"compare_reference.gp", TS_PLOT_COMPARE, {0}, 0, "d1", NULL, "Shock", TS_TERM_PNG},
    /* text: the runs x units heatmap, changes written in the cells */
    {"compare_text.gp", TS_PLOT_COMPARE, {0}, 0, NULL, NULL, NULL, TS_TERM_DUMB},
    {"scores.gp", TS_PLOT_SCORES, {0}, 0, NULL, NULL, NULL, TS_TERM_PNG},
    /* text charts: no fill legends, classes and part numbers as labels */
    {"ranking_text.gp", TS_PLOT_RANKING, {"1"}, 1, NULL, NULL, NULL, TS_TERM_DUMB},
    {"heatmap_text.gp", TS_PLOT_HEATMAP, {"1"}, 1, NULL, NULL, NULL, TS_TERM_DUMB},
    {"contributions_text.gp", TS_PLOT_CONTRIBUTIONS, {"1"}, 1, NULL, NULL, NULL, TS_TERM_DUMB},
};
#define N_GOLDEN ((int)(sizeof GOLDEN / sizeof *GOLDEN))

/* Uncertainty and sensitivity, from the uncertainty fixture: the default
 * (uncertainty: the latest analysis; sensitivity: the latest with --sobol,
 * mean over units), by scenario name, one unit, a node below the root. */
static const golden_case GOLDEN_UA[] = {
    {"uncertainty.gp", TS_PLOT_UNCERTAINTY, {0}, 0, NULL, NULL, NULL, TS_TERM_PNG},
    {"uncertainty_d3.gp", TS_PLOT_UNCERTAINTY, {"1"}, 1, "d3", NULL, NULL, TS_TERM_PNG},
    {"sensitivity.gp", TS_PLOT_SENSITIVITY, {0}, 0, NULL, NULL, NULL, TS_TERM_PNG},
    {"sensitivity_unit.gp", TS_PLOT_SENSITIVITY, {"Base"}, 1, "d1", "U2", NULL, TS_TERM_PNG},
    /* text: a units x factors table of both indices */
    {"sensitivity_text.gp", TS_PLOT_SENSITIVITY, {0}, 0, NULL, NULL, NULL, TS_TERM_DUMB},
};
#define N_GOLDEN_UA ((int)(sizeof GOLDEN_UA / sizeof *GOLDEN_UA))

static void check_golden(const char *db, const golden_case *c) {
    const char *units[1] = {c->unit};
    ts_plot_request req = {.kind = c->kind, .runs = c->runs, .n_runs = c->n_runs, .node = c->node,
                           .units = units, .n_units = c->unit ? 1 : 0, .reference = c->reference};
    ts_plot_data *d;
    ts_error err;
    if (ts_plot_data_load(db, &req, &d, &err) != TS_OK) fail_msg("%s: %s", c->file, err.message);
    ts_buf b = {0};
    if (ts_plot_script(d, &req, c->term, &b, &err) != TS_OK) fail_msg("%s: %s", c->file, err.message);
    ts_plot_data_free(d);
    char name[256];
    snprintf(name, sizeof name, "plots/%s", c->file);
    tu_golden(name, b.data, b.len);
    ts_buf_free(&b);
}

static void test_golden_scripts(void **state) {
    (void)state;
    for (int i = 0; i < N_GOLDEN; i++) check_golden(fixture_db(), &GOLDEN[i]);
    for (int i = 0; i < N_GOLDEN_UA; i++) check_golden(ua_fixture_db(), &GOLDEN_UA[i]);
}

/* ---- rendering --------------------------------------------------------- */

static void test_render_every_kind(void **state) {
    (void)state;
    const char *db = fixture_db();
    static const char *const kinds[] = {"ranking", "heatmap", "radar", "contributions", "compare", "scores"};
    for (int i = 0; i < 6; i++) {
        char png[512], svg[512];
        snprintf(png, sizeof png, "%s/%s.png", tu_dir(), kinds[i]);
        snprintf(svg, sizeof svg, "%s/%s.svg", tu_dir(), kinds[i]);
        char *out, *err;
        int rc = tu_run_plot(&out, &err, "--db", (char *)db, (char *)kinds[i], "-o", png, NULL);
        if (rc != 0) fail_msg("%s png: %s", kinds[i], err);
        free(out), free(err);
        check_png(png);
        rc = tu_run_plot(&out, &err, "--db", (char *)db, (char *)kinds[i], "-o", svg, NULL);
        if (rc != 0) fail_msg("%s svg: %s", kinds[i], err);
        free(out), free(err);
        check_svg(svg);
    }
    /* PDF and text, radar over runs, a node below the root */
    const char *pdf = tu_path("compare.pdf"), *txt = tu_path("ranking.txt");
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", db, "compare", "--run", "Base", "--run", "2", "-o", pdf, NULL), 0);
    size_t n;
    char *s = tu_slurp(pdf, &n);
    assert_true(n > 1024 && memcmp(s, "%PDF", 4) == 0);
    free(s);
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", db, "ranking", "-o", txt, NULL), 0);
    s = tu_slurp(txt, &n);
    assert_non_null(strstr(s, "Ranking by Fixture risk index"));
    assert_non_null(strstr(s, "Scenario: Shock"));
    free(s);
    /* every text chart draws (multiplot and label-only plots included) */
    static const char *const text_kinds[] = {"heatmap", "contributions", "compare", "scores"};
    for (int i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.txt", tu_dir(), text_kinds[i]);
        assert_int_equal(tu_run_plot(NULL, NULL, "--db", db, text_kinds[i], "-o", path, NULL), 0);
        s = tu_slurp(path, &n);
        assert_true(n > 500);
        free(s);
    }
    s = tu_slurp(tu_path("compare.txt"), &n);
    assert_non_null(strstr(s, "Change against Base (run 1) at Fixture risk index"));
    assert_non_null(strstr(s, "2 Shock"));
    free(s);
    const char *radar = tu_path("radar-runs.png");
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", db, "radar", "--run", "1", "--run", "2", "--unit", "U3", "-o",
                              radar, NULL), 0);
    check_png(radar);
    /* uncertainty and sensitivity, from the uncertainty fixture */
    const char *ua = ua_fixture_db();
    static const char *const ua_kinds[] = {"uncertainty", "sensitivity"};
    for (int i = 0; i < 2; i++) {
        char png[512], svg[512];
        snprintf(png, sizeof png, "%s/%s.png", tu_dir(), ua_kinds[i]);
        snprintf(svg, sizeof svg, "%s/%s.svg", tu_dir(), ua_kinds[i]);
        char *out, *err;
        int rc = tu_run_plot(&out, &err, "--db", ua, ua_kinds[i], "-o", png, NULL);
        if (rc != 0) fail_msg("%s png: %s", ua_kinds[i], err);
        free(out), free(err);
        check_png(png);
        rc = tu_run_plot(&out, &err, "--db", ua, ua_kinds[i], "-o", svg, NULL);
        if (rc != 0) fail_msg("%s svg: %s", ua_kinds[i], err);
        free(out), free(err);
        check_svg(svg);
    }
    const char *senstxt = tu_path("sensitivity.txt");
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", ua, "sensitivity", "-o", senstxt, NULL), 0);
    s = tu_slurp(senstxt, &n);
    assert_non_null(strstr(s, "S1 "));
    free(s);
    const char *sens = tu_path("sens-u3.png"), *uatxt = tu_path("uncertainty.txt");
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", ua, "sensitivity", "--unit", "U3", "--node", "d2", "-o", sens,
                              NULL), 0);
    check_png(sens);
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", ua, "uncertainty", "--run", "Base", "-o", uatxt, NULL), 0);
    s = tu_slurp(uatxt, &n);
    assert_non_null(strstr(s, "Rank uncertainty at Fixture risk index"));
    assert_non_null(strstr(s, "uncertainty run 2"));
    free(s);
    const char *heat = tu_path("heat-d1.svg");
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", db, "heatmap", "--node", "d1", "--unit", "U1", "--unit", "U4",
                              "-o", heat, NULL), 0);
    check_svg(heat);
}

static void test_script_option(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_plot(&out, &err, "--db", fixture_db(), "ranking", "--script", NULL), 0);
    assert_non_null(strstr(out, "$bars << EOD"));
    assert_null(strstr(out, "set output"));
    free(out), free(err);
}

/* ---- safety ------------------------------------------------------------ */

static void test_quote(void **state) {
    (void)state;
    ts_buf b = {0};
    ts_gp_quote(&b, "it's `id` @m $x; \"q\"\nnext\r\t\x1b" "100%", TS_GP_TEXT);
    assert_string_equal(b.data, "'it''s `id` @m $x; \"q\"next100%'");
    ts_buf_free(&b);
    ts_gp_quote(&b, "50% 'a'", TS_GP_FORMAT);
    assert_string_equal(b.data, "'50%% ''a'''");
    ts_buf_free(&b);
    ts_gp_quote(&b, "bad \xff utf8 \xc3\xa9", TS_GP_TEXT);
    assert_string_equal(b.data, "'bad ? utf8 \xc3\xa9'");
    ts_buf_free(&b);
    ts_gp_quote(&b, NULL, TS_GP_TEXT);
    assert_string_equal(b.data, "''");
    ts_buf_free(&b);
    /* gnuplot reads '' as a quote only after another character of the
       string: a leading quote, and a quote after a quote, get a word
       joiner (U+2060) before them */
#define WJ "\xe2\x81\xa0"
    static const char *const cases[][2] = {
        {"'lead", "'" WJ "''lead'"},  {"'", "'" WJ "'''"},      {"''", "'" WJ "''" WJ "'''"},
        {"a''b", "'a''" WJ "''b'"},   {"a'", "'a'''"},          {"a'b'c", "'a''b''c'"},
        {"\n'x", "'" WJ "''x'"},      {"\"dq\" `bq` \xe2\x80\x9c\xe2\x80\x9d", "'\"dq\" `bq` \xe2\x80\x9c\xe2\x80\x9d'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ts_gp_quote(&b, cases[i][0], TS_GP_TEXT);
        assert_string_equal(b.data, cases[i][1]);
        ts_buf_free(&b);
    }
#undef WJ
}

static void test_hostile_names(void **state) {
    (void)state;
    fixture_db(); /* writes tax.cfg */
    const char *db = tu_path("hostile.db");
    remove(db);
    score_into(db, "base.cfg", BASE);
    score_into(db, "shock.cfg", SHOCK);
    ua_into(db, 1, 32, 0);
    const char *marker = tu_path("pwned");
    remove(marker);
    char evil[1024], sql[16384];
    /* every trick at once: backquotes, a system() call, quotes, a macro, a
     * newline that would start a new command, a datablock terminator */
    snprintf(evil, sizeof evil,
             "Evil `touch %s` it''s \"q\" @x $y; \nsystem(\"touch %s\")\nEOD\nprint 1 %%d", marker, marker);
    snprintf(sql, sizeof sql,
             "UPDATE units SET name = '%s' || name;"
             "UPDATE nodes SET name = '%s' || name;"
             "UPDATE runs SET scenario = '%s' || scenario;"
             "UPDATE scores SET class = '%s' || class WHERE class IS NOT NULL;"
             /* the analysis: its scenario, factors, and one unit id with no stored name */
             "UPDATE ua_runs SET scenario = '%s' || scenario;"
             "UPDATE ua_sobol SET factor = '%s' || factor;"
             "UPDATE ua_results SET unit = '%s' || unit WHERE unit = 'U3';"
             "UPDATE ua_sobol SET unit = '%s' || unit WHERE unit = 'U3';",
             evil, evil, evil, evil, evil, evil, evil, evil);
    tu_sql_exec(db, sql);
    static const char *const kinds[] = {"ranking",  "heatmap",     "radar",      "contributions",
                                        "compare", "uncertainty", "sensitivity"};
    for (int i = 0; i < 7; i++) {
        char svg[512], txt[512];
        snprintf(svg, sizeof svg, "%s/evil-%s.svg", tu_dir(), kinds[i]);
        snprintf(txt, sizeof txt, "%s/evil-%s.txt", tu_dir(), kinds[i]);
        char *out, *err;
        int rc = tu_run_plot(&out, &err, "--db", db, kinds[i], "-o", svg, NULL);
        if (rc != 0) fail_msg("%s: %s", kinds[i], err);
        free(out), free(err);
        check_svg(svg);
        rc = tu_run_plot(&out, &err, "--db", db, kinds[i], "-o", txt, NULL);
        if (rc != 0) fail_msg("%s: %s", kinds[i], err);
        free(out), free(err);
        assert_false(tu_exists(marker));
        /* the names are drawn as text, newlines removed */
        size_t n;
        char *s = tu_slurp(txt, &n);
        assert_non_null(strstr(s, "Evil `touch"));
        free(s);
        s = tu_slurp(svg, &n);
        assert_non_null(strstr(s, "system("));
        free(s);
        /* the script holds each name on one line, in single quotes */
        assert_int_equal(tu_run_plot(&out, &err, "--db", db, kinds[i], "--script", NULL), 0);
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            assert_true(strncmp(line, "system(", 7) != 0);
            assert_true(strncmp(line, "print", 5) != 0);
        }
        free(out), free(err);
    }
    /* the hostile unit id (no stored name) reaches the chart as a quoted
       label, in the legend-free x tics of uncertainty and in sensitivity's
       per-unit title */
    char *out, *err;
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "uncertainty", "--script", NULL), 0);
    assert_non_null(strstr(out, "'Evil `touch"));
    assert_non_null(strstr(out, "it''s"));
    free(out), free(err);
    char *evil_u3 = malloc(strlen(evil) + 3);
    assert_non_null(evil_u3);
    sprintf(evil_u3, "%sU3", evil);
    /* the SQL above stored it'' as it' */
    for (char *p = strstr(evil_u3, "''"); p; p = strstr(p + 1, "''")) memmove(p, p + 1, strlen(p));
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "sensitivity", "--unit", evil_u3, "--script", NULL), 0);
    assert_non_null(strstr(out, "set title 'Sensitivity of the score at Evil"));
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        assert_true(strncmp(line, "system(", 7) != 0);
        assert_true(strncmp(line, "print", 5) != 0);
    }
    free(out), free(err), free(evil_u3);
    assert_false(tu_exists(marker));
}

/* Returns s (malloc'd, NUL-terminated) with every U+2060 WORD JOINER
 * taken out: what a reader of the chart sees. */
static char *without_joiners(const char *s) {
    char *out = strdup(s), *w = out;
    assert_non_null(out);
    for (const char *p = s; *p;) {
        if (strncmp(p, "\xe2\x81\xa0", 3) == 0) p += 3;
        else *w++ = *p++;
    }
    *w = '\0';
    return out;
}

/* Names that begin with a quote, or hold two quotes in a row, used to end
 * gnuplot's string early: radar failed with "unexpected or unrecognized
 * token", and ranking drew its chart without the unit's label. Every chart
 * kind is drawn by the real gnuplot with quotes of every kind in scenario,
 * unit, node, class and factor names; gnuplot prints nothing on stderr (a
 * wrapper keeps what it says), the chart is written, and the text chart
 * shows the names whole. */
static void test_quoted_names_in_every_chart(void **state) {
    (void)state;
    fixture_db(); /* writes tax.cfg */
    char db[512], log[512];
    snprintf(db, sizeof db, "%s", tu_path("quotes.db"));
    snprintf(log, sizeof log, "%s", tu_path("gnuplot-quotes.log"));
    remove(db);
    score_into(db, "base.cfg", BASE);   /* run 1 */
    score_into(db, "shock.cfg", SHOCK); /* run 2 */
    for (int y = 0; y < 3; y++) score_into(db, "base.cfg", BASE); /* runs 3-5: a trend */
    ua_into(db, 1, 32, 0);
    tu_sql_exec(db,
             /* SQL doubles ' in a literal: '''lead' is 'lead */
             "UPDATE units SET name = CASE unit WHEN 'U1' THEN '''lead' WHEN 'U2' THEN '''''two'''''"
             " WHEN 'U3' THEN 'x'''''''' y''' ELSE '''' END;"
             "UPDATE nodes SET name = CASE node WHEN 'idx' THEN '''Index'' \"dq\" `bq`'"
             " WHEN 'd1' THEN '''''D one' WHEN 'd2' THEN '\xe2\x80\x9c' || 'curly' || '\xe2\x80\x9d ''x'''"
             " WHEN 'd3' THEN '\xe2\x80\x98sq\xe2\x80\x99 \xc2\xabguil\xc2\xbb \xe2\x80\x9elow\xe2\x80\x9c'"
             " ELSE '''' || name END;"
             "UPDATE runs SET scenario = CASE WHEN id = 2 THEN '''''Shock''''' ELSE '''Base' END;"
             "UPDATE runs SET year = 2020 + id WHERE id >= 3;"
             "UPDATE scores SET class = '''' || class WHERE class IS NOT NULL;"
             "UPDATE ua_runs SET scenario = '''Base';"
             "UPDATE ua_sobol SET factor = '''''' || factor;");
    char wrapper[2048];
    snprintf(wrapper, sizeof wrapper, "#!/bin/sh\nexec gnuplot \"$@\" 2>>'%s'\n", log);
    const char *gp = tu_write("logging-gnuplot", wrapper);
    chmod(gp, 0755);
    setenv("TS_GNUPLOT", gp, 1);
    static const struct {
        const char *kind;
        const char *shown; /* a quoted name the text chart must show */
    } kinds[] = {
        {"ranking", "'lead"},       {"heatmap", "''D one"},    {"radar", "''two''"},
        {"contributions", "'lead"}, {"compare", "''Shock''"}, {"scores", "''Shock''"},
        {"trend", "'lead"},         {"uncertainty", "'lead"},  {"sensitivity", "''"},
    };
    static const char *const exts[] = {"svg", "png", "txt"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        for (int e = 0; e < 3; e++) {
            char path[512];
            snprintf(path, sizeof path, "%s/quotes-%s.%s", tu_dir(), kinds[i].kind, exts[e]);
            remove(path);
            remove(log);
            char *out, *err;
            int rc = tu_run_plot(&out, &err, "--db", db, kinds[i].kind, "-o", path, NULL);
            if (rc != 0) fail_msg("%s.%s: status %d: %s", kinds[i].kind, exts[e], rc, err);
            free(out), free(err);
            if (tu_exists(log)) {
                size_t n;
                char *said = tu_slurp(log, &n);
                if (n) fail_msg("%s.%s: gnuplot said: %s", kinds[i].kind, exts[e], said);
                free(said);
            }
            if (e == 0) check_svg(path);
            if (e == 1) check_png(path);
            if (e == 2) {
                size_t n;
                char *text = tu_slurp(path, &n), *seen = without_joiners(text);
                if (!strstr(seen, kinds[i].shown)) fail_msg("%s: no \"%s\" in:\n%s", kinds[i].kind, kinds[i].shown, seen);
                free(text), free(seen);
            }
        }
    }
    unsetenv("TS_GNUPLOT");
}

static void test_gnuplot_missing_or_failing(void **state) {
    (void)state;
    const char *db = fixture_db(), *png = tu_path("nogp.png");
    char *out, *err;
    remove(png);
    setenv("TS_GNUPLOT", "/nonexistent/gnuplot", 1);
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "-o", png, NULL), 3);
    assert_non_null(strstr(err, "cannot run gnuplot"));
    assert_non_null(strstr(err, "TS_GNUPLOT"));
    free(out), free(err);
    assert_false(tu_exists(png));
    /* not on PATH */
    unsetenv("TS_GNUPLOT");
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", tu_dir(), 1);
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "-o", png, NULL), 3);
    assert_non_null(strstr(err, "cannot run gnuplot 'gnuplot'"));
    free(out), free(err);
    setenv("PATH", path, 1);
    free(path);
    assert_false(tu_exists(png));
    /* gnuplot fails: its stderr is shown and no file is left */
    const char *fake = tu_write("fake-gnuplot", "#!/bin/sh\ncat >/dev/null\necho 'line 7: boom from fake gnuplot' >&2\nexit 1\n");
    chmod(fake, 0755);
    setenv("TS_GNUPLOT", fake, 1);
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "-o", png, NULL), 3);
    assert_non_null(strstr(err, "boom from fake gnuplot"));
    free(out), free(err);
    assert_false(tu_exists(png));
    /* a gnuplot that reads nothing and writes nothing: no SIGPIPE, no file */
    const char *lazy = tu_write("lazy-gnuplot", "#!/bin/sh\nexit 0\n");
    chmod(lazy, 0755);
    setenv("TS_GNUPLOT", lazy, 1);
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "compare", "-o", png, NULL), 3);
    /* depending on timing it exits before or after reading the script */
    assert_true(strstr(err, "wrote nothing") || strstr(err, "cannot send the script"));
    unsetenv("TS_GNUPLOT");
    free(out), free(err);
    assert_false(tu_exists(png));
    /* a real gnuplot error (bad script) also reaches the user */
    setenv("TS_GNUPLOT", "gnuplot", 1);
    ts_buf msgs = {0};
    ts_error e;
    const char bad[] = "set terminal dumb\nset output '/dev/null'\nplot $nosuchblock using 1:2\n";
    assert_int_equal(ts_gnuplot_run("gnuplot", bad, sizeof bad - 1, 30, &msgs, &e), TS_ESYSTEM);
    assert_non_null(strstr(e.message, "gnuplot says"));
    ts_buf_free(&msgs);
    unsetenv("TS_GNUPLOT");
    /* an existing chart is kept when a later plot fails */
    const char *keep = tu_write("keep.png", "old chart");
    setenv("TS_GNUPLOT", fake, 1);
    assert_int_equal(tu_run_plot(NULL, NULL, "--db", db, "ranking", "-o", keep, NULL), 3);
    unsetenv("TS_GNUPLOT");
    size_t n;
    char *s = tu_slurp(keep, &n);
    assert_string_equal(s, "old chart");
    free(s);
}

static void expect_fail(int code, const char *needle, ...) {
    va_list ap;
    va_start(ap, needle);
    char *o, *e;
    int rc = tu_vrun(ts_cli_plot, "plot", &o, &e, ap);
    va_end(ap);
    if (rc != code || !strstr(e, needle))
        fail_msg("expected exit %d with '%s', got %d: %s", code, needle, rc, e);
    free(o), free(e);
}

static void test_bad_input(void **state) {
    (void)state;
    char *db = (char *)fixture_db(), *png = (char *)tu_path("bad.png");
    expect_fail(1, "unknown run id 99", "--db", db, "ranking", "--run", "99", "-o", png, NULL);
    expect_fail(1, "did you mean 'Shock'", "--db", db, "ranking", "--run", "Shok", "-o", png, NULL);
    expect_fail(1, "unknown node 'd4'", "--db", db, "ranking", "--node", "d4", "-o", png, NULL);
    expect_fail(1, "did you mean 'U1'", "--db", db, "ranking", "--unit", "U11", "-o", png, NULL);
    expect_fail(1, "is an indicator", "--db", db, "heatmap", "--node", "x1", "-o", png, NULL);
    expect_fail(1, "no such database", "--db", (char *)tu_path("absent.db"), "ranking", "-o", png, NULL);
    expect_fail(1, "not a SQLite database", "--db", (char *)tu_write("text.db", "just text, long enough to not be a database header at all"),
                "ranking", "-o", png, NULL);
    ts_store *st;
    ts_error err;
    char *empty = (char *)tu_path("empty.db");
    remove(empty);
    assert_int_equal(ts_store_open(empty, &st, &err), TS_OK);
    ts_store_close(st);
    expect_fail(1, "no runs", "--db", empty, "ranking", "-o", png, NULL);
    expect_fail(2, "extension", "--db", db, "ranking", "-o", (char *)tu_path("chart.jpg"), NULL);
    expect_fail(2, "did you mean 'ranking'", "--db", db, "rankng", "-o", png, NULL);
    expect_fail(1, "nothing to compare: only run 1 (Base) was named, and it is the reference", "--db", db, "compare",
                "--run", "1", "-o", png, NULL);
    expect_fail(1, "unknown run 'Nope'", "--db", db, "compare", "--reference", "Nope", "-o", png, NULL);
    expect_fail(2, "draws one run", "--db", db, "ranking", "--run", "1", "--run", "2", "-o", png, NULL);
    expect_fail(2, "exactly one --unit", "--db", db, "radar", "--run", "1", "--run", "2", "-o", png, NULL);
    expect_fail(2, "needs -o", "--db", db, "ranking", NULL);
    expect_fail(2, "needs --db", "ranking", "-o", png, NULL);
    expect_fail(2, "unknown option", "--db", db, "ranking", "--bogus", "-o", png, NULL);
    assert_false(tu_exists(png));
}

/* Regression: a scenario may be called like a run id. Every command names
 * runs through the store's one resolver, so plot finds "2024" by name as
 * export does (plot used to say "unknown run id 2024"), and an id that
 * exists still wins. */
static void test_scenario_named_like_an_id(void **state) {
    (void)state;
    fixture_db(); /* writes tax.cfg */
    char *db = (char *)tu_path("digits.db");
    remove(db);
    score_into(db, "base.cfg", BASE);
    static const char Y2024[] = SCENARIO("2024", "{ U1 = 2; U2 = 9; U3 = 5; U4 = 7; }", "{ U1 = 3; U2 = 7; U3 = 9; U4 = 3; }");
    score_into(db, "y2024.cfg", Y2024);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "2024", NULL), 0);
    assert_non_null(strstr(out, "{\"run\":{\"id\":2,\"scenario\":\"2024\""));
    free(out), free(err);
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "--run", "2024", "--script", NULL), 0);
    assert_non_null(strstr(out, "Scenario: 2024 · run 2 ·"));
    free(out), free(err);
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "compare", "--run", "1", "--run", "2024", "--script", NULL), 0);
    assert_non_null(strstr(out, "Change against Base (run 1)"));
    assert_non_null(strstr(out, "run 2: 2024"));
    free(out), free(err);
    /* an id that exists is the run with that id */
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "--run", "1", "--script", NULL), 0);
    assert_non_null(strstr(out, "Scenario: Base · run 1 ·"));
    free(out), free(err);
    expect_fail(1, "unknown run id 2025", "--db", db, "ranking", "--run", "2025", "-o", (char *)tu_path("x.png"), NULL);
}

static void test_trend_and_uncertainty(void **state) {
    (void)state;
    char *db = (char *)fixture_db(), *png = (char *)tu_path("trend.png");
    expect_fail(1, "trend: no runs with a year in this database", "--db", db, "trend", "-o",
                png, NULL);
    expect_fail(1, "no uncertainty results in DB: run `threatscore uncertainty ... --db` first", "--db", db,
                "uncertainty", "-o", png, NULL);
    expect_fail(1, "no sensitivity results in DB", "--db", db, "sensitivity", "-o", png, NULL);
    assert_false(tu_exists(png));
    /* with years stored, trend draws them */
    char *ydb = (char *)tu_path("years.db");
    remove(ydb);
    score_into(ydb, "base.cfg", BASE);
    score_into(ydb, "shock.cfg", SHOCK);
    score_into(ydb, "base.cfg", BASE);
    /* per-year runs stored without a series (as before schema 5): the
       latest run of each year */
    tu_sql_exec(ydb, "UPDATE runs SET scenario = 'Base';"
                  "UPDATE runs SET year = CASE id WHEN 1 THEN 2021 WHEN 2 THEN 2023 ELSE 2022 END;");
    char *out, *err;
    int rc = tu_run_plot(&out, &err, "--db", ydb, "trend", "-o", png, NULL);
    if (rc != 0) fail_msg("trend: %s", err);
    free(out), free(err);
    check_png(png);
    assert_int_equal(tu_run_plot(&out, &err, "--db", ydb, "trend", "--script", NULL), 0);
    assert_non_null(strstr(out, "runs 1 (2021), 3 (2022), 2 (2023)"));
    free(out), free(err);
}

/* Returns the number of plot commands in a multiplot script. */
static int count_panels(const char *script) {
    int n = 0;
    for (const char *p = strstr(script, "set multiplot"); p && (p = strstr(p, "\nplot ")); p++) n++;
    return n;
}

static void test_uncertainty_errors(void **state) {
    (void)state;
    char *ua = (char *)ua_fixture_db(), *png = (char *)tu_path("ua-bad.png");
    /* run selection: ua_runs ids and scenario names, one analysis */
    expect_fail(1, "unknown uncertainty run id 9 (uncertainty runs have their own ids; the latest is 2)", "--db", ua,
                "uncertainty", "--run", "9", "-o", png, NULL);
    expect_fail(1, "unknown uncertainty run 'Bse' (did you mean 'Base'?)", "--db", ua, "uncertainty", "--run", "Bse",
                "-o", png, NULL);
    expect_fail(2, "uncertainty draws one uncertainty analysis", "--db", ua, "uncertainty", "--run", "1", "--run", "2",
                "-o", png, NULL);
    /* analysis 2 was run without --sobol */
    expect_fail(1, "no sensitivity results in uncertainty run 2: it was run without --sobol", "--db", ua, "sensitivity",
                "--run", "2", "-o", png, NULL);
    /* nodes and units */
    expect_fail(1, "unknown node 'd9' in uncertainty run 2 (did you mean 'd1'?)", "--db", ua, "uncertainty", "--node",
                "d9", "-o", png, NULL);
    expect_fail(1, "did you mean 'U1'", "--db", ua, "sensitivity", "--unit", "U11", "-o", png, NULL);
    expect_fail(1, "no Sobol' indices of the score at node 'x1'", "--db", ua, "sensitivity", "--node", "x1", "-o", png,
                NULL);
    /* the defaults pick the latest analysis (2) and the latest with --sobol (1) */
    char *out, *err;
    assert_int_equal(tu_run_plot(&out, &err, "--db", ua, "uncertainty", "--script", NULL), 0);
    assert_non_null(strstr(out, "uncertainty run 2 · threatscore"));
    free(out), free(err);
    assert_int_equal(tu_run_plot(&out, &err, "--db", ua, "sensitivity", "--script", NULL), 0);
    assert_non_null(strstr(out, "uncertainty run 1 · threatscore"));
    /* per unit by default: a panel each */
    assert_non_null(strstr(out, "per unit (dark: S1 first order; light: ST total order)"));
    assert_int_equal(count_panels(out), 4);
    free(out), free(err);
    /* an analysis without --sobol only, reporting the index alone; no
       scored run of the scenario: unit ids are shown */
    fixture_db();
    char *only = (char *)tu_path("ua-only.db");
    remove(only);
    assert_int_equal(ua_into(only, 0, 50, 1), 1);
    expect_fail(1, "no sensitivity results in uncertainty run 1: it was run without --sobol", "--db", only,
                "sensitivity", "-o", png, NULL);
    expect_fail(1, "node 'd1' was not reported in uncertainty run 1", "--db", only, "uncertainty", "--node", "d1", "-o",
                png, NULL);
    assert_int_equal(tu_run_plot(&out, &err, "--db", only, "uncertainty", "--script", NULL), 0);
    assert_non_null(strstr(out, "Unit ids shown"));
    assert_non_null(strstr(out, "'U1' "));
    free(out), free(err);
    /* the tables exist but hold no analysis */
    tu_sql_exec(only, "DELETE FROM ua_results; DELETE FROM ua_classes; DELETE FROM ua_sobol; DELETE FROM ua_runs;");
    expect_fail(1, "no uncertainty results in DB: run `threatscore uncertainty ... --db` first", "--db", only,
                "uncertainty", "-o", png, NULL);
    expect_fail(1, "no sensitivity results in DB: run `threatscore uncertainty ... --sobol --db` first", "--db", only,
                "sensitivity", "-o", png, NULL);
    assert_false(tu_exists(png));
}

static void test_unit_colours(void **state) {
    (void)state;
    const char *db = fixture_db();
    ts_plot_request r1 = {.kind = TS_PLOT_RADAR};
    ts_plot_request r2 = {.kind = TS_PLOT_COMPARE};
    ts_plot_data *a, *b;
    ts_error err;
    assert_int_equal(ts_plot_data_load(db, &r1, &a, &err), TS_OK);
    assert_int_equal(ts_plot_data_load(db, &r2, &b, &err), TS_OK);
    const char *ids[] = {"U1", "U2", "U3", "U4"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ts_plot_unit_colour(a, ids[i]), ts_plot_unit_colour(b, ids[i]));
        for (int j = 0; j < i; j++) assert_int_not_equal(ts_plot_unit_colour(a, ids[i]), ts_plot_unit_colour(a, ids[j]));
    }
    ts_plot_data_free(a);
    ts_plot_data_free(b);
    /* the uncertainty charts use the same colours as the run charts */
    const char *ua = ua_fixture_db();
    ts_plot_request r3 = {.kind = TS_PLOT_UNCERTAINTY};
    assert_int_equal(ts_plot_data_load(ua, &r1, &a, &err), TS_OK);
    assert_int_equal(ts_plot_data_load(ua, &r3, &b, &err), TS_OK);
    for (int i = 0; i < 4; i++) assert_int_equal(ts_plot_unit_colour(a, ids[i]), ts_plot_unit_colour(b, ids[i]));
    ts_plot_data_free(a);
    ts_plot_data_free(b);
}

static void test_thresholds_need_unchanged_taxonomy(void **state) {
    (void)state;
    const char *db = fixture_db();
    char *out, *err;
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "--script", NULL), 0);
    assert_non_null(strstr(out, "set arrow from graph 0, first 6.5"));
    free(out), free(err);
    /* the taxonomy changes after the runs: lines skipped, with the reason */
    size_t n;
    char *tax = tu_slurp(tu_path("tax.cfg"), &n);
    tu_write("tax.cfg", "# edited\n");
    assert_int_equal(tu_run_plot(&out, &err, "--db", db, "ranking", "--script", NULL), 0);
    assert_null(strstr(out, "set arrow"));
    assert_non_null(strstr(out, "taxonomy file tax.cfg changed since run 2"));
    assert_non_null(strstr(out, "title 'Very high'"));
    free(out), free(err);
    tu_write("tax.cfg", tax);
    free(tax);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_golden_scripts),
        cmocka_unit_test(test_render_every_kind),
        cmocka_unit_test(test_script_option),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_quoted_names_in_every_chart),
        cmocka_unit_test(test_gnuplot_missing_or_failing),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_scenario_named_like_an_id),
        cmocka_unit_test(test_trend_and_uncertainty),
        cmocka_unit_test(test_uncertainty_errors),
        cmocka_unit_test(test_unit_colours),
        cmocka_unit_test(test_thresholds_need_unchanged_taxonomy),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
