/* cli_trend.c -- `threatscore trend`: scores per year and trends, and the
 * per-year runs it stores (reused when unchanged, as batch does). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cliopt.h"
#include "store.h"
#include "trend.h"

static const char USAGE_TREND[] =
    "usage: threatscore trend SCENARIO [--years N] [--threshold T] [--min-coverage C]\n"
    "                         [--db FILE] [--format table|csv] [-o FILE]\n"
    "\n"
    "Scores SCENARIO at every year its values cover (each year uses the latest\n"
    "value at or before it, flagged as imputed when it is older) and classes\n"
    "each unit's change over the last N years (default 3, as INFORM's trend)\n"
    "as increasing, stable (|change| <= T, default 0.02 x the scale's span)\n"
    "or decreasing. Years where some unit has less than C (default 0.8) times\n"
    "the values it has in the last year are left out: they would measure\n"
    "coverage, not risk. N longer than the years kept is an error that names\n"
    "the longest span the data allow.\n"
    "\n"
    "--db stores one run per kept year, each with its year (the run_years\n"
    "table), for `plot trend`. A year whose run is unchanged since it was\n"
    "stored (the run key, as for batch) is not stored again: trend reports it\n"
    "as unchanged and reuses the run. SCENARIO '-' reads standard input;\n"
    "-o - writes standard output.\n";

/* Stores one run of s for each year of t, each in its own transaction,
 * reusing the stored run of a year whose run key is unchanged. Prints how
 * many were stored and reused. Returns EXIT_OK or an exit status after
 * printing the error. */
static int store_years(const ts_cmd *c, ts_scenario *s, const ts_trend *t, const char *db) {
    ts_error err;
    ts_error_clear(&err);
    ts_store *st;
    if (ts_store_open(db, &st, &err)) return ts_cmd_error(c, &err);
    int saved = s->spec->year, rc = EXIT_OK, stored = 0, reused = 0;
    for (int y = 0; y < t->n_years && rc == EXIT_OK; y++) {
        s->spec->year = t->years[y];
        ts_dataset_select(s->data, t->years[y], s->spec->max_age, s->spec->interpolate);
        ts_result *r = NULL;
        ts_run_record *rec = NULL;
        long long id;
        int was_reused = 0;
        if (ts_score(s, &r, &err) || ts_run_record_new(s, NULL, &rec, &err) ||
            ts_store_save_record(st, s, r, rec, 1, &id, &was_reused, &err))
            rc = ts_cmd_error(c, &err);
        else if (was_reused) reused++;
        else stored++;
        ts_run_record_free(rec);
        ts_result_free(r);
    }
    s->spec->year = saved;
    ts_dataset_select(s->data, saved, s->spec->max_age, s->spec->interpolate);
    ts_store_close(st);
    if (rc == EXIT_OK)
        fprintf(c->errs, "%s: trend: %d year run%s stored in %s, %d unchanged (reused)\n", c->prog, stored,
                stored == 1 ? "" : "s", db, reused);
    return rc;
}

/* Parses a number >= lo (and <= hi) into *x. Returns 0, or -1 when v is
 * not one. */
static int parse_number(const char *v, double lo, double hi, double *x) {
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi)) return -1;
    *x = d;
    return 0;
}

int ts_cli_trend(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *scenario = NULL, *out_path = NULL, *db = NULL;
    double span = 3, threshold = NAN, min_coverage = 0.8;
    ts_format fmt = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_TREND, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--years", &missing))) {
            if (parse_number(v, 1, 100, &span) || span != floor(span))
                return ts_cmd_usage(c, USAGE_TREND, "--years takes a number of years (1 to 100), not '%s'", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--threshold", &missing))) {
            if (parse_number(v, 0, INFINITY, &threshold))
                return ts_cmd_usage(c, USAGE_TREND, "--threshold takes a number >= 0, not '%s'", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--min-coverage", &missing))) {
            if (parse_number(v, 0, 1, &min_coverage))
                return ts_cmd_usage(c, USAGE_TREND, "--min-coverage takes a share between 0 and 1, not '%s'", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt) || fmt == TS_FORMAT_JSON)
                return ts_cmd_usage(c, USAGE_TREND, "unknown format '%s' (table or csv)", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            out_path = v;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_TREND, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_TREND, "unknown option '%s'", argv[i]);
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_TREND, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!scenario) return ts_cmd_usage(c, USAGE_TREND, "trend needs a %s", "SCENARIO");
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_input in;
    ts_trend *t = NULL;
    int rc = ts_cmd_load_scenario(c, scenario, &in, &s);
    if (rc == EXIT_OK) {
        if (isnan(threshold)) threshold = 0.02 * (s->tax->scale_max - s->tax->scale_min);
        if (ts_trend_compute(s, (int)span, threshold, min_coverage, &t, &err)) rc = ts_cmd_error(c, &err);
    }
    if (rc == EXIT_OK && t->base_year == 0) {
        /* no kept year lies span years before the last: every change would be unknown */
        int first = t->years[0], last = t->years[t->n_years - 1];
        if (t->n_years < 2)
            fprintf(errs, "%s: %s: a trend needs two years, but only %d has the values it takes (--min-coverage)\n",
                    c->prog, in.path, last);
        else
            fprintf(errs, "%s: %s: --years %d is longer than the data: the years kept run from %d to %d, so the "
                    "longest trend is --years %d\n", c->prog, in.path, (int)span, first, last, last - first);
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK && db) rc = store_years(c, s, t, db);
    if (rc == EXIT_OK) {
        ts_outfile o;
        FILE *f = ts_cmd_open_output(c, out_path, &o);
        if (!f) {
            rc = EXIT_SYSTEM;
        } else {
            if (ts_trend_write(f, fmt, s, t, &err)) rc = ts_cmd_error(c, &err);
            int crc = ts_cmd_close_output(c, f, out_path, &o, rc == EXIT_OK);
            if (rc == EXIT_OK) rc = crc;
        }
    }
    ts_trend_free(t);
    ts_scenario_free(s);
    ts_input_free(&in);
    return rc;
}
