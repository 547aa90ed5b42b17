/* util.h -- small shared helpers: a string arena, a growable text buffer,
 * "did you mean" suggestions, whole-file reading and UTF-8 checks. */
#ifndef TS_UTIL_H
#define TS_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

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

/* Ids with their positions, sorted by id and then by position, for
 * lookups by binary search and for finding repeated ids. */
typedef struct ts_id_index {
    const char *id;
    int i;
} ts_id_index;

/* Fills out[n] with ids[i] and i, sorted by id, then by i. Cannot fail. */
void ts_id_index_sort(const char *const *ids, int n, ts_id_index *out);

/* Returns the position of id in sorted (n entries; of repeated ids the
 * first), or -1 when absent or id is NULL. */
int ts_id_index_find(const ts_id_index *sorted, int n, const char *id);

/* Returns the candidate closest to word when it is close enough to be a
 * plausible typo, else NULL. Closeness is the edit distance ignoring ASCII
 * case (so "tjk" finds "TJK"), or, for a word of 4 or more characters, one
 * more than its distance to the start of a candidate (so "drug_trafic"
 * finds "drug_trafficking" before "drug_transit"); it must be at most
 * max(1, len/3). Ties go to the closer whole word, then to the earlier
 * candidate. candidates is an array of n strings; NULL entries are
 * skipped. */
const char *ts_suggest(const char *word, const char *const *candidates, size_t n);

/* ---- reading inputs ----------------------------------------------------
 * Every input has a size limit, so an endless device or a huge file cannot
 * exhaust memory. The defaults below can be changed for a whole process with
 * the environment variable TS_MAX_INPUT (bytes, or a number with the suffix
 * K, M or G: TS_MAX_INPUT=4G), which then applies to every kind of input. */
#define TS_CONFIG_LIMIT ((size_t)64 << 20) /* a taxonomy or scenario file */
#define TS_DATA_LIMIT ((size_t)1 << 30)    /* a CSV data file */

/* What an input may be. */
enum {
    /* a config file: a regular file only, opened without blocking, so a
       FIFO or a device named in a config file is refused, never waited on */
    TS_INPUT_CONFIG = 0,
    /* a data file: a regular file, or a pipe, FIFO or terminal (read to its
       end into memory); "-" is standard input */
    TS_INPUT_DATA = 1
};

/* An open input. A regular file is kept open so that it can be read more
 * than once from the same descriptor (see ts_csv_read); anything else has
 * been read whole into mem. */
typedef struct ts_input {
    int fd;           /* -1 once closed, or when the input is in mem */
    int own_fd;       /* fd was opened here (not standard input) */
    long long size;   /* regular file: its size when opened */
    char *mem;        /* non-regular input: its bytes, NUL-terminated */
    size_t len;       /* bytes in mem */
    size_t limit;     /* the size limit that applied */
} ts_input;

/* Returns the size limit for an input of kind (TS_INPUT_*): TS_MAX_INPUT
 * when set, else the kind's default. Stores 0 and fills err (TS_EUSAGE)
 * when TS_MAX_INPUT is not a size. */
size_t ts_input_limit(int kind, ts_error *err);

/* Opens path as an input of kind. Returns 0, or the TS_* code with err
 * filled (file = path): TS_EINPUT when it cannot be opened, is a directory,
 * is not a regular file (TS_INPUT_CONFIG) or is larger than the limit, with
 * a message that names the limit and TS_MAX_INPUT; TS_ESYSTEM when out of
 * memory or on a read error. */
int ts_input_open(ts_input *in, const char *path, int kind, ts_error *err);

/* Closes in (the descriptor, or frees mem). Safe to call twice. */
void ts_input_close(ts_input *in);

/* Reads a whole input of kind. Returns a malloc'd NUL-terminated buffer
 * with its length in *len, or NULL with err filled as ts_input_open (and
 * TS_EINPUT when a regular file changed size while it was read). */
char *ts_read_input(const char *path, int kind, size_t *len, ts_error *err);

/* Reads a whole regular file of at most TS_DATA_LIMIT bytes (or
 * TS_MAX_INPUT). Returns a malloc'd NUL-terminated buffer and stores its
 * length in *len, or returns NULL with errno set on failure (EINVAL for a
 * file that is not regular, EFBIG for one over the limit). */
char *ts_read_file(const char *path, size_t *len);

/* Appends s to b with every control character (bytes below 0x20, 0x7f and
 * the C1 controls U+0080..U+009F) written as a visible escape (\n, \t,
 * \x1b, \u009b), so a name from a config file or database cannot move the
 * cursor, retitle the window or hide text when printed on a terminal.
 * Bytes that are not valid UTF-8 are written as \xNN; everything else is
 * copied as is. Returns as ts_buf_append. */
int ts_buf_term(ts_buf *b, const char *s);

/* Writes s, made safe for a terminal as by ts_buf_term, into out (n > 0
 * bytes), cut at a character boundary when it does not fit. NULL gives "".
 * Allocates nothing, so it cannot fail (it used to give "" when out of
 * memory: a table printed with a name missing). Returns out, so it can be
 * an argument of printf. */
char *ts_term_safe(char *out, size_t n, const char *s);

/* Returns 1 when the n bytes at s are valid UTF-8, else 0; on 0 stores the
 * 1-based line of the first invalid byte in *bad_line (may be NULL). */
int ts_utf8_valid(const char *s, size_t n, int *bad_line);

/* Returns a malloc'd UTF-8 copy of n bytes of ISO-8859-1 text s (length in
 * *out_len), or NULL when out of memory. */
char *ts_latin1_to_utf8(const char *s, size_t n, size_t *out_len);

/* The size of any number read from a config file, a CSV or --set: 0, or
 * between TS_NUMBER_MIN and TS_NUMBER_MAX in magnitude. Inside these
 * bounds every sum, product and square the pipeline forms stays finite and
 * exact to rounding (1e100 squared is 1e200), so a number at the far end of
 * a double gives a clear error, never inf, NaN or ties from overflow. */
#define TS_NUMBER_MIN 1e-100
#define TS_NUMBER_MAX 1e100

/* Returns 1 when x is 0 or within the bounds above, else 0 (NaN: 0). */
int ts_number_ok(double x);

/* Formats x with %.17g so it reads back as the identical double; writes ""
 * for NaN. Returns buf. */
char *ts_fmt_double(char *buf, size_t n, double x);

/* Formats x in fixed point with decimals digits ("%.*f"), folding
 * negative zero: a value that rounds to zero is printed without a sign
 * ("0.00", never "-0.00"); NaN is "-". Returns buf. */
char *ts_fmt_fixed(char *buf, size_t n, double x, int decimals);

/* Returns the number of characters (UTF-8 code points) of s, its width in
 * a table; 0 for NULL. */
int ts_text_width(const char *s);

/* Appends s (NULL: nothing) and spaces up to width characters; longer text
 * is kept whole. Returns as ts_buf_append. */
int ts_buf_pad(ts_buf *b, const char *s, int width);

/* Returns the directory part of path as a malloc'd string ("." when none),
 * or NULL when out of memory. */
char *ts_dirname(const char *path);

/* Opens the directory that holds path (O_PATH where there is one: it
 * needs search permission only). Returns the descriptor, or -1 with errno
 * set (ENOMEM when the name cannot be made). */
int ts_open_dir_of(const char *path);

/* Returns path joined to dir unless path is absolute, malloc'd; NULL when
 * out of memory. */
char *ts_path_join(const char *dir, const char *path);

/* Stores in out (n bytes) the path of target relative to the directory of
 * from, both as given (relative to the current directory, or absolute):
 * what a file written at from must say to name target. Both directories
 * must exist; when one cannot be resolved, target is stored as given.
 * Returns 0, or -1 when out of memory (out then holds target as given,
 * which is not what the file should say). */
int ts_path_relative(const char *from, const char *target, char *out, size_t n);

/* An output file written whole or not at all: the text goes to a
 * temporary file beside the path, renamed over it on success. A path that
 * exists and is not a regular file (/dev/null, a pipe, a terminal) is
 * written directly: renaming over it would replace the device.
 * The temporary file is created with O_CREAT|O_EXCL|O_NOFOLLOW under a name
 * no other file has, so a file or symlink planted at a guessable name is
 * never followed or overwritten. It gets the mode of the file it replaces,
 * or for a new file 0666 less the umask. The target's directory is opened
 * once and the temporary file created, renamed and removed relative to it,
 * so a path of any legal length works (a file name of up to NAME_MAX bytes
 * in a path of up to PATH_MAX) and the file lands in the directory that
 * was opened. While the temporary file exists, dir_fd and tmp_name name
 * it, so a program can remove it when interrupted (the library keeps no
 * list). */
typedef struct ts_outfile {
    FILE *f;
    char *path;           /* malloc'd copy of the target path */
    char *tmp;            /* malloc'd temporary path (for messages; it may be
                             longer than PATH_MAX); NULL when direct */
    const char *tmp_name; /* its last component, inside tmp */
    int dir_fd;           /* the target's directory; -1 when direct */
    int direct;
    FILE *to;             /* ts_outfile_hold: the stream the text goes to */
} ts_outfile;

/* Opens path for writing as above. Returns 0, or -1 with errno set (then
 * nothing needs closing). */
int ts_outfile_open(ts_outfile *o, const char *path);

/* Opens o as an unnamed temporary file whose text ts_outfile_close copies
 * to the stream to (standard output) when it keeps it, and drops
 * otherwise: a stream written whole or not at all, so that a command that
 * fails half way (out of memory) has printed nothing. Returns 0, or -1
 * with errno set (then nothing needs closing). */
int ts_outfile_hold(ts_outfile *o, FILE *to);

/* Closes o: with keep, the text replaces the file or goes to the held
 * stream (returns 0, or -1 with errno set when writing failed, leaving the
 * old file); without keep, the temporary file is removed and 0 returned.
 * Frees o's paths. */
int ts_outfile_close(ts_outfile *o, int keep);

/* Returns 1 when s is a valid identifier for nodes, units and indicators:
 * a letter, then up to 63 of [A-Za-z0-9_-]. That is libconfig's setting
 * name grammar, so every id can be used as a key in scenario files. */
int ts_valid_id(const char *s);

#endif
