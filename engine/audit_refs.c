/* audit_refs.c -- reading the `references` list of a scenario's files: the
 * outside series the audit compares the index with. */
#include "audit_refs.h"

#include <libconfig.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static const char *const REF_KEYS[] = {"id", "name", "node", "direction", "year", "source", "note", "values", NULL};
static const char *const REF_VALUE_KEYS[] = {"value", "year", "source", "note", NULL};

void ts_audit_refs_free(ts_audit_refs *r) {
    if (!r) return;
    ts_arena_free(r->arena);
    free(r);
}

/* What a block or a value's own group says about where a value is from. */
typedef struct ref_sourced {
    const char *source, *note;
    int year;
} ref_sourced;

/* Reads year, source and note of g over *io. Returns TS_OK or TS_EINPUT. */
static int read_sourced(const config_setting_t *g, const char *file, ref_sourced *io, ts_error *err) {
    const config_setting_t *y = config_setting_get_member(g, "year");
    const char *v;
    if (y) {
        if (ts_cfg_int(y, file, "year", &io->year, err)) return TS_EINPUT;
        if (io->year < 1900 || io->year > 2100)
            return ts_fail(err, TS_EINPUT, file, ts_cfg_line(y), "year %d is out of range", io->year);
    }
    if (ts_cfg_opt_string(g, "source", file, &v, err)) return TS_EINPUT;
    if (v) io->source = v;
    if (ts_cfg_opt_string(g, "note", file, &v, err)) return TS_EINPUT;
    if (v) io->note = v;
    return TS_OK;
}

/* Returns the series with this id among the first n, or NULL. */
static ts_ref_series *find_series(ts_audit_refs *r, const char *id) {
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->series[i].id, id) == 0) return &r->series[i];
    return NULL;
}

/* Reads the header of block g (id, name, node, direction) into a new or an
 * existing series and returns it through *out. */
static int read_header(ts_audit_refs *r, const ts_scenario *s, const config_setting_t *g, const char *file,
                       ts_ref_series **out, ts_error *err) {
    const char *id, *name, *node, *dir;
    if (ts_cfg_expect_group(g, file, "a reference block", err) || ts_cfg_check_keys(g, REF_KEYS, file, err) ||
        ts_cfg_opt_string(g, "id", file, &id, err) || ts_cfg_opt_string(g, "name", file, &name, err) ||
        ts_cfg_opt_string(g, "node", file, &node, err) || ts_cfg_opt_string(g, "direction", file, &dir, err))
        return TS_EINPUT;
    int line = ts_cfg_line(g);
    if (!id) return ts_fail(err, TS_EINPUT, file, line, "a reference block needs an id");
    if (!ts_valid_id(id))
        return ts_fail(err, TS_EINPUT, file, line,
                       "reference id '%s' must be a letter, then up to 63 letters, digits, '_' or '-'", id);
    int k = ts_taxonomy_root(s->tax), d = 1;
    if (node && (k = ts_taxonomy_find(s->tax, node)) < 0)
        return ts_taxonomy_unknown(s->tax, "node", node, 0, file, ts_cfg_line(config_setting_get_member(g, "node")), err);
    if (dir && strcmp(dir, "risk") != 0 && strcmp(dir, "protective") != 0)
        return ts_fail(err, TS_EINPUT, file, ts_cfg_line(config_setting_get_member(g, "direction")),
                       "direction must be \"risk\" or \"protective\", not '%s'", dir);
    if (dir && strcmp(dir, "protective") == 0) d = -1;
    ts_ref_series *sr = find_series(r, id);
    if (sr) {
        /* a later block of the same series adds years; it may not move it */
        if ((node && sr->node != k) || (dir && sr->direction != d))
            return ts_fail(err, TS_EINPUT, file, line,
                           "reference '%s' names another node or direction than its block on line %d", id, sr->line);
        *out = sr;
        return TS_OK;
    }
    sr = &r->series[r->n++];
    sr->id = ts_arena_strdup(r->arena, id);
    sr->name = ts_arena_strdup(r->arena, name ? name : id);
    sr->file = ts_arena_strdup(r->arena, file);
    sr->line = line;
    sr->node = k;
    sr->direction = d;
    if (!sr->id || !sr->name || !sr->file) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    *out = sr;
    return TS_OK;
}

/* Reports an unknown unit with a "did you mean" among the scenario's. */
static int unknown_unit(const ts_scenario *s, const char *id, const char *file, int line, ts_error *err) {
    const char *hint = ts_suggest(id, s->data->unit_id, (size_t)s->data->n_units);
    if (hint) return ts_fail(err, TS_EINPUT, file, line, "unknown unit '%s' (did you mean '%s'?)", id, hint);
    return ts_fail(err, TS_EINPUT, file, line, "unknown unit '%s' (not in units)", id);
}

/* Reads the values of block g into series sr (its obs array has room). */
static int read_values(ts_audit_refs *r, const ts_scenario *s, const config_setting_t *g, const char *file,
                       ts_ref_series *sr, ts_error *err) {
    ref_sourced block = {0};
    if (read_sourced(g, file, &block, err)) return TS_EINPUT;
    const config_setting_t *values = config_setting_get_member(g, "values");
    if (!values) return ts_fail(err, TS_EINPUT, file, ts_cfg_line(g), "reference '%s' has no values", sr->id);
    if (ts_cfg_expect_group(values, file, "values", err)) return TS_EINPUT;
    int m = config_setting_length(values);
    for (int j = 0; j < m; j++) {
        const config_setting_t *vs = config_setting_get_elem(values, (unsigned)j), *num = vs;
        int line = ts_cfg_line(vs), u = ts_dataset_find_unit(s->data, config_setting_name(vs));
        if (u < 0) return unknown_unit(s, config_setting_name(vs), file, line, err);
        ref_sourced own = block;
        if (config_setting_is_group(vs)) {
            if (ts_cfg_check_keys(vs, REF_VALUE_KEYS, file, err) || read_sourced(vs, file, &own, err)) return TS_EINPUT;
            if (!(num = config_setting_get_member(vs, "value")))
                return ts_fail(err, TS_EINPUT, file, line, "value of reference '%s' for '%s' is missing", sr->id,
                               s->data->unit_id[u]);
        }
        char what[200];
        snprintf(what, sizeof what, "value of reference '%s' for '%s'", sr->id, s->data->unit_id[u]);
        double x;
        if (ts_cfg_number(num, file, what, &x, err)) return TS_EINPUT;
        if (!own.source || !own.source[0]) return ts_fail(err, TS_EINPUT, file, line, "%s has no source", what);
        if (own.year == 0) return ts_fail(err, TS_EINPUT, file, line, "%s has no year", what);
        for (int o = 0; o < sr->n_obs; o++)
            if (sr->obs[o].unit == u && sr->obs[o].year == own.year)
                return ts_fail(err, TS_EINPUT, file, line, "duplicate %s in %d (first on line %d)", what, own.year,
                               sr->obs[o].line);
        ts_ref_obs *ob = &sr->obs[sr->n_obs++];
        ob->unit = u;
        ob->year = own.year;
        ob->value = x;
        ob->line = line;
        ob->source = ts_arena_strdup(r->arena, own.source);
        ob->note = ts_arena_strdup(r->arena, own.note);
        if (!ob->source || (own.note && !ob->note)) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    return TS_OK;
}

/* Reads the list l of file into r. */
static int read_list(ts_audit_refs *r, const ts_scenario *s, const config_setting_t *l, const char *file,
                     ts_error *err) {
    if (ts_cfg_expect_list(l, file, "references", err)) return TS_EINPUT;
    int n_blocks = config_setting_length(l), n_values = 0;
    for (int b = 0; b < n_blocks; b++) {
        const config_setting_t *v = config_setting_get_member(config_setting_get_elem(l, (unsigned)b), "values");
        if (v) n_values += config_setting_length(v);
    }
    r->series = ts_arena_alloc(r->arena, ((size_t)n_blocks + 1) * sizeof *r->series);
    if (!r->series) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    /* every series gets room for every value of the list: lists are short */
    for (int b = 0; b < n_blocks; b++) {
        ts_ref_series *sr = NULL;
        int before = r->n, rc = read_header(r, s, config_setting_get_elem(l, (unsigned)b), file, &sr, err);
        if (rc) return rc;
        if (r->n > before && !(sr->obs = ts_arena_alloc(r->arena, ((size_t)n_values + 1) * sizeof *sr->obs)))
            return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        if ((rc = read_values(r, s, config_setting_get_elem(l, (unsigned)b), file, sr, err))) return rc;
    }
    return TS_OK;
}

int ts_audit_refs_load(const ts_scenario *s, ts_audit_refs **out, ts_error *err) {
    *out = NULL;
    ts_audit_refs *r = calloc(1, sizeof *r);
    if (!r || !(r->arena = ts_arena_new())) {
        free(r);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    int rc = TS_OK;
    /* the nearest file with a references list gives them all, as with the
       uncertainty group: a what-if inherits its baseline's references */
    for (int f = 0; f < s->n_files && rc == TS_OK; f++) {
        config_t cfg;
        config_init(&cfg);
        rc = ts_cfg_read_as(&cfg, s->file_path[f], s->file_read[f], err);
        const config_setting_t *l = rc == TS_OK ? config_lookup(&cfg, "references") : NULL;
        if (l) rc = read_list(r, s, l, s->file_path[f], err);
        config_destroy(&cfg);
        if (l) break;
    }
    if (rc != TS_OK) {
        ts_audit_refs_free(r);
        return rc;
    }
    *out = r;
    return TS_OK;
}

double ts_audit_ref_value(const ts_ref_series *r, int u, int year, int max_age, int *from_year) {
    const ts_ref_obs *best = NULL;
    for (int o = 0; o < r->n_obs; o++) {
        const ts_ref_obs *ob = &r->obs[o];
        if (ob->unit != u) continue;
        if (year > 0 && (ob->year > year || (max_age >= 0 && year - ob->year > max_age))) continue;
        if (!best || ob->year > best->year) best = ob;
    }
    *from_year = best ? best->year : 0;
    return best ? best->value : NAN;
}
