import JiansuoAnalysis
@testable import JiansuoIndex
import JiansuoExtract
import JiansuoQuery
import Testing

/// Han bigrams (analysis rules 4): documents carry, colocated with every Han character that
/// follows another, the bigram of the two; an FTS5 MATCH literal becomes a phrase of bigrams.
/// The phrase of bigrams must match exactly the documents the phrase of characters matches.
@Suite struct BigramTests {
    let segmenter = try! Segmenter()

    func texts(_ text: String, _ purpose: TokenPurpose) throws -> [String] {
        try segmenter.tokens(of: text, for: purpose).map { "\($0.position):\($0.text)" }
    }

    @Test func documentsCarryBigramsColocatedWithTheSecondCharacter() throws {
        let tokens = try segmenter.tokens(of: "北京，大学a中", for: .document)
        let bigrams = tokens.filter { $0.kind == .hanBigram }.map { "\($0.position):\($0.displayText)" }
        // Punctuation between two characters makes no position, so 京，大 still pairs.
        #expect(bigrams == ["1:北京", "2:京大", "3:大学"])
        #expect(tokens.filter { !$0.isColocated }.map(\.text) == ["北", "京", "大", "学", "a", "中"])
        #expect(try texts("北京", .positions) == ["0:北", "1:京"])  // positions and query: characters only
        #expect(try texts("北京", .query) == ["0:北", "1:京"])
    }

    @Test func matchTextsArePhrasesOfBigrams() throws {
        #expect(try texts("知识产权", .match) == ["0:\u{2}知识", "1:\u{2}识产", "2:\u{2}产权"])
        #expect(try texts("中", .match) == ["0:中"])
        #expect(try texts("iPhone手机", .match) == ["0:iphone", "1:手", "2:\u{2}手机"])
        #expect(try texts("中a国", .match) == ["0:中", "1:a", "2:国"])
        #expect(try texts("知識產權", .match) == ["0:\u{2}知识", "1:\u{2}识产", "2:\u{2}产权"])  // folded first
        #expect(try texts("\u{E001}知识", .match) == ["0:\u{2}知识"])
        #expect(try texts("\u{E000}知识", .match) == ["0:\u{1}知识"])
        let wordsOnly = try Segmenter(options: AnalysisOptions(wordsOnly: true))
        #expect(try wordsOnly.tokens(of: "知识产权", for: .document).allSatisfy { $0.kind != .hanBigram })
    }

    /// Random documents over a few frequent characters, punctuation, Latin and digits; random
    /// phrases cut from them and made up: the index's hits are exactly the documents whose
    /// position tokens contain the query's tokens consecutively (brute force).
    @Test func bigramPhrasesMatchExactlyWhereCharacterPhrasesDo() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("中国人民大学生的了一是在不北京，。、 abc12")
        let index = try SearchIndex.inMemory()
        var bodies: [String] = []
        for i in 0..<150 {
            let body = String((0..<Int.random(in: 1...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            bodies.append(body)
            try index.apply([.upsert(path: "/\(i).txt", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                     document: Document(title: "t\(i)", body: body, format: .text, encoding: "UTF-8"))])
        }
        let positions = try bodies.map { try segmenter.tokens(of: $0, for: .positions).map(\.text) }
        let compiler = QueryCompiler(segmenter: segmenter)
        var queries: [String] = ["中国", "大学生", "的了", "中", "a中", "国，人"]
        for _ in 0..<150 {
            let body = Array(bodies.randomElement(using: &rng)!)
            let start = Int.random(in: 0..<body.count, using: &rng)
            queries.append(String(body[start..<min(body.count, start + Int.random(in: 1...6, using: &rng))]))
            queries.append(String((0..<Int.random(in: 2...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for query in queries {
            let tokens = try segmenter.tokens(of: query, for: .query).map(\.text)
            guard !tokens.isEmpty else { continue }
            let expected = Set(positions.indices.filter { d in
                let p = positions[d]
                return p.count >= tokens.count && (0...(p.count - tokens.count)).contains { Array(p[$0..<$0 + tokens.count]) == tokens }
            }.map { "/\($0).txt" })
            let compiled = compiler.compile(QueryParser.parse("\"" + query + "\""))
            let results = try index.search(SearchRequest(match: compiled.match, limit: 1000, offset: 0, snippets: false,
                                                         rankLayout: compiled.rankLayout))
            #expect(Set(results.hits.map(\.path)) == expected, "\(query) → \(compiled.match ?? "nil")")
            #expect(results.total == expected.count)
        }
        try index.integrityCheck()
    }
}
