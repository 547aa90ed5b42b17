/* testutil.c -- scratch files and in-process CLI runs for the tests. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static char scratch[256];

static void remove_scratch(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", scratch);
}

const char *tu_dir(void) {
    if (!scratch[0]) {
        snprintf(scratch, sizeof scratch, "/tmp/threatscore-test-XXXXXX");
        if (!mkdtemp(scratch)) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_scratch);
    }
    return scratch;
}

const char *tu_path(const char *name) {
    static char bufs[8][512];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, 512, "%s/%s", tu_dir(), name);
    return p;
}

const char *tu_write_bytes(const char *name, const void *bytes, size_t n) {
    const char *p = tu_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return p;
}

const char *tu_write(const char *name, const char *content) {
    return tu_write_bytes(name, content, strlen(content));
}

int tu_vrun(int (*main_fn)(int, char **, FILE *, FILE *), const char *argv0, char **out, char **err, va_list ap) {
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)argv0;
    char *a;
    while ((a = va_arg(ap, char *)) && argc < 63) argv[argc++] = a;
    argv[argc] = NULL;
    size_t out_n, err_n;
    char *o = NULL, *e = NULL;
    FILE *fo = open_memstream(&o, &out_n), *fe = open_memstream(&e, &err_n);
    assert_non_null(fo);
    assert_non_null(fe);
    int rc = main_fn(argc, argv, fo, fe);
    fclose(fo);
    fclose(fe);
    if (out) *out = o;
    else free(o);
    if (err) *err = e;
    else free(e);
    return rc;
}

int tu_run(char **out, char **err, ...) {
    va_list ap;
    va_start(ap, err);
    int rc = tu_vrun(ts_cli_main, "threatscore", out, err, ap);
    va_end(ap);
    return rc;
}

int tu_run_plot(char **out, char **err, ...) {
    va_list ap;
    va_start(ap, err);
    int rc = tu_vrun(ts_cli_plot, "plot", out, err, ap);
    va_end(ap);
    return rc;
}

char *tu_popen(const char *cmdline, int *status) {
    FILE *p = popen(cmdline, "r");
    if (!p) fail_msg("cannot run %s", cmdline);
    ts_buf out = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) ts_buf_append(&out, chunk, got);
    int rc = pclose(p);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    if (!out.data) ts_buf_puts(&out, "");
    if (!out.data || out.oom) fail_msg("out of memory reading %s", cmdline);
    return out.data;
}

int tu_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

char *tu_slurp(const char *path, size_t *n) {
    size_t len;
    char *s = ts_read_file(path, &len);
    if (!s) fail_msg("cannot read %s", path);
    if (n) *n = len;
    return s;
}

void tu_golden(const char *name, const char *got, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "tests/golden/%s", name);
    if (getenv("TS_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        if (!f || fwrite(got, 1, n, f) != n || fclose(f) != 0) fail_msg("cannot write %s", path);
    }
    size_t len;
    char *want = ts_read_file(path, &len);
    if (!want) fail_msg("missing golden file %s (run with TS_UPDATE_GOLDEN=1)", path);
    if (len != n || memcmp(want, got, n) != 0) {
        fprintf(stderr, "--- %s differs; got:\n%.*s\n", path, (int)n, got);
        fail_msg("%s differs from the generated script", path);
    }
    free(want);
}

static int skipped;

void tu_skip(const char *why) {
    const char *allow = getenv("TS_ALLOW_SKIP");
    if (!allow || strcmp(allow, "1") != 0)
        fail_msg("cannot run: %s (set TS_ALLOW_SKIP=1 to skip instead)", why);
    skipped = 1;
    print_message("skipped: %s\n", why);
    skip();
}

void tu_need(const char *path) {
    if (access(path, R_OK) == 0) return;
    char why[700];
    snprintf(why, sizeof why, "%s is not readable", path);
    tu_skip(why);
}

int tu_exit_status(int failed) {
    if (failed) return failed;
    return skipped ? 77 : 0;
}

/* The triggers of tu_sql_exec: each edited row of a view is written back
 * where it lives, a document's element found by its node or indicator. */
static const char EDITABLE_VIEWS[] =
    "CREATE TEMP TRIGGER tu_edit_scores INSTEAD OF UPDATE ON main.scores BEGIN"
    " UPDATE unit_rows SET scores = json_set(scores, '$[' || (SELECT e.key FROM json_each(unit_rows.scores) e"
    " WHERE json_extract(e.value, '$[0]') = OLD.node) || ']', json_array(NEW.node, NEW.score, NEW.rank, NEW.class,"
    " NEW.coverage, NEW.imputed, NEW.reliability)) WHERE run_id = OLD.run_id AND unit = OLD.unit; END;"
    "CREATE TEMP TRIGGER tu_edit_inputs INSTEAD OF UPDATE ON main.inputs BEGIN"
    " UPDATE unit_rows SET inputs = json_set(inputs, '$[' || (SELECT e.key FROM json_each(unit_rows.inputs) e"
    " WHERE json_extract(e.value, '$[0]') = OLD.indicator) || ']', json_array(NEW.indicator, NEW.raw,"
    " NEW.transformed, NEW.normalised, NEW.imputed, NEW.source, NEW.year, NEW.estimate, NEW.note, NEW.shock,"
    " NEW.file, NEW.line)) WHERE run_id = OLD.run_id AND unit = OLD.unit; END;"
    "CREATE TEMP TRIGGER tu_edit_nodes INSTEAD OF UPDATE ON main.nodes BEGIN"
    " UPDATE node_set_rows SET node = NEW.node, name = NEW.name, parent = NEW.parent, depth = NEW.depth,"
    " position = NEW.position, is_indicator = NEW.is_indicator, weight = NEW.weight, aggregate = NEW.aggregate,"
    " normalise = NEW.normalise, direction = NEW.direction, unit_of_measure = NEW.unit_of_measure,"
    " source = NEW.source WHERE set_id = (SELECT node_set FROM main.runs WHERE id = OLD.run_id)"
    " AND node = OLD.node; END;";

void tu_sql_exec(const char *db, const char *sql) {
    sqlite3 *h;
    char *msg = NULL;
    if (sqlite3_open(db, &h) != SQLITE_OK) fail_msg("%s: %s", db, sqlite3_errmsg(h));
    /* a store older than schema 8 has tables, not views: no triggers */
    int views = tu_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = 'scores'") > 0;
    if (views && sqlite3_exec(h, EDITABLE_VIEWS, NULL, NULL, &msg) != SQLITE_OK) fail_msg("triggers: %s", msg);
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(h));
    sqlite3_close(h);
}

long long tu_query_int(const char *db, const char *sql) {
    sqlite3 *h;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    sqlite3_stmt *q;
    long long v = -1;
    if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW) v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(h);
    return v;
}
