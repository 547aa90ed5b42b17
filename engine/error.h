/* error.h -- the error record every engine call fills on failure.
 * Like SQLite's errmsg: the library never prints; callers show ts_error. */
#ifndef TS_ERROR_H
#define TS_ERROR_H

#include <stdarg.h>

#include "threatscore.h" /* the status codes, ts_error, ts_error_clear, ts_error_format */

/* Records code, file, line and a printf-style message in err (NULL is
 * allowed) and returns code, so callers can write `return ts_fail(...)`. */
int ts_fail(ts_error *err, int code, const char *file, int line,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records a failed open or read of file whose errno is in errnum: ENOMEM
 * as TS_ESYSTEM "out of memory" (the file is fine, the process is not),
 * anything else as TS_EINPUT "what: <strerror>". Returns the code. */
int ts_fail_read(ts_error *err, const char *file, const char *what, int errnum);

/* Returns strerror(errnum), or "out of memory" for ENOMEM: the words every
 * allocation failure is reported with (see ts_error_oom). */
const char *ts_errstr(int errnum);

/* Returns why pthread_create failed with rc: for EAGAIN, glibc's
 * "insufficient resources", "out of memory or at the thread limit" (the
 * thread's stack or control block could not be allocated, or
 * RLIMIT_NPROC was reached); else strerror(rc). */
const char *ts_thread_errstr(int rc);

/* Returns 1 when err records an allocation failure: TS_ESYSTEM with the
 * message "out of memory" or one ending in ": out of memory", which is how
 * every one is reported (ts_fail(..., "out of memory"), ts_fail_read,
 * ts_errstr, the store's failures). A caller that carries on after other
 * failures (a chart that gnuplot cannot draw) must stop on these: less
 * output for lack of memory is a wrong result. */
int ts_error_oom(const ts_error *err);

/* As ts_fail with a va_list. */
int ts_vfail(ts_error *err, int code, const char *file, int line,
             const char *fmt, va_list ap);

/* Returns err's code after a failure that err reports, or TS_ESYSTEM when
 * err is NULL or holds no code: the status a constructor returns after a
 * callee failed. */
int ts_status(const ts_error *err);

#endif
