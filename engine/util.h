/* util.h -- small shared helpers: a string arena, a growable text buffer,
 * "did you mean" suggestions, whole-file reading and UTF-8 checks. */
#ifndef TS_UTIL_H
#define TS_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* An arena owns many small strings freed together (one model, one run). */
typedef struct ts_arena ts_arena;

/* Returns a new empty arena, or NULL when out of memory. */
ts_arena *ts_arena_new(void);
/* Frees the arena and every string it handed out. NULL is allowed. */
void ts_arena_free(ts_arena *a);
/* Returns a zeroed block of n bytes owned by a, or NULL when out of memory. */
void *ts_arena_alloc(ts_arena *a, size_t n);
/* Returns a copy of s (NULL gives NULL) owned by a; NULL on out of memory
 * when s is not NULL. */
char *ts_arena_strdup(ts_arena *a, const char *s);

/* A growable NUL-terminated byte buffer. Zero-initialise before use. */
typedef struct ts_buf {
    char *data;
    size_t len, cap;
    int oom; /* set once an append failed; later appends are ignored */
} ts_buf;

/* Appends n bytes of s. Returns 0, or -1 (and sets b->oom) when out of memory. */
int ts_buf_append(ts_buf *b, const char *s, size_t n);
/* Appends a NUL-terminated string. Returns as ts_buf_append. */
int ts_buf_puts(ts_buf *b, const char *s);
/* Appends printf-style text. Returns as ts_buf_append. */
int ts_buf_printf(ts_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. Invalid UTF-8 bytes
 * are replaced by U+FFFD so the output is always valid JSON. */
int ts_buf_json_string(ts_buf *b, const char *s);
/* Appends a double as JSON: %.17g, or null when not finite. */
int ts_buf_json_number(ts_buf *b, double x);
/* Frees the buffer's memory and zeroes it. */
void ts_buf_free(ts_buf *b);

/* Returns the candidate closest to word by edit distance when it is close
 * enough to be a plausible typo (distance <= max(1, len/3)), else NULL.
 * candidates is an array of n strings; NULL entries are skipped. */
const char *ts_suggest(const char *word, const char *const *candidates, size_t n);

/* Reads a whole file. Returns a malloc'd NUL-terminated buffer and stores
 * its length in *len, or returns NULL with errno set on failure. */
char *ts_read_file(const char *path, size_t *len);

/* Returns 1 when the n bytes at s are valid UTF-8, else 0; on 0 stores the
 * 1-based line of the first invalid byte in *bad_line (may be NULL). */
int ts_utf8_valid(const char *s, size_t n, int *bad_line);

/* Returns a malloc'd UTF-8 copy of n bytes of ISO-8859-1 text s (length in
 * *out_len), or NULL when out of memory. */
char *ts_latin1_to_utf8(const char *s, size_t n, size_t *out_len);

/* Formats x with %.17g so it reads back as the identical double; writes ""
 * for NaN. Returns buf. */
char *ts_fmt_double(char *buf, size_t n, double x);

/* Returns the directory part of path as a malloc'd string ("." when none),
 * or NULL when out of memory. */
char *ts_dirname(const char *path);

/* Returns path joined to dir unless path is absolute, malloc'd; NULL when
 * out of memory. */
char *ts_path_join(const char *dir, const char *path);

/* An output file written whole or not at all: the text goes to a
 * temporary file beside the path, renamed over it on success. A path that
 * exists and is not a regular file (/dev/null, a pipe, a terminal) is
 * written directly: renaming over it would replace the device. */
typedef struct ts_outfile {
    FILE *f;
    char path[1024];
    char tmp[1100];
    int direct;
} ts_outfile;

/* Opens path for writing as above. Returns 0, or -1 with errno set. */
int ts_outfile_open(ts_outfile *o, const char *path);

/* Closes o: with keep, the text replaces the file (returns 0, or -1 with
 * errno set when writing failed, leaving the old file); without keep, the
 * temporary file is removed and 0 returned. */
int ts_outfile_close(ts_outfile *o, int keep);

/* Returns 1 when s is a valid identifier for nodes, units and indicators:
 * a letter, then up to 63 of [A-Za-z0-9_-]. That is libconfig's setting
 * name grammar, so every id can be used as a key in scenario files. */
int ts_valid_id(const char *s);

#endif
