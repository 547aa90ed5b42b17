/* audit_refs.h -- reference series a scenario names for the audit's
 * external agreement: established indices (INFORM Risk, the FSI total, ...)
 * that are not in the tree, each value sourced like any other. */
#ifndef TS_AUDIT_REFS_H
#define TS_AUDIT_REFS_H

#include "error.h"
#include "scenario.h"
#include "util.h"

/* One sourced value of a series. Strings are owned by the refs' arena. */
typedef struct ts_ref_obs {
    int unit, year;
    double value;
    const char *source, *note;
    int line;
} ts_ref_obs;

/* A reference series: every block of `references` with the same id. */
typedef struct ts_ref_series {
    const char *id, *name;
    const char *file;   /* where its first block is */
    int line;
    int node;           /* the node it is compared with (default: the index) */
    int direction;      /* +1: higher means more risk, as the index; -1: less */
    int n_obs;
    ts_ref_obs *obs;
} ts_ref_series;

typedef struct ts_audit_refs {
    ts_arena *arena;
    int n;
    ts_ref_series *series;
} ts_audit_refs;

/* Reads the `references` list of s's nearest file that has one (a scenario
 * inherits its parent's unless it gives its own):
 *   references = (
 *     { id = "inform_risk"; name = "INFORM Risk"; node = "central_asia";
 *       direction = "risk"; year = 2020; source = "..."; note = "...";
 *       values = { KAZ = 1.9; KGZ = { value = 3.9; year = 2019; source = "..."; }; }; },
 *     ... );
 * id is required; node (default the root), direction ("risk", default, or
 * "protective"), name and note are optional; every value needs a source and
 * a year from its block or its own group. Blocks with the same id add years
 * to one series. Stores the series in *out (none: n = 0). Returns TS_OK, or
 * TS_EINPUT naming file:line (unknown key, unit or node, a value without
 * source or year, the same unit and year twice), TS_ESYSTEM when out of
 * memory. */
int ts_audit_refs_load(const ts_scenario *s, ts_audit_refs **out, ts_error *err);

/* Returns series r's value for unit u at year (0: its latest value): the
 * value of the latest year at or before year, at most max_age years older
 * when max_age >= 0 (as values are selected for scoring). Stores that
 * value's year in *from_year. NaN (and 0) when there is none. */
double ts_audit_ref_value(const ts_ref_series *r, int u, int year, int max_age, int *from_year);

/* Frees the series. NULL is allowed. */
void ts_audit_refs_free(ts_audit_refs *r);

#endif
