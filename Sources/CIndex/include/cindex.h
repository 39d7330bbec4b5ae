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
///   `T<slot>`  a term: its phrase (of bigrams for Han text, or a prefix), in top-level conjunct <slot>;
///   `B`        another form of the term just before it: its exact form (a term ending in digits
///              is also a prefix) or its word boost (the same text as dictionary words, whose
///              matches are a subset of the term's); their instances count for the term;
///   `X`        an excluded phrase (NOT), ignored by ranking.
/// Example: `知识产权 -广告` compiles to
/// `("\uE002知识产权" OR "\uE000知识" + "\uE002知识" + "\uE000产权") NOT "\uE002广告"`
/// with the layout `T0 B X`.

/// The FTS5 columns of `fts`: the body first, so that a token found only in the body (most
/// postings) needs no column marker in its position list (FTS5 writes 0x01 and the column
/// number before the positions of any column but the first: two bytes per document and token).
#define CINDEX_BODY_COLUMN 0
#define CINDEX_TITLE_COLUMN 1

/// The score added to documents whose title alone matches the query (every top-level conjunct
/// has a term with an instance in the title column). Relevance scores stay far below it.
#define CRANK_TITLE_GROUP 1000000.0

/// Document sizes in tokens (rowid → size), shared by every connection to one index database
/// in this process, for jiansuo_rank: reading a size from %_docsize costs a statement per
/// matching row. Entries carry the generation they were read in; writers make the generation
/// odd while a write transaction is open (cindex_sizes_write_begin) and even again after the
/// last open one ends (cindex_sizes_write_end; writes may nest or overlap, they are counted),
/// which makes every entry stale. A reader reads the
/// generation before its read transaction starts and again once its snapshot is taken; when
/// both are the same even number, its snapshot is that generation's, and it may pass it to
/// jiansuo_rank. Thread-safe; rowids from 0 to 2^31 - 1 are cached (8 bytes each, allocated
/// 65,536 at a time), others are read from %_docsize every time.
typedef struct cindex_sizes cindex_sizes;
cindex_sizes *cindex_sizes_new(void);
void cindex_sizes_free(cindex_sizes *sizes);
void cindex_sizes_write_begin(cindex_sizes *sizes);
void cindex_sizes_write_end(cindex_sizes *sizes);
/// The current generation (even: no write transaction open), or -1 for NULL.
int64_t cindex_sizes_generation(cindex_sizes *sizes);
/// 1 and `*size` when `rowid`'s size is cached for `generation`, else 0.
int cindex_sizes_get(cindex_sizes *sizes, int64_t generation, int64_t rowid, int *size);
void cindex_sizes_put(cindex_sizes *sizes, int64_t generation, int64_t rowid, int size);
/// Reads every row of `fts_docsize` on `db` (a `sqlite3 *` whose snapshot is `generation`'s)
/// into the cache: one pass, so that the first searches after a write rank as fast as later
/// ones. Returns 0 (SQLITE_OK) or an SQLite error code; nothing for an odd generation.
int cindex_sizes_load(void *db, cindex_sizes *sizes, int64_t generation);

/// Registers the FTS5 auxiliary function `jiansuo_rank(fts, layout[, generation[, documents]])` on `db` (a `sqlite3 *`).
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
/// that pass is skipped, and so it is for a phrase whose count the optional fourth argument
/// gives ("n,n,…": one decimal count per phrase of the expression, in order, -1 where unknown;
/// the caller gives only counts exact for the snapshot, see SearchIndex.phraseDocuments).
/// It reads each phrase's positions in the row (FTS5 loaded them to match the row) with
/// xPhraseFirst/xPhraseNext, and the row's size from `sizes` (see cindex_sizes) when the
/// optional third argument is a generation it may use, else with one %_docsize lookup. A malformed layout
/// ranks every phrase as a term in one conjunct.
/// Returns 0 (SQLITE_OK) or an SQLite error code. See https://sqlite.org/fts5.html#custom_auxiliary_functions
int crank_register(void *db, cindex_sizes *sizes);

/// Registers the FTS5 auxiliary function `jiansuo_first(fts, layout)` on `db`: for the current
/// row, the smallest body-column (CINDEX_BODY_COLUMN) token position at which a term phrase of `layout`
/// (roles `T` and `B`; see above) has an instance, or -1 when no term matches in the body (a title-only
/// match). Reads the row's positions FTS5 loaded to match it (xPhraseFirst). Used with
/// `rowid = ?` to find where a hit's snippet is, in documents stored in blocks.
/// Returns 0 (SQLITE_OK) or an SQLite error code.
int cfirst_register(void *db);

// MARK: Stored text

/// Texts shorter than this many bytes are stored as they are.
#define CINDEX_COMPRESS_MIN 64
/// zlib level used for stored text (1 fastest … 9 smallest).
#define CINDEX_COMPRESS_LEVEL 6
/// The longest text jiansuo_text() will inflate (larger lengths mean a damaged value).
#define CINDEX_MAX_TEXT_BYTES (256 << 20)
/// Texts of at least this many bytes are stored in independently compressed blocks of
/// CINDEX_BLOCK_BYTES, so that a part of them (a snippet's block) is read without inflating
/// what comes before it.
#define CINDEX_BLOCKS_MIN (128 << 10)
#define CINDEX_BLOCK_BYTES (64 << 10)
/// Large texts record their token position every CINDEX_POSITION_STRIDE bytes (see
/// cindex_block_positions), so that a snippet highlights only a few kilobytes around a match.
#define CINDEX_POSITION_STRIDE (4 << 10)

/// Encodes `len` bytes of UTF-8 for storage: one tag byte, then the text (shorter than
/// CINDEX_COMPRESS_MIN), or its 32-bit little-endian length and one zlib stream with the preset
/// dictionary of frequent CJK character pairs (deflate_dictionary.h; values of older builds
/// have a stream without it, tag 1, and stay readable),
/// or (from CINDEX_BLOCKS_MIN) its length, the number of blocks, their offsets and one zlib
/// stream per CINDEX_BLOCK_BYTES block. Returns a malloc'd buffer of *out_len bytes (free with
/// cindex_free), or NULL when memory or zlib fails.
unsigned char *cindex_store_text(const char *text, int32_t len, int32_t *out_len);
void cindex_free(void *p);

/// Registers the SQL function `jiansuo_text(stored [, max_bytes [, from_byte]])` on `db` (a
/// `sqlite3 *`): the text of a value made by cindex_store_text (NULL for NULL, TEXT values
/// unchanged), or `max_bytes` bytes of it from UTF-8 byte offset `from_byte` (default 0), the
/// start moved forward and the end cut back to whole characters. Only the blocks that hold the
/// range are inflated (for a single zlib stream: everything up to its end). A damaged value
/// raises an error with SQLITE_CORRUPT. Returns an SQLite result code.
int cindex_register_text_function(void *db);

/// What `jiansuo_text(column, limit, from)` gives for row `rowid` of `table` in `db` (a
/// `sqlite3 *`), read with incremental blob I/O (https://sqlite.org/c3ref/blob_open.html): only
/// the header and the blocks that hold the range are read from the database, not the whole
/// value (a 16 MB novel's body is 6 MB of overflow pages). Returns a malloc'd NUL-terminated
/// string of *out_len bytes (free with cindex_free), or NULL with *rc_out set: SQLITE_MISMATCH
/// when the value is not stored in blocks (read it with jiansuo_text instead), SQLITE_CORRUPT
/// when it is damaged, or SQLite's error.
char *cindex_read_text_range(void *db, const char *table, const char *column, int64_t rowid, int64_t from,
                              int64_t limit, int32_t *out_len, int *rc_out);

/// Counts a text's FTS5 token positions as its tokens pass on to `callback` (FTS5's xToken), to
/// record the position at every CINDEX_POSITION_STRIDE bytes of the text.
/// `positions[k]` becomes the position of the first token that starts at or after UTF-8 byte
/// k * CINDEX_POSITION_STRIDE (after the last token: one past it). Set `context`, `callback`,
/// `positions` (`count` entries, one per stride), `filled = 0` and `position = -1`; pass the
/// struct as the tokenizer's context with cindex_block_positions_token as its callback; then
/// call cindex_block_positions_finish.
typedef struct {
    void *context;
    int (*callback)(void *context, int flags, const char *token, int len, int start, int end);
    int32_t *positions;
    int32_t count;
    int32_t filled;
    int64_t position;
} cindex_block_positions;

int cindex_block_positions_token(void *self, int flags, const char *token, int len, int start, int end);
void cindex_block_positions_finish(cindex_block_positions *p);

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
