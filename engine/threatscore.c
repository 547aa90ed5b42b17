/* threatscore.c -- the accessors of the public interface (threatscore.h):
 * what an outside program reads of scenarios and results. */
#include "threatscore.h"

#include "pipeline.h"
#include "scenario.h"

const char *ts_version(void) { return TS_VERSION; }

const char *ts_scenario_name(const ts_scenario *s) { return s->name; }

void ts_scenario_scale(const ts_scenario *s, double *min, double *max) {
    if (min) *min = s->tax->scale_min;
    if (max) *max = s->tax->scale_max;
}

int ts_scenario_unit_count(const ts_scenario *s) { return s->data->n_units; }
const char *ts_scenario_unit_id(const ts_scenario *s, int u) { return s->data->unit_id[u]; }
const char *ts_scenario_unit_name(const ts_scenario *s, int u) { return s->data->unit_name[u]; }

int ts_scenario_node_count(const ts_scenario *s) { return s->tax->n_nodes; }
int ts_scenario_root(const ts_scenario *s) { return ts_taxonomy_root(s->tax); }
int ts_scenario_find_node(const ts_scenario *s, const char *id) { return ts_taxonomy_find(s->tax, id); }
const char *ts_scenario_node_id(const ts_scenario *s, int k) { return s->tax->nodes[k].id; }
const char *ts_scenario_node_name(const ts_scenario *s, int k) { return s->tax->nodes[k].name; }
int ts_scenario_node_parent(const ts_scenario *s, int k) { return s->tax->nodes[k].parent; }
int ts_scenario_node_is_indicator(const ts_scenario *s, int k) { return s->tax->nodes[k].indicator >= 0; }

static size_t cell(const ts_result *r, int k, int u) { return (size_t)k * (size_t)r->n_units + (size_t)u; }

double ts_result_score(const ts_result *r, int k, int u) { return r->score[cell(r, k, u)]; }
int ts_result_rank(const ts_result *r, int k, int u) { return r->rank[cell(r, k, u)]; }
double ts_result_coverage(const ts_result *r, int k, int u) { return r->coverage[cell(r, k, u)]; }

double ts_result_reliability(const ts_result *r, int k, int u) { return r->reliability[cell(r, k, u)]; }

const char *ts_result_class(const ts_scenario *s, const ts_result *r, int k, int u) {
    return ts_taxonomy_class(s->tax, k, ts_result_score(r, k, u));
}
