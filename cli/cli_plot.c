/* cli_plot.c -- the `threatscore plot` command: argument parsing, and the
 * only file of plots/ that prints. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cliopt.h"
#include "plotdata.h"

static const char USAGE_PLOT[] =
    "usage: threatscore plot --db FILE KIND [--run ID]... [--node NODE] [--unit UNIT]... -o OUT\n"
    "       threatscore plot --db FILE KIND [options] --script    (print the gnuplot script)\n"
    "\n"
    "Draws a chart of stored runs with gnuplot. OUT's extension picks the format:\n"
    ".png, .svg, .pdf or .txt (text). A run is named by its id, by its scenario\n"
    "name (the latest run of that name that is not a per-year run) or as\n"
    "NAME@YEAR (a per-year run of `trend --db`); the default is the latest run.\n"
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
    "\n"
    "options:\n"
    "  --db FILE      the threatscore database (read only)\n"
    "  --run ID       a run id or scenario name; repeat for compare and radar\n"
    "  --reference RUN  compare and scores: the run the others are set against\n"
    "  --node NODE    the node to draw (default: the index)\n"
    "  --unit UNIT    draw only this unit; repeatable (default: all)\n"
    "  -o OUT         the chart file; written only when gnuplot succeeds\n"
    "  --script       print the gnuplot script instead of running gnuplot\n"
    "\n"
    "TS_GNUPLOT names the gnuplot program (default: gnuplot on PATH).\n"
    "Exit status: 0 ok, 1 bad input, 2 usage, 3 gnuplot or system error.\n";

static int usage_error(FILE *errs, const char *fmt, const char *arg) {
    return ts_usage_error(errs, "threatscore plot", USAGE_PLOT, fmt, arg);
}

static int print_error(FILE *errs, const ts_error *err) {
    return ts_print_error(errs, "threatscore plot", err);
}


/* Prints the script for req (no terminal lines) to out. */
static int print_script(const char *db, const ts_plot_request *req, FILE *out, FILE *errs) {
    ts_error err;
    ts_error_clear(&err);
    ts_plot_data *d;
    if (ts_plot_data_load(db, req, &d, &err) != TS_OK) return print_error(errs, &err);
    ts_buf b = {0};
    int rc = ts_plot_script(d, req, TS_TERM_PNG, &b, &err);
    ts_plot_data_free(d);
    if (rc == TS_OK && b.len) fwrite(b.data, 1, b.len, out);
    ts_buf_free(&b);
    return rc == TS_OK ? EXIT_OK : print_error(errs, &err);
}

int ts_cli_plot(int argc, char **argv, FILE *out, FILE *errs) {
    const char *db = NULL, *kind_name = NULL, *output = NULL, *node = NULL, *reference = NULL;
    int script_only = 0, rc = EXIT_OK;
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
        } else if (missing) {
            rc = usage_error(errs, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = usage_error(errs, "unknown option '%s'", argv[i]);
        } else if (!kind_name) {
            kind_name = argv[i];
        } else {
            rc = usage_error(errs, "unexpected argument '%s'", argv[i]);
        }
    }
    if (rc == EXIT_OK && !kind_name) rc = usage_error(errs, "plot needs a chart %s", "KIND");
    if (rc == EXIT_OK && !db) rc = usage_error(errs, "plot needs --db %s", "FILE");
    if (rc == EXIT_OK && !output && !script_only) rc = usage_error(errs, "plot needs -o %s", "OUT");
    const ts_cmd c = {out, errs, "threatscore plot"};
    const ts_cmd_input in = {db, "the database", 1};
    if (rc == EXIT_OK && !script_only) rc = ts_cmd_check_output(&c, "-o", output, &in, 1);
    ts_error err;
    ts_error_clear(&err);
    ts_plot_request req = {.kind = TS_PLOT_RANKING, .runs = runs, .n_runs = n_runs, .node = node,
                           .units = units, .n_units = n_units, .reference = reference};
    if (rc == EXIT_OK && ts_plot_kind_parse(kind_name, &req.kind, &err) != TS_OK) {
        rc = usage_error(errs, "%s", err.message);
    }
    if (rc == EXIT_OK && script_only) {
        rc = print_script(db, &req, out, errs);
    } else if (rc == EXIT_OK) {
        const char *gp = getenv("TS_GNUPLOT");
        if (ts_plot_render(db, &req, output, gp && *gp ? gp : "gnuplot", &err) != TS_OK)
            rc = print_error(errs, &err);
    }
    free(runs), free(units);
    return rc;
}
