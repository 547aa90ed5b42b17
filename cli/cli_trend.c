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
    "--db stores one run per kept year, each with its year, all in one\n"
    "transaction (an interrupted trend stores nothing) and marked as one\n"
    "series, for `plot trend` (which draws the latest series). When every\n"
    "year's run is unchanged since it was stored (the run key, as for batch),\n"
    "nothing is stored again: trend reports the series as unchanged; when any\n"
    "year changed, the whole series is stored anew. Name a year's run\n"
    "SCENARIO@YEAR; SCENARIO alone names the latest run that is not a per-year\n"
    "run. SCENARIO '-' reads standard input; -o - writes standard output.\n";

/* Saves one run of s for each year of t in the transaction open on st
 * (ts_store_begin), with reuse (a run whose key is stored is not stored
 * again), storing the run ids in ids and counting the runs stored and
 * reused. Returns TS_OK or the error with err filled. */
static int save_years(ts_store *st, ts_scenario *s, const ts_trend *t, int reuse, long long *ids, int *stored,
                      int *reused, ts_error *err) {
    int rc = TS_OK;
    *stored = *reused = 0;
    for (int y = 0; y < t->n_years && rc == TS_OK; y++) {
        s->spec->year = t->years[y];
        ts_dataset_select(s->data, t->years[y], s->spec->max_age, s->spec->interpolate);
        ts_result *r = NULL;
        ts_run_record *rec = NULL;
        long long id = 0; /* read below even when saving failed */
        int was_reused = 0;
        if ((rc = ts_score(s, &r, err)) == TS_OK && (rc = ts_run_record_new(s, NULL, &rec, err)) == TS_OK)
            rc = ts_store_save_record(st, s, r, rec, reuse, &id, &was_reused, err);
        if (rc == TS_OK) ++*(was_reused ? reused : stored);
        ids[y] = id;
        ts_run_record_free(rec);
        ts_result_free(r);
    }
    return rc;
}

/* Returns 1 when the runs ids[0..n) are exactly the latest trend of s's
 * scenario in st (ts_store_trend_runs), 0 when not or on an error. */
static int is_latest_trend(ts_store *st, const ts_scenario *s, const long long *ids, int n) {
    long long latest[256];
    int m = 0;
    ts_error err;
    if (n > 256 || ts_store_trend_runs(st, s->name, latest, 256, &m, &err) != TS_OK || m != n) return 0;
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int j = 0; j < m && !found; j++) found = latest[j] == ids[i];
        if (!found) return 0;
    }
    return 1;
}

/* Stores one run of s for each year of t, all in one transaction as one
 * series: a failure or a kill leaves none of them. When the scenario's
 * latest trend holds exactly these runs, unchanged, nothing is stored
 * again; otherwise the whole series is stored anew (not only the years
 * that changed), so that `plot trend` never draws a series of mixed ages
 * or other years. Prints what was stored. Returns EXIT_OK or an exit
 * status after printing the error. */
static int store_years(const ts_cmd *c, ts_scenario *s, const ts_trend *t, const char *db) {
    ts_error err;
    ts_error_clear(&err);
    ts_store *st;
    if (ts_store_open(db, &st, &err)) return ts_cmd_error(c, &err);
    int saved = s->spec->year, stored = 0, reused = 0;
    long long *ids = calloc((size_t)t->n_years + 1, sizeof *ids);
    int rc = ids ? ts_store_begin(st, 1, &err) : ts_fail(&err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (rc == TS_OK) rc = save_years(st, s, t, 1, ids, &stored, &reused, &err);
    if (rc == TS_OK && reused && (stored || !is_latest_trend(st, s, ids, t->n_years))) {
        /* not the stored trend as it is: the whole series again */
        ts_store_rollback(st);
        rc = ts_store_begin(st, 1, &err);
        if (rc == TS_OK) rc = save_years(st, s, t, 0, ids, &stored, &reused, &err);
    }
    free(ids);
    if (rc == TS_OK) rc = ts_store_commit(st, &err);
    if (rc != TS_OK) ts_store_rollback(st);
    s->spec->year = saved;
    ts_dataset_select(s->data, saved, s->spec->max_age, s->spec->interpolate);
    ts_store_close(st);
    if (rc != TS_OK) return ts_cmd_error(c, &err);
    if (reused) fprintf(c->errs, "%s: trend: unchanged, the %d year runs in %s reused\n", c->prog, reused, db);
    else fprintf(c->errs, "%s: trend: %d year run%s stored in %s\n", c->prog, stored, stored == 1 ? "" : "s", db);
    return EXIT_OK;
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
    int span_given = 0;
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
            span_given = 1;
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
    /* neither -o nor --db may name a file the trend reads */
    const ts_cmd_input inputs[] = {{scenario, "the scenario", 0}, {db, "the database", 1}};
    if (ts_cmd_check_output(c, "-o", out_path, inputs, 2) != EXIT_OK || ts_cmd_check_output(c, "--db", db, inputs, 1) != EXIT_OK)
        return EXIT_USAGE;
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_file_arg in;
    ts_trend *t = NULL;
    int rc = ts_cmd_load_scenario(c, scenario, &in, &s);
    if (rc == EXIT_OK && (ts_cmd_check_output_scenario(c, "-o", out_path, s) || ts_cmd_check_output_scenario(c, "--db", db, s)))
        rc = EXIT_USAGE;
    if (rc == EXIT_OK) {
        if (isnan(threshold)) threshold = 0.02 * (s->tax->scale_max - s->tax->scale_min);
        if (ts_trend_compute(s, (int)span, threshold, min_coverage, &t, &err)) rc = ts_cmd_error(c, &err);
    }
    if (rc == EXIT_OK && t->base_year == 0) {
        /* no kept year lies span years before the last: every change would
           be unknown. An explicit --years is an error; the default gives
           way to the longest span the data allow, and says so. */
        int first = t->years[0], last = t->years[t->n_years - 1];
        if (t->n_years < 2) {
            fprintf(errs, "%s: %s: a trend needs two years, but only %d has the values it takes (--min-coverage)\n",
                    c->prog, in.path, last);
            rc = EXIT_INPUT;
        } else if (span_given) {
            fprintf(errs, "%s: %s: --years %d is longer than the data: the years kept run from %d to %d, so the "
                    "longest trend is --years %d\n", c->prog, in.path, (int)span, first, last, last - first);
            rc = EXIT_USAGE;
        } else {
            fprintf(errs, "%s: %s: the years kept run from %d to %d: the trend is over %d year%s, not the default 3\n",
                    c->prog, in.path, first, last, last - first, last - first == 1 ? "" : "s");
            ts_trend_free(t);
            t = NULL;
            if (ts_trend_compute(s, last - first, threshold, min_coverage, &t, &err)) rc = ts_cmd_error(c, &err);
        }
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
    ts_file_arg_free(&in);
    return rc;
}
