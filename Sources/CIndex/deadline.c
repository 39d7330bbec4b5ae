// deadline.c: a per-connection time limit through SQLite's progress handler. See cindex.h.
#include "cindex.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>

struct cindex_deadline {
    int64_t at_ns;  // CLOCK_MONOTONIC
    int expired;
};

int64_t cindex_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_progress(void *context) {
    cindex_deadline *d = context;
    if (!d->expired && cindex_monotonic_ns() >= d->at_ns) d->expired = 1;
    return d->expired;  // non-zero: SQLite stops the statement with SQLITE_INTERRUPT
}

cindex_deadline *cindex_deadline_begin(void *db, int64_t budget_ns) {
    cindex_deadline *d = malloc(sizeof *d);
    if (d == NULL) return NULL;
    int64_t now = cindex_monotonic_ns();
    d->at_ns = budget_ns > INT64_MAX - now ? INT64_MAX : now + budget_ns;
    d->expired = 0;
    sqlite3_progress_handler((sqlite3 *)db, CINDEX_DEADLINE_STEPS, on_progress, d);
    return d;
}

int cindex_deadline_expired(cindex_deadline *d) {
    if (d == NULL) return 0;
    if (!d->expired && cindex_monotonic_ns() >= d->at_ns) d->expired = 1;
    return d->expired;
}

void cindex_deadline_end(void *db, cindex_deadline *d) {
    sqlite3_progress_handler((sqlite3 *)db, 0, NULL, NULL);
    free(d);
}
