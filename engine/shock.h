/* shock.h -- what-if shocks: a scenario file's `shocks` list, each scaling,
 * shifting or setting an indicator's values for some countries and years. */
#ifndef TS_SHOCK_H
#define TS_SHOCK_H

#include <libconfig.h>

#include "error.h"
#include "scenario.h"

/* Applies the `shocks` list of file (NULL: none) to the values of s, in
 * order. A shock names one indicator, optionally `countries` (default: all
 * units) and `years` (default: every observation of every year, so the
 * scored year, the latest by default, is shocked whichever it is), one of
 * scale, add or set, and a note. A shock that would change nothing is an
 * error: a country it names without a value (in its years), a year it
 * names that no value of those countries has, or no matching value at
 * all. A set on a country and year without a value creates one only with
 * `create = true` and `years` (the created value's year); its provenance
 * says it was created. Each shocked value records the shock and is flagged
 * TS_VALUE_SHOCKED. Returns TS_OK, TS_EINPUT with file:line (bad shock,
 * unknown indicator or country, one that changes nothing, a value made
 * infinite) or TS_ESYSTEM when out of memory. */
int ts_shocks_apply(ts_scenario *s, const config_setting_t *shocks, const char *file, ts_error *err);

#endif
