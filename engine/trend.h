/* trend.h -- scores per year and trends: a scenario whose values span
 * several years is scored at each year (values carried forward from the
 * latest earlier year) and each unit's change over N years is classed as
 * increasing, stable or decreasing. */
#ifndef TS_TREND_H
#define TS_TREND_H

#include <stdio.h>

#include "pipeline.h"
#include "report.h"
#include "scenario.h"

typedef struct ts_trend {
    int n_years, n_units, n_nodes;
    int *years;             /* ascending */
    double *score;          /* [(y * n_nodes + k) * n_units + u] */
    int *rank;              /* same layout */
    double *change;         /* [k * n_units + u]: last year minus the base year */
    int *direction;         /* +1 increasing, 0 stable, -1 decreasing, -2 unknown */
    int base_year;          /* the year the change is measured from */
    int span;               /* N */
    double threshold;
} ts_trend;

/* Scores s at every year of its data (s's reference year is changed and
 * restored), keeping the years where every unit's index covers at least
 * min_coverage times the indicators it covers in the last year (earlier
 * years with a few values would measure coverage, not risk). The change is last year's score minus the
 * score at the latest kept year at or before last - span; |change| <=
 * threshold is stable. Returns TS_OK with a new trend in *out, or an
 * error code with *out NULL and err filled (a
 * scoring error names its year). */
int ts_trend_compute(ts_scenario *s, int span, double threshold, double min_coverage, ts_trend **out, ts_error *err);

/* Frees the trend. NULL is allowed. */
void ts_trend_free(ts_trend *t);

/* Writes the trend: a table of every unit's index over the years with its
 * trend, or CSV with header unit,node,year,score,rank then one row per
 * unit x node x year, followed by (in the table) the trend classes of
 * every dimension. Returns TS_OK or TS_ESYSTEM. */
int ts_trend_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_trend *t, ts_error *err);

#endif
