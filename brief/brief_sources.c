/* brief_sources.c -- the briefing report's last sections: every value with
 * its year, source and flags, the register entries cited, and provenance. */
#include "brief_parts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---- method settings, from method_json ------------------------------------ */

/* Counts of one setting's methods over the nodes (e.g. normalise: minmax 57). */
typedef struct setting_count {
    const char *setting;
    int n;
    const char *method[12];
    int count[12];
} setting_count;

/* Counts one node's method (NULL: none) in sc. */
static void count_method(setting_count *sc, const char *method) {
    if (!method) return;
    for (int i = 0; i < sc->n; i++)
        if (strcmp(sc->method[i], method) == 0) {
            sc->count[i]++;
            return;
        }
    if (sc->n < 12) {
        sc->method[sc->n] = method;
        sc->count[sc->n++] = 1;
    }
}

/* Copies the JSON scalar (or flat array) at j into buf as its text. */
static void json_literal(ts_json *j, char *buf, size_t n) {
    while (*j->p == ' ') j->p++;
    const char *s = j->p;
    if (*s == '"') {
        const char *v = ts_json_string(j);
        snprintf(buf, n, "%s", v ? v : "");
        return;
    }
    if (*s == '[' || *s == '{') {
        const char *start = s;
        ts_json_skip(j);
        size_t len = (size_t)(j->p - start);
        snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), start);
        return;
    }
    while (*j->p && !strchr(",}] \n", *j->p)) j->p++;
    snprintf(buf, n, "%.*s", (int)((size_t)(j->p - s) < n ? (size_t)(j->p - s) : n - 1), s);
}

/* Reads the method of a node setting: {"method":"x",...} or "x". */
static const char *setting_method(ts_json *j) {
    while (*j->p == ' ') j->p++;
    if (*j->p == '"') return ts_json_string(j);
    const char *m = NULL;
    if (!ts_json_eat(j, '{')) {
        ts_json_skip(j);
        return NULL;
    }
    if (ts_json_eat(j, '}')) return NULL;
    do {
        const char *key = ts_json_string(j);
        if (!key || !ts_json_eat(j, ':')) {
            j->bad = 1;
            return NULL;
        }
        if (strcmp(key, "method") == 0) m = ts_json_string(j);
        else ts_json_skip(j);
    } while (!j->bad && ts_json_eat(j, ','));
    ts_json_eat(j, '}');
    return m;
}

/* Writes the run's method settings: the global ones as key = value, then
 * per setting the methods its nodes use with their counts. */
static void method_summary(ts_buf *h, const char *json, ts_arena *a) {
    static const char *const SETTINGS[] = {"normalise", "transform", "treat", "impute", "aggregate"};
    setting_count sc[5] = {{"normalise", 0, {0}, {0}}, {"transform", 0, {0}, {0}}, {"treat", 0, {0}, {0}},
                           {"impute", 0, {0}, {0}},    {"aggregate", 0, {0}, {0}}};
    ts_json j;
    ts_json_init(&j, json ? json : "", a);
    int first = 1;
    if (ts_json_eat(&j, '{') && !ts_json_eat(&j, '}')) {
        do {
            const char *key = ts_json_string(&j);
            if (!key || !ts_json_eat(&j, ':')) break;
            if (strcmp(key, "nodes") == 0) {
                if (!ts_json_eat(&j, '{') || ts_json_eat(&j, '}')) continue;
                do {
                    if (!ts_json_string(&j) || !ts_json_eat(&j, ':') || !ts_json_eat(&j, '{')) {
                        j.bad = 1;
                        break;
                    }
                    if (ts_json_eat(&j, '}')) continue;
                    do {
                        const char *nk = ts_json_string(&j);
                        if (!nk || !ts_json_eat(&j, ':')) {
                            j.bad = 1;
                            break;
                        }
                        int s = -1;
                        for (int i = 0; i < 5; i++)
                            if (strcmp(nk, SETTINGS[i]) == 0) s = i;
                        if (s >= 0) count_method(&sc[s], setting_method(&j));
                        else ts_json_skip(&j);
                    } while (!j.bad && ts_json_eat(&j, ','));
                    ts_json_eat(&j, '}');
                } while (!j.bad && ts_json_eat(&j, ','));
                ts_json_eat(&j, '}');
            } else {
                char v[200];
                json_literal(&j, v, sizeof v);
                ts_buf_puts(h, first ? "" : " · ");
                bp_esc(h, key);
                ts_buf_puts(h, " = ");
                bp_esc(h, *v ? v : "\"\"");
                first = 0;
            }
        } while (!j.bad && ts_json_eat(&j, ','));
    }
    for (int s = 0; s < 5; s++) {
        if (!sc[s].n) continue;
        ts_buf_puts(h, first ? "" : " · ");
        first = 0;
        bp_esc(h, sc[s].setting);
        ts_buf_puts(h, ": ");
        for (int i = 0; i < sc[s].n; i++) {
            if (i) ts_buf_puts(h, ", ");
            bp_esc(h, sc[s].method[i]);
            ts_buf_printf(h, " (%d)", sc[s].count[i]);
        }
    }
    if (j.oom) h->oom = 1; /* the text is fine: ts_brief_html fails */
    else if (j.bad) ts_buf_puts(h, " <span class=\"muted\">(the stored method settings could not be read whole)</span>");
}


/* ---- values and sources -------------------------------------------------------- */

/* Writes a source text with its [KEY] citations in bold. */
static void source_text(ts_buf *h, const char *s) {
    if (!s || !*s) {
        ts_buf_puts(h, "<span class=\"muted\">no source given</span>");
        return;
    }
    size_t pos = 0, done = 0, n;
    const char *key;
    char *copy = malloc(strlen(s) + 1);
    if (!copy) {
        h->oom = 1; /* not the text without its bold keys: ts_brief_html fails */
        return;
    }
    while (ts_register_next_key(s, &pos, &key, &n)) {
        size_t at = (size_t)(key - 1 - s);
        memcpy(copy, s + done, at - done);
        copy[at - done] = '\0';
        bp_esc(h, copy);
        ts_buf_puts(h, "<b>[");
        memcpy(copy, key, n);
        copy[n] = '\0';
        bp_esc(h, copy);
        ts_buf_puts(h, "]</b>");
        done = pos;
    }
    bp_esc(h, s + done);
    free(copy);
}

/* Writes text escaped, with every long decimal (17 significant digits, as
 * the engine records a shock's amount: 0.090999999999999998) shown with
 * six, as a reader wants it (0.091). */
static void esc_tidy(ts_buf *h, const char *s) {
    if (!s) return;
    ts_buf plain = {0};
    for (const char *p = s; *p;) {
        const char *q = p;
        if (*q == '-') q++;
        const char *digits = q;
        while (*q >= '0' && *q <= '9') q++;
        int frac = 0;
        if (*q == '.' && q > digits) {
            const char *f = ++q;
            while (*q >= '0' && *q <= '9') q++;
            frac = (int)(q - f);
        }
        int word_start = p == s || !((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.');
        if (frac >= 10 && word_start) {
            ts_buf_printf(&plain, "%.6g", strtod(p, NULL));
            p = q;
        } else {
            ts_buf_append(&plain, p, 1);
            p++;
        }
    }
    if (plain.oom) h->oom = 1;
    else bp_esc(h, plain.data ? plain.data : "");
    ts_buf_free(&plain);
}

/* Writes a value's flags: estimate, imputed, carried forward, interpolated,
 * shocked (with what was done), alternatives (with their sources). */
static void flags(ts_buf *h, const brief_value *v, int run_year) {
    int any = 0;
    if (v->estimate) ts_buf_puts(h, "<span class=\"flag est\">estimate</span>"), any = 1;
    if (v->imputed) ts_buf_puts(h, "<span class=\"flag imp\">imputed</span>"), any = 1;
    if (v->selected == TS_SELECT_CARRIED) {
        ts_buf_puts(h, "<span class=\"flag car\">carried forward");
        if (v->year && run_year) ts_buf_printf(h, " from %d to %d", v->year, run_year);
        ts_buf_puts(h, "</span>");
        any = 1;
    } else if (v->selected == TS_SELECT_INTERPOLATED) {
        ts_buf_puts(h, "<span class=\"flag car\">interpolated</span>");
        any = 1;
    }
    if (v->shock) {
        ts_buf_puts(h, "<span class=\"flag shk\">shocked</span> ");
        esc_tidy(h, v->shock);
        any = 1;
    }
    if (v->n_alt) {
        ts_buf_puts(h, any ? "<br>" : "");
        ts_buf_puts(h, "<span class=\"flag alt\">alternatives</span> ");
        for (int i = 0; i < v->n_alt; i++) {
            ts_buf_puts(h, i ? "; " : "");
            if (isfinite(v->alt[i].value)) ts_buf_printf(h, "%.6g", v->alt[i].value);
            else ts_buf_puts(h, "?");
            if (v->alt[i].year) ts_buf_printf(h, " (%d)", v->alt[i].year);
            ts_buf_puts(h, " ");
            source_text(h, v->alt[i].source);
        }
        any = 1;
    }
    if (v->note && (v->estimate || v->n_alt || v->selected)) {
        ts_buf_puts(h, any ? "<br>" : "");
        ts_buf_puts(h, "<span class=\"muted\">");
        bp_esc(h, v->note);
        ts_buf_puts(h, "</span>");
    }
}

/* Writes a value's number, or "missing". */
static void raw_value(ts_buf *h, const brief_value *v) {
    if (!v || !v->present) ts_buf_puts(h, "<span class=\"muted\">no row</span>");
    else if (isnan(v->raw)) ts_buf_puts(h, "<i class=\"muted\">missing</i>");
    else ts_buf_printf(h, "%.6g", v->raw);
}

/* Returns 1 when the value carries a flag listed under "Flagged values". */
static int flagged(const brief_value *v) {
    return v->present && (v->estimate || v->imputed || v->selected || v->shock || v->n_alt);
}

/* Writes the short marks of a value's flags (the legend explains them). */
static void flag_marks(ts_buf *h, const brief_value *v) {
    if (!flagged(v)) return;
    ts_buf_puts(h, "<sup class=\"mk\">");
    if (v->estimate) ts_buf_puts(h, "E");
    if (v->imputed) ts_buf_puts(h, "I");
    if (v->selected == TS_SELECT_CARRIED) ts_buf_puts(h, "C");
    if (v->selected == TS_SELECT_INTERPOLATED) ts_buf_puts(h, "P");
    if (v->shock) ts_buf_puts(h, "S");
    if (v->n_alt) ts_buf_puts(h, "A");
    ts_buf_puts(h, "</sup>");
}

/* Returns 1 when a and b are the same text (both NULL counts). */
static int same_text(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Writes indicator k's line: name, id, unit of measure and direction. */
static void indicator_label(ts_buf *h, const ts_stored_run *p, int k) {
    const ts_stored_node *nd = &p->nodes[k];
    bp_esc(h, bp_node_name(p, k));
    ts_buf_puts(h, "<br><span class=\"id small\">");
    bp_esc(h, nd->id);
    if (nd->unit_of_measure && *nd->unit_of_measure) {
        ts_buf_puts(h, " \xc2\xb7 ");
        bp_esc(h, nd->unit_of_measure);
    }
    if (nd->direction) ts_buf_puts(h, strcmp(nd->direction, "risk") == 0 ? " \xc2\xb7 higher is more risk" : " \xc2\xb7 higher is less risk");
    ts_buf_puts(h, "</span>");
}

/* Every value of the primary run: one row per indicator (units across,
 * the year most of them share, their sources), by dimension; then every
 * flagged value with what the flag says. */
static void values_table(ts_brief *b, ts_buf *h) {
    const brief_run *pr = &b->runs[b->primary];
    const ts_stored_run *p = pr->r;
    int nu = p->n_units, *order = bp_ranked_units(p, b->root);
    if (!order) {
        h->oom = 1; /* a page without the table is another page */
        return;
    }
    ts_buf_puts(h, "<p class=\"small\">Marks after a value: <b>E</b> estimate, <b>I</b> imputed, <b>C</b> carried"
                   " forward from an earlier year, <b>P</b> interpolated, <b>S</b> shocked by the scenario,"
                   " <b>A</b> conflicting sourced alternatives; each is listed under <i>Flagged values</i>. A year"
                   " in brackets differs from the row's year. \xe2\x80\x93 missing: left out, the weights of its"
                   " siblings rescaled.</p>\n");
    double unit_share = nu ? 42.0 / nu : 42.0;
    ts_buf_printf(h, "<table class=\"values\"><colgroup><col style=\"width:26%%\">");
    for (int i = 0; i < nu; i++) ts_buf_printf(h, "<col style=\"width:%.2f%%\">", unit_share);
    ts_buf_puts(h, "<col style=\"width:6%\"><col style=\"width:26%\"></colgroup>\n<thead><tr><th>Indicator</th>");
    for (int i = 0; i < nu; i++) {
        ts_buf_puts(h, "<th class=\"num\">");
        bp_esc(h, p->unit_id[order[i]]);
        ts_buf_puts(h, "</th>");
    }
    ts_buf_puts(h, "<th class=\"num\">Year</th><th>Source</th></tr></thead>\n");
    int dim = -1;
    for (int k = 0; k < p->n_nodes; k++) {
        if (!p->nodes[k].is_indicator) continue;
        int d = k;
        while (p->nodes[d].parent >= 0 && p->nodes[d].parent != b->root) d = p->nodes[d].parent;
        if (d != dim) {
            ts_buf_puts(h, dim < 0 ? "<tbody>" : "</tbody>\n<tbody>");
            ts_buf_printf(h, "<tr class=\"group\"><th colspan=\"%d\">", nu + 3);
            bp_esc(h, bp_node_name(p, d));
            ts_buf_puts(h, "</th></tr>\n");
            dim = d;
        }
        /* the year most values of the row have */
        int year = 0, best = 0;
        for (int i = 0; i < nu; i++) {
            const brief_value *v = ts_brief_value(pr, order[i], k);
            if (!v->present || !v->year) continue;
            int count = 0;
            for (int j = 0; j < nu; j++) count += ts_brief_value(pr, order[j], k)->year == v->year;
            if (count > best) best = count, year = v->year;
        }
        ts_buf_puts(h, "<tr><td>");
        indicator_label(h, p, k);
        ts_buf_puts(h, "</td>");
        for (int i = 0; i < nu; i++) {
            const brief_value *v = ts_brief_value(pr, order[i], k);
            ts_buf_puts(h, "<td class=\"num\">");
            if (!v->present || isnan(v->raw)) ts_buf_puts(h, "\xe2\x80\x93");
            else ts_buf_printf(h, "%.6g", v->raw);
            if (v->present && v->year && v->year != year) ts_buf_printf(h, " <span class=\"small\">(%d)</span>", v->year);
            flag_marks(h, v);
            ts_buf_puts(h, "</td>");
        }
        ts_buf_puts(h, "<td class=\"num\">");
        if (year) ts_buf_printf(h, "%d", year);
        ts_buf_puts(h, "</td><td class=\"src\">");
        /* each distinct source once, with the units citing it when not all */
        int shown = 0, with_source = 0;
        for (int i = 0; i < nu; i++) with_source += ts_brief_value(pr, order[i], k)->source != NULL;
        for (int i = 0; i < nu; i++) {
            const brief_value *v = ts_brief_value(pr, order[i], k);
            if (!v->source) continue;
            int first = 1, users = 0;
            for (int j = 0; j < i && first; j++) first = !same_text(ts_brief_value(pr, order[j], k)->source, v->source);
            if (!first) continue;
            for (int j = 0; j < nu; j++) users += same_text(ts_brief_value(pr, order[j], k)->source, v->source);
            ts_buf_puts(h, shown++ ? "<br>" : "");
            if (users < with_source || with_source < nu) {
                ts_buf_puts(h, "<span class=\"muted\">");
                for (int j = 0, m = 0; j < nu; j++)
                    if (same_text(ts_brief_value(pr, order[j], k)->source, v->source)) {
                        ts_buf_puts(h, m++ ? ", " : "");
                        bp_esc(h, p->unit_id[order[j]]);
                    }
                ts_buf_puts(h, ":</span> ");
            }
            source_text(h, v->source);
        }
        if (!shown) ts_buf_puts(h, "<span class=\"muted\">no source given</span>");
        ts_buf_puts(h, "</td></tr>\n");
    }
    if (dim >= 0) ts_buf_puts(h, "</tbody>");
    ts_buf_puts(h, "</table>\n");
    /* the flagged values, with what each flag says */
    int n_flagged = 0;
    for (int k = 0; k < p->n_nodes; k++)
        for (int u = 0; u < nu && p->nodes[k].is_indicator; u++) n_flagged += flagged(ts_brief_value(pr, u, k));
    ts_buf_printf(h, "<h3>Flagged values</h3>\n<p>%d value%s of ", n_flagged, n_flagged == 1 ? "" : "s");
    bp_run_label(h, p);
    ts_buf_puts(h, n_flagged ? " carry a flag:</p>\n" : " carry a flag.</p>\n");
    if (n_flagged) {
        ts_buf_puts(h, "<table><colgroup><col style=\"width:24%\"><col style=\"width:7%\"><col style=\"width:9%\">"
                       "<col style=\"width:6%\"><col style=\"width:54%\"></colgroup>\n<thead><tr><th>Indicator</th>"
                       "<th>Unit</th><th class=\"num\">Value</th><th class=\"num\">Year</th><th>Flags, alternatives"
                       " and notes</th></tr></thead><tbody>\n");
        for (int k = 0; k < p->n_nodes; k++) {
            if (!p->nodes[k].is_indicator) continue;
            for (int i = 0; i < nu; i++) {
                const brief_value *v = ts_brief_value(pr, order[i], k);
                if (!flagged(v)) continue;
                ts_buf_puts(h, "<tr><td>");
                bp_esc(h, bp_node_name(p, k));
                ts_buf_puts(h, "</td><td>");
                bp_esc(h, p->unit_id[order[i]]);
                ts_buf_puts(h, "</td><td class=\"num\">");
                raw_value(h, v);
                ts_buf_puts(h, "</td><td class=\"num\">");
                if (v->year) ts_buf_printf(h, "%d", v->year);
                ts_buf_puts(h, "</td><td class=\"flags\">");
                flags(h, v, p->year);
                ts_buf_puts(h, "</td></tr>\n");
            }
        }
        ts_buf_puts(h, "</tbody></table>\n");
    }
    free(order);
}

/* The values each compared run holds that differ from the reference's. */
static void changed_values(ts_brief *b, ts_buf *h) {
    const brief_run *ref = &b->runs[0];
    for (int i = 1; i < b->n_runs; i++) {
        const brief_run *x = &b->runs[i];
        int n = 0;
        for (int u = 0; u < x->r->n_units; u++)
            n += bp_inputs_changed(b, i, x->r->unit_id[u]);
        ts_buf_puts(h, "<h4>");
        bp_esc(h, x->r->info.scenario);
        ts_buf_printf(h, " <span class=\"id\">run %lld: %d value%s differ from the reference</span></h4>\n", x->r->info.id,
                      n, n == 1 ? "" : "s");
        if (!n) continue;
        ts_buf_puts(h, "<table><thead><tr><th>Indicator</th><th>Unit</th><th class=\"num\">Reference</th>"
                       "<th class=\"num\">Scenario</th><th>Source, and what the scenario does</th></tr></thead><tbody>\n");
        for (int k = 0; k < x->r->n_nodes; k++) {
            if (!x->r->nodes[k].is_indicator) continue;
            int kr = ts_stored_run_node(ref->r, x->r->nodes[k].id);
            for (int u = 0; u < x->r->n_units; u++) {
                int ur = ts_stored_run_unit(ref->r, x->r->unit_id[u]);
                const brief_value *a = kr >= 0 && ur >= 0 ? ts_brief_value(ref, ur, kr) : NULL,
                                  *v = ts_brief_value(x, u, k);
                if (!bp_value_changed(a, v)) continue;
                ts_buf_puts(h, "<tr><td>");
                bp_esc(h, bp_node_name(x->r, k));
                ts_buf_puts(h, "</td><td>");
                bp_esc(h, x->r->unit_id[u]);
                ts_buf_puts(h, "</td><td class=\"num\">");
                raw_value(h, a);
                ts_buf_puts(h, "</td><td class=\"num\">");
                raw_value(h, v);
                ts_buf_puts(h, "</td><td class=\"flags\">");
                source_text(h, v->source);
                if (v->shock) {
                    ts_buf_puts(h, "<br><span class=\"flag shk\">shocked</span> ");
                    esc_tidy(h, v->shock);
                }
                ts_buf_puts(h, "</td></tr>\n");
            }
        }
        ts_buf_puts(h, "</tbody></table>\n");
    }
}

/* A cited key and how many values cite it. */
typedef struct cited {
    const char *key;
    size_t n;
    int count;
} cited;

/* Counts one citation of key (len bytes) in v (n entries, room for cap). */
static void cite(cited *v, int *n, int cap, const char *key, size_t len) {
    for (int i = 0; i < *n; i++)
        if (v[i].n == len && strncmp(v[i].key, key, len) == 0) {
            v[i].count++;
            return;
        }
    if (*n < cap) v[(*n)++] = (cited){key, len, 1};
}

/* Orders cited keys bytewise (qsort). */
static int cmp_cited(const void *a, const void *b) {
    const cited *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = strncmp(x->key, y->key, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Every register key cited by a value (or an alternative) of the runs in
 * the report, with the register's entry. */
static void register_table(ts_brief *b, ts_buf *h) {
    enum { CAP = 1024 };
    cited *keys = malloc(CAP * sizeof *keys);
    if (!keys) {
        h->oom = 1;
        return;
    }
    int n = 0, uncited = 0;
    /* the primary run's values, and the values the other runs change */
    for (int i = 0; i < b->n_runs; i++) {
        const brief_run *br = &b->runs[i], *ref = &b->runs[0];
        size_t cells = (size_t)br->r->n_units * (size_t)br->r->n_nodes;
        for (size_t c = 0; c < cells; c++) {
            const brief_value *v = &br->values[c];
            if (!v->present) continue;
            if (i != b->primary) {
                int u = (int)(c / (size_t)br->r->n_nodes), k = (int)(c % (size_t)br->r->n_nodes);
                int ur = ts_stored_run_unit(ref->r, br->r->unit_id[u]), kr = ts_stored_run_node(ref->r, br->r->nodes[k].id);
                const brief_value *rv = ur >= 0 && kr >= 0 ? ts_brief_value(ref, ur, kr) : NULL;
                if (i == 0 || !bp_value_changed(rv, v)) continue;
            }
            for (int a = -1; a < v->n_alt; a++) {
                const char *s = a < 0 ? v->source : v->alt[a].source, *key;
                size_t pos = 0, len;
                int found = 0;
                while (s && ts_register_next_key(s, &pos, &key, &len)) cite(keys, &n, CAP, key, len), found = 1;
                if (!found && a < 0 && s && *s) uncited++;
            }
        }
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_cited);
    ts_buf_puts(h, "<h3>Source register</h3>\n<p>The register keys the values cite, with their entry in ");
    bp_esc(h, b->register_path[0] ? b->register_path : "the register");
    if (!b->reg) {
        ts_buf_puts(h, ".</p>\n<p class=\"note warn\">The register could not be read: ");
        bp_esc(h, b->register_error);
        ts_buf_puts(h, ". The keys are listed without their entries.</p>\n");
    } else {
        ts_buf_printf(h, " (%d entries).</p>\n", ts_register_count(b->reg));
    }
    if (uncited)
        ts_buf_printf(h, "<p class=\"note warn\">%d value%s give a source that cites no register key.</p>\n", uncited,
                      uncited == 1 ? "" : "s");
    ts_buf_puts(h, "<table class=\"register\"><colgroup><col style=\"width:22%\"><col style=\"width:68%\"><col style=\"width:10%\">"
                   "</colgroup>\n<thead><tr><th>Key</th><th>Entry</th><th class=\"num wrap\">Values citing it</th></tr></thead>"
                   "<tbody>\n");
    for (int i = 0; i < n; i++) {
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(keys[i].n < 127 ? keys[i].n : 127), keys[i].key);
        const char *title = ts_register_title(b->reg, keys[i].key, keys[i].n);
        ts_buf_puts(h, "<tr><td class=\"key\">");
        bp_esc(h, key);
        ts_buf_puts(h, "</td><td>");
        if (title) bp_esc(h, title);
        else if (b->reg) ts_buf_puts(h, "<span class=\"up\">not in the register</span>");
        else ts_buf_puts(h, "<span class=\"muted\">register not read</span>");
        ts_buf_printf(h, "</td><td class=\"num\">%d</td></tr>\n", keys[i].count);
    }
    ts_buf_puts(h, "</tbody></table>\n");
    free(keys);
}

/* 6: every value with its source and flags, the values the scenarios change,
 * the register entries cited. */
void ts_brief_values(ts_brief *b, ts_buf *h) {
    const ts_stored_run *p = b->runs[b->primary].r;
    ts_buf_puts(h, "<section id=\"values\">\n<h2>6. Values and sources</h2>\n<p>Every input value of ");
    bp_run_label(h, p);
    ts_buf_puts(h, ": one row per indicator, with the year most of its values are from and the source each"
                   " cites ([KEY]: an entry of the source register, listed at the end of this section).</p>\n");
    values_table(b, h);
    if (b->n_runs > 1) {
        ts_buf_puts(h, "<h3>Values the scenarios change</h3>\n");
        changed_values(b, h);
    }
    register_table(b, h);
    ts_buf_puts(h, "</section>\n");
}

/* ---- provenance ------------------------------------------------------------------ */

/* One run's provenance: files and hashes, values hash, key, options, method. */
static void run_provenance(ts_brief *b, ts_buf *h, ts_stored_run *r, const char *role) {
    ts_buf_puts(h, "<div class=\"keep\"><h4>");
    bp_esc(h, role);
    ts_buf_puts(h, ": ");
    bp_run_label(h, r);
    ts_buf_puts(h, "</h4>\n<table class=\"prov\"><tbody>\n<tr><th>Stored</th><td>");
    bp_when(h, r->info.created_at);
    ts_buf_puts(h, " by threatscore ");
    bp_esc(h, r->info.engine_version);
    ts_buf_printf(h, "; %d units, %d indicators; taxonomy ", r->info.n_units, r->info.n_indicators);
    bp_esc(h, r->info.taxonomy_id);
    ts_buf_puts(h, "</td></tr>\n");
    const ts_stored_file *files;
    int n = ts_stored_run_files(r, &files);
    for (int i = 0; i < n; i++) {
        ts_buf_puts(h, "<tr><th>");
        bp_esc(h, files[i].role);
        ts_buf_puts(h, "</th><td>");
        bp_esc(h, files[i].path);
        if (files[i].abs_path && strcmp(files[i].abs_path, files[i].path) != 0) {
            ts_buf_puts(h, " <span class=\"muted small\">(");
            bp_esc(h, files[i].abs_path);
            ts_buf_puts(h, ")</span>");
        }
        ts_buf_puts(h, "<br><span class=\"mono\">sha256 ");
        bp_esc(h, files[i].sha256);
        ts_buf_puts(h, "</span></td></tr>\n");
    }
    if (n < 0) ts_buf_puts(h, "<tr><th>files</th><td class=\"up\">the stored list of input files cannot be read</td></tr>\n");
    ts_buf_puts(h, "<tr><th>values</th><td><span class=\"mono\">sha256 ");
    bp_esc(h, r->values_sha256);
    ts_buf_puts(h, "</span></td></tr>\n<tr><th>run key</th><td><span class=\"mono\">");
    bp_esc(h, r->run_key ? r->run_key : "none (stored before schema 2)");
    ts_buf_puts(h, "</span></td></tr>\n");
    ts_stored_options o;
    if (ts_stored_run_options(r, &o) == 0 && (o.n_set || o.n_perspectives || o.has_csv)) {
        ts_buf_puts(h, "<tr><th>options</th><td>");
        for (int i = 0; i < o.n_set; i++) {
            ts_buf_puts(h, "--set ");
            bp_esc(h, o.set[i]);
            ts_buf_puts(h, " ");
        }
        for (int i = 0; i < o.n_perspectives; i++) {
            ts_buf_puts(h, "--perspective ");
            bp_esc(h, o.perspectives[i]);
            ts_buf_puts(h, " ");
        }
        if (o.has_csv) ts_buf_puts(h, "(scored from a CSV file)");
        ts_buf_puts(h, "</td></tr>\n");
    }
    ts_buf_puts(h, "<tr><th>method</th><td class=\"small\">");
    method_summary(h, r->method_json, b->arena);
    ts_buf_puts(h, "</td></tr>\n</tbody></table></div>\n");
}

/* 7: the report's own provenance, then every run's and the analysis'. */
void ts_brief_provenance(ts_brief *b, ts_buf *h) {
    ts_buf_puts(h, "<section id=\"provenance\">\n<h2>7. Provenance</h2>\n<p>What it takes to reproduce every number"
                   " above: each run's input files with their SHA-256, the hash of the values scored, the engine"
                   " version and the method settings. <code>threatscore rescore --db FILE --run ID</code> re-runs a"
                   " run from these and checks it bit for bit.</p>\n");
    ts_buf_puts(h, "<table class=\"prov\"><tbody>\n<tr><th>Report</th><td>threatscore " TS_VERSION);
    if (b->opt->generated_at) {
        ts_buf_puts(h, ", generated ");
        bp_esc(h, b->opt->generated_at);
    }
    ts_buf_puts(h, "</td></tr>\n<tr><th>Database</th><td>");
    bp_esc(h, b->opt->db);
    ts_buf_puts(h, "</td></tr>\n<tr><th>Source register</th><td>");
    if (b->reg) bp_esc(h, b->register_path);
    else bp_esc(h, b->register_error);
    ts_buf_puts(h, "</td></tr>\n</tbody></table>\n");
    for (int i = 0; i < b->n_runs; i++)
        run_provenance(b, h, b->runs[i].r, i == 0 ? "Reference" : i == b->primary ? "Reported run" : "Compared");
    for (int y = 0; y < b->n_years; y++) run_provenance(b, h, b->year_runs[y], "Per-year run");
    if (b->ua.have) {
        const ts_stored_ua *ua = &b->ua.ua;
        ts_buf_printf(h, "<div class=\"keep\"><h4>Uncertainty analysis %lld</h4>\n<table class=\"prov\"><tbody>\n"
                         "<tr><th>Scenario</th><td>",
                      ua->id);
        bp_esc(h, ua->scenario);
        ts_buf_puts(h, ", stored ");
        bp_when(h, b->ua.match.created_at);
        ts_buf_printf(h, "</td></tr>\n<tr><th>Design</th><td>%ld %s, seed ", ua->n, ua->sobol ? "base samples (Sobol')" : "replications");
        bp_esc(h, ua->seed);
        ts_buf_printf(h, ", bootstrap %d, rank bin width %d</td></tr>\n", ua->bootstrap, ua->rank_bin_width);
        if (ua->taxonomy_sha256) {
            ts_buf_puts(h, "<tr><th>taxonomy</th><td>");
            bp_esc(h, ua->taxonomy_path ? ua->taxonomy_path : "");
            ts_buf_puts(h, "<br><span class=\"mono\">sha256 ");
            bp_esc(h, ua->taxonomy_sha256);
            ts_buf_puts(h, "</span></td></tr>\n");
        }
        ts_buf_printf(h, "<tr><th>Inputs</th><td>%s</td></tr>\n</tbody></table></div>\n",
                      b->ua.match.same_values && b->ua.match.same_taxonomy ? "the values and taxonomy of the reported run"
                                                                            : "differ from the reported run's");
    }
    ts_buf_puts(h, "</section>\n");
}

