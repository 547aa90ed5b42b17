/* import.h -- turning other tools' inputs into threatscore files: COINr's
 * iData/iMeta tables into a taxonomy and a scenario. */
#ifndef TS_IMPORT_H
#define TS_IMPORT_H

#include "error.h"

/* Reads COINr's iData (one row per unit: uCode, uName, group columns, Time,
 * denominators, indicators) and iMeta (one row per indicator, aggregate,
 * group or denominator) and writes a taxonomy file (the tree, weights,
 * directions, units, targets and denominators; minmax onto 0-100 and
 * arithmetic means, COINr's defaults) and a scenario file (units with
 * their groups and denominators, values by indicator with the year from
 * Time, and COINr's default outlier treatment). Both are written whole or
 * not at all. Returns TS_OK, or TS_EINPUT (file:line) for a table that is
 * not valid COINr input, TS_ESYSTEM when a file cannot be written. */
int ts_import_coinr(const char *idata, const char *imeta, const char *taxonomy_out, const char *scenario_out,
                    ts_error *err);

#endif
