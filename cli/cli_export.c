/* cli_export.c -- the commands that read one stored run back: export
 * (the run with its traces, as JSON or CSV) and rescore (re-run it from its
 * provenance and check it is identical). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "pipeline.h"
#include "report.h"
#include "scenario.h"
#include "sha256.h"
#include "store.h"
#include "run_trace.h"

/* Opens the store db and reads the run named by spec (an id or a scenario
 * name) into *r, with its id in *id; the store stays open in *st. Returns
 * EXIT_OK, or an exit status after printing the error (nothing left open). */
static int load_run(ts_cmd *c, const char *db, const char *spec, ts_store **st, long long *id, ts_stored_run **r) {
    *r = NULL;
    int rc = ts_cmd_open_store(c, db, st);
    if (rc) return rc;
    ts_error err;
    ts_error_clear(&err);
    if (ts_store_resolve_run(*st, spec, id, &err) || ts_store_load_run(*st, *id, r, &err)) {
        rc = ts_cmd_error(c, &err);
        ts_stored_run_free(*r);
        *r = NULL;
        ts_store_close(*st);
        *st = NULL;
    }
    return rc;
}

static const char USAGE_EXPORT[] =
    "usage: threatscore export --db FILE --run RUN [--format csv|json] [--table T] [--node NODE] [-o FILE]\n"
    "\n"
    "Writes a stored run (RUN: a run id or a scenario name, for its latest run).\n"
    "\n"
    "--format json (the default) writes one document: the run's provenance\n"
    "(paths, hashes, engine version, methods, inputs, options), its nodes with\n"
    "weights and aggregators, units, scores, every input value (raw,\n"
    "transformed, normalised, imputed, source, year, note, shock, file and\n"
    "line) with its trace to --node (default the index: weight, effective\n"
    "weight, contribution, as `explain` computes them) and the treatment log.\n"
    "\n"
    "--format csv writes one table, chosen by --table:\n"
    "  scores     (default) the columns of `score --format csv`\n"
    "  inputs     one row per unit and indicator, with the trace columns\n"
    "  nodes      the tree with weights and methods\n"
    "  treatment  the outlier treatment of each indicator\n";

typedef struct export_ctx {
    FILE *f;
    ts_buf b;
    ts_format fmt;
    const ts_stored_run *r;
    const ts_run_traces *t;
    int count, failed;
} export_ctx;

static void export_flush(export_ctx *x, int force) {
    if (x->b.len && (force || x->b.len > 1 << 16)) {
        if (fwrite(x->b.data, 1, x->b.len, x->f) != x->b.len) x->failed = 1;
        x->b.len = 0;
    }
}

static int export_input(const ts_stored_input *in, void *vctx) {
    export_ctx *x = vctx;
    ts_buf *b = &x->b;
    const ts_stored_run *r = x->r;
    int u = ts_stored_run_unit(r, in->unit), k = ts_stored_run_node(r, in->indicator);
    size_t c = u >= 0 && k >= 0 ? (size_t)u * (size_t)r->n_nodes + (size_t)k : (size_t)-1;
    double w = c != (size_t)-1 ? x->t->weight[c] : NAN, eff = c != (size_t)-1 ? x->t->eff[c] : NAN,
           con = c != (size_t)-1 ? x->t->contrib[c] : NAN;
    if (x->fmt == TS_FORMAT_CSV) {
        ts_csv_field(b, in->unit);
        ts_buf_puts(b, ",");
        ts_csv_field(b, in->indicator);
        ts_buf_puts(b, ",");
        ts_out_number(b, in->raw);
        ts_buf_puts(b, ",");
        ts_out_number(b, in->transformed);
        ts_buf_puts(b, ",");
        ts_out_number(b, in->normalised);
        ts_buf_printf(b, ",%d,", in->imputed);
        ts_csv_field(b, in->source ? in->source : "");
        ts_buf_puts(b, ",");
        if (in->year) ts_buf_printf(b, "%d", in->year);
        ts_buf_printf(b, ",%d,", in->estimate);
        ts_csv_field(b, in->note ? in->note : "");
        ts_buf_puts(b, ",");
        ts_csv_field(b, in->shock ? in->shock : "");
        ts_buf_puts(b, ",");
        ts_csv_field(b, in->file ? in->file : "");
        ts_buf_puts(b, ",");
        if (in->line) ts_buf_printf(b, "%d", in->line);
        ts_buf_puts(b, ",");
        ts_out_number(b, w);
        ts_buf_puts(b, ",");
        ts_out_number(b, eff);
        ts_buf_puts(b, ",");
        ts_out_number(b, con);
        ts_buf_puts(b, "\n");
    } else {
        ts_buf_puts(b, x->count ? ",\n{\"unit\":" : "\n{\"unit\":");
        ts_buf_json_string(b, in->unit);
        ts_buf_puts(b, ",\"indicator\":");
        ts_buf_json_string(b, in->indicator);
        ts_buf_puts(b, ",\"raw\":");
        ts_buf_json_number(b, in->raw);
        ts_buf_puts(b, ",\"transformed\":");
        ts_buf_json_number(b, in->transformed);
        ts_buf_puts(b, ",\"normalised\":");
        ts_buf_json_number(b, in->normalised);
        ts_buf_printf(b, ",\"imputed\":%s,\"source\":", in->imputed ? "true" : "false");
        ts_out_json_string(b, in->source);
        ts_buf_puts(b, ",\"year\":");
        ts_out_json_int(b, in->year);
        ts_buf_printf(b, ",\"estimate\":%s,\"note\":", in->estimate ? "true" : "false");
        ts_out_json_string(b, in->note);
        ts_buf_puts(b, ",\"shock\":");
        ts_out_json_string(b, in->shock);
        ts_buf_puts(b, ",\"file\":");
        ts_out_json_string(b, in->file);
        ts_buf_puts(b, ",\"line\":");
        ts_out_json_int(b, in->line);
        ts_buf_puts(b, ",\"weight\":");
        ts_buf_json_number(b, w);
        ts_buf_puts(b, ",\"effective_weight\":");
        ts_buf_json_number(b, eff);
        ts_buf_puts(b, ",\"contribution\":");
        ts_buf_json_number(b, con);
        ts_buf_puts(b, "}");
    }
    x->count++;
    export_flush(x, 0);
    return x->failed;
}

static int export_treatment(const ts_stored_treatment *t, void *vctx) {
    export_ctx *x = vctx;
    ts_buf *b = &x->b;
    if (x->fmt == TS_FORMAT_CSV) {
        ts_csv_field(b, t->indicator);
        ts_buf_printf(b, ",%d,%d,%d,%d,", t->treated, t->winsorised_low, t->winsorised_high, t->log);
        ts_out_number(b, t->skew);
        ts_buf_puts(b, ",");
        ts_out_number(b, t->kurtosis);
        ts_buf_puts(b, ",");
        ts_out_number(b, t->skew_after);
        ts_buf_puts(b, ",");
        ts_out_number(b, t->kurtosis_after);
        ts_buf_puts(b, "\n");
    } else {
        ts_buf_puts(b, x->count ? ",\n{\"indicator\":" : "\n{\"indicator\":");
        ts_buf_json_string(b, t->indicator);
        ts_buf_printf(b, ",\"treated\":%s,\"winsorised_low\":%d,\"winsorised_high\":%d,\"log\":%s,\"skew\":",
                      t->treated ? "true" : "false", t->winsorised_low, t->winsorised_high, t->log ? "true" : "false");
        ts_buf_json_number(b, t->skew);
        ts_buf_puts(b, ",\"kurtosis\":");
        ts_buf_json_number(b, t->kurtosis);
        ts_buf_puts(b, ",\"skew_after\":");
        ts_buf_json_number(b, t->skew_after);
        ts_buf_puts(b, ",\"kurtosis_after\":");
        ts_buf_json_number(b, t->kurtosis_after);
        ts_buf_puts(b, "}");
    }
    x->count++;
    return 0;
}

static void export_scores(export_ctx *x) {
    const ts_stored_run *r = x->r;
    ts_buf *b = &x->b;
    for (int u = 0; u < r->n_units; u++)
        for (int k = 0; k < r->n_nodes; k++) {
            size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
            const ts_stored_node *nd = &r->nodes[k];
            if (x->fmt == TS_FORMAT_CSV) {
                ts_score_row row = {r->unit_id[u], r->unit_name[u], nd->id, nd->name,
                                    nd->parent_id ? nd->parent_id : "", nd->depth, r->rank[c], r->score[c],
                                    r->coverage[c], r->imputed[c], r->cls[c], r->reliability[c]};
                ts_csv_score_row(b, &row);
            } else {
                ts_buf_puts(b, x->count ? ",\n{\"unit\":" : "\n{\"unit\":");
                ts_buf_json_string(b, r->unit_id[u]);
                ts_buf_puts(b, ",\"node\":");
                ts_buf_json_string(b, nd->id);
                ts_buf_puts(b, ",\"score\":");
                ts_buf_json_number(b, r->score[c]);
                ts_buf_puts(b, ",\"rank\":");
                ts_out_json_int(b, r->rank[c]);
                ts_buf_puts(b, ",\"class\":");
                ts_out_json_string(b, r->cls[c]);
                ts_buf_puts(b, ",\"coverage\":");
                ts_buf_json_number(b, r->coverage[c]);
                ts_buf_puts(b, ",\"imputed\":");
                ts_buf_json_number(b, r->imputed[c]);
                ts_buf_puts(b, ",\"reliability\":");
                ts_buf_json_number(b, r->reliability[c]);
                ts_buf_puts(b, "}");
            }
            x->count++;
            export_flush(x, 0);
        }
}

static void export_nodes(export_ctx *x) {
    const ts_stored_run *r = x->r;
    ts_buf *b = &x->b;
    for (int k = 0; k < r->n_nodes; k++) {
        const ts_stored_node *nd = &r->nodes[k];
        if (x->fmt == TS_FORMAT_CSV) {
            const char *f[] = {nd->id, nd->name, nd->parent_id};
            for (int i = 0; i < 3; i++) {
                ts_csv_field(b, f[i] ? f[i] : "");
                ts_buf_puts(b, ",");
            }
            ts_buf_printf(b, "%d,%d,", nd->depth, nd->is_indicator);
            ts_out_number(b, nd->weight);
            const char *g[] = {nd->aggregate, nd->normalise, nd->direction, nd->unit_of_measure, nd->source};
            for (int i = 0; i < 5; i++) {
                ts_buf_puts(b, ",");
                ts_csv_field(b, g[i] ? g[i] : "");
            }
            ts_buf_puts(b, "\n");
        } else {
            ts_buf_puts(b, k ? ",\n{\"id\":" : "\n{\"id\":");
            ts_buf_json_string(b, nd->id);
            ts_buf_puts(b, ",\"name\":");
            ts_buf_json_string(b, nd->name);
            ts_buf_puts(b, ",\"parent\":");
            ts_out_json_string(b, nd->parent_id);
            ts_buf_printf(b, ",\"depth\":%d,\"indicator\":%s,\"weight\":", nd->depth, nd->is_indicator ? "true" : "false");
            ts_buf_json_number(b, nd->weight);
            const char *keys[] = {"aggregate", "normalise", "direction", "unit", "source"};
            const char *g[] = {nd->aggregate, nd->normalise, nd->direction, nd->unit_of_measure, nd->source};
            for (int i = 0; i < 5; i++) {
                ts_buf_printf(b, ",\"%s\":", keys[i]);
                ts_out_json_string(b, g[i]);
            }
            ts_buf_puts(b, "}");
        }
    }
}

/* Appends stored JSON text as it is, or null. */
static void raw_json(ts_buf *b, const char *json) {
    ts_buf_puts(b, json && *json ? json : "null");
}

int ts_cli_export(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *run = NULL, *table = "scores", *node = NULL, *out_path = NULL;
    ts_format fmt = TS_FORMAT_JSON;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_EXPORT, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            run = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--table", &missing))) {
            if (strcmp(v, "scores") && strcmp(v, "inputs") && strcmp(v, "nodes") && strcmp(v, "treatment"))
                return ts_cmd_usage(c, USAGE_EXPORT, "unknown table '%s' (scores, inputs, nodes or treatment)", v);
            table = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing))) {
            out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt) || fmt == TS_FORMAT_TABLE)
                return ts_cmd_usage(c, USAGE_EXPORT, "unknown format '%s' (csv or json)", v);
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_EXPORT, "option %s needs a value", argv[i]);
        } else {
            return ts_cmd_usage(c, USAGE_EXPORT, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!db) return ts_cmd_usage(c, USAGE_EXPORT, "export needs --db %s", "FILE");
    if (!run) return ts_cmd_usage(c, USAGE_EXPORT, "export needs --run %s", "RUN");
    const ts_cmd_input db_in = {db, "the database", 1};
    if (ts_cmd_check_output(c, "-o", out_path, &db_in, 1) != EXIT_OK) return EXIT_USAGE;
    ts_store *st;
    long long id;
    ts_stored_run *r;
    int rc = load_run(c, db, run, &st, &id, &r);
    if (rc) return rc;
    ts_error err;
    ts_error_clear(&err);
    int top = node ? ts_stored_run_node(r, node) : 0;
    if (top < 0 || r->n_nodes == 0) {
        fprintf(c->errs, "%s: run %lld has no node '%s'\n", c->prog, id, node ? node : "");
        ts_stored_run_free(r);
        ts_store_close(st);
        return EXIT_INPUT;
    }
    ts_run_traces *t;
    if (ts_run_traces_new(r, top, &t, &err) != TS_OK) {
        rc = ts_cmd_error(c, &err);
        ts_stored_run_free(r);
        ts_store_close(st);
        return rc;
    }
    ts_outfile tmp;
    FILE *f = ts_cmd_open_output(c, out_path, &tmp);
    if (!f) rc = EXIT_SYSTEM;
    export_ctx x = {f, {0}, fmt, r, t, 0, 0};
    ts_buf *b = &x.b;
    if (f && fmt == TS_FORMAT_CSV) {
        if (strcmp(table, "scores") == 0) {
            ts_buf_puts(b, TS_SCORES_CSV_HEADER);
            export_scores(&x);
        } else if (strcmp(table, "nodes") == 0) {
            ts_buf_puts(b, "node,name,parent,depth,indicator,weight,aggregate,normalise,direction,unit,source\n");
            export_nodes(&x);
        } else if (strcmp(table, "inputs") == 0) {
            ts_buf_puts(b, "unit,indicator,raw,transformed,normalised,imputed,source,year,estimate,note,shock,file,"
                           "line,weight,effective_weight,contribution\n");
            if (ts_store_each_input(st, id, export_input, &x, &err)) rc = ts_cmd_error(c, &err);
        } else {
            ts_buf_puts(b, "indicator,treated,winsorised_low,winsorised_high,log,skew,kurtosis,skew_after,"
                           "kurtosis_after\n");
            if (ts_store_each_treatment(st, id, export_treatment, &x, &err)) rc = ts_cmd_error(c, &err);
        }
    } else if (f) {
        const ts_run_info *in = &r->info;
        ts_buf_printf(b, "{\"run\":{\"id\":%lld,\"scenario\":", in->id);
        ts_buf_json_string(b, in->scenario);
        const char *keys[] = {"created_at", "taxonomy", "engine_version", "scenario_path", "taxonomy_path",
                              "data_path", "scenario_sha256", "taxonomy_sha256", "data_sha256", "values_sha256",
                              "run_key"};
        const char *vals[] = {in->created_at, in->taxonomy_id, in->engine_version, in->scenario_path,
                              in->taxonomy_path, in->data_path, in->scenario_sha256, in->taxonomy_sha256,
                              in->data_sha256, r->values_sha256, r->run_key};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            ts_buf_printf(b, ",\"%s\":", keys[i]);
            ts_out_json_string(b, vals[i]);
        }
        ts_buf_printf(b, ",\"n_units\":%d,\"n_indicators\":%d,\"year\":", in->n_units, in->n_indicators);
        ts_out_json_int(b, in->year);
        ts_buf_puts(b, ",\"method\":");
        raw_json(b, r->method_json);
        ts_buf_puts(b, ",\"inputs\":");
        raw_json(b, r->inputs_json);
        ts_buf_puts(b, ",\"options\":");
        raw_json(b, r->options_json);
        ts_buf_puts(b, ",\"traced_to\":");
        ts_buf_json_string(b, r->nodes[top].id);
        ts_buf_puts(b, "},\n\"nodes\":[");
        export_nodes(&x);
        ts_buf_puts(b, "\n],\n\"units\":[");
        for (int u = 0; u < r->n_units; u++) {
            ts_buf_puts(b, u ? ",\n{\"id\":" : "\n{\"id\":");
            ts_buf_json_string(b, r->unit_id[u]);
            ts_buf_puts(b, ",\"name\":");
            ts_buf_json_string(b, r->unit_name[u]);
            ts_buf_printf(b, ",\"screened\":%s}", r->screened[u] ? "true" : "false");
        }
        ts_buf_puts(b, "\n],\n\"scores\":[");
        x.count = 0;
        export_scores(&x);
        ts_buf_puts(b, "\n],\n\"inputs\":[");
        x.count = 0;
        if (ts_store_each_input(st, id, export_input, &x, &err)) rc = ts_cmd_error(c, &err);
        ts_buf_puts(b, "\n],\n\"treatment\":[");
        x.count = 0;
        if (rc == EXIT_OK && ts_store_each_treatment(st, id, export_treatment, &x, &err)) rc = ts_cmd_error(c, &err);
        ts_buf_puts(b, "\n]}\n");
    }
    if (f) {
        if (b->oom) {
            fprintf(c->errs, "%s: out of memory\n", c->prog);
            rc = EXIT_SYSTEM;
        }
        export_flush(&x, 1);
        if (x.failed && rc == EXIT_OK) {
            fprintf(c->errs, "%s: write failed\n", c->prog);
            rc = EXIT_SYSTEM;
        }
        int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
        if (rc == EXIT_OK) rc = crc;
    }
    ts_buf_free(b);
    ts_run_traces_free(t);
    ts_stored_run_free(r);
    ts_store_close(st);
    return rc;
}

/* ---- rescore ----------------------------------------------------------- */

static const char USAGE_RESCORE[] =
    "usage: threatscore rescore --db FILE --run RUN\n"
    "\n"
    "Re-runs a stored run from its stored provenance: the scenario (or the\n"
    "taxonomy and CSV) at the stored paths, with the stored perspectives,\n"
    "--set overrides and CSV options. First every input file's SHA-256 is\n"
    "checked against the one stored; a file that changed or is missing is\n"
    "named. Then the run is scored again and every score, rank, class,\n"
    "coverage, imputed share and reliability is compared bit for bit with the\n"
    "stored one.\n"
    "Relative paths are resolved from the current directory, as they were\n"
    "when the run was made.\n"
    "\n"
    "Exit status: 0 identical; 1 an input changed or the scores differ;\n"
    "2 usage; 3 the database cannot be read.\n";

/* Looks for stored input file f: at its absolute path (when stored), at
 * its path as given, then at that path from db_dir. Stores in *path the
 * first candidate whose contents hash to f's SHA-256 (or, when none does,
 * the first that can be read, with its hash in now); *owned is a malloc'd
 * path to free, or NULL. Returns 0 when found unchanged, 1 when only
 * changed contents were found, -1 when no candidate can be read (errno
 * set), -2 when out of memory (a candidate not tried could be the one). */
static int find_input(const ts_stored_file *f, const char *db_dir, const char **path, char **owned, char now[65]) {
    char *joined = f->path[0] != '/' ? ts_path_join(db_dir, f->path) : NULL;
    const char *candidates[] = {f->abs_path, f->path, joined};
    int first_readable = -1, saved_errno = ENOENT;
    char first_hash[65] = "";
    *path = f->path;
    *owned = NULL;
    if (f->path[0] != '/' && !joined) return -2;
    for (int i = 0; i < 3; i++) {
        if (!candidates[i]) continue;
        char hex[65];
        if (ts_sha256_file(candidates[i], hex)) {
            if (errno == ENOMEM) {
                free(joined);
                return -2;
            }
            if (i == 1) saved_errno = errno; /* the path as given explains best */
            continue;
        }
        if (strcmp(hex, f->sha256) == 0) {
            *path = candidates[i];
            if (i == 2) *owned = joined;
            else free(joined);
            return 0;
        }
        if (first_readable < 0) {
            first_readable = i;
            memcpy(first_hash, hex, sizeof first_hash);
        }
    }
    if (first_readable < 0) {
        free(joined);
        errno = saved_errno;
        return -1;
    }
    *path = candidates[first_readable];
    if (first_readable == 2) *owned = joined;
    else free(joined);
    memcpy(now, first_hash, sizeof first_hash);
    return 1;
}

/* Frees what find_input allocated for n files, and db_dir. */
static void free_found(char **owned, int n, char *db_dir, const char **found) {
    for (int i = 0; owned && i < n; i++) free(owned[i]);
    free(owned);
    free(db_dir);
    free(found);
}

static int same_str(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int rescore(int argc, char **argv, FILE *out, FILE *errs);

int ts_cli_rescore(int argc, char **argv, FILE *out, FILE *errs) {
    /* the verdict is held until rescore is done, so that one that fails
       half way (out of memory, exit 3) prints none of it */
    ts_outfile held;
    int hold = ts_outfile_hold(&held, out) == 0;
    if (!hold && errno == ENOMEM) {
        fprintf(errs, "threatscore: out of memory\n");
        return EXIT_SYSTEM;
    }
    int rc = rescore(argc, argv, hold ? held.f : out, errs);
    if (hold && ts_outfile_close(&held, rc != EXIT_SYSTEM) != 0 && rc != EXIT_SYSTEM) {
        fprintf(errs, "threatscore: cannot write to standard output: %s\n", ts_errstr(errno));
        rc = EXIT_SYSTEM;
    }
    return rc;
}

/* rescore, writing its verdict to out. Returns the exit status. */
static int rescore(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *run = NULL;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_RESCORE, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--run", &missing))) {
            run = v;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_RESCORE, "option %s needs a value", argv[i]);
        } else if (!run && argv[i][0] != '-') {
            run = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_RESCORE, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!db) return ts_cmd_usage(c, USAGE_RESCORE, "rescore needs --db %s", "FILE");
    if (!run) return ts_cmd_usage(c, USAGE_RESCORE, "rescore needs --run %s", "RUN");
    ts_store *st;
    long long id;
    ts_stored_run *r;
    int rc = load_run(c, db, run, &st, &id, &r);
    if (rc) return rc;
    ts_store_close(st);
    ts_error err;
    ts_error_clear(&err);
    /* a per-year run is named as the resolver names it */
    char label[600];
    if (r->year) snprintf(label, sizeof label, "%s@%d", r->info.scenario, r->year);
    else snprintf(label, sizeof label, "%s", r->info.scenario);
    const ts_stored_file *files;
    int n_files = ts_stored_run_files(r, &files);
    ts_stored_options opt;
    if (n_files < 0 || ts_stored_run_options(r, &opt)) {
        fprintf(errs, "%s: run %lld: its stored provenance (inputs_json or options_json) cannot be read\n", c->prog, id);
        ts_stored_run_free(r);
        return EXIT_INPUT;
    }
    /* 1. every input file must still hash to what was stored, wherever it is */
    char *db_dir = ts_dirname(db);
    const char **found = calloc((size_t)n_files + 1, sizeof *found);
    char **owned = calloc((size_t)n_files + 1, sizeof *owned);
    if (!db_dir || !found || !owned) {
        fprintf(errs, "%s: out of memory\n", c->prog);
        free_found(owned, 0, db_dir, found);
        ts_stored_run_free(r);
        return EXIT_SYSTEM;
    }
    int changed = 0;
    const char *data_file = NULL, *scenario_file = NULL, *taxonomy_file = NULL;
    for (int i = 0; i < n_files; i++) {
        char now[65];
        int status = find_input(&files[i], db_dir, &found[i], &owned[i], now);
        if (status == -2) {
            free_found(owned, n_files, db_dir, found);
            ts_stored_run_free(r);
            return ts_cmd_oom(c);
        }
        if (status < 0) {
            fprintf(out, "changed: %s (%s) cannot be read: %s\n", files[i].path, files[i].role, strerror(errno));
            changed++;
        } else if (status > 0) {
            fprintf(out, "changed: %s (%s): sha256 %.12s... when run %lld was stored, %.12s... now\n", found[i],
                    files[i].role, files[i].sha256, id, now);
            changed++;
        }
        if (strcmp(files[i].role, "data") == 0) data_file = found[i];
        if (strcmp(files[i].role, "scenario") == 0) scenario_file = found[i];
        if (strcmp(files[i].role, "taxonomy") == 0) taxonomy_file = found[i];
    }
    if (changed) {
        fprintf(out, "run %lld (%s): %d of %d input file%s changed since it was stored; not rescored\n", id,
                label, changed, n_files, n_files == 1 ? "" : "s");
        free_found(owned, n_files, db_dir, found);
        ts_stored_run_free(r);
        return EXIT_INPUT;
    }
    /* 2. score again as the run was scored; the scenario's own references
       (extends, taxonomy) resolve from the file found */
    ts_scenario *s = NULL;
    if (data_file) {
        ts_csv_options csv = opt.has_csv ? opt.csv : (ts_csv_options){NULL, NULL, NULL, TS_ENC_AUTO};
        ts_scenario_from_csv(taxonomy_file ? taxonomy_file : r->info.taxonomy_path, data_file, &csv, &s, &err);
        for (int i = 0; s && i < opt.n_perspectives; i++)
            if (ts_scenario_apply_perspective(s, opt.perspectives[i], &err)) {
                ts_scenario_free(s);
                s = NULL;
            }
        for (int i = 0; s && i < opt.n_set; i++) {
            const char *eq = strchr(opt.set[i], '=');
            char key[128];
            snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - opt.set[i]) : 0, opt.set[i]);
            if (!eq || ts_scenario_set(s, key, eq + 1, opt.set[i], &err)) {
                if (!eq) ts_fail(&err, TS_EINPUT, NULL, 0, "stored option '%s' is not KEY=VALUE", opt.set[i]);
                ts_scenario_free(s);
                s = NULL;
            }
        }
    } else {
        const char *path = scenario_file ? scenario_file : r->info.scenario_path ? r->info.scenario_path : "";
        ts_scenario_load_with(path, opt.perspectives, opt.n_perspectives, opt.set, opt.n_set, &s, &err);
    }
    /* a per-year run is scored for its year: from its options, or for runs
       stored before the year was kept there, from its year column */
    int year = opt.year ? opt.year : r->year;
    if (s && year && s->spec->year != year) {
        char value[16];
        snprintf(value, sizeof value, "%d", year);
        if (ts_scenario_set(s, "year", value, "the run's year", &err)) {
            ts_scenario_free(s);
            s = NULL;
        }
    }
    free_found(owned, n_files, db_dir, found);
    ts_result *res = NULL;
    ts_run_record *rec = NULL;
    ts_run_options ro = {opt.n_set, opt.set, opt.n_perspectives, opt.perspectives, opt.has_csv ? &opt.csv : NULL};
    if (s && ts_score(s, &res, &err) == TS_OK) ts_run_record_new(s, &ro, &rec, &err);
    if (!rec) {
        int e = ts_cmd_error(c, &err);
        if (!ts_error_oom(&err)) /* that is no verdict on the run */
            fprintf(out, "run %lld (%s): the unchanged inputs no longer score: %s\n", id, label, err.message);
        ts_run_record_free(rec);
        ts_result_free(res);
        ts_scenario_free(s);
        ts_stored_run_free(r);
        return e == EXIT_SYSTEM ? EXIT_SYSTEM : EXIT_INPUT;
    }
    /* 3. compare */
    int diffs = 0, shown = 0, compared = 0;
    if (strcmp(ts_run_record_values_sha256(rec), r->values_sha256) != 0) {
        fprintf(out, "different: the values scored differ (values sha256 %.12s... stored, %.12s... now)\n",
                r->values_sha256, ts_run_record_values_sha256(rec));
        diffs++;
    }
    if (strcmp(ts_run_record_method_json(rec), r->method_json) != 0) {
        fprintf(out, "different: the method settings differ from the stored method_json%s\n",
                r->options_json ? "" : " (the run predates stored options: it may have used --set)");
        diffs++;
    }
    int *order = malloc(((size_t)s->tax->n_nodes + 1) * sizeof *order);
    if (!order) {
        fprintf(errs, "%s: out of memory\n", c->prog);
        diffs = -1;
    } else {
        ts_taxonomy_preorder(s->tax, order);
        if (s->data->n_units != r->n_units || s->tax->n_nodes != r->n_nodes) {
            fprintf(out, "different: %d units x %d nodes now, %d x %d stored\n", s->data->n_units, s->tax->n_nodes,
                    r->n_units, r->n_nodes);
            diffs++;
        }
        for (int u = 0; u < s->data->n_units; u++) {
            int su = ts_stored_run_unit(r, s->data->unit_id[u]);
            for (int j = 0; j < s->tax->n_nodes; j++) {
                int k = order[j], sk = ts_stored_run_node(r, s->tax->nodes[k].id);
                if (su < 0 || sk < 0) {
                    if (shown++ < 10)
                        fprintf(out, "different: %s at %s is not in the stored run\n", s->data->unit_id[u],
                                s->tax->nodes[k].id);
                    diffs++;
                    continue;
                }
                size_t sc = (size_t)su * (size_t)r->n_nodes + (size_t)sk;
                double x = ts_result_score(res, k, u);
                const char *cls = ts_taxonomy_class(s->tax, k, x);
                compared++;
                if (!ts_same_double(x, r->score[sc]) || ts_result_rank(res, k, u) != r->rank[sc] ||
                    !same_str(cls, r->cls[sc]) || !ts_same_double(ts_result_coverage(res, k, u), r->coverage[sc]) ||
                    !ts_same_double(res->imputed_share[(size_t)k * (size_t)res->n_units + (size_t)u], r->imputed[sc]) ||
                    /* runs stored before schema 6 have no reliability to compare */
                    (!isnan(r->reliability[sc]) && !ts_same_double(ts_result_reliability(res, k, u), r->reliability[sc]))) {
                    if (shown++ < 10)
                        fprintf(out, "different: %s at %s: score %.17g rank %d stored, %.17g rank %d now\n",
                                s->data->unit_id[u], s->tax->nodes[k].id, r->score[sc], r->rank[sc], x,
                                ts_result_rank(res, k, u));
                    diffs++;
                }
            }
        }
        if (r->n_scores != r->n_units * r->n_nodes) {
            fprintf(out, "different: the store holds %d of the run's %d scores\n", r->n_scores, r->n_units * r->n_nodes);
            diffs++;
        }
    }
    free(order);
    if (diffs == 0)
        fprintf(out, "run %lld (%s): identical: %d scores reproduced bit for bit; %d input file%s unchanged\n", id,
                label, compared, n_files, n_files == 1 ? "" : "s");
    else if (diffs > 0)
        fprintf(out, "run %lld (%s): DIFFERENT from the stored run (%d difference%s) although no input file changed\n",
                id, label, diffs, diffs == 1 ? "" : "s");
    ts_run_record_free(rec);
    ts_result_free(res);
    ts_scenario_free(s);
    ts_stored_run_free(r);
    return diffs == 0 ? EXIT_OK : diffs < 0 ? EXIT_SYSTEM : EXIT_INPUT;
}
