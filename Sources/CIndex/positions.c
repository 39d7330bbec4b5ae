// positions.c: where the blocks of a stored text start, in FTS5 token positions. See cindex.h.
#include "cindex.h"

enum { COLOCATED = 1 };  // FTS5_TOKEN_COLOCATED

int cindex_block_positions_token(void *self, int flags, const char *token, int len, int start, int end) {
    cindex_block_positions *p = self;
    // FTS5 numbers a column's tokens from 0; a colocated token shares the position before it.
    if (!(flags & COLOCATED) || p->position < 0) p->position++;
    while (p->filled < p->count && (int64_t)start >= (int64_t)p->filled * CINDEX_POSITION_STRIDE) {
        p->positions[p->filled++] = p->position > INT32_MAX ? INT32_MAX : (int32_t)p->position;
    }
    return p->callback(p->context, flags, token, len, start, end);
}

void cindex_block_positions_finish(cindex_block_positions *p) {
    int64_t after = p->position + 1;
    while (p->filled < p->count) p->positions[p->filled++] = after > INT32_MAX ? INT32_MAX : (int32_t)after;
}
