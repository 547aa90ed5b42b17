/* store_nodes.c -- node sets (schema 8): the rows of a taxonomy as a run
 * scored it, kept once for every run that scored it the same way, and read
 * through the view nodes as one row per run and node, as before. */
#include <stdio.h>
#include <string.h>

#include "sha256.h"
#include "store_internal.h"

/* Runs share a node set when every column of every node row is the same
 * (the content's SHA-256 is the set's key): a batch of scenarios over one
 * taxonomy stores its nodes once, not once a run. Sets of the runs stored
 * before schema 8 keep their rows, one set per run, without a key: their
 * ids are the runs' ids. A set is never edited or deleted (no run is). */
const char TS_STORE_NODE_SETS_SCHEMA[] =
    "CREATE TABLE node_sets(id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE);"
    "CREATE TABLE node_set_rows("
    " set_id INTEGER NOT NULL REFERENCES node_sets(id),"
    " node TEXT NOT NULL, name TEXT NOT NULL, parent TEXT, depth INTEGER NOT NULL,"
    " position INTEGER NOT NULL, is_indicator INTEGER NOT NULL, weight REAL NOT NULL,"
    " aggregate TEXT, normalise TEXT, direction TEXT, unit_of_measure TEXT, source TEXT,"
    " PRIMARY KEY(set_id, node)) WITHOUT ROWID;"
    "ALTER TABLE runs ADD COLUMN node_set INTEGER REFERENCES node_sets(id);"
    "INSERT INTO node_sets(id) SELECT DISTINCT run_id FROM nodes;"
    "INSERT INTO node_set_rows SELECT * FROM nodes;"
    "UPDATE runs SET node_set = id WHERE id IN (SELECT id FROM node_sets);"
    "DROP TABLE nodes;"
    "CREATE VIEW nodes(run_id, node, name, parent, depth, position, is_indicator, weight, aggregate, normalise,"
    " direction, unit_of_measure, source) AS"
    " SELECT r.id, n.node, n.name, n.parent, n.depth, n.position, n.is_indicator, n.weight, n.aggregate,"
    " n.normalise, n.direction, n.unit_of_measure, n.source"
    " FROM runs r JOIN node_set_rows n ON n.set_id = r.node_set;";

/* The columns of node row j (pre-order position j, node order[j]) of s. */
typedef struct node_row {
    const char *node, *name, *parent;
    int depth, is_indicator;
    double weight;
    const char *aggregate, *normalise, *direction, *unit, *source;
} node_row;

static void node_row_of(const ts_scenario *s, const int *order, int j, node_row *row) {
    const ts_taxonomy *t = s->tax;
    int k = order[j];
    const ts_node *nd = &t->nodes[k];
    int leaf = nd->indicator >= 0;
    *row = (node_row){nd->id,
                      nd->name,
                      nd->parent >= 0 ? t->nodes[nd->parent].id : NULL,
                      nd->depth,
                      leaf,
                      s->spec->weight[k],
                      leaf ? NULL : ts_agg_name(s->spec->agg[k].method),
                      leaf ? ts_norm_name(s->spec->norm[k].method) : NULL,
                      leaf ? (nd->direction > 0 ? "risk" : "protective") : NULL,
                      nd->unit,
                      nd->source};
}

/* Feeds s and its NUL (fields cannot run together), or 0xff for NULL. */
static void hash_text(ts_sha256 *h, const char *s) {
    if (s) ts_sha256_update(h, s, strlen(s) + 1);
    else ts_sha256_update(h, "\xff", 1);
}

void ts_store_hash_nodes(const ts_scenario *s, const int *order, char hex[65]) {
    ts_sha256 h;
    ts_sha256_init(&h);
    hash_text(&h, "threatscore node set 1");
    for (int j = 0; j < s->tax->n_nodes; j++) {
        node_row row;
        node_row_of(s, order, j, &row);
        int ints[3] = {j, row.depth, row.is_indicator};
        hash_text(&h, row.node);
        hash_text(&h, row.name);
        hash_text(&h, row.parent);
        ts_sha256_update(&h, ints, sizeof ints);
        ts_sha256_update(&h, &row.weight, sizeof row.weight);
        hash_text(&h, row.aggregate);
        hash_text(&h, row.normalise);
        hash_text(&h, row.direction);
        hash_text(&h, row.unit);
        hash_text(&h, row.source);
    }
    ts_sha256_final_hex(&h, hex);
}

static void bind_text(sqlite3_stmt *q, int i, const char *s) {
    if (s) sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(q, i);
}

/* Steps an insert or lookup and resets it: returns SQLite's code. */
static int step_once(sqlite3_stmt *q, long long *id) {
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && id) *id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int ts_store_node_set(ts_store *st, const ts_scenario *s, const int *order, const char *sha256, long long *set_id,
                      ts_error *err) {
    *set_id = 0;
    sqlite3_stmt *find = ts_store_stmt(st, TS_Q_SET_FIND, err);
    sqlite3_stmt *add = find ? ts_store_stmt(st, TS_Q_SET_NEW, err) : NULL;
    sqlite3_stmt *row = add ? ts_store_stmt(st, TS_Q_SET_ROW, err) : NULL;
    if (!row) return TS_ESYSTEM;
    sqlite3_bind_text(find, 1, sha256, -1, SQLITE_STATIC);
    int rc = step_once(find, set_id);
    if (rc == SQLITE_ROW) return TS_OK;
    if (rc != SQLITE_DONE) return ts_store_fail(st, err, "cannot look up the run's nodes");
    sqlite3_bind_text(add, 1, sha256, -1, SQLITE_STATIC);
    if (step_once(add, NULL) != SQLITE_DONE) return ts_store_fail(st, err, "cannot insert node");
    *set_id = sqlite3_last_insert_rowid(ts_store_sqlite(st));
    for (int j = 0; j < s->tax->n_nodes; j++) {
        node_row n;
        node_row_of(s, order, j, &n);
        sqlite3_bind_int64(row, 1, *set_id);
        bind_text(row, 2, n.node);
        bind_text(row, 3, n.name);
        bind_text(row, 4, n.parent);
        sqlite3_bind_int(row, 5, n.depth);
        sqlite3_bind_int(row, 6, j);
        sqlite3_bind_int(row, 7, n.is_indicator);
        sqlite3_bind_double(row, 8, n.weight);
        bind_text(row, 9, n.aggregate);
        bind_text(row, 10, n.normalise);
        bind_text(row, 11, n.direction);
        bind_text(row, 12, n.unit);
        bind_text(row, 13, n.source);
        if (step_once(row, NULL) != SQLITE_DONE) return ts_store_fail(st, err, "cannot insert node");
    }
    return TS_OK;
}
