/* dataset.c -- the units x indicators matrix and its provenance. */
#include "dataset.h"

#include <math.h>
#include <stdlib.h>
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
    if (!d->arena || !d->unit_id || !d->unit_name || !d->values || (with_prov ? !d->prov : !d->unit_line)) {
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
    free(d->denominator_name);
    free(d->denominator);
    free(d);
}

int ts_dataset_find_unit(const ts_dataset *d, const char *id) {
    for (int u = 0; u < d->n_units; u++)
        if (d->unit_id[u] && strcmp(d->unit_id[u], id) == 0) return u;
    return -1;
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
