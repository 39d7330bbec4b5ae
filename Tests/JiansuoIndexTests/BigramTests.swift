import JiansuoAnalysis
@testable import JiansuoIndex
import JiansuoExtract
import JiansuoQuery
import Testing

/// The large form (analysis rules 4): a text of `CICU_LARGE_TEXT_BYTES` (256 KiB) or more has
/// its Han characters marked (``Token/largePrefix``) and the bigram of each pair of consecutive
/// characters colocated with the second; each Han query term is OR-ed with its large form, a
/// phrase of bigrams. Small documents must match only through the characters, large ones only
/// through the bigrams, and both exactly where the characters stand side by side.
@Suite struct BigramTests {
    let segmenter = try! Segmenter()
    static let large = 256 << 10

    func texts(_ text: String, _ purpose: TokenPurpose) throws -> [String] {
        try segmenter.tokens(of: text, for: purpose).map { "\($0.position):\($0.text)" }
    }

    @Test func largeTextsAreInTheLargeForm() throws {
        let filler = String(repeating: "filler ", count: Self.large / 7 + 1)
        let text = "北京，大学a中 " + filler
        let tokens = try segmenter.tokens(of: text, for: .document)
        let bigrams = tokens.filter { $0.kind == .hanBigram }
        // Punctuation between two characters makes no position, so 京，大 still pairs.
        #expect(bigrams.map { "\($0.position):\($0.displayText)" } == ["1:北京", "2:京大", "3:大学"])
        #expect(tokens.filter { !$0.isColocated }.prefix(6).map(\.text) == ["\u{3}北", "\u{3}京", "\u{3}大", "\u{3}学", "a", "\u{3}中"])
        // A bigram's offsets span its two characters (with what lies between).
        let bytes = Array(text.utf8)
        #expect(bigrams.map { String(decoding: bytes[$0.utf8Start..<$0.utf8End], as: UTF8.self) } == ["北京", "京，大", "大学"])
        // Small texts, positions and queries: characters only.
        #expect(try texts("北京，大学", .document).filter { $0.contains("\u{2}") || $0.contains("\u{3}") }.isEmpty)
        #expect(try segmenter.tokens(of: text, for: .positions).prefix(2).map(\.text) == ["北", "京"])
        #expect(try texts("北京", .query) == ["0:北", "1:京"])
        #expect(try texts("北京", .match) == ["0:北", "1:京"])
    }

    @Test func largeFormLiteralsArePhrasesOfBigrams() throws {
        let l = String(Segmenter.largeSentinel)
        #expect(try texts(l + "知识产权", .match) == ["0:\u{2}知识", "1:\u{2}识产", "2:\u{2}产权"])
        #expect(try texts(l + "中", .match) == ["0:\u{3}中"])
        #expect(try texts(l + "iPhone手机", .match) == ["0:iphone", "1:\u{3}手", "2:\u{2}手机"])
        #expect(try texts(l + "中a国", .match) == ["0:\u{3}中", "1:a", "2:\u{3}国"])
        #expect(try texts(l + "知識產權", .match) == ["0:\u{2}知识", "1:\u{2}识产", "2:\u{2}产权"])  // folded first
        let wordsOnly = try Segmenter(options: AnalysisOptions(wordsOnly: true))
        let big = String(repeating: "知识产权", count: Self.large / 12 + 1)
        #expect(try wordsOnly.tokens(of: big, for: .document).allSatisfy { $0.kind != .hanBigram })
    }

    /// Random small and large documents over a few frequent characters, punctuation, Latin and
    /// digits; random phrases cut from them and made up, and AND / OR / NOT combinations: the
    /// hits are exactly the documents whose position tokens contain each phrase's tokens
    /// consecutively (brute force; a last token of 3 digits or more may start a number), whatever the
    /// document's size.
    @Test func phrasesMatchLargeAndSmallDocumentsAlike() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("中国人民大学生的了一是在不北京，。、 abc12")
        let index = try SearchIndex.inMemory()
        var bodies: [String] = []
        // Long Latin words (few positions, so brute force stays cheap) and some Han text.
        let filler = String(repeating: String(repeating: "q", count: 120) + " ", count: Self.large / 121 + 1) + "填充文字"
        for i in 0..<60 {
            var body = String((0..<Int.random(in: 1...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            if i % 3 == 0 {
                let more = String((0..<Int.random(in: 1...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                body = body + "\n" + filler + "\n" + more  // a large document: text at both ends
            }
            bodies.append(body)
            // Titles without digits: the brute force below reads bodies only.
            try index.apply([.upsert(path: "/\(i).txt", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                     document: Document(title: "t", body: body, format: .text, encoding: "UTF-8"))])
        }
        let positions = try bodies.map { try segmenter.tokens(of: $0, for: .positions).map(\.text) }
        func contains(_ d: Int, _ tokens: [String]) -> Bool {
            let p = positions[d]
            let digits = tokens.last.map { $0.allSatisfy(\.isNumber) && $0.count >= QueryCompiler.minimumPrefixDigits } == true
            return p.count >= tokens.count && (0...(p.count - tokens.count)).contains { start in
                zip(p[start..<start + tokens.count], tokens).enumerated().allSatisfy { k, pair in
                    k == tokens.count - 1 && digits ? pair.0.hasPrefix(pair.1) : pair.0 == pair.1
                }
            }
        }
        let compiler = QueryCompiler(segmenter: segmenter)
        func check(_ query: String, _ expected: Set<Int>) throws {
            let compiled = compiler.compile(QueryParser.parse(query))
            let results = try index.search(SearchRequest(match: compiled.match, limit: 1000, offset: 0, snippets: false,
                                                         rankLayout: compiled.rankLayout))
            #expect(Set(results.hits.map(\.path)) == Set(expected.map { "/\($0).txt" }), "\(query) → \(compiled.match ?? "nil")")
            #expect(results.total == expected.count)
        }
        var phrases: [String] = ["中国", "大学生", "的了", "中", "a中", "国，人", "填充", "字\n中"]
        for _ in 0..<100 {
            let body = Array(bodies.randomElement(using: &rng)!.prefix(80))
            let start = Int.random(in: 0..<body.count, using: &rng)
            phrases.append(String(body[start..<min(body.count, start + Int.random(in: 1...6, using: &rng))]))
            phrases.append(String((0..<Int.random(in: 2...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for phrase in phrases {
            let tokens = try segmenter.tokens(of: phrase, for: .query).map(\.text)
            guard !tokens.isEmpty, !phrase.contains("\"") else { continue }
            try check("\"" + phrase + "\"", Set(bodies.indices.filter { contains($0, tokens) }))
        }
        for _ in 0..<30 {
            let a = phrases.randomElement(using: &rng)!, b = phrases.randomElement(using: &rng)!
            let ta = try segmenter.tokens(of: a, for: .query).map(\.text), tb = try segmenter.tokens(of: b, for: .query).map(\.text)
            guard !ta.isEmpty, !tb.isEmpty, !a.contains("\""), !b.contains("\"") else { continue }
            try check("\"\(a)\" \"\(b)\"", Set(bodies.indices.filter { contains($0, ta) && contains($0, tb) }))
            try check("\"\(a)\" OR \"\(b)\"", Set(bodies.indices.filter { contains($0, ta) || contains($0, tb) }))
            try check("\"\(a)\" -\"\(b)\"", Set(bodies.indices.filter { contains($0, ta) && !contains($0, tb) }))
        }
        try index.integrityCheck()
    }
}
