/* dataset.h -- units x indicators values with the provenance of each value
 * (source, year, estimate flag, where it was read). NaN means missing. */
#ifndef TS_DATASET_H
#define TS_DATASET_H

#include "error.h"
#include "util.h"

enum { TS_VALUE_ESTIMATE = 1, TS_VALUE_SHOCKED = 2 };

/* A sourced observation that disagrees with the value in use. */
typedef struct ts_observation {
    double value;
    int year;
    const char *source;
} ts_observation;

/* Where a value came from. Strings are owned by the dataset's arena. */
typedef struct ts_provenance {
    const char *source;   /* NULL when the input gave none */
    const char *note;     /* reasoning for an estimate, choice among sources */
    const char *shock;    /* what scenario shocks did to the value, or NULL */
    const char *file;     /* file and line it was read from */
    int line;
    int year;             /* 0 when unknown */
    unsigned flags;       /* TS_VALUE_* */
    int n_alternatives;
    const ts_observation *alternatives;
} ts_provenance;

/* One sourced observation of a cell (an indicator for a unit) in one year.
 * A scenario may hold several years per cell; ts_dataset.values holds the
 * one selected for the reference year. */
typedef struct ts_obs {
    int cell;             /* i * n_units + u */
    int next;             /* next observation of the same cell, -1 at the end */
    int removed;          /* replaced by a scenario that extends this one */
    double value;
    ts_provenance prov;   /* prov.year is the observation's year */
} ts_obs;

/* How a selected value relates to the reference year. */
enum { TS_SELECT_EXACT = 0, TS_SELECT_CARRIED = 1, TS_SELECT_INTERPOLATED = 2 };

typedef struct ts_dataset {
    ts_arena *arena;
    int n_units, n_indicators;
    const char **unit_id, **unit_name;
    double *values;          /* values[i * n_units + u], indicator-major */
    ts_provenance *prov;     /* same layout; NULL for CSV input, whose
                                values share their file and have a line
                                per unit in unit_line */
    int *unit_line;          /* CSV line of each unit, or NULL */
    const char *file;        /* CSV file, or NULL */
    int n_groups;            /* unit groupings (for group imputation) */
    const char **group_name; /* n_groups names */
    const char **group;      /* group[g * n_units + u]: unit u's label, or NULL */
    int n_obs, cap_obs;      /* every observation of a scenario (none for CSV) */
    ts_obs *obs;
    int *cell_head;          /* first observation of each cell, -1 if none */
    unsigned char *selected; /* per cell: TS_SELECT_* of the value in use */
    int n_denominators;      /* unit-level variables indicators may be divided by */
    const char **denominator_name;
    double *denominator;     /* denominator[j * n_units + u], NaN = missing */
} ts_dataset;

/* Adds an observation of cell c and returns a pointer to it (zeroed
 * provenance), or NULL when out of memory. The pointer is valid until the
 * next call. */
ts_obs *ts_dataset_add_obs(ts_dataset *d, size_t c, double value);

/* Fills values, prov and selected from the observations for reference year
 * ref (0: the latest year of any observation): the observation of year ref
 * if there is one; else, when interpolate, the linear interpolation of the
 * nearest earlier and later observations; else the latest earlier one. With
 * max_age >= 0 only observations at most max_age years from ref count.
 * Values from another year than an explicit ref are flagged carried or
 * interpolated. Cells without observations (CSV input) are left alone. */
void ts_dataset_select(ts_dataset *d, int ref, int max_age, int interpolate);

/* Stores the distinct years of the observations, ascending, in years (up to
 * max) and returns their count. */
int ts_dataset_years(const ts_dataset *d, int *years, int max);

/* Returns the index of denominator name, or -1. */
int ts_dataset_find_denominator(const ts_dataset *d, const char *name);

/* Adds a denominator called name (all values missing) and returns its
 * index, or returns the existing index; -1 when out of memory. */
int ts_dataset_add_denominator(ts_dataset *d, const char *name);

/* Returns the index of grouping name, or -1. */
int ts_dataset_find_group(const ts_dataset *d, const char *name);

/* Adds a grouping called name (all labels unset) and returns its index, or
 * returns the existing index; -1 when out of memory. */
int ts_dataset_add_group(ts_dataset *d, const char *name);

/* Returns a dataset of n_units x n_indicators, all missing, with unit ids
 * and names unset and per-value provenance when with_prov; NULL when out of
 * memory. */
ts_dataset *ts_dataset_new(int n_units, int n_indicators, int with_prov);

/* Frees the dataset. NULL is allowed. */
void ts_dataset_free(ts_dataset *d);

/* Returns the index of unit id, or -1. Linear: unit counts are small where
 * this is called per lookup (config files); CSV import keeps its own map. */
int ts_dataset_find_unit(const ts_dataset *d, const char *id);

/* Fills err with "unknown country 'id'" at file:line, with a "did you mean"
 * drawn from d's unit ids when one is close. Returns TS_EINPUT. */
int ts_dataset_unknown_unit(const ts_dataset *d, const char *id, const char *file, int line, ts_error *err);

/* Returns the value of indicator i for unit u (NaN when missing). */
static inline double ts_dataset_get(const ts_dataset *d, int i, int u) {
    return d->values[(size_t)i * (size_t)d->n_units + (size_t)u];
}

/* Writes the SHA-256 of the data actually scored (unit ids, then every
 * value's bytes, indicator-major) as hex into hex[65]. */
void ts_dataset_hash(const ts_dataset *d, char hex[65]);

#endif
