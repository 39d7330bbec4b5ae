import Foundation
import GRDB
@testable import JiansuoIndex
import JiansuoExtract
import JiansuoQuery
import JiansuoAnalysis
import Testing

@Suite struct SearchIndexTests {
    let index = try! SearchIndex.inMemory()
    let compiler = QueryCompiler(segmenter: try! Segmenter())

    func add(_ path: String, title: String, body: String) throws {
        try index.apply([.upsert(path: path, state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                 document: Document(title: title, body: body, format: .text, encoding: "UTF-8"))])
    }

    func search(_ q: String, limit: Int = 20) throws -> SearchResults {
        let compiled = compiler.compile(QueryParser.parse(q))
        let match = try #require(compiled.match)
        return try index.search(SearchRequest(match: match, limit: limit, offset: 0, rankLayout: compiled.rankLayout,
                                              highlightTerms: compiled.highlightTerms))
    }

    @Test func findsHighlightsAndRanksTitleAboveBody() throws {
        try add("/d/body.txt", title: "保险新闻", body: "北京市知识产权保险试点两年来，专利成功投保。")
        try add("/d/title.txt", title: "知识产权日", body: "今天举办了活动。")
        try add("/d/other.txt", title: "天气", body: "今天晴。")
        let results = try search("知识产权")
        #expect(results.total == 2)
        #expect(results.hits.map(\.path) == ["/d/title.txt", "/d/body.txt"])
        let hit = results.hits[1]
        let bytes = Array(hit.snippet.utf8)
        #expect(hit.highlights.count == 1)
        #expect(String(decoding: bytes[hit.highlights[0]], as: UTF8.self) == "知识产权")
        #expect(hit.score > 0)
    }

    @Test func normalizedMatching() throws {
        try add("/d/a.txt", title: "手机", body: "新款ｉＰｈｏｎｅ１５上市，价格１０元起。")
        #expect(try search("iphone15").total == 1)
        #expect(try search("IPHONE15").total == 1)
        #expect(try search("10").total == 1)
        #expect(try search("iph*").total == 1)
    }

    @Test func updateDeleteAndTreeDelete() throws {
        try add("/d/x/a.txt", title: "一", body: "苹果")
        try add("/d/x/b.txt", title: "二", body: "苹果")
        try add("/d/x0.txt", title: "三", body: "苹果")
        try add("/d/x/a.txt", title: "一", body: "香蕉")
        #expect(try search("苹果").total == 2)
        #expect(try search("香蕉").total == 1)
        try index.apply([.deleteTree(path: "/d/x")])
        #expect(try search("苹果").hits.map(\.path) == ["/d/x0.txt"])
        try index.apply([.delete(path: "/d/x0.txt")])
        #expect(try index.documentCount() == 0)
        try index.integrityCheck()
    }

    @Test func failuresAreRecordedAndClearedByASuccessfulIndex() throws {
        try index.apply([.failure(path: "/d/bad.txt", message: "binary file")])
        #expect(try index.failures().total == 1)
        #expect(try index.failures().recent.first?.message == "binary file")
        try add("/d/bad.txt", title: "好了", body: "内容")
        #expect(try index.failures().total == 0)
    }

    @Test func fileStatesRoundTrip() throws {
        let state = FileState(size: 42, mtimeNanoseconds: 1_700_000_000_123_456_789, inode: .max)
        try index.apply([.upsert(path: "/d/s.txt", state: state, document: Document(title: "t", body: "b", format: .text, encoding: "UTF-8"))])
        #expect(try index.fileState(path: "/d/s.txt") == state)
        #expect(try index.fileStates()["/d/s.txt"] == state)
    }

    @Test func pagingAndLimits() throws {
        for i in 0..<30 { try add("/d/\(i).txt", title: "文档\(i)", body: "共同的词语 检索") }
        let match = try #require(compiler.compile(QueryParser.parse("检索")).match)
        let page = try index.search(SearchRequest(match: match, limit: 10, offset: 25))
        #expect(page.total == 30)
        #expect(page.hits.count == 5)
    }

    @Test func snippetMarkersAreParsedIntoRanges() {
        let (text, ranges) = SearchIndex.parseSnippet("\u{3000}\u{3000}甲\u{1}乙\u{2}\n\n\u{3000}\u{3000}丙 \u{1}丁\u{2} ")
        #expect(text == "甲乙 丙 丁")
        #expect(ranges == [3..<6, 11..<14])
    }

}

/// Documents analysed ahead by indexing workers (``SearchIndex/prepare(_:)``) are written by
/// replaying their tokens, and the index is exactly what tokenizing at insert gives.
@Suite struct PreparedDocumentTests {
    @Test func preparedDocumentsReplayTheirTokens() throws {
        let index = try SearchIndex.inMemory()
        let plain = try SearchIndex.inMemory()
        let documents = (0..<20).map { i in
            Document(title: "文档\(i) 知識產權", body: "第\(i)段：北京市知识产权局 iPhone15 价格１０元。" + String(repeating: "检索", count: i), format: .text, encoding: "UTF-8")
        }
        let state = FileState(size: 1, mtimeNanoseconds: 1, inode: 1)
        try index.apply(documents.enumerated().map { i, d in
            .upsert(path: "/d/\(i).txt", state: state, document: d, contentHash: 0, prepared: index.prepare(d))
        })
        try plain.apply(documents.enumerated().map { i, d in .upsert(path: "/d/\(i).txt", state: state, document: d) })
        #expect(index.replayedTexts >= 40)  // title and body of each
        #expect(plain.replayedTexts == 0)  // each index replays its own recordings only
        try index.integrityCheck()
        let compiler = QueryCompiler(segmenter: try Segmenter())
        for query in ["知识产权", "北京", "iphone15", "10元", "检索 文档3"] {
            let compiled = compiler.compile(QueryParser.parse(query))
            let request = SearchRequest(match: compiled.match, limit: 50, offset: 0, rankLayout: compiled.rankLayout)
            let a = try index.search(request), b = try plain.search(request)
            #expect(a.total == b.total && a.hits.map(\.path) == b.hits.map(\.path), "\(query)")
            #expect(a.hits.map(\.highlights) == b.hits.map(\.highlights), "\(query)")
        }
        // Replacing a prepared document deletes its old tokens exactly.
        let changed = Document(title: "新", body: "换了内容", format: .text, encoding: "UTF-8")
        try index.apply([.upsert(path: "/d/0.txt", state: state, document: changed, contentHash: 0, prepared: index.prepare(changed))])
        try index.integrityCheck()
    }
}

/// Snippets are highlighted by our highlighter (``Segmenter/highlights(in:terms:)``): each
/// mark is a whole occurrence of a query term (a phrase of bigrams matches FTS5 at its second
/// character, so FTS5's `highlight()` would mark only part of it); without terms, the snippet
/// is the body's opening.
@Suite struct HighlighterTests {
    @Test(arguments: ["知识产权", "北京", "iphone15", "10元", "市长", "知识 北京", "知識產權", "swif*", "北京 -广告", "\"北京市 知识\""])
    func marksWholeTerms(query: String) throws {
        let index = try SearchIndex.inMemory()
        let body = "北京市知识产权局，南京市长江大桥。ｉＰｈｏｎｅ１５ 价格１０元；知識產權 Swift swiftly 北京。"
        try index.apply([.upsert(path: "/d.txt", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                 document: Document(title: "t", body: body, format: .text, encoding: "UTF-8"))])
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse(query))
        let ours = try index.search(SearchRequest(match: compiled.match, limit: 1, offset: 0, rankLayout: compiled.rankLayout,
                                                  highlightTerms: compiled.highlightTerms))
        let hit = try #require(ours.hits.first)
        let bytes = Array(hit.snippet.utf8)
        let marked = hit.highlights.map { Normalizer.normalize(String(decoding: bytes[$0], as: UTF8.self)).filter { $0 != " " } }
        let terms = compiled.highlightTerms.map { ($0.tokens.joined(), $0.prefix) }
        #expect(!marked.isEmpty)
        for mark in marked {
            #expect(terms.contains { $0.1 ? mark.hasPrefix($0.0) : mark == $0.0 }, "\(query): \(mark) in \(marked)")
        }
        let plain = try index.search(SearchRequest(match: compiled.match, limit: 1, offset: 0, rankLayout: compiled.rankLayout))
        #expect(plain.hits.first?.snippet == body && plain.hits.first?.highlights.isEmpty == true)
    }
}

/// The bounded top-k keeps exactly the best hits of a full sort, in order, for every order.
@Suite struct RankingOrderTests {
    @Test(arguments: [ResultOrder.relevance, .date, .path])
    func topHitsEqualsAFullSort(order: ResultOrder) {
        var rng = SystemRandomNumberGenerator()
        let all = (0..<2000).map { i in
            RankedHit(id: Int64(i), exact: Int.random(in: 0..<50, using: &rng) == 0, rank: Double(Int.random(in: 0..<300, using: &rng)),
                      key: "k\(Int.random(in: 0..<40, using: &rng))")
        }
        for capacity in [0, 1, 10, 137, 2000, 5000] {
            var top = TopHits(capacity: capacity, order: order)
            for hit in all { top.insert(hit) }
            let reference = TopHits(capacity: 0, order: order)
            let sorted = all.sorted { reference.before($0, $1) }
            #expect(top.sorted().map(\.id) == sorted.prefix(capacity).map(\.id))
        }
    }

    /// Pages concatenate to the single long page: no hit is lost or repeated between pages.
    @Test func pagesConcatenate() throws {
        let index = try SearchIndex.inMemory()
        let state = FileState(size: 1, mtimeNanoseconds: 1, inode: 1)
        try index.apply((0..<60).map { i in
            .upsert(path: "/d/\(i).txt", state: state,
                    document: Document(title: i % 7 == 0 ? "检索\(i)" : "文档\(i)",
                                       body: String(repeating: "检索的方法。", count: 1 + i % 5) + String(repeating: "其他内容。", count: i % 3),
                                       format: .text, encoding: "UTF-8"))
        })
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse("检索"))
        func page(_ offset: Int, _ limit: Int) throws -> [String] {
            try index.search(SearchRequest(match: compiled.match, limit: limit, offset: offset, snippets: false,
                                           rankLayout: compiled.rankLayout)).hits.map(\.path)
        }
        let whole = try page(0, 100)
        #expect(whole.count == 60)
        var pages: [String] = []
        for offset in stride(from: 0, to: 60, by: 7) { pages += try page(offset, 7) }
        #expect(pages == whole)
        // Titles matching the query come first.
        let titled = Set((0..<60).filter { $0 % 7 == 0 }.map { "/d/\($0).txt" })
        #expect(Set(whole.prefix(titled.count)) == titled)
    }

    /// A layout that does not describe the expression (or none) still ranks: every phrase is
    /// then a required term.
    @Test func malformedLayoutsStillRank() throws {
        let index = try SearchIndex.inMemory()
        try index.apply([.upsert(path: "/a.txt", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                 document: Document(title: "知识", body: "知识产权", format: .text, encoding: "UTF-8"))])
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse("知识产权"))
        for layout in ["", "garbage", "T0 B T1 X X X X", "B", "T-1", "T99999999999", String(repeating: "T0 ", count: 10_000)] {
            let results = try index.search(SearchRequest(match: compiled.match, limit: 5, offset: 0, rankLayout: layout))
            #expect(results.hits.map(\.path) == ["/a.txt"], "\(layout.prefix(20))")
        }
    }
}

/// The snippet of a large document comes from around its first match, wherever that is: a body
/// of 128 KiB or more is stored in 64 KiB blocks with its token position every 4 KiB
/// (`document_positions`), and only a few kilobytes there are inflated and highlighted.
@Suite struct LargeDocumentSnippetTests {
    static let filler = String(repeating: "普通的文字内容。\n", count: 150_000)  // 3.6 MB
    static let state = FileState(size: 1, mtimeNanoseconds: 1, inode: 1)

    static func search(_ index: SearchIndex, _ query: String) throws -> SearchResults {
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse(query))
        return try index.search(SearchRequest(match: compiled.match, limit: 10, offset: 0, rankLayout: compiled.rankLayout,
                                              highlightTerms: compiled.highlightTerms))
    }

    @Test func aMatchAnywhereInALargeBodyIsHighlighted() throws {
        let index = try SearchIndex.inMemory()
        let near = Document(title: "近", body: "开头就有知识产权。\n" + Self.filler, format: .text, encoding: "UTF-8")
        let far = Document(title: "远", body: Self.filler + "最后才有知识产权。", format: .text, encoding: "UTF-8")
        // A match that straddles a 4 KiB stride and a 64 KiB block: "知识产权" starts 2 bytes
        // before byte 655,360 (10 blocks in).
        let lead = String(repeating: "word ", count: 131_070) + "ab"  // 655,352 bytes
        let middle = Document(title: "中", body: lead + "中间知识产权在块边界" + Self.filler, format: .text, encoding: "UTF-8")
        try index.apply([.upsert(path: "/near.txt", state: Self.state, document: near),
                         .upsert(path: "/far.txt", state: Self.state, document: far),
                         .upsert(path: "/middle.txt", state: Self.state, document: middle)])
        let results = try Self.search(index, "知识产权")
        #expect(Set(results.hits.map(\.path)) == ["/near.txt", "/far.txt", "/middle.txt"])
        for hit in results.hits {
            #expect(hit.snippet.contains("知识产权") && !hit.highlights.isEmpty, "\(hit.path): \(hit.snippet.prefix(80))")
            #expect(hit.snippet.utf8.count < 1000)
        }
        let farHit = try #require(results.hits.first { $0.path == "/far.txt" })
        #expect(farHit.snippet.hasPrefix("…") && farHit.snippet.hasSuffix("最后才有知识产权。"))
        let middleHit = try #require(results.hits.first { $0.path == "/middle.txt" })
        #expect(middleHit.snippet.contains("中间知识产权在块边界"))
        // A phrase whose first match is far in; and a title-only match gets the opening.
        let phrase = try Self.search(index, "\"最后才有\"")
        #expect(phrase.hits.map(\.path) == ["/far.txt"])
        #expect(phrase.hits.first?.snippet.contains("最后才有") == true)
        let title = try Self.search(index, "title:远")
        #expect(title.hits.first?.snippet.hasPrefix("普通的文字内容") == true)
        try index.integrityCheck()
    }

    /// `status` counts the documents whose charset is a guess from a partial index, never
    /// reading the table (whose rows hold the compressed bodies).
    @Test func uncertainEncodingsAreCountedFromTheirIndex() throws {
        let index = try SearchIndex.inMemory()
        var guessed = Document(title: "乙", body: Self.filler, format: .text, encoding: "GB18030")
        guessed.encodingUncertainty = "detected as ISO-8859-1 (confidence 20 of 100)"
        try index.apply([.upsert(path: "/a.txt", state: Self.state, document: Document(title: "甲", body: Self.filler, format: .text, encoding: "UTF-8")),
                         .upsert(path: "/b.txt", state: Self.state, document: guessed)])
        #expect(try index.documentCount(uncertainEncodingOnly: true) == 1)
        #expect(try index.documentCount() == 2)
        let plan = try index.writer.read {
            try Row.fetchAll($0, sql: "EXPLAIN QUERY PLAN SELECT count(*) FROM documents WHERE encoding_uncertainty IS NOT NULL")
                .map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("COVERING INDEX documents_uncertain") }, "\(plan)")
    }

    @Test func positionsFollowTheBodyWhenItChanges() throws {
        let index = try SearchIndex.inMemory()
        try index.apply([.upsert(path: "/a.txt", state: Self.state,
                                 document: Document(title: "甲", body: Self.filler + "第一版的结尾", format: .text, encoding: "UTF-8"))])
        // The new body moves the match; a small body has no positions and is highlighted whole.
        try index.apply([.upsert(path: "/a.txt", state: Self.state,
                                 document: Document(title: "甲", body: "第一版的结尾现在在开头。" + Self.filler, format: .text, encoding: "UTF-8"))])
        let moved = try Self.search(index, "第一版的结尾")
        #expect(moved.hits.first?.snippet.hasPrefix("第一版的结尾现在在开头") == true, "\(moved.hits.first?.snippet.prefix(40) ?? "")")
        try index.apply([.upsert(path: "/a.txt", state: Self.state,
                                 document: Document(title: "甲", body: "短文里第一版的结尾。", format: .text, encoding: "UTF-8"))])
        let small = try Self.search(index, "第一版的结尾")
        #expect(small.hits.first?.snippet == "短文里第一版的结尾。")
        // Positions belong to large bodies only, and go with their document.
        #expect(try index.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM document_positions") } == 0)
        try index.apply([.upsert(path: "/b.txt", state: Self.state,
                                 document: Document(title: "乙", body: Self.filler, format: .text, encoding: "UTF-8"))])
        #expect(try index.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM document_positions") } == 1)
        try index.apply([.delete(path: "/b.txt")])
        #expect(try index.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM document_positions") } == 0)
        try index.integrityCheck()
    }
}

/// FTS5 keeps the postings of a transaction in memory and writes them as one segment at the
/// commit, unless a statement opens a savepoint: FTS5 (SQLite 3.40) then flushes them at once.
/// Any statement that may write several rows opens one inside a transaction (`INSERT … SELECT`,
/// `RETURNING`), and a flush per document made the writer spend most of its time merging tiny
/// segments. Each kind of change, many to a transaction, must leave FTS5 flushing once. (FTS5
/// also flushes when a change goes back to a lower rowid than the last one written, e.g. a
/// deletion of an old document after the insert of a new one: its pending doclists are kept in
/// rowid order. The bulk work of a first build or a rebuild only inserts.)
@Suite struct SegmentFlushTests {
    let state = FileState(size: 1, mtimeNanoseconds: 1, inode: 1)

    func document(_ i: Int, _ text: String) -> Document {
        Document(title: "标题\(i)", body: "\(text)第\(i)篇：北京市知识产权局 iPhone15 价格１０元。", format: .text, encoding: "UTF-8")
    }

    /// Leaves flushed by `changes` applied in one transaction.
    func leavesFlushed(_ index: SearchIndex, _ changes: [IndexChange]) throws -> UInt64 {
        let before = try index.segmentStatistics()?.leavesWritten ?? 0
        try index.apply(changes)
        return try #require(try index.segmentStatistics()).leavesWritten - before
    }

    @Test func manyChangesInOneTransactionAreFlushedOnce() throws {
        let index = try SearchIndex.inMemory()
        let n = 200
        // New documents, prepared (replayed tokens) and not.
        #expect(try leavesFlushed(index, (0..<n).map { i in
            let d = document(i, "新")
            return .upsert(path: "/d/\(i).txt", state: state, document: d, contentHash: 0, prepared: i % 2 == 0 ? index.prepare(d) : nil)
        }) < 20)
        // Every document replaced: its old postings deleted, the new ones inserted.
        #expect(try leavesFlushed(index, (0..<n).map { i in
            .upsert(path: "/d/\(i).txt", state: state, document: document(i, "改"))
        }) < 20)
        // Single deletes, renames and failures, then new documents.
        let quarter = 0..<n / 4
        #expect(try leavesFlushed(index, quarter.map { i in .delete(path: "/d/\(i).txt") }
                                  + quarter.map { i in .rename(from: "/d/\(n / 4 + i).txt", to: "/e/\(i).txt") }
                                  + quarter.map { i in .failure(path: "/d/\(n / 2 + i).txt", message: "unreadable", state: state) }
                                  + quarter.map { i in .upsert(path: "/f/\(i).txt", state: state, document: document(i, "再")) }) < 20)
        // A tree renamed, another deleted, then new documents.
        #expect(try leavesFlushed(index, [.renameTree(from: "/f", to: "/g"), .deleteTree(path: "/e")]
                                  + quarter.map { i in .upsert(path: "/h/\(i).txt", state: state, document: document(i, "树")) }) < 20)
        try index.integrityCheck()
        #expect(try index.documentCount() == 3 * n / 4)
    }
}


/// ``SearchIndex/setBulkMerging(_:)``: in bulk, each commit leaves a segment for the merge at
/// the end (up to 64 a level); the setting lasts across a reopen; with it back on, FTS5 merges
/// as it writes again (at the latest when a level reaches 16 segments).
@Suite struct BulkMergingTests {
    @Test func segmentsWaitForTheMergeAtTheEndOfBulkWork() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("index.sqlite").path
        let state = FileState(size: 1, mtimeNanoseconds: 1, inode: 1)
        func commit(_ index: SearchIndex, _ range: Range<Int>) throws {
            for i in range {
                try index.apply([.upsert(path: "/d/\(i).txt", state: state,
                                         document: Document(title: "标题\(i)", body: "第\(i)篇：北京市知识产权局。", format: .text, encoding: "UTF-8"))])
            }
        }
        do {
            let index = try SearchIndex(path: path)
            #expect(try !index.bulkMerging())
            try index.setBulkMerging(true)
            try commit(index, 0..<20)
            #expect(try index.segmentStatistics()?.segments == 20)  // not even FTS5's crisis merge at 16
            try index.close()
        }
        let index = try SearchIndex(path: path)
        #expect(try index.bulkMerging())
        try index.setBulkMerging(false)
        while try index.mergeStep() {}
        #expect(try index.segmentStatistics()?.segments == 1)
        try commit(index, 20..<40)
        #expect(try #require(try index.segmentStatistics()).segments < 16)  // merged as written
        try index.integrityCheck()
        #expect(try index.documentCount() == 40)
    }
}
