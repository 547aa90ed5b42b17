/* cache.h -- reading inputs once per process: config files read, hashed
 * and parsed once, taxonomies built once, shared by the scenarios loaded. */
#ifndef TS_CACHE_H
#define TS_CACHE_H

#include <libconfig.h>
#include <stddef.h>

#include "error.h"
#include "sha256.h"
#include "taxonomy.h"

/* A cache of loaded inputs, safe to share between threads. Scenarios and
 * taxonomies loaded through it borrow from it: free it after them. */
typedef struct ts_load_cache ts_load_cache;

/* A config file as read once: its bytes, their SHA-256 and the parsed
 * settings (valid until the cache is freed; read-only). */
typedef struct ts_cached_file {
    char *real;               /* realpath: the file's identity */
    char *bytes;
    size_t n_bytes;
    char sha256[65];
    ts_sha256 own;            /* the hash state after the bytes, before it was final */
    config_t cfg;
    /* the state of the hash of the extends chain from its root to this
       file, once a scenario loader has computed it (chain_set) */
    ts_sha256 chain;
    int chain_set;
} ts_cached_file;

/* Makes an empty cache. keep_files: also keep every config file read
 * (validate, which reads the files a chain shares many times); else only
 * taxonomies are kept (batch, whose scenario files are read once anyway).
 * Returns TS_OK with the cache in *out, or TS_ESYSTEM with *out NULL. */
int ts_load_cache_new(int keep_files, ts_load_cache **out, ts_error *err);

/* Frees the cache and what it holds. NULL is allowed. */
void ts_load_cache_free(ts_load_cache *c);

/* Returns 1 when c keeps config files (not only taxonomies), else 0. */
int ts_load_cache_keeps_files(const ts_load_cache *c);

/* Stores in *out the file at path as read, hashed and parsed by
 * ts_cfg_read_file, reading it on first use (the same file under another
 * name is the same entry). Returns TS_OK, or ts_cfg_read_file's error
 * (which is not kept: the next call reads again). */
int ts_load_cache_file(ts_load_cache *c, const char *path, ts_cached_file **out, ts_error *err);

/* Writes the SHA-256 of the bytes of the extends chain chain[0..n) (the
 * scenario first, its root last), hashed root first, into hex[65]. Each
 * file's share is hashed once per cache: the state after a file is kept
 * and a file extending it continues from there. Cannot fail. */
void ts_load_cache_chain_hash(ts_load_cache *c, ts_cached_file *const *chain, int n, char hex[65]);

/* Stores in *out the taxonomy at path, loaded as ts_taxonomy_load does on
 * first use of that path (the name matters: it is the file in messages
 * and provenance), from the cached file when c keeps files. The taxonomy
 * belongs to the cache. Returns TS_OK or ts_taxonomy_load's error. */
int ts_load_cache_taxonomy(ts_load_cache *c, const char *path, ts_taxonomy **out, ts_error *err);

#endif
