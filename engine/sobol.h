/* sobol.h -- Sobol' low-discrepancy sequences and the Saltelli/Jansen
 * estimators of first- and total-order Sobol' indices, with Poisson
 * bootstrap confidence intervals that need no per-sample storage. */
#ifndef TS_SOBOL_H
#define TS_SOBOL_H

#include <stdint.h>

/* A Sobol' sequence in dims dimensions. Dimension 0 is van der Corput's;
 * dimension j >= 1 uses the j-th primitive polynomial over GF(2) (by degree,
 * then value) with initial direction numbers m_i drawn, odd and < 2^i, from
 * a fixed generator, so the sequence is the same on every machine. */
typedef struct ts_sobol_seq ts_sobol_seq;

/* Returns a new sequence, or NULL when out of memory or dims < 1. */
ts_sobol_seq *ts_sobol_seq_new(int dims);

/* Writes point index (0 is the origin; designs start at 1) into x[dims],
 * each coordinate in [0, 1). */
void ts_sobol_seq_point(const ts_sobol_seq *q, uint32_t index, double *x);

/* Frees the sequence. NULL is allowed. */
void ts_sobol_seq_free(ts_sobol_seq *q);

/* Running sums of the Saltelli design for n_out outputs and k factors.
 * Base sample j contributes f(A_j), f(B_j) and f(AB_j^(i)) (A with the
 * columns of factor i taken from B). Estimators (Saltelli et al. 2010):
 *   V     = variance of the 2N values f(A), f(B)
 *   S1_i  = (1/N) sum f(B) (f(AB^(i)) - f(A)) / V
 *   ST_i  = (1/2N) sum (f(A) - f(AB^(i)))^2 / V           (Jansen)
 * Outputs are shifted by a centre (e.g. the nominal value) before summing,
 * which leaves the estimators' expectations unchanged and limits rounding.
 * Replicate b of n_boot weights base sample j by a Poisson(1) count drawn
 * from (seed, j, b), so confidence intervals come from streaming sums. */
typedef struct ts_sobol_acc ts_sobol_acc;

/* Returns new zeroed sums, or NULL when out of memory. centre may be NULL
 * (no shift). */
ts_sobol_acc *ts_sobol_acc_new(int n_out, int k, int n_boot, uint64_t seed, const double *centre);

/* Frees the sums. NULL is allowed. */
void ts_sobol_acc_free(ts_sobol_acc *a);

/* Sets every sum to zero. */
void ts_sobol_acc_zero(ts_sobol_acc *a);

/* Adds base sample j: fA[n_out], fB[n_out], fAB[i * n_out + o]. NaN
 * values count as the centre. */
void ts_sobol_acc_add(ts_sobol_acc *a, uint64_t j, const double *fA, const double *fB, const double *fAB);

/* Adds the sums of from (same shape) into into. */
void ts_sobol_acc_merge(ts_sobol_acc *into, const ts_sobol_acc *from);

/* Estimates for output o and factor i: s1 and st, and the 2.5 % and
 * 97.5 % bootstrap percentiles of each in ci[0..3] (s1 lo, s1 hi, st lo,
 * st hi). NaN when the output does not vary or there are no samples. */
void ts_sobol_acc_indices(const ts_sobol_acc *a, int o, int i, double *s1, double *st, double ci[4]);

/* Returns a uniform double in [0, 1) from a 64-bit counter-based hash of
 * (seed, a, b). */
double ts_hash_uniform(uint64_t seed, uint64_t a, uint64_t b);

/* Returns a 64-bit mix of x (SplitMix64's finaliser). */
uint64_t ts_mix64(uint64_t x);

#endif
