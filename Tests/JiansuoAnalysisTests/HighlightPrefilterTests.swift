import JiansuoAnalysis
import Testing

/// The highlighter skips sentences that hold no character of any term (see highlight.c). The
/// ranges must be exactly those of tokenizing the whole text: random texts of Han characters
/// (simplified and traditional), full-width and ASCII letters and digits, kana, combining marks,
/// punctuation, line feeds and 。, against random terms and prefix terms made of the same.
@Suite struct HighlightPrefilterTests {
    static let alphabet: [String] = [
        "经", "济", "發", "展", "中", "国", "的", "人", "民", "學", "习", "数", "据",
        "a", "b", "A", "B", "ａ", "Ｂ", "1", "2", "１", "e\u{301}", "é", "\u{301}",
        "の", "カ", "ｶ", "ﾞ", "한", "。", "\n", "，", ",", ".", " ", "\u{3000}", "！", "😀", "𠀀", "𝐀", "𝐛",
    ]

    /// Sentences of these alone are skipped by terms of the alphabet above.
    static let filler: [String] = ["山", "水", "花", "鸟", "風", "x", "y", "7", "，", " ", "の", "𝐀"]

    @Test func skippingSentencesChangesNoRange() throws {
        let segmenter = try Segmenter()
        var generator = SystemRandomNumberGenerator()
        func text(_ count: Int) -> String {
            // Sentences, each of the whole alphabet or of the filler only.
            var out = ""
            while out.unicodeScalars.count < count {
                let pool = Bool.random(using: &generator) ? Self.alphabet : Self.filler
                out += (0..<Int.random(in: 1...12, using: &generator)).map { _ in pool.randomElement(using: &generator)! }.joined()
                out += ["。", "\n", "", "。\n"].randomElement(using: &generator)!
            }
            return out
        }
        var checked = 0, skippedSome = 0
        for round in 0..<600 {
            let body = text(Int.random(in: 0...400, using: &generator))
            var terms: [HighlightTerm] = []
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                // A term is the query tokens of a piece of text, here often of the body itself.
                let piece = round % 2 == 0 && !body.isEmpty
                    ? String(body.unicodeScalars.dropFirst(Int.random(in: 0..<body.unicodeScalars.count, using: &generator))
                        .prefix(Int.random(in: 1...4, using: &generator)))
                    : text(Int.random(in: 1...3, using: &generator))
                let tokens = try segmenter.tokens(of: piece, for: .query).map(\.text)
                guard !tokens.isEmpty else { continue }
                let prefix = Int.random(in: 0..<4, using: &generator) == 0
                terms.append(HighlightTerm(tokens: tokens, prefix: prefix))
            }
            guard !terms.isEmpty else { continue }
            let whole = try segmenter.highlights(in: body, terms: terms, skipSentences: false)
            let skipping = try segmenter.highlights(in: body, terms: terms)
            #expect(skipping == whole, "\(body.debugDescription) \(terms)")
            checked += 1
            if !whole.isEmpty { skippedSome += 1 }
        }
        #expect(checked > 400)
        #expect(skippedSome > 50)
    }

    @Test func aTermAcrossSentencesIsStillFound() throws {
        let segmenter = try Segmenter()
        let terms = [HighlightTerm(tokens: try segmenter.tokens(of: "经济", for: .query).map(\.text))]
        for body in ["无关的话。经。济发展", "经\n济", "别处。另外一句。经济。", "經濟，和别的。"] {
            #expect(try segmenter.highlights(in: body, terms: terms) == segmenter.highlights(in: body, terms: terms, skipSentences: false), "\(body)")
        }
    }
}
