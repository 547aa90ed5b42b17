/* test_oom.c -- the program under allocation failure: each allocation of a
 * command fails in turn (a countdown, as in SQLite's malloc tests). */
/* Each command runs as its own process (TS_BINARY) with tests/oomshim.c
 * preloaded. A reference run counts the allocations; then, for N = 1, 1 +
 * stride, ... up to that count, the Nth allocation fails. Every run must
 * either exit 0 with output byte-identical to the reference (stdout, the
 * -o file and the database rows), or exit 3 with "out of memory" on stderr
 * having written nothing: no stdout, no output file or temporary beside
 * it, no database rows. batch of several scenarios stores each run in its
 * own transaction (its documented contract): there, a failure may leave
 * the other scenarios' runs, each complete and identical to the reference.
 *
 * Environment: TS_OOM_STRIDE=S tests every Sth allocation (1 = the full
 * sweep; the default samples about 80 points a command, 40 under ASan, with a
 * deterministic jitter so that the samples do not fall on one phase);
 * TS_OOM_CASES=a,b runs only the named cases. The counts are printed. */
#include "testutil.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* sample points per command by default; fewer under AddressSanitizer,
   whose runs are several times slower */
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_SAMPLES 40
#else
#define DEFAULT_SAMPLES 80
#endif

/* What a case's run may leave when it fails. */
enum { LEAVES_NOTHING, LEAVES_COMPLETE_RUNS };

typedef struct oom_case {
    const char *name;
    /* arguments after the program name; @OUT is the output file, @DB a
       fresh database, @PLOTDB the prepared read-only store */
    const char *args[16];
    int leaves;
} oom_case;

static const oom_case CASES[] = {
    {"validate", {"validate", "scenarios/baseline.cfg", NULL}, LEAVES_NOTHING},
    {"validate-extends", {"validate", "scenarios/afghan_spillover.cfg", NULL}, LEAVES_NOTHING},
    {"score", {"score", "scenarios/baseline.cfg", "--format", "csv", "-o", "@OUT", NULL}, LEAVES_NOTHING},
    {"score-stdout", {"score", "scenarios/afghan_spillover.cfg", NULL}, LEAVES_NOTHING},
    {"score-db", {"score", "scenarios/baseline.cfg", "--db", "@DB", "--format", "json", NULL}, LEAVES_NOTHING},
    {"batch", {"batch", "scenarios/baseline.cfg", "--db", "@DB", "-q", "-j", "1", NULL}, LEAVES_NOTHING},
    {"batch-two",
     {"batch", "scenarios/baseline.cfg", "scenarios/afghan_spillover.cfg", "--db", "@DB", "-q", "-j", "2", NULL},
     LEAVES_COMPLETE_RUNS},
    {"uncertainty",
     {"uncertainty", "scenarios/baseline.cfg", "-N", "16", "--format", "csv", "-o", "@OUT", "--quiet", NULL},
     LEAVES_NOTHING},
    {"uncertainty-db",
     {"uncertainty", "scenarios/baseline.cfg", "-N", "8", "--db", "@DB", "--format", "csv", "--quiet", NULL},
     LEAVES_NOTHING},
    {"plot-ranking", {"plot", "--db", "@PLOTDB", "ranking", "--script", NULL}, LEAVES_NOTHING},
    {"plot-compare", {"plot", "--db", "@PLOTDB", "compare", "--script", NULL}, LEAVES_NOTHING},
    {"plot-uncertainty", {"plot", "--db", "@PLOTDB", "uncertainty", "--script", NULL}, LEAVES_NOTHING},
    {"plot-correlation",
     {"plot", "correlation", "scenarios/baseline.cfg", "--node", "pol_social", "--indicators", "--script", NULL},
     LEAVES_NOTHING},
    /* the briefing: every chart drawn through gnuplot (or, without it, each
       one's note: the reference run shows which) */
    {"report", {"report", "--db", "@PLOTDB", "-o", "@OUT", NULL}, LEAVES_NOTHING},
    /* the other readers of a store, each printing to standard output */
    {"runs", {"runs", "--db", "@PLOTDB", NULL}, LEAVES_NOTHING},
    {"compare", {"compare", "--db", "@PLOTDB", "--format", "csv", NULL}, LEAVES_NOTHING},
    {"alert", {"alert", "--db", "@PLOTDB", NULL}, LEAVES_NOTHING},
    {"export", {"export", "--db", "@PLOTDB", "--run", "1", "--format", "json", NULL}, LEAVES_NOTHING},
    {"rescore", {"rescore", "--db", "@PLOTDB", "--run", "1", NULL}, LEAVES_NOTHING},
};

/* Outcomes tolerated and counted because they are not threatscore's: each
 * names where it comes from. The counts are printed at the end, and an
 * entry that no longer occurs in a full run is reported. Matched on the
 * case name prefix and a substring of stderr, or "exit 0" for a wrong
 * result. A bug of threatscore's gets no entry: it is fixed, and this test
 * fails when it comes back (the store's SQLITE_NOMEM taken for bad input
 * or for no rows, json_valid() saying 0 when out of memory, a chart drawn
 * without its class lines because its taxonomy could not be loaded for
 * lack of memory: see engine/store/store_internal.h, ts_store_fail). */
typedef struct known {
    const char *case_prefix, *stderr_has, *where;
} known;

static const known KNOWN[] = {
#if defined(__SANITIZE_ADDRESS__)
    {"", "pthread_getattr_np(pthread_self(), &attr))) == ((0))",
     "AddressSanitizer's runtime, not threatscore (ASan builds only): a new thread's pthread_getattr_np "
     "gets ENOMEM from the shim and ASan's thread start aborts on a CHECK"},
#endif
    {NULL, NULL, NULL} /* the end (C has no empty arrays) */
};
#define N_KNOWN (sizeof KNOWN / sizeof *KNOWN - 1)

static const char *shim, *binary;

/* ---- running one command ---------------------------------------------- */

typedef struct outcome {
    int status; /* wait status */
    char *out, *err;
    size_t out_n;
    unsigned long count; /* allocations counted (reference runs) */
} outcome;

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t got;
    while ((got = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            b = realloc(b, cap);
            assert_non_null(b);
        }
    }
    fclose(f);
    b[len] = '\0';
    if (n) *n = len;
    return b;
}

/* Removes every file in dir (it holds no subdirectories). */
static void clear_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1200];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* Returns the number of entries in dir other than . and .. and those whose
 * name starts with except. */
static int count_entries(const char *dir, const char *except) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strncmp(e->d_name, except, strlen(except))) n++;
    closedir(d);
    return n;
}

/* The environment of a child: ours, plus the shim and its settings. Under
 * AddressSanitizer the shim is loaded before ASan's runtime, which ASan
 * accepts once told not to check the order. */
static char **child_env(unsigned long fail_at, int persist, const char *count_path) {
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 8, sizeof *env);
    assert_non_null(env);
    size_t k = 0;
    const char *asan = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "ASAN_OPTIONS=", 13) == 0) asan = environ[i] + 13;
        else if (strncmp(environ[i], "TS_OOM_", 7) && strncmp(environ[i], "LD_PRELOAD=", 11)) env[k++] = environ[i];
    }
    char buf[1200];
    snprintf(buf, sizeof buf, "LD_PRELOAD=%s", shim);
    env[k++] = strdup(buf);
    snprintf(buf, sizeof buf, "TS_OOM_FAIL=%lu", fail_at);
    env[k++] = strdup(buf);
    if (persist) env[k++] = strdup("TS_OOM_PERSIST=1");
    if (count_path) {
        snprintf(buf, sizeof buf, "TS_OOM_COUNT=%s", count_path);
        env[k++] = strdup(buf);
    }
#if defined(__SANITIZE_ADDRESS__)
    snprintf(buf, sizeof buf, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan ? ":" : "");
    env[k++] = strdup(buf);
#else
    if (asan) {
        snprintf(buf, sizeof buf, "ASAN_OPTIONS=%s", asan);
        env[k++] = strdup(buf);
    }
#endif
    env[k] = NULL;
    return env;
}

/* Runs the program with argv (argv[0] included) in the current directory,
 * stdout and stderr to files in dir; limit_kb > 0 caps the address space.
 * Fills o (caller frees out and err). */
static void run_child(const char *dir, char *const argv[], char **env, long limit_kb, outcome *o) {
    char out_path[1200], err_path[1200];
    snprintf(out_path, sizeof out_path, "%s.stdout", dir);
    snprintf(err_path, sizeof err_path, "%s.stderr", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0) _exit(125);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        if (limit_kb > 0) {
            struct rlimit rl = {(rlim_t)limit_kb * 1024, (rlim_t)limit_kb * 1024};
            if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(125);
        }
        alarm(120); /* a hang is a failure too */
        execve(binary, argv, env);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    o->status = status;
    o->out = slurp(out_path, &o->out_n);
    o->err = slurp(err_path, NULL);
    if (!o->out) o->out = strdup("");
    if (!o->err) o->err = strdup("");
    unlink(out_path);
    unlink(err_path);
}

/* ---- the database, as text -------------------------------------------- */

typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static void lines_add(lines *l, char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = s;
}

static int cmp_line(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_free(lines *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Columns left out of the comparison: when a row was written and how long
 * the work took, and (with by_scenario) the ids that depend on which other
 * runs were stored. */
static int skip_column(const char *name, int by_scenario) {
    size_t n = strlen(name);
    if ((n > 3 && strcmp(name + n - 3, "_at") == 0) || strcmp(name, "seconds") == 0) return 1;
    if (!by_scenario) return 0;
    /* node set ids, like run ids, follow the order runs were stored in */
    return strcmp(name, "id") == 0 || (n >= 3 && strcmp(name + n - 3, "_id") == 0) || strcmp(name, "node_set") == 0;
}

/* Returns every row of every table of db as sorted "table|scenario|v|v..."
 * lines in one malloc'd string ("" for an absent file or no rows); with
 * by_scenario, rows of a run are labelled with its scenario instead of
 * carrying ids. *rows gets the number of rows. */
static char *dump_db(const char *db, int by_scenario, long *rows) {
    *rows = 0;
    struct stat sb;
    if (stat(db, &sb) != 0) return strdup("");
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    lines tables = {0}, out = {0};
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                        "'sqlite_%' ORDER BY name",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) lines_add(&tables, strdup((const char *)sqlite3_column_text(q, 0)));
    sqlite3_finalize(q);
    for (size_t t = 0; t < tables.n; t++) {
        char sql[600];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", tables.v[t]);
        assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
        int ncol = sqlite3_column_count(q);
        int run_col = -1;
        for (int c = 0; c < ncol; c++)
            if (strcmp(sqlite3_column_name(q, c), "run_id") == 0 ||
                (strcmp(tables.v[t], "runs") == 0 && strcmp(sqlite3_column_name(q, c), "id") == 0))
                run_col = c;
        while (sqlite3_step(q) == SQLITE_ROW) {
            ts_buf b = {0};
            ts_buf_printf(&b, "%s", tables.v[t]);
            if (by_scenario && run_col >= 0) {
                sqlite3_stmt *s;
                assert_int_equal(sqlite3_prepare_v2(h, "SELECT scenario FROM runs WHERE id = ?", -1, &s, NULL),
                                 SQLITE_OK);
                sqlite3_bind_int64(s, 1, sqlite3_column_int64(q, run_col));
                ts_buf_printf(&b, "|%s",
                              sqlite3_step(s) == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : "(no run)");
                sqlite3_finalize(s);
            }
            for (int c = 0; c < ncol; c++) {
                if (skip_column(sqlite3_column_name(q, c), by_scenario)) continue;
                switch (sqlite3_column_type(q, c)) {
                case SQLITE_NULL: ts_buf_puts(&b, "|\\N"); break;
                case SQLITE_INTEGER: ts_buf_printf(&b, "|%lld", (long long)sqlite3_column_int64(q, c)); break;
                case SQLITE_FLOAT: ts_buf_printf(&b, "|%.17g", sqlite3_column_double(q, c)); break;
                default:
                    ts_buf_puts(&b, "|");
                    ts_buf_append(&b, (const char *)sqlite3_column_blob(q, c), (size_t)sqlite3_column_bytes(q, c));
                }
            }
            assert_false(b.oom);
            lines_add(&out, b.data);
            (*rows)++;
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(h);
    if (out.n) qsort(out.v, out.n, sizeof *out.v, cmp_line);
    ts_buf all = {0};
    ts_buf_puts(&all, "");
    for (size_t i = 0; i < out.n; i++) {
        ts_buf_puts(&all, out.v[i]);
        ts_buf_puts(&all, "\n");
    }
    assert_false(all.oom);
    lines_free(&tables);
    lines_free(&out);
    return all.data;
}

/* Returns 1 when every line of sub is a line of ref (both sorted dumps). */
static int dump_is_subset(const char *sub, const char *ref) {
    const char *p = sub;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = (size_t)(e - p) + 1;
        const char *r = ref;
        int found = 0;
        while (*r && !found) {
            const char *re = strchr(r, '\n');
            found = (size_t)(re - r) + 1 == n && memcmp(r, p, n) == 0;
            r = re + 1;
        }
        if (!found) return 0;
        p = e + 1;
    }
    return 1;
}

/* ---- one case ---------------------------------------------------------- */

typedef struct paths {
    char dir[1024], out[1100], db[1100];
    const char *plotdb;
} paths;

/* Builds argv for c, substituting the placeholders. */
static void build_argv(const oom_case *c, const paths *p, char **argv) {
    int k = 0;
    argv[k++] = (char *)binary;
    for (int i = 0; c->args[i]; i++) {
        const char *a = c->args[i];
        if (strcmp(a, "@OUT") == 0) a = p->out;
        else if (strcmp(a, "@DB") == 0) a = p->db;
        else if (strcmp(a, "@PLOTDB") == 0) a = p->plotdb;
        argv[k++] = (char *)a;
    }
    argv[k] = NULL;
}

typedef struct tally {
    long runs, identical, oom, crash, wrong, message, left_behind, known;
} tally;

static int known_index(const oom_case *c, const char *what) {
    for (size_t k = 0; KNOWN[k].where; k++)
        if (strncmp(c->name, KNOWN[k].case_prefix, strlen(KNOWN[k].case_prefix)) == 0 &&
            strstr(what, KNOWN[k].stderr_has))
            return (int)k;
    return -1;
}

static void first_line(const char *s, char *buf, size_t n) {
    size_t len = strcspn(s, "\n");
    if (len >= n) len = n - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
}

/* What one failed-allocation run did, judged against the reference. */
static void judge(const oom_case *c, const paths *p, const outcome *ref, const char *ref_file, size_t ref_file_n,
                  const char *ref_db, unsigned long n, int persist, const outcome *o, tally *t, long *known_seen) {
    char line[300];
    first_line(o->err, line, sizeof line);
    t->runs++;
    const char *bad = NULL;
    int k;
    if (WIFSIGNALED(o->status) && WTERMSIG(o->status) == SIGABRT && strstr(o->err, "AddressSanitizer: CHECK") &&
        (k = known_index(c, o->err)) >= 0) {
        t->known++;
        known_seen[k]++;
    } else if (WIFSIGNALED(o->status)) {
        t->crash++;
        bad = "crash";
        snprintf(line, sizeof line, "signal %d: %.200s", WTERMSIG(o->status), o->err);
    } else {
        int rc = WEXITSTATUS(o->status);
        size_t file_n = 0;
        char *file = slurp(p->out, &file_n);
        long rows;
        char *db = dump_db(p->db, c->leaves == LEAVES_COMPLETE_RUNS, &rows);
        if (rc == 0) {
            int same = o->out_n == ref->out_n && memcmp(o->out, ref->out, o->out_n) == 0 &&
                       (file ? ref_file && file_n == ref_file_n && memcmp(file, ref_file, file_n) == 0 : !ref_file) &&
                       strcmp(db, ref_db) == 0;
            if (same) {
                t->identical++;
            } else {
                k = known_index(c, "exit 0");
                if (k >= 0) {
                    t->known++;
                    known_seen[k]++;
                } else {
                    t->wrong++;
                    bad = "exit 0 with a different result";
                }
            }
        } else if (rc == 3 && strstr(o->err, "out of memory")) {
            int wrote = o->out_n > 0 || file != NULL;
            if (c->leaves == LEAVES_NOTHING) wrote = wrote || rows > 0;
            else wrote = wrote || !dump_is_subset(db, ref_db);
            /* the directory holds the database (and its WAL files) at most */
            int entries = count_entries(p->dir, "runs.db");
            snprintf(line + strlen(line), sizeof line - strlen(line), " [entries %d]", entries);
            if (wrote || entries > 0) {
                t->left_behind++;
                bad = "out of memory but output written";
            } else {
                t->oom++;
            }
        } else {
            k = known_index(c, o->err);
            if (k >= 0) {
                t->known++;
                known_seen[k]++;
            } else {
                t->message++;
                bad = "wrong exit status or message";
                snprintf(line, sizeof line, "exit %d: %.200s", rc, o->err);
            }
        }
        free(file);
        free(db);
    }
    if (bad && t->crash + t->wrong + t->message + t->left_behind <= 6)
        printf("  %s: allocation %lu%s: %s: %s\n", c->name, n, persist ? " (and all after)" : "", bad, line);
}

/* The sample points: every stride-th allocation with a deterministic jitter
 * inside each stride, then the last allocation. */
static unsigned long next_point(unsigned long k, unsigned long stride, unsigned long total) {
    if (stride <= 1) return k + 1;
    unsigned long base = k * stride + 1;
    unsigned long jitter = (k * 2654435761ul) % stride;
    unsigned long n = base + jitter;
    return n > total ? total : n;
}

static int case_selected(const char *name) {
    const char *sel = getenv("TS_OOM_CASES");
    if (!sel || !*sel) return 1;
    size_t n = strlen(name);
    for (const char *p = sel; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0) return 1;
        p += len;
        if (*p) p++;
    }
    return 0;
}

static void free_outcome(outcome *o) {
    free(o->out);
    free(o->err);
}

static void sweep_case(const oom_case *c, const char *plotdb, tally *all, long *known_seen) {
    paths p;
    snprintf(p.dir, sizeof p.dir, "%s/%s", tu_dir(), c->name);
    mkdir(p.dir, 0700);
    snprintf(p.out, sizeof p.out, "%s/out.txt", p.dir);
    snprintf(p.db, sizeof p.db, "%s/runs.db", p.dir);
    p.plotdb = plotdb;
    char count_path[1200];
    snprintf(count_path, sizeof count_path, "%s.count", p.dir);
    char *argv[20];
    build_argv(c, &p, argv);

    /* the reference: no failure, allocations counted */
    clear_dir(p.dir);
    outcome ref;
    char **env = child_env(0, 0, count_path);
    run_child(p.dir, argv, env, 0, &ref);
    assert_true(WIFEXITED(ref.status));
    if (WEXITSTATUS(ref.status) != 0) printf("reference run of %s failed: %s\n", c->name, ref.err);
    assert_int_equal(WEXITSTATUS(ref.status), 0);
    char *count = slurp(count_path, NULL);
    assert_non_null(count);
    unsigned long total = strtoul(count, NULL, 10);
    free(count);
    unlink(count_path);
    assert_true(total > 0);
    size_t ref_file_n = 0;
    char *ref_file = slurp(p.out, &ref_file_n);
    long ref_rows;
    char *ref_db = dump_db(p.db, c->leaves == LEAVES_COMPLETE_RUNS, &ref_rows);

    const char *s = getenv("TS_OOM_STRIDE");
    unsigned long stride = s && *s ? strtoul(s, NULL, 10) : (total + DEFAULT_SAMPLES - 1) / DEFAULT_SAMPLES;
    if (stride < 1) stride = 1;
    tally tallies[2] = {{0}}; /* one failure; that failure and all after it */
    unsigned long last = 0;
    for (unsigned long k = 0;; k++) {
        unsigned long n = next_point(k, stride, total);
        if (n <= last || n > total) break;
        last = n;
        /* every fourth sample also fails all later allocations, as a
           process does that has run out of address space */
        for (int persist = 0; persist <= (k % 4 == 3); persist++) {
            clear_dir(p.dir);
            char **fenv = child_env(n, persist, NULL);
            outcome o;
            run_child(p.dir, argv, fenv, 0, &o);
            judge(c, &p, &ref, ref_file, ref_file_n, ref_db, n, persist, &o, &tallies[persist], known_seen);
            free_outcome(&o);
            for (size_t i = 0; fenv[i]; i++)
                if (strncmp(fenv[i], "LD_PRELOAD=", 11) == 0 || strncmp(fenv[i], "TS_OOM_", 7) == 0 ||
                    strncmp(fenv[i], "ASAN_OPTIONS=", 13) == 0)
                    free(fenv[i]);
            free(fenv);
        }
        if (n == total) break;
    }
    for (int persist = 0; persist <= 1; persist++) {
        const tally *t = &tallies[persist];
        printf("%-17s %6lu allocations, stride %4lu, %-10s %5ld runs: %5ld identical, %5ld out of memory, "
               "%ld crashes, %ld wrong results, %ld wrong messages, %ld wrote output, %ld known\n",
               c->name, total, stride, persist ? "from N on:" : "only N:", t->runs, t->identical, t->oom, t->crash,
               t->wrong, t->message, t->left_behind, t->known);
        all->runs += t->runs;
        all->crash += t->crash;
        all->wrong += t->wrong;
        all->message += t->message;
        all->left_behind += t->left_behind;
        all->known += t->known;
    }
    fflush(stdout);
    clear_dir(p.dir);
    rmdir(p.dir);
    free_outcome(&ref);
    free(ref_file);
    free(ref_db);
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], "LD_PRELOAD=", 11) == 0 || strncmp(env[i], "TS_OOM_", 7) == 0 ||
            strncmp(env[i], "ASAN_OPTIONS=", 13) == 0)
            free(env[i]);
    free(env);
}

/* Runs the program without the shim; asserts it exits 0. */
static void run_plain(char *const argv[]) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(binary, argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A store with two scenario runs and an uncertainty analysis for plot. */
static const char *make_plot_db(void) {
    static char db[600];
    snprintf(db, sizeof db, "%s/plot.db", tu_dir());
    char *batch[] = {(char *)binary, "batch", "scenarios/baseline.cfg", "scenarios/afghan_spillover.cfg",
                     "--db", db, "-q", "-j", "1", NULL};
    run_plain(batch);
    char *ua[] = {(char *)binary, "uncertainty", "scenarios/baseline.cfg", "-N", "8", "--db", db, "--quiet", NULL};
    run_plain(ua);
    return db;
}

static void test_each_allocation_fails(void **state) {
    (void)state;
    /* the time report's page says it was made, the same for every run */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    const char *plotdb = make_plot_db();
    long rows;
    char *before = dump_db(plotdb, 0, &rows);
    tally all = {0};
    long known_seen[N_KNOWN + 1] = {0};
    int ran_plot = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        if (!case_selected(CASES[i].name)) continue;
        ran_plot |= strncmp(CASES[i].name, "plot", 4) == 0;
        sweep_case(&CASES[i], plotdb, &all, known_seen);
    }
    for (size_t k = 0; KNOWN[k].where; k++)
        if (known_seen[k]) printf("known, not fixed here (%ld runs): %s\n", known_seen[k], KNOWN[k].where);
    /* plot, report and the other readers only read their store */
    char *after = dump_db(plotdb, 0, &rows);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(all.crash, 0);
    assert_int_equal(all.wrong, 0);
    assert_int_equal(all.message, 0);
    assert_int_equal(all.left_behind, 0);
    /* a known outcome that no longer happens must leave KNOWN (with a full
       selection only: a sample may miss it) */
    const char *sel = getenv("TS_OOM_CASES");
    if (!sel || !*sel)
        for (size_t k = 0; KNOWN[k].where; k++)
            if (!known_seen[k] && (ran_plot || strcmp(KNOWN[k].case_prefix, "plot") != 0))
                printf("note: known outcome not seen in this sample: %s\n", KNOWN[k].where);
}

#if !defined(__SANITIZE_ADDRESS__)
/* batch under `ulimit -v 50000` (a 50 MB address space): no crash; each
 * scenario is stored complete or reported out of memory. (Not under
 * AddressSanitizer, whose shadow memory alone needs terabytes of address
 * space.) */
static void test_batch_in_small_address_space(void **state) {
    (void)state;
    char dir[600], db[700];
    snprintf(dir, sizeof dir, "%s/ulimit", tu_dir());
    mkdir(dir, 0700);
    snprintf(db, sizeof db, "%s/ref.db", dir);
    char *ref_argv[] = {(char *)binary, "batch", "scenarios", "--db", db, "-q", NULL};
    run_plain(ref_argv);
    long rows;
    char *ref = dump_db(db, 1, &rows);
    unlink(db);
    snprintf(db, sizeof db, "%s/runs.db", dir);
    char *argv[] = {(char *)binary, "batch", "scenarios", "--db", db, "-q", NULL};
    for (long limit = 30000; limit <= 70000; limit += 10000) {
        unlink(db);
        outcome o;
        char *env[] = {NULL};
        run_child(dir, argv, env, limit, &o);
        char line[200];
        first_line(o.err, line, sizeof line);
        printf("ulimit -v %ld: %s %d: %s\n", limit, WIFSIGNALED(o.status) ? "signal" : "exit",
               WIFSIGNALED(o.status) ? WTERMSIG(o.status) : WEXITSTATUS(o.status), line);
        assert_false(WIFSIGNALED(o.status));
        int rc = WEXITSTATUS(o.status);
        assert_true(rc == 0 || (rc == 3 && strstr(o.err, "out of memory")));
        char *got = dump_db(db, 1, &rows);
        assert_true(dump_is_subset(got, ref));
        if (rc == 0) assert_string_equal(got, ref);
        free(got);
        free_outcome(&o);
    }
    unlink(db);
    free(ref);
}
#endif

int main(void) {
    binary = getenv("TS_BINARY");
    shim = getenv("TS_OOM_SHIM");
    if (!binary || !shim) {
        fprintf(stderr, "test_oom needs TS_BINARY and TS_OOM_SHIM (run it through ctest)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_allocation_fails),
#if !defined(__SANITIZE_ADDRESS__)
        cmocka_unit_test(test_batch_in_small_address_space),
#endif
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
