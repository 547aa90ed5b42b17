/* brief.h -- the briefing report: one self-contained HTML page (no script,
 * no network; charts inline as SVG) made from a store, to mail or print. */
#ifndef TS_BRIEF_H
#define TS_BRIEF_H

#include "error.h"
#include "util.h"

/* What the report covers. Strings are borrowed. */
typedef struct ts_brief_options {
    const char *db;                /* the store, opened read-only */
    const char *const *runs;       /* the runs reported (RUN as every command
                                      takes it); n_runs 0: the reference and
                                      the latest run of every other scenario */
    int n_runs;
    const char *reference;         /* the reference run; NULL: as compare
                                      chooses it (the run the others extend) */
    const char *gnuplot;           /* NULL: gnuplot on PATH */
    int no_charts;                 /* 1: draw no chart (each says so) */
    const char *register_path;     /* the source register; NULL: SOURCES.md
                                      beside the reference's scenario file */
    const char *generated_at;      /* shown as the report's time; NULL: none */
} ts_brief_options;

/* Writes the report to out (a whole HTML document, UTF-8). A chart that
 * cannot be drawn (no gnuplot, say) or a register that cannot be read
 * does not fail the report: the page says so where it would be, and one
 * line per such problem is appended to warnings (may be NULL). Returns
 * TS_OK; TS_EINPUT for an absent or foreign database, an empty one or an
 * unknown run; TS_ESYSTEM on a database error or out of memory. */
int ts_brief_write(const ts_brief_options *opt, ts_buf *out, ts_buf *warnings, ts_error *err);

#endif
