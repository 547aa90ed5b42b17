/* spec.c -- resolved per-run method settings and their JSON record. */
#include "spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ts_spec *ts_spec_from_taxonomy(const ts_taxonomy *t, int n_units) {
    ts_spec *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_nodes = t->n_nodes;
    s->n_units = n_units;
    s->max_age = -1;
    s->agg = malloc((size_t)t->n_nodes * sizeof *s->agg);
    s->norm = malloc((size_t)t->n_nodes * sizeof *s->norm);
    s->weight = malloc((size_t)t->n_nodes * sizeof *s->weight);
    s->treat = malloc((size_t)t->n_nodes * sizeof *s->treat);
    s->impute = malloc((size_t)t->n_nodes * sizeof *s->impute);
    s->data_threshold = malloc((size_t)t->n_nodes * sizeof *s->data_threshold);
    if (!s->agg || !s->norm || !s->weight || !s->treat || !s->impute || !s->data_threshold) {
        ts_spec_free(s);
        return NULL;
    }
    for (int k = 0; k < t->n_nodes; k++) {
        s->agg[k] = t->nodes[k].agg;
        s->norm[k] = t->nodes[k].norm;
        s->weight[k] = t->nodes[k].weight;
        s->treat[k] = t->nodes[k].treat;
        s->impute[k] = t->nodes[k].impute;
        s->data_threshold[k] = t->nodes[k].data_threshold;
    }
    return s;
}

void ts_spec_free(ts_spec *s) {
    if (!s) return;
    free(s->agg);
    free(s->norm);
    free(s->weight);
    free(s->treat);
    free(s->impute);
    free(s->data_threshold);
    free(s->unit_weight);
    free(s);
}

int ts_spec_set_unit_weight(ts_spec *s, int u, int k, double w) {
    if (!s->unit_weight) {
        size_t n = (size_t)s->n_units * (size_t)s->n_nodes;
        s->unit_weight = malloc((n + 1) * sizeof *s->unit_weight);
        if (!s->unit_weight) return TS_ESYSTEM;
        for (size_t c = 0; c < n; c++) s->unit_weight[c] = NAN;
    }
    s->unit_weight[(size_t)u * (size_t)s->n_nodes + (size_t)k] = w;
    return TS_OK;
}

/* Returns 1 when every child of node k has weight zero for unit u (u < 0:
 * the global weights). */
static int children_all_zero(const ts_spec *s, const ts_taxonomy *t, int k, int u) {
    const ts_node *nd = &t->nodes[k];
    for (int c = 0; c < nd->n_children; c++) {
        int child = t->children[nd->first_child + c];
        double w = u < 0 ? s->weight[child] : ts_spec_weight(s, u, child);
        if (w > 0) return 0;
    }
    return 1;
}

int ts_spec_check_weights(const ts_spec *s, const ts_taxonomy *t, const char *const *unit_id,
                          const char *file, int line, ts_error *err) {
    for (int k = 0; k < t->n_nodes; k++) {
        if (t->nodes[k].n_children == 0) continue;
        if (children_all_zero(s, t, k, -1))
            return ts_fail(err, TS_EINPUT, file, line, "all weights of the children of '%s' are zero",
                           t->nodes[k].id);
        if (!s->unit_weight) continue;
        for (int u = 0; u < s->n_units; u++)
            if (children_all_zero(s, t, k, u))
                return ts_fail(err, TS_EINPUT, file, line,
                               "all weights of the children of '%s' are zero for '%s'",
                               t->nodes[k].id, unit_id[u]);
    }
    return TS_OK;
}

static void json_range(ts_buf *b, const char *key, double lo, double hi) {
    ts_buf_printf(b, ",\"%s\":[", key);
    ts_buf_json_number(b, lo);
    ts_buf_puts(b, ",");
    ts_buf_json_number(b, hi);
    ts_buf_puts(b, "]");
}

static void json_norm(ts_buf *b, const ts_norm *n) {
    ts_buf_printf(b, ",\"normalise\":{\"method\":\"%s\"", ts_norm_name(n->method));
    if (n->has_range) json_range(b, "range", n->lo, n->hi);
    switch (n->method) {
    case TS_NORM_ZSCORE:
        ts_buf_puts(b, ",\"mean\":");
        ts_buf_json_number(b, n->mean);
        ts_buf_puts(b, ",\"sd\":");
        ts_buf_json_number(b, n->sd);
        break;
    case TS_NORM_DIST2REF:
        ts_buf_puts(b, ",\"ref\":");
        ts_buf_json_string(b, n->ref);
        /* fall through */
    case TS_NORM_DIST2TARG:
        ts_buf_puts(b, ",\"cap\":");
        ts_buf_json_number(b, n->cap);
        break;
    case TS_NORM_SCALED:
        ts_buf_puts(b, ",\"lower\":");
        ts_buf_json_number(b, n->lower);
        ts_buf_puts(b, ",\"upper\":");
        ts_buf_json_number(b, n->upper);
        break;
    default: break;
    }
    ts_buf_puts(b, "}");
}

void ts_spec_json(const ts_spec *s, const ts_taxonomy *t, const char *const *unit_id, ts_buf *b) {
    ts_buf_puts(b, "{\"scale\":[");
    ts_buf_json_number(b, t->scale_min);
    ts_buf_puts(b, ",");
    ts_buf_json_number(b, t->scale_max);
    ts_buf_puts(b, "],\"screen\":");
    ts_buf_json_number(b, s->screen);
    ts_buf_puts(b, ",\"weight_set\":");
    ts_buf_json_string(b, s->weight_set);
    ts_buf_printf(b, ",\"denominate\":%s,\"year\":%d,\"max_age\":%d,\"interpolate\":%s",
                  s->denominate ? "true" : "false", s->year, s->max_age, s->interpolate ? "true" : "false");
    ts_buf_puts(b, ",\"nodes\":{");
    for (int k = 0; k < t->n_nodes; k++) {
        const ts_node *nd = &t->nodes[k];
        if (k) ts_buf_puts(b, ",");
        ts_buf_json_string(b, nd->id);
        ts_buf_puts(b, ":{\"weight\":");
        ts_buf_json_number(b, s->weight[k]);
        ts_buf_printf(b, ",\"direction\":\"%s\"", nd->direction > 0 ? "risk" : "protective");
        if (nd->indicator < 0) {
            const ts_agg *a = &s->agg[k];
            ts_buf_printf(b, ",\"aggregate\":{\"method\":\"%s\"", ts_agg_name(a->method));
            if (a->method == TS_AGG_GENMEAN) ts_buf_printf(b, ",\"p\":%.17g", a->p);
            if (a->method == TS_AGG_CGEOMETRIC) ts_buf_printf(b, ",\"top\":%.17g,\"factor\":%.17g", a->top, a->factor);
            ts_buf_puts(b, "}");
            if (s->data_threshold[k] > 0) ts_buf_printf(b, ",\"data_threshold\":%.17g", s->data_threshold[k]);
        } else {
            json_norm(b, &s->norm[k]);
            ts_buf_printf(b, ",\"transform\":\"%s\"", ts_transform_name(nd->transform.method));
            if (nd->transform.method == TS_TRANSFORM_BOXCOX) ts_buf_printf(b, ",\"lambda\":%.17g", nd->transform.lambda);
            const ts_treat *tr = &s->treat[k];
            ts_buf_printf(b, ",\"treat\":{\"method\":\"%s\"", ts_treat_name(tr->method));
            if (tr->method != TS_TREAT_NONE)
                ts_buf_printf(b, ",\"winmax\":%d,\"skew\":%.17g,\"kurtosis\":%.17g,\"fallback\":\"%s\"", tr->winmax,
                              tr->skew, tr->kurtosis, ts_transform_name(tr->fallback));
            ts_buf_printf(b, "},\"impute\":{\"method\":\"%s\"", ts_impute_name(s->impute[k].method));
            if (s->impute[k].group[0]) {
                ts_buf_puts(b, ",\"group\":");
                ts_buf_json_string(b, s->impute[k].group);
            }
            ts_buf_puts(b, "}");
            if (nd->has_goalposts) json_range(b, "goalposts", nd->goal_lo, nd->goal_hi);
            if (nd->has_target) ts_buf_printf(b, ",\"target\":%.17g", nd->target);
            if (nd->denominator) {
                ts_buf_puts(b, ",\"denominator\":");
                ts_buf_json_string(b, nd->denominator);
            }
        }
        if (s->unit_weight) {
            int any = 0;
            for (int u = 0; u < s->n_units; u++) {
                double w = s->unit_weight[(size_t)u * (size_t)s->n_nodes + (size_t)k];
                if (isnan(w)) continue;
                ts_buf_puts(b, any++ ? "," : ",\"unit_weights\":{");
                ts_buf_json_string(b, unit_id[u]);
                ts_buf_puts(b, ":");
                ts_buf_json_number(b, w);
            }
            if (any) ts_buf_puts(b, "}");
        }
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "}");
    /* only a taxonomy that sets alert norms has them, so other runs keep
       their method JSON (and run keys) */
    const char *const names[] = {"near_class", "jump_sd", "jump_share", "min_reliability"};
    const double norms[] = {t->alert_near_class, t->alert_jump_sd, t->alert_jump_share, t->alert_min_reliability};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        if (isnan(norms[i])) continue;
        ts_buf_printf(b, "%s\"%s\":", any++ ? "," : ",\"alerts\":{", names[i]);
        ts_buf_json_number(b, norms[i]);
    }
    if (any) ts_buf_puts(b, "}");
    ts_buf_puts(b, "}");
}

/* Applies missing=TREATMENT[:IND,...] (every indicator without a list).
 * Returns TS_OK, or TS_EINPUT for an unknown treatment or indicator (s is
 * then unchanged). */
static int set_missing(ts_spec *s, const ts_taxonomy *t, const char *value, const char *where, ts_error *err) {
    char name[64];
    const char *colon = strchr(value, ':');
    snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - value) : (int)strlen(value), value);
    ts_missing m;
    if (ts_missing_parse(name, where, &m, err)) return TS_EINPUT;
    if (!colon || strcmp(colon + 1, "all") == 0) {
        for (int i = 0; i < t->n_indicators; i++) {
            int k = t->indicator_node[i];
            s->impute[k] = ts_missing_apply(&m, &s->impute[k]);
        }
        return TS_OK;
    }
    /* check every id before changing anything */
    for (int pass = 0; pass < 2; pass++) {
        const char *p = colon + 1;
        for (;;) {
            const char *comma = strchr(p, ',');
            char id[128];
            snprintf(id, sizeof id, "%.*s", comma ? (int)(comma - p) : (int)strlen(p), p);
            int k = ts_taxonomy_find(t, id);
            if (k < 0 || t->nodes[k].indicator < 0) return ts_taxonomy_unknown(t, "indicator", id, 1, where, 0, err);
            if (pass) s->impute[k] = ts_missing_apply(&m, &s->impute[k]);
            if (!comma) break;
            p = comma + 1;
        }
    }
    return TS_OK;
}

int ts_spec_set(ts_spec *s, const ts_taxonomy *t, const char *key, const char *value, const char *where,
                ts_error *err) {
    int n = t->n_nodes;
    if (strcmp(key, "aggregate") == 0) {
        ts_agg a;
        if (ts_agg_parse(value, where, &a, err)) return TS_EINPUT;
        for (int k = 0; k < n; k++) s->agg[k] = a;
    } else if (strcmp(key, "normalise") == 0) {
        ts_norm m;
        if (ts_norm_parse(value, where, &m, err)) return TS_EINPUT;
        for (int k = 0; k < n; k++) s->norm[k] = m;
    } else if (strcmp(key, "normalise.range") == 0) {
        double lo, hi;
        char extra;
        if (sscanf(value, "%lf,%lf%c", &lo, &hi, &extra) != 2 || !ts_number_ok(lo) || !ts_number_ok(hi) ||
            !(lo < hi))
            return ts_fail(err, TS_EINPUT, where, 0, "normalise.range takes LO,HI with LO < HI, not '%s'", value);
        for (int k = 0; k < n; k++) {
            ts_norm_method m = s->norm[k].method;
            if (m == TS_NORM_ZSCORE || m == TS_NORM_SCALED || m == TS_NORM_NONE) continue;
            s->norm[k].has_range = 1;
            s->norm[k].lo = lo;
            s->norm[k].hi = hi;
        }
    } else if (strcmp(key, "treat") == 0) {
        ts_treat tr;
        if (ts_treat_parse(value, where, &tr, err)) return TS_EINPUT;
        for (int k = 0; k < n; k++) s->treat[k] = tr;
    } else if (strcmp(key, "impute") == 0) {
        ts_impute im;
        if (ts_impute_parse(value, where, &im, err)) return TS_EINPUT;
        for (int k = 0; k < n; k++) s->impute[k] = im;
    } else if (strcmp(key, "missing") == 0) {
        return set_missing(s, t, value, where, err);
    } else if (strcmp(key, "data_threshold") == 0 || strcmp(key, "screen") == 0) {
        char *end;
        double x = strtod(value, &end);
        if (end == value || *end || !(x >= 0 && x <= 1))
            return ts_fail(err, TS_EINPUT, where, 0, "%s takes a share between 0 and 1, not '%s'", key, value);
        if (key[0] == 's') s->screen = x;
        else
            for (int k = 0; k < n; k++) s->data_threshold[k] = x;
    } else if (strcmp(key, "year") == 0 || strcmp(key, "max_age") == 0) {
        char *end;
        long x = strtol(value, &end, 10);
        int is_year = key[0] == 'y';
        if (end == value || *end || (is_year ? (x != 0 && (x < 1900 || x > 2100)) : (x < -1 || x > 1000)))
            return ts_fail(err, TS_EINPUT, where, 0, "%s takes %s, not '%s'", key,
                           is_year ? "a year (0 = the latest)" : "a number of years (-1 = any)", value);
        if (is_year) s->year = (int)x;
        else s->max_age = (int)x;
    } else if (strcmp(key, "interpolate") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0) s->interpolate = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0) s->interpolate = 0;
        else return ts_fail(err, TS_EINPUT, where, 0, "interpolate takes true or false, not '%s'", value);
    } else if (strcmp(key, "denominate") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0) s->denominate = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0) s->denominate = 0;
        else return ts_fail(err, TS_EINPUT, where, 0, "denominate takes true or false, not '%s'", value);
    } else {
        static const char *const keys[] = {"aggregate", "normalise", "normalise.range", "treat", "impute", "missing",
                                           "data_threshold", "screen", "weights", "denominate", "year",
                                           "max_age", "interpolate"};
        const char *hint = ts_suggest(key, keys, sizeof keys / sizeof *keys);
        if (hint) return ts_fail(err, TS_EINPUT, where, 0, "unknown method key '%s' (did you mean '%s'?)", key, hint);
        return ts_fail(err, TS_EINPUT, where, 0, "unknown method key '%s'", key);
    }
    return TS_OK;
}
