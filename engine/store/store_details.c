/* store_details.c -- the input_details table (schema step 7): how each value
 * was chosen for the run's year and its alternatives, saved with the run and
 * read back for the briefing report. */
#include "store_details.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store_internal.h"

/* One row per input that was not taken as it stands for the run's year or
 * has sourced alternatives; alternatives_json is a list of {value, year,
 * source} objects, NULL when there are none. */
const char TS_STORE_DETAILS_SCHEMA[] =
    "CREATE TABLE input_details("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " unit TEXT NOT NULL, indicator TEXT NOT NULL,"
    " selected INTEGER NOT NULL DEFAULT 0, alternatives_json TEXT,"
    " PRIMARY KEY(run_id, unit, indicator)) WITHOUT ROWID;";

/* Appends the alternatives of p as a JSON list. */
static void alternatives_json(ts_buf *b, const ts_provenance *p) {
    ts_buf_puts(b, "[");
    for (int j = 0; j < p->n_alternatives; j++) {
        const ts_observation *o = &p->alternatives[j];
        ts_buf_puts(b, j ? ",{\"value\":" : "{\"value\":");
        ts_buf_json_number(b, o->value);
        ts_buf_printf(b, ",\"year\":%d,\"source\":", o->year);
        if (o->source) ts_buf_json_string(b, o->source);
        else ts_buf_puts(b, "null");
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "]");
}

int ts_store_insert_details(ts_store *st, const ts_scenario *s, long long run_id, ts_error *err) {
    const ts_dataset *d = s->data;
    const ts_taxonomy *t = s->tax;
    if (!d->prov) return TS_OK; /* CSV input: no years, no alternatives */
    sqlite3_stmt *q = NULL;
    ts_buf json = {0};
    int rc = TS_OK;
    for (int i = 0; i < t->n_indicators && rc == TS_OK; i++) {
        for (int u = 0; u < d->n_units && rc == TS_OK; u++) {
            size_t c = (size_t)i * (size_t)d->n_units + (size_t)u;
            const ts_provenance *p = &d->prov[c];
            int selected = d->values[c] == d->values[c] && d->selected ? d->selected[c] : TS_SELECT_EXACT;
            if (selected == TS_SELECT_EXACT && p->n_alternatives == 0) continue;
            if (!q && sqlite3_prepare_v2(st->db, "INSERT INTO input_details VALUES(?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK)
                return ts_store_fail(st, err, "cannot insert input details");
            json.len = 0;
            if (p->n_alternatives) alternatives_json(&json, p);
            if (json.oom) {
                rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
                break;
            }
            sqlite3_bind_int64(q, 1, run_id);
            sqlite3_bind_text(q, 2, d->unit_id[u], -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, t->nodes[t->indicator_node[i]].id, -1, SQLITE_STATIC);
            sqlite3_bind_int(q, 4, selected);
            if (p->n_alternatives) sqlite3_bind_text(q, 5, json.data, (int)json.len, SQLITE_STATIC);
            else sqlite3_bind_null(q, 5);
            if (sqlite3_step(q) != SQLITE_DONE) rc = ts_store_fail(st, err, "cannot insert input details");
            sqlite3_reset(q);
            sqlite3_clear_bindings(q);
        }
    }
    sqlite3_finalize(q);
    ts_buf_free(&json);
    return rc;
}

/* Reads a number, or null (the writer's form of a value that is not
 * finite). Returns it, NaN for null; sets j->bad on anything else. */
static double json_number(ts_json *j) {
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r') j->p++;
    char *end;
    double x = strtod(j->p, &end);
    if (end != j->p) {
        j->p = end;
        return x;
    }
    if (strncmp(j->p, "null", 4) == 0) j->p += 4;
    else j->bad = 1;
    return NAN;
}

/* Reads the alternatives list at j into an arena array. Returns its
 * length, or -1 when the text is malformed or, with j->oom set, when out
 * of memory. */
static int read_alternatives(ts_json *j, const char *text, ts_arena *a, const ts_stored_alternative **out) {
    *out = NULL;
    int cap = 1;
    for (const char *p = text; *p; p++) cap += *p == '{';
    ts_stored_alternative *v = ts_arena_alloc(a, (size_t)cap * sizeof *v);
    if (!v) j->oom = 1;
    if (!v || !ts_json_eat(j, '[')) return -1;
    int n = 0;
    if (!ts_json_eat(j, ']')) {
        do {
            if (n == cap || !ts_json_eat(j, '{')) return -1;
            ts_stored_alternative *e = &v[n++];
            e->value = NAN;
            do {
                const char *key = ts_json_string(j);
                if (!key || !ts_json_eat(j, ':')) return -1;
                if (strcmp(key, "source") == 0) {
                    e->source = ts_json_string(j);
                } else if (strcmp(key, "value") == 0) {
                    e->value = json_number(j);
                } else if (strcmp(key, "year") == 0) {
                    double y = json_number(j);
                    e->year = y == y ? (int)y : 0;
                } else {
                    ts_json_skip(j);
                }
            } while (!j->bad && ts_json_eat(j, ','));
            if (!ts_json_eat(j, '}')) return -1;
        } while (!j->bad && ts_json_eat(j, ','));
        if (!ts_json_eat(j, ']')) return -1;
    }
    *out = v;
    return j->bad ? -1 : n;
}

/* Reads a stored alternatives list into an arena array. Returns its
 * length, -1 when the text is malformed, or -2 when out of memory. */
static int parse_alternatives(const char *text, ts_arena *a, const ts_stored_alternative **out) {
    ts_json j;
    ts_json_init(&j, text, a);
    int n = read_alternatives(&j, text, a, out);
    return n < 0 && j.oom ? -2 : n;
}

int ts_store_each_detail(ts_store *st, long long id, int (*cb)(const ts_stored_detail *d, void *ctx), void *ctx,
                         ts_error *err) {
    int has = ts_store_has_table(st, "input_details", err);
    if (has <= 0) return has < 0 ? TS_ESYSTEM : TS_OK;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT unit, indicator, selected, alternatives_json FROM input_details"
                           " WHERE run_id = ?1 ORDER BY unit, indicator",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read input details");
    sqlite3_bind_int64(q, 1, id);
    ts_arena *a = ts_arena_new();
    int rc = a ? TS_OK : ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    while (rc == TS_OK && sqlite3_step(q) == SQLITE_ROW) {
        ts_stored_detail d = {(const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
                              sqlite3_column_int(q, 2), 0, NULL};
        const char *alts = (const char *)sqlite3_column_text(q, 3);
        if (ts_store_row_lost(st)) break;
        if (alts && (d.n_alternatives = parse_alternatives(alts, a, &d.alternatives)) < 0) {
            if (d.n_alternatives == -2) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
            else
                rc = ts_fail(err, TS_EINPUT, st->path, 0, "run %lld: the alternatives of %s at %s cannot be read", id,
                             d.unit, d.indicator);
            break;
        }
        if (cb(&d, ctx)) break;
    }
    /* a failed step or column: sqlite3_finalize reports it */
    if (rc == TS_OK) rc = ts_store_finish(st, q, "cannot read input details", err);
    else sqlite3_finalize(q);
    ts_arena_free(a);
    return rc;
}
