// cicu.h: the few ICU calls Jiansuo uses, behind stable names and opaque types.
//
// This header includes only <stdint.h>: ICU's own headers must never reach the Swift importer,
// because Foundation carries a private ICU whose types clash with the system's
// ("'UErrorCode' has different definitions in different modules"). The .c files include
// <unicode/*.h> and call ICU by its documented names; unicode/urename.h adds the version
// suffix (ubrk_open -> ubrk_open_72) at compile time, so moving to another ICU is a rebuild.
//
// Units: every offset and length in this header is in UTF-8 bytes unless its name says otherwise.
// Errors: functions that take `int32_t *err` set it to an ICU UErrorCode (> 0 is a failure);
// `cicu_error_name` turns one into text.
#ifndef CICU_H
#define CICU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Segmentation

/// A segmenter: normalization (NFKC_Casefold, then traditional→simplified folding), an ICU word
/// break iterator (UBRK_WORD, dictionary-based for CJK) and Jiansuo's token rules.
/// Not thread-safe: use one per thread or per SQLite connection.
typedef struct cicu_segmenter cicu_segmenter;

/// Options of cicu_segmenter_open (bits).
enum {
    /// Emit whole ICU words only (no per-character Han tokens, no splitting of Latin words at
    /// punctuation). The behaviour of a plain ICU tokenizer; kept as a baseline.
    CICU_OPTION_WORDS_ONLY = 1,
    /// Do not fold traditional Han characters to simplified ones.
    CICU_OPTION_NO_SCRIPT_FOLD = 2,
};

/// What a tokenization is for.
enum {
    /// Text being indexed (or highlighted): Han characters plus colocated Han words.
    CICU_PURPOSE_DOCUMENT = 0,
    /// Query text: Han characters only. Text starting with CICU_WORD_SENTINEL (U+E000) instead
    /// becomes one Han word token (the form colocated in documents), for ranking.
    CICU_PURPOSE_QUERY = 1,
    /// Positions only, for highlight() and snippet(): the tokens of CICU_PURPOSE_DOCUMENT (same
    /// text, offsets and positions) without the colocated Han words and whole runs; the
    /// colocated case pieces of letters (CICU_KIND_SUBWORD) stay, as alternatives at their
    /// position. Skips ICU's dictionary segmentation when that cannot change the result, so it
    /// costs a fraction of a document tokenization.
    CICU_PURPOSE_POSITIONS = 2,
    /// An FTS5 query string (what FTS5 asks the tokenizer for a MATCH literal): CICU_PURPOSE_QUERY,
    /// unless the text starts with CICU_BIGRAM_SENTINEL: then after the first of two consecutive
    /// Han characters each character is the bigram of it and the one before (CICU_BIGRAM_PREFIX),
    /// and the first character is left out when a bigram follows it (the bigram implies it). That
    /// phrase matches a document exactly where the phrase of characters would, and reads the
    /// bigrams' position lists instead of the characters'. (Words-only analysis: no bigrams.)
    CICU_PURPOSE_MATCH = 3,
};

/// U+E000 (a private-use character, never a token itself) as UTF-8.
#define CICU_WORD_SENTINEL "\xEE\x80\x80"
/// The first byte of every colocated Han word token, so that words never collide with the
/// per-character tokens of the same text.
#define CICU_WORD_PREFIX '\x01'
/// U+E002 as UTF-8: a CICU_PURPOSE_MATCH text starting with it is tokenized as bigrams.
#define CICU_BIGRAM_SENTINEL "\xEE\x80\x82"
/// The first byte of every Han bigram token. In documents (hybrid analysis), each common Han
/// character (cicu_is_common_han) after another at the previous position carries the bigram of
/// the two, colocated with it.
#define CICU_BIGRAM_PREFIX '\x02'

/// 1 when `c` (a Unicode code point, normalized and folded as tokens are) is one of the common
/// Han characters between which documents carry bigrams (the 300 most frequent in a corpus of
/// Chinese news, literature and web text; `Sources/CICU/common_han.h`, made by
/// `scripts/common-han`), else 0. Part of the analysis rules.
int cicu_is_common_han(int32_t c);

/// Token kinds.
enum {
    CICU_KIND_NUMBER = 1,     // a part of digits of a run of letters and digits
    CICU_KIND_LETTER = 2,     // a part of letters of alphabetic scripts: Latin, Cyrillic, Hangul …
    CICU_KIND_KANA = 3,       // Japanese kana (300..399)
    CICU_KIND_IDEO = 4,       // a whole Han word (CICU_OPTION_WORDS_ONLY only)
    CICU_KIND_HAN = 5,        // one Han character
    CICU_KIND_HAN_WORD = 6,   // a multi-character Han word, colocated with its first character
    CICU_KIND_HAN_BIGRAM = 7, // two consecutive Han characters: colocated with the second in documents
    CICU_KIND_SUBWORD = 8,    // a case piece of a letter part, or a join of pieces (iPhone → i, phone): colocated
    CICU_KIND_RUN_WORD = 9,   // a whole run of several parts (CICU_WORD_PREFIX + abc123), colocated with its first part
};

/// FTS5_TOKEN_COLOCATED: the token is at the same position as the previous one.
#define CICU_FLAG_COLOCATED 1

/// Texts longer than this many UTF-8 bytes are tokenized chunk by chunk (cut after a newline,
/// else after ASCII punctuation or a space, else at a character boundary, near each multiple),
/// so that memory stays bounded for any document; positions and offsets run on across chunks.
#define CICU_CHUNK_BYTES (256 << 10)

/// Longest token passed on, in UTF-8 bytes after normalization. Longer segments are cut at a
/// character boundary so that a pathological run never fails a document.
#define CICU_MAX_TOKEN_BYTES 128

/// Called once per token, in text order. The shape is SQLite FTS5's xToken callback, so
/// GRDB's FTS5TokenCallback can be passed straight through (see
/// https://sqlite.org/fts5.html#custom_tokenizers). `flags` is 0 or CICU_FLAG_COLOCATED;
/// `token` is the normalized form, not NUL-terminated, `token_len` bytes long; [`start`, `end`)
/// are UTF-8 byte offsets into the original text. A non-zero return stops tokenization and is
/// returned by the tokenize call.
typedef int (*cicu_token_fn)(void *ctx, int flags, const char *token, int token_len, int start, int end);

/// Like cicu_token_fn, with the token kind (CICU_KIND_*) instead of FTS5 flags.
typedef int (*cicu_token_kind_fn)(void *ctx, int kind, const char *token, int token_len, int start, int end);

/// Opens a segmenter for `locale` (e.g. "zh") with CICU_OPTION_* bits. Returns NULL and sets
/// *err on failure.
cicu_segmenter *cicu_segmenter_open(const char *locale, int32_t options, int32_t *err);
void cicu_segmenter_close(cicu_segmenter *seg);

/// Tokenizes `len` bytes of UTF-8 `text` (invalid sequences read as U+FFFD) for `purpose`
/// (CICU_PURPOSE_*), calling `fn` for each token.
/// Returns 0, the first non-zero value returned by `fn`, or -1 when ICU or memory fails.
int cicu_segmenter_tokenize(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose,
                            void *ctx, cicu_token_fn fn);

/// The same tokenization, reporting each token's kind (used by `jiansuo segment`).
int cicu_segmenter_tokenize_kinds(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose,
                                  void *ctx, cicu_token_kind_fn fn);

// MARK: Highlighting

/// Called with the UTF-8 byte range [start, end) of each term occurrence, in text order
/// (occurrences may overlap). A non-zero return stops the scan.
typedef int (*cicu_range_fn)(void *ctx, int start, int end);

/// How the last token of a highlighted term is compared (cicu_highlight's `term_prefix`).
enum { CICU_HIGHLIGHT_EXACT = 0, CICU_HIGHLIGHT_PREFIX = 1, CICU_HIGHLIGHT_DIGITS = 2 };

/// Finds the occurrences of query terms in `len` bytes of UTF-8 `text`: a term is a sequence of
/// normalized query tokens that must appear at consecutive positions of the text's
/// CICU_PURPOSE_POSITIONS tokens (the positions FTS5 phrases match on; any of the colocated
/// tokens at a position will do). `terms` holds the tokens of every term as NUL-terminated
/// strings, one after another; `term_tokens[i]` is the number of tokens of term i (at most 64)
/// and `term_prefix[i]` says how its last token is matched: CICU_HIGHLIGHT_EXACT (0),
/// CICU_HIGHLIGHT_PREFIX (it only has to start the text's token, which is marked whole: a
/// prefix query) or CICU_HIGHLIGHT_DIGITS (it only has to start the text's token, and only
/// the characters it covers are marked: a digit prefix, `2020` in `20200101`).
/// Returns 0, fn's non-zero value, or -1.
/// Sentences (ended by a line feed or 。) that hold no character of any term are not
/// tokenized, which changes no range (see highlight.c).
int cicu_highlight(cicu_segmenter *seg, const char *text, int32_t len, const char *terms, int32_t terms_len,
                   const int32_t *term_tokens, const int32_t *term_prefix, int32_t term_count, void *ctx,
                   cicu_range_fn fn);
/// cicu_highlight, tokenizing every sentence when `skip_sentences` is 0 (the reference in tests).
int cicu_highlight_with(cicu_segmenter *seg, const char *text, int32_t len, const char *terms, int32_t terms_len,
                        const int32_t *term_tokens, const int32_t *term_prefix, int32_t term_count, void *ctx,
                        cicu_range_fn fn, int skip_sentences);

// MARK: Recorded tokens

/// The document tokens of one text, recorded on one thread and replayed on another: indexing
/// workers analyse documents in parallel and the single SQLite writer only replays the tokens
/// to FTS5. Immutable once made, so it may be shared between threads.
typedef struct cicu_recording cicu_recording;

/// Records the CICU_PURPOSE_DOCUMENT tokens of `len` bytes of UTF-8 `text` (and a copy of the
/// text). Returns NULL and sets *err (the tokenizer's status, or -1 for memory) on failure.
cicu_recording *cicu_record(cicu_segmenter *seg, const char *text, int32_t len, int32_t *err);
void cicu_recording_free(cicu_recording *rec);

/// True (1) when `rec` was recorded from exactly these `len` bytes.
int cicu_recording_matches(const cicu_recording *rec, const char *text, int32_t len);

/// Calls `fn` with each recorded token, as cicu_segmenter_tokenize would have. Returns 0 or
/// the first non-zero value `fn` returned.
int cicu_replay(const cicu_recording *rec, void *ctx, cicu_token_fn fn);

/// Memory held by `rec`, in bytes.
size_t cicu_recording_bytes(const cicu_recording *rec);

/// A 64-bit hash of `len` bytes, to look recordings up by text (matches are then verified).
uint64_t cicu_text_hash(const char *text, int32_t len);

/// The number of ICU word boundaries in `len` bytes of UTF-8 (converted to UTF-16, then
/// iterated with a fresh `ubrk_open(UBRK_WORD, "zh")`): ICU's segmentation alone, without
/// normalization or tokens, the ceiling bench/run compares indexing speed with.
/// Returns -1 and sets *err when ICU fails.
int32_t cicu_word_break_count(const char *text, int32_t len, int32_t *err);

// MARK: Normalization

/// NFKC_Casefold of UTF-8 `text`, then traditional→simplified folding unless `options` has
/// CICU_OPTION_NO_SCRIPT_FOLD. Returns a malloc'd NUL-terminated UTF-8 string (free with
/// cicu_free) and its byte length in *out_len, or NULL with *err set.
char *cicu_normalize(const char *text, int32_t len, int32_t options, int32_t *out_len, int32_t *err);

/// NFKC_Casefold of UTF-8 `text` by ICU alone (unorm2_normalize over the whole text; NUL as a
/// space, as cicu_normalize): the reference cicu_normalize's chunks and tables are tested
/// against. Returns a malloc'd NUL-terminated UTF-8 string (free with cicu_free), or NULL.
char *cicu_normalize_reference(const char *text, int32_t len, int32_t *out_len, int32_t *err);

/// The number of Han code points the traditional→simplified table maps (built once per process
/// from ICU's "Traditional-Simplified" transform).
int32_t cicu_script_fold_size(void);

// MARK: Versions

/// The ICU library version, e.g. "72.1", and the Unicode version it implements, e.g. "15.0".
const char *cicu_icu_version(void);
const char *cicu_unicode_version(void);

// MARK: Charsets

/// Ranks candidate charsets for `len` bytes (the first 16 KB decide) with ICU's charset detector (ucsdet), best first.
/// 1 when a line break between code points `before` and `after` is removed rather than turned
/// into a space, by CSS Text 3's segment break transformation
/// (https://www.w3.org/TR/css-text-3/#line-break-transform): either is U+200B ZERO WIDTH SPACE,
/// or both are East Asian Fullwidth, Wide or Halfwidth (ICU's UCHAR_EAST_ASIAN_WIDTH; not
/// Ambiguous) and neither is Hangul. 0 otherwise.
int cicu_segment_break_removable(int32_t before, int32_t after);

/// Writes up to `max` ICU converter names (e.g. "GB18030", "Big5", "UTF-16LE") as consecutive
/// NUL-terminated strings of `name_cap` bytes each into `names`, and their confidences (0..100)
/// into `confidences`. Returns the number written, or -1 with *err set.
int32_t cicu_detect_charsets(const char *bytes, int32_t len, char *names, int32_t name_cap,
                             int32_t *confidences, int32_t max, int32_t *err);

/// Converts `len` bytes in `charset` (an ICU converter name) to UTF-8 with ucnv. Unmappable or
/// invalid input becomes U+FFFD; their count goes to *substitutions. Returns a malloc'd
/// NUL-terminated buffer (free with cicu_free) of *out_len bytes, or NULL with *err set.
char *cicu_convert_to_utf8(const char *charset, const char *bytes, int32_t len,
                           int32_t *out_len, int32_t *substitutions, int32_t *err);

void cicu_free(void *ptr);

/// The name of an ICU error code, e.g. "U_ILLEGAL_ARGUMENT_ERROR".
const char *cicu_error_name(int32_t err);

#ifdef __cplusplus
}
#endif

#endif
