/* test_inputs.c -- hostile and careless inputs: FIFOs and devices named in
 * config files, size limits, CSV from a pipe, a CSV rewritten while it is
 * read, byte order marks and empty file names. Each case once hung, crashed
 * or gave a bare message. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "csv.h"
#include "json.h"
#include "fixtures.h"
#include "scenario.h"
#include "util.h"

/* A hang fails the test instead of stalling ctest: SIGALRM ends the
 * process after this many seconds. */
#define HANG_LIMIT_S 30

static const char *make_fifo(const char *name) {
    const char *p = tu_path(name);
    unlink(p);
    assert_int_equal(mkfifo(p, 0600), 0);
    return p;
}

/* Runs the CLI and checks it fails with status want and a message that
 * contains expect. */
static void expect_failure(int want, const char *expect, const char *a1, const char *a2, const char *a3) {
    char *out, *err;
    int rc = tu_run(&out, &err, a1, a2, a3, NULL);
    if (rc != want || !strstr(err, expect))
        fail_msg("%s %s: status %d (want %d), stderr '%s' (want '%s')", a1, a2, rc, want, err, expect);
    free(out), free(err);
}

static void test_fifo_and_devices_in_configs(void **state) {
    (void)state;
    alarm(HANG_LIMIT_S);
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *fifo = make_fifo("fifo.cfg");
    /* a validate argument, a taxonomy and an extends that are FIFOs */
    expect_failure(1, "fifo.cfg: is a FIFO or pipe: only a regular file is read here", "validate", fifo, NULL);
    char text[512];
    snprintf(text, sizeof text, "name = \"n\";\ntaxonomy = \"%s\";\nunits = ( { id = \"P\"; } );\n", fifo);
    expect_failure(1, "is a FIFO or pipe", "validate", tu_write("fifo_tax.cfg", text), NULL);
    snprintf(text, sizeof text, "name = \"n\";\nextends = \"fifo.cfg\";\n");
    expect_failure(1, "is a FIFO or pipe", "score", tu_write("fifo_ext.cfg", text), NULL);
    /* an endless device as taxonomy or extends */
    expect_failure(1, "/dev/zero: is a character device",
                   "validate", tu_write("zero_tax.cfg", "name = \"n\";\ntaxonomy = \"/dev/zero\";\n"), NULL);
    expect_failure(1, "/dev/zero: is a character device",
                   "score", tu_write("zero_ext.cfg", "name = \"n\";\nextends = \"/dev/zero\";\n"), NULL);
    /* a FIFO among a batch directory's scenarios fails alone, at once */
    mkdir(tu_path("batchdir"), 0700);
    tu_write("batchdir/a.cfg", FIX_SCENARIO_HEAD);
    tu_write("batchdir/tax.cfg", FIX_TAXONOMY);
    unlink(tu_path("batchdir/b.cfg"));
    assert_int_equal(mkfifo(tu_path("batchdir/b.cfg"), 0600), 0);
    char *out, *err;
    int rc = tu_run(&out, &err, "batch", tu_path("batchdir"), "--db", tu_path("fifo.db"), NULL);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "b.cfg: is a FIFO or pipe"));
    assert_int_equal(tu_query_int(tu_path("fifo.db"), "SELECT count(*) FROM runs"), 1);
    free(out), free(err);
    alarm(0);
}

static void test_size_limit(void **state) {
    (void)state;
    alarm(HANG_LIMIT_S);
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("scen.cfg", FIX_SCENARIO_HEAD);
    ts_error err;
    assert_int_equal(ts_input_limit(TS_INPUT_CONFIG, &err), (size_t)64 << 20);
    assert_int_equal(ts_input_limit(TS_INPUT_DATA, &err), (size_t)1 << 30);
    setenv("TS_MAX_INPUT", "100", 1);
    expect_failure(1, "scen.cfg: larger than the input limit of 100 bytes (set TS_MAX_INPUT to raise it",
                   "validate", scen, NULL);
    /* a pipe without end is cut at the limit, not read until memory runs out */
    setenv("TS_MAX_INPUT", "1M", 1);
    char *out, *e;
    assert_int_equal(tu_run(&out, &e, "score", "--taxonomy", tu_path("tax.cfg"), "--data", "/dev/zero", NULL), 1);
    assert_non_null(strstr(e, "/dev/zero: larger than the input limit of 1 MiB"));
    free(out), free(e);
    setenv("TS_MAX_INPUT", "4G", 1);
    assert_int_equal(ts_input_limit(TS_INPUT_CONFIG, &err), (size_t)4 << 30);
    setenv("TS_MAX_INPUT", "lots", 1);
    expect_failure(2, "TS_MAX_INPUT='lots' is not a size", "validate", scen, NULL);
    unsetenv("TS_MAX_INPUT");
    alarm(0);
}

/* Writes text into the FIFO path from a child process. */
static pid_t feed_fifo(const char *path, const char *text) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY);
        size_t n = strlen(text);
        _exit(fd >= 0 && write(fd, text, n) == (ssize_t)n ? 0 : 1);
    }
    return pid;
}

static void test_csv_from_a_pipe(void **state) {
    (void)state;
    alarm(HANG_LIMIT_S);
    const char *tax = tu_write("tax.cfg", FIX_TAXONOMY);
    const char *csv = tu_write("data.csv", FIX_CSV);
    char *want, *out, *err;
    assert_int_equal(tu_run(&want, &err, "score", "--taxonomy", tax, "--data", csv, "--name-column", "name",
                            "--format", "csv", NULL), 0);
    free(err);
    /* a FIFO (this used to exit 3 with the bare message "threatscore: ") */
    const char *fifo = make_fifo("data.fifo");
    pid_t pid = feed_fifo(fifo, FIX_CSV);
    int rc = tu_run(&out, &err, "score", "--taxonomy", tax, "--data", fifo, "--name-column", "name", "--format",
                    "csv", NULL);
    if (rc != 0) fail_msg("FIFO: status %d: %s", rc, err);
    assert_string_equal(out, want);
    free(out), free(err);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* standard input, as "-" and as /dev/stdin */
    const char *names[] = {"-", "/dev/stdin"};
    for (int i = 0; i < 2; i++) {
        int fds[2], saved = dup(0);
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(write(fds[1], FIX_CSV, strlen(FIX_CSV)), (ssize_t)strlen(FIX_CSV));
        close(fds[1]);
        dup2(fds[0], 0);
        close(fds[0]);
        rc = tu_run(&out, &err, "score", "--taxonomy", tax, "--data", names[i], "--name-column", "name",
                    "--format", "csv", NULL);
        dup2(saved, 0);
        close(saved);
        if (rc != 0) fail_msg("%s: status %d: %s", names[i], rc, err);
        assert_string_equal(out, want);
        free(out), free(err);
    }
    free(want);
    alarm(0);
}

/* ---- a CSV rewritten while it is read ------------------------------------ */

typedef struct rewriter {
    const char *path;
    volatile int stop;
} rewriter;

static void pause_us(long us) {
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Cuts the file back to its header and first row and restores it, again
 * and again, as an export running beside a score would. */
static void *rewrite_loop(void *arg) {
    rewriter *w = arg;
    static char long_csv[1 << 16];
    size_t n = 0, prefix = 0;
    n += (size_t)snprintf(long_csv + n, sizeof long_csv - n, "id,x1,x2,Y one,y2\n");
    for (int u = 0; n + 64 < sizeof long_csv; u++) {
        n += (size_t)snprintf(long_csv + n, sizeof long_csv - n, "U%d,%d,%d,%d,%d\n", u, u % 10, u % 7, u % 100,
                              u % 3);
        if (u == 0) prefix = n;
    }
    int fd = open(w->path, O_WRONLY | O_TRUNC);
    if (fd < 0) return NULL;
    for (int round = 0; !w->stop; round++) {
        if (pwrite(fd, long_csv, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) != 0) break;
        pause_us(50 + round % 7 * 60);
        if (ftruncate(fd, (off_t)prefix) != 0) break;
        pause_us(50 + round % 5 * 40);
    }
    close(fd);
    return NULL;
}

static void test_csv_rewritten_while_read(void **state) {
    (void)state;
    alarm(HANG_LIMIT_S);
    ts_error err;
    ts_taxonomy *t = NULL;
    ts_taxonomy_load(tu_write("tax.cfg", FIX_TAXONOMY), &t, &err);
    assert_non_null(t);
    rewriter w = {tu_write("race.csv", "id,x1,x2,Y one,y2\nP,1,2,3,4\n"), 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rewrite_loop, &w), 0);
    /* before the fix, the second pass could meet fewer rows than the first
       counted and compare a NULL unit id (SIGSEGV) */
    int ok = 0, failed = 0;
    for (int i = 0; i < 400; i++) {
        char sha[65];
        ts_error_clear(&err);
        ts_dataset *d = NULL;
        ts_csv_read(w.path, t, NULL, sha, &d, &err);
        if (d) {
            for (int u = 0; u < d->n_units; u++) assert_non_null(d->unit_id[u]);
            ok++;
        } else {
            assert_int_equal(err.code, TS_EINPUT);
            assert_true(err.message[0] != '\0');
            failed++;
        }
        ts_dataset_free(d);
    }
    w.stop = 1;
    pthread_join(th, NULL);
    ts_taxonomy_free(t);
    print_message("rewritten CSV: %d reads ok, %d refused\n", ok, failed);
    alarm(0);
}

/* ---- config file details ------------------------------------------------- */

static void test_bom_and_empty_names(void **state) {
    (void)state;
    /* a UTF-8 byte order mark is skipped, as the CSV reader does; the
       hash is of the file as it is */
    char text[4096];
    snprintf(text, sizeof text, "\xEF\xBB\xBF%s", FIX_TAXONOMY);
    tu_write("tax.cfg", text);
    snprintf(text, sizeof text, "\xEF\xBB\xBF%s", FIX_SCENARIO_HEAD);
    const char *scen = tu_write("bom.cfg", text);
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_load(scen, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, 3);
    ts_scenario_free(s);
    char *out, *e;
    assert_int_equal(tu_run(&out, &e, "validate", tu_path("tax.cfg"), scen, NULL), 0);
    free(out), free(e);
    /* empty file names are errors that say where */
    expect_failure(1, "empty.cfg:2: taxonomy is empty", "validate",
                   tu_write("empty.cfg", "name = \"n\";\ntaxonomy = \"\";\n"), NULL);
    expect_failure(1, "empty_ext.cfg:2: extends is empty", "validate",
                   tu_write("empty_ext.cfg", "name = \"n\";\nextends = \"\";\n"), NULL);
    /* an int64 year is an integer too */
    tu_write("tax.cfg", FIX_TAXONOMY);
    ts_scenario_load(tu_write("y.cfg", FIX_SCENARIO_HEAD "method = { year = 2020L; };\n"), &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_scenario_free(s);
    expect_failure(1, "y2.cfg:10: year is out of range (30000000000)", "validate",
                   tu_write("y2.cfg", FIX_SCENARIO_HEAD "method = { year = 30000000000L; };\n"), NULL);
}

/* A store file from elsewhere whose inputs_json or options_json nests a
 * million arrays deep overflowed the stack of the JSON reader's skip
 * (found by fuzz_json): rescore and report died of SIGSEGV. Nesting past
 * TS_JSON_MAX_DEPTH is now malformed JSON, which each command reports. */
static void test_store_json_nested_without_end(void **state) {
    (void)state;
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("deep.cfg", FIX_SCENARIO_HEAD);
    char db[512];
    snprintf(db, sizeof db, "%s", tu_path("deep.db"));
    remove(db);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", scen, "--db", db, NULL), 0);
    free(out), free(err);
    size_t depth = 1000000;
    char *deep = malloc(depth + 64);
    assert_non_null(deep);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    for (int col = 0; col < 2; col++) {
        /* an unknown key (skipped) in inputs_json; a --set list in options_json */
        strcpy(deep, col ? "{\"set\":" : "[{\"future\":");
        memset(deep + strlen(deep), '[', depth);
        deep[depth + (col ? 7 : 11)] = '\0';
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(h, col ? "UPDATE runs SET options_json = ?1" : "UPDATE runs SET inputs_json = ?1",
                                            -1, &q, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(q, 1, deep, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(q), SQLITE_DONE);
        sqlite3_finalize(q);
    }
    sqlite3_close(h);
    free(deep);
    int rc = tu_run(&out, &err, "rescore", "--db", db, "--run", "1", NULL);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "cannot be read"));
    free(out), free(err);
    rc = tu_run(&out, &err, "report", "--db", db, "--no-charts", "-o", tu_path("deep.html"), NULL);
    if (rc != 0 && rc != 1) fail_msg("report: status %d: %s", rc, err);
    free(out), free(err);
    /* and the reader itself */
    ts_arena *a = ts_arena_new();
    assert_non_null(a);
    char nest[200];
    memset(nest, '[', sizeof nest - 1);
    nest[sizeof nest - 1] = '\0';
    ts_json j;
    ts_json_init(&j, nest, a);
    ts_json_skip(&j);
    assert_true(j.bad);
    /* as deep as the limit is still read */
    char ok[2 * TS_JSON_MAX_DEPTH + 1];
    memset(ok, '[', TS_JSON_MAX_DEPTH);
    memset(ok + TS_JSON_MAX_DEPTH, ']', TS_JSON_MAX_DEPTH);
    ok[2 * TS_JSON_MAX_DEPTH] = '\0';
    ts_json_init(&j, ok, a);
    ts_json_skip(&j);
    assert_false(j.bad);
    ts_arena_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_devices_in_configs),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_csv_from_a_pipe),
        cmocka_unit_test(test_csv_rewritten_while_read),
        cmocka_unit_test(test_bom_and_empty_names),
        cmocka_unit_test(test_store_json_nested_without_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
