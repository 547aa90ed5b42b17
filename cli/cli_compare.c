/* cli_compare.c -- `threatscore compare`: two stored runs side by side, or
 * a units x runs matrix of three or more, as a table, CSV or JSON. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "report.h"
#include "store.h"

static const char USAGE_COMPARE[] =
    "usage: threatscore compare --db FILE RUN RUN... [--node NODE] [--format table|csv|json] [-o FILE]\n"
    "\n"
    "Compares stored runs. A RUN is a run id or a scenario name (its latest\n"
    "run). Units and nodes are matched by id.\n"
    "\n"
    "Two runs: one row per node and unit (every node, or only --node) with\n"
    "score A, score B, delta (B - A), rank A, rank B, rank change (rank A -\n"
    "rank B: +2 = two places closer to rank 1) and the classes A and B.\n"
    "\n"
    "Three or more runs: a units x runs matrix of scores and ranks at one\n"
    "node (--node, default the index).\n";

/* A loaded run for comparison. */
typedef struct cmp_run {
    long long id;
    ts_stored_run *r;
} cmp_run;

/* Sort key for two-run rows: rank in B, then rank in A, then unit order. */
typedef struct pair_row {
    int ua, ub; /* unit index in run A / B, -1 when absent */
    int rank_a, rank_b, order;
} pair_row;

static int cmp_pair_row(const void *x, const void *y) {
    const pair_row *a = x, *b = y;
    int ka = a->rank_b ? a->rank_b : 1 << 30, kb = b->rank_b ? b->rank_b : 1 << 30;
    if (ka != kb) return ka < kb ? -1 : 1;
    ka = a->rank_a ? a->rank_a : 1 << 30, kb = b->rank_a ? b->rank_a : 1 << 30;
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->order - b->order;
}

/* Writes the two-run comparison. */
static int compare_two(ts_cmd *c, FILE *f, ts_format fmt, const cmp_run *A, const cmp_run *B, const char *node) {
    const ts_stored_run *a = A->r, *b = B->r;
    ts_buf o = {0};
    int n_units = a->n_units + b->n_units;
    pair_row *rows = calloc((size_t)n_units + 1, sizeof *rows);
    const char **node_ids = calloc((size_t)(a->n_nodes + b->n_nodes) + 1, sizeof *node_ids);
    if (!rows || !node_ids) {
        free(rows), free(node_ids);
        fprintf(c->errs, "%s: out of memory\n", c->prog);
        return EXIT_SYSTEM;
    }
    int nn = 0;
    for (int k = 0; k < a->n_nodes; k++) node_ids[nn++] = a->nodes[k].id;
    for (int k = 0; k < b->n_nodes; k++)
        if (ts_stored_run_node(a, b->nodes[k].id) < 0) node_ids[nn++] = b->nodes[k].id;
    if (node) {
        int found = 0;
        for (int k = 0; k < nn && !found; k++) found = strcmp(node_ids[k], node) == 0;
        if (!found) {
            const char *hint = ts_suggest(node, node_ids, (size_t)nn);
            fprintf(c->errs, "%s: unknown node '%s' in runs %lld and %lld%s%s%s\n", c->prog, node, A->id, B->id,
                    hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
            free(rows), free(node_ids);
            return EXIT_INPUT;
        }
        node_ids[0] = node;
        nn = 1;
    }
    if (fmt == TS_FORMAT_TABLE) {
        ts_buf_printf(&o, "A: run %lld  %s  (%s)\nB: run %lld  %s  (%s)\n\n", A->id, a->info.scenario,
                      a->info.created_at, B->id, b->info.scenario, b->info.created_at);
        ts_buf_printf(&o, "%-20s %-10s %10s %10s %10s %6s %6s %6s  %s\n", "node", "unit", "score A", "score B", "delta",
                      "rank A", "rank B", "change", "class A -> B");
    } else if (fmt == TS_FORMAT_CSV) {
        ts_buf_puts(&o, "node,unit,unit_name,score_a,score_b,delta,rank_a,rank_b,rank_change,class_a,class_b,"
                        "class_changed\n");
    } else {
        ts_buf_printf(&o, "{\"runs\":[{\"id\":%lld,\"scenario\":", A->id);
        ts_buf_json_string(&o, a->info.scenario);
        ts_buf_puts(&o, ",\"created_at\":");
        ts_buf_json_string(&o, a->info.created_at);
        ts_buf_printf(&o, "},{\"id\":%lld,\"scenario\":", B->id);
        ts_buf_json_string(&o, b->info.scenario);
        ts_buf_puts(&o, ",\"created_at\":");
        ts_buf_json_string(&o, b->info.created_at);
        ts_buf_puts(&o, "}],\"rows\":[");
    }
    int first = 1;
    for (int j = 0; j < nn; j++) {
        int ka = ts_stored_run_node(a, node_ids[j]), kb = ts_stored_run_node(b, node_ids[j]);
        int m = 0;
        for (int u = 0; u < a->n_units; u++, m++) rows[m] = (pair_row){u, ts_stored_run_unit(b, a->unit_id[u]), 0, 0, m};
        for (int u = 0; u < b->n_units; u++)
            if (ts_stored_run_unit(a, b->unit_id[u]) < 0) {
                rows[m] = (pair_row){-1, u, 0, 0, m};
                m++;
            }
        for (int i = 0; i < m; i++) {
            if (rows[i].ua >= 0 && ka >= 0) rows[i].rank_a = a->rank[(size_t)rows[i].ua * (size_t)a->n_nodes + (size_t)ka];
            if (rows[i].ub >= 0 && kb >= 0) rows[i].rank_b = b->rank[(size_t)rows[i].ub * (size_t)b->n_nodes + (size_t)kb];
        }
        qsort(rows, (size_t)m, sizeof *rows, cmp_pair_row);
        for (int i = 0; i < m; i++) {
            const pair_row *pr = &rows[i];
            size_t ca = pr->ua >= 0 && ka >= 0 ? (size_t)pr->ua * (size_t)a->n_nodes + (size_t)ka : (size_t)-1;
            size_t cb = pr->ub >= 0 && kb >= 0 ? (size_t)pr->ub * (size_t)b->n_nodes + (size_t)kb : (size_t)-1;
            double sa = ca != (size_t)-1 ? a->score[ca] : NAN, sb = cb != (size_t)-1 ? b->score[cb] : NAN;
            const char *cla = ca != (size_t)-1 ? a->cls[ca] : NULL, *clb = cb != (size_t)-1 ? b->cls[cb] : NULL;
            const char *uid = pr->ua >= 0 ? a->unit_id[pr->ua] : b->unit_id[pr->ub];
            const char *uname = pr->ua >= 0 ? a->unit_name[pr->ua] : b->unit_name[pr->ub];
            double delta = sb - sa;
            int has_change = pr->rank_a && pr->rank_b, change = pr->rank_a - pr->rank_b;
            int class_changed = (cla == NULL) != (clb == NULL) || (cla && clb && strcmp(cla, clb) != 0);
            if (fmt == TS_FORMAT_TABLE) {
                char sa_s[32] = "-", sb_s[32] = "-", d_s[32] = "-", ra[16] = "-", rb[16] = "-", ch[16] = "";
                if (!isnan(sa)) snprintf(sa_s, sizeof sa_s, "%.4f", sa);
                if (!isnan(sb)) snprintf(sb_s, sizeof sb_s, "%.4f", sb);
                if (!isnan(delta)) snprintf(d_s, sizeof d_s, "%+.4f", delta);
                if (pr->rank_a) snprintf(ra, sizeof ra, "%d", pr->rank_a);
                if (pr->rank_b) snprintf(rb, sizeof rb, "%d", pr->rank_b);
                if (has_change && change) snprintf(ch, sizeof ch, "%+d", change);
                ts_buf_printf(&o, "%-20.20s %-10.10s %10s %10s %10s %6s %6s %6s  %s%s%s\n", node_ids[j], uid, sa_s, sb_s,
                              d_s, ra, rb, ch, cla ? cla : "-", class_changed ? " -> " : "",
                              class_changed ? (clb ? clb : "-") : "");
            } else if (fmt == TS_FORMAT_CSV) {
                ts_csv_field(&o, node_ids[j]);
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, uid);
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, uname);
                ts_buf_puts(&o, ",");
                ts_out_number(&o, sa);
                ts_buf_puts(&o, ",");
                ts_out_number(&o, sb);
                ts_buf_puts(&o, ",");
                ts_out_number(&o, delta);
                ts_buf_puts(&o, ",");
                if (pr->rank_a) ts_buf_printf(&o, "%d", pr->rank_a);
                ts_buf_puts(&o, ",");
                if (pr->rank_b) ts_buf_printf(&o, "%d", pr->rank_b);
                ts_buf_puts(&o, ",");
                if (has_change) ts_buf_printf(&o, "%d", change);
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, cla ? cla : "");
                ts_buf_puts(&o, ",");
                ts_csv_field(&o, clb ? clb : "");
                ts_buf_printf(&o, ",%d\n", class_changed);
            } else {
                ts_buf_puts(&o, first ? "\n{\"node\":" : ",\n{\"node\":");
                ts_buf_json_string(&o, node_ids[j]);
                ts_buf_puts(&o, ",\"unit\":");
                ts_buf_json_string(&o, uid);
                ts_buf_puts(&o, ",\"unit_name\":");
                ts_buf_json_string(&o, uname);
                ts_buf_puts(&o, ",\"score_a\":");
                ts_buf_json_number(&o, sa);
                ts_buf_puts(&o, ",\"score_b\":");
                ts_buf_json_number(&o, sb);
                ts_buf_puts(&o, ",\"delta\":");
                ts_buf_json_number(&o, delta);
                ts_buf_puts(&o, ",\"rank_a\":");
                ts_out_json_int(&o, pr->rank_a);
                ts_buf_puts(&o, ",\"rank_b\":");
                ts_out_json_int(&o, pr->rank_b);
                ts_buf_puts(&o, ",\"rank_change\":");
                if (has_change) ts_buf_printf(&o, "%d", change);
                else ts_buf_puts(&o, "null");
                ts_buf_puts(&o, ",\"class_a\":");
                ts_out_json_string(&o, cla);
                ts_buf_puts(&o, ",\"class_b\":");
                ts_out_json_string(&o, clb);
                ts_buf_printf(&o, ",\"class_changed\":%s}", class_changed ? "true" : "false");
            }
            first = 0;
        }
        if (o.len > 1 << 16) {
            fwrite(o.data, 1, o.len, f);
            o.len = 0;
        }
    }
    if (fmt == TS_FORMAT_JSON) ts_buf_puts(&o, "\n]}\n");
    int rc = o.oom ? EXIT_SYSTEM : EXIT_OK;
    if (o.len && fwrite(o.data, 1, o.len, f) != o.len) rc = EXIT_SYSTEM;
    if (rc) fprintf(c->errs, "%s: cannot write the comparison\n", c->prog);
    ts_buf_free(&o);
    free(rows);
    free(node_ids);
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
        ts_buf_free(&sc), ts_buf_free(&rk), ts_buf_free(&cl);
    }
    if (fmt == TS_FORMAT_JSON) ts_buf_puts(&o, "\n]}\n");
    int rc = o.oom ? EXIT_SYSTEM : EXIT_OK;
    if (o.len && fwrite(o.data, 1, o.len, f) != o.len) rc = EXIT_SYSTEM;
    if (rc) fprintf(c->errs, "%s: cannot write the comparison\n", c->prog);
    ts_buf_free(&o);
    free(k), free(uid), free(uname);
    return rc;
}

int ts_cli_compare(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *db = NULL, *node = NULL, *out_path = NULL;
    ts_format fmt = TS_FORMAT_TABLE;
    const char **specs = calloc((size_t)argc + 1, sizeof *specs);
    int n = 0, rc = EXIT_OK;
    if (!specs) return EXIT_SYSTEM;
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
            node = v;
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
    if (rc == EXIT_OK && n < 2) rc = ts_cmd_usage(c, USAGE_COMPARE, "compare needs at least two %s", "RUNs");
    ts_store *st = NULL;
    if (rc == EXIT_OK) rc = ts_cmd_open_store(c, db, &st);
    cmp_run *runs = rc == EXIT_OK ? calloc((size_t)n, sizeof *runs) : NULL;
    if (rc == EXIT_OK && !runs) rc = EXIT_SYSTEM;
    for (int i = 0; i < n && rc == EXIT_OK; i++) {
        ts_error err;
        ts_error_clear(&err);
        if (ts_store_resolve_run(st, specs[i], &runs[i].id, &err) ||
            ts_store_load_run(st, runs[i].id, &runs[i].r, &err))
            rc = ts_cmd_error(c, &err);
    }
    if (rc == EXIT_OK) {
        ts_outfile tmp;
        FILE *f = ts_cmd_open_output(c, out_path, &tmp);
        if (!f) rc = EXIT_SYSTEM;
        else {
            rc = n == 2 ? compare_two(c, f, fmt, &runs[0], &runs[1], node) : compare_matrix(c, f, fmt, runs, n, node);
            int crc = ts_cmd_close_output(c, f, out_path, &tmp, rc == EXIT_OK);
            if (rc == EXIT_OK) rc = crc;
        }
    }
    for (int i = 0; runs && i < n; i++) ts_stored_run_free(runs[i].r);
    free(runs);
    ts_store_close(st);
    free(specs);
    return rc;
}
