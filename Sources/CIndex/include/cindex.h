// cindex.h: Jiansuo's SQLite extensions: the FTS5 ranking function and the compressed storage
// of document text. The header includes no SQLite or zlib header, so that no such type reaches
// Swift through this module (GRDB brings its own SQLite module).
#ifndef CINDEX_H
#define CINDEX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif  // CINDEX_H

/// Phrase roles in the layout string passed as the first argument of `jiansuo_rank`.
/// One entry per FTS5 phrase, in the order the phrases appear in the MATCH expression,
/// separated by spaces:
///   `T<slot>`  a term: its phrase of characters (or a prefix), in top-level conjunct <slot>;
///   `B`        the word boost of the term just before it: the same text as dictionary words,
///              a phrase whose matches are a subset of the term's;
///   `X`        an excluded phrase (NOT), ignored by ranking.
/// Example: `知识产权 -广告` compiles to `("知 识 产 权" OR "\x01知识" + "识" + "\x01产权" + "权") NOT "广 告"`
/// with the layout `T0 B X`.

/// The score added to documents whose title alone matches the query (every top-level conjunct
/// has a term with an instance in the title column). Relevance scores stay far below it.
#define CRANK_TITLE_GROUP 1000000.0

/// Registers the FTS5 auxiliary function `jiansuo_rank(fts, layout)` on `db` (a `sqlite3 *`).
///
/// `jiansuo_rank` returns, for the current row, CRANK_TITLE_GROUP when the title alone matches
/// plus a relevance score, higher is better:
///   sum over terms t of idf(t) * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgD))   (BM25)
///   + for each pair of consecutive terms at most 12 tokens apart in one column, a proximity
///     bonus of up to half their mean idf,
/// where f = weighted instances of t (title 10, body 1) plus those of its word boost (so an
/// occurrence as a real word counts twice; at most 256 occurrences of a phrase are counted per
/// row, where BM25 has long saturated), D = tokens in the row, k1 = 1.2, b = 0.75.
/// idf(t) = ln((N - n + 0.5) / (n + 0.5)) (at least 1e-6) from the term's document count n,
/// which costs one pass over the term's postings per query; with one term it is a constant and
/// that pass is skipped.
/// It reads each phrase's positions in the row (FTS5 loaded them to match the row) with
/// xPhraseFirst/xPhraseNext, plus one %_docsize lookup for the row's size. A malformed layout
/// ranks every phrase as a term in one conjunct.
/// Returns 0 (SQLITE_OK) or an SQLite error code. See https://sqlite.org/fts5.html#custom_auxiliary_functions
int crank_register(void *db);

// MARK: Stored text

/// Texts shorter than this many bytes are stored as they are.
#define CINDEX_COMPRESS_MIN 64
/// zlib level used for stored text (1 fastest … 9 smallest).
#define CINDEX_COMPRESS_LEVEL 6
/// The longest text jiansuo_text() will inflate (larger lengths mean a damaged value).
#define CINDEX_MAX_TEXT_BYTES (256 << 20)

/// Encodes `len` bytes of UTF-8 for storage: one tag byte, then either the text (short texts)
/// or its 32-bit little-endian length and a zlib stream (compress2). Returns a malloc'd buffer
/// of *out_len bytes (free with cindex_free), or NULL when memory or zlib fails.
unsigned char *cindex_store_text(const char *text, int32_t len, int32_t *out_len);
void cindex_free(void *p);

/// Registers the SQL function `jiansuo_text(stored [, max_bytes])` on `db` (a `sqlite3 *`): the
/// text of a value made by cindex_store_text (NULL for NULL, TEXT values unchanged), or its
/// first `max_bytes` bytes cut back to whole UTF-8 characters, inflating only that much. A
/// damaged value raises an error with SQLITE_CORRUPT. Returns an SQLite result code.
int cindex_register_text_function(void *db);

// MARK: Deadlines

/// A time limit for the statements of one connection, enforced by SQLite's progress handler
/// (https://sqlite.org/c3ref/progress_handler.html): once the monotonic clock passes the
/// deadline, the statement running on that connection fails with SQLITE_INTERRUPT. Other
/// connections (the writer, other searches) are never affected, unlike sqlite3_interrupt on a
/// pool. The clock is read every CINDEX_DEADLINE_STEPS virtual machine instructions.
typedef struct cindex_deadline cindex_deadline;
#define CINDEX_DEADLINE_STEPS 1000

/// Installs a deadline `budget_ns` nanoseconds from now on `db` (a `sqlite3 *`). Returns a
/// handle to pass to cindex_deadline_end, or NULL when out of memory (no deadline installed).
cindex_deadline *cindex_deadline_begin(void *db, int64_t budget_ns);
/// True (1) when the deadline has passed (the progress handler stopped a statement, or the
/// time is up now), else 0. Cheap: callable in a loop.
int cindex_deadline_expired(cindex_deadline *deadline);
/// Removes the deadline from `db` and frees it.
void cindex_deadline_end(void *db, cindex_deadline *deadline);
/// The monotonic clock, in nanoseconds.
int64_t cindex_monotonic_ns(void);

#ifdef __cplusplus
}
#endif

#endif  // CINDEX_H
