/* cli_report.c -- `threatscore report`: the briefing report of a store as
 * one self-contained HTML page (brief/), written whole or not at all. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brief.h"
#include "cliopt.h"

static const char USAGE_REPORT[] =
    "usage: threatscore report --db FILE [--run RUN]... [--reference RUN] -o BRIEF.html\n"
    "\n"
    "Writes a briefing report of the stored runs as one self-contained HTML\n"
    "page to mail or print (A4): no script and nothing loaded from elsewhere;\n"
    "the charts are drawn by gnuplot and inlined as SVG. Sections: the\n"
    "ranking with classes and coverage; what each scenario changes against\n"
    "the reference; per unit, the largest contributions to its score and\n"
    "what changes it; how sure the ranking is (when an uncertainty analysis\n"
    "of the scenario is stored); the trend (when per-year runs are stored);\n"
    "every value with its year, source, flags and alternatives, and the\n"
    "register entries the sources cite; the provenance of every run.\n"
    "\n"
    "options:\n"
    "  --db FILE         the threatscore database (read only)\n"
    "  --run RUN         report on this run (a run id, a scenario name or\n"
    "                    NAME@YEAR) against the reference; repeat to compare\n"
    "                    several. Default: the reference and the latest run of\n"
    "                    every other scenario\n"
    "  --reference RUN   the run the others are compared with (default: as\n"
    "                    compare chooses it, the run the others extend)\n"
    "  --register FILE   the source register (default: SOURCES.md beside the\n"
    "                    reference's scenario file)\n"
    "  --no-charts       draw no chart (no gnuplot needed)\n"
    "  -o FILE           the page (- for standard output)\n"
    "\n"
    "TS_GNUPLOT names the gnuplot program (default: gnuplot on PATH); a chart\n"
    "that cannot be drawn is replaced by a note and a warning on stderr.\n"
    "SOURCE_DATE_EPOCH, when set, is the time the page says it was made.\n"
    "Exit status: 0 ok, 1 bad input, 2 usage, 3 system error.\n";

/* Writes the report's time (now, or SOURCE_DATE_EPOCH) into buf. */
static void report_time(char *buf, size_t n) {
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long e = epoch && *epoch ? strtoll(epoch, &end, 10) : -1;
    time_t t = end && !*end && e >= 0 ? (time_t)e : time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm)) strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
    else snprintf(buf, n, "time unknown");
}

int ts_cli_report(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore report"}, *c = &cc;
    const char *db = NULL, *reference = NULL, *out_path = NULL, *reg = NULL;
    int no_charts = 0;
    const char **runs = calloc((size_t)argc + 1, sizeof *runs);
    if (!runs) {
        fprintf(errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    int n_runs = 0, rc = EXIT_OK;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_REPORT, out);
            free(runs);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            runs[n_runs++] = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--reference", &missing))) {
            reference = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--register", &missing))) {
            reg = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            out_path = v;
        } else if (strcmp(argv[i], "--no-charts") == 0) {
            no_charts = 1;
        } else if (missing) {
            rc = ts_cmd_usage(c, USAGE_REPORT, "option %s needs a value", argv[i]);
        } else {
            rc = ts_cmd_usage(c, USAGE_REPORT, "unexpected argument '%s'", argv[i]);
        }
    }
    if (rc == EXIT_OK && !db) rc = ts_cmd_usage(c, USAGE_REPORT, "report needs --db %s", "FILE");
    if (rc == EXIT_OK && !out_path) rc = ts_cmd_usage(c, USAGE_REPORT, "report needs -o %s", "BRIEF.html");
    const ts_cmd_input inputs[] = {{db, "the database", 1}, {reg, "the source register", 0}};
    if (rc == EXIT_OK) rc = ts_cmd_check_output(c, "-o", out_path, inputs, 2);
    if (rc != EXIT_OK) {
        free(runs);
        return rc;
    }
    char when[64];
    report_time(when, sizeof when);
    const char *gp = getenv("TS_GNUPLOT");
    ts_brief_options opt = {db, runs, n_runs, reference, gp && *gp ? gp : NULL, no_charts, reg, when};
    ts_buf page = {0}, warnings = {0};
    ts_error err;
    ts_error_clear(&err);
    if (ts_brief_write(&opt, &page, &warnings, &err) != TS_OK) {
        rc = ts_cmd_error(c, &err);
    } else if (warnings.oom) {
        rc = ts_cmd_oom(c); /* a warning lost */
    } else {
        if (warnings.len) {
            for (char *line = warnings.data; line && *line;) {
                char *eol = strchr(line, '\n');
                fprintf(errs, "%s: warning: %.*s\n", c->prog, (int)(eol ? eol - line : (long)strlen(line)), line);
                line = eol ? eol + 1 : NULL;
            }
        }
        ts_outfile o;
        FILE *f = ts_cmd_open_output(c, strcmp(out_path, "-") == 0 ? NULL : out_path, &o);
        if (!f) {
            rc = EXIT_SYSTEM;
        } else {
            int ok = fwrite(page.data, 1, page.len, f) == page.len;
            rc = ts_cmd_close_output(c, f, strcmp(out_path, "-") == 0 ? NULL : out_path, &o, ok);
        }
    }
    ts_buf_free(&page);
    ts_buf_free(&warnings);
    free(runs);
    return rc;
}
