/* fmt.h -- numbers to text without printf: the exact bytes of "%.17g" for
 * doubles and plain decimal integers, for writers of millions of numbers. */
#ifndef TS_FMT_H
#define TS_FMT_H

#include <stddef.h>

/* Bytes a buffer needs for the functions below: the longest result is 25
 * bytes with its NUL, and ts_fmt_g17 uses the rest as scratch. */
#define TS_FMT_SIZE 40

/* Writes x into buf (TS_FMT_SIZE bytes) exactly as snprintf(buf, n,
 * "%.17g", x) does in the C locale and the default rounding mode (which
 * this program never changes): 17 significant digits correctly rounded,
 * exact ties to even, trailing zeros dropped, so 0.1 gives
 * "0.10000000000000001" and -0.0 gives "-0". Returns the length. Cannot
 * fail: subnormals, |x| below about 1e-15 or above 1e38, infinities and NaN
 * are passed to snprintf. */
size_t ts_fmt_g17(char *buf, double x);

/* The text of recently written doubles, for a writer whose values repeat
 * (coverage and imputed shares are k / 10 at a node of 10 indicators):
 * a hit costs a copy instead of a conversion. Zero-initialise before use;
 * its owner keeps it (one per thread). */
#define TS_FMT_CACHE_SLOTS 256
typedef struct ts_fmt_cache {
    unsigned long long bits[TS_FMT_CACHE_SLOTS];
    unsigned char len[TS_FMT_CACHE_SLOTS]; /* 0: an empty slot */
    char text[TS_FMT_CACHE_SLOTS][32];
} ts_fmt_cache;

/* As ts_fmt_g17, remembering the text in c. Returns the length. */
size_t ts_fmt_g17_cached(ts_fmt_cache *c, char *buf, double x);

/* Writes v in decimal into buf (TS_FMT_SIZE bytes), as "%lld" does.
 * Returns the length. */
size_t ts_fmt_int(char *buf, long long v);

#endif
