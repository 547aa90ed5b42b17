/* method.c -- method names and their parsing from config settings. */
#include "method.h"

#include <string.h>

#include "cfg.h"
#include "util.h"

static const char *const NORM_NAMES[] = {"minmax", "zscore", "rank", NULL};
static const char *const AGG_NAMES[] = {"arithmetic", "geometric", "harmonic", NULL};
static const char *const TRANSFORM_NAMES[] = {"none", "log", "log1p", NULL};

const char *ts_norm_name(ts_norm_method m) { return NORM_NAMES[m]; }
const char *ts_agg_name(ts_agg a) { return AGG_NAMES[a]; }
const char *ts_transform_name(ts_transform t) { return TRANSFORM_NAMES[t]; }

/* Finds name in the NULL-terminated names; on failure fills err with the
 * list of choices and a suggestion. Returns the index or -1. */
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

int ts_agg_parse(const char *name, const char *file, int line, ts_agg *out, ts_error *err) {
    int i = lookup(AGG_NAMES, "aggregator", name, file, line, err);
    if (i < 0) return TS_EINPUT;
    *out = (ts_agg)i;
    return TS_OK;
}

int ts_transform_parse(const char *name, const char *file, int line, ts_transform *out,
                       ts_error *err) {
    int i = lookup(TRANSFORM_NAMES, "transform", name, file, line, err);
    if (i < 0) return TS_EINPUT;
    *out = (ts_transform)i;
    return TS_OK;
}

int ts_norm_method_parse(const char *name, const char *file, int line, ts_norm_method *out,
                         ts_error *err) {
    int i = lookup(NORM_NAMES, "normaliser", name, file, line, err);
    if (i < 0) return TS_EINPUT;
    *out = (ts_norm_method)i;
    return TS_OK;
}

ts_norm ts_norm_default(void) {
    ts_norm n = {TS_NORM_MINMAX, 0, 0.0, 1.0, 0.0, 1.0};
    return n;
}

int ts_norm_from_setting(const config_setting_t *s, const char *file, ts_norm *out,
                         ts_error *err) {
    ts_norm n = ts_norm_default();
    const char *name;
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (ts_cfg_string(s, file, "normalise", &name, err)) return TS_EINPUT;
        if (ts_norm_method_parse(name, file, ts_cfg_line(s), &n.method, err)) return TS_EINPUT;
        *out = n;
        return TS_OK;
    }
    if (ts_cfg_expect_group(s, file, "normalise", err)) return TS_EINPUT;
    static const char *const keys[] = {"method", "range", "mean", "sd", NULL};
    if (ts_cfg_check_keys(s, keys, file, err)) return TS_EINPUT;
    const config_setting_t *m = config_setting_get_member(s, "method");
    if (!m) return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "normalise needs a method");
    if (ts_cfg_string(m, file, "method", &name, err)) return TS_EINPUT;
    if (ts_norm_method_parse(name, file, ts_cfg_line(m), &n.method, err)) return TS_EINPUT;
    const config_setting_t *r = config_setting_get_member(s, "range");
    if (r) {
        if (n.method != TS_NORM_MINMAX)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(r), "range applies to minmax only");
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
    int has_mean = 0, has_sd = 0;
    if (ts_cfg_opt_number(s, "mean", file, &n.mean, &has_mean, err) ||
        ts_cfg_opt_number(s, "sd", file, &n.sd, &has_sd, err))
        return TS_EINPUT;
    if ((has_mean || has_sd) && n.method != TS_NORM_ZSCORE)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "mean and sd apply to zscore only");
    if (!(n.sd > 0))
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "zscore sd must be positive");
    *out = n;
    return TS_OK;
}

int ts_agg_from_setting(const config_setting_t *s, const char *file, ts_agg *out, ts_error *err) {
    const char *name;
    if (ts_cfg_string(s, file, "aggregate", &name, err)) return TS_EINPUT;
    return ts_agg_parse(name, file, ts_cfg_line(s), out, err);
}

int ts_transform_from_setting(const config_setting_t *s, const char *file, ts_transform *out,
                              ts_error *err) {
    const char *name;
    if (ts_cfg_string(s, file, "transform", &name, err)) return TS_EINPUT;
    return ts_transform_parse(name, file, ts_cfg_line(s), out, err);
}
