/* register.c -- reading the source register's keys and titles, and finding
 * the [KEY] citations in source texts. */
#include "register.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct entry {
    char *key, *title;
} entry;

struct ts_register {
    entry *e;
    int n, cap;
};

/* Returns the length of the key at s, or 0 when s does not start with one. */
static size_t key_length(const char *s) {
    size_t n = 0;
    int c = (unsigned char)s[0];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return 0;
    for (;; n++) {
        c = (unsigned char)s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return n;
    }
}

int ts_register_next_key(const char *text, size_t *pos, const char **key, size_t *n) {
    if (!text) return 0;
    for (const char *p = strchr(text + *pos, '['); p; p = strchr(p + 1, '[')) {
        size_t len = key_length(p + 1);
        if (len && p[1 + len] == ']') {
            *key = p + 1;
            *n = len;
            *pos = (size_t)(p + 2 + len - text);
            return 1;
        }
    }
    return 0;
}

void ts_register_free(ts_register *reg) {
    if (!reg) return;
    for (int i = 0; i < reg->n; i++) free(reg->e[i].key), free(reg->e[i].title);
    free(reg->e);
    free(reg);
}

/* Returns a malloc'd copy of the n bytes at s, or NULL. */
static char *copy(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

int ts_register_load(const char *path, ts_register **out, ts_error *err) {
    *out = NULL;
    size_t len;
    char *text = ts_read_file(path, &len);
    if (!text) return ts_fail_read(err, path, "cannot read the source register", errno);
    ts_register *reg = calloc(1, sizeof *reg);
    int rc = reg ? TS_OK : TS_ESYSTEM;
    entry *open = NULL; /* the entry whose title is still to come */
    for (char *p = text; *p && rc == TS_OK;) {
        char *eol = strchr(p, '\n');
        size_t line_len = eol ? (size_t)(eol - p) : strlen(p), n = line_len;
        if (n && p[n - 1] == '\r') n--;
        if (strncmp(p, "### ", 4) == 0 && key_length(p + 4)) {
            if (reg->n == reg->cap) {
                int cap = reg->cap ? 2 * reg->cap : 64;
                entry *grown = realloc(reg->e, (size_t)cap * sizeof *grown);
                if (!grown) {
                    rc = TS_ESYSTEM;
                    break;
                }
                reg->e = grown;
                reg->cap = cap;
            }
            open = &reg->e[reg->n];
            open->key = copy(p + 4, key_length(p + 4));
            open->title = NULL;
            if (!open->key) rc = TS_ESYSTEM;
            else reg->n++;
        } else if (strncmp(p, "#", 1) == 0) {
            open = NULL; /* another heading ends the entry */
        } else if (open && n > 2 && strncmp(p, "- ", 2) == 0) {
            if (!(open->title = copy(p + 2, n - 2))) rc = TS_ESYSTEM;
            open = NULL;
        }
        p = eol ? eol + 1 : p + line_len;
    }
    free(text);
    if (rc != TS_OK) {
        ts_register_free(reg);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    *out = reg;
    return TS_OK;
}

const char *ts_register_title(const ts_register *reg, const char *key, size_t n) {
    for (int i = 0; reg && i < reg->n; i++)
        if (strlen(reg->e[i].key) == n && strncmp(reg->e[i].key, key, n) == 0)
            return reg->e[i].title ? reg->e[i].title : "";
    return NULL;
}

int ts_register_count(const ts_register *reg) { return reg ? reg->n : 0; }
