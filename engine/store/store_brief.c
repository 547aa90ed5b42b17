/* store_brief.c -- reads for the briefing report: how an uncertainty
 * analysis relates to a run. */
#include "store_brief.h"

#include <stdio.h>
#include <string.h>

#include "store_internal.h"

int ts_store_ua_match(ts_store *st, long long ua_id, long long run_id, ts_ua_match *m, ts_error *err) {
    memset(m, 0, sizeof *m);
    int has = ts_store_has_table(st, "ua_runs", err);
    if (has < 0) return TS_ESYSTEM;
    if (!has) return ts_fail(err, TS_EINPUT, st->path, 0, "no uncertainty analyses stored");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT a.values_sha256 = r.values_sha256, a.taxonomy_sha256 = r.taxonomy_sha256,"
                           " a.created_at FROM ua_runs a, runs r WHERE a.id = ?1 AND r.id = ?2",
                           -1, &q, NULL) != SQLITE_OK)
        return ts_store_fail(st, err, "cannot read uncertainty analysis");
    sqlite3_bind_int64(q, 1, ua_id);
    sqlite3_bind_int64(q, 2, run_id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        m->same_values = sqlite3_column_int(q, 0);
        m->same_taxonomy = sqlite3_column_int(q, 1);
        const unsigned char *t = sqlite3_column_text(q, 2);
        snprintf(m->created_at, sizeof m->created_at, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(q);
    if (rc == SQLITE_DONE)
        return ts_fail(err, TS_EINPUT, st->path, 0, "no uncertainty run %lld or no run %lld", ua_id, run_id);
    return rc == SQLITE_ROW ? TS_OK : ts_store_fail(st, err, "cannot read uncertainty analysis");
}
