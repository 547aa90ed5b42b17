/* uncertainty.c -- the uncertainty spec, the prepared model (normalised
 * matrices per method variant, logs for geometric means), the per-thread
 * evaluator and the deterministic parallel driver. */
#include "uncertainty.h"

#include <gsl/gsl_cdf.h>
#include <libconfig.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "cfg.h"
#include "normalise.h"
#include "sobol.h"

#define MAX_ALT 16

enum { W_NONE, W_UNIFORM, W_DIRICHLET };
enum { SEL_ALL, SEL_INDICATORS, SEL_AGGREGATES, SEL_LIST };
enum { X_NONE, X_ONE, X_RANDOM };
enum { F_WEIGHTS, F_NORMALISE, F_AGGREGATE, F_TREAT, F_IMPUTE, F_EXCLUDE, F_DATA, F_COUNT };

static const char *const FACTOR_NAMES[F_COUNT] = {"weights", "normalise", "aggregate", "treat",
                                                  "impute", "exclude", "data"};

typedef struct ua_range {
    int i, u;
    double lo, hi;
} ua_range;

struct ts_ua_spec {
    int weights;            /* W_* */
    double weight_f;        /* uniform: half-width; dirichlet: concentration */
    int weight_sel;         /* SEL_* */
    unsigned char *weight_nodes; /* SEL_LIST: per node */
    int n_norm, n_agg, n_treat, n_impute;
    ts_norm norm[MAX_ALT];
    ts_agg agg[MAX_ALT];
    ts_treat treat[MAX_ALT];
    ts_impute impute[MAX_ALT];
    int exclude;            /* X_* */
    double exclude_p;
    int n_excl;
    int *excl;              /* candidate indicators; NULL: all */
    int data_alternatives;
    double data_f;          /* relative spread of every value, 0 = none */
    int n_ranges;
    ua_range *ranges;
    char file[512];         /* where the group was read, "" if none */
    int line;
};

/* ---- spec ---------------------------------------------------------------- */

static ts_ua_spec *spec_new(int n_nodes) {
    ts_ua_spec *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->weight_nodes = calloc((size_t)n_nodes + 1, 1);
    if (!u->weight_nodes) {
        free(u);
        return NULL;
    }
    return u;
}

void ts_ua_spec_free(ts_ua_spec *u) {
    if (!u) return;
    free(u->weight_nodes);
    free(u->excl);
    free(u->ranges);
    free(u);
}

int ts_ua_spec_factors(const ts_ua_spec *u) {
    int n = 0;
    n += u->weights != W_NONE;
    n += u->n_norm > 0;
    n += u->n_agg > 0;
    n += u->n_treat > 0;
    n += u->n_impute > 0;
    n += u->exclude != X_NONE;
    n += u->data_alternatives || u->data_f > 0 || u->n_ranges > 0;
    return n;
}

static const char *const UA_KEYS[] = {"weights", "normalise", "aggregate", "treat", "impute",
                                      "exclude", "data", NULL};
static const char *const W_KEYS[] = {"vary", "dirichlet", "nodes", NULL};
static const char *const X_KEYS[] = {"mode", "p", "indicators", NULL};
static const char *const D_KEYS[] = {"alternatives", "vary", "ranges", NULL};
static const char *const R_KEYS[] = {"indicator", "unit", "min", "max", NULL};

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
    if (n < 1 || n > MAX_ALT)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "uncertainty.%s lists 1 to %d alternatives, not %d", what,
                       MAX_ALT, n);
    for (int e = 0; e < n; e++)
        if (rd(config_setting_get_elem(g, (unsigned)e), file, (char *)out + (size_t)e * size, err)) return TS_EINPUT;
    *n_out = n;
    return TS_OK;
}

static int rd_norm(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_norm_from_setting(x, f, o, e); }
static int rd_agg(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_agg_from_setting(x, f, o, e); }
static int rd_treat(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_treat_from_setting(x, f, o, e); }
static int rd_impute(const config_setting_t *x, const char *f, void *o, ts_error *e) { return ts_impute_from_setting(x, f, o, e); }

static int check_aggs(const ts_ua_spec *u, const char *file, int line, ts_error *err) {
    for (int a = 0; a < u->n_agg; a++)
        if (u->agg[a].method == TS_AGG_COPELAND && u->n_agg > 1)
            return ts_fail(err, TS_EINPUT, file, line, "copeland cannot be mixed with other aggregators in uncertainty.aggregate");
    return TS_OK;
}

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
    return TS_OK;
}

int ts_ua_spec_load(const ts_scenario *s, ts_ua_spec **out, ts_error *err) {
    *out = NULL;
    ts_ua_spec *u = spec_new(s->tax->n_nodes);
    if (!u) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int rc = TS_OK;
    for (int f = 0; f < s->n_files && rc == TS_OK; f++) {
        config_t cfg;
        config_init(&cfg);
        rc = ts_cfg_read(&cfg, s->file_path[f], err);
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

int ts_ua_spec_vary(ts_ua_spec *u, const ts_scenario *s, const char *key, const char *value, const char *where,
                    ts_error *err) {
    char buf[1024], *f[MAX_ALT + 1];
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
        n = split(value, ',', buf, sizeof buf, f, MAX_ALT);
        if (n < 1) return ts_fail(err, TS_EINPUT, where, 0, "%s takes at most %d alternatives", key, MAX_ALT);
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
    static const char *const keys[] = {"weights", "normalise", "aggregate", "treat", "impute", "exclude", "data"};
    const char *hint = ts_suggest(key, keys, sizeof keys / sizeof *keys);
    (void)s;
    return ts_fail(err, TS_EINPUT, where, 0, "unknown uncertainty key '%s'%s%s%s (weights, normalise, aggregate, treat, impute, exclude, data)",
                   key, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

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

void ts_ua_spec_json(const ts_ua_spec *u, const ts_scenario *s, ts_buf *b) {
    static const char *const sel[] = {"all", "indicators", "aggregates", "list"};
    ts_buf_puts(b, "{\"file\":");
    ts_buf_json_string(b, u->file[0] ? u->file : NULL);
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
    ts_buf_puts(b, "}");
}

void ts_ua_options_default(ts_ua_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->n = 1000;
    opt->seed = 1;
    opt->threads = 1;
    opt->bootstrap = 100;
    opt->score_bins = 128;
}

/* ---- prepared model ------------------------------------------------------ */

/* One combination of indicator-stage methods (normaliser x treatment x
 * imputation), normalised once. */
typedef struct ua_variant {
    ts_spec spec;             /* the scenario's spec with this variant's methods */
    ts_norm *norm;
    ts_treat *treat;
    ts_impute *impute;
    ts_agg *agg;              /* all arithmetic: only the indicator stages matter */
    double *x;                /* normalised [i * n + u], NaN = missing */
    double *x0;               /* x with missing as 0 */
    double *mask;             /* 1 where x has a value, else 0 */
    double *lx;               /* log x (-inf for 0, 0 for missing), or NULL */
    unsigned char *complete;  /* per indicator: no unit missing */
    int *neg;                 /* per indicator: first unit with a negative value, -1 */
} ua_variant;

/* A data cell whose value is sampled. */
typedef struct ua_cell {
    int i, u;
    double base, lo, hi;      /* range when lo <= hi, else from base */
    int n_alt;
    const ts_observation *alt;
} ua_cell;

typedef struct ua_model {
    const ts_scenario *s;
    const ts_ua_spec *u;
    const ts_taxonomy *t;
    const ts_spec *spec;
    int n, n_nodes, n_ind;
    int n_norm, n_treat, n_impute, n_var;
    ua_variant *var;
    int n_aggn, *aggn;        /* aggregate nodes in post-order */
    int *apos;                /* per node: its row among the aggregates' scores, -1 for leaves */
    int max_children;
    int need_log;
    int n_f, fkind[F_COUNT], fdim[F_COUNT], foff[F_COUNT], D;
    int n_wsel, *wsel;        /* nodes whose weight varies */
    int n_excl, *excl;        /* candidate indicators (node indices) */
    int n_cells;
    ua_cell *cells;           /* sampled data values */
    /* outputs */
    int data_mode;
    int n_slots, *slot_node, *slot; /* continuous outputs (per node: slot or -1) */
    int n_cell;               /* n_slots * n */
    int *cls_first, *cls_n, max_classes;
    int rank_w, rank_bins, S;
    int n_combo;              /* method combinations with a sort order of their own */
    double *lo, *inv;         /* per cell: histogram origin and 1 / bin width */
    int track_leaves;         /* leaves reported from variant counts */
    int exact;                /* compute every score as the pipeline does (no log-domain shortcut) */
    const unsigned char *track;
} ua_model;

static void variant_free(ua_variant *v) {
    free(v->norm);
    free(v->treat);
    free(v->impute);
    free(v->agg);
    free(v->x);
    free(v->lx);
    free(v->x0);
    free(v->mask);
    free(v->complete);
    free(v->neg);
}

static void model_free(ua_model *m) {
    if (!m) return;
    for (int v = 0; v < m->n_var; v++) variant_free(&m->var[v]);
    free(m->var);
    free(m->aggn);
    free(m->apos);
    free(m->wsel);
    free(m->excl);
    free(m->cells);
    free(m->slot_node);
    free(m->slot);
    free(m->cls_first);
    free(m->cls_n);
    free(m->lo);
    free(m->inv);
    memset(m, 0, sizeof *m);
}

/* Allocates v's arrays for n_ind x n values. */
static int variant_alloc(ua_variant *v, int n_nodes, int n_ind, int n, int need_log) {
    size_t cells = (size_t)n_ind * (size_t)n + 1;
    v->norm = malloc((size_t)n_nodes * sizeof *v->norm);
    v->treat = malloc((size_t)n_nodes * sizeof *v->treat);
    v->impute = malloc((size_t)n_nodes * sizeof *v->impute);
    v->agg = malloc((size_t)n_nodes * sizeof *v->agg);
    v->x = malloc(cells * sizeof *v->x);
    v->lx = need_log ? malloc(cells * sizeof *v->lx) : NULL;
    v->x0 = malloc(cells * sizeof *v->x0);
    v->mask = malloc(cells * sizeof *v->mask);
    v->complete = malloc((size_t)n_ind + 1);
    v->neg = malloc(((size_t)n_ind + 1) * sizeof *v->neg);
    return v->norm && v->treat && v->impute && v->agg && v->x && (!need_log || v->lx) && v->x0 && v->mask && v->complete && v->neg ? 0 : -1;
}

/* Fills v's matrices from the normalised values x. */
static void variant_fill(ua_variant *v, const double *x, int n_ind, int n) {
    size_t cells = (size_t)n_ind * (size_t)n;
    if (x != v->x) memcpy(v->x, x, cells * sizeof *x);
    for (int i = 0; i < n_ind; i++) {
        const double *c = v->x + (size_t)i * (size_t)n;
        double *l = v->lx ? v->lx + (size_t)i * (size_t)n : NULL;
        double *z = v->x0 + (size_t)i * (size_t)n, *mk = v->mask + (size_t)i * (size_t)n;
        int complete = 1, neg = -1;
        for (int u = 0; u < n; u++) {
            double y = c[u];
            if (isnan(y)) complete = 0;
            else if (y < 0 && neg < 0) neg = u;
            z[u] = isnan(y) ? 0 : y;
            mk[u] = isnan(y) ? 0 : 1;
            if (l) l[u] = isnan(y) || y < 0 ? 0 : y == 0 ? -INFINITY : log(y);
        }
        v->complete[i] = (unsigned char)complete;
        v->neg[i] = neg;
    }
}

/* Runs the indicator stages of s under variant v's spec (aggregating
 * arithmetically, which cannot fail) and fills v. data replaces s's
 * dataset when not NULL. */
static int variant_score(const ua_model *m, ua_variant *v, const ts_dataset *data, ts_error *err) {
    ts_scenario sc = *m->s;
    sc.spec = &v->spec;
    if (data) sc.data = (ts_dataset *)data;
    ts_result *r = ts_score(&sc, err);
    if (!r) return err->code ? err->code : TS_ESYSTEM;
    variant_fill(v, r->normalised, m->n_ind, m->n);
    ts_result_free(r);
    return TS_OK;
}

/* Sets up variant v's spec from the scenario's with alternative indices
 * (-1 = the scenario's own). */
static void variant_spec(const ua_model *m, ua_variant *v, int na, int nt, int ni) {
    const ts_spec *sp = m->spec;
    int nn = m->n_nodes;
    v->spec = *sp;
    for (int k = 0; k < nn; k++) {
        v->norm[k] = na >= 0 ? m->u->norm[na] : sp->norm[k];
        v->treat[k] = nt >= 0 ? m->u->treat[nt] : sp->treat[k];
        v->impute[k] = ni >= 0 ? m->u->impute[ni] : sp->impute[k];
        v->agg[k] = ts_agg_default();
        v->agg[k].method = TS_AGG_ARITHMETIC;
    }
    v->spec.norm = v->norm;
    v->spec.treat = v->treat;
    v->spec.impute = v->impute;
    v->spec.agg = v->agg;
}

static int oom(ts_error *err) {
    return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
}

/* Builds the factor table, the variant matrices and the output layout.
 * with_variants = 0 builds only the nominal variant (for tests). */
static int model_build(ua_model *m, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                       int nominal_only, ts_error *err) {
    memset(m, 0, sizeof *m);
    m->s = s;
    m->u = u;
    m->t = s->tax;
    m->spec = s->spec;
    m->n = s->data->n_units;
    m->n_nodes = s->tax->n_nodes;
    m->n_ind = s->tax->n_indicators;
    const ts_taxonomy *t = m->t;
    m->track = opt ? opt->track : NULL;
    m->aggn = malloc(((size_t)m->n_nodes + 1) * sizeof *m->aggn);
    m->apos = malloc(((size_t)m->n_nodes + 1) * sizeof *m->apos);
    if (!m->aggn || !m->apos) return oom(err);
    m->max_children = 1;
    for (int k = 0; k < m->n_nodes; k++) {
        m->apos[k] = -1;
        if (t->nodes[k].n_children == 0) continue;
        m->apos[k] = m->n_aggn;
        m->aggn[m->n_aggn++] = k;
        if (t->nodes[k].n_children > m->max_children) m->max_children = t->nodes[k].n_children;
        if (s->spec->agg[k].method == TS_AGG_GEOMETRIC) m->need_log = 1;
    }
    for (int a = 0; a < u->n_agg; a++)
        if (u->agg[a].method == TS_AGG_GEOMETRIC) m->need_log = 1;

    /* factors, in a fixed order */
    int dims[F_COUNT] = {0};
    if (u->weights != W_NONE) {
        m->wsel = malloc(((size_t)m->n_nodes + 1) * sizeof *m->wsel);
        if (!m->wsel) return oom(err);
        int root = ts_taxonomy_root(t);
        for (int k = 0; k < m->n_nodes; k++) {
            if (k == root) continue;
            int leaf = t->nodes[k].n_children == 0;
            int on = u->weight_sel == SEL_ALL || (u->weight_sel == SEL_INDICATORS && leaf) ||
                     (u->weight_sel == SEL_AGGREGATES && !leaf) || (u->weight_sel == SEL_LIST && u->weight_nodes[k]);
            if (on) m->wsel[m->n_wsel++] = k;
        }
        dims[F_WEIGHTS] = m->n_wsel;
    }
    dims[F_NORMALISE] = u->n_norm > 0;
    dims[F_AGGREGATE] = u->n_agg > 0;
    dims[F_TREAT] = u->n_treat > 0;
    dims[F_IMPUTE] = u->n_impute > 0;
    if (u->exclude != X_NONE) {
        int n = u->excl ? u->n_excl : m->n_ind;
        m->excl = malloc(((size_t)n + 1) * sizeof *m->excl);
        if (!m->excl) return oom(err);
        for (int e = 0; e < n; e++) m->excl[e] = t->indicator_node[u->excl ? u->excl[e] : e];
        m->n_excl = n;
        dims[F_EXCLUDE] = u->exclude == X_ONE ? 1 : n;
    }
    if (u->data_alternatives || u->data_f > 0 || u->n_ranges) {
        const ts_dataset *d = s->data;
        size_t total = (size_t)m->n_ind * (size_t)m->n;
        m->cells = malloc((total + (size_t)u->n_ranges + 1) * sizeof *m->cells);
        if (!m->cells) return oom(err);
        for (int e = 0; e < u->n_ranges; e++) {
            const ua_range *r = &u->ranges[e];
            m->cells[m->n_cells++] = (ua_cell){r->i, r->u, ts_dataset_get(d, r->i, r->u), r->lo, r->hi, 0, NULL};
        }
        if (u->data_alternatives || u->data_f > 0)
            for (int i = 0; i < m->n_ind; i++)
                for (int uu = 0; uu < m->n; uu++) {
                    double v = ts_dataset_get(d, i, uu);
                    if (isnan(v)) continue;
                    int dup = 0;
                    for (int e = 0; e < u->n_ranges && !dup; e++) dup = u->ranges[e].i == i && u->ranges[e].u == uu;
                    if (dup) continue;
                    const ts_provenance *p = d->prov ? &d->prov[(size_t)i * (size_t)m->n + (size_t)uu] : NULL;
                    int na = u->data_alternatives && p ? p->n_alternatives : 0;
                    if (na == 0 && !(u->data_f > 0)) continue;
                    m->cells[m->n_cells++] = (ua_cell){i, uu, v, 1, 0, na, na ? p->alternatives : NULL};
                }
        dims[F_DATA] = m->n_cells;
        m->data_mode = m->n_cells > 0;
    }
    for (int f = 0; f < F_COUNT; f++) {
        if (dims[f] == 0) continue;
        m->fkind[m->n_f] = f;
        m->fdim[m->n_f] = dims[f];
        m->foff[m->n_f] = m->D;
        m->D += dims[f];
        m->n_f++;
    }

    /* variants: every combination of indicator-stage alternatives */
    m->n_norm = u->n_norm ? u->n_norm : 1;
    m->n_treat = u->n_treat ? u->n_treat : 1;
    m->n_impute = u->n_impute ? u->n_impute : 1;
    int nv = nominal_only ? 1 : m->n_norm * m->n_treat * m->n_impute;
    m->var = calloc((size_t)nv + 1, sizeof *m->var);
    if (!m->var) return oom(err);
    for (int v = 0; v < nv; v++) {
        ua_variant *V = &m->var[v];
        m->n_var = v + 1;
        if (variant_alloc(V, m->n_nodes, m->n_ind, m->n, m->need_log)) return oom(err);
        int na = nominal_only || !u->n_norm ? -1 : v / (m->n_treat * m->n_impute);
        int nt = nominal_only || !u->n_treat ? -1 : (v / m->n_impute) % m->n_treat;
        int ni = nominal_only || !u->n_impute ? -1 : v % m->n_impute;
        variant_spec(m, V, na, nt, ni);
        if (!(m->data_mode && !nominal_only)) {
            int rc = variant_score(m, V, NULL, err);
            if (rc) return rc;
        }
    }

    /* outputs: classes per node */
    m->cls_first = malloc(((size_t)m->n_nodes + 1) * sizeof *m->cls_first);
    m->cls_n = malloc(((size_t)m->n_nodes + 1) * sizeof *m->cls_n);
    m->slot = malloc(((size_t)m->n_nodes + 1) * sizeof *m->slot);
    m->slot_node = malloc(((size_t)m->n_nodes + 1) * sizeof *m->slot_node);
    if (!m->cls_first || !m->cls_n || !m->slot || !m->slot_node) return oom(err);
    for (int k = 0; k < m->n_nodes; k++) {
        m->cls_first[k] = t->nodes[k].first_class;
        m->cls_n[k] = t->nodes[k].n_classes;
        if (m->cls_n[k] > m->max_classes) m->max_classes = m->cls_n[k];
        int tracked = !m->track || m->track[k];
        int leaf = t->nodes[k].n_children == 0;
        m->slot[k] = -1;
        if (tracked && (!leaf || m->data_mode)) {
            m->slot[k] = m->n_slots;
            m->slot_node[m->n_slots++] = k;
        }
        if (tracked && leaf && !m->data_mode) m->track_leaves = 1;
    }
    m->n_cell = m->n_slots * m->n;
    m->n_combo = m->n_var * (u->n_agg + 1);
    if (m->n_combo > 64 || (double)m->n_combo * m->n_cell > 4e6) m->n_combo = 1;
    m->rank_w = m->n <= 1000 ? 1 : (m->n + 999) / 1000;
    m->rank_bins = (m->n + m->rank_w - 1) / m->rank_w;
    m->S = opt && opt->score_bins > 1 ? opt->score_bins : 128;
    m->lo = malloc(((size_t)m->n_cell + 1) * sizeof *m->lo);
    m->inv = malloc(((size_t)m->n_cell + 1) * sizeof *m->inv);
    if (!m->lo || !m->inv) return oom(err);
    return TS_OK;
}

/* ---- one replication ----------------------------------------------------- */

/* One child of the node being aggregated. */
typedef struct ua_child {
    const double *x;          /* its values (logs under a geometric mean) */
    const double *mask;       /* 0/1 where values are missing (as 0), or NULL */
    double w;
    int nan;                  /* missing values are NaN */
} ua_child;

#define UB 8

typedef struct ua_ws {
    double *score;            /* [k * n + u], aggregates (and leaves in data mode: unused) */
    double *lscore;           /* log of a geometric node's score, kept for a geometric parent */
    unsigned char *haslog;    /* per node: lscore holds this replication's values */
    double *acc, *wsum;
    int *cnt;
    double *v, *w, *block;
    ua_child *kid;
    double *f, *wt;           /* per node: weight factor, weight */
    double *uni;              /* uniforms of one replication (3 D under Sobol') */
    double *dval;             /* sampled data values */
    double *gam;              /* Dirichlet draws per selected node */
    int variant, agg;
    int *order, *rank;        /* per slot: sort order carried over, ranks */
    struct keyed { double v; int i; } *keyed;
    double *key;
    /* data mode */
    double *values;
    ts_dataset data;
    ua_variant dvar;
    const ua_variant *cur;    /* the leaves of this replication */
    /* accumulators (integers: summed at the end) */
    uint32_t *rhist, *shist, *cls, *nscored;
    uint64_t *varcnt;
    long clamped;
    /* per chunk, merged in chunk order */
    double *sum;
    ts_sobol_acc *sob;
    double *fA, *fB, *fAB;
} ua_ws;

static void ws_free(ua_ws *w) {
    if (!w) return;
    free(w->score);
    free(w->lscore);
    free(w->haslog);
    free(w->acc);
    free(w->wsum);
    free(w->cnt);
    free(w->v);
    free(w->w);
    free(w->block);
    free(w->kid);
    free(w->f);
    free(w->wt);
    free(w->uni);
    free(w->dval);
    free(w->gam);
    free(w->order);
    free(w->rank);
    free(w->keyed);
    free(w->key);
    free(w->values);
    free(w->dvar.x);
    free(w->dvar.lx);
    free(w->dvar.x0);
    free(w->dvar.mask);
    free(w->dvar.complete);
    free(w->dvar.neg);
    free(w->rhist);
    free(w->shist);
    free(w->cls);
    free(w->nscored);
    free(w->varcnt);
    free(w->sum);
    ts_sobol_acc_free(w->sob);
    free(w->fA);
    free(w->fB);
    free(w->fAB);
    memset(w, 0, sizeof *w);
}

static int ws_init(ua_ws *w, const ua_model *m, int accumulate, int sobol, int n_boot, uint64_t seed,
                   const double *centre) {
    memset(w, 0, sizeof *w);
    size_t n = (size_t)m->n, nn = (size_t)m->n_nodes, mc = (size_t)m->max_children;
    w->score = malloc(((size_t)m->n_aggn * n + 1) * sizeof *w->score);
    w->lscore = malloc(((size_t)m->n_aggn * n + 1) * sizeof *w->lscore);
    w->haslog = calloc(nn + 1, 1);
    w->acc = malloc((n + 1) * sizeof *w->acc);
    w->wsum = malloc((n + 1) * sizeof *w->wsum);
    w->cnt = malloc((n + 1) * sizeof *w->cnt);
    w->v = malloc((mc + 1) * sizeof *w->v);
    w->w = malloc((mc + 1) * sizeof *w->w);
    w->block = malloc((mc * n + 1) * sizeof *w->block);
    w->kid = malloc((mc + 1) * sizeof *w->kid);
    w->f = malloc((nn + 1) * sizeof *w->f);
    w->wt = malloc((nn + 1) * sizeof *w->wt);
    w->uni = malloc(((size_t)m->D * 3 + 1) * sizeof *w->uni);
    w->dval = malloc(((size_t)m->n_cells + 1) * sizeof *w->dval);
    w->gam = malloc(((size_t)m->n_wsel + 1) * sizeof *w->gam);
    w->order = malloc(((size_t)m->n_cell * (size_t)(m->n_combo > 0 ? m->n_combo : 1) + 1) * sizeof *w->order);
    w->key = malloc((n + 1) * sizeof *w->key);
    w->rank = malloc(((size_t)m->n_cell + 1) * sizeof *w->rank);
    w->keyed = malloc((n + 1) * sizeof *w->keyed);
    if (!w->score || !w->lscore || !w->haslog || !w->acc || !w->wsum || !w->cnt || !w->v || !w->w || !w->block || !w->kid || !w->f || !w->wt || !w->uni ||
        !w->dval || !w->gam || !w->order || !w->rank || !w->keyed || !w->key)
        return -1;
    for (size_t c = 0; c < (size_t)m->n_cell * (size_t)(m->n_combo > 0 ? m->n_combo : 1); c++)
        w->order[c] = (int)(c % n);
    if (m->data_mode) {
        size_t cells = (size_t)m->n_ind * n;
        w->values = malloc((cells + 1) * sizeof *w->values);
        if (!w->values || variant_alloc(&w->dvar, m->n_nodes, m->n_ind, m->n, m->need_log)) return -1;
        /* the spec arrays come from the model's variants */
        free(w->dvar.norm);
        free(w->dvar.treat);
        free(w->dvar.impute);
        free(w->dvar.agg);
        w->dvar.norm = NULL;
        w->dvar.treat = NULL;
        w->dvar.impute = NULL;
        w->dvar.agg = NULL;
        memcpy(w->values, m->s->data->values, cells * sizeof *w->values);
        w->data = *m->s->data;
        w->data.values = w->values;
    }
    if (accumulate) {
        size_t c = (size_t)m->n_cell;
        w->rhist = calloc(c * (size_t)m->rank_bins + 1, sizeof *w->rhist);
        w->shist = calloc(c * (size_t)m->S + 1, sizeof *w->shist);
        w->cls = calloc(c * (size_t)(m->max_classes + 1) + 1, sizeof *w->cls);
        w->nscored = calloc(c + 1, sizeof *w->nscored);
        w->varcnt = calloc((size_t)m->n_var + 1, sizeof *w->varcnt);
        w->sum = calloc(c + 1, sizeof *w->sum);
        if (!w->rhist || !w->shist || !w->cls || !w->nscored || !w->varcnt || !w->sum) return -1;
        if (sobol) {
            int n_out = m->n_cell * 2;
            w->sob = ts_sobol_acc_new(n_out, m->n_f, n_boot, seed, centre);
            w->fA = malloc(((size_t)n_out + 1) * sizeof *w->fA);
            w->fB = malloc(((size_t)n_out + 1) * sizeof *w->fB);
            w->fAB = malloc(((size_t)n_out * (size_t)m->n_f + 1) * sizeof *w->fAB);
            if (!w->sob || !w->fA || !w->fB || !w->fAB) return -1;
        }
    }
    return 0;
}

/* Uniforms of MC replication r: a stream derived from (seed, r). */
static void mc_uniforms(uint64_t seed, long r, int D, double *u) {
    uint64_t base = ts_mix64(seed ^ ts_mix64((uint64_t)r * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL));
    for (int d = 0; d < D; d++) u[d] = (double)(ts_mix64(base + (uint64_t)d * 0xd1b54a32d192ed03ULL) >> 11) * 0x1.0p-53;
}

static int pick(double u, int n) {
    int i = (int)(u * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* Turns uniforms into this replication's parameters in w. */
static void draw(const ua_model *m, ua_ws *w, const double *uni) {
    const ts_ua_spec *u = m->u;
    const ts_taxonomy *t = m->t;
    for (int k = 0; k < m->n_nodes; k++) w->f[k] = 1.0;
    int na = -1, nt = -1, ni = -1;
    w->agg = -1;
    for (int f = 0; f < m->n_f; f++) {
        const double *x = uni + m->foff[f];
        switch (m->fkind[f]) {
        case F_WEIGHTS:
            if (u->weights == W_UNIFORM) {
                for (int j = 0; j < m->n_wsel; j++) w->f[m->wsel[j]] = 1 + u->weight_f * (2 * x[j] - 1);
            } else {
                /* Dirichlet per sibling group: gamma(C * share) draws by
                   inversion, rescaled to the group's nominal total */
                for (int j = 0; j < m->n_wsel; j++) {
                    int k = m->wsel[j], p = t->nodes[k].parent;
                    double tot = 0;
                    for (int c = 0; c < t->nodes[p].n_children; c++) {
                        int kc = t->children[t->nodes[p].first_child + c];
                        tot += m->spec->weight[kc];
                    }
                    double share = tot > 0 ? m->spec->weight[k] / tot : 0;
                    double q = x[j] < 1e-12 ? 1e-12 : x[j] > 1 - 1e-12 ? 1 - 1e-12 : x[j];
                    w->gam[j] = share > 0 ? gsl_cdf_gamma_Pinv(q, u->weight_f * share, 1.0) : 0;
                }
                for (int j = 0; j < m->n_wsel; j++) {
                    int k = m->wsel[j], p = t->nodes[k].parent;
                    double g = 0, nom = 0;
                    for (int jj = 0; jj < m->n_wsel; jj++)
                        if (t->nodes[m->wsel[jj]].parent == p) {
                            g += w->gam[jj];
                            nom += m->spec->weight[m->wsel[jj]];
                        }
                    double wk = m->spec->weight[k];
                    w->f[k] = g > 0 && wk > 0 ? w->gam[j] / g * nom / wk : 1.0;
                }
            }
            break;
        case F_NORMALISE: na = pick(x[0], u->n_norm); break;
        case F_AGGREGATE: w->agg = pick(x[0], u->n_agg); break;
        case F_TREAT: nt = pick(x[0], u->n_treat); break;
        case F_IMPUTE: ni = pick(x[0], u->n_impute); break;
        case F_EXCLUDE:
            if (u->exclude == X_ONE) {
                int e = pick(x[0], m->n_excl + 1); /* 0 = none left out */
                if (e > 0) w->f[m->excl[e - 1]] = 0;
            } else {
                for (int e = 0; e < m->n_excl; e++)
                    if (x[e] < u->exclude_p) w->f[m->excl[e]] = 0;
            }
            break;
        case F_DATA:
            for (int c = 0; c < m->n_cells; c++) {
                const ua_cell *cell = &m->cells[c];
                double y = x[c], v;
                if (cell->lo <= cell->hi) {
                    v = cell->lo + y * (cell->hi - cell->lo);
                } else {
                    int a = pick(y, cell->n_alt + 1);
                    v = a == 0 ? cell->base : cell->alt[a - 1].value;
                    double frac = y * (cell->n_alt + 1) - a; /* uniform again */
                    if (u->data_f > 0) v *= 1 + u->data_f * (2 * frac - 1);
                }
                w->dval[c] = v;
            }
            break;
        }
    }
    w->variant = ((na < 0 ? 0 : na) * m->n_treat + (nt < 0 ? 0 : nt)) * m->n_impute + (ni < 0 ? 0 : ni);
    for (int k = 0; k < m->n_nodes; k++) w->wt[k] = m->spec->weight[k] * w->f[k];
}

static int domain_error(const ua_model *m, int k, int child, double v, int u, ts_error *err) {
    const ts_node *nd = &m->t->nodes[k];
    return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                   "node '%s' takes the %s mean, but '%s' scores %g (outside its domain) for '%s' under a sampled "
                   "method; use normalisers whose range fits",
                   nd->id, ts_agg_name(TS_AGG_GEOMETRIC), m->t->nodes[child].id, v, m->s->data->unit_id[u]);
}

/* Aggregates the tree for every unit with the parameters in w. Returns
 * TS_OK or TS_EINPUT for a value outside an aggregator's domain. */
static int evaluate(const ua_model *m, ua_ws *w, ts_error *err) {
    const ts_taxonomy *t = m->t;
    const ts_spec *sp = m->spec;
    const int n = m->n;
    const ua_variant *V = w->cur;
    const int unit_w = sp->unit_weight != NULL;
    for (int a = 0; a < m->n_aggn; a++) {
        int k = m->aggn[a];
        const ts_node *nd = &t->nodes[k];
        const int *kids = t->children + nd->first_child;
        const ts_agg *agg = w->agg >= 0 ? &m->u->agg[w->agg] : &sp->agg[k];
        double *out = w->score + (size_t)m->apos[k] * (size_t)n;
        int geo = agg->method == TS_AGG_GEOMETRIC;
        if ((agg->method == TS_AGG_ARITHMETIC || geo) && !unit_w) {
            /* describe the children: values, weight and how missing values
               show (complete, a 0/1 mask, or NaN) */
            int nc = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c];
                double wc = w->wt[kc];
                if (!(wc > 0)) continue;
                int i = t->nodes[kc].indicator;
                ua_child *ch = &w->kid[nc++];
                ch->w = wc;
                if (i >= 0) {
                    if (geo && V->neg[i] >= 0) {
                        int u = V->neg[i];
                        return domain_error(m, k, kc, V->x[(size_t)i * (size_t)n + (size_t)u], u, err);
                    }
                    ch->x = (geo ? V->lx : V->x0) + (size_t)i * (size_t)n;
                    ch->mask = V->complete[i] ? NULL : V->mask + (size_t)i * (size_t)n;
                    ch->nan = 0;
                } else {
                    if (geo && !w->haslog[kc]) {
                        const double *x = w->score + (size_t)m->apos[kc] * (size_t)n;
                        double *l = w->lscore + (size_t)m->apos[kc] * (size_t)n;
                        for (int u = 0; u < n; u++) {
                            if (x[u] < 0) return domain_error(m, k, kc, x[u], u, err);
                            l[u] = isnan(x[u]) ? NAN : x[u] == 0 ? -INFINITY : log(x[u]);
                        }
                        w->haslog[kc] = 1;
                    }
                    ch->x = (geo ? w->lscore : w->score) + (size_t)m->apos[kc] * (size_t)n;
                    ch->mask = NULL;
                    ch->nan = 1;
                }
            }
            double *acc = w->acc, *ws = w->wsum;
            /* one pass over the units per child (vectorised); per unit the
               terms are added in child order, as the pipeline does */
            for (int u = 0; u < n; u++) acc[u] = ws[u] = 0;
            for (int c = 0; c < nc; c++) {
                const ua_child *ch = &w->kid[c];
                const double *x = ch->x, wc = ch->w;
                if (ch->nan) {
                    for (int u = 0; u < n; u++)
                        if (!isnan(x[u])) {
                            acc[u] += wc * x[u];
                            ws[u] += wc;
                        }
                } else if (ch->mask) {
                    const double *mk = ch->mask;
                    for (int u = 0; u < n; u++) {
                        acc[u] += wc * x[u];
                        ws[u] += wc * mk[u];
                    }
                } else {
                    for (int u = 0; u < n; u++) {
                        acc[u] += wc * x[u];
                        ws[u] += wc;
                    }
                }
            }
            if (geo) {
                /* the linear score is needed unless only a geometric parent reads it */
                int p = nd->parent, need_lin = m->exact || m->slot[k] >= 0 || p < 0 || nd->direction < 0;
                if (!need_lin) {
                    const ts_agg *pa = w->agg >= 0 ? &m->u->agg[w->agg] : &sp->agg[p];
                    need_lin = pa->method != TS_AGG_GEOMETRIC || sp->data_threshold[p] > 0;
                }
                double *ls = w->lscore + (size_t)m->apos[k] * (size_t)n;
                for (int u = 0; u < n; u++) ls[u] = ws[u] > 0 ? acc[u] / ws[u] : NAN;
                w->haslog[k] = 1;
                if (need_lin)
                    for (int u = 0; u < n; u++) out[u] = exp(ls[u]);
            } else
                for (int u = 0; u < n; u++) out[u] = ws[u] > 0 ? acc[u] / ws[u] : NAN;
        } else if (agg->method == TS_AGG_COPELAND) {
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c], i = t->nodes[kc].indicator;
                const double *x = i >= 0 ? V->x + (size_t)i * (size_t)n : w->score + (size_t)m->apos[kc] * (size_t)n;
                memcpy(w->block + (size_t)c * (size_t)n, x, (size_t)n * sizeof *x);
                w->w[c] = w->wt[kc];
            }
            ts_aggregate_copeland(w->block, w->w, nd->n_children, n, out);
        } else {
            for (int u = 0; u < n; u++) {
                for (int c = 0; c < nd->n_children; c++) {
                    int kc = kids[c], i = t->nodes[kc].indicator;
                    w->v[c] = i >= 0 ? V->x[(size_t)i * (size_t)n + (size_t)u] : w->score[(size_t)m->apos[kc] * (size_t)n + (size_t)u];
                    w->w[c] = unit_w ? ts_spec_weight(sp, u, kc) * w->f[kc] : w->wt[kc];
                }
                int bad;
                out[u] = ts_aggregate(agg, w->v, w->w, nd->n_children, &bad);
                if (bad >= 0) {
                    const ts_node *b = &t->nodes[kids[bad]];
                    return ts_fail(err, TS_EINPUT, nd->file, nd->line,
                                   "node '%s' takes the %s mean, but '%s' scores %g (outside its domain) for '%s' "
                                   "under a sampled method; use normalisers whose range fits",
                                   nd->id, ts_agg_name(agg->method), b->id, w->v[bad], m->s->data->unit_id[u]);
                }
            }
        }
        if (!geo || unit_w || agg->method != TS_AGG_GEOMETRIC) w->haslog[k] = 0;
        double thr = sp->data_threshold[k];
        if (thr > 0) {
            int active = 0;
            for (int u = 0; u < n; u++) w->cnt[u] = 0;
            for (int c = 0; c < nd->n_children; c++) {
                int kc = kids[c], i = t->nodes[kc].indicator;
                if (w->f[kc] == 0) continue; /* left out */
                active++;
                const double *x = i >= 0 ? V->x + (size_t)i * (size_t)n : w->score + (size_t)m->apos[kc] * (size_t)n;
                for (int u = 0; u < n; u++) w->cnt[u] += !isnan(x[u]);
            }
            for (int u = 0; u < n; u++)
                if (active == 0 || (double)w->cnt[u] / active < thr) out[u] = w->lscore[(size_t)m->apos[k] * (size_t)n + (size_t)u] = NAN;
        }
        if (nd->direction < 0) w->haslog[k] = 0;
        if (nd->direction < 0)
            for (int u = 0; u < n; u++)
                if (!isnan(out[u])) out[u] = t->scale_min + t->scale_max - out[u];
    }
    return TS_OK;
}

/* In data mode: applies the sampled values and re-runs the indicator
 * stages of the drawn variant. */
static int prepare_data(const ua_model *m, ua_ws *w, ts_error *err) {
    size_t n = (size_t)m->n;
    for (int c = 0; c < m->n_cells; c++) w->values[(size_t)m->cells[c].i * n + (size_t)m->cells[c].u] = w->dval[c];
    w->dvar.spec = m->var[w->variant].spec;
    int rc = variant_score(m, &w->dvar, &w->data, err);
    for (int c = 0; c < m->n_cells; c++) w->values[(size_t)m->cells[c].i * n + (size_t)m->cells[c].u] = m->cells[c].base;
    w->cur = &w->dvar;
    return rc;
}

/* Draws and evaluates one replication from uniforms uni. */
static int replicate(const ua_model *m, ua_ws *w, const double *uni, ts_error *err) {
    draw(m, w, uni);
    if (m->data_mode) {
        int rc = prepare_data(m, w, err);
        if (rc) return rc;
    } else {
        w->cur = &m->var[w->variant];
    }
    return evaluate(m, w, err);
}

/* The values of node k in this replication. */
static const double *node_values(const ua_model *m, const ua_ws *w, int k) {
    int i = m->t->nodes[k].indicator;
    return i >= 0 ? w->cur->x + (size_t)i * (size_t)m->n : w->score + (size_t)m->apos[k] * (size_t)m->n;
}

static int cmp_keyed(const void *a, const void *b) {
    const struct keyed *x = a, *y = b;
    int nx = isnan(x->v), ny = isnan(y->v);
    if (nx != ny) return nx - ny;
    if (!nx && x->v != y->v) return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Ranks x (1 = highest; ties share the lowest rank; 0 = no score),
 * starting an insertion sort from the order of the previous replication
 * with the same methods (few inversions: only the weights moved); falls
 * back to qsort when the order changed a lot. */
static void rank_values(const double *x, int n, int *order, int *rank, struct keyed *kb, double *key) {
    for (int u = 0; u < n; u++) key[u] = isnan(x[u]) ? -INFINITY : x[u];
    long moves = 0, limit = 8L * n + 64;
    int ok = 1;
    for (int a = 1; a < n && ok; a++) {
        int id = order[a];
        double kv = key[id];
        int b = a - 1;
        while (b >= 0) {
            int o = order[b];
            double ko = key[o];
            if (!(kv > ko || (kv == ko && id < o))) break;
            order[b + 1] = o;
            b--;
            if (++moves > limit) {
                ok = 0;
                break;
            }
        }
        order[b + 1] = id;
    }
    if (!ok) {
        for (int u = 0; u < n; u++) kb[u] = (struct keyed){x[u], u};
        qsort(kb, (size_t)n, sizeof *kb, cmp_keyed);
        for (int u = 0; u < n; u++) order[u] = kb[u].i;
    }
    int first = 0;
    double prev = NAN;
    for (int p = 0; p < n; p++) {
        int id = order[p];
        double y = x[id];
        if (isnan(y)) {
            rank[id] = 0;
            continue;
        }
        if (p > 0 && y != prev) first = p;
        prev = y;
        rank[id] = first + 1;
    }
}

/* Ranks every slot's values into w->rank. */
static void rank_slots(const ua_model *m, ua_ws *w) {
    size_t n = (size_t)m->n;
    size_t combo = m->n_combo > 1 ? (size_t)w->variant * (size_t)(m->u->n_agg + 1) + (size_t)(w->agg + 1) : 0;
    int *order = w->order + combo * (size_t)m->n_cell;
    for (int s = 0; s < m->n_slots; s++)
        rank_values(node_values(m, w, m->slot_node[s]), m->n, order + (size_t)s * n, w->rank + (size_t)s * n,
                    w->keyed, w->key);
}

/* Returns the index of the class of x among node k's classes, or cls_n
 * (below every class). */
static int class_of(const ua_model *m, int k, double x) {
    const ts_class *c = m->t->classes + m->cls_first[k];
    for (int i = m->cls_n[k] - 1; i >= 0; i--)
        if (x >= c[i].min) return i;
    return m->cls_n[k];
}

/* Adds this replication's scores and ranks to w's accumulators. */
static void accumulate(const ua_model *m, ua_ws *w) {
    size_t n = (size_t)m->n;
    int S = m->S, RB = m->rank_bins, MC = m->max_classes + 1;
    w->varcnt[w->variant]++;
    for (int s = 0; s < m->n_slots; s++) {
        int k = m->slot_node[s];
        const double *x = node_values(m, w, k);
        const int *rk = w->rank + (size_t)s * n;
        for (size_t u = 0; u < n; u++) {
            double y = x[u];
            if (isnan(y)) continue;
            size_t c = (size_t)s * n + u;
            w->nscored[c]++;
            w->sum[c] += y;
            double b = (y - m->lo[c]) * m->inv[c];
            int bin = (int)b;
            if (!(b >= 0)) {
                bin = 0;
                w->clamped++;
            } else if (bin >= S) {
                bin = S - 1;
                w->clamped++;
            }
            w->shist[c * (size_t)S + (size_t)bin]++;
            w->rhist[c * (size_t)RB + (size_t)(m->rank_w == 1 ? rk[u] - 1 : (rk[u] - 1) / m->rank_w)]++;
            if (m->cls_n[k]) w->cls[c * (size_t)MC + (size_t)class_of(m, k, y)]++;
        }
    }
}

/* Copies the outputs (score, rank per slot cell) into f[2 * n_cell]. */
static void outputs(const ua_model *m, const ua_ws *w, double *f) {
    size_t n = (size_t)m->n;
    for (int s = 0; s < m->n_slots; s++) {
        const double *x = node_values(m, w, m->slot_node[s]);
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            int r = w->rank[c];
            f[2 * c] = x[u];
            f[2 * c + 1] = r > 0 ? (double)r : NAN;
        }
    }
}

int ts_ua_nominal_scores(const ts_scenario *s, double *score, ts_error *err) {
    ts_ua_spec *u = spec_new(s->tax->n_nodes);
    if (!u) return oom(err);
    ua_model m;
    ua_ws w;
    memset(&w, 0, sizeof w);
    int rc = model_build(&m, s, u, NULL, 1, err);
    if (rc == TS_OK && ws_init(&w, &m, 0, 0, 0, 0, NULL)) rc = oom(err);
    if (rc == TS_OK) {
        m.exact = 1;
        for (int k = 0; k < m.n_nodes; k++) w.f[k] = 1, w.wt[k] = m.spec->weight[k];
        w.agg = -1;
        w.variant = 0;
        w.cur = &m.var[0];
        rc = evaluate(&m, &w, err);
    }
    if (rc == TS_OK)
        for (int k = 0; k < m.n_nodes; k++)
            for (int uu = 0; uu < m.n; uu++)
                score[(size_t)k * (size_t)m.n + (size_t)uu] = *(node_values(&m, &w, k) + uu);
    ws_free(&w);
    model_free(&m);
    ts_ua_spec_free(u);
    return rc;
}

/* ---- quantiles ----------------------------------------------------------- */

double ts_ua_count_quantile(const uint32_t *counts, int n, double lo, double p) {
    uint64_t total = 0;
    for (int i = 0; i < n; i++) total += counts[i];
    if (total == 0) return NAN;
    double h = (double)(total - 1) * p;
    uint64_t j = (uint64_t)floor(h);
    double frac = h - (double)j;
    /* values of order statistics j and j + 1 (0-based) */
    double xj = NAN, xk = NAN;
    uint64_t cum = 0;
    for (int i = 0; i < n; i++) {
        uint64_t next = cum + counts[i];
        if (isnan(xj) && j < next) xj = lo + i;
        if (j + 1 < next || (j + 1 >= total && !isnan(xj))) {
            xk = j + 1 < total ? lo + i : xj;
            if (!isnan(xj)) break;
        }
        cum = next;
    }
    return xj + frac * (xk - xj);
}

/* The p-quantile (type 7) of a histogram of S bins starting at lo with
 * width 1/inv; observations are taken as spread evenly inside their bin. */
static double hist_quantile(const uint32_t *h, int S, double lo, double inv, double p) {
    uint64_t total = 0;
    for (int i = 0; i < S; i++) total += h[i];
    if (total == 0) return NAN;
    double pos = (double)(total - 1) * p;
    uint64_t j = (uint64_t)floor(pos);
    double frac = pos - (double)j, x[2];
    for (int t = 0; t < 2; t++) {
        uint64_t want = j + (uint64_t)t < total ? j + (uint64_t)t : total - 1, cum = 0;
        for (int i = 0; i < S; i++) {
            if (want < cum + h[i]) {
                x[t] = lo + (i + ((double)(want - cum) + 0.5) / h[i]) / inv;
                break;
            }
            cum += h[i];
        }
    }
    return x[0] + frac * (x[1] - x[0]);
}

typedef struct vc {
    double v;
    uint64_t c;
} vc;

static int cmp_vc(const void *a, const void *b) {
    double x = ((const vc *)a)->v, y = ((const vc *)b)->v;
    return (x > y) - (x < y);
}

/* The p-quantile (type 7) of a sample of point masses (sorted). */
static double pairs_quantile(const vc *p, int m, double q) {
    uint64_t total = 0;
    for (int i = 0; i < m; i++) total += p[i].c;
    if (total == 0) return NAN;
    double pos = (double)(total - 1) * q;
    uint64_t j = (uint64_t)floor(pos);
    double frac = pos - (double)j, x[2] = {NAN, NAN};
    for (int t = 0; t < 2; t++) {
        uint64_t want = j + (uint64_t)t < total ? j + (uint64_t)t : total - 1, cum = 0;
        for (int i = 0; i < m; i++) {
            if (want < cum + p[i].c) {
                x[t] = p[i].v;
                break;
            }
            cum += p[i].c;
        }
    }
    return x[0] + frac * (x[1] - x[0]);
}

/* ---- driver -------------------------------------------------------------- */

typedef struct ua_run {
    const ua_model *m;
    const ts_ua_options *opt;
    long n_units_of_work;     /* replications (MC) or base samples (Sobol') */
    long chunk;
    long next_chunk, merged, n_chunks, done, total;
    int failed;
    ts_error err;
    pthread_mutex_t lock;
    pthread_cond_t turn;
    ts_sobol_seq *seq;
    double *gsum;             /* merged per-cell sums */
    ts_sobol_acc *gsob;
    ua_ws *ws;                /* one per thread */
} ua_run;

typedef struct ua_thread {
    ua_run *run;
    ua_ws *w;
} ua_thread;

/* Runs unit of work j (a replication, or a Sobol' base sample with its
 * k + 2 evaluations) on w. */
static int work_item(ua_run *R, ua_ws *w, long j, ts_error *err) {
    const ua_model *m = R->m;
    int D = m->D, rc;
    if (!R->opt->sobol) {
        mc_uniforms(R->opt->seed, j, D, w->uni);
        if ((rc = replicate(m, w, w->uni, err))) return rc;
        rank_slots(m, w);
        accumulate(m, w);
        return TS_OK;
    }
    double *a = w->uni, *b = w->uni + D, *ab = w->uni + 2 * D;
    ts_sobol_seq_point(R->seq, (uint32_t)(j + 1), a); /* fills a and b: 2 D dims */
    if ((rc = replicate(m, w, a, err))) return rc;
    rank_slots(m, w);
    accumulate(m, w);
    outputs(m, w, w->fA);
    if ((rc = replicate(m, w, b, err))) return rc;
    rank_slots(m, w);
    accumulate(m, w);
    outputs(m, w, w->fB);
    size_t n_out = (size_t)m->n_cell * 2;
    for (int f = 0; f < m->n_f; f++) {
        memcpy(ab, a, (size_t)D * sizeof *ab);
        memcpy(ab + m->foff[f], b + m->foff[f], (size_t)m->fdim[f] * sizeof *ab);
        if ((rc = replicate(m, w, ab, err))) return rc;
        rank_slots(m, w);
        outputs(m, w, w->fAB + (size_t)f * n_out);
    }
    ts_sobol_acc_add(w->sob, (uint64_t)j, w->fA, w->fB, w->fAB);
    return TS_OK;
}

static void *thread_main(void *arg) {
    ua_thread *th = arg;
    ua_run *R = th->run;
    ua_ws *w = th->w;
    const ua_model *m = R->m;
    ts_error err;
    ts_error_clear(&err);
    for (;;) {
        pthread_mutex_lock(&R->lock);
        long c = R->failed ? R->n_chunks : R->next_chunk++;
        pthread_mutex_unlock(&R->lock);
        if (c >= R->n_chunks) break;
        memset(w->sum, 0, (size_t)m->n_cell * sizeof *w->sum);
        if (w->sob) ts_sobol_acc_zero(w->sob);
        long j0 = c * R->chunk, j1 = j0 + R->chunk < R->n_units_of_work ? j0 + R->chunk : R->n_units_of_work;
        int rc = TS_OK;
        for (long j = j0; j < j1 && rc == TS_OK; j++) rc = work_item(R, w, j, &err);
        pthread_mutex_lock(&R->lock);
        if (rc != TS_OK && !R->failed) {
            R->failed = 1;
            R->err = err;
        }
        while (!R->failed && R->merged != c) pthread_cond_wait(&R->turn, &R->lock);
        if (!R->failed) {
            for (int x = 0; x < m->n_cell; x++) R->gsum[x] += w->sum[x];
            if (R->gsob) ts_sobol_acc_merge(R->gsob, w->sob);
            R->merged++;
            R->done += (j1 - j0) * (R->opt->sobol ? m->n_f + 2 : 1);
            if (R->opt->progress) R->opt->progress(R->opt->progress_ctx, R->done, R->total);
        }
        pthread_cond_broadcast(&R->turn);
        pthread_mutex_unlock(&R->lock);
        if (rc != TS_OK) break;
    }
    return NULL;
}

/* Sets each cell's histogram range from a pilot of the first replications
 * and the nominal scores: the observed range widened by a quarter on each
 * side, and at least 5 % of the node's range over all units. */
static int set_bins(ua_model *m, const ts_ua_options *opt, const ts_result *nominal, ts_sobol_seq *seq, ts_error *err) {
    ua_ws w;
    size_t n = (size_t)m->n;
    double *hi = malloc(((size_t)m->n_cell + 1) * sizeof *hi);
    if (!hi || ws_init(&w, m, 0, 0, 0, 0, NULL)) {
        free(hi);
        ws_free(&w);
        return oom(err);
    }
    for (int s = 0; s < m->n_slots; s++)
        for (size_t u = 0; u < n; u++) {
            double y = ts_result_score(nominal, m->slot_node[s], (int)u);
            m->lo[(size_t)s * n + u] = isnan(y) ? INFINITY : y;
            hi[(size_t)s * n + u] = isnan(y) ? -INFINITY : y;
        }
    long pilot = opt->n < 200 ? opt->n : 200;
    int rc = TS_OK;
    for (long r = 0; r < pilot && rc == TS_OK; r++) {
        if (opt->sobol) ts_sobol_seq_point(seq, (uint32_t)(r + 1), w.uni);
        else mc_uniforms(opt->seed, r, m->D, w.uni);
        for (int half = 0; half < (opt->sobol ? 2 : 1) && rc == TS_OK; half++) {
            rc = replicate(m, &w, w.uni + half * m->D, err);
            for (int s = 0; s < m->n_slots && rc == TS_OK; s++) {
                const double *x = node_values(m, &w, m->slot_node[s]);
                for (size_t u = 0; u < n; u++) {
                    size_t c = (size_t)s * n + u;
                    if (isnan(x[u])) continue;
                    if (x[u] < m->lo[c]) m->lo[c] = x[u];
                    if (x[u] > hi[c]) hi[c] = x[u];
                }
            }
        }
    }
    for (int s = 0; s < m->n_slots && rc == TS_OK; s++) {
        double nlo = INFINITY, nhi = -INFINITY;
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            if (m->lo[c] < nlo) nlo = m->lo[c];
            if (hi[c] > nhi) nhi = hi[c];
        }
        double nspan = nhi > nlo ? nhi - nlo : 1.0;
        for (size_t u = 0; u < n; u++) {
            size_t c = (size_t)s * n + u;
            if (!(m->lo[c] <= hi[c])) m->lo[c] = hi[c] = 0;
            double span = hi[c] - m->lo[c], min_span = 0.05 * nspan;
            if (min_span < 1e-9 * (1 + fabs(m->lo[c]))) min_span = 1e-9 * (1 + fabs(m->lo[c]));
            double mid = (hi[c] + m->lo[c]) / 2;
            span = span * 1.5 > min_span ? span * 1.5 : min_span;
            m->lo[c] = mid - span / 2;
            m->inv[c] = m->S / span;
        }
    }
    free(hi);
    ws_free(&w);
    return rc;
}

void ts_ua_result_free(ts_ua_result *r) {
    if (!r) return;
    free(r->tracked);
    free(r->nominal_score);
    free(r->nominal_rank);
    free(r->mean_score);
    free(r->median_score);
    free(r->rank_p05);
    free(r->rank_p50);
    free(r->rank_p95);
    free(r->scored);
    free(r->class_prob);
    free(r->factor_name);
    free(r->s1);
    free(r->st);
    free(r->s1_lo);
    free(r->s1_hi);
    free(r->st_lo);
    free(r->st_hi);
    free(r);
}

static ts_ua_result *result_new(const ua_model *m, int sobol) {
    ts_ua_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    size_t cells = (size_t)m->n * (size_t)m->n_nodes + 1;
    r->n_units = m->n;
    r->n_nodes = m->n_nodes;
    r->max_classes = m->max_classes;
    r->tracked = calloc((size_t)m->n_nodes + 1, 1);
    r->nominal_score = malloc(cells * sizeof(double));
    r->nominal_rank = calloc(cells, sizeof(int));
    r->mean_score = malloc(cells * sizeof(double));
    r->median_score = malloc(cells * sizeof(double));
    r->rank_p05 = malloc(cells * sizeof(double));
    r->rank_p50 = malloc(cells * sizeof(double));
    r->rank_p95 = malloc(cells * sizeof(double));
    r->scored = malloc(cells * sizeof(double));
    r->class_prob = malloc((cells * (size_t)(m->max_classes + 1) + 1) * sizeof(double));
    r->n_factors = m->n_f;
    r->factor_name = calloc((size_t)m->n_f + 1, sizeof *r->factor_name);
    if (!r->tracked || !r->nominal_score || !r->nominal_rank || !r->mean_score || !r->median_score || !r->rank_p05 ||
        !r->rank_p50 || !r->rank_p95 || !r->scored || !r->class_prob || !r->factor_name) {
        ts_ua_result_free(r);
        return NULL;
    }
    for (int f = 0; f < m->n_f; f++) r->factor_name[f] = FACTOR_NAMES[m->fkind[f]];
    for (size_t c = 0; c < cells; c++)
        r->mean_score[c] = r->median_score[c] = r->rank_p05[c] = r->rank_p50[c] = r->rank_p95[c] = r->scored[c] = NAN;
    for (size_t c = 0; c < cells * (size_t)(m->max_classes + 1); c++) r->class_prob[c] = NAN;
    if (sobol) {
        size_t ns = cells * 2 * (size_t)m->n_f + 1;
        r->s1 = malloc(ns * sizeof(double));
        r->st = malloc(ns * sizeof(double));
        r->s1_lo = malloc(ns * sizeof(double));
        r->s1_hi = malloc(ns * sizeof(double));
        r->st_lo = malloc(ns * sizeof(double));
        r->st_hi = malloc(ns * sizeof(double));
        if (!r->s1 || !r->st || !r->s1_lo || !r->s1_hi || !r->st_lo || !r->st_hi) {
            ts_ua_result_free(r);
            return NULL;
        }
        for (size_t c = 0; c < ns; c++) r->s1[c] = r->st[c] = r->s1_lo[c] = r->s1_hi[c] = r->st_lo[c] = r->st_hi[c] = NAN;
    }
    return r;
}

/* Fills the statistics of leaves (fixed data) from the variant counts. */
static int leaf_stats(const ua_model *m, const uint64_t *varcnt, ts_ua_result *r, ts_error *err) {
    int n = m->n, nv = m->n_var;
    vc *pv = malloc(((size_t)nv + 1) * sizeof *pv), *pr = malloc(((size_t)nv + 1) * sizeof *pr);
    double *rk = malloc(((size_t)nv * (size_t)n + 1) * sizeof *rk);
    if (!pv || !pr || !rk) {
        free(pv);
        free(pr);
        free(rk);
        return oom(err);
    }
    uint64_t total = 0;
    for (int v = 0; v < nv; v++) total += varcnt[v];
    int rc = TS_OK;
    for (int i = 0; i < m->n_ind && rc == TS_OK; i++) {
        int k = m->t->indicator_node[i];
        if (m->track && !m->track[k]) continue;
        r->tracked[k] = 1;
        for (int v = 0; v < nv; v++)
            if (ts_rank_values(m->var[v].x + (size_t)i * (size_t)n, n, 1, rk + (size_t)v * (size_t)n)) rc = oom(err);
        for (int u = 0; u < n && rc == TS_OK; u++) {
            size_t c = (size_t)k * (size_t)n + (size_t)u;
            double sum = 0;
            uint64_t sc = 0;
            int mm = 0;
            for (int v = 0; v < nv; v++) {
                double y = m->var[v].x[(size_t)i * (size_t)n + (size_t)u];
                if (isnan(y) || varcnt[v] == 0) continue;
                sum += (double)varcnt[v] * y;
                sc += varcnt[v];
                pv[mm] = (vc){y, varcnt[v]};
                pr[mm] = (vc){rk[(size_t)v * (size_t)n + (size_t)u], varcnt[v]};
                mm++;
            }
            r->scored[c] = total ? (double)sc / (double)total : NAN;
            if (sc == 0) continue;
            r->mean_score[c] = sum / (double)sc;
            qsort(pv, (size_t)mm, sizeof *pv, cmp_vc);
            qsort(pr, (size_t)mm, sizeof *pr, cmp_vc);
            r->median_score[c] = pairs_quantile(pv, mm, 0.5);
            r->rank_p05[c] = pairs_quantile(pr, mm, 0.05);
            r->rank_p50[c] = pairs_quantile(pr, mm, 0.5);
            r->rank_p95[c] = pairs_quantile(pr, mm, 0.95);
            int nc = m->cls_n[k], MC = m->max_classes + 1;
            if (nc) {
                for (int q = 0; q <= nc; q++) r->class_prob[c * (size_t)MC + (size_t)q] = 0;
                for (int e = 0; e < mm; e++)
                    r->class_prob[c * (size_t)MC + (size_t)class_of(m, k, pv[e].v)] += (double)pv[e].c / (double)sc;
            }
        }
    }
    free(pv);
    free(pr);
    free(rk);
    return rc;
}

int ts_ua_run(const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt, ts_ua_result **out,
              ts_error *err) {
    *out = NULL;
    if (ts_ua_spec_factors(u) == 0)
        return ts_fail(err, TS_EUSAGE, NULL, 0,
                       "nothing varies: give the scenario an uncertainty group or use --vary");
    if (opt->n < 1 || opt->threads < 1)
        return ts_fail(err, TS_EUSAGE, NULL, 0, "-N and -j must be at least 1");
    if (opt->sobol && opt->n >= 0x7fffffffL)
        return ts_fail(err, TS_EUSAGE, NULL, 0, "-N is too large for the Sobol' sequence");
    ts_result *full = ts_score(s, err);
    if (!full) return err->code;
    /* keep only the nominal scores and ranks: the stages' matrices go */
    ts_result slim;
    memset(&slim, 0, sizeof slim);
    size_t ncell = (size_t)full->n_nodes * (size_t)full->n_units;
    slim.n_units = full->n_units;
    slim.n_nodes = full->n_nodes;
    slim.score = malloc((ncell + 1) * sizeof *slim.score);
    slim.rank = malloc((ncell + 1) * sizeof *slim.rank);
    if (slim.score && slim.rank) {
        memcpy(slim.score, full->score, ncell * sizeof *slim.score);
        memcpy(slim.rank, full->rank, ncell * sizeof *slim.rank);
    }
    ts_result_free(full);
    if (!slim.score || !slim.rank) {
        free(slim.score);
        free(slim.rank);
        return oom(err);
    }
    const ts_result *nominal = &slim;
    ua_model m;
    int rc = model_build(&m, s, u, opt, 0, err);
    /* memory of the accumulators, per thread */
    double bytes = (double)m.n_cell * ((double)m.rank_bins + m.S + m.max_classes + 3) * 4.0;
    if (opt->sobol) bytes += (double)m.n_cell * 2 * (opt->bootstrap + 1) * (5 + 2 * m.n_f) * 8.0;
    if (rc == TS_OK && bytes * (opt->threads + 1) > 4e9)
        rc = ts_fail(err, TS_EUSAGE, NULL, 0,
                     "the analysis would need %.1f GB of accumulators: report fewer nodes (--nodes) or fewer "
                     "bootstrap replicates",
                     bytes * (opt->threads + 1) / 1e9);
    ts_sobol_seq *seq = NULL;
    if (rc == TS_OK && opt->sobol && !(seq = ts_sobol_seq_new(2 * m.D))) rc = oom(err);
    if (rc == TS_OK) rc = set_bins(&m, opt, nominal, seq, err);
    ts_ua_result *r = rc == TS_OK ? result_new(&m, opt->sobol) : NULL;
    if (rc == TS_OK && !r) rc = oom(err);

    ua_run R;
    memset(&R, 0, sizeof R);
    R.m = &m;
    R.opt = opt;
    R.seq = seq;
    R.n_units_of_work = opt->n;
    R.chunk = opt->sobol ? 16 : 512;
    R.n_chunks = (opt->n + R.chunk - 1) / R.chunk;
    R.total = opt->n * (opt->sobol ? m.n_f + 2 : 1);
    int nt = opt->threads;
    double *centre = NULL;
    R.ws = calloc((size_t)nt, sizeof *R.ws);
    R.gsum = calloc((size_t)m.n_cell + 1, sizeof *R.gsum);
    if (rc == TS_OK && (!R.ws || !R.gsum)) rc = oom(err);
    if (rc == TS_OK && opt->sobol) {
        /* centre the outputs on the nominal score and rank */
        centre = malloc(((size_t)m.n_cell * 2 + 1) * sizeof *centre);
        if (!centre) rc = oom(err);
        for (int sl = 0; sl < m.n_slots && rc == TS_OK; sl++)
            for (int uu = 0; uu < m.n; uu++) {
                size_t c = (size_t)sl * (size_t)m.n + (size_t)uu;
                centre[2 * c] = ts_result_score(nominal, m.slot_node[sl], uu);
                centre[2 * c + 1] = ts_result_rank(nominal, m.slot_node[sl], uu);
            }
        if (rc == TS_OK && !(R.gsob = ts_sobol_acc_new(m.n_cell * 2, m.n_f, opt->bootstrap, opt->seed, centre)))
            rc = oom(err);
    }
    for (int i = 0; i < nt && rc == TS_OK; i++)
        if (ws_init(&R.ws[i], &m, 1, opt->sobol, opt->bootstrap, opt->seed, centre)) rc = oom(err);
    free(centre);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == TS_OK) {
        pthread_mutex_init(&R.lock, NULL);
        pthread_cond_init(&R.turn, NULL);
        ts_error_clear(&R.err);
        pthread_t *tid = calloc((size_t)nt, sizeof *tid);
        ua_thread *th = calloc((size_t)nt, sizeof *th);
        int started = 0;
        if (!tid || !th) rc = oom(err);
        for (int i = 0; i < nt && rc == TS_OK; i++) {
            th[i] = (ua_thread){&R, &R.ws[i]};
            if (nt == 1) {
                thread_main(&th[i]);
                continue;
            }
            if (pthread_create(&tid[i], NULL, thread_main, &th[i]) != 0) {
                pthread_mutex_lock(&R.lock);
                R.failed = 1;
                R.err.code = TS_ESYSTEM;
                snprintf(R.err.message, sizeof R.err.message, "cannot start a thread");
                pthread_cond_broadcast(&R.turn);
                pthread_mutex_unlock(&R.lock);
                break;
            }
            started++;
        }
        for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
        free(tid);
        free(th);
        pthread_mutex_destroy(&R.lock);
        pthread_cond_destroy(&R.turn);
        if (rc == TS_OK && R.failed) {
            *err = R.err;
            rc = err->code ? err->code : TS_ESYSTEM;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    if (rc == TS_OK) {
        /* sum the integer accumulators of every thread into the first */
        ua_ws *w0 = &R.ws[0];
        size_t c = (size_t)m.n_cell;
        for (int i = 1; i < nt; i++) {
            ua_ws *w = &R.ws[i];
            for (size_t x = 0; x < c * (size_t)m.rank_bins; x++) w0->rhist[x] += w->rhist[x];
            for (size_t x = 0; x < c * (size_t)m.S; x++) w0->shist[x] += w->shist[x];
            for (size_t x = 0; x < c * (size_t)(m.max_classes + 1); x++) w0->cls[x] += w->cls[x];
            for (size_t x = 0; x < c; x++) w0->nscored[x] += w->nscored[x];
            for (int v = 0; v < m.n_var; v++) w0->varcnt[v] += w->varcnt[v];
            w0->clamped += w->clamped;
        }
        long N = opt->n * (opt->sobol ? 2 : 1);
        r->n = N;
        r->evaluations = R.total;
        r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        r->clamped = w0->clamped;
        r->rank_bin_width = m.rank_w;
        size_t n = (size_t)m.n;
        for (int k = 0; k < m.n_nodes; k++)
            for (size_t uu = 0; uu < n; uu++) {
                r->nominal_score[(size_t)k * n + uu] = ts_result_score(nominal, k, (int)uu);
                r->nominal_rank[(size_t)k * n + uu] = ts_result_rank(nominal, k, (int)uu);
            }
        int MC = m.max_classes + 1;
        for (int sl = 0; sl < m.n_slots; sl++) {
            int k = m.slot_node[sl];
            r->tracked[k] = 1;
            for (size_t uu = 0; uu < n; uu++) {
                size_t cc = (size_t)sl * n + uu, o = (size_t)k * n + uu;
                uint32_t ns = w0->nscored[cc];
                r->scored[o] = (double)ns / (double)N;
                if (ns == 0) continue;
                r->mean_score[o] = R.gsum[cc] / ns;
                r->median_score[o] = hist_quantile(w0->shist + cc * (size_t)m.S, m.S, m.lo[cc], m.inv[cc], 0.5);
                if (1 / m.inv[cc] > r->median_resolution) r->median_resolution = 1 / m.inv[cc];
                const uint32_t *rh = w0->rhist + cc * (size_t)m.rank_bins;
                double lo = 1, sc = m.rank_w;
                /* binned ranks: the bin's first rank plus half its width */
                if (m.rank_w > 1) lo = 1 + (m.rank_w - 1) / 2.0;
                r->rank_p05[o] = lo + (ts_ua_count_quantile(rh, m.rank_bins, 0, 0.05)) * sc;
                r->rank_p50[o] = lo + (ts_ua_count_quantile(rh, m.rank_bins, 0, 0.50)) * sc;
                r->rank_p95[o] = lo + (ts_ua_count_quantile(rh, m.rank_bins, 0, 0.95)) * sc;
                if (m.cls_n[k])
                    for (int q = 0; q <= m.cls_n[k]; q++)
                        r->class_prob[o * (size_t)MC + (size_t)q] = (double)w0->cls[cc * (size_t)MC + (size_t)q] / ns;
            }
        }
        if (m.track_leaves) rc = leaf_stats(&m, w0->varcnt, r, err);
        if (rc == TS_OK && opt->sobol) {
            int F = m.n_f;
            for (int sl = 0; sl < m.n_slots; sl++)
                for (size_t uu = 0; uu < n; uu++)
                    for (int outk = 0; outk < 2; outk++)
                        for (int f = 0; f < F; f++) {
                            size_t cc = (size_t)sl * n + uu, o = (size_t)m.slot_node[sl] * n + uu;
                            size_t idx = (o * 2 + (size_t)outk) * (size_t)F + (size_t)f;
                            double ci[4];
                            ts_sobol_acc_indices(R.gsob, (int)(cc * 2 + (size_t)outk), f, &r->s1[idx], &r->st[idx], ci);
                            r->s1_lo[idx] = ci[0];
                            r->s1_hi[idx] = ci[1];
                            r->st_lo[idx] = ci[2];
                            r->st_hi[idx] = ci[3];
                        }
        }
    }
    if (R.ws)
        for (int i = 0; i < nt; i++) ws_free(&R.ws[i]);
    free(R.ws);
    free(R.gsum);
    ts_sobol_acc_free(R.gsob);
    ts_sobol_seq_free(seq);
    model_free(&m);
    free(slim.score);
    free(slim.rank);
    if (rc != TS_OK) {
        ts_ua_result_free(r);
        return rc;
    }
    *out = r;
    return TS_OK;
}

/* ---- store ---------------------------------------------------------------- */

#include "store_internal.h"
#define ts_store_db ts_store_sqlite  /* until the ua tables move into engine/store/ */

static const char UA_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS ua_runs("
    " id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL, scenario_path TEXT, scenario_sha256 TEXT,"
    " taxonomy_path TEXT NOT NULL, taxonomy_sha256 TEXT NOT NULL,"
    " data_path TEXT, data_sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL,"
    " engine_version TEXT NOT NULL, seed TEXT NOT NULL, n INTEGER NOT NULL, evaluations INTEGER NOT NULL,"
    " sobol INTEGER NOT NULL, bootstrap INTEGER NOT NULL, threads INTEGER NOT NULL, seconds REAL,"
    " spec_json TEXT NOT NULL, method_json TEXT NOT NULL, percentile_method TEXT NOT NULL,"
    " median_bins INTEGER NOT NULL, median_resolution REAL, rank_bin_width INTEGER NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
    "CREATE TABLE IF NOT EXISTS ua_results("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL,"
    " nominal_score REAL, nominal_rank INTEGER, mean_score REAL, median_score REAL,"
    " rank_p05 REAL, rank_p50 REAL, rank_p95 REAL, scored REAL,"
    " PRIMARY KEY(ua_id, unit, node)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ua_classes("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, class TEXT NOT NULL, probability REAL NOT NULL,"
    " PRIMARY KEY(ua_id, unit, node, class)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ua_sobol("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, node TEXT NOT NULL, output TEXT NOT NULL, factor TEXT NOT NULL,"
    " s1 REAL, s1_lo REAL, s1_hi REAL, st REAL, st_lo REAL, st_hi REAL,"
    " PRIMARY KEY(ua_id, unit, node, output, factor)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ua_samples("
    " ua_id INTEGER NOT NULL REFERENCES ua_runs(id) ON DELETE CASCADE,"
    " replication INTEGER NOT NULL, params_json TEXT NOT NULL,"
    " PRIMARY KEY(ua_id, replication)) WITHOUT ROWID;";

static void bind_num(sqlite3_stmt *q, int i, double x) {
    if (isnan(x)) sqlite3_bind_null(q, i);
    else sqlite3_bind_double(q, i, x);
}

static int step_reset(sqlite3_stmt *q) {
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Appends replication parameters drawn into w as JSON. */
static void sample_json(const ua_model *m, const ua_ws *w, long r, ts_buf *b) {
    const ts_taxonomy *t = m->t;
    ts_buf_printf(b, "{\"replication\":%ld", r);
    for (int f = 0; f < m->n_f; f++) {
        switch (m->fkind[f]) {
        case F_WEIGHTS:
            ts_buf_puts(b, ",\"weights\":{");
            for (int j = 0; j < m->n_wsel; j++) {
                if (j) ts_buf_puts(b, ",");
                ts_buf_json_string(b, t->nodes[m->wsel[j]].id);
                ts_buf_puts(b, ":");
                ts_buf_json_number(b, m->spec->weight[m->wsel[j]] * w->f[m->wsel[j]]);
            }
            ts_buf_puts(b, "}");
            break;
        case F_NORMALISE: {
            const ts_norm *nm = &m->u->norm[w->variant / (m->n_treat * m->n_impute)];
            ts_buf_printf(b, ",\"normalise\":\"%s\"", ts_norm_name(nm->method));
            if (nm->has_range) {
                ts_buf_puts(b, ",\"normalise_range\":[");
                ts_buf_json_number(b, nm->lo);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, nm->hi);
                ts_buf_puts(b, "]");
            }
            break;
        }
        case F_AGGREGATE: ts_buf_printf(b, ",\"aggregate\":\"%s\"", ts_agg_name(m->u->agg[w->agg].method)); break;
        case F_TREAT:
            ts_buf_printf(b, ",\"treat\":\"%s\"", ts_treat_name(m->u->treat[(w->variant / m->n_impute) % m->n_treat].method));
            break;
        case F_IMPUTE: ts_buf_printf(b, ",\"impute\":\"%s\"", ts_impute_name(m->u->impute[w->variant % m->n_impute].method)); break;
        case F_EXCLUDE: {
            ts_buf_puts(b, ",\"exclude\":[");
            int first = 1;
            for (int e = 0; e < m->n_excl; e++)
                if (w->f[m->excl[e]] == 0) {
                    if (!first) ts_buf_puts(b, ",");
                    first = 0;
                    ts_buf_json_string(b, t->nodes[m->excl[e]].id);
                }
            ts_buf_puts(b, "]");
            break;
        }
        case F_DATA:
            ts_buf_puts(b, ",\"data\":[");
            for (int c = 0; c < m->n_cells; c++) {
                if (c) ts_buf_puts(b, ",");
                ts_buf_puts(b, "[");
                ts_buf_json_string(b, t->nodes[t->indicator_node[m->cells[c].i]].id);
                ts_buf_puts(b, ",");
                ts_buf_json_string(b, m->s->data->unit_id[m->cells[c].u]);
                ts_buf_puts(b, ",");
                ts_buf_json_number(b, w->dval[c]);
                ts_buf_puts(b, "]");
            }
            ts_buf_puts(b, "]");
            break;
        }
    }
    ts_buf_puts(b, "}");
}

/* Inserts every replication's parameters. */
static int save_samples(sqlite3 *db, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                        long long id, ts_error *err) {
    ua_model m;
    ua_ws w;
    memset(&w, 0, sizeof w);
    int rc = model_build(&m, s, u, opt, 1, err);
    ts_sobol_seq *seq = NULL;
    sqlite3_stmt *q = NULL;
    if (rc == TS_OK && ws_init(&w, &m, 0, 0, 0, 0, NULL)) rc = oom(err);
    if (rc == TS_OK && opt->sobol && !(seq = ts_sobol_seq_new(2 * m.D))) rc = oom(err);
    if (rc == TS_OK && sqlite3_prepare_v2(db, "INSERT INTO ua_samples VALUES(?,?,?)", -1, &q, NULL) != SQLITE_OK)
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot store samples: %s", sqlite3_errmsg(db));
    ts_buf b = {0};
    long total = opt->sobol ? 2 * opt->n : opt->n;
    for (long r = 0; r < total && rc == TS_OK; r++) {
        if (opt->sobol) {
            ts_sobol_seq_point(seq, (uint32_t)(r % opt->n + 1), w.uni);
            draw(&m, &w, w.uni + (r < opt->n ? 0 : m.D));
        } else {
            mc_uniforms(opt->seed, r, m.D, w.uni);
            draw(&m, &w, w.uni);
        }
        b.len = 0;
        if (b.data) b.data[0] = '\0';
        sample_json(&m, &w, r, &b);
        if (b.oom) {
            rc = oom(err);
            break;
        }
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, r);
        sqlite3_bind_text(q, 3, b.data, (int)b.len, SQLITE_STATIC);
        if (step_reset(q)) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot store samples: %s", sqlite3_errmsg(db));
    }
    ts_buf_free(&b);
    sqlite3_finalize(q);
    ts_sobol_seq_free(seq);
    ws_free(&w);
    model_free(&m);
    return rc;
}

static int save_rows(sqlite3 *db, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                     const ts_ua_result *r, long long *id, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    ts_buf spec = {0}, method = {0};
    ts_ua_spec_json(u, s, &spec);
    ts_spec_json(s->spec, t, d->unit_id, &method);
    char vhash[65], seed[32];
    ts_dataset_hash(d, vhash);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)opt->seed);
    sqlite3_stmt *q = NULL;
    int rc = spec.oom || method.oom ? oom(err) : TS_OK;
    const char *sql_run =
        "INSERT INTO ua_runs(scenario,scenario_path,scenario_sha256,taxonomy_path,taxonomy_sha256,data_path,"
        "data_sha256,values_sha256,engine_version,seed,n,evaluations,sobol,bootstrap,threads,seconds,spec_json,"
        "method_json,percentile_method,median_bins,median_resolution,rank_bin_width) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (rc == TS_OK && sqlite3_prepare_v2(db, sql_run, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, s->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, s->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, s->scenario_sha256[0] ? s->scenario_sha256 : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, s->taxonomy_path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, s->taxonomy_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, s->data_path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, s->data_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, vhash, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 9, TS_VERSION, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 10, seed, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 11, opt->n);
        sqlite3_bind_int64(q, 12, r->evaluations);
        sqlite3_bind_int(q, 13, opt->sobol);
        sqlite3_bind_int(q, 14, opt->sobol ? opt->bootstrap : 0);
        sqlite3_bind_int(q, 15, opt->threads);
        sqlite3_bind_double(q, 16, r->seconds);
        sqlite3_bind_text(q, 17, spec.data, (int)spec.len, SQLITE_STATIC);
        sqlite3_bind_text(q, 18, method.data, (int)method.len, SQLITE_STATIC);
        sqlite3_bind_text(q, 19, "type 7: linear interpolation between order statistics (numpy default)", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int(q, 20, opt->score_bins);
        sqlite3_bind_double(q, 21, r->median_resolution);
        sqlite3_bind_int(q, 22, r->rank_bin_width);
        if (step_reset(q)) rc = TS_ESYSTEM;
        *id = sqlite3_last_insert_rowid(db);
    } else if (rc == TS_OK) {
        rc = TS_ESYSTEM;
    }
    sqlite3_finalize(q);
    q = NULL;
    sqlite3_stmt *qc = NULL, *qs = NULL;
    if (rc == TS_OK && (sqlite3_prepare_v2(db, "INSERT INTO ua_results VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL) ||
                        sqlite3_prepare_v2(db, "INSERT INTO ua_classes VALUES(?,?,?,?,?)", -1, &qc, NULL) ||
                        sqlite3_prepare_v2(db, "INSERT INTO ua_sobol VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &qs, NULL)))
        rc = TS_ESYSTEM;
    int n = r->n_units;
    static const char *const outs[] = {"score", "rank"};
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) {
        if (!r->tracked[k]) continue;
        for (int uu = 0; uu < n && rc == TS_OK; uu++) {
            size_t c = (size_t)k * (size_t)n + (size_t)uu;
            sqlite3_bind_int64(q, 1, *id);
            sqlite3_bind_text(q, 2, d->unit_id[uu], -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, t->nodes[k].id, -1, SQLITE_STATIC);
            bind_num(q, 4, r->nominal_score[c]);
            if (r->nominal_rank[c] > 0) sqlite3_bind_int(q, 5, r->nominal_rank[c]);
            bind_num(q, 6, r->mean_score[c]);
            bind_num(q, 7, r->median_score[c]);
            bind_num(q, 8, r->rank_p05[c]);
            bind_num(q, 9, r->rank_p50[c]);
            bind_num(q, 10, r->rank_p95[c]);
            bind_num(q, 11, r->scored[c]);
            if (step_reset(q)) rc = TS_ESYSTEM;
            const ts_node *nd = &t->nodes[k];
            for (int cl = 0; cl < nd->n_classes && rc == TS_OK; cl++) {
                double p = r->class_prob[c * (size_t)(r->max_classes + 1) + (size_t)cl];
                if (isnan(p)) continue;
                sqlite3_bind_int64(qc, 1, *id);
                sqlite3_bind_text(qc, 2, d->unit_id[uu], -1, SQLITE_STATIC);
                sqlite3_bind_text(qc, 3, nd->id, -1, SQLITE_STATIC);
                sqlite3_bind_text(qc, 4, t->classes[nd->first_class + cl].name, -1, SQLITE_STATIC);
                sqlite3_bind_double(qc, 5, p);
                if (step_reset(qc)) rc = TS_ESYSTEM;
            }
            if (!opt->sobol || !r->s1) continue;
            for (int o = 0; o < 2 && rc == TS_OK; o++)
                for (int f = 0; f < r->n_factors && rc == TS_OK; f++) {
                    size_t x = (c * 2 + (size_t)o) * (size_t)r->n_factors + (size_t)f;
                    if (isnan(r->s1[x]) && isnan(r->st[x])) continue;
                    sqlite3_bind_int64(qs, 1, *id);
                    sqlite3_bind_text(qs, 2, d->unit_id[uu], -1, SQLITE_STATIC);
                    sqlite3_bind_text(qs, 3, nd->id, -1, SQLITE_STATIC);
                    sqlite3_bind_text(qs, 4, outs[o], -1, SQLITE_STATIC);
                    sqlite3_bind_text(qs, 5, r->factor_name[f], -1, SQLITE_STATIC);
                    bind_num(qs, 6, r->s1[x]);
                    bind_num(qs, 7, r->s1_lo[x]);
                    bind_num(qs, 8, r->s1_hi[x]);
                    bind_num(qs, 9, r->st[x]);
                    bind_num(qs, 10, r->st_lo[x]);
                    bind_num(qs, 11, r->st_hi[x]);
                    if (step_reset(qs)) rc = TS_ESYSTEM;
                }
        }
    }
    if (rc == TS_ESYSTEM && !err->code)
        ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot store the analysis: %s", sqlite3_errmsg(db));
    sqlite3_finalize(q);
    sqlite3_finalize(qc);
    sqlite3_finalize(qs);
    ts_buf_free(&spec);
    ts_buf_free(&method);
    return rc;
}

int ts_ua_save(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
               const ts_ua_result *r, int store_samples, long long *id, ts_error *err) {
    sqlite3 *db = ts_store_db(st);
    *id = 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot lock the database: %s", sqlite3_errmsg(db));
    char *msg = NULL;
    int rc = TS_OK;
    if (sqlite3_exec(db, UA_SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot create the uncertainty tables: %s", msg ? msg : "?");
        sqlite3_free(msg);
    }
    if (rc == TS_OK) ts_error_clear(err);
    if (rc == TS_OK) rc = save_rows(db, s, u, opt, r, id, err);
    if (rc == TS_OK && store_samples) rc = save_samples(db, s, u, opt, *id, err);
    if (rc == TS_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot commit: %s", sqlite3_errmsg(db));
    if (rc != TS_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
    }
    return rc;
}
