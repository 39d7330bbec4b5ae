// highlight.c: marks where query terms occur in a document text. See cicu.h.
#include "cicu.h"
#include "mapped_text.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

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
    int32_t base;                // UTF-8 offset of the span being tokenized in the whole text
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
    slot->start = start + m->base;
    slot->end = end + m->base;
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

// MARK: Skipping sentences no term can touch
//
// Tokenizing a body costs about 50 ns per character, and a snippet needs every occurrence in
// it. Most sentences of a hit's body hold no character of any query term: they are skipped.
// The text is cut into segments after each line feed and each 。 (U+3002): neither joins the
// characters around it into one token. A segment is skipped when no character in it can become
// (after NFKC_Casefold and traditional→simplified folding, as the tokenizer sees it) a
// character of a term token, and it holds a character that is certain to be a token of its own
// or part of one (Han, ASCII letter or digit). A term occurrence is at consecutive positions,
// so one that reached into a skipped segment would need that token; none can, and the matcher
// forgets the positions before a skipped segment (ring_break). Kept segments next to each other
// are tokenized as one span. HighlightPrefilterTests checks the ranges against whole-text
// highlighting on random texts and terms.

typedef struct {
    uint8_t bmp[0x10000 / 8];  // bit set: a term token has this code point
} term_chars;

static void term_chars_add(term_chars *set, const char *terms, int32_t terms_len) {
    int32_t i = 0;
    while (i < terms_len) {
        UChar32 c;
        U8_NEXT_OR_FFFD((const uint8_t *)terms, i, terms_len, c);
        if (c > 0 && c < 0x10000) set->bmp[c >> 3] |= (uint8_t)(1 << (c & 7));
    }
}

static int certain_token(UChar32 c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
}

// Forgets the positions seen: no term occurrence spans what was skipped.
static void ring_break(matcher *m) {
    for (long k = 0; k < m->ring_size; k++) m->ring[k].count = m->ring[k].used = 0;
    m->count += m->ring_size + 1;
}

// Tokenizes the kept segments of `text` (see above), span by span.
static int highlight_spans(matcher *m, cicu_segmenter *seg, const char *text, int32_t len) {
    term_chars *set = calloc(1, sizeof(term_chars));
    if (set == NULL) return -1;
    term_chars_add(set, m->terms, m->terms_len);
    const UNormalizer2 *nfkc_cf;
    const uint16_t *fold;
    segmenter_normalization(seg, &nfkc_cf, &fold);
    const uint8_t *s = (const uint8_t *)text;
    int32_t span = -1;  // start of the kept span being gathered, or -1
    int skipped = 0;    // a segment was skipped since the last span was tokenized
    int rc = 0;
    int32_t i = 0;
    while (i < len && rc == 0) {
        int32_t start = i;
        int candidate = 0, certain = 0;
        while (i < len) {
            UChar32 c;
            U8_NEXT_OR_FFFD(s, i, len, c);
            if (!candidate) {
                // A code point above the BMP may become one below it (𝐀 becomes a): a candidate.
                int32_t mc = c >= 0x10000 ? -1 : mapped_char(nfkc_cf, fold, c);
                if (mc == -1 || ((set->bmp[mc >> 3] >> (mc & 7)) & 1)) candidate = 1;
                if (!certain) certain = certain_token(c);
            }
            if (c == '\n' || c == 0x3002) break;
        }
        if (candidate || !certain) {
            if (span < 0) span = start;
            continue;
        }
        // Skip [start, i): tokenize the span gathered before it.
        if (span >= 0) {
            if (skipped) ring_break(m);
            m->base = span;
            rc = cicu_segmenter_tokenize(seg, text + span, start - span, CICU_PURPOSE_POSITIONS, m, on_token);
            span = -1;
        }
        skipped = 1;
    }
    if (rc == 0 && span >= 0) {
        if (skipped) ring_break(m);
        m->base = span;
        rc = cicu_segmenter_tokenize(seg, text + span, len - span, CICU_PURPOSE_POSITIONS, m, on_token);
    }
    free(set);
    return rc;
}

int cicu_highlight(cicu_segmenter *seg, const char *text, int32_t len, const char *terms, int32_t terms_len,
                   const int32_t *term_tokens, const int32_t *term_prefix, int32_t term_count, void *ctx,
                   cicu_range_fn fn) {
    return cicu_highlight_with(seg, text, len, terms, terms_len, term_tokens, term_prefix, term_count, ctx, fn, 1);
}

int cicu_highlight_with(cicu_segmenter *seg, const char *text, int32_t len, const char *terms, int32_t terms_len,
                        const int32_t *term_tokens, const int32_t *term_prefix, int32_t term_count, void *ctx,
                        cicu_range_fn fn, int skip_sentences) {
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
    matcher m = {terms, terms_len, term_tokens, term_prefix, term_count, lengths, 0, NULL, longest, 0, LONG_TERM_STEPS, ctx, fn};
    m.ring = malloc(sizeof(seen_position) * (size_t)longest);
    if (m.ring == NULL) {
        free(lengths);
        return -1;
    }
    int rc = skip_sentences ? highlight_spans(&m, seg, text, len)
                            : cicu_segmenter_tokenize(seg, text, len, CICU_PURPOSE_POSITIONS, &m, on_token);
    free(m.ring);
    free(lengths);
    return rc;
}
