/* explain.h -- why a unit scores what it does at a node: every indicator
 * under the node with its raw value and provenance, its normalised value,
 * its weights and its contribution to the node's score. */
#ifndef TS_EXPLAIN_H
#define TS_EXPLAIN_H

#include <stdio.h>

#include "pipeline.h"
#include "reliability.h"
#include "report.h"
#include "scenario.h"

typedef struct ts_explain_row {
    int node;                 /* the indicator's node index */
    double weight;            /* its own weight for the unit */
    double effective_weight;  /* product of the weights along the path to the
                                 explained node, each rescaled among the
                                 siblings with data; 0 when missing */
    double contribution;      /* its part of the explained node's score;
                                 NaN when missing */
    double nominal_weight;    /* its share of the node's weight with every
                                 sibling counted (ts_reliability_weight) */
    ts_value_quality quality; /* what its value is worth (reliability.h) */
    double reliability_loss;  /* 10 x nominal weight x (1 - quality): the
                                 points of the node's reliability it costs */
} ts_explain_row;

typedef struct ts_explain {
    int unit, node;
    int n_rows;
    ts_explain_row *rows;     /* indicators under the node, in pre-order */
    int n_split;              /* non-arithmetic nodes on the way down */
    int *split;               /* their node indices */
    double reliability;       /* the node's reliability: 10 minus the losses
                                 of its rows (0 when it has no score) */
} ts_explain;

/* Explains unit u's score at node k: its contribution trace (ts_trace_unit,
 * trace.h) with one row per indicator under k. The contributions of the
 * indicators add up to the node's score, and on an all-arithmetic path each
 * equals effective weight x normalised value; their reliability losses add
 * up to 10 minus the node's reliability. Returns TS_OK with the
 * explanation in *out, or an error code with *out NULL and err filled when
 * out of memory. */
int ts_explain_unit(const ts_scenario *s, const ts_result *r, int u, int k, ts_explain **out, ts_error *err);

/* Stores in out[i] the nominal effective weight of indicator i at the
 * index for unit u (u < 0: the scenario's global weights): the product,
 * along the path to the root, of each node's weight divided by the sum of
 * its siblings' weights, all children counted (explain shows the weights
 * after missing values are skipped). */
void ts_effective_weights(const ts_scenario *s, int u, double *out);

/* Frees the explanation. NULL is allowed. */
void ts_explain_free(ts_explain *x);

/* Writes the explanation as a table or as CSV (one row per indicator, with
 * header indicator,name,path,raw,source,year,estimate,note,shock,transform,
 * transformed,normalised,weight,effective_weight,contribution,
 * nominal_weight,quality,reliability_loss,lowered_by). Returns TS_OK or
 * TS_ESYSTEM. */
int ts_explain_write(FILE *f, ts_format fmt, const ts_scenario *s, const ts_result *r,
                     const ts_explain *x, ts_error *err);

#endif
