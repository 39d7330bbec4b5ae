// cicu.c: ICU word segmentation, normalization and charset conversion for Jiansuo.
// See cicu.h for the contract. ICU works in UTF-16; FTS5 wants UTF-8 byte offsets: the
// conversion between the two lives here and nowhere else.
#include "cicu.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/utf16.h>
#include <unicode/uversion.h>

struct cicu_segmenter {
    UBreakIterator *brk;
    const UNormalizer2 *nfkc_cf;
    UChar *text16;          // the text as UTF-16
    int32_t *offset8;       // offset8[i] = UTF-8 byte offset of UTF-16 unit i; [len16] = len
    int32_t cap16;
    UChar norm16[CICU_MAX_TOKEN_BYTES * 2];
    char token8[CICU_MAX_TOKEN_BYTES * 4 + 4];
};

cicu_segmenter *cicu_segmenter_open(const char *locale, int32_t *err) {
    UErrorCode status = U_ZERO_ERROR;
    cicu_segmenter *seg = calloc(1, sizeof(cicu_segmenter));
    if (seg == NULL) {
        *err = U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    seg->brk = ubrk_open(UBRK_WORD, locale, NULL, 0, &status);
    if (U_SUCCESS(status)) {
        seg->nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
    }
    if (U_FAILURE(status)) {
        *err = status;
        cicu_segmenter_close(seg);
        return NULL;
    }
    *err = 0;
    return seg;
}

void cicu_segmenter_close(cicu_segmenter *seg) {
    if (seg == NULL) return;
    if (seg->brk != NULL) ubrk_close(seg->brk);
    free(seg->text16);
    free(seg->offset8);
    free(seg);
}

// Decodes UTF-8 into seg->text16 and fills seg->offset8. Returns the UTF-16 length or -1.
static int32_t load_text(cicu_segmenter *seg, const char *text, int32_t len) {
    // Each UTF-8 byte yields at most one UTF-16 unit (a 4-byte sequence yields 2 units).
    if (len + 1 > seg->cap16) {
        int32_t cap = len + 1 < 256 ? 256 : len + 1;
        UChar *t = realloc(seg->text16, sizeof(UChar) * (size_t)cap);
        if (t == NULL) return -1;
        seg->text16 = t;
        int32_t *o = realloc(seg->offset8, sizeof(int32_t) * (size_t)cap);
        if (o == NULL) return -1;
        seg->offset8 = o;
        seg->cap16 = cap;
    }
    const uint8_t *s = (const uint8_t *)text;
    int32_t i = 0, j = 0;
    while (i < len) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT_OR_FFFD(s, i, len, c);
        if (c == 0) c = 0x20;  // a NUL byte must not end the text early
        if (U_IS_BMP(c)) {
            seg->offset8[j] = start;
            seg->text16[j++] = (UChar)c;
        } else {
            seg->offset8[j] = start;
            seg->text16[j++] = U16_LEAD(c);
            seg->offset8[j] = start;
            seg->text16[j++] = U16_TRAIL(c);
        }
    }
    seg->offset8[j] = len;
    return j;
}

static int kind_of_status(int32_t status) {
    if (status >= UBRK_WORD_IDEO && status < UBRK_WORD_IDEO_LIMIT) return CICU_KIND_IDEO;
    if (status >= UBRK_WORD_KANA && status < UBRK_WORD_KANA_LIMIT) return CICU_KIND_KANA;
    if (status >= UBRK_WORD_LETTER && status < UBRK_WORD_LETTER_LIMIT) return CICU_KIND_LETTER;
    return CICU_KIND_NUMBER;
}

// True when NFKC_Casefold leaves these UTF-16 units unchanged: ASCII [a-z0-9_] or the CJK
// Unified Ideographs block U+4E00..U+9FFF (none of which has a compatibility mapping).
static int is_already_normal(const UChar *u, int32_t n) {
    for (int32_t k = 0; k < n; k++) {
        UChar c = u[k];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') continue;
        if (c >= 0x4E00 && c <= 0x9FFF) continue;
        return 0;
    }
    return 1;
}

// Cuts a UTF-8 string to at most CICU_MAX_TOKEN_BYTES at a character boundary.
static int32_t cap_utf8(const char *s, int32_t n) {
    if (n <= CICU_MAX_TOKEN_BYTES) return n;
    int32_t k = CICU_MAX_TOKEN_BYTES;
    while (k > 0 && U8_IS_TRAIL((uint8_t)s[k])) k--;
    return k;
}

typedef struct {
    void *ctx;
    cicu_token_fn fts;
    cicu_token_kind_fn kinds;
} sink;

static int run(cicu_segmenter *seg, const char *text, int32_t len, sink out) {
    if (len <= 0) return 0;
    int32_t len16 = load_text(seg, text, len);
    if (len16 < 0) return -1;
    UErrorCode status = U_ZERO_ERROR;
    ubrk_setText(seg->brk, seg->text16, len16, &status);
    if (U_FAILURE(status)) return -1;

    int32_t start = ubrk_first(seg->brk);
    for (int32_t end = ubrk_next(seg->brk); end != UBRK_DONE; start = end, end = ubrk_next(seg->brk)) {
        int32_t rule = ubrk_getRuleStatus(seg->brk);
        if (rule < UBRK_WORD_NONE_LIMIT) continue;  // spaces, punctuation, symbols

        const UChar *u = seg->text16 + start;
        int32_t n16 = end - start;
        int32_t b0 = seg->offset8[start], b1 = seg->offset8[end];
        const char *token;
        int32_t token_len;
        if (is_already_normal(u, n16)) {
            token = text + b0;  // the source bytes are already the normal form
            token_len = b1 - b0;
        } else {
            UErrorCode e = U_ZERO_ERROR;
            int32_t in16 = n16 > CICU_MAX_TOKEN_BYTES ? CICU_MAX_TOKEN_BYTES : n16;
            if (in16 < n16 && U16_IS_LEAD(u[in16 - 1])) in16--;
            int32_t nn = unorm2_normalize(seg->nfkc_cf, u, in16, seg->norm16,
                                          (int32_t)(sizeof(seg->norm16) / sizeof(UChar)), &e);
            if (e == U_BUFFER_OVERFLOW_ERROR) {
                // A rare expansion (e.g. U+FDFA): keep the segment as it is rather than fail.
                e = U_ZERO_ERROR;
                memcpy(seg->norm16, u, sizeof(UChar) * (size_t)in16);
                nn = in16;
            }
            if (U_FAILURE(e)) continue;
            int32_t n8 = 0;
            e = U_ZERO_ERROR;
            u_strToUTF8WithSub(seg->token8, (int32_t)sizeof(seg->token8), &n8, seg->norm16, nn,
                               0xFFFD, NULL, &e);
            if (U_FAILURE(e) && e != U_STRING_NOT_TERMINATED_WARNING) continue;
            token = seg->token8;
            token_len = n8;
        }
        token_len = cap_utf8(token, token_len);
        if (token_len <= 0) continue;
        int rc = out.fts != NULL ? out.fts(out.ctx, 0, token, token_len, b0, b1)
                                 : out.kinds(out.ctx, kind_of_status(rule), token, token_len, b0, b1);
        if (rc != 0) return rc;
    }
    return 0;
}

int cicu_segmenter_tokenize(cicu_segmenter *seg, const char *text, int32_t len, void *ctx, cicu_token_fn fn) {
    sink s = {ctx, fn, NULL};
    return run(seg, text, len, s);
}

int cicu_segmenter_tokenize_kinds(cicu_segmenter *seg, const char *text, int32_t len, void *ctx,
                                  cicu_token_kind_fn fn) {
    sink s = {ctx, NULL, fn};
    return run(seg, text, len, s);
}

char *cicu_normalize(const char *text, int32_t len, int32_t *out_len, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *n2 = unorm2_getNFKCCasefoldInstance(&e);
    if (U_FAILURE(e)) { *err = e; return NULL; }
    int32_t n16 = 0;
    u_strFromUTF8WithSub(NULL, 0, &n16, text, len, 0xFFFD, NULL, &e);
    if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e)) { *err = e; return NULL; }
    e = U_ZERO_ERROR;
    UChar *src = malloc(sizeof(UChar) * (size_t)(n16 + 1));
    if (src == NULL) { *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    u_strFromUTF8WithSub(src, n16 + 1, NULL, text, len, 0xFFFD, NULL, &e);
    // NFKC_Casefold can expand; 3x plus slack covers all but pathological input, retried below.
    int32_t cap = n16 * 3 + 16;
    UChar *dst = malloc(sizeof(UChar) * (size_t)cap);
    int32_t nn = dst ? unorm2_normalize(n2, src, n16, dst, cap, &e) : 0;
    if (dst != NULL && e == U_BUFFER_OVERFLOW_ERROR) {
        e = U_ZERO_ERROR;
        cap = nn + 1;
        free(dst);
        dst = malloc(sizeof(UChar) * (size_t)cap);
        nn = dst ? unorm2_normalize(n2, src, n16, dst, cap, &e) : 0;
    }
    free(src);
    if (dst == NULL) { *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    if (U_FAILURE(e)) { free(dst); *err = e; return NULL; }
    int32_t n8 = 0;
    u_strToUTF8WithSub(NULL, 0, &n8, dst, nn, 0xFFFD, NULL, &e);
    e = U_ZERO_ERROR;
    char *out = malloc((size_t)n8 + 1);
    if (out == NULL) { free(dst); *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    u_strToUTF8WithSub(out, n8 + 1, NULL, dst, nn, 0xFFFD, NULL, &e);
    free(dst);
    if (U_FAILURE(e)) { free(out); *err = e; return NULL; }
    *out_len = n8;
    *err = 0;
    return out;
}

const char *cicu_icu_version(void) {
    static char buf[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo v;
    u_getVersion(v);
    u_versionToString(v, buf);
    return buf;
}

const char *cicu_unicode_version(void) {
    static char buf[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo v;
    u_getUnicodeVersion(v);
    u_versionToString(v, buf);
    return buf;
}

int32_t cicu_detect_charsets(const char *bytes, int32_t len, char *names, int32_t name_cap,
                             int32_t *confidences, int32_t max, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    UCharsetDetector *det = ucsdet_open(&e);
    if (U_FAILURE(e)) { *err = e; return -1; }
    ucsdet_setText(det, bytes, len, &e);
    int32_t found = 0;
    const UCharsetMatch **matches = U_SUCCESS(e) ? ucsdet_detectAll(det, &found, &e) : NULL;
    int32_t n = 0;
    for (int32_t k = 0; U_SUCCESS(e) && matches != NULL && k < found && n < max; k++) {
        const char *name = ucsdet_getName(matches[k], &e);
        int32_t confidence = ucsdet_getConfidence(matches[k], &e);
        if (U_FAILURE(e) || name == NULL) break;
        char *slot = names + (size_t)n * (size_t)name_cap;
        strncpy(slot, name, (size_t)name_cap - 1);
        slot[name_cap - 1] = 0;
        confidences[n++] = confidence;
    }
    ucsdet_close(det);
    if (U_FAILURE(e)) { *err = e; return -1; }
    *err = 0;
    return n;
}

char *cicu_convert_to_utf8(const char *charset, const char *bytes, int32_t len,
                           int32_t *out_len, int32_t *substitutions, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(charset, &e);
    if (U_FAILURE(e)) { *err = e; return NULL; }
    // One input byte never yields more than two UTF-16 units.
    int32_t cap16 = len * 2 + 2;
    UChar *u = malloc(sizeof(UChar) * (size_t)cap16);
    if (u == NULL) { ucnv_close(cnv); *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    int32_t n16 = ucnv_toUChars(cnv, u, cap16, bytes, len, &e);
    ucnv_close(cnv);
    if (U_FAILURE(e)) { free(u); *err = e; return NULL; }
    int32_t subs = 0;
    for (int32_t k = 0; k < n16; k++) {
        if (u[k] == 0xFFFD || u[k] == 0x1A) subs++;
    }
    int32_t n8 = 0;
    u_strToUTF8WithSub(NULL, 0, &n8, u, n16, 0xFFFD, NULL, &e);
    e = U_ZERO_ERROR;
    char *out = malloc((size_t)n8 + 1);
    if (out == NULL) { free(u); *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    u_strToUTF8WithSub(out, n8 + 1, NULL, u, n16, 0xFFFD, NULL, &e);
    free(u);
    if (U_FAILURE(e)) { free(out); *err = e; return NULL; }
    *out_len = n8;
    *substitutions = subs;
    *err = 0;
    return out;
}

void cicu_free(void *ptr) { free(ptr); }

const char *cicu_error_name(int32_t err) { return u_errorName((UErrorCode)err); }
