/* cfgalloc.h -- the allocator libconfig runs on: a libconfig call either
 * gets every byte it asks for or is unwound, never handed a NULL. */
#ifndef TS_CFGALLOC_H
#define TS_CFGALLOC_H

/* Why: libconfig 1.5 (fixed by the product card) does not check its
 * allocations. Given a NULL it crashes (config_init, strbuf_append, the
 * setting constructor), exits the process from its flex scanner, or drops
 * a setting or a string and reports success, so a run can score silently
 * wrong. No check after the call can repair that, so libconfig is never
 * given a NULL.
 *
 * How: the build links a copy of libconfig's static archive in which its
 * calls to malloc, calloc, realloc, free, strdup and exit are renamed to
 * this file's ts_lc_* functions (engine/CMakeLists.txt). Only libconfig's
 * own calls come here; the rest of the process uses the C library
 * directly. Each block carries a two-pointer header; blocks allocated
 * during ts_cfgalloc_run are linked into that run's list. When the C
 * library cannot satisfy an allocation (or libconfig calls exit), the
 * allocator longjmps back into ts_cfgalloc_run, which frees every block the
 * call allocated and still held, restores the thread's locale (libconfig
 * switches it while parsing), and reports the failure. After a completed
 * call the blocks are unlinked and belong to the config as usual.
 *
 * State: one thread-local pointer to the run in progress on this thread,
 * set on entry and restored on exit (as errno is per thread). Threads
 * parsing configs at the same time never see each other's runs; outside a
 * run nothing is held. */

enum {
    TS_CFGALLOC_OK = 0,
    TS_CFGALLOC_NOMEM = 1, /* an allocation failed; the call was unwound */
    TS_CFGALLOC_EXIT = 2   /* libconfig tried to exit the process (a flex
                              scanner fatal error); the call was unwound */
};

/* Calls call(arg), which must make only libconfig calls that allocate
 * (config_read_string) on configs it owns, with no other resources to
 * release if it is cut short. Returns TS_CFGALLOC_OK when call returned;
 * otherwise the memory libconfig allocated during the call has been
 * freed, any config it was filling must be treated as zeroed (the caller
 * zeroes it), and TS_CFGALLOC_NOMEM or TS_CFGALLOC_EXIT is returned. */
int ts_cfgalloc_run(void (*call)(void *), void *arg);

#endif
