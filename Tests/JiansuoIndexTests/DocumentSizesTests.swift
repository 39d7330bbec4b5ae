@testable import JiansuoIndex
import JiansuoExtract
import JiansuoQuery
import JiansuoAnalysis
import Foundation
import Testing

/// `jiansuo_rank` reads each row's size from `DocumentSizes` between writes: scores must be
/// exactly those computed from FTS5's `%_docsize`, before and after the cache is filled, and
/// after a write changes sizes (every cached size is then stale).
@Suite struct DocumentSizesTests {
    let compiler = QueryCompiler(segmenter: try! Segmenter())

    func addAll(_ index: SearchIndex, _ bodies: [String: String]) throws {
        try index.apply(bodies.sorted { $0.key < $1.key }.map { path, body in
            .upsert(path: path, state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: "t", body: body, format: .text, encoding: "UTF-8"))
        })
    }

    func scores(_ index: SearchIndex, _ query: String) throws -> [String: Double] {
        try Self.scores(index, compiler.compile(QueryParser.parse(query)))
    }

    static func scores(_ index: SearchIndex, _ compiled: CompiledQuery) throws -> [String: Double] {
        let results = try index.search(SearchRequest(match: compiled.match, limit: 100, offset: 0, snippets: false,
                                                     rankLayout: compiled.rankLayout))
        return Dictionary(uniqueKeysWithValues: results.hits.map { ($0.path, $0.score) })
    }

    func bodies(_ round: Int) -> [String: String] {
        // Sizes differ per document and per round, so a stale size would change a score.
        Dictionary(uniqueKeysWithValues: (0..<12).map { k in
            ("/\(k).txt", "经济发展" + String(repeating: "的人民", count: 1 + (k * 7 + round * 5) % 13) + (k % 3 == 0 ? "中国经济" : ""))
        })
    }

    @Test func cachedSizesRankExactlyAsFTS5Sizes() throws {
        let index = try SearchIndex.inMemory()
        try addAll(index, bodies(0))
        let cold = try scores(index, "经济")   // sizes read from %_docsize, then cached
        #expect(cold.count == 12)
        #expect(try scores(index, "经济") == cold)  // from the cache
        try index.cacheDocumentSizes()
        #expect(try scores(index, "经济") == cold)
        // A write changes the sizes: the cache must not answer with the old ones.
        try addAll(index, bodies(1))
        let fresh = try SearchIndex.inMemory()
        try addAll(fresh, bodies(1))
        let expected = try scores(fresh, "经济")
        #expect(expected != cold)
        #expect(try scores(index, "经济") == expected)
        try index.cacheDocumentSizes()
        #expect(try scores(index, "经济") == expected)
        #expect(try scores(index, "中国 经济") == scores(fresh, "中国 经济"))
    }

    @Test func theGenerationIsOddOnlyDuringAWrite() throws {
        let sizes = DocumentSizes()
        let start = sizes.generation
        #expect(start % 2 == 0)
        let during = sizes.write { sizes.generation }
        #expect(during == start + 1)
        #expect(sizes.generation == start + 2)
        struct Failure: Error {}
        #expect(throws: Failure.self) { try sizes.write { throw Failure() } }
        #expect(sizes.generation == start + 4)
        // Writes that overlap (one nested in another, or a second thread's waiting for
        // SQLite's write lock) keep the generation odd until the last one ends.
        let nested = sizes.write { () -> [Int64] in
            let inner = sizes.write { sizes.generation }
            return [inner, sizes.generation]
        }
        #expect(nested == [start + 5, start + 5])
        #expect(sizes.generation == start + 6)
        // A snapshot taken across a write may not use the cache.
        #expect(DocumentSizes.usable(before: start, after: start) == start)
        #expect(DocumentSizes.usable(before: start, after: start + 2) == -1)
        #expect(DocumentSizes.usable(before: start + 1, after: start + 1) == -1)
    }

    /// Readers on other threads while the writer writes: every search's scores equal those of
    /// the index as of some write (never a mix of a snapshot and stale sizes).
    @Test func concurrentReadersSeeConsistentScores() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sizes-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let index = try SearchIndex(path: path)
        var expected: [[String: Double]] = []
        for round in 0..<4 {
            let reference = try SearchIndex.inMemory()
            try addAll(reference, bodies(round))
            expected.append(try scores(reference, "经济"))
        }
        try addAll(index, bodies(0))
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var mismatches = 0, searches = 0, done = false
        }
        let shared = Shared()
        let finished = DispatchSemaphore(value: 0)
        let query = compiler.compile(QueryParser.parse("经济"))
        let reference = expected
        let readers = (0..<2).map { _ in
            Thread {
                defer { finished.signal() }
                while !shared.lock.withLock({ shared.done }) {
                    guard let got = try? Self.scores(index, query) else { continue }
                    shared.lock.withLock {
                        shared.searches += 1
                        if !reference.contains(got) { shared.mismatches += 1 }
                    }
                }
            }
        }
        readers.forEach { $0.start() }
        for round in 1..<4 {
            try addAll(index, bodies(round))
            try index.cacheDocumentSizes()
            Thread.sleep(forTimeInterval: 0.05)
        }
        shared.lock.withLock { shared.done = true }
        for _ in readers { finished.wait() }
        #expect(shared.lock.withLock { shared.searches } > 0)
        #expect(shared.lock.withLock { shared.mismatches } == 0)
        try index.close()
    }

    /// After bulk work the writer merges FTS5's segments into one, a bounded step at a time:
    /// the steps end, scores and matches do not change, sizes stay exact, and the pages the
    /// merge frees go back to the file system.
    @Test func mergingSegmentsChangesNoResult() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var index = try SearchIndex(path: path)
        // One transaction per round: each flushes a segment of its own.
        for round in 0..<24 {
            try addAll(index, Dictionary(uniqueKeysWithValues: bodies(round).map { ("/\(round)\($0.key)", $0.value + "第\(round)轮") }))
        }
        try index.cacheDocumentSizes()
        let queries = ["经济", "中国 经济", "经济发展 -中国", "人民 OR 第3轮", "\"的人民\""]
        let before = try queries.map { try scores(index, $0) }
        // The changes since the last full merge are counted in the index, and survive a reopen
        // (a merge a stop interrupted is still owed after the next start).
        let written = try index.documentCount()
        #expect(try index.unmergedChanges() == written)
        #expect(try index.mergeStep(pages: 1))
        try index.close()
        index = try SearchIndex(path: path)
        #expect(try index.unmergedChanges() == written)
        var steps = 1
        while try index.mergeStep(pages: 1) {
            steps += 1
            #expect(steps < 10_000)
            if steps >= 10_000 { break }
        }
        #expect(try index.unmergedChanges() == 0)
        #expect(steps > 1, "one page per step: a merge of 24 segments takes several")
        #expect(try index.mergeStep() == false)  // nothing left
        #expect(try queries.map { try scores(index, $0) } == before)
        try index.cacheDocumentSizes()
        #expect(try queries.map { try scores(index, $0) } == before)
        try index.reclaimFreePages()
        #expect(try queries.map { try scores(index, $0) } == before)
        try index.integrityCheck()
        try index.close()
    }

    /// New databases are created with incremental vacuum: the pages a deletion frees go back
    /// to the file system when the writer goes idle, and searches still work afterwards.
    @Test func freePagesAreGivenBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vacuum-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let index = try SearchIndex(path: path)
        var bodies: [String: String] = [:]
        for k in 0..<200 { bodies["/\(k).txt"] = String(repeating: "经济发展的人民中国第\(k)章", count: 200) }
        try addAll(index, bodies)
        try index.close()
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let reopened = try SearchIndex(path: path)
        try reopened.apply((0..<190).map { .delete(path: "/\($0).txt") })
        #expect(try reopened.reclaimFreePages() > 0)
        #expect(try reopened.reclaimFreePages() == 0)  // nothing left to give back
        #expect(try scores(reopened, "经济发展").count == 10)
        try reopened.close()
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(after < before / 2, "\(before) → \(after) bytes")
    }
}
