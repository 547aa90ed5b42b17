/* sha256.h -- SHA-256 (FIPS 180-4) for the provenance hashes of runs:
 * of bytes in memory and of whole files. */
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

/* Feeds every byte of the file at path into h, reading it in chunks.
 * Returns 0, or -1 with errno set when the file cannot be opened or read
 * (h then holds part of the file: start again). */
int ts_sha256_update_file(ts_sha256 *h, const char *path);

/* Writes the hex digest of the whole file at path into hex[65]: the hash
 * of a run's input file. Returns 0, or -1 with errno set when the file
 * cannot be read (hex is then left as it was). */
int ts_sha256_file(const char *path, char hex[65]);

#endif
