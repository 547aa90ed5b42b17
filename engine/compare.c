/* compare.c -- stored runs against a reference run: which run is the
 * reference by default (the one the others extend), and the compared rows. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ts_compare_row_changed(const ts_compare_row *row, double threshold) {
    if (row->class_changed) return 1;
    if ((row->ref_rank == 0) != (row->rank == 0) || (row->has_rank_change && row->rank_change != 0)) return 1;
    if (isnan(row->ref_score) != isnan(row->score)) return 1;
    return !isnan(row->delta) && fabs(row->delta) > threshold;
}

/* Returns 1 when stored files a and b are the same file: the same absolute
 * path when both runs recorded one, else the same path as stored or the
 * same contents. */
static int same_file(const ts_stored_file *a, const ts_stored_file *b) {
    if (a->abs_path && b->abs_path && strcmp(a->abs_path, b->abs_path) == 0) return 1;
    if (!a->abs_path || !b->abs_path)
        if (strcmp(a->path, b->path) == 0) return 1;
    return strcmp(a->sha256, b->sha256) == 0;
}

int ts_compare_extends(ts_stored_run *x, ts_stored_run *base) {
    if (x == base) return 0;
    const ts_stored_file *xf, *bf;
    int nx = ts_stored_run_files(x, &xf), nb = ts_stored_run_files(base, &bf);
    if (nx <= 0 || nb <= 0) return 0;
    const ts_stored_file *scenario = NULL;
    for (int i = 0; i < nb && !scenario; i++)
        if (strcmp(bf[i].role, "scenario") == 0) scenario = &bf[i];
    if (!scenario) return 0; /* a run of a CSV extends nothing and is extended by nothing */
    for (int i = 0; i < nx; i++)
        if (strcmp(xf[i].role, "extends") == 0 && same_file(&xf[i], scenario)) return 1;
    return 0;
}

int ts_compare_default_reference(ts_stored_run *const *runs, int n, int *ref, ts_error *err) {
    *ref = 0;
    if (n <= 0) return ts_fail(err, TS_EINPUT, NULL, 0, "no runs to choose a reference from");
    int best = 0;
    for (int b = 0; b < n; b++) {
        int count = 0;
        for (int x = 0; x < n; x++) count += ts_compare_extends(runs[x], runs[b]);
        if (count > best) {
            best = count;
            *ref = b;
        }
    }
    return TS_OK;
}

/* A unit of one compared pair: its index on each side (-1 when absent). */
typedef struct pair_unit {
    int ur, u;          /* in the reference / in the run */
    int ref_rank, rank; /* at the node being compared, 0 when none */
    int order;          /* reference units first, then the run's own */
} pair_unit;

/* Orders by the run's rank, then the reference's, then unit order; units
 * without a rank go last. */
static int cmp_pair_unit(const void *x, const void *y) {
    const pair_unit *a = x, *b = y;
    int ka = a->rank ? a->rank : 1 << 30, kb = b->rank ? b->rank : 1 << 30;
    if (ka != kb) return ka < kb ? -1 : 1;
    ka = a->ref_rank ? a->ref_rank : 1 << 30, kb = b->ref_rank ? b->ref_rank : 1 << 30;
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->order - b->order;
}

/* Returns the cell index of unit u at node k in r, or (size_t)-1. */
static size_t cell(const ts_stored_run *r, int u, int k) {
    return u >= 0 && k >= 0 ? (size_t)u * (size_t)r->n_nodes + (size_t)k : (size_t)-1;
}

/* Fills row from the reference's cell cr and the run's cell cx. */
static void fill_row(ts_compare_row *row, const ts_stored_run *ref, size_t cr, const ts_stored_run *x, size_t cx) {
    row->ref_score = cr != (size_t)-1 ? ref->score[cr] : NAN;
    row->score = cx != (size_t)-1 ? x->score[cx] : NAN;
    row->delta = row->score - row->ref_score;
    row->ref_rank = cr != (size_t)-1 ? ref->rank[cr] : 0;
    row->rank = cx != (size_t)-1 ? x->rank[cx] : 0;
    row->has_rank_change = row->ref_rank && row->rank;
    row->rank_change = row->has_rank_change ? row->ref_rank - row->rank : 0;
    row->ref_class = cr != (size_t)-1 ? ref->cls[cr] : NULL;
    row->cls = cx != (size_t)-1 ? x->cls[cx] : NULL;
    row->class_changed = (row->ref_class == NULL) != (row->cls == NULL) ||
                         (row->ref_class && row->cls && strcmp(row->ref_class, row->cls) != 0);
}

/* The growing result of ts_compare_runs. */
typedef struct builder {
    ts_comparison *c;
    size_t cap;
    const ts_compare_options *opt;
    pair_unit *units;  /* room for the pair's units */
} builder;

/* Appends the rows of node id between the reference and run i. Returns
 * TS_OK or TS_ESYSTEM (out of memory). */
static int add_node(builder *b, int i, const char *id, ts_error *err) {
    ts_stored_run *ref = b->c->reference, *x = b->c->runs[i];
    int kr = ts_stored_run_node(ref, id), kx = ts_stored_run_node(x, id);
    int m = 0;
    for (int u = 0; u < ref->n_units; u++, m++)
        b->units[m] = (pair_unit){u, ts_stored_run_unit(x, ref->unit_id[u]), 0, 0, m};
    for (int u = 0; u < x->n_units; u++)
        if (ts_stored_run_unit(ref, x->unit_id[u]) < 0) {
            b->units[m] = (pair_unit){-1, u, 0, 0, m};
            m++;
        }
    for (int j = 0; j < m; j++) {
        size_t cr = cell(ref, b->units[j].ur, kr), cx = cell(x, b->units[j].u, kx);
        b->units[j].ref_rank = cr != (size_t)-1 ? ref->rank[cr] : 0;
        b->units[j].rank = cx != (size_t)-1 ? x->rank[cx] : 0;
    }
    qsort(b->units, (size_t)m, sizeof *b->units, cmp_pair_unit);
    const ts_stored_node *nd = kr >= 0 ? &ref->nodes[kr] : &x->nodes[kx];
    for (int j = 0; j < m; j++) {
        const pair_unit *pu = &b->units[j];
        ts_compare_row row = {.run = i, .node = nd->id, .node_name = nd->name, .depth = nd->depth};
        row.unit = pu->ur >= 0 ? ref->unit_id[pu->ur] : x->unit_id[pu->u];
        row.unit_name = pu->ur >= 0 ? ref->unit_name[pu->ur] : x->unit_name[pu->u];
        fill_row(&row, ref, cell(ref, pu->ur, kr), x, cell(x, pu->u, kx));
        if (b->opt->changed_only && !ts_compare_row_changed(&row, b->opt->threshold)) continue;
        if ((size_t)b->c->n_rows == b->cap) {
            size_t cap = b->cap ? 2 * b->cap : 256;
            ts_compare_row *rows = realloc(b->c->rows, cap * sizeof *rows);
            if (!rows) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
            b->c->rows = rows;
            b->cap = cap;
        }
        b->c->rows[b->c->n_rows++] = row;
    }
    return TS_OK;
}

/* Checks that opt->node is a node of the reference or of one run. Returns
 * TS_OK or TS_EINPUT with a suggestion among the reference's nodes. */
static int check_node(ts_stored_run *ref, ts_stored_run *const *runs, int n, const char *node, ts_error *err) {
    if (ts_stored_run_node(ref, node) >= 0) return TS_OK;
    for (int i = 0; i < n; i++)
        if (ts_stored_run_node(runs[i], node) >= 0) return TS_OK;
    const char **ids = malloc(((size_t)ref->n_nodes + 1) * sizeof *ids);
    if (!ids) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    for (int k = 0; k < ref->n_nodes; k++) ids[k] = ref->nodes[k].id;
    const char *hint = ts_suggest(node, ids, (size_t)ref->n_nodes);
    int rc = hint ? ts_fail(err, TS_EINPUT, NULL, 0, "unknown node '%s' in the runs compared (did you mean '%s'?)",
                            node, hint)
                  : ts_fail(err, TS_EINPUT, NULL, 0, "unknown node '%s' in the runs compared", node);
    free(ids);
    return rc;
}

int ts_compare_scenario_gone(ts_stored_run *r, const char *dir) {
    const ts_stored_file *f;
    int n = ts_stored_run_files(r, &f);
    const ts_stored_file *own = NULL;
    for (int i = 0; i < n && !own; i++)
        if (strcmp(f[i].role, "scenario") == 0 || strcmp(f[i].role, "data") == 0) own = &f[i];
    if (!own || !own->path[0]) return 0;
    if (own->abs_path && access(own->abs_path, F_OK) == 0) return 0;
    if (access(own->path, F_OK) == 0) return 0;
    if (dir && own->path[0] != '/') {
        char *joined = ts_path_join(dir, own->path);
        int found = joined && access(joined, F_OK) == 0;
        free(joined);
        if (found || !joined) return 0; /* out of memory: keep the run */
    }
    return 1;
}

void ts_comparison_free(ts_comparison *c) {
    if (!c) return;
    free(c->left_out);
    if (c->owns_runs) {
        ts_stored_run_free(c->reference);
        for (int i = 0; i < c->n_runs; i++) ts_stored_run_free(c->runs[i]);
    }
    free(c->runs);
    free(c->rows);
    free(c);
}

int ts_compare_runs(ts_stored_run *ref, ts_stored_run *const *runs, int n, const ts_compare_options *opt,
                    ts_comparison **out, ts_error *err) {
    static const ts_compare_options none = {0};
    if (!opt) opt = &none;
    *out = NULL;
    if (opt->node) {
        int rc = check_node(ref, runs, n, opt->node, err);
        if (rc) return rc;
    }
    ts_comparison *c = calloc(1, sizeof *c);
    int max_units = ref->n_units;
    for (int i = 0; i < n; i++)
        if (runs[i]->n_units > 0) max_units += runs[i]->n_units;
    builder b = {c, 0, opt, malloc(((size_t)max_units + 1) * sizeof *b.units)};
    if (c) c->runs = malloc(((size_t)n + 1) * sizeof *c->runs);
    if (!c || !c->runs || !b.units) {
        free(b.units);
        ts_comparison_free(c);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    c->reference = ref;
    c->n_runs = n;
    for (int i = 0; i < n; i++) c->runs[i] = runs[i];
    int rc = TS_OK;
    for (int i = 0; i < n && rc == TS_OK; i++) {
        ts_stored_run *x = runs[i];
        if (opt->node) {
            rc = add_node(&b, i, opt->node, err);
            continue;
        }
        for (int k = 0; k < ref->n_nodes && rc == TS_OK; k++) rc = add_node(&b, i, ref->nodes[k].id, err);
        for (int k = 0; k < x->n_nodes && rc == TS_OK; k++)
            if (ts_stored_run_node(ref, x->nodes[k].id) < 0) rc = add_node(&b, i, x->nodes[k].id, err);
    }
    free(b.units);
    if (rc != TS_OK) {
        ts_comparison_free(c);
        return rc;
    }
    *out = c;
    return TS_OK;
}

/* Appends id to ids (count *n) unless it is there already. */
static void add_unique(long long *ids, int *n, long long id) {
    for (int i = 0; i < *n; i++)
        if (ids[i] == id) return;
    ids[(*n)++] = id;
}

int ts_compare_load(ts_store *st, const char *reference, const char *const *specs, int n,
                    const ts_compare_options *opt, ts_comparison **out, ts_error *err) {
    *out = NULL;
    int cap = n;
    if (n == 0 && ts_store_count_runs(st, &cap, err)) return TS_ESYSTEM;
    long long *ids = malloc(((size_t)cap + 2) * sizeof *ids);
    if (!ids) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int n_ids = 0, rc = TS_OK;
    long long ref_id = 0;
    if (reference) rc = ts_store_resolve_run(st, reference, &ref_id, err);
    if (rc == TS_OK && n == 0) rc = ts_store_latest_runs(st, ids, cap, &n_ids, err);
    for (int i = 0; i < n && rc == TS_OK; i++) {
        long long id;
        rc = ts_store_resolve_run(st, specs[i], &id, err);
        if (rc == TS_OK) add_unique(ids, &n_ids, id);
    }
    /* without --reference the reference is chosen among all runs named;
       with it, it is left out of them */
    int m = 0;
    for (int i = 0; i < n_ids; i++)
        if (ids[i] != ref_id) ids[m++] = ids[i];
    n_ids = m;
    ts_stored_run **runs = rc == TS_OK ? calloc((size_t)n_ids + 2, sizeof *runs) : NULL;
    if (rc == TS_OK && !runs) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int loaded = 0;
    ts_buf gone = {0};
    int n_gone = 0;
    char *dir = n == 0 ? ts_dirname(ts_store_path(st)) : NULL;
    for (int i = 0; rc == TS_OK && i < n_ids; i++) {
        rc = ts_store_load_run(st, ids[i], &runs[loaded], err);
        if (rc != TS_OK) break;
        /* the default selection leaves out scenarios deleted since their run */
        if (n == 0 && ts_compare_scenario_gone(runs[loaded], dir)) {
            ts_buf_puts(&gone, n_gone++ ? "; " : "");
            ts_buf_puts(&gone, runs[loaded]->info.scenario);
            ts_stored_run_free(runs[loaded]);
            runs[loaded] = NULL;
            continue;
        }
        loaded++;
    }
    free(dir);
    if (rc == TS_OK && gone.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    n_ids = loaded;
    ts_stored_run *ref = NULL;
    if (rc == TS_OK && reference) rc = ts_store_load_run(st, ref_id, &ref, err);
    if (rc == TS_OK && !reference) {
        int r = 0;
        rc = n_ids ? ts_compare_default_reference(runs, n_ids, &r, err)
                   : ts_fail(err, TS_EINPUT, ts_store_path(st), 0, "the store holds no runs to compare");
        if (rc == TS_OK) {
            ref = runs[r];
            memmove(&runs[r], &runs[r + 1], (size_t)(n_ids - r - 1) * sizeof *runs);
            runs[--n_ids] = NULL;
            loaded = n_ids;
        }
    }
    if (rc == TS_OK && n_ids == 0)
        rc = ts_fail(err, TS_EINPUT, ts_store_path(st), 0,
                     "nothing to compare: only run %lld (%s) was named, and it is the reference", ref->info.id,
                     ref->info.scenario);
    if (rc == TS_OK) rc = ts_compare_runs(ref, runs, n_ids, opt, out, err);
    if (rc == TS_OK) {
        (*out)->owns_runs = 1;
        (*out)->n_left_out = n_gone;
        (*out)->left_out = gone.data; /* NULL when none */
        gone.data = NULL;
    } else {
        ts_stored_run_free(ref);
        for (int i = 0; runs && i < loaded; i++) ts_stored_run_free(runs[i]);
    }
    ts_buf_free(&gone);
    free(runs);
    free(ids);
    return rc;
}
