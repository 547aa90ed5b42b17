/* cli_new.c -- `threatscore new-scenario`: a commented what-if scenario
 * skeleton that validates as written, built from the scenario it extends. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cliopt.h"
#include "scenario.h"

static const char USAGE_NEW[] =
    "usage: threatscore new-scenario NAME --extends SCENARIO [-o FILE] [--force]\n"
    "\n"
    "Writes a what-if scenario named NAME that extends SCENARIO, with comments\n"
    "that answer what writing one needs: the units; every indicator under its\n"
    "dimension with its raw unit, direction, goalposts and the value each unit\n"
    "has now (and its year); how shocks work, which years a shock hits by\n"
    "default and a shock to start from; the keys for weights and new values.\n"
    "It validates as written (it changes nothing until you add shocks).\n"
    "\n"
    "options:\n"
    "  --extends SCENARIO  the scenario to build on (e.g. scenarios/baseline.cfg)\n"
    "  -o FILE             write FILE (default: standard output); extends is\n"
    "                      written relative to FILE's directory, as the engine\n"
    "                      reads it\n"
    "  --force             replace FILE when it exists\n";

/* Appends s as the body of a libconfig string: '"' and '\' escaped,
 * control characters (a newline) as spaces. */
static void put_config_string(ts_buf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') ts_buf_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) ts_buf_puts(b, " ");
        else ts_buf_append(b, s, 1);
    }
}

/* Appends s for a comment line: control characters (a newline would end
 * the comment) escaped as for a terminal (ts_buf_term). */
static void put_comment_text(ts_buf *b, const char *s) {
    ts_buf_term(b, s);
}

/* Appends a number as a scenario file would write it: %g, with ".0" added
 * to integers so libconfig reads a float. */
static void put_number(ts_buf *b, double x) {
    char num[40];
    snprintf(num, sizeof num, "%.6g", x);
    ts_buf_puts(b, num);
    if (!strpbrk(num, ".eEn")) ts_buf_puts(b, ".0");
}

/* Appends one indicator's comment block: id, name, raw unit, direction,
 * goalposts and transform, then each unit's value in use and its year. */
static void put_indicator(ts_buf *b, const ts_scenario *s, int k, int indent) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    const ts_node *nd = &t->nodes[k];
    ts_buf_printf(b, "# %*s%s: ", indent, "", nd->id);
    put_comment_text(b, nd->name ? nd->name : nd->id);
    ts_buf_printf(b, "\n# %*s  raw unit: ", indent, "");
    put_comment_text(b, nd->unit ? nd->unit : "(not given)");
    ts_buf_printf(b, "; %s",
                  nd->direction > 0 ? "risk (higher = more risk)" : "protective (higher = less risk)");
    if (nd->has_goalposts) {
        ts_buf_puts(b, "; goalposts [");
        put_number(b, nd->goal_lo);
        ts_buf_puts(b, ", ");
        put_number(b, nd->goal_hi);
        ts_buf_puts(b, "]");
    } else {
        ts_buf_printf(b, "; no goalposts (%s over the units)", ts_norm_name(nd->norm.method));
    }
    if (nd->transform.method != TS_TRANSFORM_NONE) ts_buf_printf(b, "; %s transform", ts_transform_name(nd->transform.method));
    ts_buf_printf(b, "\n# %*s  now:", indent, "");
    for (int u = 0; u < d->n_units; u++) {
        double v = ts_dataset_get(d, nd->indicator, u);
        ts_buf_printf(b, " %s ", d->unit_id[u]);
        if (v != v) {
            ts_buf_puts(b, "-");
        } else {
            ts_buf_printf(b, "%.4g", v);
            int year = d->prov[(size_t)nd->indicator * (size_t)d->n_units + (size_t)u].year;
            if (year) ts_buf_printf(b, " (%d)", year);
        }
        if (u + 1 < d->n_units) ts_buf_puts(b, ",");
    }
    ts_buf_puts(b, "\n");
}

/* Appends the tree below node k, aggregates as headings, in pre-order. */
static void put_tree(ts_buf *b, const ts_scenario *s, int k, int depth) {
    const ts_taxonomy *t = s->tax;
    const ts_node *nd = &t->nodes[k];
    int indent = 2 * (depth > 0 ? depth - 1 : 0);
    if (nd->n_children == 0) {
        put_indicator(b, s, k, indent);
        return;
    }
    if (depth > 0) {
        ts_buf_printf(b, "#\n# %*s[%s] ", indent, "", nd->id);
        put_comment_text(b, nd->name ? nd->name : nd->id);
        ts_buf_printf(b, " (weight %g)\n", nd->weight);
    }
    for (int c = 0; c < nd->n_children; c++) put_tree(b, s, t->children[nd->first_child + c], depth + 1);
}

/* Returns the first indicator with values for two or more units (or one),
 * and stores two such units in u1 and u2 (u2 -1 when only one has). */
static int example_indicator(const ts_scenario *s, int *u1, int *u2) {
    const ts_taxonomy *t = s->tax;
    const ts_dataset *d = s->data;
    int best = -1;
    for (int i = 0; i < t->n_indicators; i++) {
        int a = -1, c = -1;
        for (int u = 0; u < d->n_units; u++) {
            if (ts_dataset_get(d, i, u) != ts_dataset_get(d, i, u)) continue;
            if (a < 0) a = u;
            else if (c < 0) c = u;
        }
        if (a >= 0 && (best < 0 || c >= 0)) {
            best = i;
            *u1 = a;
            *u2 = c;
            if (c >= 0) break;
        }
    }
    return best;
}

/* Writes the skeleton of scenario name extending base (named extends, as
 * the new file must say it) into b. */
static void write_skeleton(ts_buf *b, const ts_scenario *base, const char *name, const char *extends, int to_stdout) {
    const ts_taxonomy *t = base->tax;
    const ts_dataset *d = base->data;
    ts_buf_puts(b, "# A what-if scenario written by `threatscore new-scenario`. It validates as\n"
                   "# written and changes nothing yet: add shocks (or weights), then run\n"
                   "#   threatscore validate FILE && threatscore score FILE\n"
                   "#\n"
                   "# How a scenario file is read:\n"
                   "# - extends and taxonomy are paths relative to the directory of this file.\n"
                   "# - This file inherits everything of the one it extends (units, values,\n"
                   "#   weights, methods, shocks) and overrides what it sets: its own value for\n"
                   "#   the same indicator, country and year replaces the parent's.\n"
                   "# - Unknown keys are errors, reported as FILE:LINE with a \"did you mean\".\n"
                   "# - A shock changes one indicator's raw values (in the raw unit listed\n"
                   "#   below, before the goalposts and the normalisation): scale multiplies,\n"
                   "#   add adds, set replaces. countries defaults to every unit; years\n"
                   "#   defaults to every year of the values, so whichever year is scored\n"
                   "#   (the latest by default) is shocked. years = [ 2024 ] shocks the values\n"
                   "#   of 2024 only.\n"
                   "# - A shock that would change nothing is an error: a country it names\n"
                   "#   without a value, a year it names that no value has. A set where a\n"
                   "#   country has no value for that year creates one only with\n"
                   "#   create = true and years = [ YEAR ] (the year of the new value).\n"
                   "# - Every shock needs a note saying what it assumes and why.\n"
                   "# - Values outside the goalposts are truncated to them: shocking a value\n"
                   "#   beyond a goalpost changes nothing past it.\n"
                   "\n");
    ts_buf_puts(b, "name = \"");
    put_config_string(b, name);
    ts_buf_puts(b, "\";\ndescription = \"What-if: say what the scenario assumes, and why.\";\nextends = \"");
    put_config_string(b, extends);
    ts_buf_printf(b, "\";%s\n\n", to_stdout ? "  # relative to where this file is saved: adjust it if needed" : "");
    ts_buf_puts(b, "# Units of '");
    put_comment_text(b, base->name);
    ts_buf_puts(b, "' (from its file):\n#  ");
    for (int u = 0; u < d->n_units; u++) {
        ts_buf_printf(b, " %s ", d->unit_id[u]);
        put_comment_text(b, d->unit_name[u] ? d->unit_name[u] : "");
        ts_buf_puts(b, u + 1 < d->n_units ? "," : "\n");
    }
    ts_buf_printf(b, "#\n# Indicators of taxonomy '%s' (", t->id);
    put_comment_text(b, base->taxonomy_path);
    ts_buf_printf(b, "), scale %g-%g, by dimension\n# (a node's weight is relative among its siblings):\n", t->scale_min,
                  t->scale_max);
    put_tree(b, base, ts_taxonomy_root(t), 0);
    int u1 = 0, u2 = -1, ex = example_indicator(base, &u1, &u2);
    const char *first_child = t->nodes[t->children[t->nodes[ts_taxonomy_root(t)].first_child]].id;
    ts_buf_printf(b, "\n# Weights by node id, over the taxonomy's (relative among siblings):\n"
                     "# weights = { %s = 1.5; };\n"
                     "# country_weights = { %s = { %s = 2.0; }; };\n"
                     "#\n"
                     "# New or replaced values need a source and a year (an estimate also a note):\n"
                     "# data = ( { indicator = \"%s\"; year = 2025; source = \"publication, edition, page\";\n"
                     "#            values = { %s = 1.0; }; } );\n",
                  first_child, d->unit_id[0], first_child, ex >= 0 ? t->nodes[t->indicator_node[ex]].id : "ID",
                  d->unit_id[0]);
    ts_buf_puts(b, "\nshocks = (\n");
    if (ex >= 0) {
        const char *id = t->nodes[t->indicator_node[ex]].id;
        ts_buf_printf(b, "  # An example: remove the leading '#' of the next two lines to use it. It adds\n"
                         "  # 1.0 to every year's value of %s for the units named.\n"
                         "  # { indicator = \"%s\"; countries = [ \"%s\"%s%s%s ]; add = 1.0;\n"
                         "  #   note = \"assumption: what is assumed, and why\"; }\n",
                      id, id, d->unit_id[u1], u2 >= 0 ? ", \"" : "", u2 >= 0 ? d->unit_id[u2] : "", u2 >= 0 ? "\"" : "");
    }
    ts_buf_puts(b, ");\n");
}

int ts_cli_new_scenario(int argc, char **argv, FILE *out, FILE *errs) {
    ts_cmd cc = {out, errs, "threatscore"}, *c = &cc;
    const char *name = NULL, *extends = NULL, *out_path = NULL;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (ts_is_help(argv[i])) {
            fputs(USAGE_NEW, out);
            return EXIT_OK;
        } else if ((v = ts_opt_value(argc, argv, &i, "--extends", &missing))) {
            extends = v;
        } else if ((v = ts_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = ts_opt_value(argc, argv, &i, "--output", &missing))) {
            out_path = v;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (missing) {
            return ts_cmd_usage(c, USAGE_NEW, "option %s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ts_cmd_usage(c, USAGE_NEW, "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else {
            return ts_cmd_usage(c, USAGE_NEW, "unexpected argument '%s' (quote a NAME with spaces)", argv[i]);
        }
    }
    if (!name || !name[0]) return ts_cmd_usage(c, USAGE_NEW, "new-scenario needs a %s", "NAME");
    if (!extends) return ts_cmd_usage(c, USAGE_NEW, "new-scenario needs --extends %s", "SCENARIO");
    if (strcmp(extends, "-") == 0)
        return ts_cmd_usage(c, USAGE_NEW, "--extends needs a file the new scenario can name, not '%s'", extends);
    int to_stdout = !out_path || strcmp(out_path, "-") == 0;
    struct stat sb;
    if (!to_stdout && !force && stat(out_path, &sb) == 0) {
        fprintf(errs, "%s: %s exists; give --force to replace it\n", c->prog, out_path);
        return EXIT_INPUT;
    }
    /* even with --force, never over the scenario it extends or its files */
    const ts_cmd_input base_in = {extends, "the scenario it extends", 0};
    if (ts_cmd_check_output(c, "-o", out_path, &base_in, 1) != EXIT_OK) return EXIT_USAGE;
    ts_scenario *base = NULL;
    ts_file_arg in;
    int rc = ts_cmd_load_scenario(c, extends, &in, &base);
    if (rc == EXIT_OK) rc = ts_cmd_check_output_scenario(c, "-o", out_path, base);
    if (rc != EXIT_OK) {
        ts_scenario_free(base);
        ts_file_arg_free(&in);
        return rc;
    }
    char rel[1024];
    int rel_oom = 0;
    if (to_stdout) snprintf(rel, sizeof rel, "%s", extends);
    else rel_oom = ts_path_relative(out_path, extends, rel, sizeof rel) != 0;
    ts_buf b = {0};
    write_skeleton(&b, base, name, rel, to_stdout);
    if (b.oom || rel_oom) {
        rc = ts_cmd_oom(c);
    } else {
        ts_outfile o;
        FILE *f = ts_cmd_open_output(c, out_path, &o);
        if (!f) {
            rc = EXIT_SYSTEM;
        } else {
            int ok = fwrite(b.data, 1, b.len, f) == b.len;
            rc = ts_cmd_close_output(c, f, out_path, &o, ok);
            if (rc == EXIT_OK && !to_stdout) fprintf(errs, "%s: wrote %s (extends %s)\n", c->prog, out_path, rel);
        }
    }
    ts_buf_free(&b);
    ts_scenario_free(base);
    ts_file_arg_free(&in);
    return rc;
}
