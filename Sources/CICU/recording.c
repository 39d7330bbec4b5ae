// recording.c: tokens recorded on one thread, replayed on another. See cicu.h.
#include "cicu.h"

#include <stdlib.h>
#include <string.h>

struct cicu_recording {
    char *text;        // a copy of the tokenized text, to verify a replay is for the same bytes
    int32_t text_len;
    uint8_t *data;     // records: flags (1), token_len (1), start (4), end (4), token bytes
    size_t len, cap;
};

static int append(cicu_recording *r, const void *bytes, size_t n) {
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4096;
        while (cap < r->len + n) cap *= 2;
        uint8_t *data = realloc(r->data, cap);
        if (data == NULL) return -1;
        r->data = data;
        r->cap = cap;
    }
    memcpy(r->data + r->len, bytes, n);
    r->len += n;
    return 0;
}

static int record_token(void *ctx, int flags, const char *token, int token_len, int start, int end) {
    cicu_recording *r = ctx;
    // Tokens are at most CICU_MAX_TOKEN_BYTES (128) long, so one byte holds the length.
    uint8_t head[2] = {(uint8_t)flags, (uint8_t)token_len};
    int32_t offsets[2] = {start, end};
    if (append(r, head, 2) || append(r, offsets, sizeof offsets) || append(r, token, (size_t)token_len)) return -1;
    return 0;
}

void cicu_recording_free(cicu_recording *r) {
    if (r == NULL) return;
    free(r->text);
    free(r->data);
    free(r);
}

cicu_recording *cicu_record(cicu_segmenter *seg, const char *text, int32_t len, int32_t *err) {
    cicu_recording *r = calloc(1, sizeof(cicu_recording));
    if (r == NULL || (r->text = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
        cicu_recording_free(r);
        *err = -1;
        return NULL;
    }
    if (len > 0) memcpy(r->text, text, (size_t)len);
    r->text_len = len;
    int rc = cicu_segmenter_tokenize(seg, text, len, CICU_PURPOSE_DOCUMENT, r, record_token);
    if (rc != 0) {
        cicu_recording_free(r);
        *err = rc;
        return NULL;
    }
    *err = 0;
    return r;
}

int cicu_recording_matches(const cicu_recording *r, const char *text, int32_t len) {
    return r->text_len == len && (len == 0 || memcmp(r->text, text, (size_t)len) == 0);
}

int cicu_replay(const cicu_recording *r, void *ctx, cicu_token_fn fn) {
    size_t at = 0;
    while (at + 10 <= r->len) {
        int flags = r->data[at], token_len = r->data[at + 1];
        int32_t offsets[2];
        memcpy(offsets, r->data + at + 2, sizeof offsets);
        int rc = fn(ctx, flags, (const char *)r->data + at + 10, token_len, offsets[0], offsets[1]);
        if (rc != 0) return rc;
        at += 10 + (size_t)token_len;
    }
    return 0;
}

size_t cicu_recording_bytes(const cicu_recording *r) { return r->len + (size_t)r->text_len; }

uint64_t cicu_text_hash(const char *text, int32_t len) {
    // FNV-1a over 8-byte words, then a final mix: fast, and only a lookup key (matches are
    // verified byte for byte).
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)len;
    int32_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    for (; i < len; i++) h = (h ^ (uint8_t)text[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}
