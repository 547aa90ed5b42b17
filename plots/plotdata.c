/* plotdata.c -- reads the runs a chart needs from the store, read-only:
 * run selection by id or scenario name, tree, weights, scores, classes. */
#include "plotdata.h"

#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"
#include "taxonomy.h"

/* A fixed palette of 12 distinct colours for units. */
static const unsigned UNIT_PALETTE[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
                                       0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf, 0x222222, 0xffbf00};
#define N_UNIT_PALETTE ((int)(sizeof UNIT_PALETTE / sizeof *UNIT_PALETTE))

typedef struct loader {
    sqlite3 *db;
    const char *path;
    ts_plot_data *d;
    ts_error *err;
} loader;

static int db_fail(loader *L, const char *what) {
    return ts_fail(L->err, TS_ESYSTEM, L->path, 0, "%s: %s", what, sqlite3_errmsg(L->db));
}

static int oom(loader *L) {
    return ts_fail(L->err, TS_ESYSTEM, NULL, 0, "out of memory");
}

/* Returns an arena copy of column i (NULL for SQL NULL); sets *bad on OOM. */
static const char *col_dup(loader *L, sqlite3_stmt *q, int i, int *bad) {
    const unsigned char *s = sqlite3_column_text(q, i);
    if (!s) return NULL;
    char *c = ts_arena_strdup(L->d->arena, (const char *)s);
    if (!c) *bad = 1;
    return c;
}

static double col_double(sqlite3_stmt *q, int i) {
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

/* Returns 1 when the database has a table whose name is like pattern. */
static int has_table(loader *L, const char *pattern) {
    sqlite3_stmt *q;
    int found = 0;
    if (sqlite3_prepare_v2(L->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name LIKE ?",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(q, 1, pattern, -1, SQLITE_STATIC);
    found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return found;
}

/* Returns 1 when table has a column named col. */
static int has_column(loader *L, const char *table, const char *col) {
    sqlite3_stmt *q;
    int found = 0;
    if (sqlite3_prepare_v2(L->db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, col, -1, SQLITE_STATIC);
    found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return found;
}

/* Opens the file read-only and checks that it is a threatscore store. */
static int open_store(loader *L) {
    if (access(L->path, F_OK) != 0)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "no such database");
    if (sqlite3_open_v2(L->path, &L->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "cannot open database: %s", sqlite3_errmsg(L->db));
    sqlite3_busy_timeout(L->db, 10000);
    sqlite3_stmt *q;
    int version = -1;
    if (sqlite3_prepare_v2(L->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW) version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    if (version < 0) return ts_fail(L->err, TS_EINPUT, L->path, 0, "not a SQLite database");
    if (version < 1 || !has_table(L, "runs") || !has_table(L, "scores") || !has_table(L, "nodes") ||
        !has_table(L, "units"))
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "not a threatscore store");
    return TS_OK;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* Fills err for an unknown run name, suggesting a scenario name stored in
 * table (runs or ua_runs). */
static int unknown_run(loader *L, const char *spec, const char *table) {
    sqlite3_stmt *q;
    const char *names[64];
    size_t n = 0;
    char buf[64][128], sql[128];
    snprintf(sql, sizeof sql, "SELECT DISTINCT scenario FROM %s ORDER BY scenario", table);
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) == SQLITE_OK) {
        while (n < 64 && sqlite3_step(q) == SQLITE_ROW) {
            snprintf(buf[n], sizeof buf[n], "%s", (const char *)sqlite3_column_text(q, 0));
            names[n] = buf[n];
            n++;
        }
        sqlite3_finalize(q);
    }
    int ua = strcmp(table, "ua_runs") == 0;
    const char *hint = ts_suggest(spec, names, n);
    if (hint)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown %srun '%s' (did you mean '%s'?)",
                       ua ? "uncertainty " : "", spec, hint);
    if (ua)
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "unknown uncertainty run '%s': give an uncertainty run id (`threatscore uncertainty"
                       " --db` prints it) or a scenario name",
                       spec);
    return ts_fail(L->err, TS_EINPUT, L->path, 0,
                   "unknown run '%s': give a run id or a scenario name (`threatscore runs --db` lists them)",
                   spec);
}

/* Resolves a run given by id or scenario name (latest run of that name). */
static int resolve_run(loader *L, const char *spec, long long *id) {
    sqlite3_stmt *q;
    const char *sql = all_digits(spec) ? "SELECT id FROM runs WHERE id = ?"
                                       : "SELECT max(id) FROM runs WHERE scenario = ? HAVING count(*) > 0";
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) != SQLITE_OK) return db_fail(L, "cannot look up run");
    if (all_digits(spec)) sqlite3_bind_int64(q, 1, strtoll(spec, NULL, 10));
    else sqlite3_bind_text(q, 1, spec, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW) return TS_OK;
    if (rc != SQLITE_DONE) return db_fail(L, "cannot look up run");
    if (all_digits(spec)) return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown run id %s", spec);
    return unknown_run(L, spec, "runs");
}

/* Appends the ids of one query's first column to ids (capacity cap). */
static int query_ids(loader *L, const char *sql, long long *ids, int cap, int *n) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) != SQLITE_OK) return db_fail(L, "cannot list runs");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < cap) ids[(*n)++] = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_OK : db_fail(L, "cannot list runs");
}

/* Returns the year of run id (run_years table, or a runs.year column), or 0. */
static int run_year(loader *L, long long id) {
    const char *sql = has_table(L, "run_years") ? "SELECT year FROM run_years WHERE run_id = ?"
                                                : "SELECT year FROM runs WHERE id = ?";
    sqlite3_stmt *q;
    int year = 0;
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        year = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return year;
}

static int load_nodes(loader *L, ts_prun *r) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db,
                           "SELECT node, name, parent, is_indicator, weight, aggregate FROM nodes"
                           " WHERE run_id = ? ORDER BY position",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read nodes");
    sqlite3_bind_int64(q, 1, r->id);
    int cap = 0, bad = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (r->n_nodes == cap) {
            int ncap = cap ? 2 * cap : 32;
            ts_pnode *nn = ts_arena_alloc(L->d->arena, (size_t)ncap * sizeof *nn);
            if (!nn) {
                bad = 1;
                break;
            }
            if (cap) memcpy(nn, r->nodes, (size_t)cap * sizeof *nn);
            r->nodes = nn;
            cap = ncap;
        }
        ts_pnode *nd = &r->nodes[r->n_nodes++];
        nd->id = col_dup(L, q, 0, &bad);
        nd->name = col_dup(L, q, 1, &bad);
        nd->parent = col_dup(L, q, 2, &bad);
        nd->is_indicator = sqlite3_column_int(q, 3);
        nd->weight = col_double(q, 4);
        nd->aggregate = col_dup(L, q, 5, &bad);
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    if (rc != SQLITE_DONE) return db_fail(L, "cannot read nodes");
    if (r->n_nodes == 0) return ts_fail(L->err, TS_EINPUT, L->path, 0, "run %lld has no nodes", r->id);
    return TS_OK;
}

static int load_units(loader *L, ts_prun *r) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db, "SELECT unit, name FROM units WHERE run_id = ? ORDER BY position", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(L, "cannot read units");
    sqlite3_bind_int64(q, 1, r->id);
    int cap = 0, bad = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (r->n_units == cap) {
            int ncap = cap ? 2 * cap : 16;
            const char **ni = ts_arena_alloc(L->d->arena, (size_t)ncap * sizeof *ni);
            const char **nn = ts_arena_alloc(L->d->arena, (size_t)ncap * sizeof *nn);
            if (!ni || !nn) {
                bad = 1;
                break;
            }
            if (cap) {
                memcpy(ni, r->unit_id, (size_t)cap * sizeof *ni);
                memcpy(nn, r->unit_name, (size_t)cap * sizeof *nn);
            }
            r->unit_id = ni;
            r->unit_name = nn;
            cap = ncap;
        }
        r->unit_id[r->n_units] = col_dup(L, q, 0, &bad);
        r->unit_name[r->n_units] = col_dup(L, q, 1, &bad);
        r->n_units++;
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    if (rc != SQLITE_DONE) return db_fail(L, "cannot read units");
    if (r->n_units == 0) return ts_fail(L->err, TS_EINPUT, L->path, 0, "run %lld has no units", r->id);
    return TS_OK;
}

/* Reads scores, ranks, classes and per-unit weight overrides. */
static int load_scores(loader *L, ts_prun *r) {
    size_t n = (size_t)r->n_units * (size_t)r->n_nodes;
    r->score = ts_arena_alloc(L->d->arena, n * sizeof *r->score);
    r->rank = ts_arena_alloc(L->d->arena, n * sizeof *r->rank);
    r->cls = ts_arena_alloc(L->d->arena, n * sizeof *r->cls);
    r->uweight = ts_arena_alloc(L->d->arena, n * sizeof *r->uweight);
    if (!r->score || !r->rank || !r->cls || !r->uweight) return oom(L);
    for (size_t i = 0; i < n; i++) r->score[i] = r->uweight[i] = NAN;
    sqlite3_stmt *q;
    /* node and unit ids are identifiers ([A-Za-z0-9_-]), safe in a JSON path */
    if (sqlite3_prepare_v2(L->db,
                           "SELECT s.unit, s.node, s.score, s.rank, s.class,"
                           " json_extract(r.method_json, '$.nodes.\"' || s.node || '\".unit_weights.\"'"
                           "   || s.unit || '\"')"
                           " FROM scores s JOIN runs r ON r.id = s.run_id WHERE s.run_id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read scores");
    sqlite3_bind_int64(q, 1, r->id);
    int bad = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int u = ts_prun_unit(r, (const char *)sqlite3_column_text(q, 0));
        int k = ts_prun_node(r, (const char *)sqlite3_column_text(q, 1));
        if (u < 0 || k < 0) continue;
        size_t c = (size_t)u * (size_t)r->n_nodes + (size_t)k;
        r->score[c] = col_double(q, 2);
        r->rank[c] = sqlite3_column_int(q, 3);
        r->cls[c] = col_dup(L, q, 4, &bad);
        r->uweight[c] = col_double(q, 5);
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    return rc == SQLITE_DONE ? TS_OK : db_fail(L, "cannot read scores");
}

static int load_run(loader *L, long long id, ts_prun *r) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db,
                           "SELECT scenario, taxonomy_path, taxonomy_sha256,"
                           " json_extract(method_json, '$.scale[0]'), json_extract(method_json, '$.scale[1]')"
                           " FROM runs WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read run");
    sqlite3_bind_int64(q, 1, id);
    int bad = 0, rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        r->id = id;
        r->scenario = col_dup(L, q, 0, &bad);
        r->taxonomy_path = col_dup(L, q, 1, &bad);
        r->taxonomy_sha256 = col_dup(L, q, 2, &bad);
        r->lo = col_double(q, 3);
        r->hi = col_double(q, 4);
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    if (rc != SQLITE_ROW) return db_fail(L, "cannot read run");
    if (!r->scenario) r->scenario = "";
    if (!(r->lo == r->lo) || !(r->hi == r->hi) || !(r->hi > r->lo)) {
        r->lo = 0; /* no usable scale stored: fall back to the engine's default */
        r->hi = 100;
    }
    r->year = run_year(L, id);
    int rc2 = load_nodes(L, r);
    if (rc2 == TS_OK) rc2 = load_units(L, r);
    if (rc2 == TS_OK) rc2 = load_scores(L, r);
    return rc2;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned fnv1a(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Reads every distinct unit id in the database and gives each a palette
 * slot: its hash's slot, or the next free one (in sorted id order). */
static int load_colours(loader *L) {
    ts_plot_data *d = L->d;
    sqlite3_stmt *q;
    /* units of scored runs and of uncertainty analyses share one palette */
    const char *all = has_table(L, "ua_results") ? "SELECT unit FROM units UNION SELECT unit FROM ua_results"
                                                 : "SELECT DISTINCT unit FROM units";
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", all);
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) != SQLITE_OK) return db_fail(L, "cannot read units");
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    d->all_units = ts_arena_alloc(d->arena, (size_t)(n + 1) * sizeof *d->all_units);
    d->all_colour = ts_arena_alloc(d->arena, (size_t)(n + 1) * sizeof *d->all_colour);
    if (!d->all_units || !d->all_colour) return oom(L);
    if (sqlite3_prepare_v2(L->db, all, -1, &q, NULL) != SQLITE_OK) return db_fail(L, "cannot read units");
    int bad = 0;
    while (d->n_all < n && sqlite3_step(q) == SQLITE_ROW) d->all_units[d->n_all++] = col_dup(L, q, 0, &bad);
    sqlite3_finalize(q);
    if (bad) return oom(L);
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

/* Returns the sha256 hex of the file at path in hex, or -1 when it cannot
 * be read. */
static int file_sha256(const char *path, char hex[65]) {
    size_t n;
    char *text = ts_read_file(path, &n);
    if (!text) return -1;
    ts_sha256_hex(text, n, hex);
    free(text);
    return 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The classes at the drawn node: thresholds from the run's taxonomy file
 * when it is unchanged since the run, else the stored class names ordered
 * by the lowest score that has each (thresholds unknown). */
static int load_classes(loader *L) {
    ts_plot_data *d = L->d;
    const ts_prun *r = &d->runs[0];
    ts_pclasses *c = &d->classes;
    char hex[65], note[600];
    note[0] = '\0';
    if (!r->taxonomy_path || file_sha256(r->taxonomy_path, hex) != 0) {
        snprintf(note, sizeof note, "class lines not drawn: the run's taxonomy file %s is not readable here",
                 r->taxonomy_path ? base_name(r->taxonomy_path) : "(none)");
    } else if (!r->taxonomy_sha256 || strcmp(hex, r->taxonomy_sha256) != 0) {
        snprintf(note, sizeof note, "class lines not drawn: taxonomy file %s changed since run %lld",
                 base_name(r->taxonomy_path), r->id);
    } else {
        ts_error terr;
        ts_taxonomy *t = ts_taxonomy_load(r->taxonomy_path, &terr);
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

/* Chooses the run ids for req; *n receives their count. */
static int choose_runs(loader *L, const ts_plot_request *req, long long *ids, int cap, int *n) {
    *n = 0;
    int rc = TS_OK;
    for (int i = 0; i < req->n_runs && rc == TS_OK; i++) {
        if (*n == cap) return ts_fail(L->err, TS_EUSAGE, NULL, 0, "at most %d runs per chart", cap);
        rc = resolve_run(L, req->runs[i], &ids[(*n)++]);
    }
    if (rc != TS_OK || req->n_runs > 0) return rc;
    if (req->kind == TS_PLOT_COMPARE)
        return query_ids(L, "SELECT max(id) FROM runs GROUP BY scenario ORDER BY max(id)", ids, cap, n);
    if (req->kind == TS_PLOT_TREND) {
        /* every run with a year of the latest run's scenario */
        const char *sql = has_table(L, "run_years")
                              ? "SELECT r.id FROM runs r JOIN run_years y ON y.run_id = r.id"
                                " WHERE r.scenario = (SELECT scenario FROM runs ORDER BY id DESC LIMIT 1)"
                                " AND y.year IS NOT NULL ORDER BY y.year, r.id"
                              : "SELECT id FROM runs WHERE scenario ="
                                " (SELECT scenario FROM runs ORDER BY id DESC LIMIT 1)"
                                " AND year IS NOT NULL ORDER BY year, id";
        return query_ids(L, sql, ids, cap, n);
    }
    return query_ids(L, "SELECT max(id) FROM runs HAVING count(*) > 0", ids, cap, n);
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
    if (k == TS_PLOT_COMPARE && n < 2)
        return ts_fail(L->err, req->n_runs ? TS_EUSAGE : TS_EINPUT, NULL, 0,
                       "compare needs at least two runs (give --run twice or more)");
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

/* ---- uncertainty analyses: ua_runs, ua_results, ua_sobol ----------------- */

/* The engine's factors, in its order; a factor not listed sorts after. */
static const char *const UA_FACTORS[] = {"weights", "normalise", "aggregate", "treat", "impute", "exclude", "data"};
#define N_UA_FACTORS ((int)(sizeof UA_FACTORS / sizeof *UA_FACTORS))

static int no_ua_results(loader *L, const ts_plot_request *req) {
    if (req->kind == TS_PLOT_SENSITIVITY)
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "no sensitivity results in DB: run `threatscore uncertainty ... --sobol --db` first");
    return ts_fail(L->err, TS_EINPUT, L->path, 0,
                   "no uncertainty results in DB: run `threatscore uncertainty ... --db` first");
}

/* Runs sql with text t (or, when t is NULL, the integer x) bound to every
 * parameter; returns 1 with the first column in *v for a non-NULL first
 * row, 0 for none, -1 on a database error. */
static int query_ll(loader *L, const char *sql, const char *t, long long x, long long *v) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) != SQLITE_OK) return -1;
    for (int i = 1; i <= sqlite3_bind_parameter_count(q); i++) {
        if (t) sqlite3_bind_text(q, i, t, -1, SQLITE_STATIC);
        else sqlite3_bind_int64(q, i, x);
    }
    int rc = sqlite3_step(q), found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
        *v = sqlite3_column_int64(q, 0);
        found = 1;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/* Chooses the analysis: --run as a ua_runs id or scenario name (its latest
 * analysis), default the latest; sensitivity prefers the latest analysis
 * run with --sobol (of that name). */
static int choose_ua(loader *L, const ts_plot_request *req, long long *id) {
    int sens = req->kind == TS_PLOT_SENSITIVITY;
    if (req->n_runs > 1)
        return ts_fail(L->err, TS_EUSAGE, NULL, 0, "%s draws one uncertainty analysis: give --run once",
                       ts_plot_kind_name(req->kind));
    long long latest = 0, s = 0;
    int f = query_ll(L, "SELECT max(id) FROM ua_runs", NULL, 0, &latest);
    if (f < 0) return db_fail(L, "cannot list uncertainty runs");
    if (f == 0) return no_ua_results(L, req);
    const char *spec = req->n_runs ? req->runs[0] : NULL;
    if (spec && all_digits(spec)) {
        f = query_ll(L, "SELECT id FROM ua_runs WHERE id = ?", NULL, strtoll(spec, NULL, 10), id);
        if (f < 0) return db_fail(L, "cannot look up uncertainty run");
        if (f == 0)
            return ts_fail(L->err, TS_EINPUT, L->path, 0,
                           "unknown uncertainty run id %s (uncertainty runs have their own ids; the latest is %lld)",
                           spec, latest);
        return TS_OK;
    }
    if (spec) {
        f = query_ll(L, "SELECT max(id) FROM ua_runs WHERE scenario = ?", spec, 0, id);
        if (f < 0) return db_fail(L, "cannot look up uncertainty run");
        if (f == 0) return unknown_run(L, spec, "ua_runs");
        f = sens ? query_ll(L, "SELECT max(id) FROM ua_runs WHERE scenario = ? AND sobol", spec, 0, &s) : 0;
    } else {
        *id = latest;
        f = sens ? query_ll(L, "SELECT max(id) FROM ua_runs WHERE sobol", NULL, 0, &s) : 0;
    }
    if (f < 0) return db_fail(L, "cannot look up uncertainty run");
    if (f == 1) *id = s;
    return TS_OK;
}

/* Reads the ua_runs row. */
static int load_ua_run(loader *L, ts_pua *a, const char **tax_path, const char **tax_sha) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db,
                           "SELECT scenario, seed, n, sobol, bootstrap, rank_bin_width, taxonomy_path, taxonomy_sha256"
                           " FROM ua_runs WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read uncertainty run");
    sqlite3_bind_int64(q, 1, a->id);
    int bad = 0, rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        a->scenario = col_dup(L, q, 0, &bad);
        a->seed = col_dup(L, q, 1, &bad);
        a->n = (long)sqlite3_column_int64(q, 2);
        a->sobol = sqlite3_column_int(q, 3);
        a->bootstrap = sqlite3_column_int(q, 4);
        a->rank_bin_width = sqlite3_column_int(q, 5);
        *tax_path = col_dup(L, q, 6, &bad);
        *tax_sha = col_dup(L, q, 7, &bad);
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    if (rc != SQLITE_ROW) return db_fail(L, "cannot read uncertainty run");
    if (!a->scenario) a->scenario = "";
    if (!a->seed) a->seed = "?";
    return TS_OK;
}

/* Reads the column of strings one query gives (bound to the analysis id)
 * into *out; returns their count, or -1 (err filled). */
static int ua_strings(loader *L, const char *sql, long long id, const char ***out) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db, sql, -1, &q, NULL) != SQLITE_OK) return db_fail(L, "cannot read nodes"), -1;
    sqlite3_bind_int64(q, 1, id);
    int n = 0, cap = 0, bad = 0, rc;
    const char **v = NULL;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            int ncap = cap ? 2 * cap : 32;
            const char **nv = ts_arena_alloc(L->d->arena, (size_t)ncap * sizeof *nv);
            if (!nv) {
                bad = 1;
                break;
            }
            if (cap) memcpy(nv, v, (size_t)cap * sizeof *nv);
            v = nv;
            cap = ncap;
        }
        const char *sv = col_dup(L, q, 0, &bad);
        if (sv) v[n++] = sv;
    }
    sqlite3_finalize(q);
    if (bad) return oom(L), -1;
    if (rc != SQLITE_DONE) return db_fail(L, "cannot read nodes"), -1;
    *out = v;
    return n;
}

static int in_list(const char *s, const char *const *v, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return 1;
    return 0;
}

/* Picks the node: --node, or the index (the last node of method_json, the
 * taxonomy's post-order root); it must be among the reported nodes. */
static int choose_ua_node(loader *L, const ts_plot_request *req, const ts_pua *a) {
    const char **all = NULL, **rep = NULL;
    int n_all = ua_strings(L,
                           "SELECT j.key FROM ua_runs r, json_each(r.method_json, '$.nodes') j WHERE r.id = ?"
                           " ORDER BY j.id",
                           a->id, &all);
    if (n_all < 0) return L->err->code;
    int n_rep = ua_strings(L, "SELECT DISTINCT node FROM ua_results WHERE ua_id = ? ORDER BY node", a->id, &rep);
    if (n_rep < 0) return L->err->code;
    if (n_rep == 0)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "uncertainty run %lld has no results", a->id);
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
                       "the index was not reported in uncertainty run %lld: give --node (reported: %s)", a->id, list);
    if (in_list(node, all, n_all))
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "node '%s' was not reported in uncertainty run %lld (see its --nodes; reported: %s)", node,
                       a->id, list);
    const char *hint = ts_suggest(node, n_all ? all : rep, (size_t)(n_all ? n_all : n_rep));
    if (hint)
        return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown node '%s' in uncertainty run %lld (did you mean '%s'?)",
                       node, a->id, hint);
    return ts_fail(L->err, TS_EINPUT, L->path, 0, "unknown node '%s' in uncertainty run %lld", node, a->id);
}

/* Reads the results at the node, with unit names from the latest scored run
 * of the same scenario (names_run), or the ids. */
static int load_ua_results(loader *L, ts_pua *a) {
    long long nr = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db, "SELECT max(id) FROM runs WHERE scenario = ?", -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read runs");
    sqlite3_bind_text(q, 1, a->scenario, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) nr = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    a->names_run = nr;
    long long count = 0;
    if (sqlite3_prepare_v2(L->db, "SELECT count(*) FROM ua_results WHERE ua_id = ? AND node = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(L, "cannot read uncertainty results");
    sqlite3_bind_int64(q, 1, a->id);
    sqlite3_bind_text(q, 2, L->d->node, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) count = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    size_t n = (size_t)count + 1;
    ts_arena *ar = L->d->arena;
    a->unit_id = ts_arena_alloc(ar, n * sizeof *a->unit_id);
    a->unit_name = ts_arena_alloc(ar, n * sizeof *a->unit_name);
    a->nominal_score = ts_arena_alloc(ar, n * sizeof *a->nominal_score);
    a->median_score = ts_arena_alloc(ar, n * sizeof *a->median_score);
    a->rank_p05 = ts_arena_alloc(ar, n * sizeof *a->rank_p05);
    a->rank_p50 = ts_arena_alloc(ar, n * sizeof *a->rank_p50);
    a->rank_p95 = ts_arena_alloc(ar, n * sizeof *a->rank_p95);
    a->scored = ts_arena_alloc(ar, n * sizeof *a->scored);
    a->nominal_rank = ts_arena_alloc(ar, n * sizeof *a->nominal_rank);
    if (!a->unit_id || !a->unit_name || !a->nominal_score || !a->median_score || !a->rank_p05 || !a->rank_p50 ||
        !a->rank_p95 || !a->scored || !a->nominal_rank)
        return oom(L);
    if (sqlite3_prepare_v2(L->db,
                           "SELECT r.unit, u.name, r.nominal_score, r.nominal_rank, r.median_score, r.rank_p05,"
                           " r.rank_p50, r.rank_p95, r.scored FROM ua_results r"
                           " LEFT JOIN units u ON u.run_id = ?3 AND u.unit = r.unit"
                           " WHERE r.ua_id = ?1 AND r.node = ?2 ORDER BY r.unit",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read uncertainty results");
    sqlite3_bind_int64(q, 1, a->id);
    sqlite3_bind_text(q, 2, L->d->node, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, nr);
    int bad = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && a->n_units < count) {
        int u = a->n_units;
        a->unit_id[u] = col_dup(L, q, 0, &bad);
        a->unit_name[u] = col_dup(L, q, 1, &bad);
        if (!a->unit_id[u]) continue;
        if (!a->unit_name[u] || !*a->unit_name[u]) a->unit_name[u] = a->unit_id[u];
        a->nominal_score[u] = col_double(q, 2);
        a->nominal_rank[u] = sqlite3_column_int(q, 3);
        a->median_score[u] = col_double(q, 4);
        a->rank_p05[u] = col_double(q, 5);
        a->rank_p50[u] = col_double(q, 6);
        a->rank_p95[u] = col_double(q, 7);
        a->scored[u] = col_double(q, 8);
        a->n_units++;
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(L, "cannot read uncertainty results");
    return TS_OK;
}

/* The drawn node's name: from a stored run of the same taxonomy (the names
 * run first), else from the taxonomy file when unchanged, else its id. */
static int ua_node_name(loader *L, ts_pua *a, const char *tax_path, const char *tax_sha) {
    ts_plot_data *d = L->d;
    sqlite3_stmt *q;
    a->node_name = d->node;
    if (tax_sha &&
        sqlite3_prepare_v2(L->db,
                           "SELECT n.name FROM nodes n JOIN runs r ON r.id = n.run_id"
                           " WHERE r.taxonomy_sha256 = ?1 AND n.node = ?2 AND n.name IS NOT NULL AND n.name <> ''"
                           " ORDER BY r.id = ?3 DESC, r.id DESC LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, tax_sha, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, d->node, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, a->names_run);
        int bad = 0;
        const char *name = sqlite3_step(q) == SQLITE_ROW ? col_dup(L, q, 0, &bad) : NULL;
        sqlite3_finalize(q);
        if (bad) return oom(L);
        if (name) {
            a->node_name = name;
            return TS_OK;
        }
    }
    char hex[65];
    if (!tax_path || !tax_sha || file_sha256(tax_path, hex) != 0 || strcmp(hex, tax_sha) != 0) return TS_OK;
    ts_error terr;
    ts_taxonomy *t = ts_taxonomy_load(tax_path, &terr);
    int k = t ? ts_taxonomy_find(t, d->node) : -1;
    if (k >= 0 && t->nodes[k].name && *t->nodes[k].name) {
        const char *name = ts_arena_strdup(d->arena, t->nodes[k].name);
        if (!name) {
            ts_taxonomy_free(t);
            return oom(L);
        }
        a->node_name = name;
    }
    ts_taxonomy_free(t);
    return TS_OK;
}

static int factor_order(const char *f) {
    for (int i = 0; i < N_UA_FACTORS; i++)
        if (strcmp(UA_FACTORS[i], f) == 0) return i;
    return N_UA_FACTORS;
}

static int cmp_factor(const void *x, const void *y) {
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int oa = factor_order(a), ob = factor_order(b);
    return oa != ob ? (oa < ob ? -1 : 1) : strcmp(a, b);
}


/* Reads the Sobol' indices of the score at the node. */
static int load_ua_sobol(loader *L, ts_pua *a) {
    ts_plot_data *d = L->d;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(L->db,
                           "SELECT DISTINCT factor FROM ua_sobol WHERE ua_id = ? AND node = ? AND output = 'score'",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read Sobol' indices");
    sqlite3_bind_int64(q, 1, a->id);
    sqlite3_bind_text(q, 2, d->node, -1, SQLITE_STATIC);
    const char *names[64];
    int bad = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && a->n_factors < 64) {
        const char *f = col_dup(L, q, 0, &bad);
        if (f) names[a->n_factors++] = f;
    }
    sqlite3_finalize(q);
    if (bad) return oom(L);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(L, "cannot read Sobol' indices");
    if (a->n_factors == 0)
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "no Sobol' indices of the score at node '%s' in uncertainty run %lld (stored for aggregate"
                       " nodes whose score varies)",
                       d->node, a->id);
    qsort(names, (size_t)a->n_factors, sizeof *names, cmp_factor);
    size_t n = (size_t)a->n_units * (size_t)a->n_factors + 1;
    a->factor = ts_arena_alloc(d->arena, (size_t)a->n_factors * sizeof *a->factor);
    double **cols[6] = {&a->s1, &a->s1_lo, &a->s1_hi, &a->st, &a->st_lo, &a->st_hi};
    if (!a->factor) return oom(L);
    memcpy(a->factor, names, (size_t)a->n_factors * sizeof *names);
    for (int c = 0; c < 6; c++) {
        if (!(*cols[c] = ts_arena_alloc(d->arena, n * sizeof **cols[c]))) return oom(L);
        for (size_t i = 0; i < n; i++) (*cols[c])[i] = NAN;
    }
    if (sqlite3_prepare_v2(L->db,
                           "SELECT unit, factor, s1, s1_lo, s1_hi, st, st_lo, st_hi FROM ua_sobol"
                           " WHERE ua_id = ? AND node = ? AND output = 'score'",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(L, "cannot read Sobol' indices");
    sqlite3_bind_int64(q, 1, a->id);
    sqlite3_bind_text(q, 2, d->node, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text(q, 0), *f = (const char *)sqlite3_column_text(q, 1);
        if (!unit || !f) continue;
        const char **hit = bsearch(&unit, a->unit_id, (size_t)a->n_units, sizeof *a->unit_id, cmp_str);
        int j = 0;
        while (j < a->n_factors && strcmp(a->factor[j], f) != 0) j++;
        if (!hit || j == a->n_factors) continue;
        size_t at = (size_t)(hit - a->unit_id) * (size_t)a->n_factors + (size_t)j;
        for (int c = 0; c < 6; c++) (*cols[c])[at] = col_double(q, 2 + c);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? TS_OK : db_fail(L, "cannot read Sobol' indices");
}

/* Loads the analysis req names, at its node, for uncertainty and
 * sensitivity. */
static int load_ua(loader *L, const ts_plot_request *req) {
    ts_plot_data *d = L->d;
    if (!has_table(L, "ua_runs")) return no_ua_results(L, req);
    if (!has_table(L, "ua_results") || !has_table(L, "ua_sobol") || !has_column(L, "ua_runs", "sobol") ||
        !has_column(L, "ua_results", "rank_p95"))
        return ts_fail(L->err, TS_EINPUT, L->path, 0,
                       "the %s results in this database have a layout this threatscore cannot draw",
                       ts_plot_kind_name(req->kind));
    ts_pua *a = ts_arena_alloc(d->arena, sizeof *a);
    if (!a) return oom(L);
    memset(a, 0, sizeof *a);
    d->ua = a;
    const char *tax_path = NULL, *tax_sha = NULL;
    int rc = choose_ua(L, req, &a->id);
    if (rc == TS_OK) rc = load_ua_run(L, a, &tax_path, &tax_sha);
    if (rc == TS_OK && req->kind == TS_PLOT_SENSITIVITY && !a->sobol)
        rc = ts_fail(L->err, TS_EINPUT, L->path, 0,
                     "no sensitivity results in uncertainty run %lld: it was run without --sobol"
                     " (run `threatscore uncertainty SCENARIO --sobol --db FILE`)",
                     a->id);
    if (rc == TS_OK) rc = choose_ua_node(L, req, a);
    if (rc == TS_OK) rc = load_ua_results(L, a);
    if (rc == TS_OK && a->n_units == 0)
        rc = ts_fail(L->err, TS_EINPUT, L->path, 0, "uncertainty run %lld has no results at node '%s'", a->id,
                     d->node);
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
    if (rc == TS_OK) rc = ua_node_name(L, a, tax_path, tax_sha);
    if (rc == TS_OK && req->kind == TS_PLOT_SENSITIVITY) rc = load_ua_sobol(L, a);
    return rc;
}

#define MAX_RUNS 64

int ts_plot_data_load(const char *db, const ts_plot_request *req, ts_plot_data **out, ts_error *err) {
    *out = NULL;
    loader L = {NULL, db, NULL, err};
    ts_plot_data *d = calloc(1, sizeof *d);
    if (!d || !(d->arena = ts_arena_new())) {
        free(d);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    L.d = d;
    int rc = open_store(&L);
    if (rc == TS_OK && (req->kind == TS_PLOT_UNCERTAINTY || req->kind == TS_PLOT_SENSITIVITY)) {
        rc = load_ua(&L, req);
        if (rc == TS_OK) rc = load_colours(&L);
        sqlite3_close(L.db);
        if (rc != TS_OK) {
            ts_plot_data_free(d);
            return rc;
        }
        *out = d;
        return TS_OK;
    }
    if (rc == TS_OK && req->kind == TS_PLOT_TREND && !has_table(&L, "run_years") &&
        !has_column(&L, "runs", "year"))
        rc = ts_fail(err, TS_EINPUT, db, 0, "trend needs runs scored per year (not stored in this database yet)");
    long long ids[MAX_RUNS];
    int n = 0;
    if (rc == TS_OK) rc = choose_runs(&L, req, ids, MAX_RUNS, &n);
    if (rc == TS_OK && n == 0 && req->kind != TS_PLOT_TREND)
        rc = ts_fail(err, TS_EINPUT, db, 0, "no runs in this database: score a scenario with --db first");
    if (rc == TS_OK) rc = check_run_count(&L, req, n);
    if (rc == TS_OK && !(d->runs = ts_arena_alloc(d->arena, (size_t)n * sizeof *d->runs))) rc = oom(&L);
    for (int i = 0; i < n && rc == TS_OK; i++) {
        rc = load_run(&L, ids[i], &d->runs[i]);
        if (rc == TS_OK) d->n_runs++;
    }
    if (rc == TS_OK && req->kind == TS_PLOT_TREND) {
        for (int i = 0; i < n && rc == TS_OK; i++)
            if (!d->runs[i].year)
                rc = ts_fail(err, TS_EINPUT, db, 0, "trend: run %lld has no year", d->runs[i].id);
    }
    if (rc == TS_OK) rc = check_names(&L, req);
    if (rc == TS_OK) rc = load_colours(&L);
    if (rc == TS_OK && req->kind == TS_PLOT_RANKING) rc = load_classes(&L);
    sqlite3_close(L.db);
    if (rc != TS_OK) {
        ts_plot_data_free(d);
        return rc;
    }
    *out = d;
    return TS_OK;
}

void ts_plot_data_free(ts_plot_data *d) {
    if (!d) return;
    ts_arena_free(d->arena);
    free(d);
}
