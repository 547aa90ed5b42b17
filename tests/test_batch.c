/* test_batch.c -- batch scoring into the run store (parallel, ordered,
 * reuse of unchanged runs, failures), compare, export, rescore, watch, the
 * schema upgrade, and the store's integrity under SIGKILL and two writers. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "fixtures.h"
#include "store.h"

/* The fixture taxonomy with a perspective. */
#define TAXONOMY_WITH_PERSPECTIVE \
    "perspectives = { beta_first = { description = \"b counts most\"; weights = { b = 9.0; }; }; };\n"

static char dir_buf[600];

/* Creates dir (under the scratch directory) holding the taxonomy and n
 * scenarios s_000.cfg ... whose weights differ. Returns its path. */
static const char *make_dir(const char *name, int n) {
    snprintf(dir_buf, sizeof dir_buf, "%s/%s", tu_dir(), name);
    mkdir(dir_buf, 0700);
    char path[700];
    snprintf(path, sizeof path, "%s/tax.cfg", dir_buf);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(FIX_TAXONOMY, f);
    fputs(TAXONOMY_WITH_PERSPECTIVE, f);
    fclose(f);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/s_%03d.cfg", dir_buf, i);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "name = \"Scenario %03d\";\n", i);
        /* FIX_SCENARIO_HEAD starts with its own name: skip that line */
        fputs(strchr(FIX_SCENARIO_HEAD, '\n') + 1, f);
        fprintf(f, "weights = { a = %d.0; };\n", 1 + i % 7);
        fclose(f);
    }
    return dir_buf;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Runs a one-integer query on db opened read-write (so that a crashed
 * writer's WAL is recovered); -1 when it fails. */
static long long query_rw(const char *db, const char *sql) {
    sqlite3 *h;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 10000);
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK) {
            if (sqlite3_step(q) == SQLITE_ROW) v = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
    }
    sqlite3_close(h);
    return v;
}

/* Checks that db is consistent: PRAGMA integrity_check is ok and every run
 * has all its rows (units x nodes scores, units x indicators inputs, its
 * units and nodes), and no row belongs to a missing run. A file a killed
 * process left before creating the schema holds no runs. Returns the
 * number of runs. */
static long long check_complete(const char *db) {
    if (access(db, F_OK) != 0) return 0;
    assert_int_equal(query_rw(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
    if (query_rw(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs'") == 0) {
        assert_int_equal(query_rw(db, "SELECT count(*) FROM sqlite_schema"), 0);
        return 0;
    }
    long long runs = query_rw(db, "SELECT count(*) FROM runs");
    assert_int_equal(query_rw(db, "SELECT count(*) FROM runs r WHERE"
                                  " (SELECT count(*) FROM scores s WHERE s.run_id = r.id) !="
                                  " r.n_units * (SELECT count(*) FROM nodes n WHERE n.run_id = r.id)"
                                  " OR (SELECT count(*) FROM inputs i WHERE i.run_id = r.id) != r.n_units * r.n_indicators"
                                  " OR (SELECT count(*) FROM units u WHERE u.run_id = r.id) != r.n_units"
                                  " OR (SELECT count(*) FROM nodes n WHERE n.run_id = r.id) = 0"),
                     0);
    assert_int_equal(query_rw(db, "SELECT count(*) FROM scores WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
    assert_int_equal(query_rw(db, "SELECT count(*) FROM inputs WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
    return runs;
}

/* Starts the threatscore binary with args (NULL-terminated), stdout and
 * stderr to out_path. Returns the child's pid. */
static pid_t spawn(const char *out_path, char *const args[]) {
    const char *bin = getenv("TS_BINARY");
    if (!bin) fail_msg("TS_BINARY is not set (run the tests through ctest)");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *o = freopen(out_path, "w", stdout);
        if (!o || dup2(fileno(stdout), 2) < 0) _exit(126);
        char *argv[64];
        int n = 0;
        argv[n++] = (char *)bin;
        while (args[n - 1] && n < 63) {
            argv[n] = args[n - 1];
            n++;
        }
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc((size_t)n + 1, 1);
    if (n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = '\0';
    fclose(f);
    return s;
}

static int count_str(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* Waits up to 10 s until file path contains needle at least times times. */
static int wait_for(const char *path, const char *needle, int times) {
    for (int i = 0; i < 1000; i++) {
        char *s = slurp(path);
        int n = count_str(s, needle);
        free(s);
        if (n >= times) return 1;
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- batch ------------------------------------------------------------- */

static void test_batch_parallel_ordered(void **state) {
    (void)state;
    const char *dir = make_dir("par", 24);
    char bad[700];
    snprintf(bad, sizeof bad, "%s/s_010.cfg", dir);
    write_file(bad, FIX_SCENARIO_HEAD "weights = { nope = 1; };\n");
    const char *db1 = tu_path("par1.db"), *db8 = tu_path("par8.db");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db1, "-j", "1", "-q", NULL), 1);
    assert_non_null(strstr(err, "s_010.cfg:10: unknown node 'nope'"));
    assert_non_null(strstr(err, "23 runs stored"));
    assert_non_null(strstr(err, "1 failed"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db8, "-j8", NULL), 1);
    assert_int_equal(count_str(out, "rank  unit"), 23); /* every ranking printed */
    free(out), free(err);
    /* runs are stored in the order given, whatever -j */
    for (const char *const *db = (const char *const[]){db1, db8, NULL}; *db; db++) {
        assert_int_equal(check_complete(*db), 23);
        assert_int_equal(tu_query_int(*db, "SELECT count(*) FROM runs a JOIN runs b ON b.id = a.id + 1"
                                           " WHERE b.scenario < a.scenario"),
                         0);
        assert_int_equal(tu_query_int(*db, "PRAGMA user_version"), TS_STORE_SCHEMA_VERSION);
    }
    /* -j 1 and -j 8 give bit-identical scores */
    char sql[1200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM scores a JOIN runs ra ON ra.id = a.run_id, x.scores b JOIN x.runs rb ON rb.id = b.run_id"
             " WHERE ra.scenario = rb.scenario AND a.unit = b.unit AND a.node = b.node AND a.score IS b.score"
             " AND a.rank IS b.rank AND a.class IS b.class");
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db1, &h), SQLITE_OK);
    char attach[800];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS x", db8);
    assert_int_equal(sqlite3_exec(h, attach, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 23 * 3 * 7);
    sqlite3_finalize(q);
    sqlite3_close(h);
}

static void test_batch_reuse(void **state) {
    (void)state;
    const char *dir = make_dir("reuse", 5);
    const char *db = tu_path("reuse.db");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, NULL), 0);
    assert_non_null(strstr(err, "5 runs stored"));
    free(out), free(err);
    /* unchanged: recognised by the hashes, nothing stored */
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, NULL), 0);
    assert_non_null(strstr(err, "s_002.cfg: unchanged, run 3 reused"));
    assert_non_null(strstr(err, "0 runs stored"));
    assert_non_null(strstr(err, "5 unchanged"));
    assert_non_null(strstr(out, "run 3")); /* the ranking names the reused run */
    free(out), free(err);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs"), 5);
    /* one file edited: only it is stored again */
    char path[700];
    snprintf(path, sizeof path, "%s/s_004.cfg", dir);
    FILE *f = fopen(path, "a");
    fputs("# edited\n", f);
    fclose(f);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", NULL), 0);
    assert_non_null(strstr(err, "1 run stored"));
    assert_non_null(strstr(err, "4 unchanged"));
    free(out), free(err);
    /* the taxonomy edited: every run is new */
    snprintf(path, sizeof path, "%s/tax.cfg", dir);
    f = fopen(path, "a");
    fputs("# edited\n", f);
    fclose(f);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", NULL), 0);
    assert_non_null(strstr(err, "5 runs stored"));
    free(out), free(err);
    /* different options are a different run; --force records again */
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", "--set", "aggregate=geometric", NULL), 0);
    assert_non_null(strstr(err, "5 runs stored"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", "--force", NULL), 0);
    assert_non_null(strstr(err, "5 runs stored"));
    free(out), free(err);
    assert_int_equal(check_complete(db), 21);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE options_json LIKE '%aggregate=geometric%'"), 5);
}

static void test_batch_perspectives(void **state) {
    (void)state;
    const char *dir = make_dir("persp", 2);
    const char *db = tu_path("persp.db");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", "--perspective", "beta_first",
                            "--perspective", "beta_first", NULL),
                     0);
    free(out), free(err);
    /* two scenarios x two perspective runs; the second of each pair reuses the first */
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE scenario LIKE '%(perspective beta_first)'"), 2);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE options_json LIKE '%\"perspectives\":[\"beta_first\"]%'"), 2);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM nodes WHERE node = 'b' AND weight = 9.0"), 2);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "--perspective", "nope", NULL), 1);
    assert_non_null(strstr(err, "nope"));
    free(out), free(err);
}

static void test_batch_usage(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", "scenarios", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", "scenarios", "--db", tu_path("u.db"), "-j", "0", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", tu_path("missing.cfg"), "--db", tu_path("u.db"), NULL), 1);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", "--help", NULL), 0);
    assert_non_null(strstr(out, "unchanged, run N reused"));
    free(out), free(err);
}

/* ---- compare ----------------------------------------------------------- */

static void test_compare(void **state) {
    (void)state;
    const char *dir = make_dir("cmp", 3);
    const char *db = tu_path("cmp.db");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", NULL), 0);
    free(out), free(err);
    /* run 1 has a = 1, run 2 has a = 2: Q and P keep their order at t? */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "Scenario 001", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "node,unit,unit_name,score_a,score_b,delta,rank_a,rank_b,rank_change,class_a,class_b,"
                                "class_changed,reference,run,scenario,year\n"));
    assert_int_equal(count_str(out, "\n"), 1 + 3 * 7);
    /* node a's score does not depend on the weight of a */
    assert_non_null(strstr(out, "\na,P,Pe,"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "2", "--node", "t", "--format", "json", NULL), 0);
    assert_non_null(strstr(out, "\"runs\":[{\"id\":1,"));
    assert_int_equal(count_str(out, "\"node\":\"t\""), 3);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "2", NULL), 0);
    assert_non_null(strstr(out, "A: run 1  Scenario 000"));
    free(out), free(err);
    /* three runs: a units x runs matrix at the index */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "2", "3", "--format", "csv", NULL), 0);
    assert_non_null(strstr(out, "unit,unit_name,score_1,rank_1,score_2,rank_2,score_3,rank_3\n"));
    assert_int_equal(count_str(out, "\n"), 4);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "2", "3", NULL), 0);
    assert_non_null(strstr(out, "node t"));
    free(out), free(err);
    /* unknown run, with a suggestion */
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "Scenario 01", NULL), 1);
    assert_non_null(strstr(err, "did you mean 'Scenario 001'"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", "2", "--node", "zz", NULL), 1);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", tu_path("none.db"), "1", "2", NULL), 1);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "1", NULL), 2);
    free(out), free(err);
}

/* Stores in cls the class of unit at the index in a `score --format csv`
 * output (columns unit,...,node,...,class as the header names them), or ""
 * when the row is missing. */
static void index_class(const char *csv, const char *unit, char *cls, size_t n) {
    char key[64];
    cls[0] = '\0';
    snprintf(key, sizeof key, "\n%s,", unit);
    for (const char *line = strstr(csv, key); line; line = strstr(line + 1, key)) {
        const char *end = strchr(line + 1, '\n');
        if (!end) end = line + strlen(line);
        /* fields: unit,unit_name,node,node_name,parent,depth,score,rank,class,... */
        const char *f = line + 1;
        char field[9][64];
        int i = 0;
        while (i < 9 && f < end) {
            const char *c = memchr(f, ',', (size_t)(end - f));
            size_t len = (size_t)((c ? c : end) - f);
            if (len >= sizeof field[i]) len = sizeof field[i] - 1;
            memcpy(field[i], f, len);
            field[i][len] = '\0';
            i++;
            f = c ? c + 1 : end;
        }
        if (i == 9 && strcmp(field[2], "central_asia") == 0) {
            snprintf(cls, n, "%s", field[8]);
            return;
        }
    }
}

/* Class changes in a real model: the outward-looking perspective changes
 * classes against the baseline, and compare reports exactly the changes
 * that `score` of the two files shows (the expectation is read off score,
 * so it follows the data instead of hard-coding today's classes). */
static void test_compare_classes(void **state) {
    (void)state;
    const char *db = tu_path("ca.db");
    char *out, *err, *base, *outward;
    assert_int_equal(tu_run(&out, &err, "batch", "scenarios/baseline.cfg", "scenarios/outward_looking.cfg", "--db", db,
                            "-q", NULL),
                     0);
    free(out), free(err);
    assert_int_equal(tu_run(&base, &err, "score", "scenarios/baseline.cfg", "--format", "csv", NULL), 0);
    free(err);
    assert_int_equal(tu_run(&outward, &err, "score", "scenarios/outward_looking.cfg", "--format", "csv", NULL), 0);
    free(err);
    assert_int_equal(tu_run(&out, &err, "compare", "--db", db, "Baseline", "2", "--node", "central_asia", "--format",
                            "csv", NULL),
                     0);
    const char *units[] = {"KAZ", "KGZ", "TJK", "TKM", "UZB"};
    int changed = 0;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        char a[64], b[64], want[160];
        index_class(base, units[i], a, sizeof a);
        index_class(outward, units[i], b, sizeof b);
        assert_true(a[0] && b[0]);
        int differs = strcmp(a, b) != 0;
        changed += differs;
        snprintf(want, sizeof want, ",%s,%s,%d,", a, b, differs);
        const char *row = strstr(out, units[i]);
        assert_non_null(row);
        const char *eol = strchr(row, '\n');
        assert_non_null(eol);
        const char *hit = strstr(row, want);
        assert_true(hit && hit < eol + 1);
    }
    /* the perspective does move classes, so the check above is not vacuous */
    assert_true(changed >= 1);
    free(out), free(err), free(base), free(outward);
}

/* ---- export ------------------------------------------------------------ */

static void test_export(void **state) {
    (void)state;
    const char *db = tu_path("exp.db");
    char *out, *err, *scored;
    assert_int_equal(tu_run(&out, &err, "batch", "scenarios/baseline.cfg", "--db", db, "-q", NULL), 0);
    free(out), free(err);
    /* the scores table is exactly what `score --format csv` prints */
    assert_int_equal(tu_run(&scored, &err, "score", "scenarios/baseline.cfg", "--format", "csv", NULL), 0);
    free(err);
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "Baseline", "--format", "csv", NULL), 0);
    assert_string_equal(out, scored);
    free(out), free(err), free(scored);
    /* the inputs table carries the traces: contributions add up to the index */
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "1", "--format", "csv", "--table", "inputs", NULL), 0);
    double sum = 0;
    int rows = 0;
    for (const char *line = strstr(out, "\nTJK,"); line; line = strstr(line + 1, "\nTJK,")) {
        const char *end = strchr(line + 1, '\n');
        const char *last = end;
        while (last > line && last[-1] != ',') last--;
        if (last < end) sum += strtod(last, NULL);
        rows++;
    }
    assert_int_equal(rows, 57); /* the indicators `validate` counts in taxonomy/central_asia.cfg */
    free(out), free(err);
    sqlite3 *h;
    sqlite3_open(db, &h);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(h, "SELECT score FROM scores WHERE unit = 'TJK' AND node = 'central_asia'", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_true(fabs(sqlite3_column_double(q, 0) - sum) < 1e-9);
    sqlite3_finalize(q);
    sqlite3_close(h);
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "1", NULL), 0);
    assert_non_null(strstr(out, "{\"run\":{\"id\":1,\"scenario\":\"Baseline\""));
    assert_non_null(strstr(out, "\"method\":{\"scale\":[0,10]"));
    assert_non_null(strstr(out, "\"effective_weight\":"));
    assert_non_null(strstr(out, "\"treatment\":["));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "1", "--format", "csv", "--table", "nodes", NULL), 0);
    assert_non_null(strstr(out, "node,name,parent,depth,indicator,weight,aggregate"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "9", NULL), 1);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "export", "--db", db, "--run", "1", "--format", "table", NULL), 2);
    free(out), free(err);
}

/* ---- rescore ----------------------------------------------------------- */

static void test_rescore(void **state) {
    (void)state;
    const char *dir = make_dir("resc", 2);
    const char *db = tu_path("resc.db");
    char *out, *err, path[700];
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", "--set", "aggregate=harmonic", NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "rescore", "--db", db, "--run", "1", NULL), 0);
    assert_non_null(strstr(out, "identical: 21 scores reproduced bit for bit"));
    free(out), free(err);
    /* a CSV run with non-default reading options */
    const char *tax = tu_write("resc_tax.cfg", FIX_TAXONOMY);
    const char *csv = tu_write("resc.csv", "code,label,x1,x2,Y one,y2\nP,Pe,2,10,50,1\nQ,Q,8,20,100,3\nR,R,5,30,-,2\n");
    assert_int_equal(tu_run(&out, &err, "score", "--taxonomy", tax, "--data", csv, "--unit-column", "code",
                            "--name-column", "label", "--missing", "-", "--db", db, NULL),
                     0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "rescore", "--db", db, "--run", "resc.csv", NULL), 0);
    assert_non_null(strstr(out, "identical"));
    free(out), free(err);
    /* the taxonomy changes: rescore names it */
    snprintf(path, sizeof path, "%s/tax.cfg", dir);
    FILE *f = fopen(path, "a");
    fputs("# edited\n", f);
    fclose(f);
    assert_int_equal(tu_run(&out, &err, "rescore", "--db", db, "--run", "Scenario 001", NULL), 1);
    assert_non_null(strstr(out, "tax.cfg (taxonomy): sha256"));
    assert_non_null(strstr(out, "1 of 2 input files changed"));
    free(out), free(err);
    /* a scenario file gone */
    snprintf(path, sizeof path, "%s/s_000.cfg", dir);
    remove(path);
    assert_int_equal(tu_run(&out, &err, "rescore", "--db", db, "--run", "1", NULL), 1);
    assert_non_null(strstr(out, "s_000.cfg (scenario) cannot be read"));
    free(out), free(err);
    /* a stored score tampered with: the files match but the scores do not */
    tu_sql_exec(db, "UPDATE scores SET score = score + 1e-12 WHERE run_id = 3 AND unit = 'P' AND node = 't'");
    assert_int_equal(tu_run(&out, &err, "rescore", "--db", db, "--run", "3", NULL), 1);
    assert_non_null(strstr(out, "different: P at t"));
    free(out), free(err);
}

/* ---- schema upgrade ---------------------------------------------------- */

static void test_upgrade_v1(void **state) {
    (void)state;
    const char *db = tu_path("v1.db");
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE runs(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, scenario_path TEXT, scenario_sha256 TEXT,"
        " taxonomy_id TEXT NOT NULL, taxonomy_path TEXT NOT NULL, taxonomy_sha256 TEXT NOT NULL,"
        " data_path TEXT NOT NULL, data_sha256 TEXT NOT NULL, values_sha256 TEXT NOT NULL,"
        " engine_version TEXT NOT NULL, method_json TEXT NOT NULL, inputs_json TEXT NOT NULL,"
        " n_units INTEGER NOT NULL, n_indicators INTEGER NOT NULL,"
        " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
        "CREATE TABLE units(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, unit TEXT NOT NULL,"
        " name TEXT NOT NULL, position INTEGER NOT NULL, screened INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"
        "CREATE TABLE nodes(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, node TEXT NOT NULL,"
        " name TEXT NOT NULL, parent TEXT, depth INTEGER NOT NULL, position INTEGER NOT NULL,"
        " is_indicator INTEGER NOT NULL, weight REAL NOT NULL, aggregate TEXT, normalise TEXT, direction TEXT,"
        " unit_of_measure TEXT, source TEXT, PRIMARY KEY(run_id, node)) WITHOUT ROWID;"
        "CREATE TABLE scores(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, unit TEXT NOT NULL,"
        " node TEXT NOT NULL, score REAL, rank INTEGER, class TEXT, coverage REAL NOT NULL,"
        " imputed REAL NOT NULL DEFAULT 0, PRIMARY KEY(run_id, unit, node)) WITHOUT ROWID;"
        "CREATE TABLE inputs(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, unit TEXT NOT NULL,"
        " indicator TEXT NOT NULL, raw REAL, transformed REAL, normalised REAL, imputed INTEGER NOT NULL DEFAULT 0,"
        " source TEXT, year INTEGER, estimate INTEGER NOT NULL DEFAULT 0, note TEXT, shock TEXT, file TEXT,"
        " line INTEGER, PRIMARY KEY(run_id, unit, indicator)) WITHOUT ROWID;"
        "CREATE TABLE treatment(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " indicator TEXT NOT NULL, treated INTEGER NOT NULL, winsorised_low INTEGER NOT NULL,"
        " winsorised_high INTEGER NOT NULL, log INTEGER NOT NULL, skew REAL, kurtosis REAL, skew_after REAL,"
        " kurtosis_after REAL, PRIMARY KEY(run_id, indicator)) WITHOUT ROWID;"
        "INSERT INTO runs(scenario, taxonomy_id, taxonomy_path, taxonomy_sha256, data_path, data_sha256,"
        " values_sha256, engine_version, method_json, inputs_json, n_units, n_indicators)"
        " VALUES('Old', 't', 'tax.cfg', 'x', 'd', 'x', 'x', '0.0.1', '{}', '[]', 0, 0);"
        "PRAGMA user_version=1;";
    assert_int_equal(sqlite3_exec(h, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    char *out, *err;
    const char *dir = make_dir("upg", 1);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_query_int(db, "PRAGMA user_version"), TS_STORE_SCHEMA_VERSION);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE run_key IS NOT NULL"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM runs WHERE options_json IS NULL"), 1);
    assert_int_equal(tu_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'unit_weights'"), 1);
    assert_int_equal(tu_run(&out, &err, "runs", "--db", db, NULL), 0);
    assert_non_null(strstr(out, "Old"));
    free(out), free(err);
    /* a newer schema is refused */
    sqlite3_open(db, &h);
    sqlite3_exec(h, "PRAGMA user_version=99", NULL, NULL, NULL);
    sqlite3_close(h);
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", NULL), 1);
    assert_non_null(strstr(err, "newer"));
    free(out), free(err);
}

/* ---- watch ------------------------------------------------------------- */

static void test_watch(void **state) {
    (void)state;
    const char *dir = make_dir("watch", 1);
    char scen[700], child[700], tax[700];
    snprintf(scen, sizeof scen, "%s/s_000.cfg", dir);
    snprintf(child, sizeof child, "%s/child.cfg", dir);
    snprintf(tax, sizeof tax, "%s/tax.cfg", dir);
    write_file(child, "name = \"Child\"; extends = \"s_000.cfg\";\n");
    const char *log = tu_path("watch.log");
    char *args[] = {"watch", child, "--max-events", "4", NULL};
    pid_t pid = spawn(log, args);
    assert_true(wait_for(log, "watching 3 files", 1));
    /* the parent changes: P's x1 goes from 2 to 9 */
    char *text = slurp(scen);
    char *p = strstr(text, "P = 2;");
    assert_non_null(p);
    p[4] = '9';
    write_file(scen, text);
    assert_true(wait_for(log, "re-scored", 1));
    /* a bad edit of the child: an error, and the watch goes on */
    sleep_ms(150);
    write_file(child, "name = \"Child\"; extends = \"s_000.cfg\"; weights = { nope = 1; };\n");
    assert_true(wait_for(log, "still watching", 1));
    /* saved by rename, as editors do */
    sleep_ms(150);
    char tmp[720];
    snprintf(tmp, sizeof tmp, "%s.swp", child);
    write_file(tmp, "name = \"Child\"; extends = \"s_000.cfg\";\n");
    assert_int_equal(rename(tmp, child), 0);
    assert_true(wait_for(log, "re-scored", 2));
    /* the taxonomy changes */
    sleep_ms(150);
    FILE *f = fopen(tax, "a");
    fputs("# edited\n", f);
    fclose(f);
    assert_int_equal(wait_exit(pid), 0);
    char *o = slurp(log);
    assert_int_equal(count_str(o, "re-scored"), 3);
    /* P's index rises: its delta is positive */
    assert_non_null(strstr(o, "changed at the index"));
    const char *first = strstr(o, "re-scored");
    const char *prow = strstr(first, "\nP ");
    assert_non_null(prow);
    const char *plus = strchr(prow, '+'), *eol = strchr(prow + 1, '\n');
    assert_true(plus && eol && plus < eol);
    assert_non_null(strstr(o, "unknown node 'nope'"));
    assert_non_null(strstr(o, "no index score or rank changed"));
    free(o);
    free(text);
}

/* ---- integrity --------------------------------------------------------- */

/* Waits (up to 30 s) until db holds at least want runs, polling with a
 * read-only connection while the writer works. Returns the count seen. */
static long long wait_for_runs(const char *db, long long want) {
    long long n = -1;
    for (int i = 0; i < 30000; i++) {
        n = tu_query_int(db, "SELECT count(*) FROM runs");
        if (n >= want) return n;
        sleep_ms(1);
    }
    fail_msg("the batch stored %lld runs in 30 s, waiting for %lld", n, want);
    return n;
}

/* Each round kills a batch of 300 runs once the store holds a given number
 * of its runs (observed committed, not guessed from a clock), so every
 * kill lands while runs are still being written. The child is stopped
 * first: a child that had already finished would be seen here and not
 * counted as killed mid-batch. */
static void test_sigkill_leaves_consistent_store(void **state) {
    (void)state;
    const char *dir = make_dir("kill", 300);
    const char *db = tu_path("kill.db");
    const char *log = tu_path("kill.log");
    static const int after_runs[] = {1, 2, 7, 30, 60, 120};
    long long before = 0;
    int killed_mid = 0;
    for (int round = 0; round < (int)(sizeof after_runs / sizeof *after_runs); round++) {
        char *args[] = {"batch", (char *)dir, "--db", (char *)db, "-q", "--force", "-j", "2", NULL};
        pid_t pid = spawn(log, args);
        wait_for_runs(db, before + after_runs[round]);
        kill(pid, SIGSTOP);
        int status;
        while (waitpid(pid, &status, WUNTRACED) < 0) assert_int_equal(errno, EINTR);
        int stopped = WIFSTOPPED(status);
        if (stopped) {
            kill(pid, SIGKILL);
            assert_int_equal(wait_exit(pid), 128 + SIGKILL);
        }
        long long now = check_complete(db);
        print_message("round %d: %s after %lld runs, %lld runs stored\n", round,
                      stopped ? "killed" : "finished", before + after_runs[round], now);
        assert_true(now >= before + after_runs[round]);
        if (stopped && now < before + 300) killed_mid++;
        before = now;
    }
    /* a kill landed while runs were being written (in practice all six:
       a round is only missed if 180 runs complete between seeing the
       count and stopping the child) */
    assert_true(killed_mid >= 1);
    /* the store still works after the kills */
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "batch", dir, "--db", db, "-q", "--force", NULL), 0);
    free(out), free(err);
    assert_int_equal(check_complete(db), before + 300);
}

static void test_two_writers(void **state) {
    (void)state;
    const char *dir = make_dir("two", 60);
    const char *db = tu_path("two.db");
    char *a1[] = {"batch", (char *)dir, "--db", (char *)db, "-q", "--force", "-j", "1", NULL};
    char *a2[] = {"batch", (char *)dir, "--db", (char *)db, "-q", "--force", "-j", "1", NULL};
    pid_t p1 = spawn(tu_path("two1.log"), a1);
    pid_t p2 = spawn(tu_path("two2.log"), a2);
    int s1 = wait_exit(p1), s2 = wait_exit(p2);
    if (s1 || s2) {
        char *l1 = slurp(tu_path("two1.log")), *l2 = slurp(tu_path("two2.log"));
        print_message("writer 1 (%d): %s\nwriter 2 (%d): %s\n", s1, l1, s2, l2);
        free(l1), free(l2);
    }
    assert_int_equal(s1, 0);
    assert_int_equal(s2, 0);
    assert_int_equal(check_complete(db), 120);
    /* without --force, two writers of the same scenarios store each once:
       the key lookup and the insert share one transaction */
    const char *db2 = tu_path("two_reuse.db");
    char *b1[] = {"batch", (char *)dir, "--db", (char *)db2, "-q", "-j", "1", NULL};
    char *b2[] = {"batch", (char *)dir, "--db", (char *)db2, "-q", "-j", "1", NULL};
    p1 = spawn(tu_path("two3.log"), b1);
    p2 = spawn(tu_path("two4.log"), b2);
    assert_int_equal(wait_exit(p1), 0);
    assert_int_equal(wait_exit(p2), 0);
    assert_int_equal(check_complete(db2), 60);
}

/* ---- score --lean -------------------------------------------------------- */

/* Removes " (run N)" from the first line of a table (the stored run's id). */
static void drop_run_id(char *out) {
    char *p = strstr(out, " (run ");
    char *nl = strchr(out, '\n');
    if (!p || (nl && p > nl)) return;
    char *q = strchr(p, ')');
    assert_non_null(q);
    memmove(p, q + 1, strlen(q + 1) + 1);
}

/* Without --db, table and csv output come from the lean result; with --db
 * from the whole result (ts_score), which is stored: both must print the
 * same bytes. */
static void test_score_lean(void **state) {
    (void)state;
    const char *tax = tu_write("lean_tax.cfg", FIX_TAXONOMY);
    const char *csv = tu_write("lean.csv", FIX_CSV);
    const char *cases[][6] = {
        {"--taxonomy", tax, "--data", csv, NULL},
        {"scenarios/baseline.cfg", NULL},
        {"scenarios/afghan_spillover.cfg", "--set", "impute=mean", NULL},
        {"scenarios/baseline.cfg", "--set", "aggregate=copeland", NULL},
        {"scenarios/colour_revolution.cfg", "--set", "aggregate=geometric", NULL},
        {"scenarios/baseline.cfg", "--perspective", "outward", NULL},
    };
    static const char *const formats[] = {"table", "csv"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int fmt = 0; fmt < 2; fmt++)
            for (int lean_flag = 0; lean_flag < 2; lean_flag++) {
                char *argv_l[14] = {0}, *argv_f[14] = {0};
                int n = 0;
                argv_l[n] = argv_f[n] = "score", n++;
                for (int k = 0; cases[i][k]; k++, n++) argv_l[n] = argv_f[n] = (char *)cases[i][k];
                argv_l[n] = argv_f[n] = "--format", n++;
                argv_l[n] = argv_f[n] = (char *)formats[fmt], n++;
                char db[1100];
                snprintf(db, sizeof db, "%s/lean_%zu_%d_%d.db", tu_dir(), i, fmt, lean_flag);
                argv_f[n] = "--db", argv_f[n + 1] = db;
                if (lean_flag) argv_l[n] = "--lean";
                char *out_f, *err_f, *out_l, *err_l;
                int rf = tu_run(&out_f, &err_f, argv_f[0], argv_f[1], argv_f[2], argv_f[3], argv_f[4], argv_f[5],
                                argv_f[6], argv_f[7], argv_f[8], argv_f[9], argv_f[10], argv_f[11]);
                int rl = tu_run(&out_l, &err_l, argv_l[0], argv_l[1], argv_l[2], argv_l[3], argv_l[4], argv_l[5],
                                argv_l[6], argv_l[7], argv_l[8], argv_l[9], argv_l[10], argv_l[11]);
                if (rf != 0 || rl != 0) fail_msg("case %zu %s: exit %d / %d: %s%s", i, formats[fmt], rf, rl, err_f, err_l);
                drop_run_id(out_f);
                if (strcmp(out_l, out_f) != 0)
                    fail_msg("case %zu %s: lean output differs:\n%s\n--- whole result:\n%s", i, formats[fmt], out_l,
                             out_f);
                free(out_f), free(err_f), free(out_l), free(err_l);
            }
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--lean", "--format", "json", NULL), 2);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--lean", "--format", "csv", "--db",
                            tu_path("lean.db"), NULL),
                     2);
    free(out), free(err);
}

/* ---- the engine's batch API --------------------------------------------- */

/* What the callbacks of ts_batch_run saw. */
typedef struct seen {
    int n_jobs, n_progress, in_order, progress_in_step;
    ts_batch_outcome outcome[64];
    long long run_id[64];
    int bad_line;
} seen;

static void seen_job(void *ctx, const ts_batch_job *j) {
    seen *x = ctx;
    if (j->index != x->n_jobs) x->in_order = 0;
    x->outcome[x->n_jobs] = j->outcome;
    x->run_id[x->n_jobs] = j->run_id;
    if (j->outcome == TS_BATCH_FAILED) x->bad_line = j->err->line;
    if ((j->outcome == TS_BATCH_STORED || j->outcome == TS_BATCH_REUSED) && (!j->s || !j->r)) x->in_order = 0;
    x->n_jobs++;
}

static void seen_progress(void *ctx, const ts_batch_stats *so_far) {
    seen *x = ctx;
    x->n_progress++;
    if (so_far->done != x->n_jobs || so_far->total != 14) x->progress_in_step = 0;
}

/* ts_batch_run reports every job in input order from the calling thread,
 * then the progress; a taxonomy listed from a directory is skipped, a bad
 * scenario fails alone; a second run with reuse stores nothing new. */
static void test_batch_api(void **state) {
    (void)state;
    const char *dir = make_dir("api", 12);
    char paths[14][700];
    ts_batch_input in[14];
    snprintf(paths[0], sizeof paths[0], "%s/tax.cfg", dir);
    for (int i = 0; i < 12; i++) snprintf(paths[i + 1], sizeof paths[i + 1], "%s/s_%03d.cfg", dir, i);
    snprintf(paths[13], sizeof paths[13], "%s/bad.cfg", dir);
    write_file(paths[13], FIX_SCENARIO_HEAD "weights = { nope = 1; };\n");
    for (int i = 0; i < 14; i++) in[i] = (ts_batch_input){paths[i], 1, NULL};
    ts_error err;
    ts_error_clear(&err);
    ts_store *st;
    assert_int_equal(ts_store_open(tu_path("api.db"), &st, &err), TS_OK);
    ts_batch_options opt = {4, 0, NULL, 0, NULL, 1};
    for (int pass = 0; pass < 2; pass++) {
        seen x = {0, 0, 1, 1, {0}, {0}, 0};
        ts_batch_callbacks cb = {seen_job, seen_progress, &x};
        ts_batch_stats stats;
        assert_int_equal(ts_batch_run(st, in, 14, &opt, &cb, &stats, &err), TS_OK);
        assert_int_equal(x.n_jobs, 14);
        assert_int_equal(x.n_progress, 14);
        assert_true(x.in_order && x.progress_in_step);
        assert_int_equal(x.outcome[0], TS_BATCH_SKIPPED);
        assert_int_equal(x.outcome[13], TS_BATCH_FAILED);
        assert_int_equal(x.bad_line, 10);
        for (int i = 1; i <= 12; i++) {
            assert_int_equal(x.outcome[i], pass == 0 ? TS_BATCH_STORED : TS_BATCH_REUSED);
            assert_int_equal(x.run_id[i], i); /* ids follow the inputs, and are reused */
        }
        assert_int_equal(stats.total, 14);
        assert_int_equal(stats.done, 14);
        assert_int_equal(stats.stored, pass == 0 ? 12 : 0);
        assert_int_equal(stats.reused, pass == 0 ? 0 : 12);
        assert_int_equal(stats.failed, 1);
        assert_int_equal(stats.skipped, 1);
        assert_int_equal(stats.threads, 4);
    }
    ts_store_close(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_parallel_ordered),
        cmocka_unit_test(test_batch_reuse),
        cmocka_unit_test(test_batch_perspectives),
        cmocka_unit_test(test_batch_usage),
        cmocka_unit_test(test_batch_api),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_compare_classes),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_rescore),
        cmocka_unit_test(test_upgrade_v1),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_sigkill_leaves_consistent_store),
        cmocka_unit_test(test_two_writers),
        cmocka_unit_test(test_score_lean),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
