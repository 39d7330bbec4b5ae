import JiansuoAnalysis
import Testing

/// Runs of letters and digits (issue 13, item 1): a run is cut into parts where letters and
/// digits meet, each at its own position; a document also places each letter part's case pieces
/// and the whole run at the part's position, so that any part a reader sees is a token.
@Suite struct RunPartsTests {
    let segmenter = try! Segmenter()

    /// Tokens as `text@position`, colocated ones with their kind: `iphone@3 +runWord:iphone15pro@3`.
    func described(_ text: String, _ purpose: TokenPurpose) throws -> [String] {
        try segmenter.tokens(of: text, for: purpose).map { t in
            (t.isColocated ? "+\(t.kind.rawValue):" : "") + "\(t.displayText)@\(t.position)"
        }
    }

    @Test(arguments: [
        ("型号ABC123规格", ["型", "号", "abc", "123", "规", "格"]),
        ("购买了iPhone15Pro手机", ["购", "买", "了", "iphone", "15", "pro", "手", "机"]),
        ("20200101新闻", ["20200101", "新", "闻"]),
        ("ubuntu9.04", ["ubuntu", "9", "04"]),
        ("ＡＢＣ１２３", ["abc", "123"]),
        ("XMLHttpRequest", ["xmlhttprequest"]),
        ("한국어2020", ["한국어", "2020"]),
    ])
    func queriesAreCutWhereLettersAndDigitsMeet(text: String, parts: [String]) throws {
        #expect(try segmenter.tokens(of: text, for: .query).map(\.text) == parts)
    }

    @Test func documentsColocateCasePiecesAndTheWholeRun() throws {
        #expect(try described("买iPhone15Pro", .document) == [
            "买@0", "iphone@1", "+runWord:iphone15pro@1", "+subword:i@1", "+subword:phone@1", "15@2", "pro@3",
        ])
        // Positions (highlighting) keep the case pieces, not the whole run.
        #expect(try described("买iPhone15Pro", .positions) == ["买@0", "iphone@1", "+subword:i@1", "+subword:phone@1", "15@2", "pro@3"])
        // A run of one part has no whole-run token; a part of one piece no pieces.
        #expect(try described("abc 123", .document) == ["abc@0", "123@1"])
    }

    @Test(arguments: [
        ("XMLHttpRequest", ["xml", "xmlhttp", "http", "httprequest", "request"]),  // upper-case run before a word
        ("HTMLParser", ["html", "parser"]),
        ("JavaScript", ["java", "script"]),
        ("macOS", ["mac", "os"]),
        ("eBay", ["e", "bay"]),
        ("ＭｃＤｏｎａｌｄ", ["mc", "donald"]),  // full-width letters keep their case
        ("Ǆemal", []),                           // a title-case digraph starts a word
        ("Hello", []), ("HELLO", []), ("hello", []),
    ])
    func casePieces(text: String, pieces: [String]) throws {
        let tokens = try segmenter.tokens(of: text, for: .document)
        #expect(tokens.filter { $0.kind == .subword }.map(\.text) == pieces)
        #expect(tokens.filter { $0.kind == .subword }.allSatisfy { $0.position == 0 })
    }

    @Test func piecesKeepTheirOriginalBytes() throws {
        let text = "买了ｉＰｈｏｎｅ"
        let phone = try #require(try segmenter.tokens(of: text, for: .document).first { $0.text == "phone" })
        #expect(String(decoding: Array(text.utf8)[phone.utf8Start..<phone.utf8End], as: UTF8.self) == "Ｐｈｏｎｅ")
    }

    @Test func manyPiecesAreBoundedAndJoinsOnlyForShortWords() throws {
        // Eight pieces: each alone, no joins.
        let eight = try segmenter.tokens(of: "aBcDeFgHiJkLmN", for: .document).filter { $0.kind == .subword }
        #expect(eight.map(\.text) == ["a", "bc", "de", "fg", "hi", "jk", "lm", "n"])
        // A pathological run: at most 16 pieces, linear work.
        let long = String(repeating: "aB", count: 5_000)
        let pieces = try segmenter.tokens(of: long, for: .document).filter { $0.kind == .subword }
        #expect(pieces.count == 16)
    }

    @Test func marksStayWithTheirLetterAndDigitsWithTheirDigits() throws {
        // A combining accent belongs to the letter before it, whatever follows.
        #expect(try segmenter.tokens(of: "cafe\u{301}2020", for: .query).map(\.text) == ["café", "2020"])
        // Digits of other scripts are digits too.
        #expect(try segmenter.tokens(of: "abc٢٠٢٠", for: .query).map(\.text) == ["abc", "٢٠٢٠"])
    }

    @Test func wordsOfAQueryKeepRunsWhole() throws {
        #expect(segmenter.words(of: "购买iPhone15Pro手机") == ["购买", "iPhone15Pro", "手机"])
    }
}
