/* batch_sqlite_floor.c -- a yardstick of this machine's SQLite: N runs of
 * 5 units x 46 nodes scores and 5 x 40 inputs as the rows schema 7 kept
 * them (one SQL row per score and per input, text keys), with prepared
 * statements, WAL, synchronous=NORMAL and one transaction a run. Since
 * schema 8 batch writes each unit's rows as one row of unit_rows, so it
 * can beat this; the ratio of the two, measured in one session, is what
 * carries across machines.
 * Usage: batch_sqlite_floor DB N */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    int n = atoi(argv[2]);
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) return 1;
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE scores(run_id INTEGER NOT NULL, unit TEXT NOT NULL, node TEXT NOT NULL, score REAL,"
                 " rank INTEGER, class TEXT, coverage REAL NOT NULL, imputed REAL NOT NULL DEFAULT 0,"
                 " PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"
                 "CREATE TABLE inputs(run_id INTEGER NOT NULL, unit TEXT NOT NULL, indicator TEXT NOT NULL, raw REAL,"
                 " transformed REAL, normalised REAL, imputed INTEGER NOT NULL DEFAULT 0, source TEXT, year INTEGER,"
                 " estimate INTEGER NOT NULL DEFAULT 0, note TEXT, shock TEXT, file TEXT, line INTEGER,"
                 " PRIMARY KEY(run_id, unit, indicator)) WITHOUT ROWID;",
                 NULL, NULL, NULL);
    sqlite3_stmt *qs, *qi;
    sqlite3_prepare_v2(db, "INSERT INTO scores VALUES(?,?,?,?,?,?,?,?)", -1, &qs, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO inputs VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &qi, NULL);
    const char *units[] = {"KAZ", "KGZ", "TJK", "TKM", "UZB"};
    char nodes[46][16];
    for (int k = 0; k < 46; k++) snprintf(nodes[k], sizeof nodes[k], "ind%02d", k);
    double t0 = now();
    for (int r = 1; r <= n; r++) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int u = 0; u < 5; u++) {
            for (int k = 0; k < 46; k++) {
                sqlite3_bind_int64(qs, 1, r);
                sqlite3_bind_text(qs, 2, units[u], -1, SQLITE_STATIC);
                sqlite3_bind_text(qs, 3, nodes[k], -1, SQLITE_STATIC);
                sqlite3_bind_double(qs, 4, 1.5 + k);
                sqlite3_bind_int(qs, 5, u + 1);
                sqlite3_bind_text(qs, 6, "Medium", -1, SQLITE_STATIC);
                sqlite3_bind_double(qs, 7, 1.0);
                sqlite3_bind_double(qs, 8, 0.0);
                sqlite3_step(qs);
                sqlite3_reset(qs);
            }
            for (int k = 0; k < 40; k++) {
                sqlite3_bind_int64(qi, 1, r);
                sqlite3_bind_text(qi, 2, units[u], -1, SQLITE_STATIC);
                sqlite3_bind_text(qi, 3, nodes[k], -1, SQLITE_STATIC);
                for (int c = 4; c <= 6; c++) sqlite3_bind_double(qi, c, 3.25 * k);
                sqlite3_bind_int(qi, 7, 0);
                sqlite3_bind_text(qi, 8, "generated", -1, SQLITE_STATIC);
                sqlite3_bind_int(qi, 9, 2024);
                sqlite3_bind_int(qi, 10, 0);
                sqlite3_bind_null(qi, 11);
                sqlite3_bind_null(qi, 12);
                sqlite3_bind_text(qi, 13, "/tmp/threatscore-bench/scenarios/scenario_0001.cfg", -1, SQLITE_STATIC);
                sqlite3_bind_int(qi, 14, k + 5);
                sqlite3_step(qi);
                sqlite3_reset(qi);
            }
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double el = now() - t0;
    printf("sqlite floor: %d runs (430 rows each) in %.2f s: %.0f runs/s, %.3f ms a run, one thread\n", n, el, n / el,
           1e3 * el / n);
    sqlite3_finalize(qs);
    sqlite3_finalize(qi);
    sqlite3_close(db);
    return 0;
}
