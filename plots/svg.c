/* svg.c -- charts as SVG text to inline in an HTML page (the briefing
 * report): drawn by gnuplot as `plot` draws them, then made safe to inline. */
#include "plot.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- making gnuplot's SVG safe to inline -------------------------------- */

/* Elements dropped with everything inside them: they run code, load other
 * documents or carry style sheets (which may load fonts or images). */
static const char *const DROPPED[] = {"script", "foreignObject", "image", "iframe", "object", "embed", "audio",
                                      "video",  "style",         "a",     "title",  "desc",   "metadata", NULL};

/* Returns 1 when the element called name (n bytes) is dropped with all it holds. */
static int dropped_element(const char *name, size_t n) {
    for (int i = 0; DROPPED[i]; i++)
        if (strlen(DROPPED[i]) == n && strncasecmp(DROPPED[i], name, n) == 0) return 1;
    return 0;
}

/* Appends n bytes of text at s with every byte that is not valid UTF-8
 * and every control character but tab, newline and carriage return (C0,
 * DEL, and the C1 range U+0080-U+009F, which an HTML page must not hold)
 * replaced by U+FFFD: names reach gnuplot as the store holds them. */
static void put_clean(ts_buf *b, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && ((*p >= 0x20 && *p < 0x7f) || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p > run) ts_buf_append(b, (const char *)run, (size_t)(p - run));
        if (p == end) break;
        size_t len = 0;
        unsigned cp = 0, min = 0;
        if (*p >= 0xc2 && *p <= 0xdf) len = 2, cp = *p & 0x1f, min = 0x80;
        else if (*p >= 0xe0 && *p <= 0xef) len = 3, cp = *p & 0x0f, min = 0x800;
        else if (*p >= 0xf0 && *p <= 0xf4) len = 4, cp = *p & 0x07, min = 0x10000;
        for (size_t i = 1; len && i < len; i++) {
            if (p + i >= end || (p[i] & 0xc0) != 0x80) len = 0;
            else cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (len && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) len = 0;
        if (len && cp > 0x9f) ts_buf_append(b, (const char *)p, len);
        else ts_buf_puts(b, "\xef\xbf\xbd"); /* a control character is one, a bad byte one each */
        p += len ? len : 1;
    }
}

/* Returns 1 when c may be part of an XML name. */
static int name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ':' || c == '.';
}

/* Returns 1 when the n bytes at s contain needle, ignoring case. */
static int contains_ci(const char *s, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(s + i, needle, m) == 0) return 1;
    return 0;
}

/* Appends an attribute value (n bytes at v) with every url(#id) given the
 * prefix. Returns 0, or -1 when the value refers to anything but a
 * fragment of this document (url(...) without '#', javascript:,
 * expression(), @import), which drops the attribute. */
static int put_value(ts_buf *b, const char *v, size_t n, const char *prefix) {
    if (contains_ci(v, n, "javascript:") || contains_ci(v, n, "expression(") || contains_ci(v, n, "@import") ||
        contains_ci(v, n, "data:"))
        return -1;
    size_t start = b->len;
    for (size_t i = 0; i < n;) {
        if (i + 4 <= n && strncasecmp(v + i, "url(", 4) == 0) {
            size_t j = i + 4;
            while (j < n && (v[j] == ' ' || v[j] == '\'' || v[j] == '"')) j++;
            if (j >= n || v[j] != '#') {
                b->len = start; /* an external url(): drop what was written */
                if (b->data) b->data[start] = '\0';
                return -1;
            }
            ts_buf_append(b, v + i, j + 1 - i);
            ts_buf_puts(b, prefix);
            i = j + 1;
        } else {
            size_t j = i + 1;
            while (j < n && !(j + 4 <= n && strncasecmp(v + j, "url(", 4) == 0)) j++;
            put_clean(b, v + i, j - i);
            i = j;
        }
    }
    return 0;
}

/* Rewrites one start tag's attributes (the n bytes at a, after the name)
 * into b: drops namespace declarations, event handlers and references
 * outside the document, prefixes ids and fragment references. */
static void put_attributes(ts_buf *b, const char *a, size_t n, const char *prefix) {
    size_t i = 0;
    while (i < n) {
        while (i < n && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r')) i++;
        size_t ns = i;
        while (i < n && name_char(a[i])) i++;
        size_t name_len = i - ns;
        if (name_len == 0) { /* a stray byte ('/' of an empty tag, junk): skip it */
            i++;
            continue;
        }
        const char *name = a + ns;
        while (i < n && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r')) i++;
        const char *value = NULL;
        size_t value_len = 0;
        char quote = '"';
        if (i < n && a[i] == '=') {
            i++;
            while (i < n && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r')) i++;
            if (i < n && (a[i] == '"' || a[i] == '\'')) {
                quote = a[i++];
                value = a + i;
                while (i < n && a[i] != quote) i++;
                value_len = (size_t)(a + i - value);
                if (i < n) i++;
            } else {
                value = a + i;
                while (i < n && a[i] != ' ' && a[i] != '\t' && a[i] != '\n' && a[i] != '\r') i++;
                value_len = (size_t)(a + i - value);
            }
        }
        int is_href = (name_len == 4 && strncasecmp(name, "href", 4) == 0) ||
                      (name_len == 10 && strncasecmp(name, "xlink:href", 10) == 0);
        int is_id = name_len == 2 && strncasecmp(name, "id", 2) == 0;
        if ((name_len >= 5 && strncasecmp(name, "xmlns", 5) == 0) || (name_len >= 2 && strncasecmp(name, "on", 2) == 0))
            continue;
        if (is_href && (!value || value_len < 2 || value[0] != '#')) continue; /* only fragments */
        if (!value && (is_href || is_id)) continue;
        if (value && (memchr(value, '<', value_len) || memchr(value, '>', value_len))) continue; /* not gnuplot's */
        size_t mark = b->len;
        ts_buf_puts(b, " ");
        ts_buf_append(b, name, name_len);
        if (!value) continue;
        ts_buf_append(b, "=", 1);
        ts_buf_append(b, &quote, 1);
        int bad;
        if (is_href) {
            ts_buf_puts(b, "#");
            ts_buf_puts(b, prefix);
            bad = put_value(b, value + 1, value_len - 1, prefix);
        } else {
            if (is_id) ts_buf_puts(b, prefix);
            bad = put_value(b, value, value_len, prefix);
        }
        if (bad) {
            b->len = mark;
            if (b->data) b->data[mark] = '\0';
            continue;
        }
        ts_buf_append(b, &quote, 1);
    }
}

int ts_svg_inline(const char *svg, size_t n, const char *prefix, ts_buf *out, ts_error *err) {
    const char *p = svg, *end = svg + n;
    if (!prefix) prefix = "";
    for (const char *c = prefix; *c; c++)
        if (!name_char(*c) || *c == ':')
            return ts_fail(err, TS_EUSAGE, NULL, 0, "an SVG id prefix takes letters, digits, '-', '_' and '.'");
    /* the document starts at <svg: the XML declaration and DOCTYPE go */
    while (p < end && !(end - p >= 4 && strncmp(p, "<svg", 4) == 0 && (end - p == 4 || !name_char(p[4])))) p++;
    if (p == end) return ts_fail(err, TS_EINPUT, NULL, 0, "gnuplot's output holds no <svg> element");
    int drop_depth = 0, depth = 0, closed = 0;
    while (p < end && !closed) {
        if (*p != '<') {
            const char *lt = memchr(p, '<', (size_t)(end - p));
            const char *stop = lt ? lt : end;
            if (!drop_depth) put_clean(out, p, (size_t)(stop - p));
            p = stop;
            continue;
        }
        if (end - p >= 4 && strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p + 4, "-->");
            p = e && e < end ? e + 3 : end;
            continue;
        }
        if (end - p >= 9 && strncmp(p, "<![CDATA[", 9) == 0) {
            const char *e = strstr(p + 9, "]]>");
            p = e && e < end ? e + 3 : end;
            continue;
        }
        if (end - p >= 2 && (p[1] == '?' || p[1] == '!')) { /* processing instruction, DOCTYPE */
            const char *e = memchr(p, '>', (size_t)(end - p));
            p = e ? e + 1 : end;
            continue;
        }
        /* a tag: find its end outside quoted values */
        const char *q = p + 1;
        char quote = 0;
        while (q < end && (quote || *q != '>')) {
            if (quote && *q == quote) quote = 0;
            else if (!quote && (*q == '"' || *q == '\'')) quote = *q;
            q++;
        }
        if (q == end) break; /* a cut tag: the rest is dropped */
        int is_end = p[1] == '/';
        const char *name = p + 1 + is_end;
        size_t name_len = 0;
        while (name + name_len < q && name_char(name[name_len])) name_len++;
        int empty = q[-1] == '/';
        if (is_end) {
            if (drop_depth) {
                drop_depth--;
            } else {
                ts_buf_puts(out, "</");
                ts_buf_append(out, name, name_len);
                ts_buf_puts(out, ">");
                if (--depth == 0) closed = 1;
            }
        } else if (drop_depth || dropped_element(name, name_len) || name_len == 0) {
            if (!empty && name_len) drop_depth++;
        } else {
            ts_buf_puts(out, "<");
            ts_buf_append(out, name, name_len);
            const char *attrs = name + name_len;
            put_attributes(out, attrs, (size_t)(q - empty - attrs), prefix);
            ts_buf_puts(out, empty ? "/>" : ">");
            if (!empty) depth++;
        }
        p = q + 1;
    }
    if (out->oom) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    if (!closed) return ts_fail(err, TS_EINPUT, NULL, 0, "gnuplot's SVG ends before its </svg>");
    return TS_OK;
}

/* ---- drawing ------------------------------------------------------------ */

int ts_plot_svg(const char *db, const ts_plot_request *req, const ts_plot_svg_options *opt, const char *gnuplot,
                ts_buf *svg, ts_error *err) {
    int width = opt && opt->width > 0 ? opt->width : 1100, height = opt && opt->height > 0 ? opt->height : 650;
    int font = opt && opt->font_size > 0 ? opt->font_size : 10;
    ts_plot_data *d;
    int rc = ts_plot_data_load(db, req, &d, err);
    if (rc != TS_OK) return rc;
    ts_buf body = {0};
    rc = ts_plot_script(d, req, TS_TERM_SVG, &body, err);
    ts_plot_data_free(d);
    if (rc != TS_OK) {
        ts_buf_free(&body);
        return rc;
    }
    /* the svg terminal without `mouse` or `jsdir`: no script, nothing loaded */
    char terminal[160];
    snprintf(terminal, sizeof terminal, "set terminal svg size %d,%d noenhanced font 'Sans,%d' background '#ffffff'\n",
             width, height, font);
    ts_buf text = {0};
    rc = ts_gnuplot_draw(gnuplot, terminal, &body, &text, err);
    ts_buf_free(&body);
    if (rc == TS_OK) rc = ts_svg_inline(text.data, text.len, opt ? opt->id_prefix : NULL, svg, err);
    ts_buf_free(&text);
    return rc;
}
