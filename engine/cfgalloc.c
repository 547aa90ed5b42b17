/* cfgalloc.c -- the allocator linked under libconfig: every block is
 * tracked by the guarded call that made it, and a failure unwinds that call. */
#include "cfgalloc.h"

#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

/* The header in front of every block libconfig gets. A block allocated
 * during a run is on that run's circular list; any other block (allocated
 * outside a run, or kept by a completed run) has prev == next == NULL. */
typedef struct block {
    _Alignas(max_align_t) struct block *prev;
    struct block *next;
} block;

typedef struct run {
    jmp_buf unwind;
    block held;        /* list sentinel */
    struct run *outer; /* a run already in progress on this thread */
} run;

static _Thread_local run *current;

/* The renamed libconfig archive calls these instead of the C library's
 * functions of the same name (see engine/CMakeLists.txt). */
void *ts_lc_malloc(size_t n);
void *ts_lc_calloc(size_t n, size_t size);
void *ts_lc_realloc(void *p, size_t n);
void ts_lc_free(void *p);
char *ts_lc_strdup(const char *s);
char *ts_lc___strdup(const char *s); /* glibc's headers turn strdup into __strdup */
_Noreturn void ts_lc_exit(int status);
/* libconfig's own config_init, renamed; config_init below replaces it */
void ts_lc_config_init(config_t *cfg);

/* Called when the C library refused an allocation: unwinds the run in
 * progress. Returns NULL (libconfig's old behaviour) only when libconfig
 * was called outside any run, which cfg.c never does. */
static void *refuse(void) {
    if (current) longjmp(current->unwind, TS_CFGALLOC_NOMEM);
    errno = ENOMEM;
    return NULL;
}

static void *track(block *b) {
    if (current) {
        b->prev = &current->held;
        b->next = current->held.next;
        b->next->prev = b;
        current->held.next = b;
    } else {
        b->prev = b->next = NULL;
    }
    return b + 1;
}

static void untrack(block *b) {
    if (!b->prev) return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = NULL;
}

void *ts_lc_malloc(size_t n) {
    if (n > SIZE_MAX - sizeof(block)) return refuse();
    block *b = malloc(sizeof(block) + n);
    return b ? track(b) : refuse();
}

void *ts_lc_calloc(size_t n, size_t size) {
    if (size && n > (SIZE_MAX - sizeof(block)) / size) return refuse();
    block *b = calloc(1, sizeof(block) + n * size);
    return b ? track(b) : refuse();
}

void *ts_lc_realloc(void *p, size_t n) {
    if (!p) return ts_lc_malloc(n);
    if (n > SIZE_MAX - sizeof(block)) return refuse();
    block *old = (block *)p - 1;
    /* on failure the old block is untouched and still on its list */
    block *b = realloc(old, sizeof(block) + n);
    if (!b) return refuse();
    if (b->prev) {
        b->prev->next = b;
        b->next->prev = b;
    }
    return b + 1;
}

void ts_lc_free(void *p) {
    if (!p) return;
    block *b = (block *)p - 1;
    untrack(b);
    free(b);
}

char *ts_lc_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = ts_lc_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *ts_lc___strdup(const char *s) {
    return ts_lc_strdup(s);
}

/* flex's scanner exits on a fatal error; a library must not. */
_Noreturn void ts_lc_exit(int status) {
    if (current) longjmp(current->unwind, TS_CFGALLOC_EXIT);
    (void)status;
    abort();
}

/* Runs call under r (already the thread's current run), with setjmp in this
 * frame so that r, owned by the caller's frame, is safe to read after a
 * longjmp. Returns TS_CFGALLOC_OK or the code the allocator unwound with. */
static int run_call(run *r, void (*call)(void *), void *arg) {
    int code = setjmp(r->unwind);
    if (code == 0) {
        call(arg);
        return TS_CFGALLOC_OK;
    }
    return code;
}

int ts_cfgalloc_run(void (*call)(void *), void *arg) {
    run r;
    r.held.prev = r.held.next = &r.held;
    r.outer = current;
    locale_t locale = uselocale((locale_t)0);
    current = &r;
    int code = run_call(&r, call, arg);
    current = r.outer;
    if (code == TS_CFGALLOC_OK) {
        /* the config owns what the call kept */
        while (r.held.next != &r.held) untrack(r.held.next);
        return TS_CFGALLOC_OK;
    }
    while (r.held.next != &r.held) {
        block *b = r.held.next;
        untrack(b);
        free(b);
    }
    /* libconfig parses under its own C numeric locale and was cut short
       before switching back; glibc's "C" locale object needs no freeing */
    uselocale(locale);
    return code;
}

static void init_config(void *cfg) {
    ts_lc_config_init(cfg);
}

/* Replaces libconfig's config_init, which allocates the root setting and
 * crashes when that fails. Out of memory, cfg is left zeroed: a config
 * that config_destroy and config_read_string accept (the read makes its
 * own root under a run and reports the shortage itself). */
void config_init(config_t *cfg) {
    if (ts_cfgalloc_run(init_config, cfg) != TS_CFGALLOC_OK) memset(cfg, 0, sizeof *cfg);
}
