/* json.c -- reads back the JSON that util.c's writers produce (the store's
 * inputs_json and options_json): a cursor, strings, string arrays, skipping. */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ts_json_init(ts_json *j, const char *text, ts_arena *a) {
    j->p = text ? text : "";
    j->arena = a;
    j->bad = 0;
    j->oom = 0;
}

/* Skips JSON white space. */
static void skip_space(ts_json *j) {
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r') j->p++;
}

int ts_json_eat(ts_json *j, char c) {
    skip_space(j);
    if (*j->p != c) return 0;
    j->p++;
    return 1;
}

double ts_json_number(ts_json *j) {
    skip_space(j);
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return NAN;
    }
    /* JSON's numbers only: strtod would take hex, "inf" and "nan" too */
    if (*j->p != '-' && (*j->p < '0' || *j->p > '9')) {
        j->bad = 1;
        return NAN;
    }
    char *end;
    double x = strtod(j->p, &end);
    j->p = end;
    return x;
}

int ts_json_end(ts_json *j) {
    skip_space(j);
    return *j->p == '\0';
}

/* Appends code point cp to b as UTF-8. */
static void put_utf8(ts_buf *b, unsigned cp) {
    char u[4];
    if (cp < 0x80) {
        u[0] = (char)cp;
        ts_buf_append(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F));
        ts_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F));
        ts_buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
        ts_buf_append(b, u, 4);
    }
}

/* Reads four hex digits; returns their value, or 0 with bad set. */
static unsigned hex4(ts_json *j) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *j->p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            j->bad = 1;
            return 0;
        }
        v = v * 16 + (unsigned)d;
        j->p++;
    }
    return v;
}

const char *ts_json_string(ts_json *j) {
    skip_space(j);
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return NULL;
    }
    if (*j->p != '"') {
        j->bad = 1;
        return NULL;
    }
    j->p++;
    ts_buf b = {0};
    while (*j->p && *j->p != '"' && !j->bad) {
        if (*j->p != '\\') {
            ts_buf_append(&b, j->p++, 1);
            continue;
        }
        j->p++;
        char c = *j->p, out = 0;
        if (c) j->p++;
        switch (c) {
        case '"': case '\\': case '/': out = c; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            unsigned cp = hex4(j);
            /* a character past U+FFFF is a surrogate pair; a lone half is
               not text (it has no UTF-8 form) */
            if (cp >= 0xD800 && cp < 0xDC00 && j->p[0] == '\\' && j->p[1] == 'u') {
                j->p += 2;
                unsigned lo = hex4(j);
                if (lo < 0xDC00 || lo > 0xDFFF) j->bad = 1;
                else cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) j->bad = 1;
            else put_utf8(&b, cp);
            continue;
        }
        default: j->bad = 1;
        }
        ts_buf_append(&b, &out, 1);
    }
    if (*j->p != '"') j->bad = 1;
    else j->p++;
    const char *s = j->bad || b.oom ? NULL : ts_arena_strdup(j->arena, b.data ? b.data : "");
    if (!s && !j->bad) j->oom = 1;
    if (!s) j->bad = 1;
    ts_buf_free(&b);
    return s;
}

/* Skips one value inside depth arrays and objects (see ts_json_skip). */
static void skip_value(ts_json *j, int depth) {
    skip_space(j);
    char c = *j->p;
    if (c == '"' || c == 'n') {
        (void)ts_json_string(j);
    } else if ((c == '[' || c == '{') && depth >= TS_JSON_MAX_DEPTH) {
        j->bad = 1; /* a store file from elsewhere could nest without end */
    } else if (c == '[' || c == '{') {
        char close = c == '[' ? ']' : '}';
        j->p++;
        if (ts_json_eat(j, close)) return;
        do {
            if (close == '}') {
                (void)ts_json_string(j);
                if (!ts_json_eat(j, ':')) j->bad = 1;
            }
            if (!j->bad) skip_value(j, depth + 1);
        } while (!j->bad && ts_json_eat(j, ','));
        if (!ts_json_eat(j, close)) j->bad = 1;
    } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f') {
        while (*j->p && strchr("+-.0123456789eEtruefals", *j->p)) j->p++;
    } else {
        j->bad = 1;
    }
}

void ts_json_skip(ts_json *j) {
    skip_value(j, 0);
}

const char **ts_json_strings(ts_json *j, int *n) {
    *n = 0;
    skip_space(j);
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return NULL;
    }
    if (!ts_json_eat(j, '[')) {
        j->bad = 1;
        return NULL;
    }
    /* count first, so that the array is allocated once */
    const char *start = j->p;
    int count = 0;
    if (!ts_json_eat(j, ']')) {
        do {
            ts_json_skip(j);
            count++;
        } while (!j->bad && ts_json_eat(j, ','));
        if (!ts_json_eat(j, ']')) j->bad = 1;
    }
    const char **out = j->bad ? NULL : ts_arena_alloc(j->arena, ((size_t)count + 1) * sizeof *out);
    if (!out) {
        if (!j->bad) j->oom = 1;
        j->bad = 1;
        return NULL;
    }
    j->p = start;
    for (int i = 0; i < count; i++) {
        out[i] = ts_json_string(j);
        ts_json_eat(j, ',');
    }
    ts_json_eat(j, ']');
    *n = count;
    return out;
}
