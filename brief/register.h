/* register.h -- the source register (scenarios/SOURCES.md): the entries
 * that `source` texts cite as [KEY], read for the briefing report. */
#ifndef TS_REGISTER_H
#define TS_REGISTER_H

#include <stddef.h>

#include "error.h"

typedef struct ts_register ts_register;

/* Reads the register at path: one entry per "### KEY" heading, its title
 * being the text of the first "- " line under the heading (the publisher
 * and title, as the register writes them). Returns TS_OK and the register
 * in *out; TS_EINPUT when the file cannot be read (*out NULL, err says
 * why); TS_ESYSTEM when out of memory. */
int ts_register_load(const char *path, ts_register **out, ts_error *err);

/* Returns the title of entry key (n bytes), "" for an entry without one,
 * or NULL when the register has no such key. */
const char *ts_register_title(const ts_register *reg, const char *key, size_t n);

/* Returns the number of entries. */
int ts_register_count(const ts_register *reg);

/* Frees the register. NULL is allowed. */
void ts_register_free(ts_register *reg);

/* Finds the next citation "[KEY]" in text from *pos on: a key is a letter
 * or digit, then letters, digits, '-', '_' or '.', in square brackets.
 * Returns 1 with the key's start in *key and its length in *n (and *pos
 * after it), or 0 when there is none. */
int ts_register_next_key(const char *text, size_t *pos, const char **key, size_t *n);

#endif
