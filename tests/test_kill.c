/* test_kill.c -- `uncertainty --db` and `trend --db` killed with SIGKILL at
 * points where SQLite touches the file, chosen by count, not by time: the
 * store passes integrity_check and holds only complete analyses and
 * series. */
#include "testutil.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* ---- a VFS that kills the process at its Nth file operation ------------ */

/* Wraps the default VFS: every write, sync, truncate and lock change of
 * any file (the database, its -wal, -shm or journal) counts as a point,
 * and the process kills itself with SIGKILL just before point kill_at.
 * Only a forked child registers it, so the count starts there; there are
 * no timers, so a point is the same point on every run. */
static sqlite3_vfs *real_vfs;
static long points, kill_at;

typedef struct kill_file {
    sqlite3_file base;
    sqlite3_file *real; /* the real file, allocated right after this struct */
} kill_file;

static void point(void) {
    if (++points == kill_at) kill(getpid(), SIGKILL);
}

#define REAL(f) (((kill_file *)(f))->real)

static int k_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int k_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int k_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) {
    point();
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int k_truncate(sqlite3_file *f, sqlite3_int64 size) {
    point();
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int k_sync(sqlite3_file *f, int flags) {
    point();
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int k_size(sqlite3_file *f, sqlite3_int64 *size) { return REAL(f)->pMethods->xFileSize(REAL(f), size); }
static int k_lock(sqlite3_file *f, int lock) {
    point();
    return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int k_unlock(sqlite3_file *f, int lock) {
    point();
    return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int k_reserved(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int k_control(sqlite3_file *f, int op, void *arg) { return REAL(f)->pMethods->xFileControl(REAL(f), op, arg); }
static int k_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int k_device(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int k_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **p) {
    return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, p);
}
static int k_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
    point();
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void k_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int k_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int k_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { return REAL(f)->pMethods->xFetch(REAL(f), o, n, p); }
static int k_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return REAL(f)->pMethods->xUnfetch(REAL(f), o, p); }

static const sqlite3_io_methods KILL_IO = {
    3,        k_close,    k_read,     k_write,   k_truncate,    k_sync,     k_size,  k_lock, k_unlock,
    k_reserved, k_control, k_sector, k_device, k_shm_map, k_shm_lock, k_shm_barrier, k_shm_unmap, k_fetch, k_unfetch,
};

static int k_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags) {
    (void)vfs;
    kill_file *k = (kill_file *)f;
    k->real = (sqlite3_file *)&k[1];
    int rc = real_vfs->xOpen(real_vfs, name, k->real, flags, out_flags);
    /* SQLite calls xClose only when pMethods is set */
    f->pMethods = k->real->pMethods ? &KILL_IO : NULL;
    return rc;
}
static int k_delete(sqlite3_vfs *v, const char *name, int sync) {
    (void)v;
    point();
    return real_vfs->xDelete(real_vfs, name, sync);
}
static int k_access(sqlite3_vfs *v, const char *name, int flags, int *out) {
    (void)v;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int k_full(sqlite3_vfs *v, const char *name, int n, char *out) {
    (void)v;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static int k_random(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int k_sleep(sqlite3_vfs *v, int us) {
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int k_time(sqlite3_vfs *v, double *t) {
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, t);
}
static int k_error(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return real_vfs->xGetLastError(real_vfs, n, out);
}
static int k_time64(sqlite3_vfs *v, sqlite3_int64 *t) {
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

/* Makes the killing VFS the default of this process, to kill at point at
 * (0: never, only count). */
static void install_kill_vfs(long at) {
    static sqlite3_vfs vfs;
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    memset(&vfs, 0, sizeof vfs);
    vfs.iVersion = 2;
    vfs.szOsFile = (int)sizeof(kill_file) + real_vfs->szOsFile;
    vfs.mxPathname = real_vfs->mxPathname;
    vfs.zName = "kill";
    vfs.xOpen = k_open;
    vfs.xDelete = k_delete;
    vfs.xAccess = k_access;
    vfs.xFullPathname = k_full;
    vfs.xRandomness = k_random;
    vfs.xSleep = k_sleep;
    vfs.xCurrentTime = k_time;
    vfs.xGetLastError = k_error;
    vfs.xCurrentTimeInt64 = k_time64;
    points = 0;
    kill_at = at;
    assert_int_equal(sqlite3_vfs_register(&vfs, 1), SQLITE_OK);
}

/* ---- running a command in a child -------------------------------------- */

/* Forks; the child installs the killing VFS (kill at point at, 0 for
 * never), runs `threatscore ARGS...` in-process and exits with its status;
 * when it is not killed and count is not NULL, *count is set to the number
 * of points it passed. Returns the raw wait status. */
static int run_counted(long at, char *const *args, long *count) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        install_kill_vfs(at);
        char *argv[32];
        int argc = 0;
        argv[argc++] = "threatscore";
        for (int i = 0; args[i] && argc < 31; i++) argv[argc++] = args[i];
        argv[argc] = NULL;
        FILE *devnull = fopen("/dev/null", "w");
        int rc = devnull ? ts_cli_main(argc, argv, devnull, devnull) : 98;
        close(fds[0]);
        if (write(fds[1], &points, sizeof points) != (ssize_t)sizeof points) rc = 97;
        _exit(rc);
    }
    close(fds[1]);
    long passed = -1;
    if (read(fds[0], &passed, sizeof passed) != (ssize_t)sizeof passed) passed = -1;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (count) *count = passed;
    return status;
}

static int run_killed(long at, char *const *args) {
    return run_counted(at, args, NULL);
}

/* Copies file src to dst (the fixture store, fresh for each kill). */
static void copy_file(const char *src, const char *dst) {
    size_t n;
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    char buf[65536];
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", dst);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dst);
    unlink(side);
}

/* Returns the first column of the first row of sql on db (an integer). */
static long long query(const char *db, const char *sql) {
    long long v = tu_query_int(db, sql);
    if (v < 0) fail_msg("%s: %s failed", db, sql);
    return v;
}

/* Asserts that db passes PRAGMA integrity_check. */
static void check_integrity(const char *db) {
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    const char *r = (const char *)sqlite3_column_text(q, 0);
    if (strcmp(r, "ok") != 0) fail_msg("%s: integrity_check: %s", db, r);
    sqlite3_finalize(q);
    sqlite3_close(h);
}

/* Kills `args` (which writes into db) at points spread over the whole
 * command: the first 20, the last 20 (the commit and the checkpoint on
 * close) and 20 in between, each time on a fresh copy of base. After each
 * kill, check(db, -1) judges what the store holds, and every tenth time
 * the command is run again on the killed file, which must work
 * (check(db, 2)); a run not killed gives check(db, 1). Returns the number
 * of kills. */
static long kill_at_points(const char *base, const char *db, char *const *args, void (*check)(const char *db, int done)) {
    long total;
    copy_file(base, db);
    int st = run_counted(0, args, &total);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    check_integrity(db);
    check(db, 1);
    assert_true(total > 60);
    long stride = (total - 40) / 20, killed = 0;
    for (long at = 1; at <= total; at++) {
        if (!(at <= 20 || at > total - 20 || at % stride == 0)) continue;
        copy_file(base, db);
        st = run_killed(at, args);
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) fail_msg("point %ld of %ld: status %d", at, total, st);
        killed++;
        check_integrity(db);
        check(db, -1);
        if (killed % 10 == 0) {
            /* the store still works, and keeps the new work whole */
            int again = run_killed(0, args);
            if (!WIFEXITED(again) || WEXITSTATUS(again) != 0) fail_msg("point %ld: rerun status %d", at, again);
            check_integrity(db);
            check(db, 2);
        }
    }
    return killed;
}

/* ---- uncertainty --db --------------------------------------------------- */

/* What one complete analysis of the fixture holds (from a run not killed). */
static long long ua_results_each, ua_classes_each, ua_sobol_each, ua_samples_each, ua_before;

/* The analyses in db are the ua_before ones of the fixture plus, after a
 * kill (done -1), none or one, complete; done 1: exactly one; done 2 (a
 * rerun after a kill): one or two. Every analysis has all its rows. */
static void check_analyses(const char *db, int done) {
    long long n = query(db, "SELECT count(*) FROM ua_runs");
    long long fresh = n - ua_before;
    if (done == 1) assert_int_equal(fresh, 1);
    if (done == -1) assert_true(fresh == 0 || fresh == 1);
    if (done == 2) assert_true(fresh == 1 || fresh == 2);
    assert_int_equal(query(db, "SELECT count(*) FROM ua_results"), n * ua_results_each);
    assert_int_equal(query(db, "SELECT count(*) FROM ua_classes"), n * ua_classes_each);
    assert_int_equal(query(db, "SELECT count(*) FROM ua_sobol"), n * ua_sobol_each);
    assert_int_equal(query(db, "SELECT count(*) FROM ua_samples"), n * ua_samples_each);
    /* and each analysis has its own share */
    assert_int_equal(query(db, "SELECT count(*) FROM ua_runs r WHERE (SELECT count(*) FROM ua_results x WHERE"
                               " x.ua_id = r.id) <> (SELECT count(*) FROM ua_results x WHERE x.ua_id = 1)"),
                     0);
}

static void test_uncertainty_killed(void **state) {
    (void)state;
    char base[512], db[512];
    snprintf(base, sizeof base, "%s", tu_path("ua-base.db"));
    snprintf(db, sizeof db, "%s", tu_path("ua-kill.db"));
    char *args[] = {"uncertainty", "scenarios/baseline.cfg", "-N", "16", "--sobol", "--store-samples", "-j", "1",
                    "-q", "--seed", "1", "--db", base, NULL};
    /* the fixture: one analysis already stored (another seed, so that the
       one killed is not reused), no -wal beside it */
    int st = run_killed(0, args);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ua_before = query(base, "SELECT count(*) FROM ua_runs");
    assert_int_equal(ua_before, 1);
    ua_results_each = query(base, "SELECT count(*) FROM ua_results");
    ua_classes_each = query(base, "SELECT count(*) FROM ua_classes");
    ua_sobol_each = query(base, "SELECT count(*) FROM ua_sobol");
    ua_samples_each = query(base, "SELECT count(*) FROM ua_samples");
    assert_true(ua_results_each > 0 && ua_sobol_each > 0 && ua_samples_each > 0);
    /* checkpointed on close: the copies start from the main file alone */
    args[10] = "2";
    args[12] = db;
    long killed = kill_at_points(base, db, args, check_analyses);
    print_message("uncertainty --db: killed at %ld points\n", killed);
    assert_true(killed >= 40);
}

/* ---- trend --db --------------------------------------------------------- */

static long long trend_years, trend_scores_each, trend_inputs_each, trend_runs_before;

/* Every series in db is whole (trend_years runs, each with all its scores
 * and inputs), and a kill adds none or one. */
static void check_series(const char *db, int done) {
    long long runs = query(db, "SELECT count(*) FROM runs");
    long long fresh = runs - trend_runs_before;
    if (done == 1) assert_int_equal(fresh, trend_years);
    if (done == -1) assert_true(fresh == 0 || fresh == trend_years);
    if (done == 2) assert_true(fresh == trend_years || fresh == 2 * trend_years);
    assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE year IS NULL OR series IS NULL"), 0);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT series FROM runs GROUP BY series HAVING count(*) <> %lld)",
             trend_years);
    assert_int_equal(query(db, sql), 0);
    assert_int_equal(query(db, "SELECT count(*) FROM scores"), runs * trend_scores_each);
    assert_int_equal(query(db, "SELECT count(*) FROM inputs"), runs * trend_inputs_each);
}

static void test_trend_killed(void **state) {
    (void)state;
    char base[512], db[512];
    snprintf(base, sizeof base, "%s", tu_path("trend-base.db"));
    snprintf(db, sizeof db, "%s", tu_path("trend-kill.db"));
    /* the fixture: the trend of a what-if already stored (a series of the
       same scenario would be reused, not stored again) */
    char *args[] = {"trend", "scenarios/economic_shock.cfg", "--db", base, "-o", "/dev/null", NULL};
    int st = run_killed(0, args);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    trend_runs_before = query(base, "SELECT count(*) FROM runs");
    trend_years = trend_runs_before;
    assert_true(trend_years >= 3);
    trend_scores_each = query(base, "SELECT count(*) FROM scores") / trend_years;
    trend_inputs_each = query(base, "SELECT count(*) FROM inputs") / trend_years;
    args[1] = "scenarios/baseline.cfg";
    args[3] = db;
    long killed = kill_at_points(base, db, args, check_series);
    print_message("trend --db: killed at %ld points\n", killed);
    assert_true(killed >= 40);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uncertainty_killed),
        cmocka_unit_test(test_trend_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
