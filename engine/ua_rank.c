/* ua_rank.c -- ranking one node's units in every replication without a
 * comparison sort: counting for few units, radix on order keys for many. */
#include "ua_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define UA_X86 1
#endif

/* Up to this many units a unit's rank is counted: 1 + the number of units
 * scoring strictly higher, n^2 branch-free comparisons in vector registers,
 * which beats any sort at these sizes (the ASEM example has 51 units). */
#define COUNT_MAX_AVX2 96
#define COUNT_MAX_SSE2 64

/* Returns an integer whose unsigned order is the descending order of the
 * non-NaN double v (the highest score first), -0 and +0 one key as they
 * compare equal. */
static uint64_t desc_key(double v) {
    uint64_t b;
    if (v == 0) v = 0; /* -0 becomes +0 */
    memcpy(&b, &v, sizeof b);
    uint64_t asc = b >> 63 ? ~b : b | 1ULL << 63;
    return ~asc;
}

/* Stores in k[a] the top 32 bits of an integer whose signed order is the
 * ascending order of x[a] (-0 and +0 alike), or INT32_MIN for NaN, below
 * every value, and returns how many values are not NaN. Distinct values
 * may share a key: the callers check. Written as a loop the compiler
 * vectorises. */
static inline __attribute__((always_inline)) int make_keys(const double *restrict x, int n, int32_t *restrict k) {
    int m = 0;
    for (int a = 0; a < n; a++) {
        double z = x[a] + 0.0; /* -0 becomes +0 */
        uint64_t b;
        memcpy(&b, &z, sizeof b);
        uint64_t asc = b ^ ((0 - (b >> 63)) | 1ULL << 63);
        int32_t key = (int32_t)((uint32_t)(asc >> 32) ^ 0x80000000u);
        int ok = z == z;
        k[a] = ok ? key : INT32_MIN;
        m += ok;
    }
    return m;
}

/* Returns the sum of cnt[a] over the values that are not NaN, less one
 * per pair of them: 0 when no two of their keys tie. */
static inline __attribute__((always_inline)) long count_ties(const double *restrict x, int n,
                                                             const int32_t *restrict cnt) {
    long pairs = 0, m = 0;
    for (int a = 0; a < n; a++) {
        int ok = x[a] == x[a];
        pairs += ok ? cnt[a] : 0;
        m += ok;
    }
    return m * (m - 1) / 2 - pairs;
}

/* Stores the ranks from the counts: 1 + the values above, 0 for NaN. */
static inline __attribute__((always_inline)) void ranks_from_counts(const double *restrict x, int n,
                                                                    const int32_t *restrict cnt, int *restrict rank) {
    for (int a = 0; a < n; a++) rank[a] = x[a] == x[a] ? cnt[a] + 1 : 0;
}

#ifdef UA_X86
/* Stores in cnt[a] (a < n) the number of keys of k[0..n) greater than
 * k[a]. Keys and counts past n, up to the next multiple of 8 (or 56),
 * are read and written as lanes whose counts mean nothing. Up to 56 keys
 * are held in seven registers while every k[b] is compared with them (the
 * ASEM example's 51 units in one pass). */
__attribute__((target("avx2"))) static void count_above_avx2(const int32_t *k, int n, int32_t *cnt) {
    int np = (n + 7) & ~7;
    for (int a0 = 0; a0 < np; a0 += 56) {
        /* lanes past the last key hold INT32_MAX, which no key exceeds */
        const __m256i none = _mm256_set1_epi32(INT32_MAX);
#define LANES(j) (a0 + 8 * (j) < np ? _mm256_loadu_si256((const __m256i *)(k + a0 + 8 * (j))) : none)
        __m256i v0 = LANES(0), v1 = LANES(1), v2 = LANES(2), v3 = LANES(3), v4 = LANES(4), v5 = LANES(5), v6 = LANES(6);
#undef LANES
        __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
        for (int b = 0; b < n; b++) {
            __m256i vb = _mm256_set1_epi32(k[b]);
            c0 = _mm256_sub_epi32(c0, _mm256_cmpgt_epi32(vb, v0));
            c1 = _mm256_sub_epi32(c1, _mm256_cmpgt_epi32(vb, v1));
            c2 = _mm256_sub_epi32(c2, _mm256_cmpgt_epi32(vb, v2));
            c3 = _mm256_sub_epi32(c3, _mm256_cmpgt_epi32(vb, v3));
            c4 = _mm256_sub_epi32(c4, _mm256_cmpgt_epi32(vb, v4));
            c5 = _mm256_sub_epi32(c5, _mm256_cmpgt_epi32(vb, v5));
            c6 = _mm256_sub_epi32(c6, _mm256_cmpgt_epi32(vb, v6));
        }
        /* all 56 lanes are stored: past n they land in the next row's
           counts, written after these, or in the scratch's padding */
        _mm256_storeu_si256((__m256i *)(cnt + a0), c0);
        _mm256_storeu_si256((__m256i *)(cnt + a0 + 8), c1);
        _mm256_storeu_si256((__m256i *)(cnt + a0 + 16), c2);
        _mm256_storeu_si256((__m256i *)(cnt + a0 + 24), c3);
        _mm256_storeu_si256((__m256i *)(cnt + a0 + 32), c4);
        _mm256_storeu_si256((__m256i *)(cnt + a0 + 40), c5);
        _mm256_storeu_si256((__m256i *)(cnt + a0 + 48), c6);
    }
}

/* make_keys compiled for AVX2. */
__attribute__((target("avx2"))) static void keys_avx2(const double *x, int n, int32_t *k) {
    make_keys(x, n, k);
}

/* count_ties compiled for AVX2. */
__attribute__((target("avx2"))) static long ties_avx2(const double *x, int n, const int32_t *cnt) {
    return count_ties(x, n, cnt);
}

/* ranks_from_counts compiled for AVX2. */
__attribute__((target("avx2"))) static void ranks_avx2(const double *x, int n, const int32_t *cnt, int *rank) {
    ranks_from_counts(x, n, cnt, rank);
}

/* As count_above_avx2 with SSE2, sixteen keys in four registers (lanes
 * past n up to the next multiple of 8). */
static void count_above_sse2(const int32_t *k, int n, int32_t *cnt) {
    int a0 = 0, np = (n + 7) & ~7;
    for (; a0 + 16 <= np; a0 += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(k + a0)), v1 = _mm_loadu_si128((const __m128i *)(k + a0 + 4));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(k + a0 + 8)), v3 = _mm_loadu_si128((const __m128i *)(k + a0 + 12));
        __m128i c0 = _mm_setzero_si128(), c1 = c0, c2 = c0, c3 = c0;
        for (int b = 0; b < n; b++) {
            __m128i vb = _mm_set1_epi32(k[b]);
            c0 = _mm_sub_epi32(c0, _mm_cmpgt_epi32(vb, v0));
            c1 = _mm_sub_epi32(c1, _mm_cmpgt_epi32(vb, v1));
            c2 = _mm_sub_epi32(c2, _mm_cmpgt_epi32(vb, v2));
            c3 = _mm_sub_epi32(c3, _mm_cmpgt_epi32(vb, v3));
        }
        _mm_storeu_si128((__m128i *)(cnt + a0), c0);
        _mm_storeu_si128((__m128i *)(cnt + a0 + 4), c1);
        _mm_storeu_si128((__m128i *)(cnt + a0 + 8), c2);
        _mm_storeu_si128((__m128i *)(cnt + a0 + 12), c3);
    }
    for (; a0 < np; a0 += 4) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(k + a0)), c0 = _mm_setzero_si128();
        for (int b = 0; b < n; b++) c0 = _mm_sub_epi32(c0, _mm_cmpgt_epi32(_mm_set1_epi32(k[b]), v0));
        _mm_storeu_si128((__m128i *)(cnt + a0), c0);
    }
}
#endif

/* Counts as the kernels do, in plain C (where no kernel runs, and for
 * the keys' ties: there on the doubles themselves). */
static void count_above_plain(const double *x, int n, int32_t *cnt) {
    for (int a = 0; a < n; a++) cnt[a] = 0;
    for (int b = 0; b < n; b++) {
        double vb = x[b];
        for (int a = 0; a < n; a++) cnt[a] += x[a] < vb;
    }
}

/* Returns 1 when this processor runs the AVX2 kernels, else 0. */
static int ua_rank_use_avx2(void) {
#ifdef UA_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

/* Returns the most units ranked by counting under kernel choice avx2. */
static int ua_rank_count_max(int avx2) {
    return avx2 ? COUNT_MAX_AVX2 : COUNT_MAX_SSE2;
}

/* Ranks rows of n values by counting on 32-bit keys, each step over
 * every row at once where it can. The keys keep the order but may tie
 * where the values do not; then the counts of a row sum to less than one
 * per pair, and that row's values themselves are counted instead. The
 * kernels read and write up to 8 keys and counts past a row's end, into
 * the next row or the scratch's padding. */
static void rank_by_counting(const double *x, int n, int rows, int *rank, ua_rank_scratch *s) {
    int32_t *k = s->k32, *cnt = s->cnt;
    int total = n * rows;
#ifdef UA_X86
    if (s->avx2) keys_avx2(x, total, k);
    else make_keys(x, total, k);
    for (int a = total; a < total + 8; a++) k[a] = INT32_MIN;
    for (int r = 0; r < rows; r++) {
        if (s->avx2) count_above_avx2(k + (size_t)r * n, n, cnt + (size_t)r * n);
        else count_above_sse2(k + (size_t)r * n, n, cnt + (size_t)r * n);
    }
    for (int r = 0; r < rows; r++) {
        const double *xr = x + (size_t)r * n;
        if ((s->avx2 ? ties_avx2(xr, n, cnt + (size_t)r * n) : count_ties(xr, n, cnt + (size_t)r * n)) != 0)
            count_above_plain(xr, n, cnt + (size_t)r * n);
    }
    if (s->avx2) {
        ranks_avx2(x, total, cnt, rank);
        return;
    }
#else
    (void)k;
    for (int r = 0; r < rows; r++) count_above_plain(x + (size_t)r * n, n, cnt + (size_t)r * n);
#endif
    ranks_from_counts(x, total, cnt, rank);
}

/* Ranks by a least-significant-digit radix sort of the top 32 bits of
 * each descending order key (one byte per pass, skipping bytes every key
 * shares), then an insertion pass on the full keys, which moves only
 * values whose top 32 bits tie. */
static void rank_by_radix(const double *x, int n, int *rank, ua_rank_scratch *s) {
    uint64_t *a = s->a, *b = s->b, *key = s->key;
    uint32_t count[4][256];
    memset(count, 0, sizeof count);
    int m = 0;
    for (int u = 0; u < n; u++) {
        if (isnan(x[u])) {
            rank[u] = 0;
            continue;
        }
        uint64_t k = desc_key(x[u]);
        key[u] = k;
        uint32_t hi = (uint32_t)(k >> 32);
        a[m++] = (uint64_t)hi << 32 | (uint32_t)u;
        count[0][hi & 0xFF]++;
        count[1][hi >> 8 & 0xFF]++;
        count[2][hi >> 16 & 0xFF]++;
        count[3][hi >> 24]++;
    }
    if (m == 0) return;
    for (int d = 0; d < 4; d++) {
        uint32_t *c = count[d];
        int shift = 32 + 8 * d;
        if (c[a[0] >> shift & 0xFF] == (uint32_t)m) continue; /* every key has this byte */
        uint32_t sum = 0;
        for (int k = 0; k < 256; k++) {
            uint32_t here = c[k];
            c[k] = sum;
            sum += here;
        }
        for (int j = 0; j < m; j++) b[c[a[j] >> shift & 0xFF]++] = a[j];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    /* order by the full keys where the top halves tie */
    for (int j = 1; j < m; j++) {
        uint64_t item = a[j], k = key[(uint32_t)item];
        int i = j - 1;
        while (i >= 0 && key[(uint32_t)a[i]] > k) {
            a[i + 1] = a[i];
            i--;
        }
        a[i + 1] = item;
    }
    /* ties take the lowest rank: the position of the first equal value */
    int first = 0;
    uint64_t prev = 0;
    for (int j = 0; j < m; j++) {
        uint32_t u = (uint32_t)a[j];
        if (j == 0 || key[u] != prev) first = j;
        prev = key[u];
        rank[u] = first + 1;
    }
}

/* Ranks by distributing the values among n buckets by their place in
 * [min, max], highest first, and then sorting by insertion, which moves a
 * value only within its bucket: (x - min) * f rounds monotonically, so a
 * higher bucket never holds a lower value. Returns 0, or -1 (nothing
 * done) for a range that is not finite or a bucket of more than 64 values
 * (clustered scores would make the insertion slow): rank by radix then. */
static int rank_by_buckets(const double *restrict x, int n, int *restrict rank, ua_rank_scratch *s) {
    double lo = INFINITY, hi = -INFINITY;
    int m = 0;
    for (int u = 0; u < n; u++) {
        double y = x[u]; /* NaN compares false: it changes nothing */
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
        m += y == y;
    }
    if (m == 0) {
        for (int u = 0; u < n; u++) rank[u] = 0;
        return 0;
    }
    int B = n;
    double f = hi > lo ? B / (hi - lo) : 0;
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(f)) return -1;
    int *restrict bucket = s->bucket, *restrict count = s->count, *restrict order = s->order;
    memset(count, 0, ((size_t)B + 1) * sizeof *count);
    for (int u = 0; u < n; u++) {
        double y = x[u];
        if (y != y) {
            bucket[u] = B; /* after every bucket: counted, never placed */
            rank[u] = 0;
            continue;
        }
        int b = (int)((y - lo) * f);
        bucket[u] = B - 1 - (b < B ? b : B - 1); /* highest first */
    }
    for (int u = 0; u < n; u++) count[bucket[u]]++;
    int big = 0, sum = 0;
    for (int b = 0; b < B; b++) {
        int here = count[b];
        big |= here > 64;
        count[b] = sum;
        sum += here;
    }
    if (big) return -1;
    for (int u = 0; u < n; u++)
        if (bucket[u] < B) order[count[bucket[u]]++] = u;
    for (int j = 1; j < m; j++) {
        int id = order[j], i = j - 1;
        double v = x[id];
        while (i >= 0 && x[order[i]] < v) {
            order[i + 1] = order[i];
            i--;
        }
        order[i + 1] = id;
    }
    /* ties take the lowest rank: the position of the first equal value */
    int first = 0;
    double prev = x[order[0]];
    for (int j = 0; j < m; j++) {
        double v = x[order[j]];
        first = v != prev ? j : first;
        prev = v;
        rank[order[j]] = first + 1;
    }
    return 0;
}

/* Ranks each of rows rows of n values (x[r * n + u]) into rank[r * n + u]
 * with the scratch s. Cannot fail. */
void ua_rank_rows(const double *x, int n, int rows, int *rank, ua_rank_scratch *s) {
    if (n <= s->count_max) {
        rank_by_counting(x, n, rows, rank, s);
        return;
    }
    for (int r = 0; r < rows; r++)
        if (rank_by_buckets(x + (size_t)r * n, n, rank + (size_t)r * n, s))
            rank_by_radix(x + (size_t)r * n, n, rank + (size_t)r * n, s);
}

/* Allocates s for rows rows of n units. Returns 0, or -1 when out of
 * memory (free s with ua_rank_scratch_free either way). */
int ua_rank_scratch_init(ua_rank_scratch *s, int n, int rows) {
    memset(s, 0, sizeof *s);
    s->avx2 = ua_rank_use_avx2();
    s->count_max = ua_rank_count_max(s->avx2);
    size_t cells = (size_t)n * (size_t)(rows > 0 ? rows : 1) + 64; /* the kernels' padding */
    s->k32 = malloc(cells * sizeof *s->k32);
    s->cnt = malloc(cells * sizeof *s->cnt);
    s->a = malloc(((size_t)n + 1) * sizeof *s->a);
    s->b = malloc(((size_t)n + 1) * sizeof *s->b);
    s->key = malloc(((size_t)n + 1) * sizeof *s->key);
    s->order = malloc(((size_t)n + 1) * sizeof *s->order);
    s->bucket = malloc(((size_t)n + 1) * sizeof *s->bucket);
    s->count = malloc(((size_t)n + 2) * sizeof *s->count);
    return s->k32 && s->cnt && s->a && s->b && s->key && s->order && s->bucket && s->count ? 0 : -1;
}

/* Frees what s holds and zeroes it. NULL is allowed. */
void ua_rank_scratch_free(ua_rank_scratch *s) {
    if (!s) return;
    free(s->k32);
    free(s->cnt);
    free(s->a);
    free(s->b);
    free(s->key);
    free(s->order);
    free(s->bucket);
    free(s->count);
    memset(s, 0, sizeof *s);
}
