/* cli_trend.c -- `threatscore trend`: scores per year and trends. */
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
    "coverage, not risk. --db stores one run per kept year, each with its year,\n"
    "all in one transaction (an interrupted trend stores nothing) and marked as\n"
    "one series, for `plot trend` (which draws the latest series). Name a year's\n"
    "run SCENARIO@YEAR; SCENARIO alone names the latest run that is not a\n"
    "per-year run.\n";

/* Stores one run of s for each year of t, all in one transaction as one
 * series: a failure or a kill leaves none of them. Returns 0 or an exit
 * status after printing the error. */
static int store_years(ts_scenario *s, const ts_trend *t, const char *db, FILE *errs) {
    ts_error err;
    ts_error_clear(&err);
    ts_store *st;
    if (ts_store_open(db, &st, &err)) {
        return ts_print_error(errs, "threatscore", &err);
    }
    int saved = s->spec->year, rc = 0;
    if (ts_store_begin(st, 1, &err)) rc = ts_print_error(errs, "threatscore", &err);
    for (int y = 0; y < t->n_years && rc == 0; y++) {
        s->spec->year = t->years[y];
        ts_dataset_select(s->data, t->years[y], s->spec->max_age, s->spec->interpolate);
        ts_result *r = NULL;
        ts_score(s, &r, &err);
        long long id;
        if (!r || ts_store_save(st, s, r, &id, &err)) {
            rc = ts_print_error(errs, "threatscore", &err);
        }
        ts_result_free(r);
    }
    if (rc == 0 && ts_store_commit(st, &err)) rc = ts_print_error(errs, "threatscore", &err);
    if (rc) ts_store_rollback(st);
    s->spec->year = saved;
    ts_dataset_select(s->data, saved, s->spec->max_age, s->spec->interpolate);
    ts_store_close(st);
    return rc;
}

int ts_cli_trend(int argc, char **argv, FILE *out, FILE *errs) {
    const char *scenario = NULL, *out_path = NULL, *db = NULL;
    int span = 3;
    double threshold = NAN, min_coverage = 0.8;
    ts_format fmt = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (ts_is_help(a)) {
            fputs(USAGE_TREND, out);
            return 0;
        }
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--years") && has_value) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100) {
                fprintf(errs, "threatscore: --years takes a number of years, not '%s'\n\n%s", argv[i], USAGE_TREND);
                return 2;
            }
            span = (int)v;
        } else if (!strcmp(a, "--threshold") && has_value) {
            char *end;
            threshold = strtod(argv[++i], &end);
            if (*end || !(threshold >= 0)) {
                fprintf(errs, "threatscore: --threshold takes a number >= 0, not '%s'\n\n%s", argv[i], USAGE_TREND);
                return 2;
            }
        } else if (!strcmp(a, "--min-coverage") && has_value) {
            char *end;
            min_coverage = strtod(argv[++i], &end);
            if (*end || !(min_coverage >= 0 && min_coverage <= 1)) {
                fprintf(errs, "threatscore: --min-coverage takes a share between 0 and 1, not '%s'\n\n%s", argv[i],
                        USAGE_TREND);
                return 2;
            }
        } else if (!strcmp(a, "--format") && has_value) {
            if (ts_format_parse(argv[++i], &fmt) || fmt == TS_FORMAT_JSON) {
                fprintf(errs, "threatscore: unknown format '%s' (table or csv)\n\n%s", argv[i], USAGE_TREND);
                return 2;
            }
        } else if (!strcmp(a, "--db") && has_value) {
            db = argv[++i];
        } else if (!strcmp(a, "-o") && has_value) {
            out_path = argv[++i];
        } else if (a[0] == '-' || scenario) {
            fprintf(errs, "threatscore: unexpected argument '%s'\n\n%s", a, USAGE_TREND);
            return 2;
        } else {
            scenario = a;
        }
    }
    if (!scenario) {
        fprintf(errs, "threatscore: trend needs a SCENARIO\n\n%s", USAGE_TREND);
        return 2;
    }
    /* neither -o nor --db may name a file the trend reads */
    const ts_cmd c = {out, errs, "threatscore"};
    const ts_cmd_input in[] = {{scenario, "the scenario", 0}, {db, "the database", 1}};
    if (ts_cmd_check_output(&c, "-o", out_path, in, 2) != EXIT_OK || ts_cmd_check_output(&c, "--db", db, in, 1) != EXIT_OK)
        return EXIT_USAGE;
    ts_error err;
    ts_error_clear(&err);
    char msg[2048];
    ts_scenario *s = NULL;
    ts_scenario_load(scenario, &s, &err);
    ts_trend *t = NULL;
    int rc = 0;
    if (s && (ts_cmd_check_output_scenario(&c, "-o", out_path, s) || ts_cmd_check_output_scenario(&c, "--db", db, s))) {
        ts_scenario_free(s);
        return EXIT_USAGE;
    }
    if (s) {
        if (isnan(threshold)) threshold = 0.02 * (s->tax->scale_max - s->tax->scale_min);
        ts_trend_compute(s, span, threshold, min_coverage, &t, &err);
    }
    if (!s || !t) {
        rc = ts_print_error(errs, "threatscore", &err);
    } else if (db && (rc = store_years(s, t, db, errs)) != 0) {
        /* reported */
    } else {
        /* written whole or not at all, as every -o (ts_outfile) */
        ts_outfile o;
        FILE *f = ts_open_output(out, errs, "threatscore", out_path, &o);
        if (!f) {
            rc = 3;
        } else {
            if (ts_trend_write(f, fmt, s, t, &err)) {
                fprintf(errs, "threatscore: %s\n", ts_error_format(&err, msg, sizeof msg));
                rc = 3;
            }
            int crc = ts_close_output(errs, "threatscore", f, out_path, &o, rc == 0);
            if (rc == 0) rc = crc;
        }
    }
    ts_trend_free(t);
    ts_scenario_free(s);
    return rc;
}
