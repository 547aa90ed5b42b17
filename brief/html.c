/* html.c -- escaping text for the briefing report's HTML, and numbers. */
#include "html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Returns the length of the valid UTF-8 sequence at s (1-4) and its code
 * point in *cp, or 0 when the bytes there are not valid UTF-8. */
static size_t utf8_seq(const unsigned char *s, unsigned *cp) {
    unsigned c = s[0], min;
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) n = 2, *cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, *cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, *cp = c & 0x07, min = 0x10000;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) return 0;
    return n;
}

int ts_html_escape(ts_buf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        const unsigned char *run = p; /* plain bytes are copied in one go */
        while (*p >= 0x20 && *p < 0x7f && !strchr("&<>\"'", *p)) p++;
        if (p > run) ts_buf_append(b, (const char *)run, (size_t)(p - run));
        if (!*p) break;
        unsigned cp;
        size_t n = utf8_seq(p, &cp);
        if (n == 0) {
            ts_buf_puts(b, REPLACEMENT);
            p++;
            continue;
        }
        switch (cp) {
        case '&': ts_buf_puts(b, "&amp;"); break;
        case '<': ts_buf_puts(b, "&lt;"); break;
        case '>': ts_buf_puts(b, "&gt;"); break;
        case '"': ts_buf_puts(b, "&quot;"); break;
        case '\'': ts_buf_puts(b, "&#39;"); break;
        case '\t': case '\n': case '\r': ts_buf_puts(b, " "); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) ts_buf_puts(b, REPLACEMENT);
            else ts_buf_append(b, (const char *)p, n);
        }
        p += n;
    }
    return b->oom ? -1 : 0;
}

int ts_html_number(ts_buf *b, double x, int decimals, int sign) {
    if (!isfinite(x)) return ts_buf_puts(b, "\xe2\x80\x93"); /* en dash */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, x);
    int zero = 1; /* a value that rounds to zero shows no sign */
    for (const char *c = tmp; *c; c++)
        if (*c >= '1' && *c <= '9') zero = 0;
    if (zero) snprintf(tmp, sizeof tmp, "%.*f", decimals, 0.0);
    else if (sign && x > 0) ts_buf_puts(b, "+");
    /* a minus sign that reads as one in print */
    if (tmp[0] == '-') return ts_buf_printf(b, "\xe2\x88\x92%s", tmp + 1);
    return ts_buf_puts(b, tmp);
}
