/* fuzz_csv.c -- libFuzzer target: the wide CSV reader (twice: default
 * options, and a unit and a name column in strict UTF-8), the scoring of
 * what it reads, and the small table reader of COINr's files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "csv.h"
#include "fuzz_common.h"
#include "pipeline.h"
#include "scenario.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A taxonomy of five indicators, one read from a column with a space in
 * its name, under a geometric and an arithmetic category. */
static const char TAXONOMY[] =
    "id = \"t\"; scale = { min = 0.0; max = 10.0; };\n"
    "children = (\n"
    "  { id = \"a\"; children = (\n"
    "      { id = \"x1\"; direction = \"risk\"; goalposts = [0.0, 10.0]; },\n"
    "      { id = \"x2\"; direction = \"protective\"; } ); },\n"
    "  { id = \"b\"; aggregate = \"geometric\"; children = (\n"
    "      { id = \"y1\"; direction = \"risk\"; column = \"Y one\"; },\n"
    "      { id = \"y2\"; direction = \"risk\"; normalise = \"rank\"; },\n"
    "      { id = \"y3\"; direction = \"risk\"; transform = \"log\"; } ); }\n"
    ");\n";

static const char *tax_path;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    tax_path = fz_write("tax.cfg", (const uint8_t *)TAXONOMY, sizeof TAXONOMY - 1);
    return 0;
}

/* Reads and scores path under opt; a failure must say why. */
static void read_and_score(const char *path, const ts_csv_options *opt) {
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_scenario_from_csv(tax_path, path, opt, &s, &err);
    if (!s && err.code == TS_OK) abort();
    if (s) {
        for (int u = 0; u < s->data->n_units; u++)
            if (!s->data->unit_id[u] || !s->data->unit_name[u]) abort();
        ts_result *r = NULL;
        ts_score(s, &r, &err);
        if (!r && err.code == TS_OK) abort();
        ts_result_free(r);
    }
    ts_scenario_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[512];
    snprintf(path, sizeof path, "%s", fz_write("data.csv", data, size));
    read_and_score(path, NULL);
    ts_csv_options strict = {"id", "name", NULL, TS_ENC_UTF8};
    read_and_score(path, &strict);
    ts_error err;
    ts_error_clear(&err);
    ts_csv_table *t = NULL;
    ts_csv_read_table(path, TS_ENC_AUTO, &t, &err);
    if (!t && err.code == TS_OK) abort();
    if (t && ts_csv_table_column(t, "id") >= t->n_cols) abort();
    ts_csv_table_free(t);
    return 0;
}
