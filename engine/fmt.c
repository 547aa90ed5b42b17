/* fmt.c -- "%.17g" worked out exactly in 128-bit integers, and integers by
 * a table of digit pairs: glibc's bytes at a fraction of printf's cost. */
#include "fmt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* 5^0 .. 5^27, the powers of five that fit in 64 bits. */
static const uint64_t pow5_table[28] = {
    1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL, 1953125ULL, 9765625ULL,
    48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL,
    762939453125ULL, 3814697265625ULL, 19073486328125ULL, 95367431640625ULL, 476837158203125ULL,
    2384185791015625ULL, 11920928955078125ULL, 59604644775390625ULL, 298023223876953125ULL,
    1490116119384765625ULL, 7450580596923828125ULL};

#define TEN16 10000000000000000ULL
#define TEN17 100000000000000000ULL

/* The decimal exponents the exact method covers: 10^MIN_EXP10 <= |x| <
 * 10^(MAX_EXP10 + 1). Below, 5^(16 - MIN_EXP10 + 1) times a 53-bit
 * significand would pass 2^128; above, nothing overflows until about
 * 1e47, but doubles that large are not worth a case. */
#define MIN_EXP10 (-15)
#define MAX_EXP10 37

/* Returns 5^q for 0 <= q <= 32 (5^32 < 2^75). */
static u128 pow5(int q) {
    return q < 28 ? (u128)pow5_table[q] : (u128)pow5_table[27] * pow5_table[q - 27];
}

/* Returns floor(log10(2^e)), exactly for |e| <= 1100 (checked against
 * 50-digit logarithms): 78913 / 2^18 is log10(2) to 6 digits. */
static int floor_log10_pow2(int e) {
    int v = e * 78913;
    return v >= 0 ? v >> 18 : -((-v + (1 << 18) - 1) >> 18);
}

/* Returns floor(m * 2^e / 10^k) and stores in *half whether the remainder
 * is below half a unit (-1), exactly half (0) or above (1), and in *exact
 * whether it is zero. The caller keeps -31 <= k <= 22 and the quotient
 * below 10^18, so every intermediate fits in 128 bits. */
static inline uint64_t scale(uint64_t m, int e, int k, int *half, int *exact) {
    int s = e - k; /* m * 2^e / 10^k = m * 5^-k * 2^(e-k) */
    u128 num = m;
    if (k <= 0) {
        num *= pow5(-k);
        if (s >= 0) {
            *half = -1;
            *exact = 1;
            return (uint64_t)(num << s);
        }
        u128 q = num >> -s, rem = num - (q << -s), mid = (u128)1 << (-s - 1);
        *half = rem < mid ? -1 : rem > mid;
        *exact = rem == 0;
        return (uint64_t)q;
    }
    u128 den = pow5(k);
    if (s >= 0) num <<= s;
    else den <<= -s;
    u128 q = num / den, rem = num - q * den;
    *half = rem < den - rem ? -1 : rem > den - rem;
    *exact = rem == 0;
    return (uint64_t)q;
}

/* Writes the 8 decimal digits of v < 10^8 at p, in pairs that do not wait
 * for each other. */
static inline void put8(char *p, uint32_t v) {
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(p, digit_pairs + 2 * (hi / 100), 2);
    memcpy(p + 2, digit_pairs + 2 * (hi % 100), 2);
    memcpy(p + 4, digit_pairs + 2 * (lo / 100), 2);
    memcpy(p + 6, digit_pairs + 2 * (lo % 100), 2);
}

/* Writes the n low decimal digits of v ending just before end. */
static void put_digits(char *end, uint64_t v, int n) {
    for (; n >= 2; n -= 2, v /= 100) {
        end -= 2;
        memcpy(end, digit_pairs + 2 * (v % 100), 2);
    }
    if (n) *--end = (char)('0' + v % 10);
}

/* Returns snprintf's "%.17g" of x in buf, for what the exact method skips. */
static size_t fallback(char *buf, double x) {
    int n = snprintf(buf, TS_FMT_SIZE, "%.17g", x);
    return n > 0 ? (size_t)n : 0;
}

size_t ts_fmt_g17(char *buf, double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int biased = (int)(bits >> 52 & 0x7FF);
    uint64_t m = bits & ((1ULL << 52) - 1);
    char *p = buf;
    if (bits >> 63) *p++ = '-';
    if (biased == 0 && m == 0) {
        *p++ = '0';
        *p = '\0';
        return (size_t)(p - buf);
    }
    int exp10 = floor_log10_pow2(biased - 1023); /* at most one too small */
    if (biased == 0 || biased == 0x7FF || exp10 < MIN_EXP10 || exp10 > MAX_EXP10) return fallback(buf, x);
    m |= 1ULL << 52;
    int e = biased - 1075, half, exact;
    /* 17 significant digits: d in [10^16, 10^17) with x ~ d * 10^(exp10 - 16) */
    uint64_t d = scale(m, e, exp10 - 16, &half, &exact);
    if (d >= TEN17) { /* 18 digits: the estimate was one low; drop the last */
        int last = (int)(d % 10);
        d /= 10;
        exp10++;
        half = last > 5 ? 1 : last < 5 ? -1 : exact ? 0 : 1;
    }
    if (half > 0 || (half == 0 && (d & 1))) d++; /* ties to even, as glibc */
    if (d == TEN17) {
        d = TEN16;
        exp10++;
    }
    /* the digits, then slack: every copy below has a constant size, which
       compilers turn into a few moves instead of a call to memcpy */
    char dig[32] = {0};
    dig[0] = (char)('0' + d / TEN16);
    put8(dig + 1, (uint32_t)(d % TEN16 / 100000000));
    put8(dig + 9, (uint32_t)(d % 100000000));
    int nd = 17; /* significant digits once trailing zeros are dropped */
    while (dig[nd - 1] == '0') nd--;
    if (exp10 < -4 || exp10 >= 17) { /* %e style: d.ddde+XX */
        p[0] = dig[0];
        p[1] = '.';
        memcpy(p + 2, dig + 1, 16);
        p += nd > 1 ? nd + 1 : 1;
        *p++ = 'e';
        *p++ = exp10 < 0 ? '-' : '+';
        int a = exp10 < 0 ? -exp10 : exp10;
        memcpy(p, digit_pairs + 2 * a, 2); /* a < 100 within the exact range */
        p += 2;
    } else if (exp10 >= 0) { /* %f style, exp10 + 1 digits before the point */
        memcpy(p, dig, 17);
        if (nd > exp10 + 1) {
            p[exp10 + 1] = '.';
            memcpy(p + exp10 + 2, dig + exp10 + 1, 16);
            p += nd + 1;
        } else {
            p += exp10 + 1;
        }
    } else { /* 0.000ddd */
        memcpy(p, "0.0000", 6);
        p += 1 - exp10;
        memcpy(p, dig, 17);
        p += nd;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

_Static_assert(TS_FMT_CACHE_SLOTS == 256, "the slot is the top 8 bits of a hash");

size_t ts_fmt_g17_cached(ts_fmt_cache *c, char *buf, double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    size_t slot = (size_t)((bits * 0x9E3779B97F4A7C15ULL) >> 56); /* 256 slots */
    if (c->len[slot] && c->bits[slot] == bits) {
        memcpy(buf, c->text[slot], sizeof c->text[slot]); /* the NUL and scratch too */
        return c->len[slot];
    }
    size_t n = ts_fmt_g17(buf, x);
    if (n < sizeof c->text[slot]) {
        c->bits[slot] = bits;
        c->len[slot] = (unsigned char)n;
        memcpy(c->text[slot], buf, sizeof c->text[slot]);
    }
    return n;
}

size_t ts_fmt_int(char *buf, long long v) {
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 1;
    for (unsigned long long t = u; t >= 10; t /= 10) n++;
    size_t len = (size_t)n + (v < 0);
    if (v < 0) buf[0] = '-';
    put_digits(buf + len, u, n);
    buf[len] = '\0';
    return len;
}
