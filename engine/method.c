/* method.c -- method names, defaults and their parsing from config
 * settings and command-line values. */
#include "method.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "util.h"

static const char *const NORM_NAMES[] = {"minmax",   "zscore",   "rank",      "prank",
                                         "borda",    "fracmax",  "dist2max",  "dist2ref",
                                         "dist2targ", "goalposts", "scaled",  "none", NULL};
static const char *const AGG_NAMES[] = {"arithmetic", "geometric", "harmonic", "genmean",
                                        "min",        "max",       "wmedian",  "copeland",
                                        "cgeometric", "wmax",      NULL};
static const char *const TRANSFORM_NAMES[] = {"none", "log", "log1p", "logct", "boxcox", NULL};
static const char *const TREAT_NAMES[] = {"none", "winsorise", NULL};
static const char *const IMPUTE_NAMES[] = {"none", "mean", "median", "group_mean", "group_median", "zero", NULL};

const char *ts_norm_name(ts_norm_method m) { return NORM_NAMES[m]; }
const char *ts_agg_name(ts_agg_method a) { return AGG_NAMES[a]; }
const char *ts_transform_name(ts_transform_method t) { return TRANSFORM_NAMES[t]; }
const char *ts_treat_name(ts_treat_method t) { return TREAT_NAMES[t]; }
const char *ts_impute_name(ts_impute_method m) { return IMPUTE_NAMES[m]; }

/* The names a missing-value treatment takes on the command line, in the
 * order of the messages: skip, zero and impute first, then the
 * imputation methods that need no group. */
static const char *const MISSING_NAMES[] = {"skip", "zero", "impute", "mean", "median", NULL};

const char *ts_missing_name(const ts_missing *m) {
    if (m->own) return "impute";
    return m->impute.method == TS_IMPUTE_NONE ? "skip" : IMPUTE_NAMES[m->impute.method];
}

ts_impute ts_missing_apply(const ts_missing *m, const ts_impute *own) {
    if (!m->own) return m->impute;
    if (own->method != TS_IMPUTE_NONE) return *own;
    ts_impute median = ts_impute_default();
    median.method = TS_IMPUTE_MEDIAN;
    return median;
}

ts_norm ts_norm_default(void) {
    ts_norm n;
    memset(&n, 0, sizeof n);
    n.method = TS_NORM_MINMAX;
    n.hi = 1.0;
    n.sd = 1.0;
    n.upper = 100.0;
    n.cap = 0.0;
    return n;
}

ts_agg ts_agg_default(void) {
    ts_agg a = {TS_AGG_ARITHMETIC, 1.0, 10.0, 0.9};
    return a;
}

ts_transform ts_transform_default(void) {
    ts_transform t = {TS_TRANSFORM_NONE, 1.0};
    return t;
}

ts_treat ts_treat_none(void) {
    ts_treat t = {TS_TREAT_NONE, 5, 2.0, 3.5, TS_TRANSFORM_LOGCT};
    return t;
}

ts_treat ts_treat_coinr(void) {
    ts_treat t = ts_treat_none();
    t.method = TS_TREAT_WINSORISE;
    return t;
}

ts_impute ts_impute_default(void) {
    ts_impute m;
    memset(&m, 0, sizeof m);
    return m;
}

int ts_norm_natural_bounds(const ts_norm *m, int n, double *lo, double *hi) {
    switch (m->method) {
    case TS_NORM_RANK: *lo = 1; *hi = n > 1 ? n : 2; return 0;
    case TS_NORM_BORDA: *lo = 0; *hi = n > 1 ? n - 1 : 1; return 0;
    case TS_NORM_DIST2REF: case TS_NORM_DIST2TARG: *lo = 0; *hi = m->cap > 0 ? m->cap : 1; return 0;
    case TS_NORM_MINMAX: case TS_NORM_PRANK: case TS_NORM_FRACMAX: case TS_NORM_DIST2MAX:
    case TS_NORM_GOALPOSTS:
        *lo = 0; *hi = 1; return 0;
    default: return -1;
    }
}

int ts_norm_uses_scale(ts_norm_method m) {
    switch (m) {
    case TS_NORM_MINMAX: case TS_NORM_PRANK: case TS_NORM_FRACMAX: case TS_NORM_DIST2MAX:
    case TS_NORM_DIST2REF: case TS_NORM_DIST2TARG: case TS_NORM_GOALPOSTS:
        return 1;
    default: return 0;
    }
}

/* Finds name among names; on failure fills err with the choices and a
 * suggestion. Returns the index or -1. */
static int lookup(const char *const *names, const char *what, const char *name,
                  const char *file, int line, ts_error *err) {
    size_t n = 0;
    for (; names[n]; n++)
        if (strcmp(names[n], name) == 0) return (int)n;
    ts_buf choices = {0};
    for (size_t i = 0; i < n; i++) ts_buf_printf(&choices, "%s%s", i ? ", " : "", names[i]);
    const char *hint = ts_suggest(name, names, n);
    if (hint)
        ts_fail(err, TS_EINPUT, file, line, "unknown %s '%s' (did you mean '%s'?)", what, name, hint);
    else
        ts_fail(err, TS_EINPUT, file, line, "unknown %s '%s' (choose one of: %s)", what, name,
                choices.data ? choices.data : "");
    ts_buf_free(&choices);
    return -1;
}

/* Reads the method name of setting s: the string itself, or the `method`
 * member of a group checked against keys. Returns the index or -1. */
static int method_of(const config_setting_t *s, const char *file, const char *what,
                     const char *const *names, const char *const *keys, ts_error *err) {
    const char *name;
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (ts_cfg_string(s, file, what, &name, err)) return -1;
        return lookup(names, what, name, file, ts_cfg_line(s), err);
    }
    if (ts_cfg_expect_group(s, file, what, err) || ts_cfg_check_keys(s, keys, file, err)) return -1;
    const config_setting_t *m = config_setting_get_member(s, "method");
    if (!m) {
        ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s needs a method", what);
        return -1;
    }
    if (ts_cfg_string(m, file, "method", &name, err)) return -1;
    return lookup(names, what, name, file, ts_cfg_line(m), err);
}

/* Reads optional numeric member key of group g into *out; fails when it is
 * present but allowed is 0 (the parameter does not apply to the method). */
static int param(const config_setting_t *g, const char *key, int allowed, const char *method,
                 const char *file, double *out, ts_error *err) {
    if (!config_setting_is_group(g)) return TS_OK;
    const config_setting_t *v = config_setting_get_member(g, key);
    if (!v) return TS_OK;
    if (!allowed)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(v), "%s does not apply to %s", key, method);
    return ts_cfg_number(v, file, key, out, err);
}

int ts_norm_from_setting(const config_setting_t *s, const char *file, ts_norm *out, ts_error *err) {
    static const char *const keys[] = {"method", "range", "mean", "sd", "cap", "lower", "upper", "ref", NULL};
    int i = method_of(s, file, "normaliser", NORM_NAMES, keys, err);
    if (i < 0) return TS_EINPUT;
    ts_norm n = ts_norm_default();
    n.method = (ts_norm_method)i;
    const char *name = NORM_NAMES[i];
    if (config_setting_is_group(s)) {
        const config_setting_t *r = config_setting_get_member(s, "range");
        if (r) {
            if (n.method == TS_NORM_ZSCORE || n.method == TS_NORM_SCALED || n.method == TS_NORM_NONE)
                return ts_fail(err, TS_EINPUT, file, ts_cfg_line(r), "range does not apply to %s", name);
            if (ts_cfg_expect_list(r, file, "range", err)) return TS_EINPUT;
            if (config_setting_length(r) != 2)
                return ts_fail(err, TS_EINPUT, file, ts_cfg_line(r), "range must be [lo, hi]");
            if (ts_cfg_number(config_setting_get_elem(r, 0), file, "range lo", &n.lo, err) ||
                ts_cfg_number(config_setting_get_elem(r, 1), file, "range hi", &n.hi, err))
                return TS_EINPUT;
            if (!(n.lo < n.hi))
                return ts_fail(err, TS_EINPUT, file, ts_cfg_line(r), "range must have lo < hi");
            n.has_range = 1;
        }
        int z = n.method == TS_NORM_ZSCORE, capped = n.method == TS_NORM_DIST2REF || n.method == TS_NORM_DIST2TARG;
        int sc = n.method == TS_NORM_SCALED;
        if (param(s, "mean", z, name, file, &n.mean, err) || param(s, "sd", z, name, file, &n.sd, err) ||
            param(s, "cap", capped, name, file, &n.cap, err) ||
            param(s, "lower", sc, name, file, &n.lower, err) ||
            param(s, "upper", sc, name, file, &n.upper, err))
            return TS_EINPUT;
        if (!(n.sd > 0)) return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "zscore sd must be positive");
        if (n.upper == n.lower) return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "scaled needs lower != upper");
        const config_setting_t *ref = config_setting_get_member(s, "ref");
        if (ref) {
            const char *id;
            if (n.method != TS_NORM_DIST2REF)
                return ts_fail(err, TS_EINPUT, file, ts_cfg_line(ref), "ref does not apply to %s", name);
            if (ts_cfg_string(ref, file, "ref", &id, err)) return TS_EINPUT;
            snprintf(n.ref, sizeof n.ref, "%s", id);
        }
    }
    if (n.method == TS_NORM_DIST2REF && !n.ref[0])
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "dist2ref needs a reference unit (ref = \"ID\")");
    *out = n;
    return TS_OK;
}

int ts_agg_from_setting(const config_setting_t *s, const char *file, ts_agg *out, ts_error *err) {
    static const char *const keys[] = {"method", "p", "top", "factor", NULL};
    int i = method_of(s, file, "aggregator", AGG_NAMES, keys, err);
    if (i < 0) return TS_EINPUT;
    ts_agg a = ts_agg_default();
    a.method = (ts_agg_method)i;
    int cg = a.method == TS_AGG_CGEOMETRIC;
    if (param(s, "p", a.method == TS_AGG_GENMEAN, AGG_NAMES[i], file, &a.p, err) ||
        param(s, "top", cg, AGG_NAMES[i], file, &a.top, err) ||
        param(s, "factor", cg, AGG_NAMES[i], file, &a.factor, err))
        return TS_EINPUT;
    if (a.method == TS_AGG_GENMEAN && a.p == 0)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "genmean with p = 0 is the geometric mean: use geometric");
    /* x^p = exp(p log x) keeps too few digits of p log x as p nears 0 */
    if (a.method == TS_AGG_GENMEAN && fabs(a.p) < 0.01)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s),
                       "genmean p = %g is too close to 0 to compute exactly (|p| >= 0.01); p -> 0 is the "
                       "geometric mean: use geometric", a.p);
    if (cg && !(a.factor > 0)) return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "cgeometric factor must be positive");
    *out = a;
    return TS_OK;
}

int ts_transform_from_setting(const config_setting_t *s, const char *file, ts_transform *out,
                              ts_error *err) {
    static const char *const keys[] = {"method", "lambda", NULL};
    int i = method_of(s, file, "transform", TRANSFORM_NAMES, keys, err);
    if (i < 0) return TS_EINPUT;
    ts_transform t = ts_transform_default();
    t.method = (ts_transform_method)i;
    int has_lambda = config_setting_is_group(s) && config_setting_get_member(s, "lambda");
    if (param(s, "lambda", t.method == TS_TRANSFORM_BOXCOX, TRANSFORM_NAMES[i], file, &t.lambda, err))
        return TS_EINPUT;
    if (t.method == TS_TRANSFORM_BOXCOX && !has_lambda)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "boxcox needs a lambda");
    *out = t;
    return TS_OK;
}

int ts_treat_from_setting(const config_setting_t *s, const char *file, ts_treat *out, ts_error *err) {
    static const char *const names[] = {"none", "winsorise", "coinr", NULL};
    static const char *const keys[] = {"method", "winmax", "skew", "kurtosis", "fallback", NULL};
    int i = method_of(s, file, "treatment", names, keys, err);
    if (i < 0) return TS_EINPUT;
    ts_treat t = i == 0 ? ts_treat_none() : ts_treat_coinr();
    if (config_setting_is_group(s)) {
        double winmax = t.winmax;
        if (param(s, "winmax", i != 0, names[i], file, &winmax, err) ||
            param(s, "skew", i != 0, names[i], file, &t.skew, err) ||
            param(s, "kurtosis", i != 0, names[i], file, &t.kurtosis, err))
            return TS_EINPUT;
        if (winmax < 0 || winmax != floor(winmax) || winmax > 1e6)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "winmax must be a whole number >= 0");
        t.winmax = (int)winmax;
        const config_setting_t *fb = config_setting_get_member(s, "fallback");
        if (fb) {
            ts_transform tr;
            if (ts_transform_from_setting(fb, file, &tr, err)) return TS_EINPUT;
            if (tr.method == TS_TRANSFORM_BOXCOX)
                return ts_fail(err, TS_EINPUT, file, ts_cfg_line(fb), "fallback takes none, log, log1p or logct");
            t.fallback = tr.method;
        }
    }
    *out = t;
    return TS_OK;
}

int ts_impute_from_setting(const config_setting_t *s, const char *file, ts_impute *out, ts_error *err) {
    static const char *const keys[] = {"method", "group", NULL};
    int i = method_of(s, file, "imputation", IMPUTE_NAMES, keys, err);
    if (i < 0) return TS_EINPUT;
    ts_impute m = ts_impute_default();
    m.method = (ts_impute_method)i;
    int grouped = m.method == TS_IMPUTE_GROUP_MEAN || m.method == TS_IMPUTE_GROUP_MEDIAN;
    const config_setting_t *g = config_setting_is_group(s) ? config_setting_get_member(s, "group") : NULL;
    if (g) {
        const char *name;
        if (!grouped) return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "group does not apply to %s", IMPUTE_NAMES[i]);
        if (ts_cfg_string(g, file, "group", &name, err)) return TS_EINPUT;
        snprintf(m.group, sizeof m.group, "%s", name);
    }
    if (grouped && !m.group[0])
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s needs a group (group = \"NAME\")", IMPUTE_NAMES[i]);
    *out = m;
    return TS_OK;
}

/* Reads "skip", "impute" or (as ts_impute_from_setting) an imputation
 * method; returns TS_OK or TS_EINPUT naming every choice. */
int ts_missing_from_setting(const config_setting_t *s, const char *file, ts_missing *out, ts_error *err) {
    memset(out, 0, sizeof *out);
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char *name = config_setting_get_string(s);
        if (strcmp(name, "skip") == 0 || strcmp(name, "none") == 0) return TS_OK;
        if (strcmp(name, "impute") == 0) {
            out->own = 1;
            return TS_OK;
        }
        for (int i = 0; IMPUTE_NAMES[i]; i++)
            if (strcmp(IMPUTE_NAMES[i], name) == 0) return ts_impute_from_setting(s, file, &out->impute, err);
        lookup(MISSING_NAMES, "missing-value treatment", name, file, ts_cfg_line(s), err); /* fails: fills err */
        return TS_EINPUT;
    }
    return ts_impute_from_setting(s, file, &out->impute, err);
}

/* Reads a missing-value treatment named on the command line; returns
 * TS_OK or TS_EINPUT naming the choices. */
int ts_missing_parse(const char *value, const char *file, ts_missing *out, ts_error *err) {
    memset(out, 0, sizeof *out);
    int i = lookup(MISSING_NAMES, "missing-value treatment", value, file, 0, err);
    if (i < 0) return TS_EINPUT;
    if (i == 2) out->own = 1;
    else if (i > 0) return ts_impute_parse(value, file, &out->impute, err);
    return TS_OK;
}

int ts_norm_parse(const char *value, const char *file, ts_norm *out, ts_error *err) {
    int i = lookup(NORM_NAMES, "normaliser", value, file, 0, err);
    if (i < 0) return TS_EINPUT;
    if (i == TS_NORM_DIST2REF)
        return ts_fail(err, TS_EINPUT, file, 0, "dist2ref needs a reference unit: set it in a config file");
    *out = ts_norm_default();
    out->method = (ts_norm_method)i;
    return TS_OK;
}

int ts_agg_parse(const char *value, const char *file, ts_agg *out, ts_error *err) {
    int i = lookup(AGG_NAMES, "aggregator", value, file, 0, err);
    if (i < 0) return TS_EINPUT;
    *out = ts_agg_default();
    out->method = (ts_agg_method)i;
    if (out->method == TS_AGG_GENMEAN) out->p = 2.0;
    return TS_OK;
}

int ts_treat_parse(const char *value, const char *file, ts_treat *out, ts_error *err) {
    static const char *const names[] = {"none", "winsorise", "coinr", NULL};
    int i = lookup(names, "treatment", value, file, 0, err);
    if (i < 0) return TS_EINPUT;
    *out = i == 0 ? ts_treat_none() : ts_treat_coinr();
    return TS_OK;
}

int ts_impute_parse(const char *value, const char *file, ts_impute *out, ts_error *err) {
    char name[64];
    const char *colon = strchr(value, ':');
    snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - value) : (int)strlen(value), value);
    int i = lookup(IMPUTE_NAMES, "imputation", name, file, 0, err);
    if (i < 0) return TS_EINPUT;
    int grouped = i == TS_IMPUTE_GROUP_MEAN || i == TS_IMPUTE_GROUP_MEDIAN;
    if (grouped && (!colon || !colon[1]))
        return ts_fail(err, TS_EINPUT, file, 0, "%s needs a group: use %s:GROUP", name, name);
    if (!grouped && colon) return ts_fail(err, TS_EINPUT, file, 0, "%s takes no group", name);
    *out = ts_impute_default();
    out->method = (ts_impute_method)i;
    if (grouped) snprintf(out->group, sizeof out->group, "%s", colon + 1);
    return TS_OK;
}
