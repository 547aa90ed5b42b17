/* test_csv.c -- wide CSV input: quoting, line endings, encodings, missing
 * markers and every kind of malformed file. */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "pipeline.h"
#include "scenario.h"
#include "util.h"

#define EPS 1e-12

static ts_scenario *from_csv(const char *csv, const ts_csv_options *opt, ts_error *err) {
    const char *tax = tu_write("tax.cfg", FIX_TAXONOMY);
    ts_scenario *made = NULL;
    ts_scenario_from_csv(tax, tu_write("data.csv", csv), opt, &made, err);
    return made;
}

static void test_csv_scores_like_the_scenario(void **state) {
    (void)state;
    ts_error err;
    ts_csv_options opt = {"id", "name", NULL, TS_ENC_AUTO};
    ts_scenario *s = from_csv(FIX_CSV, &opt, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    ts_result *r = NULL;
    ts_score(s, &r, &err);
    assert_non_null(r);
    int root = ts_taxonomy_root(s->tax);
    assert_float_equal(ts_result_score(r, root, 0), 1.5, EPS);
    assert_float_equal(ts_result_score(r, root, 1), 9.125, EPS);
    assert_float_equal(ts_result_score(r, root, 2), 4.375, EPS);
    assert_string_equal(s->data->unit_name[0], "Pe");
    assert_int_equal(s->data->unit_line[2], 4);
    assert_int_equal(strlen(s->data_sha256), 64);
    ts_result_free(r);
    ts_scenario_free(s);
}

static void test_quotes_crlf_bom(void **state) {
    (void)state;
    const char csv[] = "\xef\xbb\xbfid,name,x1,x2,Y one,y2\r\n"
                       "P,\"Pe, \"\"the first\"\"\",2,10,50,1\r\n"
                       "\r\n"
                       "Q,\"multi\nline\",8,20,100,3\r\n"
                       "R,R,5,30,,2";
    ts_error err;
    ts_scenario *s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_AUTO}, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, 3);
    assert_string_equal(s->data->unit_id[0], "P");
    assert_string_equal(s->data->unit_name[0], "Pe, \"the first\"");
    assert_string_equal(s->data->unit_name[1], "multi\nline");
    assert_int_equal(s->data->unit_line[2], 6);
    assert_true(isnan(ts_dataset_get(s->data, 2, 2)));
    ts_scenario_free(s);
}

static void test_latin1_names(void **state) {
    (void)state;
    const char csv[] = "id,name,x1,x2,Y one,y2\nP,C\xf4te d'Ivoire,2,10,50,1\nQ,Q,8,20,100,3\n";
    ts_error err;
    ts_scenario *s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_AUTO}, &err);
    assert_non_null(s);
    assert_string_equal(s->data->unit_name[0], "C\xc3\xb4te d'Ivoire");
    ts_scenario_free(s);
    s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_LATIN1}, &err);
    assert_non_null(s);
    assert_string_equal(s->data->unit_name[0], "C\xc3\xb4te d'Ivoire");
    ts_scenario_free(s);
    s = from_csv(csv, &(ts_csv_options){NULL, "name", NULL, TS_ENC_UTF8}, &err);
    assert_null(s);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "not valid UTF-8"));
}

static void test_missing_markers(void **state) {
    (void)state;
    const char csv[] = "id,x1,x2,Y one,y2\nP,2,10,-,1\nQ,8,20,100,3\nR,5,30,50,2\n";
    ts_error err;
    ts_scenario *s = from_csv(csv, NULL, &err);
    assert_null(s); /* '-' is not a default marker */
    assert_non_null(strstr(err.message, "'-' is not a number"));
    const char *markers[] = {"-", NULL};
    s = from_csv(csv, &(ts_csv_options){NULL, NULL, markers, TS_ENC_AUTO}, &err);
    assert_non_null(s);
    assert_true(isnan(ts_dataset_get(s->data, 2, 0)));
    ts_scenario_free(s);
}

typedef struct bad_case {
    const char *csv;
    const char *expect;
} bad_case;

static const bad_case BAD[] = {
    {"id,x1,x2,Y_one,y2\nP,1,2,3,4\n", "data.csv:1: indicator 'y1' (", },
    {"id,x1,x2,Y one,y2\nP,1,2,3,4\nQ,abc,2,3,4\n", "data.csv:3: column 'x1', unit 'Q': 'abc' is not a number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,inf\n", "data.csv:2: column 'y2', unit 'P': 'inf' is not a number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,1e999\n", "data.csv:2: column 'y2', unit 'P': '1e999' is not a finite number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,0x10\n", "data.csv:2: column 'y2', unit 'P': '0x10' is not a number"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,4\nQ,1,2,3,4\nP,5,6,7,8\n", "data.csv:4: duplicate unit 'P' (first on line 2)"},
    {"id,x1,x2,Y one,y2\nP,1,2,3\n", "data.csv:2: 4 fields where the header has 5"},
    {"id,x1,x2,Y one,y2\nP,1,2,3,\"4\n", "data.csv:2: unterminated quoted field"},
    {"id,x1,x2,Y one,y2\nP,1,2,\"3\"x,4\n", "data.csv:2: unexpected character after a closing quote"},
    {"", "data.csv: empty file"},
    {"id,x1,x2,Y one,y2\n", "data.csv:1: no data rows"},
    {"id,x1,x2,Y one,y2,x1\nP,1,2,3,4,5\n", "data.csv:1: column 'x1' appears twice"},
    {"id,x1,x2,Y one,y2\n`id`,1,2,3,4\n", "data.csv:2: invalid unit id '`id`'"},
};

static void test_bad_csv(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        ts_error err;
        ts_error_clear(&err);
        ts_scenario *s = from_csv(BAD[i].csv, NULL, &err);
        char msg[2048];
        ts_error_format(&err, msg, sizeof msg);
        if (s || !strstr(msg, BAD[i].expect))
            fail_msg("case %zu: expected '%s', got '%s'", i, BAD[i].expect, s ? "success" : msg);
        assert_int_equal(err.code, TS_EINPUT);
    }
    /* a NUL byte */
    ts_error err;
    const char nul[] = "id,x1,x2,Y one,y2\nP,1,2\0,3,4\n";
    tu_write("tax.cfg", FIX_TAXONOMY);
    ts_scenario *s = NULL;
    ts_scenario_from_csv(tu_path("tax.cfg"), tu_write_bytes("nul.csv", nul, sizeof nul - 1), NULL, &s, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "NUL byte"));
    /* unit column that does not exist */
    s = from_csv(FIX_CSV, &(ts_csv_options){"ids", NULL, NULL, TS_ENC_AUTO}, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "no unit column 'ids' (did you mean 'id'?)"));
}

/* The INFORM export (tests/data) is Latin-1: reading it must neither crash
 * nor corrupt names. */
static void test_inform_latin1_export(void **state) {
    (void)state;
    const char *path = TU_DATA "/inform/inform_gri_2020_v040.csv";
    tu_need(path);
    const char *tax = tu_write("inform_small.cfg",
                               "id = \"i\"; scale = { min = 0.0; max = 10.0; };\n"
                               "children = ( { id = \"eq\"; column = \"Earthquake\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
                               "  { id = \"fl\"; column = \"Flood\"; direction = \"risk\"; goalposts = [0.0, 10.0]; } );\n");
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_from_csv(tax, path, &(ts_csv_options){"ISO3", "COUNTRY", NULL, TS_ENC_AUTO}, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, 191);
    int civ = ts_dataset_find_unit(s->data, "CIV");
    assert_true(civ >= 0);
    assert_string_equal(s->data->unit_name[civ], "C\xc3\xb4te d'Ivoire");
    ts_scenario_free(s);
}

/* ---- the reader's fast paths ----------------------------------------------
 * Fields are read where they lie in the read window (copied only when a
 * quoted field holds doubled quotes), markers are compared by length
 * first and short decimals skip strtod (Clinger's fast path). A file of
 * several windows, with names long enough to cross and grow the window,
 * must read exactly as strtod and a plain reading say, from a regular
 * file and from a FIFO (read whole into memory). */

enum { WIDE_INDICATORS = 8, WIDE_ROWS = 4000 };

/* Returns the next number of a 64-bit LCG, top bits (deterministic data). */
static uint64_t lcg(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 11;
}

/* Texts at the edges of the fast path and past them (strtod decides). */
static const char *const EDGE_NUMBERS[] = {
    "9007199254740992", "9007199254740993", "9007199254740991", "-9007199254740993", "1e22", "1e23",
    "1e-22", "1e-23", "4.35", "0.1", "0.3", "-0", "-0.0", "+0", ".5", "5.", "-.5e-3", "1E+05", "7e0",
    "123456789012345678e-22", "1234567890123456789", "12345678901234567890", "0.000001e-16",
    "00000000000000000000001.5", "0.0000000000000000000000001", "3.14159265358979323846", "2.5e-5",
    "1e100", "1e-100", "8.9884656743115795e99", "0e999", "1.000000000000000055511151231257827e0",
    "4503599627370497.5", "9007199254740993e-1", "1e0022", "1e-0022", "1e00022",
};

/* Writes into out a decimal text: random digits (1 to 25, some leading
 * zeros), a point somewhere or none, a sign or none and an exponent or
 * none, so both sides of the fast path's limits come up; or an edge. */
static void random_decimal(uint64_t *st, char *out, size_t size) {
    if (lcg(st) % 10 == 0) {
        snprintf(out, size, "%s", EDGE_NUMBERS[lcg(st) % (sizeof EDGE_NUMBERS / sizeof *EDGE_NUMBERS)]);
        return;
    }
    size_t n = 0;
    int sign = (int)(lcg(st) % 4);
    if (sign == 1) out[n++] = '-';
    if (sign == 2) out[n++] = '+';
    int digits = 1 + (int)(lcg(st) % (lcg(st) % 2 ? 8 : 25));
    int point = (int)(lcg(st) % (unsigned)(digits + 2)) - 1; /* -1: none */
    for (int i = 0; i < digits; i++) {
        if (i == point) out[n++] = '.';
        out[n++] = (char)('0' + lcg(st) % 10);
    }
    if (point == digits) out[n++] = '.';
    if (lcg(st) % 3 == 0)
        n += (size_t)snprintf(out + n, size - n, "%c%s%d", lcg(st) % 2 ? 'e' : 'E',
                              lcg(st) % 2 ? "-" : (lcg(st) % 2 ? "+" : ""), (int)(lcg(st) % 45));
    out[n] = '\0';
}

typedef struct wide_file {
    ts_buf csv;
    double want[WIDE_ROWS][WIDE_INDICATORS]; /* NaN: a marker */
    char *name[WIDE_ROWS];
    int line[WIDE_ROWS];
} wide_file;

/* Fills w with a CSV of WIDE_ROWS rows and what reading it must give. */
static void make_wide_file(wide_file *w) {
    static const char *const MARKERS[] = {"", "NA", "na", "N/A", "n/a", "x", "X", " NA ", "\tx"};
    uint64_t st = 15;
    int line = 1;
    ts_buf_puts(&w->csv, "id,name");
    for (int i = 0; i < WIDE_INDICATORS; i++) ts_buf_printf(&w->csv, ",n%d", i);
    ts_buf_puts(&w->csv, "\n");
    for (int u = 0; u < WIDE_ROWS; u++) {
        line++;
        w->line[u] = line;
        ts_buf name = {0}, quoted = {0};
        /* every 500th name is longer than the window: it must grow */
        size_t len = u % 500 == 7 ? 70000 + (size_t)u : (size_t)(lcg(&st) % 40);
        ts_buf_printf(&name, "N%d", u);
        for (size_t k = 0; k < len; k++) {
            static const char ALPHABET[] = "ab, \"\nz";
            char c = ALPHABET[lcg(&st) % (sizeof ALPHABET - 1)];
            ts_buf_append(&name, &c, 1);
        }
        ts_buf_puts(&name, "e");
        int quote = lcg(&st) % 2 || strpbrk(name.data, ",\"\n");
        for (const char *q = name.data; *q; q++) {
            if (*q == '"') ts_buf_puts(&quoted, "\"");
            if (*q == '\n') line++;
            ts_buf_append(&quoted, q, 1);
        }
        ts_buf_printf(&w->csv, "U%d,%s%s%s", u, quote ? "\"" : "", quoted.data, quote ? "\"" : "");
        w->name[u] = name.data;
        ts_buf_free(&quoted);
        for (int i = 0; i < WIDE_INDICATORS; i++) {
            char text[64];
            if (lcg(&st) % 8 == 0) {
                ts_buf_printf(&w->csv, ",%s", MARKERS[lcg(&st) % (sizeof MARKERS / sizeof *MARKERS)]);
                w->want[u][i] = NAN;
                continue;
            }
            random_decimal(&st, text, sizeof text);
            w->want[u][i] = strtod(text, NULL);
            int form = (int)(lcg(&st) % 8);
            ts_buf_printf(&w->csv, form == 0 ? ",\"%s\"" : form == 1 ? ", %s\t" : ",%s", text);
        }
        ts_buf_puts(&w->csv, lcg(&st) % 4 ? "\n" : "\r\n");
    }
    assert_false(w->csv.oom);
}

/* Fails unless the scenario read from path holds what w says. */
static void check_wide_read(const wide_file *w, const char *tax, const char *path) {
    ts_error err;
    ts_scenario *s = NULL;
    ts_scenario_from_csv(tax, path, &(ts_csv_options){NULL, "name", NULL, TS_ENC_UTF8}, &s, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_int_equal(s->data->n_units, WIDE_ROWS);
    for (int u = 0; u < WIDE_ROWS; u++) {
        if (strcmp(s->data->unit_name[u], w->name[u]) != 0) fail_msg("row %d: name differs", u);
        assert_int_equal(s->data->unit_line[u], w->line[u]);
        for (int i = 0; i < WIDE_INDICATORS; i++) {
            int col = atoi(s->tax->nodes[s->tax->indicator_node[i]].id + 1); /* n<col> */
            double got = ts_dataset_get(s->data, i, u), want = w->want[u][col];
            if (isnan(want) ? !isnan(got) : memcmp(&got, &want, sizeof got) != 0)
                fail_msg("row %d, n%d: read %a, strtod %a", u, col, got, want);
        }
    }
    ts_scenario_free(s);
}

static void test_wide_file_reads_like_strtod(void **state) {
    (void)state;
    ts_buf tax = {0};
    ts_buf_puts(&tax, "id = \"w\"; scale = { min = 0.0; max = 10.0; };\nchildren = (\n");
    for (int i = 0; i < WIDE_INDICATORS; i++)
        ts_buf_printf(&tax, "  { id = \"n%d\"; direction = \"risk\"; }%s\n", i, i < WIDE_INDICATORS - 1 ? "," : "");
    ts_buf_puts(&tax, ");\n");
    const char *tax_path = tu_write("wide.cfg", tax.data);
    ts_buf_free(&tax);
    wide_file *w = calloc(1, sizeof *w);
    assert_non_null(w);
    make_wide_file(w);
    assert_true(w->csv.len > 4 * 65536);
    check_wide_read(w, tax_path, tu_write("wide.csv", w->csv.data));
    /* a FIFO is read whole into memory: one window, never written to */
    const char *fifo = tu_path("wide.fifo");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(fifo, O_WRONLY);
        size_t done = 0;
        while (fd >= 0 && done < w->csv.len) {
            ssize_t n = write(fd, w->csv.data + done, w->csv.len - done);
            if (n <= 0) _exit(1);
            done += (size_t)n;
        }
        _exit(fd >= 0 ? 0 : 1);
    }
    check_wide_read(w, tax_path, fifo);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int u = 0; u < WIDE_ROWS; u++) free(w->name[u]);
    ts_buf_free(&w->csv);
    free(w);
}

/* Markers are matched whole, ignoring ASCII case, whatever they look like;
 * a text as long as a marker but different is still a number or an error. */
static void test_markers_by_length(void **state) {
    (void)state;
    const char *markers[] = {"-999", "n.a.", NULL};
    ts_csv_options opt = {NULL, NULL, markers, TS_ENC_AUTO};
    ts_error err;
    ts_scenario *s = from_csv("id,x1,x2,Y one,y2\nP,-999,N.A.,-999.0,-998\nQ,n.a.,1,2,3\n", &opt, &err);
    if (!s) fail_msg("%s:%d: %s", err.file, err.line, err.message);
    assert_true(isnan(ts_dataset_get(s->data, 0, 0)));
    assert_true(isnan(ts_dataset_get(s->data, 1, 0)));
    assert_float_equal(ts_dataset_get(s->data, 2, 0), -999.0, 0);
    assert_float_equal(ts_dataset_get(s->data, 3, 0), -998.0, 0);
    assert_true(isnan(ts_dataset_get(s->data, 0, 1)));
    ts_scenario_free(s);
    /* without "" among the markers an empty cell is an error */
    s = from_csv("id,x1,x2,Y one,y2\nP,1,,3,4\n", &opt, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "column 'x2', unit 'P': '' is not a number"));
    s = from_csv("id,x1,x2,Y one,y2\nP,1,n.a,3,4\n", &opt, &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "'n.a' is not a number"));
    /* a long bad cell is shown cut to 47 bytes */
    s = from_csv("id,x1,x2,Y one,y2\nP,1,2,3,0123456789012345678901234567890123456789012345678901234567890z\n", NULL,
                 &err);
    assert_null(s);
    assert_non_null(strstr(err.message, "'01234567890123456789012345678901234567890123456' is not a number"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_scores_like_the_scenario), cmocka_unit_test(test_quotes_crlf_bom),
        cmocka_unit_test(test_latin1_names),                 cmocka_unit_test(test_missing_markers),
        cmocka_unit_test(test_bad_csv),                      cmocka_unit_test(test_inform_latin1_export),
        cmocka_unit_test(test_wide_file_reads_like_strtod), cmocka_unit_test(test_markers_by_length),
    };
    return tu_exit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
