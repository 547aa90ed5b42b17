/* cfg.c -- typed libconfig access with file:line errors. */
#include "cfg.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgalloc.h"
#include "sha256.h"
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

/* Skips a string literal starting at p (on its opening quote), counting
 * lines. Returns the position after the closing quote (or the end). */
static const char *skip_string(const char *p, int *line) {
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        if (*p == '\n') (*line)++;
    }
    return *p ? p + 1 : p;
}

/* Checks every integer literal in text: libconfig 1.5 stores an integer
 * without the suffix L in 32 bits and one with it in 64, and wraps or
 * clamps a literal that does not fit without a word (3000000000 becomes
 * -1294967296, 0xFFFFFFFF becomes -1). Such a literal is refused here with
 * its line, so no wrong value is ever read. Returns TS_OK or TS_EINPUT. */
static int check_integers(const char *text, const char *path, ts_error *err) {
    int line = 1;
    const char *p = text;
    while (*p) {
        char c = *p;
        if (c == '\n') {
            line++;
            p++;
        } else if (c == '"') {
            p = skip_string(p, &line);
        } else if (c == '#' || (c == '/' && p[1] == '/')) {
            while (*p && *p != '\n') p++;
        } else if (c == '/' && p[1] == '*') {
            for (p += 2; *p && !(*p == '*' && p[1] == '/'); p++)
                if (*p == '\n') line++;
            if (*p) p += 2;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*' || c == '_') {
            while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                   *p == '_' || *p == '-' || *p == '*')
                p++; /* a name: digits in it are no number */
        } else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && p[1] >= '0' && p[1] <= '9')) {
            const char *start = p;
            int negative = c == '-';
            if (c == '-' || c == '+') p++;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            const char *digits = hex ? p + 2 : p;
            const char *q = digits;
            while (hex ? ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))
                       : (*q >= '0' && *q <= '9'))
                q++;
            if (!hex && (*q == '.' || *q == 'e' || *q == 'E')) {
                /* a float: libconfig reads it as a double */
                while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
                       ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E')))
                    q++;
                p = q;
                continue;
            }
            int wide = *q == 'L';
            const char *end = q;
            while (*q == 'L') q++;
            /* the value as an unsigned magnitude, saturating */
            unsigned long long v = 0, cap = ~0ULL;
            int overflow = 0;
            for (const char *d = digits; d < end; d++) {
                unsigned digit = (unsigned)(*d <= '9' ? *d - '0' : (*d | 0x20) - 'a' + 10);
                unsigned base = hex ? 16 : 10;
                if (v > (cap - digit) / base) overflow = 1;
                else v = v * base + digit;
            }
            unsigned long long max = wide ? 0x7fffffffffffffffULL : 0x7fffffffULL;
            if (overflow || v > max + (negative && !hex ? 1 : 0)) {
                int n = (int)(end - start);
                char fix[200];
                if (hex && !wide && v <= 0x7fffffffffffffffULL)
                    snprintf(fix, sizeof fix, "write it with the suffix L (%.*sL)", n, start);
                else if (hex)
                    snprintf(fix, sizeof fix, "write it as a decimal number with a decimal point");
                else if (!wide && !overflow && v <= 0x7fffffffffffffffULL)
                    snprintf(fix, sizeof fix, "write it with a decimal point (%.*s.0) or the suffix L (%.*sL)", n,
                             start, n, start);
                else
                    snprintf(fix, sizeof fix, "write it with a decimal point (%.*s.0)", n, start);
                return ts_fail(err, TS_EINPUT, path, line,
                               "integer %.*s does not fit in %s bits, so libconfig would read a wrong value: %s",
                               (int)(q - start), start, wide ? "64" : "32", fix);
            }
            p = q;
        } else {
            p++;
        }
    }
    return TS_OK;
}

/* config_read_string run under ts_cfgalloc_run: one parse, all of whose
 * allocations succeed, or none of its tree is left (cfgalloc.h). */
typedef struct parse_call {
    config_t *cfg;
    const char *text;
    int ok;
} parse_call;

static void parse_text(void *arg) {
    parse_call *c = arg;
    c->ok = config_read_string(c->cfg, c->text);
}

int ts_cfg_read_file(config_t *cfg, const char *path, char sha256_hex[65], char **bytes, size_t *n_bytes,
                     ts_error *err) {
    return ts_cfg_read_file_as(cfg, path, path, sha256_hex, bytes, n_bytes, err);
}

int ts_cfg_read_file_as(config_t *cfg, const char *path, const char *read_path, char sha256_hex[65], char **bytes,
                        size_t *n_bytes, ts_error *err) {
    size_t len;
    if (!path[0] || !read_path[0]) return ts_fail(err, TS_EINPUT, NULL, 0, "empty file name");
    char *text = ts_read_input(read_path, TS_INPUT_CONFIG, &len, err);
    if (!text) {
        if (err && read_path != path) snprintf(err->file, sizeof err->file, "%s", path); /* name it as the user did */
        return err ? err->code : TS_EINPUT;
    }
    if (strlen(text) != len) {
        free(text);
        return ts_fail(err, TS_EINPUT, path, 0, "NUL byte: not a text file");
    }
    if (sha256_hex) ts_sha256_hex(text, len, sha256_hex);
    /* a UTF-8 byte order mark (some Windows editors write one) is skipped,
       as the CSV reader does; the hash is of the file as it is */
    const char *body = strncmp(text, "\xEF\xBB\xBF", 3) == 0 ? text + 3 : text;
    int include_line = find_include(body);
    if (include_line) {
        free(text);
        return ts_fail(err, TS_EINPUT, path, include_line,
                       "@include is not supported: give each file its own settings");
    }
    if (check_integers(body, path, err)) {
        free(text);
        return TS_EINPUT;
    }
    parse_call call = {cfg, body, CONFIG_FALSE};
    int guard = ts_cfgalloc_run(parse_text, &call);
    if (guard != TS_CFGALLOC_OK) {
        /* the tree libconfig was building went with the call; a zeroed
           config is one config_destroy accepts */
        free(text);
        memset(cfg, 0, sizeof *cfg);
        return ts_fail(err, TS_ESYSTEM, path, 0, "%s",
                       guard == TS_CFGALLOC_NOMEM ? "out of memory" : "libconfig failed while reading (scanner error)");
    }
    if (call.ok != CONFIG_TRUE) {
        /* libconfig's text is usually just "syntax error" */
        const char *why = config_error_text(cfg);
        free(text);
        if (!why) why = "not a valid libconfig file";
        return ts_fail(err, TS_EINPUT, path, config_error_line(cfg), "%s%s", strstr(why, "syntax error") ? "" : "syntax error: ", why);
    }
    if (bytes) {
        *bytes = text;
        *n_bytes = len;
    } else {
        free(text);
    }
    return TS_OK;
}

int ts_cfg_read(config_t *cfg, const char *path, ts_error *err) {
    return ts_cfg_read_file(cfg, path, NULL, NULL, NULL, err);
}

int ts_cfg_read_as(config_t *cfg, const char *path, const char *read_path, ts_error *err) {
    return ts_cfg_read_file_as(cfg, path, read_path, NULL, NULL, NULL, err);
}

int ts_cfg_opt_bool(const config_setting_t *group, const char *name, const char *file, int *out, int *present,
                    ts_error *err) {
    const config_setting_t *s = config_setting_get_member(group, name);
    *present = s != NULL;
    if (!s) return TS_OK;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be true or false", name);
    *out = config_setting_get_bool(s);
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
    if (!ts_number_ok(v))
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s),
                       "%s is %g: a number must be 0 or between %g and %g in size", what, v, TS_NUMBER_MIN,
                       TS_NUMBER_MAX);
    *out = v;
    return TS_OK;
}

int ts_cfg_int(const config_setting_t *s, const char *file, const char *what,
               int *out, ts_error *err) {
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_INT64) {
        /* 2020L is an integer too; only its size can be wrong */
        long long v = config_setting_get_int64(s);
        if (v < INT_MIN || v > INT_MAX)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s is out of range (%lld)", what, v);
        *out = (int)v;
        return TS_OK;
    }
    if (type != CONFIG_TYPE_INT)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(s), "%s must be an integer, not %s",
                       what, type_name(type));
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
