/* cli_compare.c -- `threatscore compare`: stored runs against a reference
 * run (engine/compare.h), or a units x runs matrix, as a table, CSV or JSON. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "compare.h"
#include "report.h"
#include "store.h"

static const char USAGE_COMPARE[] =
    "usage: threatscore compare --db FILE [RUN...] [--reference RUN] [--node NODE]\n"
    "                           [--changed-only [--threshold X]] [--format table|csv|json] [-o FILE]\n"
    "\n"
    "Compares stored runs against a reference run. A RUN is a run id, a\n"
    "scenario name (its latest run that is not a per-year run) or NAME@YEAR\n"
    "(a per-year run of `trend --db`). Units and nodes are matched by id.\n"
    "\n"
    "The reference is --reference, else the baseline: the run whose scenario\n"
    "the most of the other runs extend (their stored extends files include\n"
    "its scenario file), else the first RUN named. Without RUNs, every\n"
    "scenario's latest run is compared, without per-year runs and without\n"
    "scenarios whose file is gone (named in a note).\n"
    "\n"
    "One row per run, node (every node, or only --node) and unit with the\n"
    "reference's score, rank and class (A), the run's (B), delta (B - A),\n"
    "rank change (rank A - rank B: +2 = two places closer to rank 1, the\n"
    "highest risk) and whether the class changed. --changed-only keeps the\n"
    "rows whose class or rank changed or whose |delta| exceeds --threshold\n"
    "(default 0: any change).\n"
    "\n"
    "Three or more RUNs without --reference or --changed-only: a units x runs\n"
    "matrix of scores and ranks at one node (--node, default the index).\n";

/* A loaded run for comparison. */
typedef struct cmp_run {
    long long id;
    ts_stored_run *r;
} cmp_run;

/* Replaces control characters in buf with '?': names reach a terminal in
 * the table, and must not carry its escapes. Returns buf. */
static char *printable(char *buf) {
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return buf;
}

/* Writes run r's name as the resolver takes it (NAME or NAME@YEAR) into buf,
 * printable. Returns buf. */
static char *run_label(const ts_stored_run *r, char *buf, size_t n) {
    if (r->year) snprintf(buf, n, "%s@%d", r->info.scenario, r->year);
    else snprintf(buf, n, "%s", r->info.scenario);
    return printable(buf);
}

/* Appends run r to a JSON array of runs: id, scenario, year, created_at. */
static void json_run(ts_buf *o, const ts_stored_run *r, int first) {
    ts_buf_printf(o, "%s{\"id\":%lld,\"scenario\":", first ? "" : ",", r->info.id);
    ts_buf_json_string(o, r->info.scenario);
    ts_buf_puts(o, ",\"year\":");
    ts_out_json_int(o, r->year);
    ts_buf_puts(o, ",\"created_at\":");
    ts_buf_json_string(o, r->info.created_at);
    ts_buf_puts(o, "}");
}

/* Writes the header of a table section: the run compared and the reference. */
static void table_section(ts_buf *o, const ts_comparison *cmp, int i) {
    char a[300], b[300];
    const ts_stored_run *ref = cmp->reference, *x = cmp->runs[i];
    ts_buf_printf(o, "%sA: run %lld  %s  (%s)  reference\nB: run %lld  %s  (%s)\n\n", i ? "\n" : "", ref->info.id,
                  run_label(ref, a, sizeof a), ref->info.created_at, x->info.id, run_label(x, b, sizeof b),
                  x->info.created_at);
    ts_buf_printf(o, "%-20s %-10s %10s %10s %10s %6s %6s %6s  %s\n", "node", "unit", "score A", "score B", "delta",
                  "rank A", "rank B", "change", "class A -> B");
}

/* Appends one comparison row in fmt. */
static void write_row(ts_buf *o, ts_format fmt, const ts_comparison *cmp, const ts_compare_row *w, int first) {
    const ts_stored_run *x = cmp->runs[w->run];
    if (fmt == TS_FORMAT_TABLE) {
        char sa[32] = "-", sb[32] = "-", d[32] = "-", ra[16] = "-", rb[16] = "-", ch[16] = "", uid[16];
        if (!isnan(w->ref_score)) snprintf(sa, sizeof sa, "%.4f", w->ref_score);
        if (!isnan(w->score)) snprintf(sb, sizeof sb, "%.4f", w->score);
        if (!isnan(w->delta)) snprintf(d, sizeof d, "%+.4f", w->delta);
        if (w->ref_rank) snprintf(ra, sizeof ra, "%d", w->ref_rank);
        if (w->rank) snprintf(rb, sizeof rb, "%d", w->rank);
        if (w->has_rank_change && w->rank_change) snprintf(ch, sizeof ch, "%+d", w->rank_change);
        snprintf(uid, sizeof uid, "%s", w->unit);
        printable(uid);
        ts_buf_printf(o, "%-20.20s %-10.10s %10s %10s %10s %6s %6s %6s  %s%s%s\n", w->node, uid, sa, sb, d, ra, rb, ch,
                      w->ref_class ? w->ref_class : "-", w->class_changed ? " -> " : "",
                      w->class_changed ? (w->cls ? w->cls : "-") : "");
    } else if (fmt == TS_FORMAT_CSV) {
        ts_csv_field(o, w->node);
        ts_buf_puts(o, ",");
        ts_csv_field(o, w->unit);
        ts_buf_puts(o, ",");
        ts_csv_field(o, w->unit_name);
        ts_buf_puts(o, ",");
        ts_out_number(o, w->ref_score);
        ts_buf_puts(o, ",");
        ts_out_number(o, w->score);
        ts_buf_puts(o, ",");
        ts_out_number(o, w->delta);
        ts_buf_puts(o, ",");
        if (w->ref_rank) ts_buf_printf(o, "%d", w->ref_rank);
        ts_buf_puts(o, ",");
        if (w->rank) ts_buf_printf(o, "%d", w->rank);
        ts_buf_puts(o, ",");
        if (w->has_rank_change) ts_buf_printf(o, "%d", w->rank_change);
        ts_buf_puts(o, ",");
        ts_csv_field(o, w->ref_class ? w->ref_class : "");
        ts_buf_puts(o, ",");
        ts_csv_field(o, w->cls ? w->cls : "");
        ts_buf_printf(o, ",%d,%lld,%lld,", w->class_changed, cmp->reference->info.id, x->info.id);
        ts_csv_field(o, x->info.scenario);
        ts_buf_puts(o, ",");
        if (x->year) ts_buf_printf(o, "%d", x->year);
        ts_buf_puts(o, "\n");
    } else {
        ts_buf_printf(o, "%s{\"run\":%lld,\"node\":", first ? "\n" : ",\n", x->info.id);
        ts_buf_json_string(o, w->node);
        ts_buf_puts(o, ",\"unit\":");
        ts_buf_json_string(o, w->unit);
        ts_buf_puts(o, ",\"unit_name\":");
        ts_buf_json_string(o, w->unit_name);
        ts_buf_puts(o, ",\"score_a\":");
        ts_buf_json_number(o, w->ref_score);
        ts_buf_puts(o, ",\"score_b\":");
        ts_buf_json_number(o, w->score);
        ts_buf_puts(o, ",\"delta\":");
        ts_buf_json_number(o, w->delta);
        ts_buf_puts(o, ",\"rank_a\":");
        ts_out_json_int(o, w->ref_rank);
        ts_buf_puts(o, ",\"rank_b\":");
        ts_out_json_int(o, w->rank);
        ts_buf_puts(o, ",\"rank_change\":");
        if (w->has_rank_change) ts_buf_printf(o, "%d", w->rank_change);
        else ts_buf_puts(o, "null");
        ts_buf_puts(o, ",\"class_a\":");
        ts_out_json_string(o, w->ref_class);
        ts_buf_puts(o, ",\"class_b\":");
        ts_out_json_string(o, w->cls);
        ts_buf_printf(o, ",\"class_changed\":%s}", w->class_changed ? "true" : "false");
    }
}

/* Writes what is left of o to f, unless an append to o failed (out of
 * memory) or an earlier write did (failed). Returns the exit status, with
 * the message printed. */
static int finish_output(ts_cmd *c, FILE *f, const ts_buf *o, int failed) {
    if (o->oom) return ts_cmd_oom(c);
    if (failed || (o->len && fwrite(o->data, 1, o->len, f) != o->len)) {
        fprintf(c->errs, "%s: cannot write the comparison\n", c->prog);
        return EXIT_SYSTEM;
    }
    return EXIT_OK;
}

/* Writes the comparison against its reference: per run, its rows. */
static int compare_rows(ts_cmd *c, FILE *f, ts_format fmt, const ts_comparison *cmp, const ts_compare_options *opt) {
    ts_buf o = {0};
    int failed = 0; /* a write of what o held */
    if (fmt == TS_FORMAT_CSV) {
        ts_buf_puts(&o, "node,unit,unit_name,score_a,score_b,delta,rank_a,rank_b,rank_change,class_a,class_b,"
                        "class_changed,reference,run,scenario,year\n");
    } else if (fmt == TS_FORMAT_JSON) {
        ts_buf_printf(&o, "{\"reference\":%lld,", cmp->reference->info.id);
        if (opt->changed_only) {
            ts_buf_puts(&o, "\"changed_only\":true,\"threshold\":");
            ts_buf_json_number(&o, opt->threshold);
            ts_buf_puts(&o, ",");
        }
        if (cmp->left_out) {
            ts_buf_puts(&o, "\"left_out\":");
            ts_buf_json_string(&o, cmp->left_out);
            ts_buf_puts(&o, ",");
        }
        ts_buf_puts(&o, "\"runs\":[");
        json_run(&o, cmp->reference, 1);
        for (int i = 0; i < cmp->n_runs; i++) json_run(&o, cmp->runs[i], 0);
        ts_buf_puts(&o, "],\"rows\":[");
    }
    if (fmt == TS_FORMAT_TABLE && cmp->left_out) {
        char names[1024];
        snprintf(names, sizeof names, "%s", cmp->left_out);
        ts_buf_printf(&o, "left out, their scenario files are gone: %s\n\n", printable(names));
    }
    int j = 0;
    for (int i = 0; i < cmp->n_runs; i++) {
        if (fmt == TS_FORMAT_TABLE) table_section(&o, cmp, i);
        int shown = 0;
        for (; j < cmp->n_rows && cmp->rows[j].run == i; j++, shown++) {
            write_row(&o, fmt, cmp, &cmp->rows[j], j == 0);
            if (o.len > 1 << 16 && !o.oom && !failed) {
                failed = fwrite(o.data, 1, o.len, f) != o.len;
                o.len = 0;
            }
        }
        if (fmt == TS_FORMAT_TABLE && shown == 0)
            ts_buf_printf(&o, "(no change%s%s)\n", opt->changed_only && opt->threshold > 0 ? " above " : "",
                          opt->changed_only && opt->threshold > 0 ? "the threshold" : "");
    }
    if (fmt == TS_FORMAT_JSON) ts_buf_puts(&o, "\n]}\n");
    int rc = finish_output(c, f, &o, failed);
    ts_buf_free(&o);
    return rc;
}

/* Writes the units x runs matrix at node. */
static int compare_matrix(ts_cmd *c, FILE *f, ts_format fmt, const cmp_run *runs, int n, const char *node) {
    const ts_stored_run *a = runs[0].r;
    const char *nid = node ? node : (a->n_nodes ? a->nodes[0].id : "");
    int *k = calloc((size_t)n, sizeof *k);
    int total = 0;
    for (int r = 0; r < n; r++) total += runs[r].r->n_units;
    const char **uid = calloc((size_t)total + 1, sizeof *uid), **uname = calloc((size_t)total + 1, sizeof *uname);
    if (!k || !uid || !uname) {
        free(k), free(uid), free(uname);
        fprintf(c->errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    int any = 0;
    for (int r = 0; r < n; r++) any |= (k[r] = ts_stored_run_node(runs[r].r, nid)) >= 0;
    if (!any) {
        fprintf(c->errs, "%s: unknown node '%s' in the runs compared\n", c->prog, nid);
        free(k), free(uid), free(uname);
        return EXIT_INPUT;
    }
    int m = 0;
    for (int r = 0; r < n; r++)
        for (int u = 0; u < runs[r].r->n_units; u++) {
            int seen = 0;
            for (int i = 0; i < m && !seen; i++) seen = strcmp(uid[i], runs[r].r->unit_id[u]) == 0;
            if (!seen) {
                uid[m] = runs[r].r->unit_id[u];
                uname[m++] = runs[r].r->unit_name[u];
            }
        }
    ts_buf o = {0};
    if (fmt == TS_FORMAT_TABLE) {
        ts_buf_printf(&o, "node %s; score (rank) per run\n", nid);
        for (int r = 0; r < n; r++)
            ts_buf_printf(&o, "  run %lld: %s (%s)\n", runs[r].id, runs[r].r->info.scenario, runs[r].r->info.created_at);
        ts_buf_printf(&o, "\n%-10s %-20s", "unit", "name");
        for (int r = 0; r < n; r++) {
            char h[32];
            snprintf(h, sizeof h, "run %lld", runs[r].id);
            ts_buf_printf(&o, " %13s", h);
        }
        ts_buf_puts(&o, "\n");
    } else if (fmt == TS_FORMAT_CSV) {
        ts_buf_puts(&o, "unit,unit_name");
        for (int r = 0; r < n; r++) ts_buf_printf(&o, ",score_%lld,rank_%lld", runs[r].id, runs[r].id);
        ts_buf_puts(&o, "\n");
    } else {
        ts_buf_puts(&o, "{\"node\":");
        ts_buf_json_string(&o, nid);
        ts_buf_puts(&o, ",\"runs\":[");
        for (int r = 0; r < n; r++) {
            ts_buf_printf(&o, "%s{\"id\":%lld,\"scenario\":", r ? "," : "", runs[r].id);
            ts_buf_json_string(&o, runs[r].r->info.scenario);
            ts_buf_puts(&o, ",\"created_at\":");
            ts_buf_json_string(&o, runs[r].r->info.created_at);
            ts_buf_puts(&o, "}");
        }
        ts_buf_puts(&o, "],\"units\":[");
    }
    for (int i = 0; i < m; i++) {
        if (fmt == TS_FORMAT_TABLE) {
            char nm[64];
            snprintf(nm, sizeof nm, "%s", uname[i]);
            for (char *p = nm; *p; p++)
                if ((unsigned char)*p < 0x20) *p = ' ';
            ts_buf_printf(&o, "%-10.10s %-20.20s", uid[i], nm);
        } else if (fmt == TS_FORMAT_CSV) {
            ts_csv_field(&o, uid[i]);
            ts_buf_puts(&o, ",");
            ts_csv_field(&o, uname[i]);
        } else {
            ts_buf_puts(&o, i ? ",\n{\"unit\":" : "\n{\"unit\":");
            ts_buf_json_string(&o, uid[i]);
            ts_buf_puts(&o, ",\"unit_name\":");
            ts_buf_json_string(&o, uname[i]);
        }
        ts_buf sc = {0}, rk = {0}, cl = {0};
        for (int r = 0; r < n; r++) {
            const ts_stored_run *R = runs[r].r;
            int u = ts_stored_run_unit(R, uid[i]);
            size_t cell = u >= 0 && k[r] >= 0 ? (size_t)u * (size_t)R->n_nodes + (size_t)k[r] : (size_t)-1;
            double x = cell != (size_t)-1 ? R->score[cell] : NAN;
            int rank = cell != (size_t)-1 ? R->rank[cell] : 0;
            const char *cls = cell != (size_t)-1 ? R->cls[cell] : NULL;
            if (fmt == TS_FORMAT_TABLE) {
                char cellbuf[40];
                if (isnan(x)) snprintf(cellbuf, sizeof cellbuf, "-");
                else if (rank) snprintf(cellbuf, sizeof cellbuf, "%.2f (%d)", x, rank);
                else snprintf(cellbuf, sizeof cellbuf, "%.2f", x);
                ts_buf_printf(&o, " %13s", cellbuf);
            } else if (fmt == TS_FORMAT_CSV) {
                ts_buf_puts(&o, ",");
                ts_out_number(&o, x);
                ts_buf_puts(&o, ",");
                if (rank) ts_buf_printf(&o, "%d", rank);
            } else {
                ts_buf_puts(&sc, r ? "," : "");
                ts_buf_json_number(&sc, x);
                ts_buf_puts(&rk, r ? "," : "");
                ts_out_json_int(&rk, rank);
                ts_buf_puts(&cl, r ? "," : "");
                ts_out_json_string(&cl, cls);
            }
        }
        if (fmt == TS_FORMAT_JSON)
            ts_buf_printf(&o, ",\"scores\":[%s],\"ranks\":[%s],\"classes\":[%s]}", sc.data ? sc.data : "",
                          rk.data ? rk.data : "", cl.data ? cl.data : "");
        else
            ts_buf_puts(&o, "\n");
        if (sc.oom || rk.oom || cl.oom) o.oom = 1; /* the row would lack them */
        ts_buf_free(&sc), ts_buf_free(&rk), ts_buf_free(&cl);
    }
    if (fmt == TS_FORMAT_JSON) ts_buf_puts(&o, "\n]}\n");
    int rc = finish_output(c, f, &o, 0);
    ts_buf_free(&o);
    free(k), free(uid), free(uname);
    return rc;
}

/* Parses a threshold for --threshold: a finite number >= 0. Returns 0 with
 * it in *x, or -1. */
static int parse_threshold(const char *v, double *x) {
    char *end;
    *x = strtod(v, &end);
    return end != v && !*end && *x >= 0 && isfinite(*x) ? 0 : -1;
}

int ts_cli_compare(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *out_path = NULL, *reference = NULL;
    ts_compare_options opt = {0};
    int has_threshold = 0;
    ts_format fmt = TS_FORMAT_TABLE;
    const char **specs = calloc((size_t)argc + 1, sizeof *specs);
    int n = 0, rc = EXIT_OK;
    if (!specs) return ts_cmd_oom(c);
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_COMPARE, out);
            free(specs);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--db", &missing))) {
            db = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--node", &missing))) {
            opt.node = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--reference", &missing))) {
            reference = v;
        } else if (strcmp(argv[i], "--changed-only") == 0) {
            opt.changed_only = 1;
        } else if ((v = ts_opt_value(argc, argv, &i, "--threshold", &missing))) {
            if (parse_threshold(v, &opt.threshold))
                rc = ts_cmd_usage(c, USAGE_COMPARE, "--threshold takes a number >= 0, not '%s'", v);
            has_threshold = 1;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing))) {
            out_path = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt)) rc = ts_cmd_usage(c, USAGE_COMPARE, "unknown format '%s' (table, csv or json)", v);
        } else if (missing) {
            rc = ts_cmd_usage(c, USAGE_COMPARE, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = ts_cmd_usage(c, USAGE_COMPARE, "unknown option '%s'", argv[i]);
        } else {
            specs[n++] = argv[i];
        }
    }
    if (rc == EXIT_OK && !db) rc = ts_cmd_usage(c, USAGE_COMPARE, "compare needs --db %s", "FILE");
    if (rc == EXIT_OK && has_threshold && !opt.changed_only)
        rc = ts_cmd_usage(c, USAGE_COMPARE, "--threshold goes with %s", "--changed-only");
    if (rc == EXIT_OK && n == 1 && !reference)
        rc = ts_cmd_usage(c, USAGE_COMPARE, "compare needs two RUNs, or a RUN and --reference (%s given)", specs[0]);
    int matrix = n >= 3 && !reference && !opt.changed_only;
    const ts_cmd_input in = {db, "the database", 1};
    if (rc == EXIT_OK) rc = ts_cmd_check_output(c, "-o", out_path, &in, 1);
    ts_store *st = NULL;
    if (rc == EXIT_OK) rc = ts_cmd_open_store(c, db, &st);
    cmp_run *runs = rc == EXIT_OK && matrix ? calloc((size_t)n, sizeof *runs) : NULL;
    if (rc == EXIT_OK && matrix && !runs) rc = EXIT_SYSTEM;
    ts_comparison *cmp = NULL;
    ts_error err;
    ts_error_clear(&err);
    for (int i = 0; matrix && i < n && rc == EXIT_OK; i++) {
        if (ts_store_resolve_run(st, specs[i], &runs[i].id, &err) ||
            ts_store_load_run(st, runs[i].id, &runs[i].r, &err))
            rc = ts_cmd_error(c, &err);
    }
    if (rc == EXIT_OK && !matrix && ts_compare_load(st, reference, specs, n, &opt, &cmp, &err)) rc = ts_cmd_error(c, &err);
    if (rc == EXIT_OK) {
        ts_outfile tmp;
        FILE *f = ts_cmd_open_output(c, out_path, &tmp);
        if (!f) rc = EXIT_SYSTEM;
        else {
            rc = matrix ? compare_matrix(c, f, fmt, runs, n, opt.node) : compare_rows(c, f, fmt, cmp, &opt);
            int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
            if (rc == EXIT_OK) rc = crc;
        }
    }
    for (int i = 0; runs && i < n; i++) ts_stored_run_free(runs[i].r);
    free(runs);
    ts_comparison_free(cmp);
    ts_store_close(st);
    free(specs);
    return rc;
}
