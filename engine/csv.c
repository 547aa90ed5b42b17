/* csv.c -- streaming RFC 4180 reader for wide CSV files. The file is read
 * twice: once to count rows and hash it, once to fill a dataset sized to
 * fit, so memory stays at the value matrix. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sha256.h"

typedef struct reader {
    FILE *f;
    const char *path;
    unsigned char buf[1 << 16];
    size_t pos, len;
    int line;           /* physical line of the next byte */
    ts_sha256 *hash;    /* hashes every byte read when set */
} reader;

typedef struct record {
    ts_buf text;        /* fields, each NUL-terminated */
    size_t *offs;
    int n, cap;
    int line;           /* line the record starts on */
} record;

static int rd_fill(reader *r) {
    r->len = fread(r->buf, 1, sizeof r->buf, r->f);
    r->pos = 0;
    if (r->hash && r->len) ts_sha256_update(r->hash, r->buf, r->len);
    return r->len > 0;
}

static int rd_getc(reader *r) {
    if (r->pos == r->len && !rd_fill(r)) return EOF;
    return r->buf[r->pos++];
}

static int rd_peek(reader *r) {
    if (r->pos == r->len && !rd_fill(r)) return EOF;
    return r->buf[r->pos];
}

static int rec_push(record *rec, ts_error *err, const char *path) {
    if (rec->n == rec->cap) {
        int nc = rec->cap ? rec->cap * 2 : 64;
        size_t *q = realloc(rec->offs, (size_t)nc * sizeof *q);
        if (!q) return ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        rec->offs = q;
        rec->cap = nc;
    }
    rec->offs[rec->n++] = rec->text.len;
    return TS_OK;
}

static const char *rec_field(const record *rec, int i) {
    return rec->text.data + rec->offs[i];
}

/* Reads one record. Returns 1, 0 at end of file, or -1 with err filled. */
static int read_record(reader *r, record *rec, ts_error *err) {
    rec->n = 0;
    rec->text.len = 0;
    int c = rd_getc(r);
    if (c == EOF) return 0;
    rec->line = r->line;
    for (;;) {
        if (rec_push(rec, err, r->path)) return -1;
        if (c == '"') {
            for (;;) {
                c = rd_getc(r);
                if (c == EOF)
                    return ts_fail(err, TS_EINPUT, r->path, rec->line, "unterminated quoted field"), -1;
                if (c == '"') {
                    if (rd_peek(r) != '"') break;
                    c = rd_getc(r);
                } else if (c == '\n') {
                    r->line++;
                } else if (c == 0) {
                    return ts_fail(err, TS_EINPUT, r->path, r->line, "NUL byte: not a text file"), -1;
                }
                char ch = (char)c;
                ts_buf_append(&rec->text, &ch, 1);
            }
            c = rd_getc(r);
            if (c != ',' && c != '\n' && c != '\r' && c != EOF)
                return ts_fail(err, TS_EINPUT, r->path, r->line,
                               "unexpected character after a closing quote"), -1;
        } else {
            while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
                if (c == 0)
                    return ts_fail(err, TS_EINPUT, r->path, r->line, "NUL byte: not a text file"), -1;
                char ch = (char)c;
                ts_buf_append(&rec->text, &ch, 1);
                c = rd_getc(r);
            }
        }
        ts_buf_append(&rec->text, "", 1);
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

static int blank_record(const record *rec) {
    return rec->n == 1 && rec_field(rec, 0)[0] == '\0';
}

/* Returns a UTF-8 copy of field s in the arena: as is when valid UTF-8,
 * transcoded from Latin-1 when allowed; NULL with err filled otherwise. */
static const char *decode(ts_arena *a, const char *s, int encoding, const char *path, int line,
                          ts_error *err) {
    size_t n = strlen(s), m;
    if (encoding != TS_ENC_LATIN1 && ts_utf8_valid(s, n, NULL)) {
        const char *out = ts_arena_strdup(a, s);
        if (!out) ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        return out;
    }
    if (encoding == TS_ENC_UTF8) {
        ts_fail(err, TS_EINPUT, path, line,
                "not valid UTF-8 (if the file is Latin-1, pass --encoding latin1)");
        return NULL;
    }
    char *u = ts_latin1_to_utf8(s, n, &m);
    const char *out = u ? ts_arena_strdup(a, u) : NULL;
    free(u);
    if (!out) ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    return out;
}

static void trim(char **s) {
    char *p = *s;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = '\0';
    *s = p;
}

static const char *const DEFAULT_MISSING[] = {"", "NA", "N/A", "x", NULL};

static int is_missing(const char *s, const char *const *markers) {
    for (; *markers; markers++)
        if (strcasecmp(s, *markers) == 0) return 1;
    return 0;
}

/* Parses a decimal number (no hex, inf or nan). Returns 0 and stores it,
 * 1 when not a number, 2 when out of range. */
static int parse_number(const char *s, double *out) {
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s)) return 1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end) return 1;
    if (!isfinite(v)) return 2;
    *out = v;
    return 0;
}

static int find_column(const char *const *header, int n, const char *name) {
    for (int j = 0; j < n; j++)
        if (strcmp(header[j], name) == 0) return j;
    return -1;
}

typedef struct unit_ref {
    const char *id;
    int u;
} unit_ref;

static int cmp_unit_ref(const void *a, const void *b) {
    const unit_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->u > y->u) - (x->u < y->u);
}

/* Fails when two units share an id, naming the later row. */
static int check_duplicate_units(const ts_dataset *d, const char *path, ts_error *err) {
    unit_ref *refs = malloc(((size_t)d->n_units + 1) * sizeof *refs);
    if (!refs) return ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    for (int u = 0; u < d->n_units; u++) refs[u] = (unit_ref){d->unit_id[u], u};
    qsort(refs, (size_t)d->n_units, sizeof *refs, cmp_unit_ref);
    for (int i = 1; i < d->n_units; i++) {
        if (strcmp(refs[i - 1].id, refs[i].id) == 0) {
            int first = refs[i - 1].u, second = refs[i].u;
            free(refs);
            return ts_fail(err, TS_EINPUT, path, d->unit_line[second],
                           "duplicate unit '%s' (first on line %d)", d->unit_id[second],
                           d->unit_line[first]);
        }
    }
    free(refs);
    return TS_OK;
}

ts_dataset *ts_csv_read(const char *path, const ts_taxonomy *t, const ts_csv_options *opt,
                        char sha256_hex[65], ts_error *err) {
    static const ts_csv_options defaults = {NULL, NULL, NULL, TS_ENC_AUTO};
    if (!opt) opt = &defaults;
    const char *const *missing = opt->missing ? opt->missing : DEFAULT_MISSING;
    ts_dataset *d = NULL;
    record rec = {0};
    ts_sha256 hash;
    int *col_of = NULL;
    const char **header = NULL;
    ts_arena *scratch = NULL;
    reader *r = calloc(1, sizeof *r);
    if (!r) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        return NULL;
    }
    r->path = path;
    r->line = 1;
    if (!(r->f = fopen(path, "rb"))) {
        ts_fail_read(err, path, "cannot open", errno);
        goto fail;
    }
    /* pass 1: hash the file, count the data rows, check the syntax */
    ts_sha256_init(&hash);
    r->hash = &hash;
    int rows = -1, rc;
    while ((rc = read_record(r, &rec, err)) == 1)
        if (!blank_record(&rec)) rows++;
    if (rc < 0) goto fail;
    if (ferror(r->f)) {
        ts_fail(err, TS_EINPUT, path, 0, "read error: %s", strerror(errno));
        goto fail;
    }
    ts_sha256_final_hex(&hash, sha256_hex);
    if (rows < 1) {
        ts_fail(err, TS_EINPUT, path, rows < 0 ? 0 : 1, rows < 0 ? "empty file" : "no data rows");
        goto fail;
    }
    rewind(r->f);
    r->hash = NULL;
    r->pos = r->len = 0;
    r->line = 1;

    /* header */
    do rc = read_record(r, &rec, err);
    while (rc == 1 && blank_record(&rec));
    if (rc != 1) goto fail;
    int n_cols = rec.n;
    char *first = rec.text.data;
    if ((unsigned char)first[0] == 0xEF && (unsigned char)first[1] == 0xBB &&
        (unsigned char)first[2] == 0xBF)
        memmove(first, first + 3, strlen(first + 3) + 1); /* UTF-8 byte order mark */
    if (!(scratch = ts_arena_new()) || !(header = calloc((size_t)n_cols, sizeof *header))) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    for (int j = 0; j < n_cols; j++) {
        char *h = rec.text.data + rec.offs[j];
        trim(&h);
        if (!(header[j] = decode(scratch, h, opt->encoding, path, rec.line, err))) goto fail;
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
        char *id = rec.text.data + rec.offs[unit_col];
        trim(&id);
        if (!(d->unit_id[u] = decode(d->arena, id, opt->encoding, path, rec.line, err))) goto fail;
        if (!ts_valid_id(d->unit_id[u])) {
            ts_fail(err, TS_EINPUT, path, rec.line,
                    "invalid unit id '%s' in column '%s': use a letter then letters, digits, '_' or '-'",
                    d->unit_id[u], header[unit_col]);
            goto fail;
        }
        d->unit_name[u] = d->unit_id[u];
        if (name_col >= 0) {
            char *nm = rec.text.data + rec.offs[name_col];
            trim(&nm);
            if (!(d->unit_name[u] = decode(d->arena, nm, opt->encoding, path, rec.line, err))) goto fail;
        }
        d->unit_line[u] = rec.line;
        for (int i = 0; i < t->n_indicators; i++) {
            char *cell = rec.text.data + rec.offs[col_of[i]];
            trim(&cell);
            if (is_missing(cell, missing)) continue;
            double v;
            int bad = parse_number(cell, &v);
            if (bad) {
                char shown[48];
                snprintf(shown, sizeof shown, "%s", cell);
                for (char *q = shown; *q; q++)
                    if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7F) *q = '?';
                ts_fail(err, TS_EINPUT, path, rec.line, "column '%s', unit '%s': '%s' is %s",
                        header[col_of[i]], d->unit_id[u], shown,
                        bad == 2 ? "not a finite number" : "not a number (nor a missing-value marker)");
                goto fail;
            }
            d->values[(size_t)i * (size_t)rows + (size_t)u] = v;
        }
        u++;
    }
    if (rc < 0) goto fail;
    if (check_duplicate_units(d, path, err)) goto fail;
    fclose(r->f);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.offs);
    free(col_of);
    free(header);
    ts_arena_free(scratch);
    return d;
fail:
    if (r->f) fclose(r->f);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.offs);
    free(col_of);
    free(header);
    ts_arena_free(scratch);
    ts_dataset_free(d);
    return NULL;
}

ts_csv_table *ts_csv_read_table(const char *path, int encoding, ts_error *err) {
    ts_csv_table *t = calloc(1, sizeof *t);
    reader *r = calloc(1, sizeof *r);
    record rec = {0};
    int cap = 0, rc;
    if (!t || !r || !(t->arena = ts_arena_new())) {
        ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
        goto fail;
    }
    r->path = path;
    r->line = 1;
    if (!(r->f = fopen(path, "rb"))) {
        ts_fail_read(err, path, "cannot open", errno);
        goto fail;
    }
    while ((rc = read_record(r, &rec, err)) == 1) {
        if (blank_record(&rec)) continue;
        if (t->n_rows == 0) {
            t->n_cols = rec.n;
            char *first = rec.text.data;
            if ((unsigned char)first[0] == 0xEF && (unsigned char)first[1] == 0xBB && (unsigned char)first[2] == 0xBF)
                memmove(first, first + 3, strlen(first + 3) + 1);
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
            char *v = rec.text.data + rec.offs[j];
            trim(&v);
            if (!(t->cell[(size_t)t->n_rows * t->n_cols + j] = decode(t->arena, v, encoding, path, rec.line, err)))
                goto fail;
        }
        t->n_rows++;
    }
    if (rc < 0) goto fail;
    if (t->n_rows == 0) {
        ts_fail(err, TS_EINPUT, path, 0, "empty file");
        goto fail;
    }
    fclose(r->f);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.offs);
    return t;
fail:
    if (r && r->f) fclose(r->f);
    free(r);
    ts_buf_free(&rec.text);
    free(rec.offs);
    ts_csv_table_free(t);
    return NULL;
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
