/* oomshim.c -- an LD_PRELOAD allocation countdown for the tests, as in
 * SQLite's malloc tests: counts malloc, calloc, realloc and friends and fails one. */
/* Built only for tests (tests/CMakeLists.txt), never linked into the
 * program. Environment, read once when the process starts and then removed
 * so that the shells and gnuplot the program starts are left alone:
 *   TS_OOM_FAIL=N      the Nth counted allocation (1-based) returns NULL
 *                      with errno ENOMEM; 0 or unset fails none
 *   TS_OOM_PERSIST=1   every allocation from the Nth on fails, like a
 *                      process that has run out of address space
 *   TS_OOM_COUNT=PATH  at exit, the number of counted allocations and
 *                      whether the Nth was reached are written to PATH
 * The real allocator is found with dlsym(RTLD_NEXT), so under AddressSanitizer
 * the shim sits in front of ASan's allocator (run with
 * ASAN_OPTIONS=verify_asan_link_order=0). Calls glibc makes from inside
 * itself (fopen's buffer, realpath) do not pass through here and are not
 * counted. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static atomic_ulong calls;
static unsigned long fail_at;
static int persist;
static int resolving;
static char count_path[512];

/* dlsym may itself call calloc before real_calloc is known: it gets zeroed
 * bytes from here, which are never freed through the real allocator. */
static _Alignas(16) char bootstrap[4096];
static size_t bootstrap_used;

static int in_bootstrap(const void *p) {
    return (const char *)p >= bootstrap && (const char *)p < bootstrap + sizeof bootstrap;
}

static void resolve(void) {
    if (real_free || resolving) return;
    resolving = 1;
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    resolving = 0;
}

/* Returns 1 when this counted call is to fail. */
static int should_fail(void) {
    unsigned long n = atomic_fetch_add(&calls, 1) + 1;
    if (!fail_at) return 0;
    return n == fail_at || (persist && n > fail_at);
}

static void write_count(void) {
    if (!count_path[0]) return;
    int fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return;
    char line[64];
    unsigned long n = atomic_load(&calls);
    int len = snprintf(line, sizeof line, "%lu %d\n", n, fail_at && n >= fail_at);
    if (write(fd, line, (size_t)len) != len) { /* nothing to do about it */ }
    close(fd);
}

__attribute__((constructor)) static void start(void) {
    resolve();
    const char *v = getenv("TS_OOM_FAIL");
    fail_at = v ? strtoul(v, NULL, 10) : 0;
    v = getenv("TS_OOM_PERSIST");
    persist = v && *v == '1';
    v = getenv("TS_OOM_COUNT");
    if (v) snprintf(count_path, sizeof count_path, "%s", v);
    /* children (sh, gnuplot) run without the shim */
    unsetenv("TS_OOM_FAIL");
    unsetenv("TS_OOM_PERSIST");
    unsetenv("TS_OOM_COUNT");
    unsetenv("LD_PRELOAD");
    atomic_store(&calls, 0);
    atexit(write_count);
}

void *malloc(size_t n) {
    resolve();
    if (!real_malloc) return NULL;
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_malloc(n);
}

void *calloc(size_t n, size_t size) {
    resolve();
    if (!real_calloc) {
        size_t want = (n * size + 15) & ~(size_t)15;
        if (want > sizeof bootstrap - bootstrap_used) return NULL;
        void *p = bootstrap + bootstrap_used;
        bootstrap_used += want;
        return p;
    }
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_calloc(n, size);
}

void *realloc(void *p, size_t n) {
    resolve();
    if (!real_realloc || in_bootstrap(p)) return NULL;
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_realloc(p, n);
}

void free(void *p) {
    resolve();
    if (!p || in_bootstrap(p) || !real_free) return;
    real_free(p);
}

void *reallocarray(void *p, size_t n, size_t size) {
    if (size && n > (size_t)-1 / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

char *strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *strndup(const char *s, size_t max) {
    size_t n = strnlen(s, max);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
