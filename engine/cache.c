/* cache.c -- reading inputs once per process: config files read, hashed
 * and parsed once (by identity), taxonomies built once (by name). */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* A taxonomy built once for the name it was asked for. */
typedef struct cached_taxonomy {
    char *path;
    ts_taxonomy *t;
} cached_taxonomy;

struct ts_load_cache {
    pthread_mutex_t mu;
    int keep_files;
    int n_files, cap_files;
    ts_cached_file **files;
    int n_tax, cap_tax;
    cached_taxonomy *tax;
};

int ts_load_cache_new(int keep_files, ts_load_cache **out, ts_error *err) {
    *out = NULL;
    ts_load_cache *c = calloc(1, sizeof *c);
    if (!c) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->keep_files = keep_files;
    *out = c;
    return TS_OK;
}

/* Frees one cached file. */
static void file_free(ts_cached_file *f) {
    if (!f) return;
    config_destroy(&f->cfg);
    free(f->real);
    free(f->bytes);
    free(f);
}

void ts_load_cache_free(ts_load_cache *c) {
    if (!c) return;
    for (int i = 0; i < c->n_files; i++) file_free(c->files[i]);
    free(c->files);
    for (int i = 0; i < c->n_tax; i++) {
        free(c->tax[i].path);
        ts_taxonomy_free(c->tax[i].t);
    }
    free(c->tax);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int ts_load_cache_keeps_files(const ts_load_cache *c) {
    return c->keep_files;
}

/* Grows *array (of *cap elements of size) to hold n + 1. Returns 0 or -1. */
static int grow(void **array, int *cap, int n, size_t size) {
    if (n < *cap) return 0;
    int cap2 = *cap ? 2 * *cap : 8;
    void *p = realloc(*array, (size_t)cap2 * size);
    if (!p) return -1;
    *array = p;
    *cap = cap2;
    return 0;
}

/* Reads path into a new entry. Returns TS_OK or ts_cfg_read_file's error. */
static int file_read(const char *path, ts_cached_file **out, ts_error *err) {
    *out = NULL;
    ts_cached_file *f = calloc(1, sizeof *f);
    if (!f) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    config_init(&f->cfg);
    int rc = ts_cfg_read_file(&f->cfg, path, NULL, &f->bytes, &f->n_bytes, err);
    /* ENOMEM is out of memory, not a path that does not resolve */
    if (rc == TS_OK && !(f->real = realpath(path, NULL))) rc = ts_fail_read(err, path, "cannot resolve the path", errno);
    if (rc != TS_OK) {
        file_free(f);
        return rc;
    }
    /* the file's own hash, and the state before it was final: a chain whose
       root is this file starts from it */
    ts_sha256_init(&f->own);
    ts_sha256_update(&f->own, f->bytes, f->n_bytes);
    ts_sha256 fin = f->own;
    ts_sha256_final_hex(&fin, f->sha256);
    *out = f;
    return TS_OK;
}

/* ts_load_cache_file with the lock held. */
static int file_get(ts_load_cache *c, const char *path, ts_cached_file **out, ts_error *err) {
    *out = NULL;
    char *real = realpath(path, NULL);
    for (int i = 0; real && i < c->n_files; i++)
        if (strcmp(c->files[i]->real, real) == 0) {
            *out = c->files[i];
            break;
        }
    free(real);
    if (*out) return TS_OK;
    ts_cached_file *f;
    int rc = file_read(path, &f, err);
    if (rc == TS_OK && grow((void **)&c->files, &c->cap_files, c->n_files, sizeof *c->files)) {
        file_free(f);
        rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    if (rc == TS_OK) *out = c->files[c->n_files++] = f;
    return rc;
}

int ts_load_cache_file(ts_load_cache *c, const char *path, ts_cached_file **out, ts_error *err) {
    /* read under the lock: a file wanted by two threads is read once */
    pthread_mutex_lock(&c->mu);
    int rc = file_get(c, path, out, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void ts_load_cache_chain_hash(ts_load_cache *c, ts_cached_file *const *chain, int n, char hex[65]) {
    pthread_mutex_lock(&c->mu);
    /* the root's state is its own; each file after continues its parent's */
    for (int f = n - 1; f >= 0; f--) {
        ts_cached_file *x = chain[f];
        if (x->chain_set) continue;
        if (f == n - 1) {
            x->chain = x->own;
        } else {
            x->chain = chain[f + 1]->chain;
            ts_sha256_update(&x->chain, x->bytes, x->n_bytes);
        }
        x->chain_set = 1;
    }
    ts_sha256 h = chain[0]->chain;
    pthread_mutex_unlock(&c->mu);
    ts_sha256_final_hex(&h, hex);
}

int ts_load_cache_taxonomy(ts_load_cache *c, const char *path, ts_taxonomy **out, ts_error *err) {
    *out = NULL;
    /* built under the lock: the other threads wait for it, and it is built once */
    pthread_mutex_lock(&c->mu);
    int rc = TS_OK;
    for (int i = 0; i < c->n_tax; i++)
        if (strcmp(c->tax[i].path, path) == 0) {
            *out = c->tax[i].t;
            break;
        }
    if (!*out) {
        ts_taxonomy *t = NULL;
        ts_cached_file *f;
        if (c->keep_files) {
            rc = file_get(c, path, &f, err);
            if (rc == TS_OK) rc = ts_taxonomy_from_config(path, &f->cfg, f->sha256, &t, err);
        } else {
            rc = ts_taxonomy_load(path, &t, err);
        }
        char *p = rc == TS_OK ? strdup(path) : NULL;
        if (rc == TS_OK && (!p || grow((void **)&c->tax, &c->cap_tax, c->n_tax, sizeof *c->tax))) {
            free(p);
            ts_taxonomy_free(t);
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
        } else if (rc == TS_OK) {
            c->tax[c->n_tax++] = (cached_taxonomy){p, t};
            *out = t;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}
