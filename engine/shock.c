/* shock.c -- a scenario's what-if shocks: each scales, shifts or sets one
 * indicator's values for some countries and years, and notes itself on them. */
#include "shock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static const char *const SHOCK_KEYS[] = {"indicator", "countries", "years", "scale", "add", "set",
                                         "create", "note", NULL};

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

/* Returns 1 when observation o is one a shock with years[0..n_years) hits
 * (n_years < 0: no years list, every observation). */
static int year_hit(const ts_obs *o, const int *years, int n_years) {
    if (o->removed) return 0;
    if (n_years < 0) return 1;
    for (int j = 0; j < n_years; j++)
        if (years[j] == o->prov.year) return 1;
    return 0;
}

/* Formats the years of a shock for a message: " in 2023", " in 2022,
 * 2023", or "" without a years list. Returns buf. */
static char *years_text(char *buf, size_t n, const int *years, int n_years) {
    buf[0] = '\0';
    size_t len = 0;
    for (int j = 0; j < n_years && len + 16 < n; j++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", j ? ", " : " in ", years[j]);
    return buf;
}

/* Reads one shock and applies it. A shock must change something: a
 * country it names with no value to change (in its years), a year it names
 * that no value has, or a shock that matches no value at all is an error,
 * since it would otherwise pass silently. A set on a country and year that
 * have no value creates one only with create = true and a years list (the
 * created value's year); it is marked as created in its provenance. */
static int parse_shock(shock_ctx *L, const config_setting_t *g, char *mask) {
    const ts_taxonomy *t = L->s->tax;
    ts_dataset *d = L->s->data;
    const char *ind, *note;
    int create = 0, has_create = 0;
    if (ts_cfg_expect_group(g, L->file, "a shock", L->err) || ts_cfg_check_keys(g, SHOCK_KEYS, L->file, L->err) ||
        ts_cfg_opt_string(g, "indicator", L->file, &ind, L->err) ||
        ts_cfg_opt_string(g, "note", L->file, &note, L->err) ||
        ts_cfg_opt_bool(g, "create", L->file, &create, &has_create, L->err))
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
    if (create && op != 2)
        return ts_fail(L->err, TS_EINPUT, L->file, line, "create = true applies to a set shock only (%s changes values "
                       "that exist)", ops[op]);
    if (shock_countries(L, g, mask)) return TS_EINPUT;
    int named_countries = config_setting_get_member(g, "countries") != NULL;
    const config_setting_t *ys = config_setting_get_member(g, "years");
    if (ys && ts_cfg_expect_list(ys, L->file, "years", L->err)) return TS_EINPUT;
    int years[64], n_years = ys ? config_setting_length(ys) : -1;
    if (n_years > 64) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(ys), "a shock lists at most 64 years");
    if (n_years == 0) return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(ys), "years is empty");
    for (int j = 0; j < n_years; j++)
        if (ts_cfg_int(config_setting_get_elem(ys, (unsigned)j), L->file, "a year", &years[j], L->err)) return TS_EINPUT;
    if (create && n_years < 0)
        return ts_fail(L->err, TS_EINPUT, L->file, line,
                       "create = true needs years = [ YEAR ]: the year of the value it creates");
    char text[600], created_text[700], when[200];
    const char *file = strrchr(L->file, '/');
    snprintf(text, sizeof text, "%s %.17g (%s:%d: %s)", ops[op], x, file ? file + 1 : L->file, line, note);
    snprintf(created_text, sizeof created_text, "%s; no value was observed: created by the shock", text);
    years_text(when, sizeof when, years, n_years);
    int i = t->nodes[k].indicator, hits = 0, year_hits[64] = {0};
    for (int u = 0; u < d->n_units; u++) {
        if (!mask[u]) continue;
        size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
        int unit_hits = 0, created[64], n_created = 0;
        /* a set on a listed year without a value creates it, when asked to */
        for (int j = 0; op == 2 && j < n_years; j++) {
            int have = 0;
            for (int q = d->cell_head[c]; q >= 0 && !have; q = d->obs[q].next)
                have = !d->obs[q].removed && d->obs[q].prov.year == years[j];
            if (have) continue;
            if (!create) {
                if (!named_countries) continue;
                return ts_fail(L->err, TS_EINPUT, L->file, line,
                               "set shock on '%s': %s has no value in %d to set; add create = true to create one",
                               ind, d->unit_id[u], years[j]);
            }
            ts_obs *o = ts_dataset_add_obs(d, c, x);
            if (!o) return oom(L);
            o->prov.year = years[j];
            o->prov.file = L->file;
            o->prov.line = line;
            o->prov.source = "scenario assumption (shock: created value)";
            if (note_shock(L, &o->prov, created_text)) return TS_ESYSTEM;
            created[n_created++] = (int)(o - d->obs);
        }
        for (int q = d->cell_head[c]; q >= 0; q = d->obs[q].next) {
            ts_obs *o = &d->obs[q];
            if (!year_hit(o, years, n_years)) continue;
            int is_new = 0;
            for (int j = 0; j < n_created && !is_new; j++) is_new = created[j] == q;
            unit_hits++;
            for (int j = 0; j < n_years; j++) year_hits[j] += years[j] == o->prov.year;
            if (is_new) continue; /* holds x and its note already */
            o->value = op == 0 ? o->value * x : op == 1 ? o->value + x : x;
            if (!(fabs(o->value) <= TS_NUMBER_MAX))
                return ts_fail(L->err, TS_EINPUT, L->file, line, "shock makes '%s' for '%s' %g, larger than %g",
                               ind, d->unit_id[u], o->value, TS_NUMBER_MAX);
            if (note_shock(L, &o->prov, text)) return TS_ESYSTEM;
        }
        if (!unit_hits && named_countries)
            return ts_fail(L->err, TS_EINPUT, L->file, line,
                           "%s shock on '%s': %s has no value%s to %s%s", ops[op], ind, d->unit_id[u], when, ops[op],
                           op == 2 ? " (to create one, add create = true and years = [ YEAR ])" : "");
        hits += unit_hits;
    }
    for (int j = 0; j < n_years; j++)
        if (!year_hits[j])
            return ts_fail(L->err, TS_EINPUT, L->file, ts_cfg_line(ys),
                           "%s shock on '%s': no value of %d for the countries it names, so the year matches nothing",
                           ops[op], ind, years[j]);
    if (!hits)
        return ts_fail(L->err, TS_EINPUT, L->file, line, "%s shock on '%s' matches no value%s: it would change nothing",
                       ops[op], ind, when);
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
