/* scenario.c -- reading scenario files: the extends chain, units, sourced
 * values, weight and method overrides (shocks: shock.c, PCA weights: pca.c);
 * and building a scenario from a taxonomy plus a CSV. */
#include "scenario.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cfg.h"
#include "csv.h"
#include "pca.h"
#include "sha256.h"
#include "shock.h"

static const char *const SCENARIO_KEYS[] = {"name", "description", "taxonomy", "extends", "units",
                                            "data", "weights", "country_weights", "weight_sets", "method",
                                            "node_methods", "shocks", "perspective", "uncertainty",
                                            "references", NULL};
static const char *const BLOCK_KEYS[] = {"indicator", "year", "source", "note", "estimate",
                                         "values", NULL};
static const char *const VALUE_KEYS[] = {"value", "year", "source", "note", "estimate",
                                         "alternatives", NULL};
static const char *const METHOD_KEYS[] = {"normalise", "aggregate", "treat", "impute", "data_threshold",
                                          "screen", "weights", "denominate", "year", "max_age",
                                          "interpolate", NULL};
static const char *const NODE_METHOD_KEYS[] = {"normalise", "aggregate", "treat", "impute", "data_threshold",
                                               NULL};

#define MAX_CHAIN 16

/* One file of an extends chain: read here, or borrowed from a cache. */
typedef struct chain_file {
    config_t cfg;
    config_t *cfgp;     /* the settings: &cfg, or the cached file's */
    ts_cached_file *cached; /* NULL when read here */
    const char *path;   /* arena copy: also the identity of the file in provenance */
    const char *read;   /* where its text is: path, or the copy of standard input */
    char sha256[65];
    char *real;         /* realpath, for cycle detection */
    char *bytes;        /* the bytes parsed, hashed into the chain's hash */
    size_t n_bytes;
} chain_file;

typedef struct loader {
    ts_scenario *s;
    const char *file;
    ts_error *err;
    int pca_pending;   /* weights = "pca": computed once the values are in */
    ts_load_cache *cache; /* NULL: read every file here */
} loader;

static int oom(loader *L) {
    return ts_fail(L->err, TS_ESYSTEM, L->file, 0, "out of memory");
}

static ts_scenario *scenario_new(ts_error *err) {
    ts_scenario *s = calloc(1, sizeof *s);
    if (s && !(s->arena = ts_arena_new())) {
        free(s);
        s = NULL;
    }
    if (!s) ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    return s;
}

void ts_scenario_free(ts_scenario *s) {
    if (!s) return;
    ts_spec_free(s->spec);
    ts_dataset_free(s->data);
    if (!s->tax_borrowed) ts_taxonomy_free(s->tax);
    ts_arena_free(s->arena);
    free(s);
}

/* Reports an unknown unit id with a suggestion from the scenario's units. */
static int unknown_unit(loader *L, const char *id, int line) {
    return ts_dataset_unknown_unit(L->s->data, id, L->file, line, L->err);
}

/* Reads a unit's groups = { NAME = "label"; } and denominators =
 * { NAME = number; }. */
static int parse_unit_extras(loader *L, const config_setting_t *g, int u) {
    ts_dataset *d = L->s->data;
    const config_setting_t *s;
    if ((s = config_setting_get_member(g, "groups"))) {
        if (ts_cfg_expect_group(s, L->file, "groups", L->err)) return TS_EINPUT;
        for (int j = 0; j < config_setting_length(s); j++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)j);
            const char *label;
            if (ts_cfg_string(e, L->file, "a group label", &label, L->err)) return TS_EINPUT;
            int k = ts_dataset_add_group(d, config_setting_name(e));
            if (k < 0 || !(d->group[(size_t)k * (size_t)d->n_units + (size_t)u] = ts_arena_strdup(d->arena, label)))
                return oom(L);
        }
    }
    if ((s = config_setting_get_member(g, "denominators"))) {
        if (ts_cfg_expect_group(s, L->file, "denominators", L->err)) return TS_EINPUT;
        for (int j = 0; j < config_setting_length(s); j++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)j);
            double x;
            if (ts_cfg_number(e, L->file, "a denominator", &x, L->err)) return TS_EINPUT;
            int k = ts_dataset_add_denominator(d, config_setting_name(e));
            if (k < 0) return oom(L);
            d->denominator[(size_t)k * (size_t)d->n_units + (size_t)u] = x;
        }
    }
    return TS_OK;
}

/* Reads the units of every file in the chain, root first, into a new
 * dataset: a scenario adds units to those it extends. */
static int parse_units(loader *L, chain_file *files, int n_files) {
    int total = 0;
    for (int f = n_files - 1; f >= 0; f--) {
        const config_setting_t *units = config_setting_get_member(config_root_setting(files[f].cfgp), "units");
        L->file = files[f].path;
        if (!units) continue;
        if (ts_cfg_expect_list(units, L->file, "units", L->err)) return TS_EINPUT;
        if (config_setting_length(units) == 0)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(units), "units is empty");
        total += config_setting_length(units);
    }
    if (total == 0) return ts_fail(L->err, TS_EINPUT, files[n_files - 1].path, 0, "scenario has no units");
    ts_dataset *d = ts_dataset_new(total, L->s->tax->n_indicators, 1);
    if (!d) return oom(L);
    L->s->data = d;
    int u = 0;
    for (int f = n_files - 1; f >= 0; f--) {
        const config_setting_t *units = config_setting_get_member(config_root_setting(files[f].cfgp), "units");
        L->file = files[f].path;
        for (int j = 0; units && j < config_setting_length(units); j++, u++) {
            const config_setting_t *g = config_setting_get_elem(units, (unsigned)j);
            static const char *const keys[] = {"id", "name", "groups", "denominators", NULL};
            const char *id, *name;
            if (ts_cfg_expect_group(g, L->file, "a unit", L->err) ||
                ts_cfg_check_keys(g, keys, L->file, L->err) ||
                ts_cfg_opt_string(g, "id", L->file, &id, L->err) ||
                ts_cfg_opt_string(g, "name", L->file, &name, L->err))
                return TS_EINPUT;
            if (!id) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(g), "a unit needs an id");
            if (!ts_valid_id(id))
                return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(g),
                               "invalid unit id '%s': use a letter then letters, digits, '_' or '-'", id);
            if (ts_dataset_find_unit(d, id) >= 0)
                return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(g), "duplicate unit '%s'", id);
            d->unit_id[u] = ts_arena_strdup(d->arena, id);
            d->unit_name[u] = ts_arena_strdup(d->arena, name ? name : id);
            if (!d->unit_id[u] || !d->unit_name[u]) return oom(L);
            if (parse_unit_extras(L, g, u)) return TS_EINPUT;
        }
    }
    return TS_OK;
}

/* Provenance fields shared by data blocks and single values. */
typedef struct sourced {
    const char *source, *note;
    int year, estimate;
} sourced;

/* Reads year, source, note and estimate from g over the defaults in *io. */
static int parse_sourced(loader *L, const config_setting_t *g, sourced *io) {
    const config_setting_t *s;
    const char *v;
    if ((s = config_setting_get_member(g, "year"))) {
        if (ts_cfg_int(s, L->file, "year", &io->year, L->err)) return TS_EINPUT;
        if (io->year < 1900 || io->year > 2100)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "year %d is out of range", io->year);
    }
    if (ts_cfg_opt_string(g, "source", L->file, &v, L->err)) return TS_EINPUT;
    if (v) io->source = v;
    if (ts_cfg_opt_string(g, "note", L->file, &v, L->err)) return TS_EINPUT;
    if (v) io->note = v;
    if ((s = config_setting_get_member(g, "estimate"))) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "estimate must be true or false");
        io->estimate = config_setting_get_bool(s);
    }
    return TS_OK;
}

static int parse_alternatives(loader *L, const config_setting_t *s, ts_provenance *p) {
    if (ts_cfg_expect_list(s, L->file, "alternatives", L->err)) return TS_EINPUT;
    int n = config_setting_length(s);
    ts_observation *obs = ts_arena_alloc(L->s->data->arena, (size_t)(n + 1) * sizeof *obs);
    if (!obs) return oom(L);
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
        static const char *const keys[] = {"value", "year", "source", NULL};
        const config_setting_t *v;
        const char *src;
        if (ts_cfg_expect_group(g, L->file, "an alternative", L->err) ||
            ts_cfg_check_keys(g, keys, L->file, L->err))
            return TS_EINPUT;
        if (!(v = config_setting_get_member(g, "value")) ||
            !config_setting_get_member(g, "year") || !config_setting_get_member(g, "source"))
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(g),
                           "an alternative needs value, year and source");
        if (ts_cfg_number(v, L->file, "value", &obs[i].value, L->err) ||
            ts_cfg_int(config_setting_get_member(g, "year"), L->file, "year", &obs[i].year, L->err) ||
            ts_cfg_opt_string(g, "source", L->file, &src, L->err))
            return TS_EINPUT;
        if (!(obs[i].source = ts_arena_strdup(L->s->data->arena, src))) return oom(L);
    }
    p->alternatives = obs;
    p->n_alternatives = n;
    return TS_OK;
}

/* Stores one value of indicator i for unit u, keeping the latest year. */
static int store_value(loader *L, const config_setting_t *vs, int i, int u, const sourced *block) {
    ts_dataset *d = L->s->data;
    const char *ind_id = L->s->tax->nodes[L->s->tax->indicator_node[i]].id;
    sourced sv = *block;
    const config_setting_t *num = vs;
    if (config_setting_is_group(vs)) {
        if (ts_cfg_check_keys(vs, VALUE_KEYS, L->file, L->err) || parse_sourced(L, vs, &sv))
            return TS_EINPUT;
        num = config_setting_get_member(vs, "value");
        if (!num)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(vs), "value of '%s' for '%s' is missing",
                           ind_id, d->unit_id[u]);
    }
    char what[160];
    snprintf(what, sizeof what, "value of '%s' for '%s'", ind_id, d->unit_id[u]);
    double x;
    if (ts_cfg_number(num, L->file, what, &x, L->err)) return TS_EINPUT;
    int line = ts_cfg_line(vs);
    if (!sv.source || !sv.source[0])
        return ts_fail(L->err, TS_EINPUT, L->file, line, "%s has no source", what);
    if (sv.year == 0) return ts_fail(L->err, TS_EINPUT, L->file, line, "%s has no year", what);
    if (sv.estimate && (!sv.note || !sv.note[0]))
        return ts_fail(L->err, TS_EINPUT, L->file, line, "%s is an estimate without a note giving its reasoning",
                       what);
    size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
    for (int j = d->cell_head[c]; j >= 0; j = d->obs[j].next) {
        ts_obs *o = &d->obs[j];
        if (o->removed || o->prov.year != sv.year) continue;
        /* the same year twice in one file is a mistake; a scenario that
           extends another overrides its parent's value instead */
        if (o->prov.file == L->file)
            return ts_fail(L->err, TS_EINPUT, L->file, line, "duplicate %s in %d (first on line %d)", what, sv.year,
                           o->prov.line);
        o->removed = 1;
    }
    ts_obs *o = ts_dataset_add_obs(d, c, x);
    if (!o) return oom(L);
    ts_provenance *p = &o->prov;
    p->source = ts_arena_strdup(d->arena, sv.source);
    p->note = ts_arena_strdup(d->arena, sv.note);
    p->file = L->file;
    p->line = line;
    p->year = sv.year;
    p->flags = sv.estimate ? TS_VALUE_ESTIMATE : 0;
    if (!p->source || (sv.note && !p->note)) return oom(L);
    const config_setting_t *alt;
    if (config_setting_is_group(vs) && (alt = config_setting_get_member(vs, "alternatives")))
        return parse_alternatives(L, alt, p);
    return TS_OK;
}

static int parse_data(loader *L, const config_setting_t *data) {
    if (!data) return TS_OK;
    if (ts_cfg_expect_list(data, L->file, "data", L->err)) return TS_EINPUT;
    const ts_taxonomy *t = L->s->tax;
    int n = config_setting_length(data);
    for (int b = 0; b < n; b++) {
        const config_setting_t *g = config_setting_get_elem(data, (unsigned)b);
        const char *ind;
        if (ts_cfg_expect_group(g, L->file, "a data block", L->err) ||
            ts_cfg_check_keys(g, BLOCK_KEYS, L->file, L->err) ||
            ts_cfg_opt_string(g, "indicator", L->file, &ind, L->err))
            return TS_EINPUT;
        if (!ind) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(g), "a data block needs an indicator");
        int k = ts_taxonomy_find(t, ind);
        if (k < 0 || t->nodes[k].indicator < 0)
            return ts_taxonomy_unknown(t, "indicator", ind, 1, L->file,
                                       ts_cfg_line(config_setting_get_member(g, "indicator")), L->err);
        sourced block = {0};
        if (parse_sourced(L, g, &block)) return TS_EINPUT;
        const config_setting_t *values = config_setting_get_member(g, "values");
        if (!values)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(g), "data block for '%s' has no values", ind);
        if (ts_cfg_expect_group(values, L->file, "values", L->err)) return TS_EINPUT;
        int m = config_setting_length(values);
        for (int j = 0; j < m; j++) {
            const config_setting_t *vs = config_setting_get_elem(values, (unsigned)j);
            int u = ts_dataset_find_unit(L->s->data, config_setting_name(vs));
            if (u < 0) return unknown_unit(L, config_setting_name(vs), ts_cfg_line(vs));
            if (store_value(L, vs, t->nodes[k].indicator, u, &block)) return TS_EINPUT;
        }
    }
    return TS_OK;
}

/* Reads a { node = weight; } group; u < 0 sets the global weights. */
static int parse_weight_group(loader *L, const config_setting_t *g, int u) {
    const ts_taxonomy *t = L->s->tax;
    if (ts_cfg_expect_group(g, L->file, "weights", L->err)) return TS_EINPUT;
    int n = config_setting_length(g);
    for (int j = 0; j < n; j++) {
        const config_setting_t *w = config_setting_get_elem(g, (unsigned)j);
        const char *id = config_setting_name(w);
        int k = ts_taxonomy_find(t, id);
        if (k < 0) return ts_taxonomy_unknown(t, "node", id, 0, L->file, ts_cfg_line(w), L->err);
        if (k == ts_taxonomy_root(t))
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(w), "the index '%s' has no weight to set", id);
        double x;
        char what[120];
        snprintf(what, sizeof what, "weight of '%s'", id);
        if (ts_cfg_number(w, L->file, what, &x, L->err)) return TS_EINPUT;
        if (x < 0) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(w), "%s is negative (%g)", what, x);
        if (u < 0)
            L->s->spec->weight[k] = x;
        else if (ts_spec_set_unit_weight(L->s->spec, u, k, x))
            return oom(L);
    }
    return TS_OK;
}

/* Applies a weight set by name: "equal" (every weight 1) or one of the
 * weight_sets groups of the chain (nearest file first). */
static int apply_weight_set(loader *L, const config_setting_t *s, chain_file *files, int n_files);

/* Reads a method group into every node (k < 0) or into node k: aggregate
 * and data_threshold act on k itself, normalise, treat and impute on the
 * indicators under k. */
static int parse_method_group(loader *L, const config_setting_t *g, int k, chain_file *files, int n_files) {
    ts_spec *sp = L->s->spec;
    const ts_taxonomy *t = L->s->tax;
    const config_setting_t *s;
    if (ts_cfg_expect_group(g, L->file, "method", L->err) ||
        ts_cfg_check_keys(g, k < 0 ? METHOD_KEYS : NODE_METHOD_KEYS, L->file, L->err))
        return TS_EINPUT;
    if ((s = config_setting_get_member(g, "aggregate"))) {
        ts_agg a;
        if (ts_agg_from_setting(s, L->file, &a, L->err)) return TS_EINPUT;
        for (int j = 0; j < sp->n_nodes; j++)
            if (k < 0 || j == k) sp->agg[j] = a;
    }
    if ((s = config_setting_get_member(g, "data_threshold"))) {
        double x;
        if (ts_cfg_number(s, L->file, "data_threshold", &x, L->err)) return TS_EINPUT;
        if (x < 0 || x > 1) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "data_threshold must be between 0 and 1");
        for (int j = 0; j < sp->n_nodes; j++)
            if (k < 0 || j == k) sp->data_threshold[j] = x;
    }
    if ((s = config_setting_get_member(g, "normalise"))) {
        ts_norm n;
        if (ts_norm_from_setting(s, L->file, &n, L->err)) return TS_EINPUT;
        for (int j = 0; j < sp->n_nodes; j++)
            if (k < 0 || ts_taxonomy_in_subtree(t, j, k)) sp->norm[j] = n;
    }
    if ((s = config_setting_get_member(g, "treat"))) {
        ts_treat tr;
        if (ts_treat_from_setting(s, L->file, &tr, L->err)) return TS_EINPUT;
        for (int j = 0; j < sp->n_nodes; j++)
            if (k < 0 || ts_taxonomy_in_subtree(t, j, k)) sp->treat[j] = tr;
    }
    if ((s = config_setting_get_member(g, "impute"))) {
        ts_impute im;
        if (ts_impute_from_setting(s, L->file, &im, L->err)) return TS_EINPUT;
        for (int j = 0; j < sp->n_nodes; j++)
            if (k < 0 || ts_taxonomy_in_subtree(t, j, k)) sp->impute[j] = im;
    }
    if ((s = config_setting_get_member(g, "screen"))) {
        if (ts_cfg_number(s, L->file, "screen", &sp->screen, L->err)) return TS_EINPUT;
        if (sp->screen < 0 || sp->screen > 1)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "screen must be between 0 and 1");
    }
    if ((s = config_setting_get_member(g, "weights")) && apply_weight_set(L, s, files, n_files)) return TS_EINPUT;
    if ((s = config_setting_get_member(g, "year"))) {
        if (ts_cfg_int(s, L->file, "year", &sp->year, L->err)) return TS_EINPUT;
        if (sp->year < 1900 || sp->year > 2100)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "year %d is out of range", sp->year);
    }
    if ((s = config_setting_get_member(g, "max_age"))) {
        if (ts_cfg_int(s, L->file, "max_age", &sp->max_age, L->err)) return TS_EINPUT;
        if (sp->max_age < 0) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "max_age must be >= 0");
    }
    if ((s = config_setting_get_member(g, "interpolate"))) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "interpolate must be true or false");
        sp->interpolate = config_setting_get_bool(s);
    }
    if ((s = config_setting_get_member(g, "denominate"))) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(s), "denominate must be true or false");
        sp->denominate = config_setting_get_bool(s);
    }
    return TS_OK;
}

static int apply_weight_set(loader *L, const config_setting_t *s, chain_file *files, int n_files) {
    (void)files;
    (void)n_files;
    const char *name;
    if (ts_cfg_string(s, L->file, "weights", &name, L->err)) return TS_EINPUT;
    L->pca_pending = 0;
    if (strcmp(name, "pca") == 0) {
        L->pca_pending = 1;
        snprintf(L->s->spec->weight_set, sizeof L->s->spec->weight_set, "pca");
        return TS_OK;
    }
    return ts_scenario_use_weights(L->s, name, L->file, ts_cfg_line(s), L->err);
}

/* Reads every weight_sets group of the chain, root first, so a nearer file
 * replaces a set of the same name. */
static int parse_weight_sets(loader *L, chain_file *files, int n_files) {
    ts_scenario *s = L->s;
    const ts_taxonomy *t = s->tax;
    int total = 0;
    for (int f = 0; f < n_files; f++) {
        const config_setting_t *g = config_setting_get_member(config_root_setting(files[f].cfgp), "weight_sets");
        if (g) {
            L->file = files[f].path;
            if (ts_cfg_expect_group(g, L->file, "weight_sets", L->err)) return TS_EINPUT;
            total += config_setting_length(g);
        }
    }
    s->weight_sets = ts_arena_alloc(s->arena, (size_t)(total + 1) * sizeof *s->weight_sets);
    if (!s->weight_sets) return oom(L);
    for (int f = n_files - 1; f >= 0; f--) {
        const config_setting_t *g = config_setting_get_member(config_root_setting(files[f].cfgp), "weight_sets");
        L->file = files[f].path;
        for (int j = 0; g && j < config_setting_length(g); j++) {
            const config_setting_t *set = config_setting_get_elem(g, (unsigned)j);
            const char *name = config_setting_name(set);
            if (strcmp(name, "equal") == 0 || strcmp(name, "pca") == 0)
                return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(set), "'%s' is a built-in weight set", name);
            if (ts_cfg_expect_group(set, L->file, "a weight set", L->err)) return TS_EINPUT;
            ts_weight_set *ws = NULL;
            for (int q = 0; q < s->n_weight_sets && !ws; q++)
                if (strcmp(s->weight_sets[q].name, name) == 0) ws = &s->weight_sets[q];
            if (!ws) ws = &s->weight_sets[s->n_weight_sets++];
            int n = config_setting_length(set);
            ws->name = ts_arena_strdup(s->arena, name);
            ws->node = ts_arena_alloc(s->arena, (size_t)(n + 1) * sizeof *ws->node);
            ws->weight = ts_arena_alloc(s->arena, (size_t)(n + 1) * sizeof *ws->weight);
            if (!ws->name || !ws->node || !ws->weight) return oom(L);
            ws->n = n;
            for (int m = 0; m < n; m++) {
                const config_setting_t *w = config_setting_get_elem(set, (unsigned)m);
                int k = ts_taxonomy_find(t, config_setting_name(w));
                if (k < 0) return ts_taxonomy_unknown(t, "node", config_setting_name(w), 0, L->file, ts_cfg_line(w), L->err);
                if (k == ts_taxonomy_root(t))
                    return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(w), "the index '%s' has no weight to set",
                                   config_setting_name(w));
                ws->node[m] = k;
                if (ts_cfg_number(w, L->file, "a weight", &ws->weight[m], L->err)) return TS_EINPUT;
                if (ws->weight[m] < 0)
                    return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(w), "weight of '%s' is negative (%g)",
                                   config_setting_name(w), ws->weight[m]);
            }
        }
    }
    return TS_OK;
}

int ts_scenario_use_weights(ts_scenario *s, const char *name, const char *file, int line, ts_error *err) {
    ts_spec *sp = s->spec;
    if (strcmp(name, "pca") == 0) {
        if (ts_pca_set_weights(s, err)) return err->code;
    } else if (strcmp(name, "equal") == 0) {
        for (int k = 0; k < sp->n_nodes; k++) sp->weight[k] = 1.0;
    } else {
        const ts_weight_set *ws = NULL;
        for (int q = 0; q < s->n_weight_sets && !ws; q++)
            if (strcmp(s->weight_sets[q].name, name) == 0) ws = &s->weight_sets[q];
        if (!ws) {
            const char **names = malloc((size_t)(s->n_weight_sets + 2) * sizeof *names);
            const char *hint = NULL;
            if (names) {
                names[0] = "equal";
                names[1] = "pca";
                for (int q = 0; q < s->n_weight_sets; q++) names[q + 2] = s->weight_sets[q].name;
                hint = ts_suggest(name, names, (size_t)s->n_weight_sets + 2);
            }
            if (hint) ts_fail(err, TS_EINPUT, file, line, "unknown weight set '%s' (did you mean '%s'?)", name, hint);
            else ts_fail(err, TS_EINPUT, file, line, "unknown weight set '%s' (define it in weight_sets, or use 'equal' or 'pca')", name);
            free(names);
            return TS_EINPUT;
        }
        for (int m = 0; m < ws->n; m++) sp->weight[ws->node[m]] = ws->weight[m];
    }
    snprintf(sp->weight_set, sizeof sp->weight_set, "%s", name);
    return TS_OK;
}

/* Applies perspective name; rename appends it to the scenario's name. */
static int apply_perspective(ts_scenario *s, const char *name, int rename, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    const ts_perspective *ps = NULL;
    for (int j = 0; j < t->n_perspectives && !ps; j++)
        if (strcmp(t->perspectives[j].name, name) == 0) ps = &t->perspectives[j];
    if (!ps) {
        const char **names = malloc((size_t)(t->n_perspectives + 1) * sizeof *names);
        const char *hint = NULL;
        if (names) {
            for (int j = 0; j < t->n_perspectives; j++) names[j] = t->perspectives[j].name;
            hint = ts_suggest(name, names, (size_t)t->n_perspectives);
        }
        if (hint) ts_fail(err, TS_EINPUT, t->path, 0, "unknown perspective '%s' (did you mean '%s'?)", name, hint);
        else ts_fail(err, TS_EINPUT, t->path, 0, "unknown perspective '%s' (the taxonomy defines %d)", name, t->n_perspectives);
        free(names);
        return TS_EINPUT;
    }
    for (int m = 0; m < ps->n; m++) s->spec->weight[ps->node[m]] = ps->weight[m];
    if (ts_spec_check_weights(s->spec, t, s->data->unit_id, t->path, 0, err)) return TS_EINPUT;
    s->perspective = ps->name;
    if (!rename) return TS_OK;
    size_t n = strlen(s->name) + strlen(name) + 20;
    char *renamed = ts_arena_alloc(s->arena, n);
    if (!renamed) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    snprintf(renamed, n, "%s (perspective %s)", s->name, name);
    s->name = renamed;
    return TS_OK;
}

int ts_scenario_apply_perspective(ts_scenario *s, const char *name, ts_error *err) {
    return apply_perspective(s, name, 1, err);
}

/* Returns 1 when some indicator's normaliser maps onto an explicit range
 * lo-hi (as normalise.range sets). */
static int some_norm_in_range(const ts_scenario *s, double lo, double hi) {
    const ts_taxonomy *t = s->tax;
    for (int i = 0; i < t->n_indicators; i++) {
        const ts_norm *nm = &s->spec->norm[t->indicator_node[i]];
        if (nm->has_range && nm->lo == lo && nm->hi == hi) return 1;
    }
    return 0;
}

int ts_scenario_set(ts_scenario *s, const char *key, const char *value, const char *where, ts_error *err) {
    int rc = strcmp(key, "weights") == 0 ? ts_scenario_use_weights(s, value, where, 0, err)
                                         : ts_spec_set(s->spec, s->tax, key, value, where, err);
    double lo, hi;
    /* the indicators now land on lo-hi: the scale and the classes follow */
    if (rc == TS_OK && strcmp(key, "normalise.range") == 0 && sscanf(value, "%lf,%lf", &lo, &hi) == 2 &&
        some_norm_in_range(s, lo, hi))
        ts_taxonomy_rescale(s->tax, lo, hi);
    if (rc == TS_OK && strcmp(key, "weights") == 0)
        rc = ts_spec_check_weights(s->spec, s->tax, s->data->unit_id, where, 0, err);
    if (rc == TS_OK && (!strcmp(key, "year") || !strcmp(key, "max_age") || !strcmp(key, "interpolate")))
        ts_dataset_select(s->data, s->spec->year, s->spec->max_age, s->spec->interpolate);
    return rc;
}

int ts_scenario_apply_options(ts_scenario *s, const char *const *persp, int n_persp, const char *const *set,
                              int n_set, ts_error *err) {
    for (int i = 0; i < n_persp; i++) {
        int rc = ts_scenario_apply_perspective(s, persp[i], err);
        if (rc) return rc;
    }
    for (int i = 0; i < n_set; i++) {
        const char *eq = strchr(set[i], '=');
        if (!eq) return ts_fail(err, TS_EUSAGE, NULL, 0, "--set takes KEY=VALUE, not '%s'", set[i]);
        char key[128], where[300];
        snprintf(key, sizeof key, "%.*s", (int)(eq - set[i]), set[i]);
        snprintf(where, sizeof where, "--set %s", set[i]);
        if (ts_scenario_set(s, key, eq + 1, where, err)) return err->code = TS_EUSAGE;
    }
    return TS_OK;
}

int ts_scenario_load_with(const char *path, const char *const *persp, int n_persp, const char *const *set,
                          int n_set, ts_scenario **out, ts_error *err) {
    *out = NULL;
    ts_scenario *s = NULL;
    ts_scenario_load(path, &s, err);
    if (s && ts_scenario_apply_options(s, persp, n_persp, set, n_set, err)) {
        ts_scenario_free(s);
        s = NULL;
    }
    *out = s;
    return s ? TS_OK : ts_status(err);
}

static int parse_overrides(loader *L, const config_setting_t *root, chain_file *files, int n_files) {
    const config_setting_t *s;
    const ts_taxonomy *t = L->s->tax;
    if ((s = config_setting_get_member(root, "method")) && parse_method_group(L, s, -1, files, n_files))
        return TS_EINPUT;
    if ((s = config_setting_get_member(root, "node_methods"))) {
        if (ts_cfg_expect_group(s, L->file, "node_methods", L->err)) return TS_EINPUT;
        for (int j = 0; j < config_setting_length(s); j++) {
            const config_setting_t *g = config_setting_get_elem(s, (unsigned)j);
            int k = ts_taxonomy_find(t, config_setting_name(g));
            if (k < 0)
                return ts_taxonomy_unknown(t, "node", config_setting_name(g), 0, L->file, ts_cfg_line(g), L->err);
            if (parse_method_group(L, g, k, files, n_files)) return TS_EINPUT;
        }
    }
    if ((s = config_setting_get_member(root, "weights")) && parse_weight_group(L, s, -1)) return TS_EINPUT;
    if ((s = config_setting_get_member(root, "country_weights"))) {
        if (ts_cfg_expect_group(s, L->file, "country_weights", L->err)) return TS_EINPUT;
        for (int j = 0; j < config_setting_length(s); j++) {
            const config_setting_t *g = config_setting_get_elem(s, (unsigned)j);
            int u = ts_dataset_find_unit(L->s->data, config_setting_name(g));
            if (u < 0) return unknown_unit(L, config_setting_name(g), ts_cfg_line(g));
            if (parse_weight_group(L, g, u)) return TS_EINPUT;
        }
    }
    return TS_OK;
}

/* Checks the weights once every file's overrides are in, naming the last
 * file that set weights. */
static int check_weights(loader *L, chain_file *files, int n_files) {
    const char *file = files[n_files - 1].path;
    int line = 0;
    for (int f = 0; f < n_files && !line; f++) {
        const config_setting_t *root = config_root_setting(files[f].cfgp);
        line = ts_cfg_line(config_setting_get_member(root, "weights"));
        if (!line) line = ts_cfg_line(config_setting_get_member(root, "country_weights"));
        if (line) file = files[f].path;
    }
    return ts_spec_check_weights(L->s->spec, L->s->tax, L->s->data->unit_id, file, line, L->err);
}

/* Reads path (its text from read_path) and the files it extends into
 * files[], nearest first. Returns TS_OK and the count in *n, or an error
 * (missing file, syntax, unknown key, a cycle, a chain deeper than
 * MAX_CHAIN). */
static int load_chain(loader *L, const char *path, const char *read_path, chain_file *files, int *n) {
    ts_scenario *s = L->s;
    const char *next = path;
    char *owned = NULL;
    *n = 0;
    while (next) {
        if (*n == MAX_CHAIN) {
            free(owned);
            return ts_fail(L->err, TS_EINPUT, files[*n - 1].path, 0, "extends chain deeper than %d files", MAX_CHAIN);
        }
        chain_file *f = &files[*n];
        config_init(&f->cfg);
        f->cfgp = &f->cfg;
        f->cached = NULL;
        f->real = NULL;
        f->bytes = NULL;
        (*n)++;
        f->path = ts_arena_strdup(s->arena, next);
        free(owned);
        owned = NULL;
        if (!f->path) return oom(L);
        f->read = *n == 1 && read_path ? ts_arena_strdup(s->arena, read_path) : f->path;
        if (!f->read) return oom(L);
        L->file = f->path;
        if (L->cache && ts_load_cache_keeps_files(L->cache) && strcmp(f->read, f->path) == 0) {
            /* read, hashed and parsed once per cache; borrowed here */
            int rc = ts_load_cache_file(L->cache, f->path, &f->cached, L->err);
            if (rc) return rc;
            f->cfgp = &f->cached->cfg;
            memcpy(f->sha256, f->cached->sha256, sizeof f->sha256);
            f->bytes = f->cached->bytes;
            f->n_bytes = f->cached->n_bytes;
            f->real = f->cached->real;
        } else {
            int rc = ts_cfg_read_file_as(&f->cfg, f->path, f->read, f->sha256, &f->bytes, &f->n_bytes, L->err);
            if (rc) return rc;
            errno = 0;
            f->real = realpath(f->read, NULL);
            if (!f->real && errno == ENOMEM) return oom(L); /* else the cycle check would skip it */
        }
        for (int j = 0; f->real && j < *n - 1; j++)
            if (files[j].real && strcmp(files[j].real, f->real) == 0)
                return ts_fail(L->err, TS_EINPUT, files[*n - 2].path,
                               ts_cfg_line(config_setting_get_member(config_root_setting(files[*n - 2].cfgp), "extends")),
                               "extends cycle: '%s' is already in the chain", f->path);
        const config_setting_t *root = config_root_setting(f->cfgp);
        if (ts_cfg_check_keys(root, SCENARIO_KEYS, f->path, L->err)) return TS_EINPUT;
        const char *ext;
        if (ts_cfg_opt_string(root, "extends", f->path, &ext, L->err)) return TS_EINPUT;
        next = NULL;
        if (ext && !ext[0])
            return ts_fail(L->err, TS_EINPUT, f->path, ts_cfg_line(config_setting_get_member(root, "extends")),
                           "extends is empty: name the scenario file this one extends");
        if (ext) {
            char *dir = ts_dirname(f->path);
            owned = dir ? ts_path_join(dir, ext) : NULL;
            free(dir);
            if (!owned) return oom(L);
            next = owned;
        }
    }
    return TS_OK;
}

/* Hashes the contents of every file in the chain, root first: the bytes
 * that were parsed, not a second reading that could differ (through the
 * cache, which keeps each file's share of the hash, when they came from
 * there). */
static int hash_chain(const loader *L, chain_file *files, int n, char hex[65]) {
    if (n > 0 && files[0].cached) {
        ts_cached_file *chain[MAX_CHAIN];
        for (int f = 0; f < n; f++) chain[f] = files[f].cached;
        ts_load_cache_chain_hash(L->cache, chain, n, hex);
        return TS_OK;
    }
    if (n == 1) {
        /* a chain of one file: the same bytes, the same hash */
        memcpy(hex, files[0].sha256, 65);
        return TS_OK;
    }
    ts_sha256 h;
    ts_sha256_init(&h);
    for (int f = n - 1; f >= 0; f--) ts_sha256_update(&h, files[f].bytes, files[f].n_bytes);
    ts_sha256_final_hex(&h, hex);
    return TS_OK;
}

/* Sets name, description and taxonomy from the nearest file giving each. */
static int scenario_header(loader *L, chain_file *files, int n) {
    ts_scenario *s = L->s;
    const char *name = NULL, *desc = NULL, *tax = NULL, *tax_file = NULL;
    for (int f = 0; f < n; f++) {
        const config_setting_t *root = config_root_setting(files[f].cfgp);
        const char *v;
        if (ts_cfg_opt_string(root, "name", files[f].path, &v, L->err)) return TS_EINPUT;
        if (f == 0) name = v;
        if (ts_cfg_opt_string(root, "description", files[f].path, &v, L->err)) return TS_EINPUT;
        if (!desc) desc = v;
        if (ts_cfg_opt_string(root, "taxonomy", files[f].path, &v, L->err)) return TS_EINPUT;
        if (!tax && v && !v[0])
            return ts_fail(L->err, TS_EINPUT, files[f].path, ts_cfg_line(config_setting_get_member(root, "taxonomy")),
                           "taxonomy is empty: name the taxonomy file (taxonomy = \"FILE\";)");
        if (!tax && v) {
            tax = v;
            tax_file = files[f].path;
        }
    }
    if (!name || !name[0]) return ts_fail(L->err, TS_EINPUT, files[0].path, 0, "scenario has no name");
    if (!tax)
        return ts_fail(L->err, TS_EINPUT, files[0].path, 0, "scenario names no taxonomy (taxonomy = \"FILE\";)");
    char *dir = ts_dirname(tax_file);
    char *tax_path = dir ? ts_path_join(dir, tax) : NULL;
    free(dir);
    s->name = ts_arena_strdup(s->arena, name);
    s->description = ts_arena_strdup(s->arena, desc);
    s->taxonomy_path = tax_path ? ts_arena_strdup(s->arena, tax_path) : NULL;
    free(tax_path);
    if (!s->name || !s->taxonomy_path || (desc && !s->description)) return oom(L);
    s->n_files = n;
    s->file_path = ts_arena_alloc(s->arena, (size_t)n * sizeof *s->file_path);
    s->file_read = ts_arena_alloc(s->arena, (size_t)n * sizeof *s->file_read);
    s->file_sha256 = ts_arena_alloc(s->arena, (size_t)n * sizeof *s->file_sha256);
    if (!s->file_path || !s->file_read || !s->file_sha256) return oom(L);
    for (int f = 0; f < n; f++) {
        s->file_path[f] = files[f].path;
        s->file_read[f] = files[f].read;
        if (!(s->file_sha256[f] = ts_arena_strdup(s->arena, files[f].sha256))) return oom(L);
    }
    return TS_OK;
}

int ts_scenario_load(const char *path, ts_scenario **out, ts_error *err) {
    return ts_scenario_load_cached(path, path, NULL, out, err);
}

int ts_scenario_load_as(const char *path, const char *read_path, ts_scenario **out, ts_error *err) {
    return ts_scenario_load_cached(path, read_path, NULL, out, err);
}

int ts_scenario_load_cached(const char *path, const char *read_path, ts_load_cache *cache, ts_scenario **out,
                            ts_error *err) {
    *out = NULL;
    chain_file files[MAX_CHAIN];
    int n = 0;
    ts_scenario *s = scenario_new(err);
    loader L = {s, path, err, 0, cache};
    if (!s) return ts_status(err);
    int rc = load_chain(&L, path, read_path, files, &n);
    if (rc == TS_OK) rc = scenario_header(&L, files, n);
    if (rc == TS_OK) {
        s->path = files[0].path;
        s->data_path = s->path;
        memcpy(s->scenario_sha256, files[0].sha256, sizeof s->scenario_sha256);
        rc = hash_chain(&L, files, n, s->data_sha256);
    }
    if (rc == TS_OK && cache) {
        /* built once per cache and shared: the scenario borrows it */
        rc = ts_load_cache_taxonomy(cache, s->taxonomy_path, &s->tax, err);
        s->tax_borrowed = rc == TS_OK;
    } else if (rc == TS_OK) {
        rc = ts_taxonomy_load(s->taxonomy_path, &s->tax, err);
    }
    if (rc == TS_OK) memcpy(s->taxonomy_sha256, s->tax->sha256, sizeof s->taxonomy_sha256);
    if (rc == TS_OK) rc = parse_units(&L, files, n);
    if (rc == TS_OK && !(s->spec = ts_spec_from_taxonomy(s->tax, s->data->n_units))) rc = oom(&L);
    if (rc == TS_OK) rc = parse_weight_sets(&L, files, n);
    /* root first, so a scenario's values, weights and methods override
       those of the files it extends */
    for (int f = n - 1; f >= 0 && rc == TS_OK; f--) {
        const config_setting_t *root = config_root_setting(files[f].cfgp);
        L.file = files[f].path;
        rc = parse_data(&L, config_setting_get_member(root, "data"));
        if (rc == TS_OK) rc = parse_overrides(&L, root, files, n);
    }
    if (rc == TS_OK) rc = check_weights(&L, files, n);
    for (int f = 0; f < n && rc == TS_OK; f++) {
        const config_setting_t *ps = config_setting_get_member(config_root_setting(files[f].cfgp), "perspective");
        const char *name;
        if (!ps) continue;
        if (ts_cfg_string(ps, files[f].path, "perspective", &name, err)) rc = TS_EINPUT;
        else if ((rc = apply_perspective(s, name, 0, err)) == TS_EINPUT && !err->line) {
            /* point at the line that names the perspective */
            snprintf(err->file, sizeof err->file, "%s", files[f].path);
            err->line = ts_cfg_line(ps);
        }
        break;
    }
    for (int f = n - 1; f >= 0 && rc == TS_OK; f--) {
        L.file = files[f].path;
        rc = ts_shocks_apply(s, config_setting_get_member(config_root_setting(files[f].cfgp), "shocks"), files[f].path, err);
    }
    if (rc == TS_OK) ts_dataset_select(s->data, s->spec->year, s->spec->max_age, s->spec->interpolate);
    if (rc == TS_OK && L.pca_pending) rc = ts_scenario_use_weights(s, "pca", path, 0, err);
    for (int f = 0; f < n; f++) {
        config_destroy(&files[f].cfg); /* initialised even when the settings are the cache's */
        if (files[f].cached) continue; /* the cache's */
        free(files[f].real);
        free(files[f].bytes);
    }
    if (rc != TS_OK) {
        ts_scenario_free(s);
        return ts_status(err);
    }
    *out = s;
    return TS_OK;
}

int ts_scenario_from_csv(const char *taxonomy_path, const char *csv_path,
                                  const ts_csv_options *opt, ts_scenario **out, ts_error *err) {
    *out = NULL;
    ts_scenario *s = scenario_new(err);
    if (!s) return ts_status(err);
    const char *base = strrchr(csv_path, '/');
    s->name = ts_arena_strdup(s->arena, base ? base + 1 : csv_path);
    s->taxonomy_path = ts_arena_strdup(s->arena, taxonomy_path);
    s->data_path = ts_arena_strdup(s->arena, csv_path);
    if (!s->name || !s->taxonomy_path || !s->data_path) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        goto fail;
    }
    if (ts_taxonomy_load(taxonomy_path, &s->tax, err) != TS_OK) goto fail;
    memcpy(s->taxonomy_sha256, s->tax->sha256, sizeof s->taxonomy_sha256);
    if (ts_csv_read(csv_path, s->tax, opt, s->data_sha256, &s->data, err) != TS_OK) goto fail;
    if (!(s->spec = ts_spec_from_taxonomy(s->tax, s->data->n_units))) {
        ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        goto fail;
    }
    *out = s;
    return TS_OK;
fail:
    ts_scenario_free(s);
    return ts_status(err);
}

int ts_config_kind(const char *path, int *kind, ts_error *err) {
    return ts_config_kind_cached(path, path, NULL, kind, err);
}

int ts_config_kind_as(const char *path, const char *read_path, int *kind, ts_error *err) {
    return ts_config_kind_cached(path, read_path, NULL, kind, err);
}

int ts_config_kind_cached(const char *path, const char *read_path, ts_load_cache *cache, int *kind, ts_error *err) {
    config_t own, *cfg = &own;
    config_init(&own);
    int rc;
    if (cache && ts_load_cache_keeps_files(cache) && strcmp(path, read_path) == 0) {
        ts_cached_file *f;
        rc = ts_load_cache_file(cache, path, &f, err);
        if (rc == TS_OK) cfg = &f->cfg;
    } else {
        rc = ts_cfg_read_as(&own, path, read_path, err);
    }
    if (rc == TS_OK) {
        const config_setting_t *root = config_root_setting(cfg);
        if (config_setting_get_member(root, "taxonomy") || config_setting_get_member(root, "extends"))
            *kind = TS_FILE_SCENARIO;
        else if (config_setting_get_member(root, "children"))
            *kind = TS_FILE_TAXONOMY;
        else
            rc = ts_fail(err, TS_EINPUT, path, 0,
                         "neither a taxonomy (no 'children') nor a scenario (no 'taxonomy' or 'extends')");
    }
    config_destroy(&own);
    return rc;
}
