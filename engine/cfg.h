/* cfg.h -- typed, line-aware access to libconfig settings: every getter
 * reports a bad type or value as "file:line: message" in a ts_error. */
#ifndef TS_CFG_H
#define TS_CFG_H

#include <libconfig.h>

#include "error.h"

/* Out of memory: libconfig 1.5 does not check its allocations, and no test
 * of its return values or its tree afterwards can tell a dropped setting
 * from an absent one. So libconfig is never handed a NULL: it runs on the
 * allocator in cfgalloc.h, and a parse either gets all its memory or is
 * unwound, its partial tree freed, and reported as out of memory. The only
 * libconfig calls that allocate are config_init (replaced by cfgalloc.c's
 * checked one) and config_read_string (called only here, under
 * ts_cfgalloc_run); the getters used elsewhere never allocate. The state
 * this needs is one thread-local pointer, live only during a parse. */

/* Reads path into cfg (already initialised). path must be a regular file
 * of at most TS_CONFIG_LIMIT bytes (see ts_input_limit); a leading UTF-8
 * byte order mark is skipped. Returns TS_OK, or TS_EINPUT with the file,
 * line and libconfig's message (or the open error), TS_ESYSTEM when out of
 * memory. An integer literal libconfig would store wrapped (one past 32
 * bits without the suffix L, or past 64 bits) is an error with its line. */
int ts_cfg_read(config_t *cfg, const char *path, ts_error *err);

/* As ts_cfg_read, reading the file once: stores the SHA-256 of the bytes
 * that were parsed in sha256_hex (when not NULL) and, when bytes is not
 * NULL, hands over those bytes (malloc'd, *n_bytes long; the caller frees
 * them), so a hash never describes other bytes than the ones parsed. */
int ts_cfg_read_file(config_t *cfg, const char *path, char sha256_hex[65], char **bytes, size_t *n_bytes,
                     ts_error *err);

/* As ts_cfg_read_file and ts_cfg_read, reading the text from read_path
 * while naming the file path in messages (the CLI reads standard input
 * from a copy it made, named "<stdin>"). */
int ts_cfg_read_file_as(config_t *cfg, const char *path, const char *read_path, char sha256_hex[65], char **bytes,
                        size_t *n_bytes, ts_error *err);
int ts_cfg_read_as(config_t *cfg, const char *path, const char *read_path, ts_error *err);

/* Returns the line of setting s, 0 when unknown. */
int ts_cfg_line(const config_setting_t *s);

/* Fails with "unknown key" (and a "did you mean") for the first member of
 * group whose name is not in the NULL-terminated list allowed. */
int ts_cfg_check_keys(const config_setting_t *group, const char *const *allowed,
                      const char *file, ts_error *err);

/* Stores the number in setting s (int or float) in *out. Fails when s is
 * not a number, the number is not finite or not within TS_NUMBER_MIN and
 * TS_NUMBER_MAX in size (or 0). what names the setting in the message. */
int ts_cfg_number(const config_setting_t *s, const char *file, const char *what,
                  double *out, ts_error *err);

/* Stores the string of s in *out (owned by the config). Fails when s is not
 * a string or is not valid UTF-8. */
int ts_cfg_string(const config_setting_t *s, const char *file, const char *what,
                  const char **out, ts_error *err);

/* Looks up member name of group: when absent stores NULL / leaves *out
 * untouched and returns TS_OK; otherwise as ts_cfg_string / ts_cfg_number. */
int ts_cfg_opt_string(const config_setting_t *group, const char *name,
                      const char *file, const char **out, ts_error *err);
int ts_cfg_opt_number(const config_setting_t *group, const char *name,
                      const char *file, double *out, int *present, ts_error *err);

/* Looks up the boolean member name of group: when absent leaves *out
 * untouched, sets *present to 0 and returns TS_OK; else stores it and sets
 * *present. Fails, naming the line, when it is not true or false. */
int ts_cfg_opt_bool(const config_setting_t *group, const char *name, const char *file, int *out, int *present,
                    ts_error *err);

/* Stores an integer setting in *out; fails for non-integers. */
int ts_cfg_int(const config_setting_t *s, const char *file, const char *what,
               int *out, ts_error *err);

/* Fails unless s is a group; kind names what was expected. */
int ts_cfg_expect_group(const config_setting_t *s, const char *file,
                        const char *what, ts_error *err);

/* Fails unless s is a list or array. */
int ts_cfg_expect_list(const config_setting_t *s, const char *file,
                       const char *what, ts_error *err);

#endif
