/* json.h -- a small reader for the JSON the engine writes (util.h's
 * ts_buf_json_* writers): strings, arrays, objects, null, numbers, booleans. */
#ifndef TS_JSON_H
#define TS_JSON_H

#include "util.h"

/* A cursor over NUL-terminated JSON text. Strings read are copied into the
 * arena. bad is set on the first malformed token or allocation failure and
 * stays set (like ts_buf.oom): check it once at the end. oom is set too
 * when it was an allocation that failed: the text may be fine. */
typedef struct ts_json {
    const char *p;
    ts_arena *arena;
    int bad;
    int oom;
} ts_json;

/* Starts reading text, copying strings into a. */
void ts_json_init(ts_json *j, const char *text, ts_arena *a);

/* Skips white space; when the next character is c, consumes it and returns
 * 1, else returns 0 (bad is not set: the caller decides). */
int ts_json_eat(ts_json *j, char c);

/* Skips white space; returns 1 when the text ends there, else 0. */
int ts_json_end(ts_json *j);

/* Reads a string (escapes decoded, \u as UTF-8) and returns its arena copy,
 * or reads null and returns NULL. Anything else sets bad and returns NULL. */
const char *ts_json_string(ts_json *j);

/* Reads an array of strings into an arena array (NULL-terminated, so it
 * can serve as a string list) and stores its length in *n; null gives NULL
 * with *n = 0. Sets bad on anything else. */
const char **ts_json_strings(ts_json *j, int *n);

/* Reads a number (strtod: correctly rounded, so the %.17g the engine
 * writes reads back as the same double; SQLite's 9e999 gives an
 * infinity), or null as NaN. Anything else sets bad and returns NaN. */
double ts_json_number(ts_json *j);

/* How deep arrays and objects may nest in a value that ts_json_skip
 * skips: the engine writes three levels at most, and a limit keeps a store
 * file from elsewhere, nested a million deep, from overflowing the stack. */
#define TS_JSON_MAX_DEPTH 64

/* Skips one value of any kind. Sets bad when it is malformed or nests
 * deeper than TS_JSON_MAX_DEPTH. */
void ts_json_skip(ts_json *j);

#endif
