/* brief_data.c -- what the briefing report shows, read through the store's
 * API only: the reference and the compared runs (compare.h), their inputs
 * and details, the contribution traces, an uncertainty analysis, the
 * per-year runs and the source register. */
#include "brief_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "taxonomy.h"

/* Fills err for an allocation failure; returns TS_ESYSTEM. */
static int oom(ts_error *err) {
    return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
}

/* Appends one warning line to b's warnings. */
static void warn(ts_brief *b, const char *what, const char *why) {
    if (b->warnings) ts_buf_printf(b->warnings, "%s: %s\n", what, why);
}

int ts_brief_root(const ts_stored_run *r) {
    for (int k = 0; k < r->n_nodes; k++)
        if (r->nodes[k].parent < 0) return k;
    return 0;
}

/* ---- choosing the runs -------------------------------------------------- */

/* Returns 1 when err holds a "nothing to compare" kind of failure: the
 * store or the choice has a single run, which the report shows alone. */
static int nothing_to_compare(const ts_error *err) {
    return err->code == TS_EINPUT &&
           (strstr(err->message, "nothing to compare") || strstr(err->message, "no runs to compare"));
}

/* Stores the id of the default reference in *ref: compare's choice among
 * the latest run of every scenario, or the only run there is. */
static int default_reference(ts_brief *b, long long *ref, ts_comparison **all, ts_error *err) {
    *all = NULL;
    ts_compare_options copt = {0};
    int rc = ts_compare_load(b->st, NULL, NULL, 0, &copt, all, err);
    if (rc == TS_OK) {
        *ref = (*all)->reference->info.id;
        return TS_OK;
    }
    if (!nothing_to_compare(err)) return rc;
    long long ids[2];
    int n = 0;
    rc = ts_store_latest_runs(b->st, ids, 2, &n, err);
    if (rc != TS_OK) return rc;
    if (n == 0) return ts_fail(err, TS_EINPUT, b->opt->db, 0, "no runs in this database: score a scenario with --db first");
    *ref = ids[0];
    ts_error_clear(err);
    return TS_OK;
}

/* Chooses and loads the reference and the compared runs into b->cmp, or
 * the one run into b->alone; sets b->primary's run id in *primary_id. */
static int choose_runs(ts_brief *b, long long *primary_id, ts_error *err) {
    const ts_brief_options *o = b->opt;
    ts_comparison *all = NULL;
    long long ref = 0;
    int rc = o->reference ? ts_store_resolve_run(b->st, o->reference, &ref, err) : default_reference(b, &ref, &all, err);
    if (rc != TS_OK) return rc;
    *primary_id = ref;
    int others = 0;
    for (int i = 0; i < o->n_runs && rc == TS_OK; i++) {
        long long id;
        rc = ts_store_resolve_run(b->st, o->runs[i], &id, err);
        if (rc == TS_OK && i == 0) *primary_id = id;
        if (rc == TS_OK && id != ref) others++;
    }
    char ref_spec[32];
    snprintf(ref_spec, sizeof ref_spec, "%lld", ref);
    ts_compare_options copt = {0};
    if (rc == TS_OK && o->n_runs == 0 && all) {
        b->cmp = all; /* the default comparison is the one wanted */
        all = NULL;
    } else if (rc == TS_OK && (o->n_runs == 0 || others)) {
        rc = ts_compare_load(b->st, ref_spec, o->runs, o->n_runs, &copt, &b->cmp, err);
        if (rc != TS_OK && nothing_to_compare(err)) {
            ts_error_clear(err);
            rc = TS_OK;
        }
    }
    ts_comparison_free(all);
    if (rc == TS_OK && !b->cmp) rc = ts_store_load_run(b->st, ref, &b->alone, err);
    return rc;
}

/* ---- inputs and their details ------------------------------------------- */

/* Where the input callbacks write: the run's cells, and a sticky out of memory. */
typedef struct input_ctx {
    ts_brief *b;
    brief_run *br;
    int oom;
} input_ctx;

/* Returns the value cell of unit and indicator in br, or NULL. */
static brief_value *value_of(brief_run *br, const char *unit, const char *indicator) {
    int u = unit ? ts_stored_run_unit(br->r, unit) : -1, k = indicator ? ts_stored_run_node(br->r, indicator) : -1;
    return u >= 0 && k >= 0 ? &br->values[(size_t)u * (size_t)br->r->n_nodes + (size_t)k] : NULL;
}

/* Copies one stored input into its cell (ts_store_each_input). Returns 1 to
 * stop when out of memory, else 0. */
static int take_input(const ts_stored_input *in, void *vctx) {
    input_ctx *x = vctx;
    brief_value *v = value_of(x->br, in->unit, in->indicator);
    if (!v) return 0;
    ts_arena *a = x->b->arena;
    v->present = 1;
    v->raw = in->raw;
    v->normalised = in->normalised;
    v->imputed = in->imputed;
    v->year = in->year;
    v->estimate = in->estimate;
    v->line = in->line;
    v->source = ts_arena_strdup(a, in->source);
    v->note = ts_arena_strdup(a, in->note);
    v->shock = ts_arena_strdup(a, in->shock);
    v->file = ts_arena_strdup(a, in->file);
    if ((in->source && !v->source) || (in->note && !v->note) || (in->shock && !v->shock) || (in->file && !v->file))
        x->oom = 1;
    return x->oom;
}

/* Copies one input's details into its cell (ts_store_each_detail). Returns
 * 1 to stop when out of memory, else 0. */
static int take_detail(const ts_stored_detail *d, void *vctx) {
    input_ctx *x = vctx;
    brief_value *v = value_of(x->br, d->unit, d->indicator);
    if (!v) return 0;
    v->selected = d->selected;
    if (d->n_alternatives > 0) {
        v->alt = ts_arena_alloc(x->b->arena, (size_t)d->n_alternatives * sizeof *v->alt);
        if (!v->alt) {
            x->oom = 1;
            return 1;
        }
        for (int i = 0; i < d->n_alternatives; i++) {
            v->alt[i] = d->alternatives[i];
            v->alt[i].source = ts_arena_strdup(x->b->arena, d->alternatives[i].source);
            if (d->alternatives[i].source && !v->alt[i].source) x->oom = 1;
        }
        v->n_alt = d->n_alternatives;
    }
    return x->oom;
}

/* Reads run br's inputs and their details. */
static int load_values(ts_brief *b, brief_run *br, ts_error *err) {
    size_t cells = (size_t)br->r->n_units * (size_t)br->r->n_nodes + 1;
    if (!(br->values = ts_arena_alloc(b->arena, cells * sizeof *br->values))) return oom(err);
    for (size_t c = 0; c < cells; c++) br->values[c].raw = br->values[c].normalised = NAN;
    input_ctx x = {b, br, 0};
    int rc = ts_store_each_input(b->st, br->r->info.id, take_input, &x, err);
    if (rc == TS_OK && !x.oom) rc = ts_store_each_detail(b->st, br->r->info.id, take_detail, &x, err);
    if (rc == TS_OK && x.oom) rc = oom(err);
    for (size_t c = 0; rc == TS_OK && c + 1 < cells; c++) {
        const brief_value *v = &br->values[c];
        if (v->present && (v->estimate || v->imputed || v->selected || v->shock)) br->n_flagged++;
    }
    return rc;
}

/* ---- the uncertainty analysis and the years ----------------------------- */

/* Finds the latest analysis of the primary run's scenario (one with
 * Sobol' indices when there is one) and reads its results at the index. */
static int load_ua(ts_brief *b, ts_error *err) {
    const ts_stored_run *p = b->runs[b->primary].r;
    long long any, id;
    int rc = ts_store_resolve_ua(b->st, NULL, 0, &any, err);
    if (rc != TS_OK || any == 0) return rc;
    ts_error miss;
    ts_error_clear(&miss);
    rc = ts_store_resolve_ua(b->st, p->info.scenario, 1, &id, &miss);
    if (rc == TS_EINPUT) return TS_OK; /* none of this scenario */
    if (rc != TS_OK) {
        if (err) *err = miss;
        return rc;
    }
    brief_ua *u = &b->ua;
    rc = ts_store_load_ua(b->st, id, b->arena, &u->ua, err);
    if (rc == TS_OK) rc = ts_store_ua_match(b->st, id, p->info.id, &u->match, err);
    if (rc != TS_OK) return rc;
    const char *root = p->nodes[b->root].id;
    for (int i = 0; i < u->ua.n_reported && !u->node; i++)
        if (strcmp(u->ua.reported[i], root) == 0) u->node = u->ua.reported[i];
    if (!u->node) {
        warn(b, "uncertainty", "the analysis of the scenario has no results at the index");
        return TS_OK;
    }
    rc = ts_store_load_ua_results(b->st, &u->ua, u->node, b->arena, &u->res, err);
    if (rc == TS_OK && u->ua.sobol) rc = ts_store_load_ua_sobol(b->st, &u->ua, u->node, &u->res, b->arena, &u->sobol, err);
    if (rc == TS_OK) u->have = u->res.n_units > 0;
    return rc;
}

#define MAX_YEARS 64

/* Reads the per-year runs of the primary run's scenario: its latest trend. */
static int load_years(ts_brief *b, ts_error *err) {
    long long ids[MAX_YEARS];
    int n = 0;
    int rc = ts_store_trend_runs(b->st, b->runs[b->primary].r->info.scenario, ids, MAX_YEARS, &n, err);
    if (rc != TS_OK || n == 0) return rc;
    b->years = ts_arena_alloc(b->arena, (size_t)n * sizeof *b->years);
    b->year_runs = calloc((size_t)n, sizeof *b->year_runs);
    if (!b->years || !b->year_runs) return oom(err);
    for (int i = 0; i < n && rc == TS_OK; i++) {
        rc = ts_store_load_run(b->st, ids[i], &b->year_runs[i], err);
        if (rc == TS_OK) b->years[b->n_years++] = b->year_runs[i]->year;
    }
    return rc;
}

/* ---- the risk classes ---------------------------------------------------- */

/* Reads the index's classes (names and lower bounds) from the primary
 * run's taxonomy file, when it still has the hash stored with the run: the
 * store keeps each score's class but not the thresholds. A file that is
 * gone, changed or no longer loads gives none; returns TS_OK, or
 * TS_ESYSTEM when out of memory (never a page without them for that). */
static int load_classes(ts_brief *b, ts_error *err) {
    const ts_stored_run *p = b->runs[b->primary].r;
    const ts_stored_file *files;
    int n = ts_stored_run_files(b->runs[b->primary].r, &files);
    const char *path = NULL;
    for (int i = 0; i < n && !path; i++)
        if (strcmp(files[i].role, "taxonomy") == 0) path = files[i].abs_path ? files[i].abs_path : files[i].path;
    char hex[65];
    if (!path) return TS_OK;
    if (ts_sha256_file(path, hex) != 0) return errno == ENOMEM ? oom(err) : TS_OK;
    if (strcmp(hex, p->info.taxonomy_sha256) != 0) return TS_OK;
    ts_taxonomy *t;
    ts_error terr;
    ts_error_clear(&terr);
    int lrc = ts_taxonomy_load(path, &t, &terr);
    if (lrc == TS_EINPUT) return TS_OK;
    if (lrc != TS_OK) {
        if (err) *err = terr;
        return lrc;
    }
    int k = ts_taxonomy_find(t, p->nodes[b->root].id), rc = TS_OK;
    if (k >= 0 && t->nodes[k].n_classes > 0) {
        const ts_node *nd = &t->nodes[k];
        b->class_name = ts_arena_alloc(b->arena, (size_t)nd->n_classes * sizeof *b->class_name);
        b->class_min = ts_arena_alloc(b->arena, (size_t)nd->n_classes * sizeof *b->class_min);
        if (!b->class_name || !b->class_min) rc = oom(err);
        for (int i = 0; rc == TS_OK && i < nd->n_classes; i++) {
            const ts_class *c = &t->classes[nd->first_class + i];
            if (!(b->class_name[i] = ts_arena_strdup(b->arena, c->name))) rc = oom(err);
            b->class_min[i] = c->min;
        }
        if (rc == TS_OK) b->n_classes = nd->n_classes;
    }
    ts_taxonomy_free(t);
    return rc;
}

/* ---- the source register ------------------------------------------------- */

/* Reads the register: opt->register_path, else SOURCES.md beside the
 * reference's scenario file (its absolute path when stored). */
static int load_register(ts_brief *b, ts_error *err) {
    const char *path = b->opt->register_path;
    char *dir = NULL;
    if (!path) {
        const ts_stored_file *files;
        int n = ts_stored_run_files(b->runs[0].r, &files);
        const char *scenario = NULL;
        for (int i = 0; i < n && !scenario; i++)
            if (strcmp(files[i].role, "scenario") == 0) scenario = files[i].abs_path ? files[i].abs_path : files[i].path;
        if (!scenario) {
            snprintf(b->register_error, sizeof b->register_error,
                     "the reference run was not made from a scenario file, so no source register is known");
            return TS_OK;
        }
        if (!(dir = ts_dirname(scenario))) return oom(err);
        snprintf(b->register_path, sizeof b->register_path, "%s/SOURCES.md", dir);
        free(dir);
    } else {
        snprintf(b->register_path, sizeof b->register_path, "%s", path);
    }
    ts_error rerr;
    ts_error_clear(&rerr);
    int rc = ts_register_load(b->register_path, &b->reg, &rerr);
    if (rc == TS_ESYSTEM) return ts_fail(err, rc, NULL, 0, "%s", rerr.message);
    if (rc != TS_OK) {
        snprintf(b->register_error, sizeof b->register_error, "%s", rerr.message);
        warn(b, "source register", rerr.message);
    }
    return TS_OK;
}

/* ---- the whole --------------------------------------------------------- */

int ts_brief_load(ts_brief *b, ts_error *err) {
    int rc = ts_store_open_readonly(b->opt->db, &b->st, err);
    long long primary_id = 0;
    if (rc == TS_OK) rc = choose_runs(b, &primary_id, err);
    if (rc != TS_OK) return rc;
    b->n_runs = b->cmp ? 1 + b->cmp->n_runs : 1;
    if (!(b->runs = ts_arena_alloc(b->arena, (size_t)b->n_runs * sizeof *b->runs))) return oom(err);
    b->runs[0].r = b->cmp ? b->cmp->reference : b->alone;
    for (int i = 1; i < b->n_runs; i++) b->runs[i].r = b->cmp->runs[i - 1];
    for (int i = 0; i < b->n_runs; i++)
        if (b->runs[i].r->info.id == primary_id) b->primary = i;
    const ts_stored_run *p = b->runs[b->primary].r;
    if (p->n_nodes == 0 || p->n_units == 0)
        return ts_fail(err, TS_EINPUT, b->opt->db, 0, "run %lld has no %s", p->info.id, p->n_nodes ? "units" : "nodes");
    b->root = ts_brief_root(p);
    for (int i = 0; i < b->n_runs && rc == TS_OK; i++) rc = load_values(b, &b->runs[i], err);
    if (rc == TS_OK) rc = ts_run_traces_new(p, b->root, &b->traces, err);
    if (rc == TS_OK) rc = load_ua(b, err);
    if (rc == TS_OK) rc = load_years(b, err);
    if (rc == TS_OK) rc = load_classes(b, err);
    if (rc == TS_OK) rc = load_register(b, err);
    return rc;
}

void ts_brief_unload(ts_brief *b) {
    for (int i = 0; i < b->n_years; i++) ts_stored_run_free(b->year_runs[i]);
    free(b->year_runs);
    ts_register_free(b->reg);
    ts_run_traces_free(b->traces);
    ts_comparison_free(b->cmp);
    ts_stored_run_free(b->alone);
    ts_store_close(b->st);
}
