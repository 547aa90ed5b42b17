/* brief_parts.h -- internal to brief/: the small writers every section of
 * the page uses (escaped text, numbers, names, labels) and the changes a
 * compared run makes to a unit's inputs. */
#ifndef TS_BRIEF_PARTS_H
#define TS_BRIEF_PARTS_H

#include "brief_internal.h"

/* Writes s escaped (ts_html_escape): the one way text reaches the page. */
void bp_esc(ts_buf *h, const char *s);

/* Writes x with the given decimals, "–" when missing; bp_signed_num puts a
 * "+" before a positive value; bp_percent writes a share (0-1) as a
 * percentage. */
void bp_num(ts_buf *h, double x, int decimals);
void bp_signed_num(ts_buf *h, double x, int decimals);
void bp_percent(ts_buf *h, double x);

/* Writes a stored time (2026-12-01T18:00:08.151Z) as "2026-12-01 18:00 UTC". */
void bp_when(ts_buf *h, const char *t);

/* Returns node k's (unit u's) name, or its id when it has none. */
const char *bp_node_name(const ts_stored_run *r, int k);
const char *bp_unit_name(const ts_stored_run *r, int u);

/* Returns the index of unit u at node k in r's per-cell arrays. */
size_t bp_cell(const ts_stored_run *r, int u, int k);

/* Writes a unit as "Name ID" (the id smaller), or its id alone. */
void bp_unit_label(ts_buf *h, const ts_stored_run *r, int u);

/* Writes "Scenario (run N[, year Y])". */
void bp_run_label(ts_buf *h, const ts_stored_run *r);

/* Returns r's unit indices ordered by rank at node k (unranked last, then
 * stored order), malloc'd; NULL when out of memory. */
int *bp_ranked_units(const ts_stored_run *r, int k);

/* Returns 1 when the two values differ (the raw number, or whether a shock
 * changed it); a missing side counts as a difference. */
int bp_value_changed(const brief_value *a, const brief_value *b);

/* Returns how many inputs of unit id compared run i (index in b->runs)
 * changes against the reference. */
int bp_inputs_changed(const ts_brief *b, int i, const char *unit);

#endif
