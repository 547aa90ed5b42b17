/* test_outputs.c -- where output goes: a chart path gnuplot would read as
 * a command, temporary files an attacker could plant, the mode of a
 * replaced file, long paths, temporaries left by an interrupted run, an
 * output that names an input, and a --db that SQLite could read as a URI. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cliopt.h"
#include "fixtures.h"
#include "sha256.h"
#include "util.h"

static int file_exists(const char *p) {
    struct stat sb;
    return lstat(p, &sb) == 0;
}

static char *slurp(const char *p) {
    size_t n;
    char *s = ts_read_file(p, &n);
    assert_non_null(s);
    return s;
}

/* Returns how many entries of dir start with prefix. */
static int count_prefixed(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static void setup_fixture(void) {
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("scen.cfg", FIX_SCENARIO_HEAD);
}

/* gnuplot's `set output '|cmd'` runs cmd through the shell: a directory
 * named "|touch pwned;" once made `plot -o '|touch pwned;/x.png'` create
 * pwned. gnuplot now never sees the path. */
static void test_plot_path_is_no_command(void **state) {
    (void)state;
    setup_fixture();
    char db[PATH_MAX], cwd[PATH_MAX];
    snprintf(db, sizeof db, "%s", tu_path("plot.db"));
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--db", db, NULL), 0);
    free(out), free(err);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tu_dir()), 0);
    mkdir("|touch pwned;", 0700);
    const char *exts[] = {"png", "svg", "pdf", "txt"};
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "|touch pwned;/x.%s", exts[i]);
        int rc = tu_run(&out, &err, "plot", "--db", db, "ranking", "-o", path, NULL);
        if (rc != 0) fail_msg("%s: status %d: %s", path, rc, err);
        free(out), free(err);
        assert_false(file_exists("pwned"));
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > 100);
    }
    FILE *f = fopen("|touch pwned;/x.png", "rb");
    unsigned char magic[4] = {0};
    assert_int_equal(fread(magic, 1, 4, f), 4);
    fclose(f);
    assert_memory_equal(magic, "\x89PNG", 4);
    /* nothing of gnuplot's is left beside the chart */
    assert_int_equal(count_prefixed("|touch pwned;", "."), 2); /* . and .. */
    assert_int_equal(count_prefixed("|touch pwned;", "x."), 4);
    assert_int_equal(chdir(cwd), 0);
}

/* The temporary file used to be OUT.tmp.PID opened with fopen(..., "w"):
 * a symlink planted there by another user sent our text into the file it
 * points to (and the symlink then replaced OUT). */
static void test_planted_symlink_is_not_followed(void **state) {
    (void)state;
    setup_fixture();
    const char *victim = tu_write("victim.txt", "precious\n");
    char out_path[PATH_MAX], planted[PATH_MAX + 32];
    snprintf(out_path, sizeof out_path, "%s", tu_path("result.csv"));
    snprintf(planted, sizeof planted, "%s.tmp.%ld", out_path, (long)getpid());
    unlink(planted);
    assert_int_equal(symlink(victim, planted), 0);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--format", "csv", "-o", out_path, NULL), 0);
    free(out), free(err);
    char *v = slurp(victim);
    assert_string_equal(v, "precious\n");
    free(v);
    struct stat sb;
    assert_int_equal(lstat(out_path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    char *r = slurp(out_path);
    assert_non_null(strstr(r, "unit,"));
    free(r);
    assert_int_equal(lstat(planted, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    unlink(planted);
    /* and no temporary file is left */
    assert_int_equal(count_prefixed(tu_dir(), "result.csv.tmp"), 0);
}

static mode_t mode_of(const char *p) {
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    return sb.st_mode & 07777;
}

static void test_mode_kept_and_umask_honoured(void **state) {
    (void)state;
    setup_fixture();
    char *out, *err;
    /* a file we replace keeps its mode */
    const char *kept = tu_write("kept.csv", "old\n");
    assert_int_equal(chmod(kept, 0604), 0);
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--format", "csv", "-o", kept, NULL), 0);
    free(out), free(err);
    assert_int_equal(mode_of(kept), 0604);
    /* a new file gets 0666 less the umask */
    mode_t old = umask(027);
    const char *fresh = tu_path("fresh.csv");
    unlink(fresh);
    int rc = tu_run(&out, &err, "score", tu_path("scen.cfg"), "--format", "csv", "-o", fresh, NULL);
    umask(old);
    assert_int_equal(rc, 0);
    free(out), free(err);
    assert_int_equal(mode_of(fresh), 0640);
}

/* Paths longer than the old 1,024-byte buffer, and a file name so long
 * that NAME.tmp.PID.N does not fit in 255 bytes. */
static void test_long_paths(void **state) {
    (void)state;
    setup_fixture();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", tu_dir());
    while (strlen(path) < 1500) {
        strcat(path, "/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
        if (mkdir(path, 0700) != 0) assert_int_equal(errno, EEXIST);
    }
    strcat(path, "/");
    size_t n = strlen(path);
    memset(path + n, 'f', 246);
    strcpy(path + n + 246, ".csv"); /* a 250-byte name */
    char *out, *err;
    int rc = tu_run(&out, &err, "score", tu_path("scen.cfg"), "--format", "csv", "-o", path, NULL);
    if (rc != 0) fail_msg("status %d: %s", rc, err);
    free(out), free(err);
    char *r = slurp(path);
    assert_non_null(strstr(r, "unit,"));
    free(r);
    path[n - 1] = '\0';
    assert_int_equal(count_prefixed(path, ".ts-"), 0);
    assert_int_equal(count_prefixed(path, "f"), 1);
}

/* ---- an output is never an input ---------------------------------------- */

/* Returns the SHA-256 of the file at p (64 hex digits in buf). */
static const char *hash_of(const char *p, char buf[65]) {
    if (ts_sha256_file(p, buf) != 0) fail_msg("%s: cannot read", p);
    return buf;
}

/* Runs the NULL-terminated command and checks that it refused before
 * doing anything: exit status 2, a message naming what the output is, and
 * victim (the input) unchanged. */
static void expect_refused(const char *victim, const char *what, ...) {
    char before[65], after[65];
    hash_of(victim, before);
    va_list ap;
    va_start(ap, what);
    char *out, *err;
    int rc = tu_vrun(ts_cli_main, "threatscore", &out, &err, ap);
    va_end(ap);
    if (rc != 2 || !strstr(err, what) || !strstr(err, "the output must be another file"))
        fail_msg("status %d, expected 2 and \"%s\": %s", rc, what, err);
    free(out), free(err);
    assert_string_equal(hash_of(victim, after), before);
}

/* `score S -o S` used to replace the scenario with its own scores, and
 * `plot --db D ... -o D` the store with a chart. An output (-o, or a --db
 * the command writes) that names one of the command's inputs, however it
 * is spelt, is refused before anything is read or written. */
static void test_output_is_not_an_input(void **state) {
    (void)state;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tu_dir()), 0);
    tu_write("tax.cfg", FIX_TAXONOMY);
    const char *scen = tu_write("s.cfg", FIX_SCENARIO_HEAD);
    tu_write("child.cfg", "name = \"Child\"; extends = \"s.cfg\";\n");
    tu_write("data.csv", FIX_CSV);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "s.cfg", "--db", "in.db", NULL), 0);
    free(out), free(err);
    symlink("s.cfg", "link.cfg");
    link("s.cfg", "hard.cfg");
    /* the scenario, spelt four ways */
    expect_refused(scen, "that is the scenario", "score", "s.cfg", "-o", "s.cfg", NULL);
    expect_refused(scen, "that is the scenario (s.cfg)", "score", "s.cfg", "-o", "./s.cfg", NULL);
    expect_refused(scen, "that is the scenario (s.cfg)", "score", "s.cfg", "--format", "csv", "-o", "link.cfg", NULL);
    expect_refused(scen, "that is the scenario (s.cfg)", "score", "s.cfg", "-o", scen, NULL);
    expect_refused(scen, "that is the scenario (s.cfg)", "score", "s.cfg", "-o", "hard.cfg", NULL);
    /* files known once the scenario is read: what it extends, its taxonomy */
    expect_refused(scen, "that is a scenario file it extends", "score", "child.cfg", "-o", "s.cfg", NULL);
    expect_refused(tu_path("tax.cfg"), "that is the taxonomy", "score", "child.cfg", "-o", "tax.cfg", NULL);
    expect_refused(tu_path("data.csv"), "that is the data file", "score", "--taxonomy", "tax.cfg", "--data",
                   "data.csv", "--format", "csv", "-o", "./data.csv", NULL);
    /* the database, and the files SQLite keeps beside it */
    expect_refused(tu_path("in.db"), "that is the database", "score", "s.cfg", "--db", "in.db", "-o", "in.db", NULL);
    tu_write("in.db-wal", "");
    expect_refused(tu_path("in.db"), "that is a file SQLite keeps beside the database", "score", "s.cfg", "--db",
                   "in.db", "-o", "in.db-wal", NULL);
    unlink("in.db-wal");
    expect_refused(scen, "--db s.cfg: that is the scenario", "score", "s.cfg", "--db", "s.cfg", NULL);
    expect_refused(scen, "that is a scenario file it extends", "score", "child.cfg", "--db", "./s.cfg", NULL);
    expect_refused(scen, "--db s.cfg: that is one of the scenarios", "batch", "s.cfg", "child.cfg", "--db", "s.cfg",
                   NULL);
    /* a database not made yet is no other file than itself */
    assert_int_equal(tu_run(&out, &err, "score", "s.cfg", "--db", "new.db", "-o", "./new.db", NULL), 2);
    assert_non_null(strstr(err, "that is the database (new.db)"));
    free(out), free(err);
    assert_false(file_exists("new.db"));
    /* every command that reads the store and writes -o */
    expect_refused(tu_path("in.db"), "that is the database", "export", "--db", "in.db", "--run", "1", "-o", "in.db",
                   NULL);
    expect_refused(tu_path("in.db"), "that is the database", "compare", "--db", "in.db", "1", "2", "-o", "./in.db",
                   NULL);
    expect_refused(tu_path("in.db"), "that is the database", "plot", "--db", "in.db", "ranking", "-o", "in.db", NULL);
    symlink("in.db", "in.png");
    expect_refused(tu_path("in.db"), "that is the database (in.db)", "plot", "--db", "in.db", "ranking", "-o",
                   "in.png", NULL);
    expect_refused(tu_path("in.db"), "that is the database", "alert", "--db", "in.db", "-o", "in.db", NULL);
    expect_refused(tu_path("in.db"), "that is the database", "report", "--db", "in.db", "-o", "./in.db", NULL);
    expect_refused(tu_path("data.csv"), "that is the source register", "report", "--db", "in.db", "--register",
                   "data.csv", "-o", "data.csv", NULL);
    /* every command that reads a scenario and writes -o or --db */
    expect_refused(scen, "that is the scenario", "weights", "s.cfg", "-o", "s.cfg", NULL);
    expect_refused(scen, "that is the scenario it extends", "new-scenario", "What if", "--extends", "s.cfg", "-o",
                   "s.cfg", "--force", NULL);
    expect_refused(tu_path("tax.cfg"), "that is the taxonomy", "new-scenario", "What if", "--extends", "s.cfg", "-o",
                   "tax.cfg", "--force", NULL);
    expect_refused(scen, "that is the scenario", "explain", "s.cfg", "P", "-o", "s.cfg", NULL);
    expect_refused(scen, "that is the scenario", "audit", "s.cfg", "-o", "s.cfg", NULL);
    expect_refused(scen, "that is the scenario", "trend", "s.cfg", "-o", "s.cfg", NULL);
    expect_refused(tu_path("in.db"), "that is the database", "trend", "s.cfg", "--db", "in.db", "-o", "in.db", NULL);
    expect_refused(scen, "that is a scenario file it extends", "trend", "child.cfg", "--db", "s.cfg", NULL);
    expect_refused(scen, "that is the scenario", "uncertainty", "s.cfg", "-N", "8", "-o", "s.cfg", NULL);
    expect_refused(scen, "that is a scenario file it extends", "uncertainty", "child.cfg", "-N", "8", "-o", "s.cfg",
                   NULL);
    expect_refused(tu_path("in.db"), "that is the database", "uncertainty", "s.cfg", "-N", "8", "--db", "in.db", "-o",
                   "in.db", NULL);
    /* import: neither output is an input or the other output */
    tu_write("idata.csv", "x");
    expect_refused(tu_path("idata.csv"), "that is the iData file", "import", "coinr", "idata.csv", "s.cfg",
                   "--taxonomy-out", "idata.csv", "--scenario-out", "o.cfg", NULL);
    expect_refused(scen, "that is the iMeta file", "import", "coinr", "idata.csv", "s.cfg", "--taxonomy-out", "t.cfg",
                   "--scenario-out", "s.cfg", NULL);
    assert_int_equal(tu_run(&out, &err, "import", "coinr", "idata.csv", "s.cfg", "--taxonomy-out", "t.cfg",
                            "--scenario-out", "./t.cfg", NULL),
                     2);
    assert_non_null(strstr(err, "that is the --taxonomy-out file"));
    free(out), free(err);
    /* standard output and devices are no input */
    assert_int_equal(tu_run(&out, &err, "score", "s.cfg", "-o", "/dev/null", NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "s.cfg", "-o", "-", NULL), 0);
    assert_non_null(strstr(out, "Fixture"));
    free(out), free(err);
    assert_int_equal(chdir(cwd), 0);
}

/* ---- the database is a plain file --------------------------------------- */

/* SQLite reads a name starting with "file:" as a URI whenever its library
 * was built with SQLITE_USE_URI (Debian's is), so `--db
 * 'file:x.db?mode=memory'` stored the run in memory and exited 0, as did
 * `--db :memory:`; `--db ''` made a temporary database that vanished.
 * Each is now a plain file name (or refused). */
static void test_db_is_a_plain_file(void **state) {
    (void)state;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tu_dir()), 0);
    tu_write("tax.cfg", FIX_TAXONOMY);
    tu_write("s.cfg", FIX_SCENARIO_HEAD);
    static const char *const names[] = {"file:uri.db?mode=memory", ":memory:", "file::memory:?cache=shared",
                                        "file:vfs.db?vfs=unix-none&immutable=1", "file:%2e%2e.db"};
    for (int i = 0; i < 5; i++) {
        unlink(names[i]);
        char *out, *err;
        int rc = tu_run(&out, &err, "score", "s.cfg", "--db", names[i], NULL);
        if (rc != 0) fail_msg("%s: status %d: %s", names[i], rc, err);
        free(out), free(err);
        /* the file of that very name holds the run, and reads back */
        struct stat sb;
        if (stat(names[i], &sb) != 0 || !S_ISREG(sb.st_mode)) fail_msg("%s: no such file", names[i]);
        char plain[600]; /* the test's own sqlite3_open reads URIs */
        snprintf(plain, sizeof plain, "./%s", names[i]);
        assert_int_equal(tu_query_int(plain, "SELECT count(*) FROM runs"), 1);
        assert_int_equal(tu_run(&out, &err, "runs", "--db", names[i], "--format", "csv", NULL), 0);
        assert_non_null(strstr(out, "Fixture"));
        free(out), free(err);
        assert_int_equal(tu_run(&out, &err, "plot", "--db", names[i], "ranking", "--script", NULL), 0);
        free(out), free(err);
    }
    /* an absolute path of that form is a plain file as well */
    char abs[PATH_MAX];
    snprintf(abs, sizeof abs, "%s/file:abs.db?mode=memory", tu_dir());
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "s.cfg", "--db", abs, NULL), 0);
    free(out), free(err);
    assert_true(file_exists(abs));
    /* no name at all */
    assert_int_equal(tu_run(&out, &err, "score", "s.cfg", "--db", "", NULL), 2);
    assert_non_null(strstr(err, "no database file named (the path is empty)"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "batch", "s.cfg", "--db", "", NULL), 2);
    free(out), free(err);
    assert_int_equal(chdir(cwd), 0);
}

/* SQLite's unix VFS opens a database only when its absolute path and
 * "-journal" fit in 512 bytes: a longer --db used to fail with "unable to
 * open database file" and the path cut at 512 bytes. */
static void test_db_path_too_long_for_sqlite(void **state) {
    (void)state;
    setup_fixture();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", tu_dir());
    while (strlen(path) < 600) {
        strcat(path, "/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
        if (mkdir(path, 0700) != 0) assert_int_equal(errno, EEXIST);
    }
    strcat(path, "/long.db");
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", tu_path("scen.cfg"), "--db", path, NULL), 3);
    assert_non_null(strstr(err, "the path is too long for SQLite"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "plot", "--db", path, "ranking", "--script", NULL), 1);
    free(out), free(err);
    assert_false(file_exists(path));
}

/* ---- output paths of any legal length ----------------------------------- */

/* Makes (under the scratch directory) a directory whose path is exactly
 * len bytes long; returns it in buf. */
static const char *deep_dir(char *buf, size_t len) {
    snprintf(buf, PATH_MAX, "%s", tu_dir());
    for (;;) {
        size_t have = strlen(buf), rest = len - have - 1;
        size_t part = rest > 255 ? 200 : rest;
        buf[have] = '/';
        memset(buf + have + 1, part == rest ? 'e' : 'd', part);
        buf[have + 1 + part] = '\0';
        if (mkdir(buf, 0700) != 0) assert_int_equal(errno, EEXIST);
        if (part == rest) break;
    }
    assert_int_equal(strlen(buf), len);
    return buf;
}

/* Returns dir + "/" + a name of name_len bytes: first, then 'f's, then ext. */
static const char *long_name(char *buf, const char *dir, char first, size_t name_len, const char *ext) {
    size_t d = strlen(dir), e = strlen(ext);
    assert_true(d + 1 + name_len < PATH_MAX && name_len > e + 1);
    memcpy(buf, dir, d);
    buf[d] = '/';
    buf[d + 1] = first;
    memset(buf + d + 2, 'f', name_len - 1 - e);
    memcpy(buf + d + 1 + name_len - e, ext, e + 1);
    return buf;
}

/* Returns how many entries dir has besides . and .. */
static int count_entries(const char *dir) {
    return count_prefixed(dir, "") - 2;
}

/* Every command that writes -o writes a file whose path is PATH_MAX - 1
 * bytes long, whether its name is NAME_MAX bytes long or 6 bytes in a
 * directory of 4,088 bytes. The temporary file used to be named by a path
 * 20 bytes longer than the output's, which the kernel refused. */
static void test_paths_of_any_legal_length(void **state) {
    (void)state;
    static char dirs[2][PATH_MAX], p[PATH_MAX], q[PATH_MAX];
    const char *db = tu_path("long-src.db");
    unlink(db);
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/baseline.cfg", "--db", db, NULL), 0);
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "score", "scenarios/afghan_spillover.cfg", "--db", db, NULL), 0);
    free(out), free(err);
    const char *scen = "scenarios/baseline.cfg";
    /* a NAME_MAX name in a 3,839-byte directory; a 6-byte one in 4,088 bytes */
    const size_t name_len[2] = {NAME_MAX, 6};
    deep_dir(dirs[0], PATH_MAX - 2 - NAME_MAX);
    deep_dir(dirs[1], PATH_MAX - 2 - 6);
    for (int d = 0; d < 2; d++) {
        const char *dir = dirs[d];
        size_t n = name_len[d];
        int made = 0;
#define WRITES(first, ext, ...)                                                           \
    do {                                                                                  \
        long_name(p, dir, first, n, ext);                                                 \
        assert_int_equal(strlen(p), PATH_MAX - 1);                                        \
        int rc_ = tu_run(&out, &err, __VA_ARGS__, NULL);                                  \
        if (rc_ != 0) fail_msg("%c%s: status %d: %.300s", first, ext, rc_, err);          \
        free(out), free(err);                                                             \
        struct stat sb_;                                                                  \
        if (stat(p, &sb_) != 0 || sb_.st_size == 0) fail_msg("%c%s: not written", first, ext); \
        made++;                                                                           \
    } while (0)
        WRITES('a', ".csv", "score", scen, "--format", "csv", "-o", p);
        WRITES('b', ".csv", "explain", scen, "KAZ", "--format", "csv", "-o", p);
        WRITES('c', ".txt", "audit", scen, "-o", p);
        WRITES('d', ".txt", "trend", scen, "-o", p);
        WRITES('e', ".txt", "uncertainty", scen, "-N", "16", "-q", "-o", p);
        WRITES('f', ".csv", "compare", "--db", db, "1", "2", "--format", "csv", "-o", p);
        WRITES('g', ".csv", "export", "--db", db, "--run", "1", "--format", "csv", "-o", p);
        WRITES('h', ".png", "plot", "--db", db, "ranking", "-o", p);
        WRITES('i', ".txt", "plot", "--db", db, "heatmap", "-o", p);
        /* import writes two files */
        long_name(q, dir, 'k', n, ".cfg");
        WRITES('j', ".cfg", "import", "coinr", "tests/data/coinr-asem/asem_iData.csv",
               "tests/data/coinr-asem/asem_iMeta.csv", "--taxonomy-out", q, "--scenario-out", p);
        assert_true(file_exists(q));
        made++;
#undef WRITES
        /* nothing else was left in the directory: no temporary file */
        assert_int_equal(count_entries(dir), made);
    }
}

/* A run killed by SIGINT or SIGTERM while it writes -o FILE leaves no
 * temporary file: the program tracks it and its handler removes it. */
static void test_signal_removes_temporary(void **state) {
    (void)state;
    const int sigs[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        const char *target = tu_path("interrupted.csv");
        unlink(target);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            ts_cli_catch_signals();
            ts_outfile o;
            FILE *f = ts_open_output(stdout, stderr, "test", target, &o);
            if (!f || !o.tmp || access(o.tmp, F_OK) != 0) _exit(10);
            fputs("half of a file", f);
            fflush(f);
            raise(sigs[i]);
            _exit(11); /* not reached: the signal ends the process */
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status)) fail_msg("child exited with %d", WEXITSTATUS(status));
        assert_int_equal(WTERMSIG(status), sigs[i]);
        assert_int_equal(count_prefixed(tu_dir(), "interrupted.csv"), 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plot_path_is_no_command),
        cmocka_unit_test(test_planted_symlink_is_not_followed),
        cmocka_unit_test(test_mode_kept_and_umask_honoured),
        cmocka_unit_test(test_long_paths),
        cmocka_unit_test(test_signal_removes_temporary),
        cmocka_unit_test(test_output_is_not_an_input),
        cmocka_unit_test(test_db_is_a_plain_file),
        cmocka_unit_test(test_db_path_too_long_for_sqlite),
        cmocka_unit_test(test_paths_of_any_legal_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
