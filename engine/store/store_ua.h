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
 * and the B points as n..2n-1). Either all of it is stored or none. In a
 * transaction begun with ts_store_begin it is saved as part of that one,
 * stored when ts_store_commit commits it (so that a caller can write its
 * report before the analysis is committed).
 * Stores the analysis id in *id (0 on failure). Returns TS_OK or
 * TS_ESYSTEM (or, when regenerating the samples fails, its code). */
int ts_ua_save(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
               const ts_ua_result *r, int store_samples, long long *id, ts_error *err);

/* As ts_ua_save, unless the store holds an analysis identical to this one:
 * the same scenario name, paths and file hashes, values, engine version,
 * seed, N, Sobol' design and bootstrap replicates, factors (the spec
 * JSON), nominal methods (the method JSON), histogram bins and reported
 * nodes, with its samples when store_samples asks for them (threads and
 * timing do not count: the results do not depend on them). Then nothing
 * is written, that analysis's id goes to *id and *reused is set to 1 (else
 * 0). The lookup and the insert share one transaction, as for runs. So
 * running the same analysis twice does not pile up copies. Returns as
 * ts_ua_save. */
int ts_ua_save_or_reuse(ts_store *st, const ts_scenario *s, const ts_ua_spec *u, const ts_ua_options *opt,
                        const ts_ua_result *r, int store_samples, long long *id, int *reused, ts_error *err);

#endif
