/* html.h -- the one way text reaches the briefing report's HTML: escaping,
 * and numbers written so that a missing value never reads as "nan". */
#ifndef TS_HTML_H
#define TS_HTML_H

#include "util.h"

/* Appends s (NULL: nothing) to b as HTML text, safe in element content and
 * in double- or single-quoted attribute values: & < > " ' become
 * entities; tab, newline and carriage return become a space; other control
 * characters (C0, DEL, C1) and every byte that is not part of valid UTF-8
 * become U+FFFD, so the page is valid UTF-8 whatever the database holds.
 * Returns 0, or -1 when out of memory (b->oom set). */
int ts_html_escape(ts_buf *b, const char *s);

/* Appends x with the given decimals (printf %.*f), or "–" when x is NaN
 * or infinite. With sign, a positive x gets a '+'. Returns as ts_html_escape. */
int ts_html_number(ts_buf *b, double x, int decimals, int sign);

#endif
