/* cli_audit.c -- `threatscore audit`: the statistical audit of a
 * framework on a scenario's normalised data and scores. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "cliopt.h"

static const char PROG[] = "threatscore";

static const char USAGE_AUDIT[] =
    "usage: threatscore audit SCENARIO [--node NODE] [--set KEY=VALUE]... [--perspective NAME]\n"
    "                         [--pooled [--min-coverage C]] [--format table|csv|json] [-o FILE]\n"
    "\n"
    "Does the taxonomy measure what it claims? On the normalised values and\n"
    "scores the aggregation uses (after --set and --perspective, as score):\n"
    "  - every node's statistics, as COINr's get_stats (n, missing share, min,\n"
    "    max, mean, sd, skew, kurtosis, share of unique values, outlier flag\n"
    "    |skew| > 2 and kurtosis > 3.5);\n"
    "  - for every aggregate with two or more children: Cronbach's alpha of the\n"
    "    children (complete cases), the first principal component's share of\n"
    "    variance and loadings, Pearson and Spearman correlation of each child\n"
    "    with its parent and its siblings, and the aggregate at the parent's\n"
    "    level it follows most;\n"
    "  - flags as COINr's get_corr_flags: collinear siblings (|r| > 0.9),\n"
    "    negative siblings (r < -0.4) or a child against its parent (r < 0), a\n"
    "    child closer to another aggregate than to its parent, a child barely\n"
    "    related to its parent (|r| < 0.3);\n"
    "  - effective influence: each indicator's nominal effective weight beside\n"
    "    its measured influence on NODE, the squared correlation ratio\n"
    "    (Paruolo, Saisana and Saltelli 2013) estimated by its linear special\n"
    "    case, the squared Pearson correlation;\n"
    "  - agreement (Spearman and Pearson) with the scenario's reference series\n"
    "    (its `references` list).\n"
    "Every statistic comes with its n; n < 10 is marked (flag small_n).\n"
    "\n"
    "options:\n"
    "  --node NODE           audit NODE's subtree (default: the index)\n"
    "  --pooled              pool the country-years: score every year of the data\n"
    "                        as `trend` does and treat each unit-year as an\n"
    "                        observation (larger n, but years of one unit are\n"
    "                        not independent)\n"
    "  --min-coverage C      pooled: keep the years where every unit has C (default\n"
    "                        0.8) times the values it has in the last year\n"
    "  --set KEY=VALUE       method override, as score (repeatable)\n"
    "  --perspective NAME    lay the taxonomy's weight profile NAME over the scenario\n"
    "  --format table|csv|json  output (default table); csv is long:\n"
    "                        node,statistic,with,value,n,flag\n"
    "  -o FILE               write to FILE instead of stdout\n"
    "SCENARIO '-' reads standard input; -o - writes standard output.\n";

/* Parses a share in [0, 1]; returns 0 or -1. */
static int parse_share(const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= 0 && x <= 1)) return -1;
    *out = x;
    return 0;
}

int ts_cli_audit(int argc, char **argv, FILE *out, FILE *errs) {
    const char *scenario = NULL, *node = NULL, *perspective = NULL, *out_path = NULL;
    ts_overrides ov = {{0}, 0};
    ts_format fmt = TS_FORMAT_TABLE;
    ts_audit_options opt;
    ts_audit_options_default(&opt);
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_AUDIT, out);
            return 0;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            int rc = ts_overrides_add(errs, PROG, &ov, v, USAGE_AUDIT);
            if (rc) return rc;
        } else if ((v = ts_opt_value(argc, argv, &i, "--perspective", &missing))) {
            perspective = v;
        } else if (strcmp(argv[i], "--pooled") == 0) {
            opt.pooled = 1;
        } else if ((v = ts_opt_value(argc, argv, &i, "--min-coverage", &missing))) {
            if (parse_share(v, &opt.min_coverage))
                return ts_usage_error(errs, PROG, USAGE_AUDIT, "--min-coverage takes a share between 0 and 1, not '%s'", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt))
                return ts_usage_error(errs, PROG, USAGE_AUDIT, "unknown format '%s' (table, csv or json)", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            out_path = v;
        } else if (missing) {
            return ts_usage_error(errs, PROG, USAGE_AUDIT, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_usage_error(errs, PROG, USAGE_AUDIT, "unknown option '%s'", argv[i]);
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            return ts_usage_error(errs, PROG, USAGE_AUDIT, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!scenario) return ts_usage_error(errs, PROG, USAGE_AUDIT, "audit needs a %s", "SCENARIO");
    ts_error err;
    ts_error_clear(&err);
    ts_cmd c = {out, errs, PROG};
    const ts_cmd_input scen_in = {scenario, "the scenario", 0};
    if (ts_cmd_check_output(&c, "-o", out_path, &scen_in, 1) != EXIT_OK) return EXIT_USAGE;
    ts_scenario *s = NULL;
    ts_file_arg in;
    int rc = ts_cmd_load_scenario(&c, scenario, &in, &s);
    if (rc == EXIT_OK) rc = ts_cmd_check_output_scenario(&c, "-o", out_path, s);
    if (rc) {
        ts_scenario_free(s);
        ts_file_arg_free(&in);
        return rc;
    }
    if (perspective && ts_scenario_apply_perspective(s, perspective, &err)) rc = ts_print_error(errs, PROG, &err);
    else rc = ts_overrides_apply(errs, PROG, s, &ov);
    if (rc == 0 && node && (opt.node = ts_taxonomy_find(s->tax, node)) < 0)
        rc = ts_print_error(errs, PROG, (ts_taxonomy_unknown(s->tax, "node", node, 0, s->taxonomy_path, 0, &err), &err));
    ts_audit *a = NULL;
    if (rc == 0 && ts_audit_run(s, &opt, &a, &err) != TS_OK) rc = ts_print_error(errs, PROG, &err);
    if (rc == 0) {
        ts_outfile o;
        FILE *f = ts_open_output(out, errs, PROG, out_path, &o);
        if (!f) {
            rc = 3;
        } else {
            if (ts_audit_write(f, fmt, s, a, &err)) rc = ts_print_error(errs, PROG, &err);
            int crc = ts_close_output(errs, PROG, f, out_path, &o, rc == 0);
            if (rc == 0) rc = crc;
        }
    }
    ts_audit_free(a);
    ts_scenario_free(s);
    ts_file_arg_free(&in);
    return rc;
}
