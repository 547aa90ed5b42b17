/* fuzz_taxonomy.c -- libFuzzer target: the taxonomy loader (libconfig
 * parsing, validation, flattening) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_error err;
    ts_error_clear(&err);
    ts_taxonomy *t = NULL;
    ts_taxonomy_load(fz_write("taxonomy.cfg", data, size), &t, &err);
    if (!t && err.code == TS_OK) abort(); /* a failure must say why */
    if (t) {
        /* what every command does next with a taxonomy */
        int *order = malloc((size_t)t->n_nodes * sizeof *order);
        if (order) ts_taxonomy_preorder(t, order);
        free(order);
        for (int k = 0; k < t->n_nodes; k++)
            if (ts_taxonomy_find(t, t->nodes[k].id) != k) abort();
    }
    ts_taxonomy_free(t);
    return 0;
}
