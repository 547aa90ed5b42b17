/* pca.c -- weights from data: the squared loadings of the first principal
 * component of the normalised values under each node of indicators. */
#include "pca.h"

#include <math.h>
#include <stdlib.h>

#include "pipeline.h"

/* First principal component of the correlation matrix of the m columns
 * (units with all m values only): its squared loadings, summing to 1, in w.
 * Returns 0, or -1 when there are fewer than 3 complete units, a constant
 * column, or out of memory. */
static int first_component_weights(const double *const *cols, int m, int n, double *w) {
    double *z = malloc(((size_t)m * (size_t)n + 1) * sizeof *z), *r = malloc(((size_t)m * m + 1) * sizeof *r);
    double *v = malloc(((size_t)m + 1) * sizeof *v), *nv = malloc(((size_t)m + 1) * sizeof *nv);
    int rc = -1, rows = 0;
    if (!z || !r || !v || !nv) goto done;
    for (int u = 0; u < n; u++) {
        int complete = 1;
        for (int c = 0; c < m && complete; c++) complete = !isnan(cols[c][u]);
        if (!complete) continue;
        for (int c = 0; c < m; c++) z[(size_t)c * n + rows] = cols[c][u];
        rows++;
    }
    if (rows < 3) goto done;
    for (int c = 0; c < m; c++) { /* standardise */
        double mean = 0, ss = 0, *col = z + (size_t)c * n;
        for (int i = 0; i < rows; i++) mean += col[i];
        mean /= rows;
        for (int i = 0; i < rows; i++) ss += (col[i] - mean) * (col[i] - mean);
        if (!(ss > 0)) goto done;
        for (int i = 0; i < rows; i++) col[i] = (col[i] - mean) / sqrt(ss / (rows - 1));
    }
    for (int a = 0; a < m; a++)
        for (int b = 0; b < m; b++) {
            double acc = 0;
            for (int i = 0; i < rows; i++) acc += z[(size_t)a * n + i] * z[(size_t)b * n + i];
            r[(size_t)a * m + b] = acc / (rows - 1);
        }
    /* power iteration from a fixed start: deterministic */
    for (int c = 0; c < m; c++) v[c] = 1.0 / sqrt(m);
    for (int it = 0; it < 1000; it++) {
        double norm = 0, diff = 0;
        for (int a = 0; a < m; a++) {
            nv[a] = 0;
            for (int b = 0; b < m; b++) nv[a] += r[(size_t)a * m + b] * v[b];
            norm += nv[a] * nv[a];
        }
        norm = sqrt(norm);
        for (int a = 0; a < m; a++) {
            nv[a] /= norm;
            diff += fabs(nv[a] - v[a]);
            v[a] = nv[a];
        }
        if (diff < 1e-14) break;
    }
    for (int c = 0; c < m; c++) w[c] = v[c] * v[c];
    rc = 0;
done:
    free(z);
    free(r);
    free(v);
    free(nv);
    return rc;
}

int ts_pca_set_weights(ts_scenario *s, ts_error *err) {
    const ts_taxonomy *t = s->tax;
    ts_result *r = NULL;
    ts_score(s, &r, err);
    if (!r) return err->code ? err->code : TS_EINPUT;
    int n = s->data->n_units, rc = TS_OK;
    const double **cols = malloc(((size_t)t->n_nodes + 1) * sizeof *cols);
    double *w = malloc(((size_t)t->n_nodes + 1) * sizeof *w);
    if (!cols || !w) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    for (int k = 0; k < t->n_nodes && rc == TS_OK; k++) {
        const ts_node *nd = &t->nodes[k];
        int leaves = nd->n_children >= 2;
        for (int c = 0; c < nd->n_children && leaves; c++) leaves = t->nodes[t->children[nd->first_child + c]].indicator >= 0;
        if (!leaves) continue;
        for (int c = 0; c < nd->n_children; c++)
            cols[c] = r->normalised + (size_t)t->nodes[t->children[nd->first_child + c]].indicator * (size_t)n;
        if (first_component_weights(cols, nd->n_children, n, w) != 0) continue;
        for (int c = 0; c < nd->n_children; c++) s->spec->weight[t->children[nd->first_child + c]] = w[c];
    }
    free(cols);
    free(w);
    ts_result_free(r);
    return rc;
}
