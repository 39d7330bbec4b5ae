// stored_text.c: document text stored compressed, and the SQL function that reads it back.
// See cindex.h.
#include "cindex.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <zlib.h>

enum { TAG_PLAIN = 0, TAG_DEFLATE = 1 };

unsigned char *cindex_store_text(const char *text, int32_t len, int32_t *out_len) {
    if (len < 0) return NULL;
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
    out[0] = TAG_DEFLATE;
    uint32_t n = (uint32_t)len;
    out[1] = n & 0xFF;
    out[2] = (n >> 8) & 0xFF;
    out[3] = (n >> 16) & 0xFF;
    out[4] = (n >> 24) & 0xFF;
    uLongf written = bound;
    if (compress2(out + 5, &written, (const Bytef *)text, (uLong)len, CINDEX_COMPRESS_LEVEL) != Z_OK) {
        free(out);
        return NULL;
    }
    *out_len = (int32_t)written + 5;
    return out;
}

void cindex_free(void *p) { free(p); }

// The first `limit` bytes (cut back to a UTF-8 character boundary) of a deflated text of `len`
// bytes: only that much is inflated, so a snippet of a 16 MB document costs what its start does.
static void prefix_result(sqlite3_context *ctx, const unsigned char *blob, int n, uint32_t len, sqlite3_int64 limit) {
    uint32_t want = limit < (sqlite3_int64)len ? (uint32_t)limit : len;
    // A few bytes more than wanted, to see where the character at the cut starts.
    uint32_t got = len - want < 4 ? len : want + 4;
    char *out = sqlite3_malloc64((sqlite3_uint64)got + 1);
    if (out == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    int ok = inflateInit(&z) == Z_OK;
    if (ok) {
        z.next_in = (Bytef *)(blob + 5);
        z.avail_in = (uInt)(n - 5);
        z.next_out = (Bytef *)out;
        z.avail_out = got;
        int rc = inflate(&z, Z_SYNC_FLUSH);
        ok = (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) && z.total_out == got;
        inflateEnd(&z);
    }
    if (!ok) {
        sqlite3_free(out);
        sqlite3_result_error(ctx, "jiansuo_text: damaged stored text", -1);
        sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
        return;
    }
    uint32_t end = want;
    while (end > 0 && end < got && ((unsigned char)out[end] & 0xC0) == 0x80) end--;
    sqlite3_result_text(ctx, out, (int)end, sqlite3_free);
}

// jiansuo_text(stored [, max_bytes]): the text of a value written by cindex_store_text, or its
// first max_bytes (whole characters). NULL gives NULL and a TEXT value is returned as it is; a
// damaged value is an SQL error (SQLITE_CORRUPT).
static void text_function(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_int64 limit = argc > 1 ? sqlite3_value_int64(argv[1]) : -1;
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
        sqlite3_result_text(ctx, (const char *)blob + 1, n - 1, SQLITE_TRANSIENT);  // short: never cut
        return;
    }
    if (n >= 5 && blob[0] == TAG_DEFLATE) {
        uint32_t len = (uint32_t)blob[1] | (uint32_t)blob[2] << 8 | (uint32_t)blob[3] << 16 | (uint32_t)blob[4] << 24;
        if (len <= (uint32_t)CINDEX_MAX_TEXT_BYTES && limit >= 0 && limit < (sqlite3_int64)len) {
            prefix_result(ctx, blob, n, len, limit);
            return;
        }
        if (len <= (uint32_t)CINDEX_MAX_TEXT_BYTES) {
            char *out = sqlite3_malloc64((sqlite3_uint64)len + 1);
            if (out == NULL) {
                sqlite3_result_error_nomem(ctx);
                return;
            }
            uLongf written = len;
            if (uncompress((Bytef *)out, &written, blob + 5, (uLong)(n - 5)) == Z_OK && written == len) {
                sqlite3_result_text(ctx, out, (int)len, sqlite3_free);
                return;
            }
            sqlite3_free(out);
        }
    }
    sqlite3_result_error(ctx, "jiansuo_text: damaged stored text", -1);
    sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
}

int cindex_register_text_function(void *db) {
    int rc = sqlite3_create_function_v2((sqlite3 *)db, "jiansuo_text", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                        NULL, text_function, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_create_function_v2((sqlite3 *)db, "jiansuo_text", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      NULL, text_function, NULL, NULL, NULL);
}
