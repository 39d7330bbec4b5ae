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
        else if bytes.count >= Int(CINDEX_COMPRESS_MIN) { #expect(stored.first == 3) }  // one stream, preset dictionary
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

    /// A value written by a build before the preset dictionary (tag 1: one zlib stream without
    /// it) reads back whole and in ranges; bytes made by Python's zlib.compress, level 6.
    @Test func valuesWithoutTheDictionaryStayReadable() throws {
        let text = String(repeating: "旧版本写下的压缩正文，仍然可以读出来。", count: 8)
        let old = Data([
            0x01, 0xC8, 0x01, 0x00, 0x00, 0x78, 0x9C, 0x7B, 0x36, 0x7D, 0xF9, 0xF3, 0xCE, 0x8E, 0x67, 0x73, 0xD6, 0x3C, 0x6D,
            0x9B, 0xF9, 0x64, 0x47, 0xF7, 0xF3, 0x59, 0x2D, 0x4F, 0xFB, 0xBA, 0x9F, 0xEF, 0x59, 0xF9, 0x6C, 0xED, 0xE2, 0x67,
            0xD3, 0xDA, 0xDF, 0xEF, 0xE9, 0x79, 0xB2, 0xBB, 0xF7, 0x79, 0xCB, 0xB6, 0xA7, 0xFD, 0xEB, 0x9F, 0xEC, 0x5E, 0xFA,
            0x62, 0xFD, 0xEE, 0xA7, 0xED, 0xBB, 0x9E, 0xCD, 0x5D, 0xFA, 0xB8, 0xA1, 0xE9, 0xD9, 0xA8, 0xC6, 0xC1, 0xA4, 0x11,
            0x00, 0xB6, 0x5C, 0x43, 0x78,
        ])
        let db = try Self.database()
        let (whole, part) = try db.read { db in
            (try String.fetchOne(db, sql: "SELECT jiansuo_text(?)", arguments: [old]),
             try String.fetchOne(db, sql: "SELECT jiansuo_text(?, 30, 57)", arguments: [old]))
        }
        #expect(whole == text)
        #expect(part == Self.expected(Array(text.utf8), limit: 30, from: 57))
        // The dictionary makes Chinese text smaller than the same stream without it.
        #expect(Self.store(text).count < old.count)
    }

    /// A stream that names a dictionary other than ours (its Adler-32 changed), or that needs
    /// one under the tag of streams without it, is damaged, never read with the wrong window.
    @Test func aStreamWithTheWrongDictionaryIsCorrupt() throws {
        let text = String(repeating: "发展经济的中国人民，", count: 30)
        let stored = Self.store(text)
        #expect(stored.first == 3)
        var otherDictionary = stored
        otherDictionary[5 + 2] ^= 0x01  // zlib header (2 bytes), then the dictionary's Adler-32
        var wrongTag = stored
        wrongTag[0] = 1
        let db = try Self.database()
        try db.inDatabase { db in
            for value in [otherDictionary, wrongTag] {
                for sql in ["SELECT jiansuo_text(?)", "SELECT jiansuo_text(?, 10, 20)"] {
                    #expect(throws: DatabaseError.self) { _ = try String.fetchOne(db, sql: sql, arguments: [value]) }
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
