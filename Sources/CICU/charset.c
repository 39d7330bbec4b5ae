// charset.c: charset detection (ucsdet) and conversion (ucnv). See cicu.h.
#include "cicu.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/uscript.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>

int32_t cicu_detect_charsets(const char *bytes, int32_t len, char *names, int32_t name_cap,
                             int32_t *confidences, int32_t max, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    UCharsetDetector *det = ucsdet_open(&e);
    if (U_FAILURE(e)) { *err = e; return -1; }
    // The detector's n-gram statistics settle within a few KB; the first 16 KB decide, so that
    // detection costs the same for a 10 MB file as for a 16 KB one.
    ucsdet_setText(det, bytes, len < 16384 ? len : 16384, &e);
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

static int east_asian_wide(int32_t c) {
    int32_t w = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
    if (w != U_EA_FULLWIDTH && w != U_EA_WIDE && w != U_EA_HALFWIDTH) return 0;
    UErrorCode e = U_ZERO_ERROR;
    return uscript_getScript(c, &e) != USCRIPT_HANGUL;
}

int cicu_segment_break_removable(int32_t before, int32_t after) {
    if (before == 0x200B || after == 0x200B) return 1;
    return east_asian_wide(before) && east_asian_wide(after);
}
