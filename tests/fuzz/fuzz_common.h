/* fuzz_common.h -- what the libFuzzer targets share: a private directory
 * for the files a loader reads, and writing the fuzzed bytes into it. */
#ifndef TS_FUZZ_COMMON_H
#define TS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Returns the target's private directory (made once with mkdtemp, removed
 * at exit). Aborts when it cannot be made: a fuzz run without it is
 * meaningless. */
const char *fz_dir(void);

/* Returns dir/name in a static buffer (valid until the next call). */
const char *fz_path(const char *name);

/* Writes n bytes to dir/name (creating subdirectories is the caller's
 * business). Returns the path, or aborts. */
const char *fz_write(const char *name, const uint8_t *bytes, size_t n);

/* Copies the project's file src (relative to the source tree, e.g.
 * "taxonomy/central_asia.cfg") to dir/dst. Aborts when it cannot. */
void fz_copy_source(const char *src, const char *dst);

#endif
