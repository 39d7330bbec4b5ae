import JiansuoAnalysis
import Testing

@Suite struct SegmenterTests {
    let segmenter = try! Segmenter()

    func texts(_ s: String, _ purpose: TokenPurpose = .query) throws -> [String] {
        try segmenter.tokens(of: s, for: purpose).map(\.displayText)
    }

    @Test func hanCharactersPlusColocatedDictionaryWords() throws {
        let tokens = try segmenter.tokens(of: "北京市知识产权").filter { $0.kind != .hanBigram }  // bigrams: BigramTests
        #expect(tokens.map(\.displayText) == ["北", "北京市", "京", "市", "知", "知识", "识", "产", "产权", "权"])
        #expect(tokens.map(\.kind) == [.han, .hanWord, .han, .han, .han, .hanWord, .han, .han, .hanWord, .han])
        // Colocated words share the position of their first character.
        #expect(tokens.map(\.position) == [0, 0, 1, 2, 3, 3, 4, 5, 5, 6])
        #expect(tokens[1].text == "\u{1}北京市")
        #expect([tokens[1].utf8Start, tokens[1].utf8End] == [0, 9])
    }

    @Test func queriesAreCharactersOnly() throws {
        #expect(try texts("北京市") == ["北", "京", "市"])
        // The sentinel asks for the colocated word token itself.
        let word = try segmenter.tokens(of: "\u{E000}北京市", for: .query)
        #expect(word.map(\.text) == ["\u{1}北京市"])
    }

    @Test func dropsSpacesPunctuationAndEmoji() throws {
        #expect(try texts("你好，世界！ Hello, world. 😀") == ["你", "好", "世", "界", "hello", "world"])
    }

    @Test(arguments: [
        ("ｉＰｈｏｎｅ１５", ["iphone", "15"]),
        ("iPhone15", ["iphone", "15"]),
        ("价格１０元", ["价", "格", "10", "元"]),
        ("Straße", ["strasse"]),
        ("①②", ["12"]),
        ("知識產權", ["知", "识", "产", "权"]),
        ("臺灣", ["台", "湾"]),
    ])
    func normalizesBeforeSegmentation(input: String, expected: [String]) throws {
        #expect(try texts(input) == expected)
    }

    @Test func scriptFoldingCanBeTurnedOff() throws {
        let plain = try Segmenter(options: AnalysisOptions(foldScripts: false))
        #expect(try plain.tokens(of: "臺灣", for: .query).map(\.text) == ["臺", "灣"])
        #expect(Normalizer.scriptFoldSize > 2000)
    }

    @Test func alphanumericRunsAreCutAtPunctuation() throws {
        #expect(try texts("Swift 6.3 snake_case a.b@example.com https://example.com/path?q=1") ==
            ["swift", "6", "3", "snake", "case", "a", "b", "example", "com", "https", "example", "com", "path", "q", "1"])
        #expect(try texts("3366件 2021年9月15日 33亿元") == ["3366", "件", "2021", "年", "9", "月", "15", "日", "33", "亿", "元"])
    }

    @Test func offsetsAreUTF8ByteOffsetsIntoTheOriginalText() throws {
        let text = "　　原标题：ＡＢＣ知識產權 3366件 ﬁne"
        let bytes = Array(text.utf8)
        for token in try segmenter.tokens(of: text) {
            let original = String(decoding: bytes[token.utf8Start..<token.utf8End], as: UTF8.self)
            #expect(Normalizer.normalize(original) == token.displayText, "token \(token.text) maps to \(original)")
        }

        #expect(try segmenter.tokens(of: text).first { $0.text == "abc" }.map { [$0.utf8Start, $0.utf8End] } == [18, 27])
    }

    @Test func wordsOnlyBaselineKeepsWholeICUWords() throws {
        let words = try Segmenter(options: AnalysisOptions(wordsOnly: true))
        #expect(try words.tokens(of: "北京市知识产权 snake_case").map(\.text) == ["北京市", "知识", "产权", "snake_case"])
    }

    @Test func kanaAndHangul() throws {
        let tokens = try segmenter.tokens(of: "東京都のカタカナ 한국어 텍스트")
        #expect(tokens.contains { $0.text == "한국어" && $0.kind == .letter })
        #expect(tokens.contains { $0.kind == .kana })
        #expect(tokens.contains { $0.text == "东" })
    }

    @Test func capsOverLongTokens() throws {
        let tokens = try segmenter.tokens(of: String(repeating: "a", count: 10_000))
        #expect(tokens.count == 1)
        #expect(tokens[0].text.utf8.count == Segmenter.maxTokenBytes)
    }

    @Test func longHanRunsWithoutSeparators() throws {
        let run = String(repeating: "知识产权保险试点工作开展以来", count: 3000)
        let tokens = try segmenter.tokens(of: run)
        #expect(tokens.filter { $0.kind == .han }.count == 14 * 3000)
        #expect(tokens.last?.utf8End == run.utf8.count)
    }

    @Test func invalidUTF8AndControlBytesDoNotFail() throws {
        let bytes: [UInt8] = [0xE4, 0xB8, 0xAD, 0xFF, 0x00, 0xE6, 0x96, 0x87, 0xC3]
        var buffer = bytes.map { CChar(bitPattern: $0) }
        var count = 0
        final class Box { var n = 0 }
        let box = Box()
        let rc = buffer.withUnsafeMutableBufferPointer { p in
            segmenter.tokenize(utf8: p.baseAddress, count: Int32(p.count), purpose: .document,
                               context: Unmanaged.passUnretained(box).toOpaque()) { ctx, _, _, _, start, end in
                let b = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
                b.n += 1
                return start <= end && end <= 9 ? 0 : 1
            }
        }
        count = box.n
        #expect(rc == 0)
        #expect(count == 3)  // 中, 文 and their bigram: U+FFFD makes no position
    }

    @Test func emptyAndSymbolOnlyTextHaveNoTokens() throws {
        #expect(try texts("").isEmpty)
        #expect(try texts("，。！？ *** ---").isEmpty)
    }

    @Test func analysisVersionNamesICUAndOptions() {
        let v = AnalysisVersion.current()
        #expect(v.contains("icu=\(AnalysisVersion.icu)"))
        #expect(v != AnalysisVersion.current(AnalysisOptions(foldScripts: false)))
    }
}

/// Texts over `CICU_CHUNK_BYTES` (256 KB) are tokenized chunk by chunk: nothing is lost at the
/// cuts, offsets and positions run on, and the result is the same every time (FTS5 tokenizes a
/// text again to delete it).
@Suite struct ChunkedTokenizationTests {
    let segmenter = try! Segmenter()

    @Test func aLargeTextLosesNothingAtTheCuts() throws {
        let line = "人民知识产权局发布通知的。\n"  // 12 Han characters, a full stop, a newline
        let count = 40_000                      // about 1.6 MB: several chunks
        let text = String(repeating: line, count: count)
        let tokens = try segmenter.tokens(of: text)
        #expect(tokens.filter { $0.kind == .han }.count == 12 * count)
        #expect(tokens.filter { $0.kind == .hanWord && $0.displayText == "知识" }.count == count)
        // Bigrams of common characters run on across the cuts (。\n does not break a pair).
        let characters = Array(line.prefix(12)).map(String.init)
        let inLine = zip(characters, characters.dropFirst()).filter { Segmenter.isCommonHan($0) && Segmenter.isCommonHan($1) }.count
        let across = Segmenter.isCommonHan(characters.last!) && Segmenter.isCommonHan(characters.first!) ? 1 : 0
        #expect(inLine > 0)
        #expect(tokens.filter { $0.kind == .hanBigram }.count == inLine * count + across * (count - 1))
        // Offsets increase (a bigram starts at its first character, before the token it follows)
        // and stay inside the text; positions are consecutive per character.
        let bytes = text.utf8.count
        let spans = tokens.filter { $0.kind != .hanBigram }
        #expect(zip(spans, spans.dropFirst()).allSatisfy { $0.utf8Start <= $1.utf8Start && $0.position <= $1.position })
        #expect(tokens.allSatisfy { $0.utf8End <= bytes })
        #expect(tokens.last?.utf8End == bytes - 4)  // before the final "。\n"
        #expect(Set(tokens.map(\.position)).count == 12 * count)
        #expect(try segmenter.tokens(of: text) == tokens)
    }

    @Test func aLargeRunWithoutBreaksIsCutAtCharacterBoundaries() throws {
        let text = String(repeating: "汉字检索", count: 100_000)  // 1.2 MB of Han, no punctuation
        let tokens = try segmenter.tokens(of: text)
        #expect(tokens.filter { $0.kind == .han }.count == 400_000)
        #expect(tokens.allSatisfy { $0.displayText.unicodeScalars.allSatisfy { $0.properties.isIdeographic } })
        #expect(try segmenter.tokens(of: text) == tokens)
    }
}
