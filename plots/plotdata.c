/* plotdata.c -- what a chart needs, read through the store's API (read-only):
 * the chosen runs or uncertainty analysis, unit colours, risk classes. */
#include "plotdata.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "audit.h"
#include "sha256.h"
#include "store.h"
#include "store_ua_read.h"
#include "taxonomy.h"

/* A fixed palette of 12 distinct colours for units. */
static const unsigned UNIT_PALETTE[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
                                       0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf, 0x222222, 0xffbf00};
#define N_UNIT_PALETTE ((int)(sizeof UNIT_PALETTE / sizeof *UNIT_PALETTE))

typedef struct loader {
    ts_store *st;
    const char *path;
    ts_plot_data *d;
    ts_error *err;
} loader;

/* Fills err for an allocation failure; returns TS_ESYSTEM. */
static int oom(loader *L) {
    return ts_fail(L->err, TS_ESYSTEM, NULL, 0, "out of memory");
}

/* Lays stored run s out as r for the generators; arrays are shared with s
 * (which d keeps) or allocated in d's arena. */
static int fill_run(loader *L, const ts_stored_run *s, ts_prun *r) {
    ts_arena *a = L->d->arena;
    memset(r, 0, sizeof *r);
    r->id = s->info.id;
    r->scenario = s->info.scenario;
    r->taxonomy_path = s->info.taxonomy_path;
    r->taxonomy_sha256 = s->info.taxonomy_sha256;
    r->lo = s->scale_min;
    r->hi = s->scale_max;
    if (!(r->lo == r->lo) || !(r->hi == r->hi) || !(r->hi > r->lo)) {
        r->lo = 0; /* no usable scale stored: fall back to the engine's default */
        r->hi = 100;
    }
    r->year = s->year;
    if (s->n_nodes == 0) return ts_fail(L->err, TS_EINPUT, L->path, 0, "run %lld has no nodes", r->id);
    if (s->n_units == 0) return ts_fail(L->err, TS_EINPUT, L->path, 0, "run %lld has no units", r->id);
    r->n_nodes = s->n_nodes;
    if (!(r->nodes = ts_arena_alloc(a, (size_t)s->n_nodes * sizeof *r->nodes))) return oom(L);
    for (int k = 0; k < s->n_nodes; k++) {
        const ts_stored_node *nd = &s->nodes[k];
        r->nodes[k] = (ts_pnode){nd->id, nd->name, nd->parent_id, nd->aggregate, nd->is_indicator, nd->weight};
    }
    r->n_units = s->n_units;
    r->unit_id = s->unit_id;
    r->unit_name = s->unit_name;
    r->score = s->score;
    r->rank = s->rank;
    r->cls = s->cls;
    size_t cells = (size_t)s->n_units * (size_t)s->n_nodes;
    if (!(r->uweight = ts_arena_alloc(a, cells * sizeof *r->uweight))) return oom(L);
    for (size_t c = 0; c < cells; c++) r->uweight[c] = s->unit_weight ? s->unit_weight[c] : NAN;
    return TS_OK;
}

/* Reads run id through the store into d's next run. */
static int load_run(loader *L, long long id) {
    ts_plot_data *d = L->d;
    ts_stored_run *s = NULL;
    ts_store_load_run(L->st, id, &s, L->err);
    if (!s) return L->err->code;
    d->stored[d->n_stored++] = s;
    int rc = fill_run(L, s, &d->runs[d->n_runs]);
    if (rc == TS_OK) d->n_runs++;
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns the FNV-1a hash of s: stable across runs and platforms. */
static unsigned fnv1a(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Reads every distinct unit id in the database and gives each a palette
 * slot: its hash's slot, or the next free one (in sorted id order). */
static int load_colours(loader *L) {
    ts_plot_data *d = L->d;
    int rc = ts_store_unit_ids(L->st, d->arena, &d->all_units, &d->n_all, L->err);
    if (rc != TS_OK) return rc;
    if (!(d->all_colour = ts_arena_alloc(d->arena, (size_t)(d->n_all + 1) * sizeof *d->all_colour))) return oom(L);
    /* sort in C (bytewise), not by the database's collation */
    qsort(d->all_units, (size_t)d->n_all, sizeof *d->all_units, cmp_str);
    int used[N_UNIT_PALETTE] = {0}, n_used = 0;
    for (int i = 0; i < d->n_all; i++) {
        if (n_used == N_UNIT_PALETTE) { /* more units than colours: start a new round */
            memset(used, 0, sizeof used);
            n_used = 0;
        }
        int slot = (int)(fnv1a(d->all_units[i]) % N_UNIT_PALETTE);
        while (used[slot]) slot = (slot + 1) % N_UNIT_PALETTE;
        used[slot] = 1;
        n_used++;
        d->all_colour[i] = slot;
    }
    return TS_OK;
}

unsigned ts_plot_unit_colour(const ts_plot_data *d, const char *id) {
    const char **hit = bsearch(&id, d->all_units, (size_t)d->n_all, sizeof *d->all_units, cmp_str);
    int slot = hit ? d->all_colour[hit - d->all_units] : (int)(fnv1a(id) % N_UNIT_PALETTE);
    return UNIT_PALETTE[slot];
}

int ts_prun_node(const ts_prun *r, const char *id) {
    if (!id) return -1;
    for (int k = 0; k < r->n_nodes; k++)
        if (strcmp(r->nodes[k].id, id) == 0) return k;
    return -1;
}

int ts_prun_unit(const ts_prun *r, const char *id) {
    if (!id) return -1;
    for (int u = 0; u < r->n_units; u++)
        if (strcmp(r->unit_id[u], id) == 0) return u;
    return -1;
}

int ts_prun_children(const ts_prun *r, int k, int *kids) {
    int n = 0;
    for (int j = 0; j < r->n_nodes; j++)
        if (r->nodes[j].parent && strcmp(r->nodes[j].parent, r->nodes[k].id) == 0) kids[n++] = j;
    return n;
}

int ts_plot_unit_selected(const ts_plot_request *req, const char *id) {
    if (req->n_units == 0) return 1;
    for (int i = 0; i < req->n_units; i++)
        if (strcmp(req->units[i], id) == 0) return 1;
    return 0;
}

/* Returns the file name part of path p. */
static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Hashes the taxonomy file at path into hex. Returns 1 when done, 0 when
 * the file cannot be read here (a chart drawn without it), or -1 with err
 * filled (TS_ESYSTEM) when out of memory: that is no reason to draw less. */
static int hash_taxonomy(loader *L, const char *path, char hex[65]) {
    if (ts_sha256_file(path, hex) == 0) return 1;
    if (errno == ENOMEM) return ts_fail_read(L->err, path, "cannot read", errno), -1;
    return 0;
}

/* Loads the taxonomy file at path into *t. Returns TS_OK, with *t NULL
 * when the file no longer loads as a taxonomy (bad input: the chart is
 * drawn without what it would give), or TS_ESYSTEM with L->err filled
 * when it could not be loaded for lack of memory. */
static int load_taxonomy(loader *L, const char *path, ts_taxonomy **t) {
    ts_error terr;
    ts_error_clear(&terr);
    int rc = ts_taxonomy_load(path, t, &terr);
    if (rc == TS_OK || rc == TS_EINPUT) return TS_OK;
    if (L->err) *L->err = terr;
    return rc;
}

/* The classes at the drawn node: thresholds from the run's taxonomy file
 * when it is unchanged since the run, else the stored class names ordered
 * by the lowest score that has each (thresholds unknown), with a note
 * saying why. Returns TS_OK, or TS_ESYSTEM when out of memory (never a
 * chart without its class lines for that). */
static int load_classes(loader *L) {
    ts_plot_data *d = L->d;
    const ts_prun *r = &d->runs[0];
    ts_pclasses *c = &d->classes;
    char hex[65], note[600];
    note[0] = '\0';
    int hashed = r->taxonomy_path ? hash_taxonomy(L, r->taxonomy_path, hex) : 0;
    if (hashed < 0) return TS_ESYSTEM;
    if (!hashed) {
        snprintf(note, sizeof note, "class lines not drawn: the run's taxonomy file %s is not readable here",
                 r->taxonomy_path ? base_name(r->taxonomy_path) : "(none)");
    } else if (!r->taxonomy_sha256 || strcmp(hex, r->taxonomy_sha256) != 0) {
        snprintf(note, sizeof note, "class lines not drawn: taxonomy file %s changed since run %lld",
                 base_name(r->taxonomy_path), r->id);
    } else {
        ts_taxonomy *t = NULL;
        if (load_taxonomy(L, r->taxonomy_path, &t) != TS_OK) return TS_ESYSTEM;
        int k = t ? ts_taxonomy_find(t, d->node) : -1;
        if (k >= 0) {
            const ts_node *nd = &t->nodes[k];
            c->n = nd->n_classes;
            c->name = ts_arena_alloc(d->arena, (size_t)(c->n + 1) * sizeof *c->name);
            c->min = ts_arena_alloc(d->arena, (size_t)(c->n + 1) * sizeof *c->min);
            if (!c->name || !c->min) {
                ts_taxonomy_free(t);
                return oom(L);
            }
            int bad = 0;
            for (int i = 0; i < c->n; i++) {
                c->name[i] = ts_arena_strdup(d->arena, t->classes[nd->first_class + i].name);
                c->min[i] = t->classes[nd->first_class + i].min;
                if (!c->name[i]) bad = 1;
            }
            c->have_thresholds = 1;
            ts_taxonomy_free(t);
            return bad ? oom(L) : TS_OK;
        }
        snprintf(note, sizeof note, "class lines not drawn: taxonomy file %s %s",
                 base_name(r->taxonomy_path), t ? "lacks this node" : "no longer loads");
        ts_taxonomy_free(t);
    }
    c->note = ts_arena_strdup(d->arena, note);
    /* stored class names at the node, ordered by their lowest score */
    int k = ts_prun_node(r, d->node);
    c->name = ts_arena_alloc(d->arena, (size_t)(r->n_units + 1) * sizeof *c->name);
    c->min = ts_arena_alloc(d->arena, (size_t)(r->n_units + 1) * sizeof *c->min);
    if (!c->note || !c->name || !c->min) return oom(L);
    for (int u = 0; u < r->n_units; u++) {
        size_t i = (size_t)u * (size_t)r->n_nodes + (size_t)k;
        const char *cl = r->cls[i];
        if (!cl || !(r->score[i] == r->score[i])) continue;
        int j = 0;
        while (j < c->n && strcmp(c->name[j], cl) != 0) j++;
        if (j == c->n) {
            c->name[c->n] = cl;
            c->min[c->n++] = r->score[i];
        } else if (r->score[i] < c->min[j]) {
            c->min[j] = r->score[i];
        }
    }
    for (int i = 1; i < c->n; i++) /* insertion sort by lowest score */
        for (int j = i; j > 0 && c->min[j] < c->min[j - 1]; j--) {
            const char *tn = c->name[j];
            double tm = c->min[j];
            c->name[j] = c->name[j - 1];
            c->min[j] = c->min[j - 1];
            c->name[j - 1] = tn;
            c->min[j - 1] = tm;
        }
    return TS_OK;
}

/* Chooses the run ids for req, each named by the store's resolver; the
 * default depends on the kind. *n receives their count. */
static int choose_runs(loader *L, const ts_plot_request *req, long long *ids, int cap, int *n) {
    *n = 0;
    int rc = TS_OK;
    /* trend --run NAME: the latest trend of scenario NAME */
    if (req->kind == TS_PLOT_TREND && req->n_runs == 1) {
        rc = ts_store_trend_runs(L->st, req->runs[0], ids, cap, n, L->err);
        if (rc != TS_OK || *n > 0) return rc;
    }
    for (int i = 0; i < req->n_runs && rc == TS_OK; i++) {
        if (*n == cap) return ts_fail(L->err, TS_EUSAGE, NULL, 0, "at most %d runs per chart", cap);
        rc = ts_store_resolve_run(L->st, req->runs[i], &ids[(*n)++], L->err);
    }
    if (rc != TS_OK || req->n_runs > 0) return rc;
    if (req->kind == TS_PLOT_TREND) return ts_store_trend_runs(L->st, NULL, ids, cap, n, L->err);
    rc = ts_store_resolve_run(L->st, NULL, &ids[0], L->err);
    if (rc == TS_OK && ids[0]) *n = 1;
    return rc;
}

/* Checks the run count against what the kind can draw. */
static int check_run_count(loader *L, const ts_plot_request *req, int n) {
    ts_plot_kind k = req->kind;
    const char *name = ts_plot_kind_name(k);
    if ((k == TS_PLOT_RANKING || k == TS_PLOT_HEATMAP || k == TS_PLOT_CONTRIBUTIONS) && n > 1)
        return ts_fail(L->err, TS_EUSAGE, NULL, 0, "%s draws one run; use compare for several", name);
    if (k == TS_PLOT_RADAR && n > 1 && req->n_units != 1)
        return ts_fail(L->err, TS_EUSAGE, NULL, 0,
                       "radar with several runs draws one unit: give exactly one --unit");
    if (k == TS_PLOT_SCORES && n > 8)
        return ts_fail(L->err, TS_EUSAGE, NULL, 0,
                       "scores draws at most 8 runs side by side, the reference included (%d chosen): give --run,"
                       " or draw compare",
                       n);
    if (k == TS_PLOT_TREND && n < 1)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "trend: no runs with a year in this database");
    return TS_OK;
}

/* Checks the node and units named by req against the loaded runs. */
static int check_names(loader *L, const ts_plot_request *req) {
    ts_plot_data *d = L->d;
    const ts_prun *r0 = &d->runs[0];
    if (req->node) {
        d->node = req->node;
    } else {
        for (int k = 0; k < r0->n_nodes && !d->node; k++)
            if (!r0->nodes[k].parent) d->node = r0->nodes[k].id;
        if (!d->node) return ts_fail(L->err, TS_EINPUT, L->path, 0, "run %lld has no root node", r0->id);
    }
    for (int i = 0; i < d->n_runs; i++) {
        const ts_prun *r = &d->runs[i];
        int k = ts_prun_node(r, d->node);
        if (k >= 0) continue;
        const char **ids = malloc((size_t)r->n_nodes * sizeof *ids);
        if (!ids) return oom(L);
        for (int j = 0; j < r->n_nodes; j++) ids[j] = r->nodes[j].id;
        const char *hint = ts_suggest(d->node, ids, (size_t)r->n_nodes);
        if (hint)
            ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown node '%s' in run %lld (did you mean '%s'?)",
                    d->node, r->id, hint);
        else
            ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown node '%s' in run %lld", d->node, r->id);
        free(ids);
        return TS_EINPUT;
    }
    int k0 = ts_prun_node(r0, d->node);
    int needs_children = req->kind == TS_PLOT_HEATMAP || req->kind == TS_PLOT_RADAR ||
                         req->kind == TS_PLOT_CONTRIBUTIONS;
    if (needs_children && r0->nodes[k0].is_indicator)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "node '%s' is an indicator: %s needs a node with children",
                       d->node, ts_plot_kind_name(req->kind));
    for (int i = 0; i < req->n_units; i++) {
        int found = 0;
        for (int j = 0; j < d->n_runs && !found; j++) found = ts_prun_unit(&d->runs[j], req->units[i]) >= 0;
        if (found) continue;
        const char *hint = ts_suggest(req->units[i], r0->unit_id, (size_t)r0->n_units);
        if (hint)
            return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown unit '%s' (did you mean '%s'?)",
                           req->units[i], hint);
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown unit '%s' in the chosen runs", req->units[i]);
    }
    return TS_OK;
}

/* ---- uncertainty analyses -------------------------------------------------- */

/* Fills err for a store without analyses; returns TS_EINPUT. */
static int no_ua_results(loader *L, const ts_plot_request *req) {
    if (req->kind == TS_PLOT_SENSITIVITY)
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "no sensitivity results in DB: run `threatscore uncertainty ... --sobol --db` first");
    return ts_fail(L->err, TS_EINPUT, L->path, 0,
                   "no uncertainty results in DB: run `threatscore uncertainty ... --db` first");
}

/* Chooses the analysis through the store's resolver: --run as an
 * analysis id or scenario name, default the latest; sensitivity prefers
 * the latest analysis run with --sobol. */
static int choose_ua(loader *L, const ts_plot_request *req, long long *id) {
    int sens = req->kind == TS_PLOT_SENSITIVITY;
    /* the default first: it tells whether the store holds any analysis */
    int rc = ts_store_resolve_ua(L->st, NULL, sens, id, L->err);
    if (rc != TS_OK) return rc;
    if (*id == 0) return no_ua_results(L, req);
    if (req->n_runs > 1)
        return ts_fail(L->err, TS_EUSAGE, NULL, 0, "%s draws one uncertainty analysis: give --run once",
                       ts_plot_kind_name(req->kind));
    return req->n_runs ? ts_store_resolve_ua(L->st, req->runs[0], sens, id, L->err) : TS_OK;
}

/* Returns 1 when s is one of v[0..n). */
static int in_list(const char *s, const char *const *v, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return 1;
    return 0;
}

/* Picks the node: --node, or the index (the last node of method_json, the
 * taxonomy's post-order root); it must be among the reported nodes. */
static int choose_ua_node(loader *L, const ts_plot_request *req, const ts_stored_ua *ua) {
    const char *const *all = ua->nodes, *const *rep = ua->reported;
    int n_all = ua->n_nodes, n_rep = ua->n_reported;
    if (n_rep == 0) return ts_fail(L->err, TS_EINPUT, L->path, 0, "uncertainty run %lld has no results", ua->id);
    const char *node = req->node ? req->node : n_all ? all[n_all - 1] : NULL;
    if (node && in_list(node, rep, n_rep)) {
        L->d->node = node;
        return TS_OK;
    }
    char list[600] = "";
    size_t len = 0;
    for (int i = 0; i < n_rep && len + 80 < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", rep[i]);
    if (n_rep > 0 && len + 80 >= sizeof list) snprintf(list + len, sizeof list - len, ", ...");
    if (!req->node)
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "the index was not reported in uncertainty run %lld: give --node (reported: %s)", ua->id, list);
    if (in_list(node, all, n_all))
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "node '%s' was not reported in uncertainty run %lld (see its --nodes; reported: %s)", node,
                       ua->id, list);
    const char *hint = ts_suggest(node, n_all ? all : rep, (size_t)(n_all ? n_all : n_rep));
    if (hint)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown node '%s' in uncertainty run %lld (did you mean '%s'?)",
                       node, ua->id, hint);
    return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown node '%s' in uncertainty run %lld", node, ua->id);
}

/* The drawn node's name: from a stored run of the same taxonomy (the names
 * run first), else from the taxonomy file when unchanged, else its id. */
static int ua_node_name(loader *L, ts_pua *a, const ts_stored_ua *ua) {
    ts_plot_data *d = L->d;
    a->node_name = d->node;
    if (!ua->taxonomy_sha256) return TS_OK;
    const char *name;
    int rc = ts_store_node_name(L->st, ua->taxonomy_sha256, d->node, ua->names_run, d->arena, &name, L->err);
    if (rc != TS_OK) return rc;
    if (name) {
        a->node_name = name;
        return TS_OK;
    }
    char hex[65];
    int hashed = ua->taxonomy_path ? hash_taxonomy(L, ua->taxonomy_path, hex) : 0;
    if (hashed <= 0 || strcmp(hex, ua->taxonomy_sha256) != 0) return hashed < 0 ? TS_ESYSTEM : TS_OK;
    ts_taxonomy *t = NULL;
    if (load_taxonomy(L, ua->taxonomy_path, &t) != TS_OK) return TS_ESYSTEM;
    int k = t ? ts_taxonomy_find(t, d->node) : -1;
    if (k >= 0 && t->nodes[k].name && *t->nodes[k].name) {
        const char *copy = ts_arena_strdup(d->arena, t->nodes[k].name);
        if (!copy) {
            ts_taxonomy_free(t);
            return oom(L);
        }
        a->node_name = copy;
    }
    ts_taxonomy_free(t);
    return TS_OK;
}

/* Lays the analysis and its results out as a for the generators; unit
 * names fall back to the ids. */
static void fill_ua(ts_pua *a, const ts_stored_ua *ua, const ts_stored_ua_results *res) {
    a->id = ua->id;
    a->scenario = ua->scenario;
    a->seed = ua->seed;
    a->n = ua->n;
    a->sobol = ua->sobol;
    a->bootstrap = ua->bootstrap;
    a->rank_bin_width = ua->rank_bin_width;
    a->names_run = ua->names_run;
    a->n_units = res->n_units;
    a->unit_id = res->unit_id;
    a->unit_name = res->unit_name;
    for (int u = 0; u < res->n_units; u++)
        if (!a->unit_name[u] || !*a->unit_name[u]) a->unit_name[u] = a->unit_id[u];
    a->nominal_score = res->nominal_score;
    a->median_score = res->median_score;
    a->rank_p05 = res->rank_p05;
    a->rank_p50 = res->rank_p50;
    a->rank_p95 = res->rank_p95;
    a->scored = res->scored;
    a->nominal_rank = res->nominal_rank;
}

/* Loads the analysis req names, at its node, for uncertainty and
 * sensitivity. */
static int load_ua(loader *L, const ts_plot_request *req) {
    ts_plot_data *d = L->d;
    ts_pua *a = ts_arena_alloc(d->arena, sizeof *a);
    if (!a) return oom(L);
    d->ua = a;
    long long id;
    ts_stored_ua ua;
    ts_stored_ua_results res;
    int rc = choose_ua(L, req, &id);
    if (rc == TS_OK) rc = ts_store_load_ua(L->st, id, d->arena, &ua, L->err);
    if (rc == TS_OK && req->kind == TS_PLOT_SENSITIVITY && !ua.sobol)
        rc = ts_fail(L->err, TS_EINPUT, L->path, 0,
                     "no sensitivity results in uncertainty run %lld: it was run without --sobol"
                     " (run `threatscore uncertainty SCENARIO --sobol --db FILE`)",
                     ua.id);
    if (rc == TS_OK) rc = choose_ua_node(L, req, &ua);
    if (rc == TS_OK) rc = ts_store_load_ua_results(L->st, &ua, d->node, d->arena, &res, L->err);
    if (rc == TS_OK && res.n_units == 0)
        rc = ts_fail(L->err, TS_EINPUT, L->path, 0, "uncertainty run %lld has no results at node '%s'", ua.id,
                     d->node);
    if (rc == TS_OK) fill_ua(a, &ua, &res);
    for (int i = 0; i < req->n_units && rc == TS_OK; i++) {
        if (in_list(req->units[i], a->unit_id, a->n_units)) continue;
        const char *hint = ts_suggest(req->units[i], a->unit_id, (size_t)a->n_units);
        if (hint)
            rc = ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown unit '%s' (did you mean '%s'?)", req->units[i],
                         hint);
        else
            rc = ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown unit '%s' in uncertainty run %lld", req->units[i],
                         a->id);
    }
    if (rc == TS_OK) rc = ua_node_name(L, a, &ua);
    if (rc == TS_OK && req->kind == TS_PLOT_SENSITIVITY) {
        ts_stored_sobol so;
        rc = ts_store_load_ua_sobol(L->st, &ua, d->node, &res, d->arena, &so, L->err);
        if (rc == TS_OK && so.n_factors == 0)
            rc = ts_fail(L->err, TS_EINPUT, L->path, 0,
                         "no Sobol' indices of the score at node '%s' in uncertainty run %lld (stored for aggregate"
                         " nodes whose score varies)",
                         d->node, a->id);
        if (rc == TS_OK) {
            a->n_factors = so.n_factors;
            a->factor = so.factor;
            a->s1 = so.s1, a->s1_lo = so.s1_lo, a->s1_hi = so.s1_hi;
            a->st = so.st, a->st_lo = so.st_lo, a->st_hi = so.st_hi;
        }
    }
    return rc;
}

#define MAX_RUNS 64

/* Loads the reference and the runs compared against it (compare, scores)
 * as ts_compare_load chooses them into L->d: runs[0] is the reference. */
static int load_comparison(loader *L, const ts_plot_request *req) {
    ts_plot_data *d = L->d;
    int rc = ts_compare_load(L->st, req->reference, req->runs, req->n_runs, NULL, &d->cmp, L->err);
    if (rc != TS_OK) return rc;
    int n = d->cmp->n_runs + 1;
    /* d owns the runs from here on; the comparison borrows them */
    d->cmp->owns_runs = 0;
    if (!(d->runs = ts_arena_alloc(d->arena, (size_t)n * sizeof *d->runs)) ||
        !(d->stored = ts_arena_alloc(d->arena, (size_t)n * sizeof *d->stored))) {
        ts_stored_run_free(d->cmp->reference);
        for (int i = 0; i < d->cmp->n_runs; i++) ts_stored_run_free(d->cmp->runs[i]);
        return oom(L);
    }
    for (int i = 0; i < n; i++) d->stored[d->n_stored++] = i ? d->cmp->runs[i - 1] : d->cmp->reference;
    for (int i = 0; i < n && rc == TS_OK; i++) {
        rc = fill_run(L, d->stored[i], &d->runs[d->n_runs]);
        if (rc == TS_OK) d->n_runs++;
    }
    if (rc == TS_OK) rc = check_run_count(L, req, n);
    if (rc == TS_OK) rc = check_names(L, req);
    return rc;
}

/* Loads the runs req names into L->d. */
static int load_runs(loader *L, const ts_plot_request *req) {
    ts_plot_data *d = L->d;
    const char *db = L->path;
    int rc = TS_OK;
    if (req->kind == TS_PLOT_COMPARE || req->kind == TS_PLOT_SCORES) return load_comparison(L, req);
    if (req->kind == TS_PLOT_TREND && !ts_store_holds_years(L->st))
        rc = ts_fail(L->err, TS_EINPUT, db, 0, "trend needs runs scored per year (not stored in this database yet)");
    long long ids[MAX_RUNS];
    int n = 0;
    if (rc == TS_OK) rc = choose_runs(L, req, ids, MAX_RUNS, &n);
    if (rc == TS_OK && n == 0 && req->kind != TS_PLOT_TREND)
        rc = ts_fail(L->err, TS_EINPUT, db, 0, "no runs in this database: score a scenario with --db first");
    if (rc == TS_OK) rc = check_run_count(L, req, n);
    if (rc == TS_OK && (!(d->runs = ts_arena_alloc(d->arena, (size_t)n * sizeof *d->runs)) ||
                        !(d->stored = ts_arena_alloc(d->arena, (size_t)n * sizeof *d->stored))))
        rc = oom(L);
    for (int i = 0; i < n && rc == TS_OK; i++) rc = load_run(L, ids[i]);
    if (rc == TS_OK && req->kind == TS_PLOT_TREND) {
        for (int i = 0; i < n && rc == TS_OK; i++)
            if (!d->runs[i].year)
                rc = ts_fail(L->err, TS_EINPUT, db, 0, "trend: run %lld has no year", d->runs[i].id);
    }
    if (rc == TS_OK) rc = check_names(L, req);
    return rc;
}

/* Loads the alerts of one run against its reference, as `threatscore
 * alert` finds them: --run RUN (the reference is the run it extends), or
 * --run REFERENCE --run RUN; by default the latest run compared. The drawn
 * run is also d->runs[0], for names and footnotes. */
static int load_alerts(loader *L, const ts_plot_request *req) {
    ts_plot_data *d = L->d;
    if (req->n_runs > 2)
        return ts_fail(L->err, TS_EUSAGE, NULL, 0, "alerts draws one run against a reference: give --run once or twice");
    const char *reference = req->n_runs == 2 ? req->runs[0] : NULL;
    const char *const *specs = req->n_runs ? req->runs + req->n_runs - 1 : NULL;
    int rc = ts_alerts_load(L->st, reference, specs, req->n_runs ? 1 : 0, NULL, &d->alerts, L->err);
    if (rc != TS_OK) return rc;
    const ts_alerts *a = d->alerts;
    for (int j = 1; j < a->n_runs; j++) /* the default: the latest run compared */
        if (a->runs[j].run->info.id > a->runs[d->alert_run].run->info.id) d->alert_run = j;
    if (!(d->runs = ts_arena_alloc(d->arena, sizeof *d->runs))) return oom(L);
    rc = fill_run(L, a->runs[d->alert_run].run, &d->runs[0]);
    if (rc != TS_OK) return rc;
    d->n_runs = 1;
    return check_names(L, req);
}

int ts_plot_data_load(const char *db, const ts_plot_request *req, ts_plot_data **out, ts_error *err) {
    *out = NULL;
    loader L = {NULL, db, NULL, err};
    ts_plot_data *d = calloc(1, sizeof *d);
    if (!d || !(d->arena = ts_arena_new())) {
        free(d);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    L.d = d;
    if (req->kind == TS_PLOT_CORRELATION) {
        ts_plot_data_free(d);
        return ts_fail(err, TS_EUSAGE, NULL, 0,
                       "correlation charts are drawn from a scenario, not a database:"
                       " threatscore plot correlation SCENARIO.cfg");
    }
    int rc = ts_store_open_readonly(db, &L.st, err);
    int ua = req->kind == TS_PLOT_UNCERTAINTY || req->kind == TS_PLOT_SENSITIVITY;
    if (rc == TS_OK) rc = ua ? load_ua(&L, req) : req->kind == TS_PLOT_ALERTS ? load_alerts(&L, req) : load_runs(&L, req);
    if (rc == TS_OK) rc = load_colours(&L);
    if (rc == TS_OK && req->kind == TS_PLOT_RANKING) rc = load_classes(&L);
    ts_store_close(L.st);
    if (rc != TS_OK) {
        ts_plot_data_free(d);
        return rc;
    }
    *out = d;
    return TS_OK;
}

void ts_plot_data_free(ts_plot_data *d) {
    if (!d) return;
    ts_comparison_free(d->cmp);
    for (int i = 0; i < d->n_stored; i++) ts_stored_run_free(d->stored[i]);
    ts_alerts_free(d->alerts);
    if (d->corr) ts_audit_corr_free(d->corr->m);
    ts_arena_free(d->arena);
    free(d);
}
