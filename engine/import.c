/* import.c -- COINr iData/iMeta import. */
#include "import.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "scenario.h"
#include "util.h"

typedef struct meta {
    const ts_csv_table *t;
    int level, code, name, direction, weight, unit, target, denominator, parent, type;
} meta;

static const char *cell(const ts_csv_table *t, int row, int col) {
    return col >= 0 ? t->cell[(size_t)row * (size_t)t->n_cols + (size_t)col] : "";
}

static int is_na(const char *s) {
    return !s[0] || strcmp(s, "NA") == 0;
}

/* Appends s as a libconfig string literal. */
static void cfg_string(ts_buf *b, const char *s) {
    ts_buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') ts_buf_printf(b, "\\%c", *s);
        else if (*s == '\n') ts_buf_puts(b, "\\n");
        else if ((unsigned char)*s < 0x20) ts_buf_printf(b, "\\x%02x", (unsigned char)*s);
        else ts_buf_append(b, s, 1);
    }
    ts_buf_puts(b, "\"");
}

/* Parses a finite number; returns 0 or -1. */
static int number(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Writes the node in iMeta row `row` and its children, indented. */
static int write_node(const meta *m, int row, int depth, ts_buf *b, const char *path, ts_error *err) {
    const ts_csv_table *t = m->t;
    const char *code = cell(t, row, m->code), *type = cell(t, row, m->type);
    char pad[80];
    snprintf(pad, sizeof pad, "%*s", 2 * depth, "");
    if (depth > 30) return ts_fail(err, TS_EINPUT, path, t->line[row], "iMeta tree is deeper than 30 levels (a cycle?)");
    ts_buf_printf(b, "%s{ id = ", pad);
    cfg_string(b, code);
    ts_buf_puts(b, "; name = ");
    cfg_string(b, is_na(cell(t, row, m->name)) ? code : cell(t, row, m->name));
    ts_buf_puts(b, ";");
    double w = 1;
    if (depth > 0 && !is_na(cell(t, row, m->weight))) {
        if (number(cell(t, row, m->weight), &w) || w < 0)
            return ts_fail(err, TS_EINPUT, path, t->line[row], "weight of '%s' is not a number >= 0", code);
        ts_buf_printf(b, " weight = %.17g;", w);
    }
    if (strcmp(type, "Indicator") == 0) {
        double dir;
        if (number(cell(t, row, m->direction), &dir) || (dir != 1 && dir != -1))
            return ts_fail(err, TS_EINPUT, path, t->line[row], "direction of '%s' must be 1 or -1", code);
        ts_buf_printf(b, " direction = \"%s\";", dir > 0 ? "risk" : "protective");
        if (!is_na(cell(t, row, m->unit))) {
            ts_buf_puts(b, " unit = ");
            cfg_string(b, cell(t, row, m->unit));
            ts_buf_puts(b, ";");
        }
        double target;
        if (!is_na(cell(t, row, m->target))) {
            if (number(cell(t, row, m->target), &target))
                return ts_fail(err, TS_EINPUT, path, t->line[row], "target of '%s' is not a number", code);
            ts_buf_printf(b, " target = %.17g;", target);
        }
        if (!is_na(cell(t, row, m->denominator))) {
            ts_buf_puts(b, " denominator = ");
            cfg_string(b, cell(t, row, m->denominator));
            ts_buf_puts(b, ";");
        }
        ts_buf_puts(b, " }");
        return TS_OK;
    }
    ts_buf_puts(b, "\n");
    ts_buf_printf(b, "%s  children = (\n", pad);
    int n = 0;
    for (int r = 1; r < t->n_rows; r++) {
        const char *ty = cell(t, r, m->type);
        if ((strcmp(ty, "Indicator") && strcmp(ty, "Aggregate")) || strcmp(cell(t, r, m->parent), code)) continue;
        if (n++) ts_buf_puts(b, ",\n");
        if (write_node(m, r, depth + 2, b, path, err)) return TS_EINPUT;
    }
    if (n == 0) return ts_fail(err, TS_EINPUT, path, t->line[row], "aggregate '%s' has no children", code);
    ts_buf_printf(b, "\n%s  ); }", pad);
    return TS_OK;
}

/* Writes text to path whole or not at all (ts_outfile). Returns 0 or -1
 * (errno). */
static int write_whole(const char *path, const ts_buf *b) {
    ts_outfile o;
    if (ts_outfile_open(&o, path) != 0) return -1;
    int ok = fwrite(b->data, 1, b->len, o.f) == b->len;
    return ts_outfile_close(&o, ok) == 0 && ok ? 0 : -1;
}

int ts_import_coinr(const char *idata, const char *imeta, const char *taxonomy_out, const char *scenario_out,
                    ts_error *err) {
    ts_csv_table *mt = NULL, *dt = NULL;
    ts_buf tax = {0}, scen = {0};
    int rc = TS_EINPUT;
    if (ts_csv_read_table(imeta, TS_ENC_AUTO, &mt, err) != TS_OK ||
        ts_csv_read_table(idata, TS_ENC_AUTO, &dt, err) != TS_OK)
        goto done;
    meta m = {mt, ts_csv_table_column(mt, "Level"), ts_csv_table_column(mt, "iCode"), ts_csv_table_column(mt, "iName"),
              ts_csv_table_column(mt, "Direction"), ts_csv_table_column(mt, "Weight"), ts_csv_table_column(mt, "Unit"),
              ts_csv_table_column(mt, "Target"), ts_csv_table_column(mt, "Denominator"),
              ts_csv_table_column(mt, "Parent"), ts_csv_table_column(mt, "Type")};
    if (m.code < 0 || m.type < 0 || m.parent < 0 || m.direction < 0) {
        ts_fail(err, TS_EINPUT, imeta, 1, "not a COINr iMeta table: it needs iCode, Type, Parent and Direction columns");
        goto done;
    }
    int ucode = ts_csv_table_column(dt, "uCode"), uname = ts_csv_table_column(dt, "uName"),
        time = ts_csv_table_column(dt, "Time");
    if (ucode < 0) {
        ts_fail(err, TS_EINPUT, idata, 1, "not a COINr iData table: no uCode column");
        goto done;
    }
    int root = -1;
    for (int r = 1; r < mt->n_rows; r++) {
        const char *code = cell(mt, r, m.code), *type = cell(mt, r, m.type);
        if (!ts_valid_id(code)) {
            ts_fail(err, TS_EINPUT, imeta, mt->line[r], "iCode '%s' is not a usable id (a letter, then letters, digits, '_' or '-')",
                    code);
            goto done;
        }
        for (int q = 1; q < r; q++)
            if (strcmp(cell(mt, q, m.code), code) == 0) {
                ts_fail(err, TS_EINPUT, imeta, mt->line[r], "duplicate iCode '%s' (first on line %d)", code, mt->line[q]);
                goto done;
            }
        if (strcmp(type, "Indicator") && strcmp(type, "Aggregate") && strcmp(type, "Group") && strcmp(type, "Denominator") &&
            strcmp(type, "Other")) {
            ts_fail(err, TS_EINPUT, imeta, mt->line[r], "unknown Type '%s'", type);
            goto done;
        }
        if (strcmp(type, "Aggregate") == 0 && is_na(cell(mt, r, m.parent))) {
            if (root >= 0) {
                ts_fail(err, TS_EINPUT, imeta, mt->line[r], "two aggregates without a parent: '%s' and '%s'",
                        cell(mt, root, m.code), code);
                goto done;
            }
            root = r;
        }
        if ((!strcmp(type, "Indicator") || !strcmp(type, "Aggregate")) && !is_na(cell(mt, r, m.parent))) {
            int found = 0;
            for (int q = 1; q < mt->n_rows && !found; q++)
                found = !strcmp(cell(mt, q, m.code), cell(mt, r, m.parent)) && !strcmp(cell(mt, q, m.type), "Aggregate");
            if (!found) {
                ts_fail(err, TS_EINPUT, imeta, mt->line[r], "parent '%s' of '%s' is not an aggregate", cell(mt, r, m.parent), code);
                goto done;
            }
        }
        if (strcmp(type, "Aggregate") && strcmp(type, "Other") && ts_csv_table_column(dt, code) < 0) {
            ts_fail(err, TS_EINPUT, idata, 1, "%s '%s' of iMeta (line %d) has no column in iData", type, code, mt->line[r]);
            goto done;
        }
    }
    if (root < 0) {
        ts_fail(err, TS_EINPUT, imeta, 0, "no aggregate without a parent: the index is missing");
        goto done;
    }

    ts_buf_puts(&tax, "# Imported from COINr's iMeta by `threatscore import coinr`.\n# source: ");
    ts_buf_puts(&tax, imeta);
    ts_buf_puts(&tax, "\n# COINr's defaults: min-max onto 0-100, arithmetic means; weights are relative\n"
                      "# within each parent; Direction -1 becomes direction = \"protective\".\n\n");
    ts_buf_puts(&tax, "scale = { min = 0.0; max = 100.0; };\nnormalise = \"minmax\";\naggregate = \"arithmetic\";\n");
    /* the root's keys at top level, its children as the tree */
    ts_buf root_node = {0};
    if (write_node(&m, root, 0, &root_node, imeta, err)) {
        ts_buf_free(&root_node);
        goto done;
    }
    /* "{ id = ...; name = ...;\n  children = ( ... ); }" -> top-level settings */
    char *text = root_node.data;
    size_t len = root_node.len;
    if (len > 4 && text[0] == '{' && strcmp(text + len - 2, " }") == 0) {
        text[len - 2] = '\0';
        ts_buf_puts(&tax, text + 2);
        ts_buf_puts(&tax, "\n");
    }
    ts_buf_free(&root_node);

    char tax_rel[1024];
    if (ts_path_relative(scenario_out, taxonomy_out, tax_rel, sizeof tax_rel)) scen.oom = 1; /* reported below */
    const char *base = strrchr(idata, '/');
    ts_buf_puts(&scen, "# Imported from COINr's iData by `threatscore import coinr`.\nname = ");
    char name[600];
    snprintf(name, sizeof name, "COINr import of %s", base ? base + 1 : idata);
    cfg_string(&scen, name);
    ts_buf_puts(&scen, ";\ntaxonomy = ");
    cfg_string(&scen, tax_rel);
    ts_buf_puts(&scen, ";\n# COINr's default pipeline: its outlier treatment; minmax 0-100 and\n"
                       "# arithmetic means come from the taxonomy.\nmethod = { treat = \"coinr\"; };\n\nunits = (\n");
    for (int r = 1; r < dt->n_rows; r++) {
        const char *id = cell(dt, r, ucode);
        if (!ts_valid_id(id)) {
            ts_fail(err, TS_EINPUT, idata, dt->line[r], "uCode '%s' is not a usable id", id);
            goto done;
        }
        ts_buf_puts(&scen, r > 1 ? ",\n  { id = " : "  { id = ");
        cfg_string(&scen, id);
        ts_buf_puts(&scen, "; name = ");
        cfg_string(&scen, uname >= 0 ? cell(dt, r, uname) : id);
        ts_buf_puts(&scen, ";");
        for (int pass = 0; pass < 2; pass++) {
            int any = 0;
            for (int q = 1; q < mt->n_rows; q++) {
                if (strcmp(cell(mt, q, m.type), pass ? "Denominator" : "Group")) continue;
                const char *v = cell(dt, r, ts_csv_table_column(dt, cell(mt, q, m.code)));
                if (is_na(v)) continue;
                ts_buf_printf(&scen, "%s%s = ", any++ ? " " : pass ? "\n    denominators = { " : "\n    groups = { ",
                              cell(mt, q, m.code));
                double x;
                if (pass && number(v, &x)) {
                    ts_fail(err, TS_EINPUT, idata, dt->line[r], "denominator '%s' of '%s' is not a number: '%s'",
                            cell(mt, q, m.code), id, v);
                    goto done;
                }
                if (pass) ts_buf_printf(&scen, "%.17g;", x);
                else {
                    cfg_string(&scen, v);
                    ts_buf_puts(&scen, ";");
                }
            }
            if (any) ts_buf_puts(&scen, " };");
        }
        ts_buf_puts(&scen, " }");
    }
    ts_buf_puts(&scen, "\n);\n\ndata = (\n");
    int blocks = 0;
    for (int q = 1; q < mt->n_rows; q++) {
        if (strcmp(cell(mt, q, m.type), "Indicator")) continue;
        const char *code = cell(mt, q, m.code);
        int col = ts_csv_table_column(dt, code);
        /* one block per year (COINr's Time column): a panel gives several */
        double done_years[64];
        int n_years = 0;
        for (int r0 = 1; r0 < dt->n_rows; r0++) {
            double y = 0;
            const char *year = time >= 0 ? cell(dt, r0, time) : "";
            if (time < 0 || number(year, &y) || y != floor(y) || y < 1900 || y > 2100) {
                ts_fail(err, TS_EINPUT, idata, dt->line[r0], "row needs a Time column holding a year (got '%s')", year);
                goto done;
            }
            int seen = 0;
            for (int k = 0; k < n_years && !seen; k++) seen = done_years[k] == y;
            if (seen) continue;
            if (n_years == 64) {
                ts_fail(err, TS_EINPUT, idata, dt->line[r0], "more than 64 distinct years");
                goto done;
            }
            done_years[n_years++] = y;
            ts_buf_printf(&scen, "%s  { indicator = \"%s\"; year = %d; source = ", blocks++ ? ",\n" : "", code, (int)y);
            char src[700];
            snprintf(src, sizeof src, "COINr iData %s", base ? base + 1 : idata);
            cfg_string(&scen, src);
            ts_buf_puts(&scen, ";\n    values = {");
            for (int r = r0; r < dt->n_rows; r++) {
                const char *v = cell(dt, r, col);
                double x, yr;
                if (number(cell(dt, r, time), &yr) || yr != y || is_na(v)) continue;
                if (number(v, &x)) {
                    ts_fail(err, TS_EINPUT, idata, dt->line[r], "%s of '%s' is not a number: '%s'", code, cell(dt, r, ucode), v);
                    goto done;
                }
                ts_buf_printf(&scen, " %s = %.17g;", cell(dt, r, ucode), x);
            }
            ts_buf_puts(&scen, " }; }");
        }
    }
    ts_buf_puts(&scen, "\n);\n");
    if (tax.oom || scen.oom) {
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        goto done;
    }
    if (write_whole(taxonomy_out, &tax)) {
        rc = ts_fail(err, TS_ESYSTEM, taxonomy_out, 0, "cannot write: %s", strerror(errno));
        goto done;
    }
    if (write_whole(scenario_out, &scen)) {
        rc = ts_fail(err, TS_ESYSTEM, scenario_out, 0, "cannot write: %s", strerror(errno));
        remove(taxonomy_out);
        goto done;
    }
    rc = TS_OK;
done:
    ts_buf_free(&tax);
    ts_buf_free(&scen);
    ts_csv_table_free(mt);
    ts_csv_table_free(dt);
    return rc;
}
