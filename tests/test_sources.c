/* test_sources.c -- every `source` of every scenario file (scenarios/NAME.cfg)
 * cites, in square brackets, a key of the register scenarios/SOURCES.md. */
#include "testutil.h"

#include <dirent.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define REGISTER "scenarios/SOURCES.md"
#define SCENARIO_DIR "scenarios"
#define MAX_KEY 64

/* The register's keys: one per "### KEY" heading, in file order. */
typedef struct {
    char **key;
    size_t n, cap;
} keyset;

static void keyset_free(keyset *k) {
    for (size_t i = 0; i < k->n; i++) free(k->key[i]);
    free(k->key);
    memset(k, 0, sizeof *k);
}

/* Returns 1 when key is in the set, else 0. */
static int keyset_has(const keyset *k, const char *key) {
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->key[i], key) == 0) return 1;
    return 0;
}

/* Adds a copy of the n bytes at key. Returns 0, or -1 when out of memory. */
static int keyset_add(keyset *k, const char *key, size_t n) {
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        char **grown = realloc(k->key, cap * sizeof *grown);
        if (!grown) return -1;
        k->key = grown;
        k->cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, key, n);
    copy[n] = '\0';
    k->key[k->n++] = copy;
    return 0;
}

/* A key is a letter or digit, then letters, digits, '-', '_' or '.'; returns
 * its length at s, or 0 when s does not start with one. */
static size_t key_length(const char *s) {
    size_t n = 0;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return 0;
    while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
           s[n] == '-' || s[n] == '_' || s[n] == '.')
        n++;
    return n;
}

/* Reads the register's "### KEY" headings into keys, reporting a duplicate
 * key or a heading without one into report. Returns the number of problems,
 * or -1 when the file cannot be read or memory runs out. */
static int load_register(const char *path, keyset *keys, ts_buf *report) {
    size_t len;
    char *text = ts_read_file(path, &len);
    if (!text) return -1;
    int problems = 0, line = 1;
    for (char *p = text; *p; line++) {
        char *eol = strchr(p, '\n');
        if (strncmp(p, "### ", 4) == 0) {
            size_t n = key_length(p + 4);
            if (n == 0 || n >= MAX_KEY) {
                ts_buf_printf(report, "%s:%d: a register heading must start with a key\n", path, line);
                problems++;
            } else {
                char key[MAX_KEY];
                memcpy(key, p + 4, n);
                key[n] = '\0';
                if (keyset_has(keys, key)) {
                    ts_buf_printf(report, "%s:%d: key [%s] is registered twice\n", path, line, key);
                    problems++;
                } else if (keyset_add(keys, key, n) != 0) {
                    free(text);
                    return -1;
                }
            }
        }
        if (!eol) break;
        p = eol + 1;
    }
    free(text);
    return problems;
}

/* Checks one source string: it must cite at least one [KEY], and every
 * bracketed key must be registered. Returns the number of problems. */
static int check_source(const char *file, int line, const char *value, const keyset *keys, ts_buf *report) {
    int problems = 0, cited = 0;
    for (const char *p = strchr(value, '['); p; p = strchr(p + 1, '[')) {
        size_t n = key_length(p + 1);
        if (n == 0 || p[1 + n] != ']') continue; /* not a key, e.g. "[sic" */
        cited++;
        char key[MAX_KEY];
        if (n >= MAX_KEY) n = MAX_KEY - 1;
        memcpy(key, p + 1, n);
        key[n] = '\0';
        if (!keyset_has(keys, key)) {
            ts_buf_printf(report, "%s:%d: source cites [%s], which is not a key of %s: \"%s\"\n", file, line, key,
                          REGISTER, value);
            problems++;
        }
    }
    if (!cited) {
        ts_buf_printf(report, "%s:%d: source cites no [KEY] of %s: \"%s\"\n", file, line, REGISTER, value);
        problems++;
    }
    return problems;
}

/* Walks every setting under s, checking each string setting named "source".
 * Returns the number of problems. */
static int walk(const config_setting_t *s, const char *file, const keyset *keys, ts_buf *report) {
    int problems = 0;
    const char *name = config_setting_name(s);
    if (name && strcmp(name, "source") == 0) {
        const char *value = config_setting_get_string(s);
        if (!value) {
            ts_buf_printf(report, "%s:%d: source must be a string\n", file, config_setting_source_line(s));
            return 1;
        }
        return check_source(file, config_setting_source_line(s), value, keys, report);
    }
    if (config_setting_is_aggregate(s))
        for (int i = 0; i < config_setting_length(s); i++)
            problems += walk(config_setting_get_elem(s, (unsigned)i), file, keys, report);
    return problems;
}

/* Checks every source of one scenario file. Returns the number of problems
 * (a file libconfig cannot parse counts as one). */
static int check_file(const char *path, const keyset *keys, ts_buf *report) {
    config_t cfg;
    config_init(&cfg);
    int problems;
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        ts_buf_printf(report, "%s:%d: %s\n", path, config_error_line(&cfg), config_error_text(&cfg));
        problems = 1;
    } else {
        problems = walk(config_root_setting(&cfg), path, keys, report);
    }
    config_destroy(&cfg);
    return problems;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every source of every scenario file resolves to a register entry. */
static void test_scenario_sources_resolve(void **state) {
    (void)state;
    keyset keys = {0};
    ts_buf report = {0};
    int problems = load_register(REGISTER, &keys, &report);
    assert_true(problems >= 0);
    assert_true(keys.n > 0);

    DIR *dir = opendir(SCENARIO_DIR);
    assert_non_null(dir);
    keyset files = {0}; /* reused as a list of file names, sorted below */
    for (struct dirent *e; (e = readdir(dir));) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".cfg") == 0) assert_int_equal(keyset_add(&files, e->d_name, n), 0);
    }
    closedir(dir);
    assert_true(files.n > 0);
    qsort(files.key, files.n, sizeof *files.key, by_name);

    for (size_t i = 0; i < files.n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", SCENARIO_DIR, files.key[i]);
        problems += check_file(path, &keys, &report);
    }
    assert_false(report.oom);
    if (problems) fail_msg("%d source problem(s):\n%s", problems, report.data);
    keyset_free(&files);
    keyset_free(&keys);
    ts_buf_free(&report);
}

/* The check itself: an unknown key and a source without a key are both
 * reported with file:line; a registered key passes. */
static void test_check_reports_file_and_line(void **state) {
    (void)state;
    keyset keys = {0};
    ts_buf report = {0};
    const char *reg = tu_write("SOURCES.md", "# Register\n\n### GOOD-1 Publisher, Title\n- x\n### GOOD-2\n");
    assert_int_equal(load_register(reg, &keys, &report), 0);
    assert_int_equal((int)keys.n, 2);

    const char *scen = tu_write("s.cfg",
                                "name = \"x\";\n"
                                "data = (\n"
                                "  { indicator = \"a\"; source = \"[GOOD-1] table 2\"; },\n"
                                "  { indicator = \"b\"; source = \"[GOOD-1] and [MISSING-9]\"; },\n"
                                "  { indicator = \"c\";\n"
                                "    source = \"no key at all\"; },\n"
                                "  { indicator = \"d\"; values = { KAZ = { value = 1.0; source = \"[GOOD-2]\"; }; }; }\n"
                                ");\n");
    assert_int_equal(check_file(scen, &keys, &report), 2);
    assert_non_null(report.data);
    char want[600];
    snprintf(want, sizeof want, "%s:4: source cites [MISSING-9]", scen);
    assert_non_null(strstr(report.data, want));
    snprintf(want, sizeof want, "%s:6: source cites no [KEY]", scen);
    assert_non_null(strstr(report.data, want));
    keyset_free(&keys);
    ts_buf_free(&report);
}

/* A key registered twice is itself an error. */
static void test_duplicate_register_key(void **state) {
    (void)state;
    keyset keys = {0};
    ts_buf report = {0};
    const char *reg = tu_write("dup.md", "### A-1\n### A-1\n");
    assert_int_equal(load_register(reg, &keys, &report), 1);
    assert_non_null(strstr(report.data, ":2: key [A-1] is registered twice"));
    keyset_free(&keys);
    ts_buf_free(&report);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_reports_file_and_line),
        cmocka_unit_test(test_duplicate_register_key),
        cmocka_unit_test(test_scenario_sources_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
