/* test_readme.c -- the README's sample outputs are the program's: every
 * sample in README.md is run and its output compared with the README text,
 * so the README cannot drift from the program again.
 *
 * A sample is a fenced block with the info string `console`:
 *
 *     ```console
 *     $ build/threatscore score scenarios/baseline.cfg --format csv | head -n 2
 *     unit,unit_name,node,node_name,parent,depth,score,rank,class,coverage,imputed,reliability
 *     KAZ,Kazakhstan,central_asia,...
 *     ```
 *
 * - A line starting with "$ " is a command (a line ending in '\' goes on
 *   on the next line); the lines after it, up to the next command or the
 *   closing fence, are what it must print on standard output. Add 2>&1 to
 *   the command to show standard error too.
 * - The output must match exactly, except that a line holding only "..."
 *   matches any number of lines, and "..." inside a line matches any text
 *   (for timings, dates and hashes).
 * - The command must exit with status 0, unless the sample's last line is
 *   "[exit N]": then it must exit with N (a sample of an error).
 * - Commands run with sh from a scratch directory that mirrors the project
 *   root (links to its files and folders, and build/threatscore to the
 *   program under test), in README order, so that a sample may use a file
 *   (threatscore.db) an earlier sample wrote; nothing is written into the
 *   project itself.
 * Other fenced blocks (```sh and the rest) are not run.
 *
 * To fill in the outputs of new samples, write their commands with no
 * output under them and run
 *     TS_README_FILL=/tmp/README.md build/test_readme
 * (with TS_BINARY=build/threatscore): the copy has each such sample's
 * actual output (and "[exit N]" when it failed) under its command. */
#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* One sample: a command, its expected output and exit status. */
typedef struct sample {
    int line;          /* README line of the command */
    int cmd_lines;     /* lines the command takes (continuations included) */
    char *cmd;
    char *expect;      /* expected standard output */
    int status;
} sample;

typedef struct sample_list {
    sample *v;
    int n, cap;
} sample_list;

static void samples_free(sample_list *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i].cmd), free(l->v[i].expect);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Appends a sample taking over cmd and expect; reads a trailing "[exit N]"
 * line of expect as the status. */
static void add_sample(sample_list *l, int line, int cmd_lines, char *cmd, char *expect) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    int status = 0;
    size_t len = strlen(expect);
    const char *last = len ? expect + len - 1 : expect;
    while (last > expect && last[-1] != '\n') last--;
    if (sscanf(last, "[exit %d]", &status) == 1) expect[last - expect] = '\0';
    l->v[l->n++] = (sample){line, cmd_lines, cmd, expect, status};
}

/* Returns a malloc'd copy of n bytes of s. */
static char *dup_n(const char *s, size_t n) {
    char *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Reads every sample of the markdown text md into l. */
static void parse_samples(const char *md, sample_list *l) {
    int line = 0, in_console = 0, in_other = 0, cmd_line = 0, cmd_lines = 0;
    ts_buf cmd = {0}, expect = {0};
    int have_cmd = 0, continued = 0;
    for (const char *p = md; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        int fence = len >= 3 && strncmp(p, "```", 3) == 0;
        if (fence && !in_console && !in_other) {
            in_console = len == 10 && strncmp(p, "```console", 10) == 0;
            in_other = !in_console;
        } else if (fence && in_other) {
            in_other = 0;
        } else if (in_console && (fence || (!continued && len >= 2 && strncmp(p, "$ ", 2) == 0))) {
            if (have_cmd) {
                add_sample(l, cmd_line, cmd_lines, dup_n(cmd.data ? cmd.data : "", cmd.len),
                           dup_n(expect.data ? expect.data : "", expect.len));
                cmd.len = expect.len = 0;
                have_cmd = 0;
            }
            if (fence) {
                in_console = 0;
            } else {
                have_cmd = 1;
                cmd_line = line;
                cmd_lines = 1;
                ts_buf_append(&cmd, p + 2, len - 2);
                continued = len > 2 && p[len - 1] == '\\';
                ts_buf_puts(&cmd, "\n");
            }
        } else if (in_console && continued) {
            cmd_lines++;
            ts_buf_append(&cmd, p, len);
            ts_buf_puts(&cmd, "\n");
            continued = len > 0 && p[len - 1] == '\\';
        } else if (in_console && have_cmd) {
            ts_buf_append(&expect, p, len);
            ts_buf_puts(&expect, "\n");
        }
        p += len + (nl ? 1 : 0);
    }
    ts_buf_free(&cmd);
    ts_buf_free(&expect);
}

/* Returns 1 when line got (glen bytes) matches pattern pat (plen bytes),
 * in which "..." matches any text. */
static int line_matches(const char *pat, size_t plen, const char *got, size_t glen) {
    if (plen >= 3 && strncmp(pat, "...", 3) == 0) {
        for (size_t k = 0; k <= glen; k++)
            if (line_matches(pat + 3, plen - 3, got + k, glen - k)) return 1;
        return 0;
    }
    if (plen == 0) return glen == 0;
    return glen > 0 && *pat == *got && line_matches(pat + 1, plen - 1, got + 1, glen - 1);
}

/* Splits text into lines (without their '\n') in a malloc'd array of
 * pointers into text, which is modified. Returns the count. */
static int split_lines(char *text, char ***lines) {
    int n = 0, cap = 16;
    *lines = malloc((size_t)cap * sizeof **lines);
    assert_non_null(*lines);
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        if (n == cap) {
            cap *= 2;
            *lines = realloc(*lines, (size_t)cap * sizeof **lines);
            assert_non_null(*lines);
        }
        (*lines)[n++] = p;
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* Returns 1 when the lines got[j..ng) match the patterns exp[i..ne), a
 * pattern line "..." matching any number of lines. */
static int lines_match(char **exp, int i, int ne, char **got, int j, int ng) {
    if (i == ne) return j == ng;
    if (strcmp(exp[i], "...") == 0) {
        for (int k = j; k <= ng; k++)
            if (lines_match(exp, i + 1, ne, got, k, ng)) return 1;
        return 0;
    }
    return j < ng && line_matches(exp[i], strlen(exp[i]), got[j], strlen(got[j])) &&
           lines_match(exp, i + 1, ne, got, j + 1, ng);
}

/* Returns 1 when output got matches the expected text expect. */
static int output_matches(const char *expect, const char *got) {
    char *e = strdup(expect), *g = strdup(got), **el, **gl;
    assert_non_null(e);
    assert_non_null(g);
    int ne = split_lines(e, &el), ng = split_lines(g, &gl);
    int ok = lines_match(el, 0, ne, gl, 0, ng);
    free(el), free(gl), free(e), free(g);
    return ok;
}

/* Makes dir a mirror of the project root: a link to every entry but the
 * build trees and the outputs the samples may write, and build/threatscore
 * linked to binary. */
static void make_mirror(const char *dir, const char *binary) {
    char cwd[1024], path[2048], target[2048];
    assert_non_null(getcwd(cwd, sizeof cwd));
    DIR *d = opendir(".");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] == '.' || strncmp(n, "build", 5) == 0 || strncmp(n, "threatscore.db", 14) == 0 ||
            strcmp(n, "charts") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, n);
        snprintf(target, sizeof target, "%s/%s", cwd, n);
        assert_int_equal(symlink(target, path), 0);
    }
    closedir(d);
    /* ../shared beside the project, which some samples read */
    snprintf(path, sizeof path, "%s/../shared", dir);
    snprintf(target, sizeof target, "%s/../shared", cwd);
    struct stat sb;
    if (stat(target, &sb) == 0 && stat(path, &sb) != 0) assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/build", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/build/threatscore", dir);
    assert_int_equal(symlink(binary, path), 0);
}

/* Runs cmd with sh in dir. Returns its standard output (malloc'd) and
 * stores its exit status in *status. */
static char *run_in(const char *dir, const char *cmd, int *status) {
    const char *script = tu_write("sample.sh", cmd);
    char line[4096];
    snprintf(line, sizeof line, "cd '%s' && sh '%s'", dir, script);
    return tu_popen(line, status);
}

/* Writes md to path with got[i] under the command of every sample i that
 * shows no output yet (and "[exit N]" when its status is not 0). */
static void fill_markdown(const char *path, const char *md, const sample_list *l, char **got, const int *status) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int line = 0, next = 0;
    for (const char *p = md; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl + 1 - p) : strlen(p);
        fwrite(p, 1, len, f);
        line++;
        while (next < l->n && l->v[next].line + l->v[next].cmd_lines - 1 < line) next++;
        if (next < l->n && l->v[next].line + l->v[next].cmd_lines - 1 == line && !l->v[next].expect[0] &&
            !l->v[next].status) {
            fputs(got[next], f);
            if (status[next]) fprintf(f, "[exit %d]\n", status[next]);
        }
        p += len;
    }
    assert_int_equal(fclose(f), 0);
}

/* Runs every sample of md in a fresh mirror. Returns the number of samples
 * that failed, each reported with its line, expected and actual output;
 * with fill, also writes md with the outputs of samples that show none
 * to the file fill (fill_markdown). */
static int check_markdown(const char *name, const char *md, int *n_samples, const char *fill) {
    const char *binary = getenv("TS_BINARY");
    if (!binary) fail_msg("TS_BINARY is not set (ctest sets it to the program under test)");
    sample_list l = {0};
    parse_samples(md, &l);
    *n_samples = l.n;
    static int mirrors;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/mirror%d", tu_dir(), mirrors++);
    assert_int_equal(mkdir(dir, 0700), 0);
    make_mirror(dir, binary);
    int failed = 0;
    char **got = calloc((size_t)l.n + 1, sizeof *got);
    int *status = calloc((size_t)l.n + 1, sizeof *status);
    assert_non_null(got);
    assert_non_null(status);
    for (int i = 0; i < l.n; i++) {
        got[i] = run_in(dir, l.v[i].cmd, &status[i]);
        if (!output_matches(l.v[i].expect, got[i]) || status[i] != l.v[i].status) {
            failed++;
            print_message("%s:%d: $ %s  exit %d (expected %d)\n--- expected\n%s--- got\n%s---\n", name, l.v[i].line,
                          l.v[i].cmd, status[i], l.v[i].status, l.v[i].expect, got[i]);
        }
    }
    if (fill) fill_markdown(fill, md, &l, got, status);
    for (int i = 0; i < l.n; i++) free(got[i]);
    free(got);
    free(status);
    samples_free(&l);
    return failed;
}

/* The mechanism itself, on a text with samples that pass and samples that
 * must fail: a wrong output, a wrong status, a wildcard that must not
 * match across a missing line. */
static void test_mechanism(void **state) {
    (void)state;
    static const char good[] =
        "# x\n"
        "```sh\n$ false\nnot a sample\n```\n"
        "```console\n"
        "$ build/threatscore --version\n"
        "threatscore ...\n"
        "$ printf 'a\\nb\\nc\\n' \\\n"
        "    | cat\n"
        "a\n"
        "...\n"
        "$ build/threatscore score scenarios/baseline.cfg --format csv | head -n 1\n"
        "unit,unit_name,node,...,reliability\n"
        "$ build/threatscore scroe 2>&1\n"
        "threatscore: unknown command 'scroe' (did you mean 'score'?)\n"
        "Run 'threatscore --help' for the list of commands.\n"
        "[exit 2]\n"
        "$ echo written > out.txt && cat out.txt\n"
        "written\n"
        "```\n"
        "```console\n"
        "$ cat out.txt\n"
        "written\n"
        "```\n";
    int n;
    assert_int_equal(check_markdown("good.md", good, &n, NULL), 0);
    assert_int_equal(n, 6);
    static const char bad[] =
        "```console\n"
        "$ echo one\n"
        "two\n"
        "$ false\n"
        "$ printf 'a\\nb\\n'\n"
        "a\n"
        "b...\n"
        "c\n"
        "$ test -e threatscore.db\n"
        "```\n";
    /* one wrong output, one wrong status, one missing line, and no
       threatscore.db of the project shows through the mirror */
    assert_int_equal(check_markdown("bad.md", bad, &n, NULL), 4);
    assert_int_equal(n, 4);
    /* filling in: a sample without output gets the program's, which then
       passes */
    static const char empty[] = "text\n```console\n$ echo one \\\n  two\n$ exit 3\n$ echo kept\nkept\n```\n";
    const char *filled = tu_path("filled.md");
    assert_int_equal(check_markdown("empty.md", empty, &n, filled), 2);
    size_t len;
    char *md = ts_read_file(filled, &len);
    assert_non_null(md);
    assert_string_equal(md, "text\n```console\n$ echo one \\\n  two\none two\n$ exit 3\n[exit 3]\n$ echo kept\nkept\n```\n");
    assert_int_equal(check_markdown("filled.md", md, &n, NULL), 0);
    free(md);
}

/* The README's samples, whatever they are now. */
static void test_readme_samples(void **state) {
    (void)state;
    const char *path = getenv("TS_README") ? getenv("TS_README") : "README.md";
    size_t len;
    char *md = ts_read_file(path, &len);
    assert_non_null(md);
    int n;
    int failed = check_markdown(path, md, &n, getenv("TS_README_FILL"));
    print_message("%s: %d sample%s, %d failed\n", path, n, n == 1 ? "" : "s", failed);
    free(md);
    assert_int_equal(failed, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mechanism),
        cmocka_unit_test(test_readme_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
