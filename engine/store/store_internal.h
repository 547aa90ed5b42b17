/* store_internal.h -- shared by the files of engine/store/ only: the one
 * place outside store.c that may reach the SQLite connection. */
#ifndef TS_STORE_INTERNAL_H
#define TS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* Returns the store's SQLite connection (owned by the store). Only code in
 * engine/store/ calls sqlite3_*. */
sqlite3 *ts_store_sqlite(ts_store *st);

#endif
