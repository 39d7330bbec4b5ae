import CIndex
import Foundation
import GRDB
import Testing

/// `cindex_store_text` and `jiansuo_text(stored [, max_bytes [, from_byte]])`: every storage
/// form (plain, one zlib stream, 64 KiB blocks) gives back its text, and any range of it cut to
/// whole UTF-8 characters, inflating only the blocks that hold the range.
@Suite struct StoredTextTests {
    static func store(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                var count: Int32 = 0
                let stored = cindex_store_text(chars.baseAddress, Int32(chars.count), &count)!
                defer { cindex_free(stored) }
                return Data(bytes: stored, count: Int(count))
            }
        }
    }

    static func database() throws -> DatabaseQueue {
        var config = Configuration()
        config.prepareDatabase { db in
            _ = cindex_register_text_function(UnsafeMutableRawPointer(db.sqliteConnection))
        }
        return try DatabaseQueue(configuration: config)
    }

    /// What `jiansuo_text(stored, limit, from)` must return: the start moved forward and the
    /// end moved back to character boundaries.
    static func expected(_ bytes: [UInt8], limit: Int, from: Int) -> String {
        func continuation(_ k: Int) -> Bool { bytes[k] & 0xC0 == 0x80 }
        var start = min(max(from, 0), bytes.count)
        while start < bytes.count, start > 0, continuation(start) { start += 1 }
        var end = limit < 0 ? bytes.count : min(max(from, 0) + limit, bytes.count)
        while end > start, end < bytes.count, continuation(end) { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    static let texts: [String] = [
        "",
        "短文",
        String(repeating: "压缩的文字，", count: 100),  // one zlib stream
        String(repeating: "块", count: 43_690) + "ab" + String(repeating: "跨越块边界的文字。abc", count: 20_000),  // blocks; characters straddle them
        String(repeating: "x", count: 131_072),  // exactly CINDEX_BLOCKS_MIN
    ]

    @Test(arguments: texts.indices)
    func rangesRoundTrip(_ k: Int) throws {
        let text = Self.texts[k]
        let bytes = Array(text.utf8)
        let stored = Self.store(text)
        if bytes.count >= Int(CINDEX_BLOCKS_MIN) { #expect(stored.first == 2) }
        let db = try Self.database()
        try db.read { db in
            #expect(try String.fetchOne(db, sql: "SELECT jiansuo_text(?)", arguments: [stored]) == text)
            var generator = SystemRandomNumberGenerator()
            var cases: [(Int, Int)] = [(0, 0), (0, 1), (1, 3), (65_535, 4), (65_536, 65_536), (131_070, 10), (bytes.count, 5),
                                       (bytes.count + 100, 5), (-5, 10), (3, -1), (0, bytes.count + 10)]
            for _ in 0..<50 {
                cases.append((Int.random(in: 0...max(bytes.count, 1), using: &generator), Int.random(in: 0...70_000, using: &generator)))
            }
            for (from, limit) in cases {
                let got = try String.fetchOne(db, sql: "SELECT jiansuo_text(?, ?, ?)", arguments: [stored, limit, from])
                #expect(got == Self.expected(bytes, limit: limit, from: from), "from \(from), limit \(limit) of \(bytes.count)")
            }
            let prefix = try String.fetchOne(db, sql: "SELECT jiansuo_text(?, ?)", arguments: [stored, 100_001])
            #expect(prefix == Self.expected(bytes, limit: 100_001, from: 0))
        }
    }

    /// `cindex_read_text_range` reads only the blocks of a range through incremental blob I/O
    /// and gives what `jiansuo_text(value, limit, from)` gives; a value not stored in blocks is
    /// SQLITE_MISMATCH (the caller reads it with jiansuo_text).
    @Test func blobRangesReadOnlyTheirBlocks() throws {
        let db = try Self.database()
        try db.inDatabase { db in
            try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB)")
            for (k, text) in Self.texts.enumerated() {
                try db.execute(sql: "INSERT INTO t(id, body) VALUES(?, ?)", arguments: [k, Self.store(text)])
            }
            var generator = SystemRandomNumberGenerator()
            for (k, text) in Self.texts.enumerated() {
                let bytes = Array(text.utf8)
                var cases: [(Int, Int)] = [(0, 10), (65_534, 5), (65_536, 70_000), (bytes.count - 3, 10), (bytes.count + 5, 3), (-4, 8)]
                for _ in 0..<30 {
                    cases.append((Int.random(in: 0...max(bytes.count, 1), using: &generator), Int.random(in: 0...140_000, using: &generator)))
                }
                for (from, limit) in cases {
                    var count: Int32 = 0, rc: Int32 = 0
                    let text = cindex_read_text_range(UnsafeMutableRawPointer(db.sqliteConnection), "t", "body", Int64(k),
                                                      Int64(from), Int64(limit), &count, &rc)
                    defer { cindex_free(text) }
                    if bytes.count >= Int(CINDEX_BLOCKS_MIN) {
                        let got = text.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(count)), as: UTF8.self) }
                        #expect(got == Self.expected(bytes, limit: limit, from: from), "text \(k), from \(from), limit \(limit)")
                    } else {
                        #expect(text == nil && rc == 20 /* SQLITE_MISMATCH */)
                    }
                }
            }
        }
    }

    @Test func damagedValuesAreCorruptionErrors() throws {
        let text = String(repeating: "被损坏的块。", count: 20_000)
        let stored = Self.store(text)
        var damaged: [Data] = []
        for at in [1, 5, 9, 20, stored.count / 2, stored.count - 1] {  // length, block count, offsets, data
            var d = stored
            d[at] ^= 0x5A
            damaged.append(d)
        }
        damaged.append(stored.prefix(stored.count / 2))
        damaged.append(Data([2, 0xFF, 0xFF, 0xFF, 0xFF]))
        let db = try Self.database()
        try db.inDatabase { db in
            for d in damaged {
                for sql in ["SELECT jiansuo_text(?)", "SELECT jiansuo_text(?, 10, 70000)"] {
                    do {
                        let value = try String.fetchOne(db, sql: sql, arguments: [d])
                        // A flipped bit inside a block that is not read may go unnoticed; what is returned is still right.
                        if let value, sql.contains("70000") {
                            #expect(value == Self.expected(Array(text.utf8), limit: 10, from: 70_000))
                        } else {
                            #expect(value == text)
                        }
                    } catch let error as DatabaseError {
                        #expect(error.resultCode == .SQLITE_CORRUPT, "\(error)")
                    }
                }
            }
        }
    }
}
