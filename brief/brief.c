/* brief.c -- the briefing report's entry point: load what it shows, write
 * the page, free everything. */
#include "brief_internal.h"

#include <string.h>

int ts_brief_write(const ts_brief_options *opt, ts_buf *out, ts_buf *warnings, ts_error *err) {
    ts_brief b;
    memset(&b, 0, sizeof b);
    b.opt = opt;
    b.warnings = warnings;
    if (!(b.arena = ts_arena_new())) return ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    int rc = ts_brief_load(&b, err);
    if (rc == TS_OK) rc = ts_brief_html(&b, out, err);
    ts_brief_unload(&b);
    ts_arena_free(b.arena);
    return rc;
}
