/* report.c -- ranking table, long-format CSV and JSON writers. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

int ts_format_parse(const char *name, ts_format *out) {
    if (strcmp(name, "table") == 0) *out = TS_FORMAT_TABLE;
    else if (strcmp(name, "csv") == 0) *out = TS_FORMAT_CSV;
    else if (strcmp(name, "json") == 0) *out = TS_FORMAT_JSON;
    else return -1;
    return 0;
}

/* Returns 1 when the n bytes of s must be quoted as a CSV field: a comma,
 * a quote or a line break inside, or space at either end. */
static int csv_needs_quotes(const char *s, size_t n) {
    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' ')) return 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
    return 0;
}

void ts_csv_field(ts_buf *b, const char *s) {
    size_t n = strlen(s);
    if (!csv_needs_quotes(s, n)) {
        ts_buf_append(b, s, n);
        return;
    }
    ts_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') ts_buf_append(b, "\"", 1);
        ts_buf_append(b, s + i, 1);
    }
    ts_buf_append(b, "\"", 1);
}

/* Bytes put_field needs for a field of n bytes: quotes doubled, the field
 * quoted, its separator. */
#define FIELD_ROOM(n) (2 * (n) + 3)

/* Writes the n bytes of s at p as ts_csv_field does, then sep; returns the
 * end. Needs FIELD_ROOM(n) bytes. */
static char *put_field(char *p, const char *s, size_t n, char sep) {
    if (!csv_needs_quotes(s, n)) {
        memcpy(p, s, n);
        p += n;
    } else {
        *p++ = '"';
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"') *p++ = '"';
            *p++ = s[i];
        }
        *p++ = '"';
    }
    *p++ = sep;
    return p;
}

/* Writes x at p (nothing for NaN), then sep; returns the end. Needs
 * TS_FMT_SIZE bytes. cache may be NULL. */
static char *put_double(char *p, double x, char sep, ts_fmt_cache *cache) {
    if (!isnan(x)) p += cache ? ts_fmt_g17_cached(cache, p, x) : ts_fmt_g17(p, x);
    *p++ = sep;
    return p;
}

const char TS_SCORES_CSV_HEADER[] =
    "unit,unit_name,node,node_name,parent,depth,score,rank,class,coverage,imputed,reliability\n";

/* A line of the long scores CSV is written in three parts: the unit's
 * fields, the node's (the same for every unit, so write_csv renders them
 * once) and the values. len[] holds the lengths of node, node_name and
 * parent. */

/* Bytes put_node_part needs. */
#define NODE_ROOM(len) (FIELD_ROOM((len)[0]) + FIELD_ROOM((len)[1]) + (len)[2] + 1 + TS_FMT_SIZE)

/* Writes "node,node_name,parent,depth," at p; returns the end. */
static char *put_node_part(char *p, const ts_score_row *row, const size_t *len) {
    p = put_field(p, row->node, len[0], ',');
    p = put_field(p, row->node_name, len[1], ',');
    memcpy(p, row->parent, len[2]); /* unquoted, as it always was: an id */
    p += len[2];
    *p++ = ',';
    p += ts_fmt_int(p, row->depth);
    *p++ = ',';
    return p;
}

/* Bytes put_values_part needs for a class name of n bytes. */
#define VALUES_ROOM(n) (FIELD_ROOM(n) + 5 * TS_FMT_SIZE)

/* Writes "score,rank,class,coverage,imputed,reliability\n" at p, cls_len being the
 * length of row->cls (or 0); returns the end. shares (may be NULL)
 * remembers coverage and imputed shares, which repeat. */
static char *put_values_part(char *p, const ts_score_row *row, size_t cls_len, ts_fmt_cache *shares) {
    p = put_double(p, row->score, ',', NULL);
    if (row->rank) p += ts_fmt_int(p, row->rank);
    *p++ = ',';
    p = put_field(p, row->cls ? row->cls : "", cls_len, ',');
    p = put_double(p, row->coverage, ',', shares);
    p = put_double(p, row->imputed, ',', shares);
    return put_double(p, row->reliability, '\n', shares);
}

void ts_csv_score_row(ts_buf *b, const ts_score_row *row) {
    /* the line is built in one piece and appended once, its numbers
       written without printf */
    size_t unit_len = strlen(row->unit), name_len = strlen(row->unit_name),
           len[3] = {strlen(row->node), strlen(row->node_name), strlen(row->parent)},
           cls_len = row->cls ? strlen(row->cls) : 0;
    size_t need = FIELD_ROOM(unit_len) + FIELD_ROOM(name_len) + NODE_ROOM(len) + VALUES_ROOM(cls_len);
    char local[1024], *line = need <= sizeof local ? local : malloc(need);
    if (!line) {
        b->oom = 1;
        return;
    }
    char *p = put_field(line, row->unit, unit_len, ',');
    p = put_field(p, row->unit_name, name_len, ',');
    p = put_node_part(p, row, len);
    p = put_values_part(p, row, cls_len, NULL);
    ts_buf_append(b, line, (size_t)(p - line));
    if (line != local) free(line);
}

/* Writes and clears b; returns TS_OK or TS_ESYSTEM. */
static int flush(FILE *f, ts_buf *b, ts_error *err) {
    if (b->oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "write failed");
    b->len = 0;
    return TS_OK;
}

/* Copies s into out (size n) with control characters replaced, so names
 * from input files cannot move the terminal's cursor. */
static const char *printable(const char *s, char *out, size_t n) {
    size_t k = 0;
    for (; *s && k + 1 < n; s++) out[k++] = ((unsigned char)*s < 0x20 || *s == 0x7F) ? ' ' : *s;
    out[k] = '\0';
    return out;
}

static void fmt_score(ts_buf *b, double x, int width) {
    if (isnan(x)) ts_buf_printf(b, " %*s", width, "-");
    else ts_buf_printf(b, " %*.2f", width, x);
}

typedef struct ranked {
    int rank, u;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    unsigned rx = (unsigned)x->rank - 1u, ry = (unsigned)y->rank - 1u; /* 0 (unranked) sorts last */
    if (rx != ry) return rx < ry ? -1 : 1;
    return (x->u > y->u) - (x->u < y->u);
}

/* Sorts the n unit indices in order by their rank (0 = unranked, last).
 * Returns 0, or -1 when out of memory. */
static int sort_by_rank(int *order, int n, const int *rank) {
    ranked *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    if (!tmp) return -1;
    for (int i = 0; i < n; i++) tmp[i] = (ranked){rank[order[i]], order[i]};
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_ranked);
    for (int i = 0; i < n; i++) order[i] = tmp[i].u;
    free(tmp);
    return 0;
}

/* What the table reads of a result, full (ts_score) or lean (ts_score_lean):
 * the table is the same either way. */
typedef struct table_view {
    const ts_result *full;      /* or NULL, and then lean */
    const ts_lean_result *lean;
    const ts_scenario *s;
    const int *rank;            /* [k * n_units + u] */
    const unsigned char *screened;
    const ts_treat_log *treatment;
} table_view;

static double view_score(const table_view *v, int k, int u) {
    return v->full ? ts_result_score(v->full, k, u) : ts_lean_score(v->lean, v->s, k, u);
}

static double view_coverage(const table_view *v, int k, int u) {
    return v->full ? ts_result_coverage(v->full, k, u) : ts_lean_coverage(v->lean, v->s, k, u);
}

static double view_reliability(const table_view *v, int k, int u) {
    return v->full ? ts_result_reliability(v->full, k, u) : ts_lean_reliability(v->lean, v->s, k, u);
}

static int write_table(FILE *f, const table_view *r, long long run_id, ts_error *err) {
    const ts_scenario *s = r->s;
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    int root = ts_taxonomy_root(t), n = d->n_units;
    const ts_node *rn = &t->nodes[root];
    int *order = malloc(((size_t)n + 1) * sizeof *order);
    if (!order) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    /* units by rank at the index; unranked last; ties in input order */
    for (int u = 0; u < n; u++) order[u] = u;
    int m = n;
    if (sort_by_rank(order, n, r->rank + (size_t)root * (size_t)n) != 0) {
        free(order);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    ts_buf b = {0};
    char name[256];
    ts_buf_printf(&b, "%s", printable(s->name, name, sizeof name));
    if (run_id > 0) ts_buf_printf(&b, " (run %lld)", run_id);
    ts_buf_printf(&b, ": %s, %d units, %d indicators, scale %g-%g",
                  printable(t->name, name, sizeof name), n, t->n_indicators, t->scale_min, t->scale_max);
    if (t->scale_min != t->file_scale_min || t->scale_max != t->file_scale_max)
        ts_buf_printf(&b, " (normalise.range; class thresholds rescaled from the taxonomy's %g-%g)",
                      t->file_scale_min, t->file_scale_max);
    ts_buf_puts(&b, "\n");
    int name_w = 4;
    for (int u = 0; u < n; u++) {
        int len = (int)strlen(d->unit_name[u]);
        if (len > name_w) name_w = len > 24 ? 24 : len;
    }
    int root_w = (int)strlen(rn->id) < 7 ? 7 : (int)strlen(rn->id) > 16 ? 16 : (int)strlen(rn->id);
    ts_buf_printf(&b, "%4s  %-8s %-*s %*.*s  %-10s %6s %5s", "rank", "unit", name_w, "name", root_w, root_w, rn->id,
                  "class", "cover", "rel");
    for (int c = 0; c < rn->n_children; c++) {
        const char *id = t->nodes[t->children[rn->first_child + c]].id;
        ts_buf_printf(&b, " %*.*s", (int)(strlen(id) > 10 ? 10 : (strlen(id) < 7 ? 7 : strlen(id))),
                      10, id);
    }
    ts_buf_puts(&b, "\n");
    for (int j = 0; j < m; j++) {
        int u = order[j], rank = r->rank[(size_t)root * (size_t)n + (size_t)u];
        double score = view_score(r, root, u);
        const char *cls = ts_taxonomy_class(t, root, score);
        char rank_s[16];
        snprintf(rank_s, sizeof rank_s, rank ? "%d" : "-", rank);
        ts_buf_printf(&b, "%4s  %-8s %-*.*s", rank_s, d->unit_id[u], name_w, name_w,
                      printable(d->unit_name[u], name, sizeof name));
        fmt_score(&b, score, root_w);
        ts_buf_printf(&b, "  %-10s %5.0f%% %5.1f", cls ? printable(cls, name, sizeof name) : "-",
                      100 * view_coverage(r, root, u), view_reliability(r, root, u));
        for (int c = 0; c < rn->n_children; c++) {
            int child = t->children[rn->first_child + c];
            size_t len = strlen(t->nodes[child].id);
            fmt_score(&b, view_score(r, child, u), (int)(len > 10 ? 10 : (len < 7 ? 7 : len)));
        }
        ts_buf_puts(&b, "\n");
    }
    free(order);
    int first = 1;
    for (int u = 0; u < n; u++)
        if (r->screened[u]) {
            ts_buf_printf(&b, "%s%s", first ? "screened out for too little data: " : ", ", d->unit_id[u]);
            first = 0;
        }
    if (!first) ts_buf_puts(&b, "\n");
    for (int i = 0; i < t->n_indicators; i++) {
        const ts_treat_log *tl = &r->treatment[i];
        if (!tl->treated) continue;
        ts_buf_printf(&b, "treated %s: skew %.2f kurtosis %.2f -> ", t->nodes[t->indicator_node[i]].id, tl->skew,
                      tl->kurtosis);
        if (tl->fallback) ts_buf_puts(&b, "log transform");
        else ts_buf_printf(&b, "winsorised %d high, %d low", tl->winsorised_high, tl->winsorised_low);
        ts_buf_printf(&b, " (skew %.2f kurtosis %.2f)\n", tl->skew_after, tl->kurtosis_after);
    }
    int rc = flush(f, &b, err);
    ts_buf_free(&b);
    return rc;
}

/* Units gathered per block by write_csv: the result is node-major, so one
 * unit's line reads one value per cache line (and per page at 10,000
 * units); eight units use every value of the lines they read. */
#define CSV_BLOCK 8

/* One unit at one node, as write_csv gathers it. */
typedef struct csv_cell {
    double score, coverage, imputed, reliability;
    int rank;
} csv_cell;

/* The row of unit u at node k, values from c. */
static ts_score_row csv_row(const ts_scenario *s, int u, int k, const csv_cell *c) {
    const ts_taxonomy *t = s->tax;
    const ts_node *nd = &t->nodes[k];
    return (ts_score_row){s->data->unit_id[u], s->data->unit_name[u], nd->id, nd->name,
                          nd->parent >= 0 ? t->nodes[nd->parent].id : "", nd->depth, c->rank, c->score,
                          c->coverage, c->imputed, ts_taxonomy_class(t, k, c->score), c->reliability};
}

/* The values of unit u at node k, from the full result r or, when r is
 * NULL, the lean result lean. */
static csv_cell csv_cell_of(const ts_scenario *s, const ts_result *r, const ts_lean_result *lean, int k, int u) {
    if (r) {
        size_t cell = (size_t)k * (size_t)r->n_units + (size_t)u;
        return (csv_cell){r->score[cell], r->coverage[cell], r->imputed_share[cell], r->reliability[cell],
                          r->rank[cell]};
    }
    size_t cell = (size_t)k * (size_t)lean->n_units + (size_t)u;
    return (csv_cell){ts_lean_score(lean, s, k, u), ts_lean_coverage(lean, s, k, u),
                      ts_lean_imputed_share(lean, s, k, u), ts_lean_reliability(lean, s, k, u), lean->rank[cell]};
}

/* Writes the long CSV of r, or of the lean result lean when r is NULL (one
 * writer, so that score --lean writes the same bytes as score): the bytes
 * of ts_csv_score_row for every unit x node, with each node's part of the
 * line rendered once (5 M lines at 10,000 x 500). */
static int write_csv(FILE *f, const ts_scenario *s, const ts_result *r, const ts_lean_result *lean,
                     ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    int nn = t->n_nodes, n = d->n_units, rc = TS_OK;
    int *order = malloc((size_t)nn * sizeof *order);
    size_t *node_at = malloc(((size_t)nn + 1) * sizeof *node_at), node_room = 0;
    csv_cell *block = malloc((size_t)nn * CSV_BLOCK * sizeof *block), zero = {0};
    ts_fmt_cache *shares = calloc(1, sizeof *shares);
    char *node_text = NULL;
    if (order && node_at && block && shares) {
        ts_taxonomy_preorder(t, order);
        for (int j = 0; j < nn; j++) {
            ts_score_row row = csv_row(s, 0, order[j], &zero);
            size_t len[3] = {strlen(row.node), strlen(row.node_name), strlen(row.parent)};
            node_room += NODE_ROOM(len);
        }
        node_text = malloc(node_room);
    }
    if (!node_text) {
        free(order), free(node_at), free(block), free(shares);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    char *p = node_text;
    for (int j = 0; j < nn; j++) {
        ts_score_row row = csv_row(s, 0, order[j], &zero);
        size_t len[3] = {strlen(row.node), strlen(row.node_name), strlen(row.parent)};
        node_at[j] = (size_t)(p - node_text);
        p = put_node_part(p, &row, len);
    }
    node_at[nn] = (size_t)(p - node_text);
    ts_buf b = {0};
    ts_buf_puts(&b, TS_SCORES_CSV_HEADER);
    char line[1024];
    for (int u0 = 0; u0 < n && rc == TS_OK; u0 += CSV_BLOCK) {
        int units = n - u0 < CSV_BLOCK ? n - u0 : CSV_BLOCK;
        for (int j = 0; j < nn; j++) {
            int k = order[j];
            for (int i = 0; i < units; i++)
                block[(size_t)i * (size_t)nn + (size_t)j] = csv_cell_of(s, r, lean, k, u0 + i);
        }
        for (int i = 0; i < units && rc == TS_OK; i++) {
            int u = u0 + i;
            size_t unit_len = strlen(d->unit_id[u]), name_len = strlen(d->unit_name[u]);
            size_t unit_room = FIELD_ROOM(unit_len) + FIELD_ROOM(name_len);
            char *after_unit = line; /* the unit's part stays in line for every node */
            if (unit_room <= sizeof line) {
                after_unit = put_field(line, d->unit_id[u], unit_len, ',');
                after_unit = put_field(after_unit, d->unit_name[u], name_len, ',');
            }
            for (int j = 0; j < nn; j++) {
                ts_score_row row = csv_row(s, u, order[j], &block[(size_t)i * (size_t)nn + (size_t)j]);
                size_t node_len = node_at[j + 1] - node_at[j], cls_len = row.cls ? strlen(row.cls) : 0;
                if (unit_room + node_len + VALUES_ROOM(cls_len) > sizeof line) {
                    ts_csv_score_row(&b, &row); /* long names: the same bytes, built apart */
                    continue;
                }
                memcpy(after_unit, node_text + node_at[j], node_len);
                char *end = put_values_part(after_unit + node_len, &row, cls_len, shares);
                ts_buf_append(&b, line, (size_t)(end - line));
            }
            if (b.len > 1 << 16) rc = flush(f, &b, err);
        }
    }
    if (rc == TS_OK) rc = flush(f, &b, err);
    ts_buf_free(&b);
    free(order), free(node_at), free(block), free(node_text), free(shares);
    return rc;
}

int ts_report_write_lean_table(FILE *f, const ts_scenario *s, const ts_lean_result *r, ts_error *err) {
    table_view v = {NULL, r, s, r->rank, r->screened, r->treatment};
    return write_table(f, &v, 0, err);
}

int ts_report_write_lean_csv(FILE *f, const ts_scenario *s, const ts_lean_result *r, ts_error *err) {
    return write_csv(f, s, NULL, r, err);
}

static int write_json(FILE *f, const ts_scenario *s, const ts_result *r, long long run_id,
                      ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    int *order = malloc((size_t)t->n_nodes * sizeof *order);
    if (!order) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    ts_taxonomy_preorder(t, order);
    ts_buf b = {0};
    int rc = TS_OK;
    ts_buf_puts(&b, "{\"scenario\":");
    ts_buf_json_string(&b, s->name);
    ts_buf_puts(&b, ",\"taxonomy\":");
    ts_buf_json_string(&b, t->id);
    if (run_id > 0) ts_buf_printf(&b, ",\"run_id\":%lld", run_id);
    ts_buf_puts(&b, ",\"units\":[");
    for (int u = 0; u < d->n_units; u++) {
        ts_buf_puts(&b, u ? ",{\"id\":" : "{\"id\":");
        ts_buf_json_string(&b, d->unit_id[u]);
        ts_buf_puts(&b, ",\"name\":");
        ts_buf_json_string(&b, d->unit_name[u]);
        ts_buf_puts(&b, "}");
    }
    ts_buf_puts(&b, "],\"nodes\":[");
    for (int j = 0; j < t->n_nodes; j++) {
        const ts_node *nd = &t->nodes[order[j]];
        ts_buf_puts(&b, j ? ",{\"id\":" : "{\"id\":");
        ts_buf_json_string(&b, nd->id);
        ts_buf_puts(&b, ",\"name\":");
        ts_buf_json_string(&b, nd->name);
        ts_buf_puts(&b, ",\"parent\":");
        if (nd->parent >= 0) ts_buf_json_string(&b, t->nodes[nd->parent].id);
        else ts_buf_puts(&b, "null");
        ts_buf_printf(&b, ",\"depth\":%d,\"indicator\":%s}", nd->depth, nd->indicator >= 0 ? "true" : "false");
    }
    ts_buf_puts(&b, "],\"scores\":[");
    int first = 1;
    for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
        for (int j = 0; j < t->n_nodes; j++) {
            int k = order[j];
            double score = ts_result_score(r, k, u);
            const char *cls = ts_taxonomy_class(t, k, score);
            int rank = ts_result_rank(r, k, u);
            ts_buf_puts(&b, first ? "\n{\"unit\":" : ",\n{\"unit\":");
            first = 0;
            ts_buf_json_string(&b, d->unit_id[u]);
            ts_buf_puts(&b, ",\"node\":");
            ts_buf_json_string(&b, t->nodes[k].id);
            ts_buf_puts(&b, ",\"score\":");
            ts_buf_json_number(&b, score);
            if (rank) ts_buf_printf(&b, ",\"rank\":%d", rank);
            else ts_buf_puts(&b, ",\"rank\":null");
            ts_buf_puts(&b, ",\"class\":");
            if (cls) ts_buf_json_string(&b, cls);
            else ts_buf_puts(&b, "null");
            ts_buf_puts(&b, ",\"coverage\":");
            ts_buf_json_number(&b, ts_result_coverage(r, k, u));
            ts_buf_puts(&b, ",\"imputed\":");
            ts_buf_json_number(&b, r->imputed_share[(size_t)k * (size_t)r->n_units + (size_t)u]);
            ts_buf_puts(&b, ",\"reliability\":");
            ts_buf_json_number(&b, ts_result_reliability(r, k, u));
            ts_buf_puts(&b, "}");
        }
        if (b.len > 1 << 16) rc = flush(f, &b, err);
    }
    ts_buf_puts(&b, "\n],\"screened\":[");
    int any = 0;
    for (int u = 0; u < d->n_units; u++)
        if (r->screened[u]) {
            if (any++) ts_buf_puts(&b, ",");
            ts_buf_json_string(&b, d->unit_id[u]);
        }
    ts_buf_puts(&b, "],\"treatment\":[");
    any = 0;
    for (int i = 0; i < t->n_indicators; i++) {
        const ts_treat_log *tl = &r->treatment[i];
        if (!tl->checked) continue;
        ts_buf_puts(&b, any++ ? ",\n{\"indicator\":" : "\n{\"indicator\":");
        ts_buf_json_string(&b, t->nodes[t->indicator_node[i]].id);
        ts_buf_printf(&b, ",\"treated\":%s,\"winsorised_low\":%d,\"winsorised_high\":%d,\"log\":%s",
                      tl->treated ? "true" : "false", tl->winsorised_low, tl->winsorised_high,
                      tl->fallback ? "true" : "false");
        ts_buf_puts(&b, ",\"skew\":");
        ts_buf_json_number(&b, tl->skew);
        ts_buf_puts(&b, ",\"kurtosis\":");
        ts_buf_json_number(&b, tl->kurtosis);
        ts_buf_puts(&b, ",\"skew_after\":");
        ts_buf_json_number(&b, tl->skew_after);
        ts_buf_puts(&b, ",\"kurtosis_after\":");
        ts_buf_json_number(&b, tl->kurtosis_after);
        ts_buf_puts(&b, "}");
    }
    ts_buf_puts(&b, "]}\n");
    if (rc == TS_OK) rc = flush(f, &b, err);
    ts_buf_free(&b);
    free(order);
    return rc;
}

int ts_report_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_result *r,
                    long long run_id, ts_error *err) {
    switch (fmt) {
    case TS_FORMAT_TABLE: {
        table_view v = {r, NULL, s, r->rank, r->screened, r->treatment};
        return write_table(f, &v, run_id, err);
    }
    case TS_FORMAT_CSV: return write_csv(f, s, r, NULL, err);
    case TS_FORMAT_JSON: return write_json(f, s, r, run_id, err);
    }
    return TS_OK;
}
