/* trace.c -- contribution traces over plain arrays: the part of a node's
 * score that each node under it carries. */
#include "trace.h"

#include <math.h>
#include <stdlib.h>

ts_trace *ts_trace_new(int n_nodes, const int *parent, const unsigned char *arithmetic) {
    ts_trace *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t n = (size_t)n_nodes + 1;
    t->n_nodes = n_nodes;
    t->first_child = malloc(n * sizeof *t->first_child);
    t->next_sibling = malloc(n * sizeof *t->next_sibling);
    t->arithmetic = malloc(n * sizeof *t->arithmetic);
    t->effective_weight = malloc(n * sizeof *t->effective_weight);
    t->contribution = malloc(n * sizeof *t->contribution);
    t->subtree = malloc(n * sizeof *t->subtree);
    t->split = malloc(n * sizeof *t->split);
    if (!t->first_child || !t->next_sibling || !t->arithmetic || !t->effective_weight || !t->contribution ||
        !t->subtree || !t->split) {
        ts_trace_free(t);
        return NULL;
    }
    for (int k = 0; k < n_nodes; k++) {
        t->first_child[k] = t->next_sibling[k] = -1;
        t->arithmetic[k] = arithmetic[k] != 0;
    }
    for (int k = n_nodes - 1; k >= 0; k--) { /* prepending backwards keeps index order */
        int p = parent[k];
        if (p < 0) continue;
        t->next_sibling[k] = t->first_child[p];
        t->first_child[p] = k;
    }
    return t;
}

void ts_trace_free(ts_trace *t) {
    if (!t) return;
    free(t->first_child);
    free(t->next_sibling);
    free(t->arithmetic);
    free(t->effective_weight);
    free(t->contribution);
    free(t->subtree);
    free(t->split);
    free(t);
}

/* Records k and everything under it as having no part in the score. */
static void no_part(ts_trace *t, int k) {
    t->subtree[t->n_subtree++] = k;
    t->effective_weight[k] = 0;
    t->contribution[k] = NAN;
    for (int c = t->first_child[k]; c >= 0; c = t->next_sibling[c]) no_part(t, c);
}

/* Visits node k, whose score counts towards top's with factor lambda (k's
 * part = lambda * its score) and whose path weight is eff. */
static void visit(ts_trace *t, int k, double lambda, double eff, const double *weight, const double *score) {
    t->subtree[t->n_subtree++] = k;
    t->effective_weight[k] = eff;
    t->contribution[k] = lambda * score[k];
    if (t->first_child[k] < 0) return;
    double wsum = 0, linear = 0;
    for (int c = t->first_child[k]; c >= 0; c = t->next_sibling[c]) {
        if (isnan(score[c]) || !(weight[c] > 0)) continue;
        wsum += weight[c];
        linear += weight[c] * score[c];
    }
    int arithmetic = t->arithmetic[k];
    if (!arithmetic) t->split[t->n_split++] = k;
    for (int c = t->first_child[k]; c >= 0; c = t->next_sibling[c]) {
        double wc = weight[c];
        if (isnan(score[c]) || !(wc > 0) || !(wsum > 0)) {
            no_part(t, c);
            continue;
        }
        double share = wc / wsum, child_lambda;
        if (arithmetic)
            child_lambda = lambda * share; /* part = share * x */
        else                               /* part = score * (wc * x) / sum(w * x) */
            child_lambda = linear != 0 ? lambda * score[k] * wc / linear : 0;
        visit(t, c, child_lambda, eff * share, weight, score);
    }
}

void ts_trace_unit(ts_trace *t, int top, const double *weight, const double *score) {
    t->n_subtree = t->n_split = 0;
    if (isnan(score[top])) no_part(t, top);
    else visit(t, top, 1.0, 1.0, weight, score);
}
