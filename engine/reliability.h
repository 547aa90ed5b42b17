/* reliability.h -- how far a score rests on complete, current, single-
 * source, measured data: 0 (no usable data) to 10, for every unit x node. */
#ifndef TS_RELIABILITY_H
#define TS_RELIABILITY_H

#include "error.h"
#include "scenario.h"

/* Why one value counts for less than a complete, current, single-source
 * measurement. Its quality is the product of the factors (0 when missing
 * or imputed); the reliability of a node is 10 x the sum of its values'
 * qualities, each weighted by its nominal share of the node's weight. */
typedef struct ts_value_quality {
    double quality;       /* q in [0, 1] */
    int missing;          /* no value reaches the score (q = 0) */
    int imputed;          /* the value was filled by an imputation method (q = 0) */
    int age;              /* years between the value and the scoring year; -1 unknown */
    double age_factor;    /* 1 up to TS_REL_FRESH_YEARS, then less */
    int estimate;         /* flagged `estimate`, or interpolated between years */
    int interpolated;     /* (then also estimate) */
    double estimate_factor;
    double spread;        /* largest |alternative - value| over the indicator's range */
    double spread_factor;
} ts_value_quality;

/* The constants of the formula (README: "Reliability"). */
#define TS_REL_FRESH_YEARS 2   /* a value this old or newer is current */
#define TS_REL_AGE_STEP 0.1    /* lost per year beyond that ... */
#define TS_REL_AGE_FLOOR 0.5   /* ... down to this factor */
#define TS_REL_ESTIMATE 0.5    /* the factor of an estimate */
#define TS_REL_SPREAD_CAP 0.5  /* the largest share a conflict of sources takes */

/* What the reliability of a scenario needs, prepared once: the scoring
 * year and every node's nominal share of its parent's weight per unit. */
typedef struct ts_reliability ts_reliability;

/* Prepares the reliability of scenario s (which must outlive it). Returns
 * TS_OK and the preparation in *out, or TS_ESYSTEM (*out NULL) when out of
 * memory. */
int ts_reliability_new(const ts_scenario *s, ts_reliability **out, ts_error *err);

/* Frees the preparation. NULL is allowed. */
void ts_reliability_free(ts_reliability *rl);

/* Returns the year values are judged against: the scenario's reference
 * year (--set year=Y, trend), else the latest year of any value; 0 when no
 * value has a year (CSV input), and age is then not counted. */
int ts_reliability_year(const ts_reliability *rl);

/* Judges indicator i's value for unit u. raw is the indicator's column as
 * read (NaN: missing), scored its column as scored (its normalised values;
 * NaN: no value reaches the score). A scored value without a raw one was
 * imputed; a value carried from an earlier year is judged by its age, one
 * interpolated between years as an estimate. Fills *vq. */
void ts_reliability_value(const ts_reliability *rl, int i, int u, const double *raw, const double *scored,
                          ts_value_quality *vq);

/* Stores the quality of indicator i's value for every unit in q[u], as
 * ts_reliability_value judges them. */
void ts_reliability_column(const ts_reliability *rl, int i, const double *raw, const double *scored, double *q);

/* Adds the qualities q of indicator i to sum[row[k] * n_units + u] for
 * the indicator's node k (with share 1) and for each node k above it (with
 * the indicator's nominal share of that node's weight,
 * ts_reliability_weight); a node whose row is -1 is left out, and row NULL
 * means row[k] = k. Indicators added in index order give bit-identical
 * sums whatever the layout (score and score --lean). */
void ts_reliability_add(const ts_reliability *rl, int i, const double *q, double *sum, const int *row);

/* Appends what lowers vq's quality to b ("8 years old x0.5; estimate
 * x0.5"), or nothing when it is a complete, current, single-source
 * measurement. */
void ts_value_quality_describe(const ts_value_quality *vq, ts_buf *b);

/* Returns the reliability of a node from its sum of weighted qualities and
 * its score: 10 x sum within [0, 10], and 0 when the score is missing. */
double ts_reliability_finish(double sum, double score);

/* Returns indicator i's nominal share of node k's weight for unit u: the
 * product, from the indicator up to k, of each node's weight over the sum
 * of its siblings' weights, every sibling counted whether it has data or
 * not (so that the share of missing values shows). 0 when i is not under
 * k; 1 when k is i's own node. */
double ts_reliability_weight(const ts_reliability *rl, int i, int k, int u);

#endif
