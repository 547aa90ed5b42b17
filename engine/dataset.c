/* dataset.c -- the units x indicators matrix and its provenance. */
#include "dataset.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"

ts_dataset *ts_dataset_new(int n_units, int n_indicators, int with_prov) {
    ts_dataset *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    size_t cells = (size_t)n_units * (size_t)n_indicators;
    d->n_units = n_units;
    d->n_indicators = n_indicators;
    d->arena = ts_arena_new();
    d->unit_id = calloc((size_t)n_units + 1, sizeof *d->unit_id);
    d->unit_name = calloc((size_t)n_units + 1, sizeof *d->unit_name);
    d->values = malloc((cells + 1) * sizeof *d->values);
    d->prov = with_prov ? calloc(cells + 1, sizeof *d->prov) : NULL;
    d->unit_line = with_prov ? NULL : calloc((size_t)n_units + 1, sizeof *d->unit_line);
    d->selected = calloc(cells + 1, 1);
    if (with_prov && (d->cell_head = malloc((cells + 1) * sizeof *d->cell_head)))
        for (size_t c = 0; c < cells; c++) d->cell_head[c] = -1;
    if (!d->arena || !d->unit_id || !d->unit_name || !d->values || !d->selected ||
        (with_prov ? !d->prov || !d->cell_head : !d->unit_line)) {
        ts_dataset_free(d);
        return NULL;
    }
    for (size_t c = 0; c < cells; c++) d->values[c] = NAN;
    return d;
}

void ts_dataset_free(ts_dataset *d) {
    if (!d) return;
    ts_arena_free(d->arena);
    free(d->unit_id);
    free(d->unit_name);
    free(d->values);
    free(d->prov);
    free(d->unit_line);
    free(d->group_name);
    free(d->group);
    free(d->obs);
    free(d->cell_head);
    free(d->selected);
    free(d->denominator_name);
    free(d->denominator);
    free(d);
}

int ts_dataset_find_unit(const ts_dataset *d, const char *id) {
    for (int u = 0; u < d->n_units; u++)
        if (d->unit_id[u] && strcmp(d->unit_id[u], id) == 0) return u;
    return -1;
}

int ts_dataset_unknown_unit(const ts_dataset *d, const char *id, const char *file, int line, ts_error *err) {
    const char *hint = ts_suggest(id, d->unit_id, (size_t)d->n_units);
    if (hint) return ts_fail(err, TS_EINPUT, file, line, "unknown country '%s' (did you mean '%s'?)", id, hint);
    return ts_fail(err, TS_EINPUT, file, line, "unknown country '%s' (not in units)", id);
}

void ts_dataset_hash(const ts_dataset *d, char hex[65]) {
    ts_sha256 h;
    ts_sha256_init(&h);
    for (int u = 0; u < d->n_units; u++)
        ts_sha256_update(&h, d->unit_id[u], strlen(d->unit_id[u]) + 1);
    size_t cells = (size_t)d->n_units * (size_t)d->n_indicators;
    for (size_t c = 0; c < cells; c++) {
        /* every NaN hashes alike, whatever its payload */
        double v = isnan(d->values[c]) ? NAN : d->values[c];
        ts_sha256_update(&h, &v, sizeof v);
    }
    ts_sha256_final_hex(&h, hex);
}

int ts_dataset_find_group(const ts_dataset *d, const char *name) {
    for (int g = 0; g < d->n_groups; g++)
        if (strcmp(d->group_name[g], name) == 0) return g;
    return -1;
}

int ts_dataset_add_group(ts_dataset *d, const char *name) {
    int g = ts_dataset_find_group(d, name);
    if (g >= 0) return g;
    const char **names = realloc(d->group_name, (size_t)(d->n_groups + 1) * sizeof *names);
    if (!names) return -1;
    d->group_name = names;
    size_t n = (size_t)d->n_units;
    const char **labels = realloc(d->group, (size_t)(d->n_groups + 1) * n * sizeof *labels);
    if (!labels) return -1;
    d->group = labels;
    for (size_t u = 0; u < n; u++) labels[(size_t)d->n_groups * n + u] = NULL;
    if (!(names[d->n_groups] = ts_arena_strdup(d->arena, name))) return -1;
    return d->n_groups++;
}

int ts_dataset_find_denominator(const ts_dataset *d, const char *name) {
    for (int j = 0; j < d->n_denominators; j++)
        if (strcmp(d->denominator_name[j], name) == 0) return j;
    return -1;
}

int ts_dataset_add_denominator(ts_dataset *d, const char *name) {
    int j = ts_dataset_find_denominator(d, name);
    if (j >= 0) return j;
    const char **names = realloc(d->denominator_name, (size_t)(d->n_denominators + 1) * sizeof *names);
    if (!names) return -1;
    d->denominator_name = names;
    size_t n = (size_t)d->n_units;
    double *vals = realloc(d->denominator, (size_t)(d->n_denominators + 1) * n * sizeof *vals);
    if (!vals) return -1;
    d->denominator = vals;
    for (size_t u = 0; u < n; u++) vals[(size_t)d->n_denominators * n + u] = NAN;
    if (!(names[d->n_denominators] = ts_arena_strdup(d->arena, name))) return -1;
    return d->n_denominators++;
}

ts_obs *ts_dataset_add_obs(ts_dataset *d, size_t c, double value) {
    if (d->n_obs == d->cap_obs) {
        int cap = d->cap_obs ? d->cap_obs * 2 : 256;
        ts_obs *o = realloc(d->obs, (size_t)cap * sizeof *o);
        if (!o) return NULL;
        d->obs = o;
        d->cap_obs = cap;
    }
    ts_obs *o = &d->obs[d->n_obs];
    memset(o, 0, sizeof *o);
    o->cell = (int)c;
    o->value = value;
    o->next = d->cell_head[c];
    d->cell_head[c] = d->n_obs++;
    return o;
}

int ts_dataset_years(const ts_dataset *d, int *years, int max) {
    int n = 0;
    for (int j = 0; j < d->n_obs; j++) {
        if (d->obs[j].removed) continue;
        int y = d->obs[j].prov.year, k = 0;
        while (k < n && years[k] < y) k++;
        if (k < n && years[k] == y) continue;
        if (n == max) continue;
        memmove(years + k + 1, years + k, (size_t)(n - k) * sizeof *years);
        years[k] = y;
        n++;
    }
    return n;
}

void ts_dataset_select(ts_dataset *d, int ref, int max_age, int interpolate) {
    if (!d->cell_head) return;
    int explicit_ref = ref != 0;
    if (!explicit_ref)
        for (int j = 0; j < d->n_obs; j++)
            if (!d->obs[j].removed && d->obs[j].prov.year > ref) ref = d->obs[j].prov.year;
    size_t cells = (size_t)d->n_units * (size_t)d->n_indicators;
    for (size_t c = 0; c < cells; c++) {
        const ts_obs *exact = NULL, *before = NULL, *after = NULL;
        for (int j = d->cell_head[c]; j >= 0; j = d->obs[j].next) {
            const ts_obs *o = &d->obs[j];
            int y = o->prov.year;
            if (o->removed || (max_age >= 0 && abs(y - ref) > max_age)) continue;
            if (y == ref) exact = o;
            else if (y < ref && (!before || y > before->prov.year)) before = o;
            else if (y > ref && (!after || y < after->prov.year)) after = o;
        }
        d->selected[c] = TS_SELECT_EXACT;
        if (exact) {
            d->values[c] = exact->value;
            d->prov[c] = exact->prov;
        } else if (interpolate && before && after) {
            double t = (double)(ref - before->prov.year) / (after->prov.year - before->prov.year);
            d->values[c] = before->value + t * (after->value - before->value);
            d->prov[c] = before->prov;
            char note[160];
            snprintf(note, sizeof note, "interpolated for %d between %d (%.6g) and %d (%.6g)", ref, before->prov.year,
                     before->value, after->prov.year, after->value);
            const char *kept = ts_arena_strdup(d->arena, note);
            if (kept) d->prov[c].note = kept;
            d->prov[c].year = ref;
            d->selected[c] = TS_SELECT_INTERPOLATED;
        } else if (before) {
            d->values[c] = before->value;
            d->prov[c] = before->prov;
            d->selected[c] = explicit_ref ? TS_SELECT_CARRIED : TS_SELECT_EXACT;
        } else {
            d->values[c] = NAN;
            memset(&d->prov[c], 0, sizeof d->prov[c]);
        }
    }
}
