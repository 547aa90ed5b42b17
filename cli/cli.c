/* cli.c -- subcommands validate, score, runs, explain and import; the
 * dispatch of every command (the others are in cli_*.c, one file per
 * command family). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "explain.h"
#include "import.h"
#include "pipeline.h"
#include "report.h"
#include "scenario.h"
#include "store.h"

static const char USAGE[] =
    "usage: threatscore COMMAND [ARGS]\n"
    "\n"
    "Scores threat indicators through a configurable taxonomy.\n"
    "\n"
    "commands:\n"
    "  validate FILE...          check taxonomy and scenario files\n"
    "  score SCENARIO            score one scenario (or --taxonomy T --data CSV)\n"
    "  batch SCENARIO_OR_DIR...  score many scenarios into a database\n"
    "  runs --db FILE            list the runs stored in a database\n"
    "  compare --db FILE RUN...  compare stored runs (scores, ranks, classes)\n"
    "  alert --db FILE           class changes, near thresholds and jumps, with drivers\n"
    "  export --db FILE --run ID write a stored run with its traces (csv, json)\n"
    "  rescore --db FILE --run ID  re-run a stored run and check it is identical\n"
    "  watch SCENARIO            re-score on every save and show what changed\n"
    "  explain SCENARIO UNIT [NODE]  trace a score to its inputs\n"
    "  import coinr IDATA IMETA  turn COINr's tables into taxonomy and scenario files\n"
    "  uncertainty SCENARIO      uncertainty and sensitivity analysis (-N, --sobol)\n"
    "  trend SCENARIO            scores per year and each unit's trend\n"
    "  weights SCENARIO          every indicator's effective weight at the index\n"
    "  audit SCENARIO            statistical audit: coherence, redundancy, influence\n"
    "  plot --db FILE KIND       draw a chart of stored runs with gnuplot\n"
    "  plot correlation SCENARIO the correlation matrix within a node, as audit finds it\n"
    "  new-scenario NAME --extends FILE  write a commented what-if scenario skeleton\n"
    "  report --db FILE -o F.html  a briefing report: one self-contained HTML page\n"
    "\n"
    "Run 'threatscore COMMAND --help' for a command's options. Also:\n"
    "  --version                 print the version\n"
    "  --man                     print this manual as a man page (roff), from the\n"
    "                            same texts as --help\n"
    "  --complete N WORD...      print the completions of word N of a command line\n"
    "                            (for the bash completion script)\n"
    "\n"
    "A file argument '-' reads standard input, -o - writes standard output.\n"
    "Exit status: 0 success, 1 bad input (FILE:LINE: MESSAGE on stderr; nothing\n"
    "is written to a database), 2 usage error, 3 system error.\n";

static const char USAGE_VALIDATE[] =
    "usage: threatscore validate FILE_OR_DIR...\n"
    "\n"
    "Checks each taxonomy or scenario file (the kind is recognised by its\n"
    "keys); a scenario is also scored, so every problem the engine would meet\n"
    "is reported. A directory stands for its *.cfg files in name order, as for\n"
    "batch; '-' reads one file from standard input. Errors are printed as\n"
    "FILE:LINE: MESSAGE; exit status 1 when any file fails.\n";

static const char USAGE_SCORE[] =
    "usage: threatscore score SCENARIO [options]\n"
    "       threatscore score --taxonomy T.cfg --data D.csv [options]\n"
    "\n"
    "Scores one scenario and prints the result.\n"
    "\n"
    "options:\n"
    "  --db FILE              also store the run in this SQLite file\n"
    "  --perspective NAME     lay the taxonomy's weight profile NAME over the\n"
    "                         scenario (the run is named \"SCENARIO (perspective NAME)\")\n"
    "  --set KEY=VALUE        override a method setting for every node, e.g.\n"
    "                         normalise=zscore, normalise.range=1,100,\n"
    "                         aggregate=geometric, treat=none|coinr,\n"
    "                         impute=mean|median, data_threshold=0.5,\n"
    "                         screen=0.66, weights=equal|SET (repeatable)\n"
    "  --format table|csv|json  output format (default table); csv is long\n"
    "                         format, one row per unit x node\n"
    "  -o FILE                write the output to FILE instead of stdout\n"
    "  --lean                 what table and csv output do anyway without --db:\n"
    "                         keep only what they print (about 1.7x the value\n"
    "                         matrix in memory); kept for scripts that pass it\n"
    "  --taxonomy FILE        score a wide CSV against this taxonomy ...\n"
    "  --data FILE            ... read from this CSV (one row per unit)\n"
    TS_CSV_OPTIONS_HELP
    "\n"
    "The header names the scale in effect. normalise.range=LO,HI moves the\n"
    "scores onto LO-HI, and the class thresholds with them, linearly:\n"
    "min' = LO + (min - scale.min) x (HI - LO) / (scale.max - scale.min), so\n"
    "\"High\" from 5 on a 0-10 scale is \"High\" from 50.5 on 1-100.\n"
    "\n"
    "SCENARIO or --data FILE '-' reads standard input (relative names in it\n"
    "resolve against the current directory); -o - writes standard output.\n";

static const char USAGE_EXPLAIN[] =
    "usage: threatscore explain SCENARIO UNIT [NODE] [--set KEY=VALUE]... [--format table|csv] [-o FILE]\n"
    "\n"
    "Traces UNIT's score at NODE (default: the index) to its inputs: for every\n"
    "indicator under NODE its raw value, source and year, transformed and\n"
    "normalised value, weight, effective weight at NODE and contribution to\n"
    "NODE's score. The contributions add up to the score: at an arithmetic node\n"
    "a child contributes weight x value (weights rescaled among the children\n"
    "with data); a geometric or harmonic node splits its score among its\n"
    "children in proportion to weight x value.\n";

static const char USAGE_IMPORT[] =
    "usage: threatscore import coinr IDATA.csv IMETA.csv --taxonomy-out T.cfg --scenario-out S.cfg\n"
    "\n"
    "Reads COINr's iData (one row per unit) and iMeta (one row per indicator,\n"
    "aggregate, group or denominator) and writes a taxonomy file (the tree,\n"
    "weights, directions, targets, denominators; minmax 0-100 and arithmetic\n"
    "means as COINr's defaults) and a scenario file (units with their groups\n"
    "and denominators, the values by year, COINr's default outlier treatment).\n"
    "Score other COINr variants with --set, e.g. --set normalise=zscore.\n";

static const char USAGE_RUNS[] =
    "usage: threatscore runs --db FILE [--format table|csv|json]\n"
    "\n"
    "Lists the runs stored in FILE with their provenance. A per-year run (from\n"
    "`trend --db`, or scored with --set year=Y) shows its year: name it\n"
    "SCENARIO@YEAR; a scenario name alone names its latest run without a year.\n";


/* ---- validate ---------------------------------------------------------- */

/* Validates one file (its text at read, named path) by its kind, reading
 * it and the files it names through cache so that files shared by the
 * scenarios are read and parsed once. Returns the exit status, after
 * printing "ok" or the error. */
static int validate_one(ts_cmd *c, ts_load_cache *cache, const char *path, const char *read) {
    ts_error err;
    ts_error_clear(&err);
    int kind;
    if (ts_config_kind_cached(path, read, cache, &kind, &err)) return ts_cmd_error(c, &err);
    if (kind == TS_FILE_TAXONOMY) {
        ts_taxonomy *t = NULL, *own = NULL;
        if (strcmp(path, read) == 0) {
            ts_load_cache_taxonomy(cache, path, &t, &err); /* the cache's */
        } else {
            ts_taxonomy_load_as(path, read, &own, &err);
            t = own;
        }
        if (!t) return ts_cmd_error(c, &err);
        fprintf(c->out, "%s: ok (taxonomy '%s': %d nodes, %d indicators)\n", path, t->id, t->n_nodes,
                t->n_indicators);
        ts_taxonomy_free(own);
        return EXIT_OK;
    }
    ts_scenario *s = NULL;
    ts_scenario_load_cached(path, read, cache, &s, &err);
    if (!s) return ts_cmd_error(c, &err);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) {
        ts_scenario_free(s);
        return ts_cmd_error(c, &err);
    }
    size_t cells = (size_t)s->data->n_units * (size_t)s->tax->n_indicators, present = 0;
    for (size_t k = 0; k < cells; k++) present += s->data->values[k] == s->data->values[k];
    char name[512];
    fprintf(c->out, "%s: ok (scenario '%s': %d units, %d indicators, %zu of %zu values present)\n", path,
            ts_term_safe(name, sizeof name, s->name), s->data->n_units, s->tax->n_indicators, present, cells);
    ts_result_free(r);
    ts_scenario_free(s);
    return EXIT_OK;
}

static int cmd_validate(ts_cmd *c, int argc, char **argv) {
    if (argc < 2) return ts_cmd_usage(c, USAGE_VALIDATE, "validate needs at least one %s", "FILE");
    for (int i = 1; i < argc; i++)
        if (ts_is_help(argv[i])) {
            fputs(USAGE_VALIDATE, c->out);
            return EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_VALIDATE, "unknown option '%s'", argv[i]);
        }
    int worst = ts_cmd_one_stdin(c, USAGE_VALIDATE, argc, argv);
    if (worst != EXIT_OK) return worst;
    ts_error err;
    ts_load_cache *cache = NULL;
    if (ts_load_cache_new(1, &cache, &err)) return ts_cmd_error(c, &err);
    for (int i = 1; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "-") == 0) {
            ts_file_arg in;
            rc = ts_cmd_file_arg(c, argv[i], &in);
            if (rc == EXIT_OK) rc = validate_one(c, cache, in.path, in.read);
            ts_file_arg_free(&in);
        } else {
            /* a directory stands for its *.cfg files, as for batch */
            ts_path_list files = {0};
            rc = ts_cmd_collect(c, argv[i], &files);
            for (int k = 0; k < files.n; k++) {
                int one = validate_one(c, cache, files.path[k], files.path[k]);
                if (one > rc) rc = one;
            }
            ts_path_list_free(&files);
        }
        if (rc > worst) worst = rc;
    }
    ts_load_cache_free(cache);
    return worst;
}

/* ---- score ------------------------------------------------------------- */

/* --set KEY=VALUE overrides: the shared ones of cliopt.h, also used by audit. */
typedef ts_overrides overrides;

static int add_override(ts_cmd *c, overrides *ov, const char *kv, const char *usage) {
    return ts_overrides_add(c->errs, c->prog, ov, kv, usage);
}

static int apply_overrides(ts_cmd *c, ts_scenario *s, const overrides *ov) {
    return ts_overrides_apply(c->errs, c->prog, s, ov);
}

typedef struct score_opts {
    const char *scenario, *db, *out_path, *taxonomy, *data, *perspective;
    int lean;
    overrides ov;
    ts_format format;
    ts_csv_args csv;
} score_opts;

static void score_opts_free(score_opts *o) {
    ts_csv_args_free(&o->csv);
}

static int parse_score_opts(ts_cmd *c, int argc, char **argv, score_opts *o) {
    memset(o, 0, sizeof *o);
    o->format = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        int missing = 0, rc;
        const char *v;
        if (ts_csv_args_parse(c, USAGE_SCORE, argc, argv, &i, &o->csv, &rc)) {
            if (rc) return rc;
        } else if (ts_is_help(argv[i])) {
            fputs(USAGE_SCORE, c->out);
            return -1;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            o->db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            o->out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &o->format))
                return ts_cmd_usage(c, USAGE_SCORE, "unknown format '%s' (table, csv or json)", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            if ((rc = add_override(c, &o->ov, v, USAGE_SCORE))) return rc;
        } else if ((v = ts_opt_value(argc, argv, &i, "--perspective", &missing))) {
            o->perspective = v;
        } else if (strcmp(argv[i], "--lean") == 0) {
            o->lean = 1;
        } else if ((v = ts_opt_value(argc, argv, &i, "--taxonomy", &missing))) {
            o->taxonomy = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--data", &missing))) {
            o->data = v;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_SCORE, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_SCORE, "unknown option '%s'", argv[i]);
        } else if (!o->scenario) {
            o->scenario = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_SCORE, "unexpected argument '%s'", argv[i]);
        }
    }
    if (o->lean && (o->format == TS_FORMAT_JSON || o->db))
        return ts_cmd_usage(c, USAGE_SCORE, "--lean writes table or csv output only, without --db%s", "");
    if (o->scenario && (o->taxonomy || o->data))
        return ts_cmd_usage(c, USAGE_SCORE, "give a scenario or --taxonomy with --data, not both%s", "");
    if (!o->scenario && !(o->taxonomy && o->data))
        return ts_cmd_usage(c, USAGE_SCORE, "score needs a SCENARIO, or --taxonomy and --data%s", "");
    if (o->scenario && o->csv.given)
        return ts_cmd_usage(c, USAGE_SCORE, "CSV options need --taxonomy and --data%s", "");
    return 0;
}

/* Loads, scores, optionally stores (with the options that shaped the run,
 * so that rescore can repeat it) and reports one scenario. With a store,
 * the run is committed only after its report is written to the output
 * (held until ts_cmd_close_output: the -o file's temporary, or standard
 * output's): a report that fails, out of memory included, leaves no run,
 * and a run that cannot be committed leaves no report. Only moving the
 * output into place, an I/O error, can fail after the commit. */
static int score_and_store(ts_cmd *c, ts_scenario *s, const char *db, ts_format fmt, const char *out_path,
                           const ts_run_options *opt) {
    ts_error err;
    ts_error_clear(&err);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    if (!r) return ts_cmd_error(c, &err);
    ts_outfile tmp;
    FILE *f = ts_cmd_open_output(c, out_path, &tmp);
    if (!f) {
        ts_result_free(r);
        return EXIT_SYSTEM;
    }
    long long run_id = 0;
    int rc = EXIT_OK;
    ts_store *st = NULL;
    if (db) {
        ts_run_record *rec = NULL;
        if (ts_store_open(db, &st, &err) || ts_run_record_new(s, opt, &rec, &err) != TS_OK ||
            ts_store_begin(st, 0, &err) || ts_store_save_record(st, s, r, rec, 0, &run_id, NULL, &err))
            rc = ts_cmd_error(c, &err);
        ts_run_record_free(rec);
    }
    if (rc == EXIT_OK && ts_report_write(f, fmt, s, r, run_id, &err)) rc = ts_cmd_error(c, &err);
    if (rc == EXIT_OK && st && ts_store_commit(st, &err)) rc = ts_cmd_error(c, &err);
    if (rc != EXIT_OK) ts_store_rollback(st);
    ts_store_close(st);
    int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
    ts_result_free(r);
    return rc != EXIT_OK ? rc : crc;
}

/* score without --db, as table or csv: scores s keeping only what the
 * output prints (its values are consumed) and writes it, byte for byte
 * what the full result would print. */
static int score_lean(ts_cmd *c, ts_scenario *s, ts_format fmt, const char *out_path) {
    ts_error err;
    ts_error_clear(&err);
    ts_lean_result *r = NULL;
    ts_score_lean(s, &r, &err);
    if (!r) return ts_cmd_error(c, &err);
    ts_outfile tmp;
    FILE *f = ts_cmd_open_output(c, out_path, &tmp);
    int rc = f ? EXIT_OK : EXIT_SYSTEM;
    if (f && (fmt == TS_FORMAT_CSV ? ts_report_write_lean_csv(f, s, r, &err)
                                   : ts_report_write_lean_table(f, s, r, &err))) {
        if (ts_error_oom(&err)) rc = ts_cmd_error(c, &err); /* not a write that failed */
        else rc = (fprintf(c->errs, "%s: cannot write the scores\n", c->prog), EXIT_SYSTEM);
    }
    if (f) {
        int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
        if (rc == EXIT_OK) rc = crc;
    }
    ts_lean_result_free(r);
    return rc;
}

static int cmd_score(ts_cmd *c, int argc, char **argv) {
    score_opts o;
    int rc = parse_score_opts(c, argc, argv, &o);
    if (rc != 0) {
        score_opts_free(&o);
        return rc < 0 ? EXIT_OK : rc;
    }
    /* neither -o nor --db may name a file the run reads */
    const ts_cmd_input inputs[] = {{o.scenario, "the scenario", 0}, {o.taxonomy, "the taxonomy", 0},
                                   {o.data, "the data file", 0}, {o.db, "the database", 1}};
    rc = ts_cmd_check_output(c, "-o", o.out_path, inputs, 4);
    if (rc == EXIT_OK) rc = ts_cmd_check_output(c, "--db", o.db, inputs, 3);
    if (rc != EXIT_OK) {
        score_opts_free(&o);
        return rc;
    }
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_file_arg in = {0};
    rc = o.scenario ? ts_cmd_load_scenario(c, o.scenario, &in, &s)
                    : ts_cmd_load_csv(c, o.taxonomy, o.data, &o.csv, &in, &s);
    if (!s) {
        /* reported */
    } else if ((rc = ts_cmd_check_output_scenario(c, "-o", o.out_path, s)) != EXIT_OK ||
               (rc = ts_cmd_check_output_scenario(c, "--db", o.db, s)) != EXIT_OK) {
        /* reported */
    } else if (o.perspective && ts_scenario_apply_perspective(s, o.perspective, &err)) rc = ts_cmd_error(c, &err);
    else rc = apply_overrides(c, s, &o.ov);
    const char *persp[1] = {o.perspective};
    ts_run_options ro = {o.ov.n, o.ov.set, o.perspective ? 1 : 0, persp, o.scenario ? NULL : &o.csv.opt};
    /* JSON and a stored run need the whole result */
    if (s && rc == EXIT_OK && !o.db && o.format != TS_FORMAT_JSON) rc = score_lean(c, s, o.format, o.out_path);
    else if (s && rc == EXIT_OK) rc = score_and_store(c, s, o.db, o.format, o.out_path, &ro);
    ts_scenario_free(s);
    ts_file_arg_free(&in);
    score_opts_free(&o);
    return rc;
}

/* ---- explain ----------------------------------------------------------- */

static int cmd_explain(ts_cmd *c, int argc, char **argv) {
    const char *pos[3] = {NULL, NULL, NULL}, *out_path = NULL;
    int n_pos = 0;
    overrides ov = {{0}, 0};
    ts_format fmt = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_EXPLAIN, c->out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt) || fmt == TS_FORMAT_JSON)
                return ts_cmd_usage(c, USAGE_EXPLAIN, "unknown format '%s' (table or csv)", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing))) {
            out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            int rc = add_override(c, &ov, v, USAGE_EXPLAIN);
            if (rc) return rc;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_EXPLAIN, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_EXPLAIN, "unknown option '%s'", argv[i]);
        } else if (n_pos < 3) {
            pos[n_pos++] = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_EXPLAIN, "unexpected argument '%s'", argv[i]);
        }
    }
    if (n_pos < 2) return ts_cmd_usage(c, USAGE_EXPLAIN, "explain needs a SCENARIO and a %s", "UNIT");
    const ts_cmd_input scen_in = {pos[0], "the scenario", 0};
    if (ts_cmd_check_output(c, "-o", out_path, &scen_in, 1) != EXIT_OK) return EXIT_USAGE;
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_file_arg in;
    int rc = ts_cmd_load_scenario(c, pos[0], &in, &s);
    if (rc == EXIT_OK) rc = ts_cmd_check_output_scenario(c, "-o", out_path, s);
    if (rc == EXIT_OK) rc = apply_overrides(c, s, &ov);
    if (rc != EXIT_OK) {
        ts_scenario_free(s);
        ts_file_arg_free(&in);
        return rc;
    }
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    ts_explain *x = NULL;
    int u = -1, k = -1;
    if (!r) rc = ts_cmd_error(c, &err);
    if (rc == EXIT_OK && (u = ts_dataset_find_unit(s->data, pos[1])) < 0) rc = ts_cmd_unknown_unit(c, s, pos[1]);
    if (rc == EXIT_OK) {
        k = pos[2] ? ts_taxonomy_find(s->tax, pos[2]) : ts_taxonomy_root(s->tax);
        if (k < 0) rc = ts_cmd_error(c, (ts_taxonomy_unknown(s->tax, "node", pos[2], 0, s->taxonomy_path, 0, &err), &err));
    }
    if (rc == EXIT_OK && ts_explain_unit(s, r, u, k, &x, &err) != TS_OK) rc = ts_cmd_error(c, &err);
    if (rc == EXIT_OK) {
        ts_outfile tmp;
        FILE *f = ts_cmd_open_output(c, out_path, &tmp);
        if (!f) rc = EXIT_SYSTEM;
        else {
            if (ts_explain_write(f, fmt, s, r, x, &err)) rc = ts_cmd_error(c, &err);
            int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
            if (rc == EXIT_OK) rc = crc;
        }
    }
    ts_explain_free(x);
    ts_result_free(r);
    ts_scenario_free(s);
    ts_file_arg_free(&in);
    return rc;
}

/* ---- import ------------------------------------------------------------ */

static int cmd_import(ts_cmd *c, int argc, char **argv) {
    const char *pos[3] = {NULL, NULL, NULL}, *tax = NULL, *scen = NULL;
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_IMPORT, c->out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--taxonomy-out", &missing))) {
            tax = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--scenario-out", &missing))) {
            scen = v;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_IMPORT, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_IMPORT, "unknown option '%s'", argv[i]);
        } else if (n_pos < 3) {
            pos[n_pos++] = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_IMPORT, "unexpected argument '%s'", argv[i]);
        }
    }
    if (n_pos != 3 || strcmp(pos[0], "coinr") != 0)
        return ts_cmd_usage(c, USAGE_IMPORT, "import takes: coinr IDATA IMETA%s", "");
    if (!tax || !scen) return ts_cmd_usage(c, USAGE_IMPORT, "import needs --taxonomy-out and --scenario-out%s", "");
    /* the scenario names its taxonomy by path, so both must be files */
    if (strcmp(tax, "-") == 0 || strcmp(scen, "-") == 0)
        return ts_cmd_usage(c, USAGE_IMPORT, "--taxonomy-out and --scenario-out need files, not '%s'", "-");
    /* the engine reads a table "-" from standard input itself, once */
    int rc = ts_cmd_one_stdin(c, USAGE_IMPORT, argc, argv);
    if (rc != EXIT_OK) return rc;
    /* neither output may be an input, nor the other output */
    const ts_cmd_input in[] = {{pos[1], "the iData file", 0}, {pos[2], "the iMeta file", 0},
                               {tax, "the --taxonomy-out file", 0}};
    if (ts_cmd_check_output(c, "--taxonomy-out", tax, in, 2) != EXIT_OK ||
        ts_cmd_check_output(c, "--scenario-out", scen, in, 3) != EXIT_OK)
        return EXIT_USAGE;
    ts_error err;
    ts_error_clear(&err);
    if (ts_import_coinr(pos[1], pos[2], tax, scen, &err) != TS_OK) return ts_cmd_error(c, &err);
    fprintf(c->out, "wrote %s and %s\n", tax, scen);
    return EXIT_OK;
}

/* ---- runs -------------------------------------------------------------- */

typedef struct runs_ctx {
    FILE *out;
    ts_format fmt;
    int count;
    ts_buf b;
    int name_width; /* the table's scenario column: the widest name, at most 48 */
} runs_ctx;

/* Widens the table's scenario column to fit run's name (as printed). */
static int measure_run(const ts_run_info *run, void *vctx) {
    runs_ctx *x = vctx;
    char safe[512];
    int w = ts_text_width(ts_term_safe(safe, sizeof safe, run->scenario));
    if (w > x->name_width) x->name_width = w > 48 ? 48 : w;
    return 0;
}

/* Appends s padded with spaces to width characters, a longer name cut to
 * width - 1 characters and an ellipsis so the columns stay in line;
 * control characters escaped as ts_buf_term does: a name must not send
 * escapes to the terminal. */
static void pad_text(ts_buf *b, const char *s, int width) {
    char safe[512];
    ts_term_safe(safe, sizeof safe, s);
    if (ts_text_width(safe) > width) {
        /* keep width - 1 characters: cut at the lead byte of the next one */
        int seen = 0;
        char *p = safe;
        for (; *p; p++)
            if (((unsigned char)*p & 0xc0) != 0x80 && seen++ == width - 1) break;
        *p = '\0';
        ts_buf_puts(b, safe);
        ts_buf_puts(b, "\xe2\x80\xa6"); /* U+2026, the ellipsis */
        return;
    }
    ts_buf_puts(b, safe);
    for (int w = ts_text_width(safe); w < width; w++) ts_buf_puts(b, " ");
}

static int print_run(const ts_run_info *run, void *vctx) {
    runs_ctx *x = vctx;
    ts_buf *b = &x->b;
    if (x->fmt == TS_FORMAT_TABLE) {
        /* a database may come from someone else: no byte of it reaches the
           terminal as a control sequence */
        char year[16] = "-", f[6][512];
        if (run->year) snprintf(year, sizeof year, "%d", run->year);
        ts_buf_printf(b, "%5lld  ", run->id);
        pad_text(b, run->scenario, x->name_width);
        ts_buf_printf(b, "  %4s  %-24s  %-14s  %5d %5d  %.12s  %.12s  %.12s  %s\n", year,
                      ts_term_safe(f[0], sizeof f[0], run->created_at), ts_term_safe(f[1], sizeof f[1], run->taxonomy_id),
                      run->n_units, run->n_indicators, ts_term_safe(f[2], sizeof f[2], run->taxonomy_sha256),
                      ts_term_safe(f[3], sizeof f[3], run->scenario_sha256),
                      ts_term_safe(f[4], sizeof f[4], run->data_sha256),
                      ts_term_safe(f[5], sizeof f[5], run->engine_version));
    } else if (x->fmt == TS_FORMAT_CSV) {
        ts_buf_printf(b, "%lld,", run->id);
        const char *fields[] = {run->scenario, run->created_at, run->taxonomy_id, run->scenario_path,
                                run->taxonomy_path, run->data_path, run->scenario_sha256,
                                run->taxonomy_sha256, run->data_sha256, run->engine_version};
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            ts_csv_field(b, fields[i]);
            ts_buf_puts(b, ",");
        }
        ts_buf_printf(b, "%d,%d,", run->n_units, run->n_indicators);
        if (run->year) ts_buf_printf(b, "%d", run->year);
        ts_buf_puts(b, "\n");
    } else {
        ts_buf_printf(b, "%s{\"id\":%lld,\"scenario\":", x->count ? ",\n" : "\n", run->id);
        ts_buf_json_string(b, run->scenario);
        const char *keys[] = {"created_at", "taxonomy", "scenario_path", "taxonomy_path", "data_path",
                              "scenario_sha256", "taxonomy_sha256", "data_sha256", "engine_version"};
        const char *vals[] = {run->created_at, run->taxonomy_id, run->scenario_path, run->taxonomy_path,
                              run->data_path, run->scenario_sha256, run->taxonomy_sha256, run->data_sha256,
                              run->engine_version};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            ts_buf_printf(b, ",\"%s\":", keys[i]);
            ts_buf_json_string(b, vals[i]);
        }
        ts_buf_printf(b, ",\"n_units\":%d,\"n_indicators\":%d,\"year\":", run->n_units, run->n_indicators);
        if (run->year) ts_buf_printf(b, "%d}", run->year);
        else ts_buf_puts(b, "null}");
    }
    x->count++;
    if (b->oom) return 1; /* cmd_runs reports it */
    if (b->len > 1 << 16) {
        fwrite(b->data, 1, b->len, x->out);
        b->len = 0;
    }
    return 0;
}

static int cmd_runs(ts_cmd *c, int argc, char **argv) {
    const char *db = NULL;
    runs_ctx x = {c->out, TS_FORMAT_TABLE, 0, {0}, 8};
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_RUNS, c->out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &x.fmt))
                return ts_cmd_usage(c, USAGE_RUNS, "unknown format '%s' (table, csv or json)", v);
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_RUNS, "option %s needs a value", argv[i]);
        } else {
            return ts_cmd_usage(c, USAGE_RUNS, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!db) return ts_cmd_usage(c, USAGE_RUNS, "runs needs --db %s", "FILE");
    ts_store *st;
    int rc = ts_cmd_open_store(c, db, &st);
    if (rc) return rc;
    ts_error err;
    ts_error_clear(&err);
    if (x.fmt == TS_FORMAT_TABLE && ts_store_list_runs(st, measure_run, &x, &err)) {
        ts_store_close(st);
        return ts_cmd_error(c, &err);
    }
    if (x.fmt == TS_FORMAT_TABLE) {
        ts_buf_puts(&x.b, "   id  ");
        pad_text(&x.b, "scenario", x.name_width);
        ts_buf_printf(&x.b, "  %4s  %-24s  %-14s  %5s %5s  %-12s  %-12s  %-12s  %s\n", "year", "created_at",
                      "taxonomy", "units", "inds", "taxonomy_sha", "scenario_sha", "data_sha", "engine");
    }
    else if (x.fmt == TS_FORMAT_CSV)
        ts_buf_puts(&x.b, "id,scenario,created_at,taxonomy,scenario_path,taxonomy_path,data_path,"
                          "scenario_sha256,taxonomy_sha256,data_sha256,engine_version,n_units,n_indicators,year\n");
    else
        ts_buf_puts(&x.b, "[");
    rc = ts_store_list_runs(st, print_run, &x, &err) ? ts_cmd_error(c, &err) : EXIT_OK;
    if (x.fmt == TS_FORMAT_JSON) ts_buf_puts(&x.b, "\n]\n");
    if (rc == EXIT_OK && x.b.oom) rc = ts_cmd_oom(c); /* not a listing with runs missing */
    if (rc == EXIT_OK && x.b.len) fwrite(x.b.data, 1, x.b.len, c->out);
    ts_buf_free(&x.b);
    ts_store_close(st);
    return rc;
}

/* Every command: those that take cli's context, and the families in other
 * files that take the streams. One table, so --help, dispatch, the "did
 * you mean" of a misspelt command, the man page and shell completion
 * cannot disagree. */
static const struct {
    const char *name;
    int (*in_cli)(ts_cmd *c, int argc, char **argv);
    int (*family)(int argc, char **argv, FILE *out, FILE *errs);
} COMMANDS[] = {
    {"validate", cmd_validate, NULL},    {"score", cmd_score, NULL},
    {"batch", NULL, ts_cli_batch},       {"runs", cmd_runs, NULL},
    {"compare", NULL, ts_cli_compare},   {"export", NULL, ts_cli_export},
    {"rescore", NULL, ts_cli_rescore},   {"watch", NULL, ts_cli_watch},
    {"explain", cmd_explain, NULL},      {"import", cmd_import, NULL},
    {"uncertainty", NULL, ts_cli_uncertainty}, {"trend", NULL, ts_cli_trend},
    {"weights", NULL, ts_cli_weights},   {"plot", NULL, ts_cli_plot},
    {"audit", NULL, ts_cli_audit},       {"alert", NULL, ts_cli_alert},
    {"report", NULL, ts_cli_report},     {"new-scenario", NULL, ts_cli_new_scenario},
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof *COMMANDS };

int ts_cli_command_names(const char **names, int max) {
    int n = 0;
    for (int k = 0; k < N_COMMANDS && n < max; k++) names[n++] = COMMANDS[k].name;
    return n;
}

const char *ts_cli_usage(void) {
    return USAGE;
}

int ts_cli_main(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd c = {out, errs, "threatscore"};
    if (argc < 2) {
        fputs("usage: threatscore COMMAND [ARGS]\n", errs);
        ts_help_pointer(errs, USAGE);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (ts_is_help(cmd) || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            char help[] = "--help";
            char *help_argv[] = {argv[0], argv[2], help, NULL};
            return ts_cli_main(3, help_argv, out, errs);
        }
        fputs(USAGE, out);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        fprintf(out, "threatscore %s\n", TS_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--man") == 0) return ts_cli_man(out, errs);
    if (strcmp(cmd, "--complete") == 0) return ts_cli_complete(argc - 1, argv + 1, out, errs);
    const char *names[N_COMMANDS + 1];
    for (int k = 0; k < N_COMMANDS; k++) {
        names[k] = COMMANDS[k].name;
        if (strcmp(cmd, COMMANDS[k].name) != 0) continue;
        if (COMMANDS[k].in_cli) return COMMANDS[k].in_cli(&c, argc - 1, argv + 1);
        return COMMANDS[k].family(argc - 1, argv + 1, out, errs);
    }
    names[N_COMMANDS] = "help";
    const char *hint = ts_suggest(cmd, names, N_COMMANDS + 1);
    if (hint) fprintf(errs, "threatscore: unknown command '%s' (did you mean '%s'?)\n", cmd, hint);
    else fprintf(errs, "threatscore: unknown command '%s'\n", cmd);
    fputs("Run 'threatscore --help' for the list of commands.\n", errs);
    return EXIT_USAGE;
}
