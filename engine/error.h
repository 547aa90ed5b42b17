/* error.h -- the error record every engine call fills on failure.
 * Like SQLite's errmsg: the library never prints; callers show ts_error. */
#ifndef TS_ERROR_H
#define TS_ERROR_H

#include <stdarg.h>

/* Status codes returned by engine calls; the CLI maps them to exit codes. */
enum {
    TS_OK = 0,
    TS_EINPUT = 1,   /* bad input: config, CSV, names, values */
    TS_EUSAGE = 2,   /* bad command line */
    TS_ESYSTEM = 3   /* I/O, SQLite, out of memory, gnuplot */
};

typedef struct ts_error {
    int code;            /* one of the TS_E* codes, TS_OK when clear */
    char file[512];      /* input file the message is about, "" if none */
    int line;            /* 1-based line in file, 0 if none */
    char message[1024];
} ts_error;

/* Clears err (NULL is allowed). */
void ts_error_clear(ts_error *err);

/* Records code, file, line and a printf-style message in err (NULL is
 * allowed) and returns code, so callers can write `return ts_fail(...)`. */
int ts_fail(ts_error *err, int code, const char *file, int line,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records a failed open or read of file whose errno is in errnum: ENOMEM
 * as TS_ESYSTEM "out of memory" (the file is fine, the process is not),
 * anything else as TS_EINPUT "what: <strerror>". Returns the code. */
int ts_fail_read(ts_error *err, const char *file, const char *what, int errnum);

/* As ts_fail with a va_list. */
int ts_vfail(ts_error *err, int code, const char *file, int line,
             const char *fmt, va_list ap);

/* Formats err as "file:line: message" (parts omitted when absent) into buf
 * of size n. Returns buf. */
char *ts_error_format(const ts_error *err, char *buf, unsigned long n);

#endif
