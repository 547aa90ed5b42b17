/* cli_weights.c -- `threatscore weights`: every indicator's effective
 * weight at the index. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cliopt.h"
#include "explain.h"

static const char USAGE_WEIGHTS[] =
    "usage: threatscore weights SCENARIO [--unit UNIT] [--set KEY=VALUE]... [--format table|csv] [-o FILE]\n"
    "\n"
    "Lists every indicator's effective weight at the index: the product along\n"
    "its path of each node's weight over the sum of its siblings' (with the\n"
    "unit's overrides when --unit is given). They add up to 1. `explain` shows\n"
    "the weights a unit actually gets once missing values are skipped.\n"
    "SCENARIO '-' reads standard input; -o - writes standard output.\n";

/* Writes the effective weights w of s (for unit, or NULL) to f in fmt. */
static void write_weights(FILE *f, ts_format fmt, const ts_scenario *s, const char *unit, const double *w) {
    const ts_taxonomy *t = s->tax;
    char name[512]; /* a name from a file must not reach the terminal as control sequences */
    if (fmt == TS_FORMAT_CSV) fputs("indicator,parent,effective_weight\n", f);
    else
        fprintf(f, "%s: effective weight at '%s'%s%s (weight set: %s)\n", ts_term_safe(name, sizeof name, s->name),
                t->nodes[ts_taxonomy_root(t)].id,
                unit ? " for " : "", unit ? unit : "", s->spec->weight_set[0] ? s->spec->weight_set : "taxonomy");
    for (int i = 0; i < t->n_indicators; i++) {
        const ts_node *nd = &t->nodes[t->indicator_node[i]];
        if (fmt == TS_FORMAT_CSV) fprintf(f, "%s,%s,%.17g\n", nd->id, t->nodes[nd->parent].id, w[i]);
        else fprintf(f, "  %-24s %-24s %8.4f\n", nd->id, t->nodes[nd->parent].id, w[i]);
    }
}

int ts_cli_weights(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *scenario = NULL, *unit = NULL, *out_path = NULL;
    ts_overrides ov = {{0}, 0};
    ts_format fmt = TS_FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        int missing = 0, rc;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_WEIGHTS, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--unit", &missing))) {
            unit = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "--set", &missing))) {
            if ((rc = ts_overrides_add(errs, c->prog, &ov, v, USAGE_WEIGHTS))) return rc;
        } else if ((v = ts_opt_value(argc, argv, &i, "--format", &missing))) {
            if (ts_format_parse(v, &fmt) || fmt == TS_FORMAT_JSON)
                return ts_cmd_usage(c, USAGE_WEIGHTS, "unknown format '%s' (table or csv)", v);
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            out_path = v;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_WEIGHTS, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_WEIGHTS, "unknown option '%s'", argv[i]);
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_WEIGHTS, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!scenario) return ts_cmd_usage(c, USAGE_WEIGHTS, "weights needs a %s", "SCENARIO");
    const ts_cmd_input scen_in = {scenario, "the scenario", 0};
    if (ts_cmd_check_output(c, "-o", out_path, &scen_in, 1) != EXIT_OK) return EXIT_USAGE;
    ts_scenario *s = NULL;
    ts_file_arg in;
    int u = -1, rc = ts_cmd_load_scenario(c, scenario, &in, &s);
    if (rc == EXIT_OK) rc = ts_cmd_check_output_scenario(c, "-o", out_path, s);
    if (rc == EXIT_OK) rc = ts_overrides_apply(errs, c->prog, s, &ov);
    if (rc == EXIT_OK && unit && (u = ts_dataset_find_unit(s->data, unit)) < 0) rc = ts_cmd_unknown_unit(c, s, unit);
    double *w = rc == EXIT_OK ? malloc(((size_t)s->tax->n_indicators + 1) * sizeof *w) : NULL;
    if (rc == EXIT_OK && !w) rc = ts_cmd_oom(c);
    if (rc == EXIT_OK) {
        ts_effective_weights(s, u, w);
        ts_outfile o;
        FILE *f = ts_cmd_open_output(c, out_path, &o);
        if (!f) {
            rc = EXIT_SYSTEM;
        } else {
            write_weights(f, fmt, s, unit, w);
            rc = ts_cmd_close_output(c, f, out_path, &o, 1);
        }
    }
    free(w);
    ts_scenario_free(s);
    ts_file_arg_free(&in);
    return rc;
}
