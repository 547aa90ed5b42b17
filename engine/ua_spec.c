/* ua_spec.c -- what is uncertain: the `uncertainty` group of a scenario
 * file, the --vary amendments and the spec as JSON. */
#include "ua_internal.h"

#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static const char *const FACTOR_NAMES[F_COUNT] = {"weights", "normalise", "aggregate", "treat",
                                                  "impute", "exclude", "data", "missing"};

/* Returns the name of factor kind f (F_*); f must be below F_COUNT. */
const char *ua_factor_name(int f) {
    return FACTOR_NAMES[f];
}

/* Records "out of memory" in err. Returns TS_ESYSTEM. */
int ua_oom(ts_error *err) {
    return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
}

/* Returns an empty spec (nothing varies) with room for a node selection
 * over n_nodes, or NULL when out of memory. */
ts_ua_spec *ua_spec_new(int n_nodes) {
    ts_ua_spec *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->weight_nodes = calloc((size_t)n_nodes + 1, 1);
    if (!u->weight_nodes) {
        free(u);
        return NULL;
    }
    return u;
}

/* Frees u and what it owns. NULL is allowed. */
void ts_ua_spec_free(ts_ua_spec *u) {
    if (!u) return;
    free(u->weight_nodes);
    free(u->excl);
    free(u->ranges);
    free(u->missing_ind);
    free(u);
}

/* Returns how many factors u varies (0 to F_COUNT). Cannot fail. */
int ts_ua_spec_factors(const ts_ua_spec *u) {
    int n = 0;
    n += u->weights != W_NONE;
    n += u->n_norm > 0;
    n += u->n_agg > 0;
    n += u->n_treat > 0;
    n += u->n_impute > 0;
    n += u->exclude != X_NONE;
    n += u->data_alternatives || u->data_f > 0 || u->n_ranges > 0;
    n += u->n_missing > 0;
    return n;
}

static const char *const UA_KEYS[] = {"weights", "normalise", "aggregate", "treat", "impute",
                                      "exclude", "data", "missing", NULL};
static const char *const W_KEYS[] = {"vary", "dirichlet", "nodes", NULL};
static const char *const X_KEYS[] = {"mode", "p", "indicators", NULL};
static const char *const D_KEYS[] = {"alternatives", "vary", "ranges", NULL};
static const char *const R_KEYS[] = {"indicator", "unit", "min", "max", NULL};
static const char *const M_KEYS[] = {"methods", "indicators", NULL};

/* Reads a node selection: "all", "indicators", "aggregates" or a list of
 * node ids. */
static int parse_selection(ts_ua_spec *u, const ts_scenario *s, const config_setting_t *g, const char *file,
                           ts_error *err) {
    const ts_taxonomy *t = s->tax;
    if (config_setting_type(g) == CONFIG_TYPE_STRING) {
        const char *v = config_setting_get_string(g);
        if (strcmp(v, "all") == 0) u->weight_sel = SEL_ALL;
        else if (strcmp(v, "indicators") == 0) u->weight_sel = SEL_INDICATORS;
        else if (strcmp(v, "aggregates") == 0) u->weight_sel = SEL_AGGREGATES;
        else
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g),
                           "weights.nodes is \"all\", \"indicators\", \"aggregates\" or a list of node ids, not '%s'", v);
        return TS_OK;
    }
    if (ts_cfg_expect_list(g, file, "weights.nodes", err)) return TS_EINPUT;
    u->weight_sel = SEL_LIST;
    memset(u->weight_nodes, 0, (size_t)t->n_nodes);
    for (int e = 0; e < config_setting_length(g); e++) {
        const config_setting_t *x = config_setting_get_elem(g, (unsigned)e);
        const char *id;
        if (ts_cfg_string(x, file, "a node id", &id, err)) return TS_EINPUT;
        int k = ts_taxonomy_find(t, id);
        if (k < 0) return ts_taxonomy_unknown(t, "node", id, 0, file, ts_cfg_line(x), err);
        u->weight_nodes[k] = 1;
    }
    return TS_OK;
}

/* Reads the weights group g. Returns TS_OK or TS_EINPUT with file:line. */
static int parse_weights(ts_ua_spec *u, const ts_scenario *s, const config_setting_t *g, const char *file,
                         ts_error *err) {
    if (ts_cfg_expect_group(g, file, "uncertainty.weights", err) || ts_cfg_check_keys(g, W_KEYS, file, err))
        return TS_EINPUT;
    double f;
    int has_vary = 0, has_dir = 0;
    if (ts_cfg_opt_number(g, "vary", file, &f, &has_vary, err)) return TS_EINPUT;
    if (has_vary) {
        if (!(f > 0 && f < 1))
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(config_setting_get_member(g, "vary")),
                           "weights.vary is a share between 0 and 1 (0.25 = +-25 %%), not %g", f);
        u->weights = W_UNIFORM;
        u->weight_f = f;
    }
    if (ts_cfg_opt_number(g, "dirichlet", file, &f, &has_dir, err)) return TS_EINPUT;
    if (has_dir) {
        if (has_vary)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "weights takes vary or dirichlet, not both");
        if (!(f > 0))
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(config_setting_get_member(g, "dirichlet")),
                           "weights.dirichlet is a concentration > 0, not %g", f);
        u->weights = W_DIRICHLET;
        u->weight_f = f;
    }
    if (!has_vary && !has_dir)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "weights needs vary = F or dirichlet = C");
    const config_setting_t *n = config_setting_get_member(g, "nodes");
    u->weight_sel = SEL_ALL;
    return n ? parse_selection(u, s, n, file, err) : TS_OK;
}

/* Reads a list of method alternatives with reader rd into out. */
static int parse_alternatives(const config_setting_t *g, const char *file, const char *what, void *out,
                              size_t size, int *n_out, int (*rd)(const config_setting_t *, const char *, void *, ts_error *),
                              ts_error *err) {
    if (ts_cfg_expect_list(g, file, what, err)) return TS_EINPUT;
    int n = config_setting_length(g);
    if (n < 1 || n > UA_MAX_ALT)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "uncertainty.%s lists 1 to %d alternatives, not %d", what,
                       UA_MAX_ALT, n);
    for (int e = 0; e < n; e++)
        if (rd(config_setting_get_elem(g, (unsigned)e), file, (char *)out + (size_t)e * size, err)) return TS_EINPUT;
    *n_out = n;
    return TS_OK;
}

static int rd_norm(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_norm_from_setting(x, f, o, e); }
static int rd_agg(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_agg_from_setting(x, f, o, e); }
static int rd_treat(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_treat_from_setting(x, f, o, e); }
static int rd_impute(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_impute_from_setting(x, f, o, e); }
static int rd_missing(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_missing_from_setting(x, f, o, e); }

/* Returns TS_EINPUT when copeland is mixed with other aggregators (its
 * scores are not on the others' scale), else TS_OK. */
static int check_aggs(const ts_ua_spec *u, const char *file, int line, ts_error *err) {
    for (int a = 0; a < u->n_agg; a++)
        if (u->agg[a].method == TS_AGG_COPELAND && u->n_agg > 1)
            return ts_fail(err, TS_EINPUT, file, line, "copeland cannot be mixed with other aggregators in uncertainty.aggregate");
    return TS_OK;
}

/* Reads the exclude group g. Returns TS_OK, TS_EINPUT with file:line, or
 * TS_ESYSTEM when out of memory. */
static int parse_exclude(ts_ua_spec *u, const ts_scenario *s, const config_setting_t *g, const char *file,
                         ts_error *err) {
    if (ts_cfg_expect_group(g, file, "uncertainty.exclude", err) || ts_cfg_check_keys(g, X_KEYS, file, err))
        return TS_EINPUT;
    const char *mode = NULL;
    if (ts_cfg_opt_string(g, "mode", file, &mode, err)) return TS_EINPUT;
    if (!mode || strcmp(mode, "one") == 0) u->exclude = X_ONE;
    else if (strcmp(mode, "random") == 0) u->exclude = X_RANDOM;
    else
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(config_setting_get_member(g, "mode")),
                       "exclude.mode is \"one\" or \"random\", not '%s'", mode);
    int has_p = 0;
    u->exclude_p = 0.1;
    if (ts_cfg_opt_number(g, "p", file, &u->exclude_p, &has_p, err)) return TS_EINPUT;
    if (has_p && (u->exclude != X_RANDOM || !(u->exclude_p > 0 && u->exclude_p < 1)))
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(config_setting_get_member(g, "p")),
                       "exclude.p is a probability between 0 and 1, with mode = \"random\"");
    const config_setting_t *l = config_setting_get_member(g, "indicators");
    if (!l) return TS_OK;
    if (ts_cfg_expect_list(l, file, "exclude.indicators", err)) return TS_EINPUT;
    int n = config_setting_length(l);
    free(u->excl);
    u->excl = malloc(((size_t)n + 1) * sizeof *u->excl);
    if (!u->excl) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    u->n_excl = n;
    for (int e = 0; e < n; e++) {
        const config_setting_t *x = config_setting_get_elem(l, (unsigned)e);
        const char *id;
        if (ts_cfg_string(x, file, "an indicator id", &id, err)) return TS_EINPUT;
        int k = ts_taxonomy_find(s->tax, id);
        if (k < 0 || s->tax->nodes[k].indicator < 0)
            return ts_taxonomy_unknown(s->tax, "indicator", id, 1, file, ts_cfg_line(x), err);
        u->excl[e] = s->tax->nodes[k].indicator;
    }
    return TS_OK;
}

/* Reads the data group g (alternatives, vary, ranges). Returns TS_OK,
 * TS_EINPUT with file:line, or TS_ESYSTEM when out of memory. */
static int parse_data(ts_ua_spec *u, const ts_scenario *s, const config_setting_t *g, const char *file,
                      ts_error *err) {
    if (ts_cfg_expect_group(g, file, "uncertainty.data", err) || ts_cfg_check_keys(g, D_KEYS, file, err))
        return TS_EINPUT;
    const config_setting_t *a = config_setting_get_member(g, "alternatives");
    if (a) {
        if (config_setting_type(a) != CONFIG_TYPE_BOOL)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(a), "data.alternatives is true or false");
        u->data_alternatives = config_setting_get_bool(a);
    }
    int has = 0;
    if (ts_cfg_opt_number(g, "vary", file, &u->data_f, &has, err)) return TS_EINPUT;
    if (has && !(u->data_f > 0 && u->data_f < 1))
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(config_setting_get_member(g, "vary")),
                       "data.vary is a share between 0 and 1, not %g", u->data_f);
    const config_setting_t *r = config_setting_get_member(g, "ranges");
    if (!r) return TS_OK;
    if (ts_cfg_expect_list(r, file, "data.ranges", err)) return TS_EINPUT;
    int n = config_setting_length(r);
    u->ranges = calloc((size_t)n + 1, sizeof *u->ranges);
    if (!u->ranges) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    u->n_ranges = n;
    for (int e = 0; e < n; e++) {
        const config_setting_t *x = config_setting_get_elem(r, (unsigned)e);
        const char *ind = NULL, *unit = NULL;
        double lo = 0, hi = 0;
        int hl = 0, hh = 0, line = ts_cfg_line(x);
        if (ts_cfg_expect_group(x, file, "a data range", err) || ts_cfg_check_keys(x, R_KEYS, file, err) ||
            ts_cfg_opt_string(x, "indicator", file, &ind, err) || ts_cfg_opt_string(x, "unit", file, &unit, err) ||
            ts_cfg_opt_number(x, "min", file, &lo, &hl, err) || ts_cfg_opt_number(x, "max", file, &hi, &hh, err))
            return TS_EINPUT;
        if (!ind || !unit || !hl || !hh)
            return ts_fail(err, TS_EINPUT, file, line, "a data range needs indicator, unit, min and max");
        int k = ts_taxonomy_find(s->tax, ind);
        if (k < 0 || s->tax->nodes[k].indicator < 0) return ts_taxonomy_unknown(s->tax, "indicator", ind, 1, file, line, err);
        int uu = ts_dataset_find_unit(s->data, unit);
        if (uu < 0) return ts_fail(err, TS_EINPUT, file, line, "unknown unit '%s' in a data range", unit);
        if (!(lo <= hi)) return ts_fail(err, TS_EINPUT, file, line, "data range min %g is above max %g", lo, hi);
        u->ranges[e] = (ua_range){s->tax->nodes[k].indicator, uu, lo, hi};
    }
    return TS_OK;
}

/* Marks indicator id in u's missing selection (allocating it, all clear,
 * on first use). Returns TS_OK, TS_EINPUT for an id that is not an
 * indicator (file:line), or TS_ESYSTEM when out of memory. */
static int select_missing(ts_ua_spec *u, const ts_scenario *s, const char *id, const char *file, int line,
                          ts_error *err) {
    int k = ts_taxonomy_find(s->tax, id);
    if (k < 0 || s->tax->nodes[k].indicator < 0)
        return ts_taxonomy_unknown(s->tax, "indicator", id, 1, file, line, err);
    if (!u->missing_ind && !(u->missing_ind = calloc((size_t)s->tax->n_indicators + 1, 1))) return ua_oom(err);
    u->missing_ind[s->tax->nodes[k].indicator] = 1;
    return TS_OK;
}

/* Reads the missing entry g: a list of treatments (every indicator), or a
 * group { methods = [...]; indicators = "all" | [ids]; }. Returns TS_OK,
 * TS_EINPUT with file:line, or TS_ESYSTEM when out of memory. */
static int parse_missing(ts_ua_spec *u, const ts_scenario *s, const config_setting_t *g, const char *file,
                         ts_error *err) {
    free(u->missing_ind);
    u->missing_ind = NULL;
    if (config_setting_is_list(g) || config_setting_is_array(g))
        return parse_alternatives(g, file, "missing", u->missing, sizeof *u->missing, &u->n_missing, rd_missing, err);
    if (ts_cfg_expect_group(g, file, "uncertainty.missing", err) || ts_cfg_check_keys(g, M_KEYS, file, err))
        return TS_EINPUT;
    const config_setting_t *m = config_setting_get_member(g, "methods");
    if (!m)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "missing needs methods = [ ... ] (skip, zero, impute, ...)");
    if (parse_alternatives(m, file, "missing", u->missing, sizeof *u->missing, &u->n_missing, rd_missing, err))
        return TS_EINPUT;
    const config_setting_t *l = config_setting_get_member(g, "indicators");
    if (!l) return TS_OK;
    if (config_setting_type(l) == CONFIG_TYPE_STRING) {
        if (strcmp(config_setting_get_string(l), "all") == 0) return TS_OK;
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(l),
                       "missing.indicators is \"all\" or a list of indicator ids");
    }
    if (ts_cfg_expect_list(l, file, "missing.indicators", err)) return TS_EINPUT;
    if (config_setting_length(l) == 0)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(l), "missing.indicators names no indicator (use \"all\")");
    for (int e = 0; e < config_setting_length(l); e++) {
        const config_setting_t *x = config_setting_get_elem(l, (unsigned)e);
        const char *id;
        if (ts_cfg_string(x, file, "an indicator id", &id, err)) return TS_EINPUT;
        int rc = select_missing(u, s, id, file, ts_cfg_line(x), err);
        if (rc) return rc;
    }
    return TS_OK;
}

/* Parses the uncertainty group g of file into u. */
static int parse_group(ts_ua_spec *u, const ts_scenario *s, const config_setting_t *g, const char *file,
                       ts_error *err) {
    if (ts_cfg_expect_group(g, file, "uncertainty", err) || ts_cfg_check_keys(g, UA_KEYS, file, err))
        return TS_EINPUT;
    snprintf(u->file, sizeof u->file, "%s", file);
    u->line = ts_cfg_line(g);
    const config_setting_t *x;
    if ((x = config_setting_get_member(g, "weights")) && parse_weights(u, s, x, file, err)) return TS_EINPUT;
    if ((x = config_setting_get_member(g, "normalise")) &&
        parse_alternatives(x, file, "normalise", u->norm, sizeof *u->norm, &u->n_norm, rd_norm, err))
        return TS_EINPUT;
    if ((x = config_setting_get_member(g, "aggregate")) &&
        (parse_alternatives(x, file, "aggregate", u->agg, sizeof *u->agg, &u->n_agg, rd_agg, err) ||
         check_aggs(u, file, ts_cfg_line(x), err)))
        return TS_EINPUT;
    if ((x = config_setting_get_member(g, "treat")) &&
        parse_alternatives(x, file, "treat", u->treat, sizeof *u->treat, &u->n_treat, rd_treat, err))
        return TS_EINPUT;
    if ((x = config_setting_get_member(g, "impute")) &&
        parse_alternatives(x, file, "impute", u->impute, sizeof *u->impute, &u->n_impute, rd_impute, err))
        return TS_EINPUT;
    if ((x = config_setting_get_member(g, "exclude")) && parse_exclude(u, s, x, file, err)) return TS_EINPUT;
    if ((x = config_setting_get_member(g, "data")) && parse_data(u, s, x, file, err)) return TS_EINPUT;
    if ((x = config_setting_get_member(g, "missing")) && parse_missing(u, s, x, file, err)) return err->code;
    return TS_OK;
}

/* Returns TS_OK with the spec of the first of s's files that has an
 * `uncertainty` group (empty when none has), or TS_EINPUT with file:line
 * (TS_ESYSTEM when out of memory); *out stays NULL on failure. */
int ts_ua_spec_load(const ts_scenario *s, ts_ua_spec **out, ts_error *err) {
    *out = NULL;
    ts_ua_spec *u = ua_spec_new(s->tax->n_nodes);
    if (!u) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int rc = TS_OK;
    for (int f = 0; f < s->n_files && rc == TS_OK; f++) {
        config_t cfg;
        config_init(&cfg);
        rc = ts_cfg_read_as(&cfg, s->file_path[f], s->file_read[f], err);
        const config_setting_t *g = rc == TS_OK ? config_lookup(&cfg, "uncertainty") : NULL;
        if (g) rc = parse_group(u, s, g, s->file_path[f], err);
        config_destroy(&cfg);
        if (g) break;
    }
    if (rc != TS_OK) {
        ts_ua_spec_free(u);
        return rc;
    }
    *out = u;
    return TS_OK;
}

/* Splits value at commas into up to max fields of buf. */
static int split(const char *value, char sep, char *buf, size_t size, char **field, int max) {
    snprintf(buf, size, "%s", value);
    int n = 0;
    char *p = buf;
    for (;;) {
        if (n == max) return -1;
        field[n++] = p;
        char *q = strchr(p, sep);
        if (!q) break;
        *q = '\0';
        p = q + 1;
    }
    return n;
}

/* Reads a share "F" or "F%" strictly between 0 and 1 into *out. Returns 0,
 * or -1 (*out unchanged) for anything else. */
static int parse_fraction(const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v) return -1;
    if (*end == '%') {
        x /= 100;
        end++;
    }
    if (*end || !(x > 0 && x < 1)) return -1;
    *out = x;
    return 0;
}

/* Replaces u's missing treatments from TREATMENT,...[:all|:IND,...]; without
 * a selection the one in force (the group's, or every indicator) stays.
 * Returns TS_OK, TS_EINPUT naming where, or TS_ESYSTEM. */
static int vary_missing(ts_ua_spec *u, const ts_scenario *s, const char *value, const char *where, ts_error *err) {
    char head[1024], buf[1024], *f[UA_MAX_ALT + 1];
    char *sel = NULL;
    snprintf(head, sizeof head, "%s", value);
    char *colon = strchr(head, ':');
    if (colon) {
        *colon = '\0';
        sel = colon + 1;
    }
    int n = split(head, ',', buf, sizeof buf, f, UA_MAX_ALT);
    if (n < 1) return ts_fail(err, TS_EINPUT, where, 0, "missing takes at most %d treatments", UA_MAX_ALT);
    for (int a = 0; a < n; a++)
        if (ts_missing_parse(f[a], where, &u->missing[a], err)) return TS_EINPUT;
    u->n_missing = n;
    if (!sel) return TS_OK;
    free(u->missing_ind);
    u->missing_ind = NULL;
    if (strcmp(sel, "all") == 0) return TS_OK;
    for (char *p = sel;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        int rc = select_missing(u, s, p, where, 0, err);
        if (rc) return rc;
        if (!comma) return TS_OK;
        p = comma + 1;
    }
}

/* Returns TS_OK with entry key of u replaced, or TS_EINPUT naming where
 * (u may then be partly changed). */
int ts_ua_spec_vary(ts_ua_spec *u, const ts_scenario *s, const char *key, const char *value, const char *where,
                    ts_error *err) {
    char buf[1024], *f[UA_MAX_ALT + 1];
    int n;
    if (strcmp(key, "weights") == 0) {
        n = split(value, ':', buf, sizeof buf, f, 3);
        int dir = n >= 2 && strcmp(f[0], "dirichlet") == 0;
        const char *num = dir ? f[1] : f[0], *sel = dir ? (n > 2 ? f[2] : NULL) : (n > 1 ? f[1] : NULL);
        double x;
        char *end;
        if (n < 1 || (dir ? ((x = strtod(num, &end)), end == num || *end || !(x > 0)) : parse_fraction(num, &x)) ||
            (!dir && n > 2))
            return ts_fail(err, TS_EINPUT, where, 0,
                           "weights takes F[:SEL] (0 < F < 1, or F%%) or dirichlet:C[:SEL], not '%s'", value);
        u->weights = dir ? W_DIRICHLET : W_UNIFORM;
        u->weight_f = x;
        u->weight_sel = SEL_ALL;
        if (sel) {
            if (strcmp(sel, "all") == 0) u->weight_sel = SEL_ALL;
            else if (strcmp(sel, "indicators") == 0) u->weight_sel = SEL_INDICATORS;
            else if (strcmp(sel, "aggregates") == 0) u->weight_sel = SEL_AGGREGATES;
            else return ts_fail(err, TS_EINPUT, where, 0, "weight selection is all, indicators or aggregates, not '%s'", sel);
        }
        return TS_OK;
    }
    int is_norm = strcmp(key, "normalise") == 0, is_agg = strcmp(key, "aggregate") == 0;
    int is_treat = strcmp(key, "treat") == 0, is_imp = strcmp(key, "impute") == 0;
    if (is_norm || is_agg || is_treat || is_imp) {
        n = split(value, ',', buf, sizeof buf, f, UA_MAX_ALT);
        if (n < 1) return ts_fail(err, TS_EINPUT, where, 0, "%s takes at most %d alternatives", key, UA_MAX_ALT);
        for (int a = 0; a < n; a++) {
            if (is_norm) {
                char *c = strchr(f[a], ':');
                double lo = 0, hi = 0;
                char extra;
                if (c) {
                    *c = '\0';
                    if (sscanf(c + 1, "%lf:%lf%c", &lo, &hi, &extra) != 2 || !(lo < hi) || !isfinite(lo) || !isfinite(hi))
                        return ts_fail(err, TS_EINPUT, where, 0, "normaliser range takes NAME:LO:HI with LO < HI, not '%s:%s'",
                                       f[a], c + 1);
                }
                if (ts_norm_parse(f[a], where, &u->norm[a], err)) return TS_EINPUT;
                if (c) {
                    u->norm[a].has_range = 1;
                    u->norm[a].lo = lo;
                    u->norm[a].hi = hi;
                }
            } else if (is_agg) {
                if (ts_agg_parse(f[a], where, &u->agg[a], err)) return TS_EINPUT;
            } else if (is_treat) {
                if (ts_treat_parse(f[a], where, &u->treat[a], err)) return TS_EINPUT;
            } else if (ts_impute_parse(f[a], where, &u->impute[a], err)) {
                return TS_EINPUT;
            }
        }
        if (is_norm) u->n_norm = n;
        if (is_agg) {
            u->n_agg = n;
            return check_aggs(u, where, 0, err);
        }
        if (is_treat) u->n_treat = n;
        if (is_imp) u->n_impute = n;
        return TS_OK;
    }
    if (strcmp(key, "exclude") == 0) {
        n = split(value, ':', buf, sizeof buf, f, 2);
        if (n == 1 && strcmp(f[0], "one") == 0) {
            u->exclude = X_ONE;
        } else if (n == 2 && strcmp(f[0], "random") == 0 && parse_fraction(f[1], &u->exclude_p) == 0) {
            u->exclude = X_RANDOM;
        } else if (n == 1 && strcmp(f[0], "none") == 0) {
            u->exclude = X_NONE;
        } else {
            return ts_fail(err, TS_EINPUT, where, 0, "exclude takes one, random:P or none, not '%s'", value);
        }
        return TS_OK;
    }
    if (strcmp(key, "data") == 0) {
        n = split(value, ':', buf, sizeof buf, f, 2);
        u->data_alternatives = 0;
        u->data_f = 0;
        for (int a = 0; a < n; a++) {
            if (strcmp(f[a], "alternatives") == 0) u->data_alternatives = 1;
            else if (parse_fraction(f[a], &u->data_f))
                return ts_fail(err, TS_EINPUT, where, 0, "data takes alternatives, F or alternatives:F, not '%s'", value);
        }
        return TS_OK;
    }
    if (strcmp(key, "missing") == 0) return vary_missing(u, s, value, where, err);
    static const char *const keys[] = {"weights", "normalise", "aggregate", "treat", "impute", "exclude", "data",
                                       "missing"};
    const char *hint = ts_suggest(key, keys, sizeof keys / sizeof *keys);
    return ts_fail(err, TS_EINPUT, where, 0,
                   "unknown uncertainty key '%s'%s%s%s (weights, normalise, aggregate, treat, impute, exclude, data, "
                   "missing)",
                   key, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

/* Appends ,"key":[names] for n method settings of size bytes each. */
static void json_names(ts_buf *b, const char *key, int n, const char *(*name)(const void *), const void *arr,
                       size_t size) {
    ts_buf_printf(b, ",\"%s\":[", key);
    for (int a = 0; a < n; a++) {
        if (a) ts_buf_puts(b, ",");
        ts_buf_json_string(b, name((const char *)arr + (size_t)a * size));
    }
    ts_buf_puts(b, "]");
}

static const char *n_name(const void *x) { return ts_norm_name(((const ts_norm *)x)->method); }
static const char *a_name(const void *x) { return ts_agg_name(((const ts_agg *)x)->method); }
static const char *t_name(const void *x) { return ts_treat_name(((const ts_treat *)x)->method); }
static const char *i_name(const void *x) { return ts_impute_name(((const ts_impute *)x)->method); }

/* Appends u as a JSON object to b; a failed append sets b->oom. */
void ts_ua_spec_json(const ts_ua_spec *u, const ts_scenario *s, ts_buf *b) {
    static const char *const sel[] = {"all", "indicators", "aggregates", "list"};
    ts_buf_puts(b, "{\"file\":");
    /* a spec of --vary alone was read from no file */
    if (u->file[0]) ts_buf_json_string(b, u->file);
    else ts_buf_puts(b, "null");
    if (u->weights != W_NONE) {
        ts_buf_printf(b, ",\"weights\":{\"%s\":", u->weights == W_UNIFORM ? "vary" : "dirichlet");
        ts_buf_json_number(b, u->weight_f);
        ts_buf_printf(b, ",\"nodes\":\"%s\"", sel[u->weight_sel]);
        if (u->weight_sel == SEL_LIST) {
            ts_buf_puts(b, ",\"list\":[");
            int first = 1;
            for (int k = 0; k < s->tax->n_nodes; k++)
                if (u->weight_nodes[k]) {
                    if (!first) ts_buf_puts(b, ",");
                    first = 0;
                    ts_buf_json_string(b, s->tax->nodes[k].id);
                }
            ts_buf_puts(b, "]");
        }
        ts_buf_puts(b, "}");
    }
    if (u->n_norm) {
        ts_buf_puts(b, ",\"normalise\":[");
        for (int a = 0; a < u->n_norm; a++) {
            ts_buf_printf(b, "%s{\"method\":\"%s\"", a ? "," : "", ts_norm_name(u->norm[a].method));
            if (u->norm[a].has_range) {
                ts_buf_puts(b, ",\"range\":[");
                ts_buf_json_number(b, u->norm[a].lo);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, u->norm[a].hi);
                ts_buf_puts(b, "]");
            }
            ts_buf_puts(b, "}");
        }
        ts_buf_puts(b, "]");
    }
    if (u->n_agg) json_names(b, "aggregate", u->n_agg, a_name, u->agg, sizeof *u->agg);
    if (u->n_treat) json_names(b, "treat", u->n_treat, t_name, u->treat, sizeof *u->treat);
    if (u->n_impute) json_names(b, "impute", u->n_impute, i_name, u->impute, sizeof *u->impute);
    (void)n_name;
    if (u->exclude != X_NONE) {
        ts_buf_printf(b, ",\"exclude\":{\"mode\":\"%s\"", u->exclude == X_ONE ? "one" : "random");
        if (u->exclude == X_RANDOM) {
            ts_buf_puts(b, ",\"p\":");
            ts_buf_json_number(b, u->exclude_p);
        }
        if (u->excl) {
            ts_buf_puts(b, ",\"indicators\":[");
            for (int e = 0; e < u->n_excl; e++) {
                if (e) ts_buf_puts(b, ",");
                ts_buf_json_string(b, s->tax->nodes[s->tax->indicator_node[u->excl[e]]].id);
            }
            ts_buf_puts(b, "]");
        }
        ts_buf_puts(b, "}");
    }
    if (u->data_alternatives || u->data_f > 0 || u->n_ranges) {
        ts_buf_printf(b, ",\"data\":{\"alternatives\":%s,\"vary\":", u->data_alternatives ? "true" : "false");
        ts_buf_json_number(b, u->data_f);
        ts_buf_puts(b, ",\"ranges\":[");
        for (int e = 0; e < u->n_ranges; e++) {
            const ua_range *r = &u->ranges[e];
            ts_buf_puts(b, e ? ",{\"indicator\":" : "{\"indicator\":");
            ts_buf_json_string(b, s->tax->nodes[s->tax->indicator_node[r->i]].id);
            ts_buf_puts(b, ",\"unit\":");
            ts_buf_json_string(b, s->data->unit_id[r->u]);
            ts_buf_puts(b, ",\"min\":");
            ts_buf_json_number(b, r->lo);
            ts_buf_puts(b, ",\"max\":");
            ts_buf_json_number(b, r->hi);
            ts_buf_puts(b, "}");
        }
        ts_buf_puts(b, "]}");
    }
    if (u->n_missing) {
        ts_buf_puts(b, ",\"missing\":{\"methods\":[");
        for (int a = 0; a < u->n_missing; a++) {
            if (a) ts_buf_puts(b, ",");
            ts_buf_json_string(b, ts_missing_name(&u->missing[a]));
        }
        ts_buf_puts(b, "],\"indicators\":");
        if (!u->missing_ind) {
            ts_buf_puts(b, "\"all\"");
        } else {
            ts_buf_puts(b, "[");
            for (int i = 0, first = 1; i < s->tax->n_indicators; i++)
                if (u->missing_ind[i]) {
                    if (!first) ts_buf_puts(b, ",");
                    first = 0;
                    ts_buf_json_string(b, s->tax->nodes[s->tax->indicator_node[i]].id);
                }
            ts_buf_puts(b, "]");
        }
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "}");
}
