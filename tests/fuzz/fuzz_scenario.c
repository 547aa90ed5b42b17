/* fuzz_scenario.c -- libFuzzer target: the scenario loader with extends.
 * The fuzzed bytes are a scenario beside the shipped baseline, which they
 * may extend, and are scored when they load. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "pipeline.h"
#include "scenario.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    /* the layout of the source tree, so the shipped scenarios, which
       extend "baseline.cfg" and name "../taxonomy/central_asia.cfg", are
       seeds as they are */
    fz_copy_source("taxonomy/central_asia.cfg", "taxonomy/central_asia.cfg");
    fz_copy_source("scenarios/baseline.cfg", "scenarios/baseline.cfg");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_scenario_load(fz_write("scenarios/fuzzed.cfg", data, size), &s, &err);
    if (!s && err.code == TS_OK) abort(); /* a failure must say why */
    if (s) {
        ts_result *r = NULL;
        ts_score(s, &r, &err);
        if (!r && err.code == TS_OK) abort();
        ts_result_free(r);
    }
    ts_scenario_free(s);
    return 0;
}
