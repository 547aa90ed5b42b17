/* util.c -- arena, text buffer, suggestions, file reading, UTF-8 helpers. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ts_arena_block {
    struct ts_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

struct ts_arena {
    struct ts_arena_block *head;
};

ts_arena *ts_arena_new(void) {
    return calloc(1, sizeof(ts_arena));
}

void ts_arena_free(ts_arena *a) {
    if (!a) return;
    struct ts_arena_block *b = a->head;
    while (b) {
        struct ts_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *ts_arena_alloc(ts_arena *a, size_t n) {
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    if (n == 0) n = align;
    struct ts_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *ts_arena_strdup(ts_arena *a, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = ts_arena_alloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

int ts_buf_append(ts_buf *b, const char *s, size_t n) {
    if (b->oom) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->oom = 1;
            return -1;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ts_buf_puts(ts_buf *b, const char *s) {
    return ts_buf_append(b, s, strlen(s));
}

int ts_buf_printf(ts_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    if ((size_t)n < sizeof small) return ts_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = ts_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

/* Returns the length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
    if (s[0] < 0x80) return 1;
    size_t len;
    uint32_t cp;
    if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* reject overlong forms, surrogates and values past U+10FFFF */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int ts_buf_json_string(ts_buf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    ts_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            ts_buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            ts_buf_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t len = utf8_seq_len(p + i, n - i);
            if (len == 0) {
                ts_buf_puts(b, "\\ufffd");
                i++;
            } else {
                ts_buf_append(b, (const char *)p + i, len);
                i += len;
            }
        }
    }
    return ts_buf_append(b, "\"", 1);
}

int ts_buf_json_number(ts_buf *b, double x) {
    if (!isfinite(x)) return ts_buf_puts(b, "null");
    return ts_buf_printf(b, "%.17g", x);
}

void ts_buf_free(ts_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Edit distance counting a swap of two neighbours as one edit (optimal
 * string alignment), capped: returns limit+1 once it exceeds limit. */
static size_t edit_distance(const char *a, const char *b, size_t limit) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return limit + 1;
    size_t rows[3][65];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            size_t v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && before[j - 2] + 1 < v)
                v = before[j - 2] + 1;
            cur[j] = v;
            if (v < row_min) row_min = v;
        }
        if (row_min > limit) return limit + 1;
        size_t *spare = before;
        before = prev;
        prev = cur;
        cur = spare;
    }
    return prev[lb];
}

const char *ts_suggest(const char *word, const char *const *candidates, size_t n) {
    size_t limit = strlen(word) / 3;
    if (limit < 1) limit = 1;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i]) continue;
        size_t d = edit_distance(word, candidates[i], limit);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

char *ts_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    ts_buf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ts_buf_append(&b, chunk, got) != 0) break;
    int failed = ferror(f) || b.oom;
    int saved = errno;
    fclose(f);
    if (failed) {
        int oom = b.oom;
        ts_buf_free(&b);
        errno = oom ? ENOMEM : saved ? saved : EIO;
        return NULL;
    }
    if (!b.data && ts_buf_append(&b, "", 0) != 0) {
        errno = ENOMEM;
        return NULL;
    }
    *len = b.len;
    return b.data;
}

int ts_utf8_valid(const char *s, size_t n, int *bad_line) {
    const unsigned char *p = (const unsigned char *)s;
    int line = 1;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq_len(p + i, n - i);
        if (len == 0) {
            if (bad_line) *bad_line = line;
            return 0;
        }
        if (p[i] == '\n') line++;
        i += len;
    }
    return 1;
}

char *ts_latin1_to_utf8(const char *s, size_t n, size_t *out_len) {
    char *out = malloc(2 * n + 1);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out[k++] = (char)c;
        } else {
            out[k++] = (char)(0xC0 | (c >> 6));
            out[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

char *ts_fmt_double(char *buf, size_t n, double x) {
    if (isnan(x))
        snprintf(buf, n, "%s", "");
    else
        snprintf(buf, n, "%.17g", x);
    return buf;
}

char *ts_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *ts_path_join(const char *dir, const char *path) {
    if (path[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0) return strdup(path);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s/%s", dir, path);
    return out;
}

int ts_valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        int digit = c >= '0' && c <= '9';
        if (!alpha && !(i > 0 && (digit || c == '_' || c == '-'))) return 0;
    }
    return 1;
}

int ts_outfile_open(ts_outfile *o, const char *path) {
    struct stat sb;
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    o->direct = stat(path, &sb) == 0 && !S_ISREG(sb.st_mode);
    if (o->direct) {
        o->f = fopen(path, "w");
    } else {
        snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
        o->f = fopen(o->tmp, "w");
    }
    return o->f ? 0 : -1;
}

int ts_outfile_close(ts_outfile *o, int keep) {
    int failed = ferror(o->f) != 0;
    failed |= fclose(o->f) != 0;
    o->f = NULL;
    if (o->direct) return keep && failed ? -1 : 0;
    if (keep && !failed && rename(o->tmp, o->path) == 0) return 0;
    int saved = errno;
    remove(o->tmp);
    errno = saved;
    return keep ? -1 : 0;
}
