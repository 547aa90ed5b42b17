/* shock.h -- what-if shocks: a scenario file's `shocks` list, each scaling,
 * shifting or setting an indicator's values for some countries and years. */
#ifndef TS_SHOCK_H
#define TS_SHOCK_H

#include <libconfig.h>

#include "error.h"
#include "scenario.h"

/* Applies the `shocks` list of file (NULL: none) to the values of s, in
 * order. A shock names one indicator, optionally `countries` (default all)
 * and `years` (default every observation), one of scale, add or set, and a
 * note; `set` also creates the observations it names but the data lack.
 * Each shocked value records the shock and is flagged TS_VALUE_SHOCKED.
 * Returns TS_OK, TS_EINPUT with file:line (bad shock, unknown indicator or
 * country, a value made infinite) or TS_ESYSTEM when out of memory. */
int ts_shocks_apply(ts_scenario *s, const config_setting_t *shocks, const char *file, ts_error *err);

#endif
