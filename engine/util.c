/* util.c -- arena, text buffer, suggestions, file reading, UTF-8 helpers. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"

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
    /* a size within one alignment of SIZE_MAX would wrap to a tiny block */
    if (n > SIZE_MAX - sizeof(struct ts_arena_block) - align) return NULL;
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
        /* a run of plain ASCII goes in one append */
        size_t plain = i;
        while (plain < n && p[plain] >= 0x20 && p[plain] < 0x7F && p[plain] != '"' && p[plain] != '\\') plain++;
        if (plain > i) {
            ts_buf_append(b, (const char *)p + i, plain - i);
            i = plain;
            continue;
        }
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
    char num[TS_FMT_SIZE];
    return ts_buf_append(b, num, ts_fmt_g17(num, x));
}

void ts_buf_free(ts_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int cmp_id_index(const void *a, const void *b) {
    const ts_id_index *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

void ts_id_index_sort(const char *const *ids, int n, ts_id_index *out) {
    for (int i = 0; i < n; i++) out[i] = (ts_id_index){ids[i], i};
    if (n > 1) qsort(out, (size_t)n, sizeof *out, cmp_id_index);
}

int ts_id_index_find(const ts_id_index *sorted, int n, const char *id) {
    if (!id) return -1;
    int lo = 0, hi = n; /* the first entry not below id is in [lo, hi] */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(sorted[mid].id, id) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && strcmp(sorted[lo].id, id) == 0 ? sorted[lo].i : -1;
}

/* Folds ASCII letters to lower case, so that a suggestion can fix case
 * ("tjk" for "TJK"). */
static int fold(char c) {
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Edit distances of a to b, ignoring ASCII case and counting a swap of two
 * neighbours as one edit (optimal string alignment): *whole is the
 * distance to b, *prefix the least distance to any prefix of b (how far a
 * is from a truncation of b, "drug_trafic" from "drug_traffic..."). Both
 * are capped: limit+1 means "more than limit". */
static void edit_distances(const char *a, const char *b, size_t limit, size_t *whole, size_t *prefix) {
    size_t la = strlen(a), lb = strlen(b);
    *whole = *prefix = limit + 1;
    if (la > 64 || lb > 64) return;
    size_t rows[3][65];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
            size_t v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]) &&
                before[j - 2] + 1 < v)
                v = before[j - 2] + 1;
            cur[j] = v;
            if (v < row_min) row_min = v;
        }
        if (row_min > limit) return;
        size_t *spare = before;
        before = prev;
        prev = cur;
        cur = spare;
    }
    *whole = prev[lb] <= limit ? prev[lb] : limit + 1;
    for (size_t j = 0; j <= lb; j++)
        if (prev[j] < *prefix) *prefix = prev[j];
}

const char *ts_suggest(const char *word, const char *const *candidates, size_t n) {
    size_t len = strlen(word), limit = len / 3;
    if (limit < 1) limit = 1;
    const char *best = NULL;
    size_t best_score = limit + 1, best_whole = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i]) continue;
        size_t whole, prefix;
        edit_distances(word, candidates[i], limit, &whole, &prefix);
        /* a word of four or more characters close to the start of a
           candidate is most likely that candidate cut short: it costs one
           edit more than its distance to that start, so a whole-word match
           of the same closeness still wins */
        size_t score = whole;
        if (len >= 4 && prefix + 1 < score) score = prefix + 1;
        if (score < best_score || (score == best_score && whole < best_whole)) {
            best_score = score;
            best_whole = whole;
            best = candidates[i];
        }
    }
    return best_score <= limit ? best : NULL;
}

size_t ts_input_limit(int kind, ts_error *err) {
    size_t dflt = kind == TS_INPUT_DATA ? TS_DATA_LIMIT : TS_CONFIG_LIMIT;
    const char *v = getenv("TS_MAX_INPUT");
    if (!v || !*v) return dflt;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    int shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (end == v || errno || *end || n == 0 || strchr(v, '-')) {
        ts_fail(err, TS_EUSAGE, NULL, 0,
                "TS_MAX_INPUT='%s' is not a size (a number of bytes, or with the suffix K, M or G)", v);
        return 0;
    }
    if (n > (unsigned long long)(SIZE_MAX >> shift)) return SIZE_MAX;
    return (size_t)n << shift;
}

/* Writes limit as "64 MiB" (or bytes when it is no whole KiB) into buf. */
static const char *limit_text(size_t limit, char *buf, size_t n) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < 4 && limit >= 1024 && limit % 1024 == 0) {
        limit /= 1024;
        u++;
    }
    snprintf(buf, n, "%zu %s", limit, units[u]);
    return buf;
}

static int too_big(ts_error *err, const char *path, size_t limit) {
    char lim[32];
    return ts_fail(err, TS_EINPUT, path, 0,
                   "larger than the input limit of %s (set TS_MAX_INPUT to raise it, e.g. TS_MAX_INPUT=4G)",
                   limit_text(limit, lim, sizeof lim));
}

static const char *file_kind(mode_t m) {
    if (S_ISFIFO(m)) return "a FIFO or pipe";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* Reads fd to its end, at most limit bytes, into a malloc'd NUL-terminated
 * buffer (hint: its expected size, 0 when unknown). Returns TS_OK with the
 * buffer in *out and its length in *len, or a TS_* code with err filled and
 * the cause in *eno as an errno value. */
static int read_all(int fd, const char *path, size_t limit, size_t hint, char **out, size_t *len,
                    int *eno, ts_error *err) {
    size_t cap = (hint < limit ? hint : limit) + 1, got = 0;
    if (cap < 4096) cap = 4096;
    char *buf = malloc(cap);
    if (!buf) return *eno = ENOMEM, ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
    for (;;) {
        if (got + 1 == cap) {
            /* grow, but never to more than the limit and one byte to see
               that the input goes past it */
            size_t nc = cap - 1 > (SIZE_MAX - 1) / 2 ? SIZE_MAX : 2 * (cap - 1) + 1;
            if (nc > limit + 2) nc = limit + 2;
            char *q = nc > cap ? realloc(buf, nc) : NULL;
            if (!q) {
                free(buf);
                return *eno = ENOMEM, ts_fail(err, TS_ESYSTEM, path, 0, "out of memory");
            }
            buf = q;
            cap = nc;
        }
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            *eno = errno;
            free(buf);
            return ts_fail(err, TS_EINPUT, path, 0, "cannot read: %s", strerror(*eno));
        }
        if (r == 0) break;
        got += (size_t)r;
        if (got > limit) {
            free(buf);
            *eno = EFBIG;
            return too_big(err, path, limit);
        }
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return TS_OK;
}

/* Opens path as ts_input_open does; regular_only refuses anything but a
 * regular file (opened without blocking, so a FIFO cannot stall us). On
 * failure *eno holds the cause as an errno value. */
static int open_input(ts_input *in, const char *path, int regular_only, size_t limit, int *eno,
                      ts_error *err) {
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->limit = limit;
    int fd = 0;
    if (regular_only || strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular_only ? O_NONBLOCK : 0));
        if (fd < 0) return *eno = errno, ts_fail(err, TS_EINPUT, path, 0, "cannot open: %s", strerror(*eno));
        in->own_fd = 1;
    }
    struct stat sb;
    int rc;
    if (fstat(fd, &sb) != 0) {
        *eno = errno;
        rc = ts_fail(err, TS_EINPUT, path, 0, "cannot read: %s", strerror(*eno));
    } else if (S_ISDIR(sb.st_mode)) {
        *eno = EISDIR;
        rc = ts_fail(err, TS_EINPUT, path, 0, "is a directory, not a file");
    } else if (S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > (unsigned long long)limit) {
        *eno = EFBIG;
        rc = too_big(err, path, limit);
    } else if (S_ISREG(sb.st_mode)) {
        in->fd = fd;
        in->size = (long long)sb.st_size;
        return TS_OK;
    } else if (regular_only) {
        *eno = EINVAL;
        rc = ts_fail(err, TS_EINPUT, path, 0, "is %s: only a regular file is read here", file_kind(sb.st_mode));
    } else {
        rc = read_all(fd, path, limit, 0, &in->mem, &in->len, eno, err);
    }
    if (in->own_fd) close(fd);
    in->own_fd = 0;
    return rc;
}

int ts_input_open(ts_input *in, const char *path, int kind, ts_error *err) {
    int eno;
    size_t limit = ts_input_limit(kind, err);
    if (!limit) {
        memset(in, 0, sizeof *in);
        in->fd = -1;
        return TS_EUSAGE;
    }
    return open_input(in, path, kind == TS_INPUT_CONFIG, limit, &eno, err);
}

void ts_input_close(ts_input *in) {
    if (in->fd >= 0 && in->own_fd) close(in->fd);
    in->fd = -1;
    in->own_fd = 0;
    free(in->mem);
    in->mem = NULL;
    in->len = 0;
}

/* Reads the whole of the open input in into a malloc'd buffer and closes
 * in. Returns the buffer, or NULL with err filled and *eno set. */
static char *read_opened(ts_input *in, const char *path, size_t *len, int *eno, ts_error *err) {
    char *text = NULL;
    if (in->mem) {
        text = in->mem;
        *len = in->len;
        in->mem = NULL;
    } else if (read_all(in->fd, path, in->limit, (size_t)in->size, &text, len, eno, err) == TS_OK &&
               in->size > 0 && (long long)*len != in->size) {
        /* a known size must match: a file cut or grown while we read it
           would give bytes that are neither the old file nor the new one
           (a size of 0 is not checked: /proc files have content) */
        *eno = EIO;
        ts_fail(err, TS_EINPUT, path, 0, "changed while it was read (%lld bytes, then %zu)", in->size, *len);
        free(text);
        text = NULL;
    }
    ts_input_close(in);
    return text;
}

char *ts_read_input(const char *path, int kind, size_t *len, ts_error *err) {
    ts_input in;
    int eno;
    if (ts_input_open(&in, path, kind, err)) return NULL;
    return read_opened(&in, path, len, &eno, err);
}

char *ts_read_file(const char *path, size_t *len) {
    ts_error err;
    ts_input in;
    int eno = EINVAL;
    size_t limit = ts_input_limit(TS_INPUT_DATA, &err);
    char *text = NULL;
    if (limit && open_input(&in, path, 1, limit, &eno, &err) == TS_OK) text = read_opened(&in, path, len, &eno, &err);
    if (!text) errno = eno;
    return text;
}

/* Passes s to put piece by piece, with every control character written as
 * a visible escape (see ts_buf_term). */
static void term_escape(const char *s, void (*put)(void *ctx, const char *p, size_t n), void *ctx) {
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    char esc[8];
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = utf8_seq_len(p + i, n - i);
        if (c < 0x20 || c == 0x7f) {
            static const char names[] = "\a\b\t\n\v\f\r";
            static const char letters[] = "abtnvfr";
            const char *k = c ? strchr(names, c) : NULL;
            if (k) snprintf(esc, sizeof esc, "\\%c", letters[k - names]);
            else snprintf(esc, sizeof esc, "\\x%02x", c);
            put(ctx, esc, strlen(esc));
            i++;
        } else if (len == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            put(ctx, esc, strlen(esc));
            i++;
        } else if (len == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
            snprintf(esc, sizeof esc, "\\u%04x", p[i + 1]); /* C1 control, U+0080..U+009F */
            put(ctx, esc, strlen(esc));
            i += 2;
        } else {
            put(ctx, (const char *)p + i, len);
            i += len;
        }
    }
}

static void put_buf(void *ctx, const char *p, size_t n) {
    ts_buf_append(ctx, p, n);
}

int ts_buf_term(ts_buf *b, const char *s) {
    term_escape(s, put_buf, b);
    return b->oom ? -1 : 0;
}

/* What ts_term_safe fills: out's first n - 1 bytes, and the first byte
 * that did not fit. */
typedef struct term_window {
    char *out;
    size_t n, len;
    int over;
    unsigned char next;
} term_window;

static void put_window(void *ctx, const char *p, size_t n) {
    term_window *w = ctx;
    for (size_t i = 0; i < n; i++) {
        if (w->len + 1 < w->n) w->out[w->len++] = p[i];
        else if (!w->over) w->over = 1, w->next = (unsigned char)p[i];
    }
}

char *ts_term_safe(char *out, size_t n, const char *s) {
    /* written in place, with nothing allocated: it cannot fail */
    term_window w = {out, n, 0, 0, 0};
    term_escape(s, put_window, &w);
    size_t len = w.len;
    /* cut before a partial UTF-8 sequence: back over the continuation
       bytes of the character the cut fell in */
    for (unsigned char at = w.next; w.over && len > 0 && (at & 0xC0) == 0x80; at = (unsigned char)out[len]) len--;
    out[len] = '\0';
    return out;
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

int ts_number_ok(double x) {
    double m = fabs(x);
    return x == 0 || (m >= TS_NUMBER_MIN && m <= TS_NUMBER_MAX);
}

char *ts_fmt_double(char *buf, size_t n, double x) {
    char num[TS_FMT_SIZE];
    if (n == 0) return buf;
    size_t len = isnan(x) ? 0 : ts_fmt_g17(num, x);
    if (len >= n) len = n - 1; /* truncated as snprintf would */
    memcpy(buf, num, len);
    buf[len] = '\0';
    return buf;
}

char *ts_fmt_fixed(char *buf, size_t n, double x, int decimals) {
    if (isnan(x)) {
        snprintf(buf, n, "-");
        return buf;
    }
    snprintf(buf, n, "%.*f", decimals, x);
    /* "-0.00" and the like: the sign of a value that rounds to zero */
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)) memmove(buf, buf + 1, strlen(buf));
    return buf;
}

int ts_text_width(const char *s) {
    int w = 0;
    for (; s && *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80; /* count lead bytes only */
    return w;
}

int ts_buf_pad(ts_buf *b, const char *s, int width) {
    if (s && ts_buf_puts(b, s)) return -1;
    for (int w = ts_text_width(s); w < width; w++)
        if (ts_buf_append(b, " ", 1)) return -1;
    return 0;
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

int ts_path_relative(const char *from, const char *target, char *out, size_t n) {
    errno = 0;
    char *dir = ts_dirname(from), *rdir = dir ? realpath(dir, NULL) : NULL;
    int oom = !dir || (!rdir && errno == ENOMEM);
    errno = 0;
    char *tdir = ts_dirname(target), *rt = tdir ? realpath(tdir, NULL) : NULL;
    oom = oom || !tdir || (!rt && errno == ENOMEM);
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    if (!rdir || !rt) {
        snprintf(out, n, "%s", target);
    } else {
        size_t i = 0, common = 0;
        while (rdir[i] && rdir[i] == rt[i]) {
            if (rdir[i] == '/') common = i;
            i++;
        }
        if (!rdir[i] && (!rt[i] || rt[i] == '/')) common = i;
        ts_buf b = {0};
        for (const char *p = rdir + common; *p; p++)
            if (*p == '/') ts_buf_puts(&b, "../");
        if (rt[common]) ts_buf_printf(&b, "%s/", rt + common + 1);
        ts_buf_puts(&b, base);
        oom = b.oom;
        snprintf(out, n, "%s", b.data && !b.oom ? b.data : target);
        ts_buf_free(&b);
    }
    free(dir);
    free(rdir);
    free(tdir);
    free(rt);
    return oom ? -1 : 0;
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

int ts_open_dir_of(const char *path) {
#ifdef O_PATH
    int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
#else
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
#endif
    char *dir = ts_dirname(path);
    if (!dir) {
        errno = ENOMEM;
        return -1;
    }
    int fd = open(dir, flags);
    int saved = errno;
    free(dir);
    errno = saved;
    return fd;
}

/* Creates a temporary file for o->path beside it, in the directory open
 * on o->dir_fd: BASE.tmp.PID.N, or, when that name is longer than a file
 * name may be, .ts-PID.N.tmp. Every name is relative to the descriptor, so
 * a path of any legal length (PATH_MAX in all) works, however long the
 * directory part is. O_EXCL|O_NOFOLLOW: an existing file or symlink at the
 * name is skipped, never opened. mode is the creation mode (less the
 * umask). Sets o->tmp (the directory part of path, then the name) and
 * o->tmp_name (its last component). Returns the descriptor, or -1 with
 * errno set. */
static int create_temp(ts_outfile *o, const char *base, mode_t mode) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned long seed = (unsigned long)now.tv_nsec ^ ((unsigned long)now.tv_sec << 20);
    size_t dir_len = (size_t)(base - o->path), n = dir_len + strlen(base) + 64;
    if (!(o->tmp = malloc(n))) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(o->tmp, o->path, dir_len);
    char *name = o->tmp + dir_len;
    o->tmp_name = name;
    size_t room = n - dir_len;
    int fd = -1, short_name = strlen(base) + 32 > 255;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        unsigned long tag = (seed + (unsigned long)attempt * 2654435761UL) & 0xffffffUL;
        if (short_name) snprintf(name, room, ".ts-%ld.%06lx.tmp", (long)getpid(), tag);
        else snprintf(name, room, "%s.tmp.%ld.%06lx", base, (long)getpid(), tag);
        fd = openat(o->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
        if (fd < 0 && errno == ENAMETOOLONG && !short_name) short_name = 1;
        else if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int saved = errno;
        free(o->tmp);
        o->tmp = NULL;
        o->tmp_name = NULL;
        errno = saved;
    }
    return fd;
}

/* Frees what ts_outfile_open took and clears o, keeping errno. */
static void outfile_release(ts_outfile *o) {
    int saved = errno;
    if (o->dir_fd >= 0) close(o->dir_fd);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
    o->dir_fd = -1;
    errno = saved;
}

int ts_outfile_open(ts_outfile *o, const char *path) {
    struct stat sb;
    memset(o, 0, sizeof *o);
    o->dir_fd = -1;
    if (!(o->path = strdup(path))) {
        errno = ENOMEM;
        return -1;
    }
    const char *slash = strrchr(o->path, '/');
    const char *base = slash ? slash + 1 : o->path;
    int exists = stat(path, &sb) == 0;
    o->direct = exists && !S_ISREG(sb.st_mode);
    int fd = -1;
    if (o->direct) {
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    } else if (!*base) {
        errno = EISDIR; /* "dir/": no file name */
    } else if ((o->dir_fd = ts_open_dir_of(path)) >= 0) {
        fd = create_temp(o, base, 0666);
        /* the replacement keeps the mode of the file it replaces */
        if (fd >= 0 && exists && fchmod(fd, sb.st_mode & 07777) != 0) {
            int saved = errno;
            close(fd);
            unlinkat(o->dir_fd, o->tmp_name, 0);
            errno = saved;
            fd = -1;
        }
    }
    if (fd >= 0 && !(o->f = fdopen(fd, "w"))) {
        int saved = errno;
        close(fd);
        if (o->tmp) unlinkat(o->dir_fd, o->tmp_name, 0);
        errno = saved;
    }
    if (o->f) return 0;
    outfile_release(o);
    return -1;
}

int ts_outfile_hold(ts_outfile *o, FILE *to) {
    memset(o, 0, sizeof *o);
    o->dir_fd = -1;
    o->direct = 1;
    o->to = to;
    o->f = tmpfile();
    return o->f ? 0 : -1;
}

/* Copies the whole of from to to and flushes to. Returns 0, or -1 with
 * errno set. */
static int copy_stream(FILE *from, FILE *to) {
    char chunk[65536];
    size_t n;
    if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0) return -1;
    while ((n = fread(chunk, 1, sizeof chunk, from)) > 0)
        if (fwrite(chunk, 1, n, to) != n) return -1;
    if (ferror(from)) return errno = errno ? errno : EIO, -1;
    return fflush(to) == 0 ? 0 : -1;
}

int ts_outfile_close(ts_outfile *o, int keep) {
    int failed = ferror(o->f) != 0, copied = 0;
    /* a held stream: its text goes out only now, whole */
    if (o->to && keep && !failed && copy_stream(o->f, o->to) != 0) failed = copied = 1;
    int saved = errno;
    failed |= fclose(o->f) != 0;
    if (!copied) saved = errno;
    o->f = NULL;
    int rc = 0;
    if (o->to) {
        rc = keep && failed ? -1 : 0;
    } else if (o->direct) {
        rc = keep && failed ? -1 : 0;
    } else {
        const char *slash = strrchr(o->path, '/');
        const char *base = slash ? slash + 1 : o->path;
        if (!(keep && !failed && renameat(o->dir_fd, o->tmp_name, o->dir_fd, base) == 0)) {
            if (keep && !failed) saved = errno;
            unlinkat(o->dir_fd, o->tmp_name, 0);
            rc = keep ? -1 : 0;
        }
    }
    outfile_release(o);
    errno = saved;
    return rc;
}
