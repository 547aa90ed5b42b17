/* test_outputs.c -- where output goes: a chart path gnuplot would read as
 * a command, temporary files an attacker could plant, the mode of a
 * replaced file, long paths, and temporaries left by an interrupted run. */
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

#include "cliopt.h"
#include "fixtures.h"
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
