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
