/* audit.h -- the statistical audit of a framework (threatscore audit): on
 * the normalised values and scores a scenario aggregates, indicator
 * statistics, the coherence of every aggregate's children, correlation
 * flags, effective influence on the index and agreement with reference
 * series, each statistic with its n. */
#ifndef TS_AUDIT_H
#define TS_AUDIT_H

#include <stdio.h>

#include "audit_refs.h"
#include "error.h"
#include "report.h"
#include "scenario.h"

/* The statistics, as named in the long CSV's statistic column. */
typedef enum {
    TS_AUDIT_N, TS_AUDIT_MISSING, TS_AUDIT_MIN, TS_AUDIT_MAX, TS_AUDIT_MEAN, TS_AUDIT_SD,
    TS_AUDIT_SKEW, TS_AUDIT_KURTOSIS, TS_AUDIT_UNIQUE, TS_AUDIT_OUTLIER,
    TS_AUDIT_ALPHA, TS_AUDIT_PCA1, TS_AUDIT_LOADING,
    TS_AUDIT_R_PARENT, TS_AUDIT_RHO_PARENT, TS_AUDIT_R, TS_AUDIT_RHO, TS_AUDIT_R_OTHER,
    TS_AUDIT_EFF_WEIGHT, TS_AUDIT_R_INDEX, TS_AUDIT_INFLUENCE, TS_AUDIT_INFLUENCE_SHARE,
    TS_AUDIT_REF_RHO, TS_AUDIT_REF_R,
    TS_AUDIT_N_STATS
} ts_audit_stat;

/* Flags on a row, as named in the flag column (joined by ';'). */
enum {
    TS_AFLAG_OUTLIER = 1 << 0,        /* |skew| > 2 and kurtosis > 3.5 */
    TS_AFLAG_COLLINEAR = 1 << 1,      /* siblings with |r| above the threshold */
    TS_AFLAG_NEGATIVE = 1 << 2,       /* r_parent < 0, or siblings below the negative threshold */
    TS_AFLAG_OTHER_GROUP = 1 << 3,    /* r_other above r_parent */
    TS_AFLAG_WEAK = 1 << 4,           /* |r_parent| below the weak threshold */
    TS_AFLAG_CONSTANT = 1 << 5,       /* undefined: a side without spread */
    TS_AFLAG_TOO_FEW = 1 << 6,        /* undefined: fewer than 3 observations,
                                         or (pooled) fewer than 3 units behind them */
    TS_AFLAG_INFLUENCE_HIGH = 1 << 7, /* influence share above factor x weight */
    TS_AFLAG_INFLUENCE_LOW = 1 << 8,  /* influence share below weight / factor */
    TS_AFLAG_CARRIED = 1 << 9,        /* reference values from an earlier year */
    TS_AFLAG_DISAGREES = 1 << 10,     /* reference correlation of the wrong sign */
    TS_AFLAG_SMALL_N = 1 << 11,       /* n < 10: fragile */
    TS_AFLAG_COUNT = 12
};

typedef struct ts_audit_options {
    int node;               /* audited node (its subtree), -1: the index */
    int pooled;             /* pool the country-years trend scores */
    double min_coverage;    /* pooled: trend's rule for keeping a year (0.8) */
    double collinear;       /* |r| between siblings above this: collinear (0.9) */
    double negative;        /* r between siblings below this: negative (-0.4) */
    double weak;            /* |r_parent| below this: weak (0.3) */
    double influence_factor;/* share / weight beyond this factor: flagged (2) */
} ts_audit_options;

/* Stores the defaults above in *o. */
void ts_audit_options_default(ts_audit_options *o);

/* One statistic: node's statistic, with another node or a reference
 * series (or neither), its value (NaN = undefined), its n and flags. */
typedef struct ts_audit_row {
    int node;
    ts_audit_stat stat;
    int with_node;     /* node index, or -1 */
    int with_ref;      /* reference series index, or -1 */
    double value;
    int n;
    unsigned flags;    /* TS_AFLAG_* */
} ts_audit_row;

typedef struct ts_audit {
    ts_audit_options opt;
    int top;                   /* the audited node */
    int n_units, n_years, n_obs; /* n_obs = n_units x n_years (1 year unpooled) */
    int *years;                /* pooled: the years scored; else n_years = 1, years[0] = the reference year (0: latest) */
    int n_rows, cap_rows;
    ts_audit_row *rows;        /* in pre-order of the nodes */
    ts_audit_refs *refs;       /* the scenario's reference series */
} ts_audit;

/* Audits scenario s (after its --set and perspective options) at node
 * opt->node. Pooled, s is scored at every year as ts_trend_compute does
 * (its reference year is changed and restored). Returns TS_OK with the
 * audit in *out, or an error code with *out NULL and err filled: a scoring error, bad references (file:line), TS_ESYSTEM
 * when out of memory. */
int ts_audit_run(ts_scenario *s, const ts_audit_options *opt, ts_audit **out, ts_error *err);

/* Frees the audit. NULL is allowed. */
void ts_audit_free(ts_audit *a);

/* Returns the statistic's name in the CSV. */
const char *ts_audit_stat_name(ts_audit_stat st);

/* Returns the name of flag bit b (0 <= b < TS_AFLAG_COUNT). */
const char *ts_audit_flag_name(int b);

/* Returns the first row of node's statistic st with the given other node
 * and reference (-1: none), or NULL. */
const ts_audit_row *ts_audit_find(const ts_audit *a, int node, ts_audit_stat st, int with_node, int with_ref);

/* The correlation matrix within a node, as the audit correlates an
 * aggregate's children: the same sample (one observation per unit, or per
 * unit and year pooled), the same Pearson or Spearman measure, pairwise
 * complete, undefined (NaN) with fewer than 3 pairs or 3 units behind
 * them, or a side without spread. Arrays are [i * n + j] and symmetric; the
 * diagonal is each node with itself (1, or NaN when it is constant). */
typedef struct ts_audit_corr {
    int top;                     /* the node */
    int indicators;              /* 1: the indicators under top; 0: its children */
    int spearman;                /* 1: Spearman's rho; 0: Pearson's r */
    int n_units, n_years, n_obs; /* as in ts_audit */
    int *years;                  /* as in ts_audit */
    int n;                       /* nodes correlated */
    int *node;                   /* their indices, in pre-order */
    double *value;
    int *pairs;                  /* observations where both have a value */
    unsigned *flags;             /* TS_AFLAG_CONSTANT, TOO_FEW and SMALL_N as on
                                    the audit's rows; Pearson's also COLLINEAR
                                    and NEGATIVE by opt's sibling thresholds */
} ts_audit_corr;

/* Correlates the children of node opt->node (-1: the index) of scenario s
 * (after its --set and perspective options), or with indicators every
 * indicator under it, with Spearman's rho when spearman, else Pearson's r;
 * pooled as ts_audit_run. Returns TS_OK with the matrix in *out, or an
 * error code with *out NULL and err filled: TS_EINPUT without a file for a
 * node with fewer than two children (or indicators under it), a scoring
 * error, TS_ESYSTEM when out of memory. */
int ts_audit_corr_new(ts_scenario *s, const ts_audit_options *opt, int indicators, int spearman, ts_audit_corr **out,
                      ts_error *err);

/* Frees the matrix. NULL is allowed. */
void ts_audit_corr_free(ts_audit_corr *c);

/* Writes the audit: the long CSV `node,statistic,with,value,n,flag`
 * (values %.17g, undefined ones empty), JSON with the same rows, or
 * tables with the findings. Returns TS_OK or TS_ESYSTEM. */
int ts_audit_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_audit *a, ts_error *err);

#endif
