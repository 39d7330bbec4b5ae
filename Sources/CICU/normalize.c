// normalize.c: NFKC_Casefold plus traditional→simplified folding, with a map back to the
// original UTF-8 bytes, so that segmentation runs on normalized text while every token keeps
// the offsets of what the document really says.
#include "cicu.h"
#include "mapped_text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

static int reserve(mapped_text *t, int32_t extra) {
    if (t->len + extra <= t->cap) return 0;
    int32_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + extra) cap *= 2;
    UChar *text = realloc(t->text, sizeof(UChar) * (size_t)cap);
    if (text == NULL) return -1;
    t->text = text;
    int32_t *s = realloc(t->start8, sizeof(int32_t) * (size_t)cap);
    if (s == NULL) return -1;
    t->start8 = s;
    int32_t *e = realloc(t->end8, sizeof(int32_t) * (size_t)cap);
    if (e == NULL) return -1;
    t->end8 = e;
    t->cap = cap;
    return 0;
}

static int append(mapped_text *t, UChar32 c, const uint16_t *fold, int32_t s8, int32_t e8) {
    if (fold != NULL && c < 0x10000 && fold[c] != 0) c = fold[c];
    if (reserve(t, 2) != 0) return -1;
    if (U_IS_BMP(c)) {
        t->text[t->len] = (UChar)c;
        t->start8[t->len] = s8;
        t->end8[t->len++] = e8;
    } else {
        t->text[t->len] = U16_LEAD(c);
        t->start8[t->len] = s8;
        t->end8[t->len++] = e8;
        t->text[t->len] = U16_TRAIL(c);
        t->start8[t->len] = s8;
        t->end8[t->len++] = e8;
    }
    return 0;
}

// MARK: Tables of ICU's answers for the BMP
//
// Normalizing a chunk through ICU (unorm2_normalize) costs far more than the table lookup a
// single code point needs, and Chinese text is full of code points that change alone: the
// full-width punctuation ，：（） becomes ASCII, the ideographic space a space. These tables hold,
// for each BMP code point, ICU's own answers, asked once per process: whether NFKC_Casefold has
// a boundary before it, and what it becomes when it is a chunk alone, when that is one BMP code
// point (0 otherwise: empty, several or supplementary, left to unorm2_normalize).

typedef struct {
    const UNormalizer2 *normalizer;  // the instance the tables describe
    uint8_t boundary[0x10000 / 8];   // bit set: unorm2_hasBoundaryBefore
    uint16_t single[0x10000];        // NFKC_Casefold of the code point alone, when one BMP unit
} bmp_tables;

static bmp_tables *tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *n2 = unorm2_getNFKCCasefoldInstance(&e);
    if (U_FAILURE(e)) return;
    bmp_tables *t = calloc(1, sizeof(bmp_tables));
    if (t == NULL) return;
    t->normalizer = n2;
    for (UChar32 c = 1; c < 0x10000; c++) {
        if (U16_IS_SURROGATE(c)) continue;
        if (unorm2_hasBoundaryBefore(n2, c)) t->boundary[c >> 3] |= (uint8_t)(1 << (c & 7));
        UChar in[1] = {(UChar)c}, out[8];
        UErrorCode f = U_ZERO_ERROR;
        int32_t n = unorm2_normalize(n2, in, 1, out, 8, &f);
        if (U_SUCCESS(f) && n == 1 && !U16_IS_SURROGATE(out[0]) && out[0] != 0) t->single[c] = out[0];
    }
    tables = t;
}

/// The tables when `nfkc_cf` is the instance they were asked of, else NULL.
static const bmp_tables *tables_for(const UNormalizer2 *nfkc_cf) {
    pthread_once(&tables_once, build_tables);
    return tables != NULL && tables->normalizer == nfkc_cf ? tables : NULL;
}

static int has_boundary_before(const bmp_tables *t, const UNormalizer2 *nfkc_cf, UChar32 c) {
    if (t != NULL && c < 0x10000 && !U16_IS_SURROGATE(c)) return (t->boundary[c >> 3] >> (c & 7)) & 1;
    return unorm2_hasBoundaryBefore(nfkc_cf, c);
}

int32_t mapped_char(const UNormalizer2 *nfkc_cf, const uint16_t *fold, int32_t c) {
    const bmp_tables *t = tables_for(nfkc_cf);
    if (c == 0) c = 0x20;
    if (t == NULL || c < 0 || c >= 0x10000 || U16_IS_SURROGATE(c) || t->single[c] == 0) return -1;
    if (!((t->boundary[c >> 3] >> (c & 7)) & 1)) return -1;
    uint16_t m = t->single[c];
    return fold != NULL && fold[m] != 0 ? fold[m] : m;
}

int mapped_text_load(mapped_text *out, const UNormalizer2 *nfkc_cf, const uint16_t *fold,
                     const char *utf8, int32_t len) {
    const uint8_t *s = (const uint8_t *)utf8;
    out->len = 0;
    if (reserve(out, len + 1) != 0) return -1;
    const bmp_tables *t = tables_for(nfkc_cf);
    UChar chunk[64], normalized[256];
    int32_t i = 0;
    while (i < len) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT_OR_FFFD(s, i, len, c);
        if (c == 0) c = 0x20;
        // A chunk is a code point plus the code points after it that normalization may combine
        // with it (no normalization boundary before them).
        int32_t end = i;
        if (t != NULL && c < 0x10000 && t->single[c] != 0) {
            // A chunk of one code point (the next one has a boundary before it): ICU's answer
            // for it alone, from the table.
            int alone = end >= len;
            if (!alone) {
                int32_t k = end;
                UChar32 d;
                U8_NEXT_OR_FFFD(s, k, len, d);
                alone = has_boundary_before(t, nfkc_cf, d);
            }
            if (alone) {
                if (append(out, t->single[c], fold, start, end) != 0) return -1;
                continue;
            }
        }
        int simple = !u_hasBinaryProperty(c, UCHAR_CHANGES_WHEN_NFKC_CASEFOLDED);
        while (end < len) {
            int32_t k = end;
            UChar32 d;
            U8_NEXT_OR_FFFD(s, k, len, d);
            if (has_boundary_before(t, nfkc_cf, d)) break;
            end = k;
            simple = 0;
        }
        if (simple) {
            if (append(out, c, fold, start, end) != 0) return -1;
            i = end;
            continue;
        }
        UErrorCode e = U_ZERO_ERROR;
        int32_t n16 = 0;
        u_strFromUTF8WithSub(chunk, 64, &n16, utf8 + start, end - start, 0xFFFD, NULL, &e);
        if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) e = U_ZERO_ERROR;
        if (n16 > 64) n16 = 64;  // an absurd run of combining marks: normalize its start
        int32_t nn = U_SUCCESS(e) ? unorm2_normalize(nfkc_cf, chunk, n16, normalized, 256, &e) : 0;
        if (U_FAILURE(e)) {
            // Keep the chunk as it was rather than lose text.
            memcpy(normalized, chunk, sizeof(UChar) * (size_t)n16);
            nn = n16;
        }
        for (int32_t k = 0; k < nn;) {
            UChar32 d;
            U16_NEXT(normalized, k, nn, d);
            if (append(out, d, fold, start, end) != 0) return -1;
        }
        i = end;
    }
    if (reserve(out, 1) != 0) return -1;
    // Sentinel so that end8[len - 1] and start8[len] are always readable.
    out->start8[out->len] = len;
    out->end8[out->len] = len;
    return 0;
}

void mapped_text_shrink(mapped_text *t, int32_t max_units) {
    if (t->cap > max_units) {
        mapped_text_free(t);
        t->text = NULL;
        t->start8 = t->end8 = NULL;
        t->len = t->cap = 0;
    }
}

void mapped_text_free(mapped_text *t) {
    free(t->text);
    free(t->start8);
    free(t->end8);
    memset(t, 0, sizeof(*t));
}

// MARK: Traditional → simplified

static uint16_t *fold_table;
static int32_t fold_size;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void build_fold_table(void) {
    UErrorCode e = U_ZERO_ERROR;
    static const UChar id[] = u"Traditional-Simplified";
    UTransliterator *t = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
    if (U_FAILURE(e)) return;
    uint16_t *table = calloc(0x10000, sizeof(uint16_t));
    if (table == NULL) { utrans_close(t); return; }
    static const UChar32 ranges[][2] = {{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}};
    for (int r = 0; r < 2; r++) {
        for (UChar32 c = ranges[r][0]; c <= ranges[r][1]; c++) {
            UChar buf[8] = {(UChar)c};
            int32_t length = 1, limit = 1;
            e = U_ZERO_ERROR;
            utrans_transUChars(t, buf, &length, 8, 0, &limit, &e);
            if (U_SUCCESS(e) && length == 1 && buf[0] != c) {
                table[c] = buf[0];
                fold_size++;
            }
        }
    }
    utrans_close(t);
    fold_table = table;
}

const uint16_t *script_fold_table(void) {
    pthread_once(&fold_once, build_fold_table);
    return fold_table;
}

int32_t cicu_script_fold_size(void) {
    script_fold_table();
    return fold_size;
}

char *cicu_normalize(const char *text, int32_t len, int32_t options, int32_t *out_len, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *n2 = unorm2_getNFKCCasefoldInstance(&e);
    if (U_FAILURE(e)) { *err = e; return NULL; }
    const uint16_t *fold = (options & CICU_OPTION_NO_SCRIPT_FOLD) ? NULL : script_fold_table();
    mapped_text t = {0};
    if (mapped_text_load(&t, n2, fold, text, len) != 0) {
        mapped_text_free(&t);
        *err = U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    int32_t n8 = 0;
    u_strToUTF8WithSub(NULL, 0, &n8, t.text, t.len, 0xFFFD, NULL, &e);
    e = U_ZERO_ERROR;
    char *out = malloc((size_t)n8 + 1);
    if (out != NULL) u_strToUTF8WithSub(out, n8 + 1, NULL, t.text, t.len, 0xFFFD, NULL, &e);
    mapped_text_free(&t);
    if (out == NULL) { *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    if (U_FAILURE(e)) { free(out); *err = e; return NULL; }
    *out_len = n8;
    *err = 0;
    return out;
}

char *cicu_normalize_reference(const char *text, int32_t len, int32_t *out_len, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *n2 = unorm2_getNFKCCasefoldInstance(&e);
    int32_t n16 = 0;
    if (U_SUCCESS(e)) u_strFromUTF8WithSub(NULL, 0, &n16, text, len, 0xFFFD, NULL, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) e = U_ZERO_ERROR;
    UChar *in = U_SUCCESS(e) ? malloc(sizeof(UChar) * ((size_t)n16 + 1)) : NULL;
    int32_t cap = 4 * n16 + 16;
    UChar *norm = in != NULL ? malloc(sizeof(UChar) * (size_t)cap) : NULL;
    char *out = NULL;
    if (norm != NULL) {
        u_strFromUTF8WithSub(in, n16 + 1, NULL, text, len, 0xFFFD, NULL, &e);
        for (int32_t k = 0; k < n16; k++) if (in[k] == 0) in[k] = 0x20;  // as mapped_text_load does
        int32_t nn = unorm2_normalize(n2, in, n16, norm, cap, &e);
        int32_t n8 = 0;
        if (U_SUCCESS(e)) u_strToUTF8WithSub(NULL, 0, &n8, norm, nn, 0xFFFD, NULL, &e);
        if (e == U_BUFFER_OVERFLOW_ERROR) e = U_ZERO_ERROR;
        if (U_SUCCESS(e) && (out = malloc((size_t)n8 + 1)) != NULL) {
            u_strToUTF8WithSub(out, n8 + 1, NULL, norm, nn, 0xFFFD, NULL, &e);
            *out_len = n8;
        }
    }
    free(in);
    free(norm);
    if (U_FAILURE(e)) { free(out); *err = e; return NULL; }
    if (out == NULL) { *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    *err = 0;
    return out;
}
