/* method.h -- the method vocabulary: transforms, outlier treatment,
 * imputation, normalisers and aggregators with their parameters, their names
 * in config files and how they are read from a setting. */
#ifndef TS_METHOD_H
#define TS_METHOD_H

#include <libconfig.h>

#include "error.h"

typedef enum {
    TS_NORM_MINMAX, TS_NORM_ZSCORE, TS_NORM_RANK, TS_NORM_PRANK, TS_NORM_BORDA,
    TS_NORM_FRACMAX, TS_NORM_DIST2MAX, TS_NORM_DIST2REF, TS_NORM_DIST2TARG,
    TS_NORM_GOALPOSTS, TS_NORM_SCALED, TS_NORM_NONE
} ts_norm_method;

/* A normaliser and its parameters. Each normaliser has a natural output
 * (min-max 0-1, rank 1..n, ...); with a range it is mapped linearly onto
 * [lo, hi] (see ts_norm_bounds). */
typedef struct ts_norm {
    ts_norm_method method;
    int has_range;        /* lo/hi given explicitly */
    double lo, hi;
    double mean, sd;      /* zscore: mean + sd * z */
    double cap;           /* dist2ref, dist2targ: cap on the result (<= 0: none) */
    double lower, upper;  /* scaled: (x - lower) / (upper - lower) * 100 */
    char ref[65];         /* dist2ref: id of the reference unit */
} ts_norm;

typedef enum {
    TS_AGG_ARITHMETIC, TS_AGG_GEOMETRIC, TS_AGG_HARMONIC, TS_AGG_GENMEAN, TS_AGG_MIN,
    TS_AGG_MAX, TS_AGG_WMEDIAN, TS_AGG_COPELAND, TS_AGG_CGEOMETRIC, TS_AGG_WMAX
} ts_agg_method;

/* An aggregator and its parameters. */
typedef struct ts_agg {
    ts_agg_method method;
    double p;             /* genmean: the power */
    double top, factor;   /* cgeometric: y = top - factor * x, C = (top - G(y)) / factor */
} ts_agg;

typedef enum {
    TS_TRANSFORM_NONE, TS_TRANSFORM_LOG, TS_TRANSFORM_LOG1P, TS_TRANSFORM_LOGCT,
    TS_TRANSFORM_BOXCOX
} ts_transform_method;

/* A transform applied to raw values before treatment and normalisation.
 * logct is log(x - min + 0.01 (max - min)) over the indicator's values;
 * boxcox is (x^lambda - 1) / lambda, or log x when lambda is 0. */
typedef struct ts_transform {
    ts_transform_method method;
    double lambda;
} ts_transform;

typedef enum { TS_TREAT_NONE, TS_TREAT_WINSORISE } ts_treat_method;

/* Outlier treatment, COINr's default when method is winsorise with the
 * default parameters: an indicator is treated when |skew| >= skew AND
 * kurtosis >= kurtosis; it is winsorised a point at a time, up to winmax
 * points, towards the side of the skew; if it still fails, the original
 * values get the fallback transform (logct unless none). */
typedef struct ts_treat {
    ts_treat_method method;
    int winmax;
    double skew, kurtosis;
    ts_transform_method fallback;
} ts_treat;

typedef enum {
    TS_IMPUTE_NONE, TS_IMPUTE_MEAN, TS_IMPUTE_MEDIAN, TS_IMPUTE_GROUP_MEAN, TS_IMPUTE_GROUP_MEDIAN,
    TS_IMPUTE_ZERO
} ts_impute_method;

/* Imputation of missing values: the indicator's mean or median over the
 * units, or over the units of the same group (units carry groups); or zero,
 * the raw value an absent event has in a count of events (before the
 * transform and normalisation, so a zero count scores as a zero count). */
typedef struct ts_impute {
    ts_impute_method method;
    char group[65];       /* group name for the group methods */
} ts_impute;

/* A treatment of missing values, as the `missing` key names it (--set
 * missing=..., the `missing` factor of an uncertainty group): "skip" (no
 * imputation: the weights of the siblings with data are rescaled), "zero"
 * (TS_IMPUTE_ZERO), "impute" (own: the indicator's own imputation method,
 * the median when it has none), or an imputation method by name. */
typedef struct ts_missing {
    ts_impute impute;     /* skip: TS_IMPUTE_NONE; unused when own */
    int own;
} ts_missing;

/* Names of each method as written in config files. */
const char *ts_norm_name(ts_norm_method m);
const char *ts_agg_name(ts_agg_method a);
const char *ts_transform_name(ts_transform_method t);
const char *ts_treat_name(ts_treat_method t);
const char *ts_impute_name(ts_impute_method m);

/* Returns the name of missing-value treatment m: skip, zero, impute, or
 * the imputation method's name. */
const char *ts_missing_name(const ts_missing *m);

/* Returns the imputation that treatment m gives an indicator whose own
 * imputation is own. Cannot fail. */
ts_impute ts_missing_apply(const ts_missing *m, const ts_impute *own);

/* Defaults: minmax onto the scale; arithmetic; no transform; no
 * treatment; no imputation. ts_treat_coinr() is COINr's default rule. */
ts_norm ts_norm_default(void);
ts_agg ts_agg_default(void);
ts_transform ts_transform_default(void);
ts_treat ts_treat_none(void);
ts_treat ts_treat_coinr(void);
ts_impute ts_impute_default(void);

/* Readers of config settings: a method name, or a group { method = ...;
 * parameters }. Each fills *out and returns TS_OK, or TS_EINPUT naming the
 * choices (with a "did you mean") at file:line. */
int ts_norm_from_setting(const config_setting_t *s, const char *file, ts_norm *out, ts_error *err);
int ts_agg_from_setting(const config_setting_t *s, const char *file, ts_agg *out, ts_error *err);
int ts_transform_from_setting(const config_setting_t *s, const char *file, ts_transform *out,
                              ts_error *err);
int ts_treat_from_setting(const config_setting_t *s, const char *file, ts_treat *out, ts_error *err);
int ts_impute_from_setting(const config_setting_t *s, const char *file, ts_impute *out, ts_error *err);
int ts_missing_from_setting(const config_setting_t *s, const char *file, ts_missing *out, ts_error *err);

/* The same readers for a KEY=VALUE override on the command line: value is
 * a method name; file names the option in messages. */
int ts_norm_parse(const char *value, const char *file, ts_norm *out, ts_error *err);
int ts_agg_parse(const char *value, const char *file, ts_agg *out, ts_error *err);
int ts_treat_parse(const char *value, const char *file, ts_treat *out, ts_error *err);
int ts_impute_parse(const char *value, const char *file, ts_impute *out, ts_error *err);
/* (no group methods on the command line: their GROUP would clash with the
 * :INDICATORS of --set and --vary missing=...) */
int ts_missing_parse(const char *value, const char *file, ts_missing *out, ts_error *err);

/* Stores in [*lo, *hi] the natural output bounds of normaliser m for n
 * units with data (rank: 1..n, borda: 0..n-1, the 0-1 family: 0..1).
 * Returns 0, or -1 for normalisers without fixed bounds (zscore, scaled,
 * none). */
int ts_norm_natural_bounds(const ts_norm *m, int n, double *lo, double *hi);

/* Returns 1 when the normaliser maps onto the taxonomy's scale by default
 * (the 0-1 family), so its range defaults to the scale. */
int ts_norm_uses_scale(ts_norm_method m);

#endif
