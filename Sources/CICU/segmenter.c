// segmenter.c: Jiansuo's token rules over ICU word segmentation. See cicu.h.
//
// Pipeline: UTF-8 → normalized UTF-16 with an offset map (normalize.c) → ICU word breaks →
// tokens. For Han text every character is a token at its own position, and each
// multi-character ICU word is also emitted, colocated with its first character and marked with
// CICU_WORD_PREFIX: any substring is found as a phrase of characters, and whole words still
// exist in the index for ranking. Letters and digits form runs, cut at anything else ("91.7" →
// 91, 7; "snake_case" → snake, case); a run is cut into parts where letters and digits meet
// (see emit_run: "ABC123" → abc, 123; "iPhone15Pro" → iphone, 15, pro), and in documents the
// pieces of a letter part at case changes ("iPhone" → i, phone) and the whole run are colocated
// with its parts, so that a reader's view of a run, any of its parts, is found.
//
// Bigrams (analysis rules 6): in documents, each common Han character (cicu_is_common_han)
// that follows another at the previous position also carries the bigram of the two
// (CICU_BIGRAM_PREFIX), colocated with it. A query term of several Han characters is matched
// as the phrase of its bigram literal (a CICU_PURPOSE_MATCH text that starts with
// CICU_BIGRAM_SENTINEL): each pair of common characters as their bigram, every other character
// as itself, so it matches exactly where its characters stand side by side, and reads the
// bigrams' position lists instead of the common characters': the list of 经济 is a small
// fraction of those of 经 and 济, which are long in every document of a corpus. A rarer
// character's own list is short, and keeping bigrams only between common characters keeps the
// index small (the rare pairs would be most of the distinct bigrams). A character alone (a
// one-character query) is found by its own token.
#include "cicu.h"
#include "mapped_text.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

struct cicu_segmenter {
    UBreakIterator *brk;
    const UNormalizer2 *nfkc_cf;
    const uint16_t *fold;
    int32_t options;
    mapped_text text;
    char token8[CICU_MAX_TOKEN_BYTES * 4 + 8];
    // State of one tokenization (see begin()).
    int32_t purpose;
    const char *src;      // the chunk being tokenized (for the letter case of the original text)
    int32_t src_len;
    int subwords;         // emit the case pieces of letter parts, colocated (documents, positions)
    int run_words;        // emit each run of several parts whole, colocated (documents)
    int bigrams;          // the bigram rules (see above): a document, or a query's bigram literal
    int at_text_start;    // no token delivered yet
    char prev8[8];        // the last non-colocated token, when it was one common Han character
    int32_t prev_len;     // (0 otherwise)
    int32_t prev_start;   // its UTF-8 offset: a bigram spans both characters
    char held8[8];        // CICU_PURPOSE_MATCH: the text's first Han character, held back
    int32_t held_len, held_kind, held_start, held_end;  // until it is known whether a bigram follows
};

typedef struct {
    void *ctx;
    cicu_token_fn fts;
    cicu_token_kind_fn kinds;
    int32_t base;  // UTF-8 offset of the chunk being tokenized in the caller's text
} sink;

cicu_segmenter *cicu_segmenter_open(const char *locale, int32_t options, int32_t *err) {
    UErrorCode status = U_ZERO_ERROR;
    cicu_segmenter *seg = calloc(1, sizeof(cicu_segmenter));
    if (seg == NULL) {
        *err = U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    seg->options = options;
    seg->brk = ubrk_open(UBRK_WORD, locale, NULL, 0, &status);
    if (U_SUCCESS(status)) seg->nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
    if (U_FAILURE(status)) {
        *err = status;
        cicu_segmenter_close(seg);
        return NULL;
    }
    if (!(options & CICU_OPTION_NO_SCRIPT_FOLD)) seg->fold = script_fold_table();
    *err = 0;
    return seg;
}

void cicu_segmenter_close(cicu_segmenter *seg) {
    if (seg == NULL) return;
    if (seg->brk != NULL) ubrk_close(seg->brk);
    mapped_text_free(&seg->text);
    free(seg);
}

// Cuts a UTF-8 string to at most CICU_MAX_TOKEN_BYTES at a character boundary.
static int32_t cap_utf8(const char *s, int32_t n) {
    if (n <= CICU_MAX_TOKEN_BYTES) return n;
    int32_t k = CICU_MAX_TOKEN_BYTES;
    while (k > 0 && U8_IS_TRAIL((uint8_t)s[k])) k--;
    return k;
}

static int send(sink out, int flags, int kind, const char *token, int32_t len, int32_t start, int32_t end) {
    return out.fts != NULL ? out.fts(out.ctx, flags, token, len, start, end) : out.kinds(out.ctx, kind, token, len, start, end);
}

#include "common_han.h"

static uint8_t common_bits[0x10000 / 8];
static pthread_once_t common_once = PTHREAD_ONCE_INIT;

static void common_init(void) {
    for (size_t k = 0; k < sizeof common_han / sizeof common_han[0]; k++) {
        common_bits[common_han[k] >> 3] |= (uint8_t)(1u << (common_han[k] & 7));
    }
}

int cicu_is_common_han(int32_t c) {
    if (c < 0 || c > 0xFFFF) return 0;
    pthread_once(&common_once, common_init);
    return (common_bits[c >> 3] >> (c & 7)) & 1;
}

// Passes one token on, with the bigram rules (see above): in documents a Han character
// (`han_char`: a one-character token of a Han segment) after another is followed by their
// bigram, colocated; in a query's bigram literal the bigram replaces it, and the literal's
// first Han character is held back, and dropped when a bigram follows (which implies it).
static int deliver(cicu_segmenter *seg, sink out, int kind, int flags, const char *token, int32_t len, int32_t start,
                   int32_t end, int han_char) {
    if (!seg->bigrams || (flags & CICU_FLAG_COLOCATED)) return send(out, flags, kind, token, len, start, end);
    if (han_char) {
        // Only common characters pair (see above): one code point, in the table.
        int32_t i = 0;
        UChar32 c = 0;
        U8_NEXT(token, i, len, c);
        if (i != len || !cicu_is_common_han(c)) han_char = 0;
    }
    char bigram[1 + 2 * sizeof seg->prev8];
    int32_t bigram_len = 0;
    int pair = han_char && seg->prev_len > 0;
    if (pair) {
        bigram[0] = CICU_BIGRAM_PREFIX;
        memcpy(bigram + 1, seg->prev8, (size_t)seg->prev_len);
        memcpy(bigram + 1 + seg->prev_len, token, (size_t)len);
        bigram_len = 1 + seg->prev_len + len;
    }
    int rc = 0;
    if (seg->purpose == CICU_PURPOSE_MATCH) {
        if (pair) {
            seg->held_len = 0;  // the held first character is implied by this bigram
            rc = send(out, 0, CICU_KIND_HAN_BIGRAM, bigram, bigram_len, seg->prev_start, end);
        } else {
            if (seg->held_len > 0) {
                rc = send(out, 0, seg->held_kind, seg->held8, seg->held_len, seg->held_start, seg->held_end);
                seg->held_len = 0;
            }
            if (rc == 0 && han_char && seg->at_text_start) {
                memcpy(seg->held8, token, (size_t)len);
                seg->held_len = len;
                seg->held_kind = kind;
                seg->held_start = start;
                seg->held_end = end;
            } else if (rc == 0) {
                rc = send(out, flags, kind, token, len, start, end);
            }
        }
    } else {
        rc = send(out, flags, kind, token, len, start, end);
        if (rc == 0 && pair) rc = send(out, CICU_FLAG_COLOCATED, CICU_KIND_HAN_BIGRAM, bigram, bigram_len, seg->prev_start, end);
    }
    seg->at_text_start = 0;
    if (han_char) {
        memcpy(seg->prev8, token, (size_t)len);
        seg->prev_len = len;
        seg->prev_start = start;
    } else {
        seg->prev_len = 0;
    }
    return rc;
}

// Emits normalized units [u0, u1) as one token, optionally prefixed with `prefix` (a
// CICU_*_PREFIX byte, or 0). `han_char`: a one-character token of a Han segment.
static int emit(cicu_segmenter *seg, sink out, int32_t u0, int32_t u1, int kind, int flags, char prefix, int han_char) {
    int32_t n8 = 0, at = 0;
    if (u1 - u0 == 1 && !prefix && !U16_IS_SURROGATE(seg->text.text[u0])) {
        // One BMP character (every Han token): encode it directly.
        UChar c = seg->text.text[u0];
        int32_t i = 0;
        U8_APPEND_UNSAFE(seg->token8, i, c);
        int32_t start = out.base + seg->text.start8[u0], end = out.base + seg->text.end8[u0];
        return deliver(seg, out, kind, flags, seg->token8, i, start, end, han_char);
    }
    if (prefix) seg->token8[at++] = prefix;
    // Convert no more than the cap needs: 4 bytes per unit is the worst case.
    int32_t units = u1 - u0;
    if (units > CICU_MAX_TOKEN_BYTES) units = CICU_MAX_TOKEN_BYTES;
    if (units < u1 - u0 && U16_IS_LEAD(seg->text.text[u0 + units - 1])) units--;
    UErrorCode e = U_ZERO_ERROR;
    u_strToUTF8WithSub(seg->token8 + at, (int32_t)sizeof(seg->token8) - at, &n8, seg->text.text + u0, units,
                       0xFFFD, NULL, &e);
    if (U_FAILURE(e) && e != U_STRING_NOT_TERMINATED_WARNING) return 0;
    int32_t len = cap_utf8(seg->token8, at + n8);
    if (len <= at) return 0;
    int32_t start = out.base + seg->text.start8[u0], end = out.base + seg->text.end8[u1 - 1];
    return deliver(seg, out, kind, flags, seg->token8, len, start, end, han_char && u1 - u0 <= 2);
}

static int compute_is_han(UChar32 c) {
    UErrorCode e = U_ZERO_ERROR;
    return uscript_getScript(c, &e) == USCRIPT_HAN || u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC);
}

static uint8_t compute_class(UChar32 c);

// Character classes, looked up once per BMP code point: tokenizing asks several ICU property
// questions per character, and the answers never change within a process.
enum { CLASS_HAN = 1, CLASS_ALNUM = 2, CLASS_EXTEND = 4, CLASS_MARK = 8, CLASS_NEEDS_BREAK = 16, CLASS_DIGIT = 32 };
static uint8_t bmp_classes[0x10000];
static pthread_once_t bmp_classes_once = PTHREAD_ONCE_INIT;

static void build_bmp_classes(void) {
    for (UChar32 c = 0; c < 0x10000; c++) bmp_classes[c] = compute_class(c);
}

static inline uint8_t char_class(UChar32 c) {
    if (c < 0x10000) {
        pthread_once(&bmp_classes_once, build_bmp_classes);
        return bmp_classes[c];
    }
    return compute_class(c);
}

static int is_han(UChar32 c) { return (char_class(c) & CLASS_HAN) != 0; }

// A Han word segment: each character, and the word colocated with the first one.
static int emit_han(cicu_segmenter *seg, sink out, int32_t s, int32_t e, int32_t purpose) {
    const UChar *t = seg->text.text;
    int32_t count = 0;
    for (int32_t k = s; k < e; count++) U16_FWD_1(t, k, e);
    for (int32_t k = s, first = 1; k < e; first = 0) {
        int32_t k0 = k;
        UChar32 c;
        U16_NEXT(t, k, e, c);
        int kind = is_han(c) ? CICU_KIND_HAN : CICU_KIND_KANA;
        int rc = emit(seg, out, k0, k, kind, 0, 0, 1);
        if (rc != 0) return rc;
        if (first && count >= 2 && purpose == CICU_PURPOSE_DOCUMENT) {
            rc = emit(seg, out, s, e, CICU_KIND_HAN_WORD, CICU_FLAG_COLOCATED, CICU_WORD_PREFIX, 0);
            if (rc != 0) return rc;
        }
    }
    return 0;
}

enum { CASE_OTHER = 0, CASE_LOWER = 1, CASE_UPPER = 2 };

// The letter case of the character that produced normalized unit `u`, read from the original
// text: normalization folds case away, but case changes are where a reader sees a word's pieces.
static int original_case(const cicu_segmenter *seg, int32_t u) {
    int32_t i = seg->text.start8[u];
    if (seg->src == NULL || i < 0 || i >= seg->src_len) return CASE_OTHER;
    UChar32 c;
    U8_NEXT(seg->src, i, seg->src_len, c);
    if (c < 0) return CASE_OTHER;
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? CASE_UPPER : c >= 'a' && c <= 'z' ? CASE_LOWER : CASE_OTHER;
    if (u_isUUppercase(c) || u_istitle(c)) return CASE_UPPER;
    return u_isULowercase(c) ? CASE_LOWER : CASE_OTHER;
}

// A letter part of more than this many pieces gets its first CICU_MAX_PIECES pieces alone; one
// of at most CICU_MAX_JOINED_PIECES pieces gets every join of consecutive pieces too.
#define CICU_MAX_PIECES 16
#define CICU_MAX_JOINED_PIECES 6

// Where the letter part [s, e) splits into pieces at case changes: before an upper-case letter
// that follows a lower-case one (iPhone → i|Phone), and before the last of several upper-case
// letters when a lower-case one follows it (HTMLParser → HTML|Parser). Combining marks stay
// with the letter before them. Writes the pieces' starts into `starts` (starts[0] = s; at most
// CICU_MAX_PIECES + 1 of them, the last one then only ending the CICU_MAX_PIECES-th piece) and
// returns how many it wrote.
static int32_t piece_starts(const cicu_segmenter *seg, int32_t s, int32_t e, int32_t *starts) {
    const UChar *t = seg->text.text;
    int32_t n = 0;
    starts[n++] = s;
    int before = CASE_OTHER, last = CASE_OTHER;  // the cases of the two letters before this one
    int32_t last_at = s;                          // where the last letter starts
    for (int32_t k = s; k < e && n <= CICU_MAX_PIECES;) {
        int32_t k0 = k;
        UChar32 c;
        U16_NEXT(t, k, e, c);
        // Marks, and the later units of one original character (Ǆ → dž), go with the letter before.
        if ((char_class(c) & CLASS_MARK) || (k0 > s && seg->text.start8[k0] == seg->text.start8[k0 - 1])) continue;
        int now = original_case(seg, k0);
        if (last == CASE_LOWER && now == CASE_UPPER) {
            starts[n++] = k0;
        } else if (before == CASE_UPPER && last == CASE_UPPER && now == CASE_LOWER && last_at > starts[n - 1]) {
            starts[n++] = last_at;
        }
        before = last;
        last = now;
        last_at = k0;
    }
    return n;
}

// The case pieces of the letter part [s, e), colocated with it: each piece, and, for a part of
// at most CICU_MAX_JOINED_PIECES pieces, each join of consecutive pieces but the whole part
// (XMLHttpRequest → xml, xmlhttp, http, httprequest, request). Nothing for a part of one piece.
static int emit_pieces(cicu_segmenter *seg, sink out, int32_t s, int32_t e) {
    int32_t starts[CICU_MAX_PIECES + 1];
    int32_t n = piece_starts(seg, s, e, starts);
    if (n < 2) return 0;
    int truncated = n > CICU_MAX_PIECES;
    int32_t pieces = truncated ? CICU_MAX_PIECES : n;
    int joins = !truncated && pieces <= CICU_MAX_JOINED_PIECES;
    for (int32_t a = 0; a < pieces; a++) {
        for (int32_t b = a; b < (joins ? pieces : a + 1); b++) {
            if (a == 0 && b == pieces - 1 && !truncated) continue;  // the part itself
            int32_t end = b + 1 < n ? starts[b + 1] : e;
            int rc = emit(seg, out, starts[a], end, CICU_KIND_SUBWORD, CICU_FLAG_COLOCATED, 0, 0);
            if (rc != 0) return rc;
        }
    }
    return 0;
}

// One run of letters, digits and combining marks, [s, e) (no Han character in it): cut into
// parts where letters and digits meet, each part a token at its own position (a query's run
// gives the same parts, so a phrase of parts matches). In documents the whole run, when it has
// several parts, is colocated with the first one (CICU_WORD_PREFIX + the run: a query for the
// whole run ranks it first), and with documents and positions each letter part's case pieces
// (emit_pieces). Combining marks stay with the character before them. A digit part is NUMBER,
// any other LETTER. Linear in the run.
static int emit_run(cicu_segmenter *seg, sink out, int32_t s, int32_t e) {
    const UChar *t = seg->text.text;
    int whole = 0;
    if (seg->run_words) {
        int first = -1;
        for (int32_t k = s; k < e && !whole;) {
            UChar32 c;
            U16_NEXT(t, k, e, c);
            uint8_t cls = char_class(c);
            if (cls & CLASS_MARK) continue;
            int digit = (cls & CLASS_DIGIT) != 0;
            if (first < 0) first = digit;
            whole = digit != first;
        }
    }
    int32_t part = s;
    int part_digit = -1;  // the part's kind, from its first character that is not a mark
    int32_t parts = 0;
    for (int32_t k = s;;) {
        int32_t k0 = k;
        int digit = -1;
        if (k < e) {
            UChar32 c;
            U16_NEXT(t, k, e, c);
            uint8_t cls = char_class(c);
            if (cls & CLASS_MARK) continue;
            digit = (cls & CLASS_DIGIT) != 0;
            if (part_digit < 0) part_digit = digit;
            if (digit == part_digit) continue;
        }
        if (k0 > part) {
            int rc = emit(seg, out, part, k0, part_digit == 1 ? CICU_KIND_NUMBER : CICU_KIND_LETTER, 0, 0, 0);
            if (rc == 0 && parts == 0 && whole) {
                rc = emit(seg, out, s, e, CICU_KIND_RUN_WORD, CICU_FLAG_COLOCATED, CICU_WORD_PREFIX, 0);
            }
            if (rc == 0 && seg->subwords && part_digit != 1) rc = emit_pieces(seg, out, part, k0);
            if (rc != 0) return rc;
            parts++;
        }
        if (k0 >= e) return 0;
        part = k0;
        part_digit = digit;
    }
}

// A letter or number segment: maximal runs of letters, digits and combining marks (emit_run).
static int emit_alnum_runs(cicu_segmenter *seg, sink out, int32_t s, int32_t e) {
    const UChar *t = seg->text.text;
    int32_t run = -1;
    for (int32_t k = s; k <= e;) {
        int32_t k0 = k;
        int inside = 0;
        if (k < e) {
            UChar32 c;
            U16_NEXT(t, k, e, c);
            inside = (char_class(c) & (CLASS_ALNUM | CLASS_EXTEND)) != 0;
        } else {
            k++;
        }
        if (inside && run < 0) run = k0;
        if (!inside && run >= 0) {
            int rc = emit_run(seg, out, run, k0);
            if (rc != 0) return rc;
            run = -1;
        }
    }
    return 0;
}

// True when `c` cannot be classified without ICU's word break rules in the positions-only path:
// kana and complex-context scripts (Thai, Lao, Khmer, Myanmar) are segmented by dictionaries,
// ideographs outside the Han script or the unified ideographs may not be word characters for
// ICU, Hangul syllables are kept apart from digits, and letters or digits that
// are not ALetter, Numeric or Hebrew_Letter for UAX #29 may fall outside ICU's word segments.
static int compute_needs_word_break(UChar32 c) {
    if (c < 0x80) return 0;
    UErrorCode e = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(c, &e);
    // Kana, and Hangul: ICU keeps Hangul syllables apart from digits.
    if (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA || script == USCRIPT_KATAKANA_OR_HIRAGANA ||
        script == USCRIPT_HANGUL) return 1;
    int32_t wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
    if (wb == U_WB_KATAKANA) return 1;
    if (u_getIntPropertyValue(c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT) return 1;
    // Han marks such as 々 are not always word characters for ICU.
    if (compute_is_han(c)) return script != USCRIPT_HAN || !u_hasBinaryProperty(c, UCHAR_UNIFIED_IDEOGRAPH);
    if (u_isalnum(c) && wb != U_WB_ALETTER && wb != U_WB_NUMERIC && wb != U_WB_HEBREW_LETTER) return 1;
    return 0;
}

static uint8_t compute_class(UChar32 c) {
    uint8_t k = 0;
    if (compute_is_han(c)) k |= CLASS_HAN;
    if (u_isalnum(c)) k |= CLASS_ALNUM;
    if (u_charType(c) == U_DECIMAL_DIGIT_NUMBER) k |= CLASS_DIGIT;
    if (u_hasBinaryProperty(c, UCHAR_GRAPHEME_EXTEND)) k |= CLASS_EXTEND;
    if ((k & CLASS_EXTEND) || (U_GET_GC_MASK(c) & U_GC_M_MASK)) k |= CLASS_MARK;
    if (compute_needs_word_break(c)) k |= CLASS_NEEDS_BREAK;
    return k;
}

// True when the positions-only fast path gives exactly the non-colocated tokens of the document
// path for the loaded text: no character needs ICU's rules, and every combining mark continues
// a run of letters or digits.
static int positions_are_simple(const cicu_segmenter *seg) {
    const UChar *t = seg->text.text;
    int32_t n = seg->text.len;
    int prev_alnum = 0;
    for (int32_t k = 0; k < n;) {
        UChar32 c;
        U16_NEXT(t, k, n, c);
        uint8_t k = char_class(c);
        if (k & CLASS_NEEDS_BREAK) return 0;
        int mark = (k & CLASS_MARK) != 0;
        if (mark && !prev_alnum) return 0;
        prev_alnum = !(k & CLASS_HAN) && ((k & CLASS_ALNUM) || mark);
    }
    return 1;
}

// CICU_PURPOSE_POSITIONS without ICU's word break iterator (whose dictionary lookups are most of
// the cost of tokenizing Han text): every Han character is a token and letters and digits form
// runs. These are exactly the non-colocated tokens of the document path, because that path
// emits Han characters one by one whatever the word boundaries, and cuts runs at every
// character that is not a letter, digit or combining mark, which is finer than any ICU word
// boundary between such characters. Only valid when positions_are_simple().
static int run_positions(cicu_segmenter *seg, sink out) {
    const UChar *t = seg->text.text;
    int32_t n = seg->text.len;
    int32_t run = -1;
    for (int32_t k = 0; k <= n;) {
        int32_t k0 = k;
        int inside = 0, han = 0;
        if (k < n) {
            UChar32 c;
            U16_NEXT(t, k, n, c);
            uint8_t k = char_class(c);
            han = (k & CLASS_HAN) != 0;
            inside = !han && (k & (CLASS_ALNUM | CLASS_EXTEND));
        } else {
            k++;
        }
        if (!inside && run >= 0) {
            int rc = emit_run(seg, out, run, k0);
            if (rc != 0) return rc;
            run = -1;
        }
        if (inside && run < 0) run = k0;
        if (han) {
            int rc = emit(seg, out, k0, k, CICU_KIND_HAN, 0, 0, 1);
            if (rc != 0) return rc;
        }
    }
    return 0;
}

static int run(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose, sink out) {
    if (len <= 0) return 0;
    int words_only = seg->options & CICU_OPTION_WORDS_ONLY;
    char verbatim = 0;  // the prefix of a text that is one word token
    if (!words_only && (purpose == CICU_PURPOSE_QUERY || purpose == CICU_PURPOSE_MATCH) && len >= 3) {
        if (memcmp(text, CICU_WORD_SENTINEL, 3) == 0) verbatim = CICU_WORD_PREFIX;
        if (verbatim) {
            text += 3;
            len -= 3;
        }
    }
    if (mapped_text_load(&seg->text, seg->nfkc_cf, seg->fold, text, len) != 0) return -1;
    if (seg->text.len == 0) return 0;
    seg->src = text;
    seg->src_len = len;
    seg->subwords = !words_only && (purpose == CICU_PURPOSE_DOCUMENT || purpose == CICU_PURPOSE_POSITIONS);
    seg->run_words = !words_only && purpose == CICU_PURPOSE_DOCUMENT;
    if (purpose == CICU_PURPOSE_POSITIONS) {
        if (!words_only && positions_are_simple(seg)) return run_positions(seg, out);
        purpose = words_only ? CICU_PURPOSE_DOCUMENT : CICU_PURPOSE_QUERY;  // the ICU path, no colocated words
    }
    if (verbatim) {
        // Offsets are relative to the text after the sentinel; queries never use them.
        return emit(seg, out, 0, seg->text.len, CICU_KIND_HAN_WORD, 0, verbatim, 0);
    }
    UErrorCode status = U_ZERO_ERROR;
    ubrk_setText(seg->brk, seg->text.text, seg->text.len, &status);
    if (U_FAILURE(status)) return -1;

    int32_t start = ubrk_first(seg->brk);
    for (int32_t end = ubrk_next(seg->brk); end != UBRK_DONE; start = end, end = ubrk_next(seg->brk)) {
        int32_t rule = ubrk_getRuleStatus(seg->brk);
        if (rule < UBRK_WORD_NONE_LIMIT) continue;  // spaces, punctuation, symbols, emoji
        int rc;
        if (rule >= UBRK_WORD_IDEO && rule < UBRK_WORD_IDEO_LIMIT) {
            rc = words_only ? emit(seg, out, start, end, CICU_KIND_IDEO, 0, 0, 0) : emit_han(seg, out, start, end, purpose);
        } else if (rule >= UBRK_WORD_KANA && rule < UBRK_WORD_KANA_LIMIT) {
            rc = emit(seg, out, start, end, CICU_KIND_KANA, 0, 0, 0);
        } else {
            int kind = rule >= UBRK_WORD_LETTER ? CICU_KIND_LETTER : CICU_KIND_NUMBER;
            rc = words_only ? emit(seg, out, start, end, kind, 0, 0, 0) : emit_alnum_runs(seg, out, start, end);
        }
        if (rc != 0) return rc;
    }
    return 0;
}

// Where a text longer than CICU_CHUNK_BYTES is cut: after the last newline in the chunk's
// final quarter, else after the last ASCII space or punctuation there, else at the last
// character boundary. Deterministic in the bytes, so a text always gives the same tokens
// (FTS5 tokenizes it again to delete it and in its integrity check).
static int32_t chunk_end(const char *text, int32_t at, int32_t len) {
    int32_t limit = at + CICU_CHUNK_BYTES;
    if (limit >= len) return len;
    int32_t floor = limit - CICU_CHUNK_BYTES / 4;
    for (int32_t k = limit; k > floor; k--) {
        if (text[k - 1] == '\n') return k;
    }
    for (int32_t k = limit; k > floor; k--) {
        unsigned char c = (unsigned char)text[k - 1];
        if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')) return k;
    }
    int32_t k = limit;
    while (k > at + 1 && ((unsigned char)text[k] & 0xC0) == 0x80) k--;
    return k;
}

// Tokenizes in chunks of about CICU_CHUNK_BYTES, so that the normalized copy, its offset maps
// and ICU's work stay bounded however large the document (a 16 MB novel would otherwise take
// ~150 MB, kept by the segmenter for reuse). Positions and offsets continue across chunks.
static int run_chunked(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose, sink out) {
    if (len <= CICU_CHUNK_BYTES || purpose == CICU_PURPOSE_QUERY || purpose == CICU_PURPOSE_MATCH) {
        int rc = run(seg, text, len, purpose, out);
        mapped_text_shrink(&seg->text, 2 * CICU_CHUNK_BYTES + 2);
        return rc;
    }
    for (int32_t at = 0; at < len;) {
        int32_t end = chunk_end(text, at, len);
        out.base = at;
        int rc = run(seg, text + at, end - at, purpose, out);
        if (rc != 0) return rc;
        at = end;
    }
    mapped_text_shrink(&seg->text, 2 * CICU_CHUNK_BYTES + 2);
    return 0;
}

// One tokenization of a whole text: the bigram state starts afresh (it runs on across chunks).
static int tokenize(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose, sink s) {
    int words_only = seg->options & CICU_OPTION_WORDS_ONLY;
    seg->bigrams = 0;
    if (purpose == CICU_PURPOSE_MATCH && len >= 3 && memcmp(text, CICU_BIGRAM_SENTINEL, 3) == 0) {
        text += 3;
        len -= 3;
        seg->bigrams = !words_only;
    }
    if (purpose == CICU_PURPOSE_DOCUMENT) seg->bigrams = !words_only;
    if (purpose == CICU_PURPOSE_MATCH && !seg->bigrams) purpose = CICU_PURPOSE_QUERY;
    seg->purpose = purpose;
    seg->at_text_start = 1;
    seg->prev_len = 0;
    seg->held_len = 0;
    int rc = run_chunked(seg, text, len, purpose, s);
    if (rc == 0 && seg->held_len > 0) rc = send(s, 0, seg->held_kind, seg->held8, seg->held_len, seg->held_start, seg->held_end);
    seg->held_len = 0;
    return rc;
}

void segmenter_normalization(struct cicu_segmenter *seg, const UNormalizer2 **nfkc_cf, const uint16_t **fold) {
    *nfkc_cf = seg->nfkc_cf;
    *fold = seg->fold;
}

int cicu_segmenter_tokenize(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose,
                            void *ctx, cicu_token_fn fn) {
    sink s = {ctx, fn, NULL, 0};
    return tokenize(seg, text, len, purpose, s);
}

int cicu_segmenter_tokenize_kinds(cicu_segmenter *seg, const char *text, int32_t len, int32_t purpose,
                                  void *ctx, cicu_token_kind_fn fn) {
    sink s = {ctx, NULL, fn, 0};
    return tokenize(seg, text, len, purpose, s);
}

int32_t cicu_word_break_count(const char *text, int32_t len, int32_t *err) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t units = 0;
    u_strFromUTF8WithSub(NULL, 0, &units, text, len, 0xFFFD, NULL, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) status = U_ZERO_ERROR;
    UChar *buffer = malloc(sizeof(UChar) * (size_t)(units + 1));
    if (buffer == NULL) {
        *err = U_MEMORY_ALLOCATION_ERROR;
        return -1;
    }
    u_strFromUTF8WithSub(buffer, units + 1, NULL, text, len, 0xFFFD, NULL, &status);
    UBreakIterator *brk = ubrk_open(UBRK_WORD, "zh", buffer, units, &status);
    int32_t count = 0;
    if (U_SUCCESS(status)) {
        while (ubrk_next(brk) != UBRK_DONE) count++;
    }
    if (brk != NULL) ubrk_close(brk);
    free(buffer);
    *err = status;
    return U_SUCCESS(status) ? count : -1;
}
