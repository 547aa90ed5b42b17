/* cfg.c -- typed libconfig access with file:line errors. */
#include "cfg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgalloc.h"
#include "util.h"

/* Returns the 1-based line of the first @include directive in text, or 0.
 * Includes would let a config file pull in any file on the machine (or
 * /dev/zero), so they are refused. */
static int find_include(const char *text) {
    int line = 1;
    for (const char *p = text; *p; p++) {
        const char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (strncmp(q, "@include", 8) == 0) return line;
        p = strchr(q, '\n');
        if (!p) break;
        line++;
    }
    return 0;
}

typedef struct parse_call {
    config_t *cfg;
    const char *text;
    int ok;
} parse_call;

static void parse_text(void *arg) {
    parse_call *c = arg;
    c->ok = config_read_string(c->cfg, c->text);
}

int ts_cfg_read(config_t *cfg, const char *path, ts_error *err) {
    size_t len;
    char *text = ts_read_file(path, &len);
    if (!text) return ts_fail_read(err, path, "cannot open", errno);
    if (strlen(text) != len) {
        free(text);
        return ts_fail(err, TS_EINPUT, path, 0, "NUL byte: not a text file");
    }
    int include_line = find_include(text);
    if (include_line) {
        free(text);
        return ts_fail(err, TS_EINPUT, path, include_line,
                       "@include is not supported: give each file its own settings");
    }
    parse_call call = {cfg, text, CONFIG_FALSE};
    int guard = ts_cfgalloc_run(parse_text, &call);
    free(text);
    if (guard != TS_CFGALLOC_OK) {
        /* the tree libconfig was building went with the call; a zeroed
           config is one config_destroy accepts */
        memset(cfg, 0, sizeof *cfg);
        return ts_fail(err, TS_ESYSTEM, path, 0, guard == TS_CFGALLOC_NOMEM ? "out of memory"
                       : "libconfig failed while reading (scanner error)");
    }
    if (call.ok != CONFIG_TRUE)
        return ts_fail(err, TS_EINPUT, path, config_error_line(cfg), "syntax error: %s",
                       config_error_text(cfg));
    return TS_OK;
}

int ts_cfg_line(const config_setting_t *s) {
    return s ? (int)config_setting_source_line(s) : 0;
}

int ts_cfg_check_keys(const config_setting_t *group, const char *const *allowed,
                      const char *file, ts_error *err) {
    int n = config_setting_length(group);
    size_t n_allowed = 0;
    while (allowed[n_allowed]) n_allowed++;
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(m);
        if (!name) continue;
        int known = 0;
        for (size_t k = 0; k < n_allowed && !known; k++) known = strcmp(name, allowed[k]) == 0;
        if (known) continue;
        const char *hint = ts_suggest(name, allowed, n_allowed);
        if (hint)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(m),
                           "unknown key '%s' (did you mean '%s'?)", name, hint);
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(m), "unknown key '%s'", name);
    }
    return TS_OK;
}

static const char *type_name(int type) {
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "an unknown type";
    }
}

int ts_cfg_number(const config_setting_t *s, const char *file, const char *what,
                  double *out, ts_error *err) {
    double v;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = (double)config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT: v = config_setting_get_float(s); break;
    default:
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be a number, not %s",
                       what, type_name(config_setting_type(s)));
    }
    if (!isfinite(v))
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s is not a finite number", what);
    *out = v;
    return TS_OK;
}

int ts_cfg_int(const config_setting_t *s, const char *file, const char *what,
               int *out, ts_error *err) {
    if (config_setting_type(s) != CONFIG_TYPE_INT)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be an integer, not %s",
                       what, type_name(config_setting_type(s)));
    *out = config_setting_get_int(s);
    return TS_OK;
}

int ts_cfg_string(const config_setting_t *s, const char *file, const char *what,
                  const char **out, ts_error *err) {
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be a string, not %s",
                       what, type_name(config_setting_type(s)));
    const char *v = config_setting_get_string(s);
    if (!ts_utf8_valid(v, strlen(v), NULL))
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s is not valid UTF-8", what);
    *out = v;
    return TS_OK;
}

int ts_cfg_opt_string(const config_setting_t *group, const char *name,
                      const char *file, const char **out, ts_error *err) {
    const config_setting_t *s = config_setting_get_member(group, name);
    if (!s) {
        *out = NULL;
        return TS_OK;
    }
    return ts_cfg_string(s, file, name, out, err);
}

int ts_cfg_opt_number(const config_setting_t *group, const char *name,
                      const char *file, double *out, int *present, ts_error *err) {
    const config_setting_t *s = config_setting_get_member(group, name);
    if (present) *present = s != NULL;
    if (!s) return TS_OK;
    return ts_cfg_number(s, file, name, out, err);
}

int ts_cfg_expect_group(const config_setting_t *s, const char *file,
                        const char *what, ts_error *err) {
    if (config_setting_is_group(s)) return TS_OK;
    return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be a group { ... }, not %s",
                   what, type_name(config_setting_type(s)));
}

int ts_cfg_expect_list(const config_setting_t *s, const char *file,
                       const char *what, ts_error *err) {
    if (config_setting_is_aggregate(s) && !config_setting_is_group(s)) return TS_OK;
    return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be a list ( ... ) or array [ ... ], not %s",
                   what, type_name(config_setting_type(s)));
}
