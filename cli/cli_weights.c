/* cli_weights.c -- `threatscore weights`: every indicator's effective
 * weight at the index. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cliopt.h"
#include "explain.h"

static const char USAGE_WEIGHTS[] =
    "usage: threatscore weights SCENARIO [--unit UNIT] [--set KEY=VALUE]... [--format table|csv]\n"
    "\n"
    "Lists every indicator's effective weight at the index: the product along\n"
    "its path of each node's weight over the sum of its siblings' (with the\n"
    "unit's overrides when --unit is given). They add up to 1. `explain` shows\n"
    "the weights a unit actually gets once missing values are skipped.\n";

int ts_cli_weights(int argc, char **argv, FILE *out, FILE *errs) {
    const char *scenario = NULL, *unit = NULL, *sets[64];
    int n_sets = 0;
    ts_format fmt = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (ts_is_help(a)) {
            fputs(USAGE_WEIGHTS, out);
            return 0;
        } else if (!strcmp(a, "--unit") && has_value) {
            unit = argv[++i];
        } else if (!strcmp(a, "--set") && has_value && n_sets < 64) {
            sets[n_sets++] = argv[++i];
        } else if (!strcmp(a, "--format") && has_value) {
            if (ts_format_parse(argv[++i], &fmt) || fmt == TS_FORMAT_JSON) {
                fprintf(errs, "threatscore: unknown format '%s' (table or csv)\n\n%s", argv[i], USAGE_WEIGHTS);
                return 2;
            }
        } else if (a[0] == '-' || scenario) {
            fprintf(errs, "threatscore: unexpected argument '%s'\n\n%s", a, USAGE_WEIGHTS);
            return 2;
        } else {
            scenario = a;
        }
    }
    if (!scenario) {
        fprintf(errs, "threatscore: weights needs a SCENARIO\n\n%s", USAGE_WEIGHTS);
        return 2;
    }
    ts_error err;
    ts_error_clear(&err);
    char msg[2048];
    ts_scenario *s = NULL;
    ts_scenario_load(scenario, &s, &err);
    int rc = 0, u = -1;
    for (int i = 0; s && i < n_sets && rc == 0; i++) {
        const char *eq = strchr(sets[i], '=');
        char key[128];
        if (!eq) {
            fprintf(errs, "threatscore: --set takes KEY=VALUE, not '%s'\n", sets[i]);
            rc = 2;
            break;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        if (ts_scenario_set(s, key, eq + 1, sets[i], &err)) {
            fprintf(errs, "threatscore: %s\n", ts_error_format(&err, msg, sizeof msg));
            rc = 2;
        }
    }
    if (!s) {
        return ts_print_error(errs, "threatscore", &err);
    }
    if (rc == 0 && unit && (u = ts_dataset_find_unit(s->data, unit)) < 0) {
        fprintf(errs, "threatscore: %s: unknown unit '%s'\n", scenario, unit);
        rc = 1;
    }
    double *w = rc == 0 ? malloc(((size_t)s->tax->n_indicators + 1) * sizeof *w) : NULL;
    if (rc == 0 && !w) rc = 3;
    if (rc == 0) {
        char name[512];
        ts_effective_weights(s, u, w);
        const ts_taxonomy *t = s->tax;
        if (fmt == TS_FORMAT_CSV) fputs("indicator,parent,effective_weight\n", out);
        else fprintf(out, "%s: effective weight at '%s'%s%s (weight set: %s)\n", ts_term_safe(name, sizeof name, s->name),
                     t->nodes[ts_taxonomy_root(t)].id, unit ? " for " : "", unit ? unit : "",
                     s->spec->weight_set[0] ? s->spec->weight_set : "taxonomy");
        for (int i = 0; i < t->n_indicators; i++) {
            const ts_node *nd = &t->nodes[t->indicator_node[i]];
            if (fmt == TS_FORMAT_CSV) fprintf(out, "%s,%s,%.17g\n", nd->id, t->nodes[nd->parent].id, w[i]);
            else fprintf(out, "  %-24s %-24s %8.4f\n", nd->id, t->nodes[nd->parent].id, w[i]);
        }
    }
    free(w);
    ts_scenario_free(s);
    return rc;
}
