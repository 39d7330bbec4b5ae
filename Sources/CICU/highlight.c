// highlight.c: marks where query terms occur in a document text. See cicu.h.
#include "cicu.h"

#include <stdlib.h>
#include <string.h>

// The last tokens seen, for comparing multi-token terms.
#define RING 64

typedef struct {
    char text[CICU_MAX_TOKEN_BYTES * 4 + 8];
    int len, start, end;
} seen_token;

typedef struct {
    const char *terms;           // NUL-separated tokens, an empty string ending each term
    int32_t terms_len;
    const int32_t *term_tokens;  // tokens per term
    const int32_t *term_prefix;  // 1: the term's last token is a prefix
    int32_t term_count;
    seen_token *ring;
    long count;                  // tokens seen
    void *ctx;
    cicu_range_fn fn;
    int rc;
} matcher;

static int token_equals(const seen_token *t, const char *want, int want_len, int prefix) {
    if (prefix) return t->len >= want_len && memcmp(t->text, want, (size_t)want_len) == 0;
    return t->len == want_len && memcmp(t->text, want, (size_t)want_len) == 0;
}

static int on_token(void *ctx, int flags, const char *token, int token_len, int start, int end) {
    (void)flags;
    matcher *m = ctx;
    seen_token *slot = &m->ring[m->count % RING];
    if (token_len > (int)sizeof(slot->text)) token_len = (int)sizeof(slot->text);
    memcpy(slot->text, token, (size_t)token_len);
    slot->len = token_len;
    slot->start = start;
    slot->end = end;
    m->count++;
    // Does some term end at this token?
    const char *p = m->terms;
    for (int32_t t = 0; t < m->term_count; t++) {
        int32_t n = m->term_tokens[t];
        const char *first = p;
        // Skip to the next term while checking this one.
        int match = n > 0 && n <= RING && m->count >= n;
        const char *q = first;
        for (int32_t k = 0; k < n; k++) {
            int len = (int)strlen(q);
            if (match) {
                const seen_token *s = &m->ring[(m->count - n + k) % RING];
                match = token_equals(s, q, len, m->term_prefix[t] && k == n - 1);
            }
            q += len + 1;
        }
        if (match) {
            const seen_token *s0 = &m->ring[(m->count - n) % RING];
            int rc = m->fn(m->ctx, s0->start, end);
            if (rc != 0) return rc;
        }
        p = q;
    }
    return 0;
}

int cicu_highlight(cicu_segmenter *seg, const char *text, int32_t len, const char *terms, int32_t terms_len,
                   const int32_t *term_tokens, const int32_t *term_prefix, int32_t term_count, void *ctx,
                   cicu_range_fn fn) {
    (void)terms_len;
    matcher m = {terms, terms_len, term_tokens, term_prefix, term_count, NULL, 0, ctx, fn, 0};
    m.ring = malloc(sizeof(seen_token) * RING);
    if (m.ring == NULL) return -1;
    int rc = cicu_segmenter_tokenize(seg, text, len, CICU_PURPOSE_POSITIONS, &m, on_token);
    free(m.ring);
    return rc;
}
