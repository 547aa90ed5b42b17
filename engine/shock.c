/* shock.c -- a scenario's what-if shocks: each scales, shifts or sets one
 * indicator's values for some countries and years, and notes itself on them. */
#include "shock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static const char *const SHOCK_KEYS[] = {"indicator", "countries", "years", "scale", "add", "set",
                                         "note", NULL};

/* The scenario being shocked and the file whose shocks are read. */
typedef struct shock_ctx {
    ts_scenario *s;
    const char *file;
    ts_error *err;
} shock_ctx;

static int oom(shock_ctx *L) {
    return ts_fail(L->err, TS_ESYSTEM, L->file, 0, "out of memory");
}

/* Appends text to the shock record of a value. */
static int note_shock(shock_ctx *L, ts_provenance *p, const char *text) {
    ts_dataset *d = L->s->data;
    size_t n = strlen(text) + (p->shock ? strlen(p->shock) + 2 : 0) + 1;
    char *joined = ts_arena_alloc(d->arena, n);
    if (!joined) return oom(L);
    snprintf(joined, n, "%s%s%s", p->shock ? p->shock : "", p->shock ? "; " : "", text);
    p->shock = joined;
    p->flags |= TS_VALUE_SHOCKED;
    return TS_OK;
}

/* Reads the `countries` (default: all) or `years` (default: any) list of a
 * shock into a 0/1 mask or a list. */
static int shock_countries(shock_ctx *L, const config_setting_t *g, char *mask) {
    const ts_dataset *d = L->s->data;
    const config_setting_t *c = config_setting_get_member(g, "countries");
    memset(mask, c ? 0 : 1, (size_t)d->n_units);
    if (!c) return TS_OK;
    if (ts_cfg_expect_list(c, L->file, "countries", L->err)) return TS_EINPUT;
    for (int j = 0; j < config_setting_length(c); j++) {
        const char *id;
        const config_setting_t *e = config_setting_get_elem(c, (unsigned)j);
        if (ts_cfg_string(e, L->file, "a country", &id, L->err)) return TS_EINPUT;
        int u = ts_dataset_find_unit(d, id);
        if (u < 0) return ts_dataset_unknown_unit(d, id, L->file, ts_cfg_line(c), L->err);
        mask[u] = 1;
    }
    return TS_OK;
}

static int parse_shock(shock_ctx *L, const config_setting_t *g, char *mask) {
    const ts_taxonomy *t = L->s->tax;
    ts_dataset *d = L->s->data;
    const char *ind, *note;
    if (ts_cfg_expect_group(g, L->file, "a shock", L->err) || ts_cfg_check_keys(g, SHOCK_KEYS, L->file, L->err) ||
        ts_cfg_opt_string(g, "indicator", L->file, &ind, L->err) ||
        ts_cfg_opt_string(g, "note", L->file, &note, L->err))
        return TS_EINPUT;
    int line = ts_cfg_line(g);
    if (!ind) return ts_fail(L->err, TS_EINPUT, L->file, line, "a shock needs an indicator");
    int k = ts_taxonomy_find(t, ind);
    if (k < 0 || t->nodes[k].indicator < 0)
        return ts_taxonomy_unknown(t, "indicator", ind, 1, L->file, line, L->err);
    if (!note || !note[0])
        return ts_fail(L->err, TS_EINPUT, L->file, line, "a shock needs a note saying what it assumes and why");
    const char *ops[] = {"scale", "add", "set"};
    int op = -1;
    double x = 0;
    for (int i = 0; i < 3; i++) {
        const config_setting_t *v = config_setting_get_member(g, ops[i]);
        if (!v) continue;
        if (op >= 0) return ts_fail(L->err, TS_EINPUT, L->file, line, "a shock takes one of scale, add or set, not two");
        if (ts_cfg_number(v, L->file, ops[i], &x, L->err)) return TS_EINPUT;
        op = i;
    }
    if (op < 0) return ts_fail(L->err, TS_EINPUT, L->file, line, "a shock needs one of scale, add or set");
    if (shock_countries(L, g, mask)) return TS_EINPUT;
    const config_setting_t *years = config_setting_get_member(g, "years");
    if (years && ts_cfg_expect_list(years, L->file, "years", L->err)) return TS_EINPUT;
    int first_year = 0;
    for (int j = 0; years && j < config_setting_length(years); j++) {
        int y;
        if (ts_cfg_int(config_setting_get_elem(years, (unsigned)j), L->file, "a year", &y, L->err)) return TS_EINPUT;
        if (j == 0) first_year = y;
    }
    char text[600];
    const char *file = strrchr(L->file, '/');
    snprintf(text, sizeof text, "%s %.17g (%s:%d: %s)", ops[op], x, file ? file + 1 : L->file, line, note);
    int i = t->nodes[k].indicator, latest = 0;
    for (int j = 0; j < d->n_obs; j++)
        if (!d->obs[j].removed && d->obs[j].prov.year > latest) latest = d->obs[j].prov.year;
    for (int u = 0; u < d->n_units; u++) {
        if (!mask[u]) continue;
        size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
        /* set creates the observations a shock names but the data lack:
           each listed year, or the scenario's latest year */
        int n_years = years ? config_setting_length(years) : 1;
        for (int j = 0; op == 2 && j < n_years; j++) {
            int y = years ? config_setting_get_int_elem(years, j) : latest, have = 0;
            for (int q = d->cell_head[c]; q >= 0 && !have; q = d->obs[q].next)
                have = !d->obs[q].removed && (!years || d->obs[q].prov.year == y);
            if (have) continue;
            ts_obs *o = ts_dataset_add_obs(d, c, x);
            if (!o) return oom(L);
            o->prov.year = y ? y : first_year;
            o->prov.file = L->file;
            o->prov.line = line;
            o->prov.source = "scenario assumption (shock)";
        }
        for (int q = d->cell_head[c]; q >= 0; q = d->obs[q].next) {
            ts_obs *o = &d->obs[q];
            int year_ok = !years;
            for (int j = 0; years && j < n_years && !year_ok; j++)
                year_ok = config_setting_get_int_elem(years, j) == o->prov.year;
            if (o->removed || !year_ok) continue;
            o->value = op == 0 ? o->value * x : op == 1 ? o->value + x : x;
            if (!(fabs(o->value) <= TS_NUMBER_MAX))
                return ts_fail(L->err, TS_EINPUT, L->file, line, "shock makes '%s' for '%s' %g, larger than %g",
                               ind, d->unit_id[u], o->value, TS_NUMBER_MAX);
            if (note_shock(L, &o->prov, text)) return TS_ESYSTEM;
        }
    }
    return TS_OK;
}

int ts_shocks_apply(ts_scenario *s, const config_setting_t *shocks, const char *file, ts_error *err) {
    if (!shocks) return TS_OK;
    shock_ctx ctx = {s, file, err}, *L = &ctx;
    if (ts_cfg_expect_list(shocks, L->file, "shocks", L->err)) return TS_EINPUT;
    char *mask = malloc((size_t)L->s->data->n_units + 1);
    if (!mask) return oom(L);
    int rc = TS_OK;
    for (int j = 0; j < config_setting_length(shocks) && rc == TS_OK; j++)
        rc = parse_shock(L, config_setting_get_elem(shocks, (unsigned)j), mask);
    free(mask);
    return rc;
}
