/* sha256.c -- SHA-256 following FIPS 180-4: a plain compression function,
 * and the processor's SHA instructions where it has them. */
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define TS_SHA_X86 1
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(ts_sha256 *h, const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h->state[0], b = h->state[1], c = h->state[2], d = h->state[3];
    uint32_t e = h->state[4], f = h->state[5], g = h->state[6], hh = h->state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    h->state[0] += a; h->state[1] += b; h->state[2] += c; h->state[3] += d;
    h->state[4] += e; h->state[5] += f; h->state[6] += g; h->state[7] += hh;
}

#ifdef TS_SHA_X86
/* Compresses n blocks at p with the SHA extensions (the sequence of
 * Intel's white paper): the state as ABEF and CDGH, four rounds per pair
 * of sha256rnds2, the message schedule by sha256msg1 and sha256msg2. */
__attribute__((target("sha,sse4.1"))) static void compress_shani(uint32_t state[8], const unsigned char *p,
                                                                  size_t n) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i s1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);         /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);           /* EFGH */
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);   /* ABEF */
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);        /* CDGH */
    for (; n > 0; n--, p += 64) {
        __m128i abef = s0, cdgh = s1, m[4];
        for (int g = 0; g < 16; g++) {
            __m128i w;
            if (g < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), swap);
            } else {
                /* W[4g..4g+3] from the four groups before */
                __m128i t = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(t, m[(g + 3) & 3]);
            }
            m[g & 3] = w;
            __m128i k = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, k);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0E));
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    tmp = _mm_shuffle_epi32(s0, 0x1B);          /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);           /* DCHG */
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);        /* DCBA */
    s1 = _mm_alignr_epi8(s1, tmp, 8);           /* ABEF */
    _mm_storeu_si128((__m128i *)&state[0], s0);
    _mm_storeu_si128((__m128i *)&state[4], s1);
}

/* Returns 1 when the processor has the SHA extensions (and SSE4.1). */
static int have_shani(void) {
    static int known = -1; /* a fact of the processor, the same for every thread */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (k < 0) {
        /* CPUID rather than __builtin_cpu_supports, which clang's does not
           know "sha" in: leaf 1 ECX bit 19 is SSE4.1, leaf 7 EBX bit 29 SHA */
        unsigned a, b, c, d;
        k = __get_cpuid(1, &a, &b, &c, &d) && (c >> 19 & 1) && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
            (b >> 29 & 1);
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k;
}
#endif

/* Compresses the n whole blocks at p into h's state. */
static void compress_blocks(ts_sha256 *h, const unsigned char *p, size_t n) {
#ifdef TS_SHA_X86
    if (have_shani()) {
        compress_shani(h->state, p, n);
        return;
    }
#endif
    for (; n > 0; n--, p += 64) compress(h, p);
}

void ts_sha256_init(ts_sha256 *h) {
    static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->state, init, sizeof init);
    h->bytes = 0;
    h->used = 0;
}

void ts_sha256_update(ts_sha256 *h, const void *data, size_t n) {
    const unsigned char *p = data;
    h->bytes += n;
    if (h->used > 0) {
        size_t take = 64 - h->used;
        if (take > n) take = n;
        memcpy(h->block + h->used, p, take);
        h->used += take;
        p += take;
        n -= take;
        if (h->used < 64) return;
        compress_blocks(h, h->block, 1);
        h->used = 0;
    }
    /* whole blocks straight from the input */
    if (n >= 64) {
        compress_blocks(h, p, n / 64);
        p += n / 64 * 64;
        n %= 64;
    }
    memcpy(h->block, p, n);
    h->used = n;
}

void ts_sha256_final_hex(ts_sha256 *h, char hex[65]) {
    uint64_t bits = h->bytes * 8;
    unsigned char pad = 0x80, zero = 0, len[8];
    ts_sha256_update(h, &pad, 1);
    while (h->used != 56) ts_sha256_update(h, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    ts_sha256_update(h, len, 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", h->state[i]);
}

void ts_sha256_hex(const void *data, size_t n, char hex[65]) {
    ts_sha256 h;
    ts_sha256_init(&h);
    ts_sha256_update(&h, data, n);
    ts_sha256_final_hex(&h, hex);
}

int ts_sha256_update_file(ts_sha256 *h, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) ts_sha256_update(h, chunk, got);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed) {
        errno = saved ? saved : EIO;
        return -1;
    }
    return 0;
}

int ts_sha256_file(const char *path, char hex[65]) {
    ts_sha256 h;
    ts_sha256_init(&h);
    if (ts_sha256_update_file(&h, path)) return -1;
    ts_sha256_final_hex(&h, hex);
    return 0;
}
