// crank.h: Jiansuo's FTS5 ranking function. The header includes no SQLite header, so that no
// SQLite type reaches Swift through this module (GRDB brings its own SQLite module).
#ifndef CRANK_H
#define CRANK_H

#ifdef __cplusplus
extern "C" {
#endif

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
/// occurrence as a real word counts twice), D = tokens in the row, k1 = 1.2, b = 0.75.
/// idf(t) = ln((N - n + 0.5) / (n + 0.5)) (at least 1e-6) from the term's document count n,
/// which costs one pass over the term's postings per query; with one term it is a constant and
/// that pass is skipped.
/// Everything it reads (instances, the row's size) FTS5 has already decoded to match the row,
/// plus one %_docsize lookup. A malformed layout ranks every phrase as a term in one conjunct.
/// Returns 0 (SQLITE_OK) or an SQLite error code. See https://sqlite.org/fts5.html#custom_auxiliary_functions
int crank_register(void *db);

#ifdef __cplusplus
}
#endif

#endif
