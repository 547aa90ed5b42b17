/* test_report.c -- the briefing report: the HTML escaper and the SVG
 * inliner against hostile input, the page parsed by a strict checker (well
 * formed, nothing loaded from elsewhere, ids unique), every unit and source
 * present, the sections with and without analyses, options and errors, and
 * the page printed by a real browser (headless Chromium) to PDF and PNG. */
#include "testutil.h"
#include "cli.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.h"
#include "plot.h"
#include "register.h"
#include "store.h"
#include "util.h"

/* ---- a strict checker of the page ---------------------------------------- */

/* What check_page found; problems are written into why. */
typedef struct page_check {
    int svgs;          /* <svg> elements */
    int sections;      /* <section> elements */
    char why[600];
} page_check;

static const char *const VOID_ELEMENTS[] = {"area", "br", "col", "hr", "meta", "wbr", NULL};
/* elements that load or run something: none may appear */
static const char *const FORBIDDEN[] = {"script", "iframe", "object", "embed", "img", "link", "image", "foreignobject",
                                        "audio", "video", "base", "source", "track", "frame", "applet", NULL};

static int in_list(const char *s, size_t n, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && strncasecmp(list[i], s, n) == 0) return 1;
    return 0;
}

static int fail_at(page_check *pc, const char *doc, const char *at, const char *what) {
    int line = 1;
    for (const char *p = doc; p < at; p++) line += *p == '\n';
    snprintf(pc->why, sizeof pc->why, "line %d: %s near \"%.60s\"", line, what, at);
    return -1;
}

/* Checks an entity at p (after '&'); returns its length or 0. */
static size_t entity(const char *p) {
    static const char *const NAMED[] = {"amp;", "lt;", "gt;", "quot;", "apos;", "nbsp;", NULL};
    for (int i = 0; NAMED[i]; i++)
        if (strncmp(p, NAMED[i], strlen(NAMED[i])) == 0) return strlen(NAMED[i]);
    if (p[0] == '#') {
        size_t n = 1;
        int hex = p[1] == 'x' || p[1] == 'X';
        if (hex) n++;
        size_t start = n;
        while (hex ? isxdigit((unsigned char)p[n]) : isdigit((unsigned char)p[n])) n++;
        if (n > start && p[n] == ';') return n + 1;
    }
    return 0;
}

/* Checks text (or an attribute value) of n bytes: every '&' starts an
 * entity, no '<' (in values) . */
static int check_text(page_check *pc, const char *doc, const char *s, size_t n, int in_value) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&' && !entity(s + i + 1)) return fail_at(pc, doc, s + i, "a bare '&'");
        if (in_value && s[i] == '<') return fail_at(pc, doc, s + i, "'<' in an attribute value");
    }
    return 0;
}

/* Checks one attribute for references outside the page. */
static int check_attribute(page_check *pc, const char *doc, const char *name, size_t nn, const char *v, size_t vn,
                           char ids[][96], int *n_ids) {
    if (nn >= 2 && strncasecmp(name, "on", 2) == 0) return fail_at(pc, doc, name, "an event handler attribute");
    if ((nn == 3 && strncasecmp(name, "src", 3) == 0) || (nn == 6 && strncasecmp(name, "srcset", 6) == 0) ||
        (nn == 6 && strncasecmp(name, "action", 6) == 0) || (nn == 6 && strncasecmp(name, "poster", 6) == 0))
        return fail_at(pc, doc, name, "an attribute that loads a resource");
    int href = (nn == 4 && strncasecmp(name, "href", 4) == 0) || (nn == 10 && strncasecmp(name, "xlink:href", 10) == 0);
    if (href && (vn < 2 || v[0] != '#')) return fail_at(pc, doc, name, "a link outside the page");
    for (size_t i = 0; i + 4 <= vn; i++)
        if (strncasecmp(v + i, "url(", 4) == 0 && (i + 4 >= vn || v[i + 4] != '#'))
            return fail_at(pc, doc, v + i, "url() outside the page");
    if (nn == 2 && strncasecmp(name, "id", 2) == 0) {
        char id[96];
        snprintf(id, sizeof id, "%.*s", (int)(vn < 95 ? vn : 95), v);
        for (int i = 0; i < *n_ids; i++)
            if (strcmp(ids[i], id) == 0) return fail_at(pc, doc, v, "a duplicate id");
        if (*n_ids < 4096) snprintf(ids[(*n_ids)++], 96, "%s", id);
    }
    return 0;
}

/* Parses the page strictly: a doctype, every element closed in order (void
 * elements excepted, self-closing tags only inside <svg>), every attribute
 * value quoted, entities well formed, valid UTF-8 without control bytes,
 * nothing that loads or runs anything, ids unique. Returns 0, or -1 with
 * the first problem in pc->why. */
static int check_page(const char *doc, size_t len, page_check *pc) {
    memset(pc, 0, sizeof *pc);
    int bad_line;
    if (!ts_utf8_valid(doc, len, &bad_line)) {
        snprintf(pc->why, sizeof pc->why, "line %d: invalid UTF-8", bad_line);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)doc[i];
        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
            return fail_at(pc, doc, doc + i, "a control byte");
        if (c == 0xc2 && i + 1 < len && (unsigned char)doc[i + 1] >= 0x80 && (unsigned char)doc[i + 1] <= 0x9f)
            return fail_at(pc, doc, doc + i, "a C1 control character");
    }
    if (strncmp(doc, "<!DOCTYPE html>", 15) != 0) return fail_at(pc, doc, doc, "no <!DOCTYPE html> first");
    static char ids[4096][96];
    int n_ids = 0;
    char stack[256][32];
    int depth = 0, svg_depth = 0;
    const char *p = doc + 15, *end = doc + len;
    while (p < end) {
        if (*p != '<') {
            const char *lt = memchr(p, '<', (size_t)(end - p));
            const char *stop = lt ? lt : end;
            if (check_text(pc, doc, p, (size_t)(stop - p), 0)) return -1;
            p = stop;
            continue;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p, "-->");
            if (!e) return fail_at(pc, doc, p, "an unclosed comment");
            p = e + 3;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t nn = 0;
        while (isalnum((unsigned char)name[nn]) || name[nn] == '-' || name[nn] == ':') nn++;
        if (nn == 0 || !isalpha((unsigned char)name[0])) return fail_at(pc, doc, p, "a '<' that starts no tag");
        if (in_list(name, nn, FORBIDDEN)) return fail_at(pc, doc, p, "an element that loads or runs something");
        const char *q = name + nn;
        if (closing) {
            while (*q == ' ') q++;
            if (*q != '>') return fail_at(pc, doc, p, "a malformed end tag");
            if (depth == 0 || strlen(stack[depth - 1]) != nn || strncmp(stack[depth - 1], name, nn) != 0)
                return fail_at(pc, doc, p, depth ? "an end tag that closes another element" : "an end tag too many");
            depth--;
            if (nn == 3 && strncmp(name, "svg", 3) == 0) svg_depth--;
            p = q + 1;
            continue;
        }
        /* attributes */
        int self_closing = 0;
        for (;;) {
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r') q++;
            if (*q == '>') break;
            if (q[0] == '/' && q[1] == '>') {
                self_closing = 1;
                q++;
                break;
            }
            const char *an = q;
            while (isalnum((unsigned char)*q) || *q == '-' || *q == ':' || *q == '_') q++;
            size_t an_len = (size_t)(q - an);
            if (!an_len) return fail_at(pc, doc, q, "a malformed attribute");
            const char *v = "";
            size_t vn = 0;
            if (*q == '=') {
                char quote = q[1];
                if (quote != '"' && quote != '\'') return fail_at(pc, doc, q, "an unquoted attribute value");
                v = q + 2;
                const char *close = strchr(v, quote);
                if (!close) return fail_at(pc, doc, q, "an unclosed attribute value");
                vn = (size_t)(close - v);
                if (check_text(pc, doc, v, vn, 1)) return -1;
                q = close + 1;
            }
            if (check_attribute(pc, doc, an, an_len, v, vn, ids, &n_ids)) return -1;
        }
        int is_void = in_list(name, nn, VOID_ELEMENTS);
        if (self_closing && !svg_depth && !is_void) return fail_at(pc, doc, p, "a self-closing tag outside SVG");
        if (nn == 3 && strncmp(name, "svg", 3) == 0) pc->svgs++, svg_depth++;
        if (nn == 7 && strncmp(name, "section", 7) == 0) pc->sections++;
        p = q + 1;
        if (self_closing || is_void) {
            if (nn == 3 && strncmp(name, "svg", 3) == 0) svg_depth--;
            continue;
        }
        if (depth == 256) return fail_at(pc, doc, p, "elements nested too deep");
        snprintf(stack[depth++], sizeof stack[0], "%.*s", (int)nn, name);
        if (nn == 5 && strncasecmp(name, "style", 5) == 0) { /* raw text up to </style> */
            const char *e = strstr(p, "</style>");
            if (!e) return fail_at(pc, doc, p, "an unclosed <style>");
            for (const char *s = p; s < e; s++)
                if ((strncasecmp(s, "url(", 4) == 0 && s[4] != '#') || strncasecmp(s, "@import", 7) == 0 ||
                    strncasecmp(s, "@font-face", 10) == 0)
                    return fail_at(pc, doc, s, "a style sheet that loads something");
            p = e;
        }
    }
    if (depth) {
        snprintf(pc->why, sizeof pc->why, "<%s> is never closed", stack[depth - 1]);
        return -1;
    }
    return 0;
}

/* Returns the first place of needle in s, ignoring ASCII case, or NULL. */
static const char *find_ci(const char *s, const char *needle) {
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0) return s;
    return NULL;
}

/* Fails unless the page passes check_page and holds none of the strings
 * that would reach outside it. */
static page_check assert_page(const char *html) {
    page_check pc;
    if (check_page(html, strlen(html), &pc)) fail_msg("the page is not well formed: %s", pc.why);
    static const char *const OUTSIDE[] = {"http:", "https:", "//", "src=", "<script", "javascript:", "@import", NULL};
    for (int i = 0; OUTSIDE[i]; i++) {
        const char *hit = find_ci(html, OUTSIDE[i]);
        if (hit) fail_msg("the page holds '%s': \"%.80s\"", OUTSIDE[i], hit > html + 30 ? hit - 30 : html);
    }
    return pc;
}

/* ---- the escaper and the inliner ------------------------------------------- */

static void expect_escape(const char *in, const char *want) {
    ts_buf b = {0};
    assert_int_equal(ts_html_escape(&b, in), 0);
    if (strcmp(b.data ? b.data : "", want) != 0) fail_msg("escape: got \"%s\", want \"%s\"", b.data, want);
    ts_buf_free(&b);
}

static void test_escape(void **state) {
    (void)state;
    expect_escape("<script>alert(\"x\")</script>", "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect_escape("Tom & Jerry's", "Tom &amp; Jerry&#39;s");
    expect_escape("&amp;", "&amp;amp;"); /* stored text is text, not markup */
    expect_escape("a\tb\nc\rd", "a b c d");
    expect_escape("bell\x07" "esc\x1b" "del\x7f", "bell\xef\xbf\xbd" "esc\xef\xbf\xbd" "del\xef\xbf\xbd");
    expect_escape("c1\xc2\x85", "c1\xef\xbf\xbd");                 /* U+0085 NEL */
    expect_escape("\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd");         /* not UTF-8 */
    expect_escape("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");         /* overlong '/' */
    expect_escape("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a surrogate */
    expect_escape("\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd");         /* cut short */
    expect_escape("\xd0\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd \xe2\x80\x94 \xf0\x9f\x8c\x8d",
                  "\xd0\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd \xe2\x80\x94 \xf0\x9f\x8c\x8d");
    expect_escape(NULL, "");
    ts_buf b = {0};
    ts_html_number(&b, 0.0 / 0.0, 2, 0);
    ts_buf_puts(&b, "|");
    ts_html_number(&b, -0.001, 2, 1);
    ts_buf_puts(&b, "|");
    ts_html_number(&b, 0.5, 2, 1);
    ts_buf_puts(&b, "|");
    ts_html_number(&b, -1.25, 1, 0);
    assert_string_equal(b.data, "\xe2\x80\x93|0.00|+0.50|\xe2\x88\x92" "1.2");
    ts_buf_free(&b);
}

static void test_svg_inline(void **state) {
    (void)state;
    static const char HOSTILE[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/x.dtd\">\n"
        "<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\""
        " xmlns:xlink=\"http://www.w3.org/1999/xlink\" onload=\"alert(1)\">\n"
        "<title>Gnuplot</title><desc>x</desc><!-- a comment -->\n"
        "<script type=\"text/javascript\"><![CDATA[ alert(2) ]]></script>\n"
        "<style>@import url(http://evil/x.css);</style>\n"
        "<defs><path id='gpPt1' d='M0,0'/><clipPath id=\"clip1\"><rect x='0'/></clipPath></defs>\n"
        "<use xlink:href='#gpPt1' x='1'/><use xlink:href='http://evil/x.svg#a'/><use href=\"data:image/png,x\"/>\n"
        "<g clip-path=\"url(#clip1)\" style=\"fill:url(http://evil/p)\" ONCLICK='x()'>\n"
        "<a xlink:href=\"http://evil\"><text>link</text></a>\n"
        "<image xlink:href=\"file:///etc/passwd\" width=\"5\"/>\n"
        "<foreignObject><div xmlns=\"http://www.w3.org/1999/xhtml\">html</div></foreignObject>\n"
        "<text x='1' y='2'>a &amp; b &lt;c&gt;</text><text>ctl\x01\xc2\x85\xff|\xd0\x9a</text></g>\n</svg>\n"
        "trailing junk <script>";
    ts_buf out = {0};
    ts_error err;
    assert_int_equal(ts_svg_inline(HOSTILE, sizeof HOSTILE - 1, "c7-", &out, &err), TS_OK);
    const char *s = out.data;
    assert_true(strncmp(s, "<svg", 4) == 0);
    static const char *const GONE[] = {"http", "//", "script", "alert", "onload", "ONCLICK", "onclick", "<title",
                                       "<desc", "comment", "CDATA", "<style", "@import", "<a ", "<image", "passwd",
                                       "foreignObject", "data:", "xmlns", "link</text>", "trailing", NULL};
    for (int i = 0; GONE[i]; i++)
        if (strstr(s, GONE[i])) fail_msg("'%s' survived: %s", GONE[i], s);
    static const char *const KEPT[] = {"id='c7-gpPt1'", "xlink:href='#c7-gpPt1'", "id=\"c7-clip1\"",
                                       "clip-path=\"url(#c7-clip1)\"", "viewBox=\"0 0 10 10\"", "a &amp; b &lt;c&gt;",
                                       "ctl\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xd0\x9a", NULL};
    for (int i = 0; KEPT[i]; i++)
        if (!strstr(s, KEPT[i])) fail_msg("'%s' is missing: %s", KEPT[i], s);
    /* it nests: wrapped in a page, the checker accepts it */
    ts_buf page = {0};
    ts_buf_printf(&page, "<!DOCTYPE html><html><body>%s</body></html>", s);
    page_check pc;
    if (check_page(page.data, page.len, &pc)) fail_msg("%s\n%s", pc.why, page.data);
    assert_int_equal(pc.svgs, 1);
    ts_buf_free(&page);
    ts_buf_free(&out);
    /* no svg, a cut svg, a bad prefix */
    ts_buf none = {0};
    assert_int_equal(ts_svg_inline("<html></html>", 13, "p", &none, &err), TS_EINPUT);
    assert_int_equal(ts_svg_inline("<svg><g>", 8, "p", &none, &err), TS_EINPUT);
    assert_int_equal(ts_svg_inline("<svg></svg>", 11, "a\"b", &none, &err), TS_EUSAGE);
    ts_buf_free(&none);
}

static void test_register(void **state) {
    (void)state;
    const char *path = tu_write("reg.md", "# Register\n\n### ONE-2024\n- Publisher: One. Title: First.\n- Address: x\n"
                                          "\n### TWO\nno dash line\n## Other heading\n- not an entry line\n"
                                          "### THREE.v2\r\n- Third\r\n");
    ts_register *reg;
    ts_error err;
    assert_int_equal(ts_register_load(path, &reg, &err), TS_OK);
    assert_int_equal(ts_register_count(reg), 3);
    assert_string_equal(ts_register_title(reg, "ONE-2024", 8), "Publisher: One. Title: First.");
    assert_string_equal(ts_register_title(reg, "TWO", 3), "");
    assert_string_equal(ts_register_title(reg, "THREE.v2", 8), "Third");
    assert_null(ts_register_title(reg, "ONE", 3));
    ts_register_free(reg);
    assert_int_equal(ts_register_load(tu_path("absent.md"), &reg, &err), TS_EINPUT);
    assert_null(reg);
    const char *text = "[ONE-2024] p. 3; [bad key] [TWO][THREE.v2] [x", *key;
    size_t pos = 0, n;
    const char *want[] = {"ONE-2024", "TWO", "THREE.v2"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_register_next_key(text, &pos, &key, &n), 1);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(key, want[i], n);
    }
    assert_int_equal(ts_register_next_key(text, &pos, &key, &n), 0);
}

/* ---- the shipped scenarios ---------------------------------------------------- */

/* The store of the README's main job: every scenario, the baseline per
 * year, an analysis with Sobol' indices (small). Built once. */
static const char *shipped_db(void) {
    static char path[512];
    if (path[0]) return path;
    snprintf(path, sizeof path, "%s", tu_path("shipped.db"));
    char *out, *err;
    if (tu_run(&out, &err, "batch", "scenarios", "--db", path, NULL) != 0) fail_msg("batch: %s", err);
    free(out), free(err);
    if (tu_run(&out, &err, "trend", "scenarios/baseline.cfg", "--db", path, NULL) != 0) fail_msg("trend: %s", err);
    free(out), free(err);
    if (tu_run(&out, &err, "uncertainty", "scenarios/baseline.cfg", "--sobol", "-N", "64", "--db", path, NULL) != 0)
        fail_msg("uncertainty: %s", err);
    free(out), free(err);
    return path;
}

/* Writes the report of db with the extra arguments into name; returns the
 * page (malloc'd). */
static char *report(const char *db, const char *name, const char *a1, const char *a2, const char *a3, const char *a4) {
    const char *out_path = tu_path(name);
    char *out, *err;
    int rc = tu_run(&out, &err, "report", "--db", db, "-o", out_path, a1, a2, a3, a4, NULL);
    if (rc != 0) fail_msg("report exit %d: %s", rc, err);
    free(out), free(err);
    return tu_slurp(out_path, NULL);
}

typedef struct source_ctx {
    const char *html;
    int checked, missing;
    char first_missing[300];
} source_ctx;

static int check_source(const ts_stored_input *in, void *vctx) {
    source_ctx *x = vctx;
    if (!in->source) return 0;
    /* the page shows the text around its [KEY] citations, each escaped */
    ts_buf esc = {0};
    size_t pos = 0, n, done = 0;
    const char *key;
    int ok = 1;
    while (ts_register_next_key(in->source, &pos, &key, &n)) {
        ts_buf part = {0};
        ts_buf_append(&part, key, n);
        ts_html_escape(&esc, part.data);
        ok = ok && strstr(x->html, esc.data) != NULL;
        esc.len = 0;
        ts_buf_free(&part);
        done = pos;
    }
    ts_html_escape(&esc, in->source + done);
    ok = ok && (esc.len == 0 || strstr(x->html, esc.data) != NULL);
    x->checked++;
    if (!ok && x->missing++ == 0) snprintf(x->first_missing, sizeof x->first_missing, "%s", in->source);
    ts_buf_free(&esc);
    return 0;
}

static void test_report_shipped(void **state) {
    (void)state;
    const char *db = shipped_db();
    char *html = report(db, "brief.html", NULL, NULL, NULL, NULL);
    page_check pc = assert_page(html);
    assert_int_equal(pc.sections, 7);
    /* ranking, compare, contributions, uncertainty, sensitivity, trend */
    assert_int_equal(pc.svgs, 6);
    static const char *const IDS[] = {"id=\"ranking\"", "id=\"scenarios\"", "id=\"countries\"", "id=\"certainty\"",
                                      "id=\"trend\"", "id=\"values\"", "id=\"provenance\"", "@page{size:A4",
                                      "@media print", "break-before:page", NULL};
    for (int i = 0; IDS[i]; i++)
        if (!strstr(html, IDS[i])) fail_msg("no %s", IDS[i]);
    /* the reference is the baseline (the others extend it), every scenario compared */
    assert_non_null(strstr(html, "Scenario <b>Baseline</b>"));
    assert_non_null(strstr(html, "7 scenarios compared with it"));
    static const char *const UNITS[] = {"Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan",
                                        "KAZ", "KGZ", "TJK", "TKM", "UZB", NULL};
    for (int i = 0; UNITS[i]; i++)
        if (!strstr(html, UNITS[i])) fail_msg("unit %s is missing", UNITS[i]);
    static const char *const SCENARIOS[] = {"Afghan spill-over escalation", "Aral and ecological crisis",
                                            "Colour-revolution wave", "Economic shock: remittance collapse",
                                            "Inward-looking perspective", "Neutrality as lack of alliance",
                                            "Outward-looking perspective", NULL};
    for (int i = 0; SCENARIOS[i]; i++)
        if (!strstr(html, SCENARIOS[i])) fail_msg("scenario %s is missing", SCENARIOS[i]);
    /* every source of every value of the baseline, and the register's titles */
    ts_store *st;
    ts_error err;
    assert_int_equal(ts_store_open_readonly(db, &st, &err), TS_OK);
    long long id;
    assert_int_equal(ts_store_resolve_run(st, "Baseline", &id, &err), TS_OK);
    source_ctx x = {html, 0, 0, ""};
    assert_int_equal(ts_store_each_input(st, id, check_source, &x, &err), TS_OK);
    ts_store_close(st);
    assert_true(x.checked > 200);
    if (x.missing) fail_msg("%d of %d sources are not in the page, e.g. \"%s\"", x.missing, x.checked, x.first_missing);
    assert_non_null(strstr(html, "Publisher: The Fund for Peace. Title: Fragile States Index 2023"));
    assert_null(strstr(html, "not in the register"));
    /* flags, alternatives, carried-forward years, the analysis and the trend */
    static const char *const SHOWN[] = {"flag est\">estimate", "flag alt\">alternatives", "[DAWN-2022-01-16]",
                                        "Uncertainty analysis 1 of <b>Baseline</b>", "Rank band", "2022", "2025",
                                        "Largest contributions", "Inputs / weights changed", "sha256 ", "run key",
                                        "normalise: minmax", "Risk classes of the index", NULL};
    for (int i = 0; SHOWN[i]; i++)
        if (!strstr(html, SHOWN[i])) fail_msg("'%s' is not shown", SHOWN[i]);
    free(html);
}

/* ---- a fixture with hostile names ------------------------------------------- */

static const char TAXONOMY[] =
    "id = \"idx\"; name = \"Fixture index\";\n"
    "scale = { min = 0.0; max = 10.0; };\n"
    "classes = ( { name = \"Low\"; }, { name = \"High\"; min = 5.0; } );\n"
    "children = (\n"
    "  { id = \"d1\"; name = \"Dimension one\"; children = (\n"
    "      { id = \"x1\"; name = \"Ex one\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
    "      { id = \"x2\"; name = \"Ex two\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } ); },\n"
    "  { id = \"d2\"; name = \"Dimension two\"; children = (\n"
    "      { id = \"y1\"; name = \"Why one\"; direction = \"protective\"; goalposts = [0.0, 10.0]; } ); }\n"
    ");\n";

static const char BASE[] =
    "name = \"Base\";\ntaxonomy = \"rtax.cfg\";\n"
    "units = ( { id = \"U1\"; name = \"Unit one\"; }, { id = \"U2\"; name = \"Unit two\"; }, { id = \"U3\"; name = \"Unit three\"; } );\n"
    "data = (\n"
    "  { indicator = \"x1\"; year = 2024; source = \"[REG-A] table 1\"; values = { U1 = 8; U2 = 3; U3 = 5; }; },\n"
    "  { indicator = \"x2\"; year = 2024; source = \"[REG-B]\"; values = { U1 = 4;\n"
    "      U2 = { value = 6; estimate = true; note = \"worked out\"; alternatives = ( { value = 7; year = 2023; source = \"[REG-A]\"; } ); };\n"
    "      U3 = 2; }; },\n"
    "  { indicator = \"y1\"; year = 2023; source = \"[REG-B] p. 2\"; values = { U1 = 6; U2 = 7; }; }\n"
    ");\n";

static const char SHOCK[] =
    "name = \"Shock\";\nextends = \"rbase.cfg\";\n"
    "shocks = ( { indicator = \"x1\"; countries = [ \"U3\" ]; add = 4.0; note = \"a shock\"; } );\n";

static const char REGISTER[] = "# reg\n### REG-A\n- Publisher: A. Title: Alpha.\n### REG-B\n- Publisher: B. Title: Beta.\n";

/* A store of Base and Shock (which extends it) in the scratch directory,
 * with SOURCES.md beside them; with_ua adds an analysis of Base. */
static const char *fixture_db(const char *name, int with_ua, int with_shock) {
    tu_write("rtax.cfg", TAXONOMY);
    tu_write("SOURCES.md", REGISTER);
    const char *base = tu_write("rbase.cfg", BASE);
    char base_path[512], shock_path[512];
    snprintf(base_path, sizeof base_path, "%s", base);
    snprintf(shock_path, sizeof shock_path, "%s", tu_write("rshock.cfg", SHOCK));
    static char db[512];
    snprintf(db, sizeof db, "%s", tu_path(name));
    remove(db);
    char *out, *err;
    int rc = with_shock ? tu_run(&out, &err, "batch", base_path, shock_path, "--db", db, NULL)
                        : tu_run(&out, &err, "batch", base_path, "--db", db, NULL);
    if (rc != 0) fail_msg("batch: %s", err);
    free(out), free(err);
    if (with_ua) {
        if (tu_run(&out, &err, "uncertainty", base_path, "-N", "32", "--vary", "weights=0.25", "--vary",
                   "aggregate=arithmetic,geometric", "--sobol", "--bootstrap", "10", "--db", db, NULL) != 0)
            fail_msg("uncertainty: %s", err);
        free(out), free(err);
    }
    return db;
}

static void test_report_fixture(void **state) {
    (void)state;
    const char *db = fixture_db("fixture.db", 0, 1);
    char *html = report(db, "fixture.html", "--no-charts", NULL, NULL, NULL);
    page_check pc = assert_page(html);
    assert_int_equal(pc.svgs, 0);
    assert_non_null(strstr(html, "The ranking chart is not drawn"));
    assert_non_null(strstr(html, "Scenario <b>Base</b>"));
    assert_non_null(strstr(html, "1 scenario compared with it"));
    /* no analysis, no per-year runs: said so */
    assert_non_null(strstr(html, "No uncertainty analysis of the scenario <b>Base</b> is stored"));
    assert_non_null(strstr(html, "No per-year runs of <b>Base</b> are stored"));
    /* the register beside the scenario files, the shock, the estimate, the alternative */
    assert_non_null(strstr(html, "Publisher: A. Title: Alpha."));
    assert_non_null(strstr(html, "Publisher: B. Title: Beta."));
    assert_non_null(strstr(html, "flag shk\">shocked"));
    assert_non_null(strstr(html, "worked out"));
    assert_non_null(strstr(html, "flag alt\">alternatives</span> 7 (2023) <b>[REG-A]</b>"));
    /* U3 has no y1: missing, not zero */
    assert_non_null(strstr(html, "Why one"));
    free(html);
    /* --run Shock: the report is about Shock, against Base */
    html = report(db, "fixture-shock.html", "--run", "Shock", "--no-charts", NULL);
    assert_page(html);
    assert_non_null(strstr(html, "Scenario <b>Shock</b>"));
    assert_non_null(strstr(html, "against the reference <b>Base</b>"));
    free(html);
    /* --reference Shock: Base is compared with Shock */
    html = report(db, "fixture-ref.html", "--reference", "Shock", "--no-charts", NULL);
    assert_page(html);
    assert_non_null(strstr(html, "Scenario <b>Shock</b>"));
    assert_non_null(strstr(html, "1 scenario compared with it"));
    free(html);
    /* an analysis of Base: rank bands */
    db = fixture_db("fixture-ua.db", 1, 1);
    html = report(db, "fixture-ua.html", "--no-charts", NULL, NULL, NULL);
    assert_page(html);
    assert_non_null(strstr(html, "Uncertainty analysis 1 of <b>Base</b>: 32 base samples"));
    assert_non_null(strstr(html, "Most influential (total-order Sobol' index)"));
    free(html);
    /* one run only: a report without comparisons */
    db = fixture_db("fixture-one.db", 0, 0);
    html = report(db, "fixture-one.html", "--no-charts", NULL, NULL, NULL);
    assert_page(html);
    assert_non_null(strstr(html, "there is nothing to compare"));
    free(html);
}

static void test_report_hostile(void **state) {
    (void)state;
    const char *db = fixture_db("hostile.db", 1, 1);
    /* what a store may hold: markup, quotes, ampersands, control bytes,
     * bytes that are not UTF-8 */
    static const char EVIL[] = "'<script>alert(\"x\")</script> & ''q'' <b>' || char(1) || char(27) || char(133) ||"
                               " CAST(X'FFC0AFEDA080' AS TEXT) || ' </td></table>'";
    char sql[8192];
    snprintf(sql, sizeof sql,
             "UPDATE runs SET scenario = %s || scenario;"
             "UPDATE units SET name = %s || name;"
             "UPDATE nodes SET name = %s || name, unit_of_measure = %s;"
             "UPDATE scores SET class = %s || class WHERE class IS NOT NULL;"
             "UPDATE inputs SET source = %s || coalesce(source, ''), note = %s, shock = CASE WHEN shock IS NULL"
             " THEN NULL ELSE %s END;"
             "UPDATE input_details SET alternatives_json = '[{\"value\":7,\"year\":2023,\"source\":\"<script>\\u0001\"}]'"
             " WHERE alternatives_json IS NOT NULL;"
             "UPDATE ua_runs SET scenario = %s || scenario, seed = %s;"
             "UPDATE ua_sobol SET factor = %s || factor;",
             EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL, EVIL);
    tu_sql_exec(db, sql);
    char *out, *err;
    const char *path = tu_path("hostile.html");
    int rc = tu_run(&out, &err, "report", "--db", db, "-o", path, "--reference", "1", NULL);
    if (rc != 0) fail_msg("report exit %d: %s", rc, err);
    free(out), free(err);
    char *html = tu_slurp(path, NULL);
    page_check pc = assert_page(html); /* valid UTF-8, no control byte, no <script */
    assert_true(pc.svgs >= 2);
    assert_null(strstr(html, "<b>&#39;"));
    assert_null(strstr(html, "</td></table>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &lt;b&gt;"));
    assert_non_null(strstr(html, "\xef\xbf\xbd"));
    free(html);
}

static void test_report_errors(void **state) {
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run(&out, &err, "report", "-o", tu_path("x.html"), NULL), 2);
    assert_non_null(strstr(err, "needs --db"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "report", "--db", fixture_db("err.db", 0, 1), NULL), 2);
    assert_non_null(strstr(err, "needs -o"));
    free(out), free(err);
    const char *db = fixture_db("err.db", 0, 1), *path = tu_path("never.html");
    remove(path);
    assert_int_equal(tu_run(&out, &err, "report", "--db", db, "--run", "Shokc", "-o", path, NULL), 1);
    assert_non_null(strstr(err, "did you mean 'Shock'"));
    free(out), free(err);
    assert_int_equal(tu_run(&out, &err, "report", "--db", tu_path("absent.db"), "-o", path, NULL), 1);
    free(out), free(err);
    assert_int_equal(access(path, F_OK), -1); /* nothing written on failure */
    /* a gnuplot that cannot run: the page says so, a warning, exit 0 */
    setenv("TS_GNUPLOT", "/nonexistent/gnuplot", 1);
    assert_int_equal(tu_run(&out, &err, "report", "--db", db, "-o", path, NULL), 0);
    unsetenv("TS_GNUPLOT");
    assert_non_null(strstr(err, "warning: ranking chart not drawn"));
    free(out), free(err);
    char *html = tu_slurp(path, NULL);
    assert_page(html);
    assert_non_null(strstr(html, "The ranking chart could not be drawn"));
    free(html);
    assert_int_equal(tu_run(&out, &err, "report", "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: threatscore report"));
    free(out), free(err);
}

/* ---- a real browser -------------------------------------------------------- */

/* Returns 1 when program is on PATH. */
static int have(const char *program) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", program);
    return system(cmd) == 0;
}

/* Runs headless Chromium on page with the extra flag (print or screenshot)
 * in a fresh profile; fails when it does not exit 0. */
static void chromium(const char *page, const char *flag) {
    char profile[600], cmd[4096];
    snprintf(profile, sizeof profile, "%s/chromium-profile-XXXXXX", tu_dir());
    if (!mkdtemp(profile)) fail_msg("mkdtemp");
    snprintf(cmd, sizeof cmd,
             "timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
             " --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage"
             " --user-data-dir='%s' --no-pdf-header-footer --window-size=1240,1754 %s 'file://%s'"
             " >'%s/chromium.log' 2>&1",
             profile, flag, page, tu_dir());
    int rc = system(cmd);
    if (rc != 0) {
        char log[600];
        snprintf(log, sizeof log, "%s/chromium.log", tu_dir());
        size_t n;
        char *text = ts_read_file(log, &n);
        fail_msg("chromium failed (%d): %s", rc, text ? text : "");
    }
}

static long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static void test_report_in_browser(void **state) {
    (void)state;
    if (!have("chromium") || !have("pdfinfo")) {
        const char *allow = getenv("TS_ALLOW_SKIP");
        if (allow && strcmp(allow, "1") == 0) {
            printf("chromium or pdfinfo missing: skipped (TS_ALLOW_SKIP=1)\n");
            skip();
        }
        fail_msg("headless Chromium (Debian package chromium) and pdfinfo (poppler-utils) are needed to print the"
                 " report; scripts/install-deps --test installs them, or set TS_ALLOW_SKIP=1 to skip");
    }
    const char *db = shipped_db();
    char page[512], pdf[560], png[560], flag[700];
    snprintf(page, sizeof page, "%s/browser.html", tu_dir());
    char *html = report(db, "browser.html", NULL, NULL, NULL, NULL);
    free(html);
    snprintf(pdf, sizeof pdf, "%s/brief.pdf", tu_dir());
    snprintf(png, sizeof png, "%s/brief.png", tu_dir());
    snprintf(flag, sizeof flag, "--print-to-pdf='%s'", pdf);
    chromium(page, flag);
    snprintf(flag, sizeof flag, "--screenshot='%s'", png);
    chromium(page, flag);
    /* the PDF: one page or more per section, and not blank */
    long pdf_size = file_size(pdf), png_size = file_size(png);
    if (pdf_size < 100 * 1024) fail_msg("the PDF has %ld bytes", pdf_size);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "pdfinfo '%s'", pdf);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256];
    int pages = 0;
    while (fgets(line, sizeof line, p))
        if (strncmp(line, "Pages:", 6) == 0) pages = atoi(line + 6);
    pclose(p);
    if (pages < 8) fail_msg("the PDF has %d pages (the header and 7 sections, each on its own)", pages);
    /* the screenshot: a PNG of the window's size, with a picture in it */
    if (png_size < 50 * 1024) fail_msg("the screenshot has %ld bytes", png_size);
    FILE *f = fopen(png, "rb");
    unsigned char head[24];
    assert_non_null(f);
    assert_int_equal(fread(head, 1, 24, f), 24);
    fclose(f);
    assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
    unsigned w = (unsigned)head[16] << 24 | (unsigned)head[17] << 16 | (unsigned)head[18] << 8 | head[19];
    unsigned h = (unsigned)head[20] << 24 | (unsigned)head[21] << 16 | (unsigned)head[22] << 8 | head[23];
    assert_int_equal(w, 1240);
    assert_int_equal(h, 1754);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),          cmocka_unit_test(test_svg_inline),
        cmocka_unit_test(test_register),        cmocka_unit_test(test_report_shipped),
        cmocka_unit_test(test_report_fixture),  cmocka_unit_test(test_report_hostile),
        cmocka_unit_test(test_report_errors),   cmocka_unit_test(test_report_in_browser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
