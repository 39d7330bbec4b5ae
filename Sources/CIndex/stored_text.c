// stored_text.c: document text stored compressed, and the SQL function that reads it back.
// See cindex.h.
#include "cindex.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <zlib.h>

#include "deflate_dictionary.h"

// TAG_DEFLATE_DICT is TAG_DEFLATE with zlib's preset dictionary `deflate_dictionary` (frequent
// pairs of Han characters and CJK punctuation): 12–13% smaller bodies on the small and medium
// corpora, whose documents are a few KiB. Values written before it keep TAG_DEFLATE.
enum { TAG_PLAIN = 0, TAG_DEFLATE = 1, TAG_BLOCKS = 2, TAG_DEFLATE_DICT = 3 };

// With the dictionary, level 6 searches many more candidate matches per byte: 2.5× the time of
// level 6 without it, for 13.4% less; level 4 takes 1.3× the time for 11.5% less (5,000 medium
// bodies).
enum { DICTIONARY_LEVEL = 4 };

static const Bytef *dictionary(void) { return (const Bytef *)deflate_dictionary; }
static uInt dictionary_length(void) { return (uInt)(sizeof deflate_dictionary - 1); }

// Deflates `len` bytes of `text` with the preset dictionary into `out` (`*written` bytes of
// room; set to the stream's length). Returns 0, or -1 when zlib fails or the room is short.
static int deflate_with_dictionary(const char *text, uLong len, Bytef *out, uLongf *written) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit(&z, DICTIONARY_LEVEL) != Z_OK) return -1;
    int ok = deflateSetDictionary(&z, dictionary(), dictionary_length()) == Z_OK;
    if (ok) {
        z.next_in = (Bytef *)text;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)*written;
        ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
        *written = z.total_out;
    }
    deflateEnd(&z);
    return ok ? 0 : -1;
}

// Inflates the first `want` bytes of the zlib stream `in` (`n` bytes) into `out`, supplying the
// preset dictionary when the stream names it (by its Adler-32, which zlib checks) and
// `with_dictionary` is set. Returns 0 when `want` bytes came out, else -1 (damaged).
static int inflate_prefix(const unsigned char *in, size_t n, char *out, uint32_t want, int with_dictionary) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = want;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT && with_dictionary && inflateSetDictionary(&z, dictionary(), dictionary_length()) == Z_OK) {
        rc = inflate(&z, Z_SYNC_FLUSH);
    }
    int ok = (rc == Z_OK || rc == Z_STREAM_END || (rc == Z_BUF_ERROR && z.avail_out == 0)) && z.total_out == want;
    inflateEnd(&z);
    return ok ? 0 : -1;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = v & 0xFF;
    p[1] = (v >> 8) & 0xFF;
    p[2] = (v >> 16) & 0xFF;
    p[3] = (v >> 24) & 0xFF;
}

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// TAG_BLOCKS: tag, length (u32), block count n (u32), n + 1 offsets (u32) of each block's zlib
// stream from the start of the data, then the streams. Block k holds text bytes
// [k * CINDEX_BLOCK_BYTES, (k + 1) * CINDEX_BLOCK_BYTES).
static unsigned char *store_blocks(const char *text, int32_t len, int32_t *out_len) {
    uint32_t n = (uint32_t)((len + CINDEX_BLOCK_BYTES - 1) / CINDEX_BLOCK_BYTES);
    size_t header = 9 + 4 * ((size_t)n + 1);
    size_t cap = header + compressBound((uLong)len) + 64 * (size_t)n;
    unsigned char *out = malloc(cap);
    if (out == NULL) return NULL;
    out[0] = TAG_BLOCKS;
    put32(out + 1, (uint32_t)len);
    put32(out + 5, n);
    size_t at = header;
    for (uint32_t k = 0; k < n; k++) {
        put32(out + 9 + 4 * k, (uint32_t)(at - header));
        uint32_t from = k * CINDEX_BLOCK_BYTES;
        uint32_t size = (uint32_t)len - from < CINDEX_BLOCK_BYTES ? (uint32_t)len - from : CINDEX_BLOCK_BYTES;
        uLongf written = (uLongf)(cap - at);
        if (compress2(out + at, &written, (const Bytef *)text + from, size, CINDEX_COMPRESS_LEVEL) != Z_OK) {
            free(out);
            return NULL;
        }
        at += written;
    }
    put32(out + 9 + 4 * n, (uint32_t)(at - header));
    *out_len = (int32_t)at;
    return out;
}

unsigned char *cindex_store_text(const char *text, int32_t len, int32_t *out_len) {
    if (len < 0) return NULL;
    if (len >= CINDEX_BLOCKS_MIN) return store_blocks(text, len, out_len);
    if (len < CINDEX_COMPRESS_MIN) {
        unsigned char *out = malloc((size_t)len + 1);
        if (out == NULL) return NULL;
        out[0] = TAG_PLAIN;
        memcpy(out + 1, text, (size_t)len);
        *out_len = len + 1;
        return out;
    }
    uLongf bound = compressBound((uLong)len);
    unsigned char *out = malloc(bound + 5);
    if (out == NULL) return NULL;
    out[0] = TAG_DEFLATE_DICT;
    uint32_t n = (uint32_t)len;
    out[1] = n & 0xFF;
    out[2] = (n >> 8) & 0xFF;
    out[3] = (n >> 16) & 0xFF;
    out[4] = (n >> 24) & 0xFF;
    uLongf written = bound;
    if (deflate_with_dictionary(text, (uLong)len, out + 5, &written) != 0) {
        free(out);
        return NULL;
    }
    *out_len = (int32_t)written + 5;
    return out;
}

void cindex_free(void *p) { free(p); }

static void damaged(sqlite3_context *ctx) {
    sqlite3_result_error(ctx, "jiansuo_text: damaged stored text", -1);
    sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
}

// Bytes [from, to) of a TAG_BLOCKS value of `n` bytes, into `out` (to - from bytes): only the
// blocks that hold them are inflated. Returns 0, or -1 when the value is damaged.
static int blocks_range(const unsigned char *blob, int n, uint32_t len, uint32_t from, uint32_t to, char *out) {
    if (n < 9) return -1;
    uint32_t count = get32(blob + 5);
    if (count != (len + CINDEX_BLOCK_BYTES - 1) / CINDEX_BLOCK_BYTES) return -1;
    size_t header = 9 + 4 * ((size_t)count + 1);
    if ((size_t)n < header) return -1;
    size_t data = (size_t)n - header;
    char *block = NULL;
    for (uint32_t k = from / CINDEX_BLOCK_BYTES; from < to; k++) {
        uint32_t a = get32(blob + 9 + 4 * k), b = get32(blob + 13 + 4 * k);
        uint32_t start = k * CINDEX_BLOCK_BYTES;
        uint32_t size = len - start < CINDEX_BLOCK_BYTES ? len - start : CINDEX_BLOCK_BYTES;
        if (a > b || b > data) goto fail;
        uint32_t skip = from - start, take = (to - from < size - skip) ? to - from : size - skip;
        // A whole block inflates straight into place; a part goes through a scratch block.
        char *dest = (skip == 0 && take == size) ? out : (block != NULL ? block : (block = malloc(CINDEX_BLOCK_BYTES)));
        if (dest == NULL) goto fail;
        uLongf written = size;
        if (uncompress((Bytef *)dest, &written, blob + header + a, b - a) != Z_OK || written != size) goto fail;
        if (dest != out) memcpy(out, dest + skip, take);
        out += take;
        from += take;
    }
    free(block);
    return 0;
fail:
    free(block);
    return -1;
}

// `buffer` holds bytes [a, b) of a text of `len` bytes; moves to its start the bytes
// [from, from + limit) with the start moved forward and the end back to whole UTF-8 characters,
// and returns their count.
static uint32_t whole_characters(char *buffer, uint32_t a, uint32_t b, uint32_t len, sqlite3_int64 from,
                                 sqlite3_int64 limit) {
    uint32_t start = (uint32_t)from - a;
    while (start < b - a && start + a < len && start + a > 0 && ((unsigned char)buffer[start] & 0xC0) == 0x80) start++;
    uint32_t end = (uint32_t)(from + limit) - a;
    while (end > start && end + a < len && end < b - a && ((unsigned char)buffer[end] & 0xC0) == 0x80) end--;
    if (end < start) end = start;
    memmove(buffer, buffer + start, end - start);
    return end - start;
}

// The stored text's bytes [from, from + limit), moved forward to whole UTF-8 characters at the
// start and cut back to whole characters at the end.
static void range_result(sqlite3_context *ctx, const unsigned char *blob, int n, uint32_t len, sqlite3_int64 from,
                         sqlite3_int64 limit) {
    if (from < 0) from = 0;
    if (from > len) from = len;
    if (limit < 0 || limit > (sqlite3_int64)len - from) limit = (sqlite3_int64)len - from;
    // Up to 3 bytes more on each side, to find where the characters at the cuts start.
    uint32_t a = from < 3 ? 0 : (uint32_t)from - 3;
    uint32_t b = (uint32_t)(from + limit) + 4 > len ? len : (uint32_t)(from + limit) + 4;
    char *buffer = sqlite3_malloc64((sqlite3_uint64)(b - a) + 1);
    if (buffer == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int ok;
    if (blob[0] == TAG_BLOCKS) {
        ok = blocks_range(blob, n, len, a, b, buffer) == 0;
    } else {
        // One zlib stream: everything before `b` is inflated.
        char *all = sqlite3_malloc64((sqlite3_uint64)b + 1);
        ok = all != NULL && inflate_prefix(blob + 5, (size_t)n - 5, all, b, blob[0] == TAG_DEFLATE_DICT) == 0;
        if (ok) memcpy(buffer, all + a, b - a);
        sqlite3_free(all);
    }
    if (!ok) {
        sqlite3_free(buffer);
        damaged(ctx);
        return;
    }
    uint32_t count = whole_characters(buffer, a, b, len, from, limit);
    sqlite3_result_text(ctx, buffer, (int)count, sqlite3_free);
}

// jiansuo_text(stored [, max_bytes [, from_byte]]): the text of a value written by
// cindex_store_text, or max_bytes of it from byte from_byte (whole characters: the start moves
// forward and the end back to character boundaries). NULL gives NULL and a TEXT value is
// returned as it is; a damaged value is an SQL error (SQLITE_CORRUPT).
static void text_function(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_int64 limit = argc > 1 ? sqlite3_value_int64(argv[1]) : -1;
    sqlite3_int64 from = argc > 2 ? sqlite3_value_int64(argv[2]) : 0;
    int type = sqlite3_value_type(argv[0]);
    if (type == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (type != SQLITE_BLOB) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    const unsigned char *blob = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (n >= 1 && blob[0] == TAG_PLAIN) {
        if (from <= 0 && limit < 0) {
            sqlite3_result_text(ctx, (const char *)blob + 1, n - 1, SQLITE_TRANSIENT);  // short: never cut
            return;
        }
        if (from < 0) from = 0;
        if (from > n - 1) from = n - 1;
        const char *text = (const char *)blob + 1;
        sqlite3_int64 end = limit < 0 || limit > n - 1 - from ? n - 1 : from + limit;
        while (from < end && ((unsigned char)text[from] & 0xC0) == 0x80) from++;
        while (end > from && end < n - 1 && ((unsigned char)text[end] & 0xC0) == 0x80) end--;
        sqlite3_result_text(ctx, text + from, (int)(end - from), SQLITE_TRANSIENT);
        return;
    }
    if (n >= 5 && (blob[0] == TAG_DEFLATE || blob[0] == TAG_DEFLATE_DICT || blob[0] == TAG_BLOCKS)) {
        uint32_t len = get32(blob + 1);
        if (len > (uint32_t)CINDEX_MAX_TEXT_BYTES) {
            damaged(ctx);
            return;
        }
        if (from > 0 || (limit >= 0 && limit < (sqlite3_int64)len) || blob[0] == TAG_BLOCKS) {
            range_result(ctx, blob, n, len, from, limit);
            return;
        }
        char *out = sqlite3_malloc64((sqlite3_uint64)len + 1);
        if (out == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        if (inflate_prefix(blob + 5, (size_t)n - 5, out, len, blob[0] == TAG_DEFLATE_DICT) == 0) {
            sqlite3_result_text(ctx, out, (int)len, sqlite3_free);
            return;
        }
        sqlite3_free(out);
    }
    damaged(ctx);
}

char *cindex_read_text_range(void *db, const char *table, const char *column, int64_t rowid, int64_t from,
                              int64_t limit, int32_t *out_len, int *rc_out) {
    sqlite3_blob *blob = NULL;
    int rc = sqlite3_blob_open((sqlite3 *)db, "main", table, column, rowid, 0, &blob);
    char *result = NULL;
    *out_len = 0;
    if (rc != SQLITE_OK) goto done;
    int n = sqlite3_blob_bytes(blob);
    unsigned char head[9];
    if (n < 9 || (rc = sqlite3_blob_read(blob, head, 9, 0)) != SQLITE_OK || head[0] != TAG_BLOCKS) {
        rc = rc == SQLITE_OK ? SQLITE_MISMATCH : rc;  // not stored in blocks: read it whole instead
        goto done;
    }
    uint32_t len = get32(head + 1), count = get32(head + 5);
    if (len > (uint32_t)CINDEX_MAX_TEXT_BYTES || count != (len + CINDEX_BLOCK_BYTES - 1) / CINDEX_BLOCK_BYTES ||
        (size_t)n < 9 + 4 * ((size_t)count + 1)) {
        rc = SQLITE_CORRUPT;
        goto done;
    }
    if (from < 0) from = 0;
    if (from > len) from = len;
    if (limit < 0 || limit > (int64_t)len - from) limit = (int64_t)len - from;
    // The blocks that hold [from - 3, from + limit + 4), as blocks_range reads them: a copy of
    // the header with offsets rebased, then only those blocks' bytes.
    uint32_t a = from < 3 ? 0 : (uint32_t)from - 3;
    uint32_t b = (uint32_t)(from + limit) + 4 > len ? len : (uint32_t)(from + limit) + 4;
    uint32_t first = a / CINDEX_BLOCK_BYTES, last = b == 0 ? 0 : (b - 1) / CINDEX_BLOCK_BYTES;
    if (b <= a) last = first;
    unsigned char offsets[8];
    size_t header = 9 + 4 * ((size_t)count + 1);
    if (count == 0) {
        result = malloc(1);
        if (result == NULL) rc = SQLITE_NOMEM;
        goto done;
    }
    if ((rc = sqlite3_blob_read(blob, offsets, 4, (int)(9 + 4 * first))) != SQLITE_OK ||
        (rc = sqlite3_blob_read(blob, offsets + 4, 4, (int)(9 + 4 * (last + 1)))) != SQLITE_OK) goto done;
    uint32_t start = get32(offsets), end = get32(offsets + 4);
    if (start > end || header + end > (size_t)n) {
        rc = SQLITE_CORRUPT;
        goto done;
    }
    // A miniature TAG_BLOCKS value holding blocks first..last, for blocks_range.
    uint32_t blocks = last - first + 1;
    size_t mini_header = 9 + 4 * ((size_t)blocks + 1);
    unsigned char *mini = malloc(mini_header + (end - start));
    unsigned char *all_offsets = malloc(4 * ((size_t)blocks + 1));
    if (mini == NULL || all_offsets == NULL) {
        free(mini);
        free(all_offsets);
        rc = SQLITE_NOMEM;
        goto done;
    }
    if ((rc = sqlite3_blob_read(blob, all_offsets, (int)(4 * (blocks + 1)), (int)(9 + 4 * first))) == SQLITE_OK &&
        (rc = sqlite3_blob_read(blob, mini + mini_header, (int)(end - start), (int)(header + start))) == SQLITE_OK) {
        uint32_t mini_len = (last + 1) * CINDEX_BLOCK_BYTES < len ? (last + 1 - first) * CINDEX_BLOCK_BYTES : len - first * CINDEX_BLOCK_BYTES;
        mini[0] = TAG_BLOCKS;
        put32(mini + 1, mini_len);
        put32(mini + 5, blocks);
        for (uint32_t k = 0; k <= blocks; k++) put32(mini + 9 + 4 * k, get32(all_offsets + 4 * k) - start);
        uint32_t base = first * CINDEX_BLOCK_BYTES;
        char *buffer = malloc((size_t)(b - a) + 1);
        if (buffer == NULL) {
            rc = SQLITE_NOMEM;
        } else if (blocks_range(mini, (int)(mini_header + (end - start)), mini_len, a - base, b - base, buffer) != 0) {
            free(buffer);
            rc = SQLITE_CORRUPT;
        } else {
            uint32_t length = whole_characters(buffer, a, b, len, from, limit);
            buffer[length] = 0;
            result = buffer;
            *out_len = (int32_t)length;
        }
    }
    free(mini);
    free(all_offsets);
done:
    if (blob != NULL) sqlite3_blob_close(blob);
    *rc_out = result != NULL ? SQLITE_OK : (rc == SQLITE_OK ? SQLITE_ERROR : rc);
    return result;
}

int cindex_register_text_function(void *db) {
    int rc = sqlite3_create_function_v2((sqlite3 *)db, "jiansuo_text", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                        NULL, text_function, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_create_function_v2((sqlite3 *)db, "jiansuo_text", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                    NULL, text_function, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_create_function_v2((sqlite3 *)db, "jiansuo_text", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      NULL, text_function, NULL, NULL, NULL);
}
