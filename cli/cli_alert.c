/* cli_alert.c -- `threatscore alert`: stored runs against a reference, one
 * line per class change, approach to a class threshold or jump. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "cliopt.h"

/* The status of --exit-code when an alert fires, as `git diff --exit-code`
 * gives 1: 4, since 1 to 3 already say what went wrong. */
enum { EXIT_ALERTS = 4 };

static const char USAGE_ALERT[] =
    "usage: threatscore alert --db FILE [--reference RUN] [--run RUN]... [--node NODE]\n"
    "                         [--near D] [--jump-sd K] [--jump-share S] [--min-reliability R]\n"
    "                         [--stable T] [--drivers N] [--format table|csv|json] [-o FILE] [--exit-code]\n"
    "\n"
    "Compares stored runs (--run, repeatable; default the latest run of every\n"
    "scenario that is not a per-year run) with a reference (--reference;\n"
    "default the run the others extend, as compare chooses it) and reports, for\n"
    "every unit at every node (or at --node):\n"
    "  class_change  its class differs from the reference's;\n"
    "  threshold     its score moved to within D of the next class (default\n"
    "                0.025 x the scale's span);\n"
    "  jump          its change is beyond K (default 2) standard deviations of its\n"
    "                past year-on-year changes (the per-year runs of `trend --db`,\n"
    "                of the run's scenario, else the reference's), or beyond S\n"
    "                (default 0.1; 0: off) of the scale.\n"
    "The taxonomy may set the norms (alerts = { near_class; jump_sd; jump_share;\n"
    "min_reliability; }); options override it. Each alert carries the probability\n"
    "that the unit is in its new class (from a stored uncertainty analysis of the\n"
    "run's exact inputs), the reliability of the run's score (marked below R,\n"
    "default 5), and its drivers: the N (default 3) inputs whose contributions\n"
    "changed most, with their values then and now. Under the table, each unit's\n"
    "arrow at the index: deteriorated, improved, or unchanged (|delta| <= T,\n"
    "default 0.02 x the span, as trend).\n"
    "\n"
    "CSV columns: unit,node,kind,from,to,score_from,score_to,delta,probability,\n"
    "reliability,drivers,run,direction,distance,norm,low_reliability.\n"
    "\n"
    "Exit status: 0 (also when alerts fire), 1 bad input, 2 usage, 3 system;\n"
    "with --exit-code, 4 when any alert fires.\n";

/* Parses a norm given to option name: a number >= 0 (at most 10 for a
 * reliability). Returns 0, or the usage status after printing. */
static int parse_norm(const ts_cmd *c, const char *name, const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end || !(x >= 0) || !isfinite(x) || (strcmp(name, "--min-reliability") == 0 && x > 10)) {
        char what[64];
        snprintf(what, sizeof what, "%s takes a number >= 0%s, not '%%s'", name,
                 strcmp(name, "--min-reliability") == 0 ? " and <= 10" : "");
        return ts_cmd_usage(c, USAGE_ALERT, what, v);
    }
    *out = x;
    return 0;
}

int ts_cli_alert(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *reference = NULL, *out_path = NULL;
    ts_format fmt = TS_FORMAT_TABLE;
    int exit_code = 0, rc = EXIT_OK;
    ts_alert_options opt;
    ts_alert_options_init(&opt);
    const char **specs = calloc((size_t)argc + 1, sizeof *specs);
    int n = 0;
    if (!specs) return ts_cmd_oom(c);
    static const char *const norm_names[] = {"--near", "--jump-sd", "--jump-share", "--min-reliability", "--stable"};
    double *norms[] = {&opt.near_class, &opt.jump_sd, &opt.jump_share, &opt.min_reliability, &opt.stable};
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0, matched = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_ALERT, out);
            free(specs);
            return EXIT_OK;
        }
        for (int k = 0; k < 5 && !matched; k++)
            if ((v = ts_opt_value(argc, argv, &i, norm_names[k], &missing))) {
                matched = 1;
                rc = parse_norm(c, norm_names[k], v, norms[k]);
            }
        if (matched || missing) {
            if (missing) rc = ts_cmd_usage(c, USAGE_ALERT, "option %s needs a value", argv[i]);
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--reference", &missing))) {
            reference = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            specs[n++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            opt.node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--drivers", &missing))) {
            long d = ts_parse_count(v);
            if (d < 0 || d > 1000) rc = ts_cmd_usage(c, USAGE_ALERT, "--drivers takes a count from 1 to 1000, not '%s'", v);
            else opt.max_drivers = (int)d;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing))) {
            out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt)) rc = ts_cmd_usage(c, USAGE_ALERT, "unknown format '%s' (table, csv or json)", v);
        } else if (strcmp(argv[i], "--exit-code") == 0) {
            exit_code = 1;
        } else if (missing) {
            rc = ts_cmd_usage(c, USAGE_ALERT, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = ts_cmd_usage(c, USAGE_ALERT, "unknown option '%s'", argv[i]);
        } else {
            rc = ts_cmd_usage(c, USAGE_ALERT, "unexpected argument '%s' (name runs with --run)", argv[i]);
        }
    }
    if (rc == EXIT_OK && !db) rc = ts_cmd_usage(c, USAGE_ALERT, "alert needs --db %s", "FILE");
    const ts_cmd_input db_in = {db, "the database", 1};
    if (rc == EXIT_OK) rc = ts_cmd_check_output(c, "-o", out_path, &db_in, 1);
    ts_store *st = NULL;
    if (rc == EXIT_OK) rc = ts_cmd_open_store(c, db, &st);
    ts_alerts *a = NULL;
    ts_error err;
    ts_error_clear(&err);
    if (rc == EXIT_OK && ts_alerts_load(st, reference, specs, n, &opt, &a, &err)) rc = ts_cmd_error(c, &err);
    if (rc == EXIT_OK) {
        ts_outfile tmp;
        FILE *f = ts_cmd_open_output(c, out_path, &tmp);
        if (!f) rc = EXIT_SYSTEM;
        else {
            if (ts_alerts_write(f, fmt, a, &err)) rc = ts_cmd_error(c, &err);
            int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
            if (rc == EXIT_OK) rc = crc;
        }
    }
    if (rc == EXIT_OK && exit_code && a->n > 0) rc = EXIT_ALERTS;
    ts_alerts_free(a);
    ts_store_close(st);
    free(specs);
    return rc;
}
