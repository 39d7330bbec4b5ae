@testable import JiansuoIndex
import JiansuoExtract
import JiansuoQuery
import JiansuoAnalysis
import Testing

/// `SearchIndex.estimatedCost`: a term costs about its rarest counted token's documents times
/// its tokens, from at most `sampledTokens` distinct counted tokens (counting reads a token's
/// whole posting list).
@Suite struct CostEstimateTests {
    let compiler = QueryCompiler(segmenter: try! Segmenter())

    func index() throws -> SearchIndex {
        let index = try SearchIndex.inMemory()
        var changes: [IndexChange] = []
        for k in 0..<40 {
            let body = "经济发展" + (k < 4 ? "的人民中国" : "") + (k < 30 ? String(repeating: "的的", count: 3) : "")
            changes.append(.upsert(path: "/\(k).txt", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                   document: Document(title: "t", body: body, format: .text, encoding: "UTF-8")))
        }
        try index.apply(changes)
        return index
    }

    func cost(_ index: SearchIndex, _ query: String) throws -> Int {
        try index.estimatedCost(of: compiler.compile(QueryParser.parse(query)).highlightTerms)
    }

    @Test func aTermCostsItsRarestTokenTimesItsTokens() throws {
        let index = try index()
        #expect(try cost(index, "经济发展") == 40 * 3)          // 经济 济发 发展, each in 40 documents
        // 8 tokens, counted: 经济 (first), 的人 (middle), 中国 (last); the rarest in 4 documents.
        #expect(try cost(index, "经济发展的人民中国") == 4 * 8)
        #expect(try cost(index, "经济 的人") == 40 + 4)          // terms add up
        // A phrase of one bigram repeated counts it every time: 30 documents × 39 tokens.
        #expect(try cost(index, String(repeating: "的", count: 40)) == 30 * 39)
        #expect(try cost(index, "罕见") == 0)
    }

    @Test func shortQueriesAreNotCounted() throws {
        let index = try index()
        // 3 tokens × 40 documents is at most the bound: the bound is the answer, nothing is read.
        #expect(try index.estimatedCost(of: compiler.compile(QueryParser.parse("经济发展")).highlightTerms,
                                        uncountedUpTo: 120) == 120)
    }
}
