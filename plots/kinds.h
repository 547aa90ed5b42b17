/* kinds.h -- internal to plots/: the state of one script generator and the
 * helpers the chart kinds of kinds.c and kind_ua.c share. */
#ifndef TS_KINDS_H
#define TS_KINDS_H

#include "plotdata.h"

/* One chart being written: the data, the request, the terminal, the script
 * and its footnotes. */
typedef struct gen {
    const ts_plot_data *d;
    const ts_plot_request *req;
    ts_plot_term term;
    ts_buf *b;
    ts_buf foot[4]; /* footnote lines, plain text (quoted when written) */
    int n_foot;
    int xtic_chars; /* longest rotated x tic label, in characters (0: none) */
    int ytic_chars; /* longest y tic label given by name */
    int tic_max;    /* tic labels are cut to this many characters (0: 36) */
} gen;

/* Appends x to b as %.10g, the precision the charts print. */
void tsk_num(ts_buf *b, double x);

/* Writes `prefix 'text'` and a newline, text quoted by ts_gp_quote. */
void tsk_set_text(gen *g, const char *prefix, const char *text);

/* Returns the next footnote line (the last of the four once all are used). */
ts_buf *tsk_foot_line(gen *g);

/* Writes the common settings: title, axis labels, key, grid, margins. */
void tsk_begin(gen *g, const char *title, const char *xlabel, const char *ylabel);

/* Writes the footnote lines collected so far as labels at the bottom. */
void tsk_finish_footnotes(gen *g);

/* Writes `set xtics (...)` (ytics for axis 'y') for the labels, cut to a
 * readable length; x labels are rotated when they would not fit. */
void tsk_tics(gen *g, char axis, const char *const *labels, const double *pos, int n, const char *opts);

/* Appends colour c as gnuplot's rgb '#rrggbb'. */
void tsk_rgb(ts_buf *b, unsigned c);

/* Returns 1 for the text terminal, which draws no colours or fills. */
int tsk_text_term(const gen *g);

/* Panels up to this many are drawn as small multiples; more, and compare
 * and sensitivity draw one heatmap instead. */
#define MAX_PANELS 9

/* Small multiples: starts a layout of n panels under title, ends one
 * panel, ends the layout; panel_unit_tics names the units of a panel. */
void tsk_begin_panels(gen *g, int n, const char *title);
void tsk_end_panel(gen *g);
void tsk_end_panels(gen *g);
void tsk_panel_unit_tics(gen *g, const char *const *names, const char *const *ids, int n, int room);

/* The uncertainty and sensitivity kinds (kind_ua.c). Return TS_OK, or an
 * error with err filled. */
int tsk_uncertainty(gen *g, ts_error *err);
int tsk_sensitivity(gen *g, ts_error *err);

#endif
