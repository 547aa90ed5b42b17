/* alert_write.c -- writing alerts: a table with one sentence per alert and
 * the arrows at the index, CSV with one row per alert, or JSON. */
#include <math.h>
#include <string.h>

#include "alert.h"

/* Copies s into out (size n) with control characters replaced and cut to
 * width characters (bytes), so names from input files cannot move the
 * terminal's cursor. */
static const char *cell(const char *s, char *out, size_t n, int width) {
    size_t k = 0;
    for (; s && *s && k + 1 < n && (int)k < width; s++) out[k++] = ((unsigned char)*s < 0x20 || *s == 0x7F) ? ' ' : *s;
    out[k] = '\0';
    return out;
}

/* Appends x with prec decimals in width, or "-" for NaN. */
static void num(ts_buf *b, double x, int width, int prec) {
    if (isnan(x)) ts_buf_printf(b, " %*s", width, "-");
    else ts_buf_printf(b, " %*.*f", width, prec, x);
}

/* Appends the norms and sources of run j, for the table. */
static void run_header(ts_buf *b, const ts_alerts *a, int j) {
    const ts_alert_run *ar = &a->runs[j];
    const ts_stored_run *x = ar->run;
    int count = 0;
    for (int i = 0; i < a->n; i++) count += a->alerts[i].run == j;
    char name[200];
    ts_buf_printf(b, "\nrun %lld  %s: %d alert%s\n", x->info.id, cell(x->info.scenario, name, sizeof name, 120), count,
                  count == 1 ? "" : "s");
    if (ar->ua_id) ts_buf_printf(b, "  probabilities: uncertainty analysis %lld of the same inputs\n", ar->ua_id);
    else ts_buf_puts(b, "  probabilities: none (no uncertainty analysis of this run's inputs is stored)\n");
    if (ar->history && ar->n_years >= 2)
        ts_buf_printf(b, "  history: per-year runs of %s, %d-%d (%d years)\n", cell(ar->history, name, sizeof name, 120),
                      ar->years[0], ar->years[ar->n_years - 1], ar->n_years);
    else
        ts_buf_puts(b, "  history: none (no per-year runs: `trend --db`); jumps measured against the scale only\n");
    ts_buf_printf(b, "  norms: within %.3g of the next class; jump beyond %g sd of past year-on-year changes", ar->near_class,
                  ar->jump_sd);
    if (ar->jump_share > 0) ts_buf_printf(b, " or %g of the scale", ar->jump_share);
    ts_buf_printf(b, "; marked (!) below reliability %g\n", ar->min_reliability);
}

/* Appends the table: per run its sources and norms, its alerts each with
 * its sentence, then the arrows at the index. Returns TS_OK. */
static int write_table(ts_buf *b, const ts_alerts *a) {
    const ts_stored_run *ref = a->cmp->reference;
    char c1[128], c2[128], c3[128], c4[128];
    ts_buf_printf(b, "reference: run %lld  %s (%s)\n", ref->info.id, cell(ref->info.scenario, c1, sizeof c1, 120),
                  ref->info.created_at);
    for (int j = 0; j < a->n_runs; j++) {
        run_header(b, a, j);
        int shown = 0;
        for (int i = 0; i < a->n; i++) {
            const ts_alert *al = &a->alerts[i];
            if (al->run != j) continue;
            if (!shown++)
                ts_buf_printf(b, "  %-6s %-20s %-12s %-26s %7s %7s %7s %5s %5s  %s\n", "unit", "node", "kind",
                              "from -> to", "score", "now", "delta", "P", "rel", "drivers");
            snprintf(c3, sizeof c3, "%s -> %s", al->from ? al->from : "-", al->to ? al->to : "-");
            ts_buf_printf(b, "  %-6s %-20s %-12s %-26s", cell(al->row->unit, c1, sizeof c1, 6),
                          cell(al->row->node, c2, sizeof c2, 20), ts_alert_kind_name(al->kind),
                          cell(c3, c4, sizeof c4, 26));
            num(b, al->row->ref_score, 7, 2);
            num(b, al->row->score, 7, 2);
            if (isnan(al->row->delta)) ts_buf_printf(b, " %7s", "-");
            else ts_buf_printf(b, " %+7.2f", al->row->delta);
            num(b, al->probability, 5, 2);
            num(b, al->reliability, 4, 1);
            ts_buf_puts(b, al->low_reliability ? "!" : " ");
            ts_buf_puts(b, " ");
            ts_buf why = {0};
            ts_alert_drivers_text(al, &why);
            ts_buf_printf(b, " %s\n         ", cell(why.data ? why.data : "", c1, sizeof c1, 100));
            if (why.oom) b->oom = 1;
            ts_buf_free(&why);
            ts_alert_sentence(a, al, b);
            ts_buf_puts(b, "\n");
        }
        if (!shown) ts_buf_puts(b, "  no alerts\n");
        int first = 1;
        for (int i = 0; i < a->n_arrows; i++) {
            const ts_alert_arrow *ar = &a->arrows[i];
            if (ar->run != j) continue;
            if (first) ts_buf_puts(b, "  at the index:");
            ts_buf_printf(b, "%s %s %s %+.2f", first ? "" : ",", cell(ar->row->unit, c1, sizeof c1, 16),
                          ts_alert_direction_name(ar->direction), ar->row->delta);
            if (!isnan(ar->reliability) && ar->reliability < a->runs[j].min_reliability)
                ts_buf_printf(b, " (reliability %.1f!)", ar->reliability);
            first = 0;
        }
        if (!first) ts_buf_puts(b, "\n");
    }
    return TS_OK;
}

/* Appends x as a CSV number (%.17g; nothing for NaN). */
static void csv_num(ts_buf *b, double x) {
    char n[40];
    ts_buf_puts(b, ts_fmt_double(n, sizeof n, x));
}

/* Appends the CSV: the header and one row per alert. Returns TS_OK. */
static int write_csv(ts_buf *b, const ts_alerts *a) {
    ts_buf_puts(b, "unit,node,kind,from,to,score_from,score_to,delta,probability,reliability,drivers,run,direction,"
                   "distance,norm,low_reliability\n");
    for (int i = 0; i < a->n; i++) {
        const ts_alert *al = &a->alerts[i];
        const char *text[] = {al->row->unit, al->row->node, ts_alert_kind_name(al->kind), al->from, al->to};
        for (int t = 0; t < 5; t++) {
            ts_csv_field(b, text[t] ? text[t] : "");
            ts_buf_puts(b, ",");
        }
        const double nums[] = {al->row->ref_score, al->row->score, al->row->delta, al->probability, al->reliability};
        for (int t = 0; t < 5; t++) {
            csv_num(b, nums[t]);
            ts_buf_puts(b, ",");
        }
        ts_buf why = {0};
        ts_alert_drivers_text(al, &why);
        ts_csv_field(b, why.data ? why.data : "");
        if (why.oom) b->oom = 1;
        ts_buf_free(&why);
        ts_buf_printf(b, ",%lld,%s,", a->runs[al->run].run->info.id, ts_alert_direction_name(al->direction));
        csv_num(b, al->distance);
        ts_buf_puts(b, ",");
        csv_num(b, al->norm);
        ts_buf_printf(b, ",%d\n", al->low_reliability);
    }
    return TS_OK;
}

/* Appends s as a JSON string, or null. */
static void json_str(ts_buf *b, const char *s) {
    if (s) ts_buf_json_string(b, s);
    else ts_buf_puts(b, "null");
}

/* Appends the JSON document: reference, runs, alerts, arrows. Returns TS_OK. */
static int write_json(ts_buf *b, const ts_alerts *a) {
    const ts_stored_run *ref = a->cmp->reference;
    ts_buf_printf(b, "{\"reference\":{\"id\":%lld,\"scenario\":", ref->info.id);
    json_str(b, ref->info.scenario);
    ts_buf_puts(b, "},\n\"runs\":[");
    for (int j = 0; j < a->n_runs; j++) {
        const ts_alert_run *ar = &a->runs[j];
        ts_buf_printf(b, "%s\n{\"id\":%lld,\"scenario\":", j ? "," : "", ar->run->info.id);
        json_str(b, ar->run->info.scenario);
        if (ar->ua_id) ts_buf_printf(b, ",\"uncertainty\":%lld", ar->ua_id);
        else ts_buf_puts(b, ",\"uncertainty\":null");
        ts_buf_puts(b, ",\"history\":");
        if (ar->history && ar->n_years >= 2) {
            ts_buf_puts(b, "{\"scenario\":");
            json_str(b, ar->history);
            ts_buf_puts(b, ",\"years\":[");
            for (int y = 0; y < ar->n_years; y++) ts_buf_printf(b, "%s%d", y ? "," : "", ar->years[y]);
            ts_buf_puts(b, "]}");
        } else {
            ts_buf_puts(b, "null");
        }
        const char *names[] = {"near_class", "jump_sd", "jump_share", "min_reliability", "stable"};
        const double v[] = {ar->near_class, ar->jump_sd, ar->jump_share, ar->min_reliability, ar->stable};
        ts_buf_puts(b, ",\"norms\":{");
        for (int t = 0; t < 5; t++) {
            ts_buf_printf(b, "%s\"%s\":", t ? "," : "", names[t]);
            ts_buf_json_number(b, v[t]);
        }
        ts_buf_puts(b, "}}");
    }
    ts_buf_puts(b, "],\n\"alerts\":[");
    for (int i = 0; i < a->n; i++) {
        const ts_alert *al = &a->alerts[i];
        ts_buf_printf(b, "%s\n{\"run\":%lld,\"unit\":", i ? "," : "", a->runs[al->run].run->info.id);
        json_str(b, al->row->unit);
        ts_buf_puts(b, ",\"node\":");
        json_str(b, al->row->node);
        ts_buf_printf(b, ",\"kind\":\"%s\",\"from\":", ts_alert_kind_name(al->kind));
        json_str(b, al->from);
        ts_buf_puts(b, ",\"to\":");
        json_str(b, al->to);
        const char *names[] = {"score_from", "score_to", "delta", "probability", "reliability", "distance", "norm"};
        const double v[] = {al->row->ref_score, al->row->score, al->row->delta, al->probability, al->reliability,
                            al->distance, al->norm};
        for (int t = 0; t < 7; t++) {
            ts_buf_printf(b, ",\"%s\":", names[t]);
            ts_buf_json_number(b, v[t]);
        }
        ts_buf_printf(b, ",\"low_reliability\":%s,\"direction\":\"%s\",\"drivers\":[",
                      al->low_reliability ? "true" : "false", ts_alert_direction_name(al->direction));
        for (int d = 0; d < al->n_drivers; d++) {
            const ts_alert_driver *dr = &al->drivers[d];
            ts_buf_puts(b, d ? ",{\"indicator\":" : "{\"indicator\":");
            json_str(b, dr->indicator);
            ts_buf_puts(b, ",\"name\":");
            json_str(b, dr->name);
            ts_buf_puts(b, ",\"raw_from\":");
            ts_buf_json_number(b, dr->raw_from);
            ts_buf_puts(b, ",\"raw_to\":");
            ts_buf_json_number(b, dr->raw_to);
            ts_buf_puts(b, ",\"change\":");
            ts_buf_json_number(b, dr->change);
            ts_buf_puts(b, "}");
        }
        ts_buf_puts(b, "],\"sentence\":");
        ts_buf s = {0};
        ts_alert_sentence(a, al, &s);
        json_str(b, s.data ? s.data : "");
        if (s.oom) b->oom = 1;
        ts_buf_free(&s);
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "],\n\"arrows\":[");
    for (int i = 0; i < a->n_arrows; i++) {
        const ts_alert_arrow *ar = &a->arrows[i];
        ts_buf_printf(b, "%s\n{\"run\":%lld,\"unit\":", i ? "," : "", a->runs[ar->run].run->info.id);
        json_str(b, ar->row->unit);
        ts_buf_puts(b, ",\"node\":");
        json_str(b, ar->row->node);
        ts_buf_puts(b, ",\"delta\":");
        ts_buf_json_number(b, ar->row->delta);
        ts_buf_printf(b, ",\"direction\":\"%s\",\"reliability\":", ts_alert_direction_name(ar->direction));
        ts_buf_json_number(b, ar->reliability);
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "]}\n");
    return TS_OK;
}

int ts_alerts_write(FILE *f, ts_format fmt, const ts_alerts *a, ts_error *err) {
    ts_buf b = {0};
    if (fmt == TS_FORMAT_CSV) write_csv(&b, a);
    else if (fmt == TS_FORMAT_JSON) write_json(&b, a);
    else write_table(&b, a);
    int rc = TS_OK;
    if (b.oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else if (b.len && fwrite(b.data, 1, b.len, f) != b.len) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "write failed");
    ts_buf_free(&b);
    return rc;
}
