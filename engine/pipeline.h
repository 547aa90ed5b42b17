/* pipeline.h -- scoring one scenario: screen units, impute, transform,
 * treat outliers and normalise every indicator, aggregate up the tree,
 * rank; every stage kept so a score can be traced to its inputs. */
#ifndef TS_PIPELINE_H
#define TS_PIPELINE_H

#include "error.h"
#include "scenario.h"
#include "treat.h"

/* ts_score, ts_result_free and the accessors ts_result_score, _rank,
 * _coverage, _class and _reliability are declared in threatscore.h. */

/* The scores of one run. Indicator matrices are [i * n_units + u]; node
 * matrices are [k * n_units + u]. */
typedef struct ts_result {
    int n_units, n_nodes, n_indicators;
    unsigned char *screened;  /* per unit: left out for too little data */
    unsigned char *imputed;   /* per indicator cell: the value was imputed */
    double *transformed;      /* after imputation, transform and treatment */
    double *normalised;       /* oriented: higher = more risk */
    ts_treat_log *treatment;  /* per indicator */
    double *score;            /* NaN when the unit has no data under the node */
    int *rank;                /* 1 = highest risk, ties share the lowest; 0 = none */
    double *coverage;         /* share of the node's indicators with a value */
    double *imputed_share;    /* share of the node's indicators imputed */
    double *reliability;      /* 0 (no usable data) to 10 (complete, current,
                                 single-source, measured): reliability.h */
} ts_result;

/* As ts_score, but a result where no unit has a score is returned, not an
 * error: for callers that score many variants and judge coverage
 * themselves (trend's early years). */
int ts_score_allow_empty(const ts_scenario *s, ts_result **out, ts_error *err);

/* Returns where the value of indicator i for unit u was read, for error
 * messages: its file and line in *file / *line. */
void ts_value_origin(const ts_scenario *s, int i, int u, const char **file, int *line);

/* The indicator stages and the aggregation of s, without ranks and without
 * keeping the stages before normalisation: for callers that score many
 * variants of one scenario (the uncertainty analysis). Fills normalised
 * (the caller's n_indicators x n_units matrix, [i * n_units + u]) and, when
 * agg_score is not NULL, the aggregates' scores ([a * n_units + u], a
 * counting the aggregate nodes in node order). s is not changed. Returns
 * TS_OK, or the error ts_score would give (a method the data cannot take,
 * a value outside an aggregator's domain, no unit with a score,
 * TS_ESYSTEM). The values are bit-identical to ts_score's. */
int ts_score_normalised(const ts_scenario *s, double *normalised, double *agg_score, ts_error *err);

/* Lean scoring, for big CSV inputs (score --lean): only what the long
 * output needs is kept. Each indicator's normalised values overwrite its
 * raw values in s->data->values (the scenario's values are consumed: do
 * not score s again); aggregates keep their scores, coverage and imputed
 * shares in rows of their own; ranks are kept for every node. Scores are
 * bit-identical to ts_score's. */
typedef struct ts_lean_result {
    int n_units, n_nodes, n_indicators;
    unsigned char *screened;   /* per unit */
    unsigned char *imputed;    /* per indicator cell */
    ts_treat_log *treatment;   /* per indicator */
    int *agg_row;              /* per node: its row in the agg_* matrices, -1 for indicators */
    double *agg_score, *agg_coverage, *agg_imputed; /* [agg_row * n_units + u] */
    int *rank;                 /* [k * n_units + u], 0 = none */
    double *agg_reliability;   /* [agg_row * n_units + u], as ts_result's */
    double *ind_reliability;   /* [i * n_units + u] for data with provenance;
                                  NULL for CSV input, whose values are worth 10
                                  when scored and not imputed, else 0 */
} ts_lean_result;

/* Scores s leanly. Returns TS_OK with the result in *result, or an error as
 * ts_score. */
int ts_score_lean(ts_scenario *s, ts_lean_result **result, ts_error *err);

/* Score, coverage and imputed share of node k for unit u. */
double ts_lean_score(const ts_lean_result *r, const ts_scenario *s, int k, int u);
double ts_lean_coverage(const ts_lean_result *r, const ts_scenario *s, int k, int u);
double ts_lean_imputed_share(const ts_lean_result *r, const ts_scenario *s, int k, int u);
/* Reliability of node k for unit u, as ts_result's. */
double ts_lean_reliability(const ts_lean_result *r, const ts_scenario *s, int k, int u);

/* Frees the result. NULL is allowed. */
void ts_lean_result_free(ts_lean_result *r);

#endif
