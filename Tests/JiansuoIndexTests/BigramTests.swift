import JiansuoAnalysis
@testable import JiansuoIndex
import JiansuoExtract
import JiansuoQuery
import Testing

/// Bigrams (analysis rules 6): every document carries the bigram of each pair of consecutive
/// common Han characters (`cicu_is_common_han`), colocated with the second, and a Han query
/// term is matched as the phrase of its bigram literal. Documents small and large must match
/// exactly where the characters stand side by side, as the phrase of characters would.
@Suite struct BigramTests {
    let segmenter = try! Segmenter()
    static let large = 256 << 10

    func texts(_ text: String, _ purpose: TokenPurpose) throws -> [String] {
        try segmenter.tokens(of: text, for: purpose).map { "\($0.position):\($0.text)" }
    }

    @Test(arguments: [false, true]) func documentsCarryBigrams(large: Bool) throws {
        let filler = large ? " " + String(repeating: "filler ", count: Self.large / 7 + 1) : ""
        #expect("中国人民大的".allSatisfy { Segmenter.isCommonHan(String($0)) })
        #expect(!"知识权".contains { Segmenter.isCommonHan(String($0)) })
        let text = "中国，人民a大 知识产权的人 " + filler
        let tokens = try segmenter.tokens(of: text, for: .document)
        let bigrams = tokens.filter { $0.kind == .hanBigram }
        // Punctuation between two characters makes no position, so 国，人 still pairs; a letter
        // in between breaks the pair, and so does a character that is not common (知识产权).
        #expect(bigrams.map { "\($0.position):\($0.displayText)" } == ["1:中国", "2:国人", "3:人民", "11:的人"])
        #expect(tokens.filter { !$0.isColocated }.prefix(6).map(\.text) == ["中", "国", "人", "民", "a", "大"])
        // A bigram's offsets span its two characters (with what lies between).
        let bytes = Array(text.utf8)
        #expect(bigrams.map { String(decoding: bytes[$0.utf8Start..<$0.utf8End], as: UTF8.self) } == ["中国", "国，人", "人民", "的人"])
        // Positions and queries: characters only.
        #expect(try segmenter.tokens(of: text, for: .positions).allSatisfy { $0.kind != .hanBigram })
        #expect(try texts("北京", .query) == ["0:北", "1:京"])
        #expect(try texts("北京", .match) == ["0:北", "1:京"])
    }

    @Test func bigramLiteralsArePhrasesOfBigrams() throws {
        let l = String(Segmenter.bigramSentinel)
        #expect(try texts(l + "经济发展", .match) == ["0:\u{2}经济", "1:\u{2}济发", "2:\u{2}发展"])
        #expect(try texts(l + "經濟發展", .match) == ["0:\u{2}经济", "1:\u{2}济发", "2:\u{2}发展"])  // folded first
        #expect(try texts(l + "中", .match) == ["0:中"])
        #expect(try texts(l + "iPhone中国", .match) == ["0:iphone", "1:中", "2:\u{2}中国"])
        #expect(try texts(l + "中a国", .match) == ["0:中", "1:a", "2:国"])
        #expect(try texts(l + "中国，人民", .match) == ["0:\u{2}中国", "1:\u{2}国人", "2:\u{2}人民"])
        // Characters that are not common stand for themselves, and break pairs.
        #expect(try texts(l + "知识产权", .match) == ["0:知", "1:识", "2:产", "3:权"])
        // Past the first position a character stays before its bigram: a phrase has no gaps.
        #expect(try texts(l + "的知识人民", .match) == ["0:的", "1:知", "2:识", "3:人", "4:\u{2}人民"])
        let wordsOnly = try Segmenter(options: AnalysisOptions(wordsOnly: true))
        #expect(try wordsOnly.tokens(of: "知识产权", for: .document).allSatisfy { $0.kind != .hanBigram })
        #expect(try wordsOnly.tokens(of: l + "知识产权", for: .match).allSatisfy { $0.kind != .hanBigram })
    }

    /// The tokens a term's phrase reads, for the cost estimate, are the tokens of its literal.
    @Test(arguments: ["知识产权", "中", "iPhone手机", "中a国", "经济，增长", "abc", "中国2020年", "的知识人民", "人民的知识", "经济发展"])
    func costEstimateCountsTheTokensThePhraseReads(term: String) throws {
        let query = try segmenter.tokens(of: term, for: .query).map(\.text)
        let literal = try segmenter.tokens(of: String(Segmenter.bigramSentinel) + term, for: .match).map(\.text)
        #expect(SearchIndex.phraseTokens(query) == literal)
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
