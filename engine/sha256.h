/* sha256.h -- SHA-256 (FIPS 180-4) for the provenance hashes of runs. */
#ifndef TS_SHA256_H
#define TS_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ts_sha256 {
    uint32_t state[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t used;
} ts_sha256;

void ts_sha256_init(ts_sha256 *h);
void ts_sha256_update(ts_sha256 *h, const void *data, size_t n);
/* Writes the digest as 64 lowercase hex digits plus NUL into hex[65]. */
void ts_sha256_final_hex(ts_sha256 *h, char hex[65]);
/* One-shot: hex digest of n bytes at data. */
void ts_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
