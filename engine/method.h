/* method.h -- the method vocabulary: normalisers, aggregators, transforms,
 * their names in config files and how they are read from a setting. */
#ifndef TS_METHOD_H
#define TS_METHOD_H

#include <libconfig.h>

#include "error.h"

typedef enum { TS_NORM_MINMAX, TS_NORM_ZSCORE, TS_NORM_RANK } ts_norm_method;

/* A normaliser and its parameters. minmax maps onto [lo, hi] (the
 * taxonomy's scale unless a range is given); zscore gives mean + sd * z. */
typedef struct ts_norm {
    ts_norm_method method;
    int has_range;        /* lo/hi given explicitly (else the scale) */
    double lo, hi;
    double mean, sd;
} ts_norm;

typedef enum { TS_AGG_ARITHMETIC, TS_AGG_GEOMETRIC, TS_AGG_HARMONIC } ts_agg;

typedef enum { TS_TRANSFORM_NONE, TS_TRANSFORM_LOG, TS_TRANSFORM_LOG1P } ts_transform;

/* Name of each method as written in config files. */
const char *ts_norm_name(ts_norm_method m);
const char *ts_agg_name(ts_agg a);
const char *ts_transform_name(ts_transform t);

/* Parses an aggregator name. Returns TS_OK, or TS_EINPUT naming the
 * choices (with a "did you mean") at file:line. */
int ts_agg_parse(const char *name, const char *file, int line, ts_agg *out, ts_error *err);
int ts_transform_parse(const char *name, const char *file, int line, ts_transform *out,
                       ts_error *err);
int ts_norm_method_parse(const char *name, const char *file, int line, ts_norm_method *out,
                         ts_error *err);

/* Reads a `normalise` setting: a method name, or a group
 * { method = "minmax"; range = [lo, hi]; } / { method = "zscore"; mean = m; sd = s; }.
 * Fills *out (defaults: no range, mean 0, sd 1). Returns TS_OK or TS_EINPUT. */
int ts_norm_from_setting(const config_setting_t *s, const char *file, ts_norm *out,
                         ts_error *err);

/* Reads an `aggregate` or `transform` string setting. */
int ts_agg_from_setting(const config_setting_t *s, const char *file, ts_agg *out, ts_error *err);
int ts_transform_from_setting(const config_setting_t *s, const char *file, ts_transform *out,
                              ts_error *err);

/* Default normaliser: minmax onto the scale. */
ts_norm ts_norm_default(void);

#endif
