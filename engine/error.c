/* error.c -- filling and formatting ts_error records. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void ts_error_clear(ts_error *err) {
    if (err) memset(err, 0, sizeof *err);
}

int ts_vfail(ts_error *err, int code, const char *file, int line,
             const char *fmt, va_list ap) {
    if (!err) return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

int ts_fail(ts_error *err, int code, const char *file, int line,
            const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ts_vfail(err, code, file, line, fmt, ap);
    va_end(ap);
    return code;
}

const char *ts_errstr(int errnum) {
    return errnum == ENOMEM ? "out of memory" : strerror(errnum);
}

const char *ts_thread_errstr(int rc) {
    return rc == EAGAIN ? "out of memory or at the thread limit" : ts_errstr(rc);
}

int ts_error_oom(const ts_error *err) {
    static const char OOM[] = "out of memory";
    if (!err || err->code != TS_ESYSTEM) return 0;
    size_t n = strlen(err->message), k = sizeof OOM - 1;
    if (n < k || strcmp(err->message + n - k, OOM) != 0) return 0;
    return n == k || (n >= k + 2 && strncmp(err->message + n - k - 2, ": ", 2) == 0);
}

int ts_fail_read(ts_error *err, const char *file, const char *what, int errnum) {
    if (errnum == ENOMEM) return ts_fail(err, TS_ESYSTEM, file, 0, "out of memory");
    return ts_fail(err, TS_EINPUT, file, 0, "%s: %s", what, strerror(errnum));
}

char *ts_error_format(const ts_error *err, char *buf, unsigned long n) {
    if (!err || !err->file[0])
        snprintf(buf, n, "%s", err ? err->message : "");
    else if (err->line > 0)
        snprintf(buf, n, "%s:%d: %s", err->file, err->line, err->message);
    else
        snprintf(buf, n, "%s: %s", err->file, err->message);
    return buf;
}

int ts_status(const ts_error *err) {
    return err && err->code != TS_OK ? err->code : TS_ESYSTEM;
}
