/* plot.h -- comparison charts of stored runs, drawn by gnuplot through a
 * pipe: reading the store, writing gnuplot scripts, running gnuplot. */
#ifndef TS_PLOT_H
#define TS_PLOT_H

#include <stdio.h>

#include "error.h"
#include "util.h"

typedef enum ts_plot_kind {
    TS_PLOT_RANKING,
    TS_PLOT_HEATMAP,
    TS_PLOT_RADAR,
    TS_PLOT_CONTRIBUTIONS,
    TS_PLOT_COMPARE,
    TS_PLOT_TREND,
    TS_PLOT_UNCERTAINTY,
    TS_PLOT_SENSITIVITY,
    TS_PLOT_SCORES,
    TS_PLOT_ALERTS,       /* kind_alerts.c */
    TS_PLOT_CORRELATION,  /* kind_corr.c: from a scenario, not a store */
    TS_PLOT_N_KINDS
} ts_plot_kind;

typedef enum ts_plot_term { TS_TERM_PNG, TS_TERM_SVG, TS_TERM_PDF, TS_TERM_DUMB } ts_plot_term;

/* What to draw. Strings are borrowed from the caller. */
typedef struct ts_plot_request {
    ts_plot_kind kind;
    const char *const *runs;  /* run ids or scenario names (latest run of that
                                 name); n_runs == 0 means the default */
    int n_runs;
    const char *node;         /* node id, NULL for the index (root) */
    const char *const *units; /* unit ids to show, n_units == 0 for all */
    int n_units;
    const char *reference;    /* compare and scores: the reference run; NULL
                                 for the default (compare.h) */
    /* correlation only (ts_plot_data_from_scenario) */
    int indicators;           /* 1: the indicators under the node; 0: its children */
    int spearman;             /* 1: Spearman's rho; 0: Pearson's r */
    const struct ts_audit_options *audit; /* the sample (pooled, min_coverage)
                                 and flag thresholds; NULL for the defaults.
                                 Its node is ignored: node above names it */
} ts_plot_request;

/* ---- gnuplot.c: quoting and the pipe ----------------------------------- */

/* Quoting flags. */
enum { TS_GP_TEXT = 0, TS_GP_FORMAT = 1 /* text gnuplot reads as a format: % doubled */ };

/* Appends s to b as a gnuplot single-quoted string literal: ' doubled,
 * control characters (bytes below 0x20 and 0x7f) removed, invalid UTF-8
 * bytes replaced by '?', and with TS_GP_FORMAT every % doubled. gnuplot
 * does no backquote, macro or escape processing inside single quotes, so
 * this is the only way text from a database reaches a script. gnuplot's
 * scanner (5.4 and before) reads '' as a quote only after another
 * character of the string: right after the opening quote, or right after
 * another '', it ends the string ('''x' is '' and then 'x'). A quote in
 * those places (a name that begins with ', or has '' in it) gets U+2060
 * WORD JOINER before it, a character that has no width and draws nothing.
 * Returns 0, or -1 when out of memory (b->oom set). */
int ts_gp_quote(ts_buf *b, const char *s, int flags);

/* Returns the terminal chosen by path's extension (.png, .svg, .pdf, .txt)
 * in *term: TS_OK, or TS_EUSAGE with err filled for any other extension. */
int ts_plot_term_from_path(const char *path, ts_plot_term *term, ts_error *err);

/* Appends the "set terminal ...; set output '...'" lines for term and
 * output path out to b. */
void ts_plot_preamble(ts_buf *b, ts_plot_term term, const char *out);

/* Runs gnuplot (program gnuplot, NULL for "gnuplot" on PATH) with n bytes of
 * script fed to its standard input through a pipe; its standard error is
 * captured. Waits at most timeout_s seconds, then kills it. Returns TS_OK
 * when gnuplot ran and exited with status 0 (anything it printed is left in
 * *messages when messages is not NULL); TS_ESYSTEM with err filled when it
 * cannot be started, fails, is killed or times out, the message then
 * holding what gnuplot printed on stderr. */
int ts_gnuplot_run(const char *gnuplot, const char *script, size_t n, int timeout_s,
                   ts_buf *messages, ts_error *err);

/* Runs the chart script body (without terminal lines) through gnuplot
 * (NULL for "gnuplot" on PATH) with the terminal lines terminal ("set
 * terminal ...\n": gnuplot code, made by the caller from constants and
 * numbers, never from user text), and appends the chart's bytes to chart.
 * gnuplot writes, as for ts_plot_render, to an unnamed temporary file
 * handed to it as a descriptor, never to a path. Returns TS_OK, or
 * TS_ESYSTEM with err filled (gnuplot failed or wrote nothing). */
int ts_gnuplot_draw(const char *gnuplot, const char *terminal, const ts_buf *body, ts_buf *chart, ts_error *err);

/* ---- plotdata.c: the runs to draw, read from the store ----------------- */

typedef struct ts_plot_data ts_plot_data;

/* Opens the store at db read-only and loads what req needs: the chosen
 * runs (ids or scenario names; default the latest run; for compare and
 * scores the reference and the runs compared against it, as
 * ts_compare_load chooses them: by default the latest run of each
 * scenario, without per-year runs or deleted scenarios), their units,
 * tree, weights and scores.
 * For uncertainty and sensitivity it loads one uncertainty analysis
 * instead (ua_runs: --run is its id or scenario name; default the latest,
 * for sensitivity the latest run with --sobol) at the node.
 * Returns TS_OK and the data in *out; TS_EINPUT for an absent or foreign
 * file, an empty store, or an unknown run, node or unit (with a "did you
 * mean" where one fits); TS_EINPUT with a clear message for kinds whose
 * results the store does not hold (trend without years, no uncertainty
 * analysis, sensitivity of an analysis without --sobol); TS_EUSAGE for a
 * run count the kind cannot take; TS_ESYSTEM for SQLite errors or out of
 * memory. */
int ts_plot_data_load(const char *db, const ts_plot_request *req, ts_plot_data **out,
                      ts_error *err);

/* Loads what a correlation chart needs from scenario s (after its --set
 * and perspective options): the matrix within req->node (NULL: the index)
 * as `threatscore audit` correlates (ts_audit_corr_new: its children, or
 * with req->indicators the indicators under it, Pearson or with
 * req->spearman Spearman, pooled as req->audit says), with the nodes'
 * names. s is scored, not changed. Returns TS_OK and the data in *out;
 * TS_EUSAGE for any other kind; TS_EINPUT for an unknown node (with a "did
 * you mean") or one with fewer than two children or indicators (no file or
 * line: the node is the mistake); the scoring error; TS_ESYSTEM when out
 * of memory. */
struct ts_scenario;
int ts_plot_data_from_scenario(struct ts_scenario *s, const ts_plot_request *req, ts_plot_data **out,
                               ts_error *err);

/* Frees the data. NULL is allowed. */
void ts_plot_data_free(ts_plot_data *d);

/* ---- kinds.c: one script generator per kind ---------------------------- */

/* Returns the kind named name ("ranking", "heatmap", ...) in *kind: TS_OK,
 * or TS_EUSAGE with err filled (and a "did you mean") for unknown names. */
int ts_plot_kind_parse(const char *name, ts_plot_kind *kind, ts_error *err);

/* Returns the name of kind. */
const char *ts_plot_kind_name(ts_plot_kind kind);

/* Appends the gnuplot script that draws req from d to b, without the
 * terminal and output lines (see ts_plot_preamble): inline datablocks for
 * the numbers, names only as quoted strings. The text depends only on d,
 * req and term, so it can be compared with a golden file. Returns TS_OK,
 * or TS_EINPUT (nothing to draw) / TS_ESYSTEM (out of memory) with err
 * filled. */
int ts_plot_script(const ts_plot_data *d, const ts_plot_request *req, ts_plot_term term, ts_buf *b,
                   ts_error *err);

/* Draws req from the store db into out (terminal chosen by its extension)
 * with gnuplot (NULL for "gnuplot" on PATH). The chart is written to a
 * temporary file next to out and renamed over it only on success, so a
 * failed plot leaves no file. Returns TS_OK or the error of the failing
 * step (see above); gnuplot's messages are in err on failure. */
int ts_plot_render(const char *db, const ts_plot_request *req, const char *out,
                   const char *gnuplot, ts_error *err);

/* As ts_plot_render, for data already loaded (ts_plot_data_load or
 * ts_plot_data_from_scenario). */
int ts_plot_render_data(const ts_plot_data *d, const ts_plot_request *req, const char *out, const char *gnuplot,
                        ts_error *err);

/* ---- svg.c: charts to inline in an HTML page --------------------------- */

/* How ts_plot_svg draws. Zero fields take the defaults. */
typedef struct ts_plot_svg_options {
    int width, height;     /* canvas in pixels (default 1100 x 650) */
    int font_size;         /* points (default 10) */
    const char *id_prefix; /* put before every id and fragment reference, so
                              that several charts can share one page */
} ts_plot_svg_options;

/* Makes n bytes of SVG text as gnuplot writes it safe to inline in an HTML
 * page and appends it to out: from the <svg> element to its end, without
 * the XML declaration, DOCTYPE, comments, CDATA, namespace declarations,
 * event handler attributes, the elements script, style, foreignObject,
 * image, iframe, object, embed, audio, video, a, title, desc and metadata
 * (with their content), href values other than "#fragment", and
 * attributes that refer outside the document (url() without '#',
 * javascript:, data:, expression(), @import); every id, href="#x" and
 * url(#x) gets prefix (letters, digits, '-', '_', '.'); bytes that are not
 * UTF-8 and control characters (C0 but tab and newlines, DEL, C1) become
 * U+FFFD. Returns TS_OK,
 * TS_EUSAGE for a bad prefix, TS_EINPUT when there is no whole <svg>
 * element, TS_ESYSTEM when out of memory. */
int ts_svg_inline(const char *svg, size_t n, const char *prefix, ts_buf *out, ts_error *err);

/* Draws req from the store db as ts_plot_render does (same data, script
 * generator, quoting, pipe and unnamed output file, ts_gnuplot_draw;
 * gnuplot NULL for "gnuplot" on PATH) with the svg terminal, and appends
 * the chart made safe to inline (ts_svg_inline) to svg. Returns TS_OK or
 * the error of the failing step; nothing is left on disk. */
int ts_plot_svg(const char *db, const ts_plot_request *req, const ts_plot_svg_options *opt, const char *gnuplot,
                ts_buf *svg, ts_error *err);

#endif
