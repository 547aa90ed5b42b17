/* trace.h -- contribution traces: how the scores under a node make up its
 * score. Over plain per-node arrays, so that explain (a live result), export
 * (a stored run) and the contributions chart share one definition. */
#ifndef TS_TRACE_H
#define TS_TRACE_H

/* A tree to trace over, and the trace of the last unit traced. Built once
 * per tree, then reused for every unit (one thread at a time). */
typedef struct ts_trace {
    int n_nodes;
    int *first_child, *next_sibling; /* children in index order; -1 ends */
    unsigned char *arithmetic;       /* 1: node k is an arithmetic mean */
    /* filled by ts_trace_unit, for the nodes of top's subtree only: */
    double *effective_weight; /* [k] product of the weights on the way down
                                 from top, each rescaled among the siblings
                                 with data; 0 when k has no part in the
                                 score */
    double *contribution;     /* [k] k's part of top's score; NaN when none */
    int n_subtree, *subtree;  /* top's subtree (top first), in pre-order */
    int n_split, *split;      /* its non-arithmetic nodes that split a part
                                 of the score among their children, in
                                 pre-order */
} ts_trace;

/* Returns a trace over the tree of n_nodes nodes where parent[k] is node
 * k's parent (-1 for a root) and arithmetic[k] is 1 when node k's score is
 * a weighted arithmetic mean of its children's. Children are visited in
 * index order. Returns NULL when out of memory. */
ts_trace *ts_trace_new(int n_nodes, const int *parent, const unsigned char *arithmetic);

/* Traces one unit's score at node top to the nodes under it, given the
 * unit's weight[k] and score[k] of every node (NaN: no score). The parts are
 * defined top-down: top's part is its score; an arithmetic node gives each
 * child with data and weight w~ x its part (w~ the child's weight rescaled
 * among those children, x the child's score), so the parts add up exactly;
 * another mean splits its part among those children in proportion to w~ x.
 * A child without data or weight, and everything under it, has no part.
 * So the parts of the leaves always add up to top's score, and on an
 * all-arithmetic path each equals effective weight x score. Fills the
 * trace's per-node results for top's subtree and leaves the other nodes'
 * entries as they were. */
void ts_trace_unit(ts_trace *t, int top, const double *weight, const double *score);

/* Frees the trace. NULL is allowed. */
void ts_trace_free(ts_trace *t);

#endif
