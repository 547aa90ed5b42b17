/* sobol.c -- Sobol' sequences from primitive polynomials found at run
 * time, and streaming Saltelli/Jansen sensitivity estimators. */
#include "sobol.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t ts_mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double ts_hash_uniform(uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t h = ts_mix64(ts_mix64(ts_mix64(seed) ^ a) ^ (b * 0xd1b54a32d192ed03ULL));
    return (double)(h >> 11) * 0x1.0p-53;
}

/* ---- sequence ------------------------------------------------------------ */

struct ts_sobol_seq {
    int dims;
    uint32_t *v; /* v[j * 32 + b]: direction number of bit b in dimension j */
};

/* a * b mod p over GF(2), p of degree deg. */
static uint64_t gf2_mulmod(uint64_t a, uint64_t b, uint64_t p, int deg) {
    uint64_t r = 0;
    while (b) {
        if (b & 1) r ^= a;
        b >>= 1;
        a <<= 1;
        if (a >> deg & 1) a ^= p;
    }
    return r;
}

static uint64_t gf2_powx(uint64_t e, uint64_t p, int deg) {
    uint64_t r = 1, base = deg > 1 ? 2 : 2 ^ p; /* x mod p */
    while (e) {
        if (e & 1) r = gf2_mulmod(r, base, p, deg);
        base = gf2_mulmod(base, base, p, deg);
        e >>= 1;
    }
    return r;
}

/* Returns 1 when p (degree deg, constant term 1) is primitive: x has
 * multiplicative order 2^deg - 1 modulo p. */
static int primitive(uint64_t p, int deg) {
    uint64_t order = (1ULL << deg) - 1, n = order;
    if (gf2_powx(order, p, deg) != 1) return 0;
    for (uint64_t q = 2; q * q <= n; q++) {
        if (n % q) continue;
        while (n % q == 0) n /= q;
        if (gf2_powx(order / q, p, deg) == 1) return 0;
    }
    if (n > 1 && gf2_powx(order / n, p, deg) == 1) return 0;
    return 1;
}

ts_sobol_seq *ts_sobol_seq_new(int dims) {
    if (dims < 1) return NULL;
    ts_sobol_seq *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->dims = dims;
    q->v = malloc((size_t)dims * 32 * sizeof *q->v);
    if (!q->v) {
        free(q);
        return NULL;
    }
    for (int b = 0; b < 32; b++) q->v[b] = 1u << (31 - b);
    int j = 1, deg = 1;
    uint64_t poly = 3;
    while (j < dims) {
        if (poly >= (2ULL << deg)) {
            deg++;
            poly = (1ULL << deg) | 1;
            continue;
        }
        uint64_t p = poly;
        poly += 2;
        if (!primitive(p, deg)) continue;
        uint32_t m[33];
        uint64_t state = 0x5eed50b01ULL + (uint64_t)j * 0x9e3779b97f4a7c15ULL;
        for (int i = 1; i <= deg && i <= 32; i++) {
            state = ts_mix64(state);
            uint32_t top = i > 1 ? (uint32_t)(state % (1ULL << (i - 1))) : 0;
            m[i] = 2 * top + 1; /* odd, < 2^i */
        }
        for (int i = deg + 1; i <= 32; i++) {
            uint32_t x = m[i - deg] ^ (m[i - deg] << deg);
            for (int t = 1; t < deg; t++)
                if (p >> (deg - t) & 1) x ^= m[i - t] << t;
            m[i] = x;
        }
        for (int b = 0; b < 32; b++) q->v[(size_t)j * 32 + (size_t)b] = m[b + 1] << (31 - b);
        j++;
    }
    return q;
}

void ts_sobol_seq_point(const ts_sobol_seq *q, uint32_t index, double *x) {
    for (int j = 0; j < q->dims; j++) {
        const uint32_t *v = q->v + (size_t)j * 32;
        uint32_t r = 0;
        for (int b = 0; b < 32 && (index >> b); b++)
            if (index >> b & 1) r ^= v[b];
        x[j] = (double)r * 0x1.0p-32;
    }
}

void ts_sobol_seq_free(ts_sobol_seq *q) {
    if (!q) return;
    free(q->v);
    free(q);
}

/* ---- estimators ---------------------------------------------------------- */

struct ts_sobol_acc {
    int n_out, k, n_boot, m; /* m sums per output and replicate */
    uint64_t seed;
    double *centre;
    double *sum; /* sum[((r * n_out) + o) * m + t], replicate 0 = the estimate */
};

ts_sobol_acc *ts_sobol_acc_new(int n_out, int k, int n_boot, uint64_t seed, const double *centre) {
    ts_sobol_acc *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->n_out = n_out;
    a->k = k;
    a->n_boot = n_boot < 0 ? 0 : n_boot;
    a->m = 5 + 2 * k;
    a->seed = seed;
    size_t n = (size_t)(a->n_boot + 1) * (size_t)n_out * (size_t)a->m;
    a->sum = calloc(n + 1, sizeof *a->sum);
    a->centre = calloc((size_t)n_out + 1, sizeof *a->centre);
    if (!a->sum || !a->centre) {
        ts_sobol_acc_free(a);
        return NULL;
    }
    if (centre)
        for (int o = 0; o < n_out; o++) a->centre[o] = isnan(centre[o]) ? 0 : centre[o];
    return a;
}

void ts_sobol_acc_free(ts_sobol_acc *a) {
    if (!a) return;
    free(a->sum);
    free(a->centre);
    free(a);
}

void ts_sobol_acc_zero(ts_sobol_acc *a) {
    memset(a->sum, 0, (size_t)(a->n_boot + 1) * (size_t)a->n_out * (size_t)a->m * sizeof *a->sum);
}

/* A Poisson(1) count from a uniform u, by inverting the distribution. */
static int poisson1(double u) {
    double p = 0.36787944117144233, cdf = p;
    int k = 0;
    while (u >= cdf && k < 20) {
        k++;
        p /= k;
        cdf += p;
    }
    return k;
}

void ts_sobol_acc_add(ts_sobol_acc *a, uint64_t j, const double *fA, const double *fB, const double *fAB) {
    int n = a->n_out, k = a->k, m = a->m;
    for (int r = 0; r <= a->n_boot; r++) {
        double w = r == 0 ? 1.0 : (double)poisson1(ts_hash_uniform(a->seed, j, (uint64_t)r));
        if (w == 0) continue;
        double *s = a->sum + (size_t)r * (size_t)n * (size_t)m;
        for (int o = 0; o < n; o++, s += m) {
            double c = a->centre[o];
            double xa = isnan(fA[o]) ? 0 : fA[o] - c, xb = isnan(fB[o]) ? 0 : fB[o] - c;
            s[0] += w;
            s[1] += w * xa;
            s[2] += w * xb;
            s[3] += w * xa * xa;
            s[4] += w * xb * xb;
            for (int i = 0; i < k; i++) {
                double y = fAB[(size_t)i * (size_t)n + (size_t)o];
                double xab = isnan(y) ? 0 : y - c;
                s[5 + i] += w * xb * (xab - xa);
                s[5 + k + i] += w * (xa - xab) * (xa - xab);
            }
        }
    }
}

void ts_sobol_acc_merge(ts_sobol_acc *into, const ts_sobol_acc *from) {
    size_t n = (size_t)(into->n_boot + 1) * (size_t)into->n_out * (size_t)into->m;
    for (size_t t = 0; t < n; t++) into->sum[t] += from->sum[t];
}

/* Estimates from one replicate's sums s. */
static void estimate(const double *s, int k, int i, double *s1, double *st) {
    double n = s[0];
    *s1 = *st = NAN;
    if (!(n > 1)) return;
    double mean = (s[1] + s[2]) / (2 * n);
    double v = (s[3] + s[4]) / (2 * n) - mean * mean;
    if (!(v > 1e-300) || !(v > 1e-12 * ((s[3] + s[4]) / (2 * n)))) return;
    *s1 = s[5 + i] / n / v;
    *st = s[5 + k + i] / (2 * n) / v;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The p-quantile (type 7) of the n sorted values x. */
static double quantile_sorted(const double *x, int n, double p) {
    if (n == 0) return NAN;
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    if (lo >= n - 1) return x[n - 1];
    return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

void ts_sobol_acc_indices(const ts_sobol_acc *a, int o, int i, double *s1, double *st, double ci[4]) {
    size_t stride = (size_t)a->n_out * (size_t)a->m;
    estimate(a->sum + (size_t)o * (size_t)a->m, a->k, i, s1, st);
    for (int t = 0; t < 4; t++) ci[t] = NAN;
    if (a->n_boot == 0 || isnan(*s1)) return;
    double *b1 = malloc((size_t)a->n_boot * sizeof *b1), *bt = malloc((size_t)a->n_boot * sizeof *bt);
    if (!b1 || !bt) {
        free(b1);
        free(bt);
        return;
    }
    int n = 0;
    for (int r = 1; r <= a->n_boot; r++) {
        double x1, xt;
        estimate(a->sum + (size_t)r * stride + (size_t)o * (size_t)a->m, a->k, i, &x1, &xt);
        if (isnan(x1) || isnan(xt)) continue;
        b1[n] = x1;
        bt[n] = xt;
        n++;
    }
    qsort(b1, (size_t)n, sizeof *b1, cmp_double);
    qsort(bt, (size_t)n, sizeof *bt, cmp_double);
    if (n > 0) {
        ci[0] = quantile_sorted(b1, n, 0.025);
        ci[1] = quantile_sorted(b1, n, 0.975);
        ci[2] = quantile_sorted(bt, n, 0.025);
        ci[3] = quantile_sorted(bt, n, 0.975);
    }
    free(b1);
    free(bt);
}
