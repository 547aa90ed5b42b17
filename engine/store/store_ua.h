/* store_ua.h -- uncertainty analyses in the store: the ua_* tables and
 * saving one analysis (its spec, options, results and, on request, samples). */
#ifndef TS_STORE_UA_H
#define TS_STORE_UA_H

#include "store.h"
#include "uncertainty.h"

/* Saves the analysis in the store st in one transaction (tables ua_runs,
 * ua_results, ua_classes, ua_sobol and, with store_samples, ua_samples:
 * every replication's sampled parameters as JSON, regenerated from the
 * seed by ts_ua_samples; under Sobol' the A points as replications 0..n-1
 * and the B points as n..2n-1). Either all of it is stored or none.
 * Stores the analysis id in *id (0 on failure). Returns TS_OK or
 * TS_ESYSTEM (or, when regenerating the samples fails, its code). */
int ts_ua_save(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
               const ts_ua_result *r, int store_samples, long long *id, ts_error *err);

#endif
