// mapped_text.h (private): normalized UTF-16 text that remembers where each unit came from.
#ifndef CICU_MAPPED_TEXT_H
#define CICU_MAPPED_TEXT_H

#include <stdint.h>
#include <unicode/unorm2.h>

/// Normalized UTF-16 text. Unit i came from the original UTF-8 bytes [start8[i], end8[i]): the
/// normalization chunk (a code point with any combining marks after it) that produced it.
typedef struct {
    UChar *text;
    int32_t *start8;
    int32_t *end8;
    int32_t len;
    int32_t cap;
} mapped_text;

/// Decodes `len` bytes of UTF-8 (invalid sequences read as U+FFFD, NUL as a space), normalizes
/// with `nfkc_cf` and maps each code point through `fold` (a BMP table, 0 = unchanged; may be
/// NULL). Returns 0, or -1 when memory or ICU fails.
int mapped_text_load(mapped_text *out, const UNormalizer2 *nfkc_cf, const uint16_t *fold,
                     const char *utf8, int32_t len);

void mapped_text_free(mapped_text *t);

/// What code point `c` becomes in mapped_text_load's output when it stands alone (the next code
/// point has a normalization boundary before it): NFKC_Casefold by `nfkc_cf`, then `fold`. -1
/// when that is not one BMP code point, or when `c` has no boundary before it (it may change
/// the code point before it): the caller must then assume any outcome.
int32_t mapped_char(const UNormalizer2 *nfkc_cf, const uint16_t *fold, int32_t c);

struct cicu_segmenter;
/// The normalizer and traditional→simplified table `seg` tokenizes with (`fold` may be NULL).
void segmenter_normalization(struct cicu_segmenter *seg, const UNormalizer2 **nfkc_cf, const uint16_t **fold);

/// Frees the buffers when they hold room for more than `max_units` units (a large text was
/// loaded), so that a long-lived segmenter does not keep them.
void mapped_text_shrink(mapped_text *t, int32_t max_units);

/// The traditional→simplified table (65,536 entries, 0 = no change), built once per process from
/// ICU's "Traditional-Simplified" transform. NULL if ICU could not open the transform.
const uint16_t *script_fold_table(void);

#endif
