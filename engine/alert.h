/* alert.h -- early warning: stored runs against a reference run, one alert
 * per class change, approach to a class threshold or jump beyond a unit's
 * own year-on-year history, each with its probability, drivers and
 * reliability. Finding the alerts is in alert.c, writing them in
 * alert_write.c. */
#ifndef TS_ALERT_H
#define TS_ALERT_H

#include <stdio.h>

#include "compare.h"
#include "report.h"
#include "store.h"

typedef enum ts_alert_kind {
    TS_ALERT_CLASS_CHANGE, /* the class differs between the reference and the run */
    TS_ALERT_THRESHOLD,    /* the score moved to within near_class of the next class */
    TS_ALERT_JUMP          /* the change is beyond the unit's norm at the node */
} ts_alert_kind;

/* The defaults of the norms (README: "Alerts"). */
#define TS_ALERT_NEAR_SHARE 0.025     /* near_class: this share of the scale's span */
#define TS_ALERT_JUMP_SD 2.0          /* jump_sd */
#define TS_ALERT_JUMP_SHARE 0.1       /* jump_share */
#define TS_ALERT_MIN_RELIABILITY 5.0  /* min_reliability */
#define TS_ALERT_STABLE_SHARE 0.02    /* stable: this share of the span, as `trend` */
#define TS_ALERT_MIN_CHANGES 3        /* year-on-year changes a standard deviation needs */
#define TS_ALERT_DRIVERS 3            /* drivers kept per alert */

/* What alerts are measured against. A NaN norm takes the value the run's
 * taxonomy sets (alerts = { ... }), else the default above; the span is
 * the run's scale max - min. */
typedef struct ts_alert_options {
    double near_class;      /* threshold: at most this far below (above) the next class */
    double jump_sd;         /* jump: beyond this many standard deviations of the unit's
                               past year-on-year changes at the node ... */
    double jump_share;      /* ... or beyond this share of the span (0: no such norm) */
    double min_reliability; /* alerts on a score less reliable are marked */
    double stable;          /* a |delta| within this is "unchanged" (no NaN default
                               from the taxonomy: 0.02 x span) */
    int max_drivers;        /* drivers kept per alert; 0: TS_ALERT_DRIVERS */
    const char *node;       /* only this node (id); NULL: every node */
} ts_alert_options;

/* Sets every norm of o to NaN (taxonomy or default), no node, default drivers. */
void ts_alert_options_init(ts_alert_options *o);

/* One input that moved a score: its part of the score (contribution trace,
 * trace.h) in the reference and in the run. The changes of all inputs
 * under a node add up to the node's delta. */
typedef struct ts_alert_driver {
    const char *indicator, *name; /* id and name (the run's, else the reference's) */
    double raw_from, raw_to;      /* its raw values; NaN when missing */
    double change;                /* contribution in the run - in the reference */
} ts_alert_driver;

typedef struct ts_alert {
    ts_alert_kind kind;
    const ts_compare_row *row;    /* the unit at the node: scores, delta, classes */
    int run;                      /* index into ts_alerts.runs */
    const char *from, *to;        /* classes; threshold: the class now, and the one approached */
    double probability;           /* P(unit in class `to` at the node) in the run's stored
                                     uncertainty analysis; NaN when there is none */
    double reliability;           /* of the run's score (reliability.h); NaN for runs stored
                                     before reliabilities were */
    int low_reliability;          /* reliability below min_reliability: marked, not hidden */
    int direction;                /* +1 deteriorated, -1 improved, 0 unchanged */
    double distance;              /* from the run's score to the next class threshold in the
                                     direction of the change; NaN when there is none */
    double norm;                  /* jump: the norm the change went beyond; else NaN */
    int jump_by_history;          /* jump: the norm was the history's (else the share's) */
    int n_drivers;
    ts_alert_driver *drivers;     /* largest |change| first */
} ts_alert;

/* The CrisisWatch-style arrow of one unit at the index of one run. */
typedef struct ts_alert_arrow {
    int run;
    const ts_compare_row *row;    /* the unit at the index */
    int direction;                /* +1 deteriorated, -1 improved, 0 unchanged */
    double reliability;           /* of the run's index score */
} ts_alert_arrow;

/* How each compared run was judged. */
typedef struct ts_alert_run {
    const ts_stored_run *run;
    long long ua_id;              /* the uncertainty analysis of its inputs; 0: none */
    const char *history;          /* scenario whose per-year runs gave the history; NULL: none */
    int n_years;                  /* the years of that history used */
    const int *years;
    double near_class, jump_sd, jump_share, min_reliability, stable; /* the norms resolved */
} ts_alert_run;

typedef struct ts_alerts {
    ts_comparison *cmp;           /* reference, runs and rows (owned) */
    int n_runs;
    ts_alert_run *runs;           /* parallel to cmp->runs */
    int n;
    ts_alert *alerts;             /* by run, node (pre-order), unit (the run's rank), kind */
    int n_arrows;
    ts_alert_arrow *arrows;       /* by run, then the run's rank at the index */
    ts_arena *arena;
} ts_alerts;

/* Finds the alerts of runs named by specs[0..n) (n 0: the latest run of
 * every scenario that is not a per-year run) against the run named by
 * reference (NULL: the run the others extend, as compare chooses it; see
 * ts_compare_load), reading everything through the store: scores, classes
 * and reliabilities of the runs, their inputs (for the drivers), the
 * per-year runs of the run's scenario, else the reference's (for jumps),
 * and the uncertainty analysis of each run's exact inputs (for the
 * probabilities). Returns TS_OK with the alerts in *out; TS_EINPUT for an
 * unknown run or node or nothing to compare; TS_ESYSTEM on a database
 * error or out of memory. */
int ts_alerts_load(ts_store *st, const char *reference, const char *const *specs, int n,
                   const ts_alert_options *opt, ts_alerts **out, ts_error *err);

/* Frees the alerts. NULL is allowed. */
void ts_alerts_free(ts_alerts *a);

/* Returns "class_change", "threshold" or "jump". */
const char *ts_alert_kind_name(ts_alert_kind kind);

/* Returns "deteriorated", "improved" or "unchanged". */
const char *ts_alert_direction_name(int direction);

/* Appends al's drivers as "gti 0.99->3.96 +0.47; fsi_security 5.2->5.2
 * +0.01" (raw values then and now, change of the contribution). */
void ts_alert_drivers_text(const ts_alert *al, ts_buf *b);

/* Appends one sentence saying what al means, e.g. "TJK's Extremism and
 * terrorism score rose into Very high (6.38 -> 7.02), mostly through the
 * Global Terrorism Index score (0.99 -> 3.96)." */
void ts_alert_sentence(const ts_alerts *a, const ts_alert *al, ts_buf *b);

/* Writes the alerts as a table (per run: its alerts with their sentences,
 * then the arrows at the index), CSV (header unit,node,kind,from,to,
 * score_from,score_to,delta,probability,reliability,drivers,run,direction,
 * distance,norm,low_reliability; one row per alert) or JSON (runs, alerts
 * with structured drivers and sentences, arrows). Returns TS_OK or
 * TS_ESYSTEM. */
int ts_alerts_write(FILE *f, ts_format fmt, const ts_alerts *a, ts_error *err);

#endif
