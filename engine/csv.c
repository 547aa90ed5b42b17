/* csv.c -- streaming RFC 4180 reader for wide CSV files. A regular file is
 * read twice from one descriptor (to count rows and hash, then to fill a
 * dataset sized to fit), so memory stays at the value matrix; a pipe is
 * read once into memory. */
#include "csv.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sha256.h"

enum { CHUNK = 1 << 16 }; /* bytes asked of each read */

/* The bytes of the record being read stay in one contiguous window
 * (chunk[keep..len)), so its fields are read where they lie instead of
 * being copied byte by byte: a refill moves the unread tail of the window
 * to the front of buf (growing it when one record fills it) and reads on
 * after it. Input held in memory is one window, never written to. */
typedef struct reader {
    ts_input in;        /* the file: a descriptor, or its bytes in memory */
    const char *path;
    long long offset;   /* of the next chunk in the file */
    const unsigned char *chunk; /* buf, or the input's bytes in memory */
    unsigned char *buf; /* a regular file's window; NULL before the first read */
    size_t cap;         /* bytes at buf */
    size_t keep;        /* start of the record being read: kept on refill */
    size_t pos, len;
    int line;           /* physical line of the next byte */
    int failed;         /* errno of a failed read, 0 if none */
    int oom;            /* the window could not grow */
    ts_sha256 *hash;    /* hashes every byte read when set */
} reader;

/* Where one field's bytes are: at off from the record's start in the
 * window, or (a quoted field with doubled quotes) unquoted into text. */
typedef struct field {
    size_t off, len;
    int in_text;
} field;

typedef struct record {
    ts_buf text;        /* unquoted copies of fields holding "" */
    field *f;
    int n, cap;
    int line;           /* line the record starts on */
} record;

/* Starts reading the input from its first byte. */
static void rd_rewind(reader *r) {
    r->offset = 0;
    r->keep = r->pos = r->len = 0;
    r->line = 1;
}

/* Reads the next chunk: positioned reads from the one descriptor, so a
 * second pass reads the same file from its start even if a path now
 * names another one. Bytes from r->keep on stay in the window (their
 * offsets from keep unchanged). Returns 1, or 0 at the end (or on a read
 * error, recorded in r->failed, or when out of memory, in r->oom). */
static int rd_fill(reader *r) {
    if (r->in.mem) {
        if (r->offset != 0 || r->in.len == 0) return 0; /* one window, read whole */
        r->chunk = (const unsigned char *)r->in.mem;
        r->keep = r->pos = 0;
        r->len = r->in.len;
        r->offset = (long long)r->len;
        if (r->hash) ts_sha256_update(r->hash, r->chunk, r->len);
        return 1;
    }
    size_t kept = r->len - r->keep;
    if (r->keep && kept) memmove(r->buf, r->buf + r->keep, kept);
    r->pos -= r->keep;
    r->len = kept;
    r->keep = 0;
    if (r->cap - r->len < CHUNK) {
        size_t want = r->cap * 2 > r->len + CHUNK ? r->cap * 2 : r->len + CHUNK;
        unsigned char *b = realloc(r->buf, want);
        if (!b) {
            r->oom = 1;
            return 0;
        }
        r->buf = b;
        r->cap = want;
    }
    r->chunk = r->buf;
    ssize_t n;
    while ((n = pread(r->in.fd, r->buf + r->len, r->cap - r->len, (off_t)r->offset)) < 0 && errno == EINTR) {
    }
    if (n < 0) r->failed = errno;
    if (n <= 0) return 0;
    if (r->hash) ts_sha256_update(r->hash, r->buf + r->len, (size_t)n);
    r->len += (size_t)n;
    r->offset += n;
    return 1;
}

static inline int rd_getc(reader *r) {
    if (r->pos == r->len && !rd_fill(r)) return EOF;
    return r->chunk[r->pos++];
}

static inline int rd_peek(reader *r) {
    if (r->pos == r->len && !rd_fill(r)) return EOF;
    return r->chunk[r->pos];
}

/* Reads the rest of the input (hashing it) without keeping it. */
static void rd_drain(reader *r) {
    do r->keep = r->pos = r->len;
    while (rd_fill(r));
}

/* Bytes that end an unquoted field (NUL only to be refused), and that
 * need a look inside a quoted one. */
static const unsigned char STOP_PLAIN[256] = {[0] = 1, [','] = 1, ['\n'] = 1, ['\r'] = 1};
static const unsigned char STOP_QUOTED[256] = {[0] = 1, ['"'] = 1, ['\n'] = 1};

/* Skips bytes until one marked in stop, crossing refills. Returns that
 * byte (consumed) or EOF. */
static inline int rd_skip_to(reader *r, const unsigned char *stop) {
    for (;;) {
        const unsigned char *p = r->chunk + r->pos, *end = r->chunk + r->len;
        while (p < end && !stop[*p]) p++;
        r->pos = (size_t)(p - r->chunk);
        if (p < end) return r->chunk[r->pos++];
        if (!rd_fill(r)) return EOF;
    }
}

/* Returns the offset from the record's start of the byte c just read
 * (or of the end, when c is EOF). */
static inline size_t rd_at(const reader *r, int c) {
    return (c == EOF ? r->pos : r->pos - 1) - r->keep;
}

/* Adds an empty field to rec. Returns TS_OK, or TS_ESYSTEM with err
 * filled when out of memory. */
static int rec_push(record *rec, ts_error *err, const char *path) {
    if (rec->n == rec->cap) {
        int nc = rec->cap ? rec->cap * 2 : 64;
        field *q = realloc(rec->f, (size_t)nc * sizeof *q);
        if (!q) return ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        rec->f = q;
        rec->cap = nc;
    }
    rec->f[rec->n++] = (field){0, 0, 0};
    return TS_OK;
}

/* A field's bytes: not NUL-terminated, valid until the next record is read. */
typedef struct span {
    const char *s;
    size_t n;
} span;

/* Returns the bytes of field i of the record just read. */
static span rec_field(const reader *r, const record *rec, int i) {
    const field *f = &rec->f[i];
    const char *base = f->in_text ? rec->text.data : (const char *)r->chunk + r->keep;
    return (span){base + f->off, f->len};
}

/* Copies the quoted field's raw bytes (at off, n long, each '"' doubled)
 * into rec->text without the doubling. Sets rec->text.oom on failure. */
static void unquote_field(const reader *r, record *rec, field *f) {
    const char *raw = (const char *)r->chunk + r->keep + f->off;
    size_t start = rec->text.len, from = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (raw[i] != '"') continue;
        ts_buf_append(&rec->text, raw + from, i + 1 - from); /* up to and with this quote */
        from = i + 2; /* skip its double */
        i++;
    }
    ts_buf_append(&rec->text, raw + from, f->len - from);
    f->in_text = 1;
    f->off = start;
    f->len = rec->text.len - start;
}

/* Reads one record. Returns 1, 0 at end of file, or -1 with err filled. */
static int parse_record(reader *r, record *rec, ts_error *err) {
    rec->n = 0;
    rec->text.len = 0;
    r->keep = r->pos;
    int c = rd_getc(r);
    if (c == EOF) return 0;
    rec->line = r->line;
    for (;;) {
        if (rec_push(rec, err, r->path)) return -1;
        field *f = &rec->f[rec->n - 1];
        if (c == '"') {
            int doubled = 0;
            f->off = r->pos - r->keep;
            for (;;) {
                c = rd_skip_to(r, STOP_QUOTED);
                if (c == EOF)
                    return ts_fail(err, TS_EINPUT, r->path, rec->line, "unterminated quoted field"), -1;
                if (c == '"') {
                    if (rd_peek(r) != '"') break;
                    rd_getc(r);
                    doubled = 1;
                } else if (c == '\n') {
                    r->line++;
                } else {
                    return ts_fail(err, TS_EINPUT, r->path, r->line, "NUL byte: not a text file"), -1;
                }
            }
            f->len = r->pos - 1 - r->keep - f->off;
            if (doubled) unquote_field(r, rec, f);
            c = rd_getc(r);
            if (c != ',' && c != '\n' && c != '\r' && c != EOF)
                return ts_fail(err, TS_EINPUT, r->path, r->line,
                               "unexpected character after a closing quote"), -1;
        } else {
            f->off = rd_at(r, c);
            if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
                if (c == 0) return ts_fail(err, TS_EINPUT, r->path, r->line, "NUL byte: not a text file"), -1;
                c = rd_skip_to(r, STOP_PLAIN);
                if (c == 0) return ts_fail(err, TS_EINPUT, r->path, r->line, "NUL byte: not a text file"), -1;
            }
            f->len = rd_at(r, c) - f->off;
        }
        if (rec->text.oom) return ts_fail(err, TS_ESYSTEM, r->path, 0, "out of memory"), -1;
        if (c == ',') {
            c = rd_getc(r);
            continue;
        }
        if (c == '\r' && rd_peek(r) == '\n') rd_getc(r);
        if (c != EOF) r->line++;
        return 1;
    }
}

/* As parse_record; a window that could not grow is out of memory, not
 * the end of the file. */
static int read_record(reader *r, record *rec, ts_error *err) {
    int rc = parse_record(r, rec, err);
    if (r->oom) return ts_fail(err, TS_ESYSTEM, r->path, 0, "out of memory"), -1;
    return rc;
}

static int blank_record(const record *rec) {
    return rec->n == 1 && rec->f[0].len == 0;
}

/* Returns a NUL-terminated copy of the n bytes at s in the arena, or NULL
 * when out of memory. */
static char *arena_strndup(ts_arena *a, const char *s, size_t n) {
    char *p = ts_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Returns a UTF-8 copy of field s in the arena: as is when valid UTF-8,
 * transcoded from Latin-1 when allowed; NULL with err filled otherwise. */
static const char *decode(ts_arena *a, span s, int encoding, const char *path, int line, ts_error *err) {
    size_t m;
    if (encoding != TS_ENC_LATIN1 && ts_utf8_valid(s.s, s.n, NULL)) {
        const char *out = arena_strndup(a, s.s, s.n);
        if (!out) ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        return out;
    }
    if (encoding == TS_ENC_UTF8) {
        ts_fail(err, TS_EINPUT, path, line,
                "not valid UTF-8 (if the file is Latin-1, pass --encoding latin1)");
        return NULL;
    }
    char *u = ts_latin1_to_utf8(s.s, s.n, &m);
    const char *out = u ? arena_strndup(a, u, m) : NULL;
    free(u);
    if (!out) ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    return out;
}

/* Returns s without the spaces and tabs at either end. */
static span trim(span s) {
    while (s.n > 0 && (*s.s == ' ' || *s.s == '\t')) s.s++, s.n--;
    while (s.n > 0 && (s.s[s.n - 1] == ' ' || s.s[s.n - 1] == '\t')) s.n--;
    return s;
}

/* Returns s without a leading UTF-8 byte order mark. */
static span without_bom(span s) {
    if (s.n >= 3 && (unsigned char)s.s[0] == 0xEF && (unsigned char)s.s[1] == 0xBB && (unsigned char)s.s[2] == 0xBF)
        s.s += 3, s.n -= 3;
    return s;
}

static const char *const DEFAULT_MISSING[] = {"", "NA", "N/A", "x", NULL};

/* The missing-value markers with their lengths, so a cell is compared
 * only with the markers as long as it is. */
typedef struct markers {
    const char *const *text;
    size_t *len;
    int n;
} markers;

/* Returns 1 when s is one of the markers (ignoring ASCII case). */
static int is_missing(span s, const markers *m) {
    for (int k = 0; k < m->n; k++)
        if (m->len[k] == s.n && strncasecmp(s.s, m->text[k], s.n) == 0) return 1;
    return 0;
}

/* Powers of ten that are exact doubles: 10^22 < 2^53 * 2^22 is the last. */
static const double EXACT_POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Clinger's fast path: a decimal [+-]digits[.digits][(e|E)[+-]digits]
 * whose digits form an integer m <= 2^53 and whose power of ten k is at
 * most 22 in size is m * 10^k or m / 10^k with both operands exact
 * doubles, so one IEEE operation rounds it correctly: the double strtod
 * returns. Needs arithmetic in double precision (FLT_EVAL_METHOD 0; x87
 * extended precision would round twice). Returns 1 with *out set, or 0
 * when s is not of that form (strtod decides). */
static int fast_decimal(const char *s, size_t n, double *out) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    size_t i = 0;
    int neg = 0, digits = 0, sig = 0, frac = 0, e = 0;
    uint64_t m = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    for (int after_point = 0;; i++) {
        if (i < n && s[i] >= '0' && s[i] <= '9') {
            unsigned d = (unsigned)(s[i] - '0');
            digits++;
            frac += after_point;
            if (m == 0 && d == 0) continue; /* a leading zero adds nothing to m */
            if (++sig > 19) return 0;       /* m stays below 10^19 < 2^64 */
            m = m * 10 + d;
        } else if (i < n && s[i] == '.' && !after_point) {
            after_point = 1;
        } else {
            break;
        }
    }
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, edigits = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (++edigits > 4) return 0;
            e = e * 10 + (s[i] - '0');
        }
        if (edigits == 0) return 0;
        if (eneg) e = -e;
    }
    if (i != n || m > (uint64_t)1 << 53) return 0;
    int k = e - frac;
    if (k < -22 || k > 22) return 0;
    double v = (double)m;
    v = k >= 0 ? v * EXACT_POW10[k] : v / EXACT_POW10[-k];
    *out = neg ? -v : v;
    return 1;
#else
    (void)s, (void)n, (void)out;
    return 0;
#endif
}

/* The bytes a number may hold (no hex, inf or nan). */
static const unsigned char NUMBER_BYTE[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1};

/* Parses a decimal number (no hex, inf or nan). Returns 0 and stores it,
 * 1 when not a number, 2 when not finite, 3 when too large or too small
 * (see TS_NUMBER_MAX), 4 when out of memory. */
static int parse_number(span s, double *out) {
    if (s.n == 0) return 1;
    for (size_t i = 0; i < s.n; i++)
        if (!NUMBER_BYTE[(unsigned char)s.s[i]]) return 1;
    double v;
    if (!fast_decimal(s.s, s.n, &v)) {
        char small[64], *text = s.n < sizeof small ? small : malloc(s.n + 1), *end;
        if (!text) return 4;
        memcpy(text, s.s, s.n);
        text[s.n] = '\0';
        v = strtod(text, &end);
        int whole = end != text && *end == '\0';
        if (text != small) free(text);
        if (!whole) return 1;
    }
    if (!isfinite(v)) return 2;
    if (!ts_number_ok(v)) return 3;
    *out = v;
    return 0;
}

static int find_column(const char *const *header, int n, const char *name) {
    for (int j = 0; j < n; j++)
        if (strcmp(header[j], name) == 0) return j;
    return -1;
}

/* Fails when two units share an id, naming the later row. */
static int check_duplicate_units(const ts_dataset *d, const char *path, ts_error *err) {
    ts_id_index *refs = malloc(((size_t)d->n_units + 1) * sizeof *refs);
    if (!refs) return ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    ts_id_index_sort((const char *const *)d->unit_id, d->n_units, refs);
    for (int i = 1; i < d->n_units; i++) {
        if (strcmp(refs[i - 1].id, refs[i].id) == 0) {
            int first = refs[i - 1].i, second = refs[i].i;
            free(refs);
            return ts_fail(err, TS_EINPUT, path, d->unit_line[second],
                           "duplicate unit '%s' (first on line %d)", d->unit_id[second],
                           d->unit_line[first]);
        }
    }
    free(refs);
    return TS_OK;
}

int ts_csv_read(const char *path, const ts_taxonomy *t, const ts_csv_options *opt,
                        char sha256_hex[65], ts_dataset **out, ts_error *err) {
    *out = NULL;
    static const ts_csv_options defaults = {NULL, NULL, NULL, TS_ENC_AUTO};
    if (!opt) opt = &defaults;
    markers missing = {opt->missing ? opt->missing : DEFAULT_MISSING, NULL, 0};
    ts_dataset *d = NULL;
    record rec = {0};
    ts_sha256 hash;
    int *col_of = NULL;
    const char **header = NULL;
    ts_arena *scratch = NULL;
    while (missing.text[missing.n]) missing.n++;
    reader *r = calloc(1, sizeof *r);
    if (!r || !(missing.len = malloc(((size_t)missing.n + 1) * sizeof *missing.len))) {
        free(r);
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        return ts_status(err);
    }
    for (int k = 0; k < missing.n; k++) missing.len[k] = strlen(missing.text[k]);
    r->path = path;
    r->in.fd = -1;
    if (ts_input_open(&r->in, path, TS_INPUT_DATA, err)) goto fail;
    /* pass 1: hash the file, count the data rows, check the syntax */
    rd_rewind(r);
    ts_sha256_init(&hash);
    r->hash = &hash;
    int rows = -1, rc;
    while ((rc = read_record(r, &rec, err)) == 1)
        if (!blank_record(&rec)) rows++;
    if (rc < 0) goto fail;
    if (r->failed) {
        ts_fail(err, TS_EINPUT, path, 0, "read error: %s", strerror(r->failed));
        goto fail;
    }
    long long size = r->offset;
    ts_sha256_final_hex(&hash, sha256_hex);
    if (rows < 1) {
        ts_fail(err, TS_EINPUT, path, rows < 0 ? 0 : 1, rows < 0 ? "empty file" : "no data rows");
        goto fail;
    }
    /* pass 2 hashes again: the values must come from the bytes hashed */
    rd_rewind(r);
    ts_sha256_init(&hash);

    /* header */
    do rc = read_record(r, &rec, err);
    while (rc == 1 && blank_record(&rec));
    if (rc == 0) ts_fail(err, TS_EINPUT, path, 0, "changed while it was read: read it again once it is written");
    if (rc != 1) goto fail;
    int n_cols = rec.n;
    if (!(scratch = ts_arena_new()) || !(header = calloc((size_t)n_cols, sizeof *header))) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    for (int j = 0; j < n_cols; j++) {
        span h = j == 0 ? without_bom(rec_field(r, &rec, 0)) : rec_field(r, &rec, j);
        if (!(header[j] = decode(scratch, trim(h), opt->encoding, path, rec.line, err))) goto fail;
    }
    int unit_col = 0, name_col = -1;
    if (opt->unit_column && (unit_col = find_column(header, n_cols, opt->unit_column)) < 0) {
        const char *hint = ts_suggest(opt->unit_column, header, (size_t)n_cols);
        ts_fail(err, TS_EINPUT, path, rec.line, "no unit column '%s'%s%s%s", opt->unit_column,
                hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        goto fail;
    }
    if (opt->name_column && (name_col = find_column(header, n_cols, opt->name_column)) < 0) {
        ts_fail(err, TS_EINPUT, path, rec.line, "no name column '%s'", opt->name_column);
        goto fail;
    }
    if (!(col_of = malloc(((size_t)t->n_indicators + 1) * sizeof *col_of))) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    for (int i = 0; i < t->n_indicators; i++) {
        const ts_node *nd = &t->nodes[t->indicator_node[i]];
        const char *want = nd->column ? nd->column : nd->id;
        int j = find_column(header, n_cols, want);
        if (j < 0) {
            const char *hint = ts_suggest(want, header, (size_t)n_cols);
            ts_fail(err, TS_EINPUT, path, rec.line, "indicator '%s' (%s:%d) has no column '%s'%s%s%s",
                    nd->id, nd->file, nd->line, want, hint ? " (did you mean '" : "",
                    hint ? hint : "", hint ? "'?)" : "");
            goto fail;
        }
        for (int j2 = j + 1; j2 < n_cols; j2++)
            if (strcmp(header[j2], want) == 0) {
                ts_fail(err, TS_EINPUT, path, rec.line, "column '%s' appears twice", want);
                goto fail;
            }
        if (j == unit_col) {
            ts_fail(err, TS_EINPUT, path, rec.line, "column '%s' is the unit column", want);
            goto fail;
        }
        col_of[i] = j;
    }

    if (!(d = ts_dataset_new(rows, t->n_indicators, 0))) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    if (!(d->file = ts_arena_strdup(d->arena, path))) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    int u = 0;
    while (u < rows && (rc = read_record(r, &rec, err)) == 1) {
        if (blank_record(&rec)) continue;
        if (rec.n != n_cols) {
            ts_fail(err, TS_EINPUT, path, rec.line, "%d fields where the header has %d", rec.n, n_cols);
            goto fail;
        }
        span id = trim(rec_field(r, &rec, unit_col));
        if (!(d->unit_id[u] = decode(d->arena, id, opt->encoding, path, rec.line, err))) goto fail;
        if (!ts_valid_id(d->unit_id[u])) {
            ts_fail(err, TS_EINPUT, path, rec.line,
                    "invalid unit id '%s' in column '%s': use a letter then letters, digits, '_' or '-'",
                    d->unit_id[u], header[unit_col]);
            goto fail;
        }
        d->unit_name[u] = d->unit_id[u];
        if (name_col >= 0) {
            span nm = trim(rec_field(r, &rec, name_col));
            if (!(d->unit_name[u] = decode(d->arena, nm, opt->encoding, path, rec.line, err))) goto fail;
        }
        d->unit_line[u] = rec.line;
        for (int i = 0; i < t->n_indicators; i++) {
            span cell = trim(rec_field(r, &rec, col_of[i]));
            if (is_missing(cell, &missing)) continue;
            double v;
            int bad = parse_number(cell, &v);
            if (bad == 4) {
                ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
                goto fail;
            }
            if (bad) {
                char shown[48];
                size_t n = cell.n < sizeof shown - 1 ? cell.n : sizeof shown - 1;
                memcpy(shown, cell.s, n);
                shown[n] = '\0';
                for (char *q = shown; *q; q++)
                    if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7F) *q = '?';
                ts_fail(err, TS_EINPUT, path, rec.line, "column '%s', unit '%s': '%s' is %s",
                        header[col_of[i]], d->unit_id[u], shown,
                        bad == 2   ? "not a finite number"
                        : bad == 3 ? "out of range: a number must be 0 or between 1e-100 and 1e100 in size"
                                   : "not a number (nor a missing-value marker)");
                goto fail;
            }
            d->values[(size_t)i * (size_t)rows + (size_t)u] = v;
        }
        u++;
    }
    if (rc < 0) goto fail;
    /* the rest of the file, so that the second hash covers every byte */
    rd_drain(r);
    char again[65];
    ts_sha256_final_hex(&hash, again);
    if (r->failed || u != rows || r->offset != size || strcmp(again, sha256_hex) != 0) {
        ts_fail(err, TS_EINPUT, path, 0, "changed while it was read: read it again once it is written");
        goto fail;
    }
    if (check_duplicate_units(d, path, err)) goto fail;
    ts_input_close(&r->in);
    free(r->buf);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.f);
    free(missing.len);
    free(col_of);
    free(header);
    ts_arena_free(scratch);
    *out = d;
    return TS_OK;
fail:
    ts_input_close(&r->in);
    free(r->buf);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.f);
    free(missing.len);
    free(col_of);
    free(header);
    ts_arena_free(scratch);
    ts_dataset_free(d);
    return ts_status(err);
}

int ts_csv_read_table(const char *path, int encoding, ts_csv_table **out, ts_error *err) {
    *out = NULL;
    ts_csv_table *t = calloc(1, sizeof *t);
    reader *r = calloc(1, sizeof *r);
    record rec = {0};
    int cap = 0, rc;
    if (!t || !r || !(t->arena = ts_arena_new())) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    r->path = path;
    r->in.fd = -1;
    if (ts_input_open(&r->in, path, TS_INPUT_DATA, err)) goto fail;
    rd_rewind(r);
    while ((rc = read_record(r, &rec, err)) == 1) {
        if (blank_record(&rec)) continue;
        if (t->n_rows == 0) {
            t->n_cols = rec.n;
        } else if (rec.n != t->n_cols) {
            ts_fail(err, TS_EINPUT, path, rec.line, "%d fields where the header has %d", rec.n, t->n_cols);
            goto fail;
        }
        if (t->n_rows == cap) {
            cap = cap ? cap * 2 : 64;
            const char **cells = realloc(t->cell, (size_t)cap * (size_t)t->n_cols * sizeof *cells);
            int *lines = realloc(t->line, (size_t)cap * sizeof *lines);
            if (cells) t->cell = cells;
            if (lines) t->line = lines;
            if (!cells || !lines) {
                ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
                goto fail;
            }
        }
        t->line[t->n_rows] = rec.line;
        for (int j = 0; j < rec.n; j++) {
            span v = rec_field(r, &rec, j);
            if (t->n_rows == 0 && j == 0) v = without_bom(v);
            if (!(t->cell[(size_t)t->n_rows * t->n_cols + j] = decode(t->arena, trim(v), encoding, path, rec.line, err)))
                goto fail;
        }
        t->n_rows++;
    }
    if (rc < 0) goto fail;
    if (r->failed) {
        ts_fail(err, TS_EINPUT, path, 0, "read error: %s", strerror(r->failed));
        goto fail;
    }
    if (t->n_rows == 0) {
        ts_fail(err, TS_EINPUT, path, 0, "empty file");
        goto fail;
    }
    ts_input_close(&r->in);
    free(r->buf);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.f);
    *out = t;
    return TS_OK;
fail:
    if (r) {
        ts_input_close(&r->in);
        free(r->buf);
    }
    free(r);
    ts_buf_free(&rec.text);
    free(rec.f);
    ts_csv_table_free(t);
    return ts_status(err);
}

int ts_csv_table_column(const ts_csv_table *t, const char *name) {
    for (int j = 0; j < t->n_cols; j++)
        if (strcmp(t->cell[j], name) == 0) return j;
    return -1;
}

void ts_csv_table_free(ts_csv_table *t) {
    if (!t) return;
    ts_arena_free(t->arena);
    free(t->cell);
    free(t->line);
    free(t);
}
