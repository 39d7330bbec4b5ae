// rank.c: the jiansuo_rank FTS5 auxiliary function. See cindex.h for what it computes.
#include "cindex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

enum { ROLE_TERM = 0, ROLE_BOOST = 1, ROLE_EXCLUDED = 2 };

static const double K1 = 1.2, B = 0.75;
static const double COLUMN_WEIGHT[2] = {1.0, 10.0};  // CINDEX_BODY_COLUMN, CINDEX_TITLE_COLUMN
static const int NEAR_DISTANCE = 12;
static const int MAX_POSITIONS = 512;  // per term and row, for the proximity bonus
static const int MAX_OCCURRENCES = 256;  // per phrase and row, counted for the term frequency
static const int PROXIMITY_TERMS = 8;  // the proximity bonus looks at the first terms only

// Per-query state, kept with xSetAuxdata.
typedef struct {
    int phrases, terms, slots;
    int *role;        // [phrases]
    int *term;        // [phrases]: term index, -1 when excluded
    int *phrase_of;   // [terms]: the term's own phrase
    int *slot;        // [terms]
    double *idf;      // [terms]
    double avg_size;
    // Per-row scratch.
    double *freq;     // [terms]
    int *in_title;    // [terms]
    int *slot_hit;    // [slots]
    int *npos;        // [terms]
    long long *pos;   // [min(terms, PROXIMITY_TERMS)][MAX_POSITIONS]: column << 32 | offset
} plan;

static void plan_free(void *p) {
    plan *q = p;
    if (q == NULL) return;
    free(q->role);
    free(q->term);
    free(q->phrase_of);
    free(q->slot);
    free(q->idf);
    free(q->freq);
    free(q->in_title);
    free(q->slot_hit);
    free(q->npos);
    free(q->pos);
    free(q);
}

// Parses `layout` into roles; returns 0 when it does not describe exactly `phrases` phrases.
static int parse_layout(plan *q, const char *layout) {
    if (layout == NULL) return 0;
    int k = 0, terms = 0, slots = 0;
    const char *s = layout;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        if (k >= q->phrases) return 0;
        if (*s == 'T') {
            s++;
            char *end;
            long slot = strtol(s, &end, 10);
            if (end == s || slot < 0 || slot > 100000) return 0;
            s = end;
            q->role[k] = ROLE_TERM;
            q->term[k] = terms;
            q->phrase_of[terms] = k;
            q->slot[terms] = (int)slot;
            if (slot + 1 > slots) slots = (int)slot + 1;
            terms++;
        } else if (*s == 'B') {
            s++;
            if (terms == 0) return 0;
            q->role[k] = ROLE_BOOST;
            q->term[k] = terms - 1;
        } else if (*s == 'X') {
            s++;
            q->role[k] = ROLE_EXCLUDED;
            q->term[k] = -1;
        } else {
            return 0;
        }
        if (*s && *s != ' ') return 0;
        k++;
    }
    if (k != q->phrases || terms == 0) return 0;
    q->terms = terms;
    q->slots = slots;
    return 1;
}

static int count_rows(const Fts5ExtensionApi *api, Fts5Context *fts, void *user) {
    (void)api;
    (void)fts;
    (*(sqlite3_int64 *)user)++;
    return SQLITE_OK;
}

// The document count of phrase `p` in `documents` ("n,n,…", one per phrase, -1 for unknown),
// or -1 when it is not given there.
static sqlite3_int64 given_documents(const char *documents, int p) {
    if (documents == NULL || *documents == 0) return -1;
    const char *s = documents;
    for (int k = 0; k < p; k++) {
        s = strchr(s, ',');
        if (s == NULL) return -1;
        s++;
    }
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    return end != s && (*end == ',' || *end == 0) && n >= 0 ? (sqlite3_int64)n : -1;
}

static plan *plan_make(const Fts5ExtensionApi *api, Fts5Context *fts, const char *layout, const char *documents, int *rc) {
    int phrases = api->xPhraseCount(fts);
    plan *q = calloc(1, sizeof(plan));
    if (q == NULL) goto oom;
    q->phrases = phrases;
    int n = phrases > 0 ? phrases : 1;
    q->role = calloc(n, sizeof(int));
    q->term = calloc(n, sizeof(int));
    q->phrase_of = calloc(n, sizeof(int));
    q->slot = calloc(n, sizeof(int));
    q->idf = calloc(n, sizeof(double));
    q->freq = calloc(n, sizeof(double));
    q->in_title = calloc(n, sizeof(int));
    q->slot_hit = calloc(n, sizeof(int));
    q->npos = calloc(n, sizeof(int));
    q->pos = calloc((size_t)(n < PROXIMITY_TERMS ? n : PROXIMITY_TERMS) * MAX_POSITIONS, sizeof(long long));
    if (!q->role || !q->term || !q->phrase_of || !q->slot || !q->idf || !q->freq || !q->in_title || !q->slot_hit ||
        !q->npos || !q->pos) goto oom;
    if (!parse_layout(q, layout)) {
        // Every phrase a term of its own, all required.
        for (int i = 0; i < phrases; i++) {
            q->role[i] = ROLE_TERM;
            q->term[i] = i;
            q->phrase_of[i] = i;
            q->slot[i] = i;
        }
        q->terms = phrases;
        q->slots = phrases;
    }
    sqlite3_int64 rows = 0, tokens = 0;
    *rc = api->xRowCount(fts, &rows);
    if (*rc == SQLITE_OK) *rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (*rc != SQLITE_OK) {
        plan_free(q);
        return NULL;
    }
    q->avg_size = rows > 0 ? (double)tokens / (double)rows : 1.0;
    if (q->avg_size <= 0) q->avg_size = 1.0;
    for (int t = 0; t < q->terms; t++) {
        q->idf[t] = 1.0;
        if (q->terms < 2) continue;  // one term: idf only scales every score alike
        // The rows that hold the phrase: given by the caller when it knows them exactly (a
        // single-token phrase counted in fts_vocab at this snapshot's generation), else counted
        // by running the phrase over every row (as FTS5's bm25() does).
        sqlite3_int64 hits = given_documents(documents, q->phrase_of[t]);
        if (hits < 0) {
            hits = 0;
            *rc = api->xQueryPhrase(fts, q->phrase_of[t], &hits, count_rows);
            if (*rc != SQLITE_OK) {
                plan_free(q);
                return NULL;
            }
        }
        double idf = log(((double)rows - (double)hits + 0.5) / ((double)hits + 0.5));
        q->idf[t] = idf > 1e-6 ? idf : 1e-6;
    }
    *rc = SQLITE_OK;
    return q;
oom:
    plan_free(q);
    *rc = SQLITE_NOMEM;
    return NULL;
}

static int cmp_pos(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

// The smallest distance in tokens between an instance of one term and one of the other in the
// same column, or -1 when there is none. Both arrays are sorted.
static long long min_distance(const long long *a, int na, const long long *b, int nb) {
    long long best = -1;
    int i = 0, j = 0;
    while (i < na && j < nb) {
        long long x = a[i], y = b[j];
        if ((x >> 32) == (y >> 32)) {
            long long d = x > y ? x - y : y - x;
            if (best < 0 || d < best) best = d;
        }
        if (x < y) i++; else j++;
    }
    return best;
}

static void rank_function(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                          sqlite3_value **argv) {
    int rc = SQLITE_OK;
    plan *q = api->xGetAuxdata(fts, 0);
    if (q == NULL) {
        const char *layout = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
        const char *documents = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
        q = plan_make(api, fts, layout, documents, &rc);
        if (q == NULL) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        rc = api->xSetAuxdata(fts, q, plan_free);
        if (rc != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
    }
    for (int t = 0; t < q->terms; t++) {
        q->freq[t] = 0;
        q->in_title[t] = 0;
        q->npos[t] = 0;
    }
    // Each phrase's positions in this row, in (column, offset) order, read lazily and at most
    // MAX_OCCURRENCES of them: BM25's term frequency saturates long before (256 occurrences
    // score within 0.5% of 512), and a word such as 的 occurs hundreds of times in a document.
    // (xInstCount would decode every position of every phrase first.)
    int sorted = 1;
    for (int p = 0; rc == SQLITE_OK && p < q->phrases; p++) {
        int t = q->term[p];
        if (t < 0) continue;
        Fts5PhraseIter it;
        int column = -1, offset = 0;
        rc = api->xPhraseFirst(fts, p, &it, &column, &offset);
        for (int seen = 0; rc == SQLITE_OK && column >= 0 && seen < MAX_OCCURRENCES;
             seen++, api->xPhraseNext(fts, &it, &column, &offset)) {
            q->freq[t] += COLUMN_WEIGHT[column == CINDEX_TITLE_COLUMN ? CINDEX_TITLE_COLUMN : CINDEX_BODY_COLUMN];
            if (q->role[p] != ROLE_TERM) continue;
            if (column == CINDEX_TITLE_COLUMN) q->in_title[t] = 1;
            if (t < PROXIMITY_TERMS && q->npos[t] < MAX_POSITIONS) {
                long long pos = ((long long)column << 32) | (unsigned)offset;
                long long *list = q->pos + (size_t)t * MAX_POSITIONS;
                if (q->npos[t] > 0 && list[q->npos[t] - 1] > pos) sorted = 0;
                list[q->npos[t]++] = pos;
            }
        }
        // Instances come body first (CINDEX_BODY_COLUMN): when the cap stopped the count inside
        // the body, whether the title has one is read from the columns alone (a scan of the
        // row's position list for its column marker, no positions decoded).
        if (rc == SQLITE_OK && column == CINDEX_BODY_COLUMN && q->role[p] == ROLE_TERM && !q->in_title[t]) {
            Fts5PhraseIter columns;
            int c = -1;
            rc = api->xPhraseFirstColumn(fts, p, &columns, &c);
            while (rc == SQLITE_OK && c >= 0 && c != CINDEX_TITLE_COLUMN) api->xPhraseNextColumn(fts, &columns, &c);
            if (c == CINDEX_TITLE_COLUMN) {
                q->in_title[t] = 1;
                q->freq[t] += COLUMN_WEIGHT[CINDEX_TITLE_COLUMN];
            }
        }
    }
    int size = 0;
    if (rc == SQLITE_OK) {
        // The row's size: from the cache when the caller's snapshot allows (see cindex_sizes).
        cindex_sizes *sizes = api->xUserData(fts);
        sqlite3_int64 generation = argc > 1 ? sqlite3_value_int64(argv[1]) : -1;
        sqlite3_int64 rowid = api->xRowid(fts);
        if (!cindex_sizes_get(sizes, generation, rowid, &size)) {
            rc = api->xColumnSize(fts, -1, &size);
            if (rc == SQLITE_OK) cindex_sizes_put(sizes, generation, rowid, size);
        }
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    double norm = K1 * (1 - B + B * (double)size / q->avg_size);
    double score = 0;
    for (int t = 0; t < q->terms; t++) {
        double f = q->freq[t];
        if (f > 0) score += q->idf[t] * f * (K1 + 1) / (f + norm);
        if (!sorted && t < PROXIMITY_TERMS) qsort(q->pos + (size_t)t * MAX_POSITIONS, q->npos[t], sizeof(long long), cmp_pos);
    }
    for (int t = 1; t < q->terms && t < PROXIMITY_TERMS; t++) {
        long long d = min_distance(q->pos + (size_t)(t - 1) * MAX_POSITIONS, q->npos[t - 1],
                                   q->pos + (size_t)t * MAX_POSITIONS, q->npos[t]);
        if (d >= 0 && d <= NEAR_DISTANCE) {
            score += 0.5 * (q->idf[t - 1] + q->idf[t]) / 2 * (double)(NEAR_DISTANCE + 1 - d) / (NEAR_DISTANCE + 1);
        }
    }
    for (int s = 0; s < q->slots; s++) q->slot_hit[s] = 0;
    for (int t = 0; t < q->terms; t++) {
        if (q->in_title[t]) q->slot_hit[q->slot[t]] = 1;
    }
    int title = q->slots > 0;
    for (int s = 0; s < q->slots; s++) title = title && q->slot_hit[s];
    sqlite3_result_double(ctx, (title ? CRANK_TITLE_GROUP : 0) + score);
}

// jiansuo_first(fts, layout): see cindex.h.
static void first_function(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                           sqlite3_value **argv) {
    const char *layout = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
    int phrases = api->xPhraseCount(fts);
    long long best = -1;
    const char *s = layout != NULL ? layout : "";
    for (int p = 0; p < phrases; p++) {
        // The role of phrase p: the p-th space-separated entry (every phrase a term without one).
        while (*s == ' ') s++;
        char role = *s ? *s : 'T';
        while (*s && *s != ' ') s++;
        if (role != 'T' && role != 'B') continue;  // a term, or its exact form or word boost
        Fts5PhraseIter it;
        int column = -1, offset = 0;
        int rc = api->xPhraseFirst(fts, p, &it, &column, &offset);
        // Instances come in (column, offset) order: the body (CINDEX_BODY_COLUMN) first.
        if (rc != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        if (column == CINDEX_BODY_COLUMN && (best < 0 || offset < best)) best = offset;
    }
    sqlite3_result_int64(ctx, best);
}

static fts5_api *fts5_api_of(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return api;
}

int crank_register(void *db, cindex_sizes *sizes) {
    fts5_api *api = fts5_api_of((sqlite3 *)db);
    if (api == NULL || api->iVersion < 2) return SQLITE_ERROR;
    return api->xCreateFunction(api, "jiansuo_rank", sizes, rank_function, NULL);
}

int cfirst_register(void *db) {
    fts5_api *api = fts5_api_of((sqlite3 *)db);
    if (api == NULL || api->iVersion < 2) return SQLITE_ERROR;
    return api->xCreateFunction(api, "jiansuo_first", NULL, first_function, NULL);
}
