/* fuzz_common.c -- the private directory of a fuzz target and the files in
 * it. Aborting is right here: a target that cannot write its inputs finds
 * nothing. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char dir[256];

static void remove_dir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

const char *fz_dir(void) {
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/threatscore-fuzz-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *fz_path(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fz_dir(), name);
    return path;
}

const char *fz_write(const char *name, const uint8_t *bytes, size_t n) {
    const char *p = fz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0) {
        perror(p);
        abort();
    }
    return p;
}

void fz_copy_source(const char *src, const char *dst) {
    char from[1024];
    snprintf(from, sizeof from, "%s/%s", TS_SOURCE_DIR, src);
    size_t n;
    char *text = ts_read_file(from, &n);
    if (!text) {
        perror(from);
        abort();
    }
    char sub[512];
    snprintf(sub, sizeof sub, "%s", dst);
    char *slash = strrchr(sub, '/');
    if (slash) {
        *slash = '\0';
        mkdir(fz_path(sub), 0700);
    }
    fz_write(dst, (const uint8_t *)text, n);
    free(text);
}
