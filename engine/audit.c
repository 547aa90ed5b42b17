/* audit.c -- the statistical audit of a framework: the sample (units, or
 * country-years pooled), then the rows of every statistic in pre-order,
 * or the correlation matrix within one node from the same sample. */
#include "audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_stats.h"
#include "pipeline.h"
#include "trend.h"

static const char *const STAT_NAMES[TS_AUDIT_N_STATS] = {
    "n", "missing", "min", "max", "mean", "sd", "skew", "kurtosis", "unique", "outlier",
    "alpha", "pca1", "loading",
    "r_parent", "rho_parent", "r", "rho", "r_other",
    "eff_weight", "r_index", "influence", "influence_share",
    "rho_ref", "r_ref"};

static const char *const FLAG_NAMES[TS_AFLAG_COUNT] = {
    "outlier", "collinear", "negative", "closer_to_other", "weak", "constant", "too_few",
    "influence_high", "influence_low", "carried", "disagrees", "small_n"};

const char *ts_audit_stat_name(ts_audit_stat st) {
    return st >= 0 && st < TS_AUDIT_N_STATS ? STAT_NAMES[st] : "?";
}

const char *ts_audit_flag_name(int b) {
    return b >= 0 && b < TS_AFLAG_COUNT ? FLAG_NAMES[b] : "?";
}

void ts_audit_options_default(ts_audit_options *o) {
    o->node = -1;
    o->pooled = 0;
    o->min_coverage = 0.8;
    o->collinear = 0.9;
    o->negative = -0.4;
    o->weak = 0.3;
    o->influence_factor = 2;
}

void ts_audit_free(ts_audit *a) {
    if (!a) return;
    free(a->years);
    free(a->rows);
    ts_audit_refs_free(a->refs);
    free(a);
}

const ts_audit_row *ts_audit_find(const ts_audit *a, int node, ts_audit_stat st, int with_node, int with_ref) {
    for (int i = 0; i < a->n_rows; i++) {
        const ts_audit_row *r = &a->rows[i];
        if (r->node == node && r->stat == st && r->with_node == with_node && r->with_ref == with_ref) return r;
    }
    return NULL;
}

/* Everything one audit works on: the values of every node for every
 * observation (a unit, or a unit in a year), [k * n_obs + o]. */
typedef struct sample {
    int n_obs;
    double *v;
    int *unit;   /* per observation */
    int *year;   /* per observation: the year scored (0: the reference year) */
} sample;

/* Frees the sample's arrays (sm itself is the caller's). */
static void sample_free(sample *sm) {
    free(sm->v);
    free(sm->unit);
    free(sm->year);
}

/* Returns node k's values over the observations. */
static const double *column(const sample *sm, int k) {
    return sm->v + (size_t)k * (size_t)sm->n_obs;
}

/* Scores s once (or at every year, pooled) into sm and a->years. Returns
 * TS_OK, or the scoring error's code (TS_ESYSTEM when out of memory) with
 * err filled; sm is then freed by the caller. */
static int build_sample(ts_scenario *s, ts_audit *a, sample *sm, ts_error *err) {
    int n = s->data->n_units, nodes = s->tax->n_nodes;
    memset(sm, 0, sizeof *sm);
    a->n_units = n;
    if (a->opt.pooled) {
        /* the years trend keeps (same coverage rule); span and threshold
           only shape trend's classes, which the audit does not use */
        ts_trend *t = NULL;
        ts_trend_compute(s, 1, 0, a->opt.min_coverage, &t, err);
        if (!t) return err && err->code ? err->code : TS_EINPUT;
        a->n_years = t->n_years;
        sm->n_obs = t->n_years * n;
        a->years = malloc((size_t)t->n_years * sizeof *a->years);
        sm->v = malloc(((size_t)sm->n_obs * (size_t)nodes + 1) * sizeof *sm->v);
        sm->unit = malloc(((size_t)sm->n_obs + 1) * sizeof *sm->unit);
        sm->year = malloc(((size_t)sm->n_obs + 1) * sizeof *sm->year);
        if (!a->years || !sm->v || !sm->unit || !sm->year) {
            ts_trend_free(t);
            return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        }
        memcpy(a->years, t->years, (size_t)t->n_years * sizeof *a->years);
        for (int y = 0; y < t->n_years; y++)
            for (int u = 0; u < n; u++) {
                int o = y * n + u;
                sm->unit[o] = u;
                sm->year[o] = t->years[y];
                for (int k = 0; k < nodes; k++)
                    sm->v[(size_t)k * sm->n_obs + o] = t->score[((size_t)y * nodes + k) * n + u];
            }
        ts_trend_free(t);
        return TS_OK;
    }
    ts_result *r = NULL;
    ts_score(s, &r, err);
    if (!r) return err && err->code ? err->code : TS_EINPUT;
    a->n_years = 1;
    sm->n_obs = n;
    a->years = malloc(sizeof *a->years);
    sm->v = malloc(((size_t)n * (size_t)nodes + 1) * sizeof *sm->v);
    sm->unit = malloc(((size_t)n + 1) * sizeof *sm->unit);
    sm->year = malloc(((size_t)n + 1) * sizeof *sm->year);
    if (!a->years || !sm->v || !sm->unit || !sm->year) {
        ts_result_free(r);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    a->years[0] = s->spec->year;
    memcpy(sm->v, r->score, (size_t)n * (size_t)nodes * sizeof *sm->v);
    for (int u = 0; u < n; u++) {
        sm->unit[u] = u;
        sm->year[u] = s->spec->year;
    }
    ts_result_free(r);
    return TS_OK;
}

/* The audit being built: rows are appended; oom is sticky. */
typedef struct builder {
    ts_audit *a;
    const ts_scenario *s;
    const sample *sm;
    double *work;       /* 3 * n_obs doubles for Spearman */
    const double **cols;/* a node's children's columns */
    double *loading;    /* per node: its loading in its parent's first component */
    int *loading_n;
    unsigned *loading_flags;
    int *seen;          /* per unit: the stamp of the last count */
    int stamp;
    int oom;
} builder;

/* Appends a row, flagged small_n when n < 10; out of memory sets b->oom
 * and later rows are dropped. */
static void add_row(builder *b, int node, ts_audit_stat st, int with_node, int with_ref, double value, int n,
                    unsigned flags) {
    ts_audit *a = b->a;
    if (b->oom) return;
    if (a->n_rows == a->cap_rows) {
        int cap = a->cap_rows ? 2 * a->cap_rows : 256;
        ts_audit_row *rows = realloc(a->rows, (size_t)cap * sizeof *rows);
        if (!rows) {
            b->oom = 1;
            return;
        }
        a->rows = rows;
        a->cap_rows = cap;
    }
    if (n < 10) flags |= TS_AFLAG_SMALL_N;
    a->rows[a->n_rows++] = (ts_audit_row){node, st, with_node, with_ref, value, n, flags};
}

/* Returns the flags of a statistic that came out undefined (none when v is
 * a number): too_few below least observations, else constant. */
static unsigned undefined_flags(double v, int n, int constant, int least) {
    if (!isnan(v)) return 0;
    return n < least ? TS_AFLAG_TOO_FEW : constant ? TS_AFLAG_CONSTANT : 0;
}

/* Returns how many distinct units have a value in each of the k columns
 * at the same observation. */
static int units_behind(builder *b, const double *const *cols, int k) {
    const sample *sm = b->sm;
    int count = 0;
    b->stamp++;
    for (int o = 0; o < sm->n_obs; o++) {
        int complete = 1;
        for (int c = 0; c < k && complete; c++) complete = !isnan(cols[c][o]);
        if (complete && b->seen[sm->unit[o]] != b->stamp) {
            b->seen[sm->unit[o]] = b->stamp;
            count++;
        }
    }
    return count;
}

/* A statistic of several columns: value, n and the flags of an undefined
 * one. Pooled, the observations of one unit in several years count in n,
 * but a statistic of how measures go together across units needs 3 units:
 * two units over four years are 8 points on one line. */
typedef struct measure {
    double value;
    int n;
    unsigned flags;
} measure;

/* Returns the measure of value v over n observations of the k columns. */
static measure finish(builder *b, const double *const *cols, int k, double v, int n, int constant) {
    measure m = {v, n, undefined_flags(v, n, constant, 3)};
    if (!isnan(v) && units_behind(b, cols, k) < 3) {
        m.value = NAN;
        m.flags = TS_AFLAG_TOO_FEW;
    }
    return m;
}

/* Returns Pearson's r of x and y as a measure; spearman: Spearman's rho. */
static measure pearson(builder *b, const double *x, const double *y) {
    int n, constant;
    double r = ts_pearson(x, y, b->sm->n_obs, &n, &constant);
    const double *cols[2] = {x, y};
    return finish(b, cols, 2, r, n, constant);
}

static measure spearman(builder *b, const double *x, const double *y) {
    int n, constant;
    double rho = ts_spearman(x, y, b->sm->n_obs, b->work, &n, &constant);
    const double *cols[2] = {x, y};
    return finish(b, cols, 2, rho, n, constant);
}

/* Returns 1 when node k is top or below it. */
static int in_subtree(const ts_taxonomy *t, int k, int top) {
    for (; k >= 0; k = t->nodes[k].parent)
        if (k == top) return 1;
    return 0;
}

/* Returns the node index of node k's c-th child. */
static int child_of(const ts_taxonomy *t, int k, int c) {
    return t->children[t->nodes[k].first_child + c];
}

/* The statistics of node k's own column (COINr's get_stats). */
static void column_rows(builder *b, int k) {
    ts_colstats cs;
    if (ts_colstats_compute(column(b->sm, k), b->sm->n_obs, &cs)) {
        b->oom = 1;
        return;
    }
    int constant = cs.n > 1 && cs.sd == 0;
    add_row(b, k, TS_AUDIT_N, -1, -1, cs.n, cs.n, 0);
    add_row(b, k, TS_AUDIT_MISSING, -1, -1, cs.missing, b->sm->n_obs, 0);
    add_row(b, k, TS_AUDIT_MIN, -1, -1, cs.min, cs.n, undefined_flags(cs.min, cs.n, 0, 1));
    add_row(b, k, TS_AUDIT_MAX, -1, -1, cs.max, cs.n, undefined_flags(cs.max, cs.n, 0, 1));
    add_row(b, k, TS_AUDIT_MEAN, -1, -1, cs.mean, cs.n, undefined_flags(cs.mean, cs.n, 0, 1));
    add_row(b, k, TS_AUDIT_SD, -1, -1, cs.sd, cs.n, undefined_flags(cs.sd, cs.n, 0, 2));
    add_row(b, k, TS_AUDIT_SKEW, -1, -1, cs.skew, cs.n, undefined_flags(cs.skew, cs.n, constant, 3));
    add_row(b, k, TS_AUDIT_KURTOSIS, -1, -1, cs.kurtosis, cs.n, undefined_flags(cs.kurtosis, cs.n, constant, 4));
    add_row(b, k, TS_AUDIT_UNIQUE, -1, -1, cs.unique, cs.n, undefined_flags(cs.unique, cs.n, 0, 1));
    /* the rule of COINr's get_stats (strict inequalities) */
    double out = NAN;
    unsigned flags = 0;
    if (!isnan(cs.skew) && !isnan(cs.kurtosis)) {
        out = fabs(cs.skew) > 2 && cs.kurtosis > 3.5;
        if (out) flags = TS_AFLAG_OUTLIER;
    } else {
        flags = undefined_flags(NAN, cs.n, constant, 4);
    }
    add_row(b, k, TS_AUDIT_OUTLIER, -1, -1, out, cs.n, flags);
}

/* Cronbach's alpha and the first component of aggregate k's children; the
 * loadings are kept for the children's rows. */
static void aggregate_rows(builder *b, int k) {
    const ts_taxonomy *t = b->s->tax;
    int m = t->nodes[k].n_children, cases, constant;
    double *load = malloc((size_t)m * sizeof *load);
    if (!load) {
        b->oom = 1;
        return;
    }
    for (int c = 0; c < m; c++) b->cols[c] = column(b->sm, child_of(t, k, c));
    double alpha = ts_cronbach(b->cols, m, b->sm->n_obs, &cases, &constant);
    measure ma = finish(b, b->cols, m, alpha, cases, constant);
    add_row(b, k, TS_AUDIT_ALPHA, -1, -1, ma.value, ma.n, ma.flags);
    double share = ts_pca_first(b->cols, m, b->sm->n_obs, load, &cases, &constant);
    if (cases < 0) b->oom = 1;
    measure mp = finish(b, b->cols, m, share, cases, constant);
    add_row(b, k, TS_AUDIT_PCA1, -1, -1, mp.value, mp.n, mp.flags);
    for (int c = 0; c < m; c++) {
        int child = child_of(t, k, c);
        b->loading[child] = isnan(mp.value) ? NAN : load[c];
        b->loading_n[child] = mp.n;
        b->loading_flags[child] = mp.flags;
    }
    free(load);
}

/* Adds the Pearson and the Spearman row of columns x and y; r_flags are
 * added to Pearson's row (the flags of COINr's get_corr_flags are on r). */
static void corr_rows(builder *b, int node, ts_audit_stat st_r, ts_audit_stat st_rho, int with_node, int with_ref,
                      const double *x, const double *y, unsigned r_flags) {
    measure r = pearson(b, x, y), rho = spearman(b, x, y);
    add_row(b, node, st_r, with_node, with_ref, r.value, r.n, r.flags | r_flags);
    add_row(b, node, st_rho, with_node, with_ref, rho.value, rho.n, rho.flags);
}

/* Rows of child k of an aggregate with two or more children: correlation
 * with its parent, loading, correlation with each later sibling, and the
 * aggregate at the parent's depth it correlates with most. */
static void child_rows(builder *b, int k) {
    const ts_taxonomy *t = b->s->tax;
    const ts_audit_options *o = &b->a->opt;
    int p = t->nodes[k].parent;
    const double *x = column(b->sm, k);
    /* NaN (undefined) compares false: no sign flags on it */
    measure mp = pearson(b, x, column(b->sm, p));
    double r_parent = mp.value;
    unsigned flags = (r_parent < 0 ? TS_AFLAG_NEGATIVE : 0) | (fabs(r_parent) < o->weak ? TS_AFLAG_WEAK : 0);
    corr_rows(b, k, TS_AUDIT_R_PARENT, TS_AUDIT_RHO_PARENT, p, -1, x, column(b->sm, p), flags);
    add_row(b, k, TS_AUDIT_LOADING, p, -1, b->loading[k], b->loading_n[k], b->loading_flags[k]);
    int later = 0;
    for (int c = 0; c < t->nodes[p].n_children; c++) {
        int sib = child_of(t, p, c);
        if (sib == k) {
            later = 1;
            continue;
        }
        if (!later) continue;
        /* each pair once, from the earlier child, as get_corr_flags */
        const double *y = column(b->sm, sib);
        double r = pearson(b, x, y).value;
        unsigned f = 0;
        if (fabs(r) > o->collinear) f |= TS_AFLAG_COLLINEAR;
        if (r < o->negative) f |= TS_AFLAG_NEGATIVE;
        corr_rows(b, k, TS_AUDIT_R, TS_AUDIT_RHO, sib, -1, x, y, f);
    }
    /* another aggregate at the parent's depth that k follows more closely,
       over at least as many observations as the parent (an r over 3
       observations says nothing against one over 5) */
    int best = -1, best_n = 0;
    double best_r = NAN;
    for (int q = 0; q < t->n_nodes; q++) {
        if (q == p || t->nodes[q].indicator >= 0 || t->nodes[q].depth != t->nodes[p].depth) continue;
        measure m = pearson(b, x, column(b->sm, q));
        if (!isnan(m.value) && m.n >= mp.n && (best < 0 || m.value > best_r)) {
            best = q;
            best_r = m.value;
            best_n = m.n;
        }
    }
    if (best >= 0)
        add_row(b, k, TS_AUDIT_R_OTHER, best, -1, best_r, best_n,
                !isnan(r_parent) && best_r > r_parent ? TS_AFLAG_OTHER_GROUP : 0);
}

/* Nominal effective weight of node k at top: the product along the path of
 * each weight over the sum of its siblings' (ts_effective_weights is the
 * case top = the index). */
static double weight_at(const ts_scenario *s, int k, int top) {
    const ts_taxonomy *t = s->tax;
    double w = 1;
    for (; k != top && t->nodes[k].parent >= 0; k = t->nodes[k].parent) {
        int p = t->nodes[k].parent;
        double sum = 0;
        for (int c = 0; c < t->nodes[p].n_children; c++) sum += s->spec->weight[child_of(t, p, c)];
        w *= sum > 0 ? s->spec->weight[k] / sum : 0;
    }
    return w;
}

/* Effective influence of every indicator under top on top's score
 * (Paruolo, Saisana and Saltelli 2013): S_i = Var(E[Y | X_i]) / Var(Y),
 * estimated by its linear special case, the squared Pearson correlation
 * (a nonparametric smoother over 5 to 20 points would fit noise); share =
 * S_i over the sum of S_j, beside the nominal effective weight. */
static void influence_rows(builder *b, const int *order, int n_order) {
    const ts_taxonomy *t = b->s->tax;
    const ts_audit_options *o = &b->a->opt;
    int top = b->a->top;
    const double *y = column(b->sm, top);
    double total = 0;
    for (int j = 0; j < n_order; j++) {
        int k = order[j];
        if (t->nodes[k].indicator < 0 || k == top) continue;
        double r = pearson(b, column(b->sm, k), y).value;
        if (!isnan(r)) total += r * r;
    }
    for (int j = 0; j < n_order; j++) {
        int k = order[j];
        if (t->nodes[k].indicator < 0 || k == top) continue;
        measure m = pearson(b, column(b->sm, k), y);
        double w = weight_at(b->s, k, top), r = m.value;
        int pairs = m.n;
        unsigned undefined = m.flags, f = 0;
        double share = total > 0 ? r * r / total : NAN;
        if (w > 0 && !isnan(share)) {
            if (share > o->influence_factor * w) f |= TS_AFLAG_INFLUENCE_HIGH;
            if (share < w / o->influence_factor) f |= TS_AFLAG_INFLUENCE_LOW;
        }
        add_row(b, k, TS_AUDIT_EFF_WEIGHT, top, -1, w, pairs, 0);
        add_row(b, k, TS_AUDIT_R_INDEX, top, -1, r, pairs, undefined | (r < 0 ? TS_AFLAG_NEGATIVE : 0));
        add_row(b, k, TS_AUDIT_INFLUENCE, top, -1, r * r, pairs, undefined);
        add_row(b, k, TS_AUDIT_INFLUENCE_SHARE, top, -1, share, pairs, undefined | f);
    }
}

/* Agreement of each reference series under top with its node's score. */
static void reference_rows(builder *b) {
    ts_audit *a = b->a;
    const ts_scenario *s = b->s;
    const sample *sm = b->sm;
    double *ref = malloc(((size_t)sm->n_obs + 1) * sizeof *ref);
    if (!ref) {
        b->oom = 1;
        return;
    }
    for (int q = 0; q < a->refs->n; q++) {
        const ts_ref_series *sr = &a->refs->series[q];
        if (!in_subtree(s->tax, sr->node, a->top)) continue;
        unsigned carried = 0;
        for (int o = 0; o < sm->n_obs; o++) {
            int from;
            ref[o] = ts_audit_ref_value(sr, sm->unit[o], sm->year[o], s->spec->max_age, &from);
            /* a year-0 audit pairs latest values with latest values, as the
               index's own are selected */
            if (!isnan(ref[o]) && sm->year[o] > 0 && from != sm->year[o]) carried = TS_AFLAG_CARRIED;
        }
        const double *x = column(sm, sr->node);
        measure rho = spearman(b, x, ref), r = pearson(b, x, ref);
        add_row(b, sr->node, TS_AUDIT_REF_RHO, -1, q, rho.value, rho.n,
                rho.flags | carried | (rho.value * sr->direction < 0 ? TS_AFLAG_DISAGREES : 0));
        add_row(b, sr->node, TS_AUDIT_REF_R, -1, q, r.value, r.n,
                r.flags | carried | (r.value * sr->direction < 0 ? TS_AFLAG_DISAGREES : 0));
    }
    free(ref);
}

int ts_audit_run(ts_scenario *s, const ts_audit_options *opt, ts_audit **out, ts_error *err) {
    *out = NULL;
    const ts_taxonomy *t = s->tax;
    ts_audit *a = calloc(1, sizeof *a);
    if (!a) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        return ts_status(err);
    }
    a->opt = *opt;
    a->top = opt->node >= 0 ? opt->node : ts_taxonomy_root(t);
    if (ts_audit_refs_load(s, &a->refs, err)) {
        ts_audit_free(a);
        return ts_status(err);
    }
    sample sm;
    if (build_sample(s, a, &sm, err)) {
        sample_free(&sm);
        ts_audit_free(a);
        return ts_status(err);
    }
    a->n_obs = sm.n_obs;
    int nodes = t->n_nodes, max_children = 1;
    for (int k = 0; k < nodes; k++)
        if (t->nodes[k].n_children > max_children) max_children = t->nodes[k].n_children;
    builder b = {a, s, &sm, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0};
    b.work = malloc((3 * (size_t)sm.n_obs + 1) * sizeof *b.work);
    b.cols = malloc((size_t)max_children * sizeof *b.cols);
    b.loading = malloc((size_t)nodes * sizeof *b.loading);
    b.loading_n = malloc((size_t)nodes * sizeof *b.loading_n);
    b.loading_flags = malloc((size_t)nodes * sizeof *b.loading_flags);
    b.seen = calloc((size_t)a->n_units + 1, sizeof *b.seen);
    int *order = malloc((size_t)nodes * sizeof *order), n_order = 0;
    b.oom = !b.work || !b.cols || !b.loading || !b.loading_n || !b.loading_flags || !b.seen || !order;
    if (!b.oom) {
        /* the audited subtree in pre-order */
        ts_taxonomy_preorder(t, order);
        for (int j = 0; j < nodes; j++)
            if (in_subtree(t, order[j], a->top)) order[n_order++] = order[j];
        /* pre-order: an aggregate's first component (its children's
           loadings) is computed before its children's rows */
        for (int j = 0; j < n_order && !b.oom; j++) {
            int k = order[j], p = t->nodes[k].parent;
            column_rows(&b, k);
            if (t->nodes[k].n_children >= 2) aggregate_rows(&b, k);
            if (k != a->top && p >= 0 && t->nodes[p].n_children >= 2) child_rows(&b, k);
        }
        influence_rows(&b, order, n_order);
        reference_rows(&b);
    }
    free(b.work);
    free(b.cols);
    free(b.loading);
    free(b.loading_n);
    free(b.loading_flags);
    free(b.seen);
    free(order);
    sample_free(&sm);
    if (b.oom) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        ts_audit_free(a);
        return ts_status(err);
    }
    *out = a;
    return TS_OK;
}

/* ---- the correlation matrix within a node ---------------------------------- */

void ts_audit_corr_free(ts_audit_corr *c) {
    if (!c) return;
    free(c->years);
    free(c->node);
    free(c->value);
    free(c->pairs);
    free(c->flags);
    free(c);
}

/* Stores in c->node the nodes c correlates, in pre-order: top's children,
 * or with c->indicators every indicator under top. Returns TS_OK, TS_EINPUT
 * (no file: the node, not a line, is wrong) when there are fewer than two,
 * TS_ESYSTEM when out of memory. */
static int corr_nodes(const ts_taxonomy *t, ts_audit_corr *c, ts_error *err) {
    int *order = malloc((size_t)t->n_nodes * sizeof *order);
    c->node = malloc((size_t)t->n_nodes * sizeof *c->node);
    if (!order || !c->node) {
        free(order);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    ts_taxonomy_preorder(t, order);
    for (int j = 0; j < t->n_nodes; j++) {
        int k = order[j];
        int wanted = c->indicators ? k != c->top && t->nodes[k].indicator >= 0 && in_subtree(t, k, c->top)
                                   : t->nodes[k].parent == c->top;
        if (wanted) c->node[c->n++] = k;
    }
    free(order);
    if (c->n >= 2) return TS_OK;
    const ts_node *nd = &t->nodes[c->top];
    if (nd->indicator >= 0)
        return ts_fail(err, TS_EINPUT, NULL, 0,
                       "node '%s' is an indicator: a correlation matrix needs a node with two or more %s", nd->id,
                       c->indicators ? "indicators under it" : "children");
    if (c->indicators)
        return ts_fail(err, TS_EINPUT, NULL, 0,
                       "node '%s' has only one indicator under it: a correlation matrix needs two or more", nd->id);
    if (nd->n_leaves >= 2)
        return ts_fail(err, TS_EINPUT, NULL, 0,
                       "node '%s' has only one child: a correlation matrix needs two or more"
                       " (--indicators correlates the %d indicators under it)",
                       nd->id, nd->n_leaves);
    return ts_fail(err, TS_EINPUT, NULL, 0, "node '%s' has only one child: a correlation matrix needs two or more",
                   nd->id);
}

/* Fills c's matrix from the sample with the audit's own measures (the
 * pairs in pre-order, the earlier node first, as the sibling rows). */
static void corr_cells(builder *b, ts_audit_corr *c) {
    const ts_audit_options *o = &b->a->opt;
    for (int i = 0; i < c->n; i++)
        for (int j = i; j < c->n; j++) {
            const double *x = column(b->sm, c->node[i]), *y = column(b->sm, c->node[j]);
            measure m = c->spearman ? spearman(b, x, y) : pearson(b, x, y);
            unsigned f = m.flags | (m.n < 10 ? TS_AFLAG_SMALL_N : 0);
            /* NaN compares false: no sign flags on an undefined value */
            if (!c->spearman && i != j) {
                if (fabs(m.value) > o->collinear) f |= TS_AFLAG_COLLINEAR;
                if (m.value < o->negative) f |= TS_AFLAG_NEGATIVE;
            }
            size_t ij = (size_t)i * (size_t)c->n + (size_t)j, ji = (size_t)j * (size_t)c->n + (size_t)i;
            c->value[ij] = c->value[ji] = m.value;
            c->pairs[ij] = c->pairs[ji] = m.n;
            c->flags[ij] = c->flags[ji] = f;
        }
}

int ts_audit_corr_new(ts_scenario *s, const ts_audit_options *opt, int indicators, int use_spearman,
                      ts_audit_corr **out, ts_error *err) {
    *out = NULL;
    ts_audit_corr *c = calloc(1, sizeof *c);
    if (!c) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    c->top = opt->node >= 0 ? opt->node : ts_taxonomy_root(s->tax);
    c->indicators = indicators != 0;
    c->spearman = use_spearman != 0;
    /* the sample as ts_audit_run draws it, into an audit of no rows */
    ts_audit a;
    memset(&a, 0, sizeof a);
    a.opt = *opt;
    a.top = c->top;
    sample sm;
    memset(&sm, 0, sizeof sm);
    builder b;
    memset(&b, 0, sizeof b);
    int rc = corr_nodes(s->tax, c, err);
    if (rc == TS_OK) rc = build_sample(s, &a, &sm, err);
    if (rc == TS_OK) {
        size_t cells = (size_t)c->n * (size_t)c->n;
        b = (builder){&a, s, &sm, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0};
        b.work = malloc((3 * (size_t)sm.n_obs + 1) * sizeof *b.work);
        b.seen = calloc((size_t)a.n_units + 1, sizeof *b.seen);
        c->value = malloc(cells * sizeof *c->value);
        c->pairs = malloc(cells * sizeof *c->pairs);
        c->flags = malloc(cells * sizeof *c->flags);
        if (!b.work || !b.seen || !c->value || !c->pairs || !c->flags)
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    if (rc == TS_OK) {
        corr_cells(&b, c);
        c->n_units = a.n_units;
        c->n_years = a.n_years;
        c->n_obs = sm.n_obs;
        c->years = a.years;
        a.years = NULL;
    }
    free(b.work);
    free(b.seen);
    free(a.years);
    sample_free(&sm);
    if (rc != TS_OK) {
        ts_audit_corr_free(c);
        return rc;
    }
    *out = c;
    return TS_OK;
}
