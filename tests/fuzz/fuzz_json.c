/* fuzz_json.c -- libFuzzer target: the store's JSON reader (json.h), as
 * the store uses it on a run's inputs_json and options_json (a file
 * could hold anything in those columns), and each reader call on its own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads s whole (NULL allowed), so that ASan sees a string that runs past
 * its end. */
static void touch(const char *s) {
    if (s) (void)strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the columns are TEXT: NUL-terminated, no NUL inside */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ts_stored_run r;
    memset(&r, 0, sizeof r);
    r.arena = ts_arena_new();
    if (!r.arena) {
        free(text);
        return 0;
    }
    r.inputs_json = text;
    r.options_json = text;
    /* the store's two readers, whole */
    const ts_stored_file *files = NULL;
    int n = ts_stored_run_files(&r, &files);
    for (int i = 0; i < n; i++) {
        touch(files[i].role), touch(files[i].path), touch(files[i].sha256), touch(files[i].abs_path);
        if (!files[i].role || !files[i].path || !files[i].sha256) abort(); /* promised by the reader */
    }
    ts_stored_options o;
    if (ts_stored_run_options(&r, &o) == 0) {
        for (int i = 0; i < o.n_set; i++) touch(o.set[i]);
        for (int i = 0; i < o.n_perspectives; i++) touch(o.perspectives[i]);
        touch(o.csv.unit_column), touch(o.csv.name_column);
        for (int i = 0; o.csv.missing && o.csv.missing[i]; i++) touch(o.csv.missing[i]);
        if (o.year < 0 || o.year > 9999) abort();
    }
    /* each call of json.h on its own, to the end of the text */
    ts_json j;
    ts_json_init(&j, text, r.arena);
    while (!j.bad && *j.p) {
        const char *before = j.p;
        ts_json_skip(&j);
        ts_json_eat(&j, ',');
        if (j.p == before) break; /* a value that takes nothing is bad */
    }
    /* numbers, as the store reads unit_rows' documents */
    ts_json_init(&j, text, r.arena);
    while (!j.bad && !ts_json_end(&j)) {
        const char *before = j.p;
        (void)ts_json_number(&j);
        ts_json_eat(&j, ',');
        if (j.p == before) break;
    }
    ts_json_init(&j, text, r.arena);
    int count = 0;
    const char **list = ts_json_strings(&j, &count);
    for (int i = 0; list && i < count; i++) touch(list[i]);
    ts_json_init(&j, text, r.arena);
    touch(ts_json_string(&j));
    ts_arena_free(r.arena);
    free(text);
    return 0;
}
