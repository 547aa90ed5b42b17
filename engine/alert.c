/* alert.c -- finding alerts: class changes, approaches to a class threshold
 * and jumps beyond a unit's history, with probabilities, drivers and
 * reliabilities, all read through the store. */
#include "alert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_ua_read.h"
#include "trace.h"

void ts_alert_options_init(ts_alert_options *o) {
    *o = (ts_alert_options){NAN, NAN, NAN, NAN, NAN, 0, NULL};
}

const char *ts_alert_kind_name(ts_alert_kind kind) {
    switch (kind) {
    case TS_ALERT_CLASS_CHANGE: return "class_change";
    case TS_ALERT_THRESHOLD: return "threshold";
    case TS_ALERT_JUMP: return "jump";
    }
    return "?";
}

const char *ts_alert_direction_name(int direction) {
    return direction > 0 ? "deteriorated" : direction < 0 ? "improved" : "unchanged";
}

/* ---- what each run is measured with ----------------------------------- */

/* A stored run laid out for tracing and for the drivers' raw values. */
typedef struct traced_run {
    const ts_stored_run *r;
    ts_trace *trace;
    double *raw;        /* [u * n_nodes + k]: raw value of indicator k for unit u; NaN: none */
    double *weight;     /* scratch: one unit's weights */
} traced_run;

/* The per-year runs of one scenario. */
typedef struct history {
    const char *scenario;
    int n;
    ts_stored_run **runs; /* by year */
    int *years;
} history;

/* Everything ts_alerts_load works with. */
typedef struct finder {
    ts_store *st;
    ts_alerts *a;
    const ts_alert_options *opt;
    ts_error *err;
    traced_run ref;
    traced_run *runs;          /* parallel to a->cmp->runs */
    ts_stored_ua_classes *classes; /* per run; n 0 when it has no analysis */
    int n_hist;
    history *hist;             /* one per scenario whose years were read */
    size_t cap_alerts, cap_arrows;
} finder;

static int oom(ts_error *err) { return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory"); }

/* Returns x when it is a number, else y. */
static double either(double x, double y) { return isnan(x) ? y : x; }

/* Stores an input's raw value in the traced run (ts_store_each_input). */
static int keep_raw(const ts_stored_input *in, void *ctx) {
    traced_run *t = ctx;
    int u = ts_stored_run_unit(t->r, in->unit), k = ts_stored_run_node(t->r, in->indicator);
    if (u >= 0 && k >= 0) t->raw[(size_t)u * (size_t)t->r->n_nodes + (size_t)k] = in->raw;
    return 0;
}

/* Prepares run r for tracing and reads its raw values. Returns TS_OK,
 * TS_ESYSTEM. */
static int traced_run_init(finder *F, traced_run *t, const ts_stored_run *r) {
    size_t nn = (size_t)r->n_nodes + 1, cells = ((size_t)r->n_units + 1) * nn;
    t->r = r;
    int *parent = malloc(nn * sizeof *parent);
    unsigned char *arithmetic = malloc(nn);
    t->raw = malloc(cells * sizeof *t->raw);
    t->weight = malloc(nn * sizeof *t->weight);
    int rc = TS_OK;
    if (!parent || !arithmetic || !t->raw || !t->weight) rc = oom(F->err);
    if (rc == TS_OK) {
        for (int k = 0; k < r->n_nodes; k++) {
            parent[k] = r->nodes[k].parent;
            arithmetic[k] = !r->nodes[k].aggregate || strcmp(r->nodes[k].aggregate, "arithmetic") == 0;
        }
        if (!(t->trace = ts_trace_new(r->n_nodes, parent, arithmetic))) rc = oom(F->err);
    }
    if (rc == TS_OK) {
        for (size_t c = 0; c < cells; c++) t->raw[c] = NAN;
        rc = ts_store_each_input(F->st, r->info.id, keep_raw, t, F->err);
    }
    free(parent);
    free(arithmetic);
    return rc;
}

/* Frees what traced_run_init allocated (not the run). */
static void traced_run_free(traced_run *t) {
    ts_trace_free(t->trace);
    free(t->raw);
    free(t->weight);
}

/* Traces unit u of t to node k; the parts are in t->trace. */
static void trace(traced_run *t, int u, int k) {
    const ts_stored_run *r = t->r;
    for (int j = 0; j < r->n_nodes; j++) t->weight[j] = ts_stored_run_weight(r, u, j);
    ts_trace_unit(t->trace, k, t->weight, r->score + (size_t)u * (size_t)r->n_nodes);
}

/* Returns the per-year runs of scenario, reading them on first use; NULL
 * with err filled on failure. */
static const history *history_of(finder *F, const char *scenario) {
    for (int i = 0; i < F->n_hist; i++)
        if (strcmp(F->hist[i].scenario, scenario) == 0) return &F->hist[i];
    history *h = &F->hist[F->n_hist];
    memset(h, 0, sizeof *h);
    h->scenario = scenario;
    int cap;
    if (ts_store_count_runs(F->st, &cap, F->err)) return NULL;
    long long *ids = malloc(((size_t)cap + 1) * sizeof *ids);
    if (!ids) return oom(F->err), NULL;
    int n = 0, rc = ts_store_trend_runs(F->st, scenario, ids, cap, &n, F->err);
    h->runs = calloc((size_t)n + 1, sizeof *h->runs);
    h->years = malloc(((size_t)n + 1) * sizeof *h->years);
    if (rc == TS_OK && (!h->runs || !h->years)) rc = oom(F->err);
    F->n_hist++; /* owns what it holds from here on */
    for (int i = 0; i < n && rc == TS_OK; i++) {
        rc = ts_store_load_run(F->st, ids[i], &h->runs[h->n], F->err);
        if (rc == TS_OK) h->years[h->n] = h->runs[h->n]->year, h->n++;
    }
    free(ids);
    return rc == TS_OK ? h : NULL;
}

/* Resolves the norms of run j (options, else its taxonomy's, else the
 * defaults) and finds its history and its analysis. Returns TS_OK or the
 * store's error. */
static int judge_run(finder *F, int j) {
    const ts_stored_run *x = F->a->cmp->runs[j], *ref = F->a->cmp->reference;
    ts_alert_run *ar = &F->a->runs[j];
    const ts_alert_options *o = F->opt;
    ar->run = x;
    double span = either(x->scale_max, 10) - either(x->scale_min, 0);
    if (!(span > 0)) span = 10;
    ar->near_class = either(o->near_class, either(x->alert_near_class, TS_ALERT_NEAR_SHARE * span));
    ar->jump_sd = either(o->jump_sd, either(x->alert_jump_sd, TS_ALERT_JUMP_SD));
    ar->jump_share = either(o->jump_share, either(x->alert_jump_share, TS_ALERT_JUMP_SHARE));
    ar->min_reliability = either(o->min_reliability, either(x->alert_min_reliability, TS_ALERT_MIN_RELIABILITY));
    ar->stable = either(o->stable, TS_ALERT_STABLE_SHARE * span);
    int rc = ts_store_ua_of_run(F->st, x, &ar->ua_id, F->err);
    if (rc == TS_OK && ar->ua_id) rc = ts_store_load_ua_classes(F->st, ar->ua_id, F->a->arena, &F->classes[j], F->err);
    /* the run's own years, else the reference's: a what-if has no history
       of its own, and its shock is measured against its baseline's */
    const history *h = NULL;
    if (rc == TS_OK && !(h = history_of(F, x->info.scenario))) rc = F->err->code ? F->err->code : TS_ESYSTEM;
    if (rc == TS_OK && h->n < 2 && !(h = history_of(F, ref->info.scenario))) rc = F->err->code ? F->err->code : TS_ESYSTEM;
    if (rc == TS_OK && h->n >= 2) {
        ar->history = h->scenario;
        ar->years = h->years;
        for (int i = 0; i < h->n; i++)
            if (!(x->year > 0 && h->years[i] >= x->year)) ar->n_years++; /* a year run's own change is not its norm */
    }
    return rc;
}

/* ---- one unit at one node --------------------------------------------- */

/* Returns the standard deviation of the year-on-year changes of unit at
 * node over run j's history, or NaN when there are fewer than
 * TS_ALERT_MIN_CHANGES. */
static double history_sd(finder *F, int j, const char *unit, const char *node) {
    const ts_alert_run *ar = &F->a->runs[j];
    if (!ar->history) return NAN;
    const history *h = NULL;
    for (int i = 0; i < F->n_hist && !h; i++)
        if (strcmp(F->hist[i].scenario, ar->history) == 0) h = &F->hist[i];
    double prev = NAN, sum = 0, sum2 = 0;
    int n = 0;
    for (int y = 0; h && y < ar->n_years; y++) {
        const ts_stored_run *r = h->runs[y];
        int u = ts_stored_run_unit(r, unit), k = ts_stored_run_node(r, node);
        double x = u >= 0 && k >= 0 ? r->score[(size_t)u * (size_t)r->n_nodes + (size_t)k] : NAN;
        if (!isnan(x) && !isnan(prev)) {
            sum += x - prev;
            sum2 += (x - prev) * (x - prev);
            n++;
        }
        prev = x;
    }
    if (n < TS_ALERT_MIN_CHANGES) return NAN;
    double mean = sum / n, var = (sum2 - n * mean * mean) / (n - 1);
    return sqrt(var > 0 ? var : 0);
}

/* The next class threshold from score x at a node with classes (names,
 * mins lowest first) in direction dir (+1 up, -1 down): stores the
 * distance in *dist and the class beyond it in *beyond (NULL and NaN when
 * there is none that way). */
static void next_threshold(const ts_stored_node *nd, double x, int dir, double *dist, const char **beyond) {
    *dist = NAN;
    *beyond = NULL;
    if (isnan(x)) return;
    for (int c = 0; c < nd->n_classes; c++) {
        double m = nd->class_min[c];
        if (dir > 0 && m > x) { /* the lowest min above x */
            *dist = m - x;
            *beyond = nd->class_name[c];
            return;
        }
        if (dir < 0 && m <= x && isfinite(m) && c > 0) { /* the highest finite min at or below x */
            *dist = x - m;
            *beyond = nd->class_name[c - 1];
        }
    }
}

/* One driver per indicator under the node, merged over both sides. */
typedef struct part {
    const char *id, *name;
    double from, to, raw_from, raw_to;
} part;

/* Orders drivers by |change|, largest first, then by indicator id. */
static int cmp_change(const void *x, const void *y) {
    const ts_alert_driver *a = x, *b = y;
    double da = fabs(a->change), db = fabs(b->change);
    if (da != db) return da > db ? -1 : 1;
    return strcmp(a->indicator, b->indicator);
}

/* Stores in *out (arena) the drivers of row, every indicator under the
 * node whose contribution changed between the reference and run j, largest
 * first, and in *n_out how many to show (the option's count). Returns
 * TS_OK or TS_ESYSTEM when out of memory. */
static int find_drivers(finder *F, int j, const ts_compare_row *row, ts_alert_driver **out, int *n_out) {
    traced_run *R = &F->ref, *X = &F->runs[j];
    int ur = ts_stored_run_unit(R->r, row->unit), kr = ts_stored_run_node(R->r, row->node);
    int ux = ts_stored_run_unit(X->r, row->unit), kx = ts_stored_run_node(X->r, row->node);
    int cap = (kr >= 0 ? R->r->n_nodes : 0) + (kx >= 0 ? X->r->n_nodes : 0);
    part *parts = malloc(((size_t)cap + 1) * sizeof *parts);
    if (!parts) return oom(F->err);
    int n = 0;
    if (ux >= 0 && kx >= 0) {
        trace(X, ux, kx);
        for (int i = 0; i < X->trace->n_subtree; i++) {
            int k = X->trace->subtree[i];
            const ts_stored_node *nd = &X->r->nodes[k];
            if (!nd->is_indicator) continue;
            double c = X->trace->contribution[k];
            parts[n++] = (part){nd->id, nd->name, 0, isnan(c) ? 0 : c, NAN,
                                X->raw[(size_t)ux * (size_t)X->r->n_nodes + (size_t)k]};
        }
    }
    if (ur >= 0 && kr >= 0) {
        int known = n;
        trace(R, ur, kr);
        for (int i = 0; i < R->trace->n_subtree; i++) {
            int k = R->trace->subtree[i];
            const ts_stored_node *nd = &R->r->nodes[k];
            if (!nd->is_indicator) continue;
            double c = R->trace->contribution[k];
            int p = 0;
            while (p < known && strcmp(parts[p].id, nd->id) != 0) p++;
            if (p == known) parts[p = n++] = (part){nd->id, nd->name, 0, 0, NAN, NAN};
            parts[p].from = isnan(c) ? 0 : c;
            parts[p].raw_from = R->raw[(size_t)ur * (size_t)R->r->n_nodes + (size_t)k];
        }
    }
    ts_alert_driver *d = ts_arena_alloc(F->a->arena, ((size_t)n + 1) * sizeof *d);
    if (!d) {
        free(parts);
        return oom(F->err);
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        double change = parts[i].to - parts[i].from;
        if (change != 0) d[m++] = (ts_alert_driver){parts[i].id, parts[i].name, parts[i].raw_from, parts[i].raw_to, change};
    }
    free(parts);
    qsort(d, (size_t)m, sizeof *d, cmp_change);
    int keep = F->opt->max_drivers > 0 ? F->opt->max_drivers : TS_ALERT_DRIVERS;
    *out = d;
    *n_out = m < keep ? m : keep;
    return TS_OK;
}

/* Appends an alert (its drivers shared with the row's other alerts).
 * Returns TS_OK or TS_ESYSTEM. */
static int add_alert(finder *F, const ts_alert *al) {
    ts_alerts *a = F->a;
    if ((size_t)a->n == F->cap_alerts) {
        size_t cap = F->cap_alerts ? 2 * F->cap_alerts : 64;
        ts_alert *v = realloc(a->alerts, cap * sizeof *v);
        if (!v) return oom(F->err);
        a->alerts = v;
        F->cap_alerts = cap;
    }
    a->alerts[a->n++] = *al;
    return TS_OK;
}

/* Appends the arrow of a unit at the index. Returns TS_OK or TS_ESYSTEM. */
static int add_arrow(finder *F, const ts_alert_arrow *ar) {
    ts_alerts *a = F->a;
    if ((size_t)a->n_arrows == F->cap_arrows) {
        size_t cap = F->cap_arrows ? 2 * F->cap_arrows : 16;
        ts_alert_arrow *v = realloc(a->arrows, cap * sizeof *v);
        if (!v) return oom(F->err);
        a->arrows = v;
        F->cap_arrows = cap;
    }
    a->arrows[a->n_arrows++] = *ar;
    return TS_OK;
}

/* Finds the alerts of one row of the comparison (and its arrow at the
 * index). Returns TS_OK or TS_ESYSTEM. */
static int judge_row(finder *F, const ts_compare_row *row) {
    int j = row->run;
    const ts_alert_run *ar = &F->a->runs[j];
    const ts_stored_run *x = F->a->cmp->runs[j];
    int ux = ts_stored_run_unit(x, row->unit), kx = ts_stored_run_node(x, row->node);
    if (ux < 0 || kx < 0 || isnan(row->score) || isnan(row->ref_score)) return TS_OK;
    const ts_stored_node *nd = &x->nodes[kx];
    ts_alert al = {0};
    al.row = row;
    al.run = j;
    al.reliability = x->reliability[(size_t)ux * (size_t)x->n_nodes + (size_t)kx];
    al.low_reliability = !isnan(al.reliability) && al.reliability < ar->min_reliability;
    al.direction = row->delta > ar->stable ? 1 : row->delta < -ar->stable ? -1 : 0;
    al.norm = NAN;
    const char *beyond;
    next_threshold(nd, row->score, row->delta < 0 ? -1 : 1, &al.distance, &beyond);
    if (row->depth == 0) {
        ts_alert_arrow arrow = {j, row, al.direction, al.reliability};
        int rc = add_arrow(F, &arrow);
        if (rc) return rc;
    }
    ts_alert found[3];
    int n = 0;
    if (row->class_changed && row->ref_class && row->cls) {
        found[n] = al;
        found[n].kind = TS_ALERT_CLASS_CHANGE;
        found[n].from = row->ref_class;
        found[n++].to = row->cls;
    } else if (beyond && row->delta != 0 && al.distance <= ar->near_class) {
        /* it moved to within reach: the reference was farther from that threshold */
        double before = row->delta > 0 ? al.distance + row->delta : al.distance - row->delta;
        if (before > ar->near_class) {
            found[n] = al;
            found[n].kind = TS_ALERT_THRESHOLD;
            found[n].from = row->cls;
            found[n++].to = beyond;
        }
    }
    double sd = history_sd(F, j, row->unit, row->node);
    double by_history = sd > 0 ? ar->jump_sd * sd : NAN, by_share = NAN;
    if (ar->jump_share > 0) by_share = ar->jump_share * (either(x->scale_max, 10) - either(x->scale_min, 0));
    double norm = isnan(by_history) ? by_share : isnan(by_share) ? by_history : fmin(by_history, by_share);
    /* a change within the stable band is no jump, however still the history */
    if (!isnan(norm) && fabs(row->delta) > norm && al.direction != 0) {
        found[n] = al;
        found[n].kind = TS_ALERT_JUMP;
        found[n].norm = norm;
        found[n].jump_by_history = norm == by_history;
        found[n].from = row->ref_class;
        found[n++].to = row->cls;
    }
    if (n == 0) return TS_OK;
    ts_alert_driver *drivers = NULL;
    int n_drivers = 0, rc = find_drivers(F, j, row, &drivers, &n_drivers);
    for (int i = 0; i < n && rc == TS_OK; i++) {
        found[i].drivers = drivers;
        found[i].n_drivers = n_drivers;
        found[i].probability =
            F->classes[j].n ? ts_stored_ua_class_probability(&F->classes[j], row->unit, row->node, found[i].to) : NAN;
        rc = add_alert(F, &found[i]);
    }
    return rc;
}

/* ---- the whole search ---------------------------------------------------- */

void ts_alerts_free(ts_alerts *a) {
    if (!a) return;
    ts_comparison_free(a->cmp);
    free(a->runs);
    free(a->alerts);
    free(a->arrows);
    ts_arena_free(a->arena);
    free(a);
}

/* Frees what the finder holds besides the alerts. */
static void finder_free(finder *F) {
    traced_run_free(&F->ref);
    for (int j = 0; F->runs && F->a && j < F->a->n_runs; j++) traced_run_free(&F->runs[j]);
    free(F->runs);
    free(F->classes);
    for (int i = 0; i < F->n_hist; i++) {
        for (int y = 0; y < F->hist[i].n; y++) ts_stored_run_free(F->hist[i].runs[y]);
        free(F->hist[i].runs);
        free(F->hist[i].years);
    }
    free(F->hist);
}

/* Copies the history years into the arena, which outlives the finder. */
static int keep_years(finder *F) {
    for (int j = 0; j < F->a->n_runs; j++) {
        ts_alert_run *ar = &F->a->runs[j];
        if (!ar->history) continue;
        int *y = ts_arena_alloc(F->a->arena, ((size_t)ar->n_years + 1) * sizeof *y);
        if (!y) return oom(F->err);
        memcpy(y, ar->years, (size_t)ar->n_years * sizeof *y);
        ar->years = y;
    }
    return TS_OK;
}

/* Chooses the reference of the runs named by specs[0..n) when none is
 * given: the run that the most of them extend, among them and the latest
 * run of every scenario (so that `--run WHAT-IF` alone is measured
 * against its baseline). Stores its id in *id, or 0 when none of them
 * extends another (compare's default then chooses among the named runs).
 * Returns TS_OK, TS_EINPUT for an unknown run, TS_ESYSTEM. */
static int reference_of(ts_store *st, const char *const *specs, int n, long long *id, ts_error *err) {
    *id = 0;
    int cap;
    if (ts_store_count_runs(st, &cap, err)) return TS_ESYSTEM;
    long long *ids = malloc(((size_t)cap + (size_t)n + 1) * sizeof *ids);
    ts_stored_run **runs = calloc((size_t)cap + (size_t)n + 1, sizeof *runs);
    int m = 0, latest = 0, rc = ids && runs ? TS_OK : oom(err);
    for (int i = 0; i < n && rc == TS_OK; i++) rc = ts_store_resolve_run(st, specs[i], &ids[m++], err);
    if (rc == TS_OK) rc = ts_store_latest_runs(st, ids + m, cap, &latest, err);
    int loaded = 0;
    for (; rc == TS_OK && loaded < m + latest; loaded++) rc = ts_store_load_run(st, ids[loaded], &runs[loaded], err);
    int r = 0;
    if (rc == TS_OK) rc = ts_compare_default_reference(runs, m + latest, &r, err);
    for (int i = 0; rc == TS_OK && i < m && !*id; i++)
        if (ids[i] != ids[r] && ts_compare_extends(runs[i], runs[r])) *id = ids[r];
    for (int i = 0; runs && i < loaded; i++) ts_stored_run_free(runs[i]);
    free(runs);
    free(ids);
    return rc;
}

int ts_alerts_load(ts_store *st, const char *reference, const char *const *specs, int n,
                   const ts_alert_options *opt, ts_alerts **out, ts_error *err) {
    *out = NULL;
    char ref_spec[32];
    if (!reference && n > 0) {
        long long id;
        int rc = reference_of(st, specs, n, &id, err);
        if (rc) return rc;
        if (id) {
            snprintf(ref_spec, sizeof ref_spec, "%lld", id);
            reference = ref_spec;
        }
    }
    ts_alert_options defaults;
    if (!opt) {
        ts_alert_options_init(&defaults);
        opt = &defaults;
    }
    ts_alerts *a = calloc(1, sizeof *a);
    if (!a || !(a->arena = ts_arena_new())) {
        free(a);
        return oom(err);
    }
    ts_compare_options co = {opt->node, 0, 0};
    int rc = ts_compare_load(st, reference, specs, n, &co, &a->cmp, err);
    finder F = {st, a, opt, err, {0}, NULL, NULL, 0, NULL, 0, 0};
    if (rc == TS_OK) {
        int m = a->cmp->n_runs;
        a->runs = calloc((size_t)m + 1, sizeof *a->runs);
        F.runs = calloc((size_t)m + 1, sizeof *F.runs);
        F.classes = calloc((size_t)m + 1, sizeof *F.classes);
        F.hist = calloc((size_t)m + 2, sizeof *F.hist); /* each run's scenario and the reference's */
        if (!a->runs || !F.runs || !F.classes || !F.hist) rc = oom(err);
        else a->n_runs = m;
    }
    if (rc == TS_OK) rc = traced_run_init(&F, &F.ref, a->cmp->reference);
    for (int j = 0; j < a->n_runs && rc == TS_OK; j++) {
        rc = traced_run_init(&F, &F.runs[j], a->cmp->runs[j]);
        if (rc == TS_OK) rc = judge_run(&F, j);
    }
    for (int i = 0; rc == TS_OK && i < a->cmp->n_rows; i++) rc = judge_row(&F, &a->cmp->rows[i]);
    if (rc == TS_OK) rc = keep_years(&F);
    finder_free(&F);
    if (rc != TS_OK) {
        ts_alerts_free(a);
        return rc;
    }
    *out = a;
    return TS_OK;
}

/* ---- words ---------------------------------------------------------------- */

/* Appends a raw value ("-" when missing). */
static void raw_text(ts_buf *b, double x) {
    if (isnan(x)) ts_buf_puts(b, "-");
    else ts_buf_printf(b, "%.6g", x);
}

void ts_alert_drivers_text(const ts_alert *al, ts_buf *b) {
    for (int i = 0; i < al->n_drivers; i++) {
        const ts_alert_driver *d = &al->drivers[i];
        ts_buf_printf(b, "%s%s ", i ? "; " : "", d->indicator);
        raw_text(b, d->raw_from);
        ts_buf_puts(b, "->");
        raw_text(b, d->raw_to);
        ts_buf_printf(b, " %+.3g", d->change);
    }
}

void ts_alert_sentence(const ts_alerts *a, const ts_alert *al, ts_buf *b) {
    const ts_compare_row *row = al->row;
    const char *node = row->node_name && *row->node_name ? row->node_name : row->node;
    const char *verb = row->delta > 0 ? "rose" : "fell";
    size_t len = strlen(node);
    int says_score = len >= 5 && strcmp(node + len - 5, "score") == 0; /* "Global Terrorism Index score" */
    ts_buf_printf(b, "%s's %s%s ", row->unit, node, says_score ? "" : " score");
    switch (al->kind) {
    case TS_ALERT_CLASS_CHANGE:
        ts_buf_printf(b, "%s into %s (%.2f -> %.2f)", verb, al->to, row->ref_score, row->score);
        break;
    case TS_ALERT_THRESHOLD:
        ts_buf_printf(b, "%s to %.2f, %.2f %s %s", verb, row->score, al->distance,
                      row->delta > 0 ? "short of" : "above", al->to);
        break;
    case TS_ALERT_JUMP:
        ts_buf_printf(b, "%s by %.2f (%.2f -> %.2f), beyond its norm of %.2f", verb, fabs(row->delta), row->ref_score,
                      row->score, al->norm);
        if (al->jump_by_history)
            ts_buf_printf(b, " (%g sd of its year-on-year changes)", a->runs[al->run].jump_sd);
        else
            ts_buf_printf(b, " (%g of the scale)", a->runs[al->run].jump_share);
        break;
    }
    /* the inputs that moved it the same way as the score */
    const ts_alert_driver *top = al->n_drivers ? &al->drivers[0] : NULL;
    if (top && row->delta != 0 && top->change * row->delta > 0) {
        const char *name = top->name && *top->name ? top->name : top->indicator;
        const char *how = fabs(top->change) >= 0.5 * fabs(row->delta) ? "mostly" : "partly";
        if (top->raw_from == top->raw_to) { /* the same value weighs differently: a weight moved */
            ts_buf_printf(b, ", %s through the weight of the %s (value unchanged at ", how, name);
            raw_text(b, top->raw_to);
        } else {
            ts_buf_printf(b, ", %s through the %s (", how, name);
            raw_text(b, top->raw_from);
            ts_buf_puts(b, " -> ");
            raw_text(b, top->raw_to);
        }
        ts_buf_puts(b, ")");
    }
    /* an alert the analysis's variations would mostly undo says so */
    if (!isnan(al->probability) && al->to && al->probability >= 0.5)
        ts_buf_printf(b, "; probability %.2f of %s in the uncertainty analysis", al->probability, al->to);
    else if (!isnan(al->probability) && al->to)
        ts_buf_printf(b, "; but the uncertainty analysis puts it in %s with probability %.2f only", al->to,
                      al->probability);
    if (al->low_reliability) ts_buf_printf(b, "; low reliability (%.1f of 10)", al->reliability);
    ts_buf_puts(b, ".");
}
