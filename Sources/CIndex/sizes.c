// sizes.c: a cache of each document's size in tokens, for jiansuo_rank. See cindex.h.
//
// BM25 needs the size of every matching row. FTS5's xColumnSize reads it from the %_docsize
// table with one statement per row (a B-tree search, a step and a reset), which took about two
// thirds of a search that ranks 33,000 matches. The cache keeps the sizes in memory, tagged
// with the generation of the index they were read in; any commit makes every entry stale.
#include "cindex.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <sqlite3.h>

enum { PAGE_BITS = 16, PAGE_ENTRIES = 1 << PAGE_BITS, MAX_PAGES = 1 << 15 };  // rowids below 2^31

struct cindex_sizes {
    _Atomic uint64_t generation;                   // odd while a write transaction is open
    _Atomic(_Atomic uint64_t *) pages[MAX_PAGES];  // each PAGE_ENTRIES entries: generation << 32 | size
    pthread_mutex_t grow;                          // allocating a page
    pthread_mutex_t writing;                       // guards writers
    int writers;                                   // writes begun and not ended (nested or waiting on SQLite's lock)
};

cindex_sizes *cindex_sizes_new(void) {
    cindex_sizes *s = calloc(1, sizeof(cindex_sizes));
    if (s == NULL) return NULL;
    atomic_init(&s->generation, 2);  // entries start at 0: generation 0 never matches
    pthread_mutex_init(&s->grow, NULL);
    pthread_mutex_init(&s->writing, NULL);
    return s;
}

void cindex_sizes_free(cindex_sizes *s) {
    if (s == NULL) return;
    for (int p = 0; p < MAX_PAGES; p++) free((void *)atomic_load(&s->pages[p]));
    pthread_mutex_destroy(&s->grow);
    pthread_mutex_destroy(&s->writing);
    free(s);
}

// Two writes may overlap: a write nested in another, or two threads of which one waits for
// SQLite's write lock (the indexer and an `optimize` request). Counting them keeps the
// generation odd from the first begin to the last end; bumping it per call would make it even
// while the other write is still open.
void cindex_sizes_write_begin(cindex_sizes *s) {
    if (s == NULL) return;
    pthread_mutex_lock(&s->writing);
    if (s->writers++ == 0) atomic_fetch_add(&s->generation, 1);
    pthread_mutex_unlock(&s->writing);
}

void cindex_sizes_write_end(cindex_sizes *s) {
    if (s == NULL) return;
    pthread_mutex_lock(&s->writing);
    if (--s->writers == 0) atomic_fetch_add(&s->generation, 1);
    pthread_mutex_unlock(&s->writing);
}

int64_t cindex_sizes_generation(cindex_sizes *s) {
    return s != NULL ? (int64_t)atomic_load(&s->generation) : -1;
}

static _Atomic uint64_t *entry(cindex_sizes *s, int64_t rowid, int create) {
    if (rowid < 0 || rowid >= (int64_t)MAX_PAGES * PAGE_ENTRIES) return NULL;
    int p = (int)(rowid >> PAGE_BITS);
    _Atomic uint64_t *page = atomic_load_explicit(&s->pages[p], memory_order_acquire);
    if (page == NULL && create) {
        pthread_mutex_lock(&s->grow);
        page = atomic_load(&s->pages[p]);
        if (page == NULL) {
            page = calloc(PAGE_ENTRIES, sizeof(uint64_t));
            if (page != NULL) atomic_store_explicit(&s->pages[p], page, memory_order_release);
        }
        pthread_mutex_unlock(&s->grow);
    }
    return page != NULL ? &page[rowid & (PAGE_ENTRIES - 1)] : NULL;
}

int cindex_sizes_get(cindex_sizes *s, int64_t generation, int64_t rowid, int *size) {
    if (s == NULL || generation < 2 || (generation & 1)) return 0;
    _Atomic uint64_t *e = entry(s, rowid, 0);
    if (e == NULL) return 0;
    uint64_t v = atomic_load_explicit(e, memory_order_relaxed);
    if ((v >> 32) != ((uint64_t)generation & 0xFFFFFFFFu)) return 0;
    *size = (int)(v & 0xFFFFFFFFu);
    return 1;
}

void cindex_sizes_put(cindex_sizes *s, int64_t generation, int64_t rowid, int size) {
    if (s == NULL || generation < 2 || (generation & 1) || size < 0) return;
    _Atomic uint64_t *e = entry(s, rowid, 1);
    if (e != NULL) atomic_store_explicit(e, ((uint64_t)generation << 32) | (uint32_t)size, memory_order_relaxed);
}

// One SQLite varint (https://sqlite.org/fileformat2.html#varint), as FTS5 writes them in
// %_docsize; returns the bytes read, 0 when the input ends first.
static int read_varint(const unsigned char *p, int n, uint64_t *v) {
    uint64_t x = 0;
    for (int i = 0; i < n && i < 9; i++) {
        if (i == 8) {
            *v = (x << 8) | p[i];
            return 9;
        }
        x = (x << 7) | (p[i] & 0x7F);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

int cindex_sizes_load(void *db, cindex_sizes *s, int64_t generation) {
    if (s == NULL || generation < 2 || (generation & 1)) return SQLITE_OK;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2((sqlite3 *)db, "SELECT id, sz FROM fts_docsize", -1, &stmt, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *blob = sqlite3_column_blob(stmt, 1);
        int n = sqlite3_column_bytes(stmt, 1), at = 0, ok = 1;
        uint64_t total = 0;
        while (ok && at < n) {
            uint64_t v = 0;
            int k = read_varint(blob + at, n - at, &v);
            if (k == 0) ok = 0;
            at += k;
            total += v;
        }
        if (ok && total <= 0x7FFFFFFF) cindex_sizes_put(s, generation, sqlite3_column_int64(stmt, 0), (int)total);
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_finalize(stmt);
    return rc;
}
