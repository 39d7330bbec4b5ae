// cicu.h: the few ICU calls Jiansuo uses, behind stable names and opaque types.
//
// This header includes only <stdint.h>: ICU's own headers must never reach the Swift importer,
// because Foundation carries a private ICU whose types clash with the system's
// ("'UErrorCode' has different definitions in different modules"). cicu.c includes
// <unicode/*.h> and calls ICU by its documented names; unicode/urename.h adds the version
// suffix (ubrk_open -> ubrk_open_72) at compile time, so moving to another ICU is a rebuild.
//
// Units: every offset and length in this header is in UTF-8 bytes unless its name says otherwise.
// Errors: functions that take `int32_t *err` set it to an ICU UErrorCode (> 0 is a failure);
// `cicu_error_name` turns one into text.
#ifndef CICU_H
#define CICU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A word segmenter: an ICU word break iterator (UBRK_WORD, dictionary-based for CJK) plus the
/// NFKC_Casefold normalizer. Not thread-safe: use one per thread or per SQLite connection.
typedef struct cicu_segmenter cicu_segmenter;

/// Token kinds, from the ICU word break rule status of the segment.
enum {
    CICU_KIND_NUMBER = 1,   // UBRK_WORD_NUMBER (100..199)
    CICU_KIND_LETTER = 2,   // UBRK_WORD_LETTER (200..299): Latin, Cyrillic, Hangul …
    CICU_KIND_KANA = 3,     // UBRK_WORD_KANA (300..399)
    CICU_KIND_IDEO = 4,     // UBRK_WORD_IDEO (400..499): Han words from the CJK dictionary
};

/// Longest token passed on, in UTF-8 bytes after normalization. Longer segments are cut at a
/// character boundary so that a pathological run never fails a document.
#define CICU_MAX_TOKEN_BYTES 128

/// Called once per token, in text order. The shape is SQLite FTS5's xToken callback, so
/// GRDB's FTS5TokenCallback can be passed straight through (see
/// https://sqlite.org/fts5.html#custom_tokenizers). `token` is the NFKC_Casefold form, not
/// NUL-terminated, `token_len` bytes long; [`start`, `end`) are UTF-8 byte offsets into the
/// original text. A non-zero return stops tokenization and is returned by the tokenize call.
typedef int (*cicu_token_fn)(void *ctx, int flags, const char *token, int token_len, int start, int end);

/// Like cicu_token_fn, with the token kind (CICU_KIND_*) instead of FTS5 flags.
typedef int (*cicu_token_kind_fn)(void *ctx, int kind, const char *token, int token_len, int start, int end);

/// Opens a segmenter for `locale` (e.g. "zh"). Returns NULL and sets *err on failure.
cicu_segmenter *cicu_segmenter_open(const char *locale, int32_t *err);
void cicu_segmenter_close(cicu_segmenter *seg);

/// Segments `len` bytes of UTF-8 `text` (invalid sequences read as U+FFFD), keeps word-like
/// segments (rule status >= UBRK_WORD_NONE_LIMIT, so spaces and punctuation are dropped),
/// normalizes each with NFKC_Casefold and calls `fn` with flags 0.
/// Returns 0, the first non-zero value returned by `fn`, or -1 when ICU or memory fails.
int cicu_segmenter_tokenize(cicu_segmenter *seg, const char *text, int32_t len, void *ctx, cicu_token_fn fn);

/// The same segmentation, reporting each token's kind (used by `jiansuo segment`).
int cicu_segmenter_tokenize_kinds(cicu_segmenter *seg, const char *text, int32_t len, void *ctx,
                                  cicu_token_kind_fn fn);

/// NFKC_Casefold of UTF-8 `text`. Returns a malloc'd NUL-terminated UTF-8 string (free with
/// cicu_free) and its byte length in *out_len, or NULL with *err set.
char *cicu_normalize(const char *text, int32_t len, int32_t *out_len, int32_t *err);

/// The ICU library version, e.g. "72.1", and the Unicode version it implements, e.g. "15.0".
const char *cicu_icu_version(void);
const char *cicu_unicode_version(void);

/// Ranks candidate charsets for `len` bytes with ICU's charset detector (ucsdet), best first.
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
