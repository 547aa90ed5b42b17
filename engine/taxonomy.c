/* taxonomy.c -- reading, validating and flattening taxonomy files. */
#include "taxonomy.h"

#include <libconfig.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "normalise.h"

#define MAX_DEPTH 32

/* Per-node settings as written; resolved (inherited) after parsing. */
typedef struct raw_node {
    int agg_set, norm_set, classes_set, treat_set, impute_set, threshold_set;
    ts_agg agg;
    ts_norm norm;
    ts_treat treat;
    ts_impute impute;
    double data_threshold;
    int first_class, n_classes;
} raw_node;

typedef struct parser {
    ts_taxonomy *t;
    const char *file;
    ts_error *err;
    raw_node *raw;
    int cap_nodes, cap_raw, cap_children, cap_classes, cap_ind;
    int n_children; /* entries used in t->children */
} parser;

static const char *const ROOT_KEYS[] = {"id", "name", "description", "source", "scale",
                                        "normalise", "aggregate", "treat", "impute",
                                        "data_threshold", "direction", "classes", "children",
                                        "perspectives", "alerts", NULL};
static const char *const AGGREGATE_KEYS[] = {"id", "name", "description", "source", "weight",
                                             "normalise", "aggregate", "treat", "impute",
                                             "data_threshold", "direction", "classes", "children",
                                             NULL};
static const char *const INDICATOR_KEYS[] = {"id", "name", "description", "source", "weight",
                                             "unit", "direction", "goalposts", "target",
                                             "normalise", "transform", "treat", "impute",
                                             "column", "denominator", "classes", NULL};

static int oom(parser *p) {
    return ts_fail(p->err, TS_ESYSTEM, p->file, 0, "out of memory");
}

/* Grows *arr (element size sz) so that index n fits. Returns 0 or -1. */
static int grow(void **arr, int *cap, int n, size_t sz) {
    if (n < *cap) return 0;
    int nc = *cap ? *cap * 2 : 16;
    while (nc <= n) nc *= 2;
    void *q = realloc(*arr, (size_t)nc * sz);
    if (!q) return -1;
    *arr = q;
    *cap = nc;
    return 0;
}

static int cmp_class(const void *a, const void *b) {
    double x = ((const ts_class *)a)->min, y = ((const ts_class *)b)->min;
    return (x > y) - (x < y);
}

/* Parses a `classes` list into t->classes; stores its range. */
static int parse_classes(parser *p, const config_setting_t *s, int *first, int *count) {
    ts_taxonomy *t = p->t;
    if (ts_cfg_expect_list(s, p->file, "classes", p->err)) return TS_EINPUT;
    int n = config_setting_length(s);
    if (n == 0) return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(s), "classes is empty");
    *first = t->n_class_total;
    int open_lowest = 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *c = config_setting_get_elem(s, (unsigned)i);
        static const char *const keys[] = {"name", "min", NULL};
        if (ts_cfg_expect_group(c, p->file, "a class", p->err) ||
            ts_cfg_check_keys(c, keys, p->file, p->err))
            return TS_EINPUT;
        const char *name;
        double min = -INFINITY;
        int has_min = 0;
        if (ts_cfg_opt_string(c, "name", p->file, &name, p->err) ||
            ts_cfg_opt_number(c, "min", p->file, &min, &has_min, p->err))
            return TS_EINPUT;
        if (!name || !name[0])
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(c), "a class needs a name");
        if (!has_min && open_lowest++)
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(c),
                           "only the lowest class may omit min");
        if (grow((void **)&t->classes, &p->cap_classes, t->n_class_total, sizeof(ts_class)))
            return oom(p);
        ts_class *cl = &t->classes[t->n_class_total++];
        cl->name = ts_arena_strdup(t->arena, name);
        cl->min = min;
        if (!cl->name) return oom(p);
    }
    qsort(t->classes + *first, (size_t)n, sizeof(ts_class), cmp_class);
    for (int i = 1; i < n; i++)
        if (t->classes[*first + i].min == t->classes[*first + i - 1].min)
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(s),
                           "classes '%s' and '%s' have the same min",
                           t->classes[*first + i - 1].name, t->classes[*first + i].name);
    *count = n;
    return TS_OK;
}

/* Reads a string member into the arena (NULL when absent). */
static int arena_string(parser *p, const config_setting_t *g, const char *key, const char **out) {
    const char *v;
    if (ts_cfg_opt_string(g, key, p->file, &v, p->err)) return TS_EINPUT;
    *out = NULL;
    if (v && !(*out = ts_arena_strdup(p->t->arena, v))) return oom(p);
    return TS_OK;
}

/* Settings shared by the root, aggregates and indicators. */
static int parse_common(parser *p, const config_setting_t *g, ts_node *nd, raw_node *raw) {
    const config_setting_t *s;
    if (arena_string(p, g, "name", &nd->name) || arena_string(p, g, "description", &nd->description) ||
        arena_string(p, g, "source", &nd->source))
        return TS_EINPUT;
    if (!nd->name) nd->name = nd->id;
    if ((s = config_setting_get_member(g, "aggregate"))) {
        if (ts_agg_from_setting(s, p->file, &raw->agg, p->err)) return TS_EINPUT;
        raw->agg_set = 1;
    }
    if ((s = config_setting_get_member(g, "normalise"))) {
        if (ts_norm_from_setting(s, p->file, &raw->norm, p->err)) return TS_EINPUT;
        raw->norm_set = 1;
    }
    if ((s = config_setting_get_member(g, "classes"))) {
        if (parse_classes(p, s, &raw->first_class, &raw->n_classes)) return TS_EINPUT;
        raw->classes_set = 1;
    }
    if ((s = config_setting_get_member(g, "treat"))) {
        if (ts_treat_from_setting(s, p->file, &raw->treat, p->err)) return TS_EINPUT;
        raw->treat_set = 1;
    }
    if ((s = config_setting_get_member(g, "impute"))) {
        if (ts_impute_from_setting(s, p->file, &raw->impute, p->err)) return TS_EINPUT;
        raw->impute_set = 1;
    }
    if ((s = config_setting_get_member(g, "data_threshold"))) {
        if (ts_cfg_number(s, p->file, "data_threshold", &raw->data_threshold, p->err)) return TS_EINPUT;
        if (raw->data_threshold < 0 || raw->data_threshold > 1)
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(s), "data_threshold must be between 0 and 1");
        raw->threshold_set = 1;
    }
    return TS_OK;
}

/* Reads direction = "risk" | "protective" into *out (default: risk).
 * required: an indicator must say which. */
static int parse_direction(parser *p, const config_setting_t *g, ts_node *nd, int required) {
    const char *dir;
    nd->direction = 1;
    if (ts_cfg_opt_string(g, "direction", p->file, &dir, p->err)) return TS_EINPUT;
    if (!dir) {
        if (!required) return TS_OK;
        return ts_fail(p->err, TS_EINPUT, p->file, nd->line,
                       "indicator '%s' needs a direction (\"risk\" or \"protective\")", nd->id);
    }
    if (strcmp(dir, "risk") == 0)
        nd->direction = 1;
    else if (strcmp(dir, "protective") == 0)
        nd->direction = -1;
    else
        return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(config_setting_get_member(g, "direction")),
                       "direction must be \"risk\" or \"protective\", not \"%s\"", dir);
    return TS_OK;
}

/* Checks at load what scoring would refuse whatever the data: a transform
 * (log, log1p, boxcox) undefined at a goalpost or at the target, which are
 * transformed with the values. logct depends on the values' range, so it
 * is checked when a scenario is scored. Returns TS_OK or TS_EINPUT naming
 * the goalposts' or target's line. */
static int check_transform_domain(parser *p, const config_setting_t *g, const ts_node *nd) {
    const ts_transform *tr = &nd->transform;
    if (tr->method == TS_TRANSFORM_NONE || tr->method == TS_TRANSFORM_LOGCT) return TS_OK;
    const char *domain = tr->method == TS_TRANSFORM_LOG1P ? "values above -1" : "values above 0";
    double y;
    const double goal[2] = {nd->goal_lo, nd->goal_hi};
    for (int i = 0; nd->has_goalposts && i < 2; i++)
        if (ts_transform_value(tr, goal[i], 0, 0, &y) != 0)
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(config_setting_get_member(g, "goalposts")),
                           "%s transform of indicator '%s' is undefined for its goalpost %g (it takes %s): "
                           "move the goalposts or use another transform (log1p, logct)",
                           ts_transform_name(tr->method), nd->id, goal[i], domain);
    if (nd->has_target && ts_transform_value(tr, nd->target, 0, 0, &y) != 0)
        return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(config_setting_get_member(g, "target")),
                       "%s transform of indicator '%s' is undefined for its target %g (it takes %s)",
                       ts_transform_name(tr->method), nd->id, nd->target, domain);
    return TS_OK;
}

static int parse_indicator(parser *p, const config_setting_t *g, ts_node *nd) {
    const config_setting_t *s;
    ts_taxonomy *t = p->t;
    if (arena_string(p, g, "unit", &nd->unit) || arena_string(p, g, "column", &nd->column) ||
        arena_string(p, g, "denominator", &nd->denominator) || parse_direction(p, g, nd, 1))
        return TS_EINPUT;
    if (nd->denominator && !ts_valid_id(nd->denominator))
        return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(config_setting_get_member(g, "denominator")),
                       "invalid denominator name '%s'", nd->denominator);
    if ((s = config_setting_get_member(g, "target"))) {
        if (ts_cfg_number(s, p->file, "target", &nd->target, p->err)) return TS_EINPUT;
        nd->has_target = 1;
    }
    if ((s = config_setting_get_member(g, "transform")) &&
        ts_transform_from_setting(s, p->file, &nd->transform, p->err))
        return TS_EINPUT;
    if ((s = config_setting_get_member(g, "goalposts"))) {
        if (ts_cfg_expect_list(s, p->file, "goalposts", p->err)) return TS_EINPUT;
        if (config_setting_length(s) != 2)
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(s), "goalposts must be [min, max]");
        if (ts_cfg_number(config_setting_get_elem(s, 0), p->file, "goalposts min", &nd->goal_lo, p->err) ||
            ts_cfg_number(config_setting_get_elem(s, 1), p->file, "goalposts max", &nd->goal_hi, p->err))
            return TS_EINPUT;
        if (!(nd->goal_lo < nd->goal_hi))
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(s),
                           "goalposts of '%s' need min < max (got %g >= %g)", nd->id,
                           nd->goal_lo, nd->goal_hi);
        nd->has_goalposts = 1;
    }
    if (check_transform_domain(p, g, nd)) return TS_EINPUT;
    if (grow((void **)&t->indicator_node, &p->cap_ind, t->n_indicators, sizeof(int))) return oom(p);
    nd->indicator = t->n_indicators++;
    nd->n_leaves = 1;
    return TS_OK;
}

/* Parses node setting g (and its subtree) and appends it after its
 * descendants. Stores its index in *out. */
static int parse_node(parser *p, const config_setting_t *g, int depth, int *out) {
    ts_taxonomy *t = p->t;
    const char *what = depth == 0 ? "the taxonomy" : "a node";
    if (ts_cfg_expect_group(g, p->file, what, p->err)) return TS_EINPUT;
    if (depth > MAX_DEPTH)
        return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(g), "taxonomy deeper than %d levels",
                       MAX_DEPTH);
    const config_setting_t *kids = config_setting_get_member(g, "children");
    const char *const *keys = depth == 0 ? ROOT_KEYS : kids ? AGGREGATE_KEYS : INDICATOR_KEYS;
    if (ts_cfg_check_keys(g, keys, p->file, p->err)) return TS_EINPUT;

    ts_node nd;
    raw_node raw;
    memset(&nd, 0, sizeof nd);
    memset(&raw, 0, sizeof raw);
    nd.file = p->file;
    nd.line = ts_cfg_line(g);
    if (depth == 0) {
        /* libconfig gives the root group line 0: use the line of its id */
        const config_setting_t *id_setting = config_setting_get_member(g, "id");
        nd.line = id_setting ? ts_cfg_line(id_setting) : 1;
    }
    nd.depth = depth;
    nd.indicator = -1;
    nd.weight = 1.0;
    nd.parent = -1;
    nd.direction = 1;
    nd.transform = ts_transform_default();

    const char *id;
    if (ts_cfg_opt_string(g, "id", p->file, &id, p->err)) return TS_EINPUT;
    if (!id) return ts_fail(p->err, TS_EINPUT, p->file, nd.line, "%s needs an id", depth ? "node" : "taxonomy");
    if (!ts_valid_id(id))
        return ts_fail(p->err, TS_EINPUT, p->file, nd.line,
                       "invalid id '%s': use a letter then letters, digits, '_' or '-' (at most 64)", id);
    if (!(nd.id = ts_arena_strdup(t->arena, id))) return oom(p);
    if (parse_common(p, g, &nd, &raw)) return TS_EINPUT;
    if (depth > 0) {
        int has_weight = 0;
        if (ts_cfg_opt_number(g, "weight", p->file, &nd.weight, &has_weight, p->err)) return TS_EINPUT;
        if (nd.weight < 0)
            return ts_fail(p->err, TS_EINPUT, p->file,
                           ts_cfg_line(config_setting_get_member(g, "weight")),
                           "weight of '%s' is negative (%g)", nd.id, nd.weight);
    }

    if (kids && parse_direction(p, g, &nd, 0)) return TS_EINPUT;
    if (!kids) {
        if (depth == 0)
            return ts_fail(p->err, TS_EINPUT, p->file, nd.line, "the taxonomy has no children");
        if (parse_indicator(p, g, &nd)) return TS_EINPUT;
    } else {
        if (ts_cfg_expect_list(kids, p->file, "children", p->err)) return TS_EINPUT;
        int n = config_setting_length(kids);
        if (n == 0)
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(kids), "'%s' has no children", nd.id);
        int *idx = malloc((size_t)n * sizeof *idx);
        if (!idx) return oom(p);
        double wsum = 0;
        for (int i = 0; i < n; i++) {
            if (parse_node(p, config_setting_get_elem(kids, (unsigned)i), depth + 1, &idx[i])) {
                free(idx);
                return TS_EINPUT;
            }
            wsum += t->nodes[idx[i]].weight;
            nd.n_leaves += t->nodes[idx[i]].n_leaves;
        }
        if (!(wsum > 0)) {
            free(idx);
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(kids),
                           "all weights of the children of '%s' are zero", nd.id);
        }
        if (grow((void **)&t->children, &p->cap_children, p->n_children + n, sizeof(int))) {
            free(idx);
            return oom(p);
        }
        /* a parent's children are appended in one block, so it is contiguous */
        nd.first_child = p->n_children;
        nd.n_children = n;
        memcpy(t->children + p->n_children, idx, (size_t)n * sizeof *idx);
        p->n_children += n;
        free(idx);
    }
    if (grow((void **)&t->nodes, &p->cap_nodes, t->n_nodes, sizeof(ts_node)) ||
        grow((void **)&p->raw, &p->cap_raw, t->n_nodes, sizeof(raw_node)))
        return oom(p);
    *out = t->n_nodes;
    t->nodes[t->n_nodes] = nd;
    p->raw[t->n_nodes] = raw;
    if (nd.indicator >= 0) t->indicator_node[nd.indicator] = *out;
    t->n_nodes++;
    for (int i = 0; i < nd.n_children; i++) t->nodes[t->children[nd.first_child + i]].parent = *out;
    return TS_OK;
}

/* Fills inherited settings top-down: reverse post-order visits every
 * parent before its children. */
static void resolve_inherited(parser *p) {
    ts_taxonomy *t = p->t;
    for (int k = t->n_nodes - 1; k >= 0; k--) {
        ts_node *nd = &t->nodes[k];
        const raw_node *raw = &p->raw[k];
        const ts_node *up = nd->parent >= 0 ? &t->nodes[nd->parent] : NULL;
        nd->agg = raw->agg_set ? raw->agg : up ? up->agg : ts_agg_default();
        nd->norm = raw->norm_set ? raw->norm : up ? up->norm : ts_norm_default();
        nd->treat = raw->treat_set ? raw->treat : up ? up->treat : ts_treat_none();
        nd->impute = raw->impute_set ? raw->impute : up ? up->impute : ts_impute_default();
        nd->data_threshold = raw->threshold_set ? raw->data_threshold : up ? up->data_threshold : 0.0;
        if (raw->classes_set) {
            nd->first_class = raw->first_class;
            nd->n_classes = raw->n_classes;
        } else if (up) {
            nd->first_class = up->first_class;
            nd->n_classes = up->n_classes;
        }
    }
}

/* Checks the normaliser each indicator inherits against what it needs and
 * scoring would otherwise refuse: goalposts for "goalposts", a target for
 * "dist2targ". Returns TS_OK or TS_EINPUT naming the indicator's line. */
static int check_normalisers(parser *p) {
    const ts_taxonomy *t = p->t;
    for (int i = 0; i < t->n_indicators; i++) {
        const ts_node *nd = &t->nodes[t->indicator_node[i]];
        if (nd->norm.method == TS_NORM_GOALPOSTS && !nd->has_goalposts)
            return ts_fail(p->err, TS_EINPUT, p->file, nd->line,
                           "indicator '%s' is normalised by goalposts but has none: give it goalposts = [min, max]",
                           nd->id);
        if (nd->norm.method == TS_NORM_DIST2TARG && !nd->has_target)
            return ts_fail(p->err, TS_EINPUT, p->file, nd->line,
                           "indicator '%s' is normalised by dist2targ but has no target: give it target = VALUE",
                           nd->id);
    }
    return TS_OK;
}

static int cmp_node_id(const void *a, const void *b, void *ctx) {
    const ts_taxonomy *t = ctx;
    return strcmp(t->nodes[*(const int *)a].id, t->nodes[*(const int *)b].id);
}

/* Sorts node indices by id into t->sorted: a bottom-up merge sort, since
 * qsort has no context argument and qsort_r is not portable. */
static void sort_ids(ts_taxonomy *t, int *tmp) {
    int n = t->n_nodes;
    int *a = t->sorted, *b = tmp;
    for (int i = 0; i < n; i++) a[i] = i;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) b[k++] = cmp_node_id(&a[i], &a[j], t) <= 0 ? a[i++] : a[j++];
            while (i < mid) b[k++] = a[i++];
            while (j < hi) b[k++] = a[j++];
        }
        int *s = a;
        a = b;
        b = s;
    }
    if (a != t->sorted) memcpy(t->sorted, a, (size_t)n * sizeof *a);
}

/* Reads alerts = { near_class = D; jump_sd = K; jump_share = S;
 * min_reliability = R; } (each optional, none negative) into the
 * taxonomy's alert norms, which stay NaN when unset. Returns TS_OK or
 * TS_EINPUT. */
static int parse_alerts(parser *p, const config_setting_t *g) {
    ts_taxonomy *t = p->t;
    t->alert_near_class = t->alert_jump_sd = t->alert_jump_share = t->alert_min_reliability = NAN;
    if (!g) return TS_OK;
    static const char *const keys[] = {"near_class", "jump_sd", "jump_share", "min_reliability", NULL};
    double *dst[] = {&t->alert_near_class, &t->alert_jump_sd, &t->alert_jump_share, &t->alert_min_reliability};
    if (ts_cfg_expect_group(g, p->file, "alerts", p->err) || ts_cfg_check_keys(g, keys, p->file, p->err))
        return TS_EINPUT;
    for (int i = 0; keys[i]; i++) {
        int has;
        double v;
        if (ts_cfg_opt_number(g, keys[i], p->file, &v, &has, p->err)) return TS_EINPUT;
        if (!has) continue;
        if (!(v >= 0) || (i == 3 && v > 10))
            return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(config_setting_get_member(g, keys[i])),
                           "alerts.%s must be %s", keys[i], i == 3 ? "between 0 and 10" : "at least 0");
        *dst[i] = v;
    }
    return TS_OK;
}

/* Reads perspectives = { NAME = { description = "..."; weights = { node = w; }; }; }
 * once the node ids can be looked up. */
static int parse_perspectives(parser *p, const config_setting_t *g) {
    ts_taxonomy *t = p->t;
    if (!g) return TS_OK;
    if (ts_cfg_expect_group(g, p->file, "perspectives", p->err)) return TS_EINPUT;
    int n = config_setting_length(g);
    t->perspectives = ts_arena_alloc(t->arena, (size_t)(n + 1) * sizeof *t->perspectives);
    if (!t->perspectives) return oom(p);
    for (int j = 0; j < n; j++) {
        const config_setting_t *e = config_setting_get_elem(g, (unsigned)j);
        static const char *const keys[] = {"description", "weights", NULL};
        ts_perspective *ps = &t->perspectives[t->n_perspectives++];
        if (ts_cfg_expect_group(e, p->file, "a perspective", p->err) || ts_cfg_check_keys(e, keys, p->file, p->err) ||
            arena_string(p, e, "description", &ps->description))
            return TS_EINPUT;
        if (!(ps->name = ts_arena_strdup(t->arena, config_setting_name(e)))) return oom(p);
        const config_setting_t *w = config_setting_get_member(e, "weights");
        if (!w) return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(e), "perspective '%s' has no weights", ps->name);
        if (ts_cfg_expect_group(w, p->file, "weights", p->err)) return TS_EINPUT;
        int m = config_setting_length(w);
        ps->node = ts_arena_alloc(t->arena, (size_t)(m + 1) * sizeof *ps->node);
        ps->weight = ts_arena_alloc(t->arena, (size_t)(m + 1) * sizeof *ps->weight);
        if (!ps->node || !ps->weight) return oom(p);
        for (int q = 0; q < m; q++) {
            const config_setting_t *x = config_setting_get_elem(w, (unsigned)q);
            int k = ts_taxonomy_find(t, config_setting_name(x));
            if (k < 0) return ts_taxonomy_unknown(t, "node", config_setting_name(x), 0, p->file, ts_cfg_line(x), p->err);
            if (k == ts_taxonomy_root(t))
                return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(x), "the index has no weight to set");
            if (ts_cfg_number(x, p->file, "a weight", &ps->weight[ps->n], p->err)) return TS_EINPUT;
            if (ps->weight[ps->n] < 0)
                return ts_fail(p->err, TS_EINPUT, p->file, ts_cfg_line(x), "weight of '%s' is negative",
                               config_setting_name(x));
            ps->node[ps->n++] = k;
        }
    }
    return TS_OK;
}

static const char *column_of(const ts_taxonomy *t, int i) {
    const ts_node *nd = &t->nodes[t->indicator_node[i]];
    return nd->column ? nd->column : nd->id;
}

/* Fails when two indicators read the same CSV column, which is almost
 * surely a typo. A hash set of the columns seen, so a taxonomy of 200,000
 * indicators is checked in linear time; the error names the first pair in
 * file order. Returns TS_OK, TS_EINPUT, or TS_ESYSTEM when out of memory. */
static int check_columns(parser *p) {
    const ts_taxonomy *t = p->t;
    size_t cap = 16;
    while (cap < 2 * (size_t)t->n_indicators) cap *= 2;
    int *slot = malloc(cap * sizeof *slot); /* indicator index + 1, 0 = empty */
    if (!slot) return oom(p);
    memset(slot, 0, cap * sizeof *slot);
    int rc = TS_OK;
    for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
        const char *col = column_of(t, i);
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const unsigned char *c = (const unsigned char *)col; *c; c++) h = (h ^ *c) * 16777619u;
        size_t k = h & (cap - 1);
        while (slot[k] && strcmp(column_of(t, slot[k] - 1), col) != 0) k = (k + 1) & (cap - 1);
        if (!slot[k]) {
            slot[k] = i + 1;
            continue;
        }
        const ts_node *a = &t->nodes[t->indicator_node[slot[k] - 1]], *b = &t->nodes[t->indicator_node[i]];
        rc = ts_fail(p->err, TS_EINPUT, p->file, b->line, "indicators '%s' and '%s' both read column '%s'", a->id,
                     b->id, col);
    }
    free(slot);
    return rc;
}

/* Builds the taxonomy of the parsed file cfg read from path (whose bytes
 * hash to sha256, or NULL: read_path is read into cfg here, naming the
 * file path). Returns as
 * ts_taxonomy_load. */
static int taxonomy_build(const char *path, const char *read_path, config_t *cfg, const char *sha256,
                          ts_taxonomy **out, ts_error *err);

int ts_taxonomy_load(const char *path, ts_taxonomy **out, ts_error *err) {
    return ts_taxonomy_load_as(path, path, out, err);
}

int ts_taxonomy_load_as(const char *path, const char *read_path, ts_taxonomy **out, ts_error *err) {
    config_t cfg;
    config_init(&cfg);
    int rc = taxonomy_build(path, read_path, &cfg, NULL, out, err);
    config_destroy(&cfg);
    return rc;
}

int ts_taxonomy_from_config(const char *path, const config_t *cfg, const char *sha256, ts_taxonomy **out,
                            ts_error *err) {
    /* built from settings it only reads */
    return taxonomy_build(path, path, (config_t *)cfg, sha256, out, err);
}

static int taxonomy_build(const char *path, const char *read_path, config_t *cfgp, const char *sha256,
                          ts_taxonomy **out, ts_error *err) {
    *out = NULL;
    parser p;
    memset(&p, 0, sizeof p);
    p.err = err;
    ts_taxonomy *t = calloc(1, sizeof *t);
    if (!t || !(t->arena = ts_arena_new())) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    if (!(t->path = ts_arena_strdup(t->arena, path))) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    p.t = t;
    p.file = t->path;
    if (sha256) memcpy(t->sha256, sha256, sizeof t->sha256);
    else if (ts_cfg_read_file_as(cfgp, path, read_path, t->sha256, NULL, NULL, err)) goto fail;
    config_setting_t *root = config_root_setting(cfgp);
    t->scale_min = 0;
    t->scale_max = 100;
    const config_setting_t *scale = config_setting_get_member(root, "scale");
    if (scale) {
        static const char *const keys[] = {"min", "max", NULL};
        int has_min, has_max;
        if (ts_cfg_expect_group(scale, p.file, "scale", err) ||
            ts_cfg_check_keys(scale, keys, p.file, err) ||
            ts_cfg_opt_number(scale, "min", p.file, &t->scale_min, &has_min, err) ||
            ts_cfg_opt_number(scale, "max", p.file, &t->scale_max, &has_max, err))
            goto fail;
        if (!has_min || !has_max || !(t->scale_min < t->scale_max)) {
            ts_fail(err, TS_EINPUT, p.file, ts_cfg_line(scale), "scale needs min < max");
            goto fail;
        }
    }
    t->file_scale_min = t->scale_min;
    t->file_scale_max = t->scale_max;
    int root_index;
    if (parse_node(&p, root, 0, &root_index)) goto fail;
    t->id = t->nodes[root_index].id;
    t->name = t->nodes[root_index].name;
    t->description = t->nodes[root_index].description;
    resolve_inherited(&p);
    if (check_normalisers(&p)) goto fail;

    t->sorted = malloc((size_t)t->n_nodes * sizeof(int));
    int *tmp = malloc((size_t)t->n_nodes * sizeof(int));
    if (!t->sorted || !tmp) {
        free(tmp);
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    sort_ids(t, tmp);
    free(tmp);
    for (int i = 1; i < t->n_nodes; i++) {
        const ts_node *a = &t->nodes[t->sorted[i - 1]], *b = &t->nodes[t->sorted[i]];
        if (strcmp(a->id, b->id) == 0) {
            const ts_node *later = a->line > b->line ? a : b, *first = later == a ? b : a;
            ts_fail(err, TS_EINPUT, p.file, later->line, "duplicate id '%s' (first defined on line %d)",
                    a->id, first->line);
            goto fail;
        }
    }
    if (check_columns(&p)) goto fail;
    if (parse_perspectives(&p, config_setting_get_member(root, "perspectives"))) goto fail;
    if (parse_alerts(&p, config_setting_get_member(root, "alerts"))) goto fail;
    free(p.raw);
    *out = t;
    return TS_OK;
fail:
    free(p.raw);
    ts_taxonomy_free(t);
    return ts_status(err);
}

void ts_taxonomy_free(ts_taxonomy *t) {
    if (!t) return;
    free(t->nodes);
    free(t->children);
    free(t->indicator_node);
    free(t->classes);
    free(t->sorted);
    ts_arena_free(t->arena);
    free(t);
}

int ts_taxonomy_find(const ts_taxonomy *t, const char *id) {
    int lo = 0, hi = t->n_nodes - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(t->nodes[t->sorted[mid]].id, id);
        if (c == 0) return t->sorted[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

void ts_taxonomy_rescale(ts_taxonomy *t, double lo, double hi) {
    double f = (hi - lo) / (t->scale_max - t->scale_min);
    for (int c = 0; c < t->n_class_total; c++)
        if (isfinite(t->classes[c].min)) t->classes[c].min = lo + (t->classes[c].min - t->scale_min) * f;
    t->scale_min = lo;
    t->scale_max = hi;
}

int ts_taxonomy_root(const ts_taxonomy *t) {
    return t->n_nodes - 1;
}

int ts_taxonomy_unknown(const ts_taxonomy *t, const char *what, const char *id,
                        int indicators_only, const char *file, int line, ts_error *err) {
    const char **ids = malloc((size_t)t->n_nodes * sizeof *ids);
    const char *hint = NULL;
    if (ids) {
        for (int k = 0; k < t->n_nodes; k++)
            ids[k] = (!indicators_only || t->nodes[k].indicator >= 0) ? t->nodes[k].id : NULL;
        hint = ts_suggest(id, ids, (size_t)t->n_nodes);
    }
    if (hint)
        ts_fail(err, TS_EINPUT, file, line, "unknown %s '%s' in taxonomy '%s' (did you mean '%s'?)",
                what, id, t->id, hint);
    else
        ts_fail(err, TS_EINPUT, file, line, "unknown %s '%s' in taxonomy '%s'", what, id, t->id);
    free(ids);
    return TS_EINPUT;
}

int ts_taxonomy_in_subtree(const ts_taxonomy *t, int j, int k) {
    for (; j >= 0; j = t->nodes[j].parent)
        if (j == k) return 1;
    return 0;
}

const char *ts_taxonomy_class(const ts_taxonomy *t, int k, double x) {
    const ts_node *nd = &t->nodes[k];
    if (isnan(x) || nd->n_classes == 0) return NULL;
    const char *name = NULL;
    for (int i = 0; i < nd->n_classes; i++) {
        const ts_class *c = &t->classes[nd->first_class + i];
        if (x >= c->min) name = c->name;
    }
    return name;
}

/* Appends node k and its subtree in pre-order; depth is capped at load. */
static void preorder_from(const ts_taxonomy *t, int k, int *order, int *n) {
    order[(*n)++] = k;
    const ts_node *nd = &t->nodes[k];
    for (int c = 0; c < nd->n_children; c++) preorder_from(t, t->children[nd->first_child + c], order, n);
}

void ts_taxonomy_preorder(const ts_taxonomy *t, int *order) {
    int n = 0;
    preorder_from(t, ts_taxonomy_root(t), order, &n);
}
