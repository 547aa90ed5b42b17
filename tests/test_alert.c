/* test_alert.c -- `threatscore alert` on constructed runs where every kind
 * fires and where none should, worked out by hand.
 *
 * Taxonomy "at" (scale 0-10, arithmetic, classes Low / Medium >= 4 / High
 * >= 7; alerts = { near_class = 0.5; jump_share = 0; }): at = (p + q) / 2,
 * p = (p1 + p2) / 2, q = q1.  Base, per year 2020-2023 (trend --db) and
 * latest:
 *   A: p1 6.0 6.2 6.3 6.5, p2 6.5, q1 6.0   p 6.25 6.35 6.4 6.5, at 6.125 ... 6.25
 *   B: p1 1.0 3.0 1.0 2.0, p2 2.0, q1 2.0   p 1.5 2.5 1.5 2.0
 *   C: p1 5, p2 5, q1 5 (an estimate of 2015: quality 0.5 x 0.5, reliability 2.5)
 * Shock (extends base.cfg): p1 + 1.5 for A and B, q1 + 2.1 for C.
 *   A: p1 8.0 (Medium -> High), p 7.25 (Medium -> High), at 6.625: still
 *      Medium at the parent, 0.375 short of High (threshold: within 0.5,
 *      the reference 0.75 away). Year-on-year changes of A: p1 0.2 0.1 0.2
 *      (sd 0.058), p 0.1 0.05 0.1 (sd 0.029), at 0.05 0.025 0.05 (sd
 *      0.014): every change is a jump beyond 2 sd, none beyond 1 point.
 *   B: p1 3.5, 0.5 short of Medium (threshold); its volatile history (p1
 *      changes +2 -2 +1, sd 2.08; p +1 -1 +0.5, sd 1.04) makes no jump.
 *   C: q1 and q 7.1 (Medium -> High), both marked for low reliability.
 * Same (extends base.cfg): q1 + 0.01 for B: nothing fires. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "cli.h"
#include "store.h"

static const char TAXONOMY[] =
    "id = \"at\"; name = \"Alert test\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "aggregate = \"arithmetic\";\n"
    "classes = ( { name = \"Low\"; }, { name = \"Medium\"; min = 4.0; }, { name = \"High\"; min = 7.0; } );\n"
    "alerts = { near_class = 0.5; jump_share = 0.0; };\n"
    "children = (\n"
    "  { id = \"p\"; name = \"Pressure\"; weight = 1.0; children = (\n"
    "      { id = \"p1\"; name = \"First pressure\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
    "      { id = \"p2\"; name = \"Second pressure\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); },\n"
    "  { id = \"q\"; name = \"Quiet\"; weight = 1.0; children = (\n"
    "      { id = \"q1\"; name = \"Quiet one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); }\n"
    ");\n";

static const char BASE[] =
    "name = \"Base\";\n"
    "taxonomy = \"alert_tax.cfg\";\n"
    "units = ( { id = \"A\"; }, { id = \"B\"; }, { id = \"C\"; } );\n"
    "data = (\n"
    "  { indicator = \"p1\"; year = 2020; source = \"s\"; values = { A = 6.0; B = 1.0; C = 5.0; }; },\n"
    "  { indicator = \"p1\"; year = 2021; source = \"s\"; values = { A = 6.2; B = 3.0; C = 5.0; }; },\n"
    "  { indicator = \"p1\"; year = 2022; source = \"s\"; values = { A = 6.3; B = 1.0; C = 5.0; }; },\n"
    "  { indicator = \"p1\"; year = 2023; source = \"s\"; values = { A = 6.5; B = 2.0; C = 5.0; }; },\n"
    "  { indicator = \"p2\"; year = 2020; source = \"s\"; values = { A = 6.5; B = 2.0; C = 5.0; }; },\n"
    "  { indicator = \"p2\"; year = 2021; source = \"s\"; values = { A = 6.5; B = 2.0; C = 5.0; }; },\n"
    "  { indicator = \"p2\"; year = 2022; source = \"s\"; values = { A = 6.5; B = 2.0; C = 5.0; }; },\n"
    "  { indicator = \"p2\"; year = 2023; source = \"s\"; values = { A = 6.5; B = 2.0; C = 5.0; }; },\n"
    "  { indicator = \"q1\"; year = 2020; source = \"s\"; values = { A = 6.0; B = 2.0; }; },\n"
    "  { indicator = \"q1\"; year = 2021; source = \"s\"; values = { A = 6.0; B = 2.0; }; },\n"
    "  { indicator = \"q1\"; year = 2022; source = \"s\"; values = { A = 6.0; B = 2.0; }; },\n"
    "  { indicator = \"q1\"; year = 2023; source = \"s\"; values = { A = 6.0; B = 2.0;\n"
    "      C = { value = 5.0; year = 2015; estimate = true; note = \"an old guess\"; }; }; }\n"
    ");\n";

static const char SHOCK[] =
    "name = \"Shock\"; extends = \"alert_base.cfg\";\n"
    "shocks = (\n"
    "  { indicator = \"p1\"; countries = [ \"A\", \"B\" ]; add = 1.5; note = \"pressure rises\"; },\n"
    "  { indicator = \"q1\"; countries = [ \"C\" ]; add = 2.1; note = \"quiet no more\"; } );\n";

static const char SAME[] = "name = \"Same\"; extends = \"alert_base.cfg\";\n"
                           "shocks = ( { indicator = \"q1\"; countries = [ \"B\" ]; add = 0.01; note = \"noise\"; } );\n";

/* Runs threatscore with the arguments and expects status want; returns
 * its standard output (caller frees). */
static char *run_ok(int want, ...) {
    va_list ap;
    va_start(ap, want);
    char *out, *err;
    int rc = tu_vrun(ts_cli_main, "threatscore", &out, &err, ap);
    va_end(ap);
    if (rc != want) fail_msg("status %d, not %d: %s", rc, want, err);
    free(err);
    return out;
}

/* The store: the per-year runs of Base, then Base, Shock and Same, and
 * with ua an uncertainty analysis of Shock. Returns its path. */
static const char *fixture(const char *name, int ua) {
    tu_write("alert_tax.cfg", TAXONOMY);
    const char *base = tu_write("alert_base.cfg", BASE);
    const char *shock = tu_write("alert_shock.cfg", SHOCK);
    const char *same = tu_write("alert_same.cfg", SAME);
    const char *db = tu_path(name);
    remove(db);
    char *ignore[5] = {run_ok(0, "trend", base, "--db", db, NULL), run_ok(0, "score", base, "--db", db, NULL),
                       run_ok(0, "score", shock, "--db", db, NULL), run_ok(0, "score", same, "--db", db, NULL), NULL};
    if (ua) ignore[4] = run_ok(0, "uncertainty", shock, "--vary", "weights=0.25", "-N", "200", "--db", db, "--quiet", NULL);
    for (int i = 0; i < 5; i++) free(ignore[i]);
    return db;
}

static ts_alerts *load(const char *db, const char *run, const ts_alert_options *opt) {
    ts_store *st;
    ts_error err;
    if (ts_store_open(db, &st, &err)) fail_msg("%s", err.message);
    ts_alerts *a;
    const char *specs[1] = {run};
    if (ts_alerts_load(st, NULL, specs, run ? 1 : 0, opt, &a, &err)) fail_msg("%s", err.message);
    ts_store_close(st);
    return a;
}

/* Returns the alert of kind at node for unit in run (scenario name), or NULL. */
static const ts_alert *find(const ts_alerts *a, const char *run, const char *unit, const char *node, ts_alert_kind kind) {
    for (int i = 0; i < a->n; i++) {
        const ts_alert *al = &a->alerts[i];
        if (strcmp(a->runs[al->run].run->info.scenario, run) == 0 && strcmp(al->row->unit, unit) == 0 &&
            strcmp(al->row->node, node) == 0 && al->kind == kind)
            return al;
    }
    return NULL;
}

static int count_run(const ts_alerts *a, const char *run) {
    int n = 0;
    for (int i = 0; i < a->n; i++) n += strcmp(a->runs[a->alerts[i].run].run->info.scenario, run) == 0;
    return n;
}

static void test_every_kind_and_none(void **state) {
    (void)state;
    const char *db = fixture("kinds.db", 0);
    ts_alerts *a = load(db, NULL, NULL);
    assert_string_equal(a->cmp->reference->info.scenario, "Base"); /* the run the others extend */
    assert_int_equal(a->n_runs, 2);
    /* a class change at p, and at its parent only the approach to the next class */
    const ts_alert *al = find(a, "Shock", "A", "p", TS_ALERT_CLASS_CHANGE);
    assert_non_null(al);
    assert_string_equal(al->from, "Medium");
    assert_string_equal(al->to, "High");
    assert_float_equal(al->row->delta, 0.75, 1e-12);
    assert_null(find(a, "Shock", "A", "at", TS_ALERT_CLASS_CHANGE));
    al = find(a, "Shock", "A", "at", TS_ALERT_THRESHOLD);
    assert_non_null(al);
    assert_string_equal(al->from, "Medium");
    assert_string_equal(al->to, "High");
    assert_float_equal(al->distance, 0.375, 1e-12);
    assert_non_null(find(a, "Shock", "A", "p1", TS_ALERT_CLASS_CHANGE));
    assert_non_null(find(a, "Shock", "B", "p1", TS_ALERT_THRESHOLD));
    assert_non_null(find(a, "Shock", "C", "q1", TS_ALERT_CLASS_CHANGE));
    assert_non_null(find(a, "Shock", "C", "q", TS_ALERT_CLASS_CHANGE));
    /* the jump is measured against the constructed history */
    al = find(a, "Shock", "A", "p", TS_ALERT_JUMP);
    assert_non_null(al);
    assert_true(al->jump_by_history);
    double sd = sqrt(((0.1 - 0.25 / 3) * (0.1 - 0.25 / 3) * 2 + (0.05 - 0.25 / 3) * (0.05 - 0.25 / 3)) / 2);
    assert_float_equal(al->norm, 2 * sd, 1e-9);
    assert_non_null(find(a, "Shock", "A", "at", TS_ALERT_JUMP));
    assert_non_null(find(a, "Shock", "A", "p1", TS_ALERT_JUMP));
    assert_null(find(a, "Shock", "B", "p", TS_ALERT_JUMP));  /* the same 0.75 within B's volatile history */
    assert_null(find(a, "Shock", "B", "p1", TS_ALERT_JUMP)); /* 1.5 < 2 x 2.08 */
    assert_null(find(a, "Shock", "C", "at", TS_ALERT_JUMP)); /* no change in its history: no norm to exceed */
    assert_int_equal(a->runs[0].n_years, 4);
    assert_string_equal(a->runs[0].history, "Base");
    assert_int_equal(count_run(a, "Shock"), 9);
    /* reliability marked, not hidden */
    al = find(a, "Shock", "C", "q1", TS_ALERT_CLASS_CHANGE);
    assert_float_equal(al->reliability, 2.5, 1e-12);
    assert_true(al->low_reliability);
    assert_false(find(a, "Shock", "A", "p", TS_ALERT_CLASS_CHANGE)->low_reliability);
    /* nothing where nothing moved */
    assert_int_equal(count_run(a, "Same"), 0);
    for (int i = 0; i < a->n_arrows; i++) {
        const ts_alert_arrow *ar = &a->arrows[i];
        const char *run = a->runs[ar->run].run->info.scenario;
        assert_int_equal(ar->direction, strcmp(run, "Shock") == 0 ? 1 : 0);
    }
    assert_int_equal(a->n_arrows, 2 * 3);
    ts_alerts_free(a);
}

/* The drivers are the changes of the contributions, which add up to the
 * change of the score at arithmetic nodes. */
static void test_drivers_add_up(void **state) {
    (void)state;
    const char *db = fixture("drivers.db", 0);
    ts_alert_options opt;
    ts_alert_options_init(&opt);
    opt.max_drivers = 1000;
    opt.jump_sd = 0; /* every change beyond the stable band is a jump: many rows to check */
    ts_alerts *a = load(db, "Shock", &opt);
    int checked = 0;
    for (int i = 0; i < a->n; i++) {
        const ts_alert *al = &a->alerts[i];
        double sum = 0;
        for (int d = 0; d < al->n_drivers; d++) sum += al->drivers[d].change;
        assert_float_equal(sum, al->row->delta, 1e-12);
        checked++;
    }
    assert_true(checked >= 9);
    const ts_alert *al = find(a, "Shock", "A", "at", TS_ALERT_THRESHOLD);
    assert_int_equal(al->n_drivers, 1);
    assert_string_equal(al->drivers[0].indicator, "p1");
    assert_float_equal(al->drivers[0].raw_from, 6.5, 1e-12);
    assert_float_equal(al->drivers[0].raw_to, 8.0, 1e-12);
    assert_float_equal(al->drivers[0].change, 0.375, 1e-12);
    ts_buf b = {0};
    ts_alert_sentence(a, find(a, "Shock", "A", "p", TS_ALERT_CLASS_CHANGE), &b);
    assert_string_equal(b.data, "A's Pressure score rose into High (6.50 -> 7.25), mostly through the First pressure "
                                "(6.5 -> 8).");
    ts_buf_free(&b);
    ts_alerts_free(a);
}

/* Probabilities come from the stored analysis of the run's inputs. */
static void test_probabilities_from_the_analysis(void **state) {
    (void)state;
    const char *db = fixture("ua.db", 1);
    ts_alerts *a = load(db, "Shock", NULL);
    assert_int_equal(a->n_runs, 1);
    assert_true(a->runs[0].ua_id > 0);
    int checked = 0;
    for (int i = 0; i < a->n; i++) {
        const ts_alert *al = &a->alerts[i];
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT round(probability * 1000000) FROM ua_classes WHERE ua_id = %lld AND unit = '%s'"
                 " AND node = '%s' AND class = '%s'",
                 a->runs[0].ua_id, al->row->unit, al->row->node, al->to);
        assert_float_equal(round(al->probability * 1000000), (double)tu_query_int(db, sql), 0);
        checked++;
    }
    assert_int_equal(checked, 9);
    /* weights cannot move A's p1 (an indicator) nor keep its parent below High */
    assert_float_equal(find(a, "Shock", "A", "p1", TS_ALERT_CLASS_CHANGE)->probability, 1, 0);
    assert_float_equal(find(a, "Shock", "A", "at", TS_ALERT_THRESHOLD)->probability, 0, 0);
    ts_alerts_free(a);
    /* Same has no analysis: no probability */
    a = load(db, "Same", NULL);
    assert_int_equal(a->runs[0].ua_id, 0);
    ts_alerts_free(a);
    char *out = run_ok(0, "alert", "--db", db, "--run", "Shock", NULL);
    assert_non_null(strstr(out, "probabilities: uncertainty analysis 1 of the same inputs"));
    assert_non_null(strstr(out, "(6.5 -> 8); probability 1.00 of High in the uncertainty analysis."));
    assert_non_null(strstr(out, "(6.5 -> 8); but the uncertainty analysis puts it in High with probability 0.00 only."));
    free(out);
}

/* Norms from the command line override the taxonomy's. */
static void test_norms(void **state) {
    (void)state;
    const char *db = fixture("norms.db", 0);
    char *out = run_ok(0, "alert", "--db", db, "--run", "Shock", "--near", "0.1", "--format", "csv", NULL);
    assert_null(strstr(out, ",threshold,"));
    free(out);
    out = run_ok(0, "alert", "--db", db, "--run", "Shock", "--jump-share", "0.1", "--format", "csv", NULL);
    assert_non_null(strstr(out, "\nB,p1,jump,Low,Low,2,3.5,1.5,,10,p1 2->3.5 +1.5,"));
    free(out);
    out = run_ok(0, "alert", "--db", db, "--run", "Shock", "--min-reliability", "2", "--format", "csv", NULL);
    assert_non_null(strstr(out, "\nC,q1,class_change,Medium,High,5,"));
    assert_null(strstr(out, ",1\n")); /* 2.5 is not below 2 */
    free(out);
    out = run_ok(2, "alert", "--db", db, "--near", "-1", NULL);
    free(out);
    out = run_ok(2, "alert", "--db", db, "--min-reliability", "11", NULL);
    free(out);
    out = run_ok(2, "alert", "--run", "Shock", NULL);
    free(out);
    out = run_ok(2, "alert", "--db", db, "Shock", NULL);
    free(out);
}

/* The three formats, and the exit code. */
static void test_formats_and_exit_code(void **state) {
    (void)state;
    const char *db = fixture("out.db", 0);
    char *out = run_ok(0, "alert", "--db", db, "--format", "csv", NULL);
    assert_true(strncmp(out, "unit,node,kind,from,to,score_from,score_to,delta,probability,reliability,drivers,run,"
                             "direction,distance,norm,low_reliability\n", 122) == 0);
    assert_non_null(strstr(out, "\nA,p,class_change,Medium,High,6.5,7.25,0.75,,10,p1 6.5->8 +0.75,6,deteriorated,,"));
    assert_non_null(strstr(out, "\nC,q1,class_change,Medium,High,5,7.0999999999999996,2.0999999999999996,,2.5,"
                                "q1 5->7.1 +2.1,6,deteriorated,,,1\n"));
    free(out);
    out = run_ok(0, "alert", "--db", db, NULL);
    assert_non_null(strstr(out, "reference: run 5  Base"));
    assert_non_null(strstr(out, "run 6  Shock: 9 alerts"));
    assert_non_null(strstr(out, "A's Alert test score rose to 6.62, 0.38 short of High, mostly through the First "
                                "pressure (6.5 -> 8)."));
    assert_non_null(strstr(out, "; low reliability (2.5 of 10)."));
    assert_non_null(strstr(out, "run 7  Same: 0 alerts"));
    assert_non_null(strstr(out, "at the index: A deteriorated +0.38, C deteriorated +1.05, B deteriorated +0.38\n"));
    assert_non_null(strstr(out, "at the index: A unchanged +0.00, C unchanged +0.00, B unchanged +0.00\n"));
    free(out);
    out = run_ok(0, "alert", "--db", db, "--format", "json", "--run", "Shock", "--node", "p", NULL);
    assert_non_null(strstr(out, "{\"reference\":{\"id\":5,\"scenario\":\"Base\"}"));
    assert_non_null(strstr(out, "\"history\":{\"scenario\":\"Base\",\"years\":[2020,2021,2022,2023]}"));
    assert_non_null(strstr(out, "\"kind\":\"class_change\",\"from\":\"Medium\",\"to\":\"High\""));
    assert_non_null(strstr(out, "\"drivers\":[{\"indicator\":\"p1\",\"name\":\"First pressure\",\"raw_from\":6.5,"
                                "\"raw_to\":8,\"change\":0.75}]"));
    assert_non_null(strstr(out, "\"arrows\":[]"));
    free(out);
    /* --exit-code: 4 when an alert fires, 0 when none does */
    free(run_ok(4, "alert", "--db", db, "--exit-code", "-o", "/dev/null", NULL));
    free(run_ok(4, "alert", "--db", db, "--run", "Shock", "--exit-code", "--format", "csv", NULL));
    out = run_ok(0, "alert", "--db", db, "--run", "Same", "--exit-code", "--format", "csv", NULL);
    assert_string_equal(out, "unit,node,kind,from,to,score_from,score_to,delta,probability,reliability,drivers,run,"
                             "direction,distance,norm,low_reliability\n");
    free(out);
    free(run_ok(0, "alert", "--db", db, "--run", "Shock", "-o", "/dev/null", NULL)); /* no --exit-code: 0 */
    free(run_ok(1, "alert", "--db", db, "--run", "Nope", NULL));
    free(run_ok(1, "alert", "--db", db, "--node", "pp", NULL));
}

/* The alerts chart: one run against its reference, class changes marked
 * by direction, the other alerts shaded; names only as quoted strings. */
static void test_alerts_chart(void **state) {
    (void)state;
    const char *db = fixture("chart.db", 0);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "plot", "--db", db, "alerts", "--run", "Shock", "--script", NULL), 0);
    assert_non_null(strstr(out, "set title 'Alerts: Shock against Base'\n"));
    /* rows: the index, its children, and the nodes under it with an alert (p1 and q1; not p2) */
    assert_non_null(strstr(out, "set ytics ('Alert test' 4, 'Pressure' 3, '\xc2\xb7 First pressure' 2, 'Quiet' 1, "
                                "'\xc2\xb7 Quiet one' 0) nomirror\n"));
    assert_non_null(strstr(out, "set xtics ('A' 0, 'C' 1, 'B' 2) nomirror\n"));
    assert_non_null(strstr(out, "\n0 3 14102567\n")); /* A at p: a class rose (0xd73027) */
    assert_non_null(strstr(out, "set label '\xe2\x96\xb2 High' at 0, 3 center front"));
    assert_non_null(strstr(out, "set label 'near High' at 0, 4 center front"));
    assert_non_null(strstr(out, "set label 'near Medium' at 2, 2 center front"));
    assert_non_null(strstr(out, "set label '\xe2\x96\xb2 High (!)' at 1, 0 center front")); /* C's low reliability */
    assert_non_null(strstr(out, "4 class changes, 2 other alerts"));
    assert_null(strstr(out, "Second pressure"));
    free(out), free(err);
    /* --run REFERENCE --run RUN; --node narrows the rows */
    assert_int_equal(tu_run(&out, &err, "plot", "--db", db, "alerts", "--run", "Base", "--run", "Shock", "--node", "p",
                            "--script", NULL),
                     0);
    assert_non_null(strstr(out, "set ytics ('Pressure' 2, 'First pressure' 1, 'Second pressure' 0) nomirror\n"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "plot", "--db", db, "alerts", "--run", "Base", "--run", "Shock", "--run", "Same",
                            "--script", NULL),
                     2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "plot", "--db", db, "alerts", "--run", "Shock", "--node", "pp", "--script", NULL), 1);
    assert_non_null(strstr(err, "did you mean 'p"));
    free(out), free(err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_and_none),
        cmocka_unit_test(test_drivers_add_up),
        cmocka_unit_test(test_probabilities_from_the_analysis),
        cmocka_unit_test(test_norms),
        cmocka_unit_test(test_formats_and_exit_code),
        cmocka_unit_test(test_alerts_chart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
