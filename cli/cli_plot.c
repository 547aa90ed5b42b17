/* cli_plot.c -- the `threatscore plot` command: argument parsing, and the
 * only file of plots/ that prints. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cliopt.h"
#include "audit.h"
#include "plotdata.h"
#include "scenario.h"

static const char USAGE_PLOT[] =
    "usage: threatscore plot --db FILE KIND [--run ID]... [--node NODE] [--unit UNIT]... -o OUT\n"
    "       threatscore plot --db FILE KIND [options] --script    (print the gnuplot script)\n"
    "       threatscore plot correlation SCENARIO [--node NODE] [--indicators] [--spearman]\n"
    "                        [--pooled [--min-coverage C]] [--set KEY=VALUE]... [--perspective NAME] -o OUT\n"
    "\n"
    "Draws a chart of stored runs with gnuplot. OUT's extension picks the format:\n"
    ".png, .svg, .pdf or .txt (text). A run is named by its id, by its scenario\n"
    "name (the latest run of that name that is not a per-year run) or as\n"
    "NAME@YEAR (a per-year run of `trend --db`); the default is the latest run.\n"
    "The correlation chart is drawn from a scenario file instead, scored as\n"
    "`threatscore audit` scores it (the audit's results are not stored).\n"
    "\n"
    "kinds:\n"
    "  ranking        units by score at NODE (default: the index), coloured by\n"
    "                 risk class, with the class thresholds\n"
    "  heatmap        units x the children of NODE, values in the cells\n"
    "  radar          one polygon per unit over the children of NODE; with one\n"
    "                 --unit and several --run, one polygon per run\n"
    "  contributions  stacked bars: each child's part of NODE's score per unit\n"
    "  compare        each run's change against the reference at NODE, per unit\n"
    "                 (run minus reference, values printed, rank and class\n"
    "                 changes marked): a panel per run, or for more than 9 runs\n"
    "                 (or 15 units, or a .txt chart) one runs x units heatmap.\n"
    "                 Runs: --run (repeatable); default the latest run of every\n"
    "                 scenario, without per-year runs and scenarios whose file\n"
    "                 is gone. Reference: --reference, else the run the others\n"
    "                 extend (as `compare` chooses it)\n"
    "  scores         the reference's and up to 7 runs' scores side by side\n"
    "  trend          score over the years: the latest `trend --db` series\n"
    "                 (--run NAME: the latest series of scenario NAME)\n"
    "  uncertainty    median rank and 5th-95th percentile whiskers per unit at\n"
    "                 NODE, nominal rank marked, from `threatscore uncertainty --db`\n"
    "  sensitivity    first- and total-order Sobol' indices of each factor for\n"
    "                 the score at NODE: one --unit with bootstrap intervals, or\n"
    "                 the mean over units (needs an analysis run with --sobol).\n"
    "                 For these two, --run is an uncertainty run id or scenario\n"
    "                 name; the default is the latest analysis (with --sobol).\n"
    "  alerts         units x nodes of one run against its reference, as\n"
    "                 `threatscore alert` finds them: class changes marked and\n"
    "                 coloured by direction, approaches to a class and jumps\n"
    "                 shaded; rows are NODE, its children and every node under\n"
    "                 it with an alert. --run RUN (against the run it extends)\n"
    "                 or --run REFERENCE --run RUN; default the latest run.\n"
    "  correlation    the correlation matrix within NODE (default: the index) of\n"
    "                 SCENARIO: of its children, or with --indicators of every\n"
    "                 indicator under it, as `threatscore audit` computes it on the\n"
    "                 normalised values and scores (pairwise complete); the value in\n"
    "                 each cell, blue negative to red positive on a fixed -1..1\n"
    "                 scale, n in the subtitle (n < 10 marked fragile)\n"
    "\n"
    "options:\n"
    "  --db FILE      the threatscore database (read only)\n"
    "  --run ID       a run id or scenario name; repeat for compare and radar\n"
    "  --reference RUN  compare and scores: the run the others are set against\n"
    "  --node NODE    the node to draw (default: the index)\n"
    "  --unit UNIT    draw only this unit; repeatable (default: all)\n"
    "  -o OUT         the chart file; written only when gnuplot succeeds\n"
    "  --script       print the gnuplot script instead of running gnuplot\n"
    "correlation only:\n"
    "  --indicators   correlate the indicators under NODE, not its children\n"
    "  --spearman     Spearman's rank correlation (default: Pearson's)\n"
    "  --pooled       pool the country-years, as audit --pooled\n"
    "  --min-coverage C  pooled: audit's rule for keeping a year (default 0.8)\n"
    "  --set KEY=VALUE   method override, as score (repeatable)\n"
    "  --perspective NAME  lay the taxonomy's weight profile NAME over the scenario\n"
    "SCENARIO '-' reads standard input.\n"
    "\n"
    "TS_GNUPLOT names the gnuplot program (default: gnuplot on PATH).\n"
    "Exit status: 0 ok, 1 bad input, 2 usage, 3 gnuplot or system error.\n";

static int usage_error(FILE *errs, const char *fmt, const char *arg) {
    return ts_usage_error(errs, "threatscore plot", USAGE_PLOT, fmt, arg);
}

static int print_error(FILE *errs, const ts_error *err) {
    return ts_print_error(errs, "threatscore plot", err);
}


/* Prints the script of data d (no terminal lines) to out. Returns the
 * exit status. */
static int print_data_script(const ts_plot_data *d, const ts_plot_request *req, FILE *out, FILE *errs) {
    ts_error err;
    ts_error_clear(&err);
    ts_buf b = {0};
    int rc = ts_plot_script(d, req, TS_TERM_PNG, &b, &err);
    if (rc == TS_OK && b.len) fwrite(b.data, 1, b.len, out);
    ts_buf_free(&b);
    return rc == TS_OK ? EXIT_OK : print_error(errs, &err);
}

/* Prints the script for req (no terminal lines) to out. */
static int print_script(const char *db, const ts_plot_request *req, FILE *out, FILE *errs) {
    ts_error err;
    ts_error_clear(&err);
    ts_plot_data *d;
    if (ts_plot_data_load(db, req, &d, &err) != TS_OK) return print_error(errs, &err);
    int rc = print_data_script(d, req, out, errs);
    ts_plot_data_free(d);
    return rc;
}

/* The options of the correlation chart, which scores a scenario. */
typedef struct corr_args {
    const char *scenario, *perspective;
    ts_overrides ov;
    ts_audit_options audit;
    int indicators, spearman;
    const char *first; /* the first correlation-only option given, for the error of other kinds */
} corr_args;

/* Draws (or with script_only prints the script of) the correlation chart
 * of ca->scenario. Returns the exit status; nothing is written on error. */
static int plot_correlation(ts_plot_request *req, corr_args *ca, const char *output, int script_only, FILE *out,
                            FILE *errs) {
    ts_cmd c = {out, errs, "threatscore plot"};
    const ts_cmd_input in = {ca->scenario, "the scenario", 0};
    if (!script_only && ts_cmd_check_output(&c, "-o", output, &in, 1) != EXIT_OK) return EXIT_USAGE;
    ts_error err;
    ts_error_clear(&err);
    ts_plot_term term;
    if (!script_only && ts_plot_term_from_path(output, &term, &err) != TS_OK) return print_error(errs, &err);
    ts_scenario *s = NULL;
    ts_file_arg file;
    int rc = ts_cmd_load_scenario(&c, ca->scenario, &file, &s);
    if (rc == EXIT_OK && !script_only) rc = ts_cmd_check_output_scenario(&c, "-o", output, s);
    if (rc == EXIT_OK && ca->perspective && ts_scenario_apply_perspective(s, ca->perspective, &err))
        rc = print_error(errs, &err);
    if (rc == EXIT_OK) rc = ts_overrides_apply(errs, c.prog, s, &ca->ov);
    ts_plot_data *d = NULL;
    req->audit = &ca->audit;
    if (rc == EXIT_OK && ts_plot_data_from_scenario(s, req, &d, &err) != TS_OK) rc = print_error(errs, &err);
    if (rc == EXIT_OK && script_only) {
        rc = print_data_script(d, req, out, errs);
    } else if (rc == EXIT_OK) {
        const char *gp = getenv("TS_GNUPLOT");
        if (ts_plot_render_data(d, req, output, gp && *gp ? gp : "gnuplot", &err) != TS_OK)
            rc = print_error(errs, &err);
    }
    ts_plot_data_free(d);
    ts_scenario_free(s);
    ts_file_arg_free(&file);
    return rc;
}

/* Parses a share in [0, 1]; returns 0 or -1. */
static int parse_share(const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= 0 && x <= 1)) return -1;
    *out = x;
    return 0;
}

/* Consumes argv[*i] (and its value) when it is an option of the
 * correlation chart. Returns 1 when it was one (*rc set to a usage status
 * on a bad value), 0 otherwise. */
static int corr_option(int argc, char **argv, int *i, corr_args *ca, int *missing, int *rc, FILE *errs) {
    const char *v, *arg = argv[*i];
    if (strcmp(arg, "--indicators") == 0) {
        ca->indicators = 1;
    } else if (strcmp(arg, "--spearman") == 0) {
        ca->spearman = 1;
    } else if (strcmp(arg, "--pooled") == 0) {
        ca->audit.pooled = 1;
    } else if ((v = ts_opt_value(argc, argv, i, "--min-coverage", missing))) {
        if (parse_share(v, &ca->audit.min_coverage))
            *rc = usage_error(errs, "--min-coverage takes a share between 0 and 1, not '%s'", v);
    } else if ((v = ts_opt_value(argc, argv, i, "--set", missing))) {
        int r = ts_overrides_add(errs, "threatscore plot", &ca->ov, v, USAGE_PLOT);
        if (r) *rc = r;
    } else if ((v = ts_opt_value(argc, argv, i, "--perspective", missing))) {
        ca->perspective = v;
    } else {
        return 0;
    }
    if (!ca->first) ca->first = arg;
    return 1;
}

int ts_cli_plot(int argc, char **argv, FILE *out, FILE *errs) {
    const char *db = NULL, *kind_name = NULL, *output = NULL, *node = NULL, *reference = NULL;
    int script_only = 0, rc = EXIT_OK;
    corr_args ca;
    memset(&ca, 0, sizeof ca);
    ts_audit_options_default(&ca.audit);
    const char **runs = calloc((size_t)argc + 1, sizeof *runs);
    const char **units = calloc((size_t)argc + 1, sizeof *units);
    int n_runs = 0, n_units = 0;
    if (!runs || !units) {
        free(runs), free(units);
        fputs("threatscore plot: out of memory\n", errs);
        return EXIT_SYSTEM;
    }
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        const char *v;
        int missing = 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE_PLOT, out);
            free(runs), free(units);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            runs[n_runs++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--reference", &missing))) {
            reference = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--unit", &missing))) {
            units[n_units++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            output = v;
        } else if (strcmp(argv[i], "--script") == 0) {
            script_only = 1;
        } else if (corr_option(argc, argv, &i, &ca, &missing, &rc, errs)) {
            continue;
        } else if (missing) {
            rc = usage_error(errs, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = usage_error(errs, "unknown option '%s'", argv[i]);
        } else if (!kind_name) {
            kind_name = argv[i];
        } else if (!ca.scenario && strcmp(kind_name, "correlation") == 0) {
            ca.scenario = argv[i];
        } else {
            rc = usage_error(errs, "unexpected argument '%s'", argv[i]);
        }
    }
    if (rc == EXIT_OK && !kind_name) rc = usage_error(errs, "plot needs a chart %s", "KIND");
    ts_error err;
    ts_error_clear(&err);
    ts_plot_request req = {.kind = TS_PLOT_RANKING, .runs = runs, .n_runs = n_runs, .node = node,
                           .units = units, .n_units = n_units, .reference = reference,
                           .indicators = ca.indicators, .spearman = ca.spearman};
    if (rc == EXIT_OK && ts_plot_kind_parse(kind_name, &req.kind, &err) != TS_OK) {
        rc = usage_error(errs, "%s", err.message);
    }
    int corr = req.kind == TS_PLOT_CORRELATION;
    if (rc == EXIT_OK && corr) {
        /* drawn from a scenario: the store's options mean nothing here */
        const char *store_opt = db ? "--db" : n_runs ? "--run" : n_units ? "--unit" : reference ? "--reference" : NULL;
        if (store_opt)
            rc = usage_error(errs, "correlation is drawn from a scenario, not a database: %s does not apply", store_opt);
        else if (!ca.scenario)
            rc = usage_error(errs, "plot correlation needs a %s", "SCENARIO");
    } else if (rc == EXIT_OK && ca.first) {
        rc = usage_error(errs, "%s is an option of the correlation chart only", ca.first);
    }
    if (rc == EXIT_OK && !corr && !db) rc = usage_error(errs, "plot needs --db %s", "FILE");
    if (rc == EXIT_OK && !output && !script_only) rc = usage_error(errs, "plot needs -o %s", "OUT");
    const ts_cmd c = {out, errs, "threatscore plot"};
    const ts_cmd_input in = {db, "the database", 1};
    if (rc == EXIT_OK && corr) {
        rc = plot_correlation(&req, &ca, output, script_only, out, errs);
    } else if (rc == EXIT_OK && !script_only) {
        rc = ts_cmd_check_output(&c, "-o", output, &in, 1);
    }
    if (rc == EXIT_OK && !corr && script_only) {
        rc = print_script(db, &req, out, errs);
    } else if (rc == EXIT_OK && !corr) {
        const char *gp = getenv("TS_GNUPLOT");
        if (ts_plot_render(db, &req, output, gp && *gp ? gp : "gnuplot", &err) != TS_OK)
            rc = print_error(errs, &err);
    }
    free(runs), free(units);
    return rc;
}
