// highlight.c: marks where query terms occur in a document text. See cicu.h.
#include "cicu.h"

#include <stdlib.h>
#include <string.h>

// The last token positions seen, as many as the longest term has tokens (a term may be as long
// as the query), and the tokens kept at each: the token and its colocated alternatives (the
// case pieces of a letter part; segmenter.c emits at most 20 of them), their texts in `bytes`.
#define ALTERNATIVES 24
// Terms of up to SHORT_TERM tokens are always compared (as many steps per token at most). Longer
// ones share a budget of comparison steps per call, so that a phrase of hundreds of the same
// character over a text of that character stays bounded; once it is spent they are no longer
// highlighted in this text.
#define SHORT_TERM 64
#define LONG_TERM_STEPS 1000000L

typedef struct {
    int32_t off, len, start, end;
} seen_token;

typedef struct {
    seen_token alt[ALTERNATIVES];
    int32_t count, used;
    char bytes[1024];
} seen_position;

typedef struct {
    const char *terms;           // every term's tokens, NUL-terminated, one term after another
    int32_t terms_len;
    const int32_t *term_tokens;  // tokens per term
    const int32_t *term_prefix;  // CICU_HIGHLIGHT_* for the term's last token
    int32_t term_count;
    const int32_t *token_len;    // the byte length of each term's each token, in order
    seen_position *ring;
    long ring_size;
    long count;                  // positions seen
    long long_steps;             // comparison steps left for terms longer than SHORT_TERM
    void *ctx;
    cicu_range_fn fn;
} matcher;

static int token_equals(const seen_position *p, const seen_token *t, const char *want, int want_len, int prefix) {
    if (prefix) return t->len >= want_len && memcmp(p->bytes + t->off, want, (size_t)want_len) == 0;
    return t->len == want_len && memcmp(p->bytes + t->off, want, (size_t)want_len) == 0;
}

// The token at `position` that equals `want`, or NULL.
static const seen_token *find(const matcher *m, long position, const char *want, int want_len) {
    const seen_position *p = &m->ring[position % m->ring_size];
    for (int a = 0; a < p->count; a++) {
        if (token_equals(p, &p->alt[a], want, want_len, 0)) return &p->alt[a];
    }
    return NULL;
}

static int on_token(void *ctx, int flags, const char *token, int token_len, int start, int end) {
    matcher *m = ctx;
    if (!(flags & CICU_FLAG_COLOCATED) || m->count == 0) {
        m->count++;
        m->ring[(m->count - 1) % m->ring_size].count = 0;
        m->ring[(m->count - 1) % m->ring_size].used = 0;
    }
    seen_position *here = &m->ring[(m->count - 1) % m->ring_size];
    if (token_len > CICU_MAX_TOKEN_BYTES) token_len = CICU_MAX_TOKEN_BYTES;
    // Alternatives beyond the room are dropped (only a pathological run has that many).
    if (here->count == ALTERNATIVES || here->used + token_len > (int32_t)sizeof here->bytes) return 0;
    seen_token *slot = &here->alt[here->count++];
    memcpy(here->bytes + here->used, token, (size_t)token_len);
    slot->off = here->used;
    here->used += token_len;
    slot->len = token_len;
    slot->start = start;
    slot->end = end;
    // Does some term end with this token? Earlier positions may match with any of their tokens.
    const char *p = m->terms;
    const int32_t *lengths = m->token_len;
    for (int32_t t = 0; t < m->term_count; t++) {
        int32_t n = m->term_tokens[t];
        int mode = m->term_prefix[t];
        int match = n > 0 && n <= m->ring_size && m->count >= n && (n <= SHORT_TERM || m->long_steps > 0);
        const seen_token *first = NULL;
        int last_end = slot->end;
        const char *q = p;
        for (int32_t k = 0; k < n; k++) {
            int len = *lengths++;
            if (match && k < n - 1) {
                if (n > SHORT_TERM) m->long_steps--;
                const seen_token *s = find(m, m->count - n + k, q, len);
                match = s != NULL;
                if (k == 0) first = s;
            } else if (match) {
                match = token_equals(here, slot, q, len, mode != CICU_HIGHLIGHT_EXACT);
                if (n == 1) first = slot;
                // A digit prefix marks the digits it covers when the token is ASCII digits as
                // written (else, full-width digits or marks, the whole token).
                if (match && mode == CICU_HIGHLIGHT_DIGITS && slot->end - slot->start == slot->len) {
                    int ascii = 1;
                    for (int32_t b = 0; b < slot->len && ascii; b++) ascii = here->bytes[slot->off + b] >= '0' && here->bytes[slot->off + b] <= '9';
                    if (ascii) last_end = slot->start + len;
                }
            }
            q += len + 1;
        }
        if (match) {
            int rc = m->fn(m->ctx, first->start, last_end);
            if (rc != 0) return rc;
        }
        p = q;
    }
    return 0;
}

int cicu_highlight(cicu_segmenter *seg, const char *text, int32_t len, const char *terms, int32_t terms_len,
                   const int32_t *term_tokens, const int32_t *term_prefix, int32_t term_count, void *ctx,
                   cicu_range_fn fn) {
    long longest = 1;
    for (int32_t t = 0; t < term_count; t++) {
        if (term_tokens[t] > longest) longest = term_tokens[t];
    }
    // Token lengths, measured once rather than for every token of the text.
    long total = 0;
    for (int32_t t = 0; t < term_count; t++) total += term_tokens[t] > 0 ? term_tokens[t] : 0;
    int32_t *lengths = malloc(sizeof(int32_t) * (size_t)(total + 1));
    if (lengths == NULL) return -1;
    const char *q = terms;
    long k = 0;
    for (int32_t t = 0; t < term_count; t++) {
        for (int32_t j = 0; j < term_tokens[t]; j++) {
            size_t n = strlen(q);
            lengths[k++] = (int32_t)n;
            q += n + 1;
        }
    }
    matcher m = {terms, terms_len, term_tokens, term_prefix, term_count, lengths, NULL, longest, 0, LONG_TERM_STEPS, ctx, fn};
    m.ring = malloc(sizeof(seen_position) * (size_t)longest);
    if (m.ring == NULL) {
        free(lengths);
        return -1;
    }
    int rc = cicu_segmenter_tokenize(seg, text, len, CICU_PURPOSE_POSITIONS, &m, on_token);
    free(m.ring);
    free(lengths);
    return rc;
}
